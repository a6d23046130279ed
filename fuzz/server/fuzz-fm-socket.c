/* SPDX-License-Identifier: MIT */
/*
 * fuzz-fm-socket.c - libFuzzer target for the stream framing of --fm and
 * --mctp-cci (src/server/fm.c over src/server/sock.c and the daemon loop):
 * the server context of fz-daemon.c (with or without a store), a
 * loop, and one listener (fm_listen_new()) on a Unix socket in a temporary
 * directory, reached by up to two clients over real sockets.  cci-dispatch
 * fuzzes what a request does once framed; this target the bytes before
 * that: headers split across reads, payloads above the mailbox size (read
 * and discarded, answered Invalid Payload Length), responses, requests
 * pipelined behind a client that does not read (backpressure), hang-ups in
 * the middle of a message.
 *
 * Checked after every step: the devices' invariants; every byte a client
 * read is whole CCI response messages (12-byte header, category Response,
 * payload length within the mailbox size), one per request it sent whole,
 * in order (the tags echoed).  At the end: no leak, no leaked fd.
 *
 * Input: byte 0: bit 0 the listener's CCI (--mctp-cci, else --fm), bit 1
 * the device (cxl-dcd0, else cxl-vmem0), bit 2 a store (--state, on
 * tmpfs): requests that change the device are journaled first, queued for
 * the loop round's group commit (the loop's after-dispatch hook, as the
 * daemon's), and what comes behind them waits (held) so that answers keep
 * the requests' order; then steps, each an op byte:
 * bit 0 the client (connected on first use), bits 3:1 the kind:
 *   0  raw bytes: n (1), n bytes
 *   1  a request: opcode (u16le), n (1), n payload bytes; the 12-byte
 *      header built (category Request, a tag of its own, length n)
 *   2  a header alone announcing length L (u24le) (op bits 7:4: category),
 *      then p (1) payload bytes of it, zeros
 *   3  toggle the client's reading (one that stops reading responses)
 *   4  hang up (op bit 4: after shutdown(SHUT_WR) only)
 *   5  many: k (1) copies of a request of opcode (u16le) with no payload,
 *      in one write (pipelined)
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cci/cci.h"
#include "server/loop.h"
#include "server/sock.h"
#include "store/store.h"
#include "../cci/steps.h"
#include "fz-daemon.h"
#include "../fuzz-input.h"
#include "fuzz-scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NR_CLIENTS 2
#define MAX_STEPS 256
#define RX_CAP (1u << 20)
#define MBOX 2048u               /* the fz-daemon devices' mailbox payload size */

static char dir[64], sock_path[96], state_dir[80];
static uint8_t *rx_bufs[NR_CLIENTS];
static uint8_t big[12 + 0x10000];
static const uint8_t none[1];        /* the payload of a request without one */

struct client {
	int fd;                     /* -1: not connected */
	bool reading, eof;
	uint8_t *rx;
	size_t rlen;
	uint8_t tags[1024];         /* tags of whole requests sent, answers pending */
	unsigned nr_tags;
	bool lost_order;            /* raw bytes sent: responses are not counted */
};

struct fz {
	struct fz_daemon d;
	struct loop *loop;
	struct fm_listen *fl;
	struct client cl[NR_CLIENTS];
	uint8_t tag;
};

/* The socket's directory, the store's (emptied for each input) and the buffers, on the first input. */
static void init_once(void)
{
	if (!fz_scratch_at_exit(dir, sizeof(dir), "fm-sock"))
		return;
	fz_path(sock_path, sizeof(sock_path), dir, "fm.sock");
	fz_scratch_at_exit(state_dir, sizeof(state_dir), "fm");
	for (int i = 0; i < NR_CLIENTS; i++)
		if (!(rx_bufs[i] = malloc(RX_CAP)))
			fz_die("malloc", NULL);
}

/* Whole responses at the head of c->rx: each well-formed, tags in request order. */
static void client_check(struct client *c)
{
	size_t off = 0;

	while (c->rlen - off >= 12) {
		const uint8_t *p = c->rx + off;
		uint32_t len = p[5] | (uint32_t)p[6] << 8 | (uint32_t)(p[7] & 0x1f) << 16;

		if ((p[0] & 0xf) != 1)
			fz_die("a message that is not a response", NULL);
		if (len > MBOX)
			fz_die("a response longer than the mailbox", NULL);
		if (c->rlen - off < 12 + len)
			break;
		if (getenv("CXLDCD_FUZZ_VERBOSE"))
			fprintf(stderr, "<- tag %u opcode %02x%02x rc %02x%02x len %u\n", p[1], p[4],
				p[3], p[9], p[8], len);
		if (!c->lost_order) {
			if (!c->nr_tags)
				fz_die("a response to no request", NULL);
			if (p[1] != c->tags[0])
				fz_die("responses out of order (tag)", NULL);
			memmove(c->tags, c->tags + 1, --c->nr_tags);
		}
		off += 12 + len;
	}
	memmove(c->rx, c->rx + off, c->rlen - off);
	c->rlen -= off;
}

