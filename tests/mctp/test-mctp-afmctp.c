/* SPDX-License-Identifier: MIT */
/*
 * test-mctp-afmctp.c - an unmodified AF_MCTP program (mctp-fm-client, which
 * uses the socket API as libcxlmi does) run under cxldcd-mctp-run against
 * the real daemon's FM socket, with a cxldcd-host agent accepting: probe,
 * the FM DCD flow (5604h add, host accept, 5603h/5608h show the tag,
 * 5605h tag-based release), the 07h/08h bindings, 08h on the daemon's
 * --mctp-cci socket (the Type 3 MCTP CCI), the kernel's socket
 * semantics, and the wrapper's own argument checks.
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
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e.h"

#define OUT_CAP 16384

static const char *const accept_all[] = { "--accept", "all", NULL };

static void start(struct e2e *e)
{
	const char *more[] = {
		"-object", "memory-backend-memfd,id=ma,size=64M,share=on,tag=" TAG_A,
		"-object", "memory-backend-memfd,id=mb,size=64M,share=on,tag=" TAG_B,
		"--fm", NULL, NULL,
	};

	more[5] = e->d.fm_arg;
	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,dc-regions-total-size=1G,"
			    "num-hosts=2", more);
}

/*
 * Run cxldcd-mctp-run with @args (NULL-terminated) and collect its stdout
 * and stderr in out; return its exit status (-1 on timeout).
 */
static int run(char *out, const char *const *args)
{
	const char *argv[24];
	int pfd[2], n = 0, status;
	size_t len = 0;
	uint64_t until = e2e_now_ms() + E2E_TMO;
	pid_t pid;

	argv[n++] = getenv("CXLDCD_MCTP_RUN");
	for (; *args && n < 23; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, 100) == 1) {
			k = read(pfd[0], out + len, OUT_CAP - 1 - len);
			if (k <= 0)
				break;
			len += (size_t)k;
		}
		if (e2e_now_ms() > until || len == OUT_CAP - 1) {
			kill(pid, SIGKILL);
			break;
		}
	}
	out[len] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* cxldcd-mctp-run --fm unix:FM --eid 9 -- mctp-fm-client 9 @a... */
static int client(struct e2e *e, char *out, const char *a0, const char *a1, const char *a2,
		  const char *a3)
{
	const char *args[] = { "--fm", e->d.fm_arg, "--eid", "9", "--",
			       getenv("MCTP_FM_CLIENT"), "9", a0, a1, a2, a3, NULL };

	return run(out, args);
}

static char out[OUT_CAP];

static void test_probe_reads_identify_logs_cel_and_dcd_info(void **state)
{
	struct e2e *e = *state;

	start(e);
	if (client(e, out, "probe", NULL, NULL, NULL))
		fail_msg("probe failed:\n%s\n%s", out, dproc_log(&e->d));
	/* Component type 03h: a Type 3 device (CXL r3.2 §8.2.10.1.1). */
	assert_non_null(strstr(out, "component=03\n"));
	assert_non_null(strstr(out, "logs n=1 cel_size="));
	assert_non_null(strstr(out, "cel 0001 "));
	assert_non_null(strstr(out, " 5604 5605 "));
	assert_non_null(strstr(out, "dcd hosts=2 regions=1\n"));
}

static void test_fm_dcd_flow_add_accept_list_tag_release(void **state)
{
	struct e2e *e = *state;
	struct agent *a;

	start(e);
	a = agent_start(e, 0, 0, accept_all);
	wait_connected(e, 0, true);
	if (client(e, out, "add", "0", TAG_A, "4194304"))
		fail_msg("add failed:\n%s\n%s", out, dproc_log(&e->d));
	assert_non_null(strstr(out, "add rc=0\n"));
	if (!agent_wait(a, "group-added", 0, TAG_A, E2E_TMO))
		fail_msg("no group-added:\n%s", agent_log(a));

	assert_int_equal(client(e, out, "extents", "0", NULL, NULL), 0);
	assert_non_null(strstr(out, "extents returned=1 total=1 "));
	assert_non_null(strstr(out, "len=0x400000 tag=" TAG_A "\n"));
	assert_int_equal(client(e, out, "tags", NULL, NULL, NULL), 0);
	assert_non_null(strstr(out, "tag " TAG_A "\n"));

	if (client(e, out, "release", "0", TAG_A, "4194304"))
		fail_msg("release failed:\n%s\n%s", out, dproc_log(&e->d));
	assert_non_null(strstr(out, "release rc=0\n"));
	if (!agent_wait(a, "group-released", 0, TAG_A, E2E_TMO))
		fail_msg("no group-released:\n%s", agent_log(a));
	dc_wait_status(e, 0, TAG_A, "released");
	assert_int_equal(client(e, out, "extents", "0", NULL, NULL), 0);
	assert_non_null(strstr(out, "extents returned=0 total=0 "));
}

