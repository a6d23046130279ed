/* SPDX-License-Identifier: MIT */
/*
 * fuzz-mctp-pty.c - libFuzzer target for the daemon's --mctp-serial glue
 * (src/server/mctp-serial.c): the pseudo-terminal mctp_pty_new() opens,
 * driven through the daemon loop by a peer that opens the terminal as a
 * kernel's MCTP line discipline would and writes line bytes to it.  The
 * protocol below the glue (DSP0253 framing, DSP0236 reassembly, control,
 * CCI screening: src/mctp) has its own target, mctp-serial, fed bytes
 * directly; this one reaches what only the glue does: reads in chunks, a
 * CCI request that changes the device journaled first and answered after
 * the loop round's group commit (the endpoint deferred, the line's bytes
 * held meanwhile and fed after the answer), the output queue while the
 * peer does not read (the terminal full, LOOP_OUT), the FM (07h) and the
 * device's own MCTP CCI (08h) contexts.
 *
 * Checked after every step: the devices' invariants; everything the peer
 * reads deframes (no framing or FCS error: frames are queued whole) into
 * packets with a valid header, TO clear, at most the baseline unit.  At
 * the end: no leak, no fd left open.
 *
 * Input: byte 0: bit 0 a store (--state on tmpfs: the group commit), bit 1
 * the device (cxl-dcd0, else cxl-vmem0), bit 2 EID 9 set on the command
 * line (else 0: none until Set Endpoint ID); then steps, an op byte each,
 * bits 2:0 the kind:
 *   0  line bytes: n (1), n bytes, as they are
 *   1  a CCI request: opcode (u16le), n (1), n payload bytes, as an MCTP
 *      message of type 07h (op bit 3: 08h) from EID 8 to the device (op
 *      bit 4: to EID 0), tag and sequence of its own, in packets of the
 *      baseline unit, framed; op bits 7:5: written k*16 bytes at a time
 *      with a loop round between (0: at once)
 *   2  an MCTP control request: command (1), n (1), n bytes
 *   3  toggle the peer's reading (one that does not read fills the
 *      terminal, then the daemon's output queue)
 *   4  run the loop: rounds (1)
 *   5  many: k (1) copies of a request of opcode (u16le), no payload, in
 *      one write (pipelined behind a deferred one)
 *   6  one packet as it is, framed right: n (1), n bytes
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mctp/mctp.h"
#include "mctp/packet.h"
#include "mctp/serial.h"
#include "server/loop.h"
#include "server/mctp-serial.h"
#include "store/store.h"
#include "../cci/steps.h"
#include "fz-daemon.h"
#include "../fuzz-input.h"
#include "fuzz-scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS 128
#define OUT_CAP (64u * 1024u)
#define PEER_EID 8u

static char state_dir[80];

struct fz {
	struct fz_daemon d;
	struct loop *loop;
	struct mctp_pty *pty;
	int peer;                   /* the peer's fd of the terminal */
	bool reading;
	struct mctp_serial_rx rx;   /* what the peer read */
	uint8_t dst;                /* the device's EID (0: none yet) */
	uint8_t tag;
	uint8_t out[OUT_CAP];       /* frames to write */
	size_t out_len;
};

/* The store's directory (emptied for each input), on the first input. */
static void init_once(void)
{
	fz_scratch_at_exit(state_dir, sizeof(state_dir), "pty");
}

