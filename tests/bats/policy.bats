#!/usr/bin/env bats
# The deferred-dismount policy (rsmfs(5), "The deferred-dismount policy"): the scheduler counts
# the mounts asked of each cartridge, a mount with no empty drive evicts the least popular
# dismountable cartridge, and an idle robot puts back a cartridge that misses would want the
# drive of before anyone wants it again.  Two drives, robot times 0.

load helper

setup() { setup_rsmfs; }
teardown() { teardown_rsmfs; }

# mount_times SESSION MEDIUM N - mounts MEDIUM N times, each time left in its drive (deferred)
mount_times() {
	local i
	for i in $(seq "$3"); do
		ctl "$1" "mount $2"
		ctl "$1" "dismount $2 deferred"
	done
}

# drive_of MEDIUM - the drive a medium is in
drive_of() { basename "$(readlink "$MNT/drives/d0/medium")" | grep -qx "$1" && echo d0 || echo d1; }

# put_backs - the dismounts no session asked for, one "medium state" line each
put_backs() {
	local n
	for n in $(ls "$MNT/requests" | sort -n); do
		[ "$(cat "$MNT/requests/$n/operation")" = dismount ] || continue
		[ -z "$(cat "$MNT/requests/$n/session")" ] || continue
		echo "$(cat "$MNT/requests/$n/medium") $(cat "$MNT/requests/$n/state")"
	done
}

@test "a mount with no empty drive evicts the least popular dismountable cartridge, not the least recent" {
	mkdir "$MNT/sessions/s"
	mount_times s T00001L6 3
	mount_times s T00002L6 1
	# T00001L6 was used less recently but is asked for three times as often
	[ "$(cat "$MNT/media/T00001L6/state")" = dismountable ]
	[ "$(cat "$MNT/media/T00002L6/state")" = dismountable ]
	d=$(drive_of T00002L6)
	ctl s "mount T00003L6"
	[ "$(cat "$MNT/drives/$d/medium/name")" = T00003L6 ]
	[ "$(cat "$MNT/media/T00002L6/location")" = "slot 1" ]
	[ "$(cat "$MNT/media/T00001L6/state")" = dismountable ]
	# and the popular one is still a drive hit: no robot move
	moves=$(awk '$1 == "moves" { print $2 }' "$MNT/libraries/vtl0/stats")
	ctl s "mount T00001L6"
	[ "$(cat "$MNT/media/T00001L6/state")" = mounted ]
	[ "$(awk '$1 == "moves" { print $2 }' "$MNT/libraries/vtl0/stats")" = "$moves" ]
}

@test "equal popularity: the least recently used cartridge is evicted" {
	mkdir "$MNT/sessions/s"
	mount_times s T00001L6 2
	mount_times s T00002L6 2
	d=$(drive_of T00001L6)
	ctl s "mount T00003L6"
	[ "$(cat "$MNT/drives/$d/medium/name")" = T00003L6 ]
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ]
	[ "$(cat "$MNT/media/T00002L6/state")" = dismountable ]
}

@test "a cartridge unlikely to be wanted before its drive is put back early, long before dismount_delay" {
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 300 ]
	mkdir "$MNT/sessions/s"
	mount_times s T00001L6 4
	# four cartridges pass through the other drive once each: most mounts are misses now
	for m in T00002L6 T00003L6 T00004L6 T00005L6; do
		ctl s "mount $m"
		ctl s "dismount $m"
		wait_for "$MNT/media/$m/state" idle
	done
	[ -z "$(put_backs)" ]
	ctl s "mount T00006L6"
	ctl s "dismount T00006L6 deferred"
	# asked for once in nine mounts, with both drives full: the next miss would have to
	# unload it first, so it goes home now, in the robot's idle time
	wait_for "$MNT/media/T00006L6/state" idle
	[ "$(cat "$MNT/media/T00006L6/location")" = "slot 5" ]
	[ "$(put_backs)" = "T00006L6 passed" ]
	# the popular one stays: its drive is a hit for four mounts in nine
	sleep 0.3
	[ "$(cat "$MNT/media/T00001L6/state")" = dismountable ]
	[ "$(put_backs)" = "T00006L6 passed" ]
}

@test "the popularity is learned again from the kept request history after a restart" {
	mkdir "$MNT/sessions/s"
	mount_times s T00001L6 3
	mount_times s T00002L6 1
	stop_rsmfs
	start_rsmfs
	mkdir "$MNT/sessions/s"
	[ "$(cat "$MNT/media/T00001L6/state")" = dismountable ]
	[ "$(cat "$MNT/media/T00002L6/state")" = dismountable ]
	d=$(drive_of T00002L6)
	ctl s "mount T00003L6"
	[ "$(cat "$MNT/drives/$d/medium/name")" = T00003L6 ]
	[ "$(cat "$MNT/media/T00001L6/state")" = dismountable ]
}

@test "a restart moves no cartridge by itself: early put-backs wait for the first mount after it" {
	mkdir "$MNT/sessions/s"
	mount_times s T00001L6 4
	for m in T00002L6 T00003L6 T00004L6 T00005L6; do
		ctl s "mount $m"
		ctl s "dismount $m"
		wait_for "$MNT/media/$m/state" idle
	done
	# held by its session when the daemon stops: dismountable after the restart, and as
	# unlikely to be wanted as the one the test above saw put back
	ctl s "mount T00006L6"
	stop_rsmfs
	start_rsmfs
	sleep 0.3
	[ "$(cat "$MNT/media/T00006L6/state")" = dismountable ]
	[ "$(cat "$MNT/media/T00001L6/state")" = dismountable ]
	[ -z "$(put_backs)" ]
	# the first mount evicts the least popular of the two
	mkdir "$MNT/sessions/s"
	d=$(drive_of T00006L6)
	ctl s "mount T00007L6"
	[ "$(cat "$MNT/drives/$d/medium/name")" = T00007L6 ]
	[ "$(cat "$MNT/media/T00006L6/location")" = "slot 5" ]
}
