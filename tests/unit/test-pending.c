/* SPDX-License-Identifier: MIT */
/*
 * test-pending.c - a host's pending extents numbered across its groups
 * (core_pending_extent_total(), core_pending_locate()): against a reference
 * built from the groups one by one (core_pending_get()) after every step of
 * a random run of offers, answers of the oldest group and timeouts that
 * remove groups from the middle of the queue; and an allocation failure
 * while the queue grows leaves the numbering as it was.
 */
#include <errno.h>
#include <stdlib.h>

#include "common.h"

#define STEPS 1500
#define MAXG 1024

static void tweak(struct cxldcd_dev_cfg *c)
{
	c->pending_timeout_ms = 1;
	c->evlog_depth = 4096;
	c->max_extents = 100000;
}

/* Every position maps to the group and place the reference says; one past the end does not. */
static void check(struct tenv *e, uint16_t host)
{
	uint32_t n = core_pending_count(e->dev, host), idx, off;
	uint64_t pos = 0;

	for (uint32_t g = 0; g < n; g++) {
		struct core_group_info gi;

		assert_int_equal(core_pending_get(e->dev, host, g, &gi), 0);
		for (uint32_t k = 0; k < gi.nr_extents; k++, pos++) {
			assert_int_equal(core_pending_locate(e->dev, host, pos, &idx, &off), 0);
			assert_int_equal(idx, g);
			assert_int_equal(off, k);
		}
	}
	assert_int_equal(core_pending_extent_total(e->dev, host), pos);
	assert_int_equal(core_pending_locate(e->dev, host, pos, &idx, &off), -ENOENT);
	assert_int_equal(core_pending_locate(e->dev, host, UINT64_MAX, &idx, &off), -ENOENT);
}

/* The ids of the host's queue, oldest first. */
static uint32_t ids(struct tenv *e, uint16_t host, uint64_t *out)
{
	uint32_t n = core_pending_count(e->dev, host);

	for (uint32_t g = 0; g < n; g++) {
		struct core_group_info gi;

		assert_int_equal(core_pending_get(e->dev, host, g, &gi), 0);
		out[g] = gi.id;
	}
	return n;
}

static void test_locate_matches_the_groups_through_a_random_run(void **state)
{
	struct tenv *e = tenv_new(tweak);
	static uint64_t before[MAXG], after[MAXG];
	uint64_t dpa = 0;
	unsigned middle = 0, pops = 0;

	(void)state;
	srand(9);
	check(e, 0);
	for (int step = 0; step < STEPS; step++) {
		int op = rand() % 10;

		if (op < 7 && core_pending_count(e->dev, 0) < MAXG) {
			struct cxldcd_extent x[4] = { { 0 } };
			uint32_t n = 1 + (uint32_t)(rand() % 4);

			for (uint32_t i = 0; i < n; i++) {
				x[i].dpa = dpa;
				x[i].len = 2 * MiB;
				dpa = (dpa + 4 * MiB) % (8 * GiB);
			}
			/* offer times out of order: timeouts then remove groups anywhere */
			core_dev_set_time(e->dev, 1000000000ull + (uint64_t)(rand() % 1000) * 1000000ull);
			if (add_ext(e, 0, x, n) != CXLDCD_RC_SUCCESS)
				dpa = (dpa + 64 * MiB) % (8 * GiB); /* still held: go on elsewhere */
		} else if (op < 9) {
			if (core_pending_count(e->dev, 0)) {
				assert_int_equal(reject(e, 0), CXLDCD_RC_SUCCESS);
				pops++;
			}
		} else {
			uint32_t nb = ids(e, 0, before), na, j = 0;

			/* expires the groups offered more than 1 ms before now */
			core_tick(e->dev, 1000000000ull + (uint64_t)(rand() % 1000) * 1000000ull);
			na = ids(e, 0, after);
			/* a removed group with a kept one before it: removed from the middle */
			for (uint32_t i = 0; i < nb; i++) {
				if (j < na && after[j] == before[i])
					j++;
				else if (j > 0)
					middle++;
			}
		}
		drain(e, 0);
		check(e, 0);
		assert_invariants(e->dev);
	}
	assert_true(middle > 10);
	assert_true(pops > 10);
	tenv_free(e);
}

/* The 9th group makes the queue grow: each allocation of that add failing in turn changes nothing. */
static void test_growth_failure_keeps_the_numbering(void **state)
{
	(void)state;
	for (uint64_t fail = 1;; fail++) {
		struct tenv *e = tenv_new(tweak);
		struct cxldcd_extent x[2] = { { .dpa = 64 * MiB, .len = 2 * MiB },
					      { .dpa = 68 * MiB, .len = 2 * MiB } };
		uint64_t fp;
		enum cxldcd_rc rc;

		for (uint32_t g = 0; g < 8; g++)
			assert_int_equal(add1(e, 0, g * 4 * MiB, 2 * MiB, 0), CXLDCD_RC_SUCCESS);
		assert_int_equal(reject(e, 0), CXLDCD_RC_SUCCESS); /* the ring's head moves */
		assert_int_equal(add1(e, 0, 40 * MiB, 2 * MiB, 0), CXLDCD_RC_SUCCESS);
		assert_int_equal(core_pending_count(e->dev, 0), 8);
		fp = fingerprint(e->dev);
		e->ta.fail_at = e->ta.nr_allocs + fail;
		rc = add_ext(e, 0, x, 2);
		e->ta.fail_at = 0;
		if (rc == CXLDCD_RC_SUCCESS) {
			assert_true(fail > 1);
			assert_int_equal(core_pending_extent_total(e->dev, 0), 10);
			check(e, 0);
			tenv_free(e);
			return;
		}
		assert_int_equal(rc, CXLDCD_RC_INTERNAL_ERROR);
		assert_true(fingerprint(e->dev) == fp);
		assert_int_equal(core_pending_extent_total(e->dev, 0), 8);
		check(e, 0);
		tenv_free(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locate_matches_the_groups_through_a_random_run),
		cmocka_unit_test(test_growth_failure_keeps_the_numbering),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
