/* pg_sql.c: the PostgreSQL backend's SQL: a text for every statement of
 * the store (backend.h), and the schema's migrations. */
#include "backend.h"

/* ASCII letters folded to lower case, and nothing else: SQLite's NOCASE,
 * the rule emails are unique by in both backends. (lower() would fold
 * other letters too, by the database's locale, which may differ from
 * host to host and from SQLite's rule.) The unique index is on this
 * very expression, so look-ups by email use it. */
#define FOLD(x)                                                                \
	"translate(" x ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',"                       \
	" 'abcdefghijklmnopqrstuvwxyz')"

const char *const store_pg_sql[S__MAX] = {
    [S_VERSION] = "SELECT coalesce(max(version), 0)::bigint"
                  " FROM authcgi_schema",
    [S_USER_INSERT] = "INSERT INTO users (email, password_hash, created_at)"
                      " VALUES ($1, $2, $3) RETURNING id",
    [S_USER_BY_EMAIL] = "SELECT id, email, password_hash, created_at,"
                        " coalesce(last_login, 0), disabled, unverified"
                        " FROM users"
                        " WHERE " FOLD("email") " = " FOLD("$1"),
    [S_USER_BY_ID] = "SELECT id, email, password_hash, created_at,"
                     " coalesce(last_login, 0), disabled, unverified"
                     " FROM users WHERE id = $1",
    [S_USER_SET_HASH] = "UPDATE users SET password_hash = $2 WHERE id = $1",
    [S_USER_SET_LOGIN] = "UPDATE users SET last_login = $2 WHERE id = $1",
    [S_USER_SET_EMAIL] = "UPDATE users SET email = $2 WHERE id = $1",
    [S_USER_SET_DISABLED] = "UPDATE users SET disabled = $2 WHERE id = $1",
    [S_USER_SET_UNVERIFIED] = "UPDATE users SET unverified = $2"
                              " WHERE id = $1",
    [S_SESSION_INSERT] = "INSERT INTO sessions (token_hash, user_id,"
                         " created_at, last_seen, public_id, client,"
                         " user_agent, second_factor)"
                         " VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
    [S_SESSION_FIND] = "SELECT user_id, created_at, last_seen, token_hash,"
                       " second_factor FROM sessions WHERE token_hash = $1",
    [S_SESSION_FIND_USER] = "SELECT s.user_id, s.created_at, s.last_seen,"
                            " s.token_hash, s.second_factor, u.email"
                            " FROM sessions s"
                            " JOIN users u ON u.id = s.user_id"
                            " WHERE s.token_hash = $1",
    [S_SESSION_GATE] = "SELECT s.user_id, s.created_at, s.last_seen,"
                       " s.token_hash, s.second_factor, u.email,"
                       " (SELECT coalesce(string_agg(g.name, ','"
                       " ORDER BY g.name), '') FROM groups g"
                       " WHERE g.user_id = u.id)"
                       " FROM sessions s JOIN users u ON u.id = s.user_id"
                       " WHERE s.token_hash = $1",
    [S_SESSION_SET_FACTOR] = "UPDATE sessions SET second_factor = 1"
                             " WHERE token_hash = $1",
    [S_SESSION_TOUCH] = "UPDATE sessions SET last_seen = $2"
                        " WHERE token_hash = $1",
    [S_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = $1",
    [S_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = $1",
    [S_SESSION_DELETE_OTHERS] = "DELETE FROM sessions WHERE user_id = $1"
                                " AND token_hash <> $2",
    [S_SESSION_DELETE_PUBLIC] = "DELETE FROM sessions WHERE user_id = $1"
                                " AND public_id = $2",
    [S_SESSION_LIST] = "SELECT coalesce(public_id, ''), created_at,"
                       " last_seen, coalesce(client, ''),"
                       " coalesce(user_agent, ''), token_hash FROM sessions"
                       " WHERE user_id = $1 AND last_seen > $2"
                       " AND created_at > $3"
                       " ORDER BY last_seen DESC, created_at DESC LIMIT $4",
    [S_RESET_PUT] = "INSERT INTO reset_tokens (user_id, token_hash,"
                    " expires_at) VALUES ($1, $2, $3)"
                    " ON CONFLICT (user_id) DO UPDATE SET"
                    " token_hash = excluded.token_hash,"
                    " expires_at = excluded.expires_at",
    [S_RESET_GET] = "SELECT user_id, expires_at, token_hash"
                    " FROM reset_tokens WHERE user_id = $1",
    [S_RESET_DELETE] = "DELETE FROM reset_tokens WHERE user_id = $1",
    [S_GROUP_ADD] = "INSERT INTO groups (user_id, name) VALUES ($1, $2)"
                    " ON CONFLICT DO NOTHING",
    [S_GROUP_REMOVE] = "DELETE FROM groups WHERE user_id = $1 AND name = $2",
    [S_GROUPS_OF] = "SELECT coalesce(string_agg(name, ',' ORDER BY name),"
                    " ''), count(*) FROM groups WHERE user_id = $1",
    [S_GROUPS_DELETE_USER] = "DELETE FROM groups WHERE user_id = $1",
    [S_LINK_PUT] = "INSERT INTO email_links (user_id, token_hash, email,"
                   " expires_at) VALUES ($1, $2, $3, $4)"
                   " ON CONFLICT (user_id) DO UPDATE SET"
                   " token_hash = excluded.token_hash,"
                   " email = excluded.email,"
                   " expires_at = excluded.expires_at",
    [S_LINK_FIND] = "SELECT user_id, expires_at, token_hash, email"
                    " FROM email_links WHERE token_hash = $1",
    [S_LINK_GET] = "SELECT user_id, expires_at, token_hash, email"
                   " FROM email_links WHERE user_id = $1",
    [S_LINK_DELETE] = "DELETE FROM email_links WHERE user_id = $1",
    [S_CLIENT_COUNT] = "SELECT count(*) FROM known_clients"
                       " WHERE user_id = $1 AND last_seen >= $2",
    [S_CLIENT_SEEN] = "SELECT last_seen FROM known_clients"
                      " WHERE user_id = $1 AND key = $2",
    [S_CLIENT_PUT] = "INSERT INTO known_clients (user_id, key, last_seen)"
                     " VALUES ($1, $2, $3) ON CONFLICT (user_id, key)"
                     " DO UPDATE SET last_seen = excluded.last_seen",
    [S_CLIENT_DELETE_USER] = "DELETE FROM known_clients WHERE user_id = $1",
    [S_FACTOR_GET] = "SELECT sealed, active, last_step, expires_at"
                     " FROM second_factors WHERE user_id = $1",
    [S_FACTOR_PUT] = "INSERT INTO second_factors (user_id, sealed, active,"
                     " last_step, expires_at) VALUES ($1, $2, 0, 0, $3)"
                     " ON CONFLICT (user_id) DO UPDATE SET"
                     " sealed = excluded.sealed, active = 0,"
                     " last_step = 0, expires_at = excluded.expires_at",
    /* Under READ COMMITTED a racing update waits for the first, then
     * reads the row again: the condition holds for one of them only. */
    [S_FACTOR_ACTIVATE] = "UPDATE second_factors SET active = 1,"
                          " last_step = $2, expires_at = 0"
                          " WHERE user_id = $1 AND active = 0",
    [S_FACTOR_USE] = "UPDATE second_factors SET last_step = $2"
                     " WHERE user_id = $1 AND active = 1"
                     " AND last_step < $2",
    [S_FACTOR_DELETE] = "DELETE FROM second_factors WHERE user_id = $1",
    [S_RECOVERY_ADD] = "INSERT INTO recovery_codes (user_id, digest)"
                       " VALUES ($1, $2) ON CONFLICT DO NOTHING",
    [S_RECOVERY_USE] = "DELETE FROM recovery_codes"
                       " WHERE user_id = $1 AND digest = $2",
    [S_RECOVERY_COUNT] = "SELECT count(*) FROM recovery_codes"
                         " WHERE user_id = $1",
    [S_RECOVERY_DELETE] = "DELETE FROM recovery_codes WHERE user_id = $1",
    [S_PENDING_PUT] = "INSERT INTO pending_logins"
                      " (token_hash, user_id, form_hash, expires_at)"
                      " VALUES ($1, $2, $3, $4)",
    [S_PENDING_FIND] = "SELECT user_id, expires_at, token_hash, form_hash"
                       " FROM pending_logins WHERE token_hash = $1",
    [S_PENDING_DELETE] = "DELETE FROM pending_logins WHERE token_hash = $1",
    [S_PENDING_DELETE_USER] = "DELETE FROM pending_logins"
                              " WHERE user_id = $1",
    [S_THROTTLE_COUNT] = "SELECT count(*) FROM throttle_events"
                         " WHERE key = $1 AND at >= $2",
    [S_THROTTLE_ADD] = "INSERT INTO throttle_events (key, at) VALUES ($1, $2)",
    [S_THROTTLE_REMOVE] = "DELETE FROM throttle_events WHERE ctid ="
                          " (SELECT ctid FROM throttle_events"
                          " WHERE key = $1 AND at = $2 LIMIT 1)",
    [S_THROTTLE_CLEAR] = "DELETE FROM throttle_events WHERE key = $1",
    [S_LOCK_GET] = "SELECT until FROM throttle_locks WHERE key = $1",
    [S_LOCK_PUT] = "INSERT INTO throttle_locks (key, until) VALUES ($1, $2)"
                   " ON CONFLICT (key) DO UPDATE SET until = excluded.until",
    [S_LOCK_DELETE] = "DELETE FROM throttle_locks WHERE key = $1",
    [S_USER_LIST] = "SELECT id, email, created_at, coalesce(last_login, 0)"
                    " FROM users ORDER BY id",
    [S_USER_DELETE] = "DELETE FROM users WHERE id = $1",
    [S_PURGE_SESSIONS] = "DELETE FROM sessions"
                         " WHERE last_seen <= $1 OR created_at <= $2",
    [S_PURGE_RESETS] = "DELETE FROM reset_tokens WHERE expires_at <= $1",
    [S_PURGE_THROTTLE] = "DELETE FROM throttle_events WHERE at < $1",
    [S_PURGE_LOCKS] = "DELETE FROM throttle_locks WHERE until <= $1",
    [S_PURGE_LINKS] = "DELETE FROM email_links WHERE expires_at <= $1",
    [S_PURGE_CLIENTS] = "DELETE FROM known_clients WHERE last_seen < $1",
    [S_PURGE_PENDING] = "DELETE FROM pending_logins WHERE expires_at <= $1",
    [S_PURGE_FACTORS] = "DELETE FROM second_factors"
                        " WHERE active = 0 AND expires_at <= $1",
    [S_USER_IMPORT] = "INSERT INTO users (email, password_hash, created_at)"
                      " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    [S_COPY_USERS] = "SELECT id, email, password_hash, created_at,"
                     " coalesce(last_login, 0), disabled, unverified"
                     " FROM users ORDER BY id",
    [S_COPY_SESSIONS] = "SELECT token_hash, user_id, created_at, last_seen,"
                        " public_id, client, user_agent, second_factor"
                        " FROM sessions"
                        " WHERE last_seen > $1 AND created_at > $2",
    [S_COPY_RESETS] = "SELECT user_id, token_hash, expires_at"
                      " FROM reset_tokens WHERE expires_at > $1",
    [S_COPY_GROUPS] = "SELECT user_id, name FROM groups",
    [S_COPY_LINKS] = "SELECT user_id, token_hash, email, expires_at"
                     " FROM email_links WHERE expires_at > $1",
    [S_COPY_CLIENTS] = "SELECT user_id, key, last_seen FROM known_clients"
                       " WHERE last_seen >= $1",
    [S_COPY_FACTORS] = "SELECT user_id, sealed, active, last_step,"
                       " expires_at FROM second_factors"
                       " WHERE active <> 0 OR expires_at > $1",
    [S_COPY_RECOVERY] = "SELECT user_id, digest FROM recovery_codes",
    [S_COPY_EVENTS] = "SELECT key, at FROM throttle_events WHERE at >= $1"
                      " ORDER BY key, at",
    [S_COPY_LOCKS] = "SELECT key, until FROM throttle_locks"
                     " WHERE until > $1",
    [S_USER_PUT_ID] = "INSERT INTO users (id, email, password_hash,"
                      " created_at, last_login, disabled, unverified)"
                      " VALUES ($1, $2, $3, $4, nullif($5, 0), $6, $7)"
                      " ON CONFLICT DO NOTHING RETURNING id",
    [S_USER_PUT] = "INSERT INTO users (email, password_hash, created_at,"
                   " last_login, disabled, unverified)"
                   " VALUES ($1, $2, $3, nullif($4, 0), $5, $6)"
                   " RETURNING id",
    [S_USER_UPDATE] = "UPDATE users SET email = $2, password_hash = $3,"
                      " created_at = $4, last_login = nullif($5, 0),"
                      " disabled = $6, unverified = $7 WHERE id = $1",
    [S_SESSION_PUT] = "INSERT INTO sessions (token_hash, user_id,"
                      " created_at, last_seen, public_id, client,"
                      " user_agent, second_factor)"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                      " ON CONFLICT (token_hash) DO UPDATE SET"
                      " user_id = excluded.user_id,"
                      " created_at = excluded.created_at,"
                      " last_seen = excluded.last_seen,"
                      " public_id = excluded.public_id,"
                      " client = excluded.client,"
                      " user_agent = excluded.user_agent,"
                      " second_factor = excluded.second_factor",
    [S_FACTOR_COPY] = "INSERT INTO second_factors (user_id, sealed, active,"
                      " last_step, expires_at) VALUES ($1, $2, $3, $4, $5)"
                      " ON CONFLICT (user_id) DO UPDATE SET"
                      " sealed = excluded.sealed,"
                      " active = excluded.active,"
                      " last_step = excluded.last_step,"
                      " expires_at = excluded.expires_at",
    /* Ids given explicitly (a copy keeps them) do not advance the
     * identity's sequence: move it past the largest, never back. */
    [S_USER_IDS_SYNC] = "SELECT setval(s, m) FROM (SELECT"
                        " pg_get_serial_sequence('users', 'id')::regclass AS s,"
                        " max(id) AS m FROM users) x"
                        " WHERE m > coalesce(pg_sequence_last_value(s), 0)",
};

/* The version table: one row per migration applied. */
const char store_pg_version_table[] =
    "CREATE TABLE IF NOT EXISTS authcgi_schema ("
    " version integer PRIMARY KEY,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/*
 * Migrations, in order, each with the version it takes the database to.
 * Versions count as in the SQLite backend: a new database starts at the
 * shape SQLite's third migration reached. Append only; never edit one
 * that has shipped.
 */
const struct store_migration store_pg_migrations[] = {
    {3, "CREATE TABLE users ("
        " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " email text COLLATE \"C\" NOT NULL,"
        " password_hash text NOT NULL,"
        " created_at bigint NOT NULL,"
        " last_login bigint);"
        /* FOLD("email"), written out: a migration never changes. */
        "CREATE UNIQUE INDEX users_email_nocase ON users"
        " (translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',"
        " 'abcdefghijklmnopqrstuvwxyz'));"
        "CREATE TABLE sessions ("
        " token_hash bytea PRIMARY KEY,"
        " user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
        " created_at bigint NOT NULL,"
        " last_seen bigint NOT NULL);"
        "CREATE INDEX sessions_user ON sessions (user_id);"
        "CREATE TABLE reset_tokens ("
        " user_id bigint PRIMARY KEY REFERENCES users (id)"
        " ON DELETE CASCADE,"
        " token_hash bytea NOT NULL,"
        " expires_at bigint NOT NULL);"
        "CREATE TABLE throttle_events ("
        " key text COLLATE \"C\" NOT NULL,"
        " at bigint NOT NULL);"
        "CREATE INDEX throttle_events_key ON throttle_events (key, at);"
        "CREATE TABLE throttle_locks ("
        " key text COLLATE \"C\" PRIMARY KEY,"
        " until bigint NOT NULL);"},
    /* Groups of accounts, for the gate's rules. */
    {4, "CREATE TABLE groups ("
        " user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
        " name text COLLATE \"C\" NOT NULL,"
        " PRIMARY KEY (user_id, name));"},
    /* Account self-service: accounts disabled, or waiting for the link
     * that verifies their email; sessions with a public id (random,
     * for their owner's list; the sessions of older versions get one
     * here), the client's address and user agent; one email link per
     * account, kept as the digest of its token; the client addresses
     * an account has used, under keys that stand for them. Flags are
     * integers 0 and 1, as in SQLite. */
    {5, "ALTER TABLE users ADD COLUMN disabled integer NOT NULL DEFAULT 0;"
        "ALTER TABLE users ADD COLUMN unverified integer NOT NULL"
        " DEFAULT 0;"
        "ALTER TABLE sessions ADD COLUMN public_id text COLLATE \"C\";"
        "ALTER TABLE sessions ADD COLUMN client text;"
        "ALTER TABLE sessions ADD COLUMN user_agent text;"
        "UPDATE sessions SET public_id ="
        " replace(gen_random_uuid()::text, '-', '');"
        "CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);"
        "CREATE TABLE email_links ("
        " user_id bigint PRIMARY KEY REFERENCES users (id)"
        " ON DELETE CASCADE,"
        " token_hash bytea NOT NULL UNIQUE,"
        " email text COLLATE \"C\" NOT NULL,"
        " expires_at bigint NOT NULL);"
        "CREATE TABLE known_clients ("
        " user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
        " key text COLLATE \"C\" NOT NULL,"
        " last_seen bigint NOT NULL,"
        " PRIMARY KEY (user_id, key));"},
    /* The second factor: one per account, its secret sealed (the key is
     * not in the database), active once confirmed, with the last time
     * step used so that a code works once; until then a setting-up one
     * expires. Recovery codes as keyed digests. A log-in that waits for
     * its code, bound to the browser's form token. Sessions say whether
     * they began with the second factor. */
    {6, "CREATE TABLE second_factors ("
        " user_id bigint PRIMARY KEY REFERENCES users (id)"
        " ON DELETE CASCADE,"
        " sealed bytea NOT NULL,"
        " active integer NOT NULL,"
        " last_step bigint NOT NULL,"
        " expires_at bigint NOT NULL);"
        "CREATE TABLE recovery_codes ("
        " user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
        " digest text COLLATE \"C\" NOT NULL,"
        " PRIMARY KEY (user_id, digest));"
        "CREATE TABLE pending_logins ("
        " token_hash bytea PRIMARY KEY,"
        " user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
        " form_hash bytea NOT NULL,"
        " expires_at bigint NOT NULL);"
        "CREATE INDEX pending_logins_user ON pending_logins (user_id);"
        "ALTER TABLE sessions ADD COLUMN second_factor integer NOT NULL"
        " DEFAULT 0;"},
};

const size_t store_pg_nmigrations =
    sizeof(store_pg_migrations) / sizeof(store_pg_migrations[0]);
