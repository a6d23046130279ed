/* SPDX-License-Identifier: MIT */
/*
 * preload.c - libcxldcd-mctp.so, Linux AF_MCTP datagram sockets in user
 * space, loaded by cxldcd-mctp-run with LD_PRELOAD (docs/mctp.md).
 *
 * socket(AF_MCTP, SOCK_DGRAM, 0) returns one end of an AF_UNIX datagram
 * socketpair, so poll/select/epoll, O_NONBLOCK, SO_RCVTIMEO and close-on-exec
 * are the kernel's own.  sendto()/sendmsg() screen the CCI message as every
 * cxldcd MCTP transport does (src/mctp/binding.c), write it to the cxldcd
 * socket that serves the destination EID and message type (07h: the FM
 * socket; 08h: the MCTP CCI socket when the route has one, else the FM
 * socket; one stream connection per socket, EID and type, opened on first
 * use), read the one response and queue it, with
 * its source address, as one datagram on the other end of the pair.
 * recv*()/read() strip that address again: one call returns one whole
 * message, with MSG_TRUNC, MSG_PEEK and MSG_DONTWAIT as af_mctp.c has them.
 *
 * Routes come from CXLDCD_MCTP_ROUTES="EID=ADDR[|ADDR08][;EID=...]" with
 * ADDR (the FM socket) and ADDR08 (the MCTP CCI socket, for type 08h)
 * unix:PATH or tcp:HOST:PORT (set by cxldcd-mctp-run).  The network is
 * the kernel's default one (1); MCTP_NET_ANY means it.
 *
 * Errors are the kernel's (net/mctp/af_mctp.c): EDESTADDRREQ without an
 * address, EINVAL for a short or foreign address, non-zero padding or bad
 * tag bits, EHOSTUNREACH without a route, EOPNOTSUPP for connect() and for
 * receive flags other than MSG_DONTWAIT/MSG_TRUNC/MSG_PEEK, EADDRINUSE for
 * a second bind(), ESOCKTNOSUPPORT/EPROTONOSUPPORT at socket().  Control
 * messages (type 00h) are answered here, as the endpoint would.  A device
 * that does not answer is a lost message: the program times out, as it
 * would on a real bus (one line on stderr says why).
 *
 * Not covered: dup()ed descriptors (the copy is a plain AF_UNIX socket; a
 * descriptor replaced by dup2()/dup3() is forgotten), sockets inherited
 * across exec(),
 * sendmmsg/recvmmsg, readv/writev, MCTP_OPT_ADDR_EXT direct addressing
 * (accepted; the extended fields read back as zero), incoming requests
 * (a bound socket never receives one: the device sends none).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/mctp.h>

#include "cci/msg.h"
#include "fmlink.h"
#include "routes.h"
#include "mctp/control.h"
#include "mctp/mctp.h"

#ifndef AF_MCTP
#define AF_MCTP 45              /* linux/socket.h, kernel 5.15 */
#endif
#ifndef SOL_MCTP
#define SOL_MCTP 285            /* linux/socket.h, kernel 5.15 */
#endif

#define EXPORT __attribute__((visibility("default")))

#define MAX_FD 4096
#define MAX_ROUTES MCTP_RUN_MAX_ROUTES
#define IOV_CAP 64              /* iovecs per recvmsg() */
#define DEFAULT_NET 1u          /* the kernel's MCTP_INITIAL_DEFAULT_NET */
#define DEVICE_TMO_MS 5000      /* a device silent this long has lost the message */

/* What precedes each queued response on the socketpair: its source address. */
struct meta {
	uint8_t type;
	uint8_t tag;
	uint8_t eid;
	uint8_t pad;
	uint32_t net;
};

struct msock {
	int peer;               /* our end of the pair: responses are written here */
	int conn[MAX_ROUTES][2]; /* per route: [0] addr, [1] addr08 connection; -1 until used */
	uint8_t prealloc[MAX_ROUTES]; /* this socket's share of g.prealloc */
	uint8_t next_tag;
	bool bound;
	bool addr_ext;
};

