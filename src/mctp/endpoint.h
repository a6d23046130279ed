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

#include <stddef.h>
#include <stdint.h>

#include "mctp/control.h"
#include "mctp/packet.h"
#include "mctp/serial.h"

struct mctp_serial_ep_ops {
	/*
	 * One CCI request message (12-byte header + payload); the whole
	 * response message into @rsp (@cap bytes).  Return: 0 with *rsp_len
	 * set, or negative: no response.
	 */
	int (*cci)(void *opaque, uint8_t type, const uint8_t *req, size_t len, uint8_t *rsp,
		   size_t cap, size_t *rsp_len);
	/* Send bytes on the line.  Return: 0 or -errno. */
	int (*write)(void *opaque, const uint8_t *p, size_t len);
};

struct mctp_serial_ep {
	struct mctp_serial_rx rx;
	struct mctp_reasm reasm;
	struct mctp_ctrl ctrl;
	const struct mctp_serial_ep_ops *ops;
	void *opaque;
	uint8_t *rsp;           /* type byte + one CCI response message */
	size_t rsp_cap;
	uint64_t requests;      /* messages answered */
};

/*
 * mctp_serial_ep_init() - @max_cci_msg: the largest CCI message (12 +
 * mailbox payload size) in either direction.  @ops and @opaque are
 * borrowed.  Return: 0 or -ENOMEM.
 */
int mctp_serial_ep_init(struct mctp_serial_ep *ep, size_t max_cci_msg,
			const struct mctp_serial_ep_ops *ops, void *opaque);
void mctp_serial_ep_fini(struct mctp_serial_ep *ep);

/* Feed bytes read from the line; answers every message they complete. */
void mctp_serial_ep_input(struct mctp_serial_ep *ep, const uint8_t *p, size_t n);

#endif /* CXLDCD_MCTP_ENDPOINT_H */
