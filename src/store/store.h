/* store.h: persistence of accounts, sessions, reset tokens, email links
 * and remembered client addresses. The only layer with SQL.
 * Backend-neutral: nothing here names SQLite. */
#ifndef AUTHCGI_STORE_H
#define AUTHCGI_STORE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"

/* Sizes of the fixed buffers below; longer values are refused on write. */
#define STORE_EMAIL_MAX     254
#define STORE_HASH_MAX      255
#define STORE_DIGEST_LEN    32   /* SHA-256 of a token */
#define STORE_GROUPS_MAX    1023 /* an account's groups, comma-separated */
#define STORE_PUBLIC_ID_LEN 32   /* a session's public id: 32 hex digits */
#define STORE_CLIENT_MAX    64   /* a session's client address */
#define STORE_AGENT_MAX     200  /* a session's user agent */
#define STORE_KEY_MAX       128  /* a remembered client's key */
#define STORE_SEALED_MAX    128  /* a second factor's sealed secret */

/* The schema version this build writes; an older database is migrated. */
#define STORE_SCHEMA_VERSION 6

struct store; /* an open database connection */

struct store_config {
	const char *path; /* where the database lives */
	int busy_ms;      /* how long a write waits for a lock, in ms */
	long max_pages;   /* cap on the database size in pages; 0: none */
	bool one_request; /* the process ends after one request (CGI) */
};

struct store_user {
	int64_t id;
	char email[STORE_EMAIL_MAX + 1]; /* as registered */
	char hash[STORE_HASH_MAX + 1];   /* crypt(3) hash */
	int64_t created;                 /* Unix seconds */
	int64_t last_login;              /* Unix seconds; 0 never */
	bool disabled;                   /* may not log in */
	bool unverified;                 /* waits for its email link */
};

struct store_session {
	int64_t user_id;
	int64_t created;
	int64_t last_seen;
	bool second_factor; /* began with the account's second factor */
	unsigned char digest[STORE_DIGEST_LEN];
};

struct store_reset {
	int64_t user_id;
	int64_t expires;
	unsigned char digest[STORE_DIGEST_LEN];
};

/*
 * Open the database at cfg->path, creating it and migrating its schema
 * to STORE_SCHEMA_VERSION when it is older (never when it is current: a
 * current database costs one read of its version). A newer schema than
 * this build knows is ERR_DB. On success *out is the connection, freed
 * with store_close(). Faults are ERR_DB (cannot open, read-only, corrupt),
 * ERR_BUSY, ERR_FULL or ERR_NOMEM, and are logged with their cause.
 */
enum err store_open(struct store **out, const struct store_config *cfg);

/* Close the connection; NULL is a no-op. */
void store_close(struct store *st);

/* The schema version of the open database. */
enum err store_version(struct store *st, int *version);

/*
 * Write transactions. store_begin() takes the write lock at once
 * (waiting up to the busy timeout), so that a read-then-write sequence
 * never fails half way. store_rollback() is safe to call when no
 * transaction is open.
 */
enum err store_begin(struct store *st);
enum err store_commit(struct store *st);
void store_rollback(struct store *st);

/* ---- users; emails compare without regard to ASCII letter case ---- */

/* Insert an account; ERR_EXISTS when the email is taken (in any case).
 * On success *id is the new account's id. */
enum err store_user_insert(struct store *st, const char *email,
                           const char *hash, int64_t now, int64_t *id);

/* Find an account by email; ERR_NOT_FOUND when there is none. */
enum err store_user_by_email(struct store *st, const char *email,
                             struct store_user *out);

/* Find an account by id; ERR_NOT_FOUND when there is none. */
enum err store_user_by_id(struct store *st, int64_t id, struct store_user *out);

/* Replace an account's password hash. */
enum err store_user_set_hash(struct store *st, int64_t id, const char *hash);

/* Record a successful login time. */
enum err store_user_set_login(struct store *st, int64_t id, int64_t now);

/* Replace an account's email; ERR_EXISTS when another account has it (in
 * any case), ERR_INVAL when it is longer than STORE_EMAIL_MAX. */
enum err store_user_set_email(struct store *st, int64_t id, const char *email);

