#!/usr/bin/env bats
# faults.bats - the catalog and the sim library failing under rsmfs.
#
# Catalog: made read-only (before start and while running), the disk full (a small tmpfs),
# corrupted or deleted before start.  Changes fail with EIO (ERROR_DATABASE_FAILURE) or ENOSPC
# (ERROR_DATABASE_FULL), reads go on being served, what is there is never damaged, and a
# corrupt catalog is refused at start with the way out, which is then taken.
# Sim backend: a cartridge missing from its slot, an unreadable barcode, a drive failing
# mid-load, a jammed robot: the right RSM error, an operator request, nothing lost (the
# invariants of tests/tools/crashload.py), and work goes on after the repair.

load helper

CRASHLOAD="$PYTHON $BATS_TEST_DIRNAME/../tools/crashload.py"

setup() {
	[ "$(id -u)" -eq 0 ] || skip "chattr +i and a tmpfs mount need root"
	setup_rsmfs
	mkdir "$MNT/sessions/s"
	DB=$TESTDIR/data/rsm.db
}

teardown() {
	chattr -i "$DB" "$DB-wal" "$DB-shm" 2>/dev/null || true
	stop_rsmfs
	umount "$TESTDIR/small" 2>/dev/null || true
	teardown_rsmfs
}

# the catalog's content as SQLite has it, and its health
catalog_dump() { sqlite3 "$DB" .dump; }
integrity() { sqlite3 "$DB" 'PRAGMA integrity_check'; }

invariants() {
	run $CRASHLOAD check "$MNT" "${DATADIR:-$TESTDIR/data}"
	echo "$output"
	assert_success
}

@test "a read-only catalog at start: reads served, every change EIO, the file untouched" {
	ctl s "mount T00001L6"
	stop_rsmfs
	catalog_dump >"$TESTDIR/before"
	sum=$(md5sum <"$DB")
	chattr +i "$DB"
	start_rsmfs
	[ "$(cat "$MNT/media/T00001L6/location")" = "drive d0" ]
	[ "$(cat "$MNT/libraries/vtl0/state")" = online ]
	run $PROBE write "$MNT/media/T00002L6/ctl" 'disable\n'
	[ "$output" = EIO ]
	grep -q 'ERROR_DATABASE_FAILURE 4313' "$MNT/error_log"
	run mkdir "$MNT/pools/new"
	assert_failure
	[[ "$output" == *"Input/output error"* ]]
	run mkdir "$MNT/sessions/t"
	[[ "$output" == *"Input/output error"* ]]
	[ "$(cat "$MNT/media/T00002L6/state")" = idle ]
	stop_rsmfs
	[ "$(md5sum <"$DB")" = "$sum" ]
	chattr -i "$DB"
	catalog_dump >"$TESTDIR/after"
	diff -u "$TESTDIR/before" "$TESTDIR/after"
	[ "$(integrity)" = ok ]
}

@test "the catalog made read-only while running: changes EIO, reads go on, writable again: work resumes" {
	catalog_dump >"$TESTDIR/before"
	chattr +i "$DB" "$DB-wal"
	run $PROBE write "$MNT/media/T00002L6/ctl" 'disable\n'
	[ "$output" = EIO ]
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00003L6\n'
	[ "$output" = EIO ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_DATABASE_FAILURE\ 4313* ]]
	[ "$(cat "$MNT/media/T00002L6/state")" = idle ]
	[ "$(cat "$MNT/media/T00003L6/location")" = "slot 2" ]
	chattr -i "$DB" "$DB-wal"
	catalog_dump >"$TESTDIR/after"
	diff -u "$TESTDIR/before" "$TESTDIR/after"
	echo disable >"$MNT/media/T00002L6/ctl"
	[ "$(cat "$MNT/media/T00002L6/state")" = disabled ]
	ctl s "mount T00003L6"
	[ "$(cat "$MNT/media/T00003L6/state")" = mounted ]
	[ "$(integrity)" = ok ]
	invariants
}

