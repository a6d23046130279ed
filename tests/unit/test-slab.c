/* SPDX-License-Identifier: MIT */
/*
 * test-slab.c - the model's object slabs (src/core/slab.c): objects keep
 * their contents and their numbers (slab_at()) while pages empty and go,
 * a new page takes a freed index, at most SLAB_MAX_PAGES indexes (so a
 * number + 1 fits 32 bits), empty pages go back to the allocator (one
 * kept), a failed page
 * allocation leaves the slab usable, and the model's objects sit in slabs:
 * a resident extent is not three malloc() calls.  Reserved objects
 * (slab_reserve(), a restore's) come in one chunk that goes back whole once
 * all its objects are free, its emptied pages serving again meanwhile; a
 * chunk that cannot be had leaves the slab as it was.  Bulk memory
 * (core_zalloc_bulk()) without a hook is mapped zeroed on a 2 MiB boundary;
 * with one it is an allocation the hook sees (and can fail).
 */
#include <stdint.h>
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

static uint32_t num_of(const struct obj *o)
{
	return o->slab;
}

/* Every live object of o[0..n) is found by its number, and no two share one. */
static void expect_numbers(const struct slab *s, struct obj *const *o, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (!o[i])
			continue;
		assert_ptr_equal(slab_at(s, num_of(o[i])), o[i]);
		for (uint32_t j = 0; j < i; j++)
			assert_true(!o[j] || num_of(o[j]) != num_of(o[i]));
	}
}

static void test_objects_keep_their_numbers_while_pages_go_and_come(void **state)
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
	assert_int_equal(s.nr_idx, 10);  /* their indexes holes */
	for (uint32_t i = 4 * SLAB_PER_PAGE; i < N; i++) {
		assert_int_equal(o[i]->payload, 0x1000 + i);
		assert_int_equal(o[i]->tail, i);
	}
	expect_numbers(&s, o, N);
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
	assert_int_equal(s.nr_idx, 10);  /* the new pages took the holes */
	assert_int_equal(s.live, N);
	expect_numbers(&s, o, N);
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

static struct cxldcd_dev *libc_dev(void)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev;
	struct cxldcd_diag d;

	core_cfg_default(&cfg);     /* cfg.alloc NULL: libc */
	assert_int_equal(core_dev_new(&cfg, &dev, &d), 0);
	return dev;
}

/*
 * n reserved objects: one allocator call, none for the n allocations; the
 * pages emptied serve again; the chunk goes back when the last object does.
 */
static void test_reserved_objects_come_in_one_chunk_that_goes_back_whole(void **state)
{
	struct tenv *e = tenv_new(NULL);
	int64_t base = e->ta.live_bytes;
	struct obj **o = calloc(N, sizeof(*o));
	uint64_t calls;
	struct slab s;

	(void)state;
	slab_init(&s, sizeof(struct obj), offsetof(struct obj, slab));
	fill(e->dev, &s, o, 3);                 /* a page of its own, 3 live */
	calls = e->ta.nr_allocs;
	assert_int_equal(slab_reserve(e->dev, &s, N), 0);
	assert_int_equal(e->ta.nr_allocs - calls, 1);   /* the chunk (pages[] has room for 16) */
	/* the own page's 61 free objects count: 9 pages more, not 10 */
	assert_int_equal(s.nr_pages, 1 + (N - (SLAB_PER_PAGE - 3) + SLAB_PER_PAGE - 1) / SLAB_PER_PAGE);
	assert_int_equal(slab_reserve(e->dev, &s, N), 0);       /* nothing more to take */
	calls = e->ta.nr_allocs;
	fill(e->dev, &s, o + 3, N - 3);
	assert_int_equal(e->ta.nr_allocs, calls);
	/* the chunk's pages are handed out in address order, before the own page's free objects */
	for (uint32_t i = 4; i < N - 2; i++) {
		size_t step = (size_t)((char *)o[i] - (char *)o[i - 1]);

		if ((i - 3) % SLAB_PER_PAGE)
			assert_int_equal(step, sizeof(struct obj));
		else    /* the next page's header between */
			assert_true(step > sizeof(struct obj) && step <= sizeof(struct obj) + 64);
	}
	/* a chunk page emptied (its third: o[131..194]) stays for reuse */
	for (uint32_t i = 3 + 2 * SLAB_PER_PAGE; i < 3 + 3 * SLAB_PER_PAGE; i++) {
		slab_free(e->dev, &s, o[i]);
		o[i] = NULL;
	}
	assert_int_equal(s.nr_pages, 10);
	for (uint32_t i = 3 + 2 * SLAB_PER_PAGE; i < 3 + 3 * SLAB_PER_PAGE; i++)
		assert_non_null(o[i] = slab_zalloc(e->dev, &s));
	assert_int_equal(e->ta.nr_allocs, calls);
	for (uint32_t i = 0; i < N; i++)       /* the others kept theirs (fill() numbers from 0) */
		if (i < 3 + 2 * SLAB_PER_PAGE || i >= 3 + 3 * SLAB_PER_PAGE)
			assert_int_equal(o[i]->payload, 0x1000 + (i < 3 ? i : i - 3));
	/* all free: the chunk goes back, the own page is kept (the one empty page) */
	for (uint32_t i = N; i-- > 0;)
		slab_free(e->dev, &s, o[i]);
	assert_int_equal(s.live, 0);
	assert_int_equal(s.nr_pages, 1);
	assert_null(s.chunks);
	slab_fini(e->dev, &s);
	assert_int_equal(e->ta.live_bytes, base);
	free(o);
	tenv_free(e);
}

