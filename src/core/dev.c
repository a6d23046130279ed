/* SPDX-License-Identifier: MIT */
/*
 * dev.c - the device object: creation and teardown, the allocation hook,
 * diagnostics, observer fan-out, time, and the read-only queries (regions,
 * counts, extent lists, pending groups).
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/hugemap.h"
#include "core/model.h"

/* ------------------------------------------------------------ allocation */

/*
 * Zeroed memory through the hook, or libc's calloc(): a block fresh from
 * the kernel is zero already, so calloc() leaves it untouched where
 * malloc() + memset() wrote every page of it (a page fault each, at once).
 */
void *core_zalloc(struct cxldcd_dev *dev, size_t size)
{
	void *p;

	if (!dev->al.alloc)
		return calloc(1, size);
	p = dev->al.alloc(dev->al.opaque, size);
	if (p)
		memset(p, 0, size);
	return p;
}

void core_free(struct cxldcd_dev *dev, void *p)
{
	if (!p)
		return;
	if (dev->al.free)
		dev->al.free(dev->al.opaque, p);
	else
		free(p);
}

/*
 * p (size bytes, NULL: none) resized to size bytes, its contents kept up to
 * the smaller size, the rest not zeroed; NULL on failure, p then unchanged.
 * libc's realloc() moves a large block by remapping its pages (mremap()):
 * no copy, and no page fault for what was already touched.  Through the
 * hook: its realloc, else a new block, a copy and the old block freed.
 */
void *core_realloc(struct cxldcd_dev *dev, void *p, size_t old_size, size_t size)
{
	void *n;

	if (!dev->al.alloc)
		return realloc(p, size);
	if (dev->al.realloc)
		return dev->al.realloc(dev->al.opaque, p, size);
	n = dev->al.alloc(dev->al.opaque, size);
	if (n && p) {
		memcpy(n, p, old_size < size ? old_size : size);
		core_free(dev, p);
	}
	return n;
}

/*
 * Bulk memory: a block of BULK_MIN (1 MiB) or more that its user fills
 * whole, at once (a restore's slab chunks, scratch arrays and index nodes,
 * a deep event-log ring, the tags' slot arrays).  Without a hook it is a
 * hugemap_new() mapping of its own (2 MiB aligned, whole 2 MiB units
 * advised MADV_HUGEPAGE, the last one too), and core_bulk_span() says how
 * much the user may fill: those that can (slab chunks, rings, slot arrays,
 * node chunks) take the rest of the last unit as room to grow into.  A
 * small-page fault cost 12 us of CPU here, and four times that in wall
 * time (the hypervisor's part), a huge page's 2 MiB about 0.3 us a 4 KiB
 * (docs/performance.md, "Session 9: snapshot load"): up to 1 MiB backed
 * and unused, for a moment (scratch) or until later adds fill it, cost
 * less than the 256 faults it saves.  With a hook (the tests' fault
 * injection) it is core_zalloc(), like any other allocation.
 */
#define BULK_MIN (HUGEMAP_UNIT / 2)

static bool bulk_mapped(const struct cxldcd_dev *dev, size_t size)
{
	return !dev->al.alloc && size >= BULK_MIN;
}

bool core_bulk_mapped(const struct cxldcd_dev *dev, size_t size)
{
	return bulk_mapped(dev, size);
}

void *core_zalloc_bulk(struct cxldcd_dev *dev, size_t size)
{
	return bulk_mapped(dev, size) ? hugemap_new(size) : core_zalloc(dev, size);
}

size_t core_scratch_size(const struct cxldcd_dev *dev, size_t size)
{
	return size >= BULK_MIN / 8 && size < BULK_MIN && bulk_mapped(dev, BULK_MIN) ? BULK_MIN : size;
}

size_t core_bulk_span(const struct cxldcd_dev *dev, size_t size)
{
	size_t span = bulk_mapped(dev, size) ? hugemap_span(size) : size;

	return span ? span : size;
}

void core_free_bulk(struct cxldcd_dev *dev, void *p, size_t size)
{
	if (!bulk_mapped(dev, size))
		core_free(dev, p);
	else
		hugemap_free(p, size);
}

