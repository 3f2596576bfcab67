#!/usr/bin/env bats
# Standalone drives (a library of type standalone, rsmfs.conf(5)): one drive and a shelf, the
# operator for a robot.  A mount of a shelf cartridge asks the operator to insert it (a
# movemedia operator request), a dismount asks for it to be taken out; the sim's hands
# (libraries/desk0/sim/ctl insert/remove) are the operator's.  The last test drives a real
# tape drive: a tape LUN of tgtd on 127.0.0.1 (tgt.bash).

load helper
load tgt

# write_sa_config - the changer vtl0 (drives d0 and d1, T00001L6 and T00002L6) and the
# standalone desk0 (drive d2, T00003L6 to T00005L6 on its shelf)
write_sa_config() {
	MEDIA=2 write_config
	cat >>"$TESTDIR/rsmfs.conf" <<-CONF

	[library desk0]
	type = standalone
	media = 3
	media_type = LTO-6
	load_time = 0
	unload_time = 0
	CONF
}

setup() {
	TESTDIR=$(mktemp -d /tmp/rsmfs-bats.XXXXXX)
	chmod 755 "$TESTDIR"
	MNT=$TESTDIR/mnt
	mkdir -p "$MNT" "$TESTDIR/data"
	write_sa_config
	start_rsmfs
	mkdir "$MNT/sessions/s"
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
last_request() { ls "$MNT/requests" | sort -n | tail -1; }

# on_shelf MEDIUM - the catalog has MEDIUM on the shelf
on_shelf() {
	[ "$(cat "$MNT/media/$1/state")" = offline ] &&
		[ "$(cat "$MNT/media/$1/location")" = shelf ] ||
		{ echo "$1: $(cat "$MNT/media/$1/state") at $(cat "$MNT/media/$1/location")" >&2; return 1; }
}

# mount_bg SESSION MEDIUM - a blocking mount in the background; its errno goes to
# $TESTDIR/out.SESSION and its pid to $writer
mount_bg() {
	$PROBE write "$MNT/sessions/$1/ctl" "mount $2\\n" >"$TESTDIR/out.$1" &
	writer=$!
}

# opreq_request N - the request operator request N was raised for
opreq_request() { basename "$(readlink "$MNT/opreqs/$1/request")"; }

@test "the tree: type standalone, no slots or ports, its drive named after the changer's, media on the shelf" {
	[ "$(cat "$MNT/libraries/desk0/type")" = standalone ]
	[ "$(cat "$MNT/libraries/vtl0/type")" = changer ]
	[ "$(cat "$MNT/libraries/desk0/backend")" = sim ]
	[ "$(cat "$MNT/libraries/desk0/state")" = online ]
	[ -z "$(cat "$MNT/libraries/desk0/slots")" ]
	[ -z "$(cat "$MNT/libraries/desk0/ports")" ]
	# drive names run across libraries: d0 and d1 for vtl0, then d2 for desk0
	[ "$(ls "$MNT/libraries/vtl0/drives" | tr '\n' ' ')" = "d0 d1 " ]
	[ "$(ls "$MNT/libraries/desk0/drives" | tr '\n' ' ')" = "d2 " ]
	[ "$(readlink "$MNT/libraries/desk0/drives/d2")" = ../../../drives/d2 ]
	[ "$(cat "$MNT/drives/d2/state")" = empty ]
	for m in T00003L6 T00004L6 T00005L6; do
		on_shelf $m
		[ "$(readlink "$MNT/media/$m/pool")" = ../../pools/free ]
	done
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ]
	[ "$(ls "$MNT/media" | wc -l)" -eq 5 ]
}

