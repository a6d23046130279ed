/* SPDX-License-Identifier: MIT */
/*
 * test-cci-memdev-codec.c - round trips of the memory-device codecs
 * (src/cci/codec-memdev.c): each input and output encoded and decoded
 * back, too short buffers refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cci/memdev.h"
#include "golden.h"

/* Set Alert Configuration, Get/Set LSA, Get Poison List, Inject and Clear Poison inputs. */
static void inputs_round_trip(void)
{
	uint8_t b[0x100];
	struct wwr w;
	struct cci_set_alert_cfg a = { 0x1f, 0x15, 50, 60, (uint16_t)-5, 7, 8 }, a2;
	struct cci_lsa_range lr = { 0x12, 0x34 }, lr2;
	struct cci_poison_range pr = { 0x40000040, 0x1000 }, pr2;
	struct cci_clear_poison cp = { .dpa = 0x80 }, cp2;
	const uint8_t *data;
	uint64_t dpa;

	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_set_alert_cfg_in(&w, &a), 0);
	assert_int_equal(w.off, 0x0c);
	assert_int_equal(cci_dec_set_alert_cfg_in(b, w.off, &a2), 0);
	assert_int_equal(a2.valid_actions, a.valid_actions);
	assert_int_equal(a2.enable_actions, a.enable_actions);
	assert_int_equal(a2.life_used_warn, a.life_used_warn);
	assert_int_equal(a2.over_temp_warn, a.over_temp_warn);
	assert_int_equal(a2.under_temp_warn, a.under_temp_warn);
	assert_int_equal(a2.corr_volatile_warn, a.corr_volatile_warn);
	assert_int_equal(a2.corr_persistent_warn, a.corr_persistent_warn);
	assert_int_equal(cci_dec_set_alert_cfg_in(b, w.off - 1, &a2), -EMSGSIZE);

	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_get_lsa_in(&w, &lr), 0);
	assert_int_equal(cci_dec_get_lsa_in(b, w.off, &lr2), 0);
	assert_int_equal(lr2.offset, 0x12);
	assert_int_equal(lr2.length, 0x34);
	assert_int_equal(cci_dec_get_lsa_in(b, w.off - 1, &lr2), -EMSGSIZE);

	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_set_lsa_in(&w, 0x20, (const uint8_t *)"abc", 3), 0);
	assert_int_equal(w.off, 11);
	assert_int_equal(cci_dec_set_lsa_in(b, w.off, &lr2, &data), 0);
	assert_int_equal(lr2.offset, 0x20);
	assert_int_equal(lr2.length, 3);
	assert_memory_equal(data, "abc", 3);
	assert_int_equal(cci_dec_set_lsa_in(b, 7, &lr2, &data), -EMSGSIZE);

	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_poison_list_in(&w, &pr), 0);
	assert_int_equal(r64(b, 8), 0x1000 / 64);
	assert_int_equal(cci_dec_poison_list_in(b, w.off, &pr2), 0);
	assert_memory_equal(&pr, &pr2, sizeof(pr));
	assert_int_equal(cci_dec_poison_list_in(b, w.off - 1, &pr2), -EMSGSIZE);

	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_inject_poison_in(&w, 0x1040), 0);
	assert_int_equal(cci_dec_inject_poison_in(b, w.off, &dpa), 0);
	assert_int_equal(dpa, 0x1040);
	assert_int_equal(cci_dec_inject_poison_in(b, w.off - 1, &dpa), -EMSGSIZE);

	memset(cp.data, 0x5a, sizeof(cp.data));
	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_clear_poison_in(&w, &cp), 0);
	assert_int_equal(w.off, 0x48);
	assert_int_equal(cci_dec_clear_poison_in(b, w.off, &cp2), 0);
	assert_memory_equal(&cp, &cp2, sizeof(cp));
	assert_int_equal(cci_dec_clear_poison_in(b, w.off - 1, &cp2), -EMSGSIZE);
}

