/* backend.h: what the store's front (store.c) and its backends (sqlite.c,
 * pg.c) share. Not a contract for other layers: they include store.h. */
#ifndef AUTHCGI_STORE_BACKEND_H
#define AUTHCGI_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * The statements of the store, by name. Each backend holds its own SQL
 * text for every one (SQL dialects differ), with the same parameters in
 * the same order and the same columns; store.c binds and reads them alike
 * for every backend. A backend whose text is NULL for
 * a statement has nothing to do for it (the statement succeeds, no row).
 */
enum store_stmt {
	S_VERSION,               /* () -> version */
	S_USER_INSERT,           /* (email, hash, created) -> id */
	S_USER_BY_EMAIL,         /* (email) -> id, email, hash, created,
	                            last_login (0: never), disabled,
	                            unverified */
	S_USER_BY_ID,            /* (id) -> the same */
	S_USER_SET_HASH,         /* (id, hash) */
	S_USER_SET_LOGIN,        /* (id, now) */
	S_USER_SET_EMAIL,        /* (id, email) */
	S_USER_SET_DISABLED,     /* (id, 0 or 1) */
	S_USER_SET_UNVERIFIED,   /* (id, 0 or 1) */
	S_SESSION_INSERT,        /* (digest, user_id, now, public_id, client,
	                            user_agent, second_factor) */
	S_SESSION_FIND,          /* (digest) -> user_id, created, last_seen,
	                            digest, second_factor */
	S_SESSION_FIND_USER,     /* (digest) -> the same, email */
	S_SESSION_GATE,          /* (digest) -> the same, email, groups */
	S_SESSION_SET_FACTOR,    /* (digest) */
	S_SESSION_TOUCH,         /* (digest, now) */
	S_SESSION_DELETE,        /* (digest) */
	S_SESSION_DELETE_USER,   /* (user_id) */
	S_SESSION_DELETE_OTHERS, /* (user_id, digest kept) */
	S_SESSION_DELETE_PUBLIC, /* (user_id, public_id) */
	S_SESSION_LIST,          /* (user_id, seen_after, created_after, max)
	                            -> public_id, created, last_seen, client,
	                            user_agent, digest */
	S_RESET_PUT,             /* (user_id, digest, expires) */
	S_RESET_GET,             /* (user_id) -> user_id, expires, digest */
	S_RESET_DELETE,          /* (user_id) */
	S_GROUP_ADD,             /* (user_id, name): none when there */
	S_GROUP_REMOVE,          /* (user_id, name) */
	S_GROUPS_OF,             /* (user_id) -> names sorted and
	                            comma-separated, count */
	S_GROUPS_DELETE_USER,    /* (user_id) */
	S_LINK_PUT,              /* (user_id, digest, email, expires) */
	S_LINK_FIND,             /* (digest) -> user_id, expires, digest,
	                            email */
	S_LINK_GET,              /* (user_id) -> the same */
	S_LINK_DELETE,           /* (user_id) */
	S_CLIENT_COUNT,          /* (user_id, since) -> count */
	S_CLIENT_SEEN,           /* (user_id, key) -> last_seen */
	S_CLIENT_PUT,            /* (user_id, key, now): inserted or replaced */
	S_CLIENT_DELETE_USER,    /* (user_id) */
	S_FACTOR_GET,            /* (user_id) -> sealed, active, last_step,
	                            expires */
	S_FACTOR_PUT,            /* (user_id, sealed, expires): inactive,
	                            inserted or replaced */
	S_FACTOR_ACTIVATE,       /* (user_id, step): an inactive one only */
	S_FACTOR_USE,            /* (user_id, step): an active one whose
	                            last step is before step only */
	S_FACTOR_DELETE,         /* (user_id) */
	S_RECOVERY_ADD,          /* (user_id, digest): none when there */
	S_RECOVERY_USE,          /* (user_id, digest) */
	S_RECOVERY_COUNT,        /* (user_id) -> count */
	S_RECOVERY_DELETE,       /* (user_id) */
	S_PENDING_PUT,           /* (digest, user_id, form, expires) */
	S_PENDING_FIND,          /* (digest) -> user_id, expires, digest,
	                            form */
	S_PENDING_DELETE,        /* (digest) */
	S_PENDING_DELETE_USER,   /* (user_id) */
	S_THROTTLE_COUNT,        /* (key, since) -> count */
	S_THROTTLE_ADD,          /* (key, at) */
	S_THROTTLE_REMOVE,       /* (key, at): one event */
	S_THROTTLE_CLEAR,        /* (key): every event */
	S_LOCK_GET,              /* (key) -> until */
	S_LOCK_PUT,              /* (key, until) */
	S_LOCK_DELETE,           /* (key) */
	S_USER_LIST,             /* () -> id, email, created, last_login */
	S_USER_DELETE,           /* (id) */
	S_PURGE_SESSIONS,        /* (idle_before, max_before) */
	S_PURGE_RESETS,          /* (now) */
	S_PURGE_THROTTLE,        /* (window_before) */
	S_PURGE_LOCKS,           /* (now) */
	S_PURGE_LINKS,           /* (now) */
	S_PURGE_CLIENTS,         /* (before) */
	S_PURGE_PENDING,         /* (now) */
	S_PURGE_FACTORS,         /* (now): inactive ones only */
	S_USER_IMPORT,           /* (email, hash, created): none when taken */
	S_COPY_USERS,            /* () -> id, email, hash, created, last_login,
	                            disabled, unverified, in id order */
	S_COPY_SESSIONS,         /* (idle_before, max_before) -> digest,
	                            user_id, created, last_seen, public_id,
	                            client, user_agent, second_factor: the
	                            live ones */
	S_COPY_RESETS,           /* (now) -> user_id, digest, expires */
	S_COPY_GROUPS,           /* () -> user_id, name */
	S_COPY_LINKS,            /* (now) -> user_id, digest, email, expires */
	S_COPY_CLIENTS,          /* (since) -> user_id, key, last_seen */
	S_COPY_FACTORS,          /* (now) -> user_id, sealed, active,
	                            last_step, expires: active ones and
	                            inactive ones not expired */
	S_COPY_RECOVERY,         /* () -> user_id, digest */
	S_COPY_EVENTS,           /* (window_before) -> key, at, by key */
	S_COPY_LOCKS,            /* (now) -> key, until */
	S_USER_PUT_ID,           /* (id, email, hash, created, last_login,
	                            disabled, unverified) -> id; no row when
	                            the id is taken */
	S_USER_PUT,              /* (email, hash, created, last_login,
	                            disabled, unverified) -> id */
	S_USER_UPDATE,           /* (id, email, hash, created, last_login,
	                            disabled, unverified) */
	S_SESSION_PUT,           /* (digest, user_id, created, last_seen,
	                            public_id, client, user_agent,
	                            second_factor): inserted or replaced */
	S_FACTOR_COPY,           /* (user_id, sealed, active, last_step,
	                            expires): inserted or replaced */
	S_USER_IDS_SYNC,         /* (): new ids follow the largest one */
	S__MAX
};

