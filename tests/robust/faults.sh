#!/bin/bash
# faults.sh: database faults. The CGI is run directly (CGI/1.1 variables,
# the body on stdin; a copy of cgi-bin/auth.cgi taken at start), and the
# lock and corruption faults once more through a real lighttpd.
#
#   missing directory; read-only directory and file (the CGI run as
#   nobody, with and without the -wal/-shm files present); a write lock
#   held past AUTHCGI_BUSY_TIMEOUT (and one released before it: a wait,
#   not an error); a full database (AUTHCGI_DB_MAX_PAGES); a corrupt file
#   (garbage header, garbage in the middle, broken b-tree roots).
#
# Under each fault every write (register, login, failed login, logout,
# reset request, reset update) must answer 503 with a JSON "message", log
# the cause to stderr, and change nothing (sqlite3 .dump of a copy before
# and after compare equal); once the fault is gone the same requests work.
#
# Usage: tests/robust/faults.sh   (after make; as root, for the read-only
# cases: they run the CGI as nobody, and are skipped when not root)
# Last line "N passed, N failed"; exit 1 on failure. VERBOSE=1 prints passes.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"
# shellcheck disable=SC1091
. "$here/../lib/server.sh"

PY=/usr/bin/python3
T0=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-faults.XXXXXX")
LOCK_PID=""
cleanup() {
	if [ -n "$LOCK_PID" ]; then
		kill "$LOCK_PID" 2>/dev/null
		wait "$LOCK_PID" 2>/dev/null
	fi
	server_stop
	chmod -R u+rwX "$tmp" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# nobody must reach the copy of the CGI and the databases under $tmp.
chmod 755 "$tmp"
mkdir -p "$tmp/bin"
if [ ! -x "$root/cgi-bin/auth.cgi" ]; then
	fail "cgi-bin/auth.cgi is built" "run make first"
	summary
	exit 1
fi
cp "$root/cgi-bin/auth.cgi" "$tmp/bin/auth.cgi"
chmod 755 "$tmp/bin" "$tmp/bin/auth.cgi"
BIN=$tmp/bin/auth.cgi

PW=b4l0u-pass
NEWPW=t4rt1fl3tt3
DB=""          # the database of the current case
EXTRA_ENV=()   # AUTHCGI_* settings of the current case
AS_NOBODY=""   # 1: run the CGI as nobody
# A fast hash for every request: the faults are in the database.
HASH_ENV=("AUTHCGI_HASH_METHOD=\$2b\$" AUTHCGI_HASH_COST=4)

# run_cgi METHOD PATH BODY [NAME=VALUE...]: one CGI request; stdout to
# $tmp/out (parsed into R_*), stderr to $tmp/err, exit code in CGI_RC,
# wall time in ELAPSED_MS. Killed after 20 s (a hang is a failure).
run_cgi() {
	local method=$1 path=$2 body=$3 t0
	shift 3
	local envl=(PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1
		SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD="$method"
		PATH_INFO="$path" SCRIPT_NAME= QUERY_STRING=
		REMOTE_ADDR=127.0.0.1 CONTENT_LENGTH=${#body}
		AUTHCGI_DB="$DB" "${HASH_ENV[@]}")
	[ -n "$body" ] && envl+=(CONTENT_TYPE=application/x-www-form-urlencoded)
	envl+=("${EXTRA_ENV[@]}" "$@")
	local pre=()
	[ -n "$AS_NOBODY" ] &&
		pre=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	t0=$(date +%s%N)
	printf %s "$body" | timeout -s KILL 20 "${pre[@]}" env -i "${envl[@]}" \
		"$BIN" >"$tmp/out" 2>"$tmp/err"
	CGI_RC=$?
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
	resp_parse "$tmp/out"
}

# no_crash NAME: the CGI ended by itself and wrote a Status line.
no_crash() {
	if [ "$CGI_RC" -ge 128 ] || [ -z "$R_STATUS" ]; then
		fail "$1: no crash or hang" "exit $CGI_RC, status '$R_STATUS', stderr: $(head -c 300 "$tmp/err")"
	else
		ok "$1: no crash or hang"
	fi
}

# expect_fault NAME CAUSE_ERE: 503, JSON message, cause on stderr.
expect_fault() {
	no_crash "$1"
	check_status "$1: 503" 503
	check_header "$1: Content-Type" Content-Type application/json
	check_has_message "$1: JSON message"
	if grep -qiE "$2" "$tmp/err"; then
		ok "$1: stderr names the cause"
	else
		fail "$1: stderr names the cause (/$2/)" "stderr: $(head -c 300 "$tmp/err" | tr '\n' '|')"
	fi
}

# snapshot FILE: .dump of a copy of the database (the copy keeps the
# sqlite3 shell from checkpointing or removing the real -wal/-shm).
snapshot() {
	rm -rf "$tmp/snap"
	mkdir -p "$tmp/snap"
	cp "$DB" "$tmp/snap/db" 2>/dev/null || {
		echo "(no database)" >"$1"
		return
	}
	[ -f "$DB-wal" ] && cp "$DB-wal" "$tmp/snap/db-wal"
	sqlite3 "$tmp/snap/db" .dump >"$1" 2>&1
}

# unchanged NAME BEFORE: the database dumps as BEFORE did.
unchanged() {
	snapshot "$tmp/after.sql"
	if cmp -s "$2" "$tmp/after.sql"; then ok "$1: database unchanged"; else
		fail "$1: database unchanged" "$(diff "$2" "$tmp/after.sql" | head -n 6 | tr '\n' '|')"
	fi
}

# json_get KEY: KEY of the last response body.
json_get() { body_get "$1"; }
sid_of() {
	header_all Set-Cookie | sed -n 's/^session_id=\([^;]*\).*/\1/p' | head -n 1
}

# mkdb DIR: a fresh database with alice (logged in: SID_A) and bob (a
# reset token: TOK_B), made as root with no fault.
mkdb() {
	local save_nobody=$AS_NOBODY save_env=("${EXTRA_ENV[@]}")
	AS_NOBODY=""
	EXTRA_ENV=()
	rm -rf "$1"
	mkdir -p "$1"
	DB=$1/auth.db
	AUTHCGI_DB=$DB "$BIN" init >/dev/null 2>&1
	run_cgi POST /users "email=alice@example.com&password=$PW"
	run_cgi POST /users "email=bob@example.com&password=$PW"
	run_cgi POST /sessions "email=alice@example.com&password=$PW"
	SID_A=$(sid_of)
	run_cgi POST /reset_password "email=bob@example.com"
	TOK_B=$(json_get reset_token)
	if [ -z "$SID_A" ] || [ -z "$TOK_B" ]; then
		fail "setup $1" "no session or token (status $R_STATUS)"
	fi
	AS_NOBODY=$save_nobody
	EXTRA_ENV=("${save_env[@]}")
}

NEWN=0
# fault_writes LABEL CAUSE_ERE: every kind of write answers 503 with the
# cause logged, and the database is unchanged.
fault_writes() {
	local label=$1 cause=$2
	snapshot "$tmp/before.sql"
	NEWN=$((NEWN + 1))
	run_cgi POST /users "email=new$NEWN@example.com&password=$PW"
	expect_fault "$label: register" "$cause"
	run_cgi POST /sessions "email=alice@example.com&password=$PW"
	expect_fault "$label: login" "$cause"
	check_header_absent "$label: login sets no cookie" Set-Cookie
	run_cgi POST /sessions "email=alice@example.com&password=wrong-pw"
	expect_fault "$label: failed login" "$cause"
	run_cgi DELETE /sessions "" "HTTP_COOKIE=session_id=$SID_A"
	expect_fault "$label: logout" "$cause"
	run_cgi POST /reset_password "email=alice@example.com"
	expect_fault "$label: reset request" "$cause"
	run_cgi PUT /reset_password "email=bob@example.com&reset_token=$TOK_B&new_password=$NEWPW"
	expect_fault "$label: reset update" "$cause"
	unchanged "$label" "$tmp/before.sql"
}

# works_again LABEL: with the fault gone, reads and writes work, and
# nothing was spent by the failed attempts (bob's token still works).
works_again() {
	local label="$1: after the fault"
	NEWN=$((NEWN + 1))
	run_cgi POST /users "email=new$NEWN@example.com&password=$PW"
	check_status "$label: register" 200
	run_cgi GET /profile "" "HTTP_COOKIE=session_id=$SID_A"
	check_status "$label: profile" 200
	run_cgi POST /sessions "email=alice@example.com&password=$PW"
	check_status "$label: login" 200
	run_cgi PUT /reset_password "email=bob@example.com&reset_token=$TOK_B&new_password=$NEWPW"
	check_status "$label: bob's reset token still works" 200
	run_cgi DELETE /sessions "" "HTTP_COOKIE=session_id=$SID_A"
	check_status "$label: logout" 302
	check_eq "$label: integrity_check" "$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1)" ok
}

# ================================================================ missing
echo "== database directory missing"
mkdb "$tmp/m"
DB=$tmp/m/nope/auth.db
fault_writes "missing dir" "unable to open|cannot open"
run_cgi GET /profile "" "HTTP_COOKIE=session_id=$SID_A"
expect_fault "missing dir: profile" "unable to open|cannot open"
run_cgi GET / ""
check_status "missing dir: GET / needs no database" 200
check "missing dir: nothing created" test ! -e "$tmp/m/nope"
mkdir "$tmp/m/nope"
cp "$tmp/m/auth.db" "$DB"
[ -f "$tmp/m/auth.db-wal" ] && cp "$tmp/m/auth.db-wal" "$DB-wal"
works_again "missing dir"

# ============================================================== read-only
if [ "$(id -u)" -eq 0 ]; then
	# (1) -wal and -shm present (the app keeps them between requests):
	# reads work, writes fail.
	echo "== read-only directory and file, -wal/-shm present (as nobody)"
	mkdb "$tmp/ro1"
	run_cgi GET /profile "" "HTTP_COOKIE=session_id=$SID_A" # as root
	chmod 0644 "$DB" "$DB-wal" "$DB-shm" "$DB.key" 2>/dev/null
	chmod 0755 "$tmp/ro1"
	check "ro: -wal and -shm exist" test -f "$DB-wal" -a -f "$DB-shm"
	AS_NOBODY=1
	run_cgi GET /profile "" "HTTP_COOKIE=session_id=$SID_A"
	no_crash "ro: profile"
	check_status "ro: profile (a read) works" 200
	fault_writes "ro" "readonly|read-only"
	AS_NOBODY=""
	works_again "ro (as root)"

	# (2) no -wal/-shm (e.g. after the sqlite3 shell checkpointed): SQLite
	# cannot create them in the read-only directory, so even reads fail;
	# they must fail the same way: 503, cause logged.
	echo "== read-only directory and file, no -wal/-shm (as nobody)"
	mkdb "$tmp/ro2"
	sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	check "ro, no wal: -wal and -shm gone" test ! -e "$DB-wal" -a ! -e "$DB-shm"
	chmod 0644 "$DB" "$DB.key"
	chmod 0755 "$tmp/ro2"
	AS_NOBODY=1
	run_cgi GET /profile "" "HTTP_COOKIE=session_id=$SID_A"
	no_crash "ro, no wal: profile"
	if [ "$R_STATUS" == 200 ]; then
		ok "ro, no wal: profile"
		echo "  ro, no wal: profile (a read) answered 200"
	else
		expect_fault "ro, no wal: profile" "readonly|read-only|unable to open"
		echo "  ro, no wal: profile (a read) answered $R_STATUS (SQLite cannot create -shm)"
	fi
	fault_writes "ro, no wal" "readonly|read-only|unable to open"
	AS_NOBODY=""
	works_again "ro, no wal (as root)"

	# (3) the directory writable by nobody, the file owned by root 0644:
	# SQLite makes -wal/-shm, reads work, writes fail.
	echo "== read-only file in a writable directory (as nobody)"
	mkdb "$tmp/ro3"
	sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	chmod 0644 "$DB" "$DB.key"
	chown 65534:65534 "$tmp/ro3"
	AS_NOBODY=1
	run_cgi GET /profile "" "HTTP_COOKIE=session_id=$SID_A"
	no_crash "ro file: profile"
	check_status "ro file: profile (a read) works" 200
	fault_writes "ro file" "readonly|read-only"
	AS_NOBODY=""
	chown 0:0 "$tmp/ro3"
	rm -f "$DB-wal" "$DB-shm" # nobody's; root will make its own
	works_again "ro file (as root)"

	# (4) the secret key file unreadable (root's, 0600), the database
	# fine: whatever needs the key is a 503 naming it; the key is left
	# alone, never replaced.
	echo "== the secret key file unreadable (as nobody)"
	mkdb "$tmp/key1"
	chmod 0666 "$DB" "$DB-wal" "$DB-shm" 2>/dev/null
	chmod 0777 "$tmp/key1"
	key_before=$(sha256sum <"$DB.key")
	AS_NOBODY=1
	run_cgi GET /profile "" "HTTP_COOKIE=session_id=$SID_A"
	check_status "key unreadable: profile (needs no key) works" 200
	run_cgi POST /sessions "email=bob@example.com&password=$PW"
	expect_fault "key unreadable: login" "secret key: cannot read"
	run_cgi POST /reset_password "email=bob@example.com"
	expect_fault "key unreadable: reset request" "secret key: cannot read"
	AS_NOBODY=""
	check_eq "key unreadable: the key is unchanged" "$(sha256sum <"$DB.key")" "$key_before"
	# (5) malformed: the same, for root too.
	echo "== the secret key file malformed"
	printf 'not a key\n' >"$DB.key"
	run_cgi POST /sessions "email=bob@example.com&password=$PW"
	expect_fault "key malformed: login" "secret key: .* is not 64 hexadecimal digits"
	check_eq "key malformed: the file is left alone" "$(cat "$DB.key")" "not a key"
else
	echo "(not root: read-only cases skipped)"
fi

# ================================================================== lock
# lock_start DB [insert]: hold the write lock until lock_stop (at most
# 120 s).
lock_start() {
	rm -f "$tmp/lock.ready" "$tmp/lock.release"
	"$PY" "$here/fault_lock.py" "$1" "$tmp/lock.ready" "$tmp/lock.release" 120 \
		${2:+"$2"} >"$tmp/lock.out" 2>&1 &
	LOCK_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -f "$tmp/lock.ready" ] && return 0
		kill -0 "$LOCK_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "lock: holder ready" "$(cat "$tmp/lock.out")"
	return 1
}
lock_stop() {
	touch "$tmp/lock.release"
	wait "$LOCK_PID"
	LOCK_RC=$?
	LOCK_PID=""
}

echo "== write lock held past AUTHCGI_BUSY_TIMEOUT=200"
mkdb "$tmp/lock"
EXTRA_ENV=(AUTHCGI_BUSY_TIMEOUT=200)
if lock_start "$DB"; then
	t0=$(date +%s%N)
	fault_writes "locked" "locked|busy"
	run_cgi POST /users "email=timing@example.com&password=$PW"
	expect_fault "locked: register again" "locked|busy"
	# The holder keeps the lock until lock_stop: a 503 is the app giving
	# up after its busy timeout, however slowly it runs.
	check "locked: the 503 came after the busy timeout ($ELAPSED_MS ms)" \
		test "$ELAPSED_MS" -ge 150
	check "locked: the lock was still held" kill -0 "$LOCK_PID"
	# A read blocked by the lock would have been a 503 after 200 ms too.
	run_cgi GET /profile "" "HTTP_COOKIE=session_id=$SID_A"
	check_status "locked: profile (a read) is not blocked ($ELAPSED_MS ms)" 200
	lock_stop
	echo "  lock held $((($(date +%s%N) - t0) / 1000000)) ms for 8 writes"
fi
EXTRA_ENV=()
works_again "locked"

echo "== write lock released before the busy timeout: the write waits"
mkdb "$tmp/wait"
EXTRA_ENV=(AUTHCGI_BUSY_TIMEOUT=5000)
for what in register login reset; do
	if ! lock_start "$DB" insert; then
		break
	fi
	case $what in
	register) args=(POST /users "email=waiter@example.com&password=$PW") ;;
	login) args=(POST /sessions "email=alice@example.com&password=$PW") ;;
	reset) args=(PUT /reset_password "email=bob@example.com&reset_token=$TOK_B&new_password=$NEWPW") ;;
	esac
	run_cgi "${args[@]}" >/dev/null &
	CGI_BG=$!
	sleep 1
	lock_stop
	wait "$CGI_BG"
	resp_parse "$tmp/out"
	check_status "wait ($what): 200 once the lock is released" 200
	check_eq "wait ($what): the holder committed" "$LOCK_RC" 0
	sqlite3 "$DB" "DELETE FROM throttle_locks WHERE key = 'test:lock-holder'"
	echo "  wait ($what): $(cat "$tmp/lock.out")"
