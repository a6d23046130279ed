/* SPDX-License-Identifier: MIT */
/*
 * sock-addr.c - socket addresses as the command line writes them:
 * unix:PATH and tcp:HOST:PORT (HOST may be [IPv6], PORT a number or a
 * service name), parsed into struct sock_addr and printed back.  What is
 * not here: binding or connecting (sock-listen.c), the options after the
 * address (cmdline-sock.c, cmdline-listen.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/number.h"
#include "sock.h"

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
	uint64_t v;

	if (!*p || strlen(p) >= outlen || cx_parse_u64(p, 10, &v) || v > 65535)
		return -EINVAL;
	snprintf(out, outlen, "%u", (unsigned)v);
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
