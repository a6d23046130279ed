/* SPDX-License-Identifier: MIT */
/* endpoint.c - an MCTP endpoint on a DSP0253 serial line (endpoint.h). */
#include "mctp/endpoint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mctp/mctp.h"

int mctp_serial_ep_init(struct mctp_serial_ep *ep, size_t max_cci_msg,
			const struct mctp_serial_ep_ops *ops, void *opaque)
{
	int rc;

	memset(ep, 0, sizeof(*ep));
	mctp_serial_rx_init(&ep->rx);
	ep->ops = ops;
	ep->opaque = opaque;
	ep->rsp_cap = 1 + max_cci_msg;
	ep->rsp = malloc(ep->rsp_cap);
	if (!ep->rsp)
		return -ENOMEM;
	rc = mctp_reasm_init(&ep->reasm, 1 + max_cci_msg);
	if (rc) {
		free(ep->rsp);
		ep->rsp = NULL;
	}
	return rc;
}

void mctp_serial_ep_fini(struct mctp_serial_ep *ep)
{
	mctp_reasm_fini(&ep->reasm);
	free(ep->rsp);
	ep->rsp = NULL;
}

static int emit(void *opaque, const uint8_t *pkt, size_t len)
{
	struct mctp_serial_ep *ep = opaque;
	uint8_t frame[MCTP_SERIAL_MAX_FRAME];
	size_t n = mctp_serial_frame(pkt, len, frame, sizeof(frame));

	return n ? ep->ops->write(ep->opaque, frame, n) : -EMSGSIZE;
}

static void reply_to(struct mctp_serial_ep *ep, uint8_t src, uint8_t tag, size_t len)
{
	mctp_fragment(ep->ctrl.eid, src, tag, false, ep->rsp, len, MCTP_BASELINE_MTU, emit, ep);
	ep->requests++;
}

static void reply(struct mctp_serial_ep *ep, const struct mctp_msg *m, size_t len)
{
	reply_to(ep, m->src, m->tag, len);
}

static void dispatch(struct mctp_serial_ep *ep, const struct mctp_msg *m)
{
	uint8_t type = m->data[0];
	const uint8_t *body = m->data + 1;
	size_t n = m->len - 1, rsp_len = 0;
	int rc;

	if (!m->to)
		return;                 /* a response: we asked nothing */
	ep->rsp[0] = type;
	if (type == MCTP_TYPE_CONTROL) {
		uint8_t out[MCTP_CTRL_MAX_RSP];

		rsp_len = mctp_ctrl_handle(&ep->ctrl, body, n, out);
		if (rsp_len && rsp_len < ep->rsp_cap) {
			memcpy(ep->rsp + 1, out, rsp_len);
			reply(ep, m, 1 + rsp_len);
		}
		return;
	}
	switch (mctp_cci_screen(type, body, n, ep->rsp + 1)) {
	case MCTP_CCI_ANSWERED:
		reply(ep, m, 1 + 12);
		break;
	case MCTP_CCI_FORWARD:
		rc = ep->ops->cci(ep->opaque, type, body, n, ep->rsp + 1, ep->rsp_cap - 1, &rsp_len);
		if (rc == MCTP_EP_DEFER) {
			ep->waiting = true;
			ep->wait_src = m->src;
			ep->wait_tag = m->tag;
			ep->wait_type = type;
		} else if (!rc) {
			reply(ep, m, 1 + rsp_len);
		}
		break;
	case MCTP_CCI_DROP:
		break;
	}
}

size_t mctp_serial_ep_input(struct mctp_serial_ep *ep, const uint8_t *p, size_t n)
{
	struct mctp_msg m;
	size_t i;

	for (i = 0; i < n && !ep->waiting; i++) {
		if (!mctp_serial_rx_byte(&ep->rx, p[i]))
			continue;
		if (mctp_reasm_packet(&ep->reasm, ep->ctrl.eid, ep->rx.pkt, ep->rx.len, &m))
			dispatch(ep, &m);
	}
	return i;
}

void mctp_serial_ep_answer(struct mctp_serial_ep *ep, int rc, size_t rsp_len)
{
	if (!ep->waiting)
		return;
	ep->waiting = false;
	ep->rsp[0] = ep->wait_type;
	if (!rc)
		reply_to(ep, ep->wait_src, ep->wait_tag, 1 + rsp_len);
}
