#!/bin/bash
# run.sh: integration tests: a real web server serving cgi-bin/auth.cgi on
# a free loopback port with a temporary state dir; every endpoint and
# status code of /work/shared/API.md through curl, a second instance
# started by scripts/serve.sh side by side, then the end-to-end client
# tests/e2e/main.py (one check). All of it runs four times, each with its
# own server and state dir: lighttpd + CGI (conf/lighttpd.conf), lighttpd +
# FastCGI (conf/lighttpd-fastcgi.conf), Apache + CGI and Apache + FastCGI
# (conf/apache.conf, mod_cgid / mod_fcgid). Check names start with the
# combination, e.g. "[apache-fastcgi] log in: status".
# Usage: tests/integration/run.sh [KIND-MODE...]   (after make)
#   e.g. tests/integration/run.sh lighttpd-cgi apache-fastcgi; default all
#   four (INTEGRATION_SERVERS may list them too).
# Last line: "N passed, N failed"; exit 1 on failure. VERBOSE=1 prints
# passes too.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"
# shellcheck disable=SC1091
. "$here/../lib/server.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-integration.XXXXXX")
# Apache's children run as www-data when we are root: let them reach the
# state dirs below (search only, no listing).
chmod 711 "$tmp"
SERVE_PID=""
cleanup() {
	server_stop
	if [ -n "$SERVE_PID" ]; then
		kill "$SERVE_PID" 2>/dev/null
		wait "$SERVE_PID" 2>/dev/null
	fi
	rm -rf "$tmp"
}
# Per combination: its label, the state dir, the file with the app's stderr.
L=""
STATE=""
trap cleanup EXIT
trap 'exit 1' INT TERM

UUID4_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
PW=b4l0u
NEWPW=t4rt1fl3tt3
CASE=""

# req METHOD PATH [CURL_ARGS...]: one request, not following redirects;
# the response goes to R_STATUS, R_HEADERS, R_BODY_FILE.
req() {
	local method=$1 path=$2
	shift 2
	local args=(-s -S --max-time 10 -D "$tmp/h" -o "$tmp/b")
	if [ "$method" == HEAD ]; then args+=(-I); else args+=(-X "$method"); fi
	: >"$tmp/h"
	: >"$tmp/b"
	local rc=0
	curl "${args[@]}" "$@" "$SERVER_URL$path" 2>"$tmp/curl.err" || rc=$?
	if [ $rc -ne 0 ]; then
		fail "$CASE: curl $method $path" "$(cat "$tmp/curl.err")"
	fi
	# curl -I writes the headers to -D and to -o: keep them once.
	[ "$method" == HEAD ] && : >"$tmp/b"
	cat "$tmp/h" "$tmp/b" >"$tmp/out"
	resp_parse "$tmp/out"
}

