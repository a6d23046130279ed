/* SPDX-License-Identifier: MIT */
/*
 * bench-e2e.c - end-to-end Dynamic Capacity throughput and release latency
 * against the real daemon, over Unix sockets.
 *
 * A real `cxldcd` is started (fork/exec, private temp directory, --fm and
 * --host-socket Unix sockets, one 2 MiB-block DC region on a sparse memfd).
 * In this process, in one thread:
 *  - the fabric manager: raw CCI messages on the FM socket (5604h
 *    prescriptive adds, 5605h tag-based releases, 5603h for a final check);
 *  - the host: libcxldcd-host, accept-all, driven with its non-blocking API
 *    (poll() over the FM socket and cxldcd_host_get_fd(), then
 *    cxldcd_host_process()).
 *
 * Add: one chain = one 5604h of N adjacent 2 MiB extents, all with one tag
 * of their own (the host makes one tag group per chain), sequence 0.  A
 * chain is *committed* when the 5604h response (Success) has been read and
 * the host library has reported GROUP_ADDED, i.e. the device answered the
 * host's Add DC Response (4802h) with Success.  One chain in flight at a
 * time (closed loop).  Each (N, repetition) gets a fresh daemon and host, so
 * every measurement starts from 0 resident extents; repetitions are
 * interleaved over N.
 *
 * Release: one daemon; resident extents populated with chains of 100; one
 * extra tag of 4 extents is added; timed = 5605h tag-based (whole tag) ->
 * the host's Release DC (4803h) -> Success (GROUP_RELEASED) and the 5605h
 * response read.  The tag is added again (untimed) before each repetition.
 * Measured at `small` resident extents, then populated further and measured
 * at `big` resident extents.  The host runs without direct mapping here, so
 * the figure is the protocol and bookkeeping cost alone (mapped release at
 * 100,000 resident extents is in docs/performance.md).
 *
 * Also reported: chain latency (p50/p99), CPU time per extent (or per
 * release) of this process (host library + FM client: CLOCK_PROCESS_CPUTIME_ID)
 * and of the daemon (/proc/PID/schedstat), the process's mappings (VMAs),
 * the add rate while populating, and add rates at `big` resident extents.
 *
 * Usage: bench-e2e [-r reps] [-e extents] [-R release_reps] [-s small]
 *                  [-b big] [-m map|nomap|both] [-v]
 * defaults: -r 15 -e 2000 -R 15 -s 1000 -b 100000 -m both (-R 0: no release part).
 * The daemon is $CXLDCD, else the one this build made (CXLDCD_PATH).
 * Exits 0 after printing the table; the daemon and its directory are
 * removed on every exit path (signals included; the daemon also dies with
 * this process: PR_SET_PDEATHSIG).
 */
#include <errno.h>
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
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cci/codec.h"
#include "cci/dcd.h"
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

#define BLK (2ull << 20)              /* DC block = extent size (Linux: 2 MiB alignment) */
#define MBOX "4K"                     /* smallest mailbox carrying a 100-extent 5604h */
#define MBOX_BYTES 4096u
#define MAX_CHAIN 100u
#define WAIT_MS 20000                 /* any single wait; beyond it the run fails */
_Static_assert(MBOX_BYTES == FM_MBOX_BYTES, "the FM client's buffers hold one mailbox");

/* ------------------------------------------------------------ small helpers */

/* CPU time of this process (the host library and the FM client), s. */
static double self_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of a process from /proc/PID/schedstat (ns resolution), s; 0 if unknown. */
static double pid_cpu_s(pid_t pid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return (double)ns * 1e-9;
}

