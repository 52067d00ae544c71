/* sqlite.c: the SQLite backend of the store: one file, one writer at a
 * time (BEGIN IMMEDIATE), many readers (WAL). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "../common/log.h"
#include "backend.h"

static const char *const stmt_sql[S__MAX] = {
    [S_VERSION] = "PRAGMA user_version",
    [S_USER_INSERT] = "INSERT INTO users (email, password_hash, created_at)"
                      " VALUES (?1, ?2, ?3) RETURNING id",
    [S_USER_BY_EMAIL] = "SELECT id, email, password_hash, created_at,"
                        " coalesce(last_login, 0), disabled, unverified"
                        " FROM users WHERE email = ?1",
    [S_USER_BY_ID] = "SELECT id, email, password_hash, created_at,"
                     " coalesce(last_login, 0), disabled, unverified"
                     " FROM users WHERE id = ?1",
    [S_USER_SET_HASH] = "UPDATE users SET password_hash = ?2 WHERE id = ?1",
    [S_USER_SET_LOGIN] = "UPDATE users SET last_login = ?2 WHERE id = ?1",
    [S_USER_SET_EMAIL] = "UPDATE users SET email = ?2 WHERE id = ?1",
    [S_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE id = ?1",
    [S_USER_SET_UNVERIFIED] = "UPDATE users SET unverified = ?2"
                              " WHERE id = ?1",
    [S_SESSION_INSERT] = "INSERT INTO sessions (token_hash, user_id,"
                         " created_at, last_seen, public_id, client,"
                         " user_agent, second_factor)"
                         " VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7)",
    [S_SESSION_FIND] = "SELECT user_id, created_at, last_seen, token_hash,"
                       " second_factor FROM sessions WHERE token_hash = ?1",
    [S_SESSION_FIND_USER] = "SELECT s.user_id, s.created_at, s.last_seen,"
                            " s.token_hash, s.second_factor, u.email"
                            " FROM sessions s"
                            " JOIN users u ON u.id = s.user_id"
                            " WHERE s.token_hash = ?1",
    [S_SESSION_GATE] = "SELECT s.user_id, s.created_at, s.last_seen,"
                       " s.token_hash, s.second_factor, u.email,"
                       " (SELECT coalesce(group_concat(name, ','), '') FROM"
                       " (SELECT name FROM groups WHERE user_id = u.id"
                       " ORDER BY name))"
                       " FROM sessions s JOIN users u ON u.id = s.user_id"
                       " WHERE s.token_hash = ?1",
    [S_SESSION_SET_FACTOR] = "UPDATE sessions SET second_factor = 1"
                             " WHERE token_hash = ?1",
    [S_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?2"
                        " WHERE token_hash = ?1",
    [S_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
    [S_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1",
    [S_SESSION_DELETE_OTHERS] = "DELETE FROM sessions WHERE user_id = ?1"
                                " AND token_hash <> ?2",
    [S_SESSION_DELETE_PUBLIC] = "DELETE FROM sessions WHERE user_id = ?1"
                                " AND public_id = ?2",
    [S_SESSION_LIST] = "SELECT coalesce(public_id, ''), created_at,"
                       " last_seen, coalesce(client, ''),"
                       " coalesce(user_agent, ''), token_hash FROM sessions"
                       " WHERE user_id = ?1 AND last_seen > ?2"
                       " AND created_at > ?3"
                       " ORDER BY last_seen DESC, created_at DESC LIMIT ?4",
    [S_RESET_PUT] = "INSERT OR REPLACE INTO reset_tokens"
                    " (user_id, token_hash, expires_at) VALUES (?1, ?2, ?3)",
    [S_RESET_GET] = "SELECT user_id, expires_at, token_hash"
                    " FROM reset_tokens WHERE user_id = ?1",
    [S_RESET_DELETE] = "DELETE FROM reset_tokens WHERE user_id = ?1",
    [S_GROUP_ADD] = "INSERT OR IGNORE INTO groups (user_id, name)"
                    " VALUES (?1, ?2)",
    [S_GROUP_REMOVE] = "DELETE FROM groups WHERE user_id = ?1 AND name = ?2",
    [S_GROUPS_OF] = "SELECT coalesce(group_concat(name, ','), ''), count(*)"
                    " FROM (SELECT name FROM groups WHERE user_id = ?1"
                    " ORDER BY name)",
    [S_GROUPS_DELETE_USER] = "DELETE FROM groups WHERE user_id = ?1",
    [S_LINK_PUT] = "INSERT OR REPLACE INTO email_links"
                   " (user_id, token_hash, email, expires_at)"
                   " VALUES (?1, ?2, ?3, ?4)",
    [S_LINK_FIND] = "SELECT user_id, expires_at, token_hash, email"
                    " FROM email_links WHERE token_hash = ?1",
    [S_LINK_GET] = "SELECT user_id, expires_at, token_hash, email"
                   " FROM email_links WHERE user_id = ?1",
    [S_LINK_DELETE] = "DELETE FROM email_links WHERE user_id = ?1",
    [S_CLIENT_COUNT] = "SELECT count(*) FROM known_clients"
                       " WHERE user_id = ?1 AND last_seen >= ?2",
    [S_CLIENT_SEEN] = "SELECT last_seen FROM known_clients"
                      " WHERE user_id = ?1 AND key = ?2",
    [S_CLIENT_PUT] = "INSERT OR REPLACE INTO known_clients"
                     " (user_id, key, last_seen) VALUES (?1, ?2, ?3)",
    [S_CLIENT_DELETE_USER] = "DELETE FROM known_clients WHERE user_id = ?1",
    [S_FACTOR_GET] = "SELECT sealed, active, last_step, expires_at"
                     " FROM second_factors WHERE user_id = ?1",
    [S_FACTOR_PUT] = "INSERT OR REPLACE INTO second_factors"
                     " (user_id, sealed, active, last_step, expires_at)"
                     " VALUES (?1, ?2, 0, 0, ?3)",
    [S_FACTOR_ACTIVATE] = "UPDATE second_factors SET active = 1,"
                          " last_step = ?2, expires_at = 0"
                          " WHERE user_id = ?1 AND active = 0",
    [S_FACTOR_USE] = "UPDATE second_factors SET last_step = ?2"
                     " WHERE user_id = ?1 AND active = 1"
                     " AND last_step < ?2",
    [S_FACTOR_DELETE] = "DELETE FROM second_factors WHERE user_id = ?1",
    [S_RECOVERY_ADD] = "INSERT OR IGNORE INTO recovery_codes"
                       " (user_id, digest) VALUES (?1, ?2)",
    [S_RECOVERY_USE] = "DELETE FROM recovery_codes"
                       " WHERE user_id = ?1 AND digest = ?2",
    [S_RECOVERY_COUNT] = "SELECT count(*) FROM recovery_codes"
                         " WHERE user_id = ?1",
    [S_RECOVERY_DELETE] = "DELETE FROM recovery_codes WHERE user_id = ?1",
    [S_PENDING_PUT] = "INSERT INTO pending_logins"
                      " (token_hash, user_id, form_hash, expires_at)"
                      " VALUES (?1, ?2, ?3, ?4)",
    [S_PENDING_FIND] = "SELECT user_id, expires_at, token_hash, form_hash"
                       " FROM pending_logins WHERE token_hash = ?1",
    [S_PENDING_DELETE] = "DELETE FROM pending_logins WHERE token_hash = ?1",
    [S_PENDING_DELETE_USER] = "DELETE FROM pending_logins"
                              " WHERE user_id = ?1",
    [S_THROTTLE_COUNT] = "SELECT count(*) FROM throttle_events"
                         " WHERE key = ?1 AND at >= ?2",
    [S_THROTTLE_ADD] = "INSERT INTO throttle_events (key, at) VALUES (?1, ?2)",
    [S_THROTTLE_REMOVE] = "DELETE FROM throttle_events WHERE rowid ="
                          " (SELECT rowid FROM throttle_events"
                          " WHERE key = ?1 AND at = ?2 LIMIT 1)",
    [S_THROTTLE_CLEAR] = "DELETE FROM throttle_events WHERE key = ?1",
    [S_LOCK_GET] = "SELECT until FROM throttle_locks WHERE key = ?1",
    [S_LOCK_PUT] = "INSERT OR REPLACE INTO throttle_locks (key, until)"
                   " VALUES (?1, ?2)",
    [S_LOCK_DELETE] = "DELETE FROM throttle_locks WHERE key = ?1",
    [S_USER_LIST] = "SELECT id, email, created_at, coalesce(last_login, 0)"
                    " FROM users ORDER BY id",
    [S_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
    [S_PURGE_SESSIONS] = "DELETE FROM sessions"
                         " WHERE last_seen <= ?1 OR created_at <= ?2",
    [S_PURGE_RESETS] = "DELETE FROM reset_tokens WHERE expires_at <= ?1",
    [S_PURGE_THROTTLE] = "DELETE FROM throttle_events WHERE at < ?1",
    [S_PURGE_LOCKS] = "DELETE FROM throttle_locks WHERE until <= ?1",
    [S_PURGE_LINKS] = "DELETE FROM email_links WHERE expires_at <= ?1",
    [S_PURGE_CLIENTS] = "DELETE FROM known_clients WHERE last_seen < ?1",
    [S_PURGE_PENDING] = "DELETE FROM pending_logins WHERE expires_at <= ?1",
    [S_PURGE_FACTORS] = "DELETE FROM second_factors"
                        " WHERE active = 0 AND expires_at <= ?1",
    [S_USER_IMPORT] = "INSERT OR IGNORE INTO users (email, password_hash,"
                      " created_at) VALUES (?1, ?2, ?3)",
    [S_COPY_USERS] = "SELECT id, email, password_hash, created_at,"
                     " coalesce(last_login, 0), disabled, unverified"
                     " FROM users ORDER BY id",
    [S_COPY_SESSIONS] = "SELECT token_hash, user_id, created_at, last_seen,"
                        " public_id, client, user_agent, second_factor"
                        " FROM sessions"
                        " WHERE last_seen > ?1 AND created_at > ?2",
    [S_COPY_RESETS] = "SELECT user_id, token_hash, expires_at"
                      " FROM reset_tokens WHERE expires_at > ?1",
    [S_COPY_GROUPS] = "SELECT user_id, name FROM groups",
    [S_COPY_LINKS] = "SELECT user_id, token_hash, email, expires_at"
                     " FROM email_links WHERE expires_at > ?1",
    [S_COPY_CLIENTS] = "SELECT user_id, key, last_seen FROM known_clients"
                       " WHERE last_seen >= ?1",
    [S_COPY_FACTORS] = "SELECT user_id, sealed, active, last_step,"
                       " expires_at FROM second_factors"
                       " WHERE active <> 0 OR expires_at > ?1",
    [S_COPY_RECOVERY] = "SELECT user_id, digest FROM recovery_codes",
    [S_COPY_EVENTS] = "SELECT key, at FROM throttle_events WHERE at >= ?1"
                      " ORDER BY key, at",
    [S_COPY_LOCKS] = "SELECT key, until FROM throttle_locks"
                     " WHERE until > ?1",
    [S_USER_PUT_ID] = "INSERT OR IGNORE INTO users (id, email,"
                      " password_hash, created_at, last_login, disabled,"
                      " unverified) VALUES (?1, ?2, ?3, ?4, nullif(?5, 0),"
                      " ?6, ?7) RETURNING id",
    [S_USER_PUT] = "INSERT INTO users (email, password_hash, created_at,"
                   " last_login, disabled, unverified)"
                   " VALUES (?1, ?2, ?3, nullif(?4, 0), ?5, ?6)"
                   " RETURNING id",
    [S_USER_UPDATE] = "UPDATE users SET email = ?2, password_hash = ?3,"
                      " created_at = ?4, last_login = nullif(?5, 0),"
                      " disabled = ?6, unverified = ?7 WHERE id = ?1",
    [S_SESSION_PUT] = "INSERT OR REPLACE INTO sessions (token_hash, user_id,"
                      " created_at, last_seen, public_id, client,"
                      " user_agent, second_factor)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_FACTOR_COPY] = "INSERT OR REPLACE INTO second_factors"
                      " (user_id, sealed, active, last_step, expires_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
    /* An INTEGER PRIMARY KEY takes the largest id plus one. */
    [S_USER_IDS_SYNC] = NULL,
};

