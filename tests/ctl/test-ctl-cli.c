/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-cli.c - integration: cxldcd-ctl ($CXLDCD_CTL) run as a child
 * process against the real cxldcd ($CXLDCD) on temporary sockets.  The
 * host side of the capacity flow is played over QMP cxl-cci-request
 * (tests/qmp/dev-util.h).  Checked: exact output of every command, exit
 * statuses (0 ok, 1 daemon error or connection failure, 2 bad arguments),
 * daemon errors passed through verbatim, events bounded by --count,
 * --timeout and signals, and the socket choice (--qmp, $CXLDCD_QMP, the
 * default path, TCP).  Every child runs under a deadline.  The commands
 * that draw or poke the device (map, top, raw, cci, inject-*) are tested
 * in test-ctl-device.c.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev-util.h"
#include "ctl-run.h"

#define NOSOCK "unix:/nonexistent/qmp.sock"

/* ---- the daemon ------------------------------------------------------------ */

/* Wait until @n QMP sessions have negotiated (the daemon logs each). */
static void wait_sessions(struct dproc *p, int n)
{
	long long end = now_ms() + TMO;

	while (count_of(dproc_log(p), "qmp_capabilities ok") < n) {
		if (now_ms() > end)
			fail_msg("%d sessions never negotiated:\n%s", n, dproc_log(p));
		usleep(10000);
	}
}

/* ---- backends ---------------------------------------------------------------- */

static void test_backend_add_list_and_del(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct run *r;
	json_t *j;

	(void)state;
	c = start_dev(&p, tagged_dev);
	r = OK(&p, "backend-add", "ram", "tm0", "1G", "--tag", TAG_A);
	assert_string_equal(r->out, "added memory-backend-ram tm0 size=1G tag=" TAG_A "\n");
	assert_string_equal(r->err, "");
	/* Upper-case tags are canonicalised; the RFC's type is accepted. */
	r = OK(&p, "backend-add", "memory-backend-tagged", "tm1", "512M", "--tag",
	       "0E4A0B4C-1F2A-4D55-9A8E-31E0C8A1B2C3", "--share");
	assert_string_equal(r->out, "added memory-backend-tagged tm1 size=512M tag=" TAG_B "\n");
	OK(&p, "backend-add", "memfd", "m2", "2M", "--prop", "hugetlb=off");

	r = OK(&p, "backends");
	expect_row(r->out, "ID TYPE SIZE SHARE TAG BOUND-EXTENTS IN-USE MEM-PATH");
	expect_row(r->out, "tm0 ram 1G no " TAG_A " 0 no");
	expect_row(r->out, "tm1 tagged 512M yes " TAG_B " 0 no");
	expect_row(r->out, "m2 memfd 2M yes - 0 no");

	r = OK(&p, "--json", "backends");
	j = json_loads(r->out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "tag")), TAG_B);
	json_decref(j);

	r = OK(&p, "backend-del", "tm1");
	assert_string_equal(r->out, "deleted tm1\n");
	r = FAILS(&p, "backend-del", "tm1");
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "error: object 'tm1' not found\n");
	r = FAILS(&p, "backend-add", "ram", "tm0", "1G");
	assert_true(!strncmp(r->err, "error: ", 7));
	r = FAILS(&p, "backend-add", "file", "f0", "1G");
	assert_true(!strncmp(r->err, "error: ", 7));
	qmp_client_free(c);
}

/* ---- the capacity session ---------------------------------------------------- */

static void expect_status(struct dproc *p, const char *want)
{
	struct run *r = OK(p, "status", "--device", "cxl-vmem0", "--host", "0", "--tag", TAG_A);

	assert_string_equal(r->out, want);
}

static void check_events_child(struct child *ch)
{
	struct run r;
	char *second;

	finish(ch, &r);
	if (r.status != 0)
		fail_msg("events exit %d: %s / %s", r.status, r.out, r.err);
	assert_int_equal(count_of(r.out, "\n"), 2);
	/* TIMESTAMP NAME DATA: 2026-11-24T01:29:57.471234Z CXL_DC_CAPACITY_ACCEPTED {...} */
	assert_true(strlen(r.out) > 28 && r.out[4] == '-' && r.out[10] == 'T' && r.out[26] == 'Z');
	assert_true(!strncmp(r.out + 27, " CXL_DC_CAPACITY_ACCEPTED {\"device\":\"cxl-vmem0\",", 48));
	second = strchr(r.out, '\n') + 1;
	assert_non_null(strstr(second, " CXL_DC_CAPACITY_RELEASED {\"device\":\"cxl-vmem0\","));
	assert_non_null(strstr(second, "\"tag\":\"" TAG_A "\""));
}

