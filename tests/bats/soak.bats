#!/usr/bin/env bats
# soak.bats - 32 sessions through the mount: mounts ended by deferred and immediate dismounts,
# cancels and interrupted writes, on 4 drives, with a watchdog that fails the run when no
# round finishes for 10 s.  Afterwards every request is final and the invariants hold
# (tests/tools/soak.py).  SOAK_SECONDS sets the length (make stress runs it longer).

load helper

setup() {
	DRIVES=4 MEDIA=16 SLOTS=24 MOVE=0.01 LOAD=0.01 UNLOAD=0.01 setup_rsmfs
}

teardown() {
	teardown_rsmfs
}

@test "32 sessions x mount/dismount/cancel/interrupt on 4 drives: no deadlock, all final, invariants" {
	run timeout -k 5 $((${SOAK_SECONDS:-8} + 60)) $PYTHON "$BATS_TEST_DIRNAME/../tools/soak.py" \
		"$MNT" "$TESTDIR/data" 32 "${SOAK_SECONDS:-8}" "${SOAK_SEED:-4242}"
	echo "$output"
	echo "# $(tail -n1 <<<"$output")" >&3
	assert_success
	assert_output --regexp ", 0 problems$"
	kill -0 "$RSMFS_PID"
	[ "$(sqlite3 "$TESTDIR/data/rsm.db" 'PRAGMA integrity_check')" = ok ]
}
