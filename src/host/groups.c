/* SPDX-License-Identifier: MIT */
/*
 * groups.c - tag groups and the memory behind them.
 *
 * The device hands over accepted capacity as MAP segments (DPA range, fd,
 * file offset); they are kept in a DPA index until the device UNMAPs them,
 * sharing one fd per backend file (struct backing).  Groups are a list in
 * id order with hash indexes by id and by tag, and their extents sit in a
 * DPA index, so finding the group at a DPA, by tag or by id never walks
 * the list.  A tag group's extents are ordered by shared sequence (arrival
 * order when all are 0) and presented as ONE contiguous mapping: a PROT_NONE
 * reservation the length of its extents, then each extent's segments mapped
 * MAP_SHARED|MAP_FIXED at the extent's offset in the group (pieces that
 * continue each other in one file in one mmap) - the equivalent of the
 * Linux DAX device claimed by the tag UUID.  A group is held open by applications
 * (open_count); release.c makes a release request wait for the last close.
 * Each extent has its own state (enum ext_state); a forced release of part
 * of an extent splits it, as the device does.  Revocation replaces the
 * affected pages with PROT_NONE at once, open or not, and is noted for the
 * applications (h->revq, with the part taken).  A revoked piece keeps its
 * place in the group's mapping but leaves the DPA index (the device may
 * offer that capacity again, to this host too): it waits in h->revoked
 * for its Forced Capacity Release record only (struct ext_node).  Data
 * only: this file sends no command and calls nothing but link.c
 * (host-int.h gives the order).
 */
#include "host/host-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

bool tag_is_null(const uint8_t *tag)
{
	for (unsigned i = 0; i < CXLDCD_TAG_SIZE; i++)
		if (tag[i])
			return false;
	return true;
}

/* ------------------------------------------------------------ backing files */

static uint64_t file_key(uint64_t dev, uint64_t ino, int accmode)
{
	uint64_t id[3] = { dev, ino, (uint64_t)(int64_t)accmode };

	return htab_hash_bytes(id, sizeof(id));
}

/*
 * The backing of fd: the one already held for its file (fd is then closed)
 * or a new one that keeps fd.  The access mode is part of the identity: a
 * read-only fd cannot stand in for a writable mapping.  NULL: out of memory
 * (fd untouched).
 */
static struct backing *backing_get(struct cxldcd_host *h, int fd, const struct stat *sb)
{
	int fl = fcntl(fd, F_GETFL), mode = fl < 0 ? -1 : fl & O_ACCMODE;
	uint64_t key = file_key((uint64_t)sb->st_dev, (uint64_t)sb->st_ino, mode);
	struct backing *b;

