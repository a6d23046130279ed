/* SPDX-License-Identifier: MIT */
/*
 * test-cci-dispatch.c - the firmware through cci_handle_msg against a live
 * model, one command at a time: header errors, wrong CCI, size rules, every
 * command's golden response and its input error paths, and the command
 * table's own rules (sorted, complete, every opcode with a golden vector and
 * a fuzz seed).  Requests and expected responses are built byte by byte from
 * the spec tables (golden.h), never with the codecs.
 */
#include <dirent.h>
#include <stdio.h>

#include "cci/cmd.h"
#include "fixture.h"

/* ----------------------------------------------------------------- header */

static void test_header_length_mismatch_is_invalid_payload_length(void **state)
{
	struct fx *f = *state;
	uint8_t req[13] = { 0x00, 0x42, 0, 0x01, 0x00, 0x02, 0x00, 0x00 }, rsp[64];
	size_t n;

	assert_int_equal(cci_handle_msg(f->mb[0], req, 13, rsp, sizeof(rsp), &n), 0);
	assert_int_equal(n, 12);
	assert_int_equal(rsp[0], 1);
	assert_int_equal(rsp[1], 0x42);
	assert_int_equal(r16(rsp, 3), 0x0001);
	assert_int_equal(r16(rsp, 5), 0);
	assert_int_equal(r16(rsp, 8), 0x16);
	/* truncated header: still answered */
	assert_int_equal(cci_handle_msg(f->mb[0], req, 5, rsp, sizeof(rsp), &n), 0);
	assert_int_equal(n, 12);
	assert_int_equal(r16(rsp, 3), 0x0001);
	assert_int_equal(r16(rsp, 8), 0x16);
	/* length with bits 20:16 set */
	g8(req, 7, 0x01);
	g16(req, 5, 1);
	assert_int_equal(cci_handle_msg(f->mb[0], req, 13, rsp, sizeof(rsp), &n), 0);
	assert_int_equal(r16(rsp, 8), 0x16);
}

static void test_header_non_request_and_small_buffer_get_no_response(void **state)
{
	struct fx *f = *state;
	uint8_t req[12] = { 0x01, 1, 0, 0x01, 0x00 }, rsp[64];
	size_t n = 99;

	assert_int_equal(cci_handle_msg(f->mb[0], req, 12, rsp, sizeof(rsp), &n), -EPROTO);
	assert_int_equal(n, 0);
	assert_int_equal(cci_handle_msg(f->mb[0], req, 0, rsp, sizeof(rsp), &n), -EPROTO);
	req[0] = 0;
	assert_int_equal(cci_handle_msg(f->mb[0], req, 12, rsp, 11, &n), -ENOBUFS);
}

/*
 * Byte 7 bit 7 of a response (Background Operation, Table 7-14) is the Mailbox
 * Status register's bit (r3.1 §8.2.8.4.6): set while a command runs in the
 * background on that CCI, from the response that started it (rc 01h) until it
 * ends; other CCIs do not see it.  Built and read at explicit offsets.
 */
static void test_response_bo_bit_follows_the_background_operation(void **state)
{
	struct fx *f = *state;
	uint8_t scan[12 + 0x11] = { 0x00, 0x07, 0, 0x04, 0x43, 0x11, 0x00, 0x00 };
	uint8_t stat[12] = { 0x00, 0x08, 0, 0x02, 0x00 }, rsp[64];
	size_t n;

	g64(scan, 12 + 0x00, 0);                /* Scan Media: DPA 0 */
	g64(scan, 12 + 0x08, GIB / 64);         /* 1 GiB in 64-byte units: 16 ms */
	assert_int_equal(cci_handle_msg(f->mb[0], stat, 12, rsp, sizeof(rsp), &n), 0);
	assert_int_equal(rsp[7], 0x00);         /* nothing runs, payload < 64 KiB */
	assert_int_equal(cci_handle_msg(f->mb[0], scan, sizeof(scan), rsp, sizeof(rsp), &n), 0);
	assert_int_equal(r16(rsp, 8), 0x01);    /* Background Command Started */
	assert_int_equal(rsp[7], 0x80);
	assert_int_equal(cci_handle_msg(f->mb[0], stat, 12, rsp, sizeof(rsp), &n), 0);
	assert_int_equal(r16(rsp, 8), 0x00);
	assert_int_equal(rsp[7], 0x80);         /* still running */
	assert_int_equal(rsp[12] & 1, 1);
	assert_int_equal(cci_handle_msg(f->mb[1], stat, 12, rsp, sizeof(rsp), &n), 0);
	assert_int_equal(rsp[7], 0x00);         /* host 1's mailbox runs nothing */
	assert_int_equal(cci_handle_msg(f->fm, stat, 12, rsp, sizeof(rsp), &n), 0);
	assert_int_equal(r16(rsp, 8), 0x15);
	assert_int_equal(rsp[7], 0x00);
	core_dev_set_time(f->dev, NOW + 16000000);
	assert_int_equal(cci_handle_msg(f->mb[0], stat, 12, rsp, sizeof(rsp), &n), 0);
	assert_int_equal(rsp[7], 0x00);         /* done */
}

