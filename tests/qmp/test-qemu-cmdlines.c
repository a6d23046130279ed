// SPDX-License-Identifier: MIT
/*
 * test-qemu-cmdlines.c - real QEMU command lines with CXL devices, pasted
 * after "cxldcd" as users paste them (docs/cmdline.md, "QEMU command lines
 * that work as pasted"; the lines are in qemu-lines.c).  Each line is kept
 * as its source wrote it; only file paths are moved into a temp directory
 * (@ in the text) and a TCP port becomes 0.  No QEMU runs: the real daemon
 * ($CXLDCD) does.
 *
 * A line that starts must say where every socket is (QMP, FM, MCTP CCI, host
 * link), each must answer (QMP: qmp_capabilities, query-version,
 * query-cxl-dynamic-capacity; FM and MCTP CCI: Identify 0001h; host link:
 * HELLO through libcxldcd-host), and SIGINT, SIGTERM and QMP quit must each
 * stop it with status 0 and its sockets removed.  A line that is refused must
 * exit 2 with one line naming the option and why, and leave nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cxldcd/cxldcd-host.h"
#include "dproc.h"
#include "qmp-client.h"
#include "qemu-lines.h"

#define TMO 5000
#define MAX_ARGS 128

enum stop { STOP_SIGINT, STOP_SIGTERM, STOP_QUIT };

/* ---- a daemon in a temp directory ------------------------------------- */

struct run {
	pid_t pid;
	char dir[64];
	char log[96];
	char *argv[MAX_ARGS + 2];
	int argc;
	char words[8192];
	bool xdg;               /* XDG_RUNTIME_DIR=dir, or no XDG_RUNTIME_DIR at all */
};

/* Split @text as sh would ('' and "" group, no escapes), '@' -> @dir, into r->argv[1..]. */
static void split_line(struct run *r, const char *text)
{
	char *w = r->words, *end = r->words + sizeof(r->words) - 1;
	const char *s = text;

	r->argc = 1;
	while (*s) {
		char quote = 0;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		assert_true(r->argc < MAX_ARGS);
		r->argv[r->argc++] = w;
		for (; *s && (quote || *s != ' '); s++) {
			if (!quote && (*s == '"' || *s == '\'')) {
				quote = *s;
			} else if (quote && *s == quote) {
				quote = 0;
			} else if (*s == '@') {
				size_t n = strlen(r->dir);

				assert_true(w + n < end);
				memcpy(w, r->dir, n);
				w += n;
			} else {
				assert_true(w < end);
				*w++ = *s;
			}
		}
		*w++ = 0;
	}
	r->argv[r->argc] = NULL;
}

static const char *binary(void)
{
	const char *b = getenv("CXLDCD");

	return b ? b : "cxldcd";
}

static void spawn(struct run *r);

/* Start cxldcd with @text (and @extra, NULL or one more argument pair) in a fresh temp dir. */
static void start(struct run *r, const char *text, const char *const *extra, bool xdg)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/cxldcd-paste-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	dproc_track_dir(r->dir);
	snprintf(r->log, sizeof(r->log), "%s/stderr.log", r->dir);
	split_line(r, text);
	r->argv[0] = (char *)binary();
	for (; extra && *extra; extra++)
		r->argv[r->argc++] = (char *)*extra;
	r->argv[r->argc] = NULL;
	r->xdg = xdg;
	spawn(r);
}


/* Run the daemon with r->argv in r->dir (again after a stop: a restart). */
static void spawn(struct run *r)
{
	int fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);   /* no old log read as new */

	assert_true(fd >= 0);
	close(fd);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		int out = open(r->log, O_WRONLY | O_APPEND);
		char path[4096];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(path, sizeof(path), "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
		/* a root shell on a fresh machine: a clean environment (env -i), with or without XDG */
		clearenv();
		putenv(path);
		setenv("HOME", r->dir, 1);
		if (r->xdg)
			setenv("XDG_RUNTIME_DIR", r->dir, 1);
		dup2(out, 2);
		dup2(out, 1);
		if (chdir(r->dir) != 0)
			_exit(126);
		execv(r->argv[0], r->argv);
		_exit(127);
	}
	dproc_track_pid(r->pid);
}

