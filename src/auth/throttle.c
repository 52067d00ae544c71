/* throttle.c: lockouts after too many failed logins, reset requests or
 * registrations of taken emails, counted per account and per client
 * address in the store.
 *
 * A sliding window: every failure is kept as one event with its time, and
 * an attempt is refused when its account (or address) already has its
 * limit of failures in the last `window` seconds. So no span of `window`
 * seconds ever holds more than the limit of checked failures, wherever an
 * attacker puts them; a counter that restarts every `window` seconds
 * would allow twice the limit across a restart. (A token bucket or a
 * decaying counter would too: both let a full burst follow a full
 * refill.) The price is one row per failure, removed by `purge` once it
 * is out of the window.
 *
 * An attempt is counted before the work it guards (the password hash),
 * under the write lock: however many attempts race, each takes one place
 * in the count, and those past the limit are refused without any
 * hashing. A success, or a fault that decided nothing, gives its place
 * back; a failure keeps it.
 *
 * Keys are keyed digests (secret.c) of the email, lower-cased, and of
 * the address: the database never holds an email as someone typed it,
 * nor whether it belongs to an account. */
#include <stdio.h>
#include <string.h>

#include "../common/log.h"
#include "internal.h"

/* "login:account:" and a digest. */
#define KEY_MAX (32 + AUTH_DIGEST_HEX + 1)

/* Which counts an attempt of each kind takes a place in: [0] the
 * account's, [1] the address's, under the key's kind name. */
static const struct {
	const char *name;
	bool account;
} kinds[] = {
    [AUTH_COUNT_LOGIN] = {"login", true},
    [AUTH_COUNT_RESET] = {"reset", true},
    [AUTH_COUNT_REGISTER] = {"login", false},
    [AUTH_COUNT_LINK] = {"link", true},
};

/* The key of the account of email for kind: every spelling of one email
 * is one account, registered or not, so a lockout says nothing about
 * which emails exist. */
