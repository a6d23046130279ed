/* SPDX-License-Identifier: MIT */
/*
 * cmd-features.c - the Features command set (CXL r3.2 §8.2.10.6): Get
 * Supported Features (0500h), Get Feature (0501h), Set Feature (0502h), on
 * host mailboxes, for the memory-device features cxldcd serves (those
 * Linux's CXL EDAC driver reads):
 *
 *   index 0  Device Patrol Scrub Control (§8.2.10.9.11.1)
 *   index 1  DDR5 ECS Control, 3 media FRUs (§8.2.10.9.11.2)
 *   index 2  sPPR, 3  hPPR (§8.2.10.7.2.1-2)
 *   index 4-7  Cacheline, Row, Bank, Rank Memory Sparing (§8.2.10.7.2.3)
 *
 * The values live in the model (core/features.c), device-wide; a transfer
 * in parts is each LD's own (a host's mailbox, the MCTP CCI); this file
 * holds what the Supported Feature Entries say about them and the Feature
 * data layouts' mapping to the model.  All are changeable, with a default
 * selection; Set Feature Effects: Immediate Configuration Change (CEL[11:10]
 * valid, no reset needed).  The repair features describe the operations
 * Perform Maintenance (0600h, cmd-maint.c) runs.
 */
#include <string.h>

#include "cci/cmd.h"
#include "cci/feat.h"
#include "cci/generic.h"
#include "cci/memdev.h"

/*
 * Feature versions: 1 for scrub, ECS and memory sparing; 3 for the PPR
 * features, whose layout (PPR Flags bits 2-3, PPR Operation Mode) is the
 * third revision (the versions QEMU and Linux use).
 */
#define FEAT_VERSION 1u
#define PPR_VERSION 3u
#define FEAT_EFFECTS (CCI_EFF_IMMEDIATE_CONFIG_CHANGE | CCI_EFF_CEL_11_10_VALID)

struct feat_desc {
	uint8_t uuid[16];
	enum core_feature id;
	uint16_t get_size, set_size;
	/*
	 * Minimum Feature Data Size (CXL r3.2 §8.2.10.6.3): shorter data, down
	 * to it, is taken with the rest 0.  "For features where no fields are
	 * identified, all the fields in the feature data are to be included",
	 * and none of the eight features served here identifies one (Tables
	 * 8-129, 8-132, 8-135, 8-223, 8-226), so each one's is its Set Feature
	 * Size.
	 */
	uint16_t set_min;
	uint8_t version;                /* Get and Set Feature Version */
	uint32_t attrs;                 /* Attribute Flags (CCI_FEAT_*) */
	/*
	 * Readable attributes of v on a device of configuration cfg; writable
	 * attributes over v (-EINVAL: not allowed).
	 */
	int (*enc)(const struct feat_desc *d, const struct cxldcd_dev_cfg *cfg, struct wwr *w,
		   const struct core_features *v);
	int (*dec)(const struct feat_desc *d, const uint8_t *p, size_t len,
		   struct core_features *v);
};

/*
 * COMPAT: no realtime report capability (QEMU sets it for both features):
 * cxldcd logs no scrub or ECS events.
 */
static int enc_scrub(const struct feat_desc *d, const struct cxldcd_dev_cfg *cfg, struct wwr *w,
		      const struct core_features *v)
{
	struct cci_scrub_rd a = {
		.caps = CCI_SCRUB_CAP_CHANGEABLE,
		.cycle_h = v->scrub.cycle_h,
		.min_cycle_h = CORE_SCRUB_MIN_CYCLE_H,
		.flags = v->scrub.enabled ? CCI_SCRUB_ENABLED : 0,
	};

	(void)d;
	(void)cfg;
	return cci_enc_scrub_rd(w, &a);
}

static int dec_scrub(const struct feat_desc *d, const uint8_t *p, size_t len,
		     struct core_features *v)
{
	struct cci_scrub_wr a;
	int err = cci_dec_scrub_wr(p, len, &a);

