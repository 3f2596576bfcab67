# site_helper.bash - what the site suites share: a PostgreSQL server of the file's own
# (tests/tools/pg.sh), each test a schema of its own in it (helper.bash), and several daemons
# on it as hosts, each with its own mountpoint (rsmfs(8), SEVERAL HOSTS).

PG=$BATS_TEST_DIRNAME/../tools/pg.sh

# site_pg_start - the file's PostgreSQL server (RSMFS_TEST_PG)
site_pg_start() {
	RSMFS_TEST_PG=$(mktemp -d /tmp/rsm-pg-site-XXXXXX)
	rmdir "$RSMFS_TEST_PG"
	"$PG" start "$RSMFS_TEST_PG" >/dev/null
	export RSMFS_TEST_PG
}

setup_file() { site_pg_start; }

teardown_file() {
	"$PG" destroy "$RSMFS_TEST_PG"
}

setup() { setup_rsmfs; mkdir "$MNT/sessions/s"; }
# site_teardown - the server up again (a test that stopped it), the hosts a test left running
# stopped, the suite's daemon stopped
site_teardown() {
	"$PG" restart "$RSMFS_TEST_PG" 2>/dev/null || true
	while read -r pid mnt; do
		stop_host "$pid" "$mnt"
	done <"$TESTDIR/hosts" 2>/dev/null || true
	teardown_rsmfs
}

teardown() { site_teardown; }

# sql STATEMENT - runs a statement in the test's schema, prints the rows
sql() {
	psql -qAt "$("$PG" uri "$RSMFS_TEST_PG")" -c "SET search_path = $(cat "$TESTDIR/schema")" \
		-c "$1"
}

# ---- hosts: several daemons on one catalog, each with its own mountpoint ----

# host_config NAME - a configuration of the test's catalog as host NAME, sharing the sim
# library's data directory (rsmfs.conf(5): a shared path)
host_config() {
	mkdir -p "$TESTDIR/$1/mnt"
	sed -e '/^host = /d' -e "/^busy_timeout/a host = $1" "$TESTDIR/rsmfs.conf" \
		>"$TESTDIR/$1/rsmfs.conf"
}

# start_host NAME - starts host NAME on $TESTDIR/NAME/mnt; its pid in HOST_PID
start_host() {
	rm -f "$TESTDIR/$1/ready"
	mkfifo "$TESTDIR/$1/ready"
	"$RSMFS" -f -c "$TESTDIR/$1/rsmfs.conf" ${HOST_OPTS:-} --ready-fd 3 "$TESTDIR/$1/mnt" \
		3>"$TESTDIR/$1/ready" 2>>"$TESTDIR/$1/rsmfs.err" &
	HOST_PID=$!
	echo "$HOST_PID $TESTDIR/$1/mnt" >>"$TESTDIR/hosts"
	[ "$(timeout 10 head -c1 "$TESTDIR/$1/ready")" = r ]
}

# stop_host PID MOUNTPOINT - SIGTERM, and its mount gone
stop_host() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	fusermount3 -uz "$2" 2>/dev/null || true
}

# crash_host PID MOUNTPOINT - kill -9, and its dead mount cleared
crash_host() {
	kill -KILL "$1"
	wait "$1" 2>/dev/null || true
	fusermount3 -uz "$2" 2>/dev/null || true
}

# two_hosts - the suite's daemon becomes host a (at $MNT); host b is configured alike
two_hosts() {
	stop_rsmfs
	sed -i "/^busy_timeout/a host = a" "$TESTDIR/rsmfs.conf"
	start_rsmfs
	mkdir "$MNT/sessions/sa" # the sessions of the machine's host name stay its own
	host_config b
}

