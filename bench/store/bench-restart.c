/* SPDX-License-Identifier: MIT */
/*
 * bench-restart.c - restart time of cxldcd --state after N journaled
 * requests (docs/persistence.md, "Snapshots"): with the whole journal
 * replayed, and from a snapshot taken after them (plus a tail of 1,000
 * records journaled after the snapshot).
 *
 *   bench-restart [N ...]        (default: 10000 100000 1000000)
 *   bench-restart -q N           quit time only, with N accepted extents
 *   bench-restart -s N ...       replay time of N sanitizing releases
 *                                followed by N acceptances of the same places
 *                                (src/server/owed.c: what each acceptance pays)
 *   bench-restart [-k] [-u] -p N [M [R]]
 *                                restart cost per resident item and per
 *                                journal record (faces_run() below)
 *
 * Then (by default) the time of a clean quit with 100,000 accepted extents
 * of host 0 in the model: from the quit command to the daemon's exit.
 *
 * The journal is written straight into the store of a real daemon (QMP
 * cxl-cci-request Set Event Interrupt Policy records, which replay through
 * the whole QMP path); restart time is from exec to the first device
 * command answered (the sockets open before the replay and answer
 * "device is starting" meanwhile).  The daemon is $CXLDCD, else this build's.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cci/events.h"
#include "cci/fm-dcd.h"
#include "cci/dcd.h"
#include "cci/msg.h"
#include "common/wire.h"
#include "store/store.h"
#include "util.h"

#ifndef CXLDCD_PATH
#define CXLDCD_PATH "cxldcd"
#endif

static char dir[64];
static pid_t pid;
/* The daemon's -object (or NULL) and -device; start() uses them. */
static const char *object;
static char device[300] = "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench-restart: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (pid > 0)
		kill(pid, SIGKILL);
	exit(1);
}

static void start(const char *snap_every)
{
	const char *bin = getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH;
	char qmp[120], st[100], log[100];
	const char *argv[] = { bin, "-device", device,
			       "--state", st, "-qmp", qmp, "--log-level", "info", "--fm", "none",
			       "--host-socket", "none", object ? "-object" : NULL, object, NULL };

	snprintf(qmp, sizeof(qmp), "unix:%s/qmp.sock,server,wait=off", dir);
	snprintf(st, sizeof(st), "%s/state", dir);
	snprintf(log, sizeof(log), "%s/stderr.log", dir);
	setenv("CXLDCD_SNAPSHOT_EVERY", snap_every, 1);
	pid = bench_spawn(bin, argv, log);
	if (pid < 0)
		die("fork: %s", strerror(errno));
}

/* Connect and read the greeting (the daemon has replayed); the fd. */
static int greet(double limit_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double t0 = bench_now_s();
	char buf[4096];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/qmp.sock", dir);
	while (bench_now_s() - t0 < limit_s) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			if (read(fd, buf, sizeof(buf)) > 0)
				return fd;
		}
		if (fd >= 0)
			close(fd);
		usleep(500);
	}
	die("no QMP greeting within %.0f s (see %s/stderr.log)", limit_s, dir);
}

/* Negotiate, then ask until a device command is answered (the replay is over); @fd. */
static int serving(int fd)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}";
	static const char q[] = "{\"execute\":\"query-cxl-devices\"}";
	char buf[65536];

	if (write(fd, caps, sizeof(caps) - 1) < 0 || read(fd, buf, sizeof(buf)) <= 0)
		die("qmp_capabilities: no answer");
	for (;;) {
		ssize_t k;

		if (write(fd, q, sizeof(q) - 1) < 0 || (k = read(fd, buf, sizeof(buf) - 1)) <= 0)
			die("query-cxl-devices: no answer");
		buf[k] = 0;
		if (strstr(buf, "\"return\""))
			return fd;
		usleep(500);
	}
}

