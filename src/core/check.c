/* SPDX-License-Identifier: MIT */
/*
 * check.c - core_check_invariants(): recompute every derived value of the
 * model from scratch and compare (tree shapes and augmentations, overlap,
 * holders, counts, tag entries).  O(n): core_restore() runs it on every
 * snapshot it loads, as do the tests and fuzzers after each step.
 */
#include <stdio.h>

#include "core/model.h"

static int check_alloc(const struct cxldcd_dev *dev, const struct alloc *a, uint32_t *pend,
		       uint32_t *acc, char *msg, size_t cap)
{
	const struct core_region_cfg *rc = &dev->cfg.regions[a->region];
	uint32_t nh = 0;

	if (!a->len || (a->dpa | a->len) % rc->block_size || a->dpa < rc->base ||
	    alloc_end(a) > rc->base + rc->len)
		CHECK_FAIL("alloc dpa=0x%llx len=0x%llx misplaced", (unsigned long long)a->dpa,
		     (unsigned long long)a->len);
	if (a->orphan != !a->holders || (a->orphan && !(a->tag && tag_fm_ref(a->tag))))
		CHECK_FAIL("alloc dpa=0x%llx has no holder and no fm reference", (unsigned long long)a->dpa);
	if (a->tag && !rc->sharable && a->seq)
		CHECK_FAIL("alloc dpa=0x%llx non-sharable with seq", (unsigned long long)a->dpa);
	for (const struct hx *x = a->holders; x; x = x->a_next) {
		if (x->a != a || x->host >= dev->cfg.nr_hosts)
			CHECK_FAIL("hx of alloc dpa=0x%llx inconsistent", (unsigned long long)a->dpa);
		for (const struct hx *y = x->a_next; y; y = y->a_next)
			if (y->host == x->host)
				CHECK_FAIL("host=%u holds alloc dpa=0x%llx twice", x->host,
				     (unsigned long long)a->dpa);
		if (x->g)
			(*pend)++;
		else
			(*acc)++;
		nh++;
	}
	if (nh > 1 && !rc->sharable)
		CHECK_FAIL("non-sharable alloc dpa=0x%llx has %u holders", (unsigned long long)a->dpa, nh);
	return 0;
}

struct region_walk {
	const struct cxldcd_dev *dev;
	uint8_t r;
	uint64_t prev_end, bytes;
	uint32_t *pend, *acc, *orph;
	char *msg;
	size_t cap;
	bool said;                  /* msg says what is wrong */
};

/* One allocation of the region tree, in DPA order (bt_check_visit()). */
static int visit_alloc(void *ctx, uint64_t start, uint64_t end, void *val)
{
	struct region_walk *w = ctx;
	const struct alloc *a = val;
	char *msg = w->msg;
	size_t cap = w->cap;

	w->said = true;
	/* bt_check() holds the gap to start minus the end before, which this ties to the allocations */
	if (a->region != w->r || a->dpa < w->prev_end || start != a->dpa || end != alloc_end(a))
		CHECK_FAIL("region=%u alloc dpa=0x%llx overlaps or bad gap", w->r, (unsigned long long)a->dpa);
	if (check_alloc(w->dev, a, w->pend, w->acc, msg, cap))
		return -1;
	w->said = false;
	*w->orph += a->orphan;
	w->prev_end = alloc_end(a);
	w->bytes += a->len;
	return 0;
}

/* Each region tree rechecked and its allocations with it, in one walk. */
static int check_regions(const struct cxldcd_dev *dev, uint32_t *pend, uint32_t *acc,
			 uint32_t *orph, char *msg, size_t cap)
{
	for (uint8_t r = 0; r < dev->cfg.nr_regions; r++) {
		struct region_walk w = { .dev = dev, .r = r, .prev_end = dev->cfg.regions[r].base,
					 .pend = pend, .acc = acc, .orph = orph, .msg = msg, .cap = cap };

		if (bt_check_visit(&dev->reg[r].allocs, visit_alloc, &w)) {
			if (w.said)
				return -1;
			CHECK_FAIL("region=%u tree malformed", r);
		}
		if (w.bytes != dev->reg[r].allocated)
			CHECK_FAIL("region=%u allocated bytes mismatch", r);
	}
	return 0;
}

static int check_hosts(const struct cxldcd_dev *dev, uint32_t *pend, char *msg, size_t cap)
{
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++) {
		const struct host *ho = &dev->hosts[h];
		uint32_t ng = 0, nacc = 0;

		/* bt_check() rechecked the per-host tallies; they must add up to nr_acc. */
		for (uint8_t r = 0; r < dev->cfg.nr_regions; r++)
			nacc += bt_tally_count(&dev->reg[r].allocs, h);
		if (nacc != ho->nr_acc)
			CHECK_FAIL("host=%u nr_acc=%u, tallied %u", h, ho->nr_acc, nacc);
		for (const struct group *g; (g = pending_at(dev, h, ng)); ng++) {
			if (ng && pending_at(dev, h, ng - 1)->id >= g->id)
				CHECK_FAIL("host=%u group ids out of offer order", h);
			if (pending_find(dev, h, g->id) != (int32_t)ng)
				CHECK_FAIL("host=%u group=%llu not found by id", h, (unsigned long long)g->id);
			for (uint32_t i = 0; i < g->nr; i++, (*pend)++)
				if (g->x[i]->g != g || g->x[i]->host != h ||
				    alloc_holder(g->x[i]->a, h) != g->x[i])
					CHECK_FAIL("host=%u group=%llu extent %u inconsistent", h,
					     (unsigned long long)g->id, i);
		}
		if (ng != ho->nr_groups)
			CHECK_FAIL("host=%u nr_groups=%u counted %u", h, ho->nr_groups, ng);
	}
	return 0;
}