/* What the peer reads: whole frames, each a valid packet from the device. */
static void peer_read(struct fz *z)
{
	uint8_t buf[4096];
	ssize_t n;

	while (z->reading && (n = read(z->peer, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			struct mctp_hdr h;

			if (!mctp_serial_rx_byte(&z->rx, buf[i]))
				continue;
			if (mctp_dec_hdr(z->rx.pkt, z->rx.len, &h) || h.to ||
			    z->rx.len > MCTP_HDR_SIZE + MCTP_BASELINE_MTU)
				fz_die("a packet from the device with a bad header, TO set or too long", NULL);
			if (getenv("CXLDCD_FUZZ_VERBOSE"))
				fprintf(stderr, "<- packet %zu bytes src %u dst %u tag %u som %d eom %d\n",
					z->rx.len, h.src, h.dst, h.tag, h.som, h.eom);
		}
		if (z->rx.errors || z->rx.fcs_errors)
			fz_die("the device sent a damaged frame", NULL);
	}
}

static void run_loop(struct fz *z, int rounds)
{
	for (int round = 0, quiet = 0; round < rounds && quiet < 2; round++) {
		int n = loop_run_once(z->loop, 0);

		quiet = n > 0 ? 0 : quiet + 1;
		peer_read(z);
	}
	fz_daemon_check(&z->d);
}

/* Write @len bytes, @chunk at a time (0: at once), as the terminal takes them. */
static void peer_write(struct fz *z, const uint8_t *p, size_t len, size_t chunk)
{
	for (int tries = 0; len && tries < 256; tries++) {
		size_t want = chunk && chunk < len ? chunk : len;
		ssize_t n = write(z->peer, p, want);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
		run_loop(z, 8);
	}
	run_loop(z, 64);
}

static int emit(void *opaque, const uint8_t *pkt, size_t len)
{
	struct fz *z = opaque;

	if (OUT_CAP - z->out_len < MCTP_SERIAL_MAX_FRAME)
		return -ENOSPC;
	z->out_len += mctp_serial_frame(pkt, len, z->out + z->out_len, OUT_CAP - z->out_len);
	return 0;
}

/* Queue one message (type byte first) as framed packets of the baseline unit. */
static void queue_msg(struct fz *z, uint8_t dst, const uint8_t *msg, size_t len)
{
	mctp_fragment(PEER_EID, dst, z->tag++ & MCTP_HDR_TAG_MASK, true, msg, len,
		      MCTP_BASELINE_MTU, emit, z);
}

static void step(struct fz *z, struct in *in)
{
	static uint8_t msg[1 + 12 + 255];
	uint8_t op = in_u8(in);
	const uint8_t *p;
	size_t n;

	z->out_len = 0;
	switch (op & 7) {
	case 0:
		n = in_bytes(in, in_u8(in), &p);
		peer_write(z, p, n, 0);
		break;
	case 1: {
		uint16_t opc = in_u8(in);

		opc |= (uint16_t)(in_u8(in) << 8);
		n = in_bytes(in, in_u8(in), &p);
		msg[0] = op & 8 ? MCTP_TYPE_CXL_CCI : MCTP_TYPE_CXL_FMAPI;
		fz_cci_frame(msg + 1, z->tag, opc, p, n);
		queue_msg(z, op & 16 ? 0 : z->dst, msg, 13 + n);
		peer_write(z, z->out, z->out_len, (size_t)(op >> 5) * 16);
		break;
	}
	case 2: {
		uint8_t cmd = in_u8(in);

		n = in_bytes(in, in_u8(in), &p);
		msg[0] = MCTP_TYPE_CONTROL;
		msg[1] = 0x80 | (z->tag & 0x1f);        /* Rq, instance id */
		msg[2] = cmd;
		memcpy(msg + 3, p, n);
		queue_msg(z, op & 16 ? 0 : z->dst, msg, 3 + n);
		peer_write(z, z->out, z->out_len, 0);
		if (cmd == 0x01 && n >= 2)  /* Set Endpoint ID: its EID from now on */
			z->dst = p[1];
		break;
	}
	case 3:
		z->reading = !z->reading;
		run_loop(z, 16);
		break;
	case 4:
		run_loop(z, in_u8(in));
		break;
	case 5: {
		unsigned k = in_u8(in);
		uint16_t opc = in_u8(in);

		opc |= (uint16_t)(in_u8(in) << 8);
		msg[0] = op & 8 ? MCTP_TYPE_CXL_CCI : MCTP_TYPE_CXL_FMAPI;
		for (unsigned i = 0; i < k && OUT_CAP - z->out_len >= 2 * MCTP_SERIAL_MAX_FRAME; i++) {
			fz_cci_frame(msg + 1, z->tag, opc, msg, 0);     /* no payload */
			queue_msg(z, z->dst, msg, 13);
		}
		peer_write(z, z->out, z->out_len, 0);
		break;
	}
	case 6:
		n = in_bytes(in, in_u8(in), &p);
		if (n)
			emit(z, p, n);
		peer_write(z, z->out, z->out_len, 0);
		break;
	default:
		run_loop(z, 4);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 1 };
	static struct fz z;

	if (size < 1)
		return 0;
	init_once();
	memset(&z, 0, sizeof(z));
	fz_daemon_run(&z.d, data[0] & 1 ? state_dir : NULL);
	z.loop = z.d.s.loop;
	z.dst = data[0] & 4 ? 9 : 0;
	if (mctp_pty_new(&z.d.s, z.d.s.devs[data[0] & 2 ? 1 : 0], z.dst, &z.pty))
		fz_die("mctp_pty_new", NULL);
	z.peer = open(mctp_pty_name(z.pty), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (z.peer < 0)
		fz_die("open the terminal", NULL);
	z.reading = true;
	mctp_serial_rx_init(&z.rx);
	for (int i = 0; i < MAX_STEPS && in.off < in.len; i++)
		step(&z, &in);
	z.reading = true;
	run_loop(&z, 64);
	fz_daemon_flush(&z.d);     /* what the last round queued, the terminal still open */
	close(z.peer);
	mctp_pty_free(z.pty);
	fz_daemon_stop(&z.d);
	return 0;
}
