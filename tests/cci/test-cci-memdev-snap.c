/* SPDX-License-Identifier: MIT */
/*
 * test-cci-memdev-snap.c - the memory-device state (poison, timestamp,
 * LSA, a running scan, each LD's timestamp and alerts) in the model's
 * snapshot: restored whole, a damaged section refused.
 */
#include "memdev-util.h"

/* The memory-device state is in the model's snapshot and comes back whole. */
static void test_snapshot_keeps_memdev_state(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev *d2;
	uint8_t *a = NULL, *b = NULL, *plain = NULL, in[0x11], ts[8], lsa[8 + 4];
	size_t na, nb, nplain;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);

	assert_int_equal(core_snapshot(f->dev, &plain, &nplain), 0);   /* nothing set: no section */
	assert_int_equal(core_poison_inject(f->dev, 0, 0x1000, 0x80, CORE_POISON_SRC_INJECTED, NULL), 0);
	g64(ts, 0, 12345);
	assert_int_equal(msg(f, f->mb[0], 0x0301, ts, 8), 0);
	g32(lsa, 0, 8);
	g32(lsa, 4, 0);
	memcpy(lsa + 8, "LSA!", 4);
	assert_int_equal(msg(f, f->mb[0], 0x4103, lsa, sizeof(lsa)), 0);
	scan_in(in, 0, GIB / 64, 0);
	assert_int_equal(msg(f, f->mb[1], 0x4304, in, 0x11), 0x01);
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	assert_true(na > nplain);
	assert_memory_equal(a + 8, plain + 8, 4);       /* same version: the section is appended */

	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na, NULL), 0);
	assert_int_equal(core_snapshot(d2, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	assert_int_equal(core_timestamp_get(d2, 0), 12345);
	assert_true(core_poison_test(d2, 0x1040, 1));
	assert_true(core_bg_busy(d2, 1));
	{
		uint8_t got[4];

		assert_int_equal(core_lsa_read(d2, CORE_OWNER_FM, 8, 4, got, NULL), 0);
		assert_memory_equal(got, "LSA!", 4);
	}
	core_dev_free(d2);
	/* a damaged section is refused */
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na - 1, NULL), -EINVAL);
	core_dev_free(d2);
	free(a);
	free(b);
	free(plain);
}

/*
 * Each LD's timestamp and alert configuration are in the snapshot: host 0's
 * and host 1's differ, and a restored device answers each host its own
 * (then snapshots to the same bytes); the same file cut short is refused.
 */
static void test_snapshot_keeps_each_lds_timestamp_and_alerts(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);
	uint8_t *a = NULL, *b = NULL, ts[8], al[0x0c] = { 0 };
	struct core_alert_cfg got;
	struct cxldcd_dev *d2;
	size_t na, nb;

	g64(ts, 0, 12345);
	assert_int_equal(msg(f, f->mb[0], 0x0301, ts, 8), 0);
	g64(ts, 0, 777);
	assert_int_equal(msg(f, f->mb[1], 0x0301, ts, 8), 0);
	g8(al, 0x00, 0x02);                     /* host 1: over-temperature warning at 60 C */
	g8(al, 0x01, 0x02);
	g16(al, 0x04, 60);
	assert_int_equal(msg(f, f->mb[1], 0x4202, al, sizeof(al)), 0);
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na, NULL), 0);
	assert_int_equal(core_timestamp_get(d2, 0), 12345);
	assert_int_equal(core_timestamp_get(d2, 1), 777);
	assert_int_equal(core_timestamp_get(d2, CORE_OWNER_FM), 0);
	core_alert_get(d2, 0, &got);
	assert_int_equal(got.enabled, 0);
	core_alert_get(d2, 1, &got);
	assert_int_equal(got.enabled, 0x02);
	assert_int_equal(got.over_temp_warn, 60);
	assert_int_equal(core_snapshot(d2, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	core_dev_free(d2);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na - 1, NULL), -EINVAL);
	core_dev_free(d2);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snapshot_keeps_memdev_state, setup_lsa, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_keeps_each_lds_timestamp_and_alerts, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