@test "the disk full: changes ENOSPC (ERROR_DATABASE_FULL), reads go on, space freed: work resumes" {
	stop_rsmfs
	mkdir "$TESTDIR/small"
	mount -t tmpfs -o size=4m tmpfs "$TESTDIR/small"
	mkdir "$TESTDIR/small/data"
	sed -i "s|^database = .*|database = $TESTDIR/small/data/rsm.db|" "$TESTDIR/rsmfs.conf"
	DB=$TESTDIR/small/data/rsm.db
	DATADIR=$TESTDIR/small/data
	start_rsmfs
	mkdir "$MNT/sessions/s"
	# fill the file system, then make changes until the catalog cannot grow
	dd if=/dev/zero of="$TESTDIR/small/filler" bs=64k 2>/dev/null || true
	full=0
	text=$(head -c 200 /dev/zero | tr '\0' x)
	for i in $(seq 1000); do
		r=$($PROBE write "$MNT/sessions/s/ctl" "message $text $i\n")
		[ "$r" = OK ] && continue
		[ "$r" = ENOSPC ] || { echo "write $i: $r" >&2; false; }
		full=$i
		break
	done
	[ "$full" -gt 0 ]
	grep -q 'ERROR_DATABASE_FULL 4314' "$MNT/error_log"
	run $PROBE write "$MNT/media/T00002L6/ctl" 'disable\n'
	[ "$output" = ENOSPC ]
	[ "$(cat "$MNT/media/T00002L6/state")" = idle ]
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ]
	rm "$TESTDIR/small/filler"
	echo disable >"$MNT/media/T00002L6/ctl"
	ctl s "mount T00001L6"
	[ "$(cat "$MNT/media/T00001L6/state")" = mounted ]
	[ "$(integrity)" = ok ]
	invariants
	stop_rsmfs
	start_rsmfs
	[ "$(cat "$MNT/media/T00002L6/state")" = disabled ]
	[ "$(integrity)" = ok ]
}

@test "a corrupt catalog is refused at start with the way out; the way out works" {
	stop_rsmfs
	# a damaged page in the middle of the file
	pages=$(sqlite3 "$DB" 'PRAGMA page_count')
	dd if=/dev/urandom of="$DB" bs=4096 seek=$((pages / 2)) count=1 conv=notrunc 2>/dev/null
	[ "$(integrity)" != ok ]
	run timeout 10 "$RSMFS" -f -c "$TESTDIR/rsmfs.conf" "$MNT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"catalog $DB is damaged"* ]]
	[[ "$output" == *"rsmfs will not start on it"* ]]
	[[ "$output" == *".recover"* ]]
	! mountpoint -q "$MNT"
	# the documented recovery: rebuild with sqlite3 .recover and point the daemon at it
	sqlite3 "$DB" .recover 2>/dev/null | sqlite3 "$TESTDIR/data/recovered.db"
	sed -i "s|^database = .*|database = $TESTDIR/data/recovered.db|" "$TESTDIR/rsmfs.conf"
	start_rsmfs
	[ "$(ls "$MNT/media" | wc -l)" -eq 12 ]
	DB=$TESTDIR/data/recovered.db
	[ "$(integrity)" = ok ]
	invariants
}

@test "a deleted catalog: a new one is made and the library's cartridges found where they are" {
	ctl s "mount T00004L6"
	echo "eject T00005L6" >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/media/T00005L6/state" in-port
	stop_rsmfs
	rm -f "$DB" "$DB-wal" "$DB-shm"
	start_rsmfs
	[ "$(cat "$MNT/media/T00004L6/location")" = "drive d0" ]
	[ "$(cat "$MNT/media/T00005L6/location")" = "port 0" ]
	[ "$(cat "$MNT/media/T00006L6/location")" = "slot 5" ]
	[ "$(ls "$MNT/media" | wc -l)" -eq 12 ]
	grep -q "inventory corrected" "$TESTDIR/rsmfs.err"
	invariants
}

