#!/usr/bin/env bats
# Ordinary watchers (rsmfs(5), WATCHERS): inotify sees the engine's own changes as IN_MODIFY on the
# attribute files whose value changed and IN_CREATE/IN_DELETE where entries come and go;
# poll() on an attribute file reports POLLPRI|POLLERR when its value changes.

load helper

setup() { setup_rsmfs; mkdir "$MNT/sessions/s"; }
teardown() { teardown_rsmfs; }

# watch DIR... - starts inotifywait on DIRs (output in $TESTDIR/events) and waits until the
# watches are in place
watch() {
	inotifywait -m -e modify,create,delete --format '%w%f %e' "$@" >"$TESTDIR/events" \
		2>"$TESTDIR/watch.err" &
	WATCHER=$!
	for _ in $(seq 400); do
		grep -q "Watches established" "$TESTDIR/watch.err" && return 0
		sleep 0.05
	done
	return 1
}

# seen LINE - waits until inotifywait reported LINE
seen() {
	for _ in $(seq 400); do
		grep -qxF "$1" "$TESTDIR/events" && return 0
		sleep 0.05
	done
	echo "never saw '$1'; saw:" >&2
	cat "$TESTDIR/events" >&2
	return 1
}

# poll_d0_through_mount - polls drives/d0/state (fsprobe pollpri, until it reads mounted;
# output in $TESTDIR/poll) while session s mounts T00001L6.  The mount waits until the probe
# has read the file: on a loaded machine starting python alone can take seconds, and a change
# before the probe's first read would be no change to it.
poll_d0_through_mount() {
	$PROBE pollpri "$MNT/drives/d0/state" 20 mounted >"$TESTDIR/poll" &
	local p=$! i
	for i in $(seq 400); do
		grep -q ARMED "$TESTDIR/poll" && break
		sleep 0.05
	done
	grep -q ARMED "$TESTDIR/poll" || { echo "the probe never armed" >&2; return 1; }
	sleep 0.2
	ctl s "mount T00001L6"
	wait "$p"
}

@test "a mount finishing is IN_MODIFY on drive and medium attribute files, IN_CREATE of drives/d0/medium" {
	watch "$MNT/drives/d0" "$MNT/media/T00001L6" "$MNT/requests"
	ctl s "mount T00001L6"
	seen "$MNT/drives/d0/state MODIFY"
	seen "$MNT/drives/d0/session MODIFY"
	seen "$MNT/drives/d0/medium CREATE"
	seen "$MNT/media/T00001L6/state MODIFY"
	seen "$MNT/media/T00001L6/location MODIFY"
	seen "$MNT/requests/1 CREATE,ISDIR"
	# nothing that did not change is reported
	! grep -q "drives/d0/stats\|media/T00001L6/type\|media/T00001L6/barcode" "$TESTDIR/events"
	ctl s "dismount T00001L6"
	seen "$MNT/drives/d0/medium DELETE"
}

@test "a request's state moving is IN_MODIFY on requests/<n>/state" {
	echo "timing move=0.5" >"$MNT/libraries/vtl0/sim/ctl"
	ctl s "mount T00001L6 nowait"
	watch "$MNT/requests/1"
	wait_for "$MNT/requests/1/state" passed
	seen "$MNT/requests/1/state MODIFY"
	seen "$MNT/requests/1/finished MODIFY"
	! grep -q "requests/1/operation" "$TESTDIR/events"
}

