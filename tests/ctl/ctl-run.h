/* SPDX-License-Identifier: MIT */
/*
 * ctl-run.h - run cxldcd-ctl ($CXLDCD_CTL) as a child process in tests:
 * stdin text, environment changes, stdout/stderr captured, exit status,
 * every child bounded by RUN_MS; and checks on its text output (table rows
 * compared with blanks squeezed, so column widths do not matter).
 * Include after <cmocka.h> and "dev-util.h".
 */
#ifndef CXLDCD_TESTS_CTL_RUN_H
#define CXLDCD_TESTS_CTL_RUN_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_MS 20000

/* Tags and the device most ctl tests use. */
#define TAG_A "5be13bce-ae34-4a77-b6c3-16df975fcf1a"
#define TAG_B "0e4a0b4c-1f2a-4d55-9a8e-31e0c8a1b2c3"
#define VMEM "/machine/peripheral/cxl-vmem0"

static const char *const tagged_dev[] = {
	"-device", "cxl-type3,id=cxl-vmem0,num-dc-regions=2,dc-regions-total-size=4G,num-hosts=2",
	NULL
};

struct run {
	int status;             /* exit status; -1 if killed */
	char out[65536];
	char err[16384];
	size_t out_len, err_len;
};

struct child {
	pid_t pid;
	int out, err;
};

static const char *ctl_bin(void)
{
	const char *b = getenv("CXLDCD_CTL");

	return b ? b : "cxldcd-ctl";
}

/*
 * Start cxldcd-ctl with @args (NULL-terminated).  @env entries are
 * "KEY=VALUE" to set or "KEY" to unset in the child.  @in, if not NULL,
 * is written to its stdin.
 */
static inline void spawn_ctl(struct child *ch, const char *const *env, const char *in,
		      const char *const *args)
{
	const char *argv[64] = { ctl_bin() };
	int po[2], pe[2], pi[2], n = 1;

	for (; *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	assert_int_equal(pipe(pi), 0);
	ch->pid = fork();
	assert_true(ch->pid >= 0);
	if (ch->pid == 0) {
		for (; env && *env; env++) {
			char kv[512];
			char *eq;

			snprintf(kv, sizeof(kv), "%s", *env);
			eq = strchr(kv, '=');
			if (eq) {
				*eq = 0;
				setenv(kv, eq + 1, 1);
			} else {
				unsetenv(kv);
			}
		}
		dup2(pi[0], 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(pi[1]);
		close(po[0]);
		close(pe[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pi[0]);
	close(po[1]);
	close(pe[1]);
	if (in)
		assert_int_equal(write(pi[1], in, strlen(in)), (ssize_t)strlen(in));
	close(pi[1]);
	ch->out = po[0];
	ch->err = pe[0];
}

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Collect the child's output until it exits (killed after RUN_MS). */
static inline void finish(struct child *ch, struct run *r)
{
	struct pollfd pfd[2] = { { .fd = ch->out, .events = POLLIN }, { .fd = ch->err, .events = POLLIN } };
	long long end = now_ms() + RUN_MS;
	int st, open_fds = 2;

	memset(r, 0, sizeof(*r));
	while (open_fds && now_ms() < end) {
		if (poll(pfd, 2, 100) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			char *buf = i ? r->err : r->out;
			size_t *len = i ? &r->err_len : &r->out_len;
			size_t cap = i ? sizeof(r->err) : sizeof(r->out);
			ssize_t k;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			k = read(pfd[i].fd, buf + *len, cap - 1 - *len);
			if (k <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
			} else {
				*len += (size_t)k;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	if (open_fds)
		kill(ch->pid, SIGKILL);
	waitpid(ch->pid, &st, 0);
	r->status = open_fds ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->out[r->out_len] = 0;
	r->err[r->err_len] = 0;
}

static inline void run_env(struct run *r, const char *const *env, const char *in, const char *const *args)
{
	struct child ch;

	spawn_ctl(&ch, env, in, args);
	finish(&ch, r);
}

/* cxldcd-ctl --qmp unix:<p->qmp> ARGS... */
static inline void ctl_v(struct run *r, struct dproc *p, va_list ap)
{
	const char *args[64];
	char qmp[200];
	int n = 0;

	if (p) {
		snprintf(qmp, sizeof(qmp), "unix:%s", p->qmp);
		args[n++] = "--qmp";
		args[n++] = qmp;
	}
	for (const char *a; (a = va_arg(ap, const char *)) && n < 63;)
		args[n++] = a;
	args[n] = NULL;
	run_env(r, NULL, NULL, args);
}

/* cxldcd-ctl [--qmp unix:<p->qmp>] ARGS... that must exit @status; shows what it said otherwise. */
static inline struct run *ctl_expect(int status, struct dproc *p, ...)
{
	static struct run r;
	va_list ap;

	va_start(ap, p);
	ctl_v(&r, p, ap);
	va_end(ap);
	if (r.status != status)
		fail_msg("exit %d, expected %d\nstdout: %s\nstderr: %s", r.status, status, r.out, r.err);
	return &r;
}

#define OK(p, ...) ctl_expect(0, p, __VA_ARGS__, NULL)
#define FAILS(p, ...) ctl_expect(1, p, __VA_ARGS__, NULL)
#define USAGE(p, ...) ctl_expect(2, p, __VA_ARGS__, NULL)

/*
 * Does @text have a line equal to @row once runs of blanks are squeezed to
 * one?  Table rows are checked this way, independent of column widths.
 */
static inline bool has_row(const char *text, const char *row)
{
	const char *line = text;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char sq[1024];
		size_t n = 0;

		for (size_t i = 0; i < len && n < sizeof(sq) - 1; i++)
			if (line[i] != ' ' || (n && sq[n - 1] != ' '))
				sq[n++] = line[i];
		sq[n] = 0;
		if (!strcmp(sq, row))
			return true;
		if (!nl)
			break;
		line = nl + 1;
	}
	return false;
}

static inline void expect_row(const char *text, const char *row)
{
	if (!has_row(text, row))
		fail_msg("no row '%s' in:\n%s", row, text);
}

static inline int count_of(const char *text, const char *what)
{
	int n = 0;

	for (const char *s = text; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

#endif