static void test_unknown_opcode_and_wrong_cci(void **state)
{
	struct fx *f = *state;
	uint8_t add[0x20] = { 0 };

	assert_int_equal(msg(f, f->mb[0], 0x1234, NULL, 0), 0x03);
	assert_int_equal(msg(f, f->mb[0], 0x5600, NULL, 0), 0x15);
	assert_int_equal(msg(f, f->mb[0], 0x5604, add, sizeof(add)), 0x15);
	assert_int_equal(msg(f, f->fm, 0x4800, (uint8_t[]){ 8, 0 }, 2), 0x15);
	assert_int_equal(msg(f, f->fm, 0x4802, add, 8), 0x15);
	assert_int_equal(msg(f, f->fm, 0x4000, NULL, 0), 0x15);
}

static void test_fixed_size_commands_reject_other_lengths(void **state)
{
	struct fx *f = *state;
	uint8_t pl[0x20] = { 0 };

	assert_int_equal(msg(f, f->mb[0], 0x0001, pl, 1), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x0100, pl, 0), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x0100, pl, 2), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x0103, pl, 3), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x0103, pl, 6), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x4800, pl, 1), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x4801, pl, 9), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x4802, pl, 7), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x4802, pl, 9), 0x16);   /* N=0 but extra byte */
	assert_int_equal(msg(f, f->fm, 0x5601, pl, 3), 0x16);
	assert_int_equal(msg(f, f->fm, 0x5604, pl, 0x1f), 0x16);
	assert_int_equal(msg(f, f->fm, 0x5606, pl, 0x11), 0x16);
}

/* ---------------------------------------------------------------- generic */

static void test_identify_golden(void **state)
{
	struct fx *f = *state;
	uint8_t want[0x12] = { 0 };

	assert_int_equal(msg(f, f->mb[0], 0x0001, NULL, 0), 0);
	assert_int_equal(f->out_len, 0x12);
	g16(want, 0x00, 0x1e98);                /* PCIe Vendor ID (placeholder, conformance.md) */
	g16(want, 0x02, 0x0d93);                /* PCIe Device ID */
	g16(want, 0x04, 0x1e98);                /* Subsystem Vendor ID */
	g16(want, 0x06, 0x0d93);                /* Subsystem ID */
	g64(want, 0x08, FX_SERIAL);             /* Device Serial Number: -device ...,sn= */
	g8(want, 0x10, 11);                     /* 2048-byte mailbox = 2^11 */
	g8(want, 0x11, 0x03);                   /* Type 3 */
	expect_rsp(f, want, 0x12);
}

static void test_response_message_limit(void **state)
{
	struct fx *f = *state;
	uint8_t v;

	assert_int_equal(msg(f, f->fm, 0x0003, NULL, 0), 0);
	expect_rsp(f, (uint8_t[]){ 11 }, 1);
	v = 8;
	assert_int_equal(msg(f, f->fm, 0x0004, &v, 1), 0);
	expect_rsp(f, (uint8_t[]){ 8 }, 1);
	assert_int_equal(cci_ctx_max_payload(f->fm), 256);
	assert_int_equal(msg(f, f->fm, 0x0003, NULL, 0), 0);
	expect_rsp(f, (uint8_t[]){ 8 }, 1);
	v = 7;
	assert_int_equal(msg(f, f->fm, 0x0004, &v, 1), 0x02);
	v = 21;
	assert_int_equal(msg(f, f->fm, 0x0004, &v, 1), 0x02);
	v = 20;                                  /* above the mailbox: lowered to 2^11 */
	assert_int_equal(msg(f, f->fm, 0x0004, &v, 1), 0);
	expect_rsp(f, (uint8_t[]){ 11 }, 1);
	assert_int_equal(cci_ctx_max_payload(f->fm), 2048);
}

static const uint16_t MBOX_CEL[][2] = {
	{ 0x0001, 0 }, { 0x0002, 0 }, { 0x0003, 0 }, { 0x0004, 0 }, { 0x0005, 0 },
	{ 0x0100, 0 }, { 0x0101, 0x10 }, { 0x0102, 0 }, { 0x0103, 0x8 }, { 0x0200, 0 },
	{ 0x0300, 0 }, { 0x0301, 0x8 }, { 0x0400, 0 }, { 0x0401, 0 }, { 0x0405, 0 }, { 0x0500, 0 },
	{ 0x0501, 0 }, { 0x0502, 0x2 }, { 0x0600, 0x152 },
	{ 0x4000, 0 }, { 0x4100, 0 }, { 0x4102, 0 },
	{ 0x4103, 0x6 }, { 0x4200, 0 }, { 0x4201, 0 }, { 0x4202, 0x8 }, { 0x4300, 0 },
	{ 0x4301, 0x4 }, { 0x4302, 0x4 }, { 0x4303, 0 }, { 0x4304, 0x140 }, { 0x4305, 0 },
	{ 0x4400, 0x64 }, { 0x4401, 0x24 }, { 0x4402, 0x44 }, { 0x4500, 0 }, { 0x4800, 0 },
	{ 0x4801, 0 }, { 0x4802, 0x2 }, { 0x4803, 0x2 },
};
static const uint16_t FM_CEL[][2] = {
	{ 0x0001, 0 }, { 0x0003, 0 }, { 0x0004, 0 }, { 0x0100, 0 }, { 0x0101, 0x10 },
	{ 0x0102, 0 }, { 0x0103, 0x8 }, { 0x0400, 0 }, { 0x0401, 0 }, { 0x0405, 0 }, { 0x5600, 0 },
	{ 0x5601, 0 }, { 0x5602, 0xe07 }, { 0x5603, 0 }, { 0x5604, 0xe07 }, { 0x5605, 0xe07 },
	{ 0x5606, 0xe03 }, { 0x5607, 0xe03 }, { 0x5608, 0 },
};

