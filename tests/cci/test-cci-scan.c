/* SPDX-License-Identifier: MIT */
/*
 * test-cci-scan.c - the background operations of 43xxh/44xxh: Scan Media
 * (4303h-4305h) and its results, which outlive the other background
 * operations, and Sanitize (4400h) and Secure Erase (4401h).
 */
#include "memdev-util.h"

/* Scan Media in the background: status, progress with time, results, abort. */
static void test_scan_media(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x11], want[0x40] = { 0 };

	/* nothing ran yet */
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0x03);     /* Unsupported: no scan yet */
	assert_int_equal(core_poison_inject(f->dev, 0, 0x1000, 0x80, CORE_POISON_SRC_INJECTED, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 0, 0x30000000, 0x40, CORE_POISON_SRC_INJECTED,
					    NULL), 0);

	/* capabilities: 1 GiB at 64 MiB/ms = 16 ms */
	scan_in(in, 0, GIB / 64, 0);
	assert_int_equal(msg(f, f->mb[0], 0x4303, in, 0x10), 0);
	g32(want, 0, 16);
	expect_rsp(f, want, 4);
	scan_in(in, R0, 64 / 64, 0);            /* not the host's */
	assert_int_equal(msg(f, f->mb[0], 0x4303, in, 0x10), 0x0f);
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x0f);

	scan_in(in, 0, GIB / 64, 1);
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x01);     /* started */
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x06);     /* one at a time */
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0x06);
	core_dev_set_time(f->dev, NOW + 4000000);                       /* 4 of 16 ms */
	memset(want, 0, sizeof(want));
	g8(want, 0, 1 | (25 << 1));
	g16(want, 2, 0x4304);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	assert_int_equal(msg(f, f->mb[1], 0x0002, NULL, 0), 0);         /* per mailbox */
	assert_int_equal(f->out[0], 0);
	core_dev_set_time(f->dev, NOW + 16000000);
	g8(want, 0, 100 << 1);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	memset(want, 0, sizeof(want));
	g16(want, 0x12, 2);
	g64(want, 0x20, 0x1000 | 3);
	g32(want, 0x28, 2);
	g64(want, 0x30, 0x30000000 | 3);
	g32(want, 0x38, 1);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	expect_rsp(f, want, 0x40);

	/* abort at half: stopped, restart at the unscanned half, Aborted status */
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x01);
	core_dev_set_time(f->dev, NOW + 24000000);
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0);
	memset(want, 0, sizeof(want));
	g8(want, 0, 50 << 1);
	g16(want, 2, 0x4304);
	g16(want, 4, 0x12);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	memset(want, 0, sizeof(want));
	g64(want, 0x00, GIB / 2);
	g64(want, 0x08, GIB / 2 / 64);
	g8(want, 0x10, 0x02);
	g16(want, 0x12, 1);
	g64(want, 0x20, 0x1000 | 3);
	g32(want, 0x28, 2);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	expect_rsp(f, want, 0x30);
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0);         /* nothing running */
}

/*
 * Scan Media results stay until the next Scan Media (CXL r3.2 §8.2.10.9.4.5:
 * "Any previous Scan Media results are discarded by the device upon
 * receiving a new Scan Media command"), whatever other background operation
 * runs on the mailbox in between: 4305h answers Busy while it runs, then the
 * same bytes again (a stopped scan's restart range too), across a snapshot;
 * a new scan replaces them.  On the old code a Sanitize after the scan made
 * 4305h Unsupported ('0x3 != 0').
 */
