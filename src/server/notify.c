/* SPDX-License-Identifier: MIT */
/*
 * notify.c - the sd_notify protocol without libsystemd (see notify.h).
 * One non-blocking datagram socket, made once; every message goes out with
 * sendto() to the address of $NOTIFY_SOCKET, so a service manager that
 * made its socket again (daemon-reexec) still hears us.  The kernel adds
 * our credentials when the receiver asks for them (SO_PASSCRED).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/number.h"
#include "notify.h"

static void say(char *why, size_t cap, const char *text, const char *value)
{
	if (why && cap && !why[0])
		snprintf(why, cap, "%s '%s'", text, value);
}

/* @v: $NOTIFY_SOCKET, a path or "@name" (abstract).  0, or -EINVAL with @why. */
static int parse_address(struct srv_notify *n, const char *v, char *why, size_t cap)
{
	size_t len = strlen(v);

	n->addr.sun_family = AF_UNIX;
	if ((v[0] != '/' && v[0] != '@') || len < 2 || len >= sizeof(n->addr.sun_path)) {
		say(why, cap, "NOTIFY_SOCKET is not an absolute path or @name of at most 107 bytes:", v);
		return -EINVAL;
	}
	memcpy(n->addr.sun_path, v, len);
	if (v[0] == '@') {         /* abstract: a leading NUL, no terminating one */
		n->addr.sun_path[0] = 0;
		n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	return 0;
}

/* $WATCHDOG_USEC, for us only when $WATCHDOG_PID is unset or names us. */
static void parse_watchdog(struct srv_notify *n, const char *usec, const char *pid, char *why,
			   size_t cap)
{
	unsigned long long v;
	uint64_t us;
	char *end;

	if (!usec)
		return;
	if (pid) {
		errno = 0;
		v = strtoull(pid, &end, 10);
		if (errno || end == pid || *end || v != (unsigned long long)getpid())
			return;         /* another process's watchdog */
	}
	if (cx_parse_u64(usec, 10, &us) || !us) {
		say(why, cap, "WATCHDOG_USEC is not a positive number:", usec);
		return;
	}
	n->watchdog_usec = us;
}

int srv_notify_init(struct srv_notify *n, char *why, size_t cap)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	int rc = 0;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (why && cap)
		why[0] = 0;
	if (sock && sock[0] && parse_address(n, sock, why, cap) == 0) {   /* "": none */
		n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (n->fd < 0)
			rc = -errno;
	}
	/* Without a socket to send them to, pings are pointless. */
	if (n->fd >= 0)
		parse_watchdog(n, getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), why, cap);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return rc;
}

void srv_notify_fini(struct srv_notify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->watchdog_usec = 0;
}

int srv_notify(struct srv_notify *n, const char *fmt, ...)
{
	char msg[SRV_NOTIFY_MAX];
	va_list ap;
	int len;
	ssize_t k;

	if (n->fd < 0)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return -EINVAL;
	if ((size_t)len >= sizeof(msg))
		len = (int)sizeof(msg) - 1;
	do
		k = sendto(n->fd, msg, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)&n->addr, n->addr_len);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		n->nr_dropped++;
		return -errno;
	}
	n->nr_sent++;
	return 0;
}

uint64_t srv_notify_watchdog_ms(const struct srv_notify *n)
{
	uint64_t ms = n->watchdog_usec / 2000;

	if (!n->watchdog_usec)
		return 0;
	return ms ? ms : 1;
}
