/* SPDX-License-Identifier: MIT */
/*
 * ras.c - the CXL RAS Capability Structure of each host's device (CXL r3.2
 * §8.2.4.17): uncorrectable and correctable error status, mask and
 * severity, Error Capability and Control (First Error Pointer) and the
 * Header Log, as the host reads and writes them, and the errors QMP injects
 * into them (QEMU's cxl-inject-uncorrectable-errors and
 * cxl-inject-correctable-error).
 *
 * One structure per host, not per device: each host sees its own device
 * (its LD) and clears what it has handled without touching another host's
 * view.  Uncorrectable errors are kept as an ordered list of records, each
 * with its own header log, as QEMU models Multiple Header Recording: the
 * status register is the OR of the records' bits, the First Error Pointer
 * and the Header Log show the oldest record.  What it is not: PCIe AER
 * registers (the ras_error observer is the AER message) or a snapshot
 * member (the registers are volatile across a daemon restart).
 */
#include "core/model.h"

/* One recorded uncorrectable error. */
struct ras_rec {
	uint8_t bit;
	uint32_t header[CXLDCD_RAS_HEADER_DWORDS];
};

struct ras {
	uint32_t unc_mask, unc_severity, cor_status, cor_mask, cap_ctrl;
	uint32_t header_log[CXLDCD_RAS_HEADER_DWORDS];
	struct ras_rec rec[CORE_RAS_QUEUE_MAX];
	uint32_t nr;                /* records, oldest first */
};

void ras_fini(struct cxldcd_dev *dev)
{
	for (uint16_t h = 0; dev->ras && h < dev->cfg.nr_hosts; h++)
		core_free(dev, dev->ras[h]);
	core_free(dev, dev->ras);
	dev->ras = NULL;
}

/* Reset values: every error masked (RWS default 1, as QEMU), FEP 0. */
static void ras_reset(struct ras *r)
{
	*r = (struct ras){
		.unc_mask = CXLDCD_RAS_UNC_BITS,
		.unc_severity = CXLDCD_RAS_UNC_BITS,
		.cor_mask = CXLDCD_RAS_COR_BITS,
		.cap_ctrl = CXLDCD_RAS_MULTI_HEADER,
	};
}

/* A host's registers, made on first use; NULL: out of memory. */
static struct ras *slot(struct cxldcd_dev *dev, uint16_t host)
{
	bool fresh = !dev->ras;

	if (fresh)
		dev->ras = core_zalloc(dev, sizeof(*dev->ras) * dev->cfg.nr_hosts);
	if (dev->ras && !dev->ras[host]) {
		dev->ras[host] = core_zalloc(dev, sizeof(*dev->ras[host]));
		if (dev->ras[host])
			ras_reset(dev->ras[host]);
	}
	if (fresh && dev->ras && !dev->ras[host]) {
		core_free(dev, dev->ras);
		dev->ras = NULL;
	}
	return dev->ras ? dev->ras[host] : NULL;
}

static uint32_t unc_status(const struct ras *r)
{
	uint32_t st = 0;

	for (uint32_t i = 0; i < r->nr; i++)
		st |= 1u << r->rec[i].bit;
	return st;
}

void core_ras_get(const struct cxldcd_dev *dev, uint16_t host, struct core_ras_regs *out)
{
	struct ras def;
	const struct ras *r = &def;

	*out = (struct core_ras_regs){ 0 };
	if (!core_host_ok(dev, host))
		return;
	ras_reset(&def);
	if (dev->ras && dev->ras[host])
		r = dev->ras[host];
	out->unc_status = unc_status(r);
	out->unc_mask = r->unc_mask;
	out->unc_severity = r->unc_severity;
	out->cor_status = r->cor_status;
	out->cor_mask = r->cor_mask;
	out->cap_ctrl = r->cap_ctrl;
	memcpy(out->header_log, r->header_log, sizeof(out->header_log));
}

