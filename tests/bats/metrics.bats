#!/usr/bin/env bats
# rsmfs(5), metrics: the root's metrics file in the Prometheus text exposition format, parsed by
# a real parser (promtool check metrics, which also lints the names), and its values checked
# against libraries/<l>/stats and the drives' files after a known workload.

load helper

setup() {
	setup_rsmfs
	mkdir "$MNT/sessions/s"
	T=$MNT/drives/d0/tape
}
teardown() { teardown_rsmfs; }

# scrape - reads the metrics once into $TESTDIR/metrics and parses them with promtool
scrape() {
	cat "$MNT/metrics" >"$TESTDIR/metrics"
	promtool check metrics <"$TESTDIR/metrics"
}

# sample SERIES - the value of one series of the last scrape (its name and labels as written)
sample() {
	awk -v k="$1" '$1 == k {print $2; n++} END {exit n != 1}' "$TESTDIR/metrics"
}

# stat_of FILE KEY - the value of KEY in a "key value" stats file
stat_of() {
	awk -v k="$2" '$1 == k {print $2}' "$1"
}

@test "a fresh library: promtool parses it without a complaint; HELP and TYPE for each family" {
	run scrape
	assert_success
	assert_output ""
	# the exposition ends with a newline, and every family is announced before its samples
	[ "$(tail -c1 "$MNT/metrics" | od -An -tx1 | tr -d ' ')" = 0a ]
	run awk '/^# TYPE / {typed[$3] = 1; next} /^#/ {next}
		{name = $1; sub(/[{].*/, "", name); base = name; sub(/_(bucket|sum|count)$/, "", base)
		 if (!typed[name] && !typed[base]) {print "untyped " name; bad = 1}}
		END {exit bad}' "$TESTDIR/metrics"
	assert_success
	[ "$(grep -c '^# TYPE ' "$TESTDIR/metrics")" -eq "$(grep -c '^# HELP ' "$TESTDIR/metrics")" ]
	[ "$(sample 'rsmfs_library_mounts_total{library="vtl0"}')" = 0 ]
	[ "$(sample 'rsmfs_library_drives{library="vtl0",state="empty"}')" = 2 ]
	[ "$(sample 'rsmfs_drive_state{library="vtl0",drive="d1",state="empty"}')" = 1 ]
	[ "$(sample 'rsmfs_library_mount_duration_seconds_count{library="vtl0"}')" = 0 ]
	# read-only, like every synthetic attribute file
	[ "$(stat -c %a "$MNT/metrics")" = 444 ]
	run $PROBE write "$MNT/metrics" 'x\n'
	refute_output OK
}

@test "after mounts, dismounts, a failure and dd through a tape file, the values are the tree's" {
	# two mounts that pass, 3 records of 10000 bytes written through d0's tape and read back
	ctl s "mount T00001L6 drive=d0"
	head -c 30000 /dev/urandom >"$TESTDIR/data.bin"
	dd if="$TESTDIR/data.bin" of="$T" bs=10000 2>/dev/null
	mt -f "$T" rewind
	dd if="$T" of="$TESTDIR/back.bin" bs=64k 2>/dev/null
	cmp "$TESTDIR/data.bin" "$TESTDIR/back.bin"
	ctl s "dismount T00001L6"
	ctl s "mount T00002L6 drive=d1"
	ctl s "dismount T00002L6"
	wait_for "$MNT/drives/d1/state" empty
	# a failure: d0 fails while it loads a cartridge (rsmfs(5), sim/ctl)
	echo "timing load=1" >"$MNT/libraries/vtl0/sim/ctl"
	$PROBE write "$MNT/sessions/s/ctl" 'mount T00003L6 drive=d0\n' >"$TESTDIR/out" &
	wait_for "$MNT/drives/d0/state" loading
	echo "fail d0" >"$MNT/libraries/vtl0/sim/ctl"
	wait "$!" || true
	[ "$(cat "$TESTDIR/out")" = EIO ]
	wait_for "$MNT/drives/d0/state" failed

	run scrape
	assert_success
	assert_output ""
	S=$MNT/libraries/vtl0/stats
	L='library="vtl0"'
	# the library's counters are its stats file's
	[ "$(stat_of "$S" mounts)" -eq 2 ]
	[ "$(sample "rsmfs_library_mounts_total{$L}")" = "$(stat_of "$S" mounts)" ]
	[ "$(sample "rsmfs_library_robot_moves_total{$L}")" = "$(stat_of "$S" moves)" ]
	[ "$(stat_of "$S" failures)" -ge 1 ]
	[ "$(sample "rsmfs_library_failures_total{$L}")" = "$(stat_of "$S" failures)" ]
	# the histogram: count and +Inf are the mounts, buckets never decrease, sum/count the mean
	H=rsmfs_library_mount_duration_seconds
	[ "$(sample "${H}_count{$L}")" = 2 ]
	[ "$(sample "${H}_bucket{$L,le=\"+Inf\"}")" = 2 ]
	run awk -v h="${H}_bucket" 'index($1, h "{") == 1 {if ($2 < last) bad = 1; last = $2; n++}
		END {exit bad || n != 12}' "$TESTDIR/metrics"
	assert_success
	run awk -v sum="$(sample "${H}_sum{$L}")" -v mean="$(stat_of "$S" mean_mount_seconds)" \
		'BEGIN {d = sum / 2 - mean; exit !(d < 0.0006 && d > -0.0006)}'
	assert_success
	# requests by state: what requests/ lists
	for st in passed failed queued; do
		n=$(grep -lx "$st" "$MNT"/requests/*/state | wc -l)
		[ "$(sample "rsmfs_library_requests{$L,state=\"$st\"}")" -eq "$n" ]
	done
	[ "$(sample "rsmfs_library_requests{$L,state=\"failed\"}")" -eq 1 ]
	[ "$(sample "rsmfs_library_requests{$L,state=\"passed\"}")" -eq 4 ]
	# drives by state, and each drive's state, as drives/<d>/state says
	[ "$(sample "rsmfs_library_drives{$L,state=\"failed\"}")" = 1 ]
	[ "$(sample "rsmfs_library_drives{$L,state=\"empty\"}")" = 1 ]
	for d in d0 d1; do
		D="$L,drive=\"$d\""
		st=$(cat "$MNT/drives/$d/state")
		[ "$(sample "rsmfs_drive_state{$D,state=\"$st\"}")" = 1 ]
		[ "$(grep -c "^rsmfs_drive_state{$D,state=\"[a-z]*\"} 1$" "$TESTDIR/metrics")" = 1 ]
		[ "$(sample "rsmfs_drive_mounts_total{$D}")" = \
			"$(stat_of "$MNT/drives/$d/stats" mounts)" ]
		[ "$(sample "rsmfs_drive_written_bytes_total{$D}")" = \
			"$(stat_of "$MNT/drives/$d/stats" bytes_written)" ]
		[ "$(sample "rsmfs_drive_read_bytes_total{$D}")" = \
			"$(stat_of "$MNT/drives/$d/stats" bytes_read)" ]
	done
	# the bytes are those dd moved
	[ "$(sample "rsmfs_drive_written_bytes_total{$L,drive=\"d0\"}")" = 30000 ]
	[ "$(sample "rsmfs_drive_read_bytes_total{$L,drive=\"d0\"}")" = 30000 ]
	[ "$(sample "rsmfs_drive_written_bytes_total{$L,drive=\"d1\"}")" = 0 ]
}

@test "the counters and the histogram's buckets outlive a restart" {
	echo "timing load=0.2" >"$MNT/libraries/vtl0/sim/ctl"
	ctl s "mount T00001L6 drive=d0"
	dd if=/dev/zero of="$T" bs=4096 count=5 2>/dev/null
	ctl s "dismount T00001L6"
	wait_for "$MNT/drives/d0/state" empty
	scrape
	grep -E '^rsmfs_(library|drive)_[a-z_]+(_total|_bucket|_sum|_count)[{]' "$TESTDIR/metrics" \
		>"$TESTDIR/before"
	# a mount of 0.2 s is in the le="0.5" bucket, not in le="0.1"
	[ "$(sample 'rsmfs_library_mount_duration_seconds_bucket{library="vtl0",le="0.1"}')" = 0 ]
	[ "$(sample 'rsmfs_library_mount_duration_seconds_bucket{library="vtl0",le="0.5"}')" = 1 ]
	stop_rsmfs
	start_rsmfs
	scrape
	grep -E '^rsmfs_(library|drive)_[a-z_]+(_total|_bucket|_sum|_count)[{]' "$TESTDIR/metrics" \
		>"$TESTDIR/after"
	diff "$TESTDIR/before" "$TESTDIR/after"
	[ "$(sample 'rsmfs_drive_written_bytes_total{library="vtl0",drive="d0"}')" = 20480 ]
}

@test "bytes written to a cartridge still mounted at a stop are kept" {
	ctl s "mount T00001L6 drive=d0"
	dd if=/dev/zero of="$T" bs=1000 count=7 2>/dev/null
	stop_rsmfs
	start_rsmfs
	[ "$(stat_of "$MNT/drives/d0/stats" bytes_written)" = 7000 ]
	scrape
	[ "$(sample 'rsmfs_drive_written_bytes_total{library="vtl0",drive="d0"}')" = 7000 ]
}
