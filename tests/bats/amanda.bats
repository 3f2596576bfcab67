#!/usr/bin/env bats
# Amanda 3.5 (Debian 12's amanda-server and amanda-client) on an rsmfs library, unchanged:
# chg-robot drives the sim library vtl0 through rsmfs-mtx, and the tape device of each of its
# drives is a virtual drive of the session mtx-backup (sessions/mtx-backup/drives/<i>/tape),
# the session rsmfs-mtx uses for the user backup.  The mount has allow_other and every Amanda
# command runs as backup, so the session and its tapes are backup's.  The backup is local
# (auth "local", amgtar), without a holding disk.  The last test runs amdump and Bacula's
# btape (as the user bacula, in a session of its own) at once on the library's two drives,
# with a third session waiting for btape's cartridge, and prints the library's robot moves.
#
# Each test writes its own configuration, /etc/amanda/rsmfs-bats-<n>, with all its state under
# the test's directory; the client's amandates and GNU tar lists are there too, through the
# configuration's amanda-client.conf.  What Amanda writes elsewhere (debug logs in
# /var/log/amanda, /tmp/amanda, shared memory) is removed in teardown: every path under those
# directories that was not there at setup.  Each command runs under timeout, which signals its
# whole process group, so a hang fails the test and leaves nothing running.

load helper

MTX=${RSMFS_MTX_BIN:-$BATS_TEST_DIRNAME/../../rsmfs-mtx}
# where Amanda writes outside the configuration (Debian 12: amgetconf build.AMANDA_DBGDIR,
# build.AMANDA_TMPDIR; the configurations; the client's default state)
AMANDA_PLACES="/var/log/amanda /tmp/amanda /etc/amanda /var/lib/amanda"
# seconds allowed to one Amanda command
AM_TIMEOUT=${AM_TIMEOUT:-180}

# amanda_places - every path Amanda may have created, one a line, sorted
amanda_places() {
	{
		# shellcheck disable=SC2086
		find $AMANDA_PLACES 2>/dev/null
		find /dev/shm -maxdepth 1 -name '*amanda*' 2>/dev/null
	} | LC_ALL=C sort
}

# amanda_missing - why Amanda cannot run here, or nothing
amanda_missing() {
	local p
	for p in amanda-server amanda-client libencode-locale-perl mt-st; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			{ echo "package $p is not installed (scripts/install-deps)"; return; }
	done
	getent passwd backup >/dev/null || { echo "no user backup (amanda-common makes it)"; return; }
	# chg-single on a cartridge mounted by hand needs no changer program
	[[ "$BATS_TEST_DESCRIPTION" == chg-single* ]] || [ -x "$MTX" ] || { echo "$MTX is not built"; return; }
}

setup() {
	local why
	why=$(amanda_missing)
	[ -z "$why" ] || skip "$why"
	BACKUP_UID=$(id -u backup)
	CONF=rsmfs-bats-$$-${BATS_TEST_NUMBER}
	[ ! -e "/etc/amanda/$CONF" ]
	amanda_places >"${BATS_TEST_TMPDIR:-/tmp}/amanda-before"
	PLACES_BEFORE=${BATS_TEST_TMPDIR:-/tmp}/amanda-before
	cp -p /var/lib/amanda/amandates "${BATS_TEST_TMPDIR:-/tmp}/amandates" 2>/dev/null || true
	RSMFS_OPTS="-o allow_other"
	setup_rsmfs
	# Amanda's directory: its state and the data to back up, the user backup's
	AW=$TESTDIR/amanda
	DATA=$AW/data/dir
	write_amanda_config "$CONF"
	make_data
	chown -R backup:backup "$AW" "/etc/amanda/$CONF"
}

teardown() {
	# anything of this configuration still running (a command killed by its time-out takes
	# its process group with it; this is the safety net)
	local p
	if [ -n "${CONF:-}" ]; then
		for p in $(pgrep -f -- "$CONF" || true); do
			kill -KILL "$p" 2>/dev/null || true
		done
	fi
	teardown_rsmfs
	[ -n "${PLACES_BEFORE:-}" ] && [ -f "$PLACES_BEFORE" ] || return 0
	rm -rf "/etc/amanda/$CONF"
	# what Amanda made outside the test's directory, deepest first
	amanda_places | LC_ALL=C comm -13 "$PLACES_BEFORE" - | LC_ALL=C sort -r |
		while IFS= read -r p; do rm -rf -- "$p"; done
	if [ -f "${BATS_TEST_TMPDIR:-/tmp}/amandates" ] &&
		! cmp -s "${BATS_TEST_TMPDIR:-/tmp}/amandates" /var/lib/amanda/amandates; then
		cp -p "${BATS_TEST_TMPDIR:-/tmp}/amandates" /var/lib/amanda/amandates
	fi
}

