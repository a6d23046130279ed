/* SPDX-License-Identifier: MIT */
/*
 * test-mctp-codec.c - src/mctp as pure code: DSP0253 framing (bytes written
 * from the spec table here, not by the encoder), the deframer's recovery
 * from corrupted frames, DSP0236 headers, fragmentation and reassembly
 * (2 KiB messages, interleaved tags, every drop rule), control messages,
 * the 07h/08h CCI bindings, and the serial endpoint end to end with a
 * stand-in CCI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mctp/control.h"
#include "mctp/endpoint.h"
#include "mctp/mctp.h"
#include "mctp/packet.h"
#include "mctp/serial.h"

/* ---- FCS and framing ---------------------------------------------------- */

static void test_fcs_is_rfc1662_without_final_complement(void **state)
{
	static const uint8_t check[] = "123456789";

	(void)state;
	/* CRC-16/MCRF4XX check value: reflected 0x8408, init FFFFh, no xorout. */
	assert_int_equal(mctp_serial_fcs(MCTP_SERIAL_FCS_INIT, check, 9), 0x6f91);
	assert_int_equal(mctp_serial_fcs(MCTP_SERIAL_FCS_INIT, NULL, 0), 0xffff);
}

static void test_frame_layout_escapes_only_packet_bytes(void **state)
{
	/* A packet holding both special bytes. */
	const uint8_t pkt[] = { 0x01, 0x09, 0x08, 0xc8, 0x7e, 0x00, 0x7d };
	uint8_t out[MCTP_SERIAL_MAX_FRAME], fcs_in[2 + sizeof(pkt)] = { 0x01, 0x07 };
	uint16_t fcs;
	size_t n;

	(void)state;
	memcpy(fcs_in + 2, pkt, sizeof(pkt));
	fcs = mctp_serial_fcs(0xffff, fcs_in, sizeof(fcs_in));
	n = mctp_serial_frame(pkt, sizeof(pkt), out, sizeof(out));
	assert_int_equal(n, 6 + sizeof(pkt) + 2);
	const uint8_t want[] = { 0x7e, 0x01, 0x07, 0x01, 0x09, 0x08, 0xc8, 0x7d, 0x5e, 0x00,
				 0x7d, 0x5d, (uint8_t)(fcs >> 8), (uint8_t)fcs, 0x7e };
	assert_memory_equal(out, want, sizeof(want));
	/* Too small a buffer, an empty or oversized packet: nothing. */
	assert_int_equal(mctp_serial_frame(pkt, sizeof(pkt), out, n - 1), 0);
	assert_int_equal(mctp_serial_frame(pkt, 0, out, sizeof(out)), 0);
	assert_int_equal(mctp_serial_frame(out, 256, out, sizeof(out)), 0);
}

static int feed(struct mctp_serial_rx *rx, const uint8_t *p, size_t n, uint8_t *got, size_t *got_len)
{
	int frames = 0;

	for (size_t i = 0; i < n; i++) {
		if (mctp_serial_rx_byte(rx, p[i])) {
			memcpy(got, rx->pkt, rx->len);
			*got_len = rx->len;
			frames++;
		}
	}
	return frames;
}

static void test_deframer_round_trips_every_byte_value(void **state)
{
	struct mctp_serial_rx rx;
	uint8_t pkt[255], frame[MCTP_SERIAL_MAX_FRAME], got[255];
	size_t n, got_len = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7 + 0x7d);
	pkt[0] = 0x01;
	n = mctp_serial_frame(pkt, sizeof(pkt), frame, sizeof(frame));
	assert_true(n > 255 + 6);
	mctp_serial_rx_init(&rx);
	/* One byte at a time, as a serial line may deliver it. */
	assert_int_equal(feed(&rx, frame, n, got, &got_len), 1);
	assert_int_equal(got_len, sizeof(pkt));
	assert_memory_equal(got, pkt, sizeof(pkt));
	assert_int_equal(rx.frames, 1);
	assert_int_equal(rx.fcs_errors, 0);
}

