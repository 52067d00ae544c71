/* routes.c: the route table of the HTTP contract, its handlers, and the
 * pages browsers get besides (GET only, for clients that prefer HTML). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef void (*handler_fn)(struct call *);

struct route {
	const char *path;
	enum http_method method;
	handler_fn fn;
	bool html_only; /* a page: JSON clients do not see this route */
};

char *
app_session_value(const struct call *c)
{
	return app_cookie_value(c, c->app->set.cookie_name);
}

/* ---- the contract (API.md) ---- */

static void
h_index(struct call *c)
{
	if (c->html)
		app_answer_page(c, 200, APP_PAGE_HOME);
	else
		app_answer_message(c, 200, "Bienvenue");
}

static void
h_register(struct call *c)
{
	static const char *const names[] = {"email", "password"};
	const char *v[2];
	struct auth_user u;
	enum err e;

	c->page = APP_PAGE_REGISTER;
	if (!app_fields(c, names, v, 2))
		return;
	e = auth_register(c->app->auth, &c->who, v[0], v[1], &u);
	if (e == ERR_PASSWORD)
		app_answer_password(c, v[1]);
	else if (e != ERR_OK)
		app_answer_error(c, e);
	else if (c->html)
		app_answer_see_other(c, c->app->set.auth.verify_email
		                            ? "/login?notice=verify"
		                            : "/login?notice=registered");
	else
		app_answer_email(c, u.email, "message", "user created");
}

/* A browser's log-in that waits for its code: the page that asks for
 * it, bound to the pending log-in; 200 when no code was sent yet, 401
 * with the error after a wrong one. */
static void
answer_code_page(struct call *c, const struct auth_second *second)
{
	c->args.pending_login = second->pending;
	c->page = APP_PAGE_LOGIN_CODE;
	if ((second->code != NULL && *second->code != '\0') ||
	    (second->recovery_code != NULL && *second->recovery_code != '\0'))
		app_answer_error(c, ERR_CODE);
	else {
		c->args.notice = "Your password is right. Now the code that"
		                 " your authenticator app shows.";
		app_answer_page(c, 200, APP_PAGE_LOGIN_CODE);
	}
}

static void
h_login(struct call *c)
{
	static const char *const names[] = {"email", "password"};
	char sid[AUTH_TOKEN_LEN + 1];
	struct auth_second second;
	const char *v[2], *next, *pending = NULL;
	struct auth_user u;
	enum err e;

	c->page = APP_PAGE_LOGIN;
	/* A form shown again keeps where to go after log-in. */
	if (c->html && app_next_ok(c, http_request_field(c->req, "next")))
		c->args.next = http_request_field(c->req, "next");
	app_second(c, &second);
	if (c->html) {
		/* A right password that waits for its code makes a pending
		 * log-in bound to this browser's form token: the page that
		 * asks for the code sends it back instead of the password. */
		if ((e = app_form_token(c)) != ERR_OK) {
			app_answer_error(c, e);
			return;
		}
		second.form_token = c->form_token;
		pending = http_request_field(c->req, "pending");
	}
	if (pending != NULL) {
		e = auth_login_finish(c->app->auth, &c->who, pending, &second,
		                      &u, sid);
	} else {
		if (!app_fields(c, names, v, 2))
			return;
		e = auth_login(c->app->auth, &c->who, v[0], v[1], &second, &u,
		               sid);
	}
	if (e == ERR_CODE && second.pending[0] != '\0') {
		answer_code_page(c, &second);
		explicit_bzero(second.pending, sizeof(second.pending));
		return;
	}
	if (e != ERR_OK) {
		app_answer_error(c, e);
		return;
	}
	next = http_request_field(c->req, "next");
	if ((e = app_session_cookie(c, sid, -1)) != ERR_OK)
		app_answer_error(c, e);
	else if (c->html && app_next_ok(c, next))
		app_answer_location(c, 303, next);
	else if (c->html && second.recovery_used)
		app_answer_see_other(c, "/account?notice=recovery_used");
	else if (c->html)
		app_answer_see_other(c, "/profile");
	else
		app_answer_email(c, u.email, "message", "logged in");
	explicit_bzero(sid, sizeof(sid));
}

static void
h_logout(struct call *c)
{
	char *sid;
	enum err e;

	c->page = APP_PAGE_DENIED;
	sid = app_session_value(c);
	e = auth_logout(c->app->auth, &c->who, sid);
	free(sid);
	if (e != ERR_OK) {
		app_answer_error(c, e);
		return;
	}
	if ((e = app_session_cookie(c, "", 0)) != ERR_OK) {
		app_answer_error(c, e == ERR_NOMEM ? e : ERR_INTERNAL);
		return;
	}
	if (c->html)
		app_answer_see_other(c, "/login?notice=logged_out");
	else
		app_answer_found(c, "/", "logged out");
}

