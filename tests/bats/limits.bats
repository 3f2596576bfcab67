#!/usr/bin/env bats
# limits.bats - rsmfs(5), LIMITS: what one user may hold at once.  Mounted as root with
# allow_other; the users act through setpriv with numeric ids (4242 the greedy one, 4343 the
# neighbour).  Each limit: refused past it with EDQUOT and ERROR_NOT_ENOUGH_MEMORY 8 in the
# error files, given back when the objects go, and no limit on the neighbour or on root.

load helper

setup() {
	RSMFS_OPTS="-o allow_other"
	setup_rsmfs
}
teardown() { teardown_rsmfs; }

as_user() { setpriv --reuid="$1" --regid="$1" --clear-groups -- "${@:2}"; }
# hold_as UID FILE COUNT OUT - $PROBE hold in the background as UID (its pid in $!, so that a
# kill closes the descriptors)
hold_as() {
	setpriv --reuid="$1" --regid="$1" --clear-groups -- $PROBE hold "$2" "$3" >"$4" &
}

LIMIT_TEXT="ERROR_NOT_ENOUGH_MEMORY 8 a per-user limit is reached"

# restart NAME=VALUE... - the daemon again with these [rsmfs] lines
restart_with() {
	stop_rsmfs
	write_config "$(printf '%s\n' "$@")"
	start_rsmfs $RSMFS_OPTS
}

@test "a user's 65th session is EDQUOT, logged in error_log; an rmdir gives one back" {
	as_user 4242 sh -c 'for i in $(seq 64); do mkdir "$1/sessions/g$i" || exit 1; done' - "$MNT"
	run as_user 4242 mkdir "$MNT/sessions/g65"
	assert_failure
	assert_output --partial "Disk quota exceeded"
	[ ! -e "$MNT/sessions/g65" ]
	run tail -n1 "$MNT/error_log"
	assert_output --regexp "uid=4242 sessions/g65 \"mkdir\" $LIMIT_TEXT: max_sessions_per_user\$"
	# the neighbour and root are not counted with the greedy user
	as_user 4343 mkdir "$MNT/sessions/n1"
	for i in $(seq 70); do mkdir "$MNT/sessions/r$i"; done
	# the limit counts what is open now
	as_user 4242 rmdir "$MNT/sessions/g1"
	as_user 4242 mkdir "$MNT/sessions/g65"
	run as_user 4242 mkdir "$MNT/sessions/g66"
	assert_failure
	# root closing one of the user's sessions gives one back too
	rmdir "$MNT/sessions/g2"
	as_user 4242 mkdir "$MNT/sessions/g66"
}

@test "a user's 1025th open channel is EDQUOT, in the session's error; closing gives them back" {
	as_user 4242 mkdir "$MNT/sessions/g" "$MNT/sessions/g2"
	hold_as 4242 "$MNT/sessions/g/notify/all" 1100 "$TESTDIR/hold"
	local holder=$!
	wait_for "$TESTDIR/hold" "1024 EDQUOT" 60
	# the limit is the user's, over all its sessions
	run as_user 4242 cat "$MNT/sessions/g2/notify/drive" </dev/null
	assert_failure
	assert_output --partial "Disk quota exceeded"
	[ "$(cat "$MNT/sessions/g2/error")" = "$LIMIT_TEXT: max_channels_per_user" ]
	grep -q "uid=4242 sessions/g2/notify/drive \"open\" $LIMIT_TEXT" "$MNT/error_log"
	# the neighbour and root still open theirs, and hear events
	as_user 4343 mkdir "$MNT/sessions/n"
	mkdir "$MNT/sessions/root"
	hold_as 4343 "$MNT/sessions/n/notify/session" 5 "$TESTDIR/hold2"
	wait_for "$TESTDIR/hold2" "5 OK"
	kill $!
	timeout 10 sh -c 'read -r line <"$1" && echo "$line"' - \
		"$MNT/sessions/root/notify/session" >"$TESTDIR/event" &
	local reader=$!
	sleep 0.3
	mkdir "$MNT/sessions/wake"
	wait $reader
	grep -q " insert session sessions/wake " "$TESTDIR/event"
	# the greedy user's channels close: its count goes with them
	kill $holder
	wait $holder 2>/dev/null || true
	hold_as 4242 "$MNT/sessions/g2/notify/all" 1024 "$TESTDIR/hold3"
	wait_for "$TESTDIR/hold3" "1024 OK" 60
}

