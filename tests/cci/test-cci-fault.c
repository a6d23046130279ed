/* SPDX-License-Identifier: MIT */
/*
 * test-cci-fault.c - fault injection on a CCI (src/cci/fault.h): for each
 * fault, the response read with the fault on equals the response read
 * without it except for the bytes the fault is documented to change
 * (docs/conformance.md "Fault injection"), written at explicit offsets;
 * counts run down and turn the fault off; clearing stops it; other CCIs and
 * the model are untouched.
 */
#include "fixture.h"

#include "cci/fault.h"

#define EV_HDR 0x20u
#define EV_REC 0x80u
#define REC(i) (EV_HDR + EV_REC * (size_t)(i))
#define REC_FLAGS 0x35u               /* DC record Flags (bit 0 More) */
#define REC_DPA 0x38u                 /* DC record extent: DPA, Length, Tag, Shared Seq */
#define REC_LEN 0x40u
#define REC_TAG 0x48u
#define REC_SEQ 0x58u

static const uint8_t TAG_U[16] = { 0x75, 0x75, 0x75, 0x75, 0x01, 0x02, 0x03, 0x04,
				   0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c };
static const uint8_t TAG_FIXED[16] = { 0xfa, 0x17, 0x7a, 0x90, 0x00, 0x00, 0x40, 0x00,
				       0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };

/* FM add (5604h, prescriptive) of n extents of 2 MiB at R0 + at + 4 MiB * i for host. */
static void fm_add(struct fx *f, uint16_t host, uint32_t n, uint64_t at, const uint8_t *tag)
{
	size_t len = 0x20 + 0x28 * (size_t)n;
	uint8_t *add = calloc(1, len);

	g16(add, 0x00, host);
	g8(add, 0x02, 0x02);
	g32(add, 0x1c, n);
	for (uint32_t i = 0; i < n; i++)
		g_extent(add, 0x20 + 0x28 * (size_t)i, R0 + at + 4 * MIB * i, 2 * MIB, tag, 0);
	assert_int_equal(msg(f, f->fm, 0x5604, add, len), 0);
	free(add);
}

/* Get Event Records (DC log) on ctx into buf; return the payload length. */
static size_t get_dc(struct fx *f, struct cci_ctx *ctx, uint8_t *buf)
{
	assert_int_equal(msg(f, ctx, 0x0100, (uint8_t[]){ 0x04 }, 1), 0);
	memcpy(buf, f->out, f->out_len);
	return f->out_len;
}

/* Clear the n oldest DC records of ctx's host (handles from the last read in buf). */
static void clear_dc(struct fx *f, struct cci_ctx *ctx, const uint8_t *buf, uint16_t n)
{
	uint8_t clr[6 + 2 * 32] = { 0x04, 0x00 };

	assert_true(n <= 32);
	g8(clr, 2, (uint8_t)n);
	for (uint16_t i = 0; i < n; i++)
		g16(clr, 6 + 2 * (size_t)i, r16(buf, REC(i) + 0x14));
	assert_int_equal(msg(f, ctx, 0x0101, clr, 6 + 2 * (size_t)n), 0);
}

/* Accept host 0's oldest pending group whole: read, clear, 4802h with the ranges read. */
static void accept_all(struct fx *f)
{
	uint8_t buf[BUF], rsp[8 + 32 * 0x18] = { 0 };
	uint16_t n;

	get_dc(f, f->mb[0], buf);
	n = r16(buf, 0x14);
	clear_dc(f, f->mb[0], buf, n);
	g32(rsp, 0, n);
	for (uint16_t i = 0; i < n; i++) {
		g64(rsp, 8 + 0x18 * (size_t)i, r64(buf, REC(i) + REC_DPA));
		g64(rsp, 8 + 0x18 * (size_t)i + 8, r64(buf, REC(i) + REC_LEN));
	}
	assert_int_equal(msg(f, f->mb[0], 0x4802, rsp, 8 + 0x18 * (size_t)n), 0);
}

static void set1(struct cci_ctx *ctx, enum cci_fault which, uint32_t count)
{
	struct cci_faults fs = { 0 };

	assert_int_equal(cci_faults_add(&fs, which, count), 0);
	assert_int_equal(cci_ctx_set_faults(ctx, &fs), 0);
}

static bool is_on(const struct cci_ctx *ctx, enum cci_fault which, uint32_t *left)
{
	struct cci_faults fs;

	cci_ctx_get_faults(ctx, &fs);
	if (left)
		*left = fs.remaining[which];
	return (fs.mask & CCI_FAULT_BIT(which)) != 0;
}

