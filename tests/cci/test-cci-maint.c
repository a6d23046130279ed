/* SPDX-License-Identifier: MIT */
/*
 * test-cci-maint.c - the repair features (sPPR, hPPR, cacheline/row/bank/rank
 * memory sparing) served by 0500h-0502h and Perform Maintenance (0600h):
 * golden vectors laid out from the spec tables at explicit offsets (CXL r3.2
 * Table 8-109 entries, Tables 8-128/8-129, 8-131/8-132, 8-134/8-135 Feature
 * data, Tables 8-117 to 8-120 0600h inputs), every error with the model
 * unchanged (snapshot bytes compared), the repair counts in the snapshot,
 * and 0502h's CEL effects against the features' Set Feature Effects.
 */
#include "fixture.h"

#include "cci/cmd.h"
#include "cci/feat.h"
#include "cci/generic.h"
#include "cci/maint.h"

static const uint8_t REPAIR_UUID[6][16] = {
	{ 0x89, 0x2b, 0xa4, 0x75, 0xfa, 0xd8, 0x47, 0x4e, 0x9d, 0x3e, 0x69, 0x2c, 0x91, 0x75,
	  0x68, 0xbb },             /* 892ba475-fad8-474e-9d3e-692c917568bb sPPR */
	{ 0x80, 0xea, 0x45, 0x21, 0x78, 0x6f, 0x41, 0x27, 0xaf, 0xb1, 0xec, 0x74, 0x59, 0xfb,
	  0x0e, 0x24 },             /* 80ea4521-786f-4127-afb1-ec7459fb0e24 hPPR */
	{ 0x96, 0xc3, 0x33, 0x86, 0x91, 0xdd, 0x44, 0xc7, 0x9e, 0xcb, 0xfd, 0xaf, 0x65, 0x03,
	  0xba, 0xc4 },             /* 96c33386-91dd-44c7-9ecb-fdaf6503bac4 cacheline */
	{ 0x45, 0x0e, 0xbf, 0x67, 0xb1, 0x35, 0x4f, 0x97, 0xa4, 0x98, 0xc2, 0xd5, 0x7f, 0x27,
	  0x9b, 0xed },             /* 450ebf67-b135-4f97-a498-c2d57f279bed row */
	{ 0x78, 0xb7, 0x96, 0x36, 0x90, 0xac, 0x4b, 0x64, 0xa4, 0xef, 0xfa, 0xac, 0x5d, 0x18,
	  0xa8, 0x63 },             /* 78b79636-90ac-4b64-a4ef-faac5d18a863 bank */
	{ 0x34, 0xdb, 0xaf, 0xf5, 0x05, 0x52, 0x42, 0x81, 0x8f, 0x76, 0xda, 0x0b, 0x5e, 0x7a,
	  0x76, 0xa7 },             /* 34dbaff5-0552-4281-8f76-da0b5e7a76a7 rank */
};

static bool is_ppr(unsigned r)
{
	return r < 2;
}

static uint16_t get_feat(struct fx *f, struct cci_ctx *ctx, const uint8_t uuid[16], uint16_t off,
			 uint16_t count, uint8_t sel)
{
	uint8_t in[0x15] = { 0 };

	memcpy(in, uuid, 16);
	g16(in, 0x10, off);
	g16(in, 0x12, count);
	g8(in, 0x14, sel);
	return msg(f, ctx, 0x0501, in, sizeof(in));
}

static uint16_t set_feat(struct fx *f, const uint8_t uuid[16], uint32_t flags, uint8_t version,
			 const uint8_t *data, size_t n)
{
	uint8_t in[0x20 + 8] = { 0 };

	memcpy(in, uuid, 16);
	g32(in, 0x10, flags);
	g16(in, 0x14, 0);
	g8(in, 0x16, version);
	memcpy(in + 0x20, data, n);
	return msg(f, f->mb[0], 0x0502, in, 0x20 + n);
}

/* Readable attributes of repair r (Tables 8-128, 8-131, 8-134) as the device reports them. */
static size_t want_rd(uint8_t *w, unsigned r)
{
	memset(w, 0, 0x14);
	/* Maximum Maintenance Operation Latency (Table 8-126: bits 3:0 scale, 5h = 100 ms;
	 * bits 7:4 the count): PPR none, memory sparing 100 ms, what its operation takes */
	g8(w, 0x00, is_ppr(r) ? 0x05 : 0x15);
	g16(w, 0x01, 0);                        /* no device-initiated repair */
	g16(w, 0x03, 0);
	g8(w, 0x05, is_ppr(r) ? 1 : 2);         /* class: PPR, memory sparing */
	g8(w, 0x06, (uint8_t)(is_ppr(r) ? r : r - 2));
	if (!is_ppr(r)) {
		g16(w, 0x11, 0x0006);           /* hard and soft sparing, media accessible */
		return 0x13;
	}
	g8(w, 0x10, 0x03);                      /* DPA and nibble mask supported */
	g16(w, 0x11, 0);                        /* media accessible, data retained */
	g8(w, 0x13, 0);                         /* PPR Operation Mode */
	return 0x14;
}

/* Perform Maintenance PPR input (Tables 8-117, 8-118/8-119). */
static uint16_t ppr(struct fx *f, struct cci_ctx *ctx, uint8_t subclass, uint8_t flags,
		    uint64_t dpa, uint32_t nibbles)
{
	uint8_t in[14] = { 0 };

	g8(in, 0, 1);
	g8(in, 1, subclass);
	g8(in, 2, flags);
	g64(in, 3, dpa);
	g24(in, 0x0b, nibbles);
	return msg(f, ctx, 0x0600, in, sizeof(in));
}

