/* SPDX-License-Identifier: MIT */
/*
 * bench-store.c - what --state costs at the sockets (docs/persistence.md,
 * "Group commit"): per-request latency with 1 client and throughput with 4
 * clients, for FM 5604h (Initiate Dynamic Capacity Add, one 2 MiB extent,
 * prescriptive) and for QMP cxl-add-dynamic-capacity, each without
 * --state, with --state and group commit, and with --state and group
 * commit off (the bench knob $CXLDCD_GROUP_COMMIT=off: one commit per
 * request, as before group commit).  Every add is a new pending offer to
 * host 0 (no host answers), so each one is journaled and committed.  The
 * "mixed" lines run 4 clients of different faces at once: QMP add, FM
 * 5604h and two hosts (1 and 2) on the host link, each sending Set Event
 * Interrupt Policy (0103h, journaled).
 *
 * The "pipelined" lines run the same 4 clients, each keeping D requests in
 * flight (-d, default 32: QMP commands with ids, FM messages back to back
 * on the stream; a host keeps 1, as its mailbox runs one command at a
 * time).  With --state they end with the daemon's own count of requests
 * per commit (its log line at quit).  Closed-loop clients (one request
 * each) bound a commit to 4 requests, so throughput <= 4 / fsync latency;
 * pipelined clients let a commit carry what arrived during the last fsync.
 *
 *   bench-store [-n REQUESTS] [-c CLIENTS] [-d DEPTH] [-p REQUESTS] [-o fm|qmp|mixed] [-m 0|1|2]
 *       -p: requests of a pipelined line (default 4 x -n)
 *       -o, -m: only those lines (-m: 0 no state, 1 group commit, 2 group commit off)
 *
 * One more FM line runs with a snapshot every 100 records
 * ($CXLDCD_SNAPSHOT_EVERY): its p99, next to the line without snapshots,
 * shows whether requests wait on them.
 *
 * The daemon is $CXLDCD, else this build's.  Its state directory is under
 * $TMPDIR (default /tmp): the figures are those of that file system's
 * fsync.  To compare builds, run this with CXLDCD=<other build>/src/server/cxldcd.
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
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostlink/proto.h"
#include "util.h"

#ifndef CXLDCD_PATH
#define CXLDCD_PATH "cxldcd"
#endif

#define BLK (2ull << 20)
#define MAXC 16

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static pid_t daemon_pid;
static char dir[64];

static void cleanup(void)
{
	char cmd[128];

	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = 0;
	}
	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench-store: cannot remove %s\n", dir);
		dir[0] = 0;
	}
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench-store: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	cleanup();
	exit(1);
}

static int connect_unix(const char *path)
{
	int fd = bench_connect_unix(path, NULL, 5.0, NULL);

	if (fd < 0)
		die("cannot connect to %s", path);
	return fd;
}

/* How a run stores: no --state, --state with group commit, --state one commit each. */
enum mode { NOSTATE, GROUP, ONEBYONE };

static const char *mode_name(enum mode m)
{
	return m == NOSTATE ? "no state" : m == GROUP ? "--state" : "--state, group commit off";
}

static void daemon_start(enum mode m, uint32_t nr_blocks)
{
	bool state = m != NOSTATE;
	const char *bin = getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH;
	char obj[200], dev[300], fm[120], qmp[120], st[100], host[120];
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	const char *argv[16];
	int n = 0;
	char log[100];

	nr_blocks = (nr_blocks + 127) / 128 * 128;   /* the memdev: a multiple of 256 MiB */
	snprintf(dir, sizeof(dir), "%s/cxldcd-bstore-XXXXXX", tmp);
	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(obj, sizeof(obj), "memory-backend-memfd,id=m0,size=%llu,share=on",
		 (unsigned long long)nr_blocks * BLK);
	snprintf(dev, sizeof(dev),
		 "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,"
		 "num-hosts=3,dc-block-size=2M,max-extents=%u,event-log-depth=65535", nr_blocks + 64);
	snprintf(fm, sizeof(fm), "unix:%s/fm.sock", dir);
	snprintf(qmp, sizeof(qmp), "unix:%s/qmp.sock,server,wait=off", dir);
	snprintf(st, sizeof(st), "%s/state", dir);
	snprintf(host, sizeof(host), "%s/host.sock", dir);
	argv[n++] = bin;
	argv[n++] = "-object";
	argv[n++] = obj;
	argv[n++] = "-device";
	argv[n++] = dev;
	argv[n++] = "--fm";
	argv[n++] = fm;
	argv[n++] = "-qmp";
	argv[n++] = qmp;
	argv[n++] = "--host-socket";
	argv[n++] = host;
	if (state) {
		argv[n++] = "--state";
		argv[n++] = st;
	}
	argv[n] = NULL;
	if (m == ONEBYONE)
		setenv("CXLDCD_GROUP_COMMIT", "off", 1);
	snprintf(log, sizeof(log), "%s/stderr.log", dir);
	daemon_pid = bench_spawn(bin, argv, log);
	unsetenv("CXLDCD_GROUP_COMMIT");   /* the child took it at fork() */
	if (daemon_pid < 0)
		die("fork: %s", strerror(errno));
}