static void test_add_list_status_release_session(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct child ev;
	struct run *r;
	char qmp[200];
	json_t *j, *h0;

	(void)state;
	c = start_dev(&p, tagged_dev);
	OK(&p, "backend-add", "ram", "tm0", "1G", "--tag", TAG_A);
	/* A listener for the two events of the session, bounded. */
	snprintf(qmp, sizeof(qmp), "unix:%s", p.qmp);
	spawn_ctl(&ev, NULL, NULL, (const char *const[]){ "--qmp", qmp, "events", "--count", "2",
		  "--timeout", "20", "--name", "CXL_DC_CAPACITY_ACCEPTED", "--name",
		  "CXL_DC_CAPACITY_RELEASED", NULL });
	wait_sessions(&p, 3);   /* the test's client, backend-add, events */

	expect_status(&p, "not-found: no capacity with the tag on host=0\n");
	r = OK(&p, "add", "--device", "cxl-vmem0", "--host", "0", "--tag", TAG_A, "--extent", "0:512M",
	       "--extent", "512M:512M");
	assert_string_equal(r->out, "offered host=0 region=0 policy=prescriptive tag=" TAG_A
				    " extents=2 len=1G\n");
	expect_status(&p, "pending: capacity with the tag is offered to host=0 and not answered yet\n");

	r = OK(&p, "list", "--device", "cxl-vmem0");
	expect_row(r->out, "device cxl-vmem0 path=" VMEM " mode=tagged hosts=2");
	expect_row(r->out, "extents 2/65536 in use tags 1/4096 in use tag-generation=5");
	expect_row(r->out, "REGION BASE LEN BLOCK ALLOCATED FLAGS");
	expect_row(r->out, "0 0x0 2G 2M 1G -");
	expect_row(r->out, "1 0x80000000 2G 2M 0 -");
	expect_row(r->out, "HOST DPA LEN REGION OFFSET TAG SEQ STATE");
	expect_row(r->out, "0 0x0 512M 0 0x0 " TAG_A " 0 pending (group 1)");
	expect_row(r->out, "0 0x20000000 512M 0 0x20000000 " TAG_A " 0 pending (group 1)");
	expect_row(r->out, "0 0 no 0 0 1");
	assert_non_null(strstr(r->out, "\nPENDING GROUPS\nHOST  GROUP  EXTENTS  BYTES  AGE"));
	assert_non_null(strstr(r->out, "\n0     1      2        1G     "));
	expect_row(r->out, "TAG MEMDEV EXTENTS BYTES ACCEPTED-BY PENDING-ON FLAGS");
	expect_row(r->out, TAG_A " tm0 2 1G - host 0 -");

	/* The host accepts both extents. */
	assert_int_equal(host_answer_all(c, VMEM, 0), 2);
	expect_status(&p, "committed: capacity with the tag is accepted by host=0\n");
	r = OK(&p, "list", "--device", VMEM);
	expect_row(r->out, "0 0x0 512M 0 0x0 " TAG_A " 0 accepted");
	expect_row(r->out, "0 0x20000000 512M 0 0x20000000 " TAG_A " 0 accepted");
	expect_row(r->out, "0 1 no 2 1G 0");
	expect_row(r->out, TAG_A " tm0 2 1G host 0 - -");
	assert_non_null(strstr(r->out, "\nPENDING GROUPS\n(none)\n"));
	/* One host only: host 1 has nothing. */
	r = OK(&p, "list", "--device", "cxl-vmem0", "--host", "1");
	expect_row(r->out, "1 0 no 0 0 0");
	assert_null(strstr(r->out, "\n0     0"));
	assert_non_null(strstr(r->out, "\nEXTENTS\n(none)\n"));
	r = OK(&p, "list", "--device", "cxl-vmem0", "--json");
	j = json_loads(r->out, 0, NULL);
	assert_non_null(j);
	h0 = json_array_get(json_object_get(j, "hosts"), 0);
	assert_int_equal(json_array_size(json_object_get(h0, "extents")), 2);
	json_decref(j);

	/* Release by tag; the host gives it back. */
	r = OK(&p, "release", "--device", "cxl-vmem0", "--host", "0", "--tag", TAG_A);
	assert_string_equal(r->out, "release requested host=0 region=0 policy=tag-based tag=" TAG_A "\n");
	expect_status(&p, "release-pending: release requested: host=0 has not released all capacity with the tag\n");
	r = OK(&p, "list", "--device", "cxl-vmem0");
	expect_row(r->out, "0 0x0 512M 0 0x0 " TAG_A " 0 release-pending");
	assert_int_equal(host_answer_all(c, VMEM, 0), 2);
	expect_status(&p, "released: host=0 released all capacity with the tag\n");
	r = OK(&p, "--json", "status", "--device", "cxl-vmem0", "--host", "0", "--tag", TAG_A,
	       "--region", "0");
	assert_string_equal(r->out, "{\"status\":\"released\",\"message\":\"host=0 released all capacity with the tag\"}\n");

	check_events_child(&ev);
	qmp_client_free(c);
}

