#!/bin/bash
# killloop.sh: write requests to the CGI (run directly, no web server),
# each one SIGKILLed at a random moment, then the database must be sound
# and hold everything that was answered.
#
# KILL_N (200) requests: registrations, logins, reset requests and reset
# updates, in random order, each run as `timeout -s KILL <delay>` with a
# random delay of KILL_MIN_US..KILL_MAX_US microseconds (500..10000: a
# request takes 3-5 ms here with the fast hash, so kills land anywhere
# from start-up to the SQLite write and the answer). A fast hash
# (AUTHCGI_HASH_METHOD='$2b$', AUTHCGI_HASH_COST=4) keeps the hash from
# taking the whole request. A registration answered a complete 200 is
# "committed"; so is a password change answered 200. Throttling counts
# (limits too high to lock) so that its writes are killed too.
#
# Afterwards: PRAGMA integrity_check is ok; every committed account logs
# in (with its password, or, after a killed reset, with one of the two
# candidates); a killed registration left either no account or one that
# logs in; no row points to a missing account; a new write finds no lock
# left behind (with a busy timeout of 0 it would fail at once).
#
# Usage: tests/robust/killloop.sh   (after make)
# Last line "N passed, N failed"; exit 1 on failure. VERBOSE=1 prints passes.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"

KILL_N=${KILL_N:-200}
KILL_MIN_US=${KILL_MIN_US:-500}
KILL_MAX_US=${KILL_MAX_US:-10000}
SEED=${SEED:-$$}
T0=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-kill.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
if [ ! -x "$root/cgi-bin/auth.cgi" ]; then
	fail "cgi-bin/auth.cgi is built" "run make first"
	summary
	exit 1
fi
# A copy: others may rebuild cgi-bin/auth.cgi while this runs.
cp "$root/cgi-bin/auth.cgi" "$tmp/auth.cgi"
BIN=$tmp/auth.cgi
DB=$tmp/auth.db
RANDOM=$SEED
echo "seed $SEED (SEED=$SEED reproduces the choices, not the timing)"

COMMON_ENV=(PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1
	SERVER_PROTOCOL=HTTP/1.1 SCRIPT_NAME= QUERY_STRING=
	AUTHCGI_DB="$DB" "AUTHCGI_HASH_METHOD=\$2b\$" AUTHCGI_HASH_COST=4
	AUTHCGI_LOCK_ACCOUNT=1000000 AUTHCGI_LOCK_ADDRESS=1000000)

# cgi DELAY_US METHOD PATH BODY: run one request, SIGKILLed after DELAY_US
# microseconds (0: never, but 20 s at most). K_RC is the exit status (137
# when killed); the answer is parsed into R_*.
cgi() {
	local us=$1 method=$2 path=$3 body=$4 limit
	if [ "$us" -eq 0 ]; then limit=20; else
		limit=$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))
	fi
	(printf %s "$body" | timeout -s KILL "$limit" env -i "${COMMON_ENV[@]}" \
		REQUEST_METHOD="$method" PATH_INFO="$path" \
		REMOTE_ADDR="10.0.$((RANDOM % 200)).$((RANDOM % 200 + 1))" \
		CONTENT_LENGTH=${#body} \
		CONTENT_TYPE=application/x-www-form-urlencoded \
		"$BIN" >"$tmp/out" 2>"$tmp/err") 2>/dev/null
	K_RC=$?
	resp_parse "$tmp/out"
}

# complete STATUS KEY VALUE: the answer is whole: the status, and a JSON
# body that parses and has KEY = VALUE (a cut-off body does not parse).
complete() {
	[ "$R_STATUS" == "$1" ] && _json_py key "$2" "$3" >/dev/null
}

AUTHCGI_DB=$DB "$BIN" init >/dev/null 2>&1
check "init" test -f "$DB"

