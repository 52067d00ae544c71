#!/bin/bash
# faults.sh: PostgreSQL's faults, through real hosts: host F (lighttpd,
# FastCGI: one kept connection per process) and host C (lighttpd, CGI: a
# connection per request) on one database of a throwaway cluster.
#
#   - the server stopped mid-run: 503 JSON on both hosts (and from the
#     health probe), the cause in the log, nothing of a request kept;
#     started again: the same FastCGI processes serve again, lighttpd
#     untouched
#   - the connections ended by pg_terminate_backend: the next requests work
#   - a role without write rights: 503, nothing changed; reads work
#   - disk full: a tablespace on a small tmpfs, filled: 503, the cause in
#     the log, nothing half-written; room again, writes again (without
#     root, which mounting needs, a statement timeout stands in for it)
#   - a statement timeout: 503 busy, nothing changed
#   - authentication refused, an unreachable server: 503, the cause logged
#     and no password in it
# Usage: tests/pg/faults.sh [AUTH_CGI]   (default cgi-bin/auth.cgi; it must
# have libpq). Last line "N passed, N failed"; exit 1 on failure.
# shellcheck disable=SC2154 # tmp, CGI, DB: set by hosts_suite
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"
# shellcheck disable=SC1091
. "$here/../lib/hosts.sh"

hosts_suite faults "${1:-$root/cgi-bin/auth.cgi}"
MOUNTED=""
# The tablespace's tmpfs too.
trap '[ -z "$MOUNTED" ] || umount "$MOUNTED"; hosts_cleanup' EXIT
PW=b4l0u
export AUTHCGI_DB=$DB AUTHCGI_SECRET_KEY_FILE=$tmp/auth.key
sql() { pg_sql faults "$1"; }
users() { sql "SELECT count(*) FROM users"; }
"$CGI" init >/dev/null 2>&1
if ! host_start F fastcgi "$tmp/f" || ! host_start C cgi "$tmp/c"; then
	fail "hosts start" "lighttpd did not start"
	summary
	exit 1
fi
ok "hosts start"
form() { hreq "$1" "$2" "$3" --data-raw "$4" "${@:5}"; }
# expect_503 NAME: a 503 with a JSON message.
expect_503() {
	check_status "$1: 503" 503
	check_header "$1: JSON" Content-Type application/json
	check_has_message "$1: a message"
}

