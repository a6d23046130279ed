/* SPDX-License-Identifier: MIT */
/*
 * sock.c - buffered non-blocking connections on the daemon loop: output
 * queued and sent at the end of a round, backpressure, deferred close.  See
 * sock.h for the guarantees.  What is not here: listening and accepting
 * (sock-listen.c), addresses (sock-addr.c).
 *
 * Output of a connection is in one of three states: none queued; queued
 * this round and not tried yet (the connection's loop_defer node is queued:
 * the end of the round sends it, one send() for all the replies a pipelined
 * peer's read produced, or two when the group commit answered some of
 * them); or queued behind a send() that would have blocked
 * (LOOP_OUT is watched, and sock_conn_on_io() sends it).
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"
#include "sock.h"
#include "sock-int.h"

#define READ_CHUNK 65536
#define SOCK_OUT_KEEP 65536   /* output buffer kept between bursts */
#define SOCK_TRIM_AFTER (1u << 20)   /* a message this long ends a burst too (sent at once or not) */
/* A round's replies are sent at its end, or at once when this much is queued. */
#define SOCK_FLUSH_AT SOCK_OUT_KEEP

/* ---- connections ---------------------------------------------------- */

void sock_conn_destroy(struct sock_conn *c)
{
	struct sock_listener *ls = c->ls;

	/*
	 * Closing however it got here (sock_listener_free() too): a write from
	 * on_close is refused, never queued for a round c will not see.
	 */
	c->closing = true;
	/* Written before the close was asked for (a reply, then close): it goes first. */
	if (loop_deferred(&c->round_end)) {
		loop_defer_cancel(&c->round_end);
		sock_conn_flush(c);
	}
	if (c->timer_set)
		loop_del_timer(ls->loop, c->timer_id);
	if (c->ops && c->ops->on_close)
		c->ops->on_close(c->opaque, c);
	loop_del_fd(ls->loop, c->fd);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		ls->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv_log(ls->log, LOG_INFO, "%s: disconnected", c->name);
	free(c->out);
	free(c);
	sock_listener_resume_accept(ls);
}

static void on_close_timer(struct loop *l, void *opaque)
{
	struct sock_conn *c = opaque;

	(void)l;
	c->timer_set = false;
	sock_conn_destroy(c);
}

void sock_conn_close(struct sock_conn *c)
{
	if (c->timer_set)
		return;
	c->closing = true;
	if (loop_add_timer(c->ls->loop, 0, on_close_timer, c, &c->timer_id) == 0)
		c->timer_set = true;
	/* Without memory for a timer the connection lingers until shutdown. */
}

static void close_for(struct sock_conn *c, const char *why)
{
	if (c->closing)
		return;
	srv_log(c->ls->log, LOG_DEBUG, "%s: closing: %s", c->name, why);
	sock_conn_close(c);
}

/*
 * A freed burst buffer goes back to the system: glibc raises its mmap
 * threshold after freeing a large mapped block, so the next burst's buffer
 * lives in the heap, which free() alone does not shrink.
 */