	for (struct hnode *n = htab_first(&h->files, key); n; n = htab_next(n)) {
		b = hnode_entry(n, struct backing, hn);
		if (b->dev == (uint64_t)sb->st_dev && b->ino == (uint64_t)sb->st_ino &&
		    b->accmode == mode) {
			close(fd);
			b->refs++;
			return b;
		}
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	*b = (struct backing){ .dev = (uint64_t)sb->st_dev, .ino = (uint64_t)sb->st_ino,
			       .accmode = mode, .fd = fd, .refs = 1 };
	if (htab_insert(&h->files, &b->hn, key)) {
		free(b);
		return NULL;
	}
	return b;
}

static void backing_put(struct cxldcd_host *h, struct backing *b)
{
	if (--b->refs)
		return;
	htab_remove(&h->files, &b->hn);
	close(b->fd);
	free(b);
}

/* ------------------------------------------------------------ segments */

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t host_max_segments(const struct cxldcd_host *h)
{
	/* disjoint, page aligned: no more than the DC span has pages */
	uint64_t pages = h->span_size / page_size();

	return pages > HOST_MIN_SEGMENTS_BOUND ? pages : HOST_MIN_SEGMENTS_BOUND;
}

uint64_t host_max_extents(const struct cxldcd_host *h)
{
	/* disjoint, at least one block each: no more than the regions have blocks */
	uint64_t blocks = 0;

	for (uint8_t i = 0; i < h->nr_regions; i++)
		blocks += h->regions[i].len / h->regions[i].block_size;
	return blocks > HOST_MIN_EXTENTS_BOUND ? blocks : HOST_MIN_EXTENTS_BOUND;
}

static struct segment *seg_of(struct rnode *n)
{
	return n ? rnode_entry(n, struct segment, rn) : NULL;
}

static void segment_free(struct cxldcd_host *h, struct segment *s)
{
	rindex_remove(&h->segs, &s->rn);
	backing_put(h, s->file);
	free(s);
}

static bool map_fits_file(int fd, uint64_t offset, uint64_t len, struct stat *sb)
{
	return fstat(fd, sb) == 0 && (!S_ISREG(sb->st_mode) || (uint64_t)sb->st_size >= offset + len) &&
	       (S_ISREG(sb->st_mode) || S_ISBLK(sb->st_mode) || S_ISCHR(sb->st_mode));
}

int segments_add(struct cxldcd_host *h, uint64_t dpa, uint64_t len, uint64_t offset, int fd,
		 bool writable)
{
	uint64_t page = page_size(), max = host_max_segments(h);
	struct segment *s;
	struct stat sb;
	int rc;

	if (dpa % page || len % page || offset % page) {
		host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, dpa, len, "map not page aligned");
		return -EINVAL;
	}
	if (!map_fits_file(fd, offset, len, &sb)) {
		host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, dpa, len,
			  "map beyond the end of its file or of an unmappable kind");
		return -EINVAL;
	}
	segments_drop(h, dpa, len); /* a newer MAP of the same range wins */
	if (h->segs.count >= max) {
		host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, dpa, len,
			  "more than %llu map segments (the pages of the dc span)",
			  (unsigned long long)max);
		return -ENOSPC;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct segment){ .rn = { .start = dpa, .len = len }, .offset = offset,
			       .writable = writable };
	rc = rindex_insert(&h->segs, &s->rn);
	if (!rc) {
		s->file = backing_get(h, fd, &sb);
		if (!s->file) {
			rindex_remove(&h->segs, &s->rn);
			rc = -ENOMEM;
		}
	}
	if (rc)
		free(s);
	return rc;
}

/* Keep [end, old end) of s as a segment of its own (dropped when it cannot be). */
static void segment_split_tail(struct cxldcd_host *h, struct segment *s, uint64_t end)
{
	uint64_t send = s->rn.start + s->rn.len;
	struct segment *t = h->segs.count < host_max_segments(h) ? calloc(1, sizeof(*t)) : NULL;

	s->rn.len = end - s->rn.start;
	if (!t)
		return;
	*t = (struct segment){ .rn = { .start = end, .len = send - end },
			       .offset = s->offset + (end - s->rn.start), .file = s->file,
			       .writable = s->writable, .paused_by = s->paused_by };
	if (rindex_insert(&h->segs, &t->rn)) {
		free(t);
		return;
	}
	s->file->refs++;
}

/* Remove [dpa, dpa+len) from s, which meets it. */
static void segment_cut(struct cxldcd_host *h, struct segment *s, uint64_t dpa, uint64_t len)
{
	uint64_t end = dpa + len, send = s->rn.start + s->rn.len;
	bool head = s->rn.start < dpa, tail = send > end;

	if (head && tail) {
		segment_split_tail(h, s, end);
		s->rn.len = dpa - s->rn.start;
	} else if (head) {
		s->rn.len = dpa - s->rn.start;
	} else if (tail) {
		/* the start moves inside s's own range: its place in the index holds */
		s->offset += end - s->rn.start;
		s->rn.len = send - end;
		s->rn.start = end;
	} else {
		segment_free(h, s);
	}
}

/* Remove [dpa, dpa+len) from the table, trimming segments that stick out. */
void segments_drop(struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	struct rnode *n = rindex_first_overlap(&h->segs, dpa, len);

	while (n) {
		struct rnode *next = rindex_next_overlap(n, dpa, len);

		segment_cut(h, seg_of(n), dpa, len);
		n = next;
	}
}

static const struct segment *segment_at(const struct cxldcd_host *h, uint64_t dpa)
{
	return seg_of(rindex_first_overlap(&h->segs, dpa, 1));
}

/*
 * The piece of [cur, end) that the segment at cur covers (group_offset 0).
 * Return 0, or -ENODEV when no segment holds cur.
 */
static int segment_piece(const struct cxldcd_host *h, uint64_t cur, uint64_t end,
			 struct gseg *p)
{
	const struct segment *s = segment_at(h, cur);
	uint64_t send;

