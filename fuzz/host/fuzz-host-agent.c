/* SPDX-License-Identifier: MIT */
/*
 * fuzz-host-agent.c - libFuzzer target for the host agent's side of the
 * host link (src/host: messages.c and what it calls), the device-to-host
 * direction: a real agent (libcxldcd-host, host 0, accepting everything,
 * mapping on, on the target's clock) talks to a live device (the small fuzz
 * device of ../cci/steps.h, its memory on a memfd, a hostlink) through a
 * proxy the fuzzer controls.  The proxy forwards whole messages both ways
 * (a MAP or REMAP with the next fd the device sent), and on the fuzzer's
 * steps changes, drops or adds device messages, so the agent sees what a
 * faulty or hostile device could send, in the middle of real sessions:
 * bring-up, groups added and released, forced releases.
 *
 * Checked: no crash, no leak (LSan), no leaked fd at the end of an input.
 * The agent may fail (CXLDCD_HOST_FAILED) on what it is sent; then the
 * steps go on against the device alone.
 *
 * Input: byte 0: bit 0 the agent asks for a file per group (HELLO flag
 * bit 4, as cxldcd-host with --agent-socket: MAPs of one group's capacity
 * alone, the device's memory keeps a view per group); then steps, each an
 * op byte, bits 7:4 the kind (mod 8), bits 3:0 v:
 *   0  add a device message: type (1), n (1), n payload bytes; sequence
 *      number: v bit 0 that of the agent's last CCI request, v bit 1: 1,
 *      else 0; v bit 2: a memfd (8 MiB) rides with it
 *   1  change the next device message of type t (1; 0: any): payload byte
 *      at offset o (u16le, mod its length) xor x (1); for a CCI_RSP the
 *      offset counts from the CCI payload (past its 12-byte header)
 *   2  replace the payload of the next device message of type t (1): n
 *      (1), n bytes; a CCI_RSP keeps its CCI header, its length fixed up
 *   3  drop the next device message of type t (1)
 *   4  the FM adds extent e = v & 3 of A0, A1 (tag 1), B (untagged, 4 MiB),
 *      C (tag 2): A0 and A1 together when v bit 2
 *   5  the FM releases extent v & 3 (v bit 2: forced; v bit 3: its first
 *      2 MiB only)
 *   6  the agent, on group i (1) of its list: v & 3: open it, close it,
 *      release it, or open and close it
 *   7  advance the clock by (v+1) x 500 ms (the agent's command deadlines,
 *      More chains, the device's pending timeout)
 * Each step is followed by the proxy and both ends running until quiet.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cci/msg.h"
#include "core/core.h"
#include "cxldcd/cxldcd-host.h"
#include "hostlink/hostlink.h"
#include "hostlink/proto.h"
#include "mem/mem.h"
#include "../cci/steps.h"
#include "../fuzz-input.h"
#include "../fuzz-scratch.h"
#include "fz-link-dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIB (1ull << 20)
#define BLOCK (2 * MIB)
#define MAX_STEPS 256
#define BUF_CAP (HL_HDR_SIZE + HL_MAX_PAYLOAD)
#define MAX_FDS 64
#define MAX_MUTS 8
#define CCI_HDR 12u

static char dir[64], link_path[96], proxy_path[96];
static uint8_t *dev_buf, *host_buf, *out_buf;

/* The sockets' directory and the buffers, on the first input. */
static void init_once(void)
{
	if (!fz_scratch_at_exit(dir, sizeof(dir), "agent"))
		return;
	fz_path(link_path, sizeof(link_path), dir, "link.sock");
	fz_path(proxy_path, sizeof(proxy_path), dir, "proxy.sock");
	dev_buf = malloc(BUF_CAP);
	host_buf = malloc(BUF_CAP);
	out_buf = malloc(BUF_CAP + 512);
	if (!dev_buf || !host_buf || !out_buf)
		fz_die("malloc", NULL);
}

enum mut_kind { MUT_XOR, MUT_REPLACE, MUT_DROP };

struct mut {
	enum mut_kind kind;
	uint8_t type;               /* 0: any */
	uint16_t off;
	uint8_t x;
	const uint8_t *bytes;       /* MUT_REPLACE: into the input */
	size_t n;
};

struct fz {
	struct fz_link_dev ld;
	struct cxldcd_host *h;
	uint64_t now_ms;
	int px_host, px_dev;        /* the proxy's ends: towards the agent, the device */
	size_t dev_len, host_len;   /* bytes buffered from each side */
	int fds[MAX_FDS];           /* fds from the device not yet forwarded */
	unsigned nr_fds;
	uint32_t last_cci_seq;      /* the agent's last CCI_REQ */
	struct mut muts[MAX_MUTS];
	unsigned nr_muts;
	bool dev_eof, host_eof;
	bool in_call;               /* in a blocking call of the agent */
};

