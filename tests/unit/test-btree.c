/* SPDX-License-Identifier: MIT */
/*
 * test-btree.c - the range B+tree (src/core/btree.c) against a sorted array:
 * random inserts, removals and resizes of disjoint ranges, and values
 * counted in tally columns, with the tree rechecked and every query (seek by
 * start and by end, index, first-fit gap search, tally count, n-th and next
 * in a column, iteration) compared after each step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/btree.h"

#define SLOTS 6000u   /* range i may only live in [4i, 4i+4) units */
#define UNIT 16ull
#define BASE 1000ull

#define COLS 3u

struct ref {
	bool live[SLOTS];
	uint64_t s[SLOTS], e[SLOTS];
	int owner[SLOTS];  /* tally column the value counts in, -1: none */
};

static struct ref the_ref; /* the callbacks below find owners here */

static void ref_tally(const void *val, void (*add)(void *, uint32_t), void *ctx)
{
	int o = the_ref.owner[(const bool *)val - the_ref.live];

	if (o >= 0)
		add(ctx, (uint32_t)o);
}

static bool ref_counts(const void *val, uint32_t col)
{
	return the_ref.owner[(const bool *)val - the_ref.live] == (int)col;
}

static const struct bt_tally_ops ref_ops = { .tally = ref_tally, .counts = ref_counts };

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static void *p_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return calloc(1, n);
}

static void p_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static size_t counted_bytes;

static void *p_alloc_counted(void *ctx, size_t n)
{
	size_t *at = calloc(1, sizeof(size_t) + n);

	(void)ctx;
	if (!at)
		return NULL;
	*at = n;
	counted_bytes += n;
	return at + 1;
}

static void p_free_counted(void *ctx, void *p)
{
	(void)ctx;
	if (p) {
		counted_bytes -= ((size_t *)p)[-1];
		free((size_t *)p - 1);
	}
}

static struct bt_need need_of(const struct bt_tree *t, uint32_t k)
{
	struct bt_need n = { 0 };

	bt_need(t, k, &n);
	return n;
}

/* Pool what k inserts into t need. */
static int reserve(struct bt_tree *t, uint32_t k)
{
	struct bt_need n = need_of(t, k);

	return bt_pool_reserve(t->pool, &n);
}

static void compare(const struct bt_tree *t, const struct ref *r)
{
	struct bt_cur c;
	uint32_t n = 0, idx = 0;
	uint64_t prev_end = t->base;
	bool ok;

	assert_int_equal(bt_check(t), 0);
	for (uint32_t i = 0; i < SLOTS; i++)
		n += r->live[i];
	assert_int_equal(bt_count(t), n);
	ok = bt_first(t, &c);
	for (uint32_t i = 0; i < SLOTS; i++) {
		if (!r->live[i])
			continue;
		assert_true(ok);
		assert_true(bt_start(&c) == r->s[i] && bt_end(&c) == r->e[i]);
		assert_true(bt_val(&c) == &r->live[i]);
		if (t->gaps)
			assert_true(bt_gap(&c) == r->s[i] - prev_end);
		prev_end = r->e[i];
		idx++;
		ok = bt_next(&c);
	}
	assert_false(ok);
	(void)idx;
}

/* Count, n-th and next of a tally column agree with a scan of the reference. */
static void probe_tally(const struct bt_tree *t, const struct ref *r, uint32_t col)
{
	uint32_t n = 0, k, seen = 0;
	int32_t at = -1, after = -1;
	struct bt_cur c;

	if (!t->pool->cols)
		return;
	for (uint32_t i = 0; i < SLOTS; i++)
		n += r->live[i] && r->owner[i] == (int)col;
	assert_int_equal(bt_tally_count(t, col), n);
	k = (uint32_t)rnd(n + 1);
	for (uint32_t i = 0; i < SLOTS; i++) {
		if (!r->live[i] || r->owner[i] != (int)col)
			continue;
		if (seen == k)
			at = (int32_t)i;
		else if (seen == k + 1)
			after = (int32_t)i;
		seen++;
	}
	assert_int_equal(bt_tally_nth(t, col, k, &c), at >= 0);
	if (at < 0)
		return;
	assert_true(bt_start(&c) == r->s[at]);
	assert_int_equal(bt_tally_next(&c, t, col), after >= 0);
	if (after >= 0)
		assert_true(bt_start(&c) == r->s[after]);
}

