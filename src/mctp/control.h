/* SPDX-License-Identifier: MIT */
/*
 * control.h - the MCTP control messages (DSP0236 §12, message type 00h) an
 * endpoint answers for a bus owner: Set Endpoint ID (01h), Get Endpoint ID
 * (02h), Get MCTP Version Support (04h), Get Message Type Support (05h).
 * Everything else gets ERROR_UNSUPPORTED_CMD.  Pure code.
 *
 * Control message body after the type byte (DSP0236 §11.5, Figure 20):
 *
 *   OFFSET BITS FIELD
 *   0      7    Rq (1 request, 0 response)
 *          6    D (datagram)
 *          4:0  Instance ID (echoed)
 *   1      7:0  Command Code (echoed)
 *   2      7:0  Completion Code (responses only)
 *   ...         command data
 */
#ifndef CXLDCD_MCTP_CONTROL_H
#define CXLDCD_MCTP_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define MCTP_CTRL_RQ 0x80u
#define MCTP_CTRL_D 0x40u
#define MCTP_CTRL_IID_MASK 0x1fu

#define MCTP_CTRL_SET_EID 0x01u
#define MCTP_CTRL_GET_EID 0x02u
#define MCTP_CTRL_GET_VERSION 0x04u
#define MCTP_CTRL_GET_MSG_TYPES 0x05u

#define MCTP_CC_SUCCESS 0x00u
#define MCTP_CC_ERROR 0x01u
#define MCTP_CC_INVALID_DATA 0x02u
#define MCTP_CC_INVALID_LENGTH 0x03u
#define MCTP_CC_UNSUPPORTED_CMD 0x05u
#define MCTP_CC_MSG_TYPE_UNSUPPORTED 0x80u      /* Get MCTP Version Support */

/* Set Endpoint ID operation (byte 0 bits 1:0) */
#define MCTP_SET_EID_SET 0x0u
#define MCTP_SET_EID_FORCE 0x1u
#define MCTP_SET_EID_RESET 0x2u
#define MCTP_SET_EID_DISCOVERED 0x3u

/* The endpoint's own state: its EID (00h until a bus owner assigns one). */
struct mctp_ctrl {
	uint8_t eid;
};

#define MCTP_CTRL_MAX_RSP 32u

/*
 * mctp_ctrl_handle() - answer one control message body (after the type
 * byte).  Return: the response body length written to @rsp (at most
 * MCTP_CTRL_MAX_RSP bytes), or 0 when nothing is to be sent: a response,
 * a datagram request, or fewer than 2 bytes.
 */
size_t mctp_ctrl_handle(struct mctp_ctrl *c, const uint8_t *req, size_t len,
			uint8_t rsp[MCTP_CTRL_MAX_RSP]);

#endif /* CXLDCD_MCTP_CONTROL_H */
