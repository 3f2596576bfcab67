#!/usr/bin/env bats
# service.bats - rsmfs as a systemd service (rsmfs(8), SERVICE): the notify protocol (READY=1,
# STATUS=, STOPPING=1, WATCHDOG=1) sent to a Unix datagram socket that tests/tools/notify_listen.py
# reads in the place of systemd; the files make install lays out; the unit, checked by
# systemd-analyze verify and run as systemd would run it (its capability bounding set,
# no_new_privs, NOTIFY_SOCKET, WATCHDOG_USEC).  No systemd runs here: the Debian package is
# built, linted, installed and removed by scripts/check, which is slower.

load helper

NOTIFY_LISTEN="$PYTHON $BATS_TEST_DIRNAME/../tools/notify_listen.py"
BUILDDIR=${RSMFS_BUILDDIR:-$BATS_TEST_DIRNAME/../..}
SRCDIR=${RSMFS_SRCDIR:-$BATS_TEST_DIRNAME/../..}
IDLE="libraries online 1/1, drives mounted 0/2, requests pending 0, operator requests 0, sessions 0"

setup() {
	TESTDIR=$(mktemp -d /tmp/rsmfs-bats.XXXXXX)
	chmod 755 "$TESTDIR"
	MNT=$TESTDIR/mnt
	mkdir -p "$MNT" "$TESTDIR/data"
	write_config ""
	SOCK=$TESTDIR/notify.sock
	LOG=$TESTDIR/notify.log
	: >"$LOG"
}

# (the listener is one of the test's jobs: teardown_rsmfs ends it)
teardown() { teardown_rsmfs; }

# listen - starts the stand-in for systemd on $SOCK; its log is $LOG
listen() {
	$NOTIFY_LISTEN "$SOCK" "$LOG" --tree "$MNT" --seconds 120 &
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && return 0
		sleep 0.05
	done
	echo "the listener did not bind $SOCK" >&2
	return 1
}

# messages - what the daemon sent, one assignment a line, without time and pid
messages() {
	cut -d' ' -f3- "$LOG"
}

# wait_message LINE [SECONDS] - waits until the daemon has sent LINE
wait_message() {
	for _ in $(seq $((${2:-5} * 20))); do
		messages | grep -qxF "$1" && return 0
		sleep 0.05
	done
	echo "no '$1' in the messages:" >&2
	cat "$LOG" "$TESTDIR/rsmfs.err" >&2
	return 1
}

# start_notified [VAR=value...] - starts the daemon in the foreground with NOTIFY_SOCKET (and
# the variables given) and waits for READY=1
start_notified() {
	env NOTIFY_SOCKET="$SOCK" "$@" "$RSMFS" -f -c "$TESTDIR/rsmfs.conf" "$MNT" \
		2>>"$TESTDIR/rsmfs.err" &
	RSMFS_PID=$!
	wait_message READY=1 10
}

# all_from PID - every message came from PID (systemd's NotifyAccess=main)
all_from() {
	local others
	others=$(awk -v p="$1" '$2 != p' "$LOG")
	[ -z "$others" ] || { echo "messages from other pids: $others" >&2; return 1; }
}

# install_to DIR [make variables...] - make install DESTDIR=DIR of this build
install_to() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$BUILDDIR" --no-print-directory install \
		DESTDIR="$1" "${@:2}"
}

@test "READY=1 once, with the first STATUS, from the daemon's pid, when the tree answers" {
	listen
	start_notified
	sleep 0.3
	[ "$(messages | grep -cx READY=1)" -eq 1 ]
	# the listener read the tree the moment READY=1 arrived
	[ "$(messages | grep '^TREE=')" = TREE=ok ]
	[ "$(messages | sed -n 2p)" = "STATUS=$IDLE" ]
	all_from "$RSMFS_PID"
	# no watchdog was asked for
	! messages | grep -q '^WATCHDOG='
}

