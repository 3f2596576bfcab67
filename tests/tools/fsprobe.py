#!/usr/bin/env python3
"""fsprobe - file operations that the shell cannot express, for the bats suites.

  fsprobe.py write-eintr FILE TEXT SECONDS   write TEXT, interrupted by SIGALRM after SECONDS;
                                             prints OK or the errno name, and the seconds taken
  fsprobe.py read-nonblock FILE              one O_NONBLOCK read: prints DATA or the errno name
  fsprobe.py poll FILE SECONDS               poll for POLLIN: prints READY or TIMEOUT
  fsprobe.py pread0 FILE                     read, then pread at 0 on the same descriptor
  fsprobe.py write FILE TEXT                 one write(2) of TEXT (escapes allowed); prints OK or
                                             the errno name
  fsprobe.py read-eintr FILE SECONDS CTL CMD a read interrupted by SIGALRM (prints its errno),
                                             then CMD written to CTL and a second read on the
                                             same descriptor (prints DATA)
  fsprobe.py pollpri FILE SECONDS [UNTIL]    read FILE, then poll it for POLLPRI (sysfs style):
                                             prints CHANGED and the value pread at 0, or TIMEOUT;
                                             with UNTIL, polls again after each pread at 0 until
                                             the value read is UNTIL
  fsprobe.py readers FILE COUNT              opens COUNT descriptors and blocks reading each in a
                                             thread; when all end prints how many readers
                                             ended and the fewest and most lines one got
  fsprobe.py hold FILE COUNT                 opens FILE up to COUNT times and prints how many
                                             opens succeeded and the errno name of the one that
                                             failed (OK if none), then holds them until killed
  fsprobe.py writes FILE COUNT TEXT          up to COUNT times: open, one write of TEXT, close
                                             (as echo does); stops at the first failure and
                                             prints how many succeeded and its errno name (OK)
"""
import errno
import os
import resource
import select
import signal
import sys
import threading
import time


def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


class Alarm(Exception):
    """Raised by the SIGALRM handler: Python retries a system call that failed with EINTR
    when the handler returns normally (PEP 475), so the handler must raise to see EINTR."""


def on_alarm(*args):
    raise Alarm()


def write_eintr(path, text, seconds):
    signal.signal(signal.SIGALRM, on_alarm)
    fd = os.open(path, os.O_WRONLY)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        os.write(fd, text.encode())
        result = "OK"
    except Alarm:
        result = "EINTR"
    except OSError as e:
        result = name(e)
    print(result, "%.2f" % (time.monotonic() - start))


def read_eintr(path, seconds, ctl, cmd):
    signal.signal(signal.SIGALRM, on_alarm)
    fd = os.open(path, os.O_RDONLY)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        os.read(fd, 4096)
        print("DATA")
    except Alarm:
        print("EINTR")
    except OSError as e:
        print(name(e))
    c = os.open(ctl, os.O_WRONLY)
    os.write(c, (cmd + "\n").encode())
    os.close(c)
    print("DATA" if os.read(fd, 4096) else "EOF")


def read_nonblock(path):
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        data = os.read(fd, 4096)
        print("DATA" if data else "EOF")
    except OSError as e:
        print(name(e))


def poll(path, seconds):
    fd = os.open(path, os.O_RDONLY)
    p = select.poll()
    p.register(fd, select.POLLIN)
    ev = p.poll(float(seconds) * 1000)
    print("READY" if ev and ev[0][1] & select.POLLIN else "TIMEOUT")


def pread0(path):
    fd = os.open(path, os.O_RDONLY)
    first = os.read(fd, 4096)
    again = os.pread(fd, 4096, 0)
    print(first.decode(), end="")
    print(again.decode(), end="")


def write(path, text):
    data = text.encode().decode("unicode_escape").encode("latin-1")
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        print(name(e))  # refused at open: the mode says no
        return
    try:
        os.write(fd, data)
        print("OK")
    except OSError as e:
        print(name(e))


def pollpri(path, seconds, until=None):
    fd = os.open(path, os.O_RDONLY)
    os.read(fd, 4096)
    p = select.poll()
    p.register(fd, select.POLLPRI | select.POLLERR)
    print("ARMED", flush=True)
    deadline = time.monotonic() + float(seconds)
    while True:
        left = deadline - time.monotonic()
        ev = p.poll(max(left, 0) * 1000)
        if not (ev and ev[0][1] & (select.POLLPRI | select.POLLERR)):
            print("TIMEOUT")
            return
        # the pread at 0 is also what re-arms the file for the next change
        value = os.pread(fd, 4096, 0).decode().strip()
        print("CHANGED", value, flush=True)
        if until is None or value == until:
            return


def readers(path, count):
    fds = [os.open(path, os.O_RDONLY) for _ in range(int(count))]
    lines = []

    def reader(fd):
        data = b""
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
        lines.append(data.count(b"\n"))

    threads = [threading.Thread(target=reader, args=(fd,)) for fd in fds]
    for t in threads:
        t.start()
    print("started", flush=True)
    for t in threads:
        t.join()
    print(len(lines), min(lines), max(lines))


def hold(path, count):
    # the descriptors a user may hold are bounded by RLIMIT_NOFILE, not by 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fds, failure = [], "OK"
    for _ in range(int(count)):
        try:
            fds.append(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        except OSError as e:
            failure = name(e)
            break
    print(len(fds), failure, flush=True)
    while True:
        signal.pause()


def writes(path, count, text):
    data = text.encode().decode("unicode_escape").encode("latin-1")
    done, failure = 0, "OK"
    for _ in range(int(count)):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        except OSError as e:
            failure = name(e)
            break
        done += 1
    print(done, failure)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"write-eintr": write_eintr, "read-eintr": read_eintr, "read-nonblock": read_nonblock, "poll": poll,
     "pread0": pread0, "write": write, "readers": readers, "pollpri": pollpri, "hold": hold,
     "writes": writes}[cmd](*args)
