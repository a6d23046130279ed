#!/bin/sh
# SPDX-License-Identifier: MIT
#
# gen-corpus.sh FUZZ-SNAPSHOT - write the seed corpus of fuzz-snapshot from
# the seeds of fuzz-cci-dispatch: for each, a round-trip input (mode byte 1,
# then the steps) and a restore input (mode byte 0, the length, the
# snapshot of the device those steps left), written by the target itself
# (CXLDCD_FUZZ_SNAPSHOT_SEED, see fuzz-snapshot.c).  FUZZ-SNAPSHOT is either
# build of the target (libFuzzer or the replayer).
# Run from anywhere: fuzz/core/gen-corpus.sh build/fuzz/fuzz-snapshot
set -eu
exe=$1
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/corpus/snapshot
mkdir -p "$out"
n=0
for f in "$root"/corpus/cci-dispatch/seed-*; do
	name=${f##*/seed-}
	{ printf '\001'; cat "$f"; } >"$out/seed-steps-$name"
	CXLDCD_FUZZ_SNAPSHOT_SEED="$out/seed-restore-$name" "$exe" "$out/seed-steps-$name" \
		>/dev/null 2>&1
	n=$((n + 1))
done
echo "snapshot: $((2 * n)) seeds"
