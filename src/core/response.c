/* SPDX-License-Identifier: MIT */
/*
 * response.c - Add Dynamic Capacity Response (4802h, CXL r3.2
 * §8.2.10.9.9.3): the host answers its oldest pending group.  Also the
 * More-chain staging shared with Release Dynamic Capacity (4803h).
 *
 * Accepted ranges become accepted extents keeping tag, sequence and tag
 * offset; what the host did not accept is freed at once (it was never
 * accessible, so it is not sanitized).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/model.h"

#define X64(v) ((unsigned long long)(v))

int range_cmp(const void *pa, const void *pb)
{
	const struct cxldcd_range *a = pa, *b = pb;

	return a->dpa < b->dpa ? -1 : (a->dpa > b->dpa);
}

/* A list entry's range: dpa and len lead both struct cxldcd_range and struct cxldcd_extent. */
_Static_assert(offsetof(struct cxldcd_extent, dpa) == offsetof(struct cxldcd_range, dpa) &&
	       offsetof(struct cxldcd_extent, len) == offsetof(struct cxldcd_range, len),
	       "extent and range lead with dpa, len");

static struct cxldcd_range at(const void *list, size_t stride, uint32_t i)
{
	struct cxldcd_range r;

	memcpy(&r, (const uint8_t *)list + (size_t)i * stride, sizeof(r));
	return r;
}

struct ovl_sort {
	const void *list;
	size_t stride;
};

static int ord_dpa_cmp(const void *pa, const void *pb, void *arg)
{
	const struct ovl_sort *o = arg;
	uint64_t a = at(o->list, o->stride, *(const uint32_t *)pa).dpa;
	uint64_t b = at(o->list, o->stride, *(const uint32_t *)pb).dpa;

	return a < b ? -1 : (a > b);
}

/* Do entries 0..m-1 of the list overlap one another?  ord: all indices by dpa. */
static bool prefix_overlaps(const struct ovl_sort *o, const uint32_t *ord, uint32_t n, uint32_t m)
{
	uint64_t end = 0;
	bool any = false;

	for (uint32_t k = 0; k < n; k++) {
		struct cxldcd_range x = at(o->list, o->stride, ord[k]);
		uint64_t xe = x.len > UINT64_MAX - x.dpa ? UINT64_MAX : x.dpa + x.len;

		if (ord[k] >= m || !x.len)
			continue;
		if (any && x.dpa < end)
			return true;
		if (!any || xe > end)
			end = xe;
		any = true;
	}
	return false;
}

uint32_t list_first_overlap(const void *list, size_t stride, uint32_t n, uint32_t *ord)
{
	struct ovl_sort o = { list, stride };
	uint32_t lo = 2, hi = n + 1;   /* the shortest prefix that overlaps; n + 1: none does */

	for (uint32_t i = 0; i < n; i++)
		ord[i] = i;
	qsort_r(ord, n, sizeof(*ord), ord_dpa_cmp, &o);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (prefix_overlaps(&o, ord, n, mid))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo <= n ? lo - 1 : n;
}

static int hx_cmp(const void *pa, const void *pb)
{
	const struct hx *a = *(const struct hx *const *)pa, *b = *(const struct hx *const *)pb;

	return a->a->dpa < b->a->dpa ? -1 : (a->a->dpa > b->a->dpa);
}

/* ------------------------------------------------------------ staging */

void stage_clear(struct cxldcd_dev *dev, uint16_t host)
{
	struct host *h = &dev->hosts[host];

	core_free(dev, h->staged);
	h->staged = NULL;
	h->nr_staged = h->cap_staged = 0;
	h->stage_kind = STAGE_NONE;
}

void core_staging_discard(struct cxldcd_dev *dev, uint16_t host)
{
	if (core_host_ok(dev, host))
		stage_clear(dev, host);
}

