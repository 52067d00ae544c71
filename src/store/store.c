/* store.c: the SQLite backend of store.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "../common/log.h"
#include "store.h"

/* Statements, prepared on first use and kept for the connection's life
 * (a FastCGI process reuses them across requests). */
enum stmt {
	S_USER_INSERT,
	S_USER_BY_EMAIL,
	S_USER_BY_ID,
	S_USER_SET_HASH,
	S_USER_SET_LOGIN,
	S_SESSION_INSERT,
	S_SESSION_FIND,
	S_SESSION_FIND_USER,
	S_SESSION_GATE,
	S_GROUP_ADD,
	S_GROUP_REMOVE,
	S_GROUPS_OF,
	S_GROUPS_DELETE_USER,
	S_SESSION_TOUCH,
	S_SESSION_DELETE,
	S_SESSION_DELETE_USER,
	S_RESET_PUT,
	S_RESET_GET,
	S_RESET_DELETE,
	S_THROTTLE_COUNT,
	S_THROTTLE_ADD,
	S_THROTTLE_REMOVE,
	S_LOCK_GET,
	S_LOCK_PUT,
	S_USER_LIST,
	S_USER_DELETE,
	S_RESET_DELETE_USER,
	S_PURGE_SESSIONS,
	S_PURGE_RESETS,
	S_PURGE_THROTTLE,
	S_PURGE_LOCKS,
	S_USER_SET_EMAIL,
	S_USER_SET_DISABLED,
	S_USER_SET_UNVERIFIED,
	S_SESSION_DELETE_OTHERS,
	S_SESSION_DELETE_PUBLIC,
	S_SESSION_LIST,
	S_LINK_PUT,
	S_LINK_FIND,
	S_LINK_GET,
	S_LINK_DELETE,
	S_CLIENT_COUNT,
	S_CLIENT_SEEN,
	S_CLIENT_PUT,
	S_CLIENT_DELETE_USER,
	S_LOCK_DELETE,
	S_THROTTLE_CLEAR,
	S_PURGE_LINKS,
	S_PURGE_CLIENTS,
	S_SESSION_SET_FACTOR,
	S_FACTOR_GET,
	S_FACTOR_PUT,
	S_FACTOR_ACTIVATE,
	S_FACTOR_USE,
	S_FACTOR_DELETE,
	S_RECOVERY_DELETE,
	S_RECOVERY_ADD,
	S_RECOVERY_USE,
	S_RECOVERY_COUNT,
	S_PENDING_PUT,
	S_PENDING_FIND,
	S_PENDING_DELETE,
	S_PENDING_DELETE_USER,
	S_PURGE_PENDING,
	S_PURGE_FACTORS,
	S__MAX
};