@test "STATUS: a new line when the state changes, none while it does not" {
	listen
	start_notified
	mkdir "$MNT/sessions/s"
	echo "mount T00001L6" >"$MNT/sessions/s/ctl"
	wait_message "STATUS=libraries online 1/1, drives mounted 1/2, requests pending 0, operator requests 0, sessions 1" 4
	echo disable >"$MNT/libraries/vtl0/ctl"
	wait_message "STATUS=libraries online 0/1, drives mounted 1/2, requests pending 0, operator requests 0, sessions 1" 4
	n=$(messages | grep -c '^STATUS=')
	sleep 2.5
	[ "$(messages | grep -c '^STATUS=')" -eq "$n" ]
	all_from "$RSMFS_PID"
}

@test "STATUS: pending requests are counted, and a flood of changes gives one line a second at most" {
	MOVE=1 LOAD=1
	write_config ""
	listen
	start_notified
	mkdir "$MNT/sessions/a" "$MNT/sessions/b"
	echo "mount T00001L6 nowait" >"$MNT/sessions/a/ctl"
	echo "mount T00002L6 nowait" >"$MNT/sessions/b/ctl"
	# (two robot moves and loads of 1 s each: both requests are pending for a while)
	for _ in $(seq 60); do
		messages | grep -q '^STATUS=.*requests pending [12],' && break
		sleep 0.05
	done
	messages | grep -q '^STATUS=.*requests pending [12],'
	start=$(date +%s%N)
	for i in $(seq 150); do mkdir "$MNT/sessions/f$i"; done
	for i in $(seq 150); do rmdir "$MNT/sessions/f$i"; done
	wait_message "STATUS=libraries online 1/1, drives mounted 2/2, requests pending 0, operator requests 0, sessions 2" 10
	secs=$((($(date +%s%N) - start) / 1000000000))
	n=$(messages | grep -c '^STATUS=')
	echo "$n STATUS lines in $secs s" >&2
	# the start's line, the pending requests', then one a second at most
	[ "$n" -le $((secs + 4)) ]
}

@test "STOPPING=1 on SIGTERM, then the daemon exits 0 and its mount is gone" {
	listen
	start_notified
	kill -TERM "$RSMFS_PID"
	st=0
	wait "$RSMFS_PID" || st=$?
	[ "$st" -eq 0 ]
	sleep 0.2
	[ "$(messages | grep -cx STOPPING=1)" -eq 1 ]
	# STOPPING=1 comes after READY=1, with a last STATUS; nothing follows them
	[ "$(messages | grep -nx READY=1 | cut -d: -f1)" -lt "$(messages | grep -nx STOPPING=1 | cut -d: -f1)" ]
	[ "$(messages | tail -n2 | head -n1)" = STOPPING=1 ]
	[[ "$(messages | tail -n1)" == STATUS=Stopping* ]]
	all_from "$RSMFS_PID"
	RSMFS_PID=
	! mountpoint -q "$MNT"
}

@test "WATCHDOG=1 at half of WATCHDOG_USEC, from the daemon's pid, never a whole period late" {
	listen
	start_notified WATCHDOG_USEC=1000000
	sleep 3.2
	n=$(messages | grep -cx WATCHDOG=1)
	echo "$n pings in 3.2 s" >&2
	[ "$n" -ge 4 ] && [ "$n" -le 9 ]
	# the longest gap (ms) between two pings, from READY=1 on, stays under the period
	gap=$(awk '$3 == "READY=1" || $3 == "WATCHDOG=1" { if (last != "" && $1 - last > max) max = $1 - last; last = $1 } END { print max + 0 }' "$LOG")
	echo "longest gap $gap ms" >&2
	[ "$gap" -lt 1000 ]
	all_from "$RSMFS_PID"
}

@test "no WATCHDOG=1 when WATCHDOG_PID names another process" {
	listen
	start_notified WATCHDOG_USEC=100000 WATCHDOG_PID=1
	sleep 1
	! messages | grep -q '^WATCHDOG='
}