static int wait_exit(struct run *r, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		int st;

		if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
			r->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		usleep(10000);
	}
	return -1;
}

static const char *read_log(const struct run *r)
{
	static char buf[65536];
	FILE *f = fopen(r->log, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

/* Wait until the log says the device is up ("device ID (/machine/peripheral/ID)"). */
static void wait_ready(struct run *r, const char *device)
{
	char want[160];

	snprintf(want, sizeof(want), "device %s (/machine/peripheral/%s)", device, device);
	for (int waited = 0; waited < 10000; waited += 10) {
		if (strstr(read_log(r), want))
			return;
		assert_int_equal(waitpid(r->pid, NULL, WNOHANG), 0);   /* still running */
		usleep(10000);
	}
	fprintf(stderr, "%s\n", read_log(r));
	fail_msg("no '%s' in the log", want);
}

/* ---- what the log announces ------------------------------------------- */

/* The sockets the log announces, in order: [0] serves the first -device. */
struct announced {
	char qmp[4][256];       /* "unix:PATH" or "tcp:HOST:PORT" */
	int nr_qmp;
	char fm[4][256], mctp[4][256], host[4][256];
	int nr_fm, nr_mctp, nr_host;
};

static void copy_word(char *dst, size_t len, const char *from)
{
	size_t n = strcspn(from, " \n");

	assert_true(n < len);
	memcpy(dst, from, n);
	dst[n] = 0;
}

static void parse_announced(const char *log, struct announced *a)
{
	static const char *const label[] = { "qmp: listening on ", "fm: listening on ",
					     "mctp-cci: listening on ", "host link: listening on " };

	memset(a, 0, sizeof(*a));
	for (const char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		for (size_t k = 0; k < 4; k++) {
			const char *at = strstr(l, label[k]);
			const char *eol = strchr(l, '\n');

			if (!at || (eol && at > eol))
				continue;
			at += strlen(label[k]);
			if (k == 0 && a->nr_qmp < 4)
				copy_word(a->qmp[a->nr_qmp++], sizeof(a->qmp[0]), at);
			else if (k == 1 && a->nr_fm < 4)
				copy_word(a->fm[a->nr_fm++], sizeof(a->fm[0]), at);
			else if (k == 2 && a->nr_mctp < 4)
				copy_word(a->mctp[a->nr_mctp++], sizeof(a->mctp[0]), at);
			else if (k == 3 && a->nr_host < 4)
				copy_word(a->host[a->nr_host++], sizeof(a->host[0]), at);
		}
	}
}

static struct qmp_client *qmp_connect(const char *addr)
{
	struct qmp_client *c = NULL;

	if (!strncmp(addr, "unix:", 5)) {
		assert_int_equal(qmp_client_connect_unix(addr + 5, TMO, &c), 0);
	} else {
		const char *colon = strrchr(addr, ':');
		char host[64];

		assert_non_null(colon);
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 4), addr + 4);
		assert_int_equal(qmp_client_connect_tcp(host, atoi(colon + 1), TMO, &c), 0);
	}
	assert_int_equal(qmp_client_negotiate(c, TMO), 0);
	return c;
}

static void expect_return(json_t *r)
{
	assert_non_null(r);
	if (!json_object_get(r, "return"))
		fail_msg("error: %s", qmp_client_err_desc(r));
	json_decref(r);
}

static void check_qmp(const char *addr, const char *device)
{
	struct qmp_client *c = qmp_connect(addr);

	expect_return(qmp_client_cmd(c, "{\"execute\":\"query-version\"}", TMO));
	expect_return(qmp_client_cmdf(c, TMO, "{\"execute\":\"query-cxl-dynamic-capacity\","
				      "\"arguments\":{\"path\":\"/machine/peripheral/%s\"}}", device));
	qmp_client_free(c);
}

