/* SPDX-License-Identifier: MIT */
/*
 * sock.c - Unix/TCP listeners and buffered non-blocking connections on the
 * daemon loop.  See sock.h for the guarantees.
 *
 * Output of a connection is in one of three states: none queued; queued
 * this round and not tried yet (the connection's loop_defer node is queued:
 * the end of the round sends it, one send() for all the replies a pipelined
 * peer's read produced, or two when the group commit answered some of
 * them); or queued behind a send() that would have blocked
 * (LOOP_OUT is watched, and on_conn() sends it).
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "common/sockpolicy.h"
#include "common/usock.h"
#include "loop.h"
#include "sock.h"

#define READ_CHUNK 65536
/* Out of fds: try accepting again this often (and whenever a connection closes). */
#define ACCEPT_RETRY_MS 250
#define SOCK_OUT_KEEP 65536   /* output buffer kept between bursts */
#define SOCK_TRIM_AFTER (1u << 20)   /* a message this long sent at once ends a burst too */
/* A round's replies are sent at its end, or at once when this much is queued. */
#define SOCK_FLUSH_AT SOCK_OUT_KEEP

struct sock_conn {
	struct sock_listener *ls;
	struct sock_conn *prev, *next;
	int fd;
	char *out;
	size_t out_off, out_len, out_cap, out_max;
	bool closing;
	bool established;               /* sock_conn_set_established() */
	bool timer_set;
	bool backlogged;                /* out_len reached the high mark, not yet the low one */
	bool reading;                   /* LOOP_IN is in the watch */
	uint64_t timer_id;
	struct loop_defer round_end;    /* queued: output to send at the end of the round */
	const struct sock_conn_ops *ops;
	void *opaque;
	char name[96];
};

struct sock_listener {
	struct loop *loop;
	const struct srv_log *log;
	struct sock_addr addr;
	int fd;
	struct sockpolicy_owned own;    /* the Unix socket file we created */
	size_t outbuf_max;
	uint32_t max_conns;             /* sock_listener_set_max_conns() */
	bool paused;                    /* out of fds: not watching, see pause_accept() */
	bool starved_logged;            /* the one log line of this shortage is out */
	bool retry_set;
	uint64_t retry_timer;
	bool trim_set;                  /* give_back_memory() after this round (trim_after_round()) */
	uint64_t trim_timer;
	sock_accept_fn *accept;
	void *opaque;
	struct sock_conn *conns;
	unsigned long nr_accepted;
};

/* ---- accept pausing ------------------------------------------------- */

/*
 * Out of file descriptors (EMFILE/ENFILE) the pending connection stays in
 * the kernel's backlog and the listener stays readable: watching it would
 * spin.  Stop watching, say so once, and try again when one of our
 * connections closes or after ACCEPT_RETRY_MS.
 */
static void resume_accept(struct sock_listener *ls)
{
	if (!ls->paused)
		return;
	if (ls->retry_set) {
		loop_del_timer(ls->loop, ls->retry_timer);
		ls->retry_set = false;
	}
	ls->paused = false;
	loop_mod_fd(ls->loop, ls->fd, LOOP_IN);
}

static void on_retry(struct loop *l, void *opaque)
{
	struct sock_listener *ls = opaque;

	(void)l;
	ls->retry_set = false;
	resume_accept(ls);
}

static void pause_accept(struct sock_listener *ls, int err)
{
	if (!ls->starved_logged) {
		char addr[300];

		sock_addr_str(&ls->addr, addr, sizeof(addr));
		srv_log(ls->log, LOG_WARNING, "%s: accept paused: %s (retrying every %d ms)", addr,
			strerror(err), ACCEPT_RETRY_MS);
		ls->starved_logged = true;
	}
	ls->paused = true;
	loop_mod_fd(ls->loop, ls->fd, 0);
	if (!ls->retry_set &&
	    loop_add_timer(ls->loop, ACCEPT_RETRY_MS, on_retry, ls, &ls->retry_timer) == 0)
		ls->retry_set = true;
}

