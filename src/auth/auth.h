/* auth.h: the rules of the service: registration, password hashing and
 * checks, sessions, reset tokens, what a signed-in account does to itself,
 * email links and the mail the service sends. Talks to the store; knows
 * no HTTP. */
#ifndef AUTHCGI_AUTH_H
#define AUTHCGI_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

#define AUTH_EMAIL_MAX     254 /* RFC 5321 path limit, less the brackets */
#define AUTH_TOKEN_LEN     36  /* canonical UUID text, without the NUL */
#define AUTH_PUBLIC_ID_LEN 32  /* a session's public id: 32 hex digits */
#define AUTH_CLIENT_MAX    64  /* a session's client address, as kept */
#define AUTH_AGENT_MAX     200 /* a session's user agent, as kept */
#define AUTH_SESSIONS_MAX  100 /* most sessions an account's list shows */
#define AUTH_GROUP_MAX     32  /* bytes of a group's name */
#define AUTH_GROUPS_MAX    16  /* groups an account may be in */
/* An account's groups, comma-separated, fit in this many bytes. */
#define AUTH_GROUPS_LEN (AUTH_GROUPS_MAX * (AUTH_GROUP_MAX + 1))

/* Sources of time and randomness; tests replace them to control expiry
 * and tokens. NULL members mean the system clock and libuuid. */
struct auth_hooks {
	int64_t (*now)(void *arg);                      /* Unix seconds */
	void (*uuid)(void *arg, unsigned char out[16]); /* 16 random bytes,
	                                                   made a UUID4 */
	void *arg;
};

/* Throttling of failed logins, of reset requests and of registrations of
 * taken emails: an attempt that finds `limit` failures in the last
 * `window` seconds (a sliding window) is refused, and its key locked for
 * `lockout` seconds. Counted per account (any email, known or not) and
 * per client address. A limit of 0 turns that count off. */
struct auth_throttle {
	int64_t account_limit;
	int64_t addr_limit;
	int64_t window;
	int64_t lockout;
};

/* The second factor's codes (RFC 6238, HMAC-SHA-1). */
struct auth_totp {
	unsigned digits;    /* digits of a code */
	unsigned period;    /* seconds of a time step */
	unsigned skew;      /* time steps accepted either side of now */
	const char *issuer; /* shown by authenticator apps */
};

struct auth_config {
	const char *db_path;     /* database location */
	int busy_ms;             /* lock wait, milliseconds */
	long db_max_pages;       /* database size cap in pages; 0 none */
	bool one_request;        /* the process serves one request (CGI) */
	const char *hash_method; /* crypt(3) prefix, e.g. "$y$" or "$2b$" */
	unsigned long hash_cost; /* passed to crypt_gensalt_rn as is */
	size_t password_min;     /* characters (code points) */
	size_t password_max;     /* bytes */
	int64_t session_idle;    /* seconds without use before a session
	                            ends; use is recorded at most once a
	                            minute, so it may end up to a minute
	                            early */
	int64_t session_max;     /* seconds after login before it ends */
	int64_t reset_ttl;       /* seconds a reset token stays valid */
	struct auth_throttle throttle;
	bool reject_common;          /* refuse passwords on the common list */
	const char *deliver_command; /* the service's outgoing mail. NULL:
	                                reset tokens are returned to the
	                                caller and nothing is mailed; else a
	                                shell command that gets each message
	                                (reset tokens, links, notices) on
	                                stdin */
	const char *reset_url;       /* public address of the service, for the
	                                links in messages, or NULL */
	bool reset_ends_sessions;    /* a password reset ends every session
	                                of the account */
	const char *secret_key_file; /* the service's secret key: made, mode
	                                0600, at its first use when missing;
	                                NULL: none (counting failures then
	                                fails with ERR_DB) */
	bool verify_email;     /* registration mails a link to the address,
	                          and log-in waits until it is followed
	                          (needs deliver_command) */
	int64_t link_ttl;      /* seconds an email link stays valid */
	int64_t client_memory; /* seconds a client address is remembered (as
	                          a keyed digest) for the new-address
	                          notice; 0: none */
	struct auth_totp totp;
	struct auth_hooks hooks;
};

