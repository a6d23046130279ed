/* SPDX-License-Identifier: MIT */
/*
 * dproc-host.h - a real host (libcxldcd-host) on a daemon started with
 * dproc.h.  Header-only: the support library (qmp-client, dproc) does not
 * link libcxldcd-host; only the tests that do include this.
 */
#ifndef CXLDCD_TESTS_DPROC_HOST_H
#define CXLDCD_TESTS_DPROC_HOST_H

#include <poll.h>
#include <stddef.h>

#include "cxldcd/cxldcd-host.h"

/*
 * dproc_host_new() - cxldcd_host_new(cfg), retried every 25 ms for up to
 * 5 s while the daemon is still starting, then cxldcd_host_wait_ready()
 * within timeout_ms.  Return: 0 with *out set (caller frees with
 * cxldcd_host_free()), or the failing call's negative code with *out NULL.
 */
static inline int dproc_host_new(const struct cxldcd_host_cfg *cfg, struct cxldcd_host **out,
				 int timeout_ms)
{
	int rc = -1;

	*out = NULL;
	for (int i = 0; i < 200 && rc; i++) {
		rc = cxldcd_host_new(cfg, out);
		if (rc)
			poll(NULL, 0, 25);
	}
	if (!rc && (rc = cxldcd_host_wait_ready(*out, timeout_ms))) {
		cxldcd_host_free(*out);
		*out = NULL;
	}
	return rc;
}

#endif
