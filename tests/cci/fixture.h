/* SPDX-License-Identifier: MIT */
/*
 * fixture.h - a live device (1 GiB static, two 4 GiB regions, 2 hosts,
 * 256-record logs) with the mailbox CCIs of hosts 0 and 1 and the FM CCI,
 * and msg(): one request built at explicit offsets (Table 7-14) through
 * cci_handle_msg(), response header checked, model invariants checked.
 * Included by one test file each (static functions).
 */
#ifndef CXLDCD_TESTS_CCI_FIXTURE_H
#define CXLDCD_TESTS_CCI_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cci/cci.h"
#include "core/core.h"
#include "golden.h"

#define GIB (1ull << 30)
#define MIB (1ull << 20)
#define R0 0x40000000ull          /* region 0 base: after 1 GiB static capacity */
#define R1 (R0 + 4 * GIB)
#define NOW 1000u
#define BUF 4096

__attribute__((unused)) static const uint8_t TAG_T[16] = { 0x70, 0x61, 0x67, 0x2d, 0x54, 0x00, 0x11, 0x22,
				   0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa };
__attribute__((unused)) static const uint8_t DC_UUID[16] = { 0xca, 0x95, 0xaf, 0xa7, 0xf1, 0x83, 0x40, 0x18,
				     0x8c, 0x2f, 0x95, 0x26, 0x8e, 0x10, 0x1a, 0x2a };
__attribute__((unused)) static const uint8_t CEL_UUID[16] = { 0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
				      0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17 };

struct fx {
	struct cxldcd_dev *dev;
	struct cci_ctx *mb[2];
	struct cci_ctx *fm;
	uint8_t tag;
	uint8_t out[BUF];
	size_t out_len;
	bool bo;                /* the last response's Background Operation bit */
};

#define FX_SERIAL 0x0123456789abcdefull

/* The fixture's configuration: the defaults with 1 GiB static capacity and serial FX_SERIAL. */
static void fx_cfg(struct cxldcd_dev_cfg *cfg)
{
	core_cfg_default(cfg);
	cfg->static_capacity = 1 * GIB;
	cfg->serial = FX_SERIAL;
}

/* The fixture on a device made from @cfg (a setup for a variant of fx_cfg()). */
static int setup_cfg(void **state, const struct cxldcd_dev_cfg *cfg)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_int_equal(core_dev_new(cfg, &f->dev, NULL), 0);
	core_dev_set_time(f->dev, NOW);
	assert_int_equal(cci_ctx_new(f->dev, CCI_MAILBOX, 0, &f->mb[0]), 0);
	assert_int_equal(cci_ctx_new(f->dev, CCI_MAILBOX, 1, &f->mb[1]), 0);
	assert_int_equal(cci_ctx_new(f->dev, CCI_FM, 0, &f->fm), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	struct cxldcd_dev_cfg cfg;

	fx_cfg(&cfg);
	return setup_cfg(state, &cfg);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cci_ctx_free(f->mb[0]);
	cci_ctx_free(f->mb[1]);
	cci_ctx_free(f->fm);
	core_dev_free(f->dev);
	free(f);
	return 0;
}

/* Accept [dpa, dpa+len) on host through the model (a prescriptive add, answered). */
__attribute__((unused)) static void give(struct fx *f, uint16_t host, uint64_t dpa, uint64_t len)
{
	struct cxldcd_extent e = { .dpa = dpa, .len = len };
	struct core_add_req req = { .host = host, .policy = CXLDCD_ADD_PRESCRIPTIVE,
				    .nr_extents = 1, .extents = &e };
	struct cxldcd_range r = { dpa, len };

	assert_int_equal(core_add(f->dev, &req, NULL, NULL), 0);
	assert_int_equal(core_add_response(f->dev, host, &r, 1, false, NULL), 0);
}

static void invariants(struct fx *f)
{
	char msg[256];

	if (core_check_invariants(f->dev, msg, sizeof(msg)) != 0)
		fail_msg("invariant: %s", msg);
}

/*
 * Send one request message built at explicit offsets (Table 7-14); check the
 * response header; return its Return Code, payload in f->out / f->out_len.
 */
static uint16_t msg(struct fx *f, struct cci_ctx *ctx, uint16_t op, const uint8_t *pl, size_t n)
{
	uint8_t *req = calloc(1, 12 + n), rsp[12 + BUF];
	size_t rsp_len = 0;
	uint8_t tag = ++f->tag;
	uint32_t len;

	g8(req, 0, 0x00);
	g8(req, 1, tag);
	g16(req, 3, op);
	g16(req, 5, (uint16_t)(n & 0xffff));
	g8(req, 7, (uint8_t)(n >> 16));
	if (n)
		memcpy(req + 12, pl, n);
	assert_int_equal(cci_handle_msg(ctx, req, 12 + n, rsp, sizeof(rsp), &rsp_len), 0);
	free(req);
	assert_true(rsp_len >= 12);
	assert_int_equal(rsp[0], 0x01);
	assert_int_equal(rsp[1], tag);
	assert_int_equal(r16(rsp, 3), op);
	len = r16(rsp, 5) | ((uint32_t)(rsp[7] & 0x1f) << 16);
	assert_int_equal(rsp[7] & 0x60, 0);     /* bits 6:5 reserved */
	f->bo = (rsp[7] & 0x80) != 0;
	assert_int_equal(len, rsp_len - 12);
	assert_int_equal(r16(rsp, 0xa), 0);
	if (r16(rsp, 8) != 0)
		assert_int_equal(len, 0);
	memcpy(f->out, rsp + 12, len);
	f->out_len = len;
	invariants(f);
	return r16(rsp, 8);
}

#define expect_rsp(f, want, n)                                                              \
	do {                                                                                \
		assert_int_equal((f)->out_len, (n));                                        \
		assert_bytes_equal((f)->out, (want), (n));                                  \
	} while (0)

#endif /* CXLDCD_TESTS_CCI_FIXTURE_H */