static const char *const stmt_sql[S__MAX] = {
    [S_USER_INSERT] = "INSERT INTO users (email, password_hash, created_at)"
                      " VALUES (?1, ?2, ?3)",
    [S_USER_BY_EMAIL] = "SELECT id, email, password_hash, created_at,"
                        " coalesce(last_login, 0), disabled, unverified"
                        " FROM users WHERE email = ?1",
    [S_USER_BY_ID] = "SELECT id, email, password_hash, created_at,"
                     " coalesce(last_login, 0), disabled, unverified"
                     " FROM users WHERE id = ?1",
    [S_USER_SET_HASH] = "UPDATE users SET password_hash = ?2 WHERE id = ?1",
    [S_USER_SET_LOGIN] = "UPDATE users SET last_login = ?2 WHERE id = ?1",
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
    [S_GROUP_ADD] = "INSERT OR IGNORE INTO groups (user_id, name)"
                    " VALUES (?1, ?2)",
    [S_GROUP_REMOVE] = "DELETE FROM groups WHERE user_id = ?1 AND name = ?2",
    [S_GROUPS_OF] = "SELECT coalesce(group_concat(name, ','), ''), count(*)"
                    " FROM (SELECT name FROM groups WHERE user_id = ?1"
                    " ORDER BY name)",
    [S_GROUPS_DELETE_USER] = "DELETE FROM groups WHERE user_id = ?1",
    [S_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?2"
                        " WHERE token_hash = ?1",
    [S_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
    [S_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1",
    [S_RESET_PUT] = "INSERT OR REPLACE INTO reset_tokens"
                    " (user_id, token_hash, expires_at) VALUES (?1, ?2, ?3)",
    [S_RESET_GET] = "SELECT user_id, expires_at, token_hash"
                    " FROM reset_tokens WHERE user_id = ?1",
    [S_RESET_DELETE] = "DELETE FROM reset_tokens WHERE user_id = ?1",
    [S_THROTTLE_COUNT] = "SELECT count(*) FROM throttle_events"
                         " WHERE key = ?1 AND at >= ?2",
    [S_THROTTLE_ADD] = "INSERT INTO throttle_events (key, at) VALUES (?1, ?2)",
    [S_THROTTLE_REMOVE] = "DELETE FROM throttle_events WHERE rowid ="
                          " (SELECT rowid FROM throttle_events"
                          " WHERE key = ?1 AND at = ?2 LIMIT 1)",
    [S_LOCK_GET] = "SELECT until FROM throttle_locks WHERE key = ?1",
    [S_LOCK_PUT] = "INSERT OR REPLACE INTO throttle_locks (key, until)"
                   " VALUES (?1, ?2)",
    [S_USER_LIST] = "SELECT id, email, created_at, coalesce(last_login, 0)"
                    " FROM users ORDER BY id",
    [S_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
    [S_RESET_DELETE_USER] = "DELETE FROM reset_tokens WHERE user_id = ?1",
    [S_PURGE_SESSIONS] = "DELETE FROM sessions"
                         " WHERE last_seen <= ?1 OR created_at <= ?2",
    [S_PURGE_RESETS] = "DELETE FROM reset_tokens WHERE expires_at <= ?1",
    [S_PURGE_THROTTLE] = "DELETE FROM throttle_events WHERE at < ?1",
    [S_PURGE_LOCKS] = "DELETE FROM throttle_locks WHERE until <= ?1",
    [S_USER_SET_EMAIL] = "UPDATE users SET email = ?2 WHERE id = ?1",
    [S_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE id = ?1",
    [S_USER_SET_UNVERIFIED] = "UPDATE users SET unverified = ?2"
                              " WHERE id = ?1",
    [S_SESSION_DELETE_OTHERS] = "DELETE FROM sessions WHERE user_id = ?2"
                                " AND token_hash <> ?1",
    [S_SESSION_DELETE_PUBLIC] = "DELETE FROM sessions WHERE user_id = ?1"
                                " AND public_id = ?2",
    [S_SESSION_LIST] = "SELECT coalesce(public_id, ''), created_at,"
                       " last_seen, coalesce(client, ''),"
                       " coalesce(user_agent, ''), token_hash FROM sessions"
                       " WHERE user_id = ?1 AND last_seen > ?2"
                       " AND created_at > ?3"
                       " ORDER BY last_seen DESC, created_at DESC LIMIT ?4",
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
    [S_LOCK_DELETE] = "DELETE FROM throttle_locks WHERE key = ?1",
    [S_THROTTLE_CLEAR] = "DELETE FROM throttle_events WHERE key = ?1",
    [S_PURGE_LINKS] = "DELETE FROM email_links WHERE expires_at <= ?1",
    [S_PURGE_CLIENTS] = "DELETE FROM known_clients WHERE last_seen < ?1",
    [S_SESSION_SET_FACTOR] = "UPDATE sessions SET second_factor = 1"
                             " WHERE token_hash = ?1",
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
    [S_RECOVERY_DELETE] = "DELETE FROM recovery_codes WHERE user_id = ?1",
    [S_RECOVERY_ADD] = "INSERT OR IGNORE INTO recovery_codes"
                       " (user_id, digest) VALUES (?1, ?2)",
    [S_RECOVERY_USE] = "DELETE FROM recovery_codes"
                       " WHERE user_id = ?1 AND digest = ?2",
    [S_RECOVERY_COUNT] = "SELECT count(*) FROM recovery_codes"
                         " WHERE user_id = ?1",
    [S_PENDING_PUT] = "INSERT INTO pending_logins"
                      " (token_hash, user_id, form_hash, expires_at)"
                      " VALUES (?1, ?2, ?3, ?4)",
    [S_PENDING_FIND] = "SELECT user_id, expires_at, token_hash, form_hash"
                       " FROM pending_logins WHERE token_hash = ?1",
    [S_PENDING_DELETE] = "DELETE FROM pending_logins WHERE token_hash = ?1",
    [S_PENDING_DELETE_USER] = "DELETE FROM pending_logins"
                              " WHERE user_id = ?1",
    [S_PURGE_PENDING] = "DELETE FROM pending_logins WHERE expires_at <= ?1",
    [S_PURGE_FACTORS] = "DELETE FROM second_factors"
                        " WHERE active = 0 AND expires_at <= ?1",
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

struct store {
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
	struct store *st = arg;
	long long now = clock_ms();
	struct timespec ts = {0, 1000000};

	if (count == 0)
		st->busy_t0 = now;
	if (now - st->busy_t0 >= st->busy_ms)
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
fault(struct store *st, int rc, const char *what)
{
	enum err e = err_of(rc);

	if (e != ERR_OK && e != ERR_EXISTS)
		log_error("database: %s: %s (%s)", what,
		          st->db ? sqlite3_errmsg(st->db) : "no connection",
		          sqlite3_errstr(rc));
	return e;
}

/* Run SQL without results (pragmas, migrations, transaction control). */
static enum err
exec(struct store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? ERR_OK : fault(st, rc, what);
}

/* The statement s, reset and unbound, ready for binding. */
static enum err
prepare(struct store *st, enum stmt s, sqlite3_stmt **out)
{
	int rc;

	if (st->stmt[s] == NULL) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[s], -1,
		                        SQLITE_PREPARE_PERSISTENT, &st->stmt[s],
		                        NULL);
		if (rc != SQLITE_OK)
			return fault(st, rc, "prepare");
	}
	*out = st->stmt[s];
	return ERR_OK;
}

/* Step a statement that returns no row and reset it. */
static enum err
step_done(struct store *st, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);
	enum err e = ERR_OK;

	if (rc != SQLITE_DONE)
		e = fault(st, rc, what);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return e;
}

/* Finish a statement after reading rows. */
static void
finish(sqlite3_stmt *q)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

static enum err
migrate(struct store *st, int from)
{
	char pragma[64];
	enum err e;
	int v;

	/* Under the write lock, read the version again: another process
	 * may have migrated while we waited. */
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if ((e = store_version(st, &v)) != ERR_OK)
		goto out;
	for (; v < STORE_SCHEMA_VERSION; v++) {
		if ((e = exec(st, migrations[v], "migrate schema")) != ERR_OK)
			goto out;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
	         STORE_SCHEMA_VERSION);
	if ((e = exec(st, pragma, "set schema version")) != ERR_OK)
		goto out;
	e = store_commit(st);
	if (e == ERR_OK && from > 0)
		log_error("database: schema migrated from version %d to %d",
		          from, STORE_SCHEMA_VERSION);
out:
	if (e != ERR_OK)
		store_rollback(st);
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

enum err
store_open(struct store **out, const struct store_config *cfg)
{
	struct store *st;
	enum err e;
	int rc, v = 0, one = 1;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return ERR_NOMEM;
	if (cfg->one_request)
		use_arena();
	rc = sqlite3_open_v2(cfg->path, &st->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		log_error("database: cannot open %s: %s", cfg->path,
		          st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		e = rc == SQLITE_NOMEM ? ERR_NOMEM : ERR_DB;
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	/* Every CGI request is a new process: keep the -wal and -shm files
	 * between them rather than deleting and re-creating them each time
	 * (much of the cost of a short connection). The last connection to
	 * close still checkpoints and empties the WAL (journal_size_limit
	 * 0), so that the next one has no WAL to read back. */
	sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	if ((e = exec(st, "PRAGMA journal_size_limit = 0", "limit WAL")) !=
	    ERR_OK)
		goto out;
	st->busy_ms = cfg->busy_ms;
	sqlite3_busy_handler(st->db, busy_wait, st);
	if (cfg->max_pages > 0) {
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count = %ld",
		         cfg->max_pages);
		if ((e = exec(st, pragma, "limit size")) != ERR_OK)
			goto out;
	}
	if ((e = store_version(st, &v)) != ERR_OK)
		goto out;
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
		if (v == 0 && (e = exec(st, "PRAGMA journal_mode = WAL",
		                        "enable WAL")) != ERR_OK)
			goto out;
		if ((e = migrate(st, v)) != ERR_OK)
			goto out;
	}
	*out = st;
	st = NULL;
out:
	store_close(st);
	return e;
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < S__MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

enum err
store_version(struct store *st, int *version)
{
	sqlite3_stmt *q = NULL;
	enum err e = ERR_OK;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return fault(st, rc, "read schema version");
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(q, 0);
	else
		e = fault(st, rc, "read schema version");
	sqlite3_finalize(q);
	return e;
}

enum err
store_begin(struct store *st)
{
	enum err e = exec(st, "BEGIN IMMEDIATE", "begin");

	if (e == ERR_OK)
		st->in_tx = true;
	return e;
}

enum err
store_commit(struct store *st)
{
	enum err e = exec(st, "COMMIT", "commit");

	if (e == ERR_OK)
		st->in_tx = false;
	return e;
}

void
store_rollback(struct store *st)
{
	if (st->in_tx && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = false;
}

/* Copy a text column into a fixed buffer; ERR_DB if it does not fit. */
static enum err
column_copy(sqlite3_stmt *q, int col, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(q, col);
	int n = sqlite3_column_bytes(q, col);

	if (s == NULL || n < 0 || (size_t)n >= size)
		return ERR_DB;
	memcpy(dst, s, (size_t)n);
	dst[n] = '\0';
	return ERR_OK;
}

/* Copy a digest column; ERR_DB if it is not one. */
static enum err
column_digest(sqlite3_stmt *q, int col, unsigned char *dst)
{
	const void *p = sqlite3_column_blob(q, col);

	if (p == NULL || sqlite3_column_bytes(q, col) != STORE_DIGEST_LEN)
		return ERR_DB;
	memcpy(dst, p, STORE_DIGEST_LEN);
	return ERR_OK;
}

enum err
store_user_insert(struct store *st, const char *email, const char *hash,
                  int64_t now, int64_t *id)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if (strlen(email) > STORE_EMAIL_MAX || strlen(hash) > STORE_HASH_MAX)
		return ERR_INVAL;
	if ((e = prepare(st, S_USER_INSERT, &q)) != ERR_OK)
		return e;
	sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now);
	if ((e = step_done(st, q, "insert user")) == ERR_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return e;
}

static enum err
user_row(struct store *st, sqlite3_stmt *q, struct store_user *out)
{
	struct store_user u;
	enum err e;
	int rc = sqlite3_step(q);

	if (rc == SQLITE_DONE) {
		e = ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		e = fault(st, rc, "read user");
		goto out;
	}
	memset(&u, 0, sizeof(u));
	u.id = sqlite3_column_int64(q, 0);
	if ((e = column_copy(q, 1, u.email, sizeof(u.email))) != ERR_OK ||
	    (e = column_copy(q, 2, u.hash, sizeof(u.hash))) != ERR_OK) {
		log_error("database: user %lld has a malformed row",
		          (long long)u.id);
		goto out;
	}
	u.created = sqlite3_column_int64(q, 3);
	u.last_login = sqlite3_column_int64(q, 4);
	u.disabled = sqlite3_column_int64(q, 5) != 0;
	u.unverified = sqlite3_column_int64(q, 6) != 0;
	*out = u;
out:
	finish(q);
	return e;
}

enum err
store_user_by_email(struct store *st, const char *email, struct store_user *out)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, S_USER_BY_EMAIL, &q)) != ERR_OK)
		return e;
	sqlite3_bind_text(q, 1, email, -1, SQLITE_STATIC);
	return user_row(st, q, out);
}

enum err
store_user_by_id(struct store *st, int64_t id, struct store_user *out)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, S_USER_BY_ID, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, id);
	return user_row(st, q, out);
}

