#!/usr/bin/env python3
"""crashload - kill rsmfs with SIGKILL in the middle of real work and check what it recovers.

  crashload.py loop RSMFS CONF MNT DATADIR SEED KILLS MODE
      KILLS times: start the daemon on the same catalog, run a workload through the mount,
      SIGKILL the daemon, clean the mount up (fusermount3 -uz), check the catalog file with
      PRAGMA integrity_check, restart, and check the invariants through the mount.
      MODE "random": the workload mixes mounts, deferred and immediate dismounts, cancels,
      ejects, removals, inserts and injects, and the kill comes after a delay drawn from SEED.
      MODE "commit": the workload is a burst of catalog changes (pool moves, enable/disable,
      pools made and removed, mounts) and the kill comes while a daemon thread is inside a
      write or sync system call of the catalog (read from /proc/<pid>/task/*/syscall).
      MODE "record": the mixed workload, killed while a thread writes the sim changer's
      physical record (in place, or renamed into place when it is over a page), i.e. after the changer moved and before the catalog
      committed it: the restart must reconcile the catalog with the changer.
      Prints the seed first, one line per kill, and "N kills, M violations".
  crashload.py power RSMFS CONF MNT DATADIR SEED KILLS LOSSY SYNCHRONOUS
      KILLS power cuts: the catalog (LOSSY/rsm.db) lives on tests/tools/lossyfs mounted at
      LOSSY, which keeps what was not synced in memory.  Each round the mixed workload runs
      with journaled changes beside it (pools made, re-moded and removed; operator messages),
      then the daemon is killed with SIGKILL (after a delay, or inside a catalog write or sync,
      by turns) and lossyfs throws away everything not synced: what a power cut leaves.  The
      restart is checked for the invariants above and for what was acknowledged: with
      SYNCHRONOUS "full" every acknowledged change is there; with "normal" every change
      acknowledged before the catalog's log was last synced (lossyfs reports when).
  crashload.py check MNT DATADIR
      The invariants once, on a running mount (requests may be under way).

The invariants: every medium is in exactly one place, and the slots, ports, drives and media
files agree on it; the catalog agrees with the sim's physical record (DATADIR/sim/*.state);
no request is queued, waiting or in process after a restart (their sessions are gone); every
medium is listed in exactly the pool its pool link names; the catalog passes integrity_check.
"""
import errno
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time

MEDIA = ["T%05dL6" % i for i in range(1, 13)]
FINAL = {"passed", "failed", "cancelled"}
# x86-64 system calls a catalog transaction spends its time in: its locks (fcntl on the
# database and its -shm), the log's writes, the syncs of a checkpoint.  Commits are batched
# and small, so a write alone is too brief to be caught from outside.
COMMIT_SYSCALLS = {1: "write", 18: "pwrite64", 72: "fcntl", 74: "fsync", 75: "fdatasync"}
# the sim changer's record of where cartridges are is written just before the catalog commits
# the same move: in place with pwrite64 (a record of one page), or renamed into place with
# rename(2) (x86-64: 82, renameat 264, renameat2 316)
RECORD_SYSCALLS = {18: "pwrite64", 82: "rename", 264: "renameat", 316: "renameat2"}


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


class Interrupted(Exception):
    """Raised by the SIGALRM handler: Python retries a system call that failed with EINTR
    when the handler returns normally (PEP 475), so the handler must raise to see EINTR."""


def on_alarm(*args):
    raise Interrupted()


def write(path, text, reply=False, interrupt_after=None):
    """One write(2) of text; "ok" (with reply, the reply line read back on the same
    descriptor), "error <ERRNO>", or with interrupt_after (seconds; the caller installs
    on_alarm for SIGALRM) "EINTR" when a signal interrupted the write."""
    try:
        fd = os.open(path, os.O_RDWR if reply else os.O_WRONLY)
    except OSError as e:
        return "error %s" % errno.errorcode.get(e.errno, e.errno)
    try:
        if interrupt_after:
            signal.setitimer(signal.ITIMER_REAL, interrupt_after)
        os.write(fd, text.encode())
        signal.setitimer(signal.ITIMER_REAL, 0)
        return os.read(fd, 256).decode() if reply else "ok"
    except Interrupted:
        return "EINTR"
    except OSError as e:
        return "error %s" % errno.errorcode.get(e.errno, e.errno)
    finally:
        if interrupt_after:
            signal.setitimer(signal.ITIMER_REAL, 0)
        os.close(fd)


