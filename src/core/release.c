/* SPDX-License-Identifier: MIT */
/*
 * release.c - capacity leaving a host: Initiate Dynamic Capacity Release
 * (5605h, CXL r3.2 §7.6.7.6.6; tag-based or prescriptive, forced or not)
 * and Release Dynamic Capacity (4803h, §8.2.10.9.9.4; partial, superset and
 * unsolicited releases).
 *
 * Both reduce a list of DPA ranges to "cuts": the piece of one of the host's
 * extents each range covers.  A cut list is validated whole (coverage,
 * sharable allocations taken whole, split growth against max_extents) before
 * anything changes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/model.h"

#define X64(v) ((unsigned long long)(v))

struct cut {
	struct hx *x;
	uint64_t dpa, len;
	uint32_t keep_first, keep_n; /* first cut of an extent: the pieces it keeps */
	bool head;                   /* first cut of its extent */
};

struct rel {
	struct cxldcd_dev *dev;
	uint16_t host;
	struct cxldcd_range *r;      /* sorted ranges (prescriptive, 4803h) */
	uint32_t n;
	struct cut *c;
	uint32_t nc;
	struct cxldcd_range *keep;
	uint32_t nkeep, spares, nr_accepted;
	int64_t delta;               /* change of used extents when applied */
};

/* What a release must check and the code each failure gets (4803h and 5605h differ). */
struct rules {
	enum cxldcd_rc beyond_rc;    /* a range not inside a region */
	enum cxldcd_rc gap_rc;       /* a range not (all) the host's */
	enum cxldcd_rc pend_rc;      /* a range (partly) pending on the host */
	enum cxldcd_rc share_rc;     /* part of a sharable tag's capacity on the host */
	bool pending_ok;             /* forced 5605h: pending targets make their group Dead */
	bool in_region;              /* QMP: every range inside region */
	uint8_t region;
};

/* Walk sorted range r over the host's extents, appending its cuts to s->c when set. */
static void cover(struct rel *s, const struct cxldcd_range *r)
{
	int reg = core_region_of(s->dev, r->dpa, r->len);
	uint64_t pos = r->dpa, end = r->dpa + r->len;
	struct alloc *a = region_lookup(s->dev, (uint8_t)reg, r->dpa);

	for (; a && pos < end; a = alloc_next(s->dev, a)) {
		struct hx *x = alloc_holder(a, s->host);
		uint64_t stop = alloc_end(a) < end ? alloc_end(a) : end;

		if (s->c)
			s->c[s->nc] = (struct cut){ .x = x, .dpa = pos, .len = stop - pos };
		s->nc++;
		pos = stop;
	}
}

/*
 * The host's hold on range r of region reg, QEMU's order: pending anywhere in
 * it first, then not the host's.  O(k log n) for k allocations in the range.
 */
static enum core_reason hold(const struct rel *s, int reg, const struct cxldcd_range *r, bool pending_ok)
{
	uint64_t pos = r->dpa, end = r->dpa + r->len;
	bool gap = false;

	for (const struct alloc *a = region_lookup(s->dev, (uint8_t)reg, r->dpa); a && a->dpa < end;
	     a = alloc_next(s->dev, a)) {
		const struct hx *x = alloc_holder(a, s->host);

		if (x && x->g && !pending_ok)
			return CORE_REASON_STILL_PENDING;
		if (!x || a->dpa > pos)
			gap = true;
		if (x)
			pos = alloc_end(a);
	}
	return gap || pos < end ? CORE_REASON_NOT_HELD : CORE_REASON_NONE;
}

/*
 * Check every range in list order, each completely before the next (core.h:
 * zero length, alignment, region, the list, then the host's hold), then sort
 * them into s->r.
 */
static enum cxldcd_rc check_ranges(struct rel *s, const struct cxldcd_range *r, const struct rules *k,
				   struct cxldcd_diag *diag)
{
	uint32_t *ord = core_zalloc(s->dev, sizeof(*ord) * s->n), dup;

