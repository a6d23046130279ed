/* SPDX-License-Identifier: MIT */
/*
 * test-cci-media-ops.c - Media Operations (4402h, CXL r3.2 §8.2.10.9.5.3):
 * the Discovery output byte for byte, Sanitize and Zero on the host's DPA
 * ranges (data zeroed through the media_sanitized hook, poison dropped, a
 * background operation that cannot be aborted), and every error: bad
 * class/subclass, unaligned or empty ranges, ranges the host cannot reach,
 * list and payload lengths, Busy.  A refused request changes nothing.  An
 * erase the daemon answered Internal Error ends with it (0002h).
 */
#include "fixture.h"

#include "cci/memdev.h"

#define OP 0x4402

struct zeroed {
	uint16_t host;
	uint64_t dpa, len;
};

struct zero_log {
	struct zeroed z[16];
	unsigned n;
};

static void on_zero(void *opaque, uint16_t host, uint64_t dpa, uint64_t len)
{
	struct zero_log *l = opaque;

	assert_true(l->n < 16);
	l->z[l->n++] = (struct zeroed){ host, dpa, len };
}

static const struct core_observer zero_obs = { .media_sanitized = on_zero };

/* Header at explicit offsets (Table 8-147): class, subclass, reserved, range count. */
static size_t hdr(uint8_t *in, uint8_t cls, uint8_t sub, uint32_t count)
{
	memset(in, 0, 8);
	g8(in, 0x00, cls);
	g8(in, 0x01, sub);
	g32(in, 0x04, count);
	return 8;
}

static size_t range(uint8_t *in, size_t off, uint64_t dpa, uint64_t len)
{
	g64(in, off, dpa);
	g64(in, off + 8, len);
	return off + 0x10;
}

static void inject(struct fx *f, uint16_t host, uint64_t dpa)
{
	assert_int_equal(core_poison_inject(f->dev, host, dpa, 64, CORE_POISON_SRC_INJECTED, NULL), 0);
}

static void test_discovery_golden(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x20], want[0x10] = { 0 };
	size_t n = hdr(in, 0, 0, 0);

	g16(in, 0x08, 0);                       /* Start Index */
	g16(in, 0x0a, 8);                       /* Number of Supported Operations */
	g64(want, 0x00, 0x40);                  /* DPA Range Granularity: 64 bytes */
	g16(want, 0x08, 2);                     /* Total: Sanitize/Sanitize, Sanitize/Zero */
	g16(want, 0x0a, 2);                     /* returned */
	g8(want, 0x0c, 0x01);
	g8(want, 0x0d, 0x00);
	g8(want, 0x0e, 0x01);
	g8(want, 0x0f, 0x01);
	assert_int_equal(msg(f, f->mb[0], OP, in, n + 4), 0);
	expect_rsp(f, want, 0x10);
	/* reserved bytes 02h-03h are ignored */
	g8(in, 0x02, 0xff);
	g8(in, 0x03, 0xff);
	assert_int_equal(msg(f, f->mb[0], OP, in, n + 4), 0);
	expect_rsp(f, want, 0x10);
	/* from index 1, at most 8: the Zero entry */
	g16(in, 0x08, 1);
	g16(want, 0x0a, 1);
	g8(want, 0x0c, 0x01);
	g8(want, 0x0d, 0x01);
	assert_int_equal(msg(f, f->mb[0], OP, in, n + 4), 0);
	expect_rsp(f, want, 0x0e);
	/* at the end of the list: none; past it: Invalid Input */
	g16(in, 0x08, 2);
	g16(want, 0x0a, 0);
	assert_int_equal(msg(f, f->mb[0], OP, in, n + 4), 0);
	expect_rsp(f, want, 0x0c);
	g16(in, 0x08, 3);
	assert_int_equal(msg(f, f->mb[0], OP, in, n + 4), 0x02);
	/* asking for none: the header with the total */
	g16(in, 0x08, 0);
	g16(in, 0x0a, 0);
	assert_int_equal(msg(f, f->mb[0], OP, in, n + 4), 0);
	expect_rsp(f, want, 0x0c);
	/* the arguments are exactly 4 bytes */
	assert_int_equal(msg(f, f->mb[0], OP, in, n + 3), 0x16);
	assert_int_equal(msg(f, f->mb[0], OP, in, n + 5), 0x16);
	assert_int_equal(msg(f, f->mb[0], OP, in, 7), 0x16);
	/* Discovery with a DPA range: Invalid Input */
	n = hdr(in, 0, 0, 1);
	n = range(in, n, R0, 64);
	g16(in, n, 0);
	g16(in, n + 2, 8);
	assert_int_equal(msg(f, f->mb[0], OP, in, n + 4), 0x02);
}

