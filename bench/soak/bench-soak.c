/* SPDX-License-Identifier: MIT */
/*
 * bench-soak.c - a long mixed workload against the real daemon, watching
 * for leaks and slow drifts: the daemon's VmRSS, its open fds, the size of
 * its --state directory, and the latency of each kind of operation, per
 * minute; at the end, invariants.
 *
 * One `cxldcd` (fork/exec, private directory on /dev/shm, else /tmp) with
 * --state and two devices, each backed by a memory-backend-file (so the
 * bytes outlive a restart): d0 not sharable (FM socket fm0, host link h0),
 * d1 sharable (fm1, h1), H hosts each.  In this process: per host one
 * libcxldcd-host agent per device (accept all, direct mapping), one QMP
 * client, one FM client per device.  For -t seconds a seeded random mix:
 *
 *   d0: 5604h prescriptive tagged / untagged, 5604h free (tagged / not);
 *       5605h tag-based or prescriptive (a listed extent), forced or not;
 *   d1: QMP prescriptive add of a fresh tag to one host, enable-shared-access
 *       of a live tag to another; QMP release (tag-based) and 5605h forced
 *       release of one sharer (the others move to a fresh grant);
 *   QMP query-cxl-dynamic-capacity pages and release status, query-events;
 *   applications: open a group, verify its pattern (or write it the first
 *       time), keep some open a while, close; hosts give groups back;
 *   a host drops its agents and reconnects; object-add / object-del of a
 *   backend; a second QMP client connects and leaves; every -r seconds the
 *   daemon is stopped (SIGTERM) and started again with the same --state.
 *
 * Operations the device may refuse (a busy block, a tag still pending) are
 * counted as refused, not failures.  Tags are never reused, so a pattern
 * is keyed by its tag: the same bytes for every sharer and across restarts.
 *
 * Once the time is over: load stops, every host answers what is pending,
 * then (a) the FM's extent lists (5603h) and each agent's groups must agree
 * per host (bytes, extents and tags), (b) every group's pattern verifies;
 * then everything is released, and (c) fds must equal the baseline taken
 * after the same connections were made at the start, RSS within -R percent
 * of it (default 25%) plus 4 MiB of warm-up — both measured on the daemon
 * that started last, against a baseline taken on the same daemon right
 * after its start; the RSS check is skipped when the daemon is an ASan
 * build (ASan's shadow and quarantine are most of it) — and (d) the
 * state dir stays under -S MiB (default 64) for the whole run.  The
 * daemon's stderr is scanned for sanitizer reports at every stop
 * (CXLDCD=an ASan build with ASAN_OPTIONS=detect_leaks=1).
 *
 * SOAK_NOTERM=1 (a diagnostic): a "restart" then only drops every host
 * agent at once and connects them again, without stopping the daemon.
 *
 * Usage: bench-soak [-t seconds] [-H hosts] [-s seed] [-r restart_s] [-d dir] [-R pct]
 *                   [-S MiB] [-g] [-v]
 * -g: before each restart, let the hosts answer everything first (without
 * it a restart meets the hosts wherever they are: docs/performance.md "Soak"
 * tells what that shows).
 * defaults: -t 60 -H 6 -s 1 -r 90 -d /dev/shm -R 25 -S 64.  Exit status 1 when an
 * invariant breaks.  The daemon is $CXLDCD, else the one this build made.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
#define NDEV 2
#define D0_BLOCKS 256u            /* 512 MiB */
#define D1_BLOCKS 128u            /* 256 MiB */
#define MAXH 8
#define WAIT_S 60.0
#define PAGE 64u
#define MAX_OPEN 4                /* groups an application keeps open per agent */
#define MAX_MIN 64                /* table rows */

static bool verbose;

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/* ------------------------------------------------------------ random */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

/* ------------------------------------------------------------ the daemon */

static struct {
	pid_t pid;
	char dir[64];
	char fm[NDEV][128], host[NDEV][128], qmp[128], log[128], state[128], mem[NDEV][128];
	uint32_t nr_hosts;
	uint32_t starts;
	uint32_t bad_exits;        /* stops with a non-zero status */
	uint32_t san_reports;      /* sanitizer reports in the log */
} d;

static void daemon_kill(void)
{
	if (d.pid > 0) {
		kill(d.pid, SIGKILL);
		waitpid(d.pid, NULL, 0);
		d.pid = 0;
	}
}

static bool keep_dir;

static void cleanup(void)
{
	char cmd[160];

	daemon_kill();
	if (d.dir[0] && !keep_dir) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d.dir);
		if (system(cmd))
			fprintf(stderr, "bench-soak: could not remove %s\n", d.dir);
	}
}

static void on_signal(int sig)
{
	if (d.pid > 0)
		kill(d.pid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The group touch() is at (for a fault's report); on: inside touch(). */
static struct {
	volatile bool on;
	volatile int hi, dv;
	volatile uint64_t id, size;
	void *volatile addr;
} touching;

/* Print the line of /proc/self/maps that holds addr (its protection), if any. */
static void print_map_of(uintptr_t addr)
{
	static char buf[1 << 16];
	size_t len = 0;
	ssize_t k;
	int fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		return;
	for (;;) {
		char *line = buf, *nl;

		k = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		buf[len] = 0;
		while ((nl = strchr(line, '\n'))) {
			char *end;
			unsigned long long a = strtoull(line, &end, 16), b;

			*nl = 0;
			b = *end == '-' ? strtoull(end + 1, NULL, 16) : 0;
			if (addr >= a && addr < b)
				fprintf(stderr, "bench-soak:   mapping: %s\n", line);
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
	}
	close(fd);
}

/*
 * SIGSEGV/SIGBUS: say where (the address, its mapping, the group touch()
 * was at) before dying, so a crash seen once can be told from the next.
 * Not async-signal-safe (stdio), acceptable for a process about to die.
 */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fprintf(stderr, "bench-soak: %s at addr=%p\n", sig == SIGBUS ? "SIGBUS" : "SIGSEGV",
		si->si_addr);
	if (touching.on)
		fprintf(stderr, "bench-soak:   in touch(): host=%d dev=%d group id=%llu at %p "
			"size=0x%llx (offset 0x%llx)\n", touching.hi, touching.dv,
			(unsigned long long)touching.id, touching.addr,
			(unsigned long long)touching.size,
			(unsigned long long)((uintptr_t)si->si_addr - (uintptr_t)touching.addr));
	print_map_of((uintptr_t)si->si_addr);
	fflush(stderr);
	on_signal(sig);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-soak: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	bench_log_tail(d.log);
	keep_dir = true;
	fprintf(stderr, "bench-soak: directory kept: %s\n", d.dir);
	exit(1);
}

static void daemon_exec(void)
{
	const char *bin = getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH;
	char obj[NDEV][256], dev[NDEV][256], fm[NDEV][180], hs[NDEV][180], qmp[200];

	snprintf(obj[0], sizeof(obj[0]), "memory-backend-file,id=m0,size=%llu,share=on,mem-path=%s",
		 (unsigned long long)D0_BLOCKS * BLK, d.mem[0]);
	snprintf(obj[1], sizeof(obj[1]), "memory-backend-file,id=m1,size=%llu,share=on,mem-path=%s",
		 (unsigned long long)D1_BLOCKS * BLK, d.mem[1]);
	snprintf(dev[0], sizeof(dev[0]),
		 "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=%u,"
		 "mbox-payload-size=4K,event-log-depth=1024", d.nr_hosts);
	snprintf(dev[1], sizeof(dev[1]),
		 "cxl-type3,id=d1,num-dc-regions=1,volatile-dc-memdev=m1,num-hosts=%u,sharable=on,"
		 "mbox-payload-size=4K,event-log-depth=1024", d.nr_hosts);
	for (int i = 0; i < NDEV; i++) {
		snprintf(fm[i], sizeof(fm[i]), "unix:%s,device=d%d", d.fm[i], i);
		snprintf(hs[i], sizeof(hs[i]), "unix:%s,device=d%d", d.host[i], i);
	}
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", d.qmp);

	const char *argv[] = { bin, "-object", obj[0], "-object", obj[1], "-device", dev[0],
			       "-device", dev[1], "--fm", fm[0], "--fm", fm[1], "--host-socket",
			       hs[0], "--host-socket", hs[1], "-qmp", qmp, "--state", d.state,
			       NULL };

	d.pid = bench_spawn(bin, argv, d.log);
	if (d.pid < 0)
		die("fork: %s", strerror(errno));
	d.starts++;
}

static off_t log_checked; /* sanitizer reports before this offset are counted */

static void scan_log(void)
{
	FILE *f = fopen(d.log, "r");
	char line[512];

	if (!f)
		return;
	fseeko(f, log_checked, SEEK_SET);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "ERROR: AddressSanitizer") || strstr(line, "ERROR: LeakSanitizer") ||
		    strstr(line, "runtime error:")) {
			d.san_reports++;
			fprintf(stderr, "bench-soak: daemon log: %s", line);
		}
	log_checked = ftello(f);
	fclose(f);
}

/* SIGTERM and wait for the exit (a clean shutdown); the status is checked. */
static void daemon_term(void)
{
	double until = bench_now_s() + 120;
	int st = 0;

	kill(d.pid, SIGTERM);
	while (waitpid(d.pid, &st, WNOHANG) != d.pid) {
		if (bench_now_s() > until)
			die("cxldcd did not exit within 120 s of SIGTERM");
		usleep(2000);
	}
	d.pid = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		d.bad_exits++;
		fprintf(stderr, "bench-soak: cxldcd stopped with %s %d\n",
			WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	scan_log();
}

static int daemon_connect(const char *path)
{
	int st = 0, fd = bench_connect_unix(path, &d.pid, WAIT_S, &st);

	if (fd == -2)
		die("cxldcd exited (%s %d)", WIFEXITED(st) ? "status" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	if (fd < 0)
		die("cannot connect to %s", path);
	return fd;
}

static int count_fds(void)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)d.pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

static uint64_t du_total;

static int du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F)
		du_total += (uint64_t)st->st_size;
	return 0;
}

