/* SPDX-License-Identifier: MIT */
/*
 * table.c - the one command table: every opcode cxldcd serves, with its
 * name, handler, input size rule, CEL Command Effect and the CCIs it is
 * served on.  Sorted by opcode (checked by a test); looked up by binary
 * search.  Policy lives here as data, not in dispatcher code (style B.4).
 *
 * Command Effects follow the spec's per-command text (CXL r3.2 Table 8-87
 * bits).  COMPAT: QEMU reports Immediate Data Change for 4802h/4803h; the
 * spec says Immediate Configuration Change, which we report.
 *
 * 0502h and 0600h report what they can do on this device: Set Feature
 * changes configuration only (the union of the Set Feature Effects of the
 * features served, cmd-features.c asserts it), and a repair changes
 * configuration (data kept), memory sparing in the background with a Memory
 * Sparing Event Record logged (Immediate Log Change, Background Operation,
 * Abort supported: CXL r3.2 §8.2.10.7.1 lists it; CMD_MAINT: neither of
 * the last two on a device whose maintenance completes at once, COMPAT:
 * Linux).  COMPAT: QEMU reports the worst case over every feature the
 * spec defines for 0502h (Immediate Configuration, Data, Policy and Log
 * Change, Security State Change) and Immediate Configuration, Data and Log
 * Change plus Background Operation for 0600h.
 *
 * 4500h Get Security State (no effect) is the one command of the
 * Persistent Memory Data-at-rest Security set served: Linux sends it before
 * Sanitize and Secure Erase.  O on the mailbox, O (note 4) on MCTP (r3.1
 * Table 8-126), so MEMDEV.  COMPAT: QEMU serves it on the mailbox only.
 *
 * Scan Media's effects are Background Operation and Abort supported.
 * Sanitize's are Immediate Data Change, Security State Change and Background
 * Operation, without the Abort bit the spec's list has: it erases when
 * accepted and cannot be aborted (0005h answers 20h).
 *
 * 0004h and 0005h have no Command Effect (CXL r3.2 §8.2.10.1.4/5, read in
 * the r3.1 text, §8.2.9.1.4/5: "None"; QEMU reports none for 0004h either)
 * but change state the journal must replay (the CCI's Response Message
 * Limit, the running background operation): CMD_JOURNAL says so, apart from
 * the CEL.  0103h is Immediate Policy Change (§8.2.10.2.5, r3.1 §8.2.9.2.5;
 * COMPAT: QEMU reports Immediate Configuration Change).  5606h/5607h change
 * the configuration now and after every reset (r3.2 §7.6.7.6.7/8; 5607h "if
 * freed"), with no Immediate Data Change.
 *
 * CMD_MCTP marks what the Type 3 device's own MCTP-based CCI (CCI_MCTP,
 * message type 08h) serves: every command cxldcd implements that the "Type
 * 3 MCTP" column of the spec's opcode tables does not prohibit (CXL r3.2
 * Table 8-49 for generic commands; for memory-device commands r3.1 Table
 * 8-126, whose rows r3.2 Table 8-141 keeps; docs/conformance.md, "Which CCI
 * serves what").  Prohibited there, so 15h: 0102h/0103h (MCTP has
 * 0104h/0105h instead), 4301h Inject Poison, 4402h Media Operations and
 * 48xxh.  48xxh and the memory-device commands are not on the FM CCI, which
 * has no host identity to answer for; the FM reads extents with 5603h.  The
 * FM-API DCD set (56xxh) is served on both (FMAPI below).
 *
 * CMD_DC marks what a device without DC regions (QEMU's cxl-type3 with
 * static capacity only) does not have: 48xxh and 56xxh.  QEMU registers
 * both sets only when the device has DC regions (hw/cxl/cxl-mailbox-utils.c),
 * so there they answer Unsupported and are out of every CEL.
 */
#include <stdlib.h>

#include "cci/cmd.h"
#include "cci/dcd.h"
#include "cci/events.h"
#include "cci/fm-dcd.h"
#include "cci/generic.h"
#include "cci/maint.h"
#include "cci/memdev.h"

#define EFF_NONE 0u
#define EFF_ICC CCI_EFF_IMMEDIATE_CONFIG_CHANGE
#define EFF_ILC CCI_EFF_IMMEDIATE_LOG_CHANGE
#define EFF_IPC CCI_EFF_IMMEDIATE_POLICY_CHANGE
#define EFF_IDC CCI_EFF_IMMEDIATE_DATA_CHANGE
#define EFF_BG (CCI_EFF_BACKGROUND_OP | CCI_EFF_ABORT_BG_SUPPORTED)
/* 5602h/5604h/5605h (CXL r3.2 §7.6.7.6.3/5/6): config change after cold,
 * conventional and CXL reset; immediate config change; immediate data change. */