done
n=$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE email = 'waiter@example.com'")
check_eq "wait: the waiting registration is in the database" "$n" 1
run_cgi POST /sessions "email=bob@example.com&password=$NEWPW"
check_status "wait: the waiting reset took effect" 200
EXTRA_ENV=()

# timing of a wait, measured apart (run_cgi in the background above
# cannot report its time): at least the time the lock was held.
if lock_start "$DB"; then
	( sleep 1; touch "$tmp/lock.release" ) &
	sleeper=$!
	EXTRA_ENV=(AUTHCGI_BUSY_TIMEOUT=5000)
	run_cgi POST /users "email=waiter2@example.com&password=$PW"
	check_status "wait: register under a 1 s lock" 200
	check "wait: it waited for the lock ($ELAPSED_MS ms)" \
		test "$ELAPSED_MS" -ge 900
	EXTRA_ENV=()
	wait "$sleeper"
	lock_stop
fi
check_eq "wait: integrity_check" "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok

# ================================================================== full
echo "== full database (AUTHCGI_DB_MAX_PAGES)"
mkdb "$tmp/full"
pages=$(sqlite3 "$DB" 'PRAGMA page_count')
max=$((pages + 2))
EXTRA_ENV=(AUTHCGI_DB_MAX_PAGES=$max)
got503=""
for i in $(seq 1 400); do
	snapshot "$tmp/before.sql"
	run_cgi POST /users "email=filler-$i-$(printf '%040d' "$i")@example.com&password=$PW"
	[ "$R_STATUS" == 200 ] && continue
	got503=$i
	break
