/* SPDX-License-Identifier: MIT */
/*
 * test-daemon.c - integration: start the real cxldcd binary (path in
 * $CXLDCD) on a temporary Unix socket or 127.0.0.1:0 and drive it over QMP
 * with tests/support/qmp-client.  Every wait is bounded.  Lifecycle
 * (signals, default sockets, logging, daemonizing) is tested in
 * test-daemon-life.c.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dproc.h"
#include "qmp-client.h"
#include "daemon-proc.h"

/* ---- tests ------------------------------------------------------------ */

static void test_greeting_negotiation_and_queries(void **state)
{
	struct proc p;
	struct qmp_client *c;
	struct stat st;
	json_t *g, *r;

	(void)state;
	start(&p);
	assert_int_equal(qmp_client_connect_unix(p.sock, TMO, &c), 0);
	assert_int_equal(stat(p.sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	g = qmp_client_recv(c, TMO);
	assert_non_null(json_object_get(json_object_get(g, "QMP"), "version"));
	json_decref(g);
	expect_error(qmp_client_cmd(c, "{\"execute\":\"query-version\"}", TMO), "CommandNotFound",
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	r = qmp_client_cmd(c, "{\"execute\":\"qmp_capabilities\",\"id\":{\"n\":1}}", TMO);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "id"), "n")), 1);
	json_decref(r);
	r = qmp_client_cmd(c, "{\"execute\":\"query-version\"}", TMO);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "return"), "package")),
			    "cxldcd 0.1.0");
	json_decref(r);
	r = qmp_client_cmd(c, "{\"execute\":\"query-commands\"}", TMO);
	assert_true(json_array_size(json_object_get(r, "return")) >= 4);
	json_decref(r);
	qmp_client_free(c);
	cleanup(&p);
}

static void test_bad_input_gets_errors_and_the_connection_survives(void **state)
{
	struct proc p;
	struct qmp_client *c;
	size_t big_len = (1u << 20) + 4096;
	char *big = malloc(big_len + 1);

	(void)state;
	start(&p);
	c = connect_negotiated(&p);
	expect_error(qmp_client_cmd(c, "{\"execute\": }", TMO), "GenericError", NULL);
	expect_alive(c);
	expect_error(qmp_client_cmd(c, "{\"execute\":\"frobnicate\",\"id\":5}", TMO), "CommandNotFound",
		     "The command frobnicate has not been found");
	expect_error(qmp_client_cmd(c, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}", TMO),
		     "CommandNotFound", "Capabilities negotiation is already complete, command ignored");
	expect_error(qmp_client_cmd(c, "{\"execute\":\"query-version\",\"arguments\":{\"x\":1}}", TMO),
		     "GenericError", "Parameter 'x' is unexpected");
	expect_error(qmp_client_cmd(c, "[\"execute\"]", TMO), "GenericError", "QMP input must be a JSON object");
	/* Oversize: one error, then back in sync. */
	memset(big, ' ', big_len);
	memcpy(big, "{\"execute\":\"query-version\",\"id\":\"", 33);
	memcpy(big + big_len - 3, "\"}\n", 3);
	big[big_len] = 0;
	expect_error(qmp_client_cmd(c, big, TMO), "GenericError",
		     "JSON parse error, message exceeds 1048576 bytes");
	expect_alive(c);
	/* Reset byte in the middle of a message. */
	expect_error(qmp_client_cmd(c, "{\"execute\":\"qu\x01", TMO), "GenericError",
		     "JSON parse error, invalid byte 0x01");
	expect_alive(c);
	free(big);
	qmp_client_free(c);
	cleanup(&p);
}

static void test_concurrent_clients_get_their_own_replies(void **state)
{
	struct proc p;
	struct qmp_client *c[6];
	char req[128];

	(void)state;
	start(&p);
	for (int i = 0; i < 6; i++)
		c[i] = connect_negotiated(&p);
	/* Interleave partial messages from every client. */
	for (int i = 0; i < 6; i++) {
		snprintf(req, sizeof(req), "{\"execute\":\"query-");
		assert_int_equal(qmp_client_send_raw(c[i], req, strlen(req)), 0);
	}
	for (int i = 5; i >= 0; i--) {
		json_t *r;

		snprintf(req, sizeof(req), "version\",\"id\":%d}", i);
		r = qmp_client_cmd(c[i], req, TMO);
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		json_decref(r);
	}
	for (int i = 0; i < 6; i++)
		qmp_client_free(c[i]);
	cleanup(&p);
}

static void test_client_vanishing_mid_message_is_harmless(void **state)
{
	struct proc p;
	struct qmp_client *a, *b;

	(void)state;
	start(&p);
	a = connect_negotiated(&p);
	b = connect_negotiated(&p);
	assert_int_equal(qmp_client_send_raw(a, "{\"execute\":\"query-vers", 22), 0);
	qmp_client_free(a);
	expect_alive(b);
	/* A client that sends a request and leaves without reading the reply. */
	assert_int_equal(qmp_client_connect_unix(p.sock, TMO, &a), 0);
	assert_int_equal(qmp_client_send_raw(a, "{\"execute\":\"qmp_capabilities\"}{\"execute\":\"query-commands\"}", 59), 0);
	qmp_client_free(a);
	expect_alive(b);
	qmp_client_free(b);
	cleanup(&p);
}

