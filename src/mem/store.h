/* SPDX-License-Identifier: MIT */
/*
 * store.h - private: where the live pages of bound capacity sit when hosts
 * are not trusted (the default).  A store is a memfd holding a copy of part
 * of one backend:
 *
 *  - a view: per (host, backend), the backend's size, sparse.  A range the
 *    host holds in a non-sharable region lives at the offset the backend
 *    would use; everything else is holes (zeros) or junk the host wrote
 *    there itself, which nobody reads.  For a host that asked for group
 *    files (mem_dev_host_group_files()) on a single-backing device, a view
 *    is per (host, backend, group): one per tag, one per untagged extent;
 *    laid out the same way, it holds that group's capacity only;
 *  - a shared grant: one per live sharable allocation, its exact size;
 *    every sharing host maps the same pages.
 *
 * The backend keeps the bytes of capacity nobody holds.  Copy in at bind,
 * copy back at unbind (docs/memory.md, "Trust model").  This file does the
 * fd work; devmem.c decides when.
 */
#ifndef CXLDCD_MEM_STORE_H
#define CXLDCD_MEM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cxldcd/spec.h"

struct mem_backend;

/*
 * What SEEK_DATA/SEEK_HOLE said about one stretch of an fd, kept for one
 * bind pass (mem_dev_sync(), mem_dev_bind_many()): [from, data) is holes,
 * [data, end) data, end UINT64_MAX: to the end of the file (data == end ==
 * UINT64_MAX: holes to the end).  The pass asks about ranges in offset
 * order, so one walk answers every range up to the end of the next data
 * segment: O(data segments) lseeks, not two per extent.  It stays true
 * while the only writes are the pass's own, which are told
 * (mem_fd_scan_wrote()), and is not used by another pass (pass differs).
 */
struct mem_fd_scan {
	uint64_t pass;           /* the pass it belongs to; 0: none */
	uint64_t from, data, end;
};

struct mem_store {
	int fd;                  /* owned */
	struct mem_backend *be;  /* whose bytes it holds; borrowed (pinned by the bindings) */
	uint64_t base;           /* backend offset of store offset 0 (0 for a view) */
	uint64_t size;           /* of the memfd (a grant's len rounded up to the page size) */
	uint64_t len;            /* backend bytes it stands for, from base */
	bool shared;             /* a shared grant, else a view */
	bool writable;           /* a shared grant in a writable region: copied back when it goes */
	uint16_t host;           /* a view's host */
	bool grouped;            /* a view of one group of its host: per (host, backend, group) */
	bool tagged;             /* grouped: the group is tag's (else one untagged extent) */
	uint8_t tag[CXLDCD_TAG_SIZE]; /* grouped and tagged: the group's tag */
	struct mem_store *hnext; /* grouped and tagged: the mem_dev's hash chain */
	struct mem_store *prev;  /* grouped: the previous view of its host's list (O(1) unlink) */
	uint32_t refs;           /* bindings that use it */
	uint64_t move_id;        /* a shared grant its sharers are being moved off (or onto); 0: none */
	bool move_wanted;        /* a forced release left it shared: mem_dev_move_take() */
	bool move_new;           /* the fresh grant of move_id (switched), until it finishes */
	struct mem_store *next;  /* the mem_dev's list (views of one host, or grants) */
	struct mem_fd_scan scan; /* of fd, in the current bind pass */
};

/*
 * mem_store_new() - an empty (all holes) memfd standing for len bytes of
 * backend be from base, its size len rounded up to be's page size, hugetlb
 * with be's page size when be is.  Return 0 or -errno (message in err).
 */
int mem_store_new(struct mem_backend *be, uint64_t base, uint64_t len, bool shared, uint16_t host,
		  struct mem_store **out, char *err, size_t cap);
/* Close and free.  NULL is a no-op. */
void mem_store_free(struct mem_store *s);

/*
 * mem_fd_copy() - copy len bytes of src_fd at src_off to dst_fd at dst_off,
 * skipping the holes of the source (SEEK_DATA/SEEK_HOLE), so fresh or
 * sanitized capacity costs nothing.  holes: punch the destination where the
 * source has holes (the source is the whole truth for the range: copy back);
 * else leave it (the destination is known to be holes: copy in).
 * page_size: mapping granule of both fds.  Return 0 or -errno.
 */
int mem_fd_copy(int src_fd, uint64_t src_off, int dst_fd, uint64_t dst_off, uint64_t len,
		uint64_t page_size, bool holes);
/*
 * Whether [off, off+len) of fd may hold data: false only when SEEK_DATA says
 * it is all holes (one lseek, far cheaper than a punch on shmem).
 */
bool mem_fd_has_data(int fd, uint64_t off, uint64_t len);
/*
 * mem_fd_scan_has_data() - mem_fd_has_data() within bind pass `pass` (0: no
 * pass, ask the fd), answered from *s where it knows the range, else from a
 * walk of fd starting at off (SEEK_DATA, then SEEK_HOLE after the data it
 * finds), kept in *s for the next range.  Ranges asked about in increasing
 * offset order cost one walk per data segment; going back walks again.
 */
bool mem_fd_scan_has_data(struct mem_fd_scan *s, uint64_t pass, int fd, uint64_t off, uint64_t len);
/*
 * mem_fd_scan_wrote() - [off, off+len) of s's fd was written: what s knows
 * up to off+len is forgotten (a range there is walked again if asked about).
 */
void mem_fd_scan_wrote(struct mem_fd_scan *s, uint64_t off, uint64_t len);
/*
 * Zero [off, off+len) of fd: nothing when it is all holes already, else punch
 * a hole, else write zeros.  Return 0 or -errno.
 */
int mem_fd_punch(int fd, uint64_t off, uint64_t len, uint64_t page_size);

#endif /* CXLDCD_MEM_STORE_H */
