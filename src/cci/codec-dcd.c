/* SPDX-License-Identifier: MIT */
/*
 * codec-dcd.c - codecs of Identify Memory Device (4000h), the Dynamic
 * Capacity commands 4800h-4803h and the extent records they carry.
 */
#include "cci/dcd.h"

#include <string.h>

#include "common/wire.h"

/*
 * Dynamic Capacity Extent, CXL r3.2 Table 8-63 (0x28 bytes):
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Starting DPA (bits 5:0 reserved)
 *   0x08   8    Length
 *   0x10   16   Tag
 *   0x20   2    Shared Extent Sequence
 *   0x22   6    Reserved
 */
int cci_enc_extent(struct wwr *w, const struct cxldcd_extent *e)
{
	wwr_u64le(w, e->dpa);
	wwr_u64le(w, e->len);
	wwr_bytes(w, e->tag, CXLDCD_TAG_SIZE);
	wwr_u16le(w, e->shared_seq);
	wwr_zero(w, 6);
	return wwr_result(w);
}

void cci_dec_extent(struct wrd *r, struct cxldcd_extent *e)
{
	/* Reserved DPA bits are ignored, as a receiver must. */
	e->dpa = wrd_u64le(r) & ~CCI_DPA_RSVD_MASK;
	e->len = wrd_u64le(r);
	wrd_bytes(r, e->tag, CXLDCD_TAG_SIZE);
	e->shared_seq = wrd_u16le(r);
	wrd_skip(r, 6);
}

void cci_dec_extent_at(const uint8_t *list, uint32_t i, struct cxldcd_extent *e)
{
	struct wrd r;

	wrd_init(&r, list + (size_t)i * CXLDCD_DC_EXTENT_SIZE, CXLDCD_DC_EXTENT_SIZE);
	cci_dec_extent(&r, e);
}

/*
 * Updated Extent, CXL r3.2 Table 8-184 (0x18 bytes):
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Starting DPA (bits 5:0 reserved)
 *   0x08   8    Length
 *   0x10   8    Reserved
 */
void cci_dec_updated_extent(const uint8_t *list, uint32_t i, struct cxldcd_range *rg)
{
	struct wrd r;

	wrd_init(&r, list + (size_t)i * CXLDCD_UPDATED_EXTENT_SIZE, CXLDCD_UPDATED_EXTENT_SIZE);
	rg->dpa = wrd_u64le(&r) & ~CCI_DPA_RSVD_MASK;
	rg->len = wrd_u64le(&r);
}

/*
 * Identify Memory Device (4000h) output, CXL r3.2 §8.2.10.9.1.1, Table 8-142:
 *
 *   OFFSET SIZE FIELD
 *   0x00   16   FW Revision (ASCII)
 *   0x10   8    Total Capacity (256 MB units)
 *   0x18   8    Volatile Only Capacity (256 MB units)
 *   0x20   8    Persistent Only Capacity (256 MB units)
 *   0x28   8    Partition Alignment (256 MB units)
 *   0x30   2    Informational Event Log Size
 *   0x32   2    Warning Event Log Size
 *   0x34   2    Failure Event Log Size
 *   0x36   2    Fatal Event Log Size
 *   0x38   4    LSA Size
 *   0x3C   3    Poison List Maximum Media Error Records
 *   0x3F   2    Inject Poison Limit
 *   0x41   1    Poison Handling Capabilities
 *   0x42   1    QoS Telemetry Capabilities
 *   0x43   2    Dynamic Capacity Event Log Size
 */
int cci_enc_identify_memdev_out(struct wwr *w, const struct cci_identify_memdev *id)
{
	wwr_bytes(w, id->fw_revision, 16);
	wwr_u64le(w, id->total_capacity >> CCI_256MB_SHIFT);
	wwr_u64le(w, id->volatile_capacity >> CCI_256MB_SHIFT);
	wwr_u64le(w, id->persistent_capacity >> CCI_256MB_SHIFT);
	wwr_u64le(w, id->partition_align >> CCI_256MB_SHIFT);
	wwr_u16le(w, id->info_log_size);
	wwr_u16le(w, id->warn_log_size);
	wwr_u16le(w, id->fail_log_size);
	wwr_u16le(w, id->fatal_log_size);
	wwr_u32le(w, id->lsa_size);
	wwr_u24le(w, id->poison_list_max);
	wwr_u16le(w, id->inject_poison_limit);
	wwr_u8(w, id->poison_caps);
	wwr_u8(w, id->qos_caps);
	wwr_u16le(w, id->dc_log_size);
	return wwr_result(w);
}

/* 256 MB units to bytes; -EINVAL when the value does not fit 64 bits. */
static int units_to_bytes(uint64_t units, uint64_t *bytes)
{
	if (units > (UINT64_MAX >> CCI_256MB_SHIFT))
		return -EINVAL;
	*bytes = units << CCI_256MB_SHIFT;
	return 0;
}

