#!/usr/bin/env bats
# Library and drive control through the mount: libraries/<l>/ctl, door, drives/<d>/ctl, and
# the sim's operator hands and faults in libraries/<l>/sim/ctl (rsmfs(5), libraries/).

load helper

setup() { setup_rsmfs; mkdir "$MNT/sessions/s"; }
teardown() { teardown_rsmfs; }

# last_request - the number of the newest request
last_request() { ls "$MNT/requests" | sort -n | tail -1; }

@test "every library command is a library request with its own entry" {
	echo "inventory" >"$MNT/libraries/vtl0/ctl"
	n=$(last_request)
	[ "$(cat "$MNT/requests/$n/operation")" = inventory ]
	wait_for "$MNT/requests/$n/state" passed
	[ "$(cat "$MNT/requests/$n/library")" = vtl0 ]
	echo "inventory full" >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/requests/$(last_request)/state" passed
	echo disable >"$MNT/libraries/vtl0/ctl"
	[ "$(cat "$MNT/requests/$(last_request)/operation")" = disable ]
	[ "$(cat "$MNT/libraries/vtl0/state")" = disabled ]
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00001L6\n'
	[ "$output" = ENODEV ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_RESOURCE_DISABLED\ 4309* ]]
	echo enable >"$MNT/libraries/vtl0/ctl"
	[ "$(cat "$MNT/libraries/vtl0/state")" = online ]
	[ "$(cat "$MNT/requests/$(last_request)/operation")" = enable ]
	for bad in 'inventory slow\n' 'enable now\n' 'inject port=x\n' 'eject\n' 'fly\n'; do
		run $PROBE write "$MNT/libraries/vtl0/ctl" "$bad"
		[ "$output" = EINVAL ]
	done
	run $PROBE write "$MNT/libraries/vtl0/ctl" 'eject NOSUCH\n'
	[ "$output" = ENOENT ]
}

@test "eject to a port, the operator takes it out and puts it back, inject returns it to a slot" {
	echo "eject T00003L6 port=0" >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/media/T00003L6/state" in-port
	[ "$(cat "$MNT/media/T00003L6/location")" = "port 0" ]
	[ "$(cat "$MNT/libraries/vtl0/ports")" = "0 full T00003L6" ]
	run $PROBE write "$MNT/libraries/vtl0/ctl" 'eject T00004L6\n'
	[ "$output" = OK ]
	wait_for "$MNT/requests/$(last_request)/state" failed
	[[ "$(cat "$MNT/requests/$(last_request)/error")" == ERROR_IEPORT_FULL* ]]
	echo remove >"$MNT/libraries/vtl0/sim/ctl"
	[ "$(cat "$MNT/media/T00003L6/state")" = offline ]
	echo "insert T00003L6" >"$MNT/libraries/vtl0/sim/ctl"
	[ "$(cat "$MNT/media/T00003L6/state")" = in-port ]
	echo inject >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/media/T00003L6/state" idle
	[ "$(readlink "$MNT/media/T00003L6/pool")" = ../../pools/free ]
	# eject through the medium's own ctl
	echo eject >"$MNT/media/T00006L6/ctl"
	wait_for "$MNT/media/T00006L6/state" in-port
}

@test "injected media: unknown barcodes go to import, cleaners to cleaner, no barcode is unlabeled-<n>" {
	echo "insert ABC123L6" >"$MNT/libraries/vtl0/sim/ctl"
	echo inject >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/media/ABC123L6/state" idle
	[ "$(readlink "$MNT/media/ABC123L6/pool")" = ../../pools/import ]
	[ "$(cat "$MNT/media/ABC123L6/type")" = LTO-6 ]
	[ -L "$MNT/pools/import/media/ABC123L6" ]
	echo "insert" >"$MNT/libraries/vtl0/sim/ctl"
	[ -d "$MNT/media/unlabeled-1" ]
	[ "$(cat "$MNT/media/unlabeled-1/barcode" | wc -c)" -eq 0 ]
	echo inject >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/media/unlabeled-1/state" idle
	echo "insert -" >"$MNT/libraries/vtl0/sim/ctl"
	[ -d "$MNT/media/unlabeled-2" ]
	echo inject >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/media/unlabeled-2/state" idle
	echo "insert CLN001L6" >"$MNT/libraries/vtl0/sim/ctl"
	[ "$(readlink "$MNT/media/CLN001L6/pool")" = ../../pools/cleaner ]
	run $PROBE write "$MNT/libraries/vtl0/sim/ctl" 'insert bad:code\n'
	[ "$output" = EINVAL ]
	run $PROBE write "$MNT/libraries/vtl0/sim/ctl" 'insert T00001L6\n'
	[ "$output" = ENOSPC ]
}

