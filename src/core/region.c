/* SPDX-License-Identifier: MIT */
/*
 * region.c - the allocation map of each DC region and the holders of each
 * allocation.  An allocation is device capacity that some host has pending
 * or accepted, or that an FM tag reference pins.  The per-region B+tree is
 * keyed by DPA; every entry carries the free bytes just below it (its gap),
 * so the lowest free range of a given size is found in O(log n).
 */
#include <assert.h>

#include "core/model.h"

/* Pooled tree nodes kept between operations: a one-extent insert needs about 10. */
#define TREE_KEEP 16u
/* Spare tag-host nodes kept (128 B each): a one-tag add reserves about 3 per
 * level of the tree, so 16 would be allocated and given back at every add. */
#define TAG_HOST_KEEP 64u

uint64_t region_end(const struct cxldcd_dev *dev, uint8_t r)
{
	return dev->cfg.regions[r].base + dev->cfg.regions[r].len;
}

enum core_reason region_place(const struct cxldcd_dev *dev, int named, uint64_t dpa, uint64_t len,
			      int *reg)
{
	const struct core_region_cfg *rc;

	if (!len)
		return CORE_REASON_ZERO_LENGTH;
	if (named >= 0) {
		/* QEMU checks a named region's block size before its bounds. */
		rc = &dev->cfg.regions[named];
		if ((dpa | len) % rc->block_size)
			return CORE_REASON_UNALIGNED;
		/* Written so that dpa + len never wraps. */
		if (dpa < rc->base || dpa - rc->base > rc->len || len > rc->len - (dpa - rc->base))
			return CORE_REASON_BEYOND_REGION;
		*reg = named;
		return CORE_REASON_NONE;
	}
	*reg = core_region_of(dev, dpa, len);
	if (*reg < 0)
		return CORE_REASON_BEYOND_REGION;
	if ((dpa | len) % dev->cfg.regions[*reg].block_size)
		return CORE_REASON_UNALIGNED;
	return CORE_REASON_NONE;
}

static struct bt_tree *allocs(struct cxldcd_dev *dev, uint8_t r)
{
	return &dev->reg[r].allocs;
}

struct alloc *region_lookup(const struct cxldcd_dev *dev, uint8_t r, uint64_t dpa)
{
	struct bt_cur c;

	return bt_seek_end(&dev->reg[r].allocs, dpa, &c) ? bt_val(&c) : NULL;
}

struct alloc *region_overlap(const struct cxldcd_dev *dev, uint8_t r, uint64_t dpa, uint64_t len)
{
	struct bt_cur c;

	/* The tree has the start: no need to touch the allocation itself. */
	return bt_seek_end(&dev->reg[r].allocs, dpa, &c) && bt_start(&c) < dpa + len ? bt_val(&c) : NULL;
}

struct alloc *alloc_next(const struct cxldcd_dev *dev, const struct alloc *a)
{
	return region_lookup(dev, a->region, alloc_end(a));
}

void region_insert(struct cxldcd_dev *dev, struct alloc *a)
{
	bt_insert(allocs(dev, a->region), a->dpa, alloc_end(a), a);
	dev->reg[a->region].allocated += a->len;
}

void region_remove(struct cxldcd_dev *dev, struct alloc *a)
{
	bt_remove(allocs(dev, a->region), a->dpa);
	dev->reg[a->region].allocated -= a->len;
}

void region_resize(struct cxldcd_dev *dev, struct alloc *a, uint64_t dpa, uint64_t len)
{
	bt_resize(allocs(dev, a->region), a->dpa, dpa, dpa + len);
	dev->reg[a->region].allocated -= a->len;
	dev->reg[a->region].allocated += len;
	a->dpa = dpa;
	a->len = len;
}

bool region_next_free(const struct cxldcd_dev *dev, uint8_t r, struct free_iter *it, uint64_t min,
		      uint64_t *dpa, uint64_t *len)
{
	const struct bt_tree *t = &dev->reg[r].allocs;
	struct bt_cur last;
	uint64_t start, end = region_end(dev, r);
	bool found;

	if (it->state == 2)
		return false;
	found = it->state == 0 ? bt_first_gap(t, min, &it->c) : bt_next_gap(&it->c, min);
	it->state = 1;
	if (found) {
		*dpa = bt_start(&it->c) - bt_gap(&it->c);
		*len = bt_gap(&it->c);
		return true;
	}
	it->state = 2;
	start = bt_last(t, &last) ? bt_end(&last) : dev->cfg.regions[r].base;
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
	region_insert(dev, a);
	alloc_tag_link(dev, a);
}

