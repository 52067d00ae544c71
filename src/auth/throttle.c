/* throttle.c: lockouts after too many failed logins or reset requests,
 * counted per account and per client address in the store. */
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

/* Is key locked now? Sets *until when it is. */
static enum err
locked(struct store *st, const char *key, int64_t now, int64_t *until)
{
	struct store_throttle t;
	enum err e;

	e = store_throttle_get(st, key, &t);
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	if (t.locked_until > now) {
		*until = t.locked_until;
		return ERR_THROTTLED;
	}
	return ERR_OK;
}

enum err
auth_throttle_check(struct auth *a, struct auth_call *call,
                    enum auth_count kind, const char *email)
{
	const struct auth_throttle *th = &a->cfg.throttle;
	const char *client = auth_client(call);
	int64_t now = auth_now(a), until = 0, u = 0;
	char key[KEY_MAX];
	struct store *st;
	enum err e;

	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	if (th->account_limit > 0) {
		account_key(key, kind, email);
		if ((e = locked(st, key, now, &u)) == ERR_THROTTLED)
			until = u;
		else if (e != ERR_OK)
			return e;
	}
	if (th->addr_limit > 0 && client != NULL) {
		addr_key(key, kind, client);
		if ((e = locked(st, key, now, &u)) == ERR_THROTTLED) {
			if (u > until)
				until = u;
		} else if (e != ERR_OK) {
			return e;
		}
	}
	if (until == 0)
		return ERR_OK;
	if (call != NULL)
		call->retry_after = until - now;
	return ERR_THROTTLED;
}

/* Count one event under key; true in *lock when this one locks it. */
static enum err
count(struct store *st, const struct auth_throttle *th, const char *key,
      int64_t limit, int64_t now, bool *lock)
{
	struct store_throttle t;
	enum err e;

	e = store_throttle_get(st, key, &t);
	/* A new window opens when the last one has passed or a lock has
	 * ended: an ended lock starts the count afresh. */
	if (e == ERR_NOT_FOUND ||
	    (e == ERR_OK && (now - t.window_start >= th->window ||
	                     (t.locked_until != 0 && t.locked_until <= now)))) {
		t.failures = 0;
		t.window_start = now;
		t.locked_until = 0;
	} else if (e != ERR_OK) {
		return e;
	}
	t.failures++;
	*lock = t.failures >= limit && t.locked_until <= now;
	if (*lock)
		t.locked_until = now + th->lockout;
	return store_throttle_put(st, key, &t);
}

enum err
auth_throttle_count(struct auth *a, struct auth_call *call,
                    enum auth_count kind, const char *email, int64_t account)
{
	const struct auth_throttle *th = &a->cfg.throttle;
	const char *client = auth_client(call);
	int64_t now = auth_now(a);
	char key[KEY_MAX];
	struct store *st;
	bool lock_acct = false, lock_addr = false;
	enum err e;

	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	/* One transaction: concurrent failures each count exactly once. */
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if (th->account_limit > 0) {
		account_key(key, kind, email);
		if ((e = count(st, th, key, th->account_limit, now,
		               &lock_acct)) != ERR_OK)
			goto out;
	}
	if (th->addr_limit > 0 && client != NULL) {
		addr_key(key, kind, client);
		if ((e = count(st, th, key, th->addr_limit, now, &lock_addr)) !=
		    ERR_OK)
			goto out;
	}
	e = store_commit(st);
out:
	if (e != ERR_OK) {
		store_rollback(st);
		return e;
	}
	if (lock_acct)
		log_audit(kind == AUTH_COUNT_LOGIN ? "lockout_account"
		                                   : "reset_lockout_account",
		          account, client);
	if (lock_addr)
		log_audit(kind == AUTH_COUNT_LOGIN ? "lockout_address"
		                                   : "reset_lockout_address",
		          account, client);
	return ERR_OK;
}

enum err
auth_throttle_clear(struct auth *a, enum auth_count kind, const char *email)
{
	struct store_throttle t;
	char key[KEY_MAX];
	struct store *st;
	enum err e;

	if (a->cfg.throttle.account_limit <= 0)
		return ERR_OK;
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	account_key(key, kind, email);
	/* Look first: most logins have nothing to clear, and a read takes
	 * no write lock. */
	e = store_throttle_get(st, key, &t);
	if (e == ERR_NOT_FOUND)
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	return store_throttle_delete(st, key);
}
