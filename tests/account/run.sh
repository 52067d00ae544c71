#!/bin/bash
# run.sh: account self-service, as a client sees it: the executable run
# with CGI variables (as a web server runs it), then the same through a
# real lighttpd and curl. Status, body and the database's rows are
# checked, and the mail the service sends: a delivery command writes each
# message to a file of its own, which is compared line by line with the
# message expected. The lighttpd part runs as CGI and as FastCGI.
#
#   sessions: the list holds a public id per session, never a token or a
#     digest of one (every token issued in the suite is looked for in
#     every list); another account's id is 404 exactly like an unknown
#     one, and ends nothing;
#   password: wrong current passwords count toward the account's lockout
#     (the sixth attempt is 429, without a hash: its peak memory shows no
#     yescrypt, in the plain build); a change ends the other sessions and
#     keeps this one; the new password's rules come after the current
#     one;
#   email: at once without mail; with mail, after the link sent to the
#     new address, the old one told; a link works once;
#   verification on and off; disabled accounts; deletion;
#   notices: password changed (by a change or a reset), email changed,
#     a log-in from a new address, account deleted; no message carries a
#     token but the one meant for its recipient;
#   what is kept: addresses of old log-ins only as keyed digests, for
#     AUTHCGI_CLIENT_MEMORY seconds (purge); sessions' addresses and user
#     agents go with them.
#
# Usage: tests/account/run.sh PATH_TO_AUTH_CGI   (after make; the lighttpd
# part serves cgi-bin/auth.cgi's directory's build, PATH_TO_AUTH_CGI)
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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-account.XXXXXX")
cleanup() {
	server_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PW=Acc0unt-pass-1
PW2=Acc0unt-pass-2
UUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
DB=$tmp/auth.db
AUDIT=$tmp/audit.log
MAILDIR=$tmp/mail
mkdir -p "$MAILDIR/seen"
# Each message into a file of its own, renamed once complete.
MAILCMD="f=\$(mktemp '$MAILDIR/part.XXXXXX') && cat > \"\$f\" && mv \"\$f\" \"\$f.eml\""
MAIL=("AUTHCGI_RESET_COMMAND=$MAILCMD")
TOKENS=$tmp/tokens # every token issued, one a line
: >"$TOKENS"
NREQ=0

# run METHOD PATH BODY [NAME=VALUE...]: the CGI with BODY on stdin (an
# urlencoded form), REMOTE_ADDR ${ADDR:-127.0.0.1}; fills R_STATUS,
# R_HEADERS, R_BODY_FILE. A crash, a sanitizer report or a 5xx fails.
run() {
	local m=$1 p=$2 b=$3
	shift 3
	NREQ=$((NREQ + 1))
	printf %s "$b" >"$tmp/in"
	cgi_env "$m" "$p" "${#b}" REMOTE_ADDR="${ADDR:-127.0.0.1}" \
		AUTHCGI_AUDIT_LOG="$AUDIT" AUTHCGI_HASH_COST="${COST:-5}" "$@"
	timeout 20 env -i "${CGI_ENV[@]}" "$CGI" <"$tmp/in" >"$tmp/out" \
		2>"$tmp/err"
	local rc=$?
	resp_parse "$tmp/out"
	cat "$tmp/err" >>"$tmp/stderr"
	if [ $rc -ne 0 ] || [ -z "$R_STATUS" ] || [ "${R_STATUS:0:1}" == 5 ] ||
		grep -q -E 'Sanitizer|runtime error:' "$tmp/err"; then
		fail "request $NREQ ($m $p): exit $rc, status '${R_STATUS:-none}'" \
			"$(head -c 300 "$tmp/err")"
	fi
}
# form NAME VALUE...: an urlencoded body.
form() {
	python3 -c 'import sys, urllib.parse
a = sys.argv[1:]
print(urllib.parse.urlencode(list(zip(a[::2], a[1::2]))), end="")' "$@"
}
sid() {
	header_all Set-Cookie | sed -n 's/^session_id=\([^;]*\).*/\1/p' | head -n 1
}
sql() { sqlite3 -batch -noheader "$DB" "$1"; }
# keep TOKEN: remember a token issued, to look for it where it must not be.
keep() { [ -n "$1" ] && printf '%s\n' "$1" >>"$TOKENS"; }
# login EMAIL PASSWORD [NAME=VALUE...]: SID is the new session's id.
login() {
	run POST /sessions "$(form email "$1" password "$2")" "${@:3}"
	SID=$(sid)
	keep "$SID"
}
# sessions_json SID: GET /sessions with that cookie.
sessions_json() { run GET /sessions "" HTTP_COOKIE="session_id=$1" "${@:2}"; }
# session_ids WHICH: the ids of the list just fetched: current, other, all.
session_ids() {
	python3 - "$R_BODY_FILE" "$1" <<'EOF'
import json, sys
body = json.load(open(sys.argv[1]))
for s in body["sessions"]:
    if sys.argv[2] == "all" or (s["current"] == (sys.argv[2] == "current")):
        print(s["id"])
EOF
}
# no_token_in FILE: no token issued so far, nor its SHA-256 digest (hex,
# either case), is in FILE.
no_token_in() {
	python3 - "$1" "$TOKENS" <<'EOF'
import hashlib, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace").lower()
found = []
for t in open(sys.argv[2]).read().split():
    for v in (t, hashlib.sha256(t.encode()).hexdigest()):
        if v.lower() in text:
            found.append(v)
if found:
    print("found: " + " ".join(found))
    sys.exit(1)
EOF
}
# mail_wait TO SUBJECT: the next complete message to TO with SUBJECT
# (5 s at most) into MSG (its file); it is then moved aside, so that each
# message is taken once.
MSG=""
mail_wait() {
	local i f
	MSG=""
	for i in $(seq 1 100); do
		for f in "$MAILDIR"/*.eml; do
			[ -e "$f" ] || continue
			if grep -qx "To: $1" "$f" && grep -qx "Subject: $2" "$f"; then
				mv "$f" "$MAILDIR/seen/"
				MSG=$MAILDIR/seen/${f##*/}
				return 0
			fi
		done
		sleep 0.05
	done
	return 1
}
# message KIND TO [DETAIL]: the text of a message of KIND (reset,
# password, confirm, changed, verify, new_client, deleted) to TO, as it is
# sent without AUTHCGI_PUBLIC_URL; the line "    TOKEN" stands for its
# token. DETAIL: the new address (changed), the client's (new_client).
message() {
	local subject body
	case $1 in
	reset)
		subject="Password reset"
		body="Someone asked to reset the password of the account $2.