done
echo "  $pages pages, limit $max: registration $got503 was refused ($R_STATUS)"
if [ -n "$got503" ]; then
	expect_fault "full: register" "full"
	unchanged "full: register" "$tmp/before.sql"
	# Other writes may still fit in their tables' pages: each is either
	# done (its success status) or a clean 503 that changed nothing.
	full_one() { # LABEL SUCCESS_STATUS METHOD PATH BODY [ENV...]
		local label=$1 want=$2
		shift 2
		snapshot "$tmp/before.sql"
		run_cgi "$@"
		if [ "$R_STATUS" == "$want" ]; then
			ok "full: $label"
			echo "  full: $label answered $want (it fit)"
		else
			expect_fault "full: $label" "full"
			unchanged "full: $label" "$tmp/before.sql"
		fi
	}
	full_one "register again" 200 POST /users "email=filler-again-$(printf '%040d' 0)@example.com&password=$PW"
	full_one "login" 200 POST /sessions "email=alice@example.com&password=$PW"
	full_one "failed login" 401 POST /sessions "email=alice@example.com&password=wrong-pw"
	full_one "reset request" 200 POST /reset_password "email=alice@example.com"
	full_one "reset update" 200 PUT /reset_password "email=bob@example.com&reset_token=$TOK_B&new_password=$NEWPW"
	check_eq "full: the file kept to its limit" \
		"$(($(sqlite3 "$DB" 'PRAGMA page_count') <= max))" 1
