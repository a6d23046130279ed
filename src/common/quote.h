/* SPDX-License-Identifier: MIT */
/*
 * quote.h - outside text (a rule, a name, a command-line value) made safe to
 * quote in a message or an event.
 */
#ifndef CXLDCD_COMMON_QUOTE_H
#define CXLDCD_COMMON_QUOTE_H

#include <stddef.h>

/*
 * cx_quote() - s for quoting between single quotes: printable ASCII and
 * well-formed UTF-8 stay as they are; a control byte (C0, DEL, a C1 code
 * point), a byte of invalid UTF-8, the quote ' and the backslash become
 * \xHH, \' and \\, and so does every byte of an invisible format
 * character (U+202E is \xe2\x80\xae): the bidi embeddings, overrides and
 * isolates U+202A..U+202E and U+2066..U+2069 ("Trojan Source"), U+200B..
 * U+200F (zero-width characters, LRM, RLM), U+2028, U+2029 (line and
 * paragraph separators), the rest of U+2060..U+206F (word joiner,
 * invisible operators, deprecated format controls), U+FEFF (BOM) and
 * U+061C (ALM).  So the message
 * holds no byte that a terminal or a log would act on, stays one line, and
 * is shown in the order it is written.  Cut to fit in cap bytes (never
 * inside an escape or a character); returns buf.  cap must be at least 1.
 */
const char *cx_quote(char *buf, size_t cap, const char *s);

#endif /* CXLDCD_COMMON_QUOTE_H */