static uint64_t state_bytes(void)
{
	du_total = 0;
	nftw(d.state, du_one, 8, FTW_PHYS);
	return du_total;
}

/* ------------------------------------------------------------ clients */

static struct fm_client fm[NDEV];
static int qmp = -1;
static char *qbuf;
static size_t qlen, qcap;
static uint64_t base[NDEV];   /* region 0 base DPA per device */

struct agent {
	struct cxldcd_host *h;
	struct { uint64_t id; double until; } open[MAX_OPEN];
	uint32_t nr_open;
};

static struct agent ag[MAXH][NDEV];

static void fm_send(int dv, uint16_t opcode, const uint8_t *payload, size_t len)
{
	int rc = fm_client_send(&fm[dv], opcode, payload, len);

	if (rc)
		die("fm%d send 0x%04x: %s", dv, opcode, strerror(-rc));
}

static void pump_hosts(int timeout_ms);

/* Wait for the FM answer; return its CXL return code. */
static uint16_t fm_wait(int dv)
{
	double until = bench_now_s() + WAIT_S;

	while (fm[dv].done < fm[dv].sent) {
		struct pollfd p = { .fd = fm[dv].fd, .events = POLLIN };
		int rc;

		if (bench_now_s() > until)
			die("fm%d: no answer within %.0f s", dv, WAIT_S);
		pump_hosts(0);
		if (poll(&p, 1, 5) <= 0)
			continue;
		rc = fm_client_read(&fm[dv]);
		if (rc)
			die("fm%d read: %s", dv, strerror(-rc));
	}
	return fm[dv].rc;
}

static uint16_t fm_call(int dv, uint16_t opcode, const uint8_t *payload, size_t len)
{
	uint16_t rc;

	fm[dv].rc = 0;
	fm_send(dv, opcode, payload, len);
	rc = fm_wait(dv);
	if (rc && verbose)
		fprintf(stderr, "bench-soak: fm%d 0x%04x -> %s\n", dv, opcode, cxldcd_rc_str(rc));
	return rc;
}

static void qmp_send(int fd, const char *s)
{
	size_t off = 0, len = strlen(s);

	while (off < len) {
		ssize_t k = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die("qmp send: %s", strerror(errno));
		off += (size_t)k;
	}
}

/*
 * One QMP command on fd, answered: 0 ("return"), 1 ("error"); events are
 * skipped.  The reply line is left in qbuf (NUL-terminated) until the next call.
 */
static int qmp_call_on(int fd, const char *cmd)
{
	double until = bench_now_s() + WAIT_S;

	qlen = 0;
	qmp_send(fd, cmd);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t k;

		/* qlen first: before the first reply qbuf is NULL, and memchr(NULL, ...) is undefined */
		while (qlen && (nl = memchr(qbuf, '\n', qlen))) {
			size_t n = (size_t)(nl - qbuf) + 1;
			int r = -1;

			*nl = 0;
			if (!strncmp(qbuf, "{\"return\"", 9))
				r = 0;
			else if (!strncmp(qbuf, "{\"error\"", 8))
				r = 1;
			if (r >= 0) {
				if (verbose && r)
					fprintf(stderr, "bench-soak: qmp %.80s -> %.200s\n", cmd, qbuf);
				return r;
			}
			memmove(qbuf, qbuf + n, qlen - n);
			qlen -= n;
		}
		if (bench_now_s() > until)
			die("qmp: no answer within %.0f s to %.100s", WAIT_S, cmd);
		if (qcap - qlen < 65536) {
			qcap = qcap ? qcap * 2 : 1 << 20;
			qbuf = realloc(qbuf, qcap);
			if (!qbuf)
				die("out of memory");
		}
		pump_hosts(0);
		if (poll(&p, 1, 5) <= 0)
			continue;
		k = recv(fd, qbuf + qlen, qcap - qlen - 1, 0);
		if (k <= 0)
			die("qmp recv: %s", k ? strerror(errno) : "closed");
		qlen += (size_t)k;
	}
}

static int qmp_open(void)
{
	int fd = daemon_connect(d.qmp);

	if (qmp_call_on(fd, "{\"execute\":\"qmp_capabilities\"}\n"))
		die("qmp_capabilities refused");
	return fd;
}

/* ------------------------------------------------------------ patterns */

/*
 * Tags: 16 bytes, tag number n in the last 6; n is never reused.  Untagged
 * groups are keyed by (host, agent generation, group id) and forgotten
 * when their agent reconnects.
 */
static uint64_t next_tag = 1;

static void make_tag(uint8_t tag[CXLDCD_TAG_SIZE], uint64_t n)
{
	static const uint8_t head[4] = { 0x50, 0xa1, 0x5e, 0xed };

	bench_tag(tag, head, n);
}

