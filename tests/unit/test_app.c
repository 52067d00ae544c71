/* test_app.c: the HTTP contract (API.md) end to end through app_handle:
 * requests built by http_request_read from a fake environment and a
 * body in memory, answers checked by status, headers and JSON body. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cJSON.h>
#include <sqlite3.h>

#include "tmpdb.h"
#include "app/app.h"
#include "app/internal.h"

#define PW   "s3cret pass"
#define IDLE 1800

/* Every AUTHCGI_* variable app_settings_load() reads. */
static const char *const env_vars[] = {
    "AUTHCGI_DB",
    "AUTHCGI_MAX_BODY",
    "AUTHCGI_MAX_FIELDS",
    "AUTHCGI_MAX_HEADER",
    "AUTHCGI_BUSY_TIMEOUT",
    "AUTHCGI_HASH_METHOD",
    "AUTHCGI_HASH_COST",
    "AUTHCGI_PASSWORD_MIN",
    "AUTHCGI_PASSWORD_MAX",
    "AUTHCGI_SESSION_IDLE",
    "AUTHCGI_SESSION_MAX",
    "AUTHCGI_RESET_TTL",
    "AUTHCGI_COOKIE_SECURE",
    "AUTHCGI_REQUEST_TIMEOUT",
    "AUTHCGI_LOG",
    "AUTHCGI_AUDIT_LOG",
    "AUTHCGI_PROFILE",
    "AUTHCGI_LOCK_ACCOUNT",
    "AUTHCGI_LOCK_ADDRESS",
    "AUTHCGI_LOCK_WINDOW",
    "AUTHCGI_LOCK_TIME",
    "AUTHCGI_ALLOWED_ORIGINS",
    "AUTHCGI_RESET_COMMAND",
    "AUTHCGI_PUBLIC_URL",
    "AUTHCGI_DB_MAX_PAGES",
    "AUTHCGI_SECRET_KEY_FILE",
    "AUTHCGI_RESET_ENDS_SESSIONS",
    "AUTHCGI_CONFIG",
    "AUTHCGI_COOKIE_PATH",
    "AUTHCGI_COOKIE_DOMAIN",
    "AUTHCGI_TRUSTED_PROXIES",
    "AUTHCGI_REDIRECT_ORIGINS",
    "AUTHCGI_GATE_REQUIRE",
    "AUTHCGI_VERIFY_EMAIL",
    "AUTHCGI_LINK_TTL",
    "AUTHCGI_CLIENT_MEMORY",
};

struct fx {
	struct tmpdb db; /* its dir and path */
	int64_t now;     /* the fake clock */
	struct app_settings set;
	struct app *app;
	struct http_response resp; /* the last answer */
	cJSON *json;               /* its body, parsed */
	char sid[64];              /* the last session cookie handed out */
};

/* One request: what the web server would put in the environment. */
struct rq {
	const char *method;
	const char *path;         /* PATH_INFO */
	const char *ctype;        /* CONTENT_TYPE */
	const char *body;         /* sent on stdin, CONTENT_LENGTH its length */
	const char *cookie;       /* HTTP_COOKIE */
	const char *script;       /* SCRIPT_NAME */
	const char *clen;         /* CONTENT_LENGTH, when not strlen(body) */
	const char *host;         /* HTTP_HOST */
	const char *origin;       /* HTTP_ORIGIN */
	const char *referer;      /* HTTP_REFERER */
	const char *accept;       /* HTTP_ACCEPT */
	const char *agent;        /* HTTP_USER_AGENT */
	const char *remote;       /* REMOTE_ADDR; NULL: 127.0.0.1 */
	const char *query;        /* QUERY_STRING */
	const char *const *extra; /* more "NAME=value", NULL-terminated */
	bool https;
	bool authorizer;  /* answered by app_authorize(), as FCGI_ROLE would */
	const char *rule; /* the authorizer's AUTHCGI_REQUIRE */
};

/* A http_read_fn over memory, handing out at most chunk bytes a call. */
struct mem {
	const char *p;
	size_t n, off, chunk;
};

static ssize_t
mem_read(void *arg, void *buf, size_t n)
{
	struct mem *m = arg;
	size_t k = m->n - m->off;

	if (k > n)
		k = n;
	if (k > m->chunk)
		k = m->chunk;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static int64_t
fake_now(void *arg)
{
	return ((struct fx *)arg)->now;
}

static void
clear_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
}

static void
reset_answer(struct fx *f)
{
	http_response_clear(&f->resp);
	cJSON_Delete(f->json);
	f->json = NULL;
}

/* (Re)make f->app from f->set. */
static void
remake(struct fx *f)
{
	app_free(f->app);
	f->app = NULL;
	assert_int_equal(app_new(&f->app, &f->set), ERR_OK);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (tmpdb_make(&f->db, "test_app") != 0) {
		free(f);
		return -1;
	}
	f->now = 1700000000;
	clear_env();
	if (app_settings_load(&f->set) != ERR_OK)
		return -1;
	f->set.auth.db_path = f->db.path;
	f->set.auth.secret_key_file = f->db.key;
	f->set.auth.hash_cost = 1; /* "$y$", cheap */
	f->set.auth.busy_ms = 1000;
	f->set.auth.hooks.now = fake_now;
	f->set.auth.hooks.arg = f;
	if (app_new(&f->app, &f->set) != ERR_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	reset_answer(f);
	app_free(f->app);
	tmpdb_remove(&f->db);
	clear_env();
	free(f);
	return 0;
}

/* ---- looking at an answer ---- */

static const char *
header(const struct fx *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->resp.nheaders; i++)
		if (strcasecmp(f->resp.headers[i].name, name) == 0)
			return f->resp.headers[i].value;
	return NULL;
}

static size_t
header_count(const struct fx *f, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < f->resp.nheaders; i++)
		if (strcasecmp(f->resp.headers[i].name, name) == 0)
			n++;
	return n;
}

/* A string member of the JSON body, or NULL. */
static const char *
jstr(const struct fx *f, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->json, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static size_t
jsize(const struct fx *f)
{
	return (size_t)cJSON_GetArraySize(f->json);
}

/* What every answer has: a JSON object body with exactly this
 * Content-Type, Cache-Control: no-store, and bytes that serialise. */
static void
check_common(struct fx *f)
{
	char *out = NULL;
	size_t len = 0;

	assert_true(f->resp.status != 500);
	assert_non_null(header(f, "Content-Type"));
	assert_string_equal(header(f, "Content-Type"), "application/json");
	assert_int_equal(header_count(f, "Content-Type"), 1);
	assert_non_null(header(f, "Cache-Control"));
	assert_string_equal(header(f, "Cache-Control"), "no-store");
	assert_non_null(f->resp.body);
	assert_non_null(f->json);
	assert_true(cJSON_IsObject(f->json));
	if (f->resp.status >= 400)
		assert_non_null(jstr(f, "message"));
	assert_int_equal(http_response_serialize(&f->resp, false, &out, &len),
	                 ERR_OK);
	free(out);
}

/* Keep the session_id of a Set-Cookie header, if any, in f->sid. */
static void
keep_cookie(struct fx *f)
{
	const char *c;
	size_t i, n;

	for (i = 0; i < f->resp.nheaders; i++) {
		if (strcasecmp(f->resp.headers[i].name, "Set-Cookie") != 0)
			continue;
		c = f->resp.headers[i].value;
		if (strncmp(c, "session_id=", 11) != 0)
			continue;
		c += 11;
		n = strcspn(c, ";");
		if (n >= sizeof(f->sid))
			n = sizeof(f->sid) - 1;
		memcpy(f->sid, c, n);
		f->sid[n] = '\0';
	}
}

/* ---- making a request ---- */

/* Run r through http_request_read and app_handle, reading the body
 * chunk bytes at a time. Returns what http_request_read returned. */
static enum err
run_chunked(struct fx *f, const struct rq *r, size_t chunk)
{
	static char https_on[] = "HTTPS=on";
	char m[64], p[512], s[256], ct[256], cl[64], ck[9000];
	char ho[256], or [256], re[256], ac[256], ag[512], ra[128], qs[1024];
	char *env[40];
	struct http_request req;
	struct mem mem;
	size_t n = 0;
	enum err e;

	reset_answer(f);
	if (r->method != NULL) {
		snprintf(m, sizeof(m), "REQUEST_METHOD=%s", r->method);
		env[n++] = m;
	}
	if (r->path != NULL) {
		snprintf(p, sizeof(p), "PATH_INFO=%s", r->path);
		env[n++] = p;
	}
	if (r->script != NULL) {
		snprintf(s, sizeof(s), "SCRIPT_NAME=%s", r->script);
		env[n++] = s;
	}
	if (r->ctype != NULL) {
		snprintf(ct, sizeof(ct), "CONTENT_TYPE=%s", r->ctype);
		env[n++] = ct;
	}
	if (r->clen != NULL || r->body != NULL) {
		if (r->clen != NULL)
			snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%s", r->clen);
		else
			snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu",
			         strlen(r->body));
		env[n++] = cl;
	}
	if (r->cookie != NULL) {
		snprintf(ck, sizeof(ck), "HTTP_COOKIE=%s", r->cookie);
		env[n++] = ck;
	}
	if (r->host != NULL) {
		snprintf(ho, sizeof(ho), "HTTP_HOST=%s", r->host);
		env[n++] = ho;
	}
	if (r->origin != NULL) {
		snprintf(or, sizeof(or), "HTTP_ORIGIN=%s", r->origin);
		env[n++] = or ;
	}
	if (r->referer != NULL) {
		snprintf(re, sizeof(re), "HTTP_REFERER=%s", r->referer);
		env[n++] = re;
	}
	if (r->accept != NULL) {
		snprintf(ac, sizeof(ac), "HTTP_ACCEPT=%s", r->accept);
		env[n++] = ac;
	}
	if (r->agent != NULL) {
		snprintf(ag, sizeof(ag), "HTTP_USER_AGENT=%s", r->agent);
		env[n++] = ag;
	}
	if (r->query != NULL) {
		snprintf(qs, sizeof(qs), "QUERY_STRING=%s", r->query);
		env[n++] = qs;
	}
	for (size_t i = 0; r->extra != NULL && r->extra[i] != NULL; i++)
		env[n++] = (char *)r->extra[i];
	if (r->https)
		env[n++] = https_on;
	snprintf(ra, sizeof(ra), "REMOTE_ADDR=%s",
	         r->remote != NULL ? r->remote : "127.0.0.1");
	env[n++] = ra;
	env[n] = NULL;

	mem.p = r->body != NULL ? r->body : "";
	mem.n = strlen(mem.p);
	mem.off = 0;
	mem.chunk = chunk;
	http_response_init(&f->resp);
	if (r->authorizer) {
		e = http_request_read(&req, env, &f->set.limits, NULL, NULL);
		app_authorize(f->app, &req, e, r->rule, &f->resp);
	} else {
		e = http_request_read(&req, env, &f->set.limits, mem_read,
		                      &mem);
		app_handle(f->app, &req, e, &f->resp);
	}
	http_request_clear(&req);
	if (f->resp.body != NULL)
		f->json = cJSON_Parse(f->resp.body);
	keep_cookie(f);
	return e;
}

static enum err
run(struct fx *f, const struct rq *r)
{
	return run_chunked(f, r, 7);
}

/* A request with an urlencoded form body (NULL: none). */
static int
form(struct fx *f, const char *method, const char *path, const char *body,
     const char *cookie)
{
	struct rq r = {0};

	r.method = method;
	r.path = path;
	r.body = body;
	r.cookie = cookie;
	if (body != NULL)
		r.ctype = "application/x-www-form-urlencoded";
	run(f, &r);
	check_common(f);
	return f->resp.status;
}

/* "session_id=<f->sid>" into buf. */
static const char *
cookie_of(const char *sid, char *buf, size_t size)
{
	snprintf(buf, size, "session_id=%s", sid);
	return buf;
}

