/* SPDX-License-Identifier: MIT */
/*
 * memdev.h - native forms of the memory-device commands beyond Dynamic
 * Capacity: Get FW Info (0200h), Get/Set Timestamp (0300h/0301h), Get
 * Partition Info (4100h), Get/Set LSA (4102h/4103h), Get Health Info
 * (4200h), Get/Set Alert Configuration (4201h/4202h) and the poison
 * commands 4300h-4302h.  Codecs in codec-memdev.c.
 */
#ifndef CXLDCD_CCI_MEMDEV_H
#define CXLDCD_CCI_MEMDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "cci/codec.h"
#include "cxldcd/types.h"

#define CCI_FW_INFO_SIZE 0x50u
#define CCI_FW_REV_SIZE 0x10u
#define CCI_FW_SLOTS 4u
#define CCI_TIMESTAMP_SIZE 8u
#define CCI_PARTITION_INFO_SIZE 0x20u
#define CCI_GET_LSA_IN_SIZE 8u
#define CCI_SET_LSA_HDR 8u
#define CCI_HEALTH_INFO_SIZE 0x12u
#define CCI_ALERT_CFG_SIZE 0x10u
#define CCI_SET_ALERT_CFG_SIZE 0x0cu
#define CCI_POISON_LIST_IN_SIZE 0x10u
#define CCI_POISON_LIST_HDR 0x20u
#define CCI_MEDIA_ERROR_SIZE 0x10u
#define CCI_INJECT_POISON_SIZE 8u
#define CCI_CLEAR_POISON_SIZE 0x48u
#define CCI_POISON_GRAN 64u

#define CCI_SECURITY_STATE_SIZE 4u
/* Security State bits (CXL r3.2 §8.2.10.9.6.1); 31:6 reserved. */
#define CCI_SEC_USER_PASS_SET (1u << 0)
#define CCI_SEC_MASTER_PASS_SET (1u << 1)
#define CCI_SEC_LOCKED (1u << 2)
#define CCI_SEC_FROZEN (1u << 3)
#define CCI_SEC_USER_PASS_LIMIT (1u << 4)
#define CCI_SEC_MASTER_PASS_LIMIT (1u << 5)

#define CCI_BG_STATUS_SIZE 8u
#define CCI_SCAN_CAPS_OUT_SIZE 4u
#define CCI_SCAN_MEDIA_IN_SIZE 0x11u
#define CCI_SCAN_RESULTS_HDR 0x20u
#define CCI_SCAN_NO_EVENT_LOG (1u << 0)
#define CCI_SCAN_MORE (1u << 0)
#define CCI_SCAN_STOPPED (1u << 1)

#define CCI_GET_SUPP_FEATURES_IN_SIZE 8u
#define CCI_SUPP_FEATURES_HDR 8u
#define CCI_GET_FEATURE_IN_SIZE 0x15u
#define CCI_SET_FEATURE_HDR 0x20u

/* Poison List Flags */
#define CCI_POISON_MORE (1u << 0)
#define CCI_POISON_OVERFLOW (1u << 1)
#define CCI_POISON_SCAN_IN_PROGRESS (1u << 2)

struct cci_fw_info {
	uint8_t slots_supported;
	uint8_t slot_info;          /* bits 2:0 active slot, 5:3 staged slot */
	uint8_t activation_caps;    /* bit 0: online activation */
	uint8_t rev[CCI_FW_SLOTS][CCI_FW_REV_SIZE];
};

struct cci_partition_info {     /* bytes, multiples of 256 MB */
	uint64_t active_volatile, active_persistent;
	uint64_t next_volatile, next_persistent;
};

struct cci_lsa_range {          /* 4102h input; 4103h header (length = data bytes) */
	uint32_t offset;
	uint32_t length;
};

struct cci_health_info {
	uint8_t health_status;
	uint8_t media_status;
	uint8_t additional_status;
	uint8_t life_used;
	uint16_t temperature;
	uint32_t dirty_shutdowns;
	uint32_t corrected_volatile;
	uint32_t corrected_persistent;
};

struct cci_alert_cfg {
	uint8_t valid_alerts;
	uint8_t programmable_alerts;
	uint8_t life_used_crit, life_used_warn;
	uint16_t over_temp_crit, under_temp_crit;
	uint16_t over_temp_warn, under_temp_warn;
	uint16_t corr_volatile_warn, corr_persistent_warn;
};