/* --size (free), another region and host, prescriptive and forced release. */
static void test_add_by_size_and_release_by_extent(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct run *r;
	char ext[64];
	json_t *j, *x;

	(void)state;
	c = start_dev(&p, tagged_dev);
	OK(&p, "backend-add", "ram", "tm1", "1G", "--tag", TAG_B);
	r = OK(&p, "add", "--device", "cxl-vmem0", "--host", "1", "--region", "1", "--tag", TAG_B,
	       "--size", "256M");
	assert_string_equal(r->out, "offered host=1 region=1 policy=free tag=" TAG_B " extents=1 len=256M\n");
	assert_int_equal(host_answer_all(c, VMEM, 1), 1);
	r = OK(&p, "--json", "list", "--device", "cxl-vmem0");
	j = json_loads(r->out, 0, NULL);
	x = json_array_get(json_object_get(json_array_get(json_object_get(j, "hosts"), 1), "extents"), 0);
	assert_non_null(x);
	/* Flags are JSON booleans, never 0/1 (issue #13). */
	assert_true(json_is_boolean(json_object_get(json_array_get(json_object_get(j, "hosts"), 1),
						     "connected")));
	assert_true(json_is_boolean(json_object_get(x, "release-pending")));
	assert_int_equal(json_integer_value(json_object_get(x, "region")), 1);
	assert_int_equal(json_integer_value(json_object_get(x, "len")), 256 * MiB);
	snprintf(ext, sizeof(ext), "0x%llx:128M",
		 (unsigned long long)json_integer_value(json_object_get(x, "offset")));
	json_decref(j);

	/* Half of it by extent, forced: revoked at once. */
	r = OK(&p, "release", "--device", "cxl-vmem0", "--host", "1", "--region", "1", "--extent", ext,
	       "--forced", "--sanitize");
	assert_string_equal(r->out, "revoked host=1 region=1 policy=prescriptive extents=1 len=128M\n");
	r = OK(&p, "list", "--device", "cxl-vmem0", "--host", "1");
	expect_row(r->out, "1 2 no 1 128M 0");  /* accepted, then revoked: generation 2 */
	/* The rest by tag and size. */
	r = OK(&p, "release", "--device", "cxl-vmem0", "--host", "1", "--region", "1", "--tag", TAG_B,
	       "--size", "128M");
	assert_string_equal(r->out, "release requested host=1 region=1 policy=tag-based tag=" TAG_B
				    " extents=1 len=128M\n");
	OK(&p, "backend-add", "ram", "tm0", "64M", "--tag", TAG_A);
	r = OK(&p, "--json", "add", "--device", "cxl-vmem0", "--host", "0", "--policy", "contiguous",
	       "--size", "2M", "--tag", TAG_A);
	assert_string_equal(r->out, "{}\n");
	qmp_client_free(c);
}

/* ---- errors ------------------------------------------------------------------ */

static void test_daemon_errors_are_shown_verbatim(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct run *r;
	json_t *direct;
	char want[512];

	(void)state;
	c = start_dev(&p, tagged_dev);
	r = FAILS(&p, "add", "--device", "nosuch", "--host", "0", "--extent", "0:2M");
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "error: Unable to resolve CXL type 3 device\n");
	r = FAILS(&p, "add", "--device", "cxl-vmem0", "--host", "0", "--region", "7", "--extent", "0:2M");
	assert_string_equal(r->err, "error: region id is too large\n");
	r = FAILS(&p, "add", "--device", "cxl-vmem0", "--host", "0", "--extent", "1M:2M");
	assert_string_equal(r->err, "error: dpa or len is not aligned to region block size\n");
	r = FAILS(&p, "release", "--device", "cxl-vmem0", "--host", "0", "--extent", "0:2M");
	assert_string_equal(r->err, "error: cannot release extent with non-existing DPA range\n");

	/* The same text a QMP client gets. */
	direct = qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":"
				"{\"path\":\"" VMEM "\",\"host-id\":9,\"tag\":\"" TAG_A "\"}}", TMO);
	assert_non_null(qmp_client_err_desc(direct));
	snprintf(want, sizeof(want), "error: %s\n", qmp_client_err_desc(direct));
	json_decref(direct);
	r = FAILS(&p, "status", "--device", "cxl-vmem0", "--host", "9", "--tag", TAG_A);
	assert_string_equal(r->err, want);

	/* list checks --host against the device's num-hosts itself. */
	r = FAILS(&p, "list", "--device", "cxl-vmem0", "--host", "5");
	assert_string_equal(r->err, "cxldcd-ctl: host=5 is out of range: the device has num-hosts=2\n");
	r = FAILS(&p, "cci", "--device", "nosuch", "--cci", "fm", "5600");
	assert_string_equal(r->err, "error: Unable to resolve CXL type 3 device\n");
	qmp_client_free(c);
}

struct bad {
	const char *args[12];
	const char *msg;        /* the first line of stderr; a final '*' matches any rest */
};