enum err
store_user_set_hash(struct store *st, int64_t id, const char *hash)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if (strlen(hash) > STORE_HASH_MAX)
		return ERR_INVAL;
	if ((e = prepare(st, S_USER_SET_HASH, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
	return step_done(st, q, "update password");
}

enum err
store_user_set_login(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, S_USER_SET_LOGIN, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	return step_done(st, q, "record login");
}

/* Run a statement bound to (id, n). */
static enum err
id_int_stmt(struct store *st, enum stmt s, int64_t id, int64_t n,
            const char *what)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, s, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, n);
	return step_done(st, q, what);
}

/* Run a statement bound to (id, text). */
static enum err
id_text_stmt(struct store *st, enum stmt s, int64_t id, const char *text,
             const char *what)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, s, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
	return step_done(st, q, what);
}

enum err
store_user_set_email(struct store *st, int64_t id, const char *email)
{
	if (strlen(email) > STORE_EMAIL_MAX)
		return ERR_INVAL;
	return id_text_stmt(st, S_USER_SET_EMAIL, id, email, "change email");
}

enum err
store_user_set_disabled(struct store *st, int64_t id, bool disabled)
{
	return id_int_stmt(st, S_USER_SET_DISABLED, id, disabled ? 1 : 0,
	                   "disable account");
}

