#!/bin/bash
# run.sh: the test suites, after the build: every one (make test) or the
# quick ones (make check: the unit tests and the CGI suite, plain builds).
# Two suites run side by side (they share nothing: each has its own
# temporary directory, and its servers take ports from a range of their
# own, TEST_PORTS). A line per suite as it ends, with the tail of its
# output when it failed; the last line is the total "N passed, N failed".
# Usage: tests/run.sh [all|quick]     (from anywhere; default all)
#   TEST_JOBS     suites side by side: 2 (default) or 1
#   FUZZ_SECONDS  how long each fuzzer runs (30)
set -u
cd "$(dirname "$0")/.." || exit 2
# Each suite chooses its database (a server takes AUTHCGI_DB from its
# environment).
unset AUTHCGI_DB AUTHCGI_SECRET_KEY_FILE

what=${1:-all}
jobs=${TEST_JOBS:-2}
case $jobs in 1 | 2) ;; *) echo "$0: TEST_JOBS must be 1 or 2" >&2; exit 2 ;; esac
# Port ranges of the two slots, below the kernel's ephemeral ports.
ranges=(20000-25999 26000-31999)

log_dir=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-tests.XXXXXX")
slot_job=()
slot_pid=()
# Each suite runs in a process group of its own (job control), where
# Ctrl-C does not reach it: stop_all SIG hands the signal on to the
# groups of the running suites, as Ctrl-C would have.
set -m
stop_all() {
	local p
	for p in "${slot_pid[@]}"; do
		kill -"$1" -- -"$p" 2>/dev/null
	done
	wait
}
trap 'rm -rf "$log_dir"' EXIT
trap 'stop_all INT; exit 1' INT
trap 'stop_all TERM; exit 1' TERM

# The suites: "NAME<TAB>KIND<TAB>COMMAND...", the longest first, so that
# two at a time end together. KIND: cmocka (a cmocka binary) or suite (a
# script whose last line is "N passed, N failed").
list=()
add() { list+=("$1"$'\t'"$2"$'\t'"$3"); }
# units DIR LABEL: the cmocka binaries in DIR.
units() {
	local t
	for t in "$1"/test_*; do
		[ -x "$t" ] && add "$2 $(basename "$t")" cmocka "$t"
	done
}
case $what in
quick)
	add "cgi" suite "tests/cgi/run.sh cgi-bin/auth.cgi"
	units build/unit unit
	;;
all)
	add "valgrind (cgi suite)" suite "tests/robust/valgrind.sh cgi-bin/auth.cgi"
	fuzzers=""
	for f in build/fuzz/*; do
		[ -f "$f" ] && [ -x "$f" ] && fuzzers="$fuzzers $(basename "$f")"
	done
	[ -n "$fuzzers" ] &&
		add "fuzz" suite "tests/fuzz/run.sh build/fuzz ${FUZZ_SECONDS:-30}$fuzzers"
	add "hostile input" suite "tests/robust/hostile.sh cgi-bin/auth.cgi build/asan/auth.cgi"
	add "concurrency" suite "tests/robust/concurrency.sh"
	add "concurrency (postgresql, 2 hosts)" suite "env TEST_DB=postgres tests/robust/concurrency.sh"
	add "faults" suite "tests/robust/faults.sh"
	add "security" suite "tests/security/run.sh"
	add "debian package" suite "tests/deb/run.sh"
	add "gate (4 servers)" suite "tests/gate/run.sh"
	add "security probes" suite "tests/security/probes.sh cgi-bin/auth.cgi"
	add "security probes+asan" suite "tests/security/probes.sh build/asan/auth.cgi"
	add "cgi+asan" suite "tests/cgi/run.sh build/asan/auth.cgi"
	add "cgi+asan (postgresql)" suite "env TEST_DB=postgres tests/cgi/run.sh build/asan/auth.cgi"
	add "cgi" suite "tests/cgi/run.sh cgi-bin/auth.cgi"
	add "cgi (postgresql)" suite "env TEST_DB=postgres tests/cgi/run.sh cgi-bin/auth.cgi"
	add "fastcgi valgrind" suite "tests/fastcgi/valgrind.sh cgi-bin/auth.cgi"
	add "fastcgi valgrind (postgresql)" suite "env TEST_DB=postgres tests/fastcgi/valgrind.sh cgi-bin/auth.cgi"
	add "cgi (static)" suite "tests/cgi/run.sh build/static/auth.cgi"
	add "integration (4 servers)" suite "tests/integration/run.sh"
	add "integration (4 servers, postgresql)" suite "env TEST_DB=postgres tests/integration/run.sh"
	add "postgresql: two hosts" suite "tests/pg/hosts.sh cgi-bin/auth.cgi"
	add "postgresql: faults" suite "tests/pg/faults.sh cgi-bin/auth.cgi"
	add "postgresql: copy-db" suite "tests/pg/copy.sh cgi-bin/auth.cgi"
	add "browser (chromium)" suite "tests/browser/run.sh"
	add "kill loop" suite "tests/robust/killloop.sh"
	add "admin" suite "tests/admin/run.sh cgi-bin/auth.cgi"
	add "admin+asan" suite "tests/admin/run.sh build/asan/auth.cgi"
	add "account" suite "tests/account/run.sh cgi-bin/auth.cgi"
	add "account+asan" suite "tests/account/run.sh build/asan/auth.cgi"
	add "totp" suite "tests/totp/run.sh cgi-bin/auth.cgi"
	add "totp+asan" suite "tests/totp/run.sh build/asan/auth.cgi"
	add "lint" suite "tests/lint.sh"
	add "static build" suite "tests/static/checks.sh build/static/auth.cgi"
	add "install from source" suite "tests/install/run.sh"
	add "fastcgi close" suite "tests/fastcgi/close.sh cgi-bin/auth.cgi build/asan/auth.cgi"
	units build/unit unit
	units build/unit-asan unit+asan
	# The store's tests once more, on PostgreSQL.
	add "unit test_store (postgresql)" cmocka "tests/unit/with-pg.sh build/unit/test_store"
	add "unit+asan test_store (postgresql)" cmocka "tests/unit/with-pg.sh build/unit-asan/test_store"
	;;
*) echo "usage: $0 [all|quick]" >&2; exit 2 ;;
esac

# counts KIND OUT RC: print "PASSED FAILED" of a finished suite.
counts() {
	local kind=$1 out=$2 rc=$3 p f last
	if [ "$kind" == cmocka ]; then
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
		p=${p:-0}
		f=${f:-0}
	else
		last=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
		p=$(sed -n 's/^\([A-Za-z]*: \)\{0,1\}\([0-9]*\) passed.*/\2/p' <<<"$last")
		f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$last")
		if [ -z "$p" ]; then
			p=0
			f=1
		fi
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # the suite failed without saying which test
	fi
	echo "$p $f"
}

