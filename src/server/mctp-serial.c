/* SPDX-License-Identifier: MIT */
/*
 * mctp-serial.c - --mctp-serial pty[,device=ID]: the device as an MCTP
 * endpoint on a DSP0253 serial line, here a pseudo-terminal the daemon
 * creates and names in its log, for a kernel with MCTP to attach with its
 * serial line discipline (docs/mctp.md).  The protocol is src/mctp
 * (endpoint.c); this file only moves bytes and runs CCI messages.
 *
 * CCI messages of type 07h (FM-API) run on an FM CCI context, the FM-owned
 * LD's FM-API; type 08h on a CCI_MCTP context, the Type 3 device's own
 * MCTP-based CCI.  Both are journaled like the FM socket's (fm.c), 08h
 * under its own port (SRV_PORT_MCTP) so replay runs it on a CCI_MCTP
 * context.  The
 * terminal is raw (no echo, no translation); the daemon keeps the slave
 * side open so reading the master never fails while no peer is attached.
 * Writes never block the loop: what the terminal cannot take now waits in
 * an output queue, written as the terminal drains (LOOP_OUT), in order.
 * The queue is bounded (OUTQ_MAX); a frame beyond it is lost, as on a
 * serial line, and the peer times out.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cci/cci.h"
#include "cci/msg.h"
#include "mctp/endpoint.h"
#include "mctp/mctp.h"
#include "store/store.h"
#include "cmdline.h"
#include "daemon.h"
#include "loop.h"
#include "mctp-serial.h"

#define OUTQ_MAX (256u * 1024u)

struct mctp_pty {
	struct server_ctx *s;
	struct dcd *dv;
	int master, slave;
	uint8_t *outq;          /* bytes the terminal has not taken yet */
	size_t out_len, out_cap;
	bool watch_out;         /* LOOP_OUT is watched (out_len != 0) */
	char name[64];
	struct cci_ctx *fm;     /* 07h: the FM-API of the FM-owned LD */
	struct cci_ctx *mctp;   /* 08h: the Type 3 device's own MCTP-based CCI */
	struct mctp_serial_ep ep;
	bool ep_ready;
};

static int run_cci(void *opaque, uint8_t type, const uint8_t *req, size_t len, uint8_t *rsp,
		   size_t cap, size_t *rsp_len)
{
	struct mctp_pty *p = opaque;
	struct server_ctx *s = p->s;
	struct cci_hdr rq = { 0 }, rs = { 0 };
	int rc;

	cci_dec_hdr(req, len, &rq);
	srv_request_begin(s);
	/*
	 * Journaled before it runs (docs/persistence.md); when the store
	 * cannot commit it is answered Internal Error, unrun.
	 */
	if (srv_cci_journaled(req, len, cci_ctx_chain_open(type == MCTP_TYPE_CXL_FMAPI ? p->fm
											 : p->mctp)) &&
	    srv_journal(s, STORE_REC_CCI, p->dv->index,
			type == MCTP_TYPE_CXL_FMAPI ? SRV_PORT_FM : SRV_PORT_MCTP, 0, req, len)) {
		rc = cci_enc_refusal(&rq, CXLDCD_RC_INTERNAL_ERROR, rsp, cap);
		*rsp_len = CXLDCD_CCI_HDR_SIZE;
		srv_request_end(s);
		return rc;
	}
	rc = cci_handle_msg(type == MCTP_TYPE_CXL_FMAPI ? p->fm : p->mctp, req, len, rsp, cap,
			    rsp_len);
	if (!rc) {
		cci_dec_hdr(rsp, *rsp_len, &rs);
		if (s->cfg->trace & CMDLINE_TRACE_CCI)
			srv_log(s->log, LOG_DEBUG, "mctp-serial[%s]: type %02Xh %04Xh in=%u -> %s",
				p->name, type, rq.opcode, rq.payload_len, cxldcd_rc_str(rs.rc));
	}
	srv_request_end(s);
	return rc;
}

