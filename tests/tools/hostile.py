#!/usr/bin/env python3
"""hostile - hostile writes against every writable file of an rsmfs mount, for hostile.bats.

  hostile.py matrix MNT REQ OPREQ   every writable file x every hostile write, each checked
                                    against the errno rsmfs(5) documents; prints one line per
                                    mismatch and "N cases, M mismatches"; exit 1 on a mismatch
  hostile.py storm MNT REQ OPREQ PROCS
                                    the same writes from PROCS processes at once (each in its
                                    own order); prints "N writes, M mismatches"
  hostile.py names MNT              mkdir of hostile session and pool names; same output
  hostile.py permissions MNT REQ OPREQ
                                    as an unprivileged user: every control file and object of
                                    another user refused (EACCES; EPERM for chmod and chown)
  hostile.py unsupported MNT        create, unlink, rename, link, symlink, mknod, setxattr,
                                    truncate, chmod and chown where the tree has none of them

REQ is a finished request number and OPREQ a finished operator request number (their ctl
files stay while they are kept).  Nothing in the matrix may succeed except what is listed as
succeeding (empty writes), so the tree and the catalog must be unchanged afterwards; the
caller compares dumps.
"""
import errno
import os
import random
import sys

OK = 0
EINVAL, E2BIG, ENOENT, ENODEV = errno.EINVAL, errno.E2BIG, errno.ENOENT, errno.ENODEV

LONG = b"x" * 300
META = b"$(touch /tmp/pwned); `id` | rm -rf / & echo > /etc/passwd"

# What every control file answers, whatever its commands.
CTL_COMMON = [
    (b"", OK),                       # nothing written: nothing done
    (b"  \t \n", EINVAL),            # only blanks: no command
    (b"\n\n\n", EINVAL),
    (b"x\x00y\n", EINVAL),           # NUL byte
    (b"\x00" * 64, EINVAL),
    (b"\xff\xfe\n", EINVAL),         # not UTF-8
    (b"mount \xc0\xaf\n", EINVAL),   # overlong encoding of '/'
    (b"cancel \xed\xa0\x80\n", EINVAL),  # a UTF-16 surrogate
    (b"inventory\x1b[2J\n", EINVAL),  # a control character
    (b"a" * 4096 + b"\n", E2BIG),    # 4097 bytes
    (b"a" * (1 << 20), E2BIG),       # 1 MiB
    (b"frobnicate\n", EINVAL),       # unknown verb
    (META + b"\n", EINVAL),
    (LONG + b"\n", EINVAL),
    (b" ".join([b"w"] * 17) + b"\n", EINVAL),  # more words than any command takes
    (b"-1\n", EINVAL),
    (b"99999999999999999999999\n", EINVAL),
]

SESSION = [
    (b"mount T00001L6 timeout=-1\n", EINVAL),
    (b"mount T00001L6 timeout=99999999999999999\n", EINVAL),
    (b"mount T00001L6 timeout=1e3\n", EINVAL),
    (b"mount T00001L6 timeout=nan\n", EINVAL),
    (b"mount T00001L6 priority=-16\n", EINVAL),
    (b"mount T00001L6 priority=99999999999999999999999\n", EINVAL),
    (b"mount T00001L6 frobnicate\n", EINVAL),
    (b"mount T00001L6 read read\n", EINVAL),
    (b"mount T00001L6 timeout=1 timeout=2\n", EINVAL),
    (b"mount T00001L6/-1\n", EINVAL),
    (b"mount T00001L6/99999999999999999999\n", EINVAL),
    (b"mount ../../etc/passwd\n", EINVAL),
    (b"mount ..\n", ENOENT),
    (b"mount " + LONG + b"\n", ENOENT),
    (b"mount " + META + b"\n", EINVAL),  # its words after the medium are unknown options
    (b"mount $(id);`id`|&>x\n", ENOENT),
    (b"mount T00001L6 drive=../d0\n", ENODEV),
    (b"mount T00001L6 drive=" + LONG + b"\n", ENODEV),
    (b"mount T00001L6 drive=\n", ENODEV),
    (b"mount\n", EINVAL),
    (b"dismount T00001L6 deferred deferred\n", EINVAL),
    (b"dismount T00001L6 deferred immediate\n", EINVAL),
    (b"dismount T00001L6 -1\n", EINVAL),
    (b"allocate free timeout=-1\n", EINVAL),
    (b"allocate free new new\n", EINVAL),
    (b"allocate ../free\n", ENOENT),
    (b"allocate " + LONG + b"\n", ENOENT),
    (b"deallocate T00001L6/-1\n", EINVAL),
    (b"deallocate T00001L6/99999999999999999999\n", EINVAL),
    (b"deallocate T00001L6\n", EINVAL),
    (b"message\n", EINVAL),
    (b"message \xff\n", EINVAL),
]

