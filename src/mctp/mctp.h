/* SPDX-License-Identifier: MIT */
/*
 * mctp.h - what cxldcd knows of MCTP (DMTF DSP0236) independent of the
 * physical binding: message types, the CXL bindings of CCI messages to
 * them, and the screening of a CCI request before it reaches a CCI.
 *
 * Two bindings carry CCI messages over MCTP (CXL r3.2 §7.6.3 and its
 * references): DSP0234 (message type 07h, "CXL FM API") for the FM-API
 * command sets (opcodes 51xxh and up) and DSP0281 (message type 08h, "CXL
 * CCI") for every other command set.  The MCTP message body after the type
 * byte is the CCI message exactly as CXL r3.2 Table 7-14 lays it out.
 *
 * Not here: DSP0253 serial framing (serial.h), DSP0236 packets and
 * reassembly (packet.h), MCTP control messages (control.h).
 */
#ifndef CXLDCD_MCTP_H
#define CXLDCD_MCTP_H

#include <stddef.h>
#include <stdint.h>

#define MCTP_TYPE_CONTROL 0x00u         /* DSP0236 §11 */
#define MCTP_TYPE_CXL_FMAPI 0x07u       /* DSP0234 */
#define MCTP_TYPE_CXL_CCI 0x08u         /* DSP0281 */
#define MCTP_TYPE_IC_BIT 0x80u          /* Integrity Check bit of the type byte */
#define MCTP_TYPE_MASK 0x7fu

#define MCTP_EID_NULL 0x00u
#define MCTP_EID_BROADCAST 0xffu
#define MCTP_EID_FIRST 0x08u            /* 01h-07h are reserved (DSP0236 §8.2) */

/* The first FM-API command set (CXL r3.2 Table 8-230). */
#define MCTP_CXL_FMAPI_FIRST_SET 0x51u

enum mctp_cci_verdict {
	MCTP_CCI_FORWARD,       /* a request for this binding: give it to the CCI */
	MCTP_CCI_ANSWERED,      /* answered here: *rsp holds a 12-byte response */
	MCTP_CCI_DROP,          /* not answerable (too short, not a request, bad type) */
};

/*
 * mctp_cci_screen() - check one MCTP message of @type whose body (after the
 * type byte) is @msg, @len bytes, before a CCI sees it.
 *
 * Dropped: a type other than 07h/08h, the IC bit set (no integrity check is
 * implemented, DSP0236 §8.5: the receiver discards what it cannot check),
 * fewer than 12 bytes, a category other than Request.
 * Answered with a header-only response (tag and opcode echoed) in @rsp:
 *  - Invalid Payload Length (16h) when the header's payload length differs
 *    from the bytes received (a stream CCI could not tell);
 *  - Unsupported (03h) for an opcode of the other binding: an FM-API
 *    command set on 08h or another set on 07h.  COMPAT: QEMU's MCTP CCI
 *    answers the same.
 *
 * Return: the verdict.  @rsp is borrowed and written only for ANSWERED.
 */
enum mctp_cci_verdict mctp_cci_screen(uint8_t type, const uint8_t *msg, size_t len,
				      uint8_t rsp[12]);

/* The binding (07h or 08h) that carries @opcode. */
uint8_t mctp_cci_type_of(uint16_t opcode);

#endif /* CXLDCD_MCTP_H */