static double pct(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return sorted[i < n ? i : n - 1];
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

/* ------------------------------------------------------------ the daemon */

struct daemon {
	pid_t pid;
	char dir[64];
	char fm[128], host[128], qmp[128], log[128];
};

/* The live daemon, for the exit paths (atexit, signals). */
static struct daemon *live_daemon;
static bool verbose;                  /* -v: one line per run on stderr */

static void daemon_cleanup(struct daemon *d)
{
	/* async-signal-safe: only system calls */
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
	if (d->dir[0]) {
		unlink(d->fm);
		unlink(d->host);
		unlink(d->qmp);
		unlink(d->log);
		rmdir(d->dir);
		d->dir[0] = 0;
	}
}

static void on_exit_cleanup(void)
{
	if (live_daemon)
		daemon_cleanup(live_daemon);
}

static void on_signal(int sig)
{
	if (live_daemon)
		daemon_cleanup(live_daemon);
	signal(sig, SIG_DFL);
	raise(sig);
}

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-e2e: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (live_daemon)
		bench_log_tail(live_daemon->log);
	exit(1); /* atexit removes the daemon */
}

/* Start cxldcd with one region of `extents` blocks (+ slack) on a memfd. */
static void daemon_start(struct daemon *d, uint64_t extents, uint32_t tags)
{
	const char *bin = getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH;
	uint64_t size = (extents + 64) * BLK;
	char obj[160], dev[320], fm[160], qmp[200];

	size = (size + (256ull << 20) - 1) & ~((256ull << 20) - 1);
	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/cxldcd-bench-XXXXXX");
	if (!mkdtemp(d->dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(d->fm, sizeof(d->fm), "%s/fm.sock", d->dir);
	snprintf(d->host, sizeof(d->host), "%s/host.sock", d->dir);
	snprintf(d->qmp, sizeof(d->qmp), "%s/qmp.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/stderr.log", d->dir);
	live_daemon = d;
	snprintf(obj, sizeof(obj), "memory-backend-memfd,id=m0,size=%llu,share=on",
		 (unsigned long long)size);
	snprintf(dev, sizeof(dev),
		 "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=1,"
		 "dc-block-size=2M,max-extents=%llu,max-tags=%u,event-log-depth=256,"
		 "mbox-payload-size=" MBOX,
		 (unsigned long long)extents + 64, tags + 16);
	snprintf(fm, sizeof(fm), "unix:%s", d->fm);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,wait=off", d->qmp);

	const char *argv[] = { bin, "-object", obj, "-device", dev, "--fm", fm,
			       "--host-socket", d->host, "-qmp", qmp, NULL };

	d->pid = bench_spawn(bin, argv, d->log);
	if (d->pid < 0)
		die("fork: %s", strerror(errno));
}

/* SIGTERM (clean exit), SIGKILL after 2 s; remove the directory. */
static void daemon_stop(struct daemon *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		for (int i = 0; i < 200; i++) {
			if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
				d->pid = 0;
				break;
			}
			usleep(10000);
		}
	}
	daemon_cleanup(d);
	live_daemon = NULL;
}

/* ------------------------------------------------------------ bench context */

struct ctx {
	struct daemon d;
	struct cxldcd_host *h;
	struct fm_client fm;
	uint64_t base;                 /* region 0 base (DPA) */
	double t_fm;                   /* when the last FM response was read */
	/* host events */
	uint64_t added, released;
	bool failed;
	uint64_t tag_seq;              /* tags handed out */
};

static void on_event(void *opaque, const struct cxldcd_host_event *ev)
{
	struct ctx *x = opaque;

	switch (ev->type) {
	case CXLDCD_HOST_EV_READY:
		break;
	case CXLDCD_HOST_EV_GROUP_ADDED:
		x->added++;
		break;
	case CXLDCD_HOST_EV_GROUP_RELEASED:
		x->released++;
		break;
	default:
		fprintf(stderr, "bench-e2e: unexpected host event %s: %s\n",
			cxldcd_host_event_name(ev->type), ev->text ? ev->text : "");
		x->failed = true;
		break;
	}
}

/* Connect to the daemon's FM socket while it starts (5 s); stop early if it exited. */
static int fm_connect(struct daemon *d)
{
	int st = 0, fd = bench_connect_unix(d->fm, &d->pid, 5.0, &st);

	if (fd == -2)
		die("cxldcd exited at start (%s %d%s)", WIFEXITED(st) ? "status" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
		    WIFEXITED(st) && WEXITSTATUS(st) == 127 ? ": cannot execute it; set CXLDCD" : "");
	if (fd < 0)
		die("cannot connect to %s", d->fm);
	return fd;
}