@test "a cartridge missing from its slot: the mount waits for the operator, nothing is lost" {
	echo "lose T00003L6" >"$MNT/libraries/vtl0/sim/ctl"
	! grep -q T00003L6 "$TESTDIR/data/sim/vtl0.state"
	$PROBE write "$MNT/sessions/s/ctl" 'mount T00003L6\n' >"$TESTDIR/out" &
	n=
	for _ in $(seq 200); do
		n=$(basename "$(readlink "$MNT/sessions/s/last")" 2>/dev/null) && [ -n "$n" ] && break
		sleep 0.1
	done
	wait_for "$MNT/requests/$n/state" waiting
	[ "$(cat "$MNT/media/T00003L6/location")" = offline ]
	[ "$(cat "$MNT/opreqs/1/type")" = movemedia ]
	[[ "$(cat "$MNT/opreqs/1/message")" == *T00003L6* ]]
	grep -q "slot 2 is empty: T00003L6 is not where the catalog has it" "$TESTDIR/rsmfs.err"
	invariants
	# the operator finds it and puts it back
	echo "insert T00003L6" >"$MNT/libraries/vtl0/sim/ctl"
	echo inject >"$MNT/libraries/vtl0/ctl"
	wait "$!" || true
	wait_for "$MNT/requests/$n/state" passed
	[ "$(cat "$TESTDIR/out")" = OK ]
	[ "$(cat "$MNT/media/T00003L6/state")" = mounted ]
	invariants
	# with offline-error the same fault fails the mount at once with ENOMEDIUM
	echo "lose T00006L6" >"$MNT/libraries/vtl0/sim/ctl"
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00006L6 offline-error\n'
	[ "$output" = ENOMEDIUM ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_MEDIA_OFFLINE\ 4304* ]]
	invariants
}

@test "an unreadable barcode: inventory keeps the medium, asks the operator, mounts go on" {
	echo "unreadable T00005L6" >"$MNT/libraries/vtl0/sim/ctl"
	grep -qx "slot 4 T00005L6 unreadable" "$TESTDIR/data/sim/vtl0.state"
	echo inventory >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/requests/$(ls "$MNT/requests" | sort -n | tail -1)/state" passed
	[ "$(cat "$MNT/media/T00005L6/location")" = "slot 4" ]
	[ "$(cat "$MNT/opreqs/1/type")" = message ]
	[[ "$(cat "$MNT/opreqs/1/message")" == *"barcode of the cartridge at slot 4"*T00005L6* ]]
	# a second inventory does not ask again
	echo inventory >"$MNT/libraries/vtl0/ctl"
	sleep 0.3
	[ "$(ls "$MNT/opreqs" | wc -l)" -eq 1 ]
	ctl s "mount T00005L6"
	[ "$(cat "$MNT/media/T00005L6/state")" = mounted ]
	invariants
	# a new label; the operator answers the request
	echo "readable T00005L6" >"$MNT/libraries/vtl0/sim/ctl"
	echo satisfy >"$MNT/opreqs/1/ctl"
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	run $PROBE write "$MNT/libraries/vtl0/sim/ctl" 'readable T00005L6\n'
	[ "$output" = EIO ]
	run $PROBE write "$MNT/libraries/vtl0/sim/ctl" 'lose T99999L6\n'
	[ "$output" = ENOENT ]
}

@test "a drive failing mid-load and a jammed robot: EIO, operator requests, invariants, work resumes" {
	stop_rsmfs
	MOVE=0.2 LOAD=1 write_config
	start_rsmfs
	mkdir -p "$MNT/sessions/s"
	$PROBE write "$MNT/sessions/s/ctl" 'mount T00001L6 drive=d0\n' >"$TESTDIR/out" &
	wait_for "$MNT/drives/d0/state" loading
	echo "fail d0" >"$MNT/libraries/vtl0/sim/ctl"
	wait "$!" || true
	[ "$(cat "$TESTDIR/out")" = EIO ]
	[ "$(cat "$MNT/opreqs/1/type")" = deviceservice ]
	invariants
	$PROBE write "$MNT/sessions/s/ctl" 'mount T00002L6 drive=d1\n' >"$TESTDIR/out2" &
	wait_for "$MNT/media/T00002L6/state" loading
	echo jam >"$MNT/libraries/vtl0/sim/ctl"
	wait "$!" || true
	[ "$(cat "$TESTDIR/out2")" = EIO ]
	[ "$(cat "$MNT/opreqs/2/type")" = deviceservice ]
	invariants
	echo unjam >"$MNT/libraries/vtl0/sim/ctl"
	echo "repair d0" >"$MNT/libraries/vtl0/sim/ctl"
	ctl s "mount T00002L6"
	[ "$(cat "$MNT/media/T00002L6/state")" = mounted ]
	invariants
}
