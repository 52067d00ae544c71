/* test_store.c: the store contract (store.h) against a real database of
 * either backend: SQLite files in a temporary directory by default, or,
 * when STORE_TEST_PG holds the URI of a PostgreSQL database
 * (tests/unit/with-pg.sh starts a throwaway cluster and sets it), a
 * schema of its own in that database for each test. The same tests run
 * on both; the few that only one backend can run say why they skip on
 * the other. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "tmpdb.h"
#include "store/store.h"

/* The PostgreSQL database under test, or NULL: SQLite. */
static const char *pg_base;

struct fx {
	struct tmpdb db; /* a temporary directory; SQLite's file */
	char path[640];  /* what the store opens: db.path, or a URI */
	char raw[640];   /* PostgreSQL: the URI of raw connections */
	char schema[48]; /* PostgreSQL: this test's own schema */
	char app[80];    /* PostgreSQL: its store connections' name */
	char copy[160];  /* a second SQLite file, for copies */
	struct store *st;
};

#define SKIP_ON_PG(why)                                                        \
	do {                                                                   \
		if (pg_base != NULL) {                                         \
			print_message("  skipped with PostgreSQL: %s\n", why); \
			skip();                                                \
		}                                                              \
	} while (0)

#define SKIP_ON_SQLITE(why)                                                    \
	do {                                                                   \
		if (pg_base == NULL) {                                         \
			print_message("  skipped with SQLite: %s\n", why);     \
			skip();                                                \
		}                                                              \
	} while (0)

/* ---- raw access to the database under test, beside the store ---- */

/* Raw connections say nothing of what they drop. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static PGconn *
raw_connect(const struct fx *f)
{
	PGconn *c = PQconnectdb(f->raw);

	PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

/* Run sql on a raw connection; 0, or -1 on failure. */
static int
raw_exec(const struct fx *f, const char *sql)
{
	sqlite3 *db = NULL;
	PGconn *c;
	PGresult *r;
	int rc;

	if (pg_base == NULL) {
		rc = sqlite3_open(f->db.path, &db);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_close(db);
		return rc == SQLITE_OK ? 0 : -1;
	}
	c = raw_connect(f);
	r = PQexec(c, sql);
	rc = PQresultStatus(r) == PGRES_COMMAND_OK ||
	             PQresultStatus(r) == PGRES_TUPLES_OK
	         ? 0
	         : -1;
	if (rc != 0)
		print_message("  raw: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* The first column of the first row of sql, as text into out; "" when
 * there is no row. */
static void
raw_text(const struct fx *f, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *q = NULL;
	sqlite3 *db = NULL;
	const unsigned char *t;
	PGconn *c;
	PGresult *r;

	out[0] = '\0';
	if (pg_base == NULL) {
		assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL),
		                 SQLITE_OK);
		if (sqlite3_step(q) == SQLITE_ROW &&
		    (t = sqlite3_column_text(q, 0)) != NULL)
			snprintf(out, size, "%s", (const char *)t);
		sqlite3_finalize(q);
		sqlite3_close(db);
		return;
	}
	c = raw_connect(f);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		print_message("  raw: %s: %s", sql, PQerrorMessage(c));
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	if (PQntuples(r) > 0)
		snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
}

static long long
raw_int(const struct fx *f, const char *sql)
{
	char buf[64];

	raw_text(f, sql, buf, sizeof(buf));
	return strtoll(buf, NULL, 10);
}

/* The schema version, as the database records it; 0 when none. */
static long long
raw_version(const struct fx *f)
{
	if (pg_base == NULL)
		return raw_int(f, "PRAGMA user_version");
	if (raw_int(f,
	            "SELECT count(*) FROM pg_tables WHERE tablename ="
	            " 'authcgi_schema' AND schemaname = current_schema()") == 0)
		return 0;
	return raw_int(f, "SELECT coalesce(max(version), 0)"
	                  " FROM authcgi_schema");
}

/* Record schema version v, as a newer build would. */
static void
raw_set_version(const struct fx *f, int v)
{
	char sql[96];

	if (pg_base == NULL)
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	else
		snprintf(sql, sizeof(sql),
		         "INSERT INTO authcgi_schema (version) VALUES (%d)", v);
	assert_int_equal(raw_exec(f, sql), 0);
}

/* How many of the tables named in list ("'a', 'b'") exist. */
static long long
raw_tables(const struct fx *f, const char *list)
{
	char sql[256];

	if (pg_base == NULL)
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM sqlite_master WHERE type ="
		         " 'table' AND name IN (%s)",
		         list);
	else
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM pg_tables WHERE schemaname ="
		         " current_schema() AND tablename IN (%s)",
		         list);
	return raw_int(f, sql);
}

/* ---- fixtures ---- */