/*
 * Node chunks.  A restore builds each region tree and each host's tag
 * index at once, bottom-up: some thousands of nodes of under 1 KiB, a
 * heap block each, filled at once, were a small-page fault per 4 KiB
 * (1,000 and more at 110,000 items).  They are carved from one block of
 * bulk memory instead, in order (no free list: a node given back is only
 * counted), and the chunk goes back when its last node does.  The chunk
 * open last keeps serving the nodes the operations after the restore ask
 * for until it is full: its 2 MiB units are backed once touched, and the
 * next adds fill them rather than the heap.
 */
struct node_chunk {
	struct node_chunk *next;
	size_t bytes, used;         /* as allocated (core_free_bulk()); carved from the start */
	uint64_t live;              /* nodes carved and not given back */
	/* the nodes follow, NODE_ALIGN-aligned */
};

#define NODE_ALIGN CORE_NODE_ALIGN
_Static_assert(sizeof(struct node_chunk) % NODE_ALIGN == 0, "nodes stay aligned");

static void chunk_release(struct cxldcd_dev *dev, struct node_chunk *c)
{
	struct node_chunk **pp = &dev->chunks;

	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	if (dev->chunk_open == c)
		dev->chunk_open = NULL;
	core_free_bulk(dev, c, c->bytes);
}

int core_chunk_open(struct cxldcd_dev *dev, size_t bytes)
{
	struct node_chunk *c;
	size_t size;

	if (bytes > SIZE_MAX / 2)
		return -ENOMEM;
	c = dev->chunk_open;
	if (c && c->bytes - sizeof(*c) - c->used >= bytes)
		return 0;   /* room enough in the one open (the rest of its last 2 MiB unit) */
	/* from 128 KiB, a 2 MiB mapping (core_scratch_size()): one huge page, not a small-page fault per 4 KiB */
	size = core_bulk_span(dev, core_scratch_size(dev, sizeof(*c) + bytes));
	c = core_zalloc_bulk(dev, size);
	if (!c)
		return -ENOMEM;
	*c = (struct node_chunk){ .next = dev->chunks, .bytes = size };
	dev->chunks = c;
	if (dev->chunk_open && !dev->chunk_open->live)
		chunk_release(dev, dev->chunk_open);
	dev->chunk_open = c;
	return 0;
}

void *core_node_zalloc(struct cxldcd_dev *dev, size_t size)
{
	struct node_chunk *c = dev->chunk_open;
	size_t need = (size + NODE_ALIGN - 1) & ~(size_t)(NODE_ALIGN - 1);
	char *p;

	if (!c || c->bytes - sizeof(*c) - c->used < need)
		return core_zalloc(dev, size);
	p = (char *)(c + 1) + c->used;   /* never carved before: zero */
	c->used += need;
	c->live++;
	return p;
}

bool core_node_chunked(const struct cxldcd_dev *dev, const void *p)
{
	for (const struct node_chunk *c = dev->chunks; p && c; c = c->next)
		if ((const char *)p >= (const char *)(c + 1) && (const char *)p < (const char *)(c + 1) + c->used)
			return true;
	return false;
}

void core_node_free(struct cxldcd_dev *dev, void *p)
{
	for (struct node_chunk *c = dev->chunks; p && c; c = c->next)
		if ((char *)p >= (char *)(c + 1) && (char *)p < (char *)(c + 1) + c->used) {
			/* the open chunk stays while it has room; any other goes with its last node */
			if (!--c->live && (c != dev->chunk_open ||
					   c->bytes - sizeof(*c) - c->used < NODE_ALIGN))
				chunk_release(dev, c);
			return;
		}
	core_free(dev, p);
}

size_t core_chunks_bytes(const struct cxldcd_dev *dev)
{
	size_t n = 0;

	for (const struct node_chunk *c = dev->chunks; c; c = c->next)
		n += c->bytes;
	return n;
}

void core_footprint(const struct cxldcd_dev *dev, struct core_footprint *f)
{
	*f = (struct core_footprint){ .allocs = slab_bytes(&dev->allocs), .holds = slab_bytes(&dev->holds),
				      .tags = slab_bytes(&dev->tags), .node_chunks = core_chunks_bytes(dev),
				      .tag_host_nodes = dev->th ? tag_host_bytes(dev) : 0,
				      .event_rings = evlog_bytes(dev),
				      .restore_scratch = dev->restore_scratch };
	tag_footprint(dev, &f->tag_hash, &f->tag_arrays);
	pending_footprint(dev, &f->groups, &f->group_rings);
}

