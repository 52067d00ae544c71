/* session.c: the store's operations on sessions and reset tokens. */
#include <string.h>

#include "backend.h"

/* ---- sessions ---- */

enum err
store_session_insert(struct store *st,
                     const unsigned char digest[STORE_DIGEST_LEN],
                     int64_t user_id, int64_t now, const char *public_id,
                     const char *client, const char *user_agent,
                     bool second_factor)
{
	struct store_val a[] = {store_blob(digest, STORE_DIGEST_LEN),
	                        store_int(user_id),
	                        store_int(now),
	                        store_text(public_id),
	                        store_text_or_null(client),
	                        store_text_or_null(user_agent),
	                        store_int(second_factor ? 1 : 0)};

	if (strlen(public_id) != STORE_PUBLIC_ID_LEN ||
	    (client != NULL && strlen(client) > STORE_CLIENT_MAX) ||
	    (user_agent != NULL && strlen(user_agent) > STORE_AGENT_MAX))
		return ERR_INVAL;
	return store_run(st, S_SESSION_INSERT, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_session_set_factor(struct store *st,
                         const unsigned char digest[STORE_DIGEST_LEN])
{
	struct store_val a = store_blob(digest, STORE_DIGEST_LEN);

	return store_run(st, S_SESSION_SET_FACTOR, &a, 1, NULL, NULL);
}

/* Reads one session row (and, with email, its account's email; with
 * groups, its groups). */
struct session_read {
	struct store_session s;
	char *email;
	char *groups;
	bool found;
	enum err e;
};

static int
session_row(void *arg, const struct store_val *col, int ncol)
{
	struct session_read *r = arg;

	r->found = true;
	if (ncol < 5 ||
	    (r->e = store_col_digest(&col[3], r->s.digest)) != ERR_OK ||
	    (r->email != NULL &&
	     (ncol < 6 ||
	      (r->e = store_col_text(&col[5], r->email, STORE_EMAIL_MAX + 1)) !=
	          ERR_OK)) ||
	    (r->groups != NULL &&
	     (ncol < 7 ||
	      (r->e = store_col_text(&col[6], r->groups,
	                             STORE_GROUPS_MAX + 1)) != ERR_OK))) {
		r->e = ERR_DB;
		return 1;
	}
	r->s.user_id = store_col_int(&col[0]);
	r->s.created = store_col_int(&col[1]);
	r->s.last_seen = store_col_int(&col[2]);
	r->s.second_factor = store_col_int(&col[4]) != 0;
	return 1;
}

static enum err
session_get(struct store *st, enum store_stmt s,
            const unsigned char digest[STORE_DIGEST_LEN],
            struct store_session *out, char *email, char *groups)
{
	struct store_val a = store_blob(digest, STORE_DIGEST_LEN);
	struct session_read r;
	enum err e;

	memset(&r, 0, sizeof(r));
	r.email = email;
	r.groups = groups;
	e = store_run(st, s, &a, 1, session_row, &r);
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
	return session_get(st, S_SESSION_FIND, digest, out, NULL, NULL);
}

enum err
store_session_find_user(struct store *st,
                        const unsigned char digest[STORE_DIGEST_LEN],
                        struct store_session *out,
                        char email[STORE_EMAIL_MAX + 1])
{
	return session_get(st, S_SESSION_FIND_USER, digest, out, email, NULL);
}

enum err
store_session_gate(struct store *st,
                   const unsigned char digest[STORE_DIGEST_LEN],
                   struct store_session *out, char email[STORE_EMAIL_MAX + 1],
                   char groups[STORE_GROUPS_MAX + 1])
{
	return session_get(st, S_SESSION_GATE, digest, out, email, groups);
}

enum err
store_session_touch(struct store *st,
                    const unsigned char digest[STORE_DIGEST_LEN], int64_t now)
{
	struct store_val a[] = {store_blob(digest, STORE_DIGEST_LEN),
	                        store_int(now)};

	return store_run(st, S_SESSION_TOUCH, a, STORE_NARGS(a), NULL, NULL);
}

enum err
store_session_delete(struct store *st,
                     const unsigned char digest[STORE_DIGEST_LEN])
{
	struct store_val a = store_blob(digest, STORE_DIGEST_LEN);

	return store_run(st, S_SESSION_DELETE, &a, 1, NULL, NULL);
}

enum err
store_session_delete_user(struct store *st, int64_t user_id)
{
	struct store_val a = store_int(user_id);

	return store_run(st, S_SESSION_DELETE_USER, &a, 1, NULL, NULL);
}

enum err
store_session_delete_others(struct store *st, int64_t user_id,
                            const unsigned char keep[STORE_DIGEST_LEN])
{
	struct store_val a[] = {store_int(user_id),
	                        store_blob(keep, STORE_DIGEST_LEN)};

	return store_run(st, S_SESSION_DELETE_OTHERS, a, STORE_NARGS(a), NULL,
	                 NULL);
}

enum err
store_session_delete_public(struct store *st, int64_t user_id,
                            const char *public_id)
{
	struct store_val a[] = {store_int(user_id), store_text(public_id)};

	return store_run_one(st, S_SESSION_DELETE_PUBLIC, a, STORE_NARGS(a));
}

/* Reads the listed sessions into out[0..max). */
struct list_read {
	struct store_session_row *out;
	size_t max, n;
	enum err e;
};

static int
session_list_row(void *arg, const struct store_val *col, int ncol)
{
	struct list_read *l = arg;
	struct store_session_row *r;

	if (l->n >= l->max)
		return 1;
	r = &l->out[l->n];
	memset(r, 0, sizeof(*r));
	if (ncol < 6 ||
	    (l->e = store_col_text(&col[0], r->public_id,
	                           sizeof(r->public_id))) != ERR_OK ||
	    (l->e = store_col_text(&col[3], r->client, sizeof(r->client))) !=
	        ERR_OK ||
	    (l->e = store_col_text(&col[4], r->user_agent,
	                           sizeof(r->user_agent))) != ERR_OK ||
	    (l->e = store_col_digest(&col[5], r->digest)) != ERR_OK) {
		l->e = ERR_DB;
		return 1;
	}
	r->created = store_col_int(&col[1]);
	r->last_seen = store_col_int(&col[2]);
	l->n++;
	return 0;
}

enum err
store_session_list(struct store *st, int64_t user_id, int64_t seen_after,
                   int64_t created_after, struct store_session_row *out,
                   size_t max, size_t *n)
{
	struct store_val a[] = {store_int(user_id), store_int(seen_after),
	                        store_int(created_after),
	                        store_int((int64_t)max)};
	struct list_read l = {out, max, 0, ERR_OK};
	enum err e;

	e = store_run(st, S_SESSION_LIST, a, STORE_NARGS(a), session_list_row,
	              &l);
	if (e == ERR_OK)
		e = l.e;
	if (e == ERR_OK)
		*n = l.n;
	return e;
}

/* ---- reset tokens ---- */

enum err
store_reset_put(struct store *st, int64_t user_id,
                const unsigned char digest[STORE_DIGEST_LEN], int64_t expires)
{
	struct store_val a[] = {store_int(user_id),
	                        store_blob(digest, STORE_DIGEST_LEN),
	                        store_int(expires)};

	return store_run(st, S_RESET_PUT, a, STORE_NARGS(a), NULL, NULL);
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
	if (ncol < 3 ||
	    (r->e = store_col_digest(&col[2], r->r.digest)) != ERR_OK) {
		r->e = ERR_DB;
		return 1;
	}
	r->r.user_id = store_col_int(&col[0]);
	r->r.expires = store_col_int(&col[1]);
	return 1;
}

enum err
store_reset_get(struct store *st, int64_t user_id, struct store_reset *out)
{
	struct store_val a = store_int(user_id);
	struct reset_read r;
	enum err e;

	memset(&r, 0, sizeof(r));
	e = store_run(st, S_RESET_GET, &a, 1, reset_row, &r);
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

	return store_run(st, S_RESET_DELETE, &a, 1, NULL, NULL);
}
