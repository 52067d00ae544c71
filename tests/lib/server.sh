# shellcheck shell=bash
# server.sh: start and stop a real web server serving cgi-bin/auth.cgi, for
# tests (bash). Source it. By default lighttpd with conf/lighttpd.conf (CGI),
# as `make run` does; two variables, read by each server_start, pick another
# of the four combinations:
#
#   SERVER_MODE=cgi|fastcgi        (default cgi)
#   SERVER_KIND=lighttpd|apache    (default lighttpd)
#   e.g. SERVER_MODE=fastcgi SERVER_KIND=apache server_start "$tmp/state"
#
#   free_port               print a loopback TCP port nobody listens on;
#                           with TEST_PORTS=LOW-HIGH, one of that range
#                           (tests/run.sh gives each suite that runs beside
#                           another a range of its own)
#   server_start STATE_DIR  start the server in the background on a free
#                           port; sets SERVER_PID, SERVER_PORT, SERVER_URL,
#                           SERVER_APP_LOG (the file that gets the app's
#                           stderr) and SERVER_LABEL (e.g. "apache-fastcgi");
#                           returns once GET / answers (or 1 after bounded
#                           retries)
#   server_stop             stop the server started above, by its PID
#   server_project EXE DIR  serve EXE instead of cgi-bin/auth.cgi: a copy
#                           of the project in DIR (EXE copied, conf/
#                           linked); sets SERVER_PROJECT_DIR (and
#                           SERVE_PROJECT_DIR, for scripts/serve.sh)
#
# AUTHCGI_* variables exported before server_start reach the app (with
# FastCGI they are read once, when the app's processes start); AUTHCGI_DB
# among them names the database (else STATE_DIR/auth.db).
#
# lighttpd + CGI starts lighttpd directly (as this file always did); the
# other combinations run scripts/serve.sh, which execs the server, so
# SERVER_PID is the server's PID all the same. Apache started as root runs
# the app as SERVE_USER (default www-data): STATE_DIR is then given to that
# user, and the directories above it must be searchable by it; server_start
# adds o+x (search only) to those that lack it under ${TMPDIR:-/tmp} (mktemp
# -d makes 0700 directories), and fails with a message elsewhere. When that
# user cannot reach the executable (a checkout in root's home, mode 0700),
# serve.sh serves a copy of it from STATE_DIR/app/.

SERVER_PID=""
SERVER_PORT=""
SERVER_URL=""
SERVER_APP_LOG=""
SERVER_LABEL=""
# The checkout holding this file (scripts/serve.sh is taken from there);
# SERVER_PROJECT_DIR, the project served (cgi-bin/auth.cgi, conf/), may be
# set to another directory, e.g. a snapshot of the executable.
_SERVER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
SERVER_PROJECT_DIR=${SERVER_PROJECT_DIR:-$_SERVER_ROOT}
SERVER_LIGHTTPD=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}

