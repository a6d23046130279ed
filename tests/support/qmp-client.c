/* SPDX-License-Identifier: MIT */
/*
 * qmp-client.c - blocking test client for QMP (see qmp-client.h).  The
 * server writes one JSON message per CRLF-terminated line, so messages are
 * split at '\n'.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp-client.h"

struct qmp_client {
	int fd;
	char *buf;
	size_t len, cap;
	json_t *events;     /* events skipped by qmp_client_cmd(), oldest first */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_retry(const struct sockaddr *sa, socklen_t len, int timeout_ms,
			 struct qmp_client **out)
{
	long long end = now_ms() + timeout_ms;
	struct qmp_client *c;

	*out = NULL;
	for (;;) {
		int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (connect(fd, sa, len) == 0) {
			c = calloc(1, sizeof(*c));
			if (!c) {
				close(fd);
				return -ENOMEM;
			}
			c->fd = fd;
			*out = c;
			return 0;
		}
		close(fd);
		if (now_ms() >= end)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

int qmp_client_connect_unix(const char *path, int timeout_ms, struct qmp_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	return connect_retry((struct sockaddr *)&sa, sizeof(sa), timeout_ms, out);
}

int qmp_client_connect_tcp(const char *host, int port, int timeout_ms, struct qmp_client **out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -EINVAL;
	return connect_retry((struct sockaddr *)&sa, sizeof(sa), timeout_ms, out);
}

void qmp_client_free(struct qmp_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->buf);
	json_decref(c->events);
	free(c);
}

int qmp_client_fd(const struct qmp_client *c)
{
	return c->fd;
}

int qmp_client_send_raw(struct qmp_client *c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read more bytes; return >0 read, 0 EOF, -ETIMEDOUT, -errno. */
static int fill(struct qmp_client *c, long long end)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	long long left = end - now_ms();
	ssize_t n;

	if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
		return -ETIMEDOUT;
	if (c->cap - c->len < 65536) {
		char *nb = realloc(c->buf, c->cap + 65536);

		if (!nb)
			return -ENOMEM;
		c->buf = nb;
		c->cap += 65536;
	}
	n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n < 0)
		return -errno;
	c->len += (size_t)n;
	return (int)n;
}

json_t *qmp_client_recv(struct qmp_client *c, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;

		if (nl) {
			size_t n = (size_t)(nl - c->buf) + 1;
			json_t *j = json_loadb(c->buf, n, 0, NULL);

			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			return j;
		}
		if (fill(c, end) <= 0)
			return NULL;
	}
}

json_t *qmp_client_cmd(struct qmp_client *c, const char *text, int timeout_ms)
{
	if (qmp_client_send_raw(c, text, strlen(text)))
		return NULL;
	for (;;) {
		json_t *j = qmp_client_recv(c, timeout_ms);

		if (!j || !json_object_get(j, "event"))
			return j;
		if (!c->events)
			c->events = json_array();
		json_array_append_new(c->events, j);
	}
}

json_t *qmp_client_cmdf(struct qmp_client *c, int timeout_ms, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	json_t *r;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	r = qmp_client_cmd(c, text, timeout_ms);
	free(text);
	return r;
}

json_t *qmp_client_event(struct qmp_client *c, const char *name, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	for (;;) {
		size_t i;
		json_t *e;

		json_array_foreach(c->events, i, e) {
			if (!strcmp(json_string_value(json_object_get(e, "event")) ?: "", name)) {
				json_incref(e);
				json_array_remove(c->events, i);
				return e;
			}
		}
		e = qmp_client_recv(c, (int)(end - now_ms() > 0 ? end - now_ms() : 0));
		if (!e)
			return NULL;
		if (!c->events)
			c->events = json_array();
		json_array_append_new(c->events, e);
	}
}

int qmp_client_negotiate(struct qmp_client *c, int timeout_ms)
{
	json_t *g = qmp_client_recv(c, timeout_ms), *r;
	int rc = -EPROTO;

	if (!g || !json_object_get(g, "QMP")) {
		json_decref(g);
		return rc;
	}
	json_decref(g);
	r = qmp_client_cmd(c, "{\"execute\": \"qmp_capabilities\"}", timeout_ms);
	if (r && json_object_get(r, "return"))
		rc = 0;
	json_decref(r);
	return rc;
}

int qmp_client_wait_eof(struct qmp_client *c, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	for (;;) {
		int n;

		c->len = 0;
		n = fill(c, end);
		if (n == 0 || n == -ECONNRESET)
			return 0;
		if (n == -ETIMEDOUT)
			return n;
	}
}

const char *qmp_client_err_desc(json_t *rsp)
{
	return json_string_value(json_object_get(json_object_get(rsp, "error"), "desc"));
}

const char *qmp_client_err_class(json_t *rsp)
{
	return json_string_value(json_object_get(json_object_get(rsp, "error"), "class"));
}
