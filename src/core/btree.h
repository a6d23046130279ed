/* SPDX-License-Identifier: MIT */
/*
 * btree.h - a B+tree of disjoint ranges [start, end) with a pointer each,
 * ordered by start.  Wide nodes keep keys in contiguous arrays, so a million
 * entries are 5 levels whose upper levels stay in cache: a lookup costs about
 * one DRAM miss (the leaf) where a binary tree costs one per level.
 *
 * Augmentations: per child subtree counts (index -> entry in O(log n));
 * when the tree is built with gaps, each entry's gap (free space between the
 * previous range's end, or the tree's base, and its start) with the
 * per-child maximum (first-fit search in O(log n)); and, when the pool has
 * columns, per child and column a tally of the values (the caller says how a
 * value counts, and keeps the tallies current with bt_tally_add()), so the
 * n-th value counted in a column is found in O(log n).  A tally is only as
 * wide as the subtree below it can count: one byte per child and column in
 * the parents of leaves (a leaf holds at most BT_B values), two bytes one
 * level up, four above.  Nearly all internal nodes are parents of leaves,
 * so a column costs about BT_B bytes per 16..32 leaves instead of 4 * BT_B.
 *
 * No parent pointers: a cursor keeps the root-to-leaf path.  Nodes come from
 * a pool shared by the trees of one device.  Inserting never allocates: the
 * caller reserves bt_need() nodes with bt_pool_reserve() before changing
 * anything (validate-then-commit), so allocation failure leaves every tree
 * untouched.  Removal only returns nodes to the pool.
 */
#ifndef CXLDCD_CORE_BTREE_H
#define CXLDCD_CORE_BTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BT_B 32u          /* max entries (leaf) or children (internal) per node */
#define BT_MIN (BT_B / 2) /* min for every node but the root */
#define BT_MAX_H 16u      /* levels a cursor can hold (16^16 entries) */
#define BT_TALLY_MAX 7u   /* a value counts at most this much in one column (see bt_tw()) */
#define BT_KINDS 4u       /* node sizes: leaves, internal nodes of level 1, 2, and 3 and up */

struct bt_node {
	uint32_t n;
	uint16_t cols;      /* internal nodes: tally columns after the node (see bt_tally_get()) */
	bool leaf;
	uint8_t lvl;        /* height above the leaves: 0 for a leaf, 1 for a parent of leaves... */
	uint64_t key[BT_B]; /* leaf: start; internal: first start of each child */
	union {
		/* what a descent reads first comes first (see warm() in btree.c) */
		/*
		 * An entry's gap is not stored: it is its start minus the end
		 * before it, end[i - 1], or lo for the first (the end of the
		 * previous leaf's last entry, or the tree's base).  8 bytes an
		 * entry less; bt_leaf_gap().
		 */
		struct {
			uint64_t end[BT_B];
			void *val[BT_B];
			uint64_t lo;
		} l;
		struct {
			struct bt_node *child[BT_B];
			uint32_t cnt[BT_B];
			uint64_t maxgap[BT_B];
		} in;
		struct bt_node *next_free; /* while in the pool */
	};
};

/* How a value counts in the tally columns. */
struct bt_tally_ops {
	/* Call add(ctx, col) once per count of val in col (at most BT_TALLY_MAX per col). */
	void (*tally)(const void *val, void (*add)(void *ctx, uint32_t col), void *ctx);
	bool (*counts)(const void *val, uint32_t col); /* val counts in col */
	/* Optional: start loading what counts() reads beyond val itself (a prefetch). */
	void (*warm)(const void *val);
	/*
	 * A value counts at most once in a column: a leaf whose tally equals its
	 * size then counts every value, and walks skip counts() there.
	 */
	bool unit;
};

/* Free nodes by size (bt_kind()): internal ones carry tally rows as wide as their level needs. */
struct bt_pool {
	struct bt_node *free[BT_KINDS];
	uint32_t nfree[BT_KINDS];
	uint16_t cols;
	const struct bt_tally_ops *ops;
	void *(*alloc)(void *ctx, size_t size);
	void (*release)(void *ctx, void *p);
	void *ctx;
};

struct bt_tree {
	struct bt_node *root;
	uint32_t height;    /* 0: empty, 1: the root is a leaf */
	uint32_t count;
	uint64_t base;      /* gap reference of the first entry */
	bool gaps;
	struct bt_pool *pool;
};

