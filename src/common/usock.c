/* SPDX-License-Identifier: MIT */
/*
 * usock.c - a listening Unix stream socket that only its owner can use
 * (the host link, QMP and FM sockets, the host agent's application socket).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "usock.h"

int usock_listen_own(const char *path, int backlog, struct sockpolicy_owned *own)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (own)
		own->valid = false;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = sockpolicy_claim(path);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Linux takes the socket inode's mode at bind(): no window with wider access. */
	if (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (chmod(path, 0600) < 0 || listen(fd, backlog) < 0 ||
	    (own && sockpolicy_own(path, own) < 0)) {
		rc = -errno;
		unlink(path);   /* bound just now: ours */
		close(fd);
		return rc;
	}
	return fd;
}
