#!/usr/bin/env bats
# logging.bats - the daemon's log (rsmfs(8), LOGGING): one line per finished library request,
# per operator request raised and answered, per device fault, with the RSM error name; syslog
# without -f, stderr with -f; -o loglevel= filters them.  syslog(3) writes to /dev/log: the
# daemon runs in a mount namespace whose /dev/log is a socket the test listens on
# (tests/tools/inns.sh, syslog_sink.py), so nothing reaches the host's log.

load helper

TOOLS=$BATS_TEST_DIRNAME/../tools

# What the scenario must log, each line exactly once, with its syslog priority (LOG_DAEMON:
# 27 error, 28 warning, 29 notice).
EXPECTED=(
	'29 request 1 mount T00001L6 drive=d0 library=vtl0 session=s: passed'
	'29 request 2 dismount T00001L6 drive=d0 library=vtl0 session=s: passed'
	'28 request 4 mount T00003L6 library=vtl0 session=s: failed ERROR_REQUEST_REFUSED: the operator refused operator request 1'
	'28 opreq 1 movemedia: raised: put medium T00003L6 into library vtl0 (request 4 mounts it)'
	'29 opreq 1 movemedia: refused ERROR_REQUEST_REFUSED'
	'29 opreq 2 message: satisfied'
	'27 drive d0 of library vtl0: failed ERROR_DEVICE_NOT_AVAILABLE: needs service'
)
LAST='drive d0 of library vtl0: failed ERROR_DEVICE_NOT_AVAILABLE: needs service'

setup() {
	TESTDIR=$(mktemp -d /tmp/rsmfs-bats.XXXXXX)
	chmod 755 "$TESTDIR"
	MNT=$TESTDIR/mnt
	mkdir -p "$MNT" "$TESTDIR/data"
	write_config
	unshare --mount --pid --fork true 2>/dev/null || skip "no mount and PID namespaces here"
	export RSMFS TESTDIR MNT PROBE
}

teardown() {
	[ -z "${SINK_PID:-}" ] || kill "$SINK_PID" 2>/dev/null || true
	chattr -i "$TESTDIR/data/rsm.db" "$TESTDIR/data/rsm.db-wal" 2>/dev/null || true
	teardown_rsmfs
}

# scenario MNT - a mount and a dismount, a mount the operator refuses (its medium is offline),
# an operator request satisfied, a drive failure
scenario() {
	local m=$1 i writer
	mkdir "$m/sessions/s"
	echo "mount T00001L6" >"$m/sessions/s/ctl"
	echo "dismount T00001L6" >"$m/sessions/s/ctl"
	echo eject >"$m/media/T00003L6/ctl"
	for i in $(seq 100); do
		[ "$(cat "$m/media/T00003L6/state")" = in-port ] && break
		sleep 0.05
	done
	echo remove >"$m/libraries/vtl0/sim/ctl"
	timeout 20 $PROBE write "$m/sessions/s/ctl" 'mount T00003L6\n' >"$TESTDIR/refused.out" &
	writer=$!
	for i in $(seq 100); do
		[ -e "$m/opreqs/1/type" ] && break
		sleep 0.05
	done
	echo cancel >"$m/opreqs/1/ctl"
	wait "$writer"
	[ "$(cat "$TESTDIR/refused.out")" = EPERM ]
	echo "message load the weekly set" >"$m/sessions/s/ctl"
	echo satisfy >"$m/opreqs/2/ctl"
	echo "fail d0" >"$m/libraries/vtl0/sim/ctl"
}

# in_namespace OPTIONS... - (inside inns.sh) starts the daemon with OPTIONS (with -f, its
# stderr in $TESTDIR/stderr), runs the scenario, unmounts and waits for the daemon to exit
in_namespace() {
	if [ "${1:-}" = -f ]; then
		"$RSMFS" "$@" --ready-fd 3 "$TESTDIR/rsmfs.conf" "$MNT" 3>"$TESTDIR/ready" \
			2>"$TESTDIR/stderr" &
		for _ in $(seq 100); do
			[ -s "$TESTDIR/ready" ] && break
			sleep 0.05
		done
	else
		"$RSMFS" "$@" "$TESTDIR/rsmfs.conf" "$MNT" || return 1
	fi
	scenario "$MNT" || return 1
	# umount answers "busy" while the replay announces the last changes (rsmfs(8), FSTAB)
	local i
	for i in $(seq 50); do
		umount "$MNT" 2>/dev/null && break
		sleep 0.1
	done
	for _ in $(seq 100); do
		pgrep -x rsmfs >/dev/null || return 0
		sleep 0.05
	done
	echo "the daemon still runs after umount" >&2
	return 1
}

