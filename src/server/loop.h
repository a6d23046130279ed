/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the daemon's event loop: one epoll set, fd watches with
 * callbacks, one-shot timers, signals through signalfd, and a stop request.
 * The size of redis ae.c on purpose.  Single-threaded; not a library API
 * (libraries never own the loop, style B.5): only src/server uses it.
 */
#ifndef CXLDCD_SERVER_LOOP_H
#define CXLDCD_SERVER_LOOP_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct loop;

/* Event bits: readable, writable, hang-up/error (always reported). */
#define LOOP_IN  0x1u
#define LOOP_OUT 0x2u
#define LOOP_ERR 0x4u

typedef void loop_fd_fn(struct loop *l, int fd, unsigned events, void *opaque);
typedef void loop_timer_fn(struct loop *l, void *opaque);
typedef void loop_signal_fn(struct loop *l, int signo, void *opaque);

/** loop_new() - @out: caller frees with loop_free().  Return: 0 or -errno. */
int loop_new(struct loop **out);
/** loop_free() - closes the epoll and signal fds (not watched fds); NULL ok. */
void loop_free(struct loop *l);

/**
 * loop_add_fd() - watch @fd (borrowed: the caller closes it after
 * loop_del_fd()) for LOOP_IN/LOOP_OUT.  One watch per fd.
 * Return: 0, -EEXIST, -ENOMEM or -errno from epoll_ctl.
 */
int loop_add_fd(struct loop *l, int fd, unsigned events, loop_fd_fn *fn, void *opaque);
int loop_mod_fd(struct loop *l, int fd, unsigned events);
/* Safe from inside callbacks: events already fetched for @fd are dropped. */
int loop_del_fd(struct loop *l, int fd);

/**
 * loop_add_timer() - call @fn once, @delay_ms from now (0: after the
 * current round of fd callbacks, a safe point to free objects).
 * @id_out: may be NULL; identifies the timer for loop_del_timer().
 */
int loop_add_timer(struct loop *l, uint64_t delay_ms, loop_timer_fn *fn, void *opaque,
		   uint64_t *id_out);
int loop_del_timer(struct loop *l, uint64_t id);

/**
 * loop_watch_signals() - block @sigs in this thread and deliver them to
 * @fn through a signalfd.  Call once.
 */
int loop_watch_signals(struct loop *l, const int *sigs, size_t n, loop_signal_fn *fn,
		       void *opaque);

/**
 * loop_signals_after_fork() - in a child of fork(), make the signalfd of
 * loop_watch_signals() wake this process's loop: epoll hears a signalfd
 * for the process that added it, so the child adds it again.  Return 0 or
 * -errno.
 */
int loop_signals_after_fork(struct loop *l);

/** loop_run_once() - wait up to @timeout_ms (-1: until something happens), dispatch. */
int loop_run_once(struct loop *l, int timeout_ms);
/*
 * Call fn(l, opaque) once per round, after the ready fds were dispatched and
 * the due timers ran (the daemon's group commit).  When it returns true (it
 * has more to do), the next round polls without waiting.  One hook; NULL
 * removes it.
 */
typedef bool loop_after_fn(struct loop *l, void *opaque);
void loop_set_after_dispatch(struct loop *l, loop_after_fn *fn, void *opaque);
/*
 * Work put off to the end of the round: what many callbacks of one round
 * each ask for is done once, before the loop next waits (the sockets send a
 * connection's replies this way, sock.c).  A struct loop_defer lives in the
 * caller's object (owned by it); loop_defer() queues it once, whatever the
 * number of calls, and fn(l, opaque) runs once, with the node already off
 * the queue: after the fd callbacks and timers, before the after-dispatch
 * hook (which may wait on a disk); a node queued by the hook runs right
 * after it.  A node queued by one of these fn calls runs at the next of
 * these two points; one queued after the second (or outside
 * loop_run_once()) in the next round, which then polls without waiting.
 */
typedef void loop_defer_fn(struct loop *l, void *opaque);
struct loop_defer {
	struct loop_defer *prev, *next;     /* NULL: not queued */
	loop_defer_fn *fn;
	void *opaque;
};
void loop_defer_init(struct loop_defer *d, loop_defer_fn *fn, void *opaque);
void loop_defer(struct loop *l, struct loop_defer *d);
/* Take @d off the queue if it is on it; call it before freeing what holds it. */
void loop_defer_cancel(struct loop_defer *d);
static inline bool loop_deferred(const struct loop_defer *d)
{
	return d->next != NULL;
}
/** loop_run() - dispatch until loop_stop().  Return: 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
int loop_stopped(const struct loop *l);

/** loop_now_ms() - monotonic milliseconds. */
uint64_t loop_now_ms(void);

#endif