/*
 * The Type 3 device's MCTP-based CCI: what the spec allows there (no
 * 0102h/0103h, 4301h, 4402h, 48xxh; test-cci-mctp.c), and the FM-API DCD
 * set, which that endpoint takes as 07h (libcxlmi looks for 5600h here).
 */
static const uint16_t MCTP_CEL[][2] = {
	{ 0x0001, 0 }, { 0x0002, 0 }, { 0x0003, 0 }, { 0x0004, 0 }, { 0x0005, 0 },
	{ 0x0100, 0 }, { 0x0101, 0x10 }, { 0x0200, 0 }, { 0x0300, 0 }, { 0x0301, 0x8 },
	{ 0x0400, 0 }, { 0x0401, 0 }, { 0x0405, 0 }, { 0x0500, 0 }, { 0x0501, 0 }, { 0x0502, 0x2 },
	{ 0x0600, 0x152 }, { 0x4000, 0 }, { 0x4100, 0 }, { 0x4102, 0 }, { 0x4103, 0x6 }, { 0x4200, 0 },
	{ 0x4201, 0 }, { 0x4202, 0x8 }, { 0x4300, 0 }, { 0x4302, 0x4 }, { 0x4303, 0 },
	{ 0x4304, 0x140 }, { 0x4305, 0 }, { 0x4400, 0x64 }, { 0x4401, 0x24 }, { 0x4500, 0 },
	{ 0x5600, 0 }, { 0x5601, 0 }, { 0x5602, 0xe07 }, { 0x5603, 0 }, { 0x5604, 0xe07 },
	{ 0x5605, 0xe07 }, { 0x5606, 0xe03 }, { 0x5607, 0xe03 }, { 0x5608, 0 },
};

static void check_cel(struct fx *f, struct cci_ctx *ctx, const uint16_t (*cel)[2], size_t n)
{
	uint8_t want[0x1c] = { 0 }, in[0x18] = { 0 }, log[256] = { 0 };

	g16(want, 0x00, 1);
	memcpy(want + 0x08, CEL_UUID, 16);
	g32(want, 0x18, (uint32_t)(4 * n));
	assert_int_equal(msg(f, ctx, 0x0400, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));
	for (size_t i = 0; i < n; i++) {
		g16(log, 4 * i, cel[i][0]);
		g16(log, 4 * i + 2, cel[i][1]);
	}
	memcpy(in, CEL_UUID, 16);
	g32(in, 0x10, 0);
	g32(in, 0x14, (uint32_t)(4 * n));
	assert_int_equal(msg(f, ctx, 0x0401, in, sizeof(in)), 0);
	expect_rsp(f, log, 4 * n);
	g32(in, 0x10, 6);                       /* a slice */
	g32(in, 0x14, 5);
	assert_int_equal(msg(f, ctx, 0x0401, in, sizeof(in)), 0);
	expect_rsp(f, log + 6, 5);
	g32(in, 0x14, (uint32_t)(4 * n - 5));   /* one byte past the end */
	assert_int_equal(msg(f, ctx, 0x0401, in, sizeof(in)), 0x02);
	g32(in, 0x10, 0xffffffff);
	g32(in, 0x14, 2);
	assert_int_equal(msg(f, ctx, 0x0401, in, sizeof(in)), 0x02);
	in[0] ^= 1;
	assert_int_equal(msg(f, ctx, 0x0401, in, sizeof(in)), 0x17);
}

static void test_cel_lists_exactly_this_ccis_commands(void **state)
{
	struct fx *f = *state;

	check_cel(f, f->mb[1], MBOX_CEL, sizeof(MBOX_CEL) / sizeof(MBOX_CEL[0]));
	check_cel(f, f->fm, FM_CEL, sizeof(FM_CEL) / sizeof(FM_CEL[0]));
}

/*
 * Get Supported Logs Sub-List (0405h): the CEL entry of 0400h, from Start
 * Log Entry Index, at most the Maximum asked; same on every CCI.
 */
static void test_supported_logs_sub_list_golden(void **state)
{
	struct fx *f = *state;
	uint8_t want[8 + 0x14] = { 0 };
	const uint32_t cel_bytes = 4 * (uint32_t)(sizeof(MBOX_CEL) / sizeof(MBOX_CEL[0]));

	g8(want, 0x00, 1);                      /* Number of Supported Log Entries */
	g16(want, 0x02, 1);                     /* Total */
	g8(want, 0x04, 0);                      /* Start Log Entry Index */
	memcpy(want + 0x08, CEL_UUID, 16);
	g32(want, 0x18, cel_bytes);
	assert_int_equal(msg(f, f->mb[0], 0x0405, (uint8_t[]){ 1, 0 }, 2), 0);
	expect_rsp(f, want, sizeof(want));
	assert_int_equal(msg(f, f->mb[0], 0x0405, (uint8_t[]){ 0xff, 0 }, 2), 0);
	expect_rsp(f, want, sizeof(want));
	/* the same entry as Get Supported Logs */
	assert_int_equal(msg(f, f->mb[0], 0x0400, NULL, 0), 0);
	assert_bytes_equal(f->out + 8, want + 8, 0x14);
	/* past the list, or none asked: the header alone */
	g8(want, 0x00, 0);
	g8(want, 0x04, 1);
	assert_int_equal(msg(f, f->mb[0], 0x0405, (uint8_t[]){ 4, 1 }, 2), 0);
	expect_rsp(f, want, 8);
	g8(want, 0x04, 0);
	assert_int_equal(msg(f, f->fm, 0x0405, (uint8_t[]){ 0, 0 }, 2), 0);
	expect_rsp(f, want, 8);
	assert_int_equal(msg(f, f->mb[0], 0x0405, (uint8_t[]){ 1 }, 1), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x0405, (uint8_t[]){ 1, 0, 0 }, 3), 0x16);
}

