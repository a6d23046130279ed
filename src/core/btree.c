/* SPDX-License-Identifier: MIT */
/*
 * btree.c - B+tree of disjoint ranges with subtree counts and max-gap (see
 * btree.h).  Internal separators are exact (key[j] is the first start in
 * child j), so a descent by start never needs to look sideways.  Structural
 * changes (insert, remove, split, merge) keep counts and maxima exact for the
 * gaps as they stand; the gaps that an insert or removal changes (the
 * entry's own and its successor's) are then set through a cursor and their
 * paths refreshed.  A gap is derived (btree.h): within a leaf it follows its
 * neighbours by itself, and a leaf's lo moves with its first entry
 * (move()); only a first entry whose predecessor changed in another leaf
 * needs lo set (set_gap()).
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "core/btree.h"

#define POOL_KEEP 32u /* nodes a removal may park in the pool for the next insert */

/* ------------------------------------------------------------ pool */

void bt_pool_init(struct bt_pool *p, void *(*alloc)(void *, size_t), void (*release)(void *, void *),
		  void *ctx, uint16_t cols, const struct bt_tally_ops *ops)
{
	*p = (struct bt_pool){ .alloc = alloc, .release = release, .ctx = ctx, .cols = cols, .ops = ops };
}

/*
 * Bytes of a node of kind k (see bt_kind()): the node, then BT_B tally rows,
 * at least ROWS_MIN bytes of them in internal nodes.  With one or two hosts
 * the rows of a parent of leaves would be 32 or 64 bytes; at those node
 * sizes the 1,000-extent benchmark cycle measured 5% slower (placement, not
 * instructions: callgrind counts the same), and the memory is noise.
 */
#define ROWS_MIN 128u

/* A leaf stops after its part of the union (the internal part is larger). */
#define LEAF_SIZE (offsetof(struct bt_node, l) + sizeof(((struct bt_node *)0)->l))

static size_t node_size(const struct bt_pool *p, uint32_t k)
{
	size_t rows = (size_t)BT_B * p->cols * bt_tw(k);

	if (!k)
		return LEAF_SIZE;
	return sizeof(struct bt_node) + (!rows ? 0 : rows < ROWS_MIN ? ROWS_MIN : rows);
}

static int fill(struct bt_pool *p, uint32_t k, uint64_t want)
{
	while (p->nfree[k] < want) {
		struct bt_node *n = p->alloc(p->ctx, node_size(p, k));

		if (!n)
			return -ENOMEM;
		n->next_free = p->free[k];
		p->free[k] = n;
		p->nfree[k]++;
	}
	return 0;
}

/* Called around every operation: the common case (nothing to do) is a few compares. */
int bt_pool_reserve(struct bt_pool *p, const struct bt_need *n)
{
	bool short_of = false;

	for (uint32_t k = 0; k < BT_KINDS; k++)
		short_of |= p->nfree[k] < n->n[k];
	for (uint32_t k = 0; short_of && k < BT_KINDS; k++)
		if (fill(p, k, n->n[k]))
			return -ENOMEM;
	return 0;
}

size_t bt_pool_shortfall(const struct bt_pool *p, const struct bt_need *n, size_t align)
{
	size_t bytes = 0;

	for (uint32_t k = 0; k < BT_KINDS; k++)
		if (p->nfree[k] < n->n[k])
			bytes += (n->n[k] - p->nfree[k]) * ((node_size(p, k) + align - 1) & ~(align - 1));
	return bytes;
}

static void trim(struct bt_pool *p, uint32_t k, uint32_t keep)
{
	while (p->nfree[k] > keep) {
		struct bt_node *n = p->free[k];

		p->free[k] = n->next_free;
		p->nfree[k]--;
		p->release(p->ctx, n);
	}
}

void bt_pool_trim(struct bt_pool *p, uint32_t keep)
{
	bool over = false;

	for (uint32_t k = 0; k < BT_KINDS; k++)
		over |= p->nfree[k] > keep;
	for (uint32_t k = 0; over && k < BT_KINDS; k++)
		trim(p, k, keep);
}

void bt_pool_fini(struct bt_pool *p)
{
	bt_pool_trim(p, 0);
}

