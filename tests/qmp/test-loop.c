/* SPDX-License-Identifier: MIT */
/*
 * test-loop.c - the event loop: fd watches, timers, removal during a round,
 * signals, work deferred to the end of a round.  The socket layer on it is
 * tested in test-sock.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "server/loop.h"

struct rec {
	int calls;
	int order[8];
	int other_fd;
	struct loop *l;
};

static void fd_cb(struct loop *l, int fd, unsigned events, void *opaque)
{
	struct rec *r = opaque;
	char buf[16];

	(void)events;
	if (read(fd, buf, sizeof(buf)) < 0)
		return;
	r->calls++;
	if (r->other_fd >= 0)
		loop_del_fd(l, r->other_fd);   /* its event of this round must be dropped */
}

static void test_fd_watch_and_removal_during_a_round(void **state)
{
	struct loop *l;
	int a[2], b[2];
	struct rec ra = { .other_fd = -1 }, rb = { .other_fd = -1 };

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	ra.other_fd = b[0];
	rb.other_fd = a[0];
	assert_int_equal(loop_add_fd(l, a[0], LOOP_IN, fd_cb, &ra), 0);
	assert_int_equal(loop_add_fd(l, b[0], LOOP_IN, fd_cb, &rb), 0);
	assert_int_equal(loop_add_fd(l, a[0], LOOP_IN, fd_cb, &ra), -EEXIST);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "y", 1), 1);
	assert_true(loop_run_once(l, 1000) >= 1);
	/* Whichever ran first removed the other: exactly one callback. */
	assert_int_equal(ra.calls + rb.calls, 1);
	assert_int_equal(loop_del_fd(l, 999), -ENOENT);
	assert_int_equal(loop_mod_fd(l, 999, LOOP_IN), -ENOENT);
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
	loop_free(l);
}

static void timer_cb(struct loop *l, void *opaque)
{
	struct rec *r = opaque;

	r->order[r->calls++] = (int)loop_now_ms();
	if (r->calls == 3)
		loop_stop(l);
}

static void test_timers_fire_in_order_and_stop_the_loop(void **state)
{
	struct loop *l;
	struct rec r = { 0 };
	uint64_t id, t0 = loop_now_ms();

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(loop_add_timer(l, 30, timer_cb, &r, NULL), 0);
	assert_int_equal(loop_add_timer(l, 0, timer_cb, &r, NULL), 0);
	assert_int_equal(loop_add_timer(l, 10, timer_cb, &r, NULL), 0);
	assert_int_equal(loop_add_timer(l, 5, timer_cb, &r, &id), 0);
	assert_int_equal(loop_del_timer(l, id), 0);
	assert_int_equal(loop_del_timer(l, id), -ENOENT);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(r.calls, 3);
	assert_true(loop_stopped(l));
	assert_true(loop_now_ms() - t0 >= 30);
	assert_true(r.order[0] <= r.order[1] && r.order[1] <= r.order[2]);
	loop_free(l);
}

static void sig_cb(struct loop *l, int signo, void *opaque)
{
	*(int *)opaque = signo;
	loop_stop(l);
}

static void test_signals_arrive_through_the_loop(void **state)
{
	struct loop *l;
	static const int sigs[] = { SIGUSR1 };
	int got = 0;

	(void)state;
	assert_int_equal(loop_new(&l), 0);
	assert_int_equal(loop_watch_signals(l, sigs, 1, sig_cb, &got), 0);
	assert_int_equal(loop_watch_signals(l, sigs, 1, sig_cb, &got), -EEXIST);
	kill(getpid(), SIGUSR1);
	for (int i = 0; i < 100 && !got; i++)
		loop_run_once(l, 50);
	assert_int_equal(got, SIGUSR1);
	loop_free(l);
}

/* ---- work deferred to the end of a round -------------------------------- */

struct dfr {
	struct loop_defer node;
	int runs;
	int after_calls_seen;           /* dfr_t->after_calls when it last ran */
	int again;                      /* queue itself again from its callback this often */
};

struct dfr_test {
	struct dfr a, b, c;
	int after_calls;
};

