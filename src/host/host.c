/* SPDX-License-Identifier: MIT */
/*
 * host.c - the libcxldcd-host context, the top of the library (host-int.h
 * gives the order): connecting (HELLO), framing and the fd FIFO, the
 * messages from the device, the epoll set and timer behind
 * cxldcd_host_get_fd(), and the public entry points.  The command queue is
 * in link.c; what a host does with the answers lives in bringup.c,
 * events.c and release.c.
 */
#include "host/host-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "cci/msg.h"
#include "common/clock.h"
#include "hostlink/proto.h"

static void arm_timer(struct cxldcd_host *h);

/* Send the next queued command now and re-arm the timer (public entry points that queue). */
static void host_kick(struct cxldcd_host *h)
{
	link_send_next(h);
	if (h->state != CXLDCD_HOST_FAILED)
		arm_timer(h);
}

/* ------------------------------------------------------------ messages */

static void on_hello_ack(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_hello_ack a;

	if (h->state != CXLDCD_HOST_CONNECTING || hd->seq != 1) {
		host_fail(h, -EPROTO, "unexpected hello-ack");
		return;
	}
	if (hl_dec_hello_ack(p, hd->len, &a)) {
		host_fail(h, -EPROTO, "malformed hello-ack");
		return;
	}
	if (a.status) {
		host_fail(h, hl_status_errno(a.status), a.status == HL_S_STARTING
			  ? "device is starting" : "device refused hello");
		return;
	}
	if (a.mbox_payload_size < 256 || a.mbox_payload_size > (1u << 20) ||
	    (a.mbox_payload_size & (a.mbox_payload_size - 1))) {
		host_fail(h, -EPROTO, "device reports a bogus mailbox payload size");
		return;
	}
	h->mbox = a.mbox_payload_size;
	h->mapping = (a.flags & HL_ACK_F_MAP) && h->is_unix && !h->cfg.no_mapping;
	h->diag_on = a.flags & HL_ACK_F_DIAG;
	h->ras_dev = a.flags & HL_ACK_F_RAS;
	h->ras_on = h->ras_dev && !h->cfg.no_ras;
	h->move_end_on = h->mapping && (a.flags & HL_ACK_F_MOVE_END);
	h->span_base = a.span_base;
	h->span_size = a.span_size;
	h->static_size = a.static_size;
	host_log(h, LOG_INFO, "host=%u connected mbox=%u mapping=%s", h->cfg.host_id, h->mbox,
		 h->mapping ? "on" : "off");
	h->state = CXLDCD_HOST_BRINGUP;
	ras_connect(h);
	bringup_start(h);
}

static void on_cci_rsp(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct cmd *c = h->inflight;
	struct cci_hdr ch;

	if (!c || c->kind != CMD_CCI || c->seq != hd->seq) {
		host_fail(h, -EPROTO, "cci response that matches no request");
		return;
	}
	if (cci_dec_hdr(p, hd->len, &ch) || ch.category != CCI_CAT_RESPONSE ||
	    ch.payload_len != hd->len - CXLDCD_CCI_HDR_SIZE || ch.opcode != c->opcode ||
	    ch.tag != h->cci_tag || ch.payload_len > h->mbox) {
		host_fail(h, -EPROTO, "malformed cci response");
		return;
	}
	if (ch.rc) {  /* a failure keeps its DIAG (if any) until the next failure */
		/*
		 * diag_in is this command's: on_diag() took it only for the
		 * command in flight, and nothing but this answer or a failure of
		 * the link ends that command.
		 */
		h->diag_valid = h->diag_in_valid && h->diag_in.cxl_rc == ch.rc;
		if (h->diag_valid)
			h->diag = h->diag_in;
	}
	h->diag_in_valid = false;
	link_complete(h, 0, ch.rc, p + CXLDCD_CCI_HDR_SIZE, ch.payload_len);
}

/* DIAG: the reason for the CCI_RSP that follows (same sequence number). */
static void on_diag(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct cmd *c = h->inflight;
	struct hl_diag m;

	if (!h->diag_on || !c || c->kind != CMD_CCI || c->seq != hd->seq ||
	    hl_dec_diag(p, hd->len, &m) || m.opcode != c->opcode) {
		host_fail(h, -EPROTO, "unexpected or malformed diag");
		return;
	}
	h->diag_in = (struct cxldcd_host_diag){ .opcode = m.opcode, .cxl_rc = m.rc,
						 .reason_code = m.reason, .index = m.index };
	snprintf(h->diag_in.reason, sizeof(h->diag_in.reason), "%s", m.name);
	if (m.text_len)
		memcpy(h->diag_in.text, m.text, m.text_len);  /* <= HL_DIAG_TEXT_MAX: fits */
	h->diag_in.text[m.text_len] = '\0';
	h->diag_in_valid = true;
}

