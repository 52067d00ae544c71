/* factor.c: the second factor of an account: checking what a request
 * shows for it, setting it up, confirming it, turning it off, its
 * recovery codes. The codes themselves are totp.c's. */
#include <string.h>

#include <sodium.h>

#include "../common/log.h"
#include "internal.h"

bool
auth_second_given(const struct auth_second *second)
{
	return second != NULL &&
	       ((second->code != NULL && second->code[0] != '\0') ||
	        (second->recovery_code != NULL &&
	         second->recovery_code[0] != '\0'));
}

enum err
auth_factor_active(struct store *st, int64_t uid, struct store_factor *f,
                   bool *active)
{
	enum err e = store_factor_get(st, uid, f);

	*active = e == ERR_OK && f->active;
	return e == ERR_NOT_FOUND ? ERR_OK : e;
}

/* Is code a current code of the sealed secret f, of a later time step
 * than the last one used? On ERR_OK *step is its step. */
static enum err
code_check(struct auth *a, const struct store_factor *f, const char *code,
           int64_t *step)
{
	unsigned char secret[AUTH_TOTP_KEY_LEN];
	enum err e;

	if ((e = auth_totp_open(a, f->sealed, f->sealed_len, secret)) != ERR_OK)
		return e;
	e = auth_totp_verify(a, secret, code, f->last_step, step);
	sodium_memzero(secret, sizeof(secret));
	return e == ERR_CREDENTIALS ? ERR_CODE : e;
}

enum err
auth_factor_pass(struct auth *a, struct store *st, int64_t uid,
                 const struct store_factor *f, struct auth_second *second)
{
	char digest[AUTH_DIGEST_HEX + 1];
	int64_t step = 0;
	enum err e;

	if (!auth_second_given(second))
		return ERR_CODE;
	if (second->code != NULL && second->code[0] != '\0') {
		if ((e = code_check(a, f, second->code, &step)) != ERR_OK)
			return e;
		/* Conditional on the last step, under the write lock: of
		 * two requests with one code, one wins. */
		e = store_factor_use(st, uid, step);
		return e == ERR_NOT_FOUND ? ERR_CODE : e;
	}
	if ((e = auth_recovery_digest(a, second->recovery_code, digest)) !=
	    ERR_OK)
		return e == ERR_CREDENTIALS ? ERR_CODE : e;
	if ((e = store_recovery_use(st, uid, digest)) == ERR_OK)
		second->recovery_used = true;
	return e == ERR_NOT_FOUND ? ERR_CODE : e;
}

enum err
auth_totp_begin(struct auth *a, struct auth_call *call, const char *sid,
                const char *password, struct auth_totp_setup *out)
{
	unsigned char secret[AUTH_TOTP_KEY_LEN], sealed[AUTH_TOTP_SEALED_LEN];
	struct store_factor f;
	struct store_user su;
	bool active;
	enum err e;

	if ((e = auth_session_account(a, sid, NULL, &su)) != ERR_OK)
		return e;
	auth_totp_secret_new(secret);
	if ((e = auth_check_current(a, call, &su, password, NULL, false)) !=
	        ERR_OK ||
	    (e = auth_factor_active(a->st, su.id, &f, &active)) != ERR_OK)
		goto out;
	if (active) {
		e = ERR_FACTOR_ON;
		goto out;
	}
	if ((e = auth_totp_base32(secret, out->secret)) != ERR_OK ||
	    (e = auth_totp_uri(a, su.email, out->secret, out->uri,
	                       sizeof(out->uri))) != ERR_OK ||
	    (e = auth_totp_seal(a, secret, sealed)) != ERR_OK)
		goto out;
	/* Replaces one that waited: only the newest secret shown counts. */
	if ((e = store_factor_put(a->st, su.id, sealed, sizeof(sealed),
	                          auth_now(a) + AUTH_SETUP_TTL)) != ERR_OK)
		goto out;
	log_audit("totp_setup", su.id, auth_client(call));
	auth_user_of(&su, &out->user);
out:
	if (e != ERR_OK)
		sodium_memzero(out, sizeof(*out));
	sodium_memzero(secret, sizeof(secret));
	explicit_bzero(su.hash, sizeof(su.hash));
	explicit_bzero(&f, sizeof(f));
	return e;
}

/* In the caller's transaction, new recovery codes for account uid into
 * out, replacing the old ones. */
static enum err
recovery_make(struct auth *a, struct store *st, int64_t uid,
              struct auth_recovery_codes *out)
{
	char digests[AUTH_RECOVERY_CODES][AUTH_DIGEST_HEX + 1];
	const char *list[AUTH_RECOVERY_CODES];
	enum err e = ERR_OK;
	size_t i;

	for (i = 0; e == ERR_OK && i < AUTH_RECOVERY_CODES; i++) {
		auth_recovery_new(out->code[i]);
		e = auth_recovery_digest(a, out->code[i], digests[i]);
		list[i] = digests[i];
	}
	if (e == ERR_OK)
		e = store_recovery_set(st, uid, list, AUTH_RECOVERY_CODES);
	if (e != ERR_OK)
		sodium_memzero(out->code, sizeof(out->code));
	return e;
}

/* A failed code of a signed-in account: counted like a wrong password,
 * under its email. */
static enum err
code_failure(struct auth *a, struct auth_call *call,
             const struct store_user *su, const char *event)
{
	struct auth_attempt at;
	enum err e;

	log_audit(event, su->id, auth_client(call));
	if ((e = auth_throttle_check(a, call, AUTH_COUNT_LOGIN, su->email, true,
	                             &at)) == ERR_OK &&
	    (e = auth_throttle_failed(a, call, &at, su->id, true)) == ERR_OK)
		e = ERR_CODE;
	return e;
}