/* ---- addresses ------------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_port(const char *p, char *out, size_t outlen)
{
	char *end;
	unsigned long v;

	if (!*p || strlen(p) >= outlen)
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || *end || v > 65535 || *p == '-' || *p == '+')
		return -EINVAL;
	snprintf(out, outlen, "%lu", v);
	return 0;
}

static int parse_tcp(const char *s, struct sock_addr *out, char *err, size_t errlen)
{
	const char *colon;
	size_t hlen;

	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return bad(err, errlen, "'%s': expected tcp:[IPV6]:PORT", s);
		hlen = (size_t)(rb - s - 1);
		s++;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return bad(err, errlen, "'%s': expected tcp:HOST:PORT", s);
		hlen = (size_t)(colon - s);
	}
	if (hlen >= sizeof(out->host))
		return bad(err, errlen, "'%s': host name too long", s);
	memcpy(out->host, s, hlen);
	out->host[hlen] = 0;
	if (parse_port(colon + 1, out->port, sizeof(out->port)))
		return bad(err, errlen, "'%s': port must be a number 0..65535", colon + 1);
	return 0;
}

int sock_addr_parse(const char *s, struct sock_addr *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(s, "unix:", 5) == 0) {
		const char *p = s + 5;

		if (!*p)
			return bad(err, errlen, "'%s': empty socket path", s);
		if (strlen(p) >= sizeof(out->path))
			return bad(err, errlen, "'%s': socket path longer than 107 bytes", s);
		out->kind = SOCK_UNIX;
		snprintf(out->path, sizeof(out->path), "%s", p);
		return 0;
	}
	if (strncmp(s, "tcp:", 4) == 0) {
		out->kind = SOCK_TCP;
		return parse_tcp(s + 4, out, err, errlen);
	}
	return bad(err, errlen, "'%s': expected unix:PATH or tcp:HOST:PORT", s);
}

void sock_addr_str(const struct sock_addr *a, char *buf, size_t len)
{
	if (a->kind == SOCK_UNIX)
		snprintf(buf, len, "unix:%s", a->path);
	else if (strchr(a->host, ':'))
		snprintf(buf, len, "tcp:[%s]:%s", a->host, a->port);
	else
		snprintf(buf, len, "tcp:%s:%s", a->host[0] ? a->host : "127.0.0.1", a->port);
}

/* ---- connections ---------------------------------------------------- */

static bool flush(struct sock_conn *c);

static void conn_destroy(struct sock_conn *c)
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
		flush(c);
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
	resume_accept(ls);
}

