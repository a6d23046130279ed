/* SPDX-License-Identifier: MIT */
/*
 * bench-faces.c - what one operation costs at each face of the real daemon
 * (QMP, the FM socket, the host link) with 1,000 and with 100,000 resident
 * tagged extents, and the ratio of the two.
 *
 * Two `cxldcd`s, one per size, run side by side (fork/exec, private
 * directory, --state in it, on /dev/shm by default: every change is
 * journaled as with persistent state, and the disk's fsync latency - which
 * other processes on a shared machine move a lot - is left out), each with
 * one 2 MiB-block DC region, two hosts, event-log-depth=65535.  In this
 * process, per daemon: a QMP client, a raw CCI client on the FM socket and
 * host 0, libcxldcd-host with accept-all (no direct mapping).  Each
 * step of a repetition (a batch, then putting the state back) runs in SUB
 * parts, each on one daemon and at once on the other, the first one
 * alternating, so load drifts reach both; the median of the parts, then the
 * medians of the repetitions are printed.  Read-only
 * rows (status, query pages, 5603h, 5608h) alternate finer: a warm-up batch
 * on each, then ROUNDS short batches on each, the median of the rounds (a
 * load change between the two sizes was what moved their ratios most).
 *
 * Resident items: extent i of host 0 is block i with a tag of its own
 * (populated with pipelined 5604h, accepted by the host).  Host 1 has no
 * agent: it holds a tenth as many tags (at least 128, at most 60,000: each
 * pending offer holds a record of its DC event log), each offered to it
 * with one extent after host 0's and left pending, so a page filtered by
 * host-id=1 must skip host 0's tags.  Each operation is sent K/SUB times
 * per part, pipelined (all requests written, then the replies read), on a
 * distinct target, with the host not answering meanwhile; the figure is the
 * batch time / K/SUB.  Afterwards the host is let answer and the
 * state is put back (untimed), so both sizes see the same state apart from
 * N.  The host-link row is closed loop instead: 5604h of one extent -> the
 * host accepts -> Add DC Response succeeds, one at a time.  Stop: SIGTERM to
 * the daemon's exit (the snapshot a clean stop writes included).  Restart:
 * then, from the exec until the first FM answer (snapshot load and journal
 * replay included; the stop before it is the stop row); also per unit of work: resident extents + records replayed, and
 * the journal replay alone per record replayed, as the daemon logs it;
 * after the table, the last restarts' own account of their CPU (the
 * daemon's "start: ready" line: before main(), store, sockets, state,
 * memory).
 * Beside each wall-clock figure, the daemon's own CPU time per operation
 * (every thread's schedstat before and after the batch, ns; restart: at its
 * first answer; stop: from the signal to the exit, daemon_term()): on a
 * loaded machine it leaves out the time others ran, and it does not count
 * the child a periodic snapshot forks.
 * RSS per extent: daemon VmRSS growth from 10,000 to the big size over the
 * extents added.  Populating the big daemon also prints its rate in each
 * tenth (does it slow down as it grows?) and the periodic snapshots taken
 * meanwhile: the daemon's child from first to last seen (polled every
 * millisecond), its CPU time as last seen, the size of the file; and the
 * slowest 5604h of each tenth, sent to answered (a request that stalls the
 * daemon, such as the one that once rehashed every tag, shows there: the
 * host agent's command deadline is WAIT_S so that such a stall is measured
 * rather than failing the agent).
 *
 * -e (at scale): after the table, on both daemons, the whole device read
 * through each face: every item of query-cxl-dynamic-capacity in pages of
 * -P (default 1,000), one page at a time; every extent of host 0 by 5603h
 * and every live tag by 5608h, in parts of 16 pages of 64 sent back to
 * back; the total, and the median per item of the parts (the small
 * daemon's scans repeated, up to 1,000 times, to about as many items).
 * Then -n backends (default 10,000; memory-backend-ram, 2 MiB, tagged) are
 * added to the big daemon with object-add in pipelined batches of 500 and
 * deleted again: µs per command of the batches as the count grows.
 *
 * The order of the resident extents (-o): address (the default: extent i is
 * block i, accepted in address order, so the memory side holds them as one
 * binding, as the kernel merges adjacent VMAs); shuffled (block i still, but
 * each range [0, 10,000) and [10,000, big) accepted in a pseudo-random order:
 * runs form and join as the gaps fill); gaps (extent i is block 2i: no two
 * are adjacent, so each keeps a binding of its own - the worst case for
 * memory per extent; the free-policy add row is not measured, since the
 * device would pick the gaps).  -m: memory only - populate the big daemon,
 * print the RSS per extent and stop (no small daemon, no timed rows).
 * -S: the clean stop alone (stop_only_run()): the big daemon populated, then
 * -r stops of it, each after one change, wall and CPU time and the daemon's
 * log line of the snapshot it wrote; with $CXLDCD_B every second start runs
 * that daemon instead (two builds stop one state by turns).
 *
 * This process and both daemons run on one CPU (-c N, default 0; -c none:
 * anywhere), so whatever else runs there reaches both sizes alike: on a
 * loaded 2-CPU machine the scheduler otherwise put the two daemons beside
 * different neighbours for long stretches.
 *
 * Usage: bench-faces [-s small] [-b big] [-k ops] [-r reps] [-d state_root] [-c cpu|none]
 *                    [-o address|shuffled|gaps] [-m] [-S] [-e [-P page] [-n backends]]
 *                    [-x S [-q]] [-v]
 * defaults: -s 1000 -b 100000 -k 200 -r 5 -d /dev/shm (else /tmp) -c 0.
 * -x S: after populating, send 5603h pages to the big daemon for S seconds
 * (to profile it; with -e: whole-device QMP paging instead; with -q: the
 * table's four QMP mutation steps and its FM add/release step, in parts of
 * K/8, on both daemons by turns, each round's daemon CPU per operation
 * printed, small / big).  The daemon is $CXLDCD, else the one this build made.
 * The daemons and their directories are removed on every exit.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cci/codec.h"
#include "cci/dcd.h"
#include "cci/events.h"
#include "cci/fm-dcd.h"
#include "cci/msg.h"
#include "common/wire.h"
#include "cxldcd/cxldcd-host.h"
#include "cxldcd/spec.h"
#include "cxldcd/types.h"
#include "fm-client.h"
#include "util.h"

#ifndef CXLDCD_PATH
#define CXLDCD_PATH "cxldcd"
#endif

#define BLK (2ull << 20)
#define WAIT_S 300.0
#define WINDOW 64u          /* populate: 5604h in flight */
#define PAGE 64u            /* 5603h / 5608h page */
#define DEV "d0"
#define FM_RING 65536u      /* FM requests in flight, at most (populate: WINDOW, 1,024 between drains) */

static bool verbose;

/* -o: the order of host 0's resident extents (header comment) */
static enum { ORDER_ADDRESS, ORDER_SHUFFLED, ORDER_GAPS } order;
static const char *const order_name[] = { "address", "shuffled", "gaps" };

/* The block of resident extent b: b, or 2b with -o gaps. */
static uint64_t rblock(uint64_t b)
{
	return order == ORDER_GAPS ? 2 * b : b;
}

/* ------------------------------------------------------------ the daemon */

struct daemon {
	pid_t pid;
	char dir[64];
	char fm[128], host[128], qmp[128], log[128], state[128];
	uint64_t blocks;            /* the last h1_blocks of them are host 1's */
	uint64_t h1_blocks;
	/* the periodic snapshots seen while populating (snap_poll()) */
	pid_t snap_child;           /* alive now, or 0 */
	double snap_t0, snap_next, snap_cpu;
	uint32_t snap_at;           /* resident extents when it was seen */
	uint32_t nr_snaps;
	struct snap_seen { uint32_t at; double wall_ms, cpu_ms; long long bytes; } snaps[64];
	double stop_cpu_s;          /* the last daemon_term(): CPU time from the signal to the exit */
};

static struct daemon *live[2];   /* for the exit paths */
static const char *state_root = "/dev/shm";
static const char *daemon_bin;   /* -S with $CXLDCD_B: the daemon the next exec runs */

static void daemon_kill(struct daemon *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
}

static void cleanup(void)
{
	char cmd[160];

	for (int i = 0; i < 2; i++) {
		if (!live[i])
			continue;
		daemon_kill(live[i]);
		if (live[i]->dir[0]) {
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", live[i]->dir);
			if (system(cmd))
				fprintf(stderr, "bench-faces: could not remove %s\n", live[i]->dir);
			live[i]->dir[0] = 0;
		}
	}
}

static void on_signal(int sig)
{
	for (int i = 0; i < 2; i++)
		if (live[i])
			daemon_kill(live[i]); /* async-signal-safe part; atexit is skipped */
	signal(sig, SIG_DFL);
	raise(sig);
}

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-faces: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	bench_log_tail(live[0] ? live[0]->log : NULL);
	bench_log_tail(live[1] ? live[1]->log : NULL);
	exit(1);
}

static void daemon_exec(struct daemon *d)
{
	const char *bin = daemon_bin ? daemon_bin : getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH;
	uint64_t size = (d->blocks * BLK + (256ull << 20) - 1) & ~((256ull << 20) - 1);
	char obj[160], dev[320], fm[160], qmp[200];

	snprintf(obj, sizeof(obj), "memory-backend-memfd,id=m0,size=%llu,share=on",
		 (unsigned long long)size);
	snprintf(dev, sizeof(dev),
		 "cxl-type3,id=" DEV ",num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2,"
		 "dc-block-size=2M,max-extents=%llu,max-tags=%llu,event-log-depth=65535,"
		 "mbox-payload-size=4K",
		 (unsigned long long)d->blocks, (unsigned long long)d->blocks);
	snprintf(fm, sizeof(fm), "unix:%s", d->fm);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", d->qmp);

	const char *argv[] = { bin, "-object", obj, "-device", dev, "--fm", fm, "--host-socket",
			       d->host, "-qmp", qmp, "--state", d->state, NULL };

	d->pid = bench_spawn(bin, argv, d->log);
	if (d->pid < 0)
		die("fork: %s", strerror(errno));
}

