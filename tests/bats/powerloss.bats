#!/usr/bin/env bats
# powerloss.bats - power cuts under real work (rsmfs.conf(5), synchronous).  The catalog lives
# on tests/tools/lossyfs, which keeps what was not synced in memory and throws it away on
# command; each cut is that and a SIGKILL of the daemon, and the restart on what remains is
# checked through the mount (tests/tools/crashload.py power): the crash invariants (every
# medium in one place, the catalog agreeing with the changer, no request left pending,
# integrity_check), and what the workers were told was done.  With synchronous = full every
# acknowledged change must be there; with normal every change acknowledged before the last
# sync of the catalog's log.
#
# The cut points come from a seed, printed first: POWER_SEED=<n> replays a run (the robot's
# timing makes the interleaving differ slightly).  POWER_CUTS sets how many (make stress).

load helper

CRASHLOAD="$PYTHON $BATS_TEST_DIRNAME/../tools/crashload.py"
LOSSYFS=${LOSSYFS_BIN:-$BATS_TEST_DIRNAME/../tools/lossyfs}

setup() {
	TESTDIR=$(mktemp -d /tmp/rsmfs-bats.XXXXXX)
	MNT=$TESTDIR/mnt
	LOSSY=$TESTDIR/lossy
	mkdir -p "$MNT" "$TESTDIR/data" "$LOSSY" "$TESTDIR/backing"
	"$LOSSYFS" -f "$TESTDIR/backing" "$LOSSY" 2>>"$TESTDIR/lossyfs.err" &
	LOSSY_PID=$!
	for _ in $(seq 50); do
		mountpoint -q "$LOSSY" && break
		sleep 0.1
	done
	mountpoint -q "$LOSSY"
}

teardown() {
	fusermount3 -uz "$MNT" 2>/dev/null || true
	fusermount3 -u "$LOSSY" 2>/dev/null || fusermount3 -uz "$LOSSY" 2>/dev/null || true
	kill "$LOSSY_PID" 2>/dev/null || true
	wait "$LOSSY_PID" 2>/dev/null || true
	rm -rf "$TESTDIR"
}

# power_config SYNCHRONOUS - the catalog on the lossy filesystem, the changer's record and the
# cartridges on the real disk (they are the library's hardware: a power cut does not move them)
power_config() {
	cat >"$TESTDIR/rsmfs.conf" <<-CONF
	[rsmfs]
	database = $LOSSY/rsm.db
	data_dir = $TESTDIR/data
	request_retention = 5s
	$1

	[library vtl0]
	backend = sim
	drives = 2
	slots = 16
	ports = 1
	media = 12
	media_type = LTO-6
	move_time = 0.05
	load_time = 0.05
	unload_time = 0.05
	CONF
}

seed() {
	if [ "${POWER_SEED:-}" = random ]; then
		echo $((RANDOM * 32768 + RANDOM))
	else
		echo "${POWER_SEED:-$1}"
	fi
}

# power_loop SYNCHRONOUS DEFAULT_SEED DEFAULT_CUTS - runs the cuts; sets cuts and output
power_loop() {
	cuts=${POWER_CUTS:-$3}
	run $CRASHLOAD power "$RSMFS" "$TESTDIR/rsmfs.conf" "$MNT" "$TESTDIR/data" \
		"$(seed "$2")" "$cuts" "$LOSSY" "$1"
	echo "$output"
	echo "# $(head -n1 <<<"$output")" >&3
	echo "# $(tail -n1 <<<"$output")" >&3
	assert_success
	assert_line --regexp "^$cuts cuts, [0-9]+ acknowledged changes taken back, 0 violations\$"
	# the workers were told of changes in most rounds
	[ "$(grep -c '(0 acknowledged' <<<"$output")" -lt $((cuts / 2)) ]
}

@test "lossyfs loses what was not synced and keeps what was" {
	printf 'kept\n' >"$LOSSY/a"
	sync "$LOSSY/a"
	printf 'lost\n' >>"$LOSSY/a"
	printf 'never synced\n' >"$LOSSY/b"
	[ "$(cat "$LOSSY/a")" = "$(printf 'kept\nlost')" ]
	[ ! -s "$TESTDIR/backing/b" ]
	grep -q '^/a 1 [0-9]*$' "$LOSSY/.lossyfs"
	echo clear-cache >"$LOSSY/.lossyfs"
	[ "$(cat "$LOSSY/a")" = kept ]
	[ -e "$LOSSY/b" ] && [ ! -s "$LOSSY/b" ]
}

@test "synchronous = full: 50 power cuts lose nothing acknowledged" {
	power_config "synchronous = full"
	power_loop full 20261203 50
	assert_line --regexp "^$cuts cuts, 0 acknowledged changes taken back, 0 violations\$"
}

@test "synchronous = normal: 50 power cuts keep everything acknowledged before the last sync" {
	power_config "synchronous = normal"
	power_loop normal 1203 50
	# a cut does take back what was acknowledged since the last sync (the setting is real),
	# and the restarts found the changer where the catalog had forgotten its moves
	[ "$(grep -Ec ' sync, [1-9][0-9]* taken back' <<<"$output")" -gt 0 ]
	# and the catalog's log was synced under the workers' feet, so the check had teeth
	[ "$(grep -Ec ' acknowledged, [1-9][0-9]* before the last sync' <<<"$output")" -gt 0 ]
	grep -q "inventory corrected" "$TESTDIR/rsmfs.err"
}
