/* SPDX-License-Identifier: MIT */
/*
 * avl.c - intrusive AVL tree with subtree size and subtree max-gap
 * augmentation.  Not a map: see avl.h for how keys are handled.
 */
#include "core/avl.h"

static inline uint32_t cnt(const struct avl_node *n)
{
	return n ? n->cnt : 0;
}

static inline int32_t ht(const struct avl_node *n)
{
	return n ? n->h : 0;
}

static inline uint64_t mg(const struct avl_node *n)
{
	return n ? n->maxgap : 0;
}

static void update(struct avl_node *n)
{
	int32_t hl = ht(n->l), hr = ht(n->r);
	uint64_t m = n->gap;

	n->h = 1 + (hl > hr ? hl : hr);
	n->cnt = 1 + cnt(n->l) + cnt(n->r);
	if (mg(n->l) > m)
		m = mg(n->l);
	if (mg(n->r) > m)
		m = mg(n->r);
	n->maxgap = m;
}

static void set_child(struct avl_tree *t, struct avl_node *parent, struct avl_node *old,
		      struct avl_node *nw)
{
	if (!parent)
		t->root = nw;
	else if (parent->l == old)
		parent->l = nw;
	else
		parent->r = nw;
	if (nw)
		nw->p = parent;
}

static struct avl_node *rot_left(struct avl_tree *t, struct avl_node *x)
{
	struct avl_node *y = x->r;

	x->r = y->l;
	if (y->l)
		y->l->p = x;
	set_child(t, x->p, x, y);
	y->l = x;
	x->p = y;
	update(x);
	update(y);
	return y;
}

static struct avl_node *rot_right(struct avl_tree *t, struct avl_node *x)
{
	struct avl_node *y = x->l;

	x->l = y->r;
	if (y->r)
		y->r->p = x;
	set_child(t, x->p, x, y);
	y->r = x;
	x->p = y;
	update(x);
	update(y);
	return y;
}

static struct avl_node *balance(struct avl_tree *t, struct avl_node *n)
{
	int32_t bf;

	update(n);
	bf = ht(n->l) - ht(n->r);
	if (bf > 1) {
		if (ht(n->l->l) < ht(n->l->r))
			rot_left(t, n->l);
		return rot_right(t, n);
	}
	if (bf < -1) {
		if (ht(n->r->r) < ht(n->r->l))
			rot_right(t, n->r);
		return rot_left(t, n);
	}
	return n;
}

static void rebalance_up(struct avl_tree *t, struct avl_node *n)
{
	while (n) {
		n = balance(t, n);
		n = n->p;
	}
}

void avl_insert(struct avl_tree *t, struct avl_node *n, struct avl_node *parent, bool left)
{
	n->l = n->r = NULL;
	n->p = parent;
	n->h = 1;
	n->cnt = 1;
	n->maxgap = n->gap;
	if (!parent)
		t->root = n;
	else if (left)
		parent->l = n;
	else
		parent->r = n;
	rebalance_up(t, parent);
}

void avl_remove(struct avl_tree *t, struct avl_node *n)
{
	struct avl_node *fix, *s, *child;

	if (n->l && n->r) {
		s = n->r;
		while (s->l)
			s = s->l;
		if (s->p != n) {
			fix = s->p;
			set_child(t, s->p, s, s->r);
			s->r = n->r;
			n->r->p = s;
		} else {
			fix = s;
		}
		s->l = n->l;
		n->l->p = s;
		set_child(t, n->p, n, s);
		rebalance_up(t, fix);
	} else {
		child = n->l ? n->l : n->r;
		fix = n->p;
		set_child(t, n->p, n, child);
		rebalance_up(t, fix);
	}
	n->l = n->r = n->p = NULL;
}

void avl_touch(struct avl_node *n)
{
	for (; n; n = n->p)
		update(n);
}

struct avl_node *avl_first(const struct avl_tree *t)
{
	struct avl_node *n = t->root;

	while (n && n->l)
		n = n->l;
	return n;
}

struct avl_node *avl_last(const struct avl_tree *t)
{
	struct avl_node *n = t->root;

	while (n && n->r)
		n = n->r;
	return n;
}

struct avl_node *avl_next(const struct avl_node *n)
{
	if (n->r) {
		n = n->r;
		while (n->l)
			n = n->l;
		return (struct avl_node *)n;
	}
	while (n->p && n == n->p->r)
		n = n->p;
	return n->p;
}

struct avl_node *avl_prev(const struct avl_node *n)
{
	if (n->l) {
		n = n->l;
		while (n->r)
			n = n->r;
		return (struct avl_node *)n;
	}
	while (n->p && n == n->p->l)
		n = n->p;
	return n->p;
}

struct avl_node *avl_nth(const struct avl_tree *t, uint32_t idx)
{
	struct avl_node *n = t->root;

	while (n) {
		uint32_t lc = cnt(n->l);

		if (idx < lc) {
			n = n->l;
		} else if (idx == lc) {
			return n;
		} else {
			idx -= lc + 1;
			n = n->r;
		}
	}
	return NULL;
}

static struct avl_node *sub_first_gap(struct avl_node *n, uint64_t min)
{
	while (n) {
		if (mg(n->l) >= min)
			n = n->l;
		else if (n->gap >= min)
			return n;
		else if (mg(n->r) >= min)
			n = n->r;
		else
			return NULL;
	}
	return NULL;
}

struct avl_node *avl_first_gap(const struct avl_tree *t, uint64_t min)
{
	return sub_first_gap(t->root, min);
}

struct avl_node *avl_next_gap(const struct avl_node *n, uint64_t min)
{
	struct avl_node *p;

	if (mg(n->r) >= min)
		return sub_first_gap(n->r, min);
	for (; n->p; n = n->p) {
		if (n != n->p->l)
			continue;
		p = n->p;
		if (p->gap >= min)
			return p;
		if (mg(p->r) >= min)
			return sub_first_gap(p->r, min);
	}
	return NULL;
}

static int check_sub(const struct avl_node *n, const struct avl_node *parent)
{
	int32_t hl, hr;
	uint64_t m;

	if (!n)
		return 0;
	if (n->p != parent || check_sub(n->l, n) || check_sub(n->r, n))
		return -1;
	hl = ht(n->l);
	hr = ht(n->r);
	if (hl - hr > 1 || hr - hl > 1 || n->h != 1 + (hl > hr ? hl : hr))
		return -1;
	if (n->cnt != 1 + cnt(n->l) + cnt(n->r))
		return -1;
	m = n->gap;
	if (mg(n->l) > m)
		m = mg(n->l);
	if (mg(n->r) > m)
		m = mg(n->r);
	return n->maxgap == m ? 0 : -1;
}

int avl_check(const struct avl_tree *t)
{
	return check_sub(t->root, NULL);
}