static void daemon_start(struct daemon *d, int slot, uint64_t blocks, uint64_t h1_blocks)
{
	memset(d, 0, sizeof(*d));
	d->blocks = blocks + h1_blocks;
	d->h1_blocks = h1_blocks;
	snprintf(d->dir, sizeof(d->dir), "%.40s/cxldcd-faces-XXXXXX", state_root);
	if (!mkdtemp(d->dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(d->fm, sizeof(d->fm), "%s/fm.sock", d->dir);
	snprintf(d->host, sizeof(d->host), "%s/host.sock", d->dir);
	snprintf(d->qmp, sizeof(d->qmp), "%s/qmp.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/stderr.log", d->dir);
	snprintf(d->state, sizeof(d->state), "%s/state", d->dir);
	live[slot] = d;
	daemon_exec(d);
}

static double proc_cpu_s(pid_t pid);
static double cpu_ms(pid_t pid, int children);

/*
 * SIGTERM and wait for the exit (a clean shutdown, its snapshot included); s from the signal to
 * the exit.  d->stop_cpu_s: the daemon's CPU time meanwhile, its rusage at the exit (which
 * counts the snapshot children it reaped) less its threads' time and its reaped children's at
 * the signal (those in clock ticks: a daemon that reaped none, as after a restart, gives the
 * stop's alone; a snapshot child the stop waits for is counted in it).
 */
static double daemon_term(struct daemon *d)
{
	double t0, until, cpu0 = proc_cpu_s(d->pid) + cpu_ms(d->pid, 1) / 1e3;
	struct rusage ru;
	int st = 0;

	t0 = bench_now_s();
	until = t0 + 60;
	kill(d->pid, SIGTERM);
	while (wait4(d->pid, &st, WNOHANG, &ru) != d->pid) {
		if (bench_now_s() > until)
			die("cxldcd did not exit within 60 s of SIGTERM");
		usleep(200);
	}
	t0 = bench_now_s() - t0;
	d->stop_cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6 - cpu0;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("cxldcd did not stop cleanly (%s %d)", WIFEXITED(st) ? "status" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	d->pid = 0;
	return t0;
}

/* The size of the newest snapshot-*.bin in d's state directory, or -1. */
static long long newest_snapshot(const struct daemon *d)
{
	DIR *dir = opendir(d->state);
	char best[256] = "", path[512];
	struct dirent *e;
	struct stat st;

	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		size_t n = strlen(e->d_name);

		if (!strncmp(e->d_name, "snapshot-", 9) && n > 4 && !strcmp(e->d_name + n - 4, ".bin") &&
		    n < sizeof(best) && strcmp(e->d_name, best) > 0)
			strcpy(best, e->d_name);
	}
	closedir(dir);
	snprintf(path, sizeof(path), "%s/%s", d->state, best);
	return best[0] && !stat(path, &st) ? (long long)st.st_size : -1;
}

/* CPU time (user + system) of pid in ms, from /proc/pid/stat, or -1; @children: of its reaped children. */
static double cpu_ms(pid_t pid, int children)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* after "(comm) ": state is field 3; utime and stime are fields 14 and 15, cutime and cstime 16, 17 */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, children ? "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %llu %llu" :
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

/*
 * The CPU time of process pid in s, every thread of it: the first field of
 * /proc/pid/task/tid/schedstat (ns on the CPU), so a batch's cost does not
 * count the time others ran meanwhile; 0 when it cannot be read.
 */
static double proc_cpu_s(pid_t pid)
{
	char path[64];
	unsigned long long ns, sum = 0;
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(dir = opendir(path)))
		return 0;
	while ((e = readdir(dir))) {
		char p2[128];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof(p2), "/proc/%d/task/%.20s/schedstat", (int)pid, e->d_name);
		if ((f = fopen(p2, "r"))) {
			if (fscanf(f, "%llu", &ns) == 1)
				sum += ns;
			fclose(f);
		}
	}
	closedir(dir);
	return (double)sum * 1e-9;
}

/*
 * Called while populating, at most every millisecond: the daemon's child
 * (a periodic snapshot: fork, serialize, write, rename) from when it is
 * first seen to when it is gone, its CPU time as last seen (clock ticks),
 * and the size of the file it left.
 */
static void snap_poll(struct daemon *d, uint32_t resident_now)
{
	char path[64], buf[64];
	double now = bench_now_s();
	pid_t child = 0;
	FILE *f;

	if (now < d->snap_next)
		return;
	d->snap_next = now + 0.001;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)d->pid, (int)d->pid);
	if ((f = fopen(path, "r"))) {
		if (fgets(buf, sizeof(buf), f))
			child = (pid_t)atoi(buf);
		fclose(f);
	}
	if (child && child == d->snap_child) {
		double c = cpu_ms(child, 0);

		d->snap_cpu = c >= 0 ? c : d->snap_cpu;
		return;
	}
	if (d->snap_child && d->nr_snaps < sizeof(d->snaps) / sizeof(d->snaps[0]))
		d->snaps[d->nr_snaps++] = (struct snap_seen){ .at = d->snap_at,
			.wall_ms = (now - d->snap_t0) * 1e3, .cpu_ms = d->snap_cpu,
			.bytes = newest_snapshot(d) };
	d->snap_child = child;
	d->snap_t0 = now;
	d->snap_at = resident_now;
	d->snap_cpu = 0;
}

/* Connect to path, the daemon d is about to create; die if it exits meanwhile. */
static int daemon_connect(struct daemon *d, const char *path)
{
	int st = 0, fd = bench_connect_unix(path, &d->pid, WAIT_S, &st);

	if (fd == -2)
		die("cxldcd exited (%s %d)", WIFEXITED(st) ? "status" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	if (fd < 0)
		die("cannot connect to %s", path);
	return fd;
}

/* ------------------------------------------------------------ context */

struct ctx {
	struct daemon d;
	struct cxldcd_host *h;
	struct fm_client fm;
	int qmp;
	uint64_t base;
	/* QMP */
	char *qbuf;
	size_t qlen, qcap;
	uint64_t q_replies, q_errors;
	char q_first_error[256];
	int64_t q_next, q_total;        /* the last reply's "next-index" (-1: none), "total-items" */
	/* host */
	uint64_t added, released;
	/* the last populate(): extents/s over each tenth of it (the last tenth not counted) */
	double rate[10], rate_cpu[10];  /* ... and the daemon's CPU time per extent in each */
	double rate_max[10];            /* ... and its slowest FM request (sent to answered), s */
	uint32_t nr_rate;
	/* FM: when each request in flight was sent (responses come in order), the slowest so far */
	double fm_sent[FM_RING], fm_max;
	double restart_cpu_ms;          /* the daemon's CPU time at its first answer after the last restart */
	double stop_s;                  /* the last restart's stop: SIGTERM to the exit */
	double batch_cpu;               /* the daemon's CPU time per operation of the last batch, s */
};

static void on_event(void *opaque, const struct cxldcd_host_event *ev)
{
	struct ctx *x = opaque;

	if (ev->type == CXLDCD_HOST_EV_GROUP_ADDED)
		x->added++;
	else if (ev->type == CXLDCD_HOST_EV_GROUP_RELEASED || ev->type == CXLDCD_HOST_EV_RANGE_RELEASED)
		x->released++;
	else if (ev->type != CXLDCD_HOST_EV_READY && verbose)
		fprintf(stderr, "bench-faces: host event %s: %s\n", cxldcd_host_event_name(ev->type),
			ev->text ? ev->text : "");
}

static void send_all(int fd, const void *buf, size_t len, const char *what)
{
	size_t off = 0;

	while (off < len) {
		ssize_t k = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die("%s send: %s", what, strerror(errno));
		off += (size_t)k;
	}
}

/* ---- FM */

/* A failed request is reported once, unless Busy (the daemon still replaying, restart). */
static void on_fm_rsp(void *opaque, uint16_t opcode, uint16_t rc)
{
	struct ctx *x = opaque;
	double lat = bench_now_s() - x->fm_sent[(x->fm.done - 1) % FM_RING]; /* done counts this one */

	x->fm_max = lat > x->fm_max ? lat : x->fm_max;
	if (verbose && lat >= 0.25) {
		struct timespec now;

		/* the wall-clock time, to line up with a trace or the daemon's log */
		clock_gettime(CLOCK_REALTIME, &now);
		fprintf(stderr, "bench-faces: a request took %.1f ms, answered at %lld.%03ld\n",
			lat * 1e3, (long long)now.tv_sec, now.tv_nsec / 1000000);
	}
	if (rc && !x->fm.rc && rc != CXLDCD_RC_BUSY)
		fprintf(stderr, "bench-faces: fm 0x%04x returned %s\n", opcode, cxldcd_rc_str(rc));
}

static void fm_send(struct ctx *x, uint16_t opcode, const uint8_t *payload, size_t len)
{
	int rc;

	x->fm_sent[x->fm.sent % FM_RING] = bench_now_s();
	rc = fm_client_send(&x->fm, opcode, payload, len);

	if (rc == -EMSGSIZE)
		die("fm request 0x%04x does not fit", opcode);
	if (rc)
		die("fm send: %s", strerror(-rc));
}

static void fm_read(struct ctx *x)
{
	int rc = fm_client_read(&x->fm);

	if (rc == -ECONNRESET)
		die("fm socket closed by the daemon");
	if (rc == -EMSGSIZE)
		die("fm response larger than %u bytes", FM_BUF);
	if (rc)
		die("fm recv: %s", strerror(-rc));
}

/* ---- QMP: one JSON object per line */

/* The number after "key": in s, or -1. */
static int64_t json_num_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	if (!p)
		return -1;
	p += strlen(key);
	while (*p == ' ' || *p == ':')
		p++;
	return *p >= '0' && *p <= '9' ? (int64_t)strtoull(p, NULL, 10) : -1;
}

/* A paged reply ends with its paging members: look at its tail only. */
static void reply_paging(struct ctx *x, const char *line, size_t len)
{
	const char *tail = line + (len > 160 ? len - 160 : 0);

	x->q_next = json_num_after(tail, "\"next-index\"");
	x->q_total = json_num_after(tail, "\"total-items\"");
}

static void qmp_read(struct ctx *x)
{
	char *nl;
	ssize_t k;

	if (x->qcap - x->qlen < 65536) {
		x->qcap = x->qcap ? x->qcap * 2 : 1 << 20;
		x->qbuf = realloc(x->qbuf, x->qcap);
		if (!x->qbuf)
			die("out of memory");
	}
	k = recv(x->qmp, x->qbuf + x->qlen, x->qcap - x->qlen - 1, MSG_DONTWAIT);
	if (k == 0)
		die("qmp socket closed by the daemon");
	if (k < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die("qmp recv: %s", strerror(errno));
	}
	x->qlen += (size_t)k;
	x->qbuf[x->qlen] = 0;
	while ((nl = memchr(x->qbuf, '\n', x->qlen))) {
		size_t n = (size_t)(nl - x->qbuf) + 1;

		*nl = 0;
		if (!strncmp(x->qbuf, "{\"return\"", 9)) {
			x->q_replies++;
			reply_paging(x, x->qbuf, n - 1);
		} else if (!strncmp(x->qbuf, "{\"error\"", 8)) {
			x->q_replies++;
			if (!x->q_errors++)
				snprintf(x->q_first_error, sizeof(x->q_first_error), "%.200s", x->qbuf);
		}
		memmove(x->qbuf, x->qbuf + n, x->qlen - n);
		x->qlen -= n;
	}
}

