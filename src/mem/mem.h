/* SPDX-License-Identifier: MIT */
/*
 * mem.h - device memory: the only header other modules include from src/mem.
 *
 * Three objects:
 *
 *  - struct mem_backend: a memory backend (QEMU vocabulary: memory-backend-ram,
 *    -memfd, -file, and the RFC's -tagged), always a file descriptor and a
 *    size, optionally carrying a tag (a UUID).  Created from a property struct
 *    so that `-object` and QMP object-add share one path.
 *  - struct mem_registry: the set of backends, indexed by id and by tag
 *    (hash tables, O(1)).  Owns its backends.
 *  - struct mem_dev: the memory of one DC device.  It binds extents to backend
 *    offsets only after a host has accepted them, keeps one binding table per
 *    host (an AVL tree keyed by DPA, O(log n)), maps accepted extents into the
 *    host's window (a reserved PROT_NONE virtual range the size of the DC
 *    decode span), provides the slow path (read/write by DPA, with the access
 *    check of CXL r3.2 §9.13.3) and zeroes released capacity when asked.
 *    Static capacity (volatile-memdev, persistent-memdev) is bound to every
 *    host for the mem_dev's life and reached through the same paths.
 *
 * A mem_dev follows the device model only through a struct core_observer
 * (mem_dev_new() registers it).  The observer handlers are public too
 * (mem_dev_check_add(), mem_dev_bind(), mem_dev_unbind(), mem_dev_sanitize())
 * so tests and tools can drive a mem_dev built with mem_dev_new_layout()
 * without a model.
 *
 * Errors: 0 or -errno, plus an optional message buffer (char *err, size_t
 * cap; may be NULL/0) in the form of style B.3 ("backend tm0 is bound to
 * host=0 dpa=0x10000000 len=0x200000").  Nothing here is thread-safe: the
 * daemon calls it from its one event loop.  No function logs or prints.
 */
#ifndef CXLDCD_MEM_H
#define CXLDCD_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct mem_backend;
struct mem_registry;
struct mem_dev;

/* ================================================================ backends */

#define MEM_TYPE_RAM "memory-backend-ram"
#define MEM_TYPE_MEMFD "memory-backend-memfd"
#define MEM_TYPE_FILE "memory-backend-file"
#define MEM_TYPE_TAGGED "memory-backend-tagged"

/*
 * Properties of a new backend, as given on the command line or to object-add.
 * Every pointer is borrowed for the call; the backend copies what it keeps.
 */
struct mem_backend_props {
	const char *type;     /* one of MEM_TYPE_* */
	const char *id;       /* [A-Za-z][A-Za-z0-9._-]*, at most 127 characters */
	uint64_t size;        /* bytes, > 0, multiple of the page size */
	bool share;           /* recorded and reported; the device always maps MAP_SHARED */
	const char *tag;      /* UUID string or NULL; required for memory-backend-tagged */
	const char *mem_path; /* memory-backend-file: file (created, grown to size) or directory */
	bool hugetlb;         /* memory-backend-memfd only */
	uint64_t hugetlbsize; /* bytes, power of two; 0 = the system default; needs hugetlb */
};

/* What query-memdev reports about a backend.  Strings are owned by the backend. */
struct mem_backend_info {
	const char *id;
	const char *type;
	const char *mem_path;      /* NULL unless memory-backend-file */
	uint64_t size;
	uint64_t page_size;        /* mapping granule: the system page or the huge page size */
	bool share;
	bool hugetlb;
	bool has_tag;
	uint8_t tag[CXLDCD_TAG_SIZE];
	char tag_str[37];          /* "" when untagged */
	int fd;                    /* owned by the backend; dup() it to keep it */
	uint32_t nr_bound;         /* bindings (accepted extents) that use it */
	bool in_use;               /* some device uses it as its volatile-dc-memdev */
};