static void tag_str(char out[37], uint64_t n)
{
	uint8_t t[CXLDCD_TAG_SIZE];

	make_tag(t, n);
	cxldcd_tag_format(t, out);
}

static uint64_t tag_num(const uint8_t t[CXLDCD_TAG_SIZE])
{
	uint64_t n = 0;

	for (int i = 10; i < 16; i++)
		n = n << 8 | t[i];
	return n;
}

/* Written-pattern set: open addressing on the key, never shrinks (keys are unique). */
#define WSET (1u << 16)
static uint64_t wset[WSET];

static bool wset_has(uint64_t k)
{
	for (uint32_t i = (uint32_t)(k * 0x9e3779b97f4a7c15ull >> 48) % WSET;; i = (i + 1) % WSET) {
		if (!wset[i])
			return false;
		if (wset[i] == k)
			return true;
	}
}

static void wset_add(uint64_t k)
{
	for (uint32_t i = (uint32_t)(k * 0x9e3779b97f4a7c15ull >> 48) % WSET;; i = (i + 1) % WSET) {
		if (wset[i] == k)
			return;
		if (!wset[i]) {
			wset[i] = k;
			return;
		}
	}
}

static uint32_t agent_gen[MAXH][NDEV];

static uint64_t group_key(int hi, int dv, const struct cxldcd_host_group_info *g)
{
	if (g->tagged)
		return tag_num(g->tag) | (uint64_t)dv << 62;
	return 1ull << 61 | (uint64_t)hi << 56 | (uint64_t)dv << 55 | (uint64_t)agent_gen[hi][dv] << 32 |
	       (g->id & 0xffffffffu);
}

static uint64_t pat(uint64_t key, uint64_t off)
{
	uint64_t x = key * 0x9e3779b97f4a7c15ull ^ off;

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ull;
}

static uint64_t patterns_written, patterns_verified, pattern_errors;

/*
 * Verify the group's pattern, or write it the first time.  Every 4 KiB
 * holds two words: the offset X it was written at and pat(key, X), so a
 * group that lost part of its capacity (a prescriptive release of one of
 * its extents: the mapping closes up) still verifies, while bytes that are
 * lost (zero) or another group's do not.
 */
static void touch_pattern(int hi, int dv, const struct cxldcd_host_group_info *g, uint64_t key,
			  volatile uint64_t *w, uint64_t size)
{
	if (!wset_has(key)) {
		for (uint64_t off = 0; off < size; off += 4096) {
			w[off / 8] = off;
			w[off / 8 + 1] = pat(key, off);
		}
		wset_add(key);
		patterns_written++;
		return;
	}
	for (uint64_t off = 0; off < size; off += 4096) {
		uint64_t x = w[off / 8], y = w[off / 8 + 1];

		if (x % 4096 == 0 && y == pat(key, x))
			continue;
		if (!pattern_errors++ || verbose)
			fprintf(stderr, "bench-soak: pattern mismatch host=%d dev=%d tag=%llu tagged=%d "
				"off=0x%llx size=0x%llx: found 0x%llx 0x%llx\n", hi, dv,
				(unsigned long long)tag_num(g->tag), g->tagged, (unsigned long long)off,
				(unsigned long long)size, (unsigned long long)x, (unsigned long long)y);
		return;
	}
	patterns_verified++;
}

/*
 * Whether group id of h is still whole: not revoked in part.  A group a
 * forced release took part of opens with its revoked pieces inaccessible
 * at their offsets (docs/host.md), and the open's wait for a move drives
 * the link, so a revocation can come between the list and the open.
 * touch() walks the whole mapping: such a group is left alone.
 */
static bool still_whole(struct cxldcd_host *h, uint64_t id)
{
	static struct cxldcd_host_group_info l[1024];
	uint32_t n = cxldcd_host_list_groups(h, l, 1024);

	for (uint32_t i = 0; i < n && i < 1024; i++)
		if (l[i].id == id)
			return !l[i].revoked;
	return false;
}

/* touch_pattern() over the group's mapping, noted for on_fault(). */
static void touch(int hi, int dv, const struct cxldcd_host_group_info *g, void *addr, uint64_t size)
{
	uint64_t key = group_key(hi, dv, g);
	volatile uint64_t *w = addr;

	touching.hi = hi;
	touching.dv = dv;
	touching.id = g->id;
	touching.size = size;
	touching.addr = addr;
	touching.on = true;
	touch_pattern(hi, dv, g, key, w, size);
	touching.on = false;
}

/* ------------------------------------------------------------ agents */

static uint64_t host_failures;

static uint64_t agent_errors;

/* Commands the device refused, device errors, rejected groups: counted; -v prints them. */
static void on_agent_event(void *opaque, const struct cxldcd_host_event *ev)
{
	if (ev->type != CXLDCD_HOST_EV_CMD_FAILED && ev->type != CXLDCD_HOST_EV_DEVICE_ERROR &&
	    ev->type != CXLDCD_HOST_EV_GROUP_REJECTED)
		return;
	agent_errors++;
	if (verbose)
		fprintf(stderr, "bench-soak: agent %s: %s: %s\n", (const char *)opaque,
			cxldcd_host_event_name(ev->type), ev->text ? ev->text : "");
}

static void agent_up(int hi, int dv)
{
	static char names[MAXH][NDEV][24];
	struct cxldcd_host_cfg cfg = { .host_id = (uint16_t)hi, .accept = CXLDCD_HOST_ACCEPT_ALL,
				       .socket_path = d.host[dv], .event_fn = on_agent_event,
				       .event_opaque = names[hi][dv] };
	struct cxldcd_host_dev_info info;
	int rc = -1;

	snprintf(names[hi][dv], sizeof(names[hi][dv]), "host=%d dev=%d", hi, dv);
	for (int i = 0; i < 500 && rc; i++) {
		rc = cxldcd_host_new(&cfg, &ag[hi][dv].h);
		if (rc)
			usleep(10000);
	}
	if (rc)
		die("cxldcd_host_new host=%d dev=%d: %s", hi, dv, strerror(-rc));
	if ((rc = cxldcd_host_wait_ready(ag[hi][dv].h, (int)(WAIT_S * 1000))))
		die("host=%d dev=%d bring-up: %s", hi, dv, strerror(-rc));
	if (cxldcd_host_get_dev_info(ag[hi][dv].h, &info) || info.nr_regions != 1 || !info.mapping)
		die("unexpected device configuration (host=%d dev=%d)", hi, dv);
	base[dv] = info.regions[0].base;
	ag[hi][dv].nr_open = 0;
	agent_gen[hi][dv]++;
}

static void agent_down(int hi, int dv)
{
	cxldcd_host_free(ag[hi][dv].h);
	ag[hi][dv].h = NULL;
	ag[hi][dv].nr_open = 0;
}

static void pump_hosts(int timeout_ms)
{
	struct pollfd p[MAXH * NDEV];
	struct agent *a[MAXH * NDEV];
	int n = 0;

	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			if (ag[h][dv].h) {
				a[n] = &ag[h][dv];
				p[n++] = (struct pollfd){ .fd = cxldcd_host_get_fd(ag[h][dv].h),
							  .events = POLLIN };
			}
	if (poll(p, (nfds_t)n, timeout_ms) <= 0)
		return;
	for (int i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (cxldcd_host_process(a[i]->h) < 0) {
			int hi = (int)((a[i] - &ag[0][0]) / NDEV), dv = (int)((a[i] - &ag[0][0]) % NDEV);

			host_failures++;
			fprintf(stderr, "bench-soak: host=%d dev=%d failed (state %d); reconnecting\n", hi,
				dv, cxldcd_host_get_state(a[i]->h));
			agent_down(hi, dv);
			agent_up(hi, dv);
		}
	}
}

