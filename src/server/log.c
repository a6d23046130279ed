/* SPDX-License-Identifier: MIT */
/*
 * log.c - srv_log(): format one line and hand it to the daemon's callback
 * (see log.h).  Keeps errno intact so callers can log before returning it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void srv_log(const struct srv_log *log, int level, const char *fmt, ...)
{
	char line[1024];
	int saved = errno;
	va_list ap;

	if (!log || !log->fn || level > log->max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log->fn(log->opaque, level, line);
	errno = saved;
}
