#!/usr/bin/env bats
# The catalog on PostgreSQL (rsmfs.conf(5), SEVERAL HOSTS): a server of the suite's own
# (tests/tools/pg.sh: initdb in a temporary directory, an unprivileged user, a Unix socket),
# each test a schema of its own in it (helper.bash).  What only PostgreSQL has: its schema,
# its locks, and the server going away and coming back.

load helper
load site_helper

# rejected CMD ERRNO - the command fails with ERRNO and the tree's state is unchanged
rejected() {
	local before after
	before=$(state_dump)
	run $PROBE write "$MNT/sessions/s/ctl" "$1"
	[ "$output" = "$2" ] || { echo "'$1' gave $output, wanted $2" >&2; return 1; }
	after=$(state_dump)
	[ "$before" = "$after" ] || { echo "'$1' changed the state" >&2; return 1; }
}

@test "rsmfs creates the schema with its version, and a restart reads what it wrote" {
	[ "$(sql 'SELECT version FROM schema_version')" = 1 ]
	[ "$(sql 'SELECT count(*) FROM media')" = 12 ]
	ctl s "mount T00003L6"
	[ "$(sql "SELECT loc, state FROM media WHERE name = 'T00003L6'")" = "drive|mounted" ]
	stop_rsmfs
	[ "$(sql "SELECT state FROM requests WHERE number = 1")" = passed ]
	start_rsmfs
	[ "$(cat "$MNT/media/T00003L6/state")" = dismountable ]
	[ "$(cat "$MNT/requests/1/state")" = passed ]
	[ "$(sql 'SELECT count(*) FROM schema_version')" = 1 ]
}

@test "a schema of a newer rsmfs is refused, and left as it is" {
	stop_rsmfs
	sql 'UPDATE schema_version SET version = 99'
	run start_rsmfs
	[ "$status" -ne 0 ]
	grep -q 'schema version 99' "$TESTDIR/rsmfs.err"
	[ "$(sql 'SELECT version FROM schema_version')" = 99 ]
}

@test "a row locked by another connection past the busy time-out: ETIMEDOUT, nothing changed" {
	uri=$("$PG" uri "$RSMFS_TEST_PG")
	schema=$(cat "$TESTDIR/schema")
	{ printf 'SET search_path = %s;\nBEGIN;\nLOCK TABLE requests;\n' "$schema"
	  printf '\\! touch %s/locked\n' "$TESTDIR"
	  printf '\\! while [ ! -e %s/release ]; do sleep 0.05; done\nROLLBACK;\n' "$TESTDIR"
	} | psql -qAt "$uri" >/dev/null &
	locker=$!
	for _ in $(seq 200); do
		[ -e "$TESTDIR/locked" ] && break
		sleep 0.05
	done
	rejected 'mount T00001L6\n' ETIMEDOUT
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_TIMEOUT 1460 "* ]]
	touch "$TESTDIR/release"
	wait "$locker"
	ctl s "mount T00001L6"
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
}

@test "PostgreSQL stopped: reads go on, commands EIO and change nothing; restarted: it carries on" {
	ctl s "mount T00002L6"
	"$PG" stop "$RSMFS_TEST_PG"
	# reads answer from memory
	[ "$(cat "$MNT/media/T00002L6/state")" = mounted ]
	ls "$MNT/media" "$MNT/requests" >/dev/null
	rejected 'mount T00001L6\n' EIO
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_DATABASE_FAILURE 4313 "* ]]
	rejected 'dismount T00002L6\n' EIO
	run mkdir "$MNT/sessions/t"
	[ "$status" -ne 0 ]
	[ ! -e "$MNT/sessions/t" ]
	# down longer than the library's lease (5 s): it runs out, and nobody else took it
	sleep 6
	[ "$(cat "$MNT/media/T00002L6/state")" = mounted ]
	"$PG" restart "$RSMFS_TEST_PG"
	# the daemon connects again by itself, at most once a second, and renews the lease no one
	# took; a mount waits for that at most a few seconds
	for _ in $(seq 10); do
		[ "$(timeout 10 $PROBE write "$MNT/sessions/s/ctl" 'mount T00001L6\n')" = OK ] && break
		sleep 0.1
	done
	[ "$(cat "$MNT/media/T00001L6/state")" = mounted ]
	ctl s "dismount T00002L6"
	wait_for "$MNT/media/T00002L6/state" idle
	mkdir "$MNT/sessions/t"
	[ "$(sql "SELECT state FROM media WHERE name = 'T00001L6'")" = mounted ]
	[ "$(sql "SELECT loc FROM media WHERE name = 'T00002L6'")" = slot ]
}

