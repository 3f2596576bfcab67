#!/bin/sh
# engine-pg.sh - the engine unit tests on PostgreSQL: a server of their own (tests/tools/pg.sh),
# each test's world a schema of its own in it (harness.c), the server torn down after.  The
# tests that make the SQLite file itself fail are skipped there (sqlite_only).
set -eu

srcdir=${RSMFS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${RSMFS_BUILDDIR:-$srcdir}
dir=$(mktemp -d /tmp/rsm-pg-unit-XXXXXX)
trap '"$srcdir/tests/tools/pg.sh" destroy "$dir"' EXIT INT TERM

RSMFS_TEST_CATALOG=$("$srcdir/tests/tools/pg.sh" start "$dir")
export RSMFS_TEST_CATALOG
rc=0
for t in test_engine test_history test_backend; do
	"$builddir/tests/unit/$t" || rc=1
done
exit $rc
