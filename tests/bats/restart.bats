#!/usr/bin/env bats
# Restarts on the same catalog: what survives a clean stop (media, pools, sides, request
# history, operator requests, drive states) and what does not (sessions); after kill -9, the
# sim changer's own record decides where each cartridge is and how in-process work ended.

load helper

setup() { setup_rsmfs; mkdir "$MNT/sessions/s"; }
teardown() { teardown_rsmfs; }

restart() {
	stop_rsmfs
	start_rsmfs "$@"
}

# crash - kill -9 the daemon and clear its dead mount.  The daemon must die at once, whatever
# its threads were doing (none may be left waiting on its own mount).
crash() {
	local pid=$RSMFS_PID
	kill -KILL "$pid"
	for _ in $(seq 50); do
		[ ! -d "/proc/$pid" ] && break
		grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null &&
			[ "$(ls "/proc/$pid/task" 2>/dev/null | wc -l)" -le 1 ] && break
		sleep 0.1
	done
	[ "$(ls "/proc/$pid/task" 2>/dev/null | wc -l)" -le 1 ] ||
		{ echo "rsmfs $pid did not die: $(ls "/proc/$pid/task")" >&2; return 1; }
	wait "$pid" 2>/dev/null || true
	RSMFS_PID=
	fusermount3 -uz "$MNT" 2>/dev/null || true
}