/* Remove a SQLite file and what SQLite may leave beside it. */
static void
remove_sqlite(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[700];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static int
setup(void **state)
{
	static unsigned n;
	struct fx *f = calloc(1, sizeof(*f));
	char sql[128];

	if (f == NULL)
		return -1;
	if (tmpdb_make(&f->db, "test_store") != 0) {
		free(f);
		return -1;
	}
	snprintf(f->copy, sizeof(f->copy), "%s/copy.db", f->db.dir);
	if (pg_base == NULL) {
		snprintf(f->path, sizeof(f->path), "%s", f->db.path);
		*state = f;
		return 0;
	}
	snprintf(f->schema, sizeof(f->schema), "t%ld_%u", (long)getpid(), n);
	snprintf(f->app, sizeof(f->app), "store_%s", f->schema);
	n++;
	snprintf(f->raw, sizeof(f->raw),
	         "%s&options=-c%%20search_path%%3D%s&application_name=raw",
	         pg_base, f->schema);
	snprintf(f->path, sizeof(f->path),
	         "%s&options=-c%%20search_path%%3D%s&application_name=%s",
	         pg_base, f->schema, f->app);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", f->schema);
	*state = f;
	return raw_exec(f, sql);
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char sql[128];

	store_close(f->st);
	if (pg_base != NULL) {
		snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", f->schema);
		raw_exec(f, sql);
	}
	remove_sqlite(f->copy);
	tmpdb_remove(&f->db);
	free(f);
	return 0;
}

static enum err
open_path(const char *path, int busy_ms, struct store **out)
{
	struct store_config cfg = {path, busy_ms, 0, false, false};

	return store_open(out, &cfg);
}

/* Open the database under test into f->st, which must succeed. */
static void
open_ok(struct fx *f)
{
	assert_int_equal(open_path(f->path, 1000, &f->st), ERR_OK);
	assert_non_null(f->st);
}

static void
reopen(struct fx *f)
{
	store_close(f->st);
	f->st = NULL;
	open_ok(f);
}

static void
digest_fill(unsigned char d[STORE_DIGEST_LEN], unsigned char v)
{
	memset(d, v, STORE_DIGEST_LEN);
}

/* A session of uid at now, its public id the hex of the digest's first
 * half, its client and user agent unknown. */
static enum err
session_put(struct store *st, const unsigned char d[STORE_DIGEST_LEN],
            int64_t uid, int64_t now)
{
	char pub[STORE_PUBLIC_ID_LEN + 1];
	size_t i;

	for (i = 0; i < STORE_PUBLIC_ID_LEN / 2; i++)
		snprintf(pub + 2 * i, 3, "%02x", d[i]);
	return store_session_insert(st, d, uid, now, pub, NULL, NULL, false);
}

/* ---- opening and the schema ---- */

static void
test_store_open_creates_schema(void **state)
{
	struct fx *f = *state;
	char mode[32];
	int v = -1;

	open_ok(f);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(raw_version(f), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_tables(f, "'users', 'sessions', 'reset_tokens',"
	                               " 'throttle_events', 'throttle_locks',"
	                               " 'groups', 'email_links',"
	                               " 'known_clients', 'second_factors',"
	                               " 'recovery_codes', 'pending_logins'"),
	                 11);
	if (pg_base == NULL) {
		raw_text(f, "PRAGMA journal_mode", mode, sizeof(mode));
		assert_string_equal(mode, "wal");
	} else {
		/* One row per migration applied: versions 3 to 6. */
		assert_int_equal(raw_int(f, "SELECT count(*) FROM"
		                            " authcgi_schema"),
		                 STORE_SCHEMA_VERSION - 2);
	}
	assert_int_equal(store_ping(f->st), ERR_OK);
}

static void
test_store_open_memory(void **state)
{
	struct store *st = NULL;
	struct store_user u;
	int64_t id = 0;
	int v = -1;

	SKIP_ON_PG("an in-memory database is SQLite's");
	(void)state;
	assert_int_equal(open_path(":memory:", 100, &st), ERR_OK);
	assert_int_equal(store_version(st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(store_user_insert(st, "m@m", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_user_by_id(st, id, &u), ERR_OK);
	assert_string_equal(u.email, "m@m");
	store_close(st);
}

/* A current database is opened without taking the write lock: with
 * another connection holding it, the open still succeeds at once. */
static void
test_store_reopen_current_no_migration(void **state)
{
	struct fx *f = *state;
	struct store *holder = NULL, *st2 = NULL;
	struct store_user u;
	int64_t id;
	int v = -1;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "keep@me", "$h", 1, &id),
	                 ERR_OK);
	store_close(f->st);
	f->st = NULL;

	assert_int_equal(open_path(f->path, 1000, &holder), ERR_OK);
	assert_int_equal(store_begin(holder), ERR_OK);
	assert_int_equal(open_path(f->path, 50, &st2), ERR_OK);
	assert_int_equal(store_version(st2, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	store_rollback(holder);
	store_close(holder);
	store_close(st2);

	/* And the data is still there. */
	open_ok(f);
	assert_int_equal(store_user_by_email(f->st, "keep@me", &u), ERR_OK);
	assert_int_equal(u.id, id);
}

/* A schema newer than the build is refused, and left as it is; a store
 * already open says so to the health probe. */
static void
test_store_open_newer_version_refused(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;

	open_ok(f);
	assert_int_equal(store_ping(f->st), ERR_OK);
	raw_set_version(f, STORE_SCHEMA_VERSION + 1);
	assert_int_equal(store_ping(f->st), ERR_DB);
	assert_int_equal(open_path(f->path, 100, &st), ERR_DB);
	assert_null(st);
	/* Left as it was: not reset, not downgraded. */
	assert_int_equal(raw_version(f), STORE_SCHEMA_VERSION + 1);
	assert_int_equal(raw_tables(f, "'users'"), 1);
}

static void
test_store_open_migrates_version_zero(void **state)
{
	struct fx *f = *state;
	char mode[32];
	int v = -1;

	SKIP_ON_PG("an empty file at version 0 is SQLite's; an empty schema"
	           " is test_store_open_creates_schema");
	/* An existing, empty database file at version 0. */
	assert_int_equal(raw_exec(f, "PRAGMA user_version = 0; VACUUM;"), 0);
	assert_true(access(f->db.path, F_OK) == 0);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM sqlite_master"), 0);
	open_ok(f);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	raw_text(f, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
	assert_int_equal(raw_tables(f, "'users', 'sessions', 'reset_tokens'"),
	                 3);
}

/* The schema a version 1 database has (the first migration, as shipped),
 * with one account in it. */
static const char v1_schema[] =
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
    " expires_at INTEGER NOT NULL);"
    "INSERT INTO users (email, password_hash, created_at, last_login)"
    " VALUES ('Old@User.org', '$2b$04$old', 111, 222);"
    "PRAGMA journal_mode = WAL;"
    "PRAGMA user_version = 1;";

/* An older database upgrades in place and keeps its data. */
static void
test_store_open_migrates_version_one(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t n = -1;
	int v = -1;

	SKIP_ON_PG("PostgreSQL databases start at version 3");
	assert_int_equal(raw_exec(f, v1_schema), 0);
	assert_int_equal(raw_version(f), 1);
	open_ok(f);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(store_user_by_email(f->st, "old@user.org", &u),
	                 ERR_OK);
	assert_string_equal(u.email, "Old@User.org");
	assert_string_equal(u.hash, "$2b$04$old");
	assert_int_equal(u.created, 111);
	assert_int_equal(u.last_login, 222);
	/* What the later versions added works. */
	assert_int_equal(store_throttle_add(f->st, "k", 5), ERR_OK);
	assert_int_equal(store_throttle_count(f->st, "k", 0, &n), ERR_OK);
	assert_int_equal(n, 1);
	/* And a second open finds it current. */
	reopen(f);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM users"), 1);
}

/* A migration that cannot run (here: a table of the same name in the
 * way) is ERR_DB and leaves the database as it was. */
static void
test_store_open_failed_migration_rolls_back(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;

	assert_int_equal(raw_exec(f, "CREATE TABLE users (x integer);"
	                             " INSERT INTO users VALUES (42);"),
	                 0);
	assert_int_equal(open_path(f->path, 100, &st), ERR_DB);
	assert_null(st);
	assert_int_equal(raw_version(f), 0);
	assert_int_equal(raw_int(f, "SELECT x FROM users"), 42);
	assert_int_equal(raw_tables(f, "'sessions', 'authcgi_schema'"), 0);
}

/* Run child(f) in n processes at once (each waits for a common start)
 * and return how many of them exit 0. No store of this process may be
 * open meanwhile: a connection is not shared across fork(). */
static int
in_processes(const struct fx *f, int n, int (*child)(const struct fx *f))
{
	int gate[2], i, status, ok = 0;
	pid_t pids[8];
	char c;

	assert_true(n <= 8);
	assert_int_equal(pipe(gate), 0);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(gate[1]);
			if (read(gate[0], &c, 1) < 0)
				_exit(3);
			_exit(child(f));
		}
	}
	close(gate[0]);
	close(gate[1]); /* the start: every read returns */
	for (i = 0; i < n; i++)
		if (waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	return ok;
}

static int
child_open(const struct fx *f)
{
	struct store *st = NULL;
	enum err e = open_path(f->path, 10000, &st);

	store_close(st);
	return e == ERR_OK ? 0 : 1;
}

/* Hosts that start together migrate once: the others wait for the
 * first and find the work done. */
static void
test_store_open_racing_migrations(void **state)
{
	struct fx *f = *state;

	assert_int_equal(in_processes(f, 6, child_open), 6);
	assert_int_equal(raw_version(f), STORE_SCHEMA_VERSION);
	if (pg_base != NULL)
		assert_int_equal(raw_int(f, "SELECT count(*) FROM"
		                            " authcgi_schema"),
		                 STORE_SCHEMA_VERSION - 2);
	open_ok(f);
}

/* ---- faults ---- */

/* A database that cannot be reached: a SQLite file in a directory that
 * does not exist, a PostgreSQL socket that is not there, a URI that is
 * not one. */
static void
test_store_open_unreachable(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char p[256];

	if (pg_base == NULL)
		snprintf(p, sizeof(p), "%s/no/such/dir/auth.db", f->db.dir);
	else
		snprintf(p, sizeof(p),
		         "postgresql:///authcgi?host=%s/no/such/dir",
		         f->db.dir);
	assert_int_equal(open_path(p, 100, &st), ERR_DB);
	assert_null(st);
	assert_int_equal(open_path("postgresql://[bad", 100, &st), ERR_DB);
	assert_null(st);
}

static void
test_store_open_corrupt_file(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char junk[4096];
	FILE *fp;
	size_t i;

	SKIP_ON_PG("a corrupt file is SQLite's");
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	fp = fopen(f->db.path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
	fclose(fp);
	assert_int_equal(open_path(f->db.path, 100, &st), ERR_DB);
	assert_null(st);
}

static void
test_store_open_directory_as_file(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;

	SKIP_ON_PG("a directory in the way is SQLite's");
	assert_int_equal(open_path(f->db.dir, 100, &st), ERR_DB);
	assert_null(st);
}

/* Opening only what exists: a missing SQLite file is not created. */
static void
test_store_open_existing(void **state)
{
	struct fx *f = *state;
	struct store_config cfg = {f->path, 100, 0, false, true};
	struct store *st = NULL;

	if (pg_base == NULL) {
		assert_int_equal(store_open(&st, &cfg), ERR_NOT_FOUND);
		assert_null(st);
		assert_true(access(f->db.path, F_OK) != 0);
	}
	open_ok(f);
	assert_int_equal(store_open(&st, &cfg), ERR_OK);
	store_close(st);
}

/* One write transaction at a time: a second waits for the write lock up
 * to its busy timeout, then gives up. */
static void
test_store_begin_busy(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct store_user u;
	int64_t id;

	open_ok(f);
	assert_int_equal(open_path(f->path, 50, &st), ERR_OK);
	assert_int_equal(store_begin(f->st), ERR_OK);
	assert_int_equal(store_begin(st), ERR_BUSY);
	store_rollback(st);
	if (pg_base == NULL) {
		/* SQLite has one writer at a time, transaction or not. */
		assert_int_equal(store_user_insert(st, "w@w", "$h", 1, &id),
		                 ERR_BUSY);
	}
	/* Reads go on. */
	assert_int_equal(store_user_by_email(st, "w@w", &u), ERR_NOT_FOUND);
	store_rollback(f->st);
	/* Once the lock is gone, the same connection writes again. */
	assert_int_equal(store_begin(st), ERR_OK);
	assert_int_equal(store_user_insert(st, "w@w", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_commit(st), ERR_OK);
	store_close(st);
}

/* Twenty times: in a write transaction, count the events of "k" and add
 * one stamped with that count. */
static int
child_count_then_write(const struct fx *f)
{
	struct store *st = NULL;
	int64_t n = 0;
	int k, fails = 0;

	if (open_path(f->path, 10000, &st) != ERR_OK)
		return 3;
	for (k = 0; k < 20; k++) {
		if (store_begin(st) != ERR_OK ||
		    store_throttle_count(st, "k", 0, &n) != ERR_OK ||
		    store_throttle_add(st, "k", n) != ERR_OK ||
		    store_commit(st) != ERR_OK) {
			store_rollback(st);
			fails++;
		}
	}
	store_close(st);
	return fails == 0 ? 0 : 1;
}

/* What the auth layer relies on: a count read in a write transaction is
 * still the count when the transaction writes, however many processes
 * do the same at once. Each process adds an event stamped with the count
 * it read: any two that read the same count would stamp the same. */
static void
test_store_writers_one_at_a_time(void **state)
{
	struct fx *f = *state;

	assert_int_equal(in_processes(f, 6, child_count_then_write), 6);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM throttle_events"),
	                 120);
	assert_int_equal(
	    raw_int(f, "SELECT count(DISTINCT at) FROM throttle_events"), 120);
	assert_int_equal(raw_int(f, "SELECT max(at) FROM throttle_events"),
	                 119);
}

/* ---- users ---- */

static void
test_store_user_insert_find(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t id = 0, id2 = 0;

	open_ok(f);
	assert_int_equal(
	    store_user_insert(f->st, "Bob@Example.COM", "$y$hash", 1000, &id),
	    ERR_OK);
	assert_true(id > 0);
	memset(&u, 0xa5, sizeof(u));
	assert_int_equal(store_user_by_email(f->st, "bob@example.com", &u),
	                 ERR_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.email, "Bob@Example.COM");
	assert_string_equal(u.hash, "$y$hash");
	assert_int_equal(u.created, 1000);
	assert_int_equal(u.last_login, 0);
	assert_int_equal(store_user_by_email(f->st, "BOB@EXAMPLE.COM", &u),
	                 ERR_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.email, "Bob@Example.COM");

	assert_int_equal(store_user_insert(f->st, "x@y", "$h2", 2000, &id2),
	                 ERR_OK);
	assert_true(id2 != id);
	assert_int_equal(store_user_by_id(f->st, id2, &u), ERR_OK);
	assert_string_equal(u.email, "x@y");
	assert_string_equal(u.hash, "$h2");
	assert_int_equal(u.created, 2000);
}

static void
test_store_user_duplicate_other_case(void **state)
{
	static const char *const dups[] = {"bob@bob.com", "BOB@BOB.COM",
	                                   "Bob@Bob.Com", "bOb@bOb.cOm"};
	struct fx *f = *state;
	struct store_user u;
	int64_t id = 0, id2;
	size_t i;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "bob@bob.com", "$h", 1, &id),
	                 ERR_OK);
	for (i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
		id2 = -7;
		assert_int_equal(
		    store_user_insert(f->st, dups[i], "$other", 2, &id2),
		    ERR_EXISTS);
		assert_int_equal(id2, -7); /* untouched on failure */
	}
	assert_int_equal(store_user_by_email(f->st, "BOB@bob.com", &u), ERR_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.email, "bob@bob.com");
	assert_string_equal(u.hash, "$h");
	assert_int_equal(raw_int(f, "SELECT count(*) FROM users"), 1);
}

/* Uniqueness folds the 26 ASCII letters and nothing else, whatever the
 * database's locale: other letters are as distinct as their bytes (so a
 * copy between the backends never meets an account one allows and the
 * other refuses). */
static void
test_store_user_case_rule_ascii_only(void **state)
{
	static const struct {
		const char *first, *second;
		enum err want;
	} cases[] = {
	    {"\xc3\x89t\xc3\xa9@x.fr", "\xc3\xa9t\xc3\xa9@x.fr", ERR_OK},
	    {"stra\xc3\x9f"
	     "e@x.de",
	     "STRASSE@x.de", ERR_OK},
	    {"\xc4\xb1i@x.tr", "II@x.tr", ERR_OK},
	    {"\xc4\xb0@y.tr", "i@y.tr", ERR_OK},
	    {"Zoe@Q.org", "zOE@q.ORG", ERR_EXISTS},
	    {"\xc3\xa9Mile@x.fr", "\xc3\xa9mILE@X.FR", ERR_EXISTS},
	};
	struct fx *f = *state;
	struct store_user u;
	int64_t id;
	size_t i;

	open_ok(f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    store_user_insert(f->st, cases[i].first, "$h", 1, &id),
		    ERR_OK);
		assert_int_equal(
		    store_user_insert(f->st, cases[i].second, "$h", 1, &id),
		    cases[i].want);
		assert_int_equal(
		    store_user_by_email(f->st, cases[i].second, &u), ERR_OK);
		assert_string_equal(u.email, cases[i].want == ERR_OK
		                                 ? cases[i].second
		                                 : cases[i].first);
	}
}

static void
test_store_user_not_found(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t id;

	open_ok(f);
	memset(&u, 0x5a, sizeof(u));
	assert_int_equal(store_user_by_email(f->st, "nobody@x", &u),
	                 ERR_NOT_FOUND);
	assert_int_equal(store_user_by_id(f->st, 1, &u), ERR_NOT_FOUND);
	assert_int_equal(store_user_insert(f->st, "a@b", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_user_by_id(f->st, id + 1, &u), ERR_NOT_FOUND);
	assert_int_equal(store_user_by_email(f->st, "a@bb", &u), ERR_NOT_FOUND);
	assert_int_equal(store_user_by_email(f->st, "", &u), ERR_NOT_FOUND);
	/* Case folding is ASCII only, and no pattern matching. */
	assert_int_equal(store_user_by_email(f->st, "a@%", &u), ERR_NOT_FOUND);
	assert_int_equal(store_user_by_email(f->st, "_@b", &u), ERR_NOT_FOUND);
}

static void
test_store_user_too_long(void **state)
{
	struct fx *f = *state;
	char email[STORE_EMAIL_MAX + 2];
	char hash[STORE_HASH_MAX + 2];
	struct store_user u;
	int64_t id = -1;

	open_ok(f);
	memset(email, 'e', sizeof(email) - 1);
	email[sizeof(email) - 1] = '\0';
	email[1] = '@';
	assert_int_equal(store_user_insert(f->st, email, "$h", 1, &id),
	                 ERR_INVAL);
	email[sizeof(email) - 2] = '\0'; /* exactly STORE_EMAIL_MAX */
	assert_int_equal(store_user_insert(f->st, email, "$h", 1, &id), ERR_OK);
	memset(hash, 'h', sizeof(hash) - 1);
	hash[sizeof(hash) - 1] = '\0';
	assert_int_equal(store_user_insert(f->st, "h@h", hash, 1, &id),
	                 ERR_INVAL);
	assert_int_equal(store_user_set_hash(f->st, id, hash), ERR_INVAL);
	hash[sizeof(hash) - 2] = '\0'; /* exactly STORE_HASH_MAX */
	assert_int_equal(store_user_set_hash(f->st, id, hash), ERR_OK);
	assert_int_equal(store_user_by_id(f->st, id, &u), ERR_OK);
	assert_int_equal(strlen(u.email), STORE_EMAIL_MAX);
	assert_int_equal(strlen(u.hash), STORE_HASH_MAX);
}

static void
test_store_user_set_hash_and_login(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t a, b;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$old", 10, &a),
	                 ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$bee", 10, &b),
	                 ERR_OK);
	assert_int_equal(store_user_set_hash(f->st, a, "$new"), ERR_OK);
	assert_int_equal(store_user_set_login(f->st, a, 12345), ERR_OK);
	assert_int_equal(store_user_by_id(f->st, a, &u), ERR_OK);
	assert_string_equal(u.hash, "$new");
	assert_int_equal(u.last_login, 12345);
	assert_int_equal(u.created, 10);
	/* The other account is untouched. */
	assert_int_equal(store_user_by_id(f->st, b, &u), ERR_OK);
	assert_string_equal(u.hash, "$bee");
	assert_int_equal(u.last_login, 0);
}

static void
test_store_sql_metacharacters_are_data(void **state)
{
	static const char *const emails[] = {
	    "'; DROP TABLE users; --",
	    "a'b@c",
	    "\"x\"@y",
	    "x@y' OR '1'='1",
	    "%@_",
	    "robert');--@x",
	    "$1@$2",
	    "\\x00@\\",
	};
	struct fx *f = *state;
	struct store_user u;
	int64_t id;
	size_t i;

	open_ok(f);
	for (i = 0; i < sizeof(emails) / sizeof(emails[0]); i++) {
		assert_int_equal(
		    store_user_insert(f->st, emails[i], "$h'--", 1, &id),
		    ERR_OK);
		assert_int_equal(store_user_by_email(f->st, emails[i], &u),
		                 ERR_OK);
		assert_int_equal(u.id, id);
		assert_string_equal(u.email, emails[i]);
		assert_string_equal(u.hash, "$h'--");
	}
	assert_int_equal(store_user_by_email(f->st, "x@y", &u), ERR_NOT_FOUND);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM users"),
	                 (long long)(sizeof(emails) / sizeof(emails[0])));
}

/* ---- sessions ---- */

static void
test_store_session_lifecycle(void **state)
{
	struct fx *f = *state;
	unsigned char d1[STORE_DIGEST_LEN], d2[STORE_DIGEST_LEN],
	    d3[STORE_DIGEST_LEN];
	char email[STORE_EMAIL_MAX + 1];
	struct store_session s;
	int64_t a, b;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "B@b", "$h", 1, &b), ERR_OK);
	digest_fill(d1, 1);
	digest_fill(d2, 2);
	digest_fill(d3, 3);
	d3[0] = 0; /* a digest with a NUL byte is a blob, not a string */

	assert_int_equal(session_put(f->st, d1, a, 100), ERR_OK);
	assert_int_equal(session_put(f->st, d2, a, 200), ERR_OK);
	assert_int_equal(session_put(f->st, d3, b, 300), ERR_OK);

	assert_int_equal(store_session_find(f->st, d1, &s), ERR_OK);
	assert_int_equal(s.user_id, a);
	assert_int_equal(s.created, 100);
	assert_int_equal(s.last_seen, 100);
	assert_memory_equal(s.digest, d1, STORE_DIGEST_LEN);
	assert_int_equal(store_session_find_user(f->st, d3, &s, email), ERR_OK);
	assert_int_equal(s.user_id, b);
	assert_memory_equal(s.digest, d3, STORE_DIGEST_LEN);
	assert_string_equal(email, "B@b");

	/* touch */
	assert_int_equal(store_session_touch(f->st, d1, 150), ERR_OK);
	assert_int_equal(store_session_find(f->st, d1, &s), ERR_OK);
	assert_int_equal(s.created, 100);
	assert_int_equal(s.last_seen, 150);
	assert_int_equal(store_session_find(f->st, d2, &s), ERR_OK);
	assert_int_equal(s.last_seen, 200);

	/* delete one */
	assert_int_equal(store_session_delete(f->st, d1), ERR_OK);
	assert_int_equal(store_session_find(f->st, d1, &s), ERR_NOT_FOUND);
	assert_int_equal(store_session_find(f->st, d2, &s), ERR_OK);

	/* delete every session of a */
	assert_int_equal(session_put(f->st, d1, a, 400), ERR_OK);
	assert_int_equal(store_session_delete_user(f->st, a), ERR_OK);
	assert_int_equal(store_changes(f->st), 2);
	assert_int_equal(store_session_find(f->st, d1, &s), ERR_NOT_FOUND);
	assert_int_equal(store_session_find(f->st, d2, &s), ERR_NOT_FOUND);
	assert_int_equal(store_session_find(f->st, d3, &s), ERR_OK);
	assert_int_equal(s.user_id, b);
}

