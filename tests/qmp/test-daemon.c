/* SPDX-License-Identifier: MIT */
/*
 * test-daemon.c - integration: start the real cxldcd binary (path in
 * $CXLDCD) on a temporary Unix socket or 127.0.0.1:0 and drive it over QMP
 * with tests/support/qmp-client.  Every wait is bounded.
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

#define TMO 5000

struct proc {
	pid_t pid;
	char dir[64];
	char sock[128];
	char log[128];
};

/*
 * Every spawned daemon and temp dir is recorded (dproc_track_*()) so the
 * teardown, dproc_reap_all(), can reap them even when a failed assertion
 * leaves a test early.
 */
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
		setenv("XDG_RUNTIME_DIR", p->dir, 1);   /* default sockets stay private */
		dup2(fd, 2);
		dup2(fd, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	dproc_track_pid(p->pid);
}

static void proc_init(struct proc *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/cxldcd-test-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	dproc_track_dir(p->dir);
	snprintf(p->sock, sizeof(p->sock), "%s/qmp.sock", p->dir);
	snprintf(p->log, sizeof(p->log), "%s/stderr.log", p->dir);
}

static void start(struct proc *p)
{
	char qmp[200];
	const char *args[] = { "--log-level=info", "-qmp", qmp, NULL };

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
	size_t id_len = 900 * 1024, len, off = 0, got = 0, replies = 0, cap = 4u << 20;
	char *req = malloc(N * (id_len + 64)), *in = malloc(cap);
	int fd, fl;

	(void)state;
	assert_non_null(req);
	assert_non_null(in);
	start(&p);
	slow = connect_negotiated(&p);
	b = connect_negotiated(&p);
	/* Each request echoes a 900 KiB id: 16 replies are 14 MiB, over the 8 MiB cap. */
	len = 0;
	for (int i = 0; i < N; i++) {
		len += (size_t)sprintf(req + len, "{\"execute\":\"query-version\",\"id\":\"%c", 'a' + i);
		memset(req + len, 'x', id_len);
		len += id_len;
		len += (size_t)sprintf(req + len, "\"}");
	}
	fd = qmp_client_fd(slow);
	fl = fcntl(fd, F_GETFL);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	/*
	 * Send without reading until the daemon stops taking bytes: three
	 * times in a row no room within 20 ms while it sleeps (it does not
	 * read what waits in the socket), or 10 s.
	 */
	for (int idle = 0, end = 500; off < len && idle < 3 && end;) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t k = send(fd, req + off, len - off, MSG_NOSIGNAL);

		if (k > 0) {
			off += (size_t)k;
			idle = 0;
			continue;
		}
		assert_true(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
		if (poll(&pfd, 1, 20) == 0 && dproc_state(p.pid) == 'S')
			idle++;
		else
			idle = 0;
		end--;
	}
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

/* ---- lifecycle and defaults (issue 13) --------------------------------- */

#define DEV0 "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G"
#define DEV1 "cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=1G"

/* Is there a file @name in the runtime directory (XDG_RUNTIME_DIR=p->dir)? */
static bool in_rundir(const struct proc *p, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/cxldcd/%s", p->dir, name);
	return access(path, F_OK) == 0;
}

/* Wait until @what appears in the log; false after TMO. */
static bool log_has(struct proc *p, const char *what)
{
	for (int i = 0; i < TMO / 10; i++) {
		if (strstr(read_log(p), what))
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * SIGTERM and SIGINT send QEMU's SHUTDOWN event (reason host-signal) before
 * the daemon exits 0, and every socket file it made (QMP, FM, host link,
 * the defaults in the runtime directory) is gone.
 */
static void test_signal_sends_shutdown_and_leaves_no_socket(void **state)
{
	static const int sigs[] = { SIGTERM, SIGINT };

	(void)state;
	for (int i = 0; i < 2; i++) {
		const char *args[] = { "-device", DEV0, "-device", DEV1, NULL };
		struct proc p;
		struct qmp_client *c;
		json_t *e, *data;

		proc_init(&p);
		spawn(&p, args);
		/* no -qmp: the default QMP socket, in the runtime directory */
		snprintf(p.sock, sizeof(p.sock), "%s/cxldcd/qmp.sock", p.dir);
		c = connect_negotiated(&p);
		assert_true(in_rundir(&p, "fm.sock") && in_rundir(&p, "host.sock"));
		assert_true(in_rundir(&p, "fm-d1.sock") && in_rundir(&p, "host-d1.sock"));
		kill(p.pid, sigs[i]);
		e = qmp_client_event(c, "SHUTDOWN", TMO);
		assert_non_null(e);
		data = json_object_get(e, "data");
		assert_true(json_is_false(json_object_get(data, "guest")));
		assert_string_equal(json_string_value(json_object_get(data, "reason")), "host-signal");
		json_decref(e);
		assert_int_equal(wait_exit(&p, TMO), 0);
		assert_false(in_rundir(&p, "qmp.sock") || in_rundir(&p, "fm.sock") ||
			     in_rundir(&p, "host.sock") || in_rundir(&p, "fm-d1.sock") ||
			     in_rundir(&p, "host-d1.sock"));
		qmp_client_free(c);
		cleanup(&p);
	}
}

/*
 * Every -device gets an FM and a host-link socket in the runtime directory
 * when the command line names none, and the daemon prints where they are;
 * "--fm none --host-socket none" turns them off.
 */
static void test_every_device_gets_default_sockets_unless_none(void **state)
{
	const char *args[] = { "-device", DEV0, "-device", DEV1, NULL };
	const char *none[] = { "-device", DEV0, "--fm", "none", "--host-socket", "none", NULL };
	char want[300];
	struct proc p;
	int fd;

	(void)state;
	proc_init(&p);
	spawn(&p, args);
	snprintf(want, sizeof(want), "fm: listening on unix:%s/cxldcd/fm-d1.sock (device d1)", p.dir);
	assert_true(log_has(&p, want));
	snprintf(want, sizeof(want), "host link: listening on unix:%s/cxldcd/host.sock (device d0)",
		 p.dir);
	assert_true(log_has(&p, want));
	snprintf(want, sizeof(want), "%s/cxldcd/fm.sock", p.dir);
	fd = dproc_connect_unix(want, TMO);
	assert_true(fd >= 0);
	close(fd);
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, TMO), 0);
	cleanup(&p);

	proc_init(&p);
	spawn(&p, none);
	assert_true(log_has(&p, "qmp: listening on"));
	assert_false(in_rundir(&p, "fm.sock") || in_rundir(&p, "host.sock"));
	assert_null(strstr(read_log(&p), "fm: listening"));
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, TMO), 0);
	cleanup(&p);
}