/* Set or clear an account's disabled flag. */
enum err store_user_set_disabled(struct store *st, int64_t id, bool disabled);

/* Set or clear an account's unverified flag. */
enum err store_user_set_unverified(struct store *st, int64_t id,
                                   bool unverified);

/* ---- sessions, keyed by the digest of their id ---- */

/*
 * Start a session of user_id at now. public_id (STORE_PUBLIC_ID_LEN
 * characters, unique) names it in its owner's list; client and
 * user_agent (NULL: unknown) are what it was started from, at most
 * STORE_CLIENT_MAX and STORE_AGENT_MAX bytes (ERR_INVAL beyond);
 * second_factor: it began with the account's second factor.
 */
enum err store_session_insert(struct store *st,
                              const unsigned char digest[STORE_DIGEST_LEN],
                              int64_t user_id, int64_t now,
                              const char *public_id, const char *client,
                              const char *user_agent, bool second_factor);

/* Mark a session as one that has shown the second factor; a missing
 * session is not an error. */
enum err store_session_set_factor(struct store *st,
                                  const unsigned char digest[STORE_DIGEST_LEN]);

/* ERR_NOT_FOUND when no session has this digest. */
enum err store_session_find(struct store *st,
                            const unsigned char digest[STORE_DIGEST_LEN],
                            struct store_session *out);

/* The same, with the email of the session's account, in one read:
 * ERR_NOT_FOUND as well when the account is gone. */
enum err store_session_find_user(struct store *st,
                                 const unsigned char digest[STORE_DIGEST_LEN],
                                 struct store_session *out,
                                 char email[STORE_EMAIL_MAX + 1]);

/* The same, with the account's groups too (sorted, comma-separated, ""
 * for none), still one read: what the gate needs to decide. */
enum err store_session_gate(struct store *st,
                            const unsigned char digest[STORE_DIGEST_LEN],
                            struct store_session *out,
                            char email[STORE_EMAIL_MAX + 1],
                            char groups[STORE_GROUPS_MAX + 1]);

/* Set last_seen; a missing session is not an error. */
enum err store_session_touch(struct store *st,
                             const unsigned char digest[STORE_DIGEST_LEN],
                             int64_t now);

/* Delete one session; a missing session is not an error. */
enum err store_session_delete(struct store *st,
                              const unsigned char digest[STORE_DIGEST_LEN]);

/* Delete every session of an account. */
enum err store_session_delete_user(struct store *st, int64_t user_id);

/* Delete every session of an account but the one of digest keep. */
enum err
store_session_delete_others(struct store *st, int64_t user_id,
                            const unsigned char keep[STORE_DIGEST_LEN]);

/* Delete the session of user_id whose public id is public_id;
 * ERR_NOT_FOUND when that account has none by that id. */
enum err store_session_delete_public(struct store *st, int64_t user_id,
                                     const char *public_id);

/* A session as listed by store_session_list(). */
struct store_session_row {
	char public_id[STORE_PUBLIC_ID_LEN + 1];
	int64_t created;
	int64_t last_seen;
	char client[STORE_CLIENT_MAX + 1];    /* "" when unknown */
	char user_agent[STORE_AGENT_MAX + 1]; /* "" when unknown */
	unsigned char digest[STORE_DIGEST_LEN];
};

/*
 * The sessions of user_id last seen after seen_after and created after
 * created_after (the live ones), the most recently seen first: at most
 * max rows into out, *n how many.
 */
enum err store_session_list(struct store *st, int64_t user_id,
                            int64_t seen_after, int64_t created_after,
                            struct store_session_row *out, size_t max,
                            size_t *n);

/* ---- reset tokens: at most one per account ---- */

/* Store the account's token, replacing any older one. */
enum err store_reset_put(struct store *st, int64_t user_id,
                         const unsigned char digest[STORE_DIGEST_LEN],
                         int64_t expires);

/* The account's token; ERR_NOT_FOUND when it has none. */
enum err store_reset_get(struct store *st, int64_t user_id,
                         struct store_reset *out);

/* Delete the account's token; none is not an error. */
enum err store_reset_delete(struct store *st, int64_t user_id);

/* ---- groups: names an account belongs to ---- */