void alloc_tag_link(struct cxldcd_dev *dev, struct alloc *a)
{
	struct tag *t = a->tag;

	if (!t)
		return;
	/* The first allocation's tag_prev is the last one: appending is O(1). */
	a->tag_next = 0;
	if (tag_first(t)) {
		a->tag_prev = tag_first(t)->tag_prev;
		alloc_tag_prev(dev, a)->tag_next = alloc_ref(a);
		tag_first(t)->tag_prev = alloc_ref(a);
	} else {
		a->tag_prev = alloc_ref(a);
		tag_set_first(t, a);
	}
	t->nr_allocs++;
	t->bytes += a->len;
	dev->tag_gen++;
}

/* Accepted holds are tallied per host in the region tree (see model.h). */
static void alloc_tally(const void *val, void (*add)(void *, uint32_t), void *ctx)
{
	for (const struct hx *x = ((const struct alloc *)val)->holders; x; x = x->a_next)
		if (!x->g)
			add(ctx, x->host);
}

static bool alloc_counts(const void *val, uint32_t host)
{
	for (const struct hx *x = ((const struct alloc *)val)->holders; x; x = x->a_next)
		if (x->host == host)
			return !x->g;
	return false;
}

static void alloc_warm(const void *val)
{
	__builtin_prefetch(((const struct alloc *)val)->holders);
}

/* A host holds an allocation at most once: a value counts at most once per column. */
const struct bt_tally_ops region_tally_ops = { .tally = alloc_tally, .counts = alloc_counts,
					       .warm = alloc_warm, .unit = true };

/* x just became accepted (delta 1) or stops being (-1). */
static void host_count(struct cxldcd_dev *dev, const struct hx *x, int32_t delta)
{
	bt_tally_add(allocs(dev, x->a->region), x->a->dpa, x->host, delta);
	dev->hosts[x->host].nr_acc += (uint32_t)delta;
}

void hx_attach(struct cxldcd_dev *dev, struct hx *x, struct alloc *a, uint16_t host, struct group *g)
{
	hx_hold(dev, x, a, host, g);
	if (a->tag)
		tag_host_held(dev, a->tag, host);
	if (!g)
		bt_tally_add(allocs(dev, a->region), a->dpa, host, 1);
}