static void on_io_rsp(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct cmd *c = h->inflight;
	struct hl_io_rsp r;
	bool rd = hd->type == HL_READ_RSP;
	uint32_t want;

	if (!c || c->seq != hd->seq || c->kind != (rd ? CMD_READ : CMD_WRITE) ||
	    hl_dec_io_rsp(p, hd->len, &r)) {
		host_fail(h, -EPROTO, "unexpected or malformed slow-path response");
		return;
	}
	want = rd && r.status == HL_S_OK ? c->k.u.io.len : 0;
	if (r.len != want) {
		host_fail(h, -EPROTO, "slow-path response length does not match the request");
		return;
	}
	link_complete(h, hl_status_errno(r.status), 0, r.data, r.len);
}

static void on_map(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_map m;
	int fd;

	if (!h->nr_fds) {
		host_fail(h, -EPROTO, "map without a file descriptor");
		return;
	}
	fd = h->fds[0];
	memmove(h->fds, h->fds + 1, (h->nr_fds - 1) * sizeof(int));
	h->nr_fds--;
	h->st.maps++;
	if (!h->mapping || hl_dec_map(p, hd->len, &m)) {
		close(fd);
		host_fail(h, -EPROTO, h->mapping ? "malformed map" : "map while mapping is off");
		return;
	}
	if (segments_add(h, m.dpa, m.len, m.offset, fd, m.flags & HL_MAP_F_WRITABLE))
		close(fd);
}

static void on_unmap(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_unmap m;

	if (hl_dec_unmap(p, hd->len, &m)) {
		host_fail(h, -EPROTO, "malformed unmap");
		return;
	}
	h->st.unmaps++;
	if (m.reason == HL_UNMAP_REVOKED)
		release_unmapped(h, m.dpa, m.len);
	else
		groups_unmap_range(h, m.dpa, m.len, false, NULL);
	segments_drop(h, m.dpa, m.len);
}

/* Answer a move's PAUSE or REMAP (docs/host-link.md "Moves"). */
static void send_move_ack(struct cxldcd_host *h, uint64_t id, uint32_t phase)
{
	const struct hl_move_ack a = { .id = id, .phase = phase };
	uint8_t *p = link_reserve(h, HL_HDR_SIZE + HL_MOVE_ACK_SIZE);
	struct wwr w;

	if (!p) {
		host_fail(h, -ENOMEM, "out of memory");
		return;
	}
	wwr_init(&w, p, HL_HDR_SIZE + HL_MOVE_ACK_SIZE);
	hl_msg_begin(&w, HL_MOVE_ACK, 0);
	hl_enc_move_ack(&w, &a);
	if (hl_msg_end(&w))
		return;
	h->olen += w.off;   /* sent at the end of the round, with the other answers it reads */
}

/* PAUSE: stop writing the range (read-only), then say so. */
static void on_pause(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_pause m;

	if (!h->mapping || hl_dec_pause(p, hd->len, &m)) {
		host_fail(h, -EPROTO, h->mapping ? "malformed pause" : "pause while mapping is off");
		return;
	}
	h->st.pauses++;
	groups_pause_range(h, m.dpa, m.len, m.id);
	send_move_ack(h, m.id, HL_MOVE_PAUSED);
}

/* REMAP: the range's new fd replaces the old one in place, writable again. */
static void on_remap(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_remap m;
	int fd;

	if (!h->nr_fds) {
		host_fail(h, -EPROTO, "remap without a file descriptor");
		return;
	}
	fd = h->fds[0];
	memmove(h->fds, h->fds + 1, (h->nr_fds - 1) * sizeof(int));
	h->nr_fds--;
	if (!h->mapping || hl_dec_remap(p, hd->len, &m)) {
		close(fd);
		host_fail(h, -EPROTO, h->mapping ? "malformed remap" : "remap while mapping is off");
		return;
	}
	h->st.remaps++;
	if (segments_add(h, m.map.dpa, m.map.len, m.map.offset, fd, m.map.flags & HL_MAP_F_WRITABLE)) {
		close(fd);
		/* nothing of the range stays paused: unusable, as a range never mapped */
		segments_drop(h, m.map.dpa, m.map.len);
	}
	groups_remap_range(h, m.map.dpa, m.map.len);
	/* the applications hear REVOKE before the device may punch the old grant */
	apps_announce(h);
	send_move_ack(h, m.id, HL_MOVE_REMAPPED);
}

