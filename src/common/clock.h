/* SPDX-License-Identifier: MIT */
/*
 * clock.h - monotonic milliseconds, the one clock every deadline reads
 * (the daemon's loop, the store's lock wait, the host link, the host
 * library).  Header-only: the store and the host library link no common
 * code.
 */
#ifndef CXLDCD_COMMON_CLOCK_H
#define CXLDCD_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * The next pause of a doubling backoff: first after none (cur 0), else
 * twice cur, never more than max.
 */
static inline uint32_t clock_backoff_ms(uint32_t cur, uint32_t first, uint32_t max)
{
	return !cur ? first : cur >= max / 2 ? max : cur * 2;
}

#endif /* CXLDCD_COMMON_CLOCK_H */
