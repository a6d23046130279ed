/* SPDX-License-Identifier: MIT */
/*
 * rindex.c - ordered index of disjoint DPA ranges (AVL tree, see rindex.h).
 *
 * Because the ranges are disjoint and never empty, ordering them by start
 * also orders them by end: "the first range that ends after x" is a plain
 * descent, and every range meeting a query follows it in order.
 */
#include "host/rindex.h"

#include <errno.h>
#include <stdbool.h>

static uint64_t end_of(const struct rnode *n)
{
	return n->start + n->len;
}

static int height(const struct rnode *n)
{
	return n ? n->height : 0;
}

static void fix_height(struct rnode *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = (l > r ? l : r) + 1;
}

/* Put nw where old hangs under parent (or at the root). */
static void replace_child(struct rindex *ix, struct rnode *parent, struct rnode *old,
			  struct rnode *nw)
{
	if (!parent)
		ix->root = nw;
	else if (parent->left == old)
		parent->left = nw;
	else
		parent->right = nw;
	if (nw)
		nw->parent = parent;
}

static struct rnode *rotate_left(struct rindex *ix, struct rnode *x)
{
	struct rnode *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	replace_child(ix, x->parent, x, y);
	y->left = x;
	x->parent = y;
	fix_height(x);
	fix_height(y);
	return y;
}

static struct rnode *rotate_right(struct rindex *ix, struct rnode *x)
{
	struct rnode *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	replace_child(ix, x->parent, x, y);
	y->right = x;
	x->parent = y;
	fix_height(x);
	fix_height(y);
	return y;
}

/* Restore the AVL balance at n; return the subtree's new top. */
static struct rnode *balance(struct rindex *ix, struct rnode *n)
{
	int bf;

	fix_height(n);
	bf = height(n->left) - height(n->right);
	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			rotate_left(ix, n->left);
		return rotate_right(ix, n);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			rotate_right(ix, n->right);
		return rotate_left(ix, n);
	}
	return n;
}

static void rebalance_up(struct rindex *ix, struct rnode *n)
{
	while (n)
		n = balance(ix, n)->parent;
}

void rindex_init(struct rindex *ix)
{
	ix->root = NULL;
	ix->count = 0;
}

int rindex_insert(struct rindex *ix, struct rnode *n)
{
	struct rnode *parent = NULL, *pred = NULL, *succ = NULL, **link = &ix->root;

	if (!n->len || end_of(n) < n->start)
		return -EINVAL;
	while (*link) {
		parent = *link;
		if (n->start < parent->start) {
			succ = parent;
			link = &parent->left;
		} else {
			pred = parent;
			link = &parent->right;
		}
	}
	/* pred starts at or before n, succ after it: only they can meet n */
	if ((pred && end_of(pred) > n->start) || (succ && succ->start < end_of(n)))
		return -EEXIST;
	n->left = n->right = NULL;
	n->parent = parent;
	n->height = 1;
	*link = n;
	ix->count++;
	rebalance_up(ix, parent);
	return 0;
}

static struct rnode *leftmost(struct rnode *n)
{
	while (n && n->left)
		n = n->left;
	return n;
}

void rindex_remove(struct rindex *ix, struct rnode *n)
{
	struct rnode *from;

	if (n->left && n->right) {
		/* the in-order successor s takes n's place */
		struct rnode *s = leftmost(n->right);

		if (s->parent == n) {
			from = s;
		} else {
			from = s->parent;
			from->left = s->right;
			if (s->right)
				s->right->parent = from;
			s->right = n->right;
			n->right->parent = s;
		}
		s->left = n->left;
		n->left->parent = s;
		s->height = n->height;
		replace_child(ix, n->parent, n, s);
	} else {
		from = n->parent;
		replace_child(ix, from, n, n->left ? n->left : n->right);
	}
	ix->count--;
	rebalance_up(ix, from);
	n->left = n->right = n->parent = NULL;
}

struct rnode *rindex_find(const struct rindex *ix, uint64_t start)
{
	struct rnode *n = ix->root;

	while (n && n->start != start)
		n = start < n->start ? n->left : n->right;
	return n;
}

struct rnode *rindex_first_overlap(const struct rindex *ix, uint64_t start, uint64_t len)
{
	struct rnode *n = ix->root, *best = NULL;

	/* the first range that ends after start: every earlier one misses */
	while (n) {
		if (end_of(n) > start) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best && best->start < start + len ? best : NULL;
}

struct rnode *rindex_first(const struct rindex *ix)
{
	return leftmost(ix->root);
}

struct rnode *rindex_next(const struct rnode *n)
{
	const struct rnode *p;

	if (n->right)
		return leftmost(n->right);
	for (p = n->parent; p && n == p->right; p = p->parent)
		n = p;
	return (struct rnode *)p;
}

struct rnode *rindex_next_overlap(const struct rnode *n, uint64_t start, uint64_t len)
{
	struct rnode *nx = rindex_next(n);

	/* later ranges all end after start; stop at the first that begins past the query */
	return nx && nx->start < start + len ? nx : NULL;
}
