#!/bin/bash
# run.sh: the Debian package, as an operator uses it. Builds the package
# twice (scripts/deb.sh: debian/changelog's version, then a higher one)
# and checks it (lintian, contents, dependencies, the settings file);
# then, in a fresh Debian 12 made with debootstrap, in network, process
# and mount namespaces of its own (its loopback interface is the only
# network: lighttpd listens on Debian's port 80 there, reachable from
# nowhere else):
#   - README's "From the package" commands, word by word: apt installs
#     the package and lighttpd from the mirror (downloaded beforehand, the
#     only step that uses the network), lighty-enable-mod authcgi, service
#     lighttpd force-reload; then the contract's end-to-end clients
#     (tests/e2e/main.py, reset_then_logout.py) and the gate in front of
#     /private/;
#   - an upgrade to the second build, from a database at the first
#     schema version (the first migration's tables, with the rows): the
#     schema is migrated, a session cookie from before still reads
#     /profile and /private/, lighttpd runs the new executable;
#   - remove (data and settings kept), then purge (gone).
# The Debian base is kept in DEB_TEST_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/authcgi) and made again when missing
# (about 2 minutes, from the mirror apt uses). Needs root. DEB_TEST_KEEP=1
# keeps the temporary directory (the new root, the logs).
# Usage: tests/deb/run.sh          last line "N passed, N failed"
set -u
cd "$(dirname "$0")/../.." || exit 2
src=$PWD
. tests/lib/assert.sh