	s->r = core_zalloc(s->dev, sizeof(*s->r) * s->n);
	if (!ord || !s->r) {
		core_free(s->dev, ord);
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	}
	if (k->in_region && k->region >= s->dev->cfg.nr_regions) {
		core_free(s->dev, ord);
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_INVALID_REGION, -1,
				   "host=%u region=%u invalid", s->host, k->region);
	}
	dup = list_first_overlap(r, sizeof(*r), s->n, ord);
	core_free(s->dev, ord);
	for (uint32_t i = 0; i < s->n; i++) {
		enum core_reason why;
		int reg = -1;

		why = region_place(s->dev, k->in_region ? k->region : -1, r[i].dpa, r[i].len, &reg);
		if (why)
			return core_reject(diag, why == CORE_REASON_BEYOND_REGION ? k->beyond_rc
					   : CXLDCD_RC_INVALID_EXTENT_LIST, why, (int32_t)i,
					   "host=%u dpa=0x%llx len=0x%llx %s", s->host, X64(r[i].dpa),
					   X64(r[i].len), why == CORE_REASON_ZERO_LENGTH ? "has zero length"
					   : why == CORE_REASON_UNALIGNED ? "not block aligned"
					   : "not inside one region");
		if (i == dup)
			return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_LIST_OVERLAP,
					   (int32_t)i, "host=%u dpa=0x%llx overlaps another range of the list",
					   s->host, X64(r[i].dpa));
		why = hold(s, reg, &r[i], k->pending_ok);
		if (why)
			return core_reject(diag, why == CORE_REASON_STILL_PENDING ? k->pend_rc : k->gap_rc,
					   why, (int32_t)i, "host=%u dpa=0x%llx len=0x%llx %s", s->host,
					   X64(r[i].dpa), X64(r[i].len), why == CORE_REASON_STILL_PENDING
					   ? "covers pending capacity" : "not assigned to the host");
		s->r[i] = r[i];
	}
	qsort(s->r, s->n, sizeof(*s->r), range_cmp);
	return CXLDCD_RC_SUCCESS;
}

/* Turn the checked, sorted ranges into cuts. */
static enum cxldcd_rc make_cuts(struct rel *s, struct cxldcd_diag *diag)
{
	for (int pass = 0; pass < 2; pass++) {
		s->nc = 0;
		for (uint32_t i = 0; i < s->n; i++)
			cover(s, &s->r[i]);
		if (pass == 0 && !(s->c = core_zalloc(s->dev, sizeof(*s->c) * (s->nc ? s->nc : 1))))
			return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	}
	return CXLDCD_RC_SUCCESS;
}

static int ptr_cmp(const void *pa, const void *pb)
{
	uintptr_t a = (uintptr_t)*(const void *const *)pa, b = (uintptr_t)*(const void *const *)pb;

	return a < b ? -1 : (a > b);
}

/*
 * Sharable capacity leaves per tag (CXL r3.2 §7.6.7.6.6, §8.2.10.9.9.4): the
 * cuts must cover all of the host's capacity of every sharable tag they
 * touch, each allocation whole.
 */
static enum cxldcd_rc check_sharable(struct rel *s, enum cxldcd_rc rc, struct cxldcd_diag *diag)
{
	const struct tag **tg;
	uint32_t nt = 0;

	for (uint32_t i = 0; i < s->nc; i++) {
		const struct alloc *a = s->c[i].x->a;

		if (s->dev->cfg.regions[a->region].sharable && s->c[i].len != a->len)
			return core_reject(diag, rc, CORE_REASON_SHARABLE_PARTIAL, -1,
					   "host=%u dpa=0x%llx len=0x%llx covers part of a sharable allocation dpa=0x%llx len=0x%llx",
					   s->host, X64(s->c[i].dpa), X64(s->c[i].len), X64(a->dpa), X64(a->len));
		nt += s->dev->cfg.regions[a->region].sharable && a->tag;
	}
	if (!nt)
		return CXLDCD_RC_SUCCESS;
	if (!(tg = core_zalloc(s->dev, sizeof(*tg) * nt)))
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	nt = 0;
	for (uint32_t i = 0; i < s->nc; i++) {
		const struct alloc *a = s->c[i].x->a;

		if (s->dev->cfg.regions[a->region].sharable && a->tag)
			tg[nt++] = a->tag;
	}
	qsort(tg, nt, sizeof(*tg), ptr_cmp);
	for (uint32_t i = 0, j; i < nt; i = j) {
		const struct tag *t = tg[i];
		uint32_t held = t->cnt[2 * s->host] + t->cnt[2 * s->host + 1];

		for (j = i; j < nt && tg[j] == t; j++)
			;
		if (j - i != held) {
			core_free(s->dev, tg);
			return core_reject(diag, rc, CORE_REASON_SHARABLE_PARTIAL, -1,
					   "host=%u the list covers %u of the %u extents of a sharable tag on the host: sharable capacity is released per tag",
					   s->host, j - i, held);
		}
	}
	core_free(s->dev, tg);
	return CXLDCD_RC_SUCCESS;
}