If it was you, use this token within 60 minutes; it works once:

    TOKEN

If it was not you, ignore this message." ;;
	password)
		subject="Your password was changed"
		body="The password of the account $2 was changed.

If it was not you, reset your password now." ;;
	confirm | verify)
		subject="Confirm your new email address"
		body="Someone asked to change the email address of an account to $2."
		if [ "$1" == verify ]; then
			subject="Verify your email address"
			body="An account was created with the email address $2."
		fi
		body="$body
If it was you, confirm it within 24 hours with this token; it works once:

    TOKEN

If it was not you, ignore this message: nothing changes." ;;
	changed)
		subject="Your email address was changed"
		body="The account of the email address $2 now uses the address $3;
this address gets no more mail about it.

If it was not you, tell the service's operator." ;;
	new_client)
		subject="A log-in from a new address"
		body="Someone logged in to the account $2 from the address $3,
which the account had not used lately.

If it was not you, change your password and end the sessions you do not know." ;;
	deleted)
		subject="Your account was deleted"
		body="The account $2 was deleted, with its sessions.

If it was not you, tell the service's operator." ;;
	esac
	printf 'To: %s\nSubject: %s\nContent-Type: text/plain; charset=utf-8\n\n%s\n' \
		"$2" "$subject" "$body"
}
# check_mail NAME KIND TO [DETAIL]: the next message to TO with KIND's
# subject has exactly the lines `message KIND TO DETAIL` gives (or, with
# EXPECTED set, EXPECTED's); its token, if any, is a UUID4 (MAIL_TOKEN
# then), and it carries no other.
EXPECTED=""
MAIL_TOKEN=""
check_mail() {
	local name=$1 got want subject
	want=${EXPECTED:-$(message "$2" "$3" "${4:-}")}
	subject=$(sed -n 's/^Subject: //p' <<<"$want" | head -n 1)
	if ! mail_wait "$3" "$subject"; then
		fail "$name: a message to $3, \"$subject\"" "none came ($(ls "$MAILDIR"))"
		return
	fi
	MAIL_TOKEN=$(grep -oE "^    $UUID_RE\$" "$MSG" | tr -d ' ')
	got=$(sed -E "s/^    $UUID_RE\$/    TOKEN/; s/token=$UUID_RE\$/token=TOKEN/" "$MSG")
	if [ "$got" == "$want" ]; then
		ok "$name: the message, line by line"
	else
		fail "$name: the message, line by line" \
			"$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -n 20)"
	fi
	# A message carries no token but its own link's.
	local others
	others=$(grep -oE "$UUID_RE" "$MSG" | sort -u | grep -vx "${MAIL_TOKEN:-none}")
	check_eq "$name: no other token in it" "$others" ""
	check "$name: no session id or digest in it" no_token_in "$MSG"
	[ -n "$MAIL_TOKEN" ] && keep "$MAIL_TOKEN"
	return 0
}
events() {
	python3 -c '
import json, sys
print(" ".join(json.loads(l)["event"] for l in open(sys.argv[1]) if l.strip()))' "$AUDIT"
}
sanitized() { nm -D "$CGI" 2>/dev/null | grep -q __asan_init; }