static bool hosts_idle(void)
{
	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			if (ag[h][dv].h && !cxldcd_host_idle(ag[h][dv].h))
				return false;
	return true;
}

/* Let the hosts answer until they are idle and nothing arrives for 300 ms. */
static void settle(void)
{
	double quiet = bench_now_s() + 0.3, until = bench_now_s() + WAIT_S;

	while (bench_now_s() < quiet || !hosts_idle()) {
		if (bench_now_s() > until)
			die("hosts not idle after %.0f s", WAIT_S);
		pump_hosts(20);
		if (!hosts_idle())
			quiet = bench_now_s() + 0.3;
	}
}

static void connect_clients(void)
{
	for (int dv = 0; dv < NDEV; dv++) {
		memset(&fm[dv], 0, sizeof(fm[dv]));
		fm[dv].fd = daemon_connect(d.fm[dv]);
		/* the FM socket answers Busy while the journal replays */
		for (double until = bench_now_s() + WAIT_S;; usleep(1000)) {
			struct cci_region_extents_in in = { 0 };
			uint8_t buf[CCI_REGION_EXTENTS_IN_SIZE];
			struct wwr w;

			wwr_init(&w, buf, sizeof(buf));
			cci_enc_region_extents_in(&w, &in);
			if (fm_call(dv, CXLDCD_OP_FM_GET_DC_REGION_EXTENT_LISTS, buf, w.off) !=
			    CXLDCD_RC_BUSY)
				break;
			if (bench_now_s() > until)
				die("fm%d busy for %.0f s", dv, WAIT_S);
		}
	}
	qmp = qmp_open();
}

static void connect_agents(void)
{
	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			agent_up((int)h, dv);
	settle();
}

static void connect_all(void)
{
	connect_clients();
	connect_agents();
}

static void disconnect_agents(void)
{
	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			agent_down((int)h, dv);
}

static void disconnect_clients(void)
{
	for (int dv = 0; dv < NDEV; dv++) {
		close(fm[dv].fd);
		fm[dv].fd = -1;
	}
	close(qmp);
	qmp = -1;
}

static void disconnect_all(void)
{
	disconnect_agents();
	disconnect_clients();
}

/* ------------------------------------------------------------ FM helpers */

/* All of host h's extents on device dv (5603h pages); return the count (<= cap). */
static uint32_t fm_list(int dv, uint16_t h, struct cxldcd_extent *e, uint32_t cap)
{
	uint32_t got = 0;

	for (;;) {
		struct cci_region_extents_in in = { .host = h, .start = got, .count = PAGE };
		struct cci_region_extents_out out;
		uint8_t buf[CCI_REGION_EXTENTS_IN_SIZE];
		struct wwr w;
		uint16_t rc;

		wwr_init(&w, buf, sizeof(buf));
		cci_enc_region_extents_in(&w, &in);
		rc = fm_call(dv, CXLDCD_OP_FM_GET_DC_REGION_EXTENT_LISTS, buf, w.off);
		if (rc)
			die("5603h host=%u dev=%d: %s", h, dv, cxldcd_rc_str(rc));
		if (cci_dec_region_extents_out(fm[dv].out, fm[dv].out_len, &out, e + got, cap - got))
			die("malformed 5603h response");
		got += out.returned;
		if (!out.returned || got >= out.total || got >= cap)
			return got;
	}
}

static uint16_t fm_add(int dv, uint16_t h, uint8_t policy, uint64_t blk, uint32_t nblk,
		       uint64_t tagn)
{
	struct cxldcd_extent e = { .dpa = base[dv] + blk * BLK, .len = nblk * BLK };
	struct cci_initiate_add_in in = { .host = h, .policy = policy, .nr = 1 };
	uint8_t buf[256];
	struct wwr w;

	if (tagn)
		make_tag(e.tag, tagn);
	if (policy == CXLDCD_ADD_FREE) {
		in.nr = 0;
		in.length = nblk * BLK;
		memcpy(in.tag, e.tag, CXLDCD_TAG_SIZE);
	}
	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_initiate_add_in(&w, &in, policy == CXLDCD_ADD_FREE ? NULL : &e))
		die("cannot encode 5604h");
	return fm_call(dv, CXLDCD_OP_FM_INITIATE_DC_ADD, buf, w.off);
}

static uint16_t fm_release(int dv, uint16_t h, const struct cxldcd_extent *e, bool by_tag,
			   bool forced)
{
	struct cci_initiate_release_in in = { .host = h, .forced = forced,
					      .policy = by_tag ? CXLDCD_RELEASE_TAG_BASED :
								 CXLDCD_RELEASE_PRESCRIPTIVE,
					      .nr = by_tag ? 0 : 1 };
	uint8_t buf[256];
	struct wwr w;

	if (by_tag)
		memcpy(in.tag, e->tag, CXLDCD_TAG_SIZE);
	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_initiate_release_in(&w, &in, by_tag ? NULL : e))
		die("cannot encode 5605h");
	return fm_call(dv, CXLDCD_OP_FM_INITIATE_DC_RELEASE, buf, w.off);
}

/* Empty the FM's DC event log of device dv (records nobody else reads). */
static void fm_drain(int dv)
{
	static struct cxldcd_event ev[FM_MBOX_BYTES / CXLDCD_EVENT_RECORD_SIZE];
	uint8_t log = CXLDCD_LOG_DC;

	for (int i = 0; i < 64; i++) {
		struct cci_get_events_out o;
		struct cci_clear_events_in in = { .log = CXLDCD_LOG_DC };
		uint8_t buf[CCI_CLEAR_EVENTS_HDR + 2 * 255];
		struct wwr w;

		if (fm_call(dv, CXLDCD_OP_GET_EVENT_RECORDS, &log, 1))
			return;
		if (cci_dec_get_events_out(fm[dv].out, fm[dv].out_len, &o, ev, sizeof(ev) / sizeof(ev[0])))
			die("malformed get event records output");
		if (!o.nr_records)
			return;
		for (uint16_t k = 0; k < o.nr_records; k++)
			in.handles[in.nr_handles++] = ev[k].handle;
		wwr_init(&w, buf, sizeof(buf));
		cci_enc_clear_events_in(&w, &in);
		fm_call(dv, CXLDCD_OP_CLEAR_EVENT_RECORDS, buf, w.off);
	}
}

/* ------------------------------------------------------------ operations */

enum op {
	OP_FM_ADD, OP_FM_ADD_FREE, OP_FM_REL, OP_FM_FORCED, OP_QMP_ADD, OP_QMP_SHARE, OP_QMP_REL,
	OP_QMP_QUERY, OP_APP, OP_HOST_REL, OP_RECONNECT, OP_OBJECT, OP_QMP_CLIENT, OP_RESTART,
	NR_OPS
};

static const char *const op_name[NR_OPS] = {
	"fm-add", "fm-add-free", "fm-release", "fm-forced", "qmp-add", "qmp-share", "qmp-release",
	"qmp-query", "app-open-io", "host-release", "reconnect", "object-add-del", "qmp-client",
	"restart",
};