static void test_mctp_cci_serves_what_the_spec_allows_and_its_own_cel(void **state)
{
	struct fx *f = *state;
	struct cci_ctx *mc;
	uint8_t mbox_id[0x45], add[0x20] = { 0 };

	assert_int_equal(cci_ctx_new(f->dev, (enum cci_kind)3, 0, &mc), -EINVAL);
	assert_int_equal(cci_ctx_new(f->dev, CCI_MCTP, 0, &mc), 0);
	/* Identify Memory Device: the same 0x45 bytes as on a host mailbox. */
	assert_int_equal(msg(f, f->mb[0], 0x4000, NULL, 0), 0);
	assert_int_equal(f->out_len, sizeof(mbox_id));
	memcpy(mbox_id, f->out, sizeof(mbox_id));
	assert_int_equal(msg(f, mc, 0x4000, NULL, 0), 0);
	expect_rsp(f, mbox_id, sizeof(mbox_id));
	/* Identify: a Type 3 component. */
	assert_int_equal(msg(f, mc, 0x0001, NULL, 0), 0);
	assert_int_equal(f->out_len, 0x12);
	assert_int_equal(f->out[0x11], 0x03);
	/* 48xxh: prohibited on MCTP.  The FM-API DCD set: served, as on the FM CCI. */
	assert_int_equal(msg(f, mc, 0x4800, (uint8_t[]){ 8, 0 }, 2), 0x15);
	assert_int_equal(msg(f, mc, 0x4801, add, 8), 0x15);
	assert_int_equal(msg(f, mc, 0x4802, add, 8), 0x15);
	assert_int_equal(msg(f, mc, 0x4803, add, 8), 0x15);
	assert_int_equal(msg(f, mc, 0x5600, NULL, 0), 0);
	assert_int_equal(f->out_len, 0x54);
	assert_int_equal(msg(f, mc, 0x5604, add, sizeof(add)), 0x02);   /* Free, length 0 */
	assert_int_equal(msg(f, mc, 0x1234, NULL, 0), 0x03);
	check_cel(f, mc, MCTP_CEL, sizeof(MCTP_CEL) / sizeof(MCTP_CEL[0]));
	/* The FM CCI next to it is unchanged: 4000h still not served there. */
	assert_int_equal(msg(f, f->fm, 0x4000, NULL, 0), 0x15);
	cci_ctx_free(mc);
}

/* ----------------------------------------------------------------- events */

static void test_events_error_paths(void **state)
{
	struct fx *f = *state;
	uint8_t clr[8] = { 4, 0, 1, 0, 0, 0, 0x01, 0x00 };

	assert_int_equal(msg(f, f->mb[0], 0x0100, (uint8_t[]){ 5 }, 1), 0x02);
	assert_int_equal(msg(f, f->mb[0], 0x0100, (uint8_t[]){ 4 }, 1), 0);
	expect_rsp(f, (uint8_t[0x20]){ 0 }, 0x20);
	/* clearing a handle that is not the oldest record: Invalid Handle */
	assert_int_equal(msg(f, f->mb[0], 0x0101, clr, 8), 0x0e);
	/* Clear All without an overflow: Invalid Input */
	assert_int_equal(msg(f, f->mb[0], 0x0101, (uint8_t[]){ 4, 1, 0, 0, 0, 0 }, 6), 0x02);
	/* Clear All with handles: Invalid Input */
	clr[1] = 1;
	assert_int_equal(msg(f, f->mb[0], 0x0101, clr, 8), 0x02);
	/* count disagrees with bytes */
	clr[1] = 0;
	clr[2] = 2;
	assert_int_equal(msg(f, f->mb[0], 0x0101, clr, 8), 0x16);
}

static void test_irq_policy_set_get(void **state)
{
	struct fx *f = *state;
	uint8_t five[5] = { 0x01, 0x11, 0x00, 0x21, 0x31 };

	/*
	 * Reserved bits (r3.1 Tables 8-55/8-56: bits 3:2 of every byte, bits 7:2
	 * of the DC byte in Set) are not stored, so Get reads them as 0.
	 */
	assert_int_equal(msg(f, f->mb[0], 0x0103, five, 5), 0);
	assert_int_equal(f->out_len, 0);
	assert_int_equal(msg(f, f->mb[0], 0x0102, NULL, 0), 0);
	expect_rsp(f, ((uint8_t[]){ 0x01, 0x11, 0x00, 0x21, 0x01 }), 5);
	assert_int_equal(msg(f, f->mb[0], 0x0103, (uint8_t[]){ 0x0d, 0x1e, 0x06, 0x2c, 0xfd }, 5), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0102, NULL, 0), 0);
	expect_rsp(f, ((uint8_t[]){ 0x01, 0x12, 0x02, 0x20, 0x01 }), 5);
	/* 4-byte form: DC byte unchanged */
	assert_int_equal(msg(f, f->mb[0], 0x0103, (uint8_t[]){ 0, 0, 0, 0 }, 4), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0102, NULL, 0), 0);
	expect_rsp(f, ((uint8_t[]){ 0, 0, 0, 0, 0x01 }), 5);
	/* mode 10b is reserved for the DC log */
	assert_int_equal(msg(f, f->mb[0], 0x0103, (uint8_t[]){ 0, 0, 0, 0, 0x02 }, 5), 0x02);
	/* another host's policy is its own */
	assert_int_equal(msg(f, f->mb[1], 0x0102, NULL, 0), 0);
	expect_rsp(f, ((uint8_t[]){ 0, 0, 0, 0, 0 }), 5);
}

