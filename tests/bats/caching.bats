#!/usr/bin/env bats
# Attributes the kernel keeps (rsmfs(5), CACHING): a value's size is never seen from before a
# change by someone who has heard of the change - by poll(), a channel line or inotify - while
# stat is answered without asking the daemon between changes.

load helper

STALEREAD=${STALEREAD_BIN:-$BATS_TEST_DIRNAME/../tools/staleread}

# the commit is not what these tests are about
setup() { EXTRA_CONFIG="synchronous = normal" setup_rsmfs; mkdir "$MNT/sessions/s"; }
teardown() { teardown_rsmfs; }

@test "a reader polling state sees, across 10,000 changes, no size from before the change" {
	run "$STALEREAD" "$MNT" s d1 10000 poll
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
}

@test "10,000 changes polled while another process stats the file in a tight loop: no stale size" {
	run "$STALEREAD" "$MNT" s d1 10000 poll stress
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
}

@test "a reader spinning on poll with a zero timeout, while another process stats: no stale size" {
	# such a poll leaves no handle to wake: its POLLPRI must wait for the drop all the same
	run "$STALEREAD" "$MNT" s d1 2000 spin stress
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
}

@test "10,000 changes while another process makes the kernel forget the file and look it up: no stale size" {
	# a lookup's reply keeps its size; one made by a lookup racing the change must be dropped
	run "$STALEREAD" "$MNT" s d1 10000 fresh stress
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
}

@test "after a channel line, POLLPRI or IN_MODIFY, stat agrees with the value read" {
	run "$STALEREAD" "$MNT" s d1 1000 all
	[ "$status" -eq 0 ] || { echo "$output" >&2; false; }
}

@test "a kept size is dropped by the change: disable and enable seen by stat at once" {
	st="$MNT/drives/d0/state"
	[ "$(stat -c %s "$st")" -eq 6 ] # empty
	[ "$(stat -c %s "$st")" -eq 6 ]
	echo disable >"$MNT/drives/d0/ctl"
	[ "$(stat -c %s "$st")" -eq 9 ] # disabled
	[ "$(cat "$st")" = disabled ]
	echo enable >"$MNT/drives/d0/ctl"
	[ "$(stat -c %s "$st")" -eq 6 ]
}

# fuse_requests CMD...: runs CMD with the kernel's FUSE tracepoint on and prints how many
# requests were sent to this mount meanwhile (its connection is the mount's device minor); with
# FROM=pid, only that process's
fuse_requests() {
	local t=/sys/kernel/tracing dev conn on
	dev=$(stat -c %d "$MNT")
	conn=$(( (dev & 0xff) | (dev >> 12 & ~0xff) ))
	on=$(cat "$t/tracing_on")
	echo >"$t/trace"
	echo 1 >"$t/events/fuse/fuse_request_send/enable"
	echo 1 >"$t/tracing_on"
	"$@"
	echo 0 >"$t/events/fuse/fuse_request_send/enable"
	echo "$on" >"$t/tracing_on"
	grep "fuse_request_send: connection $conn " "$t/trace" | grep -c -- "${FROM:+-$FROM }" ||
		true
}

# ten changes of drive d0's state, each answered, a moment apart: the replay, a change behind,
# is done with one before the next (back to back, its drops and the settler's may overlap, and
# a settle that overlaps a drop is not clean: the next change settles again)
drive_changes() {
	for _ in 1 2 3 4 5; do
		echo disable >"$MNT/drives/d0/ctl"
		sleep 0.05
		echo enable >"$MNT/drives/d0/ctl"
		sleep 0.05
	done
	sleep 0.2 # the replay's last calls
}

@test "a value nobody stats costs its changes no settle, and a settle is done with once clean" {
	[ -d /sys/kernel/tracing/events/fuse ] || skip "the kernel has no FUSE tracepoints"
	# the daemon's children: the settler (started first), then the replay's hands
	settler=$(pgrep -P "$RSMFS_PID" | sort -n | head -1)
	[ -n "$settler" ]
	n=$(FROM=$settler fuse_requests drive_changes)
	echo "$n settler requests for 10 changes of a value nobody stats" >&2
	[ "$n" -eq 0 ]
	stat "$MNT/drives/d0/state" >/dev/null # kept: the next change settles it
	FROM=$settler fuse_requests drive_changes >/dev/null
	n=$(FROM=$settler fuse_requests drive_changes)
	echo "$n settler requests for 10 more changes" >&2
	[ "$n" -eq 0 ]
}

@test "between changes stat is the kernel's: 2,000 stats of a value and of its directory ask the daemon at most a few times" {
	[ -d /sys/kernel/tracing/events/fuse ] || skip "the kernel has no FUSE tracepoints"
	stat "$MNT/drives/d0/state" "$MNT/drives/d0" >/dev/null
	stat "$MNT/drives/d0/state" "$MNT/drives/d0" >/dev/null
	n=$(fuse_requests python3 -c '
import os, sys
for _ in range(1000):
    os.stat(sys.argv[1] + "/drives/d0/state")
    os.stat(sys.argv[1] + "/drives/d0")' "$MNT")
	echo "$n requests" >&2
	[ "$n" -lt 20 ]
}

@test "a listing of media/ brings every medium: their stats ask nothing, each state file's first stat one request" {
	[ -d /sys/kernel/tracing/events/fuse ] || skip "the kernel has no FUSE tracepoints"
	names=$(ls "$MNT/media")
	count=$(wc -w <<<"$names")
	[ "$count" -gt 10 ]
	sync
	echo 2 >/proc/sys/vm/drop_caches # the kernel forgets every medium it knew
	ls "$MNT/media" >/dev/null
	n=$(fuse_requests python3 -c '
import os, sys
for m in sys.argv[2:]:
    os.stat(sys.argv[1] + "/media/" + m)' "$MNT" $names)
	echo "$n requests for $count media" >&2
	[ "$n" -eq 0 ]
	# the lookup of state brings a size the kernel keeps: no getattr follows it
	n=$(fuse_requests python3 -c '
import os, sys
for m in sys.argv[2:]:
    os.stat(sys.argv[1] + "/media/" + m + "/state")
    os.stat(sys.argv[1] + "/media/" + m + "/state")' "$MNT" $names)
	echo "$n requests for $count state files" >&2
	# one each (a lookup and a getattr would be two); a request of the daemon's own replay
	# may fall in the count on a slow build
	[ "$n" -ge "$count" ] && [ "$n" -lt $((count * 3 / 2)) ]
}