/* Perform Maintenance memory sparing input (Table 8-120). */
static uint16_t spare(struct fx *f, uint8_t subclass, uint8_t flags)
{
	uint8_t in[16] = { 0 };

	g8(in, 0, 2);
	g8(in, 1, subclass);
	g8(in, 2 + 0x00, flags);
	g8(in, 2 + 0x01, 1);                    /* channel */
	g8(in, 2 + 0x02, 2);                    /* rank */
	g24(in, 2 + 0x03, 0xa59c);              /* nibble mask */
	g8(in, 2 + 0x06, 3);                    /* bank group */
	g8(in, 2 + 0x07, 4);                    /* bank */
	g24(in, 2 + 0x08, 0x12345);             /* row */
	g16(in, 2 + 0x0b, 0x0708);              /* column */
	g8(in, 2 + 0x0d, 1);                    /* sub-channel */
	return msg(f, f->mb[0], 0x0600, in, sizeof(in));
}

static void expect_counts(struct fx *f, const uint32_t want[CORE_NR_REPAIRS])
{
	for (unsigned r = 0; r < CORE_NR_REPAIRS; r++)
		assert_int_equal(core_maint_count(f->dev, (enum core_repair)r), want[r]);
}

/* ------------------------------------------------ the features */

static void test_repair_entries_golden(void **state)
{
	struct fx *f = *state;
	uint8_t in[8] = { 0 }, want[8 + 6 * 0x30] = { 0 };

	g32(in, 0, sizeof(want));
	g16(in, 4, 2);                          /* from index 2 */
	g16(want, 0, 6);
	g16(want, 2, 8);
	for (unsigned r = 0; r < 6; r++) {
		uint8_t *e = want + 8 + 0x30 * r;

		memcpy(e, REPAIR_UUID[r], 16);
		g16(e, 0x10, (uint16_t)(2 + r));
		g16(e, 0x12, is_ppr(r) ? 0x14 : 0x13);      /* Get Feature Size */
		g16(e, 0x14, is_ppr(r) ? 3 : 2);            /* Set Feature Size */
		/* changeable, default and saved selection; with saved selection the PPR
		 * features' Deepest Reset Persistence is 010b, hot reset (r3.2 Tables
		 * 8-127, 8-130); memory sparing's is 000b (Table 8-133) */
		g32(e, 0x16, is_ppr(r) ? 0x65 : 0x61);
		g8(e, 0x1a, is_ppr(r) ? 3 : 1);             /* versions */
		g8(e, 0x1b, is_ppr(r) ? 3 : 1);
		g16(e, 0x1c, 0x0202);
	}
	assert_int_equal(msg(f, f->mb[0], 0x0500, in, 8), 0);
	expect_rsp(f, want, sizeof(want));
}

static void test_repair_feature_data_golden(void **state)
{
	struct fx *f = *state;
	uint8_t w[0x14];

	for (unsigned r = 0; r < 6; r++) {
		size_t n = want_rd(w, r);

		for (uint8_t sel = 0; sel < 3; sel++) {
			struct cci_ctx *mb = f->mb[r & 1];

			assert_int_equal(get_feat(f, mb, REPAIR_UUID[r], 0, 0x40, sel), 0);
			expect_rsp(f, w, n);
		}
		assert_int_equal(get_feat(f, f->mb[0], REPAIR_UUID[r], 0x11, 2, 0), 0);
		expect_rsp(f, w + 0x11, 2);     /* Restriction Flags alone */
		assert_int_equal(get_feat(f, f->mb[0], REPAIR_UUID[r], (uint16_t)n, 1, 0), 0x02);
	}
}

/* Set Feature: the settings needing capabilities the device lacks are refused. */
static void test_set_repair_features(void **state)
{
	struct fx *f = *state;
	uint8_t *a = NULL, *b = NULL, w[0x14];
	size_t na, nb;

	static const uint8_t DEV_INIT[3] = { 1, 0, 0 }, EVENTS[3] = { 0, 0, 1 },
			     AT_BOOT[3] = { 0, 0, 2 };

	for (unsigned r = 0; r < 6; r++) {
		const uint8_t *u = REPAIR_UUID[r];
		uint8_t v = is_ppr(r) ? 3 : 1, other = is_ppr(r) ? 1 : 3;
		size_t n = is_ppr(r) ? 3 : 2;

		/* reserved bits (Operation Mode 15:1, PPR Operation Mode 7:2) are ignored */
		assert_int_equal(set_feat(f, REPAIR_UUID[r], 0x8, v,
					  (uint8_t[]){ 0xfe, 0xff, 0xfc }, n), 0);
		assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
		/* device-initiated mode, sparing events, repair at boot: Invalid Input */
		assert_int_equal(set_feat(f, u, 0, v, DEV_INIT, n), 0x02);
		if (is_ppr(r)) {
			assert_int_equal(set_feat(f, u, 0, v, EVENTS, 3), 0x02);
			assert_int_equal(set_feat(f, u, 0, v, AT_BOOT, 3), 0x02);
		}
		assert_int_equal(set_feat(f, REPAIR_UUID[r], 0, other, (uint8_t[]){ 0, 0, 0 }, n),
				 0x19);         /* Unsupported Feature Version */
		assert_int_equal(set_feat(f, REPAIR_UUID[r], 0, v, (uint8_t[]){ 0, 0, 0 }, n - 1),
				 0x16);         /* short of the Set Feature Size */
		assert_int_equal(core_snapshot(f->dev, &b, &nb), 0);
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, na);
		free(a);
		free(b);
		for (uint8_t sel = 0; sel < 3; sel += 2) {
			size_t m = want_rd(w, r);

			assert_int_equal(get_feat(f, f->mb[0], REPAIR_UUID[r], 0, 0x40, sel), 0);
			expect_rsp(f, w, m);
		}
	}
}

