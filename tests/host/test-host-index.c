/* SPDX-License-Identifier: MIT */
/*
 * test-host-index.c - the indexes behind libcxldcd-host's per-operation
 * paths, each against a naive reference over random operations:
 *  - rindex (disjoint DPA ranges, AVL): insert (refused when it meets a
 *    held range), remove, exact find, overlap walks (including empty and
 *    wrapping queries, with the library's wrapping overlap test), and the
 *    tree's shape (order, parent links, heights, balance) after every step;
 *  - htab: insert, remove, lookup of every node with a key, through growth;
 *  - events_tag_groups: the split of a chain into tag groups, in the order
 *    the old quadratic walk produced;
 *  - group_live: a group's liveness, derived from its extents' states,
 *    against a per-block reference through splits and releases, and the
 *    DPA index, which a revoked piece leaves (an offer may meet it);
 *  - groups_coalesce: pieces merge only when one mmap can map them alike.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/host-int.h"

/* xorshift64*: deterministic, so a failure replays */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

static bool meets(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* ------------------------------------------------------------ rindex */

#define NODES 512

struct ref {
	struct rnode node[NODES];
	bool in[NODES];
	struct rindex ix;
};

/* Check the subtree's links, order, heights and balance; return its height. */
static int check_subtree(const struct rnode *n, const struct rnode *parent, size_t *count)
{
	int l, r;

	if (!n)
		return 0;
	assert_ptr_equal(n->parent, parent);
	if (n->left)
		assert_true(n->left->start + n->left->len <= n->start);
	if (n->right)
		assert_true(n->start + n->len <= n->right->start);
	l = check_subtree(n->left, n, count);
	r = check_subtree(n->right, n, count);
	assert_int_equal(n->height, (l > r ? l : r) + 1);
	assert_true(l - r <= 1 && r - l <= 1);
	(*count)++;
	return n->height;
}

static void check_shape(const struct ref *rf)
{
	size_t count = 0, walked = 0;
	const struct rnode *prev = NULL;

	check_subtree(rf->ix.root, NULL, &count);
	assert_int_equal(count, rf->ix.count);
	for (const struct rnode *n = rindex_first(&rf->ix); n; n = rindex_next(n)) {
		if (prev)
			assert_true(prev->start + prev->len <= n->start);
		prev = n;
		walked++;
	}
	assert_int_equal(walked, count);
}

static bool ref_meets_any(const struct ref *rf, uint64_t start, uint64_t len)
{
	for (int i = 0; i < NODES; i++)
		if (rf->in[i] && meets(rf->node[i].start, rf->node[i].len, start, len))
			return true;
	return false;
}

/* The walk from rindex_first_overlap() yields exactly the held ranges that meet the query. */
static void check_query(const struct ref *rf, uint64_t start, uint64_t len)
{
	bool seen[NODES] = { false };
	uint64_t last = 0;
	bool first = true;

	for (struct rnode *n = rindex_first_overlap(&rf->ix, start, len); n;
	     n = rindex_next_overlap(n, start, len)) {
		int i = (int)(n - rf->node);

		assert_true(i >= 0 && i < NODES && rf->in[i]);
		assert_true(meets(n->start, n->len, start, len));
		assert_true(first || n->start > last);
		seen[i] = true;
		last = n->start;
		first = false;
	}
	for (int i = 0; i < NODES; i++)
		if (rf->in[i])
			assert_int_equal(seen[i], meets(rf->node[i].start, rf->node[i].len, start, len));
}

static void random_range(uint64_t *start, uint64_t *len, uint64_t space)
{
	*start = rnd_below(space);
	*len = 1 + rnd_below(space / 16);
}

/* One random step: mostly inserts and removes, always a query and a find. */
static void rindex_step(struct ref *rf, uint64_t space)
{
	int i = (int)rnd_below(NODES);
	uint64_t qs, ql;

	if (rf->in[i] && rnd_below(2)) {
		rindex_remove(&rf->ix, &rf->node[i]);
		rf->in[i] = false;
	} else if (!rf->in[i]) {
		uint64_t s, l;
		int rc;

		random_range(&s, &l, space);
		rf->node[i].start = s;
		rf->node[i].len = l;
		rc = rindex_insert(&rf->ix, &rf->node[i]);
		assert_int_equal(rc, ref_meets_any(rf, s, l) ? -EEXIST : 0);
		rf->in[i] = rc == 0;
	}
	random_range(&qs, &ql, space);
	if (rnd_below(8) == 0)
		ql = 0;
	if (rnd_below(16) == 0) { /* an end that wraps */
		qs = UINT64_MAX - rnd_below(space);
		ql = 2 * space;
	}
	check_query(rf, qs, ql);
	i = (int)rnd_below(NODES);
	if (rf->in[i])
		assert_ptr_equal(rindex_find(&rf->ix, rf->node[i].start), &rf->node[i]);
	check_shape(rf);
}

static void test_rindex_matches_a_linear_scan_over_random_operations(void **state)
{
	static const uint64_t spaces[] = { 4096, 1u << 20, 1ull << 40 };
	struct ref *rf = calloc(1, sizeof(*rf));

	(void)state;
	assert_non_null(rf);
	for (size_t s = 0; s < sizeof(spaces) / sizeof(spaces[0]); s++) {
		memset(rf, 0, sizeof(*rf));
		rindex_init(&rf->ix);
		for (int step = 0; step < 20000; step++)
			rindex_step(rf, spaces[s]);
	}
	free(rf);
}

static void test_rindex_sequential_fill_and_drain_stays_balanced(void **state)
{
	struct ref *rf = calloc(1, sizeof(*rf));

	(void)state;
	assert_non_null(rf);
	rindex_init(&rf->ix);
	for (int i = 0; i < NODES; i++) {
		rf->node[i].start = (uint64_t)i * 0x200000;
		rf->node[i].len = 0x200000;
		assert_int_equal(rindex_insert(&rf->ix, &rf->node[i]), 0);
		rf->in[i] = true;
	}
	check_shape(rf);
	assert_true(rf->ix.root->height <= 14); /* AVL: < 1.44 log2(n + 2) */
	check_query(rf, 0x300000, 0x400000);
	for (int i = 0; i < NODES; i += 2) {
		rindex_remove(&rf->ix, &rf->node[i]);
		rf->in[i] = false;
	}
	check_shape(rf);
	check_query(rf, 0, UINT64_MAX);
	free(rf);
}

static void test_rindex_refuses_empty_and_wrapping_ranges(void **state)
{
	struct rindex ix;
	struct rnode a = { .start = 10, .len = 0 }, b = { .start = UINT64_MAX - 1, .len = 4 };
	struct rnode c = { .start = UINT64_MAX - 8, .len = 8 };

	(void)state;
	rindex_init(&ix);
	assert_int_equal(rindex_insert(&ix, &a), -EINVAL);
	assert_int_equal(rindex_insert(&ix, &b), -EINVAL);
	assert_int_equal(rindex_insert(&ix, &c), 0);
	/* a query whose end wraps meets what the wrapping test says: nothing here */
	assert_false(meets(c.start, c.len, UINT64_MAX - 4, 8));
	assert_null(rindex_first_overlap(&ix, UINT64_MAX - 4, 8));
	assert_ptr_equal(rindex_first_overlap(&ix, UINT64_MAX - 4, 2), &c);
	/* an empty query meets a range strictly containing its point */
	assert_ptr_equal(rindex_first_overlap(&ix, UINT64_MAX - 4, 0), &c);
	assert_null(rindex_first_overlap(&ix, UINT64_MAX - 8, 0));
	rindex_remove(&ix, &c);
	assert_null(ix.root);
}

/* ------------------------------------------------------------ htab */

struct hitem {
	struct hnode hn;
	uint64_t key;
	bool in;
};

static void check_key(const struct htab *t, const struct hitem *it, int n, uint64_t key)
{
	int want = 0, got = 0;

	for (int i = 0; i < n; i++)
		want += it[i].in && it[i].key == key;
	for (struct hnode *h = htab_first(t, key); h; h = htab_next(h)) {
		struct hitem *x = hnode_entry(h, struct hitem, hn);

		assert_true(x->in);
		assert_int_equal(x->key, key);
		got++;
	}
	assert_int_equal(got, want);
}

static void test_htab_matches_a_linear_scan_over_random_operations(void **state)
{
	enum { N = 2048 };
	struct hitem *it = calloc(N, sizeof(*it));
	struct htab t;
	size_t in = 0;

	(void)state;
	assert_non_null(it);
	htab_init(&t);
	for (int step = 0; step < 40000; step++) {
		int i = (int)rnd_below(N);

		if (it[i].in) {
			htab_remove(&t, &it[i].hn);
			it[i].in = false;
			in--;
		} else {
			it[i].key = rnd_below(N / 4); /* many keys shared: chains */
			assert_int_equal(htab_insert(&t, &it[i].hn, it[i].key), 0);
			it[i].in = true;
			in++;
		}
		assert_int_equal(t.count, in);
		check_key(&t, it, N, rnd_below(N / 4));
	}
	for (uint64_t k = 0; k < N / 4; k++)
		check_key(&t, it, N, k);
	htab_fini(&t);
	free(it);
}

/* ------------------------------------------------------------ tag groups */

/* The old walk: for each extent not yet used, it and every later one with its non-null tag. */
static uint32_t naive_groups(const struct cxldcd_extent *e, uint32_t n, uint32_t *order,
			     uint32_t *start)
{
	bool used[64] = { false };
	uint32_t ng = 0, k = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (used[i])
			continue;
		start[ng++] = k;
		for (uint32_t j = i; j < n; j++) {
			if (used[j] || (j != i && (tag_is_null(e[i].tag) ||
						   memcmp(e[i].tag, e[j].tag, CXLDCD_TAG_SIZE))))
				continue;
			used[j] = true;
			order[k++] = j;
		}
	}
	start[ng] = n;
	return ng;
}

