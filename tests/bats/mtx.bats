#!/usr/bin/env bats
# rsmfs-mtx(1): the mtx-compatible changer program, run against a real mount.  Its status is
# compared line by line with tests/mtx/status.golden (mtx 1.3.12's format for a known state),
# its commands with mtx's messages and exit statuses.

load helper
bats_require_minimum_version 1.5.0

MTX=${RSMFS_MTX_BIN:-$BATS_TEST_DIRNAME/../../rsmfs-mtx}
GOLDEN=$BATS_TEST_DIRNAME/../mtx/status.golden

setup() {
	RSMFS_OPTS="-o allow_other"
	setup_rsmfs
	LIB=$MNT/libraries/vtl0
	export RSMFS_SESSION=golden
}
teardown() { teardown_rsmfs; }

as_user() { setpriv --reuid="$1" --regid="$1" --clear-groups -- "${@:2}"; }

# the drive of the library that holds a medium
drive_of() { basename "$(readlink "$MNT/sessions/$1/drives/$2")"; }

@test "status prints mtx's format, line by line as the golden file" {
	teardown_rsmfs
	DRIVES=4 setup_rsmfs
	LIB=$MNT/libraries/vtl0
	mkdir "$MNT/sessions/other"
	ctl other "mount T00005L6"
	ctl other "mount T00007L6"
	ctl other "dismount T00007L6 deferred"
	wait_for "$MNT/media/T00007L6/state" dismountable
	echo "insert IMP001L6 port=0" >"$LIB/sim/ctl"
	run "$MTX" -f "$LIB" load 3 0
	assert_success
	run "$MTX" -f "$LIB" load 10 2
	assert_success
	"$MTX" -f "$LIB" status >"$TESTDIR/status"
	sed "s|@DEVICE@|$LIB|" "$GOLDEN" >"$TESTDIR/golden"
	[ "$(wc -l <"$TESTDIR/status")" -eq "$(wc -l <"$TESTDIR/golden")" ]
	n=0
	while IFS= read -r want <&3 && IFS= read -r got <&4; do
		n=$((n + 1))
		[ "$got" = "$want" ] || { echo "line $n: got '$got', want '$want'" >&2; false; }
	done 3<"$TESTDIR/golden" 4<"$TESTDIR/status"
	# nobarcode: the same lines without volume tags
	"$MTX" -f "$LIB" nobarcode status >"$TESTDIR/plain"
	sed 's/:VolumeTag.*$//' "$TESTDIR/golden" | diff - "$TESTDIR/plain"
	# the other session sees its own drive 0 and our cartridges' slots empty
	RSMFS_SESSION=other "$MTX" -f "$LIB" status >"$TESTDIR/other"
	grep -qx 'Data Transfer Element 0:Full (Storage Element 5 Loaded):VolumeTag = T00005L6' "$TESTDIR/other"
	grep -qx '      Storage Element 3:Empty' "$TESTDIR/other"
	grep -qx '      Storage Element 5:Empty' "$TESTDIR/other"
}

@test "Bacula's mtx-changer parsing reads the status: slots, loaded, list, listall" {
	run "$MTX" -f "$LIB" load 4 1
	assert_success
	# the pipelines of bacula-sd 9.6's mtx-changer, as they are written there
	run sh -c "'$MTX' -f '$LIB' status | grep ' *Storage Changer' | awk '{print \$5}'"
	assert_output 17
	"$MTX" -f "$LIB" status >"$TESTDIR/st"
	run sh -c "grep '^Data Transfer Element 1:Full' '$TESTDIR/st' | awk '{print \$7}'"
	assert_output 4
	run sh -c "grep '^Data Transfer Element 0:Empty' '$TESTDIR/st' | awk '{print 0}'"
	assert_output 0
	run sh -c "grep ' Storage Element [0-9]*:.*Full' '$TESTDIR/st' | awk '{print \$3 \$4}' | sed 's/Full *\(:VolumeTag=\)*//' | head -4"
	assert_output $'1:T00001L6\n2:T00002L6\n3:T00003L6\n5:T00005L6'
	run sh -c "grep '^Data Transfer Element [0-9]*:Full (Storage Element [0-9]' '$TESTDIR/st' | awk '{printf \"%s:%s\\n\",\$7,\$10}'"
	assert_output 4:T00004L6
	run perl -ne '
/Data Transfer Element (\d+):Empty/ && print "D:$1:E\n";
/Data Transfer Element (\d+):Full \(Storage Element (\d+) Loaded\)(:VolumeTag =\s*(.+))?/ && print "D:$1:F:$2:$4\n";
/Storage Element (\d+):Full( :VolumeTag=(.+))?/ && print "S:$1:F:$3\n";
/Storage Element (\d+) IMPORT.EXPORT:Empty/ && print "I:$1:E\n";' "$TESTDIR/st"
	assert_line --index 0 D:0:E
	assert_line --index 1 D:1:F:4:T00004L6
	assert_line --index 2 S:1:F:T00001L6
	assert_line I:17:E
}