/*
 * Migrations, in order: migrations[i] takes a database from version i to
 * i + 1. Append only; never edit one that has shipped.
 */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1: accounts, sessions, reset tokens. */
    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " password_hash TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " last_login INTEGER);"
    "CREATE TABLE sessions ("
    " token_hash BLOB PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " created_at INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions (user_id);"
    "CREATE TABLE reset_tokens ("
    " user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,"
    " token_hash BLOB NOT NULL,"
    " expires_at INTEGER NOT NULL);",
    /* 1 -> 2: failure counters for throttling, per account and address. */
    "CREATE TABLE throttle ("
    " key TEXT PRIMARY KEY,"
    " failures INTEGER NOT NULL,"
    " window_start INTEGER NOT NULL,"
    " locked_until INTEGER NOT NULL) WITHOUT ROWID;",
    /* 2 -> 3: failures as single events, so that a sliding window can
     * count them; locks apart. The old counters go (their keys held
     * emails as typed, and they are at most a lockout old). */
    "DROP TABLE throttle;"
    "CREATE TABLE throttle_events ("
    " key TEXT NOT NULL,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX throttle_events_key ON throttle_events (key, at);"
    "CREATE TABLE throttle_locks ("
    " key TEXT PRIMARY KEY,"
    " until INTEGER NOT NULL) WITHOUT ROWID;",
    /* 3 -> 4: groups of accounts, for the gate's rules. */
    "CREATE TABLE groups ("
    " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " PRIMARY KEY (user_id, name)) WITHOUT ROWID;",
    /* 4 -> 5: account self-service. Accounts can be disabled, or wait
     * for the link that verifies their email; sessions get a public id
     * (random, for their owner's list; the sessions of older versions
     * get one here) and keep the client's address and user agent; one
     * email link per account, kept as the digest of its token; the
     * client addresses an account has used, under keys that stand for
     * them. */
    "ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE users ADD COLUMN unverified INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN public_id TEXT;"
    "ALTER TABLE sessions ADD COLUMN client TEXT;"
    "ALTER TABLE sessions ADD COLUMN user_agent TEXT;"
    "UPDATE sessions SET public_id = lower(hex(randomblob(16)));"
    "CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);"
    "CREATE TABLE email_links ("
    " user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,"
    " token_hash BLOB NOT NULL UNIQUE,"
    " email TEXT NOT NULL,"
    " expires_at INTEGER NOT NULL);"
    "CREATE TABLE known_clients ("
    " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " PRIMARY KEY (user_id, key)) WITHOUT ROWID;",
    /* 5 -> 6: the second factor. One per account, its secret sealed
     * (the key is not in the database), active once confirmed, with the
     * last time step used so that a code works once; until then a
     * setting-up one expires. Recovery codes as keyed digests. A log-in
     * that waits for its code, bound to the browser's form token.
     * Sessions say whether they began with the second factor. */
    "CREATE TABLE second_factors ("
    " user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,"
    " sealed BLOB NOT NULL,"
    " active INTEGER NOT NULL,"
    " last_step INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL);"
    "CREATE TABLE recovery_codes ("
    " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " digest TEXT NOT NULL,"
    " PRIMARY KEY (user_id, digest)) WITHOUT ROWID;"
    "CREATE TABLE pending_logins ("
    " token_hash BLOB PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " form_hash BLOB NOT NULL,"
    " expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX pending_logins_user ON pending_logins (user_id);"
    "ALTER TABLE sessions ADD COLUMN second_factor INTEGER NOT NULL"
    " DEFAULT 0;",
};

