/* SPDX-License-Identifier: MIT */
/*
 * fm.c - the fabric manager's FM-API CCI over a stream socket (--fm), and
 * the Type 3 MCTP-based CCI over one (--mctp-cci: what MCTP type 08h reaches).
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
 * Peers that vanish mid-message are simply dropped.  A peer that pipelines
 * requests and reads its responses late is held back, never dropped: once
 * its unsent responses pass the connection's high mark, further requests
 * wait (up to SOCK_IN_HOLD_MAX bytes held here, the rest in the kernel)
 * until they drain (sock.h, "Backpressure").
 */
#include <errno.h>
#include <stdint.h>
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
	enum cci_kind kind;     /* CCI_FM (--fm) or CCI_MCTP (--mctp-cci) */
	uint8_t port;           /* journal port: SRV_PORT_FM or SRV_PORT_MCTP */
	const char *name;       /* log prefix: "fm" or "mctp-cci" */
};

/*
 * Requests of one connection that can join one group commit: a client that
 * pipelines mutating requests gets them journaled together (bounded, so a
 * round's memory per connection stays bounded).
 */
#define FM_MAX_QUEUED 64

struct fm_conn {
	struct fm_listen *fl;
	struct sock_conn *conn;
	struct cci_ctx *cci;
	size_t max_msg;        /* 12 + mailbox payload size */
	uint8_t *buf;          /* the request being received */
	size_t len;
	size_t skip;           /* payload bytes of an oversized request still to discard */
	uint8_t *rsp;
	unsigned nr_queued;    /* requests in the group commit, not run yet */
	bool blocked;          /* buf holds a request that waits until they ran */
	bool gone;             /* the connection closed while requests were queued: free after */
	uint8_t *held;         /* bytes received while blocked */
	size_t held_len, held_cap;
};

/* One request in the group commit (a copy: the connection reads on meanwhile). */
struct fm_queued {
	struct fm_conn *c;
	size_t len;
	uint8_t msg[];
};

static bool tracing(const struct server_ctx *s)
{
	return s->cfg->trace & CMDLINE_TRACE_CCI;
}

/* A header-only response with rc (the request was not run). */
static size_t refuse(struct fm_conn *c, const struct cci_hdr *rq, uint16_t rc)
{
	cci_enc_refusal(rq, rc, c->rsp, c->max_msg);
	return CXLDCD_CCI_HDR_SIZE;
}

/* Run one whole request now and answer it (model time already set). */
static void execute(struct fm_conn *c, const uint8_t *req, size_t len)
{
	struct server_ctx *s = c->fl->s;
	struct cci_hdr rq = { 0 }, rs = { 0 };
	size_t rsp_len = 0;
	int rc;

	cci_dec_hdr(req, len, &rq);
	rc = cci_handle_msg(c->cci, req, len, c->rsp, c->max_msg, &rsp_len);
	if (rc) {
		srv_log(s->log, LOG_DEBUG, "%s[%s]: message not answerable (%s): closing",
			c->fl->name, c->gone ? "closed" : sock_conn_name(c->conn), strerror(-rc));
		srv_request_end(s);
		if (!c->gone)
			sock_conn_close(c->conn);
		return;
	}
	cci_dec_hdr(c->rsp, rsp_len, &rs);
	if (tracing(s)) {
		const struct cxldcd_diag *d = cci_ctx_diag(c->cci);

		srv_log(s->log, LOG_DEBUG, "%s[%s]: %04Xh in=%u -> %s out=%zu%s%s%s%s%s",
			c->fl->name, c->gone ? "closed" : sock_conn_name(c->conn), rq.opcode, rq.payload_len,
			cxldcd_rc_str(rs.rc), rsp_len - CXLDCD_CCI_HDR_SIZE,
			d->reason ? " reason=" : "", d->reason ? core_reason_str(d->reason) : "",
			d->reason ? " (" : "", d->reason ? d->text : "", d->reason ? ")" : "");
	}
	/* An erase whose proof the store refused: not answered as done (request.c). */
	if (srv_request_end(s))
		srv_cci_unproven(req, len, c->rsp, c->max_msg, &rsp_len);
	if (!c->gone)
		sock_conn_write(c->conn, c->rsp, rsp_len);
}

static void conn_free(struct fm_conn *c)
{
	cci_ctx_free(c->cci);
	free(c->buf);
	free(c->rsp);
	free(c->held);
	free(c);
}

static void conn_feed(struct fm_conn *c, const uint8_t *buf, size_t len);
static bool take(struct fm_conn *c);

/* Go on with the bytes held while a request waited or the peer's replies piled up. */
static void feed_held(struct fm_conn *c)
{
	uint8_t *held = c->held;
	size_t n = c->held_len;

	if (!n)
		return;
	c->held = NULL;
	c->held_len = c->held_cap = 0;
	conn_feed(c, held, n);
	free(held);
}

