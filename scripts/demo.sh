#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh BUILD - run the end-to-end demo built in BUILD.
set -eu
build=${1:-build}
exec "$build/tools/cxldcd-demo/cxldcd-demo"