@test "load and unload: mtx's lines, the session's drive link, requests in the session" {
	run "$MTX" -f "$LIB" load 3 1
	assert_success
	assert_output "Loading media from Storage Element 3 into drive 1...done"
	d=$(drive_of golden 1)
	[ "$(cat "$MNT/drives/$d/session")" = golden ]
	[ "$(readlink "$MNT/drives/$d/medium")" = ../../media/T00003L6 ]
	[ ! -e "$MNT/sessions/golden/drives/0" ]
	req=$(basename "$(readlink "$MNT/sessions/golden/last")")
	[ "$(cat "$MNT/requests/$req/operation")" = mount ]
	[ -L "$MNT/sessions/golden/requests/$req" ]
	run "$MTX" -f "$LIB" unload 3 1
	assert_success
	assert_output "Unloading drive 1 into Storage Element 3...done"
	# back in its slot when unload returns
	[ "$(cat "$MNT/media/T00003L6/state")" = idle ]
	[ "$(cat "$MNT/media/T00003L6/location")" = "slot 2" ]
	[ ! -e "$MNT/sessions/golden/drives/1" ]
	req=$(basename "$(readlink "$MNT/sessions/golden/last")")
	[ "$(cat "$MNT/requests/$req/operation")" = dismount ]
	[ "$(cat "$MNT/requests/$req/state")" = passed ]
	# the session stays after the program exits
	[ -d "$MNT/sessions/golden" ]
	# unload with no slot: the slot it came from; several commands on one line
	run "$MTX" -f "$LIB" load 6 unload load 7 0
	assert_success
	assert_output $'Loading media from Storage Element 6 into drive 0...done\nUnloading drive 0 into Storage Element 6...done\nLoading media from Storage Element 7 into drive 0...done'
}

@test "mtx's errors: exit status 1 and mtx's message on stderr" {
	"$MTX" -f "$LIB" load 3 0 >/dev/null
	check() { # expected-message command...
		local want=$1
		shift
		run --separate-stderr "$MTX" -f "$LIB" "$@"
		[ "$status" -eq 1 ] || { echo "status $status for $*" >&2; false; }
		[ "$stderr" = "$MTX: $want" ] || { echo "stderr '$stderr' for $*" >&2; false; }
	}
	check "No source specified" load
	check "Invalid <storage-element-number> argument '99' to 'load' command" load 99 1
	check "illegal <drive-number> argument '9' to 'load' command" load 1 9
	check "Drive 0 Full (Storage Element 3 loaded)" load 4 0
	check "Source Element Address 13 is Empty" load 13 1
	check "Source Element Address 3 is Empty" load 3 1
	check "Data Transfer Element 1 is Empty" unload 4 1
	check "illegal <drive-number> argument '5' to 'unload' command" unload 3 5
	check "Storage Element 1 is Already Full" unload 1 0
	check "No destination specified" transfer 1
	check "Invalid source" transfer 40 2
	check "eepos requires argument between 0 and 3." eepos 7 status
	run --separate-stderr "$MTX" -f "$LIB" load 13 1
	assert_output "Loading media from Storage Element 13 into drive 1..."
	# transfer: from an empty slot, into a full one, into a slot waiting for its cartridge
	check "Source Element Address 13 is Empty" transfer 13 14
	check "Destination Element Address 2 is Already Full" transfer 1 2
	check "Storage Element 3 waits for its own cartridge, which is out of the library or in a drive" transfer 1 3
	# not the cartridge's home slot
	run --separate-stderr "$MTX" -f "$LIB" unload 14 0
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Storage Element 14 is not the home slot of T00003L6"* ]]
	# unknown commands and a missing -f argument: the usage, exit 1
	run "$MTX" -f "$LIB" frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *"Usage:"* ]]
	run "$MTX" -f
	[ "$status" -eq 1 ]
	run "$MTX" -f "$TESTDIR" status
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open SCSI device '$TESTDIR'"* ]]
	# nothing moved
	[ "$(cat "$MNT/media/T00003L6/state")" = mounted ]
	[ "$(ls "$MNT/sessions/golden/drives")" = 0 ]
}