/* Put the account in group name; already there is not an error. */
enum err store_group_add(struct store *st, int64_t user_id, const char *name);

/* Take the account out of group name; ERR_NOT_FOUND when it was not in
 * it. */
enum err store_group_remove(struct store *st, int64_t user_id,
                            const char *name);

/* The account's groups, sorted and comma-separated ("" for none), and
 * how many there are. */
enum err store_groups_of(struct store *st, int64_t user_id,
                         char out[STORE_GROUPS_MAX + 1], int64_t *count);

/* ---- email links: at most one per account ----
 *
 * A link proves that its follower receives mail at an address: the
 * account's own (verification after registration) or a new one (an email
 * change waiting for confirmation). Found by the digest of its token. */

struct store_link {
	int64_t user_id;
	int64_t expires;
	char email[STORE_EMAIL_MAX + 1]; /* the address it was sent to */
	unsigned char digest[STORE_DIGEST_LEN];
};

/* Store the account's link, replacing any older one. */
enum err store_link_put(struct store *st, int64_t user_id,
                        const unsigned char digest[STORE_DIGEST_LEN],
                        const char *email, int64_t expires);

/* The link of digest; ERR_NOT_FOUND when there is none. */
enum err store_link_find(struct store *st,
                         const unsigned char digest[STORE_DIGEST_LEN],
                         struct store_link *out);

/* The account's link; ERR_NOT_FOUND when it has none. */
enum err store_link_get(struct store *st, int64_t user_id,
                        struct store_link *out);

/* Delete the account's link; none is not an error. */
enum err store_link_delete(struct store *st, int64_t user_id);

/* ---- the second factor: at most one per account ----
 *
 * Its secret is sealed by the caller (the store never sees it in the
 * clear). A new one waits, inactive, for its confirmation until it
 * expires; an active one keeps the last time step used, so that a code
 * works once. */

struct store_factor {
	unsigned char sealed[STORE_SEALED_MAX];
	size_t sealed_len;
	bool active;
	int64_t last_step; /* the last time step used; 0 none */
	int64_t expires;   /* an inactive one's end; 0 when active */
};

/* The account's factor; ERR_NOT_FOUND when it has none. */
enum err store_factor_get(struct store *st, int64_t user_id,
                          struct store_factor *out);

/* Store a new, inactive factor of sealed[0..n) (at most
 * STORE_SEALED_MAX bytes) until expires, replacing any older one. */
enum err store_factor_put(struct store *st, int64_t user_id,
                          const unsigned char *sealed, size_t n,
                          int64_t expires);

/* Activate the account's inactive factor, step being the time step of
 * the code that confirmed it; ERR_NOT_FOUND when it has none inactive. */
enum err store_factor_activate(struct store *st, int64_t user_id, int64_t step);

/* Record that the code of time step step was used: ERR_NOT_FOUND, and
 * nothing changes, when the account's factor is not active or a code of
 * that step or a later one was used already (a replay). */
enum err store_factor_use(struct store *st, int64_t user_id, int64_t step);

/* Delete the account's factor with its recovery codes and pending
 * log-ins; none is not an error. */
enum err store_factor_delete(struct store *st, int64_t user_id);

/* Replace the account's recovery codes by digests[0..n) (opaque text,
 * for example keyed digests). */
enum err store_recovery_set(struct store *st, int64_t user_id,
                            const char *const *digests, size_t n);

/* Spend the account's recovery code of digest; ERR_NOT_FOUND when it has
 * none such (any more). */
enum err store_recovery_use(struct store *st, int64_t user_id,
                            const char *digest);

/* *n is how many recovery codes the account has left. */
enum err store_recovery_count(struct store *st, int64_t user_id, int64_t *n);

/* ---- log-ins that wait for their second factor, keyed by the digest
 * of their token, bound to the digest of a browser's form token ---- */

struct store_pending {
	int64_t user_id;
	int64_t expires;
	unsigned char digest[STORE_DIGEST_LEN];
	unsigned char form[STORE_DIGEST_LEN];
};

enum err store_pending_put(struct store *st,
                           const unsigned char digest[STORE_DIGEST_LEN],
                           int64_t user_id,
                           const unsigned char form[STORE_DIGEST_LEN],
                           int64_t expires);

