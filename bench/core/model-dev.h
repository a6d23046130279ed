/* SPDX-License-Identifier: MIT */
/*
 * model-dev.h - for the model benchmarks: the device they build (one
 * region of 256 GiB in blocks of blk bytes) and a tag of its own per item
 * (a header of static inline pieces, as drain.h: each benchmark is one file).
 */
#ifndef CXLDCD_BENCH_MODEL_DEV_H
#define CXLDCD_BENCH_MODEL_DEV_H

#include <string.h>

#include "core/core.h"

/* The defaults, one region of 256 GiB in blk-byte blocks, nr_hosts hosts; the caller sets the rest. */
static inline void bench_model_cfg(struct cxldcd_dev_cfg *cfg, uint64_t blk, uint16_t nr_hosts)
{
	core_cfg_default(cfg);
	cfg->nr_regions = 1;
	cfg->regions[0].len = cfg->regions[0].decode_len = 256ull << 30;
	cfg->regions[0].block_size = blk;
	cfg->regions[0].supported_block_mask = blk;
	cfg->nr_hosts = nr_hosts;
}

/* A tag of its own for item i: every byte depends on i. */
static inline void bench_tag_of(uint32_t i, uint8_t t[CXLDCD_TAG_SIZE])
{
	uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ull + 1, y = x ^ (x >> 29) ^ 0xabcdefull;

	memcpy(t, &x, 8);
	memcpy(t + 8, &y, 8);
}

#endif /* CXLDCD_BENCH_MODEL_DEV_H */