static struct {
	pthread_mutex_t lock;
	pthread_once_t once;
	struct mctp_run_route routes[MAX_ROUTES];
	unsigned nr_routes;
	uint8_t prealloc[MAX_ROUTES]; /* per route: tags handed out by SIOCMCTPALLOCTAG (bit per tag) */
	struct msock *socks[MAX_FD];
	int (*socket)(int, int, int);
	int (*close)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*ioctl)(int, unsigned long, ...);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*write)(int, const void *, size_t);
} g = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.once = PTHREAD_ONCE_INIT,
};

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	int saved = errno;
	char line[320];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (g.write(2, line, (size_t)n) < 0)
		errno = saved;
	errno = saved;
}

/* ---- set-up ------------------------------------------------------------ */

static void refused(void *arg, const char *item, size_t len, const char *why)
{
	(void)arg;
	warn("cxldcd-mctp: ignoring route '%.*s': %s", len > 240 ? 240 : (int)len, item, why);
}

static void parse_routes(void)
{
	g.nr_routes = mctp_run_routes_parse(getenv("CXLDCD_MCTP_ROUTES"), g.routes, refused, NULL);
}

static void init(void)
{
	g.socket = dlsym(RTLD_NEXT, "socket");
	g.close = dlsym(RTLD_NEXT, "close");
	g.dup2 = dlsym(RTLD_NEXT, "dup2");
	g.dup3 = dlsym(RTLD_NEXT, "dup3");
	g.bind = dlsym(RTLD_NEXT, "bind");
	g.connect = dlsym(RTLD_NEXT, "connect");
	g.sendmsg = dlsym(RTLD_NEXT, "sendmsg");
	g.recvmsg = dlsym(RTLD_NEXT, "recvmsg");
	g.setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	g.getsockopt = dlsym(RTLD_NEXT, "getsockopt");
	g.getsockname = dlsym(RTLD_NEXT, "getsockname");
	g.ioctl = dlsym(RTLD_NEXT, "ioctl");
	g.read = dlsym(RTLD_NEXT, "read");
	g.recv = dlsym(RTLD_NEXT, "recv");
	g.recvfrom = dlsym(RTLD_NEXT, "recvfrom");
	g.write = dlsym(RTLD_NEXT, "write");
	parse_routes();
}

static void ensure_init(void)
{
	pthread_once(&g.once, init);
}

static struct msock *lookup(int fd)
{
	ensure_init();
	return fd >= 0 && fd < MAX_FD ? g.socks[fd] : NULL;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

static int route_of(unsigned net, uint8_t eid)
{
	if (net != MCTP_NET_ANY && net != DEFAULT_NET)
		return -1;
	for (unsigned i = 0; i < g.nr_routes; i++)
		if (g.routes[i].eid == eid)
			return (int)i;
	return -1;
}

/* ---- the FM and MCTP CCI sockets --------------------------------------- */

/* Which of route @r's sockets serves message @type: 1 (addr08) or 0 (addr). */
static int face_of(int r, uint8_t type)
{
	return type == MCTP_TYPE_CXL_CCI && g.routes[r].addr08[0] ? 1 : 0;
}

static const char *face_addr(int r, int face)
{
	return face ? g.routes[r].addr08 : g.routes[r].addr;
}

static int conn_of(struct msock *ms, int r, int face)
{
	const char *addr = face_addr(r, face);
	int *fd = &ms->conn[r][face];

	if (*fd >= 0)
		return *fd;
	if (!strncmp(addr, "unix:", 5))
		*fd = fmlink_dial_unix(addr + 5);
	else if (!strncmp(addr, "tcp:", 4))
		*fd = fmlink_dial_tcp(addr + 4);
	else
		errno = EINVAL;
	if (*fd < 0)
		warn("cxldcd-mctp: eid %u: cannot reach %s: %s", g.routes[r].eid, addr,
		     strerror(errno));
	return *fd;
}

/*
 * One request of MCTP message @type, one response message; *rsp is
 * malloc'ed.  Return its length or -1.
 */
static ssize_t exchange(struct msock *ms, int r, uint8_t type, const uint8_t *req, size_t len,
			uint8_t **rsp)
{
	int face = face_of(r, type), fd = conn_of(ms, r, face);
	ssize_t n;

	*rsp = NULL;
	if (fd < 0)
		return -1;
	n = fmlink_exchange(fd, req, len, DEVICE_TMO_MS, rsp);
	if (n >= 0)
		return n;
	warn("cxldcd-mctp: eid %u: no response from %s: message lost", g.routes[r].eid,
	     face_addr(r, face));
	g.close(fd);
	ms->conn[r][face] = -1;
	return -1;
}

/* Queue one message as the kernel would deliver it; a full queue drops it. */
static void deliver(struct msock *ms, const struct meta *m, const uint8_t *p, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)m, .iov_len = sizeof(*m) },
		{ .iov_base = (void *)p, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (g.sendmsg(ms->peer, &mh, MSG_DONTWAIT) < 0)
		warn("cxldcd-mctp: receive queue full (%s): message dropped", strerror(errno));
}

