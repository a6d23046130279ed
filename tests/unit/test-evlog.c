/* SPDX-License-Identifier: MIT */
/* test-evlog.c - event logs: handles, get/clear, overflow, interrupt policy. */
#include "common.h"

static void depth4(struct cxldcd_dev_cfg *c)
{
	c->evlog_depth = 4;
}

static int setup4(void **state)
{
	*state = tenv_new(depth4);
	return 0;
}

static struct cxldcd_event info_ev(void)
{
	struct cxldcd_event ev = { .length = 0x80 };

	ev.data[0] = 0x42;
	return ev;
}

struct rec {
	int logged, nonempty;
};

static void on_logged(void *o, uint16_t owner, uint8_t log, const struct cxldcd_event *ev)
{
	(void)owner;
	(void)log;
	(void)ev;
	((struct rec *)o)->logged++;
}

static void on_nonempty(void *o, uint16_t owner, uint8_t log)
{
	(void)owner;
	(void)log;
	((struct rec *)o)->nonempty++;
}

static const struct core_observer rec_ops = { .event_logged = on_logged, .log_nonempty = on_nonempty };

static void test_evlog_handles_timestamps_and_more(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_event ev = info_ev(), out[4];
	struct core_evlog_status st;
	struct rec r = { 0 };
	uint32_t n;

	core_observer_add(e->dev, &rec_ops, &r);
	core_dev_set_time(e->dev, 777);
	for (int i = 0; i < 3; i++)
		assert_int_equal(core_evlog_inject(e->dev, 1, CXLDCD_LOG_INFO, &ev), 0);
	assert_int_equal(r.logged, 3);
	assert_int_equal(r.nonempty, 1);
	assert_int_equal(core_evlog_get(e->dev, 1, CXLDCD_LOG_INFO, 2, out, &n, &st), 0);
	assert_int_equal(n, 2);
	assert_true(st.more);
	assert_int_equal(out[0].handle, 1);
	assert_int_equal(out[1].handle, 2);
	assert_true(out[0].timestamp_ns == 777);
	assert_int_equal(out[0].data[0], 0x42);
	assert_int_equal(core_evlog_status_bits(e->dev, 1), 1);
	assert_int_equal(core_evlog_get(e->dev, 1, 5, 2, out, &n, &st), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(core_evlog_get(e->dev, 7, 0, 2, out, &n, &st), CXLDCD_RC_INVALID_INPUT);
}

static void test_evlog_clear_must_follow_temporal_order(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_event ev = info_ev();
	uint16_t bad1[1] = { 2 }, bad0[1] = { 0 }, ok[2] = { 1, 2 }, many[5] = { 1, 2, 3, 4, 5 };

	for (int i = 0; i < 3; i++)
		core_evlog_inject(e->dev, 0, CXLDCD_LOG_WARN, &ev);
	EXPECT_FAIL(e, core_evlog_clear(e->dev, 0, CXLDCD_LOG_WARN, false, bad1, 1, &e->diag), CXLDCD_RC_INVALID_HANDLE);
	EXPECT_FAIL(e, core_evlog_clear(e->dev, 0, CXLDCD_LOG_WARN, false, bad0, 1, &e->diag), CXLDCD_RC_INVALID_HANDLE);
	EXPECT_FAIL(e, core_evlog_clear(e->dev, 0, CXLDCD_LOG_WARN, false, many, 5, &e->diag), CXLDCD_RC_INVALID_HANDLE);
	EXPECT_FAIL(e, core_evlog_clear(e->dev, 0, CXLDCD_LOG_WARN, true, NULL, 0, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(core_evlog_clear(e->dev, 0, CXLDCD_LOG_WARN, false, ok, 2, &e->diag), 0);
	assert_int_equal(core_evlog_count(e->dev, 0, CXLDCD_LOG_WARN), 1);
}

static void test_evlog_overflow_counts_and_clear_all(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_event ev = info_ev(), out[8];
	struct core_evlog_status st;
	uint16_t h1 = 1;
	uint32_t n;

	for (int i = 0; i < 6; i++) {
		core_dev_set_time(e->dev, (uint64_t)i * 10);
		core_evlog_inject(e->dev, CORE_OWNER_FM, CXLDCD_LOG_FAIL, &ev);
	}
	core_evlog_get(e->dev, CORE_OWNER_FM, CXLDCD_LOG_FAIL, 8, out, &n, &st);
	assert_int_equal(n, 4);
	assert_true(st.overflow);
	assert_int_equal(st.overflow_count, 2);
	assert_true(st.first_overflow_ns == 40 && st.last_overflow_ns == 50);
	assert_int_equal(out[3].handle, 4); /* the older records are kept */
	assert_int_equal(core_evlog_clear(e->dev, CORE_OWNER_FM, CXLDCD_LOG_FAIL, false, &h1, 1, NULL), 0);
	core_evlog_get(e->dev, CORE_OWNER_FM, CXLDCD_LOG_FAIL, 8, out, &n, &st);
	assert_false(st.overflow);
	for (int i = 0; i < 3; i++)
		core_evlog_inject(e->dev, CORE_OWNER_FM, CXLDCD_LOG_FAIL, &ev);
	assert_int_equal(core_evlog_clear(e->dev, CORE_OWNER_FM, CXLDCD_LOG_FAIL, true, NULL, 0, NULL), 0);
	assert_int_equal(core_evlog_count(e->dev, CORE_OWNER_FM, CXLDCD_LOG_FAIL), 0);
	core_evlog_inject(e->dev, CORE_OWNER_FM, CXLDCD_LOG_FAIL, &ev);
	core_evlog_get(e->dev, CORE_OWNER_FM, CXLDCD_LOG_FAIL, 8, out, &n, &st);
	assert_int_equal(out[0].handle, 6); /* handles never restart */
}

static void test_evlog_handles_skip_zero_on_wrap(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_event ev = info_ev(), out[1];
	uint32_t n;

	for (uint32_t i = 0; i < 65536; i++) {
		uint16_t h;

		core_evlog_inject(e->dev, 0, CXLDCD_LOG_FATAL, &ev);
		core_evlog_get(e->dev, 0, CXLDCD_LOG_FATAL, 1, out, &n, NULL);
		h = out[0].handle;
		assert_int_not_equal(h, 0);
		core_evlog_clear(e->dev, 0, CXLDCD_LOG_FATAL, false, &h, 1, NULL);
	}
	assert_int_equal(out[0].handle, 1);
}

static void test_irq_policy_rejects_reserved_modes(void **state)
{
	struct tenv *e = *state;
	uint8_t p[5] = { 1, 0, 0x11, 0, 1 }, got[5];

	assert_int_equal(core_irq_policy_set(e->dev, 0, p, 5, &e->diag), 0);
	core_irq_policy_get(e->dev, 0, got);
	assert_memory_equal(p, got, 5);
	p[4] = 2;
	EXPECT_FAIL(e, core_irq_policy_set(e->dev, 0, p, 5, &e->diag), CXLDCD_RC_INVALID_INPUT);
	p[4] = 1;
	p[0] = 3;
	EXPECT_FAIL(e, core_irq_policy_set(e->dev, 0, p, 5, &e->diag), CXLDCD_RC_INVALID_INPUT);
	p[0] = 2;
	assert_int_equal(core_irq_policy_set(e->dev, 0, p, 4, &e->diag), 0);
	core_irq_policy_get(e->dev, 0, got);
	assert_int_equal(got[4], 1);
	EXPECT_FAIL(e, core_irq_policy_set(e->dev, 0, p, 3, &e->diag), CXLDCD_RC_INVALID_INPUT);
}

static void test_region_reconfig_logs_to_every_host(void **state)
{
	struct tenv *e = *state;
	struct core_region_info ri;
	uint16_t h = 1;
	struct cxldcd_event ev = info_ev();

	assert_int_equal(core_region_set_config(e->dev, 0, 2 * MiB, false, &e->diag), 0);
	assert_int_equal(dc_count(e, 0), 0); /* no change, no event */
	EXPECT_FAIL(e, core_region_set_config(e->dev, 0, 4 * MiB, false, &e->diag), CXLDCD_RC_INVALID_INPUT);
	EXPECT_FAIL(e, core_region_set_config(e->dev, 9, 2 * MiB, false, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(add1(e, 0, 0, 2 * MiB, 0), 0);
	EXPECT_FAIL(e, core_region_set_config(e->dev, 0, GiB, false, &e->diag), CXLDCD_RC_UNSUPPORTED);
	assert_int_equal(reject(e, 0), 0);
	for (int i = 0; i < 4; i++)
		core_evlog_inject(e->dev, 1, CXLDCD_LOG_DC, &ev);
	EXPECT_FAIL(e, core_region_set_config(e->dev, 0, GiB, true, &e->diag), CXLDCD_RC_RETRY_REQUIRED);
	core_evlog_clear(e->dev, 1, CXLDCD_LOG_DC, false, &h, 1, NULL);
	assert_int_equal(core_region_set_config(e->dev, 0, GiB, true, &e->diag), 0);
	core_region_get(e->dev, 0, &ri);
	assert_true(ri.block_size == GiB && ri.sanitize_on_release);
	assert_int_equal(dc_rec(e, 0, 1).dc_type, CXLDCD_DC_EV_REGION_CONFIG_UPDATED);
	assert_int_equal(dc_rec(e, 1, 3).dc_region_index, 0);
	EXPECT_FAIL(e, add1(e, 0, 0, 2 * MiB, 0), CXLDCD_RC_INVALID_EXTENT_LIST);
}

static void depth100(struct cxldcd_dev_cfg *c)
{
	c->evlog_depth = 100;
}

static void depth_max(struct cxldcd_dev_cfg *c)
{
	c->evlog_depth = 65535;
}

/* A deep log costs nothing until used: rings are not allocated (and zeroed) up front. */
static void test_evlog_rings_are_not_allocated_up_front(void **state)
{
	struct tenv *shallow = tenv_new(depth4), *deep = tenv_new(depth_max);

	(void)state;
	assert_true(deep->ta.live_bytes - shallow->ta.live_bytes < 1024);
	tenv_free(shallow);
	tenv_free(deep);
}

/* Growing a ring whose records wrap keeps their order, handles and the depth limit. */
static void ring_grows_keeping_order(struct cxldcd_dev *dev)
{
	struct cxldcd_event ev = info_ev(), out[100];
	struct core_evlog_status st;
	uint16_t h[7];
	uint32_t n;

	for (int i = 0; i < 10; i++)
		assert_int_equal(core_evlog_inject(dev, 0, CXLDCD_LOG_INFO, &ev), 0);
	for (uint16_t i = 0; i < 7; i++)
		h[i] = (uint16_t)(i + 1);
	assert_int_equal(core_evlog_clear(dev, 0, CXLDCD_LOG_INFO, false, h, 7, NULL), 0);
	/* 3 left at slots 7..9: growing at 16, 32, 64 (and to 100, the depth) finds them wrapped */
	for (int i = 0; i < 97; i++)
		assert_int_equal(core_evlog_inject(dev, 0, CXLDCD_LOG_INFO, &ev), 0);
	assert_int_equal(core_evlog_get(dev, 0, CXLDCD_LOG_INFO, 100, out, &n, &st), 0);
	assert_int_equal(n, 100);
	assert_false(st.overflow);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(out[i].handle, 8 + i);
		assert_int_equal(out[i].data[0], 0x42);
	}
	/* full at the depth: the next record overflows */
	assert_int_equal(core_evlog_inject(dev, 0, CXLDCD_LOG_INFO, &ev), 0);
	assert_int_equal(core_evlog_get(dev, 0, CXLDCD_LOG_INFO, 100, out, &n, &st), 0);
	assert_int_equal(n, 100);
	assert_true(st.overflow);
	assert_int_equal(st.overflow_count, 1);
	/* cleared down to 40 at the back of the ring, then refilled: wrapped again, in order */
	for (uint16_t k = 0; k < 60; k++) {
		uint16_t one = (uint16_t)(8 + k);

		assert_int_equal(core_evlog_clear(dev, 0, CXLDCD_LOG_INFO, false, &one, 1, NULL), 0);
	}
	for (int i = 0; i < 60; i++)
		assert_int_equal(core_evlog_inject(dev, 0, CXLDCD_LOG_INFO, &ev), 0);
	assert_int_equal(core_evlog_get(dev, 0, CXLDCD_LOG_INFO, 100, out, &n, &st), 0);
	assert_int_equal(n, 100);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(out[i].handle, 68 + i);
}

/* Through the hook's realloc (the tests' allocator has one). */
static void test_evlog_ring_grows_keeping_order(void **state)
{
	struct tenv *e = tenv_new(depth100);

	(void)state;
	ring_grows_keeping_order(e->dev);
	tenv_free(e);
}

/* A hook without realloc: a new ring, the records copied, the old one freed. */
static void test_evlog_ring_grows_keeping_order_without_hook_realloc(void **state)
{
	struct tenv *e = tenv_new(depth100);
	struct cxldcd_dev *dev;
	struct cxldcd_dev_cfg cfg = e->cfg;
	struct cxldcd_allocator al = e->ta.ops;
	struct cxldcd_diag d;
	int64_t base = e->ta.live_bytes;

	(void)state;
	al.realloc = NULL;
	cfg.alloc = &al;
	assert_int_equal(core_dev_new(&cfg, &dev, &d), 0);
	ring_grows_keeping_order(dev);
	core_dev_free(dev);
	assert_int_equal(e->ta.live_bytes, base);
	tenv_free(e);
}

/* libc's realloc() (no hook). */
static void test_evlog_ring_grows_keeping_order_with_libc(void **state)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev;
	struct cxldcd_diag d;

	(void)state;
	core_cfg_default(&cfg);
	depth100(&cfg);
	assert_int_equal(core_dev_new(&cfg, &dev, &d), 0);
	ring_grows_keeping_order(dev);
	core_dev_free(dev);
}

/* A ring that cannot grow leaves the log as it was. */
static void test_evlog_growth_out_of_memory_changes_nothing(void **state)
{
	struct tenv *e = tenv_new(depth100);
	struct cxldcd_event ev = info_ev(), out[100];
	struct core_evlog_status st;
	uint32_t n;

	(void)state;
	for (int i = 0; i < 16; i++)
		assert_int_equal(core_evlog_inject(e->dev, 1, CXLDCD_LOG_WARN, &ev), 0);
	e->ta.fail_at = e->ta.nr_allocs + 1;
	assert_int_equal(core_evlog_inject(e->dev, 1, CXLDCD_LOG_WARN, &ev), CXLDCD_RC_INTERNAL_ERROR);
	e->ta.fail_at = 0;
	assert_int_equal(core_evlog_get(e->dev, 1, CXLDCD_LOG_WARN, 100, out, &n, &st), 0);
	assert_int_equal(n, 16);
	assert_false(st.overflow);
	assert_int_equal(out[15].handle, 16);
	assert_int_equal(core_evlog_inject(e->dev, 1, CXLDCD_LOG_WARN, &ev), 0);
	assert_int_equal(core_evlog_count(e->dev, 1, CXLDCD_LOG_WARN), 17);
	tenv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_evlog_handles_timestamps_and_more, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_evlog_clear_must_follow_temporal_order, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_evlog_overflow_counts_and_clear_all, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_evlog_handles_skip_zero_on_wrap, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_irq_policy_rejects_reserved_modes, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_region_reconfig_logs_to_every_host, setup4, teardown),
		cmocka_unit_test(test_evlog_rings_are_not_allocated_up_front),
		cmocka_unit_test(test_evlog_ring_grows_keeping_order),
		cmocka_unit_test(test_evlog_ring_grows_keeping_order_without_hook_realloc),
		cmocka_unit_test(test_evlog_ring_grows_keeping_order_with_libc),
		cmocka_unit_test(test_evlog_growth_out_of_memory_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