struct cci_set_alert_cfg {
	uint8_t valid_actions;
	uint8_t enable_actions;
	uint8_t life_used_warn;
	uint16_t over_temp_warn, under_temp_warn;
	uint16_t corr_volatile_warn, corr_persistent_warn;
};

struct cci_poison_range {       /* 4300h input: bytes */
	uint64_t dpa, len;
};

struct cci_poison_list_hdr {
	uint8_t flags;              /* CCI_POISON_* */
	uint64_t overflow_ts;
	uint16_t count;
};

struct cci_media_error {
	uint64_t dpa;               /* 64-byte aligned */
	uint8_t source;             /* bits 2:0 of the address field */
	uint64_t len;               /* bytes, 64-byte multiple */
};

struct cci_clear_poison {
	uint64_t dpa;
	uint8_t data[CCI_POISON_GRAN];
};

/* Media event records (§8.2.10.2.1.1-3): the 0x50 bytes after the common header. */
#define CCI_GM_EVENT_UUID                                                                  \
	{ 0xfb, 0xcd, 0x0a, 0x77, 0xc2, 0x60, 0x41, 0x7f,                                 \
	  0x85, 0xa9, 0x08, 0x8b, 0x16, 0x21, 0xeb, 0xa6 }
#define CCI_DRAM_EVENT_UUID                                                                \
	{ 0x60, 0x1d, 0xcb, 0xb3, 0x9c, 0x06, 0x4e, 0xab,                                 \
	  0xb8, 0xaf, 0x4e, 0x9b, 0xfb, 0x5c, 0x96, 0x24 }
#define CCI_MM_EVENT_UUID                                                                  \
	{ 0xfe, 0x92, 0x74, 0x75, 0xdd, 0x59, 0x43, 0x39,                                 \
	  0xa5, 0x86, 0x79, 0xba, 0xb1, 0x13, 0xb7, 0x74 }
#define CCI_EVENT_DATA_SIZE 0x50u
#define CCI_COMPONENT_ID_SIZE 0x10u
#define CCI_CORRECTION_MASKS 4u

/* The fields at 0x30-0x3E that General Media and DRAM Event Records share. */
struct cci_media_event_head {
	uint64_t dpa;               /* with its low flag bits */
	uint8_t descriptor, type, transaction_type;
	uint16_t validity;          /* bits: see each record */
	uint8_t channel, rank;
};

struct cci_gm_event {
	struct cci_media_event_head head; /* validity: 0 channel, 1 rank, 2 device, 3 component id,
					     4 component id format (PLDM) */
	uint32_t device;            /* 24 bits */
	uint8_t component_id[CCI_COMPONENT_ID_SIZE];
	uint8_t cme_ev_flags;       /* r3.2: Advanced Programmable CME Threshold Event Flags */
	uint32_t cme_count;         /* r3.2: Corrected Memory Error Count at Event, 24 bits */
	uint8_t sub_type;           /* r3.2: Memory Event Sub-Type */
};

struct cci_dram_event {
	struct cci_media_event_head head; /* validity: 0 channel, 1 rank, 2 nibble, 3 bank group,
					     4 bank, 5 row, 6 column, 7 correction mask,
					     8 component id, 9 its format (PLDM), 10 sub-channel */
	uint32_t nibble_mask;       /* 24 bits */
	uint8_t bank_group, bank;
	uint32_t row;               /* 24 bits */
	uint16_t column;
	uint64_t correction_mask[CCI_CORRECTION_MASKS];
	uint8_t component_id[CCI_COMPONENT_ID_SIZE];   /* r3.2 from here on */
	uint8_t sub_channel;
	uint8_t cme_ev_flags;
	uint32_t cvme_count;        /* 24 bits */
	uint8_t sub_type;
};

struct cci_mm_event {
	uint8_t type;
	struct cci_health_info health;
	uint16_t validity;          /* r3.2: 0 component id, 1 its format (PLDM) */
	uint8_t component_id[CCI_COMPONENT_ID_SIZE];
	uint8_t sub_type;           /* r3.2: Device Event Sub-Type */
};

