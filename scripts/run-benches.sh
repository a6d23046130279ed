#!/bin/sh
# SPDX-License-Identifier: MIT
# run-benches.sh BUILD - run every benchmark executable (bench-*) in BUILD/bench.
set -eu
build=$1
n=0
for exe in $(find "$build/bench" -type f -name 'bench-*' -perm -u+x | sort); do
	echo "== $(basename "$exe")"
	"$exe"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "run-benches: no benchmarks in $build/bench" >&2; exit 1; }
