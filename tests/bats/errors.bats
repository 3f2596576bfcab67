#!/usr/bin/env bats
# Bad commands and failing resources: the documented errno, the RSM error kept in full, and
# nothing changed (rsmfs(5), COMMANDS AND ERRORS).

load helper

setup() { setup_rsmfs; mkdir "$MNT/sessions/s"; }
teardown() { teardown_rsmfs; }

# rejected CMD ERRNO - the command fails with ERRNO and the tree's state is unchanged
rejected() {
	local before after
	before=$(state_dump)
	run $PROBE write "$MNT/sessions/s/ctl" "$1"
	[ "$output" = "$2" ] || { echo "'$1' gave $output, wanted $2" >&2; return 1; }
	after=$(state_dump)
	[ "$before" = "$after" ] || { echo "'$1' changed the state" >&2; return 1; }
}

@test "malformed commands are EINVAL and change nothing" {
	rejected 'frobnicate T00001L6\n' EINVAL
	rejected 'mount\n' EINVAL
	rejected 'mount T00001L6 sideways\n' EINVAL
	rejected 'mount T00001L6 nowait nowait\n' EINVAL
	rejected 'mount T00001L6 priority=99\n' EINVAL
	rejected 'mount T00001L6 priority=abc\n' EINVAL
	rejected 'mount T00001L6 timeout=abc\n' EINVAL
	rejected 'mount T00001L6 timeout=-1\n' EINVAL
	rejected 'mount T00001L6/x\n' EINVAL
	rejected 'dismount\n' EINVAL
	rejected 'dismount T00001L6 later\n' EINVAL
	rejected 'dismount T00001L6 deferred deferred\n' EINVAL
	rejected '   \n' EINVAL
	rejected '\n' EINVAL
	rejected 'mount T00001L6\x00\n' EINVAL
	[ "$(ls "$MNT/requests" | wc -l)" -eq 0 ]
}

@test "unknown objects: ENOENT for a medium, ENODEV for a drive" {
	rejected 'mount NOSUCH\n' ENOENT
	rejected 'dismount NOSUCH\n' ENOENT
	rejected 'mount T00001L6 drive=d9\n' ENODEV
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_INVALID_DRIVE 15 "* ]]
}

@test "the session's error file and the reply line keep the RSM error in full" {
	run $PROBE write "$MNT/sessions/s/ctl" 'mount NOSUCH\n'
	assert_output ENOENT
	run cat "$MNT/sessions/s/error"
	assert_output "ERROR_INVALID_MEDIA 4300 no such medium: NOSUCH"
	run $PROBE write "$MNT/sessions/s/ctl" 'mount T00001L6 nowait nowait\n'
	run cat "$MNT/sessions/s/error"
	assert_output --regexp "^ERROR_INVALID_PARAMETER 87 .*'nowait' given twice$"
}

@test "a write longer than 4096 bytes is E2BIG" {
	long=$(printf 'mount T00001L6 %04100d' 0)
	rejected "$long\n" E2BIG
	run cat "$MNT/error_log"
	assert_output --partial E2BIG
}

@test "O_TRUNC on ctl is accepted and means nothing" {
	echo "mount T00001L6" >"$MNT/sessions/s/ctl"
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
	: >"$MNT/sessions/s/ctl"
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
}

@test "error_log keeps the last 64 rejected commands, newest last; echo > error_log empties it" {
	for i in $(seq 70); do
		echo "bad$i" >"$MNT/sessions/s/ctl" 2>/dev/null || true
	done
	[ "$(wc -l <"$MNT/error_log")" -eq 64 ]
	run tail -n1 "$MNT/error_log"
	assert_output --regexp '^20[0-9-]+T[0-9:]+Z uid=0 sessions/s/ctl "bad70" ERROR_INVALID_PARAMETER 87 '
	run head -n1 "$MNT/error_log"
	assert_output --partial '"bad7"'
	echo >"$MNT/error_log"
	[ "$(stat -c %s "$MNT/error_log")" -eq 0 ]
}

@test "dismount errors: not in a drive EIO (ERROR_INVALID_STATE), another session's EACCES" {
	rejected 'dismount T00001L6\n' EIO
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_INVALID_STATE 5023 "* ]]
	mkdir "$MNT/sessions/t"
	ctl t "mount T00002L6"
	rejected 'dismount T00002L6\n' EACCES
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_ACCESS_DENIED 5 "* ]]
}