static void
register_ok(struct fx *f, const char *email_enc, const char *password_enc)
{
	char body[512];

	snprintf(body, sizeof(body), "email=%s&password=%s", email_enc,
	         password_enc);
	assert_int_equal(form(f, "POST", "/users", body, NULL), 200);
}

/* Log in and return the session id (in f->sid). */
static const char *
login_ok(struct fx *f, const char *email_enc, const char *password_enc)
{
	char body[512];

	f->sid[0] = '\0';
	snprintf(body, sizeof(body), "email=%s&password=%s", email_enc,
	         password_enc);
	assert_int_equal(form(f, "POST", "/sessions", body, NULL), 200);
	assert_int_equal(strlen(f->sid), 36);
	return f->sid;
}

static void
assert_uuid4(const char *s)
{
	size_t i;

	assert_non_null(s);
	assert_int_equal(strlen(s), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(s[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", s[i]));
	}
	assert_int_equal(s[14], '4');
	assert_non_null(strchr("89ab", s[19]));
}

/* ---- the gate ---- */

/* auth.cgi group OP EMAIL GROUP; its exit status. */
static int
app_admin_group(struct fx *f, const char *op, const char *email,
                const char *group)
{
	char a0[] = "group", a1[16], a2[256], a3[64];
	char *argv[] = {a0, a1, a2, a3, NULL};
	FILE *null = fopen("/dev/null", "w");
	int rc;

	assert_non_null(null);
	snprintf(a1, sizeof(a1), "%s", op);
	snprintf(a2, sizeof(a2), "%s", email);
	snprintf(a3, sizeof(a3), "%s", group);
	rc = app_admin(f->app, 4, argv, null, null);
	fclose(null);
	return rc;
}

/* A browser's log-in (a form post from our own page) with next: where
 * the 303 sends it. */
static const char *
login_then(struct fx *f, const char *next_enc)
{
	static char loc[2100];
	char body[2300];
	const char *extra[] = {"HTTP_ORIGIN=null", NULL};
	struct rq r = {0};

	snprintf(body, sizeof(body),
	         "email=g%%40x.org&password=" PW
	         "&_form_token=11111111-2222-4333-8444-555555555555&next=%s",
	         next_enc);
	r.method = "POST";
	r.path = "/sessions";
	r.ctype = "application/x-www-form-urlencoded";
	r.body = body;
	r.accept = "text/html";
	r.host = "good.example";
	r.cookie = "form_token=11111111-2222-4333-8444-555555555555";
	r.extra = extra;
	run(f, &r);
	assert_int_equal(f->resp.status, 303);
	assert_non_null(header(f, "Location"));
	snprintf(loc, sizeof(loc), "%s", header(f, "Location"));
	return loc;
}

/*
 * After log-in a browser goes back to next only when it is a path here or
 * a URL on an allowed origin: every other value lands on the profile.
 */
static void
test_app_next_never_off_site(void **state)
{
	static const char *const hostile[] = {
	    "%2F%2Fevil.example",                           /* //evil.example */
	    "https%3A%2F%2Fevil.example%2F",                /* another site */
	    "%2F%5Cevil.example",                           /* /\evil.example */
	    "%5C%5Cevil.example",                           /* \\evil.example */
	    "javascript%3Aalert(1)",                        /* a script */
	    "JaVaScRiPt%3Aalert(1)",                        /* in any case */
	    "data%3Atext%2Fhtml%2C%3Cscript%3E",            /* a data: URL */
	    "%20%2F%2Fevil.example",                        /* blank-padded */
	    "%2F%09%2Fevil.example",                        /* a tab inside */
	    "%2F%0D%0ALocation%3A%20http%3A%2F%2Fe",        /* a line break */
	    "%252F%252Fevil.example",                       /* encoded twice */
	    "%2F%2F%2Fevil.example",                        /* three slashes */
	    "https%3A%2F%2Fgood.example%40evil.example%2F", /* user info */
	    "https%3A%2F%2Fgood.example.evil.example%2F",   /* a suffix */
	    "http%3A%2F%2Fgood.example%3A8443%2F",          /* another port */
	    "https%3Aevil.example",                         /* no slashes */
	    "%2F%2Fgood.example",          /* scheme-relative */
	    "ftp%3A%2F%2Fgood.example%2F", /* another scheme */
	    "%E2%80%AE%2F%2Fevil.example", /* not ASCII */
	};
	struct fx *f = *state;
	size_t i;

	register_ok(f, "g%40x.org", PW);
	f->set.redirect_origins = "https://other.example";
	remake(f);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const char *loc = login_then(f, hostile[i]);

		print_message("next=%s -> %s\n", hostile[i], loc);
		if (strcmp(loc, "/profile") != 0)
			fail_msg("next=%s led to %s", hostile[i], loc);
	}
	/* What may be followed is followed. */
	assert_string_equal(login_then(f, "%2Fprivate%2Fa%3Fb%3Dc"),
	                    "/private/a?b=c");
	assert_string_equal(login_then(f, "http%3A%2F%2Fgood.example%2Fx"),
	                    "http://good.example/x");
	assert_string_equal(
	    login_then(f, "https%3A%2F%2FOTHER.example%2Fwiki%3Fp%3D1"),
	    "https://OTHER.example/wiki?p=1");
}

/* GET /auth: 200 with the account's headers, 401 without a session, 403
 * for a rule that refuses the account, 503 for a rule that cannot be
 * read; a browser is sent to the log-in page, with where it came from. */
static void
test_app_gate_route(void **state)
{
	static const char *const nginx[] = {
	    "HTTP_X_ORIGINAL_URL=http://good.example/private/x?y=1", NULL};
	struct fx *f = *state;
	struct rq r = {0};
	char c[128];

	register_ok(f, "Ann%40x.org", PW);
	login_ok(f, "ann%40x.org", PW);
	cookie_of(f->sid, c, sizeof(c));
	assert_int_equal(app_admin_group(f, "add", "ann@x.org", "admins"), 0);
	r.method = "GET";
	r.path = "/auth";
	r.cookie = c;
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 200);
	assert_string_equal(header(f, "Remote-User"), "Ann@x.org");
	assert_string_equal(header(f, "Remote-Email"), "Ann@x.org");
	assert_string_equal(header(f, "Remote-Groups"), "admins");
	assert_string_equal(jstr(f, "email"), "Ann@x.org");
	r.query = "group=admins";
	run(f, &r);
	assert_int_equal(f->resp.status, 200);
	r.query = "group=staff";
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 403);
	assert_null(header(f, "Remote-User"));
	r.query = "require=domain%3Ax.org";
	run(f, &r);
	assert_int_equal(f->resp.status, 200);
	r.query = "require=email%3Abob%40x.org+group%3Astaff";
	run(f, &r);
	assert_int_equal(f->resp.status, 403);
	/* A rule that cannot be read refuses: 503, never 200. */
	r.query = "require=grop%3Aadmins";
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 503);
	r.query = "group=Not+A+Name";
	run(f, &r);
	assert_int_equal(f->resp.status, 503);
	/* Without a session: 401 to scripts, a redirect to browsers. */
	r.query = NULL;
	r.cookie = NULL;
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 401);
	assert_null(header(f, "Location"));
	r.accept = "text/html";
	run(f, &r);
	assert_int_equal(f->resp.status, 302);
	assert_string_equal(header(f, "Location"), "/login");
	/* From a trusted proxy, with where the browser came from; nginx
	 * (X-Original-URL) gets it in a 401, which its auth_request passes
	 * on. */
	f->set.trusted_proxies = "127.0.0.1";
	remake(f);
	r.host = "good.example";
	r.extra = nginx;
	run(f, &r);
	assert_int_equal(f->resp.status, 401);
	assert_string_equal(
	    header(f, "Location"),
	    "/login?next=http%3A//good.example/private/x%3Fy%3D1");
	/* Not from a trusted proxy: the header is the client's, ignored. */
	r.remote = "127.0.0.9";
	run(f, &r);
	assert_int_equal(f->resp.status, 302);
	assert_string_equal(header(f, "Location"), "/login");
	/* A session that ended is no session. */
	r.remote = NULL;
	r.accept = NULL;
	r.cookie = c;
	assert_int_equal(form(f, "DELETE", "/sessions", NULL, c), 302);
	run(f, &r);
	assert_int_equal(f->resp.status, 401);
}

/* The FastCGI authorizer role: the decision alone, whatever the method
 * or the path; the signed-in account in Variable- headers. */
static void
test_app_authorizer(void **state)
{
	static const char *const uri[] = {"REQUEST_URI=/private/a b", NULL};
	struct fx *f = *state;
	struct rq r = {0};
	char c[128];

	register_ok(f, "Al%40x.org", PW);
	login_ok(f, "al%40x.org", PW);
	cookie_of(f->sid, c, sizeof(c));
	r.authorizer = true;
	r.method = "POST"; /* the method of the request it guards */
	r.extra = uri;
	r.cookie = c;
	run(f, &r);
	assert_int_equal(f->resp.status, 200);
	assert_string_equal(header(f, "Variable-REMOTE_USER"), "Al@x.org");
	assert_string_equal(header(f, "Variable-AUTHCGI_USER"), "Al@x.org");
	assert_string_equal(header(f, "Variable-AUTHCGI_GROUPS"), "");
	r.rule = "group:admins";
	run(f, &r);
	assert_int_equal(f->resp.status, 403);
	assert_null(header(f, "Variable-REMOTE_USER"));
	r.rule = "bogus";
	run(f, &r);
	assert_int_equal(f->resp.status, 503);
	assert_null(header(f, "Variable-REMOTE_USER"));
	/* The process's own rule when the server names none. */
	r.rule = NULL;
	f->set.gate_require = "email:someone@x.org";
	remake(f);
	run(f, &r);
	assert_int_equal(f->resp.status, 403);
	f->set.gate_require = "user";
	remake(f);
	/* No session: scripts 401, browsers to the log-in page with the
	 * path they asked for, percent-encoded. */
	r.cookie = NULL;
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 401);
	r.accept = "text/html";
	f->set.auth.reset_url = "/sso";
	remake(f);
	run(f, &r);
	assert_int_equal(f->resp.status, 302);
	assert_string_equal(header(f, "Location"), "/sso/login");
	r.extra = NULL;
	{
		static const char *const ok[] = {"REQUEST_URI=/private/x?y=1",
		                                 NULL};

		r.extra = ok;
		run(f, &r);
		assert_string_equal(header(f, "Location"),
		                    "/sso/login?next=/private/x%3Fy%3D1");
	}
}

/* Behind a trusted proxy the client is the one X-Forwarded-For names (the
 * rightmost address that is not a trusted proxy); from anyone else the
 * header is ignored. Seen in what the lockout counts. */
static void
test_app_trusted_proxies(void **state)
{
	static const char *const xff_a[] = {
	    "HTTP_X_FORWARDED_FOR=9.9.9.9, 192.0.2.1, 10.0.0.2", NULL};
	static const char *const xff_b[] = {
	    "HTTP_X_FORWARDED_FOR=9.9.9.9, 192.0.2.2", NULL};
	struct fx *f = *state;
	struct rq r = {0};
	int i;

	f->set.trusted_proxies = "10.0.0.0/24, ::1";
	f->set.auth.throttle.addr_limit = 3;
	f->set.auth.throttle.window = 600;
	f->set.auth.throttle.lockout = 900;
	remake(f);
	register_ok(f, "p%40x.org", PW);
	r.method = "POST";
	r.path = "/sessions";
	r.ctype = "application/x-www-form-urlencoded";
	r.body = "email=nobody%40x.org&password=wrong+one";
	r.remote = "10.0.0.1";
	r.extra = xff_a; /* the client is 192.0.2.1 */
	for (i = 0; i < 3; i++) {
		run(f, &r);
		assert_int_equal(f->resp.status, 401);
	}
	r.body = "email=p%40x.org&password=" PW;
	run(f, &r);
	assert_int_equal(f->resp.status, 429);
	/* Another client behind the same proxy is not locked out. */
	r.extra = xff_b;
	run(f, &r);
	assert_int_equal(f->resp.status, 200);
	/* From an untrusted address, the header is ignored: the address
	 * itself is counted. */
	r.remote = "10.1.0.1";
	r.extra = xff_a;
	r.body = "email=nobody2%40x.org&password=wrong+one";
	for (i = 0; i < 3; i++) {
		run(f, &r);
		assert_int_equal(f->resp.status, 401);
	}
	r.extra = xff_b;
	run(f, &r);
	assert_int_equal(f->resp.status, 429);
}