enum err
auth_totp_confirm(struct auth *a, struct auth_call *call, const char *sid,
                  const char *code, struct auth_recovery_codes *out)
{
	struct store_session s;
	struct auth_attempt at;
	struct store_factor f;
	struct store_user su;
	struct store *st;
	int64_t step = 0;
	enum err e;

	if ((e = auth_session_account(a, sid, &s, &su)) != ERR_OK)
		return e;
	explicit_bzero(su.hash, sizeof(su.hash));
	st = a->st;
	e = store_factor_get(st, su.id, &f);
	if (e == ERR_NOT_FOUND || (e == ERR_OK && f.active) ||
	    (e == ERR_OK && auth_now(a) >= f.expires))
		e = ERR_FACTOR_OFF;
	if (e != ERR_OK)
		goto out;
	/* Locked by wrong codes or passwords: not even checked. */
	if ((e = auth_throttle_check(a, call, AUTH_COUNT_LOGIN, su.email, true,
	                             &at)) != ERR_OK)
		goto out;
	if ((e = code_check(a, &f, code, &step)) == ERR_CODE) {
		e = code_failure(a, call, &su, "totp_confirm_failure");
		goto out;
	}
	if (e != ERR_OK || (e = store_begin(st)) != ERR_OK)
		goto out;
	/* Activated only if it is still the secret that was checked. */
	if ((e = store_factor_activate(st, su.id, step)) != ERR_OK ||
	    (e = recovery_make(a, st, su.id, out)) != ERR_OK ||
	    (e = store_session_set_factor(st, s.digest)) != ERR_OK ||
	    (e = store_commit(st)) != ERR_OK) {
		store_rollback(st);
		if (e == ERR_NOT_FOUND)
			e = ERR_FACTOR_OFF;
		goto out;
	}
	log_audit("totp_on", su.id, auth_client(call));
	auth_notice(a, AUTH_MAIL_FACTOR, su.email,
	            "was turned on: log-ins now ask for a one-time code");
	auth_user_of(&su, &out->user);
out:
	explicit_bzero(&f, sizeof(f));
	return e;
}

/* The start of a change to an active factor: the account of sid, its
 * password and second checked, the factor on (ERR_FACTOR_OFF). */
static enum err
factor_change(struct auth *a, struct auth_call *call, const char *sid,
              const char *password, struct auth_second *second,
              struct store_user *su)
{
	struct store_factor f;
	bool active;
	enum err e;

	if ((e = auth_session_account(a, sid, NULL, su)) != ERR_OK)
		return e;
	if ((e = auth_check_current(a, call, su, password, second, true)) ==
	        ERR_OK &&
	    (e = auth_factor_active(a->st, su->id, &f, &active)) == ERR_OK &&
	    !active)
		e = ERR_FACTOR_OFF;
	explicit_bzero(su->hash, sizeof(su->hash));
	explicit_bzero(&f, sizeof(f));
	return e;
}

enum err
auth_totp_disable(struct auth *a, struct auth_call *call, const char *sid,
                  const char *password, struct auth_second *second,
                  struct auth_user *user)
{
	struct store_user su;
	enum err e;

	if ((e = factor_change(a, call, sid, password, second, &su)) !=
	        ERR_OK ||
	    (e = store_factor_delete(a->st, su.id)) != ERR_OK)
		return e;
	log_audit("totp_off", su.id, auth_client(call));
	auth_notice(a, AUTH_MAIL_FACTOR, su.email,
	            "was turned off: log-ins ask for the password alone");
	auth_user_of(&su, user);
	return ERR_OK;
}

enum err
auth_recovery_renew(struct auth *a, struct auth_call *call, const char *sid,
                    const char *password, struct auth_second *second,
                    struct auth_recovery_codes *out)
{
	struct store_user su;
	enum err e;

	if ((e = factor_change(a, call, sid, password, second, &su)) != ERR_OK)
		return e;
	if ((e = store_begin(a->st)) != ERR_OK)
		return e;
	if ((e = recovery_make(a, a->st, su.id, out)) != ERR_OK ||
	    (e = store_commit(a->st)) != ERR_OK) {
		store_rollback(a->st);
		return e;
	}
	log_audit("recovery_codes_new", su.id, auth_client(call));
	auth_notice(a, AUTH_MAIL_FACTOR, su.email,
	            "has new recovery codes: the old ones no longer work");
	auth_user_of(&su, &out->user);
	return ERR_OK;
}

enum err
auth_totp_reset(struct auth *a, const char *email)
{
	struct store_factor f;
	struct store_user su;
	struct store *st;
	bool active;
	enum err e;

	if ((e = auth_store(a, &st)) != ERR_OK ||
	    (e = store_user_by_email(st, email, &su)) != ERR_OK)
		return e;
	explicit_bzero(su.hash, sizeof(su.hash));
	if ((e = auth_factor_active(st, su.id, &f, &active)) != ERR_OK)
		return e;
	explicit_bzero(&f, sizeof(f));
	if (!active)
		return ERR_FACTOR_OFF;
	if ((e = store_factor_delete(st, su.id)) != ERR_OK)
		return e;
	log_audit("totp_reset_admin", su.id, NULL);
	auth_notice(a, AUTH_MAIL_FACTOR, su.email,
	            "was turned off by the service's operator: log-ins ask"
	            " for the password alone until it is set up again");
	return ERR_OK;
}