/* Queries at random points agree with a scan of the reference. */
static void probe(const struct bt_tree *t, const struct ref *r)
{
	struct bt_cur c;
	uint64_t k = BASE + rnd(SLOTS * 4 * UNIT + 8), min = UNIT * (1 + rnd(12)), prev_end = t->base;
	int32_t want = -1, want_gap = -1;
	uint32_t idx = 0, nth = (uint32_t)rnd(bt_count(t) + 1), at = 0;

	for (uint32_t i = 0; i < SLOTS; i++) {
		if (!r->live[i])
			continue;
		if (want < 0 && r->e[i] > k)
			want = (int32_t)i;
		if (want_gap < 0 && t->gaps && r->s[i] - prev_end >= min)
			want_gap = (int32_t)i;
		if (idx++ == nth)
			at = i;
		prev_end = r->e[i];
	}
	assert_int_equal(bt_seek_end(t, k, &c), want >= 0);
	if (want >= 0)
		assert_true(bt_start(&c) == r->s[want]);
	if (nth < bt_count(t)) {
		assert_true(bt_nth(t, nth, &c));
		assert_true(bt_start(&c) == r->s[at]);
	} else {
		assert_false(bt_nth(t, nth, &c));
	}
	if (!t->gaps)
		return;
	assert_int_equal(bt_first_gap(t, min, &c), want_gap >= 0);
	if (want_gap < 0)
		return;
	assert_true(bt_start(&c) == r->s[want_gap]);
	/* the next gap after it */
	prev_end = r->e[want_gap];
	want_gap = -1;
	for (uint32_t i = (uint32_t)((bool *)bt_val(&c) - r->live) + 1; i < SLOTS; i++) {
		if (!r->live[i])
			continue;
		if (r->s[i] - prev_end >= min) {
			want_gap = (int32_t)i;
			break;
		}
		prev_end = r->e[i];
	}
	assert_int_equal(bt_next_gap(&c, min), want_gap >= 0);
	if (want_gap >= 0)
		assert_true(bt_start(&c) == r->s[want_gap]);
}

static void step(struct bt_tree *t, struct ref *r, uint32_t fill_pct)
{
	uint32_t i = (uint32_t)rnd(SLOTS);
	uint64_t lo = BASE + (uint64_t)i * 4 * UNIT;

	if (!r->live[i] && rnd(100) < fill_pct) {
		uint64_t s = lo + rnd(3) * UNIT, e = s + UNIT * (1 + rnd(lo + 4 * UNIT - s) / UNIT);

		if (e > lo + 4 * UNIT)
			e = lo + 4 * UNIT;
		assert_int_equal(reserve(t, 1), 0);
		bt_insert(t, s, e, &r->live[i]);
		r->live[i] = true;
		r->s[i] = s;
		r->e[i] = e;
	} else if (r->live[i] && t->pool->cols && rnd(3) == 0) {
		/* the value starts or stops counting in a column */
		if (r->owner[i] >= 0) {
			bt_tally_add(t, r->s[i], (uint32_t)r->owner[i], -1);
			r->owner[i] = -1;
		} else {
			r->owner[i] = (int)rnd(COLS);
			bt_tally_add(t, r->s[i], (uint32_t)r->owner[i], 1);
		}
	} else if (r->live[i] && rnd(4) == 0 && r->e[i] - r->s[i] > UNIT) {
		uint64_t s = r->s[i] + UNIT * rnd((r->e[i] - r->s[i]) / UNIT);

		bt_resize(t, r->s[i], s, s + UNIT);
		r->s[i] = s;
		r->e[i] = s + UNIT;
	} else if (r->live[i]) {
		if (r->owner[i] >= 0) /* a value counts nothing when it leaves */
			bt_tally_add(t, r->s[i], (uint32_t)r->owner[i], -1);
		r->owner[i] = -1;
		bt_remove(t, r->s[i]);
		r->live[i] = false;
	}
}

