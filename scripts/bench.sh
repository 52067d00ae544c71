#!/bin/bash
# bench.sh: how fast is authcgi? Used by `make bench` (not part of make
# test), which builds cgi-bin/auth.cgi and build/bench/bare.cgi first; this
# script builds nothing.
#
# 1. Through lighttpd on loopback, with wrk, three servers one after the
#    other, all configured alike:
#      authcgi CGI      conf/lighttpd.conf
#      authcgi FastCGI  conf/lighttpd-fastcgi.conf
#      bare CGI         conf/lighttpd.conf with build/bench/bare.cgi in the
#                       place of auth.cgi: a CGI that prints a constant JSON
#                       line (tests/bench/bare.c): the cost of lighttpd and
#                       of a process start, without the app; linked with
#                       the default C library (glibc), as the reference
#                       the service's targets are set against
#      bare CGI, musl   the same bare CGI linked with musl like auth.cgi
#                       (build/bench/bare-musl.cgi), when musl is there:
#                       the process start of a musl executable
#      bare FastCGI     conf/lighttpd-fastcgi.conf with build/bench/bare-fcgi
#                       in the place of auth.cgi: a FastCGI responder that
#                       answers a constant JSON line (tests/bench/bare-fcgi.c):
#                       the cost of lighttpd and of the protocol, the
#                       ceiling of a FastCGI app here
#      authcgi CGI, PostgreSQL      the same two configurations on a
#      authcgi FastCGI, PostgreSQL  database of a PostgreSQL cluster made
#                       for the run (scripts/pg-cluster.sh, on a unix
#                       socket), when auth.cgi has libpq (LINK=dynamic)
#    and two requests each: GET /profile with a session cookie, and
#    POST /sessions (a login: one password hash with the configured method;
#    throttling off). The three servers take turns for BENCH_ROUNDS
#    rounds, so that a slow spell of a shared machine does not fall on one
#    of them only; each figure is the median of its rounds. Prints req/s,
#    p50, p99 and the ratios authcgi CGI / bare, FastCGI / CGI, FastCGI /
#    1,900 req/s (the original Flask service's figure), FastCGI / bare
#    FastCGI.
# 2. Without a server: the median wall time of one exec of cgi-bin/auth.cgi
#    answering GET /profile (CGI variables, BENCH_EXECS = 200 runs) and of
#    bare.cgi; the peak RSS of both requests (/usr/bin/time -v); and the
#    median time of one password hash: a login exec minus a profile exec
#    (20 runs).
#
# Usage: scripts/bench.sh
#   BENCH_DURATION  seconds per wrk run (5)
#   BENCH_ROUNDS    rounds of the three servers (3)
#   BENCH_CONNECTIONS, BENCH_THREADS   wrk -c and -t (16, 2)
#   BENCH_EXECS     direct execs for the medians (200)
#   AUTHCGI_*       reach the app, e.g. AUTHCGI_HASH_METHOD='$2b$'
#                   AUTHCGI_HASH_COST=10 scripts/bench.sh
# Every server is stopped by its PID, also on Ctrl-C.
set -u

root=$(cd "$(dirname "$0")/.." && pwd -P)
cgi=$root/cgi-bin/auth.cgi
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

for f in "$cgi" "$bare" "$bare_fcgi"; do
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
	AUTHCGI_DB=${AUTHCGI_DB:-$state/auth.db} "$cgi" init >/dev/null
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

# bare_conf CGI OUT: a variant of conf/lighttpd.conf that runs the bare
# CGI at path CGI instead of auth.cgi.
bare_conf() {
	local name
	name=$(basename "$1")
	sed -e "s#project_dir + \"/cgi-bin/auth.cgi/\"#\"$1/\"#" \
		-e "s#cgi.assign = (\"/auth.cgi\" => \"\")#cgi.assign = (\"/$name\" => \"\")#" \
		"$root/conf/lighttpd.conf" >"$2"
	if ! grep -q "\"$1/\"" "$2" || ! grep -q "\"/$name\" => \"\"" "$2"; then
		echo "$0: could not make the bare CGI's configuration from conf/lighttpd.conf" >&2
		exit 1
	fi
}
bare_conf "$bare" "$tmp/lighttpd-bare.conf"
servers="cgi fastcgi bare"
if [ -x "$bare_musl" ]; then
	bare_conf "$bare_musl" "$tmp/lighttpd-baremusl.conf"
	servers="$servers baremusl"
