/* store.c: the front of store.h: the backend chosen by the database's
 * name, the checks of arguments, and every operation built of the
 * backends' statements (backend.h), the same for SQLite and PostgreSQL. */
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
    [S_SESSION_INSERT] = "insert session",
    [S_SESSION_FIND] = "read session",
    [S_SESSION_FIND_USER] = "read session",
    [S_SESSION_TOUCH] = "touch session",
    [S_SESSION_DELETE] = "delete session",
    [S_SESSION_DELETE_USER] = "end sessions",
    [S_RESET_PUT] = "store reset token",
    [S_RESET_GET] = "read reset token",
    [S_RESET_DELETE] = "delete reset token",
    [S_THROTTLE_COUNT] = "count failures",
    [S_THROTTLE_ADD] = "count a failure",
    [S_THROTTLE_REMOVE] = "uncount a failure",
    [S_THROTTLE_CLEAR] = "clear failures",
    [S_LOCK_GET] = "read lock",
    [S_LOCK_PUT] = "write lock",
    [S_USER_LIST] = "list users",
    [S_USER_DELETE] = "delete user",
    [S_PURGE_SESSIONS] = "purge sessions",
    [S_PURGE_RESETS] = "purge reset tokens",
    [S_PURGE_THROTTLE] = "purge failures",
    [S_PURGE_LOCKS] = "purge locks",
    [S_USER_IMPORT] = "import user",
    [S_COPY_USERS] = "read users",
    [S_COPY_SESSIONS] = "read sessions",
    [S_COPY_RESETS] = "read reset tokens",
    [S_COPY_EVENTS] = "read failures",
    [S_COPY_LOCKS] = "read locks",
    [S_USER_PUT_ID] = "copy user",
    [S_USER_PUT] = "copy user",
    [S_USER_UPDATE] = "copy user",
    [S_SESSION_PUT] = "copy session",
    [S_USER_IDS_SYNC] = "advance user ids",
};

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Is path a PostgreSQL connection URI? */
static bool
is_uri(const char *path)
{
	return strncmp(path, "postgresql://", 13) == 0 ||
	       strncmp(path, "postgres://", 11) == 0;
}

static enum err
run(struct store *st, enum store_stmt s, const struct store_val *args,
    int nargs, store_row_fn fn, void *arg)
{
	return st->ops->run(st, s, args, nargs, fn, arg);
}

/* ---- reading columns ---- */

/* Copy a text column into a fixed buffer; ERR_DB if it does not fit. */
static enum err
col_text(const struct store_val *v, char *dst, size_t size)
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

/* Copy a digest column; ERR_DB if it is not one. */
static enum err
col_digest(const struct store_val *v, unsigned char *dst)
{
	if (v->kind != STORE_BLOB || v->n != STORE_DIGEST_LEN)
		return ERR_DB;
	memcpy(dst, v->s, STORE_DIGEST_LEN);
	return ERR_OK;
}

static int64_t
col_int(const struct store_val *v)
{
	return v->kind == STORE_INT ? v->i : 0;
}

/* The first row's first column as an integer; 0 when there is none. */
struct one_int {
	int64_t v;
	bool found;
};

static int
one_int_row(void *arg, const struct store_val *col, int ncol)
{
	struct one_int *o = arg;

	o->v = ncol > 0 ? col_int(&col[0]) : 0;
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
	struct one_int o = {0, false};
	enum err e;

	if ((e = run(st, S_VERSION, NULL, 0, one_int_row, &o)) == ERR_OK)
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
	struct one_int o = {0, false};
	enum err e;

	if (strlen(email) > STORE_EMAIL_MAX || strlen(hash) > STORE_HASH_MAX)
		return ERR_INVAL;
	if ((e = run(st, S_USER_INSERT, a, NARGS(a), one_int_row, &o)) !=
	    ERR_OK)
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
	if (ncol < 5 ||
	    (r->e = col_text(&col[1], r->u.email, sizeof(r->u.email))) !=
	        ERR_OK ||
	    (r->e = col_text(&col[2], r->u.hash, sizeof(r->u.hash))) !=
	        ERR_OK) {
		r->e = ERR_DB;
		log_error("database: user %lld has a malformed row",
		          ncol > 0 ? (long long)col_int(&col[0]) : -1LL);
		return 1;
	}
	r->u.id = col_int(&col[0]);
	r->u.created = col_int(&col[3]);
	r->u.last_login = col_int(&col[4]);
	return 1;
}