	(void)d;
	v->scrub.cycle_h = a.cycle_h;
	v->scrub.enabled = (a.flags & CCI_SCRUB_ENABLED) != 0;
	return err;
}

static int enc_ecs(const struct feat_desc *d, const struct cxldcd_dev_cfg *cfg, struct wwr *w,
		    const struct core_features *v)
{
	struct cci_ecs_rd a = { .log_caps = v->ecs.log_entry_type, .nr_frus = CORE_ECS_FRUS };

	(void)d;
	(void)cfg;
	for (uint32_t i = 0; i < CORE_ECS_FRUS; i++) {
		uint16_t mode = v->ecs.count_codewords[i] ? CCI_ECS_MODE_CODEWORDS : 0;

		a.fru[i].config = (uint16_t)(v->ecs.threshold[i] | mode);
	}
	return cci_enc_ecs_rd(w, &a);
}

/*
 * The ECS Log Capabilities and each FRU's threshold and mode are taken; the
 * model rejects reserved values.  COMPAT: Reset ECS Counter is accepted and
 * not kept (there is no counter, and it reads back 0; QEMU stores the bit).
 */
static int dec_ecs(const struct feat_desc *d, const uint8_t *p, size_t len,
		   struct core_features *v)
{
	struct cci_ecs_wr a;
	int err = cci_dec_ecs_wr(p, len, CORE_ECS_FRUS, &a);

	(void)d;
	v->ecs.log_entry_type = a.log_caps & CCI_ECS_LOG_TYPE_MASK;
	for (uint32_t i = 0; i < CORE_ECS_FRUS; i++) {
		v->ecs.threshold[i] = (uint8_t)(a.config[i] & CCI_ECS_THRESHOLD_MASK);
		v->ecs.count_codewords[i] = (a.config[i] & CCI_ECS_MODE_CODEWORDS) != 0;
	}
	return err;
}

/*
 * Repair features: no device-initiated repair, DPA and nibble mask
 * supported (PPR), no Memory Sparing Event Records, no repair at boot;
 * Restriction Flags 0 (media accessible and data retained during a repair:
 * the model has nothing to take offline), and soft and hard sparing both
 * supported.  Maximum Maintenance Operation Latency (CXL r3.2 Table 8-126:
 * bits 3:0 the time scale, 5h = 100 ms; bits 7:4 the latency in that
 * scale): 05h, none, for PPR, which completes at once (QEMU's value); 15h,
 * 100 ms, for memory sparing, the time its background operation takes
 * (CORE_SPARING_MS, maint.c), or 05h on a device whose maintenance
 * completes at once (cfg->maint_at_once, COMPAT: Linux).
 */
#define PPR_MAX_LATENCY 0x05u
#define SPARING_MAX_LATENCY 0x15u
_Static_assert(CORE_SPARING_MS == 100u, "SPARING_MAX_LATENCY says 1 x 100 ms");
#define CLASS_PPR 1u
#define CLASS_SPARING 2u

static bool is_ppr(const struct feat_desc *d)
{
	return d->id == CORE_FEAT_SPPR || d->id == CORE_FEAT_HPPR;
}

static int enc_repair(const struct feat_desc *d, const struct cxldcd_dev_cfg *cfg, struct wwr *w,
		       const struct core_features *v)
{
	const struct core_repair_mode *m = &v->repair[d->id - CORE_FEAT_SPPR];
	bool ppr = is_ppr(d);
	enum core_feature first = ppr ? CORE_FEAT_SPPR : CORE_FEAT_SPARE_CACHELINE;
	struct cci_repair_rd a = {
		.ppr = ppr,
		.max_latency = ppr || cfg->maint_at_once ? PPR_MAX_LATENCY : SPARING_MAX_LATENCY,
		.op_mode = m->dev_initiated ? CCI_REPAIR_DEV_INITIATED : 0,
		.op_class = ppr ? CLASS_PPR : CLASS_SPARING,
		.op_subclass = (uint8_t)(d->id - first),
		.ppr_flags = CCI_PPR_DPA | CCI_PPR_NIBBLE,
		.restriction = ppr ? 0 : CCI_SPARING_HARD | CCI_SPARING_SOFT,
		.ppr_op_mode = (uint8_t)((m->sparing_events ? CCI_PPR_MODE_SPARING_EVENTS : 0) |
					 (m->at_boot ? CCI_PPR_MODE_AT_BOOT : 0)),
	};

	return cci_enc_repair_rd(w, &a);
}

