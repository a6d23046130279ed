/* SPDX-License-Identifier: MIT */
/*
 * ranges.c - what happens to a DPA range across every group that maps it:
 * an UNMAP makes its pages inaccessible (and, revoked, is noted for the
 * applications in h->revq), a Forced Capacity Release record takes the
 * revoked pieces out of h->revoked, and a move PAUSEs, REMAPs and ENDs a
 * range (docs/host-link.md "Moves").  The groups hit are found through the
 * DPA index of extents, never by walking the list.  Data only: calls
 * nothing but link.c, groups.c and segments.c (host-int.h gives the order).
 */
#include "host/host-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int cmp_group_id(const void *a, const void *b)
{
	const struct group *x = *(struct group *const *)a, *y = *(struct group *const *)b;

	return x->info.id < y->info.id ? -1 : x->info.id > y->info.id;
}

/* Remember g once in *v (grown as needed).  Return false when it cannot grow. */
static bool hit_add(struct group ***v, size_t *k, size_t *cap, struct group *g)
{
	if (g->mark)
		return true;
	if (*k == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct group **nv = realloc(*v, ncap * sizeof(**v));

		if (!nv)
			return false;
		*v = nv;
		*cap = ncap;
	}
	g->mark = true;
	(*v)[(*k)++] = g;
	return true;
}

/* The part [*a, *b) of extent x inside [dpa, dpa+len); false when empty (a query that wraps). */
static bool ext_clip(const struct ext_node *x, uint64_t dpa, uint64_t len, uint64_t *a,
		     uint64_t *b)
{
	uint64_t xend = x->rn.start + x->rn.len;

	*a = x->rn.start > dpa ? x->rn.start : dpa;
	*b = xend < dpa + len ? xend : dpa + len;
	return *a < *b;
}

/*
 * Replace the part of each extent inside [dpa, dpa+len) with inaccessible
 * pages; revoked: note each such part of an active group for the
 * applications holding it.  When want_hits, *v receives the groups hit,
 * oldest first (the order a walk of the list reports them in), and *lost
 * tells whether one was left out for want of memory; return their count.
 */
static size_t unmap_extents(struct cxldcd_host *h, uint64_t dpa, uint64_t len, bool revoked,
			    bool want_hits, struct group ***v, bool *lost)
{
	size_t k = 0, cap = 0;

	*v = NULL;
	*lost = false;
	for (struct rnode *n = rindex_first_overlap(&h->extents, dpa, len); n;
	     n = rindex_next_overlap(n, dpa, len)) {
		struct ext_node *x = rnode_entry(n, struct ext_node, rn);
		uint64_t a, b;

		if (!ext_clip(x, dpa, len, &a, &b))
			continue;
		if (x->g->map)
			host_map_none(x->g->map + x->goff + (a - x->rn.start), b - a);
		if (revoked && x->g->state == G_ACTIVE)
			groups_note_revoked(h, x->g->info.id, x->goff + (a - x->rn.start), b - a);
		if (want_hits && !hit_add(v, &k, &cap, x->g))
			*lost = true;
	}
	for (size_t i = 0; i < k; i++)
		(*v)[i]->mark = false;
	if (k > 1)
		qsort(*v, k, sizeof(**v), cmp_group_id);
	return k;
}

ssize_t groups_unmap_range(struct cxldcd_host *h, uint64_t dpa, uint64_t len, bool revoked,
			   struct group ***hits)
{
	struct group **v;
	bool lost;
	size_t k = unmap_extents(h, dpa, len, revoked, revoked || hits, &v, &lost);

	for (size_t i = 0; revoked && i < k; i++) {
		struct group *g = v[i];

		if (g->state != G_ACTIVE)
			continue;
		g->info.revoked = true;
		host_emit(h, CXLDCD_HOST_EV_REVOKED, g, dpa, len,
			  "id=%llu dpa=0x%llx len=0x%llx access revoked",
			  (unsigned long long)g->info.id, (unsigned long long)dpa,
			  (unsigned long long)len);
	}
	if (!hits) {
		free(v);
		return 0;
	}
	*hits = v;
	return lost ? -ENOMEM : (ssize_t)k;
}