@test "entries coming and going: media/, opreqs/, sessions/, pools/, a session's requests/" {
	watch "$MNT/media" "$MNT/opreqs" "$MNT/sessions" "$MNT/pools" "$MNT/sessions/s/requests"
	echo "insert NEW001L6" >"$MNT/libraries/vtl0/sim/ctl"
	seen "$MNT/media/NEW001L6 CREATE,ISDIR"
	echo inject >"$MNT/libraries/vtl0/ctl"
	wait_for "$MNT/media/NEW001L6/state" idle
	echo "message hi" >"$MNT/sessions/s/ctl"
	seen "$MNT/opreqs/1 CREATE,ISDIR"
	mkdir "$MNT/sessions/t" "$MNT/pools/P"
	seen "$MNT/sessions/t CREATE,ISDIR"
	seen "$MNT/pools/P CREATE,ISDIR"
	rmdir "$MNT/sessions/t" "$MNT/pools/P"
	seen "$MNT/sessions/t DELETE,ISDIR"
	seen "$MNT/pools/P DELETE,ISDIR"
	# an operator request withdrawn by a time-out goes away: IN_DELETE
	echo eject >"$MNT/media/T00002L6/ctl"
	wait_for "$MNT/media/T00002L6/state" in-port
	echo remove >"$MNT/libraries/vtl0/sim/ctl"
	$PROBE write "$MNT/sessions/s/ctl" 'mount T00002L6 timeout=0.5\n' >/dev/null
	seen "$MNT/opreqs/2 CREATE,ISDIR"
	seen "$MNT/opreqs/2 DELETE,ISDIR"
	[ "$(grep -c 'CREATE,ISDIR$' "$TESTDIR/events")" -eq 5 ]
}

@test "the last of a session's requests is IN_CREATE in the session's requests/" {
	watch "$MNT/sessions/s/requests" "$MNT/sessions/s"
	ctl s "mount T00001L6"
	seen "$MNT/sessions/s/requests/1 CREATE"
	seen "$MNT/sessions/s/last CREATE"
}

@test "poll on an attribute file: POLLPRI|POLLERR when its value changes, then pread at 0" {
	poll_d0_through_mount
	# with no robot time the poller may still wake while the drive is loading: each wake-up
	# reads the value of that moment, and the pread re-arms it for the next change
	[ "$(tail -1 "$TESTDIR/poll")" = "CHANGED mounted" ]
	! grep -v -x -e ARMED -e "CHANGED loading" -e "CHANGED mounted" "$TESTDIR/poll"
	# no change, no wake-up
	run $PROBE pollpri "$MNT/drives/d1/state" 0.5
	[ "${lines[1]}" = TIMEOUT ]
}

@test "poll on an attribute file: each pread at 0 re-arms it, so every change wakes the poller" {
	stop_rsmfs
	LOAD=0.5 write_config
	start_rsmfs
	mkdir "$MNT/sessions/s"
	poll_d0_through_mount
	[ "$(cat "$TESTDIR/poll")" = "$(printf 'ARMED\nCHANGED loading\nCHANGED mounted')" ]
}

@test "stat and ls follow the engine at once" {
	ls "$MNT/requests" >/dev/null
	stat "$MNT/drives/d0/state" >/dev/null
	ctl s "mount T00001L6"
	[ -L "$MNT/drives/d0/medium" ]
	[ "$(ls "$MNT/requests")" = 1 ]
	[ "$(stat -c %s "$MNT/drives/d0/state")" -eq 8 ]
	ctl s "dismount T00001L6"
	wait_for "$MNT/requests/2/state" passed
	[ ! -e "$MNT/drives/d0/medium" ]
	[ "$(stat -c %s "$MNT/drives/d0/state")" -eq 6 ]
}

@test "a listing beside new entries takes none of their IN_CREATEs" {
	# a listing brings the entries of libraries, drives and media only (rsmfs(5), CACHING): an
	# entry of a new request held by the kernel would make the replay's mkdir of it fail
	watch "$MNT/requests"
	(while :; do ls -l "$MNT/requests" "$MNT/media" "$MNT/sessions" >/dev/null 2>&1; done) &
	local lister=$!
	for _ in $(seq ${CYCLES:-25}); do
		ctl s "mount T00001L6"
		ctl s "dismount T00001L6"
	done
	kill "$lister"
	wait "$lister" 2>/dev/null || true
	local n
	n=$(ls "$MNT/requests" | wc -l)
	[ "$n" -ge 50 ]
	seen "$MNT/requests/$(ls "$MNT/requests" | sort -n | tail -1) CREATE,ISDIR"
	[ "$(grep -c 'CREATE,ISDIR$' "$TESTDIR/events")" -eq "$n" ] ||
		{ echo "$n requests, IN_CREATE for:" >&2; grep CREATE "$TESTDIR/events" >&2; false; }
}
