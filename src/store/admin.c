/* admin.c: the store's administration: listing and deleting accounts,
 * purging what has ended, importing the original service's accounts. */
#include <string.h>

#include "backend.h"

struct list_ctx {
	int (*fn)(void *arg, const struct store_user_row *row);
	void *arg;
};

static int
list_row(void *arg, const struct store_val *col, int ncol)
{
	struct list_ctx *l = arg;
	struct store_user_row row;

	if (ncol < 4)
		return 1;
	row.id = store_col_int(&col[0]);
	row.email = col[1].kind == STORE_TEXT ? col[1].s : "";
	row.created = store_col_int(&col[2]);
	row.last_login = store_col_int(&col[3]);
	return l->fn(l->arg, &row);
}

enum err
store_user_list(struct store *st,
                int (*fn)(void *arg, const struct store_user_row *row),
                void *arg)
{
	struct list_ctx l = {fn, arg};

	return store_run(st, S_USER_LIST, NULL, 0, list_row, &l);
}

/* What goes with an account, before the account itself. */
static const enum store_stmt user_rows[] = {
    S_SESSION_DELETE_USER, S_GROUPS_DELETE_USER,  S_RESET_DELETE,
    S_LINK_DELETE,         S_CLIENT_DELETE_USER,  S_FACTOR_DELETE,
    S_RECOVERY_DELETE,     S_PENDING_DELETE_USER,
};

enum err
store_user_delete(struct store *st, int64_t id)
{
	struct store_val a = store_int(id);
	enum err e;
	size_t i;

	if ((e = store_begin(st)) != ERR_OK)
		return e;
	for (i = 0; i < sizeof(user_rows) / sizeof(user_rows[0]); i++)
		if ((e = store_run(st, user_rows[i], &a, 1, NULL, NULL)) !=
		    ERR_OK)
			goto out;
	if ((e = store_run_one(st, S_USER_DELETE, &a, 1)) != ERR_OK)
		goto out;
	e = store_commit(st);
out:
	if (e != ERR_OK)
		store_rollback(st);
	return e;
}

/* Run a purge statement bound to (v); count what it removed. */
static enum err
purge_one(struct store *st, enum store_stmt s, int64_t v, int64_t *count)
{
	struct store_val a = store_int(v);
	enum err e;

	if ((e = store_run(st, s, &a, 1, NULL, NULL)) == ERR_OK)
		*count = store_changes(st);
	return e;
}

enum err
store_purge(struct store *st, int64_t now, int64_t idle_before,
            int64_t max_before, int64_t window_before, int64_t clients_before,
            struct store_purged *out)
{
	struct store_val idle[] = {store_int(idle_before),
	                           store_int(max_before)};
	struct store_purged p;
	int64_t locks = 0, factors = 0;
	enum err e;

	memset(&p, 0, sizeof(p));
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if ((e = store_run(st, S_PURGE_SESSIONS, idle, STORE_NARGS(idle), NULL,
	                   NULL)) != ERR_OK)
		goto out;
	p.sessions = store_changes(st);
	if ((e = purge_one(st, S_PURGE_RESETS, now, &p.reset_tokens)) !=
	        ERR_OK ||
	    (e = purge_one(st, S_PURGE_THROTTLE, window_before,
	                   &p.throttles)) != ERR_OK ||
	    (e = purge_one(st, S_PURGE_LOCKS, now, &locks)) != ERR_OK ||
	    (e = purge_one(st, S_PURGE_LINKS, now, &p.links)) != ERR_OK ||
	    (e = purge_one(st, S_PURGE_CLIENTS, clients_before, &p.clients)) !=
	        ERR_OK ||
	    (e = purge_one(st, S_PURGE_PENDING, now, &p.pending)) != ERR_OK ||
	    (e = purge_one(st, S_PURGE_FACTORS, now, &factors)) != ERR_OK)
		goto out;
	e = store_commit(st);
out:
	if (e != ERR_OK) {
		store_rollback(st);
		return e;
	}
	p.throttles += locks;
	p.pending += factors;
	*out = p;
	return ERR_OK;
}

/* ---- importing the original service's accounts ---- */

struct import_ctx {
	struct store *st;
	int64_t now;
	int64_t done;
	enum err e;
};

static int
import_row(void *arg, const struct store_val *col, int ncol)
{
	struct import_ctx *c = arg;
	struct store_val a[3];

	if (ncol < 2 || col[0].kind != STORE_TEXT || col[1].kind != STORE_TEXT)
		return 0;
	a[0] = col[0];
	a[1] = col[1];
	a[2] = store_int(c->now);
	if ((c->e = store_run(c->st, S_USER_IMPORT, a, 3, NULL, NULL)) !=
	    ERR_OK)
		return 1;
	c->done += store_changes(c->st);
	return 0;
}

enum err
store_import_original(struct store *st, const char *path, int64_t now,
                      int64_t *imported, int64_t *skipped)
{
	struct import_ctx c = {st, now, 0, ERR_OK};
	int64_t total = 0;
	enum err e;

	if ((e = store_begin(st)) != ERR_OK)
		return e;
	e = store_sqlite_original(path, import_row, &c, &total);
	if (e == ERR_OK)
		e = c.e;
	if (e == ERR_OK)
		e = store_commit(st);
	if (e != ERR_OK) {
		store_rollback(st);
		return e;
	}
	*imported = c.done;
	*skipped = total - c.done;
	return ERR_OK;
}
