/* SPDX-License-Identifier: MIT */
/* test-release.c - 5605h (initiate release) and 4803h (release) in the model. */
#include "common.h"

struct rec {
	int released, revoked, freed, sanitized;
	int order[16];
	int n;
};

static void on_rel(void *o, const struct core_extent_info *x)
{
	struct rec *r = o;

	(void)x;
	r->released++;
	r->order[r->n++ & 15] = 1;
}

static void on_rev(void *o, const struct core_extent_info *x)
{
	struct rec *r = o;

	(void)x;
	r->revoked++;
	r->order[r->n++ & 15] = 2;
}

static void on_freed(void *o, const struct core_extent_info *x)
{
	struct rec *r = o;

	r->freed++;
	r->sanitized += x->sanitize;
	r->order[r->n++ & 15] = 3;
}

static const struct core_observer rec_ops = { .extent_released = on_rel, .extent_revoked = on_rev,
					      .capacity_freed = on_freed };

/* host 0 holds [0, 8 MiB) as two extents of 4 MiB, tagged 1. */
static void two(struct tenv *e)
{
	struct cxldcd_extent x[2] = { { .dpa = 0, .len = 4 * MiB }, { .dpa = 4 * MiB, .len = 4 * MiB } };

	tag_set(x[0].tag, 1);
	tag_set(x[1].tag, 1);
	assert_int_equal(add_ext(e, 0, x, 2), 0);
	assert_int_equal(accept_all(e, 0), 0);
	drain(e, 0);
	drain(e, CORE_OWNER_FM);
}

static void test_release_request_logs_records_with_tag_and_marks_pending(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent x = { .dpa = 2 * MiB, .len = 4 * MiB };
	struct core_release_req req = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					.nr_extents = 1, .extents = &x };
	struct core_extent_info xi[2];
	uint32_t n, gen;
	uint8_t tag[16];

	two(e);
	tag_set(tag, 1);
	gen = core_extent_generation(e->dev, 0);
	assert_int_equal(core_release(e->dev, &req, &e->diag), 0);
	assert_int_equal(dc_count(e, 0), 2);
	assert_int_equal(dc_rec(e, 0, 0).dc_type, CXLDCD_DC_EV_RELEASE_CAPACITY);
	assert_int_equal(dc_rec(e, 0, 0).dc_extent.tag[15], 1);
	assert_true(dc_rec(e, 0, 0).dc_extent.dpa == 2 * MiB);
	assert_true(dc_rec(e, 0, 0).dc_extent.len == 2 * MiB);
	assert_int_equal(dc_rec(e, 0, 0).dc_flags & 1, 1);
	assert_int_equal(dc_rec(e, 0, 1).dc_flags & 1, 0);
	assert_int_equal(core_extent_generation(e->dev, 0), gen);
	core_extent_list_info(e->dev, 0, 0, 2, xi, &n);
	assert_true(xi[0].release_pending && xi[1].release_pending);
	assert_int_equal(core_tag_status(e->dev, 0, -1, tag), CORE_TAG_RELEASE_PENDING);
}

