#!/bin/bash
# SPDX-License-Identifier: MIT
# test-completion.sh FILE - the bash completion offers what the programs take.
set -u
. "$1"
fail=0
expect() {  # expect FUNC "WORDS..." WANTED
	local fn=$1 words=$2 want=$3
	read -r -a COMP_WORDS <<<"$words"
	[[ $words == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	$fn
	if [[ " ${COMPREPLY[*]} " != *" $want "* ]]; then
		echo "FAIL: '$words' -> '${COMPREPLY[*]}', wanted '$want'"
		fail=1
	fi
}
expect _cxldcd_ctl "cxldcd-ctl ad" add
expect _cxldcd_ctl "cxldcd-ctl --json li" list
expect _cxldcd_ctl "cxldcd-ctl --qmp x.sock add --po" --policy
expect _cxldcd_ctl "cxldcd-ctl add --policy co" contiguous
expect _cxldcd_ctl "cxldcd-ctl events --name CXL_DC_CAPACITY_A" CXL_DC_CAPACITY_ACCEPTED
expect _cxldcd_ctl "cxldcd-ctl map --s" --svg
expect _cxldcd_ctl "cxldcd-ctl dur" durability
expect _cxldcd_ctl "cxldcd-ctl events --name CXL_ERASE" CXL_ERASE_DURABLE
expect _cxldcd_ctl "cxldcd-ctl inject-p" inject-poison
expect _cxldcd_ctl "cxldcd-ctl inject-event --kind d" dram
expect _cxldcd_ctl "cxldcd-ctl inject-event --cme-c" --cme-count
expect _cxldcd_ctl "cxldcd-ctl inject-correctable-error --type ph" physical
expect _cxldcd_ctl "cxldcd-ctl inject-uncorrectable-errors --error cxl-ide-r" cxl-ide-rx
expect _cxldcd "cxldcd --log-l" --log-level
expect _cxldcd "cxldcd --log-level in" info
expect _cxldcd "cxldcd --dae" --daemonize
expect _cxldcd "cxldcd --mctp" --mctp-serial
expect _cxldcd "cxldcd --mctp-serial p" pty
expect _cxldcd "cxldcd --mctp" --mctp-cci
expect _cxldcd "cxldcd --mctp-cci u" unix:
expect _cxldcd_mctp_run "cxldcd-mctp-run --e" --eid
expect _cxldcd_mctp_run "cxldcd-mctp-run --fm u" unix:
expect _cxldcd_mctp_run "cxldcd-mctp-run --fm unix:x --mc" --mctp-cci
expect _cxldcd_mctp_run "cxldcd-mctp-run --fm unix:x --mctp-cci t" tcp:
expect _cxldcd_mctp_run "cxldcd-mctp-run --fm unix:x -- ba" bash
expect _cxldcd_host "cxldcd-host --acc" --accept
expect _cxldcd_host "cxldcd-host --agent-socket a.sock ver" verify
expect _cxldcd_host "cxldcd-host --vers" --version
expect _cxldcd_host "cxldcd-host --host-id 1 static-v" static-verify
[ $fail -eq 0 ] && echo "completion: ok"
exit $fail
