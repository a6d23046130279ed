/* SPDX-License-Identifier: MIT */
/*
 * segments.c - the memory the device hands over, and its pieces.
 *
 * Accepted capacity arrives as MAP segments (DPA range, fd, file offset);
 * they are kept in a DPA index (h->segs) until the device UNMAPs them,
 * sharing one fd per backend file (struct backing).  A group's mapping is
 * built from pieces (struct gseg): host_piece_find() gives the piece of a
 * segment at a DPA, group_segments() a group's pieces in group order,
 * groups_coalesce() merges pieces that continue each other in one file,
 * host_piece_map() maps one.  Data only: calls nothing but link.c
 * (host-int.h gives the order).
 */
#include "host/host-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

struct segment *host_segment_of(struct rnode *n)
{
	return n ? rnode_entry(n, struct segment, rn) : NULL;
}

void host_segment_free(struct cxldcd_host *h, struct segment *s)
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
		 bool writable, enum seg_file shared)
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
			       .writable = writable, .shared = shared };
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
			       .writable = s->writable, .shared = s->shared,
			       .paused_by = s->paused_by };
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
		host_segment_free(h, s);
	}
}

/* Remove [dpa, dpa+len) from the table, trimming segments that stick out. */
void segments_drop(struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	struct rnode *n = rindex_first_overlap(&h->segs, dpa, len);

	while (n) {
		struct rnode *next = rindex_next_overlap(n, dpa, len);

		segment_cut(h, host_segment_of(n), dpa, len);
		n = next;
	}
}

static const struct segment *segment_at(const struct cxldcd_host *h, uint64_t dpa)
{
	return host_segment_of(rindex_first_overlap(&h->segs, dpa, 1));
}

/*
 * The piece of [cur, end) that the segment at cur covers (group_offset 0).
 * Return 0, or -ENODEV when no segment holds cur.
 */
int host_piece_find(const struct cxldcd_host *h, uint64_t cur, uint64_t end, struct gseg *p)
{
	const struct segment *s = segment_at(h, cur);
	uint64_t send;

	if (!s)
		return -ENODEV;
	send = s->rn.start + s->rn.len;
	*p = (struct gseg){ .len = (send < end ? send : end) - cur,
			    .file_offset = s->offset + (cur - s->rn.start), .fd = s->file->fd,
			    .writable = s->writable, .paused = s->paused_by != 0,
			    .shared = s->shared };
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
int host_piece_map(uint8_t *at, const struct gseg *p)
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

			if (host_piece_find(h, cur, end, &p))
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

int groups_coalesce(struct gseg *s, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		struct gseg *p = k ? &s[k - 1] : NULL;

		/*
		 * paused decides the protection (host_piece_map()).  A device that
		 * keeps to the protocol pauses a shared grant whole, so pieces
		 * of one file agree, but it is a peer: a PAUSE of part of a
		 * grant must not leave the rest read-only, nor the paused part
		 * writable.
		 */
		if (p && p->fd == s[i].fd && p->writable == s[i].writable && p->shared == s[i].shared &&
		    p->paused == s[i].paused && p->group_offset + p->len == s[i].group_offset &&
		    p->file_offset + p->len == s[i].file_offset)
			p->len += s[i].len;
		else
			s[k++] = s[i];
	}
	return k;
}
