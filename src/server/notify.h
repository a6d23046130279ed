/* SPDX-License-Identifier: MIT */
/*
 * notify.h - tell the service manager how the daemon is doing: the
 * sd_notify protocol (one datagram of "KEY=VALUE" lines to the AF_UNIX
 * socket $NOTIFY_SOCKET names: a path, or "@name" in the abstract
 * namespace), without libsystemd.  READY=1, STATUS=, STOPPING=1, MAINPID=,
 * WATCHDOG=1 at the pace $WATCHDOG_USEC asks for.  Without $NOTIFY_SOCKET
 * (or with an empty one) every call does nothing.  Never blocks: a message
 * the socket cannot take now (full, gone, refused) is dropped and counted.
 */
#ifndef CXLDCD_SERVER_NOTIFY_H
#define CXLDCD_SERVER_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* The longest message sent; a longer one is cut there. */
#define SRV_NOTIFY_MAX 512

struct srv_notify {
	int fd;                         /* -1: no $NOTIFY_SOCKET, nothing is sent */
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_usec;         /* $WATCHDOG_USEC for this process, 0: none */
	uint64_t nr_sent, nr_dropped;
};

/**
 * srv_notify_init() - read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID
 * and unset all three, so that no child process inherits them.  A value
 * that is not usable (empty, relative, too long, not a number) leaves that
 * part off: @why (may be NULL, @cap bytes) then says why, else it is "".
 * Return 0, or -errno when the socket cannot be made (nothing is sent).
 */
int srv_notify_init(struct srv_notify *n, char *why, size_t cap);
/* Close the socket; the struct sends nothing after. */
void srv_notify_fini(struct srv_notify *n);

/**
 * srv_notify() - send one message: printf-style text of "KEY=VALUE" lines
 * ("READY=1\nSTATUS=serving").  Return 0 when it was sent or there is no
 * socket, else -errno (the message is dropped, never waited for).
 */
int srv_notify(struct srv_notify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** srv_notify_watchdog_ms() - how often to send WATCHDOG=1: half the interval, 0: never. */
uint64_t srv_notify_watchdog_ms(const struct srv_notify *n);

#endif