static enum err
user_get(struct store *st, enum store_stmt s, struct store_val key,
         struct store_user *out)
{
	struct user_read r;
	enum err e;

	memset(&r, 0, sizeof(r));
	e = run(st, s, &key, 1, user_row, &r);
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
	return run(st, S_USER_SET_HASH, a, NARGS(a), NULL, NULL);
}

enum err
store_user_set_login(struct store *st, int64_t id, int64_t now)
{
	struct store_val a[] = {store_int(id), store_int(now)};

	return run(st, S_USER_SET_LOGIN, a, NARGS(a), NULL, NULL);
}

/* ---- sessions ---- */

enum err
store_session_insert(struct store *st,
                     const unsigned char digest[STORE_DIGEST_LEN],
                     int64_t user_id, int64_t now)
{
	struct store_val a[] = {store_blob(digest, STORE_DIGEST_LEN),
	                        store_int(user_id), store_int(now)};

	return run(st, S_SESSION_INSERT, a, NARGS(a), NULL, NULL);
}

/* Reads one session row (and, with email, its account's email). */
struct session_read {
	struct store_session s;
	char *email;
	bool found;
	enum err e;
};

static int
session_row(void *arg, const struct store_val *col, int ncol)
{
	struct session_read *r = arg;

	r->found = true;
	if (ncol < 4 || (r->e = col_digest(&col[3], r->s.digest)) != ERR_OK ||
	    (r->email != NULL &&
	     (ncol < 5 || (r->e = col_text(&col[4], r->email,
	                                   STORE_EMAIL_MAX + 1)) != ERR_OK))) {
		r->e = ERR_DB;
		return 1;
	}
	r->s.user_id = col_int(&col[0]);
	r->s.created = col_int(&col[1]);
	r->s.last_seen = col_int(&col[2]);
	return 1;
}

static enum err
session_get(struct store *st, enum store_stmt s,
            const unsigned char digest[STORE_DIGEST_LEN],
            struct store_session *out, char *email)
{
	struct store_val a = store_blob(digest, STORE_DIGEST_LEN);
	struct session_read r;
	enum err e;

	memset(&r, 0, sizeof(r));
	r.email = email;
	e = run(st, s, &a, 1, session_row, &r);
	if (e == ERR_OK)
		e = r.e;
	if (e == ERR_OK && !r.found)
		e = ERR_NOT_FOUND;
	if (e == ERR_OK)
		*out = r.s;
	return e;
}

enum err
store_session_find(struct store *st,
                   const unsigned char digest[STORE_DIGEST_LEN],
                   struct store_session *out)
{
	return session_get(st, S_SESSION_FIND, digest, out, NULL);
}

enum err
store_session_find_user(struct store *st,
                        const unsigned char digest[STORE_DIGEST_LEN],
                        struct store_session *out,
                        char email[STORE_EMAIL_MAX + 1])
{
	return session_get(st, S_SESSION_FIND_USER, digest, out, email);
}

enum err
store_session_touch(struct store *st,
                    const unsigned char digest[STORE_DIGEST_LEN], int64_t now)
{
	struct store_val a[] = {store_blob(digest, STORE_DIGEST_LEN),
	                        store_int(now)};

	return run(st, S_SESSION_TOUCH, a, NARGS(a), NULL, NULL);
}

enum err
store_session_delete(struct store *st,
                     const unsigned char digest[STORE_DIGEST_LEN])
{
	struct store_val a = store_blob(digest, STORE_DIGEST_LEN);

	return run(st, S_SESSION_DELETE, &a, 1, NULL, NULL);
}

