#!/usr/bin/env bats
# rsmfs(5), libraries/lib/map: the library drawn as an SVG picture (map.svg, rendered here by a
# real renderer, rsvg-convert) and as text (map), both following the cartridges like every
# other file: a new rendering, IN_MODIFY and poll when a cartridge moves.

load helper

setup() {
	setup_rsmfs
	LIB=$MNT/libraries/vtl0
}
teardown() { teardown_rsmfs; }

# png NAME - renders map.svg to $TESTDIR/NAME.png
png() {
	cat "$LIB/map.svg" >"$TESTDIR/$1.svg"
	rsvg-convert -f png -o "$TESTDIR/$1.png" "$TESTDIR/$1.svg"
}

# watch FILE... - inotifywait on FILEs (output in $TESTDIR/events), once its watches are set
watch() {
	inotifywait -m -e modify --format '%w %e' "$@" >"$TESTDIR/events" 2>"$TESTDIR/watch.err" &
	for _ in $(seq 400); do
		grep -q "Watches established" "$TESTDIR/watch.err" && return 0
		sleep 0.05
	done
	return 1
}

# seen LINE - waits until inotifywait reported LINE
seen() {
	for _ in $(seq 400); do
		grep -qxF "$1" "$TESTDIR/events" && return 0
		sleep 0.05
	done
	echo "never saw '$1'; saw:" >&2
	cat "$TESTDIR/events" >&2
	return 1
}

@test "map.svg is an SVG 1.1 document with its size, viewBox and namespace, read-only" {
	[ "$(stat -c %a "$LIB/map.svg")" = 444 ]
	[ "$(stat -c %a "$LIB/map")" = 444 ]
	run $PYTHON - "$LIB/map.svg" <<-'PY'
	import sys, xml.etree.ElementTree as ET
	root = ET.parse(sys.argv[1]).getroot()
	assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
	assert root.get("version") == "1.1"
	w, h = int(root.get("width")), int(root.get("height"))
	assert root.get("viewBox") == "0 0 %d %d" % (w, h)
	texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
	assert "T00001L6" in texts and "T00012L6" in texts, texts
	print(w, h)
	PY
	assert_success
	png a
	[ "$(head -c 8 "$TESTDIR/a.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	# the picture rsvg-convert makes has the document's size
	run $PYTHON -c 'import struct, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
size = struct.unpack(">II", open(sys.argv[2], "rb").read(24)[16:24])
sys.exit(size != (int(root.get("width")), int(root.get("height"))))' "$TESTDIR/a.svg" "$TESTDIR/a.png"
	assert_success
}

@test "a cartridge moving changes the rendered picture; back where it was, the same picture" {
	mkdir "$MNT/sessions/nightly"
	png before
	ctl nightly "mount T00003L6 drive=d1"
	png mounted
	run cmp -s "$TESTDIR/before.png" "$TESTDIR/mounted.png"
	assert_failure
	grep -q '>session nightly<' "$TESTDIR/mounted.svg"
	ctl nightly "dismount T00003L6"
	wait_for "$MNT/drives/d1/state" empty
	png after
	cmp "$TESTDIR/before.png" "$TESTDIR/after.png"
	# a cartridge at rest moved to another slot (rsmfs(5), libraries/lib/ctl move)
	echo "move T00005L6 14" >"$LIB/ctl"
	wait_for "$MNT/media/T00005L6/location" "slot 14"
	png moved
	run cmp -s "$TESTDIR/before.png" "$TESTDIR/moved.png"
	assert_failure
}

@test "map fits 100 columns for 16 slots, names every barcode and the session holding a drive" {
	mkdir "$MNT/sessions/nightly-backup"
	ctl nightly-backup "mount T00001L6 drive=d0"
	cat "$LIB/map" >"$TESTDIR/map"
	[ "$(awk '{print length}' "$TESTDIR/map" | sort -n | tail -1)" -le 100 ]
	[ "$(grep -c . "$TESTDIR/map")" -le 24 ] # a screenful
	for i in $(seq 1 12); do
		grep -q "$(printf 'T%05dL6' "$i")" "$TESTDIR/map"
	done
	grep -Eq '^d0 +mounted +T00001L6 +nightly-backup$' "$TESTDIR/map"
	grep -Eq '^d1 +empty +- +-$' "$TESTDIR/map"
	# slot 0 is empty, the home of T00001L6; slot 12 empty
	grep -Eq '(^| ) 0 \(T00001L6\)' "$TESTDIR/map"
	grep -Eq '(^| )12 -( |$)' "$TESTDIR/map"
	[ "$(tail -c1 "$TESTDIR/map" | od -An -tx1 | tr -d ' ')" = 0a ]
}

@test "inotify: IN_MODIFY on map.svg and map when a cartridge moves, none when nothing does" {
	mkdir "$MNT/sessions/s"
	cat "$LIB/map.svg" "$LIB/map" >/dev/null
	watch "$LIB/map.svg" "$LIB/map"
	# a session coming and going, a medium changing pools: no place of the library changes
	mkdir "$MNT/sessions/idle"
	rmdir "$MNT/sessions/idle"
	mkdir "$MNT/pools/P"
	echo "pool P" >"$MNT/media/T00007L6/ctl"
	sleep 1
	[ ! -s "$TESTDIR/events" ]
	echo "move T00005L6 14" >"$LIB/ctl"
	seen "$LIB/map.svg MODIFY"
	seen "$LIB/map MODIFY"
	# a mount: the cartridge in a drive, held by the session
	: >"$TESTDIR/events"
	ctl s "mount T00002L6 drive=d1"
	seen "$LIB/map.svg MODIFY"
	for _ in $(seq 100); do
		grep -q 'd1 .*T00002L6 *s$' "$LIB/map" && break
		sleep 0.05
	done
	grep -q 'd1 .*T00002L6 *s$' "$LIB/map"
}

@test "poll on map: POLLPRI when a cartridge moves" {
	$PROBE pollpri "$LIB/map" 20 >"$TESTDIR/poll" &
	local p=$!
	for _ in $(seq 400); do
		grep -q ARMED "$TESTDIR/poll" && break
		sleep 0.05
	done
	grep -q ARMED "$TESTDIR/poll"
	echo "move T00006L6 15" >"$LIB/ctl"
	wait "$p"
	grep -q '^CHANGED' "$TESTDIR/poll"
	grep -Eq '15 T00006L6' "$TESTDIR/poll"
}

@test "a large library and a standalone one: both maps render, the text within 100 columns" {
	stop_rsmfs
	rm -rf "$TESTDIR/data" && mkdir "$TESTDIR/data" # a new catalog: the library's size is its
	SLOTS=200 MEDIA=150 write_config
	cat >>"$TESTDIR/rsmfs.conf" <<-CONF

	[library desk0]
	type = standalone
	media = 3
	media_type = LTO-6
	CONF
	start_rsmfs
	png large
	cat "$LIB/map" >"$TESTDIR/map"
	[ "$(awk '{print length}' "$TESTDIR/map" | sort -n | tail -1)" -le 100 ]
	grep -q T00150L6 "$TESTDIR/map"
	rsvg-convert -f png -o "$TESTDIR/desk0.png" "$MNT/libraries/desk0/map.svg"
	run cat "$MNT/libraries/desk0/map"
	assert_success
	assert_line --regexp '^d2 +empty +- +-$'
}