static void run(bool gaps, uint16_t cols)
{
	struct bt_pool p;
	struct bt_tree t;

	memset(&the_ref, 0, sizeof(the_ref));
	for (uint32_t i = 0; i < SLOTS; i++)
		the_ref.owner[i] = -1;
	bt_pool_init(&p, p_alloc, p_free, NULL, cols, &ref_ops);
	bt_init(&t, &p, BASE, gaps);
	/* grow to most slots, shrink to nothing, grow again */
	for (uint32_t phase = 0; phase < 3; phase++) {
		uint32_t fill = phase == 1 ? 2 : 90;

		for (uint32_t n = 0; n < 30000; n++) {
			step(&t, &the_ref, fill);
			if (n % 97 == 0)
				compare(&t, &the_ref);
			probe(&t, &the_ref);
			if (n % 8 == 0)
				probe_tally(&t, &the_ref, (uint32_t)rnd(COLS));
		}
		compare(&t, &the_ref);
	}
	bt_fini(&t);
	bt_pool_fini(&p);
}

static void test_btree_matches_reference_with_gaps(void **s)
{
	(void)s;
	run(true, 0);
}

static void test_btree_matches_reference_without_gaps(void **s)
{
	(void)s;
	run(false, 0);
}

static void test_btree_tallies_match_reference(void **s)
{
	(void)s;
	run(true, COLS);
}

static uint64_t pooled(const struct bt_pool *p)
{
	uint64_t n = 0;

	for (uint32_t k = 0; k < BT_KINDS; k++)
		n += p->nfree[k];
	return n;
}

/* Nodes of each kind taken from the pool since *before (then *before = now) stay within need. */
static bool took_within(const struct bt_pool *p, uint32_t before[BT_KINDS], const struct bt_need *need)
{
	bool ok = true;

	for (uint32_t k = 0; k < BT_KINDS; k++) {
		ok &= before[k] - p->nfree[k] <= need->n[k];
		before[k] = p->nfree[k];
	}
	return ok;
}

/* bt_need() covers the worst case: k inserts into full nodes on every level. */
static void test_btree_reserve_bound_holds(void **s)
{
	struct bt_pool p;
	struct bt_tree t;
	uint32_t before[BT_KINDS];

	(void)s;
	bt_pool_init(&p, p_alloc, p_free, NULL, 0, NULL);
	bt_init(&t, &p, 0, true);
	for (uint32_t n = 0; n < 200000; n++) {
		struct bt_need need = need_of(&t, 1);

		assert_int_equal(bt_pool_reserve(&p, &need), 0);
		memcpy(before, p.nfree, sizeof(before));
		bt_insert(&t, 2ull * n, 2ull * n + 1, NULL);
		assert_true(took_within(&p, before, &need));
	}
	/* a batch: k inserts at once never take more than bt_need(t, k) */
	for (uint32_t k = 1; k < 5000; k = k * 3 + 1) {
		struct bt_need need = need_of(&t, k);
		uint32_t base = 1000000 + k * 10000;

		assert_int_equal(bt_pool_reserve(&p, &need), 0);
		memcpy(before, p.nfree, sizeof(before));
		for (uint32_t i = 0; i < k; i++)
			bt_insert(&t, 2ull * (base + i), 2ull * (base + i) + 1, NULL);
		assert_true(took_within(&p, before, &need));
		bt_pool_trim(&p, 0);
		assert_true(pooled(&p) == 0);
	}
	/*
	 * The worst batch for splits at the end: each append past the last
	 * key leaves a full node behind, and the next insert lands in it.
	 */
	for (uint32_t k = 2; k < 5000; k = k * 3 + 2) {
		struct bt_need need = need_of(&t, k);
		uint32_t base = 100000000 + k * 10000;

		assert_int_equal(bt_pool_reserve(&p, &need), 0);
		memcpy(before, p.nfree, sizeof(before));
		for (uint32_t i = 0; i < k; i++) {
			uint64_t key = 4ull * (base + i / 2) - (i % 2 ? 2 : 0);

			bt_insert(&t, key, key + 1, NULL);
		}
		assert_true(took_within(&p, before, &need));
		assert_int_equal(bt_check(&t), 0);
		bt_pool_trim(&p, 0);
	}
	assert_int_equal(bt_check(&t), 0);
	bt_fini(&t);
	bt_pool_fini(&p);
}