#define EFF_FM_CFG                                                                       \
	(CCI_EFF_CONFIG_CHANGE_COLD_RESET | CCI_EFF_IMMEDIATE_CONFIG_CHANGE |              \
	 CCI_EFF_IMMEDIATE_DATA_CHANGE | CCI_EFF_CEL_11_10_VALID |                         \
	 CCI_EFF_CONFIG_CHANGE_CONV_RESET | CCI_EFF_CONFIG_CHANGE_CXL_RESET)
/* 5606h/5607h (CXL r3.2 §7.6.7.6.7/8): the same without Immediate Data Change. */
#define EFF_FM_REF                                                                       \
	(CCI_EFF_CONFIG_CHANGE_COLD_RESET | CCI_EFF_IMMEDIATE_CONFIG_CHANGE |              \
	 CCI_EFF_CEL_11_10_VALID | CCI_EFF_CONFIG_CHANGE_CONV_RESET |                      \
	 CCI_EFF_CONFIG_CHANGE_CXL_RESET)

/* Generic commands: every CCI.  CMD_MCTP per the spec's MCTP notes
 * (docs/conformance.md, "Which CCI serves what"). */
#define BOTH (CMD_MBOX | CMD_FM | CMD_MCTP)
/*
 * FM-API commands (56xxh): the FM CCI and the Type 3 MCTP CCI.  An MCTP
 * endpoint is one MCTP-based CCI that takes the FM-API message type (07h)
 * beside 08h (Table 8-49 legend "MS"; 56h is mandatory there for a DCD,
 * "DCS"), so its CEL lists them; libcxlmi's examples read that CEL over 08h
 * before they send any 56xxh.  The transports still carry them as 07h only
 * (mctp_cci_screen()), and 07h reaches the FM CCI context.
 */
#define FMAPI (CMD_FM | CMD_MCTP | CMD_DC)
/* Host mailboxes and the Type 3 MCTP CCI, not the FM CCI. */
#define MEMDEV (CMD_MBOX | CMD_MCTP)
/* Prohibited on the Type 3 MCTP CCI ("P" in its column): every other CCI. */
#define NOT_MCTP (CMD_MBOX | CMD_FM)

