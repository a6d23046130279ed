/* SPDX-License-Identifier: MIT */
/*
 * dcd.h - native forms of the memory-device commands cxldcd implements:
 * Identify Memory Device (4000h) and the Dynamic Capacity set 4800h-4803h,
 * plus the Dynamic Capacity Extent (Table 8-63) and Updated Extent (Table
 * 8-184) records shared with the FM-API and event codecs.
 */
#ifndef CXLDCD_CCI_DCD_H
#define CXLDCD_CCI_DCD_H

#include <stdbool.h>
#include <stdint.h>

#include "cci/codec.h"
#include "cxldcd/types.h"

#define CCI_IDENTIFY_MEMDEV_SIZE 0x45u
#define CCI_DC_CONFIG_IN_SIZE 2u
#define CCI_DC_CONFIG_HDR 8u
#define CCI_DC_TRAILER_SIZE 16u
#define CCI_EXTENT_LIST_IN_SIZE 8u
#define CCI_EXTENT_LIST_HDR 0x10u
#define CCI_DC_RSP_HDR 8u
#define CCI_DC_RSP_MORE 0x01u
#define CCI_DPA_RSVD_MASK 0x3full   /* Starting DPA bits 5:0 are reserved */

struct cci_identify_memdev {
	char fw_revision[16];       /* ASCII, zero padded */
	uint64_t total_capacity;    /* bytes, multiple of 256 MiB */
	uint64_t volatile_capacity;
	uint64_t persistent_capacity;
	uint64_t partition_align;
	uint16_t info_log_size, warn_log_size, fail_log_size, fatal_log_size;
	uint32_t lsa_size;
	uint32_t poison_list_max;   /* 24 bits */
	uint16_t inject_poison_limit;
	uint8_t poison_caps;
	uint8_t qos_caps;
	uint16_t dc_log_size;
};

/* The four u32 fields that close 4800h and 5601h outputs. */
struct cci_dc_counts {
	uint32_t total_extents, avail_extents;
	uint32_t total_tags, avail_tags;
};

struct cci_dc_config_in {
	uint8_t region_count;
	uint8_t start_region;
};

struct cci_dc_region_cfg {
	uint64_t base;
	uint64_t decode_len;        /* bytes (256 MiB units on the wire) */
	uint64_t len;
	uint64_t block_size;
	uint32_t dsmad_handle;
	bool sanitize_on_release;
};

struct cci_dc_config_out {
	uint8_t avail_regions;
	uint8_t returned;
	struct cci_dc_region_cfg regions[CXLDCD_MAX_REGIONS];
	struct cci_dc_counts counts;
};

struct cci_extent_list_in {
	uint32_t count;
	uint32_t start;
};

struct cci_extent_list_out {
	uint32_t returned;
	uint32_t total;
	uint32_t generation;
};

/* 4802h / 4803h input: a validated view; ranges decoded with cci_dec_updated_extent(). */
struct cci_dc_rsp_in {
	uint32_t nr;
	bool more;
	const uint8_t *list;        /* borrowed: nr * 0x18 bytes */
};

int cci_enc_extent(struct wwr *w, const struct cxldcd_extent *e);
void cci_dec_extent(struct wrd *r, struct cxldcd_extent *e);
/* Decode record i of a list already checked to hold it. */
void cci_dec_extent_at(const uint8_t *list, uint32_t i, struct cxldcd_extent *e);
void cci_dec_updated_extent(const uint8_t *list, uint32_t i, struct cxldcd_range *r);

int cci_enc_identify_memdev_out(struct wwr *w, const struct cci_identify_memdev *id);
int cci_dec_identify_memdev_out(const uint8_t *p, size_t len, struct cci_identify_memdev *id);

int cci_enc_dc_counts(struct wwr *w, const struct cci_dc_counts *c);

int cci_enc_dc_config_in(struct wwr *w, const struct cci_dc_config_in *in);
int cci_dec_dc_config_in(const uint8_t *p, size_t len, struct cci_dc_config_in *in);
int cci_enc_dc_config_out_hdr(struct wwr *w, uint8_t avail_regions, uint8_t returned);
int cci_enc_dc_region_cfg(struct wwr *w, const struct cci_dc_region_cfg *rc);
int cci_dec_dc_config_out(const uint8_t *p, size_t len, struct cci_dc_config_out *out);

int cci_enc_extent_list_in(struct wwr *w, const struct cci_extent_list_in *in);
int cci_dec_extent_list_in(const uint8_t *p, size_t len, struct cci_extent_list_in *in);
int cci_enc_extent_list_out_hdr(struct wwr *w, const struct cci_extent_list_out *h);
/* Copies the extents into e[] (-ENOBUFS when more than cap). */
int cci_dec_extent_list_out(const uint8_t *p, size_t len, struct cci_extent_list_out *h,
			    struct cxldcd_extent *e, uint32_t cap);

int cci_enc_dc_rsp_in(struct wwr *w, const struct cxldcd_range *r, uint32_t n, bool more);
int cci_dec_dc_rsp_in(const uint8_t *p, size_t len, struct cci_dc_rsp_in *in);

#endif /* CXLDCD_CCI_DCD_H */