/* -------------------------------------------------------------- memdev 48 */

static void test_identify_memdev_golden(void **state)
{
	struct fx *f = *state;
	uint8_t want[0x45] = { 0 };

	memcpy(want, "cxldcd 0.1.0", 12);
	g64(want, 0x10, 4);                     /* 1 GiB static = 4 x 256 MB */
	g64(want, 0x18, 4);
	g16(want, 0x30, 256);
	g16(want, 0x32, 256);
	g16(want, 0x34, 256);
	g16(want, 0x36, 256);
	g24(want, 0x3c, 64);                    /* poison list max */
	g16(want, 0x3f, 64);                    /* inject poison limit */
	g16(want, 0x43, 256);
	assert_int_equal(msg(f, f->mb[0], 0x4000, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));
}

static void golden_region(uint8_t *b, size_t off, uint64_t base, uint32_t dsmad)
{
	g64(b, off + 0x00, base);
	g64(b, off + 0x08, 16);                 /* 4 GiB decode = 16 x 256 MB */
	g64(b, off + 0x10, 4 * GIB);
	g64(b, off + 0x18, 2 * MIB);
	g32(b, off + 0x20, dsmad);
}

static void golden_counts(uint8_t *b, size_t off, uint32_t avail_ext, uint32_t avail_tags)
{
	g32(b, off + 0x0, 65536);
	g32(b, off + 0x4, avail_ext);
	g32(b, off + 0x8, 4096);
	g32(b, off + 0xc, avail_tags);
}

static void test_get_dc_config_golden(void **state)
{
	struct fx *f = *state;
	uint8_t want[8 + 2 * 0x28 + 16] = { 0 };

	g8(want, 0, 2);
	g8(want, 1, 2);
	golden_region(want, 0x08, R0, 0);
	golden_region(want, 0x30, R1, 1);
	golden_counts(want, 0x58, 65536, 4096);
	assert_int_equal(msg(f, f->mb[0], 0x4800, (uint8_t[]){ 8, 0 }, 2), 0);
	expect_rsp(f, want, sizeof(want));
	/* one region from index 1: the trailer follows the one record */
	memset(want, 0, sizeof(want));
	g8(want, 0, 2);
	g8(want, 1, 1);
	golden_region(want, 0x08, R1, 1);
	golden_counts(want, 0x30, 65536, 4096);
	assert_int_equal(msg(f, f->mb[0], 0x4800, (uint8_t[]){ 1, 1 }, 2), 0);
	expect_rsp(f, want, 8 + 0x28 + 16);
	/* count 0: header and trailer only */
	memset(want, 0, sizeof(want));
	g8(want, 0, 2);
	golden_counts(want, 0x08, 65536, 4096);
	assert_int_equal(msg(f, f->mb[0], 0x4800, (uint8_t[]){ 0, 0 }, 2), 0);
	expect_rsp(f, want, 8 + 16);
	assert_int_equal(msg(f, f->mb[0], 0x4800, (uint8_t[]){ 8, 2 }, 2), 0x02);
}

static void test_dc_extent_list_errors(void **state)
{
	struct fx *f = *state;
	uint8_t in[8] = { 0 }, want[16] = { 0 };

	g32(in, 0, 0);
	g32(in, 4, 1);                          /* start 1 > total 0 */
	assert_int_equal(msg(f, f->mb[0], 0x4801, in, 8), 0x02);
	g32(in, 4, 0);
	assert_int_equal(msg(f, f->mb[0], 0x4801, in, 8), 0);
	assert_int_equal(f->out_len, 16);
	memcpy(want + 8, f->out + 8, 4);        /* generation: model's value */
	expect_rsp(f, want, 16);
}

static void test_release_dc_empty_list_is_invalid_input(void **state)
{
	struct fx *f = *state;
	uint8_t in[8] = { 0 };

	assert_int_equal(msg(f, f->mb[0], 0x4803, in, 8), 0x02);
	g32(in, 0, 1);                          /* count 1, no record */
	assert_int_equal(msg(f, f->mb[0], 0x4803, in, 8), 0x16);
}

/* ------------------------------------------------------------------ FM-API */

static void test_fm_dcd_info_golden(void **state)
{
	struct fx *f = *state;
	uint8_t want[0x54] = { 0 };

	g8(want, 0x00, 2);
	g8(want, 0x01, 2);
	g16(want, 0x04, 0x0007);
	g16(want, 0x08, 0x0003);
	g8(want, 0x0a, 0x03);
	g64(want, 0x0c, 32);                    /* 8 GiB */
	g64(want, 0x14, 2 * MIB | GIB);
	g64(want, 0x1c, 2 * MIB | GIB);
	assert_int_equal(msg(f, f->fm, 0x5600, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));
	assert_int_equal(msg(f, f->fm, 0x5600, want, 1), 0x16);
}

