/* auth.c: accounts, sessions and reset tokens on top of the store. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crypt.h>
#include <sodium.h>
#include <uuid.h>

#include "../common/log.h"
#include "../store/store.h"
#include "auth.h"

/* A session's last_seen is written at most this often (seconds), so that
 * reading a profile is not a database write each time. */
#define TOUCH_INTERVAL 60

struct auth {
	struct auth_config cfg;
	struct store *st; /* opened on first use */
};

static int64_t
now_of(const struct auth *a)
{
	if (a->cfg.hooks.now != NULL)
		return a->cfg.hooks.now(a->cfg.hooks.arg);
	return (int64_t)time(NULL);
}

/* A new random token: a UUID4 in canonical lower-case text. */
static void
token_new(const struct auth *a, char out[AUTH_TOKEN_LEN + 1])
{
	uuid_t u;

	if (a->cfg.hooks.uuid != NULL) {
		a->cfg.hooks.uuid(a->cfg.hooks.arg, u);
		u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
		u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	} else {
		uuid_generate_random(u);
	}
	uuid_unparse_lower(u, out);
	explicit_bzero(u, sizeof(u));
}

/* The digest under which a token is stored: the token itself is never
 * written to the database. */
static void
token_digest(const char *token, unsigned char out[STORE_DIGEST_LEN])
{
	crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

static bool
token_shaped(const char *token)
{
	return token != NULL && strlen(token) == AUTH_TOKEN_LEN;
}

static enum err
store_get(struct auth *a, struct store **out)
{
	struct store_config sc;
	enum err e;

	if (a->st == NULL) {
		sc.path = a->cfg.db_path;
		sc.busy_ms = a->cfg.busy_ms;
		if ((e = store_open(&a->st, &sc)) != ERR_OK)
			return e;
	}
	*out = a->st;
	return ERR_OK;
}

static void
user_of(const struct store_user *su, struct auth_user *out)
{
	out->id = su->id;
	memcpy(out->email, su->email, sizeof(out->email));
}

enum err
auth_new(struct auth **out, const struct auth_config *cfg)
{
	struct auth *a;

	if (sodium_init() < 0) {
		log_error("libsodium failed to initialise");
		return ERR_INTERNAL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ERR_NOMEM;
	a->cfg = *cfg;
	*out = a;
	return ERR_OK;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	store_close(a->st);
	free(a);
}

enum err
auth_init_store(struct auth *a)
{
	struct store *st;

	return store_get(a, &st);
}

/* ---- input rules ---- */

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

/* Code points in a string already known to be valid UTF-8. */
static size_t
utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* bcrypt reads at most 72 bytes: longer passwords would be cut. */
static bool
method_is_bcrypt(const char *method)
{
	return strncmp(method, "$2", 2) == 0;
}

enum err
auth_check_password(const struct auth *a, const char *password,
    bool *too_long)
{
	size_t max = a->cfg.password_max;

	if (method_is_bcrypt(a->cfg.hash_method) && max > 72)
		max = 72;
	if (strlen(password) > max) {
		*too_long = true;
		return ERR_PASSWORD;
	}
	if (utf8_length(password) < a->cfg.password_min) {
		*too_long = false;
		return ERR_PASSWORD;
	}
	return ERR_OK;
}

/* ---- hashing ---- */

/* crypt(3) of password with setting into out; a failure of the library
 * (unknown method, bad setting) is ERR_INTERNAL. */
static enum err
crypt_into(const char *password, const char *setting, char *out,
    size_t size)
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

/* A fresh setting (method, cost and random salt) for the configured
 * method. */
static enum err
new_setting(const struct auth *a, char *out, size_t size)
{
	if (crypt_gensalt_rn(a->cfg.hash_method, a->cfg.hash_cost, NULL, 0,
		out, (int)size) == NULL) {
		log_error("hashing: cannot make a salt for method \"%s\" with"
			  " cost %lu",
		    a->cfg.hash_method, a->cfg.hash_cost);
		return ERR_INTERNAL;
	}
	return ERR_OK;
}

static enum err
hash_password(const struct auth *a, const char *password,
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

/* Does password match hash? Any method libxcrypt knows verifies. */
static enum err
verify_password(const char *password, const char *hash, bool *match)
{
	char out[CRYPT_OUTPUT_SIZE];
	size_t n = strlen(hash);
	enum err e;

	e = crypt_into(password, hash, out, sizeof(out));
	if (e == ERR_INTERNAL) {
		/* A hash this library cannot read is a mismatch, not a
		 * fault: the account simply cannot log in. */
		log_error("hashing: stored hash has an unknown format");
		*match = false;
		return ERR_OK;
	}
	if (e != ERR_OK)
		return e;
	*match = strlen(out) == n && sodium_memcmp(out, hash, n) == 0;
	explicit_bzero(out, sizeof(out));
	return ERR_OK;
}

/* The same hashing work as a real check, for an account that does not
 * exist: unknown emails cannot be told from wrong passwords by time. */
static enum err
verify_dummy(const struct auth *a, const char *password)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char out[CRYPT_OUTPUT_SIZE];
	enum err e;

	if ((e = new_setting(a, setting, sizeof(setting))) != ERR_OK)
		return e;
	e = crypt_into(password, setting, out, sizeof(out));
	explicit_bzero(out, sizeof(out));
	return e;
}

/* ---- accounts ---- */

enum err
auth_register(struct auth *a, const char *email, const char *password,
    struct auth_user *out)
{
	char hash[STORE_HASH_MAX + 1];
	struct store *st;
	bool too_long;
	enum err e;
	int64_t id;

	if ((e = auth_check_email(email)) != ERR_OK)
		return e;
	if ((e = auth_check_password(a, password, &too_long)) != ERR_OK)
		return e;
	if ((e = store_get(a, &st)) != ERR_OK)
		return e;
	if ((e = hash_password(a, password, hash)) != ERR_OK)
		return e;
	e = store_user_insert(st, email, hash, now_of(a), &id);
	explicit_bzero(hash, sizeof(hash));
	if (e != ERR_OK)
		return e;
	out->id = id;
	memcpy(out->email, email, strlen(email) + 1);
	return ERR_OK;
}

enum err
auth_login(struct auth *a, const char *email, const char *password,
    struct auth_user *user, char sid[AUTH_TOKEN_LEN + 1])
{
	unsigned char digest[STORE_DIGEST_LEN];
	char token[AUTH_TOKEN_LEN + 1];
	struct store_user su;
	struct store *st;
	bool match = false;
	int64_t now;
	enum err e;

	if ((e = store_get(a, &st)) != ERR_OK)
		return e;
	e = strlen(email) > AUTH_EMAIL_MAX ? ERR_NOT_FOUND
					    : store_user_by_email(st, email, &su);
	if (e == ERR_NOT_FOUND) {
		if ((e = verify_dummy(a, password)) != ERR_OK)
			return e;
		return ERR_CREDENTIALS;
	}
	if (e != ERR_OK)
		return e;
	e = verify_password(password, su.hash, &match);
	explicit_bzero(su.hash, sizeof(su.hash));
	if (e != ERR_OK)
		return e;
	if (!match)
		return ERR_CREDENTIALS;

	token_new(a, token);
	token_digest(token, digest);
	now = now_of(a);
	if ((e = store_begin(st)) != ERR_OK)
		goto out;
	if ((e = store_session_insert(st, digest, su.id, now)) != ERR_OK ||
	    (e = store_user_set_login(st, su.id, now)) != ERR_OK ||
	    (e = store_commit(st)) != ERR_OK) {
		store_rollback(st);
		goto out;
	}
	user_of(&su, user);
	memcpy(sid, token, sizeof(token));
out:
	explicit_bzero(token, sizeof(token));
	return e;
}

/* ---- sessions ---- */

/* Find the live session of sid; an expired one is deleted on the way. */
static enum err
session_live(struct auth *a, const char *sid, struct store_session *out)
{
	unsigned char digest[STORE_DIGEST_LEN];
	struct store_session s;
	struct store *st;
	int64_t now, touch;
	enum err e;

	if (!token_shaped(sid))
		return ERR_NO_SESSION;
	if ((e = store_get(a, &st)) != ERR_OK)
		return e;
	token_digest(sid, digest);
	e = store_session_find(st, digest, &s);
	if (e == ERR_NOT_FOUND)
		return ERR_NO_SESSION;
	if (e != ERR_OK)
		return e;
	if (sodium_memcmp(s.digest, digest, sizeof(digest)) != 0)
		return ERR_NO_SESSION;
	now = now_of(a);
	if (now - s.last_seen >= a->cfg.session_idle ||
	    now - s.created >= a->cfg.session_max) {
		if ((e = store_session_delete(st, digest)) != ERR_OK)
			return e;
		return ERR_NO_SESSION;
	}
	touch = a->cfg.session_idle / 2 < TOUCH_INTERVAL
		    ? a->cfg.session_idle / 2
		    : TOUCH_INTERVAL;
	if (now - s.last_seen >= touch && now > s.last_seen) {
		if ((e = store_session_touch(st, digest, now)) != ERR_OK)
			return e;
		s.last_seen = now;
	}
	*out = s;
	return ERR_OK;
}

enum err
auth_session_user(struct auth *a, const char *sid, struct auth_user *out)
{
	struct store_session s;
	struct store_user su;
	enum err e;

	if ((e = session_live(a, sid, &s)) != ERR_OK)
		return e;
	e = store_user_by_id(a->st, s.user_id, &su);
	if (e == ERR_NOT_FOUND)
		return ERR_NO_SESSION;
	if (e != ERR_OK)
		return e;
	explicit_bzero(su.hash, sizeof(su.hash));
	user_of(&su, out);
	return ERR_OK;
}

enum err
auth_logout(struct auth *a, const char *sid)
{
	struct store_session s;
	enum err e;

	if ((e = session_live(a, sid, &s)) != ERR_OK)
		return e;
	return store_session_delete(a->st, s.digest);
}

/* ---- password reset ---- */

enum err
auth_reset_request(struct auth *a, const char *email, struct auth_user *user,
    char token[AUTH_TOKEN_LEN + 1])
{
	unsigned char digest[STORE_DIGEST_LEN];
	char t[AUTH_TOKEN_LEN + 1];
	struct store_user su;
	struct store *st;
	enum err e;

	if (strlen(email) > AUTH_EMAIL_MAX)
		return ERR_NOT_FOUND;
	if ((e = store_get(a, &st)) != ERR_OK)
		return e;
	if ((e = store_user_by_email(st, email, &su)) != ERR_OK)
		return e;
	explicit_bzero(su.hash, sizeof(su.hash));
	token_new(a, t);
	token_digest(t, digest);
	e = store_reset_put(st, su.id, digest, now_of(a) + a->cfg.reset_ttl);
	if (e == ERR_OK) {
		user_of(&su, user);
		memcpy(token, t, sizeof(t));
	}
	explicit_bzero(t, sizeof(t));
	return e;
}

/* Is token the live reset token of the account of email? Sets *su. */
static enum err
reset_valid(struct auth *a, struct store *st, const char *email,
    const char *token, struct store_user *su)
{
	unsigned char digest[STORE_DIGEST_LEN];
	struct store_reset r;
	enum err e;

	if (!token_shaped(token) || strlen(email) > AUTH_EMAIL_MAX)
		return ERR_TOKEN;
	e = store_user_by_email(st, email, su);
	if (e == ERR_OK)
		e = store_reset_get(st, su->id, &r);
	if (e == ERR_NOT_FOUND)
		return ERR_TOKEN;
	if (e != ERR_OK)
		return e;
	token_digest(token, digest);
	if (sodium_memcmp(r.digest, digest, sizeof(digest)) != 0)
		return ERR_TOKEN;
	if (now_of(a) >= r.expires)
		return ERR_TOKEN;
	return ERR_OK;
}

enum err
auth_reset_update(struct auth *a, const char *email, const char *token,
    const char *password, struct auth_user *user)
{
	char hash[STORE_HASH_MAX + 1];
	struct store_user su;
	struct store *st;
	bool too_long;
	enum err e;

	if ((e = auth_check_password(a, password, &too_long)) != ERR_OK)
		return e;
	if ((e = store_get(a, &st)) != ERR_OK)
		return e;
	/* Check before the slow hash, so that bad tokens cost little ... */
	if ((e = reset_valid(a, st, email, token, &su)) != ERR_OK)
		return e;
	if ((e = hash_password(a, password, hash)) != ERR_OK)
		return e;
	/* ... and again under the write lock, so that a token is spent
	 * exactly once however many requests race for it. */
	if ((e = store_begin(st)) != ERR_OK)
		goto out;
	if ((e = reset_valid(a, st, email, token, &su)) != ERR_OK ||
	    (e = store_user_set_hash(st, su.id, hash)) != ERR_OK ||
	    (e = store_session_delete_user(st, su.id)) != ERR_OK ||
	    (e = store_reset_delete(st, su.id)) != ERR_OK ||
	    (e = store_commit(st)) != ERR_OK) {
		store_rollback(st);
		goto out;
	}
	explicit_bzero(su.hash, sizeof(su.hash));
	user_of(&su, user);
out:
	explicit_bzero(hash, sizeof(hash));
	return e;
}