enum err
store_session_delete_user(struct store *st, int64_t user_id)
{
	struct store_val a = store_int(user_id);

	return run(st, S_SESSION_DELETE_USER, &a, 1, NULL, NULL);
}

/* ---- reset tokens ---- */

enum err
store_reset_put(struct store *st, int64_t user_id,
                const unsigned char digest[STORE_DIGEST_LEN], int64_t expires)
{
	struct store_val a[] = {store_int(user_id),
	                        store_blob(digest, STORE_DIGEST_LEN),
	                        store_int(expires)};

	return run(st, S_RESET_PUT, a, NARGS(a), NULL, NULL);
}

struct reset_read {
	struct store_reset r;
	bool found;
	enum err e;
};

static int
reset_row(void *arg, const struct store_val *col, int ncol)
{
	struct reset_read *r = arg;

	r->found = true;
	if (ncol < 3 || (r->e = col_digest(&col[2], r->r.digest)) != ERR_OK) {
		r->e = ERR_DB;
		return 1;
	}
	r->r.user_id = col_int(&col[0]);
	r->r.expires = col_int(&col[1]);
	return 1;
}

enum err
store_reset_get(struct store *st, int64_t user_id, struct store_reset *out)
{
	struct store_val a = store_int(user_id);
	struct reset_read r;
	enum err e;

	memset(&r, 0, sizeof(r));
	e = run(st, S_RESET_GET, &a, 1, reset_row, &r);
	if (e == ERR_OK)
		e = r.e;
	if (e == ERR_OK && !r.found)
		e = ERR_NOT_FOUND;
	if (e == ERR_OK)
		*out = r.r;
	return e;
}

enum err
store_reset_delete(struct store *st, int64_t user_id)
{
	struct store_val a = store_int(user_id);

	return run(st, S_RESET_DELETE, &a, 1, NULL, NULL);
}

/* ---- throttling ---- */

enum err
store_throttle_count(struct store *st, const char *key, int64_t since,
                     int64_t *n)
{
	struct store_val a[] = {store_text(key), store_int(since)};
	struct one_int o = {0, false};
	enum err e;

	if ((e = run(st, S_THROTTLE_COUNT, a, NARGS(a), one_int_row, &o)) ==
	    ERR_OK)
		*n = o.v;
	return e;
}

enum err
store_throttle_add(struct store *st, const char *key, int64_t at)
{
	struct store_val a[] = {store_text(key), store_int(at)};

	return run(st, S_THROTTLE_ADD, a, NARGS(a), NULL, NULL);
}

enum err
store_throttle_remove(struct store *st, const char *key, int64_t at)
{
	struct store_val a[] = {store_text(key), store_int(at)};

	return run(st, S_THROTTLE_REMOVE, a, NARGS(a), NULL, NULL);
}

enum err
store_lock_get(struct store *st, const char *key, int64_t *until)
{
	struct store_val a = store_text(key);
	struct one_int o = {0, false};
	enum err e;

	if ((e = run(st, S_LOCK_GET, &a, 1, one_int_row, &o)) == ERR_OK)
		*until = o.v;
	return e;
}

enum err
store_lock_put(struct store *st, const char *key, int64_t until)
{
	struct store_val a[] = {store_text(key), store_int(until)};

	return run(st, S_LOCK_PUT, a, NARGS(a), NULL, NULL);
}

/* ---- administration ---- */

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
	row.id = col_int(&col[0]);
	row.email = col[1].kind == STORE_TEXT ? col[1].s : "";
	row.created = col_int(&col[2]);
	row.last_login = col_int(&col[3]);
	return l->fn(l->arg, &row);
}

enum err
store_user_list(struct store *st,
                int (*fn)(void *arg, const struct store_user_row *row),
                void *arg)
{
	struct list_ctx l = {fn, arg};

	return run(st, S_USER_LIST, NULL, 0, list_row, &l);
}