static int stage_grow(struct cxldcd_dev *dev, struct host *h, uint32_t need)
{
	struct cxldcd_range *nw;
	uint32_t cap = h->cap_staged ? h->cap_staged : 16;

	while (cap < need)
		cap = cap > UINT32_MAX / 2 ? need : cap * 2;
	if (cap == h->cap_staged)
		return 0;
	nw = core_zalloc(dev, sizeof(*nw) * cap);
	if (!nw)
		return -ENOMEM;
	if (h->nr_staged)
		memcpy(nw, h->staged, sizeof(*nw) * h->nr_staged);
	core_free(dev, h->staged);
	h->staged = nw;
	h->cap_staged = cap;
	return 0;
}

enum cxldcd_rc stage_take(struct cxldcd_dev *dev, uint16_t host, int kind,
			  const struct cxldcd_range *r, uint32_t n, bool more,
			  const struct cxldcd_range **out, uint32_t *nout, bool *staged_only,
			  struct cxldcd_diag *diag)
{
	struct host *h = &dev->hosts[host];

	*staged_only = false;
	if (h->stage_kind != STAGE_NONE && h->stage_kind != kind)
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_CHAIN_CONFLICT, -1,
				   "host=%u a more chain of another command is open", host);
	if (!more && !h->nr_staged) {
		*out = r;
		*nout = n;
		return CXLDCD_RC_SUCCESS;
	}
	if ((uint64_t)h->nr_staged + n > dev->cfg.max_extents)
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_EXTENT_LIMIT, -1,
				 "host=%u more chain of %llu ranges exceeds max_extents=%u", host,
				 X64((uint64_t)h->nr_staged + n), dev->cfg.max_extents);
	if (stage_grow(dev, h, h->nr_staged + n))
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	if (n)
		memcpy(h->staged + h->nr_staged, r, sizeof(*r) * n);
	h->nr_staged += n;
	h->stage_kind = kind;
	*staged_only = more;
	*out = h->staged;
	*nout = h->nr_staged;
	return CXLDCD_RC_SUCCESS;
}

/* ------------------------------------------------------------ 4802h */

struct rsp {
	struct cxldcd_dev *dev;
	uint16_t host;
	struct group *g;
	struct cxldcd_range *r;  /* sorted copy */
	uint32_t n;
	struct hx **x;           /* group extents sorted by DPA */
	uint32_t *first;         /* per sorted extent: index of its first range */
	uint32_t *cnt;           /* per sorted extent: ranges inside */
	uint32_t extra;          /* extents added by splitting */
};

static enum cxldcd_rc check_ranges(struct rsp *s, struct cxldcd_diag *diag)
{
	for (uint32_t i = 0; i < s->n; i++) {
		const struct cxldcd_range *r = &s->r[i];
		int reg = -1;
		enum core_reason why = region_place(s->dev, -1, r->dpa, r->len, &reg);

		if (why == CORE_REASON_ZERO_LENGTH)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_ZERO_LENGTH, -1,
					   "host=%u dpa=0x%llx len=0 invalid", s->host, X64(r->dpa));
		if (why == CORE_REASON_BEYOND_REGION)
			return core_reject(diag, CXLDCD_RC_INVALID_PA, CORE_REASON_BEYOND_REGION, -1,
					 "host=%u dpa=0x%llx len=0x%llx outside the offered extents",
					 s->host, X64(r->dpa), X64(r->len));
		if (why == CORE_REASON_UNALIGNED)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_UNALIGNED, -1,
					 "host=%u region=%d dpa=0x%llx len=0x%llx not block aligned",
					 s->host, reg, X64(r->dpa), X64(r->len));
		if (i && s->r[i - 1].dpa + s->r[i - 1].len > r->dpa)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_LIST_OVERLAP, -1,
					 "host=%u dpa=0x%llx overlaps another range of the list",
					 s->host, X64(r->dpa));
	}
	return CXLDCD_RC_SUCCESS;
}

struct tag_take {
	const struct tag *t;
	bool taken;
};

