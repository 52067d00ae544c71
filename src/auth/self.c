/* self.c: what the holder of a live session does to its own account:
 * see it and its sessions, end a session, change the password or the
 * email, delete it. A change that takes the account's password checks
 * that first, as a log-in would (authorise, then validate). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "../common/log.h"
#include "internal.h"

enum err
auth_session_account(struct auth *a, const char *sid, struct store_session *s,
                     struct store_user *su)
{
	struct store_session own;
	enum err e;

	if (s == NULL)
		s = &own;
	if ((e = auth_session_live(a, NULL, sid, s, NULL, NULL)) != ERR_OK)
		return e;
	e = store_user_by_id(a->st, s->user_id, su);
	return e == ERR_NOT_FOUND ? ERR_NO_SESSION : e;
}

/* Does second pass the active factor f of su, in a transaction of its
 * own (a code is spent even if the change it allows then fails)?
 * ERR_CODE when not: *wrong when it held a wrong code, which counts as
 * a failure, not when it held none. */
static enum err
second_check(struct auth *a, struct auth_call *call,
             const struct store_user *su, const struct store_factor *f,
             struct auth_second *second, bool *wrong)
{
	enum err e;

	*wrong = false;
	if (!auth_second_given(second))
		return ERR_CODE;
	if ((e = store_begin(a->st)) != ERR_OK)
		return e;
	if ((e = auth_factor_pass(a, a->st, su->id, f, second)) != ERR_OK ||
	    (e = store_commit(a->st)) != ERR_OK) {
		store_rollback(a->st);
		*wrong = e == ERR_CODE;
		if (*wrong)
			log_audit("code_check_failure", su->id,
			          auth_client(call));
	}
	return e;
}

/*
 * Is password the current password of su? Counted like a log-in, under
 * the account's email: a locked account or address is ERR_THROTTLED
 * before any hash, every password costs the same hash (one too long to
 * be anyone's is hashed as "" instead), and a wrong one is a failure
 * toward the lockout (ERR_WRONG_PW). With with_factor and the account's
 * second factor on, second must pass it too: a missing one is ERR_CODE,
 * a wrong one ERR_CODE and a failure. Success gives the attempt's place
 * back.
 */
enum err
auth_check_current(struct auth *a, struct auth_call *call,
                   const struct store_user *su, const char *password,
                   struct auth_second *second, bool with_factor)
{
	struct auth_attempt at;
	struct store_factor f;
	bool match = false, active = false, wrong = false;
	enum err e, r;

	e = auth_throttle_take(a, call, AUTH_COUNT_LOGIN, su->email, true, &at);
	if (e == ERR_THROTTLED)
		log_audit("password_check_refused_locked", su->id,
		          auth_client(call));
	if (e != ERR_OK)
		return e;
	if (strlen(password) > auth_password_max(a))
		e = auth_verify_dummy(a, password);
	else
		e = auth_verify_password(password, su->hash, &match);
	/* bcrypt reads 72 bytes: see auth_login(). */
	if (strncmp(su->hash, "$2", 2) == 0 && strlen(password) > 72)
		match = false;
	if (e == ERR_OK && !match) {
		log_audit("password_check_failure", su->id, auth_client(call));
		e = auth_throttle_failed(a, call, &at, su->id, true);
		return e != ERR_OK ? e : ERR_WRONG_PW;
	}
	if (e == ERR_OK && with_factor)
		e = auth_factor_active(a->st, su->id, &f, &active);
	if (e == ERR_OK && active)
		e = second_check(a, call, su, &f, second, &wrong);
	explicit_bzero(&f, sizeof(f));
	if (wrong) {
		e = auth_throttle_failed(a, call, &at, su->id, true);
		return e != ERR_OK ? e : ERR_CODE;
	}
	r = auth_throttle_release(a, call, &at, true);
	return e != ERR_OK ? e : r;
}