/*
 * mem_backend_new() - create a backend (a memfd, or the opened/created file).
 * @p: properties, borrowed.
 * @out: receives the backend; caller frees with mem_backend_free(), or hands
 *       it to mem_registry_insert().
 * @err, @cap: optional message buffer.
 * Return: 0; -EINVAL for bad properties (unknown type, id, size 0 or not a
 * page multiple, malformed or null tag, missing mem-path, hugetlbsize without
 * hugetlb); -ENOMEM or the errno of memfd_create/open/ftruncate/mmap.
 */
int mem_backend_new(const struct mem_backend_props *p, struct mem_backend **out, char *err,
		    size_t cap);
/* Free a backend that is not in a registry (closes its fd).  NULL is a no-op. */
void mem_backend_free(struct mem_backend *b);
void mem_backend_get_info(const struct mem_backend *b, struct mem_backend_info *out);
/* Id, owned by the backend. */
const char *mem_backend_id(const struct mem_backend *b);
int mem_backend_fd(const struct mem_backend *b);
uint64_t mem_backend_size(const struct mem_backend *b);

/* =============================================================== registry */

/* Caller frees with mem_registry_free().  Return 0 or -ENOMEM. */
int mem_registry_new(struct mem_registry **out);
/*
 * Free the registry and every backend in it.  Free every mem_dev that uses it
 * first.  NULL is a no-op.
 */
void mem_registry_free(struct mem_registry *reg);

/*
 * mem_registry_add() - create a backend and insert it.
 * @out: optional; receives the backend, owned by the registry.
 * Return: 0; -EEXIST when the id is taken or the tag already belongs to
 * another backend; otherwise as mem_backend_new().
 */
int mem_registry_add(struct mem_registry *reg, const struct mem_backend_props *p,
		     struct mem_backend **out, char *err, size_t cap);
/* Insert a backend: on success it becomes owned by the registry.  -EEXIST as above. */
int mem_registry_insert(struct mem_registry *reg, struct mem_backend *b, char *err, size_t cap);
/*
 * mem_registry_del() - delete and free a backend (object-del).
 * Return: 0; -ENOENT; -EBUSY while it is bound to accepted extents (the
 * message names them: "backend tm0 is bound to host=0 dpa=0x... len=0x...")
 * or used as a device's volatile-dc-memdev.
 */
int mem_registry_del(struct mem_registry *reg, const char *id, char *err, size_t cap);
/* Lookups in O(1).  Result owned by the registry; NULL if none. */
struct mem_backend *mem_registry_find(const struct mem_registry *reg, const char *id);
struct mem_backend *mem_registry_find_tag(const struct mem_registry *reg,
					  const uint8_t tag[CXLDCD_TAG_SIZE]);
uint32_t mem_registry_count(const struct mem_registry *reg);
/* Longest chain of the tag (by_tag) or id hash table: for tests of the hash spread. */
uint32_t mem_registry_longest_chain(const struct mem_registry *reg, bool by_tag);
/* Iterate in creation order: first(reg), then next(reg, b) until NULL.  Do not delete while iterating. */
struct mem_backend *mem_registry_first(const struct mem_registry *reg);
struct mem_backend *mem_registry_next(const struct mem_registry *reg, const struct mem_backend *b);

/* ========================================================= device memory */

enum mem_dev_mode {
	/* volatile-dc-memdev: DPA maps to backend offset dpa - region0.base. */
	MEM_DEV_SINGLE = 0,
	/* dc-regions-total-size, no backing: each tagged extent maps its tag's backend at tag_offset. */
	MEM_DEV_TAGGED = 1,
};

