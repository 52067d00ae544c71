#!/bin/bash
# bench.sh: how fast is authcgi? Used by `make bench` (not part of make
# test), which builds cgi-bin/auth.cgi, build/static/auth.cgi and the bare
# programs below first; this script builds nothing.
#
# 1. Through lighttpd on loopback, with wrk, six servers one after the
#    other, all configured alike:
#      authcgi CGI       conf/lighttpd.conf: cgi-bin/auth.cgi, the default
#                        build (Debian's shared libraries)
#      authcgi CGI, static   the same with build/static/auth.cgi (make
#                        static: musl, the service's own SQLite)
#      authcgi FastCGI   conf/lighttpd-fastcgi.conf: cgi-bin/auth.cgi
#      bare CGI, glibc   conf/lighttpd.conf with build/bench/bare.cgi in the
#                        place of auth.cgi: a CGI that prints a constant JSON
#                        line (tests/bench/bare.c), linked statically with
#                        glibc: the cost of lighttpd and of a process start
#                        without the app, the reference the service's CGI
#                        targets are set against
#      bare CGI, musl    the same bare CGI linked with musl as make static
#                        links (build/bench/bare-musl.cgi): the process
#                        start of a musl executable
#      bare FastCGI      conf/lighttpd-fastcgi.conf with build/bench/bare-fcgi
#                        in the place of auth.cgi: a FastCGI responder that
#                        answers a constant JSON line (tests/bench/bare-fcgi.c):
#                        the cost of lighttpd and of the protocol, the
#                        ceiling of a FastCGI app here
#      authcgi CGI, PostgreSQL      the default build's CGI and FastCGI
#      authcgi FastCGI, PostgreSQL  on a database of a PostgreSQL cluster
#                        made for the run (scripts/pg-cluster.sh, on a
#                        unix socket), when postgresql is installed
#    and two requests each: GET /profile with a session cookie, and
#    POST /sessions (a login: one password hash with the configured method;
#    throttling off). The servers take turns for BENCH_ROUNDS rounds, so
#    that a slow spell of a shared machine does not fall on one of them
#    only; each figure is the median of its rounds. Prints req/s, p50, p99
#    and the ratios, with the targets: static CGI / bare CGI, glibc
#    (>= 0.75) and FastCGI / bare FastCGI (>= 0.8); and FastCGI / CGI,
#    FastCGI / 1,900 req/s (the original Flask service's figure).
# 2. Without a server: the median wall time of one exec answering
#    GET /profile (CGI variables, BENCH_EXECS = 200 runs) of both builds
#    of auth.cgi and of the bare CGIs; the peak RSS of the profile and login
#    requests (/usr/bin/time -v); and the median time of one password
#    hash: a login exec minus a profile exec (20 runs).
#
# Usage: scripts/bench.sh
#   BENCH_DURATION  seconds per wrk run (5)
#   BENCH_ROUNDS    rounds of the servers (3)
#   BENCH_CONNECTIONS, BENCH_THREADS   wrk -c and -t (16, 2)
#   BENCH_EXECS     direct execs for the medians (200)
#   AUTHCGI_*       reach the app, e.g. AUTHCGI_HASH_METHOD='$2b$'
#                   AUTHCGI_HASH_COST=10 scripts/bench.sh
# Every server is stopped by its PID, also on Ctrl-C.
set -u

root=$(cd "$(dirname "$0")/.." && pwd -P)
cgi=$root/cgi-bin/auth.cgi
static=$root/build/static/auth.cgi
bare=$root/build/bench/bare.cgi
bare_musl=$root/build/bench/bare-musl.cgi
bare_fcgi=$root/build/bench/bare-fcgi
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-2}
EXECS=${BENCH_EXECS:-200}
ORIGINAL_RPS=1900
lighttpd=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}

for f in "$cgi" "$static" "$bare" "$bare_musl" "$bare_fcgi"; do
	if [ ! -x "$f" ]; then
		echo "$0: $f is missing: run make bench (it builds them)" >&2
		exit 1
	fi
done
for t in wrk curl /usr/bin/time python3 "$lighttpd"; do
	if ! command -v "$t" >/dev/null; then
		echo "$0: $t not found: apt-get install wrk curl time python3 lighttpd" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-bench.XXXXXX")