static void on_close_timer(struct loop *l, void *opaque)
{
	struct sock_conn *c = opaque;

	(void)l;
	c->timer_set = false;
	conn_destroy(c);
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
static bool flush(struct sock_conn *c)
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
static void on_round_end(struct loop *l, void *opaque)
{
	struct sock_conn *c = opaque;

	(void)l;
	if (!flush(c))
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
	if (!flush(c))
		n = -1;
	else if (!c->out_len)
		n = send_some(c->fd, p, len);
	if (n < 0) {
		close_for(c, "write failed");
		return -EPIPE;
	}
	if ((size_t)n == len) {
		if (n >= SOCK_TRIM_AFTER)
			trim_after_round(c->ls);
		return 0;
	}
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

static void on_conn(struct loop *l, int fd, unsigned events, void *opaque)
{
	struct sock_conn *c = opaque;
	uint8_t buf[READ_CHUNK];

	(void)l;
	if (c->closing)
		return;
	if (events & LOOP_OUT) {
		if (!flush(c)) {
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

static void conn_label(struct sock_listener *ls, struct sock_conn *c,
		       const struct sockaddr_storage *ss)
{
	char host[64] = "?";

	if (ls->addr.kind == SOCK_UNIX) {
		snprintf(c->name, sizeof(c->name), "unix#%lu", ls->nr_accepted);
		return;
	}
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(c->name, sizeof(c->name), "tcp:%s:%u", host, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(c->name, sizeof(c->name), "tcp:[%s]:%u", host, ntohs(in6->sin6_port));
	}
}

/*
 * Room for one more connection?  At max_conns live (not closing) ones, the
 * oldest that has not finished its handshake is closed to make room (the
 * list is newest first); with none such, the newcomer is refused.
 */
static bool admit(struct sock_listener *ls)
{
	struct sock_conn *victim = NULL;
	uint32_t live = 0;
	char addr[300];

	for (struct sock_conn *c = ls->conns; c; c = c->next) {
		if (c->closing)
			continue;
		live++;
		if (!c->established)
			victim = c;
	}
	if (live < ls->max_conns)
		return true;
	sock_addr_str(&ls->addr, addr, sizeof(addr));
	if (!victim) {
		srv_log(ls->log, LOG_DEBUG,
			"%s: listener full (max-conns=%u, none awaiting a handshake): refusing a connection",
			addr, ls->max_conns);
		return false;
	}
	srv_log(ls->log, LOG_DEBUG,
		"%s: listener full (max-conns=%u): dropping %s, which has not finished its handshake",
		addr, ls->max_conns, victim->name);
	sock_conn_close(victim);
	return true;
}

static void accept_one(struct sock_listener *ls, int fd, const struct sockaddr_storage *ss)
{
	struct sock_conn *c;

	if (!admit(ls)) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || loop_add_fd(ls->loop, fd, LOOP_IN, on_conn, c)) {
		srv_log(ls->log, LOG_WARNING, "cannot take a new connection: out of memory");
		free(c);
		close(fd);
		return;
	}
	c->ls = ls;
	c->fd = fd;
	c->reading = true;
	loop_defer_init(&c->round_end, on_round_end, c);
	c->out_max = ls->outbuf_max;
	ls->nr_accepted++;
	conn_label(ls, c, ss);
	c->next = ls->conns;
	if (ls->conns)
		ls->conns->prev = c;
	ls->conns = c;
	srv_log(ls->log, LOG_INFO, "%s: connected", c->name);
	ls->accept(ls->opaque, c);
}

static void on_listen(struct loop *l, int fd, unsigned events, void *opaque)
{
	struct sock_listener *ls = opaque;

	(void)l; (void)events;
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				pause_accept(ls, errno);
			else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				srv_log(ls->log, LOG_WARNING, "accept: %s", strerror(errno));
			return;
		}
		if (ls->starved_logged) {
			char addr[300];

			sock_addr_str(&ls->addr, addr, sizeof(addr));
			srv_log(ls->log, LOG_NOTICE, "%s: accepting connections again", addr);
			ls->starved_logged = false;
		}
		memset((char *)&ss + sl, 0, sizeof(ss) - sl);
		/*
		 * A round's replies leave in one write: nothing for Nagle's
		 * algorithm to merge, only a reply or event to hold back behind an
		 * unacknowledged one (QEMU's nodelay=on, always).
		 */
		if (ls->addr.kind == SOCK_TCP) {
			int one = 1;

			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		accept_one(ls, cfd, &ss);
	}
}

/* ---- listeners ------------------------------------------------------ */

/* The path is taken and given back by the rules of src/common/sockpolicy.h. */
static int listen_unix(struct sock_listener *ls)
{
	int fd = usock_listen_own(ls->addr.path, 64, &ls->own);

	if (fd < 0)
		return fd;
	ls->fd = fd;
	return 0;
}

/* Bind and listen on the first address of @host:@port in @ls->addr.family that takes it. */
static int listen_tcp_port(struct sock_listener *ls, const char *host, const char *port)
{
	static const int families[] = {
		[SOCK_FAMILY_ANY] = AF_UNSPEC, [SOCK_FAMILY_IPV4] = AF_INET,
		[SOCK_FAMILY_IPV6] = AF_INET6, [SOCK_FAMILY_IPV6_ONLY] = AF_INET6,
	};
	struct addrinfo hints = { .ai_family = families[ls->addr.family],
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int rc = -EADDRNOTAVAIL, one = 1, v6only = ls->addr.family == SOCK_FAMILY_IPV6_ONLY;
	int gai = getaddrinfo(host, port, &hints, &res);

	if (gai)
		return gai == EAI_SYSTEM ? -errno : sockpolicy_eai_rc(gai);
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);

		if (fd < 0) {
			rc = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0) {
			ls->fd = fd;
			rc = 0;
			if (!sockpolicy_is_loopback(ai->ai_addr)) {
				char bound[300];

				sock_listener_addr(ls, bound, sizeof(bound));
				srv_log(ls->log, LOG_WARNING, SOCKPOLICY_TCP_WARNING, bound);
			}
			break;
		}
		rc = -errno;
		close(fd);
	}
	freeaddrinfo(res);
	return rc;
}

/* Each port from addr.port to addr.port_to, while the one tried is in use. */
static int listen_tcp(struct sock_listener *ls)
{
	bool v6 = ls->addr.family == SOCK_FAMILY_IPV6 || ls->addr.family == SOCK_FAMILY_IPV6_ONLY;
	const char *host = ls->addr.host[0] ? ls->addr.host : v6 ? "::1" : "127.0.0.1";
	unsigned long port = strtoul(ls->addr.port, NULL, 10);
	unsigned long last = ls->addr.port_to > port ? ls->addr.port_to : port;
	char p[16];
	int rc;

	do {
		snprintf(p, sizeof(p), "%lu", port);
		rc = listen_tcp_port(ls, host, p);
	} while (rc == -EADDRINUSE && port++ < last);
	return rc;
}

int sock_listen(struct loop *l, const struct sock_addr *addr, const struct srv_log *log,
		sock_accept_fn *accept, void *opaque, struct sock_listener **out)
{
	struct sock_listener *ls = calloc(1, sizeof(*ls));
	int rc;

	*out = NULL;
	if (!ls)
		return -ENOMEM;
	ls->loop = l;
	ls->log = log;
	ls->addr = *addr;
	ls->accept = accept;
	ls->opaque = opaque;
	ls->outbuf_max = SOCK_OUTBUF_DEFAULT;
	ls->max_conns = SOCK_MAX_CONNS_DEFAULT;
	ls->fd = -1;
	rc = addr->kind == SOCK_UNIX ? listen_unix(ls) : listen_tcp(ls);
	if (rc)
		goto err;
	rc = loop_add_fd(l, ls->fd, LOOP_IN, on_listen, ls);
	if (rc)
		goto err;
	*out = ls;
	return 0;
err:
	if (ls->fd >= 0)
		close(ls->fd);
	sockpolicy_release(ls->addr.path, &ls->own);
	free(ls);
	return rc;
}

void sock_listener_free(struct sock_listener *ls)
{
	if (!ls)
		return;
	while (ls->conns) {
		flush(ls->conns);
		conn_destroy(ls->conns);
	}
	if (ls->retry_set)
		loop_del_timer(ls->loop, ls->retry_timer);
	if (ls->trim_set)
		loop_del_timer(ls->loop, ls->trim_timer);
	loop_del_fd(ls->loop, ls->fd);
	close(ls->fd);
	sockpolicy_release(ls->addr.path, &ls->own);
	free(ls);
}

void sock_listener_addr(const struct sock_listener *ls, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64];

	if (ls->addr.kind == SOCK_UNIX ||
	    getsockname(ls->fd, (struct sockaddr *)&ss, &sl) < 0) {
		sock_addr_str(&ls->addr, buf, len);
		return;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "tcp:[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in = (const void *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "tcp:%s:%u", host, ntohs(in->sin_port));
	}
}

void sock_listener_set_outbuf_max(struct sock_listener *ls, size_t max)
{
	ls->outbuf_max = max;
}

void sock_listener_set_max_conns(struct sock_listener *ls, uint32_t max)
{
	ls->max_conns = max ? max : SOCK_MAX_CONNS_DEFAULT;
}

void sock_conn_set_established(struct sock_conn *c)
{
	c->established = true;
}
