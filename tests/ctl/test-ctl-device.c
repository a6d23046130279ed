/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-device.c - integration: the cxldcd-ctl commands that draw or
 * poke a device, run as child processes against the real cxldcd on
 * temporary sockets: map (text and SVG) and top (in a real terminal), raw
 * QMP, cci (a CCI command by opcode or name), and inject-event,
 * inject-poison and the AER injections, read back by a host.  The capacity
 * commands, backends, events and errors are tested in test-ctl-cli.c.
 */
#include <dirent.h>
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

#include "dev-util.h"
#include "ctl-run.h"

/* ---- map, top ------------------------------------------------------------------ */

#define TAG_C "a1b2c3d4-0000-4000-8000-000000000001"

static const char *const sharable_dev[] = {
	"-device", "cxl-type3,id=cxl-vmem0,num-dc-regions=2,dc-regions-total-size=4G,num-hosts=2,"
		   "sharable=on",
	NULL
};

/*
 * Region 0: tag A at 0 (512M) held by host 0 and shared with host 1, tag C
 * at 1G (512M) held by host 0 alone; region 1: 1G of tag B offered to host 1.
 */
static void map_scene(struct dproc *p, struct qmp_client *c)
{
	OK(p, "backend-add", "ram", "tm0", "512M", "--tag", TAG_A);
	OK(p, "backend-add", "ram", "tm1", "1G", "--tag", TAG_B);
	OK(p, "backend-add", "ram", "tm2", "512M", "--tag", TAG_C);
	OK(p, "add", "--device", "cxl-vmem0", "--host", "0", "--tag", TAG_A, "--extent", "0:512M");
	assert_int_equal(host_answer_all(c, VMEM, 0), 1);
	OK(p, "add", "--device", "cxl-vmem0", "--host", "0", "--tag", TAG_C, "--extent", "1G:512M");
	assert_int_equal(host_answer_all(c, VMEM, 0), 1);
	OK(p, "add", "--device", "cxl-vmem0", "--host", "1", "--policy", "enable-shared-access",
	   "--tag", TAG_A);
	assert_int_equal(host_answer_all(c, VMEM, 1), 1);
	OK(p, "add", "--device", "cxl-vmem0", "--host", "1", "--region", "1", "--tag", TAG_B, "--size",
	   "1G");
}

/* The number of names in @dir, other than . and .. */
static unsigned entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/*
 * The rects of @svg that stand for extents, one line each, sorted:
 * class:host(s):dpa:x:width (caller frees).  Parsing it as XML also checks
 * it is well-formed.
 */
static char *svg_rects(const char *svg)
{
	char cmd[1024], *text;
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys, xml.etree.ElementTree as E; "
		 "r = E.parse(sys.argv[1]).getroot(); "
		 "ns = \"{http://www.w3.org/2000/svg}\"; "
		 "x = [e.get(\"class\") + \":\" + e.get(\"data-host\", e.get(\"data-hosts\", \"\")) + \":\" + "
		 "e.get(\"data-dpa\", \"\") + \":\" + e.get(\"x\") + \":\" + e.get(\"width\") "
		 "for e in r.iter(ns + \"rect\") if e.get(\"data-dpa\")]; "
		 "print(\"\\n\".join(sorted(x)))' '%s' > '%s.txt'", svg, svg);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s.txt", svg);
	f = fopen(cmd, "r");
	assert_non_null(f);
	text = calloc(1, 4096);
	n = fread(text, 1, 4095, f);
	fclose(f);
	assert_true(n > 0);
	return text;
}

/*
 * Rendered: headless Chromium draws each extent in its colour where the
 * SVG puts it (scripts/check-svg-chromium.py; 77 = no Chromium here).
 * Nothing is left in the home directory (Chromium's crash-report
 * settings, dconf's cache): the checker gives Chromium a temporary one.
 */
