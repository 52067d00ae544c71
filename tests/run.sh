#!/bin/sh
# run.sh: every test suite of `make test`, one after the other; prints
# each suite's outcome and ends with the total "N passed, N failed".
# Run from the top of the checkout after the build (make test does both).
set -u
cd "$(dirname "$0")/.." || exit 2

total_pass=0
total_fail=0
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-tests.XXXXXX")
trap 'rm -rf "$log_dir"' EXIT INT TERM

# add NAME PASSED FAILED
add() {
	printf '== %-28s %s passed, %s failed\n' "$1" "$2" "$3"
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
}

# suite NAME COMMAND...: a suite whose last line is "N passed, N failed".
suite() {
	name=$1
	shift
	out="$log_dir/$(echo "$name" | tr ' /' '__').log"
	"$@" >"$out" 2>&1
	rc=$?
	last=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	p=$(echo "$last" | sed -n 's/^\([A-Za-z]*: \)\{0,1\}\([0-9]*\) passed.*/\2/p')
	f=$(echo "$last" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	if [ -z "$p" ]; then
		p=0
		f=1
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # the suite failed without saying which test
	fi
	if [ "$f" -ne 0 ]; then
		echo "---- $name: output ----"
		tail -n 60 "$out"
		echo "---- end of $name ----"
	fi
	add "$name" "$p" "$f"
}

# cmocka NAME BINARY: a cmocka test binary.
cmocka() {
	name=$1
	out="$log_dir/$(echo "$name" | tr ' /' '__').log"
	"$2" >"$out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	if [ "$f" -ne 0 ]; then
		echo "---- $name: output ----"
		tail -n 60 "$out"
		echo "---- end of $name ----"
	fi
	add "$name" "$p" "$f"
}

for t in build/unit/test_*; do
	[ -x "$t" ] || continue
	cmocka "unit $(basename "$t")" "$t"
done
for t in build/unit-asan/test_*; do
	[ -x "$t" ] || continue
	cmocka "unit+asan $(basename "$t")" "$t"
done

suite "cgi" tests/cgi/run.sh cgi-bin/auth.cgi
suite "cgi+asan" tests/cgi/run.sh build/asan/auth.cgi
suite "admin" tests/admin/run.sh cgi-bin/auth.cgi
suite "admin+asan" tests/admin/run.sh build/asan/auth.cgi
suite "account" tests/account/run.sh cgi-bin/auth.cgi
suite "account+asan" tests/account/run.sh build/asan/auth.cgi
suite "integration (4 servers)" tests/integration/run.sh
suite "security" tests/security/run.sh
suite "browser (chromium)" tests/browser/run.sh
suite "hostile input" tests/robust/hostile.sh cgi-bin/auth.cgi build/asan/auth.cgi
suite "valgrind (cgi suite)" tests/robust/valgrind.sh build/dyn/auth.cgi
suite "concurrency" tests/robust/concurrency.sh
suite "faults" tests/robust/faults.sh
suite "kill loop" tests/robust/killloop.sh
suite "fastcgi valgrind" tests/fastcgi/valgrind.sh build/dyn/auth.cgi
suite "fastcgi close" tests/fastcgi/close.sh cgi-bin/auth.cgi build/asan/auth.cgi
suite "checks" tests/checks.sh
fuzzers=""
for f in build/fuzz/*; do
	[ -f "$f" ] && [ -x "$f" ] && fuzzers="$fuzzers $(basename "$f")"
done
if [ -n "$fuzzers" ]; then
	# shellcheck disable=SC2086
	suite "fuzz" tests/fuzz/run.sh build/fuzz "${FUZZ_SECONDS:-30}" $fuzzers
fi

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
