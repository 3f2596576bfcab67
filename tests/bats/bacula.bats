#!/usr/bin/env bats
# Bacula's storage daemon tools on rsmfs, unchanged: Debian 12's bacula-sd 9.6 and btape drive
# the tape file of the session's virtual drive 0 (sessions/mtx-bacula/drives/0/tape), and the
# stock mtx-changer script, with only its MTX= line pointed at rsmfs-mtx, drives the library.
# Everything Bacula runs, runs as Debian runs bacula-sd: user bacula (group tape), on a mount with
# allow_other, so the session and the tapes of its media are bacula's.  btape is fed its commands
# on stdin; every command has a time limit, and btape's wall time goes to the TAP log.

load helper

BTAPE=/usr/sbin/btape
BACULA_SD=/usr/sbin/bacula-sd
STOCK_CHANGER=/etc/bacula/scripts/mtx-changer
RSMFS_MTX=$(realpath -m "${RSMFS_MTX_BIN:-$BATS_TEST_DIRNAME/../../rsmfs-mtx}")
# user bacula with its groups and a clean environment, as systemd starts bacula-sd
AS_BACULA=(setpriv --reuid=bacula --regid=bacula --init-groups --
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/bacula LANG=C)

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run Bacula's tools as the bacula user"
	local f
	for f in "$BTAPE" "$BACULA_SD" "$STOCK_CHANGER" "$STOCK_CHANGER.conf"; do
		[ -e "$f" ] || skip "no $f: bacula-sd is not installed (scripts/install-deps installs it)"
	done
	getent passwd bacula >/dev/null ||
		skip "no bacula user (bacula-common is not installed: scripts/install-deps)"
	RSMFS_OPTS="-o allow_other"
	setup_rsmfs
	SESSION=$MNT/sessions/mtx-bacula
	TAPE=$SESSION/drives/0/tape
	WORK=$TESTDIR/work
	mkdir "$WORK"
	chown bacula:bacula "$WORK"
	# the stock script, with only its MTX= line changed
	sed "s|^MTX=/usr/sbin/mtx\$|MTX=$RSMFS_MTX|" "$STOCK_CHANGER" >"$TESTDIR/mtx-changer"
	chmod 755 "$TESTDIR/mtx-changer"
	[ "$(diff "$STOCK_CHANGER" "$TESTDIR/mtx-changer" | grep -c '^[<>]')" = 2 ]
	write_sd_conf
}
teardown() { teardown_rsmfs; }

# write_sd_conf - $TESTDIR/bacula-sd.conf: what btape needs (Storage, Director, Messages), an
# Autochanger over libraries/vtl0 with the copy of mtx-changer and the session's virtual drives
# 0 and 1 as its drives, and vtl0-tape0, the tape file of drive 0 with no changer
write_sd_conf() {
	local i
	cat >"$TESTDIR/bacula-sd.conf" <<-CONF
	Storage {
	  Name = rsmfs-sd
	  Working Directory = "$WORK"
	  Pid Directory = "$WORK"
	}
	Director {
	  Name = rsmfs-dir
	  Password = "btape-does-not-use-it"
	}
	Messages {
	  Name = Standard
	  Director = rsmfs-dir = all
	}
	Autochanger {
	  Name = rsmfs-vtl0
	  Device = vtl0-drive0, vtl0-drive1
	  Changer Command = "$TESTDIR/mtx-changer %c %o %S %a %d"
	  Changer Device = $MNT/libraries/vtl0
	}
	Device {
	  Name = vtl0-tape0
	  Device Type = Tape
	  Media Type = LTO-6
	  Archive Device = $TAPE
	  AutomaticMount = yes
	  AlwaysOpen = no
	  RemovableMedia = yes
	  RandomAccess = no
	}
	CONF
	for i in 0 1; do
		cat >>"$TESTDIR/bacula-sd.conf" <<-CONF
		Device {
		  Name = vtl0-drive$i
		  Drive Index = $i
		  Device Type = Tape
		  Media Type = LTO-6
		  Archive Device = $SESSION/drives/$i/tape
		  AutoChanger = yes
		  AutomaticMount = yes
		  AlwaysOpen = no
		  RemovableMedia = yes
		  RandomAccess = no
		}
		CONF
	done
}

need_rsmfs_mtx() {
	[ -x "$RSMFS_MTX" ] || {
		echo "rsmfs-mtx is not built: $RSMFS_MTX" >&2
		return 1
	}
}