static void test_corrupted_fcs_frame_is_dropped_and_the_next_one_arrives(void **state)
{
	const uint8_t a[] = { 0x01, 0x09, 0x08, 0xc8, 0x00, 0x81, 0x02 };
	const uint8_t b[] = { 0x01, 0x09, 0x08, 0xc9, 0x00, 0x81, 0x7e };
	uint8_t line[2 * MCTP_SERIAL_MAX_FRAME], got[255];
	struct mctp_serial_rx rx;
	size_t na, nb, got_len = 0;

	(void)state;
	na = mctp_serial_frame(a, sizeof(a), line, sizeof(line));
	nb = mctp_serial_frame(b, sizeof(b), line + na, sizeof(line) - na);
	line[na - 2] ^= 0x01;   /* low FCS byte of frame a */
	mctp_serial_rx_init(&rx);
	assert_int_equal(feed(&rx, line, na + nb, got, &got_len), 1);
	assert_int_equal(got_len, sizeof(b));
	assert_memory_equal(got, b, sizeof(b));
	assert_int_equal(rx.fcs_errors, 1);
	assert_int_equal(rx.frames, 1);

	/* A flipped data bit is an FCS error too, with the same recovery. */
	na = mctp_serial_frame(a, sizeof(a), line, sizeof(line));
	line[5] ^= 0x10;
	mctp_serial_rx_init(&rx);
	assert_int_equal(feed(&rx, line, na + nb, got, &got_len), 1);
	assert_memory_equal(got, b, sizeof(b));
	assert_int_equal(rx.fcs_errors, 1);
}

static void test_deframer_resynchronises_after_garbage_and_framing_errors(void **state)
{
	const uint8_t pkt[] = { 0x01, 0x09, 0x08, 0xc8, 0x00, 0x81, 0x02 };
	uint8_t frame[64], line[256], got[255];
	struct mctp_serial_rx rx;
	size_t n, len = 0, got_len = 0;

	(void)state;
	n = mctp_serial_frame(pkt, sizeof(pkt), frame, sizeof(frame));
	/* Noise, then a truncated frame cut by a flag, then a bad escape. */
	const uint8_t noise[] = { 0x00, 0xff, 0x7d, 0x12 };
	memcpy(line + len, noise, sizeof(noise));
	len += sizeof(noise);
	memcpy(line + len, frame, 6);
	len += 6;
	const uint8_t bad_esc[] = { 0x7e, 0x01, 0x07, 0x01, 0x7d, 0x11, 0x00 };
	memcpy(line + len, bad_esc, sizeof(bad_esc));
	len += sizeof(bad_esc);
	const uint8_t bad_rev_and_count[] = { 0x7e, 0x02, 0x7e, 0x01, 0x03, 0x00 };
	memcpy(line + len, bad_rev_and_count, sizeof(bad_rev_and_count));
	len += sizeof(bad_rev_and_count);
	memcpy(line + len, frame, n);
	len += n;
	memcpy(line + len, frame, n);   /* and a second good frame right behind */
	len += n;
	mctp_serial_rx_init(&rx);
	assert_int_equal(feed(&rx, line, len, got, &got_len), 2);
	assert_memory_equal(got, pkt, sizeof(pkt));
	assert_true(rx.errors >= 3);
	assert_int_equal(rx.fcs_errors, 0);
}

/* ---- DSP0236 packets ---------------------------------------------------- */

static void test_header_bytes_follow_dsp0236(void **state)
{
	struct mctp_hdr h = { .version = 1, .dst = 0x09, .src = 0x08, .som = true, .eom = false,
			      .seq = 2, .to = true, .tag = 5 };
	uint8_t b[4];
	struct mctp_hdr d;

	(void)state;
	mctp_enc_hdr(&h, b);
	/* SOM bit 7, EOM bit 6, seq 5:4, TO bit 3, tag 2:0 */
	const uint8_t want[] = { 0x01, 0x09, 0x08, 0x80 | 0x20 | 0x08 | 0x05 };
	assert_memory_equal(b, want, 4);
	assert_int_equal(mctp_dec_hdr(b, 4, &d), 0);
	assert_memory_equal(&d, &h, sizeof(h));
	assert_int_not_equal(mctp_dec_hdr(b, 3, &d), 0);
}

