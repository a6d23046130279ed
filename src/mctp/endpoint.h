/* SPDX-License-Identifier: MIT */
/*
 * endpoint.h - one MCTP endpoint on a DSP0253 serial line: bytes in are
 * deframed (serial.h), reassembled (packet.h) and dispatched by message
 * type: 00h to the control responder (control.h), 07h and 08h screened
 * (mctp.h) and given to the CCI through ops->cci; every response goes back
 * fragmented into 64-byte baseline packets, framed, through ops->write.
 * Requests only: messages whose TO bit is clear (responses) are dropped,
 * since this endpoint sends no requests.  No I/O and no loop of its own.
 */
#ifndef CXLDCD_MCTP_ENDPOINT_H
#define CXLDCD_MCTP_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mctp/control.h"
#include "mctp/packet.h"
#include "mctp/serial.h"

struct mctp_serial_ep_ops {
	/*
	 * One CCI request message (12-byte header + payload); the whole
	 * response message into @rsp (@cap bytes).  Return: 0 with *rsp_len
	 * set, negative: no response, or MCTP_EP_DEFER: the response comes
	 * later, written into @rsp (valid until then), through
	 * mctp_serial_ep_answer(); the endpoint takes no input meanwhile.
	 */
	int (*cci)(void *opaque, uint8_t type, const uint8_t *req, size_t len, uint8_t *rsp,
		   size_t cap, size_t *rsp_len);
	/* Send bytes on the line.  Return: 0 or -errno. */
	int (*write)(void *opaque, const uint8_t *p, size_t len);
};

#define MCTP_EP_DEFER 1

struct mctp_serial_ep {
	struct mctp_serial_rx rx;
	struct mctp_reasm reasm;
	struct mctp_ctrl ctrl;
	const struct mctp_serial_ep_ops *ops;
	void *opaque;
	uint8_t *rsp;           /* type byte + one CCI response message */
	size_t rsp_cap;
	uint64_t requests;      /* messages answered */
	bool waiting;           /* a deferred CCI request is not answered yet */
	uint8_t wait_src, wait_tag, wait_type;
};

/*
 * mctp_serial_ep_init() - @max_cci_msg: the largest CCI message (12 +
 * mailbox payload size) in either direction.  @ops and @opaque are
 * borrowed.  Return: 0 or -ENOMEM.
 */
int mctp_serial_ep_init(struct mctp_serial_ep *ep, size_t max_cci_msg,
			const struct mctp_serial_ep_ops *ops, void *opaque);
void mctp_serial_ep_fini(struct mctp_serial_ep *ep);

/*
 * Feed bytes read from the line; answers every message they complete.
 * Return: the bytes taken; fewer than @n when a CCI request was deferred
 * (the owner keeps the rest and feeds it after mctp_serial_ep_answer()).
 */
size_t mctp_serial_ep_input(struct mctp_serial_ep *ep, const uint8_t *p, size_t n);

/*
 * mctp_serial_ep_answer() - the deferred CCI request's response is in the
 * buffer the cci op was given: @rc 0 sends its @rsp_len bytes, negative
 * sends nothing.  The endpoint then takes input again.
 */
void mctp_serial_ep_answer(struct mctp_serial_ep *ep, int rc, size_t rsp_len);

#endif /* CXLDCD_MCTP_ENDPOINT_H */
