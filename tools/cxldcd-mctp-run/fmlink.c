/* SPDX-License-Identifier: MIT */
/* fmlink.c - dialling a cxldcd FM socket and one CCI exchange on it (fmlink.h). */
#include "fmlink.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cci/msg.h"
#include "common/fdio.h"

int fmlink_dial_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int fmlink_dial_tcp(const char *hostport)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	const char *colon = strrchr(hostport, ':');
	char host[160];
	int fd = -1;

	if (!colon || (size_t)(colon - hostport) >= sizeof(host)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &res)) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int get_all(int fd, uint8_t *p, size_t n, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (n) {
		ssize_t k;
		int rc = poll(&pfd, 1, timeout_ms);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

ssize_t fmlink_exchange(int fd, const uint8_t *req, size_t len, int timeout_ms, uint8_t **rsp)
{
	uint8_t hdr[CXLDCD_CCI_HDR_SIZE];
	struct cci_hdr h;

	*rsp = NULL;
	if (fd_write_all(fd, req, len) || get_all(fd, hdr, sizeof(hdr), timeout_ms) ||
	    cci_dec_hdr(hdr, sizeof(hdr), &h))
		return -1;
	*rsp = malloc(sizeof(hdr) + h.payload_len);
	if (!*rsp)
		return -1;
	memcpy(*rsp, hdr, sizeof(hdr));
	if (get_all(fd, *rsp + sizeof(hdr), h.payload_len, timeout_ms)) {
		free(*rsp);
		*rsp = NULL;
		return -1;
	}
	return (ssize_t)(sizeof(hdr) + h.payload_len);
}
