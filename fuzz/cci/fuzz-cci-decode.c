/* SPDX-License-Identifier: MIT */
/*
 * fuzz-cci-decode.c - libFuzzer target for every CCI payload decoder.
 * Byte 0 selects the decoder, the rest is the payload.  Decoders must never
 * read past the bytes given (ASan), and an accepted input must survive
 * decode -> encode -> decode unchanged (the encoded form is canonical:
 * reserved bits zero).  Selectors 00h-3Fh: inputs, 40h-7Fh: the Features
 * set (0500h-0502h inputs, entries and Feature data) and the 0600h input,
 * 80h and up: outputs.  Of the inputs, 10h-1Bh are the memory device's
 * (Scan Media, LSA, alert configuration, poison, timestamp, Media
 * Operations, Get Supported Logs Sub-List) and Background Operation Status,
 * each decoded, encoded and decoded again; the others are sel % 16.
 */
#include <stdlib.h>
#include <string.h>

#include "cci/dcd.h"
#include "cci/events.h"
#include "cci/feat.h"
#include "cci/fm-dcd.h"
#include "cci/generic.h"
#include "cci/maint.h"
#include "cci/memdev.h"
#include "cci/msg.h"
#include "common/wire.h"

#define MAXREC 64

static uint8_t enc1[1 << 16], enc2[1 << 16];

static void same(size_t a, size_t b)
{
	if (a != b || memcmp(enc1, enc2, a) != 0)
		abort();
}

static void rt_dc_rsp(const uint8_t *p, size_t n)
{
	static struct cxldcd_range r[4096];
	struct cci_dc_rsp_in in;
	struct wwr w;
	size_t l1;

	if (cci_dec_dc_rsp_in(p, n, &in) != 0 || in.nr > 4096)
		return;
	for (uint32_t i = 0; i < in.nr; i++)
		cci_dec_updated_extent(in.list, i, &r[i]);
	wwr_init(&w, enc1, sizeof(enc1));
	if (cci_enc_dc_rsp_in(&w, r, in.nr, in.more) != 0)
		abort();
	l1 = w.off;
	if (cci_dec_dc_rsp_in(enc1, l1, &in) != 0)
		abort();
	for (uint32_t i = 0; i < in.nr; i++)
		cci_dec_updated_extent(in.list, i, &r[i]);
	wwr_init(&w, enc2, sizeof(enc2));
	cci_enc_dc_rsp_in(&w, r, in.nr, in.more);
	same(l1, w.off);
}

static void rt_add(const uint8_t *p, size_t n)
{
	static struct cxldcd_extent e[2048];
	struct cci_initiate_add_in in;
	struct wwr w;
	size_t l1;

	if (cci_dec_initiate_add_in(p, n, &in) != 0 || in.nr > 2048)
		return;
	for (uint32_t i = 0; i < in.nr; i++)
		cci_dec_extent_at(in.list, i, &e[i]);
	wwr_init(&w, enc1, sizeof(enc1));
	if (cci_enc_initiate_add_in(&w, &in, e) != 0)
		abort();
	l1 = w.off;
	if (cci_dec_initiate_add_in(enc1, l1, &in) != 0)
		abort();
	for (uint32_t i = 0; i < in.nr; i++)
		cci_dec_extent_at(in.list, i, &e[i]);
	wwr_init(&w, enc2, sizeof(enc2));
	cci_enc_initiate_add_in(&w, &in, e);
	same(l1, w.off);
}

static void rt_release(const uint8_t *p, size_t n)
{
	static struct cxldcd_extent e[2048];
	struct cci_initiate_release_in in;
	struct wwr w;
	size_t l1;

	if (cci_dec_initiate_release_in(p, n, &in) != 0 || in.nr > 2048)
		return;
	for (uint32_t i = 0; i < in.nr; i++)
		cci_dec_extent_at(in.list, i, &e[i]);
	wwr_init(&w, enc1, sizeof(enc1));
	if (cci_enc_initiate_release_in(&w, &in, e) != 0)
		abort();
	l1 = w.off;
	if (cci_dec_initiate_release_in(enc1, l1, &in) != 0)
		abort();
	for (uint32_t i = 0; i < in.nr; i++)
		cci_dec_extent_at(in.list, i, &e[i]);
	wwr_init(&w, enc2, sizeof(enc2));
	cci_enc_initiate_release_in(&w, &in, e);
	same(l1, w.off);
}

