/* store.c: the front of store.h: the backend chosen by the database's
 * name, what the front's files share, and the operations on accounts and
 * throttling, built of the backends' statements (backend.h), the same
 * for SQLite and PostgreSQL (session.c, account.c, admin.c and copy.c
 * hold the others). */
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "backend.h"

const char *const store_stmt_what[S__MAX] = {
    [S_VERSION] = "read schema version",
    [S_USER_INSERT] = "insert user",
    [S_USER_BY_EMAIL] = "read user",
    [S_USER_BY_ID] = "read user",
    [S_USER_SET_HASH] = "update password",
    [S_USER_SET_LOGIN] = "record login",
    [S_USER_SET_EMAIL] = "change email",
    [S_USER_SET_DISABLED] = "disable account",
    [S_USER_SET_UNVERIFIED] = "mark account verified",
    [S_SESSION_INSERT] = "insert session",
    [S_SESSION_FIND] = "read session",
    [S_SESSION_FIND_USER] = "read session",
    [S_SESSION_GATE] = "read session",
    [S_SESSION_SET_FACTOR] = "mark session",
    [S_SESSION_TOUCH] = "touch session",
    [S_SESSION_DELETE] = "delete session",
    [S_SESSION_DELETE_USER] = "end sessions",
    [S_SESSION_DELETE_OTHERS] = "end other sessions",
    [S_SESSION_DELETE_PUBLIC] = "end a session",
    [S_SESSION_LIST] = "list sessions",
    [S_RESET_PUT] = "store reset token",
    [S_RESET_GET] = "read reset token",
    [S_RESET_DELETE] = "delete reset token",
    [S_GROUP_ADD] = "add to group",
    [S_GROUP_REMOVE] = "remove from group",
    [S_GROUPS_OF] = "read groups",
    [S_GROUPS_DELETE_USER] = "delete groups",
    [S_LINK_PUT] = "store email link",
    [S_LINK_FIND] = "read email link",
    [S_LINK_GET] = "read email link",
    [S_LINK_DELETE] = "delete email link",
    [S_CLIENT_COUNT] = "count known clients",
    [S_CLIENT_SEEN] = "read a known client",
    [S_CLIENT_PUT] = "remember a client",
    [S_CLIENT_DELETE_USER] = "forget clients",
    [S_FACTOR_GET] = "read second factor",
    [S_FACTOR_PUT] = "store second factor",
    [S_FACTOR_ACTIVATE] = "activate second factor",
    [S_FACTOR_USE] = "use a code",
    [S_FACTOR_DELETE] = "delete second factor",
    [S_RECOVERY_ADD] = "store recovery code",
    [S_RECOVERY_USE] = "use a recovery code",
    [S_RECOVERY_COUNT] = "count recovery codes",
    [S_RECOVERY_DELETE] = "delete recovery codes",
    [S_PENDING_PUT] = "store pending log-in",
    [S_PENDING_FIND] = "read pending log-in",
    [S_PENDING_DELETE] = "delete pending log-in",
    [S_PENDING_DELETE_USER] = "delete pending log-ins",
    [S_THROTTLE_COUNT] = "count failures",
    [S_THROTTLE_ADD] = "count a failure",
    [S_THROTTLE_REMOVE] = "uncount a failure",
    [S_THROTTLE_CLEAR] = "clear failures",
    [S_LOCK_GET] = "read lock",
    [S_LOCK_PUT] = "write lock",
    [S_LOCK_DELETE] = "remove a lock",
    [S_USER_LIST] = "list users",
    [S_USER_DELETE] = "delete user",
    [S_PURGE_SESSIONS] = "purge sessions",
    [S_PURGE_RESETS] = "purge reset tokens",
    [S_PURGE_THROTTLE] = "purge failures",
    [S_PURGE_LOCKS] = "purge locks",
    [S_PURGE_LINKS] = "purge email links",
    [S_PURGE_CLIENTS] = "purge known clients",
    [S_PURGE_PENDING] = "purge pending log-ins",
    [S_PURGE_FACTORS] = "purge second factors",
    [S_USER_IMPORT] = "import user",
    [S_COPY_USERS] = "read users",
    [S_COPY_SESSIONS] = "read sessions",
    [S_COPY_RESETS] = "read reset tokens",
    [S_COPY_GROUPS] = "read groups",
    [S_COPY_LINKS] = "read email links",
    [S_COPY_CLIENTS] = "read known clients",
    [S_COPY_FACTORS] = "read second factors",
    [S_COPY_RECOVERY] = "read recovery codes",
    [S_COPY_EVENTS] = "read failures",
    [S_COPY_LOCKS] = "read locks",
    [S_USER_PUT_ID] = "copy user",
    [S_USER_PUT] = "copy user",
    [S_USER_UPDATE] = "copy user",
    [S_SESSION_PUT] = "copy session",
    [S_FACTOR_COPY] = "copy second factor",
    [S_USER_IDS_SYNC] = "advance user ids",
};

