/* login.c: log-in: the password, the second factor of an account that
 * has one, the session they start; and a browser's second step, which
 * brings the code of a log-in whose password was checked already. */
#include <string.h>

#include <sodium.h>

#include "../common/log.h"
#include "internal.h"

/* One log-in on its way. */
struct login {
	struct store_user su;
	struct auth_attempt at;
	struct store_factor f;
	bool factor;                  /* the account's second factor is on */
	const unsigned char *pending; /* the pending log-in it completes */
	const char *new_hash;         /* a fresh hash of the password */
};

/* A failed login, counted against the account and the address. */
static enum err
login_failed(struct auth *a, struct auth_call *call,
             const struct auth_attempt *at, int64_t account)
{
	enum err e;

	log_audit("login_failure", account, auth_client(call));
	e = auth_throttle_failed(a, call, at, account, true);
	return e != ERR_OK ? e : ERR_CREDENTIALS;
}

/* A wrong code after the right password: counted alike. */
static enum err
code_failed(struct auth *a, struct auth_call *call,
            const struct auth_attempt *at, int64_t account)
{
	enum err e;

	log_audit("login_code_failure", account, auth_client(call));
	e = auth_throttle_failed(a, call, at, account, true);
	return e != ERR_OK ? e : ERR_CODE;
}

/*
 * For a browser (second->form_token set), a pending log-in of account
 * uid until expires, its token in second->pending; old, when not NULL,
 * is the one it replaces, spent in the same transaction (ERR_PENDING if
 * a racing request spent it first). Without a form token, nothing.
 */
static enum err
pend(struct auth *a, int64_t uid, int64_t expires, const unsigned char *old,
     struct auth_second *second)
{
	unsigned char digest[STORE_DIGEST_LEN], form[STORE_DIGEST_LEN];
	char token[AUTH_TOKEN_LEN + 1];
	struct store *st = a->st;
	enum err e;

	if (second == NULL || !auth_token_shaped(second->form_token))
		return ERR_OK;
	auth_token_new(a, token);
	auth_token_digest(token, digest);
	auth_token_digest(second->form_token, form);
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if ((old != NULL && (e = store_pending_delete(st, old)) != ERR_OK) ||
	    (e = store_pending_put(st, digest, uid, form, expires)) != ERR_OK ||
	    (e = store_commit(st)) != ERR_OK) {
		store_rollback(st);
		return e == ERR_NOT_FOUND ? ERR_PENDING : e;
	}
	memcpy(second->pending, token, sizeof(token));
	explicit_bzero(token, sizeof(token));
	return ERR_OK;
}

/* Start the session of a checked login: one transaction that also spends
 * the pending log-in it completes, checks and records its second factor,
 * upgrades an outdated hash and gives the attempt's place back. */
static enum err
login_commit(struct auth *a, struct auth_call *call, struct login *lg,
             struct auth_second *second,
             const unsigned char digest[STORE_DIGEST_LEN], bool *new_client)
{
	char pub[AUTH_PUBLIC_ID_LEN + 1], client[AUTH_CLIENT_MAX + 1];
	char agent[AUTH_AGENT_MAX + 1];
	const struct store_user *su = &lg->su;
	struct store *st = a->st;
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
	 * must not be undone by this one (nor its hash by an upgrade). A
	 * password change deletes pending log-ins too. */
	if ((lg->pending != NULL &&
	     (e = store_pending_delete(st, lg->pending)) != ERR_OK) ||
	    (e = auth_hash_unchanged(st, su)) != ERR_OK ||
	    (lg->factor &&
	     (e = auth_factor_pass(a, st, su->id, &lg->f, second)) != ERR_OK) ||
	    (e = store_session_insert(
	         st, digest, su->id, now, pub, *client != '\0' ? client : NULL,
	         *agent != '\0' ? agent : NULL, lg->factor)) != ERR_OK ||
	    (e = auth_client_remember(a, st, su->id, call, new_client)) !=
	        ERR_OK ||
	    (e = store_user_set_login(st, su->id, now)) != ERR_OK ||
	    (lg->new_hash != NULL &&
	     (e = store_user_set_hash(st, su->id, lg->new_hash)) != ERR_OK) ||
	    (e = auth_throttle_release(a, call, &lg->at, false)) != ERR_OK ||
	    (e = store_commit(st)) != ERR_OK)
		store_rollback(st);
	if (e == ERR_NOT_FOUND && lg->pending != NULL)
		e = ERR_PENDING; /* spent by a racing request */
	return e;
}