/* Sanitize and Zero: the ranges lose data and poison at once, then run in the background. */
static void test_sanitize_and_zero(void **state)
{
	struct fx *f = *state;
	struct zero_log log = { 0 };
	uint8_t in[0x40], want[8] = { 0 };
	size_t n;

	assert_int_equal(core_observer_add(f->dev, &zero_obs, &log), 0);
	give(f, 0, R0, 2 * MIB);
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	inject(f, 0, R0 + 0x1000);
	inject(f, 0, R0 + 0x8000);
	inject(f, 1, R0 + 2 * MIB);
	n = hdr(in, 0x01, 0x01, 2);             /* Sanitize class, Zero */
	n = range(in, n, R0 + 0x1000 + 0x3f, 0x40);     /* bits 5:0 reserved: ignored */
	n = range(in, n, R0 + MIB, MIB);
	assert_int_equal(msg(f, f->mb[0], OP, in, n), 0x01);    /* Background Command Started */
	assert_int_equal(f->out_len, 0);
	assert_int_equal(log.n, 2);
	assert_true(log.z[0].host == 0 && log.z[0].dpa == R0 + 0x1000 && log.z[0].len == 0x40);
	assert_true(log.z[1].host == 0 && log.z[1].dpa == R0 + MIB && log.z[1].len == MIB);
	assert_false(core_poison_test(f->dev, R0 + 0x1000, 64));
	assert_true(core_poison_test(f->dev, R0 + 0x8000, 64));     /* outside the ranges */
	assert_true(core_poison_test(f->dev, R0 + 2 * MIB, 64));    /* host 1's */

	/* running on host 0's mailbox: status, no abort, every other background op Busy */
	g8(want, 0, 0x01);
	g16(want, 2, OP);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0x20);
	assert_int_equal(msg(f, f->mb[0], OP, in, n), 0x06);
	assert_int_equal(msg(f, f->mb[0], 0x4400, NULL, 0), 0x06);
	assert_int_equal(log.n, 2);
	/* host 1's mailbox is another CCI: its Sanitize of its own range runs */
	n = hdr(in, 0x01, 0x00, 1);
	n = range(in, n, R0 + 2 * MIB, 2 * MIB);
	assert_int_equal(msg(f, f->mb[1], OP, in, n), 0x01);
	assert_false(core_poison_test(f->dev, R0 + 2 * MIB, 64));
	assert_true(log.n == 3 && log.z[2].host == 1 && log.z[2].len == 2 * MIB);

	/* 1 MiB + 64 bytes at 64 MiB/ms: done after 1 ms */
	core_dev_set_time(f->dev, NOW + 1000000);
	g8(want, 0, 100 << 1);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	/* no ranges: Success, nothing runs, the last operation is still reported */
	n = hdr(in, 0x01, 0x00, 0);
	assert_int_equal(msg(f, f->mb[0], OP, in, n), 0);
	assert_int_equal(f->out_len, 0);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	assert_int_equal(log.n, 3);
	/* static capacity is the host's too */
	inject(f, 0, 0x2000);
	n = hdr(in, 0x01, 0x00, 1);
	n = range(in, n, 0x2000, 0x40);
	assert_int_equal(msg(f, f->mb[0], OP, in, n), 0x01);
	assert_false(core_poison_test(f->dev, 0x2000, 64));
}

