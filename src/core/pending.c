/* SPDX-License-Identifier: MIT */
/*
 * pending.c - each host's pending groups (offered, not yet answered), in
 * offer order: a ring of group pointers per host, so the n-th group is one
 * array read and a group is found by id with a binary search (ids increase
 * in offer order).  The host answers the oldest group (pop at the front);
 * only a timeout removes one from elsewhere, shifting the shorter side.
 * While offer times only increase along the queue (the clock did not step
 * back), the groups core_tick() expires are a prefix and it stops at the
 * first one still in time.
 * The ring grows before an add commits (pending_reserve()), so a failed
 * allocation leaves every queue as it was.  Its two arrays are index
 * nodes (core_node_zalloc()): a restore carves them from the node chunk it
 * opens for its groups, so their pages are not a small-page fault each
 * (the heap's, 256 KiB for 10,000 groups: docs/performance.md, "Session
 * 12: restore"), and otherwise they are heap blocks as before.
 *
 * Beside each group the ring keeps a prefix count (gq_before): the host's
 * pending extents queued before it, plus a constant, so the k-th pending
 * extent of the host is found by a binary search over the groups.  A push
 * sets it from the group before; popping the oldest changes nothing; a
 * removal from the middle adjusts the side it shifts anyway.
 */
#include "core/model.h"

static inline uint32_t slot(const struct host *h, uint32_t idx)
{
	return (h->gq_head + idx) & (h->gq_cap - 1);
}

int pending_reserve(struct cxldcd_dev *dev, uint16_t host)
{
	return pending_reserve_n(dev, host, 1);
}