static void check_svg_rendered(const char *dir, const char *svg)
{
	char cmd[1024];

	if (getenv("CXLDCD_SVG_CHECK")) {
		char home[200];
		int rc;

		snprintf(home, sizeof(home), "%s/home", dir);
		assert_int_equal(mkdir(home, 0700), 0);
		snprintf(cmd, sizeof(cmd),
			 "env -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u XDG_DATA_HOME HOME='%s' python3 '%s' '%s'",
			 home, getenv("CXLDCD_SVG_CHECK"), svg);
		rc = system(cmd);
		assert_true(WIFEXITED(rc));
		if (WEXITSTATUS(rc) == 77)
			print_message("map --svg: no Chromium installed, rendering not checked\n");
		else
			assert_int_equal(WEXITSTATUS(rc), 0);
		assert_int_equal(entries(home), 0);
	}
}

/* map draws who holds which part of each region; --svg writes the same, exact. */
static void test_map_draws_capacity_and_writes_svg(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct run *r;
	char svg[200];
	char *text;

	(void)state;
	c = start_dev(&p, sharable_dev);
	map_scene(&p, c);
	r = OK(&p, "map", "--width", "16");
	assert_string_equal(r->out,
		"device cxl-vmem0  2 region(s)  2 host(s)   0-9a-z host holding it, * shared, + offered, . free\n"
		"\n"
		"region 0  2G at 0x0, block 2M, 1G allocated, sharable\n"
		"  |****....0000....|\n"
		"  0x0     0x80000000\n"
		"\n"
		"region 1  2G at 0x80000000, block 2M, 1G allocated, sharable\n"
		"  |++++++++........|\n"
		"  0x80000000 0x100000000\n"
		"\n"
		"hosts\n"
		"  0  host 0  disconnected  holds 1G, offered 0\n"
		"  1  host 1  disconnected  holds 512M, offered 1G\n"
		"\n"
		"tags\n"
		"  " TAG_A "  tm0  512M\n"
		"      host 0  0x0+512M  accepted\n"
		"      host 1  0x0+512M  accepted\n"
		"  " TAG_C "  tm2  512M\n"
		"      host 0  0x40000000+512M  accepted\n"
		"  " TAG_B "  tm1  1G\n"
		"      host 1  0x80000000+1G  offered\n");
	/* colours only when asked (stdout is a pipe here) */
	r = OK(&p, "map", "--width", "16", "--color", "always");
	assert_non_null(strstr(r->out, "|\033[1;7m*\033[0m"));
	assert_non_null(strstr(r->out, "\033[41;97m0\033[0m"));

	snprintf(svg, sizeof(svg), "%s/map.svg", p.dir);
	r = OK(&p, "map", "--svg", svg);
	assert_non_null(strstr(r->out, "wrote "));
	/* well-formed XML, and the rects say what the device holds */
	text = svg_rects(svg);
	/* bar 770 px from x=170: 1G of a 2G region starts at 555 */
	assert_string_equal(text,
		"extent accepted:0:0:170.000:192.500\n"
		"extent accepted:0:1073741824:555.000:192.500\n"
		"extent accepted:1:0:170.000:192.500\n"
		"extent offered:1:2147483648:170.000:385.000\n"
		"shared:0,1:0:170.000:192.500\n");
	free(text);
	check_svg_rendered(p.dir, svg);
	qmp_client_free(c);
}

