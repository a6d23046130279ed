#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check.sh - the steps of make check (the Makefile runs it with MAKE set),
# each test run overlapped with the next build.  The test suites mostly wait
# on sockets, timers and child daemons (the gcc suite keeps about a third of
# two cores busy, the ASan suite half), while the builds keep every core busy:
#
#   gcc build
#   ASan+UBSan build     while the gcc tests run
#   fuzz targets build   while the ASan+UBSan tests run
#   fuzz smoke run       alone (each target keeps its FUZZ_SMOKE_SECONDS of CPU)
#
# A test run in the background writes to BUILD/meson-logs/check-output.txt;
# that is printed whole once the build beside it is done, so the output reads
# as if the steps ran one after the other.  A failed step stops the check
# after its output is printed, as make would.
set -u
make=${MAKE:-make}
build=${BUILD:-build}
asan=${ASAN_BUILD:-build-asan}
bg_pid=

# Stop the background test run (its meson test and the tests under it) when
# this script is interrupted or fails.
stop_bg() {
	if [ -n "$bg_pid" ]; then
		kill -TERM "-$bg_pid" 2>/dev/null
		wait "$bg_pid" 2>/dev/null
		bg_pid=
	fi
}
trap 'stop_bg; exit 130' INT TERM
trap 'stop_bg' EXIT

step() {
	"$make" --no-print-directory "$@" || { echo "check: make $* FAILED" >&2; exit 1; }
}

# tests_bg TARGET DIR: start make TARGET (a meson test run in DIR) in the
# background, in a process group of its own (setsid) that stop_bg can end.
tests_bg() {
	mkdir -p "$2/meson-logs"
	bg_out=$2/meson-logs/check-output.txt
	bg_what=$1
	setsid "$make" --no-print-directory "$1" >"$bg_out" 2>&1 &
	bg_pid=$!
}

# tests_wait: wait for the background test run, print its output, stop on failure.
tests_wait() {
	rc=0
	wait "$bg_pid" || rc=$?
	bg_pid=
	echo "==== make $bg_what (ran in the background, output in $bg_out)"
	cat "$bg_out"
	if [ "$rc" -ne 0 ]; then
		echo "check: make $bg_what FAILED" >&2
		exit 1
	fi
}

step build
tests_bg check-build "$build"
step asan-build
tests_wait
tests_bg check-asan "$asan"
if [ "${HAVE_CLANG:-}" = yes ]; then
	step fuzz-build
fi
tests_wait
step fuzz-smoke
scripts/test-summary.py "$build" "$asan"