# syslog_run OPTIONS... - the scenario with a daemon in the background on a new catalog, its
# syslog lines in $TESTDIR/syslog as "<priority> <message>"
syslog_run() {
	rm -rf "$TESTDIR/data" "$TESTDIR/syslog.raw"
	mkdir "$TESTDIR/data"
	$PYTHON "$TOOLS/syslog_sink.py" "$TESTDIR/log.sock" "$TESTDIR/syslog.raw" &
	SINK_PID=$!
	for _ in $(seq 100); do
		[ -e "$TESTDIR/syslog.raw" ] && break
		sleep 0.05
	done
	"$TOOLS/inns.sh" --log "$TESTDIR/log.sock" \
		bash -c "$(declare -f scenario in_namespace); in_namespace \"\$@\"" _ "$@"
	sleep 0.2 # the sink's last lines
	kill "$SINK_PID"
	SINK_PID=
	sed -E 's/^<([0-9]+)>.* rsmfs\[[0-9]+\]: /\1 /' "$TESTDIR/syslog.raw" >"$TESTDIR/syslog"
}

# once LINE FILE - LINE is in FILE exactly once
once() {
	local n
	n=$(grep -cxF -- "$1" "$2" || true)
	[ "$n" -eq 1 ] || {
		echo "'$1': $n times in $2:" >&2
		cat "$2" >&2
		return 1
	}
}

@test "without -f: one syslog line per finished request, operator request and device fault" {
	syslog_run
	for line in "${EXPECTED[@]}"; do
		once "$line" "$TESTDIR/syslog"
	done
	# the eject, and the daemon's own start and stop
	once '29 request 3 eject T00003L6 library=vtl0: passed' "$TESTDIR/syslog"
	grep -q "^29 mounted on $MNT (rsmfs .*, configuration $TESTDIR/rsmfs.conf)$" \
		"$TESTDIR/syslog"
	grep -qx "29 stopping: $MNT" "$TESTDIR/syslog"
	# notice is the default: no debug lines
	! grep -q ': queued$' "$TESTDIR/syslog"
}

@test "-o loglevel=error keeps the faults only; loglevel=debug adds every state" {
	syslog_run -o loglevel=error
	[ "$(cat "$TESTDIR/syslog")" = "27 $LAST" ]
	syslog_run -o allow_other,loglevel=debug
	once '29 request 1 mount T00001L6 drive=d0 library=vtl0 session=s: passed' "$TESTDIR/syslog"
	once '31 request 1 mount T00001L6 library=vtl0 session=s: queued' "$TESTDIR/syslog"
	once '31 request 1 mount T00001L6 drive=d0 library=vtl0 session=s: inprocess' \
		"$TESTDIR/syslog"
	once '31 request 4 mount T00003L6 library=vtl0 session=s: waiting' "$TESTDIR/syslog"
}

@test "with -f: the same lines on stderr, none in syslog" {
	syslog_run -f
	for line in "${EXPECTED[@]}"; do
		once "rsmfs: ${line#* }" "$TESTDIR/stderr"
	done
	grep -q "^rsmfs: mounted on $MNT " "$TESTDIR/stderr"
	[ ! -s "$TESTDIR/syslog.raw" ]
}

@test "a catalog fault: one error line per change it fails, with the RSM error name" {
	DB=$TESTDIR/data/rsm.db
	start_rsmfs
	chattr +i "$DB" "$DB-wal" || skip "no chattr +i here"
	run $PROBE write "$MNT/media/T00002L6/ctl" 'disable\n'
	[ "$output" = EIO ]
	run $PROBE write "$MNT/media/T00003L6/ctl" 'disable\n'
	[ "$output" = EIO ]
	chattr -i "$DB" "$DB-wal"
	run grep -c '^rsmfs: catalog: write failed ERROR_DATABASE_FAILURE: ' "$TESTDIR/rsmfs.err"
	[ "$output" -eq 2 ]
	stop_rsmfs
	# a catalog that cannot be written at all is opened read-only, and the log says so once
	chattr +i "$DB"
	start_rsmfs
	chattr -i "$DB"
	once "rsmfs: catalog: read-only ERROR_DATABASE_FAILURE: $DB cannot be written, every change fails" \
		"$TESTDIR/rsmfs.err"
}

@test "a bad loglevel is refused before anything is mounted" {
	run "$RSMFS" -f -o loglevel=chatty "$TESTDIR/rsmfs.conf" "$MNT"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad loglevel 'chatty' (error, warning, notice, info or debug)"* ]]
	! mountpoint -q "$MNT"
}