/* Poll the sockets; host: also let the host library work. */
static void pump(struct ctx *x, bool host, int timeout_ms)
{
	struct pollfd p[3] = { { .fd = x->fm.fd, .events = POLLIN }, { .fd = x->qmp, .events = POLLIN },
			       { .fd = host && x->h ? cxldcd_host_get_fd(x->h) : -1,
				 .events = POLLIN } };
	int r = poll(p, 3, timeout_ms);

	if (r < 0 && errno != EINTR)
		die("poll: %s", strerror(errno));
	if (r <= 0)
		return;
	if (p[0].revents)
		fm_read(x);
	if (p[1].revents)
		qmp_read(x);
	if (p[2].revents && cxldcd_host_process(x->h) < 0)
		die("host failed: state %d", cxldcd_host_get_state(x->h));
}

static void fm_wait(struct ctx *x, bool host, const char *what)
{
	double until = bench_now_s() + WAIT_S;

	while (x->fm.done < x->fm.sent) {
		if (bench_now_s() > until)
			die("%s: no FM answer within %.0f s", what, WAIT_S);
		pump(x, host, 100);
	}
	if (x->fm.rc)
		die("%s failed: fm rc 0x%x", what, x->fm.rc);
}

static void qmp_wait(struct ctx *x, uint64_t replies, const char *what)
{
	double until = bench_now_s() + WAIT_S;

	while (x->q_replies < replies) {
		if (bench_now_s() > until)
			die("%s: no QMP answer within %.0f s", what, WAIT_S);
		pump(x, false, 100);
	}
	if (x->q_errors)
		die("%s failed: %s", what, x->q_first_error);
}

static void make_tag(uint8_t tag[CXLDCD_TAG_SIZE], uint64_t n)
{
	static const uint8_t head[4] = { 0xfa, 0xce, 0x5b, 0xe0 };

	bench_tag(tag, head, n);
}

static void tag_str(char out[37], uint64_t n)
{
	uint8_t t[CXLDCD_TAG_SIZE];

	make_tag(t, n);
	cxldcd_tag_format(t, out);
}

/* The tag of resident block b, and of scratch item s. */
#define RTAG(b) ((uint64_t)(b) + 1)
#define STAG(s) ((uint64_t)(s) + 0x100000000ull)

/* ---- FM requests */

static void fm_add_to(struct ctx *x, uint16_t host, uint64_t blk, uint64_t tagn)
{
	struct cxldcd_extent e = { .dpa = x->base + blk * BLK, .len = BLK };
	struct cci_initiate_add_in in = { .host = host, .policy = CXLDCD_ADD_PRESCRIPTIVE, .nr = 1 };
	uint8_t buf[256];
	struct wwr w;

	make_tag(e.tag, tagn);
	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_initiate_add_in(&w, &in, &e))
		die("cannot encode 5604h");
	fm_send(x, CXLDCD_OP_FM_INITIATE_DC_ADD, buf, w.off);
}

static void fm_add(struct ctx *x, uint64_t blk, uint64_t tagn)
{
	fm_add_to(x, 0, blk, tagn);
}

static void fm_release_tag(struct ctx *x, uint64_t tagn)
{
	struct cci_initiate_release_in in = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED };
	uint8_t buf[CCI_INITIATE_HDR];
	struct wwr w;

	make_tag(in.tag, tagn);
	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_initiate_release_in(&w, &in, NULL))
		die("cannot encode 5605h");
	fm_send(x, CXLDCD_OP_FM_INITIATE_DC_RELEASE, buf, w.off);
}

static void fm_extents(struct ctx *x, uint32_t start, uint32_t count)
{
	struct cci_region_extents_in in = { .host = 0, .count = count, .start = start };
	uint8_t buf[CCI_REGION_EXTENTS_IN_SIZE];
	struct wwr w;

	wwr_init(&w, buf, sizeof(buf));
	cci_enc_region_extents_in(&w, &in);
	fm_send(x, CXLDCD_OP_FM_GET_DC_REGION_EXTENT_LISTS, buf, w.off);
}

static void fm_tags(struct ctx *x, uint32_t start, uint32_t max)
{
	struct cci_list_tags_in in = { .start = start, .max = max };
	uint8_t buf[16];
	struct wwr w;

	wwr_init(&w, buf, sizeof(buf));
	cci_enc_list_tags_in(&w, &in);
	fm_send(x, CXLDCD_OP_FM_DC_LIST_TAGS, buf, w.off);
}

/* Host 0's accepted extents, as 5603h counts them. */
static uint32_t resident(struct ctx *x, bool host)
{
	struct cci_region_extents_out out;

	fm_extents(x, 0, 0);
	fm_wait(x, host, "5603h");
	if (cci_dec_region_extents_out(x->fm.out, x->fm.out_len, &out, NULL, 0))
		die("malformed 5603h response");
	return out.total;
}

/* Let the host answer everything until `want` extents are resident. */
static void settle(struct ctx *x, uint32_t want, const char *what)
{
	double until = bench_now_s() + WAIT_S, next = 0;

	for (;;) {
		pump(x, true, 5);
		if (bench_now_s() < next)
			continue;
		if (resident(x, true) == want)
			return;
		if (bench_now_s() > until)
			die("%s: %u extents resident, %u expected", what, resident(x, true), want);
		next = bench_now_s() + 0.02;
	}
}

/*
 * Empty the FM's own DC log (Add Capacity Response / Capacity Released
 * records nobody else reads), so a full log does not stand in for memory
 * per extent.
 */
static void fm_drain(struct ctx *x)
{
	static struct cxldcd_event ev[FM_MBOX_BYTES / CXLDCD_EVENT_RECORD_SIZE];
	uint8_t log = CXLDCD_LOG_DC;

	for (;;) {
		struct cci_get_events_out o;
		struct cci_clear_events_in in = { .log = CXLDCD_LOG_DC };
		uint8_t buf[CCI_CLEAR_EVENTS_HDR + 2 * 255];
		struct wwr w;

		fm_send(x, CXLDCD_OP_GET_EVENT_RECORDS, &log, 1);
		fm_wait(x, true, "fm get event records");
		if (cci_dec_get_events_out(x->fm.out, x->fm.out_len, &o, ev,
					   sizeof(ev) / sizeof(ev[0])))
			die("malformed get event records output");
		if (!o.nr_records)
			return;
		for (uint16_t i = 0; i < o.nr_records; i++)
			in.handles[in.nr_handles++] = ev[i].handle;
		wwr_init(&w, buf, sizeof(buf));
		cci_enc_clear_events_in(&w, &in);
		fm_send(x, CXLDCD_OP_CLEAR_EVENT_RECORDS, buf, w.off);
		fm_wait(x, true, "fm clear event records");
	}
}

/*
 * Blocks [from, to) resident, block b with tag RTAG(b): 5604h with at most
 * WINDOW offers the host has not accepted yet (the host's DC log is the limit).
 */
static uint32_t rnd(uint32_t n);

/*
 * Resident extents [from, to), extent b with tag RTAG(b) at block rblock(b):
 * 5604h with at most WINDOW offers the host has not accepted yet (the host's
 * DC log is the limit); -o shuffled: in a pseudo-random order.
 */
static void populate(struct ctx *x, uint32_t from, uint32_t to, uint32_t total_after)
{
	uint64_t base = x->added;
	uint32_t *seq = malloc(((size_t)to - from) * sizeof(*seq));

	if (!seq)
		die("out of memory");
	for (uint32_t i = 0; i < to - from; i++)
		seq[i] = from + i;
	for (uint32_t i = to - from; order == ORDER_SHUFFLED && i > 1; i--) {
		uint32_t j = rnd(i), t = seq[i - 1];

		seq[i - 1] = seq[j];
		seq[j] = t;
	}
	uint32_t tenth = (to - from) / 10;
	double t_tenth = bench_now_s(), c_tenth = proc_cpu_s(x->d.pid);

	x->nr_rate = 0;
	x->fm_max = 0;
	for (uint32_t i = 0; i < to - from; i++) {
		double until = bench_now_s() + WAIT_S;
		uint32_t b = seq[i];

		while (i - (x->added - base) >= WINDOW) {
			if (bench_now_s() > until || x->fm.rc)
				die("populate: the host accepted nothing for %.0f s (block %u)", WAIT_S, b);
			pump(x, true, 100);
		}
		snap_poll(&x->d, from + (uint32_t)(x->added - base));
		if (tenth && i && i % tenth == 0 && x->nr_rate < 10) {
			double now = bench_now_s(), c = proc_cpu_s(x->d.pid);

			x->rate_cpu[x->nr_rate] = (c - c_tenth) / tenth;
			x->rate_max[x->nr_rate] = x->fm_max;
			x->fm_max = 0;
			x->rate[x->nr_rate++] = tenth / (now - t_tenth);
			t_tenth = now;
			c_tenth = c;
		}
		fm_add(x, rblock(b), RTAG(b));
		if (i % 1024 == 0)
			fm_drain(x);
		if (verbose && i % 10000 == 0)
			fprintf(stderr, "bench-faces: populating %u\n", from + i);
	}
	free(seq);
	fm_wait(x, true, "populate");
	if (tenth && x->nr_rate < 10) {
		uint32_t left = to - from - x->nr_rate * tenth;

		x->rate_cpu[x->nr_rate] = (proc_cpu_s(x->d.pid) - c_tenth) / left;
		x->rate_max[x->nr_rate] = x->fm_max;
		x->rate[x->nr_rate] = left / (bench_now_s() - t_tenth);
		x->nr_rate++;
	}
	settle(x, total_after, "populate");
	fm_drain(x);
}

/* The tag of host 1's block j. */
#define H1TAG(j) ((uint64_t)(j) + 0x200000000ull)

/*
 * Host 1 (no agent: its offers stay pending, which holds the tag as much as
 * accepting it) gets its own h1_blocks tagged extents, created after host
 * 0's: the host-id filter must skip host 0's tags to page host 1's.
 */
static void populate_host1(struct ctx *x)
{
	uint64_t first = x->d.blocks - x->d.h1_blocks;

	for (uint64_t j = 0; j < x->d.h1_blocks; j++) {
		fm_add_to(x, 1, first + j, H1TAG(j));
		if (j % WINDOW == WINDOW - 1)
			fm_wait(x, true, "populate host 1");
	}
	fm_wait(x, true, "populate host 1");
	fm_drain(x);
}

/* ---- connections */

