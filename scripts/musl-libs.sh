#!/bin/sh
# musl-libs.sh: static archives, built with musl (musl-gcc), of the
# libraries the static executable links: libxcrypt, libuuid (util-linux),
# libsodium and libfcgi, each from Debian's own source package (the
# version and patches of the installed -dev package; see debian-src.sh).
# Installs DIR/lib/lib{crypt,uuid,sodium,fcgi}.a and their headers in
# DIR/include, logs in DIR/log, and DIR/static-pie.specs: musl-gcc's own
# specs (which link dynamically, with musl's loader) changed to link a
# static PIE, started by musl's self-relocating rcrt1.o. Used by make
# static (see the Makefile).
# Usage: scripts/musl-libs.sh DIR
#   MUSL_TARGET  a Debian triplet (aarch64-linux-gnu, arm-linux-gnueabihf):
#                build for that architecture instead, with its cross
#                compiler and Debian's musl for it (musl-dev:arm64, ...);
#                DIR/musl-gcc.specs is then musl-gcc's specs for it
#                (make test-arm)
# Needs musl-tools, autoconf, automake, libtool, dpkg-dev, and the network
# the first time (debian-src.sh). Exits non-zero when it cannot.
set -eu
dir=$1
# DIR/.done holds this script's checksum: a changed script builds again.
stamp="$(cksum <"$0") ${MUSL_TARGET:-}"
[ "$(cat "$dir/.done" 2>/dev/null)" = "$stamp" ] && exit 0
for t in musl-gcc autoreconf libtoolize make; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "musl-libs.sh: $t is missing (packages musl-tools autoconf automake libtool)" >&2
		exit 1
	}
done
here=$(cd "$(dirname "$0")" && pwd -P)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
rm -rf "$dir/lib" "$dir/include" "$dir/kinc" "$dir/log" "$dir/static-pie.specs" \
	"$dir"/*/src
mkdir -p "$dir/lib" "$dir/include" "$dir/kinc" "$dir/log"

# musl's headers leave out the kernel's, which libxcrypt and util-linux
# include: a private directory gives them Debian's (linux-libc-dev).
arch=${MUSL_TARGET:-$(gcc -print-multiarch)}
ln -s /usr/include/linux "$dir/kinc/linux"
ln -s /usr/include/asm-generic "$dir/kinc/asm-generic"
ln -s "/usr/include/$arch/asm" "$dir/kinc/asm"

specs=$(sed -n 's|.*-specs "\([^"]*\)".*|\1|p' "$(command -v musl-gcc)")
if ! [ -f "$specs" ] || ! grep -q 'Scrt1\.o' "$specs" ||
	! grep -q '^-dynamic-linker [^ ]* -nostdlib' "$specs"; then
	echo "musl-libs.sh: cannot read musl-gcc's specs ($specs)" >&2
	exit 1
fi
host=
if [ -n "${MUSL_TARGET:-}" ]; then
	# The target's musl triplet (aarch64-linux-musl, arm-linux-musleabihf)
	# in place of this machine's, in musl-gcc's specs.
	own=$(sed -n 's|.*-isystem /usr/include/\([^ ]*-musl[^ ]*\) .*|\1|p' "$specs" | head -n 1)
	host=$(echo "$MUSL_TARGET" | sed 's/-gnu/-musl/')
	if ! [ -f "/usr/lib/$host/libc.a" ]; then
		echo "musl-libs.sh: no musl for $MUSL_TARGET (/usr/lib/$host/libc.a; package musl-dev of that architecture)" >&2
		exit 1
	fi
	sed "s|$own|$host|g" "$specs" >"$dir/musl-gcc.specs"
	specs=$dir/musl-gcc.specs
fi
sed -e 's|/Scrt1\.o|/rcrt1.o|' \
	-e 's|^-dynamic-linker [^ ]* -nostdlib|-static -pie --no-dynamic-linker -z text -nostdlib|' \
	"$specs" >"$dir/static-pie.specs"

if [ -n "$host" ]; then
	export CC="$MUSL_TARGET-gcc -specs $dir/musl-gcc.specs"
	set -- --host="$host"
else
	export CC=musl-gcc
	set --
fi
export CFLAGS="-O2 -fPIE -fstack-protector-strong"
export CPPFLAGS="-isystem $dir/kinc"
jobs=$(nproc 2>/dev/null || echo 2)

# step NAME COMMAND...: run in the current directory, output to the log;
# on failure show the log's end and stop.
step() {
	name=$1
	shift
	if ! "$@" >>"$dir/log/$name" 2>&1; then
		echo "musl-libs.sh: $name: '$*' failed:" >&2
		tail -n 15 "$dir/log/$name" >&2
		exit 1
	fi
}

# fetch SOURCE DEVPKG FILE: Debian's source into DIR/SOURCE/src; cd there.
fetch() {
	"$here/debian-src.sh" "$1" "$2" "$dir/$1" "$3"
	cd "$dir/$1/src"
}

fetch libxcrypt libcrypt-dev lib/crypt.c
step libxcrypt ./autogen.sh
step libxcrypt ./configure "$@" --disable-shared --disable-obsolete-api
step libxcrypt make -j"$jobs" libcrypt.la
cp .libs/libcrypt.a "$dir/lib/"
cp crypt.h "$dir/include/"

fetch util-linux uuid-dev libuuid/src/gen_uuid.c
step util-linux ./configure "$@" --disable-shared --disable-all-programs \
	--enable-libuuid --disable-nls --without-python --without-systemd \
	--without-udev --without-ncursesw --without-tinfo --without-readline \
	--disable-bash-completion --disable-asciidoc
step util-linux make -j"$jobs" libuuid.la
cp .libs/libuuid.a "$dir/lib/"
cp libuuid/src/uuid.h "$dir/include/"

fetch libsodium libsodium-dev src/libsodium/sodium/core.c
step libsodium ./autogen.sh -s
step libsodium ./configure "$@" --disable-shared --enable-minimal \
	--prefix="$dir/sodium"
step libsodium make -j"$jobs"
step libsodium make install
cp "$dir/sodium/lib/libsodium.a" "$dir/lib/"
cp -r "$dir/sodium/include/sodium.h" "$dir/sodium/include/sodium" \
	"$dir/include/"

fetch libfcgi libfcgi-dev libfcgi/fcgiapp.c
step libfcgi ./autogen.sh
step libfcgi ./configure "$@" --disable-shared
step libfcgi make -j"$jobs" -C libfcgi libfcgi.la
cp libfcgi/.libs/libfcgi.a "$dir/lib/"
cp include/fcgiapp.h include/fastcgi.h "$dir/include/"

echo "$stamp" >"$dir/.done"
echo "musl-libs.sh: libcrypt, libuuid, libsodium, libfcgi (musl) in $dir/lib"
