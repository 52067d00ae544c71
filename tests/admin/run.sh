#!/bin/bash
# shellcheck disable=SC2016 # '$2b$' and the hash patterns are literal
# run.sh: tests of the admin commands of cgi-bin/auth.cgi (run from a shell,
# without REQUEST_METHOD): --help, usage errors, init, users, delete-user,
# end-sessions, sessions, unlock, disable, enable, purge, import-original. Accounts, sessions and tokens are
# made by running the executable as a CGI (no web server); the database is
# inspected with sqlite3.
# Usage: tests/admin/run.sh [EXECUTABLE]   (default cgi-bin/auth.cgi)
# Last line: "N passed, N failed"; exit 1 on failure. VERBOSE=1 prints
# passes too. Takes about 10 s.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"

CGI=${1:-$root/cgi-bin/auth.cgi}
case $CGI in /*) ;; *) CGI=$PWD/$CGI ;; esac
if [ ! -x "$CGI" ]; then
	echo "$0: $CGI is missing: run make first" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-admin.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

DB=$tmp/auth.db
# Every run starts from this environment only (env -i): the database, a
# fast hash for the accounts made here, and whatever the caller adds.
BASE_ENV=(PATH=/usr/bin:/bin "AUTHCGI_DB=$DB" 'AUTHCGI_HASH_METHOD=$2b$'
	AUTHCGI_HASH_COST=4)

# take_extra [VAR=VALUE...] -- REST...: EXTRA gets the assignments before
# "--", EXTRA_N how many arguments to shift to reach REST.
take_extra() {
	EXTRA=()
	EXTRA_N=1
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		EXTRA+=("$1")
		EXTRA_N=$((EXTRA_N + 1))
		shift
	done
}

# admin [VAR=VALUE...] -- ARGS...: run an admin command; sets A_RC, A_OUT,
# A_ERR (stdout and stderr, as text).
admin() {
	take_extra "$@"
	shift "$EXTRA_N"
	local extra=("${EXTRA[@]}")
	A_RC=0
	timeout 30 env -i "${BASE_ENV[@]}" "${extra[@]}" "$CGI" "$@" \
		>"$tmp/a.out" 2>"$tmp/a.err" || A_RC=$?
	A_OUT=$(cat "$tmp/a.out")
	A_ERR=$(cat "$tmp/a.err")
}

# cgi [VAR=VALUE...] -- METHOD PATH [BODY [COOKIE]]: one request through
# the CGI interface; the response goes to R_STATUS, R_HEADERS, R_BODY_FILE.
cgi() {
	take_extra "$@"
	shift "$EXTRA_N"
	local extra=("${EXTRA[@]}")
	local method=$1 path=$2 body=${3:-} cookie=${4:-}
	local envl=("${BASE_ENV[@]}" "${extra[@]}" GATEWAY_INTERFACE=CGI/1.1
		"REQUEST_METHOD=$method" "PATH_INFO=$path" SCRIPT_NAME=
		SERVER_NAME=127.0.0.1 SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1
		REMOTE_ADDR=127.0.0.1 QUERY_STRING=)
	if [ -n "$body" ]; then
		envl+=(CONTENT_TYPE=application/x-www-form-urlencoded
			"CONTENT_LENGTH=${#body}")
	fi
	[ -n "$cookie" ] && envl+=("HTTP_COOKIE=session_id=$cookie")
	printf %s "$body" | timeout 30 env -i "${envl[@]}" "$CGI" \
		>"$tmp/r" 2>>"$tmp/cgi.err"
	resp_parse "$tmp/r"
}

sid() {
	header_all Set-Cookie | sed -n 's/^session_id=\([^;]*\).*/\1/p' | head -n 1
}
sql() { sqlite3 -batch "$DB" "$@"; }

PW=b4l0u
ISO_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'

# ------------------------------------------------------------ usage, help

