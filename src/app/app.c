/* app.c: the seven endpoints of the contract, 404 and 405, and the
 * mapping from error kinds to HTTP answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/log.h"
#include "internal.h"

/* One request in flight: what every handler gets. */
struct call {
	struct app *app;
	struct http_request *req;
	struct http_response *resp;
	struct auth_call who; /* the client, for throttling and audit */
	bool html;            /* the client prefers pages (a browser) */
	enum app_page page;   /* in html mode, the page an error re-renders */
	struct app_page_args args;           /* and what it shows */
	char form_token[AUTH_TOKEN_LEN + 1]; /* this browser's, once known */
};

typedef void (*handler_fn)(struct call *);

struct route {
	const char *path;
	enum http_method method;
	handler_fn fn;
	bool html_only; /* a page: JSON clients do not see this route */
};

/* ---- answers ---- */

/* The status that answers an error kind. */
static int
status_of(enum err e)
{
	switch (e) {
	case ERR_OK:
		return 200;
	case ERR_INVAL:
	case ERR_MISSING:
	case ERR_ENCODING:
	case ERR_SHORT_BODY:
	case ERR_TOO_MANY:
	case ERR_EMAIL:
	case ERR_PASSWORD:
	case ERR_EXISTS:
		return 400;
	case ERR_CREDENTIALS:
		return 401;
	case ERR_NOT_FOUND:
	case ERR_NO_SESSION:
	case ERR_TOKEN:
	case ERR_ORIGIN:
		return 403;
	case ERR_THROTTLED:
		return 429;
	case ERR_TOO_LARGE:
		return 413;
	case ERR_MEDIA_TYPE:
		return 415;
	case ERR_HEADER_SIZE:
		return 431;
	default:
		return 503;
	}
}

/* The message of an error kind, as clients see it. */
static const char *
message_of(enum err e)
{
	switch (e) {
	case ERR_INVAL:
		return "malformed request";
	case ERR_ENCODING:
		return "malformed encoding in request body";
	case ERR_SHORT_BODY:
		return "request body shorter than Content-Length";
	case ERR_TOO_MANY:
		return "too many fields in request body";
	case ERR_EMAIL:
		return "invalid email";
	case ERR_EXISTS:
		return "email already registered";
	case ERR_CREDENTIALS:
		return "wrong email or password";
	case ERR_NOT_FOUND:
		return "email not registered";
	case ERR_NO_SESSION:
		return "not logged in";
	case ERR_TOKEN:
		return "invalid reset token";
	case ERR_ORIGIN:
		return "cross-site request refused";
	case ERR_THROTTLED:
		return "too many attempts, try again later";
	case ERR_TOO_LARGE:
		return "request body too large";
	case ERR_MEDIA_TYPE:
		return "unsupported content type";
	case ERR_HEADER_SIZE:
		return "request header too large";
	case ERR_BUSY:
		return "service busy, try again";
	default:
		return "service unavailable";
	}
}

/* The mount point, "" at the site root. */
static const char *
base_of(const struct call *c)
{
	return c->req->script_name != NULL ? c->req->script_name : "";
}

/* The anti-forgery cookie's name: __Host- bound in the hardened
 * profile, like the session cookie. */
static const char *
form_cookie_name(const struct call *c)
{
	return c->app->set.hardened ? "__Host-form_token" : "form_token";
}

/* The value of cookie name, or NULL; caller frees. */
static char *
cookie_value(const struct call *c, const char *name)
{
	char *v = NULL;

	if (c->req->cookie == NULL ||
	    http_cookie_get(c->req->cookie, name, &v) != ERR_OK)
		return NULL;
	return v;
}

/*
 * The browser's anti-forgery token, put in every form a page shows: the
 * one its cookie holds, or a new one set in a cookie now (SameSite=Strict:
 * never sent with a request that another site starts). A form post whose
 * field matches the cookie comes from one of our pages.
 */
static enum err
form_token(struct call *c)
{
	struct http_cookie ck;
	char *v;

	if (c->args.form_token != NULL)
		return ERR_OK;
	v = cookie_value(c, form_cookie_name(c));
	if (v != NULL && auth_token_equal(v, v)) {
		memcpy(c->form_token, v, sizeof(c->form_token));
		free(v);
		c->args.form_token = c->form_token;
		return ERR_OK;
	}
	free(v);
	auth_random_token(c->app->auth, c->form_token);
	memset(&ck, 0, sizeof(ck));
	ck.name = form_cookie_name(c);
	ck.value = c->form_token;
	ck.path =
	    *base_of(c) != '\0' && !c->app->set.hardened ? base_of(c) : "/";
	ck.max_age = -1;
	ck.secure = c->app->set.cookie_secure || c->req->https;
	ck.http_only = true;
	ck.same_site = "Strict";
	c->args.form_token = c->form_token;
	return http_response_cookie(c->resp, &ck);
}

