/* SPDX-License-Identifier: MIT */
/*
 * store.c - memfds that hold bound capacity for untrusted hosts (views and
 * shared grants, store.h), and the two byte movers they need: a copy that
 * skips holes and a punch.
 *
 * A store is sealed against shrinking and growing (F_SEAL_SHRINK |
 * F_SEAL_GROW | F_SEAL_SEAL): a host holds an fd of it and could otherwise
 * truncate it under the daemon's own mappings (SIGBUS) or add F_SEAL_WRITE
 * and make copy-in fail.  Hosts get their own open file description of it
 * (mem_segment_fd()), so flags they set (O_APPEND) do not reach the
 * daemon's pwrite().  A memfd is made mode 0777, so whoever holds a
 * read-only fd of it could open it again writable through /proc/PID/fd;
 * a store is 0644: the daemon's user writes it, others (a host agent of
 * another user reopening it read-only for an application, the application)
 * only read it.
 *
 * Copies map the source and pwrite() the destination, so every byte moves
 * once and the destination's pages are allocated without faults.  hugetlbfs
 * has no write(): then the destination is mapped too and memcpy'd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem/backend.h"
#include "mem/store.h"

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

/* Bytes mapped at a time by a copy: bounds the daemon's transient address space. */
#define COPY_CHUNK (64ull << 20)

int mem_store_new(struct mem_backend *be, uint64_t base, uint64_t len, bool shared, uint16_t host,
		  struct mem_store **out, char *err, size_t cap)
{
	uint64_t size = (len + be->page_size - 1) & ~(be->page_size - 1);
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	struct mem_store *s;
	char name[64];
	int e;

	if (be->hugetlb)
		flags |= MFD_HUGETLB | (unsigned int)__builtin_ctzll(be->page_size) << MFD_HUGE_SHIFT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct mem_store){ .fd = -1, .be = be, .base = base, .size = size, .len = len,
				 .shared = shared, .host = host };
	if (shared)
		snprintf(name, sizeof(name), "cxldcd-shared-%s", be->id);
	else
		snprintf(name, sizeof(name), "cxldcd-view-%u-%s", host, be->id);
	s->fd = memfd_create(name, flags);
	if (s->fd < 0 || fchmod(s->fd, 0644) < 0 || ftruncate(s->fd, (off_t)size) < 0 ||
	    fcntl(s->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		e = errno;
		mem_errf(err, cap, "backend %s: cannot create a %s of 0x%llx bytes: %s", be->id,
			 shared ? "shared grant" : "host view", (unsigned long long)size, strerror(e));
		mem_store_free(s);
		return -e;
	}
	*out = s;
	return 0;
}

