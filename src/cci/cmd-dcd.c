/* SPDX-License-Identifier: MIT */
/*
 * cmd-dcd.c - handlers of Identify Memory Device (4000h) and the Dynamic
 * Capacity commands 4800h-4803h, served on a host's mailbox for that host.
 */
#include <stdlib.h>
#include <string.h>

#include "cci/cmd.h"
#include "cci/dcd.h"

#define CHUNK 64u /* extents per core_extent_list() call: one descent per 64 */

enum cxldcd_rc cci_put_extents(struct cci_call *c, uint16_t host, uint32_t start, uint32_t want,
			       uint32_t *got)
{
	struct cxldcd_extent buf[CHUNK];

	*got = 0;
	while (*got < want) {
		uint32_t n = 0;
		enum cxldcd_rc rc = core_extent_list(c->dev, host, start + *got,
						     min_u32(CHUNK, want - *got), buf, &n);

		if (rc != CXLDCD_RC_SUCCESS)
			return rc;
		if (n == 0)
			break;
		for (uint32_t i = 0; i < n; i++)
			cci_enc_extent(c->out, &buf[i]);
		*got += n;
	}
	return CXLDCD_RC_SUCCESS;
}

/*
 * Identify Memory Device: Total Capacity is the static capacity only, split
 * into Volatile Only (volatile-memdev) and Persistent Only (persistent-memdev)
 * with nothing partitionable (Partition Alignment 0), or none for a host
 * that does not reach the static capacity (static-host=), which then has no
 * LSA either (its labels are the static capacity's); dynamic capacity is
 * discovered with 4800h (as QEMU and the Linux driver do).  Every event log
 * holds evlog_depth records.  The poison list holds CORE_POISON_MAX ranges,
 * and as many may be injected.
 */
enum cxldcd_rc cci_cmd_identify_memdev(struct cci_call *c)
{
	const struct cxldcd_dev_cfg *cfg = core_dev_cfg(c->dev);
	uint16_t depth = (uint16_t)min_u32(cfg->evlog_depth, UINT16_MAX);
	uint64_t st = core_static_capacity_of(c->dev, c->owner);   /* static-host= */
	struct cci_identify_memdev id = {
		.total_capacity = st,
		.volatile_capacity = st ? st - cfg->persistent_capacity : 0,
		.persistent_capacity = st ? cfg->persistent_capacity : 0,
		.info_log_size = depth,
		.warn_log_size = depth,
		.fail_log_size = depth,
		.fatal_log_size = depth,
		.dc_log_size = depth,
		.lsa_size = core_lsa_size_of(c->dev, c->owner),      /* it labels the static capacity */
		.poison_list_max = CORE_POISON_MAX,
		.inject_poison_limit = CORE_POISON_MAX,
	};

	memcpy(id.fw_revision, "cxldcd 0.1.0", sizeof("cxldcd 0.1.0"));
	cci_enc_identify_memdev_out(c->out, &id);
	return CXLDCD_RC_SUCCESS;
}

/*
 * Get DC Configuration: Starting Region Index past the last region is
 * Invalid Input; the records returned are min(Region Count, available from
 * the start, what fits), the trailer follows the last one.
 */