/* Every failed request is reported; the time of the last response is kept. */
static void on_fm_rsp(void *opaque, uint16_t opcode, uint16_t rc)
{
	struct ctx *x = opaque;

	if (rc)
		fprintf(stderr, "bench-e2e: fm 0x%04x returned %s (0x%x)\n", opcode, cxldcd_rc_str(rc), rc);
	x->t_fm = bench_now_s();
}

/* Blocking send of one CCI request (the socket stays blocking: short writes loop). */
static void fm_send(struct ctx *x, uint16_t opcode, const uint8_t *payload, size_t len)
{
	int rc = fm_client_send(&x->fm, opcode, payload, len);

	if (rc == -EMSGSIZE)
		die("fm request 0x%04x of %zu bytes does not fit", opcode, len);
	if (rc)
		die("fm send: %s", strerror(-rc));
}

/* Read what the FM socket has; consume whole responses. */
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

/* One poll over both sockets, then handle what is ready. */
static void pump(struct ctx *x, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = x->fm.fd, .events = POLLIN },
			       { .fd = cxldcd_host_get_fd(x->h), .events = POLLIN } };
	int r = poll(p, 2, timeout_ms);

	if (r < 0 && errno != EINTR)
		die("poll: %s", strerror(errno));
	if (r <= 0)
		return;
	if (p[0].revents)
		fm_read(x);
	if (p[1].revents && cxldcd_host_process(x->h) < 0)
		die("host failed: state %d", cxldcd_host_get_state(x->h));
}

/* Pump until the FM has every answer and the host counters reach the targets. */
static void wait_for(struct ctx *x, uint64_t added, uint64_t released, const char *what)
{
	double until = bench_now_s() + WAIT_MS / 1000.0;

	while (x->fm.done < x->fm.sent || x->added < added || x->released < released) {
		if (x->failed || x->fm.rc)
			die("%s failed (fm rc 0x%x)", what, x->fm.rc);
		if (bench_now_s() > until)
			die("%s: no completion within %d ms (fm %llu/%llu, added %llu/%llu, "
			    "released %llu/%llu)", what, WAIT_MS, (unsigned long long)x->fm.done,
			    (unsigned long long)x->fm.sent, (unsigned long long)x->added,
			    (unsigned long long)added, (unsigned long long)x->released,
			    (unsigned long long)released);
		pump(x, 100);
	}
	if (x->failed || x->fm.rc)
		die("%s failed (fm rc 0x%x)", what, x->fm.rc);
}

static void make_tag(uint8_t tag[CXLDCD_TAG_SIZE], uint64_t n)
{
	/* a UUID-shaped tag, never null: be0c2e2e-0000-4000-8000-<n> */
	static const uint8_t head[8] = { 0xbe, 0x0c, 0x2e, 0x2e, 0x00, 0x00, 0x40, 0x00 };

	memcpy(tag, head, 8);
	tag[8] = 0x80;
	tag[9] = 0;
	for (int i = 0; i < 6; i++)
		tag[15 - i] = (uint8_t)(n >> (8 * i));
}

/* Send 5604h: n adjacent blocks from block index `blk`, all under `tag`. */
static void fm_add(struct ctx *x, uint64_t blk, uint32_t n, const uint8_t tag[CXLDCD_TAG_SIZE])
{
	struct cxldcd_extent ext[MAX_CHAIN];
	struct cci_initiate_add_in in = { .host = 0, .policy = CXLDCD_ADD_PRESCRIPTIVE, .nr = n };
	uint8_t buf[MBOX_BYTES];
	struct wwr w;

	for (uint32_t i = 0; i < n; i++) {
		ext[i] = (struct cxldcd_extent){ .dpa = x->base + (blk + i) * BLK, .len = BLK };
		memcpy(ext[i].tag, tag, CXLDCD_TAG_SIZE);
	}
	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_initiate_add_in(&w, &in, ext))
		die("cannot encode 5604h of %u extents", n);
	fm_send(x, CXLDCD_OP_FM_INITIATE_DC_ADD, buf, w.off);
}

