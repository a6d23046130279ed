/* SPDX-License-Identifier: MIT */
/*
 * serial.c - DSP0253 framing and deframing (serial.h).  The deframer is a
 * state machine fed one byte at a time, so a frame may arrive split across
 * any number of reads; it never reads past its fixed packet buffer.
 */
#include "mctp/serial.h"

#define MCTP_MIN_PACKET 4u      /* the DSP0236 transport header */

uint16_t mctp_serial_fcs(uint16_t fcs, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fcs ^= p[i];
		for (int b = 0; b < 8; b++)
			fcs = (uint16_t)((fcs & 1u) ? (fcs >> 1) ^ 0x8408u : fcs >> 1);
	}
	return fcs;
}

static bool special(uint8_t c)
{
	return c == MCTP_SERIAL_FLAG || c == MCTP_SERIAL_ESC;
}

size_t mctp_serial_frame(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap)
{
	uint8_t hdr[2] = { MCTP_SERIAL_REVISION, (uint8_t)len };
	uint16_t fcs;
	size_t need = 6 + len, o = 0;

	if (!len || len > MCTP_SERIAL_MAX_PACKET)
		return 0;
	for (size_t i = 0; i < len; i++)
		need += special(pkt[i]);
	if (need > cap)
		return 0;
	fcs = mctp_serial_fcs(MCTP_SERIAL_FCS_INIT, hdr, sizeof(hdr));
	fcs = mctp_serial_fcs(fcs, pkt, len);
	out[o++] = MCTP_SERIAL_FLAG;
	out[o++] = hdr[0];
	out[o++] = hdr[1];
	for (size_t i = 0; i < len; i++) {
		if (special(pkt[i])) {
			out[o++] = MCTP_SERIAL_ESC;
			out[o++] = (uint8_t)(pkt[i] & ~MCTP_SERIAL_ESC_BIT);
		} else {
			out[o++] = pkt[i];
		}
	}
	out[o++] = (uint8_t)(fcs >> 8);
	out[o++] = (uint8_t)fcs;
	out[o++] = MCTP_SERIAL_FLAG;
	return o;
}

void mctp_serial_rx_init(struct mctp_serial_rx *rx)
{
	*rx = (struct mctp_serial_rx){ .state = MCTP_SER_HUNT };
}

/* A framing error: count it; a flag may already start the next frame. */
static void error(struct mctp_serial_rx *rx, uint8_t c)
{
	rx->errors++;
	rx->state = c == MCTP_SERIAL_FLAG ? MCTP_SER_REV : MCTP_SER_HUNT;
}

static void store(struct mctp_serial_rx *rx, uint8_t c)
{
	rx->pkt[rx->len++] = c;
	rx->fcs = mctp_serial_fcs(rx->fcs, &c, 1);
	rx->state = rx->len == rx->count ? MCTP_SER_FCS_HI : MCTP_SER_DATA;
}

static bool end(struct mctp_serial_rx *rx, uint8_t c)
{
	if (c != MCTP_SERIAL_FLAG) {
		error(rx, c);
		return false;
	}
	rx->state = MCTP_SER_REV;       /* this flag may also open the next frame */
	if (rx->fcs != rx->fcs_rcvd) {
		rx->fcs_errors++;
		return false;
	}
	rx->frames++;
	return true;
}

bool mctp_serial_rx_byte(struct mctp_serial_rx *rx, uint8_t c)
{
	switch (rx->state) {
	case MCTP_SER_HUNT:
		if (c == MCTP_SERIAL_FLAG)
			rx->state = MCTP_SER_REV;
		break;
	case MCTP_SER_REV:
		if (c == MCTP_SERIAL_FLAG)
			break;          /* back-to-back flags */
		if (c != MCTP_SERIAL_REVISION) {
			error(rx, c);
			break;
		}
		rx->fcs = mctp_serial_fcs(MCTP_SERIAL_FCS_INIT, &c, 1);
		rx->state = MCTP_SER_COUNT;
		break;
	case MCTP_SER_COUNT:
		if (c < MCTP_MIN_PACKET || c == MCTP_SERIAL_FLAG) {
			error(rx, c);
			break;
		}
		rx->fcs = mctp_serial_fcs(rx->fcs, &c, 1);
		rx->count = c;
		rx->len = 0;
		rx->state = MCTP_SER_DATA;
		break;
	case MCTP_SER_DATA:
		if (c == MCTP_SERIAL_FLAG)
			error(rx, c);
		else if (c == MCTP_SERIAL_ESC)
			rx->state = MCTP_SER_ESCAPED;
		else
			store(rx, c);
		break;
	case MCTP_SER_ESCAPED:
		if (c != (MCTP_SERIAL_FLAG & ~MCTP_SERIAL_ESC_BIT) &&
		    c != (MCTP_SERIAL_ESC & ~MCTP_SERIAL_ESC_BIT))
			error(rx, c);
		else
			store(rx, (uint8_t)(c | MCTP_SERIAL_ESC_BIT));
		break;
	case MCTP_SER_FCS_HI:
		rx->fcs_rcvd = (uint16_t)(c << 8);
		rx->state = MCTP_SER_FCS_LO;
		break;
	case MCTP_SER_FCS_LO:
		rx->fcs_rcvd |= c;
		rx->state = MCTP_SER_END;
		break;
	case MCTP_SER_END:
		return end(rx, c);
	}
	return false;
}
