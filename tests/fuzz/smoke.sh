#!/bin/sh
# smoke.sh - make check's share of fuzzing: every libFuzzer target from its seed corpus for a
# fixed number of runs (FUZZ_RUNS, 30000 by default), under ASan and UBSan.  TAP output: one
# line per target with the executions it reached.
set -u
src=${RSMFS_SRCDIR:-.}
out=tests/fuzz/build
echo "1..4"
if ! make -s --no-print-directory -f "$src/tests/fuzz/fuzz.mk" SRCDIR="$src" OUT="$out" all >"$out.build.log" 2>&1; then
	cat "$out.build.log"
	for t in command config path element_status; do echo "not ok - fuzz_$t (build failed)"; done
	exit 1
fi
status=0
for t in command config path element_status; do
	line=$(make -s --no-print-directory -f "$src/tests/fuzz/fuzz.mk" SRCDIR="$src" OUT="$out" \
		TARGETS="fuzz_$t" FUZZ_RUNS="${FUZZ_RUNS:-30000}" run 2>&1)
	if [ $? -eq 0 ]; then
		echo "ok - $line"
	else
		echo "not ok - fuzz_$t"
		echo "$line" | sed 's/^/# /'
		status=1
	fi
done
exit $status