/* A node of level lvl (0: leaf). */
static struct bt_node *node_get(struct bt_pool *p, uint32_t lvl)
{
	uint32_t k = bt_kind(lvl);
	struct bt_node *n = p->free[k];

	assert(n); /* the caller reserved bt_need() nodes */
	p->free[k] = n->next_free;
	p->nfree[k]--;
	n->n = 0;
	n->leaf = !lvl;
	n->lvl = (uint8_t)lvl;
	n->cols = lvl ? p->cols : 0;
	if (!lvl)
		n->l.lo = 0;
	return n;
}

static void node_put(struct bt_pool *p, struct bt_node *n)
{
	uint32_t k = bt_kind(n->lvl);

	if (p->nfree[k] >= POOL_KEEP) {
		p->release(p->ctx, n);
		return;
	}
	n->next_free = p->free[k];
	p->free[k] = n;
	p->nfree[k]++;
}

/* ------------------------------------------------------------ nodes */

void bt_init(struct bt_tree *t, struct bt_pool *p, uint64_t base, bool gaps)
{
	*t = (struct bt_tree){ .base = base, .gaps = gaps, .pool = p };
}

static void free_sub(struct bt_pool *p, struct bt_node *n)
{
	for (uint32_t j = 0; !n->leaf && j < n->n; j++)
		free_sub(p, n->in.child[j]);
	node_put(p, n);
}

void bt_fini(struct bt_tree *t)
{
	if (t->root)
		free_sub(t->pool, t->root);
	t->root = NULL;
	t->height = t->count = 0;
}

/*
 * Copy k entries (or children) from s[si..] to d[di..]; s may be d.  Entries
 * that land first in a leaf bring their gap along: d's lo becomes the end
 * before s[si] (also when k is 0 and d is a fresh leaf to append to).  A
 * removal that shifts the rest of a leaf down keeps lo itself (rem()).
 */
static void move(struct bt_node *d, uint32_t di, const struct bt_node *s, uint32_t si, uint32_t k)
{
	memmove(&d->key[di], &s->key[si], k * sizeof(d->key[0]));
	if (s->leaf) {
		uint64_t lo = si ? s->l.end[si - 1] : s->l.lo;

		memmove(&d->l.end[di], &s->l.end[si], k * sizeof(d->l.end[0]));
		memmove(&d->l.val[di], &s->l.val[si], k * sizeof(d->l.val[0]));
		if (!di && (k || d != s))
			d->l.lo = lo;
	} else {
		memmove(&d->in.maxgap[di], &s->in.maxgap[si], k * sizeof(d->in.maxgap[0]));
		memmove(&d->in.child[di], &s->in.child[si], k * sizeof(d->in.child[0]));
		memmove(&d->in.cnt[di], &s->in.cnt[si], k * sizeof(d->in.cnt[0]));
		size_t row = (size_t)s->cols * bt_tw(s->lvl);

		if (row)
			memmove((char *)bt_rows(d) + di * row, (char *)bt_rows(s) + si * row, k * row);
	}
}

static uint32_t ncount(const struct bt_node *n)
{
	uint32_t c = 0;

	if (n->leaf)
		return n->n;
	for (uint32_t j = 0; j < n->n; j++)
		c += n->in.cnt[j];
	return c;
}

static uint64_t nmax(const struct bt_node *n)
{
	uint64_t m = 0;

	for (uint32_t j = 0; j < n->n; j++) {
		uint64_t g = n->leaf ? bt_leaf_gap(n, j) : n->in.maxgap[j];

		m = g > m ? g : m;
	}
	return m;
}

/*
 * Ask for every line of a node at once.  Below the cached top levels a node
 * is a DRAM (and TLB) miss; fetching its lines in parallel costs one round
 * trip, where touching header, keys, then the slot found costs three.
 */
static inline void warm(const struct bt_node *n)
{
	for (size_t off = 0; off < sizeof(*n); off += 64)
		__builtin_prefetch((const char *)n + off);
}

struct row_at {
	struct bt_node *n;
	uint32_t j;
};

/* ops->tally's callback: one more in column col of the row at ctx. */
static void row_inc(void *ctx, uint32_t col)
{
	const struct row_at *r = ctx;

	bt_tally_set(r->n, r->j, col, bt_tally_get(r->n, r->j, col) + 1);
}