static void rt_clear(const uint8_t *p, size_t n)
{
	struct cci_clear_events_in in;
	struct wwr w;
	size_t l1;

	if (cci_dec_clear_events_in(p, n, &in) != 0)
		return;
	wwr_init(&w, enc1, sizeof(enc1));
	if (cci_enc_clear_events_in(&w, &in) != 0)
		abort();
	l1 = w.off;
	if (l1 != n || cci_dec_clear_events_in(enc1, l1, &in) != 0)
		abort();
	wwr_init(&w, enc2, sizeof(enc2));
	cci_enc_clear_events_in(&w, &in);
	same(l1, w.off);
}

static void rt_hdr(const uint8_t *p, size_t n)
{
	struct cci_hdr h, h2;

	if (cci_dec_hdr(p, n, &h) != 0)
		return;
	if (cci_enc_hdr(&h, enc1, 12) != 0 || cci_dec_hdr(enc1, 12, &h2) != 0)
		abort();
	if (h.opcode != h2.opcode || h.payload_len != h2.payload_len || h.tag != h2.tag ||
	    h.rc != h2.rc || h.bo != h2.bo || h.category != h2.category)
		abort();
}

static void outputs(uint8_t sel, const uint8_t *p, size_t n)
{
	static struct cxldcd_event ev[MAXREC];
	static struct cxldcd_extent ext[MAXREC];
	static struct cci_tag_info tags[MAXREC];
	union {
		struct cci_identify id;
		struct cci_identify_memdev md;
		struct cci_dc_config_out dc;
		struct cci_dcd_info info;
		struct cci_host_region_cfg_out hrc;
		struct cci_log_entry le[4];
	} u;
	struct cci_get_events_out eh;
	struct cci_extent_list_out xh;
	struct cci_region_extents_out rh;
	struct cci_list_tags_out th;
	uint16_t cnt;

	switch (sel % 10) {
	case 0: (void)cci_dec_identify_out(p, n, &u.id); break;
	case 1: (void)cci_dec_supported_logs_out(p, n, u.le, 4, &cnt); break;
	case 2: (void)cci_dec_get_events_out(p, n, &eh, ev, MAXREC); break;
	case 3: (void)cci_dec_identify_memdev_out(p, n, &u.md); break;
	case 4: (void)cci_dec_dc_config_out(p, n, &u.dc); break;
	case 5: (void)cci_dec_extent_list_out(p, n, &xh, ext, MAXREC); break;
	case 6: (void)cci_dec_dcd_info_out(p, n, &u.info); break;
	case 7: (void)cci_dec_host_region_cfg_out(p, n, &u.hrc); break;
	case 8: (void)cci_dec_region_extents_out(p, n, &rh, ext, MAXREC); break;
	default: (void)cci_dec_list_tags_out(p, n, &th, tags, MAXREC); break;
	}
}

static void memdev_inputs(uint8_t sel, const uint8_t *p, size_t n);

static void inputs(uint8_t sel, const uint8_t *p, size_t n)
{
	union {
		struct cci_get_log_in gl;
		struct cci_irq_policy pol;
		struct cci_dc_config_in dc;
		struct cci_extent_list_in el;
		struct cci_host_region_cfg_in hr;
		struct cci_set_region_cfg_in sr;
		struct cci_region_extents_in re;
		struct cci_list_tags_in lt;
		uint8_t tag[16];
		uint8_t v;
	} u;

	if (sel >= 0x10 && sel <= 0x1b) {
		memdev_inputs(sel, p, n);
		return;
	}
	switch (sel % 16) {
	case 0: rt_hdr(p, n); break;
	case 1: rt_clear(p, n); break;
	case 2: rt_dc_rsp(p, n); break;
	case 3: rt_add(p, n); break;
	case 4: rt_release(p, n); break;
	case 5: (void)cci_dec_get_log_in(p, n, &u.gl); break;
	case 6: (void)cci_dec_irq_policy(p, n, &u.pol); break;
	case 7: (void)cci_dec_dc_config_in(p, n, &u.dc); break;
	case 8: (void)cci_dec_extent_list_in(p, n, &u.el); break;
	case 9: (void)cci_dec_host_region_cfg_in(p, n, &u.hr); break;
	case 10: (void)cci_dec_set_region_cfg_in(p, n, &u.sr); break;
	case 11: (void)cci_dec_region_extents_in(p, n, &u.re); break;
	case 12: (void)cci_dec_list_tags_in(p, n, &u.lt); break;
	case 13: (void)cci_dec_tag_ref_in(p, n, u.tag); break;
	case 14: (void)cci_dec_rsp_limit(p, n, &u.v); break;
	default: (void)cci_dec_get_events_in(p, n, &u.v); break;
	}
}

