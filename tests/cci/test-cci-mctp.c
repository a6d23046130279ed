/* SPDX-License-Identifier: MIT */
/*
 * test-cci-mctp.c - the Type 3 device's own MCTP-based CCI (CCI_MCTP):
 * every command cxldcd implements that the spec allows there answers (with
 * its own return code), every one the spec prohibits there answers
 * Unsupported Mailbox or CCI (15h).  Its background operations run in its
 * own slot and reach the whole device: Sanitize erases every host's
 * capacity, Scan Media sees every host's poison; the slot is snapshotted.
 */
#include "fixture.h"

#include "cci/memdev.h"

#define LSA_SIZE 0x400u

static struct cci_ctx *mc;

static int setup_mctp(void **state)
{
	struct cxldcd_dev_cfg cfg;
	struct fx *f;

	fx_cfg(&cfg);
	cfg.lsa_size = LSA_SIZE;
	setup_cfg(state, &cfg);
	f = *state;
	assert_int_equal(cci_ctx_new(f->dev, CCI_MCTP, 0, &mc), 0);
	return 0;
}

static int teardown_mctp(void **state)
{
	cci_ctx_free(mc);
	mc = NULL;
	return teardown(state);
}

struct req {
	uint16_t op;
	uint16_t rc;                /* what this request answers on the MCTP CCI */
	size_t n;
	uint8_t in[0x48];
};

/*
 * Allowed on the Type 3 MCTP CCI (not "P" in its column of CXL r3.2 Table
 * 8-49 / r3.1 Table 8-126) and implemented: one valid request each.
 */
static const struct req allowed[] = {
	{ 0x0001, 0x00, 0, { 0 } },
	{ 0x0002, 0x00, 0, { 0 } },
	{ 0x0003, 0x00, 0, { 0 } },
	{ 0x0004, 0x00, 1, { 10 } },
	{ 0x0005, 0x00, 0, { 0 } },
	{ 0x0100, 0x00, 1, { 0 } },
	{ 0x0101, 0x00, 6, { 0 } },             /* no handles: nothing to clear */
	{ 0x0200, 0x00, 0, { 0 } },
	{ 0x0300, 0x00, 0, { 0 } },
	{ 0x0301, 0x00, 8, { 0x40, 0x42 } },
	{ 0x0400, 0x00, 0, { 0 } },
	{ 0x0401, 0x00, 0x18, { 0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78, 0x8f, 0x79, 0x96,
				0xb1, 0x62, 0x3b, 0x3f, 0x17, 0, 0, 0, 0, 4 } },
	{ 0x0405, 0x00, 2, { 1, 0 } },
	{ 0x0500, 0x00, 8, { 8 } },
	{ 0x0501, 0x03, 0x15, { 0x5a, 0x5a, 0x5a } },   /* no such feature: Unsupported */
	{ 0x0502, 0x03, 0x20, { 0x5a, 0x5a, 0x5a } },
	{ 0x0600, 0x00, 2, { 0, 0 } },          /* class 00h: Success, nothing done (Table 8-49: O) */
	{ 0x4000, 0x00, 0, { 0 } },
	{ 0x4100, 0x00, 0, { 0 } },
	{ 0x4102, 0x00, 8, { 0, 0, 0, 0, 0x10 } },
	{ 0x4103, 0x00, 9, { 0x10, 0, 0, 0, 0, 0, 0, 0, 'x' } },
	{ 0x4200, 0x00, 0, { 0 } },
	{ 0x4201, 0x00, 0, { 0 } },
	{ 0x4202, 0x00, 0x0c, { 0 } },
	{ 0x4300, 0x00, 0x10, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ 0x4302, 0x00, 0x48, { 0, 0x10 } },    /* DPA 1000h, static capacity */
	{ 0x4303, 0x00, 0x10, { 0, 0, 0, 0, 0, 0, 0, 0, 0x10 } },
	{ 0x4304, 0x01, 0x11, { 0, 0, 0, 0, 0, 0, 0, 0, 0x10 } },
	{ 0x4305, 0x06, 0, { 0 } },             /* the scan runs: Busy */
	{ 0x4400, 0x06, 0, { 0 } },             /* one background operation per CCI */
	{ 0x4401, 0x06, 0, { 0 } },
	{ 0x4500, 0x00, 0, { 0 } },
	/* FM-API DCD Management: this endpoint takes it as 07h (its CEL lists it) */
	{ 0x5600, 0x00, 0, { 0 } },
	{ 0x5601, 0x00, 4, { 0, 0, 1, 0 } },
	{ 0x5602, 0x00, 0x10, { 0, 0, 0, 0, 0, 0, 0x20 } },                /* 2 MiB: unchanged */
	{ 0x5603, 0x00, 0x0c, { 0 } },
	{ 0x5604, 0x00, 0x20, { 0, 0, 0, 0, 0, 0, 0x20 } },                /* Free, 2 MiB */
	{ 0x5605, 0x02, 0x20, { 0, 0, 0, 0, 0, 0, 0x20 } },                /* no such tag */
	{ 0x5606, 0x02, 0x10, { 0x5a } },
	{ 0x5607, 0x02, 0x10, { 0x5a } },
	{ 0x5608, 0x00, 8, { 0 } },
};