struct pkts {
	uint8_t p[64][MCTP_HDR_SIZE + 255];
	size_t len[64];
	size_t n;
};

static int collect(void *opaque, const uint8_t *pkt, size_t len)
{
	struct pkts *ps = opaque;

	if (ps->n == 64)
		return -1;
	memcpy(ps->p[ps->n], pkt, len);
	ps->len[ps->n++] = len;
	return 0;
}

static void test_fragmentation_of_2k_message_reassembles(void **state)
{
	static struct pkts ps;
	static uint8_t msg[2061];
	struct mctp_reasm r;
	struct mctp_msg m;
	int done = 0;

	(void)state;
	memset(&ps, 0, sizeof(ps));
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i ^ (i >> 8));
	msg[0] = MCTP_TYPE_CXL_FMAPI;
	assert_int_equal(mctp_fragment(0x08, 0x09, 3, true, msg, sizeof(msg), 64, collect, &ps), 0);
	assert_int_equal(ps.n, (sizeof(msg) + 63) / 64);        /* 33 packets */
	for (size_t i = 0; i < ps.n; i++) {
		uint8_t flags = ps.p[i][3];

		assert_int_equal(!!(flags & MCTP_HDR_SOM), i == 0);
		assert_int_equal(!!(flags & MCTP_HDR_EOM), i == ps.n - 1);
		assert_int_equal((flags >> 4) & 3, i % 4);
		assert_int_equal(flags & 0x0f, 0x08 | 3);
		assert_int_equal(ps.len[i], 4 + (i == ps.n - 1 ? sizeof(msg) - 64 * i : 64));
	}
	assert_int_equal(mctp_reasm_init(&r, sizeof(msg)), 0);
	for (size_t i = 0; i < ps.n; i++)
		done += mctp_reasm_packet(&r, 0x09, ps.p[i], ps.len[i], &m);
	assert_int_equal(done, 1);
	assert_int_equal(m.len, sizeof(msg));
	assert_memory_equal(m.data, msg, sizeof(msg));
	assert_int_equal(m.src, 0x08);
	assert_int_equal(m.tag, 3);
	assert_true(m.to);
	assert_int_equal(r.dropped, 0);
	/* One byte more than the maximum: dropped. */
	mctp_reasm_fini(&r);
	assert_int_equal(mctp_reasm_init(&r, sizeof(msg) - 1), 0);
	done = 0;
	for (size_t i = 0; i < ps.n; i++)
		done += mctp_reasm_packet(&r, 0x09, ps.p[i], ps.len[i], &m);
	assert_int_equal(done, 0);
	assert_true(r.dropped >= 1);
	mctp_reasm_fini(&r);
}

static void test_interleaved_tags_reassemble_independently(void **state)
{
	static struct pkts a, b;
	uint8_t ma[200], mb[150];
	struct mctp_reasm r;
	struct mctp_msg m;
	size_t i = 0, j = 0;
	int got_a = 0, got_b = 0;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(ma, 0xaa, sizeof(ma));
	memset(mb, 0xbb, sizeof(mb));
	assert_int_equal(mctp_fragment(8, 9, 1, true, ma, sizeof(ma), 64, collect, &a), 0);
	assert_int_equal(mctp_fragment(8, 9, 2, true, mb, sizeof(mb), 64, collect, &b), 0);
	assert_int_equal(mctp_reasm_init(&r, 256), 0);
	while (i < a.n || j < b.n) {
		if (j < b.n && mctp_reasm_packet(&r, 9, b.p[j], b.len[j], &m)) {
			assert_int_equal(m.tag, 2);
			assert_int_equal(m.len, sizeof(mb));
			assert_memory_equal(m.data, mb, sizeof(mb));
			got_b++;
		}
		j++;
		if (i < a.n && mctp_reasm_packet(&r, 9, a.p[i], a.len[i], &m)) {
			assert_int_equal(m.tag, 1);
			assert_memory_equal(m.data, ma, sizeof(ma));
			got_a++;
		}
		i++;
	}
	assert_int_equal(got_a, 1);
	assert_int_equal(got_b, 1);
	mctp_reasm_fini(&r);
}

