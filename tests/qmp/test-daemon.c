/* SPDX-License-Identifier: MIT */
/*
 * test-daemon.c - integration: start the real cxldcd binary (path in
 * $CXLDCD) on a temporary Unix socket or 127.0.0.1:0 and drive it over QMP
 * with tests/support/qmp-client.  Every wait is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "qmp-client.h"

#define TMO 5000

struct proc {
	pid_t pid;
	char dir[64];
	char sock[128];
	char log[128];
};

/*
 * Every spawned daemon and temp dir is recorded so the teardown can reap
 * them even when a failed assertion leaves a test early.
 */
static pid_t spawned[16];
static size_t nr_spawned;
static char dirs[16][64];
/* rm -rf plus a quoted dirs[] entry */
#define CMD_MAX (sizeof(dirs[0]) + 16)
static size_t nr_dirs;

static int reap_all(void **state)
{
	char cmd[CMD_MAX];

	(void)state;
	for (size_t i = 0; i < nr_spawned; i++) {
		if (kill(spawned[i], SIGKILL) == 0)
			waitpid(spawned[i], NULL, 0);
	}
	nr_spawned = 0;
	for (size_t i = 0; i < nr_dirs; i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%.63s'", dirs[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", dirs[i]);
	}
	nr_dirs = 0;
	return 0;
}

static const char *binary(void)
{
	const char *b = getenv("CXLDCD");

	return b ? b : "cxldcd";
}

/* Run cxldcd with @args (NULL-terminated); stderr goes to p->log. */
static void spawn(struct proc *p, const char *const *args)
{
	const char *argv[32] = { binary() };
	int n = 1;

	for (; args && *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a test killed by its timeout */
		dup2(fd, 2);
		dup2(fd, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (nr_spawned < 16)
		spawned[nr_spawned++] = p->pid;
}

static void proc_init(struct proc *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/cxldcd-test-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	if (nr_dirs < 16)
		snprintf(dirs[nr_dirs++], sizeof(dirs[0]), "%s", p->dir);
	snprintf(p->sock, sizeof(p->sock), "%s/qmp.sock", p->dir);
	snprintf(p->log, sizeof(p->log), "%s/stderr.log", p->dir);
}

static void start(struct proc *p)
{
	char qmp[200];
	const char *args[] = { "-qmp", qmp, NULL };

	proc_init(p);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p->sock);
	spawn(p, args);
}

/* Wait for exit; return the exit status or -1 on timeout / signal. */
static int wait_exit(struct proc *p, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		int st;
		pid_t r = waitpid(p->pid, &st, WNOHANG);

		if (r == p->pid) {
			p->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		usleep(10000);
	}
	return -1;
}

static void cleanup(struct proc *p)
{
	char cmd[128];

	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", p->dir);
}

static struct qmp_client *connect_negotiated(struct proc *p)
{
	struct qmp_client *c;

	assert_int_equal(qmp_client_connect_unix(p->sock, TMO, &c), 0);
	assert_int_equal(qmp_client_negotiate(c, TMO), 0);
	return c;
}

static void expect_error(json_t *r, const char *cls, const char *desc)
{
	assert_non_null(r);
	assert_string_equal(qmp_client_err_class(r), cls);
	if (desc)
		assert_string_equal(qmp_client_err_desc(r), desc);
	json_decref(r);
}

static void expect_alive(struct qmp_client *c)
{
	json_t *r = qmp_client_cmd(c, "{\"execute\":\"query-version\",\"id\":\"alive\"}", TMO);

	assert_non_null(r);
	assert_non_null(json_object_get(r, "return"));
	assert_string_equal(json_string_value(json_object_get(r, "id")), "alive");
	json_decref(r);
}

static char *read_log(struct proc *p)
{
	static char buf[8192];
	FILE *f = fopen(p->log, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

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

static void test_client_that_never_reads_is_dropped(void **state)
{
	struct proc p;
	struct qmp_client *slow, *b;
	size_t id_len = 900 * 1024;
	char *req = malloc(id_len + 64);
	int n;

	(void)state;
	start(&p);
	slow = connect_negotiated(&p);
	b = connect_negotiated(&p);
	/* Each request echoes a 900 KiB id: 16 of them exceed the 8 MiB output cap. */
	n = snprintf(req, 64, "{\"execute\":\"query-version\",\"id\":\"");
	memset(req + n, 'x', id_len);
	memcpy(req + n + id_len, "\"}", 3);
	for (int i = 0; i < 16; i++)
		if (qmp_client_send_raw(slow, req, strlen(req)) < 0)
			break;   /* already dropped */
	expect_alive(b);
	assert_int_equal(qmp_client_wait_eof(slow, TMO), 0);
	expect_alive(b);
	assert_non_null(strstr(read_log(&p), "disconnected"));
	free(req);
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
		cmocka_unit_test_teardown(test_greeting_negotiation_and_queries, reap_all),
		cmocka_unit_test_teardown(test_bad_input_gets_errors_and_the_connection_survives, reap_all),
		cmocka_unit_test_teardown(test_concurrent_clients_get_their_own_replies, reap_all),
		cmocka_unit_test_teardown(test_client_vanishing_mid_message_is_harmless, reap_all),
		cmocka_unit_test_teardown(test_client_that_never_reads_is_dropped, reap_all),
		cmocka_unit_test_teardown(test_quit_exits_zero_and_removes_the_socket, reap_all),
		cmocka_unit_test_teardown(test_sigterm_exits_zero_and_removes_the_socket, reap_all),
		cmocka_unit_test_teardown(test_tcp_listener_on_loopback_ephemeral_port, reap_all),
		cmocka_unit_test_teardown(test_bad_argument_exits_2_with_one_line, reap_all),
		cmocka_unit_test_teardown(test_version_and_help, reap_all),
		cmocka_unit_test_teardown(test_stale_socket_is_replaced_live_one_refused, reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
