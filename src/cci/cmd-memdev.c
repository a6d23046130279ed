/* SPDX-License-Identifier: MIT */
/*
 * cmd-memdev.c - handlers of the memory-device commands beyond Dynamic
 * Capacity (memdev.h), served on host mailboxes (owner: the host) and, where
 * the spec allows them there, on the Type 3 MCTP CCI (owner CORE_OWNER_FM:
 * the whole device).  The FM CCI has no host identity for poison or labels,
 * and answers Unsupported Mailbox or CCI (15h) as for 48xxh.
 */
#include <stdlib.h>
#include <string.h>

#include "cci/cmd.h"
#include "cci/memdev.h"

#define FW_REVISION "cxldcd 0.1.0"
/* CXL r3.1 Table 8-133 (r3.2 §8.2.10.9.3.1): 7FFFh; ndctl's libcxl moved from FFFFh (-1 C) to it. */
#define TEMP_NOT_IMPLEMENTED 0x7fffu

/* One slot, slot 1 active, no staged slot, no online activation. */
enum cxldcd_rc cci_cmd_get_fw_info(struct cci_call *c)
{
	struct cci_fw_info fw = { .slots_supported = 1, .slot_info = 1 };

	memcpy(fw.rev[0], FW_REVISION, sizeof(FW_REVISION));
	cci_enc_fw_info_out(c->out, &fw);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc cci_cmd_get_timestamp(struct cci_call *c)
{
	cci_enc_timestamp(c->out, core_timestamp_get(c->dev, c->owner));
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc cci_cmd_set_timestamp(struct cci_call *c)
{
	uint64_t ts;
	int err = cci_dec_timestamp(c->in, c->in_len, &ts);

	if (err)
		return cci_dec_rc(err);
	return core_timestamp_set(c->dev, c->owner, ts);
}

/*
 * Static capacity is volatile-only (volatile-memdev) then persistent-only
 * (persistent-memdev), none of it partitionable: no change is ever pending
 * (Next = 0), as QEMU reports it; none for a host that does not reach it.
 */
enum cxldcd_rc cci_cmd_get_partition_info(struct cci_call *c)
{
	const struct cxldcd_dev_cfg *cfg = core_dev_cfg(c->dev);
	uint64_t st = core_static_capacity_of(c->dev, c->owner);   /* static-host= */
	struct cci_partition_info pi = {
		.active_volatile = st ? st - cfg->persistent_capacity : 0,
		.active_persistent = st ? cfg->persistent_capacity : 0,
	};

	cci_enc_partition_info_out(c->out, &pi);
	return CXLDCD_RC_SUCCESS;
}

/* Get LSA: beyond the LSA, or more than one response carries: Invalid Input. */
enum cxldcd_rc cci_cmd_get_lsa(struct cci_call *c)
{
	struct cci_lsa_range in;
	int err = cci_dec_get_lsa_in(c->in, c->in_len, &in);
	uint8_t *dst;

	if (err)
		return cci_dec_rc(err);
	if (in.length > wwr_left(c->out))
		return CXLDCD_RC_INVALID_INPUT;
	dst = c->out->p + c->out->off;
	if (core_lsa_read(c->dev, c->owner, in.offset, in.length, dst, NULL) != CXLDCD_RC_SUCCESS)
		return CXLDCD_RC_INVALID_INPUT;
	c->out->off += in.length;
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc cci_cmd_set_lsa(struct cci_call *c)
{
	struct cci_lsa_range in;
	const uint8_t *data;
	int err = cci_dec_set_lsa_in(c->in, c->in_len, &in, &data);

	if (err)
		return cci_dec_rc(err);
	return core_lsa_write(c->dev, c->owner, in.offset, in.length, data, NULL);
}

/* Health: normal, media ready, no life used reported, no temperature sensor. */
enum cxldcd_rc cci_cmd_get_health_info(struct cci_call *c)
{
	struct cci_health_info h = { .temperature = TEMP_NOT_IMPLEMENTED };

	cci_enc_health_info_out(c->out, &h);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc cci_cmd_get_alert_cfg(struct cci_call *c)
{
	struct core_alert_cfg a;
	struct cci_alert_cfg out;

	core_alert_get(c->dev, c->owner, &a);
	out = (struct cci_alert_cfg){
		.valid_alerts = a.enabled,
		.programmable_alerts = CORE_ALERT_ALL,
		.life_used_crit = a.life_used_crit,
		.life_used_warn = a.life_used_warn,
		.over_temp_crit = a.over_temp_crit,
		.under_temp_crit = a.under_temp_crit,
		.over_temp_warn = a.over_temp_warn,
		.under_temp_warn = a.under_temp_warn,
		.corr_volatile_warn = a.corr_volatile_warn,
		.corr_persistent_warn = a.corr_persistent_warn,
	};
	cci_enc_alert_cfg_out(c->out, &out);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc cci_cmd_set_alert_cfg(struct cci_call *c)
{
	struct cci_set_alert_cfg in;
	struct core_alert_cfg thr = { 0 };
	int err = cci_dec_set_alert_cfg_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	thr.life_used_warn = in.life_used_warn;
	thr.over_temp_warn = in.over_temp_warn;
	thr.under_temp_warn = in.under_temp_warn;
	thr.corr_volatile_warn = in.corr_volatile_warn;
	thr.corr_persistent_warn = in.corr_persistent_warn;
	return core_alert_set(c->dev, c->owner, in.valid_actions, in.enable_actions, &thr,
			      NULL);
}

/*
 * Get Poison List: the poison in the range that this host can access, as
 * many records as fit; More Media Error Records when some did not.
 */
enum cxldcd_rc cci_cmd_get_poison_list(struct cci_call *c)
{
	struct cci_poison_range in;
	struct core_poison p[CORE_POISON_MAX];
	struct cci_poison_list_hdr h = { 0 };
	bool more;
	uint32_t n, fit;
	int err = cci_dec_poison_list_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	fit = min_u32(cci_fit(c->out, CCI_POISON_LIST_HDR, CCI_MEDIA_ERROR_SIZE), CORE_POISON_MAX);
	n = core_poison_list(c->dev, c->owner, in.dpa, in.len, p, fit, &more);
	h.flags = more ? CCI_POISON_MORE : 0;
	h.count = (uint16_t)n;
	cci_enc_poison_list_hdr(c->out, &h);
	for (uint32_t i = 0; i < n; i++) {
		struct cci_media_error e = { p[i].dpa, p[i].source, p[i].len };

		cci_enc_media_error(c->out, &e);
	}
	return CXLDCD_RC_SUCCESS;
}

/* dpa lies in volatile memory: static volatile capacity or a region without NonVolatile. */
static bool dpa_volatile(const struct cxldcd_dev *dev, uint64_t dpa)
{
	const struct cxldcd_dev_cfg *cfg = core_dev_cfg(dev);
	struct core_region_info r;
	int i;

	if (dpa < cfg->static_capacity)
		return dpa < cfg->static_capacity - cfg->persistent_capacity;
	i = core_region_of(dev, dpa, 1);
	return i >= 0 && !core_region_get(dev, (uint8_t)i, &r) && !r.nonvolatile;
}

/*
 * Inject Poison's poison creation event (CXL r3.2 §8.2.10.9.4.2: "the
 * device shall add an appropriate poison creation event to its internal
 * Informational Event Log, update the Event Status register, and if
 * configured, interrupt the host"):
 * a General Media Event Record (§8.2.10.2.1.1) of severity Informational for
 * the 64 bytes at dpa (Volatile flag as the capacity is), Uncorrectable
 * Event, Memory Event Type Media ECC Error, Transaction Type Host Inject
 * Poison, no optional field valid.  The model logs it only when the poison
 * is new, to every host that can access the line (core_poison_inject_logged()).
 */
static void poison_event(const struct cxldcd_dev *dev, uint64_t dpa, struct cxldcd_event *ev)
{
	static const uint8_t uuid[16] = CCI_GM_EVENT_UUID;
	struct cci_gm_event gm = { 0 };
	struct wwr w;

	memset(ev, 0, sizeof(*ev));
	memcpy(ev->uuid, uuid, sizeof(uuid));
	ev->length = CXLDCD_EVENT_RECORD_SIZE;
	ev->flags = CXLDCD_EVF_SEV_INFO;
	gm.head.dpa = dpa | (dpa_volatile(dev, dpa) ? CCI_DPA_VOLATILE : 0);
	gm.head.descriptor = CCI_MEDIA_DESC_UNCORRECTABLE;
	gm.head.type = CCI_GM_TYPE_MEDIA_ECC;
	gm.head.transaction_type = CCI_GM_TRANS_HOST_INJECT_POISON;
	wwr_init(&w, ev->data, sizeof(ev->data));
	cci_enc_gm_event(&w, &gm);
}

enum cxldcd_rc cci_cmd_inject_poison(struct cci_call *c)
{
	struct cxldcd_event ev;
	uint64_t dpa;
	int err = cci_dec_inject_poison_in(c->in, c->in_len, &dpa);

	if (err)
		return cci_dec_rc(err);
	poison_event(c->dev, dpa, &ev);
	return core_poison_inject_logged(c->dev, c->owner, dpa, CCI_POISON_GRAN,
					 CORE_POISON_SRC_INJECTED, &ev, &c->ctx->diag);
}

/*
 * Clear Poison: COMPAT: the 64 bytes of write data are not written; the
 * mailbox has no path to the memory backend (the host writes the line
 * itself once the poison is cleared).
 */
enum cxldcd_rc cci_cmd_clear_poison(struct cci_call *c)
{
	struct cci_clear_poison in;
	int err = cci_dec_clear_poison_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	return core_poison_clear(c->dev, c->owner, in.dpa, CCI_POISON_GRAN, NULL);
}

/* Background Operation Status: the last background command of this mailbox. */
enum cxldcd_rc cci_cmd_bg_status(struct cci_call *c)
{
	struct core_bg_status st;
	struct cci_bg_status out;

	core_bg_status(c->dev, c->owner, &st);
	out = (struct cci_bg_status){ .running = st.running, .percent = st.percent,
				      .opcode = st.opcode, .rc = (uint16_t)st.rc };
	cci_enc_bg_status(c->out, &out);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc cci_cmd_bg_abort(struct cci_call *c)
{
	return core_bg_abort(c->dev, c->owner);
}

enum cxldcd_rc cci_cmd_get_scan_caps(struct cci_call *c)
{
	struct cci_poison_range in;
	uint64_t ms;
	int err = cci_dec_poison_list_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	if (!in.len || !core_host_can_access(c->dev, c->owner, in.dpa, in.len))
		return CXLDCD_RC_INVALID_PA;
	ms = core_scan_media_estimate_ms(in.len);
	cci_enc_scan_caps_out(c->out, ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms);
	return CXLDCD_RC_SUCCESS;
}

/*
 * Scan Media: starts in the background (01h).  The No Event Log flag is
 * accepted; COMPAT: no media event records are logged by a scan either way.
 */
enum cxldcd_rc cci_cmd_scan_media(struct cci_call *c)
{
	struct cci_scan_media_in in;
	enum cxldcd_rc rc;
	int err = cci_dec_scan_media_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	rc = core_scan_media_start(c->dev, c->owner, in.range.dpa, in.range.len, NULL);
	return rc == CXLDCD_RC_SUCCESS ? CXLDCD_RC_BG_STARTED : rc;
}

enum cxldcd_rc cci_cmd_get_scan_results(struct cci_call *c)
{
	struct core_scan_results r;
	struct cci_scan_results_hdr h = { 0 };
	uint32_t n;
	enum cxldcd_rc rc = core_scan_media_results(c->dev, c->owner, &r);

	if (rc != CXLDCD_RC_SUCCESS)
		return rc;
	n = min_u32(r.nr, cci_fit(c->out, CCI_SCAN_RESULTS_HDR, CCI_MEDIA_ERROR_SIZE));
	h.restart_dpa = r.restart_dpa;
	h.restart_len = r.restart_len;
	h.flags = (uint8_t)((r.more || n < r.nr ? CCI_SCAN_MORE : 0) |
			    (r.stopped ? CCI_SCAN_STOPPED : 0));
	h.count = (uint16_t)n;
	cci_enc_scan_results_hdr(c->out, &h);
	for (uint32_t i = 0; i < n; i++) {
		struct cci_media_error e = { r.rec[i].dpa, r.rec[i].source, r.rec[i].len };

		cci_enc_media_error(c->out, &e);
	}
	return CXLDCD_RC_SUCCESS;
}

/*
 * Sanitize (background) and Secure Erase: every byte this host can access
 * is zeroed and its poison dropped when the command is accepted; Sanitize
 * then reports progress for a time and cannot be aborted.  COMPAT: MLD
 * semantics: only this host's capacity (static capacity included in the
 * poison it clears) is affected, never another host's.
 */
enum cxldcd_rc cci_cmd_sanitize(struct cci_call *c)
{
	enum cxldcd_rc rc = core_sanitize_start(c->dev, c->owner, NULL);

	return rc == CXLDCD_RC_SUCCESS ? CXLDCD_RC_BG_STARTED : rc;
}

enum cxldcd_rc cci_cmd_secure_erase(struct cci_call *c)
{
	return core_secure_erase(c->dev, c->owner, NULL);
}

/*
 * Get Security State: cxldcd has no passphrases, so the state is always
 * none set, not locked, not frozen, no attempt limit reached (as QEMU
 * reports).  Linux sends it before Sanitize and Secure Erase.
 */
enum cxldcd_rc cci_cmd_get_security_state(struct cci_call *c)
{
	cci_enc_security_state_out(c->out, 0);
	return CXLDCD_RC_SUCCESS;
}

/*
 * Media Operations (4402h).  Discovery lists what runs here, Discovery
 * itself excepted (as the spec says; COMPAT: QEMU lists it too).  Sanitize
 * and Zero both zero the ranges and drop their poison, as Sanitize does, and
 * run in the background.  An unknown Class/Subclass is Invalid Input, as the
 * spec says (COMPAT: QEMU answers Unsupported).
 */
static const struct cci_media_op_entry media_ops[] = {
	{ CCI_MEDIA_OP_CLASS_SANITIZE, CCI_MEDIA_OP_SANITIZE_SANITIZE },
	{ CCI_MEDIA_OP_CLASS_SANITIZE, CCI_MEDIA_OP_SANITIZE_ZERO },
};
#define NR_MEDIA_OPS ((uint32_t)(sizeof(media_ops) / sizeof(media_ops[0])))

/* DPA Range Count other than 0, or Start Index past the list: Invalid Input. */
static enum cxldcd_rc media_op_discovery(struct cci_call *c, const struct cci_media_op_in *in)
{
	struct cci_media_op_discovery a;
	uint32_t n;
	int err = cci_dec_media_op_discovery_args(in->args, in->args_len, &a);

	if (in->nr_ranges)
		return CXLDCD_RC_INVALID_INPUT;
	if (err)
		return cci_dec_rc(err);
	if (a.start_index > NR_MEDIA_OPS)
		return CXLDCD_RC_INVALID_INPUT;
	n = min_u32(a.nr_ops, NR_MEDIA_OPS - a.start_index);
	n = min_u32(n, cci_fit(c->out, CCI_MEDIA_OP_DISCOVERY_HDR, CCI_MEDIA_OP_ENTRY_SIZE));
	cci_enc_media_op_discovery_hdr(c->out, CORE_MEDIA_OP_GRAN, NR_MEDIA_OPS, (uint16_t)n);
	for (uint32_t i = 0; i < n; i++)
		cci_enc_media_op_entry(c->out, &media_ops[a.start_index + i]);
	return CXLDCD_RC_SUCCESS;
}

/* Sanitize / Zero: no operation-specific arguments, so the list ends the payload. */
static enum cxldcd_rc media_op_erase(struct cci_call *c, const struct cci_media_op_in *in)
{
	struct cxldcd_range *r = NULL;
	enum cxldcd_rc rc;
	bool started;

	if (in->args_len)
		return CXLDCD_RC_INVALID_PAYLOAD_LENGTH;
	if (in->nr_ranges) {
		r = calloc(in->nr_ranges, sizeof(*r));  /* bounded: the list was received */
		if (!r)
			return CXLDCD_RC_INTERNAL_ERROR;
		for (uint32_t i = 0; i < in->nr_ranges; i++)
			cci_dec_media_op_range(in->ranges, i, &r[i]);
	}
	rc = core_media_op(c->dev, c->owner, r, in->nr_ranges, &started, &c->ctx->diag);
	free(r);
	return rc == CXLDCD_RC_SUCCESS && started ? CXLDCD_RC_BG_STARTED : rc;
}

enum cxldcd_rc cci_cmd_media_operations(struct cci_call *c)
{
	struct cci_media_op_in in;
	int err = cci_dec_media_op_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	if (in.op_class == CCI_MEDIA_OP_CLASS_GENERAL &&
	    in.subclass == CCI_MEDIA_OP_GENERAL_DISCOVERY)
		return media_op_discovery(c, &in);
	if (in.op_class == CCI_MEDIA_OP_CLASS_SANITIZE &&
	    (in.subclass == CCI_MEDIA_OP_SANITIZE_SANITIZE ||
	     in.subclass == CCI_MEDIA_OP_SANITIZE_ZERO))
		return media_op_erase(c, &in);
	return CXLDCD_RC_INVALID_INPUT;
}