void mem_store_free(struct mem_store *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

/* ------------------------------------------------------------- movers */

/* A page-aligned shared mapping covering [off, off+len) of fd; *delta: off's place in it. */
static uint8_t *map_span(int fd, uint64_t off, uint64_t len, uint64_t page_size, int prot,
			 uint64_t *span, uint64_t *delta)
{
	uint64_t start = off & ~(page_size - 1);
	void *m;

	*delta = off - start;
	*span = (off + len - start + page_size - 1) & ~(page_size - 1);
	m = mmap(NULL, *span, prot, MAP_SHARED, fd, (off_t)start);
	return m == MAP_FAILED ? NULL : m;
}

/* Copy one data stretch of the source, COPY_CHUNK at a time. */
static int copy_data(int src_fd, uint64_t src_off, int dst_fd, uint64_t dst_off, uint64_t len,
		     uint64_t page_size)
{
	while (len) {
		uint64_t take = len < COPY_CHUNK ? len : COPY_CHUNK, span, delta, dspan, ddelta;
		uint8_t *src = map_span(src_fd, src_off, take, page_size, PROT_READ, &span, &delta);
		uint8_t *dst;
		uint64_t done = 0;
		int rc = 0;

		if (!src)
			return -errno;
		while (done < take) {
			ssize_t n = pwrite(dst_fd, src + delta + done, take - done,
					   (off_t)(dst_off + done));

			if (n < 0 && errno == EINTR)
				continue;
			if (n > 0) {
				done += (uint64_t)n;
				continue;
			}
			/* hugetlbfs (no write()), or a short write: map the destination */
			dst = map_span(dst_fd, dst_off + done, take - done, page_size,
				       PROT_READ | PROT_WRITE, &dspan, &ddelta);
			if (!dst) {
				rc = -errno;
				break;
			}
			memcpy(dst + ddelta, src + delta + done, take - done);
			munmap(dst, dspan);
			done = take;
		}
		munmap(src, span);
		if (rc)
			return rc;
		src_off += take;
		dst_off += take;
		len -= take;
	}
	return 0;
}

int mem_fd_copy(int src_fd, uint64_t src_off, int dst_fd, uint64_t dst_off, uint64_t len,
		uint64_t page_size, bool holes)
{
	uint64_t pos = src_off, end = src_off + len;

	while (pos < end) {
		off_t d = lseek(src_fd, (off_t)pos, SEEK_DATA), h;
		int rc;

		if (d < 0 && errno == ENXIO) {
			d = (off_t)end; /* nothing but holes up to the end of the file */
			h = d;
		} else if (d < 0) {
			/* no hole support: all of it is data */
			d = (off_t)pos;
			h = (off_t)end;
		} else {
			if ((uint64_t)d > end)
				d = (off_t)end;
			h = lseek(src_fd, d, SEEK_HOLE);
			if (h < 0 || (uint64_t)h > end)
				h = (off_t)end;
		}
		if (holes && (uint64_t)d > pos) {
			rc = mem_fd_punch(dst_fd, dst_off + (pos - src_off), (uint64_t)d - pos, page_size);
			if (rc)
				return rc;
		}
		if (h > d) {
			rc = copy_data(src_fd, (uint64_t)d, dst_fd, dst_off + ((uint64_t)d - src_off),
				       (uint64_t)(h - d), page_size);
			if (rc)
				return rc;
		}
		pos = (uint64_t)h;
	}
	return 0;
}

bool mem_fd_has_data(int fd, uint64_t off, uint64_t len)
{
	off_t d = lseek(fd, (off_t)off, SEEK_DATA);

	if (d < 0)
		return errno != ENXIO;  /* ENXIO: holes to the end; else no hole support */
	return (uint64_t)d - off < len;
}

/*
 * Walk fd from p: s knows [p, the end of the first data segment at or after
 * p), or that there is none (data == end == UINT64_MAX).
 */
static void scan_walk(struct mem_fd_scan *s, int fd, uint64_t p)
{
	off_t d = lseek(fd, (off_t)p, SEEK_DATA), h;

	s->from = p;
	if (d < 0) {
		/* ENXIO: holes to the end of the file; else no hole support: all data */
		s->data = errno == ENXIO ? UINT64_MAX : p;
		s->end = UINT64_MAX;
		return;
	}
	s->data = (uint64_t)d > p ? (uint64_t)d : p;
	h = lseek(fd, (off_t)s->data, SEEK_HOLE);
	s->end = h > 0 && (uint64_t)h > s->data ? (uint64_t)h : UINT64_MAX; /* no hole: data to the end */
}

bool mem_fd_scan_has_data(struct mem_fd_scan *s, uint64_t pass, int fd, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;

	if (!pass || !len || end < off)
		return mem_fd_has_data(fd, off, len);
	if (s->pass != pass)
		*s = (struct mem_fd_scan){ .pass = pass }; /* knows nothing: [0, 0) */
	if (off < s->from || off >= s->end)
		scan_walk(s, fd, off);
	/*
	 * s->from <= off < s->end, and s ends with data unless it is holes to the
	 * end of the file (data == end == UINT64_MAX): the range has data unless
	 * it ends before s's data starts.
	 */
	return s->data < s->end && end > s->data;
}

void mem_fd_scan_wrote(struct mem_fd_scan *s, uint64_t off, uint64_t len)
{
	uint64_t e = off + len;

	if (!s->pass || (e >= off && (e <= s->from || off >= s->end)))
		return;
	if (e < off || e >= s->end) {
		s->pass = 0;
		return;
	}
	s->from = e;
	if (s->data < e)
		s->data = e;
}

int mem_fd_punch(int fd, uint64_t off, uint64_t len, uint64_t page_size)
{
	uint64_t span, delta;
	uint8_t *m;

	if (!len || !mem_fd_has_data(fd, off, len))
		return 0;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	m = map_span(fd, off, len, page_size, PROT_READ | PROT_WRITE, &span, &delta);
	if (!m)
		return -errno;
	memset(m + delta, 0, len);
	munmap(m, span);
	return 0;
}
