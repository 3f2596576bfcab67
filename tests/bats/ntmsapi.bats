#!/usr/bin/env bats
# ntmsapi.bats - an RSM program built the way programs use libntmsapi: the README's example
# (section "The RSM C API"), compiled with `pkg-config --cflags --libs ntmsapi` against the
# build tree (PKG_CONFIG_PATH at the build directory, where ntmsapi-uninstalled.pc is), run
# against a real mount: it opens a session and a notification channel, mounts a cartridge by
# GUID, waits for its drive's event, asks for a second cartridge without waiting and cancels
# that request, dismounts and closes.  The return codes of every function are the business of
# tests/unit/test_ntmsapi.c.

load helper

BUILDDIR=${RSMFS_BUILDDIR:-$BATS_TEST_DIRNAME/../..}
SRCDIR=${RSMFS_SRCDIR:-$BATS_TEST_DIRNAME/../..}

setup() {
	# one drive: the second mount cannot start while the first cartridge is in it
	DRIVES=1 setup_rsmfs
}

teardown() {
	teardown_rsmfs
}

# The example program of the README: the indented block that starts with its comment.
extract_example() {
	awk '/^The RSM C API$/ { section = 1 }
	     section && /^    \/\* rsm-example/ { code = 1 }
	     code && /^[^ ]/ { exit }
	     code { sub(/^    /, ""); print }' "$SRCDIR/README" >"$TESTDIR/rsm-example.c"
	[ -s "$TESTDIR/rsm-example.c" ]
}

# Builds it as its users would, with pkg-config.
build_example() {
	extract_example
	local flags
	flags=$(PKG_CONFIG_PATH=$BUILDDIR pkg-config --cflags --libs ntmsapi)
	${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$TESTDIR/rsm-example" \
		"$TESTDIR/rsm-example.c" $flags
}

@test "pkg-config finds ntmsapi in the build tree, and the README's program builds with it" {
	run env PKG_CONFIG_PATH="$BUILDDIR" pkg-config --cflags --libs ntmsapi
	assert_success
	assert_output --partial "-lntmsapi"
	run build_example
	assert_success
	[ -x "$TESTDIR/rsm-example" ]
}

@test "the RSM program mounts by GUID, sees its drive change, cancels a request, dismounts" {
	build_example
	RSMFS_MOUNT=$MNT run "$TESTDIR/rsm-example" T00003L6 T00004L6
	echo "$output"
	assert_success
	assert_line "T00003L6 is in d0: $MNT/drives/d0/tape"
	assert_line "T00004L6: mount cancelled"
	assert_line "T00003L6 dismounted: 0"
	# its session is closed; what it did is in the requests
	[ -z "$(ls "$MNT/sessions")" ]
	wait_for "$MNT/media/T00003L6/state" dismountable
	[ "$(cat "$MNT/media/T00004L6/state")" = idle ]
	run grep -l cancelled "$MNT"/requests/*/state
	[ "${#lines[@]}" -eq 1 ]
	n=$(basename "$(dirname "${lines[0]}")")
	[ "$(cat "$MNT/requests/$n/medium")" = T00004L6 ]
	[[ "$(cat "$MNT/requests/$n/session")" == rsm-example-* ]]
}

@test "the RSM program names an unknown medium, and a missing mount, with their RSM codes" {
	build_example
	RSMFS_MOUNT=$MNT run "$TESTDIR/rsm-example" T09999L6
	assert_failure
	assert_output "mount T09999L6: error 4300" # ERROR_INVALID_MEDIA
	RSMFS_MOUNT=$TESTDIR run "$TESTDIR/rsm-example"
	assert_failure
	assert_output "OpenNtmsSession: error 2250" # ERROR_NOT_CONNECTED
}
