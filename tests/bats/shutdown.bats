#!/usr/bin/env bats
# shutdown.bats - stopping the daemon under load: 100 blocked channel readers, 100 blocked
# mount writes and 100 queued requests.  The daemon exits within 2 seconds, every reader gets
# end of file, every writer an error (ESHUTDOWN, or ENOTCONN once the mount is gone), and no
# client process is left hanging.

load helper

setup() {
	# long robot moves: the first mounts stay in process, the rest wait behind them
	MOVE=30 MEDIA=20 SLOTS=24 setup_rsmfs
	# a session per blocked writer: the kernel lets one write at a time into a file, so a
	# second write to a ctl whose mount is parked waits behind it (rsmfs(5))
	mkdir "$MNT/sessions/q"
	for i in $(seq 0 99); do mkdir "$MNT/sessions/s$i"; done
	CLIENTS=()
	for i in $(seq 0 99); do
		head -n1 "$MNT/sessions/s$i/notify/pool" >"$TESTDIR/reader.$i" 2>&1 &
		CLIENTS+=($!)
		$PROBE write "$MNT/sessions/s$i/ctl" "mount T$(printf %05d $((i % 20 + 1)))L6\n" \
			>"$TESTDIR/writer.$i" 2>&1 &
		CLIENTS+=($!)
	done
	for i in $(seq 0 99); do
		echo "mount T$(printf %05d $((i % 20 + 1)))L6 nowait" >"$MNT/sessions/q/ctl"
	done
	# every writer parked: 200 requests exist, none finished
	for _ in $(seq 100); do
		[ "$(ls "$MNT/requests" | wc -l)" -ge 200 ] && break
		sleep 0.1
	done
	[ "$(ls "$MNT/requests" | wc -l)" -ge 200 ]
	[ "$(cat "$MNT"/requests/*/state | grep -c -E 'queued|inprocess|waiting')" -ge 200 ]
}

teardown() {
	teardown_rsmfs
}

# waits up to 5 s for the daemon to exit (a hang fails the test instead of blocking it);
# sets st to its exit status, or 255 when it is still running (it is then killed)
wait_daemon() {
	for _ in $(seq 50); do
		kill -0 "$RSMFS_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$RSMFS_PID" 2>/dev/null; then
		kill -KILL "$RSMFS_PID"
		st=255
	else
		st=0
	fi
	wait "$RSMFS_PID" || st=$?
}

# every client ended by itself within 3 s of the daemon; prints how many did not
clients_left() {
	local left=0 pid
	for _ in $(seq 30); do
		left=0
		for pid in "${CLIENTS[@]}"; do
			kill -0 "$pid" 2>/dev/null && left=$((left + 1))
		done
		[ "$left" -eq 0 ] && break
		sleep 0.1
	done
	echo "$left"
}

check_clients() {
	[ "$(clients_left)" -eq 0 ]
	for i in $(seq 0 99); do
		# readers (of a channel no event reaches): end of file, nothing read
		[ ! -s "$TESTDIR/reader.$i" ] || { echo "reader $i: $(cat "$TESTDIR/reader.$i")" >&2; return 1; }
		grep -q -x -E 'ESHUTDOWN|ENOTCONN' "$TESTDIR/writer.$i" ||
			{ echo "writer $i: $(cat "$TESTDIR/writer.$i")" >&2; return 1; }
	done
}

# stops_cleanly COMMAND... - runs the command that stops the daemon; the daemon must exit 0
# within 2 s, the mount be gone and every client end as documented
stops_cleanly() {
	local start ms
	start=$(date +%s%N)
	"$@"
	wait_daemon
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "daemon exited $st after $ms ms"
	[ "$st" -eq 0 ]
	[ "$ms" -lt 2000 ]
	RSMFS_PID=
	! mountpoint -q "$MNT"
	check_clients
}

@test "SIGTERM with 100 blocked readers, 100 blocked mounts and 100 queued requests: out in 2 s" {
	stops_cleanly kill -TERM "$RSMFS_PID"
}

@test "lazy unmount with the same load: the daemon exits, no client hangs" {
	stops_cleanly fusermount3 -uz "$MNT"
}
