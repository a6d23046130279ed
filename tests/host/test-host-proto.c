/* SPDX-License-Identifier: MIT */
/*
 * test-host-proto.c - golden bytes of the host link protocol, written from
 * the tables of docs/host-link.md at explicit offsets (not from the codec),
 * round trips, and every truncation of every fixed-size message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hostlink/proto.h"

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_header_bytes_match_the_document(void **state)
{
	uint8_t buf[HL_HDR_SIZE + 8], want[HL_HDR_SIZE] = { 0x43, 0x58, 0x48, 0x4c, 0x01, 0x03,
							     0x00, 0x00, 0x78, 0x56, 0x34, 0x12,
							     0x08, 0x00, 0x00, 0x00 };
	struct wwr w;
	struct hl_hdr h;

	(void)state;
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_CCI_REQ, 0x12345678);
	wwr_u64le(&w, 0);
	assert_int_equal(hl_msg_end(&w), 0);
	assert_memory_equal(buf, want, HL_HDR_SIZE);
	assert_int_equal(hl_dec_hdr(buf, sizeof(buf), &h), 0);
	assert_int_equal(h.type, HL_CCI_REQ);
	assert_int_equal(h.seq, 0x12345678);
	assert_int_equal(h.len, 8);
	for (size_t n = 0; n < HL_HDR_SIZE; n++)
		assert_int_equal(hl_dec_hdr(buf, n, &h), -EAGAIN);
}

static void test_header_rejects_bad_magic_version_and_length(void **state)
{
	uint8_t buf[HL_HDR_SIZE] = { 0x43, 0x58, 0x48, 0x4c, 0x01, 0x01 };
	struct hl_hdr h;

	(void)state;
	put32(buf + 12, HL_MAX_PAYLOAD);
	assert_int_equal(hl_dec_hdr(buf, sizeof(buf), &h), 0);
	put32(buf + 12, HL_MAX_PAYLOAD + 1);
	assert_int_equal(hl_dec_hdr(buf, sizeof(buf), &h), -EMSGSIZE);
	put32(buf + 12, 0xffffffffu);
	assert_int_equal(hl_dec_hdr(buf, sizeof(buf), &h), -EMSGSIZE);
	put32(buf + 12, 0);
	buf[4] = 2;
	assert_int_equal(hl_dec_hdr(buf, sizeof(buf), &h), -EPROTO);
	buf[4] = 1;
	buf[0] = 0;
	assert_int_equal(hl_dec_hdr(buf, sizeof(buf), &h), -EPROTO);
}

typedef int dec_fn(const uint8_t *p, size_t len, void *out);

/* Every strict prefix fails with -EMSGSIZE, and so does one extra byte. */
static void check_truncations(const uint8_t *p, size_t len, dec_fn *dec)
{
	uint8_t big[256];
	union {
		struct hl_hello a;
		struct hl_hello_ack b;
		struct hl_irq c;
		struct hl_map d;
		struct hl_unmap e;
		struct hl_app_open_req f;
		struct hl_pause g;
		struct hl_move_ack h;
		struct hl_remap i;
		struct hl_ras_irq j;
		struct hl_ras_regs k;
		struct hl_ras_write l;
		struct hl_move_end m;
		struct hl_app_revoke_range n;
	} out;

	for (size_t n = 0; n < len; n++)
		assert_int_equal(dec(p, n, &out), -EMSGSIZE);
	memcpy(big, p, len);
	big[len] = 0;
	assert_int_equal(dec(big, len + 1, &out), -EMSGSIZE);
	assert_int_equal(dec(p, len, &out), 0);
}

