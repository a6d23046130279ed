/* SPDX-License-Identifier: MIT */
/*
 * parse.h - cxldcd-ctl's argument parsers and value formatters: sizes,
 * OFFSET:LEN extents, tag UUIDs, bounded integers, CCI opcodes, hex
 * payloads and QMP socket addresses.  Pure functions over strings, no I/O,
 * so tests/ctl/test-ctl-parse.c can check them one by one.
 *
 * Every parser returns 0 or -EINVAL / -ERANGE and leaves *out untouched on
 * failure.  The callers turn a failure into one message naming the argument
 * (exit status 2).
 */
#ifndef CXLDCD_CTL_PARSE_H
#define CXLDCD_CTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * ctl_parse_size() - a byte count: decimal, or hexadecimal after "0x", with
 * an optional suffix K, M, G, T, P or E (powers of 1024, either case), which
 * may be followed by "B" or "iB" ("4G", "512m", "2MiB", "0x1000", "64KB").
 * A bare "B" suffix means bytes.  Signs, fractions, blanks and overflow are
 * refused.
 */
int ctl_parse_size(const char *s, uint64_t *out);

/* ctl_parse_extent() - "OFFSET:LEN", both sizes; LEN must not be 0. */
int ctl_parse_extent(const char *s, uint64_t *off, uint64_t *len);

/*
 * ctl_parse_uuid() - a tag: 8-4-4-4-12 hex digits with dashes, either case.
 * @out (37 bytes) receives the lowercase canonical form.
 */
int ctl_parse_uuid(const char *s, char out[37]);

/* ctl_parse_uint() - decimal (or 0x hex) integer in 0..@max. */
int ctl_parse_uint(const char *s, uint64_t max, uint64_t *out);
/*
 * ctl_parse_uint_at() - the same number at the start of @s, *end after it
 * (an element of a comma-separated list); -EINVAL when @s starts with no
 * digit, -ERANGE past @max.
 */
int ctl_parse_uint_at(const char *s, uint64_t max, uint64_t *out, const char **end);

/*
 * ctl_parse_seconds() - a non-negative duration in seconds with up to 3
 * decimals ("10", "0.25"); the result is in milliseconds, at most one day.
 */
int ctl_parse_seconds(const char *s, int *ms);

/*
 * ctl_parse_opcode() - a CCI opcode: hexadecimal, as the spec writes them,
 * with an optional "0x" prefix or "h" suffix ("4800", "0x4800", "4800h"),
 * or a command name from ctl_opcode_names ("get-dc-config").
 */
int ctl_parse_opcode(const char *s, uint16_t *out);

struct ctl_opcode_name {
	const char *name;
	uint16_t opcode;
};
/* The names ctl_parse_opcode() knows, ending with { NULL, 0 }. */
extern const struct ctl_opcode_name ctl_opcode_names[];
/* Name of @opcode, or NULL. */
const char *ctl_opcode_name(uint16_t opcode);

/*
 * ctl_parse_hex() - a payload as hex digit pairs; blanks, ':' and '_'
 * between bytes are ignored ("0400", "04 00", "04:00").  @out receives the
 * digits alone, lowercase, NUL-terminated; caller frees with free().
 * Return -EINVAL for a non-hex digit or an odd count, -ENOMEM.
 */
int ctl_parse_hex(const char *s, char **out);

enum ctl_addr_kind {
	CTL_ADDR_UNIX,
	CTL_ADDR_TCP,
};

struct ctl_addr {
	enum ctl_addr_kind kind;
	char path[108];     /* unix: the socket path (sun_path size) */
	char host[256];     /* tcp: host name or address, without [] */
	char port[8];       /* tcp: 1..65535 */
};

/*
 * ctl_parse_addr() - "unix:PATH", "tcp:HOST:PORT" or "tcp:[V6]:PORT"
 * (QEMU's -qmp forms, any ",server,..." options dropped), or a bare path
 * containing '/'.  An empty HOST means 127.0.0.1.
 */
int ctl_parse_addr(const char *s, struct ctl_addr *out);

/*
 * ctl_fmt_size() - @v in the largest unit that divides it exactly ("2G",
 * "512M", "4K"), or plain bytes ("0", "1000"), so the text parses back with
 * ctl_parse_size().  Returns @buf (at least 24 bytes).
 */
const char *ctl_fmt_size(uint64_t v, char *buf, size_t cap);

/*
 * ctl_opts_join() - a command's long options @cmd (up to its NULL name; @cmd
 * may be NULL), then the @nr_common options of @common, then a zero
 * terminator, into @all (@cap entries).  Return how many options were
 * joined (the terminator left out), or -E2BIG, @all unspecified, when they
 * do not fit: a command's table is never cut short.
 */
struct option;
int ctl_opts_join(struct option *all, size_t cap, const struct option *cmd,
		  const struct option *common, size_t nr_common);

#endif
