/* SPDX-License-Identifier: MIT */
/*
 * test-cci-features.c - the Features command set (0500h-0502h) with the
 * patrol scrub and DDR5 ECS control features: golden vectors laid out from
 * the spec tables at explicit offsets (CXL r3.2 Table 8-109, Tables
 * 8-221/8-222/8-223 and 8-224/8-225/8-226), paging of Get Supported
 * Features, Get Feature offset/count/selection (no saved selection for
 * these two), Set Feature in one part and in several,
 * every error with the state read back unchanged, and the values in the
 * model's snapshot.
 */
#include "fixture.h"

#include "cci/feat.h"

static const uint8_t SCRUB_UUID[16] = { 0x96, 0xda, 0xd7, 0xd6, 0xfd, 0xe8, 0x48, 0x2b,
					0xa7, 0x33, 0x75, 0x77, 0x4e, 0x06, 0xdb, 0x8a };
static const uint8_t ECS_UUID[16] = { 0xe5, 0xb1, 0x3f, 0x22, 0x23, 0x28, 0x4a, 0x14,
				      0xb8, 0xba, 0xb9, 0x69, 0x1e, 0x89, 0x33, 0x86 };

/* Get Supported Features input (Table 8-107): Count, Starting Feature Index. */
static uint16_t get_supp(struct fx *f, uint32_t count, uint16_t start)
{
	uint8_t in[8] = { 0 };

	g32(in, 0, count);
	g16(in, 4, start);
	return msg(f, f->mb[0], 0x0500, in, 8);
}

/* Get Feature input (Table 8-99): UUID, Offset, Count, Selection. */
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

/* Set Feature input (Table 8-101): UUID, Flags, Offset, Version, 9 reserved, data. */
static uint16_t set_feat(struct fx *f, struct cci_ctx *ctx, const uint8_t uuid[16], uint32_t flags,
			 uint16_t off, uint8_t version, const uint8_t *data, size_t n)
{
	uint8_t in[0x20 + 64];

	memset(in, 0xee, 0x20);                 /* reserved bytes are ignored */
	memcpy(in, uuid, 16);
	g32(in, 0x10, flags);
	g16(in, 0x14, off);
	g8(in, 0x16, version);
	if (n)
		memcpy(in + 0x20, data, n);
	return msg(f, ctx, 0x0502, in, 0x20 + n);
}

/* The 4-byte scrub readable attributes with the given cycle and enable flag. */
static void want_scrub(uint8_t *w, uint8_t cycle, bool enabled)
{
	g8(w, 0, 0x01);                         /* cycle changeable, no realtime report */
	g16(w, 1, (uint16_t)(cycle | (1u << 8)));       /* minimum cycle 1 hour */
	g8(w, 3, enabled ? 1 : 0);
}

static void expect_scrub(struct fx *f, uint8_t sel, uint8_t cycle, bool enabled)
{
	uint8_t w[4];

	want_scrub(w, cycle, enabled);
	assert_int_equal(get_feat(f, f->mb[0], SCRUB_UUID, 0, 4, sel), 0);
	expect_rsp(f, w, 4);
}

/* ECS readable attributes (0x0d bytes) with one configuration word for every FRU. */
static void expect_ecs(struct fx *f, uint8_t sel, uint8_t log_type, const uint16_t cfg[3])
{
	uint8_t w[0x0d] = { 0 };

	g8(w, 0, log_type);
	for (unsigned i = 0; i < 3; i++) {
		g8(w, 1 + 4 * i, 0);            /* no realtime report */
		g16(w, 2 + 4 * i, cfg[i]);
		g8(w, 4 + 4 * i, 0);
	}
	assert_int_equal(get_feat(f, f->mb[1], ECS_UUID, 0, 0x0d, sel), 0);
	expect_rsp(f, w, 0x0d);
}

static const uint16_t ECS_DEFAULT[3] = { 3, 3, 3 };
static const uint8_t SCRUB_24_ON[2] = { 24, 1 };    /* writable: 24 hours, enabled */

/* ------------------------------------------------ 0500h */

static void entry(uint8_t *w, const uint8_t uuid[16], uint16_t index, uint16_t get, uint16_t set)
{
	memcpy(w, uuid, 16);
	g16(w, 0x10, index);
	g16(w, 0x12, get);
	g16(w, 0x14, set);
	/* changeable, Deepest Reset Persistence 000b, default selection, no saved selection
	 * (r3.2 Tables 8-221, 8-224 fix these bits for scrub and ECS) */
	g32(w, 0x16, 0x21);
	g8(w, 0x1a, 1);                         /* Get Feature Version */
	g8(w, 0x1b, 1);                         /* Set Feature Version */
	g16(w, 0x1c, 0x0202);                   /* Immediate Config Change, CEL[11:10] valid */
}

