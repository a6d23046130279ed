#!/bin/bash
# SPDX-License-Identifier: MIT
# test-mctp-run-args.sh CXLDCD_MCTP_RUN - its own options: --help and --version
# exit 0 on stdout; an unknown option is named as unknown (not as one
# missing its value) and a bad command line exits 2, before anything runs.
set -u
run=$1
fail=0
check() {  # check WANT_STATUS WANT_TEXT ARGS... (WANT_TEXT in stdout+stderr)
	local want=$1 text=$2 out st
	shift 2
	out=$("$run" "$@" 2>&1)
	st=$?
	if [[ $st != "$want" || $out != *"$text"* ]]; then
		echo "FAIL: cxldcd-mctp-run $*: status $st, output '$out'; wanted $want and '$text'"
		fail=1
	fi
}
check 0 "cxldcd-mctp-run 0.1.0" --version
check 0 "cxldcd-mctp-run 0.1.0" -V
check 0 "usage: cxldcd-mctp-run --fm" --help
check 2 "unknown option '--bogus'" --bogus
check 2 "unknown option '--bogus'" --bogus x -- true
check 2 "unknown option '--verbose'" --fm unix:/nonexistent/fm.sock --verbose -- true
check 2 "missing value for '--fm'" --fm
check 2 "missing value for '--eid'" --fm unix:/nonexistent/fm.sock --eid -- true
check 2 "EID is not 8..254: '7'" --fm unix:/nonexistent/fm.sock --eid 7 -- true
# a digit first: strtol() took a blank or a sign before it
check 2 "EID is not 8..254: ' 9'" --fm unix:/nonexistent/fm.sock --eid ' 9' -- true
check 2 "EID is not 8..254: '+9'" --fm unix:/nonexistent/fm.sock --eid '+9' -- true
check 2 "usage:" --fm unix:/nonexistent/fm.sock
# CXLDCD_MCTP_ROUTES is "EID=ADDR[|ADDR08][;EID=...]" and the library keeps
# an address in 200 bytes (routes.h): an address it cannot carry is refused,
# not handed on as a route to another address, or one the library drops.
check 2 "address has a ';' or '|': 'unix:/run/a;9=tcp:10.0.0.1:1'" --fm 'unix:/run/a;9=tcp:10.0.0.1:1' -- true
check 2 "address has a ';' or '|': 'unix:/run/b|tcp::1'" --fm unix:/run/fm.sock --mctp-cci 'unix:/run/b|tcp::1' -- true
long=$(printf 'h%.0s' {1..200})
check 2 "address too long: 'tcp:$long:1'" --fm "tcp:$long:1" -- true
# An mctp.sock beside fm.sock whose address would not fit is not taken:
# the route stays (08h over --fm), rather than the library dropping it.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
deep=$dir/$(printf 'd%.0s' $(seq $((185 - ${#dir}))))
mkdir "$deep" && touch "$deep/mctp.sock" "$dir/mctp.sock"
routes='echo "[$CXLDCD_MCTP_ROUTES]"'
# These two run sh with the preload library: a sanitizer build's library
# needs the sanitizers' runtime, which sh does not load (the gcc build runs them).
if [[ ${SANITIZED:-0} == 1 ]]; then
	echo "test-mctp-run-args: 2 checks that run sh under the preload library skipped (sanitizer build)"
else
	check 0 "[8=unix:$deep/fm.sock]" --fm "unix:$deep/fm.sock" -- sh -c "$routes"
	check 0 "[8=unix:$dir/fm.sock|unix:$dir/mctp.sock]" --fm "unix:$dir/fm.sock" -- sh -c "$routes"
fi
[[ $fail == 0 ]] && echo "test-mctp-run-args: all passed"
exit $fail
