#!/bin/bash
# hostile.sh: robustness tests: every row of /work/shared/API.md section 3
# ("Bad input") plus what a fuzzer or an attacker tries first, played at
# two levels:
#   - the CGI executable run directly (CGI/1.1 variables, body on stdin),
#     once per binary given as an argument (plain, ASan+UBSan, ...);
#   - a real lighttpd (tests/lib/server.sh, conf/lighttpd.conf) serving the
#     first binary, through curl and raw sockets.
# After every hostile request: it finished (no hang, no signal, no
# sanitizer report), the answer is a 4xx JSON {"message": ...} with
# Content-Type application/json (or, through lighttpd, lighttpd's own
# answer, recorded as a NOTE), the database dump is unchanged (unless the
# request is one that is meant to be accepted), and the service still
# answers GET / with 200 and logs a known account in with 200.
#
# Usage: tests/robust/hostile.sh [AUTH_CGI...]
#        (default cgi-bin/auth.cgi; e.g. cgi-bin/auth.cgi build/asan/auth.cgi)
# Each binary is copied into a temporary directory first, so that a rebuild
# while the suite runs cannot change it under the tests.
# Last line: "N passed, N failed"; exit 1 on failure. VERBOSE=1 prints
# passes too.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"
# shellcheck disable=SC1091
. "$here/../lib/cgi.sh"