# free_port and server_stop (which stops the lighttpd whose PID is in
# SERVER_PID, waiting for it) come from the test suites' server library.
# shellcheck disable=SC1091
. "$root/tests/lib/server.sh"
# shellcheck disable=SC1091
. "$root/tests/lib/pg.sh"
trap 'server_stop; pg_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
# PostgreSQL as a deployment runs it (durable commits), when auth.cgi has
# libpq and the server is installed.
# shellcheck disable=SC2034 # read by pg_start
PG_TEST_SETTINGS="-c max_connections=200"
PGURI=""
if pg_start >/dev/null 2>&1 && PGURI=$(pg_db bench) &&
	AUTHCGI_DB=$PGURI AUTHCGI_SECRET_KEY_FILE=$tmp/pg.key "$cgi" init >/dev/null 2>&1; then
	:
else
	echo "$0: no PostgreSQL rows (a build without libpq, or no postgresql)" >&2
	PGURI=""
fi

# Logins without lockouts; every other setting as the caller has it.
export AUTHCGI_LOCK_ACCOUNT=0 AUTHCGI_LOCK_ADDRESS=0
PW=b4l0u-bench
BODY="email=bench%40example.com&password=$PW"

# start NAME CONF: lighttpd with CONF and its own state dir; sets
# SERVER_PID, URL.
start() {
	local name=$1 conf=$2 state=$tmp/$1 _
	mkdir -p "$state"
	AUTHCGI_DB=${AUTHCGI_DB:-$state/auth.db} "$cgi" init >/dev/null 2>"$state/init.err"
	PORT=$(free_port) || return 1
	URL=http://127.0.0.1:$PORT
	SERVE_PORT=$PORT SERVE_STATE_DIR=$state SERVE_PROJECT_DIR=$root \
		"$lighttpd" -D -f "$conf" </dev/null >"$state/stderr" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 50); do
		if curl -s -o /dev/null --max-time 2 "$URL/"; then return 0; fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.2
	done
	echo "$0: $name did not start:" >&2
	tail -n 5 "$state/stderr" "$state/error.log" >&2
	return 1
}

# cgi_conf CGI OUT: a variant of conf/lighttpd.conf that runs the CGI at
# path CGI instead of cgi-bin/auth.cgi.
cgi_conf() {
	local name
	name=$(basename "$1")
	sed -e "s#project_dir + \"/cgi-bin/auth.cgi/\"#\"$1/\"#" \
		-e "s#cgi.assign = (\"/auth.cgi\" => \"\")#cgi.assign = (\"/$name\" => \"\")#" \
		"$root/conf/lighttpd.conf" >"$2"
	if ! grep -q "\"$1/\"" "$2" || ! grep -q "\"/$name\" => \"\"" "$2"; then
		echo "$0: could not make a CGI's configuration from conf/lighttpd.conf" >&2
		exit 1
	fi
}
cgi_conf "$static" "$tmp/lighttpd-static.conf"
cgi_conf "$bare" "$tmp/lighttpd-bare.conf"
cgi_conf "$bare_musl" "$tmp/lighttpd-baremusl.conf"
# conf/lighttpd-fastcgi.conf spawning the bare FastCGI responder.
sed -e "s#project_dir + \"/cgi-bin/auth.cgi\"#\"$bare_fcgi\"#" \
	"$root/conf/lighttpd-fastcgi.conf" >"$tmp/lighttpd-barefcgi.conf"
if ! grep -q "\"$bare_fcgi\"" "$tmp/lighttpd-barefcgi.conf"; then
	echo "$0: could not make the bare FastCGI's configuration from conf/lighttpd-fastcgi.conf" >&2
	exit 1
fi
servers="cgi static fastcgi bare baremusl barefcgi"
[ -n "$PGURI" ] && servers="$servers pgcgi pgfastcgi"

cat >"$tmp/login.lua" <<EOF
wrk.method = "POST"
wrk.body = "$BODY"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
EOF

