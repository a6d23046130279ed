#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-hello-host.sh BUILD HELLO-HOST - run the example application against a
# real daemon, every program on its default socket (XDG_RUNTIME_DIR is a
# private temporary directory): cxldcd, hello-host, then cxldcd-ctl offers
# 4 MiB to host 0; hello-host must write and read it back, exit 0 and print
# exactly the expected lines.
set -eu
build=$1
example=$2
dir=$(mktemp -d /tmp/cxldcd-example.XXXXXX)
dpid=""
epid=""
cleanup() {
	[ -n "$epid" ] && kill "$epid" 2>/dev/null
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "run-hello-host: $*" >&2
	echo "--- daemon:" >&2; cat "$dir/daemon.log" >&2 || true
	echo "--- hello-host:" >&2; cat "$dir/example.out" >&2 || true
	exit 1
}
XDG_RUNTIME_DIR=$dir
export XDG_RUNTIME_DIR

"$build/src/server/cxldcd" -object memory-backend-memfd,id=m0,size=256M \
	-device cxl-type3,id=cxl-dcd0,num-dc-regions=1,volatile-dc-memdev=m0 \
	2>"$dir/daemon.log" &
dpid=$!
i=0
until [ -S "$dir/cxldcd/host.sock" ] && [ -S "$dir/cxldcd/qmp.sock" ]; do
	i=$((i + 1)); [ $i -lt 500 ] || fail "the daemon did not start"; sleep 0.01
done
"$example" >"$dir/example.out" 2>&1 &
epid=$!
i=0
until grep -q "waiting for capacity" "$dir/example.out"; do
	i=$((i + 1)); [ $i -lt 1000 ] || fail "hello-host did not get ready"; sleep 0.01
done
"$build/tools/cxldcd-ctl/cxldcd-ctl" add --device cxl-dcd0 --host 0 --size 4M >/dev/null ||
	fail "cxldcd-ctl add failed"
st=0
wait "$epid" || st=$?
epid=""
[ "$st" -eq 0 ] || fail "hello-host exited $st"
# Every line, in order: the events in cxldcd-host's shape (NAME tag=TAG text;
# the daemon's volatile-dc-memdev extents are untagged: tag=-), the
# example's own lines behind "hello-host: ".
cat >"$dir/expected" <<EOF
ready tag=- host=0 regions=1
hello-host: host 0 ready on $dir/cxldcd/host.sock, waiting for capacity
group-added tag=- id=1 extents=1 size=0x400000 mapped=yes
hello-host: group 1: 4194304 bytes written and read back, 0 wrong
group-released tag=- id=1 extents=1 size=0x400000
EOF
diff -u "$dir/expected" "$dir/example.out" >&2 || fail "unexpected output"
cat "$dir/example.out"
