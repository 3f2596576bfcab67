#!/usr/bin/env bats
# Session commands mount and dismount (MountNtmsMedia / DismountNtmsMedia) through the tree.

load helper

setup() { setup_rsmfs; }
teardown() { teardown_rsmfs; }

@test "a blocking mount returns once the medium is in a drive, reserved for the session" {
	mkdir "$MNT/sessions/s"
	ctl s "mount T00001L6"
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
	[ "$(cat "$MNT/drives/d0/session")" = s ]
	[ "$(readlink "$MNT/drives/d0/medium")" = ../../media/T00001L6 ]
	[ "$(cat "$MNT/media/T00001L6/state")" = mounted ]
	[ "$(cat "$MNT/media/T00001L6/location")" = "drive d0" ]
	[ "$(cat "$MNT/requests/1/state")" = passed ]
	[ "$(cat "$MNT/requests/1/drive")" = d0 ]
	[ "$(cat "$MNT/requests/1/operation")" = mount ]
	[ "$(stat -c %s "$MNT/requests/1/error")" -eq 0 ]
	[[ "$(cat "$MNT/requests/1/finished")" =~ ^20[0-9-]+T[0-9:]+Z$ ]]
	run cat "$MNT/libraries/vtl0/slots"
	assert_line --index 0 "0 empty - T00001L6" # its home slot waits for it
}

@test "mount blocks for the robot and drive time; nowait returns once queued" {
	teardown_rsmfs
	MOVE=0.5 LOAD=0.5 setup_rsmfs
	mkdir "$MNT/sessions/s"
	start=$(date +%s%N)
	ctl s "mount T00001L6 nowait"
	quick=$((($(date +%s%N) - start) / 1000000))
	[ "$quick" -lt 400 ]
	state=$(cat "$MNT/requests/1/state")
	[ "$state" = inprocess ] || [ "$state" = queued ]
	start=$(date +%s%N)
	ctl s "mount T00002L6"
	slow=$((($(date +%s%N) - start) / 1000000))
	[ "$slow" -ge 900 ]
	[ "$(cat "$MNT/media/T00002L6/state")" = mounted ]
	wait_for "$MNT/requests/1/state" passed
}

@test "the outcome is read back on the same open ctl" {
	mkdir "$MNT/sessions/s"
	exec 5<>"$MNT/sessions/s/ctl"
	echo "mount T00003L6 drive=d1" >&5
	read -r reply <&5
	echo "mount NOSUCH" >&5 || true
	read -r reply2 <&5
	echo "dismount T00003L6 deferred" >&5
	read -r reply3 <&5
	exec 5>&-
	[ "$reply" = "ok request 1 drive=d1" ]
	[[ "$reply2" == "error ERROR_INVALID_MEDIA 4300 "* ]]
	[ "$reply3" = "ok request 2" ]  # a rejected command makes no request
}

@test "deferred dismount: a later mount takes the medium with no robot move" {
	mkdir "$MNT/sessions/s"
	ctl s "mount T00004L6"
	ctl s "dismount T00004L6 deferred"
	wait_for "$MNT/drives/d0/state" dismountable
	[ "$(cat "$MNT/media/T00004L6/state")" = dismountable ]
	moves=$(awk '$1 == "moves" {print $2}' "$MNT/libraries/vtl0/stats")
	ctl s "mount T00004L6"
	[ "$(awk '$1 == "moves" {print $2}' "$MNT/libraries/vtl0/stats")" -eq "$moves" ]
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
	[ "$(awk '$1 == "mounts" {print $2}' "$MNT/libraries/vtl0/stats")" -eq 2 ]
}

@test "immediate dismount returns the cartridge to its slot" {
	mkdir "$MNT/sessions/s"
	ctl s "mount T00005L6"
	ctl s "dismount T00005L6"
	wait_for "$MNT/media/T00005L6/state" idle
	[ "$(cat "$MNT/media/T00005L6/location")" = "slot 4" ]
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	[ "$(cat "$MNT/requests/2/operation")" = dismount ]
	[ "$(cat "$MNT/requests/2/state")" = passed ]
	[ "$(awk '$1 == "moves" {print $2}' "$MNT/libraries/vtl0/stats")" -eq 2 ]
}