static void test_bad_arguments_exit_2(void **state)
{
	static const struct bad bad[] = {
		{ { "--bogus" }, "cxldcd-ctl: unknown option '--bogus'" },
		{ { NULL }, "cxldcd-ctl: no command given" },
		{ { "frobnicate" }, "cxldcd-ctl: unknown command 'frobnicate'" },
		{ { "--qmp" }, "cxldcd-ctl: option '--qmp' needs a value" },
		{ { "--qmp", "nowhere:1", "backends" }, "cxldcd-ctl backends: --qmp 'nowhere:1': not a path (it has a ':'); for TCP write tcp:nowhere:1, for a file ./nowhere:1 or unix:nowhere:1" },
		{ { "add", "--host", "0", "--size", "1G" }, "cxldcd-ctl add: --device is required" },
		{ { "add", "--device", "d0", "--size", "1G" }, "cxldcd-ctl add: --host is required" },
		{ { "add", "--device", "d0", "--host", "65536", "--size", "1G" }, "cxldcd-ctl add: --host '65536': expected a host id in 0..65535" },
		{ { "add", "--device", "d0", "--host", "-1", "--size", "1G" }, "cxldcd-ctl add: --host '-1': expected a host id in 0..65535" },
		{ { "add", "--device", "d0", "--host", "0", "--region", "256", "--size", "1G" }, "cxldcd-ctl add: --region '256': expected a region in 0..255" },
		{ { "add", "--device", "d0", "--host", "0", "--size", "1.5G" }, "cxldcd-ctl add: --size '1.5G': expected a size above 0, e.g. 1G" },
		{ { "add", "--device", "d0", "--host", "0", "--size", "0" }, "cxldcd-ctl add: --size '0': expected a size above 0, e.g. 1G" },
		{ { "add", "--device", "d0", "--host", "0", "--extent", "1G" }, "cxldcd-ctl add: --extent '1G': expected OFFSET:LEN (sizes, LEN not 0), e.g. 0:1G" },
		{ { "add", "--device", "d0", "--host", "0", "--extent", "0:1G", "--size", "1G" }, "cxldcd-ctl add: --size and --extent cannot be combined" },
		{ { "add", "--device", "d0", "--host", "0" }, "cxldcd-ctl add: give --size SIZE or --extent OFFSET:LEN" },
		{ { "add", "--device", "d0", "--host", "0", "--policy", "best", "--size", "1G" }, "cxldcd-ctl add: --policy 'best': expected free, contiguous, prescriptive or enable-shared-access" },
		{ { "add", "--device", "d0", "--host", "0", "--policy", "prescriptive", "--size", "1G" }, "cxldcd-ctl add: --size needs --policy free or contiguous (prescriptive takes --extent OFFSET:LEN)" },
		{ { "add", "--device", "d0", "--host", "0", "--tag", "xyz", "--size", "1G" }, "cxldcd-ctl add: --tag 'xyz': not a UUID (expected 8-4-4-4-12 hex digits)" },
		{ { "add", "--device", "d0", "--host", "0", "--size" }, "cxldcd-ctl add: option '--size' needs a value" },
		{ { "add", "--device", "d0", "--host", "0", "--size", "1G", "extra" }, "cxldcd-ctl add: unexpected argument 'extra'" },
		{ { "release", "--device", "d0", "--host", "0" }, "cxldcd-ctl release: give --tag UUID (tag-based) or --extent OFFSET:LEN" },
		{ { "release", "--device", "d0", "--host", "0", "--size", "1G", "--extent", "0:1G" }, "cxldcd-ctl release: --size goes with --tag alone (release SIZE bytes of the tag)" },
		{ { "status", "--device", "d0", "--host", "0" }, "cxldcd-ctl status: --tag is required" },
		{ { "list", "--device", "d0", "--tag", TAG_A }, "cxldcd-ctl list: unknown option '--tag'" },
		{ { "backends", "x" }, "cxldcd-ctl backends: unexpected argument 'x'" },
		{ { "backend-add", "ram", "m0" }, "cxldcd-ctl backend-add: expected TYPE ID SIZE" },
		{ { "backend-add", "disk", "m0", "1G" }, "cxldcd-ctl backend-add: TYPE 'disk': expected ram, memfd, file or tagged" },
		{ { "backend-add", "ram", "m0", "1Q" }, "cxldcd-ctl backend-add: SIZE '1Q': expected a size above 0, e.g. 1G" },
		{ { "backend-add", "ram", "m0", "1G", "--prop", "share" }, "cxldcd-ctl backend-add: --prop 'share': expected KEY=VALUE" },
		{ { "backend-add", "ram", "m0", "1G", "--prop", "size=2G" }, "cxldcd-ctl backend-add: --prop size: give it as TYPE ID SIZE" },
		{ { "backend-del" }, "cxldcd-ctl backend-del: expected ID" },
		{ { "events", "--follow", "--timeout", "1" }, "cxldcd-ctl events: --follow and --timeout cannot be combined" },
		{ { "events", "--timeout", "soon" }, "cxldcd-ctl events: --timeout 'soon': expected seconds (e.g. 5 or 0.5, at most 86400)" },
		{ { "events", "--count", "0" }, "cxldcd-ctl events: --count '0': expected a number above 0" },
		{ { "raw" }, "cxldcd-ctl raw: expected a JSON command or '-'" },
		{ { "raw", "{\"execute\":" }, "cxldcd-ctl raw: JSON: invalid JSON at byte 11: *" },
		{ { "cci", "--device", "d0", "--cci", "mailbox", "4800" }, "cxldcd-ctl cci: --host is required with --cci mailbox" },
		{ { "cci", "--device", "d0", "--cci", "pci", "4800" }, "cxldcd-ctl cci: --cci 'pci': expected mailbox or fm" },
		{ { "cci", "--device", "d0", "--cci", "fm" }, "cxldcd-ctl cci: expected OPCODE [HEXPAYLOAD]" },
		{ { "cci", "--device", "d0", "--cci", "fm", "12345" }, "cxldcd-ctl cci: OPCODE '12345': expected hex (4800, 0x4800, 4800h) or a name such as get-dc-config" },
		{ { "cci", "--device", "d0", "--cci", "fm", "5600", "0g" }, "cxldcd-ctl cci: HEXPAYLOAD '0g': expected pairs of hex digits" },
		{ { "help", "nosuch" }, "cxldcd-ctl: unknown command 'nosuch'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[16] = { "--qmp", NOSOCK };
		struct run r;
		size_t n = 2, len;
		char *nl;

		for (size_t k = 0; bad[i].args[k]; k++)
			args[n++] = bad[i].args[k];
		/* "--qmp" alone must be the last argument. */
		if (!strcmp(bad[i].args[0] ?: "", "--qmp") && !bad[i].args[1]) {
			args[0] = "--qmp";
			args[1] = NULL;
		}
		run_env(&r, NULL, NULL, args);
		nl = strchr(r.err, '\n');
		if (nl)
			*nl = 0;
		len = strlen(bad[i].msg);
		if (bad[i].msg[len - 1] == '*')
			len--;
		else
			len++;
		if (r.status != 2 || strncmp(r.err, bad[i].msg, len))
			fail_msg("case %zu: exit %d, stderr '%s', expected 2 '%s'", i, r.status, r.err,
				 bad[i].msg);
		assert_string_equal(r.out, "");
		/* The hint names the command's help. */
		assert_non_null(strstr(nl + 1, "--help'."));
	}
}

static void test_connection_failures_name_the_socket(void **state)
{
	struct run r;
	struct run *rp;

	(void)state;
	rp = FAILS(NULL, "--qmp", NOSOCK, "backends");
	assert_string_equal(rp->err, "cxldcd-ctl: cannot connect to " NOSOCK ": No such file or directory\n");
	/* $CXLDCD_QMP is used without --qmp, and named when it fails. */
	run_env(&r, (const char *const[]){ "CXLDCD_QMP=unix:/nonexistent/env.sock", NULL }, NULL,
		(const char *const[]){ "backends", NULL });
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "cxldcd-ctl: cannot connect to unix:/nonexistent/env.sock: No such file or directory\n");
	/* Default: $XDG_RUNTIME_DIR/cxldcd/qmp.sock. */
	run_env(&r, (const char *const[]){ "CXLDCD_QMP", "XDG_RUNTIME_DIR=/nonexistent/run", NULL }, NULL,
		(const char *const[]){ "backends", NULL });
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "cxldcd-ctl: cannot connect to unix:/nonexistent/run/cxldcd/qmp.sock: No such file or directory\n");
	rp = FAILS(NULL, "--qmp", "tcp:127.0.0.1:1", "backends");
	assert_string_equal(rp->err, "cxldcd-ctl: cannot connect to tcp:127.0.0.1:1: Connection refused\n");
}