static struct dfr_test *dfr_t;

static void dfr_run(struct loop *l, void *opaque)
{
	struct dfr *d = opaque;

	d->runs++;
	d->after_calls_seen = dfr_t->after_calls;
	if (d->again) {
		d->again--;
		loop_defer(l, &d->node);
	}
}

/* The after-dispatch hook: counts its calls and defers c on its first. */
static bool dfr_after(struct loop *l, void *opaque)
{
	struct dfr_test *t = opaque;

	if (!t->after_calls++)
		loop_defer(l, &t->c.node);
	return false;
}

/* An fd callback that defers a three times and b once, then cancels b. */
static void dfr_fd(struct loop *l, int fd, unsigned events, void *opaque)
{
	struct dfr_test *t = opaque;
	char c;

	(void)events;
	assert_int_equal(read(fd, &c, 1), 1);
	for (int i = 0; i < 3; i++)
		loop_defer(l, &t->a.node);
	loop_defer(l, &t->b.node);
	assert_true(loop_deferred(&t->a.node));
	loop_defer_cancel(&t->b.node);
	assert_false(loop_deferred(&t->b.node));
	assert_int_equal(t->a.runs, 0);         /* not during the fd callbacks */
}

/*
 * loop_defer(): however often a node is queued by the fd callbacks of a
 * round, it runs once, after them and before the after-dispatch hook (which
 * may wait on a disk); one the hook queues runs right after the hook; a
 * cancelled one does not run.  One queued again by its callback runs at the
 * next of those two points; one queued after the last (or outside a round)
 * runs in the next round, which does not wait for an fd or a timer.
 */
static void test_deferred_work_runs_once_at_the_end_of_the_round(void **state)
{
	struct dfr_test t = { 0 };
	struct loop *l;
	uint64_t t0;
	int p[2];

	(void)state;
	dfr_t = &t;
	loop_defer_init(&t.a.node, dfr_run, &t.a);
	loop_defer_init(&t.b.node, dfr_run, &t.b);
	loop_defer_init(&t.c.node, dfr_run, &t.c);
	assert_int_equal(loop_new(&l), 0);
	loop_set_after_dispatch(l, dfr_after, &t);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_add_fd(l, p[0], LOOP_IN, dfr_fd, &t), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	t.a.again = 2;
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(t.a.runs, 2);                  /* before the hook, again after it */
	assert_int_equal(t.a.after_calls_seen, 1);
	assert_int_equal(t.b.runs, 0);
	assert_int_equal(t.c.runs, 1);                  /* queued by the hook: after it */
	assert_int_equal(t.c.after_calls_seen, 1);
	/* a queued itself again after the hook: the next round runs it without waiting 10 s. */
	assert_true(loop_deferred(&t.a.node));
	t0 = loop_now_ms();
	assert_int_equal(loop_run_once(l, 10000), 0);
	assert_true(loop_now_ms() - t0 < 5000);
	assert_int_equal(t.a.runs, 3);
	assert_int_equal(t.a.after_calls_seen, 1);      /* before the second round's hook */
	assert_false(loop_deferred(&t.a.node));
	/* Queued outside a round: the same. */
	loop_defer(l, &t.b.node);
	t0 = loop_now_ms();
	assert_int_equal(loop_run_once(l, 10000), 0);
	assert_true(loop_now_ms() - t0 < 5000);
	assert_int_equal(t.b.runs, 1);
	assert_int_equal(t.a.runs, 3);
	assert_int_equal(t.c.runs, 1);
	/* Still queued when the loop goes: off the queue, its owner may cancel it. */
	loop_defer(l, &t.a.node);
	loop_free(l);
	assert_false(loop_deferred(&t.a.node));
	loop_defer_cancel(&t.a.node);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_watch_and_removal_during_a_round),
		cmocka_unit_test(test_timers_fire_in_order_and_stop_the_loop),
		cmocka_unit_test(test_signals_arrive_through_the_loop),
		cmocka_unit_test(test_deferred_work_runs_once_at_the_end_of_the_round),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