static void test_supported_features_golden(void **state)
{
	struct fx *f = *state;
	uint8_t want[8 + 2 * 0x30] = { 0 };
	struct cci_feat_entry e;

	g16(want, 0, 2);                        /* entries in this output */
	g16(want, 2, 8);                        /* Device Supported Features */
	entry(want + 8, SCRUB_UUID, 0, 4, 2);
	entry(want + 8 + 0x30, ECS_UUID, 1, 0x0d, 7);
	assert_int_equal(get_supp(f, sizeof(want), 0), 0);
	expect_rsp(f, want, sizeof(want));
	/* more room than entries: all 8 (the repair features: test-cci-maint.c) */
	assert_int_equal(get_supp(f, 0x10000, 0), 0);
	assert_int_equal(f->out_len, 8 + 8 * 0x30);
	assert_int_equal(r16(f->out, 0), 8);
	assert_memory_equal(f->out + 2, want + 2, sizeof(want) - 2);
	assert_int_equal(cci_dec_feat_entry(want + 8 + 0x30, 0x30, &e), 0);
	assert_int_equal(e.get_size, 0x0d);
	assert_int_equal(e.set_size, 7);
	assert_int_equal(cci_dec_feat_entry(want + 8, 0x2f, &e), -EMSGSIZE);
}

static void test_supported_features_paging(void **state)
{
	struct fx *f = *state;
	uint8_t want[8 + 0x30] = { 0 };

	/* the second entry alone */
	g16(want, 0, 1);
	g16(want, 2, 8);
	entry(want + 8, ECS_UUID, 1, 0x0d, 7);
	assert_int_equal(get_supp(f, 8 + 0x30, 1), 0);
	expect_rsp(f, want, sizeof(want));
	/* the first alone: Count takes one entry */
	entry(want + 8, SCRUB_UUID, 0, 4, 2);
	assert_int_equal(get_supp(f, 8 + 0x30 + 0x2f, 0), 0);
	expect_rsp(f, want, sizeof(want));
	/* Count = the header: no entry, the total still said */
	g16(want, 0, 0);
	assert_int_equal(get_supp(f, 8, 0), 0);
	expect_rsp(f, want, 8);
	assert_int_equal(get_supp(f, 7, 0), 0x02);      /* not even the header */
	/*
	 * Starting Feature Index: Invalid Input only when greater than Device
	 * Supported Features (r3.1 §8.2.9.6.1); equal to it, the header alone.
	 */
	assert_int_equal(get_supp(f, 0x100, 8), 0);
	expect_rsp(f, want, 8);
	assert_int_equal(get_supp(f, 0x100, 9), 0x02);  /* past the list */
	assert_int_equal(get_supp(f, 0x100, 0xffff), 0x02);
}

/* ------------------------------------------------ 0501h */

static void test_get_feature_golden(void **state)
{
	struct fx *f = *state;
	uint8_t w[4];

	for (uint8_t sel = 0; sel < 2; sel++) {   /* current, default: both default */
		expect_scrub(f, sel, 12, false);
		expect_ecs(f, sel, 1, ECS_DEFAULT);
	}
	/* no saved selection (Attribute Flags bit 6 clear): Unsupported Feature Selection Value */
	assert_int_equal(get_feat(f, f->mb[0], SCRUB_UUID, 0, 4, 2), 0x1a);
	assert_int_equal(get_feat(f, f->mb[0], ECS_UUID, 0, 0x0d, 2), 0x1a);
	/* Offset and Count pick bytes of the Feature data */
	want_scrub(w, 12, false);
	assert_int_equal(get_feat(f, f->mb[0], SCRUB_UUID, 1, 2, 0), 0);
	expect_rsp(f, w + 1, 2);
	assert_int_equal(get_feat(f, f->mb[0], SCRUB_UUID, 3, 0x100, 0), 0);
	expect_rsp(f, w + 3, 1);                /* clipped to the data */
	assert_int_equal(get_feat(f, f->mb[0], SCRUB_UUID, 0, 0, 0), 0);
	assert_int_equal(f->out_len, 0);
	assert_int_equal(get_feat(f, f->mb[0], ECS_UUID, 0x0c, 1, 0), 0);
	expect_rsp(f, (uint8_t[]){ 0 }, 1);     /* the last FRU's flags */
}

static void test_get_feature_errors(void **state)
{
	struct fx *f = *state;
	uint8_t bad[16];

	memcpy(bad, SCRUB_UUID, 16);
	bad[15] ^= 1;
	assert_int_equal(get_feat(f, f->mb[0], bad, 0, 4, 0), 0x03);   /* Unsupported */
	assert_int_equal(get_feat(f, f->mb[0], SCRUB_UUID, 0, 4, 3), 0x1a);
	assert_int_equal(get_feat(f, f->mb[0], SCRUB_UUID, 0, 4, 0xff), 0x1a);
	assert_int_equal(get_feat(f, f->mb[0], SCRUB_UUID, 4, 1, 0), 0x02);
	assert_int_equal(get_feat(f, f->mb[0], ECS_UUID, 0x0d, 1, 0), 0x02);
	assert_int_equal(get_feat(f, f->mb[0], ECS_UUID, 0xffff, 0xffff, 0), 0x02);
	assert_int_equal(get_feat(f, f->fm, SCRUB_UUID, 0, 4, 0), 0x15);
}

/* ------------------------------------------------ 0502h, one part */