static void host_up(struct ctx *x)
{
	struct cxldcd_host_cfg cfg = { .host_id = 0, .accept = CXLDCD_HOST_ACCEPT_ALL,
				       .no_mapping = true, .event_fn = on_event,
				       .socket_path = x->d.host, .event_opaque = x,
				       /* a stalled daemon is measured (the slowest 5604h), not a failed agent */
				       .cmd_timeout_ms = (uint32_t)(WAIT_S * 1000) };
	struct cxldcd_host_dev_info info;
	int rc = -1;

	for (int i = 0; i < 500 && rc; i++) {
		rc = cxldcd_host_new(&cfg, &x->h);
		if (rc)
			usleep(10000);
	}
	if (rc)
		die("cxldcd_host_new: %s", strerror(-rc));
	if ((rc = cxldcd_host_wait_ready(x->h, (int)(WAIT_S * 1000))))
		die("host bring-up: %s", strerror(-rc));
	if (cxldcd_host_get_dev_info(x->h, &info) || info.nr_regions != 1)
		die("unexpected device configuration");
	x->base = info.regions[0].base;
}

static void qmp_up(struct ctx *x)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	double until = bench_now_s() + WAIT_S;

	x->qmp = daemon_connect(&x->d, x->d.qmp);
	x->qlen = 0;
	x->q_replies = x->q_errors = 0;
	send_all(x->qmp, caps, sizeof(caps) - 1, "qmp");
	while (x->q_replies < 1 && bench_now_s() < until)
		pump(x, false, 100);
	if (x->q_replies < 1 || x->q_errors)
		die("qmp_capabilities: %s", x->q_errors ? x->q_first_error : "no answer");
	x->q_replies = 0;
}

static void connect_all(struct ctx *x)
{
	x->fm.fd = daemon_connect(&x->d, x->d.fm);
	x->fm.rlen = 0;
	x->fm.on_rsp = on_fm_rsp;
	x->fm.opaque = x;
	x->fm.sent = x->fm.done = 0;
	x->fm.rc = 0;
	qmp_up(x);
	host_up(x);
}

static void disconnect_all(struct ctx *x)
{
	cxldcd_host_free(x->h);
	x->h = NULL;
	close(x->fm.fd);
	close(x->qmp);
	x->fm.fd = x->qmp = -1;
}

/* ------------------------------------------------------------ operations */

struct run {
	uint32_t n;                     /* resident extents */
	uint32_t n1;                    /* host 1's tags (pending offers) */
	uint32_t k;                     /* operations per batch */
	uint32_t scratch;               /* first scratch block (free) */
	uint64_t seq;                   /* scratch tags handed out */
};

typedef void gen_fn(struct ctx *x, struct run *r, uint32_t i, char *buf, size_t cap);

/* Pipelined QMP batch: K commands written, then K replies read.  Return s per command. */
static double qmp_batch(struct ctx *x, struct run *r, gen_fn *gen, const char *what)
{
	size_t cap = (size_t)r->k * 512, len = 0;
	char *out = malloc(cap);
	uint64_t want = x->q_replies + r->k;
	double t0, c0;

	if (!out)
		die("out of memory");
	for (uint32_t i = 0; i < r->k; i++) {
		gen(x, r, i, out + len, cap - len);
		len += strlen(out + len);
	}
	c0 = proc_cpu_s(x->d.pid);
	t0 = bench_now_s();
	send_all(x->qmp, out, len, "qmp");
	qmp_wait(x, want, what);
	t0 = bench_now_s() - t0;
	x->batch_cpu = (proc_cpu_s(x->d.pid) - c0) / r->k;
	free(out);
	return t0 / r->k;
}

/* Resident block targeted by operation i: spread over the whole set. */
static uint32_t target(const struct run *r, uint32_t i)
{
	return (uint32_t)((uint64_t)i * r->n / r->k + (r->n / r->k) / 2);
}

static void gen_add_tagged(struct ctx *x, struct run *r, uint32_t i, char *buf, size_t cap)
{
	char t[37];

	(void)x;
	tag_str(t, STAG(r->seq + i));
	snprintf(buf, cap,
		 "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV "\","
		 "\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"%s\","
		 "\"extents\":[{\"offset\":%llu,\"len\":%llu}]}}\n",
		 t, (unsigned long long)((r->scratch + i) * BLK), (unsigned long long)BLK);
}

static void gen_add_free(struct ctx *x, struct run *r, uint32_t i, char *buf, size_t cap)
{
	(void)x;
	(void)r;
	(void)i;
	snprintf(buf, cap,
		 "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV "\","
		 "\"host-id\":0,\"selection-policy\":\"free\",\"region\":0,"
		 "\"extents\":[{\"offset\":0,\"len\":%llu}]}}\n", (unsigned long long)BLK);
}

static void gen_rel_tag(struct ctx *x, struct run *r, uint32_t i, char *buf, size_t cap)
{
	char t[37];

	(void)x;
	tag_str(t, RTAG(target(r, i)));
	snprintf(buf, cap,
		 "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV "\","
		 "\"host-id\":0,\"removal-policy\":\"tag-based\",\"region\":0,\"tag\":\"%s\"}}\n", t);
}

static void gen_rel_presc(struct ctx *x, struct run *r, uint32_t i, char *buf, size_t cap)
{
	(void)x;
	snprintf(buf, cap,
		 "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV "\","
		 "\"host-id\":0,\"removal-policy\":\"prescriptive\",\"region\":0,"
		 "\"extents\":[{\"offset\":%llu,\"len\":%llu}]}}\n",
		 (unsigned long long)(rblock(target(r, i)) * BLK), (unsigned long long)BLK);
}

static void gen_status(struct ctx *x, struct run *r, uint32_t i, char *buf, size_t cap)
{
	char t[37];

	(void)x;
	tag_str(t, RTAG(target(r, i)));
	snprintf(buf, cap,
		 "{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":\"" DEV
		 "\",\"host-id\":0,\"tag\":\"%s\"}}\n", t);
}

/* A page of 64 items (no filter), starting at a resident target spread over the device. */
static void gen_query(struct ctx *x, struct run *r, uint32_t i, char *buf, size_t cap)
{
	(void)x;
	snprintf(buf, cap, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV
		 "\",\"start-index\":%u,\"max-count\":64}}\n", target(r, i));
}

/*
 * A page of 64 of host 1's tags (host-id filter): its items are its pending
 * extents, then its tags; the page starts among the tags, spread over them.
 */
static void gen_query_host(struct ctx *x, struct run *r, uint32_t i, char *buf, size_t cap)
{
	(void)x;
	snprintf(buf, cap, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV
		 "\",\"host-id\":1,\"start-index\":%llu,\"max-count\":64}}\n",
		 (unsigned long long)r->n1 + (uint64_t)i * (r->n1 - PAGE) / r->k);
}

static void gen_object_add(struct ctx *x, struct run *r, uint32_t i, char *buf, size_t cap)
{
	char t[37];

	(void)x;
	tag_str(t, STAG(r->seq + i));
	snprintf(buf, cap,
		 "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\","
		 "\"id\":\"fb%llu\",\"size\":%llu,\"tag\":\"%s\"}}\n",
		 (unsigned long long)(r->seq + i), (unsigned long long)BLK, t);
}

static void gen_object_del(struct ctx *x, struct run *r, uint32_t i, char *buf, size_t cap)
{
	(void)x;
	snprintf(buf, cap, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"fb%llu\"}}\n",
		 (unsigned long long)(r->seq + i));
}

/* Put back the K released resident targets (untimed). */
static void restore_targets(struct ctx *x, struct run *r)
{
	settle(x, r->n - r->k, "release");
	for (uint32_t i = 0; i < r->k; i++)
		fm_add(x, rblock(target(r, i)), RTAG(target(r, i)));
	fm_wait(x, true, "restore");
	settle(x, r->n, "restore");
}

/* Release the K scratch items with tags STAG(seq..seq+K) (untimed), then move seq on. */
static void drop_scratch(struct ctx *x, struct run *r)
{
	settle(x, r->n + r->k, "scratch add");
	for (uint32_t i = 0; i < r->k; i++)
		fm_release_tag(x, STAG(r->seq + i));
	fm_wait(x, true, "scratch release");
	settle(x, r->n, "scratch release");
	r->seq += r->k;
}

enum op {
	OP_QMP_ADD, OP_QMP_ADD_FREE, OP_QMP_REL_PRESC, OP_QMP_REL_TAG, OP_QMP_STATUS, OP_QMP_QUERY,
	OP_QMP_QUERY_HOST, OP_OBJ_ADD, OP_OBJ_DEL, OP_FM_ADD, OP_FM_REL, OP_FM_EXTENTS, OP_FM_TAGS, OP_HOST_ADD,
	OP_STOP, OP_RESTART, OP_REPLAY, OP_RECORD, NR_OPS
};

/* Where the daemon's CPU time per operation of row o is kept, beside its wall time. */
#define CPU(o) (NR_OPS + (o))