[ $# -ge 1 ] || set -- "$root/cgi-bin/auth.cgi"
for b in "$@"; do
	if [ ! -x "$b" ]; then
		echo "usage: $0 [PATH_TO_AUTH_CGI...] ($b is not executable)" >&2
		exit 2
	fi
done

export LC_ALL=C
T0=$(date +%s%N)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-hostile.XXXXXX")
STALL_PID=""
cleanup() {
	if [ -n "$STALL_PID" ]; then
		kill "$STALL_PID" 2>/dev/null
		wait "$STALL_PID" 2>/dev/null
	fi
	declare -F server_stop >/dev/null && server_stop
	exec 5>&- 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PW=k3y-pass-w0rd
KNOWN=known@example.com
NOTES=()
note() {
	NOTES+=("$1")
	printf 'NOTE %s\n' "$1"
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
repeat() { head -c "$2" /dev/zero | tr '\0' "$1"; }

# ------------------------------------------------------------ test bodies

B=$tmp/bodies
mkdir -p "$B"
# mk NAME TEXT: a body file (printf %b: \r, \n, \0, \xHH are decoded).
mk() { printf '%b' "$2" >"$B/$1"; }
# mkpy NAME PYTHON_EXPR: a body file written by Python (bytes or str).
mkpy() {
	"$PY" -c "import sys
v = $2
sys.stdout.buffer.write(v if isinstance(v, bytes) else v.encode())" >"$B/$1"
}
BD=hostileBoundary7MA4YWxk
mp() { # mp NAME VALUE...: multipart with fields name=value pairs
	local name=$1 kv out=""
	shift
	for kv in "$@"; do
		out+="--$BD\r\nContent-Disposition: form-data; name=\"${kv%%=*}\"\r\n\r\n${kv#*=}\r\n"
	done
	mk "$name" "$out--$BD--\r\n"
}
mk empty ''
mk known "email=known%40example.com&password=$PW"
mk miss_email "password=b4l0u"
mk empty_email "email=&password=b4l0u"
mk miss_pw "email=new1%40example.com"
mk empty_pw "email=new1%40example.com&password="
mk login_miss_pw "email=known%40example.com"
mk reset_empty "email="
mk put_miss_new "email=known%40example.com&reset_token=x"
mk json_miss_pw '{"email": "new1@example.com"}'
mp mp_miss_pw email=new1@example.com
mk form_ok "email=new1%40example.com&password=b4l0u"
mkpy big65537 "'email=big%40example.com&password=b4l0u&pad=' + 'x' * (65537 - 40)"
mkpy big2000 "'email=big%40example.com&password=b4l0u&pad=' + 'x' * 1960"
mkpy big1m "'x' * 1000000"
mkpy big2m "'x' * 2000000"
mkpy big2m "'x' * 2000000"
mk short20 "email=short%40exampl"
mk enc_zz "email=bad%zz%40example.com&password=b4l0u"
mk enc_trunc "email=bad%40example.com&password=b4l0u%2"
mk enc_bare "email=bad%40example.com&password=b4l0u%"
mk enc_nul_email "email=bad%00x%40example.com&password=b4l0u"
mk enc_nul_pw "email=bad%40example.com&password=b4%00l0u"
mk enc_rawnul "email=bad%40example.com&password=b4l\0l0u"
mk enc_ff "email=bad%ff%40example.com&password=b4l0u"
mk enc_overlong "email=bad%40example.com&password=b4l0u%c0%af"
mk enc_surrogate "email=bad%40example.com&password=b4l0u%ed%a0%80"
mk json_nulesc '{"email": "bad@example.com", "password": "b4\\u0000l0u"}'
mk json_rawbad '{"email": "\xfc@ex\xe4mple.de", "password": "b4l0u"}'
mp mp_bad_utf8 'email=\xfc@ex\xe4mple.de' password=b4l0u
mp mp_nul 'email=bad@example.com' 'password=b4\0l0u'
for e in plainaddress @example.com user@ 'a@b@c.com' 'user%20name@example.com' '%3Ca@b.c%3E'; do
	n=bademail_$(printf '%s' "$e" | tr -c 'a-zA-Z0-9' _)
	mk "$n" "email=${e//@/%40}&password=b4l0u"
done
mkpy email255 "'email=' + 'a' * 64 + '%40' + 'b' * 186 + '.com&password=b4l0u'"
mkpy email60k "'email=' + 'a' * 60000 + '%40example.com&password=b4l0u'"
mk pw_short "email=pw%40example.com&password=abcd"
mkpy pw_129 "'email=pw%40example.com&password=' + 'p' * 129"
mk pw_ctl "email=pw%40example.com&password=b4l%01l0u"
mk pw_7 "email=pw%40example.com&password=abcdefg"
mk sql_reg "email=o%27hara%25_--x%40example.com&password=%27%3B+DROP+TABLE+users%3B+--"
mk sql_put "email=known%40example.com&reset_token=%27+OR+%271%27%3D%271&new_password=n3w-pass-w0rd"
mk sql_login "email=x%27+OR+%271%27%3D%271%40example.com&password=%27+OR+%271%27%3D%271"
mkpy long_extra "'email=longextra%40example.com&password=b4l0u&x=' + 'y' * 60000"
mk dup_reg "email=dup1%40example.com&email=dup2%40example.com&password=b4l0u&password=zz"
mk dup_login "email=known%40example.com&email=other%40example.com&password=$PW&password=wrong"
mkpy f10k "'a&' * 9999 + 'a'"
mkpy f10k_ok "''.join('f%d=v&' % i for i in range(10000)) + 'email=many%40example.com&password=b4l0u'"
mkpy json10k "'{' + ','.join('\"f%d\": \"v\"' % i for i in range(10000)) + ', \"email\": \"j10k@example.com\", \"password\": \"b4l0u\"}'"
mkpy mp10k "''.join('--$BD\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n' % i for i in range(10000)) + '--$BD--\r\n'"
mk noval_reg "email&password=b4l0u"
mk noval_login "email=known%40example.com&password"
mp mp_ok email=mp@example.com password=b4l0u
mk mp_trunc "--$BD\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nmp@example.com\r\n--$BD\r\nContent-Disposition: form-da"
mk mp_nodisp "--$BD\r\nContent-Type: text/plain\r\n\r\nmp@example.com\r\n--$BD--\r\n"
mkpy mp_bighead "'--$BD\r\nContent-Disposition: form-data; name=\"email\"\r\nX-Pad: ' + 'p' * 9000 + '\r\n\r\nmp@example.com\r\n--$BD--\r\n'"
mkpy nest_arr "'[' * 10000"
mkpy nest_obj "'{\"a\": ' * 10000"
mkpy nest_in "'{\"email\": ' + '[' * 10000 + ']' * 10000 + ', \"password\": \"b4l0u\"}'"
mkpy json60k_email "'{\"email\": \"' + 'a' * 60000 + '@example.com\", \"password\": \"b4l0u\"}'"
mkpy json60k_pw "'{\"email\": \"j60k@example.com\", \"password\": \"' + 'p' * 60000 + '\"}'"
mkpy json60k_extra "'{\"email\": \"j60k@example.com\", \"password\": \"b4l0u\", \"x\": \"' + 'y' * 60000 + '\"}'"
mk json_arr '["x@example.com", "b4l0u"]'
mk json_str '"email=x@example.com"'
mk json_num '42'
mk json_null 'null'
mk json_true 'true'
mk json_empty_obj '{}'
mk json_trailing '{"email": "x@example.com", "password": "b4l0u"} x'
mk json_bom '\xef\xbb\xbf{"email": "x@example.com", "password": "b4l0u"}'
mk json_lone_surrogate '{"email": "\\ud800@example.com", "password": "b4l0u"}'
mk json_unterminated '{"email": "x@example.com", "password": '
mk umlaut_reg "email=%C3%BC%40ex%C3%A4mple.de&password=b4l0u"
mk umlaut_json '{"email": "\xc3\xb6@ex\xc3\xa4mple.de", "password": "b4l0u"}'
mk bad_utf8_email "email=%FC%40ex%E4mple.de&password=b4l0u"

BIG_COOKIE="session_id=$(repeat a 100000)"
COOKIE_9K="session_id=$(repeat a 9000)"
LONG_METHOD=$(repeat A 1000)
LONG_PATH=/$(repeat p 10000)

# -------------------------------------------------------------- the levels

# LEVEL: "cgi" (CGI, the executable in $CGI, database $DB) or "lt"
# (lighttpd at $SERVER_URL, database $DB too).
LEVEL=""
LABEL=""
CGI=""
DB=""
OUT=$tmp/out
ERR=$tmp/err
RC=0
ELAPSED=0
H_ELAPSED=0

# Per-case options, reset after each hostile request:
MSG=""       # ERE the "message" must match
CHANGES=""   # 1: an accepted request, the data may change; throttle: only
             # the failure counters may (a refusal that counts)
LT_OWN=""    # ERE of statuses lighttpd may answer itself (not the app)
ANY_TYPE=""  # 1: any Content-Type and body will do (content negotiation)
STDIN_SRC="" # CGI: "fd3" (stdin is fd 3), "fifo" (the fifo on fd 5),
# "null" (/dev/null); default: the body file
reset_opts() {
	MSG=""
	CHANGES=""
	LT_OWN=""
	ANY_TYPE=""
	STDIN_SRC=""
}

dump() { sqlite3 -batch "$DB" .dump 2>&1; }

# run_cgi METHOD PATH BODYFILE [NAME=VALUE | NAME=<unset>]...: run $CGI
# once; sets RC, ELAPSED (ms), R_* (resp_parse).
run_cgi() {
	local method=$1 path=$2 file=$3 len t
	shift 3
	len=$(wc -c <"$file")
	cgi_env "$method" "$path" "$len" "$@"
	local envl=("${CGI_ENV[@]}")
	t=$(date +%s%N)
	case $STDIN_SRC in
	fd3) timeout 10 env -i "${envl[@]}" "$CGI" <&3 >"$OUT" 2>"$ERR" ;;
	fifo) timeout 10 env -i "${envl[@]}" "$CGI" <"$tmp/fifo" >"$OUT" 2>"$ERR" ;;
	null) timeout 10 env -i "${envl[@]}" "$CGI" </dev/null >"$OUT" 2>"$ERR" ;;
	*) timeout 10 env -i "${envl[@]}" "$CGI" <"$file" >"$OUT" 2>"$ERR" ;;
	esac
	RC=$?
	ELAPSED=$(ms_since "$t")
	resp_parse "$OUT"
}

# run_lt METHOD PATH BODYFILE [NAME=VALUE]...: the same request through
# lighttpd. CONTENT_TYPE, HTTP_COOKIE, HTTP_ORIGIN and QUERY_STRING become
# the header or the URL; sets RC (curl's exit), ELAPSED, R_*.
run_lt() {
	local method=$1 path=$2 file=$3 kv k v q="" t
	shift 3
	local args=(-s -S --max-time 10 --path-as-is -D "$OUT.h" -o "$OUT.b")
	[ "$method" == HEAD ] && args+=(-I) || args+=(-X "$method")
	if [ -s "$file" ]; then
		args+=(--data-binary "@$file")
	elif [ "$method" == POST ] || [ "$method" == PUT ]; then
		args+=(--data-binary "")
	fi
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		case $k in
		CONTENT_TYPE) [ "$v" == "<unset>" ] && args+=(-H "Content-Type:") ||
			args+=(-H "Content-Type: $v") ;;
		HTTP_COOKIE) args+=(-H "Cookie: $v") ;;
		HTTP_ORIGIN) args+=(-H "Origin: $v") ;;
		HTTP_ACCEPT) args+=(-H "Accept: $v") ;;
		QUERY_STRING) q="?$v" ;;
		esac
	done
	: >"$OUT.h"
	: >"$OUT.b"
	t=$(date +%s%N)
	curl "${args[@]}" "$SERVER_URL$path$q" 2>"$ERR"
	RC=$?
	ELAPSED=$(ms_since "$t")
	[ "$method" == HEAD ] && : >"$OUT.b"
	cat "$OUT.h" "$OUT.b" >"$OUT"
	resp_parse "$OUT"
}