static void test_set_scrub(void **state)
{
	struct fx *f = *state;
	struct core_features v;

	/* Full Data Transfer: 24 hours, enabled; current only */
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 0, 1, (uint8_t[]){ 24, 1 }, 2), 0);
	assert_int_equal(f->out_len, 0);
	expect_scrub(f, 0, 24, true);
	expect_scrub(f, 1, 12, false);
	expect_ecs(f, 0, 1, ECS_DEFAULT);       /* the other feature is untouched */
	/*
	 * Saved Across Reset: ignored, the feature has no saved selection (its
	 * Deepest Reset Persistence is None); reserved flag bits ignored
	 */
	assert_int_equal(set_feat(f, f->mb[1], SCRUB_UUID, 0xfff0 | 0x8, 0, 1,
				  (uint8_t[]){ 1, 0xfe }, 2), 0);
	expect_scrub(f, 0, 1, false);
	expect_scrub(f, 1, 12, false);
	core_features_get(f->dev, CORE_FEAT_SAVED, &v);
	assert_int_equal(v.scrub.cycle_h, 12);
	assert_false(v.scrub.enabled);
}

static void test_set_ecs(void **state)
{
	struct fx *f = *state;
	uint8_t d[7];
	const uint16_t want[3] = { 4, 5 | 0x8, 3 };

	g8(d, 0, 0xfc);                         /* per DRAM; bits 7:2 reserved */
	g16(d, 1, 4);                           /* 1024 */
	g16(d, 3, 5 | 0x8 | 0x10);              /* 4096, codewords, reset counter */
	g16(d, 5, 3 | 0xffe0);                  /* 256; bits 15:5 reserved */
	assert_int_equal(set_feat(f, f->mb[1], ECS_UUID, 0x8, 0, 1, d, 7), 0);
	expect_ecs(f, 0, 0, want);              /* reset counter not kept */
	expect_ecs(f, 1, 1, ECS_DEFAULT);
	expect_scrub(f, 0, 12, false);
}

/* Every refused Set Feature leaves every value as it was. */
static void expect_defaults(struct fx *f)
{
	struct core_features v;

	for (uint8_t sel = 0; sel < 2; sel++) {
		expect_scrub(f, sel, 12, false);
		expect_ecs(f, sel, 1, ECS_DEFAULT);
	}
	core_features_get(f->dev, CORE_FEAT_SAVED, &v);
	assert_int_equal(v.scrub.cycle_h, 12);
	assert_int_equal(v.ecs.threshold[0], 3);
	for (uint16_t o = 0; o < 2; o++)
		assert_false(core_feat_xfer_active(f->dev, o, NULL));
	assert_false(core_feat_xfer_active(f->dev, CORE_OWNER_FM, NULL));
}

static void test_set_feature_errors(void **state)
{
	struct fx *f = *state;
	uint8_t bad[16], d[8] = { 0 };

	memcpy(bad, ECS_UUID, 16);
	bad[0] ^= 0x80;
	assert_int_equal(set_feat(f, f->mb[0], bad, 0, 0, 1, (uint8_t[]){ 24, 1 }, 2), 0x03);
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 0, 2, (uint8_t[]){ 24, 1 }, 2), 0x19);
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 0, 0, (uint8_t[]){ 24, 1 }, 2), 0x19);
	for (uint32_t a = 5; a < 8; a++)        /* reserved actions */
		assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, a, 0, 1, SCRUB_24_ON, 2), 0x02);
	/* out of range: cycle below the 1-hour minimum; ECS reserved codes */
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 8, 0, 1, (uint8_t[]){ 0, 1 }, 2), 0x02);
	g8(d, 0, 2);                            /* log entry type 10b */
	g16(d, 1, 3);
	g16(d, 3, 3);
	g16(d, 5, 3);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 0, 0, 1, d, 7), 0x02);
	g8(d, 0, 1);
	g16(d, 5, 6);                           /* threshold code 6 */
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 0, 0, 1, d, 7), 0x02);
	g16(d, 5, 0);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 0, 0, 1, d, 7), 0x02);
	/*
	 * sizes: data beyond the Set Feature Size (the read-only attributes cannot
	 * be written) is Invalid Input (r3.1 §8.2.9.6.3); short, Invalid Payload
	 * Length
	 */
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 0, 1, (uint8_t[]){ 24, 1, 1, 0 }, 4),
			 0x02);
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 0, 1, (uint8_t[]){ 24, 1, 1 }, 3),
			 0x02);
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 0, 1, (uint8_t[]){ 24 }, 1), 0x16);
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 0, 1, NULL, 0), 0x16);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 0, 0, 1, d, 8), 0x02);
	expect_defaults(f);
	/* a Full transfer's Offset "is not used and shall be ignored" */
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 1, 1, (uint8_t[]){ 24 }, 1), 0x16);
	/* header one byte short; not served on the FM CCI */
	assert_int_equal(msg(f, f->mb[0], 0x0502, SCRUB_UUID, 16), 0x16);
	assert_int_equal(set_feat(f, f->fm, SCRUB_UUID, 0, 0, 1, (uint8_t[]){ 24, 1 }, 2), 0x15);
	expect_defaults(f);
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 0x55, 1, SCRUB_24_ON, 2), 0);
	expect_scrub(f, 0, 24, true);
}