static void client_read(struct client *c)
{
	while (c->fd >= 0 && c->reading && !c->eof) {
		ssize_t n;

		if (c->rlen == RX_CAP)
			fz_die("client buffer full", NULL);
		n = recv(c->fd, c->rx + c->rlen, RX_CAP - c->rlen, MSG_DONTWAIT);
		if (n < 0)
			break;
		if (n == 0) {
			c->eof = true;
			break;
		}
		c->rlen += (size_t)n;
		client_check(c);
	}
}

static void run_loop(struct fz *z)
{
	for (int round = 0, quiet = 0; round < 64 && quiet < 2; round++) {
		int n = loop_run_once(z->loop, 0);

		quiet = n > 0 ? 0 : quiet + 1;
		for (int i = 0; i < NR_CLIENTS; i++)
			client_read(&z->cl[i]);
	}
	fz_daemon_check(&z->d);
}

static struct client *client_get(struct fz *z, unsigned k)
{
	struct client *c = &z->cl[k];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (c->fd >= 0)
		return c;
	memset(c, 0, sizeof(*c));
	c->rx = rx_bufs[k];
	c->reading = true;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		fz_die("connect", NULL);
	run_loop(z);
	return c;
}

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Write len bytes as the socket takes them; what it does not take is dropped. */
static void client_write(struct fz *z, struct client *c, const uint8_t *p, size_t len)
{
	for (int tries = 0; len && tries < 64 && !c->eof; tries++) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN) {
			break;
		}
		run_loop(z);
	}
	if (len)
		c->lost_order = true; /* a message cut short: the framing is the peer's own */
	run_loop(z);
}

static void sent_request(struct client *c, uint8_t tag)
{
	if (c->nr_tags < sizeof(c->tags))
		c->tags[c->nr_tags++] = tag;
	else
		c->lost_order = true;
}

static void step(struct fz *z, struct in *in)
{
	uint8_t op = in_u8(in), hdr[12 + 255];
	struct client *c = &z->cl[op & 1];
	const uint8_t *p;
	size_t n;

	switch ((op >> 1) & 7) {
	case 0:
		n = in_bytes(in, in_u8(in), &p);
		c = client_get(z, op & 1);
		c->lost_order = true;
		client_write(z, c, p, n);
		break;
	case 1: {
		uint16_t opc = in_u8(in);

		opc |= (uint16_t)(in_u8(in) << 8);
		n = in_bytes(in, in_u8(in), &p);
		c = client_get(z, op & 1);
		fz_cci_frame(hdr, ++z->tag, opc, p, n);
		sent_request(c, z->tag);
		client_write(z, c, hdr, 12 + n);
		break;
	}
	case 2: {
		uint32_t len = in_u8(in);
		size_t k;

		len |= (uint32_t)in_u8(in) << 8;
		len |= (uint32_t)in_u8(in) << 16;
		len &= 0x1fffff;
		k = in_u8(in);
		c = client_get(z, op & 1);
		fz_cci_frame(big, ++z->tag, 0x0001, none, 0);
		big[0] = op >> 4;
		big[5] = (uint8_t)len;
		big[6] = (uint8_t)(len >> 8);
		big[7] = (uint8_t)(len >> 16);
		memset(big + 12, 0, k);
		/* a request answered only once whole; oversize ones are answered too */
		c->lost_order = true;
		client_write(z, c, big, 12 + (k < len ? k : len));
		break;
	}
	case 3:
		if (c->fd >= 0) {
			c->reading = !c->reading;
			run_loop(z);
		}
		break;
	case 4:
		if (c->fd >= 0) {
			if (op & 16)
				shutdown(c->fd, SHUT_WR);
			else
				client_close(c);
			run_loop(z);
		}
		break;
	case 5: {
		unsigned k = in_u8(in);
		uint16_t opc = in_u8(in);
		size_t at = 0;

		opc |= (uint16_t)(in_u8(in) << 8);
		c = client_get(z, op & 1);
		for (unsigned i = 0; i < k && at + 12 <= sizeof(big); i++, at += 12) {
			fz_cci_frame(big + at, ++z->tag, opc, none, 0);
			sent_request(c, z->tag);
		}
		client_write(z, c, big, at);
		break;
	}
	default:
		run_loop(z);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 1 };
	struct sock_addr addr;
	char err[SRV_ERR_MAX];
	struct fz z;

	if (size < 1)
		return 0;
	init_once();
	memset(&z, 0, sizeof(z));
	fz_daemon_run(&z.d, data[0] & 4 ? state_dir : NULL);
	z.loop = z.d.s.loop;
	snprintf(err, sizeof(err), "unix:%s", sock_path);
	unlink(sock_path);
	if (sock_addr_parse(err, &addr, err, sizeof(err)) ||
	    fm_listen_new(&z.d.s, &addr, z.d.s.devs[data[0] & 2 ? 1 : 0],
			  data[0] & 1 ? CCI_MCTP : CCI_FM, &z.fl))
		fz_die("fm_listen_new", NULL);
	for (int i = 0; i < NR_CLIENTS; i++)
		z.cl[i].fd = -1;
	for (int i = 0; i < MAX_STEPS && in.off < in.len; i++)
		step(&z, &in);
	for (int i = 0; i < NR_CLIENTS; i++) {
		z.cl[i].reading = true;
		run_loop(&z);
		client_close(&z.cl[i]);
	}
	run_loop(&z);
	fm_listen_free(z.fl);
	fz_daemon_stop(&z.d);
	return 0;
}