/* Physical Address flag bit 0 (Tables 8-57, 8-58): the DPA is volatile memory. */
#define CCI_DPA_VOLATILE (1u << 0)
/* Memory Event Descriptor bit 0: Uncorrectable Event. */
#define CCI_MEDIA_DESC_UNCORRECTABLE (1u << 0)
/* Memory Event Type 00h: Media ECC Error; Transaction Type 04h: Host Inject Poison (Table 8-57). */
#define CCI_GM_TYPE_MEDIA_ECC 0x00u
#define CCI_GM_TRANS_HOST_INJECT_POISON 0x04u

/* Each writes exactly CCI_EVENT_DATA_SIZE bytes (the rest reserved, zero). */
int cci_enc_gm_event(struct wwr *w, const struct cci_gm_event *e);
int cci_enc_dram_event(struct wwr *w, const struct cci_dram_event *e);
int cci_enc_mm_event(struct wwr *w, const struct cci_mm_event *e);

struct cci_get_supp_features_in {
	uint32_t count;             /* bytes of output wanted */
	uint16_t start_index;
};

struct cci_get_feature_in {
	uint8_t uuid[16];
	uint16_t offset, count;
	uint8_t selection;
};

struct cci_set_feature_in {
	uint8_t uuid[16];
	uint32_t flags;
	uint16_t offset;
	uint8_t version;
	uint32_t data_len;          /* bytes after the header */
	const uint8_t *data;        /* borrowed */
};

int cci_dec_get_supp_features_in(const uint8_t *p, size_t len, struct cci_get_supp_features_in *in);
/* Header only: Supported Feature Entries follow (feat.h). */
int cci_enc_supp_features_hdr(struct wwr *w, uint16_t nr_entries, uint16_t nr_supported);
int cci_dec_get_feature_in(const uint8_t *p, size_t len, struct cci_get_feature_in *in);
int cci_dec_set_feature_in(const uint8_t *p, size_t len, struct cci_set_feature_in *in);

struct cci_bg_status {
	bool running;
	uint8_t percent;
	uint16_t opcode;
	uint16_t rc;
	uint16_t vendor_status;
};

struct cci_scan_media_in {
	struct cci_poison_range range;
	uint8_t flags;              /* CCI_SCAN_NO_EVENT_LOG */
};

struct cci_scan_results_hdr {
	uint64_t restart_dpa, restart_len;  /* bytes */
	uint8_t flags;              /* CCI_SCAN_MORE, CCI_SCAN_STOPPED */
	uint16_t count;
};

int cci_enc_bg_status(struct wwr *w, const struct cci_bg_status *st);
int cci_dec_bg_status(const uint8_t *p, size_t len, struct cci_bg_status *st);
int cci_enc_scan_caps_out(struct wwr *w, uint32_t estimate_ms);
int cci_enc_scan_media_in(struct wwr *w, const struct cci_scan_media_in *in);
int cci_dec_scan_media_in(const uint8_t *p, size_t len, struct cci_scan_media_in *in);
int cci_enc_scan_results_hdr(struct wwr *w, const struct cci_scan_results_hdr *h);

int cci_enc_fw_info_out(struct wwr *w, const struct cci_fw_info *fw);
int cci_dec_fw_info_out(const uint8_t *p, size_t len, struct cci_fw_info *fw);

/* 0300h output, 0301h input: nanoseconds since 1970 UTC. */
int cci_enc_timestamp(struct wwr *w, uint64_t ts_ns);
int cci_dec_timestamp(const uint8_t *p, size_t len, uint64_t *ts_ns);

int cci_enc_partition_info_out(struct wwr *w, const struct cci_partition_info *pi);
int cci_dec_partition_info_out(const uint8_t *p, size_t len, struct cci_partition_info *pi);

int cci_enc_get_lsa_in(struct wwr *w, const struct cci_lsa_range *in);
int cci_dec_get_lsa_in(const uint8_t *p, size_t len, struct cci_lsa_range *in);
/* 4103h: header then data; *data borrows p. */
int cci_enc_set_lsa_in(struct wwr *w, uint32_t offset, const uint8_t *data, uint32_t n);
int cci_dec_set_lsa_in(const uint8_t *p, size_t len, struct cci_lsa_range *in,
		       const uint8_t **data);

int cci_enc_health_info_out(struct wwr *w, const struct cci_health_info *h);
int cci_dec_health_info_out(const uint8_t *p, size_t len, struct cci_health_info *h);