static void
test_store_session_missing_is_not_error(void **state)
{
	struct fx *f = *state;
	unsigned char d[STORE_DIGEST_LEN];
	struct store_session s;

	open_ok(f);
	digest_fill(d, 9);
	assert_int_equal(store_session_find(f->st, d, &s), ERR_NOT_FOUND);
	assert_int_equal(store_session_touch(f->st, d, 5), ERR_OK);
	assert_int_equal(store_session_delete(f->st, d), ERR_OK);
	assert_int_equal(store_session_delete_user(f->st, 42), ERR_OK);
	assert_int_equal(store_session_find(f->st, d, &s), ERR_NOT_FOUND);
}

static void
test_store_session_digest_is_exact(void **state)
{
	struct fx *f = *state;
	unsigned char d[STORE_DIGEST_LEN], e[STORE_DIGEST_LEN];
	struct store_session s;
	int64_t a;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	digest_fill(d, 'a');
	digest_fill(e, 'A'); /* no case folding on digests */
	assert_int_equal(session_put(f->st, d, a, 1), ERR_OK);
	assert_int_equal(store_session_find(f->st, e, &s), ERR_NOT_FOUND);
	e[0] = 'a';
	assert_int_equal(store_session_find(f->st, e, &s), ERR_NOT_FOUND);
}

/* ---- reset tokens ---- */

static void
test_store_reset_put_get_delete(void **state)
{
	struct fx *f = *state;
	unsigned char d1[STORE_DIGEST_LEN], d2[STORE_DIGEST_LEN];
	struct store_reset r;
	int64_t a, b;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &b), ERR_OK);
	digest_fill(d1, 0x11);
	digest_fill(d2, 0x22);

	assert_int_equal(store_reset_get(f->st, a, &r), ERR_NOT_FOUND);
	assert_int_equal(store_reset_put(f->st, a, d1, 1000), ERR_OK);
	assert_int_equal(store_reset_put(f->st, b, d1, 3000), ERR_OK);
	assert_int_equal(store_reset_get(f->st, a, &r), ERR_OK);
	assert_int_equal(r.user_id, a);
	assert_int_equal(r.expires, 1000);
	assert_memory_equal(r.digest, d1, STORE_DIGEST_LEN);

	/* A newer token replaces the older one. */
	assert_int_equal(store_reset_put(f->st, a, d2, 2000), ERR_OK);
	assert_int_equal(store_reset_get(f->st, a, &r), ERR_OK);
	assert_int_equal(r.expires, 2000);
	assert_memory_equal(r.digest, d2, STORE_DIGEST_LEN);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM reset_tokens"), 2);

	assert_int_equal(store_reset_delete(f->st, a), ERR_OK);
	assert_int_equal(store_reset_get(f->st, a, &r), ERR_NOT_FOUND);
	assert_int_equal(store_reset_delete(f->st, a), ERR_OK);
	/* b's token is its own. */
	assert_int_equal(store_reset_get(f->st, b, &r), ERR_OK);
	assert_int_equal(r.expires, 3000);
	assert_memory_equal(r.digest, d1, STORE_DIGEST_LEN);
}

/* ---- throttle events and locks ---- */

static void
test_store_throttle_events(void **state)
{
	struct fx *f = *state;
	const char *evil = "reset:addr:'; DROP TABLE users; --";
	int64_t n = -1;

	open_ok(f);
	assert_int_equal(store_throttle_count(f->st, "login:account:k", 0, &n),
	                 ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_throttle_add(f->st, "login:account:k", 100),
	                 ERR_OK);
	assert_int_equal(store_throttle_add(f->st, "login:account:k", 100),
	                 ERR_OK);
	assert_int_equal(store_throttle_add(f->st, "login:account:k", 160),
	                 ERR_OK);
	assert_int_equal(store_throttle_add(f->st, evil, 100), ERR_OK);
	/* Counted from `since` on, that second included; keys are exact. */
	assert_int_equal(
	    store_throttle_count(f->st, "login:account:k", 100, &n), ERR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(
	    store_throttle_count(f->st, "login:account:k", 101, &n), ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_throttle_count(f->st, "login:account:K", 0, &n),
	                 ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_throttle_count(f->st, "login:account:%", 0, &n),
	                 ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_throttle_count(f->st, evil, 0, &n), ERR_OK);
	assert_int_equal(n, 1);
	/* Remove takes exactly one event of that key and time. */
	assert_int_equal(store_throttle_remove(f->st, "login:account:k", 100),
	                 ERR_OK);
	assert_int_equal(store_throttle_count(f->st, "login:account:k", 0, &n),
	                 ERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_throttle_remove(f->st, "login:account:k", 999),
	                 ERR_OK);
	assert_int_equal(store_throttle_count(f->st, "login:account:k", 0, &n),
	                 ERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM throttle_events"), 3);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM users"), 0);
}

static void
test_store_throttle_locks(void **state)
{
	struct fx *f = *state;
	int64_t until = -1;

	open_ok(f);
	assert_int_equal(store_lock_get(f->st, "login:addr:a", &until), ERR_OK);
	assert_int_equal(until, 0);
	assert_int_equal(store_lock_put(f->st, "login:addr:a", 2000), ERR_OK);
	assert_int_equal(store_lock_get(f->st, "login:addr:a", &until), ERR_OK);
	assert_int_equal(until, 2000);
	/* A new lock replaces the old one. */
	assert_int_equal(store_lock_put(f->st, "login:addr:a", 3000), ERR_OK);
	assert_int_equal(store_lock_get(f->st, "login:addr:a", &until), ERR_OK);
	assert_int_equal(until, 3000);
	assert_int_equal(store_lock_get(f->st, "login:addr:A", &until), ERR_OK);
	assert_int_equal(until, 0);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM throttle_locks"), 1);
}

/* Purge takes events older than the window and locks that have ended,
 * and nothing else. */