static void test_each_binding_refuses_the_other_bindings_command_sets(void **state)
{
	struct e2e *e = *state;

	start(e);
	if (client(e, out, "binding", NULL, NULL, NULL))
		fail_msg("binding failed:\n%s", out);
	assert_non_null(strstr(out, "binding identify-on-07h=3 dcd-info-on-08h=3 dc-config-on-08h=21\n"));
}

/*
 * The daemon's --mctp-cci socket, given to the wrapper with --mctp-cci (or
 * found as mctp.sock next to fm.sock): 08h reaches the Type 3 MCTP CCI, so
 * Identify Memory Device answers as the host mailbox does, 4802h is not
 * there (15h), the CEL is exactly the CCI_MCTP set (the FM-API DCD set
 * included: the endpoint takes it as 07h); 07h is still the FM-API.
 */
static void test_08h_reaches_the_mctp_cci_socket(void **state)
{
	struct e2e *e = *state;
	char fm_arg[120], mctp_arg[120], expect[400];
	const char *args[] = { "--fm", fm_arg, "--mctp-cci", mctp_arg, "--eid", "9", "--",
			       getenv("MCTP_FM_CLIENT"), "9", "mctp-cci", NULL };
	const char *found[] = { "--fm", fm_arg, "--eid", "9", "--",
				getenv("MCTP_FM_CLIENT"), "9", "probe", NULL };
	const char *routes[] = { "--fm", fm_arg, "--eid", "9", "--",
				 getenv("MCTP_FM_CLIENT"), "9", "routes", NULL };
	json_t *r;

	/* No --fm: the default fm.sock and mctp.sock in $XDG_RUNTIME_DIR/cxldcd. */
	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,dc-regions-total-size=1G,"
			    "num-hosts=2", NULL);
	snprintf(fm_arg, sizeof(fm_arg), "unix:%s/cxldcd/fm.sock", e->d.dir);
	snprintf(mctp_arg, sizeof(mctp_arg), "unix:%s/cxldcd/mctp.sock", e->d.dir);
	snprintf(expect, sizeof(expect), "mctp-cci: listening on %s (device " DEV_ID ")",
		 mctp_arg);
	if (!strstr(dproc_log(&e->d), expect))
		fail_msg("no '%s':\n%s", expect, dproc_log(&e->d));
	if (run(out, args))
		fail_msg("mctp-cci failed:\n%s\n%s", out, dproc_log(&e->d));
	r = qmp_ok(e, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"" DEV_PATH
		      "\",\"cci\":\"mailbox\",\"host-id\":0,\"opcode\":16384}}");
	snprintf(expect, sizeof(expect), "memdev-on-08h rc=0 len=0x45 hex=%s\n",
		 json_string_value(json_object_get(RET(r), "payload")));
	json_decref(r);
	for (char *p = expect; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
	if (!strstr(out, expect))
		fail_msg("not '%s':\n%s", expect, out);
	assert_non_null(strstr(out, "dc-config-4802-on-08h rc=21 len=0\n"));
	assert_non_null(strstr(out, "dcd-info-on-07h rc=0 len=0x54\n"));
	/* every command allowed on the Type 3 MCTP CCI answers, every prohibited one 15h */
	assert_non_null(strstr(out, " 0102:15 0103:15 4301:15 4402:15 4800:15 4801:15 4802:15 "
				    "4803:15\n"));
	assert_non_null(strstr(out, "mctp-cci allowed-answered=32 prohibited-15h=8\n"));

	/* No --mctp-cci: DIR/mctp.sock next to --fm unix:DIR/fm.sock serves 08h. */
	assert_int_equal(run(out, routes), 0);
	snprintf(expect, sizeof(expect), "9=%s|%s\n", fm_arg, mctp_arg);
	assert_string_equal(out, expect);
	if (run(out, found))
		fail_msg("probe failed:\n%s\n%s", out, dproc_log(&e->d));
	if (!strstr(out, "cel 0001 0002 0003 0004 0005 0100 0101 0200 0300 0301 0400 0401 0405 0500 "
			 "0501 0502 0600 4000 4100 4102 4103 4200 4201 4202 4300 4302 4303 4304 4305 "
			 "4400 4401 4500 5600 5601 5602 5603 5604 5605 5606 5607 5608\n"))
		fail_msg("CEL over 08h is not the MCTP CCI's:\n%s", out);
	/* libcxlmi's examples look for 5600h in that CEL before any FM-API DCD command */
	assert_non_null(strstr(out, "fmapi-dcd in-cel=yes\n"));
	assert_non_null(strstr(out, "dcd hosts=2 regions=1\n"));
}

