/* settings.c: AUTHCGI_* environment variables and their defaults. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "app.h"

#define DEFAULT_DB "/var/lib/authcgi/auth.db"

/* The secret key file's default: the database's path and ".key". Set
 * once per process, like the settings that point at it. */
static char default_key_file[4096];

/* The hardened profile's floor for AUTHCGI_PASSWORD_MIN. */
#define HARDENED_PASSWORD_MIN 12

/* Read variable name as an integer in [min, max] into *out; unset or
 * empty leaves *out (the default). */
static enum err
env_int(const char *name, long long min, long long max, long long *out)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (v == NULL || *v == '\0')
		return ERR_OK;
	if ((*v < '0' || *v > '9') && *v != '-') {
		log_error("setting %s=\"%s\" is not a number", name, v);
		return ERR_INVAL;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max) {
		log_error("setting %s=\"%s\" is not a number in [%lld, %lld]",
		          name, v, min, max);
		return ERR_INVAL;
	}
	*out = n;
	return ERR_OK;
}

static const char *
env_str(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v == NULL || *v == '\0' ? dflt : v;
}

static void
defaults(struct app_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->limits.max_body = 65536;
	s->limits.max_fields = 32;
	s->limits.max_header = 8192;
	s->auth.db_path = DEFAULT_DB;
	s->auth.busy_ms = 5000;
	s->auth.hash_method = "$y$";
	s->auth.hash_cost = 5;
	s->auth.password_min = 5;
	s->auth.password_max = 128;
	s->auth.session_idle = 1800;
	s->auth.session_max = 43200;
	s->auth.reset_ttl = 3600;
	s->auth.throttle.account_limit = 5;
	s->auth.throttle.addr_limit = 50;
	s->auth.throttle.window = 600;
	s->auth.throttle.lockout = 900;
	s->cookie_name = "session_id";
	s->cookie_secure = false;
	s->request_timeout = 30;
	s->log_path = NULL;
}