# cgi_direct METHOD PATH BODY NAME=VALUE...: run the CGI itself, with the
# database and settings given; the answer in R_*, stderr in $tmp/err.
cgi_direct() {
	local method=$1 path=$2 body=$3
	shift 3
	printf '%s' "$body" | env -i PATH=/usr/bin:/bin REQUEST_METHOD="$method" \
		PATH_INFO="$path" SCRIPT_NAME= REMOTE_ADDR=127.0.0.1 \
		CONTENT_TYPE=application/x-www-form-urlencoded \
		CONTENT_LENGTH=${#body} AUTHCGI_DB="$DB" \
		AUTHCGI_SECRET_KEY_FILE="$AUTHCGI_SECRET_KEY_FILE" "$@" \
		"$CGI" >"$tmp/out" 2>"$tmp/err"
	resp_parse "$tmp/out"
}

form F POST /users "email=ann%40example.com&password=$PW"
check_status "register" 200
form C POST /sessions "email=ann%40example.com&password=$PW"
check_status "log in" 200
SID=$(host_sid)
for i in 1 2 3 4 5 6; do hreq F GET /profile -b "session_id=$SID"; done
check_status "profile on F" 200
PROCS=$(host_procs F)
check "F's FastCGI processes: $PROCS" test -n "$PROCS"

# ------------------------------------------------- the server stopped

"$PG_CLUSTER" stop "$PG_DIR"
check "PostgreSQL stopped" test ! -e "$PG_DIR/postgres.pid"
hreq F GET /profile -b "session_id=$SID"
expect_503 "stopped: profile on F"
hreq C GET /profile -b "session_id=$SID"
expect_503 "stopped: profile on C"
form F POST /users "email=bob%40example.com&password=$PW"
expect_503 "stopped: register on F"
form C POST /sessions "email=ann%40example.com&password=$PW"
expect_503 "stopped: log in on C"
hreq F GET /health
expect_503 "stopped: health on F"
hreq C GET /health
expect_503 "stopped: health on C"
check "stopped: F's log says the connection went" \
	grep -q -E "connection lost|cannot connect" "${HOST_LOG[F]}"
check "stopped: C's log says it cannot connect" \
	grep -q "cannot connect" "${HOST_LOG[C]}"
check "stopped: lighttpd F still runs" kill -0 "${HOST_PID[F]}"

PG_SETTINGS=$PG_TEST_SETTINGS "$PG_CLUSTER" start "$PG_DIR"
check "PostgreSQL started again" test -e "$PG_DIR/postgres.pid"
for i in 1 2 3 4 5 6; do
	hreq F GET /profile -b "session_id=$SID"
	check_status "back: profile on F ($i)" 200
done
check_eq "back: the same FastCGI processes serve" "$(host_procs F)" "$PROCS"
hreq C GET /profile -b "session_id=$SID"
check_status "back: profile on C" 200
hreq F GET /health
check_status "back: health on F" 200
check_eq "back: the registration during the outage was not kept" \
	"$(sql "SELECT count(*) FROM users WHERE email = 'bob@example.com'")" 0
form C POST /users "email=bob%40example.com&password=$PW"
check_status "back: bob registers" 200

# ------------------------------------------------ connections terminated

n=$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'authcgi'")
check "terminated: F's connections ended ($n)" test "$n" -ge 1
sleep 0.5
for i in 1 2 3 4 5 6; do
	hreq F GET /profile -b "session_id=$SID"
	check_status "terminated: the next request on F works ($i)" 200
done
form F POST /sessions "email=bob%40example.com&password=$PW"
check_status "terminated: a login on F works" 200
check "terminated: F's log says it connected again" \
	grep -q "connecting again" "${HOST_LOG[F]}"
check_eq "terminated: the same FastCGI processes serve" "$(host_procs F)" "$PROCS"

# -------------------------------------------- a role without write rights

sql "CREATE ROLE reader LOGIN; GRANT USAGE ON SCHEMA public TO reader; GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader" >/dev/null
before_u=$(users)
before_e=$(sql "SELECT count(*) FROM throttle_events")
before_s=$(sql "SELECT count(*) FROM sessions")
RO="postgresql:///faults?host=$PG_DIR/sock&user=reader"
cgi_direct GET /health "" AUTHCGI_DB="$RO"
check_status "read-only role: health (a read) 200" 200
cgi_direct POST /users "email=carl%40example.com&password=$PW" AUTHCGI_DB="$RO"
expect_503 "read-only role: register"
check "read-only role: the cause logged" grep -q "permission denied" "$tmp/err"
cgi_direct POST /sessions "email=ann%40example.com&password=$PW" AUTHCGI_DB="$RO"
expect_503 "read-only role: log in"
check_eq "read-only role: nothing changed (accounts, failures, sessions)" \
	"$(users) $(sql "SELECT count(*) FROM throttle_events") $(sql "SELECT count(*) FROM sessions")" \
	"$before_u $before_e $before_s"

# ------------------------------------------- the least a role needs (README)

# The grants of README's "A real deployment": every endpoint works with
# them, and nothing more is allowed (the schema cannot be changed).
sql "CREATE ROLE svc LOGIN; GRANT USAGE ON SCHEMA public TO svc;
	GRANT SELECT, INSERT, UPDATE, DELETE ON users, sessions, reset_tokens, throttle_events, throttle_locks, groups, email_links, known_clients, second_factors, recovery_codes, pending_logins TO svc;
	GRANT SELECT ON authcgi_schema TO svc; GRANT USAGE ON SEQUENCE users_id_seq TO svc" >/dev/null
SVC="postgresql:///faults?host=$PG_DIR/sock&user=svc"
cgi_direct POST /users "email=fay%40example.com&password=$PW" AUTHCGI_DB="$SVC"
check_status "least rights: register" 200
cgi_direct POST /sessions "email=fay%40example.com&password=wrong-pass" AUTHCGI_DB="$SVC"
check_status "least rights: a wrong password (counted)" 401
cgi_direct POST /sessions "email=fay%40example.com&password=$PW" AUTHCGI_DB="$SVC"
check_status "least rights: log in" 200
FSID=$(header_all Set-Cookie | sed -n 's/^session_id=\([^;]*\).*/\1/p' | head -n 1)
cgi_direct GET /profile "" HTTP_COOKIE="session_id=$FSID" AUTHCGI_DB="$SVC"
check_status "least rights: profile" 200
cgi_direct POST /reset_password "email=fay%40example.com" AUTHCGI_DB="$SVC"
check_status "least rights: reset token" 200
FTOKEN=$(body_get reset_token)
cgi_direct PUT /reset_password "email=fay%40example.com&reset_token=$FTOKEN&new_password=$PW-2" AUTHCGI_DB="$SVC"
check_status "least rights: new password" 200
cgi_direct DELETE /sessions "" HTTP_COOKIE="session_id=$FSID" AUTHCGI_DB="$SVC"
check_status "least rights: log out" 302
check "least rights: no schema change" test -z "$(sql "SET ROLE svc; CREATE TABLE x (y int)" 2>/dev/null)" -a \
	"$(sql "SELECT count(*) FROM pg_tables WHERE tablename = 'x'")" == 0
check_eq "least rights: the schema owner's purge works beside it" \
	"$(AUTHCGI_DB=$DB "$CGI" purge 2>/dev/null | cut -d' ' -f1)" purged

# ------------------------------------------------------- a statement timeout

# Another transaction holds an uncommitted account with the same email:
# the registration's insert waits for it past the role's statement
# timeout (500 ms here), and gives up.
(
	echo "BEGIN; INSERT INTO users (email, password_hash, created_at) VALUES ('dora@example.com', 'x', 0);"
	sleep 4
	echo "ROLLBACK;"
) | "$PG_CLUSTER" psql "$PG_DIR" -d faults >/dev/null 2>&1 &
HOLD=$!
for _ in $(seq 1 50); do
	[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'")" == 1 ] && break
	sleep 0.1
done
before_e=$(sql "SELECT count(*) FROM throttle_events")
cgi_direct POST /users "email=dora%40example.com&password=$PW" \
	AUTHCGI_DB="$DB&options=-c%20statement_timeout%3D500"
expect_503 "statement timeout: register"
check_message "statement timeout: busy" "service busy, try again"
check "statement timeout: the cause logged" grep -q "statement timeout" "$tmp/err"
wait "$HOLD"
check_eq "statement timeout: nothing half-written" \
	"$(sql "SELECT count(*) FROM users WHERE email = 'dora@example.com'") $(sql "SELECT count(*) FROM throttle_events")" \
	"0 $before_e"

# ----------------------------------------------------------------- disk full

# A tablespace on a 1 MiB tmpfs holds the accounts; filled, it refuses
# the next account as a full disk would (SQLSTATE 53100).
# (Beside the cluster, where its user can reach it.)
TS=$PG_DIR/ts
mkdir -p "$TS"
if [ "$(id -u)" -eq 0 ] &&
	mount -t tmpfs -o "size=1m,uid=$(id -u postgres),gid=$(id -g postgres),mode=0700" \
		tmpfs "$TS" 2>/dev/null; then
	MOUNTED=$TS
	sql "CREATE TABLESPACE small LOCATION '$TS'" >/dev/null
	sql "ALTER TABLE users SET TABLESPACE small; ALTER INDEX users_pkey SET TABLESPACE small; ALTER INDEX users_email_nocase SET TABLESPACE small" >/dev/null
	# A hundred accounts at a time, then one at a time, smaller and
	# smaller, to the last bytes.
	for i in $(seq 1 200); do
		sql "INSERT INTO users (email, password_hash, created_at) SELECT 'fill-$i-' || n || '@x', repeat('h', 200), 0 FROM generate_series(1, 100) n" >/dev/null 2>&1 || break
	done
	for size in 100 40 1; do
		for j in $(seq 1 300); do
			sql "INSERT INTO users (email, password_hash, created_at) VALUES ('f-$size-$j@x', repeat('h', $size), 0)" >/dev/null 2>&1 || break
		done
	done
	check "full: the tablespace is full ($i batches)" test "$i" -lt 200
	before_u=$(users)
	form C POST /users "email=erin%40example.com&password=$PW"
	expect_503 "full: register on C"
	form F POST /users "email=erin%40example.com&password=$PW"
	expect_503 "full: register on F"
	check "full: the cause logged (no space left)" \
		grep -q -E "No space left on device.*53100" "${HOST_LOG[C]}"
	check_eq "full: nothing half-written" "$(users)" "$before_u"
	form F POST /sessions "email=ann%40example.com&password=$PW"
	check_status "full: log in (sessions have room) works" 200
	# Room again: the accounts back on the main disk.
	sql "ALTER TABLE users SET TABLESPACE pg_default; ALTER INDEX users_pkey SET TABLESPACE pg_default; ALTER INDEX users_email_nocase SET TABLESPACE pg_default" >/dev/null
	sql "DROP TABLESPACE small" >/dev/null
	form C POST /users "email=erin%40example.com&password=$PW"
	check_status "room again: register on C" 200
	sql "DELETE FROM users WHERE email LIKE 'fill-%' OR email LIKE 'f-%'" >/dev/null
	umount "$TS" && MOUNTED=""
else
	echo "skipped: disk full needs root to mount a tmpfs (the statement timeout above stands in for it)"
fi

# ------------------------------------------- authentication, reachability

hba=$PG_DIR/data/pg_hba.conf
{ echo "local all pwuser scram-sha-256"; cat "$hba"; } >"$tmp/hba" &&
	cat "$tmp/hba" >"$hba"
sql "CREATE ROLE pwuser LOGIN PASSWORD 'r1ght-pass'; GRANT ALL ON ALL TABLES IN SCHEMA public TO pwuser; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO pwuser; SELECT pg_reload_conf()" >/dev/null
cgi_direct GET /health "" AUTHCGI_DB="postgresql:///faults?host=$PG_DIR/sock&user=pwuser&password=wr0ng-pass"
expect_503 "wrong password"
check "wrong password: the cause logged" grep -q "password authentication failed" "$tmp/err"
check "wrong password: no password in the log" test -z "$(grep -e wr0ng -e r1ght "$tmp/err")"
cgi_direct GET /health "" AUTHCGI_DB="postgresql:///faults?host=$PG_DIR/sock&user=pwuser&password=r1ght-pass"
check_status "the right password" 200
cgi_direct GET /profile "" HTTP_COOKIE="session_id=$SID" AUTHCGI_DB="postgresql:///faults?host=$tmp/nowhere"
expect_503 "unreachable server"
check "unreachable server: the cause logged" grep -q "cannot connect" "$tmp/err"

check_eq "no sanitizer report" \
	"$(cat "${HOST_LOG[F]}" "${HOST_LOG[C]}" | grep -c -E 'Sanitizer|runtime error:')" 0
host_stop_all
summary
