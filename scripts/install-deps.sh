#!/bin/sh
# SPDX-License-Identifier: MIT
#
# install-deps.sh - install every Debian 12 package cxldcd's build, tests,
# fuzzers and benchmarks need.  Idempotent: does nothing when all are present.
# Run as root (or through sudo).
set -eu

PKGS="build-essential pkg-config meson ninja-build
      libcmocka-dev libjansson-dev libsqlite3-dev uuid-dev
      clang libclang-rt-14-dev scdoc tmux"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "install-deps: missing:$missing; run me as root" >&2
		exit 1
	fi
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
