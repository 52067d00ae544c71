#!/bin/bash
# test-arm.sh: auth.cgi for ARM boards, cross-built with Debian's cross
# compilers, and the CGI suite (tests/cgi/run.sh) run against each build
# under QEMU's user emulation; and the Debian package for each
# architecture (make deb DEB_ARCH=ARCH), which lintian must pass. Used by
# `make test-arm` (not part of make test: about 7 minutes, 14 the first
# time, which fetches and builds the musl libraries for both).
# Usage: scripts/test-arm.sh [ARCH...]     (default: arm64 armhf)
# For each architecture:
#   build/cross/ARCH/auth.cgi         linked with the architecture's
#       shared libraries from Debian (the -dev packages of that
#       architecture, multiarch); the emulator finds its loader and
#       libraries where multiarch put them (/lib/ld-linux-*.so.*,
#       /usr/lib/TRIPLET)
#   build/cross/ARCH-static/static/auth.cgi   make static's single file,
#       linked with Debian's musl for that architecture (musl-dev:ARCH);
#       its libraries are built from Debian's sources like make static's
#       (scripts/musl-libs.sh with MUSL_TARGET; the downloads of make
#       static are reused when there)
#   build/cross/ARCH/deb/authcgi_VERSION_ARCH.deb
# A line per step with its counts and time; the last line is the total
# "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 2
[ $# -gt 0 ] || set -- arm64 armhf
total_p=0
total_f=0
jobs=$(nproc 2>/dev/null || echo 1)

# cgi_suite ARCH WHAT EXE QEMU: the CGI suite against EXE, through a
# wrapper that hands it to the emulator (the suite runs it by its path).
cgi_suite() {
	local arch=$1 what=$2 exe=$3 qemu=$4 t0 rc last p f
	t0=$(date +%s)
	printf '#!/bin/sh\nexec /usr/bin/%s %s "$@"\n' "$qemu" "$PWD/$exe" >"$exe-qemu"
	chmod 0755 "$exe-qemu"
	tests/cgi/run.sh "$exe-qemu" >"$exe.cgi.log" 2>&1
	rc=$?
	last=$(tail -n 1 "$exe.cgi.log")
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
	else
		p=0 f=1
	fi
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	[ "$f" -ne 0 ] && grep -E '^(FAIL|not ok)' "$exe.cgi.log" | head -n 20
	printf '== %-6s %-7s %s: cgi suite under %s: %s passed, %s failed (%d s)\n' \
		"$arch" "$what" "$(file -b "$exe" | cut -d, -f1-2)" "$qemu" "$p" "$f" \
		$(($(date +%s) - t0))
	total_p=$((total_p + p))
	total_f=$((total_f + f))
}

# board ARCH WHAT EXE: what README's "On a board" has an operator run
# with the executable copied to a board ("From source" from its init
# on), under the emulator: init, which makes the database and its secret
# key file, then the cron line's purge.
board() {
	local arch=$1 what=$2 exe=$3 d=$3.board res
	rm -rf "$d" && mkdir -p "$d"
	if env -i PATH=/usr/bin:/bin AUTHCGI_DB="$d/auth.db" "$exe-qemu" init >"$d/log" 2>&1 &&
		env -i PATH=/usr/bin:/bin AUTHCGI_DB="$d/auth.db" "$exe-qemu" purge >>"$d/log" 2>&1 &&
		[ -s "$d/auth.db" ] && [ -s "$d/auth.db.key" ]; then
		res=ok
		total_p=$((total_p + 1))
	else
		res="failed: $(tail -n 3 "$d/log" | tr '\n' ' ')"
		total_f=$((total_f + 1))
	fi
	printf '== %-6s %-7s init, then purge (README, On a board): %s\n' "$arch" "$what" "$res"
}

# build_failed ARCH WHAT LOG: a build failed: its log's end, one failure.
build_failed() {
	tail -n 20 "$3"
	echo "== $1 $2: the build failed (whole log: $3)"
	total_f=$((total_f + 1))
}

for arch in "$@"; do
	case $arch in
	arm64) triplet=aarch64-linux-gnu qemu=qemu-aarch64-static ;;
	armhf) triplet=arm-linux-gnueabihf qemu=qemu-arm-static ;;
	*) echo "$0: unknown architecture $arch (arm64, armhf)" >&2; exit 2 ;;
	esac

	# The default build: the architecture's pkg-config gives the flags
	# and libraries of that architecture's packages; without PostgreSQL
	# (PG=0: see README, On a board).
	dir=build/cross/$arch
	mkdir -p "$dir"
	if make --no-print-directory -j"$jobs" B="$dir" CC="$triplet-gcc" \
		PKG_CONFIG="$triplet-pkg-config" PG=0 "$dir/auth.cgi" >"$dir.log" 2>&1; then
		cgi_suite "$arch" dynamic "$dir/auth.cgi" "$qemu"
		board "$arch" dynamic "$dir/auth.cgi"
	else
		build_failed "$arch" dynamic "$dir.log"
	fi

	# make static's single file, with the target's musl. SQLite's and
	# cJSON's sources are the same for every architecture: make
	# static's own; the musl libraries' downloads are reused.
	sdir=build/cross/$arch-static
	for d in build/musl/*/dl; do
		[ -d "$d" ] || continue
		n=${d#build/musl/}
		[ -d "$sdir/musl/$n" ] && continue
		mkdir -p "$sdir/musl/$n" && cp -r "$d" "$sdir/musl/$n"
	done
	specs=$PWD/$sdir/musl
	if MUSL_TARGET=$triplet make --no-print-directory -j"$jobs" B="$sdir" \
		SQLITE_DIR=build/sqlite CJSON_DIR=build/cjson \
		MUSL_CC="$triplet-gcc -specs $specs/musl-gcc.specs" \
		STATIC_LD="$triplet-gcc -specs $specs/static-pie.specs -static-pie -Wl,-z,relro,-z,now" \
		"$sdir/static/auth.cgi" >"$sdir.log" 2>&1; then
		# Its shape, as make static's (tests/static/checks.sh).
		out=$(tests/static/checks.sh "$sdir/static/auth.cgi" 2>&1)
		last=$(tail -n 1 <<<"$out")
		if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
			total_p=$((total_p + BASH_REMATCH[1]))
			total_f=$((total_f + BASH_REMATCH[2]))
		else
			total_f=$((total_f + 1))
		fi
		grep '^not ok' <<<"$out"
		printf '== %-6s static  shape (tests/static/checks.sh): %s\n' "$arch" "$last"
		cgi_suite "$arch" static "$sdir/static/auth.cgi" "$qemu"
		board "$arch" static "$sdir/static/auth.cgi"
	else
		build_failed "$arch" static "$sdir.log"
	fi

	# The package for a board of this architecture.
	t0=$(date +%s)
	if deb=$(scripts/deb.sh -a "$arch" "$dir/deb" 2>&1 | tail -n 1) &&
		[ -f "$deb" ]; then
		total_p=$((total_p + 1))
		lint=$(lintian --fail-on error,warning "${deb%.deb}.changes" 2>&1 |
			grep -v 'running with root privileges')
		if [ -z "$lint" ]; then
			total_p=$((total_p + 1))
		else
			printf '%s\n' "$lint"
			total_f=$((total_f + 1))
		fi
		printf '== %-6s package %s, %d bytes, lintian: %s (%d s)\n' "$arch" \
			"$(basename "$deb")" "$(stat -c %s "$deb")" \
			"${lint:-nothing to say}" $(($(date +%s) - t0))
	else
		printf '%s\n' "$deb"
		echo "== $arch: the package was not built"
		total_f=$((total_f + 1))
	fi
done
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