/* Operation Mode bits 15:1 and PPR Operation Mode bits 7:2 are reserved: ignored. */
static int dec_repair(const struct feat_desc *d, const uint8_t *p, size_t len,
		      struct core_features *v)
{
	struct cci_repair_wr a = { .ppr = is_ppr(d) };
	int err = cci_dec_repair_wr(p, len, &a);

	v->repair[d->id - CORE_FEAT_SPPR] = (struct core_repair_mode){
		.dev_initiated = (a.op_mode & CCI_REPAIR_DEV_INITIATED) != 0,
		.sparing_events = (a.ppr_op_mode & CCI_PPR_MODE_SPARING_EVENTS) != 0,
		.at_boot = (a.ppr_op_mode & CCI_PPR_MODE_AT_BOOT) != 0,
	};
	return err;
}

/*
 * Attribute Flags, as CXL r3.2 fixes or allows them per feature:
 * - scrub and ECS (Tables 8-221, 8-224): changeable, Deepest Reset
 *   Persistence 000b (any reset restores the default), Default Selection
 *   supported, Saved Selection not: 21h;
 * - sPPR, hPPR (Tables 8-127, 8-130): Saved Selection is the vendor's choice,
 *   and with it the persistence is 010b (hot reset): 65h;
 * - memory sparing (Table 8-133): persistence 000b, Saved Selection the
 *   vendor's choice: 61h.
 * COMPAT: QEMU reports 01h for scrub and ECS, 21h for the repair features.
 */
#define ATTRS_FIXED (CCI_FEAT_CHANGEABLE | CCI_FEAT_DEFAULT_SEL)
#define ATTRS_PPR                                                                          \
	(ATTRS_FIXED | CCI_FEAT_SAVED_SEL | CCI_FEAT_RESET_PERSIST(CCI_FEAT_PERSIST_HOT_RESET))
#define ATTRS_SPARING (ATTRS_FIXED | CCI_FEAT_SAVED_SEL)

#define PPR_FEAT(uuid, id)                                                                 \
	{ uuid, id, CCI_PPR_RD_SIZE, CCI_PPR_WR_SIZE, CCI_PPR_WR_SIZE, PPR_VERSION, ATTRS_PPR, \
	  enc_repair, dec_repair }
#define SPARING_FEAT(uuid, id)                                                             \
	{ uuid, id, CCI_SPARING_RD_SIZE, CCI_SPARING_WR_SIZE, CCI_SPARING_WR_SIZE,           \
	  FEAT_VERSION, ATTRS_SPARING, enc_repair, dec_repair }

