/* SPDX-License-Identifier: MIT */
/*
 * rawmsg.h - a raw host on the host link, for tests that play a host (or a
 * hostile one) byte by byte: its socket, the input not yet taken and the
 * fds that came with it, and how a message is taken out of that input.
 * Nothing here runs a device: rawhost.h drives a raw host against the
 * in-process one (hx.h), test-hostile-backends.c against the daemon.
 */
#ifndef CXLDCD_TESTS_HOST_RAWMSG_H
#define CXLDCD_TESTS_HOST_RAWMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hostlink/proto.h"

struct raw {
	int sock;
	uint8_t buf[1 << 16];
	size_t got;
	int fds[64];
	unsigned nr_fds;
	uint32_t seq;               /* the last sequence number sent */
	unsigned pauses;            /* PAUSEs taken, wanted or skipped */
};

/* A MAP and the fd that came with it. */
struct map_fd {
	struct hl_map m;
	int fd;
};

/*
 * Take the first whole message of type want (0: of any type) out of r's
 * input; the ones before it are skipped, their fds closed.  Its payload
 * into payload (cap bytes at most), its fd (MAP, REMAP: exactly one each)
 * into *fd when fd is given, else closed.  Return its type, or 0 when no
 * such message is whole yet.
 */
int raw_pop(struct raw *r, uint8_t want, uint8_t *payload, size_t cap, int *fd);
/* One non-blocking receive on r->sock into its input, fds too: the bytes, <= 0 on EOF or error. */
ssize_t raw_recv(struct raw *r);
/* Close r's socket and every fd not yet taken. */
void raw_close(struct raw *r);

#endif