/* ------------------------------------------------------------- API */

static void test_names_parse_back_and_unknown_names_fail(void **state)
{
	enum cci_fault x;

	(void)state;
	for (unsigned i = 0; i < CCI_NR_FAULTS; i++) {
		assert_non_null(cci_fault_name((enum cci_fault)i));
		assert_int_equal(cci_fault_parse(cci_fault_name((enum cci_fault)i), &x), 0);
		assert_int_equal(x, i);
	}
	assert_null(cci_fault_name(CCI_NR_FAULTS));
	assert_int_equal(cci_fault_parse("unclosed-chain", &x), 0);
	assert_int_equal(x, CCI_FAULT_UNCLOSED_CHAIN);
	assert_int_equal(cci_fault_parse("bogus-extent-total", &x), 0);
	assert_int_equal(x, CCI_FAULT_BOGUS_EXTENT_TOTAL);
	assert_int_equal(cci_fault_parse("Unclosed-Chain", &x), -EINVAL);
	assert_int_equal(cci_fault_parse("", &x), -EINVAL);
	assert_int_equal(cci_fault_parse(NULL, &x), -EINVAL);
}

static void test_set_get_and_clear(void **state)
{
	struct fx *f = *state;
	struct cci_faults fs = { 0 }, got;
	uint32_t left;

	cci_ctx_get_faults(f->mb[0], &got);
	assert_int_equal(got.mask, 0);
	assert_int_equal(cci_faults_add(&fs, CCI_FAULT_SEQUENCE_GAP, 3), 0);
	assert_int_equal(cci_faults_add(&fs, CCI_FAULT_BOGUS_REGION, 0), 0);
	assert_int_equal(cci_faults_add(&fs, CCI_NR_FAULTS, 0), -EINVAL);
	fs.remaining[CCI_FAULT_UNCLOSED_CHAIN] = 9; /* off: ignored */
	assert_int_equal(cci_ctx_set_faults(f->mb[0], &fs), 0);
	assert_true(is_on(f->mb[0], CCI_FAULT_SEQUENCE_GAP, &left));
	assert_int_equal(left, 3);
	assert_true(is_on(f->mb[0], CCI_FAULT_BOGUS_REGION, &left));
	assert_int_equal(left, 0);
	assert_false(is_on(f->mb[0], CCI_FAULT_UNCLOSED_CHAIN, &left));
	assert_int_equal(left, 0);
	assert_false(is_on(f->mb[1], CCI_FAULT_SEQUENCE_GAP, NULL));
	fs.mask |= 1u << 31;
	assert_int_equal(cci_ctx_set_faults(f->mb[0], &fs), -EINVAL);
	assert_true(is_on(f->mb[0], CCI_FAULT_SEQUENCE_GAP, NULL)); /* unchanged */
	assert_int_equal(cci_ctx_set_faults(NULL, &fs), -EINVAL);
	assert_int_equal(cci_ctx_set_faults(f->mb[0], NULL), 0);
	cci_ctx_get_faults(f->mb[0], &got);
	assert_int_equal(got.mask, 0);
}

/* ------------------------------------------------------------- chain faults */

static void test_faults_off_or_cleared_change_nothing(void **state)
{
	struct fx *f = *state;
	uint8_t a[BUF], b[BUF];
	size_t na, nb;

	fm_add(f, 0, 3, 0, TAG_T);
	na = get_dc(f, f->mb[0], a);
	set1(f->mb[0], CCI_FAULT_UNCLOSED_CHAIN, 0);
	assert_int_equal(cci_ctx_set_faults(f->mb[0], NULL), 0);
	nb = get_dc(f, f->mb[0], b);
	assert_int_equal(na, nb);
	assert_bytes_equal(b, a, na);
	/* faults on other CCIs do not reach host 0's mailbox */
	set1(f->mb[1], CCI_FAULT_UNCLOSED_CHAIN, 0);
	set1(f->fm, CCI_FAULT_BOGUS_EVENT_COUNT, 0);
	nb = get_dc(f, f->mb[0], b);
	assert_bytes_equal(b, a, na);
}