struct sq {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *stmt[S__MAX];
	bool in_tx;
	int busy_ms;       /* how long one lock is waited for */
	long long busy_t0; /* when the current wait began, in ms */
};

static long long
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for a lock another connection holds, trying again every
 * millisecond or two until busy_ms have passed. SQLite's own handler
 * sleeps up to 100 ms between tries: under a steady queue of writers a
 * process asleep that long loses the lock to newcomers again and again,
 * and can time out while the lock is free most of the time. */
static int
busy_wait(void *arg, int count)
{
	struct sq *q = arg;
	long long now = clock_ms();
	struct timespec ts = {0, 1000000};

	if (count == 0)
		q->busy_t0 = now;
	if (now - q->busy_t0 >= q->busy_ms)
		return 0;
	/* Some spread, so that waiters do not wake in step. */
	ts.tv_nsec += (long)(count % 7) * 150000;
	nanosleep(&ts, NULL);
	return 1;
}

/* Map an SQLite result code to our error kind. */
static enum err
err_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return ERR_OK;
	case SQLITE_NOMEM:
		return ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ERR_BUSY;
	case SQLITE_FULL:
		return ERR_FULL;
	case SQLITE_CONSTRAINT:
		return ERR_EXISTS;
	default:
		return ERR_DB;
	}
}

