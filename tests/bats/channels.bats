#!/usr/bin/env bats
# Notification channels (rsmfs(5), CHANNELS): sessions/<s>/notify/<type>.

load helper

setup() { setup_rsmfs; mkdir "$MNT/sessions/s"; }
teardown() { teardown_rsmfs; }

GUID='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

@test "a bash while-read loop receives drive events with usable paths" {
	exec 6<"$MNT/sessions/s/notify/drive"
	(while read -r l; do echo "$l" >>"$TESTDIR/events"; done <&6) &
	reader=$!
	exec 6<&-
	ctl s "mount T00001L6"
	ctl s "dismount T00001L6 deferred"
	for _ in $(seq 100); do
		[ "$(grep -c . "$TESTDIR/events" 2>/dev/null)" -ge 3 ] && break
		sleep 0.05
	done
	kill "$reader"
	run cat "$TESTDIR/events"
	[ "${#lines[@]}" -ge 3 ]
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^[0-9]+\ update\ drive\ drives/d0\ $GUID$ ]]
	done
	# seq increases; the path names the object's directory
	prev=0
	for l in "${lines[@]}"; do
		seq=${l%% *}
		[ "$seq" -gt "$prev" ]
		prev=$seq
	done
	path=$(echo "${lines[0]}" | cut -d' ' -f4)
	[ -f "$MNT/$path/state" ]
	[ "$(echo "${lines[0]}" | cut -d' ' -f5)" = "$(cat "$MNT/drives/d0/id")" ]
}

@test "channels see events from that moment on, whichever session caused them" {
	mkdir "$MNT/sessions/other"
	ctl other "mount T00002L6"
	exec 6<"$MNT/sessions/s/notify/request"
	ctl other "dismount T00002L6 deferred"
	read -r l <&6
	exec 6<&-
	[[ "$l" =~ ^[0-9]+\ insert\ request\ requests/2\ $GUID$ ]]
}

@test "the all channel sees every type; session events on mkdir and rmdir" {
	exec 6<"$MNT/sessions/s/notify/all"
	mkdir "$MNT/sessions/t"
	read -r l1 <&6
	rmdir "$MNT/sessions/t"
	read -r l2 <&6
	ctl s "mount T00003L6"
	read -r l3 <&6
	exec 6<&-
	[[ "$l1" =~ ^[0-9]+\ insert\ session\ sessions/t\ $GUID$ ]]
	[[ "$l2" =~ ^[0-9]+\ delete\ session\ sessions/t\ $GUID$ ]]
	[[ "$l3" =~ ^[0-9]+\ insert\ request\ requests/1\  ]]
}

@test "timeout 5 head -n1 gets one event" {
	(timeout 5 head -n1 "$MNT/sessions/s/notify/media" >"$TESTDIR/one" 2>/dev/null) &
	reader=$!
	sleep 0.3
	ctl s "mount T00004L6"
	wait "$reader"
	run cat "$TESTDIR/one"
	assert_output --regexp "^[0-9]+ update media media/T00004L6 $GUID$"
}

@test "SIGINT ends a blocked cat of a channel within a second" {
	start=$(date +%s%N)
	run timeout -s INT 0.3 cat "$MNT/sessions/s/notify/library"
	[ "$status" -eq 124 ]
	[ $((($(date +%s%N) - start) / 1000000)) -lt 1300 ]
	# the daemon is not stuck
	ls "$MNT/drives" >/dev/null
}

@test "an interrupted read returns EINTR and the channel stays open" {
	run $PROBE read-eintr "$MNT/sessions/s/notify/drive" 0.3 "$MNT/sessions/s/ctl" "mount T00005L6"
	assert_output "$(printf 'EINTR\nDATA')"
}

@test "a reader interrupted by signals every half millisecond while events stream loses, repeats and reorders no line" {
	# reads of random sizes (1 to 300 bytes), each retried after its EINTR (an interrupted
	# read takes nothing from the channel: the retry gets what it would have)
	timeout 120 python3 - "$MNT/sessions/s/notify/all" >"$TESTDIR/got" 2>"$TESTDIR/ticks" <<'EOF' &
import os, random, signal, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
ticks = 0
def tick(sig, frame):
    global ticks
    ticks += 1
signal.signal(signal.SIGALRM, tick)
signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
def whole_last_line(data):
    end = data.find(b" sessions/end ")
    return end >= 0 and b"\n" in data[end:]
rng, data = random.Random(18), b""
while not whole_last_line(data):
    chunk = os.read(fd, rng.randint(1, 300))
    if not chunk:
        break
    data += chunk
signal.setitimer(signal.ITIMER_REAL, 0)
sys.stdout.buffer.write(data)
print(ticks, file=sys.stderr)
EOF
	reader=$!
	sleep 0.5
	for _ in $(seq 150); do
		echo disable >"$MNT/drives/d1/ctl"
		echo enable >"$MNT/drives/d1/ctl"
	done
	mkdir "$MNT/sessions/end"
	wait "$reader"
	[ "$(cat "$TESTDIR/ticks")" -gt 100 ]
	[ "$(grep -c ' drives/d1 ' "$TESTDIR/got")" -ge 300 ]
	# every event, once, in order: the all channel's sequence numbers have no gap
	run awk 'NR > 1 && $1 != prev + 1 { print "line " NR ": " $1 " after " prev } { prev = $1 }
		 !/^[0-9]+ [a-z]+ [a-z]+ [^ ]+ [-0-9a-f]+$/ { print "line " NR ": " $0 }' \
		"$TESTDIR/got"
	assert_output ""
}

