#!/usr/bin/env python3
"""site_events - how soon a change on one host of a site is seen on another, and how long a
host's mount takes to come back (bench/site).

  site_events.py MNT_A MNT_B MEDIUM COUNT
  site_events.py --roundtrip MNT SESSION MEDIUM COUNT

The first form mounts and dismounts MEDIUM (of a library host b manages) COUNT times on b: for
each mount, the time from the mount's return on b (the medium mounted there) until host a's
media/MEDIUM/state reads "mounted", polled every 0.5 ms.

The second form mounts and dismounts MEDIUM COUNT times through SESSION (made if missing) on
the host mounted at MNT, and times each mount's write, from the call until it returns: on the
library's manager, the request run in that process; on a user host, the request queued in the
catalog, run by the manager and its end read back from the catalog.  After each dismount it
waits (untimed) until MNT's media/MEDIUM/state reads "idle", so that every mount finds the
medium in its slot.

Each prints the median and the 99th percentile in ms, and how many were measured ("- - 0" if
none); the second also how many dismounts were refused at first (retried every ms: see
bench/bench.c).
"""
import errno
import os
import sys
import time


def read(path):
    with open(path) as f:
        return f.read().strip()


def wait_state(path, state, limit):
    t0 = time.monotonic()
    while read(path) != state and time.monotonic() - t0 < limit:
        time.sleep(0.0005)
    return read(path) == state


def report(delays, extra=""):
    if not delays:
        print(f"- - 0{extra}")
        return
    delays.sort()
    median = delays[len(delays) // 2]
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"{median:.1f} {p99:.1f} {len(delays)}{extra}")


def dismount(fd, medium):
    """Dismounts medium; a refusal right after the mount (EIO, EACCES: the host not yet
    knowing the mount's end as its caller does) is retried every ms for up to 2 s.  Whether
    it was refused at first."""
    for tries in range(2001):
        try:
            os.write(fd, f"dismount {medium}\n".encode())
            return tries > 0
        except OSError as e:
            if e.errno not in (errno.EIO, errno.EACCES) or tries == 2000:
                raise
            time.sleep(0.001)


def seen(mnt_a, mnt_b, medium, count):
    os.makedirs(f"{mnt_b}/sessions/lat-b", exist_ok=True)
    state_a = f"{mnt_a}/media/{medium}/state"
    fd = os.open(f"{mnt_b}/sessions/lat-b/ctl", os.O_WRONLY)
    delays = []
    for _ in range(count):
        os.write(fd, f"mount {medium} timeout=10\n".encode())
        t0 = time.monotonic()
        if wait_state(state_a, "mounted", 2):
            delays.append((time.monotonic() - t0) * 1000)
        os.write(fd, f"dismount {medium}\n".encode())
        wait_state(state_a, "idle", 2)
    os.close(fd)
    report(delays)


def roundtrip(mnt, session, medium, count):
    os.makedirs(f"{mnt}/sessions/{session}", exist_ok=True)
    state = f"{mnt}/media/{medium}/state"
    fd = os.open(f"{mnt}/sessions/{session}/ctl", os.O_WRONLY)
    delays = []
    refused = 0
    for _ in range(count):
        t0 = time.monotonic()
        try:
            os.write(fd, f"mount {medium} timeout=10\n".encode())
        except OSError as e:
            print(f"site_events: mount {medium} on {mnt}: {e}", file=sys.stderr)
            continue
        delays.append((time.monotonic() - t0) * 1000)
        if dismount(fd, medium):
            refused += 1
        if not wait_state(state, "idle", 5):
            print(f"site_events: {medium} not idle on {mnt} 5 s after its dismount",
                  file=sys.stderr)
    os.close(fd)
    report(delays, f" {refused}")


if sys.argv[1] == "--roundtrip":
    roundtrip(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
else:
    seen(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