/* A parameter of a statement, or a column of a row it returned. */
enum store_kind {
	STORE_NULL,
	STORE_INT,  /* i */
	STORE_TEXT, /* s, NUL-terminated, of n bytes */
	STORE_BLOB, /* s, n bytes */
};

struct store_val {
	enum store_kind kind;
	int64_t i;
	const char *s;
	size_t n;
};

/* The most parameters, or columns, of any statement. */
#define STORE_VAL_MAX 8

static inline struct store_val
store_int(int64_t i)
{
	struct store_val v = {STORE_INT, i, NULL, 0};

	return v;
}

static inline struct store_val
store_text(const char *s)
{
	struct store_val v = {STORE_TEXT, 0, s, 0};

	return v;
}

/* Text, or NULL when s is NULL. */
static inline struct store_val
store_text_or_null(const char *s)
{
	struct store_val v = {s != NULL ? STORE_TEXT : STORE_NULL, 0, s, 0};

	return v;
}

static inline struct store_val
store_blob(const void *p, size_t n)
{
	struct store_val v = {STORE_BLOB, 0, p, n};

	return v;
}

/* Called with each row a statement returns; the columns are borrowed
 * until it returns. Returning non-zero stops the rows. */
typedef int (*store_row_fn)(void *arg, const struct store_val *col, int ncol);

