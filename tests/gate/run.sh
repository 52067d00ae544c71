#!/bin/bash
# run.sh: the gate through real web servers, each started from its shipped
# configuration on a free loopback port with its own state dir and site:
#
#   lighttpd  conf/lighttpd-gate.conf: the FastCGI authorizer in front of
#             static files and of a CGI that prints its environment
#   apache    conf/apache-gate.conf: mod_authnz_fcgi, auth.cgi under
#             spawn-fcgi, the same site
#   nginx     conf/nginx-gate.conf: auth_request to GET /auth (auth.cgi
#             under spawn-fcgi), static files and an application
#             (tests/gate/echo.py, which echoes its request headers)
#   caddy     conf/Caddyfile: forward_auth to GET /auth, the same
#
# Each server gets the same cases: an anonymous script (401 JSON) and
# browser (to the log-in page, with next), a log-in through the form like a
# browser (back at the protected file), the account reaching what is
# behind (and a client's own Remote-User replaced), sessions that end
# (logged out, expired, ended by end-sessions, by a reset) denied at once,
# a group rule (and paths that try to get around it), a rule that cannot
# be read (503), the second factor's rule "mfa" (a location /mfa/ that
# admits only sessions that began with the second factor), and the
# open-redirect table: hostile next values posted with the log-in form,
# each landing on the profile. Then trust
# (lighttpd reached from 127.0.0.1 and 127.0.0.2, and the CGI with forged
# REMOTE_ADDR): X-Forwarded-* believed from AUTHCGI_TRUSTED_PROXIES only,
# seen in the audit log and the lockout. Last, a setting of the gate that
# cannot be read keeps lighttpd from serving at all.
#
# Each server runs its shipped configuration with one location added,
# /mfa/ (files for sessions that began with the second factor: the rule
# "mfa"), written next to the state dir by derive_conf from the shipped
# file, which is otherwise unchanged. One-time codes come from oathtool.
#
# Usage: tests/gate/run.sh [lighttpd|apache|nginx|caddy|trust|closed ...]
#   (after make; default: all). Last line "N passed, N failed"; exit 1 on
#   failure. VERBOSE=1 prints passes too. Every process is stopped by its
#   PID, also on Ctrl-C.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$root/tests/lib/assert.sh"
# free_port
# shellcheck disable=SC1091
. "$root/tests/lib/server.sh"

APACHE=${APACHE:-/usr/sbin/apache2}
LIGHTTPD=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
CADDY=${CADDY:-$(command -v caddy || echo /usr/bin/caddy)}
SPAWN_FCGI=${SPAWN_FCGI:-$(command -v spawn-fcgi || echo /usr/bin/spawn-fcgi)}
WWW_USER=${SERVE_USER:-www-data}
WWW_GROUP=${SERVE_GROUP:-$(id -gn "$WWW_USER" 2>/dev/null || echo "$WWW_USER")}
PW=b4l0u-gate
BROWSER_ACCEPT='text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-gate.XXXXXX")
# Apache's children and the CGIs run as www-data: they must reach the
# state dirs and sites below (search only, no listing).
chmod 711 "$tmp"
# And the executable: a copy here, for a clone that www-data cannot
# reach (one in /root, mode 700).
proj=$tmp/project
mkdir -p "$proj/cgi-bin"
cp "$root/cgi-bin/auth.cgi" "$proj/cgi-bin/auth.cgi"
chmod 755 "$proj" "$proj/cgi-bin" "$proj/cgi-bin/auth.cgi"
cgi=$proj/cgi-bin/auth.cgi
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# stop_pid PID: SIGTERM, wait (at most 10 s), then SIGKILL.
stop_pid() {
	local i
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
# stop_all: every process started for the current server.
stop_all() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	PIDS=()
}

# ------------------------------------------------------------- requests

# http URL [CURL_ARGS...]: one request, redirects not followed; the answer
# goes to R_STATUS, R_HEADERS, R_BODY_FILE (tests/lib/assert.sh).
http() {
	local url=$1 rc=0
	shift
	: >"$tmp/h"
	: >"$tmp/b"
	curl -s -S --max-time 10 -D "$tmp/h" -o "$tmp/b" "$@" "$url" \
		2>"$tmp/curl.err" || rc=$?
	[ $rc -eq 0 ] || fail "$CASE: curl $url" "$(cat "$tmp/curl.err")"
	cat "$tmp/h" "$tmp/b" >"$tmp/out"
	resp_parse "$tmp/out"
}
body() { cat "$R_BODY_FILE"; }
# absolute URL: a Location made absolute against BASE.
absolute() {
	case $1 in
	/*) echo "$BASE$1" ;;
	*) echo "$1" ;;
	esac
}
# query_param URL NAME: NAME's value in URL's query, decoded.
query_param() {
	"$PY" -c 'import sys, urllib.parse as u
q = u.parse_qs(u.urlsplit(sys.argv[1]).query, keep_blank_values=True)
print(q.get(sys.argv[2], [""])[0])' "$1" "$2"
}
# cookie_of JAR NAME: the value of cookie NAME in a curl cookie jar.
cookie_of() { awk -v n="$2" '$6 == n { v = $7 } END { print v }' "$1" 2>/dev/null; }

# register EMAIL: an account with password PW (JSON client).
register() {
	http "$BASE/auth/users" --data-urlencode "email=$1" --data-urlencode "password=$PW"
	check_status "$CASE: register $1" 200
}
# login EMAIL: a script's log-in; prints the session id.
login() {
	curl -s --max-time 10 -D - -o /dev/null --data-urlencode "email=$1" \
		--data-urlencode "password=$PW" "$BASE/auth/sessions" |
		sed -n 's/^[Ss]et-[Cc]ookie: session_id=\([^;]*\).*/\1/p' | head -n 1
}
# browser_login JAR EMAIL NEXT: what a browser does on the log-in page:
# GET it (for its form token cookie), then POST the form back as browsers
# do (Origin: null: our pages send no referrer) with the token and next.
# The POST's answer is in R_*.
browser_login() {
	local jar=$1 email=$2 next=$3 tok
	http "$BASE/auth/login" -G --data-urlencode "next=$next" -b "$jar" -c "$jar" \
		-H "Accept: $BROWSER_ACCEPT"
	tok=$(cookie_of "$jar" form_token)
	http "$BASE/auth/sessions" -b "$jar" -c "$jar" -H "Accept: $BROWSER_ACCEPT" \
		-H 'Origin: null' --data-urlencode "_form_token=$tok" \
		--data-urlencode "email=$email" --data-urlencode "password=$PW" \
		--data-urlencode "next=$next"
}
# status_of URL [CURL_ARGS...]: only the status.
status_of() {
	local url=$1
	shift
	curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$@" "$url"
}
# audit_lines: how many lines the audit log has.
audit_lines() { wc -l <"$STATE/audit.log" 2>/dev/null || echo 0; }
# audit_last EVENT: the last audit record of EVENT, as "account client".
audit_last() {
	"$PY" - "$STATE/audit.log" "$1" <<'EOF'
import json, sys
last = ""
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("event") == sys.argv[2]:
        last = "%s %s" % (r.get("account"), r.get("client"))
print(last)
EOF
}
# echoed NAME: the values of request header NAME that the application
# behind nginx or Caddy (echo.py) got, one per line (none: nothing).
echoed() {
	"$PY" - "$R_BODY_FILE" "$1" <<'EOF'
import json, sys
try:
    b = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(0)
for k, v in b.get("headers", []):
    if k.lower() == sys.argv[2].lower():
        print(v)
EOF
}
# env_of NAME: NAME's value in the environment the CGI printed.
env_of() { sed -n "s/^$1=//p" "$R_BODY_FILE" | head -n 1; }

