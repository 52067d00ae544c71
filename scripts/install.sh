#!/bin/sh
# install.sh: install authcgi under PREFIX (inside DESTDIR, for packaging).
# Used by `make install PREFIX=/usr/local DESTDIR=` (and make
# install-static); builds nothing.
# Usage: scripts/install.sh PREFIX [DESTDIR [EXECUTABLE]]
#   EXECUTABLE  the one to install: cgi-bin/auth.cgi (default), or
#               build/static/auth.cgi (make static)
#
# Installs, with install(1):
#   $DESTDIR$PREFIX/lib/authcgi/auth.cgi       the executable (0755): an
#       internal program run by the web server, not a command for PATH
#       (FHS: PREFIX/lib/<package>; Debian's own CGIs are in /usr/lib/
#       cgi-bin). The admin commands run it by its full path.
#   $DESTDIR$PREFIX/share/man/man8/auth.cgi.8  the manual page (0644),
#       uncompressed (man reads it as is; packagers gzip it)
#   $DESTDIR$PREFIX/share/doc/authcgi/README.md
#   $DESTDIR$PREFIX/share/doc/authcgi/examples/  conf/*.conf and
#       conf/Caddyfile (0644): the lighttpd, Apache, nginx and Caddy
#       configurations (the app alone, and the gate), as examples: they
#       read SERVE_* variables and must be adapted (paths, user, settings)
# Nothing else: no database, no web server configuration, no user. Prints
# every file installed. Run again, it replaces them.
set -eu

usage() {
	echo "usage: $0 PREFIX [DESTDIR [EXECUTABLE]]" >&2
	exit 2
}
if [ $# -lt 1 ] || [ $# -gt 3 ]; then usage; fi
prefix=$1
destdir=${2:-}
case "$prefix" in
/*) ;;
*) echo "$0: PREFIX must be an absolute path: '$prefix'" >&2; usage ;;
esac
case "$destdir" in
'' | /*) ;;
*) echo "$0: DESTDIR must be empty or an absolute path: '$destdir'" >&2; usage ;;
esac
# No trailing slash, so that paths print cleanly ("/" stays "").
prefix=${prefix%/}

root=$(cd "$(dirname "$0")/.." && pwd -P)
exe=${3:-cgi-bin/auth.cgi}
case "$exe" in /*) ;; *) exe=$root/$exe ;; esac
man=$root/doc/auth.cgi.8
for f in "$exe" "$man" "$root/README.md"; do
	if [ ! -f "$f" ]; then
		echo "$0: $f is missing" >&2
		if [ "$f" = "$exe" ]; then echo "$0: build it first (make, or make static)" >&2; fi
		exit 1
	fi
done

libdir=$destdir$prefix/lib/authcgi
man8=$destdir$prefix/share/man/man8
docdir=$destdir$prefix/share/doc/authcgi

# put MODE SRC DIR: install one file into DIR and say so.
put() {
	install -d -m 0755 "$3"
	install -m "$1" "$2" "$3/"
	echo "  INSTALL $3/$(basename "$2")"
}

install -d -m 0755 "$libdir"
install -m 0755 "$exe" "$libdir/auth.cgi"
echo "  INSTALL $libdir/auth.cgi"
put 0644 "$man" "$man8"
put 0644 "$root/README.md" "$docdir"
for c in "$root"/conf/*.conf "$root"/conf/Caddyfile; do
	[ -f "$c" ] || continue
	put 0644 "$c" "$docdir/examples"
done
