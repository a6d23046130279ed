/* SPDX-License-Identifier: MIT */
/*
 * maint.h - native form of the Perform Maintenance input (0600h, CXL r3.2
 * §8.2.10.7.1): the maintenance operation class and subclass, and the
 * input of a PPR or a memory sparing operation.  Codec in codec-maint.c.
 */
#ifndef CXLDCD_CCI_MAINT_H
#define CXLDCD_CCI_MAINT_H

#include <stdbool.h>
#include <stdint.h>

#include "cci/codec.h"

#define CCI_MAINT_HDR 2u                      /* class, subclass */
#define CCI_MAINT_PPR_SIZE (CCI_MAINT_HDR + 12u)
#define CCI_MAINT_SPARING_SIZE (CCI_MAINT_HDR + 14u)

/* Maintenance Operation Classes (Table 8-125) and their subclasses */
#define CCI_MAINT_CLASS_NONE 0x00u
#define CCI_MAINT_CLASS_PPR 0x01u             /* subclass 00h soft, 01h hard */
#define CCI_MAINT_CLASS_SPARING 0x02u         /* 00h cacheline, 01h row, 02h bank, 03h rank */
#define CCI_MAINT_CLASS_BUILT_IN_TEST 0x03u
#define CCI_MAINT_PPR_SUBCLASSES 2u
#define CCI_MAINT_SPARING_SUBCLASSES 4u

/* Flags of both inputs */
#define CCI_MAINT_QUERY (1u << 0)             /* Query Resources */
#define CCI_SPARE_HARD (1u << 1)              /* memory sparing: Hard Sparing */
#define CCI_SPARE_SUB_CHANNEL_VALID (1u << 2)
#define CCI_SPARE_NIBBLE_VALID (1u << 3)

struct cci_maint_in {
	uint8_t op_class, op_subclass;
	uint8_t flags;
	uint32_t nibble_mask;           /* 24 bits, both inputs */
	uint64_t dpa;                   /* PPR */
	uint8_t channel, rank, bank_group, bank, sub_channel;   /* memory sparing */
	uint32_t row;                   /* 24 bits */
	uint16_t column;
};

/*
 * A PPR input must be CCI_MAINT_PPR_SIZE bytes and a memory sparing input
 * CCI_MAINT_SPARING_SIZE (else -EMSGSIZE); of other classes only the header
 * is read.
 */
int cci_dec_maint_in(const uint8_t *p, size_t len, struct cci_maint_in *in);
int cci_enc_maint_in(struct wwr *w, const struct cci_maint_in *in);

/*
 * Memory Sparing Event Record (CXL r3.2 §8.2.10.2.1.4, Table 8-60): the 0x50
 * bytes after the common header (codec-maint.c).
 */
#define CCI_SPARING_EVENT_UUID                                                             \
	{ 0xe7, 0x1f, 0x3a, 0x40, 0x2d, 0x29, 0x40, 0x92,                                 \
	  0x8a, 0x39, 0x4d, 0x1c, 0x96, 0x6c, 0x7c, 0x65 }
/* Flags */
#define CCI_MSER_QUERY (1u << 0)              /* Query Resources */
#define CCI_MSER_HARD (1u << 1)               /* Hard Sparing */
#define CCI_MSER_DEV_INITIATED (1u << 2)
/* Result */
#define CCI_MSER_RESULT_SUCCESS 0x00u
/* Spare Resource Availability: 03h, three or more spares */
#define CCI_MSER_RES_THREE_OR_MORE 0x03u
/* Validity Flags */
#define CCI_MSER_VALID_CHANNEL (1u << 0)
#define CCI_MSER_VALID_RANK (1u << 1)
#define CCI_MSER_VALID_NIBBLE (1u << 2)
#define CCI_MSER_VALID_BANK_GROUP (1u << 3)
#define CCI_MSER_VALID_BANK (1u << 4)
#define CCI_MSER_VALID_ROW (1u << 5)
#define CCI_MSER_VALID_COLUMN (1u << 6)
#define CCI_MSER_VALID_COMPONENT_ID (1u << 7)
#define CCI_MSER_VALID_COMPONENT_ID_PLDM (1u << 8)
#define CCI_MSER_VALID_SUB_CHANNEL (1u << 9)

struct cci_sparing_event {
	uint8_t op_class, op_subclass;
	uint8_t flags;                  /* CCI_MSER_* flags */
	uint8_t result;
	uint16_t validity;              /* CCI_MSER_VALID_* */
	uint16_t res_avail;
	uint8_t channel, rank;
	uint32_t nibble_mask;           /* 24 bits */
	uint8_t bank_group, bank;
	uint32_t row;                   /* 24 bits */
	uint16_t column;
	uint8_t component_id[16];
	uint8_t sub_channel;
};

/* Writes exactly 0x50 bytes (reserved ones zero). */
int cci_enc_sparing_event(struct wwr *w, const struct cci_sparing_event *e);

#endif /* CXLDCD_CCI_MAINT_H */