/* CEL effects of 0502h: exactly what the features' Set Feature Effects say. */
static void test_set_feature_cel_effects_are_the_features(void **state)
{
	struct fx *f = *state;
	uint8_t in[8] = { 0 };
	uint16_t all = 0;

	g32(in, 0, 8 + 8 * 0x30);
	assert_int_equal(msg(f, f->mb[0], 0x0500, in, 8), 0);
	for (unsigned i = 0; i < r16(f->out, 0); i++)
		all |= r16(f->out, 8 + 0x30 * i + 0x1c);
	all &= (uint16_t)~CCI_EFF_CEL_11_10_VALID;
	assert_int_equal(all, CCI_EFF_IMMEDIATE_CONFIG_CHANGE);
	assert_int_equal(cci_cmd_find(0x0502)->effects, all);
	/* a repair changes configuration; memory sparing runs in the background, may be
	 * aborted (r3.2 §8.2.10.7.1 lists it) and logs */
	assert_int_equal(cci_cmd_find(0x0600)->effects,
			 CCI_EFF_IMMEDIATE_CONFIG_CHANGE | CCI_EFF_IMMEDIATE_LOG_CHANGE |
				 CCI_EFF_BACKGROUND_OP | CCI_EFF_ABORT_BG_SUPPORTED);
	/* r3.2 Table 8-49: 0600h is O on a Type 3 device's mailbox and MCTP CCI */
	assert_int_equal(cci_cmd_find(0x0600)->flags & (CMD_MBOX | CMD_FM | CMD_MCTP),
			 CMD_MBOX | CMD_MCTP);
}

/* ------------------------------------------------ 0600h */

static void test_perform_ppr(void **state)
{
	struct fx *f = *state;
	uint32_t want[CORE_NR_REPAIRS] = { 0 };

	assert_int_equal(ppr(f, f->mb[0], 0, 0, 0x1000, 0), 0);          /* soft */
	assert_int_equal(f->out_len, 0);
	want[CORE_REPAIR_SPPR] = 1;
	expect_counts(f, want);
	assert_int_equal(ppr(f, f->mb[1], 1, 0, GIB - 1, 0xffffff), 0);  /* hard, last byte */
	want[CORE_REPAIR_HPPR] = 1;
	expect_counts(f, want);
	assert_int_equal(ppr(f, f->mb[0], 0, 0xfe, 0x40, 0x1), 0);       /* reserved flags */
	want[CORE_REPAIR_SPPR] = 2;
	expect_counts(f, want);
	/* Query Resources: checked, nothing repaired */
	assert_int_equal(ppr(f, f->mb[0], 1, 0x01, 0x2000, 0), 0);
	expect_counts(f, want);
	assert_int_equal(ppr(f, f->mb[0], 1, 0x01, GIB, 0), 0x0f);
	/* class 00h: no operation */
	assert_int_equal(msg(f, f->mb[0], 0x0600, (uint8_t[]){ 0, 0 }, 2), 0);
	expect_counts(f, want);
}

/* PPR on dynamic capacity: only its holder repairs it; the poison there stays. */
static void test_ppr_on_accepted_extent_keeps_poison(void **state)
{
	struct fx *f = *state;
	uint32_t want[CORE_NR_REPAIRS] = { 0 };

	give(f, 0, R0, 2 * MIB);
	assert_int_equal(core_poison_inject(f->dev, 0, R0 + 0x40, 64, CORE_POISON_SRC_INJECTED,
					    NULL), 0);
	assert_int_equal(ppr(f, f->mb[1], 0, 0, R0 + 0x40, 0), 0x0f);   /* not host 1's */
	assert_int_equal(ppr(f, f->mb[0], 1, 0, R0 + 2 * MIB, 0), 0x0f); /* past the extent */
	expect_counts(f, want);
	assert_int_equal(ppr(f, f->mb[0], 1, 0, R0 + 0x40, 0), 0);
	assert_int_equal(ppr(f, f->mb[0], 0, 0, R0 + 2 * MIB - 1, 0), 0);
	want[CORE_REPAIR_SPPR] = want[CORE_REPAIR_HPPR] = 1;
	expect_counts(f, want);
	assert_int_equal(core_poison_count(f->dev), 1);
	assert_true(core_poison_test(f->dev, R0 + 0x40, 64));
}

