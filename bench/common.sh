# bench/common.sh - shell helpers of bench/run, bench/scale and bench/growth (sourced; they
# set work and builddir, and start/stop use pid).

ms_now() { date +%s%N | awk '{printf "%.1f", $1 / 1e6}'; }

# start <conf> <mountpoint>: starts the daemon, waits until it is mounted; sets pid and
# start_ms (exec to ready)
start() {
	rm -f "$work/ready" && mkfifo "$work/ready"
	t0=$(ms_now)
	"$builddir/rsmfs" -f -c "$1" --ready-fd 3 "$2" 3>"$work/ready" 2>>"$work/rsmfs.err" &
	pid=$!
	head -c1 "$work/ready" >/dev/null
	t1=$(ms_now)
	start_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
}

stop() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

rss_mib() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l) ? "yes" : "NO" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
line() { printf '| %-44s | %12s | %-22s | %-4s |\n' "$1" "$2" "$3" "$4"; }

# attr <mount> <file>: "open-median open-p99 pread-median pread-p99" in microseconds
attr() { BENCH_ONLY=attr "$builddir/bench/bench" "$1" "$2" -; }

# small_conf <file> <data dir>: the library of bench/run (4 drives, 24 media, no robot time)
small_conf() {
	cat >"$1" <<CONF
[rsmfs]
database = $2/rsm.db

[library vtl0]
backend = sim
drives = 4
slots = 32
ports = 1
media = 24
move_time = 0
load_time = 0
unload_time = 0
CONF
}