/* ---- sockets ----------------------------------------------------------- */

EXPORT int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), sv[2];
	struct msock *ms;

	ensure_init();
	if (domain != AF_MCTP)
		return g.socket(domain, type, protocol);
	if (protocol)
		return fail(EPROTONOSUPPORT);
	if (base != SOCK_DGRAM)
		return fail(ESOCKTNOSUPPORT);
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		return fail(ENOMEM);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		free(ms);
		return -1;
	}
	if (sv[0] >= MAX_FD || (!(type & SOCK_CLOEXEC) && fcntl(sv[0], F_SETFD, 0)) ||
	    ((type & SOCK_NONBLOCK) && fcntl(sv[0], F_SETFL, O_NONBLOCK))) {
		g.close(sv[0]);
		g.close(sv[1]);
		free(ms);
		return fail(EMFILE);
	}
	ms->peer = sv[1];
	for (unsigned i = 0; i < MAX_ROUTES; i++)
		ms->conn[i][0] = ms->conn[i][1] = -1;
	pthread_mutex_lock(&g.lock);
	if (g.socks[sv[0]]) {
		/*
		 * A descriptor closed behind our back (close_range()): its
		 * state goes, but not its descriptors, whose numbers may be
		 * in use again (even as sv[1]).
		 */
		for (unsigned i = 0; i < MAX_ROUTES; i++)
			g.prealloc[i] &= (uint8_t)~g.socks[sv[0]]->prealloc[i];
		free(g.socks[sv[0]]);
	}
	g.socks[sv[0]] = ms;
	pthread_mutex_unlock(&g.lock);
	return sv[0];
}

/* Stop tracking @fd (it is being closed or replaced): free its state. */
static void forget(int fd)
{
	struct msock *ms = lookup(fd);

	if (ms) {
		pthread_mutex_lock(&g.lock);
		g.socks[fd] = NULL;
		for (unsigned i = 0; i < MAX_ROUTES; i++) {
			for (int f = 0; f < 2; f++)
				if (ms->conn[i][f] >= 0)
					g.close(ms->conn[i][f]);
			g.prealloc[i] &= (uint8_t)~ms->prealloc[i];
		}
		pthread_mutex_unlock(&g.lock);
		g.close(ms->peer);
		free(ms);
	}
}

EXPORT int close(int fd)
{
	forget(fd);
	return g.close(fd);
}