struct mem_dev_cfg {
	enum mem_dev_mode mode;
	const char *memdev;   /* MEM_DEV_SINGLE: id of the backing backend; borrowed */
	bool direct_map;      /* reserve host windows and map accepted extents into them */
	/*
	 * Hosts are trusted (-device ...,trusted-hosts=on): every access path
	 * uses the backend fd itself, and a host gets the whole backend's fd.
	 * Off (the default): the live pages of a host's capacity sit in that
	 * host's view (non-sharable) or a shared grant (sharable), memfds the
	 * host can reach nothing else through; see docs/memory.md "Trust model".
	 */
	bool trusted;
	/*
	 * Static capacity (QEMU's volatile-memdev and persistent-memdev): ids
	 * of backends, borrowed; NULL: none.  The volatile one is DPA 0 up to
	 * its size, the persistent one follows; both end at or before region
	 * 0's base.  Every host reaches all of it, through its window, MAP
	 * and the slow path (docs/memory.md "Static capacity").
	 */
	const char *volatile_memdev;
	const char *persistent_memdev;
	/* static-host=N: only host static_host reaches the static capacity (else every host) */
	bool static_host_only;
	uint16_t static_host;
	/*
	 * QEMU's lsa: id of the Label Storage Area backend, borrowed; NULL:
	 * none.  mem_dev_new() loads what a memory-backend-file holds into the
	 * model's LSA and writes every Set LSA through to the backend
	 * (docs/memory.md "Label Storage Area").  mem_dev_new_layout() ignores it.
	 */
	const char *lsa;
};

/* The DC layout a mem_dev needs; mem_dev_new() takes it from the model. */
struct mem_region_layout {
	uint64_t base, decode_len, len;
	bool read_only;
};

struct mem_layout {
	uint16_t nr_hosts;
	uint8_t nr_regions;
	struct mem_region_layout regions[CXLDCD_MAX_REGIONS];
};

/*
 * mem_dev_new() - the memory of a model device: takes the layout from
 * core_dev_cfg(dev) and registers an observer on dev.
 * @dev: borrowed; must outlive the mem_dev, and since the observer stays
 *       registered for the device's life, free the mem_dev only after
 *       core_dev_free(dev) (or never use dev again).
 * @reg: borrowed; must outlive the mem_dev.
 * @out: caller frees with mem_dev_free().
 * Return: 0; -EINVAL (no such memdev, memdev smaller than the DC span, ...);
 * -ENOSPC (the model has no observer slot left); -ENOMEM.
 */
int mem_dev_new(struct cxldcd_dev *dev, struct mem_registry *reg, const struct mem_dev_cfg *cfg,
		struct mem_dev **out, char *err, size_t cap);
/*
 * mem_dev_new_checker() - a mem_dev of the model @dev's layout that only
 * answers mem_dev_check_add(), as mem_dev_new()'s would for the same
 * @cfg and registry: it claims the same backends (volatile-dc-memdev,
 * static capacity, lsa) and notes what binding the model's accepted
 * extents would (mem_dev_checker_accepted()), but makes no store, copies
 * and maps nothing, reads no LSA and registers no observer.  The daemon asks it while it
 * replays its journal, where an add the memory refused when it ran must be
 * refused again while nothing is bound (docs/persistence.md).
 * @dev, @reg: borrowed.  @out: caller frees with mem_dev_free() (before a
 * mem_dev_new() that claims the same backends).
 * Return: as mem_dev_new_layout().
 */
int mem_dev_new_checker(const struct cxldcd_dev *dev, struct mem_registry *reg,
			const struct mem_dev_cfg *cfg, struct mem_dev **out, char *err, size_t cap);
/*
 * mem_dev_checker_accepted() - tell a checker that a host accepted @x (the
 * extent_accepted observer during replay): it notes what the bind would
 * (a tag-backed backend holds this device's capacity of the tag from then
 * on, so another device's add naming it is refused), binding nothing.
 */
void mem_dev_checker_accepted(struct mem_dev *md, const struct core_extent_info *x);
/*
 * mem_dev_checker_restart() - what a daemon restart does to that rule: a
 * new mem_dev notes only what is accepted then (mem_dev_sync()), so the
 * checker forgets the backends of capacity let go since and notes the
 * model @dev's accepted extents again.  Return: true when it forgot some
 * (the restart changed what is refused).
 */
bool mem_dev_checker_restart(struct mem_dev *md, const struct cxldcd_dev *dev);
/*
 * mem_dev_checker_restart_same() - mem_dev_checker_restart() when the
 * model's accepted extents and the registry are what they were at the
 * checker's last walk of them (mem_dev_new_checker() or
 * mem_dev_checker_restart(): a start that replayed no record since): the
 * same result, without walking the extents again.  Only notes made since
 * that walk (mem_dev_checker_note(): a snapshot's claims) can be forgotten.
 */
