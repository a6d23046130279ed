/* SPDX-License-Identifier: MIT */
/*
 * test-cci-flow.c - multi-command flows through cci_handle_msg against a live
 * model, every message compared byte for byte with expected bytes built from
 * the spec tables: the golden flow 5604h -> 0100h -> 0101h -> 4802h -> 4801h
 * -> 5605h -> 0100h -> 4803h -> 5603h, More chains, response clamping, and
 * the model's error paths as the reference lists them.
 */
#include "fixture.h"

/* ------------------------------------------------------------- golden flow */

/* Dynamic Capacity event record (Tables 8-55, 8-62) at b + off. */
static void golden_dc_record(uint8_t *b, size_t off, uint16_t handle, uint8_t type, bool more,
			     uint64_t dpa, uint64_t len, uint32_t avail_ext, uint32_t avail_tags)
{
	memset(b + off, 0, 0x80);
	memcpy(b + off, DC_UUID, 16);
	g8(b, off + 0x10, 0x80);
	g24(b, off + 0x11, 0x000000);           /* Informational */
	g16(b, off + 0x14, handle);
	g64(b, off + 0x18, NOW);
	g8(b, off + 0x30, type);
	g8(b, off + 0x31, 0x01);
	g8(b, off + 0x35, more ? 0x01 : 0x00);
	g_extent(b, off + 0x38, dpa, len, TAG_T, 0);
	g32(b, off + 0x78, avail_ext);
	g32(b, off + 0x7c, avail_tags);
}

static const uint64_t E_DPA[3] = { R0, R0 + 4 * MIB, R0 + 10 * MIB };
static const uint64_t E_LEN[3] = { 2 * MIB, 4 * MIB, 2 * MIB };

static uint32_t flow_generation(struct fx *f)
{
	uint8_t in[8] = { 0 };

	assert_int_equal(msg(f, f->mb[1], 0x4801, in, 8), 0);
	return r32(f->out, 8);
}

static void flow_add_and_read(struct fx *f)
{
	uint8_t add[0x20 + 3 * 0x28] = { 0 }, want[0x20 + 3 * 0x80] = { 0 };

	g16(add, 0x00, 1);
	g8(add, 0x02, 0x02);
	g32(add, 0x1c, 3);
	for (int i = 0; i < 3; i++)
		g_extent(add, 0x20 + 0x28 * (size_t)i, E_DPA[i], E_LEN[i], TAG_T, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, add, sizeof(add)), 0);
	assert_int_equal(f->out_len, 0);

	g16(want, 0x14, 3);
	for (int i = 0; i < 3; i++)
		golden_dc_record(want, 0x20 + 0x80 * (size_t)i, (uint16_t)(1 + i), 0x00, i < 2,
				 E_DPA[i], E_LEN[i], 65533, 4095);
	assert_int_equal(msg(f, f->mb[1], 0x0100, (uint8_t[]){ 0x04 }, 1), 0);
	expect_rsp(f, want, sizeof(want));
	/* host 0 saw nothing */
	assert_int_equal(msg(f, f->mb[0], 0x0100, (uint8_t[]){ 0x04 }, 1), 0);
	expect_rsp(f, (uint8_t[0x20]){ 0 }, 0x20);
}

static void flow_clear_and_accept(struct fx *f)
{
	uint8_t clr[6 + 6] = { 0x04, 0x00, 0x03 }, rsp[8 + 2 * 0x18] = { 0 };

	g16(clr, 6, 1);
	g16(clr, 8, 2);
	g16(clr, 10, 3);
	assert_int_equal(msg(f, f->mb[1], 0x0101, clr, sizeof(clr)), 0);
	assert_int_equal(f->out_len, 0);
	g32(rsp, 0, 2);
	g64(rsp, 0x08, E_DPA[0]);
	g64(rsp, 0x10, E_LEN[0]);
	g64(rsp, 0x20, E_DPA[2]);
	g64(rsp, 0x28, E_LEN[2]);
	assert_int_equal(msg(f, f->mb[1], 0x4802, rsp, sizeof(rsp)), 0);
	assert_int_equal(f->out_len, 0);
}