/* Render page with status, with the browser's anti-forgery token. */
static enum err
render_page(struct call *c, int status, enum app_page page)
{
	enum err e;

	if ((e = form_token(c)) != ERR_OK)
		return e;
	return app_page_render(c->resp, status, base_of(c), page, &c->args);
}

/* Answer {"message": msg} with status, or, to a browser, the current
 * page with msg as its error; on failure leave a bare 500. */
static void
answer_message(struct call *c, int status, const char *msg)
{
	enum err e;

	if (c->html && status >= 400) {
		c->args.error = msg;
		e = render_page(c, status, c->page);
	} else {
		e = http_response_message(c->resp, status, msg);
	}
	if (e != ERR_OK)
		c->resp->status = 500;
}

/* Show a page to a browser. */
static void
answer_page(struct call *c, int status, enum app_page page)
{
	if (render_page(c, status, page) != ERR_OK)
		c->resp->status = 500;
}

/* Send a browser on to path under the mount point, with 303 See Other
 * (the next request is a GET whatever this one was). */
static void
answer_see_other(struct call *c, const char *path)
{
	char location[1024];

	snprintf(location, sizeof(location), "%s%s", base_of(c), path);
	if (http_response_header(c->resp, "Location", location) != ERR_OK ||
	    http_response_body(c->resp, 303, "text/plain; charset=utf-8", "",
	                       0) != ERR_OK)
		c->resp->status = 500;
}

static void
answer_error(struct call *c, enum err e)
{
	char secs[24];

	if (err_is_fault(e))
		log_error("%s %s: %s", c->req->method_name, c->req->path,
		          err_str(e));
	answer_message(c, status_of(e), message_of(e));
	if (e == ERR_THROTTLED) {
		snprintf(secs, sizeof(secs), "%lld",
		         (long long)(c->who.retry_after > 0 ? c->who.retry_after
		                                            : 1));
		if (http_response_header(c->resp, "Retry-After", secs) !=
		    ERR_OK)
			c->resp->status = 500;
	}
}

/* Answer 200 {"email": email} plus, when key is not NULL, key: value:
 * the shape of every successful answer about an account. */
static void
answer_email(struct call *c, const char *email, const char *key,
             const char *value)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "email", email) == NULL ||
	    (key != NULL && cJSON_AddStringToObject(o, key, value) == NULL) ||
	    http_response_json(c->resp, 200, o) != ERR_OK)
		answer_error(c, ERR_NOMEM);
	cJSON_Delete(o);
}

static enum err
set_session_cookie(struct call *c, const char *value, long max_age)
{
	struct http_cookie ck;

	memset(&ck, 0, sizeof(ck));
	ck.name = c->app->set.cookie_name;
	ck.value = value;
	/* A __Host- cookie must have Path=/ (RFC 6265bis 4.1.3.2). */
	ck.path =
	    *base_of(c) != '\0' && !c->app->set.hardened ? base_of(c) : "/";
	ck.max_age = max_age;
	ck.secure = c->app->set.cookie_secure || c->req->https;
	ck.http_only = true;
	ck.same_site = "Lax";
	return http_response_cookie(c->resp, &ck);
}

/* ---- input ---- */

/* Decode the body and fetch required fields, in order; the first one
 * missing or empty is answered "<name> is required". Returns false when
 * an answer was made. */
static bool
fields_get(struct call *c, const char *const *names, const char **values,
           size_t n)
{
	char msg[64];
	enum err e;
	size_t i;

	if ((e = http_request_decode(c->req, &c->app->set.limits)) != ERR_OK) {
		answer_error(c, e);
		return false;
	}
	/* A form shown again keeps the email that was typed. */
	if (c->args.email == NULL)
		c->args.email = http_request_field(c->req, "email");
	for (i = 0; i < n; i++) {
		values[i] = http_request_field(c->req, names[i]);
		if (values[i] == NULL || values[i][0] == '\0') {
			snprintf(msg, sizeof(msg), "%s is required", names[i]);
			answer_message(c, 400, msg);
			return false;
		}
	}
	return true;
}

