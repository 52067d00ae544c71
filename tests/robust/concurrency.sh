#!/bin/bash
# concurrency.sh: the app under concurrent load through a real lighttpd on
# loopback (tests/lib/server.sh), then two targeted races run on the CGI
# directly.
#
#   (a) 32 simultaneous registrations of one email: one 200, 31 x 400
#       "email already registered", no 5xx, one row.
#   (b) 1,000 registrations of distinct emails over 32 connections: all
#       200, no 5xx, 1,000 rows; elapsed time and req/s.
#   (c) logins, logouts, profile reads, reset requests and updates racing
#       on one account (RACE_SECONDS, at most RACE_MAX requests, 16
#       workers): every status allowed by the contract, and an outcome a
#       serial order could give (see conc_client.py race).
#   (d) a login that rehashes an old bcrypt hash racing a password reset.
#   (e) a slow login racing a password reset (same hash settings).
#
# Usage: tests/robust/concurrency.sh   (after make; as root or not)
# Settings: RACE_SECONDS (20), RACE_MAX (2000), LOAD_N (1000).
# TEST_DB=postgres: on a throwaway PostgreSQL cluster (tests/lib/pg.sh),
# served by two lighttpd instances (different ports and state dirs) that
# (a), (b) and (c) send their requests to in turn; TEST_CGI names an
# executable with libpq to serve (from a copy of the project) and to run.
# Last line "N passed, N failed"; exit 1 on failure. VERBOSE=1 prints passes.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"
# shellcheck disable=SC1091
. "$here/../lib/server.sh"

PY=/usr/bin/python3
CLIENT=$here/conc_client.py
CGI=$root/cgi-bin/auth.cgi
RACE_SECONDS=${RACE_SECONDS:-20}
RACE_MAX=${RACE_MAX:-2000}
LOAD_N=${LOAD_N:-1000}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-conc.XXXXXX")
TEST_DB=${TEST_DB:-sqlite}
B_PID=""
cleanup() {
	server_stop
	if [ -n "$B_PID" ]; then
		SERVER_PID=$B_PID
		server_stop
	fi
	[ "$TEST_DB" != postgres ] || pg_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
T0=$(date +%s)
if [ -n "${TEST_CGI:-}" ]; then
	server_project "$TEST_CGI" "$tmp/project"
	CGI=$tmp/project/cgi-bin/auth.cgi
fi
# sql QUERY: one value from the database under test.
sql() {
	if [ "$TEST_DB" == postgres ]; then
		pg_sql conc "$1"
	else
		sqlite3 "$DB" "$1"
	fi
}

# py_checks SUBCOMMAND ARGS...: run the python client; its PASS/FAIL lines
# become checks, INFO lines are printed, a crash is a failure.
py_checks() {
	local line rc
	"$PY" "$CLIENT" "$@" >"$tmp/py.out" 2>"$tmp/py.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"PASS "*) ok "${line#PASS }" ;;
		"FAIL "*)
			local rest=${line#FAIL }
			fail "${rest%%: *}" "${rest#*: }"
			;;
		"INFO "*) echo "  ${line#INFO }" ;;
		esac
	done <"$tmp/py.out"
	if [ "$rc" -ne 0 ]; then
		fail "conc_client.py $1 exited $rc" "$(tail -n 5 "$tmp/py.err")"
	fi
}

if [ ! -x "$CGI" ]; then
	fail "cgi-bin/auth.cgi is built" "run make first"
	summary
	exit 1
fi

# Throttling would answer 429 to the deliberately wrong passwords of (c).
# The races check that no session outlives a later password reset: the
# hardened profile's rule, set alone here.
export AUTHCGI_LOCK_ACCOUNT=0 AUTHCGI_LOCK_ADDRESS=0 AUTHCGI_RESET_ENDS_SESSIONS=1
DB=$tmp/state/auth.db
if [ "$TEST_DB" == postgres ]; then
	# shellcheck disable=SC1091
	. "$here/../lib/pg.sh"
	pg_setup conc
	export AUTHCGI_DB=$DB AUTHCGI_SECRET_KEY_FILE=$tmp/auth.key
	export CONC_PG_CLUSTER=$PG_DIR
fi
if ! server_start "$tmp/state"; then
	fail "server start" "lighttpd did not start"
	summary
	exit 1
fi
ok "server start"
echo "lighttpd pid $SERVER_PID at $SERVER_URL"
URLS=$SERVER_URL
APPLOGS=${SERVER_APP_LOG:-$tmp/state/cgi-stderr.log}
if [ "$TEST_DB" == postgres ]; then
	# A second host on the same database: every request below goes to
	# the two in turn.
	A_PID=$SERVER_PID
	if server_start "$tmp/state-b"; then
		ok "second server start"
		B_PID=$SERVER_PID
		URLS="$URLS,$SERVER_URL"
		APPLOGS="$APPLOGS $SERVER_APP_LOG"
		echo "second lighttpd pid $B_PID at $SERVER_URL"
	else
		fail "second server start" "lighttpd did not start"
	fi
	SERVER_PID=$A_PID
fi

# ---------------------------------------------------------- (a)
echo "(a) 32 simultaneous registrations of one email"
py_checks same-email "$URLS" same@example.com 32
n=$(sql "SELECT count(*) FROM users WHERE email = 'same@example.com'")
check_eq "same email: one row in the database" "$n" 1
winner=$(sed -n 's/^WINNER //p' "$tmp/py.out")
if [ -n "$winner" ]; then
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		--data-urlencode email=same@example.com \
		--data-urlencode "password=$winner" "$SERVER_URL/sessions")
	check_eq "same email: the winning password logs in" "$code" 200
