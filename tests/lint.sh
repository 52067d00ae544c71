#!/bin/sh
# lint.sh: static checks as a test suite: cppcheck and clang-format (the
# repository's .clang-format; make format fixes what it finds). make lint
# runs it alone, make test with the other suites.
# Last line "N passed, N failed"; exit 1 on failure.
set -u
cd "$(dirname "$0")/.." || exit 2
pass=0
fail=0
if cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	--std=c11 --inline-suppr -I src src tests/unit; then
	echo "ok cppcheck"
	pass=$((pass + 1))
else
	echo "not ok cppcheck"
	fail=$((fail + 1))
fi
files=$(ls src/*.c src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c 2>/dev/null)
# shellcheck disable=SC2086
if clang-format --dry-run --Werror $files; then
	echo "ok clang-format"
	pass=$((pass + 1))
else
	echo "not ok clang-format (run: make format)"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