# as_backup CMD... - runs CMD as the user backup, with its groups, its home, in Amanda's
# directory, under a time-out; rsmfs-mtx then uses its default session mtx-backup
as_backup() {
	(cd "$AW" && timeout -k 10 "$AM_TIMEOUT" setpriv --reuid=backup --regid=backup --init-groups -- \
		env -u RSMFS_SESSION HOME=/var/backups USER=backup LOGNAME=backup RSMFS_TIMEOUT=60 "$@")
}

# write_amanda_config NAME - /etc/amanda/NAME: chg-robot on vtl0 through rsmfs-mtx, the tapes of
# the session's virtual drives 0 and 1, one local DLE backed up with amgtar
write_amanda_config() {
	local c=/etc/amanda/$1
	mkdir -p "$c" "$AW/state/log" "$AW/state/gnutar-lists" "$AW/data" "$AW/restore"
	touch "$AW/state/tapelist"
	cat >"$c/amanda.conf" <<-CONF
	org "$1"
	mailto ""
	dumpuser "backup"
	dumpcycle 0
	runspercycle 1
	tapecycle 3
	runtapes 1
	infofile "$AW/state/curinfo"
	logdir "$AW/state/log"
	indexdir "$AW/state/index"
	tapelist "$AW/state/tapelist"
	labelstr "^RSMFS-[0-9][0-9]*\$"

	define tapetype sim-lto6 {
	    length 1024 mbytes
	    blocksize 32 kbytes
	}
	tapetype "sim-lto6"

	define changer rsmfs-vtl0 {
	    tpchanger "chg-robot:$MNT/libraries/vtl0"
	    property "mtx" "$MTX"
	    property "tape-device" "0=tape:$MNT/sessions/mtx-backup/drives/0/tape"
	    property append "tape-device" "1=tape:$MNT/sessions/mtx-backup/drives/1/tape"
	    changerfile "$AW/state/chg-robot.state"
	}
	tpchanger "rsmfs-vtl0"

	define application-tool app-amgtar {
	    plugin "amgtar"
	    property "GNUTAR-PATH" "/bin/tar"
	    property "GNUTAR-LISTDIR" "$AW/state/gnutar-lists"
	}
	define dumptype local-tar {
	    program "APPLICATION"
	    application "app-amgtar"
	    auth "local"
	    compress none
	    index yes
	    holdingdisk never
	}
	CONF
	echo "localhost $DATA local-tar" >"$c/disklist"
	cat >"$c/amanda-client.conf" <<-CONF
	conf "$1"
	index-server "localhost"
	tape-server "localhost"
	auth "local"
	amandates "$AW/state/amandates"
	gnutar-list-dir "$AW/state/gnutar-lists"
	CONF
}

# make_data - a small directory: a few files, one of them larger than a record (32 KiB)
make_data() {
	mkdir -p "$DATA/sub"
	head -c 300000 /dev/urandom >"$DATA/big.bin"
	echo hello >"$DATA/a.txt"
	seq 1 5000 >"$DATA/numbers"
	: >"$DATA/empty"
	head -c 40000 /dev/urandom >"$DATA/sub/forty.bin"
}

# label_tapes N - amlabel RSMFS-01 .. RSMFS-0N in slots 1 .. N
label_tapes() {
	local i
	for i in $(seq "$1"); do
		run as_backup amlabel "$CONF" "RSMFS-0$i" slot "$i"
		echo "$output"
		assert_success
		assert_output --partial "Writing label 'RSMFS-0$i'"
		assert_output --partial "Success!"
	done
}

# the drive of the library that is the session's virtual drive I
vdrive() { basename "$(readlink "$MNT/sessions/mtx-backup/drives/$1")"; }

@test "amtape inventory lists the slots with their barcodes, and with their labels once labelled" {
	run as_backup amtape "$CONF" inventory
	echo "$output"
	assert_success
	assert_line "slot 1: unknown state barcode T00001L6 (current)"
	assert_line "slot 12: unknown state barcode T00012L6"
	assert_line "slot 13: empty"
	assert_line "slot 17: empty (import/export slot)"
	[ "$(grep -c '^slot ' <<<"$output")" -eq 17 ]
	label_tapes 3
	run as_backup amtape "$CONF" inventory
	echo "$output"
	assert_success
	assert_line --regexp "^slot 1: label RSMFS-01 barcode T00001L6( \(in drive [01]\))?( \(current\))? \[retention-no\]$"
	assert_line --regexp "^slot 2: label RSMFS-02 barcode T00002L6( \(in drive [01]\))?( \(current\))? \[retention-no\]$"
	assert_line --regexp "^slot 3: label RSMFS-03 barcode T00003L6( \(in drive [01]\))?( \(current\))? \[retention-no\]$"
	assert_line "slot 4: unknown state barcode T00004L6"
	# the labels are in the tapelist with the barcodes
	grep -q "RSMFS-02 reuse BARCODE:T00002L6" "$AW/state/tapelist"
}