static void
h_profile(struct call *c)
{
	char *sid = app_session_value(c);
	struct auth_user u;
	enum err e;

	c->page = APP_PAGE_DENIED;
	e = auth_session_user(c->app->auth, &c->who, sid, &u);
	free(sid);
	if (e != ERR_OK) {
		app_answer_error(c, e);
	} else if (c->html) {
		c->args.email = u.email;
		app_answer_page(c, 200, APP_PAGE_PROFILE);
	} else {
		app_answer_email(c, u.email, NULL, NULL);
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
	if (!app_fields(c, names, v, 1))
		return;
	e = auth_reset_request(c->app->auth, &c->who, v[0], &u, token);
	if (c->app->set.auth.deliver_command != NULL &&
	    (e == ERR_OK || e == ERR_NOT_FOUND)) {
		/* The token went to its owner: the same answer whether the
		 * email is registered or not. */
		if (c->html)
			app_answer_page(c, 200, APP_PAGE_RESET_SENT);
		else
			app_answer_email(
			    c, v[0], "message",
			    "if this email is registered, a reset token is"
			    " on its way");
	} else if (e != ERR_OK) {
		app_answer_error(c, e);
	} else if (c->html) {
		c->args.email = u.email;
		c->args.token = token;
		app_answer_page(c, 200, APP_PAGE_RESET_SENT);
	} else {
		app_answer_email(c, u.email, "reset_token", token);
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
	if (!app_fields(c, names, v, 2))
		return;
	/* The token is checked first: with a wrong one the answer is 403
	 * whatever the new password is, or whether there is one. */
	if ((pw = http_request_field(c->req, "new_password")) == NULL)
		pw = "";
	e = auth_reset_update(c->app->auth, &c->who, v[0], v[1], pw, &u);
	if (e == ERR_PASSWORD && *pw == '\0')
		app_answer_message(c, 400, "new_password is required");
	else if (e == ERR_PASSWORD)
		app_answer_password(c, pw);
	else if (e != ERR_OK)
		app_answer_error(c, e);
	else if (c->html)
		app_answer_see_other(c, "/login?notice=password");
	else
		app_answer_email(c, u.email, "message", "Password updated");
}

/* ---- pages (browsers only) ---- */

const char *
app_query_get(struct call *c, struct http_fields *q, const char *name)
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
	app_answer_page(c, 200, APP_PAGE_REGISTER);
}

static void
h_page_login(struct call *c)
{
	static const char *const notices[][2] = {
	    {"registered", "Your account is created: you can log in."},
	    {"password", "Your password is updated: log in with the new one."},
	    {"logged_out", "You are logged out."},
	    {"verify", "Your account is created: follow the link mailed to"
	               " you, then log in."},
	    {"verified", "Your email address is verified."},
	    {"deleted", "Your account is deleted."},
	};
	struct http_fields q = {0};
	const char *n = app_query_get(c, &q, "notice");
	size_t i;

	/* Only known notices, in our own words: nothing from the URL is
	 * echoed. */
	for (i = 0; n != NULL && i < sizeof(notices) / sizeof(notices[0]); i++)
		if (strcmp(n, notices[i][0]) == 0)
			c->args.notice = notices[i][1];
	/* Where the gate sent the browser from; only where it may go. */
	if (app_next_ok(c, app_query_get(c, &q, "next")))
		c->args.next = app_query_get(c, &q, "next");
	app_answer_page(c, 200, APP_PAGE_LOGIN);
	http_fields_clear(&q);
}

static void
h_page_reset(struct call *c)
{
	struct http_fields q = {0};

	c->args.email = app_query_get(c, &q, "email");
	c->args.token = app_query_get(c, &q, "reset_token");
	app_answer_page(c, 200,
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
    {"/auth", HTTP_GET, app_gate_route, false},
    {"/account", HTTP_GET, app_h_account_page, true},
    {"/account", HTTP_DELETE, app_h_account_delete, false},
    {"/password", HTTP_PUT, app_h_password, false},
    {"/sessions", HTTP_GET, app_h_sessions, false},
    {"/sessions/:id", HTTP_DELETE, app_h_session_end, false},
    {"/email", HTTP_PUT, app_h_email, false},
    {"/verify_email", HTTP_GET, app_h_verify_page, true},
    {"/verify_email", HTTP_POST, app_h_verify_request, false},
    {"/verify_email", HTTP_PUT, app_h_verify, false},
    {"/totp", HTTP_GET, app_h_totp, false},
    {"/totp", HTTP_POST, app_h_totp_begin, false},
    {"/totp", HTTP_PUT, app_h_totp_confirm, false},
    {"/totp", HTTP_DELETE, app_h_totp_disable, false},
    {"/totp/recovery", HTTP_POST, app_h_recovery_renew, false},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Is path one of pattern's? A last segment ":name" matches any one
 * non-empty segment, which *param then points to. */
static bool
path_match(const char *pattern, const char *path, const char **param)
{
	const char *colon = strstr(pattern, "/:");
	size_t n;

	if (colon == NULL)
		return strcmp(pattern, path) == 0;
	n = (size_t)(colon - pattern) + 1;
	if (strncmp(pattern, path, n) != 0 || path[n] == '\0' ||
	    strchr(path + n, '/') != NULL)
		return false;
	*param = path + n;
	return true;
}

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
	const char *param;
	char allow[64] = "";
	size_t i;

	for (i = 0; i < NROUTES; i++) {
		if (!path_match(routes[i].path, path, &param) ||
		    !route_visible(c, &routes[i]))
			continue;
		if (allow[0] != '\0')
			strcat(allow, ", ");
		strcat(allow, http_method_name(routes[i].method));
		if (routes[i].method == HTTP_GET)
			strcat(allow, ", HEAD");
	}
	app_answer_message(c, 405, "method not allowed");
	if (http_response_header(c->resp, "Allow", allow) != ERR_OK)
		app_answer_error(c, ERR_NOMEM);
}

void
app_route(struct call *c)
{
	enum http_method m = c->req->method;
	bool known = false;
	size_t i;

	if (m == HTTP_HEAD)
		m = HTTP_GET;
	for (i = 0; i < NROUTES; i++) {
		if (!path_match(routes[i].path, c->req->path, &c->param) ||
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
		app_answer_message(c, 404, "not found");
}