int cci_dec_identify_memdev_out(const uint8_t *p, size_t len, struct cci_identify_memdev *id)
{
	struct wrd r;
	int err = 0;

	wrd_init(&r, p, len);
	wrd_bytes(&r, id->fw_revision, 16);
	err |= units_to_bytes(wrd_u64le(&r), &id->total_capacity);
	err |= units_to_bytes(wrd_u64le(&r), &id->volatile_capacity);
	err |= units_to_bytes(wrd_u64le(&r), &id->persistent_capacity);
	err |= units_to_bytes(wrd_u64le(&r), &id->partition_align);
	id->info_log_size = wrd_u16le(&r);
	id->warn_log_size = wrd_u16le(&r);
	id->fail_log_size = wrd_u16le(&r);
	id->fatal_log_size = wrd_u16le(&r);
	id->lsa_size = wrd_u32le(&r);
	id->poison_list_max = wrd_u24le(&r);
	id->inject_poison_limit = wrd_u16le(&r);
	id->poison_caps = wrd_u8(&r);
	id->qos_caps = wrd_u8(&r);
	id->dc_log_size = wrd_u16le(&r);
	if (!wrd_done(&r))
		return -EMSGSIZE;
	return err ? -EINVAL : 0;
}

/*
 * Trailer of 4800h (Table 8-179) and 5601h (Table 7-65) outputs, placed
 * right after the last returned region record:
 *
 *   OFFSET SIZE FIELD
 *   +0x0   4    Total Number of Supported Extents
 *   +0x4   4    Number of Available Extents
 *   +0x8   4    Total Number of Supported Tags
 *   +0xC   4    Number of Available Tags
 */
int cci_enc_dc_counts(struct wwr *w, const struct cci_dc_counts *c)
{
	wwr_u32le(w, c->total_extents);
	wwr_u32le(w, c->avail_extents);
	wwr_u32le(w, c->total_tags);
	wwr_u32le(w, c->avail_tags);
	return wwr_result(w);
}

static void dec_dc_counts(struct wrd *r, struct cci_dc_counts *c)
{
	c->total_extents = wrd_u32le(r);
	c->avail_extents = wrd_u32le(r);
	c->total_tags = wrd_u32le(r);
	c->avail_tags = wrd_u32le(r);
}

/*
 * Get Dynamic Capacity Configuration (4800h), CXL r3.2 §8.2.10.9.9.1.
 * Input, Table 8-178:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Region Count (max records to return)
 *   0x01   1    Starting Region Index
 *
 * Output, Table 8-179:
 *
 *   OFFSET SIZE     FIELD
 *   0x00   1        Number of Available Regions
 *   0x01   1        Regions Returned
 *   0x02   6        Reserved
 *   0x08   0x28 x N Region Configuration (Table 8-180)
 *   var    16       trailer (cci_enc_dc_counts)
 *
 * Region Configuration, Table 8-180:
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Region Base (bytes)
 *   0x08   8    Region Decode Length (256 MB units)
 *   0x10   8    Region Length (bytes)
 *   0x18   8    Region Block Size (bytes)
 *   0x20   4    DSMADHandle
 *   0x24   1    Flags (bit 0 Sanitize on Release)
 *   0x25   3    Reserved
 */
int cci_enc_dc_config_in(struct wwr *w, const struct cci_dc_config_in *in)
{
	wwr_u8(w, in->region_count);
	wwr_u8(w, in->start_region);
	return wwr_result(w);
}

int cci_dec_dc_config_in(const uint8_t *p, size_t len, struct cci_dc_config_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->region_count = wrd_u8(&r);
	in->start_region = wrd_u8(&r);
	return wrd_result(&r);
}

int cci_enc_dc_config_out_hdr(struct wwr *w, uint8_t avail_regions, uint8_t returned)
{
	wwr_u8(w, avail_regions);
	wwr_u8(w, returned);
	wwr_zero(w, 6);
	return wwr_result(w);
}

int cci_enc_dc_region_cfg(struct wwr *w, const struct cci_dc_region_cfg *rc)
{
	wwr_u64le(w, rc->base);
	wwr_u64le(w, rc->decode_len >> CCI_256MB_SHIFT);
	wwr_u64le(w, rc->len);
	wwr_u64le(w, rc->block_size);
	wwr_u32le(w, rc->dsmad_handle);
	wwr_u8(w, rc->sanitize_on_release ? 1 : 0);
	wwr_zero(w, 3);
	return wwr_result(w);
}