admin -- --help
check_eq "--help: exit 0" "$A_RC" 0
check_match "--help: usage on stdout" "$A_OUT" '^usage: auth\.cgi'
check_match "--help: lists the commands" "$A_OUT" 'import-original FILE'
check_eq "--help: nothing on stderr" "$A_ERR" ""
# The settings are one table in the executable, which --help lists: the
# manual page and README's table name the same ones (README with the same
# defaults).
check_eq "--help, auth.cgi(8) and README list the same settings" \
	"$(printf '%s\n' "$A_OUT" | "$PY" "$root/tests/admin/settings_docs.py" \
		"$root/doc/auth.cgi.8" "$root/README.md")" same
admin -- -h
check_eq "-h: exit 0" "$A_RC" 0
admin --
check_eq "no command: exit 2" "$A_RC" 2
check_match "no command: usage on stderr" "$A_ERR" 'usage: auth\.cgi'
check_eq "no command: nothing on stdout" "$A_OUT" ""
admin -- frobnicate
check_eq "unknown command: exit 2" "$A_RC" 2
check_match "unknown command: named" "$A_ERR" 'unknown command "frobnicate"'
check_eq "unknown command: nothing on stdout" "$A_OUT" ""
while read -r args; do
	# shellcheck disable=SC2086
	admin -- $args
	check_eq "wrong argument count ($args): exit 2" "$A_RC" 2
	check_match "wrong argument count ($args): says so" "$A_ERR" 'takes [01] argument'
done <<'EOF'
delete-user
end-sessions
import-original
sessions
unlock
disable
enable
sessions a@example.com b@example.com
users extra
init extra
purge extra
delete-user a@example.com b@example.com
EOF
check "usage errors: no database created" test ! -e "$DB"

# ------------------------------------------------------------------- init

admin -- init
check_eq "init: exit 0" "$A_RC" 0
check_match "init: says so" "$A_OUT" "database $DB is ready"
check "init: database created" test -s "$DB"
check_eq "init: user_version 6" "$(sql 'PRAGMA user_version')" 6
check_eq "init: tables" "$(sql "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)")" \
	"email_links groups known_clients pending_logins recovery_codes reset_tokens second_factors sessions throttle_events throttle_locks users"
check_match "init: the secret key file, mode 0600" "$(stat -c %a "$DB.key" 2>&1)" '^600$' 
admin -- init
check_eq "init again: exit 0" "$A_RC" 0
check_eq "init again: user_version 6" "$(sql 'PRAGMA user_version')" 6
admin AUTHCGI_DB="$tmp/no/such/dir/auth.db" -- init
check_eq "init in a missing directory: exit 1" "$A_RC" 1
check_match "init in a missing directory: message" "$A_ERR" 'auth\.cgi: init: '

# ------------------------------------------------------------------ users

admin -- users
check_eq "users, none: exit 0" "$A_RC" 0
check_eq "users, none: no output" "$A_OUT" ""
for u in alice bob carol dave hal; do
	cgi -- POST /users "email=$u%40example.com&password=$PW"
	check_status "register $u" 200
done
cgi -- POST /sessions "email=alice%40example.com&password=$PW"
check_status "log in alice" 200
ALICE_SID=$(sid)
admin -- users
check_eq "users: exit 0" "$A_RC" 0
check_eq "users: one line per account" "$(printf '%s\n' "$A_OUT" | wc -l)" 5
check_eq "users: 6 tab-separated fields" \
	"$(printf '%s\n' "$A_OUT" | awk -F'\t' '{print NF}' | sort -u)" 6
line_of() { printf '%s\n' "$A_OUT" | awk -F'\t' -v e="$1" '$2 == e'; }
field() { line_of "$1" | cut -f "$2"; }
check_eq "users: alice's id" "$(field alice@example.com 1)" \
	"$(sql "SELECT id FROM users WHERE email = 'alice@example.com'")"
check_match "users: created is a UTC time" "$(field alice@example.com 3)" "$ISO_RE"
check_match "users: alice's last login" "$(field alice@example.com 4)" "$ISO_RE"
check_eq "users: bob never logged in" "$(field bob@example.com 4)" "-"
check_eq "users: alice not locked" "$(field alice@example.com 5)" "no"
check_eq "users: bob not locked" "$(field bob@example.com 5)" "no"
check_eq "users: alice in no group" "$(field alice@example.com 6)" "-"
for i in 1 2 3 4 5; do
	cgi -- POST /sessions "email=bob%40example.com&password=wrong-$i"
