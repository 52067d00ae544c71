/* account.c: registration, login, sessions and logout. */
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

/* Record a failed login against the account and the address. */
static enum err
login_failed(struct auth *a, struct auth_call *call,
             const struct auth_attempt *at, int64_t account)
{
	enum err e;

	log_audit("login_failure", account, auth_client(call));
	e = auth_throttle_failed(a, call, at, account, true);
	return e != ERR_OK ? e : ERR_CREDENTIALS;
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

/* Start the session of a checked login: one transaction that also
 * upgrades an outdated hash and gives the attempt's place back. */
static enum err
login_commit(struct auth *a, struct auth_call *call, struct store *st,
             const struct store_user *su, const struct auth_attempt *at,
             const char *new_hash, const unsigned char digest[STORE_DIGEST_LEN],
             bool *new_client)
{
	char pub[AUTH_PUBLIC_ID_LEN + 1], client[AUTH_CLIENT_MAX + 1];
	char agent[AUTH_AGENT_MAX + 1];
	int64_t now = auth_now(a);
	enum err e;

	auth_public_id_new(a, pub);
	auth_clean_text(client, sizeof(client), auth_client(call));
	auth_clean_text(agent, sizeof(agent),
	                call != NULL ? call->user_agent : NULL);
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	/* The password was checked against su->hash without the lock: a
	 * password change that committed meanwhile ended every session and
	 * must not be undone by this one (nor its hash by an upgrade). */
	if ((e = auth_hash_unchanged(st, su)) != ERR_OK ||
	    (e = store_session_insert(
	         st, digest, su->id, now, pub, *client != '\0' ? client : NULL,
	         *agent != '\0' ? agent : NULL, false)) != ERR_OK ||
	    (e = auth_client_remember(a, st, su->id, call, new_client)) !=
	        ERR_OK ||
	    (e = store_user_set_login(st, su->id, now)) != ERR_OK ||
	    (new_hash != NULL &&
	     (e = store_user_set_hash(st, su->id, new_hash)) != ERR_OK) ||
	    (e = auth_throttle_release(a, call, at, false)) != ERR_OK ||
	    (e = store_commit(st)) != ERR_OK)
		store_rollback(st);
	return e;
}

/*
 * Log-in. Whatever the email and the password (any length, any bytes a
 * field may hold), a known and an unknown email get the same answer after
 * the same work and the same count: an unknown email, and a password
 * longer than the configured maximum (which no account can have), cost
 * one hash against a fresh setting of the configured method and count as
 * one failure.
 */
enum err
auth_login(struct auth *a, struct auth_call *call, const char *email,
           const char *password, struct auth_user *user,
           char sid[AUTH_TOKEN_LEN + 1])
{
	unsigned char digest[STORE_DIGEST_LEN];
	char token[AUTH_TOKEN_LEN + 1] = "";
	char hash[STORE_HASH_MAX + 1] = "";
	struct auth_attempt at;
	struct store_user su;
	struct store *st;
	bool known, taken = false, match = false, upgrade = false;
	bool new_client = false;
	enum err e;

	if (strlen(email) > AUTH_EMAIL_MAX)
		email = ""; /* counted, and never found, as one key */
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	/* Read first: a fault here answers 503 before anything is
	 * written. */
	e = store_user_by_email(st, email, &su);
	if (e != ERR_OK && e != ERR_NOT_FOUND)
		return e;
	known = e == ERR_OK;
	/* Counted before the hash: attempts past the limit cost nothing. */
	if ((e = auth_throttle_take(a, call, AUTH_COUNT_LOGIN, email, true,
	                            &at)) != ERR_OK) {
		if (e == ERR_THROTTLED)
			log_audit("login_refused_locked", 0, auth_client(call));
		goto done;
	}
	taken = true;
	if (!known || strlen(password) > auth_password_max(a)) {
		/* The same hashing work as for a wrong password. */
		if ((e = auth_verify_dummy(a, password)) == ERR_OK)
			e = login_failed(a, call, &at, known ? su.id : 0);
		goto out;
	}
	if ((e = auth_verify_password(password, su.hash, &match)) != ERR_OK)
		goto out;
	/* bcrypt reads 72 bytes: a longer password would match on its
	 * first 72 alone. No such password was ever accepted as such. */
	if (strncmp(su.hash, "$2", 2) == 0 && strlen(password) > 72)
		match = false;
	if (!match) {
		e = login_failed(a, call, &at, su.id);
		goto out;
	}
	/* A disabled account answers like a wrong password, after the same
	 * work, and counts alike. */
	if (su.disabled) {
		log_audit("login_refused_disabled", su.id, auth_client(call));
		e = auth_throttle_failed(a, call, &at, su.id, true);
		if (e == ERR_OK)
			e = ERR_CREDENTIALS;
		goto out;
	}
	/* The right password of an account that waits for its email link:
	 * told only now, to whoever has the password; not a failure. */
	if (su.unverified) {
		log_audit("login_refused_unverified", su.id, auth_client(call));
		e = auth_throttle_release(a, call, &at, true);
		if (e == ERR_OK)
			e = ERR_UNVERIFIED;
		goto out;
	}
	/* The password is right: a hash made by another method or cost
	 * (bcrypt from the original service, say) is replaced now, while
	 * the plain password is at hand. */
	upgrade = auth_hash_outdated(a, su.hash);
	if (upgrade && (e = auth_hash_password(a, password, hash)) != ERR_OK)
		goto out;
	auth_token_new(a, token);
	auth_token_digest(token, digest);
	e = login_commit(a, call, st, &su, &at, upgrade ? hash : NULL, digest,
	                 &new_client);
	if (e == ERR_CREDENTIALS) {
		/* Its password changed while it was checked: a failure,
		 * counted as one. */
		e = login_failed(a, call, &at, su.id);
		goto out;
	}
	if (e != ERR_OK)
		goto out;
	log_audit("login", su.id, auth_client(call));
	if (upgrade)
		log_audit("password_rehash", su.id, auth_client(call));
	if (new_client) {
		char client[AUTH_CLIENT_MAX + 1];

		auth_clean_text(client, sizeof(client), auth_client(call));
		log_audit("login_new_client", su.id, auth_client(call));
		auth_notice(a, AUTH_MAIL_NEW_CLIENT, su.email, client);
	}
	auth_user_of(&su, user);
	memcpy(sid, token, sizeof(token));
out:
	/* A fault after the attempt was counted: the request changes
	 * nothing, its count included. */
	if (taken && err_is_fault(e))
		auth_throttle_release(a, call, &at, true);
done:
	if (known)
		explicit_bzero(su.hash, sizeof(su.hash));
	explicit_bzero(token, sizeof(token));
	explicit_bzero(hash, sizeof(hash));
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