/* An account as the layers above see it. */
struct auth_user {
	int64_t id;
	char email[AUTH_EMAIL_MAX + 1]; /* as registered */
};

/*
 * Who is calling, for throttling and the audit log, and what the caller
 * learns besides the result. Every function below that takes one accepts
 * NULL (no address known, nothing reported back).
 */
struct auth_call {
	const char *client;     /* in: client address (REMOTE_ADDR) or NULL */
	int64_t retry_after;    /* out, with ERR_THROTTLED: seconds to wait */
	const char *user_agent; /* in: the client's User-Agent, or NULL */
};

/* Why a password was refused. */
enum auth_pw_problem {
	AUTH_PW_OK,
	AUTH_PW_SHORT,   /* fewer code points than password_min */
	AUTH_PW_LONG,    /* more bytes than password_max (or bcrypt's 72) */
	AUTH_PW_CONTROL, /* holds a control character */
	AUTH_PW_COMMON,  /* on the list of common passwords */
	AUTH_PW__MAX
};

struct auth; /* one service context: configuration and a lazily opened
                store; one per process, used by one thread */

/*
 * Make a context for cfg, which is copied (its strings are borrowed and
 * must outlive the context). No database work happens until a function
 * below needs it. On success *out is freed with auth_free().
 */
enum err auth_new(struct auth **out, const struct auth_config *cfg);

/* Free the context and close its database; NULL is a no-op. */
void auth_free(struct auth *a);

/* Open the database now, creating or migrating its schema, and read
 * (or make) the secret key file when one is configured. */
enum err auth_init_store(struct auth *a);

/* ERR_EMAIL unless email is local@domain shaped and at most
 * AUTH_EMAIL_MAX bytes. */
enum err auth_check_email(const char *email);

/* ERR_PASSWORD unless password fits the configured rules: any printable
 * Unicode, between the length bounds, not a common password when that
 * check is on. On error, *why says which rule it broke. */
enum err auth_check_password(const struct auth *a, const char *password,
                             enum auth_pw_problem *why);

/* The largest password in bytes that the configuration accepts. */
size_t auth_password_max(const struct auth *a);

/*
 * Create an account. The email is checked (ERR_EMAIL), kept as typed and
 * must be new regardless of letter case (ERR_EXISTS); the password is
 * checked (ERR_PASSWORD) and stored hashed. An email already taken is a
 * failure counted against the caller's address like a wrong password,
 * and a locked address is ERR_THROTTLED. With verify_email, the account
 * waits for the link mailed to it before it can log in. On success *out
 * is the account.
 */
enum err auth_register(struct auth *a, struct auth_call *call,
                       const char *email, const char *password,
                       struct auth_user *out);

/*
 * What a request shows besides the password when the account has a
 * second factor: a one-time code or a recovery code (NULL or "": none).
 * Every function that takes one accepts NULL (nothing shown).
 */
struct auth_second {
	const char *code;          /* in: a one-time code */
	const char *recovery_code; /* in: or one of the recovery codes */
	const char *form_token;    /* in, log-in only: a browser's form token;
	                              when set, a right password that waits
	                              for its code makes a pending log-in,
	                              bound to it, so that the password is
	                              not asked again; NULL: none is made */
	char pending[AUTH_TOKEN_LEN + 1]; /* out, with ERR_CODE: the pending
	                                     log-in's token, or "" */
	bool recovery_used;               /* out: a recovery code was spent */
};

