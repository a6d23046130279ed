/* SPDX-License-Identifier: MIT */
/*
 * bind.h - private: the binding table of one host.  A binding says "host H
 * accepted [dpa, dpa+len) and it lives at offset off of backend be".  The
 * bindings of a host never overlap.
 *
 * Callers see a binding as a value (struct mem_bind), read through a
 * position (mem_bind_seek(), mem_bind_step()) and changed only through the
 * calls below.  The table keeps them packed: bindings that differ only in
 * their range (same backend, store, backend offset minus DPA, region,
 * access, mapping state) share one run, a node holding up to BIND_RUN_MAX
 * ranges in DPA order, 16 bytes each, whether they touch or not - so a host
 * that accepted its extents out of order or with gaps between them costs
 * ~17 bytes per extent, not a node each.  Ranges of a run that touch are
 * one range (a run of accepted extents back to back is one binding, as the
 * kernel merges adjacent VMAs), except on a shared grant: its bindings are
 * what moving the sharers reports and remaps, so each keeps a run of its own.
 * The runs of a host sit in an AVL tree keyed by their first DPA; their
 * spans never overlap, so every call is O(log n + BIND_RUN_MAX).
 */
#ifndef CXLDCD_MEM_BIND_H
#define CXLDCD_MEM_BIND_H

#include <stdbool.h>
#include <stdint.h>

struct mem_backend;
struct mem_store;

/* One binding, as a value: what callers read and what they add. */
struct mem_bind {
	uint64_t dpa, len;
	uint64_t off;              /* byte offset in be */
	struct mem_backend *be;
	struct mem_store *st;      /* where the live pages are (store offset off - st->base); NULL: in be (trusted) */
	uint16_t host;
	uint8_t region;
	bool writable;
	bool mapped;               /* present in the host's window */
};

#define BIND_RUN_MAX 64u

struct bind_range {
	uint64_t dpa, len;
};

/* Bindings that share everything but their range.  Owned by its tree. */
struct bind_run {
	struct bind_run *left, *right;      /* AVL links */
	struct bind_run *be_prev, *be_next; /* the backend's list of its runs */
	struct mem_backend *be;
	struct mem_store *st;      /* one reference per run */
	uint64_t delta;            /* backend offset - DPA, modulo 2^64 */
	uint32_t nr, cap;          /* ranges used, room */
	uint16_t host;
	uint8_t region;
	uint8_t height;
	bool writable, mapped;
	struct bind_range r[];     /* [cap], DPA order, disjoint */
};

struct bind_tree {
	struct bind_run *root;
	struct bind_run *spare;    /* mem_bind_reserve(): what a cut may need */
};

/* Where a binding is in its tree.  Valid until the tree changes. */
struct bind_pos {
	struct bind_run *run;
	uint32_t i;
};

/*
 * mem_bind_add() - add b (b->len > 0).  b's store reference (if b->st) goes
 * to the table: it keeps it, or gives it back when a run already holds one.
 * Return 0; -EEXIST (overlaps a binding; nothing changed); -ENOMEM (nothing
 * changed, the reference is still the caller's).
 */
int mem_bind_add(struct bind_tree *t, const struct mem_bind *b);
/* Does [dpa, dpa+len) overlap a binding? */
bool mem_bind_overlaps(const struct bind_tree *t, uint64_t dpa, uint64_t len);
/*
 * mem_bind_reserve() - make sure mem_bind_cut(t, d, e) will not need memory
 * (a binding strictly inside which [d, e) lies must be split in two).
 * Return 0 or -ENOMEM (nothing changed; such a binding would be dropped whole).
 */
int mem_bind_reserve(struct bind_tree *t, uint64_t d, uint64_t e);
/*
 * mem_bind_cut() - take [d, e) out of the table: bindings inside it go,
 * those it overlaps are trimmed or split (after mem_bind_reserve(); without
 * it, one it would split is dropped whole).  put(opaque, b) is called for
 * each run that goes, once, with one of its bindings: its store reference
 * is the caller's to give back.
 */
void mem_bind_cut(struct bind_tree *t, uint64_t d, uint64_t e,
		  void (*put)(void *opaque, const struct mem_bind *b), void *opaque);
/*
 * mem_bind_clear() - empty the table: each(opaque, b) for every binding
 * first (store references are not given back), then every run freed.
 */
void mem_bind_clear(struct bind_tree *t, void (*each)(void *opaque, const struct mem_bind *b),
		    void *opaque);

/* The binding holding dpa, else the first above it, into *b; false if none. */
bool mem_bind_seek(const struct bind_tree *t, uint64_t dpa, struct bind_pos *p,
		   struct mem_bind *b);
/* The binding after p (in DPA order), into *b; false if none. */
bool mem_bind_step(const struct bind_tree *t, struct bind_pos *p, struct mem_bind *b);
/* The binding at p into *b. */
void mem_bind_get(const struct bind_pos *p, struct mem_bind *b);
/*
 * mem_bind_set_store() - the binding at p (on a shared grant: its run holds
 * that binding only) now lives in st; the reference moves with it, the
 * caller counts it.
 */
void mem_bind_set_store(const struct bind_pos *p, struct mem_store *st);

#endif /* CXLDCD_MEM_BIND_H */