/*
 * MOVE_END: the move is over for the range of one of its PAUSEs.  What of it
 * is still paused (no REMAP came for it) is of the retired grant: it goes.
 * The OPENs that waited for the move are answered in this round
 * (apps_resume()).
 */
static void on_move_end(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_move_end m;

	if (!h->move_end_on || hl_dec_move_end(p, hd->len, &m)) {
		host_fail(h, -EPROTO, "unexpected or malformed move-end");
		return;
	}
	h->st.move_ends++;
	if (groups_end_move(h, m.dpa, m.len, m.id)) {
		host_log(h, LOG_WARNING, "move %llu ended without a remap of dpa=0x%llx len=0x%llx: unmapped",
			 (unsigned long long)m.id, (unsigned long long)m.dpa,
			 (unsigned long long)m.len);
	}
}

/*
 * ERROR with status OK is the device's goodbye: it closes the link cleanly
 * (the daemon is stopping; docs/host-link.md).  Anything else is a protocol
 * error the device saw.
 */
/* RAS_READ_RSP / RAS_WRITE_RSP: the answer to the RAS command in flight. */
static void on_ras_rsp(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct cmd *c = h->inflight;
	bool rd = hd->type == HL_RAS_READ_RSP;
	uint32_t status = HL_S_OK;

	if (!c || c->seq != hd->seq || c->kind != (rd ? CMD_RAS_READ : CMD_RAS_WRITE) ||
	    (rd ? hd->len != HL_RAS_READ_RSP_SIZE : hl_dec_status_msg(p, hd->len, &status) != 0)) {
		host_fail(h, -EPROTO, "unexpected or malformed ras response");
		return;
	}
	link_complete(h, hl_status_errno(status), 0, p, rd ? hd->len : 0);
}

static void on_ras_irq(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_ras_irq m;

	if (!h->ras_dev || hl_dec_ras_irq(p, hd->len, &m)) {
		host_fail(h, -EPROTO, "unexpected or malformed ras irq");
		return;
	}
	h->st.irqs++;
	if (h->ras_on)      /* cfg.no_ras: the application handles the registers itself */
		ras_irq(h, m.uncor_status != 0);
}

static void on_error(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	const uint8_t *text;
	uint32_t status;
	size_t len;
	char why[HL_ERROR_TEXT_MAX + 1];

	if (hd->len >= HL_ERROR_HDR && !p[0] && !p[1] && !p[2] && !p[3]) {
		host_fail(h, -ESHUTDOWN, "device closed the link cleanly");
		return;
	}
	/* The answer to HELLO while the device restores its state: try again later. */
	if (h->state == CXLDCD_HOST_CONNECTING && !hl_dec_error(p, hd->len, &status, &text, &len) &&
	    status == HL_S_STARTING) {
		snprintf(why, sizeof(why), "%.*s", (int)len, (const char *)text);
		host_fail(h, -EAGAIN, len ? why : "device is starting");
		return;
	}
	host_fail(h, -EPROTO, "device reported a protocol error");
}

