/* SPDX-License-Identifier: MIT */
/*
 * host-util.h - dev-util.h for the tests that also run a real host
 * (libcxldcd-host, dproc-host.h) beside the daemon.
 */
#ifndef CXLDCD_TESTS_HOST_UTIL_H
#define CXLDCD_TESTS_HOST_UTIL_H

#include "dev-util.h"
#include "dproc-host.h"

/*
 * Offer host 0 of @dev the first 2 MiB of region 0 (QMP, prescriptive) and
 * run the agent @h (accept all) until the device lists the extent as its.
 */
static inline void give_host0_2m(struct qmp_client *c, const char *dev, struct cxldcd_host *h)
{
	ok(qmp_client_cmdf(c, TMO, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			   "\"path\":\"%s\",\"host-id\":0,\"selection-policy\":\"prescriptive\","
			   "\"region\":0,\"extents\":[{\"offset\":0,\"len\":2097152}]}}", dev));
	for (int i = 0; i < 500 && qmp_host_extent_count(c, dev, 0) != 1; i++)
		cxldcd_host_run_once(h, 20);
	assert_int_equal(qmp_host_extent_count(c, dev, 0), 1);
}

#endif
