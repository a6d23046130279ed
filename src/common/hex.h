/* SPDX-License-Identifier: MIT */
/*
 * hex.h - the value of one hexadecimal digit, either case: what the QMP
 * face's hex payloads, cxldcd-ctl's numbers and tags, and the access-rules
 * fuzz harness read.  Header-only.
 */
#ifndef CXLDCD_COMMON_HEX_H
#define CXLDCD_COMMON_HEX_H

/* 0..15, or -1 when c is not a hex digit. */
static inline int cx_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* CXLDCD_COMMON_HEX_H */
