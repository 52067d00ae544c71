/* clients.c: the client addresses an account has used, remembered for a
 * while so that a log-in from a new one can be told to the account. Kept
 * as keyed digests (secret.c) of the account and the address together:
 * the database holds no address of them, and the same address gives
 * unrelated keys in two accounts. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

enum err
auth_client_remember(struct auth *a, struct store *st, int64_t uid,
                     const struct auth_call *call, bool *notify)
{
	const char *client = auth_client(call);
	char text[32 + AUTH_CLIENT_MAX + 1], key[AUTH_DIGEST_HEX + 1];
	char clean[AUTH_CLIENT_MAX + 1];
	int64_t now = auth_now(a), since, seen = 0, n = 0;
	enum err e;

	*notify = false;
	if (client == NULL || *client == '\0' || a->cfg.client_memory <= 0)
		return ERR_OK;
	auth_clean_text(clean, sizeof(clean), client);
	snprintf(text, sizeof(text), "%" PRId64 " %s", uid, clean);
	if ((e = auth_keyed_digest(a, "client", text, key)) != ERR_OK)
		return e;
	since = now - a->cfg.client_memory;
	if ((e = store_client_seen(st, uid, key, &seen)) != ERR_OK)
		return e;
	if (seen < since) {
		if ((e = store_client_count(st, uid, since, &n)) != ERR_OK)
			return e;
		*notify = n > 0;
	}
	return store_client_put(st, uid, key, now);
}
