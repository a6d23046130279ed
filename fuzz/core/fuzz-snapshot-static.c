/* SPDX-License-Identifier: MIT */
/*
 * fuzz-snapshot-static.c - fuzz-snapshot (fuzz-snapshot.c) on the
 * static-only fuzz device (FZ_DEV_STATIC_ONLY, ../cci/steps.h: no DC
 * regions, only the static capacity and a 1 KiB LSA), whose snapshot has
 * no region, extent or tag section to read.  The input format is
 * fuzz-snapshot's: byte 0's bits still pick the mode, the many-tags limits,
 * static-host=1 and the allocation hook.  A target of its own because byte 0
 * has no free bit; corpus fuzz/corpus/snapshot-static.
 */
#include "../cci/steps.h"

#define FZ_SNAPSHOT_KIND FZ_DEV_STATIC_ONLY
#include "fuzz-snapshot.c"