/* Identify (0001h) over a raw CCI stream (FM or MCTP CCI socket): a Success response. */
static void check_cci(const char *addr)
{
	const uint8_t req[12] = { 0, 0x5a, 0, 0x01, 0x00 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t rsp[12 + 64];
	struct timeval tv = { .tv_sec = 5 };
	size_t got = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(!strncmp(addr, "unix:", 5));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", addr + 5);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, sizeof(req)), (ssize_t)sizeof(req));
	while (got < 12) {
		ssize_t n = read(fd, rsp + got, sizeof(rsp) - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
	close(fd);
	assert_int_equal(rsp[0] & 0xf, 1);              /* Response */
	assert_int_equal(rsp[1], 0x5a);                 /* tag echoed */
	assert_int_equal(rsp[3] | rsp[4] << 8, 0x0001); /* opcode echoed */
	assert_int_equal(rsp[8] | rsp[9] << 8, 0);      /* Success */
}

/* A host (LD-ID 0) connects over the host link and finishes bring-up. */
static void check_host(const char *addr)
{
	struct cxldcd_host_cfg cfg = { .socket_path = addr + 5, .host_id = 0 };
	struct cxldcd_host *h = NULL;

	assert_true(!strncmp(addr, "unix:", 5));
	assert_int_equal(cxldcd_host_new(&cfg, &h), 0);
	assert_int_equal(cxldcd_host_wait_ready(h, TMO), 0);
	cxldcd_host_free(h);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---- the checks --------------------------------------------------------- */

/* Start @p, check every announced socket, stop it by @how; return the run (stopped). */
static void start_check_stop(const struct pasted *p, enum stop how, bool xdg, struct run *r)
{
	struct announced a;
	struct qmp_client *quit = NULL;
	const char *log;
	char want[128];

	int nr_dev = p->device2 ? 2 : 1;

	start(r, p->line, NULL, xdg);
	wait_ready(r, p->device);
	if (p->device2)
		wait_ready(r, p->device2);
	log = read_log(r);
	parse_announced(log, &a);
	/* one QMP socket; an FM, an MCTP CCI and a host-link socket per device */
	assert_int_equal(a.nr_qmp, 1);
	assert_int_equal(a.nr_fm, nr_dev);
	assert_int_equal(a.nr_mctp, nr_dev);
	assert_int_equal(a.nr_host, nr_dev);
	check_qmp(a.qmp[0], p->device);
	if (p->device2)
		check_qmp(a.qmp[0], p->device2);
	for (int i = 0; i < nr_dev; i++) {
		check_cci(a.fm[i]);
		check_cci(a.mctp[i]);
		check_host(a.host[i]);
	}
	/* nothing refused or failed on the way */
	assert_null(strstr(log, "error"));
	switch (how) {
	case STOP_SIGINT:
		kill(r->pid, SIGINT);
		break;
	case STOP_SIGTERM:
		kill(r->pid, SIGTERM);
		break;
	case STOP_QUIT:
		quit = qmp_connect(a.qmp[0]);
		expect_return(qmp_client_cmd(quit, "{\"execute\":\"quit\"}", TMO));
		break;
	}
	assert_int_equal(wait_exit(r, TMO), 0);
	qmp_client_free(quit);
	log = read_log(r);
	snprintf(want, sizeof(want), "%s, shutting down",
		 how == STOP_SIGINT ? "received Interrupt" :
		 how == STOP_SIGTERM ? "received Terminated" : "quit");
	if (how != STOP_QUIT)
		assert_non_null(strstr(log, want));
	/* every Unix socket announced is gone */
	for (int i = 0; i < a.nr_qmp; i++)
		assert_false(!strncmp(a.qmp[i], "unix:", 5) && exists(a.qmp[i] + 5));
	for (int i = 0; i < nr_dev; i++) {
		assert_false(exists(a.fm[i] + 5));
		assert_false(exists(a.mctp[i] + 5));
		assert_false(exists(a.host[i] + 5));
	}
}

/* The mem-path files of @p exist (QEMU creates a missing one, and so do we) and stay. */
static void check_files(const struct pasted *p, const struct run *r)
{
	char list[256], path[160], *save = NULL;

	if (!p->files)
		return;
	snprintf(list, sizeof(list), "%s", p->files);
	for (char *f = strtok_r(list, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
		snprintf(path, sizeof(path), "%s/%s", r->dir, f);
		if (!exists(path))
			fail_msg("%s: mem-path %s was not kept", p->source, path);
	}
}

/* Every line that starts: sockets announced and answering, each stop clean. */
static void test_pasted_lines_start_answer_and_stop_cleanly(void **state)
{
	static const enum stop stops[] = { STOP_SIGINT, STOP_SIGTERM, STOP_QUIT };

	(void)state;
	for (size_t i = 0; i < nr_qemu_lines; i++) {
		if (!qemu_lines[i].device)
			continue;
		for (size_t s = 0; s < 3; s++) {
			struct run r;

			print_message("%s, stopped by %s\n", qemu_lines[i].source,
				      s == 0 ? "SIGINT" : s == 1 ? "SIGTERM" : "quit");
			start_check_stop(&qemu_lines[i], stops[s], true, &r);
			check_files(&qemu_lines[i], &r);
			dproc_reap_all(NULL);
		}
	}
}

/* Every refused line: status 2, one line naming the option and why, nothing made. */
static void test_refused_lines_say_why_and_leave_nothing(void **state)
{
	(void)state;
	for (size_t i = 0; i < nr_qemu_lines; i++) {
		struct run r;
		const char *log;
		DIR *d;
		struct dirent *e;

		if (qemu_lines[i].device)
			continue;
		print_message("%s\n", qemu_lines[i].source);
		start(&r, qemu_lines[i].line, NULL, true);
		assert_int_equal(wait_exit(&r, TMO), 2);
		log = read_log(&r);
		if (!strstr(log, qemu_lines[i].refused))
			fail_msg("%s: no '%s' in '%s'", qemu_lines[i].source, qemu_lines[i].refused, log);
		assert_int_equal(strncmp(log, "cxldcd: ", 8), 0);
		assert_ptr_equal(strchr(log, '\n'), log + strlen(log) - 1);     /* one line */
		/* nothing half-started: no runtime directory, socket or mem-path file */
		d = opendir(r.dir);
		assert_non_null(d);
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    strcmp(e->d_name, "stderr.log"))
				fail_msg("%s: %s/%s was left behind", qemu_lines[i].source, r.dir, e->d_name);
		closedir(d);
		dproc_reap_all(NULL);
	}
}

/*
 * The ignored parts of a pasted line are said, each with why: the program
 * name, the guest's options and devices, the MCTP links, QEMU's -trace and
 * HMP monitor, the unused -chardev, the machine and topology; a backend no
 * device uses is named.
 */
static void test_ignored_options_are_noted_with_why(void **state)
{
	static const char *const notes[] = {
		"ignoring qemu-system-x86_64: QEMU's program name",
		"ignoring -cpu max: an option of QEMU's guest",
		"ignoring -append console=ttyS0,115200 TERM=linux",
		"ignoring -nographic: an option of QEMU's guest",
		"ignoring -serial mon:stdio: an option of QEMU's guest",
		"ignoring -device virtio-net,netdev=network0: a device of QEMU's guest",
		"ignoring -machine type=q35,accel=tcg: a standalone device has no machine",
		"ignoring -netdev user,id=network0,hostfwd=tcp::2025-:22: an option of QEMU's guest",
		/* made, but the line's cxl-type3 takes its memory by tag */
		"backend vmem0: no -device uses it and it has no tag, so it serves nothing",
	};
	struct run r;
	const char *log;

	(void)state;
	start(&r, qemu_lines[1].line, NULL, true);
	wait_ready(&r, qemu_lines[1].device);
	log = read_log(&r);
	for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
		if (!strstr(log, notes[i]))
			fail_msg("no '%s' in:\n%s", notes[i], log);
	kill(r.pid, SIGTERM);
	assert_int_equal(wait_exit(&r, TMO), 0);
	dproc_reap_all(NULL);

	start(&r, qemu_lines[3].line, NULL, true);
	wait_ready(&r, qemu_lines[3].device);
	log = read_log(&r);
	assert_non_null(strstr(log, "ignoring -device usb-cxl-mctp,bus=ehci.0,id=usb1,target=cxl-dcd0: "
			       "QEMU's MCTP link into the guest: cxldcd serves the device's MCTP CCI on a "
			       "socket (--mctp-cci, --mctp-serial)"));
	assert_non_null(strstr(log, "ignoring -device cxl-upstream,port=2,sn=1234,bus=cxl_rp_port0,"
			       "id=us0,addr=0.0,multifunction=on,: a standalone device"));
	kill(r.pid, SIGINT);
	assert_int_equal(wait_exit(&r, TMO), 0);
	dproc_reap_all(NULL);

	start(&r, qemu_lines[5].line, NULL, true);
	wait_ready(&r, qemu_lines[5].device);
	assert_non_null(strstr(read_log(&r), "ignoring -monitor telnet:127.0.0.1:12345,server,nowait: "
			       "QEMU's human monitor (HMP): cxldcd speaks QMP only"));
	kill(r.pid, SIGINT);
	assert_int_equal(wait_exit(&r, TMO), 0);
}

/*
 * A line with no cxl-type3 (a plain guest's, or only options) starts a
 * daemon with nothing to serve but QMP: the log says so, and why there is
 * no default device.
 */
static void test_a_line_without_a_device_says_so(void **state)
{
	static const char want[] = "no device: the command line has no -device cxl-type3, so there is "
				   "nothing to serve but QMP (the default device comes only with no "
				   "arguments at all)";
	struct run r;

	(void)state;
	start(&r, "qemu-system-x86_64 -m 4G -nographic --log-level info", NULL, true);
	for (int waited = 0; !strstr(read_log(&r), "start: ready"); waited += 10) {
		if (waited > 10000)
			fail_msg("no start line in:\n%s", read_log(&r));
		assert_int_equal(waitpid(r.pid, NULL, WNOHANG), 0);
		usleep(10000);
	}
	if (!strstr(read_log(&r), want))
		fail_msg("no '%s' in:\n%s", want, read_log(&r));
	kill(r.pid, SIGTERM);
	assert_int_equal(wait_exit(&r, TMO), 0);
}

static const struct pasted *line_of(const char *source)
{
	for (size_t i = 0; i < nr_qemu_lines; i++)
		if (!strcmp(qemu_lines[i].source, source))
			return &qemu_lines[i];
	fail_msg("no line '%s'", source);
	return NULL;
}

/*
 * The properties a pasted line's cxl-type3 or QMP socket has that change
 * nothing here are said, each with why; an IPv4-only QMP socket is bound
 * to 127.0.0.1.
 */
static void test_ignored_properties_are_noted_with_why(void **state)
{
	const struct pasted *fm = line_of("cxl-test-tool FM_TARGET (allow-fm-attach)");
	const struct pasted *chmu = line_of("CHMU port");
	const struct pasted *v4 = line_of("QMP on TCP, IPv4 only");
	struct announced a;
	struct run r;
	const char *log;

	(void)state;
	start(&r, fm->line, NULL, true);
	wait_ready(&r, fm->device);
	log = read_log(&r);
	if (!strstr(log, "ignoring allow-fm-attach=on (-device cxl-type3,bus=swport2,"
		    "volatile-dc-memdev=cxl-mem2,id=cxl-dcd0,lsa=cxl-lsa2,num-dc-regions=1,sn=99,"
		    "allow-fm-attach=on,mctp-buf-init=on): the MCTP-over-QMP RFC's switch that lets a "
		    "fabric manager in another QEMU reach the device: cxldcd always serves the FM-API, "
		    "on --fm and --mctp-cci") ||
	    !strstr(log, "ignoring mctp-buf-init=on (-device cxl-type3,") ||
	    !strstr(log, "(/mctp-message-buf)"))
		fail_msg("no note of allow-fm-attach and mctp-buf-init in:\n%s", log);
	kill(r.pid, SIGTERM);
	assert_int_equal(wait_exit(&r, TMO), 0);
	dproc_reap_all(NULL);

	start(&r, chmu->line, NULL, true);
	wait_ready(&r, chmu->device);
	log = read_log(&r);
	if (!strstr(log, "ignoring chmu-port=4443 (-device cxl-type3,") ||
	    !strstr(log, "hotness monitoring unit (CHMU)"))
		fail_msg("no note of chmu-port in:\n%s", log);
	kill(r.pid, SIGTERM);
	assert_int_equal(wait_exit(&r, TMO), 0);
	dproc_reap_all(NULL);

	start(&r, v4->line, NULL, true);
	wait_ready(&r, v4->device);
	log = read_log(&r);
	parse_announced(log, &a);
	assert_int_equal(a.nr_qmp, 1);
	assert_int_equal(strncmp(a.qmp[0], "tcp:127.0.0.1:", 14), 0);
	if (!strstr(log, "ignoring nodelay=on (-qmp tcp:localhost:0,server=on,wait=off,ipv4=on,"
		    "nodelay=on): cxldcd always sets TCP_NODELAY"))
		fail_msg("no note of nodelay in:\n%s", log);
	kill(r.pid, SIGTERM);
	assert_int_equal(wait_exit(&r, TMO), 0);
}

/* The first bytes QMP sends on the TCP @addr ("tcp:[::1]:PORT" or "tcp:127.0.0.1:PORT"). */
static void expect_greeting(const char *addr)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct timeval tv = { .tv_sec = 5 };
	const char *colon = strrchr(addr, ':');
	char buf[64] = "";
	socklen_t len;
	int fd;

	assert_non_null(colon);
	if (!strncmp(addr, "tcp:[::1]:", 10)) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)atoi(colon + 1));
		in6->sin6_addr = in6addr_loopback;
		len = sizeof(*in6);
	} else {
		assert_int_equal(strncmp(addr, "tcp:127.0.0.1:", 14), 0);
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)atoi(colon + 1));
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	assert_int_equal(strncmp(buf, "{\"QMP\"", 6), 0);
}