/*
 * A slab uses at most SLAB_MAX_PAGES page indexes, so that an object's
 * number + 1 fits 32 bits (the model links allocations by it): a reserve of
 * objects for that many pages asks the allocator for its pages[] (refused
 * here, so nothing is allocated); one object more, a page more, is refused
 * before any allocation.
 */
static void test_page_indexes_stop_at_the_bound(void **state)
{
	struct tenv *e = tenv_new(NULL);
	int64_t base = e->ta.live_bytes;
	uint64_t calls;
	struct slab s;

	(void)state;
	assert_true((uint64_t)SLAB_MAX_PAGES * SLAB_PER_PAGE <= UINT32_MAX);
	slab_init(&s, sizeof(struct obj), offsetof(struct obj, slab));
	calls = e->ta.nr_allocs;
	e->ta.fail_at = calls + 1;
	assert_int_equal(slab_reserve(e->dev, &s, SLAB_MAX_PAGES * SLAB_PER_PAGE), -ENOMEM);
	assert_int_equal(e->ta.nr_allocs, calls + 1);   /* pages[] asked for */
	calls = e->ta.nr_allocs;
	e->ta.fail_at = 0;
	assert_int_equal(slab_reserve(e->dev, &s, SLAB_MAX_PAGES * SLAB_PER_PAGE + 1), -ENOMEM);
	assert_int_equal(e->ta.nr_allocs, calls);       /* refused before */
	assert_int_equal(s.nr_idx, 0);
	assert_int_equal(s.nr_pages, 0);
	slab_fini(e->dev, &s);
	assert_int_equal(e->ta.live_bytes, base);
	tenv_free(e);
}

/* A chunk the allocator refuses: -ENOMEM, the slab as it was and usable. */
static void test_failed_chunk_leaves_the_slab_as_it_was(void **state)
{
	struct tenv *e = tenv_new(NULL);
	int64_t base = e->ta.live_bytes;
	struct obj *o[SLAB_PER_PAGE + 1];
	struct slab s;

	(void)state;
	slab_init(&s, sizeof(struct obj), offsetof(struct obj, slab));
	fill(e->dev, &s, o, SLAB_PER_PAGE);
	e->ta.fail_at = e->ta.nr_allocs + 2;    /* pages[] grows first, then the chunk */
	assert_int_equal(slab_reserve(e->dev, &s, 1000), -ENOMEM);
	e->ta.fail_at = 0;
	assert_int_equal(s.nr_pages, 1);
	assert_int_equal(s.live, SLAB_PER_PAGE);
	assert_null(s.chunks);
	assert_non_null(o[SLAB_PER_PAGE] = slab_zalloc(e->dev, &s));
	for (uint32_t i = 0; i < SLAB_PER_PAGE; i++)
		assert_int_equal(o[i]->payload, 0x1000 + i);
	for (uint32_t i = 0; i <= SLAB_PER_PAGE; i++)
		slab_free(e->dev, &s, o[i]);
	slab_fini(e->dev, &s);
	assert_int_equal(e->ta.live_bytes, base);
	tenv_free(e);
}

/* A slab torn down with chunks live gives everything back. */
static void test_fini_gives_back_live_chunks(void **state)
{
	struct tenv *e = tenv_new(NULL);
	int64_t base = e->ta.live_bytes;
	struct obj *o[2 * SLAB_PER_PAGE];
	struct slab s;

	(void)state;
	slab_init(&s, sizeof(struct obj), offsetof(struct obj, slab));
	assert_int_equal(slab_reserve(e->dev, &s, SLAB_PER_PAGE), 0);
	fill(e->dev, &s, o, SLAB_PER_PAGE + 1);         /* the chunk, then a page of its own */
	assert_int_equal(slab_reserve(e->dev, &s, 3 * SLAB_PER_PAGE), 0); /* a second chunk */
	fill(e->dev, &s, o + SLAB_PER_PAGE + 1, SLAB_PER_PAGE - 1);
	slab_fini(e->dev, &s);
	assert_int_equal(e->ta.live_bytes, base);
	tenv_free(e);
}

/*
 * Without a hook, a reserve of 2 MiB and more is mapped: zeroed, on a
 * 2 MiB boundary (where huge pages can back it), and unmapped when empty.
 */