/*
 * Check email and password and start a new session. An unknown email, a
 * wrong password, a password longer than the configured maximum and a
 * disabled account all give ERR_CREDENTIALS after the same hashing work,
 * counted alike. A locked account or address is ERR_THROTTLED, before
 * any hashing. The right password of an account that waits for its email
 * link is ERR_UNVERIFIED (and no failure). The session keeps the caller's
 * address and user agent; a log-in from an address the account has not
 * used within client_memory is told to the account by mail.
 * With an active second factor, the right password also needs a current
 * code or an unused recovery code in second: without either it is
 * ERR_CODE (not a failure), with a wrong one ERR_CODE and a failure
 * toward the lockout; either way second->pending may name a pending
 * log-in (see auth_login_finish()). A code works once.
 * A hash made with another method or cost than the configured ones is
 * replaced by a fresh one. On success *user is the account and sid holds the
 * new session id (a fresh UUID4, NUL-terminated), which only the client keeps:
 * the store keeps its SHA-256 digest.
 */
enum err auth_login(struct auth *a, struct auth_call *call, const char *email,
                    const char *password, struct auth_second *second,
                    struct auth_user *user, char sid[AUTH_TOKEN_LEN + 1]);

/*
 * The second step of a browser's log-in: pending names a pending log-in
 * made by auth_login() for the form token second->form_token, at most
 * AUTH_PENDING_TTL seconds ago; second holds its code (or recovery
 * code). ERR_PENDING when there is no such pending log-in (unknown,
 * spent, expired, or made for another form token, or the account's
 * password changed since). Each attempt spends it: a wrong or missing
 * code is ERR_CODE (a wrong one counted as at auth_login()), with a new
 * pending log-in in second->pending that ends when the first would
 * have. On success as auth_login().
 */
enum err auth_login_finish(struct auth *a, struct auth_call *call,
                           const char *pending, struct auth_second *second,
                           struct auth_user *user,
                           char sid[AUTH_TOKEN_LEN + 1]);

#define AUTH_PENDING_TTL 300 /* seconds a pending log-in waits */
#define AUTH_SETUP_TTL                                                         \
	900 /* seconds a new second factor waits for its                       \
	       confirming code */

/* The account of a live session; ERR_NO_SESSION when sid is NULL,
 * unknown or expired (idle or absolute lifetime). */
enum err auth_session_user(struct auth *a, struct auth_call *call,
                           const char *sid, struct auth_user *out);

/* End one live session; ERR_NO_SESSION as above. */
enum err auth_logout(struct auth *a, struct auth_call *call, const char *sid);

/*
 * Issue a reset token for the account of email (ERR_NOT_FOUND when there
 * is none), replacing any older one. On success *user is the account and
 * token holds the token (NUL-terminated), or, when a deliver_command is
 * configured, the token was handed to it and token is "". Requests are
 * throttled like failed logins (ERR_THROTTLED).
 */
enum err auth_reset_request(struct auth *a, struct auth_call *call,
                            const char *email, struct auth_user *user,
                            char token[AUTH_TOKEN_LEN + 1]);

/*
 * Set a new password with a reset token. ERR_TOKEN unless token is the
 * live token of the account of email, whatever the password; then
 * ERR_PASSWORD for a password out of bounds (the token stays usable).
 * On success the token is spent, every session of the account ends when
 * reset_ends_sessions is set, the account is told by mail, and *user is
 * the account.
 */
enum err auth_reset_update(struct auth *a, struct auth_call *call,
                           const char *email, const char *token,
                           const char *password, struct auth_user *user);

/* ---- self-service: what the holder of a live session sid does to its
 * own account. Each one is ERR_NO_SESSION first when sid is not a live
 * session. Those that take the account's password check it before
 * anything else (authorise, then validate): counted like a log-in
 * (ERR_THROTTLED before any hash when the account or the address is
 * locked), with the same hashing work for any password, a wrong one
 * being ERR_WRONG_PW and a failure toward the lockout. Those that take
 * a second too need, when the account has an active second factor, a
 * current code or a recovery code there, checked as at auth_login()
 * (ERR_CODE). ---- */