static void test_fm_host_region_config_golden(void **state)
{
	struct fx *f = *state;
	uint8_t want[4 + 2 * 0x28 + 16] = { 0 }, in[4] = { 0 };

	g16(want, 0, 1);
	g8(want, 2, 2);
	g8(want, 3, 2);
	for (int i = 0; i < 2; i++) {
		size_t o = 4 + 0x28 * (size_t)i;

		g64(want, o + 0x00, i ? R1 : R0);
		g64(want, o + 0x08, 16);
		g64(want, o + 0x10, 4 * GIB);
		g64(want, o + 0x18, 2 * MIB);
	}
	golden_counts(want, 4 + 0x50, 65536, 4096);
	g16(in, 0, 1);
	g8(in, 2, 8);
	assert_int_equal(msg(f, f->fm, 0x5601, in, 4), 0);
	expect_rsp(f, want, sizeof(want));
	g16(in, 0, 2);                          /* no host 2 */
	assert_int_equal(msg(f, f->fm, 0x5601, in, 4), 0x02);
	g16(in, 0, 0);
	g8(in, 3, 2);                           /* no region 2 */
	assert_int_equal(msg(f, f->fm, 0x5601, in, 4), 0x02);
}

static void test_fm_region_extents_and_list_tags_errors(void **state)
{
	struct fx *f = *state;
	uint8_t in[12] = { 0 }, want[0x18] = { 0 }, lt[8] = { 0 };

	g16(in, 0, 2);
	assert_int_equal(msg(f, f->fm, 0x5603, in, 12), 0x02);   /* no host 2 */
	g16(in, 0, 1);
	g32(in, 8, 1);
	assert_int_equal(msg(f, f->fm, 0x5603, in, 12), 0x02);   /* start > total */
	g32(in, 8, 0);
	g32(in, 4, 5);
	assert_int_equal(msg(f, f->fm, 0x5603, in, 12), 0);
	g16(want, 0, 1);
	memcpy(want + 0x10, f->out + 0x10, 4);
	expect_rsp(f, want, 0x18);
	g32(lt, 0, 1);
	assert_int_equal(msg(f, f->fm, 0x5608, lt, 8), 0x02);
	assert_int_equal(msg(f, f->fm, 0x5606, TAG_T, 16), 0x02); /* unknown tag */
	assert_int_equal(msg(f, f->fm, 0x5607, TAG_T, 16), 0x02);
}

static void test_fm_initiate_add_rejects_bad_policy_and_lengths(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x20 + 0x28] = { 0 };

	g16(in, 0, 1);
	g8(in, 2, 4);                           /* no policy 4 */
	assert_int_equal(msg(f, f->fm, 0x5604, in, 0x20), 0x02);
	g8(in, 2, 2);
	g32(in, 0x1c, 2);                       /* says 2, carries 1 */
	g_extent(in, 0x20, R0, 2 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, in, sizeof(in)), 0x16);
	g32(in, 0x1c, 0xffffffff);
	assert_int_equal(msg(f, f->fm, 0x5604, in, sizeof(in)), 0x16);
	g8(in, 2, 0);                           /* Free: 0x1C or 0x20 bytes */
	assert_int_equal(msg(f, f->fm, 0x5604, in, sizeof(in)), 0x16);
	g8(in, 2, 0x12);                        /* bits 7:4 reserved; removal policy 2 */
	assert_int_equal(msg(f, f->fm, 0x5605, in, 0x20), 0x02);
}

/* Each selection policy reaches the model and offers capacity. */
static void test_fm_initiate_add_all_policies(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x20 + 0x28] = { 0 };

	/* Free: host 0, region 1, 4 MiB, tag */
	g16(in, 0, 0);
	g8(in, 2, 0);
	g8(in, 3, 1);
	g64(in, 4, 4 * MIB);
	memcpy(in + 0x0c, TAG_T, 16);
	assert_int_equal(msg(f, f->fm, 0x5604, in, 0x20), 0);
	/* Contiguous: host 1, region 1, 2 MiB, no tag */
	memset(in, 0, sizeof(in));
	g16(in, 0, 1);
	g8(in, 2, 1);
	g8(in, 3, 1);
	g64(in, 4, 2 * MIB);
	assert_int_equal(msg(f, f->fm, 0x5604, in, 0x20), 0);
	/* Prescriptive: absolute DPA, per-extent tag */
	memset(in, 0, sizeof(in));
	g16(in, 0, 1);
	g8(in, 2, 2);
	g32(in, 0x1c, 1);
	g_extent(in, 0x20, R0, 2 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, in, sizeof(in)), 0);
	/* Enable Shared Access on a non-sharable tag: refused by the model */
	memset(in, 0, sizeof(in));
	g16(in, 0, 1);
	g8(in, 2, 3);
	memcpy(in + 0x0c, TAG_T, 16);
	assert_int_not_equal(msg(f, f->fm, 0x5604, in, 0x20), 0);
	assert_int_equal(core_pending_count(f->dev, 0), 1);
	assert_int_equal(core_pending_count(f->dev, 1), 2);
	/* the FM sees the tag */
	assert_int_equal(msg(f, f->fm, 0x5608, (uint8_t[8]){ 0, 0, 0, 0, 8, 0, 0, 0 }, 8), 0);
	assert_int_equal(r32(f->out, 4), 1);
	assert_int_equal(r32(f->out, 8), 1);
	assert_int_equal(f->out[0x0c], 3);
	assert_memory_equal(f->out + 0x10, TAG_T, 16);
	assert_int_equal(f->out[0x10 + 0x34], 0x01);             /* pending on LD 0 */
}

