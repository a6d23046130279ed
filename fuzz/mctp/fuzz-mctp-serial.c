/* SPDX-License-Identifier: MIT */
/*
 * fuzz-mctp-serial.c - the DSP0253 deframer, DSP0236 reassembler, control
 * responder and CCI screening as the daemon's --mctp-serial runs them
 * (src/mctp/endpoint.c), fed arbitrary line bytes.  The stand-in CCI
 * checks that only whole, screened requests reach it; everything the
 * endpoint writes back must deframe again into packets of at most the
 * baseline unit, addressed from the endpoint's EID, with TO clear.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cci/msg.h"
#include "mctp/endpoint.h"

#define MAX_CCI (12u + 256u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	struct mctp_serial_rx rx;
	struct mctp_serial_ep *ep;
};

static int cci(void *opaque, uint8_t type, const uint8_t *req, size_t len, uint8_t *rsp,
	       size_t cap, size_t *rsp_len)
{
	struct cci_hdr h;

	(void)opaque;
	if ((type != 0x07 && type != 0x08) || cci_dec_hdr(req, len, &h) ||
	    len != 12u + h.payload_len || len > MAX_CCI || cap < len)
		abort();
	memcpy(rsp, req, len);  /* echo it back as a response of the same size */
	rsp[0] = 1;
	*rsp_len = len;
	return 0;
}

static int line_write(void *opaque, const uint8_t *p, size_t n)
{
	struct sink *s = opaque;

	for (size_t i = 0; i < n; i++) {
		struct mctp_hdr h;

		if (!mctp_serial_rx_byte(&s->rx, p[i]))
			continue;
		if (mctp_dec_hdr(s->rx.pkt, s->rx.len, &h) || h.to || h.src != s->ep->ctrl.eid ||
		    s->rx.len > MCTP_HDR_SIZE + MCTP_BASELINE_MTU)
			abort();
	}
	return 0;
}

static const struct mctp_serial_ep_ops ops = { .cci = cci, .write = line_write };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mctp_serial_ep ep;
	static struct sink s;

	mctp_serial_rx_init(&s.rx);
	s.ep = &ep;
	if (mctp_serial_ep_init(&ep, MAX_CCI, &ops, &s))
		return 0;
	mctp_serial_ep_input(&ep, data, size);
	if (s.rx.fcs_errors || s.rx.errors)
		abort();        /* our own frames are always well formed */
	mctp_serial_ep_fini(&ep);
	return 0;
}
