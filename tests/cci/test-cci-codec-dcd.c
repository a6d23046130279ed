/* SPDX-License-Identifier: MIT */
/*
 * test-cci-codec-dcd.c - golden vectors, round trips and every-prefix
 * truncation for the mailbox's Dynamic Capacity payloads (4800h-4803h,
 * src/cci/codec-dcd.c): extents (reserved DPA bits masked), Get DC
 * Config, Get DC Extent List, Add/Release DC Response.
 */
#include "codec-util.h"

/* ------------------------------------------------------------------- DCD */

static void test_extent_masks_reserved_dpa_bits(void **state)
{
	uint8_t b[0x28] = { 0 };
	struct cxldcd_extent e;
	struct wrd r;

	(void)state;
	g_extent(b, 0, 0x1000003f, 0x1000, TAG_A, 1);
	g8(b, 0x22, 0xff);                       /* reserved: ignored */
	wrd_init(&r, b, sizeof(b));
	cci_dec_extent(&r, &e);
	assert_true(wrd_done(&r));
	assert_int_equal(e.dpa, 0x10000000);
	assert_int_equal(e.len, 0x1000);
	assert_int_equal(e.shared_seq, 1);
	assert_memory_equal(e.tag, TAG_A, 16);
}

static int dec_dc_config_out(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_dc_config_out(p, n, o);
}

static void test_dc_config_golden(void **state)
{
	struct cci_dc_region_cfg rc = { 0x40000000, 0x20000000, 0x10000000, 0x200000, 0xfade, true };
	struct cci_dc_counts cnt = { 512, 500, 64, 60 };
	struct cci_dc_config_out d;
	struct cci_dc_config_in in;
	uint8_t want[8 + 0x28 + 16] = { 0 }, got[128], inb[2] = { 8, 1 };
	size_t n;

	(void)state;
	assert_int_equal(cci_dec_dc_config_in(inb, 2, &in), 0);
	assert_int_equal(in.region_count, 8);
	assert_int_equal(in.start_region, 1);
	assert_int_not_equal(cci_dec_dc_config_in(inb, 1, &in), 0);
	g8(want, 0, 2);
	g8(want, 1, 1);
	g64(want, 0x08, 0x40000000);
	g64(want, 0x10, 2);                      /* decode length in 256 MB units */
	g64(want, 0x18, 0x10000000);
	g64(want, 0x20, 0x200000);
	g32(want, 0x28, 0xfade);
	g8(want, 0x2c, 1);
	g32(want, 0x30, 512);
	g32(want, 0x34, 500);
	g32(want, 0x38, 64);
	g32(want, 0x3c, 60);
	n = ENC(got, (cci_enc_dc_config_out_hdr(w, 2, 1) | cci_enc_dc_region_cfg(w, &rc) |
		      cci_enc_dc_counts(w, &cnt)));
	assert_int_equal(n, sizeof(want));
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_dc_config_out(want, n, &d), 0);
	assert_int_equal(d.returned, 1);
	assert_int_equal(d.regions[0].base, rc.base);
	assert_int_equal(d.regions[0].decode_len, rc.decode_len);
	assert_int_equal(d.regions[0].len, rc.len);
	assert_int_equal(d.regions[0].block_size, rc.block_size);
	assert_int_equal(d.regions[0].dsmad_handle, rc.dsmad_handle);
	assert_true(d.regions[0].sanitize_on_release);
	assert_memory_equal(&d.counts, &cnt, sizeof(cnt));
	check_prefixes(want, n, dec_dc_config_out, &d, SIZE_MAX);
}

static int dec_extlist_out(const uint8_t *p, size_t n, void *o)
{
	struct cxldcd_extent e[2];

	return cci_dec_extent_list_out(p, n, o, e, 2);
}

static void test_extent_list_golden(void **state)
{
	struct cci_extent_list_out h = { 1, 3, 7 }, dh;
	struct cxldcd_extent e = { .dpa = 0x40000000, .len = 0x400000, .shared_seq = 0 }, d[2];
	struct cci_extent_list_in in;
	uint8_t want[0x10 + 0x28] = { 0 }, got[128], inb[8] = { 0 };
	size_t n;

	(void)state;
	memcpy(e.tag, TAG_A, 16);
	g32(inb, 0, 10);
	g32(inb, 4, 2);
	assert_int_equal(cci_dec_extent_list_in(inb, 8, &in), 0);
	assert_int_equal(in.count, 10);
	assert_int_equal(in.start, 2);
	g32(want, 0, 1);
	g32(want, 4, 3);
	g32(want, 8, 7);
	g_extent(want, 0x10, 0x40000000, 0x400000, TAG_A, 0);
	n = ENC(got, (cci_enc_extent_list_out_hdr(w, &h) | cci_enc_extent(w, &e)));
	assert_int_equal(n, sizeof(want));
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_extent_list_out(want, n, &dh, d, 2), 0);
	assert_int_equal(dh.returned, 1);
	assert_int_equal(dh.total, 3);
	assert_int_equal(dh.generation, 7);
	assert_extent_eq(&d[0], &e);
	check_prefixes(want, n, dec_extlist_out, &dh, SIZE_MAX);
	g32(want, 0, 0xffffffff);                /* hostile count */
	assert_int_equal(cci_dec_extent_list_out(want, n, &dh, d, 2), -EMSGSIZE);
}

static int dec_dc_rsp(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_dc_rsp_in(p, n, o);
}

static void test_dc_rsp_in_golden(void **state)
{
	struct cxldcd_range rg[2] = { { 0x40000000, 0x200000 }, { 0x40400000, 0x400000 } }, d;
	struct cci_dc_rsp_in in;
	uint8_t want[8 + 2 * 0x18] = { 0 }, got[128];
	size_t n;

	(void)state;
	g32(want, 0, 2);
	g8(want, 4, 1);
	g64(want, 0x08, 0x40000000);
	g64(want, 0x10, 0x200000);
	g64(want, 0x20, 0x40400000);
	g64(want, 0x28, 0x400000);
	n = ENC(got, cci_enc_dc_rsp_in(w, rg, 2, true));
	assert_int_equal(n, sizeof(want));
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_dc_rsp_in(want, n, &in), 0);
	assert_int_equal(in.nr, 2);
	assert_true(in.more);
	cci_dec_updated_extent(in.list, 1, &d);
	assert_int_equal(d.dpa, 0x40400000);
	assert_int_equal(d.len, 0x400000);
	check_prefixes(want, n, dec_dc_rsp, &in, SIZE_MAX);
	g32(want, 0, 0x0aaaaaab);                /* 8 + N*0x18 wraps 32 bits */
	assert_int_equal(cci_dec_dc_rsp_in(want, n, &in), -EMSGSIZE);
	g32(want, 0, 0);                         /* empty list, extra bytes */
	assert_int_equal(cci_dec_dc_rsp_in(want, n, &in), -EMSGSIZE);
	assert_int_equal(cci_dec_dc_rsp_in(want, 8, &in), 0);
	assert_int_equal(in.nr, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extent_masks_reserved_dpa_bits),
		cmocka_unit_test(test_dc_config_golden),
		cmocka_unit_test(test_extent_list_golden),
		cmocka_unit_test(test_dc_rsp_in_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
