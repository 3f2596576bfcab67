#!/usr/bin/env bats
# rsmfs(5), PERMISSIONS: the daemon mounts with default_permissions and reports real owners and modes;
# the kernel and the engine refuse what a user may not do.  Mounted as root with allow_other;
# the unprivileged users act through setpriv with numeric ids.

load helper

setup() {
	RSMFS_OPTS="-o allow_other"
	setup_rsmfs
}
teardown() { teardown_rsmfs; }

as_user() { setpriv --reuid="$1" --regid="$1" --clear-groups -- "${@:2}"; }

@test "a user opens and uses its own session; its files are the user's" {
	as_user 4242 mkdir "$MNT/sessions/alice"
	[ "$(stat -c %u "$MNT/sessions/alice")" = 4242 ]
	[ "$(stat -c %a:%u "$MNT/sessions/alice/ctl")" = "600:4242" ]
	[ "$(stat -c %u "$MNT/sessions/alice/notify/drive")" = 4242 ]
	[ "$(cat "$MNT/sessions/alice/owner")" = 4242 ]
	run as_user 4242 $PROBE write "$MNT/sessions/alice/ctl" 'mount T00001L6\n'
	[ "$output" = OK ]
	[ "$(cat "$MNT/drives/d0/session")" = alice ]
	as_user 4242 sh -c "echo 'dismount T00001L6' > '$MNT/sessions/alice/ctl'"
	as_user 4242 sh -c "echo 'message hello' > '$MNT/sessions/alice/ctl'"
	as_user 4242 rmdir "$MNT/sessions/alice"
}

@test "another user's session ctl and channels are EACCES; others may list it" {
	as_user 4242 mkdir "$MNT/sessions/alice"
	as_user 4343 ls "$MNT/sessions/alice" >/dev/null
	run as_user 4343 $PROBE write "$MNT/sessions/alice/ctl" 'mount T00001L6\n'
	[ "$output" = EACCES ]
	run as_user 4343 cat "$MNT/sessions/alice/notify/all"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	run as_user 4343 rmdir "$MNT/sessions/alice"
	[ "$status" -ne 0 ]
	[ -d "$MNT/sessions/alice" ]
}

@test "cancelling requests, library, drive and sim control, door and error_log are for administrators" {
	as_user 4242 mkdir "$MNT/sessions/alice"
	as_user 4242 sh -c "echo 'mount T00001L6 nowait' > '$MNT/sessions/alice/ctl'"
	[ "$(stat -c %a:%u "$MNT/requests/1/ctl")" = "220:0" ]
	for f in requests/1/ctl libraries/vtl0/ctl drives/d0/ctl libraries/vtl0/sim/ctl; do
		[ "$(stat -c %a "$MNT/$f")" = 220 ]
	done
	run as_user 4242 $PROBE write "$MNT/requests/1/ctl" 'cancel\n'
	[ "$output" = EACCES ]
	run as_user 4242 $PROBE write "$MNT/libraries/vtl0/ctl" 'inventory\n'
	[ "$output" = EACCES ]
	run as_user 4242 $PROBE write "$MNT/drives/d0/ctl" 'disable\n'
	[ "$output" = EACCES ]
	run as_user 4242 $PROBE write "$MNT/libraries/vtl0/sim/ctl" 'jam\n'
	[ "$output" = EACCES ]
	run as_user 4242 $PROBE write "$MNT/libraries/vtl0/door" 'open\n'
	[ "$output" = EACCES ]
	run as_user 4242 $PROBE write "$MNT/error_log" '\n'
	[ "$output" = EACCES ]
	# media ctl is open to all, and the engine refuses what needs an administrator
	run as_user 4242 $PROBE write "$MNT/media/T00002L6/ctl" 'disable\n'
	[ "$output" = EACCES ]
	run as_user 4242 $PROBE write "$MNT/media/T00002L6/ctl" 'eject\n'
	[ "$output" = EACCES ]
	[ "$(cat "$MNT/drives/d0/state")" != disabled ]
	[ "$(cat "$MNT/libraries/vtl0/door")" = closed ]
}

@test "operator requests are answered by administrators only" {
	as_user 4242 mkdir "$MNT/sessions/alice"
	as_user 4242 sh -c "echo 'message hi' > '$MNT/sessions/alice/ctl'"
	run as_user 4242 $PROBE write "$MNT/opreqs/1/ctl" 'satisfy\n'
	[ "$output" = EACCES ]
	[ "$(cat "$MNT/opreqs/1/state")" = submitted ]
}

@test "members of the configured admin group are administrators" {
	stop_rsmfs
	write_config "admin_group = root"
	start_rsmfs -o allow_other
	[ "$(stat -c %a:%g "$MNT/requests")" = "755:0" ]
	run setpriv --reuid=4242 --regid=4242 --groups=0 -- $PROBE write "$MNT/libraries/vtl0/ctl" 'inventory\n'
	[ "$output" = OK ]
	run setpriv --reuid=4242 --regid=4242 --clear-groups -- $PROBE write "$MNT/libraries/vtl0/ctl" 'inventory\n'
	[ "$output" = EACCES ]
}

@test "permission matrix: a user against every control file and every object of others: refused, nothing changed" {
	as_user 4242 mkdir "$MNT/sessions/alice"
	as_user 4242 mkdir -m 0755 "$MNT/pools/alicepool"
	mkdir "$MNT/sessions/root"
	echo "mount T00002L6" >"$MNT/sessions/root/ctl"
	as_user 4242 sh -c "echo 'mount T00002L6 nowait' > '$MNT/sessions/alice/ctl'"
	req=$(basename "$(readlink "$MNT/sessions/alice/last")")
	echo "message for the operator" >"$MNT/sessions/root/ctl"
	opreq=$(ls "$MNT/opreqs" | tail -n1)
	before=$(state_dump; ls -l "$MNT/sessions" "$MNT/pools"; cat "$MNT"/pools/*/draw "$MNT/libraries/vtl0/door"; sqlite3 "$TESTDIR/data/rsm.db" .dump)
	run as_user 4343 $PYTHON "$BATS_TEST_DIRNAME/../tools/hostile.py" permissions "$MNT" "$req" "$opreq"
	echo "$output"
	assert_success
	assert_output --regexp "^[0-9]+ cases, 0 mismatches$"
	after=$(state_dump; ls -l "$MNT/sessions" "$MNT/pools"; cat "$MNT"/pools/*/draw "$MNT/libraries/vtl0/door"; sqlite3 "$TESTDIR/data/rsm.db" .dump)
	[ "$before" = "$after" ]
	[ "$(cat "$MNT/requests/$req/state")" = waiting ] || [ "$(cat "$MNT/requests/$req/state")" = queued ]
}

@test "a library's dismount_delay is the administrators' to write" {
	run as_user 4242 $PROBE write "$MNT/libraries/vtl0/dismount_delay" '5\n'
	[ "$output" = EACCES ]
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 300 ]
}
