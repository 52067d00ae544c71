#!/bin/bash
# run.sh: README's Install, "From source", word by word, on this machine:
# its make install command, its shell block (the database directory, the
# database made as www-data), and the command of its cron line, run as
# www-data; then one request to the installed executable. In a mount
# namespace of its own where /usr/local and /var/lib are overlays on
# temporary directories: what the commands write is gone when it ends,
# and nothing of the machine changes. Needs root and a built
# cgi-bin/auth.cgi (make test builds it first).
# Usage: tests/install/run.sh        last line "N passed, N failed"
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lib/assert.sh

# README's "From source" subsection.
section() {
	sed -n '/^#### From source/,/^#### /p' README.md
}

# ---------------------------------------------------------------- inside
if [ "${1:-}" = --inside ]; then
	tmp=$2
	# (Already private where / is no mount point: see below.)
	{ ! mountpoint -q / || mount --make-rprivate /; } &&
		mount -t tmpfs -o mode=0755 tmpfs "$tmp/ov" || {
		fail "mounts" "a private tmpfs"
		summary
		exit 1
	}
	for d in /usr/local /var/lib; do
		n=${d//\//_}
		mkdir -p "$tmp/ov/$n/up" "$tmp/ov/$n/work"
		mount -t overlay overlay \
			-o "lowerdir=$d,upperdir=$tmp/ov/$n/up,workdir=$tmp/ov/$n/work" "$d" || {
			fail "mounts" "an overlay on $d"
			summary
			exit 1
		}
	done
	prefix=/usr/local

	# "`make install PREFIX=/usr/local DESTDIR=` installs ..."
	cmd=$(section | grep -o '`make install PREFIX=[^`]*`' | head -n 1 | tr -d '`')
	check_eq "README: the make install command" "$cmd" "make install PREFIX=$prefix DESTDIR="
	out=$(sh -c "$cmd" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then ok "README: '$cmd'"; else
		fail "README: '$cmd'" "exit $rc: $(tail -n 10 <<<"$out")"
	fi
	check_eq "the executable: $prefix/lib/authcgi/auth.cgi, 0755" \
		"$(stat -c %a "$prefix/lib/authcgi/auth.cgi" 2>&1)" 755
	check "the manual page" test -f "$prefix/share/man/man8/auth.cgi.8"
	check "the configuration examples" test -f "$prefix/share/doc/authcgi/examples/lighttpd.conf"

	# The shell block: the database directory, then init as www-data.
	block=$(section | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d')
	check_match "README: a shell block that runs init" "$block" 'auth\.cgi init'
	out=$(sh -ec "$block" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then ok "README: the database's commands"; else
		fail "README: the database's commands" "exit $rc: $(tail -n 10 <<<"$out")"
	fi
	check_eq "/var/lib/authcgi: www-data, 0700" \
		"$(stat -c '%U %a' /var/lib/authcgi 2>&1)" "www-data 700"
	check_eq "the database: www-data's" \
		"$(stat -c %U /var/lib/authcgi/auth.db 2>&1)" www-data
	check_eq "the secret key file: www-data, 0600" \
		"$(stat -c '%U %a' /var/lib/authcgi/auth.db.key 2>&1)" "www-data 600"

	# The cron line's command, as its user.
	line=$(section | grep -E '^[0-9*]+ [0-9*]+ [0-9*]+ [0-9*]+ [0-9*]+ ')
	check_match "README: the cron line, hourly, as www-data" "$line" \
		'^[0-9]+ \* \* \* \* www-data AUTHCGI_DB=/var/lib/authcgi/auth\.db [^ ]+ purge'
	cmd=$(cut -d' ' -f7- <<<"$line")
	[ -n "$cmd" ] || cmd=false
	out=$(runuser -u www-data -- /bin/sh -c "$cmd" 2>&1)
	check_eq "the cron line's command runs" "$?:$out" "0:"

	# The installed executable answers a request, with that database.
	out=$(runuser -u www-data -- env -i REQUEST_METHOD=GET PATH_INFO=/ \
		SCRIPT_NAME= AUTHCGI_DB=/var/lib/authcgi/auth.db \
		"$prefix/lib/authcgi/auth.cgi" 2>&1)
	check_match "GET / to the installed executable: 200" "$out" $'^Status: 200 OK\r?\n'
	summary
	exit $?
fi

# --------------------------------------------------------------- outside
if [ "$(id -u)" -ne 0 ]; then
	echo "tests/install/run.sh: needs root (runuser, mounts)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ov"
# In a chroot (a fresh machine made with debootstrap, say) / is no mount
# point, and unshare cannot make the new namespace's mounts private; where
# no mount is shared, none of them can reach the outside anyway.
PROPAGATION=()
if ! mountpoint -q / && ! grep -q ' shared:' /proc/self/mountinfo; then
	PROPAGATION=(--propagation unchanged)
fi
unshare --mount "${PROPAGATION[@]}" --fork "$0" --inside "$tmp"