static void on_message(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_irq irq;

	h->st.msgs_in++;
	h->handled++;
	if (h->state == CXLDCD_HOST_CONNECTING && hd->type != HL_HELLO_ACK &&
	    hd->type != HL_ERROR) {
		host_fail(h, -EPROTO, "message before hello-ack");
		return;
	}
	switch (hd->type) {
	case HL_HELLO_ACK:
		on_hello_ack(h, hd, p);
		break;
	case HL_CCI_RSP:
		on_cci_rsp(h, hd, p);
		break;
	case HL_READ_RSP:
	case HL_WRITE_RSP:
		on_io_rsp(h, hd, p);
		break;
	case HL_DIAG:
		on_diag(h, hd, p);
		break;
	case HL_IRQ:
		if (hl_dec_irq(p, hd->len, &irq)) {
			host_fail(h, -EPROTO, "malformed irq");
			break;
		}
		h->st.irqs++;
		if (irq.status & (1u << CXLDCD_LOG_DC))
			events_irq(h);
		break;
	case HL_MAP:
		on_map(h, hd, p);
		break;
	case HL_UNMAP:
		on_unmap(h, hd, p);
		break;
	case HL_PAUSE:
		on_pause(h, hd, p);
		break;
	case HL_REMAP:
		on_remap(h, hd, p);
		break;
	case HL_MOVE_END:
		on_move_end(h, hd, p);
		break;
	case HL_RAS_IRQ:
		on_ras_irq(h, hd, p);
		break;
	case HL_RAS_READ_RSP:
	case HL_RAS_WRITE_RSP:
		on_ras_rsp(h, hd, p);
		break;
	case HL_ERROR:
		on_error(h, hd, p);
		break;
	default:
		host_fail(h, -EPROTO, "unexpected message type from the device");
		break;
	}
}

static void parse_input(struct cxldcd_host *h)
{
	size_t off = 0;

	while (h->state != CXLDCD_HOST_FAILED) {
		struct hl_hdr hd;
		int rc = hl_dec_hdr(h->rbuf + off, h->rlen - off, &hd);
		size_t need;

		if (rc == -EAGAIN)
			break;
		if (rc) {
			host_fail(h, -EPROTO, "bad link header from the device");
			return;
		}
		need = HL_HDR_SIZE + (size_t)hd.len;
		if (h->rlen - off < need) {
			if (need > h->rcap) {
				uint8_t *nb;

				memmove(h->rbuf, h->rbuf + off, h->rlen - off);
				h->rlen -= off;
				off = 0;
				nb = realloc(h->rbuf, need);
				if (!nb) {
					host_fail(h, -ENOMEM, "out of memory");
					return;
				}
				h->rbuf = nb;
				h->rcap = need;
			}
			break;
		}
		on_message(h, &hd, h->rbuf + off + HL_HDR_SIZE);
		off += need;
	}
	if (off && h->state != CXLDCD_HOST_FAILED) {
		memmove(h->rbuf, h->rbuf + off, h->rlen - off);
		h->rlen -= off;
	}
}

/* Read the link, 16 reads at most; return true when it may hold more (the reads ran out). */
static bool read_link(struct cxldcd_host *h)
{
	for (int round = 0; round < 16 && h->sock >= 0; round++) {
		ssize_t n = hl_recv(h->sock, h->rbuf + h->rlen, h->rcap - h->rlen, h->fds, &h->nr_fds,
				    HL_MAX_FDS_QUEUED);

		if (n == -EAGAIN)
			return false;
		if (n == 0) {
			host_fail(h, -ECONNRESET, "device link lost: closed without a goodbye");
			return false;
		}
		if (n < 0) {
			host_fail(h, n == -EPROTO ? -EPROTO : -ECONNRESET,
				  n == -EPROTO ? "too many file descriptors from the device"
					       : "device link read failed");
			return false;
		}
		if (!h->is_unix && h->nr_fds) {
			host_fail(h, -EPROTO, "file descriptors on a tcp link");
			return false;
		}
		h->rlen += (size_t)n;
		parse_input(h);
	}
	return h->sock >= 0;
}

/* ------------------------------------------------------------ timers */

static void arm_timer(struct cxldcd_host *h)
{
	struct itimerspec its = { 0 };
	uint64_t dl = events_deadline(h), apps = apps_deadline(h), now = host_now_ms(h);

	if (h->inflight && (!dl || h->deadline_ms < dl))
		dl = h->deadline_ms;
	if (apps && (!dl || apps < dl))
		dl = apps;
	if (dl) {
		uint64_t d = dl > now ? dl - now : 1;

		its.it_value.tv_sec = (time_t)(d / 1000u);
		its.it_value.tv_nsec = (long)((d % 1000u) * 1000000u);
	}
	timerfd_settime(h->tfd, 0, &its, NULL);
}

static void check_timers(struct cxldcd_host *h)
{
	uint64_t now = host_now_ms(h), exp;

	if (read(h->tfd, &exp, sizeof(exp)) < 0) {
		/* nothing expired yet: fine */
	}
	if (h->inflight && now >= h->deadline_ms) {
		host_fail(h, -ETIMEDOUT, "device did not answer in time");
		return;
	}
	events_tick(h, now);
}

