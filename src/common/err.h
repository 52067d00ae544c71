/* err.h: the one error enum shared by every layer, and its names. */
#ifndef AUTHCGI_ERR_H
#define AUTHCGI_ERR_H

#include <stdbool.h>

/*
 * Every fallible function returns one of these. ERR_OK is zero, so
 * "if (e != ERR_OK)" and "if (e)" read the same. The app layer maps each
 * kind to an HTTP status (status_of() in src/app/app.c).
 */
enum err {
	ERR_OK = 0,
	ERR_NOMEM,       /* allocation failed: 503 */
	ERR_INVAL,       /* malformed request: 400 */
	ERR_MISSING,     /* a required field is missing or empty: 400 */
	ERR_ENCODING,    /* bad percent-encoding, NUL or invalid UTF-8: 400 */
	ERR_SHORT_BODY,  /* fewer bytes than CONTENT_LENGTH: 400 */
	ERR_TOO_LARGE,   /* body over the configured cap: 413 */
	ERR_TOO_MANY,    /* more fields than the configured cap: 400 */
	ERR_HEADER_SIZE, /* a header (cookie, ...) over its cap: 431 */
	ERR_MEDIA_TYPE,  /* unsupported Content-Type: 415 */
	ERR_EMAIL,       /* email not local@domain shaped or too long: 400 */
	ERR_PASSWORD,    /* password outside the length bounds: 400 */
	ERR_EXISTS,      /* email already registered: 400 */
	ERR_NOT_FOUND,   /* no such account: 403 on reset */
	ERR_CREDENTIALS, /* wrong email or password: 401 */
	ERR_NO_SESSION,  /* no valid session: 403 */
	ERR_TOKEN,       /* reset token invalid, used or expired: 403 */
	ERR_ORIGIN,      /* cross-site request refused: 403 */
	ERR_THROTTLED,   /* too many attempts, locked for a while: 429 */
	ERR_BUSY,        /* database locked past the busy timeout: 503 */
	ERR_FULL,        /* disk or database full: 503 */
	ERR_DB,          /* database missing, read-only or corrupt: 503 */
	ERR_INTERNAL,    /* any other server fault: 503 */
	ERR__MAX
};

/* A short, stable, human-readable name of e; never NULL. */
const char *err_str(enum err e);

/* True for the kinds that are the server's fault (answered with 503). */
bool err_is_fault(enum err e);

#endif