/*
 * QEMU's ipv6=/ipv4= choose the family bound (no host: the loopback
 * address of it), to= the ports tried after a busy one; IPv6-only on an
 * IPv4 address cannot listen (exit 1, with the resolver's reason).
 */
static void test_qmp_binds_the_family_and_ports_asked(void **state)
{
	static const char dev[] = "-object memory-backend-ram,id=vmem0,size=1G "
		"-device cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=vmem0 ";
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct announced a;
	struct run r;
	char text[512];
	unsigned busy, got;
	int fd;

	(void)state;
	snprintf(text, sizeof(text), "%s-qmp tcp::0,server=on,wait=off,ipv6=on", dev);
	start(&r, text, NULL, true);
	wait_ready(&r, "d0");
	parse_announced(read_log(&r), &a);
	assert_int_equal(strncmp(a.qmp[0], "tcp:[::1]:", 10), 0);
	expect_greeting(a.qmp[0]);
	kill(r.pid, SIGTERM);
	assert_int_equal(wait_exit(&r, TMO), 0);
	dproc_reap_all(NULL);

	/* a port in use, and to=: the next free one up to it */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	busy = ntohs(sa.sin_port);
	snprintf(text, sizeof(text), "%s-qmp tcp:127.0.0.1:%u,server,nowait,ipv4=on,to=%u", dev, busy,
		 busy + 8);
	start(&r, text, NULL, true);
	wait_ready(&r, "d0");
	parse_announced(read_log(&r), &a);
	assert_int_equal(strncmp(a.qmp[0], "tcp:127.0.0.1:", 14), 0);
	got = (unsigned)atoi(a.qmp[0] + 14);
	if (got <= busy || got > busy + 8)
		fail_msg("bound %u, not in %u..%u", got, busy + 1, busy + 8);
	expect_greeting(a.qmp[0]);
	kill(r.pid, SIGTERM);
	assert_int_equal(wait_exit(&r, TMO), 0);
	dproc_reap_all(NULL);
	/* without to=, the busy port stops the start */
	snprintf(text, sizeof(text), "%s-qmp tcp:127.0.0.1:%u,server,nowait", dev, busy);
	start(&r, text, NULL, true);
	assert_int_equal(wait_exit(&r, TMO), 1);
	assert_non_null(strstr(read_log(&r), "cannot listen: Address already in use"));
	dproc_reap_all(NULL);
	close(fd);

	/* an address of the other family: the resolver's reason, not a bind error */
	snprintf(text, sizeof(text), "%s-qmp tcp:127.0.0.1:0,server,nowait,ipv4=off", dev);
	start(&r, text, NULL, true);
	assert_int_equal(wait_exit(&r, TMO), 1);
	assert_non_null(strstr(read_log(&r),
			       "-qmp tcp:127.0.0.1:0: cannot listen: address resolution failed: "));
}

