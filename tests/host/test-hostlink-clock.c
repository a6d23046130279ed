/* SPDX-License-Identifier: MIT */
/*
 * test-hostlink-clock.c - the hostlink's deadlines run on the clock its
 * caller gives it (hostlink_cfg.clock), not on CLOCK_MONOTONIC: a HELLO
 * deadline and a move's PAUSE deadline each end exactly when the test's
 * clock reaches them, not a millisecond before, whatever the real time.
 * The test clock starts far below the monotonic clock of any running
 * machine, so a hostlink that read the real clock anywhere (when it sets a
 * deadline or when it ticks) fails both ways: too early or never.
 *
 * The fixture is its own (not hx.c): a device, a memfd backend, a hostlink
 * with the test clock and a wake() that records the delay asked for, and
 * raw clients on an abstract Unix socket; nothing here sleeps or waits.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "hostlink/hostlink.h"
#include "hostlink/proto.h"
#include "mem/mem.h"
#include "../support/hl-raw.h"

#define MiB (1024ull * 1024)
#define T0 1000u                    /* the test clock at the start, ms */
#define HELLO_MS 700u               /* the listener's HELLO deadline */
#define MOVE_MS 2000u               /* the default move phase timeout (docs/host-link.md "Moves") */
#define SHORT_MOVE_MS 300u          /* fx_setup_short_moves()'s hostlink_cfg.move_timeout_ms */

struct client {
	int fd;
	uint8_t buf[4096];
	size_t got;
	unsigned seen[256];             /* messages received, by type */
	uint64_t pause_id;              /* of the last PAUSE */
	bool eof;
};

struct fx {
	struct cxldcd_dev *dev;
	struct mem_registry *reg;
	struct mem_dev *md;
	struct hostlink *hl;
	struct hostlink_watch_ops watch;
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t now_ms;                /* the test clock */
	uint64_t wake_delay_ms;         /* the last wake() request */
	unsigned wakes;
	uint64_t region0;
	uint64_t move_ms;               /* the move phase timeout the hostlink should keep */
};

static uint64_t test_clock(void *opaque)
{
	const struct fx *f = opaque;

	return f->now_ms;
}

static void on_wake(void *opaque, uint64_t delay_ms)
{
	struct fx *f = opaque;

	f->wake_delay_ms = delay_ms;
	f->wakes++;
}

/* The fixture; @move_ms: hostlink_cfg.move_timeout_ms (0: the default, MOVE_MS). */
static int fx_setup_with(void **state, uint32_t move_ms)
{
	static unsigned instance;
	struct fx *f = calloc(1, sizeof(*f));
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_diag diag;
	struct core_region_info ri;
	struct mem_backend_props bp = { .type = MEM_TYPE_MEMFD, .id = "mem0", .size = 512 * MiB };
	struct mem_dev_cfg mc = { .mode = MEM_DEV_SINGLE, .memdev = "mem0", .direct_map = true };
	struct hostlink_cfg hc = { 0 };
	char err[256];
	int fd, len;

	assert_non_null(f);
	f->now_ms = T0;
	f->move_ms = move_ms ? move_ms : MOVE_MS;
	core_cfg_default(&cfg);
	for (int i = 0; i < 2; i++) {
		cfg.regions[i].len = 256 * MiB;
		cfg.regions[i].decode_len = 256 * MiB;
	}
	cfg.regions[0].sharable = true;
	assert_int_equal(core_dev_new(&cfg, &f->dev, &diag), 0);
	assert_int_equal(core_region_get(f->dev, 0, &ri), 0);
	f->region0 = ri.base;
	assert_int_equal(mem_registry_new(&f->reg), 0);
	assert_int_equal(mem_registry_add(f->reg, &bp, NULL, err, sizeof(err)), 0);
	assert_int_equal(mem_dev_new(f->dev, f->reg, &mc, &f->md, err, sizeof(err)), 0);
	f->watch.wake = on_wake;
	hc.dev = f->dev;
	hc.md = f->md;
	hc.watch = &f->watch;
	hc.watch_opaque = f;
	hc.clock = test_clock;
	hc.clock_opaque = f;
	hc.hello_timeout_ms = HELLO_MS; /* the listeners' (hostlink_listen_fd() takes these) */
	hc.move_timeout_ms = move_ms;
	assert_int_equal(hostlink_new(&hc, &f->hl), 0);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	f->addr.sun_family = AF_UNIX;
	/* abstract namespace: nothing to clean up */
	len = snprintf(f->addr.sun_path + 1, sizeof(f->addr.sun_path) - 1, "cxldcd-test-hlclock-%d-%u",
		       (int)getpid(), instance++);
	f->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
	assert_int_equal(bind(fd, (struct sockaddr *)&f->addr, f->addr_len), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(hostlink_listen_fd(f->hl, fd, 1), 0);
	*state = f;
	return 0;
}

static int fx_setup(void **state)
{
	return fx_setup_with(state, 0);
}

static int fx_setup_short_moves(void **state)
{
	return fx_setup_with(state, SHORT_MOVE_MS);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	core_dev_free(f->dev); /* first: observers point at md and hl */
	hostlink_free(f->hl);
	mem_dev_free(f->md);
	mem_registry_free(f->reg);
	free(f);
	return 0;
}

/* Parse what c holds; count by type, keep the last PAUSE's id. */
static void parse(struct client *c)
{
	struct hl_hdr h;

	while (!hl_dec_hdr(c->buf, c->got, &h) && c->got >= HL_HDR_SIZE + h.len) {
		struct hl_pause pm;

		c->seen[h.type]++;
		if (h.type == HL_PAUSE) {
			assert_int_equal(hl_dec_pause(c->buf + HL_HDR_SIZE, h.len, &pm), 0);
			c->pause_id = pm.id;
		}
		memmove(c->buf, c->buf + HL_HDR_SIZE + h.len, c->got - HL_HDR_SIZE - h.len);
		c->got -= HL_HDR_SIZE + h.len;
	}
}

/* Read what c was sent (fds closed), without waiting. */
static bool drain(struct client *c)
{
	bool moved = false;

	while (!c->eof) {
		int fds[16];
		unsigned nfd = 0;
		ssize_t n = hl_recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, fds, &nfd, 16);

		for (unsigned i = 0; i < nfd; i++)
			close(fds[i]);
		if (n == -EAGAIN)
			break;
		moved = true;
		if (n <= 0) {
			c->eof = true;
			break;
		}
		c->got += (size_t)n;
		parse(c);
	}
	return moved;
}