void hx_hold(struct cxldcd_dev *dev, struct hx *x, struct alloc *a, uint16_t host, struct group *g)
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
	dev->hosts[host].nr_acc++;
	if (a->tag)
		a->tag->cnt[2 * host + 1]++;
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
	host_count(dev, x, 1);
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
		struct alloc *nx = alloc_tag_next(dev, a);

		if (a == tag_first(t))
			tag_set_first(t, nx);
		else
			alloc_tag_prev(dev, a)->tag_next = a->tag_next;
		if (nx)
			nx->tag_prev = a->tag_prev;
		else if (tag_first(t))
			tag_first(t)->tag_prev = a->tag_prev; /* a was the last */
		t->nr_allocs--;
		t->bytes -= a->len;
		dev->tag_gen++;
		if (!t->nr_allocs)
			tag_unlink_free(dev, t);
	}
	alloc_del(dev, a);
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
		host_count(dev, x, -1);
		dev->nr_accepted--;
		if (t && !--t->cnt[2 * h + 1] && !t->cnt[2 * h])
			tag_remember_release(dev, h, t);
	}
	if (t) {
		tag_host_dropped(dev, t, h);
		dev->tag_gen++;
	}
	hx_del(dev, x);
	if (a->holders)
		return;
	if (t && tag_fm_ref(t)) {
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
	if (accept)
		hx_accept(dev, x); /* else x stays tallied: the tree entry moved with region_resize() */
	for (uint32_t i = 1; i < nk; i++) {
		struct alloc *na = sp->a[--sp->na];
		struct hx *nx = sp->x[--sp->nx];

		SLAB_SET(na, .dpa = keep[i].dpa, .len = keep[i].len, .tag = a->tag, .seq = a->seq,
			 .region = a->region, .sanitize = a->sanitize,
			 .tag_offset = orig_off + (keep[i].dpa - orig_dpa));
		alloc_link(dev, na);
		SLAB_SET(nx, .release_pending = x->release_pending);
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

/* ------------------------------------------------------------ bulk build (restore) */

#define SORT_BLOCK 32u /* sorted by insertion first: merging starts from runs this long */

/*
 * The sort reads the keys alone (16 bytes an allocation, in one array),
 * never the allocations: each pass of it over the allocations themselves
 * was a 64-byte line per allocation, and comparing two of them a load
 * through each pointer (docs/performance.md, "Session 12: restore").
 */

/* v[0..n) by address, n small.  A key already in place is not rewritten. */
static void insertion_sort(struct alloc_key *v, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct alloc_key k = v[i];
		uint32_t j = i;

		if (v[i - 1].dpa <= k.dpa)
			continue;
		for (; j && v[j - 1].dpa > k.dpa; j--)
			v[j] = v[j - 1];
		v[j] = k;
	}
}

/* End of the ascending run of v[0..n) that starts at i. */
static uint32_t run_end(const struct alloc_key *v, uint32_t i, uint32_t n)
{
	while (++i < n && v[i].dpa >= v[i - 1].dpa)
		;
	return i;
}

/* a[0..na) and b[0..nb), each ascending, into d; a's first on equal addresses. */
static void merge(struct alloc_key *d, const struct alloc_key *a, uint32_t na, const struct alloc_key *b,
		  uint32_t nb)
{
	uint32_t i = 0, j = 0;

	while (i < na && j < nb)
		*d++ = b[j].dpa < a[i].dpa ? b[j++] : a[i++];
	memcpy(d, a + i, (na - i) * sizeof(*d));
	memcpy(d + (na - i), b + j, (nb - j) * sizeof(*d));
}

/*
 * v[0..n) by address: blocks of SORT_BLOCK by insertion, then ascending
 * runs merged two by two into the other array until one run is left.  What
 * restore reads comes in a few long runs (allocations in their tags'
 * creation order), so this is usually one or two passes; any order is
 * O(n log n).  Returns the sorted array, v or tmp (n keys).
 */
static struct alloc_key *sort_by_start(struct alloc_key *v, struct alloc_key *tmp, uint32_t n)
{
	uint32_t merges;

	for (uint32_t i = 0; i < n; i += SORT_BLOCK)
		insertion_sort(v + i, n - i < SORT_BLOCK ? n - i : SORT_BLOCK);
	do {
		struct alloc_key *t;
		uint32_t m, j;

		merges = 0;
		for (uint32_t i = 0; i < n; i = j, merges++) {
			m = run_end(v, i, n);
			if (m == n && !i)
				return v; /* one run: sorted */
			j = m < n ? run_end(v, m, n) : n;
			merge(tmp + i, v + i, m - i, v + m, j - m);
		}
		t = v;
		v = tmp;
		tmp = t;
	} while (merges > 1);
	return v;
}

/*
 * What entry_of() reads and finds: the allocations in address order (or
 * the runs to merge), and in the region being built the end of the
 * allocation before and the bytes so far.  The build reads each allocation
 * once, in address order, so two that overlap are found there (bad), not by
 * a pass of their own.  Allocations that come in at most MERGE_RUNS
 * ascending runs (model.h; bench-faces' state: the accepted extents, then
 * the pending ones) are not sorted: each tree is built from a merge of the
 * runs, read as the build asks for the next entry (no scratch, no pass
 * that copies them all).
 */
struct build_ctx {
	const struct alloc_key *k;  /* the keys sorted; NULL: the allocations as read (seq) */
	struct slab_seq seq;
	uint32_t base;              /* !runs: the index of the region's first */
	uint64_t prev_end, bytes;
	bool bad;
	uint32_t runs;              /* 0: in address order; else ascending runs, merged as they are read */
	uint32_t at[MERGE_RUNS], end[MERGE_RUNS]; /* each run's next in the region, and its end */
};

static inline const struct alloc *key_alloc(const struct build_ctx *b, uint32_t i)
{
	return b->k ? b->k[i].a : slab_seq_at(&b->seq, i);
}

static inline uint64_t key_dpa(const struct build_ctx *b, uint32_t i)
{
	return b->k ? b->k[i].dpa : key_alloc(b, i)->dpa;
}

/* The tree entry of an allocation read by a restore: its range, and the one host that accepted it. */
static void entry_of(const void *ctx, uint32_t i, struct bt_entry *e)
{
	struct build_ctx *b = (struct build_ctx *)(uintptr_t)ctx;
	const struct alloc *a;
	uint32_t col = BT_COL_NONE;

	if (!b->runs) {
		a = key_alloc(b, b->base + i);
	} else {
		uint32_t m = MERGE_RUNS;    /* the run whose next key is lowest (the first on a tie) */

		for (uint32_t j = 0; j < b->runs; j++)
			if (b->at[j] < b->end[j] && (m == MERGE_RUNS || key_dpa(b, b->at[j]) < key_dpa(b, b->at[m])))
				m = j;
		assert(m < MERGE_RUNS);
		a = key_alloc(b, b->at[m]++);
	}
	for (const struct hx *x = a->holders; x; x = x->a_next)
		if (!x->g)  /* accepted: counts in its host's tally (region_tally_ops) */
			col = col == BT_COL_NONE ? x->host : BT_COL_OPS;
	b->bad |= a->dpa < b->prev_end;  /* two overlap */
	b->prev_end = a->dpa + a->len;
	b->bytes += a->len;
	*e = (struct bt_entry){ .start = a->dpa, .end = a->dpa + a->len, .val = (void *)a, .col = col };
}

/* First index of the ascending [lo, hi) (of b's keys) starting at or above dpa. */
static uint32_t first_from(const struct build_ctx *b, uint32_t lo, uint32_t hi, uint64_t dpa)
{
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (key_dpa(b, mid) < dpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The nodes of the trees of n allocations, whatever regions they are in. */
static void region_need(const struct cxldcd_dev *dev, uint32_t n, struct bt_need *need)
{
	struct bt_need one = { 0 };

	/*
	 * A level of a tree of k entries has under k / B^(l+1) + 1.04 nodes
	 * (BT_B = 32), so the trees of regions holding n in all have at most
	 * nr_regions more per level than one tree of n (nr_regions <= 25), and
	 * no more levels; kind 3 counts all levels from 3 up, as many as it
	 * has nodes at most.
	 */
	bt_build_need(n, need);
	bt_build_need(n, &one);
	for (uint32_t k = 0; k < BT_KINDS; k++)
		need->n[k] += one.n[k] ? dev->cfg.nr_regions * (k + 1 < BT_KINDS ? 1 : one.n[k]) : 0;
}

size_t region_build_bytes(const struct cxldcd_dev *dev, uint32_t n)
{
	struct bt_need need = { 0 };

	region_need(dev, n, &need);
	return bt_pool_shortfall(&dev->pool, &need, CORE_NODE_ALIGN);
}

int region_build(struct cxldcd_dev *dev, const struct alloc_order *o, size_t *scratch)
{
	struct bt_need need = { 0 };
	uint32_t lo[CXLDCD_MAX_REGIONS], hi[CXLDCD_MAX_REGIONS], n = o->n;
	size_t size = core_scratch_size(dev, sizeof(struct alloc_key) * ((size_t)n + 1u)), nodes;
	struct alloc_key *v = NULL, *tmp = NULL;
	struct build_ctx b = { .seq = o->seq };
	uint32_t run[MERGE_RUNS + 1];
	int rc = 0;

	*scratch = 0;
	if (o->unsorted && o->runs <= MERGE_RUNS) {
		/* a few ascending runs: merged as the trees are built (run[runs] = n) */
		b.runs = o->runs;
		memcpy(run, o->run, sizeof(run[0]) * b.runs);
		run[b.runs] = n;
	} else if (o->unsorted) {
		/* more: their keys listed and sorted (the sort reads no allocation) */
		v = core_zalloc_bulk(dev, size);
		tmp = v ? core_zalloc_bulk(dev, size) : NULL;
		if (!tmp) {
			rc = -ENOMEM;
			goto out;
		}
		*scratch = 2 * core_bulk_span(dev, size);
		for (uint32_t i = 0; i < n; i++) {
			struct alloc *a = slab_seq_at(&o->seq, i);

			v[i] = (struct alloc_key){ .dpa = a->dpa, .a = a };
		}
		b.k = sort_by_start(v, tmp, n);
	}
	/* Regions are disjoint: each one's allocations are one slice of the sorted ones (of each run). */
	for (uint8_t r = 0; r < dev->cfg.nr_regions; r++) {
		uint64_t base = dev->cfg.regions[r].base, end = region_end(dev, r);

		assert(!dev->reg[r].allocs.root);
		lo[r] = hi[r] = 0;
		for (uint32_t j = 0; j < b.runs; j++)
			hi[r] += first_from(&b, run[j], run[j + 1], end) - first_from(&b, run[j], run[j + 1], base);
		if (!b.runs) {
			lo[r] = first_from(&b, 0, n, base);
			hi[r] = first_from(&b, lo[r], n, end);
		}
		bt_build_need(hi[r] - lo[r], &need);
	}
	/* the nodes in one chunk (core_chunk_open()) when they are many */
	nodes = bt_pool_shortfall(&dev->pool, &need, CORE_NODE_ALIGN);
	if ((nodes >= CORE_CHUNK_MIN && core_chunk_open(dev, nodes)) || bt_pool_reserve(&dev->pool, &need)) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint8_t r = 0; r < dev->cfg.nr_regions; r++) {
		b.base = lo[r];
		for (uint32_t j = 0; j < b.runs; j++) {
			b.at[j] = first_from(&b, run[j], run[j + 1], dev->cfg.regions[r].base);
			b.end[j] = first_from(&b, b.at[j], run[j + 1], region_end(dev, r));
		}
		b.prev_end = 0;
		b.bytes = 0;
		bt_build_by(allocs(dev, r), hi[r] - lo[r], entry_of, &b);
		dev->reg[r].allocated = b.bytes;
	}
	if (b.bad) {
		/* built, but two overlap: the trees go empty again (their nodes to the pool) */
		for (uint8_t r = 0; r < dev->cfg.nr_regions; r++) {
			bt_fini(allocs(dev, r));
			dev->reg[r].allocated = 0;
		}
		rc = -EINVAL;
	}
out:
	if (v)
		core_free_bulk(dev, v, size);
	if (tmp)
		core_free_bulk(dev, tmp, size);
	return rc;
}

int spare_reserve(struct cxldcd_dev *dev, struct spare *sp, uint32_t na, uint32_t nx)
{
	memset(sp, 0, sizeof(*sp));
	if (na && !(sp->a = core_zalloc(dev, sizeof(*sp->a) * na)))
		goto err;
	if (nx && !(sp->x = core_zalloc(dev, sizeof(*sp->x) * nx)))
		goto err;
	for (; sp->na < na; sp->na++)
		if (!(sp->a[sp->na] = alloc_new(dev)))
			goto err;
	for (; sp->nx < nx; sp->nx++)
		if (!(sp->x[sp->nx] = hx_new(dev)))
			goto err;
	return 0;
err:
	spare_release(dev, sp);
	return -ENOMEM;
}

int tree_reserve(struct cxldcd_dev *dev, uint32_t region_k)
{
	struct bt_need need = { 0 };

	/* The pieces' regions are not known here: assume each region takes them all. */
	for (uint8_t r = 0; region_k && r < dev->cfg.nr_regions; r++)
		bt_need(allocs(dev, r), region_k, &need);
	return bt_pool_reserve(&dev->pool, &need);
}

void tree_trim(struct cxldcd_dev *dev)
{
	bt_pool_trim(&dev->pool, TREE_KEEP);
	tag_host_trim(dev, TAG_HOST_KEEP);
}

void spare_release(struct cxldcd_dev *dev, struct spare *sp)
{
	while (sp->na)
		alloc_del(dev, sp->a[--sp->na]);
	while (sp->nx)
		hx_del(dev, sp->x[--sp->nx]);
	core_free(dev, sp->a);
	core_free(dev, sp->x);
	sp->a = NULL;
	sp->x = NULL;
}