fi
# conf/lighttpd-fastcgi.conf spawning the bare FastCGI responder.
sed -e "s#project_dir + \"/cgi-bin/auth.cgi\"#\"$bare_fcgi\"#" \
	"$root/conf/lighttpd-fastcgi.conf" >"$tmp/lighttpd-barefcgi.conf"
if ! grep -q "\"$bare_fcgi\"" "$tmp/lighttpd-barefcgi.conf"; then
	echo "$0: could not make the bare FastCGI's configuration from conf/lighttpd-fastcgi.conf" >&2
	exit 1
fi
servers="$servers barefcgi"
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
		bare) conf=$tmp/lighttpd-bare.conf ;;
		baremusl) conf=$tmp/lighttpd-baremusl.conf ;;
		barefcgi) conf=$tmp/lighttpd-barefcgi.conf ;;
		pgcgi) conf=$root/conf/lighttpd.conf ;;
		pgfastcgi) conf=$root/conf/lighttpd-fastcgi.conf ;;
		esac
		unset AUTHCGI_DB AUTHCGI_SECRET_KEY_FILE
		case $server in pg*)
			export AUTHCGI_DB=$PGURI AUTHCGI_SECRET_KEY_FILE=$tmp/pg.key ;;
		esac
		start "$server" "$conf" || exit 1
		sid=""
		if [ "$server" != "${server#pg}" ] || [ "$server" = cgi ] || [ "$server" = fastcgi ]; then
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
"$cgi" init >/dev/null
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
exec_profile=$(env "${profile[@]}" python3 "$tmp/execs.py" "$EXECS" "$cgi") || exit 1
exec_bare=$(env "${profile[@]}" python3 "$tmp/execs.py" "$EXECS" "$bare") || exit 1
exec_bare_musl=""
if [ -x "$bare_musl" ]; then
	exec_bare_musl=$(env "${profile[@]}" python3 "$tmp/execs.py" "$EXECS" "$bare_musl") || exit 1
fi
exec_login=$(env "${post[@]}" PATH_INFO=/sessions BENCH_BODY="$BODY" \
	python3 "$tmp/execs.py" 20 "$cgi") || exit 1
# The same profile exec on PostgreSQL: what a connection per request costs.
exec_profile_pg=""
if [ -n "$PGURI" ]; then
	pgsid=$(printf %s "$BODY" | env "${post[@]}" PATH_INFO=/sessions \
		AUTHCGI_DB="$PGURI" AUTHCGI_SECRET_KEY_FILE="$tmp/pg.key" "$cgi" 2>/dev/null |
		sed -n 's/^Set-Cookie: session_id=\([^;]*\).*/\1/p' | head -n 1)
	exec_profile_pg=$(env "${profile[@]}" "HTTP_COOKIE=session_id=$pgsid" \
		AUTHCGI_DB="$PGURI" python3 "$tmp/execs.py" "$EXECS" "$cgi") || exit 1
fi
# rss NAME=VALUE... CMD: peak RSS in KiB of one run of CMD with those
# variables (body from $RSS_BODY); time runs CMD itself, not env.
rss() {
	printf %s "${RSS_BODY:-}" |
		env "${@:1:$#-1}" /usr/bin/time -v "${@: -1}" 2>&1 >/dev/null |
		sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p'
}
rss_profile=$(rss "${profile[@]}" "$cgi")
rss_login=$(RSS_BODY=$BODY rss "${post[@]}" PATH_INFO=/sessions "$cgi")
rss_bare=$(rss "${profile[@]}" "$bare")

# ------------------------------------------------------------- table

for k in "${!RES[@]}"; do
	printf '%s\t%s\n' "$k" "${RES[$k]}"