@test "the cartridge image round trip: tar to the drive's device, dismount, remount, tar tf" {
	mkdir "$MNT/sessions/s" "$TESTDIR/payload"
	echo "backup of $(date)" >"$TESTDIR/payload/file.txt"
	ctl s "mount T00006L6 write"
	dev=$(cat "$MNT/drives/d0/device")
	[ -f "$dev" ]
	tar cf "$dev" -C "$TESTDIR/payload" file.txt
	ctl s "dismount T00006L6"
	wait_for "$MNT/media/T00006L6/state" idle
	ctl s "mount T00006L6 drive=d1 read"
	dev=$(cat "$MNT/drives/d1/device")
	run tar tf "$dev"
	assert_output file.txt
}

@test "a medium mounted by another session is waited for; unavailable-error gives EBUSY" {
	mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	ctl a "mount T00001L6"
	run $PROBE write "$MNT/sessions/b/ctl" 'mount T00001L6 unavailable-error\n'
	assert_output EBUSY
	$PROBE write "$MNT/sessions/b/ctl" 'mount T00001L6\n' >"$TESTDIR/out" &
	writer=$!
	wait_for "$MNT/requests/2/state" waiting
	ctl a "dismount T00001L6 deferred"
	wait "$writer"
	[ "$(cat "$TESTDIR/out")" = OK ]
	[ "$(cat "$MNT/drives/d0/session")" = b ]
}

@test "a dismount of a medium another session waits for hands it over in its drive" {
	mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	ctl a "mount T00001L6"
	moves=$(awk '$1 == "moves" {print $2}' "$MNT/libraries/vtl0/stats")
	$PROBE write "$MNT/sessions/b/ctl" 'mount T00001L6\n' >"$TESTDIR/out" &
	writer=$!
	wait_for "$MNT/requests/2/state" waiting
	ctl a "dismount T00001L6"
	wait "$writer"
	[ "$(cat "$TESTDIR/out")" = OK ]
	[ "$(cat "$MNT/requests/3/state")" = passed ]
	[ "$(cat "$MNT/drives/d0/session")" = b ]
	[ "$(cat "$MNT/media/T00001L6/location")" = "drive d0" ]
	[ "$(awk '$1 == "moves" {print $2}' "$MNT/libraries/vtl0/stats")" -eq "$moves" ]
	# with nobody waiting, it goes home
	ctl b "dismount T00001L6"
	wait_for "$MNT/media/T00001L6/state" idle
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ]
}

@test "timeout= cancels a mount still waiting: ETIMEDOUT" {
	mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	ctl a "mount T00001L6"
	run $PROBE write "$MNT/sessions/b/ctl" 'mount T00001L6 timeout=0.3\n'
	assert_output ETIMEDOUT
	[ "$(cat "$MNT/requests/2/state")" = cancelled ]
	[[ "$(cat "$MNT/requests/2/error")" == "ERROR_TIMEOUT 1460 "* ]]
	[[ "$(cat "$MNT/sessions/b/error")" == "ERROR_TIMEOUT 1460 "* ]]
}

@test "with no empty drive a mount evicts the least recently used dismountable medium" {
	mkdir "$MNT/sessions/s"
	ctl s "mount T00001L6"
	ctl s "mount T00002L6"
	ctl s "dismount T00002L6 deferred"
	ctl s "dismount T00001L6 deferred"
	wait_for "$MNT/drives/d0/state" dismountable
	ctl s "mount T00003L6"
	[ "$(cat "$MNT/drives/d1/medium/name")" = T00003L6 ]
	[ "$(cat "$MNT/media/T00002L6/location")" = "slot 1" ]
	[ "$(cat "$MNT/drives/d0/medium/name")" = T00001L6 ]
}