/* ---------------------------------------------------------------- FM 5604h */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---------------------------------------------------------------- QMP add */

struct qc {
	int fd;
	char buf[8192];
	size_t len;
};

/* Next line (without CRLF) into out. */
static void qmp_line(struct qc *q, char *out, size_t cap)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);

		if (nl) {
			size_t n = (size_t)(nl - q->buf) + 1;

			snprintf(out, cap, "%.*s", (int)n, q->buf);
			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			return;
		}
		ssize_t k = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);

		if (k <= 0)
			die("qmp read: %s", k ? strerror(errno) : "EOF");
		q->len += (size_t)k;
	}
}

static void qmp_cmd(struct qc *q, const char *cmd)
{
	char line[8192];

	if (write(q->fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		die("qmp write: %s", strerror(errno));
	do
		qmp_line(q, line, sizeof(line));
	while (strstr(line, "\"event\""));
	if (!strstr(line, "\"return\""))
		die("qmp: %s -> %s", cmd, line);
}

static void qmp_open(struct qc *q)
{
	char path[120], line[8192];

	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	q->fd = connect_unix(path);
	q->len = 0;
	qmp_line(q, line, sizeof(line));   /* greeting */
	qmp_cmd(q, "{\"execute\":\"qmp_capabilities\"}\n");
}

/*
 * Quit the daemon over QMP and read its "requests journaled in N commits
 * (X per commit)" log line into out ("" without --state).
 */
static void daemon_quit(char *out, size_t cap)
{
	struct qc q;
	char path[100], line[256];
	FILE *f;

	out[0] = 0;
	qmp_open(&q);
	qmp_cmd(&q, "{\"execute\":\"quit\"}\n");
	close(q.fd);
	waitpid(daemon_pid, NULL, 0);
	daemon_pid = 0;
	snprintf(path, sizeof(path), "%s/stderr.log", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "state: ");

		if (p && strstr(p, "per commit)")) {
			p[strcspn(p, "\n")] = 0;
			snprintf(out, cap, "; %s", p + 7);
		}
	}
	if (f)
		fclose(f);
}

/* ---------------------------------------------------------------- hosts */

/* Host @id on the host link, past HELLO (no mapping). */
static int host_open(uint16_t id)
{
	struct hl_hello m = { .version = HL_VERSION, .host_id = id };
	uint8_t buf[256];
	char path[120];
	struct hl_hdr h;
	struct wwr w;
	size_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/host.sock", dir);
	fd = connect_unix(path);
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_HELLO, 1);
	hl_enc_hello(&w, &m);
	if (hl_msg_end(&w) || write(fd, buf, w.off) != (ssize_t)w.off)
		die("hello: %s", strerror(errno));
	while (got < HL_HDR_SIZE + HL_HELLO_ACK_SIZE) {
		ssize_t k = read(fd, buf + got, sizeof(buf) - got);

		if (k <= 0)
			die("hello-ack: %s", k ? strerror(errno) : "EOF");
		got += (size_t)k;
	}
	if (hl_dec_hdr(buf, got, &h) || h.type != HL_HELLO_ACK || buf[HL_HDR_SIZE] || buf[HL_HDR_SIZE + 1])
		die("host %u refused", id);
	return fd;
}

