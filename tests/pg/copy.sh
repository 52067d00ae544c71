#!/bin/bash
# copy.sh: `auth.cgi copy-db FROM TO`, both ways, as a deployment moves:
# a SQLite deployment served by lighttpd (CGI) with accounts, a live
# session, a reset token, failures and a lockout is copied into a
# PostgreSQL database (twice: the second copy changes nothing), served
# from there by lighttpd (FastCGI) with the same key file: the session
# still works, the token works once, the counts and the lock hold. Then
# back into a new SQLite file, served again. Also: a source that does not
# exist is refused and not created; accounts the target has in another
# letter case are the same accounts; with another key file the lockouts
# are not found (why copy-db says to copy it).
# Usage: tests/pg/copy.sh [AUTH_CGI]   (default cgi-bin/auth.cgi; it must
# have libpq). Last line "N passed, N failed"; exit 1 on failure.
# shellcheck disable=SC2154 # tmp, CGI, DB: set by hosts_suite
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"
# shellcheck disable=SC1091
. "$here/../lib/hosts.sh"

hosts_suite moved "${1:-$root/cgi-bin/auth.cgi}"
URI=$DB
PW=b4l0u
NEWPW=t4rt1fl3tt3
form() { hreq "$1" "$2" "$3" --data-raw "$4" "${@:5}"; }
# copy_db FROM TO: the command, with the source deployment's key file.
copy_db() {
	AUTHCGI_SECRET_KEY_FILE=$KEY "$CGI" copy-db "$1" "$2" >"$tmp/copy.out" 2>"$tmp/copy.err"
}

# ----------------------------------------------- the SQLite deployment

SQ=$tmp/s/auth.db
KEY=$SQ.key
if ! host_start S cgi "$tmp/s"; then
	fail "SQLite host start" "lighttpd did not start"
	summary
	exit 1
fi
for u in Ann@Example.com bob@example.com cat@example.com dan@example.com; do
	form S POST /users "email=$u&password=$PW"
	check_status "SQLite: register $u" 200
done
form S POST /sessions "email=ann%40example.com&password=$PW"
check_status "SQLite: ann logs in" 200
SID=$(host_sid)
form S POST /reset_password "email=bob%40example.com"
check_status "SQLite: bob asks for a reset token" 200
TOKEN=$(body_get reset_token)
for i in 1 2 3; do
	form S POST /sessions "email=cat%40example.com&password=wrong-$i"
done
check_status "SQLite: cat, three wrong passwords" 401
for i in 1 2 3 4 5 6; do
	form S POST /sessions "email=dan%40example.com&password=wrong-$i"
done
check_status "SQLite: dan locked" 429
host_stop S
AUTHCGI_DB=$SQ AUTHCGI_SECRET_KEY_FILE=$KEY "$CGI" group add ann@example.com staff >/dev/null
check_eq "SQLite: ann in a group" "$?" 0
EVENTS=$(sqlite3 "$SQ" "SELECT count(*) FROM throttle_events")

# ------------------------------------------------- SQLite to PostgreSQL

copy_db "$SQ" "$URI"
check_eq "copy to PostgreSQL: exit 0" "$?" 0
check_eq "copy to PostgreSQL: counts" "$(head -n 1 "$tmp/copy.out")" \
	"copied 4 accounts (4 new), 1 sessions, 1 reset tokens, $EVENTS counted failures and 1 lockouts"
check_match "copy to PostgreSQL: the account's other rows" \
	"$(sed -n 2p "$tmp/copy.out")" '^and 1 group memberships, 0 email links, '
check_match "copy to PostgreSQL: says to copy the key file" \
	"$(tail -n 1 "$tmp/copy.out")" 'AUTHCGI_SECRET_KEY_FILE'
check_eq "PostgreSQL: ann's group" \
	"$(pg_sql moved "SELECT u.email || ' ' || g.name FROM groups g JOIN users u ON u.id = g.user_id")" \
	"Ann@Example.com staff"
copy_db "$SQ" "$URI"
check_eq "copy again: nothing new" "$(head -n 1 "$tmp/copy.out")" \
	"copied 4 accounts (0 new), 1 sessions, 1 reset tokens, $EVENTS counted failures and 1 lockouts"
check_eq "copy again: the same rows" \
	"$(pg_sql moved "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM sessions), (SELECT count(*) FROM reset_tokens), (SELECT count(*) FROM throttle_events), (SELECT count(*) FROM throttle_locks)")" \
	"$(printf '4\t1\t1\t%s\t1' "$EVENTS")"
