/* SPDX-License-Identifier: MIT */
/*
 * groups.c - tag groups: their extents and their one contiguous mapping.
 *
 * Groups are a list in id order with hash indexes by id and by tag, and
 * their extents sit in a DPA index, so finding the group at a DPA, by tag
 * or by id never walks the list.  A tag group's extents are ordered by
 * shared sequence (arrival order when all are 0) and presented as ONE
 * contiguous mapping: a PROT_NONE reservation the length of its extents,
 * then each extent's segments (segments.c) mapped MAP_SHARED|MAP_FIXED at
 * the extent's offset in the group (pieces that continue each other in one
 * file in one mmap) - the equivalent of the Linux DAX device claimed by
 * the tag UUID.  A group is held open by applications (open_count);
 * release.c makes a release request wait for the last close.  Each extent
 * has its own state (enum ext_state); a forced release of part of an
 * extent splits it, as the device does.  Revocation replaces the affected
 * pages with PROT_NONE at once, open or not, and is noted for the
 * applications (ranges.c: h->revq, with the part taken).  A revoked piece
 * keeps its place in the group's mapping but leaves the DPA index (the
 * device may offer that capacity again, to this host too): it waits in
 * h->revoked for its Forced Capacity Release record only (struct
 * ext_node).  Data only: this file sends no command and calls nothing but
 * link.c and segments.c (host-int.h gives the order).
 */
#include "host/host-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

bool tag_is_null(const uint8_t *tag)
{
	for (unsigned i = 0; i < CXLDCD_TAG_SIZE; i++)
		if (tag[i])
			return false;
	return true;
}

/* ------------------------------------------------------------ groups */

void groups_init(struct cxldcd_host *h)
{
	h->groups = h->groups_tail = h->adding = h->adding_tail = NULL;
	htab_init(&h->group_ids);
	htab_init(&h->group_tags);
	htab_init(&h->files);
	rindex_init(&h->extents);
	rindex_init(&h->revoked);
	rindex_init(&h->segs);
}

static uint64_t tag_key(const uint8_t *tag)
{
	return htab_hash_bytes(tag, CXLDCD_TAG_SIZE);
}

/* Order by shared sequence (stable insertion sort: n is at most the chain cap). */
static void sort_by_seq(struct cxldcd_extent *x, uint32_t n)
{
	bool all_zero = true;

	for (uint32_t i = 0; i < n; i++)
		all_zero &= x[i].shared_seq == 0;
	for (uint32_t i = 1; i < n && !all_zero; i++) {
		struct cxldcd_extent v = x[i];
		uint32_t j = i;

		for (; j > 0 && x[j - 1].shared_seq > v.shared_seq; j--)
			x[j] = x[j - 1];
		x[j] = v;
	}
}

/* The index x is linked in (struct ext_node), or NULL. */
static struct rindex *node_index(struct cxldcd_host *h, const struct ext_node *x)
{
	if (x->st != X_REVOKED)
		return &h->extents;
	return x->awaiting ? &h->revoked : NULL;
}

static void index_remove(struct cxldcd_host *h, struct group *g, uint32_t nr_linked)
{
	for (uint32_t i = 0; i < nr_linked; i++) {
		struct rindex *ix = node_index(h, &g->xn[i]);

		if (ix)
			rindex_remove(ix, &g->xn[i].rn);
	}
}

/*
 * Link revoked piece x, awaiting its record, in h->revoked.  A piece there
 * that it meets is of an older revocation of the same DPA (capacity offered
 * again in between) whose record was lost: it leaves, its group found by
 * the re-read of the extent list the overflow brings (bringup_rescan()).
 */
static void revoked_link(struct cxldcd_host *h, struct ext_node *x)
{
	struct rnode *n;

	while ((n = rindex_first_overlap(&h->revoked, x->rn.start, x->rn.len))) {
		rindex_remove(&h->revoked, n);
		rnode_entry(n, struct ext_node, rn)->awaiting = false;
	}
	/* extents passed the Add checks: no length 0, no wrapping end */
	if (rindex_insert(&h->revoked, &x->rn))
		x->awaiting = false;
}

/*
 * Put g's extents in the DPA indexes (struct ext_node says which).  Return 0
 * or -EEXIST (a live one meets held capacity).
 */
