#!/bin/sh
# hot-text.sh: list the functions that cgi-bin/auth.cgi runs for its most
# frequent requests (GET /profile with a session, GET /), as measured by
# callgrind, into data/hot-text.txt. The static build places them first
# in the executable (scripts/hot-text-ld.sh), so that a request touches
# fewer pages of code. Rerun after changes to the request path; a stale
# list costs only speed.
# Usage: scripts/hot-text.sh   (after make; needs valgrind)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
cgi=$root/cgi-bin/auth.cgi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-hot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export AUTHCGI_DB="$tmp/auth.db"
"$cgi" init >/dev/null
set -- GATEWAY_INTERFACE=CGI/1.1 SCRIPT_NAME= SERVER_NAME=127.0.0.1 \
	SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 \
	QUERY_STRING=
body="email=hot%40example.com&password=hot-text-1"
for path in /users /sessions; do
	printf %s "$body" | env "$@" REQUEST_METHOD=POST PATH_INFO=$path \
		CONTENT_TYPE=application/x-www-form-urlencoded \
		CONTENT_LENGTH=${#body} "$cgi" >"$tmp/out" 2>/dev/null
done
sid=$(sed -n 's/^Set-Cookie: session_id=\([^;]*\).*/\1/p' "$tmp/out")
[ -n "$sid" ] || { echo "hot-text.sh: could not log in" >&2; exit 1; }
n=0
for path in /profile /; do
	n=$((n + 1))
	env "$@" REQUEST_METHOD=GET PATH_INFO=$path "HTTP_COOKIE=session_id=$sid" \
		valgrind -q --tool=callgrind --callgrind-out-file="$tmp/cg.$n" \
		"$cgi" >/dev/null 2>&1
done
# Function names as callgrind gives them ("fn=(id) name", "cfn=(id)
# name"); recursion marks ('2) and unnamed addresses dropped.
sed -n 's/^c\{0,1\}fn=([0-9]*) \(.*\)$/\1/p' "$tmp"/cg.* |
	sed "s/'[0-9]*\$//" | grep -v '^0x\|^(' | LC_ALL=C sort -u \
	>"$root/data/hot-text.txt"
echo "hot-text.sh: $(wc -l <"$root/data/hot-text.txt") functions in data/hot-text.txt"