/* Run @cmd through sh; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* What tmux shows of the pane (its own server on @sock); a static buffer. */
static const char *pane(const char *sock)
{
	static char buf[16384];
	char path[300];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s.pane", sock);
	buf[0] = 0;
	if (sh("tmux -S '%s' capture-pane -p -t top > '%s' 2>/dev/null", sock, path) == 0 &&
	    (f = fopen(path, "r"))) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

static bool pane_shows(const char *sock, const char *what)
{
	for (int i = 0; i < TMO / 50; i++) {
		if (strstr(pane(sock), what))
			return true;
		usleep(50000);
	}
	return false;
}

/* top in a real terminal (tmux): the map redrawn when capacity changes, events below, q quits. */
static void test_top_redraws_on_events_in_a_terminal(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	char sock[200];

	(void)state;
	if (sh("command -v tmux >/dev/null") != 0) {
		print_message("tmux not installed (scripts/install-deps.sh installs it): skipped\n");
		skip();
	}
	c = start_dev(&p, sharable_dev);
	snprintf(sock, sizeof(sock), "%s/tmux.sock", p.dir);
	assert_int_equal(sh("tmux -S '%s' new-session -d -s top -x 100 -y 40 \"'%s' --qmp unix:%s top "
			    "--width 16 --color never\"", sock, ctl_bin(), p.qmp), 0);
	if (!pane_shows(sock, "(none yet)"))
		fail_msg("top did not draw:\n%s", pane(sock));
	assert_non_null(strstr(pane(sock), "|................|"));
	map_scene(&p, c);
	if (!pane_shows(sock, "|****....0000....|"))
		fail_msg("top did not redraw:\n%s", pane(sock));
	assert_true(pane_shows(sock, "|++++++++........|"));
	assert_true(pane_shows(sock, " CXL_DC_CAPACITY_ACCEPTED {\"device\":\"cxl-vmem0\""));
	assert_int_equal(sh("tmux -S '%s' send-keys -t top q", sock), 0);
	for (int i = 0; i < TMO / 50 && sh("tmux -S '%s' has-session -t top 2>/dev/null", sock) == 0; i++)
		usleep(50000);
	assert_int_not_equal(sh("tmux -S '%s' has-session -t top 2>/dev/null", sock), 0);
	sh("tmux -S '%s' kill-server 2>/dev/null", sock);
	qmp_client_free(c);
}

/*
 * A daemon that answers top's first query, then sends a line that is not
 * JSON: top stops with exit status 1 and says so (found by fuzz-ctl: it
 * returned the -errno, exit status 185).
 */
static void test_top_invalid_json_exits_1(void **state)
{
	static const char daemon[] =
		"{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n{\"return\": {}}\r\n"
		"{\"return\": {\"id\": \"d0\", \"num-hosts\": 1, \"regions\": [], \"hosts\": []}}\r\n"
		"{\"event\": not json\r\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/cxldcd-ctl-top-XXXXXX", qmp[128];
	struct child ch;
	struct run r;
	int ls, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/qmp.sock", dir);
	snprintf(qmp, sizeof(qmp), "unix:%s", sa.sun_path);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	spawn_ctl(&ch, NULL, NULL, (const char *const[]){ "--qmp", qmp, "top", "--device", "d0", NULL });
	fd = accept(ls, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, daemon, sizeof(daemon) - 1), (ssize_t)sizeof(daemon) - 1);
	finish(&ch, &r);
	close(fd);
	close(ls);
	unlink(sa.sun_path);
	rmdir(dir);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "the daemon sent invalid JSON"));
}

/* ---- raw ---------------------------------------------------------------------- */

static void test_raw_sends_commands_as_they_are(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct run *rp, r;
	char qmp[200];
	json_t *j;

	(void)state;
	c = start_dev(&p, tagged_dev);
	rp = OK(&p, "raw", "{\"execute\":\"query-version\"}");
	j = json_loads(rp->out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "return"), "package")),
			    "cxldcd 0.1.0");
	json_decref(j);
	rp = OK(&p, "raw", "{\"execute\":\"query-memdev\",\"id\":7}");
	assert_string_equal(rp->out, "{\"return\":[],\"id\":7}\n");

	/* stdin: several commands, on one line or many; an error makes it exit 1. */
	snprintf(qmp, sizeof(qmp), "unix:%s", p.qmp);
	run_env(&r, NULL,
		"{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"r0\",\"size\":2097152}}\n"
		"{\"execute\":\"query-memdev\"} {\"execute\":\"nosuch\"}\n"
		"  {\"execute\":\"object-del\",\"arguments\":{\"id\":\"r0\"}}\n",
		(const char *const[]){ "--qmp", qmp, "raw", "-", NULL });
	assert_int_equal(r.status, 1);
	assert_int_equal(count_of(r.out, "\n"), 4);
	assert_true(!strncmp(r.out, "{\"return\":{}}\n{\"return\":[{\"id\":\"r0\"", 35));
	assert_non_null(strstr(r.out, "\n{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command nosuch has not been found\"}}\n{\"return\":{}}\n"));
	assert_string_equal(r.err, "error: The command nosuch has not been found\n");

	/* Malformed stdin is refused before anything is sent. */
	run_env(&r, NULL, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"r1\",\"size\":2097152}}\n{oops\n",
		(const char *const[]){ "--qmp", qmp, "raw", "-", NULL });
	assert_int_equal(r.status, 2);
	assert_true(!strncmp(r.err, "cxldcd-ctl raw: stdin: invalid JSON at byte ", 44));
	rp = OK(&p, "backends");
	assert_false(has_row(rp->out, "r1 ram 2M no - 0 no"));

	/* The daemon's own protocol errors come back as they are. */
	rp = FAILS(&p, "raw", "[1,2]");
	assert_string_equal(rp->out, "{\"error\":{\"class\":\"GenericError\",\"desc\":\"QMP input must be a JSON object\"}}\n");
	qmp_client_free(c);
}

