/* SPDX-License-Identifier: MIT */
/*
 * fm.c - the fabric manager's FM-API CCI over a stream socket (--fm).
 *
 * Framing: CCI messages exactly as CXL r3.2 §7.6.3 (Table 7-14) lays them
 * out, back to back: a 12-byte header whose bytes 5-7 carry the payload
 * length, then the payload.  Each connection gets its own FM CCI context
 * (its own Response Message Limit) over the device; every request gets one
 * whole response message from cci_handle_msg(), in order.
 *
 * Bounds and malformed input (docs/cmdline.md, "--fm"):
 *  - a header announcing a payload above the device's mailbox payload size
 *    is answered with Invalid Payload Length (tag and opcode echoed) and its
 *    payload is read and discarded, so the stream stays in sync; at most one
 *    message (12 + mbox-payload-size bytes) is ever buffered per connection;
 *  - a header whose category is not Request cannot be answered: the
 *    connection is closed.
 * A request that can change the device (its opcode is not a pure read) is
 * journaled before the model runs it (request.c); when the store cannot
 * commit, it is answered Internal Error (0004h) with no payload, unapplied.
 * Peers that vanish mid-message are simply dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cci/cci.h"
#include "cci/msg.h"
#include "store/store.h"
#include "cmdline.h"
#include "daemon.h"
#include "sock.h"

struct fm_listen {
	struct server_ctx *s;
	struct dcd *dv;
	struct sock_listener *ls;
};

struct fm_conn {
	struct fm_listen *fl;
	struct sock_conn *conn;
	struct cci_ctx *cci;
	size_t max_msg;        /* 12 + mailbox payload size */
	uint8_t *buf;          /* one request */
	size_t len;
	size_t skip;           /* payload bytes of an oversized request still to discard */
	uint8_t *rsp;
};

static bool tracing(const struct server_ctx *s)
{
	return s->cfg->trace & CMDLINE_TRACE_CCI;
}

/* A header-only response with rc (the request was not run). */
static size_t refuse(struct fm_conn *c, const struct cci_hdr *rq, uint16_t rc)
{
	struct cci_hdr rs = { .category = CCI_CAT_RESPONSE, .tag = rq->tag, .opcode = rq->opcode,
			      .rc = rc };

	cci_enc_hdr(&rs, c->rsp, c->max_msg);
	return CXLDCD_CCI_HDR_SIZE;
}

static void send_rsp(struct fm_conn *c, const uint8_t *req, size_t len)
{
	struct server_ctx *s = c->fl->s;
	struct cci_hdr rq = { 0 }, rs = { 0 };
	size_t rsp_len = 0;
	int rc;

	cci_dec_hdr(req, len, &rq);
	srv_request_begin(s);
	/* A whole message that can change the device: durable before it runs. */
	if (len == CXLDCD_CCI_HDR_SIZE + rq.payload_len && !srv_cci_opcode_is_read(rq.opcode) &&
	    srv_journal(s, STORE_REC_CCI, c->fl->dv->index, SRV_PORT_FM, 0, req, len)) {
		rsp_len = refuse(c, &rq, CXLDCD_RC_INTERNAL_ERROR);
		srv_log(s->log, LOG_DEBUG, "fm[%s]: %04Xh refused: the store cannot commit",
			sock_conn_name(c->conn), rq.opcode);
		srv_request_end(s);
		sock_conn_write(c->conn, c->rsp, rsp_len);
		return;
	}
	rc = cci_handle_msg(c->cci, req, len, c->rsp, c->max_msg, &rsp_len);
	if (rc) {
		srv_log(s->log, LOG_DEBUG, "fm[%s]: message not answerable (%s): closing",
			sock_conn_name(c->conn), strerror(-rc));
		sock_conn_close(c->conn);
		srv_request_end(s);
		return;
	}
	cci_dec_hdr(c->rsp, rsp_len, &rs);
	if (tracing(s))
		srv_log(s->log, LOG_DEBUG, "fm[%s]: %04Xh in=%u -> %s out=%zu", sock_conn_name(c->conn),
			rq.opcode, rq.payload_len, cxldcd_rc_str(rs.rc), rsp_len - CXLDCD_CCI_HDR_SIZE);
	srv_request_end(s);
	sock_conn_write(c->conn, c->rsp, rsp_len);
}

