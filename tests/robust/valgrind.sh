#!/bin/bash
# valgrind.sh: the CGI suite (tests/cgi/run.sh) with every run of the
# executable under valgrind memcheck: a wrapper script in a temporary
# directory execs
#   valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
#     --show-leak-kinds=definite,indirect,possible
#     --errors-for-leak-kinds=definite,indirect,possible --quiet
#     --log-file=DIR/vg.%p.log  auth.cgi "$@"
# and the suite runs against the wrapper (environment and stdin pass
# through exec untouched; exit 99 is a failure to the suite). Each
# valgrind process writes its own log, so that every error and leak is
# counted here, whichever request made it: the figure printed is
#   valgrind: N requests, E errors, L leaks
# and any error or leak fails.
#
# Usage: tests/robust/valgrind.sh [--hostile] [AUTH_CGI]
#   AUTH_CGI   default cgi-bin/auth.cgi (copied first, so that a rebuild
#              while the suite runs cannot change it under the tests).
#              It must be dynamically linked, as make builds it: memcheck
#              does not replace malloc in a static executable (no leak
#              check) and reports false errors in libc's start-up.
#   --hostile  also run tests/robust/hostile.sh under valgrind (every
#              bad-input row, directly and through lighttpd; ~5 more min)
# The default hashing (yescrypt, cost 5) is kept: the CGI suite takes
# about 3-4 minutes under valgrind on 2 cores.
# Last line: "N passed, N failed" (the suites' checks plus the valgrind
# ones); exit 1 on failure.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"

HOSTILE=""
if [ "${1:-}" == --hostile ]; then
	HOSTILE=1
	shift
fi
bin=${1:-$root/cgi-bin/auth.cgi}
if [ ! -x "$bin" ]; then
	echo "usage: $0 [--hostile] [PATH_TO_AUTH_CGI]" >&2
	exit 2
fi
VALGRIND=$(command -v valgrind || echo /usr/bin/valgrind)
if [ ! -x "$VALGRIND" ]; then
	echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-valgrind.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
mkdir -p "$tmp/bin" "$tmp/vg"
# A dynamic executable has a program interpreter (ld.so).
if ! LC_ALL=C readelf -l "$bin" 2>/dev/null | grep -q 'Requesting program interpreter'; then
	fail "$bin is dynamically linked" "memcheck cannot check a static executable: give it the one make builds"
	summary
	exit 1
fi
cp "$bin" "$tmp/auth.bin"
cat >"$tmp/bin/auth.cgi" <<EOF
#!/bin/sh
# valgrind wrapper made by tests/robust/valgrind.sh
exec "$VALGRIND" --tool=memcheck --error-exitcode=99 --leak-check=full \\
	--show-leak-kinds=definite,indirect,possible \\
	--errors-for-leak-kinds=definite,indirect,possible --quiet \\
	--log-file="$tmp/vg/vg.%p.log" "$tmp/auth.bin" "\$@"
EOF
chmod +x "$tmp/bin/auth.cgi"

# add_suite NAME LOG RC: fold a suite's "N passed, N failed" into ours.
add_suite() {
	local name=$1 log=$2 rc=$3 last p f
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(sed -n 's/^\([0-9]*\) passed.*/\1/p' <<<"$last")
	f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$last")
	if [ -z "$p" ]; then
		fail "$name" "no summary line (exit $rc); last lines: $(tail -n 5 "$log" | tr '\n' ' ')"
		return
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	[ "$f" -gt 0 ] && FAILED_NAMES+=("$name: $f failed checks (listed above)")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$name" "exit $rc with no failed check"
	fi
}

# run_suite NAME BOUND_SECONDS COMMAND...: run a suite, show its failures.
run_suite() {
	local name=$1 bound=$2 t rc
	shift 2
	local log=$tmp/$(tr -c 'a-z0-9' _ <<<"$name").log
	t=$(date +%s)
	echo "-- $name: running (at most ${bound} s)"
	timeout "$bound" "$@" >"$log" 2>&1
	rc=$?
	echo "-- $name: $(tail -n 1 "$log") in $(($(date +%s) - t)) s (exit $rc)"
	[ "$rc" -eq 124 ] && fail "$name" "did not finish within $bound s"
	grep -E '^FAIL ' "$log" | head -n 40
	add_suite "$name" "$log" "$rc"
}

T0=$(date +%s)
# A request under valgrind on a loaded machine may take more than the
# suite's 10 s guard against a hang; the suite's bound is a last resort
# (it took 5 to 7 minutes on 2 busy cores).
CGI_HANG_SECONDS=60 run_suite "tests/cgi/run.sh under valgrind" 3600 \
	"$root/tests/cgi/run.sh" "$tmp/bin/auth.cgi"
if [ -n "$HOSTILE" ]; then
	run_suite "tests/robust/hostile.sh under valgrind" 1500 \
		"$here/hostile.sh" "$tmp/bin/auth.cgi"
fi

# Every valgrind process left one log; with --quiet it holds nothing but
# error reports, each opened by a headline line and closed by a line that
# is only "==PID==". A leak report's headline says "... are definitely
# (indirectly, possibly) lost in loss record ...".
# (An empty log, a clean run, has no line for awk: runs are files.)
NRUNS=$(find "$tmp/vg" -name 'vg.*.log' | wc -l)
read -r NERR NLEAK NWARN < <(awk '
	FNR == 1 { inblock = 0 }
	/^==[0-9]+== *$/ { inblock = 0; next }
	/^==[0-9]+== / {
		if (inblock) next
		inblock = 1
		line = $0
		sub(/^==[0-9]+== /, "", line)
		if (line ~ /are (definitely|indirectly|possibly) lost in loss record/) leaks++
		else if (line ~ /^Warning:/) warns++
		else errs++
	}
	END { printf "%d %d %d\n", errs, leaks, warns }' /dev/null "$tmp"/vg/vg.*.log 2>/dev/null)
echo "valgrind: $NRUNS requests, $NERR errors, $NLEAK leaks ($NWARN warnings; $(($(date +%s) - T0)) s)"
if [ "$((NERR + NLEAK + NWARN))" -gt 0 ]; then
	echo "-- valgrind reports (first 3 logs that have one):"
	for f in $(grep -l . "$tmp"/vg/vg.*.log | head -n 3); do
		echo "---- $f"
		head -n 40 "$f"
	done
fi
check "valgrind ran the executable (at least 100 runs: $NRUNS)" test "$NRUNS" -ge 100
check_eq "valgrind: memory errors" "$NERR" 0
check_eq "valgrind: leaks (definite, indirect, possible)" "$NLEAK" 0
check_eq "valgrind: warnings" "$NWARN" 0
summary