enum err
store_user_set_unverified(struct store *st, int64_t id, bool unverified)
{
	return id_int_stmt(st, S_USER_SET_UNVERIFIED, id, unverified ? 1 : 0,
	                   "mark account verified");
}

enum err
store_session_insert(struct store *st,
                     const unsigned char digest[STORE_DIGEST_LEN],
                     int64_t user_id, int64_t now, const char *public_id,
                     const char *client, const char *user_agent,
                     bool second_factor)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if (strlen(public_id) != STORE_PUBLIC_ID_LEN ||
	    (client != NULL && strlen(client) > STORE_CLIENT_MAX) ||
	    (user_agent != NULL && strlen(user_agent) > STORE_AGENT_MAX))
		return ERR_INVAL;
	if ((e = prepare(st, S_SESSION_INSERT, &q)) != ERR_OK)
		return e;
	sqlite3_bind_blob(q, 1, digest, STORE_DIGEST_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, user_id);
	sqlite3_bind_int64(q, 3, now);
	sqlite3_bind_text(q, 4, public_id, -1, SQLITE_STATIC);
	if (client != NULL)
		sqlite3_bind_text(q, 5, client, -1, SQLITE_STATIC);
	if (user_agent != NULL)
		sqlite3_bind_text(q, 6, user_agent, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 7, second_factor ? 1 : 0);
	return step_done(st, q, "insert session");
}

/* Read a session row (and, with email, its account's email). */
static enum err
session_row(struct store *st, enum stmt which,
            const unsigned char digest[STORE_DIGEST_LEN],
            struct store_session *out, char *email, size_t email_size,
            char *groups)
{
	struct store_session ss;
	sqlite3_stmt *q = NULL;
	enum err e;
	int rc;

	if ((e = prepare(st, which, &q)) != ERR_OK)
		return e;
	sqlite3_bind_blob(q, 1, digest, STORE_DIGEST_LEN, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		e = ERR_NOT_FOUND;
	} else if (rc != SQLITE_ROW) {
		e = fault(st, rc, "read session");
	} else {
		ss.user_id = sqlite3_column_int64(q, 0);
		ss.created = sqlite3_column_int64(q, 1);
		ss.last_seen = sqlite3_column_int64(q, 2);
		ss.second_factor = sqlite3_column_int64(q, 4) != 0;
		if ((e = column_digest(q, 3, ss.digest)) == ERR_OK &&
		    email != NULL)
			e = column_copy(q, 5, email, email_size);
		if (e == ERR_OK && groups != NULL)
			e = column_copy(q, 6, groups, STORE_GROUPS_MAX + 1);
		if (e == ERR_OK)
			*out = ss;
	}
	finish(q);
	return e;
}

enum err
store_session_find(struct store *st,
                   const unsigned char digest[STORE_DIGEST_LEN],
                   struct store_session *out)
{
	return session_row(st, S_SESSION_FIND, digest, out, NULL, 0, NULL);
}

enum err
store_session_find_user(struct store *st,
                        const unsigned char digest[STORE_DIGEST_LEN],
                        struct store_session *out,
                        char email[STORE_EMAIL_MAX + 1])
{
	return session_row(st, S_SESSION_FIND_USER, digest, out, email,
	                   STORE_EMAIL_MAX + 1, NULL);
}

enum err
store_session_gate(struct store *st,
                   const unsigned char digest[STORE_DIGEST_LEN],
                   struct store_session *out, char email[STORE_EMAIL_MAX + 1],
                   char groups[STORE_GROUPS_MAX + 1])
{
	return session_row(st, S_SESSION_GATE, digest, out, email,
	                   STORE_EMAIL_MAX + 1, groups);
}

enum err
store_group_add(struct store *st, int64_t user_id, const char *name)
{
	return id_text_stmt(st, S_GROUP_ADD, user_id, name, "add to group");
}

enum err
store_group_remove(struct store *st, int64_t user_id, const char *name)
{
	enum err e;

	e = id_text_stmt(st, S_GROUP_REMOVE, user_id, name,
	                 "remove from group");
	if (e == ERR_OK && sqlite3_changes64(st->db) == 0)
		e = ERR_NOT_FOUND;
	return e;
}

enum err
store_groups_of(struct store *st, int64_t user_id,
                char out[STORE_GROUPS_MAX + 1], int64_t *count)
{
	sqlite3_stmt *q = NULL;
	enum err e;
	int rc;

	if ((e = prepare(st, S_GROUPS_OF, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, user_id);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW)
		e = fault(st, rc, "read groups");
	else if ((e = column_copy(q, 0, out, STORE_GROUPS_MAX + 1)) == ERR_OK)
		*count = sqlite3_column_int64(q, 1);
	finish(q);
	return e;
}

/* Run a statement bound to (digest) or (digest, n). */
static enum err
digest_stmt(struct store *st, enum stmt s,
            const unsigned char digest[STORE_DIGEST_LEN], const int64_t *n,
            const char *what)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, s, &q)) != ERR_OK)
		return e;
	sqlite3_bind_blob(q, 1, digest, STORE_DIGEST_LEN, SQLITE_STATIC);
	if (n != NULL)
		sqlite3_bind_int64(q, 2, *n);
	return step_done(st, q, what);
}