static void test_hello_and_ack_bytes(void **state)
{
	struct hl_hello m = { .version = 1, .host_id = 0x0102, .flags = HL_HELLO_F_MAP }, d;
	struct hl_hello_ack a = { .status = 2, .version = 1, .flags = 1, .mbox_payload_size = 2048,
				  .nr_regions = 3, .nr_hosts = 0x0304,
				  .span_base = 0x1122334455667788ull, .span_size = 0x40000000,
				  .static_size = 0x30000000 },
			    da;
	uint8_t buf[64], want_h[8] = { 1, 0, 2, 1, 1, 0, 0, 0 }, want_a[HL_HELLO_ACK_SIZE] = { 0 };
	struct wwr w;

	(void)state;
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(hl_enc_hello(&w, &m), 0);
	assert_int_equal(w.off, HL_HELLO_SIZE);
	assert_memory_equal(buf, want_h, 8);
	assert_int_equal(hl_dec_hello(buf, 8, &d), 0);
	assert_int_equal(d.host_id, 0x0102);
	check_truncations(buf, 8, (dec_fn *)hl_dec_hello);

	want_a[0] = 2;
	want_a[2] = 1;
	want_a[4] = 1;
	put32(want_a + 0x08, 2048);
	want_a[0x0c] = 3;
	want_a[0x0e] = 0x04;
	want_a[0x0f] = 0x03;
	put64(want_a + 0x10, 0x1122334455667788ull);
	put64(want_a + 0x18, 0x40000000);
	put64(want_a + 0x20, 0x30000000);      /* static capacity: 768 MiB */
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(hl_enc_hello_ack(&w, &a), 0);
	assert_int_equal(w.off, HL_HELLO_ACK_SIZE);
	assert_memory_equal(buf, want_a, HL_HELLO_ACK_SIZE);
	assert_int_equal(hl_dec_hello_ack(buf, HL_HELLO_ACK_SIZE, &da), 0);
	assert_int_equal(da.span_base, a.span_base);
	assert_int_equal(da.nr_hosts, 0x0304);
	assert_int_equal(da.static_size, 0x30000000);
	check_truncations(buf, HL_HELLO_ACK_SIZE, (dec_fn *)hl_dec_hello_ack);
}

/* HELLO flag bit 4 (a file per group) and HELLO_ACK's bit 4: the flag words' bytes. */
static void test_hello_group_files_bits(void **state)
{
	struct hl_hello m = { .version = 1, .host_id = 0,
			      .flags = HL_HELLO_F_MAP | HL_HELLO_F_DIAG | HL_HELLO_F_RAS |
				       HL_HELLO_F_MOVE_END | HL_HELLO_F_GROUP_FILES }, d;
	struct hl_hello_ack a = { .version = 1, .flags = HL_ACK_F_MAP | HL_ACK_F_GROUP_FILES,
				  .mbox_payload_size = 2048 }, da;
	uint8_t buf[64], want_h[8] = { 1, 0, 0, 0, 0x1f, 0, 0, 0 };
	struct wwr w;

	(void)state;
	assert_int_equal(HL_HELLO_F_GROUP_FILES, 0x10);
	assert_int_equal(HL_ACK_F_GROUP_FILES, 0x10);
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(hl_enc_hello(&w, &m), 0);
	assert_memory_equal(buf, want_h, 8);
	assert_int_equal(hl_dec_hello(buf, 8, &d), 0);
	assert_int_equal(d.flags, 0x1f);
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(hl_enc_hello_ack(&w, &a), 0);
	assert_int_equal(buf[4], 0x11);
	assert_int_equal(buf[5] | buf[6] | buf[7], 0);
	assert_int_equal(hl_dec_hello_ack(buf, HL_HELLO_ACK_SIZE, &da), 0);
	assert_int_equal(da.flags, 0x11);
}

static void test_irq_map_unmap_bytes(void **state)
{
	struct hl_irq i = { .status = 0x10, .log = 4, .msgnum = 3 }, di;
	struct hl_map m = { .dpa = 0x10000000, .len = 0x200000, .offset = 0x400000, .flags = 1 }, dm;
	struct hl_unmap u = { .dpa = 0x10000000, .len = 0x200000, .reason = 2 }, du;
	uint8_t buf[64], want[0x20] = { 0 };
	struct wwr w;

	(void)state;
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_irq(&w, &i);
	want[0] = 0x10;
	want[4] = 4;
	want[5] = 3;
	assert_int_equal(w.off, HL_IRQ_SIZE);
	assert_memory_equal(buf, want, HL_IRQ_SIZE);
	assert_int_equal(hl_dec_irq(buf, HL_IRQ_SIZE, &di), 0);
	assert_int_equal(di.msgnum, 3);
	check_truncations(buf, HL_IRQ_SIZE, (dec_fn *)hl_dec_irq);

	memset(want, 0, sizeof(want));
	put64(want, 0x10000000);
	put64(want + 8, 0x200000);
	put64(want + 0x10, 0x400000);
	want[0x18] = 1;
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_map(&w, &m);
	assert_int_equal(w.off, HL_MAP_SIZE);
	assert_memory_equal(buf, want, HL_MAP_SIZE);
	assert_int_equal(hl_dec_map(buf, HL_MAP_SIZE, &dm), 0);
	assert_int_equal(dm.offset, 0x400000);
	check_truncations(buf, HL_MAP_SIZE, (dec_fn *)hl_dec_map);
	put64(buf + 8, 0); /* length 0 */
	assert_int_equal(hl_dec_map(buf, HL_MAP_SIZE, &dm), -EINVAL);
	put64(buf + 8, 0x1000);
	put64(buf, UINT64_MAX - 0x10); /* wraps */
	assert_int_equal(hl_dec_map(buf, HL_MAP_SIZE, &dm), -EINVAL);

	memset(want, 0, sizeof(want));
	put64(want, 0x10000000);
	put64(want + 8, 0x200000);
	want[0x10] = 2;
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_unmap(&w, &u);
	assert_int_equal(w.off, HL_UNMAP_SIZE);
	assert_memory_equal(buf, want, HL_UNMAP_SIZE);
	assert_int_equal(hl_dec_unmap(buf, HL_UNMAP_SIZE, &du), 0);
	assert_int_equal(du.reason, 2);
	check_truncations(buf, HL_UNMAP_SIZE, (dec_fn *)hl_dec_unmap);
}