static void
test_store_purge_throttle(void **state)
{
	struct fx *f = *state;
	struct store_purged p;
	int64_t n = -1;

	open_ok(f);
	assert_int_equal(store_throttle_add(f->st, "k", 100), ERR_OK);
	assert_int_equal(store_throttle_add(f->st, "k", 200), ERR_OK);
	assert_int_equal(store_lock_put(f->st, "k", 300), ERR_OK);
	assert_int_equal(store_lock_put(f->st, "j", 301), ERR_OK);
	assert_int_equal(store_purge(f->st, 300, 0, 0, 200, 0, &p), ERR_OK);
	assert_int_equal(p.throttles, 2);
	assert_int_equal(store_throttle_count(f->st, "k", 0, &n), ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_lock_get(f->st, "j", &n), ERR_OK);
	assert_int_equal(n, 301);
	assert_int_equal(store_lock_get(f->st, "k", &n), ERR_OK);
	assert_int_equal(n, 0);
}

/* Purge takes ended sessions and expired tokens. */
static void
test_store_purge_sessions_and_tokens(void **state)
{
	struct fx *f = *state;
	unsigned char d[4][STORE_DIGEST_LEN];
	struct store_purged p;
	struct store_session s;
	struct store_reset r;
	int64_t a, b;
	int i;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &b), ERR_OK);
	for (i = 0; i < 4; i++)
		digest_fill(d[i], (unsigned char)(0x40 + i));
	assert_int_equal(session_put(f->st, d[0], a, 100), ERR_OK);
	assert_int_equal(session_put(f->st, d[1], a, 500), ERR_OK);
	assert_int_equal(session_put(f->st, d[2], b, 50), ERR_OK);
	assert_int_equal(store_session_touch(f->st, d[2], 900), ERR_OK);
	assert_int_equal(store_reset_put(f->st, a, d[3], 1000), ERR_OK);
	assert_int_equal(store_reset_put(f->st, b, d[3], 1001), ERR_OK);
	/* Idle since 100 or before: d[0]; started at 50 or before: d[2]. */
	assert_int_equal(store_purge(f->st, 1000, 100, 50, 0, 0, &p), ERR_OK);
	assert_int_equal(p.sessions, 2);
	assert_int_equal(p.reset_tokens, 1);
	assert_int_equal(store_session_find(f->st, d[1], &s), ERR_OK);
	assert_int_equal(store_session_find(f->st, d[0], &s), ERR_NOT_FOUND);
	assert_int_equal(store_session_find(f->st, d[2], &s), ERR_NOT_FOUND);
	assert_int_equal(store_reset_get(f->st, a, &r), ERR_NOT_FOUND);
	assert_int_equal(store_reset_get(f->st, b, &r), ERR_OK);
}

/* The listing's callback may read with the same connection. */
static int
list_reads(void *arg, const struct store_user_row *row)
{
	struct fx *f = arg;
	int64_t until = -1;

	assert_int_equal(store_lock_get(f->st, row->email, &until), ERR_OK);
	assert_int_equal(until, strcmp(row->email, "a@a") == 0 ? 500 : 0);
	return 0;
}

static void
test_store_user_list_nested_reads(void **state)
{
	struct fx *f = *state;
	int64_t id;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_lock_put(f->st, "a@a", 500), ERR_OK);
	assert_int_equal(store_user_list(f->st, list_reads, f), ERR_OK);
}

static void
test_store_user_delete(void **state)
{
	struct fx *f = *state;
	unsigned char d[STORE_DIGEST_LEN];
	struct store_session s;
	struct store_reset r;
	struct store_user u;
	int64_t a, b;

	open_ok(f);
	digest_fill(d, 0x33);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &b), ERR_OK);
	assert_int_equal(session_put(f->st, d, a, 1), ERR_OK);
	assert_int_equal(store_reset_put(f->st, a, d, 100), ERR_OK);
	assert_int_equal(store_user_delete(f->st, a), ERR_OK);
	assert_int_equal(store_user_by_id(f->st, a, &u), ERR_NOT_FOUND);
	assert_int_equal(store_session_find(f->st, d, &s), ERR_NOT_FOUND);
	assert_int_equal(store_reset_get(f->st, a, &r), ERR_NOT_FOUND);
	assert_int_equal(store_user_delete(f->st, a), ERR_NOT_FOUND);
	assert_int_equal(store_user_by_id(f->st, b, &u), ERR_OK);
}

/* Version 2 kept failure counters under keys that held emails as typed:
 * version 3 drops them, and keeps every account. */
static const char v2_throttle[] =
    "CREATE TABLE throttle ("
    " key TEXT PRIMARY KEY,"
    " failures INTEGER NOT NULL,"
    " window_start INTEGER NOT NULL,"
    " locked_until INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO throttle VALUES ('login:account:typed@secret.org', 3, 1, 0);"
    "PRAGMA user_version = 2;";

static void
test_store_open_migrates_version_two(void **state)
{
	struct fx *f = *state;
	int v = -1;

	SKIP_ON_PG("PostgreSQL databases start at version 3");
	assert_int_equal(raw_exec(f, v1_schema), 0);
	assert_int_equal(raw_exec(f, v2_throttle), 0);
	open_ok(f);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(raw_tables(f, "'throttle'"), 0);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM users"), 1);
}

/* ---- groups ---- */

static void
test_store_groups(void **state)
{
	struct fx *f = *state;
	char groups[STORE_GROUPS_MAX + 1], email[STORE_EMAIL_MAX + 1];
	unsigned char d[STORE_DIGEST_LEN];
	struct store_session s;
	int64_t a, b, n = -1;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &b), ERR_OK);
	assert_int_equal(store_groups_of(f->st, a, groups, &n), ERR_OK);
	assert_string_equal(groups, "");
	assert_int_equal(n, 0);
	assert_int_equal(store_group_add(f->st, a, "zeta"), ERR_OK);
	assert_int_equal(store_group_add(f->st, a, "alpha"), ERR_OK);
	assert_int_equal(store_group_add(f->st, a, "alpha"), ERR_OK);
	assert_int_equal(store_group_add(f->st, b, "'; DROP TABLE users; --"),
	                 ERR_OK);
	assert_int_equal(store_groups_of(f->st, a, groups, &n), ERR_OK);
	assert_string_equal(groups, "alpha,zeta");
	assert_int_equal(n, 2);
	/* The gate's one read: session, email and groups. */
	digest_fill(d, 9);
	assert_int_equal(session_put(f->st, d, a, 5), ERR_OK);
	assert_int_equal(store_session_gate(f->st, d, &s, email, groups),
	                 ERR_OK);
	assert_int_equal(s.user_id, a);
	assert_string_equal(email, "a@a");
	assert_string_equal(groups, "alpha,zeta");
	assert_int_equal(store_group_remove(f->st, a, "zeta"), ERR_OK);
	assert_int_equal(store_group_remove(f->st, a, "zeta"), ERR_NOT_FOUND);
	assert_int_equal(store_session_gate(f->st, d, &s, email, groups),
	                 ERR_OK);
	assert_string_equal(groups, "alpha");
	/* Deleting an account takes its groups along. */
	assert_int_equal(store_user_delete(f->st, a), ERR_OK);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM groups"), 1);
	digest_fill(d, 10);
	assert_int_equal(store_session_gate(f->st, d, &s, email, groups),
	                 ERR_NOT_FOUND);
}

/* ---- transactions ---- */

static void
test_store_transaction_commit(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t id;

	open_ok(f);
	assert_int_equal(store_begin(f->st), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "t@t", "$h", 1, &id), ERR_OK);
	/* Not visible to another connection before the commit. */
	assert_int_equal(raw_int(f, "SELECT count(*) FROM users"), 0);
	assert_int_equal(store_commit(f->st), ERR_OK);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM users"), 1);
	assert_int_equal(store_user_by_email(f->st, "t@t", &u), ERR_OK);
}

static void
test_store_transaction_rollback(void **state)
{
	struct fx *f = *state;
	unsigned char d[STORE_DIGEST_LEN];
	struct store_session s;
	struct store_user u;
	int64_t id, keep;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "k@k", "$h", 1, &keep),
	                 ERR_OK);
	digest_fill(d, 4);
	assert_int_equal(store_begin(f->st), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "t@t", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_user_by_email(f->st, "t@t", &u), ERR_OK);
	assert_int_equal(session_put(f->st, d, keep, 1), ERR_OK);
	assert_int_equal(store_user_set_hash(f->st, keep, "$changed"), ERR_OK);
	store_rollback(f->st);
	assert_int_equal(store_user_by_email(f->st, "t@t", &u), ERR_NOT_FOUND);
	assert_int_equal(store_session_find(f->st, d, &s), ERR_NOT_FOUND);
	assert_int_equal(store_user_by_id(f->st, keep, &u), ERR_OK);
	assert_string_equal(u.hash, "$h");
	/* Safe with no transaction open, and twice. */
	store_rollback(f->st);
	store_rollback(f->st);
	/* A new transaction works after a rollback. */
	assert_int_equal(store_begin(f->st), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "t@t", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_commit(f->st), ERR_OK);
	assert_int_equal(store_user_by_email(f->st, "t@t", &u), ERR_OK);
}

/* A failed statement inside a transaction does not end it: the caller
 * rolls back and nothing of it stays. */
static void
test_store_transaction_failed_statement(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t id;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "d@d", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_begin(f->st), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "n@n", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "D@D", "$h", 1, &id),
	                 ERR_EXISTS);
	store_rollback(f->st);
	assert_int_equal(store_user_by_email(f->st, "n@n", &u), ERR_NOT_FOUND);
	assert_int_equal(store_begin(f->st), ERR_OK);
	store_rollback(f->st);
	/* A commit after a failed statement commits nothing. */
	assert_int_equal(store_begin(f->st), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "n@n", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "D@D", "$h", 1, &id),
	                 ERR_EXISTS);
	if (pg_base != NULL) {
		assert_int_equal(store_commit(f->st), ERR_DB);
		assert_int_equal(store_user_by_email(f->st, "n@n", &u),
		                 ERR_NOT_FOUND);
	}
	store_rollback(f->st);
}

/* Data committed through one connection is seen by a second one. */
static void
test_store_two_connections(void **state)
{
	struct fx *f = *state;
	struct store *st2 = NULL;
	unsigned char d[STORE_DIGEST_LEN];
	struct store_session s;
	struct store_user u;
	int64_t id;

	open_ok(f);
	assert_int_equal(open_path(f->path, 1000, &st2), ERR_OK);
	digest_fill(d, 7);
	assert_int_equal(store_user_insert(f->st, "c@c", "$h", 1, &id), ERR_OK);
	assert_int_equal(session_put(f->st, d, id, 5), ERR_OK);
	assert_int_equal(store_user_by_email(st2, "C@C", &u), ERR_OK);
	assert_int_equal(u.id, id);
	assert_int_equal(store_session_find(st2, d, &s), ERR_OK);
	assert_int_equal(store_user_insert(st2, "c@C", "$h", 1, &id),
	                 ERR_EXISTS);
	store_close(st2);
}

/* ---- version 4: account self-service ---- */

/* Version 3's throttle tables, on top of v1_schema, with two sessions of
 * the old kind. */
static const char v3_more[] =
    "CREATE TABLE throttle_events (key TEXT NOT NULL, at INTEGER NOT NULL);"
    "CREATE INDEX throttle_events_key ON throttle_events (key, at);"
    "CREATE TABLE throttle_locks (key TEXT PRIMARY KEY,"
    " until INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO sessions VALUES (x'01', 1, 10, 20);"
    "INSERT INTO sessions VALUES (x'02', 1, 30, 40);"
    "PRAGMA user_version = 3;";

/* A PostgreSQL database of version 3, the first of that backend: its
 * migration as it shipped, an account and two sessions. */
