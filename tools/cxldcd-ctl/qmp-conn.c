/* SPDX-License-Identifier: MIT */
/*
 * qmp-conn.c - cxldcd-ctl's blocking QMP client (see qmp-conn.h).  The
 * daemon writes one JSON message per CRLF-terminated line (docs/qmp.md), so
 * the input is split at '\n'.  One message may be large (a device with a
 * million extents answers query-cxl-dynamic-capacity in one line): the
 * buffer grows up to CTL_QMP_MAX_MSG.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp-conn.h"

#define CTL_QMP_MAX_MSG (256u << 20)

struct ctl_qmp {
	int fd;
	char name[400];
	char *buf;
	size_t len, cap;
	json_t *events;     /* events read while waiting for a reply, oldest first */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A blocking connect bounded by @timeout_ms (SO_SNDTIMEO bounds connect on Linux). */
static int connect_fd(int family, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, sa, len)) {
		int e = errno == EINPROGRESS ? ETIMEDOUT : errno;

		close(fd);
		return -e;
	}
	return fd;
}

static int connect_unix(const struct ctl_addr *a, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(a->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, a->path, strlen(a->path) + 1);
	return connect_fd(AF_UNIX, (struct sockaddr *)&sa, sizeof(sa), timeout_ms);
}

static int connect_tcp(const struct ctl_addr *a, int timeout_ms, char *err, size_t cap)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
	int rc = getaddrinfo(a->host, a->port, &hints, &res), fd = -ENOENT;

	if (rc) {
		snprintf(err, cap, "cannot resolve %s: %s", a->host, gai_strerror(rc));
		return -ENOENT;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = connect_fd(ai->ai_family, ai->ai_addr, ai->ai_addrlen, timeout_ms);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	return fd;
}

static int ms_left(long long end)
{
	long long left = end - now_ms();

	return left > 0 ? (int)left : 0;
}

/*
 * Read the greeting and run qmp_capabilities, by @timeout_ms.  A signal
 * does not end it: `events --follow` takes SIGINT/SIGTERM (no SA_RESTART)
 * before it connects, and sees its stop flag once connected (exit 0).
 */
static int negotiate(struct ctl_qmp *q, int timeout_ms, char *err, size_t cap)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	long long end = now_ms() + timeout_ms;
	json_t *m = NULL;
	int rc;

	do
		rc = ctl_qmp_recv(q, ms_left(end), &m);
	while (rc == -EINTR);
	if (!rc && !json_object_get(m, "QMP"))
		rc = -EPROTO;
	json_decref(m);
	m = NULL;
	if (!rc)
		rc = ctl_qmp_send(q, caps, sizeof(caps) - 1);
	while (!rc && (rc = ctl_qmp_reply(q, ms_left(end), &m)) == -EINTR)
		rc = 0;
	if (!rc && !json_object_get(m, "return"))
		rc = -EPROTO;
	json_decref(m);
	if (rc)
		snprintf(err, cap, "%s: QMP negotiation failed: %s", q->name,
			 rc == -EPROTO ? "not a QMP server" : strerror(-rc));
	return rc;
}

int ctl_qmp_open(const struct ctl_addr *addr, int timeout_ms, struct ctl_qmp **out, char *err,
		 size_t cap)
{
	struct ctl_qmp *q = calloc(1, sizeof(*q));
	int fd, rc;

	*out = NULL;
	err[0] = 0;
	if (!q) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	if (addr->kind == CTL_ADDR_UNIX)
		snprintf(q->name, sizeof(q->name), "unix:%s", addr->path);
	else
		snprintf(q->name, sizeof(q->name), strchr(addr->host, ':') ? "tcp:[%s]:%s" : "tcp:%s:%s",
			 addr->host, addr->port);
	fd = addr->kind == CTL_ADDR_UNIX ? connect_unix(addr, timeout_ms)
					 : connect_tcp(addr, timeout_ms, err, cap);
	if (fd < 0) {
		if (!err[0])
			snprintf(err, cap, "cannot connect to %s: %s", q->name, strerror(-fd));
		free(q);
		return fd;
	}
	q->fd = fd;
	rc = negotiate(q, timeout_ms, err, cap);
	if (rc) {
		ctl_qmp_free(q);
		return rc;
	}
	*out = q;
	return 0;
}

void ctl_qmp_free(struct ctl_qmp *q)
{
	if (!q)
		return;
	close(q->fd);
	free(q->buf);
	json_decref(q->events);
	free(q);
}