static const char *const op_name[NR_OPS] = {
	[OP_QMP_ADD] = "QMP cxl-add-dynamic-capacity prescriptive, tagged",
	[OP_QMP_ADD_FREE] = "QMP cxl-add-dynamic-capacity free",
	[OP_QMP_REL_PRESC] = "QMP cxl-release-dynamic-capacity prescriptive",
	[OP_QMP_REL_TAG] = "QMP cxl-release-dynamic-capacity tag-based",
	[OP_QMP_STATUS] = "QMP cxl-release-dynamic-capacity-status",
	[OP_QMP_QUERY] = "QMP query-cxl-dynamic-capacity, page of 64",
	[OP_QMP_QUERY_HOST] = "QMP query-cxl-dynamic-capacity page filtered by host-id (64 of host 1's tags)",
	[OP_OBJ_ADD] = "QMP object-add (memory-backend-ram, tagged)",
	[OP_OBJ_DEL] = "QMP object-del",
	[OP_FM_ADD] = "FM 5604h add, 1 tagged extent",
	[OP_FM_REL] = "FM 5605h release, tag-based",
	[OP_FM_EXTENTS] = "FM 5603h page of 64 extents, random start",
	[OP_FM_TAGS] = "FM 5608h page of 64 tags, random start",
	[OP_HOST_ADD] = "host link: 5604h -> host accepts -> committed",
	[OP_STOP] = "stop (SIGTERM -> exit, incl. the final snapshot)",
	[OP_RESTART] = "restart (SIGTERM, exec, journal replay, first FM answer)",
	[OP_REPLAY] = "restart per unit of work (resident extent + journal record replayed)",
	[OP_RECORD] = "restart: journal replay per record (the daemon's own timing)",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Pipelined FM batch of K requests made by fn; s per request. */
static double fm_batch(struct ctx *x, struct run *r, void (*fn)(struct ctx *, struct run *, uint32_t),
		       const char *what)
{
	double c0 = proc_cpu_s(x->d.pid), t0 = bench_now_s();

	for (uint32_t i = 0; i < r->k; i++)
		fn(x, r, i);
	fm_wait(x, false, what);
	t0 = bench_now_s() - t0;
	x->batch_cpu = (proc_cpu_s(x->d.pid) - c0) / r->k;
	return t0 / r->k;
}

static void fm_op_add(struct ctx *x, struct run *r, uint32_t i)
{
	fm_add(x, r->scratch + i, STAG(r->seq + i));
}

static void fm_op_rel(struct ctx *x, struct run *r, uint32_t i)
{
	fm_release_tag(x, STAG(r->seq + i));
}

static void fm_op_extents(struct ctx *x, struct run *r, uint32_t i)
{
	(void)i;
	fm_extents(x, rnd(r->n - PAGE), PAGE);
}

static void fm_op_tags(struct ctx *x, struct run *r, uint32_t i)
{
	(void)i;
	fm_tags(x, rnd(r->n - PAGE), PAGE);
}

#define ROUNDS 31u

static double batch(struct ctx *x, struct run *r, gen_fn *gen,
		    void (*fn)(struct ctx *, struct run *, uint32_t))
{
	return gen ? qmp_batch(x, r, gen, "read-only QMP") : fm_batch(x, r, fn, "read-only FM");
}

/*
 * A read-only row, both daemons at once: a batch of K/8 on each (not
 * timed: caches and buffers warm), then ROUNDS rounds of a batch of K/8 on
 * each, alternating which goes first, so a change of load in between
 * reaches both sizes alike; the median of each daemon's rounds.  Short
 * batches (a fraction of a millisecond for the FM pages) mostly run within one
 * scheduler slice on a loaded machine; the median drops those that did not.
 */
static void read_pair(struct ctx *xs, struct run *rs, struct ctx *xb, struct run *rb, gen_fn *gen,
		      void (*fn)(struct ctx *, struct run *, uint32_t), double *ts, double *tb, double *cs,
		      double *cb)
{
	uint32_t ks = rs->k, kb = rb->k;
	double vs[ROUNDS], vb[ROUNDS], ws[ROUNDS], wb[ROUNDS];

	rs->k = ks / 8 ? ks / 8 : 1;
	rb->k = kb / 8 ? kb / 8 : 1;
	batch(xs, rs, gen, fn);
	batch(xb, rb, gen, fn);
	for (uint32_t i = 0; i < ROUNDS; i++) {
		if (i % 2) {
			vb[i] = batch(xb, rb, gen, fn);
			vs[i] = batch(xs, rs, gen, fn);
		} else {
			vs[i] = batch(xs, rs, gen, fn);
			vb[i] = batch(xb, rb, gen, fn);
		}
		ws[i] = xs->batch_cpu;
		wb[i] = xb->batch_cpu;
	}
	rs->k = ks;
	rb->k = kb;
	*ts = bench_median(vs, ROUNDS);
	*tb = bench_median(vb, ROUNDS);
	*cs = bench_median(ws, ROUNDS);
	*cb = bench_median(wb, ROUNDS);
}

/* The read-only rows of repetition i into ts[][i] and tb[][i]. */
static void measure_reads(struct ctx *xs, struct run *rs, struct ctx *xb, struct run *rb,
			  double ts[][16], double tb[][16], uint32_t i)
{
	static const struct { int op; gen_fn *gen; void (*fn)(struct ctx *, struct run *, uint32_t); }
	rows[] = { { OP_QMP_STATUS, gen_status, NULL }, { OP_QMP_QUERY, gen_query, NULL },
		   { OP_QMP_QUERY_HOST, gen_query_host, NULL }, { OP_FM_EXTENTS, NULL, fm_op_extents },
		   { OP_FM_TAGS, NULL, fm_op_tags } };

	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		int o = rows[k].op;

		read_pair(xs, rs, xb, rb, rows[k].gen, rows[k].fn, &ts[o][i], &tb[o][i], &ts[CPU(o)][i],
			  &tb[CPU(o)][i]);
	}
}

/* The rows that change state, in NR_STEPS steps, each putting the state back (untimed). */
#define NR_STEPS 7

static void measure_step(struct ctx *x, struct run *r, double *t, int step)
{
	double t0, c0;

	switch (step) {
	case 0:
		t[OP_QMP_ADD] = qmp_batch(x, r, gen_add_tagged, op_name[OP_QMP_ADD]);
		t[CPU(OP_QMP_ADD)] = x->batch_cpu;
		drop_scratch(x, r);
		return;
	case 1:
		if (order == ORDER_GAPS)
			return; /* free would pick the gaps between the resident extents */
		break;
	case 2:
		t[OP_QMP_REL_PRESC] = qmp_batch(x, r, gen_rel_presc, op_name[OP_QMP_REL_PRESC]);
		t[CPU(OP_QMP_REL_PRESC)] = x->batch_cpu;
		restore_targets(x, r);
		return;
	case 3:
		t[OP_QMP_REL_TAG] = qmp_batch(x, r, gen_rel_tag, op_name[OP_QMP_REL_TAG]);
		t[CPU(OP_QMP_REL_TAG)] = x->batch_cpu;
		restore_targets(x, r);
		return;
	case 4:
		t[OP_OBJ_ADD] = qmp_batch(x, r, gen_object_add, op_name[OP_OBJ_ADD]);
		t[CPU(OP_OBJ_ADD)] = x->batch_cpu;
		t[OP_OBJ_DEL] = qmp_batch(x, r, gen_object_del, op_name[OP_OBJ_DEL]);
		t[CPU(OP_OBJ_DEL)] = x->batch_cpu;
		r->seq += r->k;
		return;
	case 5:
		t[OP_FM_ADD] = fm_batch(x, r, fm_op_add, op_name[OP_FM_ADD]);
		t[CPU(OP_FM_ADD)] = x->batch_cpu;
		settle(x, r->n + r->k, "fm add");
		t[OP_FM_REL] = fm_batch(x, r, fm_op_rel, op_name[OP_FM_REL]);
		t[CPU(OP_FM_REL)] = x->batch_cpu;
		settle(x, r->n, "fm release");
		r->seq += r->k;
		return;
	default:
		c0 = proc_cpu_s(x->d.pid);
		t0 = bench_now_s();
		for (uint32_t i = 0; i < r->k; i++) {
			uint64_t want = x->added + 1;
			double until = bench_now_s() + WAIT_S;

			fm_add(x, r->scratch + i, STAG(r->seq + i));
			while (x->fm.done < x->fm.sent || x->added < want) {
				if (bench_now_s() > until || x->fm.rc)
					die("host-link add: no commit");
				pump(x, true, 100);
			}
		}
		t[OP_HOST_ADD] = (bench_now_s() - t0) / r->k;
		t[CPU(OP_HOST_ADD)] = (proc_cpu_s(x->d.pid) - c0) / r->k;
		drop_scratch(x, r);
		return;
	}
	/* free policy: untagged; the device picks the lowest free blocks (the scratch area) */
	t[OP_QMP_ADD_FREE] = qmp_batch(x, r, gen_add_free, op_name[OP_QMP_ADD_FREE]);
	t[CPU(OP_QMP_ADD_FREE)] = x->batch_cpu;
	settle(x, r->n + r->k, "free add");
	{
		struct cxldcd_extent *e = calloc(r->k, sizeof(*e));
		struct cci_region_extents_out out;

		/* release them prescriptively through the FM: 5603h tells where they are */
		if (!e)
			die("out of memory");
		for (uint32_t got = 0; got < r->k; got += out.returned) {
			fm_extents(x, r->n + got, r->k - got < PAGE ? r->k - got : PAGE);
			fm_wait(x, false, "5603h");
			if (cci_dec_region_extents_out(x->fm.out, x->fm.out_len, &out, e + got,
						       r->k - got) || !out.returned)
				die("malformed 5603h response");
		}
		for (uint32_t i = 0; i < r->k; i++) {
			struct cci_initiate_release_in in = { .host = 0,
							      .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
							      .nr = 1 };
			uint8_t buf[256];
			struct wwr w;

			wwr_init(&w, buf, sizeof(buf));
			if (cci_enc_initiate_release_in(&w, &in, &e[i]))
				die("cannot encode 5605h");
			fm_send(x, CXLDCD_OP_FM_INITIATE_DC_RELEASE, buf, w.off);
		}
		free(e);
		fm_wait(x, true, "free release");
		settle(x, r->n, "free release");
	}
}

#define SUB 8u

/*
 * The rows that change state, repetition i: each step in SUB parts of K/SUB
 * operations, each part on one daemon and at once on the other (the first
 * alternating), state put back after each; the median of the parts.
 */
static void measure_steps(struct ctx *xs, struct run *rs, struct ctx *xb, struct run *rb,
			  double ts[][16], double tb[][16], uint32_t i)
{
	uint32_t k = rs->k;
	double u[SUB][2 * NR_OPS], t[SUB][2 * NR_OPS], vs[SUB], vb[SUB];

	rs->k = rb->k = k / SUB ? k / SUB : 1;
	for (int st = 0; st < NR_STEPS; st++) {
		for (uint32_t p = 0; p < SUB; p++) {
			for (int o = 0; o < 2 * NR_OPS; o++)
				u[p][o] = t[p][o] = -1;
			if ((i + (uint32_t)st + p) % 2) {
				measure_step(xb, rb, t[p], st);
				measure_step(xs, rs, u[p], st);
			} else {
				measure_step(xs, rs, u[p], st);
				measure_step(xb, rb, t[p], st);
			}
		}
		for (int o = 0; o < 2 * NR_OPS; o++) {
			if (u[0][o] < 0)
				continue;
			for (uint32_t p = 0; p < SUB; p++) {
				vs[p] = u[p][o];
				vb[p] = t[p][o];
			}
			ts[o][i] = bench_median(vs, SUB);
			tb[o][i] = bench_median(vb, SUB);
		}
	}
	rs->k = rb->k = k;
}

/*
 * What the last start did, from the daemon's log: journal records replayed
 * and the time it took ("N journal record(s) replayed in T ms"), and the
 * time to load the snapshot ("snapshot ... loaded (journal seq=S) in T ms";
 * 0 when there was none) and to bind the accepted extents to memory
 * ("N accepted extent(s) bound to memory in T ms"); and the daemon's own
 * account of the start's CPU ("start: ready ..."), as it wrote it.
 */
struct start_log {
	double records, replay_ms, snap_ms, bind_ms, read_ms, restore_ms;
	char ready[320];
};

static struct start_log last_start(const struct daemon *d)
{
	struct start_log r = { 0 };
	FILE *f = fopen(d->log, "r");
	char line[512];

