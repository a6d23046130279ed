/* SPDX-License-Identifier: MIT */
/*
 * test-cci-poison.c - poison (4300h-4302h): the Get Poison List output
 * laid out from the spec tables at explicit offsets, a full list, poison
 * per DPA and per host on dynamic capacity, kept without a sanitize, and
 * the General Media Event Record an injection logs (a full log overflows).
 */
#include "memdev-util.h"

static void poison_list_in(uint8_t *in, uint64_t dpa, uint64_t units)
{
	g64(in, 0, dpa);
	g64(in, 8, units);
}

static void test_poison_golden(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x10], inj[8], clr[0x48] = { 0 }, want[0x20 + 2 * 0x10] = { 0 };

	g64(inj, 0, 0x1000 | 0x3f);             /* bits 5:0 reserved: ignored */
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	assert_int_equal(f->out_len, 0);
	g64(inj, 0, 0x1040);                    /* adjacent: one range of 128 bytes */
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	g64(inj, 0, 0x3000);
	assert_int_equal(msg(f, f->mb[1], 0x4301, inj, 8), 0);
	assert_int_equal(msg(f, f->mb[1], 0x4301, inj, 8), 0);  /* again: no change */
	assert_int_equal(core_poison_count(f->dev), 2);

	poison_list_in(in, 0, GIB / 64);
	g16(want, 0x0a, 2);
	g64(want, 0x20, 0x1000 | 3);            /* source 011b: injected */
	g32(want, 0x28, 2);                     /* 2 x 64 bytes */
	g64(want, 0x30, 0x3000 | 3);
	g32(want, 0x38, 1);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	expect_rsp(f, want, sizeof(want));
	/* a window clips records to itself */
	poison_list_in(in, 0x1040, 4);
	memset(want, 0, sizeof(want));
	g16(want, 0x0a, 1);
	g64(want, 0x20, 0x1040 | 3);
	g32(want, 0x28, 1);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	expect_rsp(f, want, 0x30);
	poison_list_in(in, 0xffffffffffffffc0ull, 2);   /* wraps */
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0x02);

	/* clear the first half of the first range */
	g64(clr, 0, 0x1000);
	memset(clr + 8, 0xa5, 64);
	assert_int_equal(msg(f, f->mb[1], 0x4302, clr, sizeof(clr)), 0);
	poison_list_in(in, 0x1000, 0x1000 / 64);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	expect_rsp(f, want, 0x30);
	/* beyond the static capacity and outside any accepted extent */
	g64(inj, 0, R0);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0x0f);
	g64(inj, 0, 100 * GIB);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0x0f);
	g64(clr, 0, R0);
	assert_int_equal(msg(f, f->mb[0], 0x4302, clr, sizeof(clr)), 0x0f);
	assert_int_equal(core_poison_count(f->dev), 2);
}

static void test_poison_list_full(void **state)
{
	struct fx *f = *state;
	uint8_t inj[8], in[0x10];

	for (uint32_t i = 0; i < CORE_POISON_MAX; i++) {
		g64(inj, 0, 0x10000 + 0x1000ull * i);
		assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	}
	g64(inj, 0, 0x10000 + 0x1000ull * CORE_POISON_MAX);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0x10);
	g64(inj, 0, 0x10040);                   /* joins an existing range: fine */
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	assert_int_equal(core_poison_count(f->dev), CORE_POISON_MAX);
	/* the 64 records fit a 2 KiB response: no More flag */
	poison_list_in(in, 0, GIB / 64);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(f->out[0], 0);
	assert_int_equal(r16(f->out, 0x0a), CORE_POISON_MAX);
	assert_int_equal(f->out_len, 0x20 + 0x10 * CORE_POISON_MAX);
	/* a 256-byte response limit: 14 records and More */
	assert_int_equal(msg(f, f->mb[0], 0x0004, (uint8_t[]){ 8 }, 1), 0);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(f->out[0], 0x01);
	assert_int_equal(r16(f->out, 0x0a), 14);
	assert_int_equal(f->out_len, 0x20 + 0x10 * 14);
}