/* Is path a PostgreSQL connection URI? */
static bool
is_uri(const char *path)
{
	return strncmp(path, "postgresql://", 13) == 0 ||
	       strncmp(path, "postgres://", 11) == 0;
}

enum err
store_run(struct store *st, enum store_stmt s, const struct store_val *args,
          int nargs, store_row_fn fn, void *arg)
{
	return st->ops->run(st, s, args, nargs, fn, arg);
}

enum err
store_run_one(struct store *st, enum store_stmt s, const struct store_val *args,
              int nargs)
{
	enum err e = store_run(st, s, args, nargs, NULL, NULL);

	if (e == ERR_OK && store_changes(st) == 0)
		e = ERR_NOT_FOUND;
	return e;
}

/* ---- reading columns ---- */

enum err
store_col_text(const struct store_val *v, char *dst, size_t size)
{
	size_t n;

	if (v->kind != STORE_TEXT && v->kind != STORE_BLOB)
		return ERR_DB;
	n = v->kind == STORE_TEXT ? strlen(v->s) : v->n;
	if (n >= size || memchr(v->s, '\0', n) != NULL)
		return ERR_DB;
	memcpy(dst, v->s, n);
	dst[n] = '\0';
	return ERR_OK;
}

enum err
store_col_digest(const struct store_val *v, unsigned char *dst)
{
	if (v->kind != STORE_BLOB || v->n != STORE_DIGEST_LEN)
		return ERR_DB;
	memcpy(dst, v->s, STORE_DIGEST_LEN);
	return ERR_OK;
}

int64_t
store_col_int(const struct store_val *v)
{
	return v->kind == STORE_INT ? v->i : 0;
}

int
store_one_int_row(void *arg, const struct store_val *col, int ncol)
{
	struct store_one_int *o = arg;

	o->v = ncol > 0 ? store_col_int(&col[0]) : 0;
	o->found = true;
	return 1;
}

/* ---- opening ---- */