# ---------------------------------------------------------------- inside
#
# The part that runs in the namespaces: run.sh --inside TMP. Its checks
# print their failures; its last line is its own "N passed, N failed".
if [ "${1:-}" = --inside ]; then
	tmp=$2
	root=$tmp/root
	v1=$(cat "$tmp/v1.version")
	v2=$(cat "$tmp/v2.version")
	schema=$(cat "$tmp/schema")
	trap 'exit 1' INT TERM
	ip link set lo up || { fail "loopback up" "ip link set lo up failed"; summary; exit 1; }
	# This pid namespace's /proc, for the init script's start-stop-daemon
	# and for ps; /dev for the maintainer scripts.
	mount -t proc proc "$root/proc" && mount --bind /dev "$root/dev" || {
		fail "mounts" "proc or dev"
		summary
		exit 1
	}
	# in_root CMD: a shell command in the new root, as root, with a
	# clean environment; its output goes on stdout.
	# (A file, not a pipe: a daemon it starts may keep its output open.)
	in_root() {
		local rc
		timeout 300 chroot "$root" /usr/bin/env -i \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
			/bin/sh -c "$1" >"$tmp/cmd.out" 2>&1 </dev/null
		rc=$?
		cat "$tmp/cmd.out"
		return $rc
	}
	# ran NAME RC OUT: a command succeeded, or its output's tail.
	ran() {
		if [ "$2" -eq 0 ]; then ok "$1"; else
			fail "$1" "exit $2: $(tail -n 15 <<<"$3")"
		fi
	}
	url=http://127.0.0.1
	# get NAME OUT CURL-ARGS...: one request (status in R_STATUS, body
	# in R_BODY_FILE).
	get() {
		local out=$tmp/$2
		shift 2
		curl -s -m 10 -i -o "$out" "$@" 2>/dev/null
		resp_parse "$out"
	}
	db_copy() {
		rm -rf "$tmp/snap" && mkdir "$tmp/snap" &&
			cp "$root"/var/lib/authcgi/auth.db* "$tmp/snap/" 2>/dev/null
	}
	sql() { db_copy && sqlite3 "$tmp/snap/auth.db" "$1" 2>&1; }
	# authcgi_exes: the executables of the running authcgi processes.
	authcgi_exes() {
		local p
		for p in "$root"/proc/[0-9]*; do
			readlink "$p/exe" 2>/dev/null
		done | grep '/usr/lib/authcgi/auth\.cgi' | sort -u
	}

	# ---------------------------------------------------- the install
	# README, Deploy, Install, "From the package": its first sh block,
	# line by line, in the directory that holds the package.
	mkdir -p "$root/root/pkg"
	cp "$tmp/v1/authcgi_${v1}_"*.deb "$root/root/pkg/"
	mapfile -t cmds < <(sed -n '/^#### From the package/,/^#### /p' README.md |
		sed -n '/^```sh$/,/^```$/p' | sed '1d;/^```$/,$d' | grep -v '^ *#' | grep .)
	check_eq "README: three commands from the package" "${#cmds[@]}" 3
	for c in "${cmds[@]}"; do
		out=$(in_root "cd /root/pkg && $c")
		rc=$?
		ran "README: '$c'" "$rc" "$out"
	done
	check_eq "dpkg: authcgi $v1 installed" \
		"$(in_root "dpkg-query -W -f '\${Status} \${Version}' authcgi")" \
		"install ok installed $v1"
	check "lighttpd runs (its pid file names a live process)" \
		kill -0 "$(cat "$root/run/lighttpd.pid" 2>/dev/null || echo none)"
	check "the module is enabled" test -L "$root/etc/lighttpd/conf-enabled/50-authcgi.conf"
	check_eq "the database directory: www-data, 0700" \
		"$(stat -c '%U %a' "$root/var/lib/authcgi")" "www-data 700"
	check_eq "the database, made by postinst: www-data" \
		"$(stat -c '%U' "$root/var/lib/authcgi/auth.db")" "www-data"
	check_eq "the secret key file: www-data, 0600" \
		"$(stat -c '%U %a' "$root/var/lib/authcgi/auth.db.key")" "www-data 600"
	check_eq "the schema: version $schema" "$(sql 'PRAGMA user_version')" "$schema"

	# ---------------------------------------------- the site it serves
	get "GET /" root.out "$url/"
	check_status "GET /: 200" 200
	check_body_exact "GET /: the greeting" '{"message": "Bienvenue"}'
	mkdir -p "$root/var/www/html/private"
	echo 'for signed-in users' >"$root/var/www/html/private/index.html"
	get "GET /private/" priv.out "$url/private/"
	check_status "GET /private/ without a session: 401" 401
	check_message "GET /private/ without a session: not logged in" "not logged in"
	check "GET /private/ without a session: not the file" \
		bash -c "! grep -q 'for signed-in users' '$R_BODY_FILE'"
	get "browser" priv-html.out -H 'Accept: text/html' "$url/private/a.txt"
	check_status "a browser at /private/a.txt: 302" 302
	check_header "a browser at /private/a.txt: to the log-in page" \
		Location "/login?next=/private/a.txt"

	# The contract's clients, unchanged.
	out=$(timeout 120 /usr/bin/python3 tests/e2e/main.py "$url" 2>&1)
	ran "tests/e2e/main.py against the package" $? "$out"
	check_match "tests/e2e/main.py: its count" "$(tail -n 1 <<<"$out")" '^[1-9][0-9]* passed, 0 failed$'
	out=$(timeout 120 /usr/bin/python3 tests/e2e/reset_then_logout.py "$url" 2>&1)
	ran "tests/e2e/reset_then_logout.py against the package" $? "$out"
	e2e_accounts=$(sql 'SELECT count(*) FROM users')

	# An account and its session, kept for the upgrade.
	email=ann@example.org
	get "register" reg.out -d "email=$email" -d password=b4l0u "$url/users"
	check_status "POST /users: 200" 200
	get "log in" login.out -c "$tmp/jar" -d "email=$email" -d password=b4l0u "$url/sessions"
	check_status "POST /sessions: 200" 200
	get "private" priv2.out -b "$tmp/jar" "$url/private/"
	check_status "GET /private/ signed in: 200" 200
	check_eq "GET /private/ signed in: the file" "$(cat "$R_BODY_FILE")" "for signed-in users"

	# Admin commands as README.Debian gives them; the settings file is
	# the one the executable reads.
	out=$(in_root "runuser -u www-data -- /usr/lib/authcgi/auth.cgi users")
	check_match "auth.cgi users as www-data: lists the account" "$out" "$email"
	cp "$root/etc/authcgi/authcgi.conf" "$tmp/authcgi.conf.orig"
	echo 'AUTHCGI_NO_SUCH_SETTING=1' >>"$root/etc/authcgi/authcgi.conf"
	out=$(in_root "runuser -u www-data -- /usr/lib/authcgi/auth.cgi users")
	check_match "a bad line in /etc/authcgi/authcgi.conf: the command fails, saying so" \
		"$out" 'authcgi\.conf.*AUTHCGI_NO_SUCH_SETTING.*is no setting'
	cp "$tmp/authcgi.conf.orig" "$root/etc/authcgi/authcgi.conf"
	# The hourly purge: the cron line's command (no systemd here), as
	# its user.
	line=$(grep -v '^#' "$root/etc/cron.d/authcgi" | grep .)
	check_match "cron: hourly, as www-data" "$line" '^[0-9]+ \* \* \* \* www-data '
	cmd=$(cut -d' ' -f7- <<<"$line")
	out=$(in_root "runuser -u www-data -- /bin/sh -c '$cmd'; echo rc=\$?")
	check_eq "cron: its command runs" "$out" "rc=0"
	check "systemd: the timer is installed" test -f "$root/lib/systemd/system/authcgi.timer"

	# -------------------------------------------------------- upgrade
	# The database as the first schema version left it: every table
	# dropped, the first migration's (src/store/store.c) made again and
	# given back the rows of theirs, in the columns they had then: users,
	# sessions, reset tokens. In place: the running processes hold it
	# open, and get no request until the upgrade.
	db=$root/var/lib/authcgi/auth.db
	tables="SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)"
	fresh=$(sql "$tables")
	first=$(sed -n '/\/\* 0 -> 1:/,/\/\* 1 -> 2:/p' "$src/src/store/sqlite_sql.c" |
		sed -n 's/^ *"\(.*\)",\{0,1\}$/\1/p' | tr -d '\n')
	down="PRAGMA foreign_keys = OFF; BEGIN;"
	for t in users sessions reset_tokens; do
		down="$down CREATE TEMP TABLE old_$t AS SELECT * FROM main.$t;"
	done
	down="$down $(sqlite3 "$db" "SELECT group_concat('DROP TABLE ' || name || ';', ' ')
		FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") $first"
	for t in users sessions reset_tokens; do
		cols=$(sqlite3 :memory: "$first SELECT group_concat(name, ', ') FROM pragma_table_info('$t');")
		down="$down INSERT INTO main.$t ($cols) SELECT $cols FROM old_$t;"
	done
	out=$(sqlite3 "$db" "$down COMMIT; PRAGMA user_version = 1;" 2>&1)
	check_eq "before the upgrade: the first schema's tables made again" "$out" ""
	check_eq "before the upgrade: a version 1 database" "$(sql 'PRAGMA user_version')" 1
	chown www-data:www-data "$root"/var/lib/authcgi/*
	lighttpd_pid=$(cat "$root/run/lighttpd.pid")
	mkdir -p "$root/root/pkg2"
	cp "$tmp/v2/authcgi_${v2}_"*.deb "$root/root/pkg2/"
	out=$(in_root "cd /root/pkg2 && apt-get install -y ./authcgi_${v2}_*.deb")
	ran "upgrade with apt-get install" $? "$out"
	check_match "upgrade: a higher version" "$out" "Preparing to unpack .*authcgi_${v2//+/\\+}_.* over \(${v1}\)"
	check_match "upgrade: postinst migrated the database" "$out" \
		"schema migrated from version 1 to $schema"
	check_eq "dpkg: authcgi $v2 installed" \
		"$(in_root "dpkg-query -W -f '\${Status} \${Version}' authcgi")" \
		"install ok installed $v2"
	check_eq "upgrade: schema version $schema" "$(sql 'PRAGMA user_version')" "$schema"
	check_eq "upgrade: the tables of a fresh install" "$(sql "$tables")" "$fresh"
	check_eq "upgrade: every account kept" "$(sql 'SELECT count(*) FROM users')" "$((e2e_accounts + 1))"
	check "upgrade: lighttpd reloaded (a new process)" \
		test "$(cat "$root/run/lighttpd.pid" 2>/dev/null)" != "$lighttpd_pid"
	get "profile" prof.out -b "$tmp/jar" "$url/profile"
	check_status "upgrade: the session from before reads /profile" 200
	check_body_exact "upgrade: /profile names the account" "{\"email\": \"$email\"}"
	for _ in $(seq 1 50); do
		[ "$(authcgi_exes)" = "$root/usr/lib/authcgi/auth.cgi" ] && break
		sleep 0.1
	done
	check_eq "upgrade: lighttpd's authcgi processes run the new executable" \
		"$(authcgi_exes)" "$root/usr/lib/authcgi/auth.cgi"
	get "private" priv3.out -b "$tmp/jar" "$url/private/"
	check_status "upgrade: the session from before opens /private/" 200
	get "log in" login2.out -d "email=$email" -d password=b4l0u "$url/sessions"
	check_status "upgrade: the password still logs in" 200
	out=$(in_root "runuser -u www-data -- /usr/lib/authcgi/auth.cgi group add $email admins")
	check_match "upgrade: the migrated groups table works" "$out" "is in admins"

	# --------------------------------------------------------- remove
	out=$(in_root "apt-get remove -y authcgi")
	ran "apt-get remove" $? "$out"
	check_eq "remove: the package's settings stay (config-files)" \
		"$(in_root "dpkg-query -W -f '\${Status}' authcgi")" "deinstall ok config-files"
	check "remove: the executable is gone" test ! -e "$root/usr/lib/authcgi/auth.cgi"
	check "remove: /etc/authcgi/authcgi.conf stays" test -f "$root/etc/authcgi/authcgi.conf"
	check_eq "remove: the accounts stay" "$(sql "SELECT count(*) FROM users WHERE email = '$email'")" 1
	check "remove: the secret key stays" test -s "$root/var/lib/authcgi/auth.db.key"
	out=$(in_root "service lighttpd restart")
	check "remove: with the module still enabled, lighttpd does not start again" \
		test $? -ne 0
	curl -s -m 10 -o /dev/null "$url/private/"
	check_eq "remove: /private/ is not served (no connection)" "$?" 7

	# ---------------------------------------------------------- purge
	out=$(in_root "apt-get purge -y authcgi")
	ran "apt-get purge" $? "$out"
	check_eq "purge: dpkg knows the package no more" \
		"$(in_root "dpkg-query -W -f '\${Status}' authcgi 2>/dev/null")" ""
	check "purge: /var/lib/authcgi is gone" test ! -e "$root/var/lib/authcgi"
	check "purge: /etc/authcgi is gone" test ! -e "$root/etc/authcgi"
	check "purge: the module's link is gone" test ! -e "$root/etc/lighttpd/conf-enabled/50-authcgi.conf" -a ! -L "$root/etc/lighttpd/conf-enabled/50-authcgi.conf"
	out=$(in_root "service lighttpd start")
	ran "purge: lighttpd starts again" $? "$out"

	# Stop lighttpd by its pid.
	pid=$(cat "$root/run/lighttpd.pid" 2>/dev/null)
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	check "lighttpd stopped" bash -c "! kill -0 '$pid' 2>/dev/null"
	umount "$root/dev" "$root/proc" 2>/dev/null
	summary
	exit
fi

# --------------------------------------------------------------- outside

if [ "$(id -u)" -ne 0 ]; then
	echo "tests/deb/run.sh: needs root (debootstrap, chroot, namespaces)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authcgi-deb.XXXXXX")
root=$tmp/root
inner=
cleanup() {
	local p
	[ -n "$inner" ] && kill "$inner" 2>/dev/null
	# Whatever still runs in the new root (an interrupted apt), by pid.
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	for m in proc dev; do
		mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"
	done
	if [ -n "${DEB_TEST_KEEP:-}" ]; then echo "kept: $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ------------------------------------------------------ the two packages
v1=$(dpkg-parsechangelog -l debian/changelog -S Version)
v2=$v1+1
echo "$v1" >"$tmp/v1.version"
echo "$v2" >"$tmp/v2.version"
sed -n 's/^#define STORE_SCHEMA_VERSION \([0-9]*\)$/\1/p' src/store/store.h >"$tmp/schema"
arch=$(dpkg --print-architecture)
deb1=$(scripts/deb.sh "$tmp/v1" | tail -n 1)
check "build: authcgi_${v1}_$arch.deb" test -f "$tmp/v1/authcgi_${v1}_$arch.deb"
deb2=$(scripts/deb.sh "$tmp/v2" "$v2" | tail -n 1)
check "build: authcgi_${v2}_$arch.deb (changelog entry in a copy)" test -f "$tmp/v2/authcgi_${v2}_$arch.deb"
if [ ! -f "$deb1" ] || [ ! -f "$deb2" ]; then
	summary
	exit 1
fi

out=$(lintian --fail-on error,warning "$tmp/v1/authcgi_${v1}_$arch.changes" 2>&1 |
	grep -v 'running with root privileges')
check_eq "lintian: nothing to say" "$out" ""
ls -l "$deb1" | awk '{print "package size: " $5 " bytes"}'

contents=$(dpkg-deb -c "$deb1" | awk '{print $1, $6}')
check_match "the executable: /usr/lib/authcgi/auth.cgi, 0755" "$contents" \
	$'(^|\n)-rwxr-xr-x \./usr/lib/authcgi/auth\.cgi(\n|$)'
check "nothing in /usr/lib/cgi-bin" bash -c "! grep -q 'usr/lib/cgi-bin' <<<'$contents'"
check_eq "conffiles: the settings, the web servers', cron's" \
	"$(dpkg-deb --ctrl-tarfile "$deb1" | tar -xOf - ./conffiles | sort | tr '\n' ' ')" \
	"/etc/apache2/conf-available/authcgi.conf /etc/authcgi/authcgi.conf /etc/cron.d/authcgi /etc/lighttpd/conf-available/50-authcgi.conf "
for f in ./usr/share/man/man8/auth.cgi.8.gz ./lib/systemd/system/authcgi.timer \
	./lib/systemd/system/authcgi.service ./usr/share/doc/authcgi/README.Debian.gz; do
	check "ships $f" grep -q " ${f//./\\.}$" <<<"$contents"
done

# Depends: the package of every shared library the executable needs (so
# a library added to the build, libpq, is picked up by itself).
mkdir -p "$tmp/x"
dpkg-deb -x "$deb1" "$tmp/x"
depends=$(dpkg-deb -f "$deb1" Depends)
for so in $(objdump -p "$tmp/x/usr/lib/authcgi/auth.cgi" | awk '$1 == "NEEDED" {print $2}'); do
	pkg=$(dpkg -S "*/$so" 2>/dev/null | grep -v -- '-dev' | head -n 1 | cut -d: -f1)
	check_match "Depends names $pkg ($so)" "$depends" "(^|, )${pkg//+/\\+}( |,|$)"