run GET / ""
check_status "setup: the executable answers" 200

# ======================================================================
echo "-- sessions: the list and ending one"
run POST /users "$(form email alice@example.com password "$PW")"
check_status "register alice" 200
run POST /users "$(form email bob@example.com password "$PW")"
check_status "register bob" 200
login alice@example.com "$PW" HTTP_USER_AGENT="Firefox/130 <b>"
A1=$SID
ADDR=10.0.0.2 login alice@example.com "$PW" HTTP_USER_AGENT=$'curl/8\x01'
A2=$SID
login alice@example.com "$PW"
A3=$SID
login bob@example.com "$PW"
B1=$SID
check_eq "four sessions" "$(printf '%s\n' "$A1" "$A2" "$A3" "$B1" | grep -cE "^$UUID_RE$")" 4

sessions_json "$A1"
check_status "GET /sessions: 200" 200
check_header "GET /sessions: JSON" Content-Type application/json
check_header "GET /sessions: no-store" Cache-Control no-store
cp "$R_BODY_FILE" "$tmp/list1"
check_eq "GET /sessions: alice's three" "$(session_ids all | wc -l)" 3
check_match "GET /sessions: public ids are 32 hex digits" \
	"$(session_ids all | tr '\n' ' ')" '^([0-9a-f]{32} ){3}$'
check_eq "GET /sessions: one is current" "$(session_ids current | wc -l)" 1
check "GET /sessions: no token or digest in the list" no_token_in "$tmp/list1"
fields=$(python3 - "$tmp/list1" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
print(b["email"], sorted(b["sessions"][0]))
for s in b["sessions"]:
    print(s["client"], repr(s["user_agent"]), s["current"])
EOF
)
check_match "GET /sessions: the email and each session's fields" "$fields" \
	"^alice@example.com \['client', 'created', 'current', 'id', 'last_seen', 'user_agent'\]"
check_match "GET /sessions: address and user agent, as given" "$fields" \
	"127.0.0.1 'Firefox/130 <b>' True"
check_match "GET /sessions: control bytes shown as ?" "$fields" \
	"10.0.0.2 'curl/8\?' False"
run GET /sessions ""
check_status "GET /sessions without a session: 403" 403
check_message "GET /sessions without a session: message" "not logged in"

sessions_json "$B1"
BOB_ID=$(session_ids current)
rows_before=$(sql "SELECT count(*) FROM sessions")
run DELETE "/sessions/$BOB_ID" "" HTTP_COOKIE="session_id=$A1"
check_status "another account's session: 404" 404
cp "$R_BODY_FILE" "$tmp/other.body"
run DELETE /sessions/0123456789abcdef0123456789abcdef "" HTTP_COOKIE="session_id=$A1"
check_status "an unknown id: 404" 404
check "an unknown id: the same body as another account's" cmp -s "$R_BODY_FILE" "$tmp/other.body"
check_message "404: message" "no such session"
check_eq "404: no row ended" "$(sql "SELECT count(*) FROM sessions")" "$rows_before"
run GET /profile "" HTTP_COOKIE="session_id=$B1"
check_status "404: bob's session lives" 200
run DELETE "/sessions/$BOB_ID" ""
check_status "DELETE /sessions/<id> without a session: 403" 403
run GET "/sessions/$BOB_ID" "" HTTP_COOKIE="session_id=$B1"
check_status "GET /sessions/<id>: 405" 405
check_header "GET /sessions/<id>: Allow" Allow DELETE

