/* SPDX-License-Identifier: MIT */
/* test-response.c - Add Dynamic Capacity Response (4802h) in the model. */
#include "common.h"

struct rec {
	int accepted, freed, answered;
	uint32_t last_acc;
	uint64_t freed_bytes;
};

static void on_acc(void *o, const struct core_extent_info *x)
{
	(void)x;
	((struct rec *)o)->accepted++;
}

static void on_freed(void *o, const struct core_extent_info *x)
{
	((struct rec *)o)->freed++;
	((struct rec *)o)->freed_bytes += x->ext.len;
}

static void on_ans(void *o, uint16_t h, uint64_t id, uint32_t off, uint32_t acc)
{
	(void)h;
	(void)id;
	(void)off;
	((struct rec *)o)->answered++;
	((struct rec *)o)->last_acc = acc;
}

static const struct core_observer rec_ops = { .extent_accepted = on_acc, .capacity_freed = on_freed,
					      .group_answered = on_ans };

static void test_response_accepts_all_and_logs_fm_records(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent x[2] = { { .dpa = 0, .len = 2 * MiB }, { .dpa = 4 * MiB, .len = 2 * MiB } };
	struct rec r = { 0 };
	uint32_t gen = core_extent_generation(e->dev, 0);

	tag_set(x[0].tag, 5);
	core_observer_add(e->dev, &rec_ops, &r);
	assert_int_equal(add_ext(e, 0, x, 2), 0);
	assert_int_equal(accept_all(e, 0), 0);
	assert_int_equal(core_extent_count(e->dev, 0), 2);
	assert_int_equal(core_extent_generation(e->dev, 0), gen + 1);
	assert_int_equal(core_pending_count(e->dev, 0), 0);
	assert_int_equal(dc_count(e, CORE_OWNER_FM), 2);
	{
		struct cxldcd_event ev = dc_rec(e, CORE_OWNER_FM, 0);

		assert_int_equal(ev.dc_type, CXLDCD_DC_EV_ADD_CAPACITY_RESPONSE);
		assert_int_equal(ev.dc_host_id, 0);
		assert_int_equal(ev.dc_flags & 1, 1);
		assert_int_equal(ev.dc_extent.tag[15], 5);
		assert_int_equal(dc_rec(e, CORE_OWNER_FM, 1).dc_flags & 1, 0);
	}
	assert_int_equal(r.accepted, 2);
	assert_int_equal(r.answered, 1);
	assert_int_equal(r.last_acc, 2);
	assert_int_equal(r.freed, 0);
	assert_invariants(e->dev);
}

static void test_response_subrange_splits_and_frees_the_rest(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_range rg[2] = { { 2 * MiB, 2 * MiB }, { 6 * MiB, 2 * MiB } };
	struct core_extent_info xi[4];
	struct rec r = { 0 };
	struct core_counts c;
	uint32_t n;

	core_observer_add(e->dev, &rec_ops, &r);
	assert_int_equal(add1(e, 0, 0, 10 * MiB, 9), 0);
	assert_int_equal(core_add_response(e->dev, 0, rg, 2, false, &e->diag), 0);
	core_extent_list_info(e->dev, 0, 0, 4, xi, &n);
	assert_int_equal(n, 2);
	assert_true(xi[0].ext.dpa == 2 * MiB && xi[0].tag_offset == 2 * MiB);
	assert_true(xi[1].ext.dpa == 6 * MiB && xi[1].tag_offset == 6 * MiB);
	assert_int_equal(r.freed, 3);
	assert_true(r.freed_bytes == 6 * MiB);
	core_counts_get(e->dev, &c);
	assert_int_equal(c.avail_extents, 65536 - 2);
	/* The freed capacity can be offered again. */
	assert_int_equal(add1(e, 1, 0, 2 * MiB, 0), 0);
	assert_invariants(e->dev);
}

static void test_response_empty_rejects_group_even_when_dead(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent x = { .dpa = 0, .len = 2 * MiB };
	struct core_release_req req = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					.forced = true, .nr_extents = 1, .extents = &x };
	struct core_group_info gi;
	struct rec r = { 0 };

	core_observer_add(e->dev, &rec_ops, &r);
	assert_int_equal(add1(e, 0, 0, 2 * MiB, 0), 0);
	assert_int_equal(core_release(e->dev, &req, &e->diag), 0);
	core_pending_get(e->dev, 0, 0, &gi);
	assert_true(gi.dead);
	assert_int_equal(dc_count(e, 0), 1); /* no new record for a dead group */
	EXPECT_FAIL(e, accept_all(e, 0), CXLDCD_RC_INVALID_PA);
	assert_int_equal(reject(e, 0), 0);
	assert_int_equal(core_pending_count(e->dev, 0), 0);
	assert_int_equal(r.freed, 1);
	assert_int_equal(r.last_acc, 0);
}

