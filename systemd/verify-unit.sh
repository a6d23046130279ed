#!/bin/sh
# SPDX-License-Identifier: MIT
#
# verify-unit.sh UNIT CXLDCD: systemd-analyze verify says nothing about
# cxldcd.service (its ExecStart= pointed at the build's cxldcd), and
# systemd-analyze security rates its exposure at most 3.0 ("OK").  Skipped
# (77) without systemd-analyze; needs no running systemd.
set -u
unit=$1 cxldcd=$2
command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|^ExecStart=[^ ]*|ExecStart=$cxldcd|" "$unit" >"$tmp/cxldcd.service"
out=$(cd "$tmp" && systemd-analyze verify --man=no ./cxldcd.service 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	echo "systemd-analyze verify cxldcd.service: exit $rc"
	echo "$out"
	exit 1
fi
echo "systemd-analyze verify: clean"
# --offline (systemd 250 and later): rate the file, not a loaded unit.
sec=$(cd "$tmp" && systemd-analyze security --offline=yes ./cxldcd.service 2>&1 | tail -1)
echo "$sec"
level=$(echo "$sec" | sed -n 's/.*cxldcd.service: \([0-9.]*\) .*/\1/p')
[ -n "$level" ] || { echo "no exposure level (systemd older than 250?)"; exit 0; }
awk -v l="$level" 'BEGIN { exit !(l <= 3.0) }' || { echo "exposure $level > 3.0"; exit 1; }