/* ---- cci ---------------------------------------------------------------------- */

static void test_cci_prints_return_code_and_payload(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct run *rp;
	json_t *j;

	(void)state;
	c = start_dev(&p, tagged_dev);
	/* Get DCD Info (5600h): 0x54 bytes, 16 a line. */
	rp = OK(&p, "cci", "--device", "cxl-vmem0", "--cci", "fm", "get-dcd-info");
	assert_true(!strncmp(rp->out, "Success\n0000  ", 14));
	assert_int_equal(count_of(rp->out, "\n"), 1 + 6);
	assert_non_null(strstr(rp->out, "\n0050  "));
	rp = OK(&p, "--json", "cci", "--device", "cxl-vmem0", "--cci", "fm", "0x5600");
	j = json_loads(rp->out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "return-code")), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "payload"))), 2 * 0x54);
	json_decref(j);
	/* Get Event Records (0100h) of the DC log on host 1's mailbox: empty. */
	rp = OK(&p, "cci", "--device", "cxl-vmem0", "--cci", "mailbox", "--host", "1", "0100h", "04");
	assert_true(!strncmp(rp->out, "Success\n0000  00 00 00 00 ", 26));
	/* A failing return code is printed and exits 1. */
	rp = FAILS(&p, "cci", "--device", "cxl-vmem0", "--cci", "mailbox", "--host", "0", "4802", "00");
	assert_string_equal(rp->out, "Invalid Payload Length\n");
	assert_string_equal(rp->err, "");
	qmp_client_free(c);
}

/* A daemon with one DCD, cxl-mem0, on a 256 MiB RAM backend (the injection tests'). */
static struct qmp_client *start_mem0(struct dproc *p)
{
	static const char *const dev[] = {
		"-object", "memory-backend-ram,id=m0,share=on,size=256M",
		"-device", "cxl-type3,id=cxl-mem0,volatile-dc-memdev=m0,num-dc-regions=1", NULL
	};

	return start_dev(p, dev);
}

/* A memory-module event on cxl-mem0 with every argument it takes. */
#define MEMORY_MODULE_EVENT                                                                    \
	"inject-event", "--device", "cxl-mem0", "--kind", "memory-module", "--log", "failure",   \
	"--flags", "2", "--type", "3", "--health-status", "3", "--media-status", "7",            \
	"--additional-status", "33", "--life-used", "30", "--temperature", "-15",                \
	"--dirty-shutdown-count", "4", "--corrected-volatile-error-count", "1",                  \
	"--corrected-persistent-error-count", "1"

/*
 * inject-event: QEMU's three event commands with their CXL r3.2 arguments as
 * options; a host reads the record (get-event-records) with the common
 * header's maintenance class/subclass, LD ID, head ID and their valid flags.
 */