# lt_translatable NAME=VALUE...: can run_lt express these variables?
lt_translatable() {
	local kv
	for kv in "$@"; do
		case ${kv%%=*} in
		CONTENT_TYPE | HTTP_COOKIE | HTTP_ORIGIN | HTTP_ACCEPT | QUERY_STRING) ;;
		*) return 1 ;;
		esac
	done
	return 0
}

run_level() {
	if [ "$LEVEL" == cgi ]; then run_cgi "$@"; else run_lt "$@"; fi
}

# sane NAME: the last request finished cleanly (no hang, no signal, no
# sanitizer report, the CGI exited 0; lighttpd alive and curl happy).
SAN_RE='ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer'
LT_ERRLOG_SEEN=0
sane_why() {
	if [ "$LEVEL" == cgi ]; then
		if [ "$RC" -eq 124 ]; then echo "hung: killed after 10 s"
		elif [ "$RC" -ge 128 ]; then echo "killed by signal $((RC - 128))"
		elif [ "$RC" -eq 99 ]; then echo "exit 99: the sanitizers' exit code"
		elif grep -q -E "$SAN_RE" "$ERR"; then
			echo "sanitizer report: $(grep -m 3 -E 'ERROR|runtime error|SUMMARY' "$ERR" | tr '\n' ' ')"
		elif [ "$RC" -ne 0 ] && [ "$STDIN_SRC" != fifo ]; then
			echo "exit $RC (stderr: $(head -c 200 "$ERR"))"
		fi
	else
		if [ "$RC" -eq 28 ]; then echo "hung: curl timed out after 10 s"
		elif [ "$RC" -ne 0 ]; then echo "curl exit $RC: $(head -c 200 "$ERR")"
		elif ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "lighttpd died"
		else
			local n
			n=$(log_lines)
			if [ "$n" -gt "$LT_ERRLOG_SEEN" ] &&
				tail -n +"$((LT_ERRLOG_SEEN + 1))" "$LT_STATE/cgi-stderr.log" | grep -q -E "$SAN_RE"; then
				echo "sanitizer report in cgi-stderr.log: $(tail -n +"$((LT_ERRLOG_SEEN + 1))" "$LT_STATE/cgi-stderr.log" | grep -m 2 -E 'ERROR|runtime error' | tr '\n' ' ')"
			fi
		fi
	fi
}

# log_lines: lines in lighttpd's cgi-stderr.log; san_mark: remember them,
# so that the next sane_why looks only at what came after.
log_lines() { wc -l <"$LT_STATE/cgi-stderr.log" 2>/dev/null || echo 0; }
san_mark() { [ "$LEVEL" == lt ] && LT_ERRLOG_SEEN=$(log_lines); return 0; }

# json_later NAME: queue a check that the body is a JSON object with a
# non-empty "message" matching $MSG; json_flush runs the queued checks in
# one Python process (one per request would cost more than the request).
JSON_N=0
json_later() {
	JSON_N=$((JSON_N + 1))
	mkdir -p "$tmp/json"
	cp "$R_BODY_FILE" "$tmp/json/$JSON_N"
	printf '%s\t%s\t%s\n' "$JSON_N" "$1" "$MSG" >>"$tmp/json/list"
}
json_flush() {
	local line
	[ -s "$tmp/json/list" ] || return 0
	while IFS= read -r line; do
		case $line in
		OK$'\t'*) ok "${line#OK$'\t'}" ;;
		FAIL$'\t'*)
			line=${line#FAIL$'\t'}
			fail "${line%%$'\t'*}" "${line#*$'\t'}"
			;;
		*) fail "JSON checks" "unexpected output: $line" ;;
		esac
	done < <("$PY" - "$tmp/json" <<'EOF'
import json, os, re, sys
d = sys.argv[1]
for entry in open(os.path.join(d, 'list'), encoding='utf-8', errors='replace'):
    n, name, want = entry.rstrip('\n').split('\t', 2)
    raw = open(os.path.join(d, n), 'rb').read()
    why = ''
    try:
        body = json.loads(raw.decode('utf-8'))
    except Exception as e:
        why = 'body is not JSON (%s): %r' % (e, raw[:120])
    else:
        m = body.get('message') if isinstance(body, dict) else None
        if not isinstance(body, dict):
            why = 'body is not a JSON object: %r' % raw[:120]
        elif not isinstance(m, str) or not m:
            why = 'no "message" in %r' % raw[:120]
        elif want and not re.search(want, m):
            why = 'message %r does not match /%s/' % (m, want)
    print('FAIL\t%s\t%s' % (name, why) if why else 'OK\t%s' % name)
EOF
	)
	rm -rf "$tmp/json"
}

# health NAME: GET / answers 200 and the known account logs in (200).
health() {
	local name=$1 save_src=$STDIN_SRC
	STDIN_SRC=""
	local why
	run_level GET / "$B/empty"
	why=$(sane_why)
	san_mark
	if [ "$R_STATUS" == 200 ] && [ -z "$why" ]; then ok "$name: then GET / 200"; else
		fail "$name: then GET / 200" "status '$R_STATUS' $why"
	fi
	run_level POST /sessions "$B/known"
	why=$(sane_why)
	san_mark
	if [ "$R_STATUS" == 200 ] && [ -z "$why" ] &&
		header_all Set-Cookie | grep -q '^session_id=[0-9a-f-]\{36\};'; then
		ok "$name: then login 200"
	else
		fail "$name: then login 200" "status '$R_STATUS' $why $(head -c 100 "$R_BODY_FILE")"
	fi
	STDIN_SRC=$save_src
	BEFORE=$(dump)
}

