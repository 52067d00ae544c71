/* internal.h: what the files of the auth layer share. Not a contract for
 * other layers: they include auth.h only. */
#ifndef AUTHCGI_AUTH_INTERNAL_H
#define AUTHCGI_AUTH_INTERNAL_H

#include "../store/store.h"
#include "auth.h"

#define AUTH_SECRET_LEN 32 /* bytes of the service's secret key */
#define AUTH_DIGEST_HEX 64 /* hex digits of a keyed digest */

struct auth {
	struct auth_config cfg;
	struct store *st;                      /* opened on first use */
	unsigned char secret[AUTH_SECRET_LEN]; /* read on first use */
	bool has_secret;
};

/* context.c */
int64_t auth_now(const struct auth *a);
enum err auth_store(struct auth *a, struct store **out);
void auth_token_new(const struct auth *a, char out[AUTH_TOKEN_LEN + 1]);
void auth_token_digest(const char *token, unsigned char out[STORE_DIGEST_LEN]);
bool auth_token_shaped(const char *token);
void auth_user_of(const struct store_user *su, struct auth_user *out);
const char *auth_client(const struct auth_call *call);

/* A session's public id: 16 random bytes (from the uuid hook in tests)
 * as 32 hex digits, drawn apart from its token. */
void auth_public_id_new(const struct auth *a, char out[AUTH_PUBLIC_ID_LEN + 1]);

/* src as kept for display (a client address, a user agent): printable
 * ASCII, anything else a '?', cut to size - 1 bytes; NULL is "". */
void auth_clean_text(char *dst, size_t size, const char *src);

/* account.c: is the account's stored hash still the one su holds (read
 * in the caller's transaction)? ERR_CREDENTIALS when it has changed or
 * the account is gone. */
enum err auth_hash_unchanged(struct store *st, const struct store_user *su);

/* password.c */
enum err auth_hash_password(const struct auth *a, const char *password,
                            char out[STORE_HASH_MAX + 1]);
enum err auth_verify_password(const char *password, const char *hash,
                              bool *match);
enum err auth_verify_dummy(const struct auth *a, const char *password);
enum err auth_check_hashing(const char *method, unsigned long cost);
bool auth_hash_outdated(const struct auth *a, const char *hash);

/* common.c: is password (compared without ASCII case) a common one? */
bool auth_password_common(const char *password);

/* secret.c: the service's secret key (AUTHCGI_SECRET_KEY_FILE), read on
 * first use and made, mode 0600, when the file does not exist yet.
 * Borrowed until auth_free(). A key that cannot be had is ERR_DB. */
enum err auth_secret(struct auth *a, const unsigned char **key);

/* The keyed digest (BLAKE2b under a key derived from the secret key) of
 * text for purpose, as hex: what the database keeps instead of text
 * that people typed. */
enum err auth_keyed_digest(struct auth *a, const char *purpose,
                           const char *text, char out[AUTH_DIGEST_HEX + 1]);

/* self.c: the account of the live session sid: the session in *s (may
 * be NULL) and the account in *su; ERR_NO_SESSION when either is
 * gone. */
enum err auth_session_account(struct auth *a, const char *sid,
                              struct store_session *s, struct store_user *su);

/* self.c: is password the current password of su, counted like a
 * log-in (see self.c)? ERR_WRONG_PW when it is not. With with_factor,
 * an active second factor must be shown in second too (ERR_CODE). */
enum err auth_check_current(struct auth *a, struct auth_call *call,
                            const struct store_user *su, const char *password,
                            struct auth_second *second, bool with_factor);

/* factor.c: does second hold anything (a code or a recovery code)? */
bool auth_second_given(const struct auth_second *second);

/* factor.c: in the caller's transaction, does second satisfy the active
 * factor f of account uid: a current code not used before (its time
 * step is recorded), or an unused recovery code (spent now, and
 * second->recovery_used set)? ERR_CODE when it does not. */
enum err auth_factor_pass(struct auth *a, struct store *st, int64_t uid,
                          const struct store_factor *f,
                          struct auth_second *second);

