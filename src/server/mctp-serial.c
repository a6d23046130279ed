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
 * context: a journaled request joins the loop round's group commit and is
 * answered after it (the endpoint defers it, MCTP_EP_DEFER, and takes no
 * more input meanwhile: what the line sends waits in held).  The
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
#include <sys/stat.h>
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
	/* the deferred request (in the group commit) and where its answer goes */
	uint8_t *wait_req;
	size_t wait_len;
	uint8_t *wait_rsp;
	size_t wait_cap;
	struct cci_ctx *wait_ctx;
	uint8_t *held;          /* line bytes received while it waits */
	size_t held_len, held_cap;
};

static void feed(struct mctp_pty *p, const uint8_t *buf, size_t n);

/* Run one request now (model time set) and encode its response. */
static int execute(struct mctp_pty *p, struct cci_ctx *ctx, const uint8_t *req, size_t len,
		   uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	struct server_ctx *s = p->s;
	struct cci_hdr rq = { 0 }, rs = { 0 };
	int rc;

	cci_dec_hdr(req, len, &rq);
	rc = cci_handle_msg(ctx, req, len, rsp, cap, rsp_len);
	if (!rc) {
		cci_dec_hdr(rsp, *rsp_len, &rs);
		if (s->cfg->trace & CMDLINE_TRACE_CCI)
			srv_log(s->log, LOG_DEBUG, "mctp-serial[%s]: type %02Xh %04Xh in=%u -> %s",
				p->name, ctx == p->fm ? MCTP_TYPE_CXL_FMAPI : MCTP_TYPE_CXL_CCI,
				rq.opcode, rq.payload_len, cxldcd_rc_str(rs.rc));
	}
	/* An erase whose proof the store refused: not answered as done (request.c). */
	if (srv_request_end(s) && !rc)
		rc = srv_cci_unproven(req, len, rsp, cap, rsp_len);
	return rc;
}

/* The group commit holding the deferred request returned: run it (or refuse it), answer. */
static void grouped_done(void *opaque, int rc)
{
	struct mctp_pty *p = opaque;
	struct cci_hdr rq = { 0 };
	size_t rsp_len = CXLDCD_CCI_HDR_SIZE;
	uint8_t *held = p->held;
	size_t n = p->held_len;

	if (rc) {               /* not stored: Internal Error, unrun */
		cci_dec_hdr(p->wait_req, p->wait_len, &rq);
		rc = cci_enc_refusal(&rq, CXLDCD_RC_INTERNAL_ERROR, p->wait_rsp, p->wait_cap);
	} else {
		rc = execute(p, p->wait_ctx, p->wait_req, p->wait_len, p->wait_rsp, p->wait_cap,
			     &rsp_len);
	}
	free(p->wait_req);
	p->wait_req = NULL;
	mctp_serial_ep_answer(&p->ep, rc, rsp_len);
	p->held = NULL;
	p->held_len = p->held_cap = 0;
	if (n)
		feed(p, held, n);
	free(held);
}

static int run_cci(void *opaque, uint8_t type, const uint8_t *req, size_t len, uint8_t *rsp,
		   size_t cap, size_t *rsp_len)
{
	struct mctp_pty *p = opaque;
	struct server_ctx *s = p->s;
	struct cci_ctx *ctx = type == MCTP_TYPE_CXL_FMAPI ? p->fm : p->mctp;
	struct cci_hdr rq = { 0 };

	srv_request_begin(s);
	if (!srv_grouping(s) || !srv_cci_journaled(req, len, cci_ctx_chain_open(ctx)))
		return execute(p, ctx, req, len, rsp, cap, rsp_len);
	/*
	 * Journaled before it runs (docs/persistence.md), in the round's group
	 * commit; when the store cannot commit (or no memory to queue it) it
	 * is answered Internal Error, unrun.
	 */
	p->wait_req = malloc(len);
	if (p->wait_req) {
		memcpy(p->wait_req, req, len);
		p->wait_len = len;
		p->wait_rsp = rsp;
		p->wait_cap = cap;
		p->wait_ctx = ctx;
		if (!srv_group_add(s, STORE_REC_CCI, p->dv->index,
				   type == MCTP_TYPE_CXL_FMAPI ? SRV_PORT_FM : SRV_PORT_MCTP, 0, req, len,
				   grouped_done, p))
			return MCTP_EP_DEFER;
		free(p->wait_req);
		p->wait_req = NULL;
	}
	cci_dec_hdr(req, len, &rq);
	*rsp_len = CXLDCD_CCI_HDR_SIZE;
	srv_request_end(s);
	return cci_enc_refusal(&rq, CXLDCD_RC_INTERNAL_ERROR, rsp, cap);
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
		feed(p, buf, (size_t)n);
}

/* Bytes from the line: to the endpoint, or held while a request waits for its commit. */
static void feed(struct mctp_pty *p, const uint8_t *buf, size_t n)
{
	size_t k = p->ep.waiting ? 0 : mctp_serial_ep_input(&p->ep, buf, n);
	size_t cap = p->held_cap ? p->held_cap : 4096;
	uint8_t *q;

	if (k == n)
		return;
	if (n - k > OUTQ_MAX - p->held_len) {   /* as on a serial line: lost, the peer times out */
		srv_log(p->s->log, LOG_DEBUG, "mctp-serial[%s]: input queue full: bytes lost", p->name);
		return;
	}
	while (cap < p->held_len + n - k)
		cap *= 2;
	if (cap != p->held_cap) {
		q = realloc(p->held, cap);
		if (!q)
			return;
		p->held = q;
		p->held_cap = cap;
	}
	memcpy(p->held + p->held_len, buf + k, n - k);
	p->held_len += n - k;
}

/*
 * The terminal is the device's FM-API (07h) and MCTP CCI (08h): only the
 * daemon's user may open it.  grantpt() leaves the slave as devpts makes it,
 * usually 0620 of group tty, so any member of tty could write requests to
 * the endpoint.  It is made 0600 while still locked (a locked slave cannot
 * be opened, so nobody holds an fd from before), then unlocked; the slave
 * the daemon opens is checked to be the daemon's alone before it is named.
 */
static int open_pty(struct mctp_pty *p)
{
	struct termios t;
	struct stat st;

	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (p->master < 0 || grantpt(p->master) ||
	    ptsname_r(p->master, p->name, sizeof(p->name)) || chmod(p->name, 0600) ||
	    unlockpt(p->master))
		return -errno;
	p->slave = open(p->name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave < 0 || fstat(p->slave, &st) || tcgetattr(p->slave, &t))
		return -errno;
	if (!S_ISCHR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return -EPERM;
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
	free(p->wait_req);
	free(p->held);
	free(p);
}

const char *mctp_pty_name(const struct mctp_pty *p)
{
	return p->name;
}