else
	fail "full: a registration was refused" "all 400 registrations fit in $max pages"
fi
EXTRA_ENV=()
NEWN=$((NEWN + 1))
run_cgi POST /users "email=new$NEWN@example.com&password=$PW"
check_status "full: after the fault: register" 200
run_cgi POST /sessions "email=filler-1-$(printf '%040d' 1)@example.com&password=$PW"
check_status "full: after the fault: an account made before logs in" 200
check_eq "full: integrity_check" "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok

# =============================================================== corrupt
echo "== corrupt database"
mkdb "$tmp/cor"
# 300 more accounts (same password hash as alice) so that tables span
# many pages, then a checkpoint so that every page is in the main file.
hash=$(sqlite3 "$DB" "SELECT password_hash FROM users WHERE email = 'alice@example.com'")
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
	INSERT INTO users (email, password_hash, created_at)
	SELECT 'user' || i || '@example.com', '$hash', 0 FROM n;
	PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
rm -f "$DB-wal" "$DB-shm"
cp "$DB" "$tmp/good.db"
PAGESIZE=$(sqlite3 "$DB" 'PRAGMA page_size')
NPAGES=$(sqlite3 "$DB" 'PRAGMA page_count')
rm -f "$DB-wal" "$DB-shm"
echo "  $NPAGES pages of $PAGESIZE bytes"
restore() {
	cp "$tmp/good.db" "$DB"
	rm -f "$DB-wal" "$DB-shm"
}
# overwrite OFFSET FILE: write FILE's bytes over the database at OFFSET.
overwrite() {
	dd if="$2" of="$DB" bs=1 seek="$1" conv=notrunc status=none
}
filehash() { cat "$DB" "$DB-wal" 2>/dev/null | sha256sum | cut -c1-16; }
# The data as SQL: a request that counted an attempt and then met the
# fault gives the count back, which leaves new bytes in the WAL but the
# same rows.
datahash() { sqlite3 "$DB" .dump 2>&1 | sha256sum | cut -c1-16; }
corrupt_all() { # LABEL CAUSE: every request answers 503, nothing written
	local label=$1 cause=$2 h
	h=$(filehash)
	fault_writes "$label" "$cause"
	run_cgi GET /profile "" "HTTP_COOKIE=session_id=$SID_A"
	expect_fault "$label: profile" "$cause"
	check_eq "$label: the file is untouched" "$(filehash)" "$h"
}