@test "first, next, previous, last: mtx's sequence over the full slots" {
	run "$MTX" -f "$LIB" first 1
	assert_output "Loading media from Storage Element 1 into drive 1...done"
	run "$MTX" -f "$LIB" first 1
	assert_success
	assert_output "loading...done."
	run "$MTX" -f "$LIB" next 1
	assert_success
	assert_output $'Unloading drive 1 into Storage Element 1...done\nLoading media from Storage Element 2 into drive 1...done'
	run "$MTX" -f "$LIB" previous 1
	assert_output $'Unloading drive 1 into Storage Element 2...done\nLoading media from Storage Element 1 into drive 1...done'
	run --separate-stderr "$MTX" -f "$LIB" previous 1
	[ "$status" -eq 1 ]
	[ "$stderr" = "$MTX: No More Media" ]
	# last: slot 16 is empty, so mtx's load of it fails
	run --separate-stderr "$MTX" -f "$LIB" last 1
	[ "$status" -eq 1 ]
	[ "$stderr" = "$MTX: Source Element Address 16 is Empty" ]
	# the unload before it happened: drive 1 is empty; next from an empty drive: the first
	run "$MTX" -f "$LIB" next 1
	assert_output "Loading media from Storage Element 1 into drive 1...done"
	# next skips a slot whose cartridge another session holds
	mkdir "$MNT/sessions/other"
	ctl other "mount T00002L6"
	run "$MTX" -f "$LIB" next 1
	assert_output $'Unloading drive 1 into Storage Element 1...done\nLoading media from Storage Element 3 into drive 1...done'
	# next at the last full slot: No More Media, after the unload
	run "$MTX" -f "$LIB" unload 3 1 load 12 1
	assert_success
	run --separate-stderr "$MTX" -f "$LIB" next 1
	[ "$status" -eq 1 ]
	[ "$stderr" = "$MTX: No More Media" ]
	[ "$(cat "$MNT/media/T00012L6/state")" = idle ]
	# previous from an empty drive starts after the last slot
	run "$MTX" -f "$LIB" previous 1
	assert_output "Loading media from Storage Element 12 into drive 1...done"
}

@test "two sessions: a held slot reads Empty; the second's load waits and gets it on unload" {
	run "$MTX" -f "$LIB" load 3
	assert_success
	RSMFS_SESSION=second "$MTX" -f "$LIB" status >"$TESTDIR/second"
	grep -qx '      Storage Element 3:Empty' "$TESTDIR/second"
	grep -qx 'Data Transfer Element 0:Empty' "$TESTDIR/second"
	RSMFS_SESSION=second "$MTX" -f "$LIB" load 3 1 >"$TESTDIR/out" 2>&1 &
	waiter=$!
	wait_for "$MNT/sessions/second/last/state" waiting
	req=$(basename "$(readlink "$MNT/sessions/second/last")")
	run "$MTX" -f "$LIB" unload
	assert_success
	wait "$waiter"
	[ "$(cat "$TESTDIR/out")" = "Loading media from Storage Element 3 into drive 1...done" ]
	[ "$(cat "$MNT/requests/$req/state")" = passed ]
	RSMFS_SESSION=second "$MTX" -f "$LIB" status >"$TESTDIR/second"
	grep -qx 'Data Transfer Element 1:Full (Storage Element 3 Loaded):VolumeTag = T00003L6' "$TESTDIR/second"
	"$MTX" -f "$LIB" status >"$TESTDIR/first"
	grep -qx '      Storage Element 3:Empty' "$TESTDIR/first"
	grep -qx 'Data Transfer Element 0:Empty' "$TESTDIR/first"
}