/*
 * The agent's clock.  While the agent drives the link itself (an open that
 * waits for a move's REMAP) nobody runs the proxy: each reading then moves
 * the clock 100 ms, so the wait ends.
 */
static uint64_t host_clock(void *opaque)
{
	struct fz *z = opaque;

	if (z->in_call)
		z->now_ms += 100;
	return z->now_ms;
}

static uint64_t dev_clock(void *opaque)
{
	return ((const struct fz *)opaque)->now_ms;
}

static void send_all(int fd, const uint8_t *p, size_t len, const int *fds, unsigned nfd)
{
	while (len) {
		ssize_t n = hl_send(fd, p, len, fds, nfd);

		if (n == -EAGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			if (poll(&pf, 1, 1000) <= 0)
				return; /* a peer that stopped reading: its loss */
			continue;
		}
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
		nfd = 0;
	}
}

static struct mut *take_mut(struct fz *z, uint8_t type)
{
	for (unsigned i = 0; i < z->nr_muts; i++) {
		if (!z->muts[i].type || z->muts[i].type == type) {
			static struct mut m;

			m = z->muts[i];
			memmove(&z->muts[i], &z->muts[i + 1], (z->nr_muts - i - 1) * sizeof(m));
			z->nr_muts--;
			return &m;
		}
	}
	return NULL;
}

/* Forward one whole device message (header hd at p) to the agent, changed as a step asked. */
static void forward_dev_msg(struct fz *z, const struct hl_hdr *hd, const uint8_t *p)
{
	const uint8_t *pl = p + HL_HDR_SIZE;
	size_t len = hd->len, base = hd->type == HL_CCI_RSP && len >= CCI_HDR ? CCI_HDR : 0;
	struct mut *m = take_mut(z, hd->type);
	int fd = -1;
	unsigned nfd = 0;
	struct wwr w;

	if ((hd->type == HL_MAP || hd->type == HL_REMAP) && z->nr_fds) {
		fd = z->fds[0];
		memmove(z->fds, z->fds + 1, (z->nr_fds - 1) * sizeof(int));
		z->nr_fds--;
		nfd = 1;
	}
	if (m && m->kind == MUT_DROP) {
		if (fd >= 0)
			close(fd);
		return;
	}
	wwr_init(&w, out_buf, BUF_CAP + 512);
	hl_msg_begin(&w, hd->type, hd->seq);
	if (m && m->kind == MUT_REPLACE) {
		wwr_bytes(&w, pl, base);
		wwr_bytes(&w, m->bytes, m->n);
		if (base) /* the CCI header's 21-bit payload length, bytes 5-7 */
			w.p[HL_HDR_SIZE + 5] = (uint8_t)m->n, w.p[HL_HDR_SIZE + 6] = 0,
			w.p[HL_HDR_SIZE + 7] = (uint8_t)(w.p[HL_HDR_SIZE + 7] & 0xe0);
	} else {
		wwr_bytes(&w, pl, len);
		if (m && len > base)
			w.p[HL_HDR_SIZE + base + m->off % (len - base)] ^= m->x;
	}
	if (hl_msg_end(&w))
		fz_die("forwarded message too long", NULL);
	send_all(z->px_host, out_buf, w.off, &fd, nfd);
	if (fd >= 0)
		close(fd);
}