static int index_add(struct cxldcd_host *h, struct group *g)
{
	uint64_t goff = 0;

	for (uint32_t i = 0; i < g->nr; i++) {
		g->xn[i] = (struct ext_node){ .rn = { .start = g->ext[i].dpa, .len = g->ext[i].len },
					      .g = g, .goff = goff, .idx = i, .st = g->xn[i].st,
					      .awaiting = g->xn[i].awaiting };
		goff += g->ext[i].len;
		if (g->xn[i].st == X_REVOKED) {
			if (g->xn[i].awaiting)
				revoked_link(h, &g->xn[i]);
			continue;
		}
		if (rindex_insert(&h->extents, &g->xn[i].rn)) {
			index_remove(h, g, i);
			return -EEXIST;
		}
	}
	return 0;
}

/* Index g by id and tag and append it to the list.  Return 0 or -ENOMEM. */
static int group_link(struct cxldcd_host *h, struct group *g)
{
	if (htab_insert(&h->group_ids, &g->by_id, g->info.id))
		return -ENOMEM;
	if (g->info.tagged && htab_insert(&h->group_tags, &g->by_tag, tag_key(g->info.tag))) {
		htab_remove(&h->group_ids, &g->by_id);
		return -ENOMEM;
	}
	g->prev = h->groups_tail;
	if (h->groups_tail)
		h->groups_tail->next = g;
	else
		h->groups = g;
	h->groups_tail = g;
	h->groups_bytes += g->info.size;
	return 0;
}

static void group_unlink(struct cxldcd_host *h, struct group *g)
{
	if (g->prev)
		g->prev->next = g->next;
	else
		h->groups = g->next;
	if (g->next)
		g->next->prev = g->prev;
	else
		h->groups_tail = g->prev;
	htab_remove(&h->group_ids, &g->by_id);
	if (g->info.tagged)
		htab_remove(&h->group_tags, &g->by_tag);
	h->groups_bytes -= g->info.size;
}

static struct group *group_alloc(const struct cxldcd_extent *e, uint32_t n)
{
	struct group *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->ext = calloc(n, sizeof(*g->ext));
	g->xn = calloc(n, sizeof(*g->xn));
	if (!g->ext || !g->xn) {
		free(g->ext);
		free(g->xn);
		free(g);
		return NULL;
	}
	memcpy(g->ext, e, n * sizeof(*e));
	g->nr = n;
	return g;
}

static void group_dealloc(struct group *g)
{
	free(g->ext);
	free(g->xn);
	free(g);
}

struct group *group_new(struct cxldcd_host *h, const struct cxldcd_extent *e, uint32_t n,
			uint8_t region)
{
	struct group *g = group_alloc(e, n);
	int rc;

	if (!g) {
		host_fail(h, -ENOMEM, "out of memory");
		return NULL;
	}
	sort_by_seq(g->ext, n);
	g->info.id = h->next_group_id++;
	memcpy(g->info.tag, e[0].tag, CXLDCD_TAG_SIZE);
	g->info.tagged = !tag_is_null(e[0].tag);
	g->info.region = region;
	g->info.nr_extents = n;
	for (uint32_t i = 0; i < n; i++)
		g->info.size += e[i].len;
	g->state = G_ADDING;
	rc = index_add(h, g);
	if (!rc && (rc = group_link(h, g)))
		index_remove(h, g, n);
	if (rc) {
		group_dealloc(g);
		/* the checks keep groups disjoint: -EEXIST is a bug, not the device */
		host_fail(h, rc, rc == -ENOMEM ? "out of memory" : "internal: extents overlap");
		return NULL;
	}
	return g;
}

void group_set_adding(struct cxldcd_host *h, struct group *g, uint64_t token)
{
	g->state = G_ADDING;
	g->token = token;
	/* tokens only grow, so appending keeps the queue in token order */
	g->anext = NULL;
	g->aprev = h->adding_tail;
	if (h->adding_tail)
		h->adding_tail->anext = g;
	else
		h->adding = g;
	h->adding_tail = g;
	g->queued = true;
}

struct group *group_first_adding(const struct cxldcd_host *h)
{
	return h->adding;
}