	if (!s)
		return -ENODEV;
	send = s->rn.start + s->rn.len;
	*p = (struct gseg){ .len = (send < end ? send : end) - cur,
			    .file_offset = s->offset + (cur - s->rn.start), .fd = s->file->fd,
			    .writable = s->writable, .paused = s->paused_by != 0 };
	return 0;
}

int host_map_none(void *at, size_t len)
{
	if (mmap(at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
		 0) == MAP_FAILED)
		return -errno;
	return 0;
}

/* mmap p over at, shared, with the segment's access.  Return 0 or -errno. */
static int map_piece(uint8_t *at, const struct gseg *p)
{
	/* a piece a move has paused is mapped read-only, as PAUSE made the others */
	int prot = PROT_READ | (p->writable && !p->paused ? PROT_WRITE : 0);

	if (mmap(at, p->len, prot, MAP_SHARED | MAP_FIXED, p->fd, (off_t)p->file_offset) ==
	    MAP_FAILED)
		return -errno;
	return 0;
}

int group_segments(const struct cxldcd_host *h, const struct group *g, struct gseg *out,
		   uint32_t cap)
{
	uint64_t goff = 0;
	uint32_t k = 0;

	for (uint32_t i = 0; i < g->nr; i++) {
		uint64_t cur = g->ext[i].dpa, end = g->ext[i].dpa + g->ext[i].len;

		/* a forced release took it: its pages stay inaccessible (no segment) */
		if (g->xn[i].st == X_REVOKED)
			cur = end;
		while (cur < end) {
			struct gseg p;

			if (segment_piece(h, cur, end, &p))
				return -ENODEV;
			if (k == cap)
				return -E2BIG;
			p.group_offset = goff + (cur - g->ext[i].dpa);
			out[k++] = p;
			cur += p.len;
		}
		goff += g->ext[i].len;
	}
	return (int)k;
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

int groups_coalesce(struct gseg *s, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		struct gseg *p = k ? &s[k - 1] : NULL;

		/*
		 * paused decides the protection (map_piece()).  A device that
		 * keeps to the protocol pauses a shared grant whole, so pieces
		 * of one file agree, but it is a peer: a PAUSE of part of a
		 * grant must not leave the rest read-only, nor the paused part
		 * writable.
		 */
		if (p && p->fd == s[i].fd && p->writable == s[i].writable &&
		    p->paused == s[i].paused && p->group_offset + p->len == s[i].group_offset &&
		    p->file_offset + p->len == s[i].file_offset)
			p->len += s[i].len;
		else
			s[k++] = s[i];
	}
	return k;
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
		int err = map_piece(base + s[i].group_offset, &s[i]);

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
		seg_of(n)->paused_by = id;
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

		if (segment_piece(h, cur, b, &p)) {
			/* no segment: inaccessible, as when the device never mapped it */
			host_map_none(at, b - cur);
			return false;
		}
		err = map_piece(at, &p);
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

		while (n && seg_of(n)->paused_by != id)
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
		segment_free(h, seg_of(n));
	htab_fini(&h->group_ids);
	htab_fini(&h->group_tags);
	htab_fini(&h->files);
}

/* ------------------------------------------------------------ public */

uint32_t cxldcd_host_list_groups(const struct cxldcd_host *h, struct cxldcd_host_group_info *out,
				 uint32_t cap)
{
	uint32_t n = 0;

	for (const struct group *g = h->groups; g; g = g->next) {
		if (g->state != G_ACTIVE)
			continue;
		if (n < cap)
			out[n] = g->info;
		n++;
	}
	return n;
}

/*
 * Whether g may be handed out now: 0, -ENOENT, -EBUSY (release pending, or
 * nothing left: a forced release took all of it), -ENODEV (not mapped, or a
 * live piece has no segment: a move ended without remapping it), or -EAGAIN
 * while a move has a piece paused (its pages are read-only until the
 * REMAP).  *out receives g on 0 and -EAGAIN.  A group a forced release took
 * part of opens: what it still holds, at its offsets (the mapping's
 * revoked pieces are inaccessible).
 */
static int openable(const struct cxldcd_host *h, const uint8_t *tag, uint64_t id,
		    struct group **out)
{
	struct group *g = group_find(h, tag, id);
	bool paused = false;

