/* SPDX-License-Identifier: MIT */
/*
 * cmd-generic.c - handlers of the generic component commands: Identify
 * (0001h), Get/Set Response Message Limit (0003h/0004h), Get Supported Logs
 * (0400h) and Get Log (0401h) serving the Command Effects Log of this CCI.
 */
#include <string.h>

#include "cci/cmd.h"
#include "cci/generic.h"

/* COMPAT: cxldcd is not a PCI function; these IDs are placeholders that no
 * host driver matches on (Linux binds by class code, not by ID). */
#define CXLDCD_PCI_VENDOR 0x1e98u
#define CXLDCD_PCI_DEVICE 0x0d93u

enum cxldcd_rc cci_cmd_identify(struct cci_call *c)
{
	struct cci_identify id = {
		.vendor_id = CXLDCD_PCI_VENDOR,
		.device_id = CXLDCD_PCI_DEVICE,
		.subsys_vendor_id = CXLDCD_PCI_VENDOR,
		.subsys_id = CXLDCD_PCI_DEVICE,
		.serial = core_dev_cfg(c->ctx->dev)->serial,
		.max_msg_size_log2 = c->ctx->mbox_log2,
		.component_type = CCI_COMPONENT_TYPE3,
	};

	cci_enc_identify_out(c->out, &id);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc cci_cmd_get_rsp_limit(struct cci_call *c)
{
	cci_enc_rsp_limit(c->out, c->ctx->rsp_limit_log2);
	return CXLDCD_RC_SUCCESS;
}

/*
 * Set Response Message Limit: 8..20 accepted (else Invalid Input); a value
 * above what the CCI can send is lowered to the Maximum Supported Message
 * Size, and the output reports the limit now in effect.  COMPAT: the r3.1
 * text gives 8..10 (1 KiB) for this field and Identify's; cxldcd's CCIs take
 * up to the mailbox payload size (docs/conformance.md, "message sizes above
 * 1 KiB").
 */
enum cxldcd_rc cci_cmd_set_rsp_limit(struct cci_call *c)
{
	uint8_t limit;
	int err = cci_dec_rsp_limit(c->in, c->in_len, &limit);

	if (err)
		return cci_dec_rc(err);
	c->ctx->rsp_limit_log2 = limit < c->ctx->mbox_log2 ? limit : c->ctx->mbox_log2;
	cci_enc_rsp_limit(c->out, c->ctx->rsp_limit_log2);
	return CXLDCD_RC_SUCCESS;
}

/* Size of this CCI's CEL: one 4-byte entry per command it serves. */
static uint32_t cel_size(const struct cci_ctx *ctx)
{
	size_t n;
	const struct cci_cmd *t = cci_cmd_table(&n);
	uint32_t size = 0;

	for (size_t i = 0; i < n; i++)
		if (cci_cmd_served(&t[i], ctx->kind) && cci_cmd_present(&t[i], ctx->dev))
			size += CCI_CEL_ENTRY_SIZE;
	return size;
}

enum cxldcd_rc cci_cmd_get_supported_logs(struct cci_call *c)
{
	struct cci_log_entry cel = { .size = cel_size(c->ctx) };

	memcpy(cel.uuid, cci_cel_uuid, sizeof(cel.uuid));
	cci_enc_supported_logs_out(c->out, &cel, 1);
	return CXLDCD_RC_SUCCESS;
}

/*
 * Get Supported Logs Sub-List: the same one-entry list as 0400h, from Start
 * Log Entry Index, at most the Maximum asked.  A start past the list, or a
 * maximum of 0 (the spec's minimum is 1 and it lists no Invalid Input for
 * this command), returns no entries.
 */
enum cxldcd_rc cci_cmd_get_logs_sub_list(struct cci_call *c)
{
	struct cci_log_entry cel = { .size = cel_size(c->ctx) };
	struct cci_logs_sub_list_in in;
	uint32_t n;
	int err = cci_dec_logs_sub_list_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	memcpy(cel.uuid, cci_cel_uuid, sizeof(cel.uuid));
	n = in.start_index < 1 ? min_u32(in.max_entries, 1) : 0;
	n = min_u32(n, cci_fit(c->out, CCI_LOGS_SUB_LIST_HDR, CCI_LOG_ENTRY_SIZE));
	cci_enc_logs_sub_list_out(c->out, &cel, (uint8_t)n, 1, in.start_index);
	return CXLDCD_RC_SUCCESS;
}

/*
 * Get Log: only the CEL exists (other UUIDs: Invalid Log).  Offset/Length
 * beyond the log, or more than one response can carry: Invalid Input
 * (CXL r3.2 §8.2.10.5.2).
 */
enum cxldcd_rc cci_cmd_get_log(struct cci_call *c)
{
	struct cci_get_log_in in;
	uint8_t cel[256 * CCI_CEL_ENTRY_SIZE];
	struct wwr w;
	size_t n;
	const struct cci_cmd *t = cci_cmd_table(&n);
	int err = cci_dec_get_log_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	if (memcmp(in.uuid, cci_cel_uuid, sizeof(in.uuid)) != 0)
		return CXLDCD_RC_INVALID_LOG;
	wwr_init(&w, cel, sizeof(cel));
	for (size_t i = 0; i < n; i++) {
		struct cci_cel_entry e = { t[i].opcode, cci_cmd_effects(&t[i], c->dev) };

		if (cci_cmd_served(&t[i], c->ctx->kind) && cci_cmd_present(&t[i], c->dev))
			cci_enc_cel_entry(&w, &e);
	}
	if (w.bad)
		return CXLDCD_RC_INTERNAL_ERROR;
	if (in.offset > w.off || in.length > w.off - in.offset || in.length > wwr_left(c->out))
		return CXLDCD_RC_INVALID_INPUT;
	wwr_bytes(c->out, cel + in.offset, in.length);
	return CXLDCD_RC_SUCCESS;
}