static int reasm_all(struct mctp_reasm *r, struct pkts *ps, uint8_t own)
{
	struct mctp_msg m;
	int done = 0;

	for (size_t i = 0; i < ps->n; i++)
		done += mctp_reasm_packet(r, own, ps->p[i], ps->len[i], &m);
	return done;
}

static void test_reassembly_drops_bad_sequences_sizes_and_addresses(void **state)
{
	static struct pkts ps;
	uint8_t msg[200];
	struct mctp_reasm r;
	uint8_t keep[MCTP_HDR_SIZE + 64];

	(void)state;
	memset(msg, 0x11, sizeof(msg));
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(mctp_fragment(8, 9, 0, true, msg, sizeof(msg), 64, collect, &ps), 0);
	assert_int_equal(ps.n, 4);
	assert_int_equal(mctp_reasm_init(&r, 256), 0);
	assert_int_equal(reasm_all(&r, &ps, 9), 1);             /* as sent: fine */
	assert_int_equal(reasm_all(&r, &ps, 10), 0);            /* not for us */
	assert_int_equal(reasm_all(&r, &ps, 0), 0);

	ps.p[2][3] ^= 0x10;                                     /* sequence gap */
	assert_int_equal(reasm_all(&r, &ps, 9), 0);
	ps.p[2][3] ^= 0x10;

	memcpy(keep, ps.p[1], sizeof(keep));
	ps.len[1] -= 1;                                         /* short middle packet */
	assert_int_equal(reasm_all(&r, &ps, 9), 0);
	ps.len[1] += 1;

	ps.p[0][0] = 0x02;                                      /* header version 2 */
	assert_int_equal(reasm_all(&r, &ps, 9), 0);
	ps.p[0][0] = 0x01;

	/* No SOM: the other packets have nothing to join. */
	{
		struct mctp_msg m;
		uint64_t before = r.dropped;

		for (size_t i = 1; i < ps.n; i++)
			assert_false(mctp_reasm_packet(&r, 9, ps.p[i], ps.len[i], &m));
		assert_int_equal(r.dropped, before + 3);
	}
	/* A new SOM restarts a half-received message. */
	{
		struct mctp_msg m;

		assert_false(mctp_reasm_packet(&r, 9, ps.p[0], ps.len[0], &m));
		assert_int_equal(reasm_all(&r, &ps, 9), 1);
	}
	/* The null EID is accepted (before a bus owner assigns one). */
	for (size_t i = 0; i < ps.n; i++)
		ps.p[i][1] = 0;
	assert_int_equal(reasm_all(&r, &ps, 9), 1);
	mctp_reasm_fini(&r);
}

/* ---- control messages --------------------------------------------------- */

static size_t ctrl(struct mctp_ctrl *c, const uint8_t *req, size_t n, uint8_t *rsp)
{
	return mctp_ctrl_handle(c, req, n, rsp);
}