/* Run a statement bound to (id). */
static enum err
id_stmt(struct store *st, enum stmt s, int64_t id, const char *what)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, s, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, id);
	return step_done(st, q, what);
}

enum err
store_session_touch(struct store *st,
                    const unsigned char digest[STORE_DIGEST_LEN], int64_t now)
{
	return digest_stmt(st, S_SESSION_TOUCH, digest, &now, "touch session");
}

enum err
store_session_delete(struct store *st,
                     const unsigned char digest[STORE_DIGEST_LEN])
{
	return digest_stmt(st, S_SESSION_DELETE, digest, NULL,
	                   "delete session");
}

enum err
store_session_delete_user(struct store *st, int64_t user_id)
{
	return id_stmt(st, S_SESSION_DELETE_USER, user_id, "end sessions");
}

enum err
store_session_delete_others(struct store *st, int64_t user_id,
                            const unsigned char keep[STORE_DIGEST_LEN])
{
	return digest_stmt(st, S_SESSION_DELETE_OTHERS, keep, &user_id,
	                   "end other sessions");
}

enum err
store_session_delete_public(struct store *st, int64_t user_id,
                            const char *public_id)
{
	enum err e;

	e = id_text_stmt(st, S_SESSION_DELETE_PUBLIC, user_id, public_id,
	                 "end a session");
	if (e == ERR_OK && sqlite3_changes64(st->db) == 0)
		e = ERR_NOT_FOUND;
	return e;
}

enum err
store_session_list(struct store *st, int64_t user_id, int64_t seen_after,
                   int64_t created_after, struct store_session_row *out,
                   size_t max, size_t *n)
{
	sqlite3_stmt *q = NULL;
	size_t i = 0;
	enum err e;
	int rc = SQLITE_DONE;

	if ((e = prepare(st, S_SESSION_LIST, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, user_id);
	sqlite3_bind_int64(q, 2, seen_after);
	sqlite3_bind_int64(q, 3, created_after);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)max);
	while (e == ERR_OK && i < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_session_row *r = &out[i];

		memset(r, 0, sizeof(*r));
		r->created = sqlite3_column_int64(q, 1);
		r->last_seen = sqlite3_column_int64(q, 2);
		if ((e = column_copy(q, 0, r->public_id,
		                     sizeof(r->public_id))) == ERR_OK &&
		    (e = column_copy(q, 3, r->client, sizeof(r->client))) ==
		        ERR_OK &&
		    (e = column_copy(q, 4, r->user_agent,
		                     sizeof(r->user_agent))) == ERR_OK &&
		    (e = column_digest(q, 5, r->digest)) == ERR_OK)
			i++;
	}
	if (e == ERR_OK && i < max && rc != SQLITE_DONE)
		e = fault(st, rc, "list sessions");
	finish(q);
	if (e == ERR_OK)
		*n = i;
	return e;
}

enum err
store_reset_put(struct store *st, int64_t user_id,
                const unsigned char digest[STORE_DIGEST_LEN], int64_t expires)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, S_RESET_PUT, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, user_id);
	sqlite3_bind_blob(q, 2, digest, STORE_DIGEST_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, expires);
	return step_done(st, q, "store reset token");
}

