/* SPDX-License-Identifier: MIT */
/*
 * test-cci-codec.c - golden vectors, round trips and every-prefix truncation
 * for the CCI wire primitives, the message header and the generic and
 * memory-device payloads (Identify, Response Message Limit, logs, CEL,
 * Identify Memory Device); no device model involved.  Expected bytes are
 * built at explicit offsets from the spec tables (golden.h), never with the
 * codec under test.  Events: test-cci-codec-events; the mailbox's Dynamic
 * Capacity: test-cci-codec-dcd; the FM-API's: test-cci-codec-fm.
 */
#include "codec-util.h"

/* ------------------------------------------------------------------ wire */

static void test_wire_reader_is_sticky_and_bounded(void **state)
{
	const uint8_t b[5] = { 1, 2, 3, 4, 5 };
	struct wrd r;

	(void)state;
	wrd_init(&r, b, sizeof(b));
	assert_int_equal(wrd_u16le(&r), 0x0201);
	assert_int_equal(wrd_u32le(&r), 0);      /* only 3 left */
	assert_true(r.bad);
	assert_int_equal(wrd_u8(&r), 0);         /* sticky */
	assert_int_equal(wrd_left(&r), 0);
	wrd_init(&r, b, sizeof(b));
	assert_int_equal(wrd_u24le(&r), 0x030201);
	wrd_skip(&r, 2);
	assert_true(wrd_done(&r));
	wrd_skip(&r, 1);
	assert_false(wrd_done(&r));
}

static void test_wire_writer_is_sticky_and_bounded(void **state)
{
	uint8_t b[6] = { 0 };
	struct wwr w;

	(void)state;
	wwr_init(&w, b, sizeof(b));
	wwr_u32le(&w, 0x11223344);
	wwr_u32le(&w, 0x55667788);               /* does not fit: nothing written */
	assert_true(w.bad);
	wwr_u8(&w, 0x99);
	assert_int_equal(w.off, 4);
	assert_int_equal(r32(b, 0), 0x11223344);
	assert_int_equal(b[4], 0);
	wwr_init(&w, b, sizeof(b));
	wwr_u64le(&w, 1);
	assert_true(w.bad);
}

static void test_wire_checked_math_detects_overflow(void **state)
{
	size_t r;

	(void)state;
	assert_false(size_muladd_overflow(8, 3, 0x18, &r));
	assert_int_equal(r, 8 + 3 * 0x18);
	assert_true(size_muladd_overflow(8, SIZE_MAX / 2, 4, &r));
	assert_true(size_muladd_overflow(SIZE_MAX, 1, 1, &r));
	assert_true(size_add_overflow(SIZE_MAX, 1, &r));
}

static void test_wire_hexdump_formats_lines(void **state)
{
	uint8_t b[17];
	char out[128];

	(void)state;
	for (unsigned i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)i;
	wire_hexdump(b, sizeof(b), out, sizeof(out));
	assert_string_equal(out, "0000: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n0010: 10");
	assert_int_equal(wire_hexdump(b, 2, out, 4), strlen("0000: 00 01"));
	assert_string_equal(out, "000");
}

/* ---------------------------------------------------------------- header */

static int dec_hdr(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_hdr(p, n, o);
}

static void test_hdr_golden_and_roundtrip(void **state)
{
	struct cci_hdr h = { CCI_CAT_RESPONSE, 0x5a, 0x4802, 0x123456 & 0x1fffff, true, 0x1e, 0xbeef };
	uint8_t want[12] = { 0 }, got[12];
	struct cci_hdr d;

	(void)state;
	g8(want, 0x0, 0x01);
	g8(want, 0x1, 0x5a);
	g16(want, 0x3, 0x4802);
	g16(want, 0x5, 0x3456);
	g8(want, 0x7, 0x12 | 0x80);
	g16(want, 0x8, 0x1e);
	g16(want, 0xa, 0xbeef);
	assert_int_equal(cci_enc_hdr(&h, got, sizeof(got)), 0);
	assert_bytes_equal(got, want, 12);
	assert_int_equal(cci_dec_hdr(want, 12, &d), 0);
	assert_int_equal(d.category, h.category);
	assert_int_equal(d.tag, h.tag);
	assert_int_equal(d.opcode, h.opcode);
	assert_int_equal(d.payload_len, h.payload_len);
	assert_true(d.bo);
	assert_int_equal(d.rc, h.rc);
	assert_int_equal(d.vendor_status, h.vendor_status);
	check_prefixes(want, 12, dec_hdr, &d, SIZE_MAX);
	h.payload_len = 1u << 21;
	assert_int_equal(cci_enc_hdr(&h, got, sizeof(got)), -ERANGE);
}

