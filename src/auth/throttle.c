/* throttle.c: lockouts after too many failed logins or reset requests,
 * counted per account and per client address in the store.
 *
 * An attempt is counted before the work it guards (the password hash),
 * under the write lock: however many attempts race, each takes one
 * place in the count, and those past the limit are refused without any
 * hashing. A successful login gives its place back. */
#include <stdio.h>
#include <string.h>

#include "../common/log.h"
#include "internal.h"

/* Longest key: a kind, a scope and an email or an address. */
#define KEY_MAX (16 + AUTH_EMAIL_MAX + 1)

static const char *const kind_name[] = {
    [AUTH_COUNT_LOGIN] = "login",
    [AUTH_COUNT_RESET] = "reset",
};

/* "login:account:<email, ASCII letters lower-cased>": every spelling of
 * one email counts as one account, registered or not, so a lockout says
 * nothing about which emails exist. */
static void
account_key(char *key, enum auth_count kind, const char *email)
{
	size_t i, n;

	n = (size_t)snprintf(key, KEY_MAX, "%s:account:", kind_name[kind]);
	for (i = 0; email[i] != '\0' && n + 1 < KEY_MAX; i++, n++) {
		char c = email[i];

		key[n] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	key[n] = '\0';
}

static void
addr_key(char *key, enum auth_count kind, const char *client)
{
	snprintf(key, KEY_MAX, "%s:addr:%s", kind_name[kind], client);
}

/* The counter under key as of now: a fresh one when there is none, or
 * when it is not locked and its window has passed or its lock ended. */
static enum err
current(struct store *st, const struct auth_throttle *th, const char *key,
        int64_t now, struct store_throttle *t)
{
	enum err e = store_throttle_get(st, key, t);

	if (e != ERR_OK && e != ERR_NOT_FOUND)
		return e;
	if (e == ERR_OK && t->locked_until > now)
		return ERR_OK; /* locked: the lock outlasts the window */
	if (e == ERR_NOT_FOUND || now - t->window_start >= th->window ||
	    t->locked_until != 0) {
		t->failures = 0;
		t->window_start = now;
		t->locked_until = 0;
	}
	return ERR_OK;
}

/*
 * Take a place for one attempt under key. *until is set to the end of
 * its lock when the key is locked, or becomes locked because this
 * attempt is past the limit (then *locked_now is true).
 */
static enum err
take(struct store *st, const struct auth_throttle *th, const char *key,
     int64_t limit, int64_t now, int64_t *until, bool *locked_now)
{
	struct store_throttle t;
	enum err e;

	if ((e = current(st, th, key, now, &t)) != ERR_OK)
		return e;
	if (t.locked_until > now) {
		*until = t.locked_until;
		return ERR_OK;
	}
	t.failures++;
	if (t.failures > limit) {
		t.locked_until = now + th->lockout;
		*until = t.locked_until;
		*locked_now = true;
	}
	return store_throttle_put(st, key, &t);
}

enum err
auth_throttle_take(struct auth *a, struct auth_call *call, enum auth_count kind,
                   const char *email, bool own_tx)
{
	const struct auth_throttle *th = &a->cfg.throttle;
	const char *client = auth_client(call);
	int64_t now = auth_now(a), ua = 0, ub = 0, until;
	bool lock_acct = false, lock_addr = false;
	char key[KEY_MAX];
	struct store *st;
	enum err e;

	if (th->account_limit <= 0 && (th->addr_limit <= 0 || client == NULL))
		return ERR_OK;
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	if (own_tx && (e = store_begin(st)) != ERR_OK)
		return e;
	if (th->account_limit > 0) {
		account_key(key, kind, email);
		if ((e = take(st, th, key, th->account_limit, now, &ua,
		              &lock_acct)) != ERR_OK)
			goto out;
	}
	if (th->addr_limit > 0 && client != NULL) {
		addr_key(key, kind, client);
		if ((e = take(st, th, key, th->addr_limit, now, &ub,
		              &lock_addr)) != ERR_OK)
			goto out;
	}
	if (own_tx)
		e = store_commit(st);
out:
	if (e != ERR_OK) {
		if (own_tx)
			store_rollback(st);
		return e;
	}
	if (lock_acct)
		log_audit(kind == AUTH_COUNT_LOGIN ? "lockout_account"
		                                   : "reset_lockout_account",
		          0, client);
	if (lock_addr)
		log_audit(kind == AUTH_COUNT_LOGIN ? "lockout_address"
		                                   : "reset_lockout_address",
		          0, client);
	until = ua > ub ? ua : ub;
	if (until == 0)
		return ERR_OK;
	if (call != NULL)
		call->retry_after = until - now;
	return ERR_THROTTLED;
}

/* Give back the place an attempt took under key: for an account whose
 * login succeeded, forget its count; else take one off. */
static enum err
give_back(struct store *st, const struct auth_throttle *th, const char *key,
          bool forget, int64_t now)
{
	struct store_throttle t;
	enum err e;

	if ((e = current(st, th, key, now, &t)) != ERR_OK)
		return e;
	if (t.failures == 0)
		return ERR_OK;
	/* A counter back at zero and not locked is no counter at all. */
	if (--t.failures == 0 && t.locked_until <= now)
		forget = true;
	if (forget)
		return store_throttle_delete(st, key);
	return store_throttle_put(st, key, &t);
}

enum err
auth_throttle_success(struct auth *a, struct auth_call *call,
                      enum auth_count kind, const char *email)
{
	const struct auth_throttle *th = &a->cfg.throttle;
	const char *client = auth_client(call);
	int64_t now = auth_now(a);
	char key[KEY_MAX];
	struct store *st;
	enum err e = ERR_OK;

	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	if (th->account_limit > 0) {
		account_key(key, kind, email);
		if ((e = give_back(st, th, key, true, now)) != ERR_OK)
			return e;
	}
	if (th->addr_limit > 0 && client != NULL) {
		addr_key(key, kind, client);
		e = give_back(st, th, key, false, now);
	}
	return e;
}

/* Lock key when its count has reached the limit; true in *locked_now. */
static enum err
lock_if_full(struct store *st, const struct auth_throttle *th, const char *key,
             int64_t limit, int64_t now, bool *locked_now)
{
	struct store_throttle t;
	enum err e;

	if ((e = current(st, th, key, now, &t)) != ERR_OK)
		return e;
	if (t.failures < limit || t.locked_until > now)
		return ERR_OK;
	t.locked_until = now + th->lockout;
	*locked_now = true;
	return store_throttle_put(st, key, &t);
}

enum err
auth_throttle_failed(struct auth *a, struct auth_call *call,
                     enum auth_count kind, const char *email, int64_t account)
{
	const struct auth_throttle *th = &a->cfg.throttle;
	const char *client = auth_client(call);
	bool lock_acct = false, lock_addr = false;
	int64_t now = auth_now(a);
	char key[KEY_MAX];
	struct store *st;
	enum err e;

	if (th->account_limit <= 0 && (th->addr_limit <= 0 || client == NULL))
		return ERR_OK;
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if (th->account_limit > 0) {
		account_key(key, kind, email);
		if ((e = lock_if_full(st, th, key, th->account_limit, now,
		                      &lock_acct)) != ERR_OK)
			goto out;
	}
	if (th->addr_limit > 0 && client != NULL) {
		addr_key(key, kind, client);
		if ((e = lock_if_full(st, th, key, th->addr_limit, now,
		                      &lock_addr)) != ERR_OK)
			goto out;
	}
	e = store_commit(st);
out:
	if (e != ERR_OK) {
		store_rollback(st);
		return e;
	}
	if (lock_acct)
		log_audit("lockout_account", account, client);
	if (lock_addr)
		log_audit("lockout_address", account, client);
	return ERR_OK;
}

enum err
auth_throttle_undo(struct auth *a, struct auth_call *call, enum auth_count kind,
                   const char *email)
{
	const struct auth_throttle *th = &a->cfg.throttle;
	const char *client = auth_client(call);
	int64_t now = auth_now(a);
	char key[KEY_MAX];
	struct store *st;
	enum err e;

	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if (th->account_limit > 0) {
		account_key(key, kind, email);
		if ((e = give_back(st, th, key, false, now)) != ERR_OK)
			goto out;
	}
	if (th->addr_limit > 0 && client != NULL) {
		addr_key(key, kind, client);
		if ((e = give_back(st, th, key, false, now)) != ERR_OK)
			goto out;
	}
	e = store_commit(st);
out:
	if (e != ERR_OK)
		store_rollback(st);
	return e;
}