REQUEST = [(b"cancel -1\n", EINVAL), (b"cancel now\n", EINVAL), (b"cancel cancel\n", EINVAL)]
OPREQ = [(b"satisfy -1\n", EINVAL), (b"cancel 99999999999999999999\n", EINVAL),
         (b"satisfy satisfy\n", EINVAL)]
DRIVE = [(b"clean -1\n", EINVAL), (b"enable 99999999999\n", EINVAL),
         (b"disable disable\n", EINVAL)]
MEDIUM = [
    (b"pool\n", EINVAL), (b"pool a b\n", EINVAL), (b"pool ../free\n", ENOENT),
    (b"pool " + LONG + b"\n", ENOENT), (b"pool " + META + b"\n", EINVAL),
    (b"eject port=-1\n", EINVAL), (b"eject port=99999999999\n", EINVAL),
    (b"eject port=0 port=0\n", EINVAL), (b"enable x\n", EINVAL),
]
LIBRARY = [
    (b"inventory -1\n", EINVAL), (b"inventory full full\n", EINVAL),
    (b"inject port=-1\n", EINVAL), (b"inject port=4097\n", EINVAL),
    (b"inject port=0 port=0\n", EINVAL), (b"inject port=x\n", EINVAL),
    (b"eject ../T00001L6\n", ENOENT), (b"eject " + LONG + b"\n", ENOENT),
    (b"eject T00001L6 port=99999999999999999999\n", EINVAL), (b"enable now\n", EINVAL),
]
SIM = [
    (b"timing move=-1\n", EINVAL), (b"timing move=1e9\n", EINVAL),
    (b"timing move=99999999999999999999\n", EINVAL), (b"timing move=1 move=2\n", EINVAL),
    (b"timing speed=1\n", EINVAL), (b"timing\n", EINVAL), (b"fail\n", EINVAL),
    (b"fail ../d0\n", ENODEV), (b"fail " + LONG + b"\n", ENODEV), (b"fail d0 d1\n", EINVAL),
    (b"insert " + LONG + b"\n", EINVAL), (b"insert A port=-1\n", EINVAL),
    (b"remove port=99999999999999\n", EINVAL), (b"jam now\n", EINVAL),
    (b"close-door now\n", EINVAL),
]

ATTR_COMMON = [
    (b"", OK), (b"  \t \n", EINVAL), (b"x\x00\n", EINVAL), (b"\xff\n", EINVAL),
    (b"a" * 4096 + b"\n", E2BIG), (b"a" * (1 << 20), E2BIG), (b"-1\n", EINVAL),
    (b"99999999999999999999999\n", EINVAL), (META + b"\n", EINVAL), (LONG + b"\n", EINVAL),
]
DOOR = [(b"opened\n", EINVAL), (b"open open\n", EINVAL), (b"open\x00\n", EINVAL)]
POLICY = [(b"2\n", EINVAL), (b"1 1\n", EINVAL), (b"yes please\n", EINVAL), (b"0x1\n", EINVAL)]


# error_log: any write empties it, whatever it holds (rsmfs(5)); first in the table, so the
# refusals of the other files fill it again
ERROR_LOG = [(d, OK) for d, _ in CTL_COMMON]