/* Run the hostlink's fds and the clients until nothing moves; never waits, never ticks. */
static void pump(struct fx *f, struct client *cl, int ncl)
{
	for (int round = 0; round < 256; round++) {
		struct pollfd pf[16];
		size_t n = hostlink_pollfds(f->hl, pf, 16);
		bool moved = false;

		assert_true(n <= 16);
		if (poll(pf, (nfds_t)n, 0) > 0) {
			for (size_t i = 0; i < n; i++) {
				if (!pf[i].revents)
					continue;
				hostlink_process_fd(f->hl, pf[i].fd, hostlink_poll_events(pf[i].revents));
				moved = true;
			}
		}
		for (int i = 0; i < ncl; i++)
			moved |= drain(&cl[i]);
		if (!moved)
			return;
	}
	fail_msg("the host link does not settle");
}

static void client_connect(struct fx *f, struct client *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&f->addr, f->addr_len), 0);
}

static void client_hello(struct client *c, uint16_t host)
{
	uint8_t p[HL_HELLO_SIZE] = { 1, 0, (uint8_t)host, (uint8_t)(host >> 8), HL_HELLO_F_MAP };

	hl_raw_send(c->fd, HL_HELLO, 1, p, sizeof(p));
}

static struct hostlink_stats stats(const struct fx *f)
{
	struct hostlink_stats st;

	hostlink_stats_get(f->hl, &st);
	return st;
}

/*
 * A connection that sends no HELLO is closed when the clock reaches its
 * deadline (accepted at T0, deadline T0 + HELLO_MS) and not a
 * millisecond before; the wake() request and hostlink_tick()'s answer count
 * down on the same clock.
 */
static void test_hello_deadline_ends_exactly_when_the_clock_reaches_it(void **state)
{
	struct fx *f = *state;
	const uint64_t due = T0 + HELLO_MS;
	struct client c;

	client_connect(f, &c);
	pump(f, &c, 1);
	assert_int_equal(stats(f).nr_conns, 1);
	assert_int_equal(f->wakes, 1);
	assert_int_equal(f->wake_delay_ms, HELLO_MS);

	f->now_ms = due - 1;
	assert_int_equal(hostlink_tick(f->hl), 1);
	pump(f, &c, 1);
	assert_int_equal(stats(f).hello_timeouts, 0);
	assert_int_equal(stats(f).nr_conns, 1);
	assert_false(c.eof);
	assert_int_equal(f->wake_delay_ms, 1);

	f->now_ms = due;
	assert_int_equal(hostlink_tick(f->hl), -1); /* nothing left to wait for */
	pump(f, &c, 1);
	assert_int_equal(stats(f).hello_timeouts, 1);
	assert_int_equal(stats(f).nr_conns, 0);
	assert_int_equal(c.seen[HL_ERROR], 1);
	assert_true(c.eof);
	close(c.fd);
}

/* A connection that said HELLO in time has no deadline left, however late it gets. */
static void test_a_hello_in_time_is_not_timed_out(void **state)
{
	struct fx *f = *state;
	struct client c;

	client_connect(f, &c);
	pump(f, &c, 1);
	f->now_ms = T0 + HELLO_MS - 1;
	client_hello(&c, 0);
	pump(f, &c, 1);
	assert_int_equal(c.seen[HL_HELLO_ACK], 1);
	f->now_ms = T0 + 10 * HELLO_MS;
	assert_int_equal(hostlink_tick(f->hl), -1);
	pump(f, &c, 1);
	assert_int_equal(stats(f).hello_timeouts, 0);
	assert_true(hostlink_host_connected(f->hl, 0));
	close(c.fd);
	pump(f, NULL, 0);
}

