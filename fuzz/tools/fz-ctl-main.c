/* SPDX-License-Identifier: MIT */
/*
 * fz-ctl-main.c - cxldcd-ctl's main.c with main() renamed ctl_main(), and
 * its commands' files whose static stop flags a run must clear for the next
 * one (a signal's, or top's when the daemon closes): included here so that
 * fuzz-ctl.c can reset them (fz_ctl_reset()).  Nothing else changes.
 */
int ctl_main(int argc, char **argv);

#define main ctl_main
#include "../../tools/cxldcd-ctl/main.c"
#undef main
