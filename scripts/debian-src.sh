#!/bin/sh
# debian-src.sh: fetch and unpack the source of a distribution package (the
# same version and patches as its installed -dev package when the archive
# still has it) into DIR/src, for the static build (make static).
# Usage: scripts/debian-src.sh SOURCE DEVPKG DIR FILE
#   SOURCE  the source package (cjson, sqlite3)
#   DEVPKG  the installed package whose version to match (libcjson-dev)
#   FILE    a file under DIR/src that shows the source is there
# The archives are those the system's apt installs DEVPKG from (apt-cache
# policy): Debian's or Ubuntu's, whichever release the machine runs. Uses
# private apt lists under DIR; changes nothing system-wide. The download
# needs the network once; it is kept under DIR/dl.
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
	# One deb-src line per archive that holds DEVPKG, as apt-cache policy
	# lists them: "500 http://deb.debian.org/debian bookworm/main amd64
	# Packages" gives "deb-src http://deb.debian.org/debian bookworm main".
	LC_ALL=C apt-cache policy "$devpkg" |
		sed -n 's|^ *[0-9]* \(https\{0,1\}://[^ ]*\) \([^ /]*\)/\([^ ]*\) [^ ]* Packages$|deb-src \1 \2 \3|p' |
		sort -u >"$dir/apt/sources.list"
	if [ ! -s "$dir/apt/sources.list" ]; then
		echo "debian-src.sh: apt knows no archive that holds $devpkg (apt-get update?)" >&2
		exit 1
	fi
	version=$(dpkg-query -W -f='${source:Version}' "$devpkg" 2>/dev/null || true)
	apt() {
		apt-get -q -o Dir::Etc::SourceList="$dir/apt/sources.list" \
			-o Dir::Etc::SourceParts=/nonexistent \
			-o Dir::State::Lists="$dir/apt/lists" \
			-o Dir::Cache="$dir/apt/cache" \
			-o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
	}
	if ! apt update >"$dir/apt/update.log" 2>&1; then
		echo "debian-src.sh: cannot read the source indexes (no network?):" >&2
		tail -n 3 "$dir/apt/update.log" >&2
		exit 1
	fi
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