static void flow_list(struct fx *f, uint32_t gen0)
{
	uint8_t in[8] = { 0 }, want[0x10 + 2 * 0x28] = { 0 };
	uint32_t gen;

	g32(in, 0, 10);
	assert_int_equal(msg(f, f->mb[1], 0x4801, in, 8), 0);
	gen = r32(f->out, 8);
	assert_int_not_equal(gen, gen0);
	g32(want, 0x0, 2);
	g32(want, 0x4, 2);
	g32(want, 0x8, gen);
	g_extent(want, 0x10, E_DPA[0], E_LEN[0], TAG_T, 0);   /* tags survive acceptance */
	g_extent(want, 0x38, E_DPA[2], E_LEN[2], TAG_T, 0);
	expect_rsp(f, want, sizeof(want));
}

static void flow_release(struct fx *f)
{
	uint8_t rel[0x20] = { 0 }, want[0x20 + 2 * 0x80] = { 0 }, rsp[8 + 2 * 0x18] = { 0 };

	g16(rel, 0x00, 1);
	g8(rel, 0x02, 0x00);                    /* tag-based, not forced */
	g64(rel, 0x04, 4 * MIB);
	memcpy(rel + 0x0c, TAG_T, 16);
	assert_int_equal(msg(f, f->fm, 0x5605, rel, sizeof(rel)), 0);
	g16(want, 0x14, 2);
	golden_dc_record(want, 0x20, 4, 0x01, true, E_DPA[0], E_LEN[0], 65534, 4095);
	golden_dc_record(want, 0xa0, 5, 0x01, false, E_DPA[2], E_LEN[2], 65534, 4095);
	assert_int_equal(msg(f, f->mb[1], 0x0100, (uint8_t[]){ 0x04 }, 1), 0);
	expect_rsp(f, want, sizeof(want));
	g32(rsp, 0, 2);
	g64(rsp, 0x08, E_DPA[0]);
	g64(rsp, 0x10, E_LEN[0]);
	g64(rsp, 0x20, E_DPA[2]);
	g64(rsp, 0x28, E_LEN[2]);
	assert_int_equal(msg(f, f->mb[1], 0x4803, rsp, sizeof(rsp)), 0);
	assert_int_equal(f->out_len, 0);
}

static void flow_fm_list(struct fx *f, uint32_t gen1)
{
	uint8_t in[12] = { 0 }, want[0x18] = { 0 };
	uint32_t gen;

	g16(in, 0, 1);
	g32(in, 4, 10);
	assert_int_equal(msg(f, f->fm, 0x5603, in, sizeof(in)), 0);
	gen = r32(f->out, 0x10);
	assert_int_not_equal(gen, gen1);
	g16(want, 0x00, 1);
	g32(want, 0x10, gen);
	expect_rsp(f, want, sizeof(want));
}

static void test_golden_flow(void **state)
{
	struct fx *f = *state;
	uint32_t gen0 = flow_generation(f), gen1;

	flow_add_and_read(f);
	flow_clear_and_accept(f);
	flow_list(f, gen0);
	gen1 = r32(f->out, 8);
	flow_release(f);
	flow_fm_list(f, gen1);
	/* the FM's log got Add Capacity Response and Capacity Released records */
	assert_int_equal(msg(f, f->fm, 0x0100, (uint8_t[]){ 0x04 }, 1), 0);
	assert_true(r16(f->out, 0x14) >= 2);
	assert_int_equal(f->out[0x20 + 0x30], 0x04);
	assert_int_equal(r16(f->out, 0x20 + 0x32), 1);           /* Host ID valid for 04h */
}

/* A More chain interrupted by another command is discarded. */
static void test_more_chain_interrupted_is_discarded(void **state)
{
	struct fx *f = *state;
	uint8_t add[0x20 + 2 * 0x28] = { 0 }, p1[8 + 0x18] = { 0 }, p2[8 + 0x18] = { 0 };

	g16(add, 0x00, 0);
	g8(add, 0x02, 0x02);
	g32(add, 0x1c, 2);
	g_extent(add, 0x20, R0, 2 * MIB, NULL, 0);
	g_extent(add, 0x48, R0 + 2 * MIB, 2 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, add, sizeof(add)), 0);
	g32(p1, 0, 1);
	g8(p1, 4, 0x01);                         /* More */
	g64(p1, 8, R0);
	g64(p1, 16, 2 * MIB);
	g32(p2, 0, 1);
	g64(p2, 8, R0 + 2 * MIB);
	g64(p2, 16, 2 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4802, p1, sizeof(p1)), 0);
	assert_int_equal(core_extent_count(f->dev, 0), 0);     /* staged, not applied */
	assert_int_equal(msg(f, f->mb[0], 0x0102, NULL, 0), 0); /* breaks the chain */
	assert_int_equal(msg(f, f->mb[0], 0x4802, p2, sizeof(p2)), 0);
	assert_int_equal(core_extent_count(f->dev, 0), 1);     /* only part 2 applied */
}

