#!/bin/bash
# test-arm.sh: cross-build auth.cgi for ARM boards with Debian's cross
# compilers and the -dev packages of each architecture (multiarch), then
# run the CGI suite (tests/cgi/run.sh) against each build under QEMU's
# user emulation; and build the Debian package for each (make deb
# DEB_ARCH=ARCH), which lintian must pass. Used by `make test-arm`, and
# by make test.
# Usage: scripts/test-arm.sh [ARCH...]     (default: arm64 armhf)
# Each build is build/cross/ARCH/auth.cgi, linked with the architecture's
# shared libraries from Debian (what a Debian board installs with apt).
# The emulator finds the loader and the libraries where multiarch put
# them (/lib/ld-linux-*.so, /usr/lib/TRIPLET). A line per architecture
# with its counts and time; the last line is the total "N passed, N
# failed".
set -u
cd "$(dirname "$0")/.." || exit 2
[ $# -gt 0 ] || set -- arm64 armhf
total_p=0
total_f=0
for arch in "$@"; do
	case $arch in
	arm64) triplet=aarch64-linux-gnu qemu=qemu-aarch64-static ;;
	armhf) triplet=arm-linux-gnueabihf qemu=qemu-arm-static ;;
	*) echo "$0: unknown architecture $arch (arm64, armhf)" >&2; exit 2 ;;
	esac
	t0=$(date +%s)
	dir=build/cross/$arch
	mkdir -p "$dir"
	# The architecture's pkg-config gives the flags and libraries of that
	# architecture's packages.
	if ! make --no-print-directory -j"$(nproc)" B="$dir" CC="$triplet-gcc" \
		PKG_CONFIG="$triplet-pkg-config" "$dir/auth.cgi" >"$dir.log" 2>&1; then
		tail -n 20 "$dir.log"
		echo "== $arch: the cross build failed (whole log: $dir.log)"
		total_f=$((total_f + 1))
		continue
	fi
	file -b "$dir/auth.cgi" | cut -d, -f1-2
	# The suite runs the executable by its path: a wrapper hands it to
	# the emulator.
	cat >"$dir/auth-qemu.cgi" <<EOS
#!/bin/sh
exec /usr/bin/$qemu $PWD/$dir/auth.cgi "\$@"
EOS
	chmod 0755 "$dir/auth-qemu.cgi"
	tests/cgi/run.sh "$dir/auth-qemu.cgi" >"$dir/cgi.log" 2>&1
	rc=$?
	last=$(tail -n 1 "$dir/cgi.log")
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
	else
		p=0 f=1
	fi
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	[ "$f" -ne 0 ] && grep -E '^(FAIL|not ok)' "$dir/cgi.log" | head -n 20
	printf '== %-6s cgi suite under %s: %s passed, %s failed (%d s)\n' \
		"$arch" "$qemu" "$p" "$f" $(($(date +%s) - t0))
	# The package for a board of this architecture.
	t0=$(date +%s)
	if deb=$(scripts/deb.sh -a "$arch" "$dir/deb" 2>&1 | tail -n 1) &&
		[ -f "$deb" ]; then
		p=$((p + 1))
		lint=$(lintian --fail-on error,warning "${deb%.deb}.changes" 2>&1 |
			grep -v 'running with root privileges')
		if [ -z "$lint" ]; then
			p=$((p + 1))
		else
			printf '%s\n' "$lint"
			f=$((f + 1))
		fi
		printf '== %-6s %s, %d bytes, lintian: %s (%d s)\n' "$arch" \
			"$(basename "$deb")" "$(stat -c %s "$deb")" \
			"${lint:-nothing to say}" $(($(date +%s) - t0))
	else
		printf '%s\n' "$deb"
		echo "== $arch: the package was not built"
		f=$((f + 1))
	fi
	total_p=$((total_p + p))
	total_f=$((total_f + f))
done
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