/* ------------------------------------------------------------ public */

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int connect_tcp(const char *addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, rc;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int send_hello(struct cxldcd_host *h)
{
	struct hl_hello m = { .version = HL_VERSION, .host_id = h->cfg.host_id,
			      .flags = (h->is_unix && !h->cfg.no_mapping ? HL_HELLO_F_MAP : 0) |
				       HL_HELLO_F_DIAG | HL_HELLO_F_RAS | HL_HELLO_F_MOVE_END };
	uint8_t *p = link_reserve(h, HL_HDR_SIZE + HL_HELLO_SIZE);
	struct wwr w;

	if (!p)
		return -ENOMEM;
	wwr_init(&w, p, HL_HDR_SIZE + HL_HELLO_SIZE);
	hl_msg_begin(&w, HL_HELLO, ++h->seq);
	hl_enc_hello(&w, &m);
	hl_msg_end(&w);
	h->olen += w.off;
	link_flush(h);
	return h->state == CXLDCD_HOST_FAILED ? h->fail_err : 0;
}

static int host_init_fds(struct cxldcd_host *h)
{
	int fl, rc;

	h->ep = epoll_create1(EPOLL_CLOEXEC);
	h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->ep < 0 || h->tfd < 0)
		return -errno;
	h->sock = h->cfg.socket_path ? connect_unix(h->cfg.socket_path)
				     : connect_tcp(h->cfg.tcp_addr, h->cfg.tcp_port);
	if (h->sock < 0) {
		rc = h->sock;
		h->sock = -1;
		return rc;
	}
	fl = fcntl(h->sock, F_GETFL);
	if (fl < 0 || fcntl(h->sock, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	if ((rc = host_epoll_add(h, h->sock)) || (rc = host_epoll_add(h, h->tfd)))
		return rc;
	return 0;
}

int cxldcd_host_new(const struct cxldcd_host_cfg *cfg, struct cxldcd_host **out)
{
	struct cxldcd_host *h;
	int rc;

	if (!cfg || !out || (!cfg->socket_path == !cfg->tcp_addr) ||
	    (cfg->accept == CXLDCD_HOST_ACCEPT_TAGS && cfg->nr_accept_tags && !cfg->accept_tags) ||
	    cfg->accept > CXLDCD_HOST_ACCEPT_LIMIT)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cfg = *cfg;
	h->cfg.accept_tags = NULL;
	h->ep = h->sock = h->tfd = h->app_listen = -1;
	h->is_unix = cfg->socket_path != NULL;
	h->cfg.socket_path = NULL; /* borrowed: not kept */
	h->cfg.tcp_addr = NULL;
	if (!h->cfg.chain_timeout_ms)
		h->cfg.chain_timeout_ms = HOST_DEF_CHAIN_TIMEOUT_MS;
	if (!h->cfg.chain_cap)
		h->cfg.chain_cap = HOST_DEF_CHAIN_CAP;
	if (!h->cfg.cmd_timeout_ms)
		h->cfg.cmd_timeout_ms = HOST_DEF_CMD_TIMEOUT_MS;
	if (!h->cfg.move_wait_ms)
		h->cfg.move_wait_ms = HOST_DEF_MOVE_WAIT_MS;
	groups_init(h);
	h->next_group_id = 1;
	h->token = 1;
	h->rcap = 4096;
	h->rbuf = malloc(h->rcap);
	if (cfg->nr_accept_tags) {
		h->tags = calloc(cfg->nr_accept_tags, CXLDCD_TAG_SIZE);
		if (h->tags)
			memcpy(h->tags, cfg->accept_tags, (size_t)cfg->nr_accept_tags * CXLDCD_TAG_SIZE);
	}
	if (!h->rbuf || (cfg->nr_accept_tags && !h->tags)) {
		rc = -ENOMEM;
		goto err;
	}
	h->state = CXLDCD_HOST_CONNECTING;
	h->cfg.socket_path = cfg->socket_path;
	h->cfg.tcp_addr = cfg->tcp_addr;
	rc = host_init_fds(h);
	h->cfg.socket_path = NULL;
	h->cfg.tcp_addr = NULL;
	if (rc || (rc = send_hello(h)))
		goto err;
	*out = h;
	return 0;
err:
	cxldcd_host_free(h);
	return rc;
}

void cxldcd_host_set_log_events(struct cxldcd_host *h, bool on)
{
	h->no_event_log = !on;
}

void cxldcd_host_free(struct cxldcd_host *h)
{
	if (!h)
		return;
	link_drop_queue(h);
	apps_fini(h);
	groups_fini(h);
	chain_fini(&h->add_chain);
	chain_fini(&h->rel_chain);
	for (unsigned i = 0; i < h->nr_fds; i++)
		close(h->fds[i]);
	if (h->sock >= 0)
		close(h->sock);
	if (h->tfd >= 0)
		close(h->tfd);
	if (h->ep >= 0)
		close(h->ep);
	free(h->cel);
	free(h->scan);
	free(h->rbuf);
	free(h->obuf);
	free(h->tags);
	free(h->revq);
	free(h);
}

int cxldcd_host_get_fd(const struct cxldcd_host *h)
{
	return h->ep;
}

static int process_round(struct cxldcd_host *h)
{
	struct epoll_event evs[16];
	bool link_seen = false, link_more = false, app_events = false;
	int n;

	h->handled = 0;
	if (h->state == CXLDCD_HOST_FAILED)
		return h->fail_err;
	n = epoll_wait(h->ep, evs, 16, 0);
	/*
	 * The device's messages first: an application's request is served
	 * after whatever the device said before it (a move's PAUSE, an UNMAP).
	 */
	for (int i = 0; i < n && h->state != CXLDCD_HOST_FAILED; i++) {
		int fd = evs[i].data.fd;

		if (fd == h->sock) {
			link_seen = true;
			if (evs[i].events & EPOLLOUT)
				link_flush(h);
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				link_more = read_link(h);
		} else if (fd == h->tfd) {
			check_timers(h);
		} else {
			app_events = true;
		}
	}
	/*
	 * A round takes 16 events: with more applications ready, the link can
	 * be left for the next round although its bytes came first.  Look.
	 */
	if (app_events && !link_seen && h->sock >= 0 && h->state != CXLDCD_HOST_FAILED) {
		struct pollfd p = { .fd = h->sock, .events = POLLIN };

		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR)))
			link_more = read_link(h);
	}
	/*
	 * The link holds more than a round reads (a burst of MAPs, one fd
	 * each): the applications wait for the next round (their sockets
	 * stay ready), not to be served before what the device said first.
	 */
	for (int i = 0; i < n && !link_more && h->state != CXLDCD_HOST_FAILED; i++)
		if (evs[i].data.fd != h->sock && evs[i].data.fd != h->tfd)
			apps_process_fd(h, evs[i].data.fd);
	if (h->state != CXLDCD_HOST_FAILED)
		check_timers(h);
	apps_announce(h);
	if (!link_more && h->state != CXLDCD_HOST_FAILED)
		apps_resume(h);
	link_send_next(h);
	/* MOVE_ACKs of what the round read (a move's REMAPs): one send for all */
	if (h->olen && !h->want_out && h->state != CXLDCD_HOST_FAILED)
		link_flush(h);
	if (h->state == CXLDCD_HOST_FAILED) {
		link_drop_queue(h);
		return h->fail_err;
	}
	arm_timer(h);
	return h->handled;
}