static void test_more_chain_completes(void **state)
{
	struct fx *f = *state;
	uint8_t add[0x20 + 2 * 0x28] = { 0 }, p1[8 + 0x18] = { 0 }, p2[8 + 0x18] = { 0 };

	g8(add, 0x02, 0x02);
	g32(add, 0x1c, 2);
	g_extent(add, 0x20, R0, 2 * MIB, NULL, 0);
	g_extent(add, 0x48, R0 + 2 * MIB, 2 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, add, sizeof(add)), 0);
	g32(p1, 0, 1);
	g8(p1, 4, 0x01);
	g64(p1, 8, R0);
	g64(p1, 16, 2 * MIB);
	g32(p2, 0, 1);
	g64(p2, 8, R0 + 2 * MIB);
	g64(p2, 16, 2 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4802, p1, sizeof(p1)), 0);
	/* another host's mailbox does not break host 0's chain */
	assert_int_equal(msg(f, f->mb[1], 0x0102, NULL, 0), 0);
	assert_int_equal(msg(f, f->mb[0], 0x4802, p2, sizeof(p2)), 0);
	assert_int_equal(core_extent_count(f->dev, 0), 2);
}

/* Responses never exceed the limit: list commands return fewer records. */
static void test_get_events_clamped_to_response_limit(void **state)
{
	struct fx *f = *state;
	uint8_t add[0x20 + 4 * 0x28] = { 0 };

	g8(add, 0x02, 0x02);
	g32(add, 0x1c, 4);
	for (int i = 0; i < 4; i++)
		g_extent(add, 0x20 + 0x28 * (size_t)i, R0 + 2 * MIB * (uint64_t)i, 2 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, add, sizeof(add)), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0004, (uint8_t[]){ 8 }, 1), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0100, (uint8_t[]){ 4 }, 1), 0);
	assert_int_equal(f->out_len, 0x20 + 0x80);              /* (256 - 32) / 128 = 1 */
	assert_int_equal(f->out[0], 0x02);                      /* More Event Records */
	assert_int_equal(r16(f->out, 0x14), 1);
}

/* ------------------------------------------------------ model error paths */

static void offer(struct fx *f, uint16_t host, uint64_t dpa, uint64_t len)
{
	uint8_t add[0x20 + 0x28] = { 0 };

	g16(add, 0x00, host);
	g8(add, 0x02, 0x02);
	g32(add, 0x1c, 1);
	g_extent(add, 0x20, dpa, len, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, add, sizeof(add)), 0);
}

static uint16_t respond(struct fx *f, uint16_t op, uint64_t dpa, uint64_t len, bool more)
{
	uint8_t rsp[8 + 0x18] = { 0 };

	g32(rsp, 0, 1);
	g8(rsp, 4, more ? 1 : 0);
	g64(rsp, 8, dpa);
	g64(rsp, 16, len);
	return msg(f, f->mb[0], op, rsp, sizeof(rsp));
}

static void test_add_response_error_paths(void **state)
{
	struct fx *f = *state;
	uint8_t two[8 + 2 * 0x18] = { 0 };

	offer(f, 0, R0, 4 * MIB);
	/* outside the offered extents: Invalid Physical Address */
	assert_int_equal(respond(f, 0x4802, R0 + 4 * MIB, 2 * MIB, false), 0x0f);
	/* start not block aligned: Invalid Extent List */
	assert_int_equal(respond(f, 0x4802, R0 + 64 * 1024, 2 * MIB, false), 0x1e);
	/* overlapping entries: Invalid Extent List */
	g32(two, 0, 2);
	g64(two, 0x08, R0);
	g64(two, 0x10, 2 * MIB);
	g64(two, 0x20, R0);
	g64(two, 0x28, 2 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4802, two, sizeof(two)), 0x1e);
	assert_int_equal(core_pending_count(f->dev, 0), 1);      /* nothing changed */
	/* a sub-range is accepted */
	assert_int_equal(respond(f, 0x4802, R0 + 2 * MIB, 2 * MIB, false), 0);
	assert_int_equal(core_extent_count(f->dev, 0), 1);
	/* releasing what is not held: Invalid Physical Address */
	assert_int_equal(respond(f, 0x4803, R0, 2 * MIB, false), 0x0f);
	/* partial release splits nothing here; full release works */
	assert_int_equal(respond(f, 0x4803, R0 + 2 * MIB, 2 * MIB, false), 0);
	assert_int_equal(core_extent_count(f->dev, 0), 0);
}

