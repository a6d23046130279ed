/* SPDX-License-Identifier: MIT */
/*
 * test-cci-codec-fm.c - golden vectors, round trips and every-prefix
 * truncation for the FM-API's Dynamic Capacity payloads (5600h-5608h,
 * src/cci/codec-fm-dcd.c): DCD info, host region configuration, extent
 * lists, Initiate Add and Release, tag references and tag lists.
 */
#include "codec-util.h"

/* ---------------------------------------------------------------- FM-API */

static int dec_info(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_dcd_info_out(p, n, o);
}

static void test_dcd_info_golden(void **state)
{
	struct cci_dcd_info info = { 2, 2, 0x7, 0x3, 0x1, 8ull << 30, { 0x200000, 0x201000 } }, d;
	uint8_t want[0x54] = { 0 }, got[0x80];
	size_t n;

	(void)state;
	g8(want, 0x00, 2);
	g8(want, 0x01, 2);
	g16(want, 0x04, 0x7);
	g16(want, 0x08, 0x3);
	g8(want, 0x0a, 0x1);
	g64(want, 0x0c, 32);
	g64(want, 0x14, 0x200000);
	g64(want, 0x1c, 0x201000);
	n = ENC(got, cci_enc_dcd_info_out(w, &info));
	assert_int_equal(n, 0x54);
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_dcd_info_out(want, n, &d), 0);
	assert_int_equal(d.nr_hosts, 2);
	assert_int_equal(d.nr_regions, 2);
	assert_int_equal(d.add_policies, 7);
	assert_int_equal(d.removal_policies, 3);
	assert_int_equal(d.sor_config_mask, 1);
	assert_int_equal(d.total_capacity, 8ull << 30);
	assert_memory_equal(d.block_masks, info.block_masks, sizeof(d.block_masks));
	check_prefixes(want, n, dec_info, &d, SIZE_MAX);
}

static int dec_hrc_out(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_host_region_cfg_out(p, n, o);
}

static void test_host_region_cfg_golden(void **state)
{
	struct cci_host_region_cfg rc = { 0x40000000, 0x10000000, 0x10000000, 0x200000,
					  CCI_HRF_SHARABLE | CCI_HRF_READ_ONLY, true };
	struct cci_dc_counts cnt = { 1, 2, 3, 4 };
	struct cci_host_region_cfg_out d;
	struct cci_host_region_cfg_in in;
	uint8_t want[4 + 0x28 + 16] = { 0 }, got[128], inb[4] = { 1, 0, 8, 0 };
	size_t n;

	(void)state;
	assert_int_equal(cci_dec_host_region_cfg_in(inb, 4, &in), 0);
	assert_int_equal(in.host, 1);
	assert_int_equal(in.region_count, 8);
	g16(want, 0, 1);
	g8(want, 2, 2);
	g8(want, 3, 1);
	g64(want, 0x04, 0x40000000);
	g64(want, 0x0c, 1);
	g64(want, 0x14, 0x10000000);
	g64(want, 0x1c, 0x200000);
	g8(want, 0x24, 0x48);
	g8(want, 0x28, 1);
	g32(want, 0x2c, 1);
	g32(want, 0x30, 2);
	g32(want, 0x34, 3);
	g32(want, 0x38, 4);
	n = ENC(got, (cci_enc_host_region_cfg_out_hdr(w, 1, 2, 1) | cci_enc_host_region_cfg(w, &rc) |
		      cci_enc_dc_counts(w, &cnt)));
	assert_int_equal(n, sizeof(want));
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_host_region_cfg_out(want, n, &d), 0);
	assert_int_equal(d.regions[0].base, rc.base);
	assert_int_equal(d.regions[0].decode_len, rc.decode_len);
	assert_int_equal(d.regions[0].flags, rc.flags);
	assert_true(d.regions[0].sanitize_on_release);
	check_prefixes(want, n, dec_hrc_out, &d, SIZE_MAX);
}

static int dec_set_rc(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_set_region_cfg_in(p, n, o);
}

static void test_set_region_cfg_golden(void **state)
{
	struct cci_set_region_cfg_in in = { 1, 0x400000, true }, d;
	uint8_t want[0x10] = { 0 }, got[0x20];
	size_t n;

	(void)state;
	g8(want, 0x0, 1);
	g64(want, 0x4, 0x400000);
	g8(want, 0xc, 1);
	n = ENC(got, cci_enc_set_region_cfg_in(w, &in));
	assert_int_equal(n, 0x10);
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_set_region_cfg_in(want, n, &d), 0);
	assert_int_equal(d.region, 1);
	assert_int_equal(d.block_size, 0x400000);
	assert_true(d.sanitize_on_release);
	check_prefixes(want, n, dec_set_rc, &d, SIZE_MAX);
}

static int dec_rext_out(const uint8_t *p, size_t n, void *o)
{
	struct cxldcd_extent e[2];

	return cci_dec_region_extents_out(p, n, o, e, 2);
}

