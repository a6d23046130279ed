/* SPDX-License-Identifier: MIT */
/*
 * hostlink-listen.c - the daemon's host-link listeners: UNIX and TCP
 * sockets, host ids bound to local identities, accept with its limits
 * (max_conns, replacing the oldest un-HELLOed connection, pausing when out
 * of fds) and new connections.
 */
#include "hostlink/hostlink-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "common/usock.h"

/* ------------------------------------------------------------ listeners */

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static void watch_listener(struct hostlink *hl, struct listener *l, unsigned events)
{
	if (hl->cfg.watch && hl->cfg.watch->mod)
		hl->cfg.watch->mod(hl->cfg.watch_opaque, l->fd, events);
}

/*
 * Out of file descriptors the pending connection stays in the backlog and
 * the listener stays readable: watching it would spin.  Stop watching, say
 * so once per shortage, retry when a connection closes or after
 * ACCEPT_RETRY_MS.
 */
static void pause_accept(struct hostlink *hl, struct listener *l, int err)
{
	if (!hl->starved_logged) {
		hostlink_logf(hl, LOG_WARNING, "accept paused: %s (retrying every %u ms)",
			      strerror(err), ACCEPT_RETRY_MS);
		hl->starved_logged = true;
	}
	hl->st.accept_pauses++;
	l->paused = true;
	watch_listener(hl, l, 0);
	if (!hl->retry_due_ms)
		hl->retry_due_ms = hostlink_now_ms(hl) + ACCEPT_RETRY_MS;
	hostlink_wake_at(hl, hl->retry_due_ms);
}

void hostlink_resume_accept(struct hostlink *hl)
{
	if (!hl->retry_due_ms)
		return;
	hl->retry_due_ms = 0;
	for (struct listener *l = hl->listeners; l; l = l->next) {
		if (l->paused) {
			l->paused = false;
			watch_listener(hl, l, HOSTLINK_IN);
		}
	}
}

/* The listener's oldest connection that has not sent HELLO (the list is newest first). */
static struct conn *oldest_unhelloed(struct hostlink *hl, const struct listener *l)
{
	struct conn *found = NULL;

	for (struct conn *c = hl->conns; c; c = c->next)
		if (c->l == l && !c->hello && !c->dead)
			found = c;
	return found;
}

/* Room for one more connection on @l: evict the oldest un-HELLOed one if full. */
static bool make_room(struct hostlink *hl, struct listener *l)
{
	struct conn *victim;

	if (l->nr_conns < l->lim.max_conns)
		return true;
	victim = oldest_unhelloed(hl, l);
	if (!victim) {
		/* peer-caused and repeatable at will: not worth more than a debug line */
		hostlink_logf(hl, LOG_DEBUG,
			      "listener full (max-conns=%u, all past hello): refusing a connection",
			      l->lim.max_conns);
		return false;
	}
	hostlink_logf(hl, LOG_DEBUG,
		      "listener full (max-conns=%u): dropping fd=%d, which sent no hello",
		      l->lim.max_conns, victim->fd);
	hl->st.evicted++;
	victim->dead = true;
	victim->l = NULL;   /* its slot goes to the new connection now */
	l->nr_conns--;
	return true;
}

static struct conn *conn_new(struct hostlink *hl, struct listener *l, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c)
		c->rbuf = malloc(RBUF_INITIAL);
	if (!c || !c->rbuf) {
		free(c);
		return NULL;
	}
	if (!l->is_unix) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	c->hl = hl;
	c->l = l;
	c->fd = fd;
	c->serial = ++hl->conn_serial;
	c->is_unix = l->is_unix;
	c->bound_only = l->lim.bound_only;
	c->rcap = RBUF_INITIAL;
	c->watched = HOSTLINK_IN;
	c->hello_due_ms = hostlink_now_ms(hl) + l->lim.hello_timeout_ms;
	c->max_out_fds = l->lim.max_out_fds;
	if (hl->cfg.watch && hl->cfg.watch->add &&
	    hl->cfg.watch->add(hl->cfg.watch_opaque, fd, HOSTLINK_IN)) {
		free(c->rbuf);
		free(c);
		return NULL;
	}
	return c;
}

void hostlink_on_accept(struct hostlink *hl, struct listener *l)
{
	while (!l->paused) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				pause_accept(hl, l, errno);
			return;
		}
		if (hl->starved_logged) {
			hostlink_logf(hl, LOG_NOTICE, "accepting connections again");
			hl->starved_logged = false;
		}
		if (!make_room(hl, l)) {
			close(fd);
			continue;
		}
		c = conn_new(hl, l, fd);
		if (!c) {
			close(fd);
			return;
		}
		c->next = hl->conns;
		hl->conns = c;
		hl->nr_conns++;
		l->nr_conns++;
		hostlink_wake_at(hl, c->hello_due_ms);
		hostlink_logf(hl, LOG_DEBUG, "connection fd=%d (%s)", fd,
			      l->is_unix ? "unix" : "tcp");
	}
}