/* PAUSE, MOVE_ACK and REMAP as docs/host-link.md lays them out (a move). */
static void test_move_messages_bytes(void **state)
{
	struct hl_pause pm = { .dpa = 0x10000000, .len = 0x200000, .id = 7 }, dp;
	struct hl_move_ack a = { .id = 7, .phase = HL_MOVE_REMAPPED }, da;
	struct hl_remap rm = { .map = { .dpa = 0x10000000, .len = 0x200000, .offset = 0,
					.flags = HL_MAP_F_WRITABLE },
			       .id = 7 }, dr;
	uint8_t buf[64], want[0x28] = { 0 };
	struct wwr w;

	(void)state;
	put64(want, 0x10000000);
	put64(want + 8, 0x200000);
	put64(want + 0x10, 7);
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_pause(&w, &pm);
	assert_int_equal(w.off, HL_PAUSE_SIZE);
	assert_memory_equal(buf, want, HL_PAUSE_SIZE);
	assert_int_equal(hl_dec_pause(buf, HL_PAUSE_SIZE, &dp), 0);
	assert_int_equal(dp.id, 7);
	check_truncations(buf, HL_PAUSE_SIZE, (dec_fn *)hl_dec_pause);
	put64(buf + 0x10, 0); /* id 0 */
	assert_int_equal(hl_dec_pause(buf, HL_PAUSE_SIZE, &dp), -EINVAL);

	memset(want, 0, sizeof(want));
	put64(want, 7);
	want[8] = 2;
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_move_ack(&w, &a);
	assert_int_equal(w.off, HL_MOVE_ACK_SIZE);
	assert_memory_equal(buf, want, HL_MOVE_ACK_SIZE);
	assert_int_equal(hl_dec_move_ack(buf, HL_MOVE_ACK_SIZE, &da), 0);
	assert_int_equal(da.phase, HL_MOVE_REMAPPED);
	check_truncations(buf, HL_MOVE_ACK_SIZE, (dec_fn *)hl_dec_move_ack);
	buf[8] = 3; /* no such phase */
	assert_int_equal(hl_dec_move_ack(buf, HL_MOVE_ACK_SIZE, &da), -EINVAL);

	memset(want, 0, sizeof(want));
	put64(want, 0x10000000);
	put64(want + 8, 0x200000);
	want[0x18] = 1;
	put64(want + 0x20, 7);
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_remap(&w, &rm);
	assert_int_equal(w.off, HL_REMAP_SIZE);
	assert_memory_equal(buf, want, HL_REMAP_SIZE);
	assert_int_equal(hl_dec_remap(buf, HL_REMAP_SIZE, &dr), 0);
	assert_int_equal(dr.id, 7);
	assert_int_equal(dr.map.len, 0x200000);
	check_truncations(buf, HL_REMAP_SIZE, (dec_fn *)hl_dec_remap);
	put64(buf + 8, 0); /* length 0 */
	assert_int_equal(hl_dec_remap(buf, HL_REMAP_SIZE, &dr), -EINVAL);
}

/*
 * MOVE_END as docs/host-link.md lays it out: the PAUSE's payload (DPA,
 * length, move id), type 0x18, asked for with HELLO flag bit 3.
 */