/* What follows a session's start: the audit, the notices, the answer. */
static void
login_done(struct auth *a, struct auth_call *call, const struct login *lg,
           const struct auth_second *second, bool new_client,
           const char token[AUTH_TOKEN_LEN + 1], struct auth_user *user,
           char sid[AUTH_TOKEN_LEN + 1])
{
	const struct store_user *su = &lg->su;

	log_audit("login", su->id, auth_client(call));
	if (lg->new_hash != NULL)
		log_audit("password_rehash", su->id, auth_client(call));
	if (second != NULL && second->recovery_used) {
		log_audit("login_recovery_code", su->id, auth_client(call));
		auth_notice(a, AUTH_MAIL_FACTOR, su->email,
		            "was passed with one of its recovery codes, which"
		            " is now spent");
	}
	if (new_client) {
		char client[AUTH_CLIENT_MAX + 1];

		auth_clean_text(client, sizeof(client), auth_client(call));
		log_audit("login_new_client", su->id, auth_client(call));
		auth_notice(a, AUTH_MAIL_NEW_CLIENT, su->email, client);
	}
	auth_user_of(su, user);
	memcpy(sid, token, AUTH_TOKEN_LEN + 1);
}

/*
 * Log-in. Whatever the email and the password (any length, any bytes a
 * field may hold), a known and an unknown email get the same answer after
 * the same work and the same count: an unknown email, and a password
 * longer than the configured maximum (which no account can have), cost
 * one hash against a fresh setting of the configured method and count as
 * one failure. Whether an account has a second factor is told only to
 * whoever has its password.
 */
enum err
auth_login(struct auth *a, struct auth_call *call, const char *email,
           const char *password, struct auth_second *second,
           struct auth_user *user, char sid[AUTH_TOKEN_LEN + 1])
{
	unsigned char digest[STORE_DIGEST_LEN];
	char token[AUTH_TOKEN_LEN + 1] = "";
	char hash[STORE_HASH_MAX + 1] = "";
	struct login lg = {0};
	struct store *st;
	bool known, taken = false, match = false, new_client = false;
	enum err e;

	if (second != NULL) {
		second->pending[0] = '\0';
		second->recovery_used = false;
	}
	if (strlen(email) > AUTH_EMAIL_MAX)
		email = ""; /* counted, and never found, as one key */
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	/* Read first: a fault here answers 503 before anything is
	 * written. */
	e = store_user_by_email(st, email, &lg.su);
	if (e != ERR_OK && e != ERR_NOT_FOUND)
		return e;
	known = e == ERR_OK;
	/* Counted before the hash: attempts past the limit cost nothing. */
	if ((e = auth_throttle_take(a, call, AUTH_COUNT_LOGIN, email, true,
	                            &lg.at)) != ERR_OK) {
		if (e == ERR_THROTTLED)
			log_audit("login_refused_locked", 0, auth_client(call));
		goto done;
	}
	taken = true;
	if (!known || strlen(password) > auth_password_max(a)) {
		/* The same hashing work as for a wrong password. */
		if ((e = auth_verify_dummy(a, password)) == ERR_OK)
			e = login_failed(a, call, &lg.at, known ? lg.su.id : 0);
		goto out;
	}
	if ((e = auth_verify_password(password, lg.su.hash, &match)) != ERR_OK)
		goto out;
	/* bcrypt reads 72 bytes: a longer password would match on its
	 * first 72 alone. No such password was ever accepted as such. */
	if (strncmp(lg.su.hash, "$2", 2) == 0 && strlen(password) > 72)
		match = false;
	if (!match) {
		e = login_failed(a, call, &lg.at, lg.su.id);
		goto out;
	}
	/* A disabled account answers like a wrong password, after the same
	 * work, and counts alike. */
	if (lg.su.disabled) {
		log_audit("login_refused_disabled", lg.su.id,
		          auth_client(call));
		e = auth_throttle_failed(a, call, &lg.at, lg.su.id, true);
		if (e == ERR_OK)
			e = ERR_CREDENTIALS;
		goto out;
	}
	/* The right password of an account that waits for its email link:
	 * told only now, to whoever has the password; not a failure. */
	if (lg.su.unverified) {
		log_audit("login_refused_unverified", lg.su.id,
		          auth_client(call));
		e = auth_throttle_release(a, call, &lg.at, true);
		if (e == ERR_OK)
			e = ERR_UNVERIFIED;
		goto out;
	}
	if ((e = auth_factor_active(st, lg.su.id, &lg.f, &lg.factor)) != ERR_OK)
		goto out;
	/* The right password without a code: not a failure; the code is
	 * asked for (a browser gets a pending log-in). */
	if (lg.factor && !auth_second_given(second)) {
		log_audit("login_code_required", lg.su.id, auth_client(call));
		if ((e = auth_throttle_release(a, call, &lg.at, true)) ==
		        ERR_OK &&
		    (e = pend(a, lg.su.id, auth_now(a) + AUTH_PENDING_TTL, NULL,
		              second)) == ERR_OK)
			e = ERR_CODE;
		goto done;
	}
	/* The password is right: a hash made by another method or cost
	 * (bcrypt from the original service, say) is replaced now, while
	 * the plain password is at hand. */
	if (auth_hash_outdated(a, lg.su.hash)) {
		if ((e = auth_hash_password(a, password, hash)) != ERR_OK)
			goto out;
		lg.new_hash = hash;
	}
	auth_token_new(a, token);
	auth_token_digest(token, digest);
	e = login_commit(a, call, &lg, second, digest, &new_client);
	if (e == ERR_CREDENTIALS) {
		/* Its password changed while it was checked: a failure,
		 * counted as one. */
		e = login_failed(a, call, &lg.at, lg.su.id);
		goto out;
	}
	if (e == ERR_CODE) {
		if ((e = code_failed(a, call, &lg.at, lg.su.id)) == ERR_CODE &&
		    (e = pend(a, lg.su.id, auth_now(a) + AUTH_PENDING_TTL, NULL,
		              second)) == ERR_OK)
			e = ERR_CODE;
		goto out;
	}
	if (e == ERR_OK)
		login_done(a, call, &lg, second, new_client, token, user, sid);
out:
	/* A fault after the attempt was counted: the request changes
	 * nothing, its count included. */
	if (taken && err_is_fault(e))
		auth_throttle_release(a, call, &lg.at, true);
done:
	explicit_bzero(&lg.su, sizeof(lg.su));
	explicit_bzero(&lg.f, sizeof(lg.f));
	explicit_bzero(token, sizeof(token));
	explicit_bzero(hash, sizeof(hash));
	return e;
}