bool mem_dev_checker_restart_same(struct mem_dev *md);
/*
 * mem_dev_tag_backend_next() - the tag-backed backends @md notes as holding
 * its device's capacity of their tag (bound since @md was made, and held or
 * let go since: the rule lasts as long as @md), one after @b (NULL: the
 * first); NULL after the last.  The model does not hold this, so the
 * daemon's snapshot records it for the checker of a later replay.
 */
struct mem_backend *mem_dev_tag_backend_next(const struct mem_dev *md,
					     const struct mem_backend *b);
/*
 * mem_dev_checker_note() - tell a checker that @b held its device's capacity
 * of @b's tag when a snapshot was taken (mem_dev_tag_backend_next() of the
 * mem_dev then), so another device's add naming the tag is refused.
 * Return: 0; -EINVAL when @md is not tag-backed or @b has no tag; -EBUSY
 * when @b is in another use (a device's memdev, or another device's tag).
 */
int mem_dev_checker_note(struct mem_dev *md, struct mem_backend *b);
/* As mem_dev_new() but from an explicit layout, with no model attached. */
int mem_dev_new_layout(const struct mem_layout *layout, struct mem_registry *reg,
		       const struct mem_dev_cfg *cfg, struct mem_dev **out, char *err, size_t cap);
/*
 * mem_dev_sync() - bind (and map) every extent the model says is accepted,
 * for every host: the daemon's restart path, which replays its journal with
 * no mem_dev attached (so no sanitize of a past release can zero data
 * written later) and then attaches the memory to the final state.  Call it
 * right after mem_dev_new() on the replayed device.  It walks the extents
 * as runs (core_extent_runs()): a run that its extents would bind as one
 * range is bound at once, so 100,000 extents back to back cost one binding,
 * not a walk and a check each; what is bound, counted and said is what
 * mem_dev_bind_many() of every extent gives.
 * @dev: the model whose accepted extents are bound; borrowed, only read.
 * Return: 0; or the first error of mem_dev_bind() (-ENOENT: an extent's tag
 * has no backend any more; -ENOMEM: bound but not mapped), message in err.
 * Every other extent is still bound.
 */
int mem_dev_sync(struct mem_dev *md, const struct cxldcd_dev *dev, char *err, size_t cap);
/*
 * Unbind and unmap everything, release the windows.  Untrusted: the live
 * bytes of writable capacity on a memory-backend-file are copied back into
 * the file first (a clean stop keeps them; other backends die with the
 * daemon anyway).  NULL is a no-op.
 */
void mem_dev_free(struct mem_dev *md);

/*
 * mem_dev_check_add() - the check_add observer: can every offered extent be
 * backed?  Refuses (diag->index = the extent) an untagged extent on a
 * tag-backed device, a tag with no backend, an extent past its backend's end,
 * and, with direct_map, an extent not aligned to the backend's page size.
 * Return: CXLDCD_RC_SUCCESS, CXLDCD_RC_INVALID_INPUT or CXLDCD_RC_INVALID_PA.
 */
enum cxldcd_rc mem_dev_check_add(struct mem_dev *md, const struct core_extent_info *x, uint32_t n,
				 struct cxldcd_diag *diag);
/*
 * mem_dev_bind() - the extent_accepted observer: bind x (for x->host) to its
 * backend and, with direct_map, map it into the host's window.  A binding
 * back to back with a neighbour of the host (same backend, store, access)
 * becomes one range with it, and bindings that differ only in their range
 * share a run of the table even with gaps between them (bind.h); the counts
 * stay per extent.
 * Return: 0; -EEXIST (overlaps a binding of that host); -ENOENT (no backend
 * any more: the range stays inaccessible); -ENOMEM (mmap refused, e.g.
 * vm.max_map_count: the binding is kept for the slow path, not mapped; or
 * no memory for the table: nothing bound).
 */