/* Read from one side; forward its whole messages to the other. */
static bool proxy_read(struct fz *z, bool from_dev)
{
	int src = from_dev ? z->px_dev : z->px_host;
	uint8_t *buf = from_dev ? dev_buf : host_buf;
	size_t *blen = from_dev ? &z->dev_len : &z->host_len;
	int fds[MAX_FDS];
	unsigned nfd = 0;
	ssize_t n;
	size_t off = 0;

	if (src < 0 || (from_dev ? z->dev_eof : z->host_eof))
		return false;
	n = hl_recv(src, buf + *blen, BUF_CAP - *blen, fds, &nfd, MAX_FDS);
	for (unsigned i = 0; i < nfd; i++) {
		if (from_dev && z->nr_fds < MAX_FDS)
			z->fds[z->nr_fds++] = fds[i];
		else
			close(fds[i]);
	}
	if (n == -EAGAIN)
		return false;
	if (n <= 0) {
		/* one side gone: so is the other, as a proxy would do */
		if (from_dev)
			z->dev_eof = true;
		else
			z->host_eof = true;
		shutdown(from_dev ? z->px_host : z->px_dev, SHUT_WR);
		return true;
	}
	*blen += (size_t)n;
	for (;;) {
		struct hl_hdr hd;
		int rc = hl_dec_hdr(buf + off, *blen - off, &hd);

		if (rc == -EAGAIN || (!rc && *blen - off < HL_HDR_SIZE + hd.len))
			break;
		if (rc) {
			if (from_dev)
				fz_die("device sent a bad link header", NULL);
			/* the agent's bytes go on as they are */
			send_all(z->px_dev, buf + off, *blen - off, NULL, 0);
			off = *blen;
			break;
		}
		if (from_dev) {
			forward_dev_msg(z, &hd, buf + off);
		} else {
			if (hd.type == HL_CCI_REQ)
				z->last_cci_seq = hd.seq;
			send_all(z->px_dev, buf + off, HL_HDR_SIZE + hd.len, NULL, 0);
		}
		off += HL_HDR_SIZE + hd.len;
	}
	memmove(buf, buf + off, *blen - off);
	*blen -= off;
	return true;
}

static void pump(struct fz *z)
{
	int quiet = 0;

	for (int round = 0; round < 400 && quiet < 2; round++) {
		struct pollfd fds[64];
		size_t n = hostlink_pollfds(z->ld.hl, fds, 60), nhl = n;
		int moved = 0;

		if (z->h)
			fds[n++] = (struct pollfd){ .fd = cxldcd_host_get_fd(z->h), .events = POLLIN };
		hostlink_tick(z->ld.hl);
		core_dev_set_time(z->ld.dev, z->now_ms * 1000000);
		core_tick(z->ld.dev, z->now_ms * 1000000);
		if (poll(fds, (nfds_t)n, 0) > 0) {
			for (size_t i = 0; i < n; i++) {
				if (!fds[i].revents)
					continue;
				moved++;
				if (i >= nhl)
					cxldcd_host_process(z->h);
				else
					hostlink_process_fd(z->ld.hl, fds[i].fd,
							    hostlink_poll_events(fds[i].revents));
			}
		}
		while (proxy_read(z, true))
			moved++;
		while (proxy_read(z, false))
			moved++;
		if (z->h)
			cxldcd_host_process(z->h);
		quiet = moved || (z->h && !cxldcd_host_idle(z->h) &&
				  cxldcd_host_get_state(z->h) != CXLDCD_HOST_FAILED) ? 0 : quiet + 1;
	}
}

static void inject(struct fz *z, uint8_t v, struct in *in)
{
	uint8_t type = in_u8(in);
	const uint8_t *p;
	size_t n = in_bytes(in, in_u8(in), &p);
	uint32_t seq = v & 1 ? z->last_cci_seq : v & 2 ? 1 : 0;
	int fd = -1;
	struct wwr w;

	wwr_init(&w, out_buf, BUF_CAP);
	hl_msg_begin(&w, type, seq);
	wwr_bytes(&w, p, n);
	hl_msg_end(&w);
	if (v & 4) {
		fd = memfd_create("fuzz-agent", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, 8 * MIB))
			fz_die("memfd", NULL);
	}
	send_all(z->px_host, out_buf, w.off, &fd, fd >= 0);
	if (fd >= 0)
		close(fd);
}

static void fm_add(struct fz *z, uint8_t v)
{
	struct cxldcd_extent x[2];
	struct core_add_req rq = { .host = 0, .policy = CXLDCD_ADD_PRESCRIPTIVE, .extents = x };
	unsigned first = v & 3, n = (v & 4) && first < 2 ? 2 : 1;

	if (n == 2)
		first = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct fz_ext *e = &z->ld.ext[first + i];

		x[i] = (struct cxldcd_extent){ .dpa = e->dpa, .len = e->len, .shared_seq = e->seq };
		if (e->tag)
			fz_tag(x[i].tag, e->tag);
	}
	rq.nr_extents = n;
	(void)core_add(z->ld.dev, &rq, NULL, NULL);
}

static void fm_release(struct fz *z, uint8_t v)
{
	const struct fz_ext *e = &z->ld.ext[v & 3];
	struct cxldcd_extent x = { .dpa = e->dpa, .len = v & 8 ? BLOCK : e->len };
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .forced = (v & 4) != 0, .nr_extents = 1, .extents = &x };

	(void)core_release(z->ld.dev, &rq, NULL);
}