/* Prohibited on the Type 3 MCTP CCI ("P"), or not this CCI's command set. */
static const struct req prohibited[] = {
	{ 0x0102, 0x15, 0, { 0 } },             /* MCTP uses 0104h/0105h instead */
	{ 0x0103, 0x15, 4, { 0 } },
	{ 0x4301, 0x15, 8, { 0, 0x10 } },       /* Inject Poison */
	{ 0x4402, 0x15, 0x0c, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8 } },   /* Media Operations */
	{ 0x4800, 0x15, 2, { 8 } },
	{ 0x4801, 0x15, 8, { 8 } },
	{ 0x4802, 0x15, 8, { 0 } },
	{ 0x4803, 0x15, 8, { 0 } },
	{ 0x4101, 0x03, 9, { 0 } },             /* not implemented anywhere: Unsupported */
	{ 0x0104, 0x03, 0, { 0 } },
};

static void test_each_allowed_command_answers_each_prohibited_one_15h(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		uint16_t rc = msg(f, mc, allowed[i].op, allowed[i].in, allowed[i].n);

		if (rc != allowed[i].rc)
			fail_msg("%04xh on the MCTP CCI: rc %02xh, want %02xh", allowed[i].op, rc,
				 allowed[i].rc);
	}
	for (size_t i = 0; i < sizeof(prohibited) / sizeof(prohibited[0]); i++) {
		uint16_t rc = msg(f, mc, prohibited[i].op, prohibited[i].in, prohibited[i].n);

		if (rc != prohibited[i].rc)
			fail_msg("%04xh on the MCTP CCI: rc %02xh, want %02xh", prohibited[i].op, rc,
				 prohibited[i].rc);
	}
	/* the same prohibited commands are served on a host mailbox */
	assert_int_equal(msg(f, f->mb[0], 0x0102, NULL, 0), 0);
	assert_int_equal(msg(f, f->mb[0], 0x4301, (uint8_t[8]){ 0, 0x10 }, 8), 0);
	/* the scan ends; then Sanitize, then Secure Erase once Sanitize is done */
	core_dev_set_time(f->dev, NOW + 1000000);
	assert_int_equal(msg(f, mc, 0x4305, NULL, 0), 0);
	assert_int_equal(msg(f, mc, 0x4400, NULL, 0), 0x01);
	assert_int_equal(msg(f, mc, 0x4401, NULL, 0), 0x06);
	core_dev_set_time(f->dev, NOW + 1000000000ull);
	assert_int_equal(msg(f, mc, 0x4401, NULL, 0), 0);
}

/* The CEL over MCTP lists exactly the allowed commands, with their effects. */
static void test_cel_is_the_allowed_set(void **state)
{
	static const uint16_t cel[][2] = {
		{ 0x0001, 0 }, { 0x0002, 0 }, { 0x0003, 0 }, { 0x0004, 0 }, { 0x0005, 0 },
		{ 0x0100, 0 }, { 0x0101, 0x10 }, { 0x0200, 0 }, { 0x0300, 0 }, { 0x0301, 0x8 },
		{ 0x0400, 0 }, { 0x0401, 0 }, { 0x0405, 0 }, { 0x0500, 0 }, { 0x0501, 0 },
		{ 0x0502, 0x2 }, { 0x0600, 0x152 }, { 0x4000, 0 }, { 0x4100, 0 }, { 0x4102, 0 },
		{ 0x4103, 0x6 },
		{ 0x4200, 0 },
		{ 0x4201, 0 }, { 0x4202, 0x8 }, { 0x4300, 0 }, { 0x4302, 0x4 }, { 0x4303, 0 },
		{ 0x4304, 0x140 }, { 0x4305, 0 }, { 0x4400, 0x64 }, { 0x4401, 0x24 },
		{ 0x4500, 0 },
		{ 0x5600, 0 }, { 0x5601, 0 }, { 0x5602, 0xe07 }, { 0x5603, 0 }, { 0x5604, 0xe07 },
		{ 0x5605, 0xe07 }, { 0x5606, 0xe03 }, { 0x5607, 0xe03 }, { 0x5608, 0 },
	};
	const size_t n = sizeof(cel) / sizeof(cel[0]);
	struct fx *f = *state;
	uint8_t in[0x18] = { 0 }, want[4 * 41] = { 0 };

	assert_int_equal(sizeof(allowed) / sizeof(allowed[0]), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(allowed[i].op, cel[i][0]);
		g16(want, 4 * i, cel[i][0]);
		g16(want, 4 * i + 2, cel[i][1]);
	}
	memcpy(in, CEL_UUID, 16);
	g32(in, 0x14, (uint32_t)(4 * n));
	assert_int_equal(msg(f, mc, 0x0401, in, sizeof(in)), 0);
	expect_rsp(f, want, 4 * n);
	assert_int_equal(msg(f, mc, 0x0400, NULL, 0), 0);
	assert_int_equal(r32(f->out, 0x18), 4 * n);
}

