/* SPDX-License-Identifier: MIT */
/*
 * test-listener-limits.c - integration: the real daemon's QMP and FM
 * listeners keep at most max-conns connections each (issue #14).
 *
 *  - QMP (-qmp ...,max-conns=3): a session that has not run
 *    qmp_capabilities is the first to go for a newcomer (oldest first);
 *    when every session is negotiated, a newcomer is refused; negotiated
 *    sessions keep working throughout.  One debug line per drop/refusal.
 *  - FM (--fm ...,max-conns=2): no handshake, so beyond the limit a
 *    newcomer is refused and the connections already open stay; after one
 *    closes, a new one is taken again.
 *  - max-conns=0 is refused on the command line.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cci-raw.h"
#include "dproc.h"
#include "sock-util.h"
#include "qmp-client.h"

/* Start with @extra after the memory and device, logging debug lines; wait for QMP. */
static void start(struct dproc *p, const char *const *extra)
{
	static const char *const lead[] = { "--log-level=debug", NULL };

	sock_start(p, lead, extra);
}

/* A QMP connection that got its greeting (so the daemon accepted it) and said nothing. */
static int qmp_idle(const char *path)
{
	struct pollfd pf = { .fd = unix_connect(path), .events = POLLIN };
	char buf[4096];

	assert_int_equal(poll(&pf, 1, SOCK_TMO), 1);
	assert_true(read(pf.fd, buf, sizeof(buf)) > 0); /* {"QMP": ...} */
	return pf.fd;
}

static struct qmp_client *qmp_negotiated(const char *path)
{
	struct qmp_client *c;

	assert_int_equal(qmp_client_connect_unix(path, SOCK_TMO, &c), 0);
	assert_int_equal(qmp_client_negotiate(c, SOCK_TMO), 0);
	return c;
}

static void assert_works(struct qmp_client *c)
{
	json_t *r = qmp_client_cmd(c, "{\"execute\":\"query-version\"}", SOCK_TMO);

	assert_non_null(r);
	assert_non_null(json_object_get(r, "return"));
	json_decref(r);
}

/*
 * FM Identify (0001h) on @fd, answered with Success.  The daemon serves its
 * fds in rounds: an answer means the round that read the request is over,
 * with whatever else was ready then (a close, an accept).
 */
static void fm_identify(int fd, uint8_t tag)
{
	uint8_t msg[12], rsp[12 + 0x12];

	cci_raw_hdr(msg, tag, 0x0001, 0);
	assert_int_equal(send(fd, msg, sizeof(msg), MSG_NOSIGNAL), (ssize_t)sizeof(msg));
	assert_int_equal(cci_raw_recv(fd, rsp, sizeof(rsp), SOCK_TMO), sizeof(rsp));
	assert_int_equal(rsp[1], tag);
	assert_int_equal(rsp[8], 0);
}

/* Wait until the log holds @n lines containing @key. */
static bool log_has(struct dproc *p, const char *key, int n, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	do {
		const char *s = dproc_log(p);
		int got = 0;

		while ((s = strstr(s, key))) {
			got++;
			s++;
		}
		if (got >= n)
			return true;
		usleep(20000);
	} while (now_ms() < end);
	return false;
}

static void test_qmp_drops_the_oldest_unnegotiated_session_then_refuses(void **state)
{
	struct qmp_client *n1, *n2, *n3;
	struct dproc p;
	char path[200], arg[260];
	int u1, u2, late;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(path, sizeof(path), "%s/q2.sock", p.dir);
	snprintf(arg, sizeof(arg), "unix:%s,server,wait=off,max-conns=3", path);
	start(&p, (const char *const[]){ "-qmp", arg, NULL });

	n1 = qmp_negotiated(path);
	n2 = qmp_negotiated(path);
	u1 = qmp_idle(path);
	/* full (3): the un-negotiated u1 goes for u2 */
	u2 = qmp_idle(path);
	assert_true(closed_within(u1, 2000));
	/* two answers later (two rounds of the daemon's loop) u2 is still there */
	assert_works(n1);
	assert_works(n1);
	assert_false(closed_within(u2, 0));
	/* and u2 for n3, which negotiates */
	n3 = qmp_negotiated(path);
	assert_true(closed_within(u2, 2000));
	assert_works(n3);
	assert_true(log_has(&p, "has not finished its handshake", 2, 2000));
	/* all three negotiated: a newcomer is refused, nobody else is touched */
	late = unix_connect(path);
	assert_true(closed_within(late, 2000));
	assert_true(log_has(&p, "none awaiting a handshake): refusing a connection", 1, 2000));
	assert_works(n1);
	assert_works(n2);
	assert_works(n3);
	/* the daemon's other -qmp listener has its own limit (the default) */
	qmp_client_free(dproc_connect(&p, SOCK_TMO));
	/* one gone (the daemon has seen it once it answered twice more): room again */
	qmp_client_free(n1);
	assert_works(n2);
	assert_works(n2);
	n1 = qmp_negotiated(path);
	assert_works(n1);
	close(u1);
	close(u2);
	close(late);
	qmp_client_free(n1);
	qmp_client_free(n2);
	qmp_client_free(n3);
}

static void test_fm_refuses_beyond_its_limit(void **state)
{
	struct dproc p;
	char arg[200];
	int a, b, c, d;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(arg, sizeof(arg), "%s,max-conns=2", p.fm_arg);
	start(&p, (const char *const[]){ "--fm", arg, NULL });
	a = unix_connect(p.fm);
	b = unix_connect(p.fm);
	assert_true(log_has(&p, "connected to device d0", 2, 2000)); /* both accepted */
	c = unix_connect(p.fm);
	assert_true(closed_within(c, 2000));
	assert_true(log_has(&p, "none awaiting a handshake): refusing a connection", 1, 2000));
	/* a and b are still served, two rounds later */
	fm_identify(a, 1);
	fm_identify(b, 2);
	fm_identify(a, 3);
	assert_false(closed_within(b, 0));
	/* a gone (seen once b is answered twice more): room for d, which is served */
	close(a);
	fm_identify(b, 4);
	fm_identify(b, 5);
	d = unix_connect(p.fm);
	fm_identify(d, 6);
	fm_identify(d, 7);
	assert_false(closed_within(d, 0));
	assert_false(closed_within(b, 0));
	close(b);
	close(c);
	close(d);
}

static void test_max_conns_zero_is_refused(void **state)
{
	struct dproc p;
	char arg[260];

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(arg, sizeof(arg), "%s,max-conns=0", p.fm_arg);
	assert_int_equal(dproc_start(&p, (const char *const[]){ "-object", SOCK_OBJ, "-device", SOCK_DEV,
								"--fm", arg, NULL }), 0);
	assert_int_equal(dproc_wait_exit(&p, SOCK_TMO), 2);
	assert_non_null(strstr(dproc_log(&p), "invalid value '0' for 'max-conns' (1..4294967295)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_teardown(fn, dproc_reap_all)
		T(test_qmp_drops_the_oldest_unnegotiated_session_then_refuses),
		T(test_fm_refuses_beyond_its_limit),
		T(test_max_conns_zero_is_refused),
#undef T
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("listener-limits", tests, NULL, NULL);
}