/*
 * Entries added in key order fill their nodes: BT_B * BT_B of them make a
 * tree of two levels (half-full leaves would need three).  Removing them
 * again, in order or from the middle, keeps the tree whole.
 */
static void test_btree_in_order_inserts_fill_nodes(void **s)
{
	const uint32_t n = BT_B * BT_B;
	struct bt_pool p;
	struct bt_tree t;
	struct bt_cur c;

	(void)s;
	bt_pool_init(&p, p_alloc, p_free, NULL, 0, NULL);
	bt_init(&t, &p, 0, true);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(reserve(&t, 1), 0);
		bt_insert(&t, 2ull * i, 2ull * i + 1, NULL);
	}
	assert_int_equal(t.height, 2);
	assert_int_equal(bt_check(&t), 0);
	/* one more starts a last leaf of one entry, then a root of two children */
	assert_int_equal(reserve(&t, 1), 0);
	bt_insert(&t, 2ull * n, 2ull * n + 1, NULL);
	assert_int_equal(t.height, 3);
	assert_int_equal(bt_check(&t), 0);
	assert_true(bt_nth(&t, n, &c) && bt_start(&c) == 2ull * n);
	/* removing the lone last entry drops its leaf and its parent */
	bt_remove(&t, 2ull * n);
	assert_int_equal(t.height, 2);
	assert_int_equal(bt_check(&t), 0);
	for (uint32_t i = 0; i + 1 < n; i += 3) {
		bt_remove(&t, 2ull * (n - 1 - i));
		assert_int_equal(bt_check(&t), 0);
	}
	assert_true(bt_first(&t, &c) && bt_start(&c) == 0);
	bt_fini(&t);
	bt_pool_fini(&p);
}

#define BIG 150000u

/* Values are pointers into big_col: the column the value counts in, -1: none. */
static int big_col[BIG];

static void col_tally(const void *val, void (*add)(void *, uint32_t), void *ctx)
{
	if (*(const int *)val >= 0)
		add(ctx, (uint32_t)*(const int *)val);
}

static bool col_counts(const void *val, uint32_t col)
{
	return *(const int *)val == (int)col;
}

static const struct bt_tally_ops col_ops = { .tally = col_tally, .counts = col_counts };

/* Entry i counts in column (i / 7) % COLS: the k-th entry of column col. */
static uint32_t kth_of(uint32_t col, uint32_t k)
{
	return k / 7 * 7 * COLS + col * 7 + k % 7;
}

/*
 * Tallies of every width (one byte in parents of leaves, two a level up,
 * four above) on a tree of five levels: rechecked, counted, and the n-th of
 * each column found, before and after removing a fifth of the entries.
 */