@test "clean with no cleaner raises an operator request; a cleaner inserted and injected does the job" {
	echo clean >"$MNT/drives/d0/ctl"
	n=$(last_request)
	[ "$(cat "$MNT/requests/$n/operation")" = clean ]
	wait_for "$MNT/opreqs/1/type" cleaner
	[ "$(cat "$MNT/requests/$n/state")" = waiting ]
	[ "$(readlink "$MNT/opreqs/1/request")" = "../../requests/$n" ]
	echo "insert CLN001L6" >"$MNT/libraries/vtl0/sim/ctl"
	echo inject >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/requests/$n/state" passed
	[ "$(cat "$MNT/requests/$n/medium")" = CLN001L6 ]
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	grep -qx "cleanings 1" "$MNT/drives/d0/stats"
	grep -q "^last_cleaned 20" "$MNT/drives/d0/stats"
	[ "$(cat "$MNT/media/CLN001L6/state")" = idle ]
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
}

@test "a satisfied cleaner request with no cartridge records the operator's manual cleaning" {
	echo clean >"$MNT/drives/d1/ctl"
	wait_for "$MNT/opreqs/1/type" cleaner
	echo satisfy >"$MNT/opreqs/1/ctl"
	wait_for "$MNT/requests/1/state" passed
	grep -qx "cleanings 1" "$MNT/drives/d1/stats"
}

@test "drive disable: never chosen, drive= is ENODEV; enable brings it back" {
	echo disable >"$MNT/drives/d0/ctl"
	[ "$(cat "$MNT/drives/d0/state")" = disabled ]
	[ "$(cat "$MNT/requests/$(last_request)/operation")" = disable ]
	[ "$(cat "$MNT/requests/$(last_request)/drive")" = d0 ]
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00001L6 drive=d0\n'
	[ "$output" = ENODEV ]
	ctl s "mount T00001L6"
	[ "$(cat "$MNT/media/T00001L6/location")" = "drive d1" ]
	echo enable >"$MNT/drives/d0/ctl"
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	run $PROBE write "$MNT/drives/d0/ctl" 'clean now\n'
	[ "$output" = EINVAL ]
}

@test "door: writing open unlocks it, the robot waits until the operator closes it" {
	[ "$(cat "$MNT/libraries/vtl0/door")" = closed ]
	echo open >"$MNT/libraries/vtl0/door"
	wait_for "$MNT/libraries/vtl0/door" open
	[ "$(cat "$MNT/requests/$(last_request)/operation")" = door ]
	ctl s "mount T00001L6 nowait"
	n=$(last_request)
	sleep 0.3
	[ "$(cat "$MNT/requests/$n/state")" = waiting ]
	echo close-door >"$MNT/libraries/vtl0/sim/ctl"
	[ "$(cat "$MNT/libraries/vtl0/door")" = closed ]
	wait_for "$MNT/requests/$n/state" passed
	run $PROBE write "$MNT/libraries/vtl0/door" 'ajar\n'
	[ "$output" = EINVAL ]
	run $PROBE write "$MNT/libraries/vtl0/sim/ctl" 'close-door\n'
	[ "$output" = EIO ]
}

@test "a failed drive fails the mount in it with EIO and raises deviceservice; repair lets work go on" {
	stop_rsmfs
	MOVE=0.3 LOAD=1 write_config
	start_rsmfs
	mkdir "$MNT/sessions/s"
	$PROBE write "$MNT/sessions/s/ctl" 'mount T00001L6 drive=d0\n' >"$TESTDIR/out" &
	writer=$!
	wait_for "$MNT/drives/d0/state" loading
	echo "fail d0" >"$MNT/libraries/vtl0/sim/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out")" = EIO ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_INVALID_STATE\ 5023* ]]
	[ "$(cat "$MNT/drives/d0/state")" = failed ]
	[ "$(cat "$MNT/opreqs/1/type")" = deviceservice ]
	[[ "$(cat "$MNT/opreqs/1/message")" == *"drive d0"* ]]
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00002L6 drive=d0\n'
	[ "$output" = ENODEV ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_DEVICE_NOT_AVAILABLE\ 4319* ]]
	# the cartridge stuck in the failed drive waits for the repair
	ctl s "mount T00001L6 nowait"
	n=$(last_request)
	echo "repair d0" >"$MNT/libraries/vtl0/sim/ctl"
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	wait_for "$MNT/requests/$n/state" passed
	[ "$(cat "$MNT/media/T00001L6/state")" = mounted ]
	run $PROBE write "$MNT/libraries/vtl0/sim/ctl" 'repair d0\n'
	[ "$output" = EIO ]
	run $PROBE write "$MNT/libraries/vtl0/sim/ctl" 'fail d9\n'
	[ "$output" = ENODEV ]
}

