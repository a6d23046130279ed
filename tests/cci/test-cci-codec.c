/* SPDX-License-Identifier: MIT */
/*
 * test-cci-codec.c - golden vectors, round trips and every-prefix truncation
 * for every CCI payload codec (no device model involved).  Expected bytes are
 * built at explicit offsets from the spec tables (golden.h), never with the
 * codec under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cci/dcd.h"
#include "cci/events.h"
#include "cci/fm-dcd.h"
#include "cci/generic.h"
#include "cci/msg.h"
#include "golden.h"

static const uint8_t TAG_A[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
				   0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };
static const uint8_t DC_UUID[16] = CXLDCD_DC_EVENT_UUID;

static void assert_extent_eq(const struct cxldcd_extent *a, const struct cxldcd_extent *b)
{
	assert_int_equal(a->dpa, b->dpa);
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->tag, b->tag, 16);
	assert_int_equal(a->shared_seq, b->shared_seq);
}

typedef int dec_fn(const uint8_t *p, size_t len, void *out);

/* Every strict prefix of a valid payload must be rejected (and not crash). */
static void check_prefixes(const uint8_t *buf, size_t len, dec_fn *dec, void *out, size_t ok_prefix)
{
	for (size_t k = 0; k < len; k++) {
		uint8_t *copy = malloc(k ? k : 1);   /* exact-size copy: ASan sees overreads */

		memcpy(copy, buf, k);
		if (k != ok_prefix)
			assert_int_not_equal(dec(copy, k, out), 0);
		free(copy);
	}
}

#define ENC(buf, call)                                                                      \
	({                                                                                  \
		struct wwr w_;                                                              \
		wwr_init(&w_, (buf), sizeof(buf));                                          \
		struct wwr *w = &w_;                                                        \
		assert_int_equal((call), 0);                                                \
		w_.off;                                                                     \
	})

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

/* ---------------------------------------------------------------- events */

static void fill_dc_event(struct cxldcd_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	memcpy(ev->uuid, DC_UUID, 16);
	ev->length = 0x80;
	ev->flags = 0;
	ev->handle = 0x0007;
	ev->related_handle = 0x0003;
	ev->timestamp_ns = 0x1122334455667788ull;
	ev->maint_class = 1;
	ev->maint_subclass = 2;
	ev->ld_id = 0x0102;
	ev->head_id = 3;
	ev->dc_type = CXLDCD_DC_EV_ADD_CAPACITY;
	ev->dc_validity = 1;
	ev->dc_host_id = 0x0001;
	ev->dc_region_index = 2;
	ev->dc_flags = CXLDCD_DC_EVF_MORE;
	ev->dc_extent = (struct cxldcd_extent){ .dpa = 0x40000000, .len = 0x200000, .shared_seq = 5 };
	memcpy(ev->dc_extent.tag, TAG_A, 16);
	ev->dc_avail_extents = 509;
	ev->dc_avail_tags = 77;
}

static void golden_dc_event(uint8_t *b)
{
	memset(b, 0, 0x80);
	memcpy(b, DC_UUID, 16);
	g8(b, 0x10, 0x80);
	g24(b, 0x11, 0);
	g16(b, 0x14, 7);
	g16(b, 0x16, 3);
	g64(b, 0x18, 0x1122334455667788ull);
	g8(b, 0x20, 1);
	g8(b, 0x21, 2);
	g16(b, 0x22, 0x0102);
	g8(b, 0x24, 3);
	g8(b, 0x30, 0x00);
	g8(b, 0x31, 0x01);
	g16(b, 0x32, 0x0001);
	g8(b, 0x34, 2);
	g8(b, 0x35, 0x01);
	g_extent(b, 0x38, 0x40000000, 0x200000, TAG_A, 5);
	g32(b, 0x78, 509);
	g32(b, 0x7c, 77);
}

static void test_dc_event_record_golden(void **state)
{
	struct cxldcd_event ev, d;
	uint8_t want[0x80], got[0x80];
	struct wrd r;

	(void)state;
	fill_dc_event(&ev);
	golden_dc_event(want);
	assert_int_equal(ENC(got, cci_enc_event(w, &ev)), 0x80);
	assert_bytes_equal(got, want, 0x80);
	wrd_init(&r, want, 0x80);
	cci_dec_event(&r, &d);
	assert_true(wrd_done(&r));
	assert_memory_equal(&d, &ev, sizeof(d));
}

static void test_non_dc_event_record_copies_data(void **state)
{
	struct cxldcd_event ev, d;
	uint8_t want[0x80] = { 0 }, got[0x80];
	struct wrd r;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.length = 0x80;
	ev.flags = CXLDCD_EVF_SEV_WARN | CXLDCD_EVF_PERMANENT;
	ev.handle = 9;
	memset(ev.uuid, 0x11, 16);
	for (unsigned i = 0; i < 0x50; i++)
		ev.data[i] = (uint8_t)(0xf0 ^ i);
	memset(want, 0x11, 16);
	g8(want, 0x10, 0x80);
	g24(want, 0x11, 0x05);
	g16(want, 0x14, 9);
	memcpy(want + 0x30, ev.data, 0x50);
	assert_int_equal(ENC(got, cci_enc_event(w, &ev)), 0x80);
	assert_bytes_equal(got, want, 0x80);
	wrd_init(&r, want, 0x80);
	cci_dec_event(&r, &d);
	assert_memory_equal(&d, &ev, sizeof(d));
}

