#!/bin/sh
# deb.sh: build the Debian package, authcgi_VERSION_ARCH.deb, from a copy
# of this checkout (its files as they are now, without build outputs), so
# that dpkg-buildpackage leaves nothing in the checkout or beside it.
# Used by `make deb` (OUTDIR build/deb) and by the package's tests.
# Usage: scripts/deb.sh [-a ARCH] OUTDIR [VERSION]
#   -a ARCH  build for that Debian architecture (arm64, armhf) with its
#            cross compiler and its -dev packages (deps.sh arm)
#   OUTDIR   where the .deb (and the .buildinfo and .changes) go; the
#            copy is built in OUTDIR/src
#   VERSION  a version for this build only: a debian/changelog entry is
#            added to the copy (the tests build an upgrade with it)
# Prints the path of the .deb last. The version is debian/changelog's.
set -eu
cross=
if [ "${1:-}" = -a ] && [ $# -ge 2 ]; then
	cross=$2
	shift 2
fi
[ $# -ge 1 ] && [ $# -le 2 ] || {
	echo "usage: $0 [-a ARCH] OUTDIR [VERSION]" >&2
	exit 2
}
root=$(cd "$(dirname "$0")/.." && pwd -P)
mkdir -p "$1"
out=$(cd "$1" && pwd -P)
src=$out/src/authcgi
rm -rf "$out/src"
mkdir -p "$src"
# The checkout's files: those git knows of when it is a git checkout
# (tracked and new, less the ignored), else everything but the outputs.
cd "$root"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf - | tar -C "$src" -xf -
else
	tar --exclude=./build --exclude=./var --exclude=./cgi-bin/auth.cgi \
		--exclude=./debian/authcgi --exclude=./debian/.debhelper \
		-cf - . | tar -C "$src" -xf -
fi
cd "$src"
if [ $# -eq 2 ]; then
	{
		printf 'authcgi (%s) unstable; urgency=medium\n\n' "$2"
		printf '  * A build for a test of the upgrade.\n\n'
		printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -S Maintainer)" \
			"$(date -R)"
		cat debian/changelog
	} >debian/changelog.new
	mv debian/changelog.new debian/changelog
fi
version=$(dpkg-parsechangelog -S Version)
arch=${cross:-$(dpkg-architecture -qDEB_HOST_ARCH)}
dpkg-buildpackage -us -uc -b ${cross:+-a "$cross" --build-profiles=pkg.authcgi.nopg} >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "$0: dpkg-buildpackage failed; the whole log: $out/build.log" >&2
	exit 1
}
# dpkg-buildpackage writes beside the source: OUTDIR/src.
for f in "$out"/src/authcgi*_"$version"_*; do
	[ -e "$f" ] && mv -f "$f" "$out/"
done
deb=$out/authcgi_${version}_${arch}.deb
[ -f "$deb" ] || {
	echo "$0: $deb was not made" >&2
	exit 1
}
echo "$deb"