/*
 * A user pastes the CXL part of QEMU's DCD example (machine, host bridge,
 * root port, cxl-type3) and nothing else: the daemon starts, says which
 * options it ignores and where every socket is, and SIGINT stops it with a
 * log line, exit status 0 and no socket file left.
 */
static void test_pasted_qemu_line_names_its_sockets_and_stops_on_sigint(void **state)
{
	const char *args[] = {
		"-M", "q35,cxl=on",
		"-object", "memory-backend-ram,id=vmem0,share=on,size=4G",
		"-device", "pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1",
		"-device", "cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2",
		"-device", "cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=2",
		"-M", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G", NULL,
	};
	static const char *const socks[][2] = {
		{ "qmp: listening on unix:", "qmp.sock" },
		{ "fm: listening on unix:", "fm.sock" },
		{ "mctp-cci: listening on unix:", "mctp.sock" },
		{ "host link: listening on unix:", "host.sock" },
	};
	char want[300];
	struct proc p;

	(void)state;
	proc_init(&p);
	spawn(&p, args);
	assert_true(log_has(&p, "device cxl-dcd0 (/machine/peripheral/cxl-dcd0): 2 DC region(s) of "
			    "2048 MiB"));
	assert_true(log_has(&p, "ignoring -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1: "
			    "a standalone device has no machine or CXL topology"));
	assert_true(log_has(&p, "ignoring -M q35,cxl=on"));
	assert_true(log_has(&p, "ignoring -device cxl-rp,"));
	assert_true(log_has(&p, "ignoring -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G"));
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		snprintf(want, sizeof(want), "%s%s/cxldcd/%s", socks[i][0], p.dir, socks[i][1]);
		assert_true(log_has(&p, want));
		assert_true(in_rundir(&p, socks[i][1]));
	}
	kill(p.pid, SIGINT);
	assert_int_equal(wait_exit(&p, TMO), 0);
	assert_non_null(strstr(read_log(&p), "cxldcd: received Interrupt, shutting down"));
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		assert_false(in_rundir(&p, socks[i][1]));
	cleanup(&p);
}

/*
 * A daemon that cannot start says why in one line and exits 1; the sockets
 * it had opened before (the defaults in the runtime directory) are gone.
 * It used to add "stopping after error: File exists" (or "Cannot assign
 * requested address" for a host name that does not resolve).
 */
