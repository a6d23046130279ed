/* SPDX-License-Identifier: MIT */
/*
 * memdev.c - memory-device state that is not capacity: the timestamp
 * (0300h/0301h), the Label Storage Area (4102h/4103h) and the alert
 * configuration (4201h/4202h), CXL r3.2 §8.2.10.4 and §8.2.10.9.
 * The timestamp and the alert configuration are each LD's own (a host's
 * mailbox, or the Type 3 MCTP CCI): CXL r3.2 §2.4 has each LD operate as a
 * Type 3 device and §2.5 requires per-LD isolation of state.  The LSA
 * describes the static capacity, one for the hosts that reach it.
 *
 * Time comes from core_dev_set_time(): a set timestamp advances with it.
 * The LSA is cfg.lsa_size bytes of zeros until written; it is allocated on
 * the first write (a device that is never labelled costs nothing).  Every
 * write is told to the lsa_written observers (the daemon keeps a file-backed
 * LSA in its file, as QEMU does).
 */
#include "core/model.h"


/* Life used 100%, over 85 C, under -10 C: fixed critical thresholds. */
const struct core_alert_cfg memdev_alert_default = {
	.life_used_crit = 100,
	.over_temp_crit = 85,
	.under_temp_crit = (uint16_t)-10,
};

void memdev_fini(struct cxldcd_dev *dev)
{
	if (!dev->memdev)
		return;
	core_free(dev, dev->memdev->lsa);
	core_free(dev, dev->memdev->ld);
	core_free(dev, dev->memdev);
	dev->memdev = NULL;
}

struct memdev_state *memdev_state_get(struct cxldcd_dev *dev)
{
	struct memdev_state *m = dev->memdev;

	if (m)
		return m;
	m = core_zalloc(dev, sizeof(*m));
	if (m)
		m->ld = core_zalloc(dev, MEMDEV_LDS(dev) * sizeof(*m->ld));
	if (!m || !m->ld) {
		if (m)
			core_free(dev, m);
		return NULL;
	}
	for (uint32_t i = 0; i < MEMDEV_LDS(dev); i++)
		m->ld[i].alert = memdev_alert_default;
	dev->memdev = m;
	return m;
}

static const struct memdev_ld *ld_of(const struct cxldcd_dev *dev, uint16_t owner)
{
	return dev->memdev ? &dev->memdev->ld[memdev_ld_of(dev, owner)] : NULL;
}

uint64_t core_timestamp_get(const struct cxldcd_dev *dev, uint16_t owner)
{
	const struct memdev_ld *l = ld_of(dev, owner);

	if (!l || !l->ts_set)
		return 0;
	return l->ts_value + (dev->now > l->ts_at ? dev->now - l->ts_at : 0);
}

enum cxldcd_rc core_timestamp_set(struct cxldcd_dev *dev, uint16_t owner, uint64_t ts_ns)
{
	struct memdev_state *m = memdev_state_get(dev);
	struct memdev_ld *l;

	if (!m)
		return CXLDCD_RC_INTERNAL_ERROR;
	l = &m->ld[memdev_ld_of(dev, owner)];
	l->ts_set = true;
	l->ts_value = ts_ns;
	l->ts_at = dev->now;
	return CXLDCD_RC_SUCCESS;
}

/* The labels describe the static capacity: a host that has none (static-host=N) has no LSA. */
uint32_t core_lsa_size_of(const struct cxldcd_dev *dev, uint16_t owner)
{
	if (dev->cfg.static_host_only && !core_static_capacity_of(dev, owner))
		return 0;
	return dev->cfg.lsa_size;
}