/*
 * A position: node and child index per level, from the root (0) to the leaf
 * (depth - 1).  With two parallel arrays (n[], i[]) instead of pairs, gcc
 * 12.2 at -O1 deletes every call of refresh() in btree.c: a compiler bug,
 * not undefined behaviour here (docs/model.md, "gcc 12 and the B+tree").
 * IVOPTs addresses c->n[d] as MEM[0B - 264 - (uintptr_t)c + 2 * &c->i[d]],
 * the pure-const pass takes the literal 0 base for a null dereference,
 * skips the stores after it and finds refresh() pure.  src/core is built
 * with -fno-delete-null-pointer-checks, which turns that inference off, and
 * tests/unit runs the tree tests against an -O1 build too.
 */
struct bt_cur {
	uint32_t depth;
	struct {
		struct bt_node *n;
		uint32_t i;
	} lv[BT_MAX_H];
};

void bt_pool_init(struct bt_pool *p, void *(*alloc)(void *, size_t), void (*release)(void *, void *),
		  void *ctx, uint16_t cols, const struct bt_tally_ops *ops);
/* Nodes k inserts can take from the pool, at most, by bt_kind(). */
struct bt_need {
	uint64_t n[BT_KINDS];
};
/* Make sure at least n free nodes are pooled.  Return 0 or -ENOMEM (the pool may have grown). */
int bt_pool_reserve(struct bt_pool *p, const struct bt_need *n);
/* Bytes bt_pool_reserve(p, n) would allocate now (each node rounded up to align). */
size_t bt_pool_shortfall(const struct bt_pool *p, const struct bt_need *n, size_t align);
/* Give pooled nodes beyond keep back to the allocator. */
void bt_pool_trim(struct bt_pool *p, uint32_t keep);
void bt_pool_fini(struct bt_pool *p);

void bt_init(struct bt_tree *t, struct bt_pool *p, uint64_t base, bool gaps);
/* Return every node to the pool (the values are the caller's). */
void bt_fini(struct bt_tree *t);

/* Add to *n the nodes k inserts into t can take from the pool, at most. */
void bt_need(const struct bt_tree *t, uint32_t k, struct bt_need *n);
/*
 * Insert [start, end), disjoint from every range in t.  Needs bt_need(t, 1)
 * pooled nodes.  val counts nothing in the tallies yet (bt_tally_add() then).
 */
void bt_insert(struct bt_tree *t, uint64_t start, uint64_t end, void *val);
/* One entry of bt_build(). */
struct bt_entry {
	uint64_t start, end;
	void *val;
	uint32_t col;       /* the one column val counts once in, BT_COL_NONE or BT_COL_OPS */
};
#define BT_COL_NONE UINT32_MAX        /* val counts in no column */
#define BT_COL_OPS (UINT32_MAX - 1u)  /* ask the ops (tally()) how val counts */

/* Add to *n the nodes bt_build() of k entries takes from the pool. */
void bt_build_need(uint32_t k, struct bt_need *n);
/*
 * Fill the empty tree t with e[0..k): ascending by start, disjoint, none
 * starting below t's base (the caller checked).  Every node is full but the
 * last of its level: the tree k bt_insert() calls in ascending order make
 * (split() at the end), built bottom-up in O(k) instead.  The values count
 * in the tallies as each entry's col says (the caller knows it, so the
 * values are not read; BT_COL_OPS: as the ops' tally() says now), so no
 * bt_tally_add() follows.  Needs bt_build_need(k) pooled nodes.
 */
void bt_build(struct bt_tree *t, const struct bt_entry *e, uint32_t k);
/* bt_build() of the entries get(ctx, 0..k) gives in that order (each asked for once). */
typedef void bt_entry_fn(const void *ctx, uint32_t i, struct bt_entry *e);
void bt_build_by(struct bt_tree *t, uint32_t k, bt_entry_fn *get, const void *ctx);
/* Remove the entry starting at start (it must exist). */
void bt_remove(struct bt_tree *t, uint64_t start);
/* The entry at old_start becomes [start, end), start >= old_start, inside its old gap and range. */
void bt_resize(struct bt_tree *t, uint64_t old_start, uint64_t start, uint64_t end);

/* Position c at the first entry whose end is above key.  False: none. */
bool bt_seek_end(const struct bt_tree *t, uint64_t key, struct bt_cur *c);
/* Position c at the entry starting at start.  False: none. */
bool bt_seek(const struct bt_tree *t, uint64_t start, struct bt_cur *c);
bool bt_first(const struct bt_tree *t, struct bt_cur *c);
bool bt_last(const struct bt_tree *t, struct bt_cur *c);
/* The idx-th entry (0-based). */
bool bt_nth(const struct bt_tree *t, uint32_t idx, struct bt_cur *c);
/* Step; false (c unusable) past either end. */
bool bt_next(struct bt_cur *c);
bool bt_prev(struct bt_cur *c);
/* First entry with gap >= min; the next one after c. */
bool bt_first_gap(const struct bt_tree *t, uint64_t min, struct bt_cur *c);
bool bt_next_gap(struct bt_cur *c, uint64_t min);

