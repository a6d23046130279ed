#!/bin/sh
# SPDX-License-Identifier: MIT
#
# gen-corpus.sh FUZZ-SNAPSHOT - write the seed corpus of fuzz-snapshot (or,
# given fuzz-snapshot-static, of that target: the same seeds on the
# static-only device, corpus/snapshot-static) from
# the seeds of fuzz-cci-dispatch: for each, a round-trip input (mode byte 1,
# plus 2 for the many-tags device and 4 for the static-host one: the seed's
# device byte; then the steps) and a restore input (the mode byte less 1,
# the length, the snapshot of the
# device those steps left), written by the target itself
# (CXLDCD_FUZZ_SNAPSHOT_SEED, see fuzz-snapshot.c).  FUZZ-SNAPSHOT is either
# build of the target (libFuzzer or the replayer).
# Run from anywhere: fuzz/core/gen-corpus.sh build/fuzz/fuzz-snapshot
set -eu
exe=$1
root=$(cd "$(dirname "$0")/.." && pwd)
target=${exe##*/fuzz-}
case $target in
snapshot|snapshot-static) ;;
*) echo "gen-corpus.sh: $exe is not fuzz-snapshot or fuzz-snapshot-static" >&2; exit 2 ;;
esac
out=$root/corpus/$target
mkdir -p "$out"
n=0
big=0
hooked=0
for f in "$root"/corpus/cci-dispatch/seed-*; do
	name=${f##*/seed-}
	dev=$(od -An -tu1 -N1 "$f" | tr -d ' ')
	mode=$((1 | (dev & 3) << 1))
	{ printf "\\$(printf %o "$mode")"; tail -c +2 "$f"; } >"$out/seed-steps-$name"
	CXLDCD_FUZZ_SNAPSHOT_SEED="$out/seed-restore-$name" "$exe" "$out/seed-steps-$name" \
		>/dev/null 2>&1
	n=$((n + 1))
	# a restore seed past the target's -max_len (docs/fuzzing.md) would only
	# raise libFuzzer's default input length for every input
	if [ "$(wc -c <"$out/seed-restore-$name")" -gt 8192 ]; then
		rm -f "$out/seed-restore-$name"
		big=$((big + 1))
	fi
done
# the allocation hook (mode bit 3) on three of them, failing never (v 0),
# at the 3rd and at the 40th allocation (v 3 and 10: bits 7:4)
for name in restore-tags-snap restore-static-host-lsa steps-static-host-lsa; do
	mode=$(od -An -tu1 -N1 "$out/seed-$name" | tr -d ' ')
	for v in 0 3 10; do
		{ printf "\\$(printf %o $((mode | 8 | v << 4)))"; tail -c +2 "$out/seed-$name"; } \
			>"$out/seed-hook$v-$name"
		hooked=$((hooked + 1))
	done
done
echo "$target: $((2 * n - big + hooked)) seeds ($big restore seeds over 8192 bytes left out)"