/* @n query-version requests whose ids are 'a' + i then @id_len 'x's, into @req; their length. */
static size_t big_id_requests(char *req, int n, size_t id_len)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		len += (size_t)sprintf(req + len, "{\"execute\":\"query-version\",\"id\":\"%c", 'a' + i);
		memset(req + len, 'x', id_len);
		len += id_len;
		len += (size_t)sprintf(req + len, "\"}");
	}
	return len;
}

/*
 * Send @req (@len bytes) on non-blocking @fd without reading until the
 * daemon @p stops taking bytes: three times in a row no room within 20 ms
 * while it sleeps (it does not read what waits in the socket), or 10 s.
 * Return how much it took.
 */
static size_t send_until_held(struct proc *p, int fd, const char *req, size_t len)
{
	size_t off = 0;

	for (int idle = 0, end = 500; off < len && idle < 3 && end;) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t k = send(fd, req + off, len - off, MSG_NOSIGNAL);

		if (k > 0) {
			off += (size_t)k;
			idle = 0;
			continue;
		}
		assert_true(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
		if (poll(&pfd, 1, 20) == 0 && dproc_state(p->pid) == 'S')
			idle++;
		else
			idle = 0;
		end--;
	}
	return off;
}

/*
 * A client that sends requests and does not read their replies is held back,
 * not dropped (backpressure, src/server/sock.h): once 1 MiB of its replies
 * wait, the daemon stops taking its requests, so its own sends block; other
 * clients are served meanwhile.  When it reads, it gets every reply, in
 * order.  Before: the daemon closed it at the 8 MiB output cap.
 */
static void test_client_that_never_reads_is_held_back_not_dropped(void **state)
{
	enum { N = 16 };
	struct proc p;
	struct qmp_client *slow, *b;
	size_t id_len = 900 * 1024, len, off, got = 0, replies = 0, cap = 4u << 20;
	char *req = malloc(N * (id_len + 64)), *in = malloc(cap);
	int fd, fl;

	(void)state;
	assert_non_null(req);
	assert_non_null(in);
	start(&p);
	slow = connect_negotiated(&p);
	b = connect_negotiated(&p);
	/* Each request echoes a 900 KiB id: 16 replies are 14 MiB, over the 8 MiB cap. */
	len = big_id_requests(req, N, id_len);
	fd = qmp_client_fd(slow);
	fl = fcntl(fd, F_GETFL);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	off = send_until_held(&p, fd, req, len);
	assert_true(off < len);            /* held back: its writes block */
	expect_alive(b);
	/* Not closed: the rest goes in as it reads, and every reply comes, in order. */
	while (replies < N) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN | (off < len ? POLLOUT : 0) };
		char *nl;
		ssize_t k;

		assert_true(poll(&pfd, 1, TMO) > 0);
		if ((pfd.revents & POLLOUT) && off < len) {
			k = send(fd, req + off, len - off, MSG_NOSIGNAL);
			if (k > 0)
				off += (size_t)k;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		k = read(fd, in + got, cap - got);
		assert_true(k > 0);                 /* EOF: dropped */
		got += (size_t)k;
		while ((nl = memchr(in, '\n', got))) {
			size_t n = (size_t)(nl - in) + 1;
			char want[32];

			snprintf(want, sizeof(want), "{\"return\": {");
			assert_memory_equal(in, want, strlen(want));
			snprintf(want, sizeof(want), "\"id\": \"%c", (int)('a' + replies));
			assert_non_null(memmem(in, n, want, strlen(want)));
			memmove(in, in + n, got - n);
			got -= n;
			replies++;
		}
		assert_true(got < cap);
	}
	expect_alive(b);
	assert_null(strstr(read_log(&p), "dropping the connection"));
	free(req);
	free(in);
	qmp_client_free(slow);
	qmp_client_free(b);
	cleanup(&p);
}

static void test_quit_exits_zero_and_removes_the_socket(void **state)
{
	struct proc p;
	struct qmp_client *c;
	json_t *r, *e;

	(void)state;
	start(&p);
	c = connect_negotiated(&p);
	assert_int_equal(qmp_client_send_raw(c, "{\"execute\":\"quit\",\"id\":9}", 25), 0);
	r = qmp_client_recv(c, TMO);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 9);
	assert_non_null(json_object_get(r, "return"));
	e = qmp_client_recv(c, TMO);
	assert_string_equal(json_string_value(json_object_get(e, "event")), "SHUTDOWN");
	json_decref(r);
	json_decref(e);
	assert_int_equal(wait_exit(&p, TMO), 0);
	assert_int_equal(access(p.sock, F_OK), -1);
	assert_int_equal(qmp_client_wait_eof(c, TMO), 0);
	qmp_client_free(c);
	cleanup(&p);
}