static void quit(int fd)
{
	static const char q[] = "{\"execute\":\"qmp_capabilities\"}{\"execute\":\"quit\"}";
	char buf[4096];

	if (write(fd, q, sizeof(q) - 1) < 0)
		die("quit: %s", strerror(errno));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	waitpid(pid, NULL, 0);
	pid = 0;
}

static void append(uint64_t n)
{
	char path[100], err[256];
	struct store *st;

	snprintf(path, sizeof(path), "%s/state", dir);
	if (store_open(path, &st, err, sizeof(err)))
		die("%s", err);
	for (uint64_t i = 0; i < n;) {
		if (store_begin(st))
			die("begin: %s", store_last_error(st));
		for (uint64_t k = 0; k < 100000 && i < n; k++, i++) {
			char text[256];
			struct store_rec r = { .time_ns = 1700000000000000000ull + i, .kind = STORE_REC_QMP };

			snprintf(text, sizeof(text),
				 "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"mailbox\","
				 "\"host-id\":%d,\"opcode\":259,\"payload\":\"0%d000000\"}}", (int)(i & 1), (int)(i % 3 == 0));
			r.data = (const uint8_t *)text;
			r.len = strlen(text);
			if (store_journal_append(st, &r))
				die("append: %s", store_last_error(st));
		}
		if (store_commit(st))
			die("commit: %s", store_last_error(st));
	}
	store_close(st);
}

static bool snapshot_recorded(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "grep -q 'journal up to seq=' %s/stderr.log", dir);
	return system(cmd) == 0;
}

static void run(uint64_t n)
{
	char cmd[120];
	double t0, full, snap;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/cxldcd-brestart-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	start("0");
	quit(greet(10));                      /* a store with this configuration */
	append(n);
	t0 = bench_now_s();
	start("0");
	fd = serving(greet(600));
	full = bench_now_s() - t0;
	/* A round of the loop starts the snapshot; wait until it is recorded. */
	quit(fd);
	start("1");
	fd = greet(600);
	if (write(fd, "{\"execute\":\"qmp_capabilities\"}", 30) < 0)
		die("write");
	for (t0 = bench_now_s(); !snapshot_recorded(); usleep(10000))
		if (bench_now_s() - t0 > 600)
			die("no snapshot");
	quit(fd);
	append(1000);                         /* a tail after the snapshot */
	t0 = bench_now_s();
	start("0");
	fd = serving(greet(600));
	snap = bench_now_s() - t0;
	quit(fd);
	printf("%8llu journaled requests: restart %7.3f s replaying all, %7.3f s from the snapshot + 1000 records\n",
	       (unsigned long long)n, full, snap);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-restart: cannot remove %s\n", dir);
}

/* One journal record (QMP text) appended to the store and committed. */
static void append_text(struct store *st, const char *text, uint64_t i)
{
	struct store_rec r = { .time_ns = 1700000000000000000ull + i, .kind = STORE_REC_QMP,
			       .data = (const uint8_t *)text, .len = strlen(text) };

	if (store_journal_append(st, &r))
		die("append: %s", store_last_error(st));
}

static char *hex_of(const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);

	if (!h)
		die("out of memory");
	for (size_t i = 0; i < n; i++)
		sprintf(h + 2 * i, "%02x", p[i]);
	return h;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Extents per host: one Add Capacity record each in a DC log of 65535. */
#define PER_HOST 50000u

/* The extents append_host() writes: blk_size bytes every stride blocks. */
static uint64_t blk_size = 2ull << 20, stride = 1;

static uint64_t append_host(struct store *st, uint64_t h, uint64_t base, uint64_t m, uint64_t seq);

/*
 * The journal of n accepted 2 MiB extents, PER_HOST per host: for each
 * host one QMP add of its extents, then the host's 4802h
 * (cxl-cci-request) accepting all of them, in 1 MiB payloads chained with
 * More.
 */
