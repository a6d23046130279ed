/* SPDX-License-Identifier: MIT */
/*
 * test-store-durability.c - what was acknowledged survives a crash.
 *
 * A forked child plays the daemon: it opens the store, and for each request
 * begins, appends one record, commits, and only then "acknowledges" by
 * writing the seq to a pipe.  The parent kills it with SIGKILL at a moment
 * chosen by a seeded generator, reads every acknowledgement that made it into
 * the pipe, reopens the store and checks that every acknowledged record is
 * there, in order and intact, and nothing beyond at most the one in flight.
 * The rounds share one store, so each child also restarts from the previous
 * crash.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/store.h"
#include "tmpdir.h"

#define NR_ROUNDS 6
#define MAX_DATA 3000

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: a fixed seed gives the same kill points every run. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* The record with sequence number seq: its bytes depend on seq only. */
static size_t rec_fill(uint64_t seq, struct store_rec *r, uint8_t *buf)
{
	memset(r, 0, sizeof(*r));
	r->time_ns = seq * 1000003;
	r->kind = STORE_REC_CCI;
	r->port = (uint32_t)(seq & 1);
	r->host = (uint32_t)(seq % 7);
	r->len = (size_t)(seq * 977 % MAX_DATA) + 1;
	for (size_t k = 0; k < r->len; k++)
		buf[k] = (uint8_t)(seq ^ (k * 13));
	r->data = buf;
	return r->len;
}

/* The daemon stand-in.  Never returns. */
static void child(const char *dir, int ack_fd)
{
	uint8_t buf[MAX_DATA + 1];
	struct store *st;
	struct store_rec r;
	char err[256];

	if (store_open(dir, &st, err, sizeof(err)))
		_exit(2);
	for (uint64_t seq = store_journal_count(st) + 1;; seq++) {
		rec_fill(seq, &r, buf);
		if (store_begin(st) || store_journal_append(st, &r) || r.seq != seq ||
		    store_commit(st))
			_exit(3);
		if (write(ack_fd, &seq, sizeof(seq)) != (ssize_t)sizeof(seq))
			_exit(4);
	}
}

struct check {
	uint64_t n;
	int bad;
};

static int check_cb(void *opaque, const struct store_rec *rec)
{
	struct check *c = opaque;
	uint8_t buf[MAX_DATA + 1];
	struct store_rec want;

	c->n++;
	rec_fill(c->n, &want, buf);
	if (rec->seq != c->n || rec->time_ns != want.time_ns || rec->kind != want.kind ||
	    rec->port != want.port || rec->host != want.host || rec->len != want.len ||
	    memcmp(rec->data, want.data, want.len) != 0)
		c->bad++;
	return 0;
}

/* Read acknowledgements until n more arrived (or EOF); return the last one seen. */
static uint64_t read_acks(int fd, uint64_t n, uint64_t last)
{
	uint64_t seq;

	for (uint64_t i = 0; i < n; i++) {
		ssize_t got = read(fd, &seq, sizeof(seq));

		if (got == 0)
			break;
		assert_int_equal(got, sizeof(seq));
		assert_int_equal(seq, last + 1); /* acks are in order */
		last = seq;
	}
	return last;
}

static void crash_round(const char *dir, uint64_t *rng, uint64_t *acked)
{
	struct timespec pause;
	struct store *st;
	struct check c = { 0 };
	char err[256];
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child(dir, fds[1]);
	}
	close(fds[1]);
	/* Wait for some acknowledgements, then a little more, then kill. */
	*acked = read_acks(fds[0], 1 + rng_next(rng) % 60, *acked);
	pause.tv_sec = 0;
	pause.tv_nsec = (long)(rng_next(rng) % 3000) * 1000;
	nanosleep(&pause, NULL);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	/* Acknowledgements written before death count as sent replies. */
	*acked = read_acks(fds[0], UINT64_MAX, *acked);
	close(fds[0]);

	assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
	assert_int_equal(store_journal_replay(st, check_cb, &c), 0);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.n, store_journal_count(st));
	assert_true(c.n >= *acked);
	assert_true(c.n <= *acked + 1);
	/* The one in flight was durable but not acknowledged: it stays, and
	 * the next child continues after it. */
	*acked = c.n;
	store_close(st);
}

static void test_acknowledged_records_survive_sigkill(void **state)
{
	static const uint64_t seeds[] = { 0x9e3779b97f4a7c15ull, 42, 7, 0xdeadbeefull };
	char *dir;

	(void)state;
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		uint64_t rng = seeds[s], acked = 0;

		dir = tmpdir_new();
		assert_non_null(dir);
		for (int round = 0; round < NR_ROUNDS; round++)
			crash_round(dir, &rng, &acked);
		assert_true(acked >= NR_ROUNDS);
		tmpdir_free(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acknowledged_records_survive_sigkill),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