/* One CCI request on a fresh connection to unix @path; the response in rsp. */
static ssize_t raw_cci(const char *path, uint16_t op, const uint8_t *in, size_t in_len,
		       uint8_t *rsp, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t req[64] = { 0 };
	ssize_t n = 0, k;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_true(fd >= 0 && in_len <= sizeof(req) - 12);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	req[3] = (uint8_t)op;
	req[4] = (uint8_t)(op >> 8);
	req[5] = (uint8_t)in_len;
	if (in_len)
		memcpy(req + 12, in, in_len);
	assert_int_equal(write(fd, req, 12 + in_len), (ssize_t)(12 + in_len));
	while (n < 12 || n < 12 + (rsp[5] | rsp[6] << 8)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, E2E_TMO) != 1 || (k = read(fd, rsp + n, cap - (size_t)n)) <= 0)
			break;
		n += k;
	}
	close(fd);
	return n;
}

/*
 * Set Alert Configuration on the --mctp-cci socket is journaled and replayed.
 * (Set Event Interrupt Policy is prohibited on MCTP: 15h there.)
 */
static void test_a_change_on_the_mctp_cci_socket_survives_kill9(void **state)
{
	/* valid: life used; enabled: life used; warning threshold 70 % */
	static const uint8_t alert[0x0c] = { 0x01, 0x01, 70 };
	struct e2e *e = *state;
	char path[120];
	uint8_t rsp[128];

	e->with_state = true;
	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,dc-regions-total-size=1G",
			 NULL);
	snprintf(path, sizeof(path), "%s/cxldcd/mctp.sock", e->d.dir);
	assert_int_equal(raw_cci(path, 0x0103, alert, 5, rsp, sizeof(rsp)), 12);
	assert_int_equal(rsp[8] | rsp[9] << 8, 0x15);
	assert_int_equal(raw_cci(path, 0x4202, alert, sizeof(alert), rsp, sizeof(rsp)), 12);
	assert_int_equal(rsp[8] | rsp[9] << 8, 0);
	e2e_restart_daemon(e, true);
	assert_int_equal(raw_cci(path, 0x4201, NULL, 0, rsp, sizeof(rsp)), 12 + 0x10);
	assert_int_equal(rsp[8] | rsp[9] << 8, 0);
	assert_int_equal(rsp[12 + 0x00], 0x01);        /* Valid Alerts: life used */
	assert_int_equal(rsp[12 + 0x03], 70);          /* Life Used Programmable Warning */
	/* Identify Memory Device: the MCTP CCI serves it (the FM CCI would not). */
	assert_int_equal(raw_cci(path, 0x4000, NULL, 0, rsp, sizeof(rsp)), 12 + 0x45);
	assert_int_equal(rsp[8] | rsp[9] << 8, 0);
}

static void test_sockets_behave_as_the_kernels(void **state)
{
	struct e2e *e = *state;

	start(e);
	if (client(e, out, "socket-api", NULL, NULL, NULL))
		fail_msg("socket-api failed:\n%s", out);
	assert_non_null(strstr(out, "socket-api failures=0\n"));
	/* Built with _FORTIFY_SOURCE: recv() and read() arrive as __recv_chk()/__read_chk(). */
	{
		const char *args[] = { "--fm", e->d.fm_arg, "--eid", "9", "--",
				       getenv("MCTP_FM_CLIENT_FORTIFY"), "9", "socket-api", NULL };

		if (run(out, args))
			fail_msg("socket-api (fortified) failed:\n%s", out);
		assert_non_null(strstr(out, "socket-api failures=0\n"));
	}
}