/* Write what the queue holds; watch LOOP_OUT while something is left. */
static void flush(struct mctp_pty *p)
{
	size_t off = 0;

	while (off < p->out_len) {
		ssize_t n = write(p->master, p->outq + off, p->out_len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	memmove(p->outq, p->outq + off, p->out_len - off);
	p->out_len -= off;
	if (p->watch_out != (p->out_len != 0)) {
		p->watch_out = p->out_len != 0;
		loop_mod_fd(p->s->loop, p->master, p->watch_out ? LOOP_IN | LOOP_OUT : LOOP_IN);
	}
}

static int line_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct mctp_pty *p = opaque;
	size_t cap = p->out_cap ? p->out_cap : 4096;
	uint8_t *q;

	if (len > OUTQ_MAX - p->out_len) {
		srv_log(p->s->log, LOG_DEBUG, "mctp-serial[%s]: output queue full: frame lost",
			p->name);
		return -EAGAIN;
	}
	while (cap < p->out_len + len)
		cap *= 2;
	if (cap != p->out_cap) {
		q = realloc(p->outq, cap);
		if (!q)
			return -ENOMEM;
		p->outq = q;
		p->out_cap = cap;
	}
	memcpy(p->outq + p->out_len, buf, len);
	p->out_len += len;
	flush(p);
	return 0;
}

static const struct mctp_serial_ep_ops ep_ops = {
	.cci = run_cci,
	.write = line_write,
};

static void on_event(struct loop *l, int fd, unsigned events, void *opaque)
{
	struct mctp_pty *p = opaque;
	uint8_t buf[4096];
	ssize_t n;

	(void)l;
	if (events & LOOP_OUT)
		flush(p);
	if (!(events & (LOOP_IN | LOOP_ERR)))
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		mctp_serial_ep_input(&p->ep, buf, (size_t)n);
}

static int open_pty(struct mctp_pty *p)
{
	struct termios t;

	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (p->master < 0 || grantpt(p->master) || unlockpt(p->master) ||
	    ptsname_r(p->master, p->name, sizeof(p->name)))
		return -errno;
	p->slave = open(p->name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0 || tcgetattr(p->slave, &t))
		return -errno;
	cfmakeraw(&t);
	return tcsetattr(p->slave, TCSANOW, &t) ? -errno : 0;
}

int mctp_pty_new(struct server_ctx *s, struct dcd *dv, uint8_t eid, struct mctp_pty **out)
{
	struct mctp_pty *p = calloc(1, sizeof(*p));
	size_t max_msg;
	int rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->s = s;
	p->dv = dv;
	p->master = p->slave = -1;
	max_msg = CXLDCD_CCI_HDR_SIZE + core_dev_cfg(dv->dev)->mbox_payload_size;
	if ((rc = open_pty(p)) || (rc = cci_ctx_new(dv->dev, CCI_FM, 0, &p->fm)) ||
	    (rc = cci_ctx_new(dv->dev, CCI_MCTP, 0, &p->mctp)) ||
	    (rc = mctp_serial_ep_init(&p->ep, max_msg, &ep_ops, p)))
		goto fail;
	p->ep_ready = true;
	p->ep.ctrl.eid = eid;
	if ((rc = loop_add_fd(s->loop, p->master, LOOP_IN, on_event, p)))
		goto fail;
	*out = p;
	return 0;
fail:
	mctp_pty_free(p);
	return rc;
}

void mctp_pty_free(struct mctp_pty *p)
{
	if (!p)
		return;
	if (p->master >= 0) {
		loop_del_fd(p->s->loop, p->master);
		close(p->master);
	}
	if (p->slave >= 0)
		close(p->slave);
	if (p->ep_ready)
		mctp_serial_ep_fini(&p->ep);
	cci_ctx_free(p->fm);
	cci_ctx_free(p->mctp);
	free(p->outq);
	free(p);
}

const char *mctp_pty_name(const struct mctp_pty *p)
{
	return p->name;
}