/* ---- pages ---- */

/*
 * Every page renders (the templates parse, and name only what pages
 * have), with every value escaped: hostile text in every member, in the
 * mount point too, never reaches the page as markup. Each page is
 * rendered with every member set and with none, so that both sides of
 * every section are filled in.
 */
static void
test_app_pages_escape_everything(void **state)
{
	static const char *const hostile[] = {
	    "<script>alert(1)</script>", "\"><svg onload=x>",
	    "' onmouseover='x", "&lt;already&gt;", "</main><h1>"};
	struct app_page_session rows[2];
	struct app_page_args a = {0};
	struct http_response resp;
	int page;
	size_t i, j;

	(void)state;
	for (page = 0; page < APP_PAGE__MAX; page++) {
		for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
			a.error = a.notice = a.email = a.token = hostile[i];
			a.form_token = a.next = a.pending = hostile[i];
			a.factor = a.codes_left = a.pending_login = hostile[i];
			a.secret = a.codes = hostile[i];
			/* The QR code's own markup is the one exception:
			 * it is drawn, not written. */
			a.uri = page == APP_PAGE_TOTP_SETUP ? NULL : hostile[i];
			for (j = 0; j < 2; j++) {
				rows[j].id = rows[j].created = hostile[i];
				rows[j].last_seen = rows[j].client = hostile[i];
				rows[j].user_agent = hostile[i];
				rows[j].current = j == 0 ? hostile[i] : NULL;
			}
			a.sessions = rows;
			a.nsessions = 2;
			http_response_init(&resp);
			assert_int_equal(
			    app_page_render(&resp, 200, hostile[i], page, &a),
			    ERR_OK);
			assert_non_null(resp.body);
			assert_null(strstr(resp.body, "<script"));
			assert_null(strstr(resp.body, "<svg"));
			assert_null(strstr(resp.body, "' onmouseover"));
			assert_null(strstr(resp.body, "\"><"));
			assert_null(strstr(resp.body, "&lt;already"));
			assert_null(strstr(resp.body, "</main><h1>"));
			assert_null(strstr(resp.body, "{{"));
			assert_non_null(strstr(resp.body, "</html>\n"));
			http_response_clear(&resp);
		}
		http_response_init(&resp);
		assert_int_equal(app_page_render(&resp, 200, "", page, NULL),
		                 ERR_OK);
		assert_null(strstr(resp.body, "{{"));
		http_response_clear(&resp);
	}
	http_response_init(&resp);
	assert_int_equal(app_page_render(&resp, 200, "", APP_PAGE__MAX, NULL),
	                 ERR_INTERNAL);
	http_response_clear(&resp);
	http_response_init(&resp);
	assert_int_equal(app_page_style(&resp), ERR_OK);
	assert_non_null(strstr(resp.body, "box-sizing"));
	http_response_clear(&resp);
}

/* A QR code is SVG made of the code's modules: nothing of the text it
 * encodes, however hostile, is in the markup. */
