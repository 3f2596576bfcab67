#!/usr/bin/env bats
# rsmfs(5), TAPE FILES: drives/<d>/tape of a sim drive is a non-rewinding tape drive holding the
# loaded cartridge, driven through the mount by the real programs: mt-st, GNU tar and dd.

load helper

setup() {
	RSMFS_OPTS="-o allow_other"
	setup_rsmfs
	mkdir "$MNT/sessions/s"
	T=$MNT/drives/d0/tape
}
teardown() { teardown_rsmfs; }

as_user() { setpriv --reuid="$1" --regid="$1" --clear-groups -- "${@:2}"; }

# mt_line N - line N of `mt status` of the tape
mt_line() { mt -f "$T" status | sed -n "${1}p"; }

# record SIZE NAME - a file of SIZE random bytes at $TESTDIR/NAME
record() { head -c "$1" /dev/urandom >"$TESTDIR/$2"; }

@test "an empty drive: mt status says DR_OPEN, I/O is ENOMEDIUM, device is empty" {
	[ "$(stat -c %a:%u "$T")" = 600:0 ]
	[ -z "$(cat "$MNT/drives/d0/device")" ]
	run mt -f "$T" status
	assert_success
	assert_output --partial DR_OPEN
	refute_output --partial ONLINE
	run dd if="$T" of=/dev/null bs=64k count=1
	assert_failure
	assert_output --partial "No medium found"
	run mt -f "$T" rewind
	assert_failure
	assert_output --partial "No medium found"
}

@test "a mounted cartridge: ONLINE at BOT, file 0 block 0; device is the tape's path" {
	ctl s "mount T00001L6 drive=d0"
	[ "$(cat "$MNT/drives/d0/device")" = "$T" ]
	run mt -f "$T" status
	assert_success
	assert_output --partial "File number=0, block number=0"
	assert_output --partial "BOT ONLINE"
	assert_output --partial "Density code 0x5a (LTO-6)"
	run $PYTHON -c 'import os, sys; os.lseek(os.open(sys.argv[1], os.O_RDONLY), 0, 1)' "$T"
	assert_output --partial "Illegal seek"
}

@test "two tar archives separated by their filemarks: fsf 1 reaches the second, rewind the first" {
	ctl s "mount T00001L6 drive=d0"
	mkdir "$TESTDIR/a" "$TESTDIR/b"
	echo first >"$TESTDIR/a/one.txt"
	echo second >"$TESTDIR/b/two.txt"
	tar cf "$(cat "$MNT/drives/d0/device")" -C "$TESTDIR/a" one.txt
	tar cf "$T" -C "$TESTDIR/b" two.txt
	[ "$(mt_line 2)" = "File number=2, block number=0, partition=0." ]
	mt -f "$T" rewind
	mt -f "$T" fsf 1
	mkdir "$TESTDIR/x" "$TESTDIR/y"
	tar xf "$T" -C "$TESTDIR/x"
	[ "$(cat "$TESTDIR/x/two.txt")" = second ]
	[ ! -e "$TESTDIR/x/one.txt" ]
	mt -f "$T" rewind
	tar xf "$T" -C "$TESTDIR/y"
	[ "$(cat "$TESTDIR/y/one.txt")" = first ]
	[ ! -e "$TESTDIR/y/two.txt" ]
}

@test "dd: one write is one record, read back whole; a smaller buffer is ENOMEM; EOD is 0 then EIO" {
	ctl s "mount T00001L6 drive=d0"
	record 100 r1
	record 5000 r2
	record 70000 r3
	record 20480 many
	for r in r1 r2 r3; do
		dd if="$TESTDIR/$r" of="$T" bs=128k 2>/dev/null
	done
	dd if="$TESTDIR/many" of="$T" bs=4096 2>/dev/null
	mt -f "$T" rewind
	# each dd read up to its file's filemark: one record, the whole of it
	for r in r1 r2 r3; do
		dd if="$T" of="$TESTDIR/$r.back" bs=128k 2>/dev/null
		cmp "$TESTDIR/$r" "$TESTDIR/$r.back"
	done
	run dd if="$T" of="$TESTDIR/many.back" bs=64k
	assert_output --partial "0+5 records in"
	cmp "$TESTDIR/many" "$TESTDIR/many.back"
	mt -f "$T" rewind
	mt -f "$T" fsf 1
	run dd if="$T" of=/dev/null bs=1000 count=1
	assert_failure
	assert_output --partial "Cannot allocate memory"
	# the record was passed: the next read is the filemark
	run dd if="$T" of=/dev/null bs=128k count=1
	assert_output --partial "0+0 records in"
	mt -f "$T" eod
	run $PYTHON -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print(len(os.read(fd, 65536)))
try:
    os.read(fd, 65536)
except OSError as e:
    print(os.strerror(e.errno))' "$T"
	assert_output "0
Input/output error"
}

