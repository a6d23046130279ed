/* SPDX-License-Identifier: MIT */
/* fz-ctl-map.c - cxldcd-ctl's cmd-map.c, and a reset of its stop flag (fz-ctl-main.c). */
#include "../../tools/cxldcd-ctl/cmd-map.c"

void fz_ctl_map_reset(void);

void fz_ctl_map_reset(void)
{
	stop_top = 0;
}