/* Plan the pieces each cut extent keeps; check growth; reserve spares. */
static enum cxldcd_rc plan(struct rel *s, struct spare *sp, struct cxldcd_diag *diag)
{
	uint32_t i = 0, k = 0;

	s->keep = core_zalloc(s->dev, sizeof(*s->keep) * (2u * s->nc + 1u));
	if (!s->keep)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	while (i < s->nc) {
		struct cut *h = &s->c[i];
		const struct alloc *a = h->x->a;
		uint64_t pos = a->dpa;

		h->head = true;
		h->keep_first = k;
		for (; i < s->nc && s->c[i].x == h->x; i++) {
			if (s->c[i].dpa > pos)
				s->keep[k++] = (struct cxldcd_range){ pos, s->c[i].dpa - pos };
			pos = s->c[i].dpa + s->c[i].len;
		}
		if (alloc_end(a) > pos)
			s->keep[k++] = (struct cxldcd_range){ pos, alloc_end(a) - pos };
		h->keep_n = k - h->keep_first;
		if (h->x->g)
			continue; /* pending: the group dies, nothing splits */
		s->nr_accepted++;
		s->delta += (int64_t)h->keep_n - 1;
		if (h->keep_n > 1)
			s->spares += h->keep_n - 1;
	}
	if (s->delta > 0 && (int64_t)core_used_extents(s->dev) + s->delta > (int64_t)s->dev->cfg.max_extents)
		return core_reject(diag, CXLDCD_RC_RESOURCES_EXHAUSTED, CORE_REASON_EXTENT_LIMIT, -1,
				 "host=%u release splits extents beyond max_extents=%u", s->host,
				 s->dev->cfg.max_extents);
	if (spare_reserve(s->dev, sp, s->spares, s->spares) ||
	    tree_reserve(s->dev, s->spares))
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	return CXLDCD_RC_SUCCESS;
}

static void cut_info(const struct rel *s, const struct cut *c, struct core_extent_info *info)
{
	core_alloc_info(s->dev, c->x->a, c->dpa, c->len, info);
	info->host = s->host;
	info->release_pending = c->x->release_pending;
}

/* Take the cut pieces away from the host (4803h, forced 5605h). */
static void remove_cuts(struct rel *s, struct spare *sp, bool revoke)
{
	struct core_extent_info info;

	for (uint32_t i = 0; i < s->nc; i++) {
		struct cut *h = &s->c[i];
		uint32_t j;

		if (!h->head || h->x->g)
			continue;
		for (j = i; j < s->nc && s->c[j].x == h->x; j++) {
			cut_info(s, &s->c[j], &info);
			if (revoke)
				obs_revoked(s->dev, &info);
			else
				obs_released(s->dev, &info);
		}
		hx_split_keep(s->dev, h->x, s->keep + h->keep_first, h->keep_n, false, sp);
	}
	if (s->nr_accepted)
		core_bump_gen(s->dev, s->host);
}

static void rel_free(struct rel *s, struct spare *sp)
{
	spare_release(s->dev, sp);
	tree_trim(s->dev);
	core_free(s->dev, s->r);
	core_free(s->dev, s->c);
	core_free(s->dev, s->keep);
}

/* ------------------------------------------------------------ 4803h */

static const struct rules host_rules = {
	.beyond_rc = CXLDCD_RC_INVALID_PA, .gap_rc = CXLDCD_RC_INVALID_PA,
	.pend_rc = CXLDCD_RC_INVALID_PA, .share_rc = CXLDCD_RC_INVALID_EXTENT_LIST,
};