/* 0002h on @ctx: in progress (bit 0), percent, opcode, return code. */
static void expect_bg(struct fx *f, struct cci_ctx *ctx, bool running, uint8_t pct, uint16_t op,
		      uint16_t rc)
{
	uint8_t want[8] = { 0 };

	g8(want, 0, (uint8_t)((running ? 1 : 0) | pct << 1));
	g16(want, 2, op);
	g16(want, 4, rc);
	assert_int_equal(msg(f, ctx, 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
}

/*
 * An erase the daemon answered otherwise (its proof not stored: Internal
 * Error, core_bg_erase_answered()): the background operation it started
 * runs on and then reports that code.  Only the last erase's: a Secure
 * Erase after it starts none, so a later call marks nothing, and a new
 * operation on the CCI ends with Success again.
 */
static void test_an_erase_answered_otherwise_ends_with_that_code(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x40];
	size_t n;

	give(f, 0, R0, 2 * MIB);
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	n = hdr(in, 0x01, 0x01, 1);
	n = range(in, n, R0, MIB);
	assert_int_equal(msg(f, f->mb[0], OP, in, n), 0x01);
	core_bg_erase_answered(f->dev, CXLDCD_RC_INTERNAL_ERROR);
	expect_bg(f, f->mb[0], true, 0, OP, 0);         /* runs on, Busy to another */
	assert_int_equal(msg(f, f->mb[0], 0x4400, NULL, 0), 0x06);
	core_dev_set_time(f->dev, NOW + 1000000);
	expect_bg(f, f->mb[0], false, 100, OP, CXLDCD_RC_INTERNAL_ERROR);
	/* host 1's Sanitize, then host 0's Secure Erase answered otherwise: host 1's ends well */
	assert_int_equal(msg(f, f->mb[1], 0x4400, NULL, 0), 0x01);
	assert_int_equal(msg(f, f->mb[0], 0x4401, NULL, 0), 0);
	core_bg_erase_answered(f->dev, CXLDCD_RC_INTERNAL_ERROR);
	core_dev_set_time(f->dev, NOW + 100000000);  /* 1 GiB static + 2 MiB: 17 ms */
	expect_bg(f, f->mb[1], false, 100, 0x4400, 0);
	expect_bg(f, f->mb[0], false, 100, OP, CXLDCD_RC_INTERNAL_ERROR);
	/* host 0's next operation ends with Success */
	assert_int_equal(msg(f, f->mb[0], 0x4400, NULL, 0), 0x01);
	core_dev_set_time(f->dev, NOW + 200000000);
	expect_bg(f, f->mb[0], false, 100, 0x4400, 0);
}

/*
 * What the daemon stores of such an answer and gives back after a restart
 * (core_bg_erase_started(), core_bg_result_set()): the operation the last
 * erase started (CCI, opcode, start); its code set again only while it is
 * still the last of its CCI, and only on an erase.
 */
static void test_an_answered_code_goes_back_only_to_its_operation(void **state)
{
	struct fx *f = *state;
	struct core_bg_id id, other;
	uint8_t in[0x40];
	size_t n;

	give(f, 0, R0, 2 * MIB);
	assert_false(core_bg_erase_started(f->dev, &id));            /* none yet */
	n = hdr(in, 0x01, 0x01, 1);
	n = range(in, n, R0, MIB);
	assert_int_equal(msg(f, f->mb[0], OP, in, n), 0x01);
	assert_true(core_bg_erase_started(f->dev, &id));
	assert_int_equal(id.owner, 0);
	assert_int_equal(id.opcode, OP);
	assert_int_equal(id.start_ns, NOW);
	core_dev_set_time(f->dev, NOW + 1000000);
	expect_bg(f, f->mb[0], false, 100, OP, 0);
	other = id;
	other.start_ns++;
	assert_false(core_bg_result_set(f->dev, &other, CXLDCD_RC_INTERNAL_ERROR));
	other = id;
	other.owner = 1;
	assert_false(core_bg_result_set(f->dev, &other, CXLDCD_RC_INTERNAL_ERROR));
	other.owner = 7;                                              /* no such host */
	assert_false(core_bg_result_set(f->dev, &other, CXLDCD_RC_INTERNAL_ERROR));
	expect_bg(f, f->mb[0], false, 100, OP, 0);
	assert_true(core_bg_result_set(f->dev, &id, CXLDCD_RC_INTERNAL_ERROR));
	expect_bg(f, f->mb[0], false, 100, OP, CXLDCD_RC_INTERNAL_ERROR);
	/* a Scan Media since: the code is not its */
	memset(in, 0, 17);
	put_le64(in, R0);
	put_le64(in + 8, MIB / 64);     /* Scan Media's length is in 64-byte units */
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 17), 0x01);
	core_dev_set_time(f->dev, NOW + 100000000);
	expect_bg(f, f->mb[0], false, 100, 0x4304, 0);
	assert_false(core_bg_result_set(f->dev, &id, CXLDCD_RC_INTERNAL_ERROR));
	id.opcode = 0x4304;
	id.start_ns = NOW + 1000000;
	assert_false(core_bg_result_set(f->dev, &id, CXLDCD_RC_INTERNAL_ERROR));
	expect_bg(f, f->mb[0], false, 100, 0x4304, 0);
}

