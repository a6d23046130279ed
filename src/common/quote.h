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
 * \xHH, \' and \\, so the message holds no byte that a terminal or a log
 * would act on and stays one line.  Cut to fit in cap bytes (never inside
 * an escape or a character); returns buf.  cap must be at least 1.
 */
const char *cx_quote(char *buf, size_t cap, const char *s);

#endif /* CXLDCD_COMMON_QUOTE_H */
