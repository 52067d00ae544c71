#!/bin/sh
# serve.sh: serve cgi-bin/auth.cgi with lighttpd in the foreground (Ctrl-C
# stops it). Used by `make run`.
# Usage: scripts/serve.sh PORT STATE_DIR
#   PORT       TCP port on 127.0.0.1
#   STATE_DIR  directory for the database (auth.db), lighttpd's pid file and
#              logs (error.log, cgi-stderr.log); created when missing
# AUTHCGI_* variables set in the environment reach the app (see
# conf/lighttpd.conf); AUTHCGI_DB is always STATE_DIR/auth.db.
# Two instances with different PORT and STATE_DIR run side by side.
set -eu

usage() {
	echo "usage: $0 PORT STATE_DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
port=$1
state_dir=$2
case "$port" in
'' | *[!0-9]*) echo "$0: PORT must be a number: '$port'" >&2; usage ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
	echo "$0: PORT out of range: $port" >&2
	usage
fi
[ -n "$state_dir" ] || usage

project_dir=$(cd "$(dirname "$0")/.." && pwd -P)
cgi=$project_dir/cgi-bin/auth.cgi
conf=$project_dir/conf/lighttpd.conf

if [ ! -x "$cgi" ]; then
	echo "$0: $cgi is missing: run make first" >&2
	exit 1
fi
# lighttpd lives in /usr/sbin, which a non-root PATH may lack.
lighttpd=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}
if [ ! -x "$lighttpd" ]; then
	echo "$0: lighttpd not found: apt-get install lighttpd" >&2
	exit 1
fi

mkdir -p "$state_dir"
# lighttpd runs the CGI from cgi-bin/: every path it is given is absolute.
state_dir=$(cd "$state_dir" && pwd -P)

# Create or migrate the database before the first request.
if ! AUTHCGI_DB=$state_dir/auth.db "$cgi" init >/dev/null; then
	echo "$0: warning: '$cgi init' failed; serving anyway" >&2
fi

export SERVE_PORT="$port" SERVE_STATE_DIR="$state_dir" \
	SERVE_PROJECT_DIR="$project_dir"
# Check the configuration first, so that an error shows here.
"$lighttpd" -tt -f "$conf"

echo "authcgi: serving http://127.0.0.1:$port/ (state in $state_dir; Ctrl-C stops)"
echo "authcgi: logs: $state_dir/error.log, $state_dir/cgi-stderr.log"
exec "$lighttpd" -D -f "$conf"