/* Get Poison List output: golden header, then a record. */
static void poison_list_out_golden(void)
{
	uint8_t b[0x100], want[0x30] = { 0 };
	struct wwr w;
	struct cci_poison_list_hdr h = { .flags = 3, .overflow_ts = 99, .count = 1 }, hd;
	struct cci_media_error e = { 0x1000, 3, 0x80 }, e2, ed[1];

	g8(want, 0x00, 3);
	g64(want, 0x02, 99);
	g16(want, 0x0a, 1);
	g64(want, 0x20, 0x1000 | 3);
	g32(want, 0x28, 2);
	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_poison_list_hdr(&w, &h), 0);
	assert_int_equal(cci_enc_media_error(&w, &e), 0);
	assert_int_equal(w.off, sizeof(want));
	assert_bytes_equal(b, want, sizeof(want));
	assert_int_equal(cci_dec_poison_list_out(b, w.off, &hd, ed, 1), 0);
	assert_int_equal(hd.overflow_ts, 99);
	e2 = ed[0];
	assert_int_equal(e2.dpa, e.dpa);
	assert_int_equal(e2.source, e.source);
	assert_int_equal(e2.len, e.len);
	assert_int_equal(cci_dec_poison_list_out(b, w.off - 1, &hd, ed, 1), -EMSGSIZE);
	assert_int_equal(cci_dec_poison_list_out(b, w.off, &hd, ed, 0), -ENOBUFS);
}

/*
 * The General Media Event Record: the 0x50 bytes after the common header,
 * laid out by offset; then the r3.2 fields (Tables 8-57, 8-58, 8-59) on
 * top of the r3.1 bytes.  Likewise the DRAM and Memory Module ones.
 */
static void gm_event_golden(void)
{
	uint8_t want[0x50], got[0x50];
	struct cci_gm_event gm = { .head = { .dpa = 0x1000 | 1, .descriptor = 3, .type = 2,
					     .transaction_type = 0xc0, .validity = 0x0f,
					     .channel = 3, .rank = 4 },
				   .device = 0xabcdef };
	struct wwr w;

	memcpy(gm.component_id, "iras mem", 8);
	memset(want, 0, sizeof(want));
	g64(want, 0x00, 0x1001);
	g8(want, 0x08, 3);
	g8(want, 0x09, 2);
	g8(want, 0x0a, 0xc0);
	g16(want, 0x0b, 0x0f);
	g8(want, 0x0d, 3);
	g8(want, 0x0e, 4);
	g24(want, 0x0f, 0xabcdef);
	memcpy(want + 0x12, "iras mem", 8);
	wwr_init(&w, got, sizeof(got));
	assert_int_equal(cci_enc_gm_event(&w, &gm), 0);
	assert_int_equal(w.off, 0x50);
	assert_bytes_equal(got, want, 0x50);

	/* the r3.2 fields (Tables 8-57, 8-58, 8-59), on top of the r3.1 bytes above */
	wwr_init(&w, want, sizeof(want));
	assert_int_equal(cci_enc_gm_event(&w, &gm), 0);
	g8(want, 0x22, 0x5a);
	g24(want, 0x23, 0x010203);
	g8(want, 0x26, 4);
	gm.cme_ev_flags = 0x5a;
	gm.cme_count = 0x010203;
	gm.sub_type = 4;
	wwr_init(&w, got, sizeof(got));
	assert_int_equal(cci_enc_gm_event(&w, &gm), 0);
	assert_int_equal(w.off, 0x50);
	assert_bytes_equal(got, want, 0x50);
}

/* DRAM Event Record. */
static void dram_event_golden(void)
{
	uint8_t want[0x50], got[0x50];
	struct cci_dram_event dr = { .head = { .dpa = 0x2000, .descriptor = 1, .type = 2,
					       .transaction_type = 3, .validity = 0xff,
					       .channel = 5, .rank = 6 },
				     .nibble_mask = 0x123456, .bank_group = 7,
				     .bank = 8, .row = 0x654321, .column = 0x9abc,
				     .correction_mask = { 1, 2, 3, 0x0102030405060708ull } };
	struct wwr w;

	memset(want, 0, sizeof(want));
	g64(want, 0x00, 0x2000);
	g8(want, 0x08, 1);
	g8(want, 0x09, 2);
	g8(want, 0x0a, 3);
	g16(want, 0x0b, 0xff);
	g8(want, 0x0d, 5);
	g8(want, 0x0e, 6);
	g24(want, 0x0f, 0x123456);
	g8(want, 0x12, 7);
	g8(want, 0x13, 8);
	g24(want, 0x14, 0x654321);
	g16(want, 0x17, 0x9abc);
	g64(want, 0x19, 1);
	g64(want, 0x21, 2);
	g64(want, 0x29, 3);
	g64(want, 0x31, 0x0102030405060708ull);
	wwr_init(&w, got, sizeof(got));
	assert_int_equal(cci_enc_dram_event(&w, &dr), 0);
	assert_int_equal(w.off, 0x50);
	assert_bytes_equal(got, want, 0x50);

	wwr_init(&w, want, sizeof(want));
	assert_int_equal(cci_enc_dram_event(&w, &dr), 0);
	memcpy(dr.component_id, "dimm7", 5);
	dr.sub_channel = 9;
	dr.cme_ev_flags = 0x11;
	dr.cvme_count = 0xa0b0c0;
	dr.sub_type = 3;
	memcpy(want + 0x39, "dimm7", 5);
	g8(want, 0x49, 9);
	g8(want, 0x4a, 0x11);
	g24(want, 0x4b, 0xa0b0c0);
	g8(want, 0x4e, 3);
	wwr_init(&w, got, sizeof(got));
	assert_int_equal(cci_enc_dram_event(&w, &dr), 0);
	assert_int_equal(w.off, 0x50);
	assert_bytes_equal(got, want, 0x50);
}

