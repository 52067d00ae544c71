#!/bin/bash
# probes.sh: what an attacker learns from outside, and what the service
# keeps of what people type. Runs the executable directly with CGI
# variables (as a web server would) and through a real lighttpd.
#
#   1. account discovery: a known and an unknown email get the same
#      status, body, audit event and count toward the lockout, whatever
#      the password's length or bytes (never a 5xx);
#   2. hardened reset requests: a known and an unknown email make the
#      same system calls in the request (the same write, the same process
#      started), and only the known one's delivery runs a command;
#   3. (the lockout's sliding window is in tests/unit/test_auth.c, with
#      the injectable clock)
#   4. no email typed at log-in or reset, nor a client address, is kept
#      in clear in any file the service writes;
#   5. "email already registered" counts toward the address's limit and
#      runs no password hash; 1,000 new accounts from one address do not.
#
# Usage: tests/security/probes.sh PATH_TO_AUTH_CGI   (after make)
# Last line: "N passed, N failed"; exit 1 on failure. VERBOSE=1 prints
# passes too. Traffic goes to 127.0.0.1 only.
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 PATH_TO_AUTH_CGI" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$root/tests/lib/assert.sh"
# shellcheck disable=SC1091
. "$root/tests/lib/cgi.sh"
# shellcheck disable=SC1091
. "$root/tests/lib/server.sh"
CGI=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
export LC_ALL=C

