#!/usr/bin/env bats
# The tree of rsmfs(5) on a fresh sim library: what exists, what it reads, its links.

load helper

setup() { setup_rsmfs; }
teardown() { teardown_rsmfs; }

GUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

@test "the root holds every top-level entry" {
	run ls "$MNT"
	assert_success
	assert_output "$(printf '%s\n' README by-id drives error_log libraries media metrics opreqs pools requests sessions version | sort)"
	# hosts/ is a site's (a catalog on PostgreSQL) only
	[ ! -e "$MNT/hosts" ]
	run cat "$MNT/version"
	assert_output --regexp '^rsmfs [0-9]+\.[0-9]+\.[0-9]+$'
	run cat "$MNT/README"
	assert_output --partial "mkdir sessions/demo"
}

@test "a fresh sim library: every cartridge idle in the first slots, in order, in pool free" {
	run ls "$MNT/media"
	assert_output "$(printf 'T%05dL6\n' $(seq 1 12))"
	for i in $(seq 1 12); do
		m=$(printf 'T%05dL6' "$i")
		[ "$(cat "$MNT/media/$m/state")" = idle ]
		[ "$(cat "$MNT/media/$m/location")" = "slot $((i - 1))" ]
		[ "$(cat "$MNT/media/$m/barcode")" = "$m" ]
		[ "$(cat "$MNT/media/$m/type")" = LTO-6 ]
		[ "$(readlink "$MNT/media/$m/pool")" = ../../pools/free ]
		[ "$(readlink "$MNT/media/$m/library")" = ../../libraries/vtl0 ]
		[ "$(cat "$MNT/media/$m/sides/0/state")" = available ]
	done
	run cat "$MNT/libraries/vtl0/slots"
	assert_line --index 0 "0 full T00001L6"
	assert_line --index 12 "12 empty -"
	[ "$(wc -l <"$MNT/libraries/vtl0/slots")" -eq 16 ]
	run cat "$MNT/libraries/vtl0/ports"
	assert_output "0 empty -"
}

@test "a library's identity files" {
	L=$MNT/libraries/vtl0
	[ "$(cat "$L/name")" = vtl0 ]
	[ "$(cat "$L/type")" = changer ]
	[ "$(cat "$L/state")" = online ]
	[ "$(cat "$L/backend")" = sim ]
	[ "$(cat "$L/door")" = closed ]
	[[ "$(cat "$L/id")" =~ $GUID_RE ]]
	run ls "$L/drives"
	assert_output "$(printf 'd0\nd1')"
	[ "$(readlink "$L/drives/d0")" = ../../../drives/d0 ]
	[ "$(cat "$L/drives/d0/name")" = d0 ]
	run cat "$L/stats"
	assert_line "moves 0"
	assert_line "mounts 0"
}

@test "one host alone: libraries/<l>/manager, drives/<d>/hosts, sessions/<s>/host name it" {
	# host = in rsmfs.conf(5), the host name by default
	[ "$(cat "$MNT/libraries/vtl0/manager")" = "$(hostname)" ]
	[ "$(cat "$MNT/drives/d0/hosts")" = "$(hostname)" ]
	mkdir "$MNT/sessions/h"
	[ "$(cat "$MNT/sessions/h/host")" = "$(hostname)" ]
}

@test "an empty drive has no medium link and empty session and device" {
	D=$MNT/drives/d0
	[ "$(cat "$D/state")" = empty ]
	[ ! -e "$D/medium" ] && [ ! -L "$D/medium" ]
	[ "$(stat -c %s "$D/session")" -eq 0 ]
	[ "$(stat -c %s "$D/device")" -eq 0 ]
	[ "$(readlink "$D/library")" = ../../libraries/vtl0 ]
	run ls "$D"
	refute_output --partial medium
	run cat "$D/stats"
	assert_line "mounts 0"
}

@test "system pools exist, owned by root, mode 0755, draw and return 1" {
	run ls "$MNT/pools"
	assert_output "$(printf 'cleaner\nfree\nimport\nunrecognized')"
	[ "$(stat -c '%a %u' "$MNT/pools/free")" = "755 0" ]
	[ "$(cat "$MNT/pools/free/type")" = free ]
	[ "$(cat "$MNT/pools/free/media_type")" = LTO-6 ]
	[ "$(cat "$MNT/pools/free/draw")" = 1 ]
	[ "$(cat "$MNT/pools/free/return")" = 1 ]
	[ "$(ls "$MNT/pools/free/media" | wc -l)" -eq 12 ]
	[ "$(readlink "$MNT/pools/free/media/T00003L6")" = ../../../media/T00003L6 ]
	[ "$(ls "$MNT/pools/import/media" | wc -l)" -eq 0 ]
}

@test "by-id links every library, drive, medium, side and pool to its directory" {
	for p in libraries/vtl0 drives/d1 media/T00002L6 media/T00002L6/sides/0 pools/import; do
		id=$(cat "$MNT/$p/id")
		[[ "$id" =~ $GUID_RE ]]
		[ "$(readlink "$MNT/by-id/$id")" = "../$p" ]
		[ "$(cat "$MNT/by-id/$id/id")" = "$id" ]
	done
	[ "$(ls "$MNT/by-id" | wc -l)" -eq $((1 + 2 + 12 * 2 + 4)) ]
}

@test "st_size is the length of the current rendering; pread at 0 re-reads" {
	f=$MNT/libraries/vtl0/slots
	[ "$(stat -c %s "$f")" -eq "$(cat "$f" | wc -c)" ]
	[ "$(stat -c %s "$MNT/drives/d0/state")" -eq 6 ]
	run $PROBE pread0 "$MNT/drives/d0/state"
	assert_output "$(printf 'empty\nempty')"
}

@test "bash reading one byte at a time gets whole values" {
	read -r v <"$MNT/drives/d1/state"
	[ "$v" = empty ]
	run dd if="$MNT/media/T00001L6/location" bs=1 status=none
	assert_output "slot 0"
}

@test "operations the tree does not support fail with EPERM or EACCES and change nothing" {
	run touch "$MNT/newfile"
	assert_failure
	assert_output --partial "Operation not permitted"
	run rm "$MNT/version"
	assert_output --partial "Operation not permitted"
	run mkdir "$MNT/drives/d9"
	assert_output --partial "Operation not permitted"
	run mv "$MNT/media/T00001L6" "$MNT/media/X"
	assert_output --partial "Operation not permitted"
	run ln -s x "$MNT/media/link"
	assert_output --partial "Operation not permitted"
	run truncate -s 0 "$MNT/drives/d0/state"
	assert_failure
	run sh -c "echo x > '$MNT/drives/d0/state'"
	assert_output --partial "Permission denied"
	[ "$(cat "$MNT/drives/d0/state")" = empty ]
	run rmdir "$MNT/drives/d0"
	assert_output --partial "Operation not permitted"
}

@test "requests and opreqs start empty; a missing object is ENOENT" {
	[ "$(ls "$MNT/requests" | wc -l)" -eq 0 ]
	[ "$(ls "$MNT/opreqs" | wc -l)" -eq 0 ]
	run cat "$MNT/drives/d7/state"
	assert_output --partial "No such file or directory"
	run cat "$MNT/requests/1/state"
	assert_output --partial "No such file or directory"
}