@test "configuration: drives 1 and slots/ports 0 may be given; more drives, slots or ports are refused" {
	stop_rsmfs
	sed -i 's/^type = standalone$/&\ndrives = 1\nslots = 0\nports = 0/' "$TESTDIR/rsmfs.conf"
	grep -qx 'drives = 1' "$TESTDIR/rsmfs.conf"
	start_rsmfs
	[ "$(ls "$MNT/libraries/desk0/drives")" = d2 ]
	stop_rsmfs
	cp "$TESTDIR/rsmfs.conf" "$TESTDIR/good.conf"
	for bad in 'drives = 2' 'slots = 4' 'ports = 1'; do
		key=${bad%% *}
		sed "/^\[library desk0\]/,\$s/^$key = .*/$bad/" "$TESTDIR/good.conf" >"$TESTDIR/rsmfs.conf"
		grep -qx "$bad" "$TESTDIR/rsmfs.conf"
		run timeout 10 "$RSMFS" -f -c "$TESTDIR/rsmfs.conf" "$MNT"
		echo "$bad: $output (status $status)" >&2
		[ "$status" -eq 1 ]
		[[ "$output" == *"library desk0: a standalone library has one drive and no slots or ports"* ]]
		run mountpoint -q "$MNT"
		[ "$status" -ne 0 ]
	done
	# a real standalone drive is drive.0 and no changer
	cat >"$TESTDIR/rsmfs.conf" <<-CONF
	[rsmfs]
	database = $TESTDIR/data/rsm.db
	[library desk1]
	type = standalone
	backend = scsi
	changer = iscsi://127.0.0.1:3260/iqn.2026-11.org.rsmfs:none/3
	drive.0 = iscsi://127.0.0.1:3260/iqn.2026-11.org.rsmfs:none/1
	CONF
	run timeout 10 "$RSMFS" -f -c "$TESTDIR/rsmfs.conf" "$MNT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"library desk1: a standalone scsi drive needs drive.0 and no changer"* ]]
	sed -i '/^changer/d; /^drive.0/d' "$TESTDIR/rsmfs.conf"
	run timeout 10 "$RSMFS" -f -c "$TESTDIR/rsmfs.conf" "$MNT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"library desk1: a standalone scsi drive needs drive.0 and no changer"* ]]
	! mountpoint -q "$MNT"
}

@test "a library's type or backend cannot change under its catalog: refused, its record kept" {
	ctl s "mount T00001L6"
	stop_rsmfs
	cp "$TESTDIR/data/sim/vtl0.state" "$TESTDIR/vtl0.state.before"
	cp "$TESTDIR/rsmfs.conf" "$TESTDIR/good.conf"
	sed -i '/^\[library vtl0\]/a type = standalone' "$TESTDIR/rsmfs.conf"
	sed -i '/^\[library vtl0\]/,/^\[/{/^drives\|^slots\|^ports/d}' "$TESTDIR/rsmfs.conf"
	run timeout 10 "$RSMFS" -f -c "$TESTDIR/rsmfs.conf" "$MNT"
	echo "$output" >&2
	[ "$status" -eq 1 ]
	[[ "$output" == *"library vtl0 is a changer library with backend sim in the catalog, not standalone with sim as configured"* ]]
	! mountpoint -q "$MNT"
	cmp "$TESTDIR/vtl0.state.before" "$TESTDIR/data/sim/vtl0.state"
	cp "$TESTDIR/good.conf" "$TESTDIR/rsmfs.conf"
	start_rsmfs
	[ "$(cat "$MNT/media/T00001L6/location")" = "drive d0" ]
}

@test "a mount of a shelf cartridge asks the operator to insert it; satisfy mounts it" {
	mount_bg s T00003L6
	wait_for "$MNT/opreqs/1/type" movemedia
	[ "$(cat "$MNT/opreqs/1/message")" = "insert T00003L6 into desk0/d2" ]
	[ "$(cat "$MNT/opreqs/1/state")" = submitted ]
	n=$(opreq_request 1)
	[ "$(cat "$MNT/requests/$n/operation")" = mount ]
	[ "$(cat "$MNT/requests/$n/medium")" = T00003L6 ]
	[ "$(cat "$MNT/requests/$n/state")" = waiting ]
	# the mount waits for the operator, not for a time
	kill -0 "$writer"
	on_shelf T00003L6
	[ "$(cat "$MNT/drives/d2/state")" = empty ]
	echo satisfy >"$MNT/opreqs/1/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = OK ]
	[ "$(cat "$MNT/requests/$n/state")" = passed ]
	[ "$(cat "$MNT/requests/$n/drive")" = d2 ]
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	[ "$(cat "$MNT/drives/d2/state")" = mounted ]
	[ "$(cat "$MNT/drives/d2/session")" = s ]
	[ "$(readlink "$MNT/drives/d2/medium")" = ../../media/T00003L6 ]
	[ "$(cat "$MNT/media/T00003L6/state")" = mounted ]
	[ "$(cat "$MNT/media/T00003L6/location")" = "drive d2" ]
	# only one operator request, and the changer's media are untouched
	[ "$(ls "$MNT/opreqs")" = 1 ]
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ]
}

