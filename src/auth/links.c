/* links.c: email links. A link proves that its follower receives mail at
 * an address: the account's own, after a registration with verify_email,
 * or a new one, for an email change. One per account, single use,
 * expiring after link_ttl seconds; the store keeps the SHA-256 digest of
 * its token, never the token. */
#include <string.h>

#include <sodium.h>

#include "../common/log.h"
#include "internal.h"

enum err
auth_link_make(struct auth *a, struct store *st, int64_t uid, const char *email,
               char token[AUTH_TOKEN_LEN + 1])
{
	unsigned char digest[STORE_DIGEST_LEN];

	auth_token_new(a, token);
	auth_token_digest(token, digest);
	return store_link_put(st, uid, digest, email,
	                      auth_now(a) + a->cfg.link_ttl);
}

/*
 * As a reset request: one transaction and one commit, known email or not;
 * every request counts against the limits (its own count, like reset
 * requests'), and only an account that waits for its link stores a new
 * one. With outgoing mail, the same message is built and handed on
 * whether it is sent or not.
 */
enum err
auth_link_request(struct auth *a, struct auth_call *call, const char *email)
{
	char t[AUTH_TOKEN_LEN + 1] = "";
	struct store_user su;
	struct store *st;
	bool known = false, send = false;
	enum err e;

	memset(&su, 0, sizeof(su));
	if (strlen(email) > AUTH_EMAIL_MAX)
		email = "";
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	if ((e = auth_mailed_request(a, call, st, AUTH_COUNT_LINK, email, &su,
	                             &known)) != ERR_OK)
		goto out;
	explicit_bzero(su.hash, sizeof(su.hash));
	send = known && su.unverified && !su.disabled;
	if (send)
		e = auth_link_make(a, st, su.id, su.email, t);
	else
		auth_token_new(a, t);
	if (e == ERR_OK)
		e = store_commit(st);
	if (e != ERR_OK)
		goto out;
	if (a->cfg.deliver_command != NULL)
		e = auth_mail_send(a, AUTH_MAIL_VERIFY, send ? su.email : email,
		                   t, NULL, send);
	if (e == ERR_OK)
		log_audit(send ? "link_request" : "link_request_other",
		          send ? su.id : 0, auth_client(call));
out:
	if (e != ERR_OK && e != ERR_THROTTLED)
		store_rollback(st);
	explicit_bzero(t, sizeof(t));
	return e;
}

/* Is token a live link? Sets *l and its account *su. */
static enum err
link_valid(struct auth *a, struct store *st, const char *token,
           struct store_link *l, struct store_user *su)
{
	unsigned char digest[STORE_DIGEST_LEN];
	enum err e;

	if (!auth_token_shaped(token))
		return ERR_LINK;
	auth_token_digest(token, digest);
	e = store_link_find(st, digest, l);
	if (e == ERR_OK && sodium_memcmp(l->digest, digest, sizeof(digest)))
		e = ERR_NOT_FOUND;
	if (e == ERR_OK && auth_now(a) >= l->expires)
		e = ERR_NOT_FOUND;
	if (e == ERR_OK)
		e = store_user_by_id(st, l->user_id, su);
	return e == ERR_NOT_FOUND ? ERR_LINK : e;
}

/*
 * Under the write lock from the look-up to the commit, so that a link is
 * spent exactly once however many requests race for it.
 */
enum err
auth_link_follow(struct auth *a, struct auth_call *call, const char *token,
                 struct auth_user *user)
{
	char old[STORE_EMAIL_MAX + 1];
	struct store_link l;
	struct store_user su;
	struct store *st;
	bool change = false;
	enum err e;

	if (!auth_token_shaped(token))
		return ERR_LINK;
	if ((e = auth_store(a, &st)) != ERR_OK ||
	    (e = store_begin(st)) != ERR_OK)
		return e;
	if ((e = link_valid(a, st, token, &l, &su)) != ERR_OK)
		goto out;
	explicit_bzero(su.hash, sizeof(su.hash));
	memcpy(old, su.email, sizeof(old));
	change = strcmp(l.email, su.email) != 0;
	/* A new address takes the account's reset token with the old
	 * one: it was mailed there. */
	if ((change &&
	     ((e = store_user_set_email(st, su.id, l.email)) != ERR_OK ||
	      (e = store_reset_delete(st, su.id)) != ERR_OK)) ||
	    (e = store_user_set_unverified(st, su.id, false)) != ERR_OK ||
	    (e = store_link_delete(st, su.id)) != ERR_OK)
		goto out;
	e = store_commit(st);
out:
	if (e != ERR_OK) {
		store_rollback(st);
		if (e == ERR_LINK)
			log_audit("link_refused", 0, auth_client(call));
		return e;
	}
	log_audit(change ? "email_change" : "email_verified", su.id,
	          auth_client(call));
	if (change)
		auth_notice(a, AUTH_MAIL_EMAIL_CHANGED, old, l.email);
	user->id = su.id;
	memcpy(user->email, l.email, sizeof(user->email));
	return ERR_OK;
}