@test "O_NONBLOCK gives EAGAIN when empty; poll reports POLLIN once an event is queued" {
	run $PROBE read-nonblock "$MNT/sessions/s/notify/pool"
	assert_output EAGAIN
	run $PROBE poll "$MNT/sessions/s/notify/drive" 0.3
	assert_output TIMEOUT
	($PROBE poll "$MNT/sessions/s/notify/drive" 5 >"$TESTDIR/poll") &
	poller=$!
	sleep 0.3
	ctl s "mount T00006L6"
	wait "$poller"
	[ "$(cat "$TESTDIR/poll")" = READY ]
}

@test "a short buffer gets the rest of the line on the next read: no byte is lost" {
	exec 6<"$MNT/sessions/s/notify/drive"
	ctl s "mount T00007L6"
	ctl s "dismount T00007L6 deferred"
	wait_for "$MNT/drives/d0/state" dismountable
	# 5 bytes, then a read that takes the rest of that line and whatever whole lines fit
	dd bs=5 count=1 status=none <&6 >"$TESTDIR/got"
	dd bs=100 count=1 status=none <&6 >>"$TESTDIR/got"
	exec 6<&-
	run cat "$TESTDIR/got"
	[ "${#lines[@]}" -ge 1 ]
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^[0-9]+\ update\ drive\ drives/d0\ $GUID$ ]]
	done
	[ "$(tail -c1 "$TESTDIR/got" | od -An -c | tr -d ' ')" = '\n' ]
}

@test "closing the session delivers pending events, then reads return end of file" {
	cat "$MNT/sessions/s/notify/all" >"$TESTDIR/all" &
	reader=$!
	sleep 0.2
	ctl s "mount T00008L6"
	rmdir "$MNT/sessions/s"
	st=0
	wait "$reader" || st=$?
	[ "$st" -eq 0 ]
	run cat "$TESTDIR/all"
	assert_line --regexp "^[0-9]+ update drive drives/d0 "
	assert_line --regexp "^[0-9]+ delete session sessions/s "
}

@test "another user's channel files are the session owner's, mode 0400" {
	[ "$(stat -c '%a %u' "$MNT/sessions/s/notify/drive")" = "400 $(id -u)" ]
	[ "$(stat -c '%a' "$MNT/sessions/s/ctl")" = 600 ]
}

@test "500 blocked readers do not slow ls -R, and all end on session close" {
	$PROBE readers "$MNT/sessions/s/notify/drive" 500 >"$TESTDIR/readers" &
	readers=$!
	for _ in $(seq 200); do
		grep -q started "$TESTDIR/readers" 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.5
	start=$(date +%s%N)
	ls -R "$MNT" >/dev/null
	elapsed=$((($(date +%s%N) - start) / 1000000))
	echo "ls -R took ${elapsed} ms with 500 parked reads" >&3
	[ "$elapsed" -lt 3000 ]
	ctl s "mount T00009L6"
	rmdir "$MNT/sessions/s"
	timeout 10 tail --pid="$readers" -f /dev/null
	# every reader saw every event of the mount, then end of file
	read -r ended fewest most < <(tail -n1 "$TESTDIR/readers")
	[ "$ended" -eq 500 ]
	[ "$fewest" -ge 1 ]
	[ "$fewest" -eq "$most" ]
}

@test "a reader that falls behind gets one overflow line, then the newest 4096 events" {
	exec 6<"$MNT/sessions/s/notify/drive"
	ctl s "mount T00010L6"
	# each pair makes two drive events; 2160 pairs in writes of 90 (under 4096 bytes)
	pairs=$(for _ in $(seq 90); do printf 'dismount T00010L6 deferred\nmount T00010L6\n'; done)
	for _ in $(seq 24); do
		printf '%s\n' "$pairs" >"$MNT/sessions/s/ctl"
	done
	cat <&6 >"$TESTDIR/events" &
	reader=$!
	for _ in $(seq 100); do
		[ "$(wc -l <"$TESTDIR/events")" -ge 4097 ] && break
		sleep 0.05
	done
	sleep 0.2
	[ "$(wc -l <"$TESTDIR/events")" -eq 4097 ]
	rmdir "$MNT/sessions/s"
	wait "$reader"
	exec 6<&-
	run head -n1 "$TESTDIR/events"
	assert_output --regexp '^[0-9]+ overflow - - -$'
	[ "$(grep -c overflow "$TESTDIR/events")" -eq 1 ]
}