enum cxldcd_rc core_release_dc(struct cxldcd_dev *dev, uint16_t host, const struct cxldcd_range *r,
			       uint32_t n, bool more, struct cxldcd_diag *diag)
{
	struct rel s = { .dev = dev, .host = host };
	const struct cxldcd_range *all;
	struct spare sp = { 0 };
	enum cxldcd_rc rc;
	bool staged;

	if (!core_host_ok(dev, host))
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_INVALID_HOST, -1,
				   "host=%u invalid", host);
	if (!n)
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_NO_EXTENTS, -1,
				   "host=%u release with no ranges", host);
	rc = stage_take(dev, host, STAGE_RELEASE, r, n, more, &all, &s.n, &staged, diag);
	if (rc || staged)
		return rc;
	if (!(rc = check_ranges(&s, all, &host_rules, diag)) && !(rc = make_cuts(&s, diag)) &&
	    !(rc = check_sharable(&s, host_rules.share_rc, diag)) &&
	    !(rc = plan(&s, &sp, diag))) {
		/* Record the FM's view of each piece before the extents change. */
		struct cxldcd_extent *ev = core_zalloc(dev, sizeof(*ev) * s.nc);

		if (!ev || evlog_reserve(dev, CORE_OWNER_FM, CXLDCD_LOG_DC, s.nc)) {
			core_free(dev, ev);
			rc = core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
		} else {
			for (uint32_t i = 0; i < s.nc; i++) {
				struct core_extent_info info;

				cut_info(&s, &s.c[i], &info);
				ev[i] = info.ext;
			}
			remove_cuts(&s, &sp, false);
			for (uint32_t i = 0; i < s.nc; i++)
				evlog_dc(dev, CORE_OWNER_FM, CXLDCD_DC_EV_CAPACITY_RELEASED, host, 0,
					 &ev[i], i + 1 < s.nc);
			core_free(dev, ev);
		}
	}
	rel_free(&s, &sp);
	stage_clear(dev, host);
	return rc;
}

/* ------------------------------------------------------------ 5605h */

static enum cxldcd_rc tag_cuts(struct rel *s, const struct core_release_req *req,
			       struct cxldcd_diag *diag)
{
	const struct tag *t = core_tag_null(req->tag) ? NULL : tag_find(s->dev, req->tag);
	uint64_t bytes = 0;

	if (!t || (!t->cnt[2 * req->host] && !t->cnt[2 * req->host + 1]))
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_TAG_NOT_ON_HOST, -1,
				   "host=%u tag-based release: tag not found on the host", req->host);
	s->nc = t->cnt[2 * req->host] + t->cnt[2 * req->host + 1];
	s->c = core_zalloc(s->dev, sizeof(*s->c) * s->nc);
	if (!s->c)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	s->nc = 0;
	for (struct alloc *a = tag_first(t); a; a = alloc_tag_next(s->dev, a)) {
		struct hx *x = alloc_holder(a, req->host);

		if (!x)
			continue;
		s->c[s->nc++] = (struct cut){ .x = x, .dpa = a->dpa, .len = a->len };
		bytes += a->len;
		if (x->g && !req->forced)
			return core_reject(diag, CXLDCD_RC_INVALID_PA, CORE_REASON_STILL_PENDING, -1,
					 "host=%u tag-based release: dpa=0x%llx is pending", req->host,
					 X64(a->dpa));
	}
	if (req->length > bytes)
		return core_reject(diag, CXLDCD_RC_RESOURCES_EXHAUSTED, CORE_REASON_LENGTH_MISMATCH, -1,
				 "host=%u length=0x%llx exceeds the tag's 0x%llx bytes on the host",
				 req->host, X64(req->length), X64(bytes));
	if (req->length && req->length < bytes)
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_LENGTH_MISMATCH, -1,
				 "host=%u length=0x%llx is less than the tag's 0x%llx bytes: tag-based release takes the whole tag",
				 req->host, X64(req->length), X64(bytes));
	return CXLDCD_RC_SUCCESS;
}

static enum cxldcd_rc presc_cuts(struct rel *s, const struct core_release_req *req,
				 struct cxldcd_diag *diag)
{
	const struct rules k = {
		.beyond_rc = CXLDCD_RC_INVALID_PA, .gap_rc = CXLDCD_RC_INVALID_EXTENT_LIST,
		.pend_rc = CXLDCD_RC_INVALID_PA, .share_rc = CXLDCD_RC_INVALID_INPUT,
		.pending_ok = req->forced, .in_region = req->in_region, .region = req->region,
	};
	struct cxldcd_range *r;
	enum cxldcd_rc rc;

