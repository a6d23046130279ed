/* SPDX-License-Identifier: MIT */
/*
 * fuzz-hostlink-decode.c - libFuzzer target for the host link codecs
 * (src/hostlink/proto.c): every decoder on untrusted bytes, and for what
 * decodes, the round trip dec(enc(dec(x))) == dec(x) with the encoded length
 * equal to the input's (reserved bytes are the only difference allowed).
 *
 * Input: byte 0 selects the decoder (modulo the number of decoders), the
 * rest is its payload.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostlink/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENC_CAP (HL_HDR_SIZE + HL_MAX_PAYLOAD + 64)

static uint8_t enc[ENC_CAP];

static void die(const char *what, unsigned sel)
{
	fprintf(stderr, "fuzz-hostlink-decode: decoder %u: %s\n", sel, what);
	abort();
}

/* The encoder's output, written once, checked for size against the input. */
static size_t finish(struct wwr *w, int rc, size_t in_len, unsigned sel)
{
	if (rc || w->bad)
		die("encoder refused what the decoder accepted", sel);
	if (w->off != in_len)
		die("re-encoded length differs from the input", sel);
	return w->off;
}

#define ROUND_TRIP(sel, type, decfn, encfn)                                   \
	do {                                                                  \
		type a, b;                                                    \
		struct wwr w;                                                 \
		memset(&a, 0, sizeof(a));                                     \
		memset(&b, 0, sizeof(b));                                     \
		if (decfn(p, n, &a))                                          \
			return 0;                                             \
		wwr_init(&w, enc, ENC_CAP);                                   \
		finish(&w, encfn(&w, &a), n, sel);                            \
		if (decfn(enc, w.off, &b) || memcmp(&a, &b, sizeof(a)))       \
			die("round trip differs", sel);                       \
	} while (0)

static void hdr(const uint8_t *p, size_t n)
{
	struct hl_hdr a, b;
	struct wwr w;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	rc = hl_dec_hdr(p, n, &a);
	if (rc == -EAGAIN && n >= HL_HDR_SIZE)
		die("-EAGAIN with a whole header", 0);
	if (rc == -EMSGSIZE && a.len <= HL_MAX_PAYLOAD)
		die("-EMSGSIZE for a length within bounds", 0);
	if (rc)
		return;
	wwr_init(&w, enc, ENC_CAP);
	if (hl_enc_hdr(&w, &a) || w.off != HL_HDR_SIZE || hl_dec_hdr(enc, w.off, &b) ||
	    memcmp(&a, &b, sizeof(a)))
		die("header round trip differs", 0);
	/* hl_msg_begin()/hl_msg_end() agree with the decoder (small payloads: speed) */
	if (a.len > 4096)
		return;
	wwr_init(&w, enc, ENC_CAP);
	hl_msg_begin(&w, a.type, a.seq);
	wwr_zero(&w, a.len);
	if (hl_msg_end(&w) || hl_dec_hdr(enc, w.off, &b) || b.len != a.len || b.type != a.type ||
	    b.seq != a.seq)
		die("hl_msg_end() length differs", 0);
}

static void io_req(const uint8_t *p, size_t n, bool with_data, unsigned sel)
{
	struct hl_io_req a, b;
	struct wwr w;

	if (hl_dec_io_req(p, n, with_data, &a))
		return;
	if (with_data && (!a.data || a.data < p || a.data + a.len != p + n))
		die("data view outside the input", sel);
	wwr_init(&w, enc, ENC_CAP);
	finish(&w, hl_enc_io_req(&w, &a), n, sel);
	if (hl_dec_io_req(enc, w.off, with_data, &b) || a.dpa != b.dpa || a.len != b.len ||
	    (with_data && memcmp(a.data, b.data, a.len)))
		die("round trip differs", sel);
}

static void io_rsp(const uint8_t *p, size_t n, unsigned sel)
{
	struct hl_io_rsp a, b;
	struct wwr w;

	if (hl_dec_io_rsp(p, n, &a))
		return;
	if (a.len && (!a.data || a.data + a.len != p + n))
		die("data view outside the input", sel);
	wwr_init(&w, enc, ENC_CAP);
	finish(&w, hl_enc_io_rsp(&w, &a), n, sel);
	if (hl_dec_io_rsp(enc, w.off, &b) || a.status != b.status || a.len != b.len ||
	    (a.len && memcmp(a.data, b.data, a.len)))
		die("round trip differs", sel);
}

