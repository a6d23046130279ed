/* SPDX-License-Identifier: MIT */
/*
 * region.c - the allocation map of each DC region and the holders of each
 * allocation.  An allocation is device capacity that some host has pending
 * or accepted, or that an FM tag reference pins.  The per-region AVL tree is
 * keyed by DPA; every node carries the free bytes just below it (its gap),
 * so the lowest free range of a given size is found in O(log n).
 */
#include "core/model.h"

uint64_t region_end(const struct cxldcd_dev *dev, uint8_t r)
{
	return dev->cfg.regions[r].base + dev->cfg.regions[r].len;
}

static struct alloc *A(const struct avl_node *n)
{
	return n ? avl_entry(n, struct alloc, node) : NULL;
}

struct alloc *region_lookup(const struct cxldcd_dev *dev, uint8_t r, uint64_t dpa)
{
	const struct avl_node *n = dev->reg[r].allocs.root;
	struct alloc *best = NULL;

	while (n) {
		struct alloc *a = A(n);

		if (alloc_end(a) > dpa) {
			best = a;
			n = n->l;
		} else {
			n = n->r;
		}
	}
	return best;
}

struct alloc *alloc_next(const struct alloc *a)
{
	return A(avl_next(&a->node));
}

/* Recompute the gap below a (from its predecessor or the region base). */
static void fix_gap(const struct cxldcd_dev *dev, struct alloc *a)
{
	struct alloc *p;

	if (!a)
		return;
	p = A(avl_prev(&a->node));
	a->node.gap = a->dpa - (p ? alloc_end(p) : dev->cfg.regions[a->region].base);
	avl_touch(&a->node);
}

void region_insert(struct cxldcd_dev *dev, struct alloc *a)
{
	struct avl_tree *t = &dev->reg[a->region].allocs;
	struct avl_node *n = t->root, *parent = NULL;
	struct alloc *pred = NULL, *succ = NULL;
	bool left = false;

	while (n) {
		parent = n;
		left = a->dpa < A(n)->dpa;
		if (left)
			succ = A(n);
		else
			pred = A(n);
		n = left ? n->l : n->r;
	}
	/*
	 * The successor of a new leaf is an ancestor of it, so the rebalancing
	 * walk to the root refreshes both changed gaps: no extra walk needed.
	 */
	a->node.gap = a->dpa - (pred ? alloc_end(pred) : dev->cfg.regions[a->region].base);
	if (succ)
		succ->node.gap = succ->dpa - alloc_end(a);
	avl_insert(t, &a->node, parent, left);
	dev->reg[a->region].allocated += a->len;
}

void region_remove(struct cxldcd_dev *dev, struct alloc *a)
{
	struct alloc *s = alloc_next(a), *p = A(avl_prev(&a->node));
	bool lone_right = a->node.r && !a->node.l;

	/*
	 * The successor lies on the removal's rebalancing path (see
	 * region_insert), except when it is a's only (right) child.
	 */
	if (s)
		s->node.gap = s->dpa - (p ? alloc_end(p) : dev->cfg.regions[a->region].base);
	avl_remove(&dev->reg[a->region].allocs, &a->node);
	if (lone_right)
		avl_touch(&s->node);
	dev->reg[a->region].allocated -= a->len;
}

void region_resize(struct cxldcd_dev *dev, struct alloc *a, uint64_t dpa, uint64_t len)
{
	dev->reg[a->region].allocated -= a->len;
	dev->reg[a->region].allocated += len;
	a->dpa = dpa;
	a->len = len;
	fix_gap(dev, a);
	fix_gap(dev, alloc_next(a));
}