enum err
store_reset_get(struct store *st, int64_t user_id, struct store_reset *out)
{
	struct store_reset r;
	sqlite3_stmt *q = NULL;
	enum err e;
	int rc;

	if ((e = prepare(st, S_RESET_GET, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, user_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		e = ERR_NOT_FOUND;
	} else if (rc != SQLITE_ROW) {
		e = fault(st, rc, "read reset token");
	} else {
		r.user_id = sqlite3_column_int64(q, 0);
		r.expires = sqlite3_column_int64(q, 1);
		if ((e = column_digest(q, 2, r.digest)) == ERR_OK)
			*out = r;
	}
	finish(q);
	return e;
}

enum err
store_reset_delete(struct store *st, int64_t user_id)
{
	return id_stmt(st, S_RESET_DELETE, user_id, "delete reset token");
}

/* Read a link row from the statement s bound to (digest) or (id). */
static enum err
link_row(struct store *st, enum stmt s,
         const unsigned char digest[STORE_DIGEST_LEN], int64_t id,
         struct store_link *out)
{
	struct store_link l;
	sqlite3_stmt *q = NULL;
	enum err e;
	int rc;

	if ((e = prepare(st, s, &q)) != ERR_OK)
		return e;
	if (digest != NULL)
		sqlite3_bind_blob(q, 1, digest, STORE_DIGEST_LEN,
		                  SQLITE_STATIC);
	else
		sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		e = ERR_NOT_FOUND;
	} else if (rc != SQLITE_ROW) {
		e = fault(st, rc, "read email link");
	} else {
		l.user_id = sqlite3_column_int64(q, 0);
		l.expires = sqlite3_column_int64(q, 1);
		if ((e = column_digest(q, 2, l.digest)) == ERR_OK &&
		    (e = column_copy(q, 3, l.email, sizeof(l.email))) == ERR_OK)
			*out = l;
	}
	finish(q);
	return e;
}

enum err
store_link_put(struct store *st, int64_t user_id,
               const unsigned char digest[STORE_DIGEST_LEN], const char *email,
               int64_t expires)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if (strlen(email) > STORE_EMAIL_MAX)
		return ERR_INVAL;
	if ((e = prepare(st, S_LINK_PUT, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, user_id);
	sqlite3_bind_blob(q, 2, digest, STORE_DIGEST_LEN, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, email, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, expires);
	return step_done(st, q, "store email link");
}

enum err
store_link_find(struct store *st, const unsigned char digest[STORE_DIGEST_LEN],
                struct store_link *out)
{
	return link_row(st, S_LINK_FIND, digest, 0, out);
}

enum err
store_link_get(struct store *st, int64_t user_id, struct store_link *out)
{
	return link_row(st, S_LINK_GET, NULL, user_id, out);
}

enum err
store_link_delete(struct store *st, int64_t user_id)
{
	return id_stmt(st, S_LINK_DELETE, user_id, "delete email link");
}

/* Step the bound statement q for one integer: *out, 0 when there is no
 * row; q is reset after. */
static enum err
step_int(struct store *st, sqlite3_stmt *q, int64_t *out, const char *what)
{
	enum err e = ERR_OK;
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	else if (rc == SQLITE_DONE)
		*out = 0;
	else
		e = fault(st, rc, what);
	finish(q);
	return e;
}

/* Read one integer bound to (id, text) or (id, n); 0 without a row. */
static enum err
id_int(struct store *st, enum stmt s, int64_t id, const char *text, int64_t n,
       int64_t *out, const char *what)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, s, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, id);
	if (text != NULL)
		sqlite3_bind_text(q, 2, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(q, 2, n);
	return step_int(st, q, out, what);
}

enum err
store_client_count(struct store *st, int64_t user_id, int64_t since, int64_t *n)
{
	return id_int(st, S_CLIENT_COUNT, user_id, NULL, since, n,
	              "count known clients");
}

enum err
store_client_seen(struct store *st, int64_t user_id, const char *key,
                  int64_t *seen)
{
	return id_int(st, S_CLIENT_SEEN, user_id, key, 0, seen,
	              "read a known client");
}

enum err
store_client_put(struct store *st, int64_t user_id, const char *key,
                 int64_t now)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if (strlen(key) > STORE_KEY_MAX)
		return ERR_INVAL;
	if ((e = prepare(st, S_CLIENT_PUT, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, user_id);
	sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now);
	return step_done(st, q, "remember a client");
}

/* Run a statement bound to (key, n) that returns no row. */
static enum err
key_stmt(struct store *st, enum stmt s, const char *key, int64_t n,
         const char *what)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, s, &q)) != ERR_OK)
		return e;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, n);
	return step_done(st, q, what);
}

/* Read one integer bound to (key[, n]); *out is 0 when there is no row. */
static enum err
key_int(struct store *st, enum stmt s, const char *key, const int64_t *n,
        int64_t *out, const char *what)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, s, &q)) != ERR_OK)
		return e;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (n != NULL)
		sqlite3_bind_int64(q, 2, *n);
	return step_int(st, q, out, what);
}

enum err
store_throttle_count(struct store *st, const char *key, int64_t since,
                     int64_t *n)
{
	return key_int(st, S_THROTTLE_COUNT, key, &since, n, "count failures");
}

enum err
store_throttle_add(struct store *st, const char *key, int64_t at)
{
	return key_stmt(st, S_THROTTLE_ADD, key, at, "count a failure");
}

enum err
store_throttle_remove(struct store *st, const char *key, int64_t at)
{
	return key_stmt(st, S_THROTTLE_REMOVE, key, at, "uncount a failure");
}

enum err
store_lock_get(struct store *st, const char *key, int64_t *until)
{
	return key_int(st, S_LOCK_GET, key, NULL, until, "read lock");
}

enum err
store_lock_put(struct store *st, const char *key, int64_t until)
{
	return key_stmt(st, S_LOCK_PUT, key, until, "write lock");
}

enum err
store_lock_clear(struct store *st, const char *key)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, S_LOCK_DELETE, &q)) != ERR_OK)
		return e;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if ((e = step_done(st, q, "remove a lock")) != ERR_OK ||
	    (e = prepare(st, S_THROTTLE_CLEAR, &q)) != ERR_OK)
		return e;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	return step_done(st, q, "remove failures");
}

int64_t
store_changes(struct store *st)
{
	return sqlite3_changes64(st->db);
}

enum err
store_user_list(struct store *st,
                int (*fn)(void *arg, const struct store_user_row *row),
                void *arg)
{
	struct store_user_row row;
	sqlite3_stmt *q = NULL;
	enum err e;
	int rc;

	/* Its own statement, not the kept one: fn may read with st, and a
	 * nested listing must not reset this one. */
	rc = sqlite3_prepare_v2(st->db, stmt_sql[S_USER_LIST], -1, &q, NULL);
	if (rc != SQLITE_OK)
		return fault(st, rc, "list users");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(q, 0);
		row.email = (const char *)sqlite3_column_text(q, 1);
		row.created = sqlite3_column_int64(q, 2);
		row.last_login = sqlite3_column_int64(q, 3);
		if (row.email == NULL)
			row.email = "";
		if (fn(arg, &row) != 0)
			break;
	}
	e = rc == SQLITE_ROW || rc == SQLITE_DONE ? ERR_OK
	                                          : fault(st, rc, "list users");
	sqlite3_finalize(q);
	return e;
}

