# helper.bash - start and stop a real rsmfs mount for each test.
#
# Each test gets its own catalog in a temporary directory, a sim library with the timings the
# test asks for (MOVE, LOAD, UNLOAD; 0 by default), and a mount at $MNT.  The daemon reports
# readiness through --ready-fd, so no test races the mount.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

RSMFS=${RSMFS_BIN:-$BATS_TEST_DIRNAME/../../rsmfs}
# the system's python, which an unprivileged test user can run too
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
PROBE="$PYTHON $BATS_TEST_DIRNAME/../tools/fsprobe.py"

# catalog_config - the [rsmfs] lines that name the test's catalog: the SQLite file, or with
# RSMFS_TEST_PG set (the directory of a server of tests/tools/pg.sh, tests/bats/pg-suites) a
# schema of the test's own in that server's database, made on first use
catalog_config() {
	if [ -z "${RSMFS_TEST_PG:-}" ]; then
		echo "database = $TESTDIR/data/rsm.db"
		return
	fi
	local uri
	uri=$("$BATS_TEST_DIRNAME/../tools/pg.sh" uri "$RSMFS_TEST_PG")
	if [ ! -e "$TESTDIR/schema" ]; then
		echo "t$(basename "$TESTDIR" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')" >"$TESTDIR/schema"
		psql -qAt "$uri" -c "CREATE SCHEMA $(cat "$TESTDIR/schema")" >/dev/null
	fi
	echo "catalog = $uri&options=-csearch_path%3D$(cat "$TESTDIR/schema")"
	echo "data_dir = $TESTDIR/data"
}

# write_config [extra lines for [rsmfs]] - writes $TESTDIR/rsmfs.conf
write_config() {
	cat >"$TESTDIR/rsmfs.conf" <<-CONF
	[rsmfs]
	$(catalog_config)
	busy_timeout = ${BUSY_TIMEOUT:-0.2}
	$1

	[library vtl0]
	backend = sim
	drives = ${DRIVES:-2}
	slots = ${SLOTS:-16}
	ports = 1
	media = ${MEDIA:-12}
	media_type = LTO-6
	move_time = ${MOVE:-0}
	load_time = ${LOAD:-0}
	unload_time = ${UNLOAD:-0}
	CONF
}

# start_rsmfs [rsmfs options...] - mounts at $MNT and waits until it is ready
start_rsmfs() {
	rm -f "$TESTDIR/ready"
	mkfifo "$TESTDIR/ready"
	"$RSMFS" -f -c "$TESTDIR/rsmfs.conf" --ready-fd 3 "$@" "$MNT" \
		3>"$TESTDIR/ready" 2>>"$TESTDIR/rsmfs.err" &
	RSMFS_PID=$!
	local byte
	byte=$(timeout 10 head -c1 "$TESTDIR/ready")
	if [ "$byte" != r ]; then
		cat "$TESTDIR/rsmfs.err" >&2
		return 1
	fi
}

stop_rsmfs() {
	if [ -n "${RSMFS_PID:-}" ] && kill -0 "$RSMFS_PID" 2>/dev/null; then
		kill -TERM "$RSMFS_PID"
		for _ in $(seq 50); do
			kill -0 "$RSMFS_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$RSMFS_PID" 2>/dev/null || true
		wait "$RSMFS_PID" 2>/dev/null || true
	fi
	RSMFS_PID=
	fusermount3 -uz "$MNT" 2>/dev/null || true
}

setup_rsmfs() {
	TESTDIR=$(mktemp -d /tmp/rsmfs-bats.XXXXXX)
	chmod 755 "$TESTDIR"
	MNT=$TESTDIR/mnt
	mkdir -p "$MNT" "$TESTDIR/data"
	write_config "${EXTRA_CONFIG:-}"
	start_rsmfs ${RSMFS_OPTS:-}
}

teardown_rsmfs() {
	# kill stray children of the test (background writers and readers)
	local j
	for j in $(jobs -p); do
		[ "$j" = "${RSMFS_PID:-}" ] || kill "$j" 2>/dev/null || true
	done
	stop_rsmfs
	[ -z "${RSMFS_TEST_PG:-}" ] || [ ! -e "$TESTDIR/schema" ] ||
		psql -qAt "$("$BATS_TEST_DIRNAME/../tools/pg.sh" uri "$RSMFS_TEST_PG")" \
			-c "SET client_min_messages = warning; DROP SCHEMA $(cat "$TESTDIR/schema") CASCADE"
	rm -rf "$TESTDIR"
}

# ctl SESSION COMMAND - writes one command to a session's ctl, like `echo CMD > ctl`
ctl() {
	echo "$2" >"$MNT/sessions/$1/ctl"
}

# errno_of CMD... - runs a command and prints the errno name its write failed with (OK if none)
write_errno() {
	$PROBE write "$1" "$2"
}

# wait_for FILE VALUE [SECONDS] - waits until a file holds VALUE
wait_for() {
	local i
	for i in $(seq $((${3:-5} * 20))); do
		[ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	echo "$1 is '$(cat "$1" 2>/dev/null)', wanted '$2'" >&2
	return 1
}

# state_dump - every state file of the tree, for before/after comparisons
state_dump() {
	(cd "$MNT" && for f in drives/*/state drives/*/session media/*/state media/*/location \
		libraries/*/slots requests/*/state; do
		printf '%s: %s\n' "$f" "$(cat "$f")"
	done)
}
