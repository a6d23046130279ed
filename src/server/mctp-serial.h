/* SPDX-License-Identifier: MIT */
/* mctp-serial.h - --mctp-serial pty: an MCTP endpoint on a pseudo-terminal (mctp-serial.c). */
#ifndef CXLDCD_SERVER_MCTP_SERIAL_H
#define CXLDCD_SERVER_MCTP_SERIAL_H

struct server_ctx;
struct dcd;
struct mctp_pty;

#include <stdint.h>

/*
 * mctp_pty_new() - open a pseudo-terminal and serve @dv on it as EID @eid
 * (0: none until a bus owner sends Set Endpoint ID); @out: caller frees
 * with mctp_pty_free() before the device.  Return: 0 or -errno.
 */
int mctp_pty_new(struct server_ctx *s, struct dcd *dv, uint8_t eid, struct mctp_pty **out);
void mctp_pty_free(struct mctp_pty *p);
/* The terminal a peer opens ("/dev/pts/N"). */
const char *mctp_pty_name(const struct mctp_pty *p);

#endif