static inline const struct bt_node *bt_leaf(const struct bt_cur *c)
{
	return c->lv[c->depth - 1].n;
}

static inline uint32_t bt_pos(const struct bt_cur *c)
{
	return c->lv[c->depth - 1].i;
}

/* The leaf after c's, when it shares c's parent (else NULL): for prefetching. */
static inline const struct bt_node *bt_leaf_after(const struct bt_cur *c)
{
	const struct bt_node *p;
	uint32_t i;

	if (c->depth < 2)
		return NULL;
	p = c->lv[c->depth - 2].n;
	i = c->lv[c->depth - 2].i + 1;
	return i < p->n ? p->in.child[i] : NULL;
}

static inline void *bt_val(const struct bt_cur *c)
{
	return bt_leaf(c)->l.val[bt_pos(c)];
}

static inline uint64_t bt_start(const struct bt_cur *c)
{
	return bt_leaf(c)->key[bt_pos(c)];
}

static inline uint64_t bt_end(const struct bt_cur *c)
{
	return bt_leaf(c)->l.end[bt_pos(c)];
}

/* Gap of entry i of leaf n (trees built with gaps). */
static inline uint64_t bt_leaf_gap(const struct bt_node *n, uint32_t i)
{
	return n->key[i] - (i ? n->l.end[i - 1] : n->l.lo);
}

static inline uint64_t bt_gap(const struct bt_cur *c)
{
	return bt_leaf_gap(bt_leaf(c), bt_pos(c));
}

/* Pool size class of a node of level lvl. */
static inline uint32_t bt_kind(uint32_t lvl)
{
	return lvl < BT_KINDS - 1 ? lvl : BT_KINDS - 1;
}

/*
 * Bytes of one tally (child, column) in an internal node of level lvl.  A
 * child of a level-1 node is a leaf: at most BT_B * BT_TALLY_MAX = 224; of a
 * level-2 node, 32 leaves: at most 7168.
 */
static inline uint32_t bt_tw(uint32_t lvl)
{
	return lvl == 1 ? 1u : lvl == 2 ? 2u : 4u;
}

/* The tally rows follow the node: row j (child j) is cols tallies of bt_tw(lvl) bytes. */
static inline void *bt_rows(const struct bt_node *n)
{
	return (char *)(uintptr_t)n + sizeof(*n);
}

/* Tally of child j of internal node n in column col. */
static inline uint32_t bt_tally_get(const struct bt_node *n, uint32_t j, uint32_t col)
{
	size_t k = (size_t)j * n->cols + col;
	const void *r = bt_rows(n);

	switch (n->lvl) {
	case 1:
		return ((const uint8_t *)r)[k];
	case 2:
		return ((const uint16_t *)r)[k];
	default:
		return ((const uint32_t *)r)[k];
	}
}

static inline void bt_tally_set(struct bt_node *n, uint32_t j, uint32_t col, uint32_t v)
{
	size_t k = (size_t)j * n->cols + col;
	void *r = bt_rows(n);

	switch (n->lvl) {
	case 1:
		((uint8_t *)r)[k] = (uint8_t)v;
		break;
	case 2:
		((uint16_t *)r)[k] = (uint16_t)v;
		break;
	default:
		((uint32_t *)r)[k] = v;
		break;
	}
}

static inline uint32_t bt_count(const struct bt_tree *t)
{
	return t->count;
}

/* The value at start now counts delta more in col: update the tallies above it. */
void bt_tally_add(struct bt_tree *t, uint64_t start, uint32_t col, int32_t delta);
/* Values counted in col. */
uint32_t bt_tally_count(const struct bt_tree *t, uint32_t col);
/* The idx-th value counted in col; the next one after c. */
bool bt_tally_nth(const struct bt_tree *t, uint32_t col, uint32_t idx, struct bt_cur *c);
bool bt_tally_next(struct bt_cur *c, const struct bt_tree *t, uint32_t col);

/* Recheck order, disjointness, fill, uniform depth, counts, separators, gaps and tallies.  0 or -1. */
int bt_check(const struct bt_tree *t);
/* An entry, in order: 0 goes on, anything else stops the check (its result -1). */
typedef int bt_visit_fn(void *ctx, uint64_t start, uint64_t end, void *val);
/*
 * bt_check() that also calls visit on every entry in order, before the tally
 * row over its leaf is rechecked: one walk over the values for both, and
 * the values of the next leaf are fetched while one leaf is visited.
 */
int bt_check_visit(const struct bt_tree *t, bt_visit_fn *visit, void *ctx);

#endif /* CXLDCD_CORE_BTREE_H */
