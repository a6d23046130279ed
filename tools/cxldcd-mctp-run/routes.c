/* SPDX-License-Identifier: MIT */
/*
 * routes.c - libcxldcd-mctp.so's reading of CXLDCD_MCTP_ROUTES (routes.h),
 * apart from the preloaded socket calls so that a test or a fuzz target
 * can call it.
 */
#include <stdlib.h>
#include <string.h>

#include "mctp/mctp.h"
#include "routes.h"

unsigned mctp_run_routes_parse(const char *s, struct mctp_run_route *out,
			       mctp_run_refused_fn *refused, void *arg)
{
	char *copy, *save = NULL, *item;
	unsigned n = 0;

	if (!s || !(copy = strdup(s)))
		return 0;
	for (item = strtok_r(copy, ";", &save); item && n < MCTP_RUN_MAX_ROUTES;
	     item = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(item, '='), *end, *bar;
		unsigned long eid;

		if (!eq)
			continue;
		*eq = '\0';
		bar = strchr(eq + 1, '|');
		if (bar)
			*bar++ = '\0';
		eid = strtoul(item, &end, 0);
		if (*end || eid < MCTP_EID_FIRST || eid >= MCTP_EID_BROADCAST ||
		    strlen(eq + 1) >= sizeof(out[0].addr) ||
		    (bar && strlen(bar) >= sizeof(out[0].addr08))) {
			if (refused)
				refused(arg, item);
			continue;
		}
		out[n].eid = (uint8_t)eid;
		strcpy(out[n].addr, eq + 1);
		strcpy(out[n].addr08, bar ? bar : "");
		n++;
	}
	free(copy);
	return n;
}