struct zero_log {
	uint16_t host[16];
	uint64_t dpa[16], len[16];
	unsigned n;
};

static void on_zero(void *opaque, uint16_t host, uint64_t dpa, uint64_t len)
{
	struct zero_log *l = opaque;

	assert_true(l->n < 16);
	l->host[l->n] = host;
	l->dpa[l->n] = dpa;
	l->len[l->n++] = len;
}

static const struct core_observer zero_obs = { .media_sanitized = on_zero };

static void range_in(uint8_t *in, uint64_t dpa, uint64_t len)
{
	g64(in, 0, dpa);
	g64(in, 8, len / 64);
	g8(in, 0x10, 0);
}

/* Sanitize over MCTP: the whole device, in the MCTP CCI's own background slot. */
static void test_sanitize_is_the_whole_device(void **state)
{
	struct fx *f = *state;
	struct zero_log log = { 0 };
	uint8_t in[0x11], want[8] = { 0 };
	bool h0 = false, h1 = false;

	assert_int_equal(core_observer_add(f->dev, &zero_obs, &log), 0);
	give(f, 0, R0, 2 * MIB);
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	assert_int_equal(core_poison_inject(f->dev, 0, R0 + 0x1000, 64, 3, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 1, R0 + 2 * MIB, 64, 3, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 0, 0x1000, 64, 3, NULL), 0);
	/* Get Poison List over MCTP: every host's poison; a host sees its own */
	range_in(in, 0, R0 + 4 * MIB);
	assert_int_equal(msg(f, mc, 0x4300, in, 0x10), 0);
	assert_int_equal(r16(f->out, 0x0a), 3);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, 0x10), 0);
	assert_int_equal(r16(f->out, 0x0a), 2);

	for (uint16_t o = 0; o < 3; o++) {
		struct cxldcd_event ev = { .length = 0x80 };

		assert_int_equal(core_evlog_inject(f->dev, o < 2 ? o : CORE_OWNER_FM, CXLDCD_LOG_FAIL, &ev), 0);
	}
	assert_int_equal(msg(f, mc, 0x4400, NULL, 0), 0x01);
	assert_int_equal(core_poison_count(f->dev), 0);
	/* the whole device: every owner's event logs are deleted (§8.2.10.9.5.1) */
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_FAIL), 0);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_FAIL), 0);
	assert_int_equal(core_evlog_count(f->dev, CORE_OWNER_FM, CXLDCD_LOG_FAIL), 0);
	for (unsigned i = 0; i < log.n; i++) {
		h0 |= log.host[i] == 0 && log.dpa[i] == R0 && log.len[i] == 2 * MIB;
		h1 |= log.host[i] == 1 && log.dpa[i] == R0 + 2 * MIB && log.len[i] == 2 * MIB;
	}
	assert_true(h0 && h1);
	g8(want, 0, 0x01);
	g16(want, 2, 0x4400);
	assert_int_equal(msg(f, mc, 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	assert_int_equal(msg(f, mc, 0x0005, NULL, 0), 0x20);
	/* a host's mailbox is another CCI: idle, and free to start its own */
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, (uint8_t[8]){ 0 }, 8);
	range_in(in, R0, 2 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x01);
	/* 2 GiB static (seen by each host) + 4 MiB at 64 MiB/ms: 33 ms */
	core_dev_set_time(f->dev, NOW + 32000000);
	assert_int_equal(msg(f, mc, 0x0002, NULL, 0), 0);
	assert_int_equal(f->out[0], 0x01 | (96 << 1));
	core_dev_set_time(f->dev, NOW + 33000000);
	assert_int_equal(msg(f, mc, 0x0002, NULL, 0), 0);
	assert_int_equal(f->out[0], 100 << 1);
}