enum err
store_open(struct store **out, const struct store_config *cfg)
{
	const struct store_ops *ops =
	    is_uri(cfg->path) ? &store_pg_ops : &store_sqlite_ops;

	return ops->open(out, cfg);
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

enum err
store_version(struct store *st, int *version)
{
	struct store_one_int o = {0, false};
	enum err e;

	if ((e = store_run(st, S_VERSION, NULL, 0, store_one_int_row, &o)) ==
	    ERR_OK)
		*version = (int)o.v;
	return e;
}

enum err
store_version_known(int v)
{
	if (v <= STORE_SCHEMA_VERSION)
		return ERR_OK;
	log_error("database: schema version %d is newer than this build's"
	          " %d: upgrade this host",
	          v, STORE_SCHEMA_VERSION);
	return ERR_DB;
}

enum err
store_ping(struct store *st)
{
	enum err e;
	int v = 0;

	if ((e = store_version(st, &v)) != ERR_OK)
		return e;
	return store_version_known(v);
}

enum err
store_begin(struct store *st)
{
	return st->ops->begin(st, true);
}

enum err
store_commit(struct store *st)
{
	return st->ops->commit(st);
}

void
store_rollback(struct store *st)
{
	st->ops->rollback(st);
}

int64_t
store_changes(struct store *st)
{
	return st->ops->changes(st);
}

/* ---- users ---- */

enum err
store_user_insert(struct store *st, const char *email, const char *hash,
                  int64_t now, int64_t *id)
{
	struct store_val a[] = {store_text(email), store_text(hash),
	                        store_int(now)};
	struct store_one_int o = {0, false};
	enum err e;

	if (strlen(email) > STORE_EMAIL_MAX || strlen(hash) > STORE_HASH_MAX)
		return ERR_INVAL;
	if ((e = store_run(st, S_USER_INSERT, a, STORE_NARGS(a),
	                   store_one_int_row, &o)) != ERR_OK)
		return e;
	if (!o.found)
		return ERR_DB;
	*id = o.v;
	return ERR_OK;
}

/* Reads one account row into u; e is ERR_DB for a malformed one. */
struct user_read {
	struct store_user u;
	bool found;
	enum err e;
};

static int
user_row(void *arg, const struct store_val *col, int ncol)
{
	struct user_read *r = arg;

	r->found = true;
	if (ncol < 7 ||
	    (r->e = store_col_text(&col[1], r->u.email, sizeof(r->u.email))) !=
	        ERR_OK ||
	    (r->e = store_col_text(&col[2], r->u.hash, sizeof(r->u.hash))) !=
	        ERR_OK) {
		r->e = ERR_DB;
		log_error("database: user %lld has a malformed row",
		          ncol > 0 ? (long long)store_col_int(&col[0]) : -1LL);
		return 1;
	}
	r->u.id = store_col_int(&col[0]);
	r->u.created = store_col_int(&col[3]);
	r->u.last_login = store_col_int(&col[4]);
	r->u.disabled = store_col_int(&col[5]) != 0;
	r->u.unverified = store_col_int(&col[6]) != 0;
	return 1;
}

static enum err
user_get(struct store *st, enum store_stmt s, struct store_val key,
         struct store_user *out)
{
	struct user_read r;
	enum err e;

	memset(&r, 0, sizeof(r));
	e = store_run(st, s, &key, 1, user_row, &r);
	if (e == ERR_OK)
		e = r.e;
	if (e == ERR_OK && !r.found)
		e = ERR_NOT_FOUND;
	if (e == ERR_OK)
		*out = r.u;
	explicit_bzero(r.u.hash, sizeof(r.u.hash));
	return e;
}

enum err
store_user_by_email(struct store *st, const char *email, struct store_user *out)
{
	return user_get(st, S_USER_BY_EMAIL, store_text(email), out);
}

enum err
store_user_by_id(struct store *st, int64_t id, struct store_user *out)
{
	return user_get(st, S_USER_BY_ID, store_int(id), out);
}

enum err
store_user_set_hash(struct store *st, int64_t id, const char *hash)
{
	struct store_val a[] = {store_int(id), store_text(hash)};

	if (strlen(hash) > STORE_HASH_MAX)
		return ERR_INVAL;
	return store_run(st, S_USER_SET_HASH, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_user_set_login(struct store *st, int64_t id, int64_t now)
{
	struct store_val a[] = {store_int(id), store_int(now)};

	return store_run(st, S_USER_SET_LOGIN, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_user_set_email(struct store *st, int64_t id, const char *email)
{
	struct store_val a[] = {store_int(id), store_text(email)};

	if (strlen(email) > STORE_EMAIL_MAX)
		return ERR_INVAL;
	return store_run(st, S_USER_SET_EMAIL, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_user_set_disabled(struct store *st, int64_t id, bool disabled)
{
	struct store_val a[] = {store_int(id), store_int(disabled ? 1 : 0)};

	return store_run(st, S_USER_SET_DISABLED, a, STORE_NARGS(a), NULL,
	                 NULL);
}

enum err
store_user_set_unverified(struct store *st, int64_t id, bool unverified)
{
	struct store_val a[] = {store_int(id), store_int(unverified ? 1 : 0)};

	return store_run(st, S_USER_SET_UNVERIFIED, a, STORE_NARGS(a), NULL,
	                 NULL);
}

/* ---- throttling ---- */

enum err
store_throttle_count(struct store *st, const char *key, int64_t since,
                     int64_t *n)
{
	struct store_val a[] = {store_text(key), store_int(since)};
	struct store_one_int o = {0, false};
	enum err e;

	if ((e = store_run(st, S_THROTTLE_COUNT, a, STORE_NARGS(a),
	                   store_one_int_row, &o)) == ERR_OK)
		*n = o.v;
	return e;
}

enum err
store_throttle_add(struct store *st, const char *key, int64_t at)
{
	struct store_val a[] = {store_text(key), store_int(at)};

	return store_run(st, S_THROTTLE_ADD, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_throttle_remove(struct store *st, const char *key, int64_t at)
{
	struct store_val a[] = {store_text(key), store_int(at)};

	return store_run(st, S_THROTTLE_REMOVE, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_lock_get(struct store *st, const char *key, int64_t *until)
{
	struct store_val a = store_text(key);
	struct store_one_int o = {0, false};
	enum err e;

	if ((e = store_run(st, S_LOCK_GET, &a, 1, store_one_int_row, &o)) ==
	    ERR_OK)
		*until = o.v;
	return e;
}

enum err
store_lock_put(struct store *st, const char *key, int64_t until)
{
	struct store_val a[] = {store_text(key), store_int(until)};

	return store_run(st, S_LOCK_PUT, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_lock_clear(struct store *st, const char *key)
{
	struct store_val a = store_text(key);
	enum err e;

	if ((e = store_run(st, S_LOCK_DELETE, &a, 1, NULL, NULL)) != ERR_OK)
		return e;
	return store_run(st, S_THROTTLE_CLEAR, &a, 1, NULL, NULL);
}
