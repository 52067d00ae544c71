/* copy.c: store_copy(): everything live of one database into another,
 * whatever their backends, built of the backends' statements. */
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "backend.h"

/* The id each copied account has in the target, by its id in the source
 * (the source's accounts come in id order: a sorted array). */
struct id_pair {
	int64_t from, to;
};

struct copy_ctx {
	struct store *to;
	struct id_pair *ids;
	size_t nids, cap;
	char *last_key;           /* the key whose events are being copied */
	const struct owned *what; /* the rows being copied by copy_owned() */
	struct store_copied n;
	enum err e;
};

/* The target's id of the source's account id; false when it was not
 * copied (a row of an account that is gone). */
static bool
id_map(const struct copy_ctx *c, int64_t from, int64_t *to)
{
	size_t lo = 0, hi = c->nids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->ids[mid].from == from) {
			*to = c->ids[mid].to;
			return true;
		}
		if (c->ids[mid].from < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static enum err
id_add(struct copy_ctx *c, int64_t from, int64_t to)
{
	struct id_pair *p;

	if (c->nids > 0 && c->ids[c->nids - 1].from >= from)
		return ERR_DB; /* not in id order */
	if (c->nids == c->cap) {
		size_t cap = c->cap != 0 ? 2 * c->cap : 256;

		if ((p = realloc(c->ids, cap * sizeof(*p))) == NULL)
			return ERR_NOMEM;
		c->ids = p;
		c->cap = cap;
	}
	c->ids[c->nids].from = from;
	c->ids[c->nids].to = to;
	c->nids++;
	return ERR_OK;
}

/* What a copied account has in the target, replaced by the source's. */
static const enum store_stmt account_rows[] = {
    S_SESSION_DELETE_USER, S_RESET_DELETE,        S_GROUPS_DELETE_USER,
    S_LINK_DELETE,         S_CLIENT_DELETE_USER,  S_FACTOR_DELETE,
    S_RECOVERY_DELETE,     S_PENDING_DELETE_USER,
};

/* One account of the source: (id, email, hash, created, last_login,
 * disabled, unverified). */
static int
copy_user(void *arg, const struct store_val *col, int ncol)
{
	struct copy_ctx *c = arg;
	struct store_user u;
	struct store_val a[7];
	struct store_one_int o = {0, false};
	int64_t id;
	size_t i;

	if (ncol < 7 || col[1].kind != STORE_TEXT ||
	    col[2].kind != STORE_TEXT) {
		c->e = ERR_DB;
		log_error("database: copy: user %lld has a malformed row",
		          ncol > 0 ? (long long)store_col_int(&col[0]) : -1LL);
		return 1;
	}
	id = store_col_int(&col[0]);
	a[0] = store_int(id);
	memcpy(&a[1], &col[1], 6 * sizeof(a[0]));
	c->e = store_user_by_email(c->to, col[1].s, &u);
	if (c->e == ERR_OK) {
		/* The same account, by the uniqueness rule: now as in the
		 * source, under the target's id. */
		explicit_bzero(u.hash, sizeof(u.hash));
		a[0] = store_int(u.id);
		c->e = store_run(c->to, S_USER_UPDATE, a, 7, NULL, NULL);
	} else if (c->e == ERR_NOT_FOUND) {
		/* New: its own id when the target has no account with it. */
		c->e = store_run(c->to, S_USER_PUT_ID, a, 7, store_one_int_row,
		                 &o);
		if (c->e == ERR_OK && !o.found)
			c->e = store_run(c->to, S_USER_PUT, a + 1, 6,
			                 store_one_int_row, &o);
		if (c->e == ERR_OK && !o.found)
			c->e = ERR_DB;
		u.id = o.v;
		c->n.users_new++;
	}
	/* Its rows are the source's, copied below: one ended or spent
	 * there since an earlier copy goes here too. */
	a[0] = store_int(u.id);
	for (i = 0; c->e == ERR_OK &&
	            i < sizeof(account_rows) / sizeof(account_rows[0]);
	     i++)
		c->e = store_run(c->to, account_rows[i], a, 1, NULL, NULL);
	if (c->e == ERR_OK)
		c->e = id_add(c, id, u.id);
	if (c->e == ERR_OK)
		c->n.users++;
	return c->e != ERR_OK;
}

/*
 * Rows that belong to an account: read from the source with from, their
 * account's id in column user, written to the target with to, the same
 * columns in the same order but that id the target's. A row whose digest
 * column (or -1) is not a digest, or whose account was not copied, is
 * left out.
 */
struct owned {
	enum store_stmt from, to;
	int ncols;
	int user;
	int digest;
	size_t counter; /* offset of its count in struct store_copied */
};

static const struct owned owned_rows[] = {
    {S_COPY_SESSIONS, S_SESSION_PUT, 8, 1, 0,
     offsetof(struct store_copied, sessions)},
    {S_COPY_RESETS, S_RESET_PUT, 3, 0, 1,
     offsetof(struct store_copied, reset_tokens)},
    {S_COPY_GROUPS, S_GROUP_ADD, 2, 0, -1,
     offsetof(struct store_copied, groups)},
    {S_COPY_LINKS, S_LINK_PUT, 4, 0, 1, offsetof(struct store_copied, links)},
    {S_COPY_CLIENTS, S_CLIENT_PUT, 3, 0, -1,
     offsetof(struct store_copied, clients)},
    {S_COPY_FACTORS, S_FACTOR_COPY, 5, 0, -1,
     offsetof(struct store_copied, factors)},
    {S_COPY_RECOVERY, S_RECOVERY_ADD, 2, 0, -1,
     offsetof(struct store_copied, recovery_codes)},
};

static int
copy_owned(void *arg, const struct store_val *col, int ncol)
{
	struct copy_ctx *c = arg;
	const struct owned *w = c->what;
	struct store_val a[STORE_VAL_MAX];
	int64_t to;

	if (ncol < w->ncols)
		return 0;
	if (w->digest >= 0 && (col[w->digest].kind != STORE_BLOB ||
	                       col[w->digest].n != STORE_DIGEST_LEN))
		return 0;
	if (!id_map(c, store_col_int(&col[w->user]), &to))
		return 0;
	memcpy(a, col, (size_t)w->ncols * sizeof(a[0]));
	a[w->user] = store_int(to);
	if ((c->e = store_run(c->to, w->to, a, w->ncols, NULL, NULL)) != ERR_OK)
		return 1;
	(*(int64_t *)((char *)&c->n + w->counter))++;
	return 0;
}

/* One throttle event, (key, at), by key: a key's first event clears the
 * target's events of that key, which the source's then replace. */
static int
copy_event(void *arg, const struct store_val *col, int ncol)
{
	struct copy_ctx *c = arg;

	if (ncol < 2 || col[0].kind != STORE_TEXT)
		return 0;
	if (c->last_key == NULL || strcmp(c->last_key, col[0].s) != 0) {
		free(c->last_key);
		if ((c->last_key = strdup(col[0].s)) == NULL) {
			c->e = ERR_NOMEM;
			return 1;
		}
		if ((c->e = store_run(c->to, S_THROTTLE_CLEAR, col, 1, NULL,
		                      NULL)) != ERR_OK)
			return 1;
	}
	if ((c->e = store_run(c->to, S_THROTTLE_ADD, col, 2, NULL, NULL)) !=
	    ERR_OK)
		return 1;
	c->n.throttle_events++;
	return 0;
}

/* One live lock: (key, until). */
static int
copy_lock(void *arg, const struct store_val *col, int ncol)
{
	struct copy_ctx *c = arg;

	if (ncol < 2 || col[0].kind != STORE_TEXT)
		return 0;
	if ((c->e = store_run(c->to, S_LOCK_PUT, col, 2, NULL, NULL)) != ERR_OK)
		return 1;
	c->n.throttle_locks++;
	return 0;
}

/* Run the source's statement s, each row copied by fn; a fault of either
 * side ends the copy. */
static enum err
copy_rows(struct store *from, struct copy_ctx *c, enum store_stmt s,
          const struct store_val *args, int nargs, store_row_fn fn)
{
	enum err e = store_run(from, s, args, nargs, fn, c);

	return e != ERR_OK ? e : c->e;
}

/* The parameters of the source's statement s: what is live. */
static int
live_args(enum store_stmt s, const struct store_live *live, struct store_val *a)
{
	switch (s) {
	case S_COPY_SESSIONS:
		a[0] = store_int(live->idle_before);
		a[1] = store_int(live->max_before);
		return 2;
	case S_COPY_RESETS:
	case S_COPY_LINKS:
	case S_COPY_FACTORS:
	case S_COPY_LOCKS:
		a[0] = store_int(live->now);
		return 1;
	case S_COPY_CLIENTS:
		a[0] = store_int(live->clients_since);
		return 1;
	case S_COPY_EVENTS:
		a[0] = store_int(live->window_start);
		return 1;
	default:
		return 0;
	}
}

/* Everything after the accounts, in the open transactions. */
static enum err
copy_all(struct store *from, struct copy_ctx *c, const struct store_live *live)
{
	struct store_val a[2];
	enum err e;
	size_t i;
	int n;

	if ((e = copy_rows(from, c, S_COPY_USERS, NULL, 0, copy_user)) !=
	        ERR_OK ||
	    (e = store_run(c->to, S_USER_IDS_SYNC, NULL, 0, NULL, NULL)) !=
	        ERR_OK)
		return e;
	for (i = 0; i < sizeof(owned_rows) / sizeof(owned_rows[0]); i++) {
		c->what = &owned_rows[i];
		n = live_args(owned_rows[i].from, live, a);
		if ((e = copy_rows(from, c, owned_rows[i].from, a, n,
		                   copy_owned)) != ERR_OK)
			return e;
	}
	n = live_args(S_COPY_EVENTS, live, a);
	if ((e = copy_rows(from, c, S_COPY_EVENTS, a, n, copy_event)) != ERR_OK)
		return e;
	n = live_args(S_COPY_LOCKS, live, a);
	return copy_rows(from, c, S_COPY_LOCKS, a, n, copy_lock);
}

enum err
store_copy(struct store *from, struct store *to, const struct store_live *live,
           struct store_copied *out)
{
	struct copy_ctx c;
	enum err e;

	memset(&c, 0, sizeof(c));
	c.to = to;
	if ((e = from->ops->begin(from, false)) != ERR_OK)
		return e;
	if ((e = store_begin(to)) != ERR_OK)
		goto out;
	if ((e = copy_all(from, &c, live)) != ERR_OK ||
	    (e = store_commit(to)) != ERR_OK)
		store_rollback(to);
out:
	store_rollback(from);
	free(c.ids);
	free(c.last_key);
	if (e == ERR_OK)
		*out = c.n;
	return e;
}
