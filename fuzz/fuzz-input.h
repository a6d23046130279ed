/* SPDX-License-Identifier: MIT */
/*
 * What the socket-driving fuzz targets share: the input consumed a byte at
 * a time, and the count of the process's open fds (a target checks that a
 * run leaks none).
 */
#ifndef CXLDCD_FUZZ_INPUT_H
#define CXLDCD_FUZZ_INPUT_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

/* The input, consumed a byte at a time (0 past its end). */
struct in {
	const uint8_t *p;
	size_t len, off;
};

static inline uint8_t in_u8(struct in *in)
{
	return in->off < in->len ? in->p[in->off++] : 0;
}

/* Up to @n bytes of the input at *@out (fewer at its end); how many. */
static inline size_t in_bytes(struct in *in, size_t n, const uint8_t **out)
{
	size_t left = in->len - in->off;

	if (n > left)
		n = left;
	*out = in->p + in->off;
	in->off += n;
	return n;
}

/* Entries of /proc/self/fd (its own fd, ".", ".." included); -1 if unreadable. */
static inline int nr_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

#endif
