#!/bin/bash
# bench-gate.sh: what the gate costs. Used by `make bench` after
# scripts/bench.sh (it builds cgi-bin/auth.cgi and build/bench/bare-fcgi
# first); this script builds nothing.
#
# One small static file (64 bytes), through lighttpd on loopback with wrk,
# three ways, all under conf/lighttpd-gate.conf as shipped:
#   unprotected        the file at the site root: lighttpd alone
#   authcgi gate       the same file under /private/: authcgi's FastCGI
#                      authorizer decides first (a live session, one read
#                      of the database), then lighttpd serves it
#   bare authorizer    the same, with build/bench/bare-fcgi in the place
#                      of the authorizer: a FastCGI program that answers
#                      200 to everything without looking (tests/bench/
#                      bare-fcgi.c), the ceiling of any authorizer here
# Every request carries the same session cookie. The three take turns for
# BENCH_ROUNDS rounds; each figure is the median of its rounds. Target:
# authcgi's gate at least 0.8 times the bare authorizer's req/s.
#
# Usage: scripts/bench-gate.sh
#   BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_THREADS
#   as scripts/bench.sh (5 s, 3 rounds, 16 connections, 2 threads)
# Every server is stopped by its PID, also on Ctrl-C.
set -u

root=$(cd "$(dirname "$0")/.." && pwd -P)
cgi=$root/cgi-bin/auth.cgi
bare_fcgi=$root/build/bench/bare-fcgi
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-2}
lighttpd=${LIGHTTPD:-$(command -v lighttpd || echo /usr/sbin/lighttpd)}
conf=$root/conf/lighttpd-gate.conf

for f in "$cgi" "$bare_fcgi"; do
	if [ ! -x "$f" ]; then
		echo "$0: $f is missing: run make bench (it builds them)" >&2
		exit 1
	fi
done
for t in wrk curl python3 "$lighttpd"; do
	if ! command -v "$t" >/dev/null; then
		echo "$0: $t not found: apt-get install wrk curl python3 lighttpd" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-bench-gate.XXXXXX")
# free_port, server_stop (SERVER_PID).
# shellcheck disable=SC1091
. "$root/tests/lib/server.sh"
trap 'server_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# The site: the same 64-byte file at the root and under /private/.
site=$tmp/site
mkdir -p "$site/private"
head -c 63 /dev/zero | tr '\0' x >"$site/f.txt"
echo >>"$site/f.txt"
cp "$site/f.txt" "$site/private/f.txt"

# conf/lighttpd-gate.conf with the bare authorizer in the place of
# auth.cgi, in the authorizer's block only.
sed -e '/^[[:space:]]*"mode" *=> "authorizer"/,/"bin-path"/ s#project_dir + "/cgi-bin/auth.cgi"#"'"$bare_fcgi"'"#' \
	"$conf" >"$tmp/lighttpd-bare.conf"
if [ "$(grep -c "\"$bare_fcgi\"" "$tmp/lighttpd-bare.conf")" -ne 1 ]; then
	echo "$0: could not put the bare authorizer in conf/lighttpd-gate.conf" >&2
	exit 1
fi

# start NAME CONF: lighttpd with CONF and its own state dir; sets
# SERVER_PID, URL.
start() {
	local state=$tmp/$1 _
	mkdir -p "$state"
	AUTHCGI_DB=$state/auth.db "$cgi" init >/dev/null 2>&1
	PORT=$(free_port) || return 1
	URL=http://127.0.0.1:$PORT
	SERVE_PORT=$PORT SERVE_STATE_DIR=$state SERVE_PROJECT_DIR=$root \
		SERVE_SITE_DIR=$site AUTHCGI_PUBLIC_URL=$URL/auth \
		"$lighttpd" -D -f "$2" </dev/null >"$state/stderr" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 50); do
		if curl -s -o /dev/null --max-time 2 "$URL/f.txt"; then return 0; fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.2
	done
	echo "$0: $1 did not start:" >&2
	tail -n 5 "$state/stderr" "$state/error.log" >&2
	return 1
}

