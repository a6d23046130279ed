/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the command table and the handler contract (private to src/cci).
 *
 * A handler decodes its payload, calls the model, encodes the result into
 * call->out; it keeps no state.  The dispatcher has already checked that the
 * opcode is served on this CCI and that in_len is within [in_min, in_max]
 * and the mailbox payload size; the handler's decoder applies the exact
 * size rule (header + N records).
 */
#ifndef CXLDCD_CCI_CMD_H
#define CXLDCD_CCI_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cci/cci.h"
#include "common/wire.h"
#include "core/core.h"

struct cci_fault_state;

struct cci_ctx {
	struct cxldcd_dev *dev;     /* borrowed */
	enum cci_kind kind;
	uint16_t owner;             /* host LD-ID, or CORE_OWNER_FM */
	uint8_t mbox_log2;          /* device mailbox payload size, 2^n */
	uint8_t rsp_limit_log2;     /* Response Message Limit, 2^n */
	uint16_t chain_op;          /* opcode of an open More chain, 0 = none */
	struct cxldcd_diag diag;    /* the model's verdict on the last command (cci_ctx_diag()) */
	struct cci_fault_state *faults; /* fault injection (fault.c); NULL = none, owned */
};

struct cci_call {
	struct cci_ctx *ctx;
	struct cxldcd_dev *dev;
	uint16_t owner;
	uint16_t opcode;
	const uint8_t *in;
	size_t in_len;
	struct wwr *out;            /* bounded by cci_ctx_max_payload() */
};

typedef enum cxldcd_rc cci_handler_fn(struct cci_call *call);

#define CCI_VAR UINT32_MAX      /* in_max: header + N records, exact rule in the decoder */

/* Command flags */
#define CMD_MBOX (1u << 0)      /* served on host mailboxes */
#define CMD_FM (1u << 1)        /* served on the FM CCI */
#define CMD_MORE (1u << 2)      /* payloads may be chained with the More flag */
#define CMD_DC (1u << 3)        /* needs DC regions: absent (Unsupported, not in the CEL) without */
#define CMD_MCTP (1u << 4)      /* allowed and served on the Type 3 MCTP-based CCI (08h) */
#define CMD_JOURNAL (1u << 5)   /* changes state although its CEL effects are none: not a read */
#define CMD_ERASES (1u << 6)    /* may zero a host's capacity when it runs (owed by a replay) */
#define CMD_MAINT (1u << 7)     /* background only without cfg.maint_at_once (cci_cmd_effects()) */

struct cci_cmd {
	uint16_t opcode;
	const char *name;
	cci_handler_fn *handler;
	uint32_t in_min;
	uint32_t in_max;            /* or CCI_VAR */
	uint16_t rec_size;          /* CCI_VAR: bytes per record after in_min */
	uint16_t effects;           /* CEL Command Effect */
	uint16_t flags;             /* CMD_* */
};

/* Records of rec bytes that fit after a hdr-byte header in what is left of w. */
static inline uint32_t cci_fit(const struct wwr *w, size_t hdr, size_t rec)
{
	size_t room = wwr_left(w);
	size_t n = room > hdr ? (room - hdr) / rec : 0;

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* The table, sorted by opcode. */
const struct cci_cmd *cci_cmd_table(size_t *n);
const struct cci_cmd *cci_cmd_find(uint16_t opcode);
bool cci_cmd_served(const struct cci_cmd *cmd, enum cci_kind kind);
/* Whether @dev has the command at all (CMD_DC rows: only with DC regions). */
bool cci_cmd_present(const struct cci_cmd *cmd, const struct cxldcd_dev *dev);
/*
 * The CEL Command Effect of the command on @dev: cmd->effects, without
 * Background Operation and Abort supported for a CMD_MAINT row on a device
 * whose maintenance completes at once (cfg.maint_at_once).
 */
uint16_t cci_cmd_effects(const struct cci_cmd *cmd, const struct cxldcd_dev *dev);

/*
 * Append up to want accepted extents of host, from index start, to w
 * (chunked: no allocation).  *got receives the number written.
 */
enum cxldcd_rc cci_put_extents(struct cci_call *c, uint16_t host, uint32_t start, uint32_t want,
			       uint32_t *got);

/* Handlers (cmd-*.c) */
cci_handler_fn cci_cmd_identify, cci_cmd_get_rsp_limit, cci_cmd_set_rsp_limit;
cci_handler_fn cci_cmd_get_supported_logs, cci_cmd_get_log, cci_cmd_get_logs_sub_list;
cci_handler_fn cci_cmd_get_events, cci_cmd_clear_events, cci_cmd_get_irq_policy,
	cci_cmd_set_irq_policy;
cci_handler_fn cci_cmd_identify_memdev, cci_cmd_get_dc_config, cci_cmd_get_dc_extents,
	cci_cmd_add_dc_rsp, cci_cmd_release_dc;
cci_handler_fn cci_cmd_get_fw_info, cci_cmd_get_timestamp, cci_cmd_set_timestamp,
	cci_cmd_get_partition_info, cci_cmd_get_lsa, cci_cmd_set_lsa, cci_cmd_get_health_info,
	cci_cmd_get_alert_cfg, cci_cmd_set_alert_cfg, cci_cmd_get_poison_list,
	cci_cmd_inject_poison, cci_cmd_clear_poison, cci_cmd_bg_status, cci_cmd_bg_abort,
	cci_cmd_get_scan_caps, cci_cmd_scan_media, cci_cmd_get_scan_results,
	cci_cmd_get_supp_features, cci_cmd_get_feature, cci_cmd_set_feature, cci_cmd_sanitize,
	cci_cmd_secure_erase, cci_cmd_media_operations, cci_cmd_get_security_state;
cci_handler_fn cci_cmd_perform_maintenance;
cci_handler_fn cci_cmd_fm_dcd_info, cci_cmd_fm_host_region_cfg, cci_cmd_fm_set_region_cfg,
	cci_cmd_fm_region_extents, cci_cmd_fm_initiate_add, cci_cmd_fm_initiate_release,
	cci_cmd_fm_add_ref, cci_cmd_fm_remove_ref, cci_cmd_fm_list_tags;

#endif /* CXLDCD_CCI_CMD_H */