# run_wrk KEY PATH [ARGS...]: wrk against URL; appends "rps p50 p99 bad;"
# to RES[KEY], one entry per round (latencies in ms; bad: non-2xx/3xx
# answers and socket errors).
declare -A RES
run_wrk() {
	local key=$1 path=$2 out=$tmp/wrk.$1
	shift 2
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$@" "$URL$path" >"$out" 2>&1
	RES[$key]+="$(python3 - "$out" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    n, u = float(m.group(1)), m.group(2)
    return n * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u]
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
p50 = re.search(r"^\s+50%\s+(\S+)", t, re.M)
p99 = re.search(r"^\s+99%\s+(\S+)", t, re.M)
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
nbad = (int(bad.group(1)) if bad else 0) + (sum(map(int, err.groups())) if err else 0)
if not (rps and p50 and p99):
    print("0 0 0 -1")
else:
    print(f"{float(rps.group(1)):.1f} {ms(p50.group(1)):.2f} {ms(p99.group(1)):.2f} {nbad}")
EOF
);"
}

# cookie: register and log in once on URL; prints the session id.
cookie() {
	curl -s -o /dev/null --max-time 10 --data-raw "$BODY" "$URL/users"
	curl -s -D - -o /dev/null --max-time 10 --data-raw "$BODY" "$URL/sessions" |
		sed -n 's/^[Ss]et-[Cc]ookie: session_id=\([^;]*\).*/\1/p' | head -n 1
}

echo "authcgi bench: wrk -t$THREADS -c$CONNS -d${DURATION}s on 127.0.0.1, $(nproc) cores," \
	"$ROUNDS rounds; hash ${AUTHCGI_HASH_METHOD:-\$y\$} cost ${AUTHCGI_HASH_COST:-5}"
for round in $(seq 1 "$ROUNDS"); do
	for server in $servers; do
		case $server in
		cgi) conf=$root/conf/lighttpd.conf ;;
		fastcgi) conf=$root/conf/lighttpd-fastcgi.conf ;;
		pgcgi) conf=$root/conf/lighttpd.conf ;;
		pgfastcgi) conf=$root/conf/lighttpd-fastcgi.conf ;;
		*) conf=$tmp/lighttpd-$server.conf ;;
		esac
		unset AUTHCGI_DB AUTHCGI_SECRET_KEY_FILE
		case $server in pg*)
			export AUTHCGI_DB=$PGURI AUTHCGI_SECRET_KEY_FILE=$tmp/pg.key ;;
		esac
		start "$server" "$conf" || exit 1
		sid=""
		if [ "${server#bare}" = "$server" ]; then
			sid=$(cookie)
			if [ -z "$sid" ]; then
				echo "$0: $server: could not log in" >&2
				exit 1
			fi
		fi
		echo "  round $round, $server: GET /profile, POST /sessions ..." >&2
		run_wrk "$server.profile" /profile -H "Cookie: session_id=$sid"
		run_wrk "$server.login" /sessions -s "$tmp/login.lua"
		server_stop
	done
done
unset AUTHCGI_SECRET_KEY_FILE

# ------------------------------------------------------ direct execs

cat >"$tmp/execs.py" <<'EOF'
"""Median wall time of execs: python3 execs.py N CMD... (env from ours)."""
import os, statistics, subprocess, sys, time
n, cmd = int(sys.argv[1]), sys.argv[2:]
body = os.environ.pop("BENCH_BODY", "").encode()
ts = []
for _ in range(n):
    t = time.perf_counter()
    p = subprocess.run(cmd, input=body, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    ts.append(time.perf_counter() - t)
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} exited {p.returncode}")
print(f"{statistics.median(ts) * 1000:.3f}")
EOF
state=$tmp/direct
mkdir -p "$state"
export AUTHCGI_DB=$state/auth.db
"$cgi" init >/dev/null 2>"$state/init.err"
cgienv=(GATEWAY_INTERFACE=CGI/1.1 SCRIPT_NAME= SERVER_NAME=127.0.0.1
	SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 QUERY_STRING=)
post=("${cgienv[@]}" REQUEST_METHOD=POST CONTENT_TYPE=application/x-www-form-urlencoded
	"CONTENT_LENGTH=${#BODY}")
