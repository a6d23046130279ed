/* SPDX-License-Identifier: MIT */
/*
 * walk.c - a host's accepted extents as runs (core_extent_runs()): what a
 * start's bind reads (mem_dev_sync()).  Extents back to back in the DPA
 * are joined from the region tree's leaves (each entry's start and end),
 * so a run of extents costs one full info (its first) and a step per
 * extent, not an info each: 100,000 adjacent extents are one run.
 */
#include "core/model.h"

/*
 * In a leaf whose every entry the host holds accepted (its tally in the
 * parent says so: a value counts once at most), the run goes on along the
 * leaf's start and end arrays, with no tally step and no value read per
 * entry; past the leaf's end, over each next leaf of the same parent that
 * the host holds whole (tally = count) with no gap in it (its gap maximum
 * 0: each entry starts where the one before it ends, the leaf's first
 * where this one's last ends), reading only its last end.  c moves to the
 * run's last entry so far (whence the next step).
 */
static void leaf_run(struct bt_cur *c, const struct bt_tree *t, uint16_t host, uint64_t *end,
		     struct core_extent_run *r)
{
	uint32_t d = c->depth, i = bt_pos(c), j = i;
	const struct bt_node *lf = bt_leaf(c), *p;

	if (d < 2 || !t->pool->ops->unit)
		return;
	p = c->lv[d - 2].n;
	if (bt_tally_get(p, c->lv[d - 2].i, host) != lf->n)
		return;
	while (j + 1 < lf->n && lf->key[j + 1] == lf->l.end[j])
		j++;
	r->nr += j - i;
	*end = lf->l.end[j];
	c->lv[d - 1].i = j;
	if (j + 1 < lf->n || !t->gaps)
		return;
	for (uint32_t k = c->lv[d - 2].i + 1;
	     k < p->n && !p->in.maxgap[k] && bt_tally_get(p, k, host) == p->in.cnt[k]; k++) {
		if (k + 1 < p->n) {     /* the leaf after it: its count and last end are read next */
			__builtin_prefetch(p->in.child[k + 1]);
			__builtin_prefetch(&p->in.child[k + 1]->l.end[BT_MIN]);
			__builtin_prefetch(&p->in.child[k + 1]->l.end[BT_B - 1]);
		}
		lf = p->in.child[k];
		r->nr += lf->n;
		*end = lf->l.end[lf->n - 1];
		c->lv[d - 2].i = k;
		c->lv[d - 1].n = p->in.child[k];
		c->lv[d - 1].i = lf->n - 1;
	}
	/* the next leaf's arrays start loading (the run may go on into it) */
	lf = bt_leaf_after(c);
	for (uint32_t k = 0; lf && k < BT_B; k += 8) {
		__builtin_prefetch(&lf->key[k]);
		__builtin_prefetch(&lf->l.end[k]);
	}
}

/* With tags, each entry's value is read: start loading a leaf's all at once when the walk enters it. */
static void leaf_warm(const struct bt_cur *c)
{
	const struct bt_node *lf = bt_leaf(c);

	for (uint32_t k = bt_pos(c); k < lf->n; k++)
		__builtin_prefetch(lf->l.val[k]);
}

/* Runs are found a page at a time (their first allocations gathered), then described. */
#define RUNS_BATCH 64u

enum cxldcd_rc core_extent_runs(const struct cxldcd_dev *dev, uint16_t host, uint32_t start,
				bool by_tag, uint32_t max, struct core_extent_run *out,
				uint32_t *nr_out)
{
	struct host_walk w = { .dev = dev, .host = host };
	const struct alloc *first[RUNS_BATCH];
	uint64_t len[RUNS_BATCH];
	uint32_t i = 0;
	bool ok;

	*nr_out = 0;
	if (!core_host_ok(dev, host) || start > dev->hosts[host].nr_acc)
		return CXLDCD_RC_INVALID_INPUT;
	ok = max && host_seek(&w, start);
	if (ok && by_tag)
		leaf_warm(&w.c);
	while (ok && i < max) {
		uint32_t n = 0, base = i;

		/*
		 * Where up to RUNS_BATCH runs start and end: the leaves' arrays
		 * (and with tags each value); then their first extents' infos,
		 * whose allocations, holds and tags load side by side, as
		 * core_extent_list_info() reads a page.
		 */
		for (; ok && n < RUNS_BATCH && i < max; n++, i++) {
			const struct bt_tree *t = &dev->reg[dev->reg_order[w.k]].allocs;
			const struct alloc *a = bt_val(&w.c);
			const struct tag *tag = NULL;
			struct core_extent_run *r = &out[i];
			uint64_t s0 = bt_start(&w.c), end = bt_end(&w.c), tag_end = 0;
			/* a shared extent is a grant of its own; with tags, an untagged one joins nothing */
			bool join = !dev->cfg.regions[dev->reg_order[w.k]].sharable, tag_read = false;

			__builtin_prefetch(a);
			first[n] = a;
			r->nr = 1;
			for (;;) {
				uint64_t l;

				if (join && !by_tag)
					leaf_run(&w.c, t, host, &end, r);
				ok = bt_tally_next(&w.c, t, host);
				if (ok && by_tag && !bt_pos(&w.c))
					leaf_warm(&w.c);
				if (!ok || !join || bt_start(&w.c) != end)
					break;
				l = bt_end(&w.c) - end;
				if (by_tag) {   /* the values are read only where extents are back to back */
					const struct alloc *b = bt_val(&w.c);

					if (!tag_read) {
						tag = a->tag;
						tag_end = a->tag_offset + (end - s0);
						tag_read = true;
					}
					if (!tag || b->tag != tag || b->tag_offset != tag_end)
						break;
					tag_end += l;
				}
				end += l;
				r->nr++;
			}
			len[n] = end - s0;
			if (!ok) {      /* the region's last: the next region's first */
				w.k++;
				ok = host_seek(&w, 0);
				if (ok && by_tag)
					leaf_warm(&w.c);
			}
		}
		for (uint32_t j = 0; j < n; j++) {
			__builtin_prefetch(first[j]->holders);
			if (first[j]->tag)
				__builtin_prefetch(first[j]->tag);
		}
		for (uint32_t j = 0; j < n; j++) {
			core_info(dev, alloc_holder(first[j], host), &out[base + j].x);
			out[base + j].x.ext.len = len[j];
		}
	}
	*nr_out = i;
	return CXLDCD_RC_SUCCESS;
}