static void test_region_extents_golden(void **state)
{
	struct cci_region_extents_out h = { 1, 2, 1, 3, 9 }, dh;
	struct cci_region_extents_in in;
	struct cxldcd_extent e = { .dpa = 0x50000000, .len = 0x200000 }, d[2];
	uint8_t want[0x18 + 0x28] = { 0 }, got[128], inb[0xc] = { 0 };
	size_t n;

	(void)state;
	g16(inb, 0, 1);
	g16(inb, 2, 0xffff);                     /* reserved: ignored */
	g32(inb, 4, 5);
	g32(inb, 8, 2);
	assert_int_equal(cci_dec_region_extents_in(inb, 0xc, &in), 0);
	assert_int_equal(in.host, 1);
	assert_int_equal(in.count, 5);
	assert_int_equal(in.start, 2);
	g16(want, 0x00, 1);
	g32(want, 0x04, 2);
	g32(want, 0x08, 1);
	g32(want, 0x0c, 3);
	g32(want, 0x10, 9);
	g_extent(want, 0x18, 0x50000000, 0x200000, NULL, 0);
	n = ENC(got, (cci_enc_region_extents_out_hdr(w, &h) | cci_enc_extent(w, &e)));
	assert_int_equal(n, sizeof(want));
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_region_extents_out(want, n, &dh, d, 2), 0);
	assert_int_equal(dh.host, 1);
	assert_int_equal(dh.start, 2);
	assert_int_equal(dh.returned, 1);
	assert_int_equal(dh.total, 3);
	assert_int_equal(dh.generation, 9);
	assert_int_equal(d[0].dpa, 0x50000000);
	check_prefixes(want, n, dec_rext_out, &dh, SIZE_MAX);
}

static int dec_add(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_initiate_add_in(p, n, o);
}

static void test_initiate_add_prescriptive_golden(void **state)
{
	struct cxldcd_extent ext[2] = { { .dpa = 0x40000000, .len = 0x200000, .shared_seq = 0 },
					{ .dpa = 0x40400000, .len = 0x200000, .shared_seq = 1 } };
	struct cci_initiate_add_in in = { .host = 1, .policy = CXLDCD_ADD_PRESCRIPTIVE, .nr = 2 }, d;
	uint8_t want[0x20 + 2 * 0x28] = { 0 }, got[256];
	struct cxldcd_extent de;
	size_t n;

	(void)state;
	memcpy(ext[0].tag, TAG_A, 16);
	memcpy(ext[1].tag, TAG_A, 16);
	g16(want, 0x00, 1);
	g8(want, 0x02, 2);
	g32(want, 0x1c, 2);
	g_extent(want, 0x20, 0x40000000, 0x200000, TAG_A, 0);
	g_extent(want, 0x48, 0x40400000, 0x200000, TAG_A, 1);
	n = ENC(got, cci_enc_initiate_add_in(w, &in, ext));
	assert_int_equal(n, sizeof(want));
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_initiate_add_in(want, n, &d), 0);
	assert_int_equal(d.nr, 2);
	cci_dec_extent_at(d.list, 1, &de);
	assert_extent_eq(&de, &ext[1]);
	check_prefixes(want, n, dec_add, &d, SIZE_MAX);
	/* Region, Length and Tag are reserved for Prescriptive: ignored. */
	g8(want, 0x03, 7);
	g64(want, 0x04, 0x1234);
	memset(want + 0x0c, 0xee, 16);
	assert_int_equal(cci_dec_initiate_add_in(want, n, &d), 0);
	assert_int_equal(d.region, 0);
	assert_int_equal(d.length, 0);
	assert_int_equal(d.tag[0], 0);
	g8(want, 0x02, 0x82);                    /* policy bits 7:4 reserved */
	assert_int_equal(cci_dec_initiate_add_in(want, n, &d), 0);
	g32(want, 0x1c, 0x06666667);             /* 0x20 + N*0x28 wraps 32 bits */
	assert_int_equal(cci_dec_initiate_add_in(want, n, &d), -EMSGSIZE);
	g32(want, 0x1c, 3);
	assert_int_equal(cci_dec_initiate_add_in(want, n, &d), -EMSGSIZE);
}

static void test_initiate_add_other_policies(void **state)
{
	uint8_t b[0x20 + 0x28] = { 0 };
	struct cci_initiate_add_in d;

	(void)state;
	g16(b, 0x00, 0);
	g8(b, 0x03, 1);
	g64(b, 0x04, 0x400000);
	memcpy(b + 0x0c, TAG_A, 16);
	for (uint8_t pol = 0; pol <= 3; pol++) {
		if (pol == CXLDCD_ADD_PRESCRIPTIVE)
			continue;
		g8(b, 0x02, pol);
		g32(b, 0x1c, 5);                 /* Extent Count reserved */
		assert_int_equal(cci_dec_initiate_add_in(b, 0x20, &d), 0);
		assert_int_equal(d.policy, pol);
		assert_int_equal(d.nr, 0);
		assert_int_equal(d.region, 1);
		assert_memory_equal(d.tag, TAG_A, 16);
		assert_int_equal(d.length, pol == CXLDCD_ADD_ENABLE_SHARED ? 0 : 0x400000);
		assert_int_equal(cci_dec_initiate_add_in(b, sizeof(b), &d), -EMSGSIZE);
	}
	g8(b, 0x02, 4);
	assert_int_equal(cci_dec_initiate_add_in(b, 0x20, &d), -EINVAL);
	g8(b, 0x02, 0x0f);
	assert_int_equal(cci_dec_initiate_add_in(b, 0x20, &d), -EINVAL);
}