ssize_t groups_take_revoked(struct cxldcd_host *h, uint64_t dpa, uint64_t len,
			    struct group ***hits)
{
	size_t k = 0, cap = 0;
	bool lost = false;
	struct rnode *n;

	*hits = NULL;
	/* one at a time, the search made again: each piece found leaves the index */
	while ((n = rindex_first_overlap(&h->revoked, dpa, len))) {
		struct ext_node *x = rnode_entry(n, struct ext_node, rn);

		rindex_remove(&h->revoked, n);
		x->awaiting = false;
		if (!hit_add(hits, &k, &cap, x->g))
			lost = true;
	}
	for (size_t i = 0; i < k; i++)
		(*hits)[i]->mark = false;
	if (k > 1)
		qsort(*hits, k, sizeof(**hits), cmp_group_id);
	return lost ? -ENOMEM : (ssize_t)k;
}

/*
 * The mapped active groups with an extent in [dpa, dpa+len), oldest first,
 * into *v (caller frees).  Return their count; one that cannot be
 * remembered (out of memory) is left out.
 */
static size_t mapped_groups_in(const struct cxldcd_host *h, uint64_t dpa, uint64_t len,
			       struct group ***v)
{
	size_t k = 0, cap = 0;

	*v = NULL;
	for (struct rnode *n = rindex_first_overlap(&h->extents, dpa, len); n;
	     n = rindex_next_overlap(n, dpa, len)) {
		struct group *g = rnode_entry(n, struct ext_node, rn)->g;

		if (g->state == G_ACTIVE && g->map)
			hit_add(v, &k, &cap, g);
	}
	for (size_t i = 0; i < k; i++)
		(*v)[i]->mark = false;
	if (k > 1)
		qsort(*v, k, sizeof(**v), cmp_group_id);
	return k;
}

void groups_pause_range(struct cxldcd_host *h, uint64_t dpa, uint64_t len, uint64_t id)
{
	struct group **v;
	size_t k;

	/* an application must not be handed the grant being retired (apps.c, open wait) */
	for (struct rnode *n = rindex_first_overlap(&h->segs, dpa, len); n;
	     n = rindex_next_overlap(n, dpa, len))
		host_segment_of(n)->paused_by = id;
	/*
	 * The event comes before the pages turn read-only: an application
	 * that writes the group from other threads stops them in its callback.
	 */
	k = mapped_groups_in(h, dpa, len, &v);
	for (size_t i = 0; i < k; i++)
		host_emit(h, CXLDCD_HOST_EV_GROUP_PAUSED, v[i], dpa, len,
			  "id=%llu dpa=0x%llx len=0x%llx paused by move %llu: read-only until its remap",
			  (unsigned long long)v[i]->info.id, (unsigned long long)dpa,
			  (unsigned long long)len, (unsigned long long)id);
	free(v);
	for (struct rnode *n = rindex_first_overlap(&h->extents, dpa, len); n;
	     n = rindex_next_overlap(n, dpa, len)) {
		struct ext_node *x = rnode_entry(n, struct ext_node, rn);
		uint64_t a, b;

		if (ext_clip(x, dpa, len, &a, &b) && x->g->map)
			mprotect(x->g->map + x->goff + (a - x->rn.start), b - a, PROT_READ);
	}
}

/*
 * Map [a, b) of extent x again from the segments there.  Return false when
 * a page had none, or could not be mapped (then it is inaccessible).
 */
static bool remap_extent(struct cxldcd_host *h, const struct ext_node *x, uint64_t a, uint64_t b)
{
	bool ok = true;

	for (uint64_t cur = a; cur < b;) {
		uint8_t *at = x->g->map + x->goff + (cur - x->rn.start);
		struct gseg p;
		int err;

		if (host_piece_find(h, cur, b, &p)) {
			/* no segment: inaccessible, as when the device never mapped it */
			host_map_none(at, b - cur);
			return false;
		}
		err = host_piece_map(at, &p);
		if (err) {
			host_log(h, LOG_WARNING, "group id=%llu remap failed: %s",
				 (unsigned long long)x->g->info.id, strerror(-err));
			host_map_none(at, p.len);
			ok = false;
		}
		cur += p.len;
	}
	return ok;
}

