#!/usr/bin/env bats
# The scsi backend against a real SMC-3 changer: tgtd's virtual tape library on 127.0.0.1,
# reached over iSCSI.  What rsmfs did is checked through the mount and, independently, by
# READ ELEMENT STATUS commands the test sends itself (tests/tools/smc_probe).

load helper
load tgt

setup() {
	[ "$(id -u)" -eq 0 ] || skip "tgtd needs root"
	command -v tgtd >/dev/null || skip "tgt is not installed (scripts/install-deps)"
	TESTDIR=$(mktemp -d /tmp/rsmfs-scsi.XXXXXX)
	chmod 755 "$TESTDIR"
	MNT=$TESTDIR/mnt
	mkdir -p "$MNT" "$TESTDIR/data"
	tgt_setup
	write_scsi_config
	start_rsmfs
	mkdir "$MNT/sessions/s1" "$MNT/sessions/s2"
}

teardown() {
	local j
	for j in $(jobs -p); do
		[ "$j" = "${RSMFS_PID:-}" ] || [ "$j" = "${TGT_PID:-}" ] || kill "$j" 2>/dev/null || true
	done
	stop_rsmfs
	tgt_stop
	rm -rf "$TESTDIR"
}

# last_request - the number of the newest request
last_request() {
	ls "$MNT/requests" | sort -n | tail -1
}

@test "inventory at start-up matches the changer's barcodes, slots, port and drives" {
	[ "$(cat "$MNT/libraries/lib1/backend")" = scsi ]
	[ "$(cat "$MNT/libraries/lib1/changer")" = "$CHANGER_URL" ]
	[ "$(cat "$MNT/libraries/lib1/state")" = online ]
	run cat "$MNT/libraries/lib1/slots"
	assert_output "0 full A00001L6
1 full A00002L6
2 full A00003L6
3 full A00004L6
4 empty -
5 empty -
6 empty -
7 empty -"
	[ "$(cat "$MNT/libraries/lib1/ports")" = "0 empty -" ]
	[ "$(ls "$MNT/libraries/lib1/drives" | tr '\n' ' ')" = "d0 d1 " ]
	# d0 found by the serial in its DVCID identifier, d1 from drive.1
	[ "$(cat "$MNT/drives/d0/device")" = "iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/1" ]
	[ "$(cat "$MNT/drives/d1/device")" = "$DRIVE2_URL" ]
	# unknown barcodes are imported
	[ "$(cat "$MNT/media/A00003L6/location")" = "slot 2" ]
	[ "$(readlink "$MNT/media/A00003L6/pool")" = ../../pools/import ]
	! grep -q 'check the mapping' "$TESTDIR/rsmfs.err"
}

@test "drive mapping: a contradicted drive.N and an unmatchable identifier are reported" {
	stop_rsmfs
	# drive.0 names the second drive's LUN; drive 1 has no drive.1 and a cut identifier
	sed -i -e "s|^drive.1 = .*|drive.0 = $DRIVE2_URL|" "$TESTDIR/rsmfs.conf"
	start_rsmfs
	grep -q "drive.0 = $DRIVE2_URL has serial beaf12, but the changer's drive element 1 says" \
		"$TESTDIR/rsmfs.err"
	grep -q 'drive element 2 .*cut short by the device.*set drive.1' "$TESTDIR/rsmfs.err"
	[ "$(cat "$MNT/drives/d0/device")" = "$DRIVE2_URL" ]
	[ "$(cat "$MNT/drives/d1/device")" = "" ]
}

@test "mount and dismount move the cartridges in the changer" {
	ctl s1 "mount A00002L6"
	[ "$(cat "$MNT/media/A00002L6/location")" = "drive d0" ]
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
	# the changer itself says so
	[ "$(element 1 drive)" = "1 full A00002L6" ]
	[ "$(element 1001 slot)" = "1001 empty" ]
	ctl s1 "mount A00004L6"
	[ "$(element 2 drive)" = "2 full A00004L6" ]
	ctl s1 "dismount A00002L6"
	wait_for "$MNT/media/A00002L6/location" "slot 1"
	[ "$(element 1001 slot)" = "1001 full A00002L6" ]
	[ "$(element 1 drive)" = "1 empty" ]
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	[ "$(cat "$MNT/libraries/lib1/stats" | awk '$1=="moves"{print $2}')" = 3 ]
}