/* Every chunk back (the device is going: its nodes were given back, or go with them). */
void core_chunks_fini(struct cxldcd_dev *dev)
{
	while (dev->chunks)
		chunk_release(dev, dev->chunks);
}

__attribute__((format(printf, 5, 0)))
static void diag_set(struct cxldcd_diag *d, enum cxldcd_rc rc, enum core_reason why, int32_t idx,
		     const char *fmt, va_list ap)
{
	d->rc = rc;
	d->reason = rc == CXLDCD_RC_SUCCESS ? CORE_REASON_NONE : why;
	d->index = idx;
	vsnprintf(d->text, sizeof(d->text), fmt, ap);
}

enum cxldcd_rc core_diag(struct cxldcd_diag *d, enum cxldcd_rc rc, int32_t idx, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return rc;
	va_start(ap, fmt);
	diag_set(d, rc, rc == CXLDCD_RC_INTERNAL_ERROR ? CORE_REASON_NO_MEMORY : CORE_REASON_OTHER,
		 idx, fmt, ap);
	va_end(ap);
	return rc;
}

enum cxldcd_rc core_reject(struct cxldcd_diag *d, enum cxldcd_rc rc, enum core_reason why, int32_t idx,
			   const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return rc;
	va_start(ap, fmt);
	diag_set(d, rc, why, idx, fmt, ap);
	va_end(ap);
	return rc;
}

const char *core_reason_str(enum core_reason r)
{
	static const char *const names[CORE_REASON_COUNT] = {
		[CORE_REASON_NONE] = "none",
		[CORE_REASON_OTHER] = "other",
		[CORE_REASON_NO_MEMORY] = "no-memory",
		[CORE_REASON_INVALID_HOST] = "invalid-host",
		[CORE_REASON_INVALID_REGION] = "invalid-region",
		[CORE_REASON_INVALID_POLICY] = "invalid-policy",
		[CORE_REASON_NO_EXTENTS] = "no-extents",
		[CORE_REASON_ZERO_LENGTH] = "zero-length",
		[CORE_REASON_UNALIGNED] = "unaligned",
		[CORE_REASON_BEYOND_REGION] = "beyond-region",
		[CORE_REASON_LIST_OVERLAP] = "list-overlap",
		[CORE_REASON_BAD_SEQUENCE] = "bad-sequence",
		[CORE_REASON_TAG_REQUIRED] = "tag-required",
		[CORE_REASON_ALREADY_ACCESSIBLE] = "already-accessible",
		[CORE_REASON_STILL_PENDING] = "still-pending",
		[CORE_REASON_HELD_ELSEWHERE] = "held-elsewhere",
		[CORE_REASON_NOT_HELD] = "not-held",
		[CORE_REASON_SHARABLE_PARTIAL] = "sharable-partial",
		[CORE_REASON_TAG_NOT_FOUND] = "tag-not-found",
		[CORE_REASON_TAG_NOT_SHARABLE] = "tag-not-sharable",
		[CORE_REASON_TAG_NOT_ON_HOST] = "tag-not-on-host",
		[CORE_REASON_TAG_IN_USE] = "tag-in-use",
		[CORE_REASON_LENGTH_MISMATCH] = "length-mismatch",
		[CORE_REASON_NO_CAPACITY] = "no-capacity",
		[CORE_REASON_EXTENT_LIMIT] = "extent-limit",
		[CORE_REASON_TAG_LIMIT] = "tag-limit",
		[CORE_REASON_LOG_FULL] = "log-full",
		[CORE_REASON_NO_PENDING_ADD] = "no-pending-add",
		[CORE_REASON_GROUP_DEAD] = "group-dead",
		[CORE_REASON_CHAIN_CONFLICT] = "chain-conflict",
		[CORE_REASON_VETOED] = "vetoed",
	};

	return (unsigned)r < CORE_REASON_COUNT && names[r] ? names[r] : "unknown";
}

bool core_tag_null(const uint8_t tag[CXLDCD_TAG_SIZE])
{
	for (unsigned i = 0; i < CXLDCD_TAG_SIZE; i++)
		if (tag[i])
			return false;
	return true;
}

bool core_host_ok(const struct cxldcd_dev *dev, uint16_t host)
{
	return host < dev->cfg.nr_hosts;
}

uint32_t core_used_extents(const struct cxldcd_dev *dev)
{
	return dev->nr_pending + dev->nr_accepted + dev->nr_orphans;
}

void core_bump_gen(struct cxldcd_dev *dev, uint16_t host)
{
	dev->hosts[host].gen++;
}

