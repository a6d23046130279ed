/* SPDX-License-Identifier: MIT */
/*
 * fdio.h - whole writes on a blocking descriptor.
 */
#ifndef CXLDCD_COMMON_FDIO_H
#define CXLDCD_COMMON_FDIO_H

#include <stddef.h>

/*
 * fd_write_all() - write all @n bytes of @p to @fd, retrying short writes
 * and EINTR.  Return: 0, or -1 with errno set (EIO when write() returned 0).
 */
int fd_write_all(int fd, const void *p, size_t n);

#endif /* CXLDCD_COMMON_FDIO_H */