static void append_extents(uint64_t n)
{
	char path[100], err[256];
	struct store *st;
	uint64_t seq = 0;

	snprintf(path, sizeof(path), "%s/state", dir);
	if (store_open(path, &st, err, sizeof(err)) || store_begin(st))
		die("%s", err);
	for (uint64_t h = 0, base = 0; base < n; h++, base += PER_HOST)
		seq = append_host(st, h, base, n - base < PER_HOST ? n - base : PER_HOST, seq);
	if (store_commit(st))
		die("commit: %s", store_last_error(st));
	store_close(st);
}

/* Host h's add of m extents from block base, and its acceptance; the next seq. */
static uint64_t append_host(struct store *st, uint64_t h, uint64_t base, uint64_t m, uint64_t seq)
{
	const uint64_t per = (1048576 - 8) / 0x18, blk = blk_size;
	char *text = malloc(200 + m * 64), *p;

	if (!text)
		die("out of memory");
	p = text + sprintf(text, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			   "\"host-id\":%llu,\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[",
			   (unsigned long long)h);
	for (uint64_t i = 0; i < m; i++)
		p += sprintf(p, "%s{\"offset\":%llu,\"len\":%llu}", i ? "," : "",
			     (unsigned long long)((base + i) * stride * blk), (unsigned long long)blk);
	memcpy(p, "]}}", sizeof("]}}"));
	append_text(st, text, seq++);
	free(text);
	for (uint64_t i = 0; i < m; i += per) {
		uint64_t k = m - i < per ? m - i : per;
		uint8_t *pl = calloc(1, 8 + k * 0x18);
		char *hex, *cmd;

		if (!pl)
			die("out of memory");
		pl[0] = (uint8_t)k;
		pl[1] = (uint8_t)(k >> 8);
		pl[2] = (uint8_t)(k >> 16);
		pl[4] = i + k < m;                    /* More */
		for (uint64_t j = 0; j < k; j++) {
			put64(pl + 8 + j * 0x18, (base + i + j) * stride * blk);
			put64(pl + 8 + j * 0x18 + 8, blk);
		}
		hex = hex_of(pl, 8 + k * 0x18);
		cmd = malloc(strlen(hex) + 200);
		if (!cmd)
			die("out of memory");
		sprintf(cmd, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"mailbox\","
			"\"host-id\":%llu,\"opcode\":18434,\"payload\":\"%s\"}}", (unsigned long long)h, hex);
		append_text(st, cmd, seq++);
		free(cmd);
		free(hex);
		free(pl);
	}
	return seq;
}

/* Extents the model holds (total - available of its counts: one page of the query). */
static uint64_t accepted(int fd)
{
	static const char q[] = "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"max-count\":1}}";
	char buf[65536], *t, *a;
	size_t len = 0;

	if (write(fd, q, sizeof(q) - 1) < 0)
		die("query: %s", strerror(errno));
	for (;;) {
		ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (k <= 0)
			die("query: no answer");
		len += (size_t)k;
		buf[len] = 0;
		t = strstr(buf, "\"total-extents\": ");
		a = strstr(buf, "\"available-extents\": ");
		if (t && a && strchr(a, '\n'))
			return strtoull(t + 17, NULL, 10) - strtoull(a + 21, NULL, 10);
		if (len + 1 >= sizeof(buf))       /* earlier answers: keep the last 4 KiB */
			memmove(buf, buf + len - 4096, 4096), len = 4096;
	}
}

/* A clean quit (QMP quit, or SIGTERM) with n accepted extents: seconds to the exit. */
static void quit_time(uint64_t n)
{
	char cmd[120], obj[200];
	uint64_t gib = (n * 2 + 1023) / 1024;    /* the memfd: n 2 MiB blocks, whole GiB */
	double t0;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/cxldcd-bquit-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(obj, sizeof(obj), "memory-backend-memfd,id=m0,size=%lluG,share=on",
		 (unsigned long long)gib);
	snprintf(device, sizeof(device),
		 "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=%llu,dc-block-size=2M,"
		 "max-extents=%llu,mbox-payload-size=1M,event-log-depth=65535",
		 (unsigned long long)(n + PER_HOST - 1) / PER_HOST, (unsigned long long)n + 64);
	object = obj;
	start("0");
	quit(greet(10));                      /* a store with this configuration */
	append_extents(n);
	start("0");
	fd = serving(greet(600));
	if (accepted(fd) != n)
		die("the model holds %llu accepted extents, not %llu (see %s/stderr.log)",
		    (unsigned long long)accepted(fd), (unsigned long long)n, dir);
	t0 = bench_now_s();
	quit(fd);
	printf("%8llu accepted extents: clean quit %7.3f s\n", (unsigned long long)n, bench_now_s() - t0);
	object = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-restart: cannot remove %s\n", dir);
}