/* Recompute p's tally row of child j from the child. */
static void sum_row(const struct bt_pool *pl, struct bt_node *p, uint32_t j)
{
	const struct bt_node *c = p->in.child[j];
	size_t row = (size_t)p->cols * bt_tw(p->lvl);

	memset((char *)bt_rows(p) + j * row, 0, row);
	if (c->leaf) {
		struct row_at r = { p, j };

		for (uint32_t i = 0; i < c->n; i++)
			pl->ops->tally(c->l.val[i], row_inc, &r);
		return;
	}
	for (uint32_t k = 0; k < p->cols; k++) {
		uint32_t v = 0;

		for (uint32_t i = 0; i < c->n; i++)
			v += bt_tally_get(c, i, k);
		bt_tally_set(p, j, k, v);
	}
}

/* Recompute parent p's summary of its child j. */
static void sum(const struct bt_pool *pl, struct bt_node *p, uint32_t j)
{
	const struct bt_node *c = p->in.child[j];

	p->key[j] = c->key[0];
	p->in.cnt[j] = ncount(c);
	p->in.maxgap[j] = nmax(c);
	if (p->cols)
		sum_row(pl, p, j);
}

/*
 * First index in [lo, n) whose key is above k.  A branch-free count over the
 * whole array rather than a binary search: the loads do not depend on each
 * other, so a cold node costs one memory round trip instead of one per probe.
 */
static uint32_t upper(const struct bt_node *n, uint32_t lo, uint64_t k)
{
	uint32_t c = lo;

	for (uint32_t i = lo; i < n->n; i++)
		c += n->key[i] <= k;
	return c;
}

/* The child holding start k: the last whose first key is <= k (0 below them all). */
static uint32_t child_of(const struct bt_node *n, uint64_t k)
{
	return upper(n, 1, k) - 1;
}

/* First leaf index whose end is above k (n->n: none); counted like upper(). */
static uint32_t end_above(const struct bt_node *n, uint64_t k)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < n->n; i++)
		c += n->l.end[i] <= k;
	return c;
}

/* ------------------------------------------------------------ cursor */

/* Fill c from node n at level d down to a leaf along the first (or last) children. */
static void edge(struct bt_cur *c, struct bt_node *n, uint32_t d, bool last)
{
	for (;; d++) {
		uint32_t i = last ? n->n - 1 : 0;

		c->lv[d].n = n;
		c->lv[d].i = i;
		if (n->leaf) {
			c->depth = d + 1;
			return;
		}
		n = n->in.child[i];
	}
}

bool bt_first(const struct bt_tree *t, struct bt_cur *c)
{
	if (!t->root)
		return false;
	edge(c, t->root, 0, false);
	return true;
}

bool bt_last(const struct bt_tree *t, struct bt_cur *c)
{
	if (!t->root)
		return false;
	edge(c, t->root, 0, true);
	return true;
}

bool bt_next(struct bt_cur *c)
{
	uint32_t d = c->depth;

	while (d-- > 0) {
		if (c->lv[d].i + 1 < c->lv[d].n->n) {
			c->lv[d].i++;
			if (d + 1 < c->depth)
				edge(c, c->lv[d].n->in.child[c->lv[d].i], d + 1, false);
			return true;
		}
	}
	return false;
}

bool bt_prev(struct bt_cur *c)
{
	uint32_t d = c->depth;

	while (d-- > 0) {
		if (c->lv[d].i > 0) {
			c->lv[d].i--;
			if (d + 1 < c->depth)
				edge(c, c->lv[d].n->in.child[c->lv[d].i], d + 1, true);
			return true;
		}
	}
	return false;
}

/* Walk the internal levels towards start k; return the leaf (c->depth set, leaf index not). */
static struct bt_node *path(const struct bt_tree *t, uint64_t k, struct bt_cur *c)
{
	struct bt_node *n = t->root;
	uint32_t d = 0;

	while (!n->leaf) {
		uint32_t j = child_of(n, k);

		c->lv[d].n = n;
		c->lv[d++].i = j;
		n = n->in.child[j];
		warm(n);
	}
	c->lv[d].n = n;
	c->depth = d + 1;
	return n;
}

