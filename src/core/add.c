/* SPDX-License-Identifier: MIT */
/*
 * add.c - Initiate Dynamic Capacity Add (5604h, CXL r3.2 §7.6.7.6.5): build
 * the list of extents to offer for each selection policy, validate it
 * completely (placement, tags, sequences, limits, event-log room, observer
 * veto), reserve every object, then queue one pending group and log its Add
 * Capacity records.  5604h never answers Invalid Physical Address: extents
 * outside a region are an Invalid Extent List.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/model.h"

struct offer {
	uint8_t region;
	uint64_t dpa, len;
	const uint8_t *tag;     /* NULL: untagged */
	uint16_t seq;
	uint64_t tag_offset;
	struct alloc *existing; /* enable shared access: the allocation offered again */
	struct alloc *a;        /* new allocation (reserved) */
	struct tag *t;          /* tag entry, existing or new (reserved) */
	bool new_tag;
	uint32_t idx;
};

struct add_ctx {
	struct cxldcd_dev *dev;
	const struct core_add_req *req;
	struct offer *of;
	uint32_t n;
	uint32_t *ord;          /* offers sorted by (tag, seq, index) */
	uint32_t new_tags;
	uint32_t new_pairs;     /* tags the host holds nothing of yet (tag-host.c index) */
};

#define X64(v) ((unsigned long long)(v))

static int ord_cmp(const void *pa, const void *pb, void *arg)
{
	const struct offer *of = arg;
	const struct offer *a = &of[*(const uint32_t *)pa], *b = &of[*(const uint32_t *)pb];
	static const uint8_t zero[CXLDCD_TAG_SIZE];
	int c = memcmp(a->tag ? a->tag : zero, b->tag ? b->tag : zero, CXLDCD_TAG_SIZE);

	if (c)
		return c;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return a->idx < b->idx ? -1 : (a->idx > b->idx);
}

/* ------------------------------------------------------------ policies */

/*
 * The host's hold on [dpa, dpa+len) of region r, QEMU's order: accessible to
 * the host, then pending on it, then anyone else's.  *who: an allocation of
 * another holder.  O(k log n) for k allocations in the range.
 */
static enum core_reason held(const struct cxldcd_dev *dev, uint8_t r, uint16_t host, uint64_t dpa,
			     uint64_t len, const struct alloc **who)
{
	bool pending = false;

	*who = NULL;
	for (const struct alloc *a = region_lookup(dev, r, dpa); a && a->dpa < dpa + len;
	     a = alloc_next(dev, a)) {
		const struct hx *x = alloc_holder(a, host);

		if (x && !x->g)
			return CORE_REASON_ALREADY_ACCESSIBLE;
		if (x)
			pending = true;
		else if (!*who)
			*who = a;
	}
	if (pending)
		return CORE_REASON_STILL_PENDING;
	return *who ? CORE_REASON_HELD_ELSEWHERE : CORE_REASON_NONE;
}

/* Every check of a prescriptive list, extent by extent in list order (core.h). */
static enum cxldcd_rc prescriptive(struct add_ctx *c, struct cxldcd_diag *diag)
{
	struct cxldcd_dev *dev = c->dev;
	const struct core_add_req *req = c->req;
	uint32_t dup;