/* ------------------------------------------------ 0502h, in parts */

static void test_set_ecs_in_parts(void **state)
{
	struct fx *f = *state;
	uint8_t d[7];
	const uint16_t want[3] = { 5, 4, 3 | 0x8 };
	struct core_features v;

	g8(d, 0, 0);
	g16(d, 1, 5);
	g16(d, 3, 4);
	g16(d, 5, 3 | 0x8);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 1, 0, 1, d, 3), 0);   /* Initiate */
	assert_true(core_feat_xfer_active(f->dev, 0, NULL));
	expect_ecs(f, 0, 1, ECS_DEFAULT);       /* nothing applied yet */
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 2, 3, 1, d + 3, 1), 0);   /* Continue */
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 2, 4, 1, NULL, 0), 0);        /* empty */
	expect_ecs(f, 0, 1, ECS_DEFAULT);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 3 | 0x8, 4, 1, d + 4, 3), 0); /* Finish */
	assert_false(core_feat_xfer_active(f->dev, 0, NULL));
	expect_ecs(f, 0, 0, want);
	core_features_get(f->dev, CORE_FEAT_SAVED, &v);        /* Saved Across Reset ignored */
	assert_int_equal(v.ecs.threshold[0], 3);
	/* all in the Initiate, nothing in the Finish */
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 1, 0, 1, (uint8_t[]){ 48, 1 }, 2), 0);
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 3, 2, 1, NULL, 0), 0);
	expect_scrub(f, 0, 48, true);
	expect_scrub(f, 1, 12, false);
}

/* Transfer order: one at a time per LD, in order. */
static void test_transfer_order_errors(void **state)
{
	struct fx *f = *state;
	uint8_t d[8] = { 1, 4, 0, 4, 0, 4, 0, 0 };
	enum core_feature which;

	/* nothing begun: Continue, Finish are out of order, Abort Invalid Input (§8.2.9.6.3) */
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 2, 0, 1, d, 1), 0x1c);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 3, 0, 1, d, 7), 0x1c);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 4, 0, 1, NULL, 0), 0x02);
	/* Initiate at an offset, or with more than the data holds */
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 1, 1, 1, d, 1), 0x02);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 1, 0, 1, d, 8), 0x02);
	expect_defaults(f);

	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 1, 0, 1, d, 2), 0);
	assert_true(core_feat_xfer_active(f->dev, 0, &which));
	assert_int_equal(which, CORE_FEAT_ECS);
	/* host 1's LD has its own transfer state: nothing open there to continue or abort */
	assert_false(core_feat_xfer_active(f->dev, 1, NULL));
	assert_int_equal(set_feat(f, f->mb[1], ECS_UUID, 2, 2, 1, d + 2, 1), 0x1c);
	assert_int_equal(set_feat(f, f->mb[1], ECS_UUID, 4, 0, 1, NULL, 0), 0x02);
	/* on the owner's LD, any other transfer is refused while it runs */
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 0, 1, (uint8_t[]){ 2, 1 }, 2), 0x1b);
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 2, 2, 1, d, 1), 0x1b);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 1, 0, 1, d, 2), 0x1b);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 0, 0, 1, d, 7), 0x1b);
	/* the owner's parts must follow the bytes received */
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 2, 1, 1, d + 1, 1), 0x1c);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 2, 3, 1, d + 3, 1), 0x1c);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 3, 0, 1, d, 7), 0x1c);
	/* beyond the size (Invalid Input); a Finish short of it */
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 2, 2, 1, d, 6), 0x02);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 3, 2, 1, d + 2, 4), 0x16);
	/* a Finish whose data is out of range fails and leaves the transfer open */
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 3, 2, 1, (uint8_t[]){ 0, 4, 0, 7, 0 }, 5),
			 0x02);
	assert_true(core_feat_xfer_active(f->dev, 0, NULL));
	expect_ecs(f, 0, 1, ECS_DEFAULT);
	/* Abort drops it: nothing applied, a new transfer may begin */
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 4, 0x55, 1, NULL, 0), 0);
	expect_defaults(f);
	assert_int_equal(set_feat(f, f->mb[1], SCRUB_UUID, 0, 0, 1, (uint8_t[]){ 2, 1 }, 2), 0);
	expect_scrub(f, 0, 2, true);
}

/*
 * Each LD has its own transfer (CXL r3.2 §2.5: per-LD isolation of state and
 * context): while host 0's transfer in parts is open, host 1 and the Type 3
 * MCTP CCI set features, whole and in parts, and host 0's transfer then
 * completes with its own bytes.  With one transfer for the device, host 1's
 * Full was Feature Transfer in Progress until host 0 finished.
 */