/* Weights of the random mix (restart is by time). */
static const uint32_t op_weight[NR_OPS] = { 14, 6, 10, 3, 8, 6, 6, 8, 20, 5, 1, 3, 3, 0 };

struct lat {
	uint64_t n, refused;
	double sum, max;
};

static struct lat lat_min[MAX_MIN][NR_OPS], lat_all[NR_OPS];
static uint32_t minute;

static void lat_add(enum op o, double t, bool refused)
{
	struct lat *ls[2] = { &lat_min[minute < MAX_MIN ? minute : MAX_MIN - 1][o], &lat_all[o] };

	for (int i = 0; i < 2; i++) {
		ls[i]->n++;
		ls[i]->refused += refused;
		ls[i]->sum += t;
		if (t > ls[i]->max)
			ls[i]->max = t;
	}
}

/* Live sharable tags of d1 (for enable-shared, releases). */
#define MAX_SH 64
static uint64_t sh_tag[MAX_SH];
static uint32_t nr_sh;

static bool op_fm_add(bool free_policy)
{
	uint16_t h = (uint16_t)rnd(d.nr_hosts);
	uint64_t tagn = rnd(2) ? next_tag++ : 0;
	uint32_t nblk = 1 + rnd(3);

	if (free_policy)
		return fm_add(0, h, CXLDCD_ADD_FREE, 0, nblk, tagn) == 0;
	return fm_add(0, h, CXLDCD_ADD_PRESCRIPTIVE, rnd(D0_BLOCKS - nblk), nblk, tagn) == 0;
}

static struct cxldcd_extent lst[4096];

static bool op_fm_release(int dv, bool forced)
{
	uint16_t h = (uint16_t)rnd(d.nr_hosts);
	uint32_t n = fm_list(dv, h, lst, 4096);
	const struct cxldcd_extent *e;
	bool tagged;

	if (!n)
		return false;
	e = &lst[rnd(n)];
	tagged = tag_num(e->tag) != 0;
	return fm_release(dv, h, e, dv == 1 || (tagged && rnd(2)), forced) == 0;
}

static bool op_qmp_add(void)
{
	char cmd[512], t[37];
	uint16_t h = (uint16_t)rnd(d.nr_hosts);
	uint32_t nblk = 1 + rnd(2);
	uint64_t tagn = next_tag++;
	int r;

	tag_str(t, tagn);
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d1\","
		 "\"host-id\":%u,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"%s\","
		 "\"extents\":[{\"offset\":%llu,\"len\":%llu}]}}\n", h, t,
		 (unsigned long long)rnd(D1_BLOCKS - nblk) * BLK, (unsigned long long)nblk * BLK);
	r = qmp_call_on(qmp, cmd);
	if (!r) {
		if (nr_sh == MAX_SH)
			memmove(sh_tag, sh_tag + 1, --nr_sh * sizeof(sh_tag[0]));
		sh_tag[nr_sh++] = tagn;
	}
	return !r;
}

static bool op_qmp_share(void)
{
	char cmd[512], t[37];

	if (!nr_sh)
		return false;
	tag_str(t, sh_tag[rnd(nr_sh)]);
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d1\","
		 "\"host-id\":%u,\"selection-policy\":\"enable-shared-access\",\"region\":0,"
		 "\"tag\":\"%s\"}}\n", rnd(d.nr_hosts), t);
	return !qmp_call_on(qmp, cmd);
}

static bool op_qmp_release(void)
{
	char cmd[512], t[37];
	bool dev0 = rnd(2);
	uint16_t h = (uint16_t)rnd(d.nr_hosts);
	int r;

	if (dev0) {
		/* a prescriptive release of one of host h's extents on d0 */
		uint32_t n = fm_list(0, h, lst, 4096);
		const struct cxldcd_extent *e;

		if (!n)
			return false;
		e = &lst[rnd(n)];
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			 "\"host-id\":%u,\"removal-policy\":\"prescriptive\",\"region\":0,"
			 "\"extents\":[{\"offset\":%llu,\"len\":%llu}]}}\n", h,
			 (unsigned long long)(e->dpa - base[0]), (unsigned long long)e->len);
		return !qmp_call_on(qmp, cmd);
	}
	if (!nr_sh)
		return false;
	tag_str(t, sh_tag[rnd(nr_sh)]);
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d1\","
		 "\"host-id\":%u,\"removal-policy\":\"tag-based\",\"region\":0,\"tag\":\"%s\"}}\n", h, t);
	r = qmp_call_on(qmp, cmd);
	return !r;
}

static bool op_qmp_query(void)
{
	char cmd[256], t[37];

	switch (rnd(3)) {
	case 0:
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d%u\","
			 "\"host-id\":%u,\"start-index\":%u,\"max-count\":16}}\n", rnd(2),
			 rnd(d.nr_hosts), rnd(8));
		break;
	case 1:
		tag_str(t, nr_sh ? sh_tag[rnd(nr_sh)] : 1);
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":"
			 "\"d1\",\"host-id\":%u,\"region\":0,\"tag\":\"%s\"}}\n", rnd(d.nr_hosts), t);
		break;
	default:
		snprintf(cmd, sizeof(cmd), "{\"execute\":\"query-cxl-devices\"}\n");
	}
	return !qmp_call_on(qmp, cmd);
}

static struct cxldcd_host_group_info grp[1024];

/* An application of a random agent: close what is due, open one group, verify/write, maybe keep it. */
static bool op_app(void)
{
	int hi = (int)rnd(d.nr_hosts), dv = (int)rnd(NDEV);
	struct agent *a = &ag[hi][dv];
	uint32_t n;
	void *addr;
	uint64_t size;
	const struct cxldcd_host_group_info *g;

	for (uint32_t i = 0; i < a->nr_open;) {
		if (bench_now_s() >= a->open[i].until) {
			cxldcd_host_group_close(a->h, a->open[i].id);
			a->open[i] = a->open[--a->nr_open];
		} else {
			i++;
		}
	}
	n = cxldcd_host_list_groups(a->h, grp, 1024);
	if (!n)
		return false;
	g = &grp[rnd(n < 1024 ? n : 1024)];
	if (g->release_pending || g->revoked)
		return false;
	if (cxldcd_host_group_open(a->h, NULL, g->id, &addr, &size))
		return false;
	if (!still_whole(a->h, g->id)) {
		cxldcd_host_group_close(a->h, g->id);
		return false;
	}
	touch(hi, dv, g, addr, size);
	if (a->nr_open < MAX_OPEN && rnd(4) == 0) {
		a->open[a->nr_open].id = g->id;
		a->open[a->nr_open++].until = bench_now_s() + 0.5 + rnd(3000) / 1000.0;
	} else {
		cxldcd_host_group_close(a->h, g->id);
	}
	return true;
}

static bool op_host_release(void)
{
	int hi = (int)rnd(d.nr_hosts), dv = (int)rnd(NDEV);
	uint32_t n = cxldcd_host_list_groups(ag[hi][dv].h, grp, 1024);
	const struct cxldcd_host_group_info *g;

	if (!n)
		return false;
	g = &grp[rnd(n < 1024 ? n : 1024)];
	return cxldcd_host_group_release(ag[hi][dv].h, NULL, g->id) == 0;
}

