/* err.c: names of the project-wide error kinds. */
#include "err.h"

static const char *const names[ERR__MAX] = {
    [ERR_OK] = "ok",
    [ERR_NOMEM] = "out of memory",
    [ERR_INVAL] = "malformed request",
    [ERR_MISSING] = "required field missing",
    [ERR_ENCODING] = "malformed encoding",
    [ERR_SHORT_BODY] = "request body shorter than Content-Length",
    [ERR_TOO_LARGE] = "request body too large",
    [ERR_TOO_MANY] = "too many fields",
    [ERR_HEADER_SIZE] = "request header too large",
    [ERR_MEDIA_TYPE] = "unsupported content type",
    [ERR_EMAIL] = "invalid email",
    [ERR_PASSWORD] = "invalid password",
    [ERR_EXISTS] = "email already registered",
    [ERR_NOT_FOUND] = "not found",
    [ERR_CREDENTIALS] = "wrong email or password",
    [ERR_NO_SESSION] = "no valid session",
    [ERR_TOKEN] = "invalid reset token",
    [ERR_ORIGIN] = "cross-site request",
    [ERR_FORBIDDEN] = "not allowed",
    [ERR_THROTTLED] = "too many attempts",
    [ERR_WRONG_PW] = "wrong password",
    [ERR_UNVERIFIED] = "email not verified",
    [ERR_SESSION_ID] = "no such session",
    [ERR_LINK] = "invalid link",
    [ERR_CODE] = "one-time code required",
    [ERR_PENDING] = "pending log-in expired",
    [ERR_FACTOR_ON] = "second factor on",
    [ERR_FACTOR_OFF] = "second factor off",
    [ERR_BUSY] = "database busy",
    [ERR_FULL] = "database full",
    [ERR_DB] = "database unavailable",
    [ERR_INTERNAL] = "internal error",
    [ERR_UNSUPPORTED] = "not in this build",
};

const char *
err_str(enum err e)
{
	if ((unsigned)e >= ERR__MAX || names[e] == 0)
		return "unknown error";
	return names[e];
}

bool
err_is_fault(enum err e)
{
	return e == ERR_NOMEM || e == ERR_BUSY || e == ERR_FULL ||
	       e == ERR_DB || e == ERR_INTERNAL || e == ERR_UNSUPPORTED;
}
