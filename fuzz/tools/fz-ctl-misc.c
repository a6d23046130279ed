/* SPDX-License-Identifier: MIT */
/* fz-ctl-misc.c - cxldcd-ctl's cmd-misc.c, and a reset of its stop flag (fz-ctl-main.c). */
#include "../../tools/cxldcd-ctl/cmd-misc.c"

void fz_ctl_misc_reset(void);

void fz_ctl_misc_reset(void)
{
	stop_events = 0;
}
