/* SPDX-License-Identifier: MIT */
/*
 * cfg.c - device configuration: defaults and validation.  Validation names
 * the offending field in the diag text and resolves automatic region bases
 * (base 0) and decode lengths (0) to concrete values.
 */
#include <stdio.h>

#include "core/model.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define MAX_MBOX (1u << 20)

void core_cfg_default(struct cxldcd_dev_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_regions = 2;
	for (unsigned i = 0; i < cfg->nr_regions; i++) {
		struct core_region_cfg *r = &cfg->regions[i];

		r->len = 4 * GIB;
		r->decode_len = 4 * GIB;
		r->block_size = 2 * MIB;
		r->supported_block_mask = 2 * MIB | GIB;
		r->dsmad_handle = i;
		r->sor_configurable = true;
	}
	cfg->nr_hosts = 2;
	cfg->max_extents = 65536;
	cfg->max_tags = 4096;
	cfg->evlog_depth = 256;
	cfg->mbox_payload_size = 2048;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t round_up(uint64_t v, uint64_t a, bool *ovf)
{
	uint64_t s;

	if (__builtin_add_overflow(v, a - 1, &s)) {
		*ovf = true;
		return 0;
	}
	return s / a * a;
}

static int bad(struct cxldcd_diag *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct cxldcd_diag *diag, const char *fmt, ...)
{
	va_list ap;

	if (diag) {
		diag->rc = CXLDCD_RC_INVALID_INPUT;
		diag->index = -1;
		va_start(ap, fmt);
		vsnprintf(diag->text, sizeof(diag->text), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Check region i and resolve its base/decode length; *next = first DPA after it. */
static int check_region(struct core_region_cfg *r, unsigned i, uint64_t *next,
			struct cxldcd_diag *diag)
{
	bool ovf = false;
	uint64_t mask = r->supported_block_mask;

	if (r->block_size < CXLDCD_MIN_BLOCK_SIZE || !pow2(r->block_size))
		return bad(diag, "regions[%u].block_size=0x%llx not a power of two >= 0x40", i,
			   (unsigned long long)r->block_size);
	if (!mask)
		mask = r->supported_block_mask = r->block_size;
	if (mask & 0x3full || mask >> 52)
		return bad(diag, "regions[%u].supported_block_mask=0x%llx has bits 5:0 or 63:52 set",
			   i, (unsigned long long)mask);
	if (!(mask & r->block_size))
		return bad(diag, "regions[%u].block_size=0x%llx not in supported_block_mask=0x%llx",
			   i, (unsigned long long)r->block_size, (unsigned long long)mask);
	if (!r->len || r->len % r->block_size)
		return bad(diag, "regions[%u].len=0x%llx not a non-zero multiple of block_size=0x%llx",
			   i, (unsigned long long)r->len, (unsigned long long)r->block_size);
	if (!r->decode_len)
		r->decode_len = round_up(r->len, CXLDCD_REGION_ALIGN, &ovf);
	if (ovf || r->decode_len % CXLDCD_REGION_ALIGN || r->decode_len < r->len)
		return bad(diag, "regions[%u].decode_len=0x%llx not a multiple of 256 MiB >= len=0x%llx",
			   i, (unsigned long long)r->decode_len, (unsigned long long)r->len);
	if (!r->base)
		r->base = round_up(*next, CXLDCD_REGION_ALIGN, &ovf);
	if (ovf || r->base % CXLDCD_REGION_ALIGN || r->base % r->block_size)
		return bad(diag, "regions[%u].base=0x%llx not 256 MiB and block aligned", i,
			   (unsigned long long)r->base);
	if (r->base < *next)
		return bad(diag, "regions[%u].base=0x%llx overlaps the previous region or static capacity (ends 0x%llx)",
			   i, (unsigned long long)r->base, (unsigned long long)*next);
	if (__builtin_add_overflow(r->base, r->decode_len, next))
		return bad(diag, "regions[%u].decode_len=0x%llx overflows the DPA space", i,
			   (unsigned long long)r->decode_len);
	return 0;
}

int core_cfg_validate(const struct cxldcd_dev_cfg *cfg, struct cxldcd_dev_cfg *resolved,
		      struct cxldcd_diag *diag)
{
	struct cxldcd_dev_cfg c = *cfg;
	uint64_t next = c.static_capacity;
	int ret;

	if (c.nr_regions > CXLDCD_MAX_REGIONS)
		return bad(diag, "nr_regions=%u not in 0..8", c.nr_regions);
	/* QEMU's cxl-type3 without DC regions: static capacity only (hw/mem/cxl_type3.c's text). */
	if (!c.nr_regions && !c.static_capacity)
		return bad(diag, "nr_regions=0 and static_capacity=0: at least one memdev property must be set");
	if (c.static_host_only && c.static_host >= c.nr_hosts)
		return bad(diag, "static_host=%u not below nr_hosts=%u", c.static_host, c.nr_hosts);
	if (c.persistent_capacity > c.static_capacity)
		return bad(diag, "persistent_capacity=0x%llx exceeds static_capacity=0x%llx",
			   (unsigned long long)c.persistent_capacity,
			   (unsigned long long)c.static_capacity);
	for (unsigned i = 0; i < c.nr_regions; i++) {
		ret = check_region(&c.regions[i], i, &next, diag);
		if (ret)
			return ret;
	}
	if (c.nr_hosts < 1 || c.nr_hosts > CXLDCD_MAX_HOSTS)
		return bad(diag, "nr_hosts=%u not in 1..256", c.nr_hosts);
	if (c.max_extents < 1)
		return bad(diag, "max_extents=0 must be >= 1");
	if (c.evlog_depth < 1 || c.evlog_depth > 0xffffu)
		return bad(diag, "evlog_depth=%u not in 1..65535 (handles are 16-bit)", c.evlog_depth);
	if (!pow2(c.mbox_payload_size) || c.mbox_payload_size < 256 || c.mbox_payload_size > MAX_MBOX)
		return bad(diag, "mbox_payload_size=%u not a power of two in 256..1048576",
			   c.mbox_payload_size);
	for (unsigned i = c.nr_regions; i < CXLDCD_MAX_REGIONS; i++)
		memset(&c.regions[i], 0, sizeof(c.regions[i]));
	if (resolved)
		*resolved = c;
	return 0;
}
