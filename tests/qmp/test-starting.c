/* SPDX-License-Identifier: MIT */
/*
 * test-starting.c - the sockets of cxldcd --state exist while the journal
 * is replayed and answer that the device is starting (docs/persistence.md,
 * "While the state is restored"): QMP greets, the built-ins run, every other
 * command gets a GenericError naming the replay; an FM request gets Busy
 * (0006h); a host's HELLO gets STARTING, which libcxldcd-host reports as
 * -EAGAIN with the daemon's text, and the cxldcd-host agent waits (--wait)
 * and connects once the replay is over.  After the replay every socket
 * serves normally.  The journal (200,000 records, no snapshot) is written
 * straight into the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cxldcd/cxldcd-host.h"
#include "start-util.h"

static char dir[64];
static pid_t pid;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void start(void)
{
	const char *bin = getenv("CXLDCD");
	char qmp[120], fm[120], host[120], st[100], log[100];
	const char *argv[] = { bin, "-device", "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2",
			       "--state", st, "-qmp", qmp, "--fm", fm, "--host-socket", host, NULL };

	assert_non_null(bin);
	snprintf(qmp, sizeof(qmp), "unix:%s/qmp.sock,server,wait=off", dir);
	snprintf(fm, sizeof(fm), "unix:%s/fm.sock,device=d0", dir);
	snprintf(host, sizeof(host), "%s/host.sock", dir);
	snprintf(st, sizeof(st), "%s/state", dir);
	snprintf(log, sizeof(log), "%s/stderr.log", dir);
	setenv("CXLDCD_SNAPSHOT_EVERY", "0", 1);      /* no snapshot: the whole journal replays */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(bin, (char *const *)argv);
		_exit(127);
	}
}

static int connect_to(const char *name, double limit_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double t0 = now_s();

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	while (now_s() - t0 < limit_s) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
		usleep(200);
	}
	fail_msg("cannot connect to %s/%s", dir, name);
	return -1;
}

/* Read until @want appears in what was read (or 10 s pass); the text read. */
static void read_until(int fd, const char *want, char *buf, size_t cap)
{
	size_t got = 0;
	double t0 = now_s();

	buf[0] = 0;
	while (!strstr(buf, want) && now_s() - t0 < 10) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		k = read(fd, buf + got, cap - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
		buf[got] = 0;
	}
	if (!strstr(buf, want))
		fail_msg("no \"%s\" in: %s", want, buf);
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* The daemon's store DIR/state gets n journal records (test-starting's long replay). */
static void append(uint64_t n)
{
	char path[100];

	snprintf(path, sizeof(path), "%s/state", dir);
	journal_append_policies(path, n, 2);
}

static void quit(int fd)
{
	char buf[8192];

	send_str(fd, "{\"execute\":\"quit\"}");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	pid = 0;
}

/* The text of the last FAILED event of a host (libcxldcd-host). */
static char host_failed[300];

static void on_host_event(void *opaque, const struct cxldcd_host_event *ev)
{
	(void)opaque;
	if (ev->type == CXLDCD_HOST_EV_FAILED)
		snprintf(host_failed, sizeof(host_failed), "%s", ev->text ? ev->text : "");
}

/* Connect host @id through libcxldcd-host; the result of waiting for READY. */
static int host_connect(uint16_t id, struct cxldcd_host **h)
{
	char path[100];
	struct cxldcd_host_cfg cfg = { .host_id = id, .socket_path = path,
				       .event_fn = on_host_event };
	int rc;

	snprintf(path, sizeof(path), "%s/host.sock", dir);
	host_failed[0] = 0;
	rc = cxldcd_host_new(&cfg, h);
	if (rc)
		return rc;
	return cxldcd_host_wait_ready(*h, 10000);
}