/* dup2()/dup3() onto a tracked descriptor close it first, as close() would. */
EXPORT int dup2(int oldfd, int newfd)
{
	if (oldfd != newfd && fcntl(oldfd, F_GETFD) >= 0)
		forget(newfd);
	return g.dup2(oldfd, newfd);
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	if (oldfd != newfd && fcntl(oldfd, F_GETFD) >= 0)
		forget(newfd);
	return g.dup3(oldfd, newfd, flags);
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct msock *ms = lookup(fd);
	struct sockaddr_mctp a, *sa = &a;

	if (!ms)
		return g.bind(fd, addr, len);
	if (len < sizeof(*sa))
		return fail(EINVAL);
	memcpy(&a, addr, sizeof(a));    /* the caller's buffer may be less aligned */
	if (sa->smctp_family != AF_MCTP)
		return fail(EAFNOSUPPORT);
	if (sa->__smctp_pad0 || sa->__smctp_pad1)
		return fail(EINVAL);
	if (ms->bound)
		return fail(EADDRINUSE);
	ms->bound = true;       /* no device sends requests: nothing will arrive */
	return 0;
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!lookup(fd))
		return g.connect(fd, addr, len);
	return fail(EOPNOTSUPP);
}

EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!lookup(fd))
		return g.getsockname(fd, addr, len);
	return fail(EOPNOTSUPP);
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct msock *ms = lookup(fd);

	if (!ms || level == SOL_SOCKET)
		return g.setsockopt(fd, level, name, val, len);
	if (level != SOL_MCTP)
		return fail(EINVAL);
	if (name != MCTP_OPT_ADDR_EXT)
		return fail(ENOPROTOOPT);
	if (len != sizeof(int))
		return fail(EINVAL);
	ms->addr_ext = *(const int *)val != 0;
	return 0;
}

EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct msock *ms = lookup(fd);

	if (!ms || level == SOL_SOCKET)
		return g.getsockopt(fd, level, name, val, len);
	if (level != SOL_MCTP || name != MCTP_OPT_ADDR_EXT || *len != sizeof(int))
		return fail(EINVAL);
	*(int *)val = ms->addr_ext;
	return 0;
}

/* SIOCMCTPALLOCTAG / SIOCMCTPDROPTAG (the v1 layout, default network). */
static int tag_ioctl(struct msock *ms, unsigned long req, struct mctp_ioc_tag_ctl *ctl)
{
	int r = route_of(DEFAULT_NET, ctl->peer_addr);
	uint8_t tag;

	if (ctl->flags)
		return fail(EINVAL);
	if (req == SIOCMCTPALLOCTAG) {
		if (ctl->tag)
			return fail(EINVAL);
		if (r < 0)
			return fail(EHOSTUNREACH);
		for (tag = 0; tag <= MCTP_TAG_MASK; tag++)
			if (!(g.prealloc[r] & (1u << tag)))
				break;
		if (tag > MCTP_TAG_MASK)
			return fail(EBUSY);
		g.prealloc[r] |= (uint8_t)(1u << tag);
		ms->prealloc[r] |= (uint8_t)(1u << tag);
		ctl->tag = tag | MCTP_TAG_OWNER | MCTP_TAG_PREALLOC;
		return 0;
	}
	if ((ctl->tag & ~MCTP_TAG_MASK) != (MCTP_TAG_OWNER | MCTP_TAG_PREALLOC) || r < 0)
		return fail(EINVAL);
	tag = ctl->tag & MCTP_TAG_MASK;
	if (!(ms->prealloc[r] & (1u << tag)))
		return fail(EINVAL);
	ms->prealloc[r] &= (uint8_t)~(1u << tag);
	g.prealloc[r] &= (uint8_t)~(1u << tag);
	return 0;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	struct msock *ms = lookup(fd);
	va_list ap;
	void *arg;
	int rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!ms)
		return g.ioctl(fd, req, arg);
	if (req != SIOCMCTPALLOCTAG && req != SIOCMCTPDROPTAG)
		return fail(EINVAL);
	if (!arg)
		return fail(EFAULT);
	pthread_mutex_lock(&g.lock);
	rc = tag_ioctl(ms, req, arg);
	pthread_mutex_unlock(&g.lock);
	return rc;
}

/* ---- sending ----------------------------------------------------------- */