static const char pg_v3[] =
    "CREATE TABLE authcgi_schema ("
    " version integer PRIMARY KEY,"
    " applied_at timestamptz NOT NULL DEFAULT now());"
    "CREATE TABLE users ("
    " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " email text COLLATE \"C\" NOT NULL,"
    " password_hash text NOT NULL,"
    " created_at bigint NOT NULL,"
    " last_login bigint);"
    "CREATE UNIQUE INDEX users_email_nocase ON users"
    " (translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',"
    " 'abcdefghijklmnopqrstuvwxyz'));"
    "CREATE TABLE sessions ("
    " token_hash bytea PRIMARY KEY,"
    " user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " created_at bigint NOT NULL,"
    " last_seen bigint NOT NULL);"
    "CREATE INDEX sessions_user ON sessions (user_id);"
    "CREATE TABLE reset_tokens ("
    " user_id bigint PRIMARY KEY REFERENCES users (id)"
    " ON DELETE CASCADE,"
    " token_hash bytea NOT NULL,"
    " expires_at bigint NOT NULL);"
    "CREATE TABLE throttle_events ("
    " key text COLLATE \"C\" NOT NULL,"
    " at bigint NOT NULL);"
    "CREATE INDEX throttle_events_key ON throttle_events (key, at);"
    "CREATE TABLE throttle_locks ("
    " key text COLLATE \"C\" PRIMARY KEY,"
    " until bigint NOT NULL);"
    "INSERT INTO authcgi_schema (version) VALUES (3);"
    "INSERT INTO users (email, password_hash, created_at, last_login)"
    " VALUES ('Old@User.org', '$2b$04$old', 111, 222);"
    "INSERT INTO sessions VALUES ('\\x01', 1, 10, 20);"
    "INSERT INTO sessions VALUES ('\\x02', 1, 30, 40);";

/* A version 3 database gains what versions 4 to 6 add: its accounts
 * neither disabled nor waiting for a link, its sessions a public id
 * each and not begun with a second factor, the new tables. */
static void
test_store_open_migrates_version_three(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	char id1[64], id2[64];
	int v = -1;

	if (pg_base == NULL) {
		assert_int_equal(raw_exec(f, v1_schema), 0);
		assert_int_equal(raw_exec(f, v3_more), 0);
	} else {
		assert_int_equal(raw_exec(f, pg_v3), 0);
	}
	open_ok(f);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(store_user_by_email(f->st, "old@user.org", &u),
	                 ERR_OK);
	assert_false(u.disabled);
	assert_false(u.unverified);
	raw_text(f,
	         pg_base == NULL
	             ? "SELECT public_id FROM sessions WHERE token_hash = x'01'"
	             : "SELECT public_id FROM sessions"
	               " WHERE token_hash = '\\x01'",
	         id1, sizeof(id1));
	raw_text(f,
	         pg_base == NULL
	             ? "SELECT public_id FROM sessions WHERE token_hash = x'02'"
	             : "SELECT public_id FROM sessions"
	               " WHERE token_hash = '\\x02'",
	         id2, sizeof(id2));
	assert_int_equal(strlen(id1), STORE_PUBLIC_ID_LEN);
	assert_int_equal(strspn(id1, "0123456789abcdef"), STORE_PUBLIC_ID_LEN);
	assert_string_not_equal(id1, id2);
	assert_int_equal(raw_tables(f, "'groups', 'email_links',"
	                               " 'known_clients', 'second_factors',"
	                               " 'recovery_codes', 'pending_logins'"),
	                 6);
	/* The old sessions did not begin with a second factor. */
	assert_int_equal(raw_int(f, "SELECT count(*) FROM sessions"
	                            " WHERE second_factor = 0"),
	                 2);
	assert_int_equal(store_user_set_disabled(f->st, u.id, true), ERR_OK);
	assert_int_equal(store_user_by_id(f->st, u.id, &u), ERR_OK);
	assert_true(u.disabled);
}

/* Sessions keep their client and user agent, are listed live-only and
 * newest first, and end by public id within their own account only. */
static void
test_store_session_list_and_public_id(void **state)
{
	struct fx *f = *state;
	unsigned char d[5][STORE_DIGEST_LEN];
	struct store_session_row rows[8];
	struct store_session s;
	char agent[STORE_AGENT_MAX + 2];
	int64_t a, b;
	size_t n = 99;
	int i;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &b), ERR_OK);
	for (i = 0; i < 5; i++)
		digest_fill(d[i], (unsigned char)(0x10 * (i + 1)));
	assert_int_equal(
	    store_session_insert(f->st, d[0], a, 100,
	                         "00000000000000000000000000000001",
	                         "192.0.2.1", "Agent/1", false),
	    ERR_OK);
	assert_int_equal(
	    store_session_insert(f->st, d[1], a, 200,
	                         "00000000000000000000000000000002", NULL, NULL,
	                         true),
	    ERR_OK);
	assert_int_equal(
	    store_session_insert(f->st, d[2], a, 50,
	                         "00000000000000000000000000000003", "x", "y",
	                         false),
	    ERR_OK);
	assert_int_equal(
	    store_session_insert(f->st, d[3], b, 300,
	                         "00000000000000000000000000000004",
	                         "192.0.2.4", "Agent/4", false),
	    ERR_OK);
	/* A public id is unique; sizes are bounded. */
	assert_int_equal(
	    store_session_insert(f->st, d[4], a, 1,
	                         "00000000000000000000000000000004", NULL, NULL,
	                         false),
	    ERR_EXISTS);
	assert_int_equal(
	    store_session_insert(f->st, d[4], a, 1, "short", NULL, NULL, false),
	    ERR_INVAL);
	memset(agent, 'u', sizeof(agent) - 1);
	agent[sizeof(agent) - 1] = '\0';
	assert_int_equal(
	    store_session_insert(f->st, d[4], a, 1,
	                         "00000000000000000000000000000005", NULL,
	                         agent, false),
	    ERR_INVAL);
	/* Touched, the first is the most recently seen. */
	assert_int_equal(store_session_touch(f->st, d[0], 250), ERR_OK);
	assert_int_equal(store_session_list(f->st, a, 60, 0, rows, 8, &n),
	                 ERR_OK);
	assert_int_equal(n, 2); /* the third was last seen at 50 */
	assert_string_equal(rows[0].public_id,
	                    "00000000000000000000000000000001");
	assert_int_equal(rows[0].created, 100);
	assert_int_equal(rows[0].last_seen, 250);
	assert_string_equal(rows[0].client, "192.0.2.1");
	assert_string_equal(rows[0].user_agent, "Agent/1");
	assert_memory_equal(rows[0].digest, d[0], STORE_DIGEST_LEN);
	assert_string_equal(rows[1].client, "");
	assert_string_equal(rows[1].user_agent, "");
	assert_int_equal(store_session_list(f->st, a, 0, 150, rows, 8, &n),
	                 ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_session_list(f->st, a, 0, 0, rows, 1, &n),
	                 ERR_OK);
	assert_int_equal(n, 1);
	/* Another account's id is not found, and ends nothing. */
	assert_int_equal(store_session_delete_public(
	                     f->st, a, "00000000000000000000000000000004"),
	                 ERR_NOT_FOUND);
	assert_int_equal(store_session_find(f->st, d[3], &s), ERR_OK);
	assert_int_equal(store_session_delete_public(
	                     f->st, a, "00000000000000000000000000000002"),
	                 ERR_OK);
	assert_int_equal(store_session_find(f->st, d[1], &s), ERR_NOT_FOUND);
	assert_int_equal(store_session_find(f->st, d[0], &s), ERR_OK);
	assert_false(s.second_factor);
	assert_int_equal(store_session_set_factor(f->st, d[0]), ERR_OK);
	assert_int_equal(store_session_find(f->st, d[0], &s), ERR_OK);
	assert_true(s.second_factor);
	/* All others of a end; a's kept one and b's stay. */
	assert_int_equal(store_session_delete_others(f->st, a, d[0]), ERR_OK);
	assert_int_equal(store_session_find(f->st, d[0], &s), ERR_OK);
	assert_int_equal(store_session_find(f->st, d[2], &s), ERR_NOT_FOUND);
	assert_int_equal(store_session_find(f->st, d[3], &s), ERR_OK);
}

/* An account's email, flags, one link and its remembered clients; the
 * account's deletion takes them all. */
static void
test_store_user_links_and_clients(void **state)
{
	struct fx *f = *state;
	unsigned char d1[STORE_DIGEST_LEN], d2[STORE_DIGEST_LEN];
	struct store_purged p;
	struct store_user u;
	struct store_link l;
	int64_t a, b, n = -1;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &b), ERR_OK);
	assert_int_equal(store_user_set_email(f->st, a, "B@b"), ERR_EXISTS);
	assert_int_equal(store_user_set_email(f->st, a, "new@a"), ERR_OK);
	assert_int_equal(store_user_set_disabled(f->st, a, true), ERR_OK);
	assert_int_equal(store_user_set_unverified(f->st, a, true), ERR_OK);
	assert_int_equal(store_user_by_id(f->st, a, &u), ERR_OK);
	assert_string_equal(u.email, "new@a");
	assert_true(u.disabled);
	assert_true(u.unverified);
	assert_int_equal(store_user_set_disabled(f->st, a, false), ERR_OK);
	assert_int_equal(store_user_by_email(f->st, "NEW@a", &u), ERR_OK);
	assert_false(u.disabled);

	digest_fill(d1, 1);
	digest_fill(d2, 2);
	assert_int_equal(store_link_get(f->st, a, &l), ERR_NOT_FOUND);
	assert_int_equal(store_link_put(f->st, a, d1, "x@x", 500), ERR_OK);
	assert_int_equal(store_link_find(f->st, d1, &l), ERR_OK);
	assert_int_equal(l.user_id, a);
	assert_int_equal(l.expires, 500);
	assert_string_equal(l.email, "x@x");
	/* A newer link replaces the older. */
	assert_int_equal(store_link_put(f->st, a, d2, "y@y", 600), ERR_OK);
	assert_int_equal(store_link_find(f->st, d1, &l), ERR_NOT_FOUND);
	assert_int_equal(store_link_get(f->st, a, &l), ERR_OK);
	assert_string_equal(l.email, "y@y");
	assert_memory_equal(l.digest, d2, STORE_DIGEST_LEN);
	assert_int_equal(store_link_put(f->st, b, d1, "z@z", 400), ERR_OK);

	assert_int_equal(store_client_seen(f->st, a, "k1", &n), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_client_put(f->st, a, "k1", 100), ERR_OK);
	assert_int_equal(store_client_put(f->st, a, "k2", 200), ERR_OK);
	assert_int_equal(store_client_put(f->st, a, "k1", 300), ERR_OK);
	assert_int_equal(store_client_put(f->st, b, "k1", 50), ERR_OK);
	assert_int_equal(store_client_seen(f->st, a, "k1", &n), ERR_OK);
	assert_int_equal(n, 300);
	assert_int_equal(store_client_count(f->st, a, 200, &n), ERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_client_count(f->st, a, 201, &n), ERR_OK);
	assert_int_equal(n, 1);

	/* Purge: b's link expired at 400, clients seen before 150. */
	assert_int_equal(store_purge(f->st, 450, 0, 0, 0, 150, &p), ERR_OK);
	assert_int_equal(p.links, 1);
	assert_int_equal(p.clients, 1);
	assert_int_equal(store_link_get(f->st, b, &l), ERR_NOT_FOUND);
	assert_int_equal(store_link_get(f->st, a, &l), ERR_OK);
	assert_int_equal(store_client_seen(f->st, b, "k1", &n), ERR_OK);
	assert_int_equal(n, 0);

	assert_int_equal(store_user_delete(f->st, a), ERR_OK);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM email_links"), 0);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM known_clients"), 0);
}

/* Clearing a key removes its lock and every event under it, and no
 * other key's. */