/* -mon mode=control on a -chardev socket is the QMP socket: no default qmp.sock beside it. */
static void test_chardev_mon_control_is_the_qmp_socket(void **state)
{
	struct run r;
	struct announced a;
	char want[160];

	(void)state;
	start(&r, qemu_lines[8].line, NULL, true);
	wait_ready(&r, qemu_lines[8].device);
	parse_announced(read_log(&r), &a);
	assert_int_equal(a.nr_qmp, 1);
	snprintf(want, sizeof(want), "unix:%s/qmp-mon.sock", r.dir);
	assert_string_equal(a.qmp[0], want);
	check_qmp(a.qmp[0], qemu_lines[8].device);
	snprintf(want, sizeof(want), "%s/cxldcd/qmp.sock", r.dir);
	assert_false(exists(want));
	kill(r.pid, SIGTERM);
	assert_int_equal(wait_exit(&r, TMO), 0);
	assert_false(exists(a.qmp[0] + 5));
}

/* --state after a pasted line: QMP quit writes the state, a restart reads it back. */
static void test_pasted_line_with_state_keeps_it_across_quit(void **state)
{
	const char *const extra[] = { "--state", "state", NULL };
	const struct pasted *p = &qemu_lines[0];
	struct run r;
	struct announced a;
	struct qmp_client *c;
	char dir[160];

	(void)state;
	start(&r, p->line, extra, true);
	wait_ready(&r, p->device);
	parse_announced(read_log(&r), &a);
	c = qmp_connect(a.qmp[0]);
	expect_return(qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO));
	assert_int_equal(wait_exit(&r, TMO), 0);
	qmp_client_free(c);
	snprintf(dir, sizeof(dir), "%s/state", r.dir);
	assert_true(exists(dir));
	assert_null(strstr(read_log(&r), "error"));
	/* the same line again: the state is read back, the device comes up as before */
	spawn(&r);        /* the same arguments, in the same directory */
	wait_ready(&r, p->device);
	assert_null(strstr(read_log(&r), "error"));
	kill(r.pid, SIGTERM);
	assert_int_equal(wait_exit(&r, TMO), 0);
}

