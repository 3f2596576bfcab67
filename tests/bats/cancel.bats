#!/usr/bin/env bats
# requests/<n>/ctl: cancel (CancelNtmsLibraryRequest).

load helper

setup() { MOVE=1 setup_rsmfs; mkdir "$MNT/sessions/s"; }
teardown() { teardown_rsmfs; }

@test "requests/<n>/ctl is the administrators': root, admin group, mode 0220" {
	ctl s "mount T00001L6 nowait"
	[ "$(stat -c '%a %u' "$MNT/requests/1/ctl")" = "220 0" ]
}

@test "cancelling a queued request while the library is busy succeeds at once" {
	ctl s "mount T00001L6 drive=d0 nowait"
	ctl s "mount T00002L6 drive=d0 nowait"
	[ "$(cat "$MNT/requests/1/state")" = inprocess ]
	state=$(cat "$MNT/requests/2/state")
	[ "$state" = waiting ] || [ "$state" = queued ]
	start=$(date +%s%N)
	echo cancel >"$MNT/requests/2/ctl"
	[ $((($(date +%s%N) - start) / 1000000)) -lt 500 ]
	[ "$(cat "$MNT/requests/2/state")" = cancelled ]
	[[ "$(cat "$MNT/requests/2/error")" == "ERROR_CANCELLED 1223 "* ]]
	[ "$(cat "$MNT/requests/1/state")" = inprocess ]
	wait_for "$MNT/requests/1/state" passed
	[ "$(cat "$MNT/media/T00002L6/state")" = idle ]
}

@test "a request being handled answers EBUSY; a finished one ENOENT" {
	ctl s "mount T00001L6 nowait"
	[ "$(cat "$MNT/requests/1/state")" = inprocess ]
	run $PROBE write "$MNT/requests/1/ctl" 'cancel\n'
	assert_output EBUSY
	wait_for "$MNT/requests/1/state" passed
	run $PROBE write "$MNT/requests/1/ctl" 'cancel\n'
	assert_output ENOENT
	run cat "$MNT/error_log"
	assert_output --partial "requests/1/ctl \"cancel\" ERROR_OBJECT_NOT_FOUND 4312"
}

@test "cancelling a blocked mount answers the blocked writer with ECANCELED" {
	ctl s "mount T00001L6 drive=d0 nowait"
	$PROBE write "$MNT/sessions/s/ctl" 'mount T00002L6 drive=d0\n' >"$TESTDIR/out" &
	writer=$!
	wait_for "$MNT/requests/2/state" waiting
	echo cancel >"$MNT/requests/2/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out")" = ECANCELED ]
}

@test "a bad cancel command is EINVAL and changes nothing" {
	ctl s "mount T00001L6 drive=d0 nowait"
	ctl s "mount T00002L6 drive=d0 nowait"
	run $PROBE write "$MNT/requests/2/ctl" 'cancel now\n'
	assert_output EINVAL
	run $PROBE write "$MNT/requests/2/ctl" 'stop\n'
	assert_output EINVAL
	state=$(cat "$MNT/requests/2/state")
	[ "$state" = waiting ] || [ "$state" = queued ]
}