@test "offline-error fails a mount of a shelf cartridge at once with ENOMEDIUM" {
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00004L6 offline-error\n'
	[ "$output" = ENOMEDIUM ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_MEDIA_OFFLINE* ]]
	[ -z "$(ls "$MNT/opreqs")" ]
	on_shelf T00004L6
	[ "$(cat "$MNT/drives/d2/state")" = empty ]
}

@test "the operator's hands: insert <barcode> drive, or insert <barcode>, answers the waiting mount" {
	mount_bg s T00003L6
	wait_for "$MNT/opreqs/1/type" movemedia
	echo "insert T00003L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = OK ]
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	[ "$(cat "$MNT/media/T00003L6/state")" = mounted ]
	[ "$(cat "$MNT/media/T00003L6/location")" = "drive d2" ]
	[ "$(cat "$MNT/drives/d2/state")" = mounted ]
	ctl s "dismount T00003L6"
	wait_for "$MNT/opreqs/2/type" movemedia
	echo "remove drive" >"$MNT/libraries/desk0/sim/ctl"
	wait_for "$MNT/media/T00003L6/location" shelf
	# the same without the word drive: a standalone has no ports
	mount_bg s T00004L6
	wait_for "$MNT/opreqs/3/type" movemedia
	[ "$(cat "$MNT/opreqs/3/message")" = "insert T00004L6 into desk0/d2" ]
	run $PROBE write "$MNT/libraries/desk0/sim/ctl" 'insert T00004L6 port=0\n'
	[ "$output" = EINVAL ]
	echo "insert T00004L6" >"$MNT/libraries/desk0/sim/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = OK ]
	[ "$(cat "$MNT/opreqs/3/state")" = complete ]
	[ "$(cat "$MNT/media/T00004L6/location")" = "drive d2" ]
	[ "$(cat "$MNT/drives/d2/state")" = mounted ]
}

@test "the wrong cartridge in the drive fails the mount with ERROR_INVALID_MEDIA; the catalog follows the drive" {
	mount_bg s T00003L6
	wait_for "$MNT/opreqs/1/type" movemedia
	n=$(opreq_request 1)
	# the operator inserts T00004L6 instead
	echo "insert T00004L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = ENOENT ]
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_INVALID_MEDIA 4300"* ]]
	[ "$(cat "$MNT/requests/$n/state")" = failed ]
	[[ "$(cat "$MNT/requests/$n/error")" == "ERROR_INVALID_MEDIA 4300"* ]]
	[ "$(cat "$MNT/media/T00004L6/location")" = "drive d2" ]
	[ "$(cat "$MNT/media/T00004L6/state")" = dismountable ]
	[ "$(readlink "$MNT/drives/d2/medium")" = ../../media/T00004L6 ]
	[ "$(cat "$MNT/drives/d2/state")" = dismountable ]
	on_shelf T00003L6
	[ -z "$(cat "$MNT/drives/d2/session")" ]
	# what the operator put in is usable: a mount of it takes it where it is
	ctl s "mount T00004L6"
	[ "$(cat "$MNT/drives/d2/state")" = mounted ]
	[ "$(ls "$MNT/opreqs")" = 1 ]
}

