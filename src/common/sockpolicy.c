/* SPDX-License-Identifier: MIT */
/*
 * sockpolicy.c - taking, keeping and giving back a listening socket path
 * (see sockpolicy.h for the rules).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/sockpolicy.h"

int sockpolicy_claim(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	/*
	 * Only "nobody listens" makes it stale.  EAGAIN (a full backlog; the
	 * probe never blocks) means a live but busy owner, EACCES someone
	 * else's socket: neither is ours to take.
	 */
	if (e != ECONNREFUSED)
		return e == EAGAIN ? -EADDRINUSE : -e;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int sockpolicy_own(const char *path, struct sockpolicy_owned *own)
{
	struct stat st;

	own->valid = false;
	if (lstat(path, &st) < 0)
		return -errno;
	own->dev = st.st_dev;
	own->ino = st.st_ino;
	own->ctime = st.st_ctim;
	own->valid = true;
	return 0;
}

void sockpolicy_release(const char *path, const struct sockpolicy_owned *own)
{
	struct stat st;

	if (!path || !own || !own->valid)
		return;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == own->dev &&
	    st.st_ino == own->ino && st.st_ctim.tv_sec == own->ctime.tv_sec &&
	    st.st_ctim.tv_nsec == own->ctime.tv_nsec)
		unlink(path);
}

const char *sockpolicy_strerror(int rc, const char *path, char *buf, size_t len)
{
	if (rc == -EADDRINUSE && path)
		snprintf(buf, len, "socket %s is in use by another process", path);
	else if (rc == -EEXIST && path)
		snprintf(buf, len, "%s exists and is not a socket", path);
	else if (rc <= -SOCKPOLICY_EAI_BASE)
		snprintf(buf, len, "address resolution failed: %s",
			 gai_strerror(rc + SOCKPOLICY_EAI_BASE));
	else
		snprintf(buf, len, "%s", strerror(rc < 0 ? -rc : rc));
	return buf;
}

bool sockpolicy_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		const uint8_t *b = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
	}
	return false;
}