static void test_one_hosts_transfer_never_blocks_another(void **state)
{
	struct fx *f = *state;
	struct cci_ctx *mctp;
	const uint8_t mine[7] = { 0, 5, 0, 4, 0, 3, 0 };        /* per DRAM; 4096, 1024, 256 */
	const uint8_t theirs[7] = { 1, 4, 0, 4, 0, 4, 0 };
	const uint16_t want[3] = { 5, 4, 3 };
	enum core_feature which;

	assert_int_equal(cci_ctx_new(f->dev, CCI_MCTP, 0, &mctp), 0);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 1, 0, 1, mine, 3), 0);   /* Initiate */
	/* host 1: a Full of another feature, then its own transfer of the same one */
	assert_int_equal(set_feat(f, f->mb[1], SCRUB_UUID, 0, 0, 1, SCRUB_24_ON, 2), 0);
	expect_scrub(f, 0, 24, true);
	assert_int_equal(set_feat(f, f->mb[1], ECS_UUID, 1, 0, 1, theirs, 2), 0);
	assert_true(core_feat_xfer_active(f->dev, 1, &which));
	assert_int_equal(which, CORE_FEAT_ECS);
	/* the MCTP CCI's slot is its own too */
	assert_int_equal(set_feat(f, mctp, ECS_UUID, 1, 0, 1, theirs, 1), 0);
	assert_true(core_feat_xfer_active(f->dev, CORE_OWNER_FM, NULL));
	/* host 0 continues from its 3 bytes (not host 1's 2) and finishes with its data */
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 2, 3, 1, mine + 3, 2), 0);
	expect_ecs(f, 0, 1, ECS_DEFAULT);
	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 3, 5, 1, mine + 5, 2), 0);
	assert_false(core_feat_xfer_active(f->dev, 0, NULL));
	expect_ecs(f, 0, 0, want);
	/* host 1's and the MCTP CCI's transfers are still open where they were */
	assert_int_equal(set_feat(f, f->mb[1], ECS_UUID, 2, 3, 1, theirs + 3, 1), 0x1c);
	assert_int_equal(set_feat(f, mctp, ECS_UUID, 3, 1, 1, theirs + 1, 6), 0);
	assert_false(core_feat_xfer_active(f->dev, CORE_OWNER_FM, NULL));
	assert_int_equal(set_feat(f, f->mb[1], ECS_UUID, 4, 0, 1, NULL, 0), 0);
	assert_false(core_feat_xfer_active(f->dev, 1, NULL));
	expect_ecs(f, 0, 1, ((const uint16_t[]){ 4, 4, 4 }));
	cci_ctx_free(mctp);
}

/* ------------------------------------------------ model */