/*
 * A root shell with a clean environment (env -i PATH=... HOME=...): no
 * XDG_RUNTIME_DIR, so the sockets go to /tmp/cxldcd-UID.  Skipped when
 * another daemon already serves there (the directory is shared).
 */
static bool live(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool ok;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void test_pasted_line_without_xdg_runtime_dir(void **state)
{
	static const char *const socks[] = { "qmp.sock", "fm.sock", "mctp.sock", "host.sock" };
	char probe[96];
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		snprintf(probe, sizeof(probe), "/tmp/cxldcd-%u/%s", (unsigned)getuid(), socks[i]);
		if (live(probe))
			skip();         /* a daemon of this user serves there */
	}
	start_check_stop(&qemu_lines[1], STOP_SIGINT, false, &r);
	assert_non_null(strstr(read_log(&r), "qmp: listening on tcp:127.0.0.1:"));
	assert_non_null(strstr(read_log(&r), "fm: listening on unix:/tmp/cxldcd-"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_pasted_lines_start_answer_and_stop_cleanly, dproc_reap_all),
		cmocka_unit_test_teardown(test_refused_lines_say_why_and_leave_nothing, dproc_reap_all),
		cmocka_unit_test_teardown(test_ignored_options_are_noted_with_why, dproc_reap_all),
		cmocka_unit_test_teardown(test_ignored_properties_are_noted_with_why, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_line_without_a_device_says_so, dproc_reap_all),
		cmocka_unit_test_teardown(test_qmp_binds_the_family_and_ports_asked, dproc_reap_all),
		cmocka_unit_test_teardown(test_chardev_mon_control_is_the_qmp_socket, dproc_reap_all),
		cmocka_unit_test_teardown(test_pasted_line_with_state_keeps_it_across_quit, dproc_reap_all),
		cmocka_unit_test_teardown(test_pasted_line_without_xdg_runtime_dir, dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("qemu-cmdlines", tests, NULL, NULL);
}
