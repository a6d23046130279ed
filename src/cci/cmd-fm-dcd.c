/* SPDX-License-Identifier: MIT */
/*
 * cmd-fm-dcd.c - handlers of the FM-API DCD Management commands
 * 5600h-5608h, served on the FM CCI.  Host IDs name LD-IDs.
 */
#include <stdlib.h>
#include <string.h>

#include "cci/cmd.h"
#include "cci/fm-dcd.h"

#define TAG_CHUNK 8u

/* Add policies advertised: Free, Contiguous, Prescriptive.  Bit 3 (Enable
 * Shared Access) shall be 0 in this mask (reference §4.1); the policy is
 * still accepted by 5604h for sharable regions. */
#define ADD_POLICIES 0x0007u
#define REMOVAL_POLICIES 0x0003u

static bool host_valid(const struct cci_call *c, uint16_t host)
{
	return host < core_dev_cfg(c->dev)->nr_hosts;
}

/* COMPAT: Number of Hosts is one byte; a 256-LD device reports 255. */
enum cxldcd_rc cci_cmd_fm_dcd_info(struct cci_call *c)
{
	const struct cxldcd_dev_cfg *cfg = core_dev_cfg(c->dev);
	struct cci_dcd_info info = { 0 };
	uint8_t nr = core_region_count(c->dev);

	info.nr_hosts = (uint8_t)min_u32(cfg->nr_hosts, UINT8_MAX);
	info.nr_regions = nr;
	info.add_policies = ADD_POLICIES;
	info.removal_policies = REMOVAL_POLICIES;
	for (uint8_t i = 0; i < nr && i < CXLDCD_MAX_REGIONS; i++) {
		struct core_region_info ri;

		if (core_region_get(c->dev, i, &ri) != 0)
			return CXLDCD_RC_INTERNAL_ERROR;
		if (ri.sor_configurable)
			info.sor_config_mask |= (uint8_t)(1u << i);
		info.total_capacity += ri.len;
		info.block_masks[i] = ri.supported_block_mask ? ri.supported_block_mask : ri.block_size;
	}
	cci_enc_dcd_info_out(c->out, &info);
	return CXLDCD_RC_SUCCESS;
}

static uint8_t region_flags(const struct core_region_info *ri)
{
	return (uint8_t)((ri->nonvolatile ? CCI_HRF_NONVOLATILE : 0) |
			 (ri->sharable ? CCI_HRF_SHARABLE : 0) | (ri->read_only ? CCI_HRF_READ_ONLY : 0));
}

/* Invalid Host ID or Starting Region Index: Invalid Input (CXL r3.2 §7.6.7.6.2). */
enum cxldcd_rc cci_cmd_fm_host_region_cfg(struct cci_call *c)
{
	struct cci_host_region_cfg_in in;
	struct core_counts cnt;
	uint8_t nr = core_region_count(c->dev);
	uint32_t ret;
	int err = cci_dec_host_region_cfg_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	if (!host_valid(c, in.host) || in.start_region >= nr)
		return CXLDCD_RC_INVALID_INPUT;
	ret = min_u32(in.region_count, (uint32_t)(nr - in.start_region));
	ret = min_u32(ret, cci_fit(c->out, CCI_HOST_REGION_CFG_HDR + CCI_DC_TRAILER_SIZE,
				   CXLDCD_HOST_DC_REGION_CFG_SIZE));
	cci_enc_host_region_cfg_out_hdr(c->out, in.host, nr, (uint8_t)ret);
	for (uint32_t i = 0; i < ret; i++) {
		struct core_region_info ri;
		struct cci_host_region_cfg rc;

		if (core_region_get(c->dev, (uint8_t)(in.start_region + i), &ri) != 0)
			return CXLDCD_RC_INTERNAL_ERROR;
		rc = (struct cci_host_region_cfg){ ri.base, ri.decode_len, ri.len, ri.block_size,
						   region_flags(&ri), ri.sanitize_on_release };
		cci_enc_host_region_cfg(c->out, &rc);
	}
	core_counts_get(c->dev, &cnt);
	cci_enc_dc_counts(c->out, &(struct cci_dc_counts){ cnt.total_extents, cnt.avail_extents,
							   cnt.total_tags, cnt.avail_tags });
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc cci_cmd_fm_set_region_cfg(struct cci_call *c)
{
	struct cci_set_region_cfg_in in;
	int err = cci_dec_set_region_cfg_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	return core_region_set_config(c->dev, in.region, in.block_size, in.sanitize_on_release,
				      &c->ctx->diag);
}

enum cxldcd_rc cci_cmd_fm_region_extents(struct cci_call *c)
{
	struct cci_region_extents_in in;
	struct cci_region_extents_out h;
	struct wwr hw;
	uint32_t total, want, got;
	size_t base = c->out->off;
	enum cxldcd_rc rc;
	int err = cci_dec_region_extents_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	if (!host_valid(c, in.host))
		return CXLDCD_RC_INVALID_INPUT;
	total = core_extent_count(c->dev, in.host);
	if (in.start > total)
		return CXLDCD_RC_INVALID_INPUT;
	want = min_u32(in.count, cci_fit(c->out, CCI_REGION_EXTENTS_HDR, CXLDCD_DC_EXTENT_SIZE));
	wwr_zero(c->out, CCI_REGION_EXTENTS_HDR);
	rc = cci_put_extents(c, in.host, in.start, want, &got);
	if (rc != CXLDCD_RC_SUCCESS || c->out->bad)
		return rc;
	h = (struct cci_region_extents_out){ in.host, in.start, got, total,
					     core_extent_generation(c->dev, in.host) };
	wwr_init(&hw, c->out->p + base, CCI_REGION_EXTENTS_HDR);
	cci_enc_region_extents_out_hdr(&hw, &h);
	return CXLDCD_RC_SUCCESS;
}

/* Decode a validated Extent List into a fresh array (NULL when nr == 0). */
static enum cxldcd_rc decode_list(const uint8_t *list, uint32_t nr, struct cxldcd_extent **out)
{
	*out = NULL;
	if (!nr)
		return CXLDCD_RC_SUCCESS;
	*out = calloc(nr, sizeof(**out));   /* bounded: nr * 0x28 bytes were received */
	if (!*out)
		return CXLDCD_RC_INTERNAL_ERROR;
	for (uint32_t i = 0; i < nr; i++)
		cci_dec_extent_at(list, i, &(*out)[i]);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc cci_cmd_fm_initiate_add(struct cci_call *c)
{
	struct cci_initiate_add_in in;
	struct core_add_req req;
	struct cxldcd_extent *ext;
	enum cxldcd_rc rc;
	int err = cci_dec_initiate_add_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	rc = decode_list(in.list, in.nr, &ext);
	if (rc != CXLDCD_RC_SUCCESS)
		return rc;
	req = (struct core_add_req){ .host = in.host, .policy = (enum cxldcd_add_policy)in.policy,
				     .region = in.region, .length = in.length,
				     .nr_extents = in.nr, .extents = ext };
	memcpy(req.tag, in.tag, sizeof(req.tag));
	rc = core_add(c->dev, &req, NULL, &c->ctx->diag);
	free(ext);
	return rc;
}

enum cxldcd_rc cci_cmd_fm_initiate_release(struct cci_call *c)
{
	struct cci_initiate_release_in in;
	struct core_release_req req;
	struct cxldcd_extent *ext;
	enum cxldcd_rc rc;
	int err = cci_dec_initiate_release_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	rc = decode_list(in.list, in.nr, &ext);
	if (rc != CXLDCD_RC_SUCCESS)
		return rc;
	req = (struct core_release_req){ .host = in.host,
					 .policy = (enum cxldcd_release_policy)in.policy,
					 .forced = in.forced, .sanitize = in.sanitize,
					 .length = in.length, .nr_extents = in.nr, .extents = ext };
	memcpy(req.tag, in.tag, sizeof(req.tag));
	rc = core_release(c->dev, &req, &c->ctx->diag);
	free(ext);
	return rc;
}

enum cxldcd_rc cci_cmd_fm_add_ref(struct cci_call *c)
{
	uint8_t tag[CXLDCD_TAG_SIZE];
	int err = cci_dec_tag_ref_in(c->in, c->in_len, tag);