check_common() {
	check_header "$CASE: Content-Type" Content-Type application/json
	check_header "$CASE: Cache-Control" Cache-Control no-store
}
expect() {
	check_status "$CASE: status" "$1"
	check_common
	if [ $# -ge 2 ]; then
		check_message "$CASE: message" "$2"
	elif [ "${1:0:1}" -ge 4 ]; then
		check_has_message "$CASE: message"
	fi
}
expect_json() {
	check_status "$CASE: status" "$1"
	check_common
	check_body_exact "$CASE: body" "$2"
}
sid() {
	header_all Set-Cookie | sed -n 's/^session_id=\([^;]*\).*/\1/p' | head -n 1
}
session_cookie() {
	header_all Set-Cookie | grep '^session_id=' | head -n 1
}
allow_set() {
	header_get Allow | tr ',' '\n' | tr -d ' ' | grep -v '^$' | sort | paste -sd, -
}
form() { req "$1" "$2" --data-raw "$3" "${@:4}"; }

# app_procs: how many auth.cgi processes serve this combination's state
# dir (FastCGI: long-lived, spawned with AUTHCGI_DB in their environment).
app_procs() {
	local p n=0
	for p in $(pgrep -x auth.cgi); do
		{ tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null |
			grep -qx "AUTHCGI_DB=$STATE/auth.db" && n=$((n + 1))
	done
	echo "$n"
}

# one KIND MODE: the whole suite against one server and state dir.
one() {
KIND=$1
MODE=$2
L=$KIND-$MODE
PIDFILE=lighttpd.pid
[ "$KIND" == apache ] && PIDFILE=apache.pid
mkdir -p "$tmp/$L"

# ------------------------------------------------------------------ start

CASE="[$L] server start"
if ! SERVER_KIND=$KIND SERVER_MODE=$MODE server_start "$tmp/$L/state"; then
	fail "$CASE" "$L did not start"
	return 1
fi
ok "$CASE"
STATE=$tmp/$L/state

CASE="[$L] GET /"
req GET /
expect_json 200 '{"message": "Bienvenue"}'
CASE="[$L] GET / with a query string"
req GET '/?x=1'
expect_json 200 '{"message": "Bienvenue"}'
CASE="[$L] HEAD /"
req HEAD /
check_status "$CASE: status" 200
check_header "$CASE: Content-Type" Content-Type application/json
check_body_empty "$CASE: no body"
CASE="[$L] 404"
req GET /nope
expect 404 "not found"
CASE="[$L] 404 HEAD"
req HEAD /nope
check_status "$CASE: status" 404
check_body_empty "$CASE: no body"
while read -r path method want; do
	CASE="[$L] 405 $method $path"
	# lighttpd answers 411 itself to a POST or PUT without Content-Length
	# (curl -X POST with no data sends none): send an empty body (to
	# every server, for the same request everywhere).
	case $method in POST | PUT) req "$method" "$path" --data-raw "" ;;
	*) req "$method" "$path" ;; esac
	expect 405 "method not allowed"
	check_eq "$CASE: Allow" "$(allow_set)" "$want"
done <<'EOF'
/ POST GET,HEAD
/users GET POST
/sessions PUT DELETE,GET,HEAD,POST
/profile POST GET,HEAD
/reset_password GET POST,PUT
/reset_password/ DELETE POST,PUT
EOF

# ------------------------------------------------------------------ users

CASE="[$L] register"
form POST /users "email=bob%40example.com&password=$PW"
expect_json 200 '{"email": "bob@example.com", "message": "user created"}'
CASE="[$L] register: chunked request body"
# Under Apache's mod_cgid the body arrives de-chunked, without
# CONTENT_LENGTH and with HTTP_TRANSFER_ENCODING=chunked: the app reads it
# to its end. The other servers buffer it and set CONTENT_LENGTH.
form POST /users "email=chunk%40example.com&password=$PW" -H 'Transfer-Encoding: chunked'
expect_json 200 '{"email": "chunk@example.com", "message": "user created"}'
CASE="[$L] register: JSON body"
form POST /users "{\"email\": \"json@example.com\", \"password\": \"$PW\"}" -H 'Content-Type: application/json'
expect_json 200 '{"email": "json@example.com", "message": "user created"}'
CASE="[$L] register: multipart body (curl -F)"
req POST /users -F email=multi@example.com -F "password=$PW"
expect_json 200 '{"email": "multi@example.com", "message": "user created"}'
CASE="[$L] register: trailing slash"
form POST /users/ "email=slash%40example.com&password=$PW"
expect_json 200 '{"email": "slash@example.com", "message": "user created"}'
CASE="[$L] register: duplicate"
form POST /users "email=bob%40example.com&password=$PW"
expect 400 "email already registered"
CASE="[$L] register: duplicate in another case"
form POST /users "email=BOB%40Example.com&password=$PW"
expect 400 "email already registered"
CASE="[$L] register: missing email"
form POST /users "password=$PW"
expect 400 "email is required"
CASE="[$L] register: empty password"
form POST /users "email=x%40example.com&password="
expect 400 "password is required"
CASE="[$L] register: invalid email"
form POST /users "email=nobody&password=$PW"
expect 400 "invalid email"
CASE="[$L] register: short password"
form POST /users "email=x%40example.com&password=abcd"
expect 400 "password must be at least 5 characters"
CASE="[$L] register: malformed percent-encoding"
form POST /users "email=x%zz%40example.com&password=$PW"
expect 400
CASE="[$L] register: invalid UTF-8"
form POST /users "email=x%ff%40example.com&password=$PW"
expect 400
CASE="[$L] register: NUL"
form POST /users "email=x%00%40example.com&password=$PW"
expect 400
CASE="[$L] register: 415"
form POST /users "email=x%40example.com&password=$PW" -H 'Content-Type: text/plain'
expect 415 "unsupported content type"
CASE="[$L] register: 413 (body over 64 KiB)"
head -c 70000 /dev/zero | tr '\0' a >"$tmp/big"
# The app stores none of it, but reads it to its end (up to 1 MiB):
# Apache's mod_cgid drops the answer of a CGI that exits before taking
# the body ("Broken pipe"), and curl then gets nothing at all.
req POST /users --data-binary "@$tmp/big" -H 'Content-Type: application/x-www-form-urlencoded'
expect 413 "request body too large"
CASE="[$L] CR/LF in the URL is not echoed"
req GET '/x%0d%0aX-Injected:%201'
check_match "$CASE: 4xx" "$R_STATUS" '^4[0-9][0-9]$'
check_header_absent "$CASE: no injected header" X-Injected

# --------------------------------------------------------------- sessions

CASE="[$L] log in: wrong password"
form POST /sessions "email=bob%40example.com&password=wrong-pass"
expect 401 "wrong email or password"
check_eq "$CASE: no session cookie" "$(header_all Set-Cookie | grep -c session_id)" 0
CASE="[$L] log in: unknown email"
form POST /sessions "email=nobody%40example.com&password=$PW"
expect 401 "wrong email or password"
CASE="[$L] log in"
form POST /sessions "email=BOB%40example.com&password=$PW"
expect_json 200 '{"email": "bob@example.com", "message": "logged in"}'
SID=$(sid)
check_match "$CASE: session_id is a UUIDv4" "$SID" "$UUID4_RE"
check_match "$CASE: cookie attributes" "$(session_cookie)" '; *HttpOnly'
check_match "$CASE: SameSite=Lax" "$(session_cookie)" '; *SameSite=Lax'
check_match "$CASE: Path=/ (SCRIPT_NAME is empty at the root)" "$(session_cookie)" '; *Path=/(;|$)'
form POST /sessions "email=bob%40example.com&password=$PW"
SID2=$(sid)
CASE="[$L] profile"
req GET /profile -b "session_id=$SID"
expect_json 200 '{"email": "bob@example.com"}'
CASE="[$L] profile: trailing slash"
req GET /profile/ -b "session_id=$SID"
expect_json 200 '{"email": "bob@example.com"}'
CASE="[$L] profile: HEAD"
req HEAD /profile -b "session_id=$SID"
check_status "$CASE: status" 200
check_body_empty "$CASE: no body"
CASE="[$L] profile: no cookie"
req GET /profile
expect 403 "not logged in"
CASE="[$L] profile: unknown session"
req GET /profile -b "session_id=$(cat /proc/sys/kernel/random/uuid)"
expect 403 "not logged in"
CASE="[$L] log out"
req DELETE /sessions -b "session_id=$SID"
check_status "$CASE: status" 302
check_header "$CASE: Location" Location /
check_common
check_match "$CASE: cookie cleared" "$(session_cookie)" '^session_id=;.*Max-Age=0'
CASE="[$L] log out: session ended"
req GET /profile -b "session_id=$SID"
expect 403 "not logged in"
CASE="[$L] log out: other session alive"
req GET /profile -b "session_id=$SID2"
expect_json 200 '{"email": "bob@example.com"}'
CASE="[$L] log out: no cookie"
req DELETE /sessions
expect 403 "not logged in"
CASE="[$L] log out: the redirect target"
form POST /sessions "email=bob%40example.com&password=$PW"
req DELETE /sessions -b "session_id=$(sid)"
req GET "$(header_get Location)"
expect_json 200 '{"message": "Bienvenue"}'

# ----------------------------------------------------------------- reset

CASE="[$L] reset token: unknown email"
form POST /reset_password "email=nobody%40example.com"
expect 403 "email not registered"
CASE="[$L] reset token: missing email"
form POST /reset_password "x=1"
expect 400 "email is required"
CASE="[$L] reset token"
form POST /reset_password "email=bob%40example.com"
check_status "$CASE: status" 200
check_common
TOKEN=$(body_get reset_token)
check_match "$CASE: token is a UUIDv4" "$TOKEN" "$UUID4_RE"
check_body_exact "$CASE: body" "{\"email\": \"bob@example.com\", \"reset_token\": \"$TOKEN\"}"
CASE="[$L] update password: invalid token"
form PUT /reset_password "email=bob%40example.com&reset_token=$(cat /proc/sys/kernel/random/uuid)&new_password=$NEWPW"
expect 403 "invalid reset token"
CASE="[$L] update password: invalid token and a short password"
form PUT /reset_password "email=bob%40example.com&reset_token=$(cat /proc/sys/kernel/random/uuid)&new_password=abc"
expect 403 "invalid reset token"
CASE="[$L] update password: missing new_password"
form PUT /reset_password "email=bob%40example.com&reset_token=$TOKEN"
expect 400 "new_password is required"
CASE="[$L] update password"
form PUT /reset_password "email=bob%40example.com&reset_token=$TOKEN&new_password=$NEWPW"
expect_json 200 '{"email": "bob@example.com", "message": "Password updated"}'
CASE="[$L] update password: sessions outlive it (default profile)"
req GET /profile -b "session_id=$SID2"
expect_json 200 '{"email": "bob@example.com"}'
CASE="[$L] update password: token used"
form PUT /reset_password "email=bob%40example.com&reset_token=$TOKEN&new_password=$PW"
expect 403 "invalid reset token"
CASE="[$L] update password: new password logs in"
form POST /sessions "email=bob%40example.com&password=$NEWPW"
expect_json 200 '{"email": "bob@example.com", "message": "logged in"}'

# ------------------------------------------------------------ concurrency

# Every attempt is counted before the hash (README, Security), right
# password or not, and a success gives back its own place: more
# simultaneous logins of one account than AUTHCGI_LOCK_ACCOUNT (5), or
# than its room left by failures in the window, may get 429. So 5, for an
# account without failures.
CASE="[$L] 5 concurrent logins"
form POST /users "email=conc%40example.com&password=$NEWPW"
check_status "$CASE: register" 200
rm -f "$tmp"/conc.*
pids=()
for i in $(seq 1 5); do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 \
		--data-raw "email=conc%40example.com&password=$NEWPW" \
		"$SERVER_URL/sessions" >"$tmp/conc.$i" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
check_eq "$CASE: all 200" "$(cat "$tmp"/conc.* | sort | uniq -c | tr -s ' ')" " 5 200"

# ------------------------------------------------- serve.sh side by side

CASE="[$L] scripts/serve.sh: a second instance"
PORT2=$(free_port)
MODE=$MODE SERVER=$KIND "$root/scripts/serve.sh" "$PORT2" "$tmp/$L/state2" >"$tmp/serve.out" 2>&1 &
SERVE_PID=$!
up=""
for i in $(seq 1 50); do
	kill -0 "$SERVE_PID" 2>/dev/null || break
	if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT2/"; then
		up=1
		break
	fi
	sleep 0.2
done
if [ -n "$up" ]; then ok "$CASE: answers"; else
	fail "$CASE: answers" "$(tail -n 5 "$tmp/serve.out")"
fi
check_match "$CASE: prints the URL" "$(cat "$tmp/serve.out")" "http://127\\.0\\.0\\.1:$PORT2/"
check "$CASE: database created by init" test -s "$tmp/$L/state2/auth.db"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	--data-raw "email=bob%40example.com&password=$PW" "http://127.0.0.1:$PORT2/users")
check_eq "$CASE: its own database (bob is new there)" "$code" 200
req GET /
check_status "$CASE: the first instance still answers" 200
kill "$SERVE_PID" 2>/dev/null
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=""
check "$CASE: stopped" test ! -e "$tmp/$L/state2/$PIDFILE"

