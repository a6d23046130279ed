/* SPDX-License-Identifier: MIT */
/*
 * usock.c - a listening Unix stream socket that only its owner can use
 * (the host link, QMP and FM sockets, the host agent's application socket).
 *
 * The socket is bound and listening under a temporary name in the same
 * directory before it is linked to its path, so a client that sees the
 * path can connect at once.  Bound at the path itself, it was there before
 * listen(): a client that came in between was refused (ECONNREFUSED), and
 * another process's sockpolicy_claim() took it for stale and removed it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "usock.h"

#define USOCK_TEMP_TRIES 8

/* A new socket bound at sa (mode 0600) and listening.  Return the fd, or -errno (nothing left). */
static int bound_socket(const struct sockaddr_un *sa, int backlog)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	/* Linux takes the socket inode's mode at bind(): no window with wider access. */
	if (fchmod(fd, 0600) < 0 || bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (chmod(sa->sun_path, 0600) < 0 || listen(fd, backlog) < 0) {
		rc = -errno;
		unlink(sa->sun_path);   /* bound just now: ours */
		close(fd);
		return rc;
	}
	return fd;
}

/* A temporary name beside path, "DIR/.usock-PID-N"; false when it does not fit. */
static bool temp_name(const char *path, char *out, size_t cap)
{
	static unsigned counter;
	const char *slash = strrchr(path, '/');
	int dir = slash ? (int)(slash - path) + 1 : 0;
	int n = snprintf(out, cap, "%.*s.usock-%ld-%u", dir, path, (long)getpid(),
			 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));

	return n > 0 && (size_t)n < cap;
}

/*
 * Listening at a temporary name, then linked to path.  Return the fd,
 * -errno, or -ENOTSUP when that cannot be done here (no room for the
 * name, or no hard links in this file system): bind in place then.
 */
static int listen_then_link(const char *path, int backlog)
{
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err;

	/*
	 * The name can be taken: another daemon of the same pid (in another pid
	 * namespace) at the same time, or one killed before it removed it.
	 * Another name, then in place as before.
	 */
	for (int tries = 0;; tries++) {
		if (tries == USOCK_TEMP_TRIES || !temp_name(path, tmp.sun_path, sizeof(tmp.sun_path)))
			return -ENOTSUP;
		fd = bound_socket(&tmp, backlog);
		if (fd != -EADDRINUSE)
			break;
	}
	if (fd < 0)
		return fd;
	/* link(), not rename(): a socket that appeared at path since the claim is kept */
	err = link(tmp.sun_path, path) < 0 ? errno : 0;
	unlink(tmp.sun_path);
	if (!err)
		return fd;
	close(fd);
	if (err != EEXIST)
		return err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EXDEV
			       ? -ENOTSUP : -err;
	return lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode) ? -EEXIST : -EADDRINUSE;
}

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
	fd = listen_then_link(path, backlog);
	if (fd == -ENOTSUP)
		fd = bound_socket(&sa, backlog);
	if (fd < 0)
		return fd;
	if (own && (rc = sockpolicy_own(path, own)) < 0) {
		unlink(path);   /* linked or bound just now: ours */
		close(fd);
		return rc;
	}
	return fd;
}