/* The session cookie's value, or NULL; caller frees. */
static char *
session_cookie(const struct call *c)
{
	return cookie_value(c, c->app->set.cookie_name);
}

/* Answer a password that breaks a rule, naming the rule. */
static void
answer_password(struct call *c, const char *password)
{
	enum auth_pw_problem why = AUTH_PW_SHORT;
	char msg[80];

	auth_check_password(c->app->auth, password, &why);
	switch (why) {
	case AUTH_PW_LONG:
		snprintf(msg, sizeof(msg), "password must be at most %zu bytes",
		         auth_password_max(c->app->auth));
		break;
	case AUTH_PW_CONTROL:
		snprintf(msg, sizeof(msg),
		         "password must not contain control characters");
		break;
	case AUTH_PW_COMMON:
		snprintf(msg, sizeof(msg),
		         "password is too common, choose another");
		break;
	default:
		snprintf(msg, sizeof(msg),
		         "password must be at least %zu characters",
		         c->app->set.auth.password_min);
		break;
	}
	answer_message(c, 400, msg);
}

/* Scheme and authority of an origin or URL ("https://host:port"), for
 * comparison: its length in s, up to the path. */
static size_t
origin_len(const char *s)
{
	const char *p = strstr(s, "://");

	if (p == NULL)
		return strlen(s);
	p += 3;
	return (size_t)(p - s) + strcspn(p, "/?#");
}

/* Is the origin o[0..n) among the allowed ones? */
static bool
origin_allowed(const struct call *c, const char *o, size_t n)
{
	const char *list = c->app->set.allowed_origins, *p;
	char own[512];
	size_t len;

	if (list == NULL) {
		/* The request's own scheme and host. */
		if (c->req->host == NULL)
			return false;
		snprintf(own, sizeof(own), "%s://%s",
		         c->req->https ? "https" : "http", c->req->host);
		return strlen(own) == n && strncasecmp(own, o, n) == 0;
	}
	for (p = list; *p != '\0'; p += len) {
		p += strspn(p, " ,");
		len = strcspn(p, " ,");
		if (len == n && len > 0 && strncasecmp(p, o, n) == 0)
			return true;
	}
	return false;
}

/*
 * Cross-site request check for every change: the Origin header, or
 * lacking it the Referer, must name an allowed origin.
 * A request with neither (scripts, curl, requests) passes: the cookie's
 * SameSite=Lax already keeps browsers from sending it cross-site on
 * anything but a top-level GET.
 */
static bool
same_origin(struct call *c)
{
	const char *o =
	    c->req->origin != NULL ? c->req->origin : c->req->referer;
	char *cookie;
	bool ok;

	if (o == NULL)
		return true;
	if (origin_allowed(c, o, origin_len(o)))
		return true;
	/* Our pages say Referrer-Policy: no-referrer, so a browser posts
	 * their forms with "Origin: null" (as it would from a sandboxed
	 * frame): such a post must carry the token of our forms, which
	 * matches a cookie no other site can send or read. */
	if (strcmp(o, "null") == 0) {
		cookie = cookie_value(c, form_cookie_name(c));
		ok = auth_token_equal(http_request_field(c->req, "_form_token"),
		                      cookie);
		free(cookie);
		if (ok)
			return true;
	}
	log_audit("cross_site_refused", 0, c->who.client);
	answer_error(c, ERR_ORIGIN);
	return false;
}

/* ---- handlers ---- */

static void
h_index(struct call *c)
{
	if (c->html)
		answer_page(c, 200, APP_PAGE_HOME);
	else
		answer_message(c, 200, "Bienvenue");
}

/* A load balancer's probe: 200 when the database answers, 503 when not;
 * no account data either way. */
static void
h_health(struct call *c)
{
	enum err e = auth_health(c->app->auth);
	cJSON *o;

	if (e != ERR_OK) {
		answer_error(c, e);
		return;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "status", "ok") == NULL ||
	    http_response_json(c->resp, 200, o) != ERR_OK)
		answer_error(c, ERR_NOMEM);
	cJSON_Delete(o);
}

static void
h_register(struct call *c)
{
	static const char *const names[] = {"email", "password"};
	const char *v[2];
	struct auth_user u;
	enum err e;

	c->page = APP_PAGE_REGISTER;
	if (!fields_get(c, names, v, 2))
		return;
	e = auth_register(c->app->auth, &c->who, v[0], v[1], &u);
	if (e == ERR_PASSWORD)
		answer_password(c, v[1]);
	else if (e != ERR_OK)
		answer_error(c, e);
	else if (c->html)
		answer_see_other(c, "/login?notice=registered");
	else
		answer_email(c, u.email, "message", "user created");
}

