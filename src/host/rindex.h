/* SPDX-License-Identifier: MIT */
/*
 * rindex.h - an ordered index of disjoint DPA ranges (an AVL tree with
 * parent pointers, intrusive: the caller embeds a struct rnode and owns it).
 *
 * The host holds two such sets: the extents of its tag groups (accepted,
 * being added, being released: they never overlap, the Add checks see to
 * that) and the MAP segments (a newer MAP replaces the range it covers).
 * Lookups, inserts and removals are O(log n); walking the k ranges that meet
 * a query is O(log n + k).
 *
 * Overlap is the host's usual test, a < b + blen && b < a + alen, in 64-bit
 * wrapping arithmetic, so a query whose end wraps (a hostile record) meets
 * exactly what the linear scans it replaces met.
 */
#ifndef CXLDCD_HOST_RINDEX_H
#define CXLDCD_HOST_RINDEX_H

#include <stddef.h>
#include <stdint.h>

struct rnode {
	struct rnode *left, *right, *parent;
	int height;
	uint64_t start, len;        /* set by the caller before rindex_insert() */
};

struct rindex {
	struct rnode *root;
	size_t count;
};

#define rnode_entry(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

void rindex_init(struct rindex *ix);
/* Link n.  Return 0; -EINVAL (len 0 or end wraps); -EEXIST (meets a linked range). */
int rindex_insert(struct rindex *ix, struct rnode *n);
/* Unlink n (which must be linked in ix). */
void rindex_remove(struct rindex *ix, struct rnode *n);
/* The range that starts exactly at start, or NULL. */
struct rnode *rindex_find(const struct rindex *ix, uint64_t start);
/* The lowest range that meets [start, start + len), or NULL; go on with rindex_next_overlap(). */
struct rnode *rindex_first_overlap(const struct rindex *ix, uint64_t start, uint64_t len);
/* The next range after n that meets [start, start + len), or NULL. */
struct rnode *rindex_next_overlap(const struct rnode *n, uint64_t start, uint64_t len);
/* In-order neighbours (NULL at the ends). */
struct rnode *rindex_first(const struct rindex *ix);
struct rnode *rindex_next(const struct rnode *n);

#endif /* CXLDCD_HOST_RINDEX_H */
