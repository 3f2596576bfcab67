#!/usr/bin/env python3
"""soak - many sessions working one library through the mount, with a deadlock watchdog.

  soak.py MNT DATADIR SESSIONS SECONDS SEED
      SESSIONS processes, each with its own session, loop for SECONDS over mounts of random
      media ended in one of four ways: a deferred or an immediate dismount, a cancel through
      requests/<n>/ctl, or an interrupted mount write (a signal: EINTR, the request is
      cancelled if it has not started).  A watchdog fails the run when no round finished
      anywhere for 10 s.  Then the sessions are closed, every request must reach a final state,
      and the invariants of crashload.py must hold.  Prints "N rounds (...), M problems".
"""
import os
import random
import select
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crashload  # noqa: E402  (the invariants and the write helper)

MEDIA = ["T%05dL6" % i for i in range(1, 17)]


def worker(mnt, name, seed, end, progress):
    signal.signal(signal.SIGALRM, crashload.on_alarm)
    rnd = random.Random(seed)
    sdir = os.path.join(mnt, "sessions", name)
    os.mkdir(sdir)
    ctl = os.path.join(sdir, "ctl")
    counts = {"mounted": 0, "cancelled": 0, "interrupted": 0, "other": 0}
    while time.monotonic() < end:
        m = rnd.choice(MEDIA)
        how = rnd.randrange(4)
        if how == 2:
            r = crashload.write(ctl, "mount %s nowait\n" % m, reply=True)
            if r.startswith("ok request "):
                crashload.write(os.path.join(mnt, "requests", r.split()[2], "ctl"),
                                "cancel\n")
                counts["cancelled"] += 1
            else:
                counts["other"] += 1
        elif how == 3:
            r = crashload.write(ctl, "mount %s timeout=3\n" % m,
                                interrupt_after=rnd.uniform(0.001, 0.05))
            key = "interrupted" if r == "EINTR" else "mounted" if r == "ok" else "other"
            counts[key] += 1
            if r == "ok":
                crashload.write(ctl, "dismount %s\n" % m)
        else:
            r = crashload.write(ctl, "mount %s timeout=3\n" % m)
            if r == "ok":
                counts["mounted"] += 1
                crashload.write(ctl, "dismount %s%s\n" % (m, " deferred" if how == 0 else ""))
            else:
                counts["other"] += 1
        os.write(progress, b".")
    os.rmdir(sdir)
    os.write(progress, ("%d %d %d %d\n" % (counts["mounted"], counts["cancelled"],
                                           counts["interrupted"], counts["other"])).encode())


def abort_connection(conn):
    """Aborts the FUSE connection with this number: every request in it fails (ENOTCONN)."""
    try:
        with open("/sys/fs/fuse/connections/%d/abort" % conn, "w") as f:
            f.write("1")
    except OSError as e:
        print("watchdog: cannot abort FUSE connection %d: %s" % (conn, e))


def main(argv):
    mnt, datadir = argv[1], argv[2]
    conn = os.minor(os.stat(mnt).st_dev)  # the connection's number under fusectl
    sessions, seconds, seed = int(argv[3]), float(argv[4]), int(argv[5])
    print("soak seed %d: %d sessions for %.0f s" % (seed, sessions, seconds), flush=True)
    r, w = os.pipe()
    end = time.monotonic() + seconds
    pids = []
    for i in range(sessions):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                worker(mnt, "soak%d" % i, seed * 1000 + i, end, w)
            finally:
                os._exit(0)
        pids.append(pid)
    os.close(w)
    rounds, totals, problems, data = 0, [0, 0, 0, 0], [], b""
    last = time.monotonic()
    live = True
    while live:
        ready, _, _ = select.select([r], [], [], 1.0)
        if ready:
            chunk = os.read(r, 65536)
            if not chunk:
                live = False
                continue
            rounds += chunk.count(b".")
            data += chunk.replace(b".", b"")
            last = time.monotonic()
        elif time.monotonic() - last > 10:
            # the tree may not answer any more: cut the connection (fusectl), so the processes
            # stuck in it end, and report without touching the tree again
            print("watchdog: no round finished for 10 s (deadlock?) after %d rounds" % rounds)
            abort_connection(conn)
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            for pid in pids:
                os.waitpid(pid, 0)
            print("%d rounds, 1 problems" % rounds)
            return 1
    for pid in pids:
        os.waitpid(pid, 0)
    for line in data.decode().splitlines():
        for k, v in enumerate(line.split()):
            totals[k] += int(v)
    if totals[0] == 0:
        problems.append("no mount succeeded")
    # every request ends in a final state once its session is closed
    deadline = time.monotonic() + 10
    pending = ["?"]
    while pending and time.monotonic() < deadline:
        pending = [n for n in crashload.listdir(os.path.join(mnt, "requests"))
                   if crashload.read(os.path.join(mnt, "requests", n, "state"))
                   not in crashload.FINAL | {None}]
        time.sleep(0.2)
    if pending:
        problems.append("requests not final: %s" % " ".join(pending[:10]))
    problems += crashload.check(mnt, datadir, after_restart=True)
    for p in problems:
        print(p)
    print("%d rounds (%d mounts, %d cancels, %d interrupted, %d other), %d problems"
          % (rounds, totals[0], totals[1], totals[2], totals[3], len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