static int dec_events_out(const uint8_t *p, size_t n, void *o)
{
	struct cxldcd_event ev[2];

	return cci_dec_get_events_out(p, n, o, ev, 2);
}

static void test_get_events_out_golden(void **state)
{
	struct cci_get_events_out h = { CCI_EVF_OVERFLOW | CCI_EVF_MORE_RECORDS, 3, 100, 200, 1 }, dh;
	struct cxldcd_event ev, d[2];
	uint8_t want[0xa0] = { 0 }, got[0x100];
	size_t n;

	(void)state;
	fill_dc_event(&ev);
	g8(want, 0x00, 0x03);
	g16(want, 0x02, 3);
	g64(want, 0x04, 100);
	g64(want, 0x0c, 200);
	g16(want, 0x14, 1);
	golden_dc_event(want + 0x20);
	n = ENC(got, (cci_enc_get_events_out_hdr(w, &h) | cci_enc_event(w, &ev)));
	assert_int_equal(n, 0xa0);
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_get_events_out(want, n, &dh, d, 2), 0);
	assert_int_equal(dh.flags, h.flags);
	assert_int_equal(dh.overflow_count, h.overflow_count);
	assert_int_equal(dh.first_overflow_ns, h.first_overflow_ns);
	assert_int_equal(dh.last_overflow_ns, h.last_overflow_ns);
	assert_int_equal(dh.nr_records, h.nr_records);
	assert_memory_equal(&d[0], &ev, sizeof(ev));
	assert_int_equal(cci_dec_get_events_out(want, n, &dh, d, 0), -ENOBUFS);
	check_prefixes(want, n, dec_events_out, &dh, SIZE_MAX);
}

static int dec_clear(const uint8_t *p, size_t n, void *o)
{
	return cci_dec_clear_events_in(p, n, o);
}

static void test_clear_events_in_golden_and_rules(void **state)
{
	struct cci_clear_events_in in = { .log = 4, .nr_handles = 2, .handles = { 0x10, 0x11 } }, d;
	uint8_t want[10] = { 0 }, got[16];
	size_t n;

	(void)state;
	g8(want, 0, 4);
	g8(want, 2, 2);
	g16(want, 6, 0x10);
	g16(want, 8, 0x11);
	n = ENC(got, cci_enc_clear_events_in(w, &in));
	assert_int_equal(n, 10);
	assert_bytes_equal(got, want, n);
	assert_int_equal(cci_dec_clear_events_in(want, n, &d), 0);
	assert_int_equal(d.nr_handles, 2);
	assert_int_equal(d.handles[1], 0x11);
	check_prefixes(want, n, dec_clear, &d, SIZE_MAX);
	g8(want, 1, 1);                          /* Clear All with handles */
	assert_int_equal(cci_dec_clear_events_in(want, n, &d), -EINVAL);
	g8(want, 1, 0);
	g8(want, 0, 5);                          /* no such log */
	assert_int_equal(cci_dec_clear_events_in(want, n, &d), -EINVAL);
	g8(want, 0, 4);
	g8(want, 2, 3);                          /* count says 3, bytes hold 2 */
	assert_int_equal(cci_dec_clear_events_in(want, n, &d), -EMSGSIZE);
}

static void test_get_events_in_and_irq_policy(void **state)
{
	uint8_t b[6] = { 4, 0x01, 0x11, 0x02, 0x21, 0x51 }, log, got[8];
	struct cci_irq_policy pol;

	(void)state;
	assert_int_equal(cci_dec_get_events_in(b, 1, &log), 0);
	assert_int_equal(log, 4);
	assert_int_equal(cci_dec_get_events_in(b, 2, &log), -EMSGSIZE);
	b[0] = 5;
	assert_int_equal(cci_dec_get_events_in(b, 1, &log), -EINVAL);
	assert_int_equal(cci_dec_irq_policy(b + 1, 5, &pol), 0);
	assert_int_equal(pol.n, 5);
	assert_int_equal(pol.mode[4], 0x51);
	assert_int_equal(ENC(got, cci_enc_irq_policy(w, &pol)), 5);
	assert_bytes_equal(got, b + 1, 5);
	assert_int_equal(cci_dec_irq_policy(b + 1, 4, &pol), 0);
	assert_int_equal(pol.n, 4);
	assert_int_equal(cci_dec_irq_policy(b + 1, 3, &pol), -EMSGSIZE);
	assert_int_equal(cci_dec_irq_policy(b, 6, &pol), -EMSGSIZE);
}

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
		cmocka_unit_test(test_dc_event_record_golden),
		cmocka_unit_test(test_non_dc_event_record_copies_data),
		cmocka_unit_test(test_get_events_out_golden),
		cmocka_unit_test(test_clear_events_in_golden_and_rules),
		cmocka_unit_test(test_get_events_in_and_irq_policy),
		cmocka_unit_test(test_extent_masks_reserved_dpa_bits),
		cmocka_unit_test(test_identify_memdev_golden),
		cmocka_unit_test(test_dc_config_golden),
		cmocka_unit_test(test_extent_list_golden),
		cmocka_unit_test(test_dc_rsp_in_golden),
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