static void test_inject_event_with_r32_arguments(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct run *rp;

	(void)state;
	c = start_mem0(&p);
	rp = OK(&p, "inject-event", "--device", "cxl-mem0", "--kind", "general-media",
		"--log", "failure", "--flags", "2", "--maint-op-class", "2", "--maint-op-subclass",
		"4", "--ld-id", "0x1234", "--head-id", "5", "--dpa", "0x1000", "--descriptor", "1",
		"--type", "3", "--transaction-type", "192", "--device-mask", "5",
		"--component-id", "iras mem", "--is-comp-id-pldm", "--cme-count", "0x123456",
		"--sub-type", "7");
	assert_string_equal(rp->out, "injected general-media event in log failure\n");
	rp = OK(&p, "inject-event", "--device", "cxl-mem0", "--kind", "dram", "--log", "failure",
		"--flags", "2", "--dpa", "0", "--descriptor", "0", "--type", "0",
		"--transaction-type", "0", "--correction-mask", "1,2,3,4", "--sub-channel", "9");
	rp = OK(&p, MEMORY_MODULE_EVENT);
	rp = FAILS(&p, "inject-event", "--device", "cxl-mem0", "--kind", "dram", "--log", "failure",
		   "--flags", "2", "--head-id", "256", "--dpa", "0", "--descriptor", "0",
		   "--type", "0", "--transaction-type", "0");
	assert_non_null(strstr(rp->err, "Parameter 'head-id' expects uint8_t"));
	rp = FAILS(&p, MEMORY_MODULE_EVENT, "--sub-channel", "1");
	assert_non_null(strstr(rp->err, "Parameter 'sub-channel' is unexpected"));
	rp = USAGE(&p, "inject-event", "--device", "cxl-mem0", "--kind", "sparing");
	assert_non_null(strstr(rp->err, "--kind general-media|dram|memory-module"));
	rp = USAGE(&p, "inject-event", "--device", "cxl-mem0", "--kind", "dram", "--row", "x");
	assert_non_null(strstr(rp->err, "--row 'x': expected a number"));
	/* no blank, sign or octal for strtoull() to take: this list was 1,8 */
	rp = USAGE(&p, "inject-event", "--device", "cxl-mem0", "--kind", "dram",
		   "--correction-mask", "1, -18446744073709551608");
	assert_non_null(strstr(rp->err, "expected numbers separated by commas"));
	rp = USAGE(&p, "inject-event", "--device", "cxl-mem0", "--kind", "dram",
		   "--temperature", " +5");
	assert_non_null(strstr(rp->err, "--temperature ' +5': expected a number"));
	/* the host's Failure log: 3 records; the first's header flags c2 01 00, then at 0x20 */
	rp = OK(&p, "cci", "--device", "cxl-mem0", "--cci", "mailbox", "--host", "0",
		"get-event-records", "02");
	assert_non_null(strstr(rp->out, "0020  fb cd 0a 77 c2 60 41 7f 85 a9 08 8b 16 21 eb a6"));
	assert_non_null(strstr(rp->out, "0030  80 c2 01 00 01 00 00 00"));
	assert_non_null(strstr(rp->out, "0040  02 04 34 12 05 00 00 00 00 00 00 00 00 00 00 00"));
	qmp_client_free(c);
}

/* inject-poison, then a host lists it by name over its mailbox (get-poison-list). */
static void test_inject_poison_and_list_it(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct run *rp;

	(void)state;
	c = start_mem0(&p);
	rp = OK(&p, "inject-poison", "--device", "cxl-mem0", "--start", "0x800", "--length", "256");
	assert_string_equal(rp->out, "poisoned dpa=0x800 len=0x100\n");
	rp = FAILS(&p, "inject-poison", "--device", "cxl-mem0", "--start", "0x840", "--length", "64");
	assert_non_null(strstr(rp->err, "Overlap with existing poisoned region not supported"));
	rp = USAGE(&p, "inject-poison", "--device", "cxl-mem0", "--start", "0x800");
	assert_non_null(strstr(rp->err, "--start and --length are required"));
	/* host 0 has no capacity there yet: an empty list (flags 0, count 0) */
	rp = OK(&p, "cci", "--device", "cxl-mem0", "--cci", "mailbox", "--host", "0",
		"get-poison-list", "00000000000000000000010000000000");
	assert_true(!strncmp(rp->out, "Success\n0000  00 00 00 00 00 00 00 00 00 00 00 00",
			     strlen("Success\n0000  00 00 00 00 00 00 00 00 00 00 00 00")));
	qmp_client_free(c);
}