enum err
auth_password_change(struct auth *a, struct auth_call *call, const char *sid,
                     const char *password, struct auth_second *second,
                     const char *new_password, struct auth_user *user)
{
	char hash[STORE_HASH_MAX + 1] = "";
	enum auth_pw_problem why;
	struct store_session s;
	struct store_user su;
	struct store *st;
	enum err e;

	if ((e = auth_session_account(a, sid, &s, &su)) != ERR_OK)
		return e;
	st = a->st;
	if ((e = auth_check_current(a, call, &su, password, second, true)) !=
	        ERR_OK ||
	    (e = auth_check_password(a, new_password, &why)) != ERR_OK ||
	    (e = auth_hash_password(a, new_password, hash)) != ERR_OK)
		goto out;
	if ((e = store_begin(st)) != ERR_OK)
		goto out;
	/* A change that committed since the check wins: this one is then
	 * a wrong password. */
	if ((e = auth_hash_unchanged(st, &su)) != ERR_OK ||
	    (e = store_user_set_hash(st, su.id, hash)) != ERR_OK ||
	    (e = store_session_delete_others(st, su.id, s.digest)) != ERR_OK ||
	    (e = store_reset_delete(st, su.id)) != ERR_OK ||
	    (e = store_pending_delete_user(st, su.id)) != ERR_OK ||
	    (e = store_commit(st)) != ERR_OK) {
		store_rollback(st);
		if (e == ERR_CREDENTIALS)
			e = ERR_WRONG_PW;
		goto out;
	}
	log_audit("password_change", su.id, auth_client(call));
	auth_notice(a, AUTH_MAIL_PASSWORD, su.email, NULL);
	auth_user_of(&su, user);
out:
	explicit_bzero(su.hash, sizeof(su.hash));
	explicit_bzero(hash, sizeof(hash));
	return e;
}

/* The live sessions of account uid into out, the one of digest current
 * marked. */
static enum err
list_sessions(struct auth *a, int64_t uid, const unsigned char *current,
              struct auth_account *out)
{
	struct store_session_row *rows;
	int64_t now = auth_now(a);
	size_t i, n = 0;
	enum err e;

	if ((rows = calloc(AUTH_SESSIONS_MAX, sizeof(*rows))) == NULL)
		return ERR_NOMEM;
	e = store_session_list(a->st, uid, now - a->cfg.session_idle,
	                       now - a->cfg.session_max, rows,
	                       AUTH_SESSIONS_MAX, &n);
	for (i = 0; e == ERR_OK && i < n; i++) {
		struct auth_session_info *si = &out->sessions[i];

		memcpy(si->id, rows[i].public_id, sizeof(si->id));
		si->created = rows[i].created;
		si->last_seen = rows[i].last_seen;
		memcpy(si->client, rows[i].client, sizeof(si->client));
		memcpy(si->user_agent, rows[i].user_agent,
		       sizeof(si->user_agent));
		si->current =
		    current != NULL && sodium_memcmp(rows[i].digest, current,
		                                     STORE_DIGEST_LEN) == 0;
	}
	out->nsessions = e == ERR_OK ? n : 0;
	free(rows);
	return e;
}

/* Fill out with su, its sessions and its pending address. */
static enum err
account_view(struct auth *a, const struct store_user *su,
             const unsigned char *current, struct auth_account *out)
{
	struct store_factor f;
	struct store_link l;
	bool active;
	enum err e;

	memset(out, 0, sizeof(*out));
	auth_user_of(su, &out->user);
	if ((e = list_sessions(a, su->id, current, out)) != ERR_OK ||
	    (e = auth_factor_active(a->st, su->id, &f, &active)) != ERR_OK)
		return e;
	explicit_bzero(&f, sizeof(f));
	out->second_factor = active;
	if (active && (e = store_recovery_count(a->st, su->id,
	                                        &out->recovery_left)) != ERR_OK)
		return e;
	e = store_link_get(a->st, su->id, &l);
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e == ERR_OK && auth_now(a) < l.expires &&
	    strcmp(l.email, su->email) != 0)
		memcpy(out->pending_email, l.email, sizeof(out->pending_email));
	return e;
}

enum err
auth_account_get(struct auth *a, struct auth_call *call, const char *sid,
                 struct auth_account *out)
{
	struct store_session s;
	struct store_user su;
	enum err e;

	(void)call;
	if ((e = auth_session_account(a, sid, &s, &su)) != ERR_OK)
		return e;
	explicit_bzero(su.hash, sizeof(su.hash));
	return account_view(a, &su, s.digest, out);
}

enum err
auth_account_of(struct auth *a, const char *email, struct auth_account *out)
{
	struct store_user su;
	struct store *st;
	enum err e;

	if ((e = auth_store(a, &st)) != ERR_OK ||
	    (e = store_user_by_email(st, email, &su)) != ERR_OK)
		return e;
	explicit_bzero(su.hash, sizeof(su.hash));
	return account_view(a, &su, NULL, out);
}

/* Is id shaped like a public id (lowercase hex)? */
static bool
public_id_shaped(const char *id)
{
	return id != NULL && strlen(id) == AUTH_PUBLIC_ID_LEN &&
	       strspn(id, "0123456789abcdef") == AUTH_PUBLIC_ID_LEN;
}

