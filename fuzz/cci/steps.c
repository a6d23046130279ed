/* SPDX-License-Identifier: MIT */
/*
 * steps.c - the fuzz device and the CCI step stream (steps.h).
 *
 * A step is
 *   byte 0      bits 1:0 CCI (0 host 0 mailbox, 1 host 1 mailbox, 2 FM, 3 the
 *               Type 3 MCTP CCI);
 *               bit 2 raw (the step's payload is the whole message, header
 *               included); bit 3 advance the clock and run core_tick()
 *   bytes 1-2   opcode (little endian; ignored when raw)
 *   bytes 3-4   payload length n (little endian; clamped to what is left)
 *   n bytes     payload
 * The device is small (256 MiB regions, 8-record logs) so that limits,
 * overflows and splits are reached quickly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cci/cci.h"
#include "core/core.h"
#include "steps.h"

#define RSP_CAP (12 + 4096)

void fz_dev_cfg(struct cxldcd_dev_cfg *cfg)
{
	core_cfg_default(cfg);
	cfg->static_capacity = 1ull << 28;
	for (unsigned i = 0; i < cfg->nr_regions; i++) {
		cfg->regions[i].len = 1ull << 28;
		cfg->regions[i].decode_len = 1ull << 28;
	}
	cfg->regions[1].sharable = true;
	cfg->max_extents = 64;
	cfg->max_tags = 8;
	cfg->evlog_depth = 8;
	cfg->mbox_payload_size = 2048;
	cfg->pending_timeout_ms = 1000;
}

struct cxldcd_dev *fz_dev_new(void)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev = NULL;

	fz_dev_cfg(&cfg);
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

static void step(struct cci_ctx *ctx, uint8_t flags, uint16_t op, const uint8_t *pl, size_t n,
		 uint8_t tag)
{
	static uint8_t req[12 + 65536], rsp[RSP_CAP];
	size_t rsp_len = 0;
	int rc;

	if (flags & 0x04) {
		rc = cci_handle_msg(ctx, pl, n, rsp, sizeof(rsp), &rsp_len);
	} else {
		fz_cci_frame(req, tag, op, pl, n);
		rc = cci_handle_msg(ctx, req, 12 + n, rsp, sizeof(rsp), &rsp_len);
	}
	if (rc == 0 && (rsp_len < 12 || rsp_len > sizeof(rsp)))
		abort();
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
		step(ctx[which], flags, op, data + off, n, tag++);
		off += n;
		fz_check(dev);
	}
	for (int i = 0; i < 4; i++)
		cci_ctx_free(ctx[i]);
	fz_check(dev);
}
