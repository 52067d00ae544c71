/* account.c: registration, live sessions and logout. */
#include <string.h>

#include <sodium.h>

#include "../common/log.h"
#include "internal.h"

/* A session's last_seen is written at most this often (seconds), so that
 * reading a profile is not a database write each time. */
#define TOUCH_INTERVAL 60

/* Store a new account in one transaction: its row, its client address
 * remembered, and with verify_email the mark that it waits for its link
 * and the link itself (token). ERR_EXISTS when the email is taken. */
static enum err
register_commit(struct auth *a, struct auth_call *call, struct store *st,
                const char *email, const char *hash, int64_t *id,
                char token[AUTH_TOKEN_LEN + 1])
{
	bool notify;
	enum err e;

	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if ((e = store_user_insert(st, email, hash, auth_now(a), id)) !=
	        ERR_OK ||
	    (a->cfg.verify_email &&
	     ((e = store_user_set_unverified(st, *id, true)) != ERR_OK ||
	      (e = auth_link_make(a, st, *id, email, token)) != ERR_OK)) ||
	    (e = auth_client_remember(a, st, *id, call, &notify)) != ERR_OK ||
	    (e = store_commit(st)) != ERR_OK)
		store_rollback(st);
	return e;
}

/*
 * Registration. An email that is taken is a failure counted against the
 * caller's address, like a wrong password (a client that tries emails to
 * find the registered ones gets 429 after the address's limit), and is
 * answered before any hashing: the answer "email already registered" is
 * the contract's, so equal work would hide nothing. The look-up and its
 * count are one transaction, so racing requests cannot pass the limit;
 * a new email writes nothing there, so new accounts never count (nor
 * does a request that dies while hashing).
 */
enum err
auth_register(struct auth *a, struct auth_call *call, const char *email,
              const char *password, struct auth_user *out)
{
	char hash[STORE_HASH_MAX + 1] = "", token[AUTH_TOKEN_LEN + 1] = "";
	struct auth_attempt at;
	enum auth_pw_problem why;
	struct store_user su;
	struct store *st;
	enum err e;
	int64_t id = 0;

	if ((e = auth_check_email(email)) != ERR_OK)
		return e;
	if ((e = auth_check_password(a, password, &why)) != ERR_OK)
		return e;
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	e = auth_throttle_check(a, call, AUTH_COUNT_REGISTER, email, false,
	                        &at);
	if (e == ERR_OK) {
		e = store_user_by_email(st, email, &su);
		if (e == ERR_OK) {
			explicit_bzero(su.hash, sizeof(su.hash));
			e = auth_throttle_failed(a, call, &at, 0, false);
			if (e == ERR_OK)
				e = ERR_EXISTS;
		} else if (e == ERR_NOT_FOUND) {
			e = ERR_OK;
		}
	}
	/* A refusal keeps its count and lock; a fault, nothing. */
	if (e == ERR_OK || e == ERR_EXISTS || e == ERR_THROTTLED) {
		enum err c = store_commit(st);

		if (c != ERR_OK)
			e = c;
	}
	if (e != ERR_OK)
		store_rollback(st);
	if (e == ERR_EXISTS)
		log_audit("register_exists", 0, auth_client(call));
	else if (e == ERR_THROTTLED)
		log_audit("register_refused_locked", 0, auth_client(call));
	if (e != ERR_OK)
		return e;
	if ((e = auth_hash_password(a, password, hash)) == ERR_OK)
		e = register_commit(a, call, st, email, hash, &id, token);
	explicit_bzero(hash, sizeof(hash));
	if (e == ERR_EXISTS) {
		/* Taken meanwhile by a racing request: a failure too. */
		log_audit("register_exists", 0, auth_client(call));
		auth_throttle_failed(a, call, &at, 0, true);
		return ERR_EXISTS;
	}
	if (e != ERR_OK)
		return e;
	log_audit("register", id, auth_client(call));
	if (a->cfg.verify_email) {
		/* The link goes to the address it verifies; a failure to
		 * hand it on is logged, and another can be asked for. */
		if (auth_mail_send(a, AUTH_MAIL_VERIFY, email, token, NULL,
		                   true) != ERR_OK)
			log_error("deliver: a verification link was not handed"
			          " on");
		explicit_bzero(token, AUTH_TOKEN_LEN + 1);
	}
	out->id = id;
	memcpy(out->email, email, strlen(email) + 1);
	return ERR_OK;
}

enum err
auth_hash_unchanged(struct store *st, const struct store_user *su)
{
	struct store_user now;
	size_t n = strlen(su->hash);
	enum err e;

	e = store_user_by_id(st, su->id, &now);
	if (e == ERR_NOT_FOUND)
		return ERR_CREDENTIALS;
	if (e != ERR_OK)
		return e;
	if (strlen(now.hash) != n || sodium_memcmp(now.hash, su->hash, n) != 0)
		e = ERR_CREDENTIALS;
	explicit_bzero(now.hash, sizeof(now.hash));
	return e;
}

enum err
auth_session_live(struct auth *a, struct auth_call *call, const char *sid,
                  struct store_session *out, char *email, char *groups)
{
	unsigned char digest[STORE_DIGEST_LEN];
	struct store_session s;
	struct store *st;
	int64_t now, touch;
	enum err e;

	if (!auth_token_shaped(sid))
		return ERR_NO_SESSION;
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	auth_token_digest(sid, digest);
	if (groups != NULL)
		e = store_session_gate(st, digest, &s, email, groups);
	else if (email != NULL)
		e = store_session_find_user(st, digest, &s, email);
	else
		e = store_session_find(st, digest, &s);
	if (e == ERR_NOT_FOUND)
		return ERR_NO_SESSION;
	if (e != ERR_OK)
		return e;
	if (sodium_memcmp(s.digest, digest, sizeof(digest)) != 0)
		return ERR_NO_SESSION;
	now = auth_now(a);
	if (now - s.last_seen >= a->cfg.session_idle ||
	    now - s.created >= a->cfg.session_max) {
		if ((e = store_session_delete(st, digest)) != ERR_OK)
			return e;
		log_audit("session_expired", s.user_id, auth_client(call));
		return ERR_NO_SESSION;
	}
	touch = a->cfg.session_idle / 2 < TOUCH_INTERVAL
	            ? a->cfg.session_idle / 2
	            : TOUCH_INTERVAL;
	if (now - s.last_seen >= touch && now > s.last_seen) {
		if ((e = store_session_touch(st, digest, now)) != ERR_OK)
			return e;
		s.last_seen = now;
	}
	*out = s;
	return ERR_OK;
}

enum err
auth_session_user(struct auth *a, struct auth_call *call, const char *sid,
                  struct auth_user *out)
{
	char email[STORE_EMAIL_MAX + 1];
	struct store_session s;
	enum err e;

	if ((e = auth_session_live(a, call, sid, &s, email, NULL)) != ERR_OK)
		return e;
	out->id = s.user_id;
	memcpy(out->email, email, sizeof(out->email));
	return ERR_OK;
}

enum err
auth_logout(struct auth *a, struct auth_call *call, const char *sid)
{
	struct store_session s;
	enum err e;

	if ((e = auth_session_live(a, call, sid, &s, NULL, NULL)) != ERR_OK)
		return e;
	if ((e = store_session_delete(a->st, s.digest)) != ERR_OK)
		return e;
	log_audit("logout", s.user_id, auth_client(call));
	return ERR_OK;
}