/* Send 5605h tag-based, whole tag (length 0). */
static void fm_release_tag(struct ctx *x, const uint8_t tag[CXLDCD_TAG_SIZE])
{
	struct cci_initiate_release_in in = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED };
	uint8_t buf[CCI_INITIATE_HDR];
	struct wwr w;

	memcpy(in.tag, tag, CXLDCD_TAG_SIZE);
	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_initiate_release_in(&w, &in, NULL))
		die("cannot encode 5605h");
	fm_send(x, CXLDCD_OP_FM_INITIATE_DC_RELEASE, buf, w.off);
}

/* 5603h: the device's count of host 0's accepted extents. */
static uint32_t fm_host_extents(struct ctx *x)
{
	struct cci_region_extents_in in = { .host = 0, .count = 0, .start = 0 };
	struct cci_region_extents_out out;
	uint8_t buf[CCI_REGION_EXTENTS_IN_SIZE];
	struct wwr w;

	wwr_init(&w, buf, sizeof(buf));
	cci_enc_region_extents_in(&w, &in);
	fm_send(x, CXLDCD_OP_FM_GET_DC_REGION_EXTENT_LISTS, buf, w.off);
	wait_for(x, x->added, x->released, "5603h");
	if (cci_dec_region_extents_out(x->fm.out, x->fm.out_len, &out, NULL, 0))
		die("malformed 5603h response (%zu bytes)", x->fm.out_len);
	return out.total;
}

static void ctx_up(struct ctx *x, uint64_t extents, uint32_t tags, bool mapping)
{
	struct cxldcd_host_cfg cfg = { .host_id = 0, .accept = CXLDCD_HOST_ACCEPT_ALL,
				       .no_mapping = !mapping, .event_fn = on_event };
	struct cxldcd_host_dev_info info;
	int rc = -1;

	memset(x, 0, sizeof(*x));
	x->fm.fd = -1;
	x->fm.on_rsp = on_fm_rsp;
	x->fm.opaque = x;
	daemon_start(&x->d, extents, tags);
	x->fm.fd = fm_connect(&x->d);  /* the FM socket exists once the daemon listens */
	cfg.socket_path = x->d.host;
	cfg.event_opaque = x;
	for (int i = 0; i < 200 && rc; i++) {
		rc = cxldcd_host_new(&cfg, &x->h);
		if (rc)
			usleep(10000);
	}
	if (rc)
		die("cxldcd_host_new: %s", strerror(-rc));
	rc = cxldcd_host_wait_ready(x->h, WAIT_MS);
	if (rc)
		die("host bring-up: %s", strerror(-rc));
	if (cxldcd_host_get_dev_info(x->h, &info) || info.nr_regions != 1 ||
	    info.regions[0].block_size != BLK || info.mbox_payload_size != MBOX_BYTES)
		die("unexpected device configuration");
	if (info.mapping != mapping)
		die("direct mapping %s but %s was asked", info.mapping ? "on" : "off",
		    mapping ? "on" : "off");
	x->base = info.regions[0].base;
}

static void ctx_down(struct ctx *x)
{
	cxldcd_host_free(x->h);
	x->h = NULL;
	if (x->fm.fd >= 0)
		close(x->fm.fd);
	x->fm.fd = -1;
	daemon_stop(&x->d);
}

/* Add `chains` chains of n extents from block `*blk`; lat (optional) gets each chain's time. */
static void add_chains(struct ctx *x, uint64_t *blk, uint32_t n, uint32_t chains, double *lat)
{
	uint8_t tag[CXLDCD_TAG_SIZE];

	for (uint32_t c = 0; c < chains; c++) {
		double t0 = lat ? bench_now_s() : 0;

		make_tag(tag, ++x->tag_seq);
		fm_add(x, *blk, n, tag);
		wait_for(x, x->added + 1, x->released, "add chain");
		*blk += n;
		if (lat)
			lat[c] = bench_now_s() - t0;
	}
}

/* ------------------------------------------------------------ add throughput */

struct add_result {
	double rate;                   /* extents/s */
	double p50, p99;               /* chain latency, s */
	double cpu_host, cpu_dev;      /* CPU per extent, s: this process, the daemon */
	uint64_t resident;             /* at the end */
	uint32_t vmas;                 /* mappings of this process at the end */
};

