/* SPDX-License-Identifier: MIT */
/* dproc.c - see dproc.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dproc.h"

#define MAX_PROCS 32

static pid_t spawned[MAX_PROCS];
static size_t nr_spawned;
static char dirs[MAX_PROCS][64];
static size_t nr_dirs;

void dproc_track_pid(pid_t pid)
{
	if (nr_spawned < MAX_PROCS)
		spawned[nr_spawned++] = pid;
}

void dproc_track_dir(const char *dir)
{
	if (nr_dirs < MAX_PROCS)
		snprintf(dirs[nr_dirs++], sizeof(dirs[0]), "%s", dir);
}

int dproc_init(struct dproc *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/cxldcd-test-XXXXXX");
	if (!mkdtemp(p->dir))
		return -errno;
	dproc_track_dir(p->dir);
	snprintf(p->qmp, sizeof(p->qmp), "%s/qmp.sock", p->dir);
	snprintf(p->fm, sizeof(p->fm), "%s/fm.sock", p->dir);
	snprintf(p->fm_arg, sizeof(p->fm_arg), "unix:%s", p->fm);
	snprintf(p->host, sizeof(p->host), "%s/host.sock", p->dir);
	snprintf(p->state, sizeof(p->state), "%s/state", p->dir);
	snprintf(p->log, sizeof(p->log), "%s/stderr.log", p->dir);
	return 0;
}

int dproc_start(struct dproc *p, const char *const *args)
{
	const char *bin = getenv("CXLDCD") ? getenv("CXLDCD") : "cxldcd";
	/* info: tests wait for routine lines ("qmp_capabilities ok") the default level hides */
	const char *argv[64] = { bin, "--log-level=info", "-qmp" };
	char qmp[200];
	int n = 3;

	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", p->qmp);
	argv[n++] = qmp;
	for (; args && *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (p->uid && (setgroups(0, NULL) || setgid(p->gid) || setuid(p->uid)))
			_exit(126);
		/* A test killed by its timeout must not leave its daemon running (after
		 * setuid(), which clears it). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (p->nofile && setrlimit(RLIMIT_NOFILE, &(struct rlimit){ p->nofile, p->nofile }))
			_exit(125);
		/* Default sockets (every -device gets an FM and a host-link one) stay private. */
		setenv("XDG_RUNTIME_DIR", p->dir, 1);
		dup2(fd, 2);
		dup2(fd, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	dproc_track_pid(p->pid);
	return 0;
}

pid_t dproc_spawn(const struct dproc *p, const char *bin, const char *name,
		  const char *const *args, bool as_user)
{
	return dproc_spawn_nofile(p, bin, name, args, as_user, 0);
}

pid_t dproc_spawn_nofile(const struct dproc *p, const char *bin, const char *name,
			 const char *const *args, bool as_user, unsigned nofile)
{
	const char *argv[32] = { bin };
	char log[sizeof(p->dir) + 80];
	pid_t pid;
	int n = 1;

	for (; *args; args++) {
		if (n == 31) {
			fprintf(stderr, "dproc_spawn: more than 30 arguments for %s\n", bin);
			abort();
		}
		argv[n++] = *args;
	}
	argv[n] = NULL;
	snprintf(log, sizeof(log), "%s/%s.log", p->dir, name);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		/* before setuid(): a user may lower its limits, not raise them */
		if (nofile && setrlimit(RLIMIT_NOFILE, &(struct rlimit){ nofile, nofile }))
			_exit(125);
		if (as_user && p->uid && (setgroups(0, NULL) || setgid(p->gid) || setuid(p->uid)))
			_exit(126);
		prctl(PR_SET_PDEATHSIG, SIGKILL);   /* after setuid(), which clears it */
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	dproc_track_pid(pid);
	return pid;
}

int dproc_connect_unix(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", path);
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		usleep(10000);
	}
	close(fd);
	return -1;
}

struct qmp_client *dproc_connect(struct dproc *p, int timeout_ms)
{
	struct qmp_client *c;

	if (qmp_client_connect_unix(p->qmp, timeout_ms, &c))
		return NULL;
	if (qmp_client_negotiate(c, timeout_ms)) {
		qmp_client_free(c);
		return NULL;
	}
	return c;
}

int dproc_wait_exit(struct dproc *p, int timeout_ms)
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

void dproc_kill9(struct dproc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
}

char dproc_state(pid_t pid)
{
	char path[64], st[512], *rp;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(st, 1, sizeof(st) - 1, f);
	fclose(f);
	st[n] = 0;
	rp = strrchr(st, ')');
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

int dproc_children(pid_t pid)
{
	char path[80];
	int n = 0, c;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%d", &c) == 1)
		n++;
	fclose(f);
	return n;
}

int dproc_sigstop(struct dproc *p)
{
	if (kill(p->pid, SIGSTOP))
		return -1;
	for (int i = 0; i < 2000; i++) {
		if (dproc_state(p->pid) == 'T')
			return 0;
		usleep(1000);
	}
	return -1;
}

long dproc_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

const char *dproc_log(struct dproc *p)
{
	static char buf[65536];
	FILE *f = fopen(p->log, "r");
	size_t n = 0;

	if (f) {
		if (fseek(f, -(long)(sizeof(buf) - 1), SEEK_END))
			rewind(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

int dproc_reap_all(void **state)
{
	char cmd[sizeof(dirs[0]) + 16];

	(void)state;
	for (size_t i = 0; i < nr_spawned; i++)
		if (kill(spawned[i], SIGKILL) == 0)
			waitpid(spawned[i], NULL, 0);
	nr_spawned = 0;
	for (size_t i = 0; i < nr_dirs; i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%.63s'", dirs[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", dirs[i]);
	}
	nr_dirs = 0;
	return 0;
}

int dproc_count_in(const struct dproc *p, const char *name, const char *needle)
{
	static char buf[8 << 20];
	char path[sizeof(p->dir) + 64];
	size_t n;
	int count = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (const char *q = buf; (q = strstr(q, needle)); q += strlen(needle))
		count++;
	return count;
}

int dproc_wait_count(const struct dproc *p, const char *name, const char *needle, int want,
		     int timeout_ms)
{
	int n = 0;

	for (int waited = 0; waited < timeout_ms && (n = dproc_count_in(p, name, needle)) < want;
	     waited += 20)
		usleep(20000);
	return n;
}