@test "a dismountable cartridge's slot reads Full and loading it moves no robot" {
	mkdir "$MNT/sessions/other"
	ctl other "mount T00008L6"
	ctl other "dismount T00008L6 deferred"
	wait_for "$MNT/media/T00008L6/state" dismountable
	"$MTX" -f "$LIB" status | grep -qx '      Storage Element 8:Full :VolumeTag=T00008L6'
	moves=$(awk '$1 == "moves" {print $2}' "$LIB/stats")
	run "$MTX" -f "$LIB" load 8 1
	assert_success
	[ "$(awk '$1 == "moves" {print $2}' "$LIB/stats")" -eq "$moves" ]
	"$MTX" -f "$LIB" status | grep -qx 'Data Transfer Element 1:Full (Storage Element 8 Loaded):VolumeTag = T00008L6'
}

@test "RSMFS_TIMEOUT: a load still waiting fails with exit 1 and its request is cancelled" {
	mkdir "$MNT/sessions/other"
	ctl other "mount T00003L6"
	start=$(date +%s%N)
	run --separate-stderr env RSMFS_TIMEOUT=0.5 "$MTX" -f "$LIB" load 3
	elapsed=$((($(date +%s%N) - start) / 1000000))
	[ "$status" -eq 1 ]
	[ "$elapsed" -ge 400 ] && [ "$elapsed" -lt 3000 ]
	[[ "$stderr" == *"mount T00003L6: ERROR_TIMEOUT 1460"*"(RSMFS_TIMEOUT=0.5 s)"* ]]
	[[ "$stderr" == *"MOVE MEDIUM from Element Address 3 to 18 Failed" ]]
	req=$(basename "$(readlink "$MNT/sessions/golden/last")")
	[ "$(cat "$MNT/requests/$req/state")" = cancelled ]
	run env RSMFS_TIMEOUT=abc "$MTX" -f "$LIB" status
	[ "$status" -eq 1 ]
	[[ "$output" == *"RSMFS_TIMEOUT 'abc' is not a number of seconds"* ]]
}

@test "kill -9 of an rsmfs-mtx waiting in a load cancels its request" {
	mkdir "$MNT/sessions/other"
	ctl other "mount T00003L6"
	"$MTX" -f "$LIB" load 3 >/dev/null 2>&1 &
	pid=$!
	wait_for "$MNT/sessions/golden/last/state" waiting
	req=$(basename "$(readlink "$MNT/sessions/golden/last")")
	kill -9 "$pid"
	wait "$pid" || true
	wait_for "$MNT/requests/$req/state" cancelled
	[[ "$(cat "$MNT/requests/$req/error")" == "ERROR_CANCELLED 1223 "* ]]
	# the cartridge is still the other session's; the daemon goes on serving
	ctl other "dismount T00003L6"
	wait_for "$MNT/media/T00003L6/state" idle
	run "$MTX" -f "$LIB" load 3
	assert_success
}