static int dec_rel(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_initiate_release_in(p, n, o);
}

static void test_initiate_release_golden(void **state)
{
	struct cxldcd_extent ext = { .dpa = 0x40000000, .len = 0x200000 };
	struct cci_initiate_release_in in = { .host = 1, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					      .forced = true, .sanitize = true, .nr = 1 }, d;
	uint8_t want[0x20 + 0x28] = { 0 }, got[128];
	size_t n;

	(void)state;
	g16(want, 0x00, 1);
	g8(want, 0x02, 0x31);
	g32(want, 0x1c, 1);
	g_extent(want, 0x20, 0x40000000, 0x200000, NULL, 0);
	n = ENC(got, cci_enc_initiate_release_in(w, &in, &ext));
	assert_int_equal(n, sizeof(want));
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_initiate_release_in(want, n, &d), 0);
	assert_true(d.forced);
	assert_true(d.sanitize);
	assert_int_equal(d.nr, 1);
	check_prefixes(want, n, dec_rel, &d, SIZE_MAX);
	g8(want, 0x03, 0x5a);                    /* byte 3 reserved (r3.2) */
	g8(want, 0x02, 0xc1);                    /* bits 7:6 reserved */
	assert_int_equal(cci_dec_initiate_release_in(want, n, &d), 0);
	assert_false(d.forced);
	g8(want, 0x02, 0x02);                    /* no removal policy 2 */
	assert_int_equal(cci_dec_initiate_release_in(want, n, &d), -EINVAL);
	/* Tag-based: Length and Tag used, Extent Count reserved, 0x20 bytes exactly. */
	g8(want, 0x02, 0x10);
	g64(want, 0x04, 0x200000);
	memcpy(want + 0x0c, TAG_A, 16);
	assert_int_equal(cci_dec_initiate_release_in(want, 0x20, &d), 0);
	assert_int_equal(d.policy, CXLDCD_RELEASE_TAG_BASED);
	assert_true(d.forced);
	assert_int_equal(d.nr, 0);
	assert_int_equal(d.length, 0x200000);
	assert_memory_equal(d.tag, TAG_A, 16);
	assert_int_equal(cci_dec_initiate_release_in(want, sizeof(want), &d), -EMSGSIZE);
}

static void test_tag_ref_and_list_tags(void **state)
{
	struct cci_list_tags_out h = { 5, 2, 1, 3 }, dh;
	struct cci_tag_info t = { .flags = 1 }, dt[1];
	struct cci_list_tags_in in;
	uint8_t want[0x10 + 0x54] = { 0 }, got[256], tag[16], inb[8] = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(cci_dec_tag_ref_in(TAG_A, 16, tag), 0);
	assert_memory_equal(tag, TAG_A, 16);
	assert_int_equal(cci_dec_tag_ref_in(TAG_A, 15, tag), -EMSGSIZE);
	g32(inb, 0, 1);
	g32(inb, 4, 4);
	assert_int_equal(cci_dec_list_tags_in(inb, 8, &in), 0);
	assert_int_equal(in.start, 1);
	assert_int_equal(in.max, 4);
	memcpy(t.tag, TAG_A, 16);
	t.ref_map[0] = 0x02;
	t.pending_map[31] = 0x80;
	g32(want, 0x00, 5);
	g32(want, 0x04, 2);
	g32(want, 0x08, 1);
	g8(want, 0x0c, 3);
	memcpy(want + 0x10, TAG_A, 16);
	g8(want, 0x20, 1);
	g8(want, 0x24, 0x02);
	g8(want, 0x10 + 0x34 + 31, 0x80);
	n = ENC(got, (cci_enc_list_tags_out_hdr(w, &h) | cci_enc_tag_info(w, &t)));
	assert_int_equal(n, sizeof(want));
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_list_tags_out(want, n, &dh, dt, 1), 0);
	assert_int_equal(dh.generation, 5);
	assert_int_equal(dh.total, 2);
	assert_int_equal(dh.returned, 1);
	assert_int_equal(dh.validity, 3);
	assert_memory_equal(&dt[0], &t, sizeof(t));
	assert_int_equal(cci_dec_list_tags_out(want, n, &dh, dt, 0), -ENOBUFS);
	for (size_t k = 0; k < n; k++)
		assert_int_not_equal(cci_dec_list_tags_out(want, k, &dh, dt, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dcd_info_golden),
		cmocka_unit_test(test_host_region_cfg_golden),
		cmocka_unit_test(test_set_region_cfg_golden),
		cmocka_unit_test(test_region_extents_golden),
		cmocka_unit_test(test_initiate_add_prescriptive_golden),
		cmocka_unit_test(test_initiate_add_other_policies),
		cmocka_unit_test(test_initiate_release_golden),
		cmocka_unit_test(test_tag_ref_and_list_tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
