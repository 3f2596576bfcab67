#!/usr/bin/env bats
# One real changer used from three hosts of a site (rsmfs(8), SEVERAL HOSTS): tgtd's virtual
# tape library on 127.0.0.1 (tgt.bash), backend = scsi, the catalog on a PostgreSQL server of
# the file's own.  Each host gives its own drive devices: a both drives (drive.0 and drive.1),
# b only the second (drive.1), c neither (it names only a drive.2 the changer does not have:
# a host that names no drive at all has every drive the changer's identifiers find).  What
# the hosts did is checked through their mounts and, independently, by READ ELEMENT STATUS
# commands the test sends the changer itself (tests/tools/smc_probe).

load helper
load site_helper
load tgt

setup() {
	[ "$(id -u)" -eq 0 ] || skip "tgtd needs root"
	command -v tgtd >/dev/null || skip "tgt is not installed (scripts/install-deps)"
	TESTDIR=$(mktemp -d /tmp/rsmfs-sitescsi.XXXXXX)
	chmod 755 "$TESTDIR"
	MNT=$TESTDIR/a/mnt
	mkdir "$TESTDIR/data"
	tgt_setup
	LUN1=iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/1
	LUN2=iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/2
	cat >"$TESTDIR/rsmfs.conf" <<-CONF
	[rsmfs]
	$(catalog_config)
	busy_timeout = 0.2

	[library lib1]
	backend = scsi
	changer = $CHANGER_URL
	media_type = LTO-6
	CONF
	host_config a
	printf 'drive.0 = %s\ndrive.1 = %s\n' "$LUN1" "$LUN2" >>"$TESTDIR/a/rsmfs.conf"
	host_config b
	printf 'drive.1 = %s\n' "$LUN2" >>"$TESTDIR/b/rsmfs.conf"
	host_config c
	printf 'drive.2 = iscsi://127.0.0.1:%s/%s/4\n' "$TGT_PORT" "$TGT_IQN" \
		>>"$TESTDIR/c/rsmfs.conf"
	start_host a || { cat "$TESTDIR/a/rsmfs.err" "$TESTDIR/a/rsmfs.conf" >&2; false; }
	A_PID=$HOST_PID
	start_host b
	B_PID=$HOST_PID
	start_host c
	C_PID=$HOST_PID
	A=$TESTDIR/a/mnt
	B=$TESTDIR/b/mnt
	C=$TESTDIR/c/mnt
	wait_for "$B/libraries/lib1/manager" a
	wait_for "$C/libraries/lib1/manager" a
}

teardown() {
	local j pid mnt
	for j in $(jobs -p); do
		kill -CONT "$j" 2>/dev/null || true
	done
	while read -r pid mnt; do
		kill -CONT "$pid" 2>/dev/null || true # a frozen host
		stop_host "$pid" "$mnt"
	done <"$TESTDIR/hosts" 2>/dev/null || true
	tgt_stop
	RSMFS_PID=
	teardown_rsmfs
}

# changer_places - every cartridge where the changer itself says it is, as "<barcode> drive
# d<n>" / "<barcode> slot <n>" (element addresses: drives 1 and 2, slots 1000-1007), sorted
changer_places() {
	{
		elements drive | awk '$2 == "full" { print $3, "drive d" $1 - 1 }'
		elements slot | awk '$2 == "full" { print $3, "slot " $1 - 1000 }'
		elements port | awk '$2 == "full" { print $3, "port " $1 - 10 }'
	} | sort
}

# nexus_count - the iSCSI sessions tgtd has: one per host that talks to the changer
nexus_count() {
	tgtadm_ --op show --mode target | grep -c "I_T nexus:"
}