/* ---- sockets ------------------------------------------------------------------ */

static void test_env_default_path_and_tcp_reach_the_daemon(void **state)
{
	static const char *const args[] = {
		"-qmp", "tcp:127.0.0.1:0,server,wait=off",
		"-device", "cxl-type3,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=1G",
		NULL
	};
	struct dproc p;
	struct qmp_client *c;
	struct run r, *rp;
	char env[200], run[200], link[260], xdg[220], tcp[64];
	const char *at;
	int port = 0;

	(void)state;
	c = start_dev(&p, args);
	snprintf(env, sizeof(env), "CXLDCD_QMP=unix:%s", p.qmp);
	run_env(&r, (const char *const[]){ env, NULL }, NULL,
		(const char *const[]){ "backend-add", "ram", "e0", "2M", NULL });
	assert_int_equal(r.status, 0);

	/* The daemon's default path, through a symlink in a fake runtime dir. */
	snprintf(run, sizeof(run), "%s/run", p.dir);
	assert_int_equal(mkdir(run, 0700), 0);
	snprintf(link, sizeof(link), "%s/cxldcd", run);
	assert_int_equal(mkdir(link, 0700), 0);
	snprintf(link, sizeof(link), "%s/cxldcd/qmp.sock", run);
	assert_int_equal(symlink(p.qmp, link), 0);
	snprintf(xdg, sizeof(xdg), "XDG_RUNTIME_DIR=%s", run);
	run_env(&r, (const char *const[]){ "CXLDCD_QMP", xdg, NULL }, NULL,
		(const char *const[]){ "backends", NULL });
	assert_int_equal(r.status, 0);
	expect_row(r.out, "e0 ram 2M no - 0 no");

	at = strstr(dproc_log(&p), "listening on tcp:127.0.0.1:");
	assert_non_null(at);
	port = atoi(at + strlen("listening on tcp:127.0.0.1:"));
	assert_true(port > 0);
	snprintf(tcp, sizeof(tcp), "tcp:127.0.0.1:%d", port);
	rp = OK(NULL, "--qmp", tcp, "backends");
	expect_row(rp->out, "e0 ram 2M no - 0 no");
	qmp_client_free(c);
}