/* Milliseconds of the replay the daemon logged ("... replayed in N ms"), or -1. */
static long replay_ms(void)
{
	char path[120], line[512];
	long ms = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stderr.log", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "journal record(s) replayed in ");

		if (p)
			ms = strtol(p + 30, NULL, 10);
	}
	if (f)
		fclose(f);
	return ms;
}

/* CPU seconds (user + system) the daemon used so far, from /proc/PID/stat. */
static double daemon_cpu_s(void)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f) || !(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		die("cannot read %s", path);
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Host h's forced release (sanitizing: the device's regions sanitize on release) of m extents from base. */
static void append_release(struct store *st, uint64_t h, uint64_t base, uint64_t m, uint64_t seq)
{
	char *text = malloc(200 + m * 64), *p;

	if (!text)
		die("out of memory");
	p = text + sprintf(text, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			   "\"host-id\":%llu,\"removal-policy\":\"prescriptive\",\"forced-removal\":true,"
			   "\"region\":0,\"extents\":[", (unsigned long long)h);
	for (uint64_t i = 0; i < m; i++)
		p += sprintf(p, "%s{\"offset\":%llu,\"len\":%llu}", i ? "," : "",
			     (unsigned long long)((base + i) * stride * blk_size),
			     (unsigned long long)blk_size);
	memcpy(p, "]}}", sizeof("]}}"));
	append_text(st, text, seq);
	free(text);
}

/*
 * The replay of n sanitizing releases then n acceptances of the same places
 * (each release owes the zeroing of its place until an acceptance pays it):
 * hosts 0..k-1 accept n 64 KiB extents (every other block), are
 * force-released with sanitize, then hosts k..2k-1 accept the same extents.
 * Seconds from exec to the first device command answered, and the replay's
 * own time from the daemon's log.
 */
static void sanitize_replay(uint64_t n)
{
	const uint64_t per = 30000;           /* Add + Release records in a DC log of 65535 */
	uint64_t k = (n + per - 1) / per, seq = 0, gib = (n * 2 * 65536 >> 30) + 1;
	char cmd[120], obj[200], path[100], err[256];
	struct store *st;
	double t0, t, cpu;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/cxldcd-bowed-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(obj, sizeof(obj), "memory-backend-memfd,id=m0,size=%lluG,share=on",
		 (unsigned long long)gib);
	snprintf(device, sizeof(device),
		 "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=%llu,dc-block-size=64K,"
		 "max-extents=%llu,mbox-payload-size=1M,event-log-depth=65535,sanitize-on-release=on",
		 (unsigned long long)(2 * k), (unsigned long long)(2 * n + 64));
	object = obj;
	blk_size = 65536;
	stride = 2;
	start("0");
	quit(greet(10));                      /* a store with this configuration */
	snprintf(path, sizeof(path), "%s/state", dir);
	if (store_open(path, &st, err, sizeof(err)) || store_begin(st))
		die("%s", err);
	for (uint64_t c = 0; c < k; c++)
		seq = append_host(st, c, c * per, n - c * per < per ? n - c * per : per, seq);
	for (uint64_t c = 0; c < k; c++)
		append_release(st, c, c * per, n - c * per < per ? n - c * per : per, seq++);
	for (uint64_t c = 0; c < k; c++)
		seq = append_host(st, k + c, c * per, n - c * per < per ? n - c * per : per, seq);
	if (store_commit(st))
		die("commit: %s", store_last_error(st));
	store_close(st);
	t0 = bench_now_s();
	start("0");
	fd = serving(greet(3600));
	t = bench_now_s() - t0;
	cpu = daemon_cpu_s();
	if (accepted(fd) != n)
		die("the model holds %llu accepted extents, not %llu (see %s/stderr.log)",
		    (unsigned long long)accepted(fd), (unsigned long long)n, dir);
	quit(fd);
	printf("%8llu sanitizing releases, then %llu acceptances of their places: restart %7.3f s "
	       "(daemon CPU %.2f s), replay %ld ms\n",
	       (unsigned long long)n, (unsigned long long)n, t, cpu, replay_ms());
	object = NULL;
	blk_size = 2ull << 20;
	stride = 1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-restart: cannot remove %s\n", dir);
}