static void
test_app_qr_svg(void **state)
{
	const char *text = "otpauth://totp/X:<script>@x?secret=ABC\"DEF";
	char *svg = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(app_qr_svg(text, &svg, &n), ERR_OK);
	assert_int_equal(strlen(svg), n);
	assert_true(
	    strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
	assert_non_null(strstr(svg, "</svg>"));
	assert_null(strstr(svg, "script"));
	assert_null(strstr(svg, "otpauth"));
	assert_null(strstr(svg, "ABC"));
	/* Only markup this file writes: tags, numbers and path commands. */
	assert_int_equal(
	    strspn(svg,
	           "<>/=\" :.-#0123456789abcdefghijklmnopqrstuvwxyzABCEMQRSV"),
	    n);
	free(svg);
}

/* ---- settings ---- */

static void
test_app_settings_defaults(void **state)
{
	struct app_settings s;

	(void)state;
	clear_env();
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_string_equal(s.auth.db_path, "/var/lib/authcgi/auth.db");
	assert_string_equal(s.auth.hash_method, "$y$");
	assert_int_equal(s.auth.hash_cost, 5);
	assert_int_equal(s.auth.password_min, 5);
	assert_int_equal(s.auth.password_max, 128);
	assert_int_equal(s.auth.session_idle, 1800);
	assert_int_equal(s.auth.session_max, 43200);
	assert_int_equal(s.auth.reset_ttl, 3600);
	assert_int_equal(s.auth.busy_ms, 5000);
	assert_null(s.auth.hooks.now);
	assert_null(s.auth.hooks.uuid);
	assert_true(s.limits.max_body > 0);
	assert_true(s.limits.max_fields >= 3);
	assert_true(s.limits.max_header > 0);
	assert_false(s.cookie_secure);
	assert_true(s.request_timeout > 0);
	assert_null(s.log_path);
	assert_null(s.audit_path);
	assert_null(s.allowed_origins);
	assert_null(s.auth.deliver_command);
	assert_false(s.auth.verify_email);
	assert_int_equal(s.auth.link_ttl, 86400);
	assert_int_equal(s.auth.client_memory, 7776000);
	assert_false(s.hardened);
	assert_false(s.auth.reject_common);
	assert_string_equal(s.cookie_name, "session_id");
	assert_true(s.auth.throttle.account_limit > 0);
	assert_true(s.auth.throttle.window > 0);
	assert_true(s.auth.throttle.lockout > 0);
}

static void
test_app_settings_hardened(void **state)
{
	struct app_settings s;

	(void)state;
	clear_env();
	setenv("AUTHCGI_PROFILE", "hardened", 1);
	setenv("AUTHCGI_RESET_COMMAND", "/usr/sbin/sendmail -t", 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_true(s.hardened);
	assert_string_equal(s.cookie_name, "__Host-session_id");
	assert_true(s.cookie_secure);
	assert_true(s.auth.reject_common);
	assert_true(s.auth.password_min >= 12);
	/* A higher minimum is kept. */
	setenv("AUTHCGI_PASSWORD_MIN", "20", 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_int_equal(s.auth.password_min, 20);
	clear_env();
}

/* Each variable, set alone, lands in its member. */
static void
test_app_settings_each_variable(void **state)
{
	static const struct {
		const char *name;
		const char *value;
		long long want;
	} ints[] = {
	    {"AUTHCGI_MAX_BODY", "1000", 1000},
	    {"AUTHCGI_MAX_FIELDS", "7", 7},
	    {"AUTHCGI_MAX_HEADER", "4096", 4096},
	    {"AUTHCGI_BUSY_TIMEOUT", "250", 250},
	    {"AUTHCGI_HASH_COST", "9", 9},
	    {"AUTHCGI_PASSWORD_MIN", "8", 8},
	    {"AUTHCGI_PASSWORD_MAX", "64", 64},
	    {"AUTHCGI_SESSION_IDLE", "600", 600},
	    {"AUTHCGI_SESSION_MAX", "86400", 86400},
	    {"AUTHCGI_RESET_TTL", "900", 900},
	    {"AUTHCGI_COOKIE_SECURE", "1", 1},
	    {"AUTHCGI_REQUEST_TIMEOUT", "12", 12},
	    {"AUTHCGI_LOCK_ACCOUNT", "3", 3},
	    {"AUTHCGI_LOCK_ADDRESS", "0", 0},
	    {"AUTHCGI_LOCK_WINDOW", "60", 60},
	    {"AUTHCGI_LOCK_TIME", "120", 120},
	    {"AUTHCGI_LINK_TTL", "600", 600},
	    {"AUTHCGI_CLIENT_MEMORY", "0", 0},
	};
	struct app_settings s;
	long long got = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		clear_env();
		setenv(ints[i].name, ints[i].value, 1);
		print_message("%s=%s\n", ints[i].name, ints[i].value);
		assert_int_equal(app_settings_load(&s), ERR_OK);
		switch (i) {
		case 0:
			got = (long long)s.limits.max_body;
			break;
		case 1:
			got = (long long)s.limits.max_fields;
			break;
		case 2:
			got = (long long)s.limits.max_header;
			break;
		case 3:
			got = s.auth.busy_ms;
			break;
		case 4:
			got = (long long)s.auth.hash_cost;
			break;
		case 5:
			got = (long long)s.auth.password_min;
			break;
		case 6:
			got = (long long)s.auth.password_max;
			break;
		case 7:
			got = s.auth.session_idle;
			break;
		case 8:
			got = s.auth.session_max;
			break;
		case 9:
			got = s.auth.reset_ttl;
			break;
		case 10:
			got = s.cookie_secure;
			break;
		case 11:
			got = s.request_timeout;
			break;
		case 12:
			got = s.auth.throttle.account_limit;
			break;
		case 13:
			got = s.auth.throttle.addr_limit;
			break;
		case 14:
			got = s.auth.throttle.window;
			break;
		case 15:
			got = s.auth.throttle.lockout;
			break;
		case 16:
			got = s.auth.link_ttl;
			break;
		case 17:
			got = s.auth.client_memory;
			break;
		default:
			fail();
		}
		assert_int_equal(got, ints[i].want);
	}
	clear_env();
	setenv("AUTHCGI_DB", "/tmp/x/auth.db", 1);
	setenv("AUTHCGI_HASH_METHOD", "$2b$", 1);
	setenv("AUTHCGI_LOG", "/tmp/x/auth.log", 1);
	setenv("AUTHCGI_AUDIT_LOG", "/tmp/x/audit.log", 1);
	setenv("AUTHCGI_ALLOWED_ORIGINS", "https://a.example", 1);
	setenv("AUTHCGI_RESET_COMMAND", "/usr/sbin/sendmail -t", 1);
	setenv("AUTHCGI_PROFILE", "default", 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_string_equal(s.auth.db_path, "/tmp/x/auth.db");
	assert_string_equal(s.auth.hash_method, "$2b$");
	assert_string_equal(s.log_path, "/tmp/x/auth.log");
	assert_string_equal(s.audit_path, "/tmp/x/audit.log");
	assert_string_equal(s.allowed_origins, "https://a.example");
	assert_string_equal(s.auth.deliver_command, "/usr/sbin/sendmail -t");
	assert_false(s.hardened);
	assert_string_equal(s.cookie_name, "session_id");
	/* Verification, with outgoing mail. */
	setenv("AUTHCGI_VERIFY_EMAIL", "1", 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_true(s.auth.verify_email);
	clear_env();
}

/* The secret key file sits beside the database unless it is named; a
 * reset ends sessions in the hardened profile only, unless set. */
static void
test_app_settings_key_and_reset_sessions(void **state)
{
	struct app_settings s;

	(void)state;
	clear_env();
	setenv("AUTHCGI_DB", "/tmp/x/auth.db", 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_string_equal(s.auth.secret_key_file, "/tmp/x/auth.db.key");
	assert_false(s.auth.reset_ends_sessions);
	setenv("AUTHCGI_SECRET_KEY_FILE", "/etc/authcgi/key", 1);
	setenv("AUTHCGI_RESET_ENDS_SESSIONS", "1", 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_string_equal(s.auth.secret_key_file, "/etc/authcgi/key");
	assert_true(s.auth.reset_ends_sessions);
	clear_env();
	setenv("AUTHCGI_PROFILE", "hardened", 1);
	setenv("AUTHCGI_RESET_COMMAND", "/usr/sbin/sendmail -t", 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_true(s.auth.reset_ends_sessions);
	assert_string_equal(s.auth.secret_key_file,
	                    "/var/lib/authcgi/auth.db.key");
	setenv("AUTHCGI_RESET_ENDS_SESSIONS", "0", 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_false(s.auth.reset_ends_sessions);
	setenv("AUTHCGI_RESET_ENDS_SESSIONS", "yes", 1);
	assert_int_equal(app_settings_load(&s), ERR_INVAL);
	clear_env();
}

/* The settings file: NAME=value lines under the environment's values,
 * over the defaults; anything it cannot read is refused. */
static void
test_app_settings_file(void **state)
{
	struct fx *f = *state;
	struct app_settings s;
	char path[160];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/authcgi.conf", f->db.dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("# the service's settings\n"
	      "\n"
	      "AUTHCGI_DB = /srv/auth/auth.db\n"
	      "  AUTHCGI_SESSION_IDLE=600  \n"
	      "AUTHCGI_RESET_COMMAND=\"/usr/sbin/sendmail -t\"\n"
	      "AUTHCGI_PROFILE=hardened\n",
	      fp);
	fclose(fp);
	clear_env();
	setenv("AUTHCGI_CONFIG", path, 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_string_equal(s.auth.db_path, "/srv/auth/auth.db");
	assert_int_equal(s.auth.session_idle, 600);
	assert_string_equal(s.auth.deliver_command, "/usr/sbin/sendmail -t");
	assert_true(s.hardened);
	assert_string_equal(s.auth.secret_key_file, "/srv/auth/auth.db.key");
	/* The environment wins. */
	setenv("AUTHCGI_SESSION_IDLE", "60", 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_int_equal(s.auth.session_idle, 60);
	/* A line that is not a setting, or no NAME=value, is refused. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("AUTHCGI_SESSION_IDEL=600\n", fp);
	fclose(fp);
	assert_int_equal(app_settings_load(&s), ERR_INVAL);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("AUTHCGI_DB /srv/x\n", fp);
	fclose(fp);
	assert_int_equal(app_settings_load(&s), ERR_INVAL);
	/* A file named and missing is refused. */
	unlink(path);
	assert_int_equal(app_settings_load(&s), ERR_INVAL);
	clear_env();
}

static void
test_app_settings_empty_is_default(void **state)
{
	struct app_settings s;
	size_t i;

	(void)state;
	clear_env();
	for (i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		setenv(env_vars[i], "", 1);
	assert_int_equal(app_settings_load(&s), ERR_OK);
	assert_string_equal(s.auth.db_path, "/var/lib/authcgi/auth.db");
	assert_string_equal(s.auth.hash_method, "$y$");
	assert_int_equal(s.auth.password_min, 5);
	assert_null(s.log_path);
	clear_env();
}

static void
test_app_settings_bad_values(void **state)
{
	static const struct {
		const char *name;
		const char *value;
	} bad[] = {
	    {"AUTHCGI_MAX_BODY", "abc"},
	    {"AUTHCGI_MAX_BODY", "-1"},
	    {"AUTHCGI_MAX_BODY", "12k"},
	    {"AUTHCGI_MAX_BODY", "99999999999999999999999"},
	    {"AUTHCGI_MAX_FIELDS", "0"},
	    {"AUTHCGI_MAX_HEADER", "10"},
	    {"AUTHCGI_BUSY_TIMEOUT", "1.5"},
	    {"AUTHCGI_HASH_COST", "-3"},
	    {"AUTHCGI_PASSWORD_MIN", "0"},
	    {"AUTHCGI_PASSWORD_MAX", "0x40"},
	    {"AUTHCGI_SESSION_IDLE", "0"},
	    {"AUTHCGI_SESSION_MAX", "forever"},
	    {"AUTHCGI_RESET_TTL", "-60"},
	    {"AUTHCGI_COOKIE_SECURE", "2"},
	    {"AUTHCGI_COOKIE_SECURE", "yes"},
	    {"AUTHCGI_REQUEST_TIMEOUT", "0"},
	    {"AUTHCGI_REQUEST_TIMEOUT", "3601"},
	    {"AUTHCGI_LOCK_ACCOUNT", "-1"},
	    {"AUTHCGI_LOCK_ADDRESS", "many"},
	    {"AUTHCGI_LOCK_WINDOW", "0"},
	    {"AUTHCGI_LOCK_TIME", "0"},
	    {"AUTHCGI_PROFILE", "paranoid"},
	    {"AUTHCGI_PROFILE", "hardened"}, /* without a reset command */
	    {"AUTHCGI_VERIFY_EMAIL", "1"},   /* without a reset command */
	    {"AUTHCGI_VERIFY_EMAIL", "yes"},
	    {"AUTHCGI_LINK_TTL", "0"},
	    {"AUTHCGI_CLIENT_MEMORY", "-1"},
	};
	struct app_settings s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		clear_env();
		setenv("AUTHCGI_DB", "/elsewhere.db", 1);
		setenv(bad[i].name, bad[i].value, 1);
		print_message("%s=%s\n", bad[i].name, bad[i].value);
		memset(&s, 0x5a, sizeof(s));
		assert_int_equal(app_settings_load(&s), ERR_INVAL);
		/* s is left with the defaults. */
		assert_string_equal(s.auth.db_path, "/var/lib/authcgi/auth.db");
		assert_int_equal(s.auth.password_min, 5);
		assert_int_equal(s.auth.password_max, 128);
		assert_false(s.cookie_secure);
	}
	/* Bounds that contradict each other. */
	clear_env();
	setenv("AUTHCGI_PASSWORD_MIN", "20", 1);
	setenv("AUTHCGI_PASSWORD_MAX", "10", 1);
	assert_int_equal(app_settings_load(&s), ERR_INVAL);
	clear_env();
}

/* ---- routing ---- */

static void
test_app_index(void **state)
{
	struct fx *f = *state;

	assert_int_equal(form(f, "GET", "/", NULL, NULL), 200);
	assert_string_equal(jstr(f, "message"), "Bienvenue");
	assert_int_equal(jsize(f), 1);
	assert_null(header(f, "Set-Cookie"));
}

static void
test_app_head(void **state)
{
	struct fx *f = *state;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(form(f, "HEAD", "/", NULL, NULL), 200);
	assert_string_equal(jstr(f, "message"), "Bienvenue");
	assert_int_equal(http_response_serialize(&f->resp, true, &out, &len),
	                 ERR_OK);
	assert_true(len >= 4);
	assert_memory_equal(out + len - 4, "\r\n\r\n", 4);
	assert_null(strstr(out, "Bienvenue"));
	free(out);

	/* HEAD /profile is a GET /profile: 403 without a session ... */
	assert_int_equal(form(f, "HEAD", "/profile", NULL, NULL), 403);
	/* ... and 200 with one. */
	register_ok(f, "h@h.org", PW);
	login_ok(f, "h@h.org", PW);
	{
		char c[128];

		assert_int_equal(form(f, "HEAD", "/profile", NULL,
		                      cookie_of(f->sid, c, sizeof(c))),
		                 200);
		assert_string_equal(jstr(f, "email"), "h@h.org");
	}
	/* HEAD where only POST is: 405. */
	assert_int_equal(form(f, "HEAD", "/users", NULL, NULL), 405);
}

static void
test_app_not_found(void **state)
{
	static const struct {
		const char *method;
		const char *path;
	} cases[] = {
	    {"GET", "/nope"},       {"GET", "/users/1"},
	    {"POST", "/user"},      {"GET", "/Profile"},
	    {"GET", "/profile//"},  {"GET", "/profile/x"},
	    {"DELETE", "/session"}, {"GET", "/index.html"},
	    {"PATCH", "/nowhere"},
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s %s\n", cases[i].method, cases[i].path);
		assert_int_equal(
		    form(f, cases[i].method, cases[i].path, NULL, NULL), 404);
		assert_null(header(f, "Allow"));
	}
}

static void
test_app_method_not_allowed(void **state)
{
	static const struct {
		const char *method;
		const char *path;
		const char *allow;
	} cases[] = {
	    {"POST", "/", "GET, HEAD"},
	    {"DELETE", "/", "GET, HEAD"},
	    {"GET", "/users", "POST"},
	    {"PUT", "/users", "POST"},
	    {"PUT", "/sessions", "POST, DELETE, GET, HEAD"},
	    {"PATCH", "/sessions", "POST, DELETE, GET, HEAD"},
	    {"GET", "/sessions/0123", "DELETE"},
	    {"PUT", "/sessions/0123/", "DELETE"},
	    {"GET", "/password", "PUT"},
	    {"POST", "/email", "PUT"},
	    {"GET", "/account", "DELETE"}, /* the page is for browsers */
	    {"DELETE", "/verify_email", "POST, PUT"},
	    {"POST", "/profile", "GET, HEAD"},
	    {"DELETE", "/profile", "GET, HEAD"},
	    {"GET", "/reset_password", "POST, PUT"},
	    {"DELETE", "/reset_password", "POST, PUT"},
	    {"PATCH", "/users", "POST"},
	    {"OPTIONS", "/profile", "GET, HEAD"},
	    {"get", "/", "GET, HEAD"}, /* methods are case-sensitive */
	    {"GET", "/users/", "POST"},
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s %s\n", cases[i].method, cases[i].path);
		assert_int_equal(
		    form(f, cases[i].method, cases[i].path, NULL, NULL), 405);
		assert_non_null(header(f, "Allow"));
		assert_string_equal(header(f, "Allow"), cases[i].allow);
	}
}

static void
test_app_trailing_slash(void **state)
{
	struct fx *f = *state;
	char c[128];

	assert_int_equal(form(f, "GET", "", NULL, NULL), 200);
	assert_string_equal(jstr(f, "message"), "Bienvenue");
	assert_int_equal(
	    form(f, "POST", "/users/", "email=t@t.org&password=" PW, NULL),
	    200);
	assert_int_equal(
	    form(f, "POST", "/sessions/", "email=t@t.org&password=" PW, NULL),
	    200);
	assert_int_equal(
	    form(f, "GET", "/profile/", NULL, cookie_of(f->sid, c, sizeof(c))),
	    200);
	assert_string_equal(jstr(f, "email"), "t@t.org");
	assert_int_equal(
	    form(f, "POST", "/reset_password/", "email=t@t.org", NULL), 200);
	assert_int_equal(form(f, "DELETE", "/sessions/", NULL, c), 302);
}

static void
test_app_no_method(void **state)
{
	struct fx *f = *state;
	struct rq r = {0};

	r.path = "/";
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 400);
}

/* ---- POST /users ---- */

static void
test_app_register(void **state)
{
	struct fx *f = *state;

	assert_int_equal(
	    form(f, "POST", "/users", "email=Bob%40Bob.com&password=" PW, NULL),
	    200);
	assert_string_equal(jstr(f, "email"), "Bob@Bob.com");
	assert_string_equal(jstr(f, "message"), "user created");
	assert_int_equal(jsize(f), 2);
	assert_null(header(f, "Set-Cookie"));

	/* Same email in another case: 400, and the original is kept. */
	assert_int_equal(form(f, "POST", "/users",
	                      "email=bob@bob.COM&password=other+pw", NULL),
	                 400);
	assert_string_equal(jstr(f, "message"), "email already registered");
	assert_int_equal(jsize(f), 1);
	assert_int_equal(form(f, "POST", "/sessions",
	                      "email=BOB@BOB.COM&password=" PW, NULL),
	                 200);
	assert_string_equal(jstr(f, "email"), "Bob@Bob.com");
	assert_string_equal(jstr(f, "message"), "logged in");
}

static void
test_app_register_missing_fields(void **state)
{
	static const struct {
		const char *body;
		const char *field;
	} cases[] = {
	    {NULL, "email"},
	    {"", "email"},
	    {"password=" PW, "email"},
	    {"email=&password=" PW, "email"},
	    {"email=a@b.c", "password"},
	    {"email=a@b.c&password=", "password"},
	    {"email=a@b.c&pass=" PW, "password"},
	    {"Email=a@b.c&password=" PW, "email"},
	};
	struct fx *f = *state;
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("body \"%s\"\n",
		              cases[i].body ? cases[i].body : "(none)");
		assert_int_equal(form(f, "POST", "/users", cases[i].body, NULL),
		                 400);
		snprintf(want, sizeof(want), "%s is required", cases[i].field);
		assert_string_equal(jstr(f, "message"), want);
	}
}

static void
test_app_register_bad_input(void **state)
{
	static const struct {
		const char *body;
		const char *msg; /* a part of the message, or NULL */
	} cases[] = {
	    {"email=bob&password=" PW, "email"},
	    {"email=a+b@c&password=" PW, "email"}, /* "+" is a space */
	    {"email=a@@b&password=" PW, "email"},
	    {"email=a@b..c&password=" PW, "email"},
	    {"email=a@b.c&password=abcd", "at least 5"},
	    {"email=a@b.c&password=%C3%A9%C3%A9%C3%A9%C3%A9", "at least 5"},
	    {"email=a@b.c&password=%00abcdef", NULL},
	    {"email=a@b.c&password=%ZZabcdef", NULL},
	    {"email=a@b.c&password=%FFabcdef", NULL},
	    {"email=a@b.c%0D%0ASet-Cookie:+x=y&password=" PW, "email"},
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("body \"%s\"\n", cases[i].body);
		assert_int_equal(form(f, "POST", "/users", cases[i].body, NULL),
		                 400);
		if (cases[i].msg != NULL)
			assert_non_null(
			    strstr(jstr(f, "message"), cases[i].msg));
		assert_null(header(f, "Set-Cookie"));
	}
}

static void
test_app_register_password_too_long(void **state)
{
	struct fx *f = *state;
	char body[400];
	size_t n;

	n = (size_t)snprintf(body, sizeof(body), "email=l@l.org&password=");
	memset(body + n, 'p', 129);
	body[n + 129] = '\0';
	assert_int_equal(form(f, "POST", "/users", body, NULL), 400);
	assert_non_null(strstr(jstr(f, "message"), "at most 128"));
	body[n + 128] = '\0';
	assert_int_equal(form(f, "POST", "/users", body, NULL), 200);

	/* bcrypt: the bound is 72 bytes. */
	f->set.auth.hash_method = "$2b$";
	f->set.auth.hash_cost = 4;
	remake(f);
	n = (size_t)snprintf(body, sizeof(body), "email=b@l.org&password=");
	memset(body + n, 'p', 73);
	body[n + 73] = '\0';
	assert_int_equal(form(f, "POST", "/users", body, NULL), 400);
	assert_non_null(strstr(jstr(f, "message"), "at most 72"));
	body[n + 72] = '\0';
	assert_int_equal(form(f, "POST", "/users", body, NULL), 200);
}

/* ---- POST /sessions ---- */

static void
test_app_login(void **state)
{
	struct fx *f = *state;
	char unknown[256], wrong[256], want[128];

	register_ok(f, "Alice@Example.org", PW);
	login_ok(f, "alice@example.ORG", PW);
	assert_string_equal(jstr(f, "email"), "Alice@Example.org");
	assert_string_equal(jstr(f, "message"), "logged in");
	assert_int_equal(jsize(f), 2);
	assert_uuid4(f->sid);
	assert_int_equal(header_count(f, "Set-Cookie"), 1);
	snprintf(want, sizeof(want),
	         "session_id=%s; Path=/; HttpOnly; SameSite=Lax", f->sid);
	assert_string_equal(header(f, "Set-Cookie"), want);

	/* Each login is a new session. */
	snprintf(want, sizeof(want), "%s", f->sid);
	login_ok(f, "alice@example.org", PW);
	assert_string_not_equal(f->sid, want);

	/* Wrong password and unknown email: the same 401, no cookie. */
	assert_int_equal(form(f, "POST", "/sessions",
	                      "email=alice@example.org&password=wrong+pass",
	                      NULL),
	                 401);
	assert_null(header(f, "Set-Cookie"));
	snprintf(wrong, sizeof(wrong), "%s", f->resp.body);
	assert_int_equal(form(f, "POST", "/sessions",
	                      "email=nobody@example.org&password=" PW, NULL),
	                 401);
	assert_null(header(f, "Set-Cookie"));
	snprintf(unknown, sizeof(unknown), "%s", f->resp.body);
	assert_string_equal(wrong, unknown);

	/* Missing fields. */
	assert_int_equal(form(f, "POST", "/sessions", "email=a@b.c", NULL),
	                 400);
	assert_string_equal(jstr(f, "message"), "password is required");
	assert_int_equal(form(f, "POST", "/sessions", NULL, NULL), 400);
	assert_string_equal(jstr(f, "message"), "email is required");
}

static void
test_app_cookie_attributes(void **state)
{
	struct fx *f = *state;
	struct rq r = {0};
	char want[200], c[128];

	register_ok(f, "c@c.org", PW);

	/* Over HTTPS: Secure. */
	r.method = "POST";
	r.path = "/sessions";
	r.ctype = "application/x-www-form-urlencoded";
	r.body = "email=c@c.org&password=" PW;
	r.https = true;
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 200);
	snprintf(want, sizeof(want),
	         "session_id=%s; Path=/; Secure; HttpOnly; SameSite=Lax",
	         f->sid);
	assert_string_equal(header(f, "Set-Cookie"), want);

	/* Mounted under /auth: the cookie's Path and the redirect. */
	r.https = false;
	r.script = "/auth";
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 200);
	snprintf(want, sizeof(want),
	         "session_id=%s; Path=/auth; HttpOnly; SameSite=Lax", f->sid);
	assert_string_equal(header(f, "Set-Cookie"), want);
	memset(&r, 0, sizeof(r));
	r.method = "DELETE";
	r.path = "/sessions";
	r.script = "/auth";
	r.cookie = cookie_of(f->sid, c, sizeof(c));
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 302);
	assert_string_equal(header(f, "Location"), "/auth/");
	assert_non_null(strstr(header(f, "Set-Cookie"), "; Path=/auth"));

	/* Configured: Secure without HTTPS. */
	f->set.cookie_secure = true;
	remake(f);
	login_ok(f, "c@c.org", PW);
	assert_non_null(strstr(header(f, "Set-Cookie"), "; Secure"));
}

/* ---- GET /profile ---- */

static void
test_app_profile(void **state)
{
	static const char *const bad_cookies[] = {
	    NULL,
	    "",
	    "session_id=",
	    "session_id=nope",
	    "session_id=00000000-0000-4000-8000-000000000000",
	    "other=1",
	    "Session_Id=%s",
	};
	struct fx *f = *state;
	char c[160], sid[64];
	size_t i;

	register_ok(f, "P@p.org", PW);
	login_ok(f, "p@p.org", PW);
	snprintf(sid, sizeof(sid), "%s", f->sid);
	assert_int_equal(
	    form(f, "GET", "/profile", NULL, cookie_of(sid, c, sizeof(c))),
	    200);
	assert_string_equal(jstr(f, "email"), "P@p.org");
	assert_int_equal(jsize(f), 1);

	/* The cookie among others, quoted, with spaces. */
	snprintf(c, sizeof(c), "a=1; session_id=\"%s\"; b=2", sid);
	assert_int_equal(form(f, "GET", "/profile", NULL, c), 200);
	snprintf(c, sizeof(c), "a=1;session_id = %s", sid);
	assert_int_equal(form(f, "GET", "/profile", NULL, c), 200);

	for (i = 0; i < sizeof(bad_cookies) / sizeof(bad_cookies[0]); i++) {
		const char *bc = bad_cookies[i];

		if (bc != NULL && strstr(bc, "%s") != NULL) {
			snprintf(c, sizeof(c), "Session_Id=%s", sid);
			bc = c;
		}
		print_message("cookie \"%s\"\n", bc ? bc : "(none)");
		assert_int_equal(form(f, "GET", "/profile", NULL, bc), 403);
	}
}

static void
test_app_profile_expired(void **state)
{
	struct fx *f = *state;
	char c[128];

	register_ok(f, "x@x.org", PW);
	login_ok(f, "x@x.org", PW);
	cookie_of(f->sid, c, sizeof(c));
	f->now += IDLE - 1;
	assert_int_equal(form(f, "GET", "/profile", NULL, c), 200);
	f->now += IDLE;
	assert_int_equal(form(f, "GET", "/profile", NULL, c), 403);
	assert_int_equal(form(f, "DELETE", "/sessions", NULL, c), 403);
}

/* ---- DELETE /sessions ---- */

static void
test_app_logout(void **state)
{
	struct fx *f = *state;
	char c1[128], c2[128];
	const char *sc;

	register_ok(f, "o@o.org", PW);
	login_ok(f, "o@o.org", PW);
	cookie_of(f->sid, c1, sizeof(c1));
	login_ok(f, "o@o.org", PW);
	cookie_of(f->sid, c2, sizeof(c2));

	assert_int_equal(form(f, "DELETE", "/sessions", NULL, c1), 302);
	assert_string_equal(header(f, "Location"), "/");
	sc = header(f, "Set-Cookie");
	assert_non_null(sc);
	assert_int_equal(strncmp(sc, "session_id=;", 12), 0);
	assert_non_null(strstr(sc, "Max-Age=0"));
	assert_non_null(strstr(sc, "; Path=/"));
	assert_non_null(strstr(sc, "; HttpOnly"));

	/* That session is over; the other one is not. */
	assert_int_equal(form(f, "GET", "/profile", NULL, c1), 403);
	assert_int_equal(form(f, "GET", "/profile", NULL, c2), 200);
	assert_int_equal(form(f, "DELETE", "/sessions", NULL, c1), 403);
	assert_null(header(f, "Location"));
	assert_int_equal(form(f, "DELETE", "/sessions", NULL, NULL), 403);
	/* What a client following the redirect gets. */
	assert_int_equal(form(f, "GET", "/", NULL, NULL), 200);
	assert_string_equal(jstr(f, "message"), "Bienvenue");
}

/* ---- /reset_password ---- */

static void
test_app_reset_request(void **state)
{
	struct fx *f = *state;
	char first[64];

	register_ok(f, "R@r.org", PW);
	assert_int_equal(
	    form(f, "POST", "/reset_password", "email=r@R.org", NULL), 200);
	assert_string_equal(jstr(f, "email"), "R@r.org");
	assert_uuid4(jstr(f, "reset_token"));
	assert_int_equal(jsize(f), 2);
	snprintf(first, sizeof(first), "%s", jstr(f, "reset_token"));
	assert_int_equal(
	    form(f, "POST", "/reset_password", "email=r@r.org", NULL), 200);
	assert_string_not_equal(jstr(f, "reset_token"), first);

	assert_int_equal(
	    form(f, "POST", "/reset_password", "email=nobody@r.org", NULL),
	    403);
	assert_null(jstr(f, "reset_token"));
	assert_int_equal(form(f, "POST", "/reset_password", "email=", NULL),
	                 400);
	assert_string_equal(jstr(f, "message"), "email is required");
	assert_int_equal(form(f, "POST", "/reset_password", NULL, NULL), 400);
}

static void
test_app_reset_update(void **state)
{
	struct fx *f = *state;
	char token[64], body[256], c[128];

	register_ok(f, "u@u.org", PW);
	login_ok(f, "u@u.org", PW);
	cookie_of(f->sid, c, sizeof(c));
	assert_int_equal(
	    form(f, "POST", "/reset_password", "email=u@u.org", NULL), 200);
	snprintf(token, sizeof(token), "%s", jstr(f, "reset_token"));

	/* Missing fields, in order. */
	assert_int_equal(
	    form(f, "PUT", "/reset_password", "email=u@u.org", NULL), 400);
	assert_string_equal(jstr(f, "message"), "reset_token is required");
	snprintf(body, sizeof(body), "email=u@u.org&reset_token=%s", token);
	assert_int_equal(form(f, "PUT", "/reset_password", body, NULL), 400);
	assert_string_equal(jstr(f, "message"), "new_password is required");
	snprintf(body, sizeof(body), "reset_token=%s&new_password=x", token);
	assert_int_equal(form(f, "PUT", "/reset_password", body, NULL), 400);
	assert_string_equal(jstr(f, "message"), "email is required");

	/* A wrong token: 403, whatever the new password, or none. */
	assert_int_equal(
	    form(f, "PUT", "/reset_password",
	         "email=u@u.org&reset_token=00000000-0000-4000-8000-"
	         "000000000000&new_password=new+password",
	         NULL),
	    403);
	assert_int_equal(
	    form(f, "PUT", "/reset_password",
	         "email=u@u.org&reset_token=00000000-0000-4000-8000-"
	         "000000000000&new_password=abc",
	         NULL),
	    403);
	assert_string_equal(jstr(f, "message"), "invalid reset token");
	assert_int_equal(
	    form(f, "PUT", "/reset_password",
	         "email=u@u.org&reset_token=00000000-0000-4000-8000-"
	         "000000000000",
	         NULL),
	    403);
	/* A password out of bounds: 400, and the token stays good. */
	snprintf(body, sizeof(body),
	         "email=u@u.org&reset_token=%s&new_password=abc", token);
	assert_int_equal(form(f, "PUT", "/reset_password", body, NULL), 400);
	assert_non_null(strstr(jstr(f, "message"), "at least 5"));
	assert_int_equal(form(f, "GET", "/profile", NULL, c), 200);

	snprintf(body, sizeof(body),
	         "email=U@U.org&reset_token=%s&new_password=new+password",
	         token);
	assert_int_equal(form(f, "PUT", "/reset_password", body, NULL), 200);
	assert_string_equal(jstr(f, "email"), "u@u.org");
	assert_string_equal(jstr(f, "message"), "Password updated");
	assert_int_equal(jsize(f), 2);

	/* In the default profile the session lives on (as in the original
	 * service); the token is spent, the new password in, the old one
	 * out. */
	assert_int_equal(form(f, "GET", "/profile", NULL, c), 200);
	assert_int_equal(form(f, "PUT", "/reset_password", body, NULL), 403);
	assert_int_equal(
	    form(f, "POST", "/sessions", "email=u@u.org&password=" PW, NULL),
	    401);
	login_ok(f, "u@u.org", "new+password");
}

/* ---- body types ---- */

static void
test_app_body_types(void **state)
{
	struct fx *f = *state;
	struct rq r = {0};
	char c[128];

	r.method = "POST";
	r.path = "/users";
	r.ctype = "multipart/form-data; boundary=XyZ";
	r.body = "--XyZ\r\n"
	         "Content-Disposition: form-data; name=\"email\"\r\n\r\n"
	         "m@m.org\r\n"
	         "--XyZ\r\n"
	         "Content-Disposition: form-data; name=\"password\"\r\n\r\n" PW
	         "\r\n"
	         "--XyZ--\r\n";
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 200);
	assert_string_equal(jstr(f, "email"), "m@m.org");

	r.path = "/sessions";
	r.ctype = "application/json";
	r.body = "{\"email\": \"m@m.org\", \"password\": \"" PW "\"}";
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 200);
	assert_string_equal(jstr(f, "email"), "m@m.org");
	assert_uuid4(f->sid);

	/* The media type in another case, with a charset. */
	r.ctype = "Application/X-WWW-Form-Urlencoded; charset=UTF-8";
	r.body = "email=m%40m.org&password=" PW;
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 200);
	assert_int_equal(
	    form(f, "GET", "/profile", NULL, cookie_of(f->sid, c, sizeof(c))),
	    200);
}

/* ---- bad input: a clear 4xx ---- */

static void
test_app_bad_requests(void **state)
{
	static const struct {
		const char *ctype;
		const char *body;
		const char *clen;
		const char *cookie;
		int status;
	} cases[] = {
	    /* over the body limit (set to 1000 below) */
	    {"application/x-www-form-urlencoded", "", "1001", NULL, 413},
	    {"application/x-www-form-urlencoded", "", "99999999999999999999",
	     NULL, 413},
	    /* shorter than CONTENT_LENGTH */
	    {"application/x-www-form-urlencoded", "email=a@b.c", "50", NULL,
	     400},
	    {"application/x-www-form-urlencoded", "email=a", "-1", NULL, 400},
	    {"application/x-www-form-urlencoded", "email=a", "7x", NULL, 400},
	    {"text/plain", "email=a@b.c&password=" PW, NULL, NULL, 415},
	    {NULL, "email=a@b.c&password=" PW, NULL, NULL, 415},
	    {"application/x-www-form-urlencoded", "email=%G1", NULL, NULL, 400},
	    {"application/x-www-form-urlencoded", "email=%4", NULL, NULL, 400},
	    {"application/x-www-form-urlencoded", "email=a%00@b.c", NULL, NULL,
	     400},
	    {"application/x-www-form-urlencoded", "email=%C3%28@b.c", NULL,
	     NULL, 400},
	    {"application/json", "[1, 2]", NULL, NULL, 400},
	    {"application/json", "{\"email\": ", NULL, NULL, 400},
	    {"multipart/form-data", "--x\r\n", NULL, NULL, 400},
	    /* a cookie header over max_header (set to 100 below) */
	    {NULL, NULL, NULL,
	     "session_id=0123456789012345678901234567890123456789"
	     "0123456789012345678901234567890123456789012345678901234567",
	     431},
	};
	struct fx *f = *state;
	struct rq r = {0};
	char big[2000];
	size_t i;

	f->set.limits.max_body = 1000;
	f->set.limits.max_header = 100;
	remake(f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.method = "POST";
		r.path = "/users";
		r.ctype = cases[i].ctype;
		r.body = cases[i].body;
		r.clen = cases[i].clen;
		r.cookie = cases[i].cookie;
		print_message("case %zu\n", i);
		run(f, &r);
		check_common(f);
		assert_int_equal(f->resp.status, cases[i].status);
	}
	/* A body that does fit the limit passes; one over it does not. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "email=a@b.c&password=", 21);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = "/users";
	r.ctype = "application/x-www-form-urlencoded";
	r.body = big;
	run(f, &r);
	assert_int_equal(f->resp.status, 413);
	big[21 + 200] = '\0';
	run(f, &r);
	assert_int_equal(f->resp.status, 400); /* password too long */
	big[21 + 10] = '\0';
	run(f, &r);
	assert_int_equal(f->resp.status, 200);
}

/* The body arrives in one-byte reads: the same answer. */
static void
test_app_short_reads(void **state)
{
	struct fx *f = *state;
	struct rq r = {0};

	r.method = "POST";
	r.path = "/users";
	r.ctype = "application/x-www-form-urlencoded";
	r.body = "email=slow%40reader.org&password=" PW;
	assert_int_equal(run_chunked(f, &r, 1), ERR_OK);
	check_common(f);
	assert_int_equal(f->resp.status, 200);
	assert_string_equal(jstr(f, "email"), "slow@reader.org");
}

static void
test_app_sql_metacharacters(void **state)
{
	struct fx *f = *state;

	register_ok(f, "o'brien@x.org", "%27%3B+DROP+TABLE+users%3B+--");
	login_ok(f, "O'Brien@x.org", "%27%3B+DROP+TABLE+users%3B+--");
	assert_string_equal(jstr(f, "email"), "o'brien@x.org");
	assert_int_equal(form(f, "POST", "/sessions",
	                      "email=x%27+OR+%271%27%3D%271&password=x%27+OR+"
	                      "%271%27%3D%271",
	                      NULL),
	                 401);
	assert_int_equal(
	    form(f, "POST", "/reset_password", "email=%25%40%25", NULL), 403);
	register_ok(f, "z@x.org", PW);
}

/* ---- throttling, cross-site checks, hardened profile ---- */

static void
test_app_throttled_429(void **state)
{
	struct fx *f = *state;
	int i;

	f->set.auth.throttle.account_limit = 3;
	f->set.auth.throttle.addr_limit = 0;
	f->set.auth.throttle.window = 600;
	f->set.auth.throttle.lockout = 900;
	remake(f);
	register_ok(f, "t@t.org", PW);
	for (i = 0; i < 3; i++)
		assert_int_equal(form(f, "POST", "/sessions",
		                      "email=t@t.org&password=wrong+one", NULL),
		                 401);
	assert_int_equal(
	    form(f, "POST", "/sessions", "email=t@t.org&password=" PW, NULL),
	    429);
	assert_non_null(header(f, "Retry-After"));
	assert_string_equal(header(f, "Retry-After"), "900");
	assert_null(header(f, "Set-Cookie"));
	f->now += 900;
	login_ok(f, "t@t.org", PW);
	assert_null(header(f, "Retry-After"));
}

static void
test_app_logout_cross_site(void **state)
{
	static const struct {
		const char *origin;
		const char *referer;
		const char *allowed; /* AUTHCGI_ALLOWED_ORIGINS */
		int status;
	} cases[] = {
	    {"https://evil.example", NULL, NULL, 403},
	    {NULL, "https://evil.example/page", NULL, 403},
	    {"null", NULL, NULL, 403},
	    {"http://auth.example", NULL, NULL, 302},
	    {"HTTP://AUTH.EXAMPLE", NULL, NULL, 302},
	    {NULL, "http://auth.example/some/page?x=1", NULL, 302},
	    {"https://auth.example", NULL, NULL, 403}, /* other scheme */
	    {"http://auth.example.evil.example", NULL, NULL, 403},
	    {"https://app.example", NULL, "https://app.example", 302},
	    {"https://app.example", NULL,
	     "https://x.example, https://app.example", 302},
	    {"http://auth.example", NULL, "https://app.example", 403},
	    {NULL, NULL, NULL, 302}, /* scripts send neither */
	};
	struct fx *f = *state;
	struct rq r = {0};
	char c[128];
	size_t i;

	register_ok(f, "x@s.org", PW);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f->set.allowed_origins = cases[i].allowed;
		remake(f);
		login_ok(f, "x@s.org", PW);
		memset(&r, 0, sizeof(r));
		r.method = "DELETE";
		r.path = "/sessions";
		r.host = "auth.example";
		r.origin = cases[i].origin;
		r.referer = cases[i].referer;
		r.cookie = cookie_of(f->sid, c, sizeof(c));
		print_message("case %zu\n", i);
		run(f, &r);
		check_common(f);
		assert_int_equal(f->resp.status, cases[i].status);
		if (cases[i].status == 403) {
			/* Refused: the session lives on. */
			assert_null(header(f, "Set-Cookie"));
			assert_int_equal(form(f, "GET", "/profile", NULL, c),
			                 200);
		}
	}
}

