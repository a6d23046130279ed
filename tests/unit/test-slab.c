/* SPDX-License-Identifier: MIT */
/*
 * test-slab.c - the model's object slabs (src/core/slab.c): objects keep
 * their contents while pages empty and the last page moves into the freed
 * index, empty pages go back to the allocator (one kept), a failed page
 * allocation leaves the slab usable, and the model's objects sit in slabs:
 * a resident extent is not three malloc() calls.
 */
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "helpers.h"

struct obj {
	void *link;          /* a free object's first word is the slab's */
	uint64_t payload;
	uint32_t slab;
	uint32_t tail;
};

#define N (SLAB_PER_PAGE * 9 + 5)

static void fill(struct cxldcd_dev *dev, struct slab *s, struct obj **o, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		o[i] = slab_zalloc(dev, s);
		assert_non_null(o[i]);
		assert_int_equal(o[i]->payload, 0);
		o[i]->payload = 0x1000 + i;
		o[i]->tail = i;
	}
}

static void test_objects_survive_pages_moving_into_freed_indexes(void **state)
{
	struct tenv *e = tenv_new(NULL);
	int64_t base = e->ta.live_bytes;
	struct obj **o = calloc(N, sizeof(*o));
	struct slab s;

	(void)state;
	slab_init(&s, sizeof(struct obj), offsetof(struct obj, slab));
	fill(e->dev, &s, o, N);
	assert_int_equal(s.nr_pages, 10);
	/* empty the first pages one by one: each time the last page moves down */
	for (uint32_t i = 0; i < 4 * SLAB_PER_PAGE; i++) {
		slab_free(e->dev, &s, o[i]);
		o[i] = NULL;
	}
	assert_int_equal(s.nr_pages, 7); /* three given back, one kept empty */
	for (uint32_t i = 4 * SLAB_PER_PAGE; i < N; i++) {
		assert_int_equal(o[i]->payload, 0x1000 + i);
		assert_int_equal(o[i]->tail, i);
	}
	/* every other object of what is left, then refill: freed slots are reused */
	for (uint32_t i = 4 * SLAB_PER_PAGE; i < N; i += 2) {
		slab_free(e->dev, &s, o[i]);
		o[i] = NULL;
	}
	assert_int_equal(s.nr_pages, 7);
	for (uint32_t i = 0; i < N; i++)
		if (!o[i])
			assert_non_null(o[i] = slab_zalloc(e->dev, &s));
	assert_int_equal(s.nr_pages, 10);
	assert_int_equal(s.live, N);
	for (uint32_t i = N; i-- > 0;)
		slab_free(e->dev, &s, o[i]);
	assert_int_equal(s.live, 0);
	assert_int_equal(s.nr_pages, 1);
	slab_fini(e->dev, &s);
	assert_int_equal(e->ta.live_bytes, base);
	free(o);
	tenv_free(e);
}

static void test_failed_page_allocation_leaves_the_slab_usable(void **state)
{
	struct tenv *e = tenv_new(NULL);
	struct obj *o[SLAB_PER_PAGE + 1];
	struct slab s;

	(void)state;
	slab_init(&s, sizeof(struct obj), offsetof(struct obj, slab));
	fill(e->dev, &s, o, SLAB_PER_PAGE);
	e->ta.fail_at = e->ta.nr_allocs + 1;
	assert_null(slab_zalloc(e->dev, &s));
	assert_int_equal(s.live, SLAB_PER_PAGE);
	assert_non_null(o[SLAB_PER_PAGE] = slab_zalloc(e->dev, &s));
	for (uint32_t i = 0; i <= SLAB_PER_PAGE; i++)
		slab_free(e->dev, &s, o[i]);
	assert_int_equal(s.live, 0);
	slab_fini(e->dev, &s);
	tenv_free(e);
}

/* 1,000 accepted tagged extents cost a few allocator calls, not 3 each. */
static void test_resident_extents_are_not_an_allocation_each(void **state)
{
	struct tenv *e = tenv_new(NULL);
	uint64_t calls;

	(void)state;
	assert_int_equal(add1(e, 0, 0, 2 * MiB, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
	calls = e->ta.nr_allocs;
	for (uint32_t i = 1; i <= 1000; i++) {
		struct cxldcd_extent x = { .dpa = i * 2 * MiB, .len = 2 * MiB };

		x.tag[0] = (uint8_t)i;
		x.tag[1] = (uint8_t)(i >> 8);
		x.tag[15] = 1;
		assert_int_equal(add_ext(e, 0, &x, 1), CXLDCD_RC_SUCCESS);
		assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
		drain(e, 0);
	}
	assert_invariants(e->dev);
	/*
	 * Each add + answer still allocates its group (freed at the answer) and
	 * scratch: about 7 calls; with an allocation, a hold and a tag entry of
	 * their own it was about 10.
	 */
	calls = e->ta.nr_allocs - calls;
	assert_true(calls < 1000 * 8);
	assert_int_equal(e->dev->allocs.live, 1001);
	assert_int_equal(e->dev->holds.live, 1001);
	assert_int_equal(e->dev->tags.live, core_tag_count(e->dev));
	assert_true(core_tag_count(e->dev) >= 1000);
	assert_true(e->dev->allocs.nr_pages <= 1001 / SLAB_PER_PAGE + 2);
	tenv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objects_survive_pages_moving_into_freed_indexes),
		cmocka_unit_test(test_failed_page_allocation_leaves_the_slab_usable),
		cmocka_unit_test(test_resident_extents_are_not_an_allocation_each),
	};

	return cmocka_run_group_tests_name("slab", tests, NULL, NULL);
}