static void
h_login(struct call *c)
{
	static const char *const names[] = {"email", "password"};
	char sid[AUTH_TOKEN_LEN + 1];
	const char *v[2];
	struct auth_user u;
	enum err e;

	c->page = APP_PAGE_LOGIN;
	if (!fields_get(c, names, v, 2))
		return;
	e = auth_login(c->app->auth, &c->who, v[0], v[1], &u, sid);
	if (e != ERR_OK) {
		answer_error(c, e);
		return;
	}
	if ((e = set_session_cookie(c, sid, -1)) != ERR_OK)
		answer_error(c, e);
	else if (c->html)
		answer_see_other(c, "/profile");
	else
		answer_email(c, u.email, "message", "logged in");
	explicit_bzero(sid, sizeof(sid));
}

static void
h_logout(struct call *c)
{
	char location[1024];
	char *sid;
	enum err e;

	c->page = APP_PAGE_DENIED;
	sid = session_cookie(c);
	e = auth_logout(c->app->auth, &c->who, sid);
	free(sid);
	if (e != ERR_OK) {
		answer_error(c, e);
		return;
	}
	if ((e = set_session_cookie(c, "", 0)) != ERR_OK) {
		answer_error(c, e == ERR_NOMEM ? e : ERR_INTERNAL);
		return;
	}
	if (c->html) {
		answer_see_other(c, "/login?notice=logged_out");
		return;
	}
	snprintf(location, sizeof(location), "%s/", base_of(c));
	if (http_response_header(c->resp, "Location", location) != ERR_OK) {
		answer_error(c, ERR_INTERNAL);
		return;
	}
	answer_message(c, 302, "logged out");
}

static void
h_profile(struct call *c)
{
	char *sid = session_cookie(c);
	struct auth_user u;
	enum err e;

	c->page = APP_PAGE_DENIED;
	e = auth_session_user(c->app->auth, &c->who, sid, &u);
	free(sid);
	if (e != ERR_OK) {
		answer_error(c, e);
	} else if (c->html) {
		c->args.email = u.email;
		answer_page(c, 200, APP_PAGE_PROFILE);
	} else {
		answer_email(c, u.email, NULL, NULL);
	}
}

static void
h_reset_request(struct call *c)
{
	static const char *const names[] = {"email"};
	char token[AUTH_TOKEN_LEN + 1];
	const char *v[1];
	struct auth_user u;
	enum err e;

	c->page = APP_PAGE_RESET_ASK;
	if (!fields_get(c, names, v, 1))
		return;
	e = auth_reset_request(c->app->auth, &c->who, v[0], &u, token);
	if (c->app->set.auth.deliver_command != NULL &&
	    (e == ERR_OK || e == ERR_NOT_FOUND)) {
		/* The token went to its owner: the same answer whether the
		 * email is registered or not. */
		c->args.delivered = true;
		if (c->html)
			answer_page(c, 200, APP_PAGE_RESET_SENT);
		else
			answer_email(
			    c, v[0], "message",
			    "if this email is registered, a reset token is"
			    " on its way");
	} else if (e != ERR_OK) {
		answer_error(c, e);
	} else if (c->html) {
		c->args.email = u.email;
		c->args.token = token;
		answer_page(c, 200, APP_PAGE_RESET_SENT);
	} else {
		answer_email(c, u.email, "reset_token", token);
	}
	explicit_bzero(token, sizeof(token));
}

static void
h_reset_update(struct call *c)
{
	static const char *const names[] = {"email", "reset_token"};
	const char *v[2], *pw;
	struct auth_user u;
	enum err e;

	c->page = APP_PAGE_RESET_SET;
	if (c->html) {
		/* A failed attempt shows the same form again. */
		c->args.email = http_request_field(c->req, "email");
		c->args.token = http_request_field(c->req, "reset_token");
	}
	if (!fields_get(c, names, v, 2))
		return;
	/* The token is checked first: with a wrong one the answer is 403
	 * whatever the new password is, or whether there is one. */
	if ((pw = http_request_field(c->req, "new_password")) == NULL)
		pw = "";
	e = auth_reset_update(c->app->auth, &c->who, v[0], v[1], pw, &u);
	if (e == ERR_PASSWORD && *pw == '\0')
		answer_message(c, 400, "new_password is required");
	else if (e == ERR_PASSWORD)
		answer_password(c, pw);
	else if (e != ERR_OK)
		answer_error(c, e);
	else if (c->html)
		answer_see_other(c, "/login?notice=password");
	else
		answer_email(c, u.email, "message", "Password updated");
}

