/* SPDX-License-Identifier: MIT */
/*
 * admin.c - device-wide administration: Set DC Region Configuration (5602h,
 * CXL r3.2 §7.6.7.6.3) and the expiry of pending groups (core_tick).
 */
#include <stdio.h>

#include "core/model.h"

#define X64(v) ((unsigned long long)(v))

enum cxldcd_rc core_region_set_config(struct cxldcd_dev *dev, uint8_t region, uint64_t block_size,
				      bool sanitize_on_release, struct cxldcd_diag *diag)
{
	struct core_region_cfg *r;

	if (region >= dev->cfg.nr_regions)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "region=%u invalid (nr_regions=%u)",
				 region, dev->cfg.nr_regions);
	r = &dev->cfg.regions[region];
	/* CXL r3.2 §7.6.7.6.3: Unsupported while any block is allocated on any LD. */
	if (dev->reg[region].allocated)
		return core_diag(diag, CXLDCD_RC_UNSUPPORTED, -1,
				 "region=%u still has 0x%llx bytes allocated", region,
				 X64(dev->reg[region].allocated));
	if (sanitize_on_release != r->sanitize_on_release && !r->sor_configurable)
		return core_diag(diag, CXLDCD_RC_UNSUPPORTED, -1,
				 "region=%u sanitize on release is not configurable", region);
	if (block_size < CXLDCD_MIN_BLOCK_SIZE || (block_size & (block_size - 1)) ||
	    !(block_size & r->supported_block_mask) || r->base % block_size || r->len % block_size)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "region=%u block_size=0x%llx not supported (mask=0x%llx)", region,
				 X64(block_size), X64(r->supported_block_mask));
	if (block_size == r->block_size && sanitize_on_release == r->sanitize_on_release)
		return CXLDCD_RC_SUCCESS;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		if (!evlog_free_slots(dev, h, CXLDCD_LOG_DC))
			return core_diag(diag, CXLDCD_RC_RETRY_REQUIRED, -1,
					 "region=%u host=%u dc event log is full", region, h);
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		if (evlog_reserve(dev, h, CXLDCD_LOG_DC, 1))
			return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	r->block_size = block_size;
	r->sanitize_on_release = sanitize_on_release;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		evlog_dc(dev, h, CXLDCD_DC_EV_REGION_CONFIG_UPDATED, 0, region, NULL, false);
	for (uint32_t i = 0; i < dev->nr_obs; i++)
		if (dev->obs[i].ops->region_configured)
			dev->obs[i].ops->region_configured(dev->obs[i].opaque, region);
	return CXLDCD_RC_SUCCESS;
}

uint32_t core_tick(struct cxldcd_dev *dev, uint64_t now_ns)
{
	uint64_t limit;
	uint32_t expired = 0;

	dev->now = now_ns;
	bgop_settle(dev);
	if (!dev->cfg.pending_timeout_ms)
		return 0;
	if (__builtin_mul_overflow(dev->cfg.pending_timeout_ms, 1000000ull, &limit))
		return 0;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++) {
		struct group *g;

		for (uint32_t at = 0; (g = pending_at(dev, h, at));) {
			uint64_t id = g->id;

			if (now_ns <= g->offered_ns || now_ns - g->offered_ns <= limit) {
				if (!dev->hosts[h].gq_unordered)
					break; /* offer times increase: the rest are in time too */
				at++;
				continue;
			}
			pending_reject(dev, h, at);
			expired++;
			for (uint32_t i = 0; i < dev->nr_obs; i++)
				if (dev->obs[i].ops->group_timeout)
					dev->obs[i].ops->group_timeout(dev->obs[i].opaque, h, id);
		}
	}
	return expired;
}
