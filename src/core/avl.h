/* SPDX-License-Identifier: MIT */
/*
 * avl.h - an intrusive AVL tree with two augmentations: the subtree size
 * (order statistics: index -> node in O(log n)) and the subtree maximum of a
 * per-node "gap" value (first-fit free-space search in O(log n)).
 *
 * The tree knows nothing about keys: callers find the insertion point by
 * walking from the root with their own comparison and then link the node.
 * Trees that need no gap leave node->gap at 0.
 */
#ifndef CXLDCD_CORE_AVL_H
#define CXLDCD_CORE_AVL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct avl_node {
	struct avl_node *l, *r, *p;
	uint32_t cnt;    /* nodes in this subtree */
	int32_t h;       /* height, leaf = 1 */
	uint64_t gap;    /* caller-defined value of this node */
	uint64_t maxgap; /* max of gap over the subtree */
};

struct avl_tree {
	struct avl_node *root;
};

#define avl_entry(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline uint32_t avl_count(const struct avl_tree *t)
{
	return t->root ? t->root->cnt : 0;
}

/* Link n as the left (left=true) or right child of parent (NULL: empty tree). */
void avl_insert(struct avl_tree *t, struct avl_node *n, struct avl_node *parent, bool left);
void avl_remove(struct avl_tree *t, struct avl_node *n);
/* n->gap changed: refresh the augmentation on the path to the root. */
void avl_touch(struct avl_node *n);

struct avl_node *avl_first(const struct avl_tree *t);
struct avl_node *avl_last(const struct avl_tree *t);
struct avl_node *avl_next(const struct avl_node *n);
struct avl_node *avl_prev(const struct avl_node *n);
/* The idx-th node (0-based) in order, or NULL. */
struct avl_node *avl_nth(const struct avl_tree *t, uint32_t idx);
/* Leftmost node with gap >= min, and the next such node after n. */
struct avl_node *avl_first_gap(const struct avl_tree *t, uint64_t min);
struct avl_node *avl_next_gap(const struct avl_node *n, uint64_t min);
/* Recheck heights, sizes, gaps, parent links.  Return 0 or -1. */
int avl_check(const struct avl_tree *t);

#endif /* CXLDCD_CORE_AVL_H */