# ---- workloads (each runs in a child process until it is killed) ----

def session_ctl(mnt, name):
    """Opens session name (it may be left from before a kill) and returns its ctl path."""
    try:
        os.mkdir(os.path.join(mnt, "sessions", name))
    except OSError:
        pass
    return os.path.join(mnt, "sessions", name, "ctl")


def mixed_step(mnt, ctl, lib, rnd):
    """One step of a backup application and the operator's hands."""
    m = rnd.choice(MEDIA)
    op = rnd.random()
    if op < 0.45:
        if write(ctl, "mount %s timeout=2\n" % m).startswith("ok"):
            how = rnd.choice(["deferred", "immediate", ""])
            write(ctl, ("dismount %s %s" % (m, how)).strip() + "\n")
    elif op < 0.65:
        r = write(ctl, "mount %s nowait\n" % m, reply=True)
        if r.startswith("ok request "):
            n = r.split()[2]
            write(os.path.join(mnt, "requests", n, "ctl"), "cancel\n")
    elif op < 0.75:
        write(os.path.join(lib, "ctl"), "eject %s\n" % m)
    elif op < 0.85:
        if write(os.path.join(lib, "sim/ctl"), "remove\n") == "ok":
            write(os.path.join(lib, "sim/ctl"), "insert %s\n" % m)
    else:
        write(os.path.join(lib, "ctl"), "inject\n")


def mixed_worker(mnt, name, rnd):
    """A backup application's session: mounts, dismounts, cancels, and the operator's hands."""
    ctl = session_ctl(mnt, name)
    lib = os.path.join(mnt, "libraries/vtl0")
    while True:
        mixed_step(mnt, ctl, lib, rnd)


def commit_worker(mnt, name, rnd):
    """A burst of catalog changes: every write is a commit."""
    ctl = session_ctl(mnt, name)
    while True:
        m = rnd.choice(MEDIA)
        op = rnd.random()
        mctl = os.path.join(mnt, "media", m, "ctl")
        if op < 0.35:
            write(mctl, "pool %s\n" % rnd.choice(["free", "burst"]))
        elif op < 0.6:
            write(mctl, "disable\n")
            write(mctl, "enable\n")
        elif op < 0.8:
            p = os.path.join(mnt, "pools", "p%d" % rnd.randrange(4))
            try:
                os.mkdir(p, 0o755)
                os.rmdir(p)
            except OSError:
                pass
        else:
            if write(ctl, "mount %s timeout=1\n" % m).startswith("ok"):
                write(ctl, "dismount %s\n" % m)


# ---- the journaled workload of a power cut ----

POOL_MODES = [0o755, 0o750, 0o700]  # not narrowed by the usual umask
# errnos that say the daemon went away with the change: it may or may not have been made
UNKNOWN = {errno.ENOTCONN, errno.ECONNABORTED}


