/* SPDX-License-Identifier: MIT */
/*
 * btree-tally.c - the tally columns of the range B+tree (see btree.h): keep
 * the per-child counts current when a value starts or stops counting, and
 * find the n-th counted value and the next one.  Structural changes (splits,
 * merges) recount in btree.c; here only paths are walked.
 */
#include "core/btree.h"

void bt_tally_add(struct bt_tree *t, uint64_t start, uint32_t col, int32_t delta)
{
	struct bt_cur c;

	if (!t->pool->cols || !bt_seek(t, start, &c))
		return;
	for (uint32_t d = 0; d + 1 < c.depth; d++) {
		struct bt_node *n = c.lv[d].n;
		uint32_t i = c.lv[d].i;

		bt_tally_set(n, i, col, bt_tally_get(n, i, col) + (uint32_t)delta);
	}
}

uint32_t bt_tally_count(const struct bt_tree *t, uint32_t col)
{
	const struct bt_node *n = t->root;
	uint32_t c = 0;

	for (uint32_t j = 0; n && j < n->n; j++)
		c += n->leaf ? t->pool->ops->counts(n->l.val[j], col) : bt_tally_get(n, j, col);
	return c;
}

/* From index from of node n (level d) on, descend to the first value counted in col. */
static bool tally_down(const struct bt_pool *pl, struct bt_cur *c, struct bt_node *n, uint32_t d,
		       uint32_t from, uint32_t col)
{
	for (;; d++, from = 0) {
		uint32_t i = from;

		if (n->leaf && d > 0 && pl->ops->unit &&
		    bt_tally_get(c->lv[d - 1].n, c->lv[d - 1].i, col) == n->n)
			; /* every value of this leaf counts: i = from */
		else
			while (i < n->n && !(n->leaf ? pl->ops->counts(n->l.val[i], col)
						     : bt_tally_get(n, i, col) > 0))
				i++;
		if (i == n->n)
			return false;
		c->lv[d].n = n;
		c->lv[d].i = i;
		if (n->leaf) {
			c->depth = d + 1;
			return true;
		}
		n = n->in.child[i];
	}
}

bool bt_tally_nth(const struct bt_tree *t, uint32_t col, uint32_t idx, struct bt_cur *c)
{
	struct bt_node *n = t->root;
	uint32_t d = 0, leaf_tally = UINT32_MAX;

	if (!n)
		return false;
	while (!n->leaf) {
		uint32_t j = 0;

		while (j < n->n && bt_tally_get(n, j, col) <= idx)
			idx -= bt_tally_get(n, j++, col);
		if (j == n->n)
			return false;
		c->lv[d].n = n;
		c->lv[d++].i = j;
		leaf_tally = bt_tally_get(n, j, col);
		n = n->in.child[j];
	}
	if (t->pool->ops->unit && leaf_tally == n->n) {
		/* every value of the leaf counts: the idx-th is at idx */
		if (idx >= n->n)
			return false;
		c->lv[d].n = n;
		c->lv[d].i = idx;
		c->depth = d + 1;
		return true;
	}
	/*
	 * The leaf is scanned value by value; once the tree outgrows the cache
	 * each counts() costs misses, so start them all first, in parallel.
	 */
	for (uint32_t i = 0; i < n->n; i++)
		__builtin_prefetch(n->l.val[i]);
	for (uint32_t i = 0; i < n->n && t->pool->ops->warm; i++)
		t->pool->ops->warm(n->l.val[i]);
	for (uint32_t i = 0; i < n->n; i++) {
		if (!t->pool->ops->counts(n->l.val[i], col))
			continue;
		if (!idx--) {
			c->lv[d].n = n;
			c->lv[d].i = i;
			c->depth = d + 1;
			return true;
		}
	}
	return false;
}

bool bt_tally_next(struct bt_cur *c, const struct bt_tree *t, uint32_t col)
{
	uint32_t d = c->depth;

	while (d-- > 0)
		if (tally_down(t->pool, c, c->lv[d].n, d, c->lv[d].i + 1, col))
			return true;
	return false;
}