static void test_tag_groups_match_the_quadratic_walk(void **state)
{
	struct cxldcd_extent e[64];
	uint32_t order[64], start[65], ro[64], rs[65];

	(void)state;
	for (int round = 0; round < 2000; round++) {
		uint32_t n = (uint32_t)rnd_below(64) + 1, ntags = (uint32_t)rnd_below(6) + 1;
		int ng;

		memset(e, 0, sizeof(e));
		for (uint32_t i = 0; i < n; i++) {
			uint32_t t = (uint32_t)rnd_below(ntags + 1); /* 0: untagged */

			e[i].dpa = i;
			if (t)
				e[i].tag[t % CXLDCD_TAG_SIZE] = (uint8_t)t;
		}
		ng = events_tag_groups(e, n, order, start);
		assert_int_equal(ng, (int)naive_groups(e, n, ro, rs));
		assert_memory_equal(order, ro, n * sizeof(*order));
		assert_memory_equal(start, rs, ((size_t)ng + 1) * sizeof(*start));
	}
}

/*
 * group_live() against a per-block reference, through forced releases of
 * random ranges (which split extents) and extents going release-pending
 * then released: a group is live while one of its blocks is accepted or
 * pending.  The group's extents keep tiling what it was given.
 */
static void test_group_live_follows_revocations_and_releases(void **state)
{
	enum { NX = 16, BLK = 4, NB = NX * BLK };

	(void)state;
	for (int round = 0; round < 200; round++) {
		struct cxldcd_host *h = calloc(1, sizeof(*h));
		struct cxldcd_extent e[NX];
		bool live[NB], revoked[NB];
		struct group *g;

		assert_non_null(h);
		groups_init(h);
		memset(e, 0, sizeof(e));
		for (uint32_t i = 0; i < NX; i++) {
			e[i].dpa = 0x1000 + i * BLK;
			e[i].len = BLK;
		}
		for (int b = 0; b < NB; b++) {
			live[b] = true;
			revoked[b] = false;
		}
		g = group_new(h, e, NX, 0);
		assert_non_null(g);
		for (int step = 0; step < 40; step++) {
			bool any = false;
			uint64_t covered = 0;

			if (rnd_below(2)) {
				uint64_t a = rnd_below(NB), len = rnd_below(NB - a) + 1;

				assert_int_equal(group_revoke_range(h, g, 0x1000 + a, len), 0);
				for (uint64_t b = a; b < a + len; b++) {
					revoked[b] |= live[b];
					live[b] = false;
				}
			} else {
				uint32_t i = (uint32_t)rnd_below(g->nr);
				struct ext_node *x = &g->xn[i];

				if (x->st == X_ACCEPTED) {
					x->st = X_RELEASE_PENDING;
				} else if (x->st == X_RELEASE_PENDING) {
					x->st = X_RELEASED;
					for (uint64_t b = 0; b < g->ext[i].len; b++)
						live[g->ext[i].dpa - 0x1000 + b] = false;
				}
			}
			for (int b = 0; b < NB; b++)
				any |= live[b];
			for (uint32_t i = 0; i < g->nr; i++) {
				assert_int_equal(g->ext[i].dpa, 0x1000 + covered);
				covered += g->ext[i].len;
			}
			assert_int_equal(covered, NB);
			assert_int_equal(group_live(g), any);
			/* held (live or released) capacity is indexed; revoked is the device's again */
			for (int b = 0; b < NB; b++)
				assert_int_equal(group_overlaps_any(h, 0x1000 + (uint64_t)b, 1), !revoked[b]);
		}
		/* the forced release's record finds the group once, and its pieces leave */
		{
			struct group **hits;
			ssize_t k = groups_take_revoked(h, 0x1000, NB, &hits);
			bool any_revoked = false;

			for (int b = 0; b < NB; b++)
				any_revoked |= revoked[b];
			assert_int_equal(k, any_revoked ? 1 : 0);
			if (k)
				assert_ptr_equal(hits[0], g);
			free(hits);
			assert_int_equal(h->revoked.count, 0);
		}
		groups_fini(h);
		free(h);
	}
}

