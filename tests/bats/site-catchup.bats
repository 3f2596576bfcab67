#!/usr/bin/env bats
# A host whose site connection (the one that LISTENs) was lost catches up once it is made again
# (rsmfs(8), SEVERAL HOSTS): what another host changed meanwhile, whose notifications were lost
# with the connection, shows in its tree and in its channels and inotify.  A server of the
# suite's own (tests/tools/pg.sh), each test a schema of its own in it (helper.bash); host b
# connects as a role of its own, so that its connections can be told apart, cut, and kept
# from coming back while host a changes things.

load helper
load site_helper

setup_file() {
	site_pg_start
	# host b's role: the rights of rsmfs (the owner of the tests' schemas), a login of its own
	psql -qAt "$("$PG" uri "$RSMFS_TEST_PG")" -c "CREATE ROLE rsmfs_b LOGIN IN ROLE rsmfs"
}

setup() {
	EXTRA_CONFIG="host = a" DRIVES=3 setup_rsmfs
	mkdir "$MNT/sessions/sa"
}

teardown() {
	sql "ALTER ROLE rsmfs_b LOGIN" 2>/dev/null || true
	site_teardown
}

# start_b - host b on $B, managing library vtl1 (a's configuration otherwise), connected as
# the role rsmfs_b
start_b() {
	B=$TESTDIR/b/mnt
	mkdir -p "$B"
	sed -e 's/^host = a$/host = b/' -e 's/^\[library vtl0\]/[library vtl1]/' \
		-e 's/\&user=rsmfs\&/\&user=rsmfs_b\&/' "$TESTDIR/rsmfs.conf" >"$TESTDIR/b/rsmfs.conf"
	grep -q 'user=rsmfs_b&' "$TESTDIR/b/rsmfs.conf"
	start_host b
	wait_for "$MNT/hosts/b/manages" vtl1
}

# b's site connections (rsmfs(8), SEVERAL HOSTS): its site thread's (the lock of b's name)
# and its follower's (LISTEN); its catalog connection stays
B_SITE="SELECT pid FROM pg_stat_activity WHERE usename = 'rsmfs_b'
	AND application_name IN ('rsmfs b site', 'rsmfs b follower')"

# cut_b - ends b's connections and keeps b from connecting again (until let_b_in)
cut_b() {
	[ -n "$(sql "$B_SITE")" ]
	sql "ALTER ROLE rsmfs_b NOLOGIN"
	sql "SELECT pg_terminate_backend(pid) FROM ($B_SITE) s" >/dev/null
	for _ in $(seq 50); do
		[ -z "$(sql "$B_SITE")" ] && return 0
		sleep 0.1
	done
	echo "b's connections are still there" >&2
	return 1
}

let_b_in() {
	sql "ALTER ROLE rsmfs_b LOGIN"
}

