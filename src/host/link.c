/* SPDX-License-Identifier: MIT */
/*
 * link.c - the bottom of libcxldcd-host: logging, events to the user,
 * failure, and the command queue over the link (one CCI or slow-path
 * request in flight; each command carries a typed continuation, struct
 * cont, that its completion reads).  It knows the framing, not what the
 * commands mean; it calls nothing else of the library.
 */
#include "host/host-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "cci/msg.h"
#include "hostlink/proto.h"

/* ------------------------------------------------------------ helpers */

void host_log(const struct cxldcd_host *h, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int saved = errno;

	if (!h->cfg.log_fn || level > h->cfg.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	h->cfg.log_fn(h->cfg.log_opaque, level, buf);
	errno = saved;
}

void host_log_event(const struct cxldcd_host *h, int level, enum cxldcd_host_event_type t,
		    const struct cxldcd_host_group_info *g, const char *text)
{
	char tag[37];

	if (!h->cfg.log_fn || level > h->cfg.log_level)
		return;
	cxldcd_host_group_tag_format(g, tag);
	host_log(h, level, "%s tag=%s %s", cxldcd_host_event_name(t), tag, text);
}

uint64_t host_now_ms(const struct cxldcd_host *h)
{
	return h->cfg.clock ? h->cfg.clock(h->cfg.clock_opaque) : clock_now_ms();
}

void host_emit(struct cxldcd_host *h, enum cxldcd_host_event_type t, const struct group *g,
	       uint64_t dpa, uint64_t len, const char *fmt, ...)
{
	struct cxldcd_host_event ev = { .type = t, .dpa = dpa, .len = len };
	char text[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ev.text = text;
	if (g)
		ev.group = &g->info;
	if (t == CXLDCD_HOST_EV_DEVICE_ERROR) {
		h->st.device_errors++;
		ev.err = -EPROTO;
	}
	if (!h->no_event_log)
		host_log_event(h, t == CXLDCD_HOST_EV_DEVICE_ERROR || t == CXLDCD_HOST_EV_FAILED ||
					  t == CXLDCD_HOST_EV_ACCESS_DENIED ||
					  t == CXLDCD_HOST_EV_APP_REVOKED || t == CXLDCD_HOST_EV_SOCKET_ACCESS
				       ? LOG_WARNING : LOG_INFO,
			       t, ev.group, text);
	if (h->cfg.event_fn)
		h->cfg.event_fn(h->cfg.event_opaque, &ev);
}

const char *host_diag_reason(const struct cxldcd_host *h, uint16_t opcode, uint16_t rc)
{
	return h->diag_valid && h->diag.opcode == opcode && h->diag.cxl_rc == rc ? h->diag.reason
										 : NULL;
}

const char *host_diag_suffix(const struct cxldcd_host *h, uint16_t opcode, uint16_t rc,
			     char *buf, size_t size)
{
	if (!host_diag_reason(h, opcode, rc))
		return "";
	snprintf(buf, size, ": reason=%s (%s)", h->diag.reason, h->diag.text);
	return buf;
}

void host_emit_rc(struct cxldcd_host *h, uint16_t opcode, uint16_t rc, const char *what)
{
	struct cxldcd_host_event ev = { .type = CXLDCD_HOST_EV_CMD_FAILED, .opcode = opcode,
					.cxl_rc = rc };
	char text[512], why[256];

	h->st.cmd_failures++;

	snprintf(text, sizeof(text), "%s opcode=0x%04x rc=0x%02x (%s)%s", what, opcode, rc,
		 cxldcd_rc_str((enum cxldcd_rc)rc), host_diag_suffix(h, opcode, rc, why, sizeof(why)));
	ev.text = text;
	ev.reason = host_diag_reason(h, opcode, rc);
	host_log_event(h, LOG_WARNING, ev.type, NULL, text);
	if (h->cfg.event_fn)
		h->cfg.event_fn(h->cfg.event_opaque, &ev);
}

void host_fail(struct cxldcd_host *h, int err, const char *why)
{
	struct cxldcd_host_event ev = { .type = CXLDCD_HOST_EV_FAILED, .err = err, .text = why };

	if (h->state == CXLDCD_HOST_FAILED)
		return;
	h->state = CXLDCD_HOST_FAILED;
	h->fail_err = err;
	host_log(h, LOG_ERR, "host=%u failed: %s (%s)", h->cfg.host_id, why, strerror(-err));
	if (h->cfg.event_fn)
		h->cfg.event_fn(h->cfg.event_opaque, &ev);
	if (h->sock >= 0) {
		host_epoll_del(h, h->sock);
		close(h->sock);
		h->sock = -1;
	}
	/*
	 * Wake the owner polling cxldcd_host_get_fd(), so that its
	 * cxldcd_host_process() returns the failure also when it came outside
	 * a round.  The applications' connections do not wait for that: the
	 * user's call that met it ends them (link_lost_apps(), host.c).
	 */
	if (h->tfd >= 0) {
		struct itimerspec now = { .it_value.tv_nsec = 1 };

		timerfd_settime(h->tfd, 0, &now, NULL);
	}
}

int host_epoll_add(struct cxldcd_host *h, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void host_epoll_del(struct cxldcd_host *h, int fd)
{
	epoll_ctl(h->ep, EPOLL_CTL_DEL, fd, NULL);
}

static void set_want_out(struct cxldcd_host *h, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0u), .data.fd = h->sock };

	if (h->want_out == on || h->sock < 0)
		return;
	h->want_out = on;
	epoll_ctl(h->ep, EPOLL_CTL_MOD, h->sock, &ev);
}

/* ------------------------------------------------------------ output */

void link_flush(struct cxldcd_host *h)
{
	while (h->olen && h->sock >= 0) {
		ssize_t n = hl_send(h->sock, h->obuf, h->olen, NULL, 0);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			host_fail(h, -ECONNRESET, "device link write failed");
			return;
		}
		memmove(h->obuf, h->obuf + n, h->olen - (size_t)n);
		h->olen -= (size_t)n;
	}
	set_want_out(h, h->olen != 0);
}

