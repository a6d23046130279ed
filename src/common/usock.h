/* SPDX-License-Identifier: MIT */
/*
 * usock.h - a listening Unix stream socket that only its owner can use,
 * at a path taken by the rules of sockpolicy.h.
 */
#ifndef CXLDCD_COMMON_USOCK_H
#define CXLDCD_COMMON_USOCK_H

#include "common/sockpolicy.h"

/*
 * usock_listen_own() - listen on a new Unix stream socket at @path, mode
 * 0600, non-blocking and close-on-exec.  @path is claimed first
 * (sockpolicy_claim(): a stale socket is replaced, a live one or a
 * non-socket refused).  Leftover temporary names beside @path
 * (".usock-PID-N" sockets of this user, 30 s old or more, that nobody
 * listens on) are removed first.
 * @own: may be NULL; receives the created socket file, for
 *       sockpolicy_release() at exit.
 * Return: the listening fd, or -errno (-EADDRINUSE: a live socket is
 * there; -EEXIST: a file that is not a socket; -ENAMETOOLONG: the path
 * does not fit sun_path).
 */
int usock_listen_own(const char *path, int backlog, struct sockpolicy_owned *own);

#endif /* CXLDCD_COMMON_USOCK_H */