static void test_two_eids_reach_two_devices(void **state)
{
	struct e2e *e = *state;
	char fm1[200], fm1_arg[220], route1[210];
	const char *more[] = {
		"-device", "cxl-type3,id=d1,num-dc-regions=2,dc-regions-total-size=1G,num-hosts=3",
		"--fm", NULL, "--fm", NULL, NULL,
	};

	char dir1[] = "/tmp/cxldcd-mctp-eid-XXXXXX";

	/* e->d.dir is made by e2e_start_daemon(): the second socket needs a place first */
	assert_non_null(mkdtemp(dir1));
	snprintf(fm1, sizeof(fm1), "%s/fm1.sock", dir1);
	snprintf(fm1_arg, sizeof(fm1_arg), "unix:%s,device=d1", fm1);
	snprintf(route1, sizeof(route1), "unix:%s", fm1);
	more[3] = e->d.fm_arg;
	more[5] = fm1_arg;
	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,dc-regions-total-size=1G,"
			    "num-hosts=2", more);
	const char *args[] = { "--fm", e->d.fm_arg, "--eid", "8", "--fm", route1, "--eid", "9",
			       "--", getenv("MCTP_FM_CLIENT"), "9", "probe", NULL };
	if (run(out, args))
		fail_msg("probe of eid 9 failed:\n%s\n%s", out, dproc_log(&e->d));
	assert_non_null(strstr(out, "dcd hosts=3 regions=2\n"));
	args[10] = "8";
	assert_int_equal(run(out, args), 0);
	assert_non_null(strstr(out, "dcd hosts=2 regions=1\n"));
	unlink(fm1);
	rmdir(dir1);
}

static void test_device_gone_is_a_lost_message_not_a_crash(void **state)
{
	const char *args[] = { "--fm", "unix:/nonexistent/cxldcd-fm.sock", "--",
			       getenv("MCTP_FM_CLIENT"), "8", "probe", NULL };

	(void)state;
	/* no response can come: the client need not wait its 2 s for it */
	setenv("MCTP_FM_CLIENT_TIMEOUT_MS", "100", 1);
	assert_int_equal(run(out, args), 1);
	unsetenv("MCTP_FM_CLIENT_TIMEOUT_MS");
	assert_non_null(strstr(out, "cxldcd-mctp: eid 8: cannot reach unix:/nonexistent"));
	assert_non_null(strstr(out, "timeout on 0001h"));
}

static void test_wrapper_refuses_bad_arguments(void **state)
{
	const char *no_fm[] = { "--", "true", NULL };
	const char *bad_eid[] = { "--fm", "unix:/x", "--eid", "7", "--", "true", NULL };
	const char *twice[] = { "--fm", "unix:/x", "--eid", "9", "--fm", "unix:/y", "--eid", "9",
				"--", "true", NULL };
	const char *bad_addr[] = { "--fm", "/x", "--", "true", NULL };
	const char *ok[] = { "--fm", "unix:/x", "--fm", "tcp::1", "--eid", "8", "--",
			     getenv("MCTP_FM_CLIENT"), "8", "routes", NULL };

	(void)state;
	assert_int_equal(run(out, no_fm), 2);
	assert_int_equal(run(out, bad_eid), 2);
	assert_non_null(strstr(out, "EID is not 8..254: '7'"));
	assert_int_equal(run(out, twice), 2);
	assert_int_equal(run(out, bad_addr), 2);
	/* The first --fm without --eid gets the first number not taken: 9. */
	assert_int_equal(run(out, ok), 0);
	assert_string_equal(out, "9=unix:/x;8=tcp::1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_reads_identify_logs_cel_and_dcd_info,
						e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_fm_dcd_flow_add_accept_list_tag_release,
						e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(
			test_each_binding_refuses_the_other_bindings_command_sets, e2e_setup,
			e2e_teardown),
		cmocka_unit_test_setup_teardown(test_08h_reaches_the_mctp_cci_socket, e2e_setup,
						e2e_teardown),
		cmocka_unit_test_setup_teardown(test_a_change_on_the_mctp_cci_socket_survives_kill9,
						e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_sockets_behave_as_the_kernels, e2e_setup,
						e2e_teardown),
		cmocka_unit_test_setup_teardown(test_two_eids_reach_two_devices, e2e_setup,
						e2e_teardown),
		cmocka_unit_test_setup_teardown(test_device_gone_is_a_lost_message_not_a_crash,
						e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_wrapper_refuses_bad_arguments, e2e_setup,
						e2e_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
