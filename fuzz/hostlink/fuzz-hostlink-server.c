/* SPDX-License-Identifier: MIT */
/*
 * fuzz-hostlink-server.c - libFuzzer target for the device side of the host
 * link (src/hostlink/hostlink*.c): one live device (2 hosts, two 256 MiB DC
 * regions), a mem_dev on a 512 MiB memfd backend and a hostlink, reached
 * the way a host reaches it: a client socket connected to a listener that
 * the hostlink accepts (hostlink_listen_fd() on an abstract Unix socket).
 * Two seams: the clock, on which the hostlink's deadlines (HELLO, move
 * phases, move retries, idle receive buffers) run (hostlink_cfg.clock), and
 * which only control 4 advances; and the steps of a move that fail
 * (hostlink_cfg.move_fault), armed one failure at a time by control 6, so
 * that a move waits and is made again.  The fuzzer plays up to two hosts
 * and the fabric manager.
 *
 * After every step: no crash, the model's invariants hold
 * (core_check_invariants(), else abort()), and every byte the device sent is
 * a well-formed device-to-host message (header, type, payload decodes).  At
 * the end of an input: no leak (LSan) and no leaked file descriptor.
 *
 * Input: byte 0 configures the device:
 *   bit 0  output bound 64 KiB (else the default 16 MiB)
 *   bit 1  no memory attached (md NULL: no MAP, slow path answers NOMAP)
 *   bit 2  pending timeout 1000 ms (control 4 advances the clock)
 *   bit 3  region 1 read-only
 *   bit 4  the many-tags device (../cci/steps.h; else the small one)
 *   bit 5  round ends, as the daemon's loop has them: the hostlink's watch
 *          ops have flush() (only), which asks for hostlink_flush() at the
 *          end of the round; pump() calls it then (else the output of each
 *          hostlink call leaves at its end, and output queued outside a
 *          call waits for POLLOUT)
 * then steps, each starting with an op byte: bit 0 the client (0 or 1; a
 * client connects on first use), bit 4 list (kinds 2, 3 and 5: the n
 * payload bytes are an extent-list description, expanded by
 * fz_list_payload()), bits 3:1 the kind:
 *   0, 1  link message: type (1), n (u16le), n payload bytes; the header is
 *         valid and its length is n
 *   2, 3  CCI request in a CCI_REQ: opcode (u16le), n (u16le), n payload
 *         bytes; the 12-byte CCI header (request, tag, opcode, length) is built
 *   4     raw bytes: n (u16le), n bytes written as they are
 *   5     FM CCI message straight to the device (an in-process FM CCI):
 *         opcode (u16le), n (u16le), payload; adds and releases turn into
 *         IRQ / MAP / UNMAP on the link (sent from the observer, outside
 *         hostlink_process_fd(); the device's fds are polled at the next
 *         link step, or never when the input ends: the daemon may stop with
 *         host-link events unprocessed)
 *   6     control: one byte, action bits 2:0, argument v = bits 7:3:
 *           0 reconnect (v bit 0: listener without fd passing; v bit 1:
 *             send HELLO for host v bit 2 asking for mapping)
 *           1 close the client (v bit 0: the device is not given the
 *             chance to notice before the next step)
 *           2 shutdown(SHUT_WR) the client
 *           3 hostlink_disconnect(host v&1)
 *           4 advance the clock by (v+1) x 100 ms, core_tick() and
 *             hostlink_tick()
 *           5 fault (v>>1)&7 on host v&1, count v>>4 (0 = until cleared)
 *           6 v&1: toggle a failing cci_after hook (journal failure);
 *             else v&4: the next run of move step (v>>3)&3 fails once
 *             more (enum hostlink_move_step: switch, load, remap, list);
 *             else clear the faults of host (v>>1)&1
 *           7 v&1: toggle the client's reading (a host that stalls);
 *             else send one byte with an fd attached (stray fd)
 *   7     big message: type (1), declared length (u24le, may exceed
 *         HL_MAX_PAYLOAD), p (1), then min(p, length) input bytes; the
 *         rest of the payload is zero (1 MiB WRITE_REQs from small inputs)
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cci/cci.h"
#include "cci/fault.h"
#include "core/core.h"
#include "hostlink/hostlink.h"
#include "hostlink/proto.h"
#include "mem/mem.h"
#include "../cci/steps.h"
#include "../fuzz-input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIB (1ull << 20)
#define NR_CLIENTS 2
#define RX_CAP (HL_HDR_SIZE + HL_MAX_PAYLOAD)
#define MBOX_PAYLOAD 2048u
#define PUMP_ROUNDS 256

struct client {
	int fd;                 /* -1: not connected */
	bool reading;           /* false: a host that stops reading */
	bool eof;
	uint8_t *rx;            /* [RX_CAP] */
	size_t rlen;
	uint64_t maps, fds;     /* MAP and REMAP messages, fds received */
	uint64_t pauses, remaps, move_ends;
};