static const struct feat_desc features[] = {
	{ CCI_PATROL_SCRUB_UUID, CORE_FEAT_PATROL_SCRUB, CCI_SCRUB_RD_SIZE, CCI_SCRUB_WR_SIZE,
	  CCI_SCRUB_WR_SIZE, FEAT_VERSION, ATTRS_FIXED, enc_scrub, dec_scrub },
	{ CCI_ECS_UUID, CORE_FEAT_ECS, CCI_ECS_RD_SIZE(CORE_ECS_FRUS),
	  CCI_ECS_WR_SIZE(CORE_ECS_FRUS), CCI_ECS_WR_SIZE(CORE_ECS_FRUS), FEAT_VERSION,
	  ATTRS_FIXED, enc_ecs, dec_ecs },
	PPR_FEAT(CCI_SPPR_UUID, CORE_FEAT_SPPR),
	PPR_FEAT(CCI_HPPR_UUID, CORE_FEAT_HPPR),
	SPARING_FEAT(CCI_CACHELINE_SPARING_UUID, CORE_FEAT_SPARE_CACHELINE),
	SPARING_FEAT(CCI_ROW_SPARING_UUID, CORE_FEAT_SPARE_ROW),
	SPARING_FEAT(CCI_BANK_SPARING_UUID, CORE_FEAT_SPARE_BANK),
	SPARING_FEAT(CCI_RANK_SPARING_UUID, CORE_FEAT_SPARE_RANK),
};
#define NR_FEATURES ((uint16_t)(sizeof(features) / sizeof(features[0])))
_Static_assert(CORE_ECS_FRUS <= CCI_ECS_FRUS_MAX, "ECS FRUs fit the codec");
_Static_assert(CCI_ECS_WR_SIZE(CORE_ECS_FRUS) <= CORE_FEAT_DATA_MAX, "set data fits the model");

static const struct feat_desc *find(const uint8_t uuid[16])
{
	for (uint16_t i = 0; i < NR_FEATURES; i++)
		if (!memcmp(features[i].uuid, uuid, 16))
			return &features[i];
	return NULL;
}

/*
 * Get Supported Features: Count below the 8-byte header, or a Starting
 * Feature Index greater than Device Supported Features (CXL r3.1
 * §8.2.9.6.1: "greater than"; an index equal to it returns the header and
 * no entry): Invalid Input.  COMPAT: QEMU also refuses the equal index.
 * Entries: as many as Count asks for and the response holds.
 */
enum cxldcd_rc cci_cmd_get_supp_features(struct cci_call *c)
{
	struct cci_get_supp_features_in in;
	uint32_t n;
	int err = cci_dec_get_supp_features_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	if (in.count < CCI_SUPP_FEATURES_HDR || in.start_index > NR_FEATURES)
		return CXLDCD_RC_INVALID_INPUT;
	n = min_u32((in.count - CCI_SUPP_FEATURES_HDR) / CCI_FEAT_ENTRY_SIZE,
		    (uint32_t)(NR_FEATURES - in.start_index));
	n = min_u32(n, cci_fit(c->out, CCI_SUPP_FEATURES_HDR, CCI_FEAT_ENTRY_SIZE));
	cci_enc_supp_features_hdr(c->out, (uint16_t)n, NR_FEATURES);
	for (uint32_t i = 0; i < n; i++) {
		const struct feat_desc *d = &features[in.start_index + i];
		struct cci_feat_entry e = {
			.index = (uint16_t)(in.start_index + i),
			.get_size = d->get_size,
			.set_size = d->set_size,
			.attr_flags = d->attrs,
			.get_version = d->version,
			.set_version = d->version,
			.effects = FEAT_EFFECTS,
		};

		memcpy(e.uuid, d->uuid, 16);
		cci_enc_feat_entry(c->out, &e);
	}
	return CXLDCD_RC_SUCCESS;
}

/* Whether the feature's entry offers Get Feature selection sel. */
static bool selectable(const struct feat_desc *d, uint8_t sel)
{
	if (sel == CORE_FEAT_CURRENT)
		return true;
	if (sel == CORE_FEAT_DEFAULT)
		return (d->attrs & CCI_FEAT_DEFAULT_SEL) != 0;
	return sel == CORE_FEAT_SAVED && (d->attrs & CCI_FEAT_SAVED_SEL) != 0;
}

/*
 * Get Feature: unknown identifier: Unsupported; a Selection other than
 * current, default or saved, or one the feature's Attribute Flags do not
 * offer (saved, for scrub and ECS): Unsupported Feature Selection Value; Offset at
 * or past the Get Feature Size: Invalid Input.  Returns min(Count, size -
 * Offset) bytes.  COMPAT: a feature in the middle of a Set Feature transfer
 * still reads its current value (QEMU answers Feature Transfer in Progress).
 */