done
check_status "5 failed logins for bob: the 5th is 401" 401
cgi -- POST /sessions "email=bob%40example.com&password=$PW"
check_status "bob locked: 429" 429
admin -- users
check_match "users: bob locked until a UTC time" "$(field bob@example.com 5)" "$ISO_RE"
check "users: bob's lock ends in the future" test \
	"$(date -u -d "$(field bob@example.com 5 | sed 's/T/ /; s/Z$//')" +%s)" -gt "$(date +%s)"
check_eq "users: alice still not locked" "$(field alice@example.com 5)" "no"

# ------------------------------------------------------------------ group

admin -- group add carol@example.com admins
check_eq "group add: exit 0" "$A_RC" 0
check_eq "group add: says so" "$A_OUT" "carol@example.com is in admins"
admin -- group add carol@example.com a-team
admin -- group add CAROL@example.com admins
check_eq "group add again: exit 0 (already in it)" "$A_RC" 0
admin -- users
check_eq "users: carol's groups, sorted" "$(field carol@example.com 6)" "a-team,admins"
admin -- group remove carol@example.com a-team
check_eq "group remove: exit 0" "$A_RC" 0
admin -- group remove carol@example.com a-team
check_eq "group remove, not in it: exit 1" "$A_RC" 1
check_match "group remove, not in it: says so" "$A_ERR" "not in group a-team"
admin -- group add nobody@example.com admins
check_eq "group add, no account: exit 1" "$A_RC" 1
admin -- group add carol@example.com "Not A Name"
check_eq "group add, bad name: exit 2" "$A_RC" 2
admin -- group join carol@example.com admins
check_eq "group join: usage, exit 2" "$A_RC" 2
admin -- group add carol@example.com
check_eq "group with 2 arguments: usage, exit 2" "$A_RC" 2
admin -- users
check_eq "users: carol's groups now" "$(field carol@example.com 6)" "admins"

# ------------------------------------------------------------ delete-user

cgi -- GET /profile "" "$ALICE_SID"
check_status "alice's session works" 200
admin -- delete-user alice@example.com
check_eq "delete-user: exit 0" "$A_RC" 0
check_match "delete-user: says so" "$A_OUT" 'deleted alice@example\.com'
cgi -- POST /sessions "email=alice%40example.com&password=$PW"
check_status "delete-user: alice's login is 401" 401
cgi -- GET /profile "" "$ALICE_SID"
check_status "delete-user: alice's session is 403" 403
check_eq "delete-user: no session row left" \
	"$(sql "SELECT count(*) FROM sessions WHERE user_id NOT IN (SELECT id FROM users)")" 0
admin -- users
check_eq "delete-user: users lists 4" "$(printf '%s\n' "$A_OUT" | wc -l)" 4
admin -- delete-user nobody@example.com
check_eq "delete-user unknown: exit 1" "$A_RC" 1
check_match "delete-user unknown: message" "$A_ERR" 'nobody@example\.com: no such account'
admin -- delete-user CAROL@Example.com
check_eq "delete-user: any case of the email" "$A_RC" 0
cgi -- POST /sessions "email=carol%40example.com&password=$PW"
check_status "delete-user: carol (deleted as CAROL@Example.com) is 401" 401

# ----------------------------------------------------------- end-sessions

cgi -- POST /users "email=erin%40example.com&password=$PW"
cgi -- POST /sessions "email=erin%40example.com&password=$PW"
S1=$(sid)
cgi -- POST /sessions "email=erin%40example.com&password=$PW"
S2=$(sid)
cgi -- GET /profile "" "$S2"
check_status "erin's second session works" 200
admin -- end-sessions erin@example.com
check_eq "end-sessions: exit 0" "$A_RC" 0
check_match "end-sessions: counts" "$A_OUT" 'ended 2 sessions of erin@example\.com'
cgi -- GET /profile "" "$S1"
check_status "end-sessions: first session 403" 403
cgi -- GET /profile "" "$S2"
check_status "end-sessions: second session 403" 403
cgi -- POST /sessions "email=erin%40example.com&password=$PW"
check_status "end-sessions: erin can log in again" 200
admin -- end-sessions nobody@example.com
check_eq "end-sessions unknown: exit 1" "$A_RC" 1
check_match "end-sessions unknown: message" "$A_ERR" 'no such account'