static void give_back_memory(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

static void on_trim_timer(struct loop *l, void *opaque)
{
	struct sock_listener *ls = opaque;

	(void)l;
	ls->trim_set = false;
	give_back_memory();
}

/*
 * A big message went out at once: its sender still holds what built it
 * (the text, the JSON), freed when the callback returns.  Give the memory
 * back after this round of callbacks, not now (at once if no timer).
 */
static void trim_after_round(struct sock_listener *ls)
{
	if (ls->trim_set)
		return;
	if (loop_add_timer(ls->loop, 0, on_trim_timer, ls, &ls->trim_timer) == 0)
		ls->trim_set = true;
	else
		give_back_memory();
}

/* High and low marks of backpressure (sock.h): an eighth and a 32nd of the cap. */
static size_t high_mark(const struct sock_conn *c)
{
	return c->out_max / 8;
}

static size_t low_mark(const struct sock_conn *c)
{
	return c->out_max / 32;
}

/*
 * Queued this much, send now.  At most the high mark, so output that waits
 * for the end of the round never makes a connection backlogged: only a
 * peer that does not read does.
 */
static size_t flush_at(const struct sock_conn *c)
{
	return high_mark(c) < SOCK_FLUSH_AT ? high_mark(c) : SOCK_FLUSH_AT;
}

/* Output queued, and none of it waits for the end of the round: LOOP_OUT is (to be) watched. */
static bool waiting_out(const struct sock_conn *c)
{
	return c->out_len && !loop_deferred(&c->round_end);
}

static size_t input_held(const struct sock_conn *c)
{
	return c->ops && c->ops->held ? c->ops->held(c->opaque, (struct sock_conn *)c) : 0;
}

/*
 * Watch for input unless backlogged with SOCK_IN_HOLD_MAX bytes of input
 * already held by the protocol: the rest of the peer's requests then wait in
 * the kernel (the peer's writes block) until its replies drain.
 */
static void rewatch(struct sock_conn *c)
{
	bool reading = !(c->backlogged && input_held(c) >= SOCK_IN_HOLD_MAX);
	unsigned ev = (reading ? LOOP_IN : 0) | (waiting_out(c) ? LOOP_OUT : 0);

	if (c->closing)
		return;
	c->reading = reading;
	loop_mod_fd(c->ls->loop, c->fd, ev);
}

/* Send what the socket takes now of @len bytes; return how many, or -1 when the connection must go. */
static ssize_t send_some(int fd, const char *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Send queued bytes; return false when the connection must go. */
bool sock_conn_flush(struct sock_conn *c)
{
	/* nothing queued: c->out may be NULL, and NULL + 0 is undefined */
	if (c->out_len) {
		ssize_t n = send_some(c->fd, c->out + c->out_off, c->out_len);

		if (n < 0)
			return false;
		c->out_off += (size_t)n;
		c->out_len -= (size_t)n;
		if (c->out_len)
			return true;
	}
	c->out_off = 0;
	/* A burst is over: give its buffer back rather than keep every client at its peak. */
	if (c->out_cap > SOCK_OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
		give_back_memory();
	}
	return true;
}

size_t sock_conn_room(const struct sock_conn *c)
{
	return c->closing ? 0 : c->out_max;
}

bool sock_conn_backlogged(const struct sock_conn *c)
{
	return c->backlogged;
}

size_t sock_conn_queued(const struct sock_conn *c)
{
	return c->out_len;
}

size_t sock_conn_out_cap(const struct sock_conn *c)
{
	return c->out_cap;
}

static int queue(struct sock_conn *c, const char *buf, size_t len)
{
	/* Replies stop at high mark + cap (sock.h); only unread events get here. */
	if (len > 2 * c->out_max - c->out_len) {
		srv_log(c->ls->log, LOG_WARNING,
			"%s: dropping the connection: %zu bytes of output unread, more than %zu (peer not reading)",
			c->name, c->out_len + len, 2 * c->out_max);
		close_for(c, "output buffer limit exceeded (peer not reading)");
		return -ENOBUFS;
	}
	if (c->out_off + c->out_len + len > c->out_cap) {
		if (c->out_off) {
			memmove(c->out, c->out + c->out_off, c->out_len);
			c->out_off = 0;
		}
		if (c->out_len + len > c->out_cap) {
			size_t ncap = c->out_cap ? c->out_cap : 4096;
			char *n;

			while (ncap < c->out_len + len)
				ncap *= 2;
			n = realloc(c->out, ncap);
			if (!n) {
				close_for(c, "out of memory for output");
				return -ENOMEM;
			}
			c->out = n;
			c->out_cap = ncap;
		}
	}
	memcpy(c->out + c->out_off + c->out_len, buf, len);
	c->out_len += len;
	if (c->out_len >= high_mark(c))
		c->backlogged = true;
	return 0;
}

/* The end of a round: send what it queued; what the socket does not take waits for LOOP_OUT. */
void sock_conn_on_round_end(struct loop *l, void *opaque)
{
	struct sock_conn *c = opaque;

	(void)l;
	if (!sock_conn_flush(c))
		close_for(c, "write failed");
	else if (c->out_len)
		rewatch(c);
}

int sock_conn_write(struct sock_conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	bool was_empty = c->out_len == 0;
	ssize_t n = 0;
	int rc;

	if (c->closing)
		return -EPIPE;
	if (!len)
		return 0;
	/* Behind output that waits for LOOP_OUT, or with the rest of this round's replies. */
	if (waiting_out(c) || c->out_len + len < flush_at(c)) {
		rc = queue(c, p, len);
		if (rc == 0 && was_empty)
			loop_defer(c->ls->loop, &c->round_end);
		if (rc == 0 && c->backlogged && c->reading)
			rewatch(c);
		return rc;
	}
	/* Enough for a send of its own: what the round queued first, then @buf as it is. */
	loop_defer_cancel(&c->round_end);
	if (!sock_conn_flush(c))
		n = -1;
	else if (!c->out_len)
		n = send_some(c->fd, p, len);
	if (n < 0) {
		close_for(c, "write failed");
		return -EPIPE;
	}
	/*
	 * A message this long ends a burst whether it left at once or not: what
	 * built it is freed when this round's callbacks return.  (The rest that
	 * waits for LOOP_OUT may be small, a buffer sock_conn_flush() keeps,
	 * which then gives nothing back.)
	 */
	if (len >= SOCK_TRIM_AFTER)
		trim_after_round(c->ls);
	if ((size_t)n == len)
		return 0;
	rc = queue(c, p + n, len - (size_t)n);
	if (rc == 0)
		rewatch(c);     /* the socket is full: LOOP_OUT */
	return rc;
}

/* Output fell to the low mark after a backlog: the protocol takes its held input again. */
static void drained(struct sock_conn *c)
{
	c->backlogged = false;
	if (c->ops && c->ops->on_drained)
		c->ops->on_drained(c->opaque, c);
	rewatch(c);
}

void sock_conn_on_io(struct loop *l, int fd, unsigned events, void *opaque)
{
	struct sock_conn *c = opaque;
	uint8_t buf[READ_CHUNK];

	(void)l;
	if (c->closing)
		return;
	if (events & LOOP_OUT) {
		if (!sock_conn_flush(c)) {
			close_for(c, "write failed");
			return;
		}
		if (c->backlogged && c->out_len <= low_mark(c))
			drained(c);
		else if (!c->out_len)
			rewatch(c);
		if (c->closing)
			return;
	}
	if ((events & (LOOP_IN | LOOP_ERR)) && c->reading) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			close_for(c, n == 0 ? "peer closed" : "read failed");
			return;
		}
		if (n > 0 && c->ops && c->ops->on_data)
			c->ops->on_data(c->opaque, c, buf, (size_t)n);
		if (c->backlogged && c->reading)
			rewatch(c);
	}
}

void sock_conn_set_ops(struct sock_conn *c, const struct sock_conn_ops *ops, void *opaque)
{
	c->ops = ops;
	c->opaque = opaque;
}

const char *sock_conn_name(const struct sock_conn *c)
{
	return c->name;
}

void sock_conn_set_established(struct sock_conn *c)
{
	c->established = true;
}