# Accounts: CAND[email] is the space-separated list of passwords it may
# have (one when certain); SURE[email]=1 when it is certain.
declare -A CAND=() SURE=() COMMITTED=() KILLED_REG=()
ACCOUNTS=()
for i in $(seq 1 10); do
	e=base$i@example.com
	cgi 0 POST /users "email=$e&password=base-pw-$i"
	if complete 200 message "user created"; then
		CAND[$e]=base-pw-$i
		SURE[$e]=1
		ACCOUNTS+=("$e")
	else
		fail "setup: register $e" "status $R_STATUS"
	fi
done

n=0 killed=0 completed=0 partial=0 regs=0 logins=0 rreqs=0 rupds=0 changed=0
declare -A BY_OP_KILLED=()
# One request in ten is not killed, so that some complete (and, one in
# twenty being a registration, some registrations commit) however fast or
# slow this machine runs them: a kill time races the process, not the
# test's outcome.
pick_delay() {
	if [ $((n % 10)) -eq 5 ]; then
		echo 0
	else
		echo $((KILL_MIN_US + (RANDOM * 32768 + RANDOM) % (KILL_MAX_US - KILL_MIN_US + 1)))
	fi
}
count() { # OP
	n=$((n + 1))
	if [ "$K_RC" -eq 137 ]; then
		killed=$((killed + 1))
		BY_OP_KILLED[$1]=$((${BY_OP_KILLED[$1]:-0} + 1))
		[ -s "$tmp/out" ] && partial=$((partial + 1))
	else
		completed=$((completed + 1))
		if [ -z "$R_STATUS" ] || [ "${R_STATUS:0:1}" == 5 ]; then
			fail "request $n ($1) not killed: a proper answer" "exit $K_RC, status '$R_STATUS', stderr $(head -c 200 "$tmp/err")"
		fi
	fi
}