# ------------------------------------------- sessions, unlock, disable, enable

cgi -- POST /users "email=fay%40example.com&password=$PW"
cgi HTTP_USER_AGENT="Fay's browser/1.0" -- POST /sessions "email=fay%40example.com&password=$PW"
F1=$(sid)
cgi -- POST /sessions "email=fay%40example.com&password=$PW"
F2=$(sid)
admin -- sessions FAY@example.com
check_eq "sessions: exit 0" "$A_RC" 0
check_eq "sessions: two lines" "$(wc -l <<<"$A_OUT")" 2
check_match "sessions: id, started, last used, address, agent" \
	"$(grep 'Fay' <<<"$A_OUT")" $'^[0-9a-f]{32}\t[0-9T:-]+Z\t[0-9T:-]+Z\t127\.0\.0\.1\tFay.s browser/1\.0$'
check_match "sessions: an unknown agent is -" \
	"$(grep -v 'Fay' <<<"$A_OUT")" $'^[0-9a-f]{32}\t.*\t127\.0\.0\.1\t-$'
check "sessions: no session id in the listing" \
	sh -c "! grep -q -e '$F1' -e '$F2' '$tmp/a.out'"
admin -- sessions nobody@example.com
check_eq "sessions unknown: exit 1" "$A_RC" 1
check_match "sessions unknown: message" "$A_ERR" 'no such account'

admin -- disable fay@example.com
check_eq "disable: exit 0" "$A_RC" 0
check_eq "disable: says so" "$A_OUT" "disabled fay@example.com, ended 2 sessions"
cgi -- GET /profile "" "$F1"
check_status "disable: the sessions end" 403
cgi -- POST /sessions "email=fay%40example.com&password=$PW"
check_status "disable: the right password answers 401" 401
check_body_exact "disable: like a wrong password" '{"message": "wrong email or password"}'
admin -- sessions fay@example.com
check_eq "disable: no session listed" "$A_OUT" ""
admin -- enable fay@example.com
check_eq "enable: exit 0" "$A_RC" 0
check_eq "enable: says so" "$A_OUT" "enabled fay@example.com"
cgi -- POST /sessions "email=fay%40example.com&password=$PW"
check_status "enable: fay logs in" 200
admin -- disable nobody@example.com
check_eq "disable unknown: exit 1" "$A_RC" 1

for i in 1 2 3 4 5; do
	cgi -- POST /sessions "email=fay%40example.com&password=wrong-$i"
done
cgi -- POST /sessions "email=fay%40example.com&password=$PW"
check_status "unlock: fay is locked" 429
admin -- unlock Fay@Example.com
check_eq "unlock: exit 0" "$A_RC" 0
check_eq "unlock: says so" "$A_OUT" "unlocked Fay@Example.com"
cgi -- POST /sessions "email=fay%40example.com&password=$PW"
check_status "unlock: fay logs in" 200
admin -- unlock nobody@example.com
check_eq "unlock unknown: exit 1" "$A_RC" 1
check_match "unlock unknown: message" "$A_ERR" 'no such account'

# ------------------------------------------------------------------ purge

# What purge removes is made old by moving its times back in the database
# by AGE seconds, so that how long the requests take cannot matter. dave: a
# session and a reset token (TTL 600 s); hal: a lock of 600 s after 2
# failures; every failure so far (window 600 s). bob's lock (900 s, from
# above) is still running and keeps its time; so does dave's fresh
# session, made after the ageing. purge runs with an idle limit of 600 s:
# with the default 1800 s, no session would be old enough.
SHORT=(AUTHCGI_SESSION_IDLE=600)
AGE=1000
BOB_LOCK=$(sql "SELECT group_concat(quote(key)) FROM throttle_locks")
check_eq "purge: one lock before (bob's)" "$(sql 'SELECT count(*) FROM throttle_locks')" 1
for i in 1 2 3; do
	cgi AUTHCGI_LOCK_ACCOUNT=2 AUTHCGI_LOCK_WINDOW=600 AUTHCGI_LOCK_TIME=600 \
		-- POST /sessions "email=hal%40example.com&password=wrong-$i"