int mem_dev_bind(struct mem_dev *md, const struct core_extent_info *x, char *err, size_t cap);
/*
 * mem_dev_bind_many() - mem_dev_bind() of n extents, in one pass: a run of
 * extents back to back in the DPA and in one backend (same host and region,
 * not sharable) is bound as one range, so restoring a million extents costs
 * a store copy per run, not per extent.  Whether a backend or view range
 * holds data (copy it, punch it) is read from one SEEK_DATA/SEEK_HOLE walk
 * per file for the pass (a whole mem_dev_sync() is one pass), not asked per
 * extent: extents in DPA order with holes between them cost no lseek each.
 * Every extent that can be bound is, as with mem_dev_bind().  Return 0, or
 * the first error other than -EEXIST (already bound), else -EEXIST; its
 * message in err.
 */
int mem_dev_bind_many(struct mem_dev *md, const struct core_extent_info *x, uint32_t n, char *err,
		      size_t cap);
/*
 * mem_dev_unbind() - the extent_released / extent_revoked observer: make
 * [x->ext.dpa, +len) of x->host inaccessible (window re-reserved PROT_NONE
 * first), then drop, trim or split the bindings it covers (room for the
 * one split is reserved first; without it the binding goes whole).  A
 * shared grant the host leaves while other hosts still share it is marked to
 * be moved (docs/memory.md "Moving the sharers"): the host that let go may
 * have kept an fd of it, so the others must get a fresh one.
 * Return: 0, or -ENOENT when nothing of the range was bound.
 */
int mem_dev_unbind(struct mem_dev *md, const struct core_extent_info *x);

/*
 * mem_dev_host_group_files() - whether @host's views are per (host,
 * backend, group) instead of per (host, backend) (docs/memory.md "Group
 * files"): the host link's HELLO flag.  A group is a tag's capacity, or
 * one untagged extent.  Switching moves the host's non-sharable capacity
 * that is bound now into the views where it belongs (copied, punched out
 * of the old view, the daemon's window remapped); later binds follow the
 * setting.  A tag-backed device has a backend per tag, so its views are
 * per group already: only the setting changes.  One fd per view: with
 * group files on, one per tag and per untagged extent the host holds.
 * Needs the model (mem_dev_new()) when the host holds capacity.
 * Return: 0 (every non-sharable range of the host is in the view the
 * setting asks for); -EINVAL (bad host); -EOPNOTSUPP (trusted hosts: their
 * fds are the backends'; or no model); -errno of a view or copy (EMFILE,
 * ENOMEM, ENOSPC): the ranges that could not move stay where they were,
 * each in a view of its host alone, and the next call tries them again;
 * message in err.
 */
int mem_dev_host_group_files(struct mem_dev *md, uint16_t host, bool on, char *err, size_t cap);
/*
 * mem_dev_host_group_files_step() - mem_dev_host_group_files() a slice at a
 * time, so the caller's loop serves others between slices: each call moves
 * the pieces of at most @max more of the host's extents (from where the last
 * call stopped; a call with the other setting starts over).  A release of
 * the host's capacity meanwhile makes it walk the list again at the end (it
 * shifted).  Return -EINPROGRESS (call again), else as
 * mem_dev_host_group_files() for the whole switch.
 */
int mem_dev_host_group_files_step(struct mem_dev *md, uint16_t host, bool on, uint32_t max,
				  char *err, size_t cap);
/*
 * mem_dev_host_group_max() - at most @max group views for @host (UINT32_MAX,
 * the default: no cap), so that a host's group files cannot take the fds the
 * daemon needs (the host link sets it at HELLO from the fds free then).  A
 * group of a host with group files that finds no room (or whose file cannot
 * be made: EMFILE/ENFILE, which also sets the cap to the views it has) goes
 * into the host's per-backend view, "spilled" (mem_segment.spilled,
 * mem_dev_stats.group_spills); a later mem_dev_host_group_files() with more
 * room moves it into a file of its own.  Views above a lowered cap stay.
 */
void mem_dev_host_group_max(struct mem_dev *md, uint16_t host, uint32_t max);