/* ---- -p: per resident item and per journal record ------------------------ */

/*
 * -p N [M [R]]: a state like bench-faces' big daemon (2 MiB blocks, two
 * hosts): N extents of host 0, each with a tag of its own, offered by FM
 * 5604h and accepted by the host over the host link (4802h), which then
 * clears the Add Capacity record (0101h): three records each; then a
 * tenth as many (at most 60,000) offered to host 1 and left pending.  The
 * journal is written straight into the store, the daemon replays it and
 * takes a snapshot (CXLDCD_SNAPSHOT_EVERY=1), and M more records of the
 * same populate (M / 3 extents) are journaled after it.  Then R restarts
 * (default 5), each from a fresh copy of that state, without snapshots:
 * exec to the first QMP device command answered, the daemon's CPU time
 * (/proc/PID/task/ * /schedstat) at that answer, and the daemon's own
 * timing from its log: the snapshot load (its file read and the devices
 * restored) per resident item, the journal replay per record.  Medians.
 * The rows of the journal up to the snapshot are deleted before the tail
 * is written (trim_all()), as a daemon does in the loop rounds after the
 * snapshot; -u leaves them, as a daemon stopped right after its snapshot
 * does.  -k keeps the state (and prints how to start a daemon on it, to
 * profile).
 */

#define FACES_BLK (2ull << 20)
#define H1_MAX 60000u

static const uint8_t faces_head[4] = { 0xfa, 0xce, 0x5b, 0xe0 };

/* Append one CCI message (header + payload) as a record of kind/port/host. */
static void append_cci(struct store *st, uint32_t kind, uint32_t port, uint32_t host,
		       uint16_t opcode, const uint8_t *pl, size_t len, uint64_t t)
{
	uint8_t msg[CXLDCD_CCI_HDR_SIZE + 512];
	struct cci_hdr hd = { .category = CCI_CAT_REQUEST, .tag = 1, .opcode = opcode,
			      .payload_len = (uint32_t)len };
	struct store_rec r = { .time_ns = 1700000000000000000ull + t * 1000, .kind = kind,
			       .port = port, .host = host, .data = msg,
			       .len = CXLDCD_CCI_HDR_SIZE + len };

	if (len > sizeof(msg) - CXLDCD_CCI_HDR_SIZE || cci_enc_hdr(&hd, msg, sizeof(msg)))
		die("cannot encode opcode %04x", opcode);
	memcpy(msg + CXLDCD_CCI_HDR_SIZE, pl, len);
	if (store_journal_append(st, &r))
		die("append: %s", store_last_error(st));
}

/* FM 5604h: block blk with tag tagn, offered to host. */
static void append_offer(struct store *st, uint16_t host, uint64_t blk, uint64_t tagn, uint64_t t)
{
	struct cxldcd_extent e = { .dpa = blk * FACES_BLK, .len = FACES_BLK };
	struct cci_initiate_add_in in = { .host = host, .policy = CXLDCD_ADD_PRESCRIPTIVE, .nr = 1 };
	uint8_t buf[256];
	struct wwr w;

	bench_tag(e.tag, faces_head, tagn);
	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_initiate_add_in(&w, &in, &e))
		die("cannot encode 5604h");
	append_cci(st, STORE_REC_CCI, 1, 0, CXLDCD_OP_FM_INITIATE_DC_ADD, buf, w.off, t);
}

