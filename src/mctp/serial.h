/* SPDX-License-Identifier: MIT */
/*
 * serial.h - MCTP over serial (DMTF DSP0253): the framing of one MCTP
 * packet and a byte-at-a-time deframer.  Pure code: no I/O.
 *
 * Frame (DSP0253 §6, Table 1):
 *
 *   OFFSET SIZE FIELD
 *   0      1    Framing flag 0x7E
 *   1      1    Serial protocol revision (01h)
 *   2      1    Byte count N (of the MCTP packet)
 *   3      N    MCTP packet, with 0x7E sent as 0x7D 0x5E and 0x7D as 0x7D 0x5D
 *   3+N'   2    FCS, most significant byte first
 *   5+N'   1    Framing flag 0x7E
 *
 * The FCS is the 16-bit FCS of RFC 1662 (reflected polynomial 0x8408,
 * initial value FFFFh) over revision, byte count and the unescaped packet.
 * COMPAT: only the packet bytes are escaped, not revision, count or FCS,
 * and the FCS is not complemented: what Linux's mctp-serial line discipline
 * sends and expects (`mctp link serial`), so the two interoperate.
 */
#ifndef CXLDCD_MCTP_SERIAL_H
#define CXLDCD_MCTP_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCTP_SERIAL_FLAG 0x7eu
#define MCTP_SERIAL_ESC 0x7du
#define MCTP_SERIAL_ESC_BIT 0x20u
#define MCTP_SERIAL_REVISION 0x01u
#define MCTP_SERIAL_FCS_INIT 0xffffu
#define MCTP_SERIAL_MAX_PACKET 255u     /* the byte count is one byte */
/* Worst case on the wire: every packet byte escaped, plus 6 framing bytes. */
#define MCTP_SERIAL_MAX_FRAME (2u * MCTP_SERIAL_MAX_PACKET + 6u)

/* The FCS of p[0..n) continued from @fcs. */
uint16_t mctp_serial_fcs(uint16_t fcs, const uint8_t *p, size_t n);

/*
 * mctp_serial_frame() - frame one packet into @out.
 * Return: the frame length, or 0 when @len is 0 or above 255 or the frame
 * does not fit @cap (MCTP_SERIAL_MAX_FRAME always does).
 */
size_t mctp_serial_frame(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap);

enum mctp_serial_state {
	MCTP_SER_HUNT,          /* waiting for a flag */
	MCTP_SER_REV,           /* after a flag */
	MCTP_SER_COUNT,
	MCTP_SER_DATA,
	MCTP_SER_ESCAPED,
	MCTP_SER_FCS_HI,
	MCTP_SER_FCS_LO,
	MCTP_SER_END,
};

/* The deframer: embedded, no allocation.  Counters only grow. */
struct mctp_serial_rx {
	enum mctp_serial_state state;
	uint8_t pkt[MCTP_SERIAL_MAX_PACKET];
	size_t len;             /* packet bytes received */
	size_t count;           /* the frame's byte count */
	uint16_t fcs;           /* computed so far */
	uint16_t fcs_rcvd;
	uint64_t frames;        /* good frames */
	uint64_t fcs_errors;    /* whole frames whose FCS did not match */
	uint64_t errors;        /* framing errors: bad revision, count, escape or flag */
};

void mctp_serial_rx_init(struct mctp_serial_rx *rx);

/*
 * mctp_serial_rx_byte() - feed one byte.  Return: true when it completed a
 * frame with a good FCS: the packet is rx->pkt[0..rx->len), valid until the
 * next call.  A bad frame is counted and dropped; the deframer then waits
 * for the next flag, so one bad frame never costs the one after it.
 */
bool mctp_serial_rx_byte(struct mctp_serial_rx *rx, uint8_t c);

#endif /* CXLDCD_MCTP_SERIAL_H */
