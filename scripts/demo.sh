#!/bin/sh
# SPDX-License-Identifier: MIT
#
# demo.sh [BUILD] - the end-to-end demo: a cxldcd daemon, two host agents
# (cxldcd-host) and the orchestrator's CLI (cxldcd-ctl), all real processes
# talking over Unix sockets in a private temporary directory.
#
# The device is the tagged-memory series' device: DC regions with no backing
# of their own (dc-regions-total-size), sharable, two hosts; memory comes per
# tag from backends created at run time with object-add.
#
# Prints a timeline and exits 0 only if every check passed.
set -u

build=${1:-build}
CXLDCD=$build/src/server/cxldcd
HOSTBIN=$build/tools/cxldcd-host/cxldcd-host
CTLBIN=$build/tools/cxldcd-ctl/cxldcd-ctl
for b in "$CXLDCD" "$HOSTBIN" "$CTLBIN"; do
	[ -x "$b" ] || { echo "demo: $b not built (run make)" >&2; exit 1; }
done

TAG_A=5be13bce-ae34-4a77-b6c3-16df975fcf1a
TAG_B=0b0e0f2a-7d8e-4c1f-9a3b-5c6d7e8f9a0b
DEV=cxl-vmem0
dir=$(mktemp -d /tmp/cxldcd-demo.XXXXXX)
pids=""
failed=0
stepno=0
t0=$(date +%s%N)

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
step() { stepno=$((stepno + 1)); printf '\n%d. %s\n' "$stepno" "$*"; }
ok() { printf '             [ok]   %s\n' "$*"; }
bad() { printf '             [FAIL] %s\n' "$*"; failed=$((failed + 1)); }

# run WHO CMD...: print the command and its output on the timeline; returns its status.
run() {
	who=$1
	shift
	printf '%8s ms  %-6s $ %s\n' "$(ms)" "$who" "$(echo "$*" | sed "s|$build/[^ ]*/||g; s|$dir/||g")"
	"$@" >"$dir/out" 2>&1
	rc=$?
	sed 's/^/                         /' "$dir/out"
	return $rc
}
ctl() { run fm "$CTLBIN" --qmp "unix:$dir/qmp.sock" "$@"; }
agent() { who=$1; shift; run "$who" "$HOSTBIN" --agent-socket "$dir/$who.sock" "$@"; }

# wait_status HOST TAG WANT: poll cxl-release-dynamic-capacity-status (10 s).
wait_status() {
	i=0
	while [ $i -lt 200 ]; do
		s=$("$CTLBIN" --qmp "unix:$dir/qmp.sock" status --device $DEV --host "$1" --tag "$2" 2>&1)
		case "$s" in "$3":*) break ;; esac
		i=$((i + 1))
		sleep 0.05
	done
	printf '%8s ms  fm     status host=%s tag=%.8s... -> %s\n' "$(ms)" "$1" "$2" "$s"
	case "$s" in "$3":*) return 0 ;; esac
	return 1
}

wait_file() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
	[ -S "$1" ]
}

echo "cxldcd demo: one DCD daemon, two host agents, an orchestrator CLI (files in $dir)"

step "start the device: 2 sharable DC regions of 4 GiB with no backing of their own, 2 hosts"
printf '%8s ms  dev    $ cxldcd -device cxl-type3,id=%s,num-dc-regions=2,dc-regions-total-size=8G,num-hosts=2,sharable=on ...\n' "$(ms)" "$DEV"
"$CXLDCD" -device "cxl-type3,id=$DEV,num-dc-regions=2,dc-regions-total-size=8G,num-hosts=2,sharable=on" \
	-qmp "unix:$dir/qmp.sock,server,wait=off" --fm "unix:$dir/fm.sock" \
	--host-socket "$dir/host.sock" 2>"$dir/daemon.log" &
pids="$pids $!"
if wait_file "$dir/qmp.sock" && wait_file "$dir/host.sock"; then ok "QMP, FM and host-link sockets up"
else bad "daemon did not start"; cat "$dir/daemon.log"; exit 1; fi

"$CTLBIN" --qmp "unix:$dir/qmp.sock" events --follow >"$dir/events.log" 2>&1 &
pids="$pids $!"

