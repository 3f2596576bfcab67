#!/usr/bin/env bats
# Media pools and the media life cycle through the mount: mkdir/rmdir of application pools,
# allocate and deallocate, draw and return policies, pool moves, decommission and complete
# (rsmfs(5): pools/, media/<m>/ctl, the allocate and deallocate session commands).

load helper

setup() { setup_rsmfs; mkdir "$MNT/sessions/s"; }
teardown() { teardown_rsmfs; }

# reply SESSION COMMAND - writes COMMAND on an open ctl and prints the reply line
reply() {
	exec 5<>"$MNT/sessions/$1/ctl"
	echo "$2" >&5 || true
	local line
	read -r line <&5
	exec 5>&-
	echo "$line"
}

@test "system pools exist with their files; mkdir makes an application pool owned by the caller" {
	for p in free import unrecognized cleaner; do
		[ -d "$MNT/pools/$p" ]
		[ "$(stat -c %a:%u "$MNT/pools/$p")" = "755:0" ]
	done
	[ "$(cat "$MNT/pools/free/type")" = free ]
	[ "$(ls "$MNT/pools/free/media" | wc -l)" -eq 12 ]
	[ "$(readlink "$MNT/pools/free/media/T00001L6")" = ../../../media/T00001L6 ]
	mkdir -m 0750 "$MNT/pools/Backup"
	[ "$(stat -c %a:%u "$MNT/pools/Backup")" = "750:0" ]
	[ "$(cat "$MNT/pools/Backup/type")" = application ]
	[ "$(cat "$MNT/pools/Backup/media_type")" = LTO-6 ]
	[ "$(cat "$MNT/pools/Backup/draw")" = 1 ]
	[ "$(cat "$MNT/pools/Backup/return")" = 1 ]
	[ "$(ls "$MNT/pools/Backup")" = "$(printf 'draw\nid\nmedia\nmedia_type\nreturn\ntype')" ]
	[ -L "$MNT/by-id/$(cat "$MNT/pools/Backup/id")" ]
	run mkdir "$MNT/pools/Backup"
	[[ "$output" == *"File exists"* ]]
	run mkdir "$MNT/pools/bad:name"
	[[ "$output" == *"Invalid argument"* ]]
	run rmdir "$MNT/pools/free"
	[[ "$output" == *"Operation not permitted"* ]]
	rmdir "$MNT/pools/Backup"
	[ ! -e "$MNT/pools/Backup" ]
}

@test "allocate draws a scratch medium from free; deallocate returns it; rmdir is ENOTEMPTY meanwhile" {
	mkdir "$MNT/pools/Backup"
	run reply s "allocate Backup"
	[[ "$output" =~ ^ok\ request\ ([0-9]+)\ T00001L6/0$ ]]
	n=${BASH_REMATCH[1]}
	[ "$(cat "$MNT/requests/$n/operation")" = allocate ]
	[ "$(cat "$MNT/requests/$n/state")" = passed ]
	[ "$(readlink "$MNT/media/T00001L6/pool")" = ../../pools/Backup ]
	[ "$(cat "$MNT/media/T00001L6/sides/0/state")" = allocated ]
	[ "$(cat "$MNT/media/T00001L6/sides/0/owner")" = s ]
	[ -L "$MNT/pools/Backup/media/T00001L6" ]
	run rmdir "$MNT/pools/Backup"
	[[ "$output" == *"Directory not empty"* ]]
	# the allocated medium is the session's to mount
	ctl s "mount T00001L6 write"
	ctl s "dismount T00001L6"
	[ "$(reply s "deallocate T00001L6/0")" = ok ]
	[ "$(cat "$MNT/media/T00001L6/sides/0/state")" = available ]
	[ "$(readlink "$MNT/media/T00001L6/pool")" = ../../pools/free ]
	rmdir "$MNT/pools/Backup"
}