/* ---- events ------------------------------------------------------------------- */

static void test_events_are_bounded_by_count_timeout_and_signals(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct child ch;
	struct run *rp, r;
	char qmp[200];
	json_t *j;

	(void)state;
	c = start_dev(&p, tagged_dev);
	rp = OK(&p, "events", "--timeout", "0.05");
	assert_string_equal(rp->out, "");
	rp = FAILS(&p, "events", "--count", "1", "--timeout", "0.1");
	assert_string_equal(rp->err, "cxldcd-ctl: events: 0 of 1 event(s) within 0.100 s\n");

	snprintf(qmp, sizeof(qmp), "unix:%s", p.qmp);
	spawn_ctl(&ch, NULL, NULL, (const char *const[]){ "--qmp", qmp, "events", "--follow", NULL });
	wait_sessions(&p, 4);
	kill(ch.pid, SIGTERM);
	finish(&ch, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");

	spawn_ctl(&ch, NULL, NULL, (const char *const[]){ "--qmp", qmp, "events", "--follow", NULL });
	wait_sessions(&p, 5);
	kill(ch.pid, SIGINT);
	finish(&ch, &r);
	assert_int_equal(r.status, 0);

	/* --follow ends when the daemon quits, after printing SHUTDOWN. */
	spawn_ctl(&ch, NULL, NULL, (const char *const[]){ "--qmp", qmp, "--json", "events", "--follow", NULL });
	wait_sessions(&p, 6);
	/* raw quit: the reply is read even though the daemon closes at once. */
	rp = OK(&p, "raw", "{\"execute\":\"quit\"}");
	assert_string_equal(rp->out, "{\"return\":{}}\n");
	finish(&ch, &r);
	assert_int_equal(r.status, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "event")), "SHUTDOWN");
	assert_non_null(json_object_get(json_object_get(j, "timestamp"), "microseconds"));
	json_decref(j);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	qmp_client_free(c);
}


/* ---- issue 13: discovery, summaries, --name, --qmp --------------------------- */

static const char *const two_devs[] = {
	"-object", "memory-backend-memfd,id=m0,size=512M",
	"-device", "cxl-type3,id=cxl-vmem0,num-dc-regions=2,volatile-dc-memdev=m0,num-hosts=2",
	"-device", "cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=1G",
	NULL
};

/*
 * A client that knows no device id finds them: qom-list on
 * /machine/peripheral answers as QEMU does, query-cxl-devices is typed, and
 * "list" without --device shows every device.
 */
static void test_discovery_and_list_of_every_device(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct run *r;
	json_t *j, *d;
	char want[300];

	(void)state;
	c = start_dev(&p, two_devs);
	j = qmp_client_cmd(c, "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral\"}}",
			   TMO);
	assert_non_null(j);
	d = json_object_get(j, "return");
	assert_int_equal(json_array_size(d), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "name")), "type");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 1), "name")),
			    "cxl-vmem0");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 1), "type")),
			    "child<cxl-type3>");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 2), "name")), "d1");
	json_decref(j);
	j = qmp_client_cmd(c, "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/nosuch\"}}",
			   TMO);
	assert_string_equal(qmp_client_err_class(j), "DeviceNotFound");
	assert_string_equal(qmp_client_err_desc(j), "Device '/machine/nosuch' not found");
	json_decref(j);
	j = qmp_client_cmd(c, "{\"execute\":\"query-cxl-devices\"}", TMO);
	d = json_array_get(json_object_get(j, "return"), 1);
	assert_string_equal(json_string_value(json_object_get(d, "id")), "d1");
	assert_string_equal(json_string_value(json_object_get(d, "path")), "/machine/peripheral/d1");
	assert_int_equal(json_integer_value(json_object_get(d, "num-dc-regions")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "dc-regions-total-size")), 1 << 30);
	/* the default sockets of the second device (XDG_RUNTIME_DIR is the test's directory) */
	snprintf(want, sizeof(want), "unix:%s/cxldcd/host-d1.sock", p.dir);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "host-sockets"), 0)),
			    want);
	snprintf(want, sizeof(want), "unix:%s/cxldcd/mctp-d1.sock", p.dir);
	assert_int_equal(json_array_size(json_object_get(d, "mctp-cci-sockets")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "mctp-cci-sockets"), 0)),
			    want);
	d = json_array_get(json_object_get(j, "return"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "volatile-dc-memdev")), "m0");
	json_decref(j);

	r = OK(&p, "list");
	expect_row(r->out, "device cxl-vmem0 path=" VMEM " mode=volatile-dc-memdev memdev=m0 hosts=2");
	expect_row(r->out, "device d1 path=/machine/peripheral/d1 mode=tagged hosts=1");
	r = OK(&p, "--json", "list");
	j = json_loads(r->out, 0, NULL);
	assert_int_equal(json_array_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "id")), "d1");
	json_decref(j);
	/* --host is checked against each device */
	r = FAILS(&p, "list", "--host", "1");
	assert_string_equal(r->err, "cxldcd-ctl: host=1 is out of range: device d1 has num-hosts=1\n");
	qmp_client_free(c);
}