/* What mem_dev_host_groups() says of a host. */
struct mem_host_groups {
	uint32_t groups;  /* groups of non-sharable capacity it holds (single backing, count) */
	uint32_t files;   /* group views it has now (one fd each) */
	bool spilled;     /* with group files on, some capacity is in its per-backend view */
};
/*
 * mem_dev_host_groups() - how many files @host would hold with group files
 * on: its groups of non-sharable capacity (a tag's extents are one group,
 * each untagged extent another), read from the model (O(extents); with
 * @count false, groups is 0 and only the O(1) fields are filled; the
 * host link calls it so from an observer).  Return 0, -EINVAL
 * (bad host), -ENOMEM, -EIO (the model's list failed).
 */
int mem_dev_host_groups(const struct mem_dev *md, uint16_t host, bool count,
			struct mem_host_groups *out);
/* Whether @host has group files on and some of its capacity spilled (O(1)). */
bool mem_dev_host_group_spilled(const struct mem_dev *md, uint16_t host);

/*
 * Moving the sharers of a shared grant off it (docs/memory.md).  The caller
 * (the host link) runs the protocol: pause the sharers, switch, hand out the
 * new fd, finish.  Ids are never 0.
 *
 * mem_dev_move_take() - the next grant marked by mem_dev_unbind() and
 *   not yet taken: its move id (0: none).  Trusted devices never mark.
 * mem_dev_move_sharers() - the bindings that use move id's live grant now
 *   (its sharers), up to max into out; *nr: how many there are.  Return 0
 *   or -ENOENT (the grant is gone: its last sharer left, so it was punched).
 * mem_dev_move_switch() - a fresh grant gets a copy of the old one's bytes
 *   and every binding of the old one (host windows remapped); the old grant
 *   is kept, retired, for mem_dev_move_finish().  Return 0, -ENOENT (gone),
 *   -EALREADY (switched before) or -errno (nothing changed; message in
 *   mem_dev_last_error()).
 * mem_dev_move_again() - move id could not switch (or not start) and its
 *   sharers went on with the old grant: the same grant, still needing its
 *   move, gets a new id for the next attempt (ids are never reused).
 *   Until then the grant keeps id, so a release by another sharer meanwhile
 *   marks nothing: the next attempt covers it.  Return the new id, or 0
 *   when the grant is gone (its last sharer left: it was punched).
 * mem_dev_move_finish() - punch and close the retired grant of move id (and
 *   forget the id): whatever kept its fd sees fresh pages.  No-op when none.
 */
struct mem_move_sharer {
	uint16_t host;
	uint64_t dpa, len;
};
uint64_t mem_dev_move_take(struct mem_dev *md);
int mem_dev_move_sharers(const struct mem_dev *md, uint64_t id, struct mem_move_sharer *out,
			 uint32_t max, uint32_t *nr);
int mem_dev_move_switch(struct mem_dev *md, uint64_t id);
uint64_t mem_dev_move_again(struct mem_dev *md, uint64_t id);
void mem_dev_move_finish(struct mem_dev *md, uint64_t id);
/*
 * mem_dev_sanitize() - the capacity_freed observer: when x->sanitize, zero
 * the range in its backend (single: dpa - region0.base; tagged: the backend
 * of x->ext.tag at x->tag_offset).  Return: 0 (also when there is nothing to
 * zero) or the -errno of fallocate/pwrite.
 */
int mem_dev_sanitize(struct mem_dev *md, const struct core_extent_info *x);

/*
 * mem_dev_window() - the host's window: base address and size (the DC decode
 * span region0.base .. last region base + decode_len).  DPA d is at
 * base + (d - region0.base).  Reserved on first use.
 * Return: 0, -EINVAL (bad host, or direct_map off), -ENOMEM.
 */
int mem_dev_window(struct mem_dev *md, uint16_t host, void **base, uint64_t *size);

/*
 * mem_dev_static_window() - the host's window of the static capacity: DPA d
 * (below mem_dev_static_size()) is at base + d.  Reserved and mapped when the
 * mem_dev is made (direct_map).  Return: 0, -EINVAL (bad host, direct_map off),
 * -ENOENT (no static capacity).
 */
int mem_dev_static_window(struct mem_dev *md, uint16_t host, void **base, uint64_t *size);
/* Bytes of static capacity (DPA 0 up to it), 0 when none. */
uint64_t mem_dev_static_size(const struct mem_dev *md);