/* The pending log-in of token for the form token of second, still live,
 * and its account, which has its second factor still on; ERR_PENDING
 * when any of that fails. */
static enum err
pending_login(struct auth *a, const char *token,
              const struct auth_second *second, struct store_pending *p,
              struct login *lg)
{
	unsigned char digest[STORE_DIGEST_LEN], form[STORE_DIGEST_LEN];
	struct store *st;
	enum err e;

	if (!auth_token_shaped(token) || second == NULL ||
	    !auth_token_shaped(second->form_token))
		return ERR_PENDING;
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	auth_token_digest(token, digest);
	auth_token_digest(second->form_token, form);
	if ((e = store_pending_find(st, digest, p)) != ERR_OK)
		return e == ERR_NOT_FOUND ? ERR_PENDING : e;
	if (sodium_memcmp(p->digest, digest, sizeof(digest)) != 0 ||
	    sodium_memcmp(p->form, form, sizeof(form)) != 0 ||
	    auth_now(a) >= p->expires)
		return ERR_PENDING;
	if ((e = store_user_by_id(st, p->user_id, &lg->su)) != ERR_OK)
		return e == ERR_NOT_FOUND ? ERR_PENDING : e;
	if (lg->su.disabled)
		return ERR_PENDING;
	if ((e = auth_factor_active(st, p->user_id, &lg->f, &lg->factor)) !=
	    ERR_OK)
		return e;
	return lg->factor ? ERR_OK : ERR_PENDING;
}

enum err
auth_login_finish(struct auth *a, struct auth_call *call, const char *pending,
                  struct auth_second *second, struct auth_user *user,
                  char sid[AUTH_TOKEN_LEN + 1])
{
	unsigned char digest[STORE_DIGEST_LEN];
	char token[AUTH_TOKEN_LEN + 1] = "";
	struct store_pending p;
	struct login lg = {0};
	bool new_client = false;
	enum err e;

	if (second != NULL) {
		second->pending[0] = '\0';
		second->recovery_used = false;
	}
	if ((e = pending_login(a, pending, second, &p, &lg)) != ERR_OK)
		goto done;
	if ((e = auth_throttle_take(a, call, AUTH_COUNT_LOGIN, lg.su.email,
	                            true, &lg.at)) != ERR_OK) {
		if (e == ERR_THROTTLED)
			log_audit("login_refused_locked", lg.su.id,
			          auth_client(call));
		goto done;
	}
	/* Each attempt spends the pending log-in; another, which ends when
	 * it would have, takes its place after a wrong or missing code. */
	if (!auth_second_given(second)) {
		if ((e = auth_throttle_release(a, call, &lg.at, true)) ==
		        ERR_OK &&
		    (e = pend(a, lg.su.id, p.expires, p.digest, second)) ==
		        ERR_OK)
			e = ERR_CODE;
		goto done;
	}
	lg.pending = p.digest;
	auth_token_new(a, token);
	auth_token_digest(token, digest);
	e = login_commit(a, call, &lg, second, digest, &new_client);
	if (e == ERR_CODE) {
		if ((e = code_failed(a, call, &lg.at, lg.su.id)) == ERR_CODE &&
		    (e = pend(a, lg.su.id, p.expires, p.digest, second)) ==
		        ERR_OK)
			e = ERR_CODE;
	} else if (e == ERR_OK) {
		login_done(a, call, &lg, second, new_client, token, user, sid);
	} else {
		/* Spent meanwhile, a changed password, or a fault: the
		 * attempt changes nothing. */
		auth_throttle_release(a, call, &lg.at, true);
		if (e == ERR_CREDENTIALS)
			e = ERR_PENDING;
	}
done:
	explicit_bzero(&lg.su, sizeof(lg.su));
	explicit_bzero(&lg.f, sizeof(lg.f));
	explicit_bzero(token, sizeof(token));
	return e;
}