struct fz {
	struct cxldcd_dev *dev;
	struct mem_registry *reg;
	struct mem_dev *md;
	struct hostlink *hl;
	struct cci_ctx *fm;
	struct sockaddr_un addr[2];   /* [0] fd passing allowed, [1] not */
	socklen_t addr_len[2];
	struct client cl[NR_CLIENTS];
	uint64_t now;
	bool fail_journal;
	uint8_t move_faults[4];       /* per enum hostlink_move_step: runs left to fail */
	bool flush_due;               /* round ends: the hostlink asked for hostlink_flush() */
	uint32_t seq;
	uint8_t tag;
};

static uint8_t *rx_bufs[NR_CLIENTS];
static uint8_t *msg_buf;        /* one outgoing message */
static uint8_t list_buf[MBOX_PAYLOAD];  /* a payload fz_list_payload() wrote */
static unsigned instance;

static void check(const struct fz *z)
{
	char msg[256];

	if (core_check_invariants(z->dev, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "invariant broken: %s\n", msg);
		abort();
	}
}

/* ------------------------------------------------------------ hooks */

/* The hostlink's clock (hostlink_cfg.clock): the target's, in ms. */
static uint64_t hook_clock(void *opaque)
{
	const struct fz *z = opaque;

	return z->now / (1000 * 1000);
}

/* hostlink_cfg.move_fault: the step fails while control 6 armed it. */
static int hook_move_fault(void *opaque, enum hostlink_move_step step, uint16_t host)
{
	struct fz *z = opaque;

	if (host >= 2)
		fz_die("move_fault for a host the device does not have", NULL);
	if ((unsigned)step >= sizeof(z->move_faults) || !z->move_faults[step])
		return 0;
	z->move_faults[step]--;
	return step == HOSTLINK_MOVE_SWITCH ? -EMFILE : -ENOMEM;
}

/* hostlink_watch_ops.flush: hostlink_flush() at the end of this round (pump()). */
static void hook_flush(void *opaque)
{
	struct fz *z = opaque;

	z->flush_due = true;
}

static const struct hostlink_watch_ops round_ends = { .flush = hook_flush };

static uint16_t hook_before(void *opaque, uint16_t host, const uint8_t *req, size_t req_len,
			    bool chain_open)
{
	struct fz *z = opaque;

	(void)host, (void)req, (void)req_len, (void)chain_open;
	core_dev_set_time(z->dev, z->now);
	return 0;
}

static int hook_after(void *opaque, uint16_t host, const uint8_t *req, size_t req_len,
		      uint8_t *rsp, size_t cap, size_t *rsp_len, bool chain_was_open)
{
	struct fz *z = opaque;

	(void)host; (void)req; (void)req_len; (void)chain_was_open;
	/* the request is whatever the host sent (maybe short); the response is a whole one */
	if (*rsp_len < 12 || *rsp_len > cap || (rsp[0] & 0xf) != 1)
		fz_die("cci_after without a response", NULL);
	return z->fail_journal ? -EIO : 0;
}

static void hook_chain_dropped(void *opaque, uint16_t host)
{
	(void)opaque;
	if (host >= 2)
		fz_die("chain_dropped for a host the device does not have", NULL);
}

/* ------------------------------------------------------------ what the device sends */

