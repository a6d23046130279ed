/* SPDX-License-Identifier: MIT */
/*
 * fmlink.h - the preload library's side of a cxldcd FM socket: dial it and
 * run one CCI exchange (docs/cmdline.md, "--fm": raw CCI messages on a
 * stream, one response per request, in order).  Blocking, with a timeout.
 * Its libc calls go through preload.c's wrappers, which pass descriptors
 * that are not AF_MCTP sockets straight on.
 */
#ifndef CXLDCD_MCTP_RUN_FMLINK_H
#define CXLDCD_MCTP_RUN_FMLINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Connect to unix PATH or tcp HOST:PORT (empty host: 127.0.0.1).  Return the fd or -1/errno. */
int fmlink_dial_unix(const char *path);
int fmlink_dial_tcp(const char *hostport);

/*
 * fmlink_exchange() - write @req (@len bytes, one whole CCI message), read
 * the one response message, waiting at most @timeout_ms for each read.
 * Return: its length, with *rsp malloc'ed (caller frees); -1 when the
 * stream failed or timed out (*rsp NULL; the connection is unusable).
 */
ssize_t fmlink_exchange(int fd, const uint8_t *req, size_t len, int timeout_ms, uint8_t **rsp);

#endif