	if (!f)
		return r;
	while (fgets(line, sizeof(line), f)) {
		unsigned long v, ms;
		char *p;

		if ((p = strstr(line, "cxldcd: start: ready "))) {
			snprintf(r.ready, sizeof(r.ready), "%s", p + strlen("cxldcd: start: "));
			r.ready[strcspn(r.ready, "\n")] = 0;
			continue;
		}
		if ((p = strstr(line, " bound to memory in ")) &&
		    sscanf(p, " bound to memory in %lu ms", &ms) == 1) {
			r.bind_ms = (double)ms;
			continue;
		}
		if (strstr(line, "state: snapshot ") && (p = strstr(line, ") in ")) &&
		    sscanf(p, ") in %lu ms", &ms) == 1) {
			unsigned long rd, rs;

			r.snap_ms = (double)ms;
			/* "(N bytes read in R ms, devices restored in D ms)" */
			if ((p = strstr(p, " bytes read in ")) &&
			    sscanf(p, " bytes read in %lu ms, devices restored in %lu ms", &rd, &rs) == 2) {
				r.read_ms = (double)rd;
				r.restore_ms = (double)rs;
			}
			continue;
		}
		p = strstr(line, " journal record(s) replayed in ");
		if (!p || sscanf(p, " journal record(s) replayed in %lu ms", &ms) != 1)
			continue;
		*p = 0;
		p = strrchr(line, ' ');
		if (p && sscanf(p + 1, "%lu", &v) == 1) {
			r.records = (double)v;
			r.replay_ms = (double)ms;
		}
	}
	fclose(f);
	return r;
}

static double restart(struct ctx *x)
{
	double t0;

	disconnect_all(x);
	x->stop_s = daemon_term(&x->d);
	t0 = bench_now_s();
	daemon_exec(&x->d);
	x->fm.fd = daemon_connect(&x->d, x->d.fm);
	x->fm.rlen = 0;
	x->fm.on_rsp = on_fm_rsp;
	x->fm.opaque = x;
	x->fm.sent = x->fm.done = 0;
	/* The FM socket is up during the replay and answers Busy until it is over. */
	for (double until = bench_now_s() + WAIT_S;; usleep(200)) {
		x->fm.rc = 0;
		fm_extents(x, 0, 0);
		while (x->fm.done < x->fm.sent) {
			if (bench_now_s() > until)
				die("restart: no FM answer within %.0f s", WAIT_S);
			pump(x, false, 100);
		}
		if (x->fm.rc != CXLDCD_RC_BUSY)
			break;
	}
	if (x->fm.rc)
		die("restart failed: fm rc 0x%x", x->fm.rc);
	t0 = bench_now_s() - t0;
	x->restart_cpu_ms = proc_cpu_s(x->d.pid) * 1e3;
	close(x->fm.fd);
	connect_all(x);
	return t0;
}

/* ------------------------------------------------------------ -e: whole scans, many backends */

/* A whole-device read: its total time, and the median time per item of its parts. */
struct scan {
	double total_s, med_item_s;
	double cpu_item_s;              /* the daemon's CPU time over the whole scan, per item */
	uint64_t items, parts;
};

/* The median of v[0..n) per item of a part of `per` items, into sc->med_item_s; frees v. */
static void scan_median(struct scan *sc, double *v, uint64_t n, uint32_t per)
{
	sc->med_item_s = n ? bench_median(v, (uint32_t)n) / per : 0;
	free(v);
}

/*
 * Every item of query-cxl-dynamic-capacity (no filter), in pages of
 * per_page, one page after another; a part is a page.
 */
static struct scan qmp_page_all(struct ctx *x, uint32_t per_page)
{
	struct scan sc = { 0 };
	double c0 = proc_cpu_s(x->d.pid), t0 = bench_now_s(), *v = NULL;
	uint64_t start = 0, cap = 0;
	char cmd[256];

	for (;;) {
		uint64_t want = x->q_replies + 1;
		double tp = bench_now_s();
		int n = snprintf(cmd, sizeof(cmd), "{\"execute\":\"query-cxl-dynamic-capacity\","
				 "\"arguments\":{\"path\":\"" DEV "\",\"start-index\":%llu,"
				 "\"max-count\":%u}}\n", (unsigned long long)start, per_page);

		send_all(x->qmp, cmd, (size_t)n, "qmp");
		qmp_wait(x, want, "query-cxl-dynamic-capacity page");
		if (x->q_total < 0)
			die("query-cxl-dynamic-capacity: no total-items at the end of a paged reply");
		if (x->q_next < 0)
			break; /* the last page, shorter: not a part */
		if (sc.parts == cap && !(v = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof(*v))))
			die("out of memory");
		v[sc.parts++] = bench_now_s() - tp;
		if ((uint64_t)x->q_next != start + per_page)
			die("query-cxl-dynamic-capacity: next-index %lld after a page of %u from %llu",
			    (long long)x->q_next, per_page, (unsigned long long)start);
		start = (uint64_t)x->q_next;
	}
	sc.total_s = bench_now_s() - t0;
	sc.items = (uint64_t)x->q_total;
	sc.cpu_item_s = (proc_cpu_s(x->d.pid) - c0) / (double)(sc.items ? sc.items : 1);
	scan_median(&sc, v, sc.parts, per_page);
	return sc;
}

/* How many live tags 5608h counts. */
static uint32_t tag_total(struct ctx *x)
{
	struct cci_list_tags_out out;
	struct cci_tag_info t;

	fm_tags(x, 0, 1);
	fm_wait(x, false, "5608h");
	if (cci_dec_list_tags_out(x->fm.out, x->fm.out_len, &out, &t, 1))
		die("malformed 5608h response");
	return out.total;
}

#define SCAN_PART 16u   /* pages per part of an FM scan */

/*
 * Every extent of host 0 (5603h) or every live tag (5608h), in pages of
 * PAGE; a part is SCAN_PART pages sent back to back, then their answers read.
 */
static struct scan fm_scan(struct ctx *x, bool tags, uint32_t total)
{
	struct scan sc = { .items = total };
	/* SCAN_PART pages a part, fewer when there are fewer whole pages */
	uint32_t part = total / PAGE < SCAN_PART ? (total / PAGE ? total / PAGE : 1) : SCAN_PART;
	double c0 = proc_cpu_s(x->d.pid), t0 = bench_now_s();
	double *v = calloc(total / (PAGE * part) + 1, sizeof(*v));
	uint32_t start = 0;

	if (!v)
		die("out of memory");
	while (start < total) {
		double tp = bench_now_s();
		bool whole = total - start >= PAGE * part;

		for (uint32_t p = 0; p < part && start < total; p++, start += PAGE) {
			if (tags)
				fm_tags(x, start, PAGE);
			else
				fm_extents(x, start, PAGE);
		}
		fm_wait(x, false, tags ? "5608h scan" : "5603h scan");
		if (whole)
			v[sc.parts++] = bench_now_s() - tp;
	}
	sc.total_s = bench_now_s() - t0;
	sc.cpu_item_s = (proc_cpu_s(x->d.pid) - c0) / (double)(total ? total : 1);
	scan_median(&sc, v, sc.parts, PAGE * part);
	return sc;
}

#define OBJ_BATCH 500u

/*
 * object-add of n backends (memory-backend-ram, 2 MiB, tagged), pipelined
 * in batches of OBJ_BATCH, then object-del of them in the same order: s per
 * command of each batch into add[] and del[] (n / OBJ_BATCH of each).
 */
static void obj_scale(struct ctx *x, struct run *r, uint32_t n, double *add, double *del,
		      long *rss_peak)
{
	uint32_t k = r->k, nb = n / OBJ_BATCH;
	uint64_t seq = r->seq;

	r->k = OBJ_BATCH;
	for (uint32_t b = 0; b < nb; b++) {
		r->seq = seq + (uint64_t)b * OBJ_BATCH;
		add[b] = qmp_batch(x, r, gen_object_add, "object-add (many backends)");
	}
	*rss_peak = bench_rss_kib(x->d.pid);
	for (uint32_t b = 0; b < nb; b++) {
		r->seq = seq + (uint64_t)b * OBJ_BATCH;
		del[b] = qmp_batch(x, r, gen_object_del, "object-del (many backends)");
	}
	r->k = k;
	r->seq = seq + (uint64_t)nb * OBJ_BATCH;
}

/* -e: the whole-device reads on both daemons, then many backends on the big one. */
static void at_scale(struct ctx *xs, struct run *rs, struct ctx *xb, struct run *rb,
		     uint32_t per_page, uint32_t backends)
{
	struct scan q[2] = { { 0 } }, e[2] = { { 0 } }, g[2] = { { 0 } };
	uint32_t tags[2] = { tag_total(xs), tag_total(xb) }, nb = backends / OBJ_BATCH;
	/* the small daemon's scans repeated to about as many items as the big one's (at most 1,000 times) */
	uint32_t reps = rb->n / rs->n < 1 ? 1 : rb->n / rs->n > 1000 ? 1000 : rb->n / rs->n;
	const char *const what[3] = { "QMP query-cxl-dynamic-capacity, every item, one page at a time",
				      "FM 5603h, every extent of host 0", "FM 5608h, every live tag" };
	double *add, *del, med[1000], cpu[1000];
	long rss0, rss1, rss_peak;

	/* each kind of scan on its own: the small one's reps, then the big one's */
	for (int w = 0; w < 3; w++) {
		struct scan *sc = w == 0 ? q : w == 1 ? e : g;

		for (uint32_t i = 0; i < reps; i++) {
			struct scan a = w == 0 ? qmp_page_all(xs, per_page) : fm_scan(xs, w == 2,
										      w == 1 ? rs->n : tags[0]);

			/* a scan of the small one has few parts: the median of the scans' medians */
			sc[0].items = a.items;
			sc[0].parts += a.parts;
			sc[0].total_s += a.total_s / reps;
			med[i] = a.med_item_s;
			cpu[i] = a.cpu_item_s;
		}
		sc[0].med_item_s = bench_median(med, reps);
		sc[0].cpu_item_s = bench_median(cpu, reps);
		sc[1] = w == 0 ? qmp_page_all(xb, per_page) : fm_scan(xb, w == 2, w == 1 ? rb->n : tags[1]);
	}
	printf("\n| whole-device read (-e): items, total time, median per item of its parts (a QMP "
	       "page of %u; %u FM pages of %u, fewer when there are fewer; at %u: the median of %u "
	       "scans), the daemon's CPU time per item | %u | %u | ratio per item | CPU ratio "
	       "|\n|---|---|---|---|---|\n", per_page, SCAN_PART, PAGE, rs->n, reps, rs->n, rb->n);
	for (int w = 0; w < 3; w++) {
		struct scan *sc = w == 0 ? q : w == 1 ? e : g;

		printf("| %s | %llu, %.1f ms, %.3f µs, CPU %.3f µs | %llu, %.1f ms, %.3f µs, CPU %.3f µs "
		       "| %.2f | %.2f |\n", what[w], (unsigned long long)sc[0].items,
		       sc[0].total_s * 1e3, sc[0].med_item_s * 1e6, sc[0].cpu_item_s * 1e6,
		       (unsigned long long)sc[1].items, sc[1].total_s * 1e3, sc[1].med_item_s * 1e6,
		       sc[1].cpu_item_s * 1e6, sc[1].med_item_s / sc[0].med_item_s,
		       sc[1].cpu_item_s / sc[0].cpu_item_s);
	}
	fflush(stdout);
	if (!nb)
		return;
	add = calloc(nb, sizeof(*add));
	del = calloc(nb, sizeof(*del));
	if (!add || !del)
		die("out of memory");
	rss0 = bench_rss_kib(xb->d.pid);
	obj_scale(xb, rb, nb * OBJ_BATCH, add, del, &rss_peak);
	rss1 = bench_rss_kib(xb->d.pid);
	printf("\nobject-add of %u backends (memory-backend-ram, 2 MiB, tagged) beside %u extents, "
	       "batches of %u pipelined, µs per command:\n  add, backends before the batch:", nb * OBJ_BATCH,
	       rb->n, OBJ_BATCH);
	for (uint32_t b = 0; b < nb; b += nb > 10 ? nb / 10 : 1)
		printf(" %u: %.1f", b * OBJ_BATCH, add[b] * 1e6);
	printf(" %u: %.1f (last / first %.2f)\n  del, backends before the batch:", (nb - 1) * OBJ_BATCH,
	       add[nb - 1] * 1e6, add[nb - 1] / add[0]);
	for (uint32_t b = 0; b < nb; b += nb > 10 ? nb / 10 : 1)
		printf(" %u: %.1f", (nb - b) * OBJ_BATCH, del[b] * 1e6);
	printf(" %u: %.1f (first / last %.2f)\n  daemon VmRSS %ld KiB before, %ld with every backend, "
	       "%ld after deleting them\n", OBJ_BATCH, del[nb - 1] * 1e6, del[0] / del[nb - 1], rss0,
	       rss_peak, rss1);
	free(add);
	free(del);
}