@test "a catalog that cannot be written: EIO (ERROR_DATABASE_FAILURE), nothing changed, reads served" {
	[ -z "${RSMFS_TEST_PG:-}" ] || skip "the SQLite file's (site.bats has PostgreSQL's)"
	wal=$TESTDIR/data/rsm.db-wal
	prlimit --pid "$RSMFS_PID" --fsize="$(stat -c %s "$wal")":
	rejected 'mount T00001L6\n' EIO
	[[ "$(cat "$MNT/sessions/s/error")" == "ERROR_DATABASE_FAILURE 4313 "* ]]
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	prlimit --pid "$RSMFS_PID" --fsize=unlimited:
	ctl s "mount T00001L6"
	[ "$(cat "$MNT/drives/d0/state")" = mounted ]
}

@test "a catalog locked by another process past the busy time-out: ETIMEDOUT" {
	[ -z "${RSMFS_TEST_PG:-}" ] || skip "the SQLite file's (site.bats has PostgreSQL's)"
	(sqlite3 "$TESTDIR/data/rsm.db" <<-SQL
	BEGIN IMMEDIATE;
	.shell touch "$TESTDIR/locked"; while [ ! -e "$TESTDIR/release" ]; do sleep 0.05; done
	ROLLBACK;
	SQL
	) &
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
}

@test "a dead daemon: the kernel answers ENOTCONN" {
	kill -KILL "$RSMFS_PID"
	wait "$RSMFS_PID" 2>/dev/null || true
	run ls "$MNT"
	assert_failure
	assert_output --partial "Transport endpoint is not connected"
}

@test "hostile writes get an errno, change nothing, and the daemon lives" {
	ctl s "mount T00001L6"
	ctl s "mount T00002L6 nowait"
	before=$(state_dump)
	long=$(printf 'x%.0s' $(seq 300))
	for payload in \
		'\xff\xfe\xfd\n' 'mount \xc3\x28\n' "mount $long\n" 'mount ../../etc/passwd\n' \
		'mount a/b/c\n' 'mount T00003L6 priority=99999999999999999999\n' \
		'mount T00003L6 timeout=1e400\n' 'mount T00003L6 drive=\n' 'mount T00003L6 drive=../d0\n' \
		'mount $(reboot); `id`\n' 'dismount T00001L6 deferred extra\n' \
		'mount T00003L6 priority=-16\n' 'mount T00003L6 timeout=\n' 'mount /\n' \
		'mount T00003L6/2\n' 'mount T00003L6/-1\n' 'mount T00003L6 a b c d e f g h i j k l m n o p\n'; do
		run $PROBE write "$MNT/sessions/s/ctl" "$payload"
		[ "$output" != OK ] || { echo "accepted: $payload" >&2; return 1; }
	done
	run $PROBE write "$MNT/requests/1/ctl" 'cancel\xff\n'
	[ "$output" = EINVAL ]
	head -c 1048576 /dev/urandom >"$TESTDIR/noise"
	run sh -c "cat '$TESTDIR/noise' > '$MNT/sessions/s/ctl'"
	assert_failure
	for i in $(seq 20); do
		$PROBE write "$MNT/sessions/s/ctl" "bogus$i\n" >/dev/null &
	done
	wait_jobs=$(jobs -p | grep -v "^${RSMFS_PID}$" || true)
	for j in $wait_jobs; do wait "$j" || true; done
	kill -0 "$RSMFS_PID"
	after=$(state_dump)
	[ "$before" = "$after" ]
	[ "$(cat "$MNT/version")" != "" ]
}

@test "replies nobody reads are bounded; the newest are kept" {
	exec 5<>"$MNT/sessions/s/ctl"
	for i in $(seq 3000); do
		echo "bad$i" >&5 2>/dev/null || true
	done
	timeout 5 dd bs=65536 count=2 iflag=fullblock status=none <&5 >"$TESTDIR/replies" || true
	exec 5>&-
	[ "$(stat -c %s "$TESTDIR/replies")" -le 65536 ]
	[ "$(stat -c %s "$TESTDIR/replies")" -gt 30000 ]
	run tail -n1 "$TESTDIR/replies"
	assert_output "error ERROR_INVALID_PARAMETER 87 the parameter is incorrect: unknown command 'bad3000'"
	run head -n1 "$TESTDIR/replies"
	assert_output --regexp "^error ERROR_INVALID_PARAMETER 87 .*'bad[0-9]+'$"
}