static void agent_op(struct fz *z, uint8_t v, struct in *in)
{
	struct cxldcd_host_group_info g[8];
	uint32_t n;
	uint8_t i = in_u8(in);
	void *addr;
	uint64_t size;

	if (!z->h || cxldcd_host_get_state(z->h) != CXLDCD_HOST_READY)
		return;
	n = cxldcd_host_list_groups(z->h, g, 8);
	if (n > 8)
		n = 8;
	if (!n)
		return;
	i %= n;
	z->in_call = true;
	switch (v & 3) {
	case 0:
		/* may drive the link itself while a move has the group paused */
		(void)cxldcd_host_group_open(z->h, NULL, g[i].id, &addr, &size);
		break;
	case 1:
		(void)cxldcd_host_group_close(z->h, g[i].id);
		break;
	case 2:
		(void)cxldcd_host_group_release(z->h, NULL, g[i].id);
		break;
	case 3:
		/* open and close at once (a hostile device's memfd may be short: no access) */
		if (!cxldcd_host_group_open(z->h, NULL, g[i].id, &addr, &size))
			(void)cxldcd_host_group_close(z->h, g[i].id);
		break;
	}
	z->in_call = false;
}

static void setup(struct fz *z, bool group_files)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_host_cfg c = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls;

	memset(z, 0, sizeof(*z));
	z->now_ms = 1000;
	fz_dev_cfg(&cfg, 0);
	fz_link_dev_new(&z->ld, &cfg, dev_clock, z, link_path);
	/* the proxy: the agent connects to it, it connects to the device */
	unlink(proxy_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", proxy_path);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1))
		fz_die("proxy listen", NULL);
	c.socket_path = proxy_path;
	c.accept = CXLDCD_HOST_ACCEPT_ALL;
	c.group_files = group_files;
	c.clock = host_clock;
	c.clock_opaque = z;
	c.cmd_timeout_ms = 2000;
	c.chain_timeout_ms = 2000;
	c.move_wait_ms = 1000;
	if (getenv("CXLDCD_FUZZ_VERBOSE")) {
		c.log_fn = fz_host_log;
		c.log_level = 7;
	}
	if (cxldcd_host_new(&c, &z->h))
		fz_die("cxldcd_host_new", NULL);
	z->px_host = accept4(ls, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	close(ls);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", link_path);
	z->px_dev = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (z->px_host < 0 || z->px_dev < 0 ||
	    connect(z->px_dev, (struct sockaddr *)&sa, sizeof(sa)))
		fz_die("proxy connect", NULL);
}

static void teardown(struct fz *z)
{
	cxldcd_host_free(z->h);
	z->h = NULL;
	pump(z);
	close(z->px_host);
	close(z->px_dev);
	for (unsigned i = 0; i < z->nr_fds; i++)
		close(z->fds[i]);
	fz_link_dev_free(&z->ld);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	struct fz z;
	int fds_before;

	if (size < 1)
		return 0;
	init_once();
	fds_before = nr_open_fds();
	setup(&z, in_u8(&in) & 1);
	pump(&z);
	for (int i = 0; i < MAX_STEPS && in.off < in.len; i++) {
		uint8_t op = in_u8(&in), v = op & 15;

		switch ((op >> 4) % 8) {
		case 0:
			inject(&z, v, &in);
			break;
		case 1:
		case 2:
		case 3:
			if (z.nr_muts < MAX_MUTS) {
				struct mut *m = &z.muts[z.nr_muts++];

				memset(m, 0, sizeof(*m));
				m->kind = (op >> 4) % 8 == 1 ? MUT_XOR : (op >> 4) % 8 == 2 ? MUT_REPLACE
											: MUT_DROP;
				m->type = in_u8(&in);
				if (m->kind == MUT_XOR) {
					m->off = in_u8(&in);
					m->off |= (uint16_t)(in_u8(&in) << 8);
					m->x = in_u8(&in);
				} else if (m->kind == MUT_REPLACE) {
					m->n = in_bytes(&in, in_u8(&in), &m->bytes);
				}
			}
			break;
		case 4:
			fm_add(&z, v);
			break;
		case 5:
			fm_release(&z, v);
			break;
		case 6:
			agent_op(&z, v, &in);
			break;
		case 7:
			z.now_ms += ((uint64_t)v + 1) * 500;
			break;
		}
		pump(&z);
		fz_check(z.ld.dev);
	}
	teardown(&z);
	if (nr_open_fds() != fds_before)
		fz_die("file descriptor leaked", NULL);
	return 0;
}