/* Host 0 accepts block blk (4802h) and clears its Add Capacity record (0101h). */
static void append_accept(struct store *st, uint64_t blk, uint16_t handle, uint64_t t)
{
	struct cxldcd_range rg = { .dpa = blk * FACES_BLK, .len = FACES_BLK };
	struct cci_clear_events_in cl = { .log = CXLDCD_LOG_DC, .nr_handles = 1,
					  .handles = { handle } };
	uint8_t buf[256];
	struct wwr w;

	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_dc_rsp_in(&w, &rg, 1, false))
		die("cannot encode 4802h");
	append_cci(st, STORE_REC_HOSTLINK, 2, 0, CXLDCD_OP_ADD_DC_RESPONSE, buf, w.off, t);
	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_clear_events_in(&w, &cl))
		die("cannot encode 0101h");
	append_cci(st, STORE_REC_HOSTLINK, 2, 0, CXLDCD_OP_CLEAR_EVENT_RECORDS, buf, w.off, t);
}

/* Model time of the next record: one microsecond apart. */
static uint64_t faces_t;

/*
 * Host 0's n0 extents from block blk0 (tag = block + 1; nth0 of its offers
 * came before: its DC log gives one record per offer the handles 1..65535,
 * then 1 again), then n1 offers to host 1 from block blk1.
 */
static void append_faces(uint64_t blk0, uint64_t n0, uint64_t nth0, uint64_t blk1, uint64_t n1)
{
	char path[100], err[256];
	struct store *st;

	snprintf(path, sizeof(path), "%s/state", dir);
	if (store_open(path, &st, err, sizeof(err)) || store_begin(st))
		die("%s", err);
	for (uint64_t i = 0; i < n0; i++, faces_t++) {
		append_offer(st, 0, blk0 + i, blk0 + i + 1, faces_t);
		append_accept(st, blk0 + i, (uint16_t)((nth0 + i) % 65535u + 1u), faces_t);
	}
	for (uint64_t j = 0; j < n1; j++, faces_t++)
		append_offer(st, 1, blk1 + j, blk1 + j + 0x200000000ull, faces_t);
	if (store_commit(st))
		die("commit: %s", store_last_error(st));
	store_close(st);
}

/* The CPU time of pid in seconds, every thread of it (schedstat: ns on the CPU). */
static double cpu_s(pid_t p)
{
	char path[64];
	unsigned long long ns, sum = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)p);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d))) {
		char p2[128];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof(p2), "/proc/%d/task/%.20s/schedstat", (int)p, e->d_name);
		if ((f = fopen(p2, "r"))) {
			if (fscanf(f, "%llu", &ns) == 1)
				sum += ns;
			fclose(f);
		}
	}
	closedir(d);
	return (double)sum * 1e-9;
}

/* What the daemon's log says of its last start (-1: not said). */
struct start_log {
	double load_ms, read_ms, restore_ms, replay_ms, records;
	double load_cpu_ms, replay_cpu_ms;  /* -1: not logged (a daemon older than this benchmark) */
};