/*
 * The one-line summaries say what the device did: a free add counts the
 * extents it made (three, around another host's), a tag-based release
 * names the region holding the tag; TAGS says "host N", not a bare number.
 */
static void test_summaries_say_what_the_device_did(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct run *r;

	(void)state;
	c = start_dev(&p, two_devs);
	OK(&p, "add", "--device", "cxl-vmem0", "--host", "1", "--region", "1", "--extent", "0:2M",
	   "--extent", "4M:2M", "--extent", "8M:2M");
	assert_int_equal(host_answer_all(c, VMEM, 1), 3);
	r = OK(&p, "add", "--device", "cxl-vmem0", "--host", "0", "--region", "1", "--size", "6M");
	assert_string_equal(r->out, "offered host=0 region=1 policy=free extents=3 len=6M\n");
	qmp_client_free(c);

	c = start_dev(&p, tagged_dev);
	OK(&p, "backend-add", "ram", "tm0", "1G", "--tag", TAG_A);
	OK(&p, "add", "--device", "cxl-vmem0", "--host", "0", "--region", "1", "--tag", TAG_A,
	   "--size", "64M");
	assert_int_equal(host_answer_all(c, VMEM, 0), 1);
	r = OK(&p, "list", "--device", "cxl-vmem0");
	expect_row(r->out, TAG_A " tm0 1 64M host 0 - -");
	r = OK(&p, "release", "--device", "cxl-vmem0", "--host", "0", "--tag", TAG_A);
	assert_string_equal(r->out, "release requested host=0 region=1 policy=tag-based tag=" TAG_A "\n");
	qmp_client_free(c);
}

/* events --name matches in any case; --qmp takes a bare file name, and says what HOST:PORT needs. */
static void test_events_name_any_case_and_qmp_file_name(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct child ch;
	struct run r, *rp;
	char qmp[200], cwd[512];

	(void)state;
	c = start_dev(&p, tagged_dev);
	OK(&p, "backend-add", "ram", "tm0", "1G", "--tag", TAG_A);
	snprintf(qmp, sizeof(qmp), "unix:%s", p.qmp);
	spawn_ctl(&ch, NULL, NULL, (const char *const[]){ "--qmp", qmp, "events", "--count", "1",
		  "--timeout", "20", "--name", "cxl_dc_capacity_accepted", NULL });
	wait_sessions(&p, 3);
	OK(&p, "add", "--device", "cxl-vmem0", "--host", "0", "--tag", TAG_A, "--size", "2M");
	assert_int_equal(host_answer_all(c, VMEM, 0), 1);
	finish(&ch, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, " CXL_DC_CAPACITY_ACCEPTED {"));

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(p.dir), 0);
	run_env(&r, NULL, NULL, (const char *const[]){ "--qmp", "qmp.sock", "backends", NULL });
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(r.status, 0);
	expect_row(r.out, "tm0 ram 1G no " TAG_A " 1 no");
	rp = USAGE(NULL, "--qmp", "localhost:4444", "backends");
	assert_string_equal(rp->err, "cxldcd-ctl backends: --qmp 'localhost:4444': not a path (it has a ':'); "
				     "for TCP write tcp:localhost:4444, for a file ./localhost:4444 or "
				     "unix:localhost:4444\nTry 'cxldcd-ctl backends --help'.\n");
	qmp_client_free(c);
}


/* ---- help --------------------------------------------------------------------- */

static void test_help_and_version(void **state)
{
	struct run *rp;

	(void)state;
	rp = OK(NULL, "--help");
	assert_true(!strncmp(rp->out, "usage: cxldcd-ctl [--qmp unix:PATH|tcp:HOST:PORT] [--json] COMMAND", 66));
	rp = OK(NULL, "add", "--help");
	assert_true(!strncmp(rp->out, "usage: cxldcd-ctl [--qmp ADDR] [--json] add --device ID --host N", 64));
	rp = OK(NULL, "help", "events");
	assert_non_null(strstr(rp->out, "--count N"));
	rp = OK(NULL, "--version");
	assert_string_equal(rp->out, "cxldcd-ctl 0.1.0\n");
	for (const char *const *cmd = (const char *const[]){ "release", "status", "list", "backends",
	     "backend-add", "backend-del", "events", "raw", "cci", NULL }; *cmd; cmd++) {
		rp = OK(NULL, *cmd, "--help");
		assert_true(!strncmp(rp->out, "usage: cxldcd-ctl", 17));
	}
}

/* ---- durability --------------------------------------------------------------- */

/* Whether @text has a line that, blanks squeezed, starts with @start and ends with @end. */
static bool has_row_like(const char *text, const char *start, const char *end)
{
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line), n = 0;
		char sq[512];

		for (size_t i = 0; i < len && n < sizeof(sq) - 1; i++)
			if (line[i] != ' ' || (n && sq[n - 1] != ' '))
				sq[n++] = line[i];
		sq[n] = 0;
		if (!strncmp(sq, start, strlen(start)) && n >= strlen(end) &&
		    !strcmp(sq + n - strlen(end), end))
			return true;
		if (!nl)
			break;
		line = nl + 1;
	}
	return false;
}