@test "a user without privileges: its own session mtx-<user>, CHANGER, inventory and eject" {
	unset RSMFS_SESSION
	run as_user 4242 env CHANGER="$LIB" "$MTX" load 2 1
	assert_success
	assert_output "Loading media from Storage Element 2 into drive 1...done"
	[ "$(stat -c %u "$MNT/sessions/mtx-4242")" = 4242 ]
	[ "$(cat "$MNT/drives/$(drive_of mtx-4242 1)/session")" = mtx-4242 ]
	run as_user 4242 "$MTX" -f "$LIB" status
	assert_line 'Data Transfer Element 1:Full (Storage Element 2 Loaded):VolumeTag = T00002L6'
	# inventory: no scan for a user, and success
	requests=$(ls "$MNT/requests" | wc -l)
	run as_user 4242 "$MTX" -f "$LIB" inventory
	assert_success
	[ "$(ls "$MNT/requests" | wc -l)" -eq "$requests" ]
	# eject (the door) is for administrators
	run as_user 4242 "$MTX" -f "$LIB" eject
	[ "$status" -eq 1 ]
	assert_output --partial "Permission denied"
	assert_line "$(basename "$MTX"):eject failed"
	[ "$(cat "$LIB/door")" = closed ]
	# so is transfer (a move on the library's ctl)
	run as_user 4242 "$MTX" -f "$LIB" transfer 1 16
	[ "$status" -eq 1 ]
	assert_output --partial "Permission denied"
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ]
	# another user cannot act in this user's session
	run as_user 4343 env RSMFS_SESSION=mtx-4242 "$MTX" -f "$LIB" unload 2 1
	[ "$status" -eq 1 ]
	assert_output --partial "Permission denied"
	run as_user 4242 "$MTX" -f "$LIB" unload 2 1
	assert_success
	[ "$(cat "$MNT/media/T00002L6/state")" = idle ]
}

@test "inquiry, an administrator's inventory, -f after a command, option words" {
	run "$MTX" -f "$LIB" inquiry
	assert_success
	assert_output $'Product Type: Medium Changer\nVendor ID: \'RSMFS   \'\nProduct ID: \'VIRTUAL CHANGER \'\nRevision: \'0.1 \'\nAttached Changer API: No'
	run "$MTX" -f "$LIB" inventory
	assert_success
	n=$(ls "$MNT/requests" | sort -n | tail -1)
	[ "$(cat "$MNT/requests/$n/operation")" = inventory ]
	[ "$(cat "$MNT/requests/$n/state")" = passed ]
	# the first command uses CHANGER, the -f after it the commands that follow
	mkdir "$TESTDIR/x"
	run env CHANGER="$TESTDIR/x" "$MTX" status -f "$LIB" status
	[ "$status" -eq 1 ]
	run env CHANGER="$LIB" "$MTX" altres noattach invert status -f "$LIB" position 3
	assert_success
	assert_line --index 0 "  Storage Changer $LIB:2 Drives, 17 Slots ( 1 Import/Export )"
	run "$MTX" -f "$LIB" erase
	[ "$status" -eq 1 ]
}

@test "a cartridge whose home another took: Loaded names the slot it goes back to, or Unknown" {
	teardown_rsmfs
	MEDIA=11 setup_rsmfs
	LIB=$MNT/libraries/vtl0
	run "$MTX" -f "$LIB" load 3 0 load 4 1
	assert_success
	# new cartridges fill the slots that are no one's home, then take T00003L6's
	for i in 1 2 3 4 5 6; do
		echo "insert N0000${i}L6 port=0" >"$LIB/sim/ctl"
		echo "inject" >"$LIB/ctl"
		wait_for "$LIB/ports" "0 empty -"
	done
	[ "$(cat "$MNT/media/N00006L6/home")" = 2 ]
	[ -z "$(cat "$MNT/media/T00003L6/home")" ]
	# T00003L6 goes back to the first empty slot, T00004L6's home (mtx's rule for a drive
	# whose source it does not know, and rsmfs's when no slot is free of a home)
	"$MTX" -f "$LIB" status >"$TESTDIR/st"
	grep -qx 'Data Transfer Element 0:Full (Storage Element 4 Loaded):VolumeTag = T00003L6' "$TESTDIR/st"
	grep -qx 'Data Transfer Element 1:Full (Storage Element 4 Loaded):VolumeTag = T00004L6' "$TESTDIR/st"
	run "$MTX" -f "$LIB" unload
	assert_success
	assert_output "Unloading drive 0 into Storage Element 4...done"
	[ "$(cat "$MNT/media/T00003L6/location")" = "slot 3" ]
	# now T00004L6 has no home and no slot is empty: Unknown
	run "$MTX" -f "$LIB" status
	assert_line 'Data Transfer Element 1:Full (Unknown Storage Element Loaded):VolumeTag = T00004L6'
	run --separate-stderr "$MTX" -f "$LIB" unload 1 1
	[ "$status" -eq 1 ]
	[ "$stderr" = "$MTX: Storage Element 1 is Already Full" ]
}