static void test_scan_results_outlive_other_background_operations(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);
	uint8_t in[0x11], res[0x40], *a = NULL, *b = NULL;
	uint8_t spare[16] = { 2, 1, 0x02, 1, 2 };
	struct cxldcd_dev *d2;
	size_t nres, na, nb;
	uint64_t t = NOW;

	assert_int_equal(core_poison_inject(f->dev, 0, 0x1000, 0x80, CORE_POISON_SRC_INJECTED, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 0, 0x30000000, 0x40, CORE_POISON_SRC_INJECTED,
					    NULL), 0);
	/* a scan of the first 1 GiB, aborted at half: one record, restart at the half */
	scan_in(in, 0, GIB / 64, 0);
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x01);
	core_dev_set_time(f->dev, t += 8000000);
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	assert_int_equal(f->out[0x10], 0x02);                           /* stopped */
	nres = f->out_len;
	assert_int_equal(nres, 0x30);
	memcpy(res, f->out, nres);
	/* a memory sparing, then a Sanitize (which drops the poison itself) */
	assert_int_equal(msg(f, f->mb[0], 0x0600, spare, sizeof(spare)), 0x01);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0x06);      /* Busy meanwhile */
	core_dev_set_time(f->dev, t += 100000000);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	expect_rsp(f, res, nres);
	assert_int_equal(msg(f, f->mb[0], 0x4400, NULL, 0), 0x01);
	core_dev_set_time(f->dev, t += 1000000000);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	expect_rsp(f, res, nres);
	/* kept across a snapshot, byte for byte */
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na, NULL), 0);
	assert_int_equal(core_snapshot(d2, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	{
		struct core_scan_results r;

		assert_int_equal(core_scan_media_results(d2, 0, &r), 0);
		assert_true(r.stopped);
		assert_int_equal(r.restart_dpa, GIB / 2);
		assert_int_equal(r.nr, 1);
		assert_int_equal(r.rec[0].dpa, 0x1000);
	}
	core_dev_free(d2);
	free(a);
	free(b);
	/* a new scan replaces them: the Sanitize dropped the poison */
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x01);
	core_dev_set_time(f->dev, t += 16000000);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	assert_int_equal(f->out_len, 0x20);
	assert_int_equal(f->out[0x10], 0);
}

/* Sanitize / Secure Erase: the host's capacity loses its poison at once; others keep theirs. */
static void test_sanitize_and_secure_erase(void **state)
{
	struct fx *f = *state;
	uint8_t want[8] = { 0 }, in[0x11];

	give(f, 0, R0, 2 * MIB);
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	assert_int_equal(core_poison_inject(f->dev, 0, R0 + 0x1000, 64, CORE_POISON_SRC_INJECTED, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 1, R0 + 2 * MIB, 64, CORE_POISON_SRC_INJECTED, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 0, 0x1000, 64, CORE_POISON_SRC_INJECTED, NULL), 0);
	for (uint16_t h = 0; h < 2; h++) {
		struct cxldcd_event ev = { .length = 0x80 };

		assert_int_equal(core_evlog_inject(f->dev, h, CXLDCD_LOG_INFO, &ev), 0);
		assert_int_equal(core_evlog_inject(f->dev, h, CXLDCD_LOG_WARN, &ev), 0);
	}
	/* host 0 holds 1 GiB static + 2 MiB: 17 ms at 64 MiB/ms */
	assert_int_equal(msg(f, f->mb[0], 0x4400, NULL, 0), 0x01);
	/* §8.2.10.9.5.1: the event logs are deleted, the asking host's only */
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 0);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_WARN), 0);
	assert_int_equal(core_evlog_status_bits(f->dev, 0), 0);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 1);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_WARN), 1);
	{
		struct cxldcd_event ev = { .length = 0x80 };

		/* handles go on: the next record is not handle 1 again */
		struct core_evlog_status st;
		uint32_t n = 0;

		assert_int_equal(core_evlog_inject(f->dev, 0, CXLDCD_LOG_INFO, &ev), 0);
		assert_int_equal(core_evlog_get(f->dev, 0, CXLDCD_LOG_INFO, 1, &ev, &n, &st), 0);
		assert_int_equal(n, 1);
		assert_int_equal(ev.handle, 2);
	}
	assert_int_equal(core_poison_count(f->dev), 1);             /* host 1's is left */
	assert_true(core_poison_test(f->dev, R0 + 2 * MIB, 64));
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0x20);  /* cannot abort */
	scan_in(in, 0, 1, 0);
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x06);
	assert_int_equal(msg(f, f->mb[0], 0x4401, NULL, 0), 0x06);
	g8(want, 0, 1);
	g16(want, 2, 0x4400);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	core_dev_set_time(f->dev, NOW + 17000000);
	g8(want, 0, 100 << 1);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	/* Secure Erase is immediate: host 1's poison goes */
	assert_int_equal(msg(f, f->mb[1], 0x4401, NULL, 0), 0);
	assert_int_equal(f->out_len, 0);
	assert_int_equal(core_poison_count(f->dev), 0);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 0);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_WARN), 0);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 1);
	assert_int_equal(msg(f, f->mb[1], 0x0002, NULL, 0), 0);     /* not a background op */
	assert_int_equal(f->out[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan_media, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_results_outlive_other_background_operations,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sanitize_and_secure_erase, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
