# shellcheck shell=bash disable=SC2034 # HOST_*, CGI: for the suites
# hosts.sh: several web hosts serving one database, for tests (bash; source
# it after assert.sh: it sources server.sh and pg.sh). Each host is a
# lighttpd of its own (tests/lib/server.sh), with its own port and state
# dir; the database is AUTHCGI_DB as exported when the host starts.
#
#   host_start NAME MODE STATE  start host NAME (MODE cgi or fastcgi) with
#                               state dir STATE; 1 when it does not start
#   host_stop NAME              stop it, by its PID
#   host_stop_all               stop every host started
#   hreq NAME METHOD PATH [CURL_ARGS...]
#                               one request to host NAME, not following
#                               redirects; the answer in R_STATUS, R_HEADERS
#                               and R_BODY_FILE (assert.sh)
#   host_sid                    the session id the last answer set
#   host_procs NAME             PIDs of host NAME's FastCGI processes (its
#                               lighttpd's children), in order
#
#   hosts_suite NAME EXE        what a suite of several hosts starts with:
#                               a scratch directory in tmp, EXE served from
#                               a copy of the project (CGI: the copy), a
#                               throwaway cluster with database NAME (its
#                               URI in DB); all stopped and removed at exit
#                               (hosts_cleanup)
#
# HOST_URL[NAME], HOST_PID[NAME] and HOST_LOG[NAME] (the app's stderr) are
# set while a host runs.

# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/server.sh"
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/pg.sh"

declare -A HOST_URL HOST_PID HOST_LOG

host_start() {
	local name=$1 mode=$2 state=$3
	SERVER_PID=""
	if ! SERVER_MODE=$mode server_start "$state"; then
		return 1
	fi
	HOST_URL[$name]=$SERVER_URL
	HOST_PID[$name]=$SERVER_PID
	HOST_LOG[$name]=$SERVER_APP_LOG
	SERVER_PID=""
}

host_stop() {
	[ -n "${HOST_PID[$1]:-}" ] || return 0
	SERVER_PID=${HOST_PID[$1]}
	server_stop
	unset "HOST_PID[$1]"
}

host_stop_all() {
	local n
	for n in "${!HOST_PID[@]}"; do
		host_stop "$n"
	done
}

hreq() {
	local name=$1 method=$2 path=$3
	shift 3
	local args=(-s -S --max-time 20 -D "$HOSTS_TMP/h" -o "$HOSTS_TMP/b")
	if [ "$method" == HEAD ]; then args+=(-I); else args+=(-X "$method"); fi
	: >"$HOSTS_TMP/h"
	: >"$HOSTS_TMP/b"
	curl "${args[@]}" "$@" "${HOST_URL[$name]}$path" 2>"$HOSTS_TMP/curl.err"
	[ "$method" == HEAD ] && : >"$HOSTS_TMP/b"
	cat "$HOSTS_TMP/h" "$HOSTS_TMP/b" >"$HOSTS_TMP/out"
	resp_parse "$HOSTS_TMP/out"
}

host_sid() {
	header_all Set-Cookie | sed -n 's/^session_id=\([^;]*\).*/\1/p' | head -n 1
}

host_procs() {
	pgrep -P "${HOST_PID[$1]}" -x auth.cgi | sort -n | paste -sd ' ' -
}

hosts_suite() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-$1.XXXXXX")
	HOSTS_TMP=$tmp/req
	mkdir -p "$HOSTS_TMP"
	trap hosts_cleanup EXIT
	trap 'exit 1' INT TERM
	server_project "$2" "$tmp/project"
	CGI=$tmp/project/cgi-bin/auth.cgi
	pg_setup "$1"
}

hosts_cleanup() {
	host_stop_all
	pg_stop
	rm -rf "$tmp"
}