@test "mt eod, tell, seek, bsf and weof" {
	ctl s "mount T00001L6 drive=d0"
	record 1000 r
	for i in 1 2 3; do dd if="$TESTDIR/r" of="$T" bs=1000 count=1 2>/dev/null; done
	mt -f "$T" rewind
	mt -f "$T" eod
	run mt_line 2
	assert_output "File number=3, block number=0, partition=0."
	run mt -f "$T" status
	assert_output --partial "EOF EOD ONLINE"
	run mt -f "$T" tell
	assert_output "At block 6."
	mt -f "$T" seek 2
	[ "$(mt -f "$T" tell)" = "At block 2." ]
	[ "$(mt_line 2)" = "File number=1, block number=0, partition=0." ]
	mt -f "$T" bsf 1
	[ "$(mt_line 2)" = "File number=0, block number=1, partition=0." ]
	# spacing past the end or back past BOT fails as st does
	run mt -f "$T" fsf 9
	assert_failure
	assert_output --partial "Input/output error"
	mt -f "$T" rewind
	run mt -f "$T" bsf 1
	assert_failure
	# weof at BOT: one filemark, and what followed is gone
	mt -f "$T" weof 1
	mt -f "$T" eod
	[ "$(mt_line 2)" = "File number=1, block number=0, partition=0." ]
	[ "$(mt -f "$T" tell)" = "At block 1." ]
}

@test "dismount and remount in another drive: the records travel with the cartridge" {
	ctl s "mount T00002L6 drive=d0"
	mkdir "$TESTDIR/p"
	seq 1 20000 >"$TESTDIR/p/numbers"
	tar cf "$T" -C "$TESTDIR/p" numbers
	record 3000 r
	dd if="$TESTDIR/r" of="$T" bs=3000 2>/dev/null
	ctl s "dismount T00002L6"
	wait_for "$MNT/media/T00002L6/state" idle
	[ -z "$(cat "$MNT/drives/d0/device")" ]
	ctl s "mount T00002L6 drive=d1"
	T=$MNT/drives/d1/tape
	[ "$(mt_line 2)" = "File number=0, block number=0, partition=0." ]
	run tar tf "$T"
	assert_output numbers
	mt -f "$T" rewind
	mt -f "$T" fsf 1
	dd if="$T" of="$TESTDIR/r.back" bs=64k 2>/dev/null
	cmp "$TESTDIR/r" "$TESTDIR/r.back"
	mt -f "$T" eod
	[ "$(mt_line 2)" = "File number=2, block number=0, partition=0." ]
}

@test "a complete cartridge is write-protected: EROFS and WR_PROT" {
	mkdir "$MNT/pools/A"
	ctl s "allocate A"
	echo complete >"$MNT/media/T00001L6/ctl"
	ctl s "mount T00001L6 drive=d0 read"
	run mt -f "$T" status
	assert_output --partial WR_PROT
	run dd if=/dev/zero of="$T" bs=1k count=1
	assert_failure
	assert_output --partial "Read-only file system"
	run mt -f "$T" weof 1
	assert_failure
	# reading is as before
	mt -f "$T" rewind
}

@test "the capacity: the early warning is EOT, and writes past it are ENOSPC as st's" {
	stop_rsmfs
	echo "capacity = 1M" >>"$TESTDIR/rsmfs.conf"
	start_rsmfs -o allow_other
	mkdir "$MNT/sessions/s"
	ctl s "mount T00001L6 drive=d0"
	run dd if=/dev/zero of="$T" bs=50k count=40
	assert_failure
	assert_output --partial "No space left on device"
	# 19 records before the warning zone (the last 64 KiB), the one that reaches it, then ENOSPC
	assert_output --partial "20+0 records out"
	run mt -f "$T" status
	assert_output --partial EOT
	# the trailer st allows after the first ENOSPC, then ENOSPC for good
	run $PYTHON -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
for i in range(3):
    try:
        print(os.write(fd, b"x" * 4096))
    except OSError as e:
        print(os.strerror(e.errno))' "$T"
	assert_output "4096
No space left on device
No space left on device"
}