	if (req->in_region && req->region >= dev->cfg.nr_regions)
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_INVALID_REGION, -1,
				   "host=%u region=%u invalid", req->host, req->region);
	dup = list_first_overlap(req->extents, sizeof(*req->extents), c->n, c->ord);
	for (uint32_t i = 0; i < c->n; i++) {
		const struct cxldcd_extent *e = &req->extents[i];
		const struct alloc *a;
		enum core_reason why;
		int r = -1;

		why = region_place(dev, req->in_region ? req->region : -1, e->dpa, e->len, &r);
		if (why)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, why, (int32_t)i,
					   "extent=%u dpa=0x%llx len=0x%llx %s", i, X64(e->dpa), X64(e->len),
					   why == CORE_REASON_ZERO_LENGTH ? "has zero length"
					   : why == CORE_REASON_UNALIGNED ? "not aligned to the region's block size"
					   : "not inside one region");
		if (i == dup)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_LIST_OVERLAP,
					   (int32_t)i, "extent=%u dpa=0x%llx overlaps extent(s) earlier in the same list",
					   i, X64(e->dpa));
		if (!dev->cfg.regions[r].sharable && e->shared_seq)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_BAD_SEQUENCE,
					   (int32_t)i, "extent=%u region=%d shared_seq=%u must be 0 in a non-sharable region",
					   i, r, e->shared_seq);
		if (dev->cfg.regions[r].sharable && core_tag_null(e->tag))
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_TAG_REQUIRED,
					   (int32_t)i, "extent=%u region=%d sharable region requires a tag", i, r);
		why = held(dev, (uint8_t)r, req->host, e->dpa, e->len, &a);
		if (why == CORE_REASON_HELD_ELSEWHERE)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, why, (int32_t)i,
					   "extent=%u dpa=0x%llx len=0x%llx overlaps capacity of %s%d",
					   i, X64(e->dpa), X64(e->len), a->holders ? "host=" : "fm reference",
					   a->holders ? a->holders->host : -1);
		if (why)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, why, (int32_t)i,
					   "extent=%u dpa=0x%llx len=0x%llx is %s host=%u", i, X64(e->dpa),
					   X64(e->len), why == CORE_REASON_ALREADY_ACCESSIBLE
					   ? "already accessible to" : "still pending on", req->host);
		c->of[i] = (struct offer){ .region = (uint8_t)r, .dpa = e->dpa, .len = e->len,
					   .tag = core_tag_null(e->tag) ? NULL : e->tag,
					   .seq = e->shared_seq, .idx = i };
	}
	return CXLDCD_RC_SUCCESS;
}

/* Free / Contiguous: count the pieces (first pass) or fill them (second). */
static uint32_t pick(struct add_ctx *c, bool fill, uint64_t *left)
{
	const struct core_add_req *req = c->req;
	uint64_t bs = c->dev->cfg.regions[req->region].block_size, dpa, len;
	bool contig = req->policy == CXLDCD_ADD_CONTIGUOUS;
	struct free_iter it = { 0 };
	uint32_t k = 0;

	*left = req->length;
	while (*left && region_next_free(c->dev, req->region, &it, contig ? req->length : bs, &dpa, &len)) {
		uint64_t take = len < *left ? len : *left;

		if (fill)
			c->of[k] = (struct offer){ .region = req->region, .dpa = dpa, .len = take,
						   .tag = core_tag_null(req->tag) ? NULL : req->tag,
						   .idx = k };
		k++;
		*left -= take;
	}
	return k;
}

static enum cxldcd_rc by_tag(struct add_ctx *c, struct cxldcd_diag *diag)
{
	struct tag *t = tag_find(c->dev, c->req->tag);
	uint16_t h = c->req->host;
	struct alloc *a;
	uint32_t i = 0;

	if (core_tag_null(c->req->tag) || !t)
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_TAG_NOT_FOUND, -1,
				   "host=%u enable shared access: tag not found", h);
	if (!tag_sharable(t))
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_TAG_NOT_SHARABLE, -1,
				   "host=%u enable shared access: tag capacity is in a non-sharable region", h);
	if (t->cnt[2 * h + 1])
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_ALREADY_ACCESSIBLE, -1,
				   "host=%u enable shared access: tag already accessible", h);
	if (t->cnt[2 * h])
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_STILL_PENDING, -1,
				   "host=%u enable shared access: tag already pending", h);
	c->n = t->nr_allocs;
	c->new_pairs = 1;
	c->of = core_zalloc(c->dev, sizeof(*c->of) * c->n);
	if (!c->of)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	for (a = tag_first(t); a; a = alloc_tag_next(c->dev, a), i++)
		c->of[i] = (struct offer){ .region = a->region, .dpa = a->dpa, .len = a->len,
					   .tag = t->id, .seq = a->seq, .tag_offset = a->tag_offset,
					   .existing = a, .t = t, .idx = i };
	return CXLDCD_RC_SUCCESS;
}

static enum cxldcd_rc select_free(struct add_ctx *c, struct cxldcd_diag *diag)
{
	const struct core_add_req *req = c->req;
	const struct core_region_cfg *rc;
	uint64_t left;