/* Consume what can be consumed of [p, p+n); return bytes used. */
static size_t feed(struct fm_conn *c, const uint8_t *p, size_t n)
{
	struct cci_hdr h;
	size_t want, k;

	if (c->skip) {
		k = n < c->skip ? n : c->skip;
		c->skip -= k;
		return k;
	}
	want = CXLDCD_CCI_HDR_SIZE;
	if (c->len >= CXLDCD_CCI_HDR_SIZE) {
		cci_dec_hdr(c->buf, c->len, &h);
		want += h.payload_len;
	}
	k = want - c->len < n ? want - c->len : n;
	memcpy(c->buf + c->len, p, k);
	c->len += k;
	if (c->len < CXLDCD_CCI_HDR_SIZE)
		return k;
	cci_dec_hdr(c->buf, c->len, &h);
	if (h.category != CCI_CAT_REQUEST) {
		srv_log(c->fl->s->log, LOG_DEBUG, "fm[%s]: category=%u is not a request: closing",
			sock_conn_name(c->conn), h.category);
		sock_conn_close(c->conn);
		return n;
	}
	if (CXLDCD_CCI_HDR_SIZE + (size_t)h.payload_len > c->max_msg) {
		/* Answer the header alone: Invalid Payload Length; then skip the payload. */
		send_rsp(c, c->buf, CXLDCD_CCI_HDR_SIZE);
		c->skip = h.payload_len;
		c->len = 0;
		return k;
	}
	if (c->len == CXLDCD_CCI_HDR_SIZE + h.payload_len) {
		send_rsp(c, c->buf, c->len);
		c->len = 0;
	}
	return k;
}

static void conn_data(void *opaque, struct sock_conn *sc, const uint8_t *buf, size_t len)
{
	struct fm_conn *c = opaque;

	(void)sc;
	while (len) {
		size_t k = feed(c, buf, len);

		buf += k;
		len -= k;
	}
}

static void conn_close(void *opaque, struct sock_conn *sc)
{
	struct fm_conn *c = opaque;

	srv_log(c->fl->s->log, LOG_INFO, "fm[%s]: disconnected", sock_conn_name(sc));
	cci_ctx_free(c->cci);
	free(c->buf);
	free(c->rsp);
	free(c);
}

static const struct sock_conn_ops fm_conn_ops = {
	.on_data = conn_data,
	.on_close = conn_close,
};

static void on_accept(void *opaque, struct sock_conn *sc)
{
	struct fm_listen *fl = opaque;
	struct fm_conn *c = calloc(1, sizeof(*c));

	if (!c)
		goto fail;
	c->fl = fl;
	c->conn = sc;
	c->max_msg = CXLDCD_CCI_HDR_SIZE + core_dev_cfg(fl->dv->dev)->mbox_payload_size;
	c->buf = malloc(c->max_msg);
	c->rsp = malloc(c->max_msg);
	if (!c->buf || !c->rsp || cci_ctx_new(fl->dv->dev, CCI_FM, 0, &c->cci))
		goto fail;
	sock_conn_set_ops(sc, &fm_conn_ops, c);
	srv_log(fl->s->log, LOG_INFO, "fm[%s]: connected to device %s", sock_conn_name(sc),
		fl->dv->id);
	return;
fail:
	if (c) {
		free(c->buf);
		free(c->rsp);
		free(c);
	}
	sock_conn_close(sc);
}

int fm_listen_new(struct server_ctx *s, const struct sock_addr *addr, struct dcd *dv,
		  struct fm_listen **out)
{
	struct fm_listen *fl = calloc(1, sizeof(*fl));
	int rc;

	*out = NULL;
	if (!fl)
		return -ENOMEM;
	fl->s = s;
	fl->dv = dv;
	rc = sock_listen(s->loop, addr, s->log, on_accept, fl, &fl->ls);
	if (rc) {
		free(fl);
		return rc;
	}
	*out = fl;
	return 0;
}

void fm_listen_free(struct fm_listen *fl)
{
	if (!fl)
		return;
	sock_listener_free(fl->ls);
	free(fl);
}

void fm_listen_addr(const struct fm_listen *fl, char *buf, size_t len)
{
	sock_listener_addr(fl->ls, buf, len);
}