/* Scan Media over MCTP: any DPA the device decodes, every host's poison in the results. */
static void test_scan_media_sees_every_host(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x11];

	give(f, 0, R0, 2 * MIB);
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	assert_int_equal(core_poison_inject(f->dev, 0, R0 + 0x1000, 64, 3, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 1, R0 + 2 * MIB, 64, 3, NULL), 0);
	range_in(in, R0, 4 * MIB);
	assert_int_equal(msg(f, mc, 0x4303, in, 0x10), 0);
	expect_rsp(f, ((uint8_t[4]){ 1, 0, 0, 0 }), 4);
	assert_int_equal(msg(f, mc, 0x4304, in, 0x11), 0x01);
	core_dev_set_time(f->dev, NOW + 1000000);
	assert_int_equal(msg(f, mc, 0x4305, NULL, 0), 0);
	assert_int_equal(r16(f->out, 0x12), 2);
	assert_int_equal(r64(f->out, 0x20), (R0 + 0x1000) | 3);
	assert_int_equal(r64(f->out, 0x30), (R0 + 2 * MIB) | 3);
	/* nobody's capacity in region 1 is still the device's; past the regions is not */
	range_in(in, R1, 2 * MIB);
	assert_int_equal(msg(f, mc, 0x4304, in, 0x11), 0x01);
	range_in(in, R1 + 4 * GIB, 64);
	assert_int_equal(msg(f, mc, 0x4303, in, 0x10), 0x0f);
}

/* The MCTP CCI's background operation is in the model's snapshot. */
static void test_snapshot_keeps_its_background_op(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev *d2;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);
	uint8_t *a = NULL, *b = NULL, in[0x11];
	size_t na, nb;

	range_in(in, 0, GIB);
	assert_int_equal(msg(f, mc, 0x4304, in, 0x11), 0x01);
	assert_true(core_bg_busy(f->dev, CORE_OWNER_FM));
	assert_false(core_bg_busy(f->dev, 0));
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na, NULL), 0);
	assert_true(core_bg_busy(d2, CORE_OWNER_FM));
	assert_false(core_bg_busy(d2, 0));
	assert_int_equal(core_snapshot(d2, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	core_dev_free(d2);
	free(a);
	free(b);
}

/* The device's features over MCTP: the same list and the same values as on a host mailbox. */
static void test_features_are_the_devices(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x15] = { 0 }, mb[BUF];
	size_t n;

	g32(in, 0, 0x100);                      /* Count: room for every entry */
	assert_int_equal(msg(f, f->mb[0], 0x0500, in, 8), 0);
	n = f->out_len;
	memcpy(mb, f->out, n);
	assert_true(n >= 8 + 0x30 && r16(mb, 2) > 0);   /* some features, an entry at least */
	assert_int_equal(msg(f, mc, 0x0500, in, 8), 0);
	expect_rsp(f, mb, n);
	/* Get Feature of the first one (Current value), all of it */
	memcpy(in, mb + 8, 16);                 /* Feature Identifier */
	g16(in, 0x10, 0);                       /* Offset */
	g16(in, 0x12, r16(mb, 8 + 0x12));       /* Count = Get Feature Size */
	g8(in, 0x14, 0);                        /* Selection: Current */
	assert_int_equal(msg(f, f->mb[0], 0x0501, in, sizeof(in)), 0);
	n = f->out_len;
	memcpy(mb, f->out, n);
	assert_true(n > 0);
	assert_int_equal(msg(f, mc, 0x0501, in, sizeof(in)), 0);
	expect_rsp(f, mb, n);
}

/* Without an LSA (lsa_size 0), Get LSA over MCTP is Invalid Input, as on a mailbox. */
static void test_no_lsa_is_invalid_input_as_on_a_mailbox(void **state)
{
	struct fx *f = *state;
	struct cci_ctx *m;
	uint8_t in[8] = { 0, 0, 0, 0, 0x10 };

	assert_int_equal(cci_ctx_new(f->dev, CCI_MCTP, 0, &m), 0);
	assert_int_equal(msg(f, m, 0x4102, in, 8), 0x02);
	assert_int_equal(msg(f, f->mb[0], 0x4102, in, 8), 0x02);
	cci_ctx_free(m);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_mctp, teardown_mctp)
	const struct CMUnitTest tests[] = {
		T(test_each_allowed_command_answers_each_prohibited_one_15h),
		T(test_cel_is_the_allowed_set),
		T(test_sanitize_is_the_whole_device),
		T(test_scan_media_sees_every_host),
		T(test_snapshot_keeps_its_background_op),
		T(test_features_are_the_devices),
		cmocka_unit_test_setup_teardown(test_no_lsa_is_invalid_input_as_on_a_mailbox, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