printf %s "$BODY" | env "${post[@]}" PATH_INFO=/users "$cgi" >/dev/null 2>&1
sid=$(printf %s "$BODY" | env "${post[@]}" PATH_INFO=/sessions "$cgi" 2>/dev/null |
	sed -n 's/^Set-Cookie: session_id=\([^;]*\).*/\1/p' | head -n 1)
profile=("${cgienv[@]}" REQUEST_METHOD=GET PATH_INFO=/profile "HTTP_COOKIE=session_id=$sid")
if ! env "${profile[@]}" "$cgi" 2>/dev/null | grep -q '^Status: 200'; then
	echo "$0: direct exec: GET /profile is not 200" >&2
	exit 1
fi
echo "  direct execs ..." >&2
# measure KEY VALUE: one figure for the table.
measure() { echo "$1 $2" >>"$tmp/execs"; }
: >"$tmp/execs"
for b in cgi static bare bare_musl; do
	t=$(env "${profile[@]}" python3 "$tmp/execs.py" "$EXECS" "${!b}") || exit 1
	measure "exec_$b" "$t"
done
for b in cgi static; do
	t=$(env "${post[@]}" PATH_INFO=/sessions BENCH_BODY="$BODY" \
		python3 "$tmp/execs.py" 20 "${!b}") || exit 1
	measure "exec_login_$b" "$t"
done
# The same profile exec on PostgreSQL: what a connection per request costs.
if [ -n "$PGURI" ]; then
	pgsid=$(printf %s "$BODY" | env "${post[@]}" PATH_INFO=/sessions \
		AUTHCGI_DB="$PGURI" AUTHCGI_SECRET_KEY_FILE="$tmp/pg.key" "$cgi" 2>/dev/null |
		sed -n 's/^Set-Cookie: session_id=\([^;]*\).*/\1/p' | head -n 1)
	t=$(env "${profile[@]}" "HTTP_COOKIE=session_id=$pgsid" \
		AUTHCGI_DB="$PGURI" AUTHCGI_SECRET_KEY_FILE="$tmp/pg.key" \
		python3 "$tmp/execs.py" "$EXECS" "$cgi") || exit 1
	measure exec_cgi_pg "$t"
fi
# rss NAME=VALUE... CMD: peak RSS in KiB of one run of CMD with those
# variables (body from $RSS_BODY); time runs CMD itself, not env.
rss() {
	printf %s "${RSS_BODY:-}" |
		env "${@:1:$#-1}" /usr/bin/time -v "${@: -1}" 2>&1 >/dev/null |
		sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p'
}
for b in cgi static bare bare_musl; do
	measure "rss_$b" "$(rss "${profile[@]}" "${!b}")"
done
for b in cgi static; do
	measure "rss_login_$b" "$(RSS_BODY=$BODY rss "${post[@]}" PATH_INFO=/sessions "${!b}")"
done

# ------------------------------------------------------------- table

for k in "${!RES[@]}"; do
	printf '%s\t%s\n' "$k" "${RES[$k]}"
done >"$tmp/results"
python3 - "$ORIGINAL_RPS" "$tmp/results" "$servers" "$tmp/execs" <<'EOF'
import statistics, sys
orig = float(sys.argv[1])
runs = dict(line.rstrip("\n").split("\t", 1) for line in open(sys.argv[2]))
servers = sys.argv[3].split()
ex = dict(line.split() for line in open(sys.argv[4]))
names = [f"{s}.{r}" for s in servers for r in ("profile", "login")]
res, spread = {}, {}
for k in names:
    rounds = [r.split() for r in runs[k].split(";") if r.strip()]
    med = lambda i: statistics.median(float(r[i]) for r in rounds)
    res[k] = (med(0), med(1), med(2), sum(int(r[3]) for r in rounds))
    spread[k] = " ".join(f"{float(r[0]):.0f}" for r in rounds)
label = {"cgi": "authcgi CGI", "static": "authcgi CGI, static",
         "fastcgi": "authcgi FastCGI", "bare": "bare CGI, glibc",
         "baremusl": "bare CGI, musl", "barefcgi": "bare FastCGI",
         "pgcgi": "authcgi CGI, PostgreSQL",
         "pgfastcgi": "authcgi FastCGI, PostgreSQL"}
