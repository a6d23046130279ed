/* SPDX-License-Identifier: MIT */
/*
 * maint.c - Perform Maintenance (CXL r3.2 §8.2.10.7.1): the repairs a host
 * asks for, soft or hard Post Package Repair of the row holding a DPA, and
 * memory sparing of a cacheline, row, bank or rank.
 *
 * There is no DRAM behind the model, so a repair is bookkeeping: it is
 * checked (the DPA is one the host can access, no background operation
 * runs on its mailbox) and counted per kind.  Data and poison are left as
 * they are: the repair features report that data is retained and the media
 * stays accessible during a repair, and replacing a row does not make
 * corrupted data good again.  A PPR completes at once; memory sparing runs
 * as a background operation of the caller's CCI (bgop.c), which may be
 * aborted, and is counted and logs its Memory Sparing Event Record when it
 * completes.  COMPAT (Linux): with cfg.maint_at_once it completes at once
 * too, and logs its record before the response (Linux's EDAC driver sends
 * 0600h without waiting for a background operation to end, so one that has
 * not ended when it looks is a timeout there).  The counts are in the
 * snapshot (memdev-snap.c).
 *
 * What this is not: the repair features' settings (features.c) or the
 * 0600h payload (src/cci/codec-maint.c).
 */
#include "core/model.h"

/* ev (borrowed) in host's Informational Event Log now (a copy: the log sets its handle and time). */
static void log_now(struct cxldcd_dev *dev, uint16_t host, const struct cxldcd_event *ev)
{
	struct cxldcd_event copy = *ev;

	evlog_append(dev, host, CXLDCD_LOG_INFO, &copy);
}

enum cxldcd_rc core_maint_perform(struct cxldcd_dev *dev, uint16_t host,
				  const struct core_maint_op *op, struct cxldcd_diag *diag)
{
	bool ppr = op->what == CORE_REPAIR_SPPR || op->what == CORE_REPAIR_HPPR;

	/* host: a host's mailbox, or CORE_OWNER_FM, the MCTP CCI (any decoded DPA) */
	if (host != CORE_OWNER_FM && !core_host_ok(dev, host))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "host=%u unknown", host);
	if ((unsigned)op->what >= CORE_NR_REPAIRS)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "repair=%d unknown",
				 (int)op->what);
	if (core_bg_busy(dev, host))
		return core_diag(diag, CXLDCD_RC_BUSY, -1, "a background operation is running");
	if (ppr && !core_host_can_access(dev, host, op->dpa, 1))
		return core_diag(diag, CXLDCD_RC_INVALID_PA, -1,
				 "dpa=0x%llx not accessible to host=%u",
				 (unsigned long long)op->dpa, host);
	if (!ppr && !dev->cfg.maint_at_once) {  /* counted when it ends (bgop_settle()), not if aborted */
		if (bgop_start_sparing(dev, host, (uint8_t)(op->query ? CORE_NR_REPAIRS : op->what),
				       op->done))
			return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
		return CXLDCD_RC_BG_STARTED;
	}
	if (!op->query && dev->feat.repairs[op->what] < UINT32_MAX)
		dev->feat.repairs[op->what]++;
	if (!ppr && op->done)   /* maint_at_once: the record the background operation logs at its end */
		log_now(dev, host, op->done);
	return CXLDCD_RC_SUCCESS;
}

uint32_t core_maint_count(const struct cxldcd_dev *dev, enum core_repair r)
{
	return (unsigned)r < CORE_NR_REPAIRS ? dev->feat.repairs[r] : 0;
}
