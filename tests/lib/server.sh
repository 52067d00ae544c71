# server.sh: start and stop a real lighttpd serving cgi-bin/auth.cgi, for
# tests (bash). Source it; it uses conf/lighttpd.conf, as `make run` does.
#
#   free_port               print a loopback TCP port nobody listens on
#   server_start STATE_DIR  start lighttpd in the background on a free port;
#                           sets SERVER_PID, SERVER_PORT, SERVER_URL; returns
#                           once GET / answers (or 1 after bounded retries)
#   server_stop             stop the lighttpd started above, by its PID
#
# AUTHCGI_* variables exported before server_start reach the app.

SERVER_PID=""
SERVER_PORT=""
SERVER_URL=""
SERVER_PROJECT_DIR=${SERVER_PROJECT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}
SERVER_LIGHTTPD=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}

# free_port: ask the kernel for an unused port (bind to port 0), then make
# sure nothing answers on it. Bounded: 20 tries.
free_port() {
	local i port
	for i in $(seq 1 20); do
		port=$(/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()') || continue
		# Nothing may be listening there already (a connect must fail).
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "free_port: no free port after $i tries" >&2
	return 1
}

# server_start STATE_DIR: the state dir gets auth.db, lighttpd.pid, the logs
# (error.log, cgi-stderr.log) and lighttpd's own stderr (lighttpd.stderr).
# The database is created with `auth.cgi init` first (skipped if that fails).
# Retries on a new port if lighttpd dies at start (e.g. the port was taken
# in between): at most 5 starts, each waiting at most 10 s.
server_start() {
	local state=$1 try i
	mkdir -p "$state" || return 1
	state=$(cd "$state" && pwd -P)
	AUTHCGI_DB=$state/auth.db "$SERVER_PROJECT_DIR/cgi-bin/auth.cgi" init \
		>/dev/null 2>>"$state/init.stderr" ||
		echo "server_start: warning: auth.cgi init failed" >&2
	for try in 1 2 3 4 5; do
		SERVER_PORT=$(free_port) || return 1
		SERVE_PORT=$SERVER_PORT SERVE_STATE_DIR=$state \
			SERVE_PROJECT_DIR=$SERVER_PROJECT_DIR \
			"$SERVER_LIGHTTPD" -D -f "$SERVER_PROJECT_DIR/conf/lighttpd.conf" \
			</dev/null >>"$state/lighttpd.stderr" 2>&1 &
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
		echo "server_start: lighttpd did not answer on $SERVER_URL (try $try):" >&2
		tail -n 5 "$state/lighttpd.stderr" "$state/error.log" >&2 2>/dev/null
		server_stop
	done
	return 1
}

# server_stop: SIGTERM the recorded PID, wait for it (at most 5 s), then
# SIGKILL. A no-op when nothing was started.
server_stop() {
	local i
	[ -n "$SERVER_PID" ] || return 0
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null
		for i in $(seq 1 50); do
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
