#!/usr/bin/env python3
"""site_events - how soon a change on one host of a site is seen on another (bench/site).

  site_events.py MNT_A MNT_B MEDIUM COUNT

Mounts and dismounts MEDIUM (of a library host b manages) COUNT times on b: for each mount,
the time from the mount's return on b (the medium mounted there) until host a's
media/MEDIUM/state reads "mounted", polled every 0.5 ms.  Prints the median and the 99th
percentile in ms, and how many were measured.
"""
import os
import sys
import time


def read(path):
    with open(path) as f:
        return f.read().strip()


def main():
    mnt_a, mnt_b, medium, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    os.makedirs(f"{mnt_b}/sessions/lat-b", exist_ok=True)
    state_a = f"{mnt_a}/media/{medium}/state"
    fd = os.open(f"{mnt_b}/sessions/lat-b/ctl", os.O_WRONLY)
    delays = []
    for _ in range(count):
        os.write(fd, f"mount {medium} timeout=10\n".encode())
        t0 = time.monotonic()
        while read(state_a) != "mounted" and time.monotonic() - t0 < 2:
            time.sleep(0.0005)
        if read(state_a) == "mounted":
            delays.append((time.monotonic() - t0) * 1000)
        os.write(fd, f"dismount {medium}\n".encode())
        t0 = time.monotonic()
        while read(state_a) != "idle" and time.monotonic() - t0 < 2:
            time.sleep(0.001)
    os.close(fd)
    if not delays:
        print("- - 0")
        return
    delays.sort()
    median = delays[len(delays) // 2]
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"{median:.1f} {p99:.1f} {len(delays)}")


main()