# tree_places MOUNTPOINT - every cartridge where that host's tree says it is, sorted
tree_places() {
	local m
	for m in "$1"/media/*; do
		echo "$(basename "$m") $(cat "$m/location")"
	done | sort
}

# agree MOUNTPOINT... - each host's tree has every cartridge where the changer says, each in
# exactly one place (waits up to 3 s for a user host's replica to follow)
agree() {
	local want h
	want=$(changer_places)
	[ "$(echo "$want" | wc -l)" -eq 4 ] || { echo "changer: $want" >&2; return 1; }
	[ "$(echo "$want" | awk '{ print $2, $3 }' | sort | uniq -d)" = "" ]
	for h in "$@"; do
		for _ in $(seq 60); do
			[ "$(tree_places "$h")" = "$want" ] && break
			sleep 0.05
		done
		[ "$(tree_places "$h")" = "$want" ] || {
			echo "$h: $(tree_places "$h"); changer: $want" >&2
			return 1
		}
	done
}

# new_manager - waits up to 10 s for b or c to manage lib1 as b sees it; prints its name
new_manager() {
	local m
	for _ in $(seq 200); do
		m=$(cat "$B/libraries/lib1/manager")
		[ "$m" = b ] || [ "$m" = c ] && break
		sleep 0.05
	done
	echo "$m"
}

# last_of MOUNTPOINT SESSION - the number of that session's newest request (waits for it)
last_of() {
	for _ in $(seq 100); do
		[ -L "$1/sessions/$2/last" ] && break
		sleep 0.05
	done
	basename "$(readlink "$1/sessions/$2/last")"
}

# b_waits - b's session sb holds d1 (A00001L6 mounted from b) and b's session sb2's mount of
# A00002L6 waits for a drive b has a device for, though d0 is empty; WRITER is the waiting
# writer, whose answer goes to $TESTDIR/answer, N its request
b_waits() {
	mkdir "$B/sessions/sb" "$B/sessions/sb2"
	echo "mount A00001L6" >"$B/sessions/sb/ctl"
	[ "$(cat "$B/media/A00001L6/location")" = "drive d1" ] || {
		echo "A00001L6 on b: $(cat "$B/media/A00001L6/location" "$B/media/A00001L6/state")" \
			"on a: $(cat "$A/media/A00001L6/location")" \
			"changer: $(elements drive | tr '\n' ' ')" >&2
		false
	}
	$PROBE write "$B/sessions/sb2/ctl" 'mount A00002L6\n' >"$TESTDIR/answer" &
	WRITER=$!
	N=$(last_of "$B" sb2)
	wait_for "$A/requests/$N/state" waiting
	wait_for "$B/requests/$N/state" waiting
}

@test "three hosts on one tgtd library: the same tree everywhere, drives/<d>/hosts and device per host" {
	for h in "$A" "$B" "$C"; do
		[ "$(cat "$h/libraries/lib1/manager")" = a ]
		[ "$(cat "$h/libraries/lib1/backend")" = scsi ]
		[ "$(ls "$h/libraries/lib1/drives" | tr '\n' ' ')" = "d0 d1 " ]
		[ "$(ls "$h/media" | tr '\n' ' ')" = "A00001L6 A00002L6 A00003L6 A00004L6 " ]
		[ "$(cat "$h/libraries/lib1/slots")" = "$(cat "$A/libraries/lib1/slots")" ]
		# the hosts that gave a device for each drive, and no other
		[ "$(cat "$h/drives/d0/hosts")" = a ]
		[ "$(printf '%s ' $(cat "$h/drives/d1/hosts"))" = "a b " ]
	done
	[ "$(cat "$A/hosts/a/manages")" = lib1 ]
	[ "$(cat "$B/hosts/b/manages")" = "" ]
	# the slots as the changer reported them to a, the manager
	[ "$(head -5 "$B/libraries/lib1/slots")" = "0 full A00001L6
1 full A00002L6
2 full A00003L6
3 full A00004L6
4 empty -" ]
	agree "$A" "$B" "$C"
	# each host shows its own device for a drive: none where it has none
	[ "$(cat "$A/drives/d0/device")" = "$LUN1" ]
	[ "$(cat "$A/drives/d1/device")" = "$LUN2" ]
	[ "$(cat "$B/drives/d0/device")" = "" ]
	[ "$(cat "$B/drives/d1/device")" = "$LUN2" ]
	[ "$(cat "$C/drives/d0/device")" = "" ]
	[ "$(cat "$C/drives/d1/device")" = "" ]
	[ "$(psql -qAt "$("$PG" uri "$RSMFS_TEST_PG")" -c "SET search_path = $(cat "$TESTDIR/schema")" \
		-c "SELECT drive, host, device FROM drive_hosts ORDER BY 1, 2" | tr '\n' ' ')" = \
		"d0|a|$LUN1 d1|a|$LUN2 d1|b|$LUN2 " ]
}

@test "a mount from b lands only in the drive b has a device for; with it held, b's mount waits; c's fails ENODEV" {
	b_waits
	# the changer itself: the cartridge in element 2 (d1); d0, empty and first, was not used
	[ "$(element 2 drive)" = "2 full A00001L6" ]
	[ "$(element 1 drive)" = "1 empty" ]
	[ "$(cat "$A/drives/d1/session")" = sb ]
	wait_for "$C/drives/d1/session" sb
	sleep 1 # the waiting mount does not take d0 meanwhile
	kill -0 "$WRITER"
	[ "$(cat "$B/requests/$N/state")" = waiting ]
	[ "$(element 1 drive)" = "1 empty" ]
	[ "$(cat "$A/drives/d0/state")" = empty ]
	# c has a device for no drive of lib1: its mount fails at once, nothing queued
	mkdir "$C/sessions/sc"
	[ "$($PROBE write "$C/sessions/sc/ctl" 'mount A00003L6\n')" = ENODEV ]
	[ "$(cat "$C/media/A00003L6/location")" = "slot 2" ]
	[ "$(sql "SELECT count(*) FROM requests WHERE session = 'sc'")" = 0 ]
	# sb lets d1 go: sb2's mount goes there, still not to d0
	echo "dismount A00001L6" >"$B/sessions/sb/ctl"
	wait "$WRITER"
	[ "$(cat "$TESTDIR/answer")" = OK ]
	[ "$(cat "$B/media/A00002L6/location")" = "drive d1" ]
	[ "$(element 2 drive)" = "2 full A00002L6" ]
	[ "$(element 1 drive)" = "1 empty" ]
	wait_for "$A/drives/d1/session" sb2
	agree "$A" "$B" "$C"
}

@test "a cancel from c of b's waiting mount: b's writer gets ECANCELED" {
	b_waits
	wait_for "$C/requests/$N/state" waiting
	echo cancel >"$C/requests/$N/ctl"
	wait "$WRITER"
	[ "$(cat "$TESTDIR/answer")" = ECANCELED ]
	[ "$(cat "$B/requests/$N/state")" = cancelled ]
	wait_for "$A/requests/$N/state" cancelled 2
	[ "$(sql "SELECT state FROM requests WHERE number = $N")" = cancelled ]
	# nothing moved for it
	[ "$(element 1001 slot)" = "1001 full A00002L6" ]
	[ "$(element 1 drive)" = "1 empty" ]
	[ "$(cat "$A/drives/d1/session")" = sb ]
	agree "$A" "$B" "$C"
}

@test "kill -9 of the manager with b's cartridge mounted and b's mount waiting: b or c takes over and reconciles with tgtd" {
	b_waits
	crash_host "$A_PID" "$A"
	start=$(date +%s.%N)
	new=$(new_manager)
	took=$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { print n - s }')
	echo "# $new took lib1 over $took s after a was killed" >&3
	[ "$new" = b ] || [ "$new" = c ]
	awk -v t="$took" 'BEGIN { exit !(t < 10) }'
	grep -q "took library lib1 over" "$TESTDIR/$new/rsmfs.err"
	N2=$TESTDIR/$new/mnt
	wait_for "$C/libraries/lib1/manager" "$new" 2
	wait_for "$N2/libraries/lib1/state" online 3
	# the new manager read the changer: its tree is where tgtd has the cartridges
	agree "$B" "$C"
	# its scan found devices by the changer's identifiers; it shows only its own
	[ "$(cat "$B/drives/d0/device")" = "" ]
	[ "$(cat "$B/drives/d1/device")" = "$LUN2" ]
	[ "$(cat "$C/drives/d1/device")" = "" ]
	# b's mounted cartridge stayed b's session's, its waiting mount still waits
	[ "$(cat "$B/media/A00001L6/state")" = mounted ]
	[ "$(cat "$B/drives/d1/session")" = sb ]
	wait_for "$C/drives/d1/session" sb
	[ "$(sql "SELECT session FROM drives WHERE name = 'd1'")" = sb ]
	kill -0 "$WRITER"
	[ "$(cat "$B/requests/$N/state")" = waiting ]
	[ "$(element 1 drive)" = "1 empty" ]
	# b's session dismounts the other: the waiting mount completes in d1, b's drive
	echo "dismount A00001L6" >"$B/sessions/sb/ctl"
	wait "$WRITER"
	[ "$(cat "$TESTDIR/answer")" = OK ]
	[ "$(cat "$B/media/A00002L6/location")" = "drive d1" ]
	[ "$(element 2 drive)" = "2 full A00002L6" ]
	wait_for "$B/media/A00001L6/location" "slot 0" 3
	[ "$(element 1000 slot)" = "1000 full A00001L6" ]
	agree "$B" "$C"
	for h in "$B" "$C"; do
		for r in "$h"/requests/*; do
			[ "$(cat "$r/state")" != inprocess ] || { echo "$r in process" >&2; false; }
		done
	done
	[ "$(sql "SELECT count(*) FROM requests WHERE state = 'inprocess'")" = 0 ]
	[ "$(sql "SELECT count(*) FROM media m JOIN drives d ON d.medium = m.name WHERE m.loc <> 'drive'")" = 0 ]
}

@test "two managers never move one robot: a frozen past its lease, another takes over and moves; a resumed sends nothing" {
	mkdir "$A/sessions/sa" "$B/sessions/sb"
	echo "mount A00003L6" >"$A/sessions/sa/ctl"
	[ "$(element 1 drive)" = "1 full A00003L6" ]
	[ "$(nexus_count)" = 1 ] # a's connection to the changer: users have none
	kill -STOP "$A_PID"
	new=$(new_manager)
	[ "$new" = b ] || [ "$new" = c ]
	N2=$TESTDIR/$new/mnt
	wait_for "$N2/libraries/lib1/state" online 3
	# the new manager moves the robot: b's mount into d1 (a's cartridge is in d0)
	echo "mount A00001L6" >"$B/sessions/sb/ctl"
	[ "$(element 2 drive)" = "2 full A00001L6" ]
	kill -CONT "$A_PID"
	# a learns the lease passed and steps down: it takes nothing back
	for _ in $(seq 60); do
		grep -q 'lease of library lib1 passed to another host' "$TESTDIR/a/rsmfs.err" && break
		sleep 0.05
	done
	grep -q 'lease of library lib1 passed to another host' "$TESTDIR/a/rsmfs.err"
	[ "$(grep -c "took library lib1 over" "$TESTDIR/a/rsmfs.err")" = 0 ]
	wait_for "$A/libraries/lib1/manager" "$new" 3
	# not even a health check or a scan: a lets its connection to the changer go (its
	# changer thread notices within its 10 s health interval), the new manager's stays
	for _ in $(seq 60); do
		[ "$(nexus_count)" = 1 ] && break
		sleep 0.25
	done
	[ "$(nexus_count)" = 1 ]
	# tgtd's view is the new manager's tree, on every host, a's too
	agree "$N2" "$A" "$B" "$C"
	[ "$(element 2 drive)" = "2 full A00001L6" ]
	[ "$(element 1 drive)" = "1 full A00003L6" ]
	[ "$(cat "$A/drives/d0/session")" = sa ]
	[ "$(cat "$B/drives/d1/session")" = sb ]
	# a stepped down: the library is offline there for the rest of its run (rsmfs(8),
	# SEVERAL HOSTS), its commands fail and nothing moves; the new manager carries on
	wait_for "$A/libraries/lib1/state" offline 3
	[ "$($PROBE write "$A/sessions/sa/ctl" 'mount A00004L6 nowait\n')" = ENXIO ]
	[ "$(element 1003 slot)" = "1003 full A00004L6" ]
	echo "dismount A00001L6" >"$B/sessions/sb/ctl"
	echo "mount A00004L6" >"$B/sessions/sb/ctl"
	[ "$(element 2 drive)" = "2 full A00004L6" ]
	[ "$(element 1000 slot)" = "1000 full A00001L6" ]
	agree "$N2" "$A" "$B" "$C"
}

@test "c, with a device for no drive, takes over from a killed manager and runs b's work" {
	stop_host "$B_PID" "$B"
	sed -i '/^\[library lib1\]/a manage = no' "$TESTDIR/b/rsmfs.conf"
	start_host b
	B_PID=$HOST_PID
	wait_for "$B/libraries/lib1/manager" a
	b_waits
	crash_host "$A_PID" "$A"
	start=$(date +%s.%N)
	wait_for "$B/libraries/lib1/manager" c 10
	took=$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { print n - s }')
	echo "# c took lib1 over $took s after a was killed" >&3
	wait_for "$C/libraries/lib1/state" online 3
	agree "$B" "$C"
	[ "$(cat "$C/drives/d1/session")" = sb ]
	# still no device of c's shown, though its scan found one by the changer's identifier
	[ "$(cat "$C/drives/d0/device")" = "" ]
	[ "$(cat "$C/drives/d1/device")" = "" ]
	[ "$(cat "$C/drives/d1/hosts" | tr '\n' ' ')" = "a b " ]
	kill -0 "$WRITER"
	[ "$(cat "$B/requests/$N/state")" = waiting ]
	# c's robot takes A00001L6 out of d1 and puts b's waiting A00002L6 there
	echo "dismount A00001L6" >"$B/sessions/sb/ctl"
	wait "$WRITER"
	[ "$(cat "$TESTDIR/answer")" = OK ]
	[ "$(element 2 drive)" = "2 full A00002L6" ]
	[ "$(element 1000 slot)" = "1000 full A00001L6" ]
	[ "$(element 1 drive)" = "1 empty" ]
	agree "$B" "$C"
	[ "$(sql "SELECT count(*) FROM requests WHERE state = 'inprocess'")" = 0 ]
}