int pending_reserve_n(struct cxldcd_dev *dev, uint16_t host, uint32_t k)
{
	struct host *h = &dev->hosts[host];
	struct group **nw;
	uint64_t *nb;
	uint32_t cap;

	if (k <= h->gq_cap - h->nr_groups)
		return 0;
	cap = h->gq_cap ? h->gq_cap : 8;
	while (cap - h->nr_groups < k) {
		if (cap > UINT32_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	nw = core_node_zalloc(dev, sizeof(*nw) * cap);
	nb = nw ? core_node_zalloc(dev, sizeof(*nb) * cap) : NULL;
	if (!nb) {
		core_node_free(dev, nw);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < h->nr_groups; i++) {
		nw[i] = h->gq[slot(h, i)];
		nb[i] = h->gq_before[slot(h, i)];
	}
	core_node_free(dev, h->gq);
	core_node_free(dev, h->gq_before);
	h->gq = nw;
	h->gq_before = nb;
	h->gq_cap = cap;
	h->gq_head = 0;
	return 0;
}

void pending_push(struct cxldcd_dev *dev, uint16_t host, struct group *g)
{
	struct host *h = &dev->hosts[host];

	uint32_t last = h->nr_groups ? slot(h, h->nr_groups - 1) : 0;

	if (h->nr_groups && g->offered_ns < h->gq[last]->offered_ns)
		h->gq_unordered = true;
	h->gq_before[slot(h, h->nr_groups)] = h->nr_groups ? h->gq_before[last] + h->gq[last]->nr : 0;
	h->gq[slot(h, h->nr_groups)] = g;
	h->nr_groups++;
}

struct group *pending_at(const struct cxldcd_dev *dev, uint16_t host, uint32_t idx)
{
	const struct host *h;

	if (!core_host_ok(dev, host))
		return NULL;
	h = &dev->hosts[host];
	return idx < h->nr_groups ? h->gq[slot(h, idx)] : NULL;
}

int32_t pending_find(const struct cxldcd_dev *dev, uint16_t host, uint64_t id)
{
	const struct host *h;
	uint32_t lo = 0, hi;

	if (!core_host_ok(dev, host))
		return -1;
	h = &dev->hosts[host];
	hi = h->nr_groups;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (h->gq[slot(h, mid)]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->nr_groups && h->gq[slot(h, lo)]->id == id ? (int32_t)lo : -1;
}

void pending_remove(struct cxldcd_dev *dev, uint16_t host, uint32_t idx)
{
	struct host *h = &dev->hosts[host];
	struct group *g = h->gq[slot(h, idx)];

	/* the side that moves takes g's extents into its prefix counts */
	if (idx < h->nr_groups / 2) {
		for (uint32_t i = idx; i > 0; i--) {
			h->gq[slot(h, i)] = h->gq[slot(h, i - 1)];
			h->gq_before[slot(h, i)] = h->gq_before[slot(h, i - 1)] + g->nr;
		}
		h->gq_head = slot(h, 1);
	} else {
		for (uint32_t i = idx; i + 1 < h->nr_groups; i++) {
			h->gq[slot(h, i)] = h->gq[slot(h, i + 1)];
			h->gq_before[slot(h, i)] = h->gq_before[slot(h, i + 1)] - g->nr;
		}
	}
	h->nr_groups--;
	if (!h->nr_groups) {
		h->gq_head = 0;
		h->gq_unordered = false;
	}
	core_node_free(dev, g);     /* a restored group may come from a node chunk */
}

void pending_reject(struct cxldcd_dev *dev, uint16_t host, uint32_t idx)
{
	struct group *g = pending_at(dev, host, idx);

	for (uint32_t i = 0; i < g->nr; i++)
		hx_drop(dev, g->x[i]);
	pending_remove(dev, host, idx);
}

void pending_fini(struct cxldcd_dev *dev, uint16_t host)
{
	struct host *h = &dev->hosts[host];

	for (uint32_t i = 0; i < h->nr_groups; i++)
		core_node_free(dev, h->gq[slot(h, i)]);
	core_node_free(dev, h->gq);
	core_node_free(dev, h->gq_before);
	h->gq = NULL;
	h->gq_before = NULL;
	h->nr_groups = h->gq_cap = h->gq_head = 0;
}

/* ------------------------------------------------------------ queries */

uint32_t core_pending_count(const struct cxldcd_dev *dev, uint16_t host)
{
	return core_host_ok(dev, host) ? dev->hosts[host].nr_groups : 0;
}

int core_pending_get(const struct cxldcd_dev *dev, uint16_t host, uint32_t idx,
		     struct core_group_info *out)
{
	const struct group *g = pending_at(dev, host, idx);

	if (!g)
		return -EINVAL;
	out->id = g->id;
	out->nr_extents = g->nr;
	out->dead = g->dead;
	out->offered_ns = g->offered_ns;
	return 0;
}

int core_pending_find(const struct cxldcd_dev *dev, uint16_t host, uint64_t group_id,
		      uint32_t *idx)
{
	int32_t i = pending_find(dev, host, group_id);

	if (i < 0)
		return -ENOENT;
	*idx = (uint32_t)i;
	return 0;
}

enum cxldcd_rc core_pending_extents(const struct cxldcd_dev *dev, uint16_t host, uint32_t idx,
				    uint32_t start, uint32_t max, struct cxldcd_extent *out,
				    uint32_t *nr_out)
{
	const struct group *g = pending_at(dev, host, idx);
	struct core_extent_info info;
	uint32_t i;

	*nr_out = 0;
	if (!g || start > g->nr)
		return CXLDCD_RC_INVALID_INPUT;
	for (i = 0; i < max && start + i < g->nr; i++) {
		core_info(dev, g->x[start + i], &info);
		out[i] = info.ext;
	}
	*nr_out = i;
	return CXLDCD_RC_SUCCESS;
}

/* Pending extents before the idx-th group (idx <= nr_groups). */
static uint64_t before(const struct host *h, uint32_t idx)
{
	uint64_t base = h->gq_before[h->gq_head];

	if (idx < h->nr_groups)
		return h->gq_before[slot(h, idx)] - base;
	return h->gq_before[slot(h, idx - 1)] + h->gq[slot(h, idx - 1)]->nr - base;
}

uint64_t core_pending_extent_total(const struct cxldcd_dev *dev, uint16_t host)
{
	const struct host *h;

	if (!core_host_ok(dev, host))
		return 0;
	h = &dev->hosts[host];
	return h->nr_groups ? before(h, h->nr_groups) : 0;
}

int core_pending_locate(const struct cxldcd_dev *dev, uint16_t host, uint64_t pos,
			uint32_t *idx, uint32_t *off)
{
	const struct host *h;
	uint32_t lo = 0, hi;

	if (pos >= core_pending_extent_total(dev, host))
		return -ENOENT;
	h = &dev->hosts[host];
	/* the last group that starts at or before pos */
	hi = h->nr_groups - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (before(h, mid) <= pos)
			lo = mid;
		else
			hi = mid - 1;
	}
	*idx = lo;
	*off = (uint32_t)(pos - before(h, lo));
	return 0;
}

void pending_footprint(const struct cxldcd_dev *dev, size_t *groups, size_t *rings)
{
	*groups = *rings = 0;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++) {
		if (!core_node_chunked(dev, dev->hosts[h].gq))   /* else counted with the chunks */
			*rings += (sizeof(struct group *) + sizeof(uint64_t)) * dev->hosts[h].gq_cap;
		for (uint32_t i = 0; i < dev->hosts[h].nr_groups; i++)
			*groups += sizeof(struct group) +
				   sizeof(struct hx *) * pending_at(dev, h, i)->nr;
	}
}
