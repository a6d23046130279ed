/* SPDX-License-Identifier: MIT */
/*
 * test-scale.c - the model with thousands of extents, so that its B+tree
 * indexes are several levels deep: accepted lists page correctly, first-fit
 * finds the lowest free range, splits and releases keep every index in step
 * (checked against a per-block reference map and core_check_invariants()).
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define BLK (64ull << 10)
#define NBLK 16384u /* region 0: 1 GiB of 64 KiB blocks */

static uint8_t map[NBLK]; /* 0 free, 1 accepted by host 0 */
static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static void small_blocks(struct cxldcd_dev_cfg *c)
{
	c->nr_regions = 1;
	c->regions[0].len = c->regions[0].decode_len = NBLK * BLK;
	c->regions[0].block_size = BLK;
	c->regions[0].supported_block_mask = BLK;
	c->max_extents = 100000;
	c->evlog_depth = 4096;
}

/* Host 0's accepted list, paged 97 at a time, equals the runs of the map. */
static void compare(struct tenv *e)
{
	static struct cxldcd_extent x[97];
	uint32_t n, got = 0, b = 0;

	assert_invariants(e->dev);
	for (uint32_t start = 0;; start += n) {
		assert_int_equal(core_extent_list(e->dev, 0, start, 97, x, &n), CXLDCD_RC_SUCCESS);
		for (uint32_t i = 0; i < n; i++, got++) {
			while (b < NBLK && !map[b])
				b++;
			assert_true(b < NBLK);
			assert_true(x[i].dpa == b * BLK);
			for (uint64_t k = 0; k < x[i].len / BLK; k++)
				assert_int_equal(map[b++], 1);
		}
		if (!n)
			break;
	}
	assert_int_equal(got, core_extent_count(e->dev, 0));
	while (b < NBLK)
		assert_int_equal(map[b++], 0);
}

/* Accept n single blocks at random free even indexes, in batches of up to 64. */
static void add_random(struct tenv *e, uint32_t n)
{
	static struct cxldcd_extent x[64];

	while (n) {
		uint32_t k = 0;

		while (k < 64 && k < n) {
			uint32_t b = 2 * (uint32_t)rnd(NBLK / 2);
			bool dup = map[b];

			for (uint32_t j = 0; j < k; j++)
				dup = dup || x[j].dpa == b * BLK;
			if (dup)
				continue;
			x[k++] = (struct cxldcd_extent){ .dpa = b * BLK, .len = BLK };
		}
		assert_int_equal(add_ext(e, 0, x, k), CXLDCD_RC_SUCCESS);
		assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
		for (uint32_t j = 0; j < k; j++)
			map[x[j].dpa / BLK] = 1;
		n -= k;
		drain(e, 0);
		drain(e, CORE_OWNER_FM);
	}
}

/* A free add of len bytes gets exactly the lowest free blocks (first fit). */
static void free_add_is_first_fit(struct tenv *e, uint32_t blocks)
{
	struct core_add_req req = { .host = 0, .policy = CXLDCD_ADD_FREE, .length = blocks * BLK };
	static struct cxldcd_extent want[NBLK];
	uint32_t nw = 0, left = blocks, n;

	for (uint32_t b = 0; b < NBLK && left; b++) {
		if (map[b])
			continue;
		if (nw && want[nw - 1].dpa + want[nw - 1].len == b * BLK)
			want[nw - 1].len += BLK;
		else
			want[nw++] = (struct cxldcd_extent){ .dpa = b * BLK, .len = BLK };
		left--;
	}
	assert_int_equal(core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_pending_get(e->dev, 0, 0, &(struct core_group_info){ 0 }), 0);
	{
		static struct cxldcd_extent got[NBLK];

		assert_int_equal(core_pending_extents(e->dev, 0, 0, 0, NBLK, got, &n), CXLDCD_RC_SUCCESS);
		assert_int_equal(n, nw);
		for (uint32_t i = 0; i < n; i++)
			assert_true(got[i].dpa == want[i].dpa && got[i].len == want[i].len);
	}
	assert_int_equal(reject(e, 0), CXLDCD_RC_SUCCESS);
	drain(e, 0);
}

/* Release n random accepted blocks, some as the middle of a run (a split). */
static void release_random(struct tenv *e, uint32_t n)
{
	while (n) {
		uint32_t b = (uint32_t)rnd(NBLK);

		if (!map[b])
			continue;
		assert_int_equal(rel_dc(e, 0, b * BLK, BLK), CXLDCD_RC_SUCCESS);
		map[b] = 0;
		n--;
		if (n % 500 == 0) {
			drain(e, CORE_OWNER_FM);
			compare(e);
		}
	}
	drain(e, CORE_OWNER_FM);
}

static void test_thousands_of_extents_keep_indexes_consistent(void **s)
{
	struct tenv *e = tenv_new(small_blocks);

	(void)s;
	memset(map, 0, sizeof(map));
	add_random(e, 3000);
	compare(e);
	free_add_is_first_fit(e, 1);
	free_add_is_first_fit(e, 700);
	/* a long accepted run, then holes punched into it (splits) */
	{
		uint32_t b0 = 0;
		struct cxldcd_extent x;

		while (map[b0] || map[b0 + 1] || map[b0 + 2] || map[b0 + 3])
			b0++;
		x = (struct cxldcd_extent){ .dpa = b0 * BLK, .len = 3 * BLK };
		assert_int_equal(add_ext(e, 0, &x, 1), CXLDCD_RC_SUCCESS);
		assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
		map[b0] = map[b0 + 1] = map[b0 + 2] = 1;
		drain(e, 0);
		drain(e, CORE_OWNER_FM);
		compare(e);
	}
	release_random(e, 2000);
	compare(e);
	free_add_is_first_fit(e, 3000);
	add_random(e, 2500);
	compare(e);
	release_random(e, core_extent_count(e->dev, 0) - 10);
	compare(e);
	tenv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thousands_of_extents_keep_indexes_consistent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