enum cxldcd_rc cci_cmd_get_dc_config(struct cci_call *c)
{
	struct cci_dc_config_in in;
	struct core_counts cnt;
	uint8_t nr = core_region_count(c->dev);
	uint32_t ret;
	int err = cci_dec_dc_config_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	if (in.start_region >= nr)
		return CXLDCD_RC_INVALID_INPUT;
	ret = min_u32(in.region_count, (uint32_t)(nr - in.start_region));
	ret = min_u32(ret, cci_fit(c->out, CCI_DC_CONFIG_HDR + CCI_DC_TRAILER_SIZE,
				   CXLDCD_DC_REGION_CFG_SIZE));
	cci_enc_dc_config_out_hdr(c->out, nr, (uint8_t)ret);
	for (uint32_t i = 0; i < ret; i++) {
		struct core_region_info ri;
		struct cci_dc_region_cfg rc;

		if (core_region_get(c->dev, (uint8_t)(in.start_region + i), &ri) != 0)
			return CXLDCD_RC_INTERNAL_ERROR;
		rc = (struct cci_dc_region_cfg){ ri.base, ri.decode_len, ri.len, ri.block_size,
						 ri.dsmad_handle, ri.sanitize_on_release };
		cci_enc_dc_region_cfg(c->out, &rc);
	}
	core_counts_get(c->dev, &cnt);
	cci_enc_dc_counts(c->out, &(struct cci_dc_counts){ cnt.total_extents, cnt.avail_extents,
							   cnt.total_tags, cnt.avail_tags });
	return CXLDCD_RC_SUCCESS;
}

/*
 * Get DC Extent List: the host's accepted extents (release-pending
 * included).  Start > Total is Invalid Input; fewer than asked may be
 * returned when the response is full.  The header is written last, once the
 * count is known.
 */
enum cxldcd_rc cci_cmd_get_dc_extents(struct cci_call *c)
{
	struct cci_extent_list_in in;
	struct cci_extent_list_out h;
	struct wwr hw;
	uint32_t total, want, got;
	size_t base = c->out->off;
	enum cxldcd_rc rc;
	int err = cci_dec_extent_list_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	total = core_extent_count(c->dev, c->owner);
	if (in.start > total)
		return CXLDCD_RC_INVALID_INPUT;
	want = min_u32(in.count, cci_fit(c->out, CCI_EXTENT_LIST_HDR, CXLDCD_DC_EXTENT_SIZE));
	wwr_zero(c->out, CCI_EXTENT_LIST_HDR);
	rc = cci_put_extents(c, c->owner, in.start, want, &got);
	if (rc != CXLDCD_RC_SUCCESS || c->out->bad)
		return rc;
	h = (struct cci_extent_list_out){ got, total, core_extent_generation(c->dev, c->owner) };
	wwr_init(&hw, c->out->p + base, CCI_EXTENT_LIST_HDR);
	cci_enc_extent_list_out_hdr(&hw, &h);
	return CXLDCD_RC_SUCCESS;
}

/*
 * 4802h/4803h: the model stages More=1 parts and applies the whole response
 * at More=0.  The context remembers the open chain so that any other
 * command discards it (dispatch.c).  A failed part leaves the model, and so
 * the chain, unchanged.
 */
static enum cxldcd_rc dc_response(struct cci_call *c, bool release)
{
	struct cci_dc_rsp_in in;
	struct cxldcd_range *r = NULL;
	enum cxldcd_rc rc;
	int err = cci_dec_dc_rsp_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	if (release && in.nr == 0)
		return CXLDCD_RC_INVALID_INPUT;     /* Updated Extent List Size > 0 */
	if (in.nr) {
		r = calloc(in.nr, sizeof(*r));      /* bounded: nr * 0x18 bytes were received */
		if (!r)
			return CXLDCD_RC_INTERNAL_ERROR;
		for (uint32_t i = 0; i < in.nr; i++)
			cci_dec_updated_extent(in.list, i, &r[i]);
	}
	rc = release ? core_release_dc(c->dev, c->owner, r, in.nr, in.more, &c->ctx->diag)
		     : core_add_response(c->dev, c->owner, r, in.nr, in.more, &c->ctx->diag);
	free(r);
	if (rc == CXLDCD_RC_SUCCESS)
		c->ctx->chain_op = in.more ? c->opcode : 0;
	return rc;
}

enum cxldcd_rc cci_cmd_add_dc_rsp(struct cci_call *c)
{
	return dc_response(c, false);
}

enum cxldcd_rc cci_cmd_release_dc(struct cci_call *c)
{
	return dc_response(c, true);
}