static void test_btree_tallies_on_five_levels(void **s)
{
	struct bt_pool p;
	struct bt_tree t;
	struct bt_cur c;
	uint32_t want[COLS] = { 0 };

	(void)s;
	bt_pool_init(&p, p_alloc, p_free, NULL, COLS, &col_ops);
	bt_init(&t, &p, 0, true);
	/* in descending order, so nodes split in the middle and the tree grows tall */
	for (uint32_t i = BIG; i-- > 0;) {
		uint32_t col = i / 7 % COLS;

		/* a value counts nothing when it arrives; then it starts counting */
		big_col[i] = -1;
		assert_int_equal(reserve(&t, 1), 0);
		bt_insert(&t, 2ull * i, 2ull * i + 1, &big_col[i]);
		big_col[i] = (int)col;
		bt_tally_add(&t, 2ull * i, col, 1);
		want[col]++;
	}
	assert_true(t.height >= 5);
	assert_int_equal(bt_check(&t), 0);
	for (uint32_t col = 0; col < COLS; col++) {
		assert_int_equal(bt_tally_count(&t, col), want[col]);
		for (uint32_t k = 0; k < want[col]; k += 997) {
			assert_true(bt_tally_nth(&t, col, k, &c));
			assert_true(bt_start(&c) == 2ull * kth_of(col, k));
			assert_true(bt_tally_next(&c, &t, col) == (k + 1 < want[col]));
			if (k + 1 < want[col])
				assert_true(bt_start(&c) == 2ull * kth_of(col, k + 1));
		}
		assert_false(bt_tally_nth(&t, col, want[col], &c));
	}
	for (uint32_t i = 0; i < BIG; i += 5) {
		bt_tally_add(&t, 2ull * i, (uint32_t)big_col[i], -1);
		big_col[i] = -1;
		bt_remove(&t, 2ull * i);
		want[i / 7 % COLS]--;
	}
	assert_int_equal(bt_check(&t), 0);
	for (uint32_t col = 0; col < COLS; col++) {
		uint32_t k = 0;

		assert_int_equal(bt_tally_count(&t, col), want[col]);
		for (bool ok = bt_tally_nth(&t, col, 0, &c); ok; ok = bt_tally_next(&c, &t, col))
			assert_true(col_counts(bt_val(&c), col) && k++ < want[col]);
		assert_int_equal(k, want[col]);
	}
	bt_fini(&t);
	bt_pool_fini(&p);
}

/* Subtrees a and b are alike node for node: shape, keys, ends, values, gaps, counts, tallies. */
static void same_nodes(const struct bt_node *a, const struct bt_node *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->lvl, b->lvl);
	assert_int_equal(a->leaf, b->leaf);
	assert_int_equal(a->cols, b->cols);
	assert_memory_equal(a->key, b->key, a->n * sizeof(a->key[0]));
	if (a->leaf) {
		assert_memory_equal(a->l.end, b->l.end, a->n * sizeof(a->l.end[0]));
		assert_memory_equal(a->l.val, b->l.val, a->n * sizeof(a->l.val[0]));
		assert_true(a->l.lo == b->l.lo);
		return;
	}
	assert_memory_equal(a->in.cnt, b->in.cnt, a->n * sizeof(a->in.cnt[0]));
	assert_memory_equal(a->in.maxgap, b->in.maxgap, a->n * sizeof(a->in.maxgap[0]));
	assert_memory_equal(bt_rows(a), bt_rows(b), (size_t)a->n * a->cols * bt_tw(a->lvl));
	for (uint32_t j = 0; j < a->n; j++)
		same_nodes(a->in.child[j], b->in.child[j]);
}

static uint64_t pool_nodes(const struct bt_pool *p)
{
	uint64_t n = 0;

	for (uint32_t k = 0; k < BT_KINDS; k++)
		n += p->nfree[k];
	return n;
}

/*
 * bt_build() of k sorted ranges (random gaps and lengths, values counting
 * in random columns or none, given by the entry or, for a fifth of them,
 * left to the ops) gives, node for node, the tree that k ascending
 * bt_insert() and bt_tally_add() calls give; it takes exactly
 * bt_build_need() nodes, passes bt_check(), and later inserts, removals and
 * queries work on it as on any other.
 */