/* On the device's MCTP CCI (r3.2 Table 8-49: O) a repair may name any DPA the device decodes. */
static void test_ppr_over_mctp_reaches_the_whole_device(void **state)
{
	struct fx *f = *state;
	uint32_t want[CORE_NR_REPAIRS] = { 0 };
	struct cci_ctx *mc;

	assert_int_equal(cci_ctx_new(f->dev, CCI_MCTP, 0, &mc), 0);
	give(f, 1, R0, 2 * MIB);
	assert_int_equal(ppr(f, f->mb[0], 0, 0, R0 + 0x40, 0), 0x0f);   /* host 1's, not 0's */
	assert_int_equal(ppr(f, mc, 0, 0, R0 + 0x40, 0), 0);             /* the whole device */
	assert_int_equal(ppr(f, mc, 1, 0, 0x1000, 0), 0);                /* static capacity */
	want[CORE_REPAIR_SPPR] = want[CORE_REPAIR_HPPR] = 1;
	expect_counts(f, want);
	assert_int_equal(ppr(f, mc, 0, 0, 1ull << 60, 0), 0x0f);         /* decodes nothing */
	expect_counts(f, want);
	cci_ctx_free(mc);
}

static const uint8_t MSER_UUID[16] = { 0xe7, 0x1f, 0x3a, 0x40, 0x2d, 0x29, 0x40, 0x92,
				       0x8a, 0x39, 0x4d, 0x1c, 0x96, 0x6c, 0x7c, 0x65 };

#define SPARING_NS (100u * 1000000u)    /* the features' Maximum Maintenance Operation Latency */

/*
 * The Memory Sparing Event Record of spare(f, sub, flags) (CXL r3.2
 * §8.2.10.2.1.4, Table 8-60), written from the table: the operation in the
 * common header (subclass valid, flags bit 6) and at 0x30, the request's
 * Query Resources and Hard Sparing flags, Result 00h, three or more spares
 * (03h), and a copy of the request's coordinates (§8.2.10.7.1.4), valid but
 * for the nibble mask and sub-channel the request does not mark valid.
 */
static void want_mser(uint8_t *w, uint8_t sub, uint8_t flags, uint16_t handle, uint64_t ts)
{
	uint16_t valid = 0x007b;                /* channel, rank, bank group, bank, row, column */

	memset(w, 0, 0x80);
	memcpy(w, MSER_UUID, 16);
	g8(w, 0x10, 0x80);
	g24(w, 0x11, 1u << 6);                  /* Informational; Maintenance Operation Subclass valid */
	g16(w, 0x14, handle);
	g64(w, 0x18, ts);
	g8(w, 0x20, 2);                         /* Maintenance Operation Class: memory sparing */
	g8(w, 0x21, sub);
	g8(w, 0x30, 2);
	g8(w, 0x31, sub);
	g8(w, 0x32, flags & 0x03);              /* Query Resources, Hard Sparing */
	g8(w, 0x33, 0x00);                      /* Result: success */
	g16(w, 0x3c, 0x0003);                   /* Spare Resource Availability */
	g8(w, 0x3e, 1);                         /* channel */
	g8(w, 0x3f, 2);                         /* rank */
	g24(w, 0x40, 0xa59c);                   /* nibble mask */
	g8(w, 0x43, 3);                         /* bank group */
	g8(w, 0x44, 4);                         /* bank */
	g24(w, 0x45, 0x12345);                  /* row */
	g16(w, 0x48, 0x0708);                   /* column */
	g8(w, 0x5a, 1);                         /* sub-channel */
	if (flags & 0x08)                       /* Nibble Mask valid in the request */
		valid |= 1u << 2;
	if (flags & 0x04)                       /* Sub-channel valid in the request */
		valid |= 1u << 9;
	g16(w, 0x34, valid);
}

/* 0002h on host 0's mailbox: in progress, percent, opcode 0600h, return code. */
static void expect_bg(struct fx *f, bool running, uint8_t pct, uint16_t rc)
{
	uint8_t want[8] = { 0 };

	g8(want, 0, (uint8_t)((running ? 1 : 0) | pct << 1));
	g16(want, 2, 0x0600);
	g16(want, 4, rc);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
}

/*
 * Memory sparing runs as a background operation and logs a Memory Sparing
 * Event Record when it completes (CXL r3.2 §8.2.10.7.1.4: "All Memory
 * Sparing operations shall be executed as background operations"; "The
 * device shall communicate the operation's results by producing a Memory
 * Sparing Event Record"): Background Command Started with the BO bit, 0002h
 * progress, Busy for the mailbox's other background work (a PPR included:
 * §8.2.10.7.1), nothing logged or counted before the end and the record at
 * the end, stamped with the completion time.  On the old code every request
 * answered Success at once and logged nothing.
 */