static const struct cci_cmd table[] = {
	{ CXLDCD_OP_IDENTIFY, "Identify", cci_cmd_identify, 0, 0, 0, EFF_NONE, BOTH },
	{ CXLDCD_OP_BG_OP_STATUS, "Background Operation Status", cci_cmd_bg_status, 0, 0, 0,
	  EFF_NONE, MEMDEV },
	{ CXLDCD_OP_GET_RESPONSE_MSG_LIMIT, "Get Response Message Limit", cci_cmd_get_rsp_limit,
	  0, 0, 0, EFF_NONE, BOTH },
	{ CXLDCD_OP_SET_RESPONSE_MSG_LIMIT, "Set Response Message Limit", cci_cmd_set_rsp_limit,
	  CCI_RSP_LIMIT_SIZE, CCI_RSP_LIMIT_SIZE, 0, EFF_NONE, BOTH | CMD_JOURNAL },
	{ CXLDCD_OP_BG_OP_ABORT, "Request Abort Background Operation", cci_cmd_bg_abort, 0, 0, 0,
	  EFF_NONE, MEMDEV | CMD_JOURNAL },
	{ CXLDCD_OP_GET_EVENT_RECORDS, "Get Event Records", cci_cmd_get_events, 1, 1, 0, EFF_NONE,
	  BOTH },
	{ CXLDCD_OP_CLEAR_EVENT_RECORDS, "Clear Event Records", cci_cmd_clear_events,
	  CCI_CLEAR_EVENTS_HDR, CCI_VAR, 2, EFF_ILC, BOTH },
	{ CXLDCD_OP_GET_EVENT_INTERRUPT_POLICY, "Get Event Interrupt Policy",
	  cci_cmd_get_irq_policy, 0, 0, 0, EFF_NONE, NOT_MCTP },
	{ CXLDCD_OP_SET_EVENT_INTERRUPT_POLICY, "Set Event Interrupt Policy",
	  cci_cmd_set_irq_policy, CCI_IRQ_POLICY_MIN, CCI_IRQ_POLICY_SIZE, 0, EFF_IPC, NOT_MCTP },
	{ CXLDCD_OP_GET_FW_INFO, "Get FW Info", cci_cmd_get_fw_info, 0, 0, 0, EFF_NONE, MEMDEV },
	{ CXLDCD_OP_GET_TIMESTAMP, "Get Timestamp", cci_cmd_get_timestamp, 0, 0, 0, EFF_NONE,
	  MEMDEV },
	{ CXLDCD_OP_SET_TIMESTAMP, "Set Timestamp", cci_cmd_set_timestamp, CCI_TIMESTAMP_SIZE,
	  CCI_TIMESTAMP_SIZE, 0, EFF_IPC, MEMDEV },
	{ CXLDCD_OP_GET_SUPPORTED_LOGS, "Get Supported Logs", cci_cmd_get_supported_logs, 0, 0, 0,
	  EFF_NONE, BOTH },
	{ CXLDCD_OP_GET_LOG, "Get Log", cci_cmd_get_log, CCI_GET_LOG_IN_SIZE, CCI_GET_LOG_IN_SIZE,
	  0, EFF_NONE, BOTH },
	/* Table 8-49 note 4: a Type 3 device with 0400h on an MCTP CCI also has 0405h. */
	{ CXLDCD_OP_GET_SUPPORTED_LOGS_SUB_LIST, "Get Supported Logs Sub-List",
	  cci_cmd_get_logs_sub_list, CCI_LOGS_SUB_LIST_IN_SIZE, CCI_LOGS_SUB_LIST_IN_SIZE, 0,
	  EFF_NONE, BOTH },
	{ CXLDCD_OP_GET_SUPPORTED_FEATURES, "Get Supported Features", cci_cmd_get_supp_features,
	  CCI_GET_SUPP_FEATURES_IN_SIZE, CCI_GET_SUPP_FEATURES_IN_SIZE, 0, EFF_NONE, MEMDEV },
	{ CXLDCD_OP_GET_FEATURE, "Get Feature", cci_cmd_get_feature, CCI_GET_FEATURE_IN_SIZE,
	  CCI_GET_FEATURE_IN_SIZE, 0, EFF_NONE, MEMDEV },
	{ CXLDCD_OP_SET_FEATURE, "Set Feature", cci_cmd_set_feature, CCI_SET_FEATURE_HDR, CCI_VAR, 1,
	  EFF_ICC, MEMDEV },
	{ CXLDCD_OP_PERFORM_MAINTENANCE, "Perform Maintenance", cci_cmd_perform_maintenance,
	  CCI_MAINT_HDR, CCI_VAR, 1, EFF_ICC | EFF_ILC | EFF_BG, MEMDEV | CMD_MAINT },
	{ CXLDCD_OP_IDENTIFY_MEMORY_DEVICE, "Identify Memory Device", cci_cmd_identify_memdev, 0,
	  0, 0, EFF_NONE, MEMDEV },
	{ CXLDCD_OP_GET_PARTITION_INFO, "Get Partition Info", cci_cmd_get_partition_info, 0, 0, 0,
	  EFF_NONE, MEMDEV },
	{ CXLDCD_OP_GET_LSA, "Get LSA", cci_cmd_get_lsa, CCI_GET_LSA_IN_SIZE, CCI_GET_LSA_IN_SIZE, 0,
	  EFF_NONE, MEMDEV },
	{ CXLDCD_OP_SET_LSA, "Set LSA", cci_cmd_set_lsa, CCI_SET_LSA_HDR, CCI_VAR, 1,
	  EFF_ICC | EFF_IDC, MEMDEV },
	{ CXLDCD_OP_GET_HEALTH_INFO, "Get Health Info", cci_cmd_get_health_info, 0, 0, 0, EFF_NONE,
	  MEMDEV },
	{ CXLDCD_OP_GET_ALERT_CONFIG, "Get Alert Configuration", cci_cmd_get_alert_cfg, 0, 0, 0,
	  EFF_NONE, MEMDEV },
	{ CXLDCD_OP_SET_ALERT_CONFIG, "Set Alert Configuration", cci_cmd_set_alert_cfg,
	  CCI_SET_ALERT_CFG_SIZE, CCI_SET_ALERT_CFG_SIZE, 0, EFF_IPC, MEMDEV },
	{ CXLDCD_OP_GET_POISON_LIST, "Get Poison List", cci_cmd_get_poison_list,
	  CCI_POISON_LIST_IN_SIZE, CCI_POISON_LIST_IN_SIZE, 0, EFF_NONE, MEMDEV },
	{ CXLDCD_OP_INJECT_POISON, "Inject Poison", cci_cmd_inject_poison, CCI_INJECT_POISON_SIZE,
	  CCI_INJECT_POISON_SIZE, 0, EFF_IDC, CMD_MBOX },
	{ CXLDCD_OP_CLEAR_POISON, "Clear Poison", cci_cmd_clear_poison, CCI_CLEAR_POISON_SIZE,
	  CCI_CLEAR_POISON_SIZE, 0, EFF_IDC, MEMDEV },
	{ CXLDCD_OP_GET_SCAN_MEDIA_CAPS, "Get Scan Media Capabilities", cci_cmd_get_scan_caps,
	  CCI_POISON_LIST_IN_SIZE, CCI_POISON_LIST_IN_SIZE, 0, EFF_NONE, MEMDEV },
	{ CXLDCD_OP_SCAN_MEDIA, "Scan Media", cci_cmd_scan_media, CCI_SCAN_MEDIA_IN_SIZE,
	  CCI_SCAN_MEDIA_IN_SIZE, 0, EFF_BG, MEMDEV },
	{ CXLDCD_OP_GET_SCAN_MEDIA_RESULTS, "Get Scan Media Results", cci_cmd_get_scan_results, 0,
	  0, 0, EFF_NONE, MEMDEV },
	{ CXLDCD_OP_SANITIZE, "Sanitize", cci_cmd_sanitize, 0, 0, 0,
	  EFF_IDC | CCI_EFF_SECURITY_STATE_CHANGE | CCI_EFF_BACKGROUND_OP, MEMDEV | CMD_ERASES },
	{ CXLDCD_OP_SECURE_ERASE, "Secure Erase", cci_cmd_secure_erase, 0, 0, 0,
	  EFF_IDC | CCI_EFF_SECURITY_STATE_CHANGE, MEMDEV | CMD_ERASES },
	{ CXLDCD_OP_MEDIA_OPERATIONS, "Media Operations", cci_cmd_media_operations,
	  CCI_MEDIA_OP_HDR, CCI_VAR, CCI_MEDIA_OP_RANGE_SIZE, EFF_IDC | CCI_EFF_BACKGROUND_OP,
	  CMD_MBOX | CMD_ERASES },
	{ CXLDCD_OP_GET_SECURITY_STATE, "Get Security State", cci_cmd_get_security_state, 0, 0,
	  0, EFF_NONE, MEMDEV },
	{ CXLDCD_OP_GET_DC_CONFIG, "Get Dynamic Capacity Configuration", cci_cmd_get_dc_config,
	  CCI_DC_CONFIG_IN_SIZE, CCI_DC_CONFIG_IN_SIZE, 0, EFF_NONE, CMD_MBOX | CMD_DC },
	{ CXLDCD_OP_GET_DC_EXTENT_LIST, "Get Dynamic Capacity Extent List",
	  cci_cmd_get_dc_extents, CCI_EXTENT_LIST_IN_SIZE, CCI_EXTENT_LIST_IN_SIZE, 0, EFF_NONE,
	  CMD_MBOX | CMD_DC },
	{ CXLDCD_OP_ADD_DC_RESPONSE, "Add Dynamic Capacity Response", cci_cmd_add_dc_rsp,
	  CCI_DC_RSP_HDR, CCI_VAR, CXLDCD_UPDATED_EXTENT_SIZE, EFF_ICC,
	  CMD_MBOX | CMD_MORE | CMD_DC },
	{ CXLDCD_OP_RELEASE_DC, "Release Dynamic Capacity", cci_cmd_release_dc, CCI_DC_RSP_HDR,
	  CCI_VAR, CXLDCD_UPDATED_EXTENT_SIZE, EFF_ICC, CMD_MBOX | CMD_MORE | CMD_DC },
	{ CXLDCD_OP_FM_GET_DCD_INFO, "Get DCD Info", cci_cmd_fm_dcd_info, 0, 0, 0, EFF_NONE, FMAPI },
	{ CXLDCD_OP_FM_GET_HOST_DC_REGION_CONFIG, "Get Host DC Region Configuration",
	  cci_cmd_fm_host_region_cfg, CCI_HOST_REGION_CFG_IN_SIZE, CCI_HOST_REGION_CFG_IN_SIZE, 0,
	  EFF_NONE, FMAPI },
	{ CXLDCD_OP_FM_SET_DC_REGION_CONFIG, "Set DC Region Configuration",
	  cci_cmd_fm_set_region_cfg, CCI_SET_REGION_CFG_IN_SIZE, CCI_SET_REGION_CFG_IN_SIZE, 0,
	  EFF_FM_CFG, FMAPI },
	{ CXLDCD_OP_FM_GET_DC_REGION_EXTENT_LISTS, "Get DC Region Extent Lists",
	  cci_cmd_fm_region_extents, CCI_REGION_EXTENTS_IN_SIZE, CCI_REGION_EXTENTS_IN_SIZE, 0,
	  EFF_NONE, FMAPI },
	{ CXLDCD_OP_FM_INITIATE_DC_ADD, "Initiate Dynamic Capacity Add", cci_cmd_fm_initiate_add,
	  CCI_INITIATE_FIXED, CCI_VAR, CXLDCD_DC_EXTENT_SIZE, EFF_FM_CFG, FMAPI },
	{ CXLDCD_OP_FM_INITIATE_DC_RELEASE, "Initiate Dynamic Capacity Release",
	  cci_cmd_fm_initiate_release, CCI_INITIATE_FIXED, CCI_VAR, CXLDCD_DC_EXTENT_SIZE,
	  EFF_FM_CFG, FMAPI },
	{ CXLDCD_OP_FM_DC_ADD_REFERENCE, "Dynamic Capacity Add Reference", cci_cmd_fm_add_ref,
	  CCI_TAG_REF_IN_SIZE, CCI_TAG_REF_IN_SIZE, 0, EFF_FM_REF, FMAPI },
	{ CXLDCD_OP_FM_DC_REMOVE_REFERENCE, "Dynamic Capacity Remove Reference",
	  cci_cmd_fm_remove_ref, CCI_TAG_REF_IN_SIZE, CCI_TAG_REF_IN_SIZE, 0,
	  EFF_FM_REF, FMAPI },
	{ CXLDCD_OP_FM_DC_LIST_TAGS, "Dynamic Capacity List Tags", cci_cmd_fm_list_tags,
	  CCI_LIST_TAGS_IN_SIZE, CCI_LIST_TAGS_IN_SIZE, 0, EFF_NONE, FMAPI },
};

