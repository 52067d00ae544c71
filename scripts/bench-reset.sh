#!/bin/bash
# bench-reset.sh: does a reset request tell a registered email from an
# unknown one by its time? In the hardened profile both must do the same
# work (README, Security). Through lighttpd on loopback (conf/lighttpd.conf,
# CGI), POST /reset_password for a registered email and for an unknown one
# take turns, BENCH_RESETS times each (100); prints both medians and p90s
# in milliseconds, and their ratio. The delivery command appends to a file
# in the state dir, as sendmail would hand a message on. Run by `make
# bench`, after scripts/bench.sh; builds nothing.
set -u

root=$(cd "$(dirname "$0")/.." && pwd -P)
N=${BENCH_RESETS:-100}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-bench-reset.XXXXXX")
# shellcheck disable=SC1091
. "$root/tests/lib/server.sh"
trap 'server_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

for v in $(compgen -e); do
	case $v in AUTHCGI_*) unset "$v" ;; esac
done
export AUTHCGI_PROFILE=hardened
export AUTHCGI_RESET_COMMAND="cat >> $tmp/state/mail.txt"
# Every request counts toward the limits, as in a deployment (one write
# each), but the limits are out of reach: a lockout is not under test.
export AUTHCGI_LOCK_ACCOUNT=1000000 AUTHCGI_LOCK_ADDRESS=1000000
export SERVER_MODE=cgi SERVER_KIND=lighttpd
if ! server_start "$tmp/state" >/dev/null 2>&1; then
	echo "bench-reset: lighttpd did not start" >&2
	exit 1
fi
curl -s -o /dev/null --max-time 10 -d email=known@example.org \
	-d password=Bench-reset-pass-1 "$SERVER_URL/users"

# one EMAIL: the time of one POST /reset_password, in seconds.
one() {
	curl -s -o /dev/null -w '%{time_total}\n' --max-time 10 \
		-d "email=$1" "$SERVER_URL/reset_password"
}
for i in $(seq 1 "$N"); do
	one known@example.org >>"$tmp/known"
	one "unknown$i@example.org" >>"$tmp/unknown"
done
server_stop

# stats FILE: "median p90" in milliseconds.
stats() {
	sort -g "$1" | awk '{ a[NR] = $1 * 1000 }
		END { printf "%.2f %.2f", a[int((NR + 1) / 2)], a[int(NR * 0.9)] }'
}
read -r mk pk <<<"$(stats "$tmp/known")"
read -r mu pu <<<"$(stats "$tmp/unknown")"
printf '\nhardened reset request, %d of each, interleaved   median ms   p90 ms\n' "$N"
echo "------------------------------------------------------------------------"
printf '%-50s %9s %8s\n' "registered email" "$mk" "$pk"
printf '%-50s %9s %8s\n' "unknown email" "$mu" "$pu"
printf '%-50s %9s\n' "registered / unknown" \
	"$(awk -v a="$mk" -v b="$mu" 'BEGIN { printf "%.2f", a / b }')"
