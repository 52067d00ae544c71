/* context.c: the auth context, its clock, tokens and lazy store. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <sodium.h>
#include <uuid.h>

#include "../common/log.h"
#include "internal.h"

int64_t
auth_now(const struct auth *a)
{
	if (a->cfg.hooks.now != NULL)
		return a->cfg.hooks.now(a->cfg.hooks.arg);
	return (int64_t)time(NULL);
}

enum err
auth_store(struct auth *a, struct store **out)
{
	struct store_config sc;
	enum err e;

	if (a->st == NULL) {
		sc.path = a->cfg.db_path;
		sc.busy_ms = a->cfg.busy_ms;
		sc.max_pages = a->cfg.db_max_pages;
		sc.one_request = a->cfg.one_request;
		if ((e = store_open(&a->st, &sc)) != ERR_OK)
			return e;
	}
	*out = a->st;
	return ERR_OK;
}

void
auth_token_new(const struct auth *a, char out[AUTH_TOKEN_LEN + 1])
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

void
auth_public_id_new(const struct auth *a, char out[AUTH_PUBLIC_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[AUTH_PUBLIC_ID_LEN / 2];
	size_t i;

	if (a->cfg.hooks.uuid != NULL)
		a->cfg.hooks.uuid(a->cfg.hooks.arg, b);
	else if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		uuid_generate_random(b); /* getrandom(2) is there since 3.17 */
	for (i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[AUTH_PUBLIC_ID_LEN] = '\0';
}

void
auth_clean_text(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = '\0';
}

/* The digest under which a token is stored: the token itself is never
 * written to the database, so a copy of it holds no usable token. */
void
auth_token_digest(const char *token, unsigned char out[STORE_DIGEST_LEN])
{
	crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

bool
auth_token_shaped(const char *token)
{
	return token != NULL && strlen(token) == AUTH_TOKEN_LEN;
}

void
auth_user_of(const struct store_user *su, struct auth_user *out)
{
	out->id = su->id;
	memcpy(out->email, su->email, sizeof(out->email));
}

const char *
auth_client(const struct auth_call *call)
{
	return call != NULL ? call->client : NULL;
}

enum err
auth_new(struct auth **out, const struct auth_config *cfg)
{
	struct auth *a;
	enum err e;

	/* A method or cost that cannot make a hash is a misconfiguration,
	 * refused for every request alike: found at the first hash, it
	 * would fail some requests and not others. */
	if ((e = auth_check_hashing(cfg->hash_method, cfg->hash_cost)) !=
	    ERR_OK)
		return e;
	/* No sodium_init() here: a request that needs only SHA-256 and
	 * sodium_memcmp() (plain C that needs no set-up) skips it, as the
	 * set-up probes the CPU (CPUID traps to the hypervisor on a virtual
	 * machine): a measurable part of a CGI request. The secret key's
	 * first use (secret.c) calls it. */
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
	sodium_memzero(a->secret, sizeof(a->secret));
	free(a);
}

enum err
auth_init_store(struct auth *a)
{
	const unsigned char *key;
	struct store *st;
	enum err e;

	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	if (a->cfg.secret_key_file == NULL)
		return ERR_OK;
	return auth_secret(a, &key);
}

void
auth_random_token(struct auth *a, char out[AUTH_TOKEN_LEN + 1])
{
	auth_token_new(a, out);
}

bool
auth_token_equal(const char *a, const char *b)
{
	return auth_token_shaped(a) && auth_token_shaped(b) &&
	       sodium_memcmp(a, b, AUTH_TOKEN_LEN) == 0;
}
