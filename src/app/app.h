/* app.h: the route table of the HTTP contract and the settings it runs
 * with. Speaks HTTP (through the http layer) on one side and calls the
 * auth layer on the other. */
#ifndef AUTHCGI_APP_H
#define AUTHCGI_APP_H

#include <stdbool.h>
#include <stdio.h>

#include "../auth/auth.h"
#include "../common/err.h"
#include "../http/http.h"

/* Everything a deployment tunes, read from AUTHCGI_* variables. */
struct app_settings {
	struct http_limits limits;
	struct auth_config auth;
	bool hardened;                /* AUTHCGI_PROFILE=hardened */
	const char *cookie_name;      /* "session_id"; hardened:
	                                 "__Host-session_id", or
	                                 "__Secure-session_id" with a
	                                 cookie_domain */
	bool cookie_secure;           /* Secure on every cookie, not only
	                                 under HTTPS */
	const char *allowed_origins;  /* space- or comma-separated origins
	                                 that may send cookie-authenticated
	                                 changes; NULL: the request's own */
	const char *cookie_path;      /* the cookies' Path; NULL: the mount
	                                 point ("/" when hardened without a
	                                 domain, as __Host- asks) */
	const char *cookie_domain;    /* the cookies' Domain, NULL: none */
	const char *trusted_proxies;  /* addresses (and CIDR prefixes) whose
	                                 X-Forwarded-* and X-Original-URL
	                                 are believed; NULL: none */
	const char *redirect_origins; /* origins a log-in may send the
	                                 browser back to, besides its own */
	const char *gate_require;     /* the authorizer's rule when the
	                                 server passes none (auth.h) */
	unsigned request_timeout;     /* seconds one request may take */
	const char *log_path;         /* NULL: stderr */
	const char *audit_path;       /* NULL: stderr */
};

/*
 * Fill s from the process environment (getenv), with the documented
 * default for every variable that is unset or empty (the hardened
 * profile's own defaults with AUTHCGI_PROFILE=hardened). A value that
 * does not parse or is out of range is ERR_INVAL, logged with the
 * variable's name; s is then left with the default profile's defaults.
 * Strings in s are borrowed from the environment (or static).
 */
enum err app_settings_load(struct app_settings *s);

/* List every setting, its help line and its default(s) on out. */
void app_settings_help(FILE *out);

struct app; /* one per process; serves any number of requests */

/* On success *out is freed with app_free(). s is copied. */
enum err app_new(struct app **out, const struct app_settings *s);

/* NULL is a no-op. */
void app_free(struct app *app);

/* Create or migrate the database now (the "init" command). */
enum err app_init_db(struct app *app);

/*
 * Run one administration command, argv[0] being its name ("init",
 * "users", "delete-user", "end-sessions", "sessions", "unlock",
 * "disable", "enable", "purge", "import-original", "--help"): results on
 * out, errors on err. Returns the process exit status: 0 done, 1 failed,
 * 2 usage error.
 */
int app_admin(struct app *app, int argc, char **argv, FILE *out, FILE *err);

/*
 * Answer one FastCGI authorizer request (FCGI_ROLE=AUTHORIZER: lighttpd's
 * "authorizer" mode, Apache's mod_authnz_fcgi) into resp: 200 with
 * Variable-REMOTE_USER, Variable-AUTHCGI_USER and Variable-AUTHCGI_GROUPS
 * when the request's session may see it; otherwise the answer the server
 * sends to the client (401 JSON, a browser's 302 to the log-in page, 403,
 * or 503 when the decision cannot be made). rule is what the location
 * requires (auth.h's rule language; NULL: the gate_require setting); req
 * was read without a body.
 */
void app_authorize(struct app *app, struct http_request *req, enum err read_err,
                   const char *rule, struct http_response *resp);

/* Answer 503 {"message": msg} with every header an answer carries, for
 * when the service cannot even be set up (no context exists). https: the
 * request came over HTTPS. */
void app_unavailable(struct http_response *resp, const char *msg, bool https);

/* The usage text of the command-line tool. */
extern const char app_usage[];

/*
 * Answer one request into resp (initialised by the caller). read_err is
 * what http_request_read() returned for req: an error there is answered
 * as such. Never fails: faults become 503 answers, logged with their
 * cause; a response that cannot even be built leaves resp->status 500
 * with no body (the caller then writes a bare status).
 */
void app_handle(struct app *app, struct http_request *req, enum err read_err,
                struct http_response *resp);

#endif