# session: an account and a log-in on URL; prints the session id.
session() {
	local body="email=bench%40example.com&password=b4l0u-bench"
	curl -s -o /dev/null --max-time 10 --data-raw "$body" "$URL/auth/users"
	curl -s -D - -o /dev/null --max-time 10 --data-raw "$body" "$URL/auth/sessions" |
		sed -n 's/^[Ss]et-[Cc]ookie: session_id=\([^;]*\).*/\1/p' | head -n 1
}

# expect PATH COOKIE: the file, 200, before measuring.
expect() {
	local code
	code=$(curl -s --max-time 10 -o "$tmp/got" -w '%{http_code}' \
		-H "Cookie: session_id=$2" "$URL$1")
	if [ "$code" != 200 ] || ! cmp -s "$tmp/got" "$site/f.txt"; then
		echo "$0: GET $1 did not answer the file with 200: $code" >&2
		exit 1
	fi
}

# run_wrk KEY PATH COOKIE: wrk against URL; appends "rps p50 p99 bad;"
# to RES[KEY] (latencies in ms; bad: non-2xx answers and socket errors).
declare -A RES
run_wrk() {
	local out=$tmp/wrk.$1
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency \
		-H "Cookie: session_id=$3" "$URL$2" >"$out" 2>&1
	RES[$1]+="$(python3 - "$out" <<'EOF'
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

echo "authcgi gate bench: a 64-byte file through lighttpd, wrk -t$THREADS -c$CONNS" \
	"-d${DURATION}s on 127.0.0.1, $(nproc) cores, $ROUNDS rounds"
for round in $(seq 1 "$ROUNDS"); do
	echo "  round $round: unprotected and authcgi gate ..." >&2
	start gate "$conf" || exit 1
	sid=$(session)
	if [ -z "$sid" ]; then
		echo "$0: could not log in" >&2
		exit 1
	fi
	expect /f.txt "$sid"
	expect /private/f.txt "$sid"
	if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/private/f.txt")" != 401 ]; then
		echo "$0: the gate let an anonymous request in" >&2
		exit 1
	fi
	run_wrk open /f.txt "$sid"
	run_wrk gate /private/f.txt "$sid"
	server_stop
	echo "  round $round: bare authorizer ..." >&2
	start bare "$tmp/lighttpd-bare.conf" || exit 1
	expect /private/f.txt "$sid"
	run_wrk bare /private/f.txt "$sid"
	server_stop
done

for k in open gate bare; do
	printf '%s\t%s\n' "$k" "${RES[$k]}"
done >"$tmp/results"
python3 - "$tmp/results" <<'EOF'
import statistics, sys
runs = dict(line.rstrip("\n").split("\t", 1) for line in open(sys.argv[1]))
label = {"open": "unprotected", "gate": "authcgi gate",
         "bare": "bare authorizer"}
res = {}
print()
print(f"{'GET of a 64-byte file':<24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}   rounds (req/s)")
print("-" * 84)
for k in ("open", "gate", "bare"):
    rounds = [r.split() for r in runs[k].split(";") if r.strip()]
    med = lambda i: statistics.median(float(r[i]) for r in rounds)
    res[k] = med(0)
    bad = sum(int(r[3]) for r in rounds)
    each = " ".join(f"{float(r[0]):.0f}" for r in rounds)
    print(f"{label[k]:<24} {med(0):>9.1f} {med(1):>8.2f} {med(2):>8.2f} {bad:>7}   {each}")
print()
ratio = res["gate"] / res["bare"] if res["bare"] else 0
print(f"authcgi gate / bare authorizer   {ratio:.2f}  (target >= 0.80)")
g = [float(r.split()[0]) for r in runs["gate"].split(";") if r.strip()]
b = [float(r.split()[0]) for r in runs["bare"].split(";") if r.strip()]
print("  each round                     " +
      " ".join(f"{x / y:.2f}" if y else "n/a" for x, y in zip(g, b)))
if res["open"]:
    print(f"authcgi gate / unprotected       {res['gate'] / res['open']:.2f}")
    print(f"bare authorizer / unprotected    {res['bare'] / res['open']:.2f}")
EOF
