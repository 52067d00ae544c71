/* totp.c: the second factor's secrets and codes (RFC 6238 time-based
 * one-time passwords, through liboath), the secrets sealed at rest with
 * a key derived from the service's secret key, and recovery codes. */
#include <stdio.h>
#include <string.h>

#ifndef AUTHCGI_NO_TOTP
#include <liboath/oath.h>
#endif
#include <sodium.h>

#include "../common/log.h"
#include "internal.h"

_Static_assert(AUTH_TOTP_SEALED_LEN == crypto_secretbox_NONCEBYTES +
                                           crypto_secretbox_MACBYTES +
                                           AUTH_TOTP_KEY_LEN,
               "a sealed secret is a nonce, a tag and the secret");

#ifndef AUTHCGI_NO_TOTP
/* liboath's set-up, once per process. */
static bool
oath_ready(void)
{
	static int rc = -1;

	if (rc != OATH_OK)
		rc = oath_init();
	return rc == OATH_OK;
}
#endif

/* The key that seals secrets, derived from the service's secret key so
 * that no other use of that key can open them. */
static enum err
box_key(struct auth *a, unsigned char key[crypto_secretbox_KEYBYTES])
{
	const unsigned char *master;
	enum err e;

	if ((e = auth_secret(a, &master)) != ERR_OK)
		return e;
	crypto_kdf_derive_from_key(key, crypto_secretbox_KEYBYTES, 2,
	                           "totp_box", master);
	return ERR_OK;
}

enum err
auth_totp_seal(struct auth *a, const unsigned char secret[AUTH_TOTP_KEY_LEN],
               unsigned char out[AUTH_TOTP_SEALED_LEN])
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	enum err e;

	if ((e = box_key(a, key)) != ERR_OK)
		return e;
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, secret,
	                      AUTH_TOTP_KEY_LEN, out, key);
	sodium_memzero(key, sizeof(key));
	return ERR_OK;
}

enum err
auth_totp_open(struct auth *a, const unsigned char *sealed, size_t n,
               unsigned char secret[AUTH_TOTP_KEY_LEN])
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	enum err e;
	int rc;

	if (n != AUTH_TOTP_SEALED_LEN)
		return ERR_DB;
	if ((e = box_key(a, key)) != ERR_OK)
		return e;
	rc = crypto_secretbox_open_easy(
	    secret, sealed + crypto_secretbox_NONCEBYTES,
	    n - crypto_secretbox_NONCEBYTES, sealed, key);
	sodium_memzero(key, sizeof(key));
	if (rc != 0) {
		/* Another key file than the one that sealed it. */
		log_error("second factor: a secret does not open with this"
		          " secret key file");
		return ERR_DB;
	}
	return ERR_OK;
}

void
auth_totp_secret_new(unsigned char secret[AUTH_TOTP_KEY_LEN])
{
	randombytes_buf(secret, AUTH_TOTP_KEY_LEN);
}

enum err
auth_totp_base32(const unsigned char secret[AUTH_TOTP_KEY_LEN],
                 char out[AUTH_TOTP_B32_LEN + 1])
{
#ifdef AUTHCGI_NO_TOTP
	(void)secret;
	(void)out;
	return ERR_UNSUPPORTED;
#else
	char *b32 = NULL;
	size_t n = 0;
	enum err e = ERR_OK;

	if (!oath_ready() ||
	    oath_base32_encode((const char *)secret, AUTH_TOTP_KEY_LEN, &b32,
	                       &n) != OATH_OK)
		return ERR_INTERNAL;
	if (n != AUTH_TOTP_B32_LEN)
		e = ERR_INTERNAL;
	else
		memcpy(out, b32, n + 1);
	if (b32 != NULL) {
		sodium_memzero(b32, n);
		free(b32);
	}
	return e;
#endif
}

enum err
auth_totp_verify(const struct auth *a,
                 const unsigned char secret[AUTH_TOTP_KEY_LEN],
                 const char *code, int64_t after, int64_t *step)
{
	const struct auth_totp *t = &a->cfg.totp;
	uint64_t counter = 0;
	int pos = 0, rc;
	size_t i;

	if (code == NULL || strlen(code) != t->digits)
		return ERR_CREDENTIALS;
	for (i = 0; code[i] != '\0'; i++)
		if (code[i] < '0' || code[i] > '9')
			return ERR_CREDENTIALS;
#ifdef AUTHCGI_NO_TOTP
	(void)secret;
	(void)after;
	(void)step;
	(void)counter;
	(void)pos;
	(void)rc;
	return ERR_UNSUPPORTED;
#else
	if (!oath_ready())
		return ERR_INTERNAL;
	rc = oath_totp_validate3((const char *)secret, AUTH_TOTP_KEY_LEN,
	                         (time_t)auth_now(a), t->period,
	                         OATH_TOTP_DEFAULT_START_TIME, t->skew, &pos,
	                         &counter, code);
	if (rc < 0)
		return rc == OATH_INVALID_OTP ? ERR_CREDENTIALS : ERR_INTERNAL;
	/* A code is good once: none at or before the last one used. */
	if ((int64_t)counter <= after)
		return ERR_CREDENTIALS;
	*step = (int64_t)counter;
	return ERR_OK;
#endif
}

/* Percent-encode s for a URI's path or query, into out. */
static bool
uri_part(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (n + 4 >= size)
			return false;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@", c) != NULL)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, size - n, "%%%02X", c);
	}
	out[n] = '\0';
	return true;
}

enum err
auth_totp_uri(const struct auth *a, const char *email,
              const char b32[AUTH_TOTP_B32_LEN + 1], char *out, size_t size)
{
	const struct auth_totp *t = &a->cfg.totp;
	char issuer[256], account[3 * AUTH_EMAIL_MAX + 1];
	int w;

	if (!uri_part(t->issuer, issuer, sizeof(issuer)) ||
	    !uri_part(email, account, sizeof(account)))
		return ERR_INTERNAL;
	/* The format authenticator apps read (Google's "Key Uri Format"). */
	w = snprintf(out, size,
	             "otpauth://totp/%s:%s?secret=%s&issuer=%s"
	             "&algorithm=SHA1&digits=%u&period=%u",
	             issuer, account, b32, issuer, t->digits, t->period);
	return w > 0 && (size_t)w < size ? ERR_OK : ERR_INTERNAL;
}

void
auth_recovery_new(char code[AUTH_RECOVERY_LEN + 1])
{
	/* 12 characters of RFC 4648's base32 alphabet (60 bits), in three
	 * groups: easy to read and type, no 0/O or 1/I to confuse. */
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char r[12];
	size_t i, n = 0;

	randombytes_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++) {
		if (i > 0 && i % 4 == 0)
			code[n++] = '-';
		code[n++] = alphabet[r[i] & 31];
	}
	code[n] = '\0';
	sodium_memzero(r, sizeof(r));
}

enum err
auth_recovery_digest(struct auth *a, const char *code,
                     char out[AUTH_DIGEST_HEX + 1])
{
	char norm[AUTH_RECOVERY_LEN + 1];
	size_t i, n = 0;
	enum err e;

	/* As typed: any case, with or without the dashes or blanks. */
	for (i = 0; code[i] != '\0'; i++) {
		char c = code[i];

		if (c == '-' || c == ' ')
			continue;
		if (n == AUTH_RECOVERY_LEN)
			return ERR_CREDENTIALS;
		norm[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	norm[n] = '\0';
	e = auth_keyed_digest(a, "recovery", norm, out);
	sodium_memzero(norm, sizeof(norm));
	return e;
}
