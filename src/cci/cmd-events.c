/* SPDX-License-Identifier: MIT */
/*
 * cmd-events.c - handlers of the Events command set (0100h-0103h).  The
 * owner of the logs is the context's: a host's mailbox serves that host's
 * logs, the FM CCI serves the FM's log (CORE_OWNER_FM).
 */
#include <stdlib.h>

#include "cci/cmd.h"
#include "cci/events.h"

/*
 * Get Event Records: as many records as fit the response (and the log can
 * hold), oldest first; More Event Records only when records remain beyond
 * those returned (COMPAT: QEMU sets it whenever the log is non-empty).
 */
enum cxldcd_rc cci_cmd_get_events(struct cci_call *c)
{
	struct cci_get_events_out h = { 0 };
	struct core_evlog_status st = { 0 };
	struct cxldcd_event *ev;
	uint32_t max, n = 0, depth = core_dev_cfg(c->dev)->evlog_depth;
	enum cxldcd_rc rc;
	uint8_t log;
	int err = cci_dec_get_events_in(c->in, c->in_len, &log);

	if (err)
		return cci_dec_rc(err);
	max = min_u32(cci_fit(c->out, CCI_GET_EVENTS_HDR, CXLDCD_EVENT_RECORD_SIZE), depth);
	max = min_u32(max, UINT16_MAX);
	ev = calloc(max ? max : 1, sizeof(*ev));
	if (!ev)
		return CXLDCD_RC_INTERNAL_ERROR;
	rc = core_evlog_get(c->dev, c->owner, log, max, ev, &n, &st);
	if (rc == CXLDCD_RC_SUCCESS) {
		h.flags = (uint8_t)((st.overflow ? CCI_EVF_OVERFLOW : 0) |
				    (st.more ? CCI_EVF_MORE_RECORDS : 0));
		h.overflow_count = st.overflow_count;
		h.first_overflow_ns = st.first_overflow_ns;
		h.last_overflow_ns = st.last_overflow_ns;
		h.nr_records = (uint16_t)n;
		cci_enc_get_events_out_hdr(c->out, &h);
		for (uint32_t i = 0; i < n; i++)
			cci_enc_event(c->out, &ev[i]);
	}
	free(ev);
	return rc;
}

/*
 * Clear Event Records: handles must be the oldest records in order, else
 * Invalid Handle (COMPAT: QEMU answers Invalid Input).  Clear All is taken
 * only after an overflow (model's rule).
 */
enum cxldcd_rc cci_cmd_clear_events(struct cci_call *c)
{
	struct cci_clear_events_in in;
	int err = cci_dec_clear_events_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	return core_evlog_clear(c->dev, c->owner, in.log, in.clear_all, in.handles, in.nr_handles,
				&c->ctx->diag);
}

enum cxldcd_rc cci_cmd_get_irq_policy(struct cci_call *c)
{
	struct cci_irq_policy pol = { .n = CCI_IRQ_POLICY_SIZE };

	core_irq_policy_get(c->dev, c->owner, pol.mode);
	cci_enc_irq_policy(c->out, &pol);
	return CXLDCD_RC_SUCCESS;
}

/*
 * Set Event Interrupt Policy: the 4-byte form leaves the DC byte unchanged.
 * Reserved bits are not stored, so Get reads them as 0 (r3.1 Tables
 * 8-55/8-56: bits 3:2 of each byte; in Set, bits 7:2 of the DC byte, which
 * has no message number to give).
 */
#define IRQ_SETTING_MASK 0xf3u          /* bits 1:0 mode, 7:4 message number */
#define IRQ_DC_SETTING_MASK 0x03u       /* DC log: mode only */

enum cxldcd_rc cci_cmd_set_irq_policy(struct cci_call *c)
{
	struct cci_irq_policy pol;
	int err = cci_dec_irq_policy(c->in, c->in_len, &pol);

	if (err)
		return cci_dec_rc(err);
	for (unsigned i = 0; i < pol.n; i++)
		pol.mode[i] &= i == CXLDCD_LOG_DC ? IRQ_DC_SETTING_MASK : IRQ_SETTING_MASK;
	return core_irq_policy_set(c->dev, c->owner, pol.mode, pol.n, &c->ctx->diag);
}