/* Every refusal: the return code, and nothing zeroed, no poison dropped, nothing started. */
static void test_errors_change_nothing(void **state)
{
	static const struct { uint8_t cls, sub; } bad_ops[] = {
		{ 0x00, 0x01 }, { 0x01, 0x02 }, { 0x02, 0x00 }, { 0xff, 0x00 },
	};
	struct fx *f = *state;
	struct zero_log log = { 0 };
	uint8_t in[0x40], idle[8] = { 0 };
	size_t n;

	assert_int_equal(core_observer_add(f->dev, &zero_obs, &log), 0);
	give(f, 0, R0, 2 * MIB);
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	inject(f, 0, R0);
	/* unsupported class/subclass: Invalid Input (the spec's code, not Unsupported) */
	for (size_t i = 0; i < sizeof(bad_ops) / sizeof(bad_ops[0]); i++) {
		n = hdr(in, bad_ops[i].cls, bad_ops[i].sub, 1);
		n = range(in, n, R0, 64);
		assert_int_equal(msg(f, f->mb[0], OP, in, n), 0x02);
	}
	/* the first range is good, the second is not: nothing at all is done */
	static const struct { uint64_t dpa, len; uint16_t rc; } bad[] = {
		{ R0 + 64, 0x20, 0x02 },                /* length not a multiple of 64 */
		{ R0 + 64, 0, 0x02 },                   /* empty */
		{ R0 + 2 * MIB, 64, 0x02 },             /* host 1's extent */
		{ R0 + 2 * MIB - 64, 128, 0x02 },       /* runs into host 1's */
		{ R1, 64, 0x02 },                       /* region 1: nobody's */
		{ 0xffffffffffffffc0ull, 0x80, 0x02 },  /* wraps */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = hdr(in, 0x01, i & 1, 2);
		n = range(in, n, R0, 64);
		n = range(in, n, bad[i].dpa, bad[i].len);
		assert_int_equal(msg(f, f->mb[0], OP, in, n), bad[i].rc);
		assert_int_equal(cci_ctx_diag(f->mb[0])->index, 1);
		assert_non_null(strstr(cci_ctx_diag(f->mb[0])->text, "range 1"));
	}
	/* lengths: the list must be all there, and nothing may follow it */
	n = hdr(in, 0x01, 0x00, 2);
	n = range(in, n, R0, 64);
	assert_int_equal(msg(f, f->mb[0], OP, in, n), 0x16);           /* one range short */
	n = hdr(in, 0x01, 0x00, 1);
	n = range(in, n, R0, 64);
	assert_int_equal(msg(f, f->mb[0], OP, in, n + 1), 0x16);       /* a byte after it */
	assert_int_equal(msg(f, f->mb[0], OP, in, n - 1), 0x16);
	n = hdr(in, 0x01, 0x00, 0x10000000);    /* count * 16 far beyond the payload */
	assert_int_equal(msg(f, f->mb[0], OP, in, n), 0x16);
	n = hdr(in, 0x01, 0x00, 0xffffffff);
	assert_int_equal(msg(f, f->mb[0], OP, in, n), 0x16);
	assert_int_equal(msg(f, f->mb[0], OP, in, 7), 0x16);
	/* the FM CCI serves no memory-device command */
	n = hdr(in, 0x01, 0x00, 1);
	n = range(in, n, R0, 64);
	assert_int_equal(msg(f, f->fm, OP, in, n), 0x15);

	assert_int_equal(log.n, 0);
	assert_true(core_poison_test(f->dev, R0, 64));
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, idle, 8);
	/* Busy only once the input is good: a Scan Media runs, a good request waits */
	{
		uint8_t scan[0x11] = { 0 };

		g64(scan, 0, R0);
		g64(scan, 8, 2 * MIB / 64);
		assert_int_equal(msg(f, f->mb[0], 0x4304, scan, sizeof(scan)), 0x01);
	}
	assert_int_equal(msg(f, f->mb[0], OP, in, n), 0x06);
	assert_int_equal(log.n, 0);
	assert_true(core_poison_test(f->dev, R0, 64));
}