	if (!g || g->state != G_ACTIVE)
		return -ENOENT;
	if (g->info.release_pending || !group_live(g))
		return -EBUSY;
	if (!g->map)
		return -ENODEV;
	for (uint32_t i = 0; i < g->nr; i++) {
		uint64_t end = g->ext[i].dpa + g->ext[i].len;

		for (uint64_t cur = g->xn[i].st == X_REVOKED ? end : g->ext[i].dpa; cur < end;) {
			struct gseg p;

			if (segment_piece(h, cur, end, &p))
				return -ENODEV;
			paused |= p.paused;
			cur += p.len;
		}
	}
	*out = g;
	return paused ? -EAGAIN : 0;
}

/*
 * One step of an open's wait for the move that paused g: drive the link
 * (its REMAP or MOVE_END), at most until due on the library's clock.
 * Return 0 (look again), -EBUSY (due: no REMAP came), -EAGAIN (called from
 * a callback of cxldcd_host_process(), which cannot be driven from inside),
 * or the host's failure.
 */
static int open_wait_step(struct cxldcd_host *h, const struct group *g, uint64_t due)
{
	uint64_t now = host_now_ms(h), left = due > now ? due - now : 0;
	int rc;

	if (h->in_process) {
		host_log(h, LOG_WARNING,
			 "group id=%llu: a move has it paused and an open from a callback cannot wait: refused",
			 (unsigned long long)g->info.id);
		return -EAGAIN;
	}
	if (!left) {
		host_log(h, LOG_WARNING,
			 "group id=%llu: a move paused it and no REMAP came in %u ms: open refused",
			 (unsigned long long)g->info.id, h->cfg.move_wait_ms);
		return -EBUSY;
	}
	/* short steps: a caller's cfg.clock need not follow the real time of poll() */
	rc = cxldcd_host_run_once(h, left < HOST_MOVE_POLL_MS ? (int)left : (int)HOST_MOVE_POLL_MS);
	return rc < 0 ? rc : 0;
}

int cxldcd_host_group_open(struct cxldcd_host *h, const uint8_t tag[CXLDCD_HOST_TAG_SIZE],
			   uint64_t id, void **addr, uint64_t *size)
{
	struct group *g = NULL;
	uint64_t due = 0;
	int rc;

	/*
	 * A move's PAUSE made the group's pages read-only: handing them out
	 * would let the caller's first write fault.  Wait, as the agent holds
	 * an application's OPEN (apps.c), for the REMAP (writable again, in
	 * place) or the MOVE_END; the group is looked up again after each
	 * step, as the link may have released or revoked it meanwhile.
	 */
	while ((rc = openable(h, tag, id, &g)) == -EAGAIN) {
		if (!due)
			due = host_now_ms(h) + h->cfg.move_wait_ms; /* move_wait_ms >= 1 */
		rc = open_wait_step(h, g, due);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	g->info.open_count++;
	g->open_local++;
	if (addr)
		*addr = g->map;
	if (size)
		*size = group_span(g);
	return 0;
}

/*
 * Static capacity (docs/host.md): every host's, DPA 0 up to static_size,
 * mapped from the MAP segments the device sent at connect; made once, kept
 * until cxldcd_host_free().
 */
uint64_t cxldcd_host_static_size(const struct cxldcd_host *h)
{
	return h->state == CXLDCD_HOST_CONNECTING ? 0 : h->static_size;
}

int cxldcd_host_static_map(struct cxldcd_host *h, void **addr, uint64_t *size)
{
	uint8_t *base;

	if (h->state == CXLDCD_HOST_CONNECTING || h->state == CXLDCD_HOST_FAILED)
		return -EAGAIN;
	if (!h->static_size)
		return -ENOENT;
	if (!h->mapping)
		return -ENODEV;
	if (!h->static_map) {
		base = mmap(NULL, h->static_size, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (base == MAP_FAILED)
			return -ENOMEM;
		for (uint64_t cur = 0; cur < h->static_size;) {
			struct gseg p;

			if (segment_piece(h, cur, h->static_size, &p) || map_piece(base + cur, &p)) {
				munmap(base, h->static_size);
				return -ENODEV;
			}
			cur += p.len;
		}
		h->static_map = base;
	}
	if (addr)
		*addr = h->static_map;
	if (size)
		*size = h->static_size;
	return 0;
}