/* A refusal answers the request's tag and opcode with rc and nothing else. */
static void test_refusal_is_a_header_only_response(void **state)
{
	struct cci_hdr rq = { CCI_CAT_REQUEST, 0x33, 0x5604, 0x40, true, 0, 0x1234 };
	uint8_t want[12] = { 0 }, got[12];

	(void)state;
	g8(want, 0x0, 0x01);
	g8(want, 0x1, 0x33);
	g16(want, 0x3, 0x5604);
	g16(want, 0x8, 0x0006);
	memset(got, 0xa5, sizeof(got));
	assert_int_equal(cci_enc_refusal(&rq, 0x0006, got, sizeof(got)), 0);
	assert_bytes_equal(got, want, 12);
	assert_int_equal(cci_enc_refusal(&rq, 0x0006, got, 11), -EMSGSIZE);
}

static void test_hdr_ignores_reserved_bits(void **state)
{
	uint8_t b[12] = { 0xf0, 7, 0xff, 0x01, 0x00, 0x00, 0x00, 0x60, 0, 0, 0, 0 };
	struct cci_hdr h;

	(void)state;
	assert_int_equal(cci_dec_hdr(b, sizeof(b), &h), 0);
	assert_int_equal(h.category, CCI_CAT_REQUEST);
	assert_int_equal(h.opcode, 0x0001);
	assert_int_equal(h.payload_len, 0);
	assert_false(h.bo);
}

/* --------------------------------------------------------------- generic */

static int dec_identify(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_identify_out(p, n, o);
}

static void test_identify_golden(void **state)
{
	struct cci_identify id = { 0x1e98, 0x0d93, 0x1234, 0x5678, 0x0102030405060708ull, 11, 3 }, d;
	uint8_t want[0x12] = { 0 }, got[64];
	size_t n;

	(void)state;
	g16(want, 0x00, 0x1e98);
	g16(want, 0x02, 0x0d93);
	g16(want, 0x04, 0x1234);
	g16(want, 0x06, 0x5678);
	g64(want, 0x08, 0x0102030405060708ull);
	g8(want, 0x10, 11);
	g8(want, 0x11, 3);
	n = ENC(got, cci_enc_identify_out(w, &id));
	assert_int_equal(n, 0x12);
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_identify_out(want, n, &d), 0);
	assert_int_equal(d.vendor_id, id.vendor_id);
	assert_int_equal(d.device_id, id.device_id);
	assert_int_equal(d.subsys_vendor_id, id.subsys_vendor_id);
	assert_int_equal(d.subsys_id, id.subsys_id);
	assert_int_equal(d.serial, id.serial);
	assert_int_equal(d.max_msg_size_log2, 11);
	assert_int_equal(d.component_type, 3);
	check_prefixes(want, n, dec_identify, &d, SIZE_MAX);
}

static void test_rsp_limit_range(void **state)
{
	uint8_t b[2] = { 8, 0 }, v;

	(void)state;
	assert_int_equal(cci_dec_rsp_limit(b, 1, &v), 0);
	assert_int_equal(v, 8);
	b[0] = 20;
	assert_int_equal(cci_dec_rsp_limit(b, 1, &v), 0);
	b[0] = 7;
	assert_int_equal(cci_dec_rsp_limit(b, 1, &v), -EINVAL);
	b[0] = 21;
	assert_int_equal(cci_dec_rsp_limit(b, 1, &v), -EINVAL);
	assert_int_equal(cci_dec_rsp_limit(b, 0, &v), -EMSGSIZE);
	assert_int_equal(cci_dec_rsp_limit(b, 2, &v), -EMSGSIZE);
}

static int dec_logs(const uint8_t *p, size_t n, void *o)
{
	uint16_t cnt;

	return cci_dec_supported_logs_out(p, n, o, 2, &cnt);
}

