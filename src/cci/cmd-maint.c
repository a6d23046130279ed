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
 * A repair completes before the response (Success), so the host's mailbox
 * never sees Background Command Started for it.  COMPAT: QEMU answers the
 * same way; Linux sends 0600h without polling for a background completion.
 */
#include "cci/cmd.h"
#include "cci/maint.h"

/*
 * Query Resources repairs nothing; COMPAT: no Memory Sparing Event Record
 * reports the resources (the features advertise none), QEMU logs one for a
 * memory sparing query.  Reserved flag bits, Hard Sparing (both kinds are
 * supported), the nibble mask and the sparing coordinates are accepted and
 * not kept.
 */
enum cxldcd_rc cci_cmd_perform_maintenance(struct cci_call *c)
{
	struct cci_maint_in in;
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
		break;
	default:            /* 03h built-in test included: not supported */
		return CXLDCD_RC_INVALID_INPUT;
	}
	op.query = (in.flags & CCI_MAINT_QUERY) != 0;
	return core_maint_perform(c->dev, c->owner, &op, &c->ctx->diag);
}