static void
test_store_lock_clear(void **state)
{
	struct fx *f = *state;
	int64_t n = -1;

	open_ok(f);
	assert_int_equal(store_throttle_add(f->st, "k", 100), ERR_OK);
	assert_int_equal(store_throttle_add(f->st, "k", 101), ERR_OK);
	assert_int_equal(store_throttle_add(f->st, "j", 100), ERR_OK);
	assert_int_equal(store_lock_put(f->st, "k", 900), ERR_OK);
	assert_int_equal(store_lock_put(f->st, "j", 900), ERR_OK);
	assert_int_equal(store_lock_clear(f->st, "k"), ERR_OK);
	assert_int_equal(store_lock_get(f->st, "k", &n), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_throttle_count(f->st, "k", 0, &n), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_lock_get(f->st, "j", &n), ERR_OK);
	assert_int_equal(n, 900);
	assert_int_equal(store_throttle_count(f->st, "j", 0, &n), ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_lock_clear(f->st, "none"), ERR_OK);
}

/* A second factor: set up (inactive, expiring), activated, its time
 * steps used once, its recovery codes spent once; pending log-ins; and
 * the account's deletion takes them all. */
static void
test_store_second_factor(void **state)
{
	struct fx *f = *state;
	unsigned char sealed[60], big[STORE_SEALED_MAX + 1];
	unsigned char d1[STORE_DIGEST_LEN], d2[STORE_DIGEST_LEN];
	unsigned char form[STORE_DIGEST_LEN];
	static const char *const codes[] = {"r1", "r2", "r3"};
	struct store_factor fa;
	struct store_pending pl;
	struct store_purged p;
	int64_t a, b, n = -1;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &b), ERR_OK);
	memset(sealed, 0xa5, sizeof(sealed));
	memset(big, 1, sizeof(big));
	assert_int_equal(store_factor_get(f->st, a, &fa), ERR_NOT_FOUND);
	assert_int_equal(store_factor_put(f->st, a, big, sizeof(big), 10),
	                 ERR_INVAL);
	/* Not active yet: no code is used. */
	assert_int_equal(
	    store_factor_put(f->st, a, sealed, sizeof(sealed), 1000), ERR_OK);
	assert_int_equal(store_factor_get(f->st, a, &fa), ERR_OK);
	assert_false(fa.active);
	assert_int_equal(fa.sealed_len, sizeof(sealed));
	assert_memory_equal(fa.sealed, sealed, sizeof(sealed));
	assert_int_equal(fa.expires, 1000);
	assert_int_equal(store_factor_use(f->st, a, 5), ERR_NOT_FOUND);
	assert_int_equal(store_factor_activate(f->st, a, 7), ERR_OK);
	assert_int_equal(store_factor_activate(f->st, a, 8), ERR_NOT_FOUND);
	assert_int_equal(store_factor_get(f->st, a, &fa), ERR_OK);
	assert_true(fa.active);
	assert_int_equal(fa.last_step, 7);
	assert_int_equal(fa.expires, 0);
	/* A step at or before the last one used is a replay. */
	assert_int_equal(store_factor_use(f->st, a, 7), ERR_NOT_FOUND);
	assert_int_equal(store_factor_use(f->st, a, 6), ERR_NOT_FOUND);
	assert_int_equal(store_factor_use(f->st, a, 8), ERR_OK);
	assert_int_equal(store_factor_use(f->st, a, 8), ERR_NOT_FOUND);
	assert_int_equal(store_factor_get(f->st, a, &fa), ERR_OK);
	assert_int_equal(fa.last_step, 8);
	assert_int_equal(store_factor_use(f->st, b, 9), ERR_NOT_FOUND);

	/* Recovery codes: replaced as a whole, each spent once. */
	assert_int_equal(store_recovery_set(f->st, a, codes, 3), ERR_OK);
	assert_int_equal(store_recovery_set(f->st, b, codes, 1), ERR_OK);
	assert_int_equal(store_recovery_count(f->st, a, &n), ERR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(store_recovery_use(f->st, a, "r2"), ERR_OK);
	assert_int_equal(store_recovery_use(f->st, a, "r2"), ERR_NOT_FOUND);
	assert_int_equal(store_recovery_use(f->st, a, "zz"), ERR_NOT_FOUND);
	assert_int_equal(store_recovery_count(f->st, a, &n), ERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_recovery_set(f->st, a, codes + 2, 1), ERR_OK);
	assert_int_equal(store_recovery_use(f->st, a, "r1"), ERR_NOT_FOUND);
	assert_int_equal(store_recovery_count(f->st, b, &n), ERR_OK);
	assert_int_equal(n, 1);

	/* Pending log-ins: found by digest, deleted once. */
	digest_fill(d1, 1);
	digest_fill(d2, 2);
	digest_fill(form, 9);
	assert_int_equal(store_pending_put(f->st, d1, a, form, 300), ERR_OK);
	assert_int_equal(store_pending_put(f->st, d2, b, form, 100), ERR_OK);
	assert_int_equal(store_pending_find(f->st, d1, &pl), ERR_OK);
	assert_int_equal(pl.user_id, a);
	assert_int_equal(pl.expires, 300);
	assert_memory_equal(pl.digest, d1, STORE_DIGEST_LEN);
	assert_memory_equal(pl.form, form, STORE_DIGEST_LEN);
	/* Purge at 200: b's pending log-in has expired. */
	assert_int_equal(store_purge(f->st, 200, 0, 0, 0, 0, &p), ERR_OK);
	assert_int_equal(p.pending, 1);
	assert_int_equal(store_pending_find(f->st, d2, &pl), ERR_NOT_FOUND);
	assert_int_equal(store_pending_delete(f->st, d1), ERR_OK);
	assert_int_equal(store_pending_delete(f->st, d1), ERR_NOT_FOUND);
	assert_int_equal(store_pending_put(f->st, d1, a, form, 300), ERR_OK);
	assert_int_equal(store_pending_put(f->st, d2, b, form, 300), ERR_OK);
	assert_int_equal(store_pending_delete_user(f->st, a), ERR_OK);
	assert_int_equal(store_pending_find(f->st, d1, &pl), ERR_NOT_FOUND);
	assert_int_equal(store_pending_find(f->st, d2, &pl), ERR_OK);
	assert_int_equal(store_pending_delete(f->st, d2), ERR_OK);

	/* An inactive factor is purged once expired; an active one never. */
	assert_int_equal(store_factor_put(f->st, b, sealed, 20, 400), ERR_OK);
	assert_int_equal(store_purge(f->st, 300, 0, 0, 0, 0, &p), ERR_OK);
	assert_int_equal(p.pending, 0);
	assert_int_equal(store_purge(f->st, 400, 0, 0, 0, 0, &p), ERR_OK);
	assert_int_equal(p.pending, 1);
	assert_int_equal(store_factor_get(f->st, b, &fa), ERR_NOT_FOUND);
	assert_int_equal(store_factor_get(f->st, a, &fa), ERR_OK);

	/* Turned off: the codes and pending log-ins go with it. */
	assert_int_equal(store_pending_put(f->st, d1, a, form, 900), ERR_OK);
	assert_int_equal(store_factor_delete(f->st, a), ERR_OK);
	assert_int_equal(store_factor_get(f->st, a, &fa), ERR_NOT_FOUND);
	assert_int_equal(store_recovery_count(f->st, a, &n), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_pending_find(f->st, d1, &pl), ERR_NOT_FOUND);
	assert_int_equal(store_recovery_count(f->st, b, &n), ERR_OK);
	assert_int_equal(n, 1);

	/* The account's deletion takes everything of it. */
	assert_int_equal(store_factor_put(f->st, b, sealed, 20, 900), ERR_OK);
	assert_int_equal(store_factor_activate(f->st, b, 1), ERR_OK);
	assert_int_equal(store_pending_put(f->st, d2, b, form, 900), ERR_OK);
	assert_int_equal(store_user_delete(f->st, b), ERR_OK);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM second_factors"), 0);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM recovery_codes"), 0);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM pending_logins"), 0);
}

/* Processes that race for the same code, recovery code, pending log-in
 * or activation: one of each wins, the others find nothing (and no
 * other error), outside transactions, on either backend. Each winner
 * records its win as an event under a key of its race. */
static int
child_factor_race(const struct fx *f)
{
	static const char *const keys[] = {"won:use", "won:recovery",
	                                   "won:pending", "won:activate"};
	unsigned char d[STORE_DIGEST_LEN];
	struct store *st = NULL;
	enum err e[4];
	int i, rc = 0;

	if (open_path(f->path, 10000, &st) != ERR_OK)
		return 2;
	digest_fill(d, 0x77);
	e[0] = store_factor_use(st, 1, 8);
	e[1] = store_recovery_use(st, 1, "r1");
	e[2] = store_pending_delete(st, d);
	e[3] = store_factor_activate(st, 2, 3);
	for (i = 0; i < 4; i++) {
		if (e[i] == ERR_OK &&
		    store_throttle_add(st, keys[i], getpid()) != ERR_OK)
			rc = 1;
		else if (e[i] != ERR_OK && e[i] != ERR_NOT_FOUND)
			rc = 1;
	}
	store_close(st);
	return rc;
}

static void
test_store_second_factor_races(void **state)
{
	struct fx *f = *state;
	static const char *const codes[] = {"r1", "r2"};
	unsigned char sealed[20], d[STORE_DIGEST_LEN];
	struct store_factor fa;
	int64_t a, b, n = -1;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &b), ERR_OK);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	memset(sealed, 0x42, sizeof(sealed));
	digest_fill(d, 0x77);
	assert_int_equal(store_factor_put(f->st, a, sealed, 20, 900), ERR_OK);
	assert_int_equal(store_factor_activate(f->st, a, 7), ERR_OK);
	assert_int_equal(store_factor_put(f->st, b, sealed, 20, 900), ERR_OK);
	assert_int_equal(store_recovery_set(f->st, a, codes, 2), ERR_OK);
	assert_int_equal(store_pending_put(f->st, d, a, d, 900), ERR_OK);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(in_processes(f, 6, child_factor_race), 6);
	open_ok(f);
	assert_int_equal(store_throttle_count(f->st, "won:use", 0, &n), ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_throttle_count(f->st, "won:recovery", 0, &n),
	                 ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_throttle_count(f->st, "won:pending", 0, &n),
	                 ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_throttle_count(f->st, "won:activate", 0, &n),
	                 ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_factor_get(f->st, a, &fa), ERR_OK);
	assert_int_equal(fa.last_step, 8);
	assert_int_equal(store_factor_get(f->st, b, &fa), ERR_OK);
	assert_true(fa.active);
	assert_int_equal(fa.last_step, 3);
	assert_int_equal(store_recovery_count(f->st, a, &n), ERR_OK);
	assert_int_equal(n, 1);
}

static void
test_store_close_null(void **state)
{
	(void)state;
	store_close(NULL);
}

/* ---- PostgreSQL: the connection, the server's faults ---- */

/* End this test's store connections from the server's side, as an
 * administrator (or a restart) would, and wait until they are gone. */
static void
terminate_store(const struct fx *f)
{
	char sql[256];
	int i;

	snprintf(sql, sizeof(sql),
	         "SELECT count(pg_terminate_backend(pid)) FROM"
	         " pg_stat_activity WHERE application_name = '%s'",
	         f->app);
	assert_true(raw_int(f, sql) >= 1);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM pg_stat_activity"
	         " WHERE application_name = '%s'",
	         f->app);
	for (i = 0; i < 100 && raw_int(f, sql) > 0; i++)
		usleep(20000);
	assert_int_equal(raw_int(f, sql), 0);
}

/* A connection the server ended is opened again by the next call, its
 * statements prepared again; within a transaction, the transaction is
 * lost (ERR_DB) and nothing of it stays. */