# each_medium_once - every medium is in exactly one place
each_medium_once() {
	local places
	places=$(cd "$MNT" && { awk '$3 != "-" {print $3}' libraries/vtl0/slots libraries/vtl0/ports
		cat drives/*/medium 2>/dev/null; for d in drives/*; do
			[ -L "$d/medium" ] && basename "$(readlink "$d/medium")"; done; } | sort)
	[ -z "$(echo "$places" | uniq -d)" ] || { echo "in two places: $places" >&2; return 1; }
	for m in "$MNT"/media/*; do
		case "$(cat "$m/location")" in
		offline) ;;
		*) echo "$places" | grep -qx "$(basename "$m")" ||
			{ echo "$(basename "$m") is lost" >&2; return 1; } ;;
		esac
	done
}

@test "a clean restart keeps media, pools, sides, requests, operator requests and drive states" {
	mkdir -m 0750 "$MNT/pools/Backup"
	echo 0 >"$MNT/pools/Backup/return"
	ctl s "allocate Backup"
	ctl s "mount T00002L6"
	ctl s "mount T00003L6"
	ctl s "dismount T00003L6 deferred"
	echo eject >"$MNT/media/T00004L6/ctl"
	wait_for "$MNT/media/T00004L6/state" in-port
	echo disable >"$MNT/drives/d1/ctl" 2>/dev/null || true
	echo "message change the tapes" >"$MNT/sessions/s/ctl"
	before=$(cd "$MNT" && for f in media/*/location media/*/sides/0/state media/*/sides/0/owner \
		requests/*/state requests/*/operation requests/*/id opreqs/*/message pools/*/id \
		drives/*/id libraries/vtl0/slots libraries/vtl0/ports; do echo "$f: $(cat "$f")"; done)
	restart
	after=$(cd "$MNT" && for f in media/*/location media/*/sides/0/state media/*/sides/0/owner \
		requests/*/state requests/*/operation requests/*/id opreqs/*/message pools/*/id \
		drives/*/id libraries/vtl0/slots libraries/vtl0/ports; do echo "$f: $(cat "$f")"; done)
	[ "$before" = "$after" ]
	[ "$(stat -c %a "$MNT/pools/Backup")" = 750 ]
	[ "$(cat "$MNT/pools/Backup/return")" = 0 ]
	[ "$(cat "$MNT/media/T00001L6/sides/0/owner")" = s ]
	[ "$(cat "$MNT/opreqs/1/state")" = submitted ]
	# the session is gone; what it held mounted is released, still in its drive
	[ ! -e "$MNT/sessions/s" ]
	[ "$(cat "$MNT/media/T00002L6/state")" = dismountable ]
	[ -z "$(cat "$MNT/drives/d0/session")" ]
	each_medium_once
	# numbering goes on after the old requests
	mkdir "$MNT/sessions/s"
	ctl s "mount T00005L6 nowait"
	[ -d "$MNT/requests/$(( $(ls "$MNT/requests" | sort -n | tail -2 | head -1) + 1 ))" ]
}

@test "a disabled drive stays disabled, a failed one failed, across a restart" {
	echo disable >"$MNT/drives/d1/ctl"
	echo "fail d0" >"$MNT/libraries/vtl0/sim/ctl"
	restart
	[ "$(cat "$MNT/drives/d1/state")" = disabled ]
	[ "$(cat "$MNT/drives/d0/state")" = failed ]
	[ "$(cat "$MNT/opreqs/1/type")" = deviceservice ]
	echo satisfy >"$MNT/opreqs/1/ctl"
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
}

@test "a stop cancels the sessions' queued requests at start-up" {
	restart
	mkdir "$MNT/sessions/s"
	echo "timing move=5" >"$MNT/libraries/vtl0/sim/ctl"
	ctl s "mount T00001L6 nowait drive=d0"
	ctl s "mount T00002L6 nowait drive=d0"
	wait_for "$MNT/requests/1/state" inprocess
	wait_for "$MNT/requests/2/state" waiting
	restart
	[ "$(cat "$MNT/requests/2/state")" = cancelled ]
	[ "$(cat "$MNT/requests/1/state")" = failed ]
	[[ "$(cat "$MNT/requests/1/error")" == *"the changer reports the medium at slot 0" ]]
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ]
	each_medium_once
}

@test "kill -9 during a load: the changer says the cartridge is in the drive, so the mount passed" {
	stop_rsmfs
	LOAD=30 write_config
	start_rsmfs
	mkdir "$MNT/sessions/s"
	# a watcher keeps the inotify replay busy while the daemon dies
	inotifywait -m -r "$MNT/drives" "$MNT/media" >/dev/null 2>&1 &
	ctl s "mount T00001L6 nowait"
	wait_for "$MNT/drives/d0/state" loading
	crash
	start_rsmfs
	[ "$(cat "$MNT/media/T00001L6/location")" = "drive d0" ]
	[ "$(cat "$MNT/drives/d0/state")" = dismountable ]
	[ "$(cat "$MNT/requests/1/state")" = passed ]
	each_medium_once
	# and it can be mounted again at once, in place
	mkdir "$MNT/sessions/s"
	ctl s "mount T00001L6"
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
}

@test "kill -9 during a robot move: the cartridge never left its slot, so the mount failed" {
	stop_rsmfs
	MOVE=30 write_config
	start_rsmfs
	mkdir "$MNT/sessions/s"
	ctl s "mount T00001L6 nowait"
	wait_for "$MNT/media/T00001L6/state" loading
	crash
	start_rsmfs
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ]
	[ "$(cat "$MNT/media/T00001L6/state")" = idle ]
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	[ "$(cat "$MNT/requests/1/state")" = failed ]
	[[ "$(cat "$MNT/requests/1/error")" == "ERROR_NOT_CONNECTED 2250 "* ]]
	each_medium_once
}

@test "kill -9 during a dismount's move home: the medium is where the changer last put it" {
	stop_rsmfs
	MOVE=0 write_config
	start_rsmfs
	mkdir "$MNT/sessions/s"
	ctl s "mount T00001L6"
	echo "timing move=30" >"$MNT/libraries/vtl0/sim/ctl"
	ctl s "dismount T00001L6"
	wait_for "$MNT/media/T00001L6/state" unloading
	crash
	start_rsmfs
	[ "$(cat "$MNT/media/T00001L6/location")" = "drive d0" ]
	[ "$(cat "$MNT/requests/2/state")" = failed ]
	each_medium_once
}

@test "finished requests past the retention are purged at start-up" {
	ctl s "mount T00001L6"
	ctl s "dismount T00001L6"
	wait_for "$MNT/requests/2/state" passed
	echo "message x" >"$MNT/sessions/s/ctl"
	echo satisfy >"$MNT/opreqs/1/ctl"
	[ "$(ls "$MNT/requests" | wc -l)" -eq 2 ]
	stop_rsmfs
	write_config "request_retention = 1s"
	sleep 2.2 # times are kept in whole seconds: more than one whole second must pass
	start_rsmfs
	[ "$(ls "$MNT/requests" | wc -l)" -eq 0 ]
	[ "$(ls "$MNT/opreqs" | wc -l)" -eq 0 ]
	mkdir "$MNT/sessions/s"
	ctl s "mount T00001L6 nowait"
	[ -d "$MNT/requests/3" ]
}