/* The tag of an owned request: a preallocated one of this socket, or a free one. */
static int pick_tag(struct msock *ms, int r, uint8_t want, uint8_t *tag)
{
	if (want & MCTP_TAG_PREALLOC) {
		if (!(ms->prealloc[r] & (1u << (want & MCTP_TAG_MASK))))
			return fail(ENOENT);
		*tag = want & MCTP_TAG_MASK;
		return 0;
	}
	for (unsigned i = 0; i <= MCTP_TAG_MASK; i++) {
		uint8_t t = (uint8_t)((ms->next_tag + i) & MCTP_TAG_MASK);

		if (!(g.prealloc[r] & (1u << t))) {
			*tag = t;
			ms->next_tag = (uint8_t)(t + 1);
			return 0;
		}
	}
	return fail(EBUSY);
}

static uint8_t *gather(const struct msghdr *mh, size_t *len)
{
	size_t n = 0, off = 0;
	uint8_t *p;

	for (size_t i = 0; i < mh->msg_iovlen; i++)
		n += mh->msg_iov[i].iov_len;
	p = malloc(n ? n : 1);
	if (!p)
		return NULL;
	for (size_t i = 0; i < mh->msg_iovlen; i++) {
		memcpy(p + off, mh->msg_iov[i].iov_base, mh->msg_iov[i].iov_len);
		off += mh->msg_iov[i].iov_len;
	}
	*len = n;
	return p;
}

/*
 * MCTP control messages (type 00h) are the endpoint's to answer, as
 * --mctp-serial does (src/mctp/control.c).  COMPAT: Set Endpoint ID is
 * answered but the route keeps the EID cxldcd-mctp-run gave it.
 */
static void answer_control(struct msock *ms, int r, const struct meta *m, const uint8_t *msg,
			   size_t len)
{
	struct mctp_ctrl c = { .eid = g.routes[r].eid };
	uint8_t rsp[MCTP_CTRL_MAX_RSP];
	size_t n = mctp_ctrl_handle(&c, msg, len, rsp);

	if (n)
		deliver(ms, m, rsp, n);
}

static ssize_t mctp_send(struct msock *ms, const struct msghdr *mh)
{
	struct sockaddr_mctp a, *sa = &a;
	const uint8_t tagbits = MCTP_TAG_MASK | MCTP_TAG_OWNER | MCTP_TAG_PREALLOC;
	uint8_t *msg, *rsp = NULL, local[CXLDCD_CCI_HDR_SIZE];
	struct meta m = { 0 };
	ssize_t rsp_len = -1;
	size_t len;
	int r;

	if (!mh->msg_name)
		return fail(EDESTADDRREQ);
	if (mh->msg_namelen < sizeof(*sa))
		return fail(EINVAL);
	memcpy(&a, mh->msg_name, sizeof(a));
	if (sa->smctp_family != AF_MCTP || sa->__smctp_pad0 || sa->__smctp_pad1 ||
	    (sa->smctp_tag & ~tagbits) ||
	    ((sa->smctp_tag & MCTP_TAG_PREALLOC) && !(sa->smctp_tag & MCTP_TAG_OWNER)))
		return fail(EINVAL);
	r = route_of(sa->smctp_network, sa->smctp_addr.s_addr);
	if (r < 0)
		return fail(EHOSTUNREACH);
	if (!(msg = gather(mh, &len)))
		return fail(ENOMEM);
	if (!(sa->smctp_tag & MCTP_TAG_OWNER))
		goto out;               /* a response: the device asked nothing */
	if (pick_tag(ms, r, sa->smctp_tag, &m.tag)) {
		free(msg);
		return -1;
	}
	m.type = sa->smctp_type;
	m.eid = sa->smctp_addr.s_addr;
	m.net = DEFAULT_NET;
	if (sa->smctp_type == MCTP_TYPE_CONTROL) {
		answer_control(ms, r, &m, msg, len);
		goto out;
	}
	switch (mctp_cci_screen(sa->smctp_type, msg, len, local)) {
	case MCTP_CCI_FORWARD:
		rsp_len = exchange(ms, r, sa->smctp_type, msg, len, &rsp);
		break;
	case MCTP_CCI_ANSWERED:
		deliver(ms, &m, local, sizeof(local));
		break;
	case MCTP_CCI_DROP:
		break;
	}
	if (rsp_len >= 0)
		deliver(ms, &m, rsp, (size_t)rsp_len);
	free(rsp);
out:
	free(msg);
	return (ssize_t)len;
}