# run_one I: run suite I of the list in this process; its report goes to
# I.report, its counts to I.counts, and I.done marks the end (made before
# the process ends).
run_one() {
	local name kind cmd out t0 rc p f
	IFS=$'\t' read -r name kind cmd <<<"${list[$1]}"
	out=$log_dir/$1.log
	t0=$(date +%s)
	# shellcheck disable=SC2086
	$cmd >"$out" 2>&1 </dev/null
	rc=$?
	read -r p f < <(counts "$kind" "$out" "$rc")
	{
		if [ "$f" -ne 0 ]; then
			echo "---- $name: output ----"
			# The first failures with their reasons, then the end.
			grep -E '^FAIL ' "$out" | head -n 20
			echo "..."
			tail -n 60 "$out"
			echo "---- end of $name ----"
		fi
		printf '== %-28s %s passed, %s failed (%d s)\n' "$name" "$p" "$f" \
			$(($(date +%s) - t0))
	} >"$log_dir/$1.report"
	echo "$p $f" >"$log_dir/$1.counts"
	: >"$log_dir/$1.done"
}

total_pass=0
total_fail=0
# reap: report every suite that has ended, and free its slot.
reap() {
	local s i p f
	for s in "${!slot_job[@]}"; do
		i=${slot_job[$s]}
		kill -0 "${slot_pid[$s]}" 2>/dev/null && continue
		if [ ! -e "$log_dir/$i.done" ]; then
			# Gone without a report (killed): one failure.
			echo "0 1" >"$log_dir/$i.counts"
			printf '== %-28s ended without a report\n' \
				"${list[$i]%%$'\t'*}" >"$log_dir/$i.report"
		fi
		wait "${slot_pid[$s]}" 2>/dev/null
		cat "$log_dir/$i.report"
		read -r p f <"$log_dir/$i.counts"
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
		unset "slot_job[$s]" "slot_pid[$s]"
	done
}
for i in "${!list[@]}"; do
	while [ "${#slot_job[@]}" -ge "$jobs" ]; do
		sleep 0.5
		reap
	done
	for s in $(seq 0 $((jobs - 1))); do
		[ -z "${slot_job[$s]:-}" ] && break
	done
	TEST_PORTS=${ranges[$s]} run_one "$i" &
	slot_pid[$s]=$!
	slot_job[$s]=$i
done
while [ "${#slot_job[@]}" -gt 0 ]; do
	sleep 0.5
	reap
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