static void accept_all(struct fx *f, uint16_t host, uint64_t dpa, uint64_t len)
{
	const struct cxldcd_range r = { .dpa = dpa, .len = len };
	struct cxldcd_diag diag;

	assert_int_equal(core_add_response(f->dev, host, &r, 1, false, &diag), CXLDCD_RC_SUCCESS);
}

/*
 * Hosts 0 and 1 share a tagged grant, both mapping it; host 0 is forced
 * out at time t, so host 1 is sent PAUSE with a deadline of t + the move
 * timeout (2000 ms by default, else hostlink_cfg.move_timeout_ms).  Host 1
 * never answers: the pause phase ends (move_timeouts, then the REMAP)
 * exactly when the clock reaches the deadline, not before; and the remap
 * phase likewise one move timeout later.
 */
static void test_a_silent_sharer_times_out_exactly_at_the_move_deadline(void **state)
{
	struct fx *f = *state;
	const uint64_t d = f->region0 + 32 * MiB, len = 2 * MiB, t = T0 + HELLO_MS + 50;
	struct cxldcd_extent e = { .dpa = d, .len = len };
	struct core_add_req add = { .host = 0, .policy = CXLDCD_ADD_PRESCRIPTIVE, .nr_extents = 1,
				    .extents = &e };
	struct core_release_req rel = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					.forced = true, .nr_extents = 1, .extents = &e };
	struct cxldcd_diag diag;
	struct client c[2];

	memset(e.tag, 0x5a, sizeof(e.tag));
	for (uint16_t h = 0; h < 2; h++) {
		client_connect(f, &c[h]);
		client_hello(&c[h], h);
	}
	pump(f, c, 2);
	assert_int_equal(c[0].seen[HL_HELLO_ACK] + c[1].seen[HL_HELLO_ACK], 2);
	/* the loop ticks when it was asked to (the HELLO deadline): nothing waits then */
	assert_int_equal(f->wake_delay_ms, HELLO_MS);
	f->now_ms = T0 + HELLO_MS;
	assert_int_equal(hostlink_tick(f->hl), -1);
	assert_int_equal(core_add(f->dev, &add, NULL, &diag), CXLDCD_RC_SUCCESS);
	accept_all(f, 0, d, len);
	add.host = 1;
	add.policy = CXLDCD_ADD_ENABLE_SHARED;
	memcpy(add.tag, e.tag, sizeof(e.tag));
	assert_int_equal(core_add(f->dev, &add, NULL, &diag), CXLDCD_RC_SUCCESS);
	accept_all(f, 1, d, len);
	pump(f, c, 2);
	assert_int_equal(c[0].seen[HL_MAP], 1);
	assert_int_equal(c[1].seen[HL_MAP], 1);

	f->now_ms = t;
	assert_int_equal(core_release(f->dev, &rel, &diag), CXLDCD_RC_SUCCESS);
	pump(f, c, 2);
	assert_int_equal(c[1].seen[HL_PAUSE], 1);
	assert_int_equal(f->wake_delay_ms, f->move_ms);

	f->now_ms = t + f->move_ms - 1;
	hostlink_tick(f->hl);
	pump(f, c, 2);
	assert_int_equal(stats(f).move_timeouts, 0);
	assert_int_equal(c[1].seen[HL_REMAP], 0);

	f->now_ms = t + f->move_ms;
	hostlink_tick(f->hl);
	pump(f, c, 2);
	assert_int_equal(stats(f).move_timeouts, 1);
	assert_int_equal(stats(f).moves, 1);
	assert_int_equal(c[1].seen[HL_REMAP], 1);

	/* the remap phase started at t + f->move_ms: it has its own f->move_ms */
	f->now_ms = t + 2 * f->move_ms - 1;
	hostlink_tick(f->hl);
	assert_int_equal(stats(f).move_timeouts, 1);
	f->now_ms = t + 2 * f->move_ms;
	assert_int_equal(hostlink_tick(f->hl), -1); /* the move is over */
	assert_int_equal(stats(f).move_timeouts, 2);
	for (int h = 0; h < 2; h++)
		close(c[h].fd);
	pump(f, NULL, 0);
}

/* The same with hostlink_cfg.move_timeout_ms = SHORT_MOVE_MS: each phase ends after it. */
static void test_a_configured_move_timeout_is_kept_exactly(void **state)
{
	test_a_silent_sharer_times_out_exactly_at_the_move_deadline(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_deadline_ends_exactly_when_the_clock_reaches_it,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_hello_in_time_is_not_timed_out, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_silent_sharer_times_out_exactly_at_the_move_deadline,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_configured_move_timeout_is_kept_exactly,
						fx_setup_short_moves, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