/* Log a database fault with SQLite's own words and return its kind. */
static enum err
fault(struct sq *q, int rc, const char *what)
{
	enum err e = err_of(rc);

	if (e != ERR_OK && e != ERR_EXISTS)
		log_error("database: %s: %s (%s)", what,
		          q->db ? sqlite3_errmsg(q->db) : "no connection",
		          sqlite3_errstr(rc));
	return e;
}

/* Run SQL without results (pragmas, migrations, transaction control). */
static enum err
exec(struct sq *q, const char *sql, const char *what)
{
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? ERR_OK : fault(q, rc, what);
}

/* Bind args to stmt. */
static void
bind(sqlite3_stmt *stmt, const struct store_val *args, int nargs)
{
	int i;

	for (i = 0; i < nargs; i++) {
		const struct store_val *v = &args[i];

		switch (v->kind) {
		case STORE_INT:
			sqlite3_bind_int64(stmt, i + 1, v->i);
			break;
		case STORE_TEXT:
			sqlite3_bind_text(stmt, i + 1, v->s, -1, SQLITE_STATIC);
			break;
		case STORE_BLOB:
			sqlite3_bind_blob(stmt, i + 1, v->s, (int)v->n,
			                  SQLITE_STATIC);
			break;
		default:
			sqlite3_bind_null(stmt, i + 1);
			break;
		}
	}
}

