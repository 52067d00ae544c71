#!/bin/sh
# run.sh: run libFuzzer targets for a while each, on a scratch copy of
# their seed corpus, and report one line per target plus a summary.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
#   TARGET is "form" or "fuzz_form"; the binary is BUILD_DIR/form (as the
#   Makefile names it) or BUILD_DIR/fuzz_form. Crash inputs are kept in
#   BUILD_DIR/artifacts/<target>/.
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 BUILD_DIR SECONDS TARGET..." >&2
	exit 2
fi
build=$1
secs=$2
shift 2
case "$secs" in
'' | *[!0-9]*)
	echo "$0: SECONDS must be a number" >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# The value of stat::<name> in a libFuzzer log, or nothing.
stat() {
	sed -n "s/^stat::$1:[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p" "$2" | tail -n 1
}

passed=0
failed=0
for t in "$@"; do
	t=${t#fuzz_}
	bin=$build/$t
	[ -x "$bin" ] || bin=$build/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "not ok fuzz_$t: no binary $build/$t"
		failed=$((failed + 1))
		continue
	fi
	corpus=$tmp/corpus-$t
	mkdir -p "$corpus"
	if [ -d "$here/corpus/$t" ]; then
		cp "$here/corpus/$t"/* "$corpus"/ 2>/dev/null
	fi
	art=$build/artifacts/$t
	mkdir -p "$art"
	log=$tmp/$t.log
	"$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$art/" "$corpus" \
	    >"$log" 2>&1
	rc=$?
	execs=$(stat number_of_executed_units "$log")
	rate=$(stat average_exec_per_sec "$log")
	if [ "$rc" -eq 0 ] && [ -n "$execs" ] && [ -n "$rate" ]; then
		echo "ok fuzz_$t: $execs execs, $rate exec/s"
		passed=$((passed + 1))
	else
		echo "not ok fuzz_$t: exit $rc, ${execs:-?} execs," \
		    "${rate:-?} exec/s; artifacts in $art"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" |
		    head -n 5 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
