/* internal.h: what the files of the app layer share. Other layers see
 * app.h only.
 *
 *   app.c      the context, and one request from its checks to its route
 *   routes.c   the route table and the contract's handlers
 *   account.c  the handlers of account self-service: the account page,
 *              password, email, sessions, deletion, email links
 *   factor.c   the handlers of the second factor: setting it up, turning
 *              it off, new recovery codes
 *   answer.c   answers: the one table of error kinds and their HTTP
 *              answers, JSON, pages and redirects
 *   safety.c   request safety: the Origin check, the form token, the
 *              method override of HTML forms
 *   headers.c  the headers every answer carries, and cookies
 *   gate.c     the gate: GET /auth and the FastCGI authorizer role
 *   proxy.c    what a request says of itself behind a trusted proxy
 *   next.c     where a browser may be sent back to after log-in
 *   render.c   the HTML pages, from the templates of src/app/pages
 *   settings.c the AUTHCGI_* settings, as one table
 *   config.c   the settings file
 *   admin.c    the command-line tool
 */
#ifndef AUTHCGI_APP_INTERNAL_H
#define AUTHCGI_APP_INTERNAL_H

#include "app.h"

struct app {
	struct app_settings set;
	struct auth *auth;
};

/* The HTML pages shown to browsers (render.c). */
enum app_page {
	APP_PAGE_HOME,
	APP_PAGE_REGISTER,
	APP_PAGE_LOGIN,
	APP_PAGE_PROFILE,
	APP_PAGE_DENIED,     /* not logged in */
	APP_PAGE_RESET_ASK,  /* ask for a reset token */
	APP_PAGE_RESET_SENT, /* the token's link, or "check your mail" */
	APP_PAGE_RESET_SET,  /* set a new password with a token */
	APP_PAGE_FORBIDDEN,  /* signed in, but not allowed there */
	APP_PAGE_ACCOUNT,    /* the signed-in account: password, email,
	                        sessions, deletion */
	APP_PAGE_VERIFY_ASK, /* ask for a new email link */
	APP_PAGE_VERIFY_SET, /* follow an email link */
	APP_PAGE_LOGIN_CODE, /* a log-in's second step: the one-time code */
	APP_PAGE_TOTP_SETUP, /* a new second factor: its QR code, its
	                        secret, and the confirming code */
	APP_PAGE_TOTP_CODES, /* recovery codes, shown once */
	APP_PAGE__MAX
};

/* One session in the account page's list: the texts it shows. */
struct app_page_session {
	const char *id;         /* its public id */
	const char *created;    /* when it began */
	const char *last_seen;  /* when it was last used */
	const char *client;     /* the address it began from */
	const char *user_agent; /* the browser it began in */
	const char *current;    /* non-NULL for the caller's own */
};

/* What a page shows besides its form; render.c escapes every string.
 * NULL members show nothing. */
struct app_page_args {
	const char *error;      /* shown as an alert */
	const char *notice;     /* shown as a notice */
	const char *email;      /* pre-filled or shown */
	const char *token;      /* RESET_SENT: the link's token (none: "check
	                           your mail"); RESET_SET, VERIFY_SET: the
	                           form's */
	const char *form_token; /* anti-forgery token for every form */
	const char *next;       /* LOGIN: where to go after log-in */
	const char *pending;    /* ACCOUNT: an address waiting for its link */
	const char *factor;     /* ACCOUNT: set when the second factor is on */
	const char *codes_left; /* ACCOUNT: recovery codes left */
	const char *pending_login; /* LOGIN_CODE: the pending log-in */
	const char *secret;        /* TOTP_SETUP: the new secret, base32 */
	const char *uri;           /* TOTP_SETUP: its otpauth:// URI */
	const char *codes;         /* TOTP_CODES: the recovery codes, one
	                              per line */
	const struct app_page_session *sessions; /* ACCOUNT: the list ... */
	size_t nsessions;                        /* ... of this many */
};