static bool op_reconnect(void)
{
	int hi = (int)rnd(d.nr_hosts);

	for (int dv = 0; dv < NDEV; dv++) {
		agent_down(hi, dv);
		agent_up(hi, dv);
	}
	return true;
}

static uint64_t obj_seq;

static bool op_object(void)
{
	char cmd[256];
	uint64_t n = obj_seq++;
	int r;

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-%s\","
		 "\"id\":\"sb%llu\",\"size\":%llu}}\n", rnd(2) ? "ram" : "memfd",
		 (unsigned long long)n, (unsigned long long)BLK * (1 + rnd(4)));
	r = qmp_call_on(qmp, cmd);
	snprintf(cmd, sizeof(cmd), "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"sb%llu\"}}\n",
		 (unsigned long long)n);
	return !r && !qmp_call_on(qmp, cmd);
}

static bool op_qmp_client(void)
{
	int fd = qmp_open();
	bool ok = !qmp_call_on(fd, "{\"execute\":\"query-cxl-devices\"}\n");

	if (rnd(2))
		qmp_send(fd, "{\"execute\":\"query-status\"}\n"); /* left unread: a client that leaves mid-answer */
	close(fd);
	return ok;
}

/*
 * The device's state as query-cxl-dynamic-capacity tells it, without what
 * a restart changes by design (whether a host is connected, the time an
 * offer was made, the age of a pending group); caller frees.
 */
static char *model_text(int dv)
{
	static const char *const drop[] = { "\"connected\": ", "\"offered-ns\": ", NULL };
	char cmd[160], *t, *o;

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":"
		 "{\"path\":\"d%d\"}}\n", dv);
	if (qmp_call_on(qmp, cmd))
		die("query-cxl-dynamic-capacity d%d refused", dv);
	t = strdup(qbuf);
	if (!t)
		die("out of memory");
	for (int i = 0; drop[i]; i++)
		for (char *p = t; (p = strstr(p, drop[i]));) {
			char *v = p + strlen(drop[i]);

			while (*v && *v != ',' && *v != '}')
				v++;
			memmove(p, v, strlen(v) + 1);
		}
	/* and each host's DC event log (the first page of it): Get Event Records on its mailbox */
	for (uint32_t h = 0; h < d.nr_hosts; h++) {
		size_t n = strlen(t);

		snprintf(cmd, sizeof(cmd), "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":"
			 "\"d%d\",\"cci\":\"mailbox\",\"host-id\":%u,\"opcode\":256,\"payload\":\"04\"}}\n",
			 dv, h);
		if (qmp_call_on(qmp, cmd))
			die("cxl-cci-request d%d refused", dv);
		o = realloc(t, n + strlen(qbuf) + 32);
		if (!o)
			die("out of memory");
		t = o;
		snprintf(t + n, strlen(qbuf) + 32, "\nhost %u log: %s", h, qbuf);
	}
	return t;
}

static uint32_t restart_diffs;
static bool settle_first;  /* -g: the hosts answer everything before a restart */

/* Restart; the device model after it must be the one before it (journal and snapshot). */
static void restart(void)
{
	char *before[NDEV], *after;

	/* the hosts go first, wherever they are (-g: once idle): the model is then still until the stop */
	if (settle_first)
		settle();
	disconnect_agents();
	usleep(20000);
	for (int dv = 0; dv < NDEV; dv++)
		before[dv] = model_text(dv);
	if (!getenv("SOAK_NOTERM")) {
		disconnect_clients();
		daemon_term();
		daemon_exec();
		connect_clients();
	}
	for (int dv = 0; dv < NDEV; dv++) {
		after = model_text(dv);
		if (strcmp(before[dv], after)) {
			size_t i = 0;

			while (before[dv][i] == after[i])
				i++;
			restart_diffs++;
			fprintf(stderr, "bench-soak: d%d differs after restart %u at byte %zu:\n  before: "
				"...%.300s\n  after:  ...%.300s\n", dv, d.starts - 1, i,
				before[dv] + (i > 200 ? i - 200 : 0), after + (i > 200 ? i - 200 : 0));
		}
		free(after);
		free(before[dv]);
	}
	connect_agents();
}

static bool run_op(enum op o)
{
	switch (o) {
	case OP_FM_ADD: return op_fm_add(false);
	case OP_FM_ADD_FREE: return op_fm_add(true);
	case OP_FM_REL: return op_fm_release(0, rnd(8) == 0);
	case OP_FM_FORCED: return op_fm_release(1, true);
	case OP_QMP_ADD: return op_qmp_add();
	case OP_QMP_SHARE: return op_qmp_share();
	case OP_QMP_REL: return op_qmp_release();
	case OP_QMP_QUERY: return op_qmp_query();
	case OP_APP: return op_app();
	case OP_HOST_REL: return op_host_release();
	case OP_RECONNECT: return op_reconnect();
	case OP_OBJECT: return op_object();
	case OP_QMP_CLIENT: return op_qmp_client();
	default: restart(); return true;
	}
}

static enum op pick(void)
{
	uint32_t total = 0, r;

	for (int o = 0; o < NR_OPS; o++)
		total += op_weight[o];
	r = rnd(total);
	for (int o = 0; o < NR_OPS; o++) {
		if (r < op_weight[o])
			return (enum op)o;
		r -= op_weight[o];
	}
	return OP_APP;
}

/* ------------------------------------------------------------ samples and checks */

/*
 * Whether the daemon is an ASan build: its executable names __asan_init
 * (gcc's -fsanitize=address imports it from libasan.so; checked with gcc).  Its
 * VmRSS is then mostly ASan's shadow and quarantine, which grow with every
 * allocation freed, so the RSS check says nothing about a leak
 * (LeakSanitizer at each stop does).  The file, not /proc/PID/maps: the
 * daemon is not dumpable, so only root may read its maps.
 */
static bool daemon_sanitized(void)
{
	static const char needle[] = "__asan_init";
	const char *bin = getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH;
	char buf[65536 + sizeof(needle)];
	size_t keep = 0;
	bool found = false;
	ssize_t k;
	int fd = open(bin, O_RDONLY);

	if (fd < 0)
		return false;
	while (!found && (k = read(fd, buf + keep, sizeof(buf) - keep)) > 0) {
		size_t len = keep + (size_t)k;

		found = memmem(buf, len, needle, sizeof(needle) - 1) != NULL;
		keep = len < sizeof(needle) ? len : sizeof(needle) - 1;
		memmove(buf, buf + len - keep, keep);
	}
	close(fd);
	return found;
}

struct sample {
	double t;
	long rss_kib;
	int fds;
	uint64_t state;
	uint64_t ops;
};

static struct sample smp[MAX_MIN];
static uint32_t nr_smp;
static uint64_t ops_total, state_max;

static void sample(double t0)
{
	struct sample *s = &smp[nr_smp < MAX_MIN ? nr_smp++ : MAX_MIN - 1];

	s->t = bench_now_s() - t0;
	s->rss_kib = bench_rss_kib(d.pid);
	s->fds = count_fds();
	s->state = state_bytes();
	s->ops = ops_total;
	if (s->state > state_max)
		state_max = s->state;
}