static void test_move_end_bytes(void **state)
{
	struct hl_move_end e = { .dpa = 0x10000000, .len = 0x200000, .id = 9 }, de;
	uint8_t buf[64], want[HL_HDR_SIZE + 0x18] = { 0x43, 0x58, 0x48, 0x4c, 1, 0x18 };
	struct wwr w;

	(void)state;
	assert_int_equal(HL_MOVE_END, 0x18);
	assert_int_equal(HL_HELLO_F_MOVE_END, 0x8);
	assert_int_equal(HL_ACK_F_MOVE_END, 0x8);
	assert_string_equal(hl_type_name(HL_MOVE_END), "move-end");
	put32(want + 8, 5);
	put32(want + 12, 0x18);
	put64(want + HL_HDR_SIZE, 0x10000000);
	put64(want + HL_HDR_SIZE + 8, 0x200000);
	put64(want + HL_HDR_SIZE + 0x10, 9);
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_MOVE_END, 5);
	assert_int_equal(hl_enc_move_end(&w, &e), 0);
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(w.off, HL_HDR_SIZE + HL_MOVE_END_SIZE);
	assert_memory_equal(buf, want, w.off);
	assert_int_equal(hl_dec_move_end(buf + HL_HDR_SIZE, HL_MOVE_END_SIZE, &de), 0);
	assert_int_equal(de.dpa, 0x10000000);
	assert_int_equal(de.len, 0x200000);
	assert_int_equal(de.id, 9);
	check_truncations(buf + HL_HDR_SIZE, HL_MOVE_END_SIZE, (dec_fn *)hl_dec_move_end);
	put64(buf + HL_HDR_SIZE + 0x10, 0); /* id 0 */
	assert_int_equal(hl_dec_move_end(buf + HL_HDR_SIZE, HL_MOVE_END_SIZE, &de), -EINVAL);
	put64(buf + HL_HDR_SIZE + 0x10, 9);
	put64(buf + HL_HDR_SIZE + 8, 0); /* length 0 */
	assert_int_equal(hl_dec_move_end(buf + HL_HDR_SIZE, HL_MOVE_END_SIZE, &de), -EINVAL);
	put64(buf + HL_HDR_SIZE, UINT64_MAX); /* DPA + length wraps */
	put64(buf + HL_HDR_SIZE + 8, 2);
	assert_int_equal(hl_dec_move_end(buf + HL_HDR_SIZE, HL_MOVE_END_SIZE, &de), -EINVAL);
}

static void test_read_write_requests_and_responses(void **state)
{
	uint8_t data[5] = { 1, 2, 3, 4, 5 }, buf[64], want[0x15] = { 0 };
	struct hl_io_req rq = { .dpa = 0xabcdef000, .len = 5, .data = data }, d;
	struct hl_io_rsp rs = { .status = 0, .len = 5, .data = data }, dr;
	struct wwr w;

	(void)state;
	put64(want, 0xabcdef000);
	want[8] = 5;
	memcpy(want + 0x10, data, 5);
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_io_req(&w, &rq);
	assert_int_equal(w.off, 0x15);
	assert_memory_equal(buf, want, 0x15);
	assert_int_equal(hl_dec_io_req(buf, 0x15, true, &d), 0);
	assert_memory_equal(d.data, data, 5);
	for (size_t n = 0; n < 0x15; n++)
		assert_int_equal(hl_dec_io_req(buf, n, true, &d), -EMSGSIZE);
	assert_int_equal(hl_dec_io_req(buf, 0x10, false, &d), 0);
	assert_int_equal(hl_dec_io_req(buf, 0x11, false, &d), -EMSGSIZE);
	put32(buf + 8, 0xffffffffu); /* length far beyond the payload */
	assert_int_equal(hl_dec_io_req(buf, 0x15, true, &d), -EMSGSIZE);

	wwr_init(&w, buf, sizeof(buf));
	hl_enc_io_rsp(&w, &rs);
	assert_int_equal(w.off, 8 + 5);
	assert_int_equal(buf[4], 5);
	assert_int_equal(hl_dec_io_rsp(buf, 13, &dr), 0);
	assert_memory_equal(dr.data, data, 5);
	for (size_t n = 0; n < 13; n++)
		assert_int_equal(hl_dec_io_rsp(buf, n, &dr), -EMSGSIZE);
}

static void test_error_message(void **state)
{
	uint8_t buf[HL_ERROR_HDR + HL_ERROR_TEXT_MAX + 8];
	const uint8_t *text;
	uint32_t status;
	size_t tl;
	struct wwr w;

	(void)state;
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_error(&w, HL_S_PROTO, "bad magic");
	assert_int_equal(w.off, 4 + 9);
	assert_int_equal(buf[0], 11);
	assert_int_equal(hl_dec_error(buf, w.off, &status, &text, &tl), 0);
	assert_int_equal(tl, 9);
	assert_memory_equal(text, "bad magic", 9);
	assert_int_equal(hl_dec_error(buf, 3, &status, &text, &tl), -EMSGSIZE);
	assert_int_equal(hl_dec_error(buf, HL_ERROR_HDR + HL_ERROR_TEXT_MAX + 1, &status, &text, &tl),
			 -EMSGSIZE);
}

