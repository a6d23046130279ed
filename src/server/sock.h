/* SPDX-License-Identifier: MIT */
/*
 * sock.h - stream listeners (Unix and TCP) and accepted connections with
 * buffered non-blocking output, on the daemon loop.
 *
 * A slow or vanished peer never blocks or kills the daemon: writes never
 * block (unsent bytes wait in a per-connection buffer), SIGPIPE is avoided
 * with MSG_NOSIGNAL, and closing is deferred to a safe point of the loop so
 * a connection can be closed from inside any callback.
 *
 * Writes of one loop round are sent together, in order, at its end (a
 * loop_defer node per connection with output queued, loop.h): a peer that
 * pipelines requests gets the replies of one read in one send(), not one
 * each.  The end of a round is before the daemon's group commit and again
 * after it (loop_set_after_dispatch()): a reply that is ready does not wait
 * for the disk, and the commit's answers leave right after it.  Once 64 KiB
 * are queued (or the high mark, if lower) they go at
 * once, so a round never holds more than that per connection.  A
 * connection closed in the round still sends what was written before the
 * close; sock_listener_free() sends what each one can without blocking.
 *
 * Backpressure.  Each connection has a cap (SOCK_OUTBUF_DEFAULT, 8 MiB): the
 * largest one message may be.  Once an eighth of it is queued (the high
 * mark, 1 MiB) the connection is backlogged: its protocol runs no further
 * request (sock_conn_backlogged()) and keeps what arrives (ops->held), and
 * once it holds SOCK_IN_HOLD_MAX bytes the connection is no longer read, so
 * the peer's own writes block.  When the queue falls to a 32nd of the cap
 * (the low mark, 256 KiB), ops->on_drained runs the held requests and
 * reading resumes.  Replies alone so never queue more than high mark + cap
 * (9 MiB): a peer that pipelines requests and reads late is never dropped.
 * A queue that would pass twice the cap (16 MiB) drops the connection with
 * a warning: only output the peer did not ask for (events) could get there,
 * and QMP sessions write events only while they fit in the cap beside the
 * queue (src/qmp, EVENTS_OMITTED), so this is a last resort.
 * What it is not: a protocol.  Bytes go up through on_data.
 */
#ifndef CXLDCD_SERVER_SOCK_H
#define CXLDCD_SERVER_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct loop;
struct sock_listener;
struct sock_conn;

#define SOCK_PATH_MAX 108
#define SOCK_OUTBUF_DEFAULT (8u << 20)
#define SOCK_MAX_CONNS_DEFAULT 64u     /* connections one listener keeps (max-conns=) */
/* Input a backlogged connection's protocol may hold before reading stops. */
#define SOCK_IN_HOLD_MAX (1u << 20)

enum sock_kind { SOCK_UNIX = 1, SOCK_TCP };

/*
 * The address family a TCP listener binds (QEMU's ipv4=/ipv6= options):
 * any the host resolves to (the first that binds), IPv4 only, IPv6 (an
 * IPv6 socket that also takes IPv4-mapped peers), or IPv6 only
 * (IPV6_V6ONLY: ipv4=off).  Without a host: 127.0.0.1, or ::1 for the IPv6
 * ones.
 */
enum sock_family { SOCK_FAMILY_ANY = 0, SOCK_FAMILY_IPV4, SOCK_FAMILY_IPV6,
		   SOCK_FAMILY_IPV6_ONLY };

/* A listening address as written on the command line. */
struct sock_addr {
	enum sock_kind kind;
	char path[SOCK_PATH_MAX];   /* SOCK_UNIX */
	char host[256];             /* SOCK_TCP; empty = loopback */
	char port[16];              /* SOCK_TCP; "0" = ephemeral */
	enum sock_family family;    /* SOCK_TCP */
	/* SOCK_TCP: 0, or the last port to try when port is in use (QEMU's to=) */
	uint16_t port_to;
};

/**
 * sock_addr_parse() - "unix:PATH" or "tcp:HOST:PORT" ("tcp:[::1]:PORT",
 * "tcp::PORT" = loopback).  Options after the first ',' are not part of
 * the address: the caller splits them off.
 * @err: receives a message naming the problem
 * Return: 0 or -EINVAL.
 */
int sock_addr_parse(const char *s, struct sock_addr *out, char *err, size_t errlen);

/** sock_addr_str() - "unix:PATH" / "tcp:HOST:PORT" into @buf. */
void sock_addr_str(const struct sock_addr *a, char *buf, size_t len);