static void test_forced_release_of_pending_makes_group_dead(void **state)
{
	struct fx *f = *state;
	uint8_t rel[0x20 + 0x28] = { 0 }, empty[8] = { 0 };

	offer(f, 0, R0, 2 * MIB);
	g16(rel, 0x00, 0);
	g8(rel, 0x02, 0x11);                     /* prescriptive, forced */
	g32(rel, 0x1c, 1);
	g_extent(rel, 0x20, R0, 2 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5605, rel, sizeof(rel)), 0);
	/* a non-empty response to a Dead group: Invalid Physical Address */
	assert_int_equal(respond(f, 0x4802, R0, 2 * MIB, false), 0x0f);
	/* the empty response succeeds even for a Dead group */
	assert_int_equal(msg(f, f->mb[0], 0x4802, empty, sizeof(empty)), 0);
	assert_int_equal(core_pending_count(f->dev, 0), 0);
	/* not forced, pending target: Invalid Physical Address */
	offer(f, 0, R0, 2 * MIB);
	g8(rel, 0x02, 0x01);
	assert_int_equal(msg(f, f->fm, 0x5605, rel, sizeof(rel)), 0x0f);
}

/* A device with 4-record logs: Retry Required, overflow and Clear All. */
static void test_small_log_retry_overflow_and_clear_all(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_event ev;
	uint8_t add[0x20 + 5 * 0x28] = { 0 };

	cci_ctx_free(f->mb[0]);
	cci_ctx_free(f->mb[1]);
	cci_ctx_free(f->fm);
	core_dev_free(f->dev);
	core_cfg_default(&cfg);
	cfg.static_capacity = 1 * GIB;
	cfg.evlog_depth = 4;
	assert_int_equal(core_dev_new(&cfg, &f->dev, NULL), 0);
	core_dev_set_time(f->dev, NOW);
	assert_int_equal(cci_ctx_new(f->dev, CCI_MAILBOX, 0, &f->mb[0]), 0);
	assert_int_equal(cci_ctx_new(f->dev, CCI_MAILBOX, 1, &f->mb[1]), 0);
	assert_int_equal(cci_ctx_new(f->dev, CCI_FM, 0, &f->fm), 0);

	g8(add, 0x02, 0x02);
	g32(add, 0x1c, 5);
	for (int i = 0; i < 5; i++)
		g_extent(add, 0x20 + 0x28 * (size_t)i, R0 + 2 * MIB * (uint64_t)i, 2 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, add, sizeof(add)), 0x05);
	assert_int_equal(core_pending_count(f->dev, 0), 0);

	memset(&ev, 0, sizeof(ev));
	ev.length = 0x80;
	for (int i = 0; i < 6; i++)
		core_evlog_inject(f->dev, 0, CXLDCD_LOG_INFO, &ev);
	assert_int_equal(msg(f, f->mb[0], 0x0100, (uint8_t[]){ 0 }, 1), 0);
	assert_int_equal(f->out[0] & 0x01, 0x01);               /* Overflow */
	assert_int_equal(r16(f->out, 0x02), 2);                 /* two records lost */
	assert_int_equal(r64(f->out, 0x04), NOW);
	assert_int_equal(r16(f->out, 0x14), 4);
	assert_int_equal(f->out_len, 0x20 + 4 * 0x80);
	assert_int_equal(msg(f, f->mb[0], 0x0101, (uint8_t[]){ 0, 1, 0, 0, 0, 0 }, 6), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0100, (uint8_t[]){ 0 }, 1), 0);
	expect_rsp(f, (uint8_t[0x20]){ 0 }, 0x20);
}


/* ------------------------------------------- what a Linux DCD host relies on */

/* 4801h for host 0 from start, asking count: its return code; f->out holds the answer. */
static uint16_t list_from(struct fx *f, uint32_t count, uint32_t start)
{
	uint8_t in[8];

	g32(in, 0, count);
	g32(in, 4, start);
	return msg(f, f->mb[0], 0x4801, in, sizeof(in));
}

