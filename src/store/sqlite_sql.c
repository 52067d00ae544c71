/* sqlite_sql.c: the SQLite backend's SQL: a text for every statement of
 * the store (backend.h), and the schema's migrations. */
#include "backend.h"

const char *const store_sqlite_sql[S__MAX] = {
    [S_VERSION] = "PRAGMA user_version",
    [S_USER_INSERT] = "INSERT INTO users (email, password_hash, created_at)"
                      " VALUES (?1, ?2, ?3) RETURNING id",
    [S_USER_BY_EMAIL] = "SELECT id, email, password_hash, created_at,"
                        " coalesce(last_login, 0), disabled, unverified"
                        " FROM users WHERE email = ?1",
    [S_USER_BY_ID] = "SELECT id, email, password_hash, created_at,"
                     " coalesce(last_login, 0), disabled, unverified"
                     " FROM users WHERE id = ?1",
    [S_USER_SET_HASH] = "UPDATE users SET password_hash = ?2 WHERE id = ?1",
    [S_USER_SET_LOGIN] = "UPDATE users SET last_login = ?2 WHERE id = ?1",
    [S_USER_SET_EMAIL] = "UPDATE users SET email = ?2 WHERE id = ?1",
    [S_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE id = ?1",
    [S_USER_SET_UNVERIFIED] = "UPDATE users SET unverified = ?2"
                              " WHERE id = ?1",
    [S_SESSION_INSERT] = "INSERT INTO sessions (token_hash, user_id,"
                         " created_at, last_seen, public_id, client,"
                         " user_agent, second_factor)"
                         " VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7)",
    [S_SESSION_FIND] = "SELECT user_id, created_at, last_seen, token_hash,"
                       " second_factor FROM sessions WHERE token_hash = ?1",
    [S_SESSION_FIND_USER] = "SELECT s.user_id, s.created_at, s.last_seen,"
                            " s.token_hash, s.second_factor, u.email"
                            " FROM sessions s"
                            " JOIN users u ON u.id = s.user_id"
                            " WHERE s.token_hash = ?1",
    [S_SESSION_GATE] = "SELECT s.user_id, s.created_at, s.last_seen,"
                       " s.token_hash, s.second_factor, u.email,"
                       " (SELECT coalesce(group_concat(name, ','), '') FROM"
                       " (SELECT name FROM groups WHERE user_id = u.id"
                       " ORDER BY name))"
                       " FROM sessions s JOIN users u ON u.id = s.user_id"
                       " WHERE s.token_hash = ?1",
    [S_SESSION_SET_FACTOR] = "UPDATE sessions SET second_factor = 1"
                             " WHERE token_hash = ?1",
    [S_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ?2"
                        " WHERE token_hash = ?1",
    [S_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
    [S_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1",
    [S_SESSION_DELETE_OTHERS] = "DELETE FROM sessions WHERE user_id = ?1"
                                " AND token_hash <> ?2",
    [S_SESSION_DELETE_PUBLIC] = "DELETE FROM sessions WHERE user_id = ?1"
                                " AND public_id = ?2",
    [S_SESSION_LIST] = "SELECT coalesce(public_id, ''), created_at,"
                       " last_seen, coalesce(client, ''),"
                       " coalesce(user_agent, ''), token_hash FROM sessions"
                       " WHERE user_id = ?1 AND last_seen > ?2"
                       " AND created_at > ?3"
                       " ORDER BY last_seen DESC, created_at DESC LIMIT ?4",
    [S_RESET_PUT] = "INSERT OR REPLACE INTO reset_tokens"
                    " (user_id, token_hash, expires_at) VALUES (?1, ?2, ?3)",
    [S_RESET_GET] = "SELECT user_id, expires_at, token_hash"
                    " FROM reset_tokens WHERE user_id = ?1",
    [S_RESET_DELETE] = "DELETE FROM reset_tokens WHERE user_id = ?1",
    [S_GROUP_ADD] = "INSERT OR IGNORE INTO groups (user_id, name)"
                    " VALUES (?1, ?2)",
    [S_GROUP_REMOVE] = "DELETE FROM groups WHERE user_id = ?1 AND name = ?2",
    [S_GROUPS_OF] = "SELECT coalesce(group_concat(name, ','), ''), count(*)"
                    " FROM (SELECT name FROM groups WHERE user_id = ?1"
                    " ORDER BY name)",
    [S_GROUPS_DELETE_USER] = "DELETE FROM groups WHERE user_id = ?1",
    [S_LINK_PUT] = "INSERT OR REPLACE INTO email_links"
                   " (user_id, token_hash, email, expires_at)"
                   " VALUES (?1, ?2, ?3, ?4)",
    [S_LINK_FIND] = "SELECT user_id, expires_at, token_hash, email"
                    " FROM email_links WHERE token_hash = ?1",
    [S_LINK_GET] = "SELECT user_id, expires_at, token_hash, email"
                   " FROM email_links WHERE user_id = ?1",
    [S_LINK_DELETE] = "DELETE FROM email_links WHERE user_id = ?1",
    [S_CLIENT_COUNT] = "SELECT count(*) FROM known_clients"
                       " WHERE user_id = ?1 AND last_seen >= ?2",
    [S_CLIENT_SEEN] = "SELECT last_seen FROM known_clients"
                      " WHERE user_id = ?1 AND key = ?2",
    [S_CLIENT_PUT] = "INSERT OR REPLACE INTO known_clients"
                     " (user_id, key, last_seen) VALUES (?1, ?2, ?3)",
    [S_CLIENT_DELETE_USER] = "DELETE FROM known_clients WHERE user_id = ?1",
    [S_FACTOR_GET] = "SELECT sealed, active, last_step, expires_at"
                     " FROM second_factors WHERE user_id = ?1",
    [S_FACTOR_PUT] = "INSERT OR REPLACE INTO second_factors"
                     " (user_id, sealed, active, last_step, expires_at)"
                     " VALUES (?1, ?2, 0, 0, ?3)",
    [S_FACTOR_ACTIVATE] = "UPDATE second_factors SET active = 1,"
                          " last_step = ?2, expires_at = 0"
                          " WHERE user_id = ?1 AND active = 0",
    [S_FACTOR_USE] = "UPDATE second_factors SET last_step = ?2"
                     " WHERE user_id = ?1 AND active = 1"
                     " AND last_step < ?2",
    [S_FACTOR_DELETE] = "DELETE FROM second_factors WHERE user_id = ?1",
    [S_RECOVERY_ADD] = "INSERT OR IGNORE INTO recovery_codes"
                       " (user_id, digest) VALUES (?1, ?2)",
    [S_RECOVERY_USE] = "DELETE FROM recovery_codes"
                       " WHERE user_id = ?1 AND digest = ?2",
    [S_RECOVERY_COUNT] = "SELECT count(*) FROM recovery_codes"
                         " WHERE user_id = ?1",
    [S_RECOVERY_DELETE] = "DELETE FROM recovery_codes WHERE user_id = ?1",
    [S_PENDING_PUT] = "INSERT INTO pending_logins"
                      " (token_hash, user_id, form_hash, expires_at)"
                      " VALUES (?1, ?2, ?3, ?4)",
    [S_PENDING_FIND] = "SELECT user_id, expires_at, token_hash, form_hash"
                       " FROM pending_logins WHERE token_hash = ?1",
    [S_PENDING_DELETE] = "DELETE FROM pending_logins WHERE token_hash = ?1",
    [S_PENDING_DELETE_USER] = "DELETE FROM pending_logins"
                              " WHERE user_id = ?1",
    [S_THROTTLE_COUNT] = "SELECT count(*) FROM throttle_events"
                         " WHERE key = ?1 AND at >= ?2",
    [S_THROTTLE_ADD] = "INSERT INTO throttle_events (key, at) VALUES (?1, ?2)",
    [S_THROTTLE_REMOVE] = "DELETE FROM throttle_events WHERE rowid ="
                          " (SELECT rowid FROM throttle_events"
                          " WHERE key = ?1 AND at = ?2 LIMIT 1)",
    [S_THROTTLE_CLEAR] = "DELETE FROM throttle_events WHERE key = ?1",
    [S_LOCK_GET] = "SELECT until FROM throttle_locks WHERE key = ?1",
    [S_LOCK_PUT] = "INSERT OR REPLACE INTO throttle_locks (key, until)"
                   " VALUES (?1, ?2)",
    [S_LOCK_DELETE] = "DELETE FROM throttle_locks WHERE key = ?1",
    [S_USER_LIST] = "SELECT id, email, created_at, coalesce(last_login, 0)"
                    " FROM users ORDER BY id",
    [S_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
    [S_PURGE_SESSIONS] = "DELETE FROM sessions"
                         " WHERE last_seen <= ?1 OR created_at <= ?2",
    [S_PURGE_RESETS] = "DELETE FROM reset_tokens WHERE expires_at <= ?1",
    [S_PURGE_THROTTLE] = "DELETE FROM throttle_events WHERE at < ?1",
    [S_PURGE_LOCKS] = "DELETE FROM throttle_locks WHERE until <= ?1",
    [S_PURGE_LINKS] = "DELETE FROM email_links WHERE expires_at <= ?1",
    [S_PURGE_CLIENTS] = "DELETE FROM known_clients WHERE last_seen < ?1",
    [S_PURGE_PENDING] = "DELETE FROM pending_logins WHERE expires_at <= ?1",
    [S_PURGE_FACTORS] = "DELETE FROM second_factors"
                        " WHERE active = 0 AND expires_at <= ?1",
    [S_USER_IMPORT] = "INSERT OR IGNORE INTO users (email, password_hash,"
                      " created_at) VALUES (?1, ?2, ?3)",
    [S_COPY_USERS] = "SELECT id, email, password_hash, created_at,"
                     " coalesce(last_login, 0), disabled, unverified"
                     " FROM users ORDER BY id",
    [S_COPY_SESSIONS] = "SELECT token_hash, user_id, created_at, last_seen,"
                        " public_id, client, user_agent, second_factor"
                        " FROM sessions"
                        " WHERE last_seen > ?1 AND created_at > ?2",
    [S_COPY_RESETS] = "SELECT user_id, token_hash, expires_at"
                      " FROM reset_tokens WHERE expires_at > ?1",
    [S_COPY_GROUPS] = "SELECT user_id, name FROM groups",
    [S_COPY_LINKS] = "SELECT user_id, token_hash, email, expires_at"
                     " FROM email_links WHERE expires_at > ?1",
    [S_COPY_CLIENTS] = "SELECT user_id, key, last_seen FROM known_clients"
                       " WHERE last_seen >= ?1",
    [S_COPY_FACTORS] = "SELECT user_id, sealed, active, last_step,"
                       " expires_at FROM second_factors"
                       " WHERE active <> 0 OR expires_at > ?1",
    [S_COPY_RECOVERY] = "SELECT user_id, digest FROM recovery_codes",
    [S_COPY_EVENTS] = "SELECT key, at FROM throttle_events WHERE at >= ?1"
                      " ORDER BY key, at",
    [S_COPY_LOCKS] = "SELECT key, until FROM throttle_locks"
                     " WHERE until > ?1",
    [S_USER_PUT_ID] = "INSERT OR IGNORE INTO users (id, email,"
                      " password_hash, created_at, last_login, disabled,"
                      " unverified) VALUES (?1, ?2, ?3, ?4, nullif(?5, 0),"
                      " ?6, ?7) RETURNING id",
    [S_USER_PUT] = "INSERT INTO users (email, password_hash, created_at,"
                   " last_login, disabled, unverified)"
                   " VALUES (?1, ?2, ?3, nullif(?4, 0), ?5, ?6)"
                   " RETURNING id",
    [S_USER_UPDATE] = "UPDATE users SET email = ?2, password_hash = ?3,"
                      " created_at = ?4, last_login = nullif(?5, 0),"
                      " disabled = ?6, unverified = ?7 WHERE id = ?1",
    [S_SESSION_PUT] = "INSERT OR REPLACE INTO sessions (token_hash, user_id,"
                      " created_at, last_seen, public_id, client,"
                      " user_agent, second_factor)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_FACTOR_COPY] = "INSERT OR REPLACE INTO second_factors"
                      " (user_id, sealed, active, last_step, expires_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
    /* An INTEGER PRIMARY KEY takes the largest id plus one. */
    [S_USER_IDS_SYNC] = NULL,
};

/*
 * Migrations, in order: migrations[i] takes a database from version i to
 * i + 1. Append only; never edit one that has shipped.
 */
const char *const store_sqlite_migrations[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1: accounts, sessions, reset tokens. */
    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " password_hash TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " last_login INTEGER);"
    "CREATE TABLE sessions ("
    " token_hash BLOB PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " created_at INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions (user_id);"
    "CREATE TABLE reset_tokens ("
    " user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,"
    " token_hash BLOB NOT NULL,"
    " expires_at INTEGER NOT NULL);",
    /* 1 -> 2: failure counters for throttling, per account and address. */
    "CREATE TABLE throttle ("
    " key TEXT PRIMARY KEY,"
    " failures INTEGER NOT NULL,"
    " window_start INTEGER NOT NULL,"
    " locked_until INTEGER NOT NULL) WITHOUT ROWID;",
    /* 2 -> 3: failures as single events, so that a sliding window can
     * count them; locks apart. The old counters go (their keys held
     * emails as typed, and they are at most a lockout old). */
    "DROP TABLE throttle;"
    "CREATE TABLE throttle_events ("
    " key TEXT NOT NULL,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX throttle_events_key ON throttle_events (key, at);"
    "CREATE TABLE throttle_locks ("
    " key TEXT PRIMARY KEY,"
    " until INTEGER NOT NULL) WITHOUT ROWID;",
    /* 3 -> 4: groups of accounts, for the gate's rules. */
    "CREATE TABLE groups ("
    " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " PRIMARY KEY (user_id, name)) WITHOUT ROWID;",
    /* 4 -> 5: account self-service. Accounts can be disabled, or wait
     * for the link that verifies their email; sessions get a public id
     * (random, for their owner's list; the sessions of older versions
     * get one here) and keep the client's address and user agent; one
     * email link per account, kept as the digest of its token; the
     * client addresses an account has used, under keys that stand for
     * them. */
    "ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE users ADD COLUMN unverified INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN public_id TEXT;"
    "ALTER TABLE sessions ADD COLUMN client TEXT;"
    "ALTER TABLE sessions ADD COLUMN user_agent TEXT;"
    "UPDATE sessions SET public_id = lower(hex(randomblob(16)));"
    "CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);"
    "CREATE TABLE email_links ("
    " user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,"
    " token_hash BLOB NOT NULL UNIQUE,"
    " email TEXT NOT NULL,"
    " expires_at INTEGER NOT NULL);"
    "CREATE TABLE known_clients ("
    " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " PRIMARY KEY (user_id, key)) WITHOUT ROWID;",
    /* 5 -> 6: the second factor. One per account, its secret sealed
     * (the key is not in the database), active once confirmed, with the
     * last time step used so that a code works once; until then a
     * setting-up one expires. Recovery codes as keyed digests. A log-in
     * that waits for its code, bound to the browser's form token.
     * Sessions say whether they began with the second factor. */
    "CREATE TABLE second_factors ("
    " user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,"
    " sealed BLOB NOT NULL,"
    " active INTEGER NOT NULL,"
    " last_step INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL);"
    "CREATE TABLE recovery_codes ("
    " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " digest TEXT NOT NULL,"
    " PRIMARY KEY (user_id, digest)) WITHOUT ROWID;"
    "CREATE TABLE pending_logins ("
    " token_hash BLOB PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " form_hash BLOB NOT NULL,"
    " expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX pending_logins_user ON pending_logins (user_id);"
    "ALTER TABLE sessions ADD COLUMN second_factor INTEGER NOT NULL"
    " DEFAULT 0;",
};