static enum err
account_key(struct auth *a, char *key, enum auth_count kind, const char *email)
{
	char lower[AUTH_EMAIL_MAX + 1], d[AUTH_DIGEST_HEX + 1];
	size_t i;
	enum err e;

	for (i = 0; i < AUTH_EMAIL_MAX && email[i] != '\0'; i++) {
		char c = email[i];

		lower[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	lower[i] = '\0';
	e = auth_keyed_digest(a, "account", lower, d);
	explicit_bzero(lower, sizeof(lower));
	if (e == ERR_OK)
		snprintf(key, KEY_MAX, "%s:account:%s", kinds[kind].name, d);
	return e;
}

static enum err
addr_key(struct auth *a, char *key, enum auth_count kind, const char *client)
{
	char d[AUTH_DIGEST_HEX + 1];
	enum err e;

	if ((e = auth_keyed_digest(a, "address", client, d)) == ERR_OK)
		snprintf(key, KEY_MAX, "%s:addr:%s", kinds[kind].name, d);
	return e;
}

/* What to do to each count of an attempt. */
enum op {
	OP_CHECK,   /* refuse (and lock) when full or locked */
	OP_TAKE,    /* the same, then take a place */
	OP_FAILED,  /* keep the place (or take one now); lock when the
	               count is now full */
	OP_RELEASE, /* give the place back */
};

/* The account's count and the address's: [0] and [1]. */
struct counters {
	int64_t until[2];   /* with OP_TAKE: end of a lock, 0 if none */
	bool locked_now[2]; /* this call locked it */
};

/*
 * Is the count under key (whose limit is limit) full? *until is the end
 * of its lock when it is locked, or full and locked now (then
 * *locked_now is true); 0 when it has room.
 */
static enum err
check_one(struct auth *a, struct store *st, const char *key, int64_t limit,
          int64_t *until, bool *locked_now)
{
	const struct auth_throttle *th = &a->cfg.throttle;
	int64_t now = auth_now(a), lock = 0, n = 0;
	enum err e;

	*until = 0;
	if ((e = store_lock_get(st, key, &lock)) != ERR_OK)
		return e;
	if (lock > now) {
		*until = lock;
		return ERR_OK;
	}
	/* The failures of the last `window` seconds, this one included. */
	if ((e = store_throttle_count(st, key, now - th->window + 1, &n)) !=
	    ERR_OK)
		return e;
	if (n < limit)
		return ERR_OK;
	*until = now + th->lockout;
	*locked_now = true;
	return store_lock_put(st, key, *until);
}

/*
 * Apply op to the counts of at's kind for its account and for the
 * caller's address (each only when its limit is on), in a transaction of
 * its own when own_tx, else in the caller's. OP_TAKE takes a place in
 * both only when neither is full: an attempt refused for one count is
 * not counted in the other.
 */
static enum err
apply(struct auth *a, struct auth_call *call, const struct auth_attempt *at,
      enum op op, bool own_tx, struct counters *c)
{
	const struct auth_throttle *th = &a->cfg.throttle;
	const char *client = auth_client(call);
	int64_t limit[2] = {th->account_limit, th->addr_limit};
	char key[2][KEY_MAX];
	struct store *st;
	enum err e = ERR_OK;
	bool refused = false;
	int i;

	memset(c, 0, sizeof(*c));
	if (!kinds[at->kind].account)
		limit[0] = 0;
	if (client == NULL)
		limit[1] = 0;
	if (limit[0] <= 0 && limit[1] <= 0)
		return ERR_OK;
	for (i = 0; i < 2 && e == ERR_OK; i++)
		if (limit[i] > 0)
			e = i == 0 ? account_key(a, key[0], at->kind, at->email)
			           : addr_key(a, key[1], at->kind, client);
	if (e != ERR_OK || (e = auth_store(a, &st)) != ERR_OK)
		return e;
	if (own_tx && (e = store_begin(st)) != ERR_OK)
		return e;
	for (i = 0; i < 2 && e == ERR_OK; i++) {
		if (limit[i] <= 0)
			continue;
		if (op == OP_RELEASE) {
			e = store_throttle_remove(st, key[i], at->at);
			continue;
		}
		if (op == OP_FAILED && !at->counted)
			e = store_throttle_add(st, key[i], at->at);
		if (e == ERR_OK)
			e = check_one(a, st, key[i], limit[i], &c->until[i],
			              &c->locked_now[i]);
		refused = refused || c->until[i] != 0;
	}
	for (i = 0; op == OP_TAKE && !refused && i < 2 && e == ERR_OK; i++)
		if (limit[i] > 0)
			e = store_throttle_add(st, key[i], at->at);
	if (op != OP_TAKE && op != OP_CHECK)
		memset(c->until, 0, sizeof(c->until));
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
	static const char *const events[][2] = {
	    [AUTH_COUNT_LOGIN] = {"lockout_account", "lockout_address"},
	    [AUTH_COUNT_RESET] = {"reset_lockout_account",
	                          "reset_lockout_address"},
	    [AUTH_COUNT_REGISTER] = {"lockout_account", "lockout_address"},
	    [AUTH_COUNT_LINK] = {"link_lockout_account",
	                         "link_lockout_address"},
	};
	int i;

	for (i = 0; i < 2; i++)
		if (c->locked_now[i])
			log_audit(events[kind][i], account, client);
}

/* auth_throttle_take() and auth_throttle_check(). */
static enum err
begin_attempt(struct auth *a, struct auth_call *call, enum auth_count kind,
              const char *email, bool own_tx, struct auth_attempt *at,
              enum op op)
{
	struct counters c;
	int64_t until;
	enum err e;

	at->kind = kind;
	at->email = email;
	at->at = auth_now(a);
	at->counted = false;
	if ((e = apply(a, call, at, op, own_tx, &c)) != ERR_OK)
		return e;
	audit_locks(&c, kind, 0, auth_client(call));
	until = c.until[0] > c.until[1] ? c.until[0] : c.until[1];
	if (until == 0) {
		at->counted = op == OP_TAKE;
		return ERR_OK;
	}
	if (call != NULL)
		call->retry_after = until - auth_now(a);
	return ERR_THROTTLED;
}

enum err
auth_throttle_take(struct auth *a, struct auth_call *call, enum auth_count kind,
                   const char *email, bool own_tx, struct auth_attempt *at)
{
	return begin_attempt(a, call, kind, email, own_tx, at, OP_TAKE);
}

enum err
auth_throttle_check(struct auth *a, struct auth_call *call,
                    enum auth_count kind, const char *email, bool own_tx,
                    struct auth_attempt *at)
{
	return begin_attempt(a, call, kind, email, own_tx, at, OP_CHECK);
}

enum err
auth_throttle_failed(struct auth *a, struct auth_call *call,
                     const struct auth_attempt *at, int64_t account,
                     bool own_tx)
{
	struct counters c;
	enum err e;

	if ((e = apply(a, call, at, OP_FAILED, own_tx, &c)) == ERR_OK)
		audit_locks(&c, at->kind, account, auth_client(call));
	return e;
}

enum err
auth_throttle_release(struct auth *a, struct auth_call *call,
                      const struct auth_attempt *at, bool own_tx)
{
	struct counters c;

	if (!at->counted)
		return ERR_OK;
	return apply(a, call, at, OP_RELEASE, own_tx, &c);
}

enum err
auth_throttle_locked_until(struct auth *a, const char *email, int64_t *until)
{
	char key[KEY_MAX];
	struct store *st;
	enum err e;

	*until = 0;
	if (a->cfg.throttle.account_limit <= 0)
		return ERR_OK;
	if ((e = auth_store(a, &st)) != ERR_OK ||
	    (e = account_key(a, key, AUTH_COUNT_LOGIN, email)) != ERR_OK ||
	    (e = store_lock_get(st, key, until)) != ERR_OK)
		return e;
	if (*until <= auth_now(a))
		*until = 0;
	return ERR_OK;
}

enum err
auth_throttle_unlock(struct auth *a, const char *email)
{
	static const enum auth_count counts[] = {
	    AUTH_COUNT_LOGIN, AUTH_COUNT_RESET, AUTH_COUNT_LINK};
	char key[KEY_MAX];
	struct store *st;
	enum err e;
	size_t i;

	if ((e = auth_store(a, &st)) != ERR_OK ||
	    (e = store_begin(st)) != ERR_OK)
		return e;
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]) && e == ERR_OK; i++)
		if ((e = account_key(a, key, counts[i], email)) == ERR_OK)
			e = store_lock_clear(st, key);
	if (e == ERR_OK)
		e = store_commit(st);
	if (e != ERR_OK)
		store_rollback(st);
	return e;
}