/* One device-to-host message must be well formed (docs/host-link.md). */
static void check_msg(struct client *c, const struct hl_hdr *h, const uint8_t *p)
{
	struct hl_hello_ack ack;
	struct hl_irq irq;
	struct hl_map map;
	struct hl_unmap unmap;
	struct hl_pause pause;
	struct hl_remap remap;
	struct hl_move_end move_end;
	struct hl_io_rsp io;
	struct hl_diag diag;
	struct hl_ras_irq ras_irq;
	struct hl_ras_regs ras_regs;
	uint32_t status;
	const uint8_t *text;
	size_t text_len;

	switch (h->type) {
	case HL_HELLO_ACK:
		if (hl_dec_hello_ack(p, h->len, &ack) || ack.version != HL_VERSION)
			fz_die("bad HELLO_ACK", NULL);
		break;
	case HL_CCI_RSP:
		if (h->len < 12 || h->len > 12 + MBOX_PAYLOAD ||
		    (uint32_t)(p[5] | p[6] << 8 | (p[7] & 0x1f) << 16) != h->len - 12 ||
		    (p[0] & 0xf) != 1)
			fz_die("bad CCI_RSP", NULL);
		break;
	case HL_IRQ:
		if (hl_dec_irq(p, h->len, &irq) || irq.log >= CXLDCD_NR_LOGS)
			fz_die("bad IRQ", NULL);
		break;
	case HL_MAP:
		if (hl_dec_map(p, h->len, &map))
			fz_die("bad MAP", NULL);
		c->maps++;
		break;
	case HL_UNMAP:
		if (hl_dec_unmap(p, h->len, &unmap) ||
		    (unmap.reason != HL_UNMAP_RELEASED && unmap.reason != HL_UNMAP_REVOKED))
			fz_die("bad UNMAP", NULL);
		break;
	case HL_PAUSE:
		if (hl_dec_pause(p, h->len, &pause) || !pause.id || !pause.len)
			fz_die("bad PAUSE", NULL);
		c->pauses++;
		break;
	case HL_MOVE_END:
		/* one per PAUSE, to a client that asked (a mapping HELLO here asks) */
		if (hl_dec_move_end(p, h->len, &move_end) || ++c->move_ends > c->pauses)
			fz_die("bad MOVE_END, or one without its PAUSE", NULL);
		break;
	case HL_REMAP:
		if (hl_dec_remap(p, h->len, &remap) || !remap.id)
			fz_die("bad REMAP", NULL);
		c->maps++;      /* it carries the new fd, as MAP does */
		c->remaps++;
		break;
	case HL_READ_RSP:
	case HL_WRITE_RSP:
		if (hl_dec_io_rsp(p, h->len, &io) || (h->type == HL_WRITE_RSP && io.len) ||
		    (io.status && io.len))
			fz_die("bad READ_RSP/WRITE_RSP", NULL);
		break;
	case HL_DIAG:
		if (hl_dec_diag(p, h->len, &diag))
			fz_die("bad DIAG", NULL);
		break;
	case HL_RAS_IRQ:
		if (hl_dec_ras_irq(p, h->len, &ras_irq))
			fz_die("bad RAS_IRQ", NULL);
		break;
	case HL_RAS_READ_RSP:
		if (hl_dec_ras_regs(p, h->len, &ras_regs))
			fz_die("bad RAS_READ_RSP", NULL);
		break;
	case HL_RAS_WRITE_RSP:
		if (hl_dec_status_msg(p, h->len, &status) ||
		    (status != HL_S_OK && status != HL_S_INVAL))
			fz_die("bad RAS_WRITE_RSP", NULL);
		break;
	case HL_ERROR:
		if (hl_dec_error(p, h->len, &status, &text, &text_len) || !text_len)
			fz_die("bad ERROR", NULL);
		break;
	default:
		fz_die("device sent a type that is not device-to-host", NULL);
	}
}

static void parse_rx(struct client *c)
{
	size_t off = 0;
	struct hl_hdr h;
	int rc;

	while ((rc = hl_dec_hdr(c->rx + off, c->rlen - off, &h)) == 0 &&
	       c->rlen - off >= HL_HDR_SIZE + (size_t)h.len) {
		check_msg(c, &h, c->rx + off + HL_HDR_SIZE);
		off += HL_HDR_SIZE + h.len;
	}
	if (rc && rc != -EAGAIN)
		fz_die("device sent a bad link header", NULL);
	memmove(c->rx, c->rx + off, c->rlen - off);
	c->rlen -= off;
}