static int tag_take_cmp(const void *pa, const void *pb)
{
	uintptr_t a = (uintptr_t)((const struct tag_take *)pa)->t;
	uintptr_t b = (uintptr_t)((const struct tag_take *)pb)->t;

	return a < b ? -1 : (a > b);
}

/*
 * Sharable capacity is accepted per tag, all or nothing (CXL r3.2
 * §8.2.10.9.9.3; the tag is the unit of sharing and of release, §8.2.10.9.9.4):
 * an offer may carry several tags and a host (Linux v10+) answers per tag
 * group, leaving out a group that fails its checks.  v: the group's
 * sharable extents (n) with whether the response takes them.
 */
static enum cxldcd_rc tags_whole(struct rsp *s, struct tag_take *v, uint32_t n,
				 struct cxldcd_diag *diag)
{
	qsort(v, n, sizeof(*v), tag_take_cmp);
	for (uint32_t i = 1; i < n; i++)
		if (v[i].t == v[i - 1].t && v[i].taken != v[i - 1].taken)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_SHARABLE_PARTIAL, -1,
					   "host=%u group=%llu a sharable tag must be accepted all or nothing",
					   s->host, X64(s->g->id));
	return CXLDCD_RC_SUCCESS;
}

/* Each range inside one offered extent; sharable extents and tags all-or-nothing. */
static enum cxldcd_rc match(struct rsp *s, struct cxldcd_diag *diag)
{
	uint32_t j = 0, shared = 0;
	struct tag_take *v;
	enum cxldcd_rc rc;

	for (uint32_t i = 0; i < s->n; i++) {
		const struct cxldcd_range *r = &s->r[i];

		while (j < s->g->nr && alloc_end(s->x[j]->a) <= r->dpa)
			j++;
		if (j == s->g->nr || s->x[j]->a->dpa > r->dpa ||
		    r->dpa + r->len > alloc_end(s->x[j]->a))
			return core_reject(diag, CXLDCD_RC_INVALID_PA, CORE_REASON_NOT_HELD, -1,
					 "host=%u dpa=0x%llx len=0x%llx not inside an extent of group=%llu",
					 s->host, X64(r->dpa), X64(r->len), X64(s->g->id));
		if (!s->cnt[j]++)
			s->first[j] = i;
	}
	for (j = 0; j < s->g->nr; j++) {
		const struct alloc *a = s->x[j]->a;

		if (s->cnt[j] > 1)
			s->extra += s->cnt[j] - 1;
		if (!s->dev->cfg.regions[a->region].sharable)
			continue;
		shared++;
		if (s->cnt[j] && (s->cnt[j] != 1 || s->r[s->first[j]].len != a->len))
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_SHARABLE_PARTIAL, -1,
					 "host=%u dpa=0x%llx sharable extent must be accepted whole",
					 s->host, X64(a->dpa));
	}
	if (shared < 2)
		return CXLDCD_RC_SUCCESS;
	v = core_zalloc(s->dev, sizeof(*v) * shared);
	if (!v)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	shared = 0;
	for (j = 0; j < s->g->nr; j++)
		if (s->dev->cfg.regions[s->x[j]->a->region].sharable)
			v[shared++] = (struct tag_take){ s->x[j]->a->tag, s->cnt[j] != 0 };
	rc = tags_whole(s, v, shared, diag);
	core_free(s->dev, v);
	return rc;
}

static enum cxldcd_rc prepare(struct rsp *s, const struct cxldcd_range *r, struct cxldcd_diag *diag)
{
	struct cxldcd_dev *dev = s->dev;
	enum cxldcd_rc rc;
	uint32_t used = core_used_extents(dev), m = s->g->nr;

