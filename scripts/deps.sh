#!/bin/sh
# deps.sh: install the Debian packages a make target needs, when missing.
# Usage: scripts/deps.sh build|run|run-apache|test|fuzz|bench
set -eu

build="make gcc pkg-config libsqlite3-dev libcrypt-dev uuid-dev libcjson-dev libsodium-dev libfcgi-dev dpkg-dev tcl musl-tools autoconf automake libtool"
run="$build lighttpd"
# apache2-bin: the server and its modules, without a service, without
# /etc/apache2 and without anything listening on port 80.
run_apache="$run apache2-bin libapache2-mod-fcgid"
test="$run_apache clang libclang-rt-14-dev libcmocka-dev curl python3 python3-requests sqlite3 valgrind cppcheck clang-format util-linux chromium chromium-driver python3-selenium nginx-light caddy spawn-fcgi gettext-base"
fuzz="$build clang libclang-rt-14-dev"
bench="$run wrk time curl python3"

case "${1:-build}" in
build) want=$build ;;
run) want=$run ;;
run-apache) want=$run_apache ;;
test) want=$test ;;
fuzz) want=$fuzz ;;
bench) want=$bench ;;
*) echo "usage: $0 build|run|run-apache|test|fuzz|bench" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "installing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "deps.sh: not root and no sudo; install these by hand:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine's package lists may be empty or stale: refresh once.
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
