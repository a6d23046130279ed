#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-install.sh BUILD SRCDIR - meson install into a temporary DESTDIR,
# check that the programs, the library, its header and pkg-config file, the
# man pages (when scdoc built them) and the bash completions are there, then
# build examples/hello-host.c against the installed tree with pkg-config, as
# a user would, and run it (it must load the installed library).
set -eu
build=$1
src=$2
dest=$(mktemp -d /tmp/cxldcd-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }

meson install -C "$build" --no-rebuild --destdir "$dest" >"$dest/install.log" 2>&1 ||
	{ cat "$dest/install.log" >&2; fail "meson install failed"; }
prefix=$(meson introspect "$build" --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
root=$dest$prefix
for p in cxldcd cxldcd-ctl cxldcd-host cxldcd-demo cxldcd-mctp-run; do
	[ -x "$root/bin/$p" ] || fail "bin/$p missing"
	[ -f "$root/share/bash-completion/completions/$p" ] || [ "$p" = cxldcd-demo ] ||
		fail "bash completion for $p missing"
	if command -v scdoc >/dev/null 2>&1; then
		[ -s "$root/share/man/man1/$p.1" ] || fail "man page $p.1 missing"
	fi
done
# cxldcd.service (systemd/meson.build) runs the installed daemon and reads the installed default file.
unitdir=$(meson introspect "$build" --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="systemdsystemunitdir"))')
unit=$(find "$dest" -name cxldcd.service | head -n 1)
if [ "$unitdir" = no ]; then
	[ -z "$unit" ] || fail "cxldcd.service installed with -Dsystemdsystemunitdir=no"
else
	[ -n "$unit" ] || fail "cxldcd.service missing"
	grep -q "^ExecStart=$prefix/bin/cxldcd " "$unit" || fail "cxldcd.service: ExecStart is not $prefix/bin/cxldcd"
	envfile=$(sed -n 's/^EnvironmentFile=-//p' "$unit")
	[ -f "$dest$envfile" ] || fail "cxldcd.service: EnvironmentFile $envfile not installed"
fi
# The AF_MCTP preload library, and the wrapper loading it into a program.
mctp=$(find "$root" -name libcxldcd-mctp.so | head -n 1)
[ -n "$mctp" ] || fail "libcxldcd-mctp.so missing"
CXLDCD_MCTP_PRELOAD=$mctp "$root/bin/cxldcd-mctp-run" --fm unix:/nonexistent -- sh -c 'exit 0' ||
	fail "cxldcd-mctp-run cannot run a program with $mctp"
[ -f "$root/include/cxldcd/cxldcd-host.h" ] || fail "include/cxldcd/cxldcd-host.h missing"
pc=$(find "$root" -name libcxldcd-host.pc | head -n 1)
[ -n "$pc" ] || fail "libcxldcd-host.pc missing"
flags=$(PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$(dirname "$pc") \
	pkg-config --cflags --libs libcxldcd-host) || fail "pkg-config libcxldcd-host failed"
# shellcheck disable=SC2086
cc -std=gnu11 -Wall -Wextra -Werror "$src/examples/hello-host.c" $flags -o "$dest/hello-host" ||
	fail "hello-host does not build with: $flags"
libdir=$(dirname "$(dirname "$pc")")
out=$(LD_LIBRARY_PATH=$libdir "$dest/hello-host" "$dest/no-such.sock" 2>&1) && fail "hello-host ran without a daemon"
case $out in
*"cannot connect to $dest/no-such.sock"*) ;;
*) fail "hello-host from the installed tree: $out" ;;
esac
LD_LIBRARY_PATH=$libdir ldd "$dest/hello-host" | grep -q "$libdir/libcxldcd-host.so" ||
	fail "hello-host did not load the installed libcxldcd-host"
echo "check-install: ok ($flags)"