static void group_dequeue(struct cxldcd_host *h, struct group *g)
{
	if (!g->queued)
		return;
	if (g->aprev)
		g->aprev->anext = g->anext;
	else
		h->adding = g->anext;
	if (g->anext)
		g->anext->aprev = g->aprev;
	else
		h->adding_tail = g->aprev;
	g->anext = g->aprev = NULL;
	g->queued = false;
}

uint64_t group_span(const struct group *g)
{
	uint64_t len = 0;

	for (uint32_t i = 0; i < g->nr; i++)
		len += g->ext[i].len;
	return len;
}

void group_unmap(struct group *g)
{
	if (g->map)
		munmap(g->map, group_span(g));
	g->map = NULL;
	g->info.mapped = false;
}

static void map_group(struct cxldcd_host *h, struct group *g)
{
	uint32_t cap = g->nr * 4 + 8;
	struct gseg *s = calloc(cap, sizeof(*s));
	int n = s ? group_segments(h, g, s, cap) : -ENOMEM;
	uint64_t span;
	uint8_t *base;

	if (n < 0) {
		host_log(h, LOG_WARNING, "group id=%llu not mapped: %s",
			 (unsigned long long)g->info.id,
			 n == -ENODEV ? "no map segment from the device" : "too many segments");
		free(s);
		return;
	}
	n = groups_coalesce(s, n);
	span = group_span(g);
	base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		free(s);
		return;
	}
	for (int i = 0; i < n; i++) {
		int err = host_piece_map(base + s[i].group_offset, &s[i]);

		if (err) {
			host_log(h, LOG_WARNING, "group id=%llu mmap failed: %s",
				 (unsigned long long)g->info.id, strerror(-err));
			munmap(base, span);
			free(s);
			return;
		}
	}
	free(s);
	g->map = base;
	g->info.mapped = true;
}

void group_activate(struct cxldcd_host *h, struct group *g)
{
	group_dequeue(h, g);
	g->state = G_ACTIVE;
	if (h->mapping)
		map_group(h, g);
}

void group_free(struct cxldcd_host *h, struct group *g)
{
	group_dequeue(h, g);
	group_unlink(h, g);
	index_remove(h, g, g->nr);
	group_unmap(g);
	group_dealloc(g);
}

struct group *group_find(const struct cxldcd_host *h, const uint8_t *tag, uint64_t id)
{
	struct group *best = NULL;

	if (!tag || tag_is_null(tag)) {
		struct hnode *n = htab_first(&h->group_ids, id); /* the key is the id itself */

		return n ? hnode_entry(n, struct group, by_id) : NULL;
	}
	/* tags are unique (the Add checks); the oldest wins if a bug ever made two */
	for (struct hnode *n = htab_first(&h->group_tags, tag_key(tag)); n; n = htab_next(n)) {
		struct group *g = hnode_entry(n, struct group, by_tag);

		if (!memcmp(g->info.tag, tag, CXLDCD_TAG_SIZE) && (!best || g->info.id < best->info.id))
			best = g;
	}
	return best;
}

struct group *group_by_dpa(const struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	struct group *best = NULL;

	/* the oldest group (lowest id) that meets the range, as a walk of the list finds */
	for (struct rnode *n = rindex_first_overlap(&h->extents, dpa, len); n;
	     n = rindex_next_overlap(n, dpa, len)) {
		struct group *g = rnode_entry(n, struct ext_node, rn)->g;

		if (!best || g->info.id < best->info.id)
			best = g;
	}
	return best;
}

bool group_overlaps_any(const struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	return rindex_first_overlap(&h->extents, dpa, len) != NULL;
}

bool groups_revoked_awaits(const struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	return rindex_first_overlap(&h->revoked, dpa, len) != NULL;
}

const struct ext_node *extent_at(const struct cxldcd_host *h, uint64_t dpa)
{
	struct rnode *n = rindex_find(&h->extents, dpa);

	return n ? rnode_entry(n, struct ext_node, rn) : NULL;
}

static bool ext_live(enum ext_state st)
{
	return st == X_ACCEPTED || st == X_RELEASE_PENDING;
}

/*
 * Derived from the extents' states, not kept beside them: a group whose
 * first extent is live (the usual case) answers at once, and every other
 * caller has just walked the group's extents anyway.
 */