/* DIAG (docs/host-link.md): golden bytes, every truncation, the limits and the name rule. */
static void test_diag_message(void **state)
{
	struct hl_diag m = { .opcode = 0x4803, .rc = 0x1e, .reason = 16, .index = 2,
			     .name = "not-held", .text = (const uint8_t *)"extent 2 not held",
			     .text_len = 17 },
		       d;
	uint8_t buf[HL_DIAG_HDR + HL_DIAG_TEXT_MAX + 8], want[HL_DIAG_HDR + 17] = { 0 };
	char long_text[HL_DIAG_TEXT_MAX + 10];
	struct wwr w;

	(void)state;
	want[0] = 0x03;
	want[1] = 0x48;
	want[2] = 0x1e;
	want[4] = 16;
	put32(want + 0x08, 2);
	memcpy(want + 0x10, "not-held", 8);
	memcpy(want + 0x30, "extent 2 not held", 17);
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(hl_enc_diag(&w, &m), 0);
	assert_int_equal(w.off, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(hl_dec_diag(buf, w.off, &d), 0);
	assert_int_equal(d.opcode, 0x4803);
	assert_int_equal(d.rc, 0x1e);
	assert_int_equal(d.reason, 16);
	assert_int_equal(d.index, 2);
	assert_string_equal(d.name, "not-held");
	assert_int_equal(d.text_len, 17);
	assert_memory_equal(d.text, "extent 2 not held", 17);
	for (size_t n = 0; n < HL_DIAG_HDR; n++)
		assert_int_equal(hl_dec_diag(buf, n, &d), -EMSGSIZE);

	/* no index: 0xffffffff; an empty text */
	m.index = -1;
	m.text_len = 0;
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(hl_enc_diag(&w, &m), 0);
	assert_int_equal(w.off, HL_DIAG_HDR);
	assert_memory_equal(buf + 8, "\xff\xff\xff\xff", 4);
	assert_int_equal(hl_dec_diag(buf, HL_DIAG_HDR, &d), 0);
	assert_int_equal(d.index, -1);
	assert_null(d.text);

	/* text: cut to 192 by the encoder, more refused by the decoder */
	memset(long_text, 'x', sizeof(long_text));
	m.text = (const uint8_t *)long_text;
	m.text_len = sizeof(long_text);
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(hl_enc_diag(&w, &m), 0);
	assert_int_equal(w.off, HL_DIAG_HDR + HL_DIAG_TEXT_MAX);
	assert_int_equal(hl_dec_diag(buf, w.off, &d), 0);
	buf[w.off] = 'x';
	assert_int_equal(hl_dec_diag(buf, w.off + 1, &d), -EMSGSIZE);

	/* rc 0, an empty name, a name without NUL, a name with other bytes: -EPROTO */
	buf[2] = 0;
	assert_int_equal(hl_dec_diag(buf, HL_DIAG_HDR, &d), -EPROTO);
	buf[2] = 0x1e;
	memset(buf + 0x10, 0, HL_DIAG_NAME_SIZE);
	assert_int_equal(hl_dec_diag(buf, HL_DIAG_HDR, &d), -EPROTO);
	memset(buf + 0x10, 'a', HL_DIAG_NAME_SIZE);
	assert_int_equal(hl_dec_diag(buf, HL_DIAG_HDR, &d), -EPROTO);
	memset(buf + 0x10, 0, HL_DIAG_NAME_SIZE);
	memcpy(buf + 0x10, "Not held", 8);
	assert_int_equal(hl_dec_diag(buf, HL_DIAG_HDR, &d), -EPROTO);
	memcpy(buf + 0x10, "not-held", 8);
	assert_int_equal(hl_dec_diag(buf, HL_DIAG_HDR, &d), 0);
	assert_string_equal(hl_type_name(HL_DIAG), "diag");
}

static void test_app_messages(void **state)
{
	struct hl_app_entry e = { .size = 0x600000, .id = 7, .nr_extents = 2,
				  .flags = HL_APP_F_TAGGED, .open_count = 1 },
			    de[2];
	struct hl_app_open_req oq = { .id = 9 }, doq;
	struct hl_app_open_rsp rs = { .status = 0, .nr_segs = 2, .size = 0x600000, .id = 7 }, drs;
	struct hl_app_seg s[2] = { { 0, 0x400000, 0x4000000, 1 }, { 0x400000, 0x200000, 0x2000000, 1 } },
			  ds[2];
	uint8_t buf[256];
	struct wwr w;
	uint32_t n;

	(void)state;
	memset(e.tag, 0xab, 16);
	wwr_init(&w, buf, sizeof(buf));
	wwr_u32le(&w, 1);
	wwr_zero(&w, 4);
	hl_enc_app_entry(&w, &e);
	assert_int_equal(w.off, HL_APP_LIST_HDR + HL_APP_ENTRY_SIZE);
	assert_int_equal(buf[8 + 0x18], 7);
	assert_int_equal(buf[8 + 0x28], 1);
	assert_int_equal(hl_dec_app_list(buf, w.off, de, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(de[0].size, 0x600000);
	assert_int_equal(hl_dec_app_list(buf, w.off - 1, de, 2, &n), -EMSGSIZE);
	assert_int_equal(hl_dec_app_list(buf, w.off, de, 0, &n), -ENOBUFS);
	put32(buf, 0x10000000); /* count beyond the bytes */
	assert_int_equal(hl_dec_app_list(buf, w.off, de, 2, &n), -EMSGSIZE);

	memset(oq.tag, 0x11, 16);
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_app_open_req(&w, &oq);
	assert_int_equal(w.off, HL_APP_OPEN_REQ_SIZE);
	assert_int_equal(buf[0x10], 9);
	check_truncations(buf, HL_APP_OPEN_REQ_SIZE, (dec_fn *)hl_dec_app_open_req);
	assert_int_equal(hl_dec_app_open_req(buf, w.off, &doq), 0);
	assert_int_equal(doq.flags, 0);

	/* with flags: 0x18 flags (4), 0x1C reserved (4, zero) */
	oq.flags = HL_APP_OPEN_F_READ_ONLY;
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_app_open_req(&w, &oq);
	assert_int_equal(w.off, HL_APP_OPEN_REQ_FLAGS_SIZE);
	assert_int_equal(buf[0x10], 9);
	assert_int_equal(buf[0x18], 1);
	assert_int_equal(buf[0x1c] | buf[0x1d] | buf[0x1e] | buf[0x1f], 0);
	assert_int_equal(hl_dec_app_open_req(buf, w.off, &doq), 0);
	assert_int_equal(doq.flags, HL_APP_OPEN_F_READ_ONLY);
	assert_int_equal(doq.id, 9);
	for (size_t k = HL_APP_OPEN_REQ_SIZE + 1; k < HL_APP_OPEN_REQ_FLAGS_SIZE; k++)
		assert_int_equal(hl_dec_app_open_req(buf, k, &doq), -EMSGSIZE);
	assert_int_equal(hl_dec_app_open_req(buf, HL_APP_OPEN_REQ_FLAGS_SIZE + 1, &doq), -EMSGSIZE);
	put32(buf + 0x18, 0x80000000u);       /* an unknown flag decodes: the agent answers it */
	assert_int_equal(hl_dec_app_open_req(buf, w.off, &doq), 0);
	assert_int_equal(doq.flags, 0x80000000u);
	buf[0x1c] = 1;                         /* reserved */
	assert_int_equal(hl_dec_app_open_req(buf, w.off, &doq), -EINVAL);
	/* the 0x20 form with no flag set is read-write and re-encodes as it came (fuzz-hostlink-decode) */
	memset(buf + 0x18, 0, 8);
	assert_int_equal(hl_dec_app_open_req(buf, HL_APP_OPEN_REQ_FLAGS_SIZE, &doq), 0);
	assert_int_equal(doq.flags, 0);
	{
		uint8_t again[HL_APP_OPEN_REQ_FLAGS_SIZE + 8];

		wwr_init(&w, again, sizeof(again));
		hl_enc_app_open_req(&w, &doq);
		assert_int_equal(w.off, HL_APP_OPEN_REQ_FLAGS_SIZE);
		assert_memory_equal(again, buf, HL_APP_OPEN_REQ_FLAGS_SIZE);
	}

	wwr_init(&w, buf, sizeof(buf));
	hl_enc_app_open_rsp(&w, &rs, s);
	assert_int_equal(w.off, HL_APP_OPEN_RSP_HDR + 2 * HL_APP_SEG_SIZE);
	assert_int_equal(hl_dec_app_open_rsp(buf, w.off, &drs, ds, 2), 0);
	assert_int_equal(ds[1].file_offset, 0x2000000);
	assert_int_equal(hl_dec_app_open_rsp(buf, w.off - 1, &drs, ds, 2), -EMSGSIZE);
	put64(buf + HL_APP_OPEN_RSP_HDR + HL_APP_SEG_SIZE, 0x300000); /* overlaps segment 0 */
	assert_int_equal(hl_dec_app_open_rsp(buf, w.off, &drs, ds, 2), -EINVAL);
	/*
	 * A gap (a piece a forced release took) is fine inside the size: here
	 * segment 1 moves to 0x600000 in a group of 0x800000.  Past the size,
	 * or out of order, it is not.
	 */
	put64(buf + HL_APP_OPEN_RSP_HDR + HL_APP_SEG_SIZE, 0x600000);
	put64(buf + 8, 0x800000);
	assert_int_equal(hl_dec_app_open_rsp(buf, w.off, &drs, ds, 2), 0);
	assert_int_equal(ds[1].group_offset, 0x600000);
	assert_int_equal(drs.size, 0x800000);
	put64(buf + 8, 0x7ff000);
	assert_int_equal(hl_dec_app_open_rsp(buf, w.off, &drs, ds, 2), -EINVAL);
	put64(buf + 8, 0x800000);
	put64(buf + HL_APP_OPEN_RSP_HDR, 0x200000); /* segment 0 now ends past segment 1's start */
	put64(buf + HL_APP_OPEN_RSP_HDR + HL_APP_SEG_SIZE, 0x500000);
	assert_int_equal(hl_dec_app_open_rsp(buf, w.off, &drs, ds, 2), -EINVAL);
}

/* REVOKE_RANGE (0x27): docs/host-link.md, "The host agent's application socket". */
static void test_app_revoke_range_bytes(void **state)
{
	struct hl_app_revoke_range m = { .id = 7, .offset = 0x400000, .len = 0x200000 }, d;
	uint8_t buf[HL_APP_REVOKE_RANGE_SIZE], want[HL_APP_REVOKE_RANGE_SIZE] = { 0 };
	struct wwr w;

	(void)state;
	wwr_init(&w, buf, sizeof(buf));
	assert_int_equal(hl_enc_app_revoke_range(&w, &m), 0);
	assert_int_equal(w.off, 0x18);
	want[0x00] = 7;
	want[0x0a] = 0x40;
	want[0x12] = 0x20;
	assert_memory_equal(buf, want, sizeof(want));
	check_truncations(buf, HL_APP_REVOKE_RANGE_SIZE, (dec_fn *)hl_dec_app_revoke_range);
	assert_int_equal(hl_dec_app_revoke_range(buf, sizeof(buf), &d), 0);
	assert_int_equal(d.id, 7);
	assert_int_equal(d.offset, 0x400000);
	assert_int_equal(d.len, 0x200000);
	put64(buf + 0x10, 0); /* length 0 */
	assert_int_equal(hl_dec_app_revoke_range(buf, sizeof(buf), &d), -EINVAL);
	put64(buf + 0x08, UINT64_MAX - 0xfff); /* offset + length wraps */
	put64(buf + 0x10, 0x2000);
	assert_int_equal(hl_dec_app_revoke_range(buf, sizeof(buf), &d), -EINVAL);
	assert_string_equal(hl_type_name(HL_APP_REVOKE_RANGE), "app-revoke-range");
}

/* RAS_IRQ, RAS_READ_RSP, RAS_WRITE_REQ: docs/host-link.md tables. */
static void test_ras_messages_bytes(void **state)
{
	struct hl_ras_irq irq = { .uncor_status = 1u << 22 }, di;
	struct hl_ras_regs r = { .unc_status = 0x4003, .unc_mask = 0, .unc_severity = 0x1cfff,
				 .cor_status = 0x40, .cor_mask = 0x7f, .cap_ctrl = 0x201 }, dr;
	struct hl_ras_write wr = { .offset = 0x0c, .value = 0x40 }, dw;
	uint8_t buf[0x60], want[0x58] = { 0 };
	struct wwr w;

	(void)state;
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_ras_irq(&w, &irq);
	want[2] = 0x40;                              /* bit 22 */
	assert_int_equal(w.off, HL_RAS_IRQ_SIZE);
	assert_memory_equal(buf, want, HL_RAS_IRQ_SIZE);
	assert_int_equal(hl_dec_ras_irq(buf, HL_RAS_IRQ_SIZE, &di), 0);
	assert_int_equal(di.uncor_status, 1u << 22);
	check_truncations(buf, HL_RAS_IRQ_SIZE, (dec_fn *)hl_dec_ras_irq);
	memset(buf, 0, 8);
	buf[5] = 0x40;                               /* correctable: bit 14 at 0x04 */
	assert_int_equal(hl_dec_ras_irq(buf, 8, &di), 0);
	assert_int_equal(di.cor_status, 1u << 14);
	buf[2] = 0x40;                               /* both */
	assert_int_equal(hl_dec_ras_irq(buf, 8, &di), -EPROTO);
	memset(buf, 0, 8);                           /* neither */
	assert_int_equal(hl_dec_ras_irq(buf, 8, &di), -EPROTO);
	buf[0] = 1;                                  /* another bit */
	assert_int_equal(hl_dec_ras_irq(buf, 8, &di), -EPROTO);

	for (int i = 0; i < 16; i++)
		r.header_log[i] = 0x11111111u * (uint32_t)(i % 15 + 1);
	memset(want, 0, sizeof(want));
	put32(want + 0x00, 0x4003);
	put32(want + 0x08, 0x1cfff);
	put32(want + 0x0c, 0x40);
	put32(want + 0x10, 0x7f);
	put32(want + 0x14, 0x201);
	for (int i = 0; i < 16; i++)
		put32(want + 0x18 + 4 * i, 0x11111111u * (uint32_t)(i % 15 + 1));
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_ras_regs(&w, &r);
	assert_int_equal(w.off, HL_RAS_READ_RSP_SIZE);
	assert_memory_equal(buf, want, HL_RAS_READ_RSP_SIZE);
	assert_int_equal(hl_dec_ras_regs(buf, HL_RAS_READ_RSP_SIZE, &dr), 0);
	assert_memory_equal(&dr, &r, sizeof(r));
	assert_int_equal(hl_dec_ras_regs(buf, HL_RAS_READ_RSP_SIZE + 1, &dr), -EMSGSIZE);
	check_truncations(buf, HL_RAS_READ_RSP_SIZE, (dec_fn *)hl_dec_ras_regs);

	memset(want, 0, sizeof(want));
	want[0] = 0x0c;
	want[4] = 0x40;
	wwr_init(&w, buf, sizeof(buf));
	hl_enc_ras_write(&w, &wr);
	assert_int_equal(w.off, HL_RAS_WRITE_REQ_SIZE);
	assert_memory_equal(buf, want, HL_RAS_WRITE_REQ_SIZE);
	assert_int_equal(hl_dec_ras_write(buf, 8, &dw), 0);
	assert_int_equal(dw.value, 0x40);
	assert_int_equal(hl_dec_ras_write(buf, 9, &dw), -EMSGSIZE);
	check_truncations(buf, HL_RAS_WRITE_REQ_SIZE, (dec_fn *)hl_dec_ras_write);
	assert_string_equal(hl_type_name(HL_RAS_IRQ), "ras-irq");
	assert_string_equal(hl_type_name(HL_RAS_WRITE_RSP), "ras-write-rsp");
}

static void test_status_errno_mapping(void **state)
{
	(void)state;
	assert_int_equal(hl_status_errno(HL_S_UNKNOWN_HOST), -ENOENT);
	assert_int_equal(hl_status_errno(HL_S_HOST_CONNECTED), -EBUSY);
	assert_int_equal(hl_status_errno(HL_S_FAULT), -EFAULT);
	assert_int_equal(hl_status_errno(999), -EPROTO);
	assert_int_equal(hl_errno_status(-EACCES), HL_S_ACCES);
	assert_int_equal(hl_errno_status(-EFAULT), HL_S_FAULT);
	assert_string_equal(hl_type_name(HL_MAP), "map");
	assert_string_equal(hl_type_name(0x77), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_bytes_match_the_document),
		cmocka_unit_test(test_header_rejects_bad_magic_version_and_length),
		cmocka_unit_test(test_hello_and_ack_bytes),
		cmocka_unit_test(test_hello_group_files_bits),
		cmocka_unit_test(test_irq_map_unmap_bytes),
		cmocka_unit_test(test_move_messages_bytes),
		cmocka_unit_test(test_move_end_bytes),
		cmocka_unit_test(test_read_write_requests_and_responses),
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_diag_message),
		cmocka_unit_test(test_app_messages),
		cmocka_unit_test(test_app_revoke_range_bytes),
		cmocka_unit_test(test_ras_messages_bytes),
		cmocka_unit_test(test_status_errno_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