static struct start_log start_log(void)
{
	struct start_log sl = { -1, -1, -1, -1, -1, -1, -1 };
	char path[120], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/stderr.log", dir);
	if (!(f = fopen(path, "r")))
		return sl;
	while (fgets(line, sizeof(line), f)) {
		char *p;
		unsigned long long a, b, c, d;

		if ((p = strstr(line, ") in ")) && strstr(line, "loaded (journal seq=") &&
		    sscanf(p, ") in %llu ms (%llu bytes read in %llu ms, devices restored in %llu ms)",
			   &a, &d, &b, &c) == 4) {
			sl.load_ms = (double)a;
			sl.read_ms = (double)b;
			sl.restore_ms = (double)c;
			if ((p = strstr(p, " ms; CPU ")) && sscanf(p, " ms; CPU %llu ms", &a) == 1)
				sl.load_cpu_ms = (double)a;
		}
		if ((p = strstr(line, ": ")) && strstr(line, "journal record(s) replayed in") &&
		    (p = strstr(line, "cxldcd.db: ")) &&
		    sscanf(p, "cxldcd.db: %llu journal record(s) replayed in %llu ms", &a, &b) == 2) {
			sl.records = (double)a;
			sl.replay_ms = (double)b;
			if ((p = strstr(p, " ms (CPU ")) && sscanf(p, " ms (CPU %llu ms)", &a) == 1)
				sl.replay_cpu_ms = (double)a;
		}
	}
	fclose(f);
	return sl;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	char cmd[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		die("%s: failed", cmd);
}

#define MAX_R 31u

/*
 * Delete the journal rows the snapshot made useless, as a daemon running
 * long enough after it does (a slice per loop round): the state a restart
 * usually finds.
 */
static void trim_all(void)
{
	char path[100], err[256];
	struct store *st;
	bool done = false;

	snprintf(path, sizeof(path), "%s/state", dir);
	if (store_open(path, &st, err, sizeof(err)))
		die("%s", err);
	while (!done)
		if (store_journal_trim(st, 100000, &done))
			die("trim: %s", store_last_error(st));
	store_close(st);
}

static void faces_run(uint64_t n, uint64_t m, unsigned reps, bool keep, bool untrimmed)
{
	uint64_t n1 = n / 10 < 128 ? 128 : n / 10 > H1_MAX ? H1_MAX : n / 10, tail = m / 3;
	uint64_t blocks = n + n1 + tail + 64, items = n + n1;
	double wall[MAX_R], cpu[MAX_R], load[MAX_R], rd[MAX_R], rest[MAX_R], rep[MAX_R];
	double lcpu[MAX_R], rcpu[MAX_R];
	double t0, recs = 0;
	char obj[200];
	struct start_log sl;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/cxldcd-bfaces-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(obj, sizeof(obj), "memory-backend-memfd,id=m0,size=%lluM,share=on",
		 (unsigned long long)((blocks * 2 + 255) / 256 * 256));
	snprintf(device, sizeof(device),
		 "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2,dc-block-size=2M,"
		 "max-extents=%llu,max-tags=%llu,event-log-depth=65535,mbox-payload-size=4K",
		 (unsigned long long)blocks, (unsigned long long)blocks);
	object = obj;
	start("0");
	quit(greet(10));                      /* a store with this configuration */
	append_faces(0, n, 0, n, n1);
	t0 = bench_now_s();
	start("1");                            /* replays all, then a snapshot */
	fd = serving(greet(3600));
	sl = start_log();
	printf("state: %llu resident items (%llu extents of host 0, %llu pending offers to host 1); "
	       "its whole journal, %.0f records, replayed in %.0f ms (%.2f us a record), restart %.3f s\n",
	       (unsigned long long)items, (unsigned long long)n, (unsigned long long)n1, sl.records,
	       sl.replay_ms, sl.replay_ms * 1e3 / sl.records, bench_now_s() - t0);
	for (t0 = bench_now_s(); !snapshot_recorded(); usleep(10000))
		if (bench_now_s() - t0 > 3600)
			die("no snapshot");
	if (accepted(fd) != items)
		die("the model holds %llu extents, not %llu (see %s/stderr.log)",
		    (unsigned long long)accepted(fd), (unsigned long long)items, dir);
	quit(fd);
	if (!untrimmed)
		trim_all();
	append_faces(n + n1, tail, n, 0, 0);
	sh("cp -a %s/state %s/state.orig", dir, dir);
	for (unsigned r = 0; r < reps; r++) {
		sh("rm -rf %s/state && cp -a %s/state.orig %s/state && : > %s/stderr.log", dir, dir, dir,
		   dir);
		t0 = bench_now_s();
		start("0");
		fd = serving(greet(3600));
		wall[r] = (bench_now_s() - t0) * 1e3;
		cpu[r] = cpu_s(pid) * 1e3;
		sl = start_log();
		if (sl.load_ms < 0 || sl.replay_ms < 0)
			die("no timing in %s/stderr.log", dir);
		load[r] = sl.load_ms;
		rd[r] = sl.read_ms;
		rest[r] = sl.restore_ms;
		rep[r] = sl.replay_ms;
		lcpu[r] = sl.load_cpu_ms;
		rcpu[r] = sl.replay_cpu_ms;
		recs = sl.records;
		if (r == 0 && accepted(fd) != items + tail)
			die("the model holds %llu extents, not %llu after the restart",
			    (unsigned long long)accepted(fd), (unsigned long long)(items + tail));
		quit(fd);
		printf("restart %u: %.1f ms to the first answer, daemon CPU %.1f ms; snapshot loaded in "
		       "%.0f ms (read %.0f, restored %.0f; CPU %.0f), %.0f records replayed in %.0f ms "
		       "(CPU %.0f)\n", r + 1, wall[r], cpu[r], load[r], rd[r], rest[r], lcpu[r], recs,
		       rep[r], rcpu[r]);
	}
	printf("median of %u: restart %.1f ms, daemon CPU %.1f ms; snapshot load %.0f ms = %.0f ns a "
	       "resident item (read %.0f ms, restored %.0f ms); replay %.0f ms = %.2f us a record\n",
	       reps, bench_median(wall, reps), bench_median(cpu, reps), bench_median(load, reps),
	       bench_median(load, reps) * 1e6 / (double)items, bench_median(rd, reps), bench_median(rest, reps),
	       bench_median(rep, reps), bench_median(rep, reps) * 1e3 / recs);
	if (bench_median(lcpu, reps) >= 0 && bench_median(rcpu, reps) >= 0)
		printf("median of %u, the daemon's CPU time as it logs it: snapshot load %.0f ms = %.0f ns a "
		       "resident item; replay %.0f ms = %.2f us a record\n", reps, bench_median(lcpu, reps),
		       bench_median(lcpu, reps) * 1e6 / (double)items, bench_median(rcpu, reps),
		       bench_median(rcpu, reps) * 1e3 / recs);
	object = NULL;
	if (keep) {
		printf("kept: %s/state.orig (restart: %s -object %s -device %s --state DIR --fm none "
		       "--host-socket none -qmp unix:SOCK,server,wait=off)\n", dir,
		       getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH, obj, device);
		return;
	}
	sh("rm -rf %s", dir);
}

int main(int argc, char **argv)
{
	static const uint64_t def[] = { 10000, 100000, 1000000 };
	bool keep = false, untrimmed = false;

	signal(SIGPIPE, SIG_IGN);
	for (; argc > 1 && (!strcmp(argv[1], "-k") || !strcmp(argv[1], "-u")); argc--, argv++) {
		keep |= !strcmp(argv[1], "-k");
		untrimmed |= !strcmp(argv[1], "-u");
	}
	if (argc > 2 && !strcmp(argv[1], "-p")) {
		uint64_t n = strtoull(argv[2], NULL, 10);
		unsigned r = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 5;

		if (!n || r < 1 || r > MAX_R)
			die("usage: bench-restart [-k] [-u] -p N [M [R (1..%u)]]", MAX_R);
		faces_run(n, argc > 3 ? strtoull(argv[3], NULL, 10) : n, r, keep, untrimmed);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "-q")) {
		quit_time(strtoull(argv[2], NULL, 10));
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "-s")) {
		for (int i = 2; i < argc; i++)
			sanitize_replay(strtoull(argv[i], NULL, 10));
		return 0;
	}
	if (argc > 1)
		for (int i = 1; i < argc; i++)
			run(strtoull(argv[i], NULL, 10));
	else
		for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
			run(def[i]);
	if (argc <= 1)
		quit_time(100000);
	return 0;
}
