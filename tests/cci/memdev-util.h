/* SPDX-License-Identifier: MIT */
/*
 * memdev-util.h - what the tests of the memory-device commands beyond
 * Dynamic Capacity share (test-cci-memdev, -poison, -scan, -memdev-snap,
 * -memdev-codec): the fixture's variants (an LSA, a persistent memdev)
 * and the request layouts they build.
 */
#ifndef CXLDCD_TESTS_CCI_MEMDEV_UTIL_H
#define CXLDCD_TESTS_CCI_MEMDEV_UTIL_H

#include "fixture.h"

#include "cci/memdev.h"

#define LSA_SIZE 0x400u

static inline int setup_lsa(void **state)
{
	struct cxldcd_dev_cfg cfg;

	fx_cfg(&cfg);
	cfg.lsa_size = LSA_SIZE;
	cfg.regions[0].sanitize_on_release = true;
	return setup_cfg(state, &cfg);
}

/* QEMU's layout: 1 GiB volatile-memdev, 512 MiB persistent-memdev, the DC regions after both. */
static inline int setup_pmem(void **state)
{
	struct cxldcd_dev_cfg cfg;

	fx_cfg(&cfg);
	cfg.static_capacity = GIB + 512 * MIB;
	cfg.persistent_capacity = 512 * MIB;
	cfg.lsa_size = LSA_SIZE;
	return setup_cfg(state, &cfg);
}

static inline void scan_in(uint8_t *in, uint64_t dpa, uint64_t units, uint8_t flags)
{
	g64(in, 0, dpa);
	g64(in, 8, units);
	g8(in, 0x10, flags);
}

#endif /* CXLDCD_TESTS_CCI_MEMDEV_UTIL_H */
