/* SPDX-License-Identifier: MIT */
/*
 * bind.c - the per-host binding table: an AVL tree of non-overlapping DPA
 * intervals keyed by their start.  Insert, remove and lookup are O(log n),
 * so a host with a million accepted extents costs ~20 steps per access.
 * The nodes belong to the caller (the mem_dev); this file only links them.
 */
#include <errno.h>
#include <stddef.h>

#include "mem/bind.h"

static int height(const struct mem_bind *n)
{
	return n ? n->height : 0;
}

static void fix_height(struct mem_bind *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = (l > r ? l : r) + 1;
}

static struct mem_bind *rotate_right(struct mem_bind *n)
{
	struct mem_bind *l = n->left;

	n->left = l->right;
	l->right = n;
	fix_height(n);
	fix_height(l);
	return l;
}

static struct mem_bind *rotate_left(struct mem_bind *n)
{
	struct mem_bind *r = n->right;

	n->right = r->left;
	r->left = n;
	fix_height(n);
	fix_height(r);
	return r;
}

static struct mem_bind *balance(struct mem_bind *n)
{
	int bf;

	fix_height(n);
	bf = height(n->left) - height(n->right);
	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

static struct mem_bind *insert(struct mem_bind *n, struct mem_bind *b)
{
	if (!n)
		return b;
	if (b->dpa < n->dpa)
		n->left = insert(n->left, b);
	else
		n->right = insert(n->right, b);
	return balance(n);
}

/* Greatest node with dpa <= key. */
static struct mem_bind *floor_node(struct mem_bind *n, uint64_t key)
{
	struct mem_bind *best = NULL;

	while (n) {
		if (n->dpa <= key) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

/* Least node with dpa > key. */
static struct mem_bind *above_node(struct mem_bind *n, uint64_t key)
{
	struct mem_bind *best = NULL;

	while (n) {
		if (n->dpa > key) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

int mem_bind_insert(struct bind_tree *t, struct mem_bind *b)
{
	struct mem_bind *lo = floor_node(t->root, b->dpa);
	struct mem_bind *hi = above_node(t->root, b->dpa);

	if (lo && lo->dpa + lo->len > b->dpa)
		return -EEXIST;
	if (hi && hi->dpa < b->dpa + b->len)
		return -EEXIST;
	b->left = b->right = NULL;
	b->height = 1;
	t->root = insert(t->root, b);
	t->count++;
	return 0;
}

static struct mem_bind *remove_min(struct mem_bind *n, struct mem_bind **min)
{
	if (!n->left) {
		*min = n;
		return n->right;
	}
	n->left = remove_min(n->left, min);
	return balance(n);
}

static struct mem_bind *remove_node(struct mem_bind *n, struct mem_bind *b)
{
	struct mem_bind *min;

	if (!n)
		return NULL;
	if (b->dpa < n->dpa) {
		n->left = remove_node(n->left, b);
		return balance(n);
	}
	if (b->dpa > n->dpa) {
		n->right = remove_node(n->right, b);
		return balance(n);
	}
	if (!n->right)
		return n->left;
	n->right = remove_min(n->right, &min);
	min->left = n->left;
	min->right = n->right;
	return balance(min);
}

void mem_bind_remove(struct bind_tree *t, struct mem_bind *b)
{
	t->root = remove_node(t->root, b);
	b->left = b->right = NULL;
	t->count--;
}

struct mem_bind *mem_bind_find(const struct bind_tree *t, uint64_t dpa)
{
	struct mem_bind *n = floor_node(t->root, dpa);

	return n && dpa - n->dpa < n->len ? n : NULL;
}

struct mem_bind *mem_bind_first_from(const struct bind_tree *t, uint64_t dpa)
{
	struct mem_bind *n = mem_bind_find(t, dpa);

	return n ? n : above_node(t->root, dpa);
}

struct mem_bind *mem_bind_next(const struct bind_tree *t, const struct mem_bind *b)
{
	return above_node(t->root, b->dpa);
}

struct mem_bind *mem_bind_min(const struct bind_tree *t)
{
	struct mem_bind *n = t->root;

	while (n && n->left)
		n = n->left;
	return n;
}