static void test_perform_sparing(void **state)
{
	struct fx *f = *state;
	uint32_t want[CORE_NR_REPAIRS] = { 0 };
	static const uint8_t flags[] = { 0x0c, 0x0e, 0x01, 0x00 };  /* soft, hard, query, bare */
	uint8_t rec[0x80], info = CXLDCD_LOG_INFO, scan[0x11] = { 0 }, clr[8] = { 0, 0, 1 };
	uint64_t t = NOW;
	uint16_t handle = 1;

	for (uint8_t sub = 0; sub < 4; sub++) {
		for (unsigned k = 0; k < sizeof(flags); k++, handle++) {
			assert_int_equal(spare(f, sub, flags[k]), 0x01);
			assert_true(f->bo);
			expect_bg(f, true, 0, 0);
			assert_int_equal(spare(f, sub, flags[k]), 0x06);
			assert_int_equal(ppr(f, f->mb[0], 0, 0, 0x1000, 0), 0x06);
			g64(scan, 8, 1);
			assert_int_equal(msg(f, f->mb[0], 0x4304, scan, sizeof(scan)), 0x06);
			assert_int_equal(msg(f, f->mb[1], 0x0002, NULL, 0), 0);  /* host 1: none */
			assert_int_equal(f->out[0], 0);
			core_dev_set_time(f->dev, t + SPARING_NS / 4);
			expect_bg(f, true, 25, 0);
			core_dev_set_time(f->dev, t + SPARING_NS - 1);
			assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 0);
			expect_counts(f, want);
			/* the clock passes the end: the record, with the completion time */
			core_dev_set_time(f->dev, t + SPARING_NS + 12345);
			expect_bg(f, false, 100, 0);
			assert_false(f->bo);
			assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 0);
			assert_int_equal(msg(f, f->mb[0], 0x0100, &info, 1), 0);
			assert_int_equal(f->out_len, 0x20 + 0x80);
			want_mser(rec, sub, flags[k], handle, t + SPARING_NS);
			assert_bytes_equal(f->out + 0x20, rec, 0x80);
			g16(clr, 6, handle);
			assert_int_equal(msg(f, f->mb[0], 0x0101, clr, sizeof(clr)), 0);
			t += SPARING_NS + 12345;
			if (!(flags[k] & 0x01))
				want[CORE_REPAIR_CACHELINE + sub]++;
			expect_counts(f, want);
		}
	}
}

/*
 * Request Abort Background Operation (0005h) aborts a memory sparing
 * (§8.2.10.7.1.4: "capable of being aborted"; 0600h's Command Effects list
 * Request Abort Background Operation Command Supported): 0002h reports
 * Aborted at the progress it had, nothing is counted and no record is
 * logged, then or when its end would have come; the mailbox is free again.
 */
static void test_sparing_abort(void **state)
{
	struct fx *f = *state;
	uint32_t want[CORE_NR_REPAIRS] = { 0 };

	assert_int_equal(spare(f, 1, 0x02), 0x01);
	core_dev_set_time(f->dev, NOW + SPARING_NS / 2);
	assert_int_equal(msg(f, f->mb[1], 0x0005, NULL, 0), 0);         /* host 1: none runs */
	expect_bg(f, true, 50, 0);
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0);
	assert_false(f->bo);
	expect_bg(f, false, 50, 0x12);                                  /* Aborted */
	core_dev_set_time(f->dev, NOW + 2 * SPARING_NS);
	expect_bg(f, false, 50, 0x12);
	expect_counts(f, want);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0);         /* nothing to abort */
	/* the next one runs and is counted */
	assert_int_equal(spare(f, 1, 0x02), 0x01);
	core_dev_set_time(f->dev, NOW + 3 * SPARING_NS);
	want[CORE_REPAIR_ROW] = 1;
	expect_counts(f, want);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 1);
}

/* A PPR completes at once: no background operation, no record. */
static void test_ppr_is_not_a_background_operation(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ppr(f, f->mb[0], 0, 0, 0x1000, 0), 0);
	assert_false(f->bo);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	assert_int_equal(r16(f->out, 2), 0);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 0);
}

/*
 * The owed record survives a snapshot taken while the sparing runs, and the
 * restored device logs the same bytes at the same end; each host's mailbox
 * and the MCTP CCI (the FM's log) run their own.
 */
