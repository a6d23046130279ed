/* SPDX-License-Identifier: MIT */
/*
 * loop.c - epoll event loop (see loop.h).
 *
 * Watches live in an array indexed by fd.  Each carries a generation number
 * that also travels in the epoll cookie, so an event fetched for an fd that
 * was removed (or removed and reused) during the same round is recognised as
 * stale and dropped.  Timers are an unsorted list scanned once per round:
 * the daemon has a handful.  Deferred work (struct loop_defer) is a list of
 * the nodes queued this round, so the end of a round touches only those
 * (the connections with replies to send), never every watch.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "loop.h"

#define MAX_EVENTS 64

struct watch {
	loop_fd_fn *fn;
	void *opaque;
	unsigned events;   /* 0: slot unused */
	uint32_t gen;
};

struct timer {
	struct timer *next;
	uint64_t id, due_ms;
	loop_timer_fn *fn;
	void *opaque;
};

struct loop {
	int epfd;
	struct watch *w;
	size_t nr_w;
	struct timer *timers;
	uint64_t next_timer_id;
	uint32_t next_gen;
	int sigfd;
	loop_signal_fn *sig_fn;
	void *sig_opaque;
	loop_after_fn *after_fn;
	void *after_opaque;
	bool after_busy;            /* the hook has more to do: do not block */
	struct loop_defer deferred; /* circular list head of queued nodes (fn unused) */
	int stop;
};

void loop_defer_init(struct loop_defer *d, loop_defer_fn *fn, void *opaque)
{
	d->prev = d->next = NULL;
	d->fn = fn;
	d->opaque = opaque;
}

void loop_defer(struct loop *l, struct loop_defer *d)
{
	if (d->next)
		return;
	d->prev = l->deferred.prev;
	d->next = &l->deferred;
	d->prev->next = d;
	l->deferred.prev = d;
}

void loop_defer_cancel(struct loop_defer *d)
{
	if (!d->next)
		return;
	d->prev->next = d->next;
	d->next->prev = d->prev;
	d->prev = d->next = NULL;
}

static bool deferred_any(const struct loop *l)
{
	return l->deferred.next != &l->deferred;
}

/*
 * Run what was deferred until now, once each.  The queue moves to a local
 * head first: a node queued again by a callback waits for the next round,
 * and one cancelled meanwhile simply leaves the local list.
 */
static void run_deferred(struct loop *l)
{
	struct loop_defer batch;

	if (!deferred_any(l))
		return;
	batch.next = l->deferred.next;
	batch.prev = l->deferred.prev;
	batch.next->prev = &batch;
	batch.prev->next = &batch;
	l->deferred.next = l->deferred.prev = &l->deferred;
	while (batch.next != &batch) {
		struct loop_defer *d = batch.next;

		loop_defer_cancel(d);
		d->fn(l, d->opaque);
	}
}

void loop_set_after_dispatch(struct loop *l, loop_after_fn *fn, void *opaque)
{
	l->after_fn = fn;
	l->after_opaque = opaque;
}

uint64_t loop_now_ms(void)
{
	return clock_now_ms();
}

int loop_new(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->sigfd = -1;
	l->deferred.next = l->deferred.prev = &l->deferred;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int rc = -errno;

		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	while (deferred_any(l))          /* their owners may still cancel them */
		loop_defer_cancel(l->deferred.next);
	while (l->timers) {
		struct timer *t = l->timers;

		l->timers = t->next;
		free(t);
	}
	if (l->sigfd >= 0)
		close(l->sigfd);
	close(l->epfd);
	free(l->w);
	free(l);
}

static uint32_t to_epoll(unsigned ev)
{
	return (ev & LOOP_IN ? EPOLLIN : 0u) | (ev & LOOP_OUT ? EPOLLOUT : 0u);
}

static int grow(struct loop *l, int fd)
{
	size_t n = l->nr_w ? l->nr_w : 64;
	struct watch *w;

	while (n <= (size_t)fd)
		n *= 2;
	if (n == l->nr_w)
		return 0;
	w = realloc(l->w, n * sizeof(*w));
	if (!w)
		return -ENOMEM;
	memset(w + l->nr_w, 0, (n - l->nr_w) * sizeof(*w));
	l->w = w;
	l->nr_w = n;
	return 0;
}

int loop_add_fd(struct loop *l, int fd, unsigned events, loop_fd_fn *fn, void *opaque)
{
	struct epoll_event ev = { 0 };
	struct watch *w;

	if (fd < 0 || !fn)
		return -EINVAL;
	if (grow(l, fd))
		return -ENOMEM;
	w = &l->w[fd];
	if (w->events)
		return -EEXIST;
	w->gen = ++l->next_gen;
	ev.events = to_epoll(events);
	ev.data.u64 = (uint64_t)(unsigned)fd | ((uint64_t)w->gen << 32);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	w->fn = fn;
	w->opaque = opaque;
	/* Never 0 while registered, even when watching for nothing. */
	w->events = events | 0x100u;
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, unsigned events)
{
	struct epoll_event ev = { 0 };

	if (fd < 0 || (size_t)fd >= l->nr_w || !l->w[fd].events)
		return -ENOENT;
	ev.events = to_epoll(events);
	ev.data.u64 = (uint64_t)(unsigned)fd | ((uint64_t)l->w[fd].gen << 32);
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	l->w[fd].events = events | 0x100u;
	return 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nr_w || !l->w[fd].events)
		return -ENOENT;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&l->w[fd], 0, sizeof(l->w[fd]));
	return 0;
}