static uint32_t gen_of(struct fx *f)
{
	assert_int_equal(list_from(f, 0, 0), 0);
	assert_int_equal(f->out_len, 0x10);                     /* count 0: the header only */
	return r32(f->out, 8);
}

/*
 * CXL r3.2 §8.2.10.9.9.2: the list is the accepted extents (pending-add
 * excluded, release-pending included); the generation number changes with
 * the list and only with it, so a host paging through it (Linux restarts on
 * a change) is not sent round by offers and release requests; a start past
 * the total is Invalid Input, a start equal to it returns nothing.
 */
static void test_extent_list_and_generation_follow_the_accepted_list_only(void **state)
{
	struct fx *f = *state;
	uint8_t want[0x10 + 0x28] = { 0 }, rel[0x20 + 0x28] = { 0 };
	uint32_t g0 = gen_of(f), g1, g2;

	give(f, 0, R0, 4 * MIB);
	g1 = gen_of(f);
	assert_int_not_equal(g1, g0);
	offer(f, 0, R0 + 8 * MIB, 2 * MIB);                     /* pending: not listed */
	assert_int_equal(list_from(f, 10, 0), 0);
	g32(want, 0x0, 1);
	g32(want, 0x4, 1);
	g32(want, 0x8, g1);
	g_extent(want, 0x10, R0, 4 * MIB, NULL, 0);
	expect_rsp(f, want, sizeof(want));
	assert_int_equal(list_from(f, 10, 1), 0);               /* start == total: nothing */
	assert_int_equal(r32(f->out, 0), 0);
	assert_int_equal(r32(f->out, 4), 1);
	assert_int_equal(f->out_len, 0x10);
	assert_int_equal(list_from(f, 10, 2), 0x02);            /* start > total */
	/* a release request leaves the extent listed and the generation as it was */
	g8(rel, 0x02, 0x01);                                     /* prescriptive, not forced */
	g32(rel, 0x1c, 1);
	g_extent(rel, 0x20, R0, 4 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5605, rel, sizeof(rel)), 0);
	assert_int_equal(gen_of(f), g1);
	assert_int_equal(list_from(f, 10, 0), 0);
	expect_rsp(f, want, sizeof(want));
	/* releasing half of it splits it: the rest is listed under a new generation */
	assert_int_equal(respond(f, 0x4803, R0, 2 * MIB, false), 0);
	g2 = gen_of(f);
	assert_int_not_equal(g2, g1);
	assert_int_equal(list_from(f, 10, 0), 0);
	g32(want, 0x8, g2);
	g_extent(want, 0x10, R0 + 2 * MIB, 2 * MIB, NULL, 0);
	expect_rsp(f, want, sizeof(want));
	/* the same half again: Invalid Physical Address, nothing changes */
	assert_int_equal(respond(f, 0x4803, R0, 2 * MIB, false), 0x0f);
	assert_int_equal(gen_of(f), g2);
	/* a forced release changes the list: a new generation */
	g8(rel, 0x02, 0x11);
	g_extent(rel, 0x20, R0 + 2 * MIB, 2 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5605, rel, sizeof(rel)), 0);
	assert_int_not_equal(gen_of(f), g2);
	assert_int_equal(core_extent_count(f->dev, 0), 0);
	assert_int_equal(core_pending_count(f->dev, 0), 1);     /* the offer still waits */
}

/*
 * CXL r3.2 §8.2.10.9.9.3: the Add DC Response lists what the host accepts in
 * any order (Linux lists tag groups in sequence order, not offer order); a
 * range listed twice is Invalid Extent List; a range already added by an
 * earlier response is Invalid Physical Address (the v9-era Linux host
 * answered the extents it re-read at boot), and nothing changes.
 */