/* factor.c: the active factor of account uid into *f; *active false
 * when it has none (or one still being set up). */
enum err auth_factor_active(struct store *st, int64_t uid,
                            struct store_factor *f, bool *active);

/* account.c: the live session of sid (with email and groups, its
 * account's email and groups: buffers of STORE_EMAIL_MAX + 1 and
 * STORE_GROUPS_MAX + 1 bytes, or NULL). An expired one is deleted on the
 * way (audited), and ERR_NO_SESSION; its last use is recorded when old
 * enough. */
enum err auth_session_live(struct auth *a, struct auth_call *call,
                           const char *sid, struct store_session *out,
                           char *email, char *groups);

/* totp.c: the second factor's secrets, codes and recovery codes. */
#define AUTH_TOTP_KEY_LEN    20 /* bytes of a secret: 160 bits */
#define AUTH_TOTP_SEALED_LEN 60 /* a nonce, a tag and the secret */

/* A new random secret. */
void auth_totp_secret_new(unsigned char secret[AUTH_TOTP_KEY_LEN]);

/* Seal a secret for the database (libsodium's secretbox under a key
 * derived from the secret key file), and open one: ERR_DB when it does
 * not open (another key file). */
enum err auth_totp_seal(struct auth *a,
                        const unsigned char secret[AUTH_TOTP_KEY_LEN],
                        unsigned char out[AUTH_TOTP_SEALED_LEN]);
enum err auth_totp_open(struct auth *a, const unsigned char *sealed, size_t n,
                        unsigned char secret[AUTH_TOTP_KEY_LEN]);

/* The secret as base32 text, as authenticator apps take it. */
enum err auth_totp_base32(const unsigned char secret[AUTH_TOTP_KEY_LEN],
                          char out[AUTH_TOTP_B32_LEN + 1]);

/* The otpauth:// URI of a secret for email, into out[size]. */
enum err auth_totp_uri(const struct auth *a, const char *email,
                       const char b32[AUTH_TOTP_B32_LEN + 1], char *out,
                       size_t size);

/* Is code the secret's code now, within the configured skew, and of a
 * time step after `after` (a code works once)? On ERR_OK *step is its
 * time step; ERR_CREDENTIALS when it is not. */
enum err auth_totp_verify(const struct auth *a,
                          const unsigned char secret[AUTH_TOTP_KEY_LEN],
                          const char *code, int64_t after, int64_t *step);

/* A new recovery code, and the keyed digest the database keeps of one
 * (any case, dashes or not; ERR_CREDENTIALS when too long). */
void auth_recovery_new(char code[AUTH_RECOVERY_LEN + 1]);
enum err auth_recovery_digest(struct auth *a, const char *code,
                              char out[AUTH_DIGEST_HEX + 1]);

/* throttle.c: what is counted, and against which limits. */
enum auth_count {
	AUTH_COUNT_LOGIN,    /* log-ins: account and address */
	AUTH_COUNT_RESET,    /* reset requests: account and address */
	AUTH_COUNT_REGISTER, /* registrations: the address's log-in count */
	AUTH_COUNT_LINK,     /* email link requests: account and address */
};

/* One attempt's place in the counts, from auth_throttle_take() (or
 * auth_throttle_check()) to its outcome. */
struct auth_attempt {
	enum auth_count kind;
	const char *email; /* borrowed; unused for AUTH_COUNT_REGISTER */
	int64_t at;        /* when the attempt began */
	bool counted;      /* it holds a place (take), or not yet (check) */
};

/*
 * Count one attempt of kind for the account of email and the caller's
 * address, before the work it guards, and fill *at for the calls below.
 * ERR_THROTTLED (with call->retry_after set) when either is locked, or
 * already holds its limit of failures in the last window seconds (then
 * it is locked now). own_tx: run in a transaction of its own, else in
 * the caller's.
 */
enum err auth_throttle_take(struct auth *a, struct auth_call *call,
                            enum auth_count kind, const char *email,
                            bool own_tx, struct auth_attempt *at);