int loop_add_timer(struct loop *l, uint64_t delay_ms, loop_timer_fn *fn, void *opaque,
		   uint64_t *id_out)
{
	struct timer *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->id = ++l->next_timer_id;
	t->due_ms = loop_now_ms() + delay_ms;
	t->fn = fn;
	t->opaque = opaque;
	t->next = l->timers;
	l->timers = t;
	if (id_out)
		*id_out = t->id;
	return 0;
}

int loop_del_timer(struct loop *l, uint64_t id)
{
	for (struct timer **p = &l->timers; *p; p = &(*p)->next) {
		if ((*p)->id == id) {
			struct timer *t = *p;

			*p = t->next;
			free(t);
			return 0;
		}
	}
	return -ENOENT;
}

static void on_signal(struct loop *l, int fd, unsigned events, void *opaque)
{
	struct signalfd_siginfo si;

	(void)events; (void)opaque;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		l->sig_fn(l, (int)si.ssi_signo, l->sig_opaque);
}

int loop_watch_signals(struct loop *l, const int *sigs, size_t n, loop_signal_fn *fn,
		       void *opaque)
{
	sigset_t set;
	int rc;

	if (l->sigfd >= 0)
		return -EEXIST;
	sigemptyset(&set);
	for (size_t i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		return -errno;
	l->sig_fn = fn;
	l->sig_opaque = opaque;
	rc = loop_add_fd(l, l->sigfd, LOOP_IN, on_signal, NULL);
	if (rc) {
		close(l->sigfd);
		l->sigfd = -1;
	}
	return rc;
}

int loop_signals_after_fork(struct loop *l)
{
	if (l->sigfd < 0)
		return 0;
	loop_del_fd(l, l->sigfd);
	return loop_add_fd(l, l->sigfd, LOOP_IN, on_signal, NULL);
}

/* Milliseconds until the first timer is due, capped by @timeout_ms. */
static int wait_ms(struct loop *l, int timeout_ms)
{
	uint64_t now = loop_now_ms();
	int64_t best = timeout_ms;

	for (struct timer *t = l->timers; t; t = t->next) {
		int64_t d = t->due_ms > now ? (int64_t)(t->due_ms - now) : 0;

		if (best < 0 || d < best)
			best = d;
	}
	return best > 100000 ? 100000 : (int)best;
}

/* Run the timers that are due; timers added by callbacks wait a round. */
static void run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();
	uint64_t last_id = l->next_timer_id;
	struct timer **p = &l->timers;

	while (*p) {
		struct timer *t = *p;

		if (t->due_ms > now || t->id > last_id) {
			p = &t->next;
			continue;
		}
		*p = t->next;
		t->fn(l, t->opaque);
		free(t);
		p = &l->timers;   /* the callback may have changed the list */
	}
}

static void dispatch(struct loop *l, const struct epoll_event *ev)
{
	int fd = (int)(ev->data.u64 & 0xffffffffu);
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
	unsigned e = 0;
	struct watch *w;

	if ((size_t)fd >= l->nr_w)
		return;
	w = &l->w[fd];
	if (!w->events || w->gen != gen)
		return;   /* removed during this round */
	if (ev->events & EPOLLIN)
		e |= LOOP_IN;
	if (ev->events & EPOLLOUT)
		e |= LOOP_OUT;
	if (ev->events & (EPOLLERR | EPOLLHUP))
		e |= LOOP_ERR;
	w->fn(l, fd, e, w->opaque);
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	bool busy = l->after_busy || deferred_any(l);
	int n = epoll_wait(l->epfd, ev, MAX_EVENTS, busy ? 0 : wait_ms(l, timeout_ms));

	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	for (int i = 0; i < n; i++)
		dispatch(l, &ev[i]);
	run_timers(l);
	/*
	 * What is ready goes before the hook, which may wait for a disk (the
	 * group commit's sync): a reply to a read does not wait for another
	 * client's write to be durable.  Then what the hook produced (the
	 * answers of the requests it committed).
	 */
	run_deferred(l);
	/* After the timers too: what they queued (a due tick) is flushed this round. */
	l->after_busy = l->after_fn && l->after_fn(l, l->after_opaque);
	run_deferred(l);
	return n;
}

int loop_run(struct loop *l)
{
	while (!l->stop) {
		int rc = loop_run_once(l, -1);

		if (rc < 0)
			return rc;
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}

int loop_stopped(const struct loop *l)
{
	return l->stop;
}