static void test_control_messages_a_bus_owner_sends(void **state)
{
	struct mctp_ctrl c = { 0 };
	uint8_t rsp[MCTP_CTRL_MAX_RSP];

	(void)state;
	/* Get Endpoint ID before assignment: EID 0, simple endpoint, dynamic. */
	const uint8_t get_eid[] = { 0x81, 0x02 };
	assert_int_equal(ctrl(&c, get_eid, 2, rsp), 6);
	const uint8_t r1[] = { 0x01, 0x02, 0x00, 0x00, 0x00, 0x00 };
	assert_memory_equal(rsp, r1, 6);
	/* Set Endpoint ID 0x1d: accepted, no pool. */
	const uint8_t set_eid[] = { 0x82, 0x01, 0x00, 0x1d };
	assert_int_equal(ctrl(&c, set_eid, 4, rsp), 6);
	const uint8_t r2[] = { 0x02, 0x01, 0x00, 0x00, 0x1d, 0x00 };
	assert_memory_equal(rsp, r2, 6);
	assert_int_equal(c.eid, 0x1d);
	assert_int_equal(ctrl(&c, get_eid, 2, rsp), 6);
	assert_int_equal(rsp[3], 0x1d);
	/* Invalid EIDs and lengths, reset of a dynamic EID: refused, EID kept. */
	const uint8_t set_ff[] = { 0x83, 0x01, 0x00, 0xff };
	assert_int_equal(ctrl(&c, set_ff, 4, rsp), 3);
	assert_int_equal(rsp[2], MCTP_CC_INVALID_DATA);
	const uint8_t set_short[] = { 0x83, 0x01, 0x00 };
	assert_int_equal(ctrl(&c, set_short, 3, rsp), 3);
	assert_int_equal(rsp[2], MCTP_CC_INVALID_LENGTH);
	const uint8_t reset[] = { 0x83, 0x01, 0x02, 0x20 };
	assert_int_equal(ctrl(&c, reset, 4, rsp), 3);
	assert_int_equal(rsp[2], MCTP_CC_INVALID_DATA);
	assert_int_equal(c.eid, 0x1d);
	/* Get MCTP Version Support: base FFh -> 1.3.1, 07h -> 1.0.0, 42h unsupported. */
	const uint8_t ver_base[] = { 0x84, 0x04, 0xff };
	assert_int_equal(ctrl(&c, ver_base, 3, rsp), 8);
	const uint8_t r3[] = { 0x04, 0x04, 0x00, 0x01, 0xf1, 0xf3, 0xf1, 0x00 };
	assert_memory_equal(rsp, r3, 8);
	const uint8_t ver_fm[] = { 0x85, 0x04, 0x07 };
	assert_int_equal(ctrl(&c, ver_fm, 3, rsp), 8);
	assert_int_equal(rsp[4], 0xf1);
	assert_int_equal(rsp[5], 0xf0);
	const uint8_t ver_x[] = { 0x85, 0x04, 0x42 };
	assert_int_equal(ctrl(&c, ver_x, 3, rsp), 3);
	assert_int_equal(rsp[2], MCTP_CC_MSG_TYPE_UNSUPPORTED);
	/* Get Message Type Support: 07h and 08h beyond control. */
	const uint8_t types[] = { 0x86, 0x05 };
	assert_int_equal(ctrl(&c, types, 2, rsp), 6);
	const uint8_t r4[] = { 0x06, 0x05, 0x00, 0x02, 0x07, 0x08 };
	assert_memory_equal(rsp, r4, 6);
	/* Unknown command; a response or datagram gets nothing. */
	const uint8_t unk[] = { 0x87, 0x0a };
	assert_int_equal(ctrl(&c, unk, 2, rsp), 3);
	assert_int_equal(rsp[2], MCTP_CC_UNSUPPORTED_CMD);
	const uint8_t resp[] = { 0x07, 0x02, 0x00 };
	assert_int_equal(ctrl(&c, resp, 3, rsp), 0);
	const uint8_t dgram[] = { 0xc7, 0x02 };
	assert_int_equal(ctrl(&c, dgram, 2, rsp), 0);
	assert_int_equal(ctrl(&c, dgram, 1, rsp), 0);
}

/* ---- the CCI bindings --------------------------------------------------- */

static void test_cci_screen_routes_07h_and_08h(void **state)
{
	uint8_t rsp[12];
	/* Identify (0001h), tag 0x33, no payload. */
	const uint8_t ident[12] = { 0x00, 0x33, 0x00, 0x01, 0x00 };
	/* Get DCD Info (5600h). */
	const uint8_t dcd[12] = { 0x00, 0x34, 0x00, 0x00, 0x56 };

	(void)state;
	assert_int_equal(mctp_cci_screen(0x08, ident, 12, rsp), MCTP_CCI_FORWARD);
	assert_int_equal(mctp_cci_screen(0x07, dcd, 12, rsp), MCTP_CCI_FORWARD);
	assert_int_equal(mctp_cci_screen(0x07, ident, 12, rsp), MCTP_CCI_ANSWERED);
	const uint8_t unsup[12] = { 0x01, 0x33, 0x00, 0x01, 0x00, 0, 0, 0, 0x03, 0x00 };
	assert_memory_equal(rsp, unsup, 12);
	assert_int_equal(mctp_cci_screen(0x08, dcd, 12, rsp), MCTP_CCI_ANSWERED);
	assert_int_equal(rsp[8], 0x03);
	/* Header says 4 payload bytes, none came: Invalid Payload Length (16h). */
	uint8_t lie[12];
	memcpy(lie, ident, 12);
	lie[5] = 4;
	assert_int_equal(mctp_cci_screen(0x08, lie, 12, rsp), MCTP_CCI_ANSWERED);
	assert_int_equal(rsp[8], 0x16);
	assert_int_equal(rsp[1], 0x33);
	/* Short, a response, another type, the IC bit: dropped. */
	assert_int_equal(mctp_cci_screen(0x08, ident, 11, rsp), MCTP_CCI_DROP);
	uint8_t r[12];
	memcpy(r, ident, 12);
	r[0] = 1;
	assert_int_equal(mctp_cci_screen(0x08, r, 12, rsp), MCTP_CCI_DROP);
	assert_int_equal(mctp_cci_screen(0x05, ident, 12, rsp), MCTP_CCI_DROP);
	assert_int_equal(mctp_cci_screen(0x88, ident, 12, rsp), MCTP_CCI_DROP);
}

