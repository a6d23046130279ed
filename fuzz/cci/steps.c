/* SPDX-License-Identifier: MIT */
/*
 * steps.c - the fuzz device and the CCI step stream (steps.h).
 *
 * A step is
 *   byte 0      bits 1:0 CCI (0 host 0 mailbox, 1 host 1 mailbox, 2 FM, 3 the
 *               Type 3 MCTP CCI);
 *               bit 2 raw (the step's payload is the whole message, header
 *               included); bit 3 advance the clock and run core_tick();
 *               bit 4 list (the payload is an extent-list description that
 *               fz_list_payload() expands into the payload of the opcode;
 *               raw is then ignored)
 *   bytes 1-2   opcode (little endian; ignored when raw)
 *   bytes 3-4   payload length n (little endian; clamped to what is left)
 *   n bytes     payload
 * The device is small (256 MiB regions, 8-record logs) so that limits,
 * overflows and splits are reached quickly; the many-tags device has room
 * for thousands of tags and extents (so each host's tag index grows several
 * levels deep), which list steps fill a mailbox's worth at a time.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cci/cci.h"
#include "core/core.h"
#include "steps.h"

#define RSP_CAP (12 + 4096)

void fz_dev_cfg(struct cxldcd_dev_cfg *cfg, unsigned kind)
{
	bool many_tags = kind & FZ_DEV_MANY_TAGS;

	core_cfg_default(cfg);
	cfg->static_capacity = 1ull << 28;
	for (unsigned i = 0; i < cfg->nr_regions; i++) {
		cfg->regions[i].len = 1ull << 28;
		cfg->regions[i].decode_len = 1ull << 28;
		if (many_tags) {
			/* 4096 blocks a region: room for a tag each */
			cfg->regions[i].block_size = 64 * 1024;
			cfg->regions[i].supported_block_mask |= 64 * 1024;
		}
	}
	cfg->regions[1].sharable = true;
	cfg->max_extents = many_tags ? 4096 : 64;
	cfg->max_tags = many_tags ? 2048 : 8;
	/* a record per extent added: a log never holds up the adds of the many-tags device */
	cfg->evlog_depth = many_tags ? 4096 : 8;
	cfg->mbox_payload_size = 2048;
	cfg->pending_timeout_ms = 1000;
	if (kind & FZ_DEV_STATIC_HOST) {
		cfg->static_host_only = true;
		cfg->static_host = 1;
		cfg->lsa_size = 1024;
	}
	if (kind & FZ_DEV_STATIC_ONLY) {
		cfg->nr_regions = 0;
		cfg->lsa_size = 1024;
	}
}

struct cxldcd_dev *fz_dev_new(unsigned kind)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev = NULL;

	fz_dev_cfg(&cfg, kind);
	if (core_dev_new(&cfg, &dev, NULL) != 0)
		abort();
	return dev;
}

void fz_check(const struct cxldcd_dev *dev)
{
	char msg[256];

	if (core_check_invariants(dev, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "invariant broken: %s\n", msg);
		abort();
	}
}

void fz_cci_frame(uint8_t *req, uint8_t tag, uint16_t op, const uint8_t *pl, size_t n)
{
	memset(req, 0, 12);
	req[1] = tag;
	req[3] = (uint8_t)op;
	req[4] = (uint8_t)(op >> 8);
	req[5] = (uint8_t)n;
	req[6] = (uint8_t)(n >> 8);
	req[7] = (uint8_t)(n >> 16);
	memcpy(req + 12, pl, n);
}

/* ------------------------------------------------------------ extent lists */

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void fz_tag(uint8_t tag[16], uint16_t v)
{
	static const uint8_t rest[14] = { 0x7a, 0x4e, 0x41, 0x0b, 0x9c, 0x3d, 0x45, 0x8f,
					  0xa1, 0x66, 0x2c, 0xd0, 0x17, 0xe5 };

	tag[0] = (uint8_t)v;
	tag[1] = (uint8_t)(v >> 8);
	memcpy(tag + 2, rest, sizeof(rest));
}

