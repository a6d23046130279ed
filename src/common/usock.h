/* SPDX-License-Identifier: MIT */
/*
 * usock.h - a listening Unix stream socket that only its owner can use.
 */
#ifndef CXLDCD_COMMON_USOCK_H
#define CXLDCD_COMMON_USOCK_H

/*
 * usock_listen() - listen on a new Unix stream socket at @path, mode 0600,
 * non-blocking and close-on-exec.  A socket file already at @path (a
 * previous run's) is replaced; any other file there is an error.
 * Return: the listening fd, or -errno (-ENAMETOOLONG for a path that does
 * not fit sun_path).
 */
int usock_listen(const char *path, int backlog);

#endif /* CXLDCD_COMMON_USOCK_H */
