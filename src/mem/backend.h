/* SPDX-License-Identifier: MIT */
/*
 * backend.h - private: the layout of a memory backend and the calls that
 * bindings and the registry make on it.  Other modules use mem.h.
 */
#ifndef CXLDCD_MEM_BACKEND_H
#define CXLDCD_MEM_BACKEND_H

#include "mem/mem.h"
#include "mem/bind.h"
#include "mem/store.h"

struct mem_backend {
	char *id;
	const char *type;          /* static string */
	char *mem_path;
	uint64_t size;
	uint64_t page_size;
	bool share, hugetlb, has_tag;
	uint8_t tag[CXLDCD_TAG_SIZE];
	char tag_str[37];
	int fd;
	/* memory-backend-file: what mem_backend_discard() undoes */
	bool created;              /* mem_path did not exist: we made it */
	bool grew;                 /* mem_path was an empty file: we sized it */
	/* registry links (NULL when not in a registry) */
	struct mem_registry *reg;
	struct mem_backend *id_next, *tag_next;
	struct mem_backend *prev, *next;
	/* users */
	struct bind_run *binds;    /* runs of bindings on this backend, newest first */
	uint32_t nr_bound;         /* accepted extents bound to it (a binding may hold several) */
	uint32_t users;            /* a device's volatile-dc-memdev, static capacity or lsa (at most 1) */
	/*
	 * The tag-backed device whose extents of the backend's tag were bound
	 * to it first; no other device binds it while that one lives (a tag's
	 * memory serves one device: a trusted one keeps its fd).
	 */
	const struct mem_dev *tag_dev;
	/*
	 * A replay checker (mem_dev_new_checker()) whose last walk of the
	 * model's accepted extents noted this backend: what a restart with
	 * nothing replayed since keeps (mem_dev_checker_restart_same()).
	 */
	const struct mem_dev *tag_walked;
	struct mem_fd_scan scan;   /* of fd, in the current bind pass (store.h) */
};

/*
 * mem_backend_discard() - mem_backend_free() of a backend that never went
 * into use (its registration failed): a file it created is removed, an
 * empty file it sized is emptied again, so nothing is left behind.
 */
void mem_backend_discard(struct mem_backend *b);

/*
 * Link or unlink a run of bindings in b's list; nr_bound (extents) is the
 * caller's to count.  moved: x was reallocated, its neighbours point at it again.
 */
void mem_backend_bind_link(struct mem_backend *b, struct bind_run *x);
void mem_backend_bind_unlink(struct mem_backend *b, struct bind_run *x);
void mem_backend_bind_moved(struct mem_backend *b, struct bind_run *x);
/*
 * mem_backend_claim() - b becomes a device's volatile-dc-memdev, static
 * capacity or lsa (users++).  A backend serves one use only: two devices'
 * DC memory on one backend, or a backend that is also a tag's DC memory,
 * would hand one host's bytes to another (docs/memory.md "Trust model").
 * Return: 0; -EBUSY when b is claimed already or a device has bound its tag,
 * with QEMU's message ("memory backend ID can't be used multiple times.").
 */
int mem_backend_claim(struct mem_backend *b, char *err, size_t cap);

/* Zero [off, off+len): punch a hole, else write zeros.  Return 0 or -errno. */
int mem_backend_zero(struct mem_backend *b, uint64_t off, uint64_t len);
/*
 * "bound to host=0 dpa=0x... len=0x..., ..." or "in use as a device's
 * volatile-dc-memdev, static capacity or lsa".  0 if free.
 */
int mem_backend_busy_msg(const struct mem_backend *b, char *err, size_t cap);

/* printf into an optional message buffer. */
void mem_errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* CXLDCD_MEM_BACKEND_H */
