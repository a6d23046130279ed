/* SPDX-License-Identifier: MIT */
/* util.c - see util.h. */
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int bench_cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_log_tail(const char *path)
{
	char buf[4096];
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	off_t end;
	ssize_t n;

	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		fprintf(stderr, "--- cxldcd log (tail):\n%s---\n", buf);
	}
}

long bench_rss_kib(pid_t pid)
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

int bench_connect_unix(const char *path, pid_t *pid, double wait_s, int *status)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double until = bench_now_s() + wait_s;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", path);
	do {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
		if (pid && *pid > 0 && waitpid(*pid, status, WNOHANG) == *pid) {
			*pid = 0;
			return -2;
		}
		usleep(2000);
	} while (bench_now_s() < until);
	return -1;
}

void bench_tag(uint8_t tag[16], const uint8_t head[4], uint64_t n)
{
	static const uint8_t fixed[6] = { 0x00, 0x00, 0x40, 0x00, 0x80, 0x00 };

	memcpy(tag, head, 4);
	memcpy(tag + 4, fixed, sizeof(fixed));
	for (int i = 0; i < 6; i++)
		tag[15 - i] = (uint8_t)(n >> (8 * i));
}

/*
 * vfork(), not fork(): a child of fork() pays, in its own CPU time, for
 * tearing down the copy of this process's page tables at its exec, and a
 * bench that has populated 100,000 extents is no small process (the
 * daemon's "start: ready" line said 6.2 ms before main() after a fork
 * from bench-faces, 4.5 after a vfork: a daemon restarted by a shell or
 * by systemd is not charged for its parent's memory).  The child only
 * makes system calls until execv() or _exit().
 */
pid_t bench_spawn(const char *bin, const char *const argv[], const char *log)
{
	pid_t parent = getpid(), pid = vfork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	return pid;
}
