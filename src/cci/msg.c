/* SPDX-License-Identifier: MIT */
/*
 * msg.c - CCI message header codec.
 *
 * CXL r3.2 §7.6.3, Table 7-14 (CCI Message Format):
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    bits 3:0 Message Category (0 Request, 1 Response); 7:4 reserved
 *   0x01   1    Message Tag (the response echoes the request's)
 *   0x02   1    Reserved
 *   0x03   2    Command Opcode[15:0]
 *   0x05   2    Message Payload Length[15:0]
 *   0x07   1    bits 4:0 Payload Length[20:16]; 6:5 reserved; 7 Background Operation
 *   0x08   2    Return Code (0 in requests)
 *   0x0A   2    Vendor Specific Extended Status (0 in requests)
 *   0x0C   var  Message Payload
 */
#include "cci/msg.h"

#include <errno.h>

#include "common/wire.h"

_Static_assert(CXLDCD_CCI_HDR_SIZE == 12, "CCI header is 12 bytes");

int cci_dec_hdr(const uint8_t *p, size_t len, struct cci_hdr *h)
{
	struct wrd r;
	uint16_t lo;
	uint8_t b7;

	wrd_init(&r, p, len);
	h->category = wrd_u8(&r) & CCI_CAT_MASK;
	h->tag = wrd_u8(&r);
	wrd_skip(&r, 1);
	h->opcode = wrd_u16le(&r);
	lo = wrd_u16le(&r);
	b7 = wrd_u8(&r);
	h->payload_len = lo | ((uint32_t)(b7 & CCI_LEN_HI_MASK) << 16);
	h->bo = (b7 & CCI_BO_BIT) != 0;
	h->rc = wrd_u16le(&r);
	h->vendor_status = wrd_u16le(&r);
	return r.bad ? -EMSGSIZE : 0;
}

int cci_enc_hdr(const struct cci_hdr *h, uint8_t *out, size_t cap)
{
	struct wwr w;

	if (h->payload_len > CXLDCD_MAX_PAYLOAD || h->category > CCI_CAT_MASK)
		return -ERANGE;
	wwr_init(&w, out, cap);
	wwr_u8(&w, h->category);
	wwr_u8(&w, h->tag);
	wwr_zero(&w, 1);
	wwr_u16le(&w, h->opcode);
	wwr_u16le(&w, (uint16_t)h->payload_len);
	wwr_u8(&w, (uint8_t)(((h->payload_len >> 16) & CCI_LEN_HI_MASK) | (h->bo ? CCI_BO_BIT : 0)));
	wwr_u16le(&w, h->rc);
	wwr_u16le(&w, h->vendor_status);
	return w.bad ? -EMSGSIZE : 0;
}

int cci_enc_refusal(const struct cci_hdr *rq, uint16_t rc, uint8_t *out, size_t cap)
{
	struct cci_hdr rs = { .category = CCI_CAT_RESPONSE, .tag = rq->tag, .opcode = rq->opcode,
			      .rc = rc };

	return cci_enc_hdr(&rs, out, cap);
}