/*
 * durability (query-cxl-durability): no --state; then a daemon with a
 * state store whose commit after host 0's Secure Erase fails (the faultfs
 * shim, $FAULTFS): the store failing, the proof owed, host 0's erase in
 * doubt; once the store works again the daemon commits the proof by
 * itself and the same command says so.
 */
static void test_durability_shows_the_store_and_the_erases_in_doubt(void **state)
{
	const char *lib = getenv("FAULTFS");
	char dev[] = "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2";
	char obj[300], st[200], ctl[200], syncs[200];
	const char *args[12];
	struct dproc p;
	struct qmp_client *c;
	struct run *r;
	json_t *j;
	FILE *f;
	int i;

	(void)state;
	c = start_dev(&p, tagged_dev);
	r = OK(&p, "durability");
	assert_string_equal(r->out, "state store: none (no --state): nothing is journaled\n");
	qmp_client_free(c);
	dproc_kill9(&p);
	if (!lib)
		skip();
	assert_int_equal(dproc_init(&p), 0);
	snprintf(obj, sizeof(obj), "memory-backend-file,id=fa,size=64M,share=on,mem-path=%s/a.mem,tag="
		 TAG_A, p.dir);
	snprintf(st, sizeof(st), "%s/state", p.dir);
	snprintf(ctl, sizeof(ctl), "%s/fault", p.dir);
	snprintf(syncs, sizeof(syncs), "%s/syncs", p.dir);
	i = 0;
	args[i++] = "-object";
	args[i++] = obj;
	args[i++] = "-device";
	args[i++] = dev;
	args[i++] = "--state";
	args[i++] = st;
	args[i] = NULL;
	setenv("LD_PRELOAD", lib, 1);
	setenv("CXLDCD_FAULTFS", ctl, 1);
	setenv("CXLDCD_FAULTFS_SYNCS", syncs, 1);
	setenv("CXLDCD_PROOF_RETRY_MS", "50", 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	c = connect_dev(&p, args);
	unsetenv("LD_PRELOAD");
	unsetenv("CXLDCD_FAULTFS");
	unsetenv("CXLDCD_FAULTFS_SYNCS");
	unsetenv("CXLDCD_PROOF_RETRY_MS");
	r = OK(&p, "durability");
	assert_string_equal(r->out, "state store: accepts writes\nproof owed: no\n");
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			     "\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\""
			     TAG_A "\",\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	/* From the commit after the erase's own on, the store fails. */
	{
		struct stat sb;

		assert_non_null(f = fopen(ctl, "w"));
		fprintf(f, "EIO %ld\n", stat(syncs, &sb) ? 1L : (long)sb.st_size + 1);
		fclose(f);
	}
	j = qmp_client_cmd(c, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\","
			      "\"cci\":\"mailbox\",\"host-id\":0,\"opcode\":17409}}", TMO);
	assert_non_null(qmp_client_err_desc(j));
	json_decref(j);
	r = OK(&p, "durability");
	if (strncmp(r->out, "state store: failing: ", 22) || !strstr(r->out, "\nproof owed: since 20") ||
	    !strstr(r->out, "erases in doubt (proof not committed; a restart now erases again):\n") ||
	    !has_row(r->out, "DEVICE HOST ERASES SINCE") || !has_row_like(r->out, "d0 0 1 20", "Z"))
		fail_msg("durability while the proof is owed:\n%s", r->out);
	unlink(ctl);
	for (i = 0; i < TMO / 20; i++, usleep(20000)) {
		r = OK(&p, "durability");
		if (!strcmp(r->out, "state store: accepts writes\nproof owed: no\n"))
			break;
	}
	assert_string_equal(r->out, "state store: accepts writes\nproof owed: no\n");
	r = OK(&p, "--json", "durability");
	assert_string_equal(r->out, "{\"state-store\":true,\"accepts-writes\":true,\"proof-owed\":false}\n");
	qmp_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_bad_arguments_exit_2),
		cmocka_unit_test(test_connection_failures_name_the_socket),
		cmocka_unit_test_teardown(test_backend_add_list_and_del, dproc_reap_all),
		cmocka_unit_test_teardown(test_add_list_status_release_session, dproc_reap_all),
		cmocka_unit_test_teardown(test_add_by_size_and_release_by_extent, dproc_reap_all),
		cmocka_unit_test_teardown(test_daemon_errors_are_shown_verbatim, dproc_reap_all),
		cmocka_unit_test_teardown(test_durability_shows_the_store_and_the_erases_in_doubt,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_env_default_path_and_tcp_reach_the_daemon, dproc_reap_all),
		cmocka_unit_test_teardown(test_events_are_bounded_by_count_timeout_and_signals, dproc_reap_all),
		cmocka_unit_test_teardown(test_discovery_and_list_of_every_device, dproc_reap_all),
		cmocka_unit_test_teardown(test_summaries_say_what_the_device_did, dproc_reap_all),
		cmocka_unit_test_teardown(test_events_name_any_case_and_qmp_file_name, dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