step "start two host agents (Linux DCD host semantics, accept everything, direct mapping)"
for h in 0 1; do
	"$HOSTBIN" --connect "$dir/host.sock" --host-id $h --accept all \
		--agent-socket "$dir/host$h.sock" >"$dir/host$h.log" 2>&1 &
	pids="$pids $!"
done
if wait_file "$dir/host0.sock" && wait_file "$dir/host1.sock"; then ok "host 0 and host 1 connected"
else bad "host agents did not start"; fi

step "create two tagged backends at run time (object-add)"
ctl backend-add memory-backend-ram tm0 256M --tag $TAG_A --share && ok "tm0: 256 MiB, tag A" || bad "tm0"
ctl backend-add memory-backend-tagged tm1 64M --tag $TAG_B --share && ok "tm1: 64 MiB, tag B" || bad "tm1"

step "prescriptive add of tag B to host 1: two 32 MiB extents that leave holes in region 1"
ctl add --device $DEV --host 1 --region 1 --policy prescriptive --tag $TAG_B \
	--extent 32M:32M --extent 96M:32M && ok "offered" || bad "add tag B"
wait_status 1 $TAG_B committed && ok "host 1 accepted tag B" || bad "tag B not committed"

step "free-policy add of 96 MiB with tag A to host 0: the device picks the free blocks"
ctl add --device $DEV --host 0 --region 1 --policy free --tag $TAG_A --size 96M && ok "offered" || bad "add tag A"
wait_status 0 $TAG_A committed && ok "host 0 accepted tag A" || bad "tag A not committed"
ctl list --device $DEV --host 0
n=$(grep -c "^0 .*$TAG_A.*accepted" "$dir/out")
[ "$n" -eq 3 ] && ok "one tag, three extents around tag B's capacity" || bad "tag A has $n extents, expected 3"

step "host 0 writes a pattern through its mapping of tag A (one contiguous range)"
agent host0 fill $TAG_A 0xa5 && ok "pattern written by host 0" || bad "fill"

step "enable-shared-access: host 1 gets tag A and reads host 0's data"
ctl add --device $DEV --host 1 --region 1 --policy enable-shared-access --tag $TAG_A && ok "offered" || bad "share"
wait_status 1 $TAG_A committed && ok "host 1 accepted tag A" || bad "tag A not committed on host 1"
agent host1 verify $TAG_A 0xa5 && ok "host 1 reads host 0's pattern: same memory" || bad "verify on host 1"

step "release tag A from host 0 (tag-based), status before and after"
wait_status 0 $TAG_A committed && ok "before: committed" || bad "before"
ctl release --device $DEV --host 0 --tag $TAG_A && ok "release requested" || bad "release"
wait_status 0 $TAG_A released && ok "after: released (host 0 gave all three extents back)" || bad "after"
agent host1 verify $TAG_A 0xa5 && ok "host 1 still reads the shared data" || bad "host 1 lost the data"

step "forced release of tag A from host 1: access revoked at once"
ctl release --device $DEV --host 1 --tag $TAG_A --forced && ok "forced release done" || bad "forced release"
wait_status 1 $TAG_A released && ok "host 1: released" || bad "host 1 status"
if agent host1 verify $TAG_A 0xa5; then bad "host 1 can still read tag A"
else ok "host 1 can no longer read tag A"; fi
ctl backend-del tm0 && ok "tm0 unbound: deleted" || bad "tm0 still bound"

step "QMP events the orchestrator saw"
# the events --follow process writes them as they come: wait for the last one (10 s)
i=0
while ! grep -q CXL_DC_FORCED_RELEASE "$dir/events.log" && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
sed 's/^/             /' "$dir/events.log"
grep -q CXL_DC_CAPACITY_ACCEPTED "$dir/events.log" && grep -q CXL_DC_CAPACITY_RELEASED "$dir/events.log" &&
	grep -q CXL_DC_FORCED_RELEASE "$dir/events.log" && ok "accepted, released and forced-release events" ||
	bad "events missing"

if [ $failed -eq 0 ]; then
	printf '\ndemo: %d steps, every check passed\n' $stepno
	exit 0
fi
printf '\ndemo: %d steps, %d checks FAILED (logs: daemon.log, host0.log, host1.log)\n' $stepno $failed
exit 1