static void test_poison_on_dynamic_capacity(void **state)
{
	struct fx *f = *state;
	uint8_t inj[8], in[0x10];
	struct core_poison p[4];
	bool more;

	give(f, 0, R0, 2 * MIB);
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	/* host 0 may poison its own extent, not host 1's */
	g64(inj, 0, R0 + 0x1000);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	g64(inj, 0, R0 + 2 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0x0f);
	/* the FM poisons across both hosts' extents */
	assert_int_equal(core_poison_inject(f->dev, CORE_OWNER_FM, R0 + 2 * MIB - 0x100, 0x200,
					    CORE_POISON_SRC_INJECTED, NULL), 0);
	/* each host sees only its own part */
	poison_list_in(in, R0, 4 * MIB / 64);
	assert_int_equal(msg(f, f->mb[1], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(r16(f->out, 0x0a), 1);
	assert_int_equal(r64(f->out, 0x20), (R0 + 2 * MIB) | 3);
	assert_int_equal(r32(f->out, 0x28), 0x100 / 64);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(r16(f->out, 0x0a), 2);
	assert_int_equal(r64(f->out, 0x20), (R0 + 0x1000) | 3);
	assert_int_equal(r64(f->out, 0x30), (R0 + 2 * MIB - 0x100) | 3);
	assert_int_equal(r32(f->out, 0x38), 0x100 / 64);
	/* the reads of a poisoned DPA are detectable */
	assert_true(core_poison_test(f->dev, R0 + 0x1000, 1));
	assert_false(core_poison_test(f->dev, R0 + 0x1040, 0x40));

	/* host 1 releases its extent: region 0 sanitizes on release -> clean */
	{
		struct cxldcd_range r = { R0 + 2 * MIB, 2 * MIB };

		assert_int_equal(core_release_dc(f->dev, 1, &r, 1, false, NULL), 0);
	}
	assert_int_equal(core_poison_list(f->dev, CORE_OWNER_FM, R0, 4 * MIB, p, 4, &more), 2);
	assert_int_equal(p[1].dpa, R0 + 2 * MIB - 0x100);
	assert_int_equal(p[1].len, 0x100);
	assert_int_equal(msg(f, f->mb[1], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(r16(f->out, 0x0a), 0);
	/* given again, the capacity is clean */
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	assert_int_equal(msg(f, f->mb[1], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(r16(f->out, 0x0a), 0);
}

static void test_poison_kept_without_sanitize(void **state)
{
	struct fx *f = *state;                  /* region 0 of the default fixture: no sanitize */
	struct cxldcd_range r = { R0, 2 * MIB };

	give(f, 0, R0, 2 * MIB);
	assert_int_equal(core_poison_inject(f->dev, 0, R0, 64, CORE_POISON_SRC_INJECTED, NULL), 0);
	assert_int_equal(core_release_dc(f->dev, 0, &r, 1, false, NULL), 0);
	assert_int_equal(core_poison_count(f->dev), 1);
	assert_true(core_poison_test(f->dev, R0, 64));
	give(f, 1, R0, 2 * MIB);                /* the next owner sees it */
	assert_int_equal(msg(f, f->mb[1], 0x4300,
			     (uint8_t[16]){ 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0x80 }, 16), 0);
	assert_int_equal(r16(f->out, 0x0a), 1);
}

static const uint8_t GM_UUID[16] = { 0xfb, 0xcd, 0x0a, 0x77, 0xc2, 0x60, 0x41, 0x7f,
				     0x85, 0xa9, 0x08, 0x8b, 0x16, 0x21, 0xeb, 0xa6 };

/* log_nonempty calls, per owner (hosts 0 and 1) and log: the event interrupts. */
static unsigned irqs[2][CXLDCD_NR_LOGS];

static void count_irq(void *opaque, uint16_t owner, uint8_t log)
{
	(void)opaque;
	if (owner < 2 && log < CXLDCD_NR_LOGS)
		irqs[owner][log]++;
}

/*
 * The General Media Event Record Inject Poison logs (CXL r3.2
 * §8.2.10.9.4.2, Table 8-57), as Get Event Records (0100h) returns it at
 * rec: written here byte by byte from the spec table.
 */
static void expect_poison_record(const uint8_t *rec, uint16_t handle, uint64_t dpa_field)
{
	uint8_t want[0x80] = { 0 };

	memcpy(want, GM_UUID, 16);
	g8(want, 0x10, 0x80);                   /* Event Record Length */
	g8(want, 0x11, 0x00);                   /* flags: severity Informational, nothing else */
	g16(want, 0x14, handle);
	g64(want, 0x18, NOW);                   /* timestamp: when it was injected */
	g64(want, 0x30, dpa_field);             /* Physical Address, bit 0 Volatile */
	g8(want, 0x38, 0x01);                   /* Memory Event Descriptor: Uncorrectable Event */
	g8(want, 0x39, 0x00);                   /* Memory Event Type: Media ECC Error */
	g8(want, 0x3a, 0x04);                   /* Transaction Type: Host Inject Poison */
	assert_bytes_equal(rec, want, sizeof(want));
}

/*
 * Inject Poison logs a poison creation event (CXL r3.2 §8.2.10.9.4.2: "the
 * device adds a poison creation event to its internal Informational Event
 * log"): one General Media Event Record, in the Informational log of every
 * host that can access the line, with the log's interrupt; none when the line
 * was poisoned already, none for Clear Poison or a refused injection.  On the
 * old code no record was logged (Event Record Count 0).
 */
static void test_inject_poison_logs_a_general_media_event(void **state)
{
	static const struct core_observer obs = { .log_nonempty = count_irq };
	struct fx *f = *state;
	uint8_t inj[8], clr[0x48] = { 0 }, info = CXLDCD_LOG_INFO;
	struct core_region_info r0;

	memset(irqs, 0, sizeof(irqs));
	assert_int_equal(core_observer_add(f->dev, &obs, NULL), 0);
	assert_int_equal(core_region_get(f->dev, 0, &r0), 0);
	give(f, 0, r0.base, 2 * MIB);

	/* static volatile capacity: every host's log, each with its interrupt */
	g64(inj, 0, 0x1000);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	for (unsigned h = 0; h < 2; h++) {
		assert_int_equal(msg(f, f->mb[h], 0x0100, &info, 1), 0);
		assert_int_equal(f->out_len, 0x20 + 0x80);
		assert_int_equal(r16(f->out, 0x14), 1);     /* Event Record Count */
		expect_poison_record(f->out + 0x20, 1, 0x1000 | 0x1);
		assert_int_equal(irqs[h][CXLDCD_LOG_INFO], 1);
	}
	/* the same line again: no new poison, no record */
	assert_int_equal(msg(f, f->mb[1], 0x4301, inj, 8), 0);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 1);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 1);
	/* static persistent capacity: Volatile clear */
	g64(inj, 0, GIB + 0x2000);
	assert_int_equal(msg(f, f->mb[1], 0x4301, inj, 8), 0);
	assert_int_equal(msg(f, f->mb[1], 0x0100, &info, 1), 0);
	assert_int_equal(r16(f->out, 0x14), 2);
	expect_poison_record(f->out + 0xa0, 2, GIB + 0x2000);
	/* host 0's extent (volatile region): host 0's log only */
	g64(inj, 0, r0.base + 0x40);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0100, &info, 1), 0);
	assert_int_equal(r16(f->out, 0x14), 3);
	expect_poison_record(f->out + 0x120, 3, (r0.base + 0x40) | 0x1);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 2);
	/* no record for a refused injection, nor for Clear Poison; no other log (DC: the add's) */
	g64(inj, 0, r0.base + 2 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0x0f);
	g64(clr, 0, 0x1000);
	assert_int_equal(msg(f, f->mb[0], 0x4302, clr, sizeof(clr)), 0);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 3);
	for (uint8_t log = CXLDCD_LOG_WARN; log < CXLDCD_LOG_DC; log++)
		assert_int_equal(core_evlog_count(f->dev, 0, log), 0);
	/* the interrupt is raised on the log's empty -> non-empty transition only */
	assert_int_equal(irqs[0][CXLDCD_LOG_INFO], 1);
	assert_int_equal(irqs[1][CXLDCD_LOG_INFO], 1);
}

/* A full log keeps the poison and counts the record as overflow (the log never overwrites). */
static void test_inject_poison_into_a_full_log_overflows(void **state)
{
	struct fx *f = *state;
	struct cxldcd_event ev = { .length = 0x80 };
	uint8_t inj[8], info = CXLDCD_LOG_INFO;

	for (uint32_t i = 0; i < 256; i++)
		assert_int_equal(core_evlog_inject(f->dev, 0, CXLDCD_LOG_INFO, &ev), 0);
	g64(inj, 0, 0x1000);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	assert_int_equal(core_poison_count(f->dev), 1);
	assert_int_equal(msg(f, f->mb[0], 0x0100, &info, 1), 0);
	assert_int_equal(f->out[0] & 0x01, 0x01);           /* Overflow */
	assert_int_equal(r16(f->out, 2), 1);                /* Overflow Error Count */
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_poison_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poison_list_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poison_on_dynamic_capacity, setup_lsa, teardown),
		cmocka_unit_test_setup_teardown(test_poison_kept_without_sanitize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_poison_logs_a_general_media_event,
						setup_pmem, teardown),
		cmocka_unit_test_setup_teardown(test_inject_poison_into_a_full_log_overflows, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