done
check_status "purge: hal locked" 429
cgi -- POST /sessions "email=dave%40example.com&password=$PW"
DAVE_OLD=$(sid)
cgi AUTHCGI_RESET_TTL=600 -- POST /reset_password "email=dave%40example.com"
check_status "purge: dave's reset token" 200
TOKEN=$(body_get reset_token)
sessions_before=$(sql 'SELECT count(*) FROM sessions')
sql "UPDATE sessions SET created_at = created_at - $AGE, last_seen = last_seen - $AGE;
	UPDATE reset_tokens SET expires_at = expires_at - $AGE;
	UPDATE throttle_events SET at = at - $AGE;
	UPDATE throttle_locks SET until = until - $AGE WHERE key NOT IN ($BOB_LOCK)"
cgi -- POST /sessions "email=dave%40example.com&password=$PW"
DAVE_NEW=$(sid)
admin "${SHORT[@]}" -- purge
check_eq "purge: exit 0" "$A_RC" 0
check_match "purge: prints counts" "$A_OUT" '^purged [0-9]+ sessions, [0-9]+ reset tokens, [0-9]+ lockout counters, [0-9]+ email links, [0-9]+ remembered addresses, [0-9]+ pending log-ins$'
n_sess=$(sed -n 's/^purged \([0-9]*\) sessions.*/\1/p' <<<"$A_OUT")
n_tok=$(sed -n 's/.*, \([0-9]*\) reset tokens.*/\1/p' <<<"$A_OUT")
n_thr=$(sed -n 's/.*, \([0-9]*\) lockout counters.*/\1/p' <<<"$A_OUT")
check_eq "purge: every session idle for longer than AUTHCGI_SESSION_IDLE removed" "$n_sess" "$sessions_before"
check_eq "purge: the expired token removed" "$n_tok" 1
check "purge: ended locks and old failures removed (hal's lock, the failures)" test "${n_thr:-0}" -ge 2
check_eq "purge: no reset token left" "$(sql 'SELECT count(*) FROM reset_tokens')" 0
check_eq "purge: only the fresh session left" "$(sql 'SELECT count(*) FROM sessions')" 1
check_eq "purge: one lockout left (bob's running lock), no failure older than the window" \
	"$(sql 'SELECT (SELECT count(*) FROM throttle_locks) || "/" || (SELECT count(*) FROM throttle_events)')" 1/0
cgi -- GET /profile "" "$DAVE_NEW"
check_status "purge: the fresh session still works" 200
cgi -- GET /profile "" "$DAVE_OLD"
check_status "purge: the old session is gone" 403
cgi -- PUT /reset_password "email=dave%40example.com&reset_token=$TOKEN&new_password=n3wpass"
check_status "purge: the old token is gone" 403
cgi -- POST /sessions "email=bob%40example.com&password=$PW"
check_status "purge: bob's running lock is kept" 429
cgi -- POST /sessions "email=hal%40example.com&password=$PW"
check_status "purge: hal logs in" 200
# Safe to run twice (as cron would): with the default lifetimes, nothing
# more has ended since.
admin -- purge
check_eq "purge again: exit 0" "$A_RC" 0
check_eq "purge again: nothing to do" "$A_OUT" "purged 0 sessions, 0 reset tokens, 0 lockout counters, 0 email links, 0 remembered addresses, 0 pending log-ins"
admin -- purge
check_eq "purge a third time: exit 0" "$A_RC" 0

# -------------------------------------------------------- import-original