/* The values and an open transfer are in the snapshot; damaged values are refused. */
static void test_snapshot_keeps_features(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev *d2;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);
	struct core_features v;
	uint8_t *a = NULL, *b = NULL;
	size_t na, nb;

	/* a saved scrub value straight into the model (Set Feature keeps none for scrub) */
	core_features_get(f->dev, CORE_FEAT_SAVED, &v);
	v.scrub.cycle_h = 7;
	v.scrub.enabled = true;
	assert_int_equal(core_features_set(f->dev, CORE_FEAT_PATROL_SCRUB, &v, true, NULL), 0);
	assert_int_equal(set_feat(f, f->mb[0], SCRUB_UUID, 0, 0, 1, (uint8_t[]){ 9, 0 }, 2), 0);
	assert_int_equal(set_feat(f, f->mb[1], ECS_UUID, 1, 0, 1, (uint8_t[]){ 0, 5, 0 }, 3), 0);
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na, NULL), 0);
	assert_int_equal(core_snapshot(d2, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	core_features_get(d2, CORE_FEAT_CURRENT, &v);
	assert_int_equal(v.scrub.cycle_h, 9);
	assert_false(v.scrub.enabled);
	core_features_get(d2, CORE_FEAT_SAVED, &v);
	assert_int_equal(v.scrub.cycle_h, 7);
	assert_true(v.scrub.enabled);
	assert_true(core_feat_xfer_active(d2, 1, NULL));
	assert_false(core_feat_xfer_active(d2, 0, NULL));
	core_dev_free(d2);
	/* the snapshot ends with the transfer: its 3 data bytes; break the saved ECS threshold */
	assert_memory_equal(a + na - 3, ((uint8_t[]){ 0, 5, 0 }), 3);
	{
		/* feature section: ..., saved { cycle, enabled, log type,
		 * 3 x { threshold, mode } }, u8 xfer, u16 owner, u8 feature, u16 size,
		 * u16 got, 3 bytes */
		size_t thr = na - 3 - 8 - 6;   /* saved ECS FRU 0 threshold */

		assert_int_equal(a[thr], 3);
		a[thr] = 6;
		assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
		assert_int_equal(core_restore(d2, a, na, NULL), -EINVAL);
		core_dev_free(d2);
	}
	free(a);
	free(b);
}

/*
 * Every LD's open transfer is in the snapshot (bit 2 of a transfer byte:
 * another follows), and each continues on the restored device from its own
 * bytes; two for one LD, or an owner that is no host nor the MCTP CCI, are
 * refused.
 */
static void test_snapshot_keeps_each_lds_transfer(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);
	const uint8_t d0[7] = { 0, 5, 0, 4, 0, 3, 0 }, d1[2] = { 9, 1 };
	struct core_feat_part p = { .owner = CORE_OWNER_FM, .feature = CORE_FEAT_SPPR,
				    .action = CORE_FEAT_INITIATE, .data = (const uint8_t[]){ 0 },
				    .len = 1, .size = 3 };
	uint8_t whole[CORE_FEAT_DATA_MAX], *a = NULL, *b = NULL;
	struct cxldcd_dev *d2;
	enum core_feature which;
	bool complete, save;
	size_t na, nb, x0, x1, xf;

	assert_int_equal(set_feat(f, f->mb[0], ECS_UUID, 1 | 0x8, 0, 1, d0, 3), 0);
	assert_int_equal(set_feat(f, f->mb[1], SCRUB_UUID, 1, 0, 1, d1, 1), 0);
	assert_int_equal(core_feat_xfer_check(f->dev, &p, whole, &complete, &save, NULL), 0);
	core_feat_xfer_commit(f->dev, &p);
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	/*
	 * The feature section ends with the three, by LD: { u8 bits, u16 owner, u8
	 * feature, u16 size, u16 got, data }: host 0's (3 bytes), host 1's (1),
	 * the MCTP CCI's (1).
	 */
	xf = na - 1 - 8;
	x1 = xf - 1 - 8;
	x0 = x1 - 3 - 8;
	assert_int_equal(a[x0], 1 | 2 | 4);     /* open, saved, another follows */
	assert_int_equal(a[x0 + 1] | a[x0 + 2] << 8, 0);
	assert_int_equal(a[x1], 1 | 4);
	assert_int_equal(a[x1 + 1] | a[x1 + 2] << 8, 1);
	assert_int_equal(a[xf], 1);
	assert_int_equal(a[xf + 1] | a[xf + 2] << 8, 0xffff);
	assert_memory_equal(a + x0 + 8, d0, 3);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na, NULL), 0);
	assert_int_equal(core_snapshot(d2, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	free(b);
	assert_true(core_feat_xfer_active(d2, 0, &which));
	assert_int_equal(which, CORE_FEAT_ECS);
	assert_true(core_feat_xfer_active(d2, 1, &which));
	assert_int_equal(which, CORE_FEAT_PATROL_SCRUB);
	assert_true(core_feat_xfer_active(d2, CORE_OWNER_FM, &which));
	assert_int_equal(which, CORE_FEAT_SPPR);
	/* host 0's finishes from its own 3 bytes, saved as its Initiate asked */
	p = (struct core_feat_part){ .owner = 0, .feature = CORE_FEAT_ECS,
				     .action = CORE_FEAT_FINISH, .offset = 3, .data = d0 + 3,
				     .len = 4, .size = 7 };
	assert_int_equal(core_feat_xfer_check(d2, &p, whole, &complete, &save, NULL), 0);
	assert_true(complete && save);
	assert_memory_equal(whole, d0, 7);
	/* host 1's continues at 1, not 3 */
	p = (struct core_feat_part){ .owner = 1, .feature = CORE_FEAT_PATROL_SCRUB,
				     .action = CORE_FEAT_FINISH, .offset = 3, .data = d1 + 1,
				     .len = 1, .size = 2 };
	assert_int_equal(core_feat_xfer_check(d2, &p, whole, &complete, &save, NULL), 0x1c);
	p.offset = 1;
	assert_int_equal(core_feat_xfer_check(d2, &p, whole, &complete, &save, NULL), 0);
	assert_memory_equal(whole, d1, 2);
	core_dev_free(d2);
	/* the MCTP CCI's owner made host 1's (two for one LD), or host 2 (no such host) */
	for (uint16_t bad = 1; bad <= 2; bad++) {
		a[xf + 1] = (uint8_t)bad;
		a[xf + 2] = 0;
		assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
		assert_int_equal(core_restore(d2, a, na, NULL), -EINVAL);
		core_dev_free(d2);
	}
	free(a);
}

/*
 * Saved Across Reset counts on the Full or the Initiate only (CXL r3.2
 * §8.2.10.6.3), so a transfer keeps its Initiate's flag until Finish, in
 * snapshots too (bit 1 of the transfer byte); the Finish's flag is ignored.
 */
static void test_saved_across_reset_is_the_initiates(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);
	static const uint8_t data[3] = { 0, 0, 0 };
	struct core_feat_part p = { .owner = 0, .feature = CORE_FEAT_SPPR, .data = data,
				    .size = 3 };
	uint8_t whole[CORE_FEAT_DATA_MAX], *a = NULL;
	bool complete, save;
	struct cxldcd_dev *d2;
	size_t na;

	(void)f;
	for (int init_save = 0; init_save < 2; init_save++) {
		p.action = CORE_FEAT_INITIATE;
		p.offset = 0;
		p.len = 1;
		p.save = init_save;
		assert_int_equal(core_feat_xfer_check(f->dev, &p, whole, &complete, &save, NULL), 0);
		assert_false(complete);
		assert_false(save);
		core_feat_xfer_commit(f->dev, &p);
		/* the snapshot's transfer byte: bit 0 open, bit 1 the Initiate's flag */
		assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
		assert_int_equal(a[na - 1 - 2 - 2 - 1 - 2 - 1], 1 | init_save << 1);
		assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
		assert_int_equal(core_restore(d2, a, na, NULL), 0);
		p.action = CORE_FEAT_FINISH;
		p.offset = 1;
		p.len = 2;
		p.save = !init_save;
		for (struct cxldcd_dev *d = f->dev; d; d = d == f->dev ? d2 : NULL) {
			assert_int_equal(core_feat_xfer_check(d, &p, whole, &complete, &save, NULL), 0);
			assert_true(complete);
			assert_int_equal(save, init_save);
		}
		core_dev_free(d2);
		/* bit 1 without bit 0, bit 2 (another follows) with none after, bit 3: refused */
		for (uint8_t bad = 2; bad < 8; bad += 2) {
			a[na - 1 - 2 - 2 - 1 - 2 - 1] = bad | (bad == 2 ? 0 : 1);
			assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
			assert_int_equal(core_restore(d2, a, na, NULL), -EINVAL);
			core_dev_free(d2);
		}
		free(a);
		core_feat_xfer_commit(f->dev, &p);
		assert_false(core_feat_xfer_active(f->dev, 0, NULL));
	}
	/* Full: its own flag */
	p = (struct core_feat_part){ .feature = CORE_FEAT_SPPR, .action = CORE_FEAT_FULL,
				     .data = data, .len = 3, .size = 3, .save = true };
	assert_int_equal(core_feat_xfer_check(f->dev, &p, whole, &complete, &save, NULL), 0);
	assert_true(complete && save);
}