/*
 * Pieces merge into one mmap only when they continue each other in the
 * group and in one file with the same access and pause state: a piece a
 * move paused is mapped read-only, its neighbour not.  Before, the pause
 * state was ignored and the first piece's decided for all.
 */
static void test_coalesce_keeps_paused_pieces_apart(void **state)
{
	struct gseg s[4] = {
		{ .group_offset = 0, .len = 0x1000, .file_offset = 0x10000, .fd = 5, .writable = true },
		{ .group_offset = 0x1000, .len = 0x1000, .file_offset = 0x11000, .fd = 5,
		  .writable = true, .paused = true },
		{ .group_offset = 0x2000, .len = 0x2000, .file_offset = 0x12000, .fd = 5,
		  .writable = true },
		{ .group_offset = 0x4000, .len = 0x1000, .file_offset = 0x14000, .fd = 5,
		  .writable = true },
	};

	(void)state;
	assert_int_equal(groups_coalesce(s, 4), 3);
	assert_false(s[0].paused);
	assert_int_equal(s[0].len, 0x1000);
	assert_true(s[1].paused);
	assert_int_equal(s[1].group_offset, 0x1000);
	assert_int_equal(s[1].len, 0x1000);
	assert_false(s[2].paused);
	assert_int_equal(s[2].group_offset, 0x2000);
	assert_int_equal(s[2].len, 0x3000);
	assert_int_equal(s[2].file_offset, 0x12000);
}

