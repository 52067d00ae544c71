#!/bin/bash
# hosts.sh: two web hosts, one PostgreSQL database: host A (lighttpd,
# FastCGI) and host B (lighttpd, CGI), each with its own port and state
# dir, serving one database of a throwaway cluster (tests/lib/pg.sh), with
# the same secret key file. What one host does, the other sees: a session
# made on B is A's, a logout on A ends it on B, a lockout caused through
# A holds on B, eight simultaneous wrong passwords split between them lock
# the account at the sixth, a reset token asked on B works once on A and
# never again on either. Then the hosts' start and upgrade: six hosts
# creating the schema at once make it once, a schema newer than the build
# is refused (503, said in the log) and the health probe says so.
# Usage: tests/pg/hosts.sh [AUTH_CGI]   (default cgi-bin/auth.cgi; it must
# have libpq). Last line "N passed, N failed"; exit 1 on failure.
# shellcheck disable=SC2154 # tmp, CGI, DB: set by hosts_suite
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"
# shellcheck disable=SC1091
. "$here/../lib/hosts.sh"

hosts_suite hosts "${1:-$root/cgi-bin/auth.cgi}"
PW=b4l0u
NEWPW=t4rt1fl3tt3
export AUTHCGI_DB=$DB AUTHCGI_SECRET_KEY_FILE=$tmp/auth.key
sql() { pg_sql hosts "$1"; }

# A dynamic executable loads libpq itself, when it opens PostgreSQL: no
# process pays for its twenty libraries otherwise.
if readelf -l "$CGI" | grep -q 'program interpreter'; then
	check "libpq is not among the executable's libraries" \
		test -z "$(readelf -d "$CGI" | grep 'NEEDED.*libpq')"
fi
check "init: the schema is made" "$CGI" init
if ! host_start A fastcgi "$tmp/a" || ! host_start B cgi "$tmp/b"; then
	fail "hosts start" "lighttpd did not start"
	summary
	exit 1
fi
ok "hosts start: A (FastCGI) on ${HOST_URL[A]}, B (CGI) on ${HOST_URL[B]}"
form() { hreq "$1" "$2" "$3" --data-raw "$4" "${@:5}"; }

# ------------------------------------------------------------- sessions

form A POST /users "email=Ann%40Example.com&password=$PW"
check_status "register on A" 200
form B POST /users "email=ann%40example.com&password=$PW"
check_status "the same email, another case, on B: taken" 400
check_message "the same email on B: the contract's message" "email already registered"
form B POST /sessions "email=ann%40example.com&password=$PW"
check_status "log in on B" 200
check_body_exact "log in on B: the email as registered on A" \
	'{"email": "Ann@Example.com", "message": "logged in"}'
SID=$(host_sid)
hreq A GET /profile -b "session_id=$SID"
check_status "profile on A with B's cookie" 200
check_body_exact "profile on A: the account" '{"email": "Ann@Example.com"}'
hreq B GET /profile -b "session_id=$SID"
check_status "profile on B" 200
hreq A DELETE /sessions -b "session_id=$SID"
check_status "log out on A" 302
hreq B GET /profile -b "session_id=$SID"
check_status "logged out on B too" 403
hreq A GET /profile -b "session_id=$SID"
check_status "and on A" 403

# ----------------------------------------------------------- reset tokens

form B POST /reset_password "email=ann%40example.com"
check_status "reset token asked on B" 200
TOKEN=$(body_get reset_token)
form A PUT /reset_password "email=ann%40example.com&reset_token=$TOKEN&new_password=$NEWPW"
check_status "the token works on A" 200
form A PUT /reset_password "email=ann%40example.com&reset_token=$TOKEN&new_password=$PW"
check_status "and never again on A" 403
form B PUT /reset_password "email=ann%40example.com&reset_token=$TOKEN&new_password=$PW"
check_status "nor on B" 403
form B POST /sessions "email=ann%40example.com&password=$NEWPW"
check_status "the new password logs in on B" 200

# --------------------------------------------------------------- lockouts