/* One piece of a DPA range: map len bytes of fd at offset (host link, SCM_RIGHTS). */
struct mem_segment {
	uint64_t dpa;
	uint64_t len;
	int fd;                 /* owned by the mem_dev (or the backend); give hosts mem_segment_fd() */
	uint64_t offset;
	bool writable;          /* false in a read-only region */
	bool scoped;            /* fd is the host's view or a shared grant, not the backend */
	bool spilled;           /* the host has group files but this is its per-backend view */
	const char *backend_id; /* owned by the backend */
};

/*
 * mem_segment_fd() - a new fd (close-on-exec) of the segment's memory to
 * give a host.  Scoped: a new open file description (reopened through
 * /proc/self/fd), read-only for a read-only segment, so nothing the host
 * does to its description reaches the daemon's.  Trusted: a dup() of the
 * backend fd, as before.  Return the fd or -errno.
 */
int mem_segment_fd(const struct mem_segment *s);

/*
 * mem_dev_segments() - (host, dpa, len) to backend segments, merged where the
 * same fd continues at the next offset.
 * Return: 0 with *nr_out segments; -EFAULT when part of the range is not
 * accepted by host (or has no backend); -ENOSPC when max is too small
 * (*nr_out = segments needed); -EINVAL (bad host, len 0).
 */
int mem_dev_segments(const struct mem_dev *md, uint16_t host, uint64_t dpa, uint64_t len,
		     struct mem_segment *out, uint32_t max, uint32_t *nr_out, char *err, size_t cap);

/*
 * mem_read() / mem_write() - the slow path, by DPA, through the binding
 * table (never through the window), for hosts that cannot map.
 * The whole range is checked before any byte moves (CXL r3.2 §9.13.3):
 *   -EFAULT  part of the range is not accepted by host: a write is dropped
 *            (nothing written); a read is poison (buf untouched, never
 *            another host's data); a read of DPA on the model's poison
 *            list is poison too;
 *   -EACCES  write into a read-only region;
 *   -EINVAL  bad host or dpa+len overflow; -EIO on a backend I/O error.
 * A range may span several adjacent extents.
 */
int mem_read(struct mem_dev *md, uint16_t host, uint64_t dpa, void *buf, size_t len, char *err,
	     size_t cap);
int mem_write(struct mem_dev *md, uint16_t host, uint64_t dpa, const void *buf, size_t len,
	      char *err, size_t cap);

/*
 * mem_zero() - Sanitize / Secure Erase of what host holds of [dpa, dpa+len)
 * (static capacity included): its live pages are punched, zeros from then
 * on for every path and sharer.  Read-only capacity and ranges the host does
 * not hold are left alone.  Return 0, -EINVAL (bad host, overflow) or the
 * first -errno of a punch.
 */
int mem_zero(struct mem_dev *md, uint16_t host, uint64_t dpa, uint64_t len);

struct mem_dev_stats {
	uint32_t nr_bound;       /* bound extents, all hosts (adjacent ones may share a range) */
	uint32_t nr_mapped;      /* of them mapped in a window */
	uint64_t bind_errors;    /* accepted extents that could not be bound */
	uint64_t map_errors;     /* bound but not mapped (mmap refused) */
	uint64_t unmap_errors;   /* window re-reservation refused (access may remain!) */
	uint64_t sanitize_errors;
	uint64_t copy_errors;    /* copy into or back from a view / shared grant failed */
	uint32_t nr_stores;      /* live views and shared grants (one fd each) */
	uint64_t moves;          /* shared grants whose sharers were moved to a fresh one */
	uint64_t move_failures;  /* moves whose fresh grant could not be made (tried again) */
	uint64_t group_spills;   /* binds of a host with group files into its per-backend view */
};
void mem_dev_stats_get(const struct mem_dev *md, struct mem_dev_stats *out);
/* The message of the last error in an observer callback ("" if none); owned by md. */
const char *mem_dev_last_error(const struct mem_dev *md);

#endif /* CXLDCD_MEM_H */
