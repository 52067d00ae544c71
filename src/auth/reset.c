/* reset.c: one-time password reset tokens. */
#include <string.h>

#include <sodium.h>

#include "../common/log.h"
#include "internal.h"

enum err
auth_mailed_request(struct auth *a, struct auth_call *call, struct store *st,
                    enum auth_count kind, const char *email,
                    struct store_user *su, bool *known)
{
	struct auth_attempt at;
	enum err e;

	*known = false;
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	e = auth_throttle_take(a, call, kind, email, false, &at);
	if (e == ERR_THROTTLED) {
		/* Keep the count (and a new lock) all the same. */
		if ((e = store_commit(st)) == ERR_OK)
			return ERR_THROTTLED;
	} else if (e == ERR_OK) {
		e = store_user_by_email(st, email, su);
		*known = e == ERR_OK;
		if (e == ERR_NOT_FOUND)
			e = ERR_OK;
	}
	if (e != ERR_OK)
		store_rollback(st);
	return e;
}

enum err
auth_reset_request(struct auth *a, struct auth_call *call, const char *email,
                   struct auth_user *user, char token[AUTH_TOKEN_LEN + 1])
{
	unsigned char digest[STORE_DIGEST_LEN];
	char t[AUTH_TOKEN_LEN + 1];
	struct store_user su;
	struct store *st;
	bool known = false;
	enum err e;

	memset(&su, 0, sizeof(su));
	if (strlen(email) > AUTH_EMAIL_MAX)
		email = "";
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	auth_token_new(a, t);
	auth_token_digest(t, digest);
	/*
	 * One transaction, one commit, for a known email or not: every
	 * request counts against the limits, and only a known one stores a
	 * token, so both cost the same.
	 */
	if ((e = auth_mailed_request(a, call, st, AUTH_COUNT_RESET, email, &su,
	                             &known)) != ERR_OK)
		goto out;
	if (known)
		e = store_reset_put(st, su.id, digest,
		                    auth_now(a) + a->cfg.reset_ttl);
	if (e == ERR_OK)
		e = store_commit(st);
	if (e != ERR_OK)
		goto out;
	explicit_bzero(su.hash, sizeof(su.hash));
	if (a->cfg.deliver_command != NULL) {
		/* The token goes to its owner only, and a request for an
		 * unknown email does the same work, sending nothing. */
		e = auth_mail_send(a, AUTH_MAIL_RESET, known ? su.email : email,
		                   t, NULL, known);
		explicit_bzero(t, sizeof(t));
		if (e != ERR_OK)
			goto out;
	}
	if (!known) {
		log_audit("reset_request_unknown", 0, auth_client(call));
		e = ERR_NOT_FOUND;
		goto out;
	}
	log_audit("reset_request", su.id, auth_client(call));
	auth_user_of(&su, user);
	memcpy(token, t, sizeof(t));
out:
	if (e != ERR_OK && e != ERR_THROTTLED && e != ERR_NOT_FOUND)
		store_rollback(st);
	explicit_bzero(t, sizeof(t));
	return e;
}

/* Is token the live reset token of the account of email? Sets *su. */
static enum err
reset_valid(struct auth *a, struct store *st, const char *email,
            const char *token, struct store_user *su)
{
	unsigned char digest[STORE_DIGEST_LEN];
	struct store_reset r;
	enum err e;

	if (!auth_token_shaped(token) || strlen(email) > AUTH_EMAIL_MAX)
		return ERR_TOKEN;
	e = store_user_by_email(st, email, su);
	if (e == ERR_OK)
		e = store_reset_get(st, su->id, &r);
	if (e == ERR_NOT_FOUND)
		return ERR_TOKEN;
	if (e != ERR_OK)
		return e;
	auth_token_digest(token, digest);
	if (sodium_memcmp(r.digest, digest, sizeof(digest)) != 0)
		return ERR_TOKEN;
	if (auth_now(a) >= r.expires)
		return ERR_TOKEN;
	return ERR_OK;
}

/*
 * The token is checked first: a request with a wrong token is ERR_TOKEN
 * whatever its new password, and only the holder of a live token learns
 * what the password rules are (authorise, then validate).
 */
enum err
auth_reset_update(struct auth *a, struct auth_call *call, const char *email,
                  const char *token, const char *password,
                  struct auth_user *user)
{
	char hash[STORE_HASH_MAX + 1] = "";
	enum auth_pw_problem why;
	struct store_user su;
	struct store *st;
	enum err e;

	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	/* Check before the slow hash, so that bad tokens cost little ... */
	if ((e = reset_valid(a, st, email, token, &su)) != ERR_OK) {
		if (e == ERR_TOKEN)
			log_audit("password_change_refused", 0,
			          auth_client(call));
		return e;
	}
	explicit_bzero(su.hash, sizeof(su.hash));
	if ((e = auth_check_password(a, password, &why)) != ERR_OK)
		return e;
	if ((e = auth_hash_password(a, password, hash)) != ERR_OK)
		return e;
	/* ... and again under the write lock, so that a token is spent
	 * exactly once however many requests race for it. */
	if ((e = store_begin(st)) != ERR_OK)
		goto out;
	if ((e = reset_valid(a, st, email, token, &su)) != ERR_OK ||
	    (e = store_user_set_hash(st, su.id, hash)) != ERR_OK ||
	    (a->cfg.reset_ends_sessions &&
	     (e = store_session_delete_user(st, su.id)) != ERR_OK) ||
	    (e = store_reset_delete(st, su.id)) != ERR_OK ||
	    (e = store_pending_delete_user(st, su.id)) != ERR_OK ||
	    (e = store_commit(st)) != ERR_OK) {
		store_rollback(st);
		goto out;
	}
	explicit_bzero(su.hash, sizeof(su.hash));
	log_audit("password_change", su.id, auth_client(call));
	auth_notice(a, AUTH_MAIL_PASSWORD, su.email, NULL);
	auth_user_of(&su, user);
out:
	explicit_bzero(hash, sizeof(hash));
	return e;
}