/* The current row of stmt as values, borrowed until the next step. */
static int
columns(sqlite3_stmt *stmt, struct store_val *col)
{
	int i, n = sqlite3_column_count(stmt);

	if (n > STORE_VAL_MAX)
		n = STORE_VAL_MAX;
	for (i = 0; i < n; i++) {
		memset(&col[i], 0, sizeof(col[i]));
		switch (sqlite3_column_type(stmt, i)) {
		case SQLITE_INTEGER:
		case SQLITE_FLOAT:
			col[i].kind = STORE_INT;
			col[i].i = sqlite3_column_int64(stmt, i);
			break;
		case SQLITE_TEXT:
			col[i].kind = STORE_TEXT;
			col[i].s = (const char *)sqlite3_column_text(stmt, i);
			col[i].n = (size_t)sqlite3_column_bytes(stmt, i);
			break;
		case SQLITE_BLOB:
			col[i].kind = STORE_BLOB;
			col[i].s = sqlite3_column_blob(stmt, i);
			col[i].n = (size_t)sqlite3_column_bytes(stmt, i);
			break;
		default:
			col[i].kind = STORE_NULL;
			break;
		}
	}
	return n;
}

/*
 * Statements are prepared on first use and kept for the connection's life
 * (a FastCGI process reuses them across requests). A statement run again
 * from a row callback of its own (a listing that reads as it goes) gets
 * a fresh one for that run, so as not to reset the kept one.
 */