/* ---- the serial endpoint ------------------------------------------------ */

struct line {
	uint8_t out[65536];
	size_t len;
	int cci_calls;
	uint8_t last_type;
	size_t last_len;
};

/* A stand-in CCI: echoes the request's tag and opcode, payload = 2 KiB pattern. */
static int fake_cci(void *opaque, uint8_t type, const uint8_t *req, size_t len, uint8_t *rsp,
		    size_t cap, size_t *rsp_len)
{
	struct line *l = opaque;
	size_t pl = 2048;

	l->cci_calls++;
	l->last_type = type;
	l->last_len = len;
	if (cap < 12 + pl)
		return -1;
	memset(rsp, 0, 12);
	rsp[0] = 1;
	rsp[1] = req[1];
	rsp[3] = req[3];
	rsp[4] = req[4];
	rsp[5] = (uint8_t)pl;
	rsp[6] = (uint8_t)(pl >> 8);
	for (size_t i = 0; i < pl; i++)
		rsp[12 + i] = (uint8_t)(i * 3);
	*rsp_len = 12 + pl;
	return 0;
}

static int line_write(void *opaque, const uint8_t *p, size_t n)
{
	struct line *l = opaque;

	if (n > sizeof(l->out) - l->len)
		return -1;
	memcpy(l->out + l->len, p, n);
	l->len += n;
	return 0;
}

static const struct mctp_serial_ep_ops ops = { .cci = fake_cci, .write = line_write };

/* What a bus owner at EID 8 would send: @msg framed packet by packet. */
static size_t frames_of(uint8_t dst, uint8_t tag, const uint8_t *msg, size_t len, uint8_t *out)
{
	static struct pkts ps;
	size_t o = 0;

	memset(&ps, 0, sizeof(ps));
	assert_int_equal(mctp_fragment(8, dst, tag, true, msg, len, 64, collect, &ps), 0);
	for (size_t i = 0; i < ps.n; i++)
		o += mctp_serial_frame(ps.p[i], ps.len[i], out + o, MCTP_SERIAL_MAX_FRAME);
	return o;
}

/* Deframe and reassemble what the endpoint wrote; return the number of messages. */
static int read_back(struct line *l, struct mctp_msg *last, uint8_t *buf)
{
	struct mctp_serial_rx rx;
	struct mctp_reasm r;
	struct mctp_msg m;
	int n = 0;

	mctp_serial_rx_init(&rx);
	assert_int_equal(mctp_reasm_init(&r, 4096), 0);
	for (size_t i = 0; i < l->len; i++) {
		if (mctp_serial_rx_byte(&rx, l->out[i]) &&
		    mctp_reasm_packet(&r, 8, rx.pkt, rx.len, &m)) {
			memcpy(buf, m.data, m.len);
			*last = m;
			last->data = buf;
			n++;
		}
	}
	mctp_reasm_fini(&r);
	l->len = 0;
	return n;
}

