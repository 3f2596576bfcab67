#!/usr/bin/env bats
# The catalog on PostgreSQL (rsmfs.conf(5), SEVERAL HOSTS): a server of the suite's own
# (tests/tools/pg.sh: initdb in a temporary directory, an unprivileged user, a Unix socket),
# each test a schema of its own in it (helper.bash).  What only PostgreSQL has: its schema,
# its locks, and the server going away and coming back.

load helper

PG=$BATS_TEST_DIRNAME/../tools/pg.sh

setup_file() {
	RSMFS_TEST_PG=$(mktemp -d /tmp/rsm-pg-site-XXXXXX)
	rmdir "$RSMFS_TEST_PG"
	"$PG" start "$RSMFS_TEST_PG" >/dev/null
	export RSMFS_TEST_PG
}

teardown_file() {
	"$PG" destroy "$RSMFS_TEST_PG"
}

setup() { setup_rsmfs; mkdir "$MNT/sessions/s"; }
teardown() {
	"$PG" restart "$RSMFS_TEST_PG" 2>/dev/null || true # a test that stopped it
	teardown_rsmfs
}

# sql STATEMENT - runs a statement in the test's schema, prints the rows
sql() {
	psql -qAt "$("$PG" uri "$RSMFS_TEST_PG")" -c "SET search_path = $(cat "$TESTDIR/schema")" \
		-c "$1"
}

# rejected CMD ERRNO - the command fails with ERRNO and the tree's state is unchanged
rejected() {
	local before after
	before=$(state_dump)
	run $PROBE write "$MNT/sessions/s/ctl" "$1"
	[ "$output" = "$2" ] || { echo "'$1' gave $output, wanted $2" >&2; return 1; }
	after=$(state_dump)
	[ "$before" = "$after" ] || { echo "'$1' changed the state" >&2; return 1; }
}

@test "rsmfs creates the schema with its version, and a restart reads what it wrote" {
	[ "$(sql 'SELECT version FROM schema_version')" = 1 ]
	[ "$(sql 'SELECT count(*) FROM media')" = 12 ]
	ctl s "mount T00003L6"
	[ "$(sql "SELECT loc, state FROM media WHERE name = 'T00003L6'")" = "drive|mounted" ]
	stop_rsmfs
	[ "$(sql "SELECT state FROM requests WHERE number = 1")" = passed ]
	start_rsmfs
	[ "$(cat "$MNT/media/T00003L6/state")" = dismountable ]
	[ "$(cat "$MNT/requests/1/state")" = passed ]
	[ "$(sql 'SELECT count(*) FROM schema_version')" = 1 ]
}

@test "a schema of a newer rsmfs is refused, and left as it is" {
	stop_rsmfs
	sql 'UPDATE schema_version SET version = 99'
	run start_rsmfs
	[ "$status" -ne 0 ]
	grep -q 'schema version 99' "$TESTDIR/rsmfs.err"
	[ "$(sql 'SELECT version FROM schema_version')" = 99 ]
}

@test "a row locked by another connection past the busy time-out: ETIMEDOUT, nothing changed" {
	uri=$("$PG" uri "$RSMFS_TEST_PG")
	schema=$(cat "$TESTDIR/schema")
	{ printf 'SET search_path = %s;\nBEGIN;\nLOCK TABLE requests;\n' "$schema"
	  printf '\\! touch %s/locked\n' "$TESTDIR"
	  printf '\\! while [ ! -e %s/release ]; do sleep 0.05; done\nROLLBACK;\n' "$TESTDIR"
	} | psql -qAt "$uri" >/dev/null &
	locker=$!
	for _ in $(seq 200); do
		[ -e "$TESTDIR/locked" ] && break
		sleep 0.05
	done
	rejected 'mount T00001L6\n' ETIMEDOUT
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_TIMEOUT 1460 "* ]]
	touch "$TESTDIR/release"
	wait "$locker"
	ctl s "mount T00001L6"
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
}

@test "PostgreSQL stopped: reads go on, commands EIO and change nothing; restarted: it carries on" {
	ctl s "mount T00002L6"
	"$PG" stop "$RSMFS_TEST_PG"
	# reads answer from memory
	[ "$(cat "$MNT/media/T00002L6/state")" = mounted ]
	ls "$MNT/media" "$MNT/requests" >/dev/null
	rejected 'mount T00001L6\n' EIO
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_DATABASE_FAILURE 4313 "* ]]
	rejected 'dismount T00002L6\n' EIO
	run mkdir "$MNT/sessions/t"
	[ "$status" -ne 0 ]
	[ ! -e "$MNT/sessions/t" ]
	"$PG" restart "$RSMFS_TEST_PG"
	ctl s "mount T00001L6"
	ctl s "dismount T00002L6"
	wait_for "$MNT/media/T00002L6/state" idle
	mkdir "$MNT/sessions/t"
	[ "$(sql "SELECT state FROM media WHERE name = 'T00001L6'")" = mounted ]
	[ "$(sql "SELECT loc FROM media WHERE name = 'T00002L6'")" = slot ]
}
