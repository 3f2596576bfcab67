#!/usr/bin/env python3
"""syslog_sink - the other end of /dev/log for the bats suites: what syslog(3) sends, one line
each, so a test reads the daemon's syslog lines without a syslog daemon.

  syslog_sink.py SOCKET OUTPUT   binds a Unix datagram socket at SOCKET, then appends each
                                 datagram to OUTPUT as one line ("<priority>timestamp
                                 ident[pid]: message", as syslog(3) wrote it) until SIGTERM;
                                 OUTPUT exists (empty) once SOCKET is bound
"""
import os
import signal
import socket
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, output = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.path.exists(path):
        os.unlink(path)
    sock.bind(path)
    os.chmod(path, 0o666)  # syslog(3) of any user reaches it, as with /dev/log
    with open(output, "a", buffering=1, encoding="utf-8", errors="replace") as out:
        while True:
            data = sock.recv(65536)
            # one datagram, one line: syslog(3) sends no newline, a stray one is not a new line
            out.write(data.decode("utf-8", "replace").rstrip("\n").replace("\n", " ") + "\n")


if __name__ == "__main__":
    main()