@test "a daemon that cannot mount never sends READY=1" {
	listen
	st=0
	NOTIFY_SOCKET="$SOCK" "$RSMFS" -f -c "$TESTDIR/rsmfs.conf" "$TESTDIR/no-such-dir" \
		2>"$TESTDIR/rsmfs.err" || st=$?
	[ "$st" -eq 1 ]
	sleep 0.3
	! messages | grep -q '^READY='
}

@test "make install DESTDIR=: the programs, the man pages, the unit and the example configuration" {
	run install_to "$TESTDIR/root" prefix=/usr sysconfdir=/etc
	echo "$output"
	[ "$status" -eq 0 ]
	cd "$TESTDIR/root"
	for f in usr/bin/rsmfs usr/bin/rsmfs-mtx; do
		[ -x "$f" ]
	done
	for f in usr/share/man/man8/rsmfs.8 usr/share/man/man5/rsmfs.5 \
		usr/share/man/man5/rsmfs.conf.5 usr/share/man/man1/rsmfs-mtx.1 \
		usr/lib/systemd/system/rsmfs.service usr/share/doc/rsmfs/examples/rsmfs.conf \
		etc/rsmfs.conf; do
		[ -f "$f" ] || { echo "missing: $f" >&2; false; }
		[ "$(stat -c %a "$f")" = 644 ]
	done
	cmp etc/rsmfs.conf usr/share/doc/rsmfs/examples/rsmfs.conf
	unit=usr/lib/systemd/system/rsmfs.service
	grep -qx 'Type=notify' "$unit"
	grep -qx 'ExecStart=/usr/bin/rsmfs -f -c /etc/rsmfs.conf -o allow_other /srv/rsmfs' "$unit"
	grep -qx 'Restart=on-failure' "$unit"
	grep -qx 'StateDirectory=rsmfs' "$unit"
	grep -q '^WatchdogSec=[1-9]' "$unit"
	grep -qx 'WantedBy=multi-user.target' "$unit"
	! grep -q '@[a-z]*@' "$unit"
}

@test "make install keeps a changed configuration; uninstall leaves only that file" {
	install_to "$TESTDIR/root" >/dev/null
	conf=$(cd "$TESTDIR/root" && find . -path '*/etc/rsmfs.conf')
	[ -n "$conf" ]
	echo "; changed by the administrator" >>"$TESTDIR/root/$conf"
	run install_to "$TESTDIR/root"
	[ "$status" -eq 0 ]
	[[ "$output" == *"keeping $TESTDIR/root"*"/etc/rsmfs.conf"* ]]
	tail -n1 "$TESTDIR/root/$conf" | grep -qx '; changed by the administrator'
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$BUILDDIR" --no-print-directory uninstall \
		DESTDIR="$TESTDIR/root" >/dev/null
	[ "$(cd "$TESTDIR/root" && find . -type f)" = "$conf" ]
	# an unchanged example goes with the rest
	install_to "$TESTDIR/root2" >/dev/null
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$BUILDDIR" --no-print-directory uninstall \
		DESTDIR="$TESTDIR/root2" >/dev/null
	[ -z "$(cd "$TESTDIR/root2" && find . -type f)" ]
}