enum err
auth_session_end(struct auth *a, struct auth_call *call, const char *sid,
                 const char *id, bool *current)
{
	struct store_session s, still;
	enum err e;

	if ((e = auth_session_live(a, call, sid, &s, NULL, NULL)) != ERR_OK)
		return e;
	if (!public_id_shaped(id))
		return ERR_SESSION_ID;
	e = store_session_delete_public(a->st, s.user_id, id);
	if (e == ERR_NOT_FOUND)
		return ERR_SESSION_ID;
	if (e != ERR_OK)
		return e;
	e = store_session_find(a->st, s.digest, &still);
	if (e != ERR_OK && e != ERR_NOT_FOUND)
		return e;
	*current = e == ERR_NOT_FOUND;
	log_audit("session_ended", s.user_id, auth_client(call));
	return ERR_OK;
}

/* Is new_email free for account su (its own, in another case, is)? In
 * the caller's transaction; a taken one counts against the caller's
 * address as at registration, and a locked address is ERR_THROTTLED. */
static enum err
email_free(struct auth *a, struct auth_call *call, struct store *st,
           const struct store_user *su, const char *new_email)
{
	struct auth_attempt at;
	struct store_user other;
	enum err e;

	e = auth_throttle_check(a, call, AUTH_COUNT_REGISTER, new_email, false,
	                        &at);
	if (e != ERR_OK)
		return e;
	e = store_user_by_email(st, new_email, &other);
	explicit_bzero(other.hash, sizeof(other.hash));
	if (e == ERR_NOT_FOUND || (e == ERR_OK && other.id == su->id))
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	if ((e = auth_throttle_failed(a, call, &at, 0, false)) != ERR_OK)
		return e;
	log_audit("email_change_exists", su->id, auth_client(call));
	return ERR_EXISTS;
}

enum err
auth_email_change(struct auth *a, struct auth_call *call, const char *sid,
                  const char *password, struct auth_second *second,
                  const char *new_email, struct auth_user *user, bool *pending)
{
	char token[AUTH_TOKEN_LEN + 1] = "";
	bool confirm = a->cfg.deliver_command != NULL;
	struct store_user su;
	struct store *st;
	enum err e, c;

	if ((e = auth_session_account(a, sid, NULL, &su)) != ERR_OK)
		return e;
	st = a->st;
	if ((e = auth_check_current(a, call, &su, password, second, true)) !=
	        ERR_OK ||
	    (e = auth_check_email(new_email)) != ERR_OK ||
	    (e = store_begin(st)) != ERR_OK)
		goto out;
	e = email_free(a, call, st, &su, new_email);
	/* With mail, a link to the new address; without, the change now,
	 * and the reset token mailed to the old address goes with it. */
	if (e == ERR_OK && confirm)
		e = auth_link_make(a, st, su.id, new_email, token);
	else if (e == ERR_OK &&
	         (e = store_user_set_email(st, su.id, new_email)) == ERR_OK &&
	         (e = store_link_delete(st, su.id)) == ERR_OK)
		e = store_reset_delete(st, su.id);
	/* A refusal keeps its count and lock; a fault, nothing. */
	if (e == ERR_OK || e == ERR_EXISTS || e == ERR_THROTTLED) {
		if ((c = store_commit(st)) != ERR_OK)
			e = c;
	}
	if (e != ERR_OK) {
		store_rollback(st);
		goto out;
	}
	auth_user_of(&su, user);
	*pending = confirm;
	if (confirm) {
		log_audit("email_change_request", su.id, auth_client(call));
		if (auth_mail_send(a, AUTH_MAIL_EMAIL_CONFIRM, new_email, token,
		                   NULL, true) != ERR_OK)
			log_error("deliver: an email-change link was not handed"
			          " on");
	} else {
		log_audit("email_change", su.id, auth_client(call));
		memcpy(user->email, new_email, strlen(new_email) + 1);
	}
out:
	explicit_bzero(su.hash, sizeof(su.hash));
	explicit_bzero(token, sizeof(token));
	return e;
}

enum err
auth_account_delete(struct auth *a, struct auth_call *call, const char *sid,
                    const char *password, struct auth_second *second,
                    struct auth_user *user)
{
	struct store_user su;
	enum err e;

	if ((e = auth_session_account(a, sid, NULL, &su)) != ERR_OK)
		return e;
	if ((e = auth_check_current(a, call, &su, password, second, true)) !=
	    ERR_OK)
		goto out;
	if ((e = store_user_delete(a->st, su.id)) == ERR_NOT_FOUND)
		e = ERR_NO_SESSION;
	if (e != ERR_OK)
		goto out;
	log_audit("account_deleted", su.id, auth_client(call));
	auth_notice(a, AUTH_MAIL_DELETED, su.email, NULL);
	auth_user_of(&su, user);
out:
	explicit_bzero(su.hash, sizeof(su.hash));
	return e;
}