	s->r = core_zalloc(dev, sizeof(*s->r) * s->n);
	s->x = core_zalloc(dev, sizeof(*s->x) * m);
	s->first = core_zalloc(dev, sizeof(*s->first) * m);
	s->cnt = core_zalloc(dev, sizeof(*s->cnt) * m);
	if (!s->r || !s->x || !s->first || !s->cnt)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	memcpy(s->r, r, sizeof(*r) * s->n);
	qsort(s->r, s->n, sizeof(*s->r), range_cmp);
	memcpy(s->x, s->g->x, sizeof(*s->x) * m);
	qsort(s->x, m, sizeof(*s->x), hx_cmp);
	if ((rc = check_ranges(s, diag)) || (rc = match(s, diag)))
		return rc;
	if (s->n > m && (uint64_t)used + (s->n - m) > dev->cfg.max_extents)
		return core_reject(diag, CXLDCD_RC_RESOURCES_EXHAUSTED, CORE_REASON_EXTENT_LIMIT, -1,
				 "host=%u accepting %u ranges exceeds max_extents=%u", s->host, s->n,
				 dev->cfg.max_extents);
	return CXLDCD_RC_SUCCESS;
}

static void accept_commit(struct rsp *s, struct spare *sp)
{
	struct cxldcd_dev *dev = s->dev;
	struct core_extent_info info;
	uint64_t id = s->g->id;
	uint32_t m = s->g->nr;

	for (uint32_t j = 0; j < m; j++) {
		struct hx *x = s->x[j];
		const struct cxldcd_range *k = &s->r[s->first[j]];

		if (s->cnt[j] == 1 && k->dpa == x->a->dpa && k->len == x->a->len)
			hx_accept(dev, x);
		else
			hx_split_keep(dev, x, k, s->cnt[j], true, sp);
	}
	pending_remove(dev, s->host, 0);
	core_bump_gen(dev, s->host);
	for (uint32_t i = 0; i < s->n; i++) {
		int reg = core_region_of(dev, s->r[i].dpa, s->r[i].len);
		struct alloc *a = region_lookup(dev, (uint8_t)reg, s->r[i].dpa);

		core_info(dev, alloc_holder(a, s->host), &info);
		obs_accepted(dev, &info);
		evlog_dc(dev, CORE_OWNER_FM, CXLDCD_DC_EV_ADD_CAPACITY_RESPONSE, s->host, 0, &info.ext,
			 i + 1 < s->n);
	}
	obs_answered(dev, s->host, id, m, s->n);
}

enum cxldcd_rc core_add_response(struct cxldcd_dev *dev, uint16_t host, const struct cxldcd_range *r,
				 uint32_t n, bool more, struct cxldcd_diag *diag)
{
	struct rsp s = { .dev = dev, .host = host };
	const struct cxldcd_range *all;
	struct spare sp = { 0 };
	enum cxldcd_rc rc;
	bool staged;

	if (!core_host_ok(dev, host))
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_INVALID_HOST, -1,
				   "host=%u invalid", host);
	rc = stage_take(dev, host, STAGE_ADD_RSP, r, n, more, &all, &s.n, &staged, diag);
	if (rc || staged)
		return rc;
	s.g = pending_at(dev, host, 0);
	if (!s.g) {
		rc = core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_NO_PENDING_ADD, -1,
				 "host=%u no pending add", host);
	} else if (!s.n) {
		uint64_t id = s.g->id;
		uint32_t m = s.g->nr;

		pending_reject(dev, host, 0);
		obs_answered(dev, host, id, m, 0);
	} else if (s.g->dead) {
		rc = core_reject(diag, CXLDCD_RC_INVALID_PA, CORE_REASON_GROUP_DEAD, -1,
				 "host=%u group=%llu is dead (forced release)",
			       host, X64(s.g->id));
	} else if (!(rc = prepare(&s, all, diag))) {
		if (spare_reserve(dev, &sp, s.extra, s.extra) || tree_reserve(dev, s.extra) ||
		    evlog_reserve(dev, CORE_OWNER_FM, CXLDCD_LOG_DC, s.n))
			rc = core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
		else
			accept_commit(&s, &sp);
		spare_release(dev, &sp);
	}
	core_free(dev, s.r);
	core_free(dev, s.x);
	core_free(dev, s.first);
	core_free(dev, s.cnt);
	stage_clear(dev, host);
	tree_trim(dev);
	return rc;
}
