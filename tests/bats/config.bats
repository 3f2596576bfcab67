#!/usr/bin/env bats
# config.bats - hostile configurations: malformed INI, unknown keys, absurd values, binary
# junk, a missing catalog directory.  Each gives a message naming the file (and the line),
# exit status 1 (never a crash: no signal, no sanitizer report), and nothing mounted.

load helper

setup() {
	TESTDIR=$(mktemp -d /tmp/rsmfs-bats.XXXXXX)
	MNT=$TESTDIR/mnt
	mkdir -p "$MNT" "$TESTDIR/data"
}

teardown() {
	fusermount3 -uz "$MNT" 2>/dev/null || true
	rm -rf "$TESTDIR"
}

# refused TEXT MESSAGE - a configuration holding TEXT is refused with MESSAGE
refused() {
	printf '%b' "$1" >"$TESTDIR/bad.conf"
	run timeout 10 "$RSMFS" -f -c "$TESTDIR/bad.conf" "$MNT"
	echo "config: $1" >&2
	echo "said: $output (status $status)" >&2
	[ "$status" -eq 1 ]
	[[ "$output" == *"$2"* ]]
	! mountpoint -q "$MNT"
}

@test "malformed INI: each problem named with its file and line" {
	refused '[rsmfs\n' 'bad.conf:1: malformed section header'
	refused '[library a] x\n' 'bad.conf:1: malformed section header'
	refused 'garbage\n' 'bad.conf:1: expected key = value'
	refused 'drives = 2\n' "bad.conf:1: 'drives' outside of any section"
	refused '[weird]\n' 'bad.conf:1: unknown section [weird]'
	refused '[library ../x]\n' "bad.conf:1: bad library name '../x'"
	refused '[library a]\n[library a]\n' "bad.conf:2: library 'a' defined twice"
	refused "[library a]\nmedia_type = $(printf 'x%.0s' $(seq 2000))\n" 'bad.conf:2: line too long'
	refused '[library a]\ndrives = 2\x00\n' 'bad.conf:2: NUL byte in the line'
}

@test "unknown keys and absurd values are refused" {
	refused '[rsmfs]\nfrobnicate = 1\n' "bad.conf:2: unknown key 'frobnicate'"
	refused '[library a]\nslots = 1000000\n' "bad.conf:2: bad value '1000000' for slots"
	refused '[library a]\ndrives = 0\n' "bad.conf:2: bad value '0' for drives"
	refused '[library a]\ndrives = 99999999999999999999\n' "bad value '99999999999999999999' for drives"
	refused '[library a]\nmove_time = -1\n' "bad.conf:2: bad value '-1' for move_time"
	refused '[library a]\nload_time = 1e999\n' "bad value '1e999' for load_time"
	refused '[library a]\nunload_time = nan\n' "bad value 'nan' for unload_time"
	refused '[library a]\nunload_time = 2 fortnights\n' "bad value '2 fortnights' for unload_time"
	refused '[rsmfs]\nrequest_retention = -5h\n' "bad value '-5h' for request_retention"
	refused '[rsmfs]\ndatabase_max_size = inf\n' "bad value 'inf' for database_max_size"
	refused '[library a]\nbackend = floppy\n' "bad value 'floppy' for backend"
	refused '[library a]\nslots = 4\nmedia = 9\n' '9 media do not fit in 4 slots'
	refused '[library a]\nbackend = scsi\n' 'backend scsi needs a changer address'
	refused '[library a]\ndrive.0 = nst0\n' "bad value 'nst0' for drive.0"
}

@test "dismount_delay: a bad value in the configuration is refused and the catalog keeps its own" {
	refused '[library a]\ndismount_delay = soon\n' "bad.conf:2: bad value 'soon' for dismount_delay"
	refused '[library a]\ndismount_delay = -1\n' "bad.conf:2: bad value '-1' for dismount_delay"
	refused '[library a]\ndismount_delay = 400d\n' "bad.conf:2: bad value '400d' for dismount_delay"
	# a good one is the library's at start (10m: 600 seconds)
	write_config
	sed -i '/^\[library vtl0\]/a dismount_delay = 10m' "$TESTDIR/rsmfs.conf"
	start_rsmfs
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 600 ]
	stop_rsmfs
	# refused on the same catalog, it changed nothing there: with no key, still 600
	sed -i 's/^dismount_delay = 10m/dismount_delay = soon/' "$TESTDIR/rsmfs.conf"
	run timeout 10 "$RSMFS" -f -c "$TESTDIR/rsmfs.conf" "$MNT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad value 'soon' for dismount_delay"* ]]
	sed -i '/^dismount_delay/d' "$TESTDIR/rsmfs.conf"
	start_rsmfs
	[ "$(cat "$MNT/libraries/vtl0/dismount_delay")" = 600 ]
	stop_rsmfs
}

@test "binary junk and a directory as the configuration are refused" {
	head -c 4096 /dev/urandom >"$TESTDIR/junk.conf"
	run timeout 10 "$RSMFS" -f -c "$TESTDIR/junk.conf" "$MNT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"junk.conf"* ]]
	run timeout 10 "$RSMFS" -f -c "$TESTDIR" "$MNT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot be read: Is a directory"* ]]
	! mountpoint -q "$MNT"
}

@test "a configured catalog directory that does not exist is refused, not created" {
	refused "[rsmfs]\ndatabase = $TESTDIR/nosuch/rsm.db\n" \
		"the catalog directory $TESTDIR/nosuch does not exist"
	[ ! -e "$TESTDIR/nosuch" ]
	refused "[rsmfs]\ndata_dir = $TESTDIR/nodir\n" "the catalog directory $TESTDIR/nodir does not exist"
	[ ! -e "$TESTDIR/nodir" ]
}
