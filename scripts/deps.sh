#!/bin/sh
# deps.sh: install the distribution packages a make target needs, when
# missing (Debian, Ubuntu: apt).
# Usage: scripts/deps.sh build|check|lint|static|run|run-apache|run-postgres|test|fuzz|bench|deb|arm
set -eu

# make: the compiler and the -dev packages of the libraries (pkg-config).
build="make gcc pkg-config libsqlite3-dev libcrypt-dev uuid-dev libcjson-dev libsodium-dev libfcgi-dev liboath-dev libqrencode-dev libpq-dev"
# make check: the unit tests (cmocka) and the CGI suite's tools.
check="$build libcmocka-dev python3 sqlite3 oathtool"
lint="cppcheck clang-format"
# make static: musl, and what builds the libraries from their sources.
static="$build dpkg-dev tcl musl-tools autoconf automake libtool"
run="$build lighttpd"
# postgresql: the server of `make run DB=postgres`, of the tests and of
# the bench.
run_postgres="$run postgresql"
# make deb: debhelper builds the package (dpkg-buildpackage wants
# build-essential), lintian checks it.
deb="$build build-essential debhelper dpkg-dev lintian"
# apache2-bin: the server and its modules, without a service, without
# /etc/apache2 and without anything listening on port 80.
run_apache="$run apache2-bin libapache2-mod-fcgid"
# The tests: PostgreSQL (the store's second backend), the servers of the
# integration and gate suites (nginx, Caddy, spawn-fcgi and envsubst for
# the gate), strace (the hardened reset's equal work), time (peak
# memory), oathtool (second factor codes checked against an independent
# implementation), the package's (make deb) and debootstrap, which makes
# the fresh Debian it is installed in.
test="$run_apache postgresql $check $lint $static clang curl python3-requests valgrind util-linux chromium chromium-driver python3-selenium nginx-light caddy spawn-fcgi gettext-base strace time oathtool $deb debootstrap iproute2"
fuzz="$build clang"
bench="$run postgresql $static wrk time curl python3"
# make test-arm: the cross compilers, QEMU's user emulation, the CGI
# suite's tools, debhelper (the package for each), what make static
# builds with, and pkg-config, musl and the -dev packages of the
# libraries for arm64 and armhf (multiarch: dpkg --add-architecture,
# below).
arm_libs="libsqlite3-dev libcrypt-dev uuid-dev libcjson-dev libsodium-dev libfcgi-dev liboath-dev libqrencode-dev"
arm="$check $deb $static crossbuild-essential-arm64 crossbuild-essential-armhf qemu-user-static file"
for a in arm64 armhf; do
	for p in pkgconf musl-dev $arm_libs; do arm="$arm $p:$a"; done
done

target=${1:-build}
case "$target" in
build) want=$build ;;
check) want=$check ;;
lint) want=$lint ;;
static) want=$static ;;
run) want=$run ;;
run-apache) want=$run_apache ;;
run-postgres) want=$run_postgres ;;
test) want=$test ;;
fuzz) want=$fuzz ;;
bench) want=$bench ;;
deb) want=$deb ;;
arm) want=$arm ;;
*) echo "usage: $0 build|check|lint|static|run|run-apache|run-postgres|test|fuzz|bench|deb|arm" >&2; exit 2 ;;
esac

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	sudo="none"
fi
updated=""

# install PACKAGE...: install those of them that are not installed.
install() {
	missing=""
	for p in "$@"; do
		s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$s" in
		*" installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	if [ "$sudo" = none ]; then
		echo "deps.sh: not root and no sudo; install these by hand:$missing" >&2
		exit 1
	fi
	echo "installing packages:$missing"
	update
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends $missing
}

# update: a fresh machine's package lists may be empty or stale: refresh
# them once.
update() {
	[ -n "$updated" ] && return 0
	[ "$sudo" = none ] || $sudo apt-get update -qq >&2
	updated=1
}

# clang_runtime: the package of clang's runtime (sanitizers, libFuzzer)
# when clang lacks it. Its name holds clang's major version
# (libclang-rt-14-dev on Debian 12, libclang-rt-19-dev on Debian 13);
# where no such package exists, the runtime comes with clang itself.
clang_runtime() {
	ls "$(clang -print-runtime-dir 2>/dev/null)"/libclang_rt.fuzzer*.a \
		>/dev/null 2>&1 && return 0
	v=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
	[ -n "$v" ] || return 0
	update
	if apt-cache show "libclang-rt-$v-dev" >/dev/null 2>&1; then
		echo "libclang-rt-$v-dev"
	fi
}

# The ARM architectures' packages need dpkg to know the architectures,
# and apt their package lists.
if [ "$target" = arm ]; then
	for a in arm64 armhf; do
		dpkg --print-foreign-architectures | grep -qx "$a" && continue
		if [ "$sudo" = none ]; then
			echo "deps.sh: not root and no sudo; run: dpkg --add-architecture $a" >&2
			exit 1
		fi
		$sudo dpkg --add-architecture "$a"
	done
fi
# shellcheck disable=SC2086
install $want
case "$target" in
test | fuzz) install $(clang_runtime) ;;
esac
