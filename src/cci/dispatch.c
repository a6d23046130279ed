/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - CCI contexts and the dispatcher: message framing, table
 * lookup, size and CCI checks, More-chain bookkeeping, response clamping.
 *
 * Order of checks for one command (each failing check answers at once):
 *   1. a different opcode while a More chain is open discards the host's
 *      staging (CXL r3.2 §8.2.10.9.9.3/4: chained payloads are contiguous);
 *   2. unknown opcode: Unsupported;
 *   3. opcode not served on this CCI: Unsupported Mailbox or CCI (CXL r3.2
 *      Table 8-46, "not supported on the mailbox or CCI it was issued on");
 *   4. payload longer than the mailbox payload size or outside the table's
 *      [in_min, in_max]: Invalid Payload Length;
 *   5. the handler (exact size rule, fields, model).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cci/cmd.h"
#include "cci/fault.h"
#include "cci/generic.h"
#include "cci/msg.h"

#define DEFAULT_MBOX_SIZE 2048u

static uint8_t log2_floor(uint64_t v)
{
	uint8_t n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

int cci_ctx_new(struct cxldcd_dev *dev, enum cci_kind kind, uint16_t host, struct cci_ctx **out)
{
	const struct cxldcd_dev_cfg *cfg;
	struct cci_ctx *ctx;
	uint32_t mbox;

	if (!dev || !out || (kind != CCI_MAILBOX && kind != CCI_FM && kind != CCI_MCTP))
		return -EINVAL;
	cfg = core_dev_cfg(dev);
	if (kind == CCI_MAILBOX && host >= cfg->nr_hosts)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	mbox = cfg->mbox_payload_size ? cfg->mbox_payload_size : DEFAULT_MBOX_SIZE;
	ctx->dev = dev;
	ctx->kind = kind;
	ctx->owner = kind == CCI_MAILBOX ? host : CORE_OWNER_FM;
	ctx->mbox_log2 = log2_floor(mbox);
	if (ctx->mbox_log2 > CCI_RSP_LIMIT_MAX)
		ctx->mbox_log2 = CCI_RSP_LIMIT_MAX;
	ctx->rsp_limit_log2 = ctx->mbox_log2;
	*out = ctx;
	return 0;
}

void cci_ctx_free(struct cci_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->chain_op)
		core_staging_discard(ctx->dev, ctx->owner);
	cci_fault_fini(ctx);
	free(ctx);
}

size_t cci_ctx_max_payload(const struct cci_ctx *ctx)
{
	uint8_t n = ctx->rsp_limit_log2 < ctx->mbox_log2 ? ctx->rsp_limit_log2 : ctx->mbox_log2;

	return (size_t)1 << n;
}

const struct cxldcd_diag *cci_ctx_diag(const struct cci_ctx *ctx)
{
	return &ctx->diag;
}

bool cci_ctx_chain_open(const struct cci_ctx *ctx)
{
	return ctx && ctx->chain_op != 0;
}

static size_t max_input(const struct cci_ctx *ctx)
{
	return (size_t)1 << ctx->mbox_log2;
}

/* A command other than the open chain's opcode ends the chain. */
static void chain_check(struct cci_ctx *ctx, uint16_t opcode)
{
	if (ctx->chain_op && ctx->chain_op != opcode) {
		core_staging_discard(ctx->dev, ctx->owner);
		ctx->chain_op = 0;
	}
}

static bool overlap(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;

	return alen && blen && pa < pb + blen && pb < pa + alen;
}

