# tgt.bash - a real tgtd serving a virtual tape library on 127.0.0.1, for the scsi suite.
#
# The library: a changer at LUN 3 with drives at element addresses 1 and 2 (tape LUNs 1 and
# 2), the picker at 3, one import/export port at 10 and 8 slots at 1000-1007 holding the
# cartridges $TGT_BARCODES in order.  tgtd listens on a free loopback port under its own
# control number, and tgt_stop takes it down (tgtd ignores SIGTERM).

TGT_IQN=iqn.2026-11.org.rsmfs:test
TGT_BARCODES=${TGT_BARCODES:-"A00001L6 A00002L6 A00003L6 A00004L6"}
SMC_PROBE=${RSMFS_BIN:+$(dirname "$RSMFS_BIN")/tests/tools/smc_probe}
SMC_PROBE=${SMC_PROBE:-$BATS_TEST_DIRNAME/../tools/smc_probe}

free_port() {
	"$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# tgt_files - the backing files tgtd needs before any LUN is created
tgt_files() {
	VTL=$TESTDIR/vtl
	mkdir -p "$VTL/media" "$VTL/drives"
	dd if=/dev/zero of="$VTL/smc" bs=1k count=1 2>/dev/null
	local b i
	for b in $TGT_BARCODES; do
		tgtimg --op new --device-type tape --barcode "$b" --size 1 --type data \
			--file "$VTL/media/$b" >/dev/null
	done
	for i in 1 2; do
		tgtimg --op new --device-type tape --barcode "DRV$i" --size 1 --type data \
			--file "$VTL/drives/d$i" >/dev/null
	done
}

tgtadm_() {
	tgtadm -C "$TGT_CN" --lld iscsi "$@"
}

# tgt_start - starts tgtd and builds the library (its configured state: tgt keeps none)
tgt_start() {
	tgtd -C "$TGT_CN" -f --iscsi "portal=127.0.0.1:$TGT_PORT" >>"$TESTDIR/tgtd.log" 2>&1 &
	TGT_PID=$!
	local i
	for i in $(seq 100); do
		tgtadm -C "$TGT_CN" --op show --mode system >/dev/null 2>&1 && break
		sleep 0.05
	done
	tgtadm_ --op new --mode target --tid 1 -T "$TGT_IQN"
	for i in 1 2; do
		tgtadm_ --mode logicalunit --op new --tid 1 --lun $i -b "$VTL/drives/d$i" \
			--device-type=tape
		tgtadm_ --mode logicalunit --op update --tid 1 --lun $i --params online=0
	done
	tgtadm_ --mode logicalunit --op new --tid 1 --lun 3 -b "$VTL/smc" --device-type=changer
	tgtadm_ --mode logicalunit --op update --tid 1 --lun 3 --params "media_home=$VTL/media"
	tgtadm_ --mode logicalunit --op update --tid 1 --lun 3 \
		--params element_type=4,start_address=1,quantity=2
	for i in 1 2; do
		tgtadm_ --mode logicalunit --op update --tid 1 --lun 3 \
			--params "element_type=4,address=$i,tid=1,lun=$i"
	done
	tgtadm_ --mode logicalunit --op update --tid 1 --lun 3 \
		--params element_type=1,start_address=3,quantity=1
	tgtadm_ --mode logicalunit --op update --tid 1 --lun 3 \
		--params element_type=3,start_address=10,quantity=1
	tgtadm_ --mode logicalunit --op update --tid 1 --lun 3 \
		--params element_type=2,start_address=1000,quantity=8
	local slot=1000 b
	for b in $TGT_BARCODES; do
		tgtadm_ --mode logicalunit --op update --tid 1 --lun 3 \
			--params "element_type=2,address=$slot,barcode=$b,sides=1"
		slot=$((slot + 1))
	done
	# the portal listens on loopback only; any initiator there may log in
	tgtadm_ --op bind --mode target --tid 1 -I ALL
}

# tgt_setup - files, a free port, a control number, and a running tgtd
tgt_setup() {
	tgt_files
	TGT_PORT=$(free_port)
	TGT_CN=$((2000 + $$ % 5000))
	CHANGER_URL=iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/3
	DRIVE2_URL=iscsi://127.0.0.1:$TGT_PORT/$TGT_IQN/2
	tgt_start
}

# tgt_stop - deletes the target and stops tgtd, waiting for the process
tgt_stop() {
	[ -n "${TGT_PID:-}" ] || return 0
	tgtadm_ --op delete --mode target --tid 1 --force >/dev/null 2>&1 || true
	tgtadm -C "$TGT_CN" --op delete --mode system >/dev/null 2>&1 || true
	local i
	for i in $(seq 50); do
		kill -0 "$TGT_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$TGT_PID" 2>/dev/null || true
	wait "$TGT_PID" 2>/dev/null || true
	TGT_PID=
}

# tgt_kill - the target dies at once (SIGKILL), as a crashed or unplugged library would
tgt_kill() {
	kill -KILL "$TGT_PID"
	wait "$TGT_PID" 2>/dev/null || true
	TGT_PID=
	rm -f "/var/run/tgtd/socket.$TGT_CN" "/var/run/tgtd/socket.$TGT_CN.lock"
}

# elements TYPE - what the changer itself reports: "<address> full <tag>" / "<address> empty"
elements() {
	"$SMC_PROBE" "$CHANGER_URL" status "$1"
}

# element ADDRESS TYPE - one element's line
element() {
	elements "$2" | grep "^$1 "
}

write_scsi_config() {
	cat >"$TESTDIR/rsmfs.conf" <<-CONF
	[rsmfs]
	database = $TESTDIR/data/rsm.db

	[library lib1]
	backend = scsi
	changer = $CHANGER_URL
	; the first drive is found by its DVCID serial, the second is configured (tgt cuts the
	; last drive identifier of a report short)
	drive.1 = $DRIVE2_URL
	media_type = LTO-6
	CONF
}