enum err
store_user_delete(struct store *st, int64_t id)
{
	enum err e;

	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if ((e = id_stmt(st, S_SESSION_DELETE_USER, id, "delete user")) !=
	        ERR_OK ||
	    (e = id_stmt(st, S_GROUPS_DELETE_USER, id, "delete user")) !=
	        ERR_OK ||
	    (e = id_stmt(st, S_RESET_DELETE_USER, id, "delete user")) !=
	        ERR_OK ||
	    (e = id_stmt(st, S_LINK_DELETE, id, "delete user")) != ERR_OK ||
	    (e = id_stmt(st, S_CLIENT_DELETE_USER, id, "delete user")) !=
	        ERR_OK ||
	    (e = id_stmt(st, S_FACTOR_DELETE, id, "delete user")) != ERR_OK ||
	    (e = id_stmt(st, S_RECOVERY_DELETE, id, "delete user")) != ERR_OK ||
	    (e = id_stmt(st, S_PENDING_DELETE_USER, id, "delete user")) !=
	        ERR_OK ||
	    (e = id_stmt(st, S_USER_DELETE, id, "delete user")) != ERR_OK)
		goto out;
	if (sqlite3_changes64(st->db) == 0) {
		e = ERR_NOT_FOUND;
		goto out;
	}
	e = store_commit(st);
out:
	if (e != ERR_OK)
		store_rollback(st);
	return e;
}

/* Run a purge statement bound to (a) or (a, b); count what it removed. */
static enum err
purge_stmt(struct store *st, enum stmt s, int64_t a, const int64_t *b,
           int64_t *count)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, s, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, a);
	if (b != NULL)
		sqlite3_bind_int64(q, 2, *b);
	if ((e = step_done(st, q, "purge")) == ERR_OK)
		*count = sqlite3_changes64(st->db);
	return e;
}

enum err
store_purge(struct store *st, int64_t now, int64_t idle_before,
            int64_t max_before, int64_t window_before, int64_t clients_before,
            struct store_purged *out)
{
	struct store_purged p;
	int64_t locks = 0, factors = 0;
	enum err e;

	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if ((e = purge_stmt(st, S_PURGE_SESSIONS, idle_before, &max_before,
	                    &p.sessions)) != ERR_OK ||
	    (e = purge_stmt(st, S_PURGE_RESETS, now, NULL, &p.reset_tokens)) !=
	        ERR_OK ||
	    (e = purge_stmt(st, S_PURGE_THROTTLE, window_before, NULL,
	                    &p.throttles)) != ERR_OK ||
	    (e = purge_stmt(st, S_PURGE_LOCKS, now, NULL, &locks)) != ERR_OK ||
	    (e = purge_stmt(st, S_PURGE_LINKS, now, NULL, &p.links)) !=
	        ERR_OK ||
	    (e = purge_stmt(st, S_PURGE_CLIENTS, clients_before, NULL,
	                    &p.clients)) != ERR_OK ||
	    (e = purge_stmt(st, S_PURGE_PENDING, now, NULL, &p.pending)) !=
	        ERR_OK ||
	    (e = purge_stmt(st, S_PURGE_FACTORS, now, NULL, &factors)) !=
	        ERR_OK ||
	    (e = store_commit(st)) != ERR_OK) {
		store_rollback(st);
		return e;
	}
	p.throttles += locks;
	p.pending += factors;
	*out = p;
	return ERR_OK;
}

enum err
store_import_original(struct store *st, const char *path, int64_t now,
                      int64_t *imported, int64_t *skipped)
{
	static const char count_sql[] = "SELECT count(*) FROM orig.users";
	static const char copy_sql[] =
	    "INSERT OR IGNORE INTO main.users (email, password_hash,"
	    " created_at)"
	    " SELECT CAST(email AS TEXT), CAST(hashed_password AS TEXT), ?1"
	    " FROM orig.users"
	    " WHERE CAST(hashed_password AS TEXT) LIKE '$2%'"
	    " AND length(CAST(hashed_password AS TEXT)) <= 255"
	    " AND instr(CAST(email AS TEXT), '@') > 1"
	    " AND length(CAST(email AS TEXT)) <= 254"
	    " ORDER BY rowid";
	sqlite3_stmt *q = NULL;
	int64_t total = 0, done = 0;
	enum err e;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "ATTACH ?1 AS orig", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return fault(st, rc, "attach");
	sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	q = NULL;
	if (rc != SQLITE_DONE)
		return fault(st, rc, "attach the original database");
	if ((e = store_begin(st)) != ERR_OK)
		goto detach;
	rc = sqlite3_prepare_v2(st->db, count_sql, -1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
		total = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	if (rc != SQLITE_ROW) {
		e = fault(st, rc, "read the original users");
		goto out;
	}
	rc = sqlite3_prepare_v2(st->db, copy_sql, -1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, now);
		rc = sqlite3_step(q);
	}
	done = sqlite3_changes64(st->db);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		e = fault(st, rc, "copy the original users");
		goto out;
	}
	e = store_commit(st);
out:
	if (e != ERR_OK)
		store_rollback(st);
detach:
	sqlite3_exec(st->db, "DETACH orig", NULL, NULL, NULL);
	if (e == ERR_OK) {
		*imported = done;
		*skipped = total - done;
	}
	return e;
}

/* ---- the second factor ---- */

enum err
store_session_set_factor(struct store *st,
                         const unsigned char digest[STORE_DIGEST_LEN])
{
	return digest_stmt(st, S_SESSION_SET_FACTOR, digest, NULL,
	                   "mark session");
}