@test "two mounts wait for the one drive: the cartridge the operator inserts answers its own mount" {
	mkdir "$MNT/sessions/s2"
	mount_bg s T00003L6
	w1=$writer
	wait_for "$MNT/opreqs/1/type" movemedia
	mount_bg s2 T00004L6
	w2=$writer
	wait_for "$MNT/opreqs/2/type" movemedia
	[ "$(cat "$MNT/opreqs/2/message")" = "insert T00004L6 into desk0/d2" ]
	# the operator picks the second request's cartridge
	echo "insert T00004L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	wait "$w2"
	[ "$(cat "$TESTDIR/out.s2")" = OK ]
	[ "$(cat "$MNT/opreqs/2/state")" = complete ]
	[ "$(cat "$MNT/drives/d2/session")" = s2 ]
	[ "$(cat "$MNT/media/T00004L6/location")" = "drive d2" ]
	# the first mount still waits for its own cartridge, its operator request open
	[ "$(cat "$MNT/opreqs/1/state")" = submitted ]
	n=$(opreq_request 1)
	[ "$(cat "$MNT/requests/$n/state")" = waiting ]
	kill -0 "$w1"
	on_shelf T00003L6
	# once the drive is free again, the operator brings it
	ctl s2 "dismount T00004L6"
	wait_for "$MNT/opreqs/3/type" movemedia
	echo "remove drive" >"$MNT/libraries/desk0/sim/ctl"
	wait_for "$MNT/media/T00004L6/location" shelf
	echo "insert T00003L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	wait "$w1"
	[ "$(cat "$TESTDIR/out.s")" = OK ]
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	[ "$(cat "$MNT/drives/d2/session")" = s ]
	[ "$(cat "$MNT/media/T00003L6/state")" = mounted ]
}

@test "insert with no mount waiting: dismountable in the drive, mounted later with no operator request; remove and its errors" {
	echo "insert T00004L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	[ "$(cat "$MNT/media/T00004L6/location")" = "drive d2" ]
	[ "$(cat "$MNT/media/T00004L6/state")" = dismountable ]
	[ "$(cat "$MNT/drives/d2/state")" = dismountable ]
	# the drive is full
	run $PROBE write "$MNT/libraries/desk0/sim/ctl" 'insert T00005L6 drive\n'
	[ "$output" = EBUSY ]
	on_shelf T00005L6
	ctl s "mount T00004L6"
	[ "$(cat "$MNT/drives/d2/state")" = mounted ]
	[ "$(cat "$MNT/media/T00004L6/state")" = mounted ]
	[ -z "$(ls "$MNT/opreqs")" ]
	# a mounted cartridge is not the operator's to take
	run $PROBE write "$MNT/libraries/desk0/sim/ctl" 'remove drive\n'
	[ "$output" = EBUSY ]
	[ "$(cat "$MNT/media/T00004L6/location")" = "drive d2" ]
	ctl s "dismount T00004L6 deferred"
	wait_for "$MNT/drives/d2/state" dismountable
	[ -z "$(ls "$MNT/opreqs")" ]
	echo "remove drive" >"$MNT/libraries/desk0/sim/ctl"
	on_shelf T00004L6
	[ "$(cat "$MNT/drives/d2/state")" = empty ]
	[ ! -e "$MNT/drives/d2/medium" ]
	run $PROBE write "$MNT/libraries/desk0/sim/ctl" 'remove drive\n'
	[ "$output" = ENOENT ]
	run $PROBE write "$MNT/libraries/desk0/sim/ctl" 'remove\n'
	[ "$output" = ENOENT ]
	# plain remove takes an idle cartridge out too
	echo "insert T00005L6" >"$MNT/libraries/desk0/sim/ctl"
	[ "$(cat "$MNT/drives/d2/state")" = dismountable ]
	echo "remove" >"$MNT/libraries/desk0/sim/ctl"
	on_shelf T00005L6
	[ "$(cat "$MNT/drives/d2/state")" = empty ]
}