static void test_sparing_in_flight_survives_a_snapshot(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);
	struct cxldcd_event a[2], b[2];
	struct cxldcd_dev *d2;
	struct cci_ctx *mc;
	uint8_t *s1 = NULL, *s2 = NULL, in[16] = { 2, 1, 0x02, 5, 6 };
	uint32_t n;
	size_t n1, n2;

	assert_int_equal(cci_ctx_new(f->dev, CCI_MCTP, 0, &mc), 0);
	assert_int_equal(spare(f, 3, 0x02), 0x01);                      /* host 0: rank */
	assert_int_equal(msg(f, mc, 0x0600, in, sizeof(in)), 0x01);     /* MCTP CCI: row */
	assert_int_equal(msg(f, f->mb[1], 0x0600, in, sizeof(in)), 0x01);
	assert_int_equal(core_snapshot(f->dev, &s1, &n1), 0);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, s1, n1, NULL), 0);
	assert_int_equal(core_snapshot(d2, &s2, &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(s1, s2, n1);
	core_dev_set_time(f->dev, NOW + SPARING_NS);
	core_dev_set_time(d2, NOW + SPARING_NS);
	for (uint16_t o = 0; o < 3; o++) {
		uint16_t owner = o < 2 ? o : CORE_OWNER_FM;

		assert_int_equal(core_evlog_get(f->dev, owner, CXLDCD_LOG_INFO, 2, a, &n, NULL), 0);
		assert_int_equal(n, 1);
		assert_int_equal(core_evlog_get(d2, owner, CXLDCD_LOG_INFO, 2, b, &n, NULL), 0);
		assert_int_equal(n, 1);
		assert_memory_equal(&a[0], &b[0], sizeof(a[0]));
		assert_int_equal(a[0].timestamp_ns, NOW + SPARING_NS);
		assert_int_equal(a[0].maint_subclass, o == 0 ? 3 : 1);
	}
	free(s1);
	free(s2);
	core_dev_free(d2);
	cci_ctx_free(mc);
}

/* ------------------------------------------------ maint-at-once (COMPAT: Linux) */

/* The fixture on a device whose maintenance completes at once (-device ...,maint-at-once=on). */
static int setup_at_once(void **state)
{
	struct cxldcd_dev_cfg cfg;

	fx_cfg(&cfg);
	cfg.maint_at_once = true;
	return setup_cfg(state, &cfg);
}

/* The CEL Command Effect of @op in host 0's CEL (0400h for its size, then 0401h). */
static uint16_t cel_effect(struct fx *f, uint16_t op)
{
	uint8_t in[0x18] = { 0 };
	uint32_t size;

	assert_int_equal(msg(f, f->mb[0], 0x0400, NULL, 0), 0);
	assert_memory_equal(f->out + 8, CEL_UUID, 16);
	size = r32(f->out, 8 + 16);
	memcpy(in, CEL_UUID, 16);
	g32(in, 0x14, size);
	assert_int_equal(msg(f, f->mb[0], 0x0401, in, sizeof(in)), 0);
	assert_int_equal(f->out_len, size);
	for (uint32_t i = 0; i < size; i += 4)
		if (r16(f->out, i) == op)
			return r16(f->out, i + 2);
	fail_msg("opcode %04x not in the CEL", op);
	return 0;
}

/*
 * COMPAT (Linux): on a device made with maint-at-once, memory sparing
 * completes before its response, as a PPR does.  Linux's EDAC driver
 * (drivers/cxl/core/edac.c, cxl_perform_maintenance()) sends 0600h with no
 * poll count, and cxl_pci's __cxl_pci_mbox_send_cmd() then looks at the
 * background status once: a sparing still running is -ETIMEDOUT.  Success
 * (no BO bit), 0002h untouched (no background operation ever ran), the
 * Memory Sparing Event Record already in the log with the request's time
 * (bytes from Table 8-60, as want_mser() lays them out), the repair counted
 * unless a query, and nothing more logged when the clock moves on.  On the
 * old code every request answered Background Command Started.
 */
static void test_sparing_at_once_completes_before_the_response(void **state)
{
	struct fx *f = *state;
	uint32_t want[CORE_NR_REPAIRS] = { 0 };
	static const uint8_t flags[] = { 0x0c, 0x0e, 0x01, 0x00 };  /* soft, hard, query, bare */
	uint8_t rec[0x80], info = CXLDCD_LOG_INFO, clr[8] = { 0, 0, 1 }, zero[8] = { 0 };
	uint64_t t = NOW;
	uint16_t handle = 1;

	for (uint8_t sub = 0; sub < 4; sub++) {
		for (unsigned k = 0; k < sizeof(flags); k++, handle++, t += 777) {
			core_dev_set_time(f->dev, t);
			assert_int_equal(spare(f, sub, flags[k]), 0x00);
			assert_int_equal(f->out_len, 0);
			assert_false(f->bo);
			if (!(flags[k] & 0x01))
				want[CORE_REPAIR_CACHELINE + sub]++;
			expect_counts(f, want);
			assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
			expect_rsp(f, zero, 8);
			assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0);  /* nothing to abort */
			assert_int_equal(msg(f, f->mb[0], 0x0100, &info, 1), 0);
			assert_int_equal(f->out_len, 0x20 + 0x80);
			assert_int_equal(r16(f->out, 0x14), 1);                 /* one record */
			want_mser(rec, sub, flags[k], handle, t);
			assert_bytes_equal(f->out + 0x20, rec, 0x80);
			assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 0);
			g16(clr, 6, handle);
			assert_int_equal(msg(f, f->mb[0], 0x0101, clr, sizeof(clr)), 0);
			core_dev_set_time(f->dev, t + 2 * SPARING_NS);          /* nothing owed */
			assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 0);
			expect_counts(f, want);
		}
	}
	/* PPR as before: Success, no record */
	assert_int_equal(ppr(f, f->mb[0], 0, 0, 0x1000, 0), 0);
	assert_false(f->bo);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 0);
}

/*
 * maint-at-once keeps the rest: a background operation already running on
 * the mailbox (a Scan Media) still makes 0600h Busy, with nothing counted
 * or logged; other hosts are free; the MCTP CCI logs in the FM's log.
 */
static void test_sparing_at_once_is_busy_behind_a_background_operation(void **state)
{
	struct fx *f = *state;
	uint32_t want[CORE_NR_REPAIRS] = { 0 };
	uint8_t scan[0x11] = { 0 }, in[16] = { 2, 1, 0x02, 5, 6 };
	struct cci_ctx *mc;

	g64(scan, 8, 1);                                        /* 64 bytes at DPA 0 */
	assert_int_equal(msg(f, f->mb[0], 0x4304, scan, sizeof(scan)), 0x01);
	assert_int_equal(spare(f, 1, 0x02), 0x06);
	assert_int_equal(ppr(f, f->mb[0], 0, 0, 0x1000, 0), 0x06);
	expect_counts(f, want);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 0);
	assert_int_equal(msg(f, f->mb[1], 0x0600, in, sizeof(in)), 0x00);       /* host 1: free */
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 1);
	assert_int_equal(cci_ctx_new(f->dev, CCI_MCTP, 0, &mc), 0);
	assert_int_equal(msg(f, mc, 0x0600, in, sizeof(in)), 0x00);
	assert_false(f->bo);
	assert_int_equal(core_evlog_count(f->dev, CORE_OWNER_FM, CXLDCD_LOG_INFO), 1);
	want[CORE_REPAIR_ROW] = 2;
	expect_counts(f, want);
	cci_ctx_free(mc);
}