/*
 * Change the password: password is the current one; then new_password
 * must fit the rules (ERR_PASSWORD). On success every other session of
 * the account ends, this one stays, a pending reset token is spent, the
 * account is told by mail, and *user is the account.
 */
enum err auth_password_change(struct auth *a, struct auth_call *call,
                              const char *sid, const char *password,
                              struct auth_second *second,
                              const char *new_password, struct auth_user *user);

/* One session in its account's list. */
struct auth_session_info {
	char id[AUTH_PUBLIC_ID_LEN + 1];     /* public: neither the session id
	                                        nor made from it */
	int64_t created;                     /* Unix seconds */
	int64_t last_seen;                   /* Unix seconds */
	char client[AUTH_CLIENT_MAX + 1];    /* "" when unknown */
	char user_agent[AUTH_AGENT_MAX + 1]; /* "" when unknown */
	bool current;                        /* the caller's own */
};

/* An account as its holder sees it. */
struct auth_account {
	struct auth_user user;
	char pending_email[AUTH_EMAIL_MAX + 1]; /* an address waiting for
	                                           its link, or "" */
	bool second_factor;                     /* its second factor is on */
	int64_t recovery_left;                  /* unused recovery codes */
	size_t nsessions;
	struct auth_session_info sessions[AUTH_SESSIONS_MAX]; /* live ones,
	                                           most recently seen first */
};

/* The account of session sid, with its live sessions (at most
 * AUTH_SESSIONS_MAX) into *out. */
enum err auth_account_get(struct auth *a, struct auth_call *call,
                          const char *sid, struct auth_account *out);

/* End the account's session of public id id (the caller's own one too:
 * then *current is true); ERR_SESSION_ID when the account has no
 * session by that id (another account's is no different). */
enum err auth_session_end(struct auth *a, struct auth_call *call,
                          const char *sid, const char *id, bool *current);

/*
 * Change the email to new_email, checked (ERR_EMAIL) and new regardless
 * of case (ERR_EXISTS, counted against the address as at registration).
 * With outgoing mail, the change waits for the link mailed to the new
 * address (*pending true; *user is the account as it is); without, it is
 * made now (*pending false; *user has the new email). The account's reset
 * token is spent when its email changes.
 */
enum err auth_email_change(struct auth *a, struct auth_call *call,
                           const char *sid, const char *password,
                           struct auth_second *second, const char *new_email,
                           struct auth_user *user, bool *pending);

/* Delete the account with its sessions, tokens and links; it is told by
 * mail. *user is the account as it was. */
enum err auth_account_delete(struct auth *a, struct auth_call *call,
                             const char *sid, const char *password,
                             struct auth_second *second,
                             struct auth_user *user);

/* ---- the second factor: time-based one-time codes (RFC 6238) ---- */

#define AUTH_RECOVERY_CODES 10 /* recovery codes an account gets */
#define AUTH_RECOVERY_LEN   14 /* "xxxx-xxxx-xxxx" */
#define AUTH_TOTP_B32_LEN   32 /* a secret as base32 text */
#define AUTH_TOTP_URI_MAX   1024

/* A new secret, as an authenticator app takes it. */
struct auth_totp_setup {
	struct auth_user user;
	char secret[AUTH_TOTP_B32_LEN + 1]; /* base32 */
	char uri[AUTH_TOTP_URI_MAX];        /* otpauth://totp/... */
};

/* Recovery codes, shown once: the store keeps their digests only. */
struct auth_recovery_codes {
	struct auth_user user;
	char code[AUTH_RECOVERY_CODES][AUTH_RECOVERY_LEN + 1];
};

/*
 * Set up a second factor: after the password, a new secret of 160
 * random bits, kept sealed and inactive for AUTH_SETUP_TTL seconds
 * (replacing one that waited). ERR_FACTOR_ON when the account has an
 * active one.
 */
enum err auth_totp_begin(struct auth *a, struct auth_call *call,
                         const char *sid, const char *password,
                         struct auth_totp_setup *out);