int cci_dec_dc_config_out(const uint8_t *p, size_t len, struct cci_dc_config_out *out)
{
	struct wrd r;
	int err = 0;

	wrd_init(&r, p, len);
	out->avail_regions = wrd_u8(&r);
	out->returned = wrd_u8(&r);
	wrd_skip(&r, 6);
	if (r.bad || wrd_left(&r) != (size_t)out->returned * CXLDCD_DC_REGION_CFG_SIZE +
					     CCI_DC_TRAILER_SIZE)
		return -EMSGSIZE;
	if (out->returned > CXLDCD_MAX_REGIONS)
		return -EINVAL;
	for (unsigned i = 0; i < out->returned; i++) {
		struct cci_dc_region_cfg *rc = &out->regions[i];

		rc->base = wrd_u64le(&r);
		err |= units_to_bytes(wrd_u64le(&r), &rc->decode_len);
		rc->len = wrd_u64le(&r);
		rc->block_size = wrd_u64le(&r);
		rc->dsmad_handle = wrd_u32le(&r);
		rc->sanitize_on_release = (wrd_u8(&r) & 1) != 0;
		wrd_skip(&r, 3);
	}
	dec_dc_counts(&r, &out->counts);
	if (!wrd_done(&r))
		return -EMSGSIZE;
	return err ? -EINVAL : 0;
}

/*
 * Get Dynamic Capacity Extent List (4801h), CXL r3.2 §8.2.10.9.9.2.
 * Input, Table 8-181:
 *
 *   OFFSET SIZE FIELD
 *   0x00   4    Extent Count (max to return; 0 = header only)
 *   0x04   4    Starting Extent Index
 *
 * Output, Table 8-182:
 *
 *   OFFSET SIZE     FIELD
 *   0x00   4        Returned Extent Count
 *   0x04   4        Total Extent Count
 *   0x08   4        Extent List Generation Number
 *   0x0C   4        Reserved
 *   0x10   0x28 x N Dynamic Capacity Extent (Table 8-63)
 */
int cci_enc_extent_list_in(struct wwr *w, const struct cci_extent_list_in *in)
{
	wwr_u32le(w, in->count);
	wwr_u32le(w, in->start);
	return wwr_result(w);
}

int cci_dec_extent_list_in(const uint8_t *p, size_t len, struct cci_extent_list_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->count = wrd_u32le(&r);
	in->start = wrd_u32le(&r);
	return wrd_result(&r);
}

int cci_enc_extent_list_out_hdr(struct wwr *w, const struct cci_extent_list_out *h)
{
	wwr_u32le(w, h->returned);
	wwr_u32le(w, h->total);
	wwr_u32le(w, h->generation);
	wwr_zero(w, 4);
	return wwr_result(w);
}

int cci_dec_extent_list_out(const uint8_t *p, size_t len, struct cci_extent_list_out *h,
			    struct cxldcd_extent *e, uint32_t cap)
{
	struct wrd r;
	size_t need;

	wrd_init(&r, p, len);
	h->returned = wrd_u32le(&r);
	h->total = wrd_u32le(&r);
	h->generation = wrd_u32le(&r);
	wrd_skip(&r, 4);
	if (r.bad ||
	    size_muladd_overflow(CCI_EXTENT_LIST_HDR, h->returned, CXLDCD_DC_EXTENT_SIZE, &need) ||
	    need != len)
		return -EMSGSIZE;
	if (h->returned > cap)
		return -ENOBUFS;
	for (uint32_t i = 0; i < h->returned; i++)
		cci_dec_extent(&r, &e[i]);
	return wrd_result(&r);
}

/*
 * Add Dynamic Capacity Response (4802h, CXL r3.2 §8.2.10.9.9.3, Table 8-183)
 * and Release Dynamic Capacity (4803h, §8.2.10.9.9.4, Table 8-185) input:
 *
 *   OFFSET SIZE     FIELD
 *   0x00   4        Updated Extent List Size
 *   0x04   1        Flags (bit 0 More; 7:1 reserved)
 *   0x05   3        Reserved
 *   0x08   0x18 x N Updated Extent (Table 8-184)
 */
int cci_enc_dc_rsp_in(struct wwr *w, const struct cxldcd_range *rg, uint32_t n, bool more)
{
	wwr_u32le(w, n);
	wwr_u8(w, more ? CCI_DC_RSP_MORE : 0);
	wwr_zero(w, 3);
	for (uint32_t i = 0; i < n; i++) {
		wwr_u64le(w, rg[i].dpa);
		wwr_u64le(w, rg[i].len);
		wwr_zero(w, 8);
	}
	return wwr_result(w);
}

int cci_dec_dc_rsp_in(const uint8_t *p, size_t len, struct cci_dc_rsp_in *in)
{
	struct wrd r;
	size_t need;

	wrd_init(&r, p, len);
	in->nr = wrd_u32le(&r);
	in->more = (wrd_u8(&r) & CCI_DC_RSP_MORE) != 0;
	wrd_skip(&r, 3);
	if (r.bad || size_muladd_overflow(CCI_DC_RSP_HDR, in->nr, CXLDCD_UPDATED_EXTENT_SIZE, &need) ||
	    need != len)
		return -EMSGSIZE;
	in->list = wrd_ptr(&r, len - CCI_DC_RSP_HDR);
	return wrd_result(&r);
}
