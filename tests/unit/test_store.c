/* test_store.c: the store contract (store.h) against real SQLite
 * databases, in temporary files and in memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tmpdb.h"
#include "store/store.h"

/* One temporary directory per test, holding the database file. */
struct fx {
	struct tmpdb db; /* its dir and path */
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (tmpdb_make(&f->db, "test_store") != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* Remove every file SQLite may have left next to the database. */
static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	tmpdb_remove(&f->db);
	free(f);
	return 0;
}

/* Open f->db.path into f->st, which must succeed. */
static void
open_ok(struct fx *f)
{
	struct store_config cfg = {f->db.path, 1000, 0, false};

	assert_int_equal(store_open(&f->st, &cfg), ERR_OK);
	assert_non_null(f->st);
}

static enum err
open_path(const char *path, int busy_ms, struct store **out)
{
	struct store_config cfg = {path, busy_ms, 0, false};

	return store_open(out, &cfg);
}

/* Run sql on a raw connection to path; returns SQLite's result. */
static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

/* The first column of the first row of sql on a raw connection, as
 * text into out; "" when there is no row. */
static void
raw_text(const char *path, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *q = NULL;
	sqlite3 *db = NULL;
	const unsigned char *t;

	out[0] = '\0';
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW &&
	    (t = sqlite3_column_text(q, 0)) != NULL)
		snprintf(out, size, "%s", (const char *)t);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static long long
raw_int(const char *path, const char *sql)
{
	char buf[64];

	raw_text(path, sql, buf, sizeof(buf));
	return strtoll(buf, NULL, 10);
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
	assert_int_equal(raw_int(f->db.path, "PRAGMA user_version"),
	                 STORE_SCHEMA_VERSION);
	raw_text(f->db.path, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
	assert_int_equal(
	    raw_int(f->db.path,
	            "SELECT count(*) FROM sqlite_master WHERE type ="
	            " 'table' AND name IN ('users', 'sessions',"
	            " 'reset_tokens')"),
	    3);
}

static void
test_store_open_memory(void **state)
{
	struct store *st = NULL;
	struct store_user u;
	int64_t id = 0;
	int v = -1;

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
	struct store *st2 = NULL;
	sqlite3 *db = NULL;
	int64_t id;
	int v = -1;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "keep@me", "$h", 1, &id),
	                 ERR_OK);
	store_close(f->st);
	f->st = NULL;

	assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(open_path(f->db.path, 50, &st2), ERR_OK);
	assert_int_equal(store_version(st2, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	store_close(st2);

	/* And the data is still there. */
	open_ok(f);
	{
		struct store_user u;

		assert_int_equal(store_user_by_email(f->st, "keep@me", &u),
		                 ERR_OK);
		assert_int_equal(u.id, id);
	}
}

static void
test_store_open_newer_version_refused(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	         STORE_SCHEMA_VERSION + 1);
	assert_int_equal(raw_exec(f->db.path, sql), SQLITE_OK);
	assert_int_equal(open_path(f->db.path, 100, &st), ERR_DB);
	assert_null(st);
	/* Left as it was: not reset, not downgraded. */
	assert_int_equal(raw_int(f->db.path, "PRAGMA user_version"),
	                 STORE_SCHEMA_VERSION + 1);
}

static void
test_store_open_migrates_version_zero(void **state)
{
	struct fx *f = *state;
	char mode[32];
	int v = -1;

	/* An existing, empty database file at version 0. */
	assert_int_equal(raw_exec(f->db.path, "PRAGMA user_version = 0;"
	                                      " VACUUM;"),
	                 SQLITE_OK);
	assert_true(access(f->db.path, F_OK) == 0);
	assert_int_equal(
	    raw_int(f->db.path, "SELECT count(*) FROM sqlite_master"), 0);
	open_ok(f);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	raw_text(f->db.path, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
	assert_int_equal(
	    raw_int(f->db.path,
	            "SELECT count(*) FROM sqlite_master WHERE type ="
	            " 'table' AND name IN ('users', 'sessions',"
	            " 'reset_tokens')"),
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

	assert_int_equal(raw_exec(f->db.path, v1_schema), SQLITE_OK);
	assert_int_equal(raw_int(f->db.path, "PRAGMA user_version"), 1);
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
	store_close(f->st);
	f->st = NULL;
	/* And a second open finds it current. */
	open_ok(f);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->db.path, "SELECT count(*) FROM users"), 1);
}

/* A migration that cannot run (here: version 0 with a table of the
 * same name in the way) is ERR_DB and leaves the file as it was. */
static void
test_store_open_failed_migration_rolls_back(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;

	assert_int_equal(raw_exec(f->db.path,
	                          "CREATE TABLE users (x);"
	                          " INSERT INTO users VALUES (42);"),
	                 SQLITE_OK);
	assert_int_equal(open_path(f->db.path, 100, &st), ERR_DB);
	assert_null(st);
	assert_int_equal(raw_int(f->db.path, "PRAGMA user_version"), 0);
	assert_int_equal(raw_int(f->db.path, "SELECT x FROM users"), 42);
	assert_int_equal(raw_int(f->db.path,
	                         "SELECT count(*) FROM sqlite_master"
	                         " WHERE name = 'sessions'"),
	                 0);
}

/* ---- faults ---- */

static void
test_store_open_missing_directory(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char p[192];

	snprintf(p, sizeof(p), "%s/no/such/dir/auth.db", f->db.dir);
	assert_int_equal(open_path(p, 100, &st), ERR_DB);
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

	assert_int_equal(open_path(f->db.dir, 100, &st), ERR_DB);
	assert_null(st);
}

static void
test_store_begin_busy(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	sqlite3 *db = NULL;
	int64_t id;

	open_ok(f);
	assert_int_equal(open_path(f->db.path, 50, &st), ERR_OK);
	assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(store_begin(st), ERR_BUSY);
	/* A write outside a transaction waits and fails the same way. */
	assert_int_equal(store_user_insert(st, "w@w", "$h", 1, &id), ERR_BUSY);
	store_rollback(st);
	/* Reads go on under WAL. */
	{
		struct store_user u;

		assert_int_equal(store_user_by_email(st, "w@w", &u),
		                 ERR_NOT_FOUND);
	}
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	/* Once the lock is gone, the same connection writes again. */
	assert_int_equal(store_begin(st), ERR_OK);
	assert_int_equal(store_user_insert(st, "w@w", "$h", 1, &id), ERR_OK);
	assert_int_equal(store_commit(st), ERR_OK);
	store_close(st);
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
	assert_int_equal(raw_int(f->db.path, "SELECT count(*) FROM users"), 1);
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
	{
		struct store_user u;

		assert_int_equal(store_user_by_id(f->st, id, &u), ERR_OK);
		assert_int_equal(strlen(u.email), STORE_EMAIL_MAX);
		assert_int_equal(strlen(u.hash), STORE_HASH_MAX);
	}
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
	    "'; DROP TABLE users; --", "a'b@c", "\"x\"@y",
	    "x@y' OR '1'='1",          "%@_",   "robert');--@x",
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
	assert_int_equal(raw_int(f->db.path, "SELECT count(*) FROM users"),
	                 (long long)(sizeof(emails) / sizeof(emails[0])));
}

/* ---- sessions ---- */

static void
test_store_session_lifecycle(void **state)
{
	struct fx *f = *state;
	unsigned char d1[STORE_DIGEST_LEN], d2[STORE_DIGEST_LEN],
	    d3[STORE_DIGEST_LEN];
	struct store_session s;
	int64_t a, b;

	open_ok(f);
	assert_int_equal(store_user_insert(f->st, "a@a", "$h", 1, &a), ERR_OK);
	assert_int_equal(store_user_insert(f->st, "b@b", "$h", 1, &b), ERR_OK);
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
	assert_int_equal(store_session_find(f->st, d3, &s), ERR_OK);
	assert_int_equal(s.user_id, b);
	assert_memory_equal(s.digest, d3, STORE_DIGEST_LEN);

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
	assert_int_equal(
	    raw_int(f->db.path, "SELECT count(*) FROM reset_tokens"), 2);

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
	assert_int_equal(
	    raw_int(f->db.path, "SELECT count(*) FROM throttle_events"), 3);
	assert_int_equal(raw_int(f->db.path, "SELECT count(*) FROM users"), 0);
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
	assert_int_equal(
	    raw_int(f->db.path, "SELECT count(*) FROM throttle_locks"), 1);
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

/* The listing's callback may read with the same connection. */
static int
list_reads(void *arg, const struct store_user_row *row)
{
	struct fx *f = arg;
	int64_t until = -1;

	assert_int_equal(store_lock_get(f->st, row->email, &until), ERR_OK);
	assert_int_equal(until, row->id == 1 ? 500 : 0);
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

	assert_int_equal(raw_exec(f->db.path, v1_schema), SQLITE_OK);
	assert_int_equal(raw_exec(f->db.path, v2_throttle), SQLITE_OK);
	open_ok(f);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->db.path,
	                         "SELECT count(*) FROM sqlite_master"
	                         " WHERE name = 'throttle'"),
	                 0);
	assert_int_equal(raw_int(f->db.path, "SELECT count(*) FROM users"), 1);
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
	assert_int_equal(raw_int(f->db.path, "SELECT count(*) FROM groups"), 1);
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
	assert_int_equal(raw_int(f->db.path, "SELECT count(*) FROM users"), 0);
	assert_int_equal(store_commit(f->st), ERR_OK);
	assert_int_equal(raw_int(f->db.path, "SELECT count(*) FROM users"), 1);
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
	assert_int_equal(open_path(f->db.path, 1000, &st2), ERR_OK);
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

/* A version 3 database gains what version 4 adds: its accounts neither
 * disabled nor waiting for a link, its sessions a public id each. */
static void
test_store_open_migrates_version_three(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	char id1[64], id2[64];
	int v = -1;

	assert_int_equal(raw_exec(f->db.path, v1_schema), SQLITE_OK);
	assert_int_equal(raw_exec(f->db.path, v3_more), SQLITE_OK);
	open_ok(f);
	assert_int_equal(store_version(f->st, &v), ERR_OK);
	assert_int_equal(v, STORE_SCHEMA_VERSION);
	assert_int_equal(store_user_by_email(f->st, "old@user.org", &u),
	                 ERR_OK);
	assert_false(u.disabled);
	assert_false(u.unverified);
	raw_text(f->db.path,
	         "SELECT public_id FROM sessions WHERE token_hash = x'01'", id1,
	         sizeof(id1));
	raw_text(f->db.path,
	         "SELECT public_id FROM sessions WHERE token_hash = x'02'", id2,
	         sizeof(id2));
	assert_int_equal(strlen(id1), STORE_PUBLIC_ID_LEN);
	assert_int_equal(strspn(id1, "0123456789abcdef"), STORE_PUBLIC_ID_LEN);
	assert_string_not_equal(id1, id2);
	assert_int_equal(raw_int(f->db.path,
	                         "SELECT count(*) FROM sqlite_master WHERE name"
	                         " IN ('email_links', 'known_clients')"),
	                 2);
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
	assert_int_equal(
	    raw_int(f->db.path, "SELECT count(*) FROM email_links"), 0);
	assert_int_equal(
	    raw_int(f->db.path, "SELECT count(*) FROM known_clients"), 0);
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
	assert_int_equal(
	    raw_int(f->db.path, "SELECT count(*) FROM second_factors"), 0);
	assert_int_equal(
	    raw_int(f->db.path, "SELECT count(*) FROM recovery_codes"), 0);
	assert_int_equal(
	    raw_int(f->db.path, "SELECT count(*) FROM pending_logins"), 0);
}

static void
test_store_close_null(void **state)
{
	(void)state;
	store_close(NULL);
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
	    T(test_store_open_missing_directory),
	    T(test_store_open_corrupt_file),
	    T(test_store_open_directory_as_file),
	    T(test_store_begin_busy),
	    T(test_store_user_insert_find),
	    T(test_store_user_duplicate_other_case),
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
	    T(test_store_user_list_nested_reads),
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
	    T(test_store_close_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