static void print_table(void)
{
	printf("\n| s | daemon VmRSS KiB | fds | state KiB | ops | fm-add ms | fm-release ms | "
	       "qmp-add ms | app-open-io ms | restart ms |\n|---|---|---|---|---|---|---|---|---|---|\n");
	for (uint32_t i = 0; i < nr_smp; i++) {
		const struct lat *l = lat_min[i < MAX_MIN ? i : MAX_MIN - 1];
		static const enum op cols[] = { OP_FM_ADD, OP_FM_REL, OP_QMP_ADD, OP_APP, OP_RESTART };

		printf("| %.0f | %ld | %d | %llu | %llu |", smp[i].t, smp[i].rss_kib, smp[i].fds,
		       (unsigned long long)smp[i].state / 1024,
		       (unsigned long long)(smp[i].ops - (i ? smp[i - 1].ops : 0)));
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			const struct lat *x = &l[cols[c]];

			if (x->n)
				printf(" %.2f / %.1f |", x->sum / x->n * 1e3, x->max * 1e3);
			else
				printf(" - |");
		}
		printf("\n");
	}
	printf("\n(latency: mean / max per minute)\n\n| operation | count | refused | mean ms | max ms |\n"
	       "|---|---|---|---|---|\n");
	for (int o = 0; o < NR_OPS; o++)
		if (lat_all[o].n)
			printf("| %s | %llu | %llu | %.2f | %.1f |\n", op_name[o],
			       (unsigned long long)lat_all[o].n, (unsigned long long)lat_all[o].refused,
			       lat_all[o].sum / lat_all[o].n * 1e3, lat_all[o].max * 1e3);
}

static uint32_t failures;

static __attribute__((format(printf, 2, 3))) void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAILED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures += !ok;
}

/* -v, after a disagreement: the FM's extents (lst) and the agent's groups (grp) side by side. */
static void list_holders(uint32_t n, uint32_t ng)
{
	for (uint32_t i = 0; i < n; i++)
		fprintf(stderr, "bench-soak:   FM extent dpa=0x%llx len=0x%llx tag=%llu\n",
			(unsigned long long)lst[i].dpa, (unsigned long long)lst[i].len,
			(unsigned long long)tag_num(lst[i].tag));
	for (uint32_t j = 0; j < ng && j < 1024; j++)
		fprintf(stderr, "bench-soak:   agent group id=%llu tag=%llu size=0x%llx extents=%u "
			"revoked=%d release_pending=%d open=%u\n", (unsigned long long)grp[j].id,
			(unsigned long long)tag_num(grp[j].tag), (unsigned long long)grp[j].size,
			grp[j].nr_extents, grp[j].revoked, grp[j].release_pending, grp[j].open_count);
}

/*
 * (a) Per host and device: the FM's extents and the agent's groups agree
 * (total bytes, number of extents, and each tag the FM lists is one of the
 * agent's groups).
 */
static void check_holders(void)
{
	uint32_t bad = 0, extents = 0;

	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++) {
			uint32_t n = fm_list(dv, (uint16_t)h, lst, 4096);
			uint32_t ng = cxldcd_host_list_groups(ag[h][dv].h, grp, 1024);
			uint64_t fm_bytes = 0, host_bytes = 0;
			uint32_t host_extents = 0;

			extents += n;
			for (uint32_t i = 0; i < ng && i < 1024; i++) {
				host_bytes += grp[i].size;
				host_extents += grp[i].nr_extents;
			}
			for (uint32_t i = 0; i < n; i++) {
				bool found = !tag_num(lst[i].tag);

				fm_bytes += lst[i].len;
				for (uint32_t j = 0; j < ng && j < 1024 && !found; j++)
					found = grp[j].tagged && !memcmp(grp[j].tag, lst[i].tag, CXLDCD_TAG_SIZE);
				if (!found) {
					bad++;
					fprintf(stderr, "bench-soak: host=%u dev=%d: FM lists tag %llu, "
						"the agent has no such group\n", h, dv,
						(unsigned long long)tag_num(lst[i].tag));
				}
			}
			if (fm_bytes != host_bytes || n != host_extents) {
				bad++;
				fprintf(stderr, "bench-soak: host=%u dev=%d: FM lists %llu bytes in %u "
					"extents, the agent holds %llu in %u extents of %u groups\n", h,
					dv, (unsigned long long)fm_bytes, n, (unsigned long long)host_bytes,
					host_extents, ng);
				if (verbose)
					list_holders(n, ng);
			}
		}
	check(!bad, "every resident extent the FM lists is held by the agent of its host "
	      "(%u extents, %u disagreements)", extents, bad);
}

/* (b) Every group's pattern verifies (or is written for the first time). */
static void check_patterns(void)
{
	uint64_t before = pattern_errors, verified = patterns_verified;

	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++) {
			uint32_t ng = cxldcd_host_list_groups(ag[h][dv].h, grp, 1024);

			for (uint32_t i = 0; i < ng && i < 1024; i++) {
				void *addr;
				uint64_t size;

				if (grp[i].revoked ||
				    cxldcd_host_group_open(ag[h][dv].h, NULL, grp[i].id, &addr, &size))
					continue;
				if (still_whole(ag[h][dv].h, grp[i].id))
					touch((int)h, dv, &grp[i], addr, size);
				cxldcd_host_group_close(ag[h][dv].h, grp[i].id);
			}
		}
	check(pattern_errors == before && !pattern_errors,
	      "data patterns verify (%llu written, %llu verified during the run, %llu at the end, "
	      "%llu mismatches)", (unsigned long long)patterns_written,
	      (unsigned long long)verified, (unsigned long long)(patterns_verified - verified),
	      (unsigned long long)pattern_errors);
}

/* Pending groups on device dv (query-cxl-dynamic-capacity); -v: the answer on stderr. */
static uint32_t pending_groups(int dv)
{
	char cmd[160];
	uint32_t n = 0;

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":"
		 "{\"path\":\"d%d\"}}\n", dv);
	if (qmp_call_on(qmp, cmd))
		die("query-cxl-dynamic-capacity d%d refused", dv);
	for (const char *p = qbuf; (p = strstr(p, "\"group\":")); p++)
		n++;
	if (verbose && n) {
		fprintf(stderr, "bench-soak: d%d: %s\n", dv, qbuf);
		for (uint32_t h = 0; h < d.nr_hosts; h++) {
			struct cxldcd_host_stats st;

			cxldcd_host_get_stats(ag[h][dv].h, &st);
			fprintf(stderr, "bench-soak: agent host=%u dev=%d state=%d idle=%d msgs=%llu cmds=%llu "
				"irqs=%llu added=%llu rejected=%llu released=%llu deverr=%llu failures=%llu\n",
				h, dv, cxldcd_host_get_state(ag[h][dv].h), cxldcd_host_idle(ag[h][dv].h),
				(unsigned long long)st.msgs_in, (unsigned long long)st.cmds_sent,
				(unsigned long long)st.irqs, (unsigned long long)st.groups_added,
				(unsigned long long)st.groups_rejected, (unsigned long long)st.groups_released,
				(unsigned long long)st.device_errors, (unsigned long long)st.cmd_failures);
		}
	}
	return n;
}

/* Release everything: forced, per host and device, tag-based for tagged extents. */
static void release_all(void)
{
	for (int round = 0; round < 4; round++) {
		for (uint32_t h = 0; h < d.nr_hosts; h++)
			for (int dv = 0; dv < NDEV; dv++) {
				struct agent *a = &ag[h][dv];

				while (a->nr_open)
					cxldcd_host_group_close(a->h, a->open[--a->nr_open].id);
				for (uint32_t n = fm_list(dv, (uint16_t)h, lst, 4096); n; n--)
					fm_release(dv, (uint16_t)h, &lst[n - 1], tag_num(lst[n - 1].tag) != 0,
						   true);
			}
		settle();
	}
	for (int dv = 0; dv < NDEV; dv++)
		fm_drain(dv);
}