@test "systemd-analyze verify accepts the installed unit" {
	command -v systemd-analyze >/dev/null ||
		skip "no systemd-analyze (Debian's systemd package; scripts/install-deps installs it)"
	# can it verify at all here?  a unit known to be good first
	printf '[Unit]\nDescription=probe\n[Service]\nExecStart=/bin/true\n' >"$TESTDIR/probe.service"
	run systemd-analyze verify --man=no "$TESTDIR/probe.service"
	[ "$status" -eq 0 ] && [ -z "$output" ] ||
		skip "systemd-analyze verify cannot run in this container: $output"
	# a real install under a prefix, so that the programs ExecStart names exist
	install_to "" prefix="$TESTDIR/usr" >/dev/null
	MANPATH=$TESTDIR/usr/share/man run systemd-analyze verify \
		"$TESTDIR/usr/lib/systemd/system/rsmfs.service"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "the unit's sandbox gives no mount namespace or device policy: the mount stays visible" {
	unit=$SRCDIR/service/rsmfs.service.in
	for key in ProtectSystem ProtectHome PrivateTmp PrivateDevices PrivateMounts PrivateUsers \
		PrivateNetwork ReadOnlyPaths ReadWritePaths InaccessiblePaths ExecPaths NoExecPaths \
		TemporaryFileSystem BindPaths BindReadOnlyPaths ProtectKernelTunables \
		ProtectKernelModules ProtectKernelLogs ProtectControlGroups ProtectHostname \
		ProtectClock ProtectProc ProcSubset MountFlags RootDirectory RootImage DynamicUser \
		DevicePolicy DeviceAllow MountAPIVFS; do
		if grep -q "^$key=" "$unit"; then
			echo "$key= in the unit" >&2
			false
		fi
	done
	grep -qx 'KillMode=mixed' "$unit"
	grep -q '^CapabilityBoundingSet=.*CAP_SYS_ADMIN' "$unit"
	grep -qx 'NoNewPrivileges=yes' "$unit"
}

@test "the unit's ExecStart run as systemd runs it: bounding set, no_new_privs, notify, watchdog" {
	command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
	[ "$(id -u)" -eq 0 ] || skip "needs root, as the service runs"
	install_to "$TESTDIR/root" prefix=/usr sysconfdir=/etc >/dev/null
	unit=$TESTDIR/root/usr/lib/systemd/system/rsmfs.service
	# the example configuration with the catalog in this test's directory
	sed "s|^\[rsmfs\]\$|[rsmfs]\ndatabase = $TESTDIR/data/rsm.db|" \
		"$TESTDIR/root/etc/rsmfs.conf" >"$TESTDIR/example.conf"
	# ExecStart with this build's program, that configuration and this test's mount point
	cmd=$(sed -n 's/^ExecStart=//p' "$unit" | sed -e "s|^/usr/bin/rsmfs |$RSMFS |" \
		-e "s| /etc/rsmfs.conf | $TESTDIR/example.conf |" -e "s| /srv/rsmfs\$| $MNT|")
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' |
		sed -e 's/cap_/+/g' -e 's/ /,/g')
	wd=$(sed -n 's/^WatchdogSec=\([0-9]*\)s$/\1/p' "$unit")
	[ -n "$caps" ] && [ -n "$wd" ]
	echo "setpriv --bounding-set -all,$caps --no-new-privs $cmd (WATCHDOG_USEC=${wd}000000)" >&2
	listen
	# shellcheck disable=SC2086
	setpriv --bounding-set "-all,$caps" --no-new-privs \
		env NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC="${wd}000000" $cmd 2>>"$TESTDIR/rsmfs.err" &
	RSMFS_PID=$!
	wait_message READY=1 10
	[ "$(messages | grep '^TREE=')" = TREE=ok ]
	# allow_other: a user other than root reads the tree
	[ "$(setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$MNT/libraries/vtl0/state")" = online ]
	# the example's simulated library, and a request (a robot move of 2 s, a load of 10 s)
	[ "$(ls "$MNT/media" | wc -l)" -eq 12 ]
	mkdir "$MNT/sessions/s"
	echo "mount T00001L6 nowait" >"$MNT/sessions/s/ctl"
	wait_message "STATUS=libraries online 1/1, drives mounted 0/2, requests pending 1, operator requests 0, sessions 1" 4
	kill -TERM "$RSMFS_PID"
	st=0
	wait "$RSMFS_PID" || st=$?
	RSMFS_PID=
	[ "$st" -eq 0 ]
	wait_message STOPPING=1
	! mountpoint -q "$MNT"
}