/* The group commit holding q returned: run it (or refuse it), then go on. */
static void grouped_done(void *opaque, int rc)
{
	struct fm_queued *q = opaque;
	struct fm_conn *c = q->c;
	struct cci_hdr rq = { 0 };

	if (rc) {
		cci_dec_hdr(q->msg, q->len, &rq);
		if (!c->gone)
			sock_conn_write(c->conn, c->rsp, refuse(c, &rq, CXLDCD_RC_INTERNAL_ERROR));
	} else {
		/* Journaled: it runs even if its connection closed meanwhile. */
		execute(c, q->msg, q->len);
	}
	free(q);
	if (--c->nr_queued)
		return;         /* the next one of this connection is in the same or next commit */
	if (c->gone) {
		conn_free(c);
		return;
	}
	if (c->blocked)         /* what waited for the queued ones: now its turn */
		c->blocked = !take(c);
	if (!c->blocked)
		feed_held(c);
}

/* Queue a whole journaled request for the loop round's group commit; -ENOMEM if it cannot be. */
static int queue(struct fm_conn *c, const uint8_t *req, size_t len)
{
	struct server_ctx *s = c->fl->s;
	struct fm_queued *q = malloc(sizeof(*q) + len);

	if (!q)
		return -ENOMEM;
	q->c = c;
	q->len = len;
	memcpy(q->msg, req, len);
	if (srv_group_add(s, STORE_REC_CCI, c->fl->dv->index, c->fl->port, 0, req, len,
			  grouped_done, q)) {
		free(q);
		return -ENOMEM;
	}
	c->nr_queued++;
	return 0;
}

/* One request: journaled first when it can change the device (queued), else run now. */
static void send_rsp(struct fm_conn *c, const uint8_t *req, size_t len)
{
	struct server_ctx *s = c->fl->s;
	struct cci_hdr rq = { 0 };
	bool journal;

	cci_dec_hdr(req, len, &rq);
	if (s->starting) {              /* --state is being restored: nothing runs yet */
		size_t rsp_len = refuse(c, &rq, CXLDCD_RC_BUSY);

		sock_conn_write(c->conn, c->rsp, rsp_len);
		return;
	}
	srv_request_begin(s);
	/* A message that can change the device: durable before it runs. */
	journal = srv_grouping(s) && srv_cci_journaled(req, len, cci_ctx_chain_open(c->cci));
	if (journal && !queue(c, req, len))
		return;
	if (journal) {          /* out of memory: refused unrun, as when the store fails */
		size_t rsp_len = refuse(c, &rq, CXLDCD_RC_INTERNAL_ERROR);

		srv_log(s->log, LOG_DEBUG, "%s[%s]: %04Xh refused: the store cannot commit",
			c->fl->name, sock_conn_name(c->conn), rq.opcode);
		srv_request_end(s);
		sock_conn_write(c->conn, c->rsp, rsp_len);
		return;
	}
	execute(c, req, len);
}

/*
 * c->buf holds a whole header (and its payload when it fits): answer it, or
 * queue it.  While earlier requests of the connection are queued, only a
 * whole request that is journaled whatever the chain state (its opcode
 * changes state) may join them; anything else (a read that must see their
 * effect, a malformed header) waits until they ran, so answers keep the
 * requests' order.  Return: false when it waits (c->buf kept).
 */
static bool take(struct fm_conn *c)
{
	struct cci_hdr h;
	bool oversized;

	cci_dec_hdr(c->buf, c->len, &h);
	oversized = CXLDCD_CCI_HDR_SIZE + (size_t)h.payload_len > c->max_msg;
	if (c->nr_queued && (h.category != CCI_CAT_REQUEST || oversized ||
			     c->nr_queued >= FM_MAX_QUEUED || !srv_cci_journaled(c->buf, c->len, false)))
		return false;
	if (h.category != CCI_CAT_REQUEST) {
		srv_log(c->fl->s->log, LOG_DEBUG, "%s[%s]: category=%u is not a request: closing",
			c->fl->name, sock_conn_name(c->conn), h.category);
		sock_conn_close(c->conn);
		c->len = 0;
		c->skip = SIZE_MAX;     /* nothing after it is read */
		return true;
	}
	if (oversized) {
		/* Answer the header alone: Invalid Payload Length; then skip the payload. */
		send_rsp(c, c->buf, CXLDCD_CCI_HDR_SIZE);
		c->skip = h.payload_len;
	} else {
		send_rsp(c, c->buf, c->len);
	}
	c->len = 0;
	return true;
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
	if (h.category != CCI_CAT_REQUEST || CXLDCD_CCI_HDR_SIZE + (size_t)h.payload_len > c->max_msg ||
	    c->len == CXLDCD_CCI_HDR_SIZE + h.payload_len)
		c->blocked = !take(c);
	return k;
}