/* ERR_NOT_FOUND when none has this digest. */
enum err store_pending_find(struct store *st,
                            const unsigned char digest[STORE_DIGEST_LEN],
                            struct store_pending *out);

/* Delete one; ERR_NOT_FOUND when it was not there (spent already). */
enum err store_pending_delete(struct store *st,
                              const unsigned char digest[STORE_DIGEST_LEN]);

/* Delete every pending log-in of an account (its password changed). */
enum err store_pending_delete_user(struct store *st, int64_t user_id);

/* ---- client addresses an account has used, under opaque keys ----
 *
 * A key stands for an address (for example a keyed digest of it); the
 * store never interprets it. */

/* *n is the number of keys of user_id seen at times >= since. */
enum err store_client_count(struct store *st, int64_t user_id, int64_t since,
                            int64_t *n);

/* *seen is when user_id last used key, 0 when never (or forgotten). */
enum err store_client_seen(struct store *st, int64_t user_id, const char *key,
                           int64_t *seen);

/* Record that user_id used key at now. */
enum err store_client_put(struct store *st, int64_t user_id, const char *key,
                          int64_t now);

/* ---- throttling: failures and locks under opaque keys ----
 *
 * A key names what is counted (for example a keyed digest of an account's
 * email); the store never interprets it. Failures are single timestamped
 * events, so that a caller can count exactly those of the last N seconds
 * (a sliding window); a lock is one row per key with its end. */

/* *n is the number of events under key at times >= since. */
enum err store_throttle_count(struct store *st, const char *key, int64_t since,
                              int64_t *n);

/* Record one event under key at time at. */
enum err store_throttle_add(struct store *st, const char *key, int64_t at);

/* Remove one event under key recorded at time at (the place an attempt
 * took); none is not an error. */
enum err store_throttle_remove(struct store *st, const char *key, int64_t at);

/* *until is the end of key's lock, 0 when key has none. */
enum err store_lock_get(struct store *st, const char *key, int64_t *until);

/* Lock key until the given time, replacing any older lock. */
enum err store_lock_put(struct store *st, const char *key, int64_t until);

/* Remove key's lock and every event under it; none is not an error. */
enum err store_lock_clear(struct store *st, const char *key);

/* ---- administration ---- */

/* One account as listed by store_user_list(). */
struct store_user_row {
	int64_t id;
	const char *email; /* borrowed for the callback's duration */
	int64_t created;
	int64_t last_login; /* 0: never */
};

/* Call fn for every account, in id order. fn may use st for reads of its
 * own; returning non-zero stops the listing. */
enum err store_user_list(struct store *st,
                         int (*fn)(void *arg, const struct store_user_row *row),
                         void *arg);

/* Delete an account with its sessions, reset token, email link,
 * remembered clients and second factor, in one transaction; ERR_NOT_FOUND when
 * there is none. */
enum err store_user_delete(struct store *st, int64_t id);

/* The number of rows the last statement changed. */
int64_t store_changes(struct store *st);

/* What store_purge() removed. */
struct store_purged {
	int64_t sessions;
	int64_t reset_tokens;
	int64_t links;
	int64_t throttles;
	int64_t clients;
	int64_t pending; /* log-ins and second factors that waited for a
	                    code in vain */
};

/* Delete sessions unused since idle_before or started before
 * max_before, reset tokens, links, pending log-ins and inactive second
 * factors expired at now, throttle events older than window_before,
 * locks that have ended by now and clients last seen before
 * clients_before. */
enum err store_purge(struct store *st, int64_t now, int64_t idle_before,
                     int64_t max_before, int64_t window_before,
                     int64_t clients_before, struct store_purged *out);

/*
 * Copy accounts from the original service's SQLite database at path (its
 * table users, columns email and hashed_password, a bcrypt hash as text
 * or bytes). Emails already present here, in any case, are skipped, as
 * are rows without a "$2" hash or an email of at most STORE_EMAIL_MAX
 * bytes with an "@". One transaction. ERR_DB when path is not such a
 * database.
 */
enum err store_import_original(struct store *st, const char *path, int64_t now,
                               int64_t *imported, int64_t *skipped);

#endif
