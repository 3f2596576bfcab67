#!/usr/bin/env bats
# One library used from several hosts of a site (rsmfs(8), SEVERAL HOSTS): its manager runs
# the queue, the other hosts queue their requests in the catalog and learn their end from it;
# a cancel from any host; a running host that takes the library over when its manager dies or
# freezes; the catalog stopped under several hosts.

load helper
load site_helper

# user_host NAME - host NAME started with the same library as a (which manages it): a user
user_host() {
	host_config "$1"
	start_host "$1"
	wait_for "$TESTDIR/$1/mnt/libraries/vtl0/manager" a
}

# one_place MOUNTPOINT - every cartridge of vtl0 in a drive or a slot, no two in one place, and
# the slots table agreeing, as that host sees them
one_place() {
	local places
	places=$(cat "$1"/media/*/location)
	[ "$(echo "$places" | grep -c -E '^(drive|slot) ')" -eq 12 ] || {
		echo "not all 12 in a drive or slot on $1: $places" >&2
		return 1
	}
	[ "$(echo "$places" | sort | uniq -d)" = "" ] || {
		echo "two media in one place on $1: $places" >&2
		return 1
	}
	[ "$(awk '$2 == "full"' "$1/libraries/vtl0/slots" | wc -l)" -eq \
		"$(echo "$places" | grep -c '^slot ')" ]
}

@test "a host with a library another host manages starts as its user; its mount runs there" {
	two_hosts
	user_host b
	B=$TESTDIR/b/mnt
	[ "$(cat "$B/hosts/b/manages")" = "" ]
	# the changer is its manager's: the sim's hands act only there
	r=$($PROBE write "$B/libraries/vtl0/sim/ctl" 'timing move=1\n')
	[ "$r" = ENOTSUP ] || { echo "sim/ctl on b: $r" >&2; false; } # EOPNOTSUPP
	mkdir "$B/sessions/sb"
	# the request is b's, queued in the catalog; a's scheduler runs it, and b's write returns
	echo "mount T00003L6" >"$B/sessions/sb/ctl"
	[ "$(cat "$B/media/T00003L6/state")" = mounted ]
	n=$(basename "$(readlink "$B/sessions/sb/last")")
	[ "$(cat "$B/requests/$n/state")" = passed ]
	[ "$(cat "$MNT/requests/$n/session")" = sb ]
	wait_for "$MNT/media/T00003L6/state" mounted 2
	d=$(awk '{ print $2 }' "$B/media/T00003L6/location")
	[ "$(cat "$B/drives/$d/session")" = sb ]
	[ "$(cat "$MNT/drives/$d/session")" = sb ]
	[ "$(readlink "$B/sessions/sb/drives/0")" = "../../../drives/$d" ]
	[ "$(sql "SELECT session FROM drives WHERE name = '$d'")" = sb ]
	# another session's medium: a's session cannot dismount it, b's can
	[ "$($PROBE write "$MNT/sessions/sa/ctl" 'dismount T00003L6\n')" = EACCES ]
	# b writes the tape through its own tree (the cartridge images are in the shared
	# data_dir); after a dismount, a's session mounts it and reads what b wrote
	mkdir -p "$TESTDIR/files"
	echo "written on b" >"$TESTDIR/files/note"
	tar cf "$B/drives/$d/tape" -C "$TESTDIR/files" note
	echo "dismount T00003L6" >"$B/sessions/sb/ctl"
	wait_for "$B/media/T00003L6/state" idle 3
	wait_for "$MNT/media/T00003L6/state" idle 2
	one_place "$B"
	one_place "$MNT"
	ctl sa "mount T00003L6"
	d=$(awk '{ print $2 }' "$MNT/media/T00003L6/location")
	[ "$(tar xOf "$MNT/drives/$d/tape" note)" = "written on b" ]
}

@test "a mount from b waits for a's session to let the medium go; closing b's session releases its drive" {
	two_hosts
	user_host b
	B=$TESTDIR/b/mnt
	ctl sa "mount T00001L6"
	mkdir "$B/sessions/sb"
	echo "mount T00001L6" >"$B/sessions/sb/ctl" &
	writer=$!
	sleep 1
	kill -0 "$writer" # still waiting: a's session holds it
	n=$(basename "$(readlink "$B/sessions/sb/last")")
	wait_for "$MNT/requests/$n/state" waiting
	ctl sa "dismount T00001L6"
	wait "$writer"
	[ "$(cat "$B/media/T00001L6/state")" = mounted ]
	d=$(awk '{ print $2 }' "$B/media/T00001L6/location")
	wait_for "$MNT/drives/$d/session" sb
	# b's session closes: its manager, a, leaves the medium dismountable in its drive
	rmdir "$B/sessions/sb"
	wait_for "$MNT/drives/$d/state" dismountable 3
	wait_for "$B/drives/$d/state" dismountable 2
	[ "$(cat "$MNT/drives/$d/session")" = "" ]
}

@test "a cancel from another host: b's queued mount cancelled from c, its caller told; one in process refused" {
	two_hosts
	user_host b
	user_host c
	B=$TESTDIR/b/mnt
	C=$TESTDIR/c/mnt
	ctl sa "mount T00002L6"
	mkdir "$B/sessions/sb"
	$PROBE write "$B/sessions/sb/ctl" 'mount T00002L6\n' >"$TESTDIR/answer" &
	writer=$!
	for _ in $(seq 50); do
		[ -L "$B/sessions/sb/last" ] && break
		sleep 0.1
	done
	n=$(basename "$(readlink "$B/sessions/sb/last")")
	wait_for "$C/requests/$n/state" waiting
	echo cancel >"$C/requests/$n/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/answer")" = ECANCELED ]
	[ "$(cat "$B/requests/$n/state")" = cancelled ]
	wait_for "$MNT/requests/$n/state" cancelled 2
	[ "$(sql "SELECT state FROM requests WHERE number = $n")" = cancelled ]
	# a finished request: ENOENT on every host
	[ "$($PROBE write "$C/requests/$n/ctl" 'cancel\n')" = ENOENT ]
	# one the manager is carrying out (a slow robot on a): EBUSY from c, and it goes on
	echo "timing move=2" >"$MNT/libraries/vtl0/sim/ctl"
	echo "mount T00004L6 nowait" >"$B/sessions/sb/ctl"
	n=$(basename "$(readlink "$B/sessions/sb/last")")
	wait_for "$C/requests/$n/state" inprocess
	[ "$($PROBE write "$C/requests/$n/ctl" 'cancel\n')" = EBUSY ]
	wait_for "$B/requests/$n/state" passed 10
	[ "$(cat "$B/media/T00004L6/state")" = mounted ]
	# a's medium stayed a's
	[ "$(cat "$MNT/drives/$(awk '{ print $2 }' "$MNT/media/T00002L6/location")/session")" = sa ]
	# session names are the site's, on the third host too
	run mkdir "$C/sessions/sb"
	[[ "$output" == *"File exists"* ]]
	[ "$($PROBE write "$C/sessions/sb/ctl" 'mount T00001L6\n')" = EREMOTE ]
}

@test "a change on a is seen on b and c: their trees, a channel on b, inotify and poll on c" {
	two_hosts
	user_host b
	user_host c
	B=$TESTDIR/b/mnt
	C=$TESTDIR/c/mnt
	mkdir "$B/sessions/watch"
	timeout 10 grep -m1 " media/T00005L6 " "$B/sessions/watch/notify/media" >"$TESTDIR/event" &
	reader=$!
	inotifywait -m -e modify --format '%w' "$C/media/T00005L6/state" >"$TESTDIR/events" \
		2>"$TESTDIR/watch.err" &
	watcher=$!
	for _ in $(seq 100); do
		grep -q "Watches established" "$TESTDIR/watch.err" && break
		sleep 0.05
	done
	$PROBE pollpri "$C/media/T00005L6/state" 10 mounted >"$TESTDIR/poll" &
	poller=$!
	for _ in $(seq 100); do
		grep -q ARMED "$TESTDIR/poll" && break
		sleep 0.05
	done
	sleep 0.3
	ctl sa "mount T00005L6"
	wait "$reader"
	wait "$poller"
	grep -qx "CHANGED mounted" "$TESTDIR/poll"
	grep -q " media/T00005L6 " "$TESTDIR/event"
	for f in media/T00005L6/state requests/$(basename "$(readlink "$MNT/sessions/sa/last")")/state; do
		wait_for "$B/$f" "$(cat "$MNT/$f")" 2
		wait_for "$C/$f" "$(cat "$MNT/$f")" 2
	done
	for _ in $(seq 40); do
		grep -q "media/T00005L6/state" "$TESTDIR/events" && break
		sleep 0.05
	done
	kill "$watcher"
	grep -q "media/T00005L6/state" "$TESTDIR/events"
	# pools are the site's: one made on a is on b and c, and gone from them once removed
	mkdir "$MNT/pools/Shared"
	for h in "$B" "$C"; do
		for _ in $(seq 40); do
			[ -d "$h/pools/Shared" ] && break
			sleep 0.05
		done
		[ -d "$h/pools/Shared" ]
	done
	rmdir "$MNT/pools/Shared"
	for h in "$B" "$C"; do
		for _ in $(seq 40); do
			[ ! -e "$h/pools/Shared" ] && break
			sleep 0.05
		done
		[ ! -e "$h/pools/Shared" ]
	done
	# the same tree on every host
	for t in media requests opreqs pools sessions; do
		[ "$(ls "$MNT/$t")" = "$(ls "$B/$t")" ] || { echo "$t differs on b" >&2; false; }
		[ "$(ls "$MNT/$t")" = "$(ls "$C/$t")" ] || { echo "$t differs on c" >&2; false; }
	done
}

@test "kill -9 of the manager during a stream of mounts from b: b takes over within 10 s and the stream goes on" {
	two_hosts
	user_host b
	B=$TESTDIR/b/mnt
	end=$(($(date +%s) + 10))
	loaders=
	for i in 1 2 3 4; do
		mkdir "$B/sessions/load$i"
		(while [ "$(date +%s)" -lt "$end" ]; do
			for c in mount dismount; do
				r=$($PROBE write "$B/sessions/load$i/ctl" "$c T0000${i}L6\n")
				[ "$r" = OK ] || echo "$(date +%T.%N) load$i $c: $r"
			done
		done) >>"$TESTDIR/loaders.err" &
		loaders="$loaders $!"
	done
	sleep 2
	crash_host "$RSMFS_PID" "$MNT"
	RSMFS_PID=
	start=$(date +%s.%N)
	wait_for "$B/libraries/vtl0/manager" b 10
	took=$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { print n - s }')
	echo "b took over $took s after a was killed" >&3
	awk -v t="$took" 'BEGIN { exit !(t < 10) }'
	grep -q "took library vtl0 over" "$TESTDIR/b/rsmfs.err"
	# the stream carries on through b
	for p in $loaders; do wait "$p"; done
	echo "killed at $(date -d @"${start%.*}" +%T); failed writes:" >&3
	cat "$TESTDIR/loaders.err" >&3
	mkdir "$B/sessions/after"
	echo "mount T00006L6" >"$B/sessions/after/ctl"
	[ "$(cat "$B/media/T00006L6/state")" = mounted ]
	# the crash suite's invariants on b (tests/tools/crashload.py: every medium in one place,
	# the slots, drives and media agreeing, the catalog agreeing with the sim's physical
	# record, pools consistent), nothing left in process, the catalog agrees
	run $PYTHON "$BATS_TEST_DIRNAME/../tools/crashload.py" check "$B" "$TESTDIR/data"
	echo "$output"
	[ "$status" -eq 0 ]
	one_place "$B"
	for r in "$B"/requests/*; do
		[ "$(cat "$r/state")" != inprocess ] || { echo "$r in process" >&2; false; }
	done
	[ "$(sql "SELECT count(*) FROM requests WHERE state IN ('inprocess')")" = 0 ]
	[ "$(sql "SELECT count(*) FROM media m JOIN drives d ON d.medium = m.name WHERE m.loc <> 'drive'")" = 0 ]
	# the passed mounts of the stream after the kill ran on b
	[ "$(sql "SELECT count(*) FROM requests WHERE operation = 'mount' AND state = 'passed'")" -gt 4 ]
}

@test "the manager frozen past its lease: running b takes over; a resumed moves nothing and steps down" {
	two_hosts
	user_host b
	B=$TESTDIR/b/mnt
	a=$RSMFS_PID
	kill -STOP "$a"
	wait_for "$B/libraries/vtl0/manager" b 10
	kill -CONT "$a"
	run $PROBE write "$MNT/sessions/sa/ctl" 'mount T00004L6\n'
	[ "$output" != OK ]
	wait_for "$MNT/libraries/vtl0/state" offline
	grep -q 'lease of library vtl0 passed to another host' "$TESTDIR/rsmfs.err"
	[ "$(cat "$B/media/T00004L6/location")" = "slot 3" ]
	mkdir "$B/sessions/t"
	echo "mount T00004L6" >"$B/sessions/t/ctl"
	[ "$(cat "$B/media/T00004L6/state")" = mounted ]
}

@test "PostgreSQL stopped under two hosts: reads go on on both, commands EIO; restarted, b's mounts run" {
	two_hosts
	user_host b
	B=$TESTDIR/b/mnt
	mkdir "$B/sessions/sb"
	echo "mount T00001L6" >"$B/sessions/sb/ctl"
	"$PG" stop "$RSMFS_TEST_PG"
	sleep 10
	[ "$(cat "$B/media/T00001L6/state")" = mounted ]
	[ "$(cat "$MNT/media/T00001L6/state")" = mounted ]
	[ "$($PROBE write "$B/sessions/sb/ctl" 'mount T00002L6\n')" = EIO ]
	[ "$($PROBE write "$MNT/sessions/sa/ctl" 'mount T00002L6\n')" = EIO ]
	[ "$(cat "$B/media/T00002L6/state")" = idle ]
	"$PG" restart "$RSMFS_TEST_PG"
	for _ in $(seq 20); do
		[ "$(timeout 15 $PROBE write "$B/sessions/sb/ctl" 'mount T00002L6\n')" = OK ] && break
		sleep 0.5
	done
	[ "$(cat "$B/media/T00002L6/state")" = mounted ] || { cat "$B/media/T00002L6/state" "$MNT/media/T00002L6/state"; ls -l "$B/sessions/sb/"; cat "$B"/requests/*/state; tail -20 "$TESTDIR/b/rsmfs.err" "$TESTDIR/rsmfs.err"; false; }
	# a's lease ran out meanwhile: a, back, renews it before b would take it
	[ "$(cat "$B/libraries/vtl0/manager")" = a ] || {
		echo "manager on b: $(cat "$B/libraries/vtl0/manager"); a: $(cat "$MNT/libraries/vtl0/manager")" >&2
		tail -n 5 "$TESTDIR/rsmfs.err" "$TESTDIR/b/rsmfs.err" >&2
		false
	}
	[ "$(cat "$MNT/libraries/vtl0/state")" = online ]
	echo "dismount T00001L6" >"$B/sessions/sb/ctl"
	wait_for "$MNT/media/T00001L6/state" idle 5
}