@test "Bacula's own mtx-changer with MTX= pointed at rsmfs-mtx (skipped without bacula-sd)" {
	script=/etc/bacula/scripts/mtx-changer
	[ -r "$script" ] && [ -r "$script.conf" ] || skip "bacula-sd is not installed"
	# a copy whose MTX= line names rsmfs-mtx, its configuration and work files in TESTDIR;
	# after a load it waits for mt-st's "mt -f <tape> status" to say ONLINE
	mkdir "$TESTDIR/bacula"
	cp "$script.conf" "$TESTDIR/bacula/mtx-changer.conf"
	sed -e "s|^MTX=.*|MTX=$MTX|" -e "s|$script.conf|$TESTDIR/bacula/mtx-changer.conf|g" \
		-e "s|/var/lib/bacula|$TESTDIR/bacula|g" "$script" >"$TESTDIR/bacula/mtx-changer"
	chmod +x "$TESTDIR/bacula/mtx-changer"
	chg() { "$TESTDIR/bacula/mtx-changer" "$LIB" "$@"; }
	tape=$MNT/sessions/golden/drives/1/tape
	run chg slots
	assert_output 17
	start=$(date +%s)
	run chg load 5 "$tape" 1
	assert_success
	[ $(($(date +%s) - start)) -lt 5 ]
	mt -f "$tape" status | grep -q ONLINE
	run chg loaded 0 "$tape" 1
	assert_output 5
	run chg listall
	assert_line D:0:E
	assert_line D:1:F:5:T00005L6
	assert_line S:5:E
	assert_line S:6:F:T00006L6
	run chg list
	assert_line 5:T00005L6
	run chg unload 5 "$tape" 1
	assert_success
	run chg loaded 0 "$tape" 1
	assert_output 0
	[ "$(cat "$MNT/media/T00005L6/state")" = idle ]
	# transfer: a slot-to-slot move, the cartridge's new home
	run chg transfer 1 14
	assert_success
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 13" ]
	run chg list
	assert_line 14:T00001L6
}

@test "transfer: a cartridge to another slot, its new home (administrators); others are refused" {
	run "$MTX" -f "$LIB" transfer 2 16
	assert_success
	assert_output ""
	[ "$(cat "$MNT/media/T00002L6/location")" = "slot 15" ]
	[ "$(cat "$MNT/media/T00002L6/home")" = 15 ]
	"$MTX" -f "$LIB" status >"$TESTDIR/st"
	grep -qx '      Storage Element 16:Full :VolumeTag=T00002L6' "$TESTDIR/st"
	grep -qx '      Storage Element 2:Empty' "$TESTDIR/st"
	req=$(ls "$MNT/requests" | sort -n | tail -1)
	[ "$(cat "$MNT/requests/$req/operation")" = move ]
	[ "$(cat "$MNT/requests/$req/state")" = passed ]
	# a load and unload of it use the new home
	run "$MTX" -f "$LIB" load 16 0 unload
	assert_success
	assert_output $'Loading media from Storage Element 16 into drive 0...done\nUnloading drive 0 into Storage Element 16...done'
}

@test "the session's drive i tape: tar through virtual drive 0, unload, reload into drive 1, read back" {
	mkdir "$TESTDIR/payload"
	echo "backup of $(date)" >"$TESTDIR/payload/file.txt"
	run "$MTX" -f "$LIB" load 3 0
	assert_success
	tar cf "$MNT/sessions/golden/drives/0/tape" -C "$TESTDIR/payload" file.txt
	run "$MTX" -f "$LIB" unload 3 0 load 3 1
	assert_success
	[ ! -e "$MNT/sessions/golden/drives/0" ]
	run tar tf "$MNT/sessions/golden/drives/1/tape"
	assert_output file.txt
}