@test "libraries/<l>/manager and sessions/<s>/host name this host, and the catalog says it is up" {
	two_hosts
	[ "$(cat "$MNT/libraries/vtl0/manager")" = a ]
	[ "$(cat "$MNT/sessions/sa/host")" = a ]
	[ "$(sql "SELECT state FROM hosts WHERE name = 'a'")" = up ]
	[ "$(sql "SELECT holder FROM leases WHERE library = 'vtl0'")" = a ]
	stop_rsmfs
	# a clean stop: the host is down and its lease given up at once
	[ "$(sql "SELECT state FROM hosts WHERE name = 'a'")" = down ]
	[ "$(sql "SELECT expires <= now() FROM leases WHERE library = 'vtl0'")" = t ]
}

@test "a second daemon with a host name that is up refuses to start; after kill -9 the name is free" {
	two_hosts
	host_config a2
	sed -i 's/^host = a2$/host = a/' "$TESTDIR/a2/rsmfs.conf"
	run start_host a2
	[ "$status" -ne 0 ]
	grep -q 'host a is up already' "$TESTDIR/a2/rsmfs.err"
	[ "$(cat "$MNT/libraries/vtl0/manager")" = a ]
	ctl sa "mount T00002L6"
	pid=$RSMFS_PID
	RSMFS_PID=
	crash_host "$pid" "$MNT"
	# the same host again at once: its name and its own lease are its
	start_rsmfs
	[ "$(cat "$MNT/libraries/vtl0/manager")" = a ]
	[ "$(cat "$MNT/media/T00002L6/state")" = dismountable ]
}

@test "a host configured with a library another host manages uses it; once that one stopped, takes it over" {
	two_hosts
	start_host b
	b=$HOST_PID
	[ "$(cat "$TESTDIR/b/mnt/libraries/vtl0/manager")" = a ]
	[ "$(sql "SELECT holder FROM leases WHERE library = 'vtl0'")" = a ]
	ctl sa "mount T00003L6"
	stop_rsmfs
	# the manager gone cleanly: its lease is free at once, b takes the library over and has
	# what a left (a's sessions closed with it); b connected just now, so it waits a lease time
	# first (rsmfs(8))
	wait_for "$TESTDIR/b/mnt/libraries/vtl0/manager" b 8
	wait_for "$TESTDIR/b/mnt/media/T00003L6/state" dismountable 3
	mkdir "$TESTDIR/b/mnt/sessions/t"
	echo "mount T00003L6" >"$TESTDIR/b/mnt/sessions/t/ctl"
	[ "$(cat "$TESTDIR/b/mnt/sessions/t/host")" = b ]
	[ "$(cat "$TESTDIR/b/mnt/media/T00003L6/state")" = mounted ]
	stop_host "$b" "$TESTDIR/b/mnt"
}