/* Decode, encode, decode, encode: the two encodings must match. */
#define RT(dec, enc, type, ...)                                                            \
	do {                                                                               \
		type a, b;                                                                 \
		struct wwr w;                                                              \
		size_t l1;                                                                 \
		if (dec(p, n, __VA_ARGS__ &a) != 0)                                        \
			break;                                                             \
		wwr_init(&w, enc1, sizeof(enc1));                                          \
		if (enc(&w, &a) != 0)                                                      \
			abort();                                                           \
		l1 = w.off;                                                                \
		if (dec(enc1, l1, __VA_ARGS__ &b) != 0)                                    \
			abort();                                                           \
		wwr_init(&w, enc2, sizeof(enc2));                                          \
		enc(&w, &b);                                                               \
		same(l1, w.off);                                                           \
	} while (0)

/* Repair feature data, PPR or memory sparing layout: decode, encode, decode, encode. */
static void rt_repair(bool ppr, bool readable, const uint8_t *p, size_t n)
{
	struct cci_repair_rd ra = { .ppr = ppr }, rb = { .ppr = ppr };
	struct cci_repair_wr wa = { .ppr = ppr }, wb = { .ppr = ppr };
	struct wwr w;
	size_t l1;

	if (readable ? cci_dec_repair_rd(p, n, &ra) : cci_dec_repair_wr(p, n, &wa))
		return;
	wwr_init(&w, enc1, sizeof(enc1));
	if (readable ? cci_enc_repair_rd(&w, &ra) : cci_enc_repair_wr(&w, &wa))
		abort();
	l1 = w.off;
	if (readable ? cci_dec_repair_rd(enc1, l1, &rb) : cci_dec_repair_wr(enc1, l1, &wb))
		abort();
	wwr_init(&w, enc2, sizeof(enc2));
	if (readable)
		cci_enc_repair_rd(&w, &rb);
	else
		cci_enc_repair_wr(&w, &wb);
	same(l1, w.off);
}

/* The value decoders (timestamp, Inject Poison) in the shape RT() takes. */
static int enc_u64(struct wwr *w, const uint64_t *v)
{
	return cci_enc_timestamp(w, *v);
}

static int enc_inject(struct wwr *w, const uint64_t *v)
{
	return cci_enc_inject_poison_in(w, *v);
}

/* 4103h: offset, data (its length the payload's). */
static void rt_set_lsa(const uint8_t *p, size_t n)
{
	struct cci_lsa_range a, b;
	const uint8_t *da, *db;
	struct wwr w;
	size_t l1;

	if (cci_dec_set_lsa_in(p, n, &a, &da) != 0)
		return;
	if (a.length != n - CCI_SET_LSA_HDR || (a.length && da != p + CCI_SET_LSA_HDR))
		abort();
	wwr_init(&w, enc1, sizeof(enc1));
	if (cci_enc_set_lsa_in(&w, a.offset, da, a.length) != 0)
		abort();
	l1 = w.off;
	if (l1 != n || cci_dec_set_lsa_in(enc1, l1, &b, &db) != 0 || b.offset != a.offset ||
	    b.length != a.length)
		abort();
	wwr_init(&w, enc2, sizeof(enc2));
	cci_enc_set_lsa_in(&w, b.offset, db, b.length);
	same(l1, w.off);
}

/* 4402h: header, range list, then the operation's arguments (kept as they are). */
static void rt_media_op(const uint8_t *p, size_t n)
{
	static struct cxldcd_range r[4096];
	struct cci_media_op_in a, b;
	struct wwr w;
	size_t l1;

	if (cci_dec_media_op_in(p, n, &a) != 0)
		return;
	if (a.nr_ranges > 4096 ||
	    CCI_MEDIA_OP_HDR + (size_t)a.nr_ranges * CCI_MEDIA_OP_RANGE_SIZE + a.args_len != n)
		abort();
	for (uint32_t i = 0; i < a.nr_ranges; i++)
		cci_dec_media_op_range(a.ranges, i, &r[i]);
	wwr_init(&w, enc1, sizeof(enc1));
	if (cci_enc_media_op_in(&w, a.op_class, a.subclass, r, a.nr_ranges) != 0)
		abort();
	wwr_bytes(&w, a.args, a.args_len);
	l1 = w.off;
	if (cci_dec_media_op_in(enc1, l1, &b) != 0 || b.nr_ranges != a.nr_ranges ||
	    b.op_class != a.op_class || b.subclass != a.subclass || b.args_len != a.args_len)
		abort();
	for (uint32_t i = 0; i < b.nr_ranges; i++)
		cci_dec_media_op_range(b.ranges, i, &r[i]);
	wwr_init(&w, enc2, sizeof(enc2));
	cci_enc_media_op_in(&w, b.op_class, b.subclass, r, b.nr_ranges);
	wwr_bytes(&w, b.args, b.args_len);
	same(l1, w.off);
}