@test "dismount: the drive unloads and the operator is asked to take the cartridge out; satisfy puts it on the shelf" {
	mount_bg s T00003L6
	wait_for "$MNT/opreqs/1/type" movemedia
	echo satisfy >"$MNT/opreqs/1/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = OK ]
	ctl s "dismount T00003L6"
	n=$(last_request)
	[ "$(cat "$MNT/requests/$n/operation")" = dismount ]
	wait_for "$MNT/opreqs/2/type" movemedia
	[ "$(cat "$MNT/opreqs/2/message")" = "take T00003L6 out of desk0/d2 and put it on the shelf" ]
	[ "$(cat "$MNT/opreqs/2/state")" = submitted ]
	[ "$(opreq_request 2)" = "$n" ]
	# the request waits for the operator's hands
	[ "$(cat "$MNT/requests/$n/state")" = inprocess ]
	[ "$(cat "$MNT/media/T00003L6/location")" = "drive d2" ]
	echo satisfy >"$MNT/opreqs/2/ctl"
	wait_for "$MNT/requests/$n/state" passed
	[ "$(cat "$MNT/opreqs/2/state")" = complete ]
	on_shelf T00003L6
	[ "$(cat "$MNT/drives/d2/state")" = empty ]
	[ ! -e "$MNT/drives/d2/medium" ]
	# the drive is empty for the sim too: the next insert is not EBUSY
	echo "insert T00004L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	[ "$(cat "$MNT/media/T00004L6/location")" = "drive d2" ]
}

@test "dismount answered by the sim's hands: remove drive takes it out and the dismount passes" {
	echo "insert T00003L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	ctl s "mount T00003L6"
	ctl s "dismount T00003L6"
	n=$(last_request)
	wait_for "$MNT/opreqs/1/type" movemedia
	[ "$(cat "$MNT/requests/$n/state")" = inprocess ]
	echo "remove drive" >"$MNT/libraries/desk0/sim/ctl"
	wait_for "$MNT/requests/$n/state" passed
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	on_shelf T00003L6
	[ "$(cat "$MNT/drives/d2/state")" = empty ]
	run $PROBE write "$MNT/libraries/desk0/sim/ctl" 'remove drive\n'
	[ "$output" = ENOENT ]
}

@test "dismount deferred leaves the cartridge dismountable in the drive with no operator request" {
	echo "insert T00003L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	ctl s "mount T00003L6"
	ctl s "dismount T00003L6 deferred"
	n=$(last_request)
	wait_for "$MNT/requests/$n/state" passed
	wait_for "$MNT/drives/d2/state" dismountable
	[ "$(cat "$MNT/media/T00003L6/state")" = dismountable ]
	[ "$(cat "$MNT/media/T00003L6/location")" = "drive d2" ]
	[ -z "$(ls "$MNT/opreqs")" ]
}

@test "a mount of another cartridge: take the old one out, then insert the new; satisfy swaps them" {
	echo "insert T00003L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	ctl s "mount T00003L6"
	ctl s "dismount T00003L6 deferred"
	wait_for "$MNT/drives/d2/state" dismountable
	mount_bg s T00004L6
	wait_for "$MNT/opreqs/1/type" movemedia
	[ "$(cat "$MNT/opreqs/1/message")" = \
		"take T00003L6 out of desk0/d2, then insert T00004L6 into it" ]
	n=$(opreq_request 1)
	[ "$(cat "$MNT/requests/$n/state")" = waiting ]
	echo satisfy >"$MNT/opreqs/1/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = OK ]
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	on_shelf T00003L6
	[ "$(cat "$MNT/media/T00004L6/state")" = mounted ]
	[ "$(cat "$MNT/media/T00004L6/location")" = "drive d2" ]
	[ "$(readlink "$MNT/drives/d2/medium")" = ../../media/T00004L6 ]
	[ "$(cat "$MNT/drives/d2/state")" = mounted ]
	[ "$(ls "$MNT/opreqs")" = 1 ]
	# the sim's drive holds the new one, not the old: the operator's hands take out T00004L6
	ctl s "dismount T00004L6 deferred"
	wait_for "$MNT/drives/d2/state" dismountable
	echo "remove drive" >"$MNT/libraries/desk0/sim/ctl"
	on_shelf T00004L6
	on_shelf T00003L6
	[ "$(cat "$MNT/drives/d2/state")" = empty ]
}