static void
test_store_pg_reconnects(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	int64_t id;
	int v = 0;

	SKIP_ON_SQLITE("a file has no connection to lose");
	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_user_by_email(f->st, "A@A", &u), ERR_OK);
	terminate_store(f);
	assert_int_equal(store_user_by_email(f->st, "a@a", &u), ERR_OK);
	assert_int_equal(u.id, id);
	terminate_store(f);
	assert_int_equal(store_ping(f->st), ERR_OK);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);

	assert_int_equal(store_begin(f->st), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &id), ERR_OK);
	terminate_store(f);
	assert_int_equal(store_user_insert(f->st, "c@c", "$h", 1, &id), ERR_DB);
	assert_int_equal(store_commit(f->st), ERR_DB);
	store_rollback(f->st);
	assert_int_equal(store_user_by_email(f->st, "b@b", &u), ERR_NOT_FOUND);
	assert_int_equal(store_begin(f->st), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_commit(f->st), ERR_OK);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM users"), 2);
}

/* A role that may read but not write: reads work, writes are ERR_DB and
 * change nothing. */
static void
test_store_pg_role_without_write_rights(void **state)
{
	struct fx *f = *state;
	struct store *ro = NULL;
	struct store_user u;
	char sql[512], uri[800];
	int64_t id;

	SKIP_ON_SQLITE("tests/robust/faults.sh makes a read-only file");
	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &id), ERR_OK);
	snprintf(sql, sizeof(sql),
	         "DROP ROLE IF EXISTS ro_%s; CREATE ROLE ro_%s LOGIN;"
	         " GRANT USAGE ON SCHEMA %s TO ro_%s;"
	         " GRANT SELECT ON ALL TABLES IN SCHEMA %s TO ro_%s",
	         f->schema, f->schema, f->schema, f->schema, f->schema,
	         f->schema);
	assert_int_equal(raw_exec(f, sql), 0);
	snprintf(uri, sizeof(uri), "%s&user=ro_%s", f->path, f->schema);
	assert_int_equal(open_path(uri, 1000, &ro), ERR_OK);
	assert_int_equal(store_user_by_email(ro, "A@a", &u), ERR_OK);
	assert_int_equal(store_user_insert(ro, "b@b", "$h", 1, &id), ERR_DB);
	assert_int_equal(store_user_set_hash(ro, u.id, "$x"), ERR_DB);
	assert_int_equal(store_begin(ro), ERR_OK);
	assert_int_equal(store_throttle_add(ro, "k", 1), ERR_DB);
	store_rollback(ro);
	store_close(ro);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM users"), 1);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM throttle_events"), 0);
	snprintf(sql, sizeof(sql),
	         "REVOKE ALL ON ALL TABLES IN SCHEMA %s FROM ro_%s;"
	         " REVOKE ALL ON SCHEMA %s FROM ro_%s; DROP ROLE ro_%s",
	         f->schema, f->schema, f->schema, f->schema, f->schema);
	assert_int_equal(raw_exec(f, sql), 0);
}

/* Waits that run out are ERR_BUSY: a deadlock the server breaks, and a
 * statement past the role's statement_timeout. Nothing is half done. */
static void
test_store_pg_deadlock_and_timeout_busy(void **state)
{
	struct fx *f = *state;
	struct store *slow = NULL;
	struct store_user u;
	char uri[800];
	int64_t a, b;
	PGconn *c;
	PGresult *r;

	SKIP_ON_SQLITE("one SQLite writer cannot deadlock another");
	/* A busy timeout longer than the server's deadlock_timeout (1 s),
	 * so that the deadlock is found before the wait runs out. */
	assert_int_equal(open_path(f->path, 10000, &f->st), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &b), ERR_OK);
	/* The store updates a, a raw connection b; then each waits for the
	 * other's row. The raw one waits longer before it looks for a
	 * deadlock, so that the store is the one told. */
	c = raw_connect(f);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	assert_int_equal(store_begin(f->st), ERR_OK);
	assert_int_equal(store_user_set_hash(f->st, a, "$store"), ERR_OK);
	r = PQexec(c, "BEGIN; SET LOCAL deadlock_timeout = '20s';"
	              " UPDATE users SET password_hash = '$raw'"
	              " WHERE email = 'b@b'");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	assert_int_equal(PQsendQuery(c, "UPDATE users SET password_hash ="
	                                " '$raw' WHERE email = 'a@a'"),
	                 1);
	usleep(200000);
	assert_int_equal(store_user_set_hash(f->st, b, "$store"), ERR_BUSY);
	store_rollback(f->st);
	while ((r = PQgetResult(c)) != NULL) {
		assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
		PQclear(r);
	}
	r = PQexec(c, "COMMIT");
	PQclear(r);
	assert_int_equal(store_user_by_id(f->st, a, &u), ERR_OK);
	assert_string_equal(u.hash, "$raw");

	/* A row held by the raw connection, and a store whose statements
	 * may take 100 ms. */
	r = PQexec(c, "BEGIN; UPDATE users SET password_hash = '$held'"
	              " WHERE email = 'a@a'");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	snprintf(uri, sizeof(uri),
	         "%s&options=-c%%20search_path%%3D%s%%20-c%%20statement_timeout"
	         "%%3D100&application_name=slow",
	         pg_base, f->schema);
	assert_int_equal(open_path(uri, 1000, &slow), ERR_OK);
	assert_int_equal(store_user_set_hash(slow, a, "$slow"), ERR_BUSY);
	assert_int_equal(store_user_by_id(slow, b, &u), ERR_OK);
	store_close(slow);
	PQclear(PQexec(c, "ROLLBACK"));
	PQfinish(c);
	assert_int_equal(store_user_by_id(f->st, a, &u), ERR_OK);
	assert_string_equal(u.hash, "$raw");
}

/* ---- copying between databases ---- */

/* The source: a@a (id 1), B@b (2, disabled), c@c (3, deleted), d@d (4,
 * unverified); a live session of a@a (begun with its second factor, its
 * client known) and an ended one, a live token of B@b and an expired one
 * of d@d; a@a's groups, remembered clients (one forgotten), active
 * second factor, recovery codes and a pending log-in; a live link of
 * B@b and an expired one of d@d, whose setting-up factor has expired;
 * failures under k1 in the window and under k2 before it; a lock of k1
 * running and one of k3 ended. */
static const char *const copy_codes[] = {"rc1", "rc2"};

static void
copy_source(struct store *st)
{
	unsigned char d[STORE_DIGEST_LEN], sealed[40];
	int64_t id;

	assert_int_equal(store_user_insert(st, "a@a", "$ha", 10, &id), ERR_OK);
	assert_int_equal(id, 1);
	assert_int_equal(store_user_set_login(st, 1, 20), ERR_OK);
	assert_int_equal(store_user_insert(st, "B@b", "$hb", 11, &id), ERR_OK);
	assert_int_equal(store_user_insert(st, "c@c", "$hc", 12, &id), ERR_OK);
	assert_int_equal(store_user_insert(st, "d@d", "$hd", 13, &id), ERR_OK);
	assert_int_equal(id, 4);
	assert_int_equal(store_user_delete(st, 3), ERR_OK);
	digest_fill(d, 0xa1);
	assert_int_equal(store_session_insert(
	                     st, d, 1, 900, "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
	                     "192.0.2.1", "Agent/1", true),
	                 ERR_OK);
	assert_int_equal(store_session_touch(st, d, 990), ERR_OK);
	assert_int_equal(store_user_set_disabled(st, 2, true), ERR_OK);
	assert_int_equal(store_user_set_unverified(st, 4, true), ERR_OK);
	assert_int_equal(store_group_add(st, 1, "g2"), ERR_OK);
	assert_int_equal(store_group_add(st, 1, "g1"), ERR_OK);
	assert_int_equal(store_client_put(st, 1, "ck1", 950), ERR_OK);
	assert_int_equal(store_client_put(st, 1, "ck0", 100), ERR_OK);
	memset(sealed, 0x5e, sizeof(sealed));
	assert_int_equal(store_factor_put(st, 1, sealed, sizeof(sealed), 950),
	                 ERR_OK);
	assert_int_equal(store_factor_activate(st, 1, 7), ERR_OK);
	assert_int_equal(store_factor_put(st, 4, sealed, 20, 10), ERR_OK);
	assert_int_equal(store_recovery_set(st, 1, copy_codes, 2), ERR_OK);
	digest_fill(d, 0xc1);
	assert_int_equal(store_link_put(st, 2, d, "new@b", 5000), ERR_OK);
	digest_fill(d, 0xc4);
	assert_int_equal(store_link_put(st, 4, d, "d@d", 10), ERR_OK);
	digest_fill(d, 0xe1);
	assert_int_equal(store_pending_put(st, d, 1, d, 5000), ERR_OK);
	digest_fill(d, 0xa2);
	assert_int_equal(session_put(st, d, 1, 10), ERR_OK);
	digest_fill(d, 0xb1);
	assert_int_equal(store_reset_put(st, 2, d, 5000), ERR_OK);
	digest_fill(d, 0xd1);
	assert_int_equal(store_reset_put(st, 4, d, 10), ERR_OK);
	assert_int_equal(store_throttle_add(st, "k1", 950), ERR_OK);
	assert_int_equal(store_throttle_add(st, "k1", 990), ERR_OK);
	assert_int_equal(store_throttle_add(st, "k2", 100), ERR_OK);
	assert_int_equal(store_lock_put(st, "k1", 3000), ERR_OK);
	assert_int_equal(store_lock_put(st, "k3", 10), ERR_OK);
}

/* The target: z@z (id 1), A@A (2, the same account as a@a), a failure
 * of k1 that the source's replace, a session of z@z, and a session, a
 * token, a group, a link, a factor and a pending log-in of A@A that the
 * source does not have (ended, spent, left). */
static void
copy_target(struct store *st)
{
	unsigned char d[STORE_DIGEST_LEN];
	int64_t id;
	static const char *const old[] = {"old"};

	assert_int_equal(store_user_insert(st, "z@z", "$hz", 1, &id), ERR_OK);
	assert_int_equal(store_user_insert(st, "A@A", "$old", 2, &id), ERR_OK);
	assert_int_equal(id, 2);
	assert_int_equal(store_throttle_add(st, "k1", 999), ERR_OK);
	digest_fill(d, 0xf1);
	assert_int_equal(session_put(st, d, 1, 950), ERR_OK);
	digest_fill(d, 0xf2);
	assert_int_equal(session_put(st, d, 2, 950), ERR_OK);
	assert_int_equal(store_reset_put(st, 2, d, 5000), ERR_OK);
	assert_int_equal(store_group_add(st, 2, "old"), ERR_OK);
	assert_int_equal(store_link_put(st, 2, d, "old@a", 5000), ERR_OK);
	assert_int_equal(store_factor_put(st, 2, d, 10, 5000), ERR_OK);
	assert_int_equal(store_recovery_set(st, 2, old, 1), ERR_OK);
	assert_int_equal(store_pending_put(st, d, 2, d, 5000), ERR_OK);
}