static enum err
sq_run(struct store *st, enum store_stmt s, const struct store_val *args,
       int nargs, store_row_fn fn, void *arg)
{
	struct sq *q = (struct sq *)st;
	struct store_val col[STORE_VAL_MAX];
	sqlite3_stmt *stmt = NULL, *own = NULL;
	enum err e = ERR_OK;
	int rc;

	if (stmt_sql[s] == NULL)
		return ERR_OK;
	if (q->stmt[s] == NULL) {
		rc = sqlite3_prepare_v3(q->db, stmt_sql[s], -1,
		                        SQLITE_PREPARE_PERSISTENT, &q->stmt[s],
		                        NULL);
		if (rc != SQLITE_OK)
			return fault(q, rc, store_stmt_what[s]);
	}
	stmt = q->stmt[s];
	if (sqlite3_stmt_busy(stmt)) {
		rc = sqlite3_prepare_v2(q->db, stmt_sql[s], -1, &own, NULL);
		if (rc != SQLITE_OK)
			return fault(q, rc, store_stmt_what[s]);
		stmt = own;
	}
	bind(stmt, args, nargs);
	/* To the end, even once fn has had enough: a statement reset half
	 * way would not be done (an INSERT ... RETURNING, say). */
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (fn != NULL && fn(arg, col, columns(stmt, col)) != 0)
			fn = NULL;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = fault(q, rc, store_stmt_what[s]);
	if (own != NULL) {
		sqlite3_finalize(own);
	} else {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	return e;
}

static int
user_version(struct sq *q, int *v)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(q->db, stmt_sql[S_VERSION], -1, &stmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*v = sqlite3_column_int(stmt, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static enum err
sq_begin(struct store *st, bool write)
{
	struct sq *q = (struct sq *)st;
	enum err e = exec(q, write ? "BEGIN IMMEDIATE" : "BEGIN", "begin");

	if (e == ERR_OK)
		q->in_tx = true;
	return e;
}

static enum err
sq_commit(struct store *st)
{
	struct sq *q = (struct sq *)st;
	enum err e = exec(q, "COMMIT", "commit");

	if (e == ERR_OK)
		q->in_tx = false;
	return e;
}

static void
sq_rollback(struct store *st)
{
	struct sq *q = (struct sq *)st;

	if (q->in_tx && !sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	q->in_tx = false;
}

static int64_t
sq_changes(struct store *st)
{
	return sqlite3_changes64(((struct sq *)st)->db);
}

static enum err
migrate(struct sq *q, int from)
{
	char pragma[64];
	enum err e;
	int rc, v = 0;

	/* Under the write lock, read the version again: another process
	 * may have migrated while we waited. */
	if ((e = sq_begin(&q->base, true)) != ERR_OK)
		return e;
	if ((rc = user_version(q, &v)) != SQLITE_OK) {
		e = fault(q, rc, "read schema version");
		goto out;
	}
	for (; v < STORE_SCHEMA_VERSION; v++) {
		if ((e = exec(q, migrations[v], "migrate schema")) != ERR_OK)
			goto out;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
	         STORE_SCHEMA_VERSION);
	if ((e = exec(q, pragma, "set schema version")) != ERR_OK)
		goto out;
	e = sq_commit(&q->base);
	if (e == ERR_OK && from > 0)
		log_error("database: schema migrated from version %d to %d",
		          from, STORE_SCHEMA_VERSION);
out:
	if (e != ERR_OK)
		sq_rollback(&q->base);
	return e;
}

/*
 * A process that serves one request and exits gives SQLite a fixed arena
 * instead of malloc: SQLite's own buddy allocator (memsys5) over static
 * memory, of which only the pages used are ever touched. It is faster
 * than the C library's malloc for SQLite's many short-lived allocations,
 * and the arena needs no freeing. 8 MiB holds a full page cache (2 MiB
 * of pages by default, each in a block of twice its size) with room to
 * spare; should it run out, SQLite answers SQLITE_NOMEM, a fault like any
 * other. memsys5 keeps a control byte per atom after the pool: a power of
 * two of atoms starts as one free block, which a first allocation splits
 * touching the fewest pages. Must come before any other SQLite call; a
 * no-op where SQLite lacks memsys5 (Debian's library), which keeps
 * malloc.
 */
#define ARENA_ATOM  64
#define ARENA_ATOMS (1 << 17)
#define ARENA_SIZE  (ARENA_ATOMS * (ARENA_ATOM + 1))

static void
use_arena(void)
{
	static _Alignas(ARENA_ATOM) unsigned char arena[ARENA_SIZE];
	static bool done;

	if (done)
		return;
	done = true;
	(void)sqlite3_config(SQLITE_CONFIG_HEAP, arena, ARENA_SIZE, ARENA_ATOM);
}

/*
 * Switch a new database to WAL. Processes that create the database at
 * once may each hold its shared lock while they wait for the exclusive
 * one the switch needs: SQLite then answers one of them busy at once,
 * without its busy handler (so as not to deadlock). That one tries again,
 * up to the busy timeout.
 */
static enum err
wal_on(struct sq *q)
{
	struct timespec ts = {0, 1000000};
	long long t0 = clock_ms();
	int rc;

	while (((rc = sqlite3_exec(q->db, "PRAGMA journal_mode = WAL", NULL,
	                           NULL, NULL)) &
	        0xff) == SQLITE_BUSY &&
	       clock_ms() - t0 < q->busy_ms)
		nanosleep(&ts, NULL);
	return rc == SQLITE_OK ? ERR_OK : fault(q, rc, "enable WAL");
}

static void sq_close(struct store *st);

static enum err
sq_open(struct store **out, const struct store_config *cfg)
{
	struct stat sb;
	struct sq *q;
	enum err e;
	int rc, v = 0, one = 1;

	if (cfg->existing && stat(cfg->path, &sb) != 0 && errno == ENOENT)
		return ERR_NOT_FOUND;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return ERR_NOMEM;
	q->base.ops = &store_sqlite_ops;
	if (cfg->one_request)
		use_arena();
	rc = sqlite3_open_v2(cfg->path, &q->db,
	                     SQLITE_OPEN_READWRITE |
	                         (cfg->existing ? 0 : SQLITE_OPEN_CREATE) |
	                         SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		log_error("database: cannot open %s: %s", cfg->path,
		          q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		e = rc == SQLITE_NOMEM ? ERR_NOMEM : ERR_DB;
		goto out;
	}
	sqlite3_extended_result_codes(q->db, 1);
	/* Every CGI request is a new process: keep the -wal and -shm files
	 * between them rather than deleting and re-creating them each time
	 * (much of the cost of a short connection). The last connection to
	 * close still checkpoints and empties the WAL (journal_size_limit
	 * 0), so that the next one has no WAL to read back. */
	sqlite3_file_control(q->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	if ((e = exec(q, "PRAGMA journal_size_limit = 0", "limit WAL")) !=
	    ERR_OK)
		goto out;
	q->busy_ms = cfg->busy_ms;
	sqlite3_busy_handler(q->db, busy_wait, q);
	if (cfg->max_pages > 0) {
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count = %ld",
		         cfg->max_pages);
		if ((e = exec(q, pragma, "limit size")) != ERR_OK)
			goto out;
	}
	if ((rc = user_version(q, &v)) != SQLITE_OK) {
		e = fault(q, rc, "read schema version");
		goto out;
	}
	if (v > STORE_SCHEMA_VERSION) {
		log_error("database: %s has schema version %d, newer than"
		          " this build's %d",
		          cfg->path, v, STORE_SCHEMA_VERSION);
		e = ERR_DB;
		goto out;
	}
	if (v < STORE_SCHEMA_VERSION) {
		/* WAL is a property of the file: set it once, on creation
		 * or upgrade, not on every open. */
		if (v == 0 && (e = wal_on(q)) != ERR_OK)
			goto out;
		if ((e = migrate(q, v)) != ERR_OK)
			goto out;
	}
	*out = &q->base;
	q = NULL;
out:
	if (q != NULL)
		sq_close(&q->base);
	return e;
}

static void
sq_close(struct store *st)
{
	struct sq *q = (struct sq *)st;
	size_t i;

	for (i = 0; i < S__MAX; i++)
		sqlite3_finalize(q->stmt[i]);
	sqlite3_close(q->db);
	free(q);
}

const struct store_ops store_sqlite_ops = {
    sq_open, sq_close, sq_begin, sq_commit, sq_rollback, sq_run, sq_changes,
};

enum err
store_sqlite_original(const char *path, store_row_fn fn, void *arg,
                      int64_t *total)
{
	static const char count_sql[] = "SELECT count(*) FROM users";
	static const char rows_sql[] =
	    "SELECT CAST(email AS TEXT), CAST(hashed_password AS TEXT)"
	    " FROM users"
	    " WHERE CAST(hashed_password AS TEXT) LIKE '$2%'"
	    " AND length(CAST(hashed_password AS TEXT)) <= 255"
	    " AND instr(CAST(email AS TEXT), '@') > 1"
	    " AND length(CAST(email AS TEXT)) <= 254"
	    " ORDER BY rowid";
	struct store_val col[STORE_VAL_MAX];
	struct sq q = {{&store_sqlite_ops}, NULL, {NULL}, false, 0, 0};
	sqlite3_stmt *stmt = NULL;
	enum err e = ERR_OK;
	int rc;

	rc = sqlite3_open_v2(path, &q.db,
	                     SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		e = fault(&q, rc, "open the original database");
		goto out;
	}
	rc = sqlite3_prepare_v2(q.db, count_sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*total = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (rc != SQLITE_ROW) {
		e = fault(&q, rc, "read the original users");
		goto out;
	}
	rc = sqlite3_prepare_v2(q.db, rows_sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			if (fn(arg, col, columns(stmt, col)) != 0)
				break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = fault(&q, rc, "read the original users");
	sqlite3_finalize(stmt);
out:
	sqlite3_close(q.db);
	return e;
}