/*
 * Host 1's tags beside n resident extents: a tenth as many, at least 2 pages,
 * at most H1_MAX: each of its offers stays pending and holds a record of its
 * DC event log (65,535 deep at most), which refuses more with Retry Required.
 */
#define H1_MAX 60000u

static uint32_t h1_tags(uint32_t n)
{
	return n / 10 < 2 * PAGE ? 2 * PAGE : n / 10 > H1_MAX ? H1_MAX : n / 10;
}

static double load1(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static uint32_t arg_u32(const char *s, uint32_t min)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v < min || v > 10000000ul) {
		fprintf(stderr, "usage: bench-faces [-s small] [-b big] [-k ops] [-r reps] [-d dir] "
			"[-c cpu|none] [-o address|shuffled|gaps] [-m] [-e [-P page] [-n backends]] "
			"[-x s [-q]] [-v]\n");
		exit(2);
	}
	return (uint32_t)v;
}

static int arg_order(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, order_name[i]))
			return i;
	arg_u32("x", 0);
	return 0;
}

/* The big daemon's populate from mid to big: its rate by tenths, and the snapshots it took meanwhile. */
static void print_populate(const struct ctx *x, uint32_t mid, uint32_t big)
{
	printf("populate %u -> %u, extents/s in each tenth:", mid, big);
	for (uint32_t i = 0; i < x->nr_rate; i++)
		printf(" %.0f", x->rate[i]);
	printf("\n  the daemon's CPU time per extent in each tenth, µs (a snapshot's child not counted):");
	for (uint32_t i = 0; i < x->nr_rate; i++)
		printf(" %.1f", x->rate_cpu[i] * 1e6);
	printf("\n  the slowest 5604h in each tenth (sent to answered, %u in flight at most), ms:", WINDOW);
	for (uint32_t i = 0; i < x->nr_rate; i++)
		printf(" %.1f", x->rate_max[i] * 1e3);
	printf("\nsnapshots while populating (the daemon's child, from first to last seen; its CPU "
	       "time as last seen; the file):%s\n", x->d.nr_snaps ? "" : " none seen");
	for (uint32_t i = 0; i < x->d.nr_snaps; i++)
		printf("  at %u extents: %.0f ms, CPU %.0f ms, %lld bytes\n", x->d.snaps[i].at,
		       x->d.snaps[i].wall_ms, x->d.snaps[i].cpu_ms, x->d.snaps[i].bytes);
}

/*
 * -m: only the big daemon, populated in the order of -o; RSS per extent.
 * Host 1 is left empty (it does not change host 0's memory per extent).
 */
static void mem_only_run(struct ctx *xb, uint32_t mid, uint32_t big)
{
	double t0 = bench_now_s();
	long rss_mid, rss_big;

	daemon_start(&xb->d, 1, rblock(big) + 64, 0);
	connect_all(xb);
	populate(xb, 0, mid, mid);
	rss_mid = bench_rss_kib(xb->d.pid);
	populate(xb, mid, big, big);
	rss_big = bench_rss_kib(xb->d.pid);
	printf("RSS per resident tagged extent, order %s (daemon VmRSS %u -> %u extents): %.0f B "
	       "(%ld -> %ld KiB); populated in %.1f s\n", order_name[order], mid, big,
	       big > mid ? (double)(rss_big - rss_mid) * 1024.0 / (big - mid) : 0.0, rss_mid,
	       rss_big, bench_now_s() - t0);
	print_populate(xb, mid, big);
	disconnect_all(xb);
	daemon_term(&xb->d);
}

/* The daemon's last "written at stop" line, from "snapshot" on (or why it wrote none). */
static void stop_line(const struct daemon *d, char *out, size_t cap)
{
	FILE *f = fopen(d->log, "r");
	char line[512], *p;

	snprintf(out, cap, "(no snapshot line)");
	while (f && fgets(line, sizeof(line), f)) {
		if ((p = strstr(line, "state: snapshot ")) && strstr(p, " at stop")) {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, cap, "%s", p + 7);
		} else if ((p = strstr(line, "state: cannot write the snapshot at stop")) ||
			   (p = strstr(line, "state: no snapshot at stop"))) {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, cap, "%s", p + 7);
		}
	}
	if (f)
		fclose(f);
}

/*
 * -S: the stop alone, at the big size (docs/performance.md, "Session 11: the clean stop"):
 * the big daemon populated as for the table (host 1's pending tags too) and restarted once
 * (a daemon that forked no snapshot child: its CPU time at the exit is the stop's alone), then
 * -r times: one journaled change (a tagged extent offered to host 1, so the stop writes a
 * snapshot), SIGTERM -> exit, the daemon's log line of the snapshot, a restart to the first FM
 * answer.  With $CXLDCD_B, every second start runs that daemon instead: two builds stop the
 * same state by turns (the medians of each), and restart it by turns (each restart, exec to
 * the first answer as in the table, wall and the daemon's CPU at its first answer, is the
 * next daemon's: the medians of each too).
 */
static void stop_only_run(struct ctx *x, uint32_t big, uint32_t reps)
{
	const char *a = getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH, *b = getenv("CXLDCD_B");
	double wall[2][16], cpu[2][16], rwall[2][16], rcpu[2][16];
	uint32_t n[2] = { 0, 0 }, rn[2] = { 0, 0 };
	char line[400];

	daemon_start(&x->d, 1, rblock(big) + 64 + reps, h1_tags(big));
	connect_all(x);
	populate(x, 0, big, big);
	populate_host1(x);
	restart(x);
	for (uint32_t i = 0; i < reps; i++) {
		int k = b && i % 2;                /* the daemon running now */
		int k2 = b && (i + 1) % 2;         /* the one the restart starts */
		double t;

		fm_add_to(x, 1, rblock(big) + 64 + i, STAG(i));
		fm_wait(x, true, "the change before a stop");
		daemon_bin = k2 ? b : a;
		t = restart(x);                    /* this stop, then the next daemon to the first answer */
		wall[k][n[k]] = x->stop_s * 1e3;
		cpu[k][n[k]++] = x->d.stop_cpu_s * 1e3;
		rwall[k2][rn[k2]] = t * 1e3;
		rcpu[k2][rn[k2]++] = x->restart_cpu_ms;
		stop_line(&x->d, line, sizeof(line));
		printf("stop %2u (%s): %.1f ms wall, %.1f ms CPU; %s; restart (%s): %.1f ms wall, "
		       "%.1f ms CPU\n", i + 1, k ? "CXLDCD_B" : "CXLDCD", x->stop_s * 1e3,
		       x->d.stop_cpu_s * 1e3, line, k2 ? "CXLDCD_B" : "CXLDCD", t * 1e3,
		       x->restart_cpu_ms);
		fflush(stdout);
	}
	for (int k = 0; k < 2; k++) {
		if (!n[k])
			continue;
		qsort(wall[k], n[k], sizeof(double), bench_cmp_dbl);
		qsort(cpu[k], n[k], sizeof(double), bench_cmp_dbl);
		printf("%s (%s): stop at %u resident extents + %u pending tags, median of %u: %.1f ms "
		       "wall (min %.1f), %.1f ms CPU (min %.1f)\n", k ? "CXLDCD_B" : "CXLDCD", k ? b : a,
		       big, h1_tags(big), n[k], wall[k][n[k] / 2], wall[k][0], cpu[k][n[k] / 2], cpu[k][0]);
	}
	for (int k = 0; k < 2; k++) {
		if (!rn[k])
			continue;
		qsort(rwall[k], rn[k], sizeof(double), bench_cmp_dbl);
		qsort(rcpu[k], rn[k], sizeof(double), bench_cmp_dbl);
		printf("%s (%s): restart (exec -> first FM answer), median of %u: %.1f ms wall (min "
		       "%.1f), %.1f ms CPU at the first answer (min %.1f)\n", k ? "CXLDCD_B" : "CXLDCD",
		       k ? b : a, rn[k], rwall[k][rn[k] / 2], rwall[k][0], rcpu[k][rn[k] / 2],
		       rcpu[k][0]);
	}
	disconnect_all(x);
	daemon_term(&x->d);
}