/* Reserve room for a message of up to cap bytes at the end of obuf. */
uint8_t *link_reserve(struct cxldcd_host *h, size_t cap)
{
	if (h->olen + cap > h->ocap) {
		size_t ncap = h->olen + cap;
		uint8_t *nb;

		if (ncap > HOST_OUT_MAX + HL_HDR_SIZE + HL_MAX_PAYLOAD)
			return NULL;
		nb = realloc(h->obuf, ncap);
		if (!nb)
			return NULL;
		h->obuf = nb;
		h->ocap = ncap;
	}
	return h->obuf + h->olen;
}

/* ------------------------------------------------------------ commands */

void link_enqueue(struct cxldcd_host *h, struct cmd *c)
{
	if (h->cq_tail)
		h->cq_tail->next = c;
	else
		h->cq_head = c;
	h->cq_tail = c;
}

static struct cmd *cmd_new(struct cxldcd_host *h, uint16_t opcode, const void *in, size_t in_len,
			   cmd_done_fn *done, struct cont k)
{
	struct cmd *c;

	if (h->state == CXLDCD_HOST_FAILED)
		return NULL;
	c = calloc(1, sizeof(*c) + in_len);
	if (!c) {
		host_fail(h, -ENOMEM, "out of memory");
		return NULL;
	}
	c->kind = CMD_CCI;
	c->opcode = opcode;
	c->done = done;
	c->k = k;
	c->in_len = in_len;
	if (in_len)
		memcpy(c->in, in, in_len);
	return c;
}

/* Sent by host.c: at the end of process(), or at once by a public entry point. */
int host_cmd(struct cxldcd_host *h, uint16_t opcode, const void *in, size_t in_len,
	     cmd_done_fn *done, struct cont k)
{
	struct cmd *c = cmd_new(h, opcode, in, in_len, done, k);

	if (!c)
		return h->state == CXLDCD_HOST_FAILED ? h->fail_err : -ENOMEM;
	link_enqueue(h, c);
	return 0;
}