/* Set Event Interrupt Policy (0103h): a journaled host request that always succeeds. */
static void host_send(int fd)
{
	uint8_t buf[64], cci[12 + 5] = { 0 };
	struct wwr w;

	put16(cci + 3, 0x0103);
	cci[5] = 5;
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_CCI_REQ, 2);
	wwr_bytes(&w, cci, sizeof(cci));
	if (hl_msg_end(&w) || write(fd, buf, w.off) != (ssize_t)w.off)
		die("host write: %s", strerror(errno));
}

/* Read up to and including the next CCI_RSP (Success required). */
static void host_recv(int fd)
{
	uint8_t buf[4096];
	size_t got = 0;
	struct hl_hdr h;

	for (;;) {
		while (got >= HL_HDR_SIZE && !hl_dec_hdr(buf, got, &h) && got >= HL_HDR_SIZE + h.len) {
			if (h.type == HL_CCI_RSP) {
				if (buf[HL_HDR_SIZE + 8] || buf[HL_HDR_SIZE + 9])
					die("host 0103h: return code %u", buf[HL_HDR_SIZE + 8]);
				if (got != HL_HDR_SIZE + h.len)
					die("host: more than one answer");
				return;
			}
			memmove(buf, buf + HL_HDR_SIZE + h.len, got - HL_HDR_SIZE - h.len);
			got -= HL_HDR_SIZE + h.len;
		}
		ssize_t k = read(fd, buf + got, sizeof(buf) - got);

		if (k <= 0)
			die("host read: %s", k ? strerror(errno) : "EOF");
		got += (size_t)k;
	}
}

/* ---------------------------------------------------------------- runs */

enum face { FM, QMP, HOST };

struct client {
	enum face face;
	int fd;
	struct qc q;
};

static void client_open(struct client *c, enum face f, uint16_t host)
{
	char path[120];

	c->face = f;
	if (f == FM) {
		snprintf(path, sizeof(path), "%s/fm.sock", dir);
		c->fd = connect_unix(path);
	} else if (f == QMP) {
		qmp_open(&c->q);
		c->fd = c->q.fd;
	} else {
		c->fd = host_open(host);
	}
}