# -------------------------------------------------------------------- e2e

CASE="[$L] e2e: tests/e2e/main.py"
if /usr/bin/python3 "$root/tests/e2e/main.py" "$SERVER_URL" >"$tmp/e2e.out" 2>&1; then
	ok "$CASE"
	[ -n "${VERBOSE:-}" ] && cat "$tmp/e2e.out"
else
	fail "$CASE" "$(grep -v '^ok' "$tmp/e2e.out" | tail -n 5)"
fi
CASE="[$L] e2e: tests/e2e/reset_then_logout.py"
if /usr/bin/python3 "$root/tests/e2e/reset_then_logout.py" "$SERVER_URL" >"$tmp/e2e.out" 2>&1; then
	ok "$CASE"
else
	fail "$CASE" "$(grep -v '^ok' "$tmp/e2e.out" | tail -n 5)"
fi
if [ "$MODE" == fastcgi ]; then
	CASE="[$L] fastcgi"
	# Everything above was answered by a few long-lived processes, still
	# alive here: lighttpd starts its max-procs (two per core) at once;
	# Apache's mod_fcgid starts them on demand, at most
	# FcgidMaxProcessesPerClass (2).
	n=$(app_procs)
	if [ "$KIND" == lighttpd ]; then
		check_eq "$CASE: two app processes per core" "$n" "$((2 * $(nproc)))"
	else
		check "$CASE: 1 or 2 app processes alive (got $n)" \
			test "$n" -ge 1 -a "$n" -le 2
	fi
