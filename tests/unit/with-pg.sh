#!/bin/bash
# with-pg.sh: run a unit test binary against PostgreSQL: start a throwaway
# cluster (tests/lib/pg.sh), hand the binary the URI of a database of its
# own in STORE_TEST_PG, stop the cluster afterwards. The binary's output
# and exit status are its own.
# Usage: tests/unit/with-pg.sh BINARY
set -u
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 BINARY" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck disable=SC1091
. "$here/../lib/pg.sh"
trap pg_stop EXIT
trap 'exit 1' INT TERM
pg_start || exit 1
pg_db unit_test >/dev/null || exit 1
STORE_TEST_PG=$(pg_super_uri unit_test) "$1"
