/* SPDX-License-Identifier: MIT */
/*
 * walk.c - a host's accepted extents as runs (core_extent_runs()): what a
 * start's bind reads (mem_dev_sync()).  Extents back to back in the DPA
 * are joined from the region tree's leaves (each entry's start and end),
 * so a run of extents costs one full info (its first) and a step per
 * extent, not an info each: 100,000 adjacent extents are one run.
 */
#include "core/model.h"

/* Position c on the host's idx-th accepted extent from region position *k on. */
static bool runs_seek(const struct cxldcd_dev *dev, uint16_t host, uint8_t *k, uint32_t idx,
		      struct bt_cur *c)
{
	for (; *k < dev->cfg.nr_regions; (*k)++) {
		const struct bt_tree *t = &dev->reg[dev->reg_order[*k]].allocs;
		uint32_t n = bt_tally_count(t, host);

		if (idx < n)
			return bt_tally_nth(t, host, idx, c);
		idx -= n;
	}
	return false;
}

enum cxldcd_rc core_extent_runs(const struct cxldcd_dev *dev, uint16_t host, uint32_t start,
				bool by_tag, uint32_t max, struct core_extent_run *out,
				uint32_t *nr_out)
{
	struct bt_cur c;
	uint8_t k = 0;
	uint32_t i = 0;
	bool ok;

	*nr_out = 0;
	if (!core_host_ok(dev, host) || start > dev->hosts[host].nr_acc)
		return CXLDCD_RC_INVALID_INPUT;
	for (ok = max && runs_seek(dev, host, &k, start, &c); ok && i < max; i++) {
		const struct bt_tree *t = &dev->reg[dev->reg_order[k]].allocs;
		const struct alloc *a = bt_val(&c);
		const struct tag *tag = a->tag;
		struct core_extent_run *r = &out[i];
		uint64_t end = bt_end(&c), tag_end = a->tag_offset + a->len;
		bool join;

		core_info(dev, alloc_holder(a, host), &r->x);
		r->nr = 1;
		r->len_bits = a->len;
		/* a shared extent is a grant of its own; with tags, an untagged one joins nothing */
		join = !r->x.sharable && (!by_tag || tag);
		while ((ok = bt_tally_next(&c, t, host)) && join && bt_start(&c) == end) {
			uint64_t len = bt_end(&c) - end;

			if (by_tag) {
				const struct alloc *b = bt_val(&c);

				if (b->tag != tag || b->tag_offset != tag_end)
					break;
				tag_end += len;
			}
			end += len;
			r->nr++;
			r->len_bits |= len;
		}
		r->x.ext.len = end - r->x.ext.dpa;
		if (!ok) {      /* the region's last: the next region's first */
			k++;
			ok = runs_seek(dev, host, &k, 0, &c);
		}
	}
	*nr_out = i;
	return CXLDCD_RC_SUCCESS;
}
