#!/usr/bin/env python3
"""notify_listen.py - a stand-in for systemd's end of the notify protocol (sd_notify(3)).

    notify_listen.py SOCKET LOG [--tree DIR] [--seconds N]

Binds a Unix datagram socket at SOCKET (the path a test puts in NOTIFY_SOCKET) and appends
every message to LOG, one line per assignment:

    <ms since start> <sender pid> READY=1

The sender's pid comes from the kernel (SCM_CREDENTIALS), as systemd takes it for
NotifyAccess=main.  With --tree, the moment a message holds READY=1 the tree at DIR is read
(the root lists libraries/, and every library's state file reads) and a line
"<ms> <pid> TREE=ok" or "TREE=<what failed>" follows: a READY=1 sent before the tree answers
shows up as a failure.  Ends after --seconds (default 120) or on SIGTERM.
"""
import os
import signal
import socket
import struct
import sys
import time


def check_tree(top):
    """Reads the tree as a client would; 'ok' or what failed."""
    try:
        names = os.listdir(top)
        if "libraries" not in names:
            return "no libraries/ in %s (%s)" % (top, " ".join(sorted(names)) or "empty")
        libs = os.listdir(os.path.join(top, "libraries"))
        if not libs:
            return "libraries/ is empty"
        for lib in libs:
            with open(os.path.join(top, "libraries", lib, "state")) as f:
                if not f.read().strip():
                    return "libraries/%s/state is empty" % lib
        return "ok"
    except OSError as e:
        return "%s: %s" % (type(e).__name__, e)


def main():
    args = sys.argv[1:]
    tree = None
    seconds = 120.0
    if "--tree" in args:
        i = args.index("--tree")
        tree = args[i + 1]
        del args[i:i + 2]
    if "--seconds" in args:
        i = args.index("--seconds")
        seconds = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    path, log_path = args
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    sock.bind(tmp)
    os.rename(tmp, path)  # the socket appears at SOCKET only once it is bound
    start = time.monotonic()
    creds_size = struct.calcsize("iII")
    with open(log_path, "a", buffering=1) as log:
        while True:
            left = seconds - (time.monotonic() - start)
            if left <= 0:
                return 0
            sock.settimeout(left)
            try:
                data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(creds_size))
            except socket.timeout:
                return 0
            pid = 0
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", payload[:creds_size])[0]
            ms = int((time.monotonic() - start) * 1000)
            lines = [l for l in data.decode("utf-8", "replace").split("\n") if l]
            for line in lines:
                log.write("%d %d %s\n" % (ms, pid, line))
            if tree is not None and "READY=1" in lines:
                log.write("%d %d TREE=%s\n" % (ms, pid, check_tree(tree)))


if __name__ == "__main__":
    sys.exit(main())