sessions_json "$A2"
A2_ID=$(session_ids current)
run DELETE "/sessions/$A2_ID" "" HTTP_COOKIE="session_id=$A1"
check_status "end another session of one's own: 200" 200
check_body_exact "end another session: body" '{"message": "session ended"}'
check_eq "end another session: no cookie change" "$(header_all Set-Cookie)" ""
run GET /profile "" HTTP_COOKIE="session_id=$A2"
check_status "the ended session is over" 403
run GET /profile "" HTTP_COOKIE="session_id=$A1"
check_status "this session lives" 200
sessions_json "$A3"
A3_ID=$(session_ids current)
run DELETE "/sessions/$A3_ID" "" HTTP_COOKIE="session_id=$A3"
check_status "end the current session by its id: 200" 200
check_match "end the current session: its cookie expires" \
	"$(header_all Set-Cookie)" '^session_id=; .*Max-Age=0'
run GET /profile "" HTTP_COOKIE="session_id=$A3"
check_status "the current session is over" 403
run DELETE /sessions "" HTTP_COOKIE="session_id=$B1"
check_status "DELETE /sessions keeps its contract: 302" 302
check_header "DELETE /sessions: Location /" Location /

# ======================================================================
echo "-- password: authorise, then validate; the lockout"
login alice@example.com "$PW"
A4=$SID
run PUT /password "$(form password "$PW" new_password "$PW2")"
check_status "PUT /password without a session: 403" 403
run PUT /password "$(form password wrong-1 new_password abc)" HTTP_COOKIE="session_id=$A1"
check_status "wrong current password, short new one: 401 (the password first)" 401
check_message "wrong current password: message" "wrong password"
run PUT /password "$(form password "$PW" new_password abc)" HTTP_COOKIE="session_id=$A1"
check_status "right current password, short new one: 400" 400
check_message "short new password: message" "password must be at least 5 characters"
run PUT /password "$(form password "$PW")" HTTP_COOKIE="session_id=$A1"
check_status "no new password: 400" 400
check_message "no new password: message" "new_password is required"
# rss METHOD PATH BODY [NAME=VALUE...]: run as run() does, and RSS is the
# peak memory of the process, in KiB: yescrypt at cost 5 takes 16 MiB, so
# it tells whether a request hashed (its time would not: load changes it).
RSS=0
rss() {
	if [ -x /usr/bin/time ] && ! sanitized; then
		local m=$1 p=$2 b=$3
		shift 3
		printf %s "$b" >"$tmp/in"
		cgi_env "$m" "$p" "${#b}" AUTHCGI_AUDIT_LOG="$AUDIT" \
			AUTHCGI_HASH_COST=5 "$@"
		/usr/bin/time -f %M -o "$tmp/rss" env -i "${CGI_ENV[@]}" "$CGI" \
			<"$tmp/in" >"$tmp/out" 2>>"$tmp/stderr"
		resp_parse "$tmp/out"
		RSS=$(cat "$tmp/rss")
	else
		run "$@"
		RSS=""
	fi
}
for i in 2 3 4; do
	rss PUT /password "$(form password "wrong-$i" new_password "$PW2")" HTTP_COOKIE="session_id=$A1"
	check_status "wrong current password $i: 401" 401
done
[ -n "$RSS" ] && check "a wrong current password costs a hash ($RSS KiB, over 12 MiB)" [ "$RSS" -gt 12288 ]
ADDR=10.0.0.9 run POST /sessions "$(form email alice@example.com password wrong-5)"
check_status "a wrong log-in counts with them: 401" 401
check_eq "five failures counted for alice" \
	"$(events | tr ' ' '\n' | grep -c -e password_check_failure -e login_failure)" 5