/* Send one request (an add of block blk, or the host's 0103h) without waiting. */
static void client_send(struct client *c, uint32_t blk)
{
	if (c->face == FM) {
		uint8_t m[12 + 0x48] = { 0 };

		m[1] = (uint8_t)blk;
		put16(m + 3, 0x5604);
		m[5] = 0x48;
		m[12 + 2] = 2;                         /* prescriptive, host 0 */
		m[12 + 0x1c] = 1;                      /* one extent */
		put64(m + 12 + 0x20, (uint64_t)blk * BLK);
		put64(m + 12 + 0x28, BLK);
		put64(m + 12 + 0x30, 0xb5000000ull + blk);   /* a tag per request */
		if (write(c->fd, m, sizeof(m)) != (ssize_t)sizeof(m))
			die("fm write: %s", strerror(errno));
	} else if (c->face == QMP) {
		char cmd[400];

		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
			 "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"b5000000-0000-0000-0000-%012x\","
			 "\"extents\":[{\"offset\":%llu,\"len\":%llu}]},\"id\":%u}\n",
			 blk, (unsigned long long)blk * BLK, BLK, blk);
		if (write(c->fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
			die("qmp write: %s", strerror(errno));
	} else {
		host_send(c->fd);
	}
}

/* Wait for the answer of the request sent (success required). */
static void client_recv(struct client *c)
{
	if (c->face == FM) {
		uint8_t rsp[64];
		size_t got = 0;

		while (got < 12) {
			ssize_t k = read(c->fd, rsp + got, 12 - got);

			if (k <= 0)
				die("fm read: %s", k ? strerror(errno) : "EOF");
			got += (size_t)k;
		}
		if (rsp[8] || rsp[9])
			die("5604h: return code %u", rsp[8] | rsp[9] << 8);
	} else if (c->face == QMP) {
		char line[8192];

		do
			qmp_line(&c->q, line, sizeof(line));
		while (strstr(line, "\"event\""));
		if (!strstr(line, "\"return\""))
			die("qmp add: %s", line);
	} else {
		host_recv(c->fd);
	}
}

static const char *face_name(enum face f)
{
	return f == FM ? "FM" : f == QMP ? "QMP" : "host";
}

/* 1 client, n requests one after the other: p50/p99 latency in µs (snap: $CXLDCD_SNAPSHOT_EVERY). */
static void latency(enum face f, enum mode m, uint32_t n, const char *snap)
{
	struct client c;
	double *lat = malloc(n * sizeof(*lat)), t0;

	if (!lat)
		die("out of memory");
	setenv("CXLDCD_SNAPSHOT_EVERY", snap ? snap : "0", 1);
	daemon_start(m, 2 * n + 64);
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	client_open(&c, f, 1);
	for (uint32_t i = 0; i < n; i++) {
		t0 = bench_now_s();
		client_send(&c, i);
		client_recv(&c);
		lat[i] = (bench_now_s() - t0) * 1e6;
	}
	qsort(lat, n, sizeof(*lat), bench_cmp_dbl);
	printf("%-5s %-26s 1 client : p50 %7.1f us  p99 %7.1f us  (%u requests%s%s)\n",
	       face_name(f), mode_name(m), lat[n / 2], lat[(size_t)(n * 0.99)], n,
	       snap ? ", a snapshot every " : "", snap ? snap : "");
	close(c.fd);
	cleanup();
	free(lat);
}

/*
 * nc clients, each one request at a time (a closed loop) in turn: the
 * clients' requests are written before any answer is read, so they arrive
 * together as they would from independent clients.  face[i] is client i's
 * face (hosts are 1, 2, ...).
 */
static void throughput(const enum face *face, int nc, enum mode m, uint32_t n, const char *what)
{
	struct client c[MAXC];
	uint32_t rounds = n / (uint32_t)nc, blk = 0;
	uint16_t host = 1;
	char stats[200];
	double t0, dt;

	daemon_start(m, 2 * n + 64);
	for (int i = 0; i < nc; i++)
		client_open(&c[i], face[i], face[i] == HOST ? host++ : 0);
	t0 = bench_now_s();
	for (uint32_t r = 0; r < rounds; r++) {
		for (int i = 0; i < nc; i++)     /* all send, then all wait */
			client_send(&c[i], blk + (uint32_t)i);
		for (int i = 0; i < nc; i++)
			client_recv(&c[i]);
		blk += (uint32_t)nc;
	}
	dt = bench_now_s() - t0;
	daemon_quit(stats, sizeof(stats));
	printf("%-5s %-26s %d clients: %8.0f requests/s  (%u requests%s%s)\n", what, mode_name(m), nc,
	       rounds * nc / dt, rounds * nc, face[0] != face[nc - 1] ? ": QMP, FM, 2 hosts" : "",
	       stats);
	for (int i = 0; i < nc; i++)
		close(c[i].fd);
	cleanup();
}

/* An answer is ready to read without blocking (QMP may have it buffered already). */
static bool client_buffered(const struct client *c)
{
	return c->face == QMP && memchr(c->q.buf, '\n', c->q.len);
}

/*
 * nc clients, each keeping up to depth requests in flight: as soon as an
 * answer arrives its client sends the next request.  Hosts keep 1 (their
 * mailbox runs one command at a time) and send until the others are done.
 */
static void pipelined(const enum face *face, int nc, enum mode m, uint32_t n, uint32_t depth,
		      const char *what)
{
	struct client c[MAXC];
	uint32_t quota = n / (uint32_t)nc, sent[MAXC] = { 0 }, done[MAXC] = { 0 }, blk = 0, left = 0;
	uint32_t total = 0;
	uint16_t host = 1;
	char stats[200];
	double t0, dt;

	daemon_start(m, 2 * n + 64);
	for (int i = 0; i < nc; i++) {
		client_open(&c[i], face[i], face[i] == HOST ? host++ : 0);
		left += face[i] == HOST ? 0 : quota;
	}
	t0 = bench_now_s();
	for (int i = 0; i < nc; i++)
		for (uint32_t k = 0; k < (face[i] == HOST ? 1 : depth) && sent[i] < quota; k++, sent[i]++)
			client_send(&c[i], blk++);
	while (left) {
		struct pollfd pfd[MAXC];
		bool ready = false;

		for (int i = 0; i < nc; i++) {
			pfd[i] = (struct pollfd){ .fd = done[i] < sent[i] ? c[i].fd : -1, .events = POLLIN };
			ready |= done[i] < sent[i] && client_buffered(&c[i]);
		}
		if (poll(pfd, (nfds_t)nc, ready ? 0 : 10000) < 0)
			die("poll: %s", strerror(errno));
		for (int i = 0; i < nc; i++) {
			if (done[i] == sent[i] || !((pfd[i].revents & (POLLIN | POLLHUP)) || client_buffered(&c[i])))
				continue;
			client_recv(&c[i]);
			done[i]++;
			if (face[i] != HOST)
				left--;
			if (left && (face[i] == HOST || sent[i] < quota)) {
				client_send(&c[i], face[i] == HOST ? 0 : blk++);
				sent[i]++;
			}
		}
	}
	for (int i = 0; i < nc; i++) {
		while (done[i] < sent[i]) {
			client_recv(&c[i]);
			done[i]++;
		}
		total += done[i];
	}
	dt = bench_now_s() - t0;
	daemon_quit(stats, sizeof(stats));
	printf("%-5s %-26s %d clients: %8.0f requests/s  (%u requests, %u in flight each%s%s)\n", what,
	       mode_name(m), nc, total / dt, total, depth,
	       face[0] != face[nc - 1] ? ": QMP, FM, 2 hosts with 1" : "", stats);
	for (int i = 0; i < nc; i++)
		close(c[i].fd);
	cleanup();
}

int main(int argc, char **argv)
{
	static const enum face mixed[4] = { QMP, FM, HOST, HOST };
	uint32_t n = 1000, depth = 32, np = 0;
	int nc = 4, opt;
	const char *only = NULL;
	int m0 = NOSTATE, m1 = ONEBYONE;

	while ((opt = getopt(argc, argv, "n:c:d:p:o:m:")) != -1) {
		if (opt == 'n')
			n = (uint32_t)strtoul(optarg, NULL, 10);
		else if (opt == 'd')
			depth = (uint32_t)strtoul(optarg, NULL, 10);
		else if (opt == 'p')
			np = (uint32_t)strtoul(optarg, NULL, 10);
		else if (opt == 'c')
			nc = atoi(optarg);
		else if (opt == 'o')
			only = optarg;
		else if (opt == 'm')
			m0 = m1 = atoi(optarg);
		else
			die("usage: bench-store [-n REQUESTS] [-c CLIENTS] [-d DEPTH] [-p REQUESTS] [-o fm|qmp|mixed] [-m 0|1|2]");
	}
	if (m0 < NOSTATE || m0 > ONEBYONE)
		die("-m is 0, 1 or 2");
	if (!np)
		np = 4 * n;
	if (n < 10 || np < 10 || nc < 1 || nc > MAXC || depth < 1)
		die("-n and -p must be >= 10, -c 1..%d, -d >= 1", MAXC);
	signal(SIGPIPE, SIG_IGN);
	for (int f = FM; f <= QMP; f++) {
		enum face same[MAXC];

		if (only && strcasecmp(only, face_name((enum face)f)))
			continue;
		for (int i = 0; i < nc; i++)
			same[i] = (enum face)f;
		for (int m = m0; m <= m1; m++)
			latency((enum face)f, (enum mode)m, n, NULL);
		if (f == FM && m0 <= GROUP && m1 >= GROUP)   /* no request waits on a snapshot */
			latency((enum face)f, GROUP, n, "100");
		for (int m = m0; m <= m1; m++)
			throughput(same, nc, (enum mode)m, n, face_name((enum face)f));
		for (int m = m0; m <= m1; m++)
			pipelined(same, nc, (enum mode)m, np, depth, face_name((enum face)f));
	}
	for (int m = m0; m <= m1 && (!only || !strcmp(only, "mixed")); m++)
		throughput(mixed, 4, (enum mode)m, n, "mixed");
	for (int m = m0; m <= m1 && (!only || !strcmp(only, "mixed")); m++)
		pipelined(mixed, 4, (enum mode)m, np, depth, "mixed");
	return 0;
}
