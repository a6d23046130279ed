/* SPDX-License-Identifier: MIT */
/* test-add.c - Initiate Dynamic Capacity Add (5604h) in the model. */
#include <string.h>

#include "helpers.h"

#define EXPECT_FAIL(e, call, want)                                   \
	do {                                                         \
		uint64_t fp_ = fingerprint((e)->dev);                \
		assert_int_equal((call), (want));                    \
		assert_int_equal((e)->diag.rc, (want));              \
		assert_true(fingerprint((e)->dev) == fp_);           \
		assert_invariants((e)->dev);                         \
	} while (0)

static int setup(void **state)
{
	*state = tenv_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	tenv_free(*state);
	return 0;
}

static void test_add_prescriptive_queues_group_and_more_chain(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent x[3] = { { .dpa = 0, .len = 2 * MiB }, { .dpa = 8 * MiB, .len = 4 * MiB },
				      { .dpa = 4 * GiB, .len = 2 * MiB } };
	struct core_counts c;
	uint64_t gid = 0;
	struct core_add_req req = { .host = 1, .policy = CXLDCD_ADD_PRESCRIPTIVE, .nr_extents = 3,
				    .extents = x };

	assert_int_equal(core_add(e->dev, &req, &gid, &e->diag), CXLDCD_RC_SUCCESS);
	assert_true(gid > 0);
	assert_int_equal(core_pending_count(e->dev, 1), 1);
	assert_int_equal(dc_count(e, 1), 3);
	assert_int_equal(dc_count(e, 0), 0);
	core_counts_get(e->dev, &c);
	assert_int_equal(c.avail_extents, 65536 - 3);
	for (uint32_t i = 0; i < 3; i++) {
		struct cxldcd_event ev = dc_rec(e, 1, i);
		static const uint8_t uuid[16] = CXLDCD_DC_EVENT_UUID;

		assert_memory_equal(ev.uuid, uuid, 16);
		assert_int_equal(ev.length, 0x80);
		assert_int_equal(ev.flags & 3, 0);
		assert_int_equal(ev.handle, i + 1);
		assert_int_equal(ev.dc_type, CXLDCD_DC_EV_ADD_CAPACITY);
		assert_int_equal(ev.dc_flags & 1, i < 2);
		assert_int_equal(ev.dc_validity & 1, 1);
		assert_int_equal(ev.dc_avail_extents, 65536 - 3);
		assert_true(ev.dc_extent.dpa == x[i].dpa);
	}
	assert_int_equal(core_extent_count(e->dev, 1), 0);
	assert_invariants(e->dev);
}

static void test_add_rejects_bad_host_and_policy(void **state)
{
	struct tenv *e = *state;
	struct core_add_req req = { .host = 2, .policy = CXLDCD_ADD_FREE, .length = 2 * MiB };

	EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_INVALID_INPUT);
	req.host = 0;
	req.policy = (enum cxldcd_add_policy)7;
	EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_INVALID_INPUT);
	req.policy = CXLDCD_ADD_FREE;
	req.region = 2;
	EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_INVALID_INPUT);
	req.region = 0;
	req.length = MiB;
	EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_INVALID_INPUT);
	req.length = 0;
	EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_INVALID_INPUT);
}