static void test_btree_build_equals_ascending_inserts(void **s)
{
	static const uint32_t sizes[] = { 0, 1, 31, 32, 33, 1023, 1024, 1025, 32 * 32 + 1, 32768, 32769, BIG };
	static struct bt_entry e[BIG];
	static int none = -1;
	struct bt_pool p;

	(void)s;
	bt_pool_init(&p, p_alloc, p_free, NULL, COLS, &col_ops);
	for (uint32_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		uint32_t k = sizes[z];
		uint64_t at = BASE + rnd(4) * UNIT;
		struct bt_need need = { 0 };
		struct bt_tree a, b;
		struct bt_cur c;
		uint64_t before;

		for (uint32_t i = 0; i < k; i++) {
			uint64_t len = (1 + rnd(3)) * UNIT;

			big_col[i] = (int)rnd(COLS + 1) - 1;
			e[i] = (struct bt_entry){ .start = at, .end = at + len, .val = &big_col[i],
						  .col = big_col[i] < 0 ? BT_COL_NONE : (uint32_t)big_col[i] };
			if (rnd(5) == 0)
				e[i].col = BT_COL_OPS; /* the ops say, from the value */
			at += len + rnd(3) * UNIT;
		}
		bt_init(&a, &p, BASE, true);
		for (uint32_t i = 0; i < k; i++) {
			int col = big_col[i];

			big_col[i] = -1;
			assert_int_equal(reserve(&a, 1), 0);
			bt_insert(&a, e[i].start, e[i].end, e[i].val);
			big_col[i] = col;
			if (col >= 0)
				bt_tally_add(&a, e[i].start, (uint32_t)col, 1);
		}
		bt_pool_trim(&p, 0);
		bt_init(&b, &p, BASE, true);
		bt_build_need(k, &need);
		assert_int_equal(bt_pool_reserve(&p, &need), 0);
		before = pool_nodes(&p);
		bt_build(&b, e, k);
		assert_true(before - pool_nodes(&p) == need.n[0] + need.n[1] + need.n[2] + need.n[3]);
		assert_int_equal(pool_nodes(&p), 0);
		assert_int_equal(bt_check(&b), 0);
		assert_int_equal(b.height, a.height);
		assert_int_equal(bt_count(&b), k);
		if (k)
			same_nodes(a.root, b.root);
		else
			assert_null(b.root);
		bt_fini(&a);
		/* It is a tree like any other: a removal, an insert in a gap and at the end, queries. */
		if (k > 2) {
			uint32_t mid = k / 2;
			int col = big_col[mid];

			/* a value stops counting before it goes, starts after it arrives */
			if (col >= 0)
				bt_tally_add(&b, e[mid].start, (uint32_t)col, -1);
			bt_remove(&b, e[mid].start);
			assert_int_equal(reserve(&b, 2), 0);
			big_col[mid] = -1;
			bt_insert(&b, e[mid].start, e[mid].end, e[mid].val);
			big_col[mid] = col;
			if (col >= 0)
				bt_tally_add(&b, e[mid].start, (uint32_t)col, 1);
			bt_insert(&b, at, at + UNIT, &none);
			assert_int_equal(bt_check(&b), 0);
			assert_true(bt_seek(&b, e[mid].start, &c) && bt_val(&c) == e[mid].val);
			assert_true(bt_nth(&b, k, &c) && bt_start(&c) == at);
		}
		bt_fini(&b);
		bt_pool_trim(&p, 0);
		/* an entry whose col says other than its value: bt_check() recounts from the values */
		if (k) {
			uint32_t w = k / 3, keep = e[w].col;

			e[w].col = big_col[w] < 0 ? 0 : BT_COL_NONE;
			bt_init(&b, &p, BASE, true);
			need = (struct bt_need){ 0 };
			bt_build_need(k, &need);
			assert_int_equal(bt_pool_reserve(&p, &need), 0);
			bt_build(&b, e, k);
			assert_int_equal(bt_check(&b), k > BT_B ? -1 : 0); /* one leaf: no row to hold it */
			e[w].col = keep;
			bt_fini(&b);
			bt_pool_trim(&p, 0);
		}
	}
	bt_pool_fini(&p);
}

