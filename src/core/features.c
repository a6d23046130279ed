/* SPDX-License-Identifier: MIT */
/*
 * features.c - the device's settable features (CXL r3.2 §8.2.10.6 and
 * §8.2.10.9.11): patrol scrub control and DDR5 ECS control, and each LD's
 * Set Feature data transfer sent in parts (one per host mailbox and one for
 * the MCTP CCI: CXL r3.2 §2.5 asks per-LD isolation of state and context, so
 * one host's open transfer never blocks another's); and the settings of the
 * repair features (soft/hard PPR, memory sparing, §8.2.10.7.2), whose
 * repairs maint.c performs.
 *
 * Each feature has three values (Get Feature Selection): the default, fixed
 * here; the current one, which Set Feature changes; and the saved one, the
 * value the device would come back with after a reset, which Set Feature
 * changes when its Saved Across Reset flag is set.  cxldcd models no reset,
 * so the saved value is only reported.  The settings are bookkeeping: there
 * is no media to scrub, and no ECS counter ever moves.
 *
 * What this is not: the Feature data layouts (src/cci/codec-features.c) or
 * the list of features with their sizes and versions (src/cci/cmd-features.c).
 */
#include "core/model.h"

static const struct core_features feat_default = {
	.scrub = { .cycle_h = CORE_SCRUB_DEFAULT_CYCLE_H, .enabled = false },
	.ecs = {
		.log_entry_type = CORE_ECS_LOG_PER_FRU,
		.threshold = { CORE_ECS_THRESHOLD_256, CORE_ECS_THRESHOLD_256,
			       CORE_ECS_THRESHOLD_256 },
	},
};
_Static_assert(CORE_ECS_FRUS == 3, "feat_default lists one threshold per FRU");

void core_features_get(const struct cxldcd_dev *dev, enum core_feat_sel sel,
		       struct core_features *out)
{
	const struct feat_state *s = &dev->feat;

	if (sel == CORE_FEAT_DEFAULT || !s->set)
		*out = feat_default;
	else
		*out = sel == CORE_FEAT_SAVED ? s->saved : s->cur;
}

static bool threshold_ok(uint8_t t)
{
	return t == CORE_ECS_THRESHOLD_256 || t == CORE_ECS_THRESHOLD_1024 ||
	       t == CORE_ECS_THRESHOLD_4096;
}

/* Each setting needs a capability the repair features do not advertise. */
static enum cxldcd_rc repair_validate(const struct core_repair_mode *m, struct cxldcd_diag *diag)
{
	if (m->dev_initiated || m->sparing_events || m->at_boot)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "dev_initiated=%d sparing_events=%d at_boot=%d: not supported",
				 m->dev_initiated, m->sparing_events, m->at_boot);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc feat_validate(enum core_feature f, const struct core_features *v,
			     struct cxldcd_diag *diag)
{
	switch (f) {
	case CORE_FEAT_PATROL_SCRUB:
		if (v->scrub.cycle_h < CORE_SCRUB_MIN_CYCLE_H)
			return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
					 "scrub_cycle=%u below the minimum of %u hours",
					 v->scrub.cycle_h, CORE_SCRUB_MIN_CYCLE_H);
		return CXLDCD_RC_SUCCESS;
	case CORE_FEAT_SPPR:
	case CORE_FEAT_HPPR:
	case CORE_FEAT_SPARE_CACHELINE:
	case CORE_FEAT_SPARE_ROW:
	case CORE_FEAT_SPARE_BANK:
	case CORE_FEAT_SPARE_RANK:
		return repair_validate(&v->repair[f - CORE_FEAT_SPPR], diag);
	case CORE_FEAT_ECS:
		if (v->ecs.log_entry_type > CORE_ECS_LOG_PER_FRU)
			return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
					 "ecs log_entry_type=%u reserved", v->ecs.log_entry_type);
		for (uint32_t i = 0; i < CORE_ECS_FRUS; i++)
			if (!threshold_ok(v->ecs.threshold[i]))
				return core_diag(diag, CXLDCD_RC_INVALID_INPUT, (int32_t)i,
						 "ecs fru=%u threshold_count=%u reserved", i,
						 v->ecs.threshold[i]);
		return CXLDCD_RC_SUCCESS;
	case CORE_NR_FEATURES:
		break;
	}
	return core_diag(diag, CXLDCD_RC_UNSUPPORTED, -1, "feature=%d unknown", (int)f);
}