static void test_unclosed_chain_keeps_more_on_the_last_record_once(void **state)
{
	struct fx *f = *state;
	uint8_t a[BUF], b[BUF];
	size_t n;

	fm_add(f, 0, 3, 0, TAG_T);
	n = get_dc(f, f->mb[0], a);
	assert_int_equal(n, EV_HDR + 3 * EV_REC);
	assert_int_equal(a[REC(2) + REC_FLAGS], 0x00);
	set1(f->mb[0], CCI_FAULT_UNCLOSED_CHAIN, 1);
	assert_int_equal(get_dc(f, f->mb[0], b), n);
	g8(a, REC(2) + REC_FLAGS, 0x01);               /* the only change */
	assert_bytes_equal(b, a, n);
	assert_false(is_on(f->mb[0], CCI_FAULT_UNCLOSED_CHAIN, NULL));
	get_dc(f, f->mb[0], b);                         /* used up: the chain closes again */
	assert_int_equal(b[REC(2) + REC_FLAGS], 0x00);
	/* the model was not touched: the host can still accept what was offered */
	accept_all(f);
	assert_int_equal(core_extent_count(f->dev, 0), 3);
}

static void test_duplicate_tag_copies_a_tag_the_host_has(void **state)
{
	struct fx *f = *state;
	uint8_t a[BUF], b[BUF];
	size_t n;
	uint32_t left;

	fm_add(f, 0, 1, 64 * MIB, TAG_T);
	accept_all(f);                                  /* host 0 now has tag T */
	fm_add(f, 0, 2, 0, TAG_U);
	n = get_dc(f, f->mb[0], a);
	set1(f->mb[0], CCI_FAULT_DUPLICATE_TAG, 2);
	assert_int_equal(get_dc(f, f->mb[0], b), n);
	for (int i = 0; i < 2; i++)
		memcpy(a + REC(i) + REC_TAG, TAG_T, 16);
	assert_bytes_equal(b, a, n);
	assert_true(is_on(f->mb[0], CCI_FAULT_DUPLICATE_TAG, &left));
	assert_int_equal(left, 1);                      /* one chain = one occurrence */
	get_dc(f, f->mb[0], b);
	assert_false(is_on(f->mb[0], CCI_FAULT_DUPLICATE_TAG, NULL));
	/* the model still holds tag U for the offer */
	accept_all(f);
	assert_int_equal(core_tag_status(f->dev, 0, -1, TAG_U), CORE_TAG_COMMITTED);
}

static void test_duplicate_tag_without_a_tag_uses_a_fixed_one_twice(void **state)
{
	struct fx *f = *state;
	uint8_t b[BUF];
	uint32_t left;

	set1(f->mb[0], CCI_FAULT_DUPLICATE_TAG, 1);
	fm_add(f, 0, 1, 0, NULL);
	get_dc(f, f->mb[0], b);
	assert_memory_equal(b + REC(0) + REC_TAG, TAG_FIXED, 16);
	assert_true(is_on(f->mb[0], CCI_FAULT_DUPLICATE_TAG, &left));
	assert_int_equal(left, 1);                      /* priming is not an occurrence */
	clear_dc(f, f->mb[0], b, 1);
	fm_add(f, 0, 1, 16 * MIB, NULL);
	get_dc(f, f->mb[0], b);
	assert_int_equal(r16(b, 0x14), 1);
	assert_memory_equal(b + REC(0) + REC_TAG, TAG_FIXED, 16);
	assert_false(is_on(f->mb[0], CCI_FAULT_DUPLICATE_TAG, NULL));
}

static void test_sequence_gap_skips_one_value(void **state)
{
	struct fx *f = *state;
	uint8_t a[BUF], b[BUF];
	size_t n;

	fm_add(f, 0, 3, 0, TAG_T);
	n = get_dc(f, f->mb[0], a);
	set1(f->mb[0], CCI_FAULT_SEQUENCE_GAP, 1);
	assert_int_equal(get_dc(f, f->mb[0], b), n);
	g16(a, REC(1) + REC_SEQ, 2);                    /* 0, 2, 3 */
	g16(a, REC(2) + REC_SEQ, 3);
	assert_bytes_equal(b, a, n);
	assert_false(is_on(f->mb[0], CCI_FAULT_SEQUENCE_GAP, NULL));
}

static void test_sequence_gap_leaves_single_record_chains_alone(void **state)
{
	struct fx *f = *state;
	uint8_t a[BUF], b[BUF];
	size_t n;
	uint32_t left;

	fm_add(f, 0, 1, 0, TAG_T);
	n = get_dc(f, f->mb[0], a);
	set1(f->mb[0], CCI_FAULT_SEQUENCE_GAP, 1);
	get_dc(f, f->mb[0], b);
	assert_bytes_equal(b, a, n);
	assert_true(is_on(f->mb[0], CCI_FAULT_SEQUENCE_GAP, &left));
	assert_int_equal(left, 1);
}