const struct cci_cmd *cci_cmd_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

static int cmp_opcode(const void *key, const void *elem)
{
	uint16_t op = *(const uint16_t *)key;
	const struct cci_cmd *c = elem;

	return op < c->opcode ? -1 : op > c->opcode ? 1 : 0;
}

const struct cci_cmd *cci_cmd_find(uint16_t opcode)
{
	return bsearch(&opcode, table, sizeof(table) / sizeof(table[0]), sizeof(table[0]),
		       cmp_opcode);
}

/* The table flag that says a command is served on each kind of CCI. */
static const uint16_t served_flag[] = {
	[CCI_MAILBOX] = CMD_MBOX,
	[CCI_FM] = CMD_FM,
	[CCI_MCTP] = CMD_MCTP,
};

bool cci_cmd_served(const struct cci_cmd *cmd, enum cci_kind kind)
{
	return (unsigned)kind < sizeof(served_flag) / sizeof(served_flag[0]) &&
	       (cmd->flags & served_flag[kind]) != 0;
}

bool cci_cmd_present(const struct cci_cmd *cmd, const struct cxldcd_dev *dev)
{
	return !(cmd->flags & CMD_DC) || core_region_count(dev) > 0;
}

/* The CEL reports what the command does on this device (COMPAT: Linux, maint_at_once). */
uint16_t cci_cmd_effects(const struct cci_cmd *cmd, const struct cxldcd_dev *dev)
{
	if ((cmd->flags & CMD_MAINT) && core_dev_cfg(dev)->maint_at_once)
		return (uint16_t)(cmd->effects & ~EFF_BG);
	return cmd->effects;
}

const char *cci_opcode_name(uint16_t opcode)
{
	const struct cci_cmd *c = cci_cmd_find(opcode);

	return c ? c->name : NULL;
}

bool cci_opcode_erases(uint16_t opcode)
{
	const struct cci_cmd *c = cci_cmd_find(opcode);

	return c && (c->flags & CMD_ERASES);
}

bool cci_opcode_is_read(uint16_t opcode)
{
	const struct cci_cmd *c = cci_cmd_find(opcode);

	return c && c->effects == EFF_NONE && !(c->flags & CMD_JOURNAL);
}
