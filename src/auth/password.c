/* password.c: email and password rules, and hashing with libxcrypt. */
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <sodium.h>

#include "../common/log.h"
#include "internal.h"

/* bcrypt reads at most this many bytes: longer passwords would be cut,
 * so they are refused instead. */
#define BCRYPT_MAX 72

enum err
auth_check_email(const char *email)
{
	const char *at, *p;
	size_t len = strlen(email), local;

	if (len == 0 || len > AUTH_EMAIL_MAX)
		return ERR_EMAIL;
	if ((at = strchr(email, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return ERR_EMAIL;
	local = (size_t)(at - email);
	if (local == 0 || local > 64 || at[1] == '\0')
		return ERR_EMAIL;
	/* No spaces, controls or characters that would need quoting. */
	for (p = email; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c == 0x7f || strchr("\"(),:;<>[\\]", c))
			return ERR_EMAIL;
	}
	/* The domain: dot-separated, non-empty labels. */
	if (at[1] == '.' || email[len - 1] == '.' || strstr(at, "..") != NULL)
		return ERR_EMAIL;
	return ERR_OK;
}

static bool
method_is_bcrypt(const char *method)
{
	return strncmp(method, "$2", 2) == 0;
}

size_t
auth_password_max(const struct auth *a)
{
	size_t max = a->cfg.password_max;

	if (method_is_bcrypt(a->cfg.hash_method) && max > BCRYPT_MAX)
		max = BCRYPT_MAX;
	/* libxcrypt hashes nothing longer. */
	if (max > CRYPT_MAX_PASSPHRASE_SIZE - 1)
		max = CRYPT_MAX_PASSPHRASE_SIZE - 1;
	return max;
}

/*
 * Count code points and look for control characters (C0, DEL and C1) in
 * a string already known to be valid UTF-8: the http layer refuses
 * anything else before a field reaches us.
 */
static size_t
scan_utf8(const char *s, bool *control)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	*control = false;
	for (; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			n++;
		if (*p < 0x20 || *p == 0x7f)
			*control = true;
		/* U+0080..U+009F are 0xc2 0x80..0x9f */
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			*control = true;
	}
	return n;
}

enum err
auth_check_password(const struct auth *a, const char *password,
                    enum auth_pw_problem *why)
{
	enum auth_pw_problem w = AUTH_PW_OK;
	bool control;
	size_t n;

	n = scan_utf8(password, &control);
	if (strlen(password) > auth_password_max(a))
		w = AUTH_PW_LONG;
	else if (n < a->cfg.password_min)
		w = AUTH_PW_SHORT;
	else if (control)
		w = AUTH_PW_CONTROL;
	else if (a->cfg.reject_common && auth_password_common(password))
		w = AUTH_PW_COMMON;
	if (w == AUTH_PW_OK)
		return ERR_OK;
	*why = w;
	return ERR_PASSWORD;
}

/* crypt(3) of password with setting into out; a failure of the library
 * (unknown method, bad setting) is ERR_INTERNAL. */
static enum err
crypt_into(const char *password, const char *setting, char *out, size_t size)
{
	struct crypt_data *cd;
	enum err e = ERR_OK;
	const char *h;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return ERR_NOMEM;
	h = crypt_rn(password, setting, cd, sizeof(*cd));
	if (h == NULL || h[0] == '*' || strlen(h) >= size) {
		e = ERR_INTERNAL;
		goto out;
	}
	memcpy(out, h, strlen(h) + 1);
out:
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return e;
}

enum err
auth_check_hashing(const char *method, unsigned long cost)
{
	static const char rbytes[32]; /* the salt does not matter here */
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	if (crypt_gensalt_rn(method, cost, rbytes, (int)sizeof(rbytes), setting,
	                     (int)sizeof(setting)) == NULL) {
		log_error("hashing: method \"%s\" with cost %lu is not one"
		          " that libxcrypt can make",
		          method, cost);
		return ERR_INVAL;
	}
	return ERR_OK;
}

/* A fresh setting (method, cost and random salt) for the configured
 * method and cost; the cost is always passed as configured. */
static enum err
new_setting(const struct auth *a, char *out, size_t size)
{
	if (crypt_gensalt_rn(a->cfg.hash_method, a->cfg.hash_cost, NULL, 0, out,
	                     (int)size) == NULL) {
		log_error("hashing: cannot make a salt for method \"%s\" with"
		          " cost %lu",
		          a->cfg.hash_method, a->cfg.hash_cost);
		return ERR_INTERNAL;
	}
	return ERR_OK;
}

enum err
auth_hash_password(const struct auth *a, const char *password,
                   char out[STORE_HASH_MAX + 1])
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	enum err e;

	if ((e = new_setting(a, setting, sizeof(setting))) != ERR_OK)
		return e;
	if ((e = crypt_into(password, setting, out, STORE_HASH_MAX + 1)) !=
	    ERR_OK)
		log_error("hashing: crypt failed for method \"%s\"",
		          a->cfg.hash_method);
	return e;
}

enum err
auth_verify_password(const char *password, const char *hash, bool *match)
{
	char out[CRYPT_OUTPUT_SIZE];
	size_t n = strlen(hash);
	enum err e;

	e = crypt_into(password, hash, out, sizeof(out));
	if (e == ERR_INTERNAL) {
		/* A hash this library cannot read is a mismatch, not a
		 * fault: that account simply cannot log in. */
		log_error("hashing: a stored hash has an unknown format");
		*match = false;
		return ERR_OK;
	}
	if (e != ERR_OK)
		return e;
	*match = strlen(out) == n && sodium_memcmp(out, hash, n) == 0;
	explicit_bzero(out, sizeof(out));
	return ERR_OK;
}

enum err
auth_verify_dummy(const struct auth *a, const char *password)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char out[CRYPT_OUTPUT_SIZE];
	enum err e;

	/* A password that no account can have (too long to hash) costs the
	 * same hash all the same. */
	if (strlen(password) > auth_password_max(a))
		password = "";
	if ((e = new_setting(a, setting, sizeof(setting))) != ERR_OK)
		return e;
	e = crypt_into(password, setting, out, sizeof(out));
	explicit_bzero(out, sizeof(out));
	return e;
}

/*
 * Was hash made with another method or cost than the configured ones?
 * A setting is "$id$params$salt" (or "$id$salt"): everything up to its
 * last '$' names the method and cost, and a hash made with the same
 * ones starts with the same text.
 */
bool
auth_hash_outdated(const struct auth *a, const char *hash)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *last;

	if (new_setting(a, setting, sizeof(setting)) != ERR_OK)
		return false;
	if ((last = strrchr(setting, '$')) == NULL)
		return false;
	return strncmp(hash, setting, (size_t)(last - setting) + 1) != 0;
}