enum err
store_factor_get(struct store *st, int64_t user_id, struct store_factor *out)
{
	const void *p;
	sqlite3_stmt *q = NULL;
	enum err e;
	int rc, n;

	if ((e = prepare(st, S_FACTOR_GET, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, user_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		e = ERR_NOT_FOUND;
	} else if (rc != SQLITE_ROW) {
		e = fault(st, rc, "read second factor");
	} else {
		p = sqlite3_column_blob(q, 0);
		n = sqlite3_column_bytes(q, 0);
		if (p == NULL || n <= 0 || n > STORE_SEALED_MAX) {
			log_error("database: the second factor of user %lld"
			          " is malformed",
			          (long long)user_id);
			e = ERR_DB;
		} else {
			memcpy(out->sealed, p, (size_t)n);
			out->sealed_len = (size_t)n;
			out->active = sqlite3_column_int64(q, 1) != 0;
			out->last_step = sqlite3_column_int64(q, 2);
			out->expires = sqlite3_column_int64(q, 3);
		}
	}
	finish(q);
	return e;
}

enum err
store_factor_put(struct store *st, int64_t user_id, const unsigned char *sealed,
                 size_t n, int64_t expires)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if (n == 0 || n > STORE_SEALED_MAX)
		return ERR_INVAL;
	if ((e = prepare(st, S_FACTOR_PUT, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, user_id);
	sqlite3_bind_blob(q, 2, sealed, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, expires);
	return step_done(st, q, "store second factor");
}

/* Run a statement bound to (id, n) that must change one row:
 * ERR_NOT_FOUND when it changed none. */
static enum err
id_int_one(struct store *st, enum stmt s, int64_t id, int64_t n,
           const char *what)
{
	enum err e = id_int_stmt(st, s, id, n, what);

	if (e == ERR_OK && sqlite3_changes64(st->db) == 0)
		e = ERR_NOT_FOUND;
	return e;
}

enum err
store_factor_activate(struct store *st, int64_t user_id, int64_t step)
{
	return id_int_one(st, S_FACTOR_ACTIVATE, user_id, step,
	                  "activate second factor");
}

enum err
store_factor_use(struct store *st, int64_t user_id, int64_t step)
{
	return id_int_one(st, S_FACTOR_USE, user_id, step, "use a code");
}

enum err
store_factor_delete(struct store *st, int64_t user_id)
{
	enum err e;

	if ((e = id_stmt(st, S_RECOVERY_DELETE, user_id,
	                 "delete recovery codes")) != ERR_OK ||
	    (e = id_stmt(st, S_PENDING_DELETE_USER, user_id,
	                 "delete pending log-ins")) != ERR_OK)
		return e;
	return id_stmt(st, S_FACTOR_DELETE, user_id, "delete second factor");
}

enum err
store_recovery_set(struct store *st, int64_t user_id,
                   const char *const *digests, size_t n)
{
	enum err e;
	size_t i;

	e = id_stmt(st, S_RECOVERY_DELETE, user_id, "delete recovery codes");
	for (i = 0; e == ERR_OK && i < n; i++)
		e = id_text_stmt(st, S_RECOVERY_ADD, user_id, digests[i],
		                 "store recovery code");
	return e;
}

enum err
store_recovery_use(struct store *st, int64_t user_id, const char *digest)
{
	enum err e;

	e = id_text_stmt(st, S_RECOVERY_USE, user_id, digest,
	                 "use a recovery code");
	if (e == ERR_OK && sqlite3_changes64(st->db) == 0)
		e = ERR_NOT_FOUND;
	return e;
}

enum err
store_recovery_count(struct store *st, int64_t user_id, int64_t *n)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, S_RECOVERY_COUNT, &q)) != ERR_OK)
		return e;
	sqlite3_bind_int64(q, 1, user_id);
	return step_int(st, q, n, "count recovery codes");
}

enum err
store_pending_put(struct store *st,
                  const unsigned char digest[STORE_DIGEST_LEN], int64_t user_id,
                  const unsigned char form[STORE_DIGEST_LEN], int64_t expires)
{
	sqlite3_stmt *q = NULL;
	enum err e;

	if ((e = prepare(st, S_PENDING_PUT, &q)) != ERR_OK)
		return e;
	sqlite3_bind_blob(q, 1, digest, STORE_DIGEST_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, user_id);
	sqlite3_bind_blob(q, 3, form, STORE_DIGEST_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, expires);
	return step_done(st, q, "store pending log-in");
}

enum err
store_pending_find(struct store *st,
                   const unsigned char digest[STORE_DIGEST_LEN],
                   struct store_pending *out)
{
	struct store_pending pl;
	sqlite3_stmt *q = NULL;
	enum err e;
	int rc;

	if ((e = prepare(st, S_PENDING_FIND, &q)) != ERR_OK)
		return e;
	sqlite3_bind_blob(q, 1, digest, STORE_DIGEST_LEN, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		e = ERR_NOT_FOUND;
	} else if (rc != SQLITE_ROW) {
		e = fault(st, rc, "read pending log-in");
	} else {
		pl.user_id = sqlite3_column_int64(q, 0);
		pl.expires = sqlite3_column_int64(q, 1);
		if ((e = column_digest(q, 2, pl.digest)) == ERR_OK &&
		    (e = column_digest(q, 3, pl.form)) == ERR_OK)
			*out = pl;
	}
	finish(q);
	return e;
}

enum err
store_pending_delete(struct store *st,
                     const unsigned char digest[STORE_DIGEST_LEN])
{
	enum err e;

	e = digest_stmt(st, S_PENDING_DELETE, digest, NULL,
	                "delete pending log-in");
	if (e == ERR_OK && sqlite3_changes64(st->db) == 0)
		e = ERR_NOT_FOUND;
	return e;
}

enum err
store_pending_delete_user(struct store *st, int64_t user_id)
{
	return id_stmt(st, S_PENDING_DELETE_USER, user_id,
	               "delete pending log-ins");
}