# vtl0_view DIR - what a tree says of library vtl0's media, drives and requests
vtl0_view() {
	(cd "$1" && for m in media/*; do
		[ "$(readlink "$m/library")" = ../../libraries/vtl0 ] || continue
		printf '%s: %s, %s\n' "$m" "$(cat "$m/state")" "$(cat "$m/location")"
	done
	for d in d0 d1 d2; do
		printf 'drives/%s: %s\n' "$d" "$(cat "drives/$d/state")"
	done
	for r in requests/*; do
		printf '%s: %s\n' "$r" "$(cat "$r/state")"
	done)
}

@test "a host whose site connection was lost catches up with what changed meanwhile, with events" {
	start_b
	mkdir "$B/sessions/sb"
	# a's work before the outage, followed by b: a medium mounted, another mount waiting for it
	ctl sa "mount T00002L6"
	mkdir "$MNT/sessions/wait"
	ctl wait "mount T00002L6 nowait"
	waiting=$(basename "$(readlink "$MNT/sessions/wait/last")")
	wait_for "$B/requests/$waiting/state" waiting
	[ "$(cat "$B/media/T00002L6/state")" = mounted ]
	# watchers on b: a channel of b's session, and inotify on a drive's state
	timeout 15 grep -m1 " media/T00001L6 " "$B/sessions/sb/notify/media" >"$TESTDIR/event" &
	reader=$!
	timeout 15 inotifywait -q -e modify -e attrib "$B/drives/d2/state" >"$TESTDIR/inotify" &
	watcher=$!
	sleep 0.3
	cut_b
	# a's changes while b hears nothing: a drive disabled, a mount, a dismount that lets the
	# waiting mount through
	echo disable >"$MNT/drives/d2/ctl"
	[ "$(cat "$MNT/drives/d2/state")" = disabled ]
	ctl sa "mount T00001L6"
	mounted=$(basename "$(readlink "$MNT/sessions/sa/last")")
	d=$(awk '{ print $2 }' "$MNT/media/T00001L6/location")
	ctl sa "dismount T00002L6"
	wait_for "$MNT/requests/$waiting/state" passed
	mkdir "$MNT/pools/Made" # pools are the site's
	sleep 1.5 # past a tick of b's: nothing reaches b while it cannot connect
	[ "$(cat "$B/media/T00001L6/state")" = idle ]
	[ ! -e "$B/pools/Made" ]
	[ "$(cat "$B/requests/$waiting/state")" = waiting ]
	let_b_in
	# b connects again within a second or two (a tick), and catches up
	for _ in $(seq 50); do
		[ -n "$(sql "$B_SITE")" ] && break
		sleep 0.1
	done
	[ -n "$(sql "$B_SITE")" ]
	wait_for "$B/media/T00001L6/state" mounted 2
	wait_for "$B/drives/d2/state" disabled 2
	[ "$(cat "$B/media/T00001L6/location")" = "drive $d" ]
	[ "$(cat "$B/drives/$d/state")" = mounted ]
	[ "$(cat "$B/requests/$mounted/state")" = passed ]
	[ "$(cat "$B/requests/$waiting/state")" = passed ]
	[ "$(cat "$B/requests/$waiting/session")" = wait ]
	[ -d "$B/pools/Made" ]
	[ "$(vtl0_view "$B")" = "$(vtl0_view "$MNT")" ]
	wait "$reader"
	grep -q " media/T00001L6 " "$TESTDIR/event"
	wait "$watcher"
	grep -q "d2/state" "$TESTDIR/inotify"
	grep -q 'caught up with the other hosts' "$TESTDIR/b/rsmfs.err"
	# and b follows the next change as before
	ctl sa "dismount T00001L6"
	wait_for "$MNT/media/T00001L6/state" idle 3
	wait_for "$B/media/T00001L6/state" idle 2
}

@test "the catch-up announces only what changed: nothing when nothing did" {
	start_b
	mkdir "$B/sessions/sb"
	ctl sa "mount T00003L6"
	wait_for "$B/media/T00003L6/state" mounted
	sleep 0.3
	cat "$B/sessions/sb/notify/all" >"$TESTDIR/events" &
	reader=$!
	sleep 0.3
	cut_b
	sleep 1.2
	let_b_in
	for _ in $(seq 50); do
		grep -q 'caught up with the other hosts' "$TESTDIR/b/rsmfs.err" && break
		sleep 0.1
	done
	grep -q 'caught up with the other hosts' "$TESTDIR/b/rsmfs.err"
	# a mark in the channel after the catch-up, then a change that is seen
	mkdir "$B/sessions/mark"
	ctl sa "dismount T00003L6"
	wait_for "$B/media/T00003L6/state" idle 3
	sleep 0.3
	kill "$reader"
	cat "$TESTDIR/events" # shown if the test fails
	grep -q ' sessions/mark ' "$TESTDIR/events"
	sed -n '/ sessions\/mark /,$p' "$TESTDIR/events" | grep -q ' media/T00003L6 '
	# before the mark, none of vtl0's objects (the library, its drives d0-d2, its media, the
	# requests) had an event
	! sed '/ sessions\/mark /q' "$TESTDIR/events" |
		grep -E ' (libraries/vtl0|drives/d[0-2]|media/T[0-9]+L6|requests/[0-9]+) '
	[ "$(vtl0_view "$B")" = "$(vtl0_view "$MNT")" ]
}

@test "a library whose lease passed to another host meanwhile: the host steps down, and catches up" {
	start_b
	# b away past its lease (5 s): host c starts with b's library vtl1 and takes it over
	cut_b
	C=$TESTDIR/c/mnt
	mkdir -p "$C"
	sed -e 's/^host = a$/host = c/' -e 's/^\[library vtl0\]/[library vtl1]/' \
		"$TESTDIR/rsmfs.conf" >"$TESTDIR/c/rsmfs.conf"
	start_host c
	# a user of vtl1 until b's lease passes, then its manager
	wait_for "$C/libraries/vtl1/manager" c 10
	[ "$(cat "$C/libraries/vtl1/manager")" = c ]
	# c's work on vtl1 while b hears nothing
	medium=$(awk '$2 == "full" { print $3; exit }' "$C/libraries/vtl1/slots")
	mkdir "$C/sessions/sc"
	echo "mount $medium" >"$C/sessions/sc/ctl"
	[ "$(cat "$C/media/$medium/state")" = mounted ]
	[ "$(cat "$B/media/$medium/state")" = idle ]
	let_b_in
	# b finds its lease taken, steps down, and has vtl1's rows as c has them
	wait_for "$B/media/$medium/state" mounted 5
	grep -q 'lease of library vtl1 passed to another host' "$TESTDIR/b/rsmfs.err"
	wait_for "$B/libraries/vtl1/manager" c 2
	[ "$(cat "$B/media/$medium/location")" = "$(cat "$C/media/$medium/location")" ]
	n=$(basename "$(readlink "$C/sessions/sc/last")")
	[ "$(cat "$B/requests/$n/state")" = passed ]
}
