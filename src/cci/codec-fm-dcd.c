/* SPDX-License-Identifier: MIT */
/*
 * codec-fm-dcd.c - codecs of the FM-API DCD Management commands 5600h-5608h
 * (CXL r3.2 §7.6.7.6).
 */
#include "cci/fm-dcd.h"

#include <string.h>

static int units_to_bytes(uint64_t units, uint64_t *bytes)
{
	if (units > (UINT64_MAX >> CCI_256MB_SHIFT))
		return -EINVAL;
	*bytes = units << CCI_256MB_SHIFT;
	return 0;
}

/*
 * Get DCD Info (5600h) output, CXL r3.2 §7.6.7.6.1, Table 7-63 (no input):
 *
 *   OFFSET   SIZE FIELD
 *   0x00     1    Number of Hosts
 *   0x01     1    Number of Supported DC Regions
 *   0x02     2    Reserved
 *   0x04     2    Supported Add Capacity Selection Policies (bit 3 shall be 0)
 *   0x06     2    Reserved
 *   0x08     2    Supported Release Capacity Removal Policies
 *   0x0A     1    Sanitize on Release Configuration Support Mask
 *   0x0B     1    Reserved
 *   0x0C     8    Total Dynamic Capacity (256 MB units)
 *   0x14+8n  8    Region n Supported Block Size Mask, n = 0..7
 */
int cci_enc_dcd_info_out(struct wwr *w, const struct cci_dcd_info *in)
{
	wwr_u8(w, in->nr_hosts);
	wwr_u8(w, in->nr_regions);
	wwr_zero(w, 2);
	wwr_u16le(w, in->add_policies);
	wwr_zero(w, 2);
	wwr_u16le(w, in->removal_policies);
	wwr_u8(w, in->sor_config_mask);
	wwr_zero(w, 1);
	wwr_u64le(w, in->total_capacity >> CCI_256MB_SHIFT);
	for (unsigned i = 0; i < CXLDCD_MAX_REGIONS; i++)
		wwr_u64le(w, in->block_masks[i]);
	return wwr_result(w);
}

int cci_dec_dcd_info_out(const uint8_t *p, size_t len, struct cci_dcd_info *out)
{
	struct wrd r;
	int err;

	wrd_init(&r, p, len);
	out->nr_hosts = wrd_u8(&r);
	out->nr_regions = wrd_u8(&r);
	wrd_skip(&r, 2);
	out->add_policies = wrd_u16le(&r);
	wrd_skip(&r, 2);
	out->removal_policies = wrd_u16le(&r);
	out->sor_config_mask = wrd_u8(&r);
	wrd_skip(&r, 1);
	err = units_to_bytes(wrd_u64le(&r), &out->total_capacity);
	for (unsigned i = 0; i < CXLDCD_MAX_REGIONS; i++)
		out->block_masks[i] = wrd_u64le(&r);
	if (!wrd_done(&r))
		return -EMSGSIZE;
	return err;
}

/*
 * Get Host DC Region Configuration (5601h), CXL r3.2 §7.6.7.6.2.
 * Input, Table 7-64:
 *
 *   OFFSET SIZE FIELD
 *   0x00   2    Host ID
 *   0x02   1    Region Count
 *   0x03   1    Starting Region Index
 *
 * Output, Table 7-65:
 *
 *   OFFSET SIZE     FIELD
 *   0x00   2        Host ID
 *   0x02   1        Number of Available Regions
 *   0x03   1        Number of Regions Returned
 *   0x04   0x28 x N Region Configuration (Table 7-66)
 *   var    16       trailer (cci_enc_dc_counts)
 *
 * Region Configuration, Table 7-66:
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Region Base
 *   0x08   8    Region Decode Length (256 MB units)
 *   0x10   8    Region Length
 *   0x18   8    Region Block Size
 *   0x20   1    Flags (bit 2 NonVolatile, 3 Sharable, 4 HW-managed coherency,
 *               5 Interconnect-specific DC management, 6 Read-Only)
 *   0x21   3    Reserved
 *   0x24   1    bit 0 Sanitize on Release
 *   0x25   3    Reserved
 */
int cci_enc_host_region_cfg_in(struct wwr *w, const struct cci_host_region_cfg_in *in)
{
	wwr_u16le(w, in->host);
	wwr_u8(w, in->region_count);
	wwr_u8(w, in->start_region);
	return wwr_result(w);
}

