/* SPDX-License-Identifier: MIT */
/*
 * binding.c - the CXL bindings of CCI messages to MCTP message types 07h
 * (DSP0234, FM-API command sets) and 08h (DSP0281, all other sets), and the
 * screening every MCTP transport of cxldcd applies before a CCI sees a
 * message (mctp.h).
 */
#include "mctp/mctp.h"

#include "cci/msg.h"

uint8_t mctp_cci_type_of(uint16_t opcode)
{
	return (opcode >> 8) >= MCTP_CXL_FMAPI_FIRST_SET ? MCTP_TYPE_CXL_FMAPI : MCTP_TYPE_CXL_CCI;
}

static void answer(const struct cci_hdr *rq, enum cxldcd_rc rc, uint8_t rsp[12])
{
	cci_enc_refusal(rq, (uint16_t)rc, rsp, CXLDCD_CCI_HDR_SIZE);
}

enum mctp_cci_verdict mctp_cci_screen(uint8_t type, const uint8_t *msg, size_t len,
				      uint8_t rsp[12])
{
	struct cci_hdr h;

	if (type != MCTP_TYPE_CXL_FMAPI && type != MCTP_TYPE_CXL_CCI)
		return MCTP_CCI_DROP;
	if (cci_dec_hdr(msg, len, &h) || h.category != CCI_CAT_REQUEST)
		return MCTP_CCI_DROP;
	if (len - CXLDCD_CCI_HDR_SIZE != h.payload_len) {
		answer(&h, CXLDCD_RC_INVALID_PAYLOAD_LENGTH, rsp);
		return MCTP_CCI_ANSWERED;
	}
	if (mctp_cci_type_of(h.opcode) != type) {
		answer(&h, CXLDCD_RC_UNSUPPORTED, rsp);
		return MCTP_CCI_ANSWERED;
	}
	return MCTP_CCI_FORWARD;
}