static uint32_t count_vmas(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	uint32_t n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static struct add_result run_add(uint32_t n, uint32_t extents, bool mapping)
{
	uint32_t chains = (extents + n - 1) / n, warm = chains / 10 ? chains / 10 : 1;
	struct add_result res;
	struct ctx *x = calloc(1, sizeof(*x));
	double *lat = calloc(chains, sizeof(*lat));
	uint64_t blk = 0;
	double t0, t1, c0, c1, d0, d1;
	uint32_t held;

	if (!x || !lat)
		die("out of memory");
	ctx_up(x, (uint64_t)(chains + warm) * n, chains + warm, mapping);
	add_chains(x, &blk, n, warm, NULL);
	d0 = pid_cpu_s(x->d.pid);
	c0 = self_cpu_s();
	t0 = bench_now_s();
	add_chains(x, &blk, n, chains, lat);
	t1 = bench_now_s();
	c1 = self_cpu_s();
	d1 = pid_cpu_s(x->d.pid);
	res.rate = (double)chains * n / (t1 - t0);
	res.cpu_host = (c1 - c0) / ((double)chains * n);
	res.cpu_dev = (d1 - d0) / ((double)chains * n);
	res.resident = blk;
	res.vmas = count_vmas();
	held = fm_host_extents(x);
	if (held != blk)
		die("device holds %u accepted extents, %llu expected", held, (unsigned long long)blk);
	ctx_down(x);
	qsort(lat, chains, sizeof(*lat), bench_cmp_dbl);
	res.p50 = pct(lat, chains, 0.5);
	res.p99 = pct(lat, chains, 0.99);
	if (verbose)
		fprintf(stderr, "run N=%u mapping=%s: %.0f extents/s, p50 %.1f µs, %.2f s\n", n,
			mapping ? "on" : "off", res.rate, res.p50 * 1e6, t1 - t0);
	free(lat);
	free(x);
	return res;
}

/* ------------------------------------------------------------ tag release */

#define REL_EXTENTS 4u

struct rel_result {
	double med, lo, hi;            /* s: 5605h sent -> GROUP_RELEASED */
	double fm_med;                 /* s: 5605h sent -> its response read (device part) */
	double cpu_host, cpu_dev;      /* median CPU per release, s: this process, the daemon */
	uint64_t resident;
};

/* One tag of REL_EXTENTS at block `rblk`: release it `reps` times (re-added in between). */
static struct rel_result run_release(struct ctx *x, uint64_t rblk, uint32_t reps)
{
	uint8_t tag[CXLDCD_TAG_SIZE];
	double *t = calloc(reps, sizeof(*t)), *tf = calloc(reps, sizeof(*tf));
	double *ch = calloc(reps, sizeof(*ch)), *cd = calloc(reps, sizeof(*cd));
	struct rel_result r;

	if (!t || !tf || !ch || !cd)
		die("out of memory");
	make_tag(tag, 0xffffffffull);  /* the same tag every time: it dies and is created again */
	for (uint32_t i = 0; i < reps; i++) {
		double t0, c0, d0;

		fm_add(x, rblk, REL_EXTENTS, tag);
		wait_for(x, x->added + 1, x->released, "add of the release tag");
		d0 = pid_cpu_s(x->d.pid);
		c0 = self_cpu_s();
		t0 = bench_now_s();
		fm_release_tag(x, tag);
		wait_for(x, x->added, x->released + 1, "tag release");
		t[i] = bench_now_s() - t0;
		ch[i] = self_cpu_s() - c0;
		cd[i] = pid_cpu_s(x->d.pid) - d0;
		tf[i] = x->t_fm - t0;
	}
	r.resident = fm_host_extents(x);
	r.med = bench_median(t, reps);
	r.lo = t[0];
	r.hi = t[reps - 1];
	r.fm_med = bench_median(tf, reps);
	r.cpu_host = bench_median(ch, reps);
	r.cpu_dev = bench_median(cd, reps);
	free(t);
	free(tf);
	free(ch);
	free(cd);
	return r;
}

/* ------------------------------------------------------------ main */

/*
 * Raise the soft fd limit to the hard one and say whether the mapped runs
 * fit.  libcxldcd-host shares one fd per backend file, so this is a safety
 * check for hosts that receive many distinct backend files.
 */
static bool fds_enough(uint64_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return false;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-e2e [-r reps] [-e extents] [-R release_reps] [-s small] "
			"[-b big] [-m map|nomap|both] [-v]\n");
	exit(2);
}

