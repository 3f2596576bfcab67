#!/usr/bin/env bats
# Home slots and the deferred dismount delay (rsmfs(5), media/medium/ home, libraries/lib/
# slots and dismount_delay): every cartridge lives in a slot that waits for it while it is out,
# and a cartridge left dismountable goes back there after the library's delay.

load helper

setup() { setup_rsmfs; }
teardown() { teardown_rsmfs; }

# last_request - the number of the newest request
last_request() { ls "$MNT/requests" | sort -n | tail -1; }

@test "home: a cartridge's slot, kept for it while it is out, shown in slots' fourth column" {
	[ "$(cat "$MNT/media/T00001L6/home")" = 0 ]
	[ "$(cat "$MNT/media/T00012L6/home")" = 11 ]
	mkdir "$MNT/sessions/s"
	ctl s "mount T00001L6"
	[ "$(cat "$MNT/media/T00001L6/home")" = 0 ]
	[ "$(head -1 "$MNT/libraries/vtl0/slots")" = "0 empty - T00001L6" ]
	[ "$(sed -n 13p "$MNT/libraries/vtl0/slots")" = "12 empty -" ]
	# a new cartridge does not take a slot that waits for its own cartridge
	echo "insert X00001L6" >"$MNT/libraries/vtl0/sim/ctl"
	echo inject >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/media/X00001L6/state" idle
	[ "$(cat "$MNT/media/X00001L6/location")" = "slot 12" ]
	[ "$(cat "$MNT/media/X00001L6/home")" = 12 ]
	[ "$(head -1 "$MNT/libraries/vtl0/slots")" = "0 empty - T00001L6" ]
	ctl s "dismount T00001L6"
	wait_for "$MNT/media/T00001L6/state" idle
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ]
	[ "$(head -1 "$MNT/libraries/vtl0/slots")" = "0 full T00001L6" ]
}

@test "home: kept across a restart; a cartridge whose slot another one took gets a new one" {
	mkdir "$MNT/sessions/s"
	ctl s "mount T00002L6"
	stop_rsmfs
	start_rsmfs
	[ "$(cat "$MNT/media/T00002L6/home")" = 1 ]
	[ "$(sed -n 2p "$MNT/libraries/vtl0/slots")" = "1 empty - T00002L6" ]
	# the free slots all taken (12..15), the next cartridge in takes a waiting slot
	for b in X00001L6 X00002L6 X00003L6 X00004L6 X00005L6; do
		echo "insert $b" >"$MNT/libraries/vtl0/sim/ctl"
		echo inject >"$MNT/libraries/vtl0/ctl"
		wait_for "$MNT/media/$b/state" idle
	done
	[ "$(cat "$MNT/media/X00005L6/location")" = "slot 1" ]
	[ -z "$(cat "$MNT/media/T00002L6/home")" ]
	[ "$(sed -n 2p "$MNT/libraries/vtl0/slots")" = "1 full X00005L6" ]
	# the library is full: the dismount has nowhere to put it
	mkdir "$MNT/sessions/s"
	ctl s "dismount T00002L6"
	wait_for "$MNT/requests/$(last_request)/state" failed
	[[ "$(cat "$MNT/requests/$(last_request)/error")" == ERROR_LIBRARY_FULL* ]]
	echo "eject X00001L6" >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/media/X00001L6/state" in-port
	echo remove >"$MNT/libraries/vtl0/sim/ctl"
	ctl s "dismount T00002L6"
	wait_for "$MNT/media/T00002L6/state" idle
	[ "$(cat "$MNT/media/T00002L6/location")" = "slot 12" ]
	[ "$(cat "$MNT/media/T00002L6/home")" = 12 ]
}

@test "dismount_delay: 300 s by default; a deferred-dismounted medium goes home after it" {
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 300 ]
	[ "$(stat -c %a "$MNT/libraries/vtl0/dismount_delay")" = 664 ]
	echo 1 >"$MNT/libraries/vtl0/dismount_delay"
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 1 ]
	mkdir "$MNT/sessions/s"
	ctl s "mount T00003L6"
	ctl s "dismount T00003L6 deferred"
	[ "$(cat "$MNT/media/T00003L6/state")" = dismountable ]
	wait_for "$MNT/media/T00003L6/state" idle
	[ "$(cat "$MNT/media/T00003L6/location")" = "slot 2" ]
	n=$(last_request)
	[ "$(cat "$MNT/requests/$n/operation")" = dismount ]
	[ "$(cat "$MNT/requests/$n/medium")" = T00003L6 ]
	[ -z "$(cat "$MNT/requests/$n/session")" ]
	[ "$(cat "$MNT/requests/$n/state")" = passed ]
	# remounted in time, it stays: the delay counts from its last dismount
	echo 2 >"$MNT/libraries/vtl0/dismount_delay"
	ctl s "mount T00003L6"
	ctl s "dismount T00003L6 deferred"
	sleep 1
	ctl s "mount T00003L6"
	sleep 1.5
	[ "$(cat "$MNT/media/T00003L6/state")" = mounted ]
}

@test "dismount_delay: administrators write seconds; bad values EINVAL; kept across a restart" {
	run $PROBE write "$MNT/libraries/vtl0/dismount_delay" 'soon\n'
	assert_output EINVAL
	run $PROBE write "$MNT/libraries/vtl0/dismount_delay" '-1\n'
	assert_output EINVAL
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 300 ]
	echo 42.5 >"$MNT/libraries/vtl0/dismount_delay"
	stop_rsmfs
	start_rsmfs
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 42.5 ]
	# the configuration's value, when it gives one, is the library's at start
	stop_rsmfs
	sed -i '/^\[library vtl0\]/a dismount_delay = 10m' "$TESTDIR/rsmfs.conf"
	start_rsmfs
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 600 ]
}

@test "dismount_delay: a refused value names the file and the value in error_log and changes nothing" {
	echo 45 >"$MNT/libraries/vtl0/dismount_delay"
	for bad in 5s nan -0.5 1e99 31536001 '' ' '; do
		run $PROBE write "$MNT/libraries/vtl0/dismount_delay" "$bad\n"
		assert_output EINVAL
		[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 45 ]
	done
	run tail -n1 "$MNT/error_log"
	assert_output --regexp 'libraries/vtl0/dismount_delay .* ERROR_INVALID_PARAMETER 87 '
	run grep -c 'libraries/vtl0/dismount_delay "1e99" ERROR_INVALID_PARAMETER 87' "$MNT/error_log"
	assert_output 1
	# the bounds: 0 and one year
	echo 31536000 >"$MNT/libraries/vtl0/dismount_delay"
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 31536000 ]
	echo 0 >"$MNT/libraries/vtl0/dismount_delay"
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 0 ]
	# 0: a deferred-dismounted medium goes home as soon as it is left
	mkdir "$MNT/sessions/s"
	ctl s "mount T00004L6"
	ctl s "dismount T00004L6 deferred"
	wait_for "$MNT/media/T00004L6/state" idle
	[ "$(cat "$MNT/media/T00004L6/location")" = "slot 3" ]
}
