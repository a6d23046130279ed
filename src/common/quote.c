/* SPDX-License-Identifier: MIT */
/*
 * quote.c - outside text quoted escaped (quote.h).  Used by the host
 * library's access rules and by cxldcd-host's command-line errors.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/quote.h"

/* Bytes of the well-formed, printable UTF-8 character at p, or 0. */
static unsigned utf8_len(const unsigned char *p)
{
	unsigned n, c = *p;
	uint32_t cp;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	cp = c & (0x7fu >> n);
	for (unsigned i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	/* overlong, surrogate, too large, or a C1 control */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
		return 0;
	return n;
}

const char *cx_quote(char *buf, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	while (*p) {
		unsigned c = *p, n = c >= 0x20 && c < 0x7f && c != '\\' && c != '\'' ? 1 : utf8_len(p);

		if (n) {
			if (o + n >= cap)
				break;
			memcpy(buf + o, p, n);
			o += n;
			p += n;
			continue;
		}
		if (o + 4 >= cap)
			break;
		if (c == '\\' || c == '\'') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else {
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
		}
		p++;
	}
	buf[o] = '\0';
	return buf;
}