@test "a user's 1001st pending request is EDQUOT; finished and cancelled ones give room" {
	echo disable >"$MNT/drives/d0/ctl"
	echo disable >"$MNT/drives/d1/ctl"
	as_user 4242 mkdir "$MNT/sessions/g"
	run as_user 4242 $PROBE writes "$MNT/sessions/g/ctl" 1005 'mount T00001L6 nowait\n'
	assert_output "1000 EDQUOT"
	[ "$(cat "$MNT/sessions/g/error")" = "$LIMIT_TEXT: max_requests_per_user" ]
	run tail -n1 "$MNT/error_log"
	assert_output --partial "uid=4242 sessions/g/ctl \"mount T00001L6 nowait\" $LIMIT_TEXT"
	# the reply line a reader of the ctl gets, and the other commands that make requests
	run as_user 4242 sh -c 'exec 3<>"$1"; echo "mount T00002L6 nowait" >&3 2>/dev/null; cat <&3' \
		- "$MNT/sessions/g/ctl"
	assert_output "error $LIMIT_TEXT: max_requests_per_user"
	mkdir "$MNT/pools/scratch"
	chmod 777 "$MNT/pools/scratch"
	run as_user 4242 $PROBE write "$MNT/sessions/g/ctl" 'allocate scratch timeout=0\n'
	assert_output EDQUOT
	# the neighbour and root queue theirs
	as_user 4343 mkdir "$MNT/sessions/n"
	run as_user 4343 $PROBE write "$MNT/sessions/n/ctl" 'mount T00003L6 nowait\n'
	assert_output OK
	mkdir "$MNT/sessions/root"
	run $PROBE writes "$MNT/sessions/root/ctl" 1005 'mount T00004L6 nowait\n'
	assert_output "1005 OK"
	# a cancelled request is no longer pending
	local first
	first=$(grep -l '^queued$\|^waiting$' "$MNT"/requests/*/state | head -n1)
	first=$(basename "$(dirname "$first")")
	[ "$(cat "$MNT/requests/$first/session")" = g ]
	echo cancel >"$MNT/requests/$first/ctl"
	wait_for "$MNT/requests/$first/state" cancelled
	run as_user 4242 $PROBE writes "$MNT/sessions/g/ctl" 2 'mount T00001L6 nowait\n'
	assert_output "1 EDQUOT"
	# closing the session cancels its requests: the user starts afresh
	as_user 4242 rmdir "$MNT/sessions/g"
	as_user 4242 mkdir "$MNT/sessions/g"
	run as_user 4242 $PROBE writes "$MNT/sessions/g/ctl" 3 'mount T00001L6 nowait\n'
	assert_output "3 OK"
}

@test "a user's 101st open operator request is EDQUOT; answering one gives room" {
	as_user 4242 mkdir "$MNT/sessions/g"
	run as_user 4242 $PROBE writes "$MNT/sessions/g/ctl" 110 'message please load more tapes\n'
	assert_output "100 EDQUOT"
	[ "$(cat "$MNT/sessions/g/error")" = "$LIMIT_TEXT: max_opreqs_per_user" ]
	[ "$(ls "$MNT/opreqs" | wc -l)" -eq 100 ]
	# the neighbour and root are heard
	as_user 4343 mkdir "$MNT/sessions/n"
	run as_user 4343 $PROBE write "$MNT/sessions/n/ctl" 'message the neighbour\n'
	assert_output OK
	mkdir "$MNT/sessions/root"
	run $PROBE writes "$MNT/sessions/root/ctl" 110 'message from root\n'
	assert_output "110 OK"
	# the operator answers two of the user's: two more fit, not three
	local n
	for n in $(grep -l '^please load more tapes$' "$MNT"/opreqs/*/message | head -n2); do
		echo satisfy >"$(dirname "$n")/ctl"
	done
	run as_user 4242 $PROBE writes "$MNT/sessions/g/ctl" 3 'message again\n'
	assert_output "2 EDQUOT"
}

@test "the limits come from rsmfs.conf; 0 lifts one; members of admin_group are exempt" {
	restart_with "max_sessions_per_user = 2" "max_channels_per_user = 3" \
		"max_requests_per_user = 0" "max_opreqs_per_user = 1" "admin_group = tape"
	as_user 4242 mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	run as_user 4242 mkdir "$MNT/sessions/c"
	assert_failure
	hold_as 4242 "$MNT/sessions/a/notify/all" 10 "$TESTDIR/hold"
	wait_for "$TESTDIR/hold" "3 EDQUOT"
	hold_as 4242 "$MNT/sessions/b/notify/all" 10 "$TESTDIR/hold2"
	wait_for "$TESTDIR/hold2" "0 EDQUOT"
	run as_user 4242 $PROBE writes "$MNT/sessions/a/ctl" 3 'message one\n'
	assert_output "1 EDQUOT"
	echo disable >"$MNT/drives/d0/ctl"
	echo disable >"$MNT/drives/d1/ctl"
	run as_user 4242 $PROBE writes "$MNT/sessions/b/ctl" 1200 'mount T00001L6 nowait\n'
	assert_output "1200 OK"
	# an administrator by group is not counted
	setpriv --reuid=4646 --regid=4646 --groups="$(getent group tape | cut -d: -f3)" -- \
		sh -c 'for i in 1 2 3 4; do mkdir "$1/sessions/adm$i" || exit 1; done' - "$MNT"
	# bad values are refused at start, with the key named
	stop_rsmfs
	write_config "max_channels_per_user = lots"
	run "$RSMFS" -f -c "$TESTDIR/rsmfs.conf" "$MNT"
	assert_failure
	assert_output --partial max_channels_per_user
}