/* ------------------------------------------------ codecs */

static void test_codec_round_trips(void **state)
{
	uint8_t b[0x40];
	struct wwr w;
	struct cci_scrub_rd s = { 3, 200, 5, 1 }, s2;
	struct cci_scrub_wr sw = { 33, 1 }, sw2;
	struct cci_ecs_rd e = { .log_caps = 1, .nr_frus = 2 }, e2;
	struct cci_ecs_wr ew = { .log_caps = 0, .nr_frus = 2, .config = { 0x1d, 3 } }, ew2;

	(void)state;
	e.fru[1].caps = 1;
	e.fru[1].config = 0x0c;
	e.fru[1].flags = 0x80;
	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_scrub_rd(&w, &s), 0);
	assert_int_equal(w.off, 4);
	assert_memory_equal(b, ((uint8_t[]){ 3, 200, 5, 1 }), 4);
	assert_int_equal(cci_dec_scrub_rd(b, 4, &s2), 0);
	assert_memory_equal(&s, &s2, sizeof(s));
	assert_int_equal(cci_dec_scrub_rd(b, 3, &s2), -EMSGSIZE);
	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_scrub_wr(&w, &sw), 0);
	assert_int_equal(cci_dec_scrub_wr(b, 2, &sw2), 0);
	assert_memory_equal(&sw, &sw2, sizeof(sw));
	assert_int_equal(cci_dec_scrub_wr(b, 1, &sw2), -EMSGSIZE);
	assert_int_equal(cci_dec_scrub_wr(b, 3, &sw2), -EMSGSIZE);
	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_ecs_rd(&w, &e), 0);
	assert_int_equal(w.off, 9);
	assert_memory_equal(b, ((uint8_t[]){ 1, 0, 0, 0, 0, 1, 0x0c, 0, 0x80 }), 9);
	assert_int_equal(cci_dec_ecs_rd(b, 9, 2, &e2), 0);
	assert_int_equal(e2.fru[1].config, 0x0c);
	assert_int_equal(e2.fru[1].flags, 0x80);
	for (size_t n = 0; n < 9; n++)
		assert_int_equal(cci_dec_ecs_rd(b, n, 2, &e2), -EMSGSIZE);
	assert_int_equal(cci_dec_ecs_rd(b, 9, CCI_ECS_FRUS_MAX + 1, &e2), -EINVAL);
	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_ecs_wr(&w, &ew), 0);
	assert_memory_equal(b, ((uint8_t[]){ 0, 0x1d, 0, 3, 0 }), 5);
	assert_int_equal(cci_dec_ecs_wr(b, 5, 2, &ew2), 0);
	assert_int_equal(ew2.config[0], 0x1d);
	assert_int_equal(cci_dec_ecs_wr(b, 4, 2, &ew2), -EMSGSIZE);
	assert_int_equal(cci_dec_ecs_wr(b, 6, 2, &ew2), -EMSGSIZE);
	/* an entry: every prefix is short */
	{
		struct cci_feat_entry fe = { .index = 7, .get_size = 4, .set_size = 2,
					     .attr_flags = 0x61, .get_version = 1, .set_version = 2,
					     .effects = 0x202 }, fe2;

		memcpy(fe.uuid, ECS_UUID, 16);
		wwr_init(&w, b, sizeof(b));
		assert_int_equal(cci_enc_feat_entry(&w, &fe), 0);
		assert_int_equal(w.off, 0x30);
		assert_int_equal(cci_dec_feat_entry(b, 0x30, &fe2), 0);
		assert_memory_equal(&fe, &fe2, sizeof(fe));
		for (size_t n = 0; n < 0x30; n++)
			assert_int_equal(cci_dec_feat_entry(b, n, &fe2), -EMSGSIZE);
		wwr_init(&w, b, 0x2f);
		assert_int_equal(cci_enc_feat_entry(&w, &fe), -ENOBUFS);
	}
}