# The original Flask service's database: SQLAlchemy's users table, the
# bcrypt hashes stored as the bytes bcrypt.hashpw() returned (BLOB).
ORIG=$tmp/original.db
"$PY" - "$ORIG" <<'EOF' >"$tmp/mk.err" 2>&1
import ctypes, sqlite3, sys
crypt = ctypes.CDLL("libcrypt.so.1")
crypt.crypt_gensalt.restype = ctypes.c_char_p
crypt.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
crypt.crypt.restype = ctypes.c_char_p
crypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
def bcrypt(pw):
    salt = crypt.crypt_gensalt(b"$2b$", 12, None, 0)
    h = crypt.crypt(pw.encode(), salt)
    assert h and h.startswith(b"$2b$12$"), h
    return h
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE users (id INTEGER NOT NULL, email VARCHAR(250) NOT NULL,"
           " hashed_password VARCHAR(250) NOT NULL, session_id VARCHAR(250),"
           " reset_token VARCHAR(250), PRIMARY KEY (id))")
rows = [("frank@example.com", bcrypt("fr4nkpass"), "6f1c2a6e-0000-4000-8000-000000000001", None),
        ("gina@example.com", bcrypt("g1napass"), None, "6f1c2a6e-0000-4000-8000-000000000002"),
        ("Erin@Example.com", bcrypt("not-erins-password"), None, None)]
for email, h, sid, tok in rows:
    db.execute("INSERT INTO users (email, hashed_password, session_id, reset_token)"
               " VALUES (?, ?, ?, ?)", (email, sqlite3.Binary(h), sid, tok))
db.commit()
EOF
check "import-original: original database made" test -s "$ORIG"
check_eq "import-original: hashes stored as BLOBs" \
	"$(sqlite3 -batch "$ORIG" "SELECT group_concat(typeof(hashed_password)) FROM users")" "blob,blob,blob"
admin -- import-original "$tmp/missing.db"
check_eq "import-original missing file: exit 1" "$A_RC" 1
check_match "import-original missing file: message" "$A_ERR" 'missing\.db'
check "import-original missing file: not created" test ! -e "$tmp/missing.db"
printf 'not a database' >"$tmp/junk.db"
admin -- import-original "$tmp/junk.db"
check_eq "import-original not a database: exit 1" "$A_RC" 1
admin -- import-original "$ORIG"
check_eq "import-original: exit 0" "$A_RC" 0
check_eq "import-original: counts (erin exists: skipped)" "$A_OUT" "imported 2 accounts, skipped 1"
check_match "import-original: frank's bcrypt hash kept" \
	"$(sql "SELECT password_hash FROM users WHERE email = 'frank@example.com'")" '^\$2b\$12\$'
check_eq "import-original: no session or token imported" \
	"$(sql "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email IN ('frank@example.com', 'gina@example.com')")" 0
# Log in with the default hash method (yescrypt): the old hash is upgraded.
cgi AUTHCGI_HASH_METHOD= AUTHCGI_HASH_COST= -- POST /sessions "email=frank%40example.com&password=fr4nkpass"
check_status "import-original: frank logs in with his password" 200
check_match "import-original: frank's hash upgraded to yescrypt" \
	"$(sql "SELECT password_hash FROM users WHERE email = 'frank@example.com'")" '^\$y\$'
cgi AUTHCGI_HASH_METHOD= AUTHCGI_HASH_COST= -- POST /sessions "email=frank%40example.com&password=fr4nkpass"
check_status "import-original: frank logs in again (upgraded hash)" 200
cgi -- POST /sessions "email=gina%40example.com&password=wrong-pass"
check_status "import-original: gina, wrong password 401" 401
check_match "import-original: gina's hash not upgraded by a failure" \
	"$(sql "SELECT password_hash FROM users WHERE email = 'gina@example.com'")" '^\$2b\$12\$'
cgi -- POST /sessions "email=gina%40example.com&password=g1napass"
check_status "import-original: gina logs in" 200
cgi -- POST /sessions "email=erin%40example.com&password=$PW"
check_status "import-original: erin keeps her own password" 200
cgi -- POST /sessions "email=erin%40example.com&password=not-erins-password"
check_status "import-original: not the original's password for erin" 401
admin -- import-original "$ORIG"
check_eq "import-original twice: all skipped" "$A_OUT" "imported 0 accounts, skipped 3"

check "no crash reported on stderr" \
	test -z "$(grep -E 'Sanitizer|runtime error:|Segmentation' "$tmp/cgi.err" 2>/dev/null)"
summary
