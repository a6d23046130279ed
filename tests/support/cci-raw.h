/* SPDX-License-Identifier: MIT */
/*
 * cci-raw.h - a raw CCI client's pieces, for tests that talk to the FM
 * socket byte by byte: the 12-byte request header and a bounded exact read.
 */
#ifndef CXLDCD_TESTS_CCI_RAW_H
#define CXLDCD_TESTS_CCI_RAW_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* The header of a request: category request, @tag, opcode @op, payload length @len. */
static inline void cci_raw_hdr(uint8_t *h, uint8_t tag, uint16_t op, uint32_t len)
{
	memset(h, 0, 12);
	h[1] = tag;
	h[3] = (uint8_t)op;
	h[4] = (uint8_t)(op >> 8);
	h[5] = (uint8_t)len;
	h[6] = (uint8_t)(len >> 8);
	h[7] = (uint8_t)((len >> 16) & 0x1f);
}

/*
 * Read exactly @n bytes from @fd, waiting at most @timeout_ms for each read;
 * return the bytes read (< n on EOF or timeout).
 */
static inline size_t cci_raw_recv(int fd, uint8_t *p, size_t n, int timeout_ms)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			break;
		k = read(fd, p + got, n - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

#endif /* CXLDCD_TESTS_CCI_RAW_H */
