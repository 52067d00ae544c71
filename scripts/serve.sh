#!/bin/sh
# serve.sh: serve cgi-bin/auth.cgi in the foreground (Ctrl-C stops it), with
# lighttpd or Apache, as a CGI or as FastCGI. Used by `make run`, and by
# tests/lib/server.sh for every combination but lighttpd + CGI.
# Usage: [MODE=cgi|fastcgi] [SERVER=lighttpd|apache] [DB=sqlite|postgres]
#        scripts/serve.sh PORT STATE_DIR
#   PORT       TCP port on 127.0.0.1
#   STATE_DIR  directory for the database (auth.db), the server's pid file,
#              sockets and logs; created when missing
#   MODE       cgi (default): one process per request (mod_cgi, mod_cgid);
#              fastcgi: a few long-lived processes (mod_fastcgi, mod_fcgid)
#   SERVER     lighttpd (default): conf/lighttpd.conf, or with MODE=fastcgi
#              conf/lighttpd-fastcgi.conf; apache: conf/apache.conf
#              (started with -DAUTHCGI_FASTCGI for MODE=fastcgi)
#   DB         sqlite (default): STATE_DIR/auth.db; postgres: a throwaway
#              PostgreSQL cluster (scripts/pg-cluster.sh) in STATE_DIR/pg,
#              or in a temporary directory when its unprivileged user
#              cannot reach STATE_DIR; stopped with the server
#   SERVE_PROJECT_DIR  the project to serve (cgi-bin/auth.cgi, conf/);
#              default: the checkout holding this script
# AUTHCGI_* variables set in the environment reach the app (see the
# configuration files). AUTHCGI_DB, when set, is the database served (a
# SQLite path or a PostgreSQL URI), whatever DB says.
# Logs: lighttpd: STATE_DIR/error.log (lighttpd's own), STATE_DIR/
# cgi-stderr.log (the app's stderr); Apache: both in STATE_DIR/error.log.
# Two instances with different PORT and STATE_DIR run side by side, in any
# combination of modes and servers.
#
# Apache started as root (as in CI) refuses to serve as root: its children
# and the app run as SERVE_USER (default www-data; SERVE_GROUP defaults to
# that user's group). This script then gives STATE_DIR (and the database in
# it) to that user. That user must reach STATE_DIR and cgi-bin/auth.cgi
# (every directory above them searchable); when it cannot (a checkout in
# root's home, mode 0700), this script serves, and says so on stdout:
#   - from a new state dir under /tmp instead of STATE_DIR;
#   - a copy of cgi-bin/auth.cgi in STATE_DIR/app/cgi-bin/, owned by root.
set -eu

usage() {
	echo "usage: [MODE=cgi|fastcgi] [SERVER=lighttpd|apache] $0 PORT STATE_DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
port=$1
state_dir=$2
mode=${MODE:-cgi}
server=${SERVER:-lighttpd}
db=${DB:-sqlite}
case "$port" in
'' | *[!0-9]*) echo "$0: PORT must be a number: '$port'" >&2; usage ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
	echo "$0: PORT out of range: $port" >&2
	usage
fi
[ -n "$state_dir" ] || usage
case "$mode" in
cgi | fastcgi) ;;
*) echo "$0: MODE must be cgi or fastcgi: '$mode'" >&2; usage ;;
esac
case "$server" in
lighttpd | apache) ;;
*) echo "$0: SERVER must be lighttpd or apache: '$server'" >&2; usage ;;
esac
case "$db" in
sqlite | postgres) ;;
*) echo "$0: DB must be sqlite or postgres: '$db'" >&2; usage ;;
esac

# The project served: this checkout, or SERVE_PROJECT_DIR when set (a
# directory with cgi-bin/auth.cgi and conf/, e.g. a test's snapshot).
project_dir=${SERVE_PROJECT_DIR:-$(cd "$(dirname "$0")/.." && pwd -P)}
project_dir=$(cd "$project_dir" && pwd -P)
cgi=$project_dir/cgi-bin/auth.cgi
scripts=$(cd "$(dirname "$0")" && pwd -P)

if [ ! -x "$cgi" ]; then
	echo "$0: $cgi is missing: run make first" >&2
	exit 1
fi

