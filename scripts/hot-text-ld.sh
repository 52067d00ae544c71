#!/bin/sh
# hot-text-ld.sh: a GNU ld script fragment that gathers the functions named
# in LIST (data/hot-text.txt) into one output section before .text.
# Objects built with -ffunction-sections contribute the functions
# themselves; the static archives (ARCHIVE...: libc.a, ...) the members
# that define them. Names no longer found are skipped.
# Usage: scripts/hot-text-ld.sh LIST ARCHIVE... > hot-text.ld
set -eu
list=$1
shift
{
	for a in "$@"; do
		nm -A --defined-only "$a" 2>/dev/null |
			sed -n 's|^\([^:]*\):\([^:]*\.o\): *[0-9a-f]* [TtWi] \(.*\)$|\3 \1 \2|p'
	done
} | awk -v list="$list" '
	BEGIN {
		while ((getline name < list) > 0)
			if (name != "") { want[name] = 1; order[++n] = name }
	}
	# symbol archive member: the first definition wins
	$1 in want && !($1 in where) {
		a = $2; sub(/.*\//, "", a)
		where[$1] = "*" a ":" $3 "(.text .text.*)"
	}
	END {
		print "SECTIONS"
		print "{"
		print "  .text.hotpath :"
		print "  {"
		for (i = 1; i <= n; i++) {
			f = order[i]
			if (f ~ /\.cold$/) {
				b = f; sub(/\.cold$/, "", b)
				print "    *(.text.unlikely." b ")"
			} else
				print "    *(.text." f " .text.startup." f ")"
		}
		for (i = 1; i <= n; i++) {
			f = order[i]
			if ((f in where) && !(where[f] in done)) {
				print "    " where[f]
				done[where[f]] = 1
			}
		}
		print "  }"
		print "}"
		print "INSERT BEFORE .text;"
	}'
