/* SPDX-License-Identifier: MIT */
/*
 * test-notify.c - cxldcd under a service manager (docs/cmdline.md, "Running
 * as a systemd service"), without systemd: the test owns the datagram
 * socket $NOTIFY_SOCKET names, as systemd would (SO_PASSCRED: each message
 * comes with its sender's pid), and reads what the real daemon sends:
 * READY=1 only once the FM socket answers (and, with --state, only after
 * the journal replayed, the replay's progress in STATUS= before it, and
 * the snapshot load's progress and WATCHDOG=1 while a snapshot loads),
 * MAINPID= from the parent with --daemonize, WATCHDOG=1 at half the
 * $WATCHDOG_USEC interval, STOPPING=1 on SIGTERM (then, with --state, more
 * time for the stop's snapshot and a ping), an abstract "@name"
 * socket; a socket that does not exist, a full one or a bad
 * $NOTIFY_SOCKET do not stop or stall the daemon.  Default sockets go to
 * $RUNTIME_DIRECTORY (RuntimeDirectory=).
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dproc.h"
#include "start-util.h"

#define DEV "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G"

/* The --daemonize child (not ours to reap: teardown kills it). */
static pid_t daemon_child;

/* The socket the daemon notifies: bound by the test, with SO_PASSCRED. */
struct rx {
	int fd;
	char name[108];         /* what NOTIFY_SOCKET says */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Bind DIR/notify, or "@cxldcd-notify-PID" in the abstract namespace. */
static void rx_open(struct rx *r, const struct dproc *p, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int one = 1;

	if (abstract)
		snprintf(r->name, sizeof(r->name), "@cxldcd-notify-%d", (int)getpid());
	else
		snprintf(r->name, sizeof(r->name), "%s/notify", p->dir);
	memcpy(sa.sun_path, r->name, strlen(r->name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(r->name));
	if (abstract)
		sa.sun_path[0] = 0;
	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(setsockopt(r->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
}

/*
 * The next message (NUL-terminated in @buf) and its sender's pid, waiting
 * up to @timeout_ms: its length, or -1 when none came.
 */
static int rx_next(struct rx *r, int timeout_ms, char *buf, size_t cap, pid_t *sender)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			     .msg_controllen = sizeof(ctl) };
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	ssize_t k;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	k = recvmsg(r->fd, &mh, 0);
	assert_true(k >= 0);
	buf[k] = 0;
	*sender = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred uc;

			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			*sender = uc.pid;
		}
	}
	return (int)k;
}