int cci_dec_host_region_cfg_in(const uint8_t *p, size_t len, struct cci_host_region_cfg_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->host = wrd_u16le(&r);
	in->region_count = wrd_u8(&r);
	in->start_region = wrd_u8(&r);
	return wrd_result(&r);
}

int cci_enc_host_region_cfg_out_hdr(struct wwr *w, uint16_t host, uint8_t avail, uint8_t returned)
{
	wwr_u16le(w, host);
	wwr_u8(w, avail);
	wwr_u8(w, returned);
	return wwr_result(w);
}

int cci_enc_host_region_cfg(struct wwr *w, const struct cci_host_region_cfg *rc)
{
	wwr_u64le(w, rc->base);
	wwr_u64le(w, rc->decode_len >> CCI_256MB_SHIFT);
	wwr_u64le(w, rc->len);
	wwr_u64le(w, rc->block_size);
	wwr_u8(w, rc->flags);
	wwr_zero(w, 3);
	wwr_u8(w, rc->sanitize_on_release ? 1 : 0);
	wwr_zero(w, 3);
	return wwr_result(w);
}

int cci_dec_host_region_cfg_out(const uint8_t *p, size_t len, struct cci_host_region_cfg_out *out)
{
	struct wrd r;
	int err = 0;

	wrd_init(&r, p, len);
	out->host = wrd_u16le(&r);
	out->avail_regions = wrd_u8(&r);
	out->returned = wrd_u8(&r);
	if (r.bad || wrd_left(&r) != (size_t)out->returned * CXLDCD_HOST_DC_REGION_CFG_SIZE +
					     CCI_DC_TRAILER_SIZE)
		return -EMSGSIZE;
	if (out->returned > CXLDCD_MAX_REGIONS)
		return -EINVAL;
	for (unsigned i = 0; i < out->returned; i++) {
		struct cci_host_region_cfg *rc = &out->regions[i];

		rc->base = wrd_u64le(&r);
		err |= units_to_bytes(wrd_u64le(&r), &rc->decode_len);
		rc->len = wrd_u64le(&r);
		rc->block_size = wrd_u64le(&r);
		rc->flags = wrd_u8(&r);
		wrd_skip(&r, 3);
		rc->sanitize_on_release = (wrd_u8(&r) & 1) != 0;
		wrd_skip(&r, 3);
	}
	out->counts.total_extents = wrd_u32le(&r);
	out->counts.avail_extents = wrd_u32le(&r);
	out->counts.total_tags = wrd_u32le(&r);
	out->counts.avail_tags = wrd_u32le(&r);
	if (!wrd_done(&r))
		return -EMSGSIZE;
	return err ? -EINVAL : 0;
}

/*
 * Set DC Region Configuration (5602h) input, CXL r3.2 §7.6.7.6.3, Table 7-67
 * (no output):
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Region ID
 *   0x01   3    Reserved
 *   0x04   8    Region Block Size
 *   0x0C   1    bit 0 Sanitize on Release
 *   0x0D   3    Reserved
 */
int cci_enc_set_region_cfg_in(struct wwr *w, const struct cci_set_region_cfg_in *in)
{
	wwr_u8(w, in->region);
	wwr_zero(w, 3);
	wwr_u64le(w, in->block_size);
	wwr_u8(w, in->sanitize_on_release ? 1 : 0);
	wwr_zero(w, 3);
	return wwr_result(w);
}

int cci_dec_set_region_cfg_in(const uint8_t *p, size_t len, struct cci_set_region_cfg_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->region = wrd_u8(&r);
	wrd_skip(&r, 3);
	in->block_size = wrd_u64le(&r);
	in->sanitize_on_release = (wrd_u8(&r) & 1) != 0;
	wrd_skip(&r, 3);
	return wrd_result(&r);
}

/*
 * Get DC Region Extent Lists (5603h), CXL r3.2 §7.6.7.6.4.
 * Input, Table 7-68:
 *
 *   OFFSET SIZE FIELD
 *   0x00   2    Host ID
 *   0x02   2    Reserved
 *   0x04   4    Extent Count (0 = header only)
 *   0x08   4    Starting Extent Index
 *
 * Output, Table 7-69:
 *
 *   OFFSET SIZE     FIELD
 *   0x00   2        Host ID
 *   0x02   2        Reserved
 *   0x04   4        Starting Extent Index
 *   0x08   4        Returned Extent Count
 *   0x0C   4        Total Extent Count
 *   0x10   4        Extent List Generation Number
 *   0x14   4        Reserved
 *   0x18   0x28 x N Extent List (Table 8-63)
 */