enum err
app_settings_load(struct app_settings *s)
{
	long long body, fields, header, busy, cost, pmin, pmax, idle, smax, ttl,
	    secure, timeout, lacct, laddr, lwin, llock, pages, ends;
	const char *profile;
	enum err e = ERR_OK;

	defaults(s);
	body = (long long)s->limits.max_body;
	fields = (long long)s->limits.max_fields;
	header = (long long)s->limits.max_header;
	busy = s->auth.busy_ms;
	pages = s->auth.db_max_pages;
	cost = (long long)s->auth.hash_cost;
	pmin = (long long)s->auth.password_min;
	pmax = (long long)s->auth.password_max;
	idle = s->auth.session_idle;
	smax = s->auth.session_max;
	ttl = s->auth.reset_ttl;
	secure = s->cookie_secure;
	timeout = s->request_timeout;
	lacct = s->auth.throttle.account_limit;
	laddr = s->auth.throttle.addr_limit;
	lwin = s->auth.throttle.window;
	llock = s->auth.throttle.lockout;

	profile = env_str("AUTHCGI_PROFILE", "default");
	if (strcmp(profile, "hardened") == 0) {
		s->hardened = true;
	} else if (strcmp(profile, "default") != 0) {
		log_error("setting AUTHCGI_PROFILE=\"%s\" is neither"
		          " \"default\" nor \"hardened\"",
		          profile);
		e = ERR_INVAL;
		goto out;
	}

	if (env_int("AUTHCGI_MAX_BODY", 0, 1LL << 30, &body) ||
	    env_int("AUTHCGI_MAX_FIELDS", 1, 100000, &fields) ||
	    env_int("AUTHCGI_MAX_HEADER", 64, 1 << 20, &header) ||
	    env_int("AUTHCGI_BUSY_TIMEOUT", 0, 600000, &busy) ||
	    env_int("AUTHCGI_DB_MAX_PAGES", 0, 1LL << 31, &pages) ||
	    env_int("AUTHCGI_HASH_COST", 0, 1L << 30, &cost) ||
	    env_int("AUTHCGI_PASSWORD_MIN", 1, 1024, &pmin) ||
	    env_int("AUTHCGI_PASSWORD_MAX", 1, 4096, &pmax) ||
	    env_int("AUTHCGI_SESSION_IDLE", 1, 1LL << 40, &idle) ||
	    env_int("AUTHCGI_SESSION_MAX", 1, 1LL << 40, &smax) ||
	    env_int("AUTHCGI_RESET_TTL", 1, 1LL << 40, &ttl) ||
	    env_int("AUTHCGI_COOKIE_SECURE", 0, 1, &secure) ||
	    env_int("AUTHCGI_REQUEST_TIMEOUT", 1, 3600, &timeout) ||
	    env_int("AUTHCGI_LOCK_ACCOUNT", 0, 1000000, &lacct) ||
	    env_int("AUTHCGI_LOCK_ADDRESS", 0, 1000000, &laddr) ||
	    env_int("AUTHCGI_LOCK_WINDOW", 1, 1LL << 40, &lwin) ||
	    env_int("AUTHCGI_LOCK_TIME", 1, 1LL << 40, &llock)) {
		e = ERR_INVAL;
		goto out;
	}
	/* A reset ends the account's sessions in the hardened profile; the
	 * original service kept them, and so does the default profile. */
	ends = s->hardened;
	if (env_int("AUTHCGI_RESET_ENDS_SESSIONS", 0, 1, &ends)) {
		e = ERR_INVAL;
		goto out;
	}
	s->auth.reset_ends_sessions = ends != 0;
	if (s->hardened && pmin < HARDENED_PASSWORD_MIN)
		pmin = HARDENED_PASSWORD_MIN;
	if (pmin > pmax) {
		log_error("setting AUTHCGI_PASSWORD_MIN=%lld is above"
		          " AUTHCGI_PASSWORD_MAX=%lld",
		          pmin, pmax);
		e = ERR_INVAL;
		goto out;
	}
	s->limits.max_body = (size_t)body;
	s->limits.max_fields = (size_t)fields;
	s->limits.max_header = (size_t)header;
	s->auth.busy_ms = (int)busy;
	s->auth.db_max_pages = (long)pages;
	s->auth.hash_cost = (unsigned long)cost;
	s->auth.password_min = (size_t)pmin;
	s->auth.password_max = (size_t)pmax;
	s->auth.session_idle = idle;
	s->auth.session_max = smax;
	s->auth.reset_ttl = ttl;
	s->cookie_secure = secure != 0;
	s->request_timeout = (unsigned)timeout;
	s->auth.db_path = env_str("AUTHCGI_DB", DEFAULT_DB);
	s->auth.hash_method = env_str("AUTHCGI_HASH_METHOD", "$y$");
	s->log_path = env_str("AUTHCGI_LOG", NULL);
	s->audit_path = env_str("AUTHCGI_AUDIT_LOG", NULL);
	s->allowed_origins = env_str("AUTHCGI_ALLOWED_ORIGINS", NULL);
	s->auth.throttle.account_limit = lacct;
	s->auth.throttle.addr_limit = laddr;
	s->auth.throttle.window = lwin;
	s->auth.throttle.lockout = llock;
	s->auth.deliver_command = env_str("AUTHCGI_RESET_COMMAND", NULL);
	s->auth.reset_url = env_str("AUTHCGI_PUBLIC_URL", NULL);
	s->auth.secret_key_file = env_str("AUTHCGI_SECRET_KEY_FILE", NULL);
	if (s->auth.secret_key_file == NULL) {
		int n = snprintf(default_key_file, sizeof(default_key_file),
		                 "%s.key", s->auth.db_path);

		if (n < 0 || (size_t)n >= sizeof(default_key_file)) {
			log_error("setting AUTHCGI_DB is too long");
			e = ERR_INVAL;
			goto out;
		}
		s->auth.secret_key_file = default_key_file;
	}
	if (s->hardened) {
		s->cookie_name = "__Host-session_id";
		s->cookie_secure = true;
		s->auth.reject_common = true;
		if (s->auth.deliver_command == NULL) {
			log_error("setting AUTHCGI_PROFILE=hardened needs"
			          " AUTHCGI_RESET_COMMAND (how reset tokens"
			          " reach their owner)");
			e = ERR_INVAL;
			goto out;
		}
	}
out:
	if (e != ERR_OK)
		defaults(s);
	return e;
}
