#!/bin/sh
# cjson-src.sh: fetch the source of cJSON from Debian's own source package
# (the same version and patches as libcjson-dev) into DIR, for a static
# build: Debian ships cJSON only as a shared library.
# Usage: scripts/cjson-src.sh DIR
# Uses private apt lists under DIR; changes nothing system-wide. Exits
# non-zero when the source cannot be had (the build then links the
# shared library instead).
set -eu
dir=$1
[ -f "$dir/src/cJSON.c" ] && exit 0
command -v dpkg-source >/dev/null 2>&1 || {
	echo "cjson-src.sh: dpkg-source (package dpkg-dev) is missing" >&2
	exit 1
}
rm -rf "$dir"
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" \
	"$dir/dl"
dir=$(cd "$dir" && pwd -P)
# Debian's own mirror, as configured for the machine's binary packages.
mirror=$(sed -n 's|^URIs: *\(http[^ ]*/debian\)$|\1|p' \
	/etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
. /etc/os-release
echo "deb-src $mirror ${VERSION_CODENAME:-bookworm} main" >"$dir/apt/sources.list"
version=$(dpkg-query -W -f='${source:Version}' libcjson-dev 2>/dev/null || true)
apt() {
	apt-get -q -o Dir::Etc::SourceList="$dir/apt/sources.list" \
		-o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::Lists="$dir/apt/lists" \
		-o Dir::Cache="$dir/apt/cache" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}
apt update >/dev/null
cd "$dir/dl"
# The version matching the installed headers when available, else the
# suite's current one.
apt source --download-only "cjson${version:+=$version}" >/dev/null 2>&1 ||
	apt source --download-only cjson >/dev/null
dpkg-source -x --no-check ./*.dsc "$dir/src" >/dev/null
test -f "$dir/src/cJSON.c"
echo "cjson-src.sh: cJSON source $(basename ./*.dsc .dsc) in $dir/src"
