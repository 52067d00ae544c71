#!/bin/bash
# close.sh: how FastCGI processes end their connections (close.py), for
# the executable as built and for its AddressSanitizer build.
# Usage: tests/fastcgi/close.sh CGI...   Last line "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/assert.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-close.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for cgi in "$@"; do
	state=$tmp/$(basename "$(dirname "$cgi")")
	mkdir -p "$state"
	timeout 120 "$PY" "$here/close.py" "$cgi" "$state" >"$state/out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"PASS "*) ok "$cgi: ${line#PASS }" ;;
		"FAIL "*)
			line=${line#FAIL }
			fail "$cgi: ${line%%: *}" "${line#*: }"
			;;
		esac
	done <"$state/out"
	[ "$rc" -eq 0 ] || fail "$cgi: close.py exited $rc" "$(tail -n 3 "$state/out")"
done
summary