head -c 100 /dev/urandom >"$tmp/garbage100"
overwrite 0 "$tmp/garbage100"
corrupt_all "garbage header" "not a database|malformed|corrupt"
restore
head -c 84 /dev/urandom >"$tmp/garbage84"
overwrite 16 "$tmp/garbage84" # keep "SQLite format 3\0", break the rest
corrupt_all "garbage header after the magic" "not a database|malformed|corrupt"
restore
# The root page of every table and index (the schema itself, page 1,
# intact): any request that reads or writes an account, a session, a
# token or a counter goes through one of them.
for rp in $(sqlite3 "$tmp/good.db" "SELECT rootpage FROM sqlite_master WHERE rootpage > 1"); do
	head -c "$PAGESIZE" /dev/urandom >"$tmp/garbagepage"
	overwrite $(((rp - 1) * PAGESIZE)) "$tmp/garbagepage"
done
rm -f "$DB-wal" "$DB-shm"
corrupt_all "broken b-tree roots" "malformed|corrupt"
restore

# Garbage over two pages in the middle of the file: whatever touches them
# must be a clean 503 that writes nothing; the rest may work.
mid=$(((NPAGES / 2) * PAGESIZE))
head -c $((2 * PAGESIZE)) /dev/urandom >"$tmp/garbage2p"
overwrite "$mid" "$tmp/garbage2p"
integ=$(sqlite3 "file:$DB?mode=ro" 'PRAGMA integrity_check' 2>&1 | head -n 1)
check "mid-file garbage: integrity_check sees it" test "$integ" != ok
declare -A mid_counts=()
mid_bad=0
for i in $(seq 1 300) alice bob; do
	case $i in alice | bob) email=$i@example.com ;; *) email=user$i@example.com ;; esac
	h=$(datahash)
	run_cgi POST /sessions "email=$email&password=$PW"
	mid_counts[$R_STATUS]=$((${mid_counts[$R_STATUS]:-0} + 1))
	if [ "$CGI_RC" -ge 128 ] || [ -z "$R_STATUS" ]; then
		mid_bad=$((mid_bad + 1))
		fail "mid-file garbage: login $email: no crash" "exit $CGI_RC"
	elif [ "$R_STATUS" == 503 ]; then
		if ! grep -qiE "malformed|corrupt" "$tmp/err" || [ "$(datahash)" != "$h" ] ||
			[ -z "$(json_get message)" ]; then
			mid_bad=$((mid_bad + 1))
			fail "mid-file garbage: login $email: clean 503" "stderr $(head -c 300 "$tmp/err" | tr "\n" " "), data changed: $([ "$(datahash)" != "$h" ] && echo yes || echo no)"
		fi
	elif [ "$R_STATUS" != 200 ] && [ "$R_STATUS" != 401 ]; then
		mid_bad=$((mid_bad + 1))
		fail "mid-file garbage: login $email" "status $R_STATUS: $(head -c 200 "$R_BODY_FILE")"
	fi