static void
test_app_hardened_cookie(void **state)
{
	struct fx *f = *state;
	struct rq r = {0};
	char want[200], c[128], sid[40];

	f->set.hardened = true;
	f->set.cookie_name = "__Host-session_id";
	f->set.cookie_secure = true;
	remake(f);
	register_ok(f, "hd@h.org", PW);
	r.method = "POST";
	r.path = "/sessions";
	r.script = "/auth"; /* mounted, yet Path=/ */
	r.ctype = "application/x-www-form-urlencoded";
	r.body = "email=hd@h.org&password=" PW;
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 200);
	assert_non_null(header(f, "Set-Cookie"));
	assert_int_equal(
	    strncmp(header(f, "Set-Cookie"), "__Host-session_id=", 18), 0);
	snprintf(sid, sizeof(sid), "%.36s", header(f, "Set-Cookie") + 18);
	assert_uuid4(sid);
	snprintf(want, sizeof(want),
	         "__Host-session_id=%s; Path=/; Secure; HttpOnly; SameSite=Lax",
	         sid);
	assert_string_equal(header(f, "Set-Cookie"), want);
	snprintf(c, sizeof(c), "__Host-session_id=%s", sid);
	/* The plain name is not looked at. */
	assert_int_equal(form(f, "GET", "/profile", NULL, c), 200);
	snprintf(want, sizeof(want), "session_id=%s", sid);
	assert_int_equal(form(f, "GET", "/profile", NULL, want), 403);
}