# changer COMMAND [SLOT [DRIVE]] - the copy of mtx-changer as bacula-sd runs it: %c %o %S %a %d
changer() {
	timeout -k 5 120 "${AS_BACULA[@]}" "$TESTDIR/mtx-changer" "$MNT/libraries/vtl0" "$1" \
		"${2:-0}" "$SESSION/drives/${3:-0}/tape" "${3:-0}"
}

# run_btape NAME DEVICE COMMAND... - btape on DEVICE as bacula, fed the commands (one a line) on
# stdin, for at most BTAPE_TIMEOUT seconds (300); bats's run: $status and $output.  Prints the
# output (shown when the test fails) and the wall time (to the TAP log).
run_btape() {
	local name=$1 dev=$2 t0 t1
	shift 2
	printf '%s\n' "$@" >"$TESTDIR/btape-$name.in"
	t0=$(date +%s.%N)
	run timeout -k 10 "${BTAPE_TIMEOUT:-300}" "${AS_BACULA[@]}" "$BTAPE" \
		-c "$TESTDIR/bacula-sd.conf" -w "$WORK" "$dev" <"$TESTDIR/btape-$name.in"
	t1=$(date +%s.%N)
	echo "$output"
	awk -v n="$name" -v a="$t0" -v b="$t1" \
		'BEGIN { printf "# btape %s: %.1f s wall time\n", n, b - a }' >&3
}

# bacula_ctl COMMAND - one command to the session's ctl, written by bacula
bacula_ctl() {
	timeout -k 5 60 "${AS_BACULA[@]}" sh -c 'echo "$1" >"$2"' sh "$1" "$SESSION/ctl"
}

@test "bacula-sd accepts the configuration, as the bacula user" {
	run timeout -k 5 60 "${AS_BACULA[@]}" "$BACULA_SD" -t -c "$TESTDIR/bacula-sd.conf"
	assert_success
	assert_output ""
}

@test "btape test on the tape file of a cartridge mounted by hand: every test passes as it is" {
	timeout 10 "${AS_BACULA[@]}" mkdir "$SESSION"
	bacula_ctl "mount T00001L6 vdrive=0"
	[ "$(stat -c %U:%a "$TAPE")" = bacula:600 ]
	BTAPE_TIMEOUT=600 run_btape test vtl0-tape0 test quit
	assert_success
	assert_output --partial "open device \"vtl0-tape0\" ($TAPE): OK"
	[ "$(grep -c '=== Test Succeeded. End Write, rewind, and re-read test ===' <<<"$output")" = 2 ]
	assert_output --partial "10000 blocks re-read correctly."
	assert_output --partial "Block 20000 re-read correctly."
	assert_output --partial "Block re-read correct. Test succeeded!"
	assert_output --partial "=== End Forward space files test ==="
	[ "$(grep -c 'This is correct!' <<<"$output")" = 6 ]
	refute_output --partial "NOT correct"
	# no capability had to be turned off, nothing to add to the Device resource
	refute_output --partial "Attempting again"
	refute_output --partial "please add"
	refute_output --partial "Please add"
	# the append test's scan is btape's sample
	run sed -n '/^Doing Bacula scan of blocks:$/,/^End scanning the tape\.$/p' <<<"$output"
	assert_output "Doing Bacula scan of blocks:
1 block of 64448 bytes in file 1
End of File mark.
2 blocks of 64448 bytes in file 2
End of File mark.
3 blocks of 64448 bytes in file 3
End of File mark.
1 block of 64448 bytes in file 4
End of File mark.
Total files=4, blocks=7, bytes = 451,136
End scanning the tape."
}

@test "btape autochanger with the stock mtx-changer: loaded, unload, load, the ONLINE wait" {
	need_rsmfs_mtx
	# btape opens its drive at start: a cartridge (not slot 1's) is in virtual drive 0
	run changer load 3
	assert_success
	assert_output "Loading media from Storage Element 3 into drive 0...done"
	[ "$(stat -c %U "$TAPE")" = bacula ]
	run_btape autochanger vtl0-drive0 autochanger y quit
	assert_success
	assert_output --partial "Slot 3 loaded. I am going to unload it."
	assert_output --partial "3302 Issuing autochanger \"unload 3 0\" command."
	assert_output --partial "unload status=OK 0"
	assert_output --partial "3303 Autochanger \"load 1 0\" status is OK."
	assert_output --partial "Wrote EOF to \"vtl0-drive0\""
	assert_output --partial "The test autochanger worked!!"
	refute_output --partial "Please add"
	# through the mount: slot 1's cartridge in the session's drive 0, slot 3's back home, and on
	# the tape the two filemarks btape wrote after its rewind (it rewinds again when it closes)
	[ "$(readlink "$SESSION/drives/0/medium")" = ../../media/T00001L6 ]
	grep -qx '2 full T00003L6' "$MNT/libraries/vtl0/slots"
	timeout 30 "${AS_BACULA[@]}" mt -f "$TAPE" eod
	run timeout 30 "${AS_BACULA[@]}" mt -f "$TAPE" status
	assert_output --partial "File number=2, block number=0"
	assert_output --partial ONLINE
}