static void test_supported_logs_golden(void **state)
{
	struct cci_log_entry e = { .size = 0x5c }, d[2];
	uint8_t want[0x1c] = { 0 }, got[64];
	uint16_t cnt;
	size_t n;

	(void)state;
	memcpy(e.uuid, cci_cel_uuid, 16);
	g16(want, 0x00, 1);
	memcpy(want + 0x08, "\x0d\xa9\xc0\xb5\xbf\x41\x4b\x78\x8f\x79\x96\xb1\x62\x3b\x3f\x17", 16);
	g32(want, 0x18, 0x5c);
	n = ENC(got, cci_enc_supported_logs_out(w, &e, 1));
	assert_int_equal(n, sizeof(want));
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_supported_logs_out(want, n, d, 2, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_memory_equal(&d[0], &e, sizeof(e));
	assert_int_equal(cci_dec_supported_logs_out(want, n, d, 0, &cnt), -ENOBUFS);
	check_prefixes(want, n, dec_logs, d, SIZE_MAX);
	g16(want, 0x00, 0xffff);                 /* count larger than the bytes */
	assert_int_equal(cci_dec_supported_logs_out(want, n, d, 2, &cnt), -EMSGSIZE);
}

static int dec_get_log(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_get_log_in(p, n, o);
}

static void test_get_log_in_golden(void **state)
{
	struct cci_get_log_in in = { .offset = 4, .length = 0x40 }, d;
	uint8_t want[0x18] = { 0 }, got[64];
	size_t n;

	(void)state;
	memcpy(in.uuid, cci_cel_uuid, 16);
	memcpy(want, cci_cel_uuid, 16);
	g32(want, 0x10, 4);
	g32(want, 0x14, 0x40);
	n = ENC(got, cci_enc_get_log_in(w, &in));
	assert_int_equal(n, 0x18);
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_get_log_in(want, n, &d), 0);
	assert_memory_equal(&d, &in, sizeof(d));
	check_prefixes(want, n, dec_get_log, &d, SIZE_MAX);
}

static void test_cel_entry_golden(void **state)
{
	struct cci_cel_entry e = { 0x4802, CCI_EFF_IMMEDIATE_CONFIG_CHANGE }, d;
	uint8_t want[4] = { 0x02, 0x48, 0x02, 0x00 }, got[4];
	struct wrd r;

	(void)state;
	assert_int_equal(ENC(got, cci_enc_cel_entry(w, &e)), 4);
	assert_bytes_equal(got, want, 4);
	wrd_init(&r, want, 4);
	cci_dec_cel_entry(&r, &d);
	assert_int_equal(d.opcode, 0x4802);
	assert_int_equal(d.effects, 2);
}

static int dec_memdev(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_identify_memdev_out(p, n, o);
}

static void test_identify_memdev_golden(void **state)
{
	struct cci_identify_memdev id = { .fw_revision = "cxldcd 0.1.0",
					  .total_capacity = 1ull << 30,
					  .volatile_capacity = 1ull << 30,
					  .info_log_size = 8, .warn_log_size = 8, .fail_log_size = 8,
					  .fatal_log_size = 8, .lsa_size = 0x100,
					  .poison_list_max = 0x123456, .inject_poison_limit = 9,
					  .poison_caps = 1, .qos_caps = 2, .dc_log_size = 16 }, d;
	uint8_t want[0x45] = { 0 }, got[0x80];
	size_t n;

	(void)state;
	memcpy(want, "cxldcd 0.1.0", 12);
	g64(want, 0x10, 4);
	g64(want, 0x18, 4);
	g16(want, 0x30, 8);
	g16(want, 0x32, 8);
	g16(want, 0x34, 8);
	g16(want, 0x36, 8);
	g32(want, 0x38, 0x100);
	g24(want, 0x3c, 0x123456);
	g16(want, 0x3f, 9);
	g8(want, 0x41, 1);
	g8(want, 0x42, 2);
	g16(want, 0x43, 16);
	n = ENC(got, cci_enc_identify_memdev_out(w, &id));
	assert_int_equal(n, 0x45);
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_identify_memdev_out(want, n, &d), 0);
	assert_memory_equal(d.fw_revision, id.fw_revision, 16);
	assert_int_equal(d.total_capacity, id.total_capacity);
	assert_int_equal(d.volatile_capacity, id.volatile_capacity);
	assert_int_equal(d.lsa_size, id.lsa_size);
	assert_int_equal(d.poison_list_max, id.poison_list_max);
	assert_int_equal(d.inject_poison_limit, id.inject_poison_limit);
	assert_int_equal(d.dc_log_size, id.dc_log_size);
	assert_int_equal(d.fatal_log_size, id.fatal_log_size);
	check_prefixes(want, n, dec_memdev, &d, SIZE_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_reader_is_sticky_and_bounded),
		cmocka_unit_test(test_wire_writer_is_sticky_and_bounded),
		cmocka_unit_test(test_wire_checked_math_detects_overflow),
		cmocka_unit_test(test_wire_hexdump_formats_lines),
		cmocka_unit_test(test_hdr_golden_and_roundtrip),
		cmocka_unit_test(test_refusal_is_a_header_only_response),
		cmocka_unit_test(test_hdr_ignores_reserved_bits),
		cmocka_unit_test(test_identify_golden),
		cmocka_unit_test(test_rsp_limit_range),
		cmocka_unit_test(test_supported_logs_golden),
		cmocka_unit_test(test_get_log_in_golden),
		cmocka_unit_test(test_cel_entry_golden),
		cmocka_unit_test(test_identify_memdev_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