rss PUT /password "$(form password "$PW" new_password "$PW2")" HTTP_COOKIE="session_id=$A1"
check_status "the sixth attempt, the right password: 429" 429
[ -n "$RSS" ] && check "the sixth: no hash ($RSS KiB, under 8 MiB)" [ "$RSS" -lt 8192 ]
check_header_match "429: Retry-After" Retry-After '^[0-9]+$'
check_match "429: audited as refused" "$(events)" 'password_check_refused_locked$'
run POST /sessions "$(form email alice@example.com password "$PW")"
check_status "the account's log-ins are locked too" 429
env -i PATH=/usr/bin:/bin AUTHCGI_DB="$DB" AUTHCGI_AUDIT_LOG="$AUDIT" "$CGI" unlock alice@example.com >/dev/null
check_eq "admin unlock: exit 0" "$?" 0
rss PUT /password "$(form password "$PW" new_password "$PW2")" HTTP_COOKIE="session_id=$A1"
[ -n "$RSS" ] && check "a change hashes ($RSS KiB, over 12 MiB)" [ "$RSS" -gt 12288 ]
check_status "the right password after unlock: 200" 200
check_body_exact "password changed: body" '{"email": "alice@example.com", "message": "password changed"}'
run GET /profile "" HTTP_COOKIE="session_id=$A1"
check_status "password changed: this session stays" 200
run GET /profile "" HTTP_COOKIE="session_id=$A4"
check_status "password changed: the other session ended" 403
check_eq "password changed: one session row left" \
	"$(sql "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'alice@example.com'")" 1
run POST /sessions "$(form email alice@example.com password "$PW")"
check_status "password changed: the old one fails" 401
login alice@example.com "$PW2"
check_status "password changed: the new one logs in" 200
A5=$SID

# ======================================================================
echo "-- email: at once without mail"
run PUT /email "$(form password "$PW2" new_email bob@example.com)" HTTP_COOKIE="session_id=$A1"
check_status "taken email: 400" 400
check_message "taken email: message" "email already registered"
run PUT /email "$(form password wrong new_email not-an-email)" HTTP_COOKIE="session_id=$A1"
check_status "wrong password, bad email: 401 (the password first)" 401
run PUT /email "$(form password "$PW2" new_email not-an-email)" HTTP_COOKIE="session_id=$A1"
check_status "bad email: 400" 400
run PUT /email "$(form password "$PW2" new_email alice2@example.com)" HTTP_COOKIE="session_id=$A1"
check_status "email changed: 200" 200
check_body_exact "email changed: body" '{"email": "alice2@example.com", "message": "email changed"}'
run GET /profile "" HTTP_COOKIE="session_id=$A1"
check_body_exact "email changed: the profile" '{"email": "alice2@example.com"}'

# ======================================================================
echo "-- mail: email change with confirmation, notices"
# From here on the service has outgoing mail.
login alice2@example.com "$PW2" "${MAIL[@]}"
A6=$SID
run PUT /email "$(form password "$PW2" new_email alice3@example.com)" \
	HTTP_COOKIE="session_id=$A6" "${MAIL[@]}"
check_status "email change with mail: 200" 200
check_body_exact "email change with mail: pending" \
	'{"email": "alice2@example.com", "message": "a link to confirm the new address is on its way to it"}'
check_mail "email change: the link, to the new address" confirm alice3@example.com
LINK=$MAIL_TOKEN
check_eq "email change: not yet" "$(sql "SELECT count(*) FROM users WHERE email = 'alice3@example.com'")" 0
check_eq "email change: the link is kept as a digest" \
	"$(sql "SELECT count(*) FROM email_links WHERE CAST(token_hash AS TEXT) = '$LINK' OR lower(hex(token_hash)) = '$(printf %s "$LINK" | sha256sum | cut -c1-64)'")" 1
check "email change: no link in clear in the database" \
	sh -c "! grep -aqF '$LINK' '$DB' '$DB-wal' 2>/dev/null"
run PUT /verify_email "$(form token "$LINK")" "${MAIL[@]}"
check_status "follow the link: 200" 200
check_body_exact "follow the link: body" '{"email": "alice3@example.com", "message": "email verified"}'
check_mail "email change: the old address is told" changed alice2@example.com \
	alice3@example.com
run PUT /verify_email "$(form token "$LINK")" "${MAIL[@]}"
check_status "the link works once: 403" 403
check_message "a used link: message" "invalid or expired link"
run GET /profile "" HTTP_COOKIE="session_id=$A6"
check_body_exact "email change: the profile" '{"email": "alice3@example.com"}'

run PUT /password "$(form password "$PW2" new_password "$PW")" \
	HTTP_COOKIE="session_id=$A6" "${MAIL[@]}" AUTHCGI_PUBLIC_URL=https://auth.example/a
check_status "password change with mail: 200" 200
EXPECTED="$(message password alice3@example.com | head -n 5)

Your account's page:

    https://auth.example/a/account

If it was not you, reset your password now."
check_mail "password changed: the notice, with the account page's link" password \
	alice3@example.com
EXPECTED=""