@test "amtape slot 3 loads slot 3 into a drive of the session mtx-backup, its tape backup's" {
	run as_backup amtape "$CONF" slot 3
	echo "$output"
	assert_success
	assert_output --partial "changed to slot 3"
	[ "$(cat "$MNT/media/T00003L6/state")" = mounted ]
	d=$(vdrive 0)
	[ -n "$d" ]
	[ "$(cat "$MNT/drives/$d/session")" = mtx-backup ]
	[ "$(basename "$(readlink "$MNT/drives/$d/medium")")" = T00003L6 ]
	[ "$(cat "$MNT/media/T00003L6/location")" = "drive $d" ]
	[ "$(stat -c %u "$MNT/sessions/mtx-backup")" = "$BACKUP_UID" ]
	[ "$(stat -c %a:%u "$MNT/sessions/mtx-backup/drives/0/tape")" = "600:$BACKUP_UID" ]
	# slot 3 reads empty in the library: its home waits for it
	grep -qx "2 empty - T00003L6" "$MNT/libraries/vtl0/slots"
	run as_backup "$MTX" -f "$MNT/libraries/vtl0" status
	assert_line "Data Transfer Element 0:Full (Storage Element 3 Loaded):VolumeTag = T00003L6"
	# another slot: chg-robot takes the least recently used drive for it
	run as_backup amtape "$CONF" slot 5
	assert_success
	assert_output --partial "changed to slot 5"
	[ "$(cat "$MNT/media/T00005L6/state")" = mounted ]
	run as_backup amtape "$CONF" current
	assert_output --partial "slot   5"
}

@test "amlabel labels three tapes, amcheck passes, amcheck -w writes the next one" {
	label_tapes 3
	[ "$(grep -c ' reuse BARCODE:T0000[123]L6 BLOCKSIZE:32 ' "$AW/state/tapelist")" -eq 3 ]
	# labelling a labelled tape again is refused without -f
	run as_backup amlabel "$CONF" RSMFS-09 slot 2
	assert_failure
	assert_output --partial "RSMFS-02"
	run as_backup amcheck "$CONF"
	echo "$output"
	assert_success
	assert_output --regexp "Will write to volume 'RSMFS-0[123]' in slot [123]"
	assert_output --partial "0 problems found"
	refute_output --partial ERROR
	run as_backup amcheck -w "$CONF"
	echo "$output"
	assert_success
	assert_output --regexp "Volume 'RSMFS-0[123]' is writeable"
}

@test "amdump through chg-robot, amfetchdump gets the files back byte-identical" {
	label_tapes 3
	run as_backup amcheck "$CONF"
	echo "$output"
	assert_success
	# empty both drives: amdump's taper must have a tape loaded through rsmfs-mtx
	run as_backup amtape "$CONF" eject 0
	run as_backup amtape "$CONF" eject 1
	for i in 1 2 3; do
		[ "$(cat "$MNT/media/T0000${i}L6/location")" = "slot $((i - 1))" ]
	done
	[ -z "$(ls "$MNT/sessions/mtx-backup/drives")" ]
	moves_before=$(awk '$1 == "moves" {print $2}' "$MNT/libraries/vtl0/stats")
	t0=$(date +%s.%N)
	run as_backup amdump "$CONF"
	t1=$(date +%s.%N)
	echo "$output"
	assert_success
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	echo "# amdump wall time: $wall s" >&3
	moves_after=$(awk '$1 == "moves" {print $2}' "$MNT/libraries/vtl0/stats")
	[ "$moves_after" -gt "$moves_before" ]
	run as_backup amreport "$CONF" --text
	echo "$output"
	assert_success
	assert_output --regexp "These dumps were to tape RSMFS-0[123]"
	assert_output --regexp "taper: tape RSMFS-0[123] kb [0-9]+ fm 1 \[OK\]"
	assert_line --regexp "^localhost +$DATA +0 "
	refute_output --partial FAILED
	# the dump is on a cartridge of the library, in a drive of the session
	tape=$(sed -n "s/.*These dumps were to tape \(RSMFS-0[123]\).*/\1/p" <<<"$output")
	[ -n "$tape" ]
	as_backup amfetchdump -a -p "$CONF" localhost "$DATA" </dev/null >"$AW/dump.tar" 2>"$AW/fetch.err" ||
		{ cat "$AW/fetch.err"; false; }
	cat "$AW/fetch.err"
	tar -xf "$AW/dump.tar" -C "$AW/restore"
	grep -q "Reading label '$tape'" "$AW/fetch.err"
	diff -r "$DATA" "$AW/restore"
	for f in big.bin a.txt numbers empty sub/forty.bin; do cmp "$DATA/$f" "$AW/restore/$f"; done
	# the index knows the files
	run as_backup amadmin "$CONF" find localhost "$DATA"
	assert_output --partial "$tape"
}

