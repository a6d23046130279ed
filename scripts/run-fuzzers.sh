#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-fuzzers.sh BUILD SECONDS [JOBS] - run every libFuzzer target built in
# BUILD (executables named fuzz-*) for SECONDS each, JOBS of them at a time
# (default 1), starting from its seed corpus fuzz/corpus/<name> (name without
# the fuzz- prefix, or with it), with the target's -max_len of docs/fuzzing.md.  New inputs go to a scratch directory, never
# into the committed corpus.  Fails on any crash, leak or sanitizer report;
# the reproducer is left in fuzz/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)

# Internal: run-fuzzers.sh --one EXE SECONDS SCRATCH runs one target.
if [ "${1:-}" = "--one" ]; then
	exe=$2
	secs=$3
	scratch=$4
	name=$(basename "$exe")
	short=${name#fuzz-}
	corpus=""
	for c in "$root/fuzz/corpus/$short" "$root/fuzz/corpus/$name"; do
		[ -d "$c" ] && corpus=$c && break
	done
	# Each target's input bound (docs/fuzzing.md, "Running"); the tools
	# print usage and errors on every input: -close_fd_mask=3 keeps them
	# out of the log.
	case $short in
	cci-decode|cci-dispatch|hostlink-decode|hostlink-server|fm-socket|host-agent|access-rules)
		opts="-max_len=4096" ;;
	snapshot|snapshot-static|state|qmp|qmp-device|mctp-routes)
		opts="-max_len=8192" ;;
	ctl)	opts="-max_len=8192 -close_fd_mask=3" ;;
	cmdline|mctp-serial|mctp-pty|app-socket)
		opts="-max_len=2048" ;;
	host-cli|mctp-run)
		opts="-max_len=2048 -close_fd_mask=3" ;;
	store)	opts="-max_len=110000" ;;
	*)	opts="" ;;
	esac
	mkdir -p "$scratch/$name"
	# shellcheck disable=SC2086
	if "$exe" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$root/fuzz/" \
		$opts "$scratch/$name" $corpus 2>"$scratch/$name.log"; then
		echo "== $name for ${secs}s (seed corpus: ${corpus:-none})"
		grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)' \
			"$scratch/$name.log" || true
		exit 0
	fi
	echo "== $name for ${secs}s (seed corpus: ${corpus:-none})"
	tail -n 60 "$scratch/$name.log"
	echo "run-fuzzers: $name FAILED" >&2
	exit 1
fi

build=$1
secs=$2
jobs=${3:-1}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

find "$build/fuzz" -type f -name 'fuzz-*' -perm -u+x | sort >"$scratch/targets"
found=$(wc -l <"$scratch/targets")
if [ "$found" -eq 0 ]; then
	echo "run-fuzzers: no fuzz targets in $build/fuzz" >&2
	exit 1
fi
echo "run-fuzzers: $found targets, ${secs}s each, $jobs at a time"
if ! xargs -P "$jobs" -I{} "$0" --one {} "$secs" "$scratch" <"$scratch/targets"; then
	echo "run-fuzzers: a target FAILED" >&2
	exit 1
fi
echo "run-fuzzers: $found targets ran clean"