bool region_next_free(const struct cxldcd_dev *dev, uint8_t r, struct free_iter *it, uint64_t min,
		      uint64_t *dpa, uint64_t *len)
{
	const struct avl_tree *t = &dev->reg[r].allocs;
	const struct avl_node *n;
	const struct alloc *last;
	uint64_t start, end = region_end(dev, r);

	if (it->state == 2)
		return false;
	n = it->state == 0 ? avl_first_gap(t, min) : avl_next_gap(it->n, min);
	it->state = 1;
	if (n) {
		it->n = n;
		*dpa = A(n)->dpa - n->gap;
		*len = n->gap;
		return true;
	}
	it->state = 2;
	last = A(avl_last(t));
	start = last ? alloc_end(last) : dev->cfg.regions[r].base;
	if (end <= start || end - start < min)
		return false;
	*dpa = start;
	*len = end - start;
	return true;
}

struct hx *alloc_holder(const struct alloc *a, uint16_t host)
{
	struct hx *x;

	for (x = a->holders; x; x = x->a_next)
		if (x->host == host)
			return x;
	return NULL;
}

void alloc_link(struct cxldcd_dev *dev, struct alloc *a)
{
	struct tag *t = a->tag;

	region_insert(dev, a);
	if (!t)
		return;
	a->tag_next = NULL;
	a->tag_prev = t->last;
	if (t->last)
		t->last->tag_next = a;
	else
		t->first = a;
	t->last = a;
	t->nr_allocs++;
	t->bytes += a->len;
	dev->tag_gen++;
}

static void host_insert(struct cxldcd_dev *dev, struct hx *x)
{
	struct avl_tree *t = &dev->hosts[x->host].acc;
	struct avl_node *n = t->root, *parent = NULL;
	bool left = false;

	x->dpa = x->a->dpa;
	while (n) {
		parent = n;
		left = x->dpa < avl_entry(n, struct hx, node)->dpa;
		n = left ? n->l : n->r;
	}
	x->node.gap = 0;
	avl_insert(t, &x->node, parent, left);
}

static void host_rekey(struct hx *x)
{
	x->dpa = x->a->dpa;
}

void hx_attach(struct cxldcd_dev *dev, struct hx *x, struct alloc *a, uint16_t host, struct group *g)
{
	x->a = a;
	x->host = host;
	x->g = g;
	x->a_next = a->holders;
	a->holders = x;
	if (a->orphan) {
		a->orphan = false;
		dev->nr_orphans--;
	}
	if (a->tag)
		dev->tag_gen++;
	if (g) {
		dev->nr_pending++;
		if (a->tag)
			a->tag->cnt[2 * host]++;
		return;
	}
	a->accessed = true;
	dev->nr_accepted++;
	if (a->tag)
		a->tag->cnt[2 * host + 1]++;
	host_insert(dev, x);
}

void hx_accept(struct cxldcd_dev *dev, struct hx *x)
{
	struct tag *t = x->a->tag;

	x->g = NULL;
	x->a->accessed = true;
	dev->nr_pending--;
	dev->nr_accepted++;
	if (t) {
		t->cnt[2 * x->host]--;
		t->cnt[2 * x->host + 1]++;
		dev->tag_gen++;
	}
	host_insert(dev, x);
}

void alloc_free(struct cxldcd_dev *dev, struct alloc *a)
{
	struct core_extent_info info;
	struct tag *t = a->tag;

	core_alloc_info(dev, a, a->dpa, a->len, &info);
	info.sanitize = a->accessed && info.sanitize;
	region_remove(dev, a);
	if (a->orphan)
		dev->nr_orphans--;
	if (t) {
		if (a->tag_prev)
			a->tag_prev->tag_next = a->tag_next;
		else
			t->first = a->tag_next;
		if (a->tag_next)
			a->tag_next->tag_prev = a->tag_prev;
		else
			t->last = a->tag_prev;
		t->nr_allocs--;
		t->bytes -= a->len;
		dev->tag_gen++;
		if (!t->nr_allocs)
			tag_unlink_free(dev, t);
	}
	core_free(dev, a);
	obs_freed(dev, &info);
}

static void unhold(struct alloc *a, struct hx *x)
{
	struct hx **pp;

	for (pp = &a->holders; *pp; pp = &(*pp)->a_next) {
		if (*pp == x) {
			*pp = x->a_next;
			return;
		}
	}
}