@test "chg-single on a cartridge mounted by hand in the session's ctl: amlabel, amdump, amfetchdump" {
	# the tape file alone, without a changer: backup's own session mounts T00004L6 as its
	# virtual drive 0, and Amanda's changer is that one tape
	cat >>"/etc/amanda/$CONF/amanda.conf" <<-CONF
	define changer by-hand {
	    tpchanger "chg-single:tape:$MNT/sessions/by-hand/drives/0/tape"
	}
	tpchanger "by-hand"
	CONF
	as_backup mkdir "$MNT/sessions/by-hand"
	as_backup sh -c "echo 'mount T00004L6 vdrive=0' >'$MNT/sessions/by-hand/ctl'"
	[ "$(stat -c %a:%u "$MNT/sessions/by-hand/drives/0/tape")" = "600:$BACKUP_UID" ]
	run as_backup amlabel "$CONF" RSMFS-04
	echo "$output"
	assert_success
	assert_output --partial "Success!"
	run as_backup amcheck "$CONF"
	echo "$output"
	assert_success
	assert_output --partial "Will write to volume 'RSMFS-04'"
	run as_backup amdump "$CONF"
	assert_success
	run as_backup amreport "$CONF" --text
	echo "$output"
	assert_output --partial "taper: tape RSMFS-04 kb"
	refute_output --partial FAILED
	as_backup amfetchdump -a -p "$CONF" localhost "$DATA" </dev/null >"$AW/dump.tar" 2>"$AW/fetch.err" ||
		{ cat "$AW/fetch.err"; false; }
	tar -xf "$AW/dump.tar" -C "$AW/restore"
	diff -r "$DATA" "$AW/restore"
	# on the tape: the label, the dump, and their filemarks (mt as backup, the tape's owner)
	run as_backup mt -f "$MNT/sessions/by-hand/drives/0/tape" rewind
	assert_success
	run as_backup mt -f "$MNT/sessions/by-hand/drives/0/tape" eod
	assert_success
	run as_backup mt -f "$MNT/sessions/by-hand/drives/0/tape" status
	assert_output --partial "File number=2, block number=0"
}

# as_bacula CMD... - CMD as the user bacula (group tape), as Debian runs bacula-sd, time-limited
as_bacula() {
	timeout -k 10 "$AM_TIMEOUT" setpriv --reuid=bacula --regid=bacula --init-groups -- \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/bacula LANG=C "$@"
}

