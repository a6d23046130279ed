/* SPDX-License-Identifier: MIT */
/*
 * groups.c - tag groups and the memory behind them.
 *
 * The device hands over accepted capacity as MAP segments (DPA range, fd,
 * file offset); they are kept in a table until the device UNMAPs them.  A
 * tag group's extents are ordered by shared sequence (arrival order when all
 * are 0) and presented as ONE contiguous mapping: a PROT_NONE reservation of
 * the group's size, then each extent's segments mapped MAP_SHARED|MAP_FIXED
 * at the extent's offset in the group - the equivalent of the Linux DAX
 * device claimed by the tag UUID.  A group is held open by applications
 * (open_count); a release request waits (EBUSY, deferred) for the last close.
 * Revocation (forced release) replaces the affected pages with PROT_NONE at
 * once, open or not.
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

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* ------------------------------------------------------------ segments */

int segments_add(struct cxldcd_host *h, uint64_t dpa, uint64_t len, uint64_t offset, int fd,
		 bool writable)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct stat sb;

	if (dpa % page || len % page || offset % page) {
		host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, dpa, len, "map not page aligned");
		return -EINVAL;
	}
	if (fstat(fd, &sb) < 0 || (S_ISREG(sb.st_mode) && (uint64_t)sb.st_size < offset + len) ||
	    (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode) && !S_ISCHR(sb.st_mode))) {
		host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, dpa, len,
			  "map beyond the end of its file or of an unmappable kind");
		return -EINVAL;
	}
	segments_drop(h, dpa, len); /* a newer MAP of the same range wins */
	if (h->nr_segs == h->cap_segs) {
		uint32_t ncap = h->cap_segs ? h->cap_segs * 2 : 16;
		struct segment *ns;

		if (h->nr_segs >= HOST_MAX_SEGMENTS) {
			host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, dpa, len,
				  "more than %u map segments", HOST_MAX_SEGMENTS);
			return -ENOSPC;
		}
		ns = realloc(h->segs, ncap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		h->segs = ns;
		h->cap_segs = ncap;
	}
	h->segs[h->nr_segs++] = (struct segment){ dpa, len, offset, fd, writable };
	return 0;
}

/* Remove [dpa, dpa+len) from the table, trimming segments that stick out. */
void segments_drop(struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	for (uint32_t i = 0; i < h->nr_segs;) {
		struct segment s = h->segs[i];
		uint64_t end = dpa + len, send = s.dpa + s.len;
		bool head, tail;

		if (!overlap(s.dpa, s.len, dpa, len)) {
			i++;
			continue;
		}
		head = s.dpa < dpa;
		tail = send > end;
		if (head && tail) {
			int fd2 = fcntl(s.fd, F_DUPFD_CLOEXEC, 0);

			h->segs[i].len = dpa - s.dpa;
			if (fd2 >= 0 && h->nr_segs < h->cap_segs) {
				h->segs[h->nr_segs++] = (struct segment){
					end, send - end, s.offset + (end - s.dpa), fd2, s.writable };
			} else if (fd2 >= 0) {
				close(fd2);
			}
			i++;
		} else if (head) {
			h->segs[i].len = dpa - s.dpa;
			i++;
		} else if (tail) {
			h->segs[i].offset += end - s.dpa;
			h->segs[i].len = send - end;
			h->segs[i].dpa = end;
			i++;
		} else {
			close(s.fd);
			h->segs[i] = h->segs[--h->nr_segs];
		}
	}
}

static const struct segment *segment_at(const struct cxldcd_host *h, uint64_t dpa)
{
	for (uint32_t i = 0; i < h->nr_segs; i++)
		if (dpa >= h->segs[i].dpa && dpa - h->segs[i].dpa < h->segs[i].len)
			return &h->segs[i];
	return NULL;
}

int group_segments(const struct cxldcd_host *h, const struct group *g, struct gseg *out,
		   uint32_t cap)
{
	uint64_t goff = 0;
	uint32_t k = 0;

	for (uint32_t i = 0; i < g->nr; i++) {
		uint64_t cur = g->ext[i].dpa, end = g->ext[i].dpa + g->ext[i].len;

		while (cur < end) {
			const struct segment *s = segment_at(h, cur);
			uint64_t piece;

			if (!s)
				return -ENODEV;
			if (k == cap)
				return -E2BIG;
			piece = (s->dpa + s->len < end ? s->dpa + s->len : end) - cur;
			out[k++] = (struct gseg){ goff + (cur - g->ext[i].dpa), piece,
						  s->offset + (cur - s->dpa), s->fd, s->writable };
			cur += piece;
		}
		goff += g->ext[i].len;
	}
	return (int)k;
}

