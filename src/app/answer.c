/* answer.c: how the app answers: the one table from error kinds to HTTP
 * answers, JSON bodies, pages for browsers and redirects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "internal.h"

/*
 * Every error kind's answer, and the only place one is written: the
 * status and the message a client sees. Faults (ERR_NOMEM, ERR_BUSY,
 * ERR_FULL, ERR_DB, ERR_INTERNAL) are 503, with their cause in the log.
 */
static const struct {
	int status;
	const char *message;
} answers[ERR__MAX] = {
    [ERR_OK] = {200, "ok"},
    [ERR_NOMEM] = {503, "service unavailable"},
    [ERR_INVAL] = {400, "malformed request"},
    [ERR_MISSING] = {400, "a required field is missing"},
    [ERR_ENCODING] = {400, "malformed encoding in request body"},
    [ERR_SHORT_BODY] = {400, "request body shorter than Content-Length"},
    [ERR_TOO_LARGE] = {413, "request body too large"},
    [ERR_TOO_MANY] = {400, "too many fields in request body"},
    [ERR_HEADER_SIZE] = {431, "request header too large"},
    [ERR_MEDIA_TYPE] = {415, "unsupported content type"},
    [ERR_EMAIL] = {400, "invalid email"},
    [ERR_PASSWORD] = {400, "invalid password"},
    [ERR_EXISTS] = {400, "email already registered"},
    [ERR_NOT_FOUND] = {403, "email not registered"},
    [ERR_CREDENTIALS] = {401, "wrong email or password"},
    [ERR_NO_SESSION] = {403, "not logged in"},
    [ERR_TOKEN] = {403, "invalid reset token"},
    [ERR_ORIGIN] = {403, "cross-site request refused"},
    [ERR_FORBIDDEN] = {403, "not allowed"},
    [ERR_THROTTLED] = {429, "too many attempts, try again later"},
    [ERR_WRONG_PW] = {401, "wrong password"},
    [ERR_UNVERIFIED] = {403, "email not verified"},
    [ERR_SESSION_ID] = {404, "no such session"},
    [ERR_LINK] = {403, "invalid or expired link"},
    [ERR_CODE] = {401, "one-time code required"},
    [ERR_PENDING] = {403, "log-in expired, log in again"},
    [ERR_FACTOR_ON] = {409, "second factor already on"},
    [ERR_FACTOR_OFF] = {409, "second factor not on"},
    [ERR_BUSY] = {503, "service busy, try again"},
    [ERR_FULL] = {503, "service unavailable"},
    [ERR_DB] = {503, "service unavailable"},
    [ERR_INTERNAL] = {503, "service unavailable"},
    [ERR_UNSUPPORTED] = {503, "not available in this build"},
};

const char *
app_base(const struct call *c)
{
	return c->req->script_name != NULL ? c->req->script_name : "";
}

/* Render page with status, with the browser's anti-forgery token. */
static enum err
render_page(struct call *c, int status, enum app_page page)
{
	enum err e;

	if ((e = app_form_token(c)) != ERR_OK)
		return e;
	return app_page_render(c->resp, status, app_base(c), page, &c->args);
}

void
app_answer_message(struct call *c, int status, const char *msg)
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

void
app_answer_page(struct call *c, int status, enum app_page page)
{
	if (render_page(c, status, page) != ERR_OK)
		c->resp->status = 500;
}

void
app_answer_see_other(struct call *c, const char *path)
{
	char location[1024];

	snprintf(location, sizeof(location), "%s%s", app_base(c), path);
	if (http_response_header(c->resp, "Location", location) != ERR_OK ||
	    http_response_body(c->resp, 303, "text/plain; charset=utf-8", "",
	                       0) != ERR_OK)
		c->resp->status = 500;
}

void
app_answer_location(struct call *c, int status, const char *url)
{
	if (http_response_header(c->resp, "Location", url) != ERR_OK ||
	    http_response_body(c->resp, status, "text/plain; charset=utf-8", "",
	                       0) != ERR_OK)
		c->resp->status = 500;
}

void
app_answer_found(struct call *c, const char *path, const char *msg)
{
	char location[1024];

	snprintf(location, sizeof(location), "%s%s", app_base(c), path);
	if (http_response_header(c->resp, "Location", location) != ERR_OK) {
		app_answer_error(c, ERR_INTERNAL);
		return;
	}
	app_answer_message(c, 302, msg);
}

void
app_answer_error(struct call *c, enum err e)
{
	char secs[24];

	if ((unsigned)e >= ERR__MAX || answers[e].message == NULL)
		e = ERR_INTERNAL;
	if (err_is_fault(e))
		log_error("%s %s: %s", c->req->method_name, c->req->path,
		          err_str(e));
	app_answer_message(c, answers[e].status, answers[e].message);
	if (e == ERR_THROTTLED) {
		snprintf(secs, sizeof(secs), "%lld",
		         (long long)(c->who.retry_after > 0 ? c->who.retry_after
		                                            : 1));
		if (http_response_header(c->resp, "Retry-After", secs) !=
		    ERR_OK)
			c->resp->status = 500;
	}
}

void
app_answer_email(struct call *c, const char *email, const char *key,
                 const char *value)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "email", email) == NULL ||
	    (key != NULL && cJSON_AddStringToObject(o, key, value) == NULL) ||
	    http_response_json(c->resp, 200, o) != ERR_OK)
		app_answer_error(c, ERR_NOMEM);
	cJSON_Delete(o);
}

void
app_answer_password(struct call *c, const char *password)
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
	app_answer_message(c, 400, msg);
}

bool
app_fields(struct call *c, const char *const *names, const char **values,
           size_t n)
{
	char msg[64];
	enum err e;
	size_t i;

	/* Decoded once: fields read before stay valid. */
	if (!c->decoded &&
	    (e = http_request_decode(c->req, &c->app->set.limits)) != ERR_OK) {
		app_answer_error(c, e);
		return false;
	}
	c->decoded = true;
	/* A form shown again keeps the email that was typed. */
	if (c->args.email == NULL)
		c->args.email = http_request_field(c->req, "email");
	for (i = 0; i < n; i++) {
		values[i] = http_request_field(c->req, names[i]);
		if (values[i] == NULL || values[i][0] == '\0') {
			snprintf(msg, sizeof(msg), "%s is required", names[i]);
			app_answer_message(c, 400, msg);
			return false;
		}
	}
	return true;
}
