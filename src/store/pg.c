/* pg.c: the PostgreSQL backend of the store: one database that several
 * web hosts share, through libpq. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "backend.h"

/* libpq is found through pkg-config; a build without it (the static
 * executable) has a backend that says so. */
#if defined(__has_include)
#if __has_include(<libpq-fe.h>)
#define STORE_PG 1
#endif
#endif

#ifdef STORE_PG

#include <dlfcn.h>

#include <libpq-fe.h>

/*
 * libpq is loaded when a PostgreSQL database is first opened, not linked:
 * it brings some twenty more shared libraries (OpenSSL, GnuTLS, Kerberos,
 * LDAP, ...), whose loading and start-up cost every CGI process, SQLite's
 * too, 6.5 times the instructions of a profile request (callgrind: 15.1
 * million against 2.3). The functions below are called through pointers
 * under their own names.
 */
#define LIBPQ "libpq.so.5"
#define PQ_FUNCS(X)                                                            \
	X(PQclear)                                                             \
	X(PQcmdStatus)                                                         \
	X(PQcmdTuples)                                                         \
	X(PQconnectdbParams)                                                   \
	X(PQconninfoFree)                                                      \
	X(PQconninfoParse)                                                     \
	X(PQconsumeInput)                                                      \
	X(PQerrorMessage)                                                      \
	X(PQexec)                                                              \
	X(PQexecParams)                                                        \
	X(PQexecPrepared)                                                      \
	X(PQfinish)                                                            \
	X(PQfreemem)                                                           \
	X(PQftype)                                                             \
	X(PQgetisnull)                                                         \
	X(PQgetlength)                                                         \
	X(PQgetvalue)                                                          \
	X(PQnfields)                                                           \
	X(PQntuples)                                                           \
	X(PQprepare)                                                           \
	X(PQresultErrorField)                                                  \
	X(PQresultStatus)                                                      \
	X(PQsetNoticeReceiver)                                                 \
	X(PQstatus)                                                            \
	X(PQtransactionStatus)

#define PQ_POINTER(name) __typeof__(name) *fn_##name;
static struct {
	PQ_FUNCS(PQ_POINTER)
} pq;

/* Load libpq and find its functions, once per process; ERR_DB, logged,
 * when it cannot be. */
