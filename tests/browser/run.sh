#!/bin/bash
# run.sh: browser test: a real lighttpd (tests/lib/server.sh) serving
# cgi-bin/auth.cgi on a free loopback port with a temporary state dir, and
# tests/browser/test_browser.py driving a headless Chromium through the HTML
# pages (register, log in, log out, failed login, password reset, log in
# with the new password, the account page, the second factor: set up, log
# in with a one-time code and with a recovery code, page checks).
# Usage: tests/browser/run.sh                 (after make)
#        tests/browser/run.sh --screenshots   (also writes doc/screenshots/
#                                              login.png, profile.png,
#                                              account.png and totp_setup.png)
# Needs the Debian packages chromium, chromium-driver, python3-selenium,
# python3-requests and oathtool. Uses the real clock for one-time codes
# (waits up to about 31 s for a new time step). Prints how long the
# browser part took; last line "N passed, N failed"; exit 1 on failure.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/server.sh"

PYTHON=/usr/bin/python3
# The whole browser part, at most (it takes about a minute).
BROWSER_TIMEOUT=${BROWSER_TIMEOUT:-180}

shots=""
case ${1:-} in
--screenshots) shots=$root/doc/screenshots ;;
"") ;;
*)
	echo "usage: $0 [--screenshots]" >&2
	exit 2
	;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-browser.XXXXXX")
BROWSER_PID=""
cleanup() {
	if [ -n "$BROWSER_PID" ]; then
		# timeout passes the signal on to python, which quits the browser;
		# it sends SIGKILL to them all 5 s later if needed.
		kill -TERM "$BROWSER_PID" 2>/dev/null
		wait "$BROWSER_PID" 2>/dev/null
	fi
	server_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# fail_early MESSAGE: nothing could be tested.
fail_early() {
	echo "FAIL: $1"
	echo "0 passed, 1 failed"
	exit 1
}

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -x /usr/bin/chromedriver ] || missing="$missing chromium-driver"
"$PYTHON" -c 'import selenium' 2>/dev/null || missing="$missing python3-selenium"
"$PYTHON" -c 'import requests' 2>/dev/null || missing="$missing python3-requests"
[ -x /usr/bin/oathtool ] || missing="$missing oathtool"
[ -z "$missing" ] || fail_early "missing Debian packages:$missing (apt-get install$missing)"
[ -x "$root/cgi-bin/auth.cgi" ] || fail_early "no cgi-bin/auth.cgi: run make first"

# The steps fail on purpose (wrong passwords, wrong one-time codes, a
# spent recovery code) more often than the default account lockout (5)
# allows in its window: raise it, so that no step is refused for the
# ones before it.
export AUTHCGI_LOCK_ACCOUNT=${AUTHCGI_LOCK_ACCOUNT:-20}
server_start "$tmp/state" || fail_early "lighttpd did not start"
echo "server: $SERVER_URL (pid $SERVER_PID)"

# The pages must exist before a browser is worth starting.
ctype=$(curl -s -o /dev/null --max-time 10 -H 'Accept: text/html' \
	-w '%{content_type}' "$SERVER_URL/login")
case $ctype in
text/html*) ;;
*) fail_early "GET /login with Accept: text/html answers '$ctype', not text/html (no HTML pages in this build?)" ;;
esac

[ -n "$shots" ] || shots=$tmp/screenshots
mkdir -p "$shots"

# The database is new: a fixed, readable address for the screenshots.
export BROWSER_EMAIL=${BROWSER_EMAIL:-bob@example.com}
start=$(date +%s.%N)
# timeout signals its whole process group: python, chromedriver, chromium.
# In the background, so that a signal to this script is handled at once.
# Chromium's temporary files and the profile go under $tmp (removed).
mkdir -p "$tmp/browser-tmp"
TMPDIR=$tmp/browser-tmp timeout -k 5 "$BROWSER_TIMEOUT" "$PYTHON" "$here/test_browser.py" "$SERVER_URL" "$shots" \
	>"$tmp/out" 2>&1 &
BROWSER_PID=$!
wait "$BROWSER_PID"
rc=$?
BROWSER_PID=""
end=$(date +%s.%N)

summary_re='^[0-9]+ passed, [0-9]+ failed$'
grep -vE "$summary_re" "$tmp/out"
last=$(grep -E "$summary_re" "$tmp/out" | tail -n 1)
passed=$(echo "$last" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
failed=$(echo "$last" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
passed=${passed:-0}
failed=${failed:-0}
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "FAIL: the browser part took longer than $BROWSER_TIMEOUT s (killed)"
	failed=$((failed + 1))
elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL: test_browser.py exited with $rc"
	failed=1
fi
if [ "$failed" -ne 0 ] && [ -s "$tmp/state/cgi-stderr.log" ]; then
	echo "---- cgi-stderr.log (last lines) ----"
	tail -n 20 "$tmp/state/cgi-stderr.log"
fi
case $shots in
"$tmp"/*) ;;
*)
	list=""
	for f in "$shots"/*.png; do [ -e "$f" ] && list="$list ${f##*/}"; done
	echo "screenshots:${list:- none} in $shots"
	;;
esac
awk -v s="$start" -v e="$end" 'BEGIN { printf "browser part: %.1f s\n", e - s }'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