static uint32_t arg_u32(const char *s, uint32_t min)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*end || v < min || v > 10000000ul)
		usage();
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	static const uint32_t ns[] = { 1, 10, 100 };
	uint32_t reps = 15, extents = 2000, rel_reps = 15, small = 1000, big = 100000;
	bool modes[2] = { true, true }; /* [0] nomap, [1] map */
	struct add_result (*res)[3][2];
	double t_start = bench_now_s(), l0 = load1();
	int opt;

	while ((opt = getopt(argc, argv, "r:e:R:s:b:m:v")) != -1) {
		switch (opt) {
		case 'r': reps = arg_u32(optarg, 1); break;
		case 'e': extents = arg_u32(optarg, 100); break;
		case 'R': rel_reps = arg_u32(optarg, 0); break;
		case 's': small = arg_u32(optarg, 100); break;
		case 'b': big = arg_u32(optarg, 100); break;
		case 'v': verbose = true; break;
		case 'm':
			modes[0] = strcmp(optarg, "map") != 0;
			modes[1] = strcmp(optarg, "nomap") != 0;
			if (strcmp(optarg, "map") && strcmp(optarg, "nomap") && strcmp(optarg, "both"))
				usage();
			break;
		default: usage();
		}
	}
	if (optind != argc || big < small)
		usage();
	small = small / MAX_CHAIN * MAX_CHAIN;
	big = big / MAX_CHAIN * MAX_CHAIN;

	atexit(on_exit_cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGSEGV, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGFPE, on_signal);
	signal(SIGABRT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (modes[1] && !fds_enough((uint64_t)extents * 11 / 10 + 200)) {
		fprintf(stderr, "bench-e2e: the fd limit is below the %u extents of a mapped run: "
				"mapped runs skipped\n", extents);
		modes[1] = false;
	}
	res = calloc(reps, sizeof(*res));
	if (!res)
		die("out of memory");

	printf("bench-e2e: cxldcd %s; one region, 2 MiB blocks = extents, mailbox %s, "
	       "1 host (libcxldcd-host, accept all, in-process)\n",
	       getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH, MBOX);
	printf("add: %u extents per run after a 10%% warm-up, one chain in flight, one tag per "
	       "chain, %u repetitions interleaved, fresh daemon per run\n", extents, reps);
	fflush(stdout);

	for (uint32_t r = 0; r < reps; r++)
		for (int m = 0; m < 2; m++)
			for (size_t i = 0; i < 3 && modes[m]; i++)
				res[r][i][m] = run_add(ns[i], extents, m == 1);

	printf("\n| N (extents per chain) | mapping | extents/s median (range) | "
	       "chain latency p50 / p99 | CPU per extent: host / daemon | resident at end | "
	       "VMAs |\n|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < 3; i++) {
		for (int m = 0; m < 2; m++) {
			double v[64], p50[64], p99[64], ch[64], cd[64], mn = 1e300, mx = 0, med;
			size_t k = reps < 64 ? reps : 64;

			if (!modes[m])
				continue;
			for (uint32_t r = 0; r < k; r++) {
				v[r] = res[r][i][m].rate;
				ch[r] = res[r][i][m].cpu_host;
				cd[r] = res[r][i][m].cpu_dev;
				p50[r] = res[r][i][m].p50;
				p99[r] = res[r][i][m].p99;
				mn = v[r] < mn ? v[r] : mn;
				mx = v[r] > mx ? v[r] : mx;
			}
			med = bench_median(v, k);
			printf("| %u | %s | %.0f (%.0f–%.0f) | %.1f / %.1f µs | %.1f / %.1f µs | "
			       "%llu | %u |\n", ns[i], m ? "on" : "off", med, mn, mx,
			       bench_median(p50, k) * 1e6, bench_median(p99, k) * 1e6, bench_median(ch, k) * 1e6,
			       bench_median(cd, k) * 1e6, (unsigned long long)res[0][i][m].resident,
			       res[0][i][m].vmas);
		}
	}
	fflush(stdout);

	if (rel_reps) {
		struct ctx *x = calloc(1, sizeof(*x));
		uint32_t pop = (big - small) / MAX_CHAIN, tenth = pop < 10 ? pop : pop / 10;
		double *lat = calloc(pop ? pop : 1, sizeof(*lat)), big_rate[3], t_pop = 0, r_lo, r_hi;
		static const uint32_t probe[3] = { 100, 300, 500 }; /* extents per N at `big` */
		uint64_t blk = REL_EXTENTS;   /* blocks 0..3: the release tag */
		struct rel_result rs, rb;

		if (!x || !lat)
			die("out of memory");
		ctx_up(x, (uint64_t)big + REL_EXTENTS + 900, big / MAX_CHAIN + 1 + 135, false);
		add_chains(x, &blk, MAX_CHAIN, small / MAX_CHAIN, NULL);
		rs = run_release(x, 0, rel_reps);
		add_chains(x, &blk, MAX_CHAIN, pop, lat);
		for (uint32_t i = 0; i < pop; i++)
			t_pop += lat[i];
		r_lo = r_hi = 0;
		for (uint32_t i = 0; i < tenth; i++) {
			r_lo += lat[i];
			r_hi += lat[pop - 1 - i];
		}
		rb = run_release(x, 0, rel_reps);
		for (size_t i = 0; i < 3; i++) {
			double t0 = bench_now_s();

			add_chains(x, &blk, ns[i], probe[i] / ns[i], NULL);
			big_rate[i] = probe[i] / (bench_now_s() - t0);
		}
		ctx_down(x);
		free(lat);
		free(x);

		printf("\nrelease: one tag of %u extents among the resident ones, 5605h tag-based -> "
		       "host Release DC (4803h) -> Success; host without direct mapping; "
		       "%u repetitions\n\n", REL_EXTENTS, rel_reps);
		printf("| resident extents | release latency median (range) | 5605h answered "
		       "(median) | CPU per release: host / daemon (median) |\n|---|---|---|---|\n");
		printf("| %llu | %.1f µs (%.1f–%.1f) | %.1f µs | %.1f / %.1f µs |\n",
		       (unsigned long long)rs.resident, rs.med * 1e6, rs.lo * 1e6, rs.hi * 1e6,
		       rs.fm_med * 1e6, rs.cpu_host * 1e6, rs.cpu_dev * 1e6);
		printf("| %llu | %.1f µs (%.1f–%.1f) | %.1f µs | %.1f / %.1f µs |\n",
		       (unsigned long long)rb.resident, rb.med * 1e6, rb.lo * 1e6, rb.hi * 1e6,
		       rb.fm_med * 1e6, rb.cpu_host * 1e6, rb.cpu_dev * 1e6);
		printf("| ratio | %.2f | %.2f | %.2f / %.2f |\n", rb.med / rs.med,
		       rb.fm_med / rs.fm_med, rb.cpu_host / rs.cpu_host, rb.cpu_dev / rs.cpu_dev);
		if (pop)
			printf("\nadd with many resident extents (mapping off): populating %u -> %u "
			       "with chains of %u took %.2f s (%.0f extents/s); %.0f extents/s over "
			       "the first %u chains, %.0f over the last %u\n", small, big, MAX_CHAIN,
			       t_pop, (double)(big - small) / t_pop, tenth * MAX_CHAIN / r_lo, tenth,
			       tenth * MAX_CHAIN / r_hi, tenth);
		printf("at %u resident: N=1 %.0f, N=10 %.0f, N=100 %.0f extents/s (%u, %u, %u "
		       "extents)\n", big, big_rate[0], big_rate[1], big_rate[2], probe[0], probe[1],
		       probe[2]);
	}
	printf("\ntotal %.1f s; load average %.2f at start, %.2f at end\n", bench_now_s() - t_start, l0,
	       load1());
	free(res);
	return 0;
}
