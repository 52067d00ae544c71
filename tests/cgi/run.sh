#!/bin/bash
# run.sh: CGI tests: run the executable directly, as a web server would
# (CGI/1.1 variables in the environment, the body on stdin), and check the
# Status line, headers, body and database against /work/shared/API.md.
# Usage: tests/cgi/run.sh PATH_TO_AUTH_CGI
# Runs once per build (plain and ASan+UBSan): a sanitizer report, a crash,
# a hang (CGI_HANG_SECONDS, default 10, per request), a missing Status or
# an unexpected 5xx on any request is a failure. Last line: "N passed, N
# failed"; exit 1 on failure.
# VERBOSE=1 prints passes too.
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 PATH_TO_AUTH_CGI" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"
# shellcheck disable=SC1091
. "$here/../lib/cgi.sh"
CGI=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
HANG=${CGI_HANG_SECONDS:-10}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-cgi.XXXXXX")
LOCK_PID=""
cleanup() {
	if [ -n "$LOCK_PID" ]; then
		kill "$LOCK_PID" 2>/dev/null
		wait "$LOCK_PID" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
DB=$tmp/auth.db
export LC_ALL=C

UUID4_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
PW=b4l0u
NEWPW=t4rt1fl3tt3
# 128 bytes that no password policy would call common.
P128=$(printf '%s' "$( (echo a | sha256sum; echo b | sha256sum) | cut -c1-64)" | tr -d '\n')

# ---------------------------------------------------------------- runner

CASE=""      # name of the current case: prefix of every check's name
ALLOW_5XX="" # set to 1 around a request that is meant to answer 5xx
STDIN_FD3="" # set to 1 to give the CGI fd 3 as stdin (shared offset)
NREQ=0
RC=0

# cgi_file METHOD PATH_INFO FILE [NAME=VALUE | NAME=<unset>]...
# Runs the CGI with FILE on stdin and a CGI environment; NAME=VALUE pairs
# override it (NAME=<unset> removes NAME). CONTENT_LENGTH is FILE's size
# and CONTENT_TYPE form-urlencoded when FILE is not empty.
cgi_file() {
	local method=$1 path=$2 file=$3 len
	shift 3
	len=$(wc -c <"$file")
	cgi_env "$method" "$path" "$len" "$@"
	local envl=("${CGI_ENV[@]}")
	NREQ=$((NREQ + 1))
	local out=$tmp/out err=$tmp/err
	if [ -n "$STDIN_FD3" ]; then
		timeout "$HANG" env -i "${envl[@]}" "$CGI" <&3 >"$out" 2>"$err"
	else
		timeout "$HANG" env -i "${envl[@]}" "$CGI" <"$file" >"$out" 2>"$err"
	fi
	RC=$?
	resp_parse "$out"
	# Checks made on every request: only failures are counted.
	local what
	what="$CASE: $method $(printf '%q' "$path") (request $NREQ)"
	if [ $RC -eq 124 ]; then
		fail "$what" "timed out after $HANG s"
	elif [ $RC -ge 128 ]; then
		fail "$what" "killed by signal $((RC - 128))"
	elif [ $RC -eq 99 ]; then
		fail "$what" "exit 99: the sanitizers' exit code"
	fi
	if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)' "$err"; then
		fail "$what" "sanitizer report: $(grep -m 3 -E 'ERROR|runtime error|SUMMARY' "$err")"
	fi
	if [ -z "$R_STATUS" ]; then
		fail "$what" "no Status (exit $RC; stdout: $(head -c 200 "$out" | tr '\r\n' '  '); stderr: $(head -c 300 "$err"))"
	elif [ "${R_STATUS:0:1}" == 5 ] && [ -z "$ALLOW_5XX" ]; then
		fail "$what" "answered $R_STATUS (stderr: $(head -c 300 "$err"))"
	fi
	return 0
}

# cgi METHOD PATH_INFO BODY [NAME=VALUE...]: cgi_file with BODY as stdin.
cgi() {
	local method=$1 path=$2
	printf '%s' "$3" >"$tmp/in"
	shift 3
	cgi_file "$method" "$path" "$tmp/in" "$@"
}

# urlenc STRING: percent-encode everything but unreserved characters.
urlenc() {
	local s=$1 i c out=""
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[a-zA-Z0-9._~-]) out+=$c ;;
		*) printf -v c '%%%02X' "'$c"; out+=$c ;;
		esac
	done
	printf '%s' "$out"
}

# repeat CHAR N
repeat() {
	head -c "$2" /dev/zero | tr '\0' "$1"
}

# The headers and body every JSON answer has.
check_common() {
	check_header "$CASE: Content-Type" Content-Type application/json
	check_header "$CASE: Cache-Control" Cache-Control no-store
	check_no_injection
}