int cci_enc_region_extents_in(struct wwr *w, const struct cci_region_extents_in *in)
{
	wwr_u16le(w, in->host);
	wwr_zero(w, 2);
	wwr_u32le(w, in->count);
	wwr_u32le(w, in->start);
	return wwr_result(w);
}

int cci_dec_region_extents_in(const uint8_t *p, size_t len, struct cci_region_extents_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->host = wrd_u16le(&r);
	wrd_skip(&r, 2);
	in->count = wrd_u32le(&r);
	in->start = wrd_u32le(&r);
	return wrd_result(&r);
}

int cci_enc_region_extents_out_hdr(struct wwr *w, const struct cci_region_extents_out *h)
{
	wwr_u16le(w, h->host);
	wwr_zero(w, 2);
	wwr_u32le(w, h->start);
	wwr_u32le(w, h->returned);
	wwr_u32le(w, h->total);
	wwr_u32le(w, h->generation);
	wwr_zero(w, 4);
	return wwr_result(w);
}

int cci_dec_region_extents_out(const uint8_t *p, size_t len, struct cci_region_extents_out *h,
			       struct cxldcd_extent *e, uint32_t cap)
{
	struct wrd r;
	size_t need;

	wrd_init(&r, p, len);
	h->host = wrd_u16le(&r);
	wrd_skip(&r, 2);
	h->start = wrd_u32le(&r);
	h->returned = wrd_u32le(&r);
	h->total = wrd_u32le(&r);
	h->generation = wrd_u32le(&r);
	wrd_skip(&r, 4);
	if (r.bad ||
	    size_muladd_overflow(CCI_REGION_EXTENTS_HDR, h->returned, CXLDCD_DC_EXTENT_SIZE, &need) ||
	    need != len)
		return -EMSGSIZE;
	if (h->returned > cap)
		return -ENOBUFS;
	for (uint32_t i = 0; i < h->returned; i++)
		cci_dec_extent(&r, &e[i]);
	return wrd_result(&r);
}

/*
 * Initiate Dynamic Capacity Add (5604h) input, CXL r3.2 §7.6.7.6.5, Table 7-70
 * (no output):
 *
 *   OFFSET SIZE     FIELD
 *   0x00   2        Host ID
 *   0x02   1        bits 3:0 Selection Policy (0 Free, 1 Contiguous,
 *                   2 Prescriptive, 3 Enable Shared Access); 7:4 reserved
 *   0x03   1        Region Number (reserved for Prescriptive)
 *   0x04   8        Length (reserved for Prescriptive and Enable Shared Access)
 *   0x0C   16       Tag (reserved for Prescriptive: tags are per extent)
 *   0x1C   4        Extent Count (Prescriptive only)
 *   0x20   0x28 x N Extent List (Table 8-63; Prescriptive only)
 *
 * Size rule: Prescriptive = 0x20 + 0x28 * Extent Count exactly.  The
 * Extent Count is "present only when the Selection Policy is set to
 * Prescriptive", so every other policy is 0x1C bytes; 0x20 (a count, ignored)
 * is taken too, as libcxlmi's request struct and cxldcd's encoder send it.
 */
int cci_enc_initiate_add_in(struct wwr *w, const struct cci_initiate_add_in *in,
			    const struct cxldcd_extent *ext)
{
	wwr_u16le(w, in->host);
	wwr_u8(w, in->policy);
	wwr_u8(w, in->region);
	wwr_u64le(w, in->length);
	wwr_bytes(w, in->tag, CXLDCD_TAG_SIZE);
	wwr_u32le(w, in->nr);
	for (uint32_t i = 0; i < in->nr; i++)
		cci_enc_extent(w, &ext[i]);
	return wwr_result(w);
}

/*
 * After the fields up to the Tag (0x1C bytes): the Extent Count and the list
 * for a Prescriptive request, nothing (or an ignored count) for the others.
 * Shared by 5604h and 5605h.
 */
