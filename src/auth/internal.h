/* internal.h: what the files of the auth layer share. Not a contract for
 * other layers: they include auth.h only. */
#ifndef AUTHCGI_AUTH_INTERNAL_H
#define AUTHCGI_AUTH_INTERNAL_H

#include "../store/store.h"
#include "auth.h"

struct auth {
	struct auth_config cfg;
	struct store *st; /* opened on first use */
};

/* context.c */
int64_t auth_now(const struct auth *a);
enum err auth_store(struct auth *a, struct store **out);
void auth_token_new(const struct auth *a, char out[AUTH_TOKEN_LEN + 1]);
void auth_token_digest(const char *token, unsigned char out[STORE_DIGEST_LEN]);
bool auth_token_shaped(const char *token);
void auth_user_of(const struct store_user *su, struct auth_user *out);
const char *auth_client(const struct auth_call *call);

/* password.c */
enum err auth_hash_password(const struct auth *a, const char *password,
                            char out[STORE_HASH_MAX + 1]);
enum err auth_verify_password(const char *password, const char *hash,
                              bool *match);
enum err auth_verify_dummy(const struct auth *a, const char *password);
bool auth_hash_outdated(const struct auth *a, const char *hash);

/* common.c: is password (compared without ASCII case) a common one? */
bool auth_password_common(const char *password);

/* throttle.c: kinds of counted events. */
enum auth_count { AUTH_COUNT_LOGIN, AUTH_COUNT_RESET };

/*
 * Count one attempt of kind for the account of email and the caller's
 * address, before the work it guards. ERR_THROTTLED (with
 * call->retry_after set) when either is locked, or this attempt is past
 * its limit and locks it. own_tx: run in a transaction of its own, else
 * in the caller's.
 */
enum err auth_throttle_take(struct auth *a, struct auth_call *call,
                            enum auth_count kind, const char *email,
                            bool own_tx);

/* The attempt failed: lock the account or the address whose count has
 * reached its limit. */
enum err auth_throttle_failed(struct auth *a, struct auth_call *call,
                              enum auth_count kind, const char *email,
                              int64_t account);

/* The attempt could not be decided (a fault answered 503): give back
 * the place it took, so that the fault leaves the counts as they were.
 * Its own transaction; best effort. */
enum err auth_throttle_undo(struct auth *a, struct auth_call *call,
                            enum auth_count kind, const char *email);

/* The attempt succeeded: forget the account's count and give the
 * address its place back. In the caller's transaction, if any. */
enum err auth_throttle_success(struct auth *a, struct auth_call *call,
                               enum auth_count kind, const char *email);

/* deliver.c: hand a reset token to the configured command. */
enum err auth_deliver_token(const struct auth *a, const char *email,
                            const char *token);

#endif