static void client_close(struct client *c)
{
	if (c->fd < 0)
		return;
	/* Everything was read to the end: an fd per MAP (one more if a MAP was cut short). */
	if (c->eof && (c->fds < c->maps || c->fds > c->maps + 1))
		fz_die("MAP messages and fds do not pair", NULL);
	close(c->fd);
	c->fd = -1;
	c->rlen = 0;
	c->eof = false;
	c->maps = c->fds = c->pauses = c->remaps = c->move_ends = 0;
}

/* Read what the device sent.  Return true if anything arrived. */
static bool client_drain(struct client *c)
{
	bool got = false;

	while (c->fd >= 0 && c->reading && !c->eof) {
		int fds[HL_MAX_FDS_QUEUED];
		unsigned nfd = 0;
		ssize_t n = hl_recv(c->fd, c->rx + c->rlen, RX_CAP - c->rlen, fds, &nfd,
				    HL_MAX_FDS_QUEUED);

		for (unsigned i = 0; i < nfd; i++)
			close(fds[i]);
		c->fds += nfd;
		if (n == -EAGAIN)
			break;
		got = true;
		if (n <= 0) {
			c->eof = true;
			break;
		}
		c->rlen += (size_t)n;
		parse_rx(c);
		if (c->rlen == RX_CAP)
			fz_die("device message longer than the maximum", NULL);
	}
	return got;
}

/*
 * Run the device's side until nothing moves: poll() the hostlink's fds
 * without waiting, hand the ready ones to hostlink_process_fd(), read what
 * the clients got.
 */
static void pump(struct fz *z)
{
	for (int round = 0; round < PUMP_ROUNDS; round++) {
		struct pollfd pf[8];
		size_t n = hostlink_pollfds(z->hl, pf, 8);
		bool moved = false;

		if (n > 8)
			fz_die("more hostlink fds than listeners and clients", NULL);
		if (poll(pf, (nfds_t)n, 0) > 0) {
			for (size_t i = 0; i < n; i++) {
				if (!pf[i].revents)
					continue;
				hostlink_process_fd(z->hl, pf[i].fd, hostlink_poll_events(pf[i].revents));
				moved = true;
			}
		}
		if (z->flush_due) {     /* the round's end */
			z->flush_due = false;
			hostlink_flush(z->hl);
			moved = true;
		}
		for (int i = 0; i < NR_CLIENTS; i++)
			moved |= client_drain(&z->cl[i]);
		if (!moved)
			return;
	}
	fz_die("the host link does not settle", NULL);
}

/* ------------------------------------------------------------ what the hosts send */

static void client_connect(struct fz *z, struct client *c, int which)
{
	client_close(c);
	pump(z);       /* the device sees the close before the new connection */
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		fz_die("socket", NULL);
	if (connect(c->fd, (struct sockaddr *)&z->addr[which], z->addr_len[which]) < 0)
		fz_die("connect", NULL);
	pump(z);
}

static void client_ensure(struct fz *z, struct client *c)
{
	if (c->fd < 0 || c->eof)
		client_connect(z, c, 0);
}

/* Write all of buf (the device reads in between); stops early when the device does not. */
static void client_write(struct fz *z, struct client *c, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	int stuck = 0;

	while (off < len && c->fd >= 0 && !c->eof) {
		ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			off += (size_t)n;
			stuck = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			pump(z);
			c->eof = true;   /* the device closed: reconnect on next use */
			return;
		}
		pump(z);
		if (++stuck > 2)
			return;  /* the device stopped reading (output bound): drop the rest */
	}
	pump(z);
}

static void send_msg(struct fz *z, struct client *c, uint8_t type, uint32_t declared,
		     const uint8_t *p, size_t n, size_t total)
{
	struct hl_hdr h = { .type = type, .seq = ++z->seq, .len = declared };
	struct wwr w;

	wwr_init(&w, msg_buf, HL_HDR_SIZE);
	hl_enc_hdr(&w, &h);
	memcpy(msg_buf + HL_HDR_SIZE, p, n);
	memset(msg_buf + HL_HDR_SIZE + n, 0, total - n);
	client_write(z, c, msg_buf, HL_HDR_SIZE + total);
}