static void test_large_reserve_without_a_hook_is_mapped_aligned(void **state)
{
	struct cxldcd_dev *dev = libc_dev();
	uint32_t n = (uint32_t)((3u << 20) / sizeof(struct obj));
	struct obj **o = calloc(2 * n, sizeof(*o));
	uintptr_t c0;
	uint32_t cap;
	struct slab s;

	(void)state;
	slab_init(&s, sizeof(struct obj), offsetof(struct obj, slab));
	assert_int_equal(slab_reserve(dev, &s, n), 0);
	assert_non_null(s.chunks);
	c0 = (uintptr_t)s.chunks;
	assert_int_equal(c0 % (2u << 20), 0);
	/*
	 * 3 MiB of objects: the chunk is two whole 2 MiB units (huge pages
	 * once touched), its pages reaching the end of the second, so more
	 * objects than asked come from it, none past it.
	 */
	cap = s.nr_pages * SLAB_PER_PAGE;
	assert_true(s.nr_pages > (n + SLAB_PER_PAGE - 1) / SLAB_PER_PAGE);
	assert_true((uint64_t)cap * sizeof(struct obj) < (4u << 20));
	/* one more page (its objects and a header under 64 bytes) would not fit */
	assert_true((uint64_t)(s.nr_pages + 1) * (SLAB_PER_PAGE * sizeof(struct obj) + 64) > (4u << 20));
	for (uint32_t i = 0; i < cap; i++) {
		assert_non_null(o[i] = slab_zalloc(dev, &s));
		assert_true(o[i]->payload == 0 && o[i]->tail == 0);
		assert_true((uintptr_t)o[i] > c0 && (uintptr_t)(o[i] + 1) <= c0 + (4u << 20));
		o[i]->payload = i;
	}
	assert_int_equal(s.nr_pages, cap / SLAB_PER_PAGE);
	assert_non_null(o[cap] = slab_zalloc(dev, &s));   /* the next one: a page of its own */
	assert_int_equal(s.nr_pages, cap / SLAB_PER_PAGE + 1);
	slab_free(dev, &s, o[cap]);
	for (uint32_t i = n; i < cap; i++)
		slab_free(dev, &s, o[i]);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(o[i]->payload, i);
		slab_free(dev, &s, o[i]);
	}
	assert_null(s.chunks);
	assert_int_equal(s.nr_pages, 1);  /* the page allocated alone, kept empty for the next */
	slab_fini(dev, &s);
	core_dev_free(dev);
	free(o);
}

/* Bulk memory: mapped and zeroed without a hook; with one, an allocation the hook can fail. */
static void test_bulk_memory_is_zeroed_and_goes_through_the_hook(void **state)
{
	struct cxldcd_dev *dev = libc_dev();
	struct tenv *e = tenv_new(NULL);
	size_t size = (5u << 20) + 100;
	int64_t base = e->ta.live_bytes;
	uint64_t calls = e->ta.nr_allocs;
	uint8_t *p;

	(void)state;
	p = core_zalloc_bulk(dev, size);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % (2u << 20), 0);
	for (size_t i = 0; i < size; i += 4096)
		assert_int_equal(p[i], 0);
	assert_int_equal(p[size - 1], 0);
	memset(p, 0xa5, size);
	core_free_bulk(dev, p, size);
	p = core_zalloc_bulk(dev, 100);         /* small: libc's calloc() */
	assert_non_null(p);
	assert_int_equal(p[99], 0);
	core_free_bulk(dev, p, 100);
	core_dev_free(dev);

	p = core_zalloc_bulk(e->dev, size);
	assert_non_null(p);
	assert_int_equal(e->ta.nr_allocs, calls + 1);
	assert_int_equal(e->ta.live_bytes, base + (int64_t)size);
	assert_int_equal(p[size - 1], 0);
	core_free_bulk(e->dev, p, size);
	assert_int_equal(e->ta.live_bytes, base);
	e->ta.fail_at = e->ta.nr_allocs + 1;
	assert_null(core_zalloc_bulk(e->dev, size));
	e->ta.fail_at = 0;
	tenv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objects_keep_their_numbers_while_pages_go_and_come),
		cmocka_unit_test(test_page_indexes_stop_at_the_bound),
		cmocka_unit_test(test_failed_page_allocation_leaves_the_slab_usable),
		cmocka_unit_test(test_resident_extents_are_not_an_allocation_each),
		cmocka_unit_test(test_reserved_objects_come_in_one_chunk_that_goes_back_whole),
		cmocka_unit_test(test_failed_chunk_leaves_the_slab_as_it_was),
		cmocka_unit_test(test_fini_gives_back_live_chunks),
		cmocka_unit_test(test_large_reserve_without_a_hook_is_mapped_aligned),
		cmocka_unit_test(test_bulk_memory_is_zeroed_and_goes_through_the_hook),
	};

	return cmocka_run_group_tests_name("slab", tests, NULL, NULL);
}