/* One request in flight: what every handler gets. */
struct call {
	struct app *app;
	struct http_request *req;
	struct http_response *resp;
	struct auth_call who; /* the client, for throttling and audit */
	bool html;            /* the client prefers pages (a browser) */
	bool decoded;         /* the body's fields are decoded, once */
	const char *param;    /* the path's parameter (":id" of a route) */
	enum app_page page;   /* in html mode, the page an error re-renders */
	struct app_page_args args;           /* and what it shows */
	char form_token[AUTH_TOKEN_LEN + 1]; /* this browser's, once known */
	bool authorizer;                     /* the FastCGI authorizer role */
	char client_addr[46]; /* the client's address from X-Forwarded-For
	                         (INET6_ADDRSTRLEN) */
};

/* ---- render.c ---- */

/* Render page with status into resp, as text/html, with its
 * Content-Security-Policy. base is the mount point ("" at the root).
 * ERR_INTERNAL when a template does not parse. */
enum err app_page_render(struct http_response *resp, int status,
                         const char *base, enum app_page page,
                         const struct app_page_args *args);

/* The style sheet the pages link to, as text/css. */
enum err app_page_style(struct http_response *resp);

/* ---- routes.c ---- */

/* Answer c's request with the handler of its path and method: 404 for an
 * unknown path, 405 with Allow for another method. A route's path may end
 * in a parameter segment (":id"), which matches one non-empty segment,
 * handed to its handler in c->param. */
void app_route(struct call *c);

/* The session cookie's value, or NULL; caller frees with free(). */
char *app_session_value(const struct call *c);

/* The value of a query-string parameter, or NULL; parsed on the first
 * call into q (zero-initialised by the caller, which clears it with
 * http_fields_clear()), borrowed from it. */
const char *app_query_get(struct call *c, struct http_fields *q,
                          const char *name);

/* ---- account.c: the handlers of account self-service ---- */

void app_h_account_page(struct call *c);   /* GET /account */
void app_h_password(struct call *c);       /* PUT /password */
void app_h_sessions(struct call *c);       /* GET /sessions */
void app_h_session_end(struct call *c);    /* DELETE /sessions/:id */
void app_h_email(struct call *c);          /* PUT /email */
void app_h_account_delete(struct call *c); /* DELETE /account */
void app_h_verify_page(struct call *c);    /* GET /verify_email */
void app_h_verify_request(struct call *c); /* POST /verify_email */
void app_h_verify(struct call *c);         /* PUT /verify_email */

/* A signed-in handler's state: the session cookie and, for a browser,
 * the account page's values. */
struct app_view;
struct app_signed_in {
	char *sid;
	struct app_view *view;
	struct auth_user user;
};

/*
 * The start of each handler that needs a session: the caller's account
 * (ERR_NO_SESSION and faults answered, false then). For a browser the
 * account page is loaded first, so that any error afterwards shows it
 * again with its message and the contract's status.
 */
bool app_signed_in(struct call *c, struct app_signed_in *s);

/* app_signed_in(), then the account's password from the field "password"
 * (400 when it is missing): false when answered. */
bool app_signed_in_password(struct call *c, struct app_signed_in *s,
                            const char **password);

void app_signed_in_clear(struct app_signed_in *s);

/* The second factor a request shows: its fields "code" and
 * "recovery_code". */
void app_second(const struct call *c, struct auth_second *second);

/* {"message": msg}, or to a browser 303 to path. */
void app_done(struct call *c, const char *path, const char *msg);

/* ---- factor.c: the handlers of the second factor ---- */

void app_h_totp(struct call *c);           /* GET /totp */
void app_h_totp_begin(struct call *c);     /* POST /totp */
void app_h_totp_confirm(struct call *c);   /* PUT /totp */
void app_h_totp_disable(struct call *c);   /* DELETE /totp */
void app_h_recovery_renew(struct call *c); /* POST /totp/recovery */

/* ---- answer.c: every answer goes through these; on a failure to build
 * one, resp->status is left 500 (main.c then writes a bare status) ---- */

/* The mount point, "" at the site root. */
const char *app_base(const struct call *c);

/* The answer to error kind e: its status, and its message as JSON, or
 * to a browser the current page with the message as its error; faults
 * are logged; 429 carries Retry-After. */
void app_answer_error(struct call *c, enum err e);

/* {"message": msg} with status, or to a browser (status >= 400) the
 * current page with msg as its error. */
void app_answer_message(struct call *c, int status, const char *msg);

/* 200 {"email": email} plus, when key is not NULL, key: value. */
void app_answer_email(struct call *c, const char *email, const char *key,
                      const char *value);