static void test_sequence_gap_follows_a_chain_across_responses(void **state)
{
	struct fx *f = *state;
	uint8_t b[BUF];
	uint16_t n1, n2;

	fm_add(f, 0, 20, 0, NULL);                      /* more than one response holds */
	set1(f->mb[0], CCI_FAULT_SEQUENCE_GAP, 0);
	get_dc(f, f->mb[0], b);
	n1 = r16(b, 0x14);
	assert_true(n1 < 20);
	assert_int_equal(r16(b, REC(0) + REC_SEQ), 0);
	for (uint16_t i = 1; i < n1; i++)
		assert_int_equal(r16(b, REC(i) + REC_SEQ), i + 1);
	clear_dc(f, f->mb[0], b, n1);
	get_dc(f, f->mb[0], b);
	n2 = r16(b, 0x14);
	assert_int_equal(n1 + n2, 20);
	for (uint16_t i = 0; i < n2; i++)
		assert_int_equal(r16(b, REC(i) + REC_SEQ), n1 + i + 1);
	assert_true(is_on(f->mb[0], CCI_FAULT_SEQUENCE_GAP, NULL)); /* until cleared */
}

static void test_bogus_extent_len_adds_half_a_block(void **state)
{
	struct fx *f = *state;
	uint8_t a[BUF], b[BUF];
	size_t n;

	fm_add(f, 0, 2, 0, TAG_T);
	n = get_dc(f, f->mb[0], a);
	set1(f->mb[0], CCI_FAULT_BOGUS_EXTENT_LEN, 1);
	assert_int_equal(get_dc(f, f->mb[0], b), n);
	g64(a, REC(0) + REC_LEN, 3 * MIB);             /* 2 MiB + block (2 MiB) / 2 */
	g64(a, REC(1) + REC_LEN, 3 * MIB);
	assert_bytes_equal(b, a, n);
	assert_false(is_on(f->mb[0], CCI_FAULT_BOGUS_EXTENT_LEN, NULL));
}

static void test_bogus_region_ends_one_block_past_the_region(void **state)
{
	struct fx *f = *state;
	uint8_t a[BUF], b[BUF];
	size_t n;

	fm_add(f, 0, 2, 8 * MIB, TAG_T);               /* R0 + 8 MiB, R0 + 12 MiB */
	n = get_dc(f, f->mb[0], a);
	set1(f->mb[0], CCI_FAULT_BOGUS_REGION, 1);
	assert_int_equal(get_dc(f, f->mb[0], b), n);
	g64(a, REC(0) + REC_LEN, 4 * GIB - 8 * MIB + 2 * MIB);
	g64(a, REC(1) + REC_LEN, 4 * GIB - 12 * MIB + 2 * MIB);
	assert_bytes_equal(b, a, n);
	assert_int_equal(r64(b, REC(0) + REC_DPA) + r64(b, REC(0) + REC_LEN), R0 + 4 * GIB + 2 * MIB);
	/* answering with the lie is refused by the model, which is unchanged */
	{
		uint8_t rsp[8 + 0x18] = { 0 };

		clear_dc(f, f->mb[0], b, 2);
		g32(rsp, 0, 1);
		g64(rsp, 8, r64(b, REC(0) + REC_DPA));
		g64(rsp, 16, r64(b, REC(0) + REC_LEN));
		assert_int_not_equal(msg(f, f->mb[0], 0x4802, rsp, sizeof(rsp)), 0);
		assert_int_equal(core_extent_count(f->dev, 0), 0);
		assert_int_equal(core_pending_count(f->dev, 0), 1);
	}
}

static void test_chain_faults_combine_and_clearing_stops_them_mid_chain(void **state)
{
	struct fx *f = *state;
	struct cci_faults fs = { 0 };
	uint8_t b[BUF];
	uint16_t n1;

	fm_add(f, 0, 20, 0, TAG_T);
	cci_faults_add(&fs, CCI_FAULT_UNCLOSED_CHAIN, 0);
	cci_faults_add(&fs, CCI_FAULT_SEQUENCE_GAP, 0);
	assert_int_equal(cci_ctx_set_faults(f->mb[0], &fs), 0);
	get_dc(f, f->mb[0], b);
	n1 = r16(b, 0x14);
	assert_int_equal(r16(b, REC(1) + REC_SEQ), 2);
	clear_dc(f, f->mb[0], b, n1);
	assert_int_equal(cci_ctx_set_faults(f->mb[0], NULL), 0);
	get_dc(f, f->mb[0], b);
	assert_int_equal(r16(b, REC(0) + REC_SEQ), 0); /* as the model has it */
	assert_int_equal(b[REC(r16(b, 0x14) - 1) + REC_FLAGS], 0x00);
}

