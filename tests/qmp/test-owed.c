/* SPDX-License-Identifier: MIT */
/*
 * test-owed.c - unit: the sanitizes a replay owes (src/server/owed.c).  A
 * sanitizing free is owed until a host accepts the same place of the
 * backend (a tag's offsets on a tag-backed device, DPAs on a
 * volatile-dc-memdev device); a partial acceptance leaves the rest owed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/daemon.h"

#define MiB (1024ull * 1024)

static struct core_extent_info ext(uint64_t dpa, uint64_t len, uint8_t tag, uint64_t tag_offset,
				   bool sanitize)
{
	struct core_extent_info x = { .ext = { .dpa = dpa, .len = len }, .tag_offset = tag_offset,
				      .sanitize = sanitize };

	x.ext.tag[15] = tag;
	return x;
}

/* Sum of the owed lengths. */
static uint64_t owed_bytes(const struct dcd *dv)
{
	uint64_t n = 0;

	for (size_t i = 0; i < dv->nr_owed; i++)
		n += dv->owed[i].ext.len;
	return n;
}

static bool owes(const struct dcd *dv, uint64_t dpa, uint64_t len, uint64_t tag_offset)
{
	for (size_t i = 0; i < dv->nr_owed; i++)
		if (dv->owed[i].ext.dpa == dpa && dv->owed[i].ext.len == len &&
		    dv->owed[i].tag_offset == tag_offset)
			return true;
	return false;
}

static void test_only_sanitizing_frees_are_owed(void **state)
{
	struct dcd dv = { .mode = MEM_DEV_TAGGED };
	struct core_extent_info a = ext(0, 4 * MiB, 1, 0, false), b = ext(8 * MiB, 2 * MiB, 1, 4 * MiB, true);

	(void)state;
	srv_owed_freed(&dv, &a);
	srv_owed_freed(&dv, &b);
	assert_int_equal(dv.nr_owed, 1);
	assert_true(owes(&dv, 8 * MiB, 2 * MiB, 4 * MiB));
	free(dv.owed);
}

/* Tagged: the tag's offsets decide, not the DPA (the tag lives again elsewhere). */
static void test_an_acceptance_of_the_same_tag_offsets_pays_what_it_covers(void **state)
{
	struct dcd dv = { .mode = MEM_DEV_TAGGED };
	struct core_extent_info f = ext(0, 8 * MiB, 1, 0, true);
	struct core_extent_info mid = ext(100 * MiB, 2 * MiB, 1, 2 * MiB, false);
	struct core_extent_info other_tag = ext(0, 8 * MiB, 2, 0, false);

	(void)state;
	srv_owed_freed(&dv, &f);
	srv_owed_accepted(&dv, &other_tag);      /* another backend: nothing paid */
	assert_int_equal(owed_bytes(&dv), 8 * MiB);
	srv_owed_accepted(&dv, &mid);            /* tag offsets [2, 4) MiB, at another DPA */
	assert_int_equal(dv.nr_owed, 2);
	assert_true(owes(&dv, 0, 2 * MiB, 0));
	assert_true(owes(&dv, 4 * MiB, 4 * MiB, 4 * MiB));
	free(dv.owed);
}

/* One memdev: the DPA decides, whatever the tag. */
static void test_on_one_memdev_the_dpa_decides(void **state)
{
	struct dcd dv = { .mode = MEM_DEV_SINGLE };
	struct core_extent_info f = ext(16 * MiB, 4 * MiB, 1, 0, true);
	struct core_extent_info same_offset = ext(0, 4 * MiB, 1, 0, false);
	struct core_extent_info head = ext(14 * MiB, 4 * MiB, 7, 0, false);

	(void)state;
	srv_owed_freed(&dv, &f);
	srv_owed_accepted(&dv, &same_offset);    /* same tag offset, another place */
	assert_int_equal(owed_bytes(&dv), 4 * MiB);
	srv_owed_accepted(&dv, &head);           /* covers [16, 18) MiB */
	assert_int_equal(dv.nr_owed, 1);
	assert_true(owes(&dv, 18 * MiB, 2 * MiB, 2 * MiB));
	srv_owed_freed(&dv, &f);                 /* freed with sanitize again: owed again */
	srv_owed_accepted(&dv, &(struct core_extent_info){ .ext = { .dpa = 0, .len = 64 * MiB } });
	assert_int_equal(dv.nr_owed, 0);
	free(dv.owed);
}

/* A tag one device let go and another took after a restart: the second one's acceptance pays. */
static void test_another_devices_acceptance_of_the_tag_pays(void **state)
{
	struct server_ctx s = { 0 };
	struct dcd d0 = { .srv = &s, .mode = MEM_DEV_TAGGED }, d1 = { .srv = &s, .mode = MEM_DEV_TAGGED };
	struct dcd d2 = { .srv = &s, .mode = MEM_DEV_SINGLE };
	struct dcd *devs[] = { &d0, &d1, &d2 };
	struct core_extent_info f = ext(0, 4 * MiB, 1, 0, true), g = ext(0, 4 * MiB, 1, 0, true);
	struct core_extent_info taken = ext(512 * MiB, 4 * MiB, 1, 0, false);

	(void)state;
	s.devs = devs;
	s.nr_devs = 3;
	srv_owed_freed(&d0, &f);
	srv_owed_freed(&d2, &g);
	srv_owed_accepted(&d1, &taken);
	assert_int_equal(d0.nr_owed, 0);
	assert_int_equal(d1.nr_owed, 0);
	assert_int_equal(d2.nr_owed, 1);        /* its memdev is its own */
	assert_int_equal(srv_owed_settle(&s, false), 0);
	assert_int_equal(d2.nr_owed, 0);
	assert_null(d2.owed);
	free(d0.owed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_sanitizing_frees_are_owed),
		cmocka_unit_test(test_an_acceptance_of_the_same_tag_offsets_pays_what_it_covers),
		cmocka_unit_test(test_on_one_memdev_the_dpa_decides),
		cmocka_unit_test(test_another_devices_acceptance_of_the_tag_pays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
