/* SPDX-License-Identifier: MIT */
/*
 * io.c - the slow path: reading and writing device memory and the RAS
 * registers over the link (IO_REQ, RAS_READ/RAS_WRITE), asynchronously or
 * blocking (running the context until the answer comes).  Calls link.c,
 * ras.c, and host_kick() and cxldcd_host_run_once() in host.c (host-int.h
 * gives the order).
 */
#include "host/host-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "hostlink/proto.h"

/* ------------------------------------------------------------ slow path */

static int io_submit(struct cxldcd_host *h, bool write, uint64_t dpa, void *buf, uint32_t len,
		     cxldcd_host_io_fn *done, void *opaque)
{
	uint8_t hdr[HL_IO_REQ_SIZE];
	struct hl_io_req rq = { .dpa = dpa, .len = len };
	struct cmd *c;
	struct wwr w;

	if (!len || len > HL_MAX_IO || !buf)
		return -EINVAL;
	if (h->state != CXLDCD_HOST_READY && h->state != CXLDCD_HOST_BRINGUP)
		return h->state == CXLDCD_HOST_FAILED ? h->fail_err : -EAGAIN;
	c = calloc(1, sizeof(*c) + HL_IO_REQ_SIZE + (write ? len : 0));
	if (!c)
		return -ENOMEM;
	wwr_init(&w, hdr, sizeof(hdr));
	hl_enc_io_req(&w, &rq);
	memcpy(c->in, hdr, sizeof(hdr));
	if (write)
		memcpy(c->in + HL_IO_REQ_SIZE, buf, len);
	c->kind = write ? CMD_WRITE : CMD_READ;
	c->in_len = HL_IO_REQ_SIZE + (write ? len : 0);
	c->k = (struct cont){ .kind = K_IO, .u.io = { .len = len } };
	c->buf = buf;
	c->io_done = done;
	c->io_opaque = opaque;
	link_enqueue(h, c);
	host_kick(h);
	return 0;
}

int cxldcd_host_read_async(struct cxldcd_host *h, uint64_t dpa, void *buf, uint32_t len,
			   cxldcd_host_io_fn *done, void *opaque)
{
	return io_submit(h, false, dpa, buf, len, done, opaque);
}

int cxldcd_host_write_async(struct cxldcd_host *h, uint64_t dpa, const void *buf, uint32_t len,
			    cxldcd_host_io_fn *done, void *opaque)
{
	return io_submit(h, true, dpa, (void *)buf, len, done, opaque);
}

struct io_wait {
	bool done;
	int err;
};

static void io_wait_cb(void *opaque, int err)
{
	struct io_wait *iw = opaque;

	iw->done = true;
	iw->err = err;
}

static int io_blocking(struct cxldcd_host *h, bool write, uint64_t dpa, void *buf, uint32_t len,
		       int timeout_ms)
{
	struct io_wait iw = { 0 };
	uint64_t end = clock_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	int rc = io_submit(h, write, dpa, buf, len, io_wait_cb, &iw);

	while (!rc && !iw.done) {
		uint64_t now = clock_now_ms();

		if (now >= end)
			return -ETIMEDOUT; /* the request stays queued; buf must stay valid */
		rc = cxldcd_host_run_once(h, (int)(end - now));
		if (rc > 0)
			rc = 0;
	}
	return rc ? rc : iw.err;
}

int cxldcd_host_read(struct cxldcd_host *h, uint64_t dpa, void *buf, uint32_t len, int timeout_ms)
{
	return io_blocking(h, false, dpa, buf, len, timeout_ms);
}

int cxldcd_host_write(struct cxldcd_host *h, uint64_t dpa, const void *buf, uint32_t len,
		      int timeout_ms)
{
	return io_blocking(h, true, dpa, (void *)buf, len, timeout_ms);
}

/* ------------------------------------------------------------ RAS registers */

/* A read in flight: the raw registers, decoded into the caller's struct when answered. */
struct ras_read {
	uint8_t raw[HL_RAS_READ_RSP_SIZE];
	struct cxldcd_host_ras_regs *out;
	cxldcd_host_io_fn *done;
	void *opaque;
};

static void ras_read_cb(void *opaque, int err)
{
	struct ras_read *rr = opaque;
	struct hl_ras_regs r;

	if (!err && hl_dec_ras_regs(rr->raw, sizeof(rr->raw), &r))
		err = -EPROTO;
	if (!err) {
		*rr->out = (struct cxldcd_host_ras_regs){
			.unc_status = r.unc_status, .unc_mask = r.unc_mask,
			.unc_severity = r.unc_severity, .cor_status = r.cor_status,
			.cor_mask = r.cor_mask, .cap_ctrl = r.cap_ctrl };
		memcpy(rr->out->header_log, r.header_log, sizeof(rr->out->header_log));
	}
	if (rr->done)
		rr->done(rr->opaque, err);
	free(rr);
}

int cxldcd_host_ras_read_async(struct cxldcd_host *h, struct cxldcd_host_ras_regs *out,
			       cxldcd_host_io_fn *done, void *opaque)
{
	struct ras_read *rr;
	int rc;

	if (!out)
		return -EINVAL;
	rr = calloc(1, sizeof(*rr));
	if (!rr)
		return -ENOMEM;
	*rr = (struct ras_read){ .out = out, .done = done, .opaque = opaque };
	rc = ras_submit(h, CMD_RAS_READ, 0, 0, rr->raw, ras_read_cb, rr);
	if (rc) {
		free(rr);
		return rc;
	}
	host_kick(h);
	return 0;
}

int cxldcd_host_ras_write_async(struct cxldcd_host *h, uint32_t offset, uint32_t value,
				cxldcd_host_io_fn *done, void *opaque)
{
	int rc = ras_submit(h, CMD_RAS_WRITE, offset, value, NULL, done, opaque);

	if (!rc)
		host_kick(h);
	return rc;
}

/* Wait for a RAS command: the command deadline (cmd_timeout_ms) bounds it. */
static int ras_wait(struct cxldcd_host *h, int rc, struct io_wait *iw)
{
	while (!rc && !iw->done) {
		rc = cxldcd_host_run_once(h, 1000);
		if (rc > 0)
			rc = 0;
	}
	return rc ? rc : iw->err;
}

int cxldcd_host_ras_read(struct cxldcd_host *h, struct cxldcd_host_ras_regs *out)
{
	struct io_wait iw = { 0 };

	return ras_wait(h, cxldcd_host_ras_read_async(h, out, io_wait_cb, &iw), &iw);
}

int cxldcd_host_ras_write(struct cxldcd_host *h, uint32_t offset, uint32_t value)
{
	struct io_wait iw = { 0 };

	return ras_wait(h, cxldcd_host_ras_write_async(h, offset, value, io_wait_cb, &iw), &iw);
}
