/* SPDX-License-Identifier: MIT */
/*
 * control.c - MCTP control messages of an endpoint (control.h).  Field
 * layouts cite DSP0236 1.3 §12.
 */
#include "mctp/control.h"

#include "mctp/mctp.h"

/*
 * Version entries (DSP0236 §12.6, Table 14): major, minor, update, alpha,
 * each BCD with F in the high nibble for a "not used" digit form: F1 F3 F1 00
 * is version 1.3.1.  DSP0234 and DSP0281 are at 1.0.0 (F1 F0 F0 00).
 */
static const uint8_t ver_base[] = { 0xf1, 0xf3, 0xf1, 0x00 };
static const uint8_t ver_1_0[] = { 0xf1, 0xf0, 0xf0, 0x00 };

/* Message types beyond control (00h), DSP0236 §12.7. */
static const uint8_t msg_types[] = { MCTP_TYPE_CXL_FMAPI, MCTP_TYPE_CXL_CCI };

static size_t cc_only(uint8_t *rsp, uint8_t cc)
{
	rsp[2] = cc;
	return 3;
}

/*
 * Set Endpoint ID (§12.3, Tables 12/13).  Request: operation (bits 1:0), EID.
 * Response: cc; bits 5:4 assignment status (00 accepted, 01 rejected),
 * bits 1:0 EID pool status (00 no pool); EID setting; EID pool size.
 */
static size_t set_eid(struct mctp_ctrl *c, const uint8_t *d, size_t n, uint8_t *rsp)
{
	uint8_t op, eid;

	if (n != 2)
		return cc_only(rsp, MCTP_CC_INVALID_LENGTH);
	op = d[0] & 0x3u;
	eid = d[1];
	if (op == MCTP_SET_EID_RESET)
		return cc_only(rsp, MCTP_CC_INVALID_DATA);      /* no static EID */
	if (op != MCTP_SET_EID_DISCOVERED) {
		if (eid < MCTP_EID_FIRST || eid == MCTP_EID_BROADCAST)
			return cc_only(rsp, MCTP_CC_INVALID_DATA);
		c->eid = eid;
	}
	rsp[2] = MCTP_CC_SUCCESS;
	rsp[3] = 0x00;          /* accepted, no EID pool */
	rsp[4] = c->eid;
	rsp[5] = 0;
	return 6;
}

/*
 * Get Endpoint ID (§12.4, Table 15).  Response: cc, EID, endpoint type
 * (bits 5:4 00 simple endpoint; bits 1:0 00 dynamic EID), medium-specific.
 */
static size_t get_eid(const struct mctp_ctrl *c, uint8_t *rsp)
{
	rsp[2] = MCTP_CC_SUCCESS;
	rsp[3] = c->eid;
	rsp[4] = 0x00;
	rsp[5] = 0x00;
	return 6;
}

/* Get MCTP Version Support (§12.6, Table 13): type FFh is the base spec. */
static size_t get_version(const uint8_t *d, size_t n, uint8_t *rsp)
{
	const uint8_t *v;

	if (n != 1)
		return cc_only(rsp, MCTP_CC_INVALID_LENGTH);
	if (d[0] == 0xff || d[0] == MCTP_TYPE_CONTROL)
		v = ver_base;
	else if (d[0] == MCTP_TYPE_CXL_FMAPI || d[0] == MCTP_TYPE_CXL_CCI)
		v = ver_1_0;
	else
		return cc_only(rsp, MCTP_CC_MSG_TYPE_UNSUPPORTED);
	rsp[2] = MCTP_CC_SUCCESS;
	rsp[3] = 1;
	for (int i = 0; i < 4; i++)
		rsp[4 + i] = v[i];
	return 8;
}

/* Get Message Type Support (§12.7, Table 19): count, then the types. */
static size_t get_types(uint8_t *rsp)
{
	rsp[2] = MCTP_CC_SUCCESS;
	rsp[3] = (uint8_t)sizeof(msg_types);
	for (size_t i = 0; i < sizeof(msg_types); i++)
		rsp[4 + i] = msg_types[i];
	return 4 + sizeof(msg_types);
}

size_t mctp_ctrl_handle(struct mctp_ctrl *c, const uint8_t *req, size_t len,
			uint8_t rsp[MCTP_CTRL_MAX_RSP])
{
	const uint8_t *d = req + 2;
	size_t n;

	if (len < 2 || !(req[0] & MCTP_CTRL_RQ) || (req[0] & MCTP_CTRL_D))
		return 0;
	n = len - 2;
	rsp[0] = req[0] & MCTP_CTRL_IID_MASK;
	rsp[1] = req[1];
	switch (req[1]) {
	case MCTP_CTRL_SET_EID:
		return set_eid(c, d, n, rsp);
	case MCTP_CTRL_GET_EID:
		return get_eid(c, rsp);
	case MCTP_CTRL_GET_VERSION:
		return get_version(d, n, rsp);
	case MCTP_CTRL_GET_MSG_TYPES:
		return get_types(rsp);
	default:
		return cc_only(rsp, MCTP_CC_UNSUPPORTED_CMD);
	}
}