# free_port: a port that binds (the kernel's choice, bind to port 0, or a
# random one of TEST_PORTS), on which nothing answers. Bounded: 20 tries.
free_port() {
	local i port lo hi
	for i in $(seq 1 20); do
		port=0
		if [ -n "${TEST_PORTS:-}" ]; then
			lo=${TEST_PORTS%-*}
			hi=${TEST_PORTS#*-}
			port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		fi
		port=$(/usr/bin/python3 -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
print(s.getsockname()[1])
s.close()' "$port" 2>/dev/null) || continue
		# Nothing may be listening there already (a connect must fail).
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "free_port: no free port after $i tries" >&2
	return 1
}

# server_start STATE_DIR: the state dir gets auth.db (unless AUTHCGI_DB
# names another database), lighttpd.pid, the logs
# (error.log, cgi-stderr.log) and lighttpd's own stderr (lighttpd.stderr).
# The database is created with `auth.cgi init` first (skipped if that fails).
# Retries on a new port if lighttpd dies at start (e.g. the port was taken
# in between): at most 5 starts, each waiting at most 10 s.
# With SERVER_MODE/SERVER_KIND set otherwise: scripts/serve.sh's output goes
# to STATE_DIR/server.stderr; Apache writes apache.pid and error.log (which
# also gets the app's stderr).
server_start() {
	local state=$1 try i mode=${SERVER_MODE:-cgi} kind=${SERVER_KIND:-lighttpd}
	case $mode in cgi | fastcgi) ;; *)
		echo "server_start: SERVER_MODE must be cgi or fastcgi: '$mode'" >&2
		return 1 ;;
	esac
	case $kind in lighttpd | apache) ;; *)
		echo "server_start: SERVER_KIND must be lighttpd or apache: '$kind'" >&2
		return 1 ;;
	esac
	SERVER_LABEL=$kind-$mode
	mkdir -p "$state" || return 1
	state=$(cd "$state" && pwd -P)
	if [ "$kind" == lighttpd ]; then
		SERVER_APP_LOG=$state/cgi-stderr.log
	else
		SERVER_APP_LOG=$state/error.log
		_server_open_path "$state" || return 1
	fi
	if [ "$kind" == lighttpd ] && [ "$mode" == cgi ]; then
		AUTHCGI_DB=${AUTHCGI_DB:-$state/auth.db} \
			"$SERVER_PROJECT_DIR/cgi-bin/auth.cgi" init \
			>/dev/null 2>>"$state/init.stderr" ||
			echo "server_start: warning: auth.cgi init failed" >&2
	fi
	for try in 1 2 3 4 5; do
		SERVER_PORT=$(free_port) || return 1
		if [ "$kind" == lighttpd ] && [ "$mode" == cgi ]; then
			SERVE_PORT=$SERVER_PORT SERVE_STATE_DIR=$state \
				SERVE_PROJECT_DIR=$SERVER_PROJECT_DIR \
				"$SERVER_LIGHTTPD" -D -f "$SERVER_PROJECT_DIR/conf/lighttpd.conf" \
				</dev/null >>"$state/lighttpd.stderr" 2>&1 &
		else
			# serve.sh runs `auth.cgi init` and execs the server.
			MODE=$mode SERVER=$kind LIGHTTPD=$SERVER_LIGHTTPD \
				SERVE_PROJECT_DIR=$SERVER_PROJECT_DIR \
				"$_SERVER_ROOT/scripts/serve.sh" "$SERVER_PORT" "$state" \
				</dev/null >>"$state/server.stderr" 2>&1 &
		fi
		SERVER_PID=$!
		SERVER_URL=http://127.0.0.1:$SERVER_PORT
		for i in $(seq 1 50); do
			if ! kill -0 "$SERVER_PID" 2>/dev/null; then
				break
			fi
			if curl -s -o /dev/null --max-time 2 "$SERVER_URL/"; then
				return 0
			fi
			sleep 0.2
		done
		echo "server_start: $SERVER_LABEL did not answer on $SERVER_URL (try $try):" >&2
		tail -n 5 "$state/lighttpd.stderr" "$state/server.stderr" \
			"$state/error.log" >&2 2>/dev/null
		server_stop
	done
	return 1
}

# _server_open_path DIR: when root, make every directory above DIR
# searchable by others (Apache's children run as SERVE_USER); only under
# ${TMPDIR:-/tmp}, elsewhere say which one is closed and fail.
_server_open_path() {
	local d=$1 tmproot
	[ "$(id -u)" -eq 0 ] || return 0
	tmproot=$(cd "${TMPDIR:-/tmp}" && pwd -P)
	d=$(dirname "$d")
	while [ "$d" != / ]; do
		if [ -z "$(find "$d" -maxdepth 0 -perm -o+x)" ]; then
			case $d/ in
			"$tmproot"/?*) chmod o+x "$d" || return 1 ;;
			*)
				echo "server_start: $d is not searchable by others; Apache's children (${SERVE_USER:-www-data}) need it: chmod o+x it" >&2
				return 1
				;;
			esac
		fi
		d=$(dirname "$d")
	done
	return 0
}

# server_stop: SIGTERM the recorded PID, wait for it (at most 10 s), then
# SIGKILL. A no-op when nothing was started. (lighttpd stops its FastCGI
# processes itself, Apache its CGI daemon and mod_fcgid processes.)
server_stop() {
	local i
	[ -n "$SERVER_PID" ] || return 0
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null
		for i in $(seq 1 100); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$SERVER_PID" 2>/dev/null; then
			kill -9 "$SERVER_PID" 2>/dev/null
		fi
	fi
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=""
	return 0
}

server_project() {
	mkdir -p "$2/cgi-bin" && cp "$1" "$2/cgi-bin/auth.cgi" &&
		ln -sfn "$_SERVER_ROOT/conf" "$2/conf" || return 1
	export SERVER_PROJECT_DIR=$2 SERVE_PROJECT_DIR=$2
}