static enum err
libpq_load(void)
{
	static int state; /* 0 not tried, 1 loaded, -1 failed */
	void *h;

	if (state != 0)
		return state > 0 ? ERR_OK : ERR_DB;
	state = -1;
	if ((h = dlopen(LIBPQ, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_error("database: cannot load the PostgreSQL client " LIBPQ
		          " (Debian's libpq5): %s",
		          dlerror());
		return ERR_DB;
	}
#define PQ_RESOLVE(name)                                                       \
	if ((*(void **)&pq.fn_##name = dlsym(h, #name)) == NULL) {             \
		log_error("database: " LIBPQ " has no " #name);                \
		return ERR_DB;                                                 \
	}
	PQ_FUNCS(PQ_RESOLVE)
#undef PQ_RESOLVE
	state = 1;
	return ERR_OK;
}

/* From here on, libpq's functions by their names are the pointers. */
#define PQclear             (pq.fn_PQclear)
#define PQcmdStatus         (pq.fn_PQcmdStatus)
#define PQcmdTuples         (pq.fn_PQcmdTuples)
#define PQconnectdbParams   (pq.fn_PQconnectdbParams)
#define PQconninfoFree      (pq.fn_PQconninfoFree)
#define PQconninfoParse     (pq.fn_PQconninfoParse)
#define PQconsumeInput      (pq.fn_PQconsumeInput)
#define PQerrorMessage      (pq.fn_PQerrorMessage)
#define PQexec              (pq.fn_PQexec)
#define PQexecParams        (pq.fn_PQexecParams)
#define PQexecPrepared      (pq.fn_PQexecPrepared)
#define PQfinish            (pq.fn_PQfinish)
#define PQfreemem           (pq.fn_PQfreemem)
#define PQftype             (pq.fn_PQftype)
#define PQgetisnull         (pq.fn_PQgetisnull)
#define PQgetlength         (pq.fn_PQgetlength)
#define PQgetvalue          (pq.fn_PQgetvalue)
#define PQnfields           (pq.fn_PQnfields)
#define PQntuples           (pq.fn_PQntuples)
#define PQprepare           (pq.fn_PQprepare)
#define PQresultErrorField  (pq.fn_PQresultErrorField)
#define PQresultStatus      (pq.fn_PQresultStatus)
#define PQsetNoticeReceiver (pq.fn_PQsetNoticeReceiver)
#define PQstatus            (pq.fn_PQstatus)
#define PQtransactionStatus (pq.fn_PQtransactionStatus)

/* The key of the transaction-level advisory lock that every write
 * transaction and every migration takes: "authcgi" in ASCII. */
#define WRITE_LOCK "27432215568934761"

/* Type OIDs, fixed in PostgreSQL's catalog. */
#define OID_BYTEA 17
#define OID_INT8  20
#define OID_INT2  21
#define OID_INT4  23
#define OID_TEXT  25

struct pg {
	struct store base;
	PGconn *conn;              /* NULL until connected, or once lost */
	PQconninfoOption *opts;    /* the URI, parsed; owns the strings */
	const char **keys, **vals; /* the parameters libpq connects with */
	char timeout[16];          /* connect_timeout, unless the URI has
	                              one */
	bool prepared[S__MAX];     /* on this connection */
	bool ended;                /* the server said it ends it */
	bool in_tx;
	bool one_request; /* statements sent with their parameters, never
	                     prepared: the connection ends with the request */
	int busy_ms;
	int64_t changes;
};

/* A statement's parameters as libpq takes them: integers and digests in
 * binary, text as text. */
struct params {
	int n;
	Oid types[STORE_VAL_MAX];
	const char *values[STORE_VAL_MAX];
	int lengths[STORE_VAL_MAX];
	int formats[STORE_VAL_MAX];
	char ints[STORE_VAL_MAX][8];
};

static void
params_set(struct params *pa, const struct store_val *args, int nargs)
{
	int i, b;

	pa->n = nargs < STORE_VAL_MAX ? nargs : STORE_VAL_MAX;
	for (i = 0; i < pa->n; i++) {
		const struct store_val *v = &args[i];

		pa->lengths[i] = 0;
		pa->formats[i] = 1;
		switch (v->kind) {
		case STORE_INT:
			for (b = 0; b < 8; b++)
				pa->ints[i][b] =
				    (char)((uint64_t)v->i >> (56 - 8 * b));
			pa->types[i] = OID_INT8;
			pa->values[i] = pa->ints[i];
			pa->lengths[i] = 8;
			break;
		case STORE_BLOB:
			pa->types[i] = OID_BYTEA;
			pa->values[i] = v->s;
			pa->lengths[i] = (int)v->n;
			break;
		case STORE_TEXT:
			pa->types[i] = OID_TEXT;
			pa->values[i] = v->s;
			pa->formats[i] = 0;
			break;
		default:
			pa->types[i] = 0;
			pa->values[i] = NULL;
			break;
		}
	}
}

/* A big-endian integer of n bytes, sign-extended. */
static int64_t
be_int(const char *p, int n)
{
	uint64_t v = (unsigned char)p[0] & 0x80 ? ~(uint64_t)0 : 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | (unsigned char)p[i];
	return (int64_t)v;
}

/* Hand each row of res (binary format) to fn as values. */
static void
rows(PGresult *res, store_row_fn fn, void *arg)
{
	struct store_val col[STORE_VAL_MAX];
	int r, c, nrows = PQntuples(res), ncols = PQnfields(res);

	if (ncols > STORE_VAL_MAX)
		ncols = STORE_VAL_MAX;
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			const char *v = PQgetvalue(res, r, c);
			int len = PQgetlength(res, r, c);

			memset(&col[c], 0, sizeof(col[c]));
			if (PQgetisnull(res, r, c))
				continue;
			switch (PQftype(res, c)) {
			case OID_INT8:
			case OID_INT4:
			case OID_INT2:
				col[c].kind = STORE_INT;
				col[c].i =
				    len > 0 && len <= 8 ? be_int(v, len) : 0;
				break;
			case OID_BYTEA:
				col[c].kind = STORE_BLOB;
				col[c].s = v;
				col[c].n = (size_t)len;
				break;
			default:
				/* text, in the client's encoding (UTF-8) */
				col[c].kind = STORE_TEXT;
				col[c].s = v;
				col[c].n = (size_t)len;
				break;
			}
		}
		if (fn(arg, col, ncols) != 0)
			break;
	}
}

/* The SQLSTATE of a failed result, or "" (an error of libpq's own, such
 * as a lost connection, has none). */
static const char *
sqlstate(const PGresult *res)
{
	const char *s =
	    res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s != NULL ? s : "";
}

/*
 * Map a SQLSTATE to our error kind. Classes: 23 integrity (a unique
 * email, above all), 40 transaction rollback (serialization failure,
 * deadlock), 53 insufficient resources (disk full, out of memory, too
 * many connections); lock and statement timeouts are waits that ran out.
 * Everything else (08 connection, 28 authentication, 42501 no privilege,
 * 57P admin shutdown, ...) is the database being unavailable.
 */
static enum err
err_of(const char *state)
{
	if (strncmp(state, "23", 2) == 0)
		return ERR_EXISTS;
	if (strncmp(state, "40", 2) == 0 || strcmp(state, "55P03") == 0 ||
	    strcmp(state, "57014") == 0 || strcmp(state, "53300") == 0)
		return ERR_BUSY;
	if (strcmp(state, "53200") == 0)
		return ERR_NOMEM;
	if (strncmp(state, "53", 2) == 0)
		return ERR_FULL;
	return ERR_DB;
}

/* The first line of a libpq or server message. */
static int
line_len(const char *msg)
{
	return (int)strcspn(msg, "\n");
}

/* Log a fault (res may be NULL) with the server's or libpq's own words
 * and return its kind; a uniqueness conflict is not logged. */
static enum err
fault(struct pg *p, const PGresult *res, const char *what)
{
	const char *state = sqlstate(res), *msg = NULL;
	bool lost = p->conn == NULL || PQstatus(p->conn) == CONNECTION_BAD;
	enum err e = *state != '\0' ? err_of(state) : ERR_DB;

	if (e == ERR_EXISTS)
		return e;
	if (res != NULL)
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (msg == NULL)
		msg =
		    p->conn != NULL ? PQerrorMessage(p->conn) : "no connection";
	log_error("database: %s: %s%.*s%s%s%s", what,
	          lost ? "connection lost: " : "", line_len(msg), msg,
	          *state != '\0' ? " (SQLSTATE " : "", state,
	          *state != '\0' ? ")" : "");
	return e;
}

/* Did the server refuse the statement because it is ending the
 * connection (an administrator's command, a restart, a crash of another
 * backend)? Then the statement did not run, and may be sent again on a
 * new connection. */
static bool
server_ended(const PGresult *res)
{
	const char *s = sqlstate(res);

	return strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
	       strcmp(s, "57P03") == 0;
}

static bool
result_ok(const PGresult *res)
{
	ExecStatusType t = PQresultStatus(res);

	return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/*
 * Notices go to the log. A FATAL one comes alone when the server ends an
 * idle connection (an administrator's command, a shutdown): its last
 * words, read before anything is sent, say that a statement sent now
 * would not run, so the connection is opened again first.
 */
static void
notice(void *arg, const PGresult *res)
{
	struct pg *p = arg;
	const char *sev =
	    PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *state = sqlstate(res);

	if (sev != NULL &&
	    (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
		p->ended = true;
	if (msg == NULL)
		msg = "";
	log_error("database: server: %s: %.*s%s%s%s", sev != NULL ? sev : "",
	          line_len(msg), msg, *state != '\0' ? " (SQLSTATE " : "",
	          state, *state != '\0' ? ")" : "");
}

/* Run SQL without parameters (transaction control, migrations): one
 * round trip, even for several statements. */
static enum err
exec(struct pg *p, const char *sql, const char *what)
{
	PGresult *res = PQexec(p->conn, sql);
	enum err e = result_ok(res) ? ERR_OK : fault(p, res, what);

	PQclear(res);
	return e;
}

static void
end_tx(struct pg *p)
{
	if (p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK &&
	    PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		PQclear(PQexec(p->conn, "ROLLBACK"));
	p->in_tx = false;
}

/*
 * Start a transaction on the current connection. A write transaction
 * takes the database-wide write lock (a transaction-level advisory lock,
 * released by the server at commit, rollback or a lost connection),
 * waiting up to busy_ms, so that one write transaction runs at a time on
 * every host, as SQLite's BEGIN IMMEDIATE gives on one. READ COMMITTED
 * after the lock: each statement sees what was committed before it,
 * everything the writers before this one did included. A read-only one
 * sees one snapshot throughout.
 */
static enum err
begin_here(struct pg *p, bool write)
{
	char sql[256];
	enum err e;

	if (write)
		snprintf(sql, sizeof(sql),
		         "BEGIN ISOLATION LEVEL READ COMMITTED;"
		         " SET LOCAL lock_timeout = %d;"
		         " SELECT pg_advisory_xact_lock(" WRITE_LOCK ")",
		         p->busy_ms > 0 ? p->busy_ms : 1);
	else
		snprintf(sql, sizeof(sql),
		         "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if ((e = exec(p, sql, "begin")) != ERR_OK) {
		end_tx(p);
		return e;
	}
	p->in_tx = true;
	return ERR_OK;
}

static enum err commit_here(struct pg *p);

/*
 * Bring a database without our schema, or with an older one, to
 * STORE_SCHEMA_VERSION, in one transaction under the write lock: hosts
 * that start together wait for the first, and find the work done. A
 * newer schema than this build knows is refused.
 */
static enum err
migrate(struct pg *p)
{
	char sql[128];
	PGresult *res = NULL;
	enum err e;
	size_t i;
	int v = 0;

	if ((e = begin_here(p, true)) != ERR_OK)
		return e;
	if ((e = exec(p, "SET LOCAL client_min_messages = warning",
	              "migrate schema")) != ERR_OK ||
	    (e = exec(p, store_pg_version_table, "create the version table")) !=
	        ERR_OK)
		goto out;
	res = PQexecParams(p->conn, store_pg_sql[S_VERSION], 0, NULL, NULL,
	                   NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		e = fault(p, res, "read schema version");
		goto out;
	}
	v = atoi(PQgetvalue(res, 0, 0));
	if ((e = store_version_known(v)) != ERR_OK)
		goto out;
	for (i = 0; i < store_pg_nmigrations; i++) {
		if (store_pg_migrations[i].version <= v)
			continue;
		snprintf(sql, sizeof(sql),
		         "INSERT INTO authcgi_schema (version) VALUES (%d)",
		         store_pg_migrations[i].version);
		if ((e = exec(p, store_pg_migrations[i].sql,
		              "migrate schema")) != ERR_OK ||
		    (e = exec(p, sql, "record schema version")) != ERR_OK)
			goto out;
	}
	if ((e = commit_here(p)) == ERR_OK && v > 0 && v < STORE_SCHEMA_VERSION)
		log_error("database: schema migrated from version %d to %d", v,
		          STORE_SCHEMA_VERSION);
out:
	PQclear(res);
	if (e != ERR_OK)
		end_tx(p);
	return e;
}

/* Check the schema of a new connection: one read when it is current. */
static enum err
check_schema(struct pg *p)
{
	PGresult *res;
	enum err e = ERR_OK;
	int v = -1;

	res = PQexecParams(p->conn, store_pg_sql[S_VERSION], 0, NULL, NULL,
	                   NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = atoi(PQgetvalue(res, 0, 0));
	else if (strcmp(sqlstate(res), "42P01") != 0) /* no version table */
		e = fault(p, res, "read schema version");
	PQclear(res);
	if (e != ERR_OK || (e = store_version_known(v)) != ERR_OK)
		return e;
	if (v < STORE_SCHEMA_VERSION)
		return migrate(p);
	return ERR_OK;
}

/* Open a new connection, replacing any old one, and check its schema. */
static enum err
connect_db(struct pg *p)
{
	enum err e;

	PQfinish(p->conn);
	memset(p->prepared, 0, sizeof(p->prepared));
	p->in_tx = false;
	p->ended = false;
	if ((p->conn = PQconnectdbParams(p->keys, p->vals, 0)) == NULL)
		return ERR_NOMEM;
	if (PQstatus(p->conn) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(p->conn);

		log_error("database: cannot connect: %.*s", line_len(msg), msg);
		PQfinish(p->conn);
		p->conn = NULL;
		return ERR_DB;
	}
	PQsetNoticeReceiver(p->conn, notice, p);
	if ((e = check_schema(p)) != ERR_OK) {
		PQfinish(p->conn);
		p->conn = NULL;
	}
	return e;
}

/*
 * Make sure there is a live connection before a statement: one found
 * lost (the server restarted, or ended it: its last words and the end of
 * the stream are read without waiting) is opened again, outside a
 * transaction. Inside one, the transaction went with the connection.
 */
static enum err
ready(struct pg *p)
{
	if (p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK &&
	    (p->in_tx || PQconsumeInput(p->conn) == 1) &&
	    PQstatus(p->conn) == CONNECTION_OK && !p->ended)
		return ERR_OK;
	if (p->in_tx) {
		log_error("database: connection lost in a transaction");
		return ERR_DB;
	}
	if (p->conn != NULL) {
		const char *msg =
		    p->ended ? "the server ended it" : PQerrorMessage(p->conn);

		log_error("database: connection lost (%.*s); connecting again",
		          line_len(msg), msg);
	}
	return connect_db(p);
}

/* Send statement s with its parameters and wait for its result: one
 * round trip, after a first one to prepare it on a kept connection. */
static PGresult *
send_stmt(struct pg *p, enum store_stmt s, const struct params *pa)
{
	char name[16];
	PGresult *res;

	if (p->one_request)
		return PQexecParams(p->conn, store_pg_sql[s], pa->n, pa->types,
		                    pa->values, pa->lengths, pa->formats, 1);
	snprintf(name, sizeof(name), "s%d", (int)s);
	if (!p->prepared[s]) {
		res =
		    PQprepare(p->conn, name, store_pg_sql[s], pa->n, pa->types);
		if (!result_ok(res))
			return res;
		PQclear(res);
		p->prepared[s] = true;
	}
	return PQexecPrepared(p->conn, name, pa->n, pa->values, pa->lengths,
	                      pa->formats, 1);
}

static enum err
pg_run(struct store *st, enum store_stmt s, const struct store_val *args,
       int nargs, store_row_fn fn, void *arg)
{
	struct pg *p = (struct pg *)st;
	struct params pa;
	PGresult *res;
	enum err e;
	int attempt;

	if (store_pg_sql[s] == NULL)
		return ERR_OK;
	params_set(&pa, args, nargs);
	for (attempt = 0;; attempt++) {
		if ((e = ready(p)) != ERR_OK)
			return e;
		res = send_stmt(p, s, &pa);
		if (result_ok(res))
			break;
		/* Sent again, on a new connection, when the server said it
		 * did not run it (it was ending the connection), outside a
		 * transaction: ready() says why in the log. */
		if (attempt == 0 && !p->in_tx &&
		    (server_ended(res) || p->ended)) {
			PQclear(res);
			continue;
		}
		e = fault(p, res, store_stmt_what[s]);
		PQclear(res);
		return e;
	}
	p->changes = strtoll(PQcmdTuples(res), NULL, 10);
	if (fn != NULL)
		rows(res, fn, arg);
	PQclear(res);
	return ERR_OK;
}

static enum err
pg_begin(struct store *st, bool write)
{
	struct pg *p = (struct pg *)st;
	enum err e;
	int attempt;

	for (attempt = 0;; attempt++) {
		if ((e = ready(p)) != ERR_OK)
			return e;
		if ((e = begin_here(p, write)) == ERR_OK || attempt > 0 ||
		    p->conn == NULL || PQstatus(p->conn) == CONNECTION_OK)
			return e;
		/* The connection went as the transaction began: nothing
		 * was done yet, so begin once more on a new one. */
	}
}

/* COMMIT of a transaction that had failed is answered ROLLBACK, without
 * an error: that is a failure too. */
static enum err
commit_here(struct pg *p)
{
	PGresult *res = PQexec(p->conn, "COMMIT");
	enum err e = ERR_OK;

	if (!result_ok(res))
		e = fault(p, res, "commit");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		log_error("database: commit: the transaction had failed and"
		          " was rolled back");
		e = ERR_DB;
	}
	PQclear(res);
	p->in_tx = false;
	return e;
}

static enum err
pg_commit(struct store *st)
{
	struct pg *p = (struct pg *)st;

	if (p->conn == NULL) {
		p->in_tx = false;
		return ERR_DB;
	}
	return commit_here(p);
}

static void
pg_rollback(struct store *st)
{
	end_tx((struct pg *)st);
}

static int64_t
pg_changes(struct store *st)
{
	return ((struct pg *)st)->changes;
}

/* Set keyword to value, replacing the URI's when force, else only when
 * the URI has none. */
static void
param_put(struct pg *p, int *n, const char *keyword, const char *value,
          bool force)
{
	int i;

	for (i = 0; i < *n; i++) {
		if (strcmp(p->keys[i], keyword) == 0) {
			if (force)
				p->vals[i] = value;
			return;
		}
	}
	p->keys[*n] = keyword;
	p->vals[*n] = value;
	(*n)++;
}

/*
 * The connection's parameters: the URI's, and the service's own where
 * the URI says nothing: a bounded time to connect, a name the server's
 * views show. Text is always exchanged in UTF-8, the encoding of what
 * the service stores.
 */
static enum err
params_of(struct pg *p, const char *uri)
{
	PQconninfoOption *o;
	char *errmsg = NULL;
	int n = 0, secs;

	if ((p->opts = PQconninfoParse(uri, &errmsg)) == NULL) {
		if (errmsg == NULL)
			return ERR_NOMEM;
		log_error("database: AUTHCGI_DB is not a connection URI: %.*s",
		          line_len(errmsg), errmsg);
		PQfreemem(errmsg);
		return ERR_DB;
	}
	for (o = p->opts; o->keyword != NULL; o++)
		n++;
	p->keys = calloc((size_t)n + 4, sizeof(*p->keys));
	p->vals = calloc((size_t)n + 4, sizeof(*p->vals));
	if (p->keys == NULL || p->vals == NULL)
		return ERR_NOMEM;
	n = 0;
	for (o = p->opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		p->keys[n] = o->keyword;
		p->vals[n] = o->val;
		n++;
	}
	secs = (p->busy_ms + 999) / 1000;
	snprintf(p->timeout, sizeof(p->timeout), "%d", secs < 2 ? 2 : secs);
	param_put(p, &n, "connect_timeout", p->timeout, false);
	param_put(p, &n, "application_name", "authcgi", false);
	param_put(p, &n, "client_encoding", "UTF8", true);
	return ERR_OK;
}

static void
pg_close(struct store *st)
{
	struct pg *p = (struct pg *)st;

	PQfinish(p->conn);
	PQconninfoFree(p->opts);
	free(p->keys);
	free(p->vals);
	free(p);
}

static enum err
pg_open(struct store **out, const struct store_config *cfg)
{
	struct pg *p;
	enum err e;

	if ((e = libpq_load()) != ERR_OK)
		return e;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ERR_NOMEM;
	p->base.ops = &store_pg_ops;
	p->busy_ms = cfg->busy_ms;
	p->one_request = cfg->one_request;
	if ((e = params_of(p, cfg->path)) != ERR_OK ||
	    (e = connect_db(p)) != ERR_OK) {
		pg_close(&p->base);
		return e;
	}
	*out = &p->base;
	return ERR_OK;
}

#else /* no libpq */

static enum err
pg_open(struct store **out, const struct store_config *cfg)
{
	(void)out;
	(void)cfg;
	log_error("database: AUTHCGI_DB names a PostgreSQL database, and this"
	          " build of authcgi has no PostgreSQL client (libpq)");
	return ERR_DB;
}

/* Never called: no store is ever opened. */
static void
pg_close(struct store *st)
{
	(void)st;
}

static enum err
pg_begin(struct store *st, bool write)
{
	(void)st;
	(void)write;
	return ERR_DB;
}

static enum err
pg_commit(struct store *st)
{
	(void)st;
	return ERR_DB;
}

static void
pg_rollback(struct store *st)
{
	(void)st;
}

static enum err
pg_run(struct store *st, enum store_stmt s, const struct store_val *args,
       int nargs, store_row_fn fn, void *arg)
{
	(void)st;
	(void)s;
	(void)args;
	(void)nargs;
	(void)fn;
	(void)arg;
	return ERR_DB;
}

static int64_t
pg_changes(struct store *st)
{
	(void)st;
	return 0;
}

#endif

const struct store_ops store_pg_ops = {
    pg_open, pg_close, pg_begin, pg_commit, pg_rollback, pg_run, pg_changes,
};