static void notify(struct cxldcd_dev *dev, uint16_t host, bool uncorrectable)
{
	for (uint32_t i = 0; i < dev->nr_obs; i++)
		if (dev->obs[i].ops->ras_error)
			dev->obs[i].ops->ras_error(dev->obs[i].opaque, host, uncorrectable);
}

/* The oldest record into the Header Log and the First Error Pointer (none: FEP 63). */
static void show_first(struct ras *r)
{
	uint32_t fep = CXLDCD_RAS_FEP_NONE;

	if (r->nr) {
		memcpy(r->header_log, r->rec[0].header, sizeof(r->header_log));
		fep = r->rec[0].bit;
	}
	r->cap_ctrl = (r->cap_ctrl & ~CXLDCD_RAS_FEP_MASK) | fep;
}

static uint32_t unc_mask_of(const struct cxldcd_dev *dev, uint16_t host)
{
	return dev->ras && dev->ras[host] ? dev->ras[host]->unc_mask : CXLDCD_RAS_UNC_BITS;
}

static uint32_t nr_of(const struct cxldcd_dev *dev, uint16_t host)
{
	return dev->ras && dev->ras[host] ? dev->ras[host]->nr : 0;
}

/* Check one host's room for the unmasked errors of e[0..n). */
static enum cxldcd_rc check_room(const struct cxldcd_dev *dev, uint16_t host,
				 const struct core_uncor_error *e, uint32_t n,
				 struct cxldcd_diag *diag)
{
	uint32_t mask = unc_mask_of(dev, host), add = 0;

	for (uint32_t i = 0; i < n; i++)
		add += !(mask & (1u << e[i].bit));
	if (add > CORE_RAS_QUEUE_MAX - nr_of(dev, host))
		return core_diag(diag, CXLDCD_RC_RESOURCES_EXHAUSTED, -1,
				 "host=%u has %u uncorrectable errors recorded: room for %u more, not %u",
				 host, nr_of(dev, host), CORE_RAS_QUEUE_MAX - nr_of(dev, host), add);
	return CXLDCD_RC_SUCCESS;
}

/* Commit e[0..n) on one host whose room was checked; false: out of memory. */
static bool record(struct cxldcd_dev *dev, uint16_t host, const struct core_uncor_error *e,
		   uint32_t n)
{
	struct ras *r = slot(dev, host);
	bool first;

	if (!r)
		return false;
	first = r->nr == 0;
	for (uint32_t i = 0; i < n; i++) {
		if (r->unc_mask & (1u << e[i].bit))
			continue;   /* masked: not recorded (QEMU) */
		r->rec[r->nr].bit = e[i].bit;
		memcpy(r->rec[r->nr].header, e[i].header, sizeof(r->rec[0].header));
		r->nr++;
	}
	if (first && r->nr)
		show_first(r);
	return true;
}

enum cxldcd_rc core_ras_inject_uncor(struct cxldcd_dev *dev, uint16_t host,
				     const struct core_uncor_error *e, uint32_t n,
				     struct cxldcd_diag *diag)
{
	bool all = host == CORE_RAS_ALL_HOSTS;
	uint16_t lo = all ? 0 : host, hi = all ? dev->cfg.nr_hosts : (uint16_t)(host + 1);
	enum cxldcd_rc rc;

	if (!all && !core_host_ok(dev, host))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "host=%u is out of range", host);
	for (uint32_t i = 0; i < n; i++)
		if (e[i].bit >= 32 || !(CXLDCD_RAS_UNC_BITS & (1u << e[i].bit)))
			return core_diag(diag, CXLDCD_RC_INVALID_INPUT, (int32_t)i,
					 "bit=%u is not an uncorrectable error status bit",
					 e[i].bit);
	for (uint16_t h = lo; h < hi; h++) {
		rc = check_room(dev, h, e, n, diag);
		if (rc != CXLDCD_RC_SUCCESS)
			return rc;
	}
	/* Reserve every host's registers first, so a failure changes nothing. */
	for (uint16_t h = lo; h < hi; h++)
		if (!slot(dev, h))
			return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	for (uint16_t h = lo; h < hi; h++) {
		record(dev, h, e, n);
		if (dev->ras[h]->nr)
			notify(dev, h, true);
	}
	return core_diag(diag, CXLDCD_RC_SUCCESS, -1, "ok");
}