/*
 * Hardened, with AUTHCGI_COOKIE_DOMAIN: the session cookie is
 * __Secure-session_id with the Domain (a __Host- cookie cannot carry
 * one), and the form token stays the log-in page's own: __Host-, host
 * only, Path=/, as browsers require of that prefix (else they drop it,
 * and every form post is refused).
 */
static void
test_app_hardened_cookie_domain(void **state)
{
	struct fx *f = *state;
	struct rq r = {0};
	char want[200], tok[40];
	const char *sc;

	f->set.hardened = true;
	f->set.cookie_name = "__Secure-session_id";
	f->set.cookie_domain = "example.org";
	f->set.cookie_secure = true;
	remake(f);
	register_ok(f, "cd@h.org", PW);
	r.method = "GET";
	r.path = "/login";
	r.script = "/auth";
	r.accept = "text/html";
	run(f, &r);
	assert_int_equal(f->resp.status, 200);
	assert_non_null(sc = header(f, "Set-Cookie"));
	assert_int_equal(strncmp(sc, "__Host-form_token=", 18), 0);
	snprintf(tok, sizeof(tok), "%.36s", sc + 18);
	assert_uuid4(tok);
	snprintf(
	    want, sizeof(want),
	    "__Host-form_token=%s; Path=/; Secure; HttpOnly; SameSite=Strict",
	    tok);
	assert_string_equal(sc, want);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = "/sessions";
	r.script = "/auth";
	r.ctype = "application/x-www-form-urlencoded";
	r.body = "email=cd@h.org&password=" PW;
	run(f, &r);
	assert_int_equal(f->resp.status, 200);
	assert_non_null(sc = header(f, "Set-Cookie"));
	assert_int_equal(strncmp(sc, "__Secure-session_id=", 20), 0);
	assert_non_null(strstr(sc, "; Domain=example.org;"));
	assert_non_null(strstr(sc, "; Secure;"));
}

