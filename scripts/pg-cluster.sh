#!/bin/sh
# pg-cluster.sh: a throwaway PostgreSQL cluster of Debian's `postgresql`,
# listening on a unix socket in its own directory only (no TCP port), for
# `make run DB=postgres` and the tests.
# Usage: scripts/pg-cluster.sh COMMAND DIR [ARG...]
#   start DIR           make the cluster in DIR/data when there is none
#                       (initdb), then start it in the background; returns
#                       once it accepts connections (at most 60 s)
#   stop DIR            stop the server started there, by the PID that
#                       start wrote to DIR/postgres.pid: a fast shutdown,
#                       then, after 30 s, an immediate one, then SIGKILL
#   createdb DIR NAME   a database NAME owned by a role NAME (each made
#                       when missing; the role can log in): a new
#                       database's schema is then the service's to create
#   uri DIR NAME        print the connection URI of database NAME, as role
#                       NAME, through the cluster's socket
#   psql DIR ARG...     psql as the superuser through the socket, e.g.
#                       psql DIR -d NAME -c 'SELECT 1'
# DIR gets data/ (the cluster, mode 0700), sock/ (the socket), log (the
# server's messages) and postgres.pid. Run as root, the server runs as an
# unprivileged user, PG_USER (default postgres), which must be able to
# reach DIR (a directory under a private one such as /root is not: use a
# temporary directory then); DIR is given to that user. Otherwise it runs
# as the caller. Local connections are trusted (only a process on this
# machine that can reach DIR/sock can connect): never put real data in
# such a cluster.
# Environment: PG_BIN (the server's programs; default the newest under
# /usr/lib/postgresql), PG_SETTINGS (more "-c name=value" options for the
# server, e.g. "-c fsync=off" for tests).
set -eu

usage() {
	echo "usage: $0 start|stop|createdb|uri|psql DIR [ARG...]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2

bin=${PG_BIN:-}
if [ -z "$bin" ]; then
	bin=$(for d in /usr/lib/postgresql/*/bin; do echo "$d"; done | sort -V | tail -n 1)
fi
if [ ! -x "$bin/postgres" ]; then
	echo "$0: PostgreSQL's server not found (PG_BIN): apt-get install postgresql" >&2
	exit 1
fi
user=${PG_USER:-postgres}

# as_server CMD...: run a command as the server's user (root) or as is.
as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups \
			--reset-env -- "$@"
	else
		"$@"
	fi
}

# pid: the PID start recorded, if that process is our server still.
pid() {
	p=$(cat "$dir/postgres.pid" 2>/dev/null) || return 1
	case $p in '' | *[!0-9]*) return 1 ;; esac
	# The same process, not another that took its number.
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "-D $dir/data" ||
		return 1
	echo "$p"
}

sql() {
	"$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -U postgres "$@"
}

case $cmd in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	if pid >/dev/null; then
		echo "$0: a server already runs in $dir (pid $(pid))" >&2
		exit 1
	fi
	if [ "$(id -u)" -eq 0 ]; then
		if ! id "$user" >/dev/null 2>&1; then
			echo "$0: no user $user to run the server as (PG_USER)" >&2
			exit 1
		fi
		chown "$user:" "$dir"
		if ! as_server test -w "$dir" -a -x "$dir"; then
			echo "$0: user $user cannot reach $dir: every directory above it must be searchable (o+x); use another directory" >&2
			exit 1
		fi
	fi
	# The socket's directory is searchable by every user (a web server's
	# unprivileged processes connect through it).
	chmod 711 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_server "$bin/initdb" -D "$dir/data" -U postgres -A trust \
			-E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 || {
			echo "$0: initdb failed:" >&2
			tail -n 5 "$dir/initdb.log" >&2
			exit 1
		}
	fi
	as_server mkdir -p "$dir/sock"
	as_server chmod 711 "$dir/sock"
	# In the background, as one simple command, so that $! is the
	# server itself (setpriv execs it).
	set -- "$bin/postgres" -D "$dir/data" -k "$dir/sock" \
		-c listen_addresses= -c unix_socket_permissions=0777
	if [ "$(id -u)" -eq 0 ]; then
		# shellcheck disable=SC2086
		setpriv --reuid="$user" --regid="$(id -g "$user")" \
			--clear-groups --reset-env -- "$@" ${PG_SETTINGS:-} \
			</dev/null >>"$dir/log" 2>&1 &
	else
		# shellcheck disable=SC2086
		"$@" ${PG_SETTINGS:-} </dev/null >>"$dir/log" 2>&1 &
	fi
	server=$!
	echo "$server" >"$dir/postgres.pid"
	i=0
	# (Alive, not pid(): until it has exec'd the server, the child is
	# still a shell.)
	while ! "$bin/pg_isready" -q -h "$dir/sock" -U postgres -d postgres; do
		i=$((i + 1))
		if [ "$i" -gt 300 ] || [ ! -d "/proc/$server" ]; then
			echo "$0: the server did not start; its log:" >&2
			tail -n 10 "$dir/log" >&2
			exit 1
		fi
		sleep 0.2
	done
	;;
stop)
	dir=$(cd "$dir" 2>/dev/null && pwd -P) || exit 0
	p=$(pid) || { rm -f "$dir/postgres.pid"; exit 0; }
	for sig in INT QUIT KILL; do
		kill -"$sig" "$p" 2>/dev/null || true
		i=0
		while [ -d "/proc/$p" ] && [ "$i" -lt 150 ]; do
			i=$((i + 1))
			sleep 0.2
		done
		[ -d "/proc/$p" ] || break
	done
	rm -f "$dir/postgres.pid"
	;;
createdb)
	[ $# -eq 1 ] || usage
	dir=$(cd "$dir" && pwd -P)
	case $1 in *[!a-z0-9_]* | '') echo "$0: NAME: lower-case letters, digits and _ only" >&2; exit 2 ;; esac
	sql -d postgres -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$1') THEN CREATE ROLE $1 LOGIN; END IF; END \$\$"
	# A database made before (a cluster kept in a state dir) is kept.
	if [ -z "$(sql -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = '$1'")" ]; then
		sql -d postgres -c "CREATE DATABASE $1 OWNER $1 ENCODING 'UTF8' TEMPLATE template0"
		# PostgreSQL 15 gives CREATE on the schema public to its
		# owner only.
		sql -d "$1" -c "ALTER SCHEMA public OWNER TO $1"
	fi
	;;
uri)
	[ $# -eq 1 ] || usage
	dir=$(cd "$dir" && pwd -P)
	echo "postgresql:///$1?host=$dir/sock&user=$1"
	;;
psql)
	dir=$(cd "$dir" && pwd -P)
	sql "$@"
	;;
*) usage ;;
esac
