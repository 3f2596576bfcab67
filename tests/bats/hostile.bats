#!/usr/bin/env bats
# hostile.bats - every writable file of the tree against hostile writes, hostile names,
# many hostile writers at once, and the filesystem operations the tree does not support.
# Each is answered with the errno rsmfs(5) documents, and the tree and the catalog are the
# same afterwards: a dump of every state file, the SQLite dump, PRAGMA integrity_check.

load helper

HOSTILE="$PYTHON $BATS_TEST_DIRNAME/../tools/hostile.py"

setup() {
	setup_rsmfs
	mkdir "$MNT/sessions/s1" "$MNT/pools/scratch"
	# a finished request and a finished operator request: their ctl files stay
	ctl s1 "mount T00002L6"
	ctl s1 "dismount T00002L6"
	REQ=1
	wait_for "$MNT/requests/2/state" passed
	ctl s1 "message hostile test"
	OPREQ=$(ls "$MNT/opreqs" | tail -n1)
	echo cancel >"$MNT/opreqs/$OPREQ/ctl"
}

teardown() {
	teardown_rsmfs
}

# every file of the object areas (ctl files, channels and the session's error aside), and the
# catalog as SQLite has it
full_dump() {
	(cd "$MNT" && find libraries drives media pools requests opreqs \
		\( -type f -o -type l \) ! -name ctl | sort | while read -r f; do
		if [ -L "$f" ]; then
			printf '%s -> %s\n' "$f" "$(readlink "$f")"
		else
			printf '%s: %s\n' "$f" "$(cat "$f")"
		fi
	done)
	ls "$MNT/sessions" "$MNT/pools"
	sqlite3 "$TESTDIR/data/rsm.db" .dump
}

integrity() {
	sqlite3 "$TESTDIR/data/rsm.db" 'PRAGMA integrity_check'
}

@test "every writable file x hostile writes: the documented errno, nothing changed" {
	full_dump >"$TESTDIR/before"
	run $HOSTILE matrix "$MNT" "$REQ" "$OPREQ"
	echo "$output"
	assert_success
	assert_output --regexp "^[0-9]+ cases, 0 mismatches$|
[0-9]+ cases, 0 mismatches$"
	kill -0 "$RSMFS_PID"
	full_dump >"$TESTDIR/after"
	diff -u "$TESTDIR/before" "$TESTDIR/after"
	[ "$(integrity)" = ok ]
	# the refusals were recorded, and the tree still works
	[ "$(grep -c . "$MNT/error_log")" -eq 64 ]
	ctl s1 "mount T00003L6"
	wait_for "$MNT/media/T00003L6/state" mounted
}

@test "hostile writes from 16 processes at once: each refused as documented, nothing changed" {
	full_dump >"$TESTDIR/before"
	run $HOSTILE storm "$MNT" "$REQ" "$OPREQ" 16
	echo "$output"
	assert_success
	assert_output --regexp "^[0-9]+ writes, 0 mismatches$"
	kill -0 "$RSMFS_PID"
	full_dump >"$TESTDIR/after"
	diff -u "$TESTDIR/before" "$TESTDIR/after"
	[ "$(integrity)" = ok ]
}

@test "hostile session and pool names in mkdir: EINVAL or ENAMETOOLONG, nothing created" {
	full_dump >"$TESTDIR/before"
	run $HOSTILE names "$MNT"
	echo "$output"
	assert_success
	assert_output "24 cases, 0 mismatches"
	[ "$(ls "$MNT/sessions")" = s1 ]
	full_dump >"$TESTDIR/after"
	diff -u "$TESTDIR/before" "$TESTDIR/after"
}

@test "operations the tree does not support: EPERM (EACCES to open read-only files for writing)" {
	full_dump >"$TESTDIR/before"
	run $HOSTILE unsupported "$MNT"
	echo "$output"
	assert_success
	assert_output "30 cases, 0 mismatches"
	full_dump >"$TESTDIR/after"
	diff -u "$TESTDIR/before" "$TESTDIR/after"
	[ "$(integrity)" = ok ]
	# rsmfs(5) names the errno of each
	grep -q "Operations the tree does not support fail with a fixed errno" \
		"$BATS_TEST_DIRNAME/../../man/rsmfs.5"
}
