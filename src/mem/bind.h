/* SPDX-License-Identifier: MIT */
/*
 * bind.h - private: the binding table of one host.  A binding says "host H
 * accepted [dpa, dpa+len) and it lives at offset off of backend be".  The
 * bindings of a host never overlap, so an AVL tree keyed by start DPA finds
 * the binding holding any address in O(log n).  Nodes are intrusive and
 * owned by the mem_dev; the tree only links them.  One node may stand for
 * several accepted extents back to back (devmem.c merges them).
 */
#ifndef CXLDCD_MEM_BIND_H
#define CXLDCD_MEM_BIND_H

#include <stdbool.h>
#include <stdint.h>

struct mem_backend;
struct mem_store;

struct mem_bind {
	uint64_t dpa, len;
	uint64_t off;              /* byte offset in be */
	struct mem_backend *be;    /* NULL: accepted but unbacked (reads poison) */
	struct mem_store *st;      /* where the live pages are (store offset off - st->base); NULL: in be (trusted) */
	uint16_t host;
	uint8_t region;
	bool writable;
	bool mapped;               /* present in the host's window */
	/* AVL links */
	struct mem_bind *left, *right;
	int height;
	/* the backend's list of its bindings */
	struct mem_bind *be_prev, *be_next;
};

struct bind_tree {
	struct mem_bind *root;
	uint32_t count;
};

/* Insert b; -EEXIST (nothing changed) when it overlaps a node. */
int mem_bind_insert(struct bind_tree *t, struct mem_bind *b);
/* Unlink b (which must be in t). */
void mem_bind_remove(struct bind_tree *t, struct mem_bind *b);
/* The node holding dpa, else the first node starting above dpa, else NULL. */
struct mem_bind *mem_bind_first_from(const struct bind_tree *t, uint64_t dpa);
/* The node holding dpa, or NULL. */
struct mem_bind *mem_bind_find(const struct bind_tree *t, uint64_t dpa);
/* In-order successor of b, or NULL.  O(log n). */
struct mem_bind *mem_bind_next(const struct bind_tree *t, const struct mem_bind *b);
/* Leftmost node, or NULL. */
struct mem_bind *mem_bind_min(const struct bind_tree *t);

#endif /* CXLDCD_MEM_BIND_H */
