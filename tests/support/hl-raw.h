/* SPDX-License-Identifier: MIT */
/*
 * hl-raw.h - a raw host-link client's send and read, for tests that play a
 * host (or a hostile one) byte by byte against the daemon's --host-socket.
 * Include after <cmocka.h>.
 */
#ifndef CXLDCD_TESTS_HL_RAW_H
#define CXLDCD_TESTS_HL_RAW_H

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "hostlink/proto.h"

/* Send one message (header, then @len payload bytes from @p) on @fd in one write. */
static inline void hl_raw_send(int fd, uint8_t type, uint32_t seq, const void *p, size_t len)
{
	uint8_t buf[512];
	struct wwr w;

	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, type, seq);
	wwr_bytes(&w, p, len);
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(write(fd, buf, w.off), (ssize_t)w.off);
}

/*
 * One read from @fd into @buf (*got bytes there already, @cap in all).
 * Return 1 when @buf holds a whole message (its header in *h), 0 when more
 * is needed, -1 on EOF or a read error.
 */
static inline int hl_raw_read(int fd, uint8_t *buf, size_t cap, size_t *got, struct hl_hdr *h)
{
	ssize_t n = read(fd, buf + *got, cap - *got);

	if (n <= 0)
		return -1;
	*got += (size_t)n;
	return !hl_dec_hdr(buf, *got, h) && *got >= HL_HDR_SIZE + h->len;
}

#endif