static int dec_list(struct wrd *r, size_t len, bool has_list, uint32_t *nr, const uint8_t **list)
{
	size_t need;

	*nr = 0;
	*list = NULL;
	if (!has_list)
		return len == CCI_INITIATE_FIXED || len == CCI_INITIATE_HDR ? 0 : -EMSGSIZE;
	*nr = wrd_u32le(r);
	if (r->bad || size_muladd_overflow(CCI_INITIATE_HDR, *nr, CXLDCD_DC_EXTENT_SIZE, &need) ||
	    need != len)
		return -EMSGSIZE;
	*list = wrd_ptr(r, len - CCI_INITIATE_HDR);
	return wrd_result(r);
}

int cci_dec_initiate_add_in(const uint8_t *p, size_t len, struct cci_initiate_add_in *in)
{
	struct wrd r;
	bool prescriptive;

	wrd_init(&r, p, len);
	in->host = wrd_u16le(&r);
	in->policy = wrd_u8(&r) & CCI_ADD_POLICY_MASK;
	in->region = wrd_u8(&r);
	in->length = wrd_u64le(&r);
	wrd_bytes(&r, in->tag, CXLDCD_TAG_SIZE);
	if (r.bad)
		return -EMSGSIZE;
	if (in->policy > CXLDCD_ADD_ENABLE_SHARED)
		return -EINVAL;
	prescriptive = in->policy == CXLDCD_ADD_PRESCRIPTIVE;
	if (prescriptive) {
		in->region = 0;
		memset(in->tag, 0, sizeof(in->tag));
	}
	if (prescriptive || in->policy == CXLDCD_ADD_ENABLE_SHARED)
		in->length = 0;
	return dec_list(&r, len, prescriptive, &in->nr, &in->list);
}

/*
 * Initiate Dynamic Capacity Release (5605h) input, CXL r3.2 §7.6.7.6.6,
 * Table 7-71 (no output):
 *
 *   OFFSET SIZE     FIELD
 *   0x00   2        Host ID
 *   0x02   1        Flags: bits 3:0 Removal Policy (0 Tag-based, 1 Prescriptive);
 *                   bit 4 Forced Removal; bit 5 Sanitize on Release; 7:6 reserved
 *   0x03   1        Reserved (r3.2)
 *   0x04   8        Length (reserved for Prescriptive)
 *   0x0C   16       Tag (reserved for Prescriptive)
 *   0x1C   4        Extent Count (Prescriptive only)
 *   0x20   0x28 x N Extent List (Prescriptive only)
 *
 * Size rule as 5604h: Prescriptive = 0x20 + 0x28 * Extent Count exactly;
 * Tag-based = 0x1C (Extent Count "present only when" Prescriptive) or 0x20.
 *
 * COMPAT: QEMU names byte 3 a region number (r3.1 wording); r3.2 and
 * libcxlmi treat it as reserved, so it is ignored here.
 */
int cci_enc_initiate_release_in(struct wwr *w, const struct cci_initiate_release_in *in,
				const struct cxldcd_extent *ext)
{
	wwr_u16le(w, in->host);
	wwr_u8(w, (uint8_t)((in->policy & CCI_REL_POLICY_MASK) | (in->forced ? CCI_REL_FORCED : 0) |
			    (in->sanitize ? CCI_REL_SANITIZE : 0)));
	wwr_zero(w, 1);
	wwr_u64le(w, in->length);
	wwr_bytes(w, in->tag, CXLDCD_TAG_SIZE);
	wwr_u32le(w, in->nr);
	for (uint32_t i = 0; i < in->nr; i++)
		cci_enc_extent(w, &ext[i]);
	return wwr_result(w);
}

int cci_dec_initiate_release_in(const uint8_t *p, size_t len, struct cci_initiate_release_in *in)
{
	struct wrd r;
	uint8_t flags;
	bool prescriptive;

	wrd_init(&r, p, len);
	in->host = wrd_u16le(&r);
	flags = wrd_u8(&r);
	wrd_skip(&r, 1);
	in->length = wrd_u64le(&r);
	wrd_bytes(&r, in->tag, CXLDCD_TAG_SIZE);
	if (r.bad)
		return -EMSGSIZE;
	in->policy = flags & CCI_REL_POLICY_MASK;
	in->forced = (flags & CCI_REL_FORCED) != 0;
	in->sanitize = (flags & CCI_REL_SANITIZE) != 0;
	if (in->policy > CXLDCD_RELEASE_PRESCRIPTIVE)
		return -EINVAL;
	prescriptive = in->policy == CXLDCD_RELEASE_PRESCRIPTIVE;
	if (prescriptive) {
		in->length = 0;
		memset(in->tag, 0, sizeof(in->tag));
	}
	return dec_list(&r, len, prescriptive, &in->nr, &in->list);
}