/* auth_throttle_take() without taking a place: for attempts that cost
 * nothing until they fail, so that only failures are written. */
enum err auth_throttle_check(struct auth *a, struct auth_call *call,
                             enum auth_count kind, const char *email,
                             bool own_tx, struct auth_attempt *at);

/* The attempt failed: its place stays counted (or is counted now, after
 * auth_throttle_check()); lock the account or the address whose count
 * has reached its limit. own_tx as above. */
enum err auth_throttle_failed(struct auth *a, struct auth_call *call,
                              const struct auth_attempt *at, int64_t account,
                              bool own_tx);

/* The attempt succeeded, or could not be decided (a fault answered
 * 503): give its places back, if it took any. own_tx as above; best
 * effort after a fault. */
enum err auth_throttle_release(struct auth *a, struct auth_call *call,
                               const struct auth_attempt *at, bool own_tx);

/* The end of the log-in lock of the account of email, 0 when none. */
enum err auth_throttle_locked_until(struct auth *a, const char *email,
                                    int64_t *until);

/* End every lock of the account of email (log-ins, reset and link
 * requests) and forget its failures. */
enum err auth_throttle_unlock(struct auth *a, const char *email);

/*
 * reset.c: the start of a request for a mailed token (a reset token, an
 * email link), the same for a known email or not: a transaction begun
 * here, the request counted (kind) for email and the caller's address,
 * the account looked up (*known, and *su when known). ERR_OK leaves the
 * transaction open for the caller; ERR_THROTTLED has committed the count
 * (and a new lock); any other error has rolled it back.
 */
enum err auth_mailed_request(struct auth *a, struct auth_call *call,
                             struct store *st, enum auth_count kind,
                             const char *email, struct store_user *su,
                             bool *known);

/* links.c: in the caller's transaction, a new link for account uid to
 * email, replacing any older one, valid for link_ttl seconds; token is
 * its token, which only the mail to email carries. */
enum err auth_link_make(struct auth *a, struct store *st, int64_t uid,
                        const char *email, char token[AUTH_TOKEN_LEN + 1]);

/* clients.c: in the caller's transaction, remember that account uid used
 * the caller's address now (as a keyed digest, for client_memory
 * seconds). *notify: the account has remembered addresses and this one
 * is not among them. Nothing is kept without an address or memory. */
enum err auth_client_remember(struct auth *a, struct store *st, int64_t uid,
                              const struct auth_call *call, bool *notify);

/* deliver.c: the kinds of message the service mails. Only the reset
 * token, the verification and the email-change links carry a token, and
 * only to the address it was made for. */
enum auth_mail {
	AUTH_MAIL_RESET,         /* token: the reset token */
	AUTH_MAIL_PASSWORD,      /* the password was changed or reset */
	AUTH_MAIL_EMAIL_CHANGED, /* to the old address; detail: the new */
	AUTH_MAIL_EMAIL_CONFIRM, /* to the new address; token: its link's */
	AUTH_MAIL_VERIFY,        /* token: the verification link's */
	AUTH_MAIL_NEW_CLIENT,    /* detail: the new client address */
	AUTH_MAIL_DELETED,       /* the account was deleted */
	AUTH_MAIL_FACTOR,        /* the second factor changed; detail:
	                            how, after "The second factor of the
	                            account ..." */
	AUTH_MAIL__MAX
};

/*
 * Hand a message of kind to the configured command, in a process detached
 * from the request. The request does the same work whether send is true
 * or not (no such account): the same message is built, the same bytes
 * written and the same process started, which then sends nothing. The
 * command's failure is logged there, never returned.
 */
enum err auth_mail_send(const struct auth *a, enum auth_mail kind,
                        const char *to, const char *token, const char *detail,
                        bool send);

/* A notice of kind to to, when outgoing mail is configured; a failure to
 * hand it on is logged, not returned: it never changes an answer. */
void auth_notice(const struct auth *a, enum auth_mail kind, const char *to,
                 const char *detail);

#endif