static void memdev_inputs(uint8_t sel, const uint8_t *p, size_t n)
{
	switch (sel) {
	case 0x10:
		RT(cci_dec_scan_media_in, cci_enc_scan_media_in, struct cci_scan_media_in, );
		break;
	case 0x11:
		RT(cci_dec_get_lsa_in, cci_enc_get_lsa_in, struct cci_lsa_range, );
		break;
	case 0x12:
		rt_set_lsa(p, n);
		break;
	case 0x13:
		RT(cci_dec_set_alert_cfg_in, cci_enc_set_alert_cfg_in, struct cci_set_alert_cfg, );
		break;
	case 0x14:
		RT(cci_dec_poison_list_in, cci_enc_poison_list_in, struct cci_poison_range, );
		break;
	case 0x15:
		RT(cci_dec_inject_poison_in, enc_inject, uint64_t, );
		break;
	case 0x16:
		RT(cci_dec_clear_poison_in, cci_enc_clear_poison_in, struct cci_clear_poison, );
		break;
	case 0x17:
		RT(cci_dec_timestamp, enc_u64, uint64_t, );
		break;
	case 0x18:
		rt_media_op(p, n);
		break;
	case 0x19:
		RT(cci_dec_media_op_discovery_args, cci_enc_media_op_discovery_args,
		   struct cci_media_op_discovery, );
		break;
	case 0x1a:
		RT(cci_dec_logs_sub_list_in, cci_enc_logs_sub_list_in,
		   struct cci_logs_sub_list_in, );
		break;
	default:
		RT(cci_dec_bg_status, cci_enc_bg_status, struct cci_bg_status, );
		break;
	}
}

static void features(uint8_t sel, const uint8_t *p, size_t n)
{
	union {
		struct cci_get_supp_features_in gs;
		struct cci_get_feature_in gf;
		struct cci_set_feature_in sf;
	} u;
	/* ECS FRU counts the length implies (a wrong one fails the first decode) */
	uint8_t frus_rd = (uint8_t)(n ? (n - 1) / 4 : 0xff);
	uint8_t frus_wr = (uint8_t)(n ? (n - 1) / 2 : 0xff);

	switch (sel % 16) {
	case 0: (void)cci_dec_get_supp_features_in(p, n, &u.gs); break;
	case 1: (void)cci_dec_get_feature_in(p, n, &u.gf); break;
	case 2: (void)cci_dec_set_feature_in(p, n, &u.sf); break;
	case 3: RT(cci_dec_feat_entry, cci_enc_feat_entry, struct cci_feat_entry, ); break;
	case 4: RT(cci_dec_scrub_rd, cci_enc_scrub_rd, struct cci_scrub_rd, ); break;
	case 5: RT(cci_dec_scrub_wr, cci_enc_scrub_wr, struct cci_scrub_wr, ); break;
	case 6: RT(cci_dec_ecs_rd, cci_enc_ecs_rd, struct cci_ecs_rd, frus_rd,); break;
	case 7: RT(cci_dec_ecs_wr, cci_enc_ecs_wr, struct cci_ecs_wr, frus_wr,); break;
	case 8: RT(cci_dec_maint_in, cci_enc_maint_in, struct cci_maint_in, ); break;
	default: rt_repair(sel & 1, sel & 2, p, n); break;     /* 9h-Fh */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size < 1)
		return 0;
	/* exact-size heap copy so that ASan catches any overread */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 0x80)
		outputs(data[0] & 0x7f, copy, size - 1);
	else if (data[0] & 0x40)
		features(data[0], copy, size - 1);
	else
		inputs(data[0], copy, size - 1);
	free(copy);
	return 0;
}