bool group_live(const struct group *g)
{
	for (uint32_t i = 0; i < g->nr; i++)
		if (ext_live(g->xn[i].st))
			return true;
	return false;
}

/* Pieces of extent x cut by [dpa, end): up to 3 (before, inside, after). */
static uint32_t cut(const struct cxldcd_extent *x, uint64_t dpa, uint64_t end,
		    struct cxldcd_extent *out, bool *inside)
{
	uint64_t xend = x->dpa + x->len, a = x->dpa > dpa ? x->dpa : dpa;
	uint64_t b = xend < end ? xend : end;
	uint32_t k = 0;

	if (a >= b) {
		out[0] = *x;
		inside[0] = false;
		return 1;
	}
	if (x->dpa < a) {
		out[k] = *x;
		out[k].len = a - x->dpa;
		inside[k++] = false;
	}
	out[k] = *x;
	out[k].dpa = a;
	out[k].len = b - a;
	inside[k++] = true;
	if (b < xend) {
		out[k] = *x;
		out[k].dpa = b;
		out[k].len = xend - b;
		inside[k++] = false;
	}
	return k;
}

/*
 * info.size and info.nr_extents tell what the host holds, as the device's
 * extent list does (4801h, 5603h): the live extents.  A forced release's
 * pieces stay in g (they keep their place in the mapping) but no longer
 * count, here nor in h->groups_bytes (the accept limit).
 */
static void group_recount(struct cxldcd_host *h, struct group *g)
{
	uint64_t size = 0;
	uint32_t n = 0;

	for (uint32_t i = 0; i < g->nr; i++) {
		if (!ext_live(g->xn[i].st))
			continue;
		size += g->ext[i].len;
		n++;
	}
	h->groups_bytes = h->groups_bytes - g->info.size + size;
	g->info.size = size;
	g->info.nr_extents = n;
}

int group_revoke_range(struct cxldcd_host *h, struct group *g, uint64_t dpa, uint64_t len)
{
	uint64_t end = dpa + len < dpa ? UINT64_MAX : dpa + len;
	struct cxldcd_extent piece[3], *ne;
	struct ext_node *nx;
	bool inside[3];
	uint32_t cnt = 0, k = 0;

	for (uint32_t i = 0; i < g->nr; i++)
		cnt += cut(&g->ext[i], dpa, end, piece, inside);
	if (cnt == g->nr) {
		/* no extent is cut: only states (and the index they are in) change */
		for (uint32_t i = 0; i < g->nr; i++) {
			cut(&g->ext[i], dpa, end, piece, inside);
			if (!inside[0] || !ext_live(g->xn[i].st))
				continue;
			rindex_remove(&h->extents, &g->xn[i].rn);
			g->xn[i].st = X_REVOKED;
			g->xn[i].awaiting = true;
			revoked_link(h, &g->xn[i]);
		}
		group_recount(h, g);
		return 0;
	}
	ne = calloc(cnt, sizeof(*ne));
	nx = calloc(cnt, sizeof(*nx));
	if (!ne || !nx) {
		free(ne);
		free(nx);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < g->nr; i++) {
		uint32_t m = cut(&g->ext[i], dpa, end, piece, inside);

		for (uint32_t j = 0; j < m; j++, k++) {
			bool now = inside[j] && ext_live(g->xn[i].st);

			ne[k] = piece[j];
			nx[k].st = now ? X_REVOKED : g->xn[i].st;
			nx[k].awaiting = now || g->xn[i].awaiting;
		}
	}
	index_remove(h, g, g->nr);
	free(g->ext);
	free(g->xn);
	g->ext = ne;
	g->xn = nx;
	g->nr = cnt;
	group_recount(h, g);
	/* the live pieces tile what live extents covered: they cannot meet anything else */
	if (index_add(h, g))
		host_fail(h, -EEXIST, "internal: extents overlap");
	return 0;
}

void groups_fini(struct cxldcd_host *h)
{
	struct rnode *n;

	while (h->groups)
		group_free(h, h->groups);
	if (h->static_map)
		munmap(h->static_map, h->static_size);
	h->static_map = NULL;
	while ((n = rindex_first(&h->segs)))
		host_segment_free(h, host_segment_of(n));
	htab_fini(&h->group_ids);
	htab_fini(&h->group_tags);
	htab_fini(&h->files);
}
