#!/bin/sh
# on-postgresql.sh - suites of the tree run again with the catalog on PostgreSQL: a server of
# their own (tests/tools/pg.sh), each test a schema of its own in it (helper.bash), torn down
# after.  The tests that make the SQLite file itself fail skip there.  RSMFS_SKIP_PG_SUITES=1
# skips the whole file (exit 77): scripts/check's sanitizer pass, where these suites run on
# SQLite and the PostgreSQL code runs in the site suites and engine-pg.sh.
set -eu
[ "${RSMFS_SKIP_PG_SUITES:-}" != 1 ] || exit 77

srcdir=${RSMFS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
RSMFS_TEST_PG=$(mktemp -d /tmp/rsm-pg-suites-XXXXXX)
rmdir "$RSMFS_TEST_PG"
trap '"$srcdir/tests/tools/pg.sh" destroy "$RSMFS_TEST_PG"' EXIT INT TERM
"$srcdir/tests/tools/pg.sh" start "$RSMFS_TEST_PG" >/dev/null
export RSMFS_TEST_PG

cd "$srcdir/tests/bats"
# not exec: the trap must outlive bats to stop the server
bats --tap mount.bats sessions.bats cancel.bats restart.bats lifecycle.bats errors.bats