tl=$(date +%s%N)
while [ "$n" -lt "$KILL_N" ]; do
	op=$((RANDOM % 100))
	[ $((n % 20)) -eq 5 ] && op=0
	if [ "$op" -lt 45 ]; then
		regs=$((regs + 1))
		e=kill$n-$RANDOM@example.com
		pw=pw-$n-$RANDOM
		cgi "$(pick_delay)" POST /users "email=$e&password=$pw"
		count register
		if [ "$K_RC" -ne 137 ] && complete 200 message "user created"; then
			COMMITTED[$e]=$pw
			CAND[$e]=$pw
			SURE[$e]=1
			ACCOUNTS+=("$e")
		elif [ "$K_RC" -eq 137 ]; then
			KILLED_REG[$e]=$pw
		else
			fail "register $e" "status $R_STATUS"
		fi
	elif [ "$op" -lt 70 ]; then
		logins=$((logins + 1))
		# an account whose password is certain
		e=${ACCOUNTS[$((RANDOM % ${#ACCOUNTS[@]}))]}
		[ -n "${SURE[$e]:-}" ] || e=${ACCOUNTS[0]}
		[ -n "${SURE[$e]:-}" ] || continue
		cgi "$(pick_delay)" POST /sessions "email=$e&password=${CAND[$e]}"
		count login
		if [ "$K_RC" -ne 137 ] && [ "$R_STATUS" != 200 ]; then
			fail "login $e (not killed)" "status $R_STATUS: $(head -c 100 "$R_BODY_FILE")"
		fi
	else
		rreqs=$((rreqs + 1))
		e=${ACCOUNTS[$((RANDOM % ${#ACCOUNTS[@]}))]}
		cgi "$(pick_delay)" POST /reset_password "email=$e"
		count reset_request
		[ "$K_RC" -ne 137 ] && [ "$R_STATUS" != 200 ] &&
			fail "reset request $e (not killed)" "status $R_STATUS"
		tok=""
		[ "$K_RC" -ne 137 ] && [ "$R_STATUS" == 200 ] && tok=$(body_get reset_token)
		[ -n "$tok" ] && [ "$n" -lt "$KILL_N" ] || continue
		rupds=$((rupds + 1))
		newpw=new-$n-$RANDOM
		cgi "$(pick_delay)" PUT /reset_password "email=$e&reset_token=$tok&new_password=$newpw"
		count reset_update
		if [ "$K_RC" -ne 137 ] && complete 200 message "Password updated"; then
			CAND[$e]=$newpw
			SURE[$e]=1
			changed=$((changed + 1))
		elif [ "$K_RC" -eq 137 ]; then
			# done or not: either password
			CAND[$e]="${CAND[$e]} $newpw"
			SURE[$e]=""
		else
			fail "reset update $e (not killed)" "status $R_STATUS: $(head -c 100 "$R_BODY_FILE")"
		fi
	fi
done
loop_ms=$((($(date +%s%N) - tl) / 1000000))

echo "requests $n in $loop_ms ms: killed $killed (with part of an answer written: $partial), completed $completed"
echo "  killed by kind: $(for k in "${!BY_OP_KILLED[@]}"; do printf '%s %s, ' "$k" "${BY_OP_KILLED[$k]}"; done)"
echo "  registrations $regs (committed ${#COMMITTED[@]}, killed ${#KILLED_REG[@]}), logins $logins, reset requests $rreqs, reset updates $rupds (committed $changed)"
ls -l "$DB" "$DB-wal" "$DB-shm" 2>/dev/null | awk '{print "  " $5 "\t" $9}'

# ------------------------------------------------------------ afterwards
integ=$(timeout 30 sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1)
echo "integrity_check: $integ"
check_eq "integrity_check" "$integ" ok
check "some requests were killed" test "$killed" -gt 0
check "some requests completed" test "$completed" -gt 0
check "some registrations committed" test "${#COMMITTED[@]}" -gt 0

# Every account with a committed registration (and the base accounts)
# logs in, with its password or one of its candidates.
lost=0 verified=0
for e in "${ACCOUNTS[@]}"; do
	okpw=""
	for p in ${CAND[$e]}; do
		cgi 0 POST /sessions "email=$e&password=$p"
		if [ "$R_STATUS" == 200 ]; then
			okpw=$p
			break
		fi
	done
	if [ -n "$okpw" ]; then verified=$((verified + 1)); else
		lost=$((lost + 1))
		fail "committed account $e logs in" "none of: ${CAND[$e]} (last status $R_STATUS)"
	fi
done
echo "committed accounts that log in: $verified of ${#ACCOUNTS[@]} (${#COMMITTED[@]} registered in the loop)"
check_eq "every committed account logs in" "$lost" 0

# A killed registration: either no account, or one that works.
present=0 half=0
for e in "${!KILLED_REG[@]}"; do
	c=$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE email = '$e'")
	[ "$c" == 0 ] && continue
	present=$((present + 1))
	cgi 0 POST /sessions "email=$e&password=${KILLED_REG[$e]}"
	if [ "$R_STATUS" != 200 ]; then
		half=$((half + 1))
		fail "killed registration $e: if present, it logs in" "status $R_STATUS"
	fi
done
echo "killed registrations present anyway (killed after the commit): $present of ${#KILLED_REG[@]}"
check_eq "no half-made account" "$half" 0

orphans=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM sessions WHERE user_id NOT IN (SELECT id FROM users))
	+ (SELECT count(*) FROM reset_tokens WHERE user_id NOT IN (SELECT id FROM users))")
check_eq "no session or token of a missing account" "$orphans" 0
nusers=$(sqlite3 "$DB" "SELECT count(*) FROM users")
check_eq "accounts in the database: committed + killed-but-present" "$nusers" \
	"$((${#ACCOUNTS[@]} + present))"

# No lock left behind: a write that would give up at the first busy lock
# (AUTHCGI_BUSY_TIMEOUT=0) goes through.
COMMON_ENV+=(AUTHCGI_BUSY_TIMEOUT=0)
cgi 0 POST /users "email=after@example.com&password=after-pw"
check_status "a write after the loop, with no wait for a lock" 200

echo "figures: requests $n, killed $killed, committed registrations ${#COMMITTED[@]}, integrity $integ, total $(($(date +%s) - T0)) s"
summary
