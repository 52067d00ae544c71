/* settings.c: the AUTHCGI_* settings, as one table (name, kind, member,
 * default, bounds, help line) from which they are read, defaulted,
 * checked and listed by --help. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "internal.h"

/* The hardened profile's floor for AUTHCGI_PASSWORD_MIN. */
#define HARDENED_PASSWORD_MIN 12

/* How a setting's text becomes its member. */
enum kind {
	K_PROFILE,  /* "default" or "hardened": sets hardened */
	K_STR,      /* const char *, borrowed from the environment */
	K_BOOL,     /* bool from "0" or "1" */
	K_INT,      /* int */
	K_UNSIGNED, /* unsigned */
	K_LONG,     /* long */
	K_ULONG,    /* unsigned long */
	K_SIZE,     /* size_t */
	K_I64,      /* int64_t */
};

struct setting {
	const char *name;
	enum kind kind;
	size_t offset;      /* of the member in struct app_settings */
	const char *dflt;   /* the default, as text; NULL: unset */
	const char *hard;   /* the hardened profile's, when it differs */
	long long min, max; /* numbers: the bounds, both included */
	const char *help;   /* one line for --help */
};

#define AT(member) offsetof(struct app_settings, member)

/* Every setting, in the order --help lists them. The profile comes first:
 * the others' defaults depend on it. */