mkdir -p "$state_dir"
# The server runs the app from elsewhere: every path it is given is absolute.
state_dir=$(cd "$state_dir" && pwd -P)

# Who Apache's children and the app run as (only when started as root).
SERVE_USER=${SERVE_USER:-www-data}
SERVE_GROUP=${SERVE_GROUP:-$(id -gn "$SERVE_USER" 2>/dev/null || echo "$SERVE_USER")}
export SERVE_USER SERVE_GROUP
drop_privileges=""
if [ "$server" = apache ] && [ "$(id -u)" -eq 0 ]; then
	if ! id "$SERVE_USER" >/dev/null 2>&1; then
		echo "$0: no user '$SERVE_USER' to run Apache's children as: set SERVE_USER" >&2
		exit 1
	fi
	# as_user CMD...: run a test as that user (setpriv: util-linux).
	as_user() {
		setpriv --reuid="$SERVE_USER" --regid="$SERVE_GROUP" \
			--clear-groups -- "$@"
	}
	drop_privileges=1
	if ! as_user test -x "$(dirname "$state_dir")"; then
		new=$(mktemp -d /tmp/authcgi-state.XXXXXX)
		echo "authcgi: $SERVE_USER cannot reach $state_dir: the state dir (database, logs) is $new instead"
		state_dir=$new
	fi
fi

# The database: AUTHCGI_DB from the environment, a throwaway PostgreSQL
# cluster (DB=postgres), or the state dir's SQLite file.
pg_dir=""
pg_tmp=""
stop_pg() {
	[ -n "$pg_dir" ] || return 0
	"$scripts/pg-cluster.sh" stop "$pg_dir"
	[ -z "$pg_tmp" ] || rm -rf "$pg_tmp"
	pg_dir=""
}
if [ -z "${AUTHCGI_DB:-}" ] && [ "$db" = postgres ]; then
	pg_dir=$state_dir/pg
	# The server runs as an unprivileged user (as root: postgres), who
	# must reach the state dir: not so in a clone under /root (0700).
	if [ "$(id -u)" -eq 0 ] && ! setpriv --reuid=postgres \
		--regid="$(id -g postgres 2>/dev/null || echo 0)" --clear-groups \
		test -x "$state_dir" 2>/dev/null; then
		pg_tmp=$(mktemp -d /tmp/authcgi-pg.XXXXXX)
		pg_dir=$pg_tmp
		echo "authcgi: user postgres cannot reach $state_dir: the cluster is in $pg_dir, removed at the end"
	fi
	trap 'stop_pg' EXIT
	trap 'exit 130' INT TERM
	"$scripts/pg-cluster.sh" start "$pg_dir"
	"$scripts/pg-cluster.sh" createdb "$pg_dir" authcgi
	AUTHCGI_DB=$("$scripts/pg-cluster.sh" uri "$pg_dir" authcgi)
fi
export AUTHCGI_DB="${AUTHCGI_DB:-$state_dir/auth.db}"
case $AUTHCGI_DB in
postgresql://* | postgres://*)
	# The secret key file's default is the database's path and ".key":
	# a URI is not one.
	export AUTHCGI_SECRET_KEY_FILE="${AUTHCGI_SECRET_KEY_FILE:-$state_dir/auth.key}"
	# Create or migrate the database before the first request; a build
	# without libpq says so here.
	if ! "$cgi" init >/dev/null; then
		echo "$0: '$cgi init' failed on $AUTHCGI_DB (make static's executable has no PostgreSQL)" >&2
		exit 1
	fi
	;;
*)
	if ! "$cgi" init >/dev/null; then
		echo "$0: warning: '$cgi init' failed; serving anyway" >&2
	fi
	;;
esac
# Which database, a password in the URI hidden.
echo "authcgi: database $(printf '%s' "$AUTHCGI_DB" | sed 's|\(://[^:/@]*\):[^@/]*@|\1:***@|')"

export SERVE_PORT="$port" SERVE_STATE_DIR="$state_dir" \
	SERVE_PROJECT_DIR="$project_dir"

# ---------------------------------------------------------------- lighttpd