bool bt_seek(const struct bt_tree *t, uint64_t start, struct bt_cur *c)
{
	struct bt_node *n;
	uint32_t j;

	if (!t->root)
		return false;
	n = path(t, start, c);
	j = upper(n, 0, start);
	if (!j || n->key[j - 1] != start)
		return false;
	c->lv[c->depth - 1].i = j - 1;
	return true;
}

bool bt_seek_end(const struct bt_tree *t, uint64_t key, struct bt_cur *c)
{
	struct bt_node *n;
	uint32_t j;

	if (!t->root)
		return false;
	warm(t->root);
	/*
	 * Ranges before the child holding start key end at or below the
	 * child's first start, so the answer is in this leaf or is the first
	 * entry after it.
	 */
	n = path(t, key, c);
	j = end_above(n, key);
	if (j < n->n) {
		c->lv[c->depth - 1].i = j;
		return true;
	}
	c->lv[c->depth - 1].i = n->n - 1;
	return bt_next(c);
}

bool bt_nth(const struct bt_tree *t, uint32_t idx, struct bt_cur *c)
{
	struct bt_node *n = t->root;
	uint32_t d = 0;

	if (idx >= t->count)
		return false;
	while (!n->leaf) {
		uint32_t j = 0;

		while (idx >= n->in.cnt[j])
			idx -= n->in.cnt[j++];
		c->lv[d].n = n;
		c->lv[d++].i = j;
		n = n->in.child[j];
	}
	c->lv[d].n = n;
	c->lv[d].i = idx;
	c->depth = d + 1;
	return true;
}