static void test_endpoint_answers_control_and_2k_cci_over_the_line(void **state)
{
	static struct line l;
	static uint8_t wire[65536], req[2061], back[4096];
	struct mctp_serial_ep ep;
	struct mctp_msg m;
	size_t n;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(mctp_serial_ep_init(&ep, 12 + 2048, &ops, &l), 0);
	/* Set Endpoint ID 9 sent to the null EID. */
	const uint8_t set_eid[] = { 0x00, 0x80, 0x01, 0x00, 0x09 };
	n = frames_of(0x00, 1, set_eid, sizeof(set_eid), wire);
	mctp_serial_ep_input(&ep, wire, n);
	assert_int_equal(read_back(&l, &m, back), 1);
	const uint8_t set_rsp[] = { 0x00, 0x00, 0x01, 0x00, 0x00, 0x09, 0x00 };
	assert_int_equal(m.len, sizeof(set_rsp));
	assert_memory_equal(m.data, set_rsp, sizeof(set_rsp));
	assert_int_equal(m.src, 9);
	assert_int_equal(m.tag, 1);
	assert_false(m.to);

	/* A 2 KiB FM-API request in 33 packets; a 2 KiB response comes back in 33. */
	memset(req, 0x5a, sizeof(req));
	req[0] = MCTP_TYPE_CXL_FMAPI;
	memset(req + 1, 0, 12);
	req[2] = 0x77;                  /* CCI tag */
	req[4] = 0x04;
	req[5] = 0x56;                  /* 5604h */
	req[6] = (uint8_t)2048;
	req[7] = (uint8_t)(2048 >> 8);
	n = frames_of(9, 5, req, sizeof(req), wire);
	/* Split the stream at awkward places. */
	mctp_serial_ep_input(&ep, wire, 1);
	mctp_serial_ep_input(&ep, wire + 1, 100);
	mctp_serial_ep_input(&ep, wire + 101, n - 101);
	assert_int_equal(l.cci_calls, 1);
	assert_int_equal(l.last_type, 0x07);
	assert_int_equal(l.last_len, 12 + 2048);
	assert_int_equal(read_back(&l, &m, back), 1);
	assert_int_equal(m.len, 1 + 12 + 2048);
	assert_int_equal(m.data[0], 0x07);
	assert_int_equal(m.data[2], 0x77);
	assert_int_equal(m.tag, 5);
	for (size_t i = 0; i < 2048; i++)
		assert_int_equal(m.data[13 + i], (uint8_t)(i * 3));

	/* Identify on 07h: answered Unsupported without reaching the CCI. */
	const uint8_t ident[] = { 0x07, 0x00, 0x01, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0 };
	n = frames_of(9, 2, ident, sizeof(ident), wire);
	mctp_serial_ep_input(&ep, wire, n);
	assert_int_equal(l.cci_calls, 1);
	assert_int_equal(read_back(&l, &m, back), 1);
	assert_int_equal(m.len, 13);
	assert_int_equal(m.data[9], 0x03);

	/* Addressed to another EID: silence. */
	n = frames_of(0x0a, 2, ident, sizeof(ident), wire);
	mctp_serial_ep_input(&ep, wire, n);
	assert_int_equal(l.len, 0);
	mctp_serial_ep_fini(&ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fcs_is_rfc1662_without_final_complement),
		cmocka_unit_test(test_frame_layout_escapes_only_packet_bytes),
		cmocka_unit_test(test_deframer_round_trips_every_byte_value),
		cmocka_unit_test(test_corrupted_fcs_frame_is_dropped_and_the_next_one_arrives),
		cmocka_unit_test(test_deframer_resynchronises_after_garbage_and_framing_errors),
		cmocka_unit_test(test_header_bytes_follow_dsp0236),
		cmocka_unit_test(test_fragmentation_of_2k_message_reassembles),
		cmocka_unit_test(test_interleaved_tags_reassemble_independently),
		cmocka_unit_test(test_reassembly_drops_bad_sequences_sizes_and_addresses),
		cmocka_unit_test(test_control_messages_a_bus_owner_sends),
		cmocka_unit_test(test_cci_screen_routes_07h_and_08h),
		cmocka_unit_test(test_endpoint_answers_control_and_2k_cci_over_the_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