void hx_drop(struct cxldcd_dev *dev, struct hx *x)
{
	struct alloc *a = x->a;
	struct tag *t = a->tag;
	uint16_t h = x->host;

	unhold(a, x);
	if (x->g) {
		dev->nr_pending--;
		if (t)
			t->cnt[2 * h]--;
	} else {
		avl_remove(&dev->hosts[h].acc, &x->node);
		dev->nr_accepted--;
		if (t && !--t->cnt[2 * h + 1] && !t->cnt[2 * h])
			tag_remember_release(dev, h, t);
	}
	if (t)
		dev->tag_gen++;
	core_free(dev, x);
	if (a->holders)
		return;
	if (t && t->fm_ref) {
		a->orphan = true;
		dev->nr_orphans++;
		return;
	}
	alloc_free(dev, a);
}

void hx_split_keep(struct cxldcd_dev *dev, struct hx *x, const struct cxldcd_range *keep,
		   uint32_t nk, bool accept, struct spare *sp)
{
	struct alloc *a = x->a;
	uint64_t pos = a->dpa, end = alloc_end(a), orig_dpa = a->dpa, orig_off = a->tag_offset;
	struct core_extent_info info;

	if (!nk) {
		hx_drop(dev, x);
		return;
	}
	if (a->tag)
		a->tag->bytes -= a->len - keep[0].len;
	a->tag_offset = orig_off + (keep[0].dpa - orig_dpa);
	region_resize(dev, a, keep[0].dpa, keep[0].len);
	host_rekey(x); /* same order: the kept piece lies where the extent was */
	if (accept)
		hx_accept(dev, x);
	for (uint32_t i = 1; i < nk; i++) {
		struct alloc *na = sp->a[--sp->na];
		struct hx *nx = sp->x[--sp->nx];

		*na = (struct alloc){ .dpa = keep[i].dpa, .len = keep[i].len, .tag = a->tag,
				      .seq = a->seq, .region = a->region, .sanitize = a->sanitize,
				      .tag_offset = orig_off + (keep[i].dpa - orig_dpa) };
		alloc_link(dev, na);
		*nx = (struct hx){ .release_pending = x->release_pending };
		hx_attach(dev, nx, na, x->host, NULL);
	}
	/* Report the pieces between the kept ranges as freed. */
	for (uint32_t i = 0; i <= nk; i++) {
		uint64_t stop = i < nk ? keep[i].dpa : end;

		if (stop > pos) {
			core_alloc_info(dev, a, pos, stop - pos, &info);
			info.tag_offset = a->tag ? orig_off + (pos - orig_dpa) : 0;
			info.sanitize = a->accessed && info.sanitize;
			obs_freed(dev, &info);
		}
		if (i < nk)
			pos = keep[i].dpa + keep[i].len;
	}
}

int spare_reserve(struct cxldcd_dev *dev, struct spare *sp, uint32_t na, uint32_t nx)
{
	memset(sp, 0, sizeof(*sp));
	if (na && !(sp->a = core_zalloc(dev, sizeof(*sp->a) * na)))
		goto err;
	if (nx && !(sp->x = core_zalloc(dev, sizeof(*sp->x) * nx)))
		goto err;
	for (; sp->na < na; sp->na++)
		if (!(sp->a[sp->na] = core_zalloc(dev, sizeof(struct alloc))))
			goto err;
	for (; sp->nx < nx; sp->nx++)
		if (!(sp->x[sp->nx] = core_zalloc(dev, sizeof(struct hx))))
			goto err;
	return 0;
err:
	spare_release(dev, sp);
	return -ENOMEM;
}

void spare_release(struct cxldcd_dev *dev, struct spare *sp)
{
	while (sp->na)
		core_free(dev, sp->a[--sp->na]);
	while (sp->nx)
		core_free(dev, sp->x[--sp->nx]);
	core_free(dev, sp->a);
	core_free(dev, sp->x);
	sp->a = NULL;
	sp->x = NULL;
}
