/* SPDX-License-Identifier: MIT */
/*
 * number.h - an unsigned number read whole from a string, a digit first:
 * strtoull() on its own takes leading white space and a sign, and wraps a
 * negative number ("\t-18446744073709551615" is 1).  What the daemon's
 * command line, its listen ports and $WATCHDOG_USEC, and cxldcd-mctp-run's
 * --eid read.  Header-only.
 */
#ifndef CXLDCD_COMMON_NUMBER_H
#define CXLDCD_COMMON_NUMBER_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* @s whole in @base (strtoull()'s: 0 takes 0x and C's octal) into *out: 0, or -EINVAL. */
static inline int cx_parse_u64(const char *s, int base, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

#endif /* CXLDCD_COMMON_NUMBER_H */
