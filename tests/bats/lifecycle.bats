#!/usr/bin/env bats
# The program: readiness, signals, unmount, restart on the same catalog, configuration errors.

load helper

setup() { setup_rsmfs; }
teardown() { teardown_rsmfs; }

@test "--ready-fd writes exactly one byte once the tree is mounted" {
	stop_rsmfs
	"$RSMFS" -f -c "$TESTDIR/rsmfs.conf" --ready-fd 4 "$MNT" 4>"$TESTDIR/readybytes" &
	RSMFS_PID=$!
	for _ in $(seq 100); do
		[ -s "$TESTDIR/readybytes" ] && break
		sleep 0.05
	done
	[ "$(stat -c %s "$TESTDIR/readybytes")" -eq 1 ]
	[ -d "$MNT/drives/d0" ]
	sleep 0.2
	[ "$(stat -c %s "$TESTDIR/readybytes")" -eq 1 ]
}

@test "SIGTERM: parked reads get end of file, parked mounts ESHUTDOWN, exit 0 within 2 s" {
	mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	echo "mount T00001L6" >"$MNT/sessions/a/ctl"
	cat "$MNT/sessions/b/notify/drive" >"$TESTDIR/cat.out" &
	reader=$!
	$PROBE write "$MNT/sessions/b/ctl" 'mount T00001L6\n' >"$TESTDIR/writer.out" &
	writer=$!
	sleep 0.5
	start=$(date +%s%N)
	kill -TERM "$RSMFS_PID"
	st=0
	wait "$RSMFS_PID" || st=$?
	[ "$st" -eq 0 ]
	[ $((($(date +%s%N) - start) / 1000000)) -lt 2000 ]
	RSMFS_PID=
	st=0
	wait "$reader" || st=$?
	[ "$st" -eq 0 ]
	wait "$writer" || true
	[ "$(cat "$TESTDIR/writer.out")" = ESHUTDOWN ]
	! mountpoint -q "$MNT"
}

@test "SIGTERM while changes stream to the inotify replay: exit 0 within 2 s, every time" {
	# a replayed call that a worker took off the device just as the session loop ended is
	# never answered, and the daemon must not wait for it
	for round in $(seq 8); do
		[ "$round" -eq 1 ] || start_rsmfs
		(for _ in $(seq 2000); do
			echo disable >"$MNT/drives/d1/ctl"
			echo enable >"$MNT/drives/d1/ctl"
		done) 2>/dev/null &
		changer=$!
		sleep 0.3
		kill -TERM "$RSMFS_PID"
		exited=
		for _ in $(seq 20); do
			kill -0 "$RSMFS_PID" 2>/dev/null || { exited=1; break; }
			sleep 0.1
		done
		# (a daemon still running holds the changer's write: teardown kills both)
		[ -n "$exited" ] || { echo "round $round: running 2 s after SIGTERM" >&2; false; }
		kill "$changer" 2>/dev/null || true
		wait "$changer" 2>/dev/null || true
		st=0
		wait "$RSMFS_PID" || st=$?
		RSMFS_PID=
		[ "$st" -eq 0 ]
		! mountpoint -q "$MNT"
	done
}

@test "SIGINT stops the daemon the same way" {
	kill -INT "$RSMFS_PID"
	st=0
	wait "$RSMFS_PID" || st=$?
	[ "$st" -eq 0 ]
	RSMFS_PID=
	! mountpoint -q "$MNT"
}

@test "fusermount3 -u makes the daemon exit 0" {
	fusermount3 -u "$MNT"
	st=0
	wait "$RSMFS_PID" || st=$?
	[ "$st" -eq 0 ]
	RSMFS_PID=
}

@test "restart on the same catalog: ids, locations and request history survive; sessions do not" {
	mkdir "$MNT/sessions/a"
	echo "mount T00003L6 drive=d1" >"$MNT/sessions/a/ctl"
	echo "mount T00004L6 nowait" >"$MNT/sessions/a/ctl"
	lib=$(cat "$MNT/libraries/vtl0/id")
	med=$(cat "$MNT/media/T00003L6/id")
	req=$(cat "$MNT/requests/1/id")
	stop_rsmfs
	start_rsmfs
	[ "$(cat "$MNT/libraries/vtl0/id")" = "$lib" ]
	[ "$(cat "$MNT/media/T00003L6/id")" = "$med" ]
	[ "$(cat "$MNT/requests/1/id")" = "$req" ]
	[ "$(cat "$MNT/requests/1/state")" = passed ]
	[ "$(cat "$MNT/media/T00003L6/location")" = "drive d1" ]
	[ "$(cat "$MNT/media/T00003L6/state")" = dismountable ]
	[ ! -e "$MNT/sessions/a" ]
	mkdir "$MNT/sessions/b"
	echo "mount T00005L6" >"$MNT/sessions/b/ctl"
	[ "$(readlink "$MNT/sessions/b/last")" = ../../requests/3 ]
}

