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
check 2 "usage:" --fm unix:/nonexistent/fm.sock
[[ $fail == 0 ]] && echo "test-mctp-run-args: all passed"
exit $fail
