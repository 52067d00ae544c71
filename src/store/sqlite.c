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

	if (store_sqlite_sql[s] == NULL)
		return ERR_OK;
	if (q->stmt[s] == NULL) {
		rc = sqlite3_prepare_v3(q->db, store_sqlite_sql[s], -1,
		                        SQLITE_PREPARE_PERSISTENT, &q->stmt[s],
		                        NULL);
		if (rc != SQLITE_OK)
			return fault(q, rc, store_stmt_what[s]);
	}
	stmt = q->stmt[s];
	if (sqlite3_stmt_busy(stmt)) {
		rc = sqlite3_prepare_v2(q->db, store_sqlite_sql[s], -1, &own,
		                        NULL);
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

	rc = sqlite3_prepare_v2(q->db, store_sqlite_sql[S_VERSION], -1, &stmt,
	                        NULL);
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
		if ((e = exec(q, store_sqlite_migrations[v],
		              "migrate schema")) != ERR_OK)
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