/* ------------------------------------------------------------- count faults */

static void test_bogus_event_count_claims_one_more_record(void **state)
{
	struct fx *f = *state;
	uint8_t a[BUF], b[BUF];
	size_t n;

	fm_add(f, 0, 2, 0, TAG_T);
	n = get_dc(f, f->mb[0], a);
	set1(f->mb[0], CCI_FAULT_BOGUS_EVENT_COUNT, 2);
	assert_int_equal(get_dc(f, f->mb[0], b), n);    /* payload length unchanged */
	g16(a, 0x14, 3);
	assert_bytes_equal(b, a, n);
	/* any log, even an empty one: the second occurrence */
	assert_int_equal(msg(f, f->mb[0], 0x0100, (uint8_t[]){ 0x00 }, 1), 0);
	assert_int_equal(f->out_len, EV_HDR);
	assert_int_equal(r16(f->out, 0x14), 1);
	assert_false(is_on(f->mb[0], CCI_FAULT_BOGUS_EVENT_COUNT, NULL));
	get_dc(f, f->mb[0], b);
	assert_int_equal(r16(b, 0x14), 2);
}

static void test_bogus_extent_count_and_total_on_4801h(void **state)
{
	struct fx *f = *state;
	uint8_t in[8] = { 0 }, a[BUF];
	struct cci_faults fs = { 0 };
	size_t n;

	fm_add(f, 0, 2, 0, TAG_T);
	accept_all(f);
	g32(in, 0, 10);
	assert_int_equal(msg(f, f->mb[0], 0x4801, in, 8), 0);
	n = f->out_len;
	memcpy(a, f->out, n);
	assert_int_equal(r32(a, 0), 2);
	cci_faults_add(&fs, CCI_FAULT_BOGUS_EXTENT_COUNT, 1);
	cci_faults_add(&fs, CCI_FAULT_BOGUS_EXTENT_TOTAL, 2);
	assert_int_equal(cci_ctx_set_faults(f->mb[0], &fs), 0);
	assert_int_equal(msg(f, f->mb[0], 0x4801, in, 8), 0);
	g32(a, 0x00, 3);                                /* Returned Extent Count */
	g32(a, 0x04, 3);                                /* Total Extent Count */
	expect_rsp(f, a, n);
	assert_int_equal(msg(f, f->mb[0], 0x4801, in, 8), 0);
	assert_int_equal(r32(f->out, 0), 2);
	assert_int_equal(r32(f->out, 4), 3);
	assert_int_equal(msg(f, f->mb[0], 0x4801, in, 8), 0);
	assert_int_equal(r32(f->out, 4), 2);
	cci_ctx_get_faults(f->mb[0], &fs);
	assert_int_equal(fs.mask, 0);
}

static void test_failed_commands_are_never_rewritten(void **state)
{
	struct fx *f = *state;

	set1(f->mb[0], CCI_FAULT_BOGUS_EVENT_COUNT, 1);
	assert_int_equal(msg(f, f->mb[0], 0x0100, (uint8_t[]){ 0x09 }, 1), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(f->out_len, 0);
	assert_true(is_on(f->mb[0], CCI_FAULT_BOGUS_EVENT_COUNT, NULL));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_names_parse_back_and_unknown_names_fail),
		T(test_set_get_and_clear),
		T(test_faults_off_or_cleared_change_nothing),
		T(test_unclosed_chain_keeps_more_on_the_last_record_once),
		T(test_duplicate_tag_copies_a_tag_the_host_has),
		T(test_duplicate_tag_without_a_tag_uses_a_fixed_one_twice),
		T(test_sequence_gap_skips_one_value),
		T(test_sequence_gap_leaves_single_record_chains_alone),
		T(test_sequence_gap_follows_a_chain_across_responses),
		T(test_bogus_extent_len_adds_half_a_block),
		T(test_bogus_region_ends_one_block_past_the_region),
		T(test_chain_faults_combine_and_clearing_stops_them_mid_chain),
		T(test_bogus_event_count_claims_one_more_record),
		T(test_bogus_extent_count_and_total_on_4801h),
		T(test_failed_commands_are_never_rewritten),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