static void copy_part(enum core_feature f, struct core_features *dst,
		      const struct core_features *src)
{
	if (f == CORE_FEAT_PATROL_SCRUB)
		dst->scrub = src->scrub;
	else if (f == CORE_FEAT_ECS)
		dst->ecs = src->ecs;
	else
		dst->repair[f - CORE_FEAT_SPPR] = src->repair[f - CORE_FEAT_SPPR];
}

enum cxldcd_rc core_features_set(struct cxldcd_dev *dev, enum core_feature f,
				 const struct core_features *v, bool save, struct cxldcd_diag *diag)
{
	struct feat_state *s = &dev->feat;
	enum cxldcd_rc rc = feat_validate(f, v, diag);

	if (rc != CXLDCD_RC_SUCCESS)
		return rc;
	if (!s->set) {
		s->cur = feat_default;
		s->saved = feat_default;
		s->set = true;
	}
	copy_part(f, &s->cur, v);
	if (save)
		copy_part(f, &s->saved, v);
	return CXLDCD_RC_SUCCESS;
}

/* ------------------------------------------------------------ data transfer */

int feat_init(struct cxldcd_dev *dev)
{
	dev->feat.xfer = core_zalloc(dev, sizeof(*dev->feat.xfer) * MEMDEV_LDS(dev));
	return dev->feat.xfer ? 0 : -ENOMEM;
}

void feat_fini(struct cxldcd_dev *dev)
{
	core_free(dev, dev->feat.xfer);
	dev->feat.xfer = NULL;
}

/* The transfer of owner's LD: each LD has its own (CXL r3.2 §2.5). */
static struct feat_xfer *xfer_of(const struct cxldcd_dev *dev, uint16_t owner)
{
	return &dev->feat.xfer[memdev_ld_of(dev, owner)];
}

/* The transfer state a part may act on: in progress, out of order, or fine. */
static enum cxldcd_rc check_order(const struct feat_xfer *x, const struct core_feat_part *p,
				  struct cxldcd_diag *diag)
{
	bool begins = p->action == CORE_FEAT_FULL || p->action == CORE_FEAT_INITIATE;

	if (x->open && (begins || x->feature != (uint8_t)p->feature))
		return core_diag(diag, CXLDCD_RC_FEATURE_TRANSFER_IN_PROGRESS, -1,
				 "owner=%u has a transfer of feature=%u in progress", p->owner,
				 x->feature);
	/* Abort "for a Feature whose data has been fully transferred": Invalid Input
	 * (CXL r3.1 §8.2.9.6.3, r3.2 §8.2.10.6.3). */
	if (p->action == CORE_FEAT_ABORT && !x->open)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "abort with no transfer initiated");
	if (!begins && !x->open)
		return core_diag(diag, CXLDCD_RC_FEATURE_TRANSFER_OUT_OF_ORDER, -1,
				 "action=%d with no transfer initiated", (int)p->action);
	/* A Full transfer's Offset "is not used and shall be ignored". */
	if (p->action == CORE_FEAT_INITIATE && p->offset != 0)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "offset=0x%x: a transfer begins at 0", p->offset);
	if (!begins && p->action != CORE_FEAT_ABORT && p->offset != x->got)
		return core_diag(diag, CXLDCD_RC_FEATURE_TRANSFER_OUT_OF_ORDER, -1,
				 "offset=0x%x but 0x%x bytes received", p->offset, x->got);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc core_feat_xfer_check(const struct cxldcd_dev *dev, const struct core_feat_part *p,
				    uint8_t whole[CORE_FEAT_DATA_MAX], bool *complete, bool *save,
				    struct cxldcd_diag *diag)
{
	const struct feat_xfer *x = xfer_of(dev, p->owner);
	bool completes = p->action == CORE_FEAT_FULL || p->action == CORE_FEAT_FINISH;
	bool begins = p->action == CORE_FEAT_FULL || p->action == CORE_FEAT_INITIATE;
	uint32_t got = begins ? 0 : x->got;
	uint32_t min = p->min_size && p->min_size < p->size ? p->min_size : p->size;
	enum cxldcd_rc rc;