typedef void sock_accept_fn(void *opaque, struct sock_conn *conn);

struct sock_conn_ops {
	/* Bytes received (borrowed for the call). */
	void (*on_data)(void *opaque, struct sock_conn *c, const uint8_t *buf, size_t len);
	/* The connection is going away (peer closed, error, overflow, close
	 * request); called once at a safe point, then the connection is freed. */
	void (*on_close)(void *opaque, struct sock_conn *c);
	/* Optional: bytes of received input the protocol holds unprocessed. */
	size_t (*held)(void *opaque, struct sock_conn *c);
	/* Optional: a backlog drained to the low mark; run the held input. */
	void (*on_drained)(void *opaque, struct sock_conn *c);
};

/**
 * sock_listen() - bind and listen on @addr, accepting on @l.
 * Unix socket paths follow src/common/sockpolicy.h: created 0600; a stale
 * socket file (nobody accepting) is replaced, a live one is refused with
 * -EADDRINUSE, any other file with -EEXIST.  TCP binds to the loopback
 * address when @addr names no host, and warns (one log line) when bound
 * elsewhere; it binds @addr->family only, and with @addr->port_to tries
 * each port from @addr->port to it until one is free.  Out of fds (EMFILE/ENFILE), accepting pauses with one log
 * line and resumes when a connection closes or after 250 ms.
 * @accept: called for each accepted connection; it must call
 *          sock_conn_set_ops() (otherwise received data is discarded)
 * @out: caller frees with sock_listener_free()
 * Return: 0 or -errno.
 */
int sock_listen(struct loop *l, const struct sock_addr *addr, const struct srv_log *log,
		sock_accept_fn *accept, void *opaque, struct sock_listener **out);

/**
 * sock_listener_free() - stop listening, flush what each connection can
 * send without blocking, close them all (on_close is called), and remove
 * the Unix socket file if it is still the one sock_listen() created.  NULL
 * is a no-op.
 */
void sock_listener_free(struct sock_listener *ls);

/** sock_listener_addr() - the bound address (TCP: the real port). */
void sock_listener_addr(const struct sock_listener *ls, char *buf, size_t len);

/** sock_listener_set_outbuf_max() - cap for each new connection's output buffer. */
void sock_listener_set_outbuf_max(struct sock_listener *ls, size_t max);

/**
 * sock_listener_set_max_conns() - connections @ls keeps open (0: the
 * default, SOCK_MAX_CONNS_DEFAULT).  When a new one arrives at the limit,
 * the oldest connection not yet marked with sock_conn_set_established() is
 * closed to make room; if every connection is established, the new one is
 * refused.  Either way one line is logged at debug level (peer-driven).
 */
void sock_listener_set_max_conns(struct sock_listener *ls, uint32_t max);

/**
 * sock_conn_set_established() - @c finished its protocol's handshake (QMP:
 * capabilities negotiated): it is no longer evicted for a newcomer.  A
 * protocol without a handshake marks every connection at accept.
 */
void sock_conn_set_established(struct sock_conn *c);

void sock_conn_set_ops(struct sock_conn *c, const struct sock_conn_ops *ops, void *opaque);

/**
 * sock_conn_write() - queue @len bytes, sent at the end of the loop round
 * (at once when enough is queued, see above).  A peer found gone (EPIPE,
 * ECONNRESET) at that send gets the connection closed, as at any send.
 * Return: 0; -EPIPE if the connection is closing or a send now failed;
 * -ENOBUFS if the queue would pass twice the cap (the connection is then
 * being closed); -ENOMEM.
 */
int sock_conn_write(struct sock_conn *c, const void *buf, size_t len);

/** sock_conn_room() - the largest one message may be (the cap); 0 when closing. */
size_t sock_conn_room(const struct sock_conn *c);

/**
 * sock_conn_backlogged() - the queue reached the high mark and has not yet
 * fallen to the low mark: run no further request of this peer now.
 */
bool sock_conn_backlogged(const struct sock_conn *c);

/** sock_conn_queued() - bytes queued and not yet sent. */
size_t sock_conn_queued(const struct sock_conn *c);

/** sock_conn_out_cap() - bytes allocated for queued output (0 when idle after a burst). */
size_t sock_conn_out_cap(const struct sock_conn *c);

/** sock_conn_close() - request a close; happens at the next safe point. */
void sock_conn_close(struct sock_conn *c);

/** sock_conn_name() - "unix:5" / "tcp:127.0.0.1:40000" style label. */
const char *sock_conn_name(const struct sock_conn *c);

#endif
