/* SPDX-License-Identifier: MIT */
/*
 * daemon-proc.h - the real cxldcd as a child process for test-daemon.c and
 * test-daemon-life.c: spawned on a temporary socket with its log in a file,
 * connected and negotiated over QMP, waited for, cleaned up (dproc_track_*()
 * so dproc_reap_all() reaps it however a test ends).
 * Include after <cmocka.h>, "dproc.h" and "qmp-client.h".
 */
#ifndef CXLDCD_TESTS_DAEMON_PROC_H
#define CXLDCD_TESTS_DAEMON_PROC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

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
static inline const char *binary(void)
{
	const char *b = getenv("CXLDCD");

	return b ? b : "cxldcd";
}

/* Run cxldcd with @args (NULL-terminated); stderr goes to p->log. */
static inline void spawn(struct proc *p, const char *const *args)
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

static inline void proc_init(struct proc *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/cxldcd-test-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	dproc_track_dir(p->dir);
	snprintf(p->sock, sizeof(p->sock), "%s/qmp.sock", p->dir);
	snprintf(p->log, sizeof(p->log), "%s/stderr.log", p->dir);
}

static inline void start(struct proc *p)
{
	char qmp[200];
	const char *args[] = { "--log-level=info", "-qmp", qmp, NULL };

	proc_init(p);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p->sock);
	spawn(p, args);
}

/* Wait for exit; return the exit status or -1 on timeout / signal. */
static inline int wait_exit(struct proc *p, int timeout_ms)
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

static inline void cleanup(struct proc *p)
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

static inline struct qmp_client *connect_negotiated(struct proc *p)
{
	struct qmp_client *c;

	assert_int_equal(qmp_client_connect_unix(p->sock, TMO, &c), 0);
	assert_int_equal(qmp_client_negotiate(c, TMO), 0);
	return c;
}

static inline void expect_error(json_t *r, const char *cls, const char *desc)
{
	assert_non_null(r);
	assert_string_equal(qmp_client_err_class(r), cls);
	if (desc)
		assert_string_equal(qmp_client_err_desc(r), desc);
	json_decref(r);
}

static inline void expect_alive(struct qmp_client *c)
{
	json_t *r = qmp_client_cmd(c, "{\"execute\":\"query-version\",\"id\":\"alive\"}", TMO);

	assert_non_null(r);
	assert_non_null(json_object_get(r, "return"));
	assert_string_equal(json_string_value(json_object_get(r, "id")), "alive");
	json_decref(r);
}

static inline char *read_log(struct proc *p)
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

#endif