run POST /reset_password "$(form email alice3@example.com)" "${MAIL[@]}"
check_status "reset request with mail: 200" 200
check_mail "reset: the token, to its owner" reset alice3@example.com
RT=$MAIL_TOKEN
run PUT /reset_password "$(form email alice3@example.com reset_token "$RT" new_password "$PW2")" "${MAIL[@]}"
check_status "reset with the mailed token: 200" 200
check_mail "password reset: the notice" password alice3@example.com

# A log-in from an address the account has not used: told.
ADDR=198.51.100.7 login alice3@example.com "$PW2" "${MAIL[@]}"
check_status "log-in from a new address: 200" 200
check_mail "a new address: the notice" new_client alice3@example.com 198.51.100.7
ADDR=198.51.100.7 login alice3@example.com "$PW2" "${MAIL[@]}"
login alice3@example.com "$PW2" "${MAIL[@]}"
A7=$SID
check_eq "new addresses: told once each (10.0.0.2 without mail, 198.51.100.7)" \
	"$(grep '"event":"login_new_client"' "$AUDIT" | grep -oE '"client":"[0-9.]*"' | tr '\n' ' ')" \
	'"client":"10.0.0.2" "client":"198.51.100.7" '
check_eq "remembered addresses: keyed digests only" \
	"$(sql "SELECT count(*) FROM known_clients WHERE key LIKE '%198.51%' OR key LIKE '%127.0%' OR length(key) <> 64")" 0
check "remembered addresses: alice's three (127.0.0.1, 10.0.0.2, 198.51.100.7)" \
	test "$(sql "SELECT count(*) FROM known_clients k JOIN users u ON u.id = k.user_id WHERE u.email = 'alice3@example.com'")" -eq 3

# ======================================================================
echo "-- verification"
VER=("${MAIL[@]}" AUTHCGI_VERIFY_EMAIL=1)
run POST /users "$(form email carol@example.com password "$PW")" "${VER[@]}"
check_status "register with verification: 200" 200
check_body_exact "register with verification: the contract's body" \
	'{"email": "carol@example.com", "message": "user created"}'
check_mail "verification: the link" verify carol@example.com
V1=$MAIL_TOKEN
run POST /sessions "$(form email carol@example.com password wrong)" "${VER[@]}"
check_status "unverified, wrong password: 401" 401
run POST /sessions "$(form email carol@example.com password "$PW")" "${VER[@]}"
check_status "unverified, right password: 403" 403
check_body_exact "unverified: body" '{"message": "email not verified"}'
check_eq "unverified: no session" "$(sid)" ""
run POST /verify_email "$(form email carol@example.com)" "${VER[@]}"
check_status "ask for a new link: 200" 200
cp "$R_BODY_FILE" "$tmp/ask.known"
check_mail "verification: the new link" verify carol@example.com
V2=$MAIL_TOKEN
run POST /verify_email "$(form email nobody@example.com)" "${VER[@]}"
check_status "ask for an unknown email: 200" 200
check_eq "ask: the same message for an unknown email" \
	"$(body_get message)" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["message"])' "$tmp/ask.known")"
codes=""
for i in 1 2 3 4; do
	ADDR=10.6.6.6 run POST /verify_email "$(form email carol@example.com)" \
		"${VER[@]}" AUTHCGI_LOCK_ACCOUNT=4
	codes+="$R_STATUS "
done
# carol asked once above: with 4 requests in the window, three more get
# through and the next is refused.
check_eq "asking again is rate limited like reset requests" "$codes" "200 200 200 429 "
LINKS=()
for i in 1 2 3; do
	check_mail "verification: link $i of 3" verify carol@example.com
	LINKS+=("$MAIL_TOKEN")
done
check_eq "links stored: one, for carol" "$(sql "SELECT count(*) FROM email_links")" 1
live=$(sql "SELECT lower(hex(token_hash)) FROM email_links")
LIVE=""
for t in "$V1" "$V2" "${LINKS[@]}"; do
	if [ "$(printf %s "$t" | sha256sum | cut -c1-64)" == "$live" ]; then
		LIVE=$t
	else
		run PUT /verify_email "$(form token "$t")" "${VER[@]}"
		check_status "an older link: 403" 403
	fi
