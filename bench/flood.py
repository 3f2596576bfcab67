#!/usr/bin/env python3
"""flood - one hostile user at every per-user limit, others flooding the daemon with channels,
and root mounting meanwhile; prints the rows of bench/hostile.

  flood.py MNT PID ROUNDS

MNT is an rsmfs mount with allow_other whose library has T00001L6..T00024L6, PID its daemon.
As uid 4242: 64 sessions, 1000 pending mounts (of a cartridge taken off the shelf, so they
wait), 100 operator messages, 1024 channels held open and never read while root's mounts fill
them.  Then ROUNDS rounds of four other users (4300..4303) each opening 1024 channels and
closing them, with the daemon's peak RSS during each round and its RSS once the round settled, and root's mount + dismount latency
while a round runs beside the same latency on the idle daemon.
"""
import os
import resource
import signal
import statistics
import sys
import threading
import time

GREEDY = 4242
FLOODERS = [4300, 4301, 4302, 4303]
SETTLE = 2.0  # seconds after a round before its RSS is read


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def ctl(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def as_user(uid, fn, *args):
    """Runs fn(*args) in a child with uid; returns the child's pid (fn's result is lost)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            fn(*args)
        except BaseException as e:  # the child reports and leaves, whatever happened
            print("uid %d: %s" % (uid, e), file=sys.stderr)
            code = 1
        os._exit(code)
    return pid


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def greedy(mnt, ready_w):
    """Everything the limits allow, then hold the channels until killed."""
    raise_nofile()
    for i in range(64):
        os.mkdir(os.path.join(mnt, "sessions", "greedy%d" % i))
    s = os.path.join(mnt, "sessions", "greedy0", "ctl")
    for _ in range(1000):
        ctl(s, "mount T00024L6 nowait\n")
    for i in range(100):
        ctl(s, "message greedy %d\n" % i)
    fds = [os.open(os.path.join(mnt, "sessions", "greedy%d" % (i % 64), "notify", "all"),
                   os.O_RDONLY) for i in range(1024)]
    os.write(ready_w, b"%d\n" % len(fds))
    while True:
        signal.pause()


def flooder(mnt, uid):
    raise_nofile()
    path = os.path.join(mnt, "sessions", "flood%d" % uid)
    os.mkdir(path)
    fds = [os.open(os.path.join(path, "notify", "all"), os.O_RDONLY) for _ in range(1024)]
    for fd in fds:
        os.close(fd)
    os.rmdir(path)


def mount_latencies(mnt, count, medium="T00001L6"):
    s = os.path.join(mnt, "sessions", "root", "ctl")
    out = []
    for _ in range(count):
        t0 = time.monotonic()
        ctl(s, "mount %s\n" % medium)
        ctl(s, "dismount %s immediate\n" % medium)
        out.append((time.monotonic() - t0) * 1000)
    return out


def p99(values):
    return sorted(values)[max(0, int(len(values) * 0.99) - 1)]


def row(name, value):
    print("| %-54s | %22s |" % (name, value))


def main(mnt, pid, rounds):
    rounds = int(rounds)
    lib = os.path.join(mnt, "libraries", "vtl0")
    os.mkdir(os.path.join(mnt, "sessions", "root"))
    start = rss_mib(pid)
    idle = mount_latencies(mnt, 200)
    # the greedy user's mounts wait for a cartridge on the shelf
    ctl(os.path.join(lib, "ctl"), "eject T00024L6\n")
    ctl(os.path.join(lib, "sim", "ctl"), "remove\n")
    r, w = os.pipe()
    greedy_pid = as_user(GREEDY, greedy, mnt, w)
    os.close(w)
    held = os.read(r, 64).decode().strip()
    os.close(r)
    # root's work fills every one of the greedy user's channels (4096 lines each)
    mount_latencies(mnt, 1500)
    at_limits = rss_mib(pid)
    per_round = []
    peaks = []
    during = []
    for _ in range(rounds):
        pids = [as_user(uid, flooder, mnt, uid) for uid in FLOODERS]
        done = threading.Event()

        def wait_all():
            for p in pids:
                os.waitpid(p, 0)
            done.set()

        t = threading.Thread(target=wait_all)
        t.start()
        peak = 0.0
        while not done.is_set():
            during.extend(mount_latencies(mnt, 5))
            peak = max(peak, rss_mib(pid))
        t.join()
        peaks.append(peak)
        # the closes reach the daemon after the processes exit, and freed pages go back a
        # second after a burst of closes (rsmfs(5), LIMITS)
        time.sleep(SETTLE)
        per_round.append(rss_mib(pid))
    os.kill(greedy_pid, signal.SIGKILL)
    os.waitpid(greedy_pid, 0)
    time.sleep(SETTLE)
    after = rss_mib(pid)

    print("hostile users: uid %d at every limit (64 sessions, 1000 pending requests, 100 "
          "messages, %s channels never read)," % (GREEDY, held))
    print("4 users opening and closing 1024 channels each per round, root mounting meanwhile")
    print()
    print("| %-54s | %22s |" % ("figure", "value"))
    print("|%s|%s|" % ("-" * 56, "-" * 24))
    row("daemon RSS at start, MiB", "%.1f" % start)
    row("RSS with the user at every limit, rings full, MiB", "%.1f" % at_limits)
    row("peak RSS during flood rounds 1, 2, ... %d, MiB" % rounds,
        " ".join("%.0f" % v for v in peaks))
    row("RSS %g s after flood rounds 1, 2, ... %d, MiB" % (SETTLE, rounds),
        " ".join("%.0f" % v for v in per_round))
    row("RSS growth from round 1 to round %d, MiB" % rounds,
        "%.1f" % (per_round[-1] - per_round[0]))
    row("RSS once the greedy user's channels closed, MiB", "%.1f" % after)
    row("root mount+dismount, idle: median / p99 ms",
        "%.2f / %.2f" % (statistics.median(idle), p99(idle)))
    row("root mount+dismount, during the flood: median / p99 ms",
        "%.2f / %.2f" % (statistics.median(during), p99(during)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