/*
 * What the device reports follows: 0600h's CEL entry without Background
 * Operation and Abort supported (0012h; 0152h without the property), and
 * the sparing features' Maximum Maintenance Operation Latency 05h (none;
 * 15h without), the rest of their Feature data unchanged.
 */
static void test_sparing_at_once_cel_and_latency(void **state)
{
	struct fx *f = *state;
	uint8_t w[0x14];

	assert_int_equal(cel_effect(f, 0x0600),
			 CCI_EFF_IMMEDIATE_CONFIG_CHANGE | CCI_EFF_IMMEDIATE_LOG_CHANGE);
	assert_int_equal(cel_effect(f, 0x4304),
			 CCI_EFF_BACKGROUND_OP | CCI_EFF_ABORT_BG_SUPPORTED);      /* unchanged */
	for (unsigned r = 0; r < 6; r++) {
		size_t n = want_rd(w, r);

		g8(w, 0x00, 0x05);
		assert_int_equal(get_feat(f, f->mb[0], REPAIR_UUID[r], 0, 0x40, 0), 0);
		expect_rsp(f, w, n);
	}
}

/* The default device (no maint-at-once) reports the background operation in its CEL. */
static void test_sparing_cel_entry_says_background(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cel_effect(f, 0x0600),
			 CCI_EFF_IMMEDIATE_CONFIG_CHANGE | CCI_EFF_IMMEDIATE_LOG_CHANGE |
				 CCI_EFF_BACKGROUND_OP | CCI_EFF_ABORT_BG_SUPPORTED);
}