int main(int argc, char **argv)
{
	uint32_t small = 1000, big = 100000, k = 200, mid = 10000, reps = 5, hold = 0;
	uint32_t per_page = 1000, backends = 10000;
	bool extra = false, qmp_mut = false;
	int cpu = 0;
	static struct ctx xs, xb;
	struct run rs, rb;
	static double ts[2 * NR_OPS][16], tb[2 * NR_OPS][16];
	double l0 = load1(), t_start = bench_now_s(), t_pop, lmax = l0;
	struct start_log ls = { 0 }, lb = { 0 };
	long rss_mid, rss_big;
	bool mem_only = false, stop_only = false;
	int opt;

	while ((opt = getopt(argc, argv, "s:b:k:r:d:x:c:o:meP:n:vSq")) != -1) {
		switch (opt) {
		case 's': small = arg_u32(optarg, 2 * PAGE); break;
		case 'b': big = arg_u32(optarg, 2 * PAGE); break;
		case 'k': k = arg_u32(optarg, 1); break;
		case 'r': reps = arg_u32(optarg, 1); break;
		case 'd': state_root = optarg; break;
		case 'x': hold = arg_u32(optarg, 1); break;
		case 'c': cpu = !strcmp(optarg, "none") ? -1 : (int)arg_u32(optarg, 0); break;
		case 'o': order = arg_order(optarg); break;
		case 'm': mem_only = true; break;
		case 'e': extra = true; break;
		case 'q': qmp_mut = true; break;
		case 'P': per_page = arg_u32(optarg, 1); break;
		case 'n': backends = arg_u32(optarg, 0); break;
		case 'v': verbose = true; break;
		case 'S': stop_only = true; break;
		default: arg_u32("x", 0);
		}
	}
	if (reps > 16)
		reps = 16;
	if (k > small / 2)
		k = small / 2;
	if (big < small)
		big = small;
	mid = mid < small ? small : mid > big ? big : mid;
	if (access(state_root, W_OK))
		state_root = "/tmp";
	if (cpu >= 0) {
		cpu_set_t set;

		/* this process and both daemons (inherited) share one CPU: the same load reaches both sizes */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "bench-faces: cannot pin to cpu %d: %s\n", cpu, strerror(errno));
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (mem_only) {
		mem_only_run(&xb, mid, big);
		return 0;
	}
	if (stop_only) {
		stop_only_run(&xb, big, reps);
		return 0;
	}
	printf("bench-faces: cxldcd %s, two daemons (%u and %u resident extents), each with "
	       "--state in %s; one region of 2 MiB blocks, 2 hosts (host 0: libcxldcd-host, accept "
	       "all, no mapping; host 1: no agent), event-log-depth=65535; %s %d\n",
	       getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH, small, big, state_root,
	       cpu >= 0 ? "all on cpu" : "not pinned", cpu);
	printf("resident: extent i of host 0 = block %s with its own tag, order %s; host 1: a tenth as many "
	       "tags (>= %u, <= %u), pending; %u operations per step, pipelined, on distinct targets, in "
	       "%u parts, each on both daemons back to back, median of the parts (read-only: a "
	       "warm-up batch, then median of %u batches of %u on each, alternating); %u "
	       "repetitions, medians; load average %.2f at start\n",
	       order == ORDER_GAPS ? "2i" : "i", order_name[order], 2 * PAGE, H1_MAX, k, SUB, ROUNDS,
	       k / 8 ? k / 8 : 1, reps, l0);
	fflush(stdout);

	rs = (struct run){ .n = small, .n1 = h1_tags(small), .k = k,
			   .scratch = (uint32_t)rblock(small) + 64 + 2 * k, .seq = 0 };
	rb = (struct run){ .n = big, .n1 = h1_tags(big), .k = k,
			   .scratch = (uint32_t)rblock(big) + 64, .seq = 0 };
	daemon_start(&xs.d, 0, rblock(small) + 64 + 2u * k + 64 + 2u * k + 64, rs.n1);
	daemon_start(&xb.d, 1, rblock(big) + 64 + 2u * k + 64, rb.n1);
	connect_all(&xs);
	connect_all(&xb);
	populate(&xs, 0, small, small);
	t_pop = bench_now_s();
	populate(&xb, 0, mid, mid);
	rss_mid = bench_rss_kib(xb.d.pid);
	populate(&xb, mid, big, big);
	rss_big = bench_rss_kib(xb.d.pid);
	t_pop = bench_now_s() - t_pop;
	populate_host1(&xs);
	populate_host1(&xb);

	if (hold) {
		/* -x S: 5603h pages at the big daemon for S seconds (to profile it) */
		double until = bench_now_s() + hold;

		fprintf(stderr, "bench-faces: big daemon pid %d\n", (int)xb.d.pid);
		if (qmp_mut) {
			/* -q -x S: the QMP mutation steps and the FM's, in parts as the table's, on both daemons */
			double t[2 * NR_OPS], t0 = bench_now_s();

			fprintf(stderr, "bench-faces: small daemon pid %d\n", (int)xs.d.pid);
			rs.k = rb.k = k / SUB ? k / SUB : 1;

			while (bench_now_s() < until) {
				static const int row[4] = { OP_QMP_ADD, OP_QMP_ADD_FREE, OP_QMP_REL_PRESC,
							    OP_QMP_REL_TAG };
				double u[2 * NR_OPS];

				fprintf(stderr, "%7.2f s, daemon CPU per op, us (small / big):", bench_now_s() - t0);
				for (int st = 0; st < 4; st++) {
					measure_step(&xb, &rb, t, st);
					measure_step(&xs, &rs, u, st);
					fprintf(stderr, " %.1f / %.1f", u[CPU(row[st])] * 1e6, t[CPU(row[st])] * 1e6);
				}
				measure_step(&xb, &rb, t, 5);
				measure_step(&xs, &rs, u, 5);
				fprintf(stderr, " FM %.1f / %.1f %.1f / %.1f\n", u[CPU(OP_FM_ADD)] * 1e6,
					t[CPU(OP_FM_ADD)] * 1e6, u[CPU(OP_FM_REL)] * 1e6, t[CPU(OP_FM_REL)] * 1e6);
			}
			return 0;
		}
		while (bench_now_s() < until) {
			if (extra) /* -e -x S: whole-device QMP paging instead */
				qmp_page_all(&xb, per_page);
			else
				fm_batch(&xb, &rb, fm_op_extents, "5603h loop");
		}
		return 0;
	}
	if (verbose)
		fprintf(stderr, "bench-faces: populated; the table (big daemon pid %d)\n", (int)xb.d.pid);
	for (uint32_t i = 0; i < reps; i++) {
		double l = load1();

		lmax = l > lmax ? l : lmax;
		measure_steps(&xs, &rs, &xb, &rb, ts, tb, i);
		measure_reads(&xs, &rs, &xb, &rb, ts, tb, i);
		ts[OP_RESTART][i] = restart(&xs);
		tb[OP_RESTART][i] = restart(&xb);
		ts[CPU(OP_RESTART)][i] = xs.restart_cpu_ms / 1e3;
		tb[CPU(OP_RESTART)][i] = xb.restart_cpu_ms / 1e3;
		ts[OP_STOP][i] = xs.stop_s;
		tb[OP_STOP][i] = xb.stop_s;
		ts[CPU(OP_STOP)][i] = xs.d.stop_cpu_s;
		tb[CPU(OP_STOP)][i] = xb.d.stop_cpu_s;
		ls = last_start(&xs.d);
		lb = last_start(&xb.d);
		/* a restart loads the last snapshot (the resident state) and replays the rest */
		ts[OP_REPLAY][i] = ts[OP_RESTART][i] / (ls.records + rs.n);
		tb[OP_REPLAY][i] = tb[OP_RESTART][i] / (lb.records + rb.n);
		/* "N journal record(s) replayed in T ms": both sizes replay a tail */
		ts[OP_RECORD][i] = ls.records ? ls.replay_ms / 1e3 / ls.records : 0;
		tb[OP_RECORD][i] = lb.records ? lb.replay_ms / 1e3 / lb.records : 0;
		if (verbose)
			fprintf(stderr, "bench-faces: repetition %u done\n", i + 1);
	}

	printf("\n| operation | %u | %u | ratio | daemon CPU, %u | daemon CPU, %u | CPU ratio |\n"
	       "|---|---|---|---|---|---|---|\n", small, big, small, big);
	for (int o = 0; o < NR_OPS; o++) {
		bool ms = o == OP_RESTART || o == OP_STOP;
		double us = ms ? 1e3 : 1e6, s_med = bench_median(ts[o], reps);
		double cs = bench_median(ts[CPU(o)], reps), cb = bench_median(tb[CPU(o)], reps);
		const char *unit = ms ? "ms" : "µs";
		char cpucol[96] = " | | |";

		if (order == ORDER_GAPS && o == OP_QMP_ADD_FREE) {
			printf("| %s | not measured (-o gaps) | | | | | |\n", op_name[o]);
			continue;
		}
		if (tb[o][0] < 0) {
			printf("| %s | %.1f %s | not measured | | | | |\n", op_name[o], s_med * us, unit);
			continue;
		}
		if (o == OP_RECORD && s_med <= 0 && bench_median(tb[o], reps) <= 0) {
			printf("| %s | none replayed | none replayed | | | | |\n", op_name[o]);
			continue;
		}
		/* the daemon's own CPU time (schedstat; restart: at its first answer) */
		if (cs > 0 && cb > 0)
			snprintf(cpucol, sizeof(cpucol), " %.1f %s | %.1f %s | %.2f |", cs * us, unit,
				 cb * us, unit, cb / cs);
		printf("| %s | %.1f %s | %.1f %s | %.2f |%s\n", op_name[o], s_med * us, unit,
		       bench_median(tb[o], reps) * us, unit, bench_median(tb[o], reps) / s_med, cpucol);
	}
	printf("\nlast restart, small: snapshot load %.0f ms, %.0f journal records replayed in %.0f ms,"
	       " memory bound in %.0f ms; big: snapshot load %.0f ms (file read %.0f ms, model "
	       "restored %.0f ms), %.0f records replayed in %.0f ms, memory bound in %.0f ms\n",
	       ls.snap_ms, ls.records, ls.replay_ms, ls.bind_ms, lb.snap_ms, lb.read_ms, lb.restore_ms,
	       lb.records, lb.replay_ms, lb.bind_ms);
	printf("last restart, the daemon's CPU time (user + system) at its first answer: small %.0f ms, "
	       "big %.0f ms\n", xs.restart_cpu_ms, xb.restart_cpu_ms);
	printf("last restart, the daemon's account (ms), small: %s\n", ls.ready[0] ? ls.ready : "none");
	printf("last restart, the daemon's account (ms), big: %s\n", lb.ready[0] ? lb.ready : "none");
	printf("RSS per resident tagged extent, order %s (daemon VmRSS %u -> %u extents): %.0f B "
	       "(%ld -> %ld KiB)\n", order_name[order], mid, big,
	       big > mid ? (double)(rss_big - rss_mid) * 1024.0 / (big - mid) : 0.0, rss_mid,
	       rss_big);
	printf("populate 0 -> %u: %.1f s (%.0f extents/s, 5604h + host accept, 64 in flight)\n",
	       big, t_pop, big / t_pop);
	print_populate(&xb, mid, big);
	if (extra)
		at_scale(&xs, &rs, &xb, &rb, per_page, backends);
	printf("load average %.2f at start, %.2f at most between repetitions, %.2f at end; "
	       "%.0f s in all\n", l0, lmax, load1(), bench_now_s() - t_start);
	disconnect_all(&xs);
	disconnect_all(&xb);
	daemon_term(&xs.d);
	daemon_term(&xb.d);
	return 0;
}