int host_cmd_first(struct cxldcd_host *h, uint16_t opcode, const void *in, size_t in_len,
		   cmd_done_fn *done, struct cont k)
{
	struct cmd *c = cmd_new(h, opcode, in, in_len, done, k);

	if (!c)
		return h->state == CXLDCD_HOST_FAILED ? h->fail_err : -ENOMEM;
	c->next = h->cq_head;
	h->cq_head = c;
	if (!h->cq_tail)
		h->cq_tail = c;
	return 0;
}

static int encode_cmd(struct cxldcd_host *h, struct cmd *c)
{
	size_t cap = HL_HDR_SIZE + CXLDCD_CCI_HDR_SIZE + c->in_len;
	uint8_t *p = link_reserve(h, cap);
	struct wwr w;

	if (!p)
		return -ENOMEM;
	wwr_init(&w, p, cap);
	c->seq = ++h->seq;
	if (c->kind == CMD_CCI) {
		struct cci_hdr ch = { .category = CCI_CAT_REQUEST, .tag = ++h->cci_tag,
				      .opcode = c->opcode, .payload_len = (uint32_t)c->in_len };

		hl_msg_begin(&w, HL_CCI_REQ, c->seq);
		if (cci_enc_hdr(&ch, w.p + w.off, w.cap - w.off))
			return -EINVAL;
		w.off += CXLDCD_CCI_HDR_SIZE;
		wwr_bytes(&w, c->in, c->in_len);
	} else {
		hl_msg_begin(&w, c->kind == CMD_READ      ? HL_READ_REQ :
				 c->kind == CMD_WRITE     ? HL_WRITE_REQ :
				 c->kind == CMD_RAS_READ  ? HL_RAS_READ_REQ :
							    HL_RAS_WRITE_REQ,
			     c->seq);
		wwr_bytes(&w, c->in, c->in_len);
	}
	if (hl_msg_end(&w))
		return -EINVAL;
	h->olen += w.off;
	return 0;
}

void link_send_next(struct cxldcd_host *h)
{
	struct cmd *c;

	if (h->inflight || !h->cq_head || h->state == CXLDCD_HOST_FAILED)
		return;
	c = h->cq_head;
	if (c->kind == CMD_CCI && c->in_len > h->mbox) {
		host_fail(h, -EINVAL, "internal: command larger than the mailbox");
		return;
	}
	h->cq_head = c->next;
	if (!h->cq_head)
		h->cq_tail = NULL;
	c->next = NULL;
	if (encode_cmd(h, c)) {
		free(c);
		host_fail(h, -ENOMEM, "cannot queue a command");
		return;
	}
	h->inflight = c;
	h->deadline_ms = host_now_ms(h) + h->cfg.cmd_timeout_ms;
	h->st.cmds_sent++;
	link_flush(h);
}

void link_complete(struct cxldcd_host *h, int err, uint16_t rc, const uint8_t *out, size_t len)
{
	struct cmd *c = h->inflight;

	h->inflight = NULL;
	if (c->kind == CMD_CCI) {
		if (c->done)
			c->done(h, c, err, rc, out, len);
	} else {
		if (!err && (c->kind == CMD_READ || c->kind == CMD_RAS_READ))
			memcpy(c->buf, out, len);
		if (c->io_done)
			c->io_done(c->io_opaque, err);
	}
	free(c);
}

void link_drop_queue(struct cxldcd_host *h)
{
	struct cmd *c;

	if (h->inflight) {
		c = h->inflight;
		h->inflight = NULL;
		if (c->kind != CMD_CCI && c->io_done)
			c->io_done(c->io_opaque, -ECONNRESET);
		free(c);
	}
	while ((c = h->cq_head)) {
		h->cq_head = c->next;
		if (c->kind != CMD_CCI && c->io_done)
			c->io_done(c->io_opaque, -ECONNRESET);
		free(c);
	}
	h->cq_tail = NULL;
}