	*complete = false;
	*save = false;
	if (p->size == 0 || p->size > CORE_FEAT_DATA_MAX || (unsigned)p->action > CORE_FEAT_ABORT)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "size=%u action=%d", p->size,
				 (int)p->action);
	rc = check_order(x, p, diag);
	if (rc != CXLDCD_RC_SUCCESS || p->action == CORE_FEAT_ABORT)
		return rc;
	/* Offset plus data beyond the Set Feature Size: Invalid Input (same section). */
	if (p->len > (uint32_t)p->size - got)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "offset=0x%x len=0x%x beyond set_feature_size=0x%x", got, p->len,
				 p->size);
	/*
	 * "If a component receives an input payload that is less than the size
	 * of the structure it has implemented, but is greater than or equal to
	 * the Minimum Feature Data Size ..., then it shall treat the unsent
	 * portion of the structure as 0" (CXL r3.2 §8.2.10.6.3).  Below the
	 * minimum the data is incomplete: Invalid Payload Length.
	 */
	if (completes && got + p->len < min)
		return core_diag(diag, CXLDCD_RC_INVALID_PAYLOAD_LENGTH, -1,
				 "0x%x bytes, minimum_feature_data_size=0x%x", got + p->len, min);
	if (completes) {
		memcpy(whole, x->buf, got);
		if (p->len)
			memcpy(whole + got, p->data, p->len);
		memset(whole + got + p->len, 0, p->size - got - p->len);
		*complete = true;
		*save = begins ? p->save : x->save;
	}
	return CXLDCD_RC_SUCCESS;
}

void core_feat_xfer_commit(struct cxldcd_dev *dev, const struct core_feat_part *p)
{
	struct feat_xfer *x = xfer_of(dev, p->owner);

	if (p->action != CORE_FEAT_INITIATE && p->action != CORE_FEAT_CONTINUE) {
		*x = (struct feat_xfer){ 0 };   /* Full, Finish (applied by the caller), Abort */
		return;
	}
	if (p->action == CORE_FEAT_INITIATE)
		*x = (struct feat_xfer){ .open = true, .feature = (uint8_t)p->feature,
					 .size = p->size, .save = p->save };
	if (p->len)
		memcpy(x->buf + x->got, p->data, p->len);
	x->got = (uint16_t)(x->got + p->len);
}

bool core_feat_xfer_active(const struct cxldcd_dev *dev, uint16_t owner, enum core_feature *f)
{
	const struct feat_xfer *x = xfer_of(dev, owner);

	if (f)
		*f = (enum core_feature)x->feature;
	return x->open;
}

bool feat_xfer_ok(const struct feat_xfer *x)
{
	if (!x->open)
		return !x->feature && !x->got && !x->size && !x->save;
	return x->feature < CORE_NR_FEATURES && x->size && x->size <= CORE_FEAT_DATA_MAX &&
	       x->got <= x->size;
}

bool feat_consistent(const struct cxldcd_dev *dev)
{
	const struct feat_state *s = &dev->feat;

	for (int f = 0; s->set && f < CORE_NR_FEATURES; f++)
		if (feat_validate((enum core_feature)f, &s->cur, NULL) ||
		    feat_validate((enum core_feature)f, &s->saved, NULL))
			return false;
	for (uint32_t i = 0; i < MEMDEV_LDS(dev); i++)
		if (!feat_xfer_ok(&s->xfer[i]))
			return false;
	return true;
}