/*
 * Minimum Feature Data Size (CXL r3.2 §8.2.10.6.3): data short of the Set
 * Feature Size but at least the minimum has its unsent part treated as 0
 * (whole[] holds zeros there, whatever it held); below the minimum it is
 * Invalid Payload Length; the same for a transfer in parts; a minimum of 0
 * (or above the size) means the size.  On the old code every completed
 * transfer short of the size was Invalid Payload Length ('0x16 != 0').
 */
static void test_data_from_the_minimum_size_is_zero_filled(void **state)
{
	struct fx *f = *state;
	static const uint8_t data[3] = { 0x01, 0x00, 0x03 };
	struct core_feat_part p = { .owner = 0, .feature = CORE_FEAT_SPPR,
				    .action = CORE_FEAT_FULL, .data = data, .len = 2,
				    .size = 3, .min_size = 2 };
	uint8_t whole[CORE_FEAT_DATA_MAX];
	bool complete, save;

	memset(whole, 0xaa, sizeof(whole));
	assert_int_equal(core_feat_xfer_check(f->dev, &p, whole, &complete, &save, NULL), 0);
	assert_true(complete);
	assert_memory_equal(whole, ((uint8_t[]){ 0x01, 0x00, 0x00 }), 3);
	p.len = 1;                              /* below the minimum */
	assert_int_equal(core_feat_xfer_check(f->dev, &p, whole, &complete, &save, NULL), 0x16);
	assert_false(complete);
	p.len = 2;
	p.min_size = 0;                         /* 0: the minimum is the size */
	assert_int_equal(core_feat_xfer_check(f->dev, &p, whole, &complete, &save, NULL), 0x16);
	p.min_size = 4;                         /* above the size: the size */
	assert_int_equal(core_feat_xfer_check(f->dev, &p, whole, &complete, &save, NULL), 0x16);
	/* in parts: Initiate 1 byte, Finish 1 byte at offset 1, the third byte 0 */
	p = (struct core_feat_part){ .owner = 0, .feature = CORE_FEAT_SPPR,
				     .action = CORE_FEAT_INITIATE, .data = data + 2, .len = 1,
				     .size = 3, .min_size = 2 };
	assert_int_equal(core_feat_xfer_check(f->dev, &p, whole, &complete, &save, NULL), 0);
	core_feat_xfer_commit(f->dev, &p);
	p.action = CORE_FEAT_FINISH;
	p.offset = 1;
	p.data = data;
	memset(whole, 0xaa, sizeof(whole));
	assert_int_equal(core_feat_xfer_check(f->dev, &p, whole, &complete, &save, NULL), 0);
	assert_true(complete);
	assert_memory_equal(whole, ((uint8_t[]){ 0x03, 0x01, 0x00 }), 3);
	core_feat_xfer_commit(f->dev, &p);
	assert_false(core_feat_xfer_active(f->dev, 0, NULL));
}

/*
 * The eight features served identify no field outside their Minimum
 * Feature Data Size (r3.2 Tables 8-129, 8-132, 8-135, 8-223, 8-226; "For
 * features where no fields are identified, all the fields ... are to be
 * included"), so for each the minimum is its Set Feature Size: one byte
 * short is Invalid Payload Length and changes nothing.  Each feature's UUID
 * and Set Feature Size are read from Get Supported Features.
 */
static void test_each_features_minimum_is_its_set_feature_size(void **state)
{
	struct fx *f = *state;
	uint8_t ents[8 + 8 * 0x30], zeros[32] = { 0 }, *a = NULL, *b = NULL;
	size_t na, nb;

	assert_int_equal(get_supp(f, sizeof(ents), 0), 0);
	assert_int_equal(r16(f->out, 0), 8);
	memcpy(ents, f->out, sizeof(ents));
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	for (unsigned i = 0; i < 8; i++) {
		const uint8_t *e = ents + 8 + 0x30 * i;
		uint16_t size = r16(e, 0x14);

		assert_true(size >= 1 && size <= sizeof(zeros));
		assert_int_equal(set_feat(f, f->mb[0], e, 0, 0, e[0x1b], zeros, size - 1u), 0x16);
	}
	assert_int_equal(core_snapshot(f->dev, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_supported_features_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_supported_features_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_feature_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_feature_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_scrub, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_ecs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_feature_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_ecs_in_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transfer_order_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_hosts_transfer_never_blocks_another, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_saved_across_reset_is_the_initiates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_keeps_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_from_the_minimum_size_is_zero_filled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_each_features_minimum_is_its_set_feature_size,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_keeps_each_lds_transfer, setup,
						teardown),
		cmocka_unit_test(test_codec_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
