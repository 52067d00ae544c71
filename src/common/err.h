/* err.h: the one error enum shared by every layer, and its names. */
#ifndef AUTHCGI_ERR_H
#define AUTHCGI_ERR_H

#include <stdbool.h>

/*
 * Every fallible function returns one of these. ERR_OK is zero, so
 * "if (e != ERR_OK)" and "if (e)" read the same. How each kind is
 * answered over HTTP is written in one place: the table of
 * src/app/answer.c.
 */
enum err {
	ERR_OK = 0,
	ERR_NOMEM,       /* allocation failed */
	ERR_INVAL,       /* malformed request */
	ERR_MISSING,     /* a required field is missing or empty */
	ERR_ENCODING,    /* bad percent-encoding, NUL or invalid UTF-8 */
	ERR_SHORT_BODY,  /* fewer bytes than CONTENT_LENGTH */
	ERR_TOO_LARGE,   /* body over the configured cap */
	ERR_TOO_MANY,    /* more fields than the configured cap */
	ERR_HEADER_SIZE, /* a header (cookie, ...) over its cap */
	ERR_MEDIA_TYPE,  /* unsupported Content-Type */
	ERR_EMAIL,       /* email not local@domain shaped or too long */
	ERR_PASSWORD,    /* password outside the length bounds */
	ERR_EXISTS,      /* email already registered */
	ERR_NOT_FOUND,   /* no such account */
	ERR_CREDENTIALS, /* wrong email or password */
	ERR_NO_SESSION,  /* no valid session */
	ERR_TOKEN,       /* reset token invalid, used or expired */
	ERR_ORIGIN,      /* cross-site request refused */
	ERR_FORBIDDEN,   /* signed in, but not allowed there */
	ERR_THROTTLED,   /* too many attempts, locked for a while */
	ERR_WRONG_PW,    /* a signed-in account's password is wrong */
	ERR_UNVERIFIED,  /* the account waits for its email link */
	ERR_SESSION_ID,  /* no such session of the account */
	ERR_LINK,        /* email link invalid, used or expired */
	ERR_CODE,        /* a one-time code is missing or wrong */
	ERR_PENDING,     /* a log-in's second step came too late */
	ERR_FACTOR_ON,   /* the second factor is on already */
	ERR_FACTOR_OFF,  /* the second factor is not on */
	ERR_BUSY,        /* database locked past the busy timeout */
	ERR_FULL,        /* disk or database full */
	ERR_DB,          /* database missing, read-only or corrupt */
	ERR_INTERNAL,    /* any other server fault */
	ERR_UNSUPPORTED, /* not in this build (make static: no second
	                    factor) */
	ERR__MAX
};

/* A short, stable, human-readable name of e; never NULL. */
const char *err_str(enum err e);

/* True for the kinds that are the server's fault (answered with 503). */
bool err_is_fault(enum err e);

#endif