	if (!req->nr_extents || !req->extents)
		return core_reject(diag, CXLDCD_RC_INVALID_EXTENT_LIST, CORE_REASON_NO_EXTENTS, -1,
				   "host=%u prescriptive release with no extents", req->host);
	s->n = req->nr_extents;
	r = core_zalloc(s->dev, sizeof(*r) * s->n);
	if (!r)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	for (uint32_t i = 0; i < s->n; i++)
		r[i] = (struct cxldcd_range){ req->extents[i].dpa, req->extents[i].len };
	rc = check_ranges(s, r, &k, diag);
	core_free(s->dev, r);
	if (!rc)
		rc = make_cuts(s, diag);
	return rc ? rc : check_sharable(s, k.share_rc, diag);
}

static void mark_sanitize(struct rel *s, bool sanitize)
{
	for (uint32_t i = 0; sanitize && i < s->nc; i++)
		s->c[i].x->a->sanitize = true;
}

static void release_request(struct rel *s)
{
	struct core_extent_info info;

	for (uint32_t i = 0; i < s->nc; i++)
		s->c[i].x->release_pending = true;
	for (uint32_t i = 0; i < s->nc; i++) {
		cut_info(s, &s->c[i], &info);
		evlog_dc(s->dev, s->host, CXLDCD_DC_EV_RELEASE_CAPACITY, 0, 0, &info.ext, i + 1 < s->nc);
	}
}

enum cxldcd_rc core_release(struct cxldcd_dev *dev, const struct core_release_req *req,
			    struct cxldcd_diag *diag)
{
	struct rel s = { .dev = dev, .host = req->host };
	struct spare sp = { 0 };
	struct cxldcd_extent *ev = NULL;
	enum cxldcd_rc rc;
	uint32_t ne = 0;

	if (!core_host_ok(dev, req->host))
		return core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_INVALID_HOST, -1,
				   "host=%u invalid", req->host);
	if (req->policy == CXLDCD_RELEASE_TAG_BASED)
		rc = tag_cuts(&s, req, diag);
	else if (req->policy == CXLDCD_RELEASE_PRESCRIPTIVE)
		rc = presc_cuts(&s, req, diag);
	else
		rc = core_reject(diag, CXLDCD_RC_INVALID_INPUT, CORE_REASON_INVALID_POLICY, -1,
				 "host=%u removal policy=%d invalid",
			       req->host, (int)req->policy);
	if (rc)
		goto out;
	if (!req->forced) {
		if (evlog_free_slots(dev, req->host, CXLDCD_LOG_DC) < s.nc) {
			rc = core_reject(diag, CXLDCD_RC_RETRY_REQUIRED, CORE_REASON_LOG_FULL, -1,
					 "host=%u dc event log has %u free records, %u needed", req->host,
				       evlog_free_slots(dev, req->host, CXLDCD_LOG_DC), s.nc);
			goto out;
		}
		if (evlog_reserve(dev, req->host, CXLDCD_LOG_DC, s.nc)) {
			rc = core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
			goto out;
		}
		mark_sanitize(&s, req->sanitize);
		release_request(&s);
		goto out;
	}
	if ((rc = plan(&s, &sp, diag)))
		goto out;
	if (!(ev = core_zalloc(dev, sizeof(*ev) * (s.nc ? s.nc : 1))) ||
	    evlog_reserve(dev, req->host, CXLDCD_LOG_DC, s.nc)) {
		rc = core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
		goto out;
	}
	mark_sanitize(&s, req->sanitize);
	for (uint32_t i = 0; i < s.nc; i++) {
		struct core_extent_info info;

		if (s.c[i].x->g) {
			s.c[i].x->g->dead = true;
			continue;
		}
		cut_info(&s, &s.c[i], &info);
		ev[ne++] = info.ext;
	}
	remove_cuts(&s, &sp, true);
	for (uint32_t i = 0; i < ne; i++)
		evlog_dc(dev, req->host, CXLDCD_DC_EV_FORCED_RELEASE, 0, 0, &ev[i], i + 1 < ne);
out:
	core_free(dev, ev);
	rel_free(&s, &sp);
	return rc;
}
