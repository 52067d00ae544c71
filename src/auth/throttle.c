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

/* What to do to each counter of an attempt. */
enum op {
	OP_TAKE,    /* take a place; lock when past the limit */
	OP_FAILED,  /* lock when the count has reached the limit */
	OP_SUCCESS, /* forget the account's count, give the address its place */
	OP_UNDO,    /* give the place back everywhere */
};

/* The account's counter and the address's: [0] and [1]. */
struct counters {
	int64_t until[2];   /* with OP_TAKE: end of a lock, 0 if none */
	bool locked_now[2]; /* this call locked it */
};

/*
 * Apply op to the counters of kind for the account of email and for the
 * caller's address (each only when its limit is on), in a transaction
 * of its own when own_tx, else in the caller's.
 */
static enum err
apply(struct auth *a, struct auth_call *call, enum auth_count kind,
      const char *email, enum op op, bool own_tx, struct counters *c)
{
	const struct auth_throttle *th = &a->cfg.throttle;
	const char *client = auth_client(call);
	const int64_t limit[2] = {th->account_limit, th->addr_limit};
	int64_t now = auth_now(a);
	char key[KEY_MAX];
	struct store *st;
	enum err e = ERR_OK;
	int i;

	memset(c, 0, sizeof(*c));
	if (limit[0] <= 0 && (limit[1] <= 0 || client == NULL))
		return ERR_OK;
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	if (own_tx && (e = store_begin(st)) != ERR_OK)
		return e;
	for (i = 0; i < 2 && e == ERR_OK; i++) {
		if (limit[i] <= 0 || (i == 1 && client == NULL))
			continue;
		if (i == 0)
			account_key(key, kind, email);
		else
			addr_key(key, kind, client);
		switch (op) {
		case OP_TAKE:
			e = take(st, th, key, limit[i], now, &c->until[i],
			         &c->locked_now[i]);
			break;
		case OP_FAILED:
			e = lock_if_full(st, th, key, limit[i], now,
			                 &c->locked_now[i]);
			break;
		case OP_SUCCESS:
		case OP_UNDO:
			e = give_back(st, th, key, op == OP_SUCCESS && i == 0,
			              now);
			break;
		}
	}
	if (own_tx) {
		if (e == ERR_OK)
			e = store_commit(st);
		if (e != ERR_OK)
			store_rollback(st);
	}
	return e;
}

/* Log the locks this call set. */
static void
audit_locks(const struct counters *c, enum auth_count kind, int64_t account,
            const char *client)
{
	static const char *const events[2][2] = {
	    [AUTH_COUNT_LOGIN] = {"lockout_account", "lockout_address"},
	    [AUTH_COUNT_RESET] = {"reset_lockout_account",
	                          "reset_lockout_address"},
	};
	int i;

	for (i = 0; i < 2; i++)
		if (c->locked_now[i])
			log_audit(events[kind][i], account, client);
}

enum err
auth_throttle_take(struct auth *a, struct auth_call *call, enum auth_count kind,
                   const char *email, bool own_tx)
{
	struct counters c;
	int64_t until;
	enum err e;

	if ((e = apply(a, call, kind, email, OP_TAKE, own_tx, &c)) != ERR_OK)
		return e;
	audit_locks(&c, kind, 0, auth_client(call));
	until = c.until[0] > c.until[1] ? c.until[0] : c.until[1];
	if (until == 0)
		return ERR_OK;
	if (call != NULL)
		call->retry_after = until - auth_now(a);
	return ERR_THROTTLED;
}

enum err
auth_throttle_failed(struct auth *a, struct auth_call *call,
                     enum auth_count kind, const char *email, int64_t account)
{
	struct counters c;
	enum err e;

	if ((e = apply(a, call, kind, email, OP_FAILED, true, &c)) == ERR_OK)
		audit_locks(&c, kind, account, auth_client(call));
	return e;
}

enum err
auth_throttle_success(struct auth *a, struct auth_call *call,
                      enum auth_count kind, const char *email)
{
	struct counters c;

	return apply(a, call, kind, email, OP_SUCCESS, false, &c);
}

enum err
auth_throttle_undo(struct auth *a, struct auth_call *call, enum auth_count kind,
                   const char *email)
{
	struct counters c;

	return apply(a, call, kind, email, OP_UNDO, true, &c);
}