static void error_msg(const uint8_t *p, size_t n, unsigned sel)
{
	uint32_t status, status2;
	const uint8_t *text, *text2;
	size_t len, len2;
	char buf[HL_ERROR_TEXT_MAX + 1];
	struct wwr w;

	if (hl_dec_error(p, n, &status, &text, &len))
		return;
	if (len > HL_ERROR_TEXT_MAX || (len && text + len != p + n))
		die("text view outside the input", sel);
	/* hl_enc_error() takes a C string: only texts without NUL round-trip */
	if (len && memchr(text, 0, len))
		return;
	if (len)
		memcpy(buf, text, len);
	buf[len] = 0;
	wwr_init(&w, enc, ENC_CAP);
	finish(&w, hl_enc_error(&w, status, buf), n, sel);
	if (hl_dec_error(enc, w.off, &status2, &text2, &len2) || status != status2 || len != len2 ||
	    (len && memcmp(text, text2, len)))
		die("round trip differs", sel);
}

static void diag_msg(const uint8_t *p, size_t n, unsigned sel)
{
	struct hl_diag a, b;
	struct wwr w;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (hl_dec_diag(p, n, &a))
		return;
	if (a.text_len > HL_DIAG_TEXT_MAX || (a.text_len && a.text + a.text_len != p + n) ||
	    !a.rc || !a.name[0] || strnlen(a.name, sizeof(a.name)) == sizeof(a.name))
		die("accepted a diag outside its rules", sel);
	wwr_init(&w, enc, ENC_CAP);
	finish(&w, hl_enc_diag(&w, &a), n, sel);
	if (hl_dec_diag(enc, w.off, &b) || a.opcode != b.opcode || a.rc != b.rc ||
	    a.reason != b.reason || a.index != b.index || strcmp(a.name, b.name) ||
	    a.text_len != b.text_len || (a.text_len && memcmp(a.text, b.text, a.text_len)))
		die("round trip differs", sel);
}

static void app_list(const uint8_t *p, size_t n, unsigned sel)
{
	static struct hl_app_entry a[HL_APP_MAX_ENTRIES], b[HL_APP_MAX_ENTRIES];
	uint32_t na = 0, nb = 0, cap = n & 1 ? 4 : HL_APP_MAX_ENTRIES;
	struct wwr w;
	int rc;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	rc = hl_dec_app_list(p, n, a, cap, &na);
	if (rc == -ENOBUFS && na <= cap)
		die("-ENOBUFS with room", sel);
	if (rc)
		return;
	wwr_init(&w, enc, ENC_CAP);
	wwr_u32le(&w, na);
	wwr_zero(&w, 4);
	for (uint32_t i = 0; i < na; i++)
		hl_enc_app_entry(&w, &a[i]);
	finish(&w, 0, n, sel);
	if (hl_dec_app_list(enc, w.off, b, cap, &nb) || na != nb ||
	    memcmp(a, b, na * sizeof(a[0])))
		die("round trip differs", sel);
}

static void app_open_rsp(const uint8_t *p, size_t n, unsigned sel)
{
	static struct hl_app_seg sa[HL_APP_MAX_SEGS], sb[HL_APP_MAX_SEGS];
	struct hl_app_open_rsp a, b;
	uint32_t cap = n & 1 ? 2 : HL_APP_MAX_SEGS;
	struct wwr w;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(sa, 0, sizeof(sa));
	memset(sb, 0, sizeof(sb));
	rc = hl_dec_app_open_rsp(p, n, &a, sa, cap);
	if (rc == -ENOBUFS && a.nr_segs <= cap)
		die("-ENOBUFS with room", sel);
	if (rc)
		return;
	wwr_init(&w, enc, ENC_CAP);
	finish(&w, hl_enc_app_open_rsp(&w, &a, sa), n, sel);
	if (hl_dec_app_open_rsp(enc, w.off, &b, sb, cap) || memcmp(&a, &b, sizeof(a)) ||
	    memcmp(sa, sb, a.nr_segs * sizeof(sa[0])))
		die("round trip differs", sel);
}