@test "a jammed robot fails the move under way; queued work waits and goes on after unjam" {
	echo "timing move=0.5" >"$MNT/libraries/vtl0/sim/ctl"
	$PROBE write "$MNT/sessions/s/ctl" 'mount T00001L6\n' >"$TESTDIR/out" &
	writer=$!
	wait_for "$MNT/media/T00001L6/state" loading
	echo jam >"$MNT/libraries/vtl0/sim/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out")" = EIO ]
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ]
	[ "$(cat "$MNT/opreqs/1/type")" = deviceservice ]
	ctl s "mount T00002L6 nowait"
	n=$(last_request)
	sleep 0.7
	[ "$(cat "$MNT/requests/$n/state")" = waiting ]
	# the operator's satisfy of the device-service request frees the robot
	echo satisfy >"$MNT/opreqs/1/ctl"
	wait_for "$MNT/requests/$n/state" passed
	run $PROBE write "$MNT/libraries/vtl0/sim/ctl" 'timing move=x\n'
	[ "$output" = EINVAL ]
	run $PROBE write "$MNT/libraries/vtl0/sim/ctl" 'unjam\n'
	[ "$output" = EIO ]
}

@test "inventory corrects what the changer holds differently from the catalog" {
	state="$TESTDIR/data/sim/vtl0.state"
	[ -f "$state" ]
	grep -qx "slot 0 T00001L6" "$state"
	# the operator moved a cartridge by hand, behind the library's back
	stop_rsmfs
	sed -i 's/^slot 0 T00001L6$/slot 15 T00001L6/' "$state"
	start_rsmfs
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 15" ]
	[ "$(head -1 "$MNT/libraries/vtl0/slots")" = "0 empty -" ]
	sed -i 's/^slot 1 T00002L6$/slot 14 T00002L6/' "$state"
	echo "inventory fast" >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/requests/$(last_request)/state" passed
	[ "$(cat "$MNT/media/T00002L6/location")" = "slot 14" ]
}

@test "move: an administrator sends a cartridge at rest to an empty slot, its new home" {
	echo "move T00001L6 14" >"$MNT/libraries/vtl0/ctl"
	n=$(last_request)
	wait_for "$MNT/requests/$n/state" passed
	[ "$(cat "$MNT/requests/$n/operation")" = move ]
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 14" ]
	[ "$(cat "$MNT/media/T00001L6/home")" = 14 ]
	[ "$(head -1 "$MNT/libraries/vtl0/slots")" = "0 empty -" ]
	[ "$(sed -n 15p "$MNT/libraries/vtl0/slots")" = "14 full T00001L6" ]
	# a full slot, a slot past the end, a bad slot, a mounted medium, a missing argument
	run $PROBE write "$MNT/libraries/vtl0/ctl" 'move T00002L6 14\n'
	assert_output EIO
	run $PROBE write "$MNT/libraries/vtl0/ctl" 'move T00002L6 16\n'
	assert_output EINVAL
	run $PROBE write "$MNT/libraries/vtl0/ctl" 'move T00002L6 x\n'
	assert_output EINVAL
	run $PROBE write "$MNT/libraries/vtl0/ctl" 'move T00002L6\n'
	assert_output EINVAL
	run $PROBE write "$MNT/libraries/vtl0/ctl" 'move NOSUCH 3\n'
	assert_output ENOENT
	ctl s "mount T00002L6"
	run $PROBE write "$MNT/libraries/vtl0/ctl" 'move T00002L6 15\n'
	assert_output EIO
	[ "$(cat "$MNT/media/T00002L6/location")" = "drive d0" ]
}