done
check_match "the newest link is one of those mailed" "$LIVE" "^$UUID_RE$"
run PUT /verify_email "$(form token "$(cat /proc/sys/kernel/random/uuid)")" "${VER[@]}"
check_status "an unknown link: 403" 403
run PUT /verify_email "$(form token "$LIVE")" "${VER[@]}"
check_status "the newest link: 200" 200
check_body_exact "verified: body" '{"email": "carol@example.com", "message": "email verified"}'
login carol@example.com "$PW" "${VER[@]}"
check_status "verified: log-in 200" 200
check_eq "verified: no link left" "$(sql "SELECT count(*) FROM email_links")" 0
run POST /users "$(form email dan@example.com password "$PW")"
check_status "verification off: register" 200
login dan@example.com "$PW"
check_status "verification off: log-in at once" 200

# ======================================================================
echo "-- disabled accounts, deletion"
env -i PATH=/usr/bin:/bin AUTHCGI_DB="$DB" AUTHCGI_AUDIT_LOG="$AUDIT" "$CGI" disable dan@example.com >/dev/null
run POST /sessions "$(form email dan@example.com password "$PW")"
check_status "disabled: the right password is 401" 401
check_body_exact "disabled: like a wrong password" '{"message": "wrong email or password"}'
env -i PATH=/usr/bin:/bin AUTHCGI_DB="$DB" AUTHCGI_AUDIT_LOG="$AUDIT" "$CGI" enable dan@example.com >/dev/null
login dan@example.com "$PW"
check_status "enabled: log-in 200" 200
D1=$SID
uid=$(sql "SELECT id FROM users WHERE email = 'dan@example.com'")
run DELETE /account "$(form password wrong)" HTTP_COOKIE="session_id=$D1" "${MAIL[@]}"
check_status "delete with a wrong password: 401" 401
run DELETE /account "" HTTP_COOKIE="session_id=$D1" "${MAIL[@]}"
check_status "delete without the password: 400" 400
run DELETE /account "$(form password "$PW")" HTTP_COOKIE="session_id=$D1" "${MAIL[@]}"
check_status "delete: 200" 200
check_body_exact "delete: body" '{"email": "dan@example.com", "message": "account deleted"}'
check_match "delete: the cookie expires" "$(header_all Set-Cookie)" '^session_id=; .*Max-Age=0'
for t in users sessions reset_tokens email_links known_clients; do
	col=user_id
	[ $t == users ] && col=id
	check_eq "delete: no row of dan's in $t" "$(sql "SELECT count(*) FROM $t WHERE $col = $uid")" 0
done
check_mail "delete: the notice" deleted dan@example.com

# ======================================================================
echo "-- what is kept, and for how long"
sessions_json "$A7"
cp "$R_BODY_FILE" "$tmp/list2"
check "the lists: no token or digest issued in the suite" no_token_in "$tmp/list2"
check "the first list too" no_token_in "$tmp/list1"
check_eq "sessions keep their address and agent" \
	"$(sql "SELECT count(*) FROM sessions WHERE client IS NOT NULL")" \
	"$(sql "SELECT count(*) FROM sessions")"
before=$(sql "SELECT count(*) FROM known_clients")
sleep 2.2
env -i PATH=/usr/bin:/bin AUTHCGI_DB="$DB" AUTHCGI_AUDIT_LOG="$AUDIT" AUTHCGI_CLIENT_MEMORY=1 "$CGI" purge >"$tmp/purge" 2>&1
check_match "purge: forgets the addresses older than AUTHCGI_CLIENT_MEMORY" \
	"$(cat "$tmp/purge")" ", $before remembered addresses, [0-9]+ pending log-ins$"
check_eq "purge: none left" "$(sql "SELECT count(*) FROM known_clients")" 0
env -i PATH=/usr/bin:/bin AUTHCGI_DB="$DB" AUTHCGI_AUDIT_LOG="$AUDIT" AUTHCGI_SESSION_IDLE=1 "$CGI" purge >/dev/null 2>&1
check_eq "purge: ended sessions take their address and agent with them" \
	"$(sql "SELECT count(*) FROM sessions")" 0
check "no password in the audit log" sh -c "! grep -qF -e '$PW' -e '$PW2' '$AUDIT'"
check "no token in the audit log or stderr" no_token_in "$AUDIT"
check "no token in stderr" no_token_in "$tmp/stderr"
check_eq "every mail was expected" "$(ls "$MAILDIR" | grep -c '\.eml$')" 0