# expect STATUS [MESSAGE]: status, common headers, and the error message:
# exactly MESSAGE when given, else any non-empty one for a 4xx/5xx.
expect() {
	check_status "$CASE: status" "$1"
	check_common
	if [ $# -ge 2 ]; then
		check_message "$CASE: message" "$2"
	elif [ "${1:0:1}" -ge 4 ]; then
		check_has_message "$CASE: message"
	fi
}

# expect_json STATUS JSON: status, common headers, body exactly JSON.
expect_json() {
	check_status "$CASE: status" "$1"
	check_common
	check_body_exact "$CASE: body" "$2"
}

# expect_4xx: any 4xx with a JSON message (bad input, not fixed further).
expect_4xx() {
	check_match "$CASE: status 4xx" "$R_STATUS" '^4[0-9][0-9]$'
	check_header "$CASE: Content-Type" Content-Type application/json
	check_has_message "$CASE: message"
	check_no_injection
}

# check_no_injection: the header block is well formed (every line ends in
# CRLF or LF with no stray CR, every line is "Name: value"), and no header
# that a test tried to smuggle in appears.
check_no_injection() {
	local why
	why=$("$PY" - "$R_HEAD_RAW" <<'EOF'
import re, sys
raw = open(sys.argv[1], 'rb').read()
lines = raw.split(b'\n')
if lines and lines[-1] == b'':
    lines.pop()
for i, l in enumerate(lines):
    if l.endswith(b'\r'):
        l = l[:-1]
    if b'\r' in l:
        print('stray CR in header line %r' % l); sys.exit(1)
    if l == b'':
        if i != len(lines) - 1:
            print('blank line inside headers'); sys.exit(1)
        continue
    if not re.match(rb'^[A-Za-z0-9-]+: ?[\x20-\x7e\t]*$', l):
        print('malformed header line %r' % l); sys.exit(1)
    if l.lower().startswith(b'x-injected') or l.lower().startswith(b'set-cookie: evil'):
        print('injected header %r' % l); sys.exit(1)
EOF
)
	if [ -z "$why" ]; then
		ok "$CASE: header block well formed"
	else
		fail "$CASE: header block well formed" "$why"
	fi
}

# sid: the session_id value of the response's Set-Cookie ("" if none).
sid() {
	header_all Set-Cookie | sed -n 's/^session_id=\([^;]*\).*/\1/p' | head -n 1
}

# session_cookie: the whole Set-Cookie value for session_id.
session_cookie() {
	header_all Set-Cookie | grep '^session_id=' | head -n 1
}

# cookie_has ATTR: the session cookie has attribute ATTR (any case).
cookie_has() {
	local c attr
	c=$(session_cookie)
	IFS=';' read -r -a parts <<<"$c"
	for attr in "${parts[@]:1}"; do
		attr=${attr# }
		[ "${attr,,}" == "${1,,}" ] && return 0
	done
	return 1
}

# allow_set: the Allow header as a sorted, comma-joined set.
allow_set() {
	header_get Allow | tr ',' '\n' | tr -d ' ' | grep -v '^$' | sort | paste -sd, -
}

register() { cgi POST /users "email=$(urlenc "$1")&password=$(urlenc "$2")" "${@:3}"; }
login() {
	cgi POST /sessions "email=$(urlenc "$1")&password=$(urlenc "$2")" "${@:3}"
	SID=$(sid)
}
profile() { cgi GET /profile "" HTTP_COOKIE="session_id=$1" "${@:2}"; }
sql() { sqlite3 -batch -noheader "$DB" "$1" 2>&1; }

# --------------------------------------------------------------- database

CASE="init"
env -i PATH=/usr/bin:/bin AUTHCGI_DB="$DB" "$CGI" init >"$tmp/init.out" 2>"$tmp/init.err"
check_eq "$CASE: exits 0" "$?" 0
check_match "$CASE: sets PRAGMA user_version" "$(sql 'PRAGMA user_version')" '^[1-9][0-9]*$'
check_eq "$CASE: users table exists" "$(sql "SELECT count(*) FROM sqlite_master WHERE name='users'")" 1
env -i PATH=/usr/bin:/bin AUTHCGI_DB="$DB" "$CGI" init >/dev/null 2>&1
check_eq "$CASE: a second init succeeds" "$?" 0
if grep -q -E 'Sanitizer|runtime error:' "$tmp/init.err"; then
	fail "$CASE: sanitizer clean" "$(head -c 300 "$tmp/init.err")"
fi

# ------------------------------------------------------------------- GET /

CASE="GET /"
cgi GET / ""
expect_json 200 '{"message": "Bienvenue"}'

CASE="GET / with a query string"
cgi GET / "" QUERY_STRING="a=1&b=%zz"
expect_json 200 '{"message": "Bienvenue"}'

CASE="GET without PATH_INFO is the app root"
cgi GET "" "" PATH_INFO="<unset>"
expect_json 200 '{"message": "Bienvenue"}'

CASE="GET / without CONTENT_LENGTH"
cgi GET / "" CONTENT_LENGTH="<unset>"
expect_json 200 '{"message": "Bienvenue"}'

CASE="HEAD /"
cgi HEAD / ""
check_status "$CASE: status" 200
check_header "$CASE: Content-Type" Content-Type application/json
check_body_empty "$CASE: no body"

# ------------------------------------------------------ 404, 405, slashes

CASE="404 unknown path"
cgi GET /nope ""
expect 404 "not found"
CASE="404 unknown path, POST"
cgi POST /admin "email=a%40b.c"
expect 404 "not found"
CASE="404 HEAD has no body"
cgi HEAD /nope ""
check_status "$CASE: status" 404
check_body_empty "$CASE: no body"
CASE="404 path with a prefix of a route"
cgi GET /profiles ""
expect 404 "not found"
CASE="404 double trailing slash is not a route"
cgi GET /profile// ""
check_match "$CASE: status 404" "$R_STATUS" '^(404|403)$'

# path method allowed-set
while read -r path method want; do
	CASE="405 $method $path"
	cgi "$method" "$path" ""
	expect 405 "method not allowed"
	check_eq "$CASE: Allow" "$(allow_set)" "$want"
done <<'EOF'
/ POST GET,HEAD
/ DELETE GET,HEAD
/ PUT GET,HEAD
/users GET POST
/users DELETE POST
/users PATCH POST
/sessions PUT DELETE,GET,HEAD,POST
/sessions PATCH DELETE,GET,HEAD,POST
/profile POST GET,HEAD
/profile DELETE GET,HEAD
/reset_password GET POST,PUT
/reset_password DELETE POST,PUT
/reset_password/ GET POST,PUT
EOF
CASE="405 HEAD /users has no body"
cgi HEAD /users ""
check_status "$CASE: status" 405
check_match "$CASE: Allow names POST" "$(allow_set)" 'POST'
check_body_empty "$CASE: no body"

# ------------------------------------------------------------ POST /users

CASE="register"
register bob@example.com "$PW"
expect_json 200 '{"email": "bob@example.com", "message": "user created"}'
check_header_absent "$CASE: no Set-Cookie" Set-Cookie
check_eq "$CASE: row in users" "$(sql "SELECT email FROM users WHERE email = 'bob@example.com'")" bob@example.com
check_eq "$CASE: password not stored in clear" \
	"$(sql "SELECT count(*) FROM users WHERE password_hash LIKE '%$PW%'")" 0
check_match "$CASE: password stored as a yescrypt hash" \
	"$(sql "SELECT password_hash FROM users WHERE email = 'bob@example.com'")" '^[$]y[$]'
H1=$(sql "SELECT password_hash FROM users WHERE email = 'bob@example.com'")

CASE="register a second user with the same password"
register carol@example.com "$PW"
expect_json 200 '{"email": "carol@example.com", "message": "user created"}'
check "$CASE: salted (hashes differ)" test "$(sql "SELECT password_hash FROM users WHERE email = 'carol@example.com'")" != "$H1"

CASE="register a duplicate"
register bob@example.com "other-pass"
expect 400 "email already registered"
check_eq "$CASE: still one row" "$(sql "SELECT count(*) FROM users WHERE email = 'bob@example.com'")" 1

CASE="register a duplicate differing in case"
register Bob@Example.COM "$PW"
expect 400 "email already registered"
check_eq "$CASE: still one row" "$(sql "SELECT count(*) FROM users WHERE lower(email) = 'bob@example.com'")" 1

CASE="register with a trailing slash"
cgi POST /users/ "email=slash%40example.com&password=$PW"
expect_json 200 '{"email": "slash@example.com", "message": "user created"}'

CASE="register: chunked body without CONTENT_LENGTH (Apache mod_cgid)"
cgi POST /users "email=chunked%40example.com&password=$PW" \
	CONTENT_LENGTH="<unset>" HTTP_TRANSFER_ENCODING=chunked
expect_json 200 '{"email": "chunked@example.com", "message": "user created"}'
CASE="register: chunked body over AUTHCGI_MAX_BODY"
cgi POST /users "email=chunked2%40example.com&password=$PW&pad=$(repeat z 200)" \
	CONTENT_LENGTH="<unset>" HTTP_TRANSFER_ENCODING=chunked AUTHCGI_MAX_BODY=100
expect 413 "request body too large"
check_eq "$CASE: nothing stored" "$(sql "SELECT count(*) FROM users WHERE email = 'chunked2@example.com'")" 0
CASE="no CONTENT_LENGTH and not chunked: no body is read"
cgi POST /users "email=nolen%40example.com&password=$PW" CONTENT_LENGTH="<unset>"
expect 400 "email is required"

CASE="register: mixed-case email kept as registered"
register Dave.Mixed@Example.org "$PW"
expect_json 200 '{"email": "Dave.Mixed@Example.org", "message": "user created"}'

CASE="register: form charset parameter"
cgi POST /users "email=charset%40example.com&password=$PW" \
	CONTENT_TYPE="application/x-www-form-urlencoded; charset=UTF-8"
expect_json 200 '{"email": "charset@example.com", "message": "user created"}'

CASE="register: '+' decodes to a space"
register plus@example.com "$PW x"
expect_json 200 '{"email": "plus@example.com", "message": "user created"}'
cgi POST /sessions "email=plus%40example.com&password=$PW+x"
check_status "$CASE: login with '+' for space" 200
cgi POST /sessions "email=plus%40example.com&password=$PW%20x"
check_status "$CASE: login with %20 for space" 200

CASE="register: UTF-8 password"
register utf8@example.com "pässwörd€"
expect_json 200 '{"email": "utf8@example.com", "message": "user created"}'
login utf8@example.com "pässwörd€"
check_status "$CASE: login" 200

CASE="register: fields in another order, extra field ignored"
cgi POST /users "x=1&password=$PW&email=order%40example.com"
expect_json 200 '{"email": "order@example.com", "message": "user created"}'

CASE="register: JSON body"
cgi POST /users "{\"email\": \"json@example.com\", \"password\": \"$PW\"}" \
	CONTENT_TYPE=application/json
expect_json 200 '{"email": "json@example.com", "message": "user created"}'
CASE="register: JSON body with a charset"
cgi POST /users "{\"email\": \"json2@example.com\", \"password\": \"$PW\"}" \
	CONTENT_TYPE="application/json; charset=utf-8"
expect_json 200 '{"email": "json2@example.com", "message": "user created"}'

B=authcgi-test-boundary-7MA4YWxkTrZu0gW
printf -- '--%s\r\nContent-Disposition: form-data; name="email"\r\n\r\nmulti@example.com\r\n--%s\r\nContent-Disposition: form-data; name="password"\r\n\r\n%s\r\n--%s--\r\n' \
	"$B" "$B" "$PW" "$B" >"$tmp/multi"
CASE="register: multipart body"
cgi_file POST /users "$tmp/multi" CONTENT_TYPE="multipart/form-data; boundary=$B"
expect_json 200 '{"email": "multi@example.com", "message": "user created"}'
CASE="log in: multipart body, quoted boundary"
cgi_file POST /sessions "$tmp/multi" CONTENT_TYPE="multipart/form-data; boundary=\"$B\""
expect_json 200 '{"email": "multi@example.com", "message": "logged in"}'

CASE="register: multipart without a boundary"
cgi_file POST /users "$tmp/multi" CONTENT_TYPE="multipart/form-data"
expect_4xx

CASE="register: SQL metacharacters are data"
EVIL="o'hara%_--x@example.com"
register "$EVIL" "'; DROP TABLE users; --"
check_status "$CASE: status" 200
check_body_json "$CASE: email echoed" email "$EVIL"
login "$EVIL" "'; DROP TABLE users; --"
check_status "$CASE: login" 200
check_body_json "$CASE: login email" email "$EVIL"
check_eq "$CASE: users table intact" "$(sql "SELECT count(*) FROM users WHERE email = 'bob@example.com'")" 1
login "x' OR '1'='1@example.com" "' OR '1'='1"
check_status "$CASE: injection login fails" 401

# Missing and empty fields name the field.
while read -r path body field; do
	CASE="$path missing $field (${body:-empty body})"
	cgi POST "$path" "$body"
	expect 400 "$field is required"
done <<'EOF'
/users password=b4l0u email
/users email=&password=b4l0u email
/users email=nobody%40example.com password
/users email=nobody%40example.com&password= password
/sessions password=b4l0u email
/sessions email=bob%40example.com password
/reset_password x=1 email
/reset_password email= email
EOF
CASE="register: empty body names a field"
cgi POST /users "" CONTENT_LENGTH=0 CONTENT_TYPE="<unset>"
check_status "$CASE: status" 400
check_match "$CASE: message" "$(body_get message)" 'is required'
CASE="register: JSON missing password"
cgi POST /users '{"email": "j3@example.com"}' CONTENT_TYPE=application/json
expect 400 "password is required"
CASE="register: multipart missing password"
printf -- '--%s\r\nContent-Disposition: form-data; name="email"\r\n\r\nm3@example.com\r\n--%s--\r\n' "$B" "$B" >"$tmp/multi3"
cgi_file POST /users "$tmp/multi3" CONTENT_TYPE="multipart/form-data; boundary=$B"
expect 400 "password is required"

# Bad emails.
for e in plainaddress @example.com user@ "user@@example.com" "a@b@c.com" \
	"user name@example.com" "user@exa mple.com" "<a@b.c>" ""; do
	[ -z "$e" ] && continue
	CASE="register: bad email '$e'"
	register "$e" "$PW"
	expect 400 "invalid email"
done
CASE="register: email with CR/LF"
cgi POST /users "email=a%0d%0aX-Injected:%201%40example.com&password=$PW"
expect 400 "invalid email"

# Email length: 254 bytes is fine, 255 is not.
L64=$(repeat a 64)
D1=$(repeat b 63).$(repeat c 63).$(repeat d 61)
E254="$L64@$D1"
E255="$L64@$D1"x
CASE="register: 254-byte email"
check_eq "$CASE: test data is 254 bytes" "${#E254}" 254
register "$E254" "$PW"
expect_json 200 "{\"email\": \"$E254\", \"message\": \"user created\"}"
CASE="register: 255-byte email"
register "$E255" "$PW"
expect 400 "invalid email"
CASE="register: 60000-byte email"
register "$(repeat a 60000)@example.com" "$PW"
expect 400 "invalid email"

# Password bounds (defaults 5 and 128 bytes).
CASE="register: 4-character password"
register short@example.com abcd
expect 400 "password must be at least 5 characters"
CASE="register: 5-character password"
register five@example.com "q7x!Z"
expect_json 200 '{"email": "five@example.com", "message": "user created"}'
CASE="register: 128-byte password"
register p128@example.com "$P128"
expect_json 200 '{"email": "p128@example.com", "message": "user created"}'
login p128@example.com "$P128"
check_status "$CASE: login" 200
CASE="register: 129-byte password"
register p129@example.com "${P128}z"
expect 400 "password must be at most 128 bytes"
CASE="register: 60000-byte password"
register p60k@example.com "$(repeat p 60000)"
expect 400 "password must be at most 128 bytes"
CASE="register: configured minimum 8"
register min8@example.com abcdefg AUTHCGI_PASSWORD_MIN=8
expect 400 "password must be at least 8 characters"
CASE="register: configured maximum 10"
register max10@example.com abcdefghijk AUTHCGI_PASSWORD_MAX=10
expect 400 "password must be at most 10 bytes"
check_eq "$CASE: nothing stored" "$(sql "SELECT count(*) FROM users WHERE email IN ('short@example.com','p129@example.com','min8@example.com','max10@example.com')")" 0

# Encoding errors.
while read -r body why; do
	CASE="register: $why"
	cgi POST /users "$body"
	check_status "$CASE: status" 400
	check_common
	check_has_message "$CASE: message"
done <<'EOF'
email=bad%zz%40example.com&password=b4l0u malformed percent (%zz)
email=bad%40example.com&password=b4l0u%2 truncated percent (%2)
email=bad%40example.com&password=b4l0u% bare percent at the end
email=bad%00x%40example.com&password=b4l0u NUL in the email (%00)
email=bad%40example.com&password=b4%00l0u NUL in the password (%00)
email=bad%ff%40example.com&password=b4l0u invalid UTF-8 in the email (%ff)
email=bad%40example.com&password=b4l0u%c3%28 invalid UTF-8 in the password
email=bad%40example.com&password=b4l0u%c0%af overlong UTF-8 sequence
email=bad%40example.com&password=b4l0u%ed%a0%80 UTF-16 surrogate in UTF-8
EOF
CASE="register: raw NUL byte in the body"
printf 'email=nul%%40example.com&password=b4l\0l0u' >"$tmp/nul"
cgi_file POST /users "$tmp/nul"
check_status "$CASE: status" 400
check_common
check_eq "$CASE: nothing stored" "$(sql "SELECT count(*) FROM users WHERE email LIKE 'nul%' OR email LIKE 'bad%'")" 0
CASE="register: JSON with a NUL escape"
cgi POST /users "{\"email\": \"jn@example.com\", \"password\": \"b4\\u0000l0u\"}" CONTENT_TYPE=application/json
expect_4xx
CASE="register: invalid JSON"
cgi POST /users '{"email": "x@example.com", "password": ' CONTENT_TYPE=application/json
expect_4xx
CASE="register: JSON array"
cgi POST /users '["x@example.com", "b4l0u"]' CONTENT_TYPE=application/json
expect_4xx
CASE="register: JSON number for a field"
cgi POST /users '{"email": 5, "password": "b4l0u"}' CONTENT_TYPE=application/json
expect_4xx

# 415.
for ct in text/plain application/xml "application/x-www-form-urlencodedx" image/png; do
	CASE="register: Content-Type $ct"
	cgi POST /users "email=ct%40example.com&password=$PW" CONTENT_TYPE="$ct"
	expect 415 "unsupported content type"
done
check_eq "415: nothing stored" "$(sql "SELECT count(*) FROM users WHERE email = 'ct@example.com'")" 0

# Body size: 413 from CONTENT_LENGTH, nothing of the body stored. One of
# up to 1 MiB is read to its end and thrown away (a server that streams
# it, Apache's mod_cgid, drops the answer of a CGI that leaves it); a
# longer one is not read at all.
repeat a 1000000 >"$tmp/big"
CASE="413: CONTENT_LENGTH over AUTHCGI_MAX_BODY"
before=$(sql .dump)
exec 3<"$tmp/big"
STDIN_FD3=1
cgi_file POST /users "$tmp/big" AUTHCGI_MAX_BODY=1024
STDIN_FD3=""
pos=$(awk '$1 == "pos:" {print $2}' "/proc/$$/fdinfo/3")
exec 3<&-
expect 413 "request body too large"
check_eq "$CASE: stdin read to its end" "$pos" 1000000
check_eq "$CASE: data unchanged" "$(sql .dump)" "$before"
repeat a 2000000 >"$tmp/big2"
CASE="413: CONTENT_LENGTH over 1 MiB"
exec 3<"$tmp/big2"
STDIN_FD3=1
cgi_file POST /users "$tmp/big2"
STDIN_FD3=""
pos=$(awk '$1 == "pos:" {print $2}' "/proc/$$/fdinfo/3")
exec 3<&-
expect 413 "request body too large"
check_eq "$CASE: stdin not read" "$pos" 0
CASE="413: default limit (65536), body 65537 bytes"
head -c 65537 "$tmp/big" >"$tmp/b65537"
cgi_file POST /users "$tmp/b65537"
expect 413 "request body too large"
CASE="413: huge CONTENT_LENGTH from a pipe does not hang"
head -c 5000000 /dev/zero | timeout "$HANG" env -i PATH=/usr/bin:/bin REQUEST_METHOD=POST \
	PATH_INFO=/users SCRIPT_NAME= CONTENT_TYPE=application/x-www-form-urlencoded \
	CONTENT_LENGTH=5000000 AUTHCGI_DB="$DB" "$CGI" >"$tmp/out" 2>"$tmp/err"
rc=${PIPESTATUS[1]}
resp_parse "$tmp/out"
check "$CASE: finished (exit $rc)" test "$rc" -ne 124
expect 413 "request body too large"
CASE="413: CONTENT_LENGTH beyond 64 bits"
cgi POST /users "email=x" CONTENT_LENGTH=99999999999999999999999
check_match "$CASE: status 400 or 413" "$R_STATUS" '^(400|413)$'
check_common
CASE="body at the limit is read"
cgi POST /users "email=limit%40example.com&password=$PW&pad=$(repeat z 100)" AUTHCGI_MAX_BODY=150
check_status "$CASE: status" 200

# Short bodies and bad lengths.
CASE="400: body shorter than CONTENT_LENGTH"
cgi POST /users "email=short%40example.com&password=$PW" CONTENT_LENGTH=100
check_status "$CASE: status" 400
check_common
check_has_message "$CASE: message"
check_eq "$CASE: nothing stored" "$(sql "SELECT count(*) FROM users WHERE email = 'short@example.com'")" 0
CASE="400: CONTENT_LENGTH negative"
cgi POST /users "email=x%40example.com&password=$PW" CONTENT_LENGTH=-5
expect_4xx
CASE="400: CONTENT_LENGTH not a number"
cgi POST /users "email=x%40example.com&password=$PW" CONTENT_LENGTH=12abc
expect_4xx
CASE="too many fields (AUTHCGI_MAX_FIELDS=3)"
cgi POST /users "a=1&b=2&c=3&d=4&email=many%40example.com&password=$PW" AUTHCGI_MAX_FIELDS=3
expect_4xx
CASE="very long field name"
cgi POST /users "$(repeat n 30000)=1&email=longname%40example.com&password=$PW"
check_match "$CASE: status 200 or 4xx" "$R_STATUS" '^(200|4[0-9][0-9])$'

# ---------------------------------------------------------- POST /sessions

CASE="log in"
login bob@example.com "$PW"
expect_json 200 '{"email": "bob@example.com", "message": "logged in"}'
BOB_SID=$SID
check_match "$CASE: session_id is a UUIDv4" "$BOB_SID" "$UUID4_RE"
check "$CASE: cookie HttpOnly" cookie_has HttpOnly
check "$CASE: cookie SameSite=Lax" cookie_has SameSite=Lax
check "$CASE: cookie Path=/" cookie_has Path=/
check "$CASE: no Secure over plain HTTP" test -z "$(cookie_has Secure && echo y)"
check_eq "$CASE: session id not stored in clear" \
	"$(sql "SELECT count(*) FROM sessions WHERE CAST(token_hash AS TEXT) = '$BOB_SID' OR lower(hex(token_hash)) = lower(hex('$BOB_SID'))")" 0
check_eq "$CASE: one session row" "$(sql "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'bob@example.com'")" 1

CASE="log in: email in another case answers the email as registered"
login BOB@example.com "$PW"
expect_json 200 '{"email": "bob@example.com", "message": "logged in"}'
login dave.mixed@example.org "$PW"
expect_json 200 '{"email": "Dave.Mixed@Example.org", "message": "logged in"}'

CASE="log in twice: two different sessions"
login bob@example.com "$PW"
BOB_SID2=$SID
check "$CASE: ids differ" test "$BOB_SID2" != "$BOB_SID"

CASE="log in over HTTPS: Secure cookie"
login carol@example.com "$PW" HTTPS=on
check_status "$CASE: status" 200
check "$CASE: Secure" cookie_has Secure
check "$CASE: HttpOnly" cookie_has HttpOnly
CAROL_SID=$SID

CASE="log in with AUTHCGI_COOKIE_SECURE=1: Secure cookie"
login carol@example.com "$PW" AUTHCGI_COOKIE_SECURE=1
check_status "$CASE: status" 200
check "$CASE: Secure" cookie_has Secure

CASE="log in under SCRIPT_NAME=/auth: cookie Path=/auth"
login carol@example.com "$PW" SCRIPT_NAME=/auth
check_status "$CASE: status" 200
check "$CASE: Path=/auth" cookie_has Path=/auth

CASE="log in: wrong password"
login bob@example.com "wrong-password"
expect 401 "wrong email or password"
check_eq "$CASE: no session_id cookie" "$(header_all Set-Cookie | grep -c session_id)" 0
cp "$R_BODY_FILE" "$tmp/401a"
CASE="log in: unknown email"
login nobody@example.com "$PW"
expect 401 "wrong email or password"
check_eq "$CASE: no session_id cookie" "$(header_all Set-Cookie | grep -c session_id)" 0
check "$CASE: same body as a wrong password" cmp -s "$R_BODY_FILE" "$tmp/401a"
CASE="log in: password of another account"
login carol@example.com "$P128"
expect 401 "wrong email or password"
CASE="log in: JSON body"
cgi POST /sessions "{\"email\": \"json@example.com\", \"password\": \"$PW\"}" CONTENT_TYPE=application/json
expect_json 200 '{"email": "json@example.com", "message": "logged in"}'
CASE="log in: trailing slash"
cgi POST /sessions/ "email=bob%40example.com&password=$PW"
expect_json 200 '{"email": "bob@example.com", "message": "logged in"}'
CASE="log in: 415"
cgi POST /sessions "email=bob%40example.com&password=$PW" CONTENT_TYPE=text/plain
expect 415 "unsupported content type"

# ------------------------------------------------------------ GET /profile

CASE="profile"
profile "$BOB_SID"
expect_json 200 '{"email": "bob@example.com"}'
check_header_absent "$CASE: no Set-Cookie" Set-Cookie
CASE="profile: trailing slash"
cgi GET /profile/ "" HTTP_COOKIE="session_id=$BOB_SID"
expect_json 200 '{"email": "bob@example.com"}'
CASE="profile: among other cookies"
cgi GET /profile "" HTTP_COOKIE="theme=dark; session_id=$BOB_SID; lang=fr"
expect_json 200 '{"email": "bob@example.com"}'
CASE="profile: registered case"
login dave.mixed@example.org "$PW"
profile "$SID"
expect_json 200 '{"email": "Dave.Mixed@Example.org"}'
CASE="profile: HEAD"
cgi HEAD /profile "" HTTP_COOKIE="session_id=$BOB_SID"
check_status "$CASE: status" 200
check_header "$CASE: Content-Type" Content-Type application/json
check_body_empty "$CASE: no body"
CASE="profile: no cookie"
cgi GET /profile ""
expect 403 "not logged in"
CASE="profile: other cookies only"
cgi GET /profile "" HTTP_COOKIE="theme=dark"
expect 403 "not logged in"
CASE="profile: empty session_id"
profile ""
expect 403 "not logged in"
CASE="profile: unknown session id"
profile "$(cat /proc/sys/kernel/random/uuid)"
expect 403 "not logged in"
CASE="profile: malformed session id"
profile "not-a-uuid'; DROP TABLE sessions; --"
expect 403 "not logged in"
CASE="profile: session id in upper case"
profile "${BOB_SID^^}"
check_match "$CASE: 403 or 200" "$R_STATUS" '^(200|403)$'
CASE="profile: cookie with CR/LF"
cgi GET /profile "" HTTP_COOKIE=$'session_id=abc\r\nX-Injected: 1'
expect 403 "not logged in"
CASE="profile: cookie header over AUTHCGI_MAX_HEADER"
profile "$BOB_SID; pad=$(repeat x 9000)"
expect_4xx
CASE="profile: session id of 10000 bytes"
profile "$(repeat a 10000)"
expect_4xx

# -------------------------------------------------------- DELETE /sessions

CASE="log out"
login bob@example.com "$PW"
OUT_SID=$SID
cgi DELETE /sessions "" HTTP_COOKIE="session_id=$OUT_SID"
check_status "$CASE: status" 302
check_header "$CASE: Location" Location /
check_header "$CASE: Content-Type" Content-Type application/json
check_header "$CASE: Cache-Control" Cache-Control no-store
check_no_injection
check_match "$CASE: cookie cleared" "$(session_cookie)" '^session_id=;'
check "$CASE: Max-Age=0" cookie_has Max-Age=0
check "$CASE: cookie Path=/" cookie_has Path=/
CASE="log out: the session has ended"
profile "$OUT_SID"
expect 403 "not logged in"
check_eq "$CASE: session row gone" "$(sql "SELECT count(*) FROM sessions WHERE lower(hex(token_hash)) = lower(hex('$OUT_SID'))")" 0
CASE="log out: only that session"
profile "$BOB_SID"
expect_json 200 '{"email": "bob@example.com"}'
profile "$BOB_SID2"
check_status "$CASE: second session" 200
CASE="log out again with the ended session"
cgi DELETE /sessions "" HTTP_COOKIE="session_id=$OUT_SID"
expect 403 "not logged in"
CASE="log out without a cookie"
cgi DELETE /sessions ""
expect 403 "not logged in"
CASE="log out with a malformed cookie"
cgi DELETE /sessions "" HTTP_COOKIE="session_id=%0d%0aX-Injected: 1"
expect 403 "not logged in"
CASE="log out under SCRIPT_NAME=/auth"
login bob@example.com "$PW"
cgi DELETE /sessions "" HTTP_COOKIE="session_id=$SID" SCRIPT_NAME=/auth
check_status "$CASE: status" 302
check_header "$CASE: Location" Location /auth/
check "$CASE: cookie Path=/auth" cookie_has Path=/auth
CASE="log out: trailing slash, HTTPS"
login bob@example.com "$PW"
cgi DELETE /sessions/ "" HTTP_COOKIE="session_id=$SID" HTTPS=on
check_status "$CASE: status" 302
check_header "$CASE: Location" Location /
check "$CASE: Secure" cookie_has Secure
CASE="log out: SCRIPT_NAME with CR/LF is not echoed"
login bob@example.com "$PW"
# SCRIPT_NAME comes from the web server, not the client: any answer will
# do (even a 5xx) as long as the CR/LF does not reach a header.
ALLOW_5XX=1
cgi DELETE /sessions "" HTTP_COOKIE="session_id=$SID" SCRIPT_NAME=$'/a\r\nX-Injected: 1'
ALLOW_5XX=""
check_no_injection

CASE="PATH_INFO with CR/LF"
cgi GET $'/x\r\nX-Injected: 1' ""
expect 404 "not found"
CASE="PATH_INFO with %0d%0a"
cgi GET '/x%0d%0aSet-Cookie:%20evil=1' ""
expect 404 "not found"
CASE="PATH_INFO with a NUL-free control byte"
cgi GET $'/profile\x01' ""
expect 404 "not found"

# ----------------------------------------------------- POST /reset_password

CASE="reset token"
login bob@example.com "$PW"
R_SID1=$SID
cgi POST /reset_password "email=bob%40example.com"
check_status "$CASE: status" 200
check_common
TOKEN=$(body_get reset_token)
check_match "$CASE: token is a UUIDv4" "$TOKEN" "$UUID4_RE"
check_body_exact "$CASE: body" "{\"email\": \"bob@example.com\", \"reset_token\": \"$TOKEN\"}"
check_eq "$CASE: token not stored in clear" \
	"$(sql "SELECT count(*) FROM reset_tokens WHERE CAST(token_hash AS TEXT) = '$TOKEN' OR lower(hex(token_hash)) = lower(hex('$TOKEN'))")" 0
CASE="reset token: unknown email"
cgi POST /reset_password "email=nobody%40example.com"
expect 403 "email not registered"
CASE="reset token: invalid email"
cgi POST /reset_password "email=nobody"
check_match "$CASE: status 400 or 403" "$R_STATUS" '^(400|403)$'
CASE="reset token: JSON body, trailing slash"
cgi POST /reset_password/ '{"email": "carol@example.com"}' CONTENT_TYPE=application/json
check_status "$CASE: status" 200
CAROL_TOKEN=$(body_get reset_token)
check_match "$CASE: token is a UUIDv4" "$CAROL_TOKEN" "$UUID4_RE"
CASE="reset token: email in another case"
cgi POST /reset_password "email=DAVE.MIXED%40example.org"
check_status "$CASE: status" 200
check_body_json "$CASE: email as registered" email Dave.Mixed@Example.org

# ------------------------------------------------------ PUT /reset_password

put_reset() {
	cgi PUT /reset_password "email=$(urlenc "$1")&reset_token=$(urlenc "$2")&new_password=$(urlenc "$3")" "${@:4}"
}
CASE="update password: token of another account"
put_reset bob@example.com "$CAROL_TOKEN" "$NEWPW"
expect 403 "invalid reset token"
CASE="update password: random token"
put_reset bob@example.com "$(cat /proc/sys/kernel/random/uuid)" "$NEWPW"
expect 403 "invalid reset token"
CASE="update password: malformed token"
put_reset bob@example.com "' OR 1=1 --" "$NEWPW"
expect 403 "invalid reset token"
CASE="update password: unknown email"
put_reset nobody@example.com "$TOKEN" "$NEWPW"
check_status "$CASE: status" 403
CASE="update password: wrong token and a short password: 403, not 400"
put_reset bob@example.com "$(cat /proc/sys/kernel/random/uuid)" abc
expect 403 "invalid reset token"
CASE="update password: wrong token and no new password: 403"
cgi PUT /reset_password "email=bob%40example.com&reset_token=$CAROL_TOKEN"
expect 403 "invalid reset token"
CASE="update password: unknown email and a short password: 403"
put_reset nobody@example.com "$TOKEN" abc
expect 403 "invalid reset token"
CASE="update password: password too short keeps the token"
put_reset bob@example.com "$TOKEN" abc
expect 400 "password must be at least 5 characters"
CASE="update password: too long"
put_reset bob@example.com "$TOKEN" "${P128}z"
expect 400 "password must be at most 128 bytes"
for f in email reset_token new_password; do
	CASE="update password: missing $f"
	body="email=bob%40example.com&reset_token=$TOKEN&new_password=$NEWPW"
	body=$(sed "s/\(^\|&\)$f=[^&]*//; s/^&//" <<<"$body")
	cgi PUT /reset_password "$body"
	expect 400 "$f is required"
done
CASE="update password: 415"
put_reset bob@example.com "$TOKEN" "$NEWPW" CONTENT_TYPE=text/plain
expect 415 "unsupported content type"
CASE="update password"
put_reset bob@example.com "$TOKEN" "$NEWPW"
expect_json 200 '{"email": "bob@example.com", "message": "Password updated"}'
CASE="update password: sessions outlive it (default profile)"
for s in "$BOB_SID" "$BOB_SID2" "$R_SID1"; do
	profile "$s"
	expect_json 200 '{"email": "bob@example.com"}'
done
CASE="update password: other accounts keep their sessions"
profile "$CAROL_SID"
expect_json 200 '{"email": "carol@example.com"}'
CASE="update password: AUTHCGI_RESET_ENDS_SESSIONS=1 ends every session"
cgi POST /reset_password "email=bob%40example.com"
T3=$(body_get reset_token)
put_reset bob@example.com "$T3" "$NEWPW" AUTHCGI_RESET_ENDS_SESSIONS=1
expect_json 200 '{"email": "bob@example.com", "message": "Password updated"}'
for s in "$BOB_SID" "$BOB_SID2" "$R_SID1"; do
	profile "$s"
	expect 403 "not logged in"
done
check_eq "$CASE: no session rows" "$(sql "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'bob@example.com'")" 0
CASE="update password: token is single use"
put_reset bob@example.com "$TOKEN" "another-pass"
expect 403 "invalid reset token"
CASE="update password: old password refused"
login bob@example.com "$PW"
expect 401 "wrong email or password"
CASE="update password: new password works"
login bob@example.com "$NEWPW"
expect_json 200 '{"email": "bob@example.com", "message": "logged in"}'
CASE="update password: JSON body"
cgi PUT /reset_password "{\"email\": \"carol@example.com\", \"reset_token\": \"$CAROL_TOKEN\", \"new_password\": \"$NEWPW\"}" CONTENT_TYPE=application/json
expect_json 200 '{"email": "carol@example.com", "message": "Password updated"}'
login carol@example.com "$NEWPW"
check_status "$CASE: new password works" 200
CASE="update password: a new token replaces the old one"
cgi POST /reset_password "email=five%40example.com"
T1=$(body_get reset_token)
cgi POST /reset_password "email=five%40example.com"
T2=$(body_get reset_token)
check "$CASE: tokens differ" test "$T1" != "$T2"
put_reset five@example.com "$T2" "f1v3-f1v3"
expect_json 200 '{"email": "five@example.com", "message": "Password updated"}'
CASE="update password: multipart body"
cgi POST /reset_password "email=multi%40example.com"
MT=$(body_get reset_token)
printf -- '--%s\r\nContent-Disposition: form-data; name="email"\r\n\r\nmulti@example.com\r\n--%s\r\nContent-Disposition: form-data; name="reset_token"\r\n\r\n%s\r\n--%s\r\nContent-Disposition: form-data; name="new_password"\r\n\r\n%s\r\n--%s--\r\n' \
	"$B" "$B" "$MT" "$B" "$NEWPW" "$B" >"$tmp/multi4"
cgi_file PUT /reset_password "$tmp/multi4" CONTENT_TYPE="multipart/form-data; boundary=$B"
expect_json 200 '{"email": "multi@example.com", "message": "Password updated"}'

# ----------------------------------------------------------------- expiry

CASE="expiry setup"
register idle@example.com "$PW"
login idle@example.com "$PW"
IDLE_SID=$SID
login idle@example.com "$PW"
MAX_SID=$SID
login idle@example.com "$PW"
LIVE_SID=$SID
cgi POST /reset_password "email=idle%40example.com"
TTL_TOKEN=$(body_get reset_token)
check "$CASE: have ids" test -n "$IDLE_SID" -a -n "$MAX_SID" -a -n "$TTL_TOKEN"
sleep 2.2
CASE="session idle timeout (AUTHCGI_SESSION_IDLE=1)"
profile "$IDLE_SID" AUTHCGI_SESSION_IDLE=1
expect 403 "not logged in"
CASE="session absolute lifetime (AUTHCGI_SESSION_MAX=1)"
profile "$MAX_SID" AUTHCGI_SESSION_MAX=1
expect 403 "not logged in"
CASE="session within the default lifetimes"
profile "$LIVE_SID"
expect_json 200 '{"email": "idle@example.com"}'
CASE="reset token expiry (AUTHCGI_RESET_TTL=1)"
# The TTL is fixed when the token is issued, or checked at use: either way
# a 1 s TTL has run out after 2 s.
cgi POST /reset_password "email=idle%40example.com" AUTHCGI_RESET_TTL=1
TTL_TOKEN2=$(body_get reset_token)
sleep 2.2
put_reset idle@example.com "$TTL_TOKEN2" "$NEWPW" AUTHCGI_RESET_TTL=1
expect 403 "invalid reset token"
login idle@example.com "$NEWPW"
check_status "$CASE: password unchanged" 401

# A request that writes many pages: a password reset ending 20,000
# sessions (about 500 pages of table and index) must fit the memory a CGI
# process gives SQLite, and spill to the WAL past the page cache's size.
CASE="reset ending 20,000 sessions"
register many@example.com "$PW"
expect 200
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
	INSERT INTO sessions (token_hash, user_id, created_at, last_seen)
	SELECT randomblob(32), (SELECT id FROM users WHERE email = 'many@example.com'),
	strftime('%s', 'now'), strftime('%s', 'now') FROM n" >/dev/null
check_eq "$CASE: sessions before" \
	"$(sql "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'many@example.com'")" 20000
cgi POST /reset_password "email=many%40example.com"
expect 200
put_reset many@example.com "$(body_get reset_token)" "$NEWPW" \
	AUTHCGI_RESET_ENDS_SESSIONS=1
expect 200
check_eq "$CASE: sessions after" \
	"$(sql "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'many@example.com'")" 0
login many@example.com "$NEWPW"
check_status "$CASE: new password works" 200

# ---------------------------------------------------------- server faults

CASE="503: database directory missing"
ALLOW_5XX=1
cgi POST /users "email=fault%40example.com&password=$PW" AUTHCGI_DB="$tmp/missing/dir/auth.db"
ALLOW_5XX=""
expect 503
check "$CASE: cause logged to stderr" test -s "$tmp/err"

CASE="503: database locked past the busy timeout"
# A writer holds the lock until the request is answered (at most 60 s):
# the app waits 300 ms, then answers 503, however slowly it runs.
(
	echo "BEGIN IMMEDIATE; INSERT INTO users (email, password_hash, created_at) VALUES ('locker@example.com', 'x', 0);"
	for _ in $(seq 1 600); do
		[ -e "$tmp/unlock" ] && break
		sleep 0.1
	done
	echo "COMMIT;"
) | sqlite3 "$DB" >/dev/null 2>&1 &
LOCK_PID=$!
# Wait (at most 3 s) until the lock is held: a write then fails at once.
for _ in $(seq 1 30); do
	sqlite3 "$DB" "PRAGMA busy_timeout = 0; BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1 || break
	sleep 0.1
done
ALLOW_5XX=1
start=$(date +%s%N)
register locked@example.com "$PW" AUTHCGI_BUSY_TIMEOUT=300
elapsed=$((($(date +%s%N) - start) / 1000000))
ALLOW_5XX=""
expect 503
check "$CASE: answered after the busy timeout (${elapsed} ms)" test "$elapsed" -ge 250
check "$CASE: the lock still held" kill -0 "$LOCK_PID"
touch "$tmp/unlock"
wait "$LOCK_PID" 2>/dev/null
LOCK_PID=""
CASE="after the lock: committed data intact"
login bob@example.com "$NEWPW"
check_status "$CASE: login" 200
check_eq "$CASE: locker row committed" "$(sql "SELECT count(*) FROM users WHERE email = 'locker@example.com'")" 1
check_eq "$CASE: locked registration not stored" "$(sql "SELECT count(*) FROM users WHERE email = 'locked@example.com'")" 0

check_eq "database passes integrity_check" "$(sql 'PRAGMA integrity_check')" ok

echo "($NREQ requests to $CGI)"
summary
