/* SPDX-License-Identifier: MIT */
/*
 * feat.h - native forms of the Features command set's outputs (Get Supported
 * Features entries, CXL r3.2 §8.2.10.6.1) and of the Feature data of the
 * features cxldcd serves: Device Patrol Scrub Control and DDR5 ECS Control
 * (§8.2.10.9.11.1-2), soft/hard PPR and memory sparing (§8.2.10.7.2.1-3).
 * Codecs in codec-features.c; the inputs of
 * 0500h-0502h are decoded in codec-memdev.c (memdev.h).  (Not features.h:
 * src/cci is on the include path, and that is a libc header's name.)
 */
#ifndef CXLDCD_CCI_FEAT_H
#define CXLDCD_CCI_FEAT_H

#include <stdbool.h>
#include <stdint.h>

#include "cci/codec.h"

#define CCI_FEAT_ENTRY_SIZE 0x30u

/* Supported Feature Entry: Attribute Flags (CXL r3.2 Table 8-109) */
#define CCI_FEAT_CHANGEABLE (1u << 0)
#define CCI_FEAT_RESET_PERSIST_SHIFT 1        /* bits 3:1 Deepest Reset Persistence */
#define CCI_FEAT_RESET_PERSIST_MASK (7u << 1)
/* Deepest Reset Persistence values: the deepest reset the current value survives */
#define CCI_FEAT_PERSIST_NONE 0u              /* any reset restores the default value */
#define CCI_FEAT_PERSIST_CXL_RESET 1u
#define CCI_FEAT_PERSIST_HOT_RESET 2u
#define CCI_FEAT_PERSIST_WARM_RESET 3u
#define CCI_FEAT_PERSIST_COLD_RESET 4u
#define CCI_FEAT_RESET_PERSIST(v) ((uint32_t)(v) << CCI_FEAT_RESET_PERSIST_SHIFT)
#define CCI_FEAT_PERSIST_FW_UPDATE (1u << 4)
#define CCI_FEAT_DEFAULT_SEL (1u << 5)        /* Default Selection supported */
#define CCI_FEAT_SAVED_SEL (1u << 6)          /* Saved Selection supported */

/* Set Feature Flags */
#define CCI_SET_FEAT_ACTION_MASK 7u           /* bits 2:0 data transfer action */
#define CCI_SET_FEAT_SAVED (1u << 3)          /* Saved Across Reset */

/* Feature Identifiers, in wire (big-endian UUID) byte order */
#define CCI_PATROL_SCRUB_UUID                                                              \
	{ 0x96, 0xda, 0xd7, 0xd6, 0xfd, 0xe8, 0x48, 0x2b,                                 \
	  0xa7, 0x33, 0x75, 0x77, 0x4e, 0x06, 0xdb, 0x8a }
#define CCI_ECS_UUID                                                                       \
	{ 0xe5, 0xb1, 0x3f, 0x22, 0x23, 0x28, 0x4a, 0x14,                                 \
	  0xb8, 0xba, 0xb9, 0x69, 0x1e, 0x89, 0x33, 0x86 }

/* The repair features (CXL r3.2 Table 8-125), in wire byte order */
#define CCI_SPPR_UUID                                                                      \
	{ 0x89, 0x2b, 0xa4, 0x75, 0xfa, 0xd8, 0x47, 0x4e,                                 \
	  0x9d, 0x3e, 0x69, 0x2c, 0x91, 0x75, 0x68, 0xbb }
#define CCI_HPPR_UUID                                                                      \
	{ 0x80, 0xea, 0x45, 0x21, 0x78, 0x6f, 0x41, 0x27,                                 \
	  0xaf, 0xb1, 0xec, 0x74, 0x59, 0xfb, 0x0e, 0x24 }
