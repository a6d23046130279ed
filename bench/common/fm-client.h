/* SPDX-License-Identifier: MIT */
/*
 * fm-client.h - the benchmarks' FM-API client: CCI requests over the
 * daemon's FM socket (--fm), sent back to back, responses consumed as they
 * arrive.  Shared by bench-e2e and bench-faces; it knows the framing only
 * (12-byte CCI header, payload), not what a command means, and it never
 * exits: each benchmark turns its errors into its own die().
 */
#ifndef CXLDCD_BENCH_FM_CLIENT_H
#define CXLDCD_BENCH_FM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "cxldcd/spec.h"

#define FM_MBOX_BYTES 4096u   /* the daemon's default FM mailbox payload */
#define FM_BUF (CXLDCD_CCI_HDR_SIZE + FM_MBOX_BYTES)

typedef void fm_rsp_fn(void *opaque, uint16_t opcode, uint16_t rc);

struct fm_client {
	int fd;                        /* connected FM socket (blocking); the caller opens and closes it */
	uint8_t rbuf[FM_BUF];          /* received, not yet consumed */
	size_t rlen;
	uint64_t sent, done;           /* requests sent, responses consumed */
	uint8_t tag;                   /* of the last request */
	uint16_t rc;                   /* first non-zero return code seen (the caller resets it) */
	uint8_t out[FM_BUF];           /* payload of the last response */
	size_t out_len;
	fm_rsp_fn *on_rsp;             /* may be NULL: called for each response, before rc is updated */
	void *opaque;
};

/*
 * fm_client_send() - send one request, looping over short writes.
 * Return: 0, -EMSGSIZE when it does not fit the mailbox, or -errno.
 */
int fm_client_send(struct fm_client *c, uint16_t opcode, const uint8_t *payload, size_t len);

/*
 * fm_client_read() - read what the socket has (never waits) and consume
 * every whole response.  Return: 0, -ECONNRESET when the daemon closed the
 * socket, -EMSGSIZE for a response larger than FM_BUF, or -errno.
 */
int fm_client_read(struct fm_client *c);

#endif /* CXLDCD_BENCH_FM_CLIENT_H */