done
mid_summary=""
for k in "${!mid_counts[@]}"; do mid_summary+="$k: ${mid_counts[$k]}, "; done
echo "  mid-file garbage at byte $mid: 302 logins -> ${mid_summary%, }"
check_eq "mid-file garbage: every answer 200, 401 or a clean 503" "$mid_bad" 0
check "mid-file garbage: some requests hit it (503)" test "${mid_counts[503]:-0}" -gt 0
restore
works_again "corrupt (restored)"

# ============================================================= lighttpd
echo "== through lighttpd: lock and corruption"
export AUTHCGI_BUSY_TIMEOUT=200 "${HASH_ENV[@]}"
if server_start "$tmp/srv"; then
	ok "lighttpd: start"
	APPLOG=${SERVER_APP_LOG:-$tmp/srv/cgi-stderr.log}
	DB=$tmp/srv/auth.db
	code=$(curl -s -o "$tmp/b" -w '%{http_code}' --max-time 10 \
		-d "email=web@example.com&password=$PW" "$SERVER_URL/users")
	check_eq "lighttpd: register" "$code" 200
	snapshot "$tmp/before.sql"
	if lock_start "$DB"; then
		code=$(curl -s -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' --max-time 10 \
			-d "email=web2@example.com&password=$PW" "$SERVER_URL/users")
		lock_stop
		cat "$tmp/h" "$tmp/b" >"$tmp/resp"
		resp_parse "$tmp/resp"
		check_status "lighttpd locked: register 503" 503
		check_header "lighttpd locked: Content-Type" Content-Type application/json
		check_has_message "lighttpd locked: JSON message"
		check "lighttpd locked: the app's log names the cause" grep -qiE "locked|busy" "$APPLOG"
		unchanged "lighttpd locked" "$tmp/before.sql"
	fi
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		-d "email=web2@example.com&password=$PW" "$SERVER_URL/users")
	check_eq "lighttpd: register after the lock" "$code" 200
	# Corrupt the header while the server runs (each request is a new
	# process: no connection holds the old file open).
	sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	cp "$DB" "$tmp/srv-good.db"
	overwrite 0 "$tmp/garbage100"
	rm -f "$DB-wal" "$DB-shm"
	: >"$APPLOG"
	code=$(curl -s -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' --max-time 10 \
		-d "email=web@example.com&password=$PW" "$SERVER_URL/sessions")
	cat "$tmp/h" "$tmp/b" >"$tmp/resp"
	resp_parse "$tmp/resp"
	check_status "lighttpd corrupt: login 503" 503
	check_has_message "lighttpd corrupt: JSON message"
	check "lighttpd corrupt: the app's log names the cause" grep -qiE "not a database|malformed|corrupt" "$APPLOG"
	cp "$tmp/srv-good.db" "$DB"
	rm -f "$DB-wal" "$DB-shm"
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		-d "email=web@example.com&password=$PW" "$SERVER_URL/sessions")
	check_eq "lighttpd: login after the file is restored" "$code" 200
	server_stop
else
	fail "lighttpd: start" "did not start"
fi
unset AUTHCGI_BUSY_TIMEOUT AUTHCGI_HASH_METHOD AUTHCGI_HASH_COST

echo "total $(($(date +%s) - T0)) s"
summary
