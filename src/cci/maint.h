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

#endif /* CXLDCD_CCI_MAINT_H */