@test "a mount of another cartridge answered by the sim's hands: remove the old, insert the new" {
	echo "insert T00003L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	mount_bg s T00004L6
	wait_for "$MNT/opreqs/1/type" movemedia
	[ "$(cat "$MNT/opreqs/1/message")" = \
		"take T00003L6 out of desk0/d2, then insert T00004L6 into it" ]
	echo "remove drive" >"$MNT/libraries/desk0/sim/ctl"
	on_shelf T00003L6
	# the mount still waits for the new cartridge
	kill -0 "$writer"
	[ "$(cat "$MNT/opreqs/1/state")" = submitted ]
	echo "insert T00004L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = OK ]
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	[ "$(cat "$MNT/media/T00004L6/location")" = "drive d2" ]
	[ "$(cat "$MNT/drives/d2/state")" = mounted ]
	on_shelf T00003L6
}

@test "a restart keeps the cartridge in the drive; a mount of it needs no operator" {
	echo "insert T00005L6 drive" >"$MNT/libraries/desk0/sim/ctl"
	stop_rsmfs
	start_rsmfs
	[ "$(cat "$MNT/media/T00005L6/location")" = "drive d2" ]
	[ "$(cat "$MNT/media/T00005L6/state")" = dismountable ]
	[ "$(cat "$MNT/drives/d2/state")" = dismountable ]
	on_shelf T00003L6
	mkdir "$MNT/sessions/s"
	ctl s "mount T00005L6"
	[ "$(cat "$MNT/drives/d2/state")" = mounted ]
	[ -z "$(ls "$MNT/opreqs")" ]
	# stopped while mounted: the session is gone, the cartridge is still in the drive
	stop_rsmfs
	start_rsmfs
	[ "$(cat "$MNT/media/T00005L6/location")" = "drive d2" ]
	[ "$(cat "$MNT/drives/d2/state")" = dismountable ]
	mkdir "$MNT/sessions/s"
	ctl s "mount T00005L6"
	[ "$(cat "$MNT/drives/d2/state")" = mounted ]
	[ -z "$(ls "$MNT/opreqs")" ]
	# and it is still the sim's: the drive is full, a dismount asks the operator
	run $PROBE write "$MNT/libraries/desk0/sim/ctl" 'insert T00004L6 drive\n'
	[ "$output" = EBUSY ]
	ctl s "dismount T00005L6"
	wait_for "$MNT/opreqs/1/type" movemedia
	echo "remove drive" >"$MNT/libraries/desk0/sim/ctl"
	wait_for "$MNT/media/T00005L6/location" shelf
}

@test "add puts a new cartridge on the shelf: administrators only, EEXIST, EINVAL" {
	stop_rsmfs
	start_rsmfs -o allow_other
	echo "add N00001L6" >"$MNT/libraries/desk0/ctl"
	on_shelf N00001L6
	[ "$(readlink "$MNT/media/N00001L6/pool")" = ../../pools/free ]
	[ "$(cat "$MNT/media/N00001L6/sides/0/state")" = available ]
	[ -L "$MNT/pools/free/media/N00001L6" ]
	run $PROBE write "$MNT/libraries/desk0/ctl" 'add N00001L6\n'
	[ "$output" = EEXIST ]
	run $PROBE write "$MNT/libraries/desk0/ctl" 'add T00001L6\n'
	[ "$output" = EEXIST ]
	run $PROBE write "$MNT/libraries/desk0/ctl" 'add bad:code\n'
	[ "$output" = EINVAL ]
	run $PROBE write "$MNT/libraries/desk0/ctl" 'add\n'
	[ "$output" = EINVAL ]
	run setpriv --reuid=4242 --regid=4242 --clear-groups -- \
		$PROBE write "$MNT/libraries/desk0/ctl" 'add N00002L6\n'
	[ "$output" = EACCES ]
	[ ! -e "$MNT/media/N00002L6" ]
	# the new cartridge is mounted like any other shelf cartridge
	mkdir "$MNT/sessions/s"
	mount_bg s N00001L6
	wait_for "$MNT/opreqs/1/type" movemedia
	[ "$(cat "$MNT/opreqs/1/message")" = "insert N00001L6 into desk0/d2" ]
	echo satisfy >"$MNT/opreqs/1/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = OK ]
	[ "$(cat "$MNT/media/N00001L6/location")" = "drive d2" ]
	# it survives a restart
	stop_rsmfs
	start_rsmfs
	[ "$(cat "$MNT/media/N00001L6/location")" = "drive d2" ]
}