enum err
store_user_delete(struct store *st, int64_t id)
{
	struct store_val a = store_int(id);
	enum err e;

	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if ((e = run(st, S_SESSION_DELETE_USER, &a, 1, NULL, NULL)) != ERR_OK ||
	    (e = run(st, S_RESET_DELETE, &a, 1, NULL, NULL)) != ERR_OK ||
	    (e = run(st, S_USER_DELETE, &a, 1, NULL, NULL)) != ERR_OK)
		goto out;
	if (store_changes(st) == 0) {
		e = ERR_NOT_FOUND;
		goto out;
	}
	e = store_commit(st);
out:
	if (e != ERR_OK)
		store_rollback(st);
	return e;
}

/* Run a purge statement bound to args; count what it removed. */
static enum err
purge_one(struct store *st, enum store_stmt s, const struct store_val *args,
          int nargs, int64_t *count)
{
	enum err e;

	if ((e = run(st, s, args, nargs, NULL, NULL)) == ERR_OK)
		*count = store_changes(st);
	return e;
}

enum err
store_purge(struct store *st, int64_t now, int64_t idle_before,
            int64_t max_before, int64_t window_before, struct store_purged *out)
{
	struct store_val idle[] = {store_int(idle_before),
	                           store_int(max_before)};
	struct store_val at_now = store_int(now),
	                 window = store_int(window_before);
	struct store_purged p;
	int64_t locks = 0;
	enum err e;

	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if ((e = purge_one(st, S_PURGE_SESSIONS, idle, NARGS(idle),
	                   &p.sessions)) != ERR_OK ||
	    (e = purge_one(st, S_PURGE_RESETS, &at_now, 1, &p.reset_tokens)) !=
	        ERR_OK ||
	    (e = purge_one(st, S_PURGE_THROTTLE, &window, 1, &p.throttles)) !=
	        ERR_OK ||
	    (e = purge_one(st, S_PURGE_LOCKS, &at_now, 1, &locks)) != ERR_OK ||
	    (e = store_commit(st)) != ERR_OK) {
		store_rollback(st);
		return e;
	}
	p.throttles += locks;
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
	if ((c->e = run(c->st, S_USER_IMPORT, a, 3, NULL, NULL)) != ERR_OK)
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

/* ---- copying between databases ---- */

/* The id each copied account has in the target, by its id in the source
 * (the source's accounts come in id order: a sorted array). */
struct id_pair {
	int64_t from, to;
};

struct copy_ctx {
	struct store *to;
	struct id_pair *ids;
	size_t nids, cap;
	char *last_key; /* the key whose events are being copied */
	struct store_copied n;
	enum err e;
};

/* The target's id of the source's account id; false when it was not
 * copied (a session or token of an account that is gone). */
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

/* One account of the source: (id, email, hash, created, last_login). */
static int
copy_user(void *arg, const struct store_val *col, int ncol)
{
	struct copy_ctx *c = arg;
	struct store_user u;
	struct store_val a[5];
	struct one_int o = {0, false};
	int64_t id;

	if (ncol < 5 || col[1].kind != STORE_TEXT ||
	    col[2].kind != STORE_TEXT) {
		c->e = ERR_DB;
		log_error("database: copy: user %lld has a malformed row",
		          ncol > 0 ? (long long)col_int(&col[0]) : -1LL);
		return 1;
	}
	id = col_int(&col[0]);
	a[0] = store_int(id);
	memcpy(&a[1], &col[1], 4 * sizeof(a[0]));
	c->e = user_get(c->to, S_USER_BY_EMAIL, col[1], &u);
	if (c->e == ERR_OK) {
		/* The same account, by the uniqueness rule: now as in the
		 * source, under the target's id. */
		explicit_bzero(u.hash, sizeof(u.hash));
		a[0] = store_int(u.id);
		c->e = run(c->to, S_USER_UPDATE, a, 5, NULL, NULL);
	} else if (c->e == ERR_NOT_FOUND) {
		/* New: its own id when the target has no account with it. */
		c->e = run(c->to, S_USER_PUT_ID, a, 5, one_int_row, &o);
		if (c->e == ERR_OK && !o.found)
			c->e =
			    run(c->to, S_USER_PUT, a + 1, 4, one_int_row, &o);
		if (c->e == ERR_OK && !o.found)
			c->e = ERR_DB;
		u.id = o.v;
		c->n.users_new++;
	}
	/* Its sessions and token are the source's, copied below: one
	 * ended or spent there since an earlier copy goes here too. */
	a[0] = store_int(u.id);
	if (c->e == ERR_OK)
		c->e = run(c->to, S_SESSION_DELETE_USER, a, 1, NULL, NULL);
	if (c->e == ERR_OK)
		c->e = run(c->to, S_RESET_DELETE, a, 1, NULL, NULL);
	if (c->e == ERR_OK)
		c->e = id_add(c, id, u.id);
	if (c->e == ERR_OK)
		c->n.users++;
	return c->e != ERR_OK;
}

/* One live session: (digest, user_id, created, last_seen). */
static int
copy_session(void *arg, const struct store_val *col, int ncol)
{
	struct copy_ctx *c = arg;
	struct store_val a[4];
	int64_t to;

	if (ncol < 4 || col[0].kind != STORE_BLOB ||
	    col[0].n != STORE_DIGEST_LEN)
		return 0;
	if (!id_map(c, col_int(&col[1]), &to))
		return 0;
	memcpy(a, col, sizeof(a));
	a[1] = store_int(to);
	if ((c->e = run(c->to, S_SESSION_PUT, a, 4, NULL, NULL)) != ERR_OK)
		return 1;
	c->n.sessions++;
	return 0;
}

/* One live reset token: (user_id, digest, expires). */
static int
copy_reset(void *arg, const struct store_val *col, int ncol)
{
	struct copy_ctx *c = arg;
	struct store_val a[3];
	int64_t to;

	if (ncol < 3 || col[1].kind != STORE_BLOB ||
	    col[1].n != STORE_DIGEST_LEN)
		return 0;
	if (!id_map(c, col_int(&col[0]), &to))
		return 0;
	memcpy(a, col, sizeof(a));
	a[0] = store_int(to);
	if ((c->e = run(c->to, S_RESET_PUT, a, 3, NULL, NULL)) != ERR_OK)
		return 1;
	c->n.reset_tokens++;
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
		if ((c->e = run(c->to, S_THROTTLE_CLEAR, col, 1, NULL, NULL)) !=
		    ERR_OK)
			return 1;
	}
	if ((c->e = run(c->to, S_THROTTLE_ADD, col, 2, NULL, NULL)) != ERR_OK)
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
	if ((c->e = run(c->to, S_LOCK_PUT, col, 2, NULL, NULL)) != ERR_OK)
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
	enum err e = run(from, s, args, nargs, fn, c);

	return e != ERR_OK ? e : c->e;
}