enum cxldcd_rc cci_cmd_get_feature(struct cci_call *c)
{
	struct cci_get_feature_in in;
	const struct feat_desc *d;
	struct core_features v;
	uint8_t buf[CCI_ECS_RD_SIZE(CCI_ECS_FRUS_MAX)];
	struct wwr w;
	uint32_t n;
	int err = cci_dec_get_feature_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	d = find(in.uuid);
	if (!d)
		return CXLDCD_RC_UNSUPPORTED;
	if (!selectable(d, in.selection))
		return CXLDCD_RC_UNSUPPORTED_FEATURE_SELECTION;
	if (in.offset >= d->get_size)
		return CXLDCD_RC_INVALID_INPUT;
	core_features_get(c->dev, (enum core_feat_sel)in.selection, &v);
	wwr_init(&w, buf, sizeof(buf));
	if (d->enc(d, core_dev_cfg(c->dev), &w, &v) || w.off != d->get_size)
		return CXLDCD_RC_INTERNAL_ERROR;
	n = min_u32(in.count, (uint32_t)(d->get_size - in.offset));
	if (n > wwr_left(c->out))
		n = (uint32_t)wwr_left(c->out);
	wwr_bytes(c->out, buf + in.offset, n);
	return CXLDCD_RC_SUCCESS;
}

/*
 * Set Feature: unknown identifier: Unsupported; a Set Feature Version other
 * than the feature's: Unsupported Feature Version (COMPAT: QEMU says
 * Unsupported); a
 * reserved data transfer action: Invalid Input.  The transfer rules are the
 * model's (core_feat_xfer_check()).  Once the data is complete (Full, or
 * Finish) it is applied, and saved too if the Full or the Initiate had Saved
 * Across Reset (the flag of Continue and Finish is ignored) and the feature
 * has a saved selection (scrub and ECS have none: their Deepest
 * Reset Persistence is None, so the flag is ignored); a value out of range
 * fails the part that completes it and leaves the transfer open.
 */
enum cxldcd_rc cci_cmd_set_feature(struct cci_call *c)
{
	struct cci_set_feature_in in;
	const struct feat_desc *d;
	struct core_feat_part part;
	struct core_features v;
	uint8_t whole[CORE_FEAT_DATA_MAX];
	uint32_t action;
	bool complete, save;
	enum cxldcd_rc rc;
	int err = cci_dec_set_feature_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	d = find(in.uuid);
	if (!d)
		return CXLDCD_RC_UNSUPPORTED;
	if (in.version != d->version)
		return CXLDCD_RC_UNSUPPORTED_FEATURE_VERSION;
	action = in.flags & CCI_SET_FEAT_ACTION_MASK;
	if (action > CORE_FEAT_ABORT)
		return CXLDCD_RC_INVALID_INPUT;
	part = (struct core_feat_part){ .owner = c->owner, .feature = d->id,
					.action = (enum core_feat_action)action,
					.offset = in.offset, .data = in.data, .len = in.data_len,
					.size = d->set_size, .min_size = d->set_min,
					.save = in.flags & CCI_SET_FEAT_SAVED };
	rc = core_feat_xfer_check(c->dev, &part, whole, &complete, &save, &c->ctx->diag);
	if (rc != CXLDCD_RC_SUCCESS)
		return rc;
	if (complete) {
		core_features_get(c->dev, CORE_FEAT_CURRENT, &v);
		if (d->dec(d, whole, d->set_size, &v))
			return CXLDCD_RC_INVALID_INPUT;
		rc = core_features_set(c->dev, d->id, &v, save && (d->attrs & CCI_FEAT_SAVED_SEL),
				       &c->ctx->diag);
		if (rc != CXLDCD_RC_SUCCESS)
			return rc;
	}
	core_feat_xfer_commit(c->dev, &part);
	return CXLDCD_RC_SUCCESS;
}