/*
 * Confirm the new secret with a current code of it: the factor is on,
 * the caller's session counts as one that has shown it, and *out holds
 * the account's AUTH_RECOVERY_CODES recovery codes. ERR_FACTOR_OFF when
 * no secret waits (or it expired); a wrong code is ERR_CODE, a failure
 * toward the lockout.
 */
enum err auth_totp_confirm(struct auth *a, struct auth_call *call,
                           const char *sid, const char *code,
                           struct auth_recovery_codes *out);

/* Turn the second factor off, with the password and second (a code or a
 * recovery code); ERR_FACTOR_OFF when it is not on. The account is told
 * by mail. */
enum err auth_totp_disable(struct auth *a, struct auth_call *call,
                           const char *sid, const char *password,
                           struct auth_second *second, struct auth_user *user);

/* New recovery codes into *out, voiding the old ones, with the password
 * and second; ERR_FACTOR_OFF when the factor is not on. The account is
 * told by mail. */
enum err auth_recovery_renew(struct auth *a, struct auth_call *call,
                             const char *sid, const char *password,
                             struct auth_second *second,
                             struct auth_recovery_codes *out);

/* ---- email links ---- */

/*
 * Mail a new verification link to the account of email if it waits for
 * one. The same work and the same ERR_OK whether it does or not (or the
 * email is unknown): requests are throttled like reset requests
 * (ERR_THROTTLED). Without outgoing mail nothing is sent.
 */
enum err auth_link_request(struct auth *a, struct auth_call *call,
                           const char *email);

/*
 * Follow a link: token must be a live link's (ERR_LINK otherwise). It
 * verifies the address it was sent to, which becomes the account's email
 * when it was an email change (ERR_EXISTS if another account took it
 * meanwhile; the old address is told by mail). The link is spent; *user
 * is the account as it is now.
 */
enum err auth_link_follow(struct auth *a, struct auth_call *call,
                          const char *token, struct auth_user *user);

/* A fresh random token (a UUID4 in canonical text) for the caller's own
 * use, e.g. an anti-forgery token. */
void auth_random_token(struct auth *a, char out[AUTH_TOKEN_LEN + 1]);

/* Are a and b the same token? Compared in constant time; NULL or a
 * length other than AUTH_TOKEN_LEN is never equal. */
bool auth_token_equal(const char *a, const char *b);

/* ---- the gate: who may see a protected location ---- */

#define AUTH_RULE_TERMS 16

/*
 * What a protected location requires: any of its terms. Parsed from text
 * by auth_rule_parse():
 *
 *   rule = [term *( ("," / " ") term )]     any term that matches allows
 *   term = "user"                 any signed-in account (also an empty rule)
 *        / "group:" NAME          an account in that group
 *        / "email:" EMAIL         that account (ASCII letters without case)
 *        / "domain:" DOMAIN       any account whose email is @DOMAIN
 *        / "mfa"                  and, whatever the other terms, only a
 *                                 session that began with the account's
 *                                 second factor
 */
struct auth_rule {
	bool second_factor; /* "mfa" */
	size_t n;           /* terms; 0: any signed-in account */
	struct {
		enum {
			AUTH_TERM_USER,
			AUTH_TERM_GROUP,
			AUTH_TERM_EMAIL,
			AUTH_TERM_DOMAIN
		} kind;
		char value[AUTH_EMAIL_MAX + 1];
	} term[AUTH_RULE_TERMS];
};

/* Parse text (NULL: any signed-in account) into *out. ERR_INVAL for
 * anything it cannot read (an unknown term, a malformed name, too many
 * terms): a rule that cannot be read must refuse, never allow. */
enum err auth_rule_parse(const char *text, struct auth_rule *out);

/* A signed-in account as the gate passes it on. */
struct auth_gate_user {
	struct auth_user user;
	char groups[AUTH_GROUPS_LEN + 1]; /* sorted, comma-separated */
};