static enum cxldcd_rc check_size(const struct cci_ctx *ctx, const struct cci_cmd *cmd, size_t in_len)
{
	if (in_len > max_input(ctx) || in_len < cmd->in_min)
		return CXLDCD_RC_INVALID_PAYLOAD_LENGTH;
	if (cmd->in_max != CCI_VAR && in_len > cmd->in_max)
		return CXLDCD_RC_INVALID_PAYLOAD_LENGTH;
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc cci_execute(struct cci_ctx *ctx, uint16_t opcode, const uint8_t *in, size_t in_len,
			   uint8_t *out, size_t out_cap, size_t *out_len)
{
	const struct cci_cmd *cmd;
	struct cci_call call;
	enum cxldcd_rc rc;
	struct wwr w;
	size_t cap;

	*out_len = 0;
	ctx->diag = (struct cxldcd_diag){ .index = -1 };
	if ((!in && in_len) || (!out && out_cap) || overlap(in, in_len, out, out_cap))
		return CXLDCD_RC_INTERNAL_ERROR;
	chain_check(ctx, opcode);
	cmd = cci_cmd_find(opcode);
	if (!cmd || !cci_cmd_present(cmd, ctx->dev))
		return CXLDCD_RC_UNSUPPORTED;
	if (!cci_cmd_served(cmd, ctx->kind))
		return CXLDCD_RC_UNSUPPORTED_MAILBOX;
	rc = check_size(ctx, cmd, in_len);
	if (rc != CXLDCD_RC_SUCCESS)
		return rc;
	cap = cci_ctx_max_payload(ctx);
	wwr_init(&w, out, out_cap < cap ? out_cap : cap);
	call = (struct cci_call){ .ctx = ctx, .dev = ctx->dev, .owner = ctx->owner,
				  .opcode = opcode, .in = in, .in_len = in_len, .out = &w };
	rc = cmd->handler(&call);
	if (rc != CXLDCD_RC_SUCCESS)
		return rc;
	if (w.bad)
		return CXLDCD_RC_INTERNAL_ERROR;
	if (ctx->faults)    /* the host is lied to after the model answered (fault.h) */
		cci_fault_apply(ctx, opcode, in, in_len, out, w.off);
	*out_len = w.off;
	return CXLDCD_RC_SUCCESS;
}

/*
 * The response's Background Operation bit (Table 7-14 byte 7 bit 7) is "as
 * defined" for the Mailbox Status register (r3.2 §8.2.9.4.6, r3.1 §8.2.8.4.6):
 * set while the device executes a command in the background on this CCI, so
 * also in the response that started one (rc 01h).  The FM CCI runs none of
 * its own.
 */
static bool bg_running(const struct cci_ctx *ctx)
{
	return ctx->kind != CCI_FM && core_bg_busy(ctx->dev, ctx->owner);
}

int cci_handle_msg(struct cci_ctx *ctx, const uint8_t *req, size_t len, uint8_t *rsp, size_t rsp_cap,
		   size_t *rsp_len)
{
	struct cci_hdr h = { 0 };
	size_t plen = 0;
	enum cxldcd_rc rc;

	if (!ctx || !req || !rsp || !rsp_len)
		return -EINVAL;
	*rsp_len = 0;
	ctx->diag = (struct cxldcd_diag){ .index = -1 };
	if (rsp_cap < CXLDCD_CCI_HDR_SIZE)
		return -ENOBUFS;
	if (len == 0 || (req[0] & CCI_CAT_MASK) != CCI_CAT_REQUEST)
		return -EPROTO;
	if (overlap(req, len, rsp, rsp_cap))
		return -EINVAL;
	if (cci_dec_hdr(req, len, &h) != 0) {
		/* Truncated header: echo what arrived, answer Invalid Payload Length. */
		h.tag = len > 1 ? req[1] : 0;
		h.opcode = len >= 5 ? get_le16(req + 3) : 0;
		chain_check(ctx, h.opcode);
		rc = CXLDCD_RC_INVALID_PAYLOAD_LENGTH;
	} else if (h.payload_len != len - CXLDCD_CCI_HDR_SIZE) {
		chain_check(ctx, h.opcode);
		rc = CXLDCD_RC_INVALID_PAYLOAD_LENGTH;
	} else {
		rc = cci_execute(ctx, h.opcode, req + CXLDCD_CCI_HDR_SIZE, len - CXLDCD_CCI_HDR_SIZE,
				 rsp + CXLDCD_CCI_HDR_SIZE, rsp_cap - CXLDCD_CCI_HDR_SIZE, &plen);
	}
	h.category = CCI_CAT_RESPONSE;
	h.payload_len = (uint32_t)plen;
	h.bo = bg_running(ctx);
	h.rc = (uint16_t)rc;
	h.vendor_status = 0;
	if (cci_enc_hdr(&h, rsp, rsp_cap) != 0)
		return -ENOBUFS;
	*rsp_len = CXLDCD_CCI_HDR_SIZE + plen;
	return 0;
}