/*
 * 5604h/5605h: the Extent Count is "present only when" the policy is
 * Prescriptive (r3.2 Tables 7-70/7-71), so a Free, Contiguous, Enable Shared
 * Access or Tag-based request is 0x1C bytes (0x20 is taken too: libcxlmi
 * sends the count); a Prescriptive one needs the count.
 */
static void test_fm_initiate_non_prescriptive_needs_no_extent_count(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x20 + 0x28] = { 0 }, rsp[8 + 0x18] = { 0 }, log = 4;
	uint64_t dpa;

	/* Free, 0x1C bytes: host 0, region 1, 4 MiB, tag T */
	g16(in, 0, 0);
	g8(in, 2, 0);
	g8(in, 3, 1);
	g64(in, 4, 4 * MIB);
	memcpy(in + 0x0c, TAG_T, 16);
	assert_int_equal(msg(f, f->fm, 0x5604, in, 0x1b), 0x16);
	assert_int_equal(msg(f, f->fm, 0x5604, in, 0x21), 0x16);
	assert_int_equal(core_pending_count(f->dev, 0), 0);
	assert_int_equal(msg(f, f->fm, 0x5604, in, 0x1c), 0);
	assert_int_equal(core_pending_count(f->dev, 0), 1);
	assert_int_equal(msg(f, f->mb[0], 0x0100, &log, 1), 0);
	assert_int_equal(r16(f->out, 0x14), 1);
	assert_int_equal(f->out[0x20 + 0x30], 0x00);            /* Add Capacity */
	assert_memory_equal(f->out + 0x20 + 0x38 + 0x10, TAG_T, 16);
	assert_int_equal(r64(f->out, 0x20 + 0x38 + 0x08), 4 * MIB);
	dpa = r64(f->out, 0x20 + 0x38);
	assert_true(dpa >= R1 && dpa < R1 + 4 * GIB);
	g32(rsp, 0, 1);                                           /* accept it all */
	g64(rsp, 8, dpa);
	g64(rsp, 0x10, 4 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4802, rsp, sizeof(rsp)), 0);
	assert_int_equal(core_extent_count(f->dev, 0), 1);

	/* Prescriptive needs its Extent Count */
	g8(in, 2, 2);
	assert_int_equal(msg(f, f->fm, 0x5604, in, 0x1c), 0x16);

	/* Tag-based release, 0x1C bytes: all of tag T (Length 0) */
	memset(in, 0, sizeof(in));
	g16(in, 0, 0);
	g8(in, 2, 0x00);
	memcpy(in + 0x0c, TAG_T, 16);
	assert_int_equal(msg(f, f->fm, 0x5605, in, 0x1b), 0x16);
	assert_int_equal(msg(f, f->fm, 0x5605, in, 0x1c), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0100, &log, 1), 0);
	assert_int_equal(r16(f->out, 0x14), 2);
	assert_int_equal(f->out[0x20 + 0x80 + 0x30], 0x01);     /* Release Capacity */
	assert_int_equal(r64(f->out, 0x20 + 0x80 + 0x38), dpa);
	g8(in, 2, 0x01);                                          /* Prescriptive: count needed */
	assert_int_equal(msg(f, f->fm, 0x5605, in, 0x1c), 0x16);
}

/* ------------------------------------------------- table (how-to-add rule) */

static const char *seed_dir;

/* Opcodes that have golden-vector tests in this file (and codec tests). */
static const uint16_t GOLDEN[] = {
	0x0001, 0x0003, 0x0004, 0x0100, 0x0101, 0x0102, 0x0103, 0x0400, 0x0401, 0x4000,
	0x0200, 0x0300, 0x0301, 0x4100, 0x4102, 0x4103, 0x4200, 0x4201, 0x4202, /* test-cci-memdev.c */
	0x4300, 0x4301, 0x4302,                 /* test-cci-poison.c */
	0x0002, 0x0005, 0x4303, 0x4304, 0x4305, /* test-cci-scan.c */
	0x0500, 0x0501, 0x0502, /* test-cci-features.c */
	0x0600, /* test-cci-maint.c */
	0x4400, 0x4401, 0x4800, 0x4801, 0x4802, 0x4803, 0x5600, 0x5601, 0x5602, 0x5603, 0x5604, 0x5605,
	0x5606, 0x5607, 0x5608,
	0x4402,                                 /* test-cci-media-ops.c */
	0x4500,                                 /* test-cci-memdev.c */
	0x0405,
};

/*
 * Mark the opcodes the dispatch seed corpus exercises (fuzz-cci-dispatch.c:
 * a device byte, then steps of fuzz/cci/steps.c).
 */
static void scan_seeds(bool seen[65536])
{
	DIR *d = opendir(seed_dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[4096];
		uint8_t buf[65536];
		size_t n, off = 1;      /* after the device byte */
		FILE *fp;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", seed_dir, e->d_name);
		fp = fopen(path, "rb");
		assert_non_null(fp);
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		while (n >= off + 5) {
			size_t len = r16(buf, off + 3);

			if (!(buf[off] & 0x04))
				seen[r16(buf, off + 1)] = true;
			off += 5 + (len < n - off - 5 ? len : n - off - 5);
		}
	}
	closedir(d);
}