int cci_enc_alert_cfg_out(struct wwr *w, const struct cci_alert_cfg *a);
int cci_dec_alert_cfg_out(const uint8_t *p, size_t len, struct cci_alert_cfg *a);
int cci_enc_set_alert_cfg_in(struct wwr *w, const struct cci_set_alert_cfg *a);
int cci_dec_set_alert_cfg_in(const uint8_t *p, size_t len, struct cci_set_alert_cfg *a);

/* 4500h output: the Security State bits (CCI_SEC_*). */
int cci_enc_security_state_out(struct wwr *w, uint32_t state);
int cci_dec_security_state_out(const uint8_t *p, size_t len, uint32_t *state);

/* 4300h input: -EINVAL when the range wraps. */
int cci_enc_poison_list_in(struct wwr *w, const struct cci_poison_range *in);
int cci_dec_poison_list_in(const uint8_t *p, size_t len, struct cci_poison_range *in);
int cci_enc_poison_list_hdr(struct wwr *w, const struct cci_poison_list_hdr *h);
int cci_enc_media_error(struct wwr *w, const struct cci_media_error *e);
/* Header, then up to cap records copied; -ENOBUFS when more are on the wire. */
int cci_dec_poison_list_out(const uint8_t *p, size_t len, struct cci_poison_list_hdr *h,
			    struct cci_media_error *e, uint16_t cap);

int cci_enc_inject_poison_in(struct wwr *w, uint64_t dpa);
int cci_dec_inject_poison_in(const uint8_t *p, size_t len, uint64_t *dpa);
int cci_enc_clear_poison_in(struct wwr *w, const struct cci_clear_poison *in);
int cci_dec_clear_poison_in(const uint8_t *p, size_t len, struct cci_clear_poison *in);

/*
 * Media Operations (4402h, CXL r3.2 §8.2.10.9.5.3): Class/Subclass, a DPA
 * range list, then operation-specific arguments.  cxldcd serves General /
 * Discovery and Sanitize / Sanitize and Zero.
 */
#define CCI_MEDIA_OP_HDR 8u
#define CCI_MEDIA_OP_RANGE_SIZE 0x10u
#define CCI_MEDIA_OP_DISCOVERY_ARGS 4u
#define CCI_MEDIA_OP_DISCOVERY_HDR 0x0cu
#define CCI_MEDIA_OP_ENTRY_SIZE 2u
#define CCI_MEDIA_OP_CLASS_GENERAL 0x00u
#define CCI_MEDIA_OP_GENERAL_DISCOVERY 0x00u
#define CCI_MEDIA_OP_CLASS_SANITIZE 0x01u
#define CCI_MEDIA_OP_SANITIZE_SANITIZE 0x00u
#define CCI_MEDIA_OP_SANITIZE_ZERO 0x01u

struct cci_media_op_in {
	uint8_t op_class, subclass;
	uint32_t nr_ranges;         /* DPA Range Count */
	const uint8_t *ranges;      /* nr_ranges x CCI_MEDIA_OP_RANGE_SIZE, borrowed */
	const uint8_t *args;        /* operation-specific arguments after the list, borrowed */
	size_t args_len;
};

struct cci_media_op_discovery {  /* Discovery's operation-specific arguments */
	uint16_t start_index;
	uint16_t nr_ops;            /* Number of Supported Operations: at most this many */
};

struct cci_media_op_entry {
	uint8_t op_class, subclass;
};

/* Header and list; the range list must fit in len (-EMSGSIZE), what follows is args. */
int cci_enc_media_op_in(struct wwr *w, uint8_t op_class, uint8_t subclass,
			const struct cxldcd_range *rg, uint32_t n);
int cci_dec_media_op_in(const uint8_t *p, size_t len, struct cci_media_op_in *in);
/* Range i of a list cci_dec_media_op_in() bounded; Starting DPA bits 5:0 are reserved. */
void cci_dec_media_op_range(const uint8_t *list, uint32_t i, struct cxldcd_range *r);
int cci_enc_media_op_discovery_args(struct wwr *w, const struct cci_media_op_discovery *a);
int cci_dec_media_op_discovery_args(const uint8_t *p, size_t len, struct cci_media_op_discovery *a);
/* Discovery output header; entries follow. */
int cci_enc_media_op_discovery_hdr(struct wwr *w, uint64_t granularity, uint16_t total,
				   uint16_t n);
int cci_enc_media_op_entry(struct wwr *w, const struct cci_media_op_entry *e);

#endif /* CXLDCD_CCI_MEMDEV_H */