if [ "$server" = lighttpd ]; then
	# lighttpd lives in /usr/sbin, which a non-root PATH may lack.
	lighttpd=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}
	if [ ! -x "$lighttpd" ]; then
		echo "$0: lighttpd not found: apt-get install lighttpd" >&2
		exit 1
	fi
	if [ "$mode" = fastcgi ]; then
		conf=$project_dir/conf/lighttpd-fastcgi.conf
	else
		conf=$project_dir/conf/lighttpd.conf
	fi
	# Check the configuration first, so that an error shows here.
	"$lighttpd" -tt -f "$conf"
	echo "authcgi: serving http://127.0.0.1:$port/ with lighttpd ($mode; state in $state_dir; Ctrl-C stops)"
	echo "authcgi: logs: $state_dir/error.log, $state_dir/cgi-stderr.log"
	[ -n "$pg_dir" ] || exec "$lighttpd" -D -f "$conf"
	# With a cluster of ours: serve, then stop both.
	"$lighttpd" -D -f "$conf" &
	server_pid=$!
	trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid"; exit 130' INT TERM
	wait "$server_pid"
	exit
fi

# ------------------------------------------------------------------ apache

apache=${APACHE:-/usr/sbin/apache2}
if [ ! -x "$apache" ]; then
	echo "$0: $apache not found: apt-get install apache2 libapache2-mod-fcgid" >&2
	exit 1
fi
if [ "$mode" = fastcgi ] &&
	[ ! -e /usr/lib/apache2/modules/mod_fcgid.so ]; then
	echo "$0: mod_fcgid not found: apt-get install libapache2-mod-fcgid" >&2
	exit 1
fi
conf=$project_dir/conf/apache.conf

if [ -n "$drop_privileges" ]; then
	# Everything but a cluster of ours, which stays its server's.
	find "$state_dir" -path "$state_dir/pg" -prune -o \
		-exec chown "$SERVE_USER:$SERVE_GROUP" {} +
	if ! as_user test -w "$state_dir" || ! as_user test -x "$state_dir"; then
		echo "$0: user $SERVE_USER cannot write $state_dir: make every directory above it searchable (chmod o+x) or set SERVE_USER" >&2
		exit 1
	fi
	if ! as_user test -x "$cgi"; then
		# Root's, so that the app cannot change what it runs.
		rm -rf "$state_dir/app"
		install -d -m 0755 "$state_dir/app" "$state_dir/app/cgi-bin"
		install -m 0755 "$cgi" "$state_dir/app/cgi-bin/auth.cgi"
		echo "authcgi: $SERVE_USER cannot reach $cgi: serving a copy, $state_dir/app/cgi-bin/auth.cgi"
		export SERVE_PROJECT_DIR="$state_dir/app"
	fi
fi

# Hand on every AUTHCGI_* variable, AUTHCGI_DB included (which turns the
# configuration's own off: -DAUTHCGI_DB_GIVEN): by name for mod_cgid
# (PassEnv), by value for mod_fcgid (Apache substitutes ${NAME} when it
# reads the file; a value must not contain a double quote).
{
	echo "# Generated by scripts/serve.sh: the AUTHCGI_* settings of Apache's environment."
	names=$(env | sed -n 's/^\(AUTHCGI_[A-Z0-9_]*\)=.*/\1/p' | sort -u || true)
	echo "<IfDefine !AUTHCGI_FASTCGI>"
	for n in $names; do echo "    PassEnv $n"; done
	echo "</IfDefine>"
	echo "<IfDefine AUTHCGI_FASTCGI>"
	for n in $names; do echo "    FcgidInitialEnv $n \"\${$n}\""; done
	echo "</IfDefine>"
} >"$state_dir/apache-env.conf"

define=-DAUTHCGI_DB_GIVEN
[ "$mode" = fastcgi ] && define="$define -DAUTHCGI_FASTCGI"
# Check the configuration first, so that an error shows here.
"$apache" -d "$state_dir" -f "$conf" $define -t
echo "authcgi: serving http://127.0.0.1:$port/ with Apache ($mode; state in $state_dir; Ctrl-C stops)"
echo "authcgi: log: $state_dir/error.log"
[ -n "$pg_dir" ] || exec "$apache" -d "$state_dir" -f "$conf" $define -DFOREGROUND
"$apache" -d "$state_dir" -f "$conf" $define -DFOREGROUND &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid"; exit 130' INT TERM
wait "$server_pid"