#define CCI_CACHELINE_SPARING_UUID                                                         \
	{ 0x96, 0xc3, 0x33, 0x86, 0x91, 0xdd, 0x44, 0xc7,                                 \
	  0x9e, 0xcb, 0xfd, 0xaf, 0x65, 0x03, 0xba, 0xc4 }
#define CCI_ROW_SPARING_UUID                                                               \
	{ 0x45, 0x0e, 0xbf, 0x67, 0xb1, 0x35, 0x4f, 0x97,                                 \
	  0xa4, 0x98, 0xc2, 0xd5, 0x7f, 0x27, 0x9b, 0xed }
#define CCI_BANK_SPARING_UUID                                                              \
	{ 0x78, 0xb7, 0x96, 0x36, 0x90, 0xac, 0x4b, 0x64,                                 \
	  0xa4, 0xef, 0xfa, 0xac, 0x5d, 0x18, 0xa8, 0x63 }
#define CCI_RANK_SPARING_UUID                                                              \
	{ 0x34, 0xdb, 0xaf, 0xf5, 0x05, 0x52, 0x42, 0x81,                                 \
	  0x8f, 0x76, 0xda, 0x0b, 0x5e, 0x7a, 0x76, 0xa7 }

struct cci_feat_entry {
	uint8_t uuid[16];
	uint16_t index;
	uint16_t get_size, set_size;    /* bytes of Feature data Get / Set Feature move */
	uint32_t attr_flags;            /* CCI_FEAT_* */
	uint8_t get_version, set_version;
	uint16_t effects;               /* Set Feature Effects, CEL Command Effect bits */
};

int cci_enc_feat_entry(struct wwr *w, const struct cci_feat_entry *e);
int cci_dec_feat_entry(const uint8_t *p, size_t len, struct cci_feat_entry *e);

/* Patrol scrub control: readable 4 bytes, writable 2 bytes. */
#define CCI_SCRUB_RD_SIZE 4u
#define CCI_SCRUB_WR_SIZE 2u
#define CCI_SCRUB_CAP_CHANGEABLE (1u << 0)    /* Scrub Cycle changeable */
#define CCI_SCRUB_CAP_REALTIME (1u << 1)      /* realtime report of cycle completion */
#define CCI_SCRUB_ENABLED (1u << 0)           /* Scrub Flags */

struct cci_scrub_rd {
	uint8_t caps;                   /* CCI_SCRUB_CAP_* */
	uint8_t cycle_h, min_cycle_h;   /* Scrub Cycle bits 7:0 and 15:8, hours */
	uint8_t flags;                  /* CCI_SCRUB_ENABLED */
};

struct cci_scrub_wr {
	uint8_t cycle_h;
	uint8_t flags;                  /* CCI_SCRUB_ENABLED; other bits reserved */
};

int cci_enc_scrub_rd(struct wwr *w, const struct cci_scrub_rd *a);
int cci_dec_scrub_rd(const uint8_t *p, size_t len, struct cci_scrub_rd *a);
int cci_enc_scrub_wr(struct wwr *w, const struct cci_scrub_wr *a);
int cci_dec_scrub_wr(const uint8_t *p, size_t len, struct cci_scrub_wr *a);

/* DDR5 ECS control: 1 + 4N readable bytes, 1 + 2N writable, N media FRUs. */
#define CCI_ECS_FRUS_MAX 8u
#define CCI_ECS_RD_SIZE(n) (1u + 4u * (n))
#define CCI_ECS_WR_SIZE(n) (1u + 2u * (n))
#define CCI_ECS_LOG_TYPE_MASK 3u              /* ECS Log Capabilities bits 1:0 */
#define CCI_ECS_CAP_REALTIME (1u << 0)        /* ECS Capabilities */
#define CCI_ECS_THRESHOLD_MASK 7u             /* ECS Configuration bits 2:0 */
#define CCI_ECS_MODE_CODEWORDS (1u << 3)      /* bit 3: counts codewords, else rows */
#define CCI_ECS_RESET_COUNTER (1u << 4)       /* bit 4 (write): reset the ECS counter */