/*
 * inject-uncorrectable-errors / inject-correctable-error: QEMU's commands
 * built from options (the daemon's checks and texts come back as they are;
 * the registers they set: tests/qmp/test-inject-host.c).
 */
static void test_inject_aer_errors(void **state)
{
	static const char *const dev[] = {
		"-object", "memory-backend-ram,id=m0,share=on,size=256M",
		"-device", "cxl-type3,id=cxl-mem0,volatile-dc-memdev=m0,num-dc-regions=1,num-hosts=2",
		NULL
	};
	struct dproc p;
	struct qmp_client *c;
	struct run *rp;

	(void)state;
	c = start_dev(&p, dev);
	rp = OK(&p, "inject-uncorrectable-errors", "--device", "cxl-mem0",
		"--error", "cache-address-parity:3,4", "--error", "internal:0x1,2,4",
		"--error", "cxl-ide-rx");
	assert_string_equal(rp->out, "injected 3 uncorrectable errors\n");
	rp = OK(&p, "--json", "inject-uncorrectable-errors", "--device", "cxl-mem0", "--host", "1",
		"--error", "mem-data-ecc:7");
	assert_string_equal(rp->out, "{}\n");
	rp = FAILS(&p, "inject-uncorrectable-errors", "--device", "cxl-mem0", "--host", "2",
		   "--error", "internal");
	assert_non_null(strstr(rp->err, "host-id=2 is out of range: the device has num-hosts=2"));
	rp = FAILS(&p, "inject-uncorrectable-errors", "--device", "cxl-mem0", "--error", "bogus:1");
	assert_non_null(strstr(rp->err, "Parameter 'errors[0].type' does not accept value 'bogus'"));
	rp = USAGE(&p, "inject-uncorrectable-errors", "--device", "cxl-mem0", "--error", "internal:1,x");
	assert_non_null(strstr(rp->err, "header DWORDs are 32-bit numbers"));
	rp = USAGE(&p, "inject-uncorrectable-errors", "--device", "cxl-mem0", "--error",
		   "internal:0x100000000");
	assert_non_null(strstr(rp->err, "header DWORDs are 32-bit numbers"));
	/* a blank and a wrapped negative number: this DWORD was 1 */
	rp = USAGE(&p, "inject-uncorrectable-errors", "--device", "cxl-mem0", "--error",
		   "internal:2, -18446744073709551615");
	assert_non_null(strstr(rp->err, "header DWORDs are 32-bit numbers"));
	rp = USAGE(&p, "inject-uncorrectable-errors", "--device", "cxl-mem0");
	assert_non_null(strstr(rp->err, "at least one --error"));
	rp = OK(&p, "inject-correctable-error", "--device", "cxl-mem0", "--type", "physical");
	assert_string_equal(rp->out, "injected correctable error type=physical\n");
	rp = FAILS(&p, "inject-correctable-error", "--device", "nope", "--type", "physical");
	assert_non_null(strstr(rp->err, "Unable to resolve path"));
	rp = FAILS(&p, "inject-correctable-error", "--device", "cxl-mem0", "--type", "loud");
	assert_non_null(strstr(rp->err, "Parameter 'type' does not accept value 'loud'"));
	rp = USAGE(&p, "inject-correctable-error", "--device", "cxl-mem0");
	assert_non_null(strstr(rp->err, "--device and --type are required"));
	qmp_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_raw_sends_commands_as_they_are, dproc_reap_all),
		cmocka_unit_test_teardown(test_cci_prints_return_code_and_payload, dproc_reap_all),
		cmocka_unit_test_teardown(test_map_draws_capacity_and_writes_svg, dproc_reap_all),
		cmocka_unit_test_teardown(test_top_redraws_on_events_in_a_terminal, dproc_reap_all),
		cmocka_unit_test(test_top_invalid_json_exits_1),
		cmocka_unit_test_teardown(test_inject_poison_and_list_it, dproc_reap_all),
		cmocka_unit_test_teardown(test_inject_event_with_r32_arguments, dproc_reap_all),
		cmocka_unit_test_teardown(test_inject_aer_errors, dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