def table(mnt, req, opreq):
    """(path, [(bytes, errno)]) for every writable file of the tree."""
    return [
        ("error_log", ERROR_LOG),
        ("sessions/s1/ctl", CTL_COMMON + SESSION),
        ("requests/%s/ctl" % req, CTL_COMMON + REQUEST),
        ("opreqs/%s/ctl" % opreq, CTL_COMMON + OPREQ),
        ("drives/d0/ctl", CTL_COMMON + DRIVE),
        ("media/T00001L6/ctl", CTL_COMMON + MEDIUM),
        ("libraries/vtl0/ctl", CTL_COMMON + LIBRARY),
        ("libraries/vtl0/sim/ctl", CTL_COMMON + SIM),
        ("libraries/vtl0/door", ATTR_COMMON + DOOR),
        ("pools/free/draw", ATTR_COMMON + POLICY),
        ("pools/free/return", ATTR_COMMON + POLICY),
        ("pools/scratch/draw", ATTR_COMMON + POLICY),
    ]


def attempt(path, data):
    """One open + write(2) as a shell redirection does it; 0 or the errno."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    except OSError as e:
        return e.errno
    try:
        os.write(fd, data)
        return 0
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


def show(data):
    text = repr(data[:48])
    return text + ("...(%d bytes)" % len(data) if len(data) > 48 else "")


def matrix(mnt, req, opreq):
    cases = bad = 0
    for rel, rows in table(mnt, req, opreq):
        for data, want in rows:
            got = attempt(os.path.join(mnt, rel), data)
            cases += 1
            if got != want:
                bad += 1
                print("%s %s: got %s, want %s" % (rel, show(data), errno.errorcode.get(got, got),
                                                   errno.errorcode.get(want, want)))
    print("%d cases, %d mismatches" % (cases, bad))
    return 1 if bad else 0


def own_session_rounds(mnt, name, rounds):
    """In a session of one's own: unknown options that name the writer and the round, each
    answered EINVAL with a reply line naming exactly that option (another writer's words in
    it would mean two writes shared the daemon's buffers).  The number of wrong answers."""
    os.mkdir(os.path.join(mnt, "sessions", name))
    ctl = os.path.join(mnt, "sessions", name, "ctl")
    bad = 0
    fd = os.open(ctl, os.O_RDWR)
    try:
        for n in range(rounds):
            token = "bogus-%s-%d" % (name, n)
            try:
                os.write(fd, ("mount T00001L6 %s\n" % token).encode())
                bad += 1
                continue
            except OSError as e:
                if e.errno != EINVAL:
                    bad += 1
                    continue
            reply = os.read(fd, 512).decode()
            if "'%s'" % token not in reply:
                bad += 1
    finally:
        os.close(fd)
    os.rmdir(os.path.join(mnt, "sessions", name))
    return bad


def storm(mnt, req, opreq, procs):
    work = [(os.path.join(mnt, rel), d, w) for rel, rows in table(mnt, req, opreq)
            for d, w in rows if len(d) < 8192]
    r, wfd = os.pipe()
    pids = []
    for i in range(procs):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            rnd = random.Random(i)
            order = work[:]
            rnd.shuffle(order)
            bad = 0
            for path, data, want in order:
                if attempt(path, data) != want:
                    bad += 1
            bad += own_session_rounds(mnt, "storm%d" % i, 200)
            os.write(wfd, b"%d %d\n" % (len(order) + 200, bad))
            os._exit(0)
        pids.append(pid)
    os.close(wfd)
    for pid in pids:
        os.waitpid(pid, 0)
    total = bad = 0
    with os.fdopen(r) as f:
        for line in f:
            n, b = line.split()
            total += int(n)
            bad += int(b)
    print("%d writes, %d mismatches" % (total, bad))
    return 1 if bad or total == 0 else 0


def check_rows(rows):
    """Runs each (what, op, errno wanted) row: an op succeeds (an int it returns is a
    descriptor to close) or raises OSError.  Prints one line per mismatch and the count;
    the exit status."""
    bad = 0
    for what, op, want in rows:
        try:
            r = op()
            if isinstance(r, int):
                os.close(r)
            got = 0
        except OSError as e:
            got = e.errno
        if got != want:
            bad += 1
            print("%s: got %s, want %s" % (what, errno.errorcode.get(got, got),
                                           errno.errorcode.get(want, want)))
    print("%d cases, %d mismatches" % (len(rows), bad))
    return 1 if bad else 0


def names(mnt):
    rows = [
        (b"a b", EINVAL), (b"$(id);`id`|&>x", EINVAL), (b"..x", EINVAL), (b".hidden", EINVAL),
        (b"\xff\xfe", EINVAL), (b"tab\there", EINVAL), (b"x" * 65, errno.ENAMETOOLONG),
        (b"x" * 255, errno.ENAMETOOLONG), (b"x" * 300, errno.ENAMETOOLONG),
        (b"new\nline", EINVAL), (b"x*", EINVAL), (b"..", errno.EEXIST),
    ]
    return check_rows([("mkdir %s/%s" % (area.decode(), show(name)),
                        (lambda p=os.path.join(mnt.encode(), area, name): os.mkdir(p)), want)
                       for area in (b"sessions", b"pools") for name, want in rows])


def unsupported(mnt):
    """Operations the tree does not support, each with the errno rsmfs(5) gives it."""
    j = lambda *p: os.path.join(mnt, *p)
    EPERM, EACCES = errno.EPERM, errno.EACCES
    rows = [
        ("create a file in the root", lambda: os.open(j("newfile"), os.O_CREAT | os.O_WRONLY), EPERM),
        ("create a file in a session", lambda: os.open(j("sessions/s1/x"), os.O_CREAT | os.O_WRONLY), EPERM),
        ("create a file in a medium", lambda: os.open(j("media/T00001L6/x"), os.O_CREAT | os.O_WRONLY), EPERM),
        ("unlink an attribute file", lambda: os.unlink(j("media/T00001L6/state")), EPERM),
        ("unlink error_log", lambda: os.unlink(j("error_log")), EPERM),
        ("unlink a link", lambda: os.unlink(j("media/T00001L6/pool")), EPERM),
        ("rename a session", lambda: os.rename(j("sessions/s1"), j("sessions/s2")), EPERM),
        ("rename a medium", lambda: os.rename(j("media/T00001L6"), j("media/X")), EPERM),
        ("rename a pool", lambda: os.rename(j("pools/scratch"), j("pools/other")), EPERM),
        ("rename a file", lambda: os.rename(j("version"), j("sessions/s1/v")), EPERM),
        ("hard link", lambda: os.link(j("version"), j("version2")), EPERM),
        ("symlink", lambda: os.symlink("version", j("vlink")), EPERM),
        ("mkfifo", lambda: os.mkfifo(j("fifo")), EPERM),
        ("mknod", lambda: os.mknod(j("node")), EPERM),
        ("mkdir outside sessions and pools", lambda: os.mkdir(j("drives/x")), EPERM),
        ("mkdir in a medium", lambda: os.mkdir(j("media/T00001L6/x")), EPERM),
        ("rmdir a drive", lambda: os.rmdir(j("drives/d0")), EPERM),
        ("rmdir a medium", lambda: os.rmdir(j("media/T00001L6")), EPERM),
        ("setxattr on a file", lambda: os.setxattr(j("version"), "user.x", b"1"), EPERM),
        ("setxattr on a directory", lambda: os.setxattr(j("sessions/s1"), "user.x", b"1"), EPERM),
        ("truncate an attribute file", lambda: os.truncate(j("media/T00001L6/state"), 0), EPERM),
        ("truncate a link's target file", lambda: os.truncate(j("drives/d0/state"), 0), EPERM),
        ("open an attribute file for writing", lambda: os.open(j("media/T00001L6/state"), os.O_WRONLY), EACCES),
        ("open a channel for writing", lambda: os.open(j("sessions/s1/notify/all"), os.O_WRONLY), EACCES),
        ("chmod a drive", lambda: os.chmod(j("drives/d0"), 0o777), EPERM),
        ("chmod an attribute file", lambda: os.chmod(j("drives/d0/state"), 0o666), EPERM),
        ("chmod a ctl file", lambda: os.chmod(j("sessions/s1/ctl"), 0o666), EPERM),
        ("chown an attribute file", lambda: os.chown(j("drives/d0/state"), 1000, -1), EPERM),
        ("chown a session", lambda: os.chown(j("sessions/s1"), 1000, -1), EPERM),
        ("chown the root", lambda: os.chown(mnt, 1000, -1), EPERM),
    ]
    return check_rows(rows)


def permissions(mnt, req, opreq):
    """Run as an unprivileged user who owns nothing here: every control file and every object
    of another user (root's, and user 4242's session "alice" and pool "alicepool"), each with
    a command that is valid, so that only the permission check can stop it."""
    j = lambda *p: os.path.join(mnt, *p)
    EACCES = errno.EACCES
    writes = [
        ("sessions/alice/ctl", b"mount T00001L6\n"),
        ("sessions/alice/ctl", b"message hi\n"),
        ("sessions/root/ctl", b"dismount T00002L6\n"),
        ("requests/%s/ctl" % req, b"cancel\n"),
        ("opreqs/%s/ctl" % opreq, b"satisfy\n"),
        ("drives/d0/ctl", b"disable\n"),
        ("media/T00001L6/ctl", b"disable\n"),
        ("media/T00001L6/ctl", b"pool alicepool\n"),
        ("libraries/vtl0/ctl", b"inventory\n"),
        ("libraries/vtl0/sim/ctl", b"jam\n"),
        ("libraries/vtl0/door", b"open\n"),
        ("pools/free/draw", b"0\n"),
        ("pools/free/return", b"0\n"),
        ("pools/alicepool/draw", b"0\n"),
        ("pools/alicepool/return", b"0\n"),
        ("error_log", b"\n"),
    ]
    rows = [("write %s %r" % (f, d), (lambda f=f, d=d: attempt_raise(j(f), d)), EACCES)
            for f, d in writes]
    rows += [
        ("read alice's channel", lambda: os.open(j("sessions/alice/notify/all"), os.O_RDONLY),
         EACCES),
        ("read root's channel", lambda: os.open(j("sessions/root/notify/drive"), os.O_RDONLY),
         EACCES),
        ("rmdir alice's session", lambda: os.rmdir(j("sessions/alice")), EACCES),
        ("rmdir root's session", lambda: os.rmdir(j("sessions/root")), EACCES),
        ("rmdir alice's pool", lambda: os.rmdir(j("pools/alicepool")), EACCES),
        ("rmdir a system pool", lambda: os.rmdir(j("pools/free")), EACCES),
        # the kernel's own rule for a file one does not own (default_permissions): EPERM
        ("chmod alice's pool", lambda: os.chmod(j("pools/alicepool"), 0o777), errno.EPERM),
        ("chown alice's pool", lambda: os.chown(j("pools/alicepool"), os.getuid(), -1),
         errno.EPERM),
    ]
    return check_rows(rows)


def attempt_raise(path, data):
    """attempt() that raises the errno, for the permission rows."""
    e = attempt(path, data)
    if e:
        raise OSError(e, os.strerror(e))


def main(argv):
    if argv[1] == "permissions":
        return permissions(argv[2], argv[3], argv[4])
    if argv[1] == "unsupported":
        return unsupported(argv[2])
    if argv[1] == "matrix":
        return matrix(argv[2], argv[3], argv[4])
    if argv[1] == "storm":
        return storm(argv[2], argv[3], argv[4], int(argv[5]))
    if argv[1] == "names":
        return names(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