@test "a host with manage = no never takes the library over; its queued mount runs once another does" {
	two_hosts
	host_config c
	sed -i '/^\[library vtl0\]/a manage = no' "$TESTDIR/c/rsmfs.conf"
	start_host c
	C=$TESTDIR/c/mnt
	wait_for "$C/libraries/vtl0/manager" a
	stop_rsmfs
	mkdir "$C/sessions/sc"
	echo "mount T00007L6 nowait" >"$C/sessions/sc/ctl"
	n=$(basename "$(readlink "$C/sessions/sc/last")")
	sleep 3 # a's lease was given up at its stop: c leaves it
	[ "$(cat "$C/libraries/vtl0/manager")" = "" ]
	[ "$(sql "SELECT count(*) FROM leases WHERE holder = 'c'")" = 0 ]
	[ "$(cat "$C/requests/$n/state")" = queued ]
	# b starts, takes the lease, and runs the queue it finds, c's mount included
	host_config b
	start_host b
	wait_for "$C/libraries/vtl0/manager" b 3
	wait_for "$C/requests/$n/state" passed 5
	[ "$(cat "$C/media/T00007L6/state")" = mounted ]
	[ "$(cat "$TESTDIR/b/mnt/drives/$(awk '{ print $2 }' "$C/media/T00007L6/location")/session")" = sc ]
}