static void send_hello(struct fz *z, struct client *c, uint16_t host, bool map)
{
	uint8_t p[HL_HELLO_SIZE];
	struct hl_hello m = { .version = HL_VERSION, .host_id = host, .flags = map ? HL_HELLO_F_MAP | HL_HELLO_F_MOVE_END : 0 };
	struct wwr w;

	wwr_init(&w, p, sizeof(p));
	hl_enc_hello(&w, &m);
	send_msg(z, c, HL_HELLO, sizeof(p), p, sizeof(p), sizeof(p));
}

static void send_cci(struct fz *z, struct client *c, uint16_t op, const uint8_t *pl, size_t n)
{
	uint8_t *req = msg_buf + HL_HDR_SIZE;   /* built in place behind the link header */
	struct hl_hdr h = { .type = HL_CCI_REQ, .seq = ++z->seq, .len = (uint32_t)(12 + n) };
	struct wwr w;

	fz_cci_frame(req, z->tag++, op, pl, n);
	wwr_init(&w, msg_buf, HL_HDR_SIZE);
	hl_enc_hdr(&w, &h);
	client_write(z, c, msg_buf, HL_HDR_SIZE + 12 + n);
}

static void fm_cci(struct fz *z, uint16_t op, const uint8_t *pl, size_t n)
{
	static uint8_t rsp[12 + MBOX_PAYLOAD];
	size_t rsp_len = 0;

	fz_cci_frame(msg_buf, z->tag++, op, pl, n);
	core_dev_set_time(z->dev, z->now);
	if (cci_handle_msg(z->fm, msg_buf, 12 + n, rsp, sizeof(rsp), &rsp_len) == 0 &&
	    (rsp_len < 12 || rsp_len > sizeof(rsp)))
		fz_die("FM response length out of bounds", NULL);
	if (getenv("CXLDCD_FUZZ_VERBOSE"))
		fprintf(stderr, "fm op=0x%04x rc=%u log0=%u\n", op, rsp[8] | rsp[9] << 8,
			core_evlog_count(z->dev, 0, 4));
	/* no pump: what the observers queued goes out with the next link step */
}

static void send_fd(struct fz *z, struct client *c)
{
	char byte = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	int fd = dup(c->fd);

	if (fd < 0)
		fz_die("dup", NULL);
	memset(ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	(void)sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	pump(z);
}

static void control(struct fz *z, struct client *c, uint8_t b)
{
	unsigned v = b >> 3;
	struct cci_faults f = { 0 };

	switch (b & 7) {
	case 0:
		client_connect(z, c, v & 1);
		if (v & 2)
			send_hello(z, c, (uint16_t)((v >> 2) & 1), true);
		break;
	case 1:
		client_close(c);
		if (!(v & 1))   /* v&1: the device has not noticed yet (a host that just died) */
			pump(z);
		break;
	case 2:
		if (c->fd >= 0)
			shutdown(c->fd, SHUT_WR);
		pump(z);
		break;
	case 3:
		hostlink_disconnect(z->hl, (uint16_t)(v & 1));
		pump(z);
		break;
	case 4:
		z->now += (v + 1ull) * 100 * 1000 * 1000;
		core_dev_set_time(z->dev, z->now);
		core_tick(z->dev, z->now);
		hostlink_tick(z->hl);
		pump(z);
		break;
	case 5:
		f.mask = CCI_FAULT_BIT((v >> 1) & 7);
		f.remaining[(v >> 1) & 7] = v >> 4;
		if (hostlink_set_faults(z->hl, (uint16_t)(v & 1), &f))
			fz_die("hostlink_set_faults refused a valid fault", NULL);
		break;
	case 6:
		if (v & 1)
			z->fail_journal = !z->fail_journal;
		else if (v & 4)
			z->move_faults[(v >> 3) & 3] += z->move_faults[(v >> 3) & 3] < 255;
		else if (hostlink_set_faults(z->hl, (uint16_t)((v >> 1) & 1), NULL))
			fz_die("hostlink_set_faults refused to clear", NULL);
		break;
	default:
		if (v & 1) {
			c->reading = !c->reading;
			pump(z);
		} else if (c->fd >= 0 && !c->eof) {
			send_fd(z, c);
		}
		break;
	}
}

/* ------------------------------------------------------------ setup */

static void log_stderr(void *opaque, int level, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "hostlink <%d>: %s\n", level, msg);
}