@test "without -f the program returns once the tree is mounted" {
	stop_rsmfs
	run "$RSMFS" -c "$TESTDIR/rsmfs.conf" "$MNT"
	assert_success
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	fusermount3 -u "$MNT"
}

@test "configuration errors: clear message, non-zero exit, nothing mounted" {
	stop_rsmfs
	printf '[rsmfs]\nfrobnicate = 1\n' >"$TESTDIR/bad.conf"
	run "$RSMFS" -f -c "$TESTDIR/bad.conf" "$MNT"
	assert_failure
	assert_output --partial "bad.conf:2: unknown key 'frobnicate'"
	printf '[library x]\ndrives = -3\n' >"$TESTDIR/bad.conf"
	run "$RSMFS" -f -c "$TESTDIR/bad.conf" "$MNT"
	assert_failure
	assert_output --partial "bad value '-3' for drives"
	printf '[library x]\nslots = 4\nmedia = 9\n' >"$TESTDIR/bad.conf"
	run "$RSMFS" -f -c "$TESTDIR/bad.conf" "$MNT"
	assert_output --partial "9 media do not fit in 4 slots"
	run "$RSMFS" -f -c "$TESTDIR/nosuch.conf" "$MNT"
	assert_failure
	assert_output --partial "No such file or directory"
	run "$RSMFS" -f --bogus "$MNT"
	[ "$status" -eq 2 ]
	! mountpoint -q "$MNT"
}

@test "a catalog that is not an rsmfs catalog is refused with a clear message" {
	stop_rsmfs
	echo "this is not a database" >"$TESTDIR/data/other.db"
	printf '[rsmfs]\ndatabase = %s\n' "$TESTDIR/data/other.db" >"$TESTDIR/bad.conf"
	run "$RSMFS" -f -c "$TESTDIR/bad.conf" "$MNT"
	assert_failure
	assert_output --partial "other.db"
	! mountpoint -q "$MNT"
}

@test "the example configuration of rsmfs.conf(5) starts; a scsi library it cannot reach is offline" {
	stop_rsmfs
	cat >>"$TESTDIR/rsmfs.conf" <<-CONF

	[library lib1]
	backend = scsi
	changer = /dev/sg4                 ; or iscsi://127.0.0.1:3260/<iqn>/<lun>
	drive.0 = /dev/nst0
	drive.1 = /dev/nst1
	CONF
	start_rsmfs
	[ "$(cat "$MNT/libraries/lib1/state")" = offline ]
	[ "$(cat "$MNT/libraries/lib1/backend")" = scsi ]
	[ "$(cat "$MNT/libraries/lib1/changer")" = /dev/sg4 ]
	[ "$(cat "$MNT/libraries/vtl0/state")" = online ]
	[ "$(ls "$MNT/libraries")" = "$(printf 'lib1\nvtl0')" ]
	grep -q "library lib1: offline ERROR_LIBRARY_OFFLINE: /dev/sg4: No such file or directory (retried every 2 s)" \
		"$TESTDIR/rsmfs.err"
	# mounts in it are refused with ERROR_LIBRARY_OFFLINE, the sim library works on
	[ -z "$(ls "$MNT/libraries/lib1/drives")" ]
	printf '[library x]\nbackend = scsi\n' >"$TESTDIR/bad.conf"
	stop_rsmfs
	run "$RSMFS" -f -c "$TESTDIR/bad.conf" "$MNT"
	assert_failure
	assert_output --partial "backend scsi needs a changer address"
}

@test "the daemon keeps its FUSE worker threads: after 200 requests the threads it had are there" {
	# a worker that ended after each request (and a /dev/fuse clone for each new one) is
	# what libfuse does when its loop reads the configuration as an older version's
	cat "$MNT/drives/d0/state" >/dev/null
	ls /proc/"$RSMFS_PID"/task | sort >"$TESTDIR/before"
	for _ in $(seq 100); do
		cat "$MNT/drives/d0/state" "$MNT/media/T00001L6/state" >/dev/null
	done
	ls /proc/"$RSMFS_PID"/task | sort >"$TESTDIR/after"
	gone=$(comm -23 "$TESTDIR/before" "$TESTDIR/after")
	[ -z "$gone" ] || { echo "threads gone: $gone" >&2; false; }
	[ "$(ls -l /proc/"$RSMFS_PID"/fd | grep -c /dev/fuse)" -eq 1 ]
}