/* 400 naming the rule the password breaks. */
void app_answer_password(struct call *c, const char *password);

/* A page for a browser. */
void app_answer_page(struct call *c, int status, enum app_page page);

/* 303 See Other to path under the mount point. */
void app_answer_see_other(struct call *c, const char *path);

/* status (a 3xx) to url as it is, with an empty body. */
void app_answer_location(struct call *c, int status, const char *url);

/* 302 Found to path under the mount point, with {"message": msg}. */
void app_answer_found(struct call *c, const char *path, const char *msg);

/* Decode the body and fetch the required fields names[0..n) into
 * values, in order; the first one missing or empty is answered 400
 * "<name> is required". False when an answer was made. */
bool app_fields(struct call *c, const char *const *names, const char **values,
                size_t n);

/* ---- safety.c ---- */

/* The value of cookie name, or NULL; caller frees with free(). */
char *app_cookie_value(const struct call *c, const char *name);

/* Make sure c->args.form_token is the browser's anti-forgery token,
 * setting its cookie when it has none yet. */
enum err app_form_token(struct call *c);

/* HTML forms can only GET and POST: a POSTed form with a field
 * _method=DELETE or PUT is taken as that method. False when the body
 * could not be decoded (answered then). */
bool app_method_override(struct call *c);

/* A request that changes something must come from an allowed origin
 * (or, from our own pages, carry the form token). False when refused
 * (answered 403 then). */
bool app_same_origin(struct call *c);

/* ---- config.c ---- */

/* Read the settings file (AUTHCGI_CONFIG, or the build's default when it
 * exists): values[i] is the value it gives names[i], NULL when none.
 * ERR_INVAL (logged) for a file that cannot be read, is too long, or
 * names anything but names[]. The values stay valid until the next
 * call. */
enum err app_config_read(const char *const *names, size_t count,
                         const char **values);

/* ---- qr.c ---- */

/* text as a QR code, in inline SVG markup that holds nothing of text but
 * the code's modules; *out (caller frees with free()) is *len bytes and
 * NUL-terminated. */
enum err app_qr_svg(const char *text, char **out, size_t *len);

/* ---- proxy.c ---- */

/* Did the request come from a trusted proxy (REMOTE_ADDR listed in
 * AUTHCGI_TRUSTED_PROXIES)? */
bool app_from_proxy(const struct call *c);

/* Set c->who.client: REMOTE_ADDR, or behind a trusted proxy the client
 * that X-Forwarded-For names. */
void app_client_address(struct call *c);

/* The URL the client asked for: from a trusted proxy's X-Original-URL or
 * X-Forwarded-Proto/-Host/-Uri, or (authorizer role) REQUEST_URI. False
 * when none is known or it does not fit buf. */
bool app_original_url(const struct call *c, char *buf, size_t size);

/* Is list addresses and CIDR prefixes, space- or comma-separated? */
bool app_proxy_list_ok(const char *list);

/* ---- next.c ---- */

/* May a browser be sent to url after log-in: a path on this origin, or a
 * URL on this origin or one of AUTHCGI_REDIRECT_ORIGINS? Anything
 * doubtful (another host, a scheme-relative "//", backslashes, blanks,
 * control characters, user information) is refused. */
bool app_next_ok(const struct call *c, const char *url);

/* Is list origins ("https://host[:port]"), space- or comma-separated? */
bool app_origin_list_ok(const char *list);

/* ---- gate.c ---- */

/* GET /auth: the gate's decision for a reverse proxy. */
void app_gate_route(struct call *c);

/* The gate's settings (trusted proxies, redirect origins, cookie path
 * and domain, the authorizer's rule) are readable: ERR_INVAL, logged,
 * when not. */
enum err app_gate_settings_check(const struct app_settings *s);

/* ---- headers.c ---- */

/* Set (max_age < 0: for the browser's session; 0: delete) the session
 * cookie to value. */
enum err app_session_cookie(struct call *c, const char *value, long max_age);

/* The anti-forgery cookie: its name, and setting it to value. */
const char *app_form_cookie_name(const struct call *c);
enum err app_form_cookie(struct call *c, const char *value);

/* Add the headers every answer carries; a 500 left as it is. */
void app_common_headers(struct http_response *r, bool https);

#endif
