/* SPDX-License-Identifier: MIT */
/*
 * sock-util.h - helpers of the listener integration tests
 * (test-hostlink-robust.c, test-listener-limits.c): a daemon with one memfd
 * backend and device d0, raw Unix connections, and whether a peer closed one.
 */
#ifndef CXLDCD_TESTS_SOCK_UTIL_H
#define CXLDCD_TESTS_SOCK_UTIL_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dproc.h"
#include "qmp-client.h"

#define SOCK_TMO 5000
#define SOCK_OBJ "memory-backend-memfd,id=m0,size=256M"
#define SOCK_DEV "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2"

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Start @p with @lead (NULL-terminated, or NULL), the memory and the device,
 * then @extra (likewise); wait until QMP answers.
 */
static inline void sock_start(struct dproc *p, const char *const *lead, const char *const *extra)
{
	const char *argv[32];
	struct qmp_client *c;
	int n = 0;

	for (; lead && *lead && n < 27; lead++)
		argv[n++] = *lead;
	argv[n++] = "-object";
	argv[n++] = SOCK_OBJ;
	argv[n++] = "-device";
	argv[n++] = SOCK_DEV;
	for (; extra && *extra && n < 31; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	assert_int_equal(dproc_start(p, argv), 0);
	c = dproc_connect(p, SOCK_TMO);
	if (!c)
		fail_msg("daemon did not start: %s", dproc_log(p));
	qmp_client_free(c);
}

static inline int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail_msg("connect %s: %s", path, strerror(errno));
	return fd;
}

/* True when the peer closed @fd within @ms (anything sent before is skipped). */
static inline bool closed_within(int fd, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	uint8_t buf[1024];

	do {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int left = (int)(end - now_ms());

		if (poll(&pf, 1, left > 0 ? left : 0) <= 0)
			return false;
		if (read(fd, buf, sizeof(buf)) <= 0)
			return true;
	} while (now_ms() < end);
	return false;
}

#endif