static void test_release_dc_partial_superset_and_split(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent l[4];
	struct rec r = { 0 };
	uint32_t n, gen;
	uint8_t tag[16];

	two(e);
	tag_set(tag, 1);
	core_observer_add(e->dev, &rec_ops, &r);
	gen = core_extent_generation(e->dev, 0);
	/* Superset over both extents, leaving a head and a tail: split into two. */
	assert_int_equal(rel_dc(e, 0, 2 * MiB, 4 * MiB), 0);
	core_extent_list(e->dev, 0, 0, 4, l, &n);
	assert_int_equal(n, 2);
	assert_true(l[0].dpa == 0 && l[0].len == 2 * MiB);
	assert_true(l[1].dpa == 6 * MiB && l[1].len == 2 * MiB);
	assert_int_equal(core_extent_generation(e->dev, 0), gen + 1);
	assert_int_equal(r.released, 2);
	assert_int_equal(r.freed, 2);
	assert_int_equal(r.order[0], 1);
	assert_int_equal(dc_count(e, CORE_OWNER_FM), 2);
	assert_int_equal(dc_rec(e, CORE_OWNER_FM, 0).dc_type, CXLDCD_DC_EV_CAPACITY_RELEASED);
	/* Middle of an extent: one becomes two. */
	assert_int_equal(add1(e, 1, 16 * MiB, 6 * MiB, 0), 0);
	assert_int_equal(accept_all(e, 1), 0);
	assert_int_equal(rel_dc(e, 1, 18 * MiB, 2 * MiB), 0);
	assert_int_equal(core_extent_count(e->dev, 1), 2);
	/* Gaps, other hosts' extents and already released ranges: Invalid PA. */
	EXPECT_FAIL(e, rel_dc(e, 0, 0, 8 * MiB), CXLDCD_RC_INVALID_PA);
	EXPECT_FAIL(e, rel_dc(e, 0, 16 * MiB, 2 * MiB), CXLDCD_RC_INVALID_PA);
	EXPECT_FAIL(e, rel_dc(e, 0, 2 * MiB, 2 * MiB), CXLDCD_RC_INVALID_PA);
	EXPECT_FAIL(e, rel_dc(e, 0, 0, MiB), CXLDCD_RC_INVALID_EXTENT_LIST);
	EXPECT_FAIL(e, core_release_dc(e->dev, 0, NULL, 0, false, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(rel_dc(e, 0, 0, 2 * MiB), 0);
	assert_int_equal(rel_dc(e, 0, 6 * MiB, 2 * MiB), 0);
	assert_int_equal(core_tag_status(e->dev, 0, -1, tag), CORE_TAG_RELEASED);
	assert_invariants(e->dev);
}

static void test_release_dc_of_pending_capacity_is_invalid_pa(void **state)
{
	struct tenv *e = *state;

	assert_int_equal(add1(e, 0, 0, 2 * MiB, 0), 0);
	EXPECT_FAIL(e, rel_dc(e, 0, 0, 2 * MiB), CXLDCD_RC_INVALID_PA);
}

static void test_release_errors_leave_state_unchanged(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent x = { .dpa = 16 * MiB, .len = 2 * MiB };
	struct core_release_req req = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					.nr_extents = 1, .extents = &x };

	two(e);
	EXPECT_FAIL(e, core_release(e->dev, &req, &e->diag), CXLDCD_RC_INVALID_EXTENT_LIST);
	req.nr_extents = 0;
	EXPECT_FAIL(e, core_release(e->dev, &req, &e->diag), CXLDCD_RC_INVALID_EXTENT_LIST);
	req.nr_extents = 1;
	req.host = 5;
	EXPECT_FAIL(e, core_release(e->dev, &req, &e->diag), CXLDCD_RC_INVALID_INPUT);
	req.host = 0;
	req.policy = (enum cxldcd_release_policy)4;
	EXPECT_FAIL(e, core_release(e->dev, &req, &e->diag), CXLDCD_RC_INVALID_INPUT);
	/* Pending capacity without force: Invalid PA. */
	assert_int_equal(add1(e, 0, 16 * MiB, 2 * MiB, 0), 0);
	req.policy = CXLDCD_RELEASE_PRESCRIPTIVE;
	EXPECT_FAIL(e, core_release(e->dev, &req, &e->diag), CXLDCD_RC_INVALID_PA);
}

static void test_release_tag_based_length_rules(void **state)
{
	struct tenv *e = *state;
	struct core_release_req req = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED };

	two(e);
	tag_set(req.tag, 2);
	EXPECT_FAIL(e, core_release(e->dev, &req, &e->diag), CXLDCD_RC_INVALID_INPUT);
	tag_set(req.tag, 1);
	req.length = 10 * MiB;
	EXPECT_FAIL(e, core_release(e->dev, &req, &e->diag), CXLDCD_RC_RESOURCES_EXHAUSTED);
	req.length = 4 * MiB;
	EXPECT_FAIL(e, core_release(e->dev, &req, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_non_null(strstr(e->diag.text, "whole tag"));
	req.host = 1;
	req.length = 0;
	EXPECT_FAIL(e, core_release(e->dev, &req, &e->diag), CXLDCD_RC_INVALID_INPUT);
	req.host = 0;
	req.length = 8 * MiB;
	assert_int_equal(core_release(e->dev, &req, &e->diag), 0);
	assert_int_equal(dc_count(e, 0), 2);
}

static void small_log(struct cxldcd_dev_cfg *c)
{
	c->evlog_depth = 3;
	c->regions[0].sanitize_on_release = true;
}

static void test_release_full_log_retry_but_forced_always_proceeds(void **state)
{
	struct tenv *e = tenv_new(small_log);
	struct core_release_req req = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED };
	struct rec r = { 0 };
	struct core_evlog_status st;
	struct cxldcd_event ev[4];
	uint32_t n;

	(void)state;
	two(e);
	tag_set(req.tag, 1);
	core_observer_add(e->dev, &rec_ops, &r);
	assert_int_equal(add1(e, 0, 16 * MiB, 2 * MiB, 0), 0);
	assert_int_equal(add1(e, 0, 20 * MiB, 2 * MiB, 0), 0);
	EXPECT_FAIL(e, core_release(e->dev, &req, &e->diag), CXLDCD_RC_RETRY_REQUIRED);
	req.forced = true;
	assert_int_equal(core_release(e->dev, &req, &e->diag), 0);
	assert_int_equal(core_extent_count(e->dev, 0), 0);
	assert_int_equal(r.revoked, 2);
	assert_int_equal(r.freed, 2);
	assert_int_equal(r.sanitized, 2);
	assert_int_equal(r.order[0], 2);
	core_evlog_get(e->dev, 0, CXLDCD_LOG_DC, 4, ev, &n, &st);
	assert_int_equal(n, 3);
	assert_true(st.overflow);
	assert_int_equal(st.overflow_count, 1);
	assert_int_equal(ev[2].dc_type, CXLDCD_DC_EV_FORCED_RELEASE);
	assert_invariants(e->dev);
	tenv_free(e);
}

static void test_release_forced_split_and_dead_group(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent x = { .dpa = 2 * MiB, .len = 2 * MiB };
	struct core_release_req req = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					.forced = true, .sanitize = true, .nr_extents = 1, .extents = &x };
	struct rec r = { 0 };
	struct core_counts c;

	two(e);
	core_observer_add(e->dev, &rec_ops, &r);
	assert_int_equal(core_release(e->dev, &req, &e->diag), 0);
	assert_int_equal(core_extent_count(e->dev, 0), 2);
	assert_int_equal(r.sanitized, 1);
	assert_int_equal(dc_count(e, 0), 1);
	assert_int_equal(dc_rec(e, 0, 0).dc_type, CXLDCD_DC_EV_FORCED_RELEASE);
	/* Forced release covering pending capacity kills the group. */
	assert_int_equal(add1(e, 0, 16 * MiB, 2 * MiB, 0), 0);
	x.dpa = 16 * MiB;
	assert_int_equal(core_release(e->dev, &req, &e->diag), 0);
	core_counts_get(e->dev, &c);
	assert_int_equal(c.avail_extents, 65536 - 3);
	assert_int_equal(reject(e, 0), 0);
	core_counts_get(e->dev, &c);
	assert_int_equal(c.avail_extents, 65536 - 2);
	assert_invariants(e->dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_release_request_logs_records_with_tag_and_marks_pending),
		T(test_release_dc_partial_superset_and_split),
		T(test_release_dc_of_pending_capacity_is_invalid_pa),
		T(test_release_errors_leave_state_unchanged),
		T(test_release_tag_based_length_rules),
		cmocka_unit_test(test_release_full_log_retry_but_forced_always_proceeds),
		T(test_release_forced_split_and_dead_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