/* ------------------------------------------------------------ groups */

struct group *group_new(struct cxldcd_host *h, const struct cxldcd_extent *e, uint32_t n,
			uint8_t region)
{
	struct group *g = calloc(1, sizeof(*g)), **pp;
	bool all_zero = true;

	if (g)
		g->ext = calloc(n, sizeof(*g->ext));
	if (!g || !g->ext) {
		free(g);
		host_fail(h, -ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(g->ext, e, n * sizeof(*e));
	g->nr = n;
	for (uint32_t i = 0; i < n; i++)
		all_zero &= e[i].shared_seq == 0;
	/* order by shared sequence (stable insertion sort: n is small) */
	for (uint32_t i = 1; i < n && !all_zero; i++) {
		struct cxldcd_extent x = g->ext[i];
		uint32_t j = i;

		for (; j > 0 && g->ext[j - 1].shared_seq > x.shared_seq; j--)
			g->ext[j] = g->ext[j - 1];
		g->ext[j] = x;
	}
	g->info.id = h->next_group_id++;
	memcpy(g->info.tag, e[0].tag, CXLDCD_TAG_SIZE);
	g->info.tagged = !tag_is_null(e[0].tag);
	g->info.region = region;
	g->info.nr_extents = n;
	for (uint32_t i = 0; i < n; i++)
		g->info.size += e[i].len;
	g->state = G_ADDING;
	for (pp = &h->groups; *pp; pp = &(*pp)->next)
		;
	*pp = g;
	return g;
}

static void unmap_group(struct group *g)
{
	if (g->map)
		munmap(g->map, g->info.size);
	g->map = NULL;
	g->info.mapped = false;
}

static void map_group(struct cxldcd_host *h, struct group *g)
{
	uint32_t cap = g->nr * 4 + 8;
	struct gseg *s = calloc(cap, sizeof(*s));
	int n = s ? group_segments(h, g, s, cap) : -ENOMEM;
	uint8_t *base;

	if (n < 0) {
		host_log(h, LOG_WARNING, "group id=%llu not mapped: %s",
			 (unsigned long long)g->info.id,
			 n == -ENODEV ? "no map segment from the device" : "too many segments");
		free(s);
		return;
	}
	base = mmap(NULL, g->info.size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		    0);
	if (base == MAP_FAILED) {
		free(s);
		return;
	}
	for (int i = 0; i < n; i++) {
		int prot = PROT_READ | (s[i].writable ? PROT_WRITE : 0);

		if (mmap(base + s[i].group_offset, s[i].len, prot, MAP_SHARED | MAP_FIXED, s[i].fd,
			 (off_t)s[i].file_offset) == MAP_FAILED) {
			host_log(h, LOG_WARNING, "group id=%llu mmap failed: %s",
				 (unsigned long long)g->info.id, strerror(errno));
			munmap(base, g->info.size);
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
	g->state = G_ACTIVE;
	if (h->mapping)
		map_group(h, g);
}

void group_free(struct cxldcd_host *h, struct group *g)
{
	struct group **pp;

	for (pp = &h->groups; *pp && *pp != g; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = g->next;
	unmap_group(g);
	free(g->ext);
	free(g);
}

struct group *group_find(const struct cxldcd_host *h, const uint8_t *tag, uint64_t id)
{
	for (struct group *g = h->groups; g; g = g->next) {
		if (tag && !tag_is_null(tag)) {
			if (g->info.tagged && !memcmp(g->info.tag, tag, CXLDCD_TAG_SIZE))
				return g;
		} else if (g->info.id == id) {
			return g;
		}
	}
	return NULL;
}

struct group *group_by_dpa(const struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	for (struct group *g = h->groups; g; g = g->next)
		for (uint32_t i = 0; i < g->nr; i++)
			if (overlap(g->ext[i].dpa, g->ext[i].len, dpa, len))
				return g;
	return NULL;
}

bool group_overlaps_any(const struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	return group_by_dpa(h, dpa, len) != NULL;
}

void groups_unmap_range(struct cxldcd_host *h, uint64_t dpa, uint64_t len, bool revoked)
{
	for (struct group *g = h->groups; g; g = g->next) {
		uint64_t goff = 0;
		bool hit = false;

		for (uint32_t i = 0; i < g->nr; goff += g->ext[i].len, i++) {
			uint64_t a = g->ext[i].dpa > dpa ? g->ext[i].dpa : dpa;
			uint64_t b = g->ext[i].dpa + g->ext[i].len < dpa + len
					     ? g->ext[i].dpa + g->ext[i].len
					     : dpa + len;

			if (a >= b)
				continue;
			hit = true;
			if (g->map)
				mmap(g->map + goff + (a - g->ext[i].dpa), b - a, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
		}
		if (hit && g->state == G_ACTIVE && revoked) {
			g->info.revoked = true;
			host_emit(h, CXLDCD_HOST_EV_REVOKED, g, dpa, len,
				  "id=%llu dpa=0x%llx len=0x%llx access revoked",
				  (unsigned long long)g->info.id, (unsigned long long)dpa,
				  (unsigned long long)len);
		}
	}
}

void group_release(struct cxldcd_host *h, struct group *g)
{
	struct cxldcd_range *r;

	if (g->state != G_ACTIVE)
		return;
	if (g->info.open_count) {
		if (!g->info.release_pending)
			host_emit(h, CXLDCD_HOST_EV_RELEASE_DEFERRED, g, g->ext[0].dpa, g->info.size,
				  "id=%llu open_count=%u: release deferred (busy)",
				  (unsigned long long)g->info.id, g->info.open_count);
		g->info.release_pending = true;
		return;
	}
	r = calloc(g->nr, sizeof(*r));
	if (!r) {
		host_fail(h, -ENOMEM, "out of memory");
		return;
	}
	unmap_group(g);
	for (uint32_t i = 0; i < g->nr; i++) {
		r[i] = (struct cxldcd_range){ g->ext[i].dpa, g->ext[i].len };
		segments_drop(h, g->ext[i].dpa, g->ext[i].len);
	}
	g->state = G_RELEASING;
	events_release_ranges(h, r, g->nr, g->info.id);
	free(r);
}

void group_put(struct cxldcd_host *h, struct group *g)
{
	if (g->info.open_count)
		g->info.open_count--;
	if (g->info.open_count)
		return;
	if (g->info.release_pending)
		group_release(h, g);
	else if (g->info.revoked && g->revoked_bytes >= g->info.size)
		group_free(h, g);
}

void groups_fini(struct cxldcd_host *h)
{
	while (h->groups)
		group_free(h, h->groups);
	for (uint32_t i = 0; i < h->nr_segs; i++)
		close(h->segs[i].fd);
	free(h->segs);
	h->segs = NULL;
	h->nr_segs = h->cap_segs = 0;
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

int cxldcd_host_group_open(struct cxldcd_host *h, const uint8_t tag[CXLDCD_HOST_TAG_SIZE],
			   uint64_t id, void **addr, uint64_t *size)
{
	struct group *g = group_find(h, tag, id);

	if (!g || g->state != G_ACTIVE)
		return -ENOENT;
	if (g->info.release_pending || g->info.revoked)
		return -EBUSY;
	if (!g->map)
		return -ENODEV;
	g->info.open_count++;
	g->open_local++;
	if (addr)
		*addr = g->map;
	if (size)
		*size = g->info.size;
	return 0;
}

int cxldcd_host_group_close(struct cxldcd_host *h, uint64_t id)
{
	struct group *g = group_find(h, NULL, id);

	if (!g || !g->open_local)
		return -ENOENT;
	g->open_local--;
	group_put(h, g);
	host_kick(h);
	return 0;
}

int cxldcd_host_group_release(struct cxldcd_host *h, const uint8_t tag[CXLDCD_HOST_TAG_SIZE],
			      uint64_t id)
{
	struct group *g = group_find(h, tag, id);

	if (!g || g->state != G_ACTIVE)
		return -ENOENT;
	if (g->info.open_count)
		return -EBUSY;
	group_release(h, g);
	host_kick(h);
	return 0;
}