static void test_sigterm_exits_zero_and_removes_the_socket(void **state)
{
	struct proc p;
	struct qmp_client *c;

	(void)state;
	start(&p);
	c = connect_negotiated(&p);
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, TMO), 0);
	assert_int_equal(access(p.sock, F_OK), -1);
	assert_non_null(strstr(read_log(&p), "shutting down"));
	qmp_client_free(c);
	cleanup(&p);
}

static void test_tcp_listener_on_loopback_ephemeral_port(void **state)
{
	const char *args[] = { "-qmp", "tcp:127.0.0.1:0,server,wait=off", NULL };
	struct proc p;
	struct qmp_client *c;
	const char *at = NULL;
	int port = 0;

	(void)state;
	proc_init(&p);
	spawn(&p, args);
	for (int i = 0; i < 500 && !at; i++) {
		at = strstr(read_log(&p), "listening on tcp:127.0.0.1:");
		if (!at)
			usleep(10000);
	}
	assert_non_null(at);
	port = atoi(at + strlen("listening on tcp:127.0.0.1:"));
	assert_true(port > 0);
	assert_int_equal(qmp_client_connect_tcp("127.0.0.1", port, TMO, &c), 0);
	assert_int_equal(qmp_client_negotiate(c, TMO), 0);
	expect_alive(c);
	kill(p.pid, SIGINT);
	assert_int_equal(wait_exit(&p, TMO), 0);
	qmp_client_free(c);
	cleanup(&p);
}

static void test_bad_argument_exits_2_with_one_line(void **state)
{
	const char *args[] = { "-device", "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,bogus=1", NULL };
	struct proc p;
	char *log;

	(void)state;
	proc_init(&p);
	spawn(&p, args);
	assert_int_equal(wait_exit(&p, TMO), 2);
	log = read_log(&p);
	assert_non_null(strstr(log, "unknown property 'bogus'"));
	assert_ptr_equal(strchr(log, '\n'), log + strlen(log) - 1);
	cleanup(&p);
}

static void test_version_and_help(void **state)
{
	const char *v[] = { "--version", NULL }, *h[] = { "--help", NULL };
	struct proc p;

	(void)state;
	proc_init(&p);
	spawn(&p, v);
	assert_int_equal(wait_exit(&p, TMO), 0);
	assert_string_equal(read_log(&p), "cxldcd 0.1.0\n");
	spawn(&p, h);
	assert_int_equal(wait_exit(&p, TMO), 0);
	assert_non_null(strstr(read_log(&p), "Usage: cxldcd"));
	cleanup(&p);
}

static void test_stale_socket_is_replaced_live_one_refused(void **state)
{
	struct proc p, q;
	struct qmp_client *c;
	char qmp[200];
	const char *args[] = { "-qmp", qmp, NULL };

	(void)state;
	start(&p);
	c = connect_negotiated(&p);
	/* A second daemon on the same live socket must refuse to start. */
	proc_init(&q);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p.sock);
	spawn(&q, args);
	assert_int_equal(wait_exit(&q, TMO), 1);
	assert_non_null(strstr(read_log(&q), "cannot listen"));
	expect_alive(c);
	qmp_client_free(c);
	/* Killed without cleanup: the socket file stays, and is reused. */
	kill(p.pid, SIGKILL);
	waitpid(p.pid, NULL, 0);
	p.pid = 0;
	assert_int_equal(access(p.sock, F_OK), 0);
	spawn(&q, args);
	assert_int_equal(qmp_client_connect_unix(p.sock, TMO, &c), 0);
	assert_int_equal(qmp_client_negotiate(c, TMO), 0);
	qmp_client_free(c);
	kill(q.pid, SIGTERM);
	assert_int_equal(wait_exit(&q, TMO), 0);
	cleanup(&q);
	cleanup(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_greeting_negotiation_and_queries, dproc_reap_all),
		cmocka_unit_test_teardown(test_bad_input_gets_errors_and_the_connection_survives, dproc_reap_all),
		cmocka_unit_test_teardown(test_concurrent_clients_get_their_own_replies, dproc_reap_all),
		cmocka_unit_test_teardown(test_client_vanishing_mid_message_is_harmless, dproc_reap_all),
		cmocka_unit_test_teardown(test_client_that_never_reads_is_held_back_not_dropped, dproc_reap_all),
		cmocka_unit_test_teardown(test_quit_exits_zero_and_removes_the_socket, dproc_reap_all),
		cmocka_unit_test_teardown(test_sigterm_exits_zero_and_removes_the_socket, dproc_reap_all),
		cmocka_unit_test_teardown(test_tcp_listener_on_loopback_ephemeral_port, dproc_reap_all),
		cmocka_unit_test_teardown(test_bad_argument_exits_2_with_one_line, dproc_reap_all),
		cmocka_unit_test_teardown(test_version_and_help, dproc_reap_all),
		cmocka_unit_test_teardown(test_stale_socket_is_replaced_live_one_refused, dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