done
# Build-Depends: the -dev package of every library the Makefile links.
bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control)
for d in $(sed -n '/^PKG_DEBS :=/,/[^\\]$/p' Makefile | grep -o '=[a-z0-9.+-]*' | tr -d = | sort -u); do
	check_match "Build-Depends names $d" "$bdeps" "(^|[ ,])$d( <[^>]*>)?,"
done
# The settings file: every setting of --help, commented, with its default.
want=$("$tmp/x/usr/lib/authcgi/auth.cgi" --help | sed -n 's/^  \(AUTHCGI_[A-Z_]*\)\(=\([^ ]*\)\)\{0,1\}.*/#\1=\3/p')
got=$(grep '^#AUTHCGI_' "$tmp/x/etc/authcgi/authcgi.conf")
check_eq "authcgi.conf: every setting, commented, with its default" "$got" "$want"
check "authcgi.conf: nothing set" bash -c "! grep -q '^[^#]' <(grep . '$tmp/x/etc/authcgi/authcgi.conf')"
check "the executable reads /etc/authcgi/authcgi.conf" \
	grep -q -a /etc/authcgi/authcgi.conf "$tmp/x/usr/lib/authcgi/auth.cgi"

# ------------------------------------------------------ a fresh Debian 12
cache=${DEB_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/authcgi}
base=$cache/debian-bookworm-minbase.tar
mirror=$(sed -n 's|^URIs: *\(http[^ ]*/debian\)$|\1|p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
if [ ! -s "$base" ]; then
	mkdir -p "$cache"
	echo "making the Debian 12 base with debootstrap (once): $base"
	if ! timeout 900 debootstrap --variant=minbase bookworm "$tmp/base" \
		"${mirror:-http://deb.debian.org/debian}" >"$tmp/debootstrap.log" 2>&1; then
		fail "debootstrap" "$(tail -n 3 "$tmp/debootstrap.log")"
		summary
		exit 1
	fi
	tar -C "$tmp/base" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf "$tmp/base"
fi
mkdir -p "$root" && tar -C "$root" -xf "$base"
check "a fresh Debian 12 root" test -x "$root/usr/bin/apt-get"
# The host's archives and what apt needs to reach them (the proxy's
# settings, no hooks).
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/"
for f in /etc/apt/apt.conf.d/*; do
	grep -q 'Acquire::' "$f" && ! grep -q 'Invoke' "$f" && cp "$f" "$root/etc/apt/apt.conf.d/"
done
cp /etc/resolv.conf "$root/etc/resolv.conf"
[ -f "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# No init system runs here: invoke-rc.d would refuse to start or reload
# services (maintainer scripts use it) unless told that it may.
printf '#!/bin/sh\nexit 0\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# An operator answers apt's question; the test says yes beforehand.
echo 'APT::Get::Assume-Yes "true";' >"$root/etc/apt/apt.conf.d/90authcgi-test"
# Download what the install will need, while the network is there: the
# package's dependencies and lighttpd's.
mkdir -p "$root/root/pkg"
cp "$deb1" "$root/root/pkg/"
mount -t proc proc "$root/proc" && mount --bind /dev "$root/dev"
out=$(timeout 600 chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive /bin/sh -c \
	"apt-get -q update && cd /root/pkg && apt-get install -q --download-only ./$(basename "$deb1") lighttpd" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then ok "apt: the dependencies downloaded from the mirror"; else
	fail "apt: the dependencies downloaded from the mirror" "exit $rc: $(tail -n 10 <<<"$out")"
fi
umount "$root/dev" "$root/proc"
rm -rf "$root/root/pkg"

# The rest in namespaces of its own: network (loopback only), pid (what
# it starts ends with it), mount.
# In a chroot (a fresh machine made with debootstrap, say) / is no mount
# point, and unshare cannot make the new namespace's mounts private; where
# no mount is shared, none of them can reach the outside anyway.
PROPAGATION=()
if ! mountpoint -q / && ! grep -q ' shared:' /proc/self/mountinfo; then
	PROPAGATION=(--propagation unchanged)
fi
unshare --net --pid --mount "${PROPAGATION[@]}" --fork --kill-child "$0" --inside "$tmp" >"$tmp/inside.out" 2>&1 &
inner=$!
wait "$inner"
inner=
grep -v '^[0-9]* passed, [0-9]* failed$' "$tmp/inside.out"
last=$(tail -n 1 "$tmp/inside.out")
if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	PASSED=$((PASSED + BASH_REMATCH[1]))
	FAILED=$((FAILED + BASH_REMATCH[2]))
else
	fail "the namespaced part" "ended without its count"
fi
summary
