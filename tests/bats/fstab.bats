#!/usr/bin/env bats
# fstab.bats - the fstab form (rsmfs(8), FSTAB): "rsmfs [options] <config> <mountpoint>", as
# mount.fuse3(8) runs it for "mount -t fuse.rsmfs <config> <mountpoint> -o <options>" and for
# an fstab line; umount stops the daemon.  mount(8) gives its helpers a PATH of its own, so each
# test runs in a mount namespace where /usr/local/sbin holds the built rsmfs
# (tests/tools/inns.sh), and a /dev/log of its own (the daemon runs in the background and logs
# to syslog).

load helper

TOOLS=$BATS_TEST_DIRNAME/../tools

setup() {
	TESTDIR=$(mktemp -d /tmp/rsmfs-bats.XXXXXX)
	chmod 755 "$TESTDIR"
	MNT=$TESTDIR/mnt
	mkdir -p "$MNT" "$TESTDIR/data" "$TESTDIR/sbin"
	write_config
	command -v mount.fuse3 >/dev/null || skip "no mount.fuse3"
	unshare --mount --pid --fork true 2>/dev/null || skip "no mount and PID namespaces here"
	ln -s "$(realpath "$RSMFS")" "$TESTDIR/sbin/rsmfs"
	$PYTHON "$TOOLS/syslog_sink.py" "$TESTDIR/log.sock" "$TESTDIR/syslog" &
	SINK_PID=$!
	for _ in $(seq 100); do
		[ -e "$TESTDIR/syslog" ] && break
		sleep 0.05
	done
	export TESTDIR MNT
}

teardown() {
	[ -z "${SINK_PID:-}" ] || kill "$SINK_PID" 2>/dev/null || true
	teardown_rsmfs
}

# in_namespace FUNCTION - runs FUNCTION (of this file) where mount.fuse3 finds the built rsmfs
# and /dev/log is the test's
in_namespace() {
	"$TOOLS/inns.sh" --log "$TESTDIR/log.sock" --sbin "$TESTDIR/sbin" \
		bash -c "$(declare -f serves unmount_and_wait "$1"); $1"
}

# serves - (in the namespace) the tree at $MNT is rsmfs's, from $TESTDIR/rsmfs.conf, readable
serves() {
	[ "$(cat "$MNT/libraries/vtl0/state")" = online ] || return 1
	[ "$(cat "$MNT/media/T00001L6/location")" = "slot 0" ] || return 1
	# the mount's source is the configuration file, as the fstab line has it
	awk -v m="$MNT" '$5 == m { split($0, a, " - "); print a[2] }' /proc/self/mountinfo |
		grep -q "^fuse.rsmfs $TESTDIR/rsmfs.conf "
}

# unmount_and_wait - (in the namespace) umount $MNT; the daemon exits.  umount answers "busy"
# while the daemon's replay holds a file open to announce a change (rsmfs(8), FSTAB): again,
# for up to 5 s, as a script would.
unmount_and_wait() {
	local i
	for i in $(seq 50); do
		umount "$MNT" 2>/dev/null && break
		sleep 0.1
	done
	[ "$i" -lt 50 ] || umount "$MNT" || return 1
	for _ in $(seq 100); do
		pgrep -x rsmfs >/dev/null || return 0
		sleep 0.05
	done
	echo "the daemon still runs after umount" >&2
	return 1
}

mount_type() {
	mount -t fuse.rsmfs "$TESTDIR/rsmfs.conf" "$MNT" -o allow_other,loglevel=info &&
		serves && unmount_and_wait && ! mountpoint -q "$MNT"
}

@test "mount -t fuse.rsmfs <config> <mountpoint>: mount.fuse3 starts rsmfs; umount stops it" {
	in_namespace mount_type
	grep -q "rsmfs\[[0-9]*\]: mounted on $MNT (rsmfs .*, configuration $TESTDIR/rsmfs.conf)" \
		"$TESTDIR/syslog"
}

mount_fstab() {
	printf '%s %s fuse.rsmfs allow_other,loglevel=info 0 0\n' "$TESTDIR/rsmfs.conf" "$MNT" \
		>"$TESTDIR/fstab"
	mount -T "$TESTDIR/fstab" "$MNT" && serves || return 1
	# mount -a knows the line is mounted already: the mount's source is its first field
	mount -a -T "$TESTDIR/fstab" || return 1
	[ "$(grep -c " $MNT " /proc/self/mountinfo)" -eq 1 ] || return 1
	unmount_and_wait && ! mountpoint -q "$MNT"
}

@test "an fstab line: mount -T <fstab> <mountpoint> mounts it, mount -a leaves it be, umount" {
	in_namespace mount_fstab
}

@test "the config operand: rsmfs -f <config> <mountpoint>; with -c, or three operands, refused" {
	rm -f "$TESTDIR/ready"
	mkfifo "$TESTDIR/ready"
	"$RSMFS" -f --ready-fd 3 "$TESTDIR/rsmfs.conf" "$MNT" 3>"$TESTDIR/ready" \
		2>>"$TESTDIR/rsmfs.err" &
	RSMFS_PID=$!
	[ "$(timeout 10 head -c1 "$TESTDIR/ready")" = r ]
	[ "$(cat "$MNT/libraries/vtl0/state")" = online ]
	stop_rsmfs
	run "$RSMFS" -f -c "$TESTDIR/rsmfs.conf" "$TESTDIR/rsmfs.conf" "$MNT"
	[ "$status" -eq 2 ]
	[[ "$output" == *"two configuration files given"* ]]
	run "$RSMFS" -f "$TESTDIR/rsmfs.conf" "$MNT" "$MNT"
	[ "$status" -eq 2 ]
	[[ "$output" == *"more than a configuration file and a mount point given"* ]]
	printf '[weird]\n' >"$TESTDIR/bad.conf"
	run "$RSMFS" -f "$TESTDIR/bad.conf" "$MNT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad.conf:1: unknown section [weird]"* ]]
	! mountpoint -q "$MNT"
}
