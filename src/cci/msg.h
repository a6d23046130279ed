/* SPDX-License-Identifier: MIT */
/*
 * msg.h - the 12-byte CCI message header (CXL r3.2 §7.6.3, Table 7-14):
 * native form and its codec.  Only framing: no command knowledge.
 */
#ifndef CXLDCD_CCI_MSG_H
#define CXLDCD_CCI_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cxldcd/spec.h"

#define CCI_CAT_REQUEST 0x0u
#define CCI_CAT_RESPONSE 0x1u
#define CCI_CAT_MASK 0x0fu
#define CCI_LEN_HI_MASK 0x1fu   /* byte 7 bits 4:0 = payload length 20:16 */
#define CCI_BO_BIT 0x80u        /* byte 7 bit 7 = Background Operation */

struct cci_hdr {
	uint8_t category;       /* CCI_CAT_* (bits 3:0) */
	uint8_t tag;            /* echoed in the response */
	uint16_t opcode;
	uint32_t payload_len;   /* 21 bits */
	bool bo;
	uint16_t rc;            /* enum cxldcd_rc; 0 in requests */
	uint16_t vendor_status;
};

/*
 * cci_dec_hdr() - decode the first 12 bytes of p.  Reserved bits are
 * ignored.  Return: 0, or -EMSGSIZE when len < 12.
 */
int cci_dec_hdr(const uint8_t *p, size_t len, struct cci_hdr *h);

/*
 * cci_enc_hdr() - write 12 bytes.  Return: 0, or -EMSGSIZE when cap < 12,
 * -ERANGE when payload_len does not fit 21 bits or category 4 bits.
 */
int cci_enc_hdr(const struct cci_hdr *h, uint8_t *out, size_t cap);

/*
 * cci_enc_refusal() - the header-only response to request @rq with return code
 * @rc (the request was not run).  Return: as cci_enc_hdr().
 */
int cci_enc_refusal(const struct cci_hdr *rq, uint16_t rc, uint8_t *out, size_t cap);

#endif /* CXLDCD_CCI_MSG_H */
