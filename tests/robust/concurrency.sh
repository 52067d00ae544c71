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
cleanup() {
	server_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
T0=$(date +%s)

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
if ! server_start "$tmp/state"; then
	fail "server start" "lighttpd did not start"
	summary
	exit 1
fi
ok "server start"
DB=$tmp/state/auth.db
echo "lighttpd pid $SERVER_PID at $SERVER_URL"

# ---------------------------------------------------------- (a)
echo "(a) 32 simultaneous registrations of one email"
py_checks same-email "$SERVER_URL" same@example.com 32
n=$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE email = 'same@example.com'")
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
py_checks distinct "$SERVER_URL" "$LOAD_N" 32 load
n=$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE email LIKE 'load-%'")
check_eq "distinct: $LOAD_N rows in the database" "$n" "$LOAD_N"
RPS=$(sed -n 's/^FIGURE distinct_rps //p' "$tmp/py.out")
LOAD_S=$(sed -n 's/^FIGURE distinct_seconds //p' "$tmp/py.out")

# ---------------------------------------------------------- (c)
echo "(c) one account, 16 workers, ${RACE_SECONDS} s or $RACE_MAX requests"
py_checks race "$SERVER_URL" "$DB" "$RACE_SECONDS" "$RACE_MAX" 16
NRACE=$(sed -n 's/^FIGURE race_requests //p' "$tmp/py.out")

# Nothing the server logged says a request failed.
APPLOG=${SERVER_APP_LOG:-$tmp/state/cgi-stderr.log}
n=$(grep -c '^authcgi: ' "$APPLOG" 2>/dev/null)
check_eq "server: no diagnostics in the app's error log" "${n:-0}" 0
[ "${n:-0}" -gt 0 ] && grep '^authcgi: ' "$APPLOG" |
	sort | uniq -c | sort -rn | head -n 5
check "server: lighttpd still running" kill -0 "$SERVER_PID"
server_stop
check_eq "database: integrity_check after the load" \
	"$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok

# ---------------------------------------------------------- (d), (e)
echo "(d) login rehash vs password reset (CGI run directly)"
mkdir -p "$tmp/direct"
py_checks race-rehash "$CGI" "$tmp/direct"
echo "(e) slow login vs password reset, same hash settings (CGI run directly)"
py_checks race-session "$CGI" "$tmp/direct"

echo "figures: distinct registrations ${LOAD_S:-?} s, ${RPS:-?} req/s;" \
	"race ${NRACE:-?} requests; total $(($(date +%s) - T0)) s"
summary