/* The cxldcd-host agent as host @id with --wait 60, its stdout in DIR/agent.out. */
static pid_t agent_start(unsigned id)
{
	const char *bin = getenv("CXLDCD_HOST");
	char sock[100], out[100], idtxt[8];
	pid_t p;

	assert_non_null(bin);
	snprintf(sock, sizeof(sock), "%s/host.sock", dir);
	snprintf(out, sizeof(out), "%s/agent.out", dir);
	snprintf(idtxt, sizeof(idtxt), "%u", id);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0)
			dup2(fd, 1);
		execl(bin, bin, "--connect", sock, "--host-id", idtxt, "--wait", "60", (char *)NULL);
		_exit(127);
	}
	return p;
}

/* Wait (up to 30 s) until DIR/agent.out holds @want; its text in buf. */
static void agent_wait_for(const char *want, char *buf, size_t cap)
{
	char path[100];

	snprintf(path, sizeof(path), "%s/agent.out", dir);
	for (double t0 = now_s(); now_s() - t0 < 30; usleep(20000)) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, cap - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = 0;
		if (strstr(buf, want))
			return;
	}
	fail_msg("the agent did not print \"%s\": %s", want, buf);
}

static void test_sockets_answer_starting_during_replay(void **state)
{
	char buf[16384], cmd[100];
	struct cxldcd_host *h = NULL;
	pid_t agent;
	int q, f, status;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cxldcd-tstart-XXXXXX");
	assert_non_null(mkdtemp(dir));
	start();                                  /* a store with this configuration */
	q = connect_to("qmp.sock", 10);
	read_until(q, "\"QMP\"", buf, sizeof(buf));
	send_str(q, "{\"execute\":\"qmp_capabilities\"}");
	read_until(q, "\"return\"", buf, sizeof(buf));
	quit(q);
	append(200000);

	start();
	q = connect_to("qmp.sock", 10);
	f = connect_to("fm.sock", 10);
	read_until(q, "\"QMP\"", buf, sizeof(buf));
	send_str(q, "{\"execute\":\"qmp_capabilities\"}");
	read_until(q, "\"return\"", buf, sizeof(buf));
	send_str(q, "{\"execute\":\"query-version\",\"id\":1}");
	read_until(q, "\"id\": 1", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"qemu\""));
	send_str(q, "{\"execute\":\"query-cxl-devices\",\"id\":2}");
	read_until(q, "\"id\": 2", buf, sizeof(buf));
	if (!strstr(buf, "device is starting: replaying the state journal (record "))
		fail_msg("the replay was over before the first command (make the journal longer): %s", buf);
	assert_non_null(strstr(buf, "of 200000)"));
	assert_non_null(strstr(buf, "GenericError"));
	assert_int_equal(fm_identify_rc(f, 7), 0x0006);   /* Busy */
	/* A host's HELLO: refused as starting, -EAGAIN with the daemon's text. */
	assert_int_equal(host_connect(0, &h), -EAGAIN);
	if (!strstr(host_failed, "device is starting: replaying the state journal (record "))
		fail_msg("host refusal text: %s", host_failed);
	assert_non_null(strstr(host_failed, "of 200000)"));
	cxldcd_host_free(h);
	/* The agent waits for the device instead of failing. */
	agent = agent_start(1);
	agent_wait_for("starting tag=- device is starting: replaying the state journal", buf,
		       sizeof(buf));

	/* After the replay: normal service on the same connections. */
	for (double t0 = now_s();; usleep(20000)) {
		send_str(q, "{\"execute\":\"query-cxl-devices\",\"id\":3}");
		read_until(q, "\"id\": 3", buf, sizeof(buf));
		if (strstr(buf, "\"return\""))
			break;
		assert_true(now_s() - t0 < 60);
	}
	assert_int_equal(fm_identify_rc(f, 8), 0x0000);
	assert_int_equal(host_connect(0, &h), 0);
	cxldcd_host_free(h);
	agent_wait_for("ready tag=-", buf, sizeof(buf));
	kill(agent, SIGTERM);
	assert_int_equal(waitpid(agent, &status, 0), agent);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(f);
	quit(q);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sockets_answer_starting_during_replay),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
