/* SPDX-License-Identifier: MIT */
/*
 * rawmsg.c - a raw host's input on the host link (see rawmsg.h).
 */
#include "rawmsg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

int raw_pop(struct raw *r, uint8_t want, uint8_t *payload, size_t cap, int *fd)
{
	struct hl_hdr h;

	while (r->got >= HL_HDR_SIZE && !hl_dec_hdr(r->buf, r->got, &h) &&
	       r->got >= HL_HDR_SIZE + h.len) {
		bool hit = !want || h.type == want;
		int mfd = -1;

		if (h.type == HL_MAP || h.type == HL_REMAP) {
			assert_true(r->nr_fds > 0); /* exactly one fd per MAP and REMAP */
			mfd = r->fds[0];
			memmove(r->fds, r->fds + 1, --r->nr_fds * sizeof(int));
		}
		r->pauses += h.type == HL_PAUSE;
		if (hit)
			memcpy(payload, r->buf + HL_HDR_SIZE, h.len < cap ? h.len : cap);
		memmove(r->buf, r->buf + HL_HDR_SIZE + h.len, r->got - HL_HDR_SIZE - h.len);
		r->got -= HL_HDR_SIZE + h.len;
		if (hit && fd) {
			*fd = mfd;
			mfd = -1;
		}
		if (mfd >= 0)
			close(mfd);
		if (hit)
			return h.type;
	}
	return 0;
}

ssize_t raw_recv(struct raw *r)
{
	const unsigned cap = sizeof(r->fds) / sizeof(r->fds[0]);
	unsigned nf = 0;
	ssize_t n = hl_recv(r->sock, r->buf + r->got, sizeof(r->buf) - r->got, r->fds + r->nr_fds,
			    &nf, cap - r->nr_fds);

	if (n > 0) {
		r->got += (size_t)n;
		r->nr_fds += nf;
	}
	return n;
}

void raw_close(struct raw *r)
{
	for (unsigned i = 0; i < r->nr_fds; i++)
		close(r->fds[i]);
	close(r->sock);
}
