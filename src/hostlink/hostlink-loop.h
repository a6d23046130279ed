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
	uint64_t timer;         /* the hostlink_tick() the hostlink asked for */
	bool timer_set;
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

static inline void hostlink_loop_tick(struct loop *l, void *opaque)
{
	struct hostlink_loop *hll = opaque;

	(void)l;
	hll->timer_set = false;
	if (hll->hl)
		hostlink_tick(hll->hl);
}

/* One timer: a new request replaces the standing one. */
static inline void hostlink_loop_wake(void *opaque, uint64_t delay_ms)
{
	struct hostlink_loop *hll = opaque;

	if (hll->timer_set)
		loop_del_timer(hll->loop, hll->timer);
	hll->timer_set = loop_add_timer(hll->loop, delay_ms, hostlink_loop_tick, hll,
					&hll->timer) == 0;
}

#define HOSTLINK_LOOP_WATCH_OPS                                                  \
	{ .add = hostlink_loop_add, .mod = hostlink_loop_mod, .del = hostlink_loop_del, \
	  .wake = hostlink_loop_wake }

#endif /* CXLDCD_HOSTLINK_LOOP_H */
