/* SPDX-License-Identifier: MIT */
/*
 * What the socket-driving and command-line fuzz targets share: the input
 * consumed a byte at a time, the input split into an argv, the count of
 * the process's open fds (a target checks that a run leaks none), and how
 * a target stops on what it finds (fz_die()).
 */
#ifndef CXLDCD_FUZZ_INPUT_H
#define CXLDCD_FUZZ_INPUT_H

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A finding, or the harness failing: "fuzz-<target>: @what[: @detail]" on stderr, then abort(). */
static inline _Noreturn void fz_die(const char *what, const char *detail)
{
	fprintf(stderr, "%s: %s%s%s\n", program_invocation_short_name, what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

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

/*
 * The input as a command line: byte 0's low 6 bits count the arguments
 * (at most @max), each NUL-terminated in the bytes after it.  argv[0] is
 * @name, argv[*argc] NULL; *off is where the arguments end.  Returns the
 * copy of the input the arguments point into (free() it).
 */
static inline char *fz_argv(const uint8_t *data, size_t size, char *name, char **argv,
			    unsigned max, int *argc, size_t *off)
{
	char *buf = malloc(size + 1);

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[0] = name;
	*argc = 1;
	*off = 1;
	for (unsigned i = 0; i < (data[0] & 63u) && i < max && *off < size; i++) {
		char *end = memchr(buf + *off, 0, size - *off);

		argv[(*argc)++] = buf + *off;
		*off = end ? (size_t)(end - buf) + 1 : size;
	}
	argv[*argc] = NULL;
	return buf;
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