static void test_perform_errors_change_nothing(void **state)
{
	struct fx *f = *state;
	uint8_t *a = NULL, *b = NULL, in[17] = { 1, 0 }, scan[0x11] = { 0 };
	uint32_t want[CORE_NR_REPAIRS] = { 0 };
	size_t na, nb;

	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	assert_int_equal(ppr(f, f->mb[0], 2, 0, 0x1000, 0), 0x02);      /* subclass */
	assert_int_equal(spare(f, 4, 0), 0x02);
	assert_int_equal(spare(f, 0xff, 0), 0x02);
	in[0] = 3;              /* built-in test, not supported: Invalid Input (r3.1 §8.2.9.7.1) */
	assert_int_equal(msg(f, f->mb[0], 0x0600, in, 2), 0x02);
	in[0] = 4;
	assert_int_equal(msg(f, f->mb[0], 0x0600, in, 2), 0x02);
	in[0] = 0xff;
	assert_int_equal(msg(f, f->mb[0], 0x0600, in, 16), 0x02);
	/* a DPA the host cannot access: its DC region (no extent), past the device */
	assert_int_equal(ppr(f, f->mb[0], 0, 0, R0, 0), 0x0f);
	assert_int_equal(ppr(f, f->mb[1], 1, 0, UINT64_MAX, 0), 0x0f);
	/* payload sizes: PPR 14, sparing 16, at least the 2-byte header */
	in[0] = 1;
	assert_int_equal(msg(f, f->mb[0], 0x0600, in, 13), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x0600, in, 15), 0x16);
	in[0] = 2;
	assert_int_equal(msg(f, f->mb[0], 0x0600, in, 15), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x0600, in, 17), 0x16);
	assert_int_equal(msg(f, f->mb[0], 0x0600, in, 1), 0x16);
	/* not on the FM CCI */
	assert_int_equal(msg(f, f->fm, 0x0600, (uint8_t[]){ 0, 0 }, 2), 0x15);
	assert_int_equal(core_snapshot(f->dev, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	free(b);
	/* Busy while a Scan Media runs on this mailbox; the other host's is free */
	g64(scan, 0, 0);
	g64(scan, 8, GIB / 64);
	assert_int_equal(msg(f, f->mb[0], 0x4304, scan, sizeof(scan)), 0x01);
	assert_int_equal(ppr(f, f->mb[0], 0, 0, 0x1000, 0), 0x06);
	assert_int_equal(spare(f, 0, 0), 0x06);
	expect_counts(f, want);
	assert_int_equal(ppr(f, f->mb[1], 0, 0, 0x1000, 0), 0);
	free(a);
}

/* ------------------------------------------------ model */

static void test_repairs_and_settings_in_the_snapshot(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);
	struct cxldcd_dev *d2;
	uint8_t *a = NULL, *b = NULL;
	size_t na, nb;

	assert_int_equal(ppr(f, f->mb[0], 1, 0, 0x1000, 0), 0);
	assert_int_equal(spare(f, 3, 0x02), 0x01);
	core_dev_set_time(f->dev, NOW + SPARING_NS);
	assert_int_equal(spare(f, 3, 0), 0x01);
	core_dev_set_time(f->dev, NOW + 2 * SPARING_NS);
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na, NULL), 0);
	assert_int_equal(core_maint_count(d2, CORE_REPAIR_HPPR), 1);
	assert_int_equal(core_maint_count(d2, CORE_REPAIR_RANK), 2);
	assert_int_equal(core_maint_count(d2, CORE_REPAIR_SPPR), 0);
	assert_int_equal(core_snapshot(d2, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	core_dev_free(d2);
	/* the section ends with the rank sparing { cur, saved, u32 count }: a mode out of range */
	assert_int_equal(r32(a, na - 4), 2);
	a[na - 6] = 1;                          /* current: device-initiated */
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_not_equal(core_restore(d2, a, na, NULL), 0);
	core_dev_free(d2);
	free(a);
	free(b);
}

/* ------------------------------------------------ codecs */

static void test_maint_codec_round_trips(void **state)
{
	uint8_t buf[0x20];
	struct wwr w;
	struct cci_maint_in p = { .op_class = 1, .op_subclass = 1, .flags = 1,
				  .nibble_mask = 0xabcdef, .dpa = 0x1122334455667788ull },
			    s = { .op_class = 2, .op_subclass = 3, .flags = 0xe, .channel = 1,
				  .rank = 2, .nibble_mask = 0x123456, .bank_group = 3, .bank = 4,
				  .row = 0xfedcba, .column = 0x0708, .sub_channel = 9 },
			    o;
	struct cci_repair_rd rd, rd2;
	struct cci_repair_wr wr, wr2;

	(void)state;
	/* set field by field: assert_memory_equal() below compares the padding too */
	memset(&rd, 0, sizeof(rd));
	memset(&rd2, 0, sizeof(rd2));
	rd.ppr = rd2.ppr = true;
	rd.max_latency = 5;
	rd.op_caps = rd.op_mode = 1;
	rd.op_class = rd.op_subclass = 1;
	rd.ppr_flags = 0xf;
	rd.restriction = 5;
	rd.ppr_op_mode = 3;
	memset(&wr, 0, sizeof(wr));
	memset(&wr2, 0, sizeof(wr2));
	wr.ppr = wr2.ppr = true;
	wr.op_mode = 0x8001;
	wr.ppr_op_mode = 2;
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(cci_enc_maint_in(&w, &p), 0);
	assert_int_equal(w.off, 14);
	assert_memory_equal(buf, ((uint8_t[]){ 1, 1, 1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
					       0x11, 0xef, 0xcd, 0xab }), 14);
	assert_int_equal(cci_dec_maint_in(buf, 14, &o), 0);
	assert_memory_equal(&o, &p, sizeof(o));
	for (size_t n = 0; n < 14; n++)
		assert_int_equal(cci_dec_maint_in(buf, n, &o), -EMSGSIZE);
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(cci_enc_maint_in(&w, &s), 0);
	assert_int_equal(w.off, 16);
	assert_memory_equal(buf, ((uint8_t[]){ 2, 3, 0xe, 1, 2, 0x56, 0x34, 0x12, 3, 4, 0xba, 0xdc,
					       0xfe, 0x08, 0x07, 9 }), 16);
	assert_int_equal(cci_dec_maint_in(buf, 16, &o), 0);
	assert_memory_equal(&o, &s, sizeof(o));
	for (size_t n = 0; n < 16; n++)
		assert_int_equal(cci_dec_maint_in(buf, n, &o), -EMSGSIZE);
	/* the repair features' data */
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(cci_enc_repair_rd(&w, &rd), 0);
	assert_int_equal(w.off, CCI_PPR_RD_SIZE);
	assert_int_equal(cci_dec_repair_rd(buf, CCI_PPR_RD_SIZE, &rd2), 0);
	assert_memory_equal(&rd, &rd2, sizeof(rd));
	for (size_t n = 0; n < CCI_PPR_RD_SIZE; n++)
		assert_int_equal(cci_dec_repair_rd(buf, n, &rd2), -EMSGSIZE);
	rd.ppr = rd2.ppr = false;
	rd.ppr_flags = rd.ppr_op_mode = 0;
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(cci_enc_repair_rd(&w, &rd), 0);
	assert_int_equal(w.off, CCI_SPARING_RD_SIZE);
	assert_int_equal(cci_dec_repair_rd(buf, CCI_SPARING_RD_SIZE, &rd2), 0);
	assert_memory_equal(&rd, &rd2, sizeof(rd));
	assert_int_equal(cci_dec_repair_rd(buf, CCI_PPR_RD_SIZE, &rd2), -EMSGSIZE);
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(cci_enc_repair_wr(&w, &wr), 0);
	assert_memory_equal(buf, ((uint8_t[]){ 0x01, 0x80, 2 }), 3);
	assert_int_equal(cci_dec_repair_wr(buf, 3, &wr2), 0);
	assert_memory_equal(&wr, &wr2, sizeof(wr));
	assert_int_equal(cci_dec_repair_wr(buf, 2, &wr2), -EMSGSIZE);
	wr2.ppr = false;
	assert_int_equal(cci_dec_repair_wr(buf, 3, &wr2), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_repair_entries_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_feature_data_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_repair_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_feature_cel_effects_are_the_features,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_perform_ppr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ppr_on_accepted_extent_keeps_poison, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ppr_over_mctp_reaches_the_whole_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_perform_sparing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ppr_is_not_a_background_operation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sparing_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sparing_in_flight_survives_a_snapshot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_perform_errors_change_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_repairs_and_settings_in_the_snapshot, setup,
						teardown),
		cmocka_unit_test(test_maint_codec_round_trips),
		cmocka_unit_test_setup_teardown(test_sparing_at_once_completes_before_the_response,
						setup_at_once, teardown),
		cmocka_unit_test_setup_teardown(
			test_sparing_at_once_is_busy_behind_a_background_operation, setup_at_once,
			teardown),
		cmocka_unit_test_setup_teardown(test_sparing_at_once_cel_and_latency, setup_at_once,
						teardown),
		cmocka_unit_test_setup_teardown(test_sparing_cel_entry_says_background, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