/* With a delivery command, a reset request answers the same whether the
 * email is registered or not, and never shows the token. */
static void
test_app_reset_request_delivered(void **state)
{
	struct fx *f = *state;
	char known[512], unknown[512];

	f->set.auth.deliver_command = "cat > /dev/null";
	remake(f);
	register_ok(f, "d@d.org", PW);
	assert_int_equal(
	    form(f, "POST", "/reset_password", "email=d@d.org", NULL), 200);
	assert_null(jstr(f, "reset_token"));
	assert_string_equal(jstr(f, "email"), "d@d.org");
	snprintf(known, sizeof(known), "%s", jstr(f, "message"));
	assert_int_equal(
	    form(f, "POST", "/reset_password", "email=e@d.org", NULL), 200);
	assert_null(jstr(f, "reset_token"));
	snprintf(unknown, sizeof(unknown), "%s", jstr(f, "message"));
	assert_string_equal(known, unknown);
}

/* ---- account self-service ---- */

#define HTML "text/html,application/xhtml+xml,*/*;q=0.8"

/* A request as a browser sends it: Accept prefers HTML; a form body
 * (NULL: none), posted when method is not GET. */
static int
page(struct fx *f, const char *method, const char *path, const char *body,
     const char *cookie, const char *query)
{
	struct rq r = {0};

	r.method = method;
	r.path = path;
	r.body = body;
	r.cookie = cookie;
	r.query = query;
	r.accept = HTML;
	r.agent = "Browser/1.0";
	if (body != NULL)
		r.ctype = "application/x-www-form-urlencoded";
	run(f, &r);
	assert_true(f->resp.status != 500);
	return f->resp.status;
}

/* The id of the session of the list (GET /sessions, as JSON) that is
 * current (or not), into out. */
static void
session_id(struct fx *f, bool current, char *out, size_t size)
{
	const cJSON *list =
	                cJSON_GetObjectItemCaseSensitive(f->json, "sessions"),
	            *item;

	out[0] = '\0';
	cJSON_ArrayForEach(item, list)
	{
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		        item, "current")) == current) {
			snprintf(out, size, "%s",
			         cJSON_GetObjectItemCaseSensitive(item, "id")
			             ->valuestring);
			return;
		}
	}
}

/* PUT /password: 403 without a session, 400 for a missing field, 401
 * for a wrong current password (whatever the new one), then 400 for a
 * new one out of bounds; success ends the other sessions only. */
static void
test_app_password_change(void **state)
{
	struct fx *f = *state;
	char c1[128], c2[128];

	register_ok(f, "pw@p.org", PW);
	cookie_of(login_ok(f, "pw@p.org", PW), c1, sizeof(c1));
	cookie_of(login_ok(f, "pw@p.org", PW), c2, sizeof(c2));
	assert_int_equal(form(f, "PUT", "/password",
	                      "password=" PW "&new_password=n3w-pass", NULL),
	                 403);
	assert_string_equal(jstr(f, "message"), "not logged in");
	assert_int_equal(
	    form(f, "PUT", "/password", "new_password=n3w-pass", c1), 400);
	assert_string_equal(jstr(f, "message"), "password is required");
	assert_int_equal(form(f, "PUT", "/password", "password=wrong", c1),
	                 401);
	assert_string_equal(jstr(f, "message"), "wrong password");
	assert_int_equal(
	    form(f, "PUT", "/password", "password=wrong&new_password=abc", c1),
	    401);
	assert_int_equal(form(f, "PUT", "/password", "password=" PW, c1), 400);
	assert_string_equal(jstr(f, "message"), "new_password is required");
	assert_int_equal(
	    form(f, "PUT", "/password", "password=" PW "&new_password=abc", c1),
	    400);
	assert_string_equal(jstr(f, "message"),
	                    "password must be at least 5 characters");
	assert_int_equal(form(f, "PUT", "/password",
	                      "password=" PW "&new_password=n3w-pass", c1),
	                 200);
	assert_string_equal(jstr(f, "email"), "pw@p.org");
	assert_string_equal(jstr(f, "message"), "password changed");
	assert_int_equal(form(f, "GET", "/profile", NULL, c1), 200);
	assert_int_equal(form(f, "GET", "/profile", NULL, c2), 403);
	assert_int_equal(
	    form(f, "POST", "/sessions", "email=pw@p.org&password=" PW, NULL),
	    401);
	login_ok(f, "pw@p.org", "n3w-pass");
}

/* GET /sessions lists the account's own sessions, no token in it;
 * DELETE /sessions/<id> ends one of them, another account's id is 404
 * and ends nothing, and ending the current one clears its cookie. */
static void
test_app_sessions(void **state)
{
	struct fx *f = *state;
	char c1[128], c2[128], co[128], s1[64], s2[64], so[64];
	char other[64], mine[64], path[128];
	struct rq r = {0};

	register_ok(f, "ss@s.org", PW);
	register_ok(f, "so@s.org", PW);
	snprintf(s1, sizeof(s1), "%s", login_ok(f, "ss@s.org", PW));
	snprintf(s2, sizeof(s2), "%s", login_ok(f, "ss@s.org", PW));
	snprintf(so, sizeof(so), "%s", login_ok(f, "so@s.org", PW));
	cookie_of(s1, c1, sizeof(c1));
	cookie_of(s2, c2, sizeof(c2));
	cookie_of(so, co, sizeof(co));
	assert_int_equal(form(f, "GET", "/sessions", NULL, NULL), 403);
	r.method = "GET";
	r.path = "/sessions";
	r.cookie = c1;
	r.agent = "Agent\x01Smith";
	run(f, &r);
	check_common(f);
	assert_int_equal(f->resp.status, 200);
	assert_string_equal(jstr(f, "email"), "ss@s.org");
	assert_int_equal(
	    cJSON_GetArraySize(cJSON_GetObjectItem(f->json, "sessions")), 2);
	assert_null(strstr(f->resp.body, s1));
	assert_null(strstr(f->resp.body, s2));
	assert_null(strstr(f->resp.body, so));
	assert_non_null(strstr(f->resp.body, "\"client\":\"127.0.0.1\""));
	assert_non_null(strstr(f->resp.body, "\"last_seen\":\"2023-11-14T"));
	session_id(f, true, mine, sizeof(mine));
	session_id(f, false, other, sizeof(other));
	assert_int_equal(strlen(mine), 32);
	assert_int_equal(strlen(other), 32);
	/* Another account's id is 404, like an unknown one. */
	snprintf(path, sizeof(path), "/sessions/%s", mine);
	assert_int_equal(form(f, "DELETE", path, NULL, co), 404);
	assert_string_equal(jstr(f, "message"), "no such session");
	assert_int_equal(form(f, "DELETE",
	                      "/sessions/ffffffffffffffffffffffffffffffff",
	                      NULL, co),
	                 404);
	assert_int_equal(form(f, "DELETE", "/sessions/x'--", NULL, co), 404);
	assert_int_equal(form(f, "GET", "/profile", NULL, c1), 200);
	assert_int_equal(form(f, "DELETE", path, NULL, NULL), 403);
	/* Its other session, then its own. */
	snprintf(path, sizeof(path), "/sessions/%s", other);
	assert_int_equal(form(f, "DELETE", path, NULL, c1), 200);
	assert_string_equal(jstr(f, "message"), "session ended");
	assert_null(header(f, "Set-Cookie"));
	assert_int_equal(form(f, "GET", "/profile", NULL, c2), 403);
	assert_int_equal(form(f, "DELETE", path, NULL, c1), 404);
	snprintf(path, sizeof(path), "/sessions/%s", mine);
	assert_int_equal(form(f, "DELETE", path, NULL, c1), 200);
	assert_non_null(header(f, "Set-Cookie"));
	assert_int_equal(strncmp(header(f, "Set-Cookie"), "session_id=;", 12),
	                 0);
	assert_int_equal(form(f, "GET", "/profile", NULL, c1), 403);
	assert_int_equal(form(f, "GET", "/profile", NULL, co), 200);
	/* DELETE /sessions keeps its contract. */
	assert_int_equal(form(f, "DELETE", "/sessions", NULL, co), 302);
}

/* PUT /email without outgoing mail changes it at once; the password is
 * checked before the address. DELETE /account takes the password. */
static void
test_app_email_and_delete(void **state)
{
	struct fx *f = *state;
	char c1[128];

	register_ok(f, "em@e.org", PW);
	register_ok(f, "taken@e.org", PW);
	cookie_of(login_ok(f, "em@e.org", PW), c1, sizeof(c1));
	assert_int_equal(
	    form(f, "PUT", "/email", "password=bad&new_email=x", c1), 401);
	assert_int_equal(form(f, "PUT", "/email", "password=" PW, c1), 400);
	assert_string_equal(jstr(f, "message"), "new_email is required");
	assert_int_equal(
	    form(f, "PUT", "/email", "password=" PW "&new_email=x", c1), 400);
	assert_string_equal(jstr(f, "message"), "invalid email");
	assert_int_equal(form(f, "PUT", "/email",
	                      "password=" PW "&new_email=Taken@e.org", c1),
	                 400);
	assert_string_equal(jstr(f, "message"), "email already registered");
	assert_int_equal(
	    form(f, "PUT", "/email", "password=" PW "&new_email=new@e.org", c1),
	    200);
	assert_string_equal(jstr(f, "email"), "new@e.org");
	assert_string_equal(jstr(f, "message"), "email changed");
	assert_int_equal(form(f, "GET", "/profile", NULL, c1), 200);
	assert_string_equal(jstr(f, "email"), "new@e.org");

	assert_int_equal(form(f, "DELETE", "/account", NULL, c1), 400);
	assert_int_equal(form(f, "DELETE", "/account", "password=bad", c1),
	                 401);
	assert_int_equal(form(f, "DELETE", "/account", "password=" PW, NULL),
	                 403);
	assert_int_equal(form(f, "DELETE", "/account", "password=" PW, c1),
	                 200);
	assert_string_equal(jstr(f, "email"), "new@e.org");
	assert_string_equal(jstr(f, "message"), "account deleted");
	assert_int_equal(strncmp(header(f, "Set-Cookie"), "session_id=;", 12),
	                 0);
	assert_int_equal(form(f, "GET", "/profile", NULL, c1), 403);
	assert_int_equal(
	    form(f, "POST", "/sessions", "email=new@e.org&password=" PW, NULL),
	    401);
}