static void test_response_error_codes(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_range rg[2];

	EXPECT_FAIL(e, reject(e, 0), CXLDCD_RC_INVALID_INPUT);
	EXPECT_FAIL(e, core_add_response(e->dev, 9, NULL, 0, false, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(add1(e, 0, 0, 8 * MiB, 0), 0);
	rg[0] = (struct cxldcd_range){ 0, 10 * MiB };
	EXPECT_FAIL(e, core_add_response(e->dev, 0, rg, 1, false, &e->diag), CXLDCD_RC_INVALID_PA);
	rg[0] = (struct cxldcd_range){ 16 * MiB, 2 * MiB };
	EXPECT_FAIL(e, core_add_response(e->dev, 0, rg, 1, false, &e->diag), CXLDCD_RC_INVALID_PA);
	rg[0] = (struct cxldcd_range){ 0, MiB };
	EXPECT_FAIL(e, core_add_response(e->dev, 0, rg, 1, false, &e->diag), CXLDCD_RC_INVALID_EXTENT_LIST);
	rg[0] = (struct cxldcd_range){ 0, 0 };
	EXPECT_FAIL(e, core_add_response(e->dev, 0, rg, 1, false, &e->diag), CXLDCD_RC_INVALID_EXTENT_LIST);
	rg[0] = (struct cxldcd_range){ 0, 4 * MiB };
	rg[1] = (struct cxldcd_range){ 2 * MiB, 4 * MiB };
	EXPECT_FAIL(e, core_add_response(e->dev, 0, rg, 2, false, &e->diag), CXLDCD_RC_INVALID_EXTENT_LIST);
}

static void few(struct cxldcd_dev_cfg *c)
{
	c->max_extents = 2;
}

static void test_response_split_beyond_tracking_is_resources_exhausted(void **state)
{
	struct tenv *e = tenv_new(few);
	struct cxldcd_range rg[3] = { { 0, 2 * MiB }, { 4 * MiB, 2 * MiB }, { 8 * MiB, 2 * MiB } };

	(void)state;
	assert_int_equal(add1(e, 0, 0, 10 * MiB, 0), 0);
	EXPECT_FAIL(e, core_add_response(e->dev, 0, rg, 3, false, &e->diag), CXLDCD_RC_RESOURCES_EXHAUSTED);
	assert_int_equal(core_add_response(e->dev, 0, rg, 2, false, &e->diag), 0);
	tenv_free(e);
}

static void test_response_more_chain_is_applied_on_the_last_part(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent x[2] = { { .dpa = 0, .len = 2 * MiB }, { .dpa = 4 * MiB, .len = 2 * MiB } };
	struct cxldcd_range a = { 0, 2 * MiB }, b = { 4 * MiB, 2 * MiB };

	assert_int_equal(add_ext(e, 0, x, 2), 0);
	assert_int_equal(core_add_response(e->dev, 0, &a, 1, true, &e->diag), 0);
	assert_int_equal(core_extent_count(e->dev, 0), 0);
	assert_int_equal(core_pending_count(e->dev, 0), 1);
	/* A 4803h in the middle of an open 4802h chain is refused. */
	EXPECT_FAIL(e, rel_dc(e, 0, 0, 2 * MiB), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(e->diag.reason, CORE_REASON_CHAIN_CONFLICT);
	assert_string_equal(core_reason_str(e->diag.reason), "chain-conflict");
	assert_int_equal(core_add_response(e->dev, 0, &b, 1, false, &e->diag), 0);
	assert_int_equal(core_extent_count(e->dev, 0), 2);
	/* Discarded chains leave nothing behind. */
	assert_int_equal(add1(e, 0, 8 * MiB, 2 * MiB, 0), 0);
	assert_int_equal(core_add_response(e->dev, 0, &a, 1, true, &e->diag), 0);
	core_staging_discard(e->dev, 0);
	assert_int_equal(accept_all(e, 0), 0);
	assert_int_equal(core_extent_count(e->dev, 0), 3);
}

static void test_response_answers_oldest_group_first(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_range b = { 4 * MiB, 2 * MiB };

	assert_int_equal(add1(e, 0, 0, 2 * MiB, 0), 0);
	assert_int_equal(add1(e, 0, 4 * MiB, 2 * MiB, 0), 0);
	/* Out of order: the range is not in the oldest group. */
	EXPECT_FAIL(e, core_add_response(e->dev, 0, &b, 1, false, &e->diag), CXLDCD_RC_INVALID_PA);
	assert_int_equal(reject(e, 0), 0);
	assert_int_equal(core_add_response(e->dev, 0, &b, 1, false, &e->diag), 0);
}

static void test_pending_groups_expire_on_tick(void **state)
{
	struct tenv *e;
	struct core_counts c;

	(void)state;
	e = tenv_new(NULL);
	core_dev_free(e->dev);
	e->cfg.pending_timeout_ms = 1000;
	assert_int_equal(core_dev_new(&e->cfg, &e->dev, NULL), 0);
	core_dev_set_time(e->dev, 1000000000ull);
	assert_int_equal(add1(e, 0, 0, 2 * MiB, 0), 0);
	assert_int_equal(core_tick(e->dev, 1500000000ull), 0);
	assert_int_equal(core_tick(e->dev, 2000000001ull), 1);
	assert_int_equal(core_pending_count(e->dev, 0), 0);
	core_counts_get(e->dev, &c);
	assert_int_equal(c.avail_extents, c.total_extents);
	assert_invariants(e->dev);
	tenv_free(e);
}

static void sharable1(struct cxldcd_dev_cfg *c)
{
	c->regions[1].sharable = true;
}

/*
 * One offer (one More chain) of two sharable tags, two extents each.  Linux
 * (v10+) answers per tag group: a group that fails its checks is left out
 * whole and the others are accepted.  Sharable capacity is all-or-nothing
 * per tag (CXL r3.2 §8.2.10.9.9.3/.4, the unit of release is the tag):
 * accepting all of tag 1 and none of tag 2 is a valid answer; part of a tag
 * is still Invalid Extent List.
 */
static void test_response_takes_whole_sharable_tags_of_a_chain(void **state)
{
	struct tenv *e = tenv_new(sharable1);
	struct cxldcd_extent x[4] = { { .dpa = 4 * GiB, .len = 2 * MiB },
				      { .dpa = 4 * GiB + 4 * MiB, .len = 2 * MiB, .shared_seq = 1 },
				      { .dpa = 4 * GiB + 8 * MiB, .len = 2 * MiB },
				      { .dpa = 4 * GiB + 12 * MiB, .len = 2 * MiB, .shared_seq = 1 } };
	struct cxldcd_range tag1[2] = { { 4 * GiB, 2 * MiB }, { 4 * GiB + 4 * MiB, 2 * MiB } };
	struct cxldcd_range part[3] = { tag1[0], tag1[1], { 4 * GiB + 8 * MiB, 2 * MiB } };
	struct cxldcd_extent got[2];
	uint32_t n;

	(void)state;
	tag_set(x[0].tag, 1);
	tag_set(x[1].tag, 1);
	tag_set(x[2].tag, 2);
	tag_set(x[3].tag, 2);
	assert_int_equal(add_ext(e, 0, x, 4), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_pending_count(e->dev, 0), 1);
	/* all of tag 1, half of tag 2: Invalid Extent List, nothing changes */
	assert_int_equal(core_add_response(e->dev, 0, part, 3, false, &e->diag),
			 CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(core_pending_count(e->dev, 0), 1);
	/* all of tag 1, none of tag 2: accepted */
	assert_int_equal(core_add_response(e->dev, 0, tag1, 2, false, &e->diag), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_pending_count(e->dev, 0), 0);
	assert_int_equal(core_extent_list(e->dev, 0, 0, 2, got, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].dpa, 4 * GiB);
	assert_int_equal(got[0].tag[15], 1);
	assert_int_equal(got[1].shared_seq, 1);
	assert_int_equal(core_extent_count(e->dev, 0), 2);
	assert_invariants(e->dev);
	tenv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_response_accepts_all_and_logs_fm_records),
		T(test_response_subrange_splits_and_frees_the_rest),
		T(test_response_empty_rejects_group_even_when_dead),
		T(test_response_error_codes),
		cmocka_unit_test(test_response_split_beyond_tracking_is_resources_exhausted),
		T(test_response_more_chain_is_applied_on_the_last_part),
		T(test_response_answers_oldest_group_first),
		cmocka_unit_test(test_pending_groups_expire_on_tick),
		cmocka_unit_test(test_response_takes_whole_sharable_tags_of_a_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