@test "a bad capacity stops the daemon at start-up" {
	stop_rsmfs
	echo "capacity = 2.5Q" >>"$TESTDIR/rsmfs.conf"
	run start_rsmfs
	assert_failure
}

@test "the tape belongs to the session that has the medium mounted; others get EACCES" {
	as_user 4242 mkdir "$MNT/sessions/alice"
	as_user 4242 sh -c "echo 'mount T00003L6 drive=d0' > '$MNT/sessions/alice/ctl'"
	[ "$(stat -c %a:%u "$T")" = 600:4242 ]
	record 2048 r
	as_user 4242 dd if="$TESTDIR/r" of="$T" bs=2048
	as_user 4242 mt -f "$T" rewind
	as_user 4242 dd if="$T" of=/dev/null bs=4096
	run as_user 4343 dd if="$T" of=/dev/null bs=4096
	assert_failure
	assert_output --partial "Permission denied"
	run as_user 4343 mt -f "$T" status
	assert_failure
	as_user 4242 sh -c "echo 'dismount T00003L6' > '$MNT/sessions/alice/ctl'"
	wait_for "$MNT/media/T00003L6/state" idle
	[ "$(stat -c %u "$T")" = 0 ]
}

@test "unloaded while open: the next I/O is ENOMEDIUM and the cartridge keeps its filemark" {
	ctl s "mount T00001L6 drive=d0"
	record 500 r
	run $PYTHON -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, open(sys.argv[3], "rb").read())
with open(sys.argv[2], "w") as c:
    c.write("dismount T00001L6\n")
time.sleep(0.5)
try:
    os.write(fd, b"y" * 10)
except OSError as e:
    print(os.strerror(e.errno))
os.close(fd)' "$T" "$MNT/sessions/s/ctl" "$TESTDIR/r"
	assert_output "No medium found"
	wait_for "$MNT/media/T00001L6/state" idle
	ctl s "mount T00001L6 drive=d1"
	T=$MNT/drives/d1/tape
	mt -f "$T" eod
	[ "$(mt_line 2)" = "File number=1, block number=0, partition=0." ]
}

@test "SIGKILL during a stream of writes: every record acknowledged is there, read to EOD" {
	ctl s "mount T00004L6 drive=d0"
	head -c $((64 << 20)) /dev/urandom >"$TESTDIR/src"
	# dd prints no count when its close fails: the writer says how many writes were answered
	$PYTHON -c '
import os, sys
src = open(sys.argv[2], "rb").read()
fd = os.open(sys.argv[1], os.O_WRONLY)
for i in range(len(src) // 4096):
    os.write(fd, src[i * 4096:(i + 1) * 4096])
    print(i + 1, flush=True)' "$T" "$TESTDIR/src" >"$TESTDIR/told" 2>/dev/null &
	local writer=$!
	sleep 0.3
	kill -KILL "$RSMFS_PID"
	wait "$writer" || true
	wait "$RSMFS_PID" 2>/dev/null || true
	RSMFS_PID=
	fusermount3 -uz "$MNT" 2>/dev/null || true
	local told
	told=$(tail -n1 "$TESTDIR/told")
	# the kill landed in the middle of the stream
	[ "$told" -gt 0 ]
	[ "$told" -lt 16384 ]
	start_rsmfs -o allow_other
	mkdir "$MNT/sessions/t"
	ctl t "mount T00004L6"
	for d in "$MNT"/drives/*; do
		[ "$(readlink "$d/medium" 2>/dev/null)" = ../../media/T00004L6 ] && T=$d/tape
	done
	run dd if="$T" of="$TESTDIR/back" bs=4096
	assert_success
	local read
	read=$(awk '/records in/ {print $1}' <<<"$output" | cut -d+ -f1)
	[ "$read" -ge "$told" ]
	cmp -n $((read * 4096)) "$TESTDIR/src" "$TESTDIR/back"
	# the end of data: 0 was the read above; the next is EIO
	run dd if="$T" of=/dev/null bs=4096 count=1
	assert_failure
	assert_output --partial "Input/output error"
}
