#!/bin/sh
# checks.sh: static checks as a test suite: cppcheck, clang-format, and
# the shape of the static executable (run after make).
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
# The static build: SQLite is this project's own build (Debian's library
# would bring its full-text search and R-tree modules).
cgi=cgi-bin/auth.cgi
if [ -x "$cgi" ] && ! nm "$cgi" | grep -qE ' T (sqlite3Fts[35]Init|sqlite3RtreeInit)$'; then
	echo "ok SQLite is the service's own build"
	pass=$((pass + 1))
else
	echo "not ok SQLite is the service's own build (Debian's libsqlite3.a was linked: no SQLite source?)"
	fail=$((fail + 1))
fi
# Linked with musl, as one static PIE: no program interpreter, musl's
# start-up code and none of glibc's.
if [ -x "$cgi" ] && ! readelf -l -W "$cgi" | grep -q INTERP &&
	readelf -h -W "$cgi" | grep -q 'DYN ' &&
	nm "$cgi" | grep -q ' [Tt] __init_libc$' &&
	! nm "$cgi" | grep -q ' T __libc_start_main_impl$'; then
	echo "ok the static executable is a static PIE linked with musl"
	pass=$((pass + 1))
else
	echo "not ok the static executable is a static PIE linked with musl (no musl-tools? see build/musl/log)"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