	return err ? cci_dec_rc(err) : core_tag_add_ref(c->dev, tag, &c->ctx->diag);
}

enum cxldcd_rc cci_cmd_fm_remove_ref(struct cci_call *c)
{
	uint8_t tag[CXLDCD_TAG_SIZE];
	int err = cci_dec_tag_ref_in(c->in, c->in_len, tag);

	return err ? cci_dec_rc(err) : core_tag_remove_ref(c->dev, tag, &c->ctx->diag);
}

static void put_tag(struct wwr *w, const struct core_tag_info *ti)
{
	struct cci_tag_info t = { .flags = ti->fm_ref ? CCI_TAG_FM_REF : 0 };

	memcpy(t.tag, ti->tag, sizeof(t.tag));
	memcpy(t.ref_map, ti->accepted_map, sizeof(t.ref_map));
	memcpy(t.pending_map, ti->pending_map, sizeof(t.pending_map));
	cci_enc_tag_info(w, &t);
}

/* DC List Tags: both bitmaps are valid on an LD-FAM device (validity 03h). */
enum cxldcd_rc cci_cmd_fm_list_tags(struct cci_call *c)
{
	struct cci_list_tags_in in;
	struct core_tag_info buf[TAG_CHUNK];
	struct wwr hw;
	uint32_t total, want, got = 0;
	size_t base = c->out->off;
	int err = cci_dec_list_tags_in(c->in, c->in_len, &in);

	if (err)
		return cci_dec_rc(err);
	total = core_tag_count(c->dev);
	if (in.start > total)
		return CXLDCD_RC_INVALID_INPUT;
	want = min_u32(in.max, cci_fit(c->out, CCI_LIST_TAGS_HDR, CXLDCD_TAG_INFO_SIZE));
	wwr_zero(c->out, CCI_LIST_TAGS_HDR);
	while (got < want) {
		uint32_t n = 0;
		enum cxldcd_rc rc = core_tag_list(c->dev, in.start + got,
						  min_u32(TAG_CHUNK, want - got), buf, &n);

		if (rc != CXLDCD_RC_SUCCESS)
			return rc;
		if (n == 0)
			break;
		for (uint32_t i = 0; i < n; i++)
			put_tag(c->out, &buf[i]);
		got += n;
	}
	if (c->out->bad)
		return CXLDCD_RC_INTERNAL_ERROR;
	wwr_init(&hw, c->out->p + base, CCI_LIST_TAGS_HDR);
	cci_enc_list_tags_out_hdr(&hw, &(struct cci_list_tags_out){
		core_tag_generation(c->dev), total, got, CCI_TAGS_REF_VALID | CCI_TAGS_PENDING_VALID });
	return CXLDCD_RC_SUCCESS;
}