# hx NAME WANT METHOD PATH BODYFILE [NAME=VALUE...]: one hostile request
# at the current level and every check after it. WANT is an ERE for the
# status (anchored). Options in MSG, CHANGES, LT_OWN, STDIN_SRC.
hx() {
	local name="$LABEL: $1" want=$2 why after
	shift 2
	if [ "$LEVEL" == lt ] && ! lt_translatable "${@:4}"; then
		reset_opts
		return 0
	fi
	run_level "$@"
	H_ELAPSED=$ELAPSED
	why=$(sane_why)
	san_mark
	if [ -z "$why" ]; then ok "$name: finished in $H_ELAPSED ms"; else fail "$name: finished" "$why"; fi
	local ct
	ct=$(header_get Content-Type)
	if [ "$LEVEL" == lt ] && [ -n "$LT_OWN" ] && [ "$ct" != application/json ] &&
		[[ $R_STATUS =~ ^($LT_OWN)$ ]]; then
		# lighttpd refused the request itself: the app never saw it.
		ok "$name: status $R_STATUS (lighttpd's own)"
		note "$name: lighttpd answered $R_STATUS itself ($ct)"
	else
		if [[ $R_STATUS =~ ^($want)$ ]]; then ok "$name: status $R_STATUS"; else
			fail "$name: status" "status '$R_STATUS', want /$want/ (body: $(head -c 150 "$R_BODY_FILE"))"
		fi
		[ -z "$ANY_TYPE" ] && check_eq "$name: Content-Type" "$ct" application/json
		if [ -z "$ANY_TYPE" ] && { [ "${R_STATUS:0:1}" == 4 ] || [ -n "$MSG" ]; }; then
			json_later "$name: JSON message"
		fi
	fi
	if [ -z "$CHANGES" ]; then
		after=$(dump)
		if [ "$after" == "$BEFORE" ]; then ok "$name: data unchanged"; else
			fail "$name: data unchanged" "$(diff <(echo "$BEFORE") <(echo "$after") | head -n 6 | tr '\n' ' ')"
		fi
	elif [ "$CHANGES" == throttle ]; then
		after=$(dump | grep -v 'INTO throttle_')
		if [ "$after" == "$(grep -v 'INTO throttle_' <<<"$BEFORE")" ]; then
			ok "$name: data unchanged but for the failure counters"
		else
			fail "$name: data unchanged but for the failure counters" \
				"$(diff <(grep -v 'INTO throttle_' <<<"$BEFORE") <(echo "$after") | head -n 6 | tr '\n' ' ')"
		fi
		BEFORE=$(dump)
	fi
	reset_opts
	health "$name"
}

# sql QUERY: one value from the current level's database.
sql() { sqlite3 -batch -noheader "$DB" "$1" 2>&1; }

F=application/x-www-form-urlencoded
J=application/json
M="multipart/form-data; boundary=$BD"

# ------------------------------------------------------- the shared cases