/* What the target holds after the copy, whatever its backend. */
static void
copy_check(struct store *st)
{
	unsigned char d[STORE_DIGEST_LEN], sealed[40];
	char groups[STORE_GROUPS_MAX + 1];
	struct store_session_row rows[4];
	struct store_pending pl;
	struct store_factor fa;
	struct store_session s;
	struct store_reset r;
	struct store_link l;
	struct store_user u;
	int64_t n = -1, id;
	size_t nrows = 0;

	/* a@a is A@A's account, now as the source has it. */
	assert_int_equal(store_user_by_email(st, "A@a", &u), ERR_OK);
	assert_int_equal(u.id, 2);
	assert_string_equal(u.email, "a@a");
	assert_string_equal(u.hash, "$ha");
	assert_int_equal(u.created, 10);
	assert_int_equal(u.last_login, 20);
	assert_false(u.disabled);
	/* Its groups, clients, factor and codes are the source's; its
	 * link and pending log-in in the target are gone. */
	assert_int_equal(store_groups_of(st, 2, groups, &n), ERR_OK);
	assert_string_equal(groups, "g1,g2");
	assert_int_equal(store_client_seen(st, 2, "ck1", &n), ERR_OK);
	assert_int_equal(n, 950);
	assert_int_equal(store_client_seen(st, 2, "ck0", &n), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_factor_get(st, 2, &fa), ERR_OK);
	memset(sealed, 0x5e, sizeof(sealed));
	assert_true(fa.active);
	assert_int_equal(fa.last_step, 7);
	assert_int_equal(fa.sealed_len, sizeof(sealed));
	assert_memory_equal(fa.sealed, sealed, sizeof(sealed));
	assert_int_equal(store_factor_use(st, 2, 7), ERR_NOT_FOUND);
	assert_int_equal(store_recovery_count(st, 2, &n), ERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_link_get(st, 2, &l), ERR_NOT_FOUND);
	digest_fill(d, 0xf2);
	assert_int_equal(store_pending_find(st, d, &pl), ERR_NOT_FOUND);
	digest_fill(d, 0xe1);
	assert_int_equal(store_pending_find(st, d, &pl), ERR_NOT_FOUND);
	/* B@b's id is taken: a new one; d@d keeps its own. */
	assert_int_equal(store_user_by_email(st, "b@b", &u), ERR_OK);
	assert_true(u.id != 2 && u.id != 1 && u.id != 4);
	assert_string_equal(u.email, "B@b");
	assert_string_equal(u.hash, "$hb");
	assert_int_equal(u.last_login, 0);
	assert_true(u.disabled);
	assert_false(u.unverified);
	digest_fill(d, 0xc1);
	assert_int_equal(store_link_find(st, d, &l), ERR_OK);
	assert_int_equal(l.user_id, u.id);
	assert_string_equal(l.email, "new@b");
	assert_int_equal(l.expires, 5000);
	assert_int_equal(store_reset_get(st, u.id, &r), ERR_OK);
	digest_fill(d, 0xb1);
	assert_memory_equal(r.digest, d, STORE_DIGEST_LEN);
	assert_int_equal(r.expires, 5000);
	assert_int_equal(store_user_by_id(st, 4, &u), ERR_OK);
	assert_string_equal(u.email, "d@d");
	assert_true(u.unverified);
	assert_int_equal(store_reset_get(st, 4, &r), ERR_NOT_FOUND);
	assert_int_equal(store_link_get(st, 4, &l), ERR_NOT_FOUND);
	assert_int_equal(store_factor_get(st, 4, &fa), ERR_NOT_FOUND);
	assert_int_equal(store_user_by_email(st, "c@c", &u), ERR_NOT_FOUND);
	assert_int_equal(store_user_by_email(st, "z@z", &u), ERR_OK);
	/* The live session follows its account; the ended one stays. */
	digest_fill(d, 0xa1);
	assert_int_equal(store_session_find(st, d, &s), ERR_OK);
	assert_int_equal(s.user_id, 2);
	assert_int_equal(s.created, 900);
	assert_int_equal(s.last_seen, 990);
	assert_true(s.second_factor);
	assert_int_equal(store_session_list(st, 2, 0, 0, rows, 4, &nrows),
	                 ERR_OK);
	assert_int_equal(nrows, 1);
	assert_string_equal(rows[0].public_id,
	                    "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1");
	assert_string_equal(rows[0].client, "192.0.2.1");
	assert_string_equal(rows[0].user_agent, "Agent/1");
	digest_fill(d, 0xa2);
	assert_int_equal(store_session_find(st, d, &s), ERR_NOT_FOUND);
	/* a@a's own session and token in the target were not the source's. */
	digest_fill(d, 0xf2);
	assert_int_equal(store_session_find(st, d, &s), ERR_NOT_FOUND);
	assert_int_equal(store_reset_get(st, 2, &r), ERR_NOT_FOUND);
	/* z@z is the target's alone: untouched. */
	digest_fill(d, 0xf1);
	assert_int_equal(store_session_find(st, d, &s), ERR_OK);
	/* k1's failures are the source's; k2's are out of the window. */
	assert_int_equal(store_throttle_count(st, "k1", 0, &n), ERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_throttle_count(st, "k1", 991, &n), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_throttle_count(st, "k2", 0, &n), ERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_lock_get(st, "k1", &n), ERR_OK);
	assert_int_equal(n, 3000);
	assert_int_equal(store_lock_get(st, "k3", &n), ERR_OK);
	assert_int_equal(n, 0);
	/* New accounts take ids past every copied one. */
	assert_int_equal(store_user_insert(st, "new@n", "$h", 1, &id), ERR_OK);
	assert_true(id > 4);
}

/* From the backend under test to a SQLite file and back into a fresh
 * database of the backend under test: both directions when that is
 * PostgreSQL. Copying again changes nothing. */
static void
test_store_copy_both_ways(void **state)
{
	static const struct store_live live = {1000, 500, 0, 900, 900};
	struct fx *f = *state;
	struct store *sq = NULL, *back = NULL;
	struct store_copied n, n2;
	struct fx f2;
	char sql[128];

	open_ok(f);
	copy_source(f->st);
	assert_int_equal(open_path(f->copy, 1000, &sq), ERR_OK);
	copy_target(sq);
	assert_int_equal(store_copy(f->st, sq, &live, &n), ERR_OK);
	assert_int_equal(n.users, 3);
	assert_int_equal(n.users_new, 2);
	assert_int_equal(n.sessions, 1);
	assert_int_equal(n.reset_tokens, 1);
	assert_int_equal(n.throttle_events, 2);
	assert_int_equal(n.throttle_locks, 1);
	assert_int_equal(n.groups, 2);
	assert_int_equal(n.links, 1);
	assert_int_equal(n.clients, 1);
	assert_int_equal(n.factors, 1);
	assert_int_equal(n.recovery_codes, 2);
	/* Again: the same counts, nothing new. */
	assert_int_equal(store_copy(f->st, sq, &live, &n2), ERR_OK);
	assert_int_equal(n2.users, 3);
	assert_int_equal(n2.users_new, 0);
	assert_int_equal(n2.sessions, 1);
	assert_int_equal(n2.throttle_events, 2);
	copy_check(sq);

	/* And back, into a new database of the backend under test that
	 * looks like the target did. */
	memset(&f2, 0, sizeof(f2));
	if (pg_base == NULL) {
		snprintf(f2.path, sizeof(f2.path), "%s/back.db", f->db.dir);
	} else {
		snprintf(f2.schema, sizeof(f2.schema), "%.40s_b", f->schema);
		snprintf(f2.raw, sizeof(f2.raw),
		         "%s&options=-c%%20search_path%%3D%s", pg_base,
		         f2.schema);
		snprintf(f2.path, sizeof(f2.path), "%s", f2.raw);
		snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", f2.schema);
		assert_int_equal(raw_exec(&f2, sql), 0);
	}
	assert_int_equal(open_path(f2.path, 1000, &back), ERR_OK);
	copy_target(back);
	assert_int_equal(store_copy(f->st, back, &live, &n), ERR_OK);
	assert_int_equal(n.users, 3);
	store_close(sq);
	sq = NULL;
	copy_check(back);
	/* The SQLite copy, copied back, changes nothing more. */
	assert_int_equal(open_path(f->copy, 1000, &sq), ERR_OK);
	assert_int_equal(store_copy(sq, back, &live, &n), ERR_OK);
	assert_int_equal(n.users, 5); /* z@z and new@n too */
	assert_int_equal(n.sessions, 2);
	store_close(back);
	store_close(sq);
	if (pg_base == NULL) {
		remove_sqlite(f2.path);
	} else {
		snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", f2.schema);
		raw_exec(&f2, sql);
	}
}

/* A copy that fails half way (the target full, here) leaves the target
 * as it was. */
static void
test_store_copy_all_or_nothing(void **state)
{
	static const struct store_live live = {1000, 500, 0, 900, 900};
	struct fx *f = *state;
	struct store_config cfg = {f->copy, 1000, 24, false, false};
	char email[32], hash[STORE_HASH_MAX + 1];
	struct store *sq = NULL;
	struct store_copied n;
	struct store_user u;
	int64_t id;
	int i;

	open_ok(f);
	memset(hash, 'h', STORE_HASH_MAX);
	hash[STORE_HASH_MAX] = '\0';
	assert_int_equal(store_begin(f->st), ERR_OK);
	for (i = 0; i < 300; i++) {
		snprintf(email, sizeof(email), "u%d@x", i);
		assert_int_equal(store_user_insert(f->st, email, hash, 1, &id),
		                 ERR_OK);
	}
	assert_int_equal(store_commit(f->st), ERR_OK);
	assert_int_equal(store_open(&sq, &cfg), ERR_OK);
	copy_target(sq);
	assert_int_equal(store_copy(f->st, sq, &live, &n), ERR_FULL);
	assert_int_equal(store_user_by_email(sq, "u0@x", &u), ERR_NOT_FOUND);
	assert_int_equal(store_user_by_email(sq, "a@a", &u), ERR_OK);
	assert_string_equal(u.hash, "$old");
	store_close(sq);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_store_open_creates_schema),
	    T(test_store_open_memory),
	    T(test_store_reopen_current_no_migration),
	    T(test_store_open_newer_version_refused),
	    T(test_store_open_migrates_version_zero),
	    T(test_store_open_migrates_version_one),
	    T(test_store_open_failed_migration_rolls_back),
	    T(test_store_open_racing_migrations),
	    T(test_store_open_unreachable),
	    T(test_store_open_corrupt_file),
	    T(test_store_open_directory_as_file),
	    T(test_store_open_existing),
	    T(test_store_begin_busy),
	    T(test_store_writers_one_at_a_time),
	    T(test_store_user_insert_find),
	    T(test_store_user_duplicate_other_case),
	    T(test_store_user_case_rule_ascii_only),
	    T(test_store_user_not_found),
	    T(test_store_user_too_long),
	    T(test_store_user_set_hash_and_login),
	    T(test_store_sql_metacharacters_are_data),
	    T(test_store_session_lifecycle),
	    T(test_store_session_missing_is_not_error),
	    T(test_store_session_digest_is_exact),
	    T(test_store_reset_put_get_delete),
	    T(test_store_throttle_events),
	    T(test_store_throttle_locks),
	    T(test_store_purge_throttle),
	    T(test_store_purge_sessions_and_tokens),
	    T(test_store_user_list_nested_reads),
	    T(test_store_user_delete),
	    T(test_store_open_migrates_version_two),
	    T(test_store_groups),
	    T(test_store_transaction_commit),
	    T(test_store_transaction_rollback),
	    T(test_store_transaction_failed_statement),
	    T(test_store_two_connections),
	    T(test_store_open_migrates_version_three),
	    T(test_store_session_list_and_public_id),
	    T(test_store_user_links_and_clients),
	    T(test_store_lock_clear),
	    T(test_store_second_factor),
	    T(test_store_second_factor_races),
	    T(test_store_close_null),
	    T(test_store_pg_reconnects),
	    T(test_store_pg_role_without_write_rights),
	    T(test_store_pg_deadlock_and_timeout_busy),
	    T(test_store_copy_both_ways),
	    T(test_store_copy_all_or_nothing),
	};

	pg_base = getenv("STORE_TEST_PG");
	if (pg_base != NULL && *pg_base == '\0')
		pg_base = NULL;
	print_message("store backend under test: %s\n",
	              pg_base != NULL ? "PostgreSQL" : "SQLite");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