fi

# ------------------------------------------------------------------- logs

CASE="[$L] logs"
check "$CASE: no sanitizer report in the app's stderr" \
	test -z "$(grep -E 'Sanitizer|runtime error:' "$SERVER_APP_LOG" 2>/dev/null)"
check "$CASE: the audit log reached the server's log" \
	grep -q '"event":"login"' "$SERVER_APP_LOG"
server_stop
check "$CASE: $KIND stopped (pid file gone)" test ! -e "$STATE/$PIDFILE"
if [ "$MODE" == fastcgi ]; then
	for i in $(seq 1 50); do
		[ "$(app_procs)" -eq 0 ] && break
		sleep 0.1
	done
	check_eq "$CASE: the FastCGI processes ended with the server" "$(app_procs)" 0
fi

return 0
}

# ------------------------------------------------------------------- main

combos=("$@")
[ ${#combos[@]} -eq 0 ] && read -r -a combos <<<"${INTEGRATION_SERVERS:-lighttpd-cgi lighttpd-fastcgi apache-cgi apache-fastcgi}"
for c in "${combos[@]}"; do
	case $c in
	lighttpd-cgi | lighttpd-fastcgi | apache-cgi | apache-fastcgi) ;;
	*)
		fail "[$c] known combination" "want lighttpd-cgi, lighttpd-fastcgi, apache-cgi or apache-fastcgi"
		continue
		;;
	esac
	if [ "${c%-*}" == apache ] && [ ! -x /usr/sbin/apache2 ]; then
		fail "[$c] apache2 installed" "apt-get install apache2 libapache2-mod-fcgid"
		continue
	fi
	before_p=$PASSED
	before_f=$FAILED
	one "${c%-*}" "${c#*-}"
	server_stop
	echo "$c: $((PASSED - before_p)) passed, $((FAILED - before_f)) failed"
done

# The hardened profile: a reset ends the sessions the known client keeps.
CASE="[lighttpd-cgi hardened] e2e: tests/e2e/reset_then_logout.py --hardened"
mkdir -p "$tmp/hard"
: >"$tmp/hard/mail.txt"
if AUTHCGI_PROFILE=hardened AUTHCGI_RESET_COMMAND="cat >> $tmp/hard/mail.txt" \
	SERVER_KIND=lighttpd SERVER_MODE=cgi server_start "$tmp/hard"; then
	if /usr/bin/python3 "$root/tests/e2e/reset_then_logout.py" "$SERVER_URL" \
		--hardened "$tmp/hard/mail.txt" >"$tmp/e2e.out" 2>&1; then
		ok "$CASE"
	else
		fail "$CASE" "$(grep -v '^ok' "$tmp/e2e.out" | tail -n 5)"
	fi
	server_stop
else
	fail "$CASE: server start" ""
fi

summary