static void test_table_is_sorted_complete_and_covered(void **state)
{
	static bool seen[65536];
	size_t n;
	const struct cci_cmd *t = cci_cmd_table(&n);

	(void)state;
	if (seed_dir)
		scan_seeds(seen);
	for (size_t i = 0; i < n; i++) {
		bool golden = false;

		if (i)
			assert_true(t[i - 1].opcode < t[i].opcode);
		assert_non_null(t[i].name);
		assert_non_null(t[i].handler);
		assert_true(t[i].flags & (CMD_MBOX | CMD_FM));
		assert_true(t[i].in_max == CCI_VAR ? t[i].rec_size > 0 : t[i].in_min <= t[i].in_max);
		assert_int_equal(t[i].effects & 0xf000, 0);
		assert_ptr_equal(cci_cmd_find(t[i].opcode), &t[i]);
		for (size_t k = 0; k < sizeof(GOLDEN) / sizeof(GOLDEN[0]); k++)
			golden |= GOLDEN[k] == t[i].opcode;
		if (!golden)
			fail_msg("opcode %04xh has no golden vector", t[i].opcode);
		if (seed_dir && !seen[t[i].opcode])
			fail_msg("opcode %04xh has no fuzz seed", t[i].opcode);
	}
	assert_null(cci_cmd_find(0x4804));
	assert_string_equal(cci_opcode_name(0x4802), "Add Dynamic Capacity Response");
}

/*
 * Journaling follows the table: a read is exactly a row whose CEL effects are
 * none and that is not marked CMD_JOURNAL (0004h and 0005h change the CCI's
 * state with no Command Effect the spec lists).
 */
static void test_reads_are_the_rows_without_effects(void **state)
{
	size_t n;
	const struct cci_cmd *t = cci_cmd_table(&n);

	(void)state;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cci_opcode_is_read(t[i].opcode),
				 t[i].effects == 0 && !(t[i].flags & CMD_JOURNAL));
	assert_false(cci_opcode_is_read(CXLDCD_OP_SET_RESPONSE_MSG_LIMIT));
	assert_false(cci_opcode_is_read(CXLDCD_OP_BG_OP_ABORT));
	assert_true(cci_opcode_is_read(CXLDCD_OP_GET_EVENT_RECORDS));
	assert_true(cci_opcode_is_read(CXLDCD_OP_FM_DC_LIST_TAGS));
	assert_false(cci_opcode_is_read(CXLDCD_OP_CLEAR_EVENT_RECORDS));
	assert_false(cci_opcode_is_read(CXLDCD_OP_ADD_DC_RESPONSE));
	assert_false(cci_opcode_is_read(CXLDCD_OP_FM_INITIATE_DC_ADD));
	assert_false(cci_opcode_is_read(0xabcd));
}

/* The erasing commands (the replay owes what they zero) are the rows marked CMD_ERASES. */
static void test_erasing_commands_are_the_rows_marked_so(void **state)
{
	size_t n, marked = 0;
	const struct cci_cmd *t = cci_cmd_table(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(cci_opcode_erases(t[i].opcode), !!(t[i].flags & CMD_ERASES));
		marked += !!(t[i].flags & CMD_ERASES);
	}
	assert_int_equal(marked, 3);
	assert_true(cci_opcode_erases(CXLDCD_OP_SANITIZE));
	assert_true(cci_opcode_erases(CXLDCD_OP_SECURE_ERASE));
	assert_true(cci_opcode_erases(CXLDCD_OP_MEDIA_OPERATIONS));
	assert_false(cci_opcode_erases(CXLDCD_OP_SET_LSA));
	assert_false(cci_opcode_erases(CXLDCD_OP_FM_INITIATE_DC_RELEASE));
	assert_false(cci_opcode_erases(0xabcd));
}

int main(int argc, char **argv)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_header_length_mismatch_is_invalid_payload_length),
		T(test_header_non_request_and_small_buffer_get_no_response),
		T(test_response_bo_bit_follows_the_background_operation),
		T(test_unknown_opcode_and_wrong_cci),
		T(test_fixed_size_commands_reject_other_lengths),
		T(test_identify_golden),
		T(test_response_message_limit),
		T(test_cel_lists_exactly_this_ccis_commands),
		T(test_supported_logs_sub_list_golden),
		T(test_mctp_cci_serves_what_the_spec_allows_and_its_own_cel),
		T(test_events_error_paths),
		T(test_irq_policy_set_get),
		T(test_identify_memdev_golden),
		T(test_get_dc_config_golden),
		T(test_dc_extent_list_errors),
		T(test_release_dc_empty_list_is_invalid_input),
		T(test_fm_dcd_info_golden),
		T(test_fm_host_region_config_golden),
		T(test_fm_region_extents_and_list_tags_errors),
		T(test_fm_initiate_add_rejects_bad_policy_and_lengths),
		T(test_fm_initiate_add_all_policies),
		T(test_fm_initiate_non_prescriptive_needs_no_extent_count),
		cmocka_unit_test(test_table_is_sorted_complete_and_covered),
		cmocka_unit_test(test_reads_are_the_rows_without_effects),
		cmocka_unit_test(test_erasing_commands_are_the_rows_marked_so),
	};

	seed_dir = argc > 1 ? argv[1] : NULL;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
