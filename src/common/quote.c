/* SPDX-License-Identifier: MIT */
/*
 * quote.c - outside text quoted escaped (quote.h).  Used by the host
 * library's access rules and by cxldcd-host's command-line errors.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/quote.h"

/*
 * Format characters that change how the text around them is shown without
 * being seen themselves: bidi embeddings, overrides and isolates ("Trojan
 * Source": a line shown in another order than it is), zero-width
 * characters and marks, the line and paragraph separators, the byte order
 * mark.
 */
static bool invisible(uint32_t cp)
{
	return (cp >= 0x200b && cp <= 0x200f) ||  /* ZW space, ZWNJ, ZWJ, LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) ||  /* LINE/PARAGRAPH SEPARATOR, LRE..RLO */
	       (cp >= 0x2060 && cp <= 0x206f) ||  /* WJ, invisible operators, LRI..PDI, the
						   * deprecated ISS..NODS */
	       cp == 0xfeff ||                    /* ZWNBSP, the BOM */
	       cp == 0x061c;                      /* ARABIC LETTER MARK */
}

/*
 * Bytes of the well-formed UTF-8 character at p, or 0 (not well-formed);
 * *shown: whether it is printable as it is (not a C1 control, not
 * invisible()).
 */
static unsigned utf8_len(const unsigned char *p, bool *shown)
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
	/* overlong, surrogate, too large */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*shown = cp >= 0xa0 && !invisible(cp);   /* below: C1 controls */
	return n;
}

const char *cx_quote(char *buf, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	while (*p) {
		unsigned c = *p, n = 1;
		bool shown = c >= 0x20 && c < 0x7f && c != '\\' && c != '\'';

		if (c >= 0x80 && !(n = utf8_len(p, &shown)))
			n = 1;          /* not UTF-8: that byte alone, escaped */
		if (shown) {
			if (o + n >= cap)
				break;
			memcpy(buf + o, p, n);
			o += n;
			p += n;
			continue;
		}
		/* every byte of a character not shown: \xHH each, or none of them */
		if (o + 4 * n >= cap)
			break;
		if (c == '\\' || c == '\'') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else {
			for (unsigned i = 0; i < n; i++)
				o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", p[i]);
		}
		p += n;
	}
	buf[o] = '\0';
	return buf;
}
