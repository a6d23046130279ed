/* SPDX-License-Identifier: MIT */
/*
 * drain.h - for the model benchmarks: empty one owner's DC event log, so a
 * long run is not stopped by a full log (a header of static inline pieces:
 * each benchmark is one file).
 */
#ifndef CXLDCD_BENCH_DRAIN_H
#define CXLDCD_BENCH_DRAIN_H

#include "core/core.h"

static inline void bench_drain_dc_log(struct cxldcd_dev *dev, uint16_t owner)
{
	static struct cxldcd_event ev[4096];
	static uint16_t hd[4096];
	uint32_t n;

	do {
		core_evlog_get(dev, owner, 4, 4096, ev, &n, NULL);
		for (uint32_t i = 0; i < n; i++)
			hd[i] = ev[i].handle;
		core_evlog_clear(dev, owner, 4, false, hd, n, NULL);
	} while (n);
}

#endif /* CXLDCD_BENCH_DRAIN_H */