const char *ctl_qmp_name(const struct ctl_qmp *q)
{
	return q->name;
}

int ctl_qmp_send(struct ctl_qmp *q, const char *text, size_t len)
{
	while (len) {
		ssize_t n = send(q->fd, text, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctl_qmp_send_cmd(struct ctl_qmp *q, const char *text, size_t len)
{
	char *line = malloc(len + 2);
	int rc;

	if (!line)
		return -ENOMEM;
	memcpy(line, text, len);
	memcpy(line + len, "\r\n", 2);
	rc = ctl_qmp_send(q, line, len + 2);
	free(line);
	/*
	 * The daemon may answer and close as soon as the JSON value is complete
	 * (quit): its reply can still be read.
	 */
	return rc == -EPIPE || rc == -ECONNRESET ? 0 : rc;
}

/* Read more bytes before @end (< 0: no limit). Return 0, -ETIMEDOUT, -EINTR, -ECONNRESET, -errno. */
static int fill(struct ctl_qmp *q, long long end)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	long long left = end < 0 ? -1 : end - now_ms();
	ssize_t n;
	int pr;

	if (end >= 0 && left <= 0)
		return -ETIMEDOUT;
	pr = poll(&pfd, 1, left < 0 ? -1 : left > 86400000 ? 86400000 : (int)left);
	if (pr < 0)
		return -errno;
	if (pr == 0)
		return -ETIMEDOUT;
	if (q->cap - q->len < 65536) {
		char *nb;

		if (q->cap >= CTL_QMP_MAX_MSG)
			return -EMSGSIZE;
		nb = realloc(q->buf, q->cap + 65536 + q->cap / 2);
		if (!nb)
			return -ENOMEM;
		q->buf = nb;
		q->cap += 65536 + q->cap / 2;
	}
	n = read(q->fd, q->buf + q->len, q->cap - q->len);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	q->len += (size_t)n;
	return 0;
}

int ctl_qmp_recv(struct ctl_qmp *q, int timeout_ms, json_t **msg)
{
	long long end = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	size_t scanned = 0;

	*msg = NULL;
	for (;;) {
		char *nl = q->len > scanned ? memchr(q->buf + scanned, '\n', q->len - scanned) : NULL;
		int rc;

		if (nl) {
			size_t n = (size_t)(nl - q->buf) + 1;
			json_t *j = json_loadb(q->buf, n, 0, NULL);

			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (!j)
				return -EPROTO;
			*msg = j;
			return 0;
		}
		scanned = q->len;
		rc = fill(q, end);
		if (rc)
			return rc;
	}
}

static int queue_event(struct ctl_qmp *q, json_t *e)
{
	if (!q->events)
		q->events = json_array();
	if (!q->events || json_array_append_new(q->events, e))
		return -ENOMEM;
	return 0;
}

int ctl_qmp_reply(struct ctl_qmp *q, int timeout_ms, json_t **reply)
{
	long long end = now_ms() + timeout_ms;

	for (;;) {
		long long left = end - now_ms();
		json_t *m;
		int rc = ctl_qmp_recv(q, left > 0 ? (int)left : 0, &m);

		if (rc)
			return rc;
		if (!json_object_get(m, "event")) {
			*reply = m;
			return 0;
		}
		rc = queue_event(q, m);
		if (rc)
			return rc;
	}
}

int ctl_qmp_execute(struct ctl_qmp *q, const char *cmd, json_t *args, int timeout_ms,
		    json_t **reply)
{
	json_t *req = json_pack("{s:s}", "execute", cmd);
	char *text;
	int rc;

	*reply = NULL;
	if (req && args)
		json_object_set(req, "arguments", args);
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!text)
		return -ENOMEM;
	rc = ctl_qmp_send_cmd(q, text, strlen(text));
	free(text);
	return rc ? rc : ctl_qmp_reply(q, timeout_ms, reply);
}

int ctl_qmp_next_event(struct ctl_qmp *q, int timeout_ms, json_t **event)
{
	long long end = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	if (json_array_size(q->events)) {
		*event = json_incref(json_array_get(q->events, 0));
		json_array_remove(q->events, 0);
		return 0;
	}
	for (;;) {
		long long left = end < 0 ? -1 : end - now_ms();
		json_t *m;
		int rc = ctl_qmp_recv(q, left < 0 ? -1 : left > 0 ? (int)left : 0, &m);

		if (rc)
			return rc;
		if (json_object_get(m, "event")) {
			*event = m;
			return 0;
		}
		json_decref(m);
	}
}
