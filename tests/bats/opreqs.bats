#!/usr/bin/env bats
# Operator requests (rsmfs(5), opreqs/): raised for an offline medium, submitted by a session
# with `message`, satisfied or cancelled through opreqs/<n>/ctl.

load helper

setup() { setup_rsmfs; mkdir "$MNT/sessions/s"; }
teardown() { teardown_rsmfs; }

# offline MEDIUM - ejects MEDIUM and has the operator take it out of the port
offline() {
	echo eject >"$MNT/media/$1/ctl"
	wait_for "$MNT/media/$1/state" in-port
	echo remove >"$MNT/libraries/vtl0/sim/ctl"
	[ "$(cat "$MNT/media/$1/state")" = offline ]
}

@test "mounting an offline medium raises movemedia; the operator brings it and satisfies; the mount goes on" {
	offline T00003L6
	exec 5<>"$MNT/sessions/s/ctl"
	echo "mount T00003L6" >&5 &
	writer=$!
	wait_for "$MNT/opreqs/1/type" movemedia
	[ "$(cat "$MNT/opreqs/1/state")" = submitted ]
	[[ "$(cat "$MNT/opreqs/1/message")" == *"put medium T00003L6 into library vtl0"* ]]
	n=$(basename "$(readlink "$MNT/opreqs/1/request")")
	[ "$(cat "$MNT/requests/$n/state")" = waiting ]
	[ "$(cat "$MNT/requests/$n/operation")" = mount ]
	[ -L "$MNT/by-id/$(cat "$MNT/opreqs/1/id")" ]
	# the operator puts the cartridge into the port and says so
	echo "insert T00003L6" >"$MNT/libraries/vtl0/sim/ctl"
	echo satisfy >"$MNT/opreqs/1/ctl"
	wait "$writer"
	read -r reply <&5
	[[ "$reply" == "ok request $n drive="* ]]
	[ "$(cat "$MNT/media/T00003L6/state")" = mounted ]
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	[ "$(cat "$MNT/libraries/vtl0/ports")" = "0 empty -" ]
}

@test "cancelling the operator request fails the mount with EPERM (ERROR_REQUEST_REFUSED)" {
	offline T00003L6
	$PROBE write "$MNT/sessions/s/ctl" 'mount T00003L6\n' >"$TESTDIR/out" &
	writer=$!
	wait_for "$MNT/opreqs/1/type" movemedia
	echo cancel >"$MNT/opreqs/1/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/out")" = EPERM ]
	[ "$(cat "$MNT/opreqs/1/state")" = refused ]
	n=$(basename "$(readlink "$MNT/opreqs/1/request")")
	[ "$(cat "$MNT/requests/$n/state")" = failed ]
	[[ "$(cat "$MNT/requests/$n/error")" == "ERROR_REQUEST_REFUSED 4320 "* ]]
	run $PROBE write "$MNT/opreqs/1/ctl" 'cancel\n'
	[ "$output" = ENOENT ]
}

@test "offline-error fails at once without an operator request; a time-out withdraws it" {
	offline T00003L6
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00003L6 offline-error\n'
	[ "$output" = ENOMEDIUM ]
	[ "$(ls "$MNT/opreqs" | wc -l)" -eq 0 ]
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00003L6 timeout=0.5\n'
	[ "$output" = ETIMEDOUT ]
	[ "$(ls "$MNT/opreqs" | wc -l)" -eq 0 ]
}

@test "message submits an operator request of type message; satisfy completes it" {
	exec 5<>"$MNT/sessions/s/ctl"
	echo "message please load   the weekly set" >&5
	read -r reply <&5
	[ "$reply" = "ok opreq 1" ]
	[ "$(cat "$MNT/opreqs/1/type")" = message ]
	[ "$(cat "$MNT/opreqs/1/message")" = "please load   the weekly set" ]
	[ ! -e "$MNT/opreqs/1/request" ]
	[ "$(ls "$MNT/opreqs/1")" = "$(printf 'ctl\nid\nmessage\nstate\ntype')" ]
	[ "$(stat -c %a "$MNT/opreqs/1/ctl")" = 220 ]
	echo satisfy >"$MNT/opreqs/1/ctl"
	[ "$(cat "$MNT/opreqs/1/state")" = complete ]
	run $PROBE write "$MNT/opreqs/1/ctl" 'satisfy\n'
	[ "$output" = ENOENT ]
	run $PROBE write "$MNT/opreqs/1/ctl" 'frob\n'
	[ "$output" = EINVAL ]
	run $PROBE write "$MNT/sessions/s/ctl" 'message\n'
	[ "$output" = EINVAL ]
	long=$(printf 'x%.0s' $(seq 300))
	run $PROBE write "$MNT/sessions/s/ctl" "message $long\\n"
	[ "$output" = E2BIG ]
}
