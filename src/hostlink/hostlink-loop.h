/* SPDX-License-Identifier: MIT */
/*
 * hostlink-loop.h - glue between the loop-agnostic hostlink and the daemon's
 * event loop (src/server/loop.h).  Header-only so that src/hostlink does not
 * link src/server: only the daemon, which has both, includes it.
 *
 *	static const struct hostlink_watch_ops hl_watch = HOSTLINK_LOOP_WATCH_OPS;
 *	struct hostlink_loop hll = { .loop = l };
 *	cfg.watch = &hl_watch; cfg.watch_opaque = &hll;
 *	hostlink_new(&cfg, &hl); hll.hl = hl;
 */
#ifndef CXLDCD_HOSTLINK_LOOP_H
#define CXLDCD_HOSTLINK_LOOP_H

#include "hostlink/hostlink.h"
#include "server/loop.h"

_Static_assert(HOSTLINK_IN == LOOP_IN && HOSTLINK_OUT == LOOP_OUT && HOSTLINK_ERR == LOOP_ERR,
	       "hostlink and loop event bits");

struct hostlink_loop {
	struct loop *loop;
	struct hostlink *hl;    /* set right after hostlink_new() */
};

static inline void hostlink_loop_cb(struct loop *l, int fd, unsigned events, void *opaque)
{
	struct hostlink_loop *hll = opaque;

	(void)l;
	if (hll->hl)
		hostlink_process_fd(hll->hl, fd, events);
}

static inline int hostlink_loop_add(void *opaque, int fd, unsigned events)
{
	struct hostlink_loop *hll = opaque;

	return loop_add_fd(hll->loop, fd, events, hostlink_loop_cb, hll);
}

static inline int hostlink_loop_mod(void *opaque, int fd, unsigned events)
{
	return loop_mod_fd(((struct hostlink_loop *)opaque)->loop, fd, events);
}

static inline void hostlink_loop_del(void *opaque, int fd)
{
	loop_del_fd(((struct hostlink_loop *)opaque)->loop, fd);
}

#define HOSTLINK_LOOP_WATCH_OPS                                                  \
	{ .add = hostlink_loop_add, .mod = hostlink_loop_mod, .del = hostlink_loop_del }

#endif /* CXLDCD_HOSTLINK_LOOP_H */
