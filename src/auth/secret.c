/* secret.c: the service's secret key, kept in a file of its own (never in
 * the database), and the keyed digests made with it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../common/io.h"
#include "../common/log.h"
#include "internal.h"

/* The file holds the key as 64 lowercase hexadecimal digits and an
 * optional newline: text that survives copying between hosts. */
#define HEX_LEN (2 * AUTH_SECRET_LEN)

/* Read the key file at path into key: ERR_NOT_FOUND when there is no
 * such file, ERR_DB (logged) when it cannot be read or is malformed. */
static enum err
key_read(const char *path, unsigned char key[AUTH_SECRET_LEN])
{
	char buf[HEX_LEN + 2];
	size_t bin_len = 0;
	ssize_t n;
	enum err e = ERR_OK;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return ERR_NOT_FOUND;
		log_error("secret key: cannot read %s: %s", path,
		          strerror(errno));
		return ERR_DB;
	}
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n == HEX_LEN + 1 && buf[HEX_LEN] == '\n')
		n--;
	if (n != HEX_LEN ||
	    sodium_hex2bin(key, AUTH_SECRET_LEN, buf, HEX_LEN, NULL, &bin_len,
	                   NULL) != 0 ||
	    bin_len != AUTH_SECRET_LEN) {
		log_error("secret key: %s is not 64 hexadecimal digits", path);
		e = ERR_DB;
	}
	sodium_memzero(buf, sizeof(buf));
	return e;
}

/*
 * Make a new key file at path, mode 0600. It is written whole under a
 * temporary name first and then linked to path, which fails when path
 * exists: two processes that both found no key cannot end up with two
 * keys, and none can read a half-written one.
 */
static enum err
key_create(const char *path)
{
	unsigned char key[AUTH_SECRET_LEN];
	char hex[HEX_LEN + 2], tmp[4096];
	enum err e = ERR_OK;
	int fd, w;

	w = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (w < 0 || (size_t)w >= sizeof(tmp))
		return ERR_DB;
	if ((fd = mkstemp(tmp)) < 0) {
		log_error("secret key: cannot create %s: %s", path,
		          strerror(errno));
		return ERR_DB;
	}
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	hex[HEX_LEN] = '\n';
	if (fchmod(fd, 0600) != 0 || io_write_all(fd, hex, HEX_LEN + 1) != 0 ||
	    fsync(fd) != 0) {
		log_error("secret key: cannot write %s: %s", tmp,
		          strerror(errno));
		e = ERR_DB;
	}
	close(fd);
	if (e == ERR_OK && link(tmp, path) != 0 && errno != EEXIST) {
		log_error("secret key: cannot create %s: %s", path,
		          strerror(errno));
		e = ERR_DB;
	}
	unlink(tmp);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	if (e == ERR_OK)
		log_error("secret key: created %s (keep a copy with the"
		          " database's backups)",
		          path);
	return e;
}

enum err
auth_secret(struct auth *a, const unsigned char **key)
{
	const char *path = a->cfg.secret_key_file;
	enum err e;

	if (a->has_secret) {
		*key = a->secret;
		return ERR_OK;
	}
	if (path == NULL || *path == '\0') {
		log_error("secret key: no key file is configured"
		          " (AUTHCGI_SECRET_KEY_FILE)");
		return ERR_DB;
	}
	/* libsodium's own set-up, needed before its random generator;
	 * deferred to here so that requests without a key skip it. */
	if (sodium_init() < 0)
		return ERR_INTERNAL;
	e = key_read(path, a->secret);
	if (e == ERR_NOT_FOUND && (e = key_create(path)) == ERR_OK)
		e = key_read(path, a->secret);
	if (e == ERR_NOT_FOUND) {
		log_error("secret key: %s vanished after it was made", path);
		e = ERR_DB;
	}
	if (e != ERR_OK)
		return e;
	a->has_secret = true;
	*key = a->secret;
	return ERR_OK;
}

enum err
auth_keyed_digest(struct auth *a, const char *purpose, const char *text,
                  char out[AUTH_DIGEST_HEX + 1])
{
	unsigned char sub[crypto_generichash_KEYBYTES];
	unsigned char d[AUTH_DIGEST_HEX / 2];
	crypto_generichash_state h;
	const unsigned char *key;
	enum err e;

	if ((e = auth_secret(a, &key)) != ERR_OK)
		return e;
	/* A key of its own for these digests, derived from the service's
	 * key, so that no other use of that key can yield them. */
	crypto_kdf_derive_from_key(sub, sizeof(sub), 1, "digests_", key);
	crypto_generichash_init(&h, sub, sizeof(sub), sizeof(d));
	crypto_generichash_update(&h, (const unsigned char *)purpose,
	                          strlen(purpose) + 1);
	crypto_generichash_update(&h, (const unsigned char *)text,
	                          strlen(text));
	crypto_generichash_final(&h, d, sizeof(d));
	sodium_bin2hex(out, AUTH_DIGEST_HEX + 1, d, sizeof(d));
	sodium_memzero(sub, sizeof(sub));
	return ERR_OK;
}
