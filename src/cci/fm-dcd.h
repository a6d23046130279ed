/* SPDX-License-Identifier: MIT */
/*
 * fm-dcd.h - native forms of the FM-API DCD Management command set (56h):
 * 5600h-5608h.  Codecs in codec-fm-dcd.c.
 */
#ifndef CXLDCD_CCI_FM_DCD_H
#define CXLDCD_CCI_FM_DCD_H

#include <stdbool.h>
#include <stdint.h>

#include "cci/codec.h"
#include "cci/dcd.h"
#include "cxldcd/types.h"

#define CCI_DCD_INFO_SIZE 0x54u
#define CCI_HOST_REGION_CFG_IN_SIZE 4u
#define CCI_HOST_REGION_CFG_HDR 4u
#define CCI_SET_REGION_CFG_IN_SIZE 0x10u
#define CCI_REGION_EXTENTS_IN_SIZE 0x0cu
#define CCI_REGION_EXTENTS_HDR 0x18u
#define CCI_INITIATE_HDR 0x20u
#define CCI_INITIATE_FIXED 0x1cu     /* 5604h/5605h up to the Tag: a non-Prescriptive request */
#define CCI_TAG_REF_IN_SIZE 0x10u
#define CCI_LIST_TAGS_IN_SIZE 8u
#define CCI_LIST_TAGS_HDR 0x10u

#define CCI_ADD_POLICY_MASK 0x0fu      /* 5604h byte 2 bits 3:0 */
#define CCI_REL_POLICY_MASK 0x0fu      /* 5605h byte 2 bits 3:0 */
#define CCI_REL_FORCED 0x10u           /* 5605h byte 2 bit 4 */
#define CCI_REL_SANITIZE 0x20u         /* 5605h byte 2 bit 5 */

/* 5601h region flags byte (Table 7-66 offset 0x20) */
#define CCI_HRF_NONVOLATILE (1u << 2)
#define CCI_HRF_SHARABLE (1u << 3)
#define CCI_HRF_HW_COHERENCY (1u << 4)
#define CCI_HRF_IC_DC_MGMT (1u << 5)
#define CCI_HRF_READ_ONLY (1u << 6)

/* 5608h Validity Bitmap */
#define CCI_TAGS_REF_VALID 0x01u
#define CCI_TAGS_PENDING_VALID 0x02u
#define CCI_TAG_FM_REF 0x01u

struct cci_dcd_info {
	uint8_t nr_hosts;
	uint8_t nr_regions;
	uint16_t add_policies;          /* bit n = selection policy n; bit 3 must be 0 */
	uint16_t removal_policies;
	uint8_t sor_config_mask;
	uint64_t total_capacity;        /* bytes (256 MB units on the wire) */
	uint64_t block_masks[CXLDCD_MAX_REGIONS];
};

struct cci_host_region_cfg_in {
	uint16_t host;
	uint8_t region_count;
	uint8_t start_region;
};

struct cci_host_region_cfg {
	uint64_t base;
	uint64_t decode_len;            /* bytes */
	uint64_t len;
	uint64_t block_size;
	uint8_t flags;                  /* CCI_HRF_* */
	bool sanitize_on_release;
};

struct cci_host_region_cfg_out {
	uint16_t host;
	uint8_t avail_regions;
	uint8_t returned;
	struct cci_host_region_cfg regions[CXLDCD_MAX_REGIONS];
	struct cci_dc_counts counts;
};

struct cci_set_region_cfg_in {
	uint8_t region;
	uint64_t block_size;
	bool sanitize_on_release;
};

struct cci_region_extents_in {
	uint16_t host;
	uint32_t count;
	uint32_t start;
};

struct cci_region_extents_out {
	uint16_t host;
	uint32_t start;
	uint32_t returned;
	uint32_t total;
	uint32_t generation;
};