static void test_add_response_in_any_order_but_never_twice(void **state)
{
	struct fx *f = *state;
	uint8_t add[0x20 + 3 * 0x28] = { 0 }, rsp[8 + 3 * 0x18] = { 0 }, dup[8 + 2 * 0x18] = { 0 };
	uint32_t g;

	g8(add, 0x02, 0x02);
	g32(add, 0x1c, 3);
	for (int i = 0; i < 3; i++)
		g_extent(add, 0x20 + 0x28 * (size_t)i, R0 + 4 * MIB * (uint64_t)i, 2 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, add, sizeof(add)), 0);
	g32(rsp, 0, 3);
	for (int i = 0; i < 3; i++) {                            /* the last offered first */
		g64(rsp, 8 + 0x18 * (size_t)i, R0 + 4 * MIB * (uint64_t)(2 - i));
		g64(rsp, 16 + 0x18 * (size_t)i, 2 * MIB);
	}
	assert_int_equal(msg(f, f->mb[0], 0x4802, rsp, sizeof(rsp)), 0);
	assert_int_equal(core_extent_count(f->dev, 0), 3);
	g = gen_of(f);
	assert_int_equal(list_from(f, 10, 0), 0);               /* listed in DPA order */
	for (int i = 0; i < 3; i++)
		assert_int_equal(r64(f->out, 0x10 + 0x28 * (size_t)i), R0 + 4 * MIB * (uint64_t)i);
	/* with nothing pending, a response to the extents held: Invalid Input */
	assert_int_equal(respond(f, 0x4802, R0, 2 * MIB, false), 0x02);
	offer(f, 0, R0 + 32 * MIB, 2 * MIB);
	/* an extent added before, in the answer to another offer: Invalid PA */
	assert_int_equal(respond(f, 0x4802, R0, 2 * MIB, false), 0x0f);
	/* the offered extent listed twice: Invalid Extent List */
	g32(dup, 0, 2);
	g64(dup, 0x08, R0 + 32 * MIB);
	g64(dup, 0x10, 2 * MIB);
	g64(dup, 0x20, R0 + 32 * MIB);
	g64(dup, 0x28, 2 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4802, dup, sizeof(dup)), 0x1e);
	assert_int_equal(core_pending_count(f->dev, 0), 1);
	assert_int_equal(core_extent_count(f->dev, 0), 3);
	assert_int_equal(gen_of(f), g);
	assert_int_equal(respond(f, 0x4802, R0 + 32 * MIB, 2 * MIB, false), 0);
	assert_int_equal(core_extent_count(f->dev, 0), 4);
}

/*
 * CXL r3.2 §8.2.10.2.3: handles are cleared oldest first; a handle out of
 * order or already cleared (stale) is Invalid Handle and nothing is cleared.
 */
static void test_clear_out_of_order_or_stale_handles_is_invalid_handle(void **state)
{
	struct fx *f = *state;
	uint8_t add[0x20 + 2 * 0x28] = { 0 }, clr[8] = { 0x04, 0x00, 0x01 };
	uint16_t h1, h2;

	g8(add, 0x02, 0x02);
	g32(add, 0x1c, 2);
	g_extent(add, 0x20, R0, 2 * MIB, NULL, 0);
	g_extent(add, 0x48, R0 + 4 * MIB, 2 * MIB, NULL, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, add, sizeof(add)), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0100, (uint8_t[]){ 0x04 }, 1), 0);
	assert_int_equal(r16(f->out, 0x14), 2);
	h1 = r16(f->out, 0x20 + 0x14);
	h2 = r16(f->out, 0xa0 + 0x14);
	g16(clr, 6, h2);                                         /* the newer first */
	assert_int_equal(msg(f, f->mb[0], 0x0101, clr, sizeof(clr)), 0x0e);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_DC), 2);
	g16(clr, 6, h1);
	assert_int_equal(msg(f, f->mb[0], 0x0101, clr, sizeof(clr)), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0101, clr, sizeof(clr)), 0x0e); /* stale */
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_DC), 1);
	g16(clr, 6, 0);                                          /* handle 0 is never valid */
	assert_int_equal(msg(f, f->mb[0], 0x0101, clr, sizeof(clr)), 0x0e);
	g16(clr, 6, h2);
	assert_int_equal(msg(f, f->mb[0], 0x0101, clr, sizeof(clr)), 0);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_DC), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_golden_flow),
		T(test_more_chain_interrupted_is_discarded),
		T(test_more_chain_completes),
		T(test_get_events_clamped_to_response_limit),
		T(test_add_response_error_paths),
		T(test_forced_release_of_pending_makes_group_dead),
		T(test_small_log_retry_overflow_and_clear_all),
		T(test_extent_list_and_generation_follow_the_accepted_list_only),
		T(test_add_response_in_any_order_but_never_twice),
		T(test_clear_out_of_order_or_stale_handles_is_invalid_handle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