# ======================================================================
echo "-- the account page"
login bob@example.com "$PW"
B2=$SID
HTML="text/html,application/xhtml+xml,*/*;q=0.8"
run GET /account "" HTTP_COOKIE="session_id=$B2" HTTP_ACCEPT="$HTML"
check_status "GET /account: 200" 200
check_header_match "GET /account: a page" Content-Type '^text/html'
check_header_match "GET /account: its CSP" Content-Security-Policy "default-src 'none'"
for id in password-change email-change sessions account-delete; do
	check "GET /account: has #$id" grep -q "id=\"$id\"" "$R_BODY_FILE"
done
check "GET /account: no script" sh -c "! grep -qi '<script' '$R_BODY_FILE'"
check "GET /account: no session id" no_token_in "$R_BODY_FILE"
run GET /account "" HTTP_ACCEPT="$HTML"
check_status "GET /account without a session: 403 page" 403
run GET /account "" HTTP_COOKIE="session_id=$B2"
check_status "GET /account for a JSON client: 405" 405

# ======================================================================
echo "-- through lighttpd, CGI and FastCGI"
mkdir -p "$tmp/project/cgi-bin" "$tmp/project/conf"
cp "$CGI" "$tmp/project/cgi-bin/auth.cgi"
cp "$root/conf/lighttpd.conf" "$root/conf/lighttpd-fastcgi.conf" "$tmp/project/conf/"
SERVER_PROJECT_DIR=$tmp/project
export AUTHCGI_RESET_COMMAND=$MAILCMD AUTHCGI_HASH_COST=1
rm -f "$MAILDIR"/*.eml
# req METHOD PATH [CURL_ARGS...]
req() {
	local m=$1 p=$2
	shift 2
	: >"$tmp/h"
	: >"$tmp/b"
	curl -s -X "$m" --max-time 10 -D "$tmp/h" -o "$tmp/b" "$@" "$SERVER_URL$p"
	cat "$tmp/h" "$tmp/b" >"$tmp/hb"
	resp_parse "$tmp/hb"
}
for mode in cgi fastcgi; do
	export SERVER_MODE=$mode SERVER_KIND=lighttpd
	L="lighttpd-$mode"
	if ! server_start "$tmp/srv-$mode"; then
		fail "$L: start" "$(tail -n 3 "$tmp/srv-$mode"/*.stderr 2>/dev/null)"
		continue
	fi
	w=web-$mode@example.com
	w2=web2-$mode@example.com
	req POST /users -d "email=$w" -d "password=$PW"
	check_status "$L: register" 200
	req POST /sessions -d "email=$w" -d "password=$PW" -A "Web/1"
	W1=$(sid)
	req POST /sessions -d "email=$w" -d "password=$PW"
	W2=$(sid)
	keep "$W1"
	keep "$W2"
	req GET /sessions -b "session_id=$W1"
	check_status "$L: GET /sessions" 200
	check "$L: no token in the list" no_token_in "$R_BODY_FILE"
	check_match "$L: the user agent" "$(cat "$R_BODY_FILE")" '"user_agent":"Web/1"'
	OTHER=$(session_ids other)
	req DELETE "/sessions/$OTHER" -b "session_id=$W1"
	check_status "$L: DELETE /sessions/<id>" 200
	req GET /profile -b "session_id=$W2"
	check_status "$L: that session ended" 403
	req PUT /password -b "session_id=$W1" -d password=wrong -d "new_password=$PW2"
	check_status "$L: wrong current password 401" 401
	req PUT /password -b "session_id=$W1" -d "password=$PW" -d "new_password=$PW2"
	check_status "$L: PUT /password" 200
	check_mail "$L: password changed" password "$w"
	req PUT /email -b "session_id=$W1" -d "password=$PW2" -d "new_email=$w2"
	check_status "$L: PUT /email" 200
	check_message "$L: pending" "a link to confirm the new address is on its way to it"
	check_mail "$L: the link" confirm "$w2"
	req PUT /verify_email -d "token=$MAIL_TOKEN"
	check_status "$L: follow the link" 200
	check_mail "$L: the old address told" changed "$w" "$w2"
	req GET /account -b "session_id=$W1" -H "Accept: $HTML"
	check_status "$L: the account page" 200
	check "$L: the page shows the new email" grep -q "$w2" "$R_BODY_FILE"
	req DELETE /account -b "session_id=$W1" -d "password=$PW2"
	check_status "$L: DELETE /account" 200
	check_mail "$L: deleted" deleted "$w2"
	server_stop
done

echo "($NREQ requests to $CGI)"
summary