@test "kill -9 of the manager: another host takes the lease within 10 s, each medium in one place" {
	two_hosts
	ctl sa "mount T00001L6"
	ctl sa "mount T00002L6 nowait"
	pid=$RSMFS_PID
	RSMFS_PID=
	crash_host "$pid" "$MNT"
	start=$(date +%s.%N)
	start_host b # a user of the library until a's lease passes
	b=$HOST_PID
	wait_for "$TESTDIR/b/mnt/libraries/vtl0/manager" b 10
	took=$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { print n - s }')
	echo "took over after $took s" >&3
	awk -v t="$took" 'BEGIN { exit !(t < 10) }'
	[ "$(cat "$TESTDIR/b/mnt/libraries/vtl0/manager")" = b ]
	in_drives=$(cat "$TESTDIR"/b/mnt/drives/*/state | grep -c -v empty || true)
	in_slots=$(awk '$2 == "full"' "$TESTDIR/b/mnt/libraries/vtl0/slots" | wc -l)
	[ $((in_drives + in_slots)) -eq 12 ]
	for r in "$TESTDIR"/b/mnt/requests/*; do
		[ "$(cat "$r/state")" != inprocess ]
	done
	stop_host "$b" "$TESTDIR/b/mnt"
}

@test "the manager frozen past its lease: another takes over; resumed, it moves nothing, steps down" {
	two_hosts
	a=$RSMFS_PID
	kill -STOP "$a"
	sleep 5.5 # lease_time (5 s) and a margin
	start_host b
	b=$HOST_PID
	[ "$(cat "$TESTDIR/b/mnt/libraries/vtl0/manager")" = b ]
	kill -CONT "$a"
	run $PROBE write "$MNT/sessions/sa/ctl" 'mount T00004L6\n'
	[ "$output" != OK ]
	[ "$(cat "$TESTDIR/b/mnt/media/T00004L6/location")" = "slot 3" ]
	[ "$(sql "SELECT loc FROM media WHERE name = 'T00004L6'")" = slot ]
	wait_for "$MNT/libraries/vtl0/state" offline
	grep -q 'lease of library vtl0 passed to another host' "$TESTDIR/rsmfs.err"
	# the new manager carries on
	mkdir "$TESTDIR/b/mnt/sessions/t"
	echo "mount T00004L6" >"$TESTDIR/b/mnt/sessions/t/ctl"
	[ "$(cat "$TESTDIR/b/mnt/media/T00004L6/state")" = mounted ]
	stop_host "$b" "$TESTDIR/b/mnt"
}

@test "hosts/<name>/: state, since and manages of every host, as the catalog has them" {
	two_hosts
	[ "$(ls "$MNT/hosts" | grep -c -x a)" -eq 1 ]
	[ "$(cat "$MNT/hosts/a/state")" = up ]
	[ "$(cat "$MNT/hosts/a/manages")" = vtl0 ]
	[[ "$(cat "$MNT/hosts/a/since")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
	[ "$(ls "$MNT/hosts/a")" = "$(printf 'manages\nsince\nstate')" ]
	[ ! -e "$MNT/hosts/nosuchhost" ]
	grep -qx a "$MNT/drives/d0/hosts"
	stop_rsmfs
	start_host b
	b=$HOST_PID
	[ "$(cat "$TESTDIR/b/mnt/hosts/a/state")" = down ]
	[ -z "$(cat "$TESTDIR/b/mnt/hosts/a/manages")" ]
	[ "$(cat "$TESTDIR/b/mnt/hosts/b/state")" = up ]
	[ "$(cat "$TESTDIR/b/mnt/hosts/b/manages")" = vtl0 ]
	# the hosts with a device for a drive: both, each its sim drive's tape file
	grep -qx a "$TESTDIR/b/mnt/drives/d1/hosts"
	grep -qx b "$TESTDIR/b/mnt/drives/d1/hosts"
	[ "$(sql "SELECT device FROM drive_hosts WHERE drive = 'd1' AND host = 'b'")" = tape ]
	stop_host "$b" "$TESTDIR/b/mnt"
}

@test "two hosts up at once, a library each: one site's names and numbers; a dead host's sessions close" {
	two_hosts
	# a's work under way: a medium mounted, and a mount waiting for it
	ctl sa "mount T00003L6"
	mkdir "$MNT/sessions/wait"
	ctl wait "mount T00003L6 nowait"
	waiting=$(basename "$(readlink "$MNT/sessions/wait/last")")
	sed -i 's/^\[library vtl0\]/[library vtl1]/' "$TESTDIR/b/rsmfs.conf"
	start_host b
	b=$HOST_PID
	B=$TESTDIR/b/mnt
	wait_for "$MNT/hosts/b/manages" vtl1
	[ "$(cat "$MNT/hosts/b/state")" = up ]
	[ "$(cat "$B/hosts/a/manages")" = vtl0 ]
	[ "$(cat "$B/libraries/vtl0/manager")" = a ]
	[ "$(cat "$B/libraries/vtl1/manager")" = b ]
	# b's start settled only what b manages: a's work is as a left it
	[ "$(sql "SELECT state FROM requests WHERE number = $waiting")" = waiting ]
	[ "$(cat "$MNT/requests/$waiting/state")" = waiting ]
	[ "$(sql "SELECT state FROM media WHERE name = 'T00003L6'")" = mounted ]
	[ "$(cat "$MNT/media/T00003L6/state")" = mounted ]
	# session names are the site's
	run mkdir "$B/sessions/sa"
	[ "$status" -ne 0 ]
	[[ "$output" == *"File exists"* ]]
	mkdir "$B/sessions/sb"
	[ "$(cat "$B/sessions/sb/host")" = b ]
	run mkdir "$MNT/sessions/sb"
	[[ "$output" == *"File exists"* ]]
	# another host's sessions are listed and read here, and used there: EREMOTE
	for _ in $(seq 30); do
		[ -d "$B/sessions/sa" ] && [ -d "$MNT/sessions/sb" ] && break
		sleep 0.1
	done
	ls "$B/sessions" | grep -qx sa
	[ "$(cat "$B/sessions/sa/host")" = a ]
	[ "$(cat "$B/sessions/sa/id")" = "$(cat "$MNT/sessions/sa/id")" ]
	[ "$(cat "$MNT/sessions/sb/host")" = b ]
	[ "$($PROBE write "$B/sessions/sa/ctl" 'mount T00001L6\n')" = EREMOTE ]
	run timeout 2 cat "$B/sessions/sa/notify/all"
	[[ "$output" == *"Object is remote"* ]]
	run rmdir "$B/sessions/sa"
	[[ "$output" == *"Object is remote"* ]]
	[ -d "$MNT/sessions/sa" ]
	# request numbers too: each host's come from the catalog
	ctl sa "mount T00001L6"
	medium=$(awk '$2 == "full" { print $3; exit }' "$B/libraries/vtl1/slots")
	echo "mount $medium" >"$B/sessions/sb/ctl"
	[ "$(cat "$B/media/$medium/state")" = mounted ]
	ra=$(basename "$(readlink "$MNT/sessions/sa/last")")
	rb=$(basename "$(readlink "$B/sessions/sb/last")")
	[ "$ra" != "$rb" ]
	[ "$(sql "SELECT count(DISTINCT number) FROM requests")" = 4 ]
	# b dies: its sessions are closed 30 s after it went down, and their names are free
	crash_host "$b" "$B"
	wait_for "$MNT/hosts/b/state" down 10
	for _ in $(seq 45); do
		mkdir "$MNT/sessions/sb" 2>/dev/null && break
		sleep 1
	done
	[ "$(cat "$MNT/sessions/sb/host")" = a ]
	[ "$(sql "SELECT count(*) FROM sessions WHERE host = 'b'")" = 0 ]
}

@test "a change on one host is seen on another: its tree and a channel there" {
	two_hosts
	sed -i 's/^\[library vtl0\]/[library vtl1]/' "$TESTDIR/b/rsmfs.conf"
	start_host b
	b=$HOST_PID
	B=$TESTDIR/b/mnt
	medium=$(awk '$2 == "full" { print $3; exit }' "$B/libraries/vtl1/slots")
	wait_for "$MNT/media/$medium/state" idle 5 # b's start, followed here
	# a reader on a of the media channel (b's own start may still be arriving there: the reader
	# waits for the line of this medium); the mount on b
	timeout 10 grep -m1 " media/$medium " "$MNT/sessions/sa/notify/media" >"$TESTDIR/event" &
	reader=$!
	sleep 0.3
	mkdir "$B/sessions/sb"
	echo "mount $medium" >"$B/sessions/sb/ctl"
	t0=$(date +%s%N)
	wait "$reader"
	t1=$(date +%s%N)
	# the time is reported, not asserted: bench/site measures it (median, p99)
	echo "event on a $(( (t1 - t0) / 1000000 )) ms after the mount returned on b" >&3
	grep -q " media/$medium " "$TESTDIR/event"
	wait_for "$MNT/media/$medium/state" mounted 2
	n=$(basename "$(readlink "$B/sessions/sb/last")")
	[ "$(cat "$MNT/requests/$n/state")" = passed ]
	[ "$(cat "$MNT/requests/$n/session")" = sb ]
	d=$(cat "$B/media/$medium/location" | awk '{ print $2 }')
	[ "$(cat "$MNT/drives/$d/state")" = mounted ]
	[ "$(cat "$MNT/media/$medium/location")" = "drive $d" ]
	# and back
	echo "dismount $medium" >"$B/sessions/sb/ctl"
	wait_for "$MNT/media/$medium/state" idle 3
	[ "$(cat "$MNT/drives/$d/state")" = empty ]
	stop_host "$b" "$B"
}

@test "a host following a busy one keeps its leases: its library stays its own under load" {
	two_hosts
	sed -i 's/^\[library vtl0\]/[library vtl1]/' "$TESTDIR/b/rsmfs.conf"
	start_host b
	b=$HOST_PID
	B=$TESTDIR/b/mnt
	# four sessions on a cycling mounts for longer than a lease (5 s): b follows every change
	end=$(($(date +%s) + 7))
	loaders=
	for i in 1 2 3 4; do
		mkdir "$MNT/sessions/load$i"
		(while [ "$(date +%s)" -lt "$end" ]; do
			echo "mount T0000${i}L6" >"$MNT/sessions/load$i/ctl" || exit 1
			echo "dismount T0000${i}L6" >"$MNT/sessions/load$i/ctl" || exit 1
		done) &
		loaders="$loaders $!"
	done
	for p in $loaders; do wait "$p"; done
	[ "$(cat "$B/libraries/vtl1/manager")" = b ]
	[ "$(cat "$B/libraries/vtl1/state")" = online ]
	! grep -q 'passed to another host' "$TESTDIR/b/rsmfs.err"
	mkdir "$B/sessions/sb"
	medium=$(awk '$2 == "full" { print $3; exit }' "$B/libraries/vtl1/slots")
	echo "mount $medium" >"$B/sessions/sb/ctl"
	[ "$(cat "$B/media/$medium/state")" = mounted ]
	stop_host "$b" "$B"
}