/* Memory Module Event Record (a too short buffer: ENOBUFS). */
static void mm_event_golden(void)
{
	uint8_t want[0x50], got[0x50];
	struct cci_mm_event mm = { .type = 2, .health = { 1, 2, 3, 40, 0xfff1, 5, 6, 7 } };
	struct wwr w;

	memset(want, 0, sizeof(want));
	g8(want, 0x00, 2);
	g8(want, 0x01, 1);
	g8(want, 0x02, 2);
	g8(want, 0x03, 3);
	g8(want, 0x04, 40);
	g16(want, 0x05, 0xfff1);
	g32(want, 0x07, 5);
	g32(want, 0x0b, 6);
	g32(want, 0x0f, 7);
	wwr_init(&w, got, sizeof(got));
	assert_int_equal(cci_enc_mm_event(&w, &mm), 0);
	assert_int_equal(w.off, 0x50);
	assert_bytes_equal(got, want, 0x50);
	wwr_init(&w, got, 0x4f);
	assert_int_equal(cci_enc_mm_event(&w, &mm), -ENOBUFS);

	wwr_init(&w, want, sizeof(want));
	assert_int_equal(cci_enc_mm_event(&w, &mm), 0);
	mm.validity = 0x3;
	memcpy(mm.component_id, "module0", 7);
	mm.sub_type = 2;
	g16(want, 0x13, 0x3);
	memcpy(want + 0x15, "module0", 7);
	g8(want, 0x25, 2);
	wwr_init(&w, got, sizeof(got));
	assert_int_equal(cci_enc_mm_event(&w, &mm), 0);
	assert_int_equal(w.off, 0x50);
	assert_bytes_equal(got, want, 0x50);
}

/* Background Operation Status: golden and round trip. */
static void bg_status_golden(void)
{
	uint8_t b[0x100];
	struct wwr w;
	struct cci_bg_status st = { true, 42, 0x4304, 0, 0 }, st2;
	uint8_t want[8] = { 0 };

	g8(want, 0, 1 | 42 << 1);
	g16(want, 2, 0x4304);
	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_bg_status(&w, &st), 0);
	assert_int_equal(w.off, 8);
	assert_bytes_equal(b, want, 8);
	assert_int_equal(cci_dec_bg_status(b, 8, &st2), 0);
	assert_true(st2.running);
	assert_int_equal(st2.percent, 42);
	assert_int_equal(st2.opcode, 0x4304);
	assert_int_equal(cci_dec_bg_status(b, 7, &st2), -EMSGSIZE);
	b[0] = 101 << 1;
	assert_int_equal(cci_dec_bg_status(b, 8, &st2), -EINVAL);
}

/* Encoders stop at the end of the buffer. */
static void encoders_stop_at_the_end(void)
{
	uint8_t b[0x100];
	struct wwr w;

	wwr_init(&w, b, 0x4f);
	assert_int_equal(cci_enc_fw_info_out(&w, &(struct cci_fw_info){ 0 }), -ENOBUFS);
	wwr_init(&w, b, 0x11);
	assert_int_equal(cci_enc_health_info_out(&w, &(struct cci_health_info){ 0 }), -ENOBUFS);
	wwr_init(&w, b, 0x0f);
	assert_int_equal(cci_enc_alert_cfg_out(&w, &(struct cci_alert_cfg){ 0 }), -ENOBUFS);
}

/* ------------------------------------------------------------ codecs */

static void test_codec_round_trips(void **state)
{
	(void)state;
	inputs_round_trip();
	poison_list_out_golden();
	gm_event_golden();
	dram_event_golden();
	mm_event_golden();
	bg_status_golden();
	encoders_stop_at_the_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