@test "scsi: a real tape drive; TEST UNIT READY decides the mount, the operator inserts and removes" {
	[ "$(id -u)" -eq 0 ] || skip "tgtd needs root"
	command -v tgtd >/dev/null || skip "tgt is not installed (scripts/install-deps)"
	stop_rsmfs
	tgt_setup
	DRIVE1_URL=iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/1
	# a catalog of its own: only the real drive
	cat >"$TESTDIR/rsmfs.conf" <<-CONF
	[rsmfs]
	database = $TESTDIR/data/scsi.db

	[library desk1]
	type = standalone
	backend = scsi
	drive.0 = $DRIVE1_URL
	media_type = LTO-6
	CONF
	start_rsmfs
	mkdir "$MNT/sessions/s"
	[ "$(cat "$MNT/libraries/desk1/type")" = standalone ]
	[ "$(cat "$MNT/libraries/desk1/backend")" = scsi ]
	[ "$(ls "$MNT/libraries/desk1/drives")" = d0 ]
	[ "$(cat "$MNT/drives/d0/device")" = "$DRIVE1_URL" ]
	[ -z "$(ls "$MNT/media")" ]
	# no sim: the operator's hands are real
	[ ! -e "$MNT/libraries/desk1/sim" ]
	echo "add A00009L6" >"$MNT/libraries/desk1/ctl"
	on_shelf A00009L6
	# tgt's tape LUN is offline: no cartridge loaded, TEST UNIT READY fails
	mount_bg s A00009L6
	wait_for "$MNT/opreqs/1/type" movemedia
	[ "$(cat "$MNT/opreqs/1/message")" = "insert A00009L6 into desk1/d0" ]
	n=$(opreq_request 1)
	echo satisfy >"$MNT/opreqs/1/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = ENOENT ]
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_INVALID_MEDIA 4300"* ]]
	[ "$(cat "$MNT/requests/$n/state")" = failed ]
	grep -q 'no cartridge ready' "$MNT/requests/$n/error"
	on_shelf A00009L6
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	# the operator loads it for real: the LUN comes online
	tgtadm_ --mode logicalunit --op update --tid 1 --lun 1 --params online=1
	mount_bg s A00009L6
	wait_for "$MNT/opreqs/2/type" movemedia
	echo satisfy >"$MNT/opreqs/2/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = OK ]
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
	[ "$(cat "$MNT/media/A00009L6/state")" = mounted ]
	[ "$(cat "$MNT/media/A00009L6/location")" = "drive d0" ]
	[ "$(cat "$MNT/opreqs/2/state")" = complete ]
	# the dismount unloads the drive and asks for the cartridge to be taken out
	ctl s "dismount A00009L6"
	n=$(last_request)
	wait_for "$MNT/opreqs/3/type" movemedia
	[ "$(cat "$MNT/opreqs/3/message")" = "take A00009L6 out of desk1/d0 and put it on the shelf" ]
	[ "$(cat "$MNT/requests/$n/state")" = inprocess ]
	echo satisfy >"$MNT/opreqs/3/ctl"
	wait_for "$MNT/requests/$n/state" passed
	[ "$(cat "$MNT/opreqs/3/state")" = complete ]
	on_shelf A00009L6
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	# tgt reads LOAD UNLOAD as START STOP UNIT without LOEJ: the LUN stays online after the
	# unload (TEST UNIT READY still GOOD).  The test takes the cartridge out as the operator
	# did; the next mount finds the drive empty again
	tgtadm_ --mode logicalunit --op update --tid 1 --lun 1 --params online=0
	mount_bg s A00009L6
	wait_for "$MNT/opreqs/4/type" movemedia
	echo satisfy >"$MNT/opreqs/4/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out.s")" = ENOENT ]
	on_shelf A00009L6
}
