/* SPDX-License-Identifier: MIT */
/*
 * sockpolicy.h - the one rule set every listener of the daemon follows
 * (QMP, FM and host link; docs/cmdline.md "Sockets"):
 *
 *  - A Unix socket path where a live process accepts (connect() succeeds)
 *    is never taken over: the daemon refuses to start, naming the path.
 *  - A stale socket file there (connect() gets ECONNREFUSED: its owner is
 *    gone) is replaced.
 *  - Any other file there (regular file, directory, fifo) is refused.
 *  - At exit the daemon removes only the socket file it created: the inode
 *    at the path must still be the one it bound.
 *  - A TCP listener trusts every process that can connect to it, as
 *    QEMU's do; one not bound to a loopback address gets a warning.
 *
 * Stateless helpers: the caller keeps the struct sockpolicy_owned.
 */
#ifndef CXLDCD_COMMON_SOCKPOLICY_H
#define CXLDCD_COMMON_SOCKPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

/* The socket file a listener created (device and inode). */
struct sockpolicy_owned {
	dev_t dev;
	ino_t ino;
	struct timespec ctime;      /* inode numbers are reused; a later chmod by someone
				     * else makes us leave it (replaced as stale next time) */
	bool valid;
};

/**
 * sockpolicy_claim() - make @path free for bind().
 * Return: 0 (nothing there, or a stale socket that was removed),
 * -EADDRINUSE (a live socket), -EEXIST (not a socket), or -errno.
 */
int sockpolicy_claim(const char *path);

/** sockpolicy_own() - record the socket file just bound at @path.  Return 0 or -errno. */
int sockpolicy_own(const char *path, struct sockpolicy_owned *own);

/**
 * sockpolicy_release() - unlink @path if it is still the socket @own
 * recorded (another daemon may have replaced a stale one since).
 * @own: borrowed; NULL or not valid: nothing is removed.
 */
void sockpolicy_release(const char *path, const struct sockpolicy_owned *own);

/*
 * A getaddrinfo() failure (EAI_*, negative) carried in a -errno return: below
 * every errno, so sockpolicy_strerror() can give the resolver's reason.
 */
#define SOCKPOLICY_EAI_BASE 100000
static inline int sockpolicy_eai_rc(int gai) { return gai - SOCKPOLICY_EAI_BASE; }

/**
 * sockpolicy_strerror() - the message for a listen failure @rc at @path:
 * "socket PATH is in use by another process", "PATH exists and is not a
 * socket", "address resolution failed: REASON" (sockpolicy_eai_rc()), or
 * strerror().  Return: @buf.
 */
const char *sockpolicy_strerror(int rc, const char *path, char *buf, size_t len);

/** sockpolicy_is_loopback() - @sa is 127.0.0.0/8, ::1 or v4-mapped loopback. */
/* The one-line warning for a TCP listener off loopback; %s: "tcp:HOST:PORT". */
#define SOCKPOLICY_TCP_WARNING \
	"warning: %s is not a loopback address: anyone who can connect to it is trusted (no authentication)"

bool sockpolicy_is_loopback(const struct sockaddr *sa);

#endif /* CXLDCD_COMMON_SOCKPOLICY_H */