static void test_failure_to_start_says_why_once(void **state)
{
	char file[200], arg[220];
	const char *args[] = { "-device", DEV0, "--host-socket", arg, NULL };
	const char *tcp[] = { "-device", DEV0, "--host-socket", "tcp:nonexistent.invalid:4444", NULL };
	const char *zero[] = { "-object", "memory-backend-ram,id=z,size=0", NULL };
	struct proc p;
	const char *log;
	int fd;

	(void)state;
	proc_init(&p);
	snprintf(file, sizeof(file), "%s/file.sock", p.dir);
	snprintf(arg, sizeof(arg), "%s", file);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	spawn(&p, args);
	assert_int_equal(wait_exit(&p, TMO), 1);
	log = read_log(&p);
	assert_non_null(strstr(log, "cannot listen: "));
	assert_non_null(strstr(log, "file.sock exists and is not a socket"));
	assert_null(strstr(log, "stopping after error"));
	assert_null(strstr(log, "cannot start"));
	assert_false(in_rundir(&p, "qmp.sock") || in_rundir(&p, "fm.sock") ||
		     in_rundir(&p, "mctp.sock"));
	cleanup(&p);

	proc_init(&p);
	spawn(&p, tcp);
	assert_int_equal(wait_exit(&p, TMO), 1);
	log = read_log(&p);
	assert_non_null(strstr(log, "cxldcd: --host-socket tcp:nonexistent.invalid:4444: cannot resolve "
			       "'nonexistent.invalid' to an IPv4 address"));
	assert_null(strstr(log, "stopping after error"));
	cleanup(&p);

	/* a backend of size 0: the backend refuses it, with QEMU's text */
	proc_init(&p);
	spawn(&p, zero);
	assert_int_equal(wait_exit(&p, TMO), 1);
	log = read_log(&p);
	assert_non_null(strstr(log, "cxldcd: -object z: can't create backend with size 0\n"));
	cleanup(&p);
}

/* Routine requests log nothing at the default level; --log-level=info shows them. */
static void test_quiet_by_default_log_level_info_shows_requests(void **state)
{
	(void)state;
	for (int verbose = 0; verbose < 2; verbose++) {
		char qmp[200];
		const char *args[] = { "-qmp", qmp, verbose ? "--log-level=info" : NULL, NULL };
		struct proc p;
		struct qmp_client *c;
		const char *log;

		proc_init(&p);
		snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p.sock);
		spawn(&p, args);
		c = connect_negotiated(&p);
		expect_alive(c);
		qmp_client_free(c);
		kill(p.pid, SIGTERM);
		assert_int_equal(wait_exit(&p, TMO), 0);
		log = read_log(&p);
		assert_non_null(strstr(log, "qmp: listening on"));
		if (verbose) {
			assert_non_null(strstr(log, "qmp_capabilities ok"));
		} else {
			assert_null(strstr(log, "qmp_capabilities"));
			assert_null(strstr(log, "connected"));
			assert_null(strstr(log, "session"));
		}
		cleanup(&p);
	}
}

/*
 * SIGHUP keeps the daemon running and reopens --log-file (logrotate moved
 * it): the next lines land in a new file of that name.
 */
static void test_sighup_reopens_the_log_file(void **state)
{
	char qmp[200], logf[200], moved[220], *text;
	const char *args[] = { "-qmp", qmp, "--log-file", logf, NULL };
	struct proc p;
	struct qmp_client *c;
	FILE *f;

	(void)state;
	proc_init(&p);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p.sock);
	snprintf(logf, sizeof(logf), "%s/cxldcd.log", p.dir);
	snprintf(moved, sizeof(moved), "%s.1", logf);
	spawn(&p, args);
	c = connect_negotiated(&p);
	assert_int_equal(rename(logf, moved), 0);
	kill(p.pid, SIGHUP);
	expect_alive(c);
	for (int i = 0; i < TMO / 10 && access(logf, F_OK); i++)
		usleep(10000);
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, TMO), 0);
	text = calloc(1, 8192);
	assert_non_null(text);
	f = fopen(logf, "r");
	assert_non_null(f);
	assert_true(fread(text, 1, 8191, f) > 0);
	fclose(f);
	assert_non_null(strstr(text, "log file reopened"));
	assert_non_null(strstr(text, "shutting down"));
	assert_null(strstr(text, "qmp: listening on"));    /* that one went to the moved file */
	f = fopen(moved, "r");
	assert_non_null(f);
	memset(text, 0, 8192);
	assert_true(fread(text, 1, 8191, f) > 0);
	fclose(f);
	assert_non_null(strstr(text, "qmp: listening on"));
	free(text);
	qmp_client_free(c);
	cleanup(&p);
}