# as_owner CMD...: run CMD as the owner of the state dir (www-data under
# Apache, whose CGIs write the database), with the database's settings.
as_owner() {
	if [ "$KIND" == apache ] && [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$WWW_USER" --regid="$WWW_GROUP" --clear-groups -- \
			env AUTHCGI_DB="$STATE/auth.db" AUTHCGI_AUDIT_LOG="$STATE/audit.log" "$@"
	else
		env AUTHCGI_DB="$STATE/auth.db" AUTHCGI_AUDIT_LOG="$STATE/audit.log" "$@"
	fi
}
admin() { as_owner "$cgi" "$@" >/dev/null 2>>"$STATE/admin.stderr"; }

# ------------------------------------------------------ second factor

# totp SECRET [OFFSET]: the one-time code of SECRET (base32) now, or
# OFFSET seconds from now, from oathtool (never from authcgi).
totp() {
	oathtool --totp -b -N "@$(($(date +%s) + ${2:-0}))" "$1"
}
# step_margin: not within 2 s of the end of a 30 s time step (waits at
# most 2 s), so that a code computed now is typed in the same step.
step_margin() {
	local into=$(($(date +%s) % 30))
	if [ "$into" -ge 28 ]; then sleep $((31 - into)); fi
}
# session_of: the session id that the last answer (R_*) set.
session_of() {
	header_all Set-Cookie | sed -n 's/^session_id=\([^;]*\).*/\1/p' | head -n 1
}

# ---------------------------------------------------------------- setup

# make_site DIR: the site every server serves.
make_site() {
	local d=$1
	mkdir -p "$d/private" "$d/admin" "$d/mfa" "$d/cgi-bin"
	echo "public page" >"$d/index.html"
	echo "second factor only" >"$d/mfa/index.html"
	echo "private index" >"$d/private/index.html"
	echo "private file" >"$d/private/a.txt"
	echo "admins only" >"$d/admin/index.html"
	# A CGI that prints its environment, then its body (read first, as a
	# CGI must: Apache's mod_cgid streams it).
	cat >"$d/cgi-bin/env.cgi" <<'EOF'
#!/bin/sh
body=$(head -c "${CONTENT_LENGTH:-0}")
printf 'Content-Type: text/plain\r\n\r\n'
env
printf 'BODY=%s\n' "$body"
EOF
	chmod 755 "$d/cgi-bin/env.cgi"
	chmod -R go+rX "$d"
}

# wait_up URL PID NAME: until URL answers 200 (at most 10 s).
wait_up() {
	local i
	for i in $(seq 1 50); do
		if [ "$(status_of "$1")" == 200 ]; then return 0; fi
		kill -0 "$2" 2>/dev/null || break
		sleep 0.2
	done
	echo "$3 did not start; its logs:" >&2
	tail -n 20 "$STATE"/*.log "$STATE"/*.out 2>/dev/null >&2
	return 1
}

# spawn_authcgi ADDRESS_PORT USER VAR=VALUE...: auth.cgi as a FastCGI
# server on 127.0.0.1:PORT under spawn-fcgi (-n: spawn-fcgi becomes
# auth.cgi, whose PID is kept), with the given settings.
spawn_authcgi() {
	local port=$1 user=$2
	shift 2
	local as=()
	[ "$user" != root ] && as=(-u "$WWW_USER" -g "$WWW_GROUP")
	env "$@" "$SPAWN_FCGI" -n -a 127.0.0.1 -p "$port" "${as[@]}" -- "$cgi" \
		</dev/null >>"$STATE/authcgi.out" 2>&1 &
	PIDS+=($!)
}
# spawn_echo PORT: the application behind nginx and Caddy.
spawn_echo() {
	"$PY" "$here/echo.py" "$1" </dev/null >>"$STATE/echo.out" 2>&1 &
	PIDS+=($!)
}

# derive_conf KIND SHIPPED OUT: OUT is the shipped configuration SHIPPED
# of server KIND with one more protected location, /mfa/, a copy of its
# /admin/ location that requires "mfa" instead of "group:admins" (and, for
# the authorizers, /mfa/ among the paths that go through the gate).
# Fails when the shipped file no longer has what it copies.
derive_conf() {
	"$PY" - "$@" <<'EOF'
import sys
kind, src, dst = sys.argv[1:4]
t = open(src).read()
start = {
    "lighttpd": '$HTTP["url"] =~ "^/admin/" {',
    "apache": '<Location "/admin/">',
    "nginx": "location /admin/ {",
    "caddy": "handle /admin/* {",
}[kind]
s = t.index(start)
line = t.rfind("\n", 0, s) + 1
indent = t[line:s]
close = indent + ("</Location>\n" if kind == "apache" else "}\n")
e = t.index("\n" + close, s) + 1 + len(close)
block = t[line:e]
copy = block.replace("/admin/", "/mfa/").replace("group:admins", "mfa")
if copy == block or "group:admins" not in block:
    sys.exit("derive_conf: no group:admins in the /admin/ location of " + src)
t = t[:e] + "\n" + copy + t[e:]
if kind in ("lighttpd", "apache"):
    old = "^/(private|admin|cgi-bin)/"
    if t.count(old) != 1:
        sys.exit("derive_conf: no single %s in %s" % (old, src))
    t = t.replace(old, "^/(private|admin|mfa|cgi-bin)/")
open(dst, "w").write(t)
EOF
}

# start KIND: the server KIND from its shipped configuration, with a new
# state dir and site; sets BASE, STATE, SITE, PORT.
start() {
	KIND=$1
	local dir=$tmp/$KIND pid gate_port echo_port
	STATE=$dir/state
	SITE=$dir/site
	mkdir -p "$STATE"
	chmod 711 "$dir"
	make_site "$SITE"
	PORT=$(free_port) || return 1
	BASE=http://127.0.0.1:$PORT
	AUTHCGI_DB=$STATE/auth.db "$cgi" init >/dev/null 2>>"$STATE/init.stderr" || return 1
	: >"$STATE/audit.log"
	# Settings of every server: the audit log in a file (small), a reset
	# ends the account's sessions.
	local common=(AUTHCGI_AUDIT_LOG="$STATE/audit.log" AUTHCGI_RESET_ENDS_SESSIONS=1)
	case $KIND in
	lighttpd)
		derive_conf lighttpd "$root/conf/lighttpd-gate.conf" "$dir/lighttpd-gate.conf" \
			2>>"$STATE/init.stderr" || return 1
		env SERVE_PORT="$PORT" SERVE_STATE_DIR="$STATE" SERVE_PROJECT_DIR="$proj" \
			SERVE_SITE_DIR="$SITE" AUTHCGI_PUBLIC_URL="$BASE/auth" "${common[@]}" \
			"$LIGHTTPD" -D -f "$dir/lighttpd-gate.conf" \
			</dev/null >"$STATE/lighttpd.out" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		;;
	apache)
		gate_port=$(free_port) || return 1
		derive_conf apache "$root/conf/apache-gate.conf" "$dir/apache-gate.conf" \
			2>>"$STATE/init.stderr" || return 1
		if [ "$(id -u)" -eq 0 ]; then
			chown -R "$WWW_USER:$WWW_GROUP" "$STATE"
		fi
		# The pages (mod_cgid) get the common settings by name.
		{
			echo "# The AUTHCGI_* settings of the pages, for the tests."
			for s in "${common[@]}"; do echo "PassEnv ${s%%=*}"; done
		} >"$STATE/apache-env.conf"
		spawn_authcgi "$gate_port" www AUTHCGI_DB="$STATE/auth.db" \
			AUTHCGI_PUBLIC_URL="$BASE/auth" "${common[@]}"
		env SERVE_PORT="$PORT" SERVE_STATE_DIR="$STATE" SERVE_PROJECT_DIR="$proj" \
			SERVE_SITE_DIR="$SITE" SERVE_GATE_ADDRESS="127.0.0.1:$gate_port" \
			SERVE_USER="$WWW_USER" SERVE_GROUP="$WWW_GROUP" "${common[@]}" \
			"$APACHE" -d "$STATE" -f "$dir/apache-gate.conf" -DFOREGROUND \
			</dev/null >"$STATE/apache.out" 2>&1 &
		pid=$!
		PIDS+=("$pid")
		;;
	nginx | caddy)
		gate_port=$(free_port) || return 1
		echo_port=$(free_port) || return 1
		spawn_authcgi "$gate_port" root AUTHCGI_DB="$STATE/auth.db" \
			AUTHCGI_COOKIE_PATH=/ AUTHCGI_TRUSTED_PROXIES=127.0.0.1 "${common[@]}"
		spawn_echo "$echo_port"
		export SERVE_PORT=$PORT SERVE_STATE_DIR=$STATE SERVE_SITE_DIR=$SITE \
			SERVE_GATE_ADDRESS=127.0.0.1:$gate_port \
			SERVE_BACKEND_ADDRESS=127.0.0.1:$echo_port
		if [ "$KIND" == nginx ]; then
			# The shipped file with its placeholders filled in, as
			# its head says (the names, not their values: quoted).
			# shellcheck disable=SC2016
			envsubst '$SERVE_PORT $SERVE_STATE_DIR $SERVE_SITE_DIR $SERVE_GATE_ADDRESS $SERVE_BACKEND_ADDRESS' \
				<"$root/conf/nginx-gate.conf" >"$dir/nginx-shipped.conf"
			derive_conf nginx "$dir/nginx-shipped.conf" "$STATE/nginx.conf" \
				2>>"$STATE/init.stderr" || return 1
			"$NGINX" -p "$STATE" -c "$STATE/nginx.conf" -g 'daemon off;' \
				</dev/null >"$STATE/nginx.out" 2>&1 &
		else
			derive_conf caddy "$root/conf/Caddyfile" "$dir/Caddyfile" \
				2>>"$STATE/init.stderr" || return 1
			HOME=$dir XDG_CONFIG_HOME=$dir/config XDG_DATA_HOME=$dir/data \
				"$CADDY" run --adapter caddyfile --config "$dir/Caddyfile" \
				</dev/null >"$STATE/caddy.out" 2>&1 &
		fi
		pid=$!
		PIDS+=("$pid")
		unset SERVE_PORT SERVE_STATE_DIR SERVE_SITE_DIR SERVE_GATE_ADDRESS \
			SERVE_BACKEND_ADDRESS
		;;
	esac
	wait_up "$BASE/" "$pid" "$KIND"
}

# ------------------------------------------------------ hostile next

# The open-redirect table: values of next that must never be followed
# (each posted with the log-in form, decoded as a browser sends it), one
# per line, written as they are but for PORT (the server's), OTHER
# (another port), and <TAB>, <CR>, <LF> and <RLO> (U+202E, right-to-left
# override), made real below.
HOSTILE_NEXT='//evil.example
https://evil.example/
/\evil.example
\\evil.example
javascript:alert(1)
JaVaScRiPt:alert(document.cookie)
data:text/html,<script>alert(1)</script>
 //evil.example
 https://evil.example/
/<TAB>/evil.example
/<CR><LF>Location: http://evil.example/
%2F%2Fevil.example
///evil.example
https:evil.example
http://127.0.0.1:PORT@evil.example/
http://127.0.0.1:PORT.evil.example/
http://127.0.0.1:OTHER/
https://127.0.0.1:PORT/private/a.txt
//127.0.0.1:PORT/private/a.txt
ftp://127.0.0.1:PORT/
http://evil.example\@127.0.0.1:PORT/
HTTP://EVIL.EXAMPLE/
<RLO>//evil.example
http://127.0.0.1:PORT<TAB>.evil.example/'

open_redirects() {
	local jar=$tmp/$KIND/jar-next line next n=0 other
	other=$((PORT == 65535 ? PORT - 1 : PORT + 1))
	rm -f "$jar"
	while IFS= read -r line; do
		next=${line//PORT/$PORT}
		next=${next//OTHER/$other}
		next=${next//<TAB>/$'\t'}
		next=${next//<CR>/$'\r'}
		next=${next//<LF>/$'\n'}
		next=${next//<RLO>/$'\xe2\x80\xae'}
		n=$((n + 1))
		CASE="[$KIND] next #$n $(printf '%q' "$next")"
		browser_login "$jar" ann@example.org "$next"
		check_status "$CASE: status" 303
		check_header "$CASE: lands on the profile" Location /auth/profile
	done <<<"$HOSTILE_NEXT"
	CASE="[$KIND] next: the table"
	check "$CASE has at least 15 values" test "$n" -ge 15
	# What may be followed is followed: a path here, a URL of this origin.
	CASE="[$KIND] next: a path here"
	browser_login "$jar" ann@example.org /private/a.txt
	check_header "$CASE" Location /private/a.txt
	CASE="[$KIND] next: a URL of this origin"
	browser_login "$jar" ann@example.org "$BASE/private/a.txt?b=1"
	check_header "$CASE" Location "$BASE/private/a.txt?b=1"
}

# ---------------------------------------------------------------- cases

# one KIND: every case against one server.
one() {
	local kind=$1 behind jar loc next sid n
	CASE="[$kind] start"
	if ! start "$kind"; then
		fail "$CASE" "$kind did not start"
		stop_all
		return 1
	fi
	ok "$CASE"
	# What is behind the gate, besides the static files: a CGI that
	# prints its environment, or the application that echoes its
	# headers.
	case $kind in
	lighttpd | apache) behind=/cgi-bin/env.cgi ;;
	*) behind=/app/echo ;;
	esac

	CASE="[$kind] public file"
	http "$BASE/index.html"
	check_status "$CASE" 200

	# -------------------------------------------------- anonymous
	n=$(audit_lines)
	CASE="[$kind] anonymous script"
	http "$BASE/private/a.txt"
	check_status "$CASE: status" 401
	check_header "$CASE: Content-Type" Content-Type application/json
	check_message "$CASE: message" "not logged in"
	check_header_absent "$CASE: no Location" Location
	CASE="[$kind] anonymous script, behind"
	http "$BASE$behind"
	check_status "$CASE: status" 401
	check_message "$CASE: message" "not logged in"
	CASE="[$kind] anonymous browser"
	http "$BASE/private/a.txt?x=1" -H "Accept: $BROWSER_ACCEPT"
	check_status "$CASE: status" 302
	loc=$(header_get Location)
	check_match "$CASE: to the log-in page" "$(absolute "$loc")" "^$BASE/auth/login\?next="
	next=$(query_param "$loc" next)
	check_match "$CASE: next is where it was going" "$next" "^($BASE)?/private/a\.txt\?x=1$"
	CASE="[$kind] anonymous hits are not audited"
	check_eq "$CASE" "$(audit_lines)" "$n"

	# ---------------------------------------- log in like a browser
	CASE="[$kind] accounts"
	register ann@example.org
	register bob@example.org
	jar=$tmp/$kind/jar
	CASE="[$kind] log-in page"
	http "$(absolute "$loc")" -b "$jar" -c "$jar" -H "Accept: $BROWSER_ACCEPT"
	check_status "$CASE: status" 200
	check_header_match "$CASE: a page" Content-Type '^text/html'
	check "$CASE: carries next" grep -qF "name=\"next\" value=\"${next//&/\&amp;}\"" "$R_BODY_FILE"
	check "$CASE: form token cookie" test -n "$(cookie_of "$jar" form_token)"
	CASE="[$kind] log in through the form"
	http "$BASE/auth/sessions" -b "$jar" -c "$jar" -H "Accept: $BROWSER_ACCEPT" \
		-H 'Origin: null' --data-urlencode "_form_token=$(cookie_of "$jar" form_token)" \
		--data-urlencode email=ann@example.org --data-urlencode "password=$PW" \
		--data-urlencode "next=$next"
	check_status "$CASE: status" 303
	check_header "$CASE: back where it was going" Location "$next"
	check_header_match "$CASE: a session cookie for every path" Set-Cookie '^session_id=[^;]+; Path=/;'
	CASE="[$kind] back at the protected file"
	http "$(absolute "$next")" -b "$jar"
	check_status "$CASE: status" 200
	check_eq "$CASE: content" "$(body)" "private file"
	CASE="[$kind] a directory's index"
	http "$BASE/private/" -b "$jar"
	check_status "$CASE: status" 200
	check_eq "$CASE: content" "$(body)" "private index"

	# ------------------------------------ the account, behind the gate
	CASE="[$kind] behind the gate"
	http "$BASE$behind" -b "$jar" -H 'Remote-User: mallory@example.org' \
		-H 'Remote-Email: mallory@example.org' -H 'Remote-Groups: admins' \
		-H 'X-Remote-User: mallory@example.org'
	check_status "$CASE: status" 200
	case $kind in
	lighttpd | apache)
		check_eq "$CASE: REMOTE_USER" "$(env_of REMOTE_USER)" ann@example.org
		check_eq "$CASE: AUTHCGI_USER" "$(env_of AUTHCGI_USER)" ann@example.org
		check "$CASE: AUTHCGI_GROUPS (none)" grep -qx 'AUTHCGI_GROUPS=' "$R_BODY_FILE"
		check_eq "$CASE: the client's header stays a header" \
			"$(env_of HTTP_REMOTE_USER)" mallory@example.org
		;;
	*)
		check_eq "$CASE: Remote-User" "$(echoed Remote-User)" ann@example.org
		check_eq "$CASE: Remote-Email" "$(echoed Remote-Email)" ann@example.org
		check_eq "$CASE: Remote-Groups (none; the client's replaced)" \
			"$(echoed Remote-Groups | grep -c admins)" 0
		;;
	esac
	CASE="[$kind] a POST goes through the gate with its body"
	http "$BASE$behind" -b "$jar" --data-urlencode 'field=value'
	check_status "$CASE: status" 200
	case $kind in
	lighttpd | apache)
		check_eq "$CASE: method" "$(env_of REQUEST_METHOD)" POST
		check_eq "$CASE: body" "$(env_of BODY)" field=value
		;;
	*)
		check_body_json "$CASE: method" method POST
		check_body_json "$CASE: body" body field=value
		;;
	esac

	# --------------------------------------------------- group rule
	CASE="[$kind] group rule"
	sid=$(login bob@example.org)
	check "$CASE: bob logs in" test -n "$sid"
	http "$BASE/admin/" -b "$jar"
	check_status "$CASE: ann, not in admins" 403
	n=$(audit_lines)
	http "$BASE/admin/" -H "Cookie: session_id=$sid"
	check_status "$CASE: bob, not in admins" 403
	check_eq "$CASE: refusal audited" "$(audit_lines)" $((n + 1))
	admin group add ann@example.org admins
	http "$BASE/admin/" -b "$jar"
	check_status "$CASE: ann, in admins" 200
	check_eq "$CASE: ann, content" "$(body)" "admins only"
	http "$BASE/admin/" -H "Cookie: session_id=$sid"
	check_status "$CASE: bob still refused" 403
	case $kind in
	lighttpd | apache)
		http "$BASE$behind" -b "$jar"
		check_eq "$CASE: AUTHCGI_GROUPS" "$(env_of AUTHCGI_GROUPS)" admins
		;;
	*)
		http "$BASE$behind" -b "$jar"
		check_eq "$CASE: Remote-Groups" "$(echoed Remote-Groups)" admins
		;;
	esac
	# The same place by other spellings: never open to bob.
	for p in /%61dmin/ /admin/index.html //admin/ /./admin/ /private/../admin/ \
		/admin/./index.html /admin//index.html /%2e/admin/; do
		CASE="[$kind] group rule, $p"
		n=$(status_of "$BASE$p" --path-as-is -H "Cookie: session_id=$sid")
		check "$CASE: bob never gets it ($n)" test "$n" != 200
	done

	# ------------------------------- a rule that cannot be read: 503
	CASE="[$kind] unreadable rule"
	http "$BASE/auth/auth?require=grop:admins" -b "$jar"
	check_status "$CASE" 503

	# ---------------------------- the second factor's rule: /mfa/
	# ann has no second factor; fa sets one up (as a script: POST /totp
	# with the password, PUT /totp with a code) in one session while
	# another, from before, stays live; then logs in with a code.
	local before setup secret code
	CASE="[$kind] mfa rule, sessions before the factor"
	register fa@example.org
	before=$(login fa@example.org)
	setup=$(login fa@example.org)
	check "$CASE: two sessions" test -n "$before" -a -n "$setup" -a "$before" != "$setup"

	CASE="[$kind] mfa rule, no factor"
	http "$BASE/private/a.txt" -b "$jar"
	check_status "$CASE: ann, a plain location" 200
	http "$BASE/mfa/" -b "$jar"
	check_status "$CASE: ann, /mfa/: status" 403
	check_header "$CASE: ann, /mfa/: Content-Type" Content-Type application/json
	check_message "$CASE: ann, /mfa/: message" "not allowed"
	check_match "$CASE: ann, /mfa/: audited" \
		"$(audit_last gate_refused_second_factor)" '^[0-9]+ 127\.0\.0\.1$'
	http "$BASE/mfa/" -b "$jar" -H "Accept: $BROWSER_ACCEPT"
	check_status "$CASE: ann's browser, /mfa/: status" 403
	case $kind in
	nginx)
		# auth_request passes on the status only: the configuration's JSON.
		check_message "$CASE: ann's browser, /mfa/: message" "not allowed"
		;;
	*)
		check_header_match "$CASE: ann's browser, /mfa/: the forbidden page" \
			Content-Type '^text/html'
		;;
	esac
	check "$CASE: ann's browser, /mfa/: not the file" \
		sh -c "! grep -q 'second factor only' '$R_BODY_FILE'"
	http "$BASE/mfa/" -H "Cookie: session_id=$before"
	check_status "$CASE: fa, /mfa/" 403

	CASE="[$kind] mfa rule, set up"
	http "$BASE/auth/totp" -H "Cookie: session_id=$setup" --data-urlencode "password=$PW"
	check_status "$CASE: POST /totp" 200
	secret=$(body_get secret)
	check_match "$CASE: a base32 secret" "$secret" '^[A-Z2-7]{16,}=*$'
	step_margin
	code=$(totp "$secret")
	http "$BASE/auth/totp" -X PUT -H "Cookie: session_id=$setup" --data-urlencode "code=$code"
	check_status "$CASE: PUT /totp" 200
	check_eq "$CASE: 10 recovery codes" "$("$PY" -c 'import json, sys
print(len(json.load(open(sys.argv[1])).get("recovery_codes", [])))' "$R_BODY_FILE")" 10

	CASE="[$kind] mfa rule, the session that turned it on"
	http "$BASE/mfa/" -H "Cookie: session_id=$setup"
	check_status "$CASE: status" 200
	check_eq "$CASE: content" "$(body)" "second factor only"
	CASE="[$kind] mfa rule, a session from before the factor"
	http "$BASE/mfa/" -H "Cookie: session_id=$before"
	check_status "$CASE: /mfa/" 403
	check_message "$CASE: /mfa/: message" "not allowed"
	check_eq "$CASE: still live, a plain location" \
		"$(status_of "$BASE/private/a.txt" -H "Cookie: session_id=$before")" 200

	CASE="[$kind] mfa rule, log in"
	http "$BASE/auth/sessions" --data-urlencode email=fa@example.org \
		--data-urlencode "password=$PW"
	check_status "$CASE: no code: status" 401
	check_message "$CASE: no code: message" "one-time code required"
	check_eq "$CASE: no code: no session" "$(session_of)" ""
	# A code works once per time step, and the confirmation spent this
	# step's: the next step's code, inside the skew (one step).
	code=$(totp "$secret" 30)
	http "$BASE/auth/sessions" --data-urlencode email=fa@example.org \
		--data-urlencode "password=$PW" --data-urlencode "code=$code"
	check_status "$CASE: with a code: status" 200
	sid=$(session_of)
	check "$CASE: with a code: a session" test -n "$sid"
	CASE="[$kind] mfa rule, logged in with a code"
	http "$BASE/mfa/" -H "Cookie: session_id=$sid"
	check_status "$CASE: /mfa/: status" 200
	check_eq "$CASE: /mfa/: content" "$(body)" "second factor only"
	http "$BASE/mfa/index.html" -H "Cookie: session_id=$sid"
	check_status "$CASE: /mfa/index.html" 200
	http "$BASE/private/a.txt" -H "Cookie: session_id=$sid"
	check_status "$CASE: a plain location" 200
	check_eq "$CASE: the one from before still refused" \
		"$(status_of "$BASE/mfa/" -H "Cookie: session_id=$before")" 403

	# The rule through GET /auth: "mfa" alone, and with a group (each
	# term separated by a space or a comma).
	CASE="[$kind] mfa rule, GET /auth"
	check_eq "$CASE: mfa, no session" "$(status_of "$BASE/auth/auth?require=mfa")" 401
	check_eq "$CASE: mfa, logged in with a code" \
		"$(status_of "$BASE/auth/auth?require=mfa" -H "Cookie: session_id=$sid")" 200
	check_eq "$CASE: mfa, a session from before" \
		"$(status_of "$BASE/auth/auth?require=mfa" -H "Cookie: session_id=$before")" 403
	check_eq "$CASE: group:admins mfa, fa not in admins" \
		"$(status_of "$BASE/auth/auth?require=group:admins%20mfa" -H "Cookie: session_id=$sid")" 403
	admin group add fa@example.org admins
	check_eq "$CASE: group:admins mfa, fa in admins, with a code" \
		"$(status_of "$BASE/auth/auth?require=group:admins%20mfa" -H "Cookie: session_id=$sid")" 200
	check_eq "$CASE: mfa,group:admins, fa in admins, with a code" \
		"$(status_of "$BASE/auth/auth?require=mfa,group:admins" -H "Cookie: session_id=$sid")" 200
	check_eq "$CASE: group:admins mfa, fa in admins, from before" \
		"$(status_of "$BASE/auth/auth?require=group:admins%20mfa" -H "Cookie: session_id=$before")" 403
	check_eq "$CASE: group:admins, fa in admins, from before" \
		"$(status_of "$BASE/auth/auth?require=group:admins" -H "Cookie: session_id=$before")" 200
	check_eq "$CASE: group:admins mfa, ann in admins, no factor" \
		"$(status_of "$BASE/auth/auth?require=group:admins%20mfa" -b "$jar")" 403
	check_eq "$CASE: group:admins, ann in admins" \
		"$(status_of "$BASE/auth/auth?require=group:admins" -b "$jar")" 200
	check_eq "$CASE: mfa is not a group: mfa:x unreadable" \
		"$(status_of "$BASE/auth/auth?require=mfa:x" -H "Cookie: session_id=$sid")" 503

	# ---------------------------------------------- sessions that end
	# Each: a session that is let in, ended, then refused at once.
	CASE="[$kind] logged out"
	check_eq "$CASE: let in first" "$(status_of "$BASE/private/a.txt" -b "$jar")" 200
	sid=$(cookie_of "$jar" session_id)
	http "$BASE/auth/sessions" -b "$jar" -c "$jar" -H "Accept: $BROWSER_ACCEPT" \
		-H 'Origin: null' --data-urlencode "_form_token=$(cookie_of "$jar" form_token)" \
		--data-urlencode _method=DELETE
	check_status "$CASE: log-out form" 303
	check_eq "$CASE: refused" "$(status_of "$BASE/private/a.txt" -H "Cookie: session_id=$sid")" 401
	check_eq "$CASE: refused, behind" "$(status_of "$BASE$behind" -H "Cookie: session_id=$sid")" 401

	CASE="[$kind] expired"
	register exp@example.org
	sid=$(login exp@example.org)
	check_eq "$CASE: let in first" "$(status_of "$BASE/private/a.txt" -H "Cookie: session_id=$sid")" 200
	# Logged in 13 hours ago: past AUTHCGI_SESSION_MAX (12 hours).
	as_owner sqlite3 "$STATE/auth.db" "UPDATE sessions SET created_at = created_at - 46800 WHERE user_id = (SELECT id FROM users WHERE email = 'exp@example.org')"
	check_eq "$CASE: refused" "$(status_of "$BASE/private/a.txt" -H "Cookie: session_id=$sid")" 401
	check_match "$CASE: audited" "$(audit_last session_expired)" '^[0-9]+ 127\.0\.0\.1$'

	CASE="[$kind] end-sessions"
	register end@example.org
	sid=$(login end@example.org)
	check_eq "$CASE: let in first" "$(status_of "$BASE/private/a.txt" -H "Cookie: session_id=$sid")" 200
	admin end-sessions end@example.org
	check_eq "$CASE: refused" "$(status_of "$BASE/private/a.txt" -H "Cookie: session_id=$sid")" 401

	CASE="[$kind] reset"
	register reset@example.org
	sid=$(login reset@example.org)
	check_eq "$CASE: let in first" "$(status_of "$BASE/private/a.txt" -H "Cookie: session_id=$sid")" 200
	http "$BASE/auth/reset_password" --data-urlencode email=reset@example.org
	check_status "$CASE: token" 200
	local token
	token=$(body_get reset_token)
	http "$BASE/auth/reset_password" -X PUT --data-urlencode email=reset@example.org \
		--data-urlencode "reset_token=$token" --data-urlencode "new_password=$PW-new"
	check_status "$CASE: new password" 200
	check_eq "$CASE: refused" "$(status_of "$BASE/private/a.txt" -H "Cookie: session_id=$sid")" 401

	# --------------------------------------------- open redirects
	open_redirects

	# ---------------------- a proxy's client: its own address, not its words
	if [ "$kind" == nginx ] || [ "$kind" == caddy ]; then
		CASE="[$kind] from 127.0.0.2, X-Forwarded-For forged"
		http "$BASE/auth/sessions" --interface 127.0.0.2 \
			-H 'X-Forwarded-For: 203.0.113.66' \
			--data-urlencode email=ann@example.org --data-urlencode password=wrong-one
		check_status "$CASE: wrong password" 401
		check_match "$CASE: audited with the real address" \
			"$(audit_last login_failure)" ' 127\.0\.0\.2$'
		sid=$(login bob@example.org)
		http "$BASE/admin/" --interface 127.0.0.2 -H 'X-Forwarded-For: 203.0.113.66' \
			-H "Cookie: session_id=$sid"
		check_status "$CASE: bob refused" 403
		check_match "$CASE: the gate's refusal audited with the real address" \
			"$(audit_last gate_refused)" ' 127\.0\.0\.2$'
	fi

	CASE="[$kind] nothing failed in the app"
	check "$CASE" test ! -s "$STATE/admin.stderr"
	stop_all
}

# ---------------------------------------------------------------- trust

# trust: lighttpd with AUTHCGI_TRUSTED_PROXIES=127.0.0.2 (a reverse proxy
# would connect from there), reached from 127.0.0.1 (a client) and from
# 127.0.0.2 (the proxy, which says who its clients are); the lockout
# counts 3 failures per address.
trust() {
	KIND=trust
	local dir=$tmp/trust pid
	STATE=$dir/state
	SITE=$dir/site
	mkdir -p "$STATE"
	chmod 711 "$dir"
	make_site "$SITE"
	CASE="[trust] start"
	PORT=$(free_port) || return 1
	BASE=http://127.0.0.1:$PORT
	AUTHCGI_DB=$STATE/auth.db "$cgi" init >/dev/null 2>&1
	: >"$STATE/audit.log"
	env SERVE_PORT="$PORT" SERVE_STATE_DIR="$STATE" SERVE_PROJECT_DIR="$proj" \
		SERVE_SITE_DIR="$SITE" AUTHCGI_PUBLIC_URL="$BASE/auth" \
		AUTHCGI_AUDIT_LOG="$STATE/audit.log" AUTHCGI_TRUSTED_PROXIES=127.0.0.2 \
		AUTHCGI_LOCK_ADDRESS=3 AUTHCGI_LOCK_ACCOUNT=0 \
		"$LIGHTTPD" -D -f "$root/conf/lighttpd-gate.conf" \
		</dev/null >"$STATE/lighttpd.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	if ! wait_up "$BASE/" "$pid" lighttpd; then
		fail "$CASE" "lighttpd did not start"
		stop_all
		return 1
	fi
	ok "$CASE"
	CASE="[trust] 127.0.0.2 reaches the server"
	check_eq "$CASE" "$(status_of "$BASE/" --interface 127.0.0.2)" 200
	register tom@example.org
	local wrong=(--data-urlencode email=tom@example.org --data-urlencode password=wrong-one)
	local right=(--data-urlencode email=tom@example.org --data-urlencode "password=$PW")

	CASE="[trust] from an untrusted address"
	http "$BASE/auth/sessions" -H 'X-Forwarded-For: 198.51.100.1' "${wrong[@]}"
	check_status "$CASE: wrong password" 401
	check_match "$CASE: X-Forwarded-For ignored" "$(audit_last login_failure)" ' 127\.0\.0\.1$'

	CASE="[trust] from the trusted proxy"
	for i in 1 2 3; do
		http "$BASE/auth/sessions" --interface 127.0.0.2 \
			-H 'X-Forwarded-For: 198.51.100.2' "${wrong[@]}"
		check_status "$CASE: wrong password $i" 401
	done
	check_match "$CASE: the client it names is audited" \
		"$(audit_last login_failure)" ' 198\.51\.100\.2$'
	http "$BASE/auth/sessions" --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.2' "${right[@]}"
	check_status "$CASE: that client is locked out" 429
	check_match "$CASE: lockout audited for it" "$(audit_last lockout_address)" ' 198\.51\.100\.2$'
	http "$BASE/auth/sessions" --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.3' "${right[@]}"
	check_status "$CASE: another client behind it is not" 200
	http "$BASE/auth/sessions" --interface 127.0.0.2 "${right[@]}"
	check_status "$CASE: nor the proxy itself" 200
	http "$BASE/auth/sessions" "${right[@]}"
	check_status "$CASE: nor a client next to it" 200
	CASE="[trust] a forged X-Forwarded-For"
	# The locked-out client wrote an address of its choice; the proxy
	# appended the one it saw. The rightmost untrusted one counts.
	http "$BASE/auth/sessions" --interface 127.0.0.2 \
		-H 'X-Forwarded-For: 198.51.100.9, 198.51.100.2' "${right[@]}"
	check_status "$CASE: still locked out" 429
	check_match "$CASE: audited as itself" "$(audit_last login_refused_locked)" ' 198\.51\.100\.2$'
	http "$BASE/auth/sessions" -H 'X-Forwarded-For: 198.51.100.2' "${right[@]}"
	check_status "$CASE: from an untrusted address, it names no one" 200

	# The original URL (where a browser comes back after log-in).
	local fwd=(-H "Accept: $BROWSER_ACCEPT" -H 'X-Forwarded-Proto: http'
		-H "X-Forwarded-Host: 127.0.0.1:$PORT" -H 'X-Forwarded-Uri: /private/a.txt')
	CASE="[trust] X-Forwarded-Uri"
	http "$BASE/auth/auth" "${fwd[@]}"
	check_status "$CASE: untrusted: status" 302
	check_header "$CASE: untrusted: no next" Location "$BASE/auth/login"
	http "$BASE/auth/auth" --interface 127.0.0.2 "${fwd[@]}"
	check_status "$CASE: trusted: status" 302
	check_header "$CASE: trusted: next" Location \
		"$BASE/auth/login?next=http%3A//127.0.0.1%3A$PORT/private/a.txt"
	CASE="[trust] X-Original-URL"
	http "$BASE/auth/auth" -H "Accept: $BROWSER_ACCEPT" \
		-H "X-Original-URL: http://127.0.0.1:$PORT/private/a.txt"
	check_status "$CASE: untrusted: a plain redirect" 302
	check_header "$CASE: untrusted: no next" Location "$BASE/auth/login"
	http "$BASE/auth/auth" --interface 127.0.0.2 -H "Accept: $BROWSER_ACCEPT" \
		-H "X-Original-URL: http://127.0.0.1:$PORT/private/a.txt"
	check_status "$CASE: trusted: 401 for nginx's error page" 401
	check_header "$CASE: trusted: next" Location \
		"$BASE/auth/login?next=http%3A//127.0.0.1%3A$PORT/private/a.txt"
	stop_all

	# The same rules for the executable alone, with forged CGI variables.
	CASE="[trust] CGI"
	local cgienv=(GATEWAY_INTERFACE=CGI/1.1 SCRIPT_NAME=/auth PATH_INFO=/sessions
		REQUEST_METHOD=POST CONTENT_TYPE=application/x-www-form-urlencoded
		HTTP_HOST=127.0.0.1 AUTHCGI_DB="$STATE/auth.db" AUTHCGI_AUDIT_LOG="$STATE/audit.log"
		AUTHCGI_TRUSTED_PROXIES=10.0.0.0/8 AUTHCGI_LOCK_ACCOUNT=0)
	local b="email=tom%40example.org&password=nope-nope"
	printf %s "$b" | env "${cgienv[@]}" CONTENT_LENGTH=${#b} REMOTE_ADDR=192.0.2.7 \
		HTTP_X_FORWARDED_FOR=203.0.113.5 "$cgi" >"$tmp/out" 2>/dev/null
	resp_parse "$tmp/out"
	check_status "$CASE: untrusted REMOTE_ADDR: status" 401
	check_match "$CASE: untrusted REMOTE_ADDR: the address counts" \
		"$(audit_last login_failure)" ' 192\.0\.2\.7$'
	printf %s "$b" | env "${cgienv[@]}" CONTENT_LENGTH=${#b} REMOTE_ADDR=10.1.2.3 \
		HTTP_X_FORWARDED_FOR='203.0.113.9, 203.0.113.5, 10.4.4.4' "$cgi" >"$tmp/out" 2>/dev/null
	resp_parse "$tmp/out"
	check_status "$CASE: trusted REMOTE_ADDR: status" 401
	check_match "$CASE: trusted REMOTE_ADDR: the rightmost untrusted address counts" \
		"$(audit_last login_failure)" ' 203\.0\.113\.5$'
}

# --------------------------------------------------------- fails closed

# closed: a setting of the gate that cannot be read stops the gate:
# auth.cgi will not start, and lighttpd, which starts it, either gives up
# at once or keeps trying and answers 503 meanwhile (which of the two
# depends on how soon a child's exit is seen); never the protected file.
# The cause is logged.
closed() {
	KIND=closed
	local dir=$tmp/closed pid i up=0 rc=0 code
	STATE=$dir/state
	SITE=$dir/site
	mkdir -p "$STATE"
	make_site "$SITE"
	PORT=$(free_port) || return 1
	AUTHCGI_DB=$STATE/auth.db "$cgi" init >/dev/null 2>&1
	CASE="[closed] an unreadable AUTHCGI_GATE_REQUIRE"
	env SERVE_PORT="$PORT" SERVE_STATE_DIR="$STATE" SERVE_PROJECT_DIR="$proj" \
		SERVE_SITE_DIR="$SITE" AUTHCGI_PUBLIC_URL="http://127.0.0.1:$PORT/auth" \
		AUTHCGI_GATE_REQUIRE=grop:admins \
		"$LIGHTTPD" -D -f "$root/conf/lighttpd-gate.conf" \
		</dev/null >"$STATE/lighttpd.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		if [ "$(status_of "http://127.0.0.1:$PORT/")" == 200 ]; then
			up=1
			break
		fi
		sleep 0.2
	done
	if [ $up -eq 1 ]; then
		code=""
		for i in 1 2 3; do
			code+="$(status_of "http://127.0.0.1:$PORT/private/a.txt") "
		done
		check_match "$CASE: the protected file is refused" "$code" '^(5[0-9][0-9] ){3}$'
	else
		wait "$pid"
		rc=$?
		check "$CASE: lighttpd gives up (exit $rc)" test "$rc" -ne 0
	fi
	check "$CASE: the cause is logged" \
		grep -q 'setting AUTHCGI_GATE_REQUIRE cannot be read' "$STATE/cgi-stderr.log"
	stop_all
}

# ---------------------------------------------------------------- main

for t in curl "$PY" "$LIGHTTPD" "$APACHE" "$NGINX" "$CADDY" "$SPAWN_FCGI" envsubst sqlite3 setpriv oathtool; do
	if ! command -v "$t" >/dev/null; then
		echo "$0: $t not found (apt-get install lighttpd apache2-bin nginx-light caddy spawn-fcgi gettext-base sqlite3 curl oathtool)" >&2
		exit 1
	fi
done
if [ ! -x "$cgi" ]; then
	echo "$0: $cgi is missing: run make first" >&2
	exit 1
fi

kinds=("$@")
[ ${#kinds[@]} -eq 0 ] && kinds=(lighttpd apache nginx caddy trust closed)
for k in "${kinds[@]}"; do
	case $k in
	lighttpd | apache | nginx | caddy) one "$k" ;;
	trust) trust ;;
	closed) closed ;;
	*) fail "usage" "unknown server '$k'" ;;
	esac
done
summary