struct cci_ecs_rd {
	uint8_t log_caps;
	uint8_t nr_frus;                /* <= CCI_ECS_FRUS_MAX */
	struct {
		uint8_t caps;
		uint16_t config;
		uint8_t flags;
	} fru[CCI_ECS_FRUS_MAX];
};

struct cci_ecs_wr {
	uint8_t log_caps;
	uint8_t nr_frus;
	uint16_t config[CCI_ECS_FRUS_MAX];
};

int cci_enc_ecs_rd(struct wwr *w, const struct cci_ecs_rd *a);
/* nr_frus comes from the feature's Get/Set Feature Size; -EINVAL above CCI_ECS_FRUS_MAX. */
int cci_dec_ecs_rd(const uint8_t *p, size_t len, uint8_t nr_frus, struct cci_ecs_rd *a);
int cci_enc_ecs_wr(struct wwr *w, const struct cci_ecs_wr *a);
int cci_dec_ecs_wr(const uint8_t *p, size_t len, uint8_t nr_frus, struct cci_ecs_wr *a);

/*
 * Repair features: a 0x10-byte maintenance header, then (PPR) PPR Flags,
 * Restriction Flags, PPR Operation Mode, or (memory sparing) a reserved
 * byte and Restriction Flags.  Writable: Operation Mode, (PPR) PPR
 * Operation Mode.
 */
#define CCI_PPR_RD_SIZE 0x14u
#define CCI_PPR_WR_SIZE 3u
#define CCI_SPARING_RD_SIZE 0x13u
#define CCI_SPARING_WR_SIZE 2u
#define CCI_REPAIR_DEV_INITIATED (1u << 0)    /* Operation Capabilities / Mode bit 0 */
#define CCI_PPR_DPA (1u << 0)                 /* PPR Flags: DPA supported */
#define CCI_PPR_NIBBLE (1u << 1)              /* nibble mask supported */
#define CCI_PPR_SPARING_EVENTS (1u << 2)      /* Memory Sparing Event Record capable */
#define CCI_PPR_AT_BOOT (1u << 3)             /* device-initiated repair at boot capable */
#define CCI_PPR_MODE_SPARING_EVENTS (1u << 0) /* PPR Operation Mode */
#define CCI_PPR_MODE_AT_BOOT (1u << 1)
#define CCI_RESTRICT_MEDIA_INACCESSIBLE (1u << 0)     /* Restriction Flags bit 0 */
#define CCI_RESTRICT_DATA_LOST (1u << 2)              /* PPR bit 2 */
#define CCI_SPARING_HARD (1u << 1)                    /* sparing bit 1: hard sparing */
#define CCI_SPARING_SOFT (1u << 2)                    /* sparing bit 2: soft sparing */

struct cci_repair_rd {
	bool ppr;                       /* the PPR layout, else memory sparing */
	uint8_t max_latency;            /* Maximum Maintenance Operation Latency */
	uint16_t op_caps, op_mode;
	uint8_t op_class, op_subclass;
	uint8_t ppr_flags;              /* PPR only (reserved for sparing) */
	uint16_t restriction;
	uint8_t ppr_op_mode;            /* PPR only */
};

struct cci_repair_wr {
	bool ppr;
	uint16_t op_mode;
	uint8_t ppr_op_mode;            /* PPR only */
};

int cci_enc_repair_rd(struct wwr *w, const struct cci_repair_rd *a);
/* a->ppr selects the layout. */
int cci_dec_repair_rd(const uint8_t *p, size_t len, struct cci_repair_rd *a);
int cci_enc_repair_wr(struct wwr *w, const struct cci_repair_wr *a);
int cci_dec_repair_wr(const uint8_t *p, size_t len, struct cci_repair_wr *a);

#endif /* CXLDCD_CCI_FEAT_H */
