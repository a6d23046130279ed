#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-fuzzers.sh BUILD SECONDS - run every libFuzzer target built in BUILD
# (executables named fuzz-*) for SECONDS each, starting from its seed corpus
# fuzz/corpus/<name> (name without the fuzz- prefix, or with it).  New inputs
# go to a scratch directory, never into the committed corpus.  Fails on the
# first crash, leak or sanitizer report; the reproducer is left in fuzz/.
set -eu
build=$1
secs=$2
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

found=0
for exe in $(find "$build/fuzz" -type f -name 'fuzz-*' -perm -u+x | sort); do
	name=$(basename "$exe")
	short=${name#fuzz-}
	corpus=""
	for c in "$root/fuzz/corpus/$short" "$root/fuzz/corpus/$name"; do
		[ -d "$c" ] && corpus=$c && break
	done
	mkdir -p "$scratch/$name"
	found=$((found + 1))
	echo "== $name for ${secs}s (seed corpus: ${corpus:-none})"
	"$exe" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$root/fuzz/" \
		"$scratch/$name" $corpus 2>"$scratch/$name.log" || {
		tail -n 60 "$scratch/$name.log"
		echo "run-fuzzers: $name FAILED" >&2
		exit 1
	}
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)' "$scratch/$name.log" || true
done
if [ "$found" -eq 0 ]; then
	echo "run-fuzzers: no fuzz targets in $build/fuzz" >&2
	exit 1
fi
echo "run-fuzzers: $found targets ran clean"