static void test_add_prescriptive_rejects_malformed_lists(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent x[2] = { { .dpa = 0, .len = 4 * MiB }, { .dpa = 2 * MiB, .len = 2 * MiB } };

	EXPECT_FAIL(e, add_ext(e, 0, x, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
	EXPECT_FAIL(e, add_ext(e, 0, x, 2), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_non_null(strstr(e->diag.text, "overlaps extent"));
	EXPECT_FAIL(e, add1(e, 0, MiB, 2 * MiB, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
	EXPECT_FAIL(e, add1(e, 0, 0, 0, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
	/* Outside every region: 5604h may not answer Invalid PA. */
	EXPECT_FAIL(e, add1(e, 0, 8 * GiB, 2 * MiB, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
	EXPECT_FAIL(e, add1(e, 0, 4 * GiB - 2 * MiB, 4 * MiB, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
	x[0].shared_seq = 1;
	EXPECT_FAIL(e, add_ext(e, 0, x, 1), CXLDCD_RC_INVALID_EXTENT_LIST);
}

static void test_add_rejects_overlap_with_pending_or_accepted_capacity(void **state)
{
	struct tenv *e = *state;

	assert_int_equal(add1(e, 0, 0, 4 * MiB, 0), 0);
	EXPECT_FAIL(e, add1(e, 0, 2 * MiB, 2 * MiB, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
	EXPECT_FAIL(e, add1(e, 1, 0, 2 * MiB, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_non_null(strstr(e->diag.text, "host=0"));
	assert_int_equal(accept_all(e, 0), 0);
	EXPECT_FAIL(e, add1(e, 0, 2 * MiB, 2 * MiB, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
	EXPECT_FAIL(e, add1(e, 1, 0, 8 * MiB, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(add1(e, 1, 4 * MiB, 2 * MiB, 0), 0);
}

static void test_add_tag_in_use_by_other_host_is_invalid_input(void **state)
{
	struct tenv *e = *state;

	assert_int_equal(add1(e, 0, 0, 2 * MiB, 7), 0);
	EXPECT_FAIL(e, add1(e, 1, 2 * MiB, 2 * MiB, 7), CXLDCD_RC_INVALID_INPUT);
	assert_non_null(strstr(e->diag.text, "tag in use by host=0"));
	/* The same host may add more capacity under its tag: laid after the first. */
	assert_int_equal(add1(e, 0, 8 * MiB, 2 * MiB, 7), 0);
	assert_int_equal(accept_all(e, 0), 0);
	assert_int_equal(accept_all(e, 0), 0);
	{
		struct core_extent_info xi[2];
		uint32_t n;

		core_extent_list_info(e->dev, 0, 0, 2, xi, &n);
		assert_int_equal(n, 2);
		assert_true(xi[0].tag_offset == 0);
		assert_true(xi[1].tag_offset == 2 * MiB);
	}
}

static void tiny(struct cxldcd_dev_cfg *c)
{
	c->max_extents = 3;
	c->max_tags = 1;
	c->evlog_depth = 4;
}

static void test_add_limits_give_resources_exhausted_and_full_log_retry(void **state)
{
	struct tenv *e = tenv_new(tiny);
	struct cxldcd_extent x[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		x[i] = (struct cxldcd_extent){ .dpa = (uint64_t)i * 2 * MiB, .len = 2 * MiB };
	EXPECT_FAIL(e, add_ext(e, 0, x, 4), CXLDCD_RC_RESOURCES_EXHAUSTED);
	assert_int_equal(add1(e, 0, 0, 2 * MiB, 1), 0);
	EXPECT_FAIL(e, add1(e, 0, 2 * MiB, 2 * MiB, 2), CXLDCD_RC_RESOURCES_EXHAUSTED);
	assert_int_equal(add1(e, 0, 2 * MiB, 2 * MiB, 0), 0);
	assert_int_equal(add1(e, 0, 4 * MiB, 2 * MiB, 0), 0);
	EXPECT_FAIL(e, add1(e, 0, 6 * MiB, 2 * MiB, 0), CXLDCD_RC_RESOURCES_EXHAUSTED);
	tenv_free(e);

	e = tenv_new(tiny);
	assert_int_equal(add_ext(e, 0, x, 3), 0);
	assert_int_equal(accept_all(e, 0), 0);
	drain(e, CORE_OWNER_FM);
	/* Log holds 3 of 4 records: a 2-extent chain does not fit. */
	assert_int_equal(rel_dc(e, 0, 0, 4 * MiB), 0);
	EXPECT_FAIL(e, add_ext(e, 0, x, 2), CXLDCD_RC_RETRY_REQUIRED);
	drain(e, 0);
	assert_int_equal(add_ext(e, 0, x, 2), 0);
	tenv_free(e);
}

static void test_add_free_picks_lowest_free_blocks(void **state)
{
	struct tenv *e = *state;
	struct core_add_req req = { .host = 0, .policy = CXLDCD_ADD_FREE, .region = 0,
				    .length = 8 * MiB };
	struct cxldcd_extent pe[8];
	uint32_t n;

	assert_int_equal(add1(e, 1, 2 * MiB, 2 * MiB, 0), 0);
	assert_int_equal(add1(e, 1, 6 * MiB, 2 * MiB, 0), 0);
	assert_int_equal(core_add(e->dev, &req, NULL, &e->diag), 0);
	core_pending_extents(e->dev, 0, 0, 0, 8, pe, &n);
	assert_int_equal(n, 3);
	assert_true(pe[0].dpa == 0 && pe[0].len == 2 * MiB);
	assert_true(pe[1].dpa == 4 * MiB && pe[1].len == 2 * MiB);
	assert_true(pe[2].dpa == 8 * MiB && pe[2].len == 4 * MiB);
	req.policy = CXLDCD_ADD_CONTIGUOUS;
	req.length = 4 * MiB;
	assert_int_equal(core_add(e->dev, &req, NULL, &e->diag), 0);
	core_pending_extents(e->dev, 0, 1, 0, 8, pe, &n);
	assert_int_equal(n, 1);
	assert_true(pe[0].dpa == 12 * MiB);
	req.length = 4 * GiB;
	EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_RESOURCES_EXHAUSTED);
	req.policy = CXLDCD_ADD_FREE;
	EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_RESOURCES_EXHAUSTED);
	req.length = 4 * GiB - 16 * MiB;
	assert_int_equal(core_add(e->dev, &req, NULL, &e->diag), 0);
	assert_invariants(e->dev);
}

static enum cxldcd_rc deny(void *opaque, const struct core_extent_info *x, uint32_t n,
			   struct cxldcd_diag *diag)
{
	(void)x;
	(void)n;
	++*(int *)opaque;
	if (diag)
		strcpy(diag->text, "backend missing");
	return CXLDCD_RC_INVALID_PA;
}

static void test_add_observer_veto_changes_nothing(void **state)
{
	struct tenv *e = *state;
	static const struct core_observer ops = { .check_add = deny };
	int calls = 0;

	assert_int_equal(core_observer_add(e->dev, &ops, &calls), 0);
	EXPECT_FAIL(e, add1(e, 0, 0, 2 * MiB, 3), CXLDCD_RC_INVALID_PA);
	assert_int_equal(calls, 1);
	assert_string_equal(e->diag.text, "backend missing");
}

static void test_add_ids_are_unique_and_increasing(void **state)
{
	struct tenv *e = *state;
	struct core_group_info a, b;

	assert_int_equal(add1(e, 0, 0, 2 * MiB, 0), 0);
	EXPECT_FAIL(e, add1(e, 0, 0, 2 * MiB, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(add1(e, 0, 2 * MiB, 2 * MiB, 0), 0);
	core_pending_get(e->dev, 0, 0, &a);
	core_pending_get(e->dev, 0, 1, &b);
	assert_true(b.id == a.id + 1);
}

/*
 * Where one extent lies (region_place(), shared with release and response):
 * zero length before anything; a named region (QMP) checks its block size
 * before its bounds, any region checks bounds first; a range that wraps
 * past 2^64 is never inside a region.
 */
static void test_add_places_an_extent_in_qemu_order(void **state)
{
	struct tenv *e = *state;
	static const struct {
		uint64_t dpa, len;
		enum core_reason named, any;
	} v[] = {
		{ MiB, 0, CORE_REASON_ZERO_LENGTH, CORE_REASON_ZERO_LENGTH },
		{ 4 * GiB - MiB, 2 * MiB, CORE_REASON_UNALIGNED, CORE_REASON_BEYOND_REGION },
		{ 4 * GiB - 2 * MiB, 4 * MiB, CORE_REASON_BEYOND_REGION, CORE_REASON_BEYOND_REGION },
		{ UINT64_MAX - 2 * MiB + 1, 4 * MiB, CORE_REASON_BEYOND_REGION, CORE_REASON_BEYOND_REGION },
		{ MiB, 2 * MiB, CORE_REASON_UNALIGNED, CORE_REASON_UNALIGNED },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct cxldcd_extent x = { .dpa = v[i].dpa, .len = v[i].len };
		struct core_add_req req = { .host = 0, .policy = CXLDCD_ADD_PRESCRIPTIVE, .nr_extents = 1,
					    .extents = &x, .in_region = true, .region = 0 };

		EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_INVALID_EXTENT_LIST);
		assert_int_equal(e->diag.reason, v[i].named);
		req.in_region = false;
		EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_INVALID_EXTENT_LIST);
		assert_int_equal(e->diag.reason, v[i].any);
	}
}

/*
 * The first failure in list order, each extent checked completely before the
 * next, is the one reported (reason and index): what QEMU reports for its
 * inputs.
 */
static void test_add_reports_the_first_failure_in_list_order(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent a[3] = { { .dpa = 8 * MiB, .len = 4 * MiB }, { .dpa = MiB, .len = 2 * MiB },
				      { .dpa = 10 * MiB, .len = 2 * MiB } };
	struct cxldcd_extent b[3] = { { .dpa = 8 * MiB, .len = 4 * MiB }, { .dpa = 10 * MiB, .len = 2 * MiB },
				      { .dpa = 20 * MiB, .len = 0 } };
	struct cxldcd_extent c[2] = { { .dpa = 0, .len = 2 * MiB }, { .dpa = 20 * MiB, .len = 0 } };
	struct cxldcd_extent d[4] = { { .dpa = 30 * MiB, .len = 2 * MiB }, { .dpa = 20 * MiB, .len = 2 * MiB },
				      { .dpa = 40 * MiB, .len = 2 * MiB }, { .dpa = 18 * MiB, .len = 8 * MiB } };

	/* Extent 2 overlaps extent 0, but extent 1 is unaligned: extent 1 first. */
	EXPECT_FAIL(e, add_ext(e, 0, a, 3), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(e->diag.reason, CORE_REASON_UNALIGNED);
	assert_int_equal(e->diag.index, 1);
	/* Extent 1 overlaps extent 0 before extent 2's zero length. */
	EXPECT_FAIL(e, add_ext(e, 0, b, 3), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(e->diag.reason, CORE_REASON_LIST_OVERLAP);
	assert_int_equal(e->diag.index, 1);
	/* The last extent overlaps one in the middle of the list. */
	EXPECT_FAIL(e, add_ext(e, 0, d, 4), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(e->diag.reason, CORE_REASON_LIST_OVERLAP);
	assert_int_equal(e->diag.index, 3);
	/* The host's state of extent 0 before extent 1's length. */
	assert_int_equal(add1(e, 0, 0, 2 * MiB, 0), 0);
	EXPECT_FAIL(e, add_ext(e, 0, c, 2), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(e->diag.reason, CORE_REASON_STILL_PENDING);
	assert_int_equal(e->diag.index, 0);
	assert_int_equal(accept_all(e, 0), 0);
	EXPECT_FAIL(e, add_ext(e, 0, c, 2), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(e->diag.reason, CORE_REASON_ALREADY_ACCESSIBLE);
	EXPECT_FAIL(e, add_ext(e, 1, c, 2), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(e->diag.reason, CORE_REASON_HELD_ELSEWHERE);
	assert_string_equal(core_reason_str(CORE_REASON_HELD_ELSEWHERE), "held-elsewhere");
	assert_string_equal(core_reason_str(CORE_REASON_COUNT), "unknown");
}

/*
 * A policy outside the enums: the model's own check (the faces' codecs and
 * QMP's enum parsing refuse such values before the model sees them).
 */
static void test_invalid_policies_are_refused_with_their_reason(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent x = { .dpa = 0, .len = 2 * MiB };
	struct core_add_req add = { .host = 0, .policy = (enum cxldcd_add_policy)7, .region = 0,
				    .length = 2 * MiB, .nr_extents = 1, .extents = &x };
	struct core_release_req rel = { .host = 0, .policy = (enum cxldcd_release_policy)5,
					.nr_extents = 1, .extents = &x };

	assert_int_equal(add1(e, 0, 0, 2 * MiB, 0), 0);
	assert_int_equal(accept_all(e, 0), 0);
	EXPECT_FAIL(e, core_add(e->dev, &add, NULL, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(e->diag.reason, CORE_REASON_INVALID_POLICY);
	EXPECT_FAIL(e, core_release(e->dev, &rel, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(e->diag.reason, CORE_REASON_INVALID_POLICY);
	assert_string_equal(core_reason_str(CORE_REASON_INVALID_POLICY), "invalid-policy");
	assert_int_equal(core_extent_count(e->dev, 0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_prescriptive_queues_group_and_more_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_rejects_bad_host_and_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_places_an_extent_in_qemu_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_policies_are_refused_with_their_reason, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_add_prescriptive_rejects_malformed_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_rejects_overlap_with_pending_or_accepted_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_tag_in_use_by_other_host_is_invalid_input, setup, teardown),
		cmocka_unit_test(test_add_limits_give_resources_exhausted_and_full_log_retry),
		cmocka_unit_test_setup_teardown(test_add_free_picks_lowest_free_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_observer_veto_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_ids_are_unique_and_increasing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_reports_the_first_failure_in_list_order, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
