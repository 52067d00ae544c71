# shellcheck shell=bash
# pg.sh: a throwaway PostgreSQL cluster for a test suite (bash; source it),
# through scripts/pg-cluster.sh: in a new temporary directory, on a unix
# socket only, run by an unprivileged user (postgres) when the tests run
# as root, and stopped by its PID.
#
#   pg_start          start a cluster; sets PG_DIR; 1 (with a message) when
#                     it cannot. Its settings favour speed over durability
#                     (no fsync): a test's data need not survive a crash.
#   pg_stop           stop it (fast shutdown, bounded waits, then SIGKILL)
#                     and remove PG_DIR; a no-op when none was started
#   pg_db NAME        create database NAME owned by role NAME; prints the
#                     URI that role connects with (as AUTHCGI_DB takes it)
#   pg_super_uri NAME the URI of database NAME as the superuser
#   pg_sql NAME SQL   run SQL as the superuser on database NAME; prints the
#                     rows, unaligned, fields separated by tabs
#   pg_restart        stop the server and start it again (same data)
#   pg_setup NAME     for a suite (after assert.sh): pg_start and pg_db
#                     NAME, its URI in DB; when either fails, a failed
#                     check, the summary, and exit 1

PG_DIR=""
_PG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
PG_CLUSTER=$_PG_ROOT/scripts/pg-cluster.sh
PG_TEST_SETTINGS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"

pg_start() {
	PG_DIR=$(mktemp -d /tmp/authcgi-pg.XXXXXX) || return 1
	if ! PG_SETTINGS=$PG_TEST_SETTINGS "$PG_CLUSTER" start "$PG_DIR"; then
		echo "pg_start: no PostgreSQL cluster (apt-get install postgresql)" >&2
		return 1
	fi
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	"$PG_CLUSTER" stop "$PG_DIR"
	rm -rf "$PG_DIR"
	PG_DIR=""
}

pg_restart() {
	"$PG_CLUSTER" stop "$PG_DIR" &&
		PG_SETTINGS=$PG_TEST_SETTINGS "$PG_CLUSTER" start "$PG_DIR"
}

pg_db() {
	"$PG_CLUSTER" createdb "$PG_DIR" "$1" >/dev/null &&
		"$PG_CLUSTER" uri "$PG_DIR" "$1"
}

pg_super_uri() {
	echo "postgresql:///$1?host=$PG_DIR/sock&user=postgres"
}

pg_sql() {
	"$PG_CLUSTER" psql "$PG_DIR" -d "$1" -At -F $'\t' -c "$2"
}

pg_setup() {
	# shellcheck disable=SC2034 # for the suite
	pg_start && DB=$(pg_db "$1") && return 0
	fail "PostgreSQL cluster" "did not start"
	summary
	exit 1
}