# A lockout caused through A holds on B: five wrong passwords on A (the
# limit, AUTHCGI_LOCK_ACCOUNT=5), the sixth is refused and locks.
form A POST /users "email=bob%40example.com&password=$PW"
for i in 1 2 3 4 5; do
	form A POST /sessions "email=bob%40example.com&password=wrong-$i"
	check_status "bob: wrong password $i on A" 401
done
form A POST /sessions "email=bob%40example.com&password=wrong-6"
check_status "bob: the sixth on A is refused" 429
form B POST /sessions "email=bob%40example.com&password=$PW"
check_status "bob: locked on B too, right password or not" 429
check_match "bob: Retry-After on B" "$(header_get Retry-After)" '^[1-9][0-9]*$'

# Eight simultaneous wrong passwords, four to each host: each takes its
# place in the count before any hashing, under the database's write lock,
# so five are checked (401) and three refused (429), wherever they land.
form A POST /users "email=cat%40example.com&password=$PW"
rm -f "$tmp"/eight.*
pids=()
for i in 1 2 3 4 5 6 7 8; do
	h=A
	[ $((i % 2)) -eq 0 ] && h=B
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 \
		--data-raw "email=cat%40example.com&password=wrong-$i" \
		"${HOST_URL[$h]}/sessions" >"$tmp/eight.$i" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
check_eq "cat: 8 simultaneous wrong passwords on A and B: 5 x 401, 3 x 429" \
	"$(cat "$tmp"/eight.* | sort | uniq -c | tr -s ' ' | paste -sd ' ' -)" \
	" 5 401  3 429"
form A POST /sessions "email=cat%40example.com&password=$PW"
check_status "cat: locked on A" 429
form B POST /sessions "email=cat%40example.com&password=$PW"
check_status "cat: locked on B" 429
check_eq "bob and cat: the database holds 5 failures of each locked account" \
	"$(sql "SELECT string_agg(n::text, ' ') FROM (SELECT count(*) AS n FROM throttle_events JOIN throttle_locks USING (key) WHERE key LIKE 'login:account:%' GROUP BY key) x")" "5 5"

# -------------------------------------------------------------- the health

hreq A GET /health
check_status "health on A" 200
check_body_exact "health on A: no account data" '{"status": "ok"}'
hreq B GET /health
check_status "health on B" 200

# A host whose build is older than the schema (another host upgraded it)
# refuses, and says why.
sql "INSERT INTO authcgi_schema (version) VALUES (99)" >/dev/null
hreq B GET /profile -b "session_id=$SID"
check_status "schema newer than the build: B (CGI, a new connection) answers 503" 503
check_header "schema newer: JSON" Content-Type application/json
check "schema newer: B's log says so" \
	grep -q "schema version 99 is newer than this build's" "${HOST_LOG[B]}"
hreq A GET /health
check_status "schema newer: A's health probe answers 503" 503
check "schema newer: A's log says so" \
	grep -q "schema version 99 is newer than this build's" "${HOST_LOG[A]}"
sql "DELETE FROM authcgi_schema WHERE version = 99" >/dev/null
hreq A GET /health
check_status "schema back: A healthy again" 200
hreq B GET /health
check_status "schema back: B healthy again" 200

# -------------------------------------------------- starting all together

# Six hosts creating the schema of an empty database at once: it is made
# once, and each of them finds it ready.
FRESH=$(pg_db fresh)
rm -f "$tmp"/init.*
pids=()
for i in 1 2 3 4 5 6; do
	AUTHCGI_DB=$FRESH "$CGI" init >"$tmp/init.$i" 2>&1 &
	pids+=($!)
done
n=0
for p in "${pids[@]}"; do wait "$p" && n=$((n + 1)); done
check_eq "six simultaneous inits of an empty database all succeed" "$n" 6
check_eq "the schema was made once (a row per version, 3 to 6)" \
	"$(pg_sql fresh "SELECT string_agg(version::text, ' ' ORDER BY version) FROM authcgi_schema")" "3 4 5 6"
check_eq "its tables" "$(pg_sql fresh "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" 12

# ------------------------------------------------------------------ logs

check "A's FastCGI processes served it all" test -n "$(host_procs A)"
check_eq "no sanitizer report" \
	"$(cat "${HOST_LOG[A]}" "${HOST_LOG[B]}" | grep -c -E 'Sanitizer|runtime error:')" 0
host_stop_all
summary