@test "amdump and btape at once on the 2-drive library, each in its session; a third session waits for btape's cartridge and gets it when released" {
	[ -x /usr/sbin/btape ] && getent passwd bacula >/dev/null ||
		skip "no /usr/sbin/btape or no user bacula: bacula-sd is not installed (scripts/install-deps)"
	# a robot that takes its time: 1 s a move, 1 s a load, 1 s an unload
	stop_rsmfs
	rm -rf "$TESTDIR/data" && mkdir "$TESTDIR/data"
	MOVE=1 LOAD=1 UNLOAD=1 write_config
	start_rsmfs -o allow_other
	# Amanda keeps to its virtual drive 0: the library's other drive is btape's
	sed -i '/"tape-device" "1=/d' "/etc/amanda/$CONF/amanda.conf"
	label_tapes 2
	run as_backup amtape "$CONF" eject 0
	assert_success
	[ -z "$(ls "$MNT/sessions/mtx-backup/drives")" ]
	# btape's session: bacula's, with T00006L6 mounted by hand as its virtual drive 0
	BT=$MNT/sessions/btape
	mkdir "$TESTDIR/bacula"
	chown bacula:bacula "$TESTDIR/bacula"
	cat >"$TESTDIR/bacula/sd.conf" <<-CONF
	Storage {
	  Name = rsmfs-sd
	  Working Directory = "$TESTDIR/bacula"
	  Pid Directory = "$TESTDIR/bacula"
	}
	Director {
	  Name = rsmfs-dir
	  Password = "unused"
	}
	Messages {
	  Name = Standard
	  Director = rsmfs-dir = all
	}
	Device {
	  Name = btape0
	  Device Type = Tape
	  Media Type = LTO-6
	  Archive Device = $BT/drives/0/tape
	  AutomaticMount = yes
	  AlwaysOpen = no
	  RemovableMedia = yes
	  RandomAccess = no
	}
	CONF
	as_bacula mkdir "$BT"
	as_bacula sh -c 'echo "mount T00006L6 vdrive=0" >"$1"' sh "$BT/ctl"
	[ "$(stat -c %U:%a "$BT/drives/0/tape")" = bacula:600 ]
	moves0=$(awk '$1 == "moves" {print $2}' "$MNT/libraries/vtl0/stats")
	# btape test in the background
	printf 'test\nquit\n' >"$TESTDIR/bacula/btape.in"
	t0=$(date +%s.%N)
	as_bacula /usr/sbin/btape -c "$TESTDIR/bacula/sd.conf" -w "$TESTDIR/bacula" btape0 \
		<"$TESTDIR/bacula/btape.in" >"$TESTDIR/bacula/btape.out" 2>&1 &
	btape_pid=$!
	# the third session (root's) asks for btape's cartridge: its blocking mount waits
	mkdir "$MNT/sessions/waiter"
	timeout -k 5 "$AM_TIMEOUT" sh -c 'echo "mount T00006L6" >"$1"' sh "$MNT/sessions/waiter/ctl" &
	waiter_pid=$!
	wait_for "$MNT/sessions/waiter/last/state" waiting 10
	# amdump meanwhile, through chg-robot, in the other drive
	ta=$(date +%s.%N)
	run as_backup amdump "$CONF"
	t1=$(date +%s.%N)
	echo "$output"
	assert_success
	kill -0 "$btape_pid" && btape_overlapped=yes || btape_overlapped=no
	wait "$btape_pid" || { cat "$TESTDIR/bacula/btape.out"; false; }
	t2=$(date +%s.%N)
	awk -v a="$t0" -v t="$ta" -v b="$t1" -v c="$t2" -v o="$btape_overlapped" 'BEGIN {
		printf "# amdump %.1f s, btape test %.1f s, at once (btape still running when amdump ended: %s)\n", b - t, c - a, o }' >&3
	cat "$TESTDIR/bacula/btape.out"
	grep -q "=== End Forward space files test ===" "$TESTDIR/bacula/btape.out"
	[ "$(grep -c "NOT correct" "$TESTDIR/bacula/btape.out")" = 0 ]
	run as_backup amreport "$CONF" --text
	assert_output --regexp "taper: tape RSMFS-0[12] kb [0-9]+ fm 1 \[OK\]"
	refute_output --partial FAILED
	# btape is done but its session still holds T00006L6: the waiter waits
	[ "$(cat "$MNT/sessions/waiter/last/state")" = waiting ]
	kill -0 "$waiter_pid"
	as_bacula sh -c 'echo "dismount T00006L6" >"$1"' sh "$BT/ctl"
	wait "$waiter_pid"
	[ "$(cat "$MNT/sessions/waiter/last/state")" = passed ]
	[ "$(cat "$MNT/media/T00006L6/state")" = mounted ]
	grep -qx "drive d[01]" "$MNT/media/T00006L6/location"
	[ "$(cat "$MNT/drives/$(sed 's/^drive //' "$MNT/media/T00006L6/location")/session")" = waiter ]
	# the dump reads back
	as_backup amfetchdump -a -p "$CONF" localhost "$DATA" </dev/null >"$AW/dump.tar" 2>"$AW/fetch.err" ||
		{ cat "$AW/fetch.err"; false; }
	tar -xf "$AW/dump.tar" -C "$AW/restore"
	diff -r "$DATA" "$AW/restore"
	moves1=$(awk '$1 == "moves" {print $2}' "$MNT/libraries/vtl0/stats")
	{
		echo "# libraries/vtl0/stats (robot moves during the run: $((moves1 - moves0))):"
		sed 's/^/#   /' "$MNT/libraries/vtl0/stats"
		echo "# the library's requests (session operation medium drive state):"
		for r in $(ls "$MNT/requests" | sort -n); do
			printf '#   %s %s %s %s %s %s\n' "$r" "$(cat "$MNT/requests/$r/session")" \
				"$(cat "$MNT/requests/$r/operation")" "$(cat "$MNT/requests/$r/medium")" \
				"$(cat "$MNT/requests/$r/drive")" "$(cat "$MNT/requests/$r/state")"
		done
	} >&3
}