@test "an available side already in the pool is taken first; return 0 keeps media in the pool" {
	mkdir "$MNT/pools/Keep"
	echo 0 >"$MNT/pools/Keep/return"
	[ "$(cat "$MNT/pools/Keep/return")" = 0 ]
	echo "pool Keep" >"$MNT/media/T00005L6/ctl"
	[ "$(readlink "$MNT/media/T00005L6/pool")" = ../../pools/Keep ]
	run reply s "allocate Keep"
	[[ "$output" == *" T00005L6/0" ]]
	ctl s "deallocate T00005L6/0"
	[ "$(readlink "$MNT/media/T00005L6/pool")" = ../../pools/Keep ]
	[ "$(cat "$MNT/media/T00005L6/sides/0/state")" = available ]
	run $PROBE write "$MNT/pools/Keep/draw" 'maybe\n'
	[ "$output" = EINVAL ]
}

@test "with draw 0 and nothing available, allocate waits, raising a newmedia operator request" {
	mkdir "$MNT/pools/Empty"
	echo 0 >"$MNT/pools/Empty/draw"
	# timeout=0: no waiting at all
	run $PROBE write "$MNT/sessions/s/ctl" 'allocate Empty timeout=0\n'
	[ "$output" = EBUSY ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_MEDIA_UNAVAILABLE\ 4308* ]]
	# a time-out: the operator request is withdrawn with it
	run $PROBE write "$MNT/sessions/s/ctl" 'allocate Empty timeout=0.5\n'
	[ "$output" = ETIMEDOUT ]
	[ "$(ls "$MNT/opreqs" | wc -l)" -eq 0 ]
	# the operator moves a medium in and satisfies the request: the allocation goes on
	echo "allocate Empty" >"$MNT/sessions/s/ctl" &
	writer=$!
	wait_for "$MNT/opreqs/2/type" newmedia
	[ "$(cat "$MNT/opreqs/2/state")" = submitted ]
	[[ "$(cat "$MNT/opreqs/2/message")" == *"pool Empty needs new media"* ]]
	[[ "$(readlink "$MNT/opreqs/2/request")" == ../../requests/* ]]
	# satisfied, but still nothing there: the allocation asks again
	echo satisfy >"$MNT/opreqs/2/ctl"
	[ "$(cat "$MNT/opreqs/2/state")" = complete ]
	wait_for "$MNT/opreqs/3/type" newmedia
	kill -0 "$writer"
	# a medium moved into the pool: the waiting allocation takes it
	echo "pool Empty" >"$MNT/media/T00007L6/ctl"
	wait "$writer"
	[ "$(cat "$MNT/media/T00007L6/sides/0/state")" = allocated ]
	[ "$(cat "$MNT/opreqs/3/state")" = complete ]
}

@test "cancelling the newmedia operator request fails the allocation with ERROR_REQUEST_REFUSED" {
	mkdir "$MNT/pools/Empty"
	echo 0 >"$MNT/pools/Empty/draw"
	$PROBE write "$MNT/sessions/s/ctl" 'allocate Empty\n' >"$TESTDIR/out" &
	writer=$!
	wait_for "$MNT/opreqs/1/type" newmedia
	echo cancel >"$MNT/opreqs/1/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out")" = EPERM ]
	[ "$(cat "$MNT/opreqs/1/state")" = refused ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_REQUEST_REFUSED\ 4320* ]]
	run $PROBE write "$MNT/opreqs/1/ctl" 'satisfy\n'
	[ "$output" = ENOENT ]
}

@test "allocate errors: no such pool, a system pool, bad options" {
	run $PROBE write "$MNT/sessions/s/ctl" 'allocate Nope\n'
	[ "$output" = ENOENT ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_INVALID_MEDIA_POOL\ 4302* ]]
	run $PROBE write "$MNT/sessions/s/ctl" 'allocate free\n'
	[ "$output" = ENOENT ]
	mkdir "$MNT/pools/P"
	for bad in 'allocate\n' 'allocate P sideways\n' 'allocate P new new\n' \
		'allocate P timeout=x\n' 'deallocate T00001L6\n' 'deallocate T00001L6/9\n'; do
		run $PROBE write "$MNT/sessions/s/ctl" "$bad"
		[ "$output" = EINVAL ]
	done
	run $PROBE write "$MNT/sessions/s/ctl" 'deallocate T00001L6/0\n'
	[ "$output" = EIO ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_INVALID_STATE\ 5023* ]]
}

@test "pool moves follow MoveToNtmsMediaPool's rules" {
	mkdir "$MNT/pools/A"
	run $PROBE write "$MNT/media/T00002L6/ctl" 'pool Nope\n'
	[ "$output" = ENOENT ]
	run $PROBE write "$MNT/media/T00002L6/ctl" 'pool\n'
	[ "$output" = EINVAL ]
	# import media may go only to free
	echo "insert NEW001L6" >"$MNT/libraries/vtl0/sim/ctl"
	[ "$(readlink "$MNT/media/NEW001L6/pool")" = ../../pools/import ]
	[ "$(cat "$MNT/media/NEW001L6/sides/0/state")" = import ]
	run $PROBE write "$MNT/media/NEW001L6/ctl" 'pool A\n'
	[ "$output" = ENOENT ]
	echo "pool free" >"$MNT/media/NEW001L6/ctl"
	[ "$(cat "$MNT/media/NEW001L6/sides/0/state")" = available ]
	# an allocated medium cannot become scratch
	ctl s "allocate A"
	run $PROBE write "$MNT/media/T00001L6/ctl" 'pool free\n'
	[ "$output" = EBUSY ]
}

@test "complete forbids write mounts; decommission retires available sides" {
	mkdir "$MNT/pools/A"
	ctl s "allocate A"
	echo complete >"$MNT/media/T00001L6/ctl"
	[ "$(cat "$MNT/media/T00001L6/sides/0/state")" = complete ]
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00001L6 write\n'
	[ "$output" = EROFS ]
	[[ "$(cat "$MNT/sessions/s/error")" == ERROR_WRITE_PROTECT\ 19* ]]
	ctl s "mount T00001L6 read"
	run $PROBE write "$MNT/media/T00001L6/ctl" 'complete\n'
	[ "$output" = EIO ]
	# decommission: available sides only
	run $PROBE write "$MNT/media/T00001L6/ctl" 'decommission\n'
	[ "$output" = EIO ]
	echo decommission >"$MNT/media/T00003L6/ctl"
	[ "$(cat "$MNT/media/T00003L6/sides/0/state")" = decommissioned ]
	# a decommissioned medium is never allocated: T00002L6 is the next one drawn
	run reply s "allocate A"
	[[ "$output" == *" T00002L6/0" ]]
}

@test "pool access: an unprivileged user is refused a pool it may not use or change" {
	stop_rsmfs
	start_rsmfs -o allow_other
	mkdir -m 0700 "$MNT/pools/Private"
	echo "pool Private" >"$MNT/media/T00004L6/ctl"
	as_user() { setpriv --reuid=4242 --regid=4242 --clear-groups -- "$@"; }
	as_user mkdir "$MNT/sessions/u"
	run as_user $PROBE write "$MNT/sessions/u/ctl" 'mount T00004L6\n'
	[ "$output" = EACCES ]
	run as_user $PROBE write "$MNT/sessions/u/ctl" 'allocate Private\n'
	[ "$output" = EACCES ]
	run as_user $PROBE write "$MNT/media/T00004L6/ctl" 'pool free\n'
	[ "$output" = EACCES ]
	run as_user ls "$MNT/pools/Private/media"
	[ "$status" -ne 0 ]
	# chmod by the owner opens it; the mode is the pool's and survives a restart
	chmod 0755 "$MNT/pools/Private"
	as_user $PROBE write "$MNT/sessions/u/ctl" 'mount T00004L6\n'
	run as_user chmod 0777 "$MNT/pools/Private"
	[ "$status" -ne 0 ]
	chown 4242:4242 "$MNT/pools/Private"
	as_user chmod 0700 "$MNT/pools/Private"
	as_user mkdir "$MNT/pools/Mine"
	[ "$(stat -c %u "$MNT/pools/Mine")" = 4242 ]
	stop_rsmfs
	start_rsmfs -o allow_other
	[ "$(stat -c %a:%u:%g "$MNT/pools/Private")" = "700:4242:4242" ]
	[ "$(stat -c %u "$MNT/pools/Mine")" = 4242 ]
	[ "$(readlink "$MNT/media/T00004L6/pool")" = ../../pools/Private ]
}