req = {"profile": "GET /profile", "login": "POST /sessions"}
print()
print(f"{'server':<27} {'request':<15} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
print("-" * 78)
for k in names:
    s, r = k.split(".")
    rps, p50, p99, bad = res[k]
    extra = " (same constant answer)" if s.startswith("bare") else ""
    print(f"{label[s]:<27} {req[r]:<15} {rps:>9.1f} {p50:>8.2f} {p99:>8.2f} {bad:>7}{extra}")
print("req/s of each round, GET /profile: " + "; ".join(
    f"{label[s]} {spread[s + '.profile']}" for s in servers))
print()


def ratio(x, y):
    if not y:
        return "n/a"
    return f"{x / y:.2f}" if x / y >= 0.1 else f"{x / y:.3f}"


def rps(s, r):
    return res[s + "." + r][0]


rows = [("authcgi CGI / bare CGI, glibc", "cgi", "bare", ""),
        ("authcgi CGI, static / bare CGI, glibc", "static", "bare", ">= 0.75"),
        ("authcgi CGI, static / bare CGI, musl", "static", "baremusl", ""),
        ("authcgi CGI, static / authcgi CGI", "static", "cgi", ""),
        ("authcgi FastCGI / authcgi CGI", "fastcgi", "cgi", ""),
        ("authcgi FastCGI / bare FastCGI", "fastcgi", "barefcgi", ">= 0.8")]
if "pgfastcgi.profile" in res:
    rows += [("FastCGI PostgreSQL / FastCGI SQLite", "pgfastcgi", "fastcgi", ""),
             ("CGI PostgreSQL / CGI SQLite", "pgcgi", "cgi", "")]
print(f"{'ratio (req/s)':<40} {'GET /profile':>13} {'POST /sessions':>15}  target")
print("-" * 80)
for title, a, b, target in rows:
    print(f"{title:<40} {ratio(rps(a, 'profile'), rps(b, 'profile')):>13}"
          f" {ratio(rps(a, 'login'), rps(b, 'login')):>15}  {target}")
print(f"{f'authcgi FastCGI / original ({orig:.0f} req/s)':<40}"
      f" {ratio(rps('fastcgi', 'profile'), orig):>13}"
      f" {ratio(rps('fastcgi', 'login'), orig):>15}")
if "pgfastcgi.profile" in res:
    print(f"{f'FastCGI PostgreSQL / original ({orig:.0f})':<40}"
          f" {ratio(rps('pgfastcgi', 'profile'), orig):>13}"
          f" {ratio(rps('pgfastcgi', 'login'), orig):>15}")
print()
print(f"{'one exec, no server':<40} {'median ms':>10} {'peak RSS KiB':>13}")
print("-" * 65)
for title, key in (("auth.cgi GET /profile", "cgi"),
                   ("auth.cgi, static, GET /profile", "static"),
                   ("bare.cgi (glibc)", "bare"),
                   ("bare-musl.cgi", "bare_musl")):
    print(f"{title:<40} {float(ex['exec_' + key]):>10.3f} {ex.get('rss_' + key, ''):>13}")
for title, key in (("auth.cgi POST /sessions (login)", "cgi"),
                   ("auth.cgi, static, POST /sessions", "static")):
    print(f"{title:<40} {float(ex['exec_login_' + key]):>10.3f} {ex.get('rss_login_' + key, ''):>13}")
if "exec_cgi_pg" in ex:
    pg_ms = float(ex["exec_cgi_pg"])
    print(f"{'auth.cgi GET /profile, PostgreSQL':<40} {pg_ms:>10.3f}")
    print(f"{'a PostgreSQL connection (the difference)':<40}"
          f" {pg_ms - float(ex['exec_cgi']):>10.3f}")
hash_ms = float(ex["exec_login_cgi"]) - float(ex["exec_cgi"])
print(f"{'one password hash (login - profile)':<40} {hash_ms:>10.3f}")
print()
for title, a, b, target in rows:
    if target:
        v = rps(a, "profile") / rps(b, "profile")
        t = float(target.split()[1])
        print(f"target: {title}, GET /profile: {v:.2f} ({target}: "
              f"{'met' if v >= t else 'not met'})")
if any(v[3] != 0 for k, v in res.items()):
    print("\nwarning: some answers were errors (see the errors column)")
EOF