void core_alloc_info(const struct cxldcd_dev *dev, const struct alloc *a, uint64_t dpa,
		     uint64_t len, struct core_extent_info *out)
{
	memset(out, 0, sizeof(*out));
	out->host = CORE_OWNER_FM;
	out->region = a->region;
	out->ext.dpa = dpa;
	out->ext.len = len;
	if (a->tag)
		memcpy(out->ext.tag, a->tag->id, CXLDCD_TAG_SIZE);
	out->ext.shared_seq = a->seq;
	out->tag_offset = a->tag ? a->tag_offset + (dpa - a->dpa) : 0;
	out->sharable = dev->cfg.regions[a->region].sharable;
	out->sanitize = a->sanitize || dev->cfg.regions[a->region].sanitize_on_release;
	out->whole_dpa = a->dpa;
	out->whole_len = a->len;
}

void core_info(const struct cxldcd_dev *dev, const struct hx *x, struct core_extent_info *out)
{
	core_alloc_info(dev, x->a, x->a->dpa, x->a->len, out);
	out->host = x->host;
	out->release_pending = x->release_pending;
}

/* ------------------------------------------------------------ observers */

int core_observer_add(struct cxldcd_dev *dev, const struct core_observer *ops, void *opaque)
{
	if (dev->nr_obs >= MAX_OBSERVERS)
		return -ENOSPC;
	dev->obs[dev->nr_obs].ops = ops;
	dev->obs[dev->nr_obs].opaque = opaque;
	dev->nr_obs++;
	return 0;
}

#define FOR_OBS(dev, member, ...)                                          \
	for (uint32_t i_ = 0; i_ < (dev)->nr_obs; i_++)                    \
		if ((dev)->obs[i_].ops->member)                            \
			(dev)->obs[i_].ops->member((dev)->obs[i_].opaque, __VA_ARGS__)

void obs_accepted(struct cxldcd_dev *dev, const struct core_extent_info *x)
{
	FOR_OBS(dev, extent_accepted, x);
}

void obs_released(struct cxldcd_dev *dev, const struct core_extent_info *x)
{
	FOR_OBS(dev, extent_released, x);
}

void obs_revoked(struct cxldcd_dev *dev, const struct core_extent_info *x)
{
	FOR_OBS(dev, extent_revoked, x);
}

void obs_freed(struct cxldcd_dev *dev, const struct core_extent_info *x)
{
	if (x->sanitize)    /* sanitized capacity comes back clean */
		core_poison_forget(dev, x->ext.dpa, x->ext.len);
	FOR_OBS(dev, capacity_freed, x);
}

void obs_answered(struct cxldcd_dev *dev, uint16_t host, uint64_t id, uint32_t off, uint32_t acc)
{
	FOR_OBS(dev, group_answered, host, id, off, acc);
}

/* ------------------------------------------------------------ lifetime */

/* Regions by increasing base: a host's accepted list runs through them in this order. */
static void order_regions(struct cxldcd_dev *dev)
{
	for (uint8_t i = 0; i < dev->cfg.nr_regions; i++) {
		uint8_t j = i;

		for (; j > 0 && dev->cfg.regions[dev->reg_order[j - 1]].base > dev->cfg.regions[i].base; j--)
			dev->reg_order[j] = dev->reg_order[j - 1];
		dev->reg_order[j] = i;
	}
}

/* Tree nodes go through the allocation hook like everything else (a chunk's too). */
static void *pool_alloc(void *ctx, size_t size)
{
	return core_node_zalloc(ctx, size);
}

static void pool_free(void *ctx, void *p)
{
	core_node_free(ctx, p);
}