/* Email links: with verification on, log-in says "email not verified"
 * only to the right password; a link request answers the same for any
 * email; a wrong link is 403. */
static void
test_app_verify_email(void **state)
{
	struct fx *f = *state;
	char known[256];

	f->set.auth.deliver_command = "cat > /dev/null";
	f->set.auth.verify_email = true;
	f->set.auth.link_ttl = 3600;
	remake(f);
	register_ok(f, "v@v.org", PW);
	assert_int_equal(
	    form(f, "POST", "/sessions", "email=v@v.org&password=bad", NULL),
	    401);
	assert_int_equal(
	    form(f, "POST", "/sessions", "email=v@v.org&password=" PW, NULL),
	    403);
	assert_string_equal(jstr(f, "message"), "email not verified");
	assert_null(header(f, "Set-Cookie"));
	assert_int_equal(
	    form(f, "POST", "/verify_email", "email=v@v.org", NULL), 200);
	snprintf(known, sizeof(known), "%s", jstr(f, "message"));
	assert_int_equal(
	    form(f, "POST", "/verify_email", "email=no@v.org", NULL), 200);
	assert_string_equal(jstr(f, "message"), known);
	assert_int_equal(form(f, "POST", "/verify_email", NULL, NULL), 400);
	assert_int_equal(form(f, "PUT", "/verify_email",
	                      "token=00000000-0000-4000-8000-000000000000",
	                      NULL),
	                 403);
	assert_string_equal(jstr(f, "message"), "invalid or expired link");
	assert_int_equal(form(f, "PUT", "/verify_email", NULL, NULL), 400);
	assert_string_equal(jstr(f, "message"), "token is required");
}

/* A form shown again after an error keeps what was typed: the fields
 * read before the required ones are checked stay valid (the body is
 * decoded once). */
static void
test_app_form_again_keeps_fields(void **state)
{
	struct fx *f = *state;

	assert_int_equal(page(f, "POST", "/sessions",
	                      "email=kept@p.org&next=/private/a.txt", NULL,
	                      NULL),
	                 400);
	assert_non_null(strstr(f->resp.body, "password is required"));
	assert_non_null(
	    strstr(f->resp.body, "name=\"next\" value=\"/private/a.txt\""));
	assert_non_null(strstr(f->resp.body, "value=\"kept@p.org\""));
	assert_int_equal(page(f, "POST", "/reset_password",
	                      "_method=PUT&email=kept@p.org&reset_token=tok-1",
	                      NULL, NULL),
	                 403);
	assert_non_null(strstr(f->resp.body, "tok-1"));
	assert_non_null(strstr(f->resp.body, "kept@p.org"));
}

/* The account page: for a signed-in browser, its forms and sessions;
 * a change posted from it comes back to it, an error shows it again
 * with the contract's status. */
static void
test_app_account_page(void **state)
{
	static const char *const ids[] = {
	    "id=\"password-change\"",
	    "id=\"email-change\"",
	    "id=\"sessions\"",
	    "id=\"account-delete\"",
	    "name=\"_form_token\"",
	    "This session",
	    "Browser/1.0",
	    "action=\"/sessions/",
	};
	struct fx *f = *state;
	char c1[128], ck[256];
	const char *csp, *body;
	size_t i;

	register_ok(f, "pg@p.org", PW);
	assert_int_equal(page(f, "POST", "/sessions",
	                      "email=pg@p.org&password=" PW, NULL, NULL),
	                 303);
	cookie_of(f->sid, c1, sizeof(c1));
	assert_int_equal(page(f, "GET", "/account", NULL, NULL, NULL), 403);
	assert_int_equal(page(f, "GET", "/account", NULL, c1, NULL), 200);
	assert_int_equal(strncmp(header(f, "Content-Type"), "text/html", 9), 0);
	csp = header(f, "Content-Security-Policy");
	assert_non_null(csp);
	assert_non_null(strstr(csp, "default-src 'none'"));
	body = f->resp.body;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		print_message("%s\n", ids[i]);
		assert_non_null(strstr(body, ids[i]));
	}
	assert_null(strstr(body, f->sid));
	assert_null(strstr(body, "<script"));
	/* Only known notices, in the page's own words. */
	assert_int_equal(
	    page(f, "GET", "/account", NULL, c1, "notice=<b>x</b>"), 200);
	assert_null(strstr(f->resp.body, "id=\"notice\""));
	assert_int_equal(
	    page(f, "GET", "/account", NULL, c1, "notice=password"), 200);
	assert_non_null(strstr(f->resp.body, "id=\"notice\""));
	/* The profile page links to it. */
	assert_int_equal(page(f, "GET", "/profile", NULL, c1, NULL), 200);
	assert_non_null(strstr(f->resp.body, "href=\"/account\""));
	/* A wrong password: the account page again, 401, with the error. */
	assert_int_equal(page(f, "PUT", "/password",
	                      "password=bad&new_password=n3w-pass", c1, NULL),
	                 401);
	assert_non_null(strstr(f->resp.body, "id=\"error\""));
	assert_non_null(strstr(f->resp.body, "wrong password"));
	assert_non_null(strstr(f->resp.body, "id=\"password-change\""));
	assert_int_equal(page(f, "PUT", "/password",
	                      "password=" PW "&new_password=n3w-pass", c1,
	                      NULL),
	                 303);
	assert_string_equal(header(f, "Location"), "/account?notice=password");
	/* GET /sessions sends a browser to the page. */
	assert_int_equal(page(f, "GET", "/sessions", NULL, c1, NULL), 303);
	assert_string_equal(header(f, "Location"), "/account");
	/* Deleting the account ends on the log-in page. */
	snprintf(ck, sizeof(ck), "%s", c1);
	assert_int_equal(
	    page(f, "DELETE", "/account", "password=n3w-pass", ck, NULL), 303);
	assert_string_equal(header(f, "Location"), "/login?notice=deleted");
	assert_int_equal(page(f, "GET", "/account", NULL, ck, NULL), 403);
}

static void
test_app_password_messages(void **state)
{
	struct fx *f = *state;

	assert_int_equal(form(f, "POST", "/users",
	                      "email=pm@x.org&password=tab%09inside", NULL),
	                 400);
	assert_non_null(strstr(jstr(f, "message"), "control"));
	f->set.auth.reject_common = true;
	remake(f);
	assert_int_equal(form(f, "POST", "/users",
	                      "email=pm@x.org&password=123456789", NULL),
	                 400);
	assert_non_null(strstr(jstr(f, "message"), "common"));
}

/* ---- faults: 503 with a JSON message ---- */

static void
test_app_db_missing_is_503(void **state)
{
	struct fx *f = *state;
	char bad[192];

	snprintf(bad, sizeof(bad), "%s/no/such/dir/auth.db", f->db.dir);
	f->set.auth.db_path = bad;
	remake(f);
	assert_int_equal(app_init_db(f->app), ERR_DB);
	assert_int_equal(
	    form(f, "POST", "/users", "email=a@b.org&password=" PW, NULL), 503);
	assert_int_equal(
	    form(f, "POST", "/sessions", "email=a@b.org&password=" PW, NULL),
	    503);
	assert_int_equal(
	    form(f, "GET", "/profile", NULL,
	         "session_id=00000000-0000-4000-8000-000000000000"),
	    503);
	assert_int_equal(
	    form(f, "POST", "/reset_password", "email=a@b.org", NULL), 503);
	/* Input errors still get their 4xx, and / needs no database. */
	assert_int_equal(form(f, "POST", "/users", "email=a@b.org", NULL), 400);
	assert_int_equal(form(f, "GET", "/profile", NULL, NULL), 403);
	assert_int_equal(form(f, "GET", "/", NULL, NULL), 200);
}

static void
test_app_db_locked_is_503(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = NULL;

	f->set.auth.busy_ms = 50;
	remake(f);
	register_ok(f, "k@k.org", PW);
	assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(
	    form(f, "POST", "/sessions", "email=k@k.org&password=" PW, NULL),
	    503);
	assert_null(header(f, "Set-Cookie"));
	assert_int_equal(
	    form(f, "POST", "/users", "email=k2@k.org&password=" PW, NULL),
	    503);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	/* Nothing committed was lost; the service recovers. */
	login_ok(f, "k@k.org", PW);
	register_ok(f, "k2@k.org", PW);
}

static void
test_app_read_error_passed_through(void **state)
{
	static const struct {
		enum err e;
		int status;
	} cases[] = {
	    {ERR_TOO_LARGE, 413}, {ERR_SHORT_BODY, 400}, {ERR_HEADER_SIZE, 431},
	    {ERR_INVAL, 400},     {ERR_NOMEM, 503},      {ERR_MEDIA_TYPE, 415},
	};
	static char get[] = "GET", root[] = "/", mount[] = "";
	struct fx *f = *state;
	struct http_request req;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset_answer(f);
		memset(&req, 0, sizeof(req));
		req.method = HTTP_GET;
		req.method_name = get;
		req.path = root;
		req.script_name = mount;
		http_response_init(&f->resp);
		app_handle(f->app, &req, cases[i].e, &f->resp);
		f->json = cJSON_Parse(f->resp.body);
		check_common(f);
		assert_int_equal(f->resp.status, cases[i].status);
	}
}

/* One app serves many requests, as under FastCGI. */
static void
test_app_many_requests(void **state)
{
	struct fx *f = *state;
	char body[128], c[128];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(body, sizeof(body),
		         "email=user%d@many.org&password=%s", i, PW);
		assert_int_equal(form(f, "POST", "/users", body, NULL), 200);
		assert_int_equal(form(f, "POST", "/sessions", body, NULL), 200);
		assert_int_equal(form(f, "GET", "/profile", NULL,
		                      cookie_of(f->sid, c, sizeof(c))),
		                 200);
		assert_int_equal(form(f, "DELETE", "/sessions", NULL, c), 302);
	}
}

static void
test_app_free_null(void **state)
{
	(void)state;
	app_free(NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_app_next_never_off_site),
	    T(test_app_gate_route),
	    T(test_app_authorizer),
	    T(test_app_trusted_proxies),
	    cmocka_unit_test(test_app_pages_escape_everything),
	    cmocka_unit_test(test_app_qr_svg),
	    cmocka_unit_test(test_app_settings_defaults),
	    cmocka_unit_test(test_app_settings_hardened),
	    cmocka_unit_test(test_app_settings_each_variable),
	    cmocka_unit_test(test_app_settings_key_and_reset_sessions),
	    T(test_app_settings_file),
	    cmocka_unit_test(test_app_settings_empty_is_default),
	    cmocka_unit_test(test_app_settings_bad_values),
	    T(test_app_index),
	    T(test_app_head),
	    T(test_app_not_found),
	    T(test_app_method_not_allowed),
	    T(test_app_trailing_slash),
	    T(test_app_no_method),
	    T(test_app_register),
	    T(test_app_register_missing_fields),
	    T(test_app_register_bad_input),
	    T(test_app_register_password_too_long),
	    T(test_app_login),
	    T(test_app_cookie_attributes),
	    T(test_app_profile),
	    T(test_app_profile_expired),
	    T(test_app_logout),
	    T(test_app_reset_request),
	    T(test_app_reset_update),
	    T(test_app_body_types),
	    T(test_app_bad_requests),
	    T(test_app_short_reads),
	    T(test_app_sql_metacharacters),
	    T(test_app_throttled_429),
	    T(test_app_logout_cross_site),
	    T(test_app_hardened_cookie),
	    T(test_app_hardened_cookie_domain),
	    T(test_app_reset_request_delivered),
	    T(test_app_password_change),
	    T(test_app_sessions),
	    T(test_app_email_and_delete),
	    T(test_app_verify_email),
	    T(test_app_account_page),
	    T(test_app_form_again_keeps_fields),
	    T(test_app_password_messages),
	    T(test_app_db_missing_is_503),
	    T(test_app_db_locked_is_503),
	    T(test_app_read_error_passed_through),
	    T(test_app_many_requests),
	    T(test_app_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
