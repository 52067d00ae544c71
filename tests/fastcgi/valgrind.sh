#!/bin/bash
# valgrind.sh: the executable in FastCGI mode under valgrind memcheck, for
# many requests in one process. lighttpd (conf/lighttpd-fastcgi.conf, one
# process) spawns it through a wrapper that execs valgrind; a client
# (tests/fastcgi/client.py) sends VALGRIND_REQUESTS (10,000) requests of a
# mix of 20 kinds over keep-alive; then lighttpd is stopped, which sends the
# process SIGUSR1 ("kill-signal"): libfcgi's accept loop ends, main()
# frees everything and returns, and valgrind writes its report.
#
# Checks: every answer as expected; the process exits by itself (not by a
# signal) after lighttpd stops; exactly one process served everything (no
# crash and respawn); valgrind: 0 errors, 0 bytes definitely or indirectly
# lost. Prints "fastcgi valgrind: N requests, E errors, L bytes lost", then
# "N passed, N failed" last. Bounded: the client gives up at
# VALGRIND_SECONDS (600), a guard against a hang rather than a measure of
# speed (the requests take about 40 s here).
#
# TEST_DB=postgres: on a database of a throwaway PostgreSQL cluster
# (tests/lib/pg.sh), the process's one connection kept throughout; at the
# end the server ends that connection (pg_terminate_backend), and the
# process, connected again, serves on.
#
# Usage: [TEST_DB=sqlite|postgres] tests/fastcgi/valgrind.sh [EXECUTABLE]
#   EXECUTABLE must be dynamically linked: valgrind cannot follow malloc in
#   a static binary (it reports every heap read as uninitialised and finds
#   no leaks). Default: cgi-bin/auth.cgi, as make builds it.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"
# shellcheck disable=SC1091
. "$here/../lib/server.sh"

N=${VALGRIND_REQUESTS:-10000}
SECONDS_MAX=${VALGRIND_SECONDS:-600}

exe=${1:-$root/cgi-bin/auth.cgi}
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac
if [ ! -x "$exe" ]; then
	fail "executable" "$exe is missing: run make first"
	summary
	exit 1
fi
# A dynamic executable has a program interpreter (ld.so).
if ! readelf -l "$exe" 2>/dev/null | grep -q 'program interpreter'; then
	fail "executable is dynamically linked" \
		"$exe is static: valgrind cannot check it; give it the one make builds"
	summary
	exit 1
fi
if ! command -v valgrind >/dev/null; then
	fail "valgrind installed" "apt-get install valgrind"
	summary
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-valgrind.XXXXXX")
state=$tmp/state
mkdir -p "$state"
TEST_DB=${TEST_DB:-sqlite}
cleanup() {
	server_stop
	[ "$TEST_DB" != postgres ] || pg_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The wrapper lighttpd spawns: exec, so that valgrind keeps the PID that
# lighttpd signals, and the FastCGI socket on stdin.
cat >"$state/vg-auth.cgi" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full \\
	--show-leak-kinds=definite,indirect,possible \\
	--errors-for-leak-kinds=definite,indirect --num-callers=30 \\
	--log-file="$state/valgrind.%p.log" "$exe"
EOF
chmod +x "$state/vg-auth.cgi"
# conf/lighttpd-fastcgi.conf, with the wrapper as bin-path.
sed 's#project_dir + "/cgi-bin/auth.cgi"#state_dir + "/vg-auth.cgi"#' \
	"$root/conf/lighttpd-fastcgi.conf" >"$state/lighttpd.conf"
check "config: bin-path is the valgrind wrapper" grep -q 'state_dir + "/vg-auth.cgi"' "$state/lighttpd.conf"

# Settings for the app: a fast hash, no throttling (the mix logs in with a
# wrong password 500 times).
# shellcheck disable=SC2016
export AUTHCGI_HASH_METHOD='$2b$' AUTHCGI_HASH_COST=4 AUTHCGI_LOCK_ACCOUNT=0 \
	AUTHCGI_LOCK_ADDRESS=0
if [ "$TEST_DB" == postgres ]; then
	# shellcheck disable=SC1091
	. "$here/../lib/pg.sh"
	pg_setup vg
	export AUTHCGI_DB=$DB AUTHCGI_SECRET_KEY_FILE=$state/auth.key
	"$exe" init >/dev/null 2>"$state/init.err"
	check_eq "database created" "$(pg_sql vg 'SELECT max(version) FROM authcgi_schema')" 6
else
	AUTHCGI_DB=$state/auth.db "$exe" init >/dev/null 2>"$state/init.err"
	check "database created" test -s "$state/auth.db"
fi

# Start lighttpd (one FastCGI process); valgrind needs a few seconds.
port=$(free_port)
SERVE_PORT=$port SERVE_STATE_DIR=$state SERVE_PROJECT_DIR=$root \
	SERVE_FASTCGI_PROCS=1 /usr/sbin/lighttpd -D -f "$state/lighttpd.conf" \
	</dev/null >"$state/lighttpd.stderr" 2>&1 &
SERVER_PID=$!
url=http://127.0.0.1:$port
up=""
for _ in $(seq 1 100); do
	kill -0 "$SERVER_PID" 2>/dev/null || break
	if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$url/")" == 200 ]; then
		up=1
		break
	fi
	sleep 0.3