int core_dev_new(const struct cxldcd_dev_cfg *cfg, struct cxldcd_dev **out, struct cxldcd_diag *diag)
{
	struct cxldcd_dev_cfg c;
	struct cxldcd_dev *dev;
	struct cxldcd_allocator al = { 0 };

	*out = NULL;
	if (core_cfg_validate(cfg, &c, diag))
		return -EINVAL;
	if (c.alloc)
		al = *c.alloc;
	dev = al.alloc ? al.alloc(al.opaque, sizeof(*dev)) : malloc(sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	memset(dev, 0, sizeof(*dev));
	dev->cfg = c;
	dev->al = al;
	dev->next_group_id = 1;
	slab_init(&dev->allocs, sizeof(struct alloc), offsetof(struct alloc, slab));
	slab_init(&dev->holds, sizeof(struct hx), offsetof(struct hx, slab));
	slab_init(&dev->tags, sizeof(struct tag) + sizeof(uint32_t) * 2u * c.nr_hosts,
		  offsetof(struct tag, slab));
	bt_pool_init(&dev->pool, pool_alloc, pool_free, dev, c.nr_hosts, &region_tally_ops);
	for (unsigned i = 0; i < c.nr_regions; i++)
		bt_init(&dev->reg[i].allocs, &dev->pool, c.regions[i].base, true);
	order_regions(dev);
	dev->hosts = core_zalloc(dev, sizeof(*dev->hosts) * c.nr_hosts);
	dev->rel = core_zalloc(dev, sizeof(*dev->rel) * RELEASED_MEMORY);
	if (!dev->hosts || !dev->rel || tag_table_init(dev) || evlog_init(dev) ||
	    feat_init(dev)) {
		core_dev_free(dev);
		return -ENOMEM;
	}

	*out = dev;
	return 0;
}

void core_dev_free(struct cxldcd_dev *dev)
{
	if (!dev)
		return;
	/*
	 * The trees' nodes go back; the allocations, holds and tags go with
	 * their slabs' pages below, not one by one (they own nothing else).
	 */
	for (unsigned i = 0; i < dev->cfg.nr_regions; i++)
		bt_fini(&dev->reg[i].allocs);
	for (unsigned h = 0; dev->hosts && h < dev->cfg.nr_hosts; h++) {
		pending_fini(dev, (uint16_t)h);
		core_free(dev, dev->hosts[h].staged);
	}
	tag_table_fini(dev);
	slab_fini(dev, &dev->allocs);
	slab_fini(dev, &dev->holds);
	slab_fini(dev, &dev->tags);
	evlog_fini(dev);
	poison_fini(dev);
	memdev_fini(dev);
	bgop_fini(dev);
	ras_fini(dev);
	feat_fini(dev);
	core_free(dev, dev->hosts);
	core_free(dev, dev->rel);
	bt_pool_fini(&dev->pool);
	core_chunks_fini(dev);
	core_free(dev, dev);
}

const struct cxldcd_dev_cfg *core_dev_cfg(const struct cxldcd_dev *dev)
{
	return &dev->cfg;
}

void core_dev_set_time(struct cxldcd_dev *dev, uint64_t now_ns)
{
	dev->now = now_ns;
	bgop_settle(dev);
}

/* ------------------------------------------------------------ queries */

uint8_t core_region_count(const struct cxldcd_dev *dev)
{
	return dev->cfg.nr_regions;
}

int core_region_get(const struct cxldcd_dev *dev, uint8_t idx, struct core_region_info *out)
{
	const struct core_region_cfg *r;

	if (idx >= dev->cfg.nr_regions)
		return -EINVAL;
	r = &dev->cfg.regions[idx];
	out->base = r->base;
	out->decode_len = r->decode_len;
	out->len = r->len;
	out->block_size = r->block_size;
	out->supported_block_mask = r->supported_block_mask;
	out->dsmad_handle = r->dsmad_handle;
	out->sanitize_on_release = r->sanitize_on_release;
	out->sor_configurable = r->sor_configurable;
	out->sharable = r->sharable;
	out->read_only = r->read_only;
	out->nonvolatile = r->nonvolatile;
	out->allocated_bytes = dev->reg[idx].allocated;
	return 0;
}

int core_region_of(const struct cxldcd_dev *dev, uint64_t dpa, uint64_t len)
{
	uint64_t end;

	if (!len || __builtin_add_overflow(dpa, len, &end))
		return -1;
	for (unsigned i = 0; i < dev->cfg.nr_regions; i++) {
		const struct core_region_cfg *r = &dev->cfg.regions[i];

		if (dpa >= r->base && end <= r->base + r->len)
			return (int)i;
	}
	return -1;
}

void core_counts_get(const struct cxldcd_dev *dev, struct core_counts *out)
{
	uint32_t used = core_used_extents(dev);

	out->total_extents = dev->cfg.max_extents;
	out->avail_extents = used >= dev->cfg.max_extents ? 0 : dev->cfg.max_extents - used;
	out->total_tags = dev->cfg.max_tags;
	out->avail_tags = dev->nr_tags >= dev->cfg.max_tags ? 0 : dev->cfg.max_tags - dev->nr_tags;
}

uint32_t core_extent_count(const struct cxldcd_dev *dev, uint16_t host)
{
	return core_host_ok(dev, host) ? dev->hosts[host].nr_acc : 0;
}

uint32_t core_extent_generation(const struct cxldcd_dev *dev, uint16_t host)
{
	return core_host_ok(dev, host) ? dev->hosts[host].gen : 0;
}

bool host_seek(struct host_walk *w, uint32_t idx)
{
	for (; w->k < w->dev->cfg.nr_regions; w->k++) {
		const struct bt_tree *t = &w->dev->reg[w->dev->reg_order[w->k]].allocs;
		uint32_t n = bt_tally_count(t, w->host);

		if (idx < n)
			return bt_tally_nth(t, w->host, idx, &w->c);
		idx -= n;
	}
	return false;
}

bool host_next(struct host_walk *w)
{
	if (bt_tally_next(&w->c, &w->dev->reg[w->dev->reg_order[w->k]].allocs, w->host))
		return true;
	w->k++;
	return host_seek(w, 0);
}

/*
 * A page of extents with their holds reads three objects per entry
 * (allocation, hold, tag), each a cache miss once the state outgrows the
 * cache.  As core_extent_list() does, gather up to LIST_BATCH allocations
 * from the tree leaves first and start loading them all, then their holds
 * and tags, then read them: the misses of a batch overlap instead of
 * following one another.
 */
#define LIST_BATCH 64u

enum cxldcd_rc core_extent_list_info(const struct cxldcd_dev *dev, uint16_t host, uint32_t start,
				     uint32_t max, struct core_extent_info *out, uint32_t *nr_out)
{
	struct host_walk w = { .dev = dev, .host = host };
	const struct alloc *a[LIST_BATCH];
	uint32_t i = 0;

	*nr_out = 0;
	if (!core_host_ok(dev, host) || start > dev->hosts[host].nr_acc)
		return CXLDCD_RC_INVALID_INPUT;
	for (bool ok = max && host_seek(&w, start); ok; ok = i < max && host_next(&w)) {
		uint32_t n = 0;

		do {
			a[n] = bt_val(&w.c);
			__builtin_prefetch(a[n++]);
		} while (n < LIST_BATCH && i + n < max && (ok = host_next(&w)));
		for (uint32_t j = 0; j < n; j++) {
			__builtin_prefetch(a[j]->holders);
			if (a[j]->tag)
				__builtin_prefetch(a[j]->tag);
		}
		for (uint32_t j = 0; j < n; j++)
			core_info(dev, alloc_holder(a[j], host), &out[i++]);
		if (!ok)
			break;
	}
	*nr_out = i;
	return CXLDCD_RC_SUCCESS;
}

/*
 * A page of extents (4801h, 5603h): the walk reads only tree leaves, so
 * gather up to LIST_BATCH allocations first, start loading them all, then
 * their tags, then read them: the misses of a batch overlap instead of
 * following one another (what a page costs once the state outgrows the
 * cache).  The extent is the allocation's, so the host's hold is not read.
 */
enum cxldcd_rc core_extent_list(const struct cxldcd_dev *dev, uint16_t host, uint32_t start,
				uint32_t max, struct cxldcd_extent *out, uint32_t *nr_out)
{
	struct host_walk w = { .dev = dev, .host = host };
	const struct alloc *a[LIST_BATCH];
	struct core_extent_info info;
	uint32_t i = 0;

	*nr_out = 0;
	if (!core_host_ok(dev, host) || start > dev->hosts[host].nr_acc)
		return CXLDCD_RC_INVALID_INPUT;
	for (bool ok = max && host_seek(&w, start); ok; ok = i < max && host_next(&w)) {
		uint32_t n = 0;

		do {
			a[n] = bt_val(&w.c);
			__builtin_prefetch(a[n++]);
		} while (n < LIST_BATCH && i + n < max && (ok = host_next(&w)));
		for (uint32_t j = 0; j < n; j++)
			if (a[j]->tag)
				__builtin_prefetch(a[j]->tag);
		for (uint32_t j = 0; j < n; j++) {
			core_alloc_info(dev, a[j], a[j]->dpa, a[j]->len, &info);
			out[i++] = info.ext;
		}
		if (!ok)
			break;
	}
	*nr_out = i;
	return CXLDCD_RC_SUCCESS;
}