static int add_listener(struct hostlink *hl, int fd, bool is_unix, const char *path,
			const struct hostlink_limits *lim)
{
	struct listener *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	if (path && !(l->path = strdup(path))) {
		free(l);
		return -ENOMEM;
	}
	if (hl->cfg.watch && hl->cfg.watch->add) {
		rc = hl->cfg.watch->add(hl->cfg.watch_opaque, fd, HOSTLINK_IN);
		if (rc) {
			free(l->path);
			free(l);
			return rc;
		}
	}
	l->fd = fd;
	l->is_unix = is_unix;
	l->lim.max_conns = lim && lim->max_conns ? lim->max_conns : hl->cfg.max_conns;
	l->lim.hello_timeout_ms = lim && lim->hello_timeout_ms ? lim->hello_timeout_ms
							       : hl->cfg.hello_timeout_ms;
	l->lim.max_out_fds = lim && lim->max_out_fds ? lim->max_out_fds : hl->cfg.max_out_fds;
	l->lim.bound_only = lim && lim->bound_only;
	l->next = hl->listeners;
	hl->listeners = l;
	return 0;
}

int hostlink_listen_fd(struct hostlink *hl, int fd, int is_unix)
{
	int rc = set_nonblock_cloexec(fd);

	return rc ? rc : add_listener(hl, fd, is_unix != 0, NULL, NULL);
}

/*
 * The kernel's queue of connections not accepted yet, per listener: room
 * for every host of a device (up to 256) arriving at once, as a fleet
 * booting does.  It was 16: past that a TCP host's SYN was dropped and
 * retried a second later, and a non-blocking Unix connect failed (EAGAIN).
 * The kernel caps it at net.core.somaxconn (4096 by default).
 */
#define HL_BACKLOG 512

/*
 * The socket file we just made at @path (still the one @own recorded: the
 * path is not followed if it was replaced) gets group @gid and mode 0660;
 * @own is taken again (the change moved its ctime).  Return 0 or -errno.
 */
static int share_with_group(const char *path, gid_t gid, struct sockpolicy_owned *own)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode) || st.st_dev != own->dev || st.st_ino != own->ino)
		return -EEXIST;
	if (lchown(path, (uid_t)-1, gid) < 0 || chmod(path, 0660) < 0)
		return -errno;
	return sockpolicy_own(path, own);
}

int hostlink_listen_unix(struct hostlink *hl, const char *path, const struct hostlink_limits *lim)
{
	struct sockpolicy_owned own;
	int fd, rc;

	if (!hl || !path)
		return -EINVAL;
	fd = usock_listen_own(path, HL_BACKLOG, &own);
	if (fd == -ENAMETOOLONG)
		return -EINVAL;
	if (fd < 0)
		return fd;
	rc = lim && lim->set_group ? share_with_group(path, lim->group, &own) : 0;
	if (!rc)
		rc = add_listener(hl, fd, true, path, lim);
	if (rc) {
		sockpolicy_release(path, &own);
		close(fd);
		return rc;
	}
	hl->listeners->own = own;
	return 0;
}

int hostlink_bind_host(struct hostlink *hl, uint16_t host, uid_t uid, gid_t gid)
{
	struct hl_bind *b;

	if (!hl || host >= hl->nr_hosts || uid == (uid_t)-1)
		return -EINVAL;
	b = &hl->binds[host];
	if (b->bound && (b->uid != uid || b->gid != gid))
		return -EEXIST;
	*b = (struct hl_bind){ .bound = true, .check_gid = gid != (gid_t)-1, .uid = uid, .gid = gid };
	if (gid != (gid_t)-1)
		hostlink_logf(hl, LOG_INFO, "host=%u bound to uid %u gid %u", host, (unsigned)uid,
			      (unsigned)gid);
	else
		hostlink_logf(hl, LOG_INFO, "host=%u bound to uid %u", host, (unsigned)uid);
	return 0;
}

int hostlink_listen_tcp(struct hostlink *hl, const char *addr, uint16_t port, uint16_t *port_out,
			const struct hostlink_limits *lim)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t sl = sizeof(sa);
	int fd, rc, one = 1;

	if (!hl || inet_pton(AF_INET, addr ? addr : "127.0.0.1", &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, HL_BACKLOG) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (port_out)
		*port_out = ntohs(sa.sin_port);
	rc = add_listener(hl, fd, false, NULL, lim);
	if (rc) {
		close(fd);
		return rc;
	}
	if (!sockpolicy_is_loopback((const struct sockaddr *)&sa)) {
		char bound[64];

		snprintf(bound, sizeof(bound), "tcp:%s:%u", addr, ntohs(sa.sin_port));
		hostlink_logf(hl, LOG_WARNING, SOCKPOLICY_TCP_WARNING, bound);
	}
	return 0;
}