/* 5604h input: fields reserved by the policy are zero after decoding. */
struct cci_initiate_add_in {
	uint16_t host;
	uint8_t policy;                 /* enum cxldcd_add_policy */
	uint8_t region;
	uint64_t length;
	uint8_t tag[CXLDCD_TAG_SIZE];
	uint32_t nr;                    /* prescriptive */
	const uint8_t *list;            /* borrowed: nr * 0x28 bytes */
};

/* 5605h input: fields reserved by the policy are zero after decoding. */
struct cci_initiate_release_in {
	uint16_t host;
	uint8_t policy;                 /* enum cxldcd_release_policy */
	bool forced;
	bool sanitize;
	uint64_t length;
	uint8_t tag[CXLDCD_TAG_SIZE];
	uint32_t nr;
	const uint8_t *list;
};

struct cci_list_tags_in {
	uint32_t start;
	uint32_t max;
};

struct cci_list_tags_out {
	uint32_t generation;
	uint32_t total;
	uint32_t returned;
	uint8_t validity;
};

struct cci_tag_info {
	uint8_t tag[CXLDCD_TAG_SIZE];
	uint8_t flags;                  /* CCI_TAG_FM_REF */
	uint8_t ref_map[32];
	uint8_t pending_map[32];
};

int cci_enc_dcd_info_out(struct wwr *w, const struct cci_dcd_info *in);
int cci_dec_dcd_info_out(const uint8_t *p, size_t len, struct cci_dcd_info *out);

int cci_enc_host_region_cfg_in(struct wwr *w, const struct cci_host_region_cfg_in *in);
int cci_dec_host_region_cfg_in(const uint8_t *p, size_t len, struct cci_host_region_cfg_in *in);
int cci_enc_host_region_cfg_out_hdr(struct wwr *w, uint16_t host, uint8_t avail, uint8_t returned);
int cci_enc_host_region_cfg(struct wwr *w, const struct cci_host_region_cfg *rc);
int cci_dec_host_region_cfg_out(const uint8_t *p, size_t len, struct cci_host_region_cfg_out *out);

int cci_enc_set_region_cfg_in(struct wwr *w, const struct cci_set_region_cfg_in *in);
int cci_dec_set_region_cfg_in(const uint8_t *p, size_t len, struct cci_set_region_cfg_in *in);

int cci_enc_region_extents_in(struct wwr *w, const struct cci_region_extents_in *in);
int cci_dec_region_extents_in(const uint8_t *p, size_t len, struct cci_region_extents_in *in);
int cci_enc_region_extents_out_hdr(struct wwr *w, const struct cci_region_extents_out *h);
int cci_dec_region_extents_out(const uint8_t *p, size_t len, struct cci_region_extents_out *h,
			       struct cxldcd_extent *e, uint32_t cap);

int cci_enc_initiate_add_in(struct wwr *w, const struct cci_initiate_add_in *in,
			    const struct cxldcd_extent *ext);
int cci_dec_initiate_add_in(const uint8_t *p, size_t len, struct cci_initiate_add_in *in);

int cci_enc_initiate_release_in(struct wwr *w, const struct cci_initiate_release_in *in,
				const struct cxldcd_extent *ext);
int cci_dec_initiate_release_in(const uint8_t *p, size_t len, struct cci_initiate_release_in *in);

int cci_enc_tag_ref_in(struct wwr *w, const uint8_t tag[CXLDCD_TAG_SIZE]);
int cci_dec_tag_ref_in(const uint8_t *p, size_t len, uint8_t tag[CXLDCD_TAG_SIZE]);

int cci_enc_list_tags_in(struct wwr *w, const struct cci_list_tags_in *in);
int cci_dec_list_tags_in(const uint8_t *p, size_t len, struct cci_list_tags_in *in);
int cci_enc_list_tags_out_hdr(struct wwr *w, const struct cci_list_tags_out *h);
int cci_enc_tag_info(struct wwr *w, const struct cci_tag_info *t);
int cci_dec_list_tags_out(const uint8_t *p, size_t len, struct cci_list_tags_out *h,
			  struct cci_tag_info *t, uint32_t cap);

#endif /* CXLDCD_CCI_FM_DCD_H */
