/* account.c: the store's operations on what belongs to an account beside
 * its sessions: groups, email links, remembered clients, the second
 * factor with its recovery codes, and log-ins that wait for it. */
#include <string.h>

#include "../common/log.h"
#include "backend.h"

/* ---- groups ---- */

enum err
store_group_add(struct store *st, int64_t user_id, const char *name)
{
	struct store_val a[] = {store_int(user_id), store_text(name)};

	return store_run(st, S_GROUP_ADD, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_group_remove(struct store *st, int64_t user_id, const char *name)
{
	struct store_val a[] = {store_int(user_id), store_text(name)};

	return store_run_one(st, S_GROUP_REMOVE, a, STORE_NARGS(a));
}

struct groups_read {
	char *out;
	int64_t count;
	bool found;
	enum err e;
};

static int
groups_row(void *arg, const struct store_val *col, int ncol)
{
	struct groups_read *g = arg;

	g->found = true;
	if (ncol < 2 || (g->e = store_col_text(&col[0], g->out,
	                                       STORE_GROUPS_MAX + 1)) != ERR_OK)
		g->e = ERR_DB;
	g->count = ncol < 2 ? 0 : store_col_int(&col[1]);
	return 1;
}

enum err
store_groups_of(struct store *st, int64_t user_id,
                char out[STORE_GROUPS_MAX + 1], int64_t *count)
{
	struct store_val a = store_int(user_id);
	struct groups_read g = {out, 0, false, ERR_OK};
	enum err e;

	e = store_run(st, S_GROUPS_OF, &a, 1, groups_row, &g);
	if (e == ERR_OK && !g.found)
		g.e = ERR_DB;
	if (e == ERR_OK)
		e = g.e;
	if (e == ERR_OK)
		*count = g.count;
	return e;
}

/* ---- email links ---- */

struct link_read {
	struct store_link l;
	bool found;
	enum err e;
};

static int
link_row(void *arg, const struct store_val *col, int ncol)
{
	struct link_read *r = arg;

	r->found = true;
	if (ncol < 4 ||
	    (r->e = store_col_digest(&col[2], r->l.digest)) != ERR_OK ||
	    (r->e = store_col_text(&col[3], r->l.email, sizeof(r->l.email))) !=
	        ERR_OK) {
		r->e = ERR_DB;
		return 1;
	}
	r->l.user_id = store_col_int(&col[0]);
	r->l.expires = store_col_int(&col[1]);
	return 1;
}

static enum err
link_get(struct store *st, enum store_stmt s, struct store_val key,
         struct store_link *out)
{
	struct link_read r;
	enum err e;

	memset(&r, 0, sizeof(r));
	e = store_run(st, s, &key, 1, link_row, &r);
	if (e == ERR_OK)
		e = r.e;
	if (e == ERR_OK && !r.found)
		e = ERR_NOT_FOUND;
	if (e == ERR_OK)
		*out = r.l;
	return e;
}

enum err
store_link_put(struct store *st, int64_t user_id,
               const unsigned char digest[STORE_DIGEST_LEN], const char *email,
               int64_t expires)
{
	struct store_val a[] = {store_int(user_id),
	                        store_blob(digest, STORE_DIGEST_LEN),
	                        store_text(email), store_int(expires)};

	if (strlen(email) > STORE_EMAIL_MAX)
		return ERR_INVAL;
	return store_run(st, S_LINK_PUT, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_link_find(struct store *st, const unsigned char digest[STORE_DIGEST_LEN],
                struct store_link *out)
{
	return link_get(st, S_LINK_FIND, store_blob(digest, STORE_DIGEST_LEN),
	                out);
}

enum err
store_link_get(struct store *st, int64_t user_id, struct store_link *out)
{
	return link_get(st, S_LINK_GET, store_int(user_id), out);
}

enum err
store_link_delete(struct store *st, int64_t user_id)
{
	struct store_val a = store_int(user_id);

	return store_run(st, S_LINK_DELETE, &a, 1, NULL, NULL);
}

/* ---- remembered clients ---- */

/* One integer read with statement s bound to args; 0 without a row. */
static enum err
one_int(struct store *st, enum store_stmt s, const struct store_val *args,
        int nargs, int64_t *out)
{
	struct store_one_int o = {0, false};
	enum err e;

	if ((e = store_run(st, s, args, nargs, store_one_int_row, &o)) ==
	    ERR_OK)
		*out = o.v;
	return e;
}

enum err
store_client_count(struct store *st, int64_t user_id, int64_t since, int64_t *n)
{
	struct store_val a[] = {store_int(user_id), store_int(since)};

	return one_int(st, S_CLIENT_COUNT, a, STORE_NARGS(a), n);
}

enum err
store_client_seen(struct store *st, int64_t user_id, const char *key,
                  int64_t *seen)
{
	struct store_val a[] = {store_int(user_id), store_text(key)};

	return one_int(st, S_CLIENT_SEEN, a, STORE_NARGS(a), seen);
}

enum err
store_client_put(struct store *st, int64_t user_id, const char *key,
                 int64_t now)
{
	struct store_val a[] = {store_int(user_id), store_text(key),
	                        store_int(now)};

	if (strlen(key) > STORE_KEY_MAX)
		return ERR_INVAL;
	return store_run(st, S_CLIENT_PUT, a, STORE_NARGS(a), NULL, NULL);
}

/* ---- the second factor ---- */

struct factor_read {
	struct store_factor *out;
	int64_t user_id;
	bool found;
	enum err e;
};

static int
factor_row(void *arg, const struct store_val *col, int ncol)
{
	struct factor_read *r = arg;
	struct store_factor *f = r->out;

	r->found = true;
	if (ncol < 4 || col[0].kind != STORE_BLOB || col[0].n == 0 ||
	    col[0].n > STORE_SEALED_MAX) {
		log_error("database: the second factor of user %lld"
		          " is malformed",
		          (long long)r->user_id);
		r->e = ERR_DB;
		return 1;
	}
	memcpy(f->sealed, col[0].s, col[0].n);
	f->sealed_len = col[0].n;
	f->active = store_col_int(&col[1]) != 0;
	f->last_step = store_col_int(&col[2]);
	f->expires = store_col_int(&col[3]);
	return 1;
}

enum err
store_factor_get(struct store *st, int64_t user_id, struct store_factor *out)
{
	struct store_val a = store_int(user_id);
	struct store_factor f;
	struct factor_read r = {&f, user_id, false, ERR_OK};
	enum err e;

	e = store_run(st, S_FACTOR_GET, &a, 1, factor_row, &r);
	if (e == ERR_OK)
		e = r.e;
	if (e == ERR_OK && !r.found)
		e = ERR_NOT_FOUND;
	if (e == ERR_OK)
		*out = f;
	explicit_bzero(&f, sizeof(f));
	return e;
}

enum err
store_factor_put(struct store *st, int64_t user_id, const unsigned char *sealed,
                 size_t n, int64_t expires)
{
	struct store_val a[] = {store_int(user_id), store_blob(sealed, n),
	                        store_int(expires)};

	if (n == 0 || n > STORE_SEALED_MAX)
		return ERR_INVAL;
	return store_run(st, S_FACTOR_PUT, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_factor_activate(struct store *st, int64_t user_id, int64_t step)
{
	struct store_val a[] = {store_int(user_id), store_int(step)};

	return store_run_one(st, S_FACTOR_ACTIVATE, a, STORE_NARGS(a));
}

enum err
store_factor_use(struct store *st, int64_t user_id, int64_t step)
{
	struct store_val a[] = {store_int(user_id), store_int(step)};

	return store_run_one(st, S_FACTOR_USE, a, STORE_NARGS(a));
}

enum err
store_factor_delete(struct store *st, int64_t user_id)
{
	struct store_val a = store_int(user_id);
	enum err e;

	if ((e = store_run(st, S_RECOVERY_DELETE, &a, 1, NULL, NULL)) !=
	        ERR_OK ||
	    (e = store_run(st, S_PENDING_DELETE_USER, &a, 1, NULL, NULL)) !=
	        ERR_OK)
		return e;
	return store_run(st, S_FACTOR_DELETE, &a, 1, NULL, NULL);
}

enum err
store_recovery_set(struct store *st, int64_t user_id,
                   const char *const *digests, size_t n)
{
	struct store_val a[] = {store_int(user_id), store_text("")};
	enum err e;
	size_t i;

	e = store_run(st, S_RECOVERY_DELETE, a, 1, NULL, NULL);
	for (i = 0; e == ERR_OK && i < n; i++) {
		a[1] = store_text(digests[i]);
		e = store_run(st, S_RECOVERY_ADD, a, STORE_NARGS(a), NULL,
		              NULL);
	}
	return e;
}

enum err
store_recovery_use(struct store *st, int64_t user_id, const char *digest)
{
	struct store_val a[] = {store_int(user_id), store_text(digest)};

	return store_run_one(st, S_RECOVERY_USE, a, STORE_NARGS(a));
}

enum err
store_recovery_count(struct store *st, int64_t user_id, int64_t *n)
{
	struct store_val a = store_int(user_id);

	return one_int(st, S_RECOVERY_COUNT, &a, 1, n);
}

/* ---- log-ins that wait for their second factor ---- */

enum err
store_pending_put(struct store *st,
                  const unsigned char digest[STORE_DIGEST_LEN], int64_t user_id,
                  const unsigned char form[STORE_DIGEST_LEN], int64_t expires)
{
	struct store_val a[] = {
	    store_blob(digest, STORE_DIGEST_LEN), store_int(user_id),
	    store_blob(form, STORE_DIGEST_LEN), store_int(expires)};

	return store_run(st, S_PENDING_PUT, a, STORE_NARGS(a), NULL, NULL);
}

struct pending_read {
	struct store_pending p;
	bool found;
	enum err e;
};

static int
pending_row(void *arg, const struct store_val *col, int ncol)
{
	struct pending_read *r = arg;

	r->found = true;
	if (ncol < 4 ||
	    (r->e = store_col_digest(&col[2], r->p.digest)) != ERR_OK ||
	    (r->e = store_col_digest(&col[3], r->p.form)) != ERR_OK) {
		r->e = ERR_DB;
		return 1;
	}
	r->p.user_id = store_col_int(&col[0]);
	r->p.expires = store_col_int(&col[1]);
	return 1;
}

enum err
store_pending_find(struct store *st,
                   const unsigned char digest[STORE_DIGEST_LEN],
                   struct store_pending *out)
{
	struct store_val a = store_blob(digest, STORE_DIGEST_LEN);
	struct pending_read r;
	enum err e;

	memset(&r, 0, sizeof(r));
	e = store_run(st, S_PENDING_FIND, &a, 1, pending_row, &r);
	if (e == ERR_OK)
		e = r.e;
	if (e == ERR_OK && !r.found)
		e = ERR_NOT_FOUND;
	if (e == ERR_OK)
		*out = r.p;
	return e;
}

enum err
store_pending_delete(struct store *st,
                     const unsigned char digest[STORE_DIGEST_LEN])
{
	struct store_val a = store_blob(digest, STORE_DIGEST_LEN);

	return store_run_one(st, S_PENDING_DELETE, &a, 1);
}

enum err
store_pending_delete_user(struct store *st, int64_t user_id)
{
	struct store_val a = store_int(user_id);

	return store_run(st, S_PENDING_DELETE_USER, &a, 1, NULL, NULL);
}