/* Whether @msg holds the line @line ("READY=1"), exactly. */
static bool has_line(const char *msg, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = msg; (p = strstr(p, line)); p++)
		if ((p == msg || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
			return true;
	return false;
}

/*
 * Start the daemon with @args and NOTIFY_SOCKET=@sock (NULL: none), plus
 * the NULL-terminated KEY, VALUE pairs that follow.
 */
static void start(struct dproc *p, const char *sock, const char *const *args, ...)
{
	const char *keys[4];
	size_t nr = 0;
	va_list ap;

	va_start(ap, args);
	for (const char *k; nr < 4 && (k = va_arg(ap, const char *)); nr++) {
		keys[nr] = k;
		setenv(k, va_arg(ap, const char *), 1);
	}
	va_end(ap);
	if (sock)
		setenv("NOTIFY_SOCKET", sock, 1);
	assert_int_equal(dproc_start(p, args), 0);
	unsetenv("NOTIFY_SOCKET");
	for (size_t i = 0; i < nr; i++)
		unsetenv(keys[i]);
}

/* FM Identify (0001h) on a fresh connection to p->fm, tried once: its return code. */
static unsigned fm_identify_once(const struct dproc *p)
{
	int fd = dproc_connect_unix(p->fm, 0);
	unsigned rc;

	if (fd < 0)
		fail_msg("READY=1 came before %s accepted a connection", p->fm);
	rc = fm_identify_rc(fd, 7);
	close(fd);
	return rc;
}

/* Read messages until READY=1 (at most 60 s); every message before it is in @before. */
static void wait_ready(struct rx *r, char *ready, size_t cap, pid_t *sender, char *before,
		       size_t before_cap)
{
	double t0 = now_s();

	before[0] = 0;
	while (now_s() - t0 < 60) {
		if (rx_next(r, 1000, ready, cap, sender) < 0)
			continue;
		if (has_line(ready, "READY=1"))
			return;
		if (strlen(before) + strlen(ready) + 2 < before_cap) {
			strcat(before, ready);
			strcat(before, "\n");
		}
	}
	fail_msg("no READY=1 in 60 s; before: %s", before);
}

/* SIGTERM to @pid: the next message other than WATCHDOG=1 is STOPPING=1, from @pid. */
static void term_expect_stopping(struct rx *r, pid_t pid)
{
	char msg[600];
	pid_t from;

	assert_int_equal(kill(pid, SIGTERM), 0);
	for (;;) {
		if (rx_next(r, 10000, msg, sizeof(msg), &from) < 0)
			fail_msg("no STOPPING=1 after SIGTERM");
		if (strcmp(msg, "WATCHDOG=1"))
			break;
	}
	assert_true(has_line(msg, "STOPPING=1"));
	assert_int_equal(from, pid);
}

/* term_expect_stopping() of daemon p, which then exits 0; r is closed. */
static void term_stops(struct rx *r, struct dproc *p)
{
	term_expect_stopping(r, p->pid);
	assert_int_equal(dproc_wait_exit(p, 10000), 0);
	close(r->fd);
}

static void test_ready_once_the_fm_socket_answers_then_stopping_on_sigterm(void **state)
{
	const char *args[] = { "-device", DEV, "--fm", NULL, NULL };
	char ready[600], before[4096];
	struct dproc p;
	struct rx r;
	pid_t from;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	args[3] = p.fm_arg;
	rx_open(&r, &p, false);
	start(&p, r.name, args, NULL);
	wait_ready(&r, ready, sizeof(ready), &from, before, sizeof(before));
	/* Nothing about the state: there is none, and no watchdog was asked for. */
	assert_string_equal(before, "");
	assert_int_equal(from, p.pid);
	assert_int_equal(fm_identify_once(&p), 0x0000);
	if (!strstr(ready, "\nSTATUS=serving 1 device(s), QMP on unix:") ||
	    !strstr(ready, "/qmp.sock"))
		fail_msg("READY message: %s", ready);
	term_stops(&r, &p);
}

static void test_ready_only_after_the_journal_replayed(void **state)
{
	const char *args[] = { "-device", DEV, "--fm", NULL, "--state", NULL, NULL };
	char ready[600], before[16384];
	struct qmp_client *c;
	struct dproc p;
	struct rx r;
	pid_t from;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	args[3] = p.fm_arg;
	args[5] = p.state;
	assert_int_equal(dproc_start(&p, args), 0);        /* a store with this configuration */
	c = dproc_connect(&p, 10000);
	assert_non_null(c);
	json_decref(qmp_client_cmd(c, "{\"execute\":\"quit\"}", 10000));
	qmp_client_free(c);
	assert_int_equal(dproc_wait_exit(&p, 10000), 0);
	journal_append_policies(p.state, 200000, 1);

	rx_open(&r, &p, false);
	start(&p, r.name, args, "CXLDCD_SNAPSHOT_EVERY", "0", NULL);
	wait_ready(&r, ready, sizeof(ready), &from, before, sizeof(before));
	/* The phases, in order, each from the daemon. */
	if (strncmp(before, "STATUS=restoring the state from ", 32) || !strstr(before, p.state))
		fail_msg("first message: %s", before);
	if (!strstr(before, "STATUS=device is starting: replaying the state journal (record ") ||
	    !strstr(before, " of 200000)\nEXTEND_TIMEOUT_USEC=30000000\n"))
		fail_msg("no replay progress before READY=1 (make the journal longer?): %s", before);
	assert_null(strstr(before, "READY=1"));
	print_message("before READY=1:\n%s", before);
	print_message("READY=1 message:\n%s\n", ready);
	/* At READY=1 the replay is over: the FM socket answers, not Busy. */
	assert_int_equal(fm_identify_once(&p), 0x0000);
	assert_non_null(strstr(dproc_log(&p), "200000 journal record(s) replayed"));
	assert_int_equal(from, p.pid);
	term_stops(&r, &p);
}

/*
 * A restart from a snapshot: the loop runs at the load's progress points
 * (docs/persistence.md, "Snapshots"), so the watchdog's ping and the
 * start's progress go out while the snapshot loads, not only while the
 * journal replays.  Before, nothing was sent between "restoring the state"
 * and READY=1 when no journal followed the snapshot: once systemd has had
 * one WATCHDOG=1, a snapshot load longer than WatchdogSec= would be a hung
 * start to it, and a load longer than TimeoutStartSec= got no
 * EXTEND_TIMEOUT_USEC.
 */
static void test_watchdog_and_progress_while_the_snapshot_loads(void **state)
{
	static const char written[] = "snapshot-00000000000000020000.bin written";
	const char *args[] = { "-device", DEV, "--fm", NULL, "--state", NULL, NULL };
	char ready[600], before[16384];
	const char *load;
	struct qmp_client *c;
	struct dproc p;
	struct rx r;
	pid_t from;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	args[3] = p.fm_arg;
	args[5] = p.state;
	assert_int_equal(dproc_start(&p, args), 0);        /* a store with this configuration */
	assert_non_null(c = dproc_connect(&p, 10000));
	json_decref(qmp_client_cmd(c, "{\"execute\":\"quit\"}", 10000));
	qmp_client_free(c);
	assert_int_equal(dproc_wait_exit(&p, 10000), 0);
	journal_append_policies(p.state, 20000, 1);
	/* Replayed, then a snapshot at seq 20000 (the start's quiet point), recorded at quit. */
	start(&p, NULL, args, "CXLDCD_SNAPSHOT_EVERY", "1000", NULL);
	assert_non_null(c = dproc_connect(&p, 30000));
	/* the child's write takes what the machine gives it: wait up to 30 s, a request per 10 ms */
	for (int i = 0; i < 3000 && !strstr(dproc_log(&p), written); i++) {
		json_decref(qmp_client_cmd(c, "{\"execute\":\"query-version\"}", 10000));
		usleep(10000);
	}
	assert_non_null(strstr(dproc_log(&p), written));
	json_decref(qmp_client_cmd(c, "{\"execute\":\"quit\"}", 10000));
	qmp_client_free(c);
	assert_int_equal(dproc_wait_exit(&p, 10000), 0);

	rx_open(&r, &p, false);
	/* A ping due every millisecond: one is due by the time the load begins. */
	start(&p, r.name, args, "CXLDCD_SNAPSHOT_EVERY", "0", "WATCHDOG_USEC", "2000", NULL);
	wait_ready(&r, ready, sizeof(ready), &from, before, sizeof(before));
	print_message("before READY=1:\n%.600s\n", before);
	assert_non_null(strstr(dproc_log(&p), "snapshot-00000000000000020000.bin loaded"));
	assert_non_null(strstr(dproc_log(&p), "0 journal record(s) replayed"));
	load = strstr(before, "STATUS=device is starting: loading the state snapshot\n"
			      "EXTEND_TIMEOUT_USEC=30000000\n");
	if (!load)
		fail_msg("no progress while the snapshot loaded: %s", before);
	if (!strstr(before, "WATCHDOG=1\n"))
		fail_msg("no WATCHDOG=1 before READY=1 (the snapshot load pings): %s", before);
	assert_null(strstr(before, "replaying the state journal"));
	assert_int_equal(from, p.pid);
	term_stops(&r, &p);
}

/* A device with room for a snapshot of 100,000 accepted extents (block = 2 MiB). */
#define BIG_OBJ "memory-backend-memfd,id=m0,size=256G,share=on"   /* sparse: never touched */
#define BIG_DEV "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,dc-block-size=2M," \
		"num-hosts=2,max-extents=100064,event-log-depth=65535,mbox-payload-size=1M"
#define BIG_PER_HOST 50000u

/*
 * Journal (straight into the store at @state_dir) host @h's add of
 * BIG_PER_HOST 2 MiB extents from block @h * BIG_PER_HOST (one QMP
 * command), then its 4802h accepting all of them (cxl-cci-request, chained
 * with More in 1 MiB payloads).
 */
static void journal_append_big_host(struct store *st, unsigned h, uint64_t *t)
{
	const uint64_t per = (1048576 - 8) / 0x18, blk = 2ull << 20, base = (uint64_t)h * BIG_PER_HOST;
	char *text = malloc(200 + BIG_PER_HOST * 64), *p;
	struct store_rec rec = { .kind = STORE_REC_QMP };

	assert_non_null(text);
	p = text + sprintf(text, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			   "\"host-id\":%u,\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[", h);
	for (uint64_t i = 0; i < BIG_PER_HOST; i++)
		p += sprintf(p, "%s{\"offset\":%llu,\"len\":%llu}", i ? "," : "",
			     (unsigned long long)((base + i) * blk), (unsigned long long)blk);
	sprintf(p, "]}}");
	rec.time_ns = (*t)++;
	rec.data = (const uint8_t *)text;
	rec.len = strlen(text);
	assert_int_equal(store_journal_append(st, &rec), 0);
	for (uint64_t i = 0; i < BIG_PER_HOST; i += per) {
		uint64_t k = BIG_PER_HOST - i < per ? BIG_PER_HOST - i : per;
		char *q = text + sprintf(text, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\","
					 "\"cci\":\"mailbox\",\"host-id\":%u,\"opcode\":18434,\"payload\":\"", h);

		/* count (4), More (1), 3 reserved, then per extent: DPA, length, 8 reserved */
		q += sprintf(q, "%02x%02x%02x00%02x000000", (unsigned)(k & 0xff), (unsigned)(k >> 8 & 0xff),
			     (unsigned)(k >> 16 & 0xff), i + k < BIG_PER_HOST);
		for (uint64_t j = 0; j < k; j++) {
			uint64_t dpa = (base + i + j) * blk;

			for (int b = 0; b < 8; b++)
				q += sprintf(q, "%02x", (unsigned)(dpa >> (8 * b) & 0xff));
			for (int b = 0; b < 8; b++)
				q += sprintf(q, "%02x", (unsigned)(blk >> (8 * b) & 0xff));
			q += sprintf(q, "0000000000000000");
		}
		sprintf(q, "\"}}");
		rec.time_ns = (*t)++;
		rec.len = strlen(text);
		assert_int_equal(store_journal_append(st, &rec), 0);
	}
	free(text);
}

/*
 * One device's snapshot restore, a large one: the loop runs at its
 * progress points (core_restore_paced(), every 16,384 items read, at most
 * every 10 ms), so the watchdog's ping goes out while one device is
 * restored, not only between devices.  The start says when that restore
 * begins and ends (STATUS= "... (restoring device d0)", then "loading the
 * state snapshot" again): a WATCHDOG=1 between the two was sent during
 * it.  Before, one device's core_restore() ran without a ping (0.3-1.2 us
 * an item; a million items and a loaded machine: seconds).  Here 100,000
 * accepted extents and their 165,535 event records (both hosts' Add
 * Capacity records, the FM's log full of Add Capacity Responses).
 */
static void test_watchdog_while_one_device_restores(void **state)
{
	const char *args[] = { "-object", BIG_OBJ, "-device", BIG_DEV, "--fm", NULL, "--state", NULL,
			       NULL };
	static char before[65536];
	char ready[600], err[256];
	const char *during, *after, *ping, *load;
	struct qmp_client *c;
	struct store *st;
	struct dproc p;
	struct rx r;
	uint64_t t = 1700000000000000000ull;
	pid_t from;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	args[5] = p.fm_arg;
	args[7] = p.state;
	assert_int_equal(dproc_start(&p, args), 0);        /* a store with this configuration */
	assert_non_null(c = dproc_connect(&p, 10000));
	json_decref(qmp_client_cmd(c, "{\"execute\":\"quit\"}", 10000));
	qmp_client_free(c);
	assert_int_equal(dproc_wait_exit(&p, 10000), 0);
	assert_int_equal(store_open(p.state, &st, err, sizeof(err)), 0);
	assert_int_equal(store_begin(st), 0);
	journal_append_big_host(st, 0, &t);
	journal_append_big_host(st, 1, &t);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	/* Replayed, then a snapshot of all of it (the start's quiet point), recorded at quit. */
	start(&p, NULL, args, "CXLDCD_SNAPSHOT_EVERY", "1", NULL);
	assert_non_null(c = dproc_connect(&p, 120000));
	/* (seq 7: the start journals a record after its replay) */
	for (int i = 0; i < 6000 && !strstr(dproc_log(&p), ".bin written; journal up to seq="); i++) {
		json_decref(qmp_client_cmd(c, "{\"execute\":\"query-version\"}", 10000));
		usleep(10000);
	}
	assert_non_null(strstr(dproc_log(&p), ".bin written; journal up to seq="));
	json_decref(qmp_client_cmd(c, "{\"execute\":\"quit\"}", 10000));
	qmp_client_free(c);
	assert_int_equal(dproc_wait_exit(&p, 30000), 0);

	rx_open(&r, &p, false);
	/* A ping due every millisecond: one is due at each progress point. */
	start(&p, r.name, args, "CXLDCD_SNAPSHOT_EVERY", "0", "WATCHDOG_USEC", "2000", NULL);
	wait_ready(&r, ready, sizeof(ready), &from, before, sizeof(before));
	assert_non_null(strstr(dproc_log(&p), ".bin loaded (journal seq="));
	during = strstr(before, "STATUS=device is starting: loading the state snapshot (restoring device d0)\n");
	if (!during)
		fail_msg("no STATUS= as device d0's restore began: %.2000s", before);
	after = during ? strstr(during + 1, "STATUS=device is starting: loading the state snapshot\n")
		       : NULL;
	if (!after)
		fail_msg("no STATUS= as device d0's restore ended: %.2000s", during);
	ping = after ? strstr(during, "WATCHDOG=1\n") : NULL;
	load = strstr(dproc_log(&p), ".bin loaded (journal seq=");
	if (load)
		print_message("%.*s\n", (int)strcspn(load, "\n"), load);
	if (!ping || !after || ping > after)
		fail_msg("no WATCHDOG=1 while device d0 was restored: %.*s", (int)(after - during), during);
	assert_int_equal(from, p.pid);
	term_stops(&r, &p);
}

/* The pid in @path (the --pidfile), waiting up to 10 s for it. */
static pid_t read_pidfile(const char *path)
{
	for (double t0 = now_s(); now_s() - t0 < 10; usleep(10000)) {
		FILE *f = fopen(path, "r");
		long v = 0;
		int n = f ? fscanf(f, "%ld", &v) : 0;

		if (f)
			fclose(f);
		if (n == 1 && v > 0)
			return (pid_t)v;
	}
	fail_msg("no pid in %s", path);
	return -1;
}

static void test_daemonize_names_the_child_in_mainpid(void **state)
{
	const char *args[] = { "-device", DEV, "--fm", NULL, "--daemonize", "--pidfile", NULL,
			       "--log-file", NULL, NULL };
	char pidfile[100], logfile[100], ready[600], before[4096], want[40];
	struct dproc p;
	struct rx r;
	pid_t from;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(pidfile, sizeof(pidfile), "%s/cxldcd.pid", p.dir);
	snprintf(logfile, sizeof(logfile), "%s/daemon.log", p.dir);
	args[3] = p.fm_arg;
	args[6] = pidfile;
	args[8] = logfile;
	rx_open(&r, &p, false);
	start(&p, r.name, args, NULL);
	wait_ready(&r, ready, sizeof(ready), &from, before, sizeof(before));
	/* The parent, still the main process, says it: MAINPID= with READY=1. */
	assert_int_equal(from, p.pid);
	daemon_child = read_pidfile(pidfile);
	assert_true(daemon_child != p.pid);
	snprintf(want, sizeof(want), "MAINPID=%d", (int)daemon_child);
	if (!has_line(ready, want))
		fail_msg("want %s in: %s", want, ready);
	assert_non_null(strstr(ready, "STATUS=serving 1 device(s)"));
	assert_int_equal(dproc_wait_exit(&p, 10000), 0);        /* the parent exits 0 */
	assert_int_equal(fm_identify_once(&p), 0x0000);
	/* The child is the service now: it says it stops. */
	term_expect_stopping(&r, daemon_child);
	for (double t0 = now_s(); kill(daemon_child, 0) == 0; usleep(10000))
		assert_true(now_s() - t0 < 10);
	daemon_child = 0;
	close(r.fd);
}

/*
 * A daemon started with WATCHDOG_USEC=@usec (and WATCHDOG_PID=@pid, NULL:
 * none) keeps no watchdog: ready, then no ping in 300 ms.  @says, if not
 * NULL, is in its log, and "watchdog every" is not.
 */
static void expect_no_watchdog(const char *usec, const char *pid, const char *says)
{
	const char *args[] = { "-device", DEV, NULL };
	char msg[600], before[4096];
	struct dproc p;
	struct rx r;
	pid_t from;

	assert_int_equal(dproc_init(&p), 0);
	rx_open(&r, &p, false);
	start(&p, r.name, args, "WATCHDOG_USEC", usec, pid ? "WATCHDOG_PID" : NULL, pid, NULL);
	wait_ready(&r, msg, sizeof(msg), &from, before, sizeof(before));
	if (says) {
		assert_non_null(strstr(dproc_log(&p), says));
		assert_null(strstr(dproc_log(&p), "watchdog every"));
	}
	assert_int_equal(rx_next(&r, 300, msg, sizeof(msg), &from), -1);
	term_stops(&r, &p);
}

/*
 * WATCHDOG_USEC starts with a digit: strtoull() took a blank and a sign, so
 * "\t-18446744073709551615" was an interval of 1 us and the daemon pinged
 * at every loop round.  Now the daemon says the value is not a number,
 * keeps no watchdog, and serves.
 */
static void test_a_watchdog_interval_with_a_blank_and_a_sign_is_refused(void **state)
{
	(void)state;
	expect_no_watchdog("\t-18446744073709551615", NULL, "WATCHDOG_USEC is not a positive number");
}

static void test_watchdog_pings_at_half_the_interval(void **state)
{
	const char *args[] = { "-device", DEV, NULL };
	char msg[600], before[4096];
	double t0, last, max_gap = 0;
	int pings = 0;
	struct dproc p;
	struct rx r;
	pid_t from;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	rx_open(&r, &p, false);
	/* 400 ms: a ping every 200 ms, 10 in 2 s. */
	start(&p, r.name, args, "WATCHDOG_USEC", "400000", NULL);
	wait_ready(&r, msg, sizeof(msg), &from, before, sizeof(before));
	assert_non_null(strstr(dproc_log(&p), "notifying the service manager (watchdog every 200 ms)"));
	t0 = last = now_s();
	while (now_s() - t0 < 2.0) {
		if (rx_next(&r, 100, msg, sizeof(msg), &from) < 0)
			continue;
		assert_string_equal(msg, "WATCHDOG=1");
		assert_int_equal(from, p.pid);
		if (now_s() - last > max_gap)
			max_gap = now_s() - last;
		last = now_s();
		pings++;
	}
	print_message("%d pings in 2 s, longest gap %.0f ms\n", pings, max_gap * 1000);
	assert_in_range(pings, 6, 14);
	/* systemd kills the service when a whole interval passes without one. */
	assert_true(max_gap < 0.4);
	term_stops(&r, &p);
}

/*
 * A clean stop with --state writes a snapshot (docs/persistence.md,
 * "Shutdown"): after STOPPING=1 the daemon says so and asks for more time
 * to stop (TimeoutStopSec=), with a watchdog ping, then exits 0.  Before,
 * the stop wrote nothing and STOPPING=1 was the last message.
 */
static void test_stopping_then_more_time_for_the_snapshot(void **state)
{
	const char *args[] = { "-device", DEV, "--fm", NULL, "--state", NULL, NULL };
	char msg[600], before[4096];
	struct qmp_client *c;
	struct dproc p;
	struct rx r;
	pid_t from;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	args[3] = p.fm_arg;
	args[5] = p.state;
	assert_int_equal(dproc_start(&p, args), 0);        /* a store with this configuration */
	assert_non_null(c = dproc_connect(&p, 10000));
	json_decref(qmp_client_cmd(c, "{\"execute\":\"quit\"}", 10000));
	qmp_client_free(c);
	assert_int_equal(dproc_wait_exit(&p, 10000), 0);
	journal_append_policies(p.state, 100, 1);          /* records after no snapshot */
	rx_open(&r, &p, false);
	start(&p, r.name, args, "WATCHDOG_USEC", "2000000", NULL);
	wait_ready(&r, msg, sizeof(msg), &from, before, sizeof(before));
	term_expect_stopping(&r, p.pid);
	do {
		if (rx_next(&r, 10000, msg, sizeof(msg), &from) < 0)
			fail_msg("nothing after STOPPING=1: %s", dproc_log(&p));
	} while (!strcmp(msg, "WATCHDOG=1"));
	assert_string_equal(msg, "STATUS=shutting down: writing the state snapshot\nEXTEND_TIMEOUT_USEC=30000000");
	assert_int_equal(from, p.pid);
	if (rx_next(&r, 10000, msg, sizeof(msg), &from) < 0)
		fail_msg("no watchdog ping before the snapshot");
	assert_string_equal(msg, "WATCHDOG=1");
	assert_int_equal(dproc_wait_exit(&p, 10000), 0);
	assert_non_null(strstr(dproc_log(&p), "written at stop (journal seq=100,"));
	close(r.fd);
}

static void test_no_watchdog_for_another_watchdog_pid(void **state)
{
	(void)state;
	expect_no_watchdog("20000", "1", NULL);
}

static void test_abstract_notify_socket(void **state)
{
	const char *args[] = { "-device", DEV, NULL };
	char msg[600], before[4096];
	struct dproc p;
	struct rx r;
	pid_t from;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	rx_open(&r, &p, true);
	assert_int_equal(r.name[0], '@');
	start(&p, r.name, args, NULL);
	wait_ready(&r, msg, sizeof(msg), &from, before, sizeof(before));
	assert_int_equal(from, p.pid);
	term_stops(&r, &p);
}

/* QMP answers within a second, three times, and quit stops the daemon with 0. */
static void serves_then_quits(struct dproc *p)
{
	struct qmp_client *c = dproc_connect(p, 10000);

	assert_non_null(c);
	for (int i = 0; i < 3; i++) {
		json_t *rsp = qmp_client_cmd(c, "{\"execute\":\"query-cxl-devices\"}", 1000);

		assert_non_null(rsp);
		assert_non_null(json_object_get(rsp, "return"));
		json_decref(rsp);
		usleep(100000);
	}
	json_decref(qmp_client_cmd(c, "{\"execute\":\"quit\"}", 10000));
	qmp_client_free(c);
	assert_int_equal(dproc_wait_exit(p, 10000), 0);
}

static void test_missing_or_bad_notify_socket_does_not_stop_the_daemon(void **state)
{
	const char *args[] = { "-device", DEV, NULL };
	char path[100];
	struct dproc p;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(path, sizeof(path), "%s/nobody-listens", p.dir);
	start(&p, path, args, "WATCHDOG_USEC", "2000", NULL);     /* a ping every ms, each refused */
	serves_then_quits(&p);

	assert_int_equal(dproc_init(&p), 0);
	start(&p, "relative/notify", args, NULL);
	serves_then_quits(&p);
	assert_non_null(strstr(dproc_log(&p), "NOTIFY_SOCKET is not an absolute path or @name of at "
				"most 107 bytes: 'relative/notify': ignored"));
}

static void test_full_notify_socket_does_not_stall_the_daemon(void **state)
{
	const char *args[] = { "-device", DEV, NULL };
	struct dproc p;
	struct rx r;
	int small = 1;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	rx_open(&r, &p, false);
	assert_int_equal(setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	/* A ping every ms into a socket nobody reads: full after a few. */
	start(&p, r.name, args, "WATCHDOG_USEC", "2000", NULL);
	usleep(300000);
	serves_then_quits(&p);
	close(r.fd);
}

/*
 * RuntimeDirectory=: default sockets go to $RUNTIME_DIRECTORY (its first
 * directory), not $XDG_RUNTIME_DIR/cxldcd; one others may read is refused.
 */
static void test_default_sockets_in_runtime_directory(void **state)
{
	const char *args[] = { "-device", DEV, NULL };
	char rt[100], list[220], want[200];
	struct dproc p;
	int fd;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(rt, sizeof(rt), "%s/rt", p.dir);
	assert_int_equal(mkdir(rt, 0700), 0);
	snprintf(list, sizeof(list), "%s:%s/other", rt, p.dir);
	start(&p, NULL, args, "RUNTIME_DIRECTORY", list, NULL);
	snprintf(want, sizeof(want), "%s/fm.sock", rt);
	fd = dproc_connect_unix(want, 10000);
	assert_true(fd >= 0);
	close(fd);
	snprintf(want, sizeof(want), "host link: listening on unix:%s/host.sock (device d0)", rt);
	/* The host link listens after the FM socket: its line may come a moment later. */
	for (int i = 0; i < 1000 && !strstr(dproc_log(&p), want); i++)
		usleep(10000);
	assert_non_null(strstr(dproc_log(&p), want));
	serves_then_quits(&p);

	assert_int_equal(dproc_init(&p), 0);
	snprintf(rt, sizeof(rt), "%s/rt", p.dir);
	assert_int_equal(mkdir(rt, 0700), 0);
	assert_int_equal(chmod(rt, 0755), 0);
	start(&p, NULL, args, "RUNTIME_DIRECTORY", rt, NULL);
	assert_int_equal(dproc_wait_exit(&p, 10000), 1);
	snprintf(want, sizeof(want), "runtime directory %s: not a private directory owned by this user",
		 rt);
	assert_non_null(strstr(dproc_log(&p), want));
}

static int teardown(void **state)
{
	if (daemon_child > 0)
		kill(daemon_child, SIGKILL);
	daemon_child = 0;
	return dproc_reap_all(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ready_once_the_fm_socket_answers_then_stopping_on_sigterm,
					  teardown),
		cmocka_unit_test_teardown(test_ready_only_after_the_journal_replayed, teardown),
		cmocka_unit_test_teardown(test_watchdog_and_progress_while_the_snapshot_loads, teardown),
		cmocka_unit_test_teardown(test_stopping_then_more_time_for_the_snapshot, teardown),
		cmocka_unit_test_teardown(test_watchdog_while_one_device_restores, teardown),
		cmocka_unit_test_teardown(test_daemonize_names_the_child_in_mainpid, teardown),
		cmocka_unit_test_teardown(test_watchdog_pings_at_half_the_interval, teardown),
		cmocka_unit_test_teardown(test_a_watchdog_interval_with_a_blank_and_a_sign_is_refused, teardown),
		cmocka_unit_test_teardown(test_no_watchdog_for_another_watchdog_pid, teardown),
		cmocka_unit_test_teardown(test_abstract_notify_socket, teardown),
		cmocka_unit_test_teardown(test_missing_or_bad_notify_socket_does_not_stop_the_daemon,
					  teardown),
		cmocka_unit_test_teardown(test_full_notify_socket_does_not_stall_the_daemon, teardown),
		cmocka_unit_test_teardown(test_default_sockets_in_runtime_directory, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