static const struct setting settings[] = {
    {"AUTHCGI_PROFILE", K_PROFILE, AT(hardened), "default", NULL, 0, 0,
     "default (the original contract) or hardened (public deployments)"},
    {"AUTHCGI_DB", K_STR, AT(auth.db_path), "/var/lib/authcgi/auth.db", NULL, 0,
     0, "the SQLite database"},
    {"AUTHCGI_SECRET_KEY_FILE", K_STR, AT(auth.secret_key_file), NULL, NULL, 0,
     0, "the secret key file; unset: AUTHCGI_DB with .key added"},
    {"AUTHCGI_MAX_BODY", K_SIZE, AT(limits.max_body), "65536", NULL, 0,
     1LL << 30, "largest request body, bytes"},
    {"AUTHCGI_MAX_FIELDS", K_SIZE, AT(limits.max_fields), "32", NULL, 1, 100000,
     "most fields in one body"},
    {"AUTHCGI_MAX_HEADER", K_SIZE, AT(limits.max_header), "8192", NULL, 64,
     1 << 20, "longest Cookie (or other header) value, bytes"},
    {"AUTHCGI_PASSWORD_MIN", K_SIZE, AT(auth.password_min), "5", "12", 1, 1024,
     "fewest characters in a password (hardened: 12 at least)"},
    {"AUTHCGI_PASSWORD_MAX", K_SIZE, AT(auth.password_max), "128", NULL, 1,
     4096, "most bytes in a password (511 at most)"},
    {"AUTHCGI_HASH_METHOD", K_STR, AT(auth.hash_method), "$y$", NULL, 0, 0,
     "crypt(3) method prefix for new hashes"},
    {"AUTHCGI_HASH_COST", K_ULONG, AT(auth.hash_cost), "5", NULL, 0, 1L << 30,
     "cost passed to crypt_gensalt_rn"},
    {"AUTHCGI_SESSION_IDLE", K_I64, AT(auth.session_idle), "1800", NULL, 1,
     1LL << 40, "seconds a session lives without use"},
    {"AUTHCGI_SESSION_MAX", K_I64, AT(auth.session_max), "43200", NULL, 1,
     1LL << 40, "seconds a session lives after log-in"},
    {"AUTHCGI_RESET_TTL", K_I64, AT(auth.reset_ttl), "3600", NULL, 1, 1LL << 40,
     "seconds a reset token stays valid"},
    {"AUTHCGI_RESET_ENDS_SESSIONS", K_BOOL, AT(auth.reset_ends_sessions), "0",
     "1", 0, 1, "1: a password reset ends the account's sessions"},
    {"AUTHCGI_RESET_COMMAND", K_STR, AT(auth.deliver_command), NULL, NULL, 0, 0,
     "command that delivers the service's mail (hardened: required)"},
    {"AUTHCGI_PUBLIC_URL", K_STR, AT(auth.reset_url), NULL, NULL, 0, 0,
     "public address of the service, for links in messages"},
    {"AUTHCGI_VERIFY_EMAIL", K_BOOL, AT(auth.verify_email), "0", NULL, 0, 1,
     "1: log-in waits for the link mailed at registration"},
    {"AUTHCGI_LINK_TTL", K_I64, AT(auth.link_ttl), "86400", NULL, 1, 1LL << 40,
     "seconds an email link stays valid"},
    {"AUTHCGI_CLIENT_MEMORY", K_I64, AT(auth.client_memory), "7776000", NULL, 0,
     1LL << 40, "seconds a client address is remembered; 0: none"},
    {"AUTHCGI_COOKIE_SECURE", K_BOOL, AT(cookie_secure), "0", "1", 0, 1,
     "1: Secure on every cookie, not only over HTTPS"},
    {"AUTHCGI_ALLOWED_ORIGINS", K_STR, AT(allowed_origins), NULL, NULL, 0, 0,
     "origins that may send changes; unset: the request's own"},
    {"AUTHCGI_COOKIE_PATH", K_STR, AT(cookie_path), NULL, NULL, 0, 0,
     "the cookies' Path; unset: the mount point"},
    {"AUTHCGI_COOKIE_DOMAIN", K_STR, AT(cookie_domain), NULL, NULL, 0, 0,
     "the cookies' Domain, to sign in for subdomains; unset: none"},
    {"AUTHCGI_TRUSTED_PROXIES", K_STR, AT(trusted_proxies), NULL, NULL, 0, 0,
     "proxy addresses whose X-Forwarded-* are believed; unset: none"},
    {"AUTHCGI_REDIRECT_ORIGINS", K_STR, AT(redirect_origins), NULL, NULL, 0, 0,
     "other origins a log-in may send the browser back to"},
    {"AUTHCGI_GATE_REQUIRE", K_STR, AT(gate_require), "user", NULL, 0, 0,
     "what the authorizer requires when the server names nothing"},
    {"AUTHCGI_LOCK_ACCOUNT", K_I64, AT(auth.throttle.account_limit), "5", NULL,
     0, 1000000, "failures per account in the window; 0: off"},
    {"AUTHCGI_LOCK_ADDRESS", K_I64, AT(auth.throttle.addr_limit), "50", NULL, 0,
     1000000, "failures per client address in the window; 0: off"},
    {"AUTHCGI_LOCK_WINDOW", K_I64, AT(auth.throttle.window), "600", NULL, 1,
     1LL << 40, "seconds of the sliding window of failures"},
    {"AUTHCGI_LOCK_TIME", K_I64, AT(auth.throttle.lockout), "900", NULL, 1,
     1LL << 40, "seconds a lockout lasts at least"},
    {"AUTHCGI_TOTP_ISSUER", K_STR, AT(auth.totp.issuer), "authcgi", NULL, 0, 0,
     "the name authenticator apps show for the second factor"},
    {"AUTHCGI_TOTP_DIGITS", K_UNSIGNED, AT(auth.totp.digits), "6", NULL, 6, 8,
     "digits of a one-time code"},
    {"AUTHCGI_TOTP_PERIOD", K_UNSIGNED, AT(auth.totp.period), "30", NULL, 15,
     300, "seconds of a one-time code's time step"},
    {"AUTHCGI_TOTP_SKEW", K_UNSIGNED, AT(auth.totp.skew), "1", NULL, 0, 3,
     "time steps of clock skew accepted either way"},
    {"AUTHCGI_BUSY_TIMEOUT", K_INT, AT(auth.busy_ms), "5000", NULL, 0, 600000,
     "milliseconds a request waits for a database lock"},
    {"AUTHCGI_DB_MAX_PAGES", K_LONG, AT(auth.db_max_pages), "0", NULL, 0,
     1LL << 31, "cap on the database's size in pages; 0: none"},
    {"AUTHCGI_REQUEST_TIMEOUT", K_UNSIGNED, AT(request_timeout), "30", NULL, 1,
     3600, "seconds one request may take"},
    {"AUTHCGI_LOG", K_STR, AT(log_path), NULL, NULL, 0, 0,
     "file for diagnostics; unset: stderr"},
    {"AUTHCGI_AUDIT_LOG", K_STR, AT(audit_path), NULL, NULL, 0, 0,
     "file for the audit log; unset: stderr"},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* The secret key file's default: the database's path and ".key". Set
 * once per process, like the settings that point at it. */
static char default_key_file[4096];

/* Store the number n in the member of s that st names. */
static void
set_number(struct app_settings *s, const struct setting *st, long long n)
{
	void *p = (char *)s + st->offset;

	switch (st->kind) {
	case K_BOOL: {
		bool v = n != 0;
		memcpy(p, &v, sizeof(v));
		break;
	}
	case K_INT: {
		int v = (int)n;
		memcpy(p, &v, sizeof(v));
		break;
	}
	case K_UNSIGNED: {
		unsigned v = (unsigned)n;
		memcpy(p, &v, sizeof(v));
		break;
	}
	case K_LONG: {
		long v = (long)n;
		memcpy(p, &v, sizeof(v));
		break;
	}
	case K_ULONG: {
		unsigned long v = (unsigned long)n;
		memcpy(p, &v, sizeof(v));
		break;
	}
	case K_SIZE: {
		size_t v = (size_t)n;
		memcpy(p, &v, sizeof(v));
		break;
	}
	case K_I64: {
		int64_t v = n;
		memcpy(p, &v, sizeof(v));
		break;
	}
	default:
		break;
	}
}

/* The number that text v is, in st's bounds; ERR_INVAL (logged, with
 * the setting's name) when it is not. */
static enum err
parse_number(const struct setting *st, const char *v, long long *out)
{
	char *end;
	long long n;

	if ((*v < '0' || *v > '9') && *v != '-') {
		log_error("setting %s=\"%s\" is not a number", st->name, v);
		return ERR_INVAL;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < st->min || n > st->max) {
		log_error("setting %s=\"%s\" is not a number in [%lld, %lld]",
		          st->name, v, st->min, st->max);
		return ERR_INVAL;
	}
	*out = n;
	return ERR_OK;
}

/* Set st's member of s from the text v (a default, or the
 * environment's). */
static enum err
apply(struct app_settings *s, const struct setting *st, const char *v)
{
	long long n = 0;
	enum err e;

	switch (st->kind) {
	case K_PROFILE:
		if (v != NULL && strcmp(v, "hardened") == 0) {
			s->hardened = true;
		} else if (v != NULL && strcmp(v, "default") == 0) {
			s->hardened = false;
		} else {
			log_error("setting %s=\"%s\" is neither \"default\" nor"
			          " \"hardened\"",
			          st->name, v != NULL ? v : "");
			return ERR_INVAL;
		}
		return ERR_OK;
	case K_STR:
		memcpy((char *)s + st->offset, &v, sizeof(v));
		return ERR_OK;
	default:
		if (v != NULL && (e = parse_number(st, v, &n)) != ERR_OK)
			return e;
		set_number(s, st, n);
		return ERR_OK;
	}
}

/* Every default, for the profile s already holds. */
static void
defaults(struct app_settings *s)
{
	bool hardened = s->hardened;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->hardened = hardened;
	for (i = 1; i < NSETTINGS; i++)
		(void)apply(s, &settings[i],
		            hardened && settings[i].hard != NULL
		                ? settings[i].hard
		                : settings[i].dflt);
	s->cookie_name = hardened ? "__Host-session_id" : "session_id";
	s->auth.reject_common = hardened;
}

/* The settings file's values, by the table's order (config.c). */
static const char *file_value[NSETTINGS];

/* Read the settings file (config.c) into file_value[]. */
static enum err
file_load(void)
{
	const char *names[NSETTINGS];
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		names[i] = settings[i].name;
	return app_config_read(names, NSETTINGS, file_value);
}

/* The value of setting i: the environment's, or else the settings
 * file's; NULL when neither has one (unset or empty). */
static const char *
value_of(size_t i)
{
	const char *v = getenv(settings[i].name);

	if (v == NULL || *v == '\0')
		v = file_value[i];
	return v == NULL || *v == '\0' ? NULL : v;
}

/* What no single setting says: the rules between them. */
static enum err
rules(struct app_settings *s)
{
	enum err e;
	int n;

	if (s->hardened) {
		if (s->auth.password_min < HARDENED_PASSWORD_MIN)
			s->auth.password_min = HARDENED_PASSWORD_MIN;
		s->cookie_secure = true;
		if (s->auth.deliver_command == NULL) {
			log_error("setting AUTHCGI_PROFILE=hardened needs"
			          " AUTHCGI_RESET_COMMAND (how reset tokens"
			          " reach their owner)");
			return ERR_INVAL;
		}
	}
	/* A __Host- cookie cannot carry a Domain: the prefix that still
	 * asks for Secure is __Secure-. */
	if (s->hardened && s->cookie_domain != NULL)
		s->cookie_name = "__Secure-session_id";
	if ((e = app_gate_settings_check(s)) != ERR_OK)
		return e;
	if (s->auth.verify_email && s->auth.deliver_command == NULL) {
		log_error(
		    "setting AUTHCGI_VERIFY_EMAIL=1 needs"
		    " AUTHCGI_RESET_COMMAND (how links reach their owner)");
		return ERR_INVAL;
	}
	if (s->auth.password_min > s->auth.password_max) {
		log_error("setting AUTHCGI_PASSWORD_MIN=%zu is above"
		          " AUTHCGI_PASSWORD_MAX=%zu",
		          s->auth.password_min, s->auth.password_max);
		return ERR_INVAL;
	}
	if (s->auth.secret_key_file == NULL) {
		n = snprintf(default_key_file, sizeof(default_key_file),
		             "%s.key", s->auth.db_path);
		if (n < 0 || (size_t)n >= sizeof(default_key_file)) {
			log_error("setting AUTHCGI_DB is too long");
			return ERR_INVAL;
		}
		s->auth.secret_key_file = default_key_file;
	}
	return ERR_OK;
}

enum err
app_settings_load(struct app_settings *s)
{
	enum err e;
	size_t i;

	s->hardened = false;
	if ((e = file_load()) != ERR_OK)
		goto out;
	if ((e = apply(s, &settings[0],
	               value_of(0) != NULL ? value_of(0) : settings[0].dflt)) !=
	    ERR_OK)
		goto out;
	defaults(s);
	for (i = 1; i < NSETTINGS; i++) {
		const char *v = value_of(i);

		if (v != NULL && (e = apply(s, &settings[i], v)) != ERR_OK)
			goto out;
	}
	e = rules(s);
out:
	if (e != ERR_OK) {
		s->hardened = false;
		defaults(s);
		(void)rules(s);
	}
	return e;
}

void
app_settings_help(FILE *out)
{
	size_t i;

	fputs("Settings, environment variables (NAME=default; unset or empty:"
	      " the default):\n",
	      out);
	for (i = 0; i < NSETTINGS; i++) {
		fprintf(out, "  %s", settings[i].name);
		if (settings[i].dflt != NULL)
			fprintf(out, "=%s", settings[i].dflt);
		if (settings[i].hard != NULL)
			fprintf(out, " (hardened: %s)", settings[i].hard);
		fprintf(out, "\n      %s\n", settings[i].help);
	}
}