enum cxldcd_rc core_ras_inject_cor(struct cxldcd_dev *dev, uint16_t host, uint8_t bit,
				   struct cxldcd_diag *diag)
{
	bool all = host == CORE_RAS_ALL_HOSTS;
	uint16_t lo = all ? 0 : host, hi = all ? dev->cfg.nr_hosts : (uint16_t)(host + 1);

	if (!all && !core_host_ok(dev, host))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "host=%u is out of range", host);
	if (bit >= 32 || !(CXLDCD_RAS_COR_BITS & (1u << bit)))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "bit=%u is not a correctable error status bit", bit);
	for (uint16_t h = lo; h < hi; h++)
		if (!slot(dev, h))
			return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	for (uint16_t h = lo; h < hi; h++) {
		struct ras *r = dev->ras[h];

		if (r->cor_mask & (1u << bit))
			continue;   /* masked: nothing happens (QEMU) */
		r->cor_status |= 1u << bit;
		notify(dev, h, false);
	}
	return core_diag(diag, CXLDCD_RC_SUCCESS, -1, "ok");
}

/*
 * Write 1s to Uncorrectable Error Status (QEMU's flow for multiple header
 * recording, PCIe r6.0 §6.2.4.2): exactly the First Error Pointer's bit
 * drops the oldest record; any other value drops every record whose bit is
 * written.  The next record, if any, is then shown.
 */
static void unc_clear(struct ras *r, uint32_t value)
{
	uint32_t fep = r->cap_ctrl & CXLDCD_RAS_FEP_MASK, kept = 0;

	if (!r->nr)
		return;
	if (fep < 32 && value == (1u << fep)) {
		memmove(&r->rec[0], &r->rec[1], sizeof(r->rec[0]) * (r->nr - 1));
		r->nr--;
	} else {
		for (uint32_t i = 0; i < r->nr; i++)
			if (!(value & (1u << r->rec[i].bit)))
				r->rec[kept++] = r->rec[i];
		r->nr = kept;
	}
	show_first(r);
}

enum cxldcd_rc core_ras_write(struct cxldcd_dev *dev, uint16_t host, uint32_t offset,
			      uint32_t value, struct cxldcd_diag *diag)
{
	struct ras *r;

	if (!core_host_ok(dev, host))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "host=%u is out of range", host);
	if (offset % 4 || offset >= CXLDCD_RAS_SIZE)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "offset=0x%x is not a register of the RAS capability", offset);
	r = slot(dev, host);
	if (!r)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	switch (offset) {
	case CXLDCD_RAS_UNC_STATUS:
		unc_clear(r, value & CXLDCD_RAS_UNC_BITS);
		break;
	case CXLDCD_RAS_UNC_MASK:
		r->unc_mask = value & CXLDCD_RAS_UNC_BITS;
		break;
	case CXLDCD_RAS_UNC_SEVERITY:
		r->unc_severity = value & CXLDCD_RAS_UNC_BITS;
		break;
	case CXLDCD_RAS_COR_STATUS:
		r->cor_status &= ~(value & CXLDCD_RAS_COR_BITS);
		break;
	case CXLDCD_RAS_COR_MASK:
		r->cor_mask = value & CXLDCD_RAS_COR_BITS;
		break;
	default:
		break;      /* Error Capability and Control, Header Log: read-only */
	}
	return core_diag(diag, CXLDCD_RC_SUCCESS, -1, "ok");
}