@test "drive=, priority= and several lines in one write" {
	mkdir "$MNT/sessions/s"
	printf 'mount T00007L6 drive=d1 priority=high\nmount T00008L6 priority=-3\n' >"$MNT/sessions/s/ctl"
	[ "$(cat "$MNT/drives/d1/medium/name")" = T00007L6 ]
	[ "$(cat "$MNT/drives/d0/medium/name")" = T00008L6 ]
	[ "$(cat "$MNT/requests/1/priority")" = 7 ]
	[ "$(cat "$MNT/requests/2/priority")" = -3 ]
}

@test "drive= is strict: the medium ends in that drive or the mount fails" {
	mkdir "$MNT/sessions/s"
	exec 5<>"$MNT/sessions/s/ctl"
	# mounted by this session in d0: drive=d1 fails, it never answers d0
	echo "mount T00005L6 drive=d0" >&5
	read -r reply <&5
	[ "$reply" = "ok request 1 drive=d0" ]
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00005L6 drive=d1\n'
	assert_output EBUSY
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_BUSY 170 "* ]]
	[ "$(cat "$MNT/media/T00005L6/location")" = "drive d0" ]
	n=$(ls "$MNT/requests" | sort -n | tail -1)
	[ "$(cat "$MNT/requests/$n/state")" = failed ]
	[[ "$(cat "$MNT/requests/$n/error")" == "ERROR_BUSY 170 "*"mounted in drive d0" ]]
	# the same drive is answered as before
	echo "mount T00005L6 drive=d0" >&5
	read -r reply <&5
	[[ "$reply" == "ok request "*" drive=d0" ]]
	# dismountable in d0: drive=d1 moves it there
	echo "dismount T00005L6 deferred" >&5
	read -r reply <&5
	wait_for "$MNT/drives/d0/state" dismountable
	echo "mount T00005L6 drive=d1" >&5
	read -r reply <&5
	exec 5>&-
	[[ "$reply" == "ok request "*" drive=d1" ]]
	[ "$(cat "$MNT/media/T00005L6/location")" = "drive d1" ]
	[ "$(cat "$MNT/drives/d1/state")" = mounted ]
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
}

@test "a multi-line write failing on line 2 fails with line 2's errno; line 1 keeps its effect" {
	mkdir "$MNT/sessions/s"
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00009L6\nmount NOSUCH\nmount T00010L6\n'
	assert_output ENOENT
	[ "$(cat "$MNT/media/T00009L6/state")" = mounted ]
	[ "$(cat "$MNT/media/T00010L6/state")" = idle ]
	[ "$(ls "$MNT/requests" | wc -l)" -eq 1 ]
}

@test "an interrupted blocking mount returns EINTR and its queued request is cancelled" {
	mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	ctl a "mount T00001L6"
	run $PROBE write-eintr "$MNT/sessions/b/ctl" "mount T00001L6" 0.5
	assert_output --regexp '^EINTR 0\.[5-9]'
	wait_for "$MNT/requests/2/state" cancelled
	[[ "$(cat "$MNT/requests/2/error")" == "ERROR_CANCELLED 1223 "* ]]
	# the daemon goes on serving
	ctl a "dismount T00001L6"
}

@test "a background job ending (SIGCHLD) does not break a blocked mount" {
	teardown_rsmfs
	MOVE=1 setup_rsmfs
	mkdir "$MNT/sessions/s"
	run bash -c "sleep 0.3 & echo 'mount T00001L6' > '$MNT/sessions/s/ctl'"
	assert_success
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
}

@test "Ctrl-C on a blocked echo ends it within a second" {
	mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	ctl a "mount T00001L6"
	start=$(date +%s%N)
	run timeout -s INT 0.5 bash -c "echo 'mount T00001L6' > '$MNT/sessions/b/ctl'"
	[ $((($(date +%s%N) - start) / 1000000)) -lt 1500 ]
	wait_for "$MNT/requests/2/state" cancelled
}

@test "a blocked mount that fails later is logged with the command as written" {
	mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	ctl a "mount T00001L6"
	run $PROBE write "$MNT/sessions/b/ctl" 'mount T00001L6 timeout=0.2\n'
	assert_output ETIMEDOUT
	run tail -n1 "$MNT/error_log"
	assert_output --partial 'sessions/b/ctl "mount T00001L6 timeout=0.2" ERROR_TIMEOUT 1460'
}
