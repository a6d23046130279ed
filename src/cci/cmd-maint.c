/* SPDX-License-Identifier: MIT */
/*
 * cmd-maint.c - Perform Maintenance (0600h, CXL r3.2 §8.2.10.7.1) on host
 * mailboxes: the repairs the sPPR, hPPR and memory sparing features
 * describe (cmd-features.c), run by the model (core/maint.c).
 *
 *   class 00h (no operation)         Success, nothing done
 *   class 01h PPR: 00h soft, 01h hard        on a DPA the host can access
 *   class 02h memory sparing: 00h cacheline, 01h row, 02h bank, 03h rank
 *   class 03h (device built-in test), other classes, other subclasses
 *                                    Invalid Input (§8.2.10.7.1: "If the
 *                                    operation is not supported, ... Invalid
 *                                    Input")
 *
 * A PPR completes before the response (Success).  Memory sparing (a Query
 * Resources too) runs in the background (core/maint.c), as §8.2.10.7.1.4
 * says all memory sparing operations shall: Background Command Started,
 * 0002h reports opcode 0600h and its progress, 0005h aborts it, and the
 * Memory Sparing Event Record built here is logged to the caller's
 * Informational Event Log when it completes.  COMPAT: Linux's EDAC driver
 * sends 0600h without a poll count, so it sees a sparing that has not
 * completed by the time it reads the Background Command Status as a timeout
 * (QEMU answers Success at once); a device made with maint-at-once
 * (cfg.maint_at_once) completes it before the response, record logged.
 */
#include <string.h>

#include "cci/cmd.h"
#include "cci/maint.h"

/*
 * The Memory Sparing Event Record (CXL r3.2 §8.2.10.2.1.4, Table 8-60) of a
 * sparing request, its result (§8.2.10.7.1.4: "The device shall
 * communicate the operation's results by producing a Memory Sparing Event
 * Record"): severity Informational; the operation's class and subclass in
 * the common header too (Maintenance Operation Subclass Valid, flags bit 6:
 * Linux reads them there) and at 0x30; the request's Query Resources and
 * Hard Sparing flags; Result success; three or more spares left (the model
 * has no limit); Channel, Rank, Nibble Mask, Bank Group, Bank, Row, Column
 * and Sub-channel "a copy of the values specified in the request" (as
 * §8.2.10.7.1.4 says of a query), valid but for the nibble mask and the
 * sub-channel, valid when the request flags them so.
 */
static void sparing_event(const struct cci_maint_in *in, struct cxldcd_event *ev)
{
	static const uint8_t uuid[16] = CCI_SPARING_EVENT_UUID;
	struct cci_sparing_event e = {
		.op_class = in->op_class, .op_subclass = in->op_subclass,
		.flags = (uint8_t)(in->flags & (CCI_MSER_QUERY | CCI_MSER_HARD)),
		.result = CCI_MSER_RESULT_SUCCESS,
		.validity = CCI_MSER_VALID_CHANNEL | CCI_MSER_VALID_RANK |
			    CCI_MSER_VALID_BANK_GROUP | CCI_MSER_VALID_BANK | CCI_MSER_VALID_ROW |
			    CCI_MSER_VALID_COLUMN,
		.res_avail = CCI_MSER_RES_THREE_OR_MORE, .channel = in->channel, .rank = in->rank,
		.nibble_mask = in->nibble_mask, .bank_group = in->bank_group, .bank = in->bank,
		.row = in->row, .column = in->column, .sub_channel = in->sub_channel,
	};
	struct wwr w;

	if (in->flags & CCI_SPARE_NIBBLE_VALID)
		e.validity |= CCI_MSER_VALID_NIBBLE;
	if (in->flags & CCI_SPARE_SUB_CHANNEL_VALID)
		e.validity |= CCI_MSER_VALID_SUB_CHANNEL;
	memset(ev, 0, sizeof(*ev));
	memcpy(ev->uuid, uuid, sizeof(uuid));
	ev->length = CXLDCD_EVENT_RECORD_SIZE;
	ev->flags = CXLDCD_EVF_SEV_INFO | CXLDCD_EVF_MAINT_SUBCLASS_VALID;
	ev->maint_class = in->op_class;
	ev->maint_subclass = in->op_subclass;
	wwr_init(&w, ev->data, sizeof(ev->data));
	cci_enc_sparing_event(&w, &e);
}

/*
 * Query Resources repairs nothing.  Reserved flag bits, Hard Sparing (both
 * kinds are supported), the nibble mask and the sparing coordinates are
 * accepted as sent (no geometry to check them against).
 */
enum cxldcd_rc cci_cmd_perform_maintenance(struct cci_call *c)
{
	struct cci_maint_in in;
	struct cxldcd_event ev;
	struct core_maint_op op = { 0 };
	int err = cci_dec_maint_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	switch (in.op_class) {
	case CCI_MAINT_CLASS_NONE:
		return CXLDCD_RC_SUCCESS;
	case CCI_MAINT_CLASS_PPR:
		if (in.op_subclass >= CCI_MAINT_PPR_SUBCLASSES)
			return CXLDCD_RC_INVALID_INPUT;
		op.what = (enum core_repair)(CORE_REPAIR_SPPR + in.op_subclass);
		op.dpa = in.dpa;
		break;
	case CCI_MAINT_CLASS_SPARING:
		if (in.op_subclass >= CCI_MAINT_SPARING_SUBCLASSES)
			return CXLDCD_RC_INVALID_INPUT;
		op.what = (enum core_repair)(CORE_REPAIR_CACHELINE + in.op_subclass);
		op.hard = (in.flags & CCI_SPARE_HARD) != 0;
		sparing_event(&in, &ev);
		op.done = &ev;
		break;
	default:            /* 03h built-in test included: not supported */
		return CXLDCD_RC_INVALID_INPUT;
	}
	op.query = (in.flags & CCI_MAINT_QUERY) != 0;
	return core_maint_perform(c->dev, c->owner, &op, &c->ctx->diag);
}
