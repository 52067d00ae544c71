#!/bin/sh
# checks.sh: the shape of the static executable that make static builds:
# one static PIE linked with musl, with the service's own SQLite.
# Usage: tests/static/checks.sh [EXECUTABLE]   (default build/static/auth.cgi)
# Last line "N passed, N failed"; exit 1 on failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
cgi=${1:-build/static/auth.cgi}
pass=0
fail=0
# result NAME: ok when the last command succeeded.
result() {
	if [ "$?" -eq 0 ]; then
		echo "ok $1"
		pass=$((pass + 1))
	else
		echo "not ok $1"
		fail=$((fail + 1))
	fi
}
[ -x "$cgi" ]
result "$cgi is built (make static)"
# No program interpreter, position-independent, musl's start-up code and
# none of glibc's.
! readelf -l -W "$cgi" 2>/dev/null | grep -q INTERP &&
	readelf -h -W "$cgi" 2>/dev/null | grep -q 'DYN ' &&
	nm "$cgi" 2>/dev/null | grep -q ' [Tt] __init_libc$' &&
	! nm "$cgi" | grep -q ' T __libc_start_main_impl$'
result "a static PIE linked with musl"
# Full RELRO, as the default build has it.
readelf -d -W "$cgi" 2>/dev/null | grep -q 'FLAGS.*BIND_NOW\|FLAGS_1.*NOW' &&
	readelf -l -W "$cgi" | grep -q GNU_RELRO
result "full RELRO"
# SQLite is the service's own build (sqlite-src.sh, SQLITE_OPTS): no
# full-text search or R-tree, which Debian's library brings.
nm "$cgi" 2>/dev/null | grep -q ' [Tt] sqlite3_open_v2$' &&
	! nm "$cgi" | grep -qE ' T (sqlite3Fts[35]Init|sqlite3RtreeInit)$'
result "SQLite is the service's own build"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