/* ---- pages (browsers only) ---- */

/* The value of a query-string parameter, or NULL; parsed on demand into
 * fields that the request does not own, so they are freed here. */
static const char *
query_get(struct call *c, struct http_fields *q, const char *name)
{
	if (q->n == 0 && c->req->query != NULL &&
	    http_form_parse(c->req->query, strlen(c->req->query),
	                    c->app->set.limits.max_fields, q) != ERR_OK)
		http_fields_clear(q);
	return http_fields_get(q, name);
}

static void
h_page_register(struct call *c)
{
	answer_page(c, 200, APP_PAGE_REGISTER);
}

static void
h_page_login(struct call *c)
{
	static const char *const notices[][2] = {
	    {"registered", "Your account is created: you can log in."},
	    {"password", "Your password is updated: log in with the new one."},
	    {"logged_out", "You are logged out."},
	};
	struct http_fields q = {0};
	const char *n = query_get(c, &q, "notice");
	size_t i;

	/* Only known notices, in our own words: nothing from the URL is
	 * echoed. */
	for (i = 0; n != NULL && i < sizeof(notices) / sizeof(notices[0]); i++)
		if (strcmp(n, notices[i][0]) == 0)
			c->args.notice = notices[i][1];
	answer_page(c, 200, APP_PAGE_LOGIN);
	http_fields_clear(&q);
}

static void
h_page_reset(struct call *c)
{
	struct http_fields q = {0};

	c->args.email = query_get(c, &q, "email");
	c->args.token = query_get(c, &q, "reset_token");
	answer_page(c, 200,
	            c->args.email != NULL && c->args.token != NULL
	                ? APP_PAGE_RESET_SET
	                : APP_PAGE_RESET_ASK);
	http_fields_clear(&q);
}

static void
h_style(struct call *c)
{
	if (app_page_style(c->resp) != ERR_OK)
		c->resp->status = 500;
}

static const struct route routes[] = {
    {"/", HTTP_GET, h_index, false},
    {"/users", HTTP_POST, h_register, false},
    {"/sessions", HTTP_POST, h_login, false},
    {"/sessions", HTTP_DELETE, h_logout, false},
    {"/profile", HTTP_GET, h_profile, false},
    {"/reset_password", HTTP_POST, h_reset_request, false},
    {"/reset_password", HTTP_PUT, h_reset_update, false},
    {"/reset_password", HTTP_GET, h_page_reset, true},
    {"/register", HTTP_GET, h_page_register, true},
    {"/login", HTTP_GET, h_page_login, true},
    {"/style.css", HTTP_GET, h_style, false},
    {"/health", HTTP_GET, h_health, false},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Is route r there for this client? Pages are for browsers only, so
 * that JSON clients see exactly the contract's routes. */
static bool
route_visible(const struct call *c, const struct route *r)
{
	return !r->html_only || c->html;
}

/* 405 with the methods the path allows (HEAD wherever GET is). */
static void
answer_not_allowed(struct call *c, const char *path)
{
	char allow[64] = "";
	size_t i;

	for (i = 0; i < NROUTES; i++) {
		if (strcmp(routes[i].path, path) != 0 ||
		    !route_visible(c, &routes[i]))
			continue;
		if (allow[0] != '\0')
			strcat(allow, ", ");
		strcat(allow, http_method_name(routes[i].method));
		if (routes[i].method == HTTP_GET)
			strcat(allow, ", HEAD");
	}
	answer_message(c, 405, "method not allowed");
	if (http_response_header(c->resp, "Allow", allow) != ERR_OK)
		answer_error(c, ERR_NOMEM);
}

static void
route(struct call *c)
{
	enum http_method m = c->req->method;
	bool known = false;
	size_t i;

	if (m == HTTP_HEAD)
		m = HTTP_GET;
	for (i = 0; i < NROUTES; i++) {
		if (strcmp(routes[i].path, c->req->path) != 0 ||
		    !route_visible(c, &routes[i]))
			continue;
		known = true;
		if (routes[i].method == m) {
			routes[i].fn(c);
			return;
		}
	}
	if (known)
		answer_not_allowed(c, c->req->path);
	else
		answer_message(c, 404, "not found");
}

/* Is the request's body a form (the only kind that may carry _method)? */
static bool
is_form(const struct http_request *req)
{
	const char *t = req->content_type;

	return t != NULL &&
	       (strncasecmp(t, "application/x-www-form-urlencoded", 33) == 0 ||
	        strncasecmp(t, "multipart/form-data", 19) == 0);
}

/*
 * HTML forms can only GET and POST: a POSTed form with a field
 * _method=DELETE or _method=PUT is taken as that method. Returns false
 * when the body could not be decoded (answered then).
 */
static bool
method_override(struct call *c)
{
	const char *m;
	enum err e;

	if (c->req->method != HTTP_POST || !is_form(c->req))
		return true;
	if ((e = http_request_decode(c->req, &c->app->set.limits)) != ERR_OK) {
		answer_error(c, e);
		return false;
	}
	if ((m = http_request_field(c->req, "_method")) == NULL)
		return true;
	if (strcasecmp(m, "DELETE") == 0)
		c->req->method = HTTP_DELETE;
	else if (strcasecmp(m, "PUT") == 0)
		c->req->method = HTTP_PUT;
	return true;
}

/* Does resp have a header called name? */
static bool
has_header(const struct http_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return true;
	return false;
}

/* Is the answer JSON (not a page, a style sheet or a redirect)? */
static bool
is_json(const struct http_response *resp)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, "Content-Type") == 0)
			return strcmp(resp->headers[i].value,
			              "application/json") == 0;
	return false;
}