	if (req->region >= c->dev->cfg.nr_regions)
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_INVALID_REGION, -1,
				   "host=%u region=%u invalid", req->host, req->region);
	rc = &c->dev->cfg.regions[req->region];
	if (!req->length || req->length % rc->block_size)
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT,
				   req->length ? CORE_REASON_UNALIGNED : CORE_REASON_ZERO_LENGTH, -1,
				 "host=%u region=%u length=0x%llx not a non-zero multiple of block_size=0x%llx",
				 req->host, req->region, X64(req->length), X64(rc->block_size));
	if (rc->sharable && core_tag_null(req->tag))
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_TAG_REQUIRED, -1,
				   "host=%u region=%u sharable region requires a tag", req->host, req->region);
	c->n = pick(c, false, &left);
	if (left)
		return core_reject(diag, CXLDCD_RC_RESOURCES_EXHAUSTED, CORE_REASON_NO_CAPACITY, -1,
				 "host=%u region=%u length=0x%llx: not enough %s free capacity",
				 req->host, req->region, X64(req->length),
				 req->policy == CXLDCD_ADD_CONTIGUOUS ? "contiguous" : "");
	c->of = core_zalloc(c->dev, sizeof(*c->of) * c->n);
	if (!c->of)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	pick(c, true, &left);
	/* Sharable capacity gets its sequence numbers in DPA order. */
	for (uint32_t i = 0; rc->sharable && i < c->n; i++)
		c->of[i].seq = (uint16_t)(i + (c->dev->cfg.seq_one_based ? 1u : 0u));
	return CXLDCD_RC_SUCCESS;
}

/* ------------------------------------------------------------ tags */

/* One tag group of the request: ord[s..e).  Checks and assigns tag offsets. */
static enum cxldcd_rc tag_group(struct add_ctx *c, uint32_t s, uint32_t e, struct cxldcd_diag *diag)
{
	struct offer *f = &c->of[c->ord[s]];
	bool sharable = c->dev->cfg.regions[f->region].sharable;
	bool presc = c->req->policy == CXLDCD_ADD_PRESCRIPTIVE;
	uint16_t base = c->dev->cfg.seq_one_based ? 1 : 0;
	struct tag *t = tag_find(c->dev, f->tag);
	uint64_t off;
	int holder;

	for (uint32_t j = s; j < e; j++) {
		struct offer *o = &c->of[c->ord[j]];

		if (c->dev->cfg.regions[o->region].sharable != sharable)
			return core_diag(diag, CXLDCD_RC_INVALID_EXTENT_LIST, (int32_t)o->idx,
					 "extent=%u tag spans sharable and non-sharable regions", o->idx);
		if (presc && sharable && o->seq != base + (j - s))
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_BAD_SEQUENCE,
					 (int32_t)o->idx, "extent=%u shared_seq=%u: sequences of a tag must be %u..%u",
					 o->idx, o->seq, base, base + (e - s) - 1u);
	}
	if (t && (tag_sharable(t) || sharable))
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_TAG_IN_USE, (int32_t)f->idx,
				 "host=%u tag already in use%s", c->req->host,
				 tag_sharable(t) ? " (use enable shared access)" : " in a non-sharable region");
	holder = t ? tag_holder(c->dev, t) : -1;
	if (holder >= 0 && holder != c->req->host)
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_TAG_IN_USE, (int32_t)f->idx,
				 "host=%u tag in use by host=%d", c->req->host, holder);
	if (!t)
		c->new_tags++;
	c->new_pairs += !t || (!t->cnt[2 * c->req->host] && !t->cnt[2 * c->req->host + 1]);
	off = t ? t->next_offset : 0;
	for (uint32_t j = s; j < e; j++) {
		struct offer *o = &c->of[c->ord[j]];

		o->t = t;
		o->new_tag = !t && j == s;
		o->tag_offset = off;
		off += o->len;
	}
	return CXLDCD_RC_SUCCESS;
}

static enum cxldcd_rc check_tags(struct add_ctx *c, struct cxldcd_diag *diag)
{
	enum cxldcd_rc rc;
	uint32_t s = 0;

	for (uint32_t i = 0; i < c->n; i++)
		c->ord[i] = i;
	qsort_r(c->ord, c->n, sizeof(*c->ord), ord_cmp, c->of);
	while (s < c->n) {
		uint32_t e = s + 1;
		const uint8_t *tg = c->of[c->ord[s]].tag;

		while (e < c->n && tg && c->of[c->ord[e]].tag &&
		       !memcmp(c->of[c->ord[e]].tag, tg, CXLDCD_TAG_SIZE))
			e++;
		if (tg) {
			rc = tag_group(c, s, e, diag);
			if (rc)
				return rc;
		}
		s = e;
	}
	return CXLDCD_RC_SUCCESS;
}

/* ------------------------------------------------------------ commit */