for v in $(compgen -e); do
	case $v in AUTHCGI_*) unset "$v" ;; esac
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-probes.XXXXXX")
cleanup() {
	server_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PW=Pr0be-pass-81x
NREQ=0

# run METHOD PATH BODY [NAME=VALUE...]: the CGI with BODY on stdin and a
# CGI environment (DB, AUDIT and REMOTE_ADDR from the caller's variables);
# fills R_STATUS, R_HEADERS, R_BODY_FILE.
DB=$tmp/auth.db
AUDIT=$tmp/audit.log
run() {
	local m=$1 p=$2 b=$3
	shift 3
	NREQ=$((NREQ + 1))
	printf %s "$b" >"$tmp/in"
	cgi_env "$m" "$p" "${#b}" REMOTE_ADDR="${ADDR:-10.9.8.7}" \
		AUTHCGI_AUDIT_LOG="$AUDIT" AUTHCGI_HASH_COST="${COST:-5}" "$@"
	timeout 20 env -i "${CGI_ENV[@]}" "$CGI" <"$tmp/in" >"$tmp/out" \
		2>>"$tmp/stderr"
	resp_parse "$tmp/out"
	if [ "${R_STATUS:0:1}" == 5 ] || [ -z "$R_STATUS" ]; then
		fail "request $NREQ ($m $p) answered '${R_STATUS:-nothing}'" \
			"$(tail -n 2 "$tmp/stderr")"
	fi
}
# form NAME VALUE...: an urlencoded body (bash only: it runs a thousand
# times below).
form() {
	local out="" s c i
	while [ $# -ge 2 ]; do
		s=$2
		out+="${out:+&}$1="
		for ((i = 0; i < ${#s}; i++)); do
			c=${s:i:1}
			case $c in
			[a-zA-Z0-9._~-]) out+=$c ;;
			*) out+=$(printf '%%%02X' "'$c") ;;
			esac
		done
		shift 2
	done
	printf %s "$out"
}
# last_events N: the events of the audit log's last N lines.
last_events() {
	tail -n "$1" "$AUDIT" | python3 -c '
import json, sys
print(" ".join(json.loads(l)["event"] for l in sys.stdin if l.strip()))'
}
# count_under KIND SCOPE VALUE: failures counted under that key.
count_under() {
	local key
	key=$(python3 "$root/tests/lib/keyed.py" "$DB.key" "$1" "$2" "$3") || return 1
	sqlite3 "$DB" "SELECT count(*) FROM throttle_events WHERE key = '$key'"
}

# urlq STRING: percent-encode (python: the passwords below are long and
# not ASCII).
urlq() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""), end="")' "$1"; }

# ======================================================================
echo "-- 1. account discovery: long and odd passwords"
run POST /users "$(form email known@example.com password "$PW")"
check_status "setup: register" 200
# A password of each length (bytes: UTF-8 letters, a control character),
# for the known email and an unknown one, each from its own address so
# that the address limit does not interfere.
i=0
for len in 1 127 128 129 200 511 512 513 600 4096 60000; do
	i=$((i + 1))
	pw=$(python3 -c 'import sys; n = int(sys.argv[1]); s = ("a\x01é" * n).encode()[:n]
while True:
    try:
        print(s.decode(), end=""); break
    except UnicodeDecodeError:
        s = s[:-1]' "$len")
	for who in known unknown; do
		ADDR=10.0.$i.$([ $who == known ] && echo 1 || echo 2)
		run POST /sessions "email=$who%40example.com&password=$(urlq "$pw")" \
			AUTHCGI_MAX_BODY=200000 AUTHCGI_LOCK_ACCOUNT=100
		cp "$R_BODY_FILE" "$tmp/$who.body"
		eval "st_$who=\$R_STATUS"
		eval "ev_$who=\$(last_events 1)"
	done
	check_eq "len $len: same status, 401" "$st_known/$st_unknown" "401/401"
	check "len $len: same body" cmp -s "$tmp/known.body" "$tmp/unknown.body"
	check_eq "len $len: same audit event" "$ev_known/$ev_unknown" \
		"login_failure/login_failure"
done
check_body_json "long password: the message" message "wrong email or password"
ADDR=""
check_eq "each known-email failure counted" \
	"$(count_under login account known@example.com)" 11
check_eq "each unknown-email failure counted alike" \
	"$(count_under login account unknown@example.com)" 11
run POST /sessions "$(form email known@example.com)"
check_status "a missing password: 400" 400
check_message "a missing password: the message" "password is required"

# The probe of the report: 512 bytes, unknown emails, one address, 60
# times: the address's limit (50) holds.
codes=""
long=$(printf 'a%.0s' $(seq 1 512))
for n in $(seq 1 55); do
	ADDR=10.7.7.7 run POST /sessions \
		"$(form email "nobody$n@example.com" password "$long")"
	codes+="$R_STATUS "
done
check_eq "probe: 50 answers 401, then 429" "$codes" \
	"$(printf '401 %.0s' $(seq 1 50))$(printf '429 %.0s' $(seq 1 5))"

# ======================================================================
echo "-- 2. hardened reset requests: the same work for a known email"
MAIL=$tmp/mail.txt
HARD=(AUTHCGI_PROFILE=hardened "AUTHCGI_RESET_COMMAND=cat >> $MAIL"
	AUTHCGI_SECRET_KEY_FILE="$DB.key")
: >"$MAIL"
run POST /users "$(form email hard@example.com password Hardened-pass-1234)" \
	"${HARD[@]}"
check_status "hardened: register" 200
# trace WHO EMAIL: one reset request under strace -f; the syscalls that
# hand the message on go to $tmp/trace.WHO.
trace() {
	printf %s "email=$2" >"$tmp/in"
	cgi_env POST /reset_password "$((${#2} + 6))" REMOTE_ADDR=10.5.5.5 \
		AUTHCGI_AUDIT_LOG="$AUDIT" "${HARD[@]}"
	timeout 20 strace -f -qq -o "$tmp/trace.$1" \
		-e trace=pipe,pipe2,write,clone,clone3,fork,vfork,wait4,execve \
		env -i "${CGI_ENV[@]}" "$CGI" <"$tmp/in" >"$tmp/out" 2>>"$tmp/stderr"
	resp_parse "$tmp/out"
}
# work FILE: the request process's own calls that hand the message on
# (pipe, writes to the pipe with their sizes, fork, wait), then whether
# any process ran /bin/sh.
work() {
	python3 - "$1" <<'EOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
pids = [l.split()[0] for l in lines]
req = None
out, pipes, shell = [], set(), "no command"
for l in lines:
    pid, call = l.split(None, 1)
    if "execve(" in call:
        if req is None:
            req = pid  # env's exec of auth.cgi: the request process
        elif '"/bin/sh"' in call:
            shell = "command run"
        continue
    if pid != req:
        continue
    m = re.match(r"pipe2?\(\[(\d+), (\d+)\]", call)
    if m:
        pipes.add(m.group(2)); out.append("pipe"); continue
    m = re.match(r"write\((\d+), .*\) = (\d+)", call)
    if m and m.group(1) in pipes:
        out.append("write %s" % m.group(2)); continue
    if re.match(r"(clone3?|v?fork)\(", call):
        out.append("fork"); continue
    if call.startswith("wait4("):
        out.append("wait")
print(" ".join(out) + " | " + shell)
EOF
}
if command -v strace >/dev/null; then
	trace known hard@example.com
	check_status "hardened: known email 200" 200
	cp "$R_BODY_FILE" "$tmp/k.body"
	trace unknown hardx@example.com
	check_status "hardened: unknown email 200" 200
	wk=$(work "$tmp/trace.known")
	wu=$(work "$tmp/trace.unknown")
	echo "   known:   $wk"
	echo "   unknown: $wu"
	check_eq "hardened: the request's work is the same" "${wk% | *}" "${wu% | *}"
	# (LeakSanitizer adds a clone of its own at exit in sanitized builds)
	check_match "hardened: one pipe, one 4096-byte write, one process" \
		"${wk% | *}" '^pipe write 4096 fork wait( fork wait)?$'
	check_eq "hardened: the known email's delivery runs the command" \
		"${wk#* | }" "command run"
	check_eq "hardened: the unknown email's runs nothing" "${wu#* | }" \
		"no command"
	for _ in $(seq 1 100); do
		grep -q 'ignore this message' "$MAIL" && break
		sleep 0.05
	done
	check_eq "hardened: one message, to the known email" \
		"$(grep '^To: ' "$MAIL")" "To: hard@example.com"
else
	fail "hardened: strace" "strace is not installed"
fi

# ======================================================================
echo "-- 4. what people type is not kept"
TYPED=(Typo-Secret-7731@example.org "c0rrect-horse@nowhere.test"
	"'; DROP TABLE users; --@x.org")
for t in "${TYPED[@]}"; do
	ADDR=192.0.2.77 run POST /sessions "$(form email "$t" password "$PW")"
	check_status "typed '$t': log-in 401" 401
	ADDR=192.0.2.77 run POST /reset_password "$(form email "$t")"
	check_status "typed '$t': reset request 403" 403
done
files=$(find "$tmp" -maxdepth 1 -type f -name 'auth.db*'; echo "$AUDIT"; echo "$tmp/stderr")
for t in "${TYPED[@]}" "${TYPED[@],,}"; do
	if grep -aqiF -- "$t" $files; then
		fail "'$t' is in no file the service wrote" "$(grep -aliF -- "$t" $files)"
	else
		ok "'$t' is in no file the service wrote"
	fi
done
# The client address is the audit log's to keep, not the database's.
if grep -aqF 192.0.2.77 "$DB"*; then
	fail "the client address is not in the database" "$(grep -alF 192.0.2.77 "$DB"*)"
else
	ok "the client address is not in the database"
fi
check_match "the key file is mode 0600" "$(stat -c %a "$DB.key")" '^600$'
# The admin listing still shows a registered account's lock.
for n in 1 2 3 4 5; do
	ADDR=10.3.3.$n run POST /sessions "$(form email KNOWN@example.com password wrong-$n)"
done
locked=$(AUTHCGI_DB=$DB "$CGI" users 2>/dev/null |
	awk -F'\t' '$2 == "known@example.com" { print $5 }')
check_match "admin: the locked account is listed as locked" "$locked" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'

# ======================================================================
echo "-- 5. registration: taken emails count, new ones do not"
DB=$tmp/reg.db
codes=""
for n in $(seq 1 52); do
	ADDR=10.4.4.4 run POST /users "$(form email known@example.com password "$PW")" \
		AUTHCGI_DB="$DB"
	[ "$n" -eq 1 ] && continue # the first one creates it
	codes+="$R_STATUS "
done
check_eq "taken: 50 answers 400, then 429" "$codes" \
	"$(printf '400 %.0s' $(seq 1 50))429 "
check_message "taken: the 429's message" "too many attempts, try again later"
check_header_match "taken: Retry-After" Retry-After '^[0-9]+$'
ADDR=10.4.4.4 run POST /sessions "$(form email known@example.com password "$PW")" \
	AUTHCGI_DB="$DB"
check_status "taken: the address's log-ins are locked too" 429
ADDR=10.4.4.5 run POST /sessions "$(form email known@example.com password "$PW")" \
	AUTHCGI_DB="$DB"
check_status "taken: another address logs in" 200

# No hash for a taken email: yescrypt at cost 5 takes 16 MiB, which shows
# in the process's peak memory (not in its time, which load changes).
# rss ADDR BODY: run a registration; RSS is its peak memory in KiB.
RSS=0
rss() {
	printf %s "$2" >"$tmp/in"
	cgi_env POST /users "${#2}" REMOTE_ADDR="$1" AUTHCGI_DB="$DB"
	/usr/bin/time -f %M -o "$tmp/rss" env -i "${CGI_ENV[@]}" "$CGI" \
		<"$tmp/in" >"$tmp/out" 2>/dev/null
	resp_parse "$tmp/out"
	RSS=$(cat "$tmp/rss")
}
if [ -x /usr/bin/time ] && ! nm -D "$CGI" 2>/dev/null | grep -q __asan_init; then
	rss 10.4.4.6 "$(form email rss-new@example.com password "$PW")"
	check_status "rss: a new account" 200
	kb_new=$RSS
	rss 10.4.4.6 "$(form email rss-new@example.com password "$PW")"
	check_status "rss: the same email again" 400
	kb_taken=$RSS
	echo "   peak memory: new account $kb_new KiB, taken email $kb_taken KiB"
	check "rss: a new account runs the hash (over 12 MiB)" [ "$kb_new" -gt 12288 ]
	check "rss: a taken email runs none (under 8 MiB)" [ "$kb_taken" -lt 8192 ]
fi

# 1,000 new accounts from one address all succeed (a cheap hash: what
# is counted, not how long a hash takes, is under test).
codes=$(for n in $(seq 1 1000); do
	ADDR=10.4.4.9 COST=1 run POST /users \
		"email=many$n%40example.com&password=$PW" AUTHCGI_DB="$DB"
	printf '%s\n' "$R_STATUS"
done | sort | uniq -c | awk '{ printf "%s×%s ", $1, $2 }')
check_eq "1,000 registrations from one address" "$codes" "1000×200 "

# ======================================================================
echo "-- through lighttpd"
mkdir -p "$tmp/project/cgi-bin" "$tmp/project/conf"
cp "$CGI" "$tmp/project/cgi-bin/auth.cgi"
cp "$root/conf/lighttpd.conf" "$tmp/project/conf/"
SERVER_PROJECT_DIR=$tmp/project
export SERVER_MODE=cgi SERVER_KIND=lighttpd
if server_start "$tmp/srv"; then
	curl -s -o /dev/null --max-time 10 -d email=web@example.com \
		-d "password=$PW" "$SERVER_URL/users"
	for who in web nobody; do
		st=$(curl -s -o "$tmp/$who.web" -w '%{http_code}' --max-time 10 \
			-d "email=$who@example.com" -d "password=$long" "$SERVER_URL/sessions")
		check_eq "lighttpd: 512-byte password, $who email: 401" "$st" 401
	done
	check "lighttpd: the same body" cmp -s "$tmp/web.web" "$tmp/nobody.web"
	server_stop
else
	fail "lighttpd: start" "$(tail -n 3 "$tmp/srv/lighttpd.stderr" 2>/dev/null)"
fi

summary