size_t fz_list_payload(const struct cxldcd_dev_cfg *cfg, uint16_t op, const uint8_t *desc,
		       size_t desc_len, uint8_t *out, size_t cap)
{
	/* a device without regions: its static capacity, which DC requests may not name */
	static const struct core_region_cfg none = { .base = 0, .block_size = 2u << 20 };
	uint8_t d[FZ_LIST_DESC_SIZE] = { 0 };
	bool rsp = (op >> 8) == 0x48;       /* 4802h/4803h: Updated Extents; else the 56xxh layout */
	size_t hdr = rsp ? 8 : 0x20, esz = rsp ? 0x18 : 0x28;
	const struct core_region_cfg *r;
	uint64_t bs, first, blocks, stride;
	uint32_t n, per_tag;
	uint16_t tag0;

	memcpy(d, desc, desc_len < sizeof(d) ? desc_len : sizeof(d));
	r = cfg->nr_regions ? &cfg->regions[d[2] % cfg->nr_regions] : &none;
	bs = r->block_size;
	n = d[3];
	if (cap < hdr)
		return 0;
	if (n > (cap - hdr) / esz)
		n = (uint32_t)((cap - hdr) / esz);
	first = (uint64_t)(d[4] | d[5] << 8);
	blocks = d[6] ? d[6] : 1;
	stride = blocks + d[7];
	per_tag = d[8] ? d[8] : 1;
	tag0 = (uint16_t)(d[9] | d[10] << 8);
	memset(out, 0, hdr + n * esz);
	if (rsp) {
		put_le(out, n, 4);              /* Updated Extent List Size */
		out[4] = d[0] & 1;              /* More */
	} else {
		out[0] = d[0];                  /* Host ID (low byte) */
		out[2] = d[1];                  /* selection policy / release flags */
		out[3] = d[2];                  /* region number */
		put_le(out + 4, (n ? n : 1) * blocks * bs, 8);  /* Length */
		fz_tag(out + 0x0c, tag0);
		put_le(out + 0x1c, n, 4);       /* Extent Count */
	}
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *e = out + hdr + i * esz;

		put_le(e, r->base + (first + i * stride) * bs, 8);
		put_le(e + 8, blocks * bs, 8);
		if (!rsp) {
			fz_tag(e + 0x10, (uint16_t)(tag0 + i / per_tag));
			put_le(e + 0x20, i % per_tag, 2);   /* Shared Extent Sequence */
		}
	}
	return hdr + n * esz;
}

/* ------------------------------------------------------------ steps */

/*
 * One message through ctx.  The message is an exact-size heap copy, so that
 * ASan stops a decoder or command reading past the bytes it was given.
 */
static void step(struct cci_ctx *ctx, const struct cxldcd_dev *dev, uint8_t flags, uint16_t op,
		 const uint8_t *pl, size_t n, uint8_t tag)
{
	static uint8_t rsp[RSP_CAP], list[RSP_CAP];
	static int verbose = -1;        /* CXLDCD_FUZZ_VERBOSE: a line per step */
	size_t rsp_len = 0, len;
	uint8_t *req;
	int rc;

	if (flags & 0x10) {
		n = fz_list_payload(core_dev_cfg(dev), op, pl, n, list,
				    core_dev_cfg(dev)->mbox_payload_size);
		pl = list;
		flags &= (uint8_t)~0x04;
	}
	len = flags & 0x04 ? n : 12 + n;
	req = malloc(len ? len : 1);
	if (!req)
		abort();
	if (flags & 0x04)
		memcpy(req, pl, n);
	else
		fz_cci_frame(req, tag, op, pl, n);
	rc = cci_handle_msg(ctx, req, len, rsp, sizeof(rsp), &rsp_len);
	free(req);
	if (rc == 0 && (rsp_len < 12 || rsp_len > sizeof(rsp)))
		abort();
	if (verbose < 0)
		verbose = getenv("CXLDCD_FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "op=0x%04x len=%zu rc=%u tags=%u+%u\n", op, n,
			rc == 0 ? (unsigned)(rsp[8] | rsp[9] << 8) : 0xffffu,
			core_tag_count_host(dev, 0), core_tag_count_host(dev, 1));
}

void fz_run_steps(struct cxldcd_dev *dev, const uint8_t *data, size_t size, uint64_t *now)
{
	struct cci_ctx *ctx[4];
	size_t off = 0;
	uint8_t tag = 0;

	if (cci_ctx_new(dev, CCI_MAILBOX, 0, &ctx[0]) || cci_ctx_new(dev, CCI_MAILBOX, 1, &ctx[1]) ||
	    cci_ctx_new(dev, CCI_FM, 0, &ctx[2]) || cci_ctx_new(dev, CCI_MCTP, 0, &ctx[3]))
		abort();
	core_dev_set_time(dev, *now);
	while (size - off >= 5) {
		uint8_t flags = data[off];
		uint16_t op = (uint16_t)(data[off + 1] | (data[off + 2] << 8));
		size_t n = (size_t)(data[off + 3] | (data[off + 4] << 8));
		unsigned which = flags & 3u;

		off += 5;
		if (n > size - off)
			n = size - off;
		if (flags & 0x08) {
			*now += 600ull * 1000 * 1000;
			core_dev_set_time(dev, *now);
			core_tick(dev, *now);
			fz_check(dev);
		}
		step(ctx[which], dev, flags, op, data + off, n, tag++);
		off += n;
		fz_check(dev);
	}
	for (int i = 0; i < 4; i++)
		cci_ctx_free(ctx[i]);
	fz_check(dev);
}