/* Headers every answer carries: no caching of account data, no type
 * sniffing, no referrer, no framing; JSON answers also forbid any active
 * content and are a download rather than a page if a browser opens one
 * directly. Pages bring their own Content-Security-Policy. */
static void
common_headers(struct http_response *r, bool https)
{
	static const char *const all[][2] = {
	    {"Cache-Control", "no-store"},
	    {"X-Content-Type-Options", "nosniff"},
	    {"Referrer-Policy", "no-referrer"},
	    {"X-Frame-Options", "DENY"},
	};
	static const char *const json[][2] = {
	    {"Content-Security-Policy",
	     "default-src 'none'; frame-ancestors 'none'"},
	    {"Content-Disposition", "attachment; filename=\"api.json\""},
	};
	bool ok = true;
	size_t i;

	if (r->status == 500)
		return;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		ok = ok &&
		     http_response_header(r, all[i][0], all[i][1]) == ERR_OK;
	if (is_json(r))
		for (i = 0; i < sizeof(json) / sizeof(json[0]); i++)
			if (!has_header(r, json[i][0]))
				ok = ok &&
				     http_response_header(r, json[i][0],
				                          json[i][1]) == ERR_OK;
	/* Over HTTPS, tell the browser to stay on it. */
	if (https)
		ok = ok && http_response_header(r, "Strict-Transport-Security",
		                                "max-age=31536000") == ERR_OK;
	if (!ok)
		r->status = 500;
}

void
app_unavailable(struct http_response *resp, const char *msg, bool https)
{
	if (http_response_message(resp, 503, msg) != ERR_OK)
		resp->status = 500;
	common_headers(resp, https);
}

/* ---- the context ---- */

enum err
app_new(struct app **out, const struct app_settings *s)
{
	struct app *app;
	enum err e;

	if ((app = calloc(1, sizeof(*app))) == NULL)
		return ERR_NOMEM;
	app->set = *s;
	if ((e = auth_new(&app->auth, &app->set.auth)) != ERR_OK) {
		free(app);
		return e;
	}
	*out = app;
	return ERR_OK;
}

void
app_free(struct app *app)
{
	if (app == NULL)
		return;
	auth_free(app->auth);
	free(app);
}

enum err
app_init_db(struct app *app)
{
	return auth_init_store(app->auth);
}

void
app_handle(struct app *app, struct http_request *req, enum err read_err,
           struct http_response *resp)
{
	struct call c;

	memset(&c, 0, sizeof(c));
	c.app = app;
	c.req = req;
	c.resp = resp;
	c.who.client = req->remote_addr;
	c.html =
	    http_accept_prefers(req->accept, "text/html", "application/json");
	c.page = APP_PAGE_HOME;

	if (read_err != ERR_OK)
		answer_error(&c, read_err);
	else if (req->method_name == NULL || req->method_name[0] == '\0')
		answer_message(&c, 400, "REQUEST_METHOD is required");
	else if (!method_override(&c))
		; /* answered */
	else if (req->method != HTTP_GET && req->method != HTTP_HEAD &&
	         !same_origin(&c))
		; /* answered */
	else
		route(&c);
	common_headers(resp, req->https);
}