done
if [ -z "$up" ]; then
	fail "lighttpd + valgrind answer" "$(tail -n 5 "$state/lighttpd.stderr" "$state/error.log" "$state"/valgrind.*.log 2>/dev/null)"
	summary
	exit 1
fi
ok "lighttpd + valgrind answer"

start=$(date +%s)
timeout $((SECONDS_MAX + 30)) /usr/bin/python3 "$here/client.py" "$url" "$N" "$SECONDS_MAX" \
	>"$tmp/client.out" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))
sent=$(sed -n 's/^sent \([0-9]*\),.*/\1/p' "$tmp/client.out")
sent=${sent:-0}
if [ $rc -eq 0 ]; then ok "client: $N requests answered as expected (${elapsed}s)"; else
	fail "client: $N requests answered as expected" "$(tail -n 6 "$tmp/client.out")"
fi

if [ "$TEST_DB" == postgres ]; then
	n=$(pg_sql vg "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'authcgi'")
	check_eq "the server ends the process's connection" "$n" 1
	sleep 0.5
	for i in 1 2 3; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$url/health")
		check_eq "connected again: health ($i)" "$code" 200
	done
fi

# One process served everything: a crash would have made lighttpd start
# another, with its own log.
logs=("$state"/valgrind.*.log)
check_eq "one FastCGI process for every request" "${#logs[@]}" 1
vlog=${logs[0]}
vpid=${vlog##*/valgrind.}
vpid=${vpid%.log}

# Stop lighttpd: it sends SIGUSR1 to the process, which must then leave
# by itself (valgrind prints its summaries at exit).
server_stop
for _ in $(seq 1 300); do
	kill -0 "$vpid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$vpid" 2>/dev/null; then
	fail "the FastCGI process exits after lighttpd stops" "pid $vpid still alive after 30 s"
	kill -9 "$vpid" 2>/dev/null
else
	ok "the FastCGI process exits after lighttpd stops"
fi
check "it returned from main (not killed by a signal)" \
	test -z "$(grep 'Process terminating with default action' "$vlog")"

errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$vlog" | tail -n 1 | tr -d ,)
bytes_of() {
	sed -n "s/.*$1: \\([0-9,]*\\) bytes.*/\\1/p" "$vlog" | tail -n 1 | tr -d ,
}
definite=$(bytes_of "definitely lost")
indirect=$(bytes_of "indirectly lost")
possible=$(bytes_of "possibly lost")
if grep -q 'All heap blocks were freed' "$vlog"; then
	definite=0 indirect=0 possible=0
fi
check_match "valgrind wrote its summary" "${errors:-}" '^[0-9]+$'
check_eq "valgrind: 0 errors" "${errors:-?}" 0
check_eq "valgrind: 0 bytes definitely lost" "${definite:-?}" 0
check_eq "valgrind: 0 bytes indirectly lost" "${indirect:-?}" 0
if [ "${possible:-0}" != 0 ]; then
	echo "note: valgrind: $possible bytes possibly lost (not counted)"
fi
if [ "$FAILED" -gt 0 ] || [ -n "${VERBOSE:-}" ]; then
	echo "---- $vlog (end) ----"
	tail -n 40 "$vlog"
fi

echo "fastcgi valgrind: $sent requests, ${errors:-?} errors, $((${definite:-0} + ${indirect:-0})) bytes lost"
summary