/*
 * The gate's decision: may the holder of session sid see a location that
 * requires rule? ERR_OK (and *out) when it may; ERR_NO_SESSION without a
 * live session; ERR_FORBIDDEN when the session's account does not match
 * the rule, or the rule needs the second factor and the session did not
 * begin with it (audited); faults as everywhere. No password hash; one read
 * of the store, and a write only when the session's last use is old
 * enough to record.
 */
enum err auth_gate(struct auth *a, struct auth_call *call, const char *sid,
                   const struct auth_rule *rule, struct auth_gate_user *out);

/* Is name a group's name: 1 to AUTH_GROUP_MAX bytes of lower-case
 * letters, digits, "_", "-" and ".", starting with a letter or digit? */
bool auth_group_name_ok(const char *name);

/* Put the account of email in group (ERR_INVAL: not a group's name, or
 * the account has AUTH_GROUPS_MAX already; ERR_NOT_FOUND: no account). */
enum err auth_group_add(struct auth *a, const char *email, const char *group);

/* Take the account of email out of group; ERR_NOT_FOUND when there is
 * no such account or it was not in the group. */
enum err auth_group_remove(struct auth *a, const char *email,
                           const char *group);

/* ---- administration (the command-line tool) ---- */

/* One account as listed by auth_users(). */
struct auth_user_info {
	int64_t id;
	const char *email;    /* borrowed for the callback's duration */
	int64_t created;      /* Unix seconds */
	int64_t last_login;   /* Unix seconds; 0 never */
	int64_t locked_until; /* Unix seconds while logins are locked; 0 */
	const char *groups;   /* comma-separated; borrowed likewise */
};

/* Call fn for every account in id order; fn returning non-zero stops. */
enum err auth_users(struct auth *a,
                    int (*fn)(void *arg, const struct auth_user_info *u),
                    void *arg);

/* Delete the account of email (any case), its sessions and reset
 * token; ERR_NOT_FOUND when there is none. */
enum err auth_delete_user(struct auth *a, const char *email);

/* End every session of the account of email; *ended is how many. */
enum err auth_end_sessions(struct auth *a, const char *email, int64_t *ended);

/* The account of email with its live sessions (none marked current). */
enum err auth_account_of(struct auth *a, const char *email,
                         struct auth_account *out);

/* End the lockouts of the account of email (log-ins, reset requests,
 * link requests) and forget its counted failures. */
enum err auth_unlock(struct auth *a, const char *email);

/* Turn off the second factor of the account of email (who lost both
 * the device and the recovery codes), audited; the account is told by
 * mail. ERR_FACTOR_OFF when it has none. */
enum err auth_totp_reset(struct auth *a, const char *email);

/* Disable (or enable) the account of email. A disabled account's
 * sessions, reset token and link end (*ended: how many sessions), and its
 * log-ins answer like a wrong password. */
enum err auth_set_disabled(struct auth *a, const char *email, bool disabled,
                           int64_t *ended);

/* What auth_purge() removed. */
struct auth_purged {
	int64_t sessions;
	int64_t reset_tokens;
	int64_t links;
	int64_t throttles;
	int64_t clients;
	int64_t pending; /* pending log-ins and unconfirmed second factors */
};

/* Remove expired sessions, reset tokens, links, pending log-ins and
 * unconfirmed second factors, finished throttle
 * counters and client addresses remembered longer than client_memory:
 * nothing that still has an effect. */
enum err auth_purge(struct auth *a, struct auth_purged *out);

/*
 * Import the accounts of the original service's SQLite database at path,
 * keeping their bcrypt hashes (which log in, and are upgraded to the
 * configured method at the first login). Accounts whose email exists
 * already are skipped. ERR_NOT_FOUND when path does not exist, ERR_DB
 * when it is not such a database.
 */
enum err auth_import_original(struct auth *a, const char *path,
                              int64_t *imported, int64_t *skipped);

#endif
