#!/usr/bin/env bats
# crash.bats - rsmfs killed with SIGKILL in the middle of real work, restarted on the same
# catalog, and checked through the mount after every kill (tests/tools/crashload.py): every
# medium in exactly one place, the catalog agreeing with the sim's physical record, no request
# left queued or in process, pools consistent, PRAGMA integrity_check ok.
#
# The kill points come from a seed, printed first: CRASH_SEED=<n> replays a run (the robot's
# timing makes the interleaving differ slightly).  CRASH_KILLS sets how many (make stress).

load helper

CRASHLOAD="$PYTHON $BATS_TEST_DIRNAME/../tools/crashload.py"

setup() {
	TESTDIR=$(mktemp -d /tmp/rsmfs-bats.XXXXXX)
	MNT=$TESTDIR/mnt
	mkdir -p "$MNT" "$TESTDIR/data"
	# non-zero robot and drive times, so kills land in the middle of moves and loads
	MOVE=0.05 LOAD=0.05 UNLOAD=0.05 write_config "request_retention = 5s"
}

teardown() {
	fusermount3 -uz "$MNT" 2>/dev/null || true
	rm -rf "$TESTDIR"
}

# crash_loop MODE DEFAULT_SEED DEFAULT_KILLS - runs the kill loop; sets kills and output, prints
# the seed line on the TAP stream, and asserts every restart found every invariant holding
crash_loop() {
	kills=${CRASH_KILLS:-$3}
	run $CRASHLOAD loop "$RSMFS" "$TESTDIR/rsmfs.conf" "$MNT" "$TESTDIR/data" \
		"$(seed "$2")" "$kills" "$1"
	echo "$output"
	echo "# $(head -n1 <<<"$output")" >&3
	assert_success
	assert_line "$kills kills, 0 violations"
}

seed() {
	if [ "${CRASH_SEED:-}" = random ]; then
		echo $((RANDOM * 32768 + RANDOM))
	else
		echo "${CRASH_SEED:-$1}"
	fi
}

@test "SIGKILL at 50 seeded points of mounts, dismounts, cancels, ejects and injects" {
	crash_loop random 20261121 50
	# the workload really worked: requests passed between the kills
	[ "$(grep -c '(0 requests kept)' <<<"$output")" -lt "$kills" ]
}

@test "SIGKILL inside catalog commits during a burst of state changes" {
	crash_loop commit 1121 20
	# most kills landed inside a write or sync of the catalog, not on the fallback timer
	[ "$(grep -c ' in timer ' <<<"$output")" -le $((kills / 4)) ]
}

@test "SIGKILL between the changer's record of a move and the catalog's commit of it" {
	# 300 cartridges: a record over one page, which the sim renames into place (a smaller
	# one is one pwrite, too quick to be caught from outside; the random kills cover it)
	SLOTS=320 MEDIA=300 MOVE=0.05 LOAD=0.05 UNLOAD=0.05 write_config "request_retention = 5s"
	crash_loop record 2026 20
	[ "$(grep -c ' in timer ' <<<"$output")" -le $((kills / 4)) ]
	# the restarts had something to reconcile
	grep -q "inventory corrected" "$TESTDIR/rsmfs.err"
}