/* Keep bytes that arrive while a request waits for the ones queued before it. */
static void hold(struct fm_conn *c, const uint8_t *buf, size_t len)
{
	if (c->held_len + len > c->held_cap) {
		size_t cap = c->held_cap ? c->held_cap : 4096;
		uint8_t *p;

		while (cap < c->held_len + len)
			cap *= 2;
		p = realloc(c->held, cap);
		if (!p) {
			srv_log(c->fl->s->log, LOG_ERR, "%s[%s]: out of memory: closing",
				c->fl->name, sock_conn_name(c->conn));
			sock_conn_close(c->conn);
			return;
		}
		c->held = p;
		c->held_cap = cap;
	}
	memcpy(c->held + c->held_len, buf, len);
	c->held_len += len;
}

/*
 * Requests run while their replies can be queued without backlog (sock.h:
 * a peer that pipelines and reads late is never dropped); the rest is held
 * until the replies drain, or until the requests queued before them ran.
 * Bytes arriving while some are held go behind them.
 */
static void conn_feed(struct fm_conn *c, const uint8_t *buf, size_t len)
{
	if (c->held_len) {
		hold(c, buf, len);
		return;
	}
	while (len && !c->blocked && !sock_conn_backlogged(c->conn)) {
		size_t k = feed(c, buf, len);

		buf += k;
		len -= k;
	}
	if (len)
		hold(c, buf, len);
}

static void conn_data(void *opaque, struct sock_conn *sc, const uint8_t *buf, size_t len)
{
	(void)sc;
	conn_feed(opaque, buf, len);
}

static size_t conn_held(void *opaque, struct sock_conn *sc)
{
	(void)sc;
	return ((struct fm_conn *)opaque)->held_len;
}

static void conn_drained(void *opaque, struct sock_conn *sc)
{
	struct fm_conn *c = opaque;

	(void)sc;
	if (!c->blocked)        /* else grouped_done() goes on with them */
		feed_held(c);
}

static void conn_close(void *opaque, struct sock_conn *sc)
{
	struct fm_conn *c = opaque;

	srv_log(c->fl->s->log, LOG_INFO, "%s[%s]: disconnected", c->fl->name,
		sock_conn_name(sc));
	if (c->nr_queued) {     /* its journaled requests still run: free it after */
		c->gone = true;
		c->conn = NULL;
		return;
	}
	conn_free(c);
}

static const struct sock_conn_ops fm_conn_ops = {
	.on_data = conn_data,
	.on_close = conn_close,
	.held = conn_held,
	.on_drained = conn_drained,
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
	if (!c->buf || !c->rsp || cci_ctx_new(fl->dv->dev, fl->kind, 0, &c->cci))
		goto fail;
	sock_conn_set_ops(sc, &fm_conn_ops, c);
	sock_conn_set_established(sc); /* no handshake: at the limit, newcomers are refused */
	srv_log(fl->s->log, LOG_INFO, "%s[%s]: connected to device %s", fl->name,
		sock_conn_name(sc), fl->dv->id);
	return;
fail:
	if (c) {
		free(c->buf);
		free(c->rsp);
		free(c);
	}
	sock_conn_close(sc);
}

/*
 * A listener whose connections each get a CCI context of @kind: CCI_FM for
 * --fm (journal port SRV_PORT_FM), CCI_MCTP for --mctp-cci, the Type 3
 * MCTP-based CCI that MCTP message type 08h reaches (SRV_PORT_MCTP, replayed
 * on a CCI_MCTP context like --mctp-serial's 08h).  Same framing for both.
 */
int fm_listen_new(struct server_ctx *s, const struct sock_addr *addr, struct dcd *dv,
		  enum cci_kind kind, struct fm_listen **out)
{
	struct fm_listen *fl = calloc(1, sizeof(*fl));
	int rc;

	*out = NULL;
	if (!fl)
		return -ENOMEM;
	fl->s = s;
	fl->dv = dv;
	fl->kind = kind;
	fl->port = kind == CCI_MCTP ? SRV_PORT_MCTP : SRV_PORT_FM;
	fl->name = kind == CCI_MCTP ? "mctp-cci" : "fm";
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

void fm_listen_set_max_conns(struct fm_listen *fl, uint32_t max)
{
	sock_listener_set_max_conns(fl->ls, max);
}

void fm_listen_addr(const struct fm_listen *fl, char *buf, size_t len)
{
	sock_listener_addr(fl->ls, buf, len);
}