/* From index from of node n (level d) on, descend to the first entry with gap >= min. */
static bool gap_down(struct bt_cur *c, struct bt_node *n, uint32_t d, uint32_t from, uint64_t min)
{
	for (;; d++, from = 0) {
		uint32_t i = from;

		while (i < n->n && (n->leaf ? bt_leaf_gap(n, i) : n->in.maxgap[i]) < min)
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

bool bt_first_gap(const struct bt_tree *t, uint64_t min, struct bt_cur *c)
{
	return t->root && gap_down(c, t->root, 0, 0, min);
}

bool bt_next_gap(struct bt_cur *c, uint64_t min)
{
	uint32_t d = c->depth;

	while (d-- > 0)
		if (gap_down(c, c->lv[d].n, d, c->lv[d].i + 1, min))
			return true;
	return false;
}

/* ------------------------------------------------------------ gaps */

/* The leaf under c changed: refresh separators and maxima on its path. */
static void refresh(struct bt_cur *c)
{
	for (uint32_t d = c->depth - 1; d-- > 0;) {
		struct bt_node *p = c->lv[d].n;
		uint32_t j = c->lv[d].i;

		p->key[j] = c->lv[d + 1].n->key[0];
		p->in.maxgap[j] = nmax(c->lv[d + 1].n);
	}
}

/* The gap of the entry at c follows its predecessor: set lo if it is first in its leaf. */
static void set_gap(const struct bt_tree *t, struct bt_cur *c)
{
	struct bt_node *n = c->lv[c->depth - 1].n;

	if (!bt_pos(c)) {
		struct bt_cur p = *c;

		n->l.lo = bt_prev(&p) ? bt_end(&p) : t->base;
	}
	refresh(c);
}

/* The entry at c and its successor have new gaps. */
static void set_gaps(const struct bt_tree *t, struct bt_cur *c)
{
	set_gap(t, c);
	if (bt_next(c))
		set_gap(t, c);
}

/* ------------------------------------------------------------ insert */

void bt_need(const struct bt_tree *t, uint32_t k, struct bt_need *need)
{
	uint64_t n = (uint64_t)t->count + k, m = BT_MIN, s = k, per = BT_MIN;
	uint32_t h = 1;

	if (!k)
		return;
	/*
	 * A tree of h levels holds more than BT_MIN^(h-1) entries: every node
	 * but the root and the last one of each level (see split_at_end())
	 * has BT_MIN or more.
	 */
	while (m < n) {
		h++;
		m *= BT_MIN;
	}
	/*
	 * A split in the middle takes BT_MIN additions out of the slack of
	 * a level's nodes; a split at the end leaves a full node behind (one
	 * more split without slack) and a node of one entry, which needs
	 * BT_B - 1 additions to split again.  A level starts with at most one
	 * node per BT_MIN^(L+1) entries plus its last one (and rounding), so
	 * the splits at level L are at most min(splits below, nodes + 3 +
	 * 2 * splits below / BT_MIN).  Plus the root of an empty tree (a leaf)
	 * and one new root per level the tree may grow.
	 */
	need->n[0] += !t->root;
	for (uint32_t L = 1; L <= h; L++)
		need->n[bt_kind(L)]++;
	for (uint32_t L = 0; L < h; L++, per *= BT_MIN) {
		uint64_t cap = t->count / per + 3 + 2 * s / BT_MIN;

		s = cap < s ? cap : s;
		need->n[bt_kind(L)] += s;
	}
}

/*
 * Split the full node n, moving its upper half to a new right sibling; or,
 * at_end (the addition goes past the last entry of the tree's last node
 * of its level), moving nothing: n stays full and the addition starts the
 * new node.  Extents added in DPA order so fill their leaves instead of
 * leaving them half empty.  Only the last node of a level can hold fewer
 * than BT_MIN entries that way; removal treats it like any other.
 */
static struct bt_node *split(struct bt_pool *p, struct bt_node *n, bool at_end)
{
	struct bt_node *r = node_get(p, n->lvl);
	uint32_t h = at_end ? n->n : n->n / 2;

	move(r, 0, n, h, n->n - h);
	r->n = n->n - h;
	n->n = h;
	return r;
}

static void leaf_put(struct bt_node *n, uint32_t j, uint64_t s, uint64_t e, void *v)
{
	move(n, j + 1, n, j, n->n - j);
	n->key[j] = s;
	n->l.end[j] = e; /* its gap (and its successor's) is right once set_gaps() ran */
	n->l.val[j] = v;
	n->n++;
}

static void child_put(const struct bt_pool *pl, struct bt_node *n, uint32_t j, struct bt_node *c)
{
	move(n, j + 1, n, j, n->n - j);
	n->in.child[j] = c;
	n->n++;
	sum(pl, n, j);
}

/* Insert into the subtree n; return the new right sibling when n split. */
static struct bt_node *ins(struct bt_tree *t, struct bt_node *n, bool last, uint64_t s, uint64_t e,
			  void *v)
{
	struct bt_node *r = NULL, *cr;
	uint32_t j;

	if (n->leaf) {
		j = upper(n, 0, s);
		if (n->n == BT_B) {
			bool at_end = last && j == n->n;

			r = split(t->pool, n, at_end);
			if (at_end || j > n->n) {
				leaf_put(r, j - n->n, s, e, v);
				return r;
			}
		}
		leaf_put(n, j, s, e, v);
		return r;
	}
	j = child_of(n, s);
	warm(n->in.child[j]);
	cr = ins(t, n->in.child[j], last && j + 1 == n->n, s, e, v);
	if (!cr) {
		/* A gap of 0 raises no maximum; only the first key may move. */
		n->in.cnt[j]++;
		n->key[j] = n->in.child[j]->key[0];
		return NULL;
	}
	sum(t->pool, n, j++);
	if (n->n == BT_B) {
		bool at_end = last && j == n->n;

		r = split(t->pool, n, at_end);
		if (at_end || j > n->n) {
			child_put(t->pool, r, j - n->n, cr);
			return r;
		}
	}
	child_put(t->pool, n, j, cr);
	return r;
}

void bt_insert(struct bt_tree *t, uint64_t start, uint64_t end, void *val)
{
	struct bt_node *r;
	struct bt_cur c;

	if (!t->root) {
		t->root = node_get(t->pool, 0);
		t->height = 1;
	}
	r = ins(t, t->root, true, start, end, val);
	if (r) {
		struct bt_node *nr = node_get(t->pool, t->root->lvl + 1u);

		nr->in.child[0] = t->root;
		nr->n = 1;
		sum(t->pool, nr, 0);
		child_put(t->pool, nr, 1, r);
		t->root = nr;
		t->height++;
	}
	t->count++;
	if (t->gaps && bt_seek(t, start, &c))
		set_gaps(t, &c);
}

/* ------------------------------------------------------------ bulk build */

/* Nodes of each level when k entries fill them bottom-up (see bt_build()). */
void bt_build_need(uint32_t k, struct bt_need *need)
{
	uint64_t nodes = (k + BT_B - 1) / BT_B;

	for (uint32_t lvl = 0; nodes; lvl++) {
		need->n[bt_kind(lvl)] += nodes;
		nodes = nodes > 1 ? (nodes + BT_B - 1) / BT_B : 0;
	}
}

/* Row j of p (a parent of leaves) from the entries of its leaf j, e[0..n). */
static void row_of_entries(const struct bt_pool *pl, struct bt_node *p, uint32_t j,
			   const struct bt_entry *e, uint32_t n)
{
	struct row_at r = { p, j };
	size_t row = (size_t)p->cols * bt_tw(p->lvl);

	memset((char *)bt_rows(p) + j * row, 0, row);
	for (uint32_t i = 0; i < n; i++) {
		if (e[i].col == BT_COL_OPS) {
			pl->ops->tally(e[i].val, row_inc, &r);
		} else if (e[i].col != BT_COL_NONE) {
			assert(e[i].col < p->cols);
			row_inc(&r, e[i].col);
		}
	}
}

/*
 * Child c, complete, goes last in the open (rightmost) node of level lvl;
 * a full one is complete too, goes up the same way, and a new one opens.
 * A leaf (lvl 1) comes with its entries, which give its tally row.
 */
static void build_push(struct bt_tree *t, struct bt_node **open, uint32_t lvl, struct bt_node *c,
		       const struct bt_entry *e)
{
	struct bt_node *p = open[lvl];

	if (!p || p->n == BT_B) {
		if (p)
			build_push(t, open, lvl + 1, p, NULL);
		p = open[lvl] = node_get(t->pool, lvl);
	}
	p->in.child[p->n] = c;
	if (!e) {
		sum(t->pool, p, p->n++);
		return;
	}
	p->key[p->n] = c->key[0];
	p->in.cnt[p->n] = c->n;
	p->in.maxgap[p->n] = nmax(c);
	if (p->cols)
		row_of_entries(t->pool, p, p->n, e, c->n);
	p->n++;
}

/*
 * Leaves left to right, each handed to its parent once the next one starts
 * (a parent sums a child when it takes it: a leaf's row from its entries,
 * so the values themselves are not read), and the parents up the same
 * way; at the end the open node of each level goes up while a level above
 * it exists.  The open node of the top level is the root.  The entries
 * come from get(ctx, i) in order, a leaf's worth at a time: the caller
 * needs no array of them (region_build() makes them from the allocations).
 */
void bt_build_by(struct bt_tree *t, uint32_t k, bt_entry_fn *get, const void *ctx)
{
	struct bt_node *open[BT_MAX_H] = { 0 };
	struct bt_entry buf[2][BT_B];       /* the open leaf's entries, and the one before's */
	uint64_t lo = t->base;
	uint32_t lvl, cur = 0;

	assert(!t->root);
	if (!k)
		return;
	for (uint32_t i = 0; i < k; i += BT_B) {
		struct bt_node *n = node_get(t->pool, 0);
		struct bt_entry *e = buf[cur];

		n->n = k - i < BT_B ? k - i : BT_B;
		n->l.lo = lo;
		for (uint32_t j = 0; j < n->n; j++) {
			get(ctx, i + j, &e[j]);
			n->key[j] = e[j].start;
			n->l.end[j] = e[j].end;
			n->l.val[j] = e[j].val;
		}
		lo = n->l.end[n->n - 1];
		if (open[0])
			build_push(t, open, 1, open[0], buf[cur ^ 1u]);
		open[0] = n;
		cur ^= 1u;
	}
	lvl = 0;
	if (open[1]) {
		/* the last leaf's entries: the buffer filled last */
		build_push(t, open, 1, open[0], buf[cur ^ 1u]);
		for (lvl = 1; open[lvl + 1]; lvl++)
			build_push(t, open, lvl + 1, open[lvl], NULL);
	}
	t->root = open[lvl];
	t->height = lvl + 1;
	t->count = k;
}

static void entry_of_array(const void *ctx, uint32_t i, struct bt_entry *e)
{
	*e = ((const struct bt_entry *)ctx)[i];
}

void bt_build(struct bt_tree *t, const struct bt_entry *e, uint32_t k)
{
	bt_build_by(t, k, entry_of_array, e);
}

/* ------------------------------------------------------------ remove */

/* Child j of p fell below BT_MIN: merge it with a sibling or borrow from one. */
static void rebalance(struct bt_tree *t, struct bt_node *p, uint32_t j)
{
	uint32_t a = j + 1 < p->n ? j : j - 1, want, k;
	struct bt_node *L = p->in.child[a], *R = p->in.child[a + 1];

	if (L->n + R->n <= BT_B) {
		move(L, L->n, R, 0, R->n);
		L->n += R->n;
		move(p, a + 1, p, a + 2, p->n - a - 2);
		p->n--;
		node_put(t->pool, R);
		sum(t->pool, p, a);
		return;
	}
	want = (L->n + R->n) / 2;
	if (L->n < want) {
		k = want - L->n;
		move(L, L->n, R, 0, k);
		move(R, 0, R, k, R->n - k);
	} else {
		k = L->n - want;
		move(R, k, R, 0, R->n);
		move(R, 0, L, want, k);
	}
	R->n = R->n + L->n - want;
	L->n = want;
	sum(t->pool, p, a);
	sum(t->pool, p, a + 1);
}

static void rem(struct bt_tree *t, struct bt_node *n, uint64_t s)
{
	struct bt_node *c;
	uint32_t j;

	if (n->leaf) {
		uint64_t lo = n->l.lo; /* the entry going takes its end with it, not lo */

		j = upper(n, 0, s) - 1;
		move(n, j, n, j + 1, n->n - j - 1);
		n->l.lo = lo;
		n->n--;
		return;
	}
	j = child_of(n, s);
	c = n->in.child[j];
	warm(c);
	rem(t, c, s);
	n->in.cnt[j]--;
	if (!c->n) {
		/* c was the last node of its level (see split()), so n is too. */
		n->n--;
		node_put(t->pool, c);
	} else if (c->n < BT_MIN && n->n > 1) {
		rebalance(t, n, j);
	} else {
		/* c (and n, if it is its only child) may be the last of its level. */
		n->key[j] = c->key[0];
		n->in.maxgap[j] = nmax(c);
	}
}

void bt_remove(struct bt_tree *t, uint64_t start)
{
	struct bt_node *old = t->root;
	struct bt_cur c;

	rem(t, old, start);
	t->count--;
	if (!old->leaf && old->n == 1) {
		t->root = old->in.child[0];
		t->height--;
		node_put(t->pool, old);
	} else if (old->leaf && !old->n) {
		t->root = NULL;
		t->height = 0;
		node_put(t->pool, old);
	}
	/* The successor (first range ending above start) now follows the predecessor. */
	if (t->gaps && bt_seek_end(t, start, &c))
		set_gap(t, &c);
}

void bt_resize(struct bt_tree *t, uint64_t old_start, uint64_t start, uint64_t end)
{
	struct bt_cur c;
	bool found = bt_seek(t, old_start, &c);
	struct bt_node *n;

	assert(found); /* the caller resizes an entry it holds */
	if (!found)
		return;
	n = c.lv[c.depth - 1].n;
	assert(start >= old_start); /* keeps every separator exact after refresh() */
	n->key[bt_pos(&c)] = start;
	n->l.end[bt_pos(&c)] = end;
	if (t->gaps)
		set_gaps(t, &c);
	else
		refresh(&c);
}

/* ------------------------------------------------------------ check */

struct chk {
	const struct bt_tree *t;
	uint64_t prev_end;
	bool started;
	bt_visit_fn *visit;
	void *ctx;
};

static int chk_leaf(struct chk *k, const struct bt_node *n, uint64_t *mg)
{
	for (uint32_t i = 0; i < n->n; i++) {
		uint64_t lo = k->started ? k->prev_end : k->t->base;

		if (n->key[i] >= n->l.end[i] || n->key[i] < lo)
			return -1;
		if (k->t->gaps && bt_leaf_gap(n, i) != n->key[i] - lo)
			return -1;
		if (k->visit && k->visit(k->ctx, n->key[i], n->l.end[i], n->l.val[i]))
			return -1;
		*mg = bt_leaf_gap(n, i) > *mg ? bt_leaf_gap(n, i) : *mg;
		k->prev_end = n->l.end[i];
		k->started = true;
	}
	return 0;
}

/* Row j of n equals the tally of child j, column by column. */
static int chk_row(const struct chk *k, const struct bt_node *n, uint32_t j)
{
	const struct bt_node *c = n->in.child[j];

	for (uint32_t col = 0; col < n->cols; col++) {
		uint32_t want = 0;

		for (uint32_t i = 0; i < c->n; i++)
			want += c->leaf ? k->t->pool->ops->counts(c->l.val[i], col) : bt_tally_get(c, i, col);
		if (bt_tally_get(n, j, col) != want)
			return -1;
	}
	return 0;
}

static void fetch_vals(const struct bt_node *n, uint32_t j)
{
	for (uint32_t i = 0; j < n->n && i < n->in.child[j]->n; i++)
		__builtin_prefetch(n->in.child[j]->l.val[i]);
}

static void warm_vals(const struct bt_pool *pl, const struct bt_node *n, uint32_t j)
{
	for (uint32_t i = 0; j < n->n && i < n->in.child[j]->n && pl->ops && pl->ops->warm; i++)
		pl->ops->warm(n->in.child[j]->l.val[i]);
}

/*
 * Before leaf j of n is checked (its values visited, then counted for n's
 * row): fetch the values of leaf j + 2, and what the ops read beyond the
 * values of leaf j + 1 (fetched one leaf before), so the walk in order
 * finds both in the cache instead of waiting for each value in turn.
 */
static void warm_next(const struct chk *k, const struct bt_node *n, uint32_t j)
{
	if (!k->visit && !n->cols)
		return; /* no value is read */
	if (!j) {
		fetch_vals(n, 0);
		fetch_vals(n, 1);
		warm_vals(k->t->pool, n, 0);
	}
	fetch_vals(n, j + 2);
	warm_vals(k->t->pool, n, j + 1);
}

/* last: n is the last node of its level, the one node that may hold fewer than BT_MIN. */
static int chk_node(struct chk *k, const struct bt_node *n, uint32_t d, bool last, uint32_t *cnt,
		    uint64_t *mg)
{
	bool root = d == 0;

	*cnt = 0;
	*mg = 0;
	if (!n->n || n->n > BT_B || (!root && !last && n->n < BT_MIN) || (root && !n->leaf && n->n < 2) ||
	    n->leaf != !n->lvl || n->lvl + d + 1 != k->t->height)
		return -1;
	if (n->leaf) {
		*cnt = n->n;
		return d + 1 == k->t->height ? chk_leaf(k, n, mg) : -1;
	}
	for (uint32_t j = 0; j < n->n; j++) {
		const struct bt_node *c = n->in.child[j];
		uint32_t cc;
		uint64_t cm;

		if (c->leaf)
			warm_next(k, n, j);
		if (chk_node(k, c, d + 1, last && j + 1 == n->n, &cc, &cm) || n->in.cnt[j] != cc ||
		    (k->t->gaps && n->in.maxgap[j] != cm) ||
		    n->key[j] != c->key[0] || n->cols != k->t->pool->cols || chk_row(k, n, j))
			return -1;
		*cnt += cc;
		*mg = cm > *mg ? cm : *mg;
	}
	return 0;
}

int bt_check(const struct bt_tree *t)
{
	return bt_check_visit(t, NULL, NULL);
}

int bt_check_visit(const struct bt_tree *t, bt_visit_fn *visit, void *ctx)
{
	struct chk k = { .t = t, .visit = visit, .ctx = ctx };
	uint32_t cnt;
	uint64_t mg;

	if (!t->root)
		return t->count || t->height ? -1 : 0;
	if (chk_node(&k, t->root, 0, true, &cnt, &mg))
		return -1;
	return cnt == t->count ? 0 : -1;
}