# Cases that run at both levels (run_lt skips those it cannot express).
shared_cases() {
	# --- section 3: a required field missing or empty
	MSG='^email is required$' hx "register: no email" 400 POST /users "$B/miss_email"
	MSG='^email is required$' hx "register: empty email" 400 POST /users "$B/empty_email"
	MSG='^password is required$' hx "register: no password" 400 POST /users "$B/miss_pw"
	MSG='^password is required$' hx "register: empty password" 400 POST /users "$B/empty_pw"
	MSG='^password is required$' hx "login: no password" 400 POST /sessions "$B/login_miss_pw"
	MSG='^email is required$' hx "reset request: empty email" 400 POST /reset_password "$B/reset_empty"
	# (the token is checked first: a wrong one is 403 whatever is missing)
	MSG='^invalid reset token$' hx "reset update: no new_password, wrong token" 403 PUT /reset_password "$B/put_miss_new"
	MSG='^password is required$' hx "register: JSON without password" 400 POST /users "$B/json_miss_pw" CONTENT_TYPE=$J
	MSG='^password is required$' hx "register: multipart without password" 400 POST /users "$B/mp_miss_pw" "CONTENT_TYPE=$M"
	MSG='is required' hx "register: empty body, no Content-Type" 400 POST /users "$B/empty" CONTENT_TYPE="<unset>"

	# A taken email counts against the address, as a wrong password does.
	CHANGES=throttle MSG='already registered' hx "register: the known account again" 400 POST /users "$B/known"

	# --- section 3: body larger than the limit (app's 413)
	MSG='too large' hx "register: 65537-byte body" 413 POST /users "$B/big65537"

	# --- section 3: unsupported Content-Type
	local ct
	for ct in text/plain application/xml image/png "multipart/mixed; boundary=$BD" "<unset>"; do
		MSG='unsupported content type' hx "register: Content-Type $ct" 415 POST /users "$B/form_ok" "CONTENT_TYPE=$ct"
	done

	# --- section 3: malformed percent-encoding, NUL bytes, invalid UTF-8
	local f
	for f in enc_zz enc_trunc enc_bare enc_nul_email enc_nul_pw enc_rawnul enc_ff enc_overlong enc_surrogate; do
		hx "register: $f" 400 POST /users "$B/$f"
	done
	hx "register: JSON \\u0000 escape" 400 POST /users "$B/json_nulesc" CONTENT_TYPE=$J
	hx "register: JSON raw invalid UTF-8" 400 POST /users "$B/json_rawbad" CONTENT_TYPE=$J
	hx "register: multipart invalid UTF-8" 400 POST /users "$B/mp_bad_utf8" "CONTENT_TYPE=$M"
	hx "register: multipart NUL byte" 400 POST /users "$B/mp_nul" "CONTENT_TYPE=$M"

	# --- section 3: email not local@domain shaped, or too long
	for f in "$B"/bademail_* "$B/email255" "$B/email60k"; do
		MSG='^invalid email$' hx "register: $(basename "$f")" 400 POST /users "$f"
	done

	# --- section 3: password outside the bounds, naming the bound
	MSG='at least 5' hx "register: 4-character password" 400 POST /users "$B/pw_short"
	MSG='at most 128' hx "register: 129-byte password" 400 POST /users "$B/pw_129"
	MSG='control' hx "register: control character in the password" 400 POST /users "$B/pw_ctl"

	# --- section 3: SQL metacharacters, quotes, long values are data
	CHANGES=1 MSG='^user created$' hx "register: SQL metacharacters" 200 POST /users "$B/sql_reg"
	check_eq "$LABEL: SQL metacharacters: stored as data" \
		"$(sql "SELECT count(*) FROM users WHERE email = 'o''hara%_--x@example.com'")" 1
	check_eq "$LABEL: SQL metacharacters: users table intact" \
		"$(sql "SELECT count(*) FROM users WHERE email = '$KNOWN'")" 1
	MSG='not logged in' hx "profile: SQL in the session cookie" 403 GET /profile "$B/empty" "HTTP_COOKIE=session_id=x' OR '1'='1"
	MSG='invalid reset token' hx "reset update: SQL in the token" 403 PUT /reset_password "$B/sql_put"
	# A failed login is recorded (throttling): data may change, users not.
	CHANGES=1 MSG='wrong email or password' hx "login: SQL in email and password" 401 POST /sessions "$B/sql_login"
	check_eq "$LABEL: SQL login: users intact" "$(sql "SELECT count(*) FROM users WHERE email = '$KNOWN'")" 1
	CHANGES=1 hx "register: 60 KB extra field" 200 POST /users "$B/long_extra"

	# --- methods
	local m
	for m in PATCH FOO get OPTIONS "$LONG_METHOD"; do
		LT_OWN=501 MSG='method not allowed' hx "method ${m:0:12}$([ ${#m} -gt 12 ] && echo "...(${#m} chars)") on /users" 405 "$m" /users "$B/form_ok"
		LT_OWN=501 MSG='method not allowed' hx "method ${m:0:12}$([ ${#m} -gt 12 ] && echo "...(${#m} chars)") on /" 405 "$m" / "$B/empty"
	done

	# --- paths. lighttpd resolves "/.." and "/profile/.." to "/", and "//"
	# is "/" with a trailing slash: GET / may answer 200 to those.
	local p
	for p in /.. /profile/.. //; do
		LT_OWN='4[0-9][0-9]' hx "GET path $p" '200|4[0-9][0-9]' GET "$p" "$B/empty"
	done
	for p in /../../etc/passwd /users/../profile /%70rofile /./profile \
		/profile%2f /profile%00 /users%2f..%2fprofile '/profile;x' '/users?x'; do
		LT_OWN='4[0-9][0-9]' hx "GET path $p" '4[0-9][0-9]' GET "$p" "$B/empty"
	done
	LT_OWN='4[0-9][0-9]' hx "POST path //users/../users/../profile" '4[0-9][0-9]' POST //users/../users/../profile "$B/form_ok"
	LT_OWN='4[0-9][0-9]' hx "GET path //profile" '4[0-9][0-9]' GET //profile "$B/empty"
	LT_OWN='4[0-9][0-9]' hx "GET 10000-byte path" '4[0-9][0-9]' GET "$LONG_PATH" "$B/empty"

	# --- duplicate fields: the first one counts
	CHANGES=1 MSG='^user created$' hx "register: duplicate fields" 200 POST /users "$B/dup_reg"
	check_eq "$LABEL: duplicate fields: first email stored" \
		"$(sql "SELECT group_concat(email) FROM users WHERE email LIKE 'dup%'")" dup1@example.com
	CHANGES=1 MSG='^logged in$' hx "login: duplicate fields" 200 POST /sessions "$B/dup_login"

	# --- 10,000 fields with the default cap (32)
	MSG='too many fields' hx "register: 10,000 form fields" 400 POST /users "$B/f10k"

	# --- a field name without a value
	MSG='^email is required$' hx "register: 'email&password=...'" 400 POST /users "$B/noval_reg"
	MSG='^password is required$' hx "login: 'password' without =" 400 POST /sessions "$B/noval_login"

	# --- multipart
	hx "register: multipart without a boundary" 400 POST /users "$B/mp_ok" CONTENT_TYPE=multipart/form-data
	hx "register: multipart, empty boundary" 400 POST /users "$B/mp_ok" "CONTENT_TYPE=multipart/form-data; boundary="
	hx "register: multipart, wrong boundary" 400 POST /users "$B/mp_ok" "CONTENT_TYPE=multipart/form-data; boundary=nope$BD"
	hx "register: multipart, 71-char boundary" 400 POST /users "$B/mp_ok" "CONTENT_TYPE=multipart/form-data; boundary=$(repeat b 71)"
	hx "register: multipart, truncated body" 400 POST /users "$B/mp_trunc" "CONTENT_TYPE=$M"
	hx "register: multipart part without Content-Disposition" 400 POST /users "$B/mp_nodisp" "CONTENT_TYPE=$M"
	hx "register: multipart part header over 8 KB" 400 POST /users "$B/mp_bighead" "CONTENT_TYPE=$M"

	# --- JSON: nesting, size, not an object
	hx "register: JSON 10,000 levels of [" 400 POST /users "$B/nest_arr" CONTENT_TYPE=$J
	hx "register: JSON 10,000 levels of {" 400 POST /users "$B/nest_obj" CONTENT_TYPE=$J
	hx "register: JSON 10,000 levels inside a member" 400 POST /users "$B/nest_in" CONTENT_TYPE=$J
	MSG='^invalid email$' hx "register: JSON 60 KB email" 400 POST /users "$B/json60k_email" CONTENT_TYPE=$J
	MSG='at most 128' hx "register: JSON 60 KB password" 400 POST /users "$B/json60k_pw" CONTENT_TYPE=$J
	CHANGES=1 MSG='^user created$' hx "register: JSON 60 KB extra member" 200 POST /users "$B/json60k_extra" CONTENT_TYPE=$J
	# RFC 8259 section 8.1 lets a parser ignore a byte order mark: either
	# answer will do, as long as it is one of the two.
	CHANGES=1 hx "register: JSON after a UTF-8 BOM" '200|400' POST /users "$B/json_bom" CONTENT_TYPE=$J
	for f in json_arr json_str json_num json_null json_true json_trailing json_lone_surrogate json_unterminated; do
		hx "register: $f" 400 POST /users "$B/$f" CONTENT_TYPE=$J
	done
	MSG='is required' hx "register: JSON {}" 400 POST /users "$B/json_empty_obj" CONTENT_TYPE=$J

	# --- oversized headers (431 from the app; lighttpd refuses them itself)
	LT_OWN='4[0-9][0-9]' MSG='header too large' hx "profile: 100 KB Cookie" 431 GET /profile "$B/empty" "HTTP_COOKIE=$BIG_COOKIE"
	LT_OWN='4[0-9][0-9]' MSG='header too large' hx "GET /: 100 KB Cookie" 431 GET / "$B/empty" "HTTP_COOKIE=$BIG_COOKIE"
	LT_OWN='4[0-9][0-9]' MSG='header too large' hx "register: 100 KB Cookie" 431 POST /users "$B/form_ok" "HTTP_COOKIE=$BIG_COOKIE"
	LT_OWN='4[0-9][0-9]' MSG='header too large' hx "profile: 9000-byte Cookie" 431 GET /profile "$B/empty" "HTTP_COOKIE=$COOKIE_9K"
	LT_OWN='4[0-9][0-9]' MSG='header too large' hx "logout: 100 KB Origin" 431 DELETE /sessions "$B/empty" "HTTP_ORIGIN=http://$(repeat o 100000)"
	LT_OWN='4[0-9][0-9]' MSG='header too large' hx "GET /: 9000-byte query string" 431 GET / "$B/empty" "QUERY_STRING=q=$(repeat q 9000)"

	# --- hostile Accept headers (an HTML answer is fine: any type)
	ANY_TYPE=1 LT_OWN='4[0-9][0-9]' hx "register: no password, Accept text/html" 400 POST /users "$B/miss_pw" HTTP_ACCEPT=text/html
	ANY_TYPE=1 LT_OWN='4[0-9][0-9]' hx "register: no password, Accept of 8000 commas" 400 POST /users "$B/miss_pw" "HTTP_ACCEPT=$(repeat , 8000)"
	ANY_TYPE=1 LT_OWN='4[0-9][0-9]' hx "register: no password, Accept q=1.999..." 400 POST /users "$B/miss_pw" "HTTP_ACCEPT=text/html;q=1.$(repeat 9 5000)"
	ANY_TYPE=1 LT_OWN='4[0-9][0-9]' hx "profile: Accept ';;;;q=, ,*/*;q=-1'" 403 GET /profile "$B/empty" "HTTP_ACCEPT=;;;;q=, ,*/*;q=-1"
	ANY_TYPE=1 LT_OWN='4[0-9][0-9]' hx "GET /: 9000-byte Accept" 431 GET / "$B/empty" "HTTP_ACCEPT=text/html,$(repeat a 9000)"

	# --- non-ASCII email: registers, logs in, shows its profile
	CHANGES=1 MSG='^user created$' hx "register: ü@exämple.de" 200 POST /users "$B/umlaut_reg"
	CHANGES=1 MSG='^logged in$' hx "login: ü@exämple.de" 200 POST /sessions "$B/umlaut_reg"
	run_level POST /sessions "$B/umlaut_reg"
	local sid
	sid=$(header_all Set-Cookie | sed -n 's/^session_id=\([^;]*\).*/\1/p' | head -n 1)
	run_level GET /profile "$B/empty" "HTTP_COOKIE=session_id=$sid"
	check_body_exact "$LABEL: profile of ü@exämple.de" '{"email": "ü@exämple.de"}'
	CHANGES=1 MSG='^user created$' hx "register: JSON ö@exämple.de" 200 POST /users "$B/umlaut_json" CONTENT_TYPE=$J
	check_eq "$LABEL: non-ASCII emails stored as UTF-8" \
		"$(sql "SELECT count(*) FROM users WHERE email IN ('ü@exämple.de', 'ö@exämple.de')")" 2
	hx "register: Latin-1 (invalid UTF-8) email" 400 POST /users "$B/bad_utf8_email"
}

# ------------------------------------------------------ CGI-only cases

cgi_cases() {
	# Missing REQUEST_METHOD: a CGI request still (GATEWAY_INTERFACE).
	MSG='REQUEST_METHOD' hx "no REQUEST_METHOD, GATEWAY_INTERFACE set" 400 GET / "$B/empty" REQUEST_METHOD="<unset>"
	MSG='REQUEST_METHOD' hx "empty REQUEST_METHOD" 400 "" /users "$B/form_ok"
	# No CGI variable at all: the admin tool prints its usage.
	local before
	before=$(dump)
	timeout 10 env -i PATH=/usr/bin:/bin AUTHCGI_DB="$DB" \
		ASAN_OPTIONS=detect_leaks=1:exitcode=99 "$CGI" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	check_eq "$LABEL: no CGI variables: exit 2 (usage)" "$RC" 2
	check "$LABEL: no CGI variables: usage on stderr" grep -q '^usage: auth.cgi' "$ERR"
	check "$LABEL: no CGI variables: nothing on stdout" test ! -s "$OUT"
	check "$LABEL: no CGI variables: no sanitizer report" test -z "$(grep -E "$SAN_RE" "$ERR")"
	check_eq "$LABEL: no CGI variables: data unchanged" "$(dump)" "$before"

	# Over the body limit: 413, nothing stored; a body of up to 1 MiB is
	# read to its end first (a server that streams it, Apache's mod_cgid,
	# drops the answer of a CGI that leaves it), a longer one not at all.
	exec 3<"$B/big1m"
	STDIN_SRC=fd3 MSG='too large' hx "register: CONTENT_LENGTH 1000000 (read, not kept)" 413 POST /users "$B/big1m"
	local pos
	pos=$(awk '$1 == "pos:" {print $2}' "/proc/$$/fdinfo/3")
	exec 3<&-
	check_eq "$LABEL: 413: 1000000 bytes: stdin offset after the answer" "$pos" 1000000
	exec 3<"$B/big2m"
	STDIN_SRC=fd3 MSG='too large' hx "register: CONTENT_LENGTH 2000000 (stdin not read)" 413 POST /users "$B/big2m"
	pos=$(awk '$1 == "pos:" {print $2}' "/proc/$$/fdinfo/3")
	exec 3<&-
	check_eq "$LABEL: 413: 2000000 bytes: stdin offset after the answer" "$pos" 0
	MSG='too large' hx "register: 2000-byte body, AUTHCGI_MAX_BODY=1024" 413 POST /users "$B/big2000" AUTHCGI_MAX_BODY=1024
	# 5 MB through a pipe: answered without reading it, no hang.
	local t
	t=$(date +%s%N)
	head -c 5000000 /dev/zero | timeout 10 env -i PATH=/usr/bin:/bin REQUEST_METHOD=POST \
		PATH_INFO=/users SCRIPT_NAME= CONTENT_TYPE=$F CONTENT_LENGTH=5000000 \
		AUTHCGI_DB="$DB" ASAN_OPTIONS=detect_leaks=1:exitcode=99 "$CGI" >"$OUT" 2>"$ERR"
	RC=${PIPESTATUS[1]}
	resp_parse "$OUT"
	check_eq "$LABEL: 5 MB from a pipe: exit 0 in $(ms_since "$t") ms" "$RC" 0
	check_eq "$LABEL: 5 MB from a pipe: 413" "$R_STATUS" 413

	# CONTENT_LENGTH that is not a decimal number, or beyond any size.
	local cl
	for cl in -1 abc " 5" "5 " +5 0x10 1e3 "5;" $'5\n'; do
		MSG='malformed request' hx "CONTENT_LENGTH '$(printf '%q' "$cl")'" 400 POST /users "$B/form_ok" "CONTENT_LENGTH=$cl"
	done
	for cl in 99999999999999999999 18446744073709551615 18446744073709551616 \
		"$(repeat 9 400)"; do
		MSG='too large' hx "CONTENT_LENGTH ${cl:0:24}" 413 POST /users "$B/form_ok" "CONTENT_LENGTH=$cl"
	done
	# Body shorter than CONTENT_LENGTH: 400 at end of input, no hang.
	MSG='shorter than Content-Length' hx "register: CONTENT_LENGTH 500, 20-byte body" 400 POST /users "$B/short20" CONTENT_LENGTH=500
	STDIN_SRC=null MSG='shorter than Content-Length' hx "register: CONTENT_LENGTH 10, stdin /dev/null" 400 POST /users "$B/empty" CONTENT_LENGTH=10 CONTENT_TYPE=$F
	STDIN_SRC=null MSG='shorter than Content-Length' hx "GET /: CONTENT_LENGTH 10, no body" 400 GET / "$B/empty" CONTENT_LENGTH=10

	# A stalled client: the body never completes, the pipe stays open.
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	exec 5<>"$tmp/fifo"
	printf 'email=stall%%40ex' >&5
	# The stall never ends (this shell holds the fifo open): a 408 within
	# the 10 s that a request may run here is the 2 s timeout's (the
	# default is 30 s), however slowly the process starts.
	STDIN_SRC=fifo MSG='not received in time' hx "register: stalled body, AUTHCGI_REQUEST_TIMEOUT=2" 408 POST /users "$B/form_ok" CONTENT_LENGTH=100 AUTHCGI_REQUEST_TIMEOUT=2
	exec 5>&-
	check "$LABEL: stalled body: answered after the 2 s timeout ($H_ELAPSED ms)" \
		test "$H_ELAPSED" -ge 1500
	# The same stall in a body over the limit, which is read to be thrown
	# away: still bounded by the request timeout, nothing stored.
	exec 5<>"$tmp/fifo"
	printf 'email=stall%%40ex' >&5
	STDIN_SRC=fifo MSG='not received in time' hx "register: stalled body over the limit, AUTHCGI_REQUEST_TIMEOUT=2" 408 POST /users "$B/form_ok" CONTENT_LENGTH=100000 AUTHCGI_REQUEST_TIMEOUT=2
	exec 5>&-
	check "$LABEL: stalled body over the limit: answered after the 2 s timeout ($H_ELAPSED ms)" \
		test "$H_ELAPSED" -ge 1500

	# The configured bounds.
	MSG='at least 8' hx "register: 7 characters, AUTHCGI_PASSWORD_MIN=8" 400 POST /users "$B/pw_7" AUTHCGI_PASSWORD_MIN=8
	# 10,000 fields: 400 with the default field cap even when the body cap
	# lets them in; accepted with both caps raised.
	MSG='too many fields' hx "register: 10,000 JSON members, body cap raised" 400 POST /users "$B/json10k" CONTENT_TYPE=$J AUTHCGI_MAX_BODY=1000000
	MSG='too many fields' hx "register: 10,000 multipart parts, body cap raised" 400 POST /users "$B/mp10k" "CONTENT_TYPE=$M" AUTHCGI_MAX_BODY=1000000
	MSG='too many fields' hx "register: 10,000 form fields over AUTHCGI_MAX_FIELDS=9999" 400 POST /users "$B/f10k_ok" AUTHCGI_MAX_BODY=1000000 AUTHCGI_MAX_FIELDS=9999
	CHANGES=1 MSG='^user created$' hx "register: 10,000 form fields, both caps raised" 200 POST /users "$B/f10k_ok" AUTHCGI_MAX_BODY=1000000 AUTHCGI_MAX_FIELDS=20000
	CHANGES=1 MSG='^user created$' hx "register: 10,000 JSON members, both caps raised" 200 POST /users "$B/json10k" CONTENT_TYPE=$J AUTHCGI_MAX_BODY=1000000 AUTHCGI_MAX_FIELDS=20000
	check_eq "$LABEL: 10,000 fields: accounts stored" \
		"$(sql "SELECT count(*) FROM users WHERE email IN ('many@example.com', 'j10k@example.com')")" 2
	# %00 in QUERY_STRING and PATH_INFO (a NUL byte itself cannot be in
	# the environment): the query is not read, the path is unknown.
	CHANGES=1 MSG='^logged in$' hx "login: QUERY_STRING with %00" 200 POST /sessions "$B/known" "QUERY_STRING=a=%00&email=%00"
	hx "GET PATH_INFO /profile%00x" 404 GET /profile%00x "$B/empty"
	hx "GET PATH_INFO with CR LF" 404 GET $'/x\r\nSet-Cookie: evil=1' "$B/empty"
}

# --------------------------------------------------- lighttpd-only cases

lt_cases() {
	local port=${SERVER_URL##*:} line
	# %00 in the URL: lighttpd refuses it before the CGI runs.
	LT_OWN='4[0-9][0-9]' hx "GET /profile%00" '4[0-9][0-9]' GET /profile%00 "$B/empty"
	LT_OWN='4[0-9][0-9]' hx "GET /%00" '4[0-9][0-9]' GET /%00 "$B/empty"
	LT_OWN='4[0-9][0-9]' hx "GET /?a=%00" '4[0-9][0-9]' GET / "$B/empty" "QUERY_STRING=a=%00"
	CHANGES=1 LT_OWN='4[0-9][0-9]' hx "login with ?email=%00" '200|4[0-9][0-9]' POST /sessions "$B/known" "QUERY_STRING=email=%00"
	# A body over lighttpd's own limit (server.max-request-size, 1 MiB).
	LT_OWN='4[0-9][0-9]' hx "register: 2 MB body" 413 POST /users "$B/big2m"
	# Hostile Content-Length headers (run_lt cannot set them): curl -H.
	local cl
	for cl in -1 abc 99999999999999999999 "1, 2"; do
		BEFORE=$(dump)
		curl -s -S --max-time 10 -D "$OUT.h" -o "$OUT.b" -X POST \
			-H "Content-Length: $cl" -H "Content-Type: $F" "$SERVER_URL/users" 2>"$ERR"
		RC=$?
		cat "$OUT.h" "$OUT.b" >"$OUT"
		resp_parse "$OUT"
		check_eq "$LABEL: raw Content-Length '$cl': curl finished" "$RC" 0
		check_match "$LABEL: raw Content-Length '$cl': 4xx" "$R_STATUS" '^4[0-9][0-9]$'
		[ "$(header_get Content-Type)" != application/json ] &&
			note "$LABEL: raw Content-Length '$cl': lighttpd answered $R_STATUS itself"
		check_eq "$LABEL: raw Content-Length '$cl': data unchanged" "$(dump)" "$BEFORE"
		health "$LABEL: raw Content-Length '$cl'"
	done
	# A body shorter than its Content-Length, the client then done sending.
	BEFORE=$(dump)
	line=$(timeout 20 "$PY" "$here/hostile_socket.py" short "$port" 10)
	RC=$?
	check_eq "$LABEL: short body then EOF: answered or closed within 10 s ($line)" "$RC" 0
	check_eq "$LABEL: short body then EOF: data unchanged" "$(dump)" "$BEFORE"
	health "$LABEL: short body then EOF"
}

# A second lighttpd with both caps raised: 10,000 fields go through.
lt_raised_caps() {
	local save_pid=$SERVER_PID save_port=$SERVER_PORT save_url=$SERVER_URL save_db=$DB
	local save_state=$LT_STATE save_seen=$LT_ERRLOG_SEEN
	LT_STATE=$tmp/lt-caps
	if ! AUTHCGI_MAX_FIELDS=20000 AUTHCGI_MAX_BODY=1000000 server_start "$LT_STATE"; then
		fail "$LABEL: lighttpd with raised caps starts" "see $LT_STATE"
	else
		ok "$LABEL: lighttpd with raised caps starts"
		DB=$LT_STATE/auth.db
		LT_ERRLOG_SEEN=0
		CHANGES=1 MSG='^user created$' hx "register known (raised caps)" 200 POST /users "$B/known"
		CHANGES=1 MSG='^user created$' hx "register: 10,000 form fields, caps raised" 200 POST /users "$B/f10k_ok"
		CHANGES=1 MSG='^user created$' hx "register: 10,000 JSON members, caps raised" 200 POST /users "$B/json10k" CONTENT_TYPE=$J
		server_stop
	fi
	SERVER_PID=$save_pid SERVER_PORT=$save_port SERVER_URL=$save_url DB=$save_db
	LT_STATE=$save_state LT_ERRLOG_SEEN=$save_seen
}

# level_setup: a fresh database with the known account.
level_setup() {
	BEFORE=$(dump)
	CHANGES=1 MSG='^user created$' hx "register the known account" 200 POST /users "$B/known"
}

# ------------------------------------------------------------------- run

# lighttpd first, so that the stalled connection (lighttpd drops it after
# server.max-read-idle, 60 s by default) runs alongside everything else.
LT_BIN=$1
mkdir -p "$tmp/lt/conf" "$tmp/lt/cgi-bin"
cp "$root/conf/lighttpd.conf" "$tmp/lt/conf/" && cp "$LT_BIN" "$tmp/lt/cgi-bin/auth.cgi"
SERVER_PROJECT_DIR=$tmp/lt
SERVER_MODE=cgi
SERVER_KIND=lighttpd
# shellcheck disable=SC1091
. "$here/../lib/server.sh"
LT_STATE=$tmp/lt-state
LT_UP=""
if server_start "$LT_STATE"; then
	LT_UP=1
	# Its status goes to a file: a shell that forks thousands of
	# processes may see the pid reused and forget the status by then.
	{
		timeout 90 "$PY" "$here/hostile_socket.py" stall "${SERVER_URL##*:}" 75 >"$tmp/stall.out" 2>&1
		echo $? >"$tmp/stall.rc"
	} &
	STALL_PID=$!
	STALL_T0=$(date +%s%N)
fi

i=0
for bin in "$@"; do
	i=$((i + 1))
	mkdir -p "$tmp/cgi$i"
	cp "$bin" "$tmp/cgi$i/auth.cgi"
	CGI=$tmp/cgi$i/auth.cgi
	DB=$tmp/cgi$i/auth.db
	LEVEL=cgi
	LABEL="cgi $bin"
	env -i PATH=/usr/bin:/bin AUTHCGI_DB="$DB" ASAN_OPTIONS=detect_leaks=1 \
		"$CGI" init >/dev/null 2>"$ERR"
	check_eq "$LABEL: init" "$?" 0
	level_setup
	shared_cases
	cgi_cases
	json_flush
	echo "-- $LABEL: done after $(($(ms_since "$T0") / 1000)) s, $PASSED passed, $FAILED failed"
done

LEVEL=lt
LABEL="lighttpd($(basename "$(dirname "$LT_BIN")")/$(basename "$LT_BIN"))"
if [ -z "$LT_UP" ]; then
	fail "$LABEL: lighttpd starts" "server_start failed (see above)"
else
	ok "$LABEL: lighttpd starts"
	DB=$LT_STATE/auth.db
	level_setup
	shared_cases
	lt_cases
	lt_raised_caps
	# The stalled connection: answered or closed within the bound, and
	# nothing of it stored.
	wait "$STALL_PID" 2>/dev/null
	# timeout 90 bounds the job: its status is there by then.
	for _ in $(seq 100); do
		[ -s "$tmp/stall.rc" ] && break
		sleep 1
	done
	RC=$(cat "$tmp/stall.rc" 2>/dev/null || echo "no status")
	STALL_PID=""
	check_eq "$LABEL: stalled body: answered or closed within 75 s ($(cat "$tmp/stall.out"); started $(($(ms_since "$STALL_T0") / 1000)) s ago)" "$RC" 0
	check_eq "$LABEL: stalled body: nothing stored" "$(sql "SELECT count(*) FROM users WHERE email LIKE 'stall%'")" 0
	check "$LABEL: lighttpd still running" kill -0 "$SERVER_PID"
	health "$LABEL: after everything"
	check_eq "$LABEL: no CGI process left running" "$(pgrep -P "$SERVER_PID" | wc -l)" 0
	check "$LABEL: no sanitizer report in cgi-stderr.log" test -z "$(grep -E "$SAN_RE" "$LT_STATE/cgi-stderr.log")"
	check_eq "$LABEL: database integrity" "$(sql 'PRAGMA integrity_check')" ok
	server_stop
	json_flush
fi

echo "-- done in $(($(ms_since "$T0") / 1000)) s; ${#NOTES[@]} answers came from lighttpd itself"
summary