enum err
store_copy(struct store *from, struct store *to, const struct store_live *live,
           struct store_copied *out)
{
	struct store_val idle[] = {store_int(live->idle_before),
	                           store_int(live->max_before)};
	struct store_val now = store_int(live->now),
	                 window = store_int(live->window_start);
	struct copy_ctx c;
	enum err e;

	memset(&c, 0, sizeof(c));
	c.to = to;
	if ((e = from->ops->begin(from, false)) != ERR_OK)
		return e;
	if ((e = store_begin(to)) != ERR_OK)
		goto out;
	if ((e = copy_rows(from, &c, S_COPY_USERS, NULL, 0, copy_user)) !=
	        ERR_OK ||
	    (e = run(to, S_USER_IDS_SYNC, NULL, 0, NULL, NULL)) != ERR_OK ||
	    (e = copy_rows(from, &c, S_COPY_SESSIONS, idle, NARGS(idle),
	                   copy_session)) != ERR_OK ||
	    (e = copy_rows(from, &c, S_COPY_RESETS, &now, 1, copy_reset)) !=
	        ERR_OK ||
	    (e = copy_rows(from, &c, S_COPY_EVENTS, &window, 1, copy_event)) !=
	        ERR_OK ||
	    (e = copy_rows(from, &c, S_COPY_LOCKS, &now, 1, copy_lock)) !=
	        ERR_OK ||
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