/* The codec: encoder bytes at explicit offsets, decoder bounds. */
static void test_codec(void **state)
{
	struct cxldcd_range rg[2] = { { 0x1000, 0x40 }, { 0x2000, 0x80 } }, r;
	struct cci_media_op_in in;
	struct cci_media_op_discovery a = { 3, 7 };
	uint8_t b[0x40] = { 0 }, want[0x28] = { 0 };
	struct wwr w;

	(void)state;
	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_media_op_in(&w, 1, 1, rg, 2), 0);
	assert_int_equal(w.off, 0x28);
	g8(want, 0, 1);
	g8(want, 1, 1);
	g32(want, 4, 2);
	range(want, 8, 0x1000, 0x40);
	range(want, 0x18, 0x2000, 0x80);
	assert_bytes_equal(b, want, 0x28);
	assert_int_equal(cci_enc_media_op_discovery_args(&w, &a), 0);
	assert_int_equal(cci_dec_media_op_in(b, 0x2c, &in), 0);
	assert_true(in.op_class == 1 && in.subclass == 1 && in.nr_ranges == 2);
	assert_int_equal(in.args_len, 4);
	assert_int_equal(cci_dec_media_op_discovery_args(in.args, in.args_len, &a), 0);
	assert_true(a.start_index == 3 && a.nr_ops == 7);
	assert_int_equal(cci_dec_media_op_discovery_args(in.args, 3, &a), -EMSGSIZE);
	g64(b, 0x18, 0x2000 | 0x3f);            /* reserved bits 5:0 */
	cci_dec_media_op_range(in.ranges, 1, &r);
	assert_true(r.dpa == 0x2000 && r.len == 0x80);
	assert_int_equal(cci_dec_media_op_in(b, 0x27, &in), -EMSGSIZE);
	assert_int_equal(cci_dec_media_op_in(b, 7, &in), -EMSGSIZE);
	wwr_init(&w, b, 0x0c + 2);
	assert_int_equal(cci_enc_media_op_discovery_hdr(&w, 0x40, 2, 1), 0);
	assert_int_equal(cci_enc_media_op_entry(&w, &(struct cci_media_op_entry){ 1, 0 }), 0);
	assert_int_equal(cci_enc_media_op_entry(&w, &(struct cci_media_op_entry){ 1, 1 }), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_discovery_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sanitize_and_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_erase_answered_otherwise_ends_with_that_code,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_answered_code_goes_back_only_to_its_operation,
						setup, teardown),
		cmocka_unit_test(test_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