static void ctx_free(struct add_ctx *c)
{
	for (uint32_t i = 0; c->of && i < c->n; i++) {
		alloc_del(c->dev, c->of[i].a);
		if (c->of[i].new_tag)
			tag_del(c->dev, c->of[i].t);
	}
	core_free(c->dev, c->of);
	core_free(c->dev, c->ord);
	tree_trim(c->dev);
}

/* Tree nodes for the new allocations, region by region. */
static int reserve_nodes(struct add_ctx *c)
{
	uint32_t k[CXLDCD_MAX_REGIONS] = { 0 };
	struct bt_need need = { 0 };

	for (uint32_t i = 0; i < c->n; i++)
		k[c->of[i].region] += !c->of[i].existing;
	for (uint8_t r = 0; r < c->dev->cfg.nr_regions; r++)
		bt_need(&c->dev->reg[r].allocs, k[r], &need);
	return bt_pool_reserve(&c->dev->pool, &need);
}

/* Reserve allocations, tag entries, the group, its hx objects and tree nodes. */
static struct group *reserve(struct add_ctx *c)
{
	struct group *g = core_zalloc(c->dev, sizeof(*g) + sizeof(g->x[0]) * c->n);
	uint32_t i;

	if (!g)
		return NULL;
	g->nr = c->n;
	for (i = 0; i < c->n; i++) {
		struct offer *o = &c->of[i];

		if (!(g->x[i] = hx_new(c->dev)))
			goto err;
		if (!o->existing && !(o->a = alloc_new(c->dev)))
			goto err;
		if (o->new_tag && !(o->t = tag_new(c->dev, o->tag, c->dev->cfg.regions[o->region].sharable)))
			goto err;
	}
	if (reserve_nodes(c) || pending_reserve(c->dev, c->req->host) ||
	    tag_reserve(c->dev, c->new_tags) ||
	    tag_host_reserve(c->dev, c->req->host, c->new_pairs, c->new_pairs == c->new_tags) ||
	    evlog_reserve(c->dev, c->req->host, CXLDCD_LOG_DC, c->n))
		goto err;
	return g;
err:
	for (i = 0; i < c->n; i++)
		hx_del(c->dev, g->x[i]);
	core_free(c->dev, g);
	return NULL;
}

static enum cxldcd_rc veto(struct add_ctx *c, struct cxldcd_diag *diag)
{
	struct core_extent_info *info = NULL;
	enum cxldcd_rc rc = CXLDCD_RC_SUCCESS;
	struct cxldcd_dev *dev = c->dev;

	for (uint32_t k = 0; k < dev->nr_obs && !rc; k++) {
		if (!dev->obs[k].ops->check_add)
			continue;
		if (!info && !(info = core_zalloc(dev, sizeof(*info) * c->n)))
			return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
		for (uint32_t i = 0; i < c->n; i++) {
			const struct offer *o = &c->of[i];

			info[i] = (struct core_extent_info){ .host = c->req->host, .region = o->region,
				.ext = { .dpa = o->dpa, .len = o->len, .shared_seq = o->seq },
				.tag_offset = o->tag ? o->tag_offset : 0,
				.sharable = dev->cfg.regions[o->region].sharable,
				.sanitize = dev->cfg.regions[o->region].sanitize_on_release };
			if (o->tag)
				memcpy(info[i].ext.tag, o->tag, CXLDCD_TAG_SIZE);
		}
		rc = dev->obs[k].ops->check_add(dev->obs[k].opaque, info, c->n, diag);
		if (rc && diag) {
			diag->rc = rc;
			diag->reason = CORE_REASON_VETOED;
		}
	}
	core_free(dev, info);
	return rc;
}

static void commit(struct add_ctx *c, struct group *g)
{
	struct cxldcd_dev *dev = c->dev;

	for (uint32_t j = 0; j < c->n; j++) {
		struct offer *o = &c->of[c->ord[j]];

		if (o->new_tag)
			tag_link(dev, o->t);
		if (o->existing)
			continue;
		if (!o->t && o->tag)  /* later members of a new tag group */
			o->t = c->of[c->ord[j - 1]].t;
		SLAB_SET(o->a, .dpa = o->dpa, .len = o->len, .tag = o->t, .seq = o->seq,
			 .region = o->region, .tag_offset = o->tag_offset);
		alloc_link(dev, o->a);
		if (o->t)
			o->t->next_offset = o->tag_offset + o->len;
	}
	for (uint32_t i = 0; i < c->n; i++) {
		struct offer *o = &c->of[i];

		hx_attach(dev, g->x[i], o->existing ? o->existing : o->a, c->req->host, g);
		o->a = NULL;
		o->new_tag = false;
	}
	g->id = dev->next_group_id++;
	g->offered_ns = dev->now;
	pending_push(dev, c->req->host, g);
	for (uint32_t i = 0; i < c->n; i++) {
		struct core_extent_info info;

		core_info(dev, g->x[i], &info);
		evlog_dc(dev, c->req->host, CXLDCD_DC_EV_ADD_CAPACITY, 0, 0, &info.ext, i + 1 < c->n);
	}
}