fi

# ---------------------------------------------------------- (b)
echo "(b) $LOAD_N registrations of distinct emails over 32 connections"
py_checks distinct "$URLS" "$LOAD_N" 32 load
n=$(sql "SELECT count(*) FROM users WHERE email LIKE 'load-%'")
check_eq "distinct: $LOAD_N rows in the database" "$n" "$LOAD_N"
RPS=$(sed -n 's/^FIGURE distinct_rps //p' "$tmp/py.out")
LOAD_S=$(sed -n 's/^FIGURE distinct_seconds //p' "$tmp/py.out")

# ---------------------------------------------------------- (c)
echo "(c) one account, 16 workers, ${RACE_SECONDS} s or $RACE_MAX requests"
py_checks race "$URLS" "$DB" "$RACE_SECONDS" "$RACE_MAX" 16
NRACE=$(sed -n 's/^FIGURE race_requests //p' "$tmp/py.out")

# Nothing the servers logged says a request failed.
# shellcheck disable=SC2086
n=$(cat $APPLOGS 2>/dev/null | grep -c '^authcgi: ')
check_eq "server: no diagnostics in the app's error log" "${n:-0}" 0
# shellcheck disable=SC2086
[ "${n:-0}" -gt 0 ] && cat $APPLOGS | grep '^authcgi: ' |
	sort | uniq -c | sort -rn | head -n 5
check "server: lighttpd still running" kill -0 "$SERVER_PID"
server_stop
if [ -n "$B_PID" ]; then
	check "server: the second lighttpd still running" kill -0 "$B_PID"
	SERVER_PID=$B_PID
	server_stop
	B_PID=""
fi
if [ "$TEST_DB" == postgres ]; then
	check_eq "database: no session or token without its account" \
		"$(sql "SELECT (SELECT count(*) FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)) + (SELECT count(*) FROM reset_tokens r WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id))")" 0
else
	check_eq "database: integrity_check after the load" \
		"$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok
fi

# ---------------------------------------------------------- (d), (e)
echo "(d) login rehash vs password reset (CGI run directly)"
mkdir -p "$tmp/direct"
py_checks race-rehash "$CGI" "$tmp/direct"
echo "(e) slow login vs password reset, same hash settings (CGI run directly)"
py_checks race-session "$CGI" "$tmp/direct"

echo "figures: distinct registrations ${LOAD_S:-?} s, ${RPS:-?} req/s;" \
	"race ${NRACE:-?} requests; total $(($(date +%s) - T0)) s"
summary