static uint32_t arg_u32(const char *s, uint32_t min, uint32_t max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v < min || v > max) {
		fprintf(stderr, "usage: bench-soak [-t seconds] [-H hosts 1..8] [-s seed] [-r restart_s] "
			"[-d dir] [-R rss_pct] [-S state_mib] [-g] [-v]\n");
		exit(2);
	}
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	uint32_t secs = 60, seed = 1, restart_s = 90, rss_pct = 25, state_mib = 64;
	const char *root = "/dev/shm";
	double t0, next_sample, next_restart, until;
	long rss0, rss1;
	int fds0, fds1, opt;

	d.nr_hosts = 6;
	while ((opt = getopt(argc, argv, "t:H:s:r:d:R:S:gv")) != -1) {
		switch (opt) {
		case 't': secs = arg_u32(optarg, 1, 86400); break;
		case 'H': d.nr_hosts = arg_u32(optarg, 1, MAXH); break;
		case 's': seed = arg_u32(optarg, 0, UINT32_MAX); break;
		case 'r': restart_s = arg_u32(optarg, 0, 86400); break;
		case 'd': root = optarg; break;
		case 'R': rss_pct = arg_u32(optarg, 0, 1000); break;
		case 'S': state_mib = arg_u32(optarg, 1, 1u << 20); break;
		case 'g': settle_first = true; break;
		case 'v': verbose = true; break;
		default: arg_u32("x", 1, 0);
		}
	}
	rng_state = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 17 | seed);
	if (access(root, W_OK))
		root = "/tmp";
	snprintf(d.dir, sizeof(d.dir), "%.40s/cxldcd-soak-XXXXXX", root);
	if (!mkdtemp(d.dir))
		die("mkdtemp: %s", strerror(errno));
	for (int i = 0; i < NDEV; i++) {
		snprintf(d.fm[i], sizeof(d.fm[i]), "%s/fm%d.sock", d.dir, i);
		snprintf(d.host[i], sizeof(d.host[i]), "%s/h%d.sock", d.dir, i);
		snprintf(d.mem[i], sizeof(d.mem[i]), "%s/mem%d", d.dir, i);
	}
	snprintf(d.qmp, sizeof(d.qmp), "%s/qmp.sock", d.dir);
	snprintf(d.log, sizeof(d.log), "%s/stderr.log", d.dir);
	snprintf(d.state, sizeof(d.state), "%s/state", d.dir);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	{
		struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };

		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
	}

	printf("bench-soak: cxldcd %s, --state in %s; d0: 512 MiB not sharable, d1: 256 MiB "
	       "sharable, 2 MiB blocks, file backends; %u hosts x 2 agents (accept all, mapped); "
	       "%u s, seed %u, restart every %u s%s\n", getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH,
	       d.dir, d.nr_hosts, secs, seed, restart_s, settle_first ? " once the hosts are idle" : "");
	fflush(stdout);
	daemon_exec();
	connect_all();
	rss0 = bench_rss_kib(d.pid);
	fds0 = count_fds();
	t0 = bench_now_s();
	next_sample = t0 + 60;
	next_restart = restart_s ? t0 + restart_s : 1e300;
	until = t0 + secs;
	sample(t0);
	while (bench_now_s() < until) {
		enum op o = bench_now_s() >= next_restart ? OP_RESTART : pick();
		double s = bench_now_s();
		bool ok = run_op(o);

		lat_add(o, bench_now_s() - s, !ok);
		ops_total++;
		if (o == OP_RESTART) {
			next_restart = bench_now_s() + restart_s;
			rss0 = bench_rss_kib(d.pid);
		}
		pump_hosts(0);
		if (ops_total % 256 == 0) {
			fm_drain(0);
			fm_drain(1);
		}
		if (bench_now_s() >= next_sample) {
			minute++;
			sample(t0);
			next_sample += 60;
			if (verbose)
				fprintf(stderr, "bench-soak: minute %u: rss %ld KiB fds %d state %llu KiB\n",
					minute, smp[nr_smp - 1].rss_kib, smp[nr_smp - 1].fds,
					(unsigned long long)smp[nr_smp - 1].state / 1024);
		}
	}
	/* load over: let every host answer, then the invariants */
	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			while (ag[h][dv].nr_open)
				cxldcd_host_group_close(ag[h][dv].h, ag[h][dv].open[--ag[h][dv].nr_open].id);
	settle();
	minute++;
	sample(t0);
	print_table();
	printf("\nafter %.0f s, %llu operations, %u daemon starts:\n", bench_now_s() - t0,
	       (unsigned long long)ops_total, d.starts);
	check_holders();
	check_patterns();
	{
		uint32_t pend = pending_groups(0) + pending_groups(1);

		check(!pend, "no offer left pending once the hosts are idle (%u pending groups)", pend);
	}
	release_all();
	{
		uint32_t left = 0;

		for (uint32_t h = 0; h < d.nr_hosts; h++)
			for (int dv = 0; dv < NDEV; dv++)
				left += fm_list(dv, (uint16_t)h, lst, 4096) +
					cxldcd_host_list_groups(ag[h][dv].h, grp, 0);
		uint32_t pend = pending_groups(0) + pending_groups(1);

		check(!left && !pend, "everything released (%u extents or groups left, %u pending groups)",
		      left, pend);
	}
	usleep(500000);
	rss1 = bench_rss_kib(d.pid);
	fds1 = count_fds();
	check(fds1 == fds0, "daemon fds back to the baseline (%d; %d after the first start, same connections, nothing allocated)", fds1, fds0);
	/* the allocator and SQLite's page cache warm up once: 4 MiB on top of the percentage */
	if (daemon_sanitized())
		printf("skipped: daemon VmRSS (%ld KiB; %ld KiB right after its start): a sanitizer "
		       "build, its RSS is ASan's shadow and quarantine\n", rss1, rss0);
	else
		check(rss1 <= rss0 + rss0 * (long)rss_pct / 100 + 4096,
		      "daemon VmRSS back within %u%% + 4 MiB of the baseline (%ld KiB; %ld KiB right "
		      "after its start)", rss_pct, rss1, rss0);
	check(state_max <= (uint64_t)state_mib << 20,
	      "state dir stayed under %u MiB (at most %llu KiB; %llu KiB now)", state_mib,
	      (unsigned long long)state_max / 1024, (unsigned long long)state_bytes() / 1024);
	check(!restart_diffs, "each restart restored the device model it stopped with (%u "
	      "differences)", restart_diffs);
	printf("host agents: %llu refused commands, device errors or rejected groups (-v lists "
	       "them)\n", (unsigned long long)agent_errors);
	check(!host_failures, "no host link failed (%llu)", (unsigned long long)host_failures);
	disconnect_all();
	daemon_term();
	check(!d.bad_exits, "every daemon stop was clean (%u of %u not)", d.bad_exits, d.starts);
	check(!d.san_reports, "no sanitizer reports in the daemon's stderr (%u)", d.san_reports);
	keep_dir = failures && verbose;
	if (keep_dir)
		fprintf(stderr, "bench-soak: directory kept: %s\n", d.dir);
	return failures ? 1 : 0;
}