static enum cxldcd_rc build(struct add_ctx *c, struct cxldcd_diag *diag)
{
	const struct core_add_req *req = c->req;

	switch (req->policy) {
	case CXLDCD_ADD_PRESCRIPTIVE:
		if (!req->nr_extents || !req->extents)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_NO_EXTENTS, -1,
					   "host=%u prescriptive add with no extents", req->host);
		c->n = req->nr_extents;
		c->of = core_zalloc(c->dev, sizeof(*c->of) * c->n);
		c->ord = core_zalloc(c->dev, sizeof(*c->ord) * c->n);
		if (!c->of || !c->ord)
			return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
		return prescriptive(c, diag);
	case CXLDCD_ADD_FREE:
	case CXLDCD_ADD_CONTIGUOUS:
		return select_free(c, diag);
	case CXLDCD_ADD_ENABLE_SHARED:
		return by_tag(c, diag);
	}
	return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_INVALID_POLICY, -1,
			   "host=%u selection policy=%d invalid",
			 req->host, (int)req->policy);
}

static enum cxldcd_rc validate(struct add_ctx *c, struct cxldcd_diag *diag)
{
	struct cxldcd_dev *dev = c->dev;
	enum cxldcd_rc rc = build(c, diag);

	if (rc)
		return rc;
	if (!c->ord && !(c->ord = core_zalloc(dev, sizeof(*c->ord) * c->n)))
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	if (c->req->policy == CXLDCD_ADD_ENABLE_SHARED) {
		for (uint32_t i = 0; i < c->n; i++)
			c->ord[i] = i;
	} else if ((rc = check_tags(c, diag))) {
		return rc;
	}
	if ((uint64_t)core_used_extents(dev) + c->n > dev->cfg.max_extents)
		return core_reject(diag, CXLDCD_RC_RESOURCES_EXHAUSTED, CORE_REASON_EXTENT_LIMIT, -1,
				 "host=%u %u extents exceed max_extents=%u (in use %u)", c->req->host,
				 c->n, dev->cfg.max_extents, core_used_extents(dev));
	if ((uint64_t)dev->nr_tags + c->new_tags > dev->cfg.max_tags)
		return core_reject(diag, CXLDCD_RC_RESOURCES_EXHAUSTED, CORE_REASON_TAG_LIMIT, -1,
				 "host=%u %u new tags exceed max_tags=%u", c->req->host, c->new_tags,
				 dev->cfg.max_tags);
	if (evlog_free_slots(dev, c->req->host, CXLDCD_LOG_DC) < c->n)
		return core_reject(diag, CXLDCD_RC_RETRY_REQUIRED, CORE_REASON_LOG_FULL, -1,
				 "host=%u dc event log has %u free records, %u needed", c->req->host,
				 evlog_free_slots(dev, c->req->host, CXLDCD_LOG_DC), c->n);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc core_add(struct cxldcd_dev *dev, const struct core_add_req *req,
			uint64_t *group_id, struct cxldcd_diag *diag)
{
	struct add_ctx c = { .dev = dev, .req = req };
	struct group *g = NULL;
	enum cxldcd_rc rc;

	if (!core_host_ok(dev, req->host))
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_INVALID_HOST, -1,
				   "host=%u invalid (nr_hosts=%u)",
				 req->host, dev->cfg.nr_hosts);
	rc = validate(&c, diag);
	if (!rc && !(g = reserve(&c)))
		rc = core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	if (!rc && (rc = veto(&c, diag))) {
		for (uint32_t i = 0; i < c.n; i++)
			hx_del(dev, g->x[i]);
		core_free(dev, g);
	}
	if (!rc) {
		commit(&c, g);
		if (group_id)
			*group_id = g->id;
		core_diag(diag, CXLDCD_RC_SUCCESS, -1, "host=%u group=%llu extents=%u", req->host,
			  X64(g->id), c.n);
	}
	ctx_free(&c);
	return rc;
}
