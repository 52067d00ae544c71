#!/bin/sh
# sqlite-src.sh: make SQLite's single-file source (sqlite3.c, sqlite3.h and
# the configure results in sqlite_cfg.h) in DIR/amalg from Debian's own
# sqlite3 source package, the same version and patches as libsqlite3-dev.
# make static compiles it with the options this service wants (see
# SQLITE_OPTS in the Makefile) instead of Debian's general-purpose build.
# Usage: scripts/sqlite-src.sh DIR
# Needs dpkg-dev and tcl (tclsh runs SQLite's own generator scripts), and
# the network the first time (debian-src.sh). Exits non-zero when it
# cannot.
set -eu
dir=$1
[ -f "$dir/amalg/sqlite3.c" ] && [ -f "$dir/amalg/sqlite_cfg.h" ] && exit 0
here=$(cd "$(dirname "$0")" && pwd -P)
command -v tclsh >/dev/null 2>&1 || {
	echo "sqlite-src.sh: tclsh (package tcl) is missing" >&2
	exit 1
}
"$here/debian-src.sh" sqlite3 libsqlite3-dev "$dir" configure
rm -rf "$dir/amalg.tmp"
mkdir -p "$dir/amalg.tmp"
cd "$dir/amalg.tmp"
if ! { ../src/configure --disable-tcl --disable-readline \
	>configure.log 2>&1 && make sqlite3.c >make.log 2>&1; }; then
	echo "sqlite-src.sh: could not generate sqlite3.c:" >&2
	tail -n 5 configure.log make.log >&2
	exit 1
fi
mkdir -p ../amalg
cp sqlite3.c sqlite3.h sqlite_cfg.h ../amalg/
cd .. && rm -rf amalg.tmp
echo "sqlite-src.sh: sqlite3.c in $dir/amalg"
