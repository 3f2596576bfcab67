#!/usr/bin/env bats
# Sessions: mkdir opens one (OpenNtmsSession), rmdir closes it (CloseNtmsSession).

load helper

setup() { setup_rsmfs; }
teardown() { teardown_rsmfs; }

@test "mkdir opens a session owned by the caller, with empty mounts and requests and no last" {
	mkdir "$MNT/sessions/nightly"
	S=$MNT/sessions/nightly
	[ "$(cat "$S/owner")" = "$(id -u)" ]
	[[ "$(cat "$S/id")" =~ ^[0-9a-f-]{36}$ ]]
	[[ "$(cat "$S/created")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
	[ "$(stat -c %s "$S/error")" -eq 0 ]
	[ "$(ls "$S/mounts" | wc -l)" -eq 0 ]
	[ "$(ls "$S/requests" | wc -l)" -eq 0 ]
	[ ! -L "$S/last" ]
	run ls "$S/notify"
	assert_output "$(printf '%s\n' library drive media side pool slot port door request opreq session all | sort)"
	[ "$(readlink "$MNT/by-id/$(cat "$S/id")")" = ../sessions/nightly ]
}

@test "a name in use is EEXIST; bad names EINVAL; over 64 characters ENAMETOOLONG" {
	mkdir "$MNT/sessions/a"
	run mkdir "$MNT/sessions/a"
	assert_output --partial "File exists"
	run mkdir "$MNT/sessions/.hidden"
	assert_output --partial "Invalid argument"
	run mkdir "$MNT/sessions/bad name"
	assert_output --partial "Invalid argument"
	run mkdir "$MNT/sessions/$(printf 'x%.0s' $(seq 65))"
	assert_output --partial "File name too long"
	mkdir "$MNT/sessions/$(printf 'y%.0s' $(seq 64))"
	[ "$(ls "$MNT/sessions" | wc -l)" -eq 2 ]
}

@test "a session reopened under an old name starts with empty requests, mounts and no last" {
	mkdir "$MNT/sessions/a"
	ctl a "mount T00001L6"
	rmdir "$MNT/sessions/a"
	mkdir "$MNT/sessions/a"
	[ "$(ls "$MNT/sessions/a/requests" | wc -l)" -eq 0 ]
	[ "$(ls "$MNT/sessions/a/mounts" | wc -l)" -eq 0 ]
	[ ! -L "$MNT/sessions/a/last" ]
	[ ! -e "$MNT/sessions/a/requests/1" ]
	[ "$(cat "$MNT/requests/1/session")" = a ]
}

@test "rmdir closes the session and frees the name" {
	mkdir "$MNT/sessions/a"
	id1=$(cat "$MNT/sessions/a/id")
	rmdir "$MNT/sessions/a"
	[ ! -e "$MNT/sessions/a" ]
	[ ! -e "$MNT/by-id/$id1" ]
	mkdir "$MNT/sessions/a"
	[ "$(cat "$MNT/sessions/a/id")" != "$id1" ]
	run rmdir "$MNT/sessions/nosuch"
	assert_output --partial "No such file or directory"
}

@test "closing a session releases its mounted media as by a deferred dismount" {
	mkdir "$MNT/sessions/a"
	ctl a "mount T00001L6"
	[ "$(cat "$MNT/drives/d0/session")" = a ]
	rmdir "$MNT/sessions/a"
	[ "$(cat "$MNT/drives/d0/state")" = dismountable ]
	[ "$(cat "$MNT/media/T00001L6/state")" = dismountable ]
	[ "$(stat -c %s "$MNT/drives/d0/session")" -eq 0 ]
}

@test "closing a session unwinds a queued mount: the blocked write fails with ECANCELED" {
	mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	ctl a "mount T00001L6"
	$PROBE write "$MNT/sessions/b/ctl" 'mount T00001L6\n' >"$TESTDIR/out" &
	writer=$!
	wait_for "$MNT/requests/2/state" waiting
	rmdir "$MNT/sessions/b"
	wait "$writer"
	[ "$(cat "$TESTDIR/out")" = ECANCELED ]
	[ "$(cat "$MNT/requests/2/state")" = cancelled ]
	[[ "$(cat "$MNT/requests/2/error")" == "ERROR_CANCELLED 1223 "* ]]
	[ "$(cat "$MNT/requests/2/session")" = b ]
}

@test "a session's requests and last link, and mounts links to the drive" {
	mkdir "$MNT/sessions/a"
	ctl a "mount T00002L6"
	ctl a "mount T00003L6"
	[ "$(readlink "$MNT/sessions/a/last")" = ../../requests/2 ]
	[ "$(cat "$MNT/sessions/a/last/medium")" = T00003L6 ]
	run ls "$MNT/sessions/a/requests"
	assert_output "$(printf '1\n2')"
	[ "$(readlink "$MNT/sessions/a/requests/1")" = ../../../requests/1 ]
	[ "$(cat "$MNT/sessions/a/requests/1/operation")" = mount ]
	d=$(readlink "$MNT/sessions/a/mounts/T00002L6")
	[[ "$d" == ../../../drives/d[01] ]]
	[ "$(cat "$MNT/sessions/a/mounts/T00002L6/medium/name")" = T00002L6 ]
}

@test "a closed session's open ctl answers EBADF" {
	mkdir "$MNT/sessions/a"
	exec 5>"$MNT/sessions/a/ctl"
	rmdir "$MNT/sessions/a"
	mkdir "$MNT/sessions/a"
	run bash -c 'echo "mount T00001L6" >&5'
	exec 5>&-
	assert_output --partial "Bad file descriptor"
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
}

@test "with -o allow_other an unprivileged user opens and uses its own session only" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	stop_rsmfs
	start_rsmfs -o allow_other
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
	mkdir "$MNT/sessions/roots"
	as_nobody mkdir "$MNT/sessions/mine"
	[ "$(cat "$MNT/sessions/mine/owner")" = 65534 ]
	[ "$(stat -c %u "$MNT/sessions/mine/ctl")" = 65534 ]
	as_nobody sh -c "echo 'mount T00001L6' > '$MNT/sessions/mine/ctl'"
	[ "$(cat "$MNT/drives/d0/session")" = mine ]
	# another user's session: listed, not used
	as_nobody ls "$MNT/sessions/roots" >/dev/null
	run as_nobody sh -c "echo 'mount T00002L6' > '$MNT/sessions/roots/ctl'"
	assert_failure
	assert_output --partial "Permission denied"
	run as_nobody cat "$MNT/sessions/roots/notify/drive"
	assert_output --partial "Permission denied"
	run as_nobody rmdir "$MNT/sessions/roots"
	assert_failure
	# cancelling is for administrators
	echo "mount T00001L6 nowait" >"$MNT/sessions/roots/ctl"
	run as_nobody sh -c "echo cancel > '$MNT/requests/2/ctl'"
	assert_output --partial "Permission denied"
	[ "$(cat "$MNT/requests/2/state")" = waiting ]
	as_nobody rmdir "$MNT/sessions/mine"
}

@test "virtual drives: drives/<i> links the drive holding the session's medium as its drive i" {
	mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	[ "$(ls "$MNT/sessions/a/drives" | wc -l)" -eq 0 ]
	ctl a "mount T00001L6 vdrive=1"
	d=$(cat "$MNT/media/T00001L6/location" | cut -d' ' -f2)
	[ "$(readlink "$MNT/sessions/a/drives/1")" = "../../../drives/$d" ]
	[ "$(cat "$MNT/sessions/a/drives/1/medium/name")" = T00001L6 ]
	# a virtual drive holds one medium; without vdrive= a mount takes the lowest free one
	run $PROBE write "$MNT/sessions/a/ctl" 'mount T00002L6 vdrive=1\n'
	assert_output EBUSY
	run $PROBE write "$MNT/sessions/a/ctl" 'mount T00002L6 vdrive=2\n'
	assert_output EINVAL
	run $PROBE write "$MNT/sessions/a/ctl" 'mount T00002L6 vdrive=x\n'
	assert_output EINVAL
	ctl a "mount T00002L6"
	[ "$(ls "$MNT/sessions/a/drives" | tr '\n' ' ')" = "0 1 " ]
	# another session numbers its own
	ctl a "dismount T00002L6"
	wait_for "$MNT/media/T00002L6/state" idle
	ctl b "mount T00002L6 vdrive=1"
	[ "$(ls "$MNT/sessions/b/drives")" = 1 ]
	[ "$(ls "$MNT/sessions/a/drives")" = 1 ]
	# a deferred dismount gives the drive up: the link goes
	ctl a "dismount T00001L6 deferred"
	wait_for "$MNT/media/T00001L6/state" dismountable
	[ "$(ls "$MNT/sessions/a/drives" | wc -l)" -eq 0 ]
	# taken again in place, as the virtual drive asked for
	ctl a "mount T00001L6 vdrive=0"
	[ "$(ls "$MNT/sessions/a/drives")" = 0 ]
}
