#!/bin/sh
# debian-src.sh: fetch and unpack the source of a Debian package (the same
# version and patches as its installed -dev package when the suite still
# has it) into DIR/src, for a static build of our own.
# Usage: scripts/debian-src.sh SOURCE DEVPKG DIR FILE
#   SOURCE  the source package (cjson, sqlite3)
#   DEVPKG  the installed package whose version to match (libcjson-dev)
#   FILE    a file under DIR/src that shows the source is there
# Uses private apt lists under DIR; changes nothing system-wide. Exits
# non-zero when the source cannot be had (the build then links Debian's
# own library instead).
set -eu
src=$1 devpkg=$2 dir=$3 file=$4
[ -f "$dir/src/$file" ] && exit 0
command -v dpkg-source >/dev/null 2>&1 || {
	echo "debian-src.sh: dpkg-source (package dpkg-dev) is missing" >&2
	exit 1
}
# The downloads are kept: unpacking again (after DIR/src is removed for a
# new build) needs no network.
if ! ls "$dir"/dl/*.dsc >/dev/null 2>&1; then
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
	version=$(dpkg-query -W -f='${source:Version}' "$devpkg" 2>/dev/null || true)
	apt() {
		apt-get -q -o Dir::Etc::SourceList="$dir/apt/sources.list" \
			-o Dir::Etc::SourceParts=/nonexistent \
			-o Dir::State::Lists="$dir/apt/lists" \
			-o Dir::Cache="$dir/apt/cache" \
			-o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
	}
	apt update >/dev/null
	cd "$dir/dl"
	apt source --download-only "$src${version:+=$version}" >/dev/null 2>&1 ||
		apt source --download-only "$src" >/dev/null
fi
dir=$(cd "$dir" && pwd -P)
cd "$dir/dl"
rm -rf "$dir/src"
dpkg-source -x --no-check ./*.dsc "$dir/src" >/dev/null
test -f "$dir/src/$file"
echo "debian-src.sh: $(basename ./*.dsc .dsc) in $dir/src"
