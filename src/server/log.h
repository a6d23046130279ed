/* SPDX-License-Identifier: MIT */
/*
 * log.h - how the server's pieces log: through a callback held in a small
 * struct the daemon fills (silent when fn is NULL).  main.c supplies the
 * stderr writer.  Peer-caused problems are LOG_DEBUG (style B.6).
 */
#ifndef CXLDCD_SERVER_LOG_H
#define CXLDCD_SERVER_LOG_H

#include <syslog.h>

typedef void srv_log_fn(void *opaque, int level, const char *msg);

struct srv_log {
	srv_log_fn *fn;
	void *opaque;
	int max_level;
};

void srv_log(const struct srv_log *log, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
