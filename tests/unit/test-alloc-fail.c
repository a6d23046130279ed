/* SPDX-License-Identifier: MIT */
/*
 * test-alloc-fail.c - every operation, with its Nth allocation failing for
 * each N, answers Internal Error and leaves the model unchanged; with no
 * failure it succeeds.
 */
#include <errno.h>

#include "common.h"

#define R1 (4 * GiB)

static void sharable(struct cxldcd_dev_cfg *c)
{
	c->regions[1].sharable = true;
}

/* A device with some state: host 0 holds a split extent and a shared tag, host 1 a pending group. */
static struct tenv *populated(void)
{
	struct tenv *e = tenv_new(sharable);
	struct cxldcd_extent s = { .dpa = R1, .len = 4 * MiB };

	tag_set(s.tag, 7);
	assert_int_equal(add1(e, 0, 0, 8 * MiB, 1), 0);
	assert_int_equal(accept_all(e, 0), 0);
	assert_int_equal(add_ext(e, 0, &s, 1), 0);
	assert_int_equal(accept_all(e, 0), 0);
	assert_int_equal(add1(e, 1, 16 * MiB, 4 * MiB, 0), 0);
	return e;
}

typedef enum cxldcd_rc op_fn(struct tenv *e);

static enum cxldcd_rc op_add(struct tenv *e)
{
	struct cxldcd_extent x[2] = { { .dpa = 32 * MiB, .len = 2 * MiB }, { .dpa = 40 * MiB, .len = 2 * MiB } };

	tag_set(x[0].tag, 9);
	return add_ext(e, 0, x, 2);
}

static enum cxldcd_rc op_add_free(struct tenv *e)
{
	struct core_add_req req = { .host = 1, .policy = CXLDCD_ADD_FREE, .region = 0, .length = 64 * MiB };

	return core_add(e->dev, &req, NULL, &e->diag);
}

static enum cxldcd_rc op_esa(struct tenv *e)
{
	struct core_add_req req = { .host = 1, .policy = CXLDCD_ADD_ENABLE_SHARED };

	tag_set(req.tag, 7);
	return core_add(e->dev, &req, NULL, &e->diag);
}

static enum cxldcd_rc op_respond_split(struct tenv *e)
{
	struct cxldcd_range r[2] = { { 16 * MiB, 2 * MiB }, { 18 * MiB, 2 * MiB } };

	return core_add_response(e->dev, 1, r, 2, false, &e->diag);
}

static enum cxldcd_rc op_release_dc_split(struct tenv *e)
{
	return rel_dc(e, 0, 2 * MiB, 2 * MiB);
}

static enum cxldcd_rc op_forced(struct tenv *e)
{
	struct cxldcd_extent x[2] = { { .dpa = 2 * MiB, .len = 2 * MiB }, { .dpa = 16 * MiB, .len = 2 * MiB } };
	struct core_release_req req = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					.forced = true, .nr_extents = 1, .extents = x };

	return core_release(e->dev, &req, &e->diag);
}

static enum cxldcd_rc op_release_tag(struct tenv *e)
{
	struct core_release_req req = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED };

	tag_set(req.tag, 1);
	return core_release(e->dev, &req, &e->diag);
}

static void sweep(op_fn *op)
{
	for (uint64_t n = 1;; n++) {
		struct tenv *e = populated();
		uint64_t fp = fingerprint(e->dev);
		enum cxldcd_rc rc;

		e->ta.fail_at = e->ta.nr_allocs + n;
		rc = op(e);
		e->ta.fail_at = 0;
		assert_invariants(e->dev);
		if (rc == CXLDCD_RC_SUCCESS) {
			assert_true(n > 1); /* every op allocates something */
			tenv_free(e);
			return;
		}
		assert_int_equal(rc, CXLDCD_RC_INTERNAL_ERROR);
		assert_int_equal(e->diag.reason, CORE_REASON_NO_MEMORY);
		assert_true(fingerprint(e->dev) == fp);
		/* and the model still works afterwards */
		assert_int_equal(op(e), CXLDCD_RC_SUCCESS);
		assert_invariants(e->dev);
		tenv_free(e);
	}
}

static void test_add_out_of_memory_changes_nothing(void **s) { (void)s; sweep(op_add); }
static void test_free_add_out_of_memory_changes_nothing(void **s) { (void)s; sweep(op_add_free); }
static void test_shared_add_out_of_memory_changes_nothing(void **s) { (void)s; sweep(op_esa); }
static void test_response_out_of_memory_changes_nothing(void **s) { (void)s; sweep(op_respond_split); }
static void test_release_dc_out_of_memory_changes_nothing(void **s) { (void)s; sweep(op_release_dc_split); }
static void test_forced_release_out_of_memory_changes_nothing(void **s) { (void)s; sweep(op_forced); }
static void test_tag_release_out_of_memory_changes_nothing(void **s) { (void)s; sweep(op_release_tag); }

static void test_device_creation_out_of_memory_leaks_nothing(void **s)
{
	(void)s;
	for (uint64_t n = 1;; n++) {
		struct talloc ta;
		struct cxldcd_dev_cfg c;
		struct cxldcd_dev *dev;
		int ret;

		talloc_init(&ta);
		ta.fail_at = n;
		core_cfg_default(&c);
		c.alloc = &ta.ops;
		ret = core_dev_new(&c, &dev, NULL);
		if (!ret) {
			core_dev_free(dev);
			assert_int_equal(ta.live_bytes, 0);
			return;
		}
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(ta.live_bytes, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_out_of_memory_changes_nothing),
		cmocka_unit_test(test_free_add_out_of_memory_changes_nothing),
		cmocka_unit_test(test_shared_add_out_of_memory_changes_nothing),
		cmocka_unit_test(test_response_out_of_memory_changes_nothing),
		cmocka_unit_test(test_release_dc_out_of_memory_changes_nothing),
		cmocka_unit_test(test_forced_release_out_of_memory_changes_nothing),
		cmocka_unit_test(test_tag_release_out_of_memory_changes_nothing),
		cmocka_unit_test(test_device_creation_out_of_memory_leaks_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