/*
 * What a backend does; store.c holds what backends share (checks of the
 * arguments, every operation built of statements, copying between
 * databases) and calls these. Faults are logged by the backend, with its
 * database's own words, and returned as error kinds (ERR_EXISTS, for a
 * uniqueness conflict, is not logged).
 */
struct store_ops {
	/* store_open() for this backend. */
	enum err (*open)(struct store **out, const struct store_config *cfg);
	void (*close)(struct store *st);
	/* A write transaction (write: one writer at a time, taken at once,
	 * waiting up to the busy timeout), or a read-only one that sees one
	 * state of the database throughout. */
	enum err (*begin)(struct store *st, bool write);
	enum err (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	/* Run statement s with its nargs parameters; fn (or NULL) gets each
	 * row. fn may run other statements on st, even s itself. */
	enum err (*run)(struct store *st, enum store_stmt s,
	                const struct store_val *args, int nargs,
	                store_row_fn fn, void *arg);
	/* Rows the last statement changed. */
	int64_t (*changes)(struct store *st);
};

/* Every backend's connection begins with this. */
struct store {
	const struct store_ops *ops;
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* Each backend's SQL (sqlite_sql.c, pg_sql.c): the text of every
 * statement (NULL: nothing to do), and the migrations. */
extern const char *const store_sqlite_sql[S__MAX];
/* store_sqlite_migrations[i] takes a database from version i to i + 1. */
extern const char *const store_sqlite_migrations[STORE_SCHEMA_VERSION];

extern const char *const store_pg_sql[S__MAX];
/* PostgreSQL's table of applied versions, made if missing. */
extern const char store_pg_version_table[];

/* A PostgreSQL migration, and the version it takes the database to. */
struct store_migration {
	int version;
	const char *sql;
};

extern const struct store_migration store_pg_migrations[];
extern const size_t store_pg_nmigrations;

/* What each statement does, for the log ("insert user"). */
extern const char *const store_stmt_what[S__MAX];

/* store.c: ERR_DB, logged, when schema version v is newer than this
 * build knows (another host has upgraded the database); else ERR_OK. */
enum err store_version_known(int v);

/* ---- store.c: what the front's files (store.c, session.c, account.c,
 * admin.c, copy.c) share ---- */

#define STORE_NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* st's backend runs statement s (see store_ops.run). */
enum err store_run(struct store *st, enum store_stmt s,
                   const struct store_val *args, int nargs, store_row_fn fn,
                   void *arg);

/* Copy a text column into dst[size]; ERR_DB when it is not text or does
 * not fit. */
enum err store_col_text(const struct store_val *v, char *dst, size_t size);

/* Copy a digest column; ERR_DB when it is not one. */
enum err store_col_digest(const struct store_val *v, unsigned char *dst);

/* An integer column; 0 when it is not one (NULL). */
int64_t store_col_int(const struct store_val *v);

/* The first row's first column as an integer, with store_one_int_row. */
struct store_one_int {
	int64_t v;
	bool found;
};

int store_one_int_row(void *arg, const struct store_val *col, int ncol);

/* Run statement s bound to args, which must change a row: ERR_NOT_FOUND
 * when it changed none. */
enum err store_run_one(struct store *st, enum store_stmt s,
                       const struct store_val *args, int nargs);

/*
 * sqlite.c: call fn with (email, hash) for each account of the original
 * service's SQLite database at path that can be imported (a "$2" hash,
 * an email with an "@" after its first byte, both short enough), in row
 * order; *total is the number of its accounts. ERR_DB when path is not
 * such a database.
 */
enum err store_sqlite_original(const char *path, store_row_fn fn, void *arg,
                               int64_t *total);

#endif