int cxldcd_host_process(struct cxldcd_host *h)
{
	bool outer = !h->in_process;
	int rc;

	/* a callback that calls a blocking helper may nest a round; the outer one clears it */
	h->in_process = true;
	rc = process_round(h);
	if (outer)
		h->in_process = false;
	return rc;
}

enum cxldcd_host_state cxldcd_host_get_state(const struct cxldcd_host *h)
{
	return h->state;
}

bool cxldcd_host_idle(const struct cxldcd_host *h)
{
	return !h->inflight && !h->cq_head && !h->add_chain.open && !h->rel_chain.open &&
	       !h->draining && h->state != CXLDCD_HOST_BRINGUP && h->state != CXLDCD_HOST_CONNECTING;
}

int cxldcd_host_run_once(struct cxldcd_host *h, int timeout_ms)
{
	struct pollfd p = { .fd = h->ep, .events = POLLIN };

	if (h->state == CXLDCD_HOST_FAILED)
		return h->fail_err;
	if (!h->cq_head || h->inflight)
		poll(&p, 1, timeout_ms);
	return cxldcd_host_process(h);
}

int cxldcd_host_wait_ready(struct cxldcd_host *h, int timeout_ms)
{
	uint64_t end = clock_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);

	while (h->state != CXLDCD_HOST_READY) {
		uint64_t now = clock_now_ms();
		int rc;

		if (now >= end)
			return -ETIMEDOUT;
		rc = cxldcd_host_run_once(h, (int)(end - now));
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cxldcd_host_get_dev_info(const struct cxldcd_host *h, struct cxldcd_host_dev_info *out)
{
	memset(out, 0, sizeof(*out));
	if (h->state == CXLDCD_HOST_CONNECTING)
		return -EAGAIN;
	out->mbox_payload_size = h->mbox;
	out->nr_regions = h->nr_regions;
	out->span_base = h->span_base;
	out->span_size = h->span_size;
	out->mapping = h->mapping;
	for (unsigned i = 0; i < h->nr_regions && i < 8; i++) {
		out->regions[i].base = h->regions[i].base;
		out->regions[i].decode_len = h->regions[i].decode_len;
		out->regions[i].len = h->regions[i].len;
		out->regions[i].block_size = h->regions[i].block_size;
	}
	return 0;
}

int cxldcd_host_last_diag(const struct cxldcd_host *h, struct cxldcd_host_diag *out)
{
	if (!h->diag_valid)
		return -ENOENT;
	*out = h->diag;
	return 0;
}

void cxldcd_host_get_stats(const struct cxldcd_host *h, struct cxldcd_host_stats *out)
{
	*out = h->st;
}

/* ------------------------------------------------------------ groups */

int cxldcd_host_group_close(struct cxldcd_host *h, uint64_t id)
{
	struct group *g = group_find(h, NULL, id);

	if (!g || !g->open_local)
		return -ENOENT;
	g->open_local--;
	group_put(h, g);
	host_kick(h);
	return 0;
}

int cxldcd_host_group_release(struct cxldcd_host *h, const uint8_t tag[CXLDCD_HOST_TAG_SIZE],
			      uint64_t id)
{
	struct group *g = group_find(h, tag, id);

	if (!g || g->state != G_ACTIVE)
		return -ENOENT;
	if (g->info.open_count)
		return -EBUSY;
	group_release(h, g);
	host_kick(h);
	return 0;
}

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
	link_send_next(h);
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

/* ------------------------------------------------------------ names */

const char *cxldcd_host_event_name(enum cxldcd_host_event_type t)
{
	static const char *const names[] = {
		[CXLDCD_HOST_EV_READY] = "ready",
		[CXLDCD_HOST_EV_GROUP_ADDED] = "group-added",
		[CXLDCD_HOST_EV_GROUP_REJECTED] = "group-rejected",
		[CXLDCD_HOST_EV_RELEASE_DEFERRED] = "release-deferred",
		[CXLDCD_HOST_EV_GROUP_RELEASED] = "group-released",
		[CXLDCD_HOST_EV_RANGE_RELEASED] = "range-released",
		[CXLDCD_HOST_EV_FORCED_RELEASE] = "forced-release",
		[CXLDCD_HOST_EV_REVOKED] = "revoked",
		[CXLDCD_HOST_EV_CHAIN_TIMEOUT] = "chain-timeout",
		[CXLDCD_HOST_EV_DEVICE_ERROR] = "device-error",
		[CXLDCD_HOST_EV_CMD_FAILED] = "cmd-failed",
		[CXLDCD_HOST_EV_REGION_UPDATED] = "region-updated",
		[CXLDCD_HOST_EV_FAILED] = "failed",
		[CXLDCD_HOST_EV_RAS_UNCORRECTABLE] = "ras-uncorrectable",
		[CXLDCD_HOST_EV_RAS_CORRECTABLE] = "ras-correctable",
		[CXLDCD_HOST_EV_GROUP_PAUSED] = "group-paused",
		[CXLDCD_HOST_EV_GROUP_RESUMED] = "group-resumed",
	};

	if ((unsigned)t < sizeof(names) / sizeof(names[0]) && names[t])
		return names[t];
	return "unknown";
}

int cxldcd_tag_parse(const char *s, uint8_t tag[CXLDCD_HOST_TAG_SIZE])
{
	/* uuid_parse() takes exactly 36 characters, 8-4-4-4-12 hex digits, either case */
	if (!s || uuid_parse(s, tag))
		return -EINVAL;
	return 0;
}

void cxldcd_tag_format(const uint8_t tag[CXLDCD_HOST_TAG_SIZE], char out[37])
{
	uuid_unparse_lower(tag, out);
}