check_eq "PostgreSQL: the accounts, ids and emails as in SQLite" \
	"$(pg_sql moved "SELECT string_agg(id || ' ' || email, ',' ORDER BY id) FROM users")" \
	"$(sqlite3 "$SQ" "SELECT group_concat(id || ' ' || email, ',') FROM (SELECT * FROM users ORDER BY id)")"

# Served from PostgreSQL, with the SQLite deployment's key file.
export AUTHCGI_DB=$URI AUTHCGI_SECRET_KEY_FILE=$KEY
if ! host_start P fastcgi "$tmp/p"; then
	fail "PostgreSQL host start" "lighttpd did not start"
	summary
	exit 1
fi
hreq P GET /profile -b "session_id=$SID"
check_status "PostgreSQL: ann's session still works" 200
check_body_exact "PostgreSQL: ann's profile" '{"email": "Ann@Example.com"}'
form P PUT /reset_password "email=bob%40example.com&reset_token=$TOKEN&new_password=$NEWPW"
check_status "PostgreSQL: bob's token works" 200
form P PUT /reset_password "email=bob%40example.com&reset_token=$TOKEN&new_password=$PW"
check_status "PostgreSQL: once" 403
form P POST /sessions "email=dan%40example.com&password=$PW"
check_status "PostgreSQL: dan is still locked" 429
form P POST /sessions "email=cat%40example.com&password=wrong-4"
check_status "PostgreSQL: cat's fourth wrong password" 401
form P POST /sessions "email=cat%40example.com&password=wrong-5"
check_status "PostgreSQL: cat's fifth" 401
form P POST /sessions "email=cat%40example.com&password=$PW"
check_status "PostgreSQL: cat's sixth attempt is refused: the three copied counted" 429
form P POST /users "email=eve%40example.com&password=$PW"
check_status "PostgreSQL: a new account" 200
check "PostgreSQL: its id follows the copied ones" \
	test "$(pg_sql moved "SELECT id FROM users WHERE email = 'eve@example.com'")" -gt 4
host_stop P

# Another key file: the lockouts, keyed by digests under the old one, are
# not found.
export AUTHCGI_SECRET_KEY_FILE=$tmp/other.key
if host_start P2 cgi "$tmp/p2"; then
	form P2 POST /sessions "email=dan%40example.com&password=$PW"
	check_status "another key file: dan's lockout is not found" 200
	host_stop P2
fi
export AUTHCGI_SECRET_KEY_FILE=$KEY

# ------------------------------------------------- PostgreSQL to SQLite

BACK=$tmp/back/auth.db
mkdir -p "$tmp/back"
copy_db "$URI" "$BACK"
check_eq "copy back to SQLite: exit 0" "$?" 0
check_match "copy back: counts" "$(head -n 1 "$tmp/copy.out")" \
	'^copied 5 accounts \(5 new\), [1-9][0-9]* sessions, 0 reset tokens, '
copy_db "$URI" "$BACK"
check_match "copy back again: nothing new" "$(head -n 1 "$tmp/copy.out")" \
	'^copied 5 accounts \(0 new\)'
export AUTHCGI_DB=$BACK
if host_start S2 cgi "$tmp/back"; then
	hreq S2 GET /profile -b "session_id=$SID"
	check_status "SQLite again: ann's session still works" 200
	form S2 POST /sessions "email=bob%40example.com&password=$NEWPW"
	check_status "SQLite again: bob's new password" 200
	form S2 POST /sessions "email=dan%40example.com&password=$PW"
	check_status "SQLite again: dan still locked" 429
	host_stop S2
else
	fail "SQLite host start again" "lighttpd did not start"
fi
unset AUTHCGI_DB

# ------------------------------------------------------------- refusals

copy_db "$tmp/none.db" "$URI"
check_eq "a missing source: exit 1" "$?" 1
check_match "a missing source: said" "$(cat "$tmp/copy.err")" 'no such database'
check "a missing source: not created" test ! -e "$tmp/none.db"

# The same account in another letter case: one account.
URI2=$(pg_db other)
AUTHCGI_DB=$URI2 AUTHCGI_SECRET_KEY_FILE=$tmp/k2 "$CGI" init >/dev/null 2>&1
pg_sql other "INSERT INTO users (email, password_hash, created_at) VALUES ('ANN@EXAMPLE.COM', 'x', 1)" >/dev/null
copy_db "$SQ" "$URI2"
check_match "letter case: ANN@EXAMPLE.COM is Ann@Example.com" \
	"$(head -n 1 "$tmp/copy.out")" '^copied 4 accounts \(3 new\)'
check_eq "letter case: one account, as typed in the source" \
	"$(pg_sql other "SELECT count(*) || ' ' || max(email) FROM users WHERE translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = 'ann@example.com'")" \
	"1 Ann@Example.com"

summary