/* The public tag helpers: 8-4-4-4-12 hex digits, either case; lower case out. */
static void test_tag_parse_and_format_round_trip(void **state)
{
	static const uint8_t want[16] = { 0x5b, 0xe1, 0x3b, 0xce, 0xae, 0x34, 0x4a, 0x77,
					  0xb6, 0xc3, 0x16, 0xdf, 0x97, 0x5f, 0xcf, 0x1a };
	static const char *const bad[] = {
		"", "not-a-uuid", "5be13bceae344a77b6c316df975fcf1a",
		"5be13bce-ae34-4a77-b6c3-16df975fcf1", "5be13bce-ae34-4a77-b6c3-16df975fcf1aa",
		"5be13bce-ae34-4a77-b6c3_16df975fcf1a", "5be13bcg-ae34-4a77-b6c3-16df975fcf1a",
	};
	uint8_t tag[16];
	char out[37];

	(void)state;
	assert_int_equal(cxldcd_tag_parse("5BE13BCE-AE34-4A77-B6C3-16DF975FCF1A", tag), 0);
	assert_memory_equal(tag, want, 16);
	cxldcd_tag_format(tag, out);
	assert_string_equal(out, "5be13bce-ae34-4a77-b6c3-16df975fcf1a");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cxldcd_tag_parse(bad[i], tag), -EINVAL);
	assert_int_equal(cxldcd_tag_parse(NULL, tag), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rindex_matches_a_linear_scan_over_random_operations),
		cmocka_unit_test(test_rindex_sequential_fill_and_drain_stays_balanced),
		cmocka_unit_test(test_rindex_refuses_empty_and_wrapping_ranges),
		cmocka_unit_test(test_htab_matches_a_linear_scan_over_random_operations),
		cmocka_unit_test(test_tag_groups_match_the_quadratic_walk),
		cmocka_unit_test(test_group_live_follows_revocations_and_releases),
		cmocka_unit_test(test_coalesce_keeps_paused_pieces_apart),
		cmocka_unit_test(test_tag_parse_and_format_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
