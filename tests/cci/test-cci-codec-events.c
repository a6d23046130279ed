/* SPDX-License-Identifier: MIT */
/*
 * test-cci-codec-events.c - golden vectors, round trips and every-prefix
 * truncation for the event payloads (src/cci/codec-events.c): the DC Event
 * Record and others, Get and Clear Event Records, the interrupt policy.
 * Expected bytes are built at explicit offsets from the spec tables.
 */
#include "codec-util.h"
static const uint8_t DC_UUID[16] = CXLDCD_DC_EVENT_UUID;

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dc_event_record_golden),
		cmocka_unit_test(test_non_dc_event_record_copies_data),
		cmocka_unit_test(test_get_events_out_golden),
		cmocka_unit_test(test_clear_events_in_golden_and_rules),
		cmocka_unit_test(test_get_events_in_and_irq_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