/* Tell the holders of the mapped groups in [dpa, dpa+len) how a remap left them. */
static void remap_announce(struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	struct group **v;
	size_t k = mapped_groups_in(h, dpa, len, &v);
	bool *lost = k ? calloc(k, sizeof(*lost)) : NULL;

	/* the flags are read and cleared before any callback runs (it may drive the link) */
	for (size_t i = 0; i < k && lost; i++)
		lost[i] = v[i]->lost;
	for (struct rnode *n = rindex_first_overlap(&h->extents, dpa, len); n;
	     n = rindex_next_overlap(n, dpa, len))
		rnode_entry(n, struct ext_node, rn)->g->lost = false;
	/* out of memory: no events; the mappings are right all the same */
	for (size_t i = 0; i < k && lost; i++) {
		if (lost[i])
			host_emit(h, CXLDCD_HOST_EV_REVOKED, v[i], dpa, len,
				  "id=%llu dpa=0x%llx len=0x%llx: a move left it without a remap: inaccessible",
				  (unsigned long long)v[i]->info.id, (unsigned long long)dpa,
				  (unsigned long long)len);
		else
			host_emit(h, CXLDCD_HOST_EV_GROUP_RESUMED, v[i], dpa, len,
				  "id=%llu dpa=0x%llx len=0x%llx remapped: writable again",
				  (unsigned long long)v[i]->info.id, (unsigned long long)dpa,
				  (unsigned long long)len);
	}
	free(lost);
	free(v);
}

void groups_remap_range(struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	for (struct rnode *n = rindex_first_overlap(&h->extents, dpa, len); n;
	     n = rindex_next_overlap(n, dpa, len)) {
		struct ext_node *x = rnode_entry(n, struct ext_node, rn);
		uint64_t a, b;

		if (!ext_clip(x, dpa, len, &a, &b) || !x->g->map)
			continue;
		if (!remap_extent(h, x, a, b))
			x->g->lost = true;
		if (x->g->state == G_ACTIVE) /* the applications' maps are stale: all of them */
			groups_note_revoked(h, x->g->info.id, 0, 0);
	}
	remap_announce(h, dpa, len);
}

bool groups_end_move(struct cxldcd_host *h, uint64_t dpa, uint64_t len, uint64_t id)
{
	bool any = false;

	/*
	 * One segment at a time, the search made again after each: the remap's
	 * events run callbacks, which may drive the link and change the index.
	 */
	for (;;) {
		struct rnode *n = rindex_first_overlap(&h->segs, dpa, len);
		uint64_t start, slen;

		while (n && host_segment_of(n)->paused_by != id)
			n = rindex_next_overlap(n, dpa, len);
		if (!n)
			return any;
		/* the whole segment: its file is the retired grant, inside the range or not */
		start = n->start;
		slen = n->len;
		segments_drop(h, start, slen);
		groups_remap_range(h, start, slen); /* inaccessible now; applications told */
		any = true;
	}
}

void groups_note_revoked(struct cxldcd_host *h, uint64_t id, uint64_t off, uint64_t len)
{
	struct revocation *nq, *last = h->nr_revq ? &h->revq[h->nr_revq - 1] : NULL;

	for (uint32_t i = 0; !len && i < h->nr_revq; i++)
		if (h->revq[i].id == id && !h->revq[i].len)
			return;
	/* the pieces of one extent, or of extents that follow each other, come in order */
	if (len && last && last->id == id && last->len && last->off + last->len == off) {
		last->len += len;
		return;
	}
	if (h->nr_revq == h->cap_revq) {
		uint32_t ncap = h->cap_revq ? h->cap_revq * 2 : 8;

		nq = realloc(h->revq, ncap * sizeof(*nq));
		if (!nq)
			return; /* the applications keep the mapping; the device's revocation holds */
		h->revq = nq;
		h->cap_revq = ncap;
	}
	h->revq[h->nr_revq++] = (struct revocation){ id, off, len };
}