static void setup(struct fz *z, uint8_t conf)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_diag diag;
	struct mem_backend_props bp = { .type = MEM_TYPE_MEMFD, .id = "mem0", .size = 512 * MIB };
	struct mem_dev_cfg mc = { .mode = MEM_DEV_SINGLE, .memdev = "mem0" };
	struct hostlink_cfg hc = { 0 };
	char err[256];

	memset(z, 0, sizeof(*z));
	fz_dev_cfg(&cfg, conf & 16 ? FZ_DEV_MANY_TAGS : 0);
	cfg.regions[1].read_only = (conf & 8) != 0;
	cfg.mbox_payload_size = MBOX_PAYLOAD;
	cfg.pending_timeout_ms = (conf & 4) ? 1000 : 0;
	if (core_dev_new(&cfg, &z->dev, &diag) != 0)
		fz_die(diag.text, NULL);
	z->now = 1;
	core_dev_set_time(z->dev, z->now);
	if (mem_registry_new(&z->reg))
		fz_die("mem_registry_new", NULL);
	if (!(conf & 2) && (mem_registry_add(z->reg, &bp, NULL, err, sizeof(err)) ||
			    mem_dev_new(z->dev, z->reg, &mc, &z->md, err, sizeof(err))))
		fz_die(err, NULL);
	hc.dev = z->dev;
	hc.md = z->md;
	hc.max_out_bytes = (conf & 1) ? 64 * 1024 : 0;
	hc.max_conns = 4;
	hc.cci_before = hook_before;
	hc.cci_after = hook_after;
	hc.chain_dropped = hook_chain_dropped;
	hc.hook_opaque = z;
	hc.clock = hook_clock;
	hc.clock_opaque = z;
	if (conf & 32) {
		hc.watch = &round_ends;
		hc.watch_opaque = z;
	}
	hc.move_fault = hook_move_fault;
	hc.move_fault_opaque = z;
	if (getenv("CXLDCD_FUZZ_VERBOSE")) {
		hc.log = log_stderr;
		hc.log_level = 7;
	}
	if (hostlink_new(&hc, &z->hl))
		fz_die("hostlink_new", NULL);
	if (cci_ctx_new(z->dev, CCI_FM, 0, &z->fm))
		fz_die("cci_ctx_new", NULL);
	instance++;
	for (int i = 0; i < 2; i++) {
		struct sockaddr_un *a = &z->addr[i];
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int len;

		a->sun_family = AF_UNIX;
		/* abstract namespace: nothing to clean up */
		len = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "cxldcd-fuzz-hl-%d-%u-%d",
			       (int)getpid(), instance, i);
		z->addr_len[i] = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
		if (fd < 0 || bind(fd, (struct sockaddr *)a, z->addr_len[i]) < 0 || listen(fd, 8) < 0)
			fz_die("listen", NULL);
		if (hostlink_listen_fd(z->hl, fd, i == 0))
			fz_die("hostlink_listen_fd", NULL);
	}
	for (int i = 0; i < NR_CLIENTS; i++) {
		z->cl[i].fd = -1;
		z->cl[i].reading = true;
		z->cl[i].rx = rx_bufs[i];
	}
}