class Journal:
    """What a worker was told, in a file outside the lossy filesystem: "<ns> start <key>
    <value>", then "<ns> ack <key> [<number>]" or "<ns> fail <key> <errno>" (ns: the
    CLOCK_MONOTONIC time lossyfs also stamps its syncs with)."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def note(self, *words):
        os.write(self.fd, (" ".join([str(time.monotonic_ns())] + [str(w) for w in words]) +
                           "\n").encode())


def journaled(journal, key, value, action):
    """Runs action() (None or an errno) between its start and its outcome in the journal."""
    journal.note("start", key, value)
    err = action()
    if err is None:
        journal.note("ack", key)
    else:
        journal.note("fail", key, err)
    return err


def pool_action(fn, *args):
    def run():
        try:
            fn(*args)
        except OSError as e:
            return e.errno
        return None
    return run


def message_action(journal, ctl, key, text):
    """A message to the operator; its number goes to the journal with the ack."""
    journal.note("start", key, "present")
    r = write(ctl, "message %s\n" % text, reply=True)
    if r.startswith("ok opreq "):
        journal.note("ack", key, r.split()[2])
    else:
        e = r.split()[1] if r.startswith("error ") else "EIO"
        journal.note("fail", key, getattr(errno, e, errno.EIO))


def power_worker(mnt, name, rnd, journal_path, tag):
    """The mixed workload, with changes whose acknowledgement the journal keeps."""
    ctl = session_ctl(mnt, name)
    lib = os.path.join(mnt, "libraries/vtl0")
    journal = Journal(journal_path)
    for k in range(1000000):
        op = rnd.random()
        if op < 0.3:
            mixed_step(mnt, ctl, lib, rnd)
        elif op < 0.65:
            pool = "%s_p%d" % (name, rnd.randrange(4))
            path = os.path.join(mnt, "pools", pool)
            key = "pool:" + pool
            try:
                mode = os.stat(path).st_mode & 0o777
            except OSError:
                mode = None
            if mode is None:
                m = rnd.choice(POOL_MODES)
                journaled(journal, key, oct(m), pool_action(os.mkdir, path, m))
            elif rnd.random() < 0.6:
                m = rnd.choice([x for x in POOL_MODES if x != mode])
                journaled(journal, key, oct(m), pool_action(os.chmod, path, m))
            else:
                journaled(journal, key, "absent", pool_action(os.rmdir, path))
        else:
            text = "%s %s n%d" % (tag, name, k)
            message_action(journal, ctl, "opreq:" + text.replace(" ", "_"), text)


def start_workers(mnt, mode, seed, count=4, journals=None, tag=""):
    fn = commit_worker if mode == "commit" else mixed_worker
    pids = []
    for i in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                rnd = random.Random(seed * 31 + i)
                if journals:
                    power_worker(mnt, "w%d" % i, rnd, journals[i], tag)
                else:
                    fn(mnt, "w%d" % i, rnd)
            finally:
                os._exit(0)
        pids.append(pid)
    return pids


def stop_workers(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in pids:
        os.waitpid(pid, 0)


# ---- the daemon ----

def start_daemon(rsmfs, conf, mnt, errlog):
    r, w = os.pipe()
    p = subprocess.Popen([rsmfs, "-f", "-c", conf, "--ready-fd", str(w), mnt],
                         pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=errlog)
    os.close(w)
    ready, _, _ = select.select([r], [], [], 15)
    byte = os.read(r, 1) if ready else b""
    os.close(r)
    if byte != b"r":
        p.kill()
        p.wait()
        raise RuntimeError("rsmfs did not become ready (see its stderr)")
    # the FUSE connection's number, while the mount still answers (see reap_killed)
    p.fuse_conn = os.minor(os.stat(mnt).st_dev)
    return p


def reap_killed(daemon, timeout=10.0):
    """Waits for a daemon killed with SIGKILL.  A killed daemon keeps /dev/fuse open until its
    last thread has gone, and a thread in the kernel telling it to drop a directory entry waits
    for that directory's lock, which a worker's mkdir holds while it waits for an answer only
    the dead daemon could give: neither ends.  After timeout the connection is aborted, as an
    operator would (rsmfs(8), SIGNALS), and the kill is reported."""
    try:
        daemon.wait(timeout)
        return False
    except subprocess.TimeoutExpired:
        pass
    conns = "/sys/fs/fuse/connections"
    if not os.path.exists(os.path.join(conns, str(daemon.fuse_conn))):
        subprocess.run(["mount", "-t", "fusectl", "none", conns], stderr=subprocess.DEVNULL)
    with open(os.path.join(conns, str(daemon.fuse_conn), "abort"), "w") as f:
        f.write("1\n")
    daemon.wait()
    return True


def kill_in_commit(pid, timeout=5.0, record=False):
    """SIGKILL as soon as a thread of pid is inside a catalog write or sync (record: inside
    the write of the sim's physical record, before the catalog commit that follows it); the
    syscall name, or "timer" when none was seen in time (killed anyway)."""
    wanted = RECORD_SYSCALLS if record else COMMIT_SYSCALLS
    end = time.monotonic() + timeout
    task_dir = "/proc/%d/task" % pid
    while time.monotonic() < end:
        try:
            tasks = os.listdir(task_dir)
        except OSError:
            break
        for t in tasks:
            try:
                with open("%s/%s/syscall" % (task_dir, t)) as f:
                    fields = f.read().split()
            except OSError:
                continue
            if fields and fields[0].isdigit() and int(fields[0]) in wanted:
                if record and int(fields[0]) != 18:
                    os.kill(pid, signal.SIGKILL)
                    return wanted[int(fields[0])]
                # only writes to the catalog or its WAL count, or to the sim's record (fd in
                # the second field)
                try:
                    target = os.readlink("/proc/%d/fd/%d" % (pid, int(fields[1], 16)))
                except (OSError, IndexError, ValueError):
                    target = ""
                if (target.endswith(".state") if record else "rsm.db" in target):
                    os.kill(pid, signal.SIGKILL)
                    return wanted[int(fields[0])]
    os.kill(pid, signal.SIGKILL)
    return "timer"


# ---- invariants ----

def listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def occupancy(text):
    """{address: medium} of a slots or ports file: "<address> full <medium>", "<address> empty -"
    or, for an empty slot that is the home of a medium that is out, "<address> empty - <medium>"."""
    out = {}
    for line in (text or "").splitlines():
        addr, state, medium, *home = line.split()
        if len(home) > 1 or (home and state != "empty") or (state == "empty" and medium != "-"):
            raise ValueError("bad slot line: %r" % line)
        if state == "full":
            out[int(addr)] = medium
    return out


def physical_records(datadir):
    """{library: {medium: place}} from the sim changers' records (DATADIR/sim/*.state)."""
    out = {}
    for state in listdir(os.path.join(datadir, "sim")):
        if not state.endswith(".state"):
            continue
        physical = out.setdefault(state[:-6], {})
        with open(os.path.join(datadir, "sim", state)) as f:
            for line in f:
                if not line.strip():
                    continue  # the blanks that pad a record written in place
                kind, addr, m = line.split()[:3]
                physical[m] = "drive d%s" % addr if kind == "drive" else "%s %s" % (kind, addr)
    return out


def check(mnt, datadir, after_restart=True, records=None):
    problems = []
    places = {}

    def claim(medium, place):
        places.setdefault(medium, []).append(place)

    for lib in listdir(os.path.join(mnt, "libraries")):
        for a, m in occupancy(read(os.path.join(mnt, "libraries", lib, "slots"))).items():
            claim(m, "slot %d" % a)
        for a, m in occupancy(read(os.path.join(mnt, "libraries", lib, "ports"))).items():
            claim(m, "port %d" % a)
    for d in listdir(os.path.join(mnt, "drives")):
        try:  # a link to ../../media/<m> while the drive holds one
            claim(os.path.basename(os.readlink(os.path.join(mnt, "drives", d, "medium"))),
                  "drive %s" % d)
        except OSError:
            pass
    media = listdir(os.path.join(mnt, "media"))
    for m in media:
        loc = read(os.path.join(mnt, "media", m, "location"))
        claimed = places.get(m, [])
        if loc == "offline":
            if claimed:
                problems.append("%s is offline but claimed by %s" % (m, claimed))
        elif claimed != [loc]:
            problems.append("%s: location %r, claimed by %s" % (m, loc, claimed))
    for m in places:
        if m not in media:
            problems.append("%s is claimed by %s but is not under media/" % (m, places[m]))

    # the sim's own record of where cartridges physically are (taken before the restart when
    # given: the restarted daemon rewrites the record from the catalog as it works)
    for lib, physical in (records or physical_records(datadir)).items():
        for m in media:
            try:  # a link to ../../libraries/<lib>
                if os.path.basename(os.readlink(os.path.join(mnt, "media", m, "library"))) != lib:
                    continue
            except OSError:
                continue
            want = physical.get(m, "offline")
            loc = read(os.path.join(mnt, "media", m, "location"))
            if loc != want:
                problems.append("%s: catalog says %r, the changer has it at %r" % (m, loc, want))

    if after_restart:
        for n in listdir(os.path.join(mnt, "requests")):
            st = read(os.path.join(mnt, "requests", n, "state"))
            if st is not None and st not in FINAL:
                problems.append("request %s is %s after the restart" % (n, st))

    pools = {}
    for p in listdir(os.path.join(mnt, "pools")):
        for m in listdir(os.path.join(mnt, "pools", p, "media")):
            pools.setdefault(m, []).append(p)
    for m in media:
        link = os.readlink(os.path.join(mnt, "media", m, "pool"))
        if pools.get(m, []) != [os.path.basename(link)]:
            problems.append("%s: pool link %s, listed in %s" % (m, link, pools.get(m)))
    return problems


def integrity(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


# ---- the kill loop ----

def loop(rsmfs, conf, mnt, datadir, seed, kills, mode):
    rnd = random.Random(seed)
    print("crash seed %d mode %s kills %d" % (seed, mode, kills), flush=True)
    db = os.path.join(datadir, "rsm.db")
    violations = 0
    with open(os.path.join(datadir, "..", "rsmfs.err"), "ab") as errlog:
        daemon = start_daemon(rsmfs, conf, mnt, errlog)
        if mode == "commit":
            os.makedirs(os.path.join(mnt, "pools", "burst"), exist_ok=True)
        for i in range(kills):
            workers = start_workers(mnt, mode, seed + i)
            if mode == "random":
                delay = rnd.uniform(0.02, 0.6)
                time.sleep(delay)
                daemon.send_signal(signal.SIGKILL)
                how = "after %.3f s" % delay
            else:
                time.sleep(rnd.uniform(0.05, 0.2))
                how = "in %s" % kill_in_commit(daemon.pid, record=mode == "record")
            if reap_killed(daemon):
                how += ", connection aborted"
            stop_workers(workers)
            subprocess.run(["fusermount3", "-uz", mnt], stderr=subprocess.DEVNULL)
            problems = []
            ic = integrity(db)
            if ic != "ok":
                problems.append("integrity_check: %s" % ic)
            physical = physical_records(datadir)  # where the changer left them
            daemon = start_daemon(rsmfs, conf, mnt, errlog)
            problems += check(mnt, datadir, records=physical)
            violations += len(problems)
            nreq = len(listdir(os.path.join(mnt, "requests")))
            print("kill %d %s (%d requests kept): %s" % (i + 1, how, nreq,
                                                         "; ".join(problems) or "ok"), flush=True)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(10)
    print("%d kills, %d violations" % (kills, violations))
    return 1 if violations else 0


# ---- power cuts ----

def last_log_sync(lossy):
    """CLOCK_MONOTONIC ns at the start of the last sync of the catalog's log (0: none)."""
    last = 0
    for line in (read(os.path.join(lossy, ".lossyfs")) or "").splitlines():
        path, _, start = line.split()
        if path.endswith("rsm.db-wal"):
            last = max(last, int(start))
    return last


def journal_ops(paths):
    """{key: [(value, outcome, ack_ns, number)]} in order; outcome "ack", "fail" (nothing
    changed) or "unknown" (no answer, or the daemon went away while answering)."""
    ops = {}
    for path in paths:
        try:
            lines = open(path).read().splitlines()
        except OSError:
            continue
        for line in lines:
            words = line.split()
            if len(words) < 3:
                continue  # a line cut by the worker's SIGKILL
            ns, what, key = int(words[0]), words[1], words[2]
            if what == "start" and len(words) == 4:
                ops.setdefault(key, []).append([words[3], "unknown", None, None])
            elif what == "ack" and key in ops:
                ops[key][-1][1:] = ["ack", ns, words[3] if len(words) > 3 else None]
            elif what == "fail" and key in ops and len(words) == 4:
                if int(words[3]) not in UNKNOWN:
                    ops[key][-1][1] = "fail"
    return ops


def pool_state(mnt, pool):
    try:
        return oct(os.stat(os.path.join(mnt, "pools", pool)).st_mode & 0o777)
    except OSError:
        return "absent"


def acknowledged_lost(mnt, ops, before, synchronous):
    """What the restart lost of what the workers were told was done.  Each key must show the
    value of the last change that must have survived (every acknowledged one with "full",
    those acknowledged before the log's last sync, at ns before, with "normal") or of a change
    made after it that was not refused."""
    problems = []
    for key, seq in sorted(ops.items()):
        must = -1
        for i, (value, outcome, ack_ns, number) in enumerate(seq):
            if outcome == "ack" and (synchronous == "full" or ack_ns < before):
                must = i
        if must < 0:
            continue  # nothing that must have survived: any outcome is right
        if key.startswith("opreq:"):
            number, text = seq[must][3], key[len("opreq:"):].replace("_", " ")
            msg = read(os.path.join(mnt, "opreqs", number, "message"))
            if msg != text:
                problems.append("opreq %s (%s) was acknowledged and is lost: %r" %
                                (number, text, msg))
            continue
        allowed = {seq[i][0] for i in range(must, len(seq)) if i == must or seq[i][1] != "fail"}
        now = pool_state(mnt, key.split(":", 1)[1])
        if now not in allowed:
            problems.append("%s is %s; after what was acknowledged it may only be %s" %
                            (key, now, " or ".join(sorted(allowed))))
    return problems


def power(rsmfs, conf, mnt, datadir, seed, kills, lossy, synchronous):
    rnd = random.Random(seed)
    print("power seed %d synchronous %s cuts %d" % (seed, synchronous, kills), flush=True)
    db = os.path.join(lossy, "rsm.db")
    work = os.path.join(datadir, "..")
    violations = lost_total = 0
    with open(os.path.join(work, "rsmfs.err"), "ab") as errlog:
        daemon = start_daemon(rsmfs, conf, mnt, errlog)
        for i in range(kills):
            journals = [os.path.join(work, "journal.%d.%d" % (i, w)) for w in range(4)]
            workers = start_workers(mnt, "power", seed + i, journals=journals,
                                    tag="r%d" % i)
            # with "normal" every fifth round outlasts the second that a commit may stay off
            # the disk, so that some cuts come after a sync of the log
            long_round = synchronous == "normal" and i % 5 == 4
            time.sleep(rnd.uniform(1.2, 2.0) if long_round else rnd.uniform(0.05, 0.6))
            if i % 2:
                how = "in %s" % kill_in_commit(daemon.pid)
            else:
                daemon.send_signal(signal.SIGKILL)
                how = "on timer"
            if reap_killed(daemon):
                how += ", connection aborted"
            stop_workers(workers)
            before = last_log_sync(lossy)
            with open(os.path.join(lossy, ".lossyfs"), "w") as ctl:
                ctl.write("clear-cache\n")  # the power cut
            subprocess.run(["fusermount3", "-uz", mnt], stderr=subprocess.DEVNULL)
            problems = []
            ic = integrity(db)
            if ic != "ok":
                problems.append("integrity_check: %s" % ic)
            physical = physical_records(datadir)
            daemon = start_daemon(rsmfs, conf, mnt, errlog)
            problems += check(mnt, datadir, records=physical)
            ops = journal_ops(journals)
            lost = acknowledged_lost(mnt, ops, before, synchronous)
            problems += lost
            acked = sum(1 for seq in ops.values() for op in seq if op[1] == "ack")
            synced = sum(1 for seq in ops.values() for op in seq
                         if op[1] == "ack" and op[2] < before)
            # every acknowledged change the cut took back (with "normal" those after the last
            # sync may be gone: counted, not violations)
            gone = len(acknowledged_lost(mnt, ops, float("inf"), "normal"))
            lost_total += gone
            violations += len(problems)
            for j in journals:
                os.unlink(j) if os.path.exists(j) else None
            print("cut %d %s (%d acknowledged, %d before the last sync, %d taken back by the "
                  "cut): %s" % (i + 1, how, acked, synced, gone, "; ".join(problems) or "ok"),
                  flush=True)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(10)
    print("%d cuts, %d acknowledged changes taken back, %d violations" %
          (kills, lost_total, violations))
    return 1 if violations else 0


def main(argv):
    if argv[1] == "power":
        return power(argv[2], argv[3], argv[4], argv[5], int(argv[6]), int(argv[7]), argv[8],
                     argv[9])
    if argv[1] == "loop":
        return loop(argv[2], argv[3], argv[4], argv[5], int(argv[6]), int(argv[7]), argv[8])
    if argv[1] == "check":
        problems = check(argv[2], argv[3], after_restart=False)
        for p in problems:
            print(p)
        print("%d violations" % len(problems))
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
