/* SPDX-License-Identifier: MIT */
/*
 * sock-listen.c - stream listeners (Unix and TCP) on the daemon loop: the
 * socket bound, connections accepted and admitted within max-conns (the
 * oldest one that has not finished its handshake makes room), accepting
 * paused while out of file descriptors, and the address a listener got.
 * What is not here: a connection once accepted (sock.c), parsing and
 * printing addresses (sock-addr.c).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include "sock-int.h"

/* Out of fds: try accepting again this often (and whenever a connection closes). */
#define ACCEPT_RETRY_MS 250

/* ---- accept pausing ------------------------------------------------- */

/*
 * Out of file descriptors (EMFILE/ENFILE) the pending connection stays in
 * the kernel's backlog and the listener stays readable: watching it would
 * spin.  Stop watching, say so once, and try again when one of our
 * connections closes or after ACCEPT_RETRY_MS.
 */
void sock_listener_resume_accept(struct sock_listener *ls)
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
	sock_listener_resume_accept(ls);
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
	if (!c || loop_add_fd(ls->loop, fd, LOOP_IN, sock_conn_on_io, c)) {
		srv_log(ls->log, LOG_WARNING, "cannot take a new connection: out of memory");
		free(c);
		close(fd);
		return;
	}
	c->ls = ls;
	c->fd = fd;
	c->reading = true;
	loop_defer_init(&c->round_end, sock_conn_on_round_end, c);
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
		sock_conn_flush(ls->conns);
		sock_conn_destroy(ls->conns);
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