/*
 * DC Add Reference (5606h) / DC Remove Reference (5607h) input, CXL r3.2
 * §7.6.7.6.7/8 (no output):
 *
 *   OFFSET SIZE FIELD
 *   0x00   16   Tag
 */
int cci_enc_tag_ref_in(struct wwr *w, const uint8_t tag[CXLDCD_TAG_SIZE])
{
	wwr_bytes(w, tag, CXLDCD_TAG_SIZE);
	return wwr_result(w);
}

int cci_dec_tag_ref_in(const uint8_t *p, size_t len, uint8_t tag[CXLDCD_TAG_SIZE])
{
	struct wrd r;

	wrd_init(&r, p, len);
	wrd_bytes(&r, tag, CXLDCD_TAG_SIZE);
	return wrd_result(&r);
}

/*
 * DC List Tags (5608h), CXL r3.2 §7.6.7.6.9.
 * Input:
 *
 *   OFFSET SIZE FIELD
 *   0x00   4    Starting Index
 *   0x04   4    Max Tags (0 = header only)
 *
 * Output:
 *
 *   OFFSET SIZE     FIELD
 *   0x00   4        Generation Number
 *   0x04   4        Total Number of Tags
 *   0x08   4        Number of Tags Returned
 *   0x0C   1        Validity Bitmap (bit 0 reference bitmaps, bit 1 pending bitmaps)
 *   0x0D   3        Reserved
 *   0x10   0x54 x N Tag Information:
 *                     0x00 16 Tag
 *                     0x10 1  Flags (bit 0 FM Holds Reference)
 *                     0x11 3  Reserved
 *                     0x14 32 Reference Bitmap (bit per LD)
 *                     0x34 32 Pending Reference Bitmap
 */
int cci_enc_list_tags_in(struct wwr *w, const struct cci_list_tags_in *in)
{
	wwr_u32le(w, in->start);
	wwr_u32le(w, in->max);
	return wwr_result(w);
}

int cci_dec_list_tags_in(const uint8_t *p, size_t len, struct cci_list_tags_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->start = wrd_u32le(&r);
	in->max = wrd_u32le(&r);
	return wrd_result(&r);
}

int cci_enc_list_tags_out_hdr(struct wwr *w, const struct cci_list_tags_out *h)
{
	wwr_u32le(w, h->generation);
	wwr_u32le(w, h->total);
	wwr_u32le(w, h->returned);
	wwr_u8(w, h->validity);
	wwr_zero(w, 3);
	return wwr_result(w);
}

int cci_enc_tag_info(struct wwr *w, const struct cci_tag_info *t)
{
	wwr_bytes(w, t->tag, CXLDCD_TAG_SIZE);
	wwr_u8(w, t->flags);
	wwr_zero(w, 3);
	wwr_bytes(w, t->ref_map, 32);
	wwr_bytes(w, t->pending_map, 32);
	return wwr_result(w);
}

int cci_dec_list_tags_out(const uint8_t *p, size_t len, struct cci_list_tags_out *h,
			  struct cci_tag_info *t, uint32_t cap)
{
	struct wrd r;
	size_t need;

	wrd_init(&r, p, len);
	h->generation = wrd_u32le(&r);
	h->total = wrd_u32le(&r);
	h->returned = wrd_u32le(&r);
	h->validity = wrd_u8(&r);
	wrd_skip(&r, 3);
	if (r.bad || size_muladd_overflow(CCI_LIST_TAGS_HDR, h->returned, CXLDCD_TAG_INFO_SIZE, &need) ||
	    need != len)
		return -EMSGSIZE;
	if (h->returned > cap)
		return -ENOBUFS;
	for (uint32_t i = 0; i < h->returned; i++) {
		wrd_bytes(&r, t[i].tag, CXLDCD_TAG_SIZE);
		t[i].flags = wrd_u8(&r);
		wrd_skip(&r, 3);
		wrd_bytes(&r, t[i].ref_map, 32);
		wrd_bytes(&r, t[i].pending_map, 32);
	}
	return wrd_result(&r);
}