/* The daemon's order (src/server/device.c dcd_free): hosts, contexts, model, memory, link. */
static void teardown(struct fz *z)
{
	if (getenv("CXLDCD_FUZZ_VERBOSE")) {
		struct hostlink_stats st;

		hostlink_stats_get(z->hl, &st);
		fprintf(stderr, "conns=%u hosts=%u in=%llu out=%llu irqs=%llu maps=%llu unmaps=%llu "
			"violations=%llu map_errors=%llu moves=%llu pauses=%llu remaps=%llu "
			"move_ends=%llu extents=%u+%u\n", st.nr_conns, st.nr_hosts,
			(unsigned long long)st.msgs_in, (unsigned long long)st.msgs_out,
			(unsigned long long)st.irqs, (unsigned long long)st.maps,
			(unsigned long long)st.unmaps, (unsigned long long)st.violations,
			(unsigned long long)st.map_errors, (unsigned long long)st.moves,
			(unsigned long long)(z->cl[0].pauses + z->cl[1].pauses),
			(unsigned long long)(z->cl[0].remaps + z->cl[1].remaps),
			(unsigned long long)st.move_ends,
			core_extent_count(z->dev, 0),
			core_extent_count(z->dev, 1));
	}
	for (int i = 0; i < NR_CLIENTS; i++) {
		z->cl[i].reading = true;
		client_drain(&z->cl[i]);
	}
	/* The daemon's teardown order (src/server/device.c dcd_free). */
	for (uint16_t h = 0; h < 2; h++)
		hostlink_disconnect(z->hl, h);
	cci_ctx_free(z->fm);
	core_dev_free(z->dev);
	mem_dev_free(z->md);
	hostlink_free(z->hl);
	mem_registry_free(z->reg);
	for (int i = 0; i < NR_CLIENTS; i++) {
		if (z->cl[i].fd >= 0)
			close(z->cl[i].fd);
	}
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	size_t off = 1;
	int fds_before;

	if (size < 1)
		return 0;
	if (!msg_buf) {
		msg_buf = malloc(HL_HDR_SIZE + HL_MAX_PAYLOAD + 16);
		for (int i = 0; i < NR_CLIENTS; i++)
			rx_bufs[i] = malloc(RX_CAP);
		if (!msg_buf || !rx_bufs[0] || !rx_bufs[1])
			fz_die("out of memory", NULL);
	}
	fds_before = nr_open_fds();
	setup(&z, data[0]);
	while (off < size) {
		uint8_t op = data[off++];
		struct client *c = &z.cl[op & 1];
		unsigned kind = (op >> 1) & 7;
		size_t left = size - off, n;

		switch (kind) {
		case 0:
		case 1:
			if (left < 3)
				goto done;
			n = get16(data + off + 1);
			n = n > left - 3 ? left - 3 : n;
			client_ensure(&z, c);
			send_msg(&z, c, data[off], (uint32_t)n, data + off + 3, n, n);
			off += 3 + n;
			break;
		case 2:
		case 3:
		case 5: {
			const uint8_t *pl = data + off + 4;
			size_t pl_len;

			if (left < 4)
				goto done;
			n = get16(data + off + 2);
			n = n > left - 4 ? left - 4 : n;
			pl_len = n;
			if (op & 16) {
				pl_len = fz_list_payload(core_dev_cfg(z.dev), get16(data + off), pl, n,
							 list_buf, MBOX_PAYLOAD);
				pl = list_buf;
			}
			if (kind == 5) {
				fm_cci(&z, get16(data + off), pl, pl_len);
			} else {
				client_ensure(&z, c);
				send_cci(&z, c, get16(data + off), pl, pl_len);
			}
			off += 4 + n;
			break;
		}
		case 4:
			if (left < 2)
				goto done;
			n = get16(data + off);
			n = n > left - 2 ? left - 2 : n;
			client_ensure(&z, c);
			client_write(&z, c, data + off + 2, n);
			off += 2 + n;
			break;
		case 6:
			if (left < 1)
				goto done;
			control(&z, c, data[off++]);
			break;
		default: {
			uint32_t declared;
			size_t total;

			if (left < 5)
				goto done;
			declared = (uint32_t)(data[off + 1] | data[off + 2] << 8 | data[off + 3] << 16);
			n = data[off + 4];
			n = n > left - 5 ? left - 5 : n;
			n = n > declared ? declared : n;
			/* beyond the maximum, only the header and the prefix go out */
			total = declared > HL_MAX_PAYLOAD ? n : declared;
			client_ensure(&z, c);
			send_msg(&z, c, data[off], declared, data + off + 5, n, total);
			off += 5 + n;
			break;
		}
		}
		check(&z);
	}
done:
	/* no final pump: the daemon may stop with host-link events unprocessed (QMP quit) */
	check(&z);
	teardown(&z);
	if (fds_before >= 0 && nr_open_fds() != fds_before)
		fz_die("file descriptor leak", NULL);
	return 0;
}