static void u64_msg(const uint8_t *p, size_t n, unsigned sel)
{
	uint64_t a, b;
	struct wwr w;

	if (hl_dec_u64_msg(p, n, &a))
		return;
	wwr_init(&w, enc, ENC_CAP);
	finish(&w, hl_enc_u64_msg(&w, a), n, sel);
	if (hl_dec_u64_msg(enc, w.off, &b) || a != b)
		die("round trip differs", sel);
}

static void status_msg(const uint8_t *p, size_t n, unsigned sel)
{
	uint32_t a, b;
	struct wwr w;

	if (hl_dec_status_msg(p, n, &a))
		return;
	wwr_init(&w, enc, ENC_CAP);
	finish(&w, hl_enc_status_msg(&w, a), n, sel);
	if (hl_dec_status_msg(enc, w.off, &b) || a != b)
		die("round trip differs", sel);
}

static void names(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n && i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	if (!hl_type_name((uint8_t)v))
		die("no type name", 15);
	/* every status maps to an errno, and the errnos of known statuses map back */
	if (hl_status_errno(v) > 0)
		die("positive errno", 15);
	if (v != HL_S_OK && v <= HL_S_NOMAP && v != HL_S_UNKNOWN_HOST && v != HL_S_HOST_CONNECTED &&
	    v != HL_S_VERSION && hl_errno_status(hl_status_errno(v)) != v)
		die("status/errno round trip differs", 15);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p;
	size_t n;
	unsigned sel;

	if (size < 1)
		return 0;
	sel = data[0] % 23u;
	p = data + 1;
	n = size - 1;
	switch (sel) {
	case 0:
		hdr(p, n);
		break;
	case 1:
		ROUND_TRIP(1, struct hl_hello, hl_dec_hello, hl_enc_hello);
		break;
	case 2:
		ROUND_TRIP(2, struct hl_hello_ack, hl_dec_hello_ack, hl_enc_hello_ack);
		break;
	case 3:
		ROUND_TRIP(3, struct hl_irq, hl_dec_irq, hl_enc_irq);
		break;
	case 4:
		ROUND_TRIP(4, struct hl_map, hl_dec_map, hl_enc_map);
		break;
	case 5:
		ROUND_TRIP(5, struct hl_unmap, hl_dec_unmap, hl_enc_unmap);
		break;
	case 6:
	case 7:
		io_req(p, n, sel == 7, sel);
		break;
	case 8:
		io_rsp(p, n, sel);
		break;
	case 9:
		error_msg(p, n, sel);
		break;
	case 10:
		app_list(p, n, sel);
		break;
	case 11:
		ROUND_TRIP(11, struct hl_app_open_req, hl_dec_app_open_req, hl_enc_app_open_req);
		break;
	case 12:
		app_open_rsp(p, n, sel);
		break;
	case 13: /* the application socket's fixed messages: CLOSE_REQ, REVOKE, REVOKE_RANGE */
		u64_msg(p, n, sel);
		ROUND_TRIP(13, struct hl_app_revoke_range, hl_dec_app_revoke_range,
			   hl_enc_app_revoke_range);
		break;
	case 14:
		status_msg(p, n, sel);
		break;
	case 16:
		diag_msg(p, n, sel);
		break;
	case 17:
		ROUND_TRIP(17, struct hl_ras_irq, hl_dec_ras_irq, hl_enc_ras_irq);
		break;
	case 18:
		ROUND_TRIP(18, struct hl_ras_regs, hl_dec_ras_regs, hl_enc_ras_regs);
		break;
	case 19:
		ROUND_TRIP(19, struct hl_ras_write, hl_dec_ras_write, hl_enc_ras_write);
		break;
	case 20: /* PAUSE and MOVE_END share one layout */
		ROUND_TRIP(20, struct hl_pause, hl_dec_pause, hl_enc_pause);
		ROUND_TRIP(20, struct hl_move_end, hl_dec_move_end, hl_enc_move_end);
		break;
	case 21:
		ROUND_TRIP(21, struct hl_move_ack, hl_dec_move_ack, hl_enc_move_ack);
		break;
	case 22:
		ROUND_TRIP(22, struct hl_remap, hl_dec_remap, hl_enc_remap);
		break;
	default:
		names(p, n);
		break;
	}
	return 0;
}