@test "a deferred dismount leaves the cartridge in the drive and the next mount takes it there" {
	ctl s1 "mount A00001L6"
	ctl s1 "dismount A00001L6 deferred"
	wait_for "$MNT/drives/d0/state" dismountable
	[ "$(element 1 drive)" = "1 full A00001L6" ]
	moves=$(awk '$1=="moves"{print $2}' "$MNT/libraries/lib1/stats")
	ctl s2 "mount A00001L6"
	[ "$(cat "$MNT/drives/d0/session")" = s2 ]
	[ "$(awk '$1=="moves"{print $2}' "$MNT/libraries/lib1/stats")" = "$moves" ]
	[ "$(element 1 drive)" = "1 full A00001L6" ]
	# a mount of another cartridge evicts nothing that is mounted: it takes the other drive
	ctl s1 "mount A00003L6"
	[ "$(element 2 drive)" = "2 full A00003L6" ]
}

@test "eject and inject go through the import/export port" {
	echo "eject A00003L6" >"$MNT/libraries/lib1/ctl"
	wait_for "$MNT/media/A00003L6/location" "port 0"
	[ "$(cat "$MNT/media/A00003L6/state")" = in-port ]
	[ "$(element 10 port)" = "10 full A00003L6" ]
	[ "$(element 1002 slot)" = "1002 empty" ]
	echo "inject" >"$MNT/libraries/lib1/ctl"
	wait_for "$MNT/media/A00003L6/state" idle
	[ "$(element 10 port)" = "10 empty" ]
	loc=$(cat "$MNT/media/A00003L6/location")
	addr=$((1000 + ${loc#slot }))
	[ "$(element $addr slot)" = "$addr full A00003L6" ]
	# a full port: the second eject fails with IEPORT_FULL, nothing moves
	echo "eject A00001L6" >"$MNT/libraries/lib1/ctl"
	wait_for "$MNT/media/A00001L6/location" "port 0"
	echo "eject A00002L6" >"$MNT/libraries/lib1/ctl"
	n=$(last_request)
	wait_for "$MNT/requests/$n/state" failed
	[ "$(element 1001 slot)" = "1001 full A00002L6" ]
}

@test "a queued mount is cancelled before the robot touches its cartridge" {
	ctl s1 "mount A00001L6"
	ctl s1 "mount A00002L6"
	# both drives are mounted: the third mount waits
	(echo "mount A00003L6" >"$MNT/sessions/s2/ctl") 2>"$TESTDIR/w.err" &
	writer=$!
	n=
	for _ in $(seq 100); do
		n=$(last_request)
		[ "$(cat "$MNT/requests/$n/operation" 2>/dev/null)" = mount ] &&
			[ "$(cat "$MNT/requests/$n/medium" 2>/dev/null)" = A00003L6 ] && break
		sleep 0.05
	done
	wait_for "$MNT/requests/$n/state" waiting
	echo cancel >"$MNT/requests/$n/ctl"
	wait "$writer" && status=0 || status=$?
	[ "$status" -ne 0 ]
	grep -q 'Operation canceled' "$TESTDIR/w.err"
	[ "$(cat "$MNT/requests/$n/state")" = cancelled ]
	[ "$(element 1002 slot)" = "1002 full A00003L6" ]
	[ "$(cat "$MNT/media/A00003L6/location")" = "slot 2" ]
}

@test "device errors surface as RSM errors with the sense kept: source empty, destination full" {
	# behind rsmfs's back: A00002L6 goes from slot 1 to slot 5
	run "$SMC_PROBE" "$CHANGER_URL" move 1001 1005
	assert_success
	run $PROBE write "$MNT/sessions/s1/ctl" 'mount A00002L6\n'
	assert_output EIO
	n=$(last_request)
	[ "$(cat "$MNT/requests/$n/state")" = failed ]
	grep -q 'sense 05/3B/0E' "$MNT/requests/$n/error"
	# nothing was lost: the catalog still has it where it last knew, the drive is free
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	# an inventory finds it where the operator put it
	echo "inventory" >"$MNT/libraries/lib1/ctl"
	wait_for "$MNT/media/A00002L6/location" "slot 5"
	ctl s1 "mount A00002L6"
	[ "$(element 1 drive)" = "1 full A00002L6" ]
	# the home slot 5 is filled behind rsmfs's back: the dismount's move finds it full
	run "$SMC_PROBE" "$CHANGER_URL" move 1003 1005
	assert_success
	ctl s1 "dismount A00002L6"
	n=$(last_request)
	wait_for "$MNT/requests/$n/state" failed
	grep -q 'sense 05/3B/0D' "$MNT/requests/$n/error"
	[ "$(cat "$MNT/media/A00002L6/location")" = "drive d0" ]
	[ "$(element 1 drive)" = "1 full A00002L6" ]
}

@test "a target that dies gives ENXIO and library offline; rsmfs recovers when it comes back" {
	ctl s1 "mount A00001L6"
	tgt_kill
	before=$(last_request)
	run $PROBE write "$MNT/sessions/s1/ctl" 'mount A00002L6\n'
	assert_output ENXIO
	n=$(last_request)
	# the mount's move found the target gone (unless the idle check saw it first)
	if [ "$n" != "$before" ]; then
		[ "$(cat "$MNT/requests/$n/state")" = failed ]
		grep -q 'the target closed the connection\|connection to the target broke' \
			"$MNT/requests/$n/error"
	fi
	[ "$(cat "$MNT/libraries/lib1/state")" = offline ]
	# while it is down, new work is refused at once
	run $PROBE write "$MNT/sessions/s1/ctl" 'mount A00003L6\n'
	assert_output ENXIO
	# reads are still served from memory
	[ "$(cat "$MNT/media/A00001L6/location")" = "drive d0" ]
	# it comes back without its state (tgt keeps none): every cartridge in its configured
	# slot; meanwhile the operator took A00004L6 out and put an unknown B00009L6 in
	tgtimg --op new --device-type tape --barcode B00009L6 --size 1 --type data \
		--file "$VTL/media/B00009L6" >/dev/null
	TGT_BARCODES="A00001L6 A00002L6 A00003L6 B00009L6"
	tgt_start
	wait_for "$MNT/libraries/lib1/state" online 10
	wait_for "$MNT/media/A00001L6/location" "slot 0"
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	[ "$(cat "$MNT/media/A00004L6/location")" = offline ]
	[ "$(cat "$MNT/media/A00004L6/state")" = offline ]
	[ "$(cat "$MNT/media/B00009L6/location")" = "slot 3" ]
	[ "$(readlink "$MNT/media/B00009L6/pool")" = ../../pools/import ]
	grep -q 'online' "$TESTDIR/rsmfs.err"
	ctl s1 "mount A00003L6"
	[ "$(element 1 drive)" = "1 full A00003L6" ]
}

@test "an idle library whose target dies shows offline without any request" {
	tgt_kill
	wait_for "$MNT/libraries/lib1/state" offline 15
	[ -z "$(ls "$MNT/requests")" ]
	tgt_start
	wait_for "$MNT/libraries/lib1/state" online 10
}

@test "a move left unsettled by a crash is read back at start-up and judged by the changer" {
	# freeze the target: the next move is sent but gets no answer
	kill -STOP "$TGT_PID"
	(echo "mount A00004L6" >"$MNT/sessions/s1/ctl") 2>/dev/null &
	n=
	for _ in $(seq 100); do
		n=$(last_request)
		[ -n "$n" ] && [ "$(cat "$MNT/requests/$n/state" 2>/dev/null)" = inprocess ] && break
		sleep 0.05
	done
	[ "$(cat "$MNT/requests/$n/state")" = inprocess ]
	sqlite3 "$TESTDIR/data/rsm.db" 'SELECT medium, source, destination FROM intents' |
		grep -q '^A00004L6|1003|1$'
	kill -KILL "$RSMFS_PID"
	wait "$RSMFS_PID" 2>/dev/null || true
	RSMFS_PID=
	fusermount3 -uz "$MNT"
	# the target wakes up and carries the move out
	kill -CONT "$TGT_PID"
	for _ in $(seq 50); do
		[ "$(element 1 drive)" = "1 full A00004L6" ] && break
		sleep 0.1
	done
	start_rsmfs
	grep -q 'died moving A00004L6 from element 1003 to 1.*element 1 (the destination) is full with A00004L6' \
		"$TESTDIR/rsmfs.err"
	[ "$(cat "$MNT/requests/$n/state")" = passed ]
	[ "$(cat "$MNT/media/A00004L6/location")" = "drive d0" ]
	[ "$(cat "$MNT/drives/d0/state")" = dismountable ]
	[ -z "$(sqlite3 "$TESTDIR/data/rsm.db" 'SELECT * FROM intents')" ]
}

@test "the daemon stops within seconds while the target is frozen in the middle of a move" {
	kill -STOP "$TGT_PID"
	(echo "mount A00001L6" >"$MNT/sessions/s1/ctl") 2>"$TESTDIR/w.err" &
	writer=$!
	n=
	for _ in $(seq 100); do
		n=$(last_request)
		[ -n "$n" ] && [ "$(cat "$MNT/requests/$n/state" 2>/dev/null)" = inprocess ] && break
		sleep 0.05
	done
	[ "$(cat "$MNT/requests/$n/state")" = inprocess ]
	start=$(date +%s%N)
	kill -TERM "$RSMFS_PID"
	for _ in $(seq 100); do
		kill -0 "$RSMFS_PID" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$RSMFS_PID" 2>/dev/null
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 3000 ]
	wait "$RSMFS_PID" 2>/dev/null || true
	RSMFS_PID=
	# the blocked mount write was answered, not left hanging
	wait "$writer" && status=0 || status=$?
	[ "$status" -ne 0 ]
	kill -CONT "$TGT_PID"
}

@test "the door and tgt's missing commands: PREVENT ALLOW and port locks are optional" {
	# tgt answers 05/20/00 to PREVENT ALLOW MEDIUM REMOVAL: rsmfs carries on
	echo open >"$MNT/libraries/lib1/door"
	wait_for "$MNT/libraries/lib1/door" open
	(echo "mount A00001L6" >"$MNT/sessions/s1/ctl") &
	writer=$!
	sleep 0.5
	[ "$(element 1000 slot)" = "1000 full A00001L6" ]
	echo closed >"$MNT/libraries/lib1/door"
	wait "$writer"
	[ "$(element 1 drive)" = "1 full A00001L6" ]
	! grep -q 'PREVENT' "$TESTDIR/rsmfs.err"
}

@test "inventory full sends INITIALIZE ELEMENT STATUS and reconciles hand moves" {
	run "$SMC_PROBE" "$CHANGER_URL" move 1000 10
	assert_success
	run "$SMC_PROBE" "$CHANGER_URL" move 1002 1007
	assert_success
	echo "inventory full" >"$MNT/libraries/lib1/ctl"
	n=$(last_request)
	wait_for "$MNT/requests/$n/state" passed
	[ "$(cat "$MNT/media/A00001L6/location")" = "port 0" ]
	[ "$(cat "$MNT/media/A00003L6/location")" = "slot 7" ]
	[ "$(cat "$MNT/libraries/lib1/ports")" = "0 full A00001L6" ]
}