static ssize_t send_locked(struct msock *ms, const struct msghdr *mh)
{
	ssize_t n;

	pthread_mutex_lock(&g.lock);
	n = mctp_send(ms, mh);
	pthread_mutex_unlock(&g.lock);
	return n;
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *mh, int flags)
{
	struct msock *ms = lookup(fd);

	if (!ms)
		return g.sendmsg(fd, mh, flags);
	return send_locked(ms, mh);
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)to, .msg_namelen = tolen, .msg_iov = &iov, .msg_iovlen = 1,
	};

	return sendmsg(fd, &mh, flags);
}

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	return sendto(fd, buf, len, flags, NULL, 0);
}

EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	ensure_init();
	if (!lookup(fd))
		return g.write(fd, buf, len);
	return fail(EDESTADDRREQ);
}

/* ---- receiving --------------------------------------------------------- */

static ssize_t mctp_recv(int fd, struct msock *ms, struct msghdr *mh, int flags)
{
	struct iovec iov[1 + IOV_CAP];
	struct meta m;
	struct msghdr in = { .msg_iov = iov, .msg_iovlen = 1 };
	ssize_t n;

	if (flags & ~(MSG_DONTWAIT | MSG_TRUNC | MSG_PEEK))
		return fail(EOPNOTSUPP);
	if (mh->msg_iovlen > IOV_CAP)
		return fail(EMSGSIZE);
	iov[0] = (struct iovec){ .iov_base = &m, .iov_len = sizeof(m) };
	for (size_t i = 0; i < mh->msg_iovlen; i++)
		iov[in.msg_iovlen++] = mh->msg_iov[i];
	n = g.recvmsg(fd, &in, flags);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(m))
		return fail(EIO);       /* only deliver() writes to the pair */
	mh->msg_flags = in.msg_flags & MSG_TRUNC;
	mh->msg_controllen = 0;
	if (mh->msg_name) {
		struct sockaddr_mctp_ext ae = { 0 };
		size_t full = ms->addr_ext ? sizeof(ae) : sizeof(ae.smctp_base);

		ae.smctp_base.smctp_family = AF_MCTP;
		ae.smctp_base.smctp_network = m.net;
		ae.smctp_base.smctp_addr.s_addr = m.eid;
		ae.smctp_base.smctp_type = m.type;
		ae.smctp_base.smctp_tag = m.tag;
		memcpy(mh->msg_name, &ae, full < mh->msg_namelen ? full : mh->msg_namelen);
		mh->msg_namelen = (socklen_t)full;
	}
	return n - (ssize_t)sizeof(m);
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *mh, int flags)
{
	struct msock *ms = lookup(fd);

	if (!ms)
		return g.recvmsg(fd, mh, flags);
	return mctp_recv(fd, ms, mh, flags);
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			socklen_t *fromlen)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = fromlen ? from : NULL, .msg_namelen = fromlen ? *fromlen : 0,
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	struct msock *ms = lookup(fd);
	ssize_t n;

	if (!ms)
		return g.recvfrom(fd, buf, len, flags, from, fromlen);
	n = mctp_recv(fd, ms, &mh, flags);
	if (n >= 0 && fromlen)
		*fromlen = mh.msg_namelen;
	return n;
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	if (!lookup(fd))
		return g.recv(fd, buf, len, flags);
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	if (!lookup(fd))
		return g.read(fd, buf, len);
	return recvfrom(fd, buf, len, 0, NULL, NULL);
}

/*
 * The _FORTIFY_SOURCE entry points a program built with -D_FORTIFY_SOURCE
 * calls instead of the plain ones when it knows the buffer size.
 */
EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		abort();
	return recv(fd, buf, len, flags);
}

EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
			      struct sockaddr *from, socklen_t *fromlen);
EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
			      struct sockaddr *from, socklen_t *fromlen)
{
	if (len > buflen)
		abort();
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		abort();
	return read(fd, buf, len);
}