@test "btape fill across two cartridges (slots 1 and 2) at their early warning, then unfill" {
	need_rsmfs_mtx
	# a cartridge filled in seconds: btape's re-read wants 10000 records (328 MB) on the first
	# and 1000 blocks (65 MB) on the second before the early warning (1/16 before the end)
	stop_rsmfs
	echo "capacity = 400M" >>"$TESTDIR/rsmfs.conf"
	start_rsmfs -o allow_other
	run changer load 3
	assert_success
	run_btape fill vtl0-drive0 fill m quit
	assert_success
	assert_output --partial "Multiple tape test selected."
	assert_output --partial "Autochanger \"load Volume TestVolume1, Slot 1, Drive 0\", status is OK."
	assert_output --regexp "End of Volume \"TestVolume1\" at [0-9]+:[0-9]+ on device \"vtl0-drive0\""
	assert_output --partial "Re-read of last block succeeded."
	assert_output --partial "Autochanger \"load Volume TestVolume2, Slot 2, Drive 0\", status is OK."
	assert_output --partial "Wrote 1000 blocks on second tape. Done."
	refute_output --partial "End of Volume \"TestVolume2\""
	assert_output --partial "The last block of the first tape matches."
	assert_output --partial "The first block on the second tape matches."
	assert_output --partial "The last block on the second tape matches. Test succeeded."
	refute_output --partial "FAILED"
	# the volumes are on slot 1's and slot 2's cartridges; slot 3's was not written
	[ "$(stat -c %s "$TESTDIR/data/images/T00001L6.img")" -gt $((300 << 20)) ]
	[ "$(stat -c %s "$TESTDIR/data/images/T00002L6.img")" -gt $((60 << 20)) ]
	[ "$(stat -c %s "$TESTDIR/data/images/T00002L6.img")" -lt $((100 << 20)) ]
	[ "$(stat -c %s "$TESTDIR/data/images/T00003L6.img")" -le 32 ]
	# unfill: another btape reads both back from the state file fill left
	[ -f "$WORK/btape.state" ]
	run_btape unfill vtl0-drive0 unfill quit
	assert_success
	assert_output --partial "Autochanger \"load Volume TestVolume1, Slot 1, Drive 0\", status is OK."
	assert_output --partial "Autochanger \"load Volume TestVolume2, Slot 2, Drive 0\", status is OK."
	assert_output --partial "The last block of the first tape matches."
	assert_output --partial "The first block on the second tape matches."
	assert_output --partial "The last block on the second tape matches. Test succeeded."
	refute_output --partial "FAILED"
}

@test "mtx-changer list, listall, loaded and slots: what Bacula parses, for a known library" {
	need_rsmfs_mtx
	# T00012L6 in the port; T00005L6 mounted by another session; slot 3's in bacula's drive 0
	echo "eject T00012L6" >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/libraries/vtl0/ports" "0 full T00012L6"
	mkdir "$MNT/sessions/other"
	timeout 60 sh -c "echo 'mount T00005L6' >'$MNT/sessions/other/ctl'"
	run changer load 3
	assert_success
	run changer loaded 0 0
	assert_success
	assert_output 3
	run changer loaded 0 1
	assert_success
	assert_output 0
	run changer slots
	assert_success
	assert_output 17
	run changer list
	assert_success
	assert_output "1:T00001L6
2:T00002L6
4:T00004L6
6:T00006L6
7:T00007L6
8:T00008L6
9:T00009L6
10:T00010L6
11:T00011L6
3:T00003L6"
	run changer listall
	assert_success
	assert_output "D:0:F:3:T00003L6
D:1:E
S:1:F:T00001L6
S:2:F:T00002L6
S:3:E
S:4:F:T00004L6
S:5:E
S:6:F:T00006L6
S:7:F:T00007L6
S:8:F:T00008L6
S:9:F:T00009L6
S:10:F:T00010L6
S:11:F:T00011L6
S:12:E
S:13:E
S:14:E
S:15:E
S:16:E
I:17:F:T00012L6"
}