/*
 * Start a --daemonize cxldcd with args, wait for the parent to exit 0 and
 * return the daemon's pid from pidf (alive; the teardown kills it).
 */
static long spawn_daemonized(struct proc *p, const char **args, const char *pidf)
{
	long pid = 0;
	FILE *f;

	spawn(p, args);
	assert_int_equal(wait_exit(p, TMO), 0);
	f = fopen(pidf, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_true(pid > 1 && kill((pid_t)pid, 0) == 0);
	dproc_track_pid((pid_t)pid);    /* not our child: the teardown kills it */
	return pid;
}

/*
 * Wait until @pid, not our child, has exited: gone, or a zombie its new
 * parent has not reaped yet (that can take a second or more: whatever
 * init the machine runs reaps in its own time).  False after TMO.
 */
static bool exited(long pid)
{
	for (int i = 0; i < TMO / 2; i++) {
		char st = dproc_state((pid_t)pid);

		if (!st || st == 'Z')
			return true;
		usleep(2000);
	}
	return false;
}

/*
 * --daemonize returns once the sockets listen (status 0) and --pidfile
 * names the daemon; quit removes the pid file and the socket.
 */
static void test_daemonize_and_pidfile(void **state)
{
	char qmp[200], pidf[200];
	const char *args[] = { "-qmp", qmp, "--daemonize", "--pidfile", pidf, NULL };
	struct proc p;
	struct qmp_client *c;
	long pid;
	json_t *r;

	(void)state;
	proc_init(&p);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p.sock);
	snprintf(pidf, sizeof(pidf), "%s/cxldcd.pid", p.dir);
	/* Listening and the pid file written before the parent returned: no retry. */
	pid = spawn_daemonized(&p, args, pidf);
	assert_int_equal(qmp_client_connect_unix(p.sock, 0, &c), 0);
	assert_int_equal(qmp_client_negotiate(c, TMO), 0);
	r = qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO);
	json_decref(r);
	assert_int_equal(qmp_client_wait_eof(c, TMO), 0);
	assert_true(exited(pid));
	assert_int_equal(access(pidf, F_OK), -1);
	assert_int_equal(access(p.sock, F_OK), -1);
	qmp_client_free(c);
	cleanup(&p);
}

/*
 * A daemonized cxldcd hears its signals: SIGHUP reopens the log file,
 * SIGTERM stops it cleanly (log line, pid file and socket removed).  The
 * child used to miss them: its signalfd sat in an epoll set the parent had
 * filled, so only the parent, gone, would have been woken.
 */
static void test_daemonized_daemon_stops_on_sigterm(void **state)
{
	char qmp[200], pidf[200], logf[200];
	const char *args[] = { "-qmp", qmp, "--daemonize", "--pidfile", pidf, "--log-file", logf,
			       NULL };
	struct proc p;
	long pid = 0;
	FILE *f;
	char text[4096];
	size_t n = 0;

	(void)state;
	proc_init(&p);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p.sock);
	snprintf(pidf, sizeof(pidf), "%s/cxldcd.pid", p.dir);
	snprintf(logf, sizeof(logf), "%s/daemon.log", p.dir);
	pid = spawn_daemonized(&p, args, pidf);
	assert_int_equal(kill((pid_t)pid, SIGHUP), 0);
	assert_int_equal(kill((pid_t)pid, SIGTERM), 0);
	assert_true(exited(pid));
	assert_int_equal(access(pidf, F_OK), -1);
	assert_int_equal(access(p.sock, F_OK), -1);
	f = fopen(logf, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	assert_non_null(strstr(text, "SIGHUP: log file reopened"));
	assert_non_null(strstr(text, "received Terminated, shutting down"));
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
		cmocka_unit_test_teardown(test_signal_sends_shutdown_and_leaves_no_socket, dproc_reap_all),
		cmocka_unit_test_teardown(test_every_device_gets_default_sockets_unless_none, dproc_reap_all),
		cmocka_unit_test_teardown(test_pasted_qemu_line_names_its_sockets_and_stops_on_sigint,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_failure_to_start_says_why_once, dproc_reap_all),
		cmocka_unit_test_teardown(test_quiet_by_default_log_level_info_shows_requests, dproc_reap_all),
		cmocka_unit_test_teardown(test_sighup_reopens_the_log_file, dproc_reap_all),
		cmocka_unit_test_teardown(test_daemonize_and_pidfile, dproc_reap_all),
		cmocka_unit_test_teardown(test_daemonized_daemon_stops_on_sigterm, dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