done >"$tmp/results"
python3 - "$ORIGINAL_RPS" "$exec_profile" "$exec_bare" "$exec_login" \
	"$rss_profile" "$rss_login" "$rss_bare" "$exec_bare_musl" \
	"$tmp/results" "$servers" "$exec_profile_pg" <<'EOF'
import statistics, sys
a = sys.argv[1:]
orig = float(a[0])
exec_profile, exec_bare, exec_login = map(float, a[1:4])
rss_profile, rss_login, rss_bare = a[4:7]
exec_bare_musl = float(a[7]) if a[7] else None
exec_profile_pg = float(a[10]) if a[10] else None
runs = dict(line.rstrip("\n").split("\t", 1) for line in open(a[8]))
names = [f"{s}.{r}" for s in a[9].split() for r in ("profile", "login")]
res, spread = {}, {}
for k in names:
    v = runs[k]
    rounds = [r.split() for r in v.split(";") if r.strip()]
    med = lambda i: statistics.median(float(r[i]) for r in rounds)
    res[k] = (med(0), med(1), med(2), sum(int(r[3]) for r in rounds))
    spread[k] = " ".join(f"{float(r[0]):.0f}" for r in rounds)
label = {"cgi": "authcgi CGI", "fastcgi": "authcgi FastCGI", "bare": "bare CGI",
         "baremusl": "bare CGI, musl", "barefcgi": "bare FastCGI",
         "pgcgi": "authcgi CGI, PostgreSQL",
         "pgfastcgi": "authcgi FastCGI, PostgreSQL"}
servers = [s for s in label if s + ".profile" in res]
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
print(f"{'ratio (req/s)':<40} {'GET /profile':>13} {'POST /sessions':>15}")
print("-" * 70)
rows = [("authcgi CGI / bare CGI", lambda r: ratio(res["cgi." + r][0], res["bare." + r][0]))]
if "baremusl.profile" in res:
    rows.append(("authcgi CGI / bare CGI, musl",
                 lambda r: ratio(res["cgi." + r][0], res["baremusl." + r][0])))
for title, f in rows + [
        ("authcgi FastCGI / authcgi CGI", lambda r: ratio(res["fastcgi." + r][0], res["cgi." + r][0])),
        (f"authcgi FastCGI / original ({orig:.0f} req/s)", lambda r: ratio(res["fastcgi." + r][0], orig)),
        ("authcgi FastCGI / bare FastCGI", lambda r: ratio(res["fastcgi." + r][0], res["barefcgi." + r][0]))] + ([
        ("FastCGI PostgreSQL / FastCGI SQLite", lambda r: ratio(res["pgfastcgi." + r][0], res["fastcgi." + r][0])),
        (f"FastCGI PostgreSQL / original ({orig:.0f})", lambda r: ratio(res["pgfastcgi." + r][0], orig)),
        ("CGI PostgreSQL / CGI SQLite", lambda r: ratio(res["pgcgi." + r][0], res["cgi." + r][0]))]
        if "pgfastcgi.profile" in res else []):
    print(f"{title:<40} {f('profile'):>13} {f('login'):>15}")
print()
print(f"{'one exec, no server':<40} {'median ms':>10} {'peak RSS KiB':>13}")
print("-" * 65)
print(f"{'auth.cgi GET /profile':<40} {exec_profile:>10.3f} {rss_profile:>13}")
if exec_profile_pg is not None:
    print(f"{'auth.cgi GET /profile, PostgreSQL':<40} {exec_profile_pg:>10.3f} {'':>13}")
    print(f"{'a PostgreSQL connection (the difference)':<40} {exec_profile_pg - exec_profile:>10.3f} {'':>13}")
print(f"{'bare.cgi':<40} {exec_bare:>10.3f} {rss_bare:>13}")
if exec_bare_musl is not None:
    print(f"{'bare-musl.cgi':<40} {exec_bare_musl:>10.3f} {'':>13}")
print(f"{'auth.cgi POST /sessions (login)':<40} {exec_login:>10.3f} {rss_login:>13}")
print(f"{'one password hash (login - profile)':<40} {exec_login - exec_profile:>10.3f} {'':>13}")
if any(v[3] != 0 for k, v in res.items()):
    print("\nwarning: some answers were errors (see the errors column)")
EOF