/* One live tag against its allocations and holders; adds to held[h] when host h holds it. */
static int check_tag(const struct cxldcd_dev *dev, const struct tag *t, uint32_t *held, char *msg,
		     size_t cap)
{
	uint32_t cnt[2 * CXLDCD_MAX_HOSTS], na = 0, nc = 2u * dev->cfg.nr_hosts;
	uint64_t bytes = 0;

	memset(cnt, 0, sizeof(cnt[0]) * nc);
	for (const struct alloc *a = tag_first(t), *nx; a; a = nx, na++) {
		nx = alloc_tag_next(dev, a);
		if (a->tag != t || (nx && nx->tag_prev != alloc_ref(a)) ||
		    (!nx && tag_first(t)->tag_prev != alloc_ref(a)))
			CHECK_FAIL("tag list broken");
		if (dev->cfg.regions[a->region].sharable != tag_sharable(t))
			CHECK_FAIL("tag sharable flag disagrees with region=%u", a->region);
		bytes += a->len;
		for (const struct hx *x = a->holders; x; x = x->a_next)
			cnt[2 * x->host + (x->g ? 0u : 1u)]++;
	}
	if (!na || na != t->nr_allocs || bytes != t->bytes)
		CHECK_FAIL("tag nr_allocs=%u bytes=0x%llx recount %u 0x%llx", t->nr_allocs,
		     (unsigned long long)t->bytes, na, (unsigned long long)bytes);
	if (memcmp(cnt, t->cnt, sizeof(cnt[0]) * nc))
		CHECK_FAIL("tag per-host counts disagree");
	if (!tag_sharable(t) && tag_holder(dev, t) >= 0) {
		for (uint16_t h = (uint16_t)(tag_holder(dev, t) + 1); h < dev->cfg.nr_hosts; h++)
			if (cnt[2 * h] || cnt[2 * h + 1])
				CHECK_FAIL("non-sharable tag held by two hosts");
	}
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		held[h] += cnt[2 * h] || cnt[2 * h + 1];
	return 0;
}

static int check_tags(const struct cxldcd_dev *dev, char *msg, size_t cap)
{
	uint32_t held[CXLDCD_MAX_HOSTS] = { 0 }, nt = 0;

	/* The indexes first, each in O(n): then the slots hold the live tags in creation order. */
	if (tag_order_check(dev, msg, cap) || tag_hash_check(dev, msg, cap))
		return -1;
	for (uint32_t s = 0; s < dev->tag_used; s++) {
		if (!dev->tag_slot[s])
			continue;
		if (check_tag(dev, dev->tag_slot[s], held, msg, cap))
			return -1;
		nt++;
	}
	if (nt != dev->nr_tags)
		CHECK_FAIL("nr_tags=%u counted %u", dev->nr_tags, nt);
	return tag_host_check(dev, held, msg, cap);
}

int core_check_invariants(const struct cxldcd_dev *dev, char *msg, size_t cap)
{
	uint32_t pend = 0, acc = 0, orph = 0, gpend = 0, tacc = 0;

	if (check_regions(dev, &pend, &acc, &orph, msg, cap) || check_hosts(dev, &gpend, msg, cap) ||
	    check_tags(dev, msg, cap))
		return -1;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		tacc += dev->hosts[h].nr_acc;
	if (pend != dev->nr_pending || gpend != pend)
		CHECK_FAIL("pending count %u, holders %u, groups %u", dev->nr_pending, pend, gpend);
	if (acc != dev->nr_accepted || tacc != acc)
		CHECK_FAIL("accepted count %u, holders %u, trees %u", dev->nr_accepted, acc, tacc);
	if (orph != dev->nr_orphans)
		CHECK_FAIL("orphan count %u, counted %u", dev->nr_orphans, orph);
	if (core_used_extents(dev) > dev->cfg.max_extents)
		CHECK_FAIL("used extents %u exceed max_extents=%u", core_used_extents(dev), dev->cfg.max_extents);
	if (dev->nr_tags > dev->cfg.max_tags)
		CHECK_FAIL("tags %u exceed max_tags=%u", dev->nr_tags, dev->cfg.max_tags);
	if (!feat_consistent(dev))
		CHECK_FAIL("feature values or Set Feature transfer state out of range");
	if (msg && cap)
		msg[0] = 0;
	return 0;
}