static enum cxldcd_rc lsa_check(const struct cxldcd_dev *dev, uint16_t owner, uint32_t offset,
				uint32_t len, struct cxldcd_diag *diag)
{
	uint32_t size = core_lsa_size_of(dev, owner);

	if (offset > size || len > size - offset)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "offset=0x%x len=0x%x beyond lsa_size=0x%x", offset, len, size);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc core_lsa_read(const struct cxldcd_dev *dev, uint16_t owner, uint32_t offset,
			     uint32_t len, uint8_t *out, struct cxldcd_diag *diag)
{
	enum cxldcd_rc rc = lsa_check(dev, owner, offset, len, diag);

	if (rc != CXLDCD_RC_SUCCESS)
		return rc;
	if (dev->memdev && dev->memdev->lsa)
		memcpy(out, dev->memdev->lsa + offset, len);
	else
		memset(out, 0, len);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc core_lsa_write(struct cxldcd_dev *dev, uint16_t owner, uint32_t offset,
			      uint32_t len, const uint8_t *data, struct cxldcd_diag *diag)
{
	enum cxldcd_rc rc = lsa_check(dev, owner, offset, len, diag);
	struct memdev_state *m;
	bool fresh;

	if (rc != CXLDCD_RC_SUCCESS)
		return rc;
	fresh = !dev->memdev;
	m = memdev_state_get(dev);
	if (m && !m->lsa)
		m->lsa = core_zalloc(dev, dev->cfg.lsa_size ? dev->cfg.lsa_size : 1);
	if (!m || !m->lsa) {
		if (fresh)      /* leave no trace (snapshots) */
			memdev_fini(dev);
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	}
	memcpy(m->lsa + offset, data, len);
	for (uint32_t i = 0; i < dev->nr_obs; i++)
		if (dev->obs[i].ops->lsa_written)
			dev->obs[i].ops->lsa_written(dev->obs[i].opaque, offset, len, data);
	return CXLDCD_RC_SUCCESS;
}

void core_alert_get(const struct cxldcd_dev *dev, uint16_t owner, struct core_alert_cfg *out)
{
	const struct memdev_ld *l = ld_of(dev, owner);

	*out = l ? l->alert : memdev_alert_default;
}

/*
 * Set Alert Configuration: for each alert whose bit is set in valid, enable
 * takes the bit's value and, when enabling, the warning threshold.  A life
 * used warning at or above the critical threshold, or a temperature warning
 * beyond its critical one, is Invalid Input (nothing changes).
 */
enum cxldcd_rc core_alert_set(struct cxldcd_dev *dev, uint16_t owner, uint8_t valid,
			      uint8_t enable, const struct core_alert_cfg *thr,
			      struct cxldcd_diag *diag)
{
	struct core_alert_cfg a, *to;
	struct memdev_state *m;
	uint8_t on = valid & enable;

	core_alert_get(dev, owner, &a);
	if ((on & CORE_ALERT_LIFE_USED) && thr->life_used_warn >= a.life_used_crit)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "life_used_warn=%u not below critical=%u", thr->life_used_warn,
				 a.life_used_crit);
	if ((on & CORE_ALERT_OVER_TEMP) && (int16_t)thr->over_temp_warn >= (int16_t)a.over_temp_crit)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "over_temp_warn=%d not below critical=%d", (int16_t)thr->over_temp_warn,
				 (int16_t)a.over_temp_crit);
	if ((on & CORE_ALERT_UNDER_TEMP) &&
	    (int16_t)thr->under_temp_warn <= (int16_t)a.under_temp_crit)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "under_temp_warn=%d not above critical=%d",
				 (int16_t)thr->under_temp_warn, (int16_t)a.under_temp_crit);
	m = memdev_state_get(dev);
	if (!m)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	to = &m->ld[memdev_ld_of(dev, owner)].alert;
	valid &= CORE_ALERT_ALL;
	to->enabled = (uint8_t)((to->enabled & ~valid) | on);
	if (on & CORE_ALERT_LIFE_USED)
		to->life_used_warn = thr->life_used_warn;
	if (on & CORE_ALERT_OVER_TEMP)
		to->over_temp_warn = thr->over_temp_warn;
	if (on & CORE_ALERT_UNDER_TEMP)
		to->under_temp_warn = thr->under_temp_warn;
	if (on & CORE_ALERT_CORR_VOLATILE)
		to->corr_volatile_warn = thr->corr_volatile_warn;
	if (on & CORE_ALERT_CORR_PERSISTENT)
		to->corr_persistent_warn = thr->corr_persistent_warn;
	return CXLDCD_RC_SUCCESS;
}