struct visits {
	uint32_t n, stop_at;
	uint64_t prev_end;
	bool in_order;
};

static int count_visit(void *ctx, uint64_t start, uint64_t end, void *val)
{
	struct visits *v = ctx;

	v->in_order &= start >= v->prev_end && end > start && val == &big_col[v->n];
	v->prev_end = end;
	return ++v->n == v->stop_at ? 1 : 0;
}

/* bt_check_visit() visits every entry once, in order, and a visit that says stop fails the check. */
static void test_btree_check_visits_every_entry_in_order(void **s)
{
	const uint32_t k = 5000;
	struct bt_pool p;
	struct bt_tree t;
	struct visits v = { .in_order = true };

	(void)s;
	bt_pool_init(&p, p_alloc, p_free, NULL, COLS, &col_ops);
	bt_init(&t, &p, 0, true);
	for (uint32_t i = 0; i < k; i++) {
		big_col[i] = -1;
		assert_int_equal(reserve(&t, 1), 0);
		bt_insert(&t, 3ull * i, 3ull * i + 2, &big_col[i]);
	}
	assert_int_equal(bt_check_visit(&t, count_visit, &v), 0);
	assert_int_equal(v.n, k);
	assert_true(v.in_order);
	v = (struct visits){ .in_order = true, .stop_at = 1234 };
	assert_int_equal(bt_check_visit(&t, count_visit, &v), -1);
	assert_int_equal(v.n, 1234);
	bt_fini(&t);
	bt_pool_fini(&p);
}

/*
 * A leaf does not store gaps (derived from the ends), so it is 24 bytes an
 * entry plus a header and lo: 64 Ki ranges inserted in order (full leaves)
 * take at most 26 bytes each with their parents, where stored gaps took 33;
 * first-fit search still finds the gaps that removals here and there open.
 */
static void test_btree_leaves_take_24_bytes_an_entry(void **s)
{
	const uint32_t n = 65536;
	struct bt_pool p;
	struct bt_tree t;
	struct bt_cur c;

	(void)s;
	counted_bytes = 0;
	bt_pool_init(&p, p_alloc_counted, p_free_counted, NULL, 0, NULL);
	bt_init(&t, &p, 0, true);
	for (uint32_t i = 0; i < n; i++) {
		struct bt_need need = need_of(&t, 1);

		assert_int_equal(bt_pool_reserve(&p, &need), 0);
		bt_insert(&t, 4ull * i + 1, 4ull * i + 4, NULL);
	}
	bt_pool_trim(&p, 0);
	assert_int_equal(bt_check(&t), 0);
	assert_true(counted_bytes <= 26ull * n);
	/* gaps are 1; removing the range before k leaves k a gap of 5 */
	for (uint32_t k = 1000; k < n; k += 7919)
		bt_remove(&t, 4ull * (k - 1) + 1);
	assert_int_equal(bt_check(&t), 0);
	assert_true(bt_first_gap(&t, 2, &c));
	assert_true(bt_start(&c) == 4ull * 1000 + 1 && bt_gap(&c) == 5);
	assert_true(bt_next_gap(&c, 2));
	assert_true(bt_start(&c) == 4ull * (1000 + 7919) + 1);
	bt_fini(&t);
	bt_pool_fini(&p);
	assert_int_equal(counted_bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_btree_matches_reference_with_gaps),
		cmocka_unit_test(test_btree_matches_reference_without_gaps),
		cmocka_unit_test(test_btree_tallies_match_reference),
		cmocka_unit_test(test_btree_reserve_bound_holds),
		cmocka_unit_test(test_btree_tallies_on_five_levels),
		cmocka_unit_test(test_btree_in_order_inserts_fill_nodes),
		cmocka_unit_test(test_btree_leaves_take_24_bytes_an_entry),
		cmocka_unit_test(test_btree_build_equals_ascending_inserts),
		cmocka_unit_test(test_btree_check_visits_every_entry_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
