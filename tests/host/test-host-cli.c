/* SPDX-License-Identifier: MIT */
/*
 * test-host-cli.c - the cxldcd-host CLI end to end: this process runs the
 * device (model, memory, hostlink server); the CLI runs as the agent in a
 * child process and as one-shot list/fill/verify commands through the
 * agent's application socket.  argv[1] is the path of the cxldcd-host binary.
 * The child's stdout and stderr are read together.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hx.h"

static const char *cli;

struct child {
	pid_t pid;
	int out;                    /* stdout pipe, non-blocking */
	char buf[8192];
	size_t len;
};

static void spawn(struct child *c, char *const argv[])
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	c->len = 0;
	c->buf[0] = '\0';
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a test killed by its timeout */
		dup2(p[1], 1);
		dup2(p[1], 2);      /* messages too: the tests check what they say */
		close(p[0]);
		close(p[1]);
		execv(cli, argv);
		_exit(127);
	}
	close(p[1]);
	c->out = p[0];
	fcntl(c->out, F_SETFL, O_NONBLOCK);
}

static void drain(struct child *c)
{
	ssize_t n;

	while (c->len + 1 < sizeof(c->buf) &&
	       (n = read(c->out, c->buf + c->len, sizeof(c->buf) - 1 - c->len)) > 0)
		c->len += (size_t)n;
	c->buf[c->len] = '\0';
}

/* Pump the device until the child printed `what` (or exited, when what is NULL). */
static int wait_child(struct hx *x, struct child *c, const char *what, int ms)
{
	int st = 0;

	for (int i = 0; i < ms / 10; i++) {
		hx_pump(x, 10);
		drain(c);
		if (what && strstr(c->buf, what))
			return 0;
		if (!what && waitpid(c->pid, &st, WNOHANG) == c->pid) {
			drain(c);
			close(c->out);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
	}
	fprintf(stderr, "child output so far:\n%s\n", c->buf);
	return -1;
}

static int run(struct hx *x, struct child *c, char *const argv[])
{
	spawn(c, argv);
	return wait_child(x, c, NULL, 10000);
}

static void test_cli_agent_fill_verify_list(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e[2] = { hx_ext(x->base[0] + 32 * MiB, 2 * MiB, TAG_A, 1),
				      hx_ext(x->base[0] + 64 * MiB, 2 * MiB, TAG_A, 0) };
	char *agent_argv[] = { (char *)cli, "--connect", x->sock, "--host-id", "0",
			       "--agent-socket", x->app_sock, "--accept", "tags=" TAG_A, NULL };
	char *fill[] = { (char *)cli, "--agent-socket", x->app_sock, "fill", TAG_A, "xyz", NULL };
	char *verify[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", TAG_A, "xyz", NULL };
	char *wrong[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", TAG_A, "abc", NULL };
	char *list[] = { (char *)cli, "--agent-socket", x->app_sock, "list", NULL };
	struct child agent, c;
	uint8_t buf[3];
	int st;

	spawn(&agent, agent_argv);
	assert_int_equal(wait_child(x, &agent, "ready", 5000), 0);
	assert_int_equal(hx_add(x, 0, e, 2), CXLDCD_RC_SUCCESS);
	assert_int_equal(wait_child(x, &agent, "group-added", 5000), 0);
	assert_non_null(strstr(agent.buf, TAG_A));
	assert_int_equal(run(x, &c, fill), 0);
	assert_non_null(strstr(c.buf, "fill"));
	/* group offset 0 is the seq 0 extent at +64 MiB; 2 MiB later comes +32 MiB */
	assert_int_equal(mem_read(x->md, 0, x->base[0] + 64 * MiB, buf, 3, NULL, 0), 0);
	assert_memory_equal(buf, "xyz", 3);
	assert_int_equal(mem_read(x->md, 0, x->base[0] + 32 * MiB, buf, 3, NULL, 0), 0);
	/* 2 MiB % 3 == 2: the pattern continues with 'z' */
	assert_int_equal(buf[0], 'z');
	assert_int_equal(run(x, &c, verify), 0);
	assert_non_null(strstr(c.buf, " ok"));
	assert_int_equal(run(x, &c, wrong), 1);
	assert_int_equal(run(x, &c, list), 0);
	assert_non_null(strstr(c.buf, "tag=" TAG_A));
	assert_non_null(strstr(c.buf, "size=0x400000"));
	kill(agent.pid, SIGTERM);
	st = wait_child(x, &agent, NULL, 5000);
	assert_int_equal(st, 0);
	assert_int_equal(core_extent_count(x->dev, 0), 2);
}

/*
 * "No tag" is "-" in every line a script greps: the agent's events and
 * list.  And a group is named as list names it, "tag=UUID" in lower case or
 * "id=N", whatever form was typed (an upper-case tag, a bare id), in
 * fill/verify's lines and errors.  Before, list printed an untagged group
 * as "tag=0" while its group-added line said "tag=-", fill echoed the tag
 * as typed, and an error named the group as typed ("verify 9: ...").
 */
static void test_cli_no_tag_is_a_dash_and_groups_are_named_one_way(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent t = hx_ext(x->base[1] + 32 * MiB, 2 * MiB, TAG_A, 0);
	struct cxldcd_extent u = hx_ext(x->base[1] + 64 * MiB, 2 * MiB, NULL, 0);
	char *agent_argv[] = { (char *)cli, "--connect", x->sock, "--host-id", "0",
			       "--agent-socket", x->app_sock, NULL };
	char *list[] = { (char *)cli, "--agent-socket", x->app_sock, "list", NULL };
	char *fill[] = { (char *)cli, "--agent-socket", x->app_sock, "fill",
			 "5BE13BCE-AE34-4A77-B6C3-16DF975FCF1A", "0xa5", NULL };
	char *verify[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", "2", "xy", NULL };
	char *none[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", "9", "xy", NULL };
	struct child agent, c;

	spawn(&agent, agent_argv);
	assert_int_equal(wait_child(x, &agent, "ready", 5000), 0);
	assert_int_equal(hx_add(x, 0, &t, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(wait_child(x, &agent, "group-added tag=" TAG_A " id=1 ", 5000), 0);
	assert_int_equal(hx_add(x, 0, &u, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(wait_child(x, &agent, "group-added tag=- id=2 ", 5000), 0);
	assert_int_equal(run(x, &c, list), 0);
	assert_string_equal(c.buf, "id=1 tag=" TAG_A " size=0x200000 extents=1 open=0 mapped\n"
				   "id=2 tag=- size=0x200000 extents=1 open=0 mapped\n");
	assert_int_equal(run(x, &c, fill), 0);
	assert_string_equal(c.buf, "fill tag=" TAG_A " size=0x200000\n");
	assert_int_equal(run(x, &c, verify), 1);
	assert_string_equal(c.buf, "cxldcd-host: mismatch at offset 0x0: 0x00, expected 0x78\n"
				   "verify id=2 size=0x200000 MISMATCH\n");
	assert_int_equal(run(x, &c, none), 1);
	assert_string_equal(c.buf, "cxldcd-host: verify id=9: No such file or directory (no such "
				   "group: 'cxldcd-host --agent-socket PATH list' shows them)\n");
	kill(agent.pid, SIGTERM);
	assert_int_equal(wait_child(x, &agent, NULL, 5000), 0);
}

/*
 * fill and verify of a group a forced release took part of: they cover
 * what is left, at its offsets in the group (the pattern anchored at group
 * offset 0 as always), and say how much was taken.  Before, the open was
 * refused (the group could not be opened until it went), and had it been
 * handed out, the loop over the whole size would have faulted on the
 * revoked piece.
 */
static void test_cli_fill_verify_a_group_a_forced_release_took_part_of(void **state)
{
	struct hx *x = *state;
	uint64_t a0 = x->base[1] + 32 * MiB, a1 = x->base[1] + 64 * MiB; /* not sharable */
	struct cxldcd_extent e[2] = { hx_ext(a0, 2 * MiB, TAG_A, 0), hx_ext(a1, 2 * MiB, TAG_A, 0) };
	struct cxldcd_extent cut = hx_ext(a0, 2 * MiB, NULL, 0);
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .forced = true, .nr_extents = 1, .extents = &cut };
	char *agent_argv[] = { (char *)cli, "--connect", x->sock, "--host-id", "0",
			       "--agent-socket", x->app_sock, NULL };
	char *fill[] = { (char *)cli, "--agent-socket", x->app_sock, "fill", TAG_A, "xyz", NULL };
	char *verify[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", TAG_A, "xyz", NULL };
	char *wrong[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", TAG_A, "abc", NULL };
	struct cxldcd_diag diag;
	struct child agent, c;
	uint8_t buf[3];

	spawn(&agent, agent_argv);
	assert_int_equal(wait_child(x, &agent, "ready", 5000), 0);
	assert_int_equal(hx_add(x, 0, e, 2), CXLDCD_RC_SUCCESS);
	assert_int_equal(wait_child(x, &agent, "group-added", 5000), 0);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_int_equal(wait_child(x, &agent, "forced-release", 5000), 0);
	assert_int_equal(run(x, &c, fill), 0);
	assert_non_null(strstr(c.buf, "fill tag=" TAG_A " size=0x400000 revoked=0x200000\n"));
	/* group offset 2 MiB is a1; 2 MiB % 3 == 2: the pattern goes on with 'z' there */
	assert_int_equal(mem_read(x->md, 0, a1, buf, 3, NULL, 0), 0);
	assert_memory_equal(buf, "zxy", 3);
	assert_int_equal(run(x, &c, verify), 0);
	assert_non_null(strstr(c.buf, "verify tag=" TAG_A " size=0x400000 revoked=0x200000 ok\n"));
	assert_int_equal(run(x, &c, wrong), 1);
	assert_non_null(strstr(c.buf, "mismatch at offset 0x200000"));
	kill(agent.pid, SIGTERM);
	assert_int_equal(wait_child(x, &agent, NULL, 5000), 0);
}

/*
 * A CXL RAS error: the agent unmasks at connect, and on the AER message
 * prints one line per error in the shape of Linux's cxl_aer_*_error trace
 * events, then clears the status (the device's registers read 0 again).
 */
static void test_cli_prints_ras_errors_as_linux_trace_events(void **state)
{
	struct hx *x = *state;
	char link[128];
	char *agent_argv[] = { (char *)cli, "--connect", x->sock, "--host-id", "1", NULL };
	struct core_uncor_error e[2] = { { .bit = CXLDCD_RAS_UNC_CACHE_ADDRESS_PARITY,
					   .header = { 3, 4 } },
					 { .bit = CXLDCD_RAS_UNC_INTERNAL, .header = { 1, 2, 4 } } };
	char want[512];
	struct core_ras_regs r;
	struct child agent;

	snprintf(link, sizeof(link), "unix:%s", x->sock);
	spawn(&agent, agent_argv);
	assert_int_equal(wait_child(x, &agent, "ready", 5000), 0);
	assert_int_equal(core_ras_inject_uncor(x->dev, 1, e, 2, NULL), CXLDCD_RC_SUCCESS);
	snprintf(want, sizeof(want),
		 "cxl_aer_uncorrectable_error: memdev=mem1 host=%s serial=%llu: status: "
		 "'Cache Address Parity Error | Component Specific Error' first_error: "
		 "'Cache Address Parity Error'\n", link,
		 (unsigned long long)core_dev_cfg(x->dev)->serial);
	assert_int_equal(wait_child(x, &agent, want, 5000), 0);
	assert_int_equal(core_ras_inject_cor(x->dev, 1, CXLDCD_RAS_COR_PHYSICAL, NULL),
			 CXLDCD_RC_SUCCESS);
	snprintf(want, sizeof(want),
		 "cxl_aer_correctable_error: memdev=mem1 host=%s serial=%llu: status: "
		 "'Received Error From Physical Layer'\n", link,
		 (unsigned long long)core_dev_cfg(x->dev)->serial);
	assert_int_equal(wait_child(x, &agent, want, 5000), 0);
	hx_pump(x, 100);
	core_ras_get(x->dev, 1, &r);
	assert_int_equal(r.unc_status, 0);
	assert_int_equal(r.cor_status, 0);
	assert_int_equal(r.unc_mask, 0);
	kill(agent.pid, SIGTERM);
	assert_int_equal(wait_child(x, &agent, NULL, 5000), 0);
}

/*
 * PATTERN 0xa5 is the byte A5h (a text pattern of that byte verifies it),
 * an untagged group is filled and verified by id=N, and -v prints each
 * event once, with no raw "<6>" level prefix.
 */
static void test_cli_byte_pattern_untagged_group_clean_verbose(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e = hx_ext(x->base[1] + 32 * MiB, 2 * MiB, NULL, 0);  /* region 1: not sharable */
	char *agent_argv[] = { (char *)cli, "--connect", x->sock, "--host-id", "0",
			       "--agent-socket", x->app_sock, "-v", NULL };
	char *fill[] = { (char *)cli, "--agent-socket", x->app_sock, "fill", "id=1", "0xa55a", NULL };
	char *verify_text[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", "id=1",
				"\xa5\x5a", NULL };
	char *verify_hex[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", "1", "0xA55A",
			       NULL };
	char *odd[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", "1", "0xa", NULL };
	char *blank[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", "1", "0x\t5", NULL };
	char *nogroup[] = { (char *)cli, "--agent-socket", x->app_sock, "verify", "id=9", "0xa5",
			    NULL };
	struct child agent, c;
	uint8_t buf[4];
	const char *first;

	spawn(&agent, agent_argv);
	assert_int_equal(wait_child(x, &agent, "ready", 5000), 0);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(wait_child(x, &agent, "group-added", 5000), 0);
	assert_int_equal(run(x, &c, fill), 0);
	assert_non_null(strstr(c.buf, "fill id=1 size=0x200000"));
	assert_int_equal(mem_read(x->md, 0, x->base[1] + 32 * MiB, buf, 4, NULL, 0), 0);
	assert_memory_equal(buf, "\xa5\x5a\xa5\x5a", 4);
	assert_int_equal(run(x, &c, verify_text), 0);
	assert_non_null(strstr(c.buf, "verify id=1 size=0x200000 ok"));
	assert_int_equal(run(x, &c, verify_hex), 0);
	assert_int_equal(run(x, &c, odd), 2);
	assert_non_null(strstr(c.buf, "PATTERN '0xa'"));
	/* a hex byte is two hex digits: strtoul() took "\t5" as 05 */
	assert_int_equal(run(x, &c, blank), 2);
	assert_int_equal(run(x, &c, nogroup), 1);
	assert_non_null(strstr(c.buf, "no such group"));
	kill(agent.pid, SIGTERM);
	assert_int_equal(wait_child(x, &agent, NULL, 5000), 0);
	assert_null(strstr(agent.buf, "<6>"));
	assert_null(strstr(agent.buf, "<7>"));
	assert_non_null(strstr(agent.buf, "cxldcd-host: info: host=0 connected"));
	first = strstr(agent.buf, "group-added");
	assert_non_null(first);
	assert_null(strstr(first + 1, "group-added"));    /* once, not twice */
}

/*
 * Link failures say what went wrong and what to do: the host id already
 * connected, a host id the device does not have, no daemon at the default
 * path (named), a TCP host name; --version.
 */
/*
 * A number on the command line starts with a digit: strtoull() took blanks
 * and a sign before it, so ' -18446744073709551615' was port 1 and ' +0'
 * host 0.  Each is refused as the usage error it is (exit 2), before any
 * connect.
 */
static void test_cli_numbers_take_no_blank_or_sign(void **state)
{
	struct hx *x = *state;
	char *port[] = { (char *)cli, "--tcp", "127.0.0.1: -18446744073709551615", "--host-id", "0", NULL };
	char *host_blank[] = { (char *)cli, "--connect", x->sock, "--host-id", " 0", NULL };
	char *host_plus[] = { (char *)cli, "--connect", x->sock, "--host-id", "+0", NULL };
	char *limit[] = { (char *)cli, "--connect", x->sock, "--host-id", "0", "--accept",
			  "limit=\t-1", NULL };
	struct child c;

	assert_int_equal(run(x, &c, port), 2);
	assert_non_null(strstr(c.buf, "expected HOST:PORT"));
	assert_int_equal(run(x, &c, host_blank), 2);
	assert_int_equal(run(x, &c, host_plus), 2);
	assert_int_equal(run(x, &c, limit), 2);
}

static void test_cli_messages_say_what_to_do(void **state)
{
	struct hx *x = *state;
	char *agent_argv[] = { (char *)cli, "--connect", x->sock, "--host-id", "0", NULL };
	char *busy[] = { (char *)cli, "--connect", x->sock, "--host-id", "0", NULL };
	char *unknown[] = { (char *)cli, "--connect", x->sock, "--host-id", "9", NULL };
	char *nodaemon[] = { (char *)cli, "--host-id", "0", NULL };
	char *name[] = { (char *)cli, "--tcp", "localhost:1", "--host-id", "0", NULL };
	char *version[] = { (char *)cli, "--version", NULL };
	char want[200];
	struct child agent, c;

	spawn(&agent, agent_argv);
	assert_int_equal(wait_child(x, &agent, "ready", 5000), 0);
	assert_int_equal(run(x, &c, busy), 1);
	/* host=N as on every stdout line (was "(host id 0)") */
	snprintf(want, sizeof(want), "cxldcd-host: link to unix:%s (host=0): device refused hello: "
		 "Device or resource busy\n", x->sock);
	assert_non_null(strstr(c.buf, want));
	assert_non_null(strstr(c.buf, "another agent is connected with this host id"));
	assert_int_equal(run(x, &c, unknown), 1);
	assert_non_null(strstr(c.buf, "use --host-id 0..num-hosts-1"));
	snprintf(want, sizeof(want), "cxldcd-host: link to unix:%s (host=9): device refused hello: "
		 "No such file or directory\n", x->sock);
	assert_non_null(strstr(c.buf, want));
	/* no --connect: the default host link, in $XDG_RUNTIME_DIR/cxldcd (none there) */
	setenv("XDG_RUNTIME_DIR", x->dir, 1);
	assert_int_equal(run(x, &c, nodaemon), 1);
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(want, sizeof(want), "cannot connect to unix:%s/cxldcd/host.sock", x->dir);
	assert_non_null(strstr(c.buf, want));
	assert_non_null(strstr(c.buf, "is cxldcd running?"));
	/* a name resolves (was "Invalid argument"); nobody listens on port 1 */
	assert_int_equal(run(x, &c, name), 1);
	assert_non_null(strstr(c.buf, "cannot connect to tcp:127.0.0.1:1 (host=0): "));
	assert_int_equal(run(x, &c, version), 0);
	assert_string_equal(c.buf, "cxldcd-host 0.1.0\n");
	kill(agent.pid, SIGTERM);
	assert_int_equal(wait_child(x, &agent, NULL, 5000), 0);
}

/*
 * A refusal's reason from the device (DIAG) is on the agent's error lines:
 * a forced release makes the first offer Dead, the agent's answer to it is
 * refused with Invalid Physical Address, and both the cmd-failed and the
 * group-rejected line say reason=group-dead.
 */
static void test_cli_error_lines_carry_the_device_reason(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent a = hx_ext(x->base[0], 2 * MiB, TAG_A, 0);
	struct cxldcd_extent b = hx_ext(x->base[0] + 8 * MiB, 2 * MiB, TAG_B, 0);
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED,
				       .forced = true };
	char *agent_argv[] = { (char *)cli, "--connect", x->sock, "--host-id", "0", NULL };
	struct cxldcd_diag diag;
	struct child agent;

	assert_int_equal(hx_add(x, 0, &a, 1), CXLDCD_RC_SUCCESS);
	memcpy(rq.tag, a.tag, 16);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_int_equal(hx_add(x, 0, &b, 1), CXLDCD_RC_SUCCESS);
	spawn(&agent, agent_argv);
	assert_int_equal(wait_child(x, &agent, "group-added tag=" TAG_B, 5000), 0);
	assert_non_null(strstr(agent.buf, "cmd-failed tag=- add dc response opcode=0x4802 rc=0x0f "
					  "(Invalid Physical Address): reason=group-dead ("));
	assert_non_null(strstr(agent.buf, "group-rejected tag=" TAG_A " device refused the add dc "
					  "response (rc=0x0f): group dead, answered empty: "
					  "reason=group-dead ("));
	kill(agent.pid, SIGTERM);
	assert_int_equal(wait_child(x, &agent, NULL, 5000), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cli_prints_ras_errors_as_linux_trace_events,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_agent_fill_verify_list, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_no_tag_is_a_dash_and_groups_are_named_one_way,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_fill_verify_a_group_a_forced_release_took_part_of,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_byte_pattern_untagged_group_clean_verbose,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_messages_say_what_to_do, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_numbers_take_no_blank_or_sign, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_error_lines_carry_the_device_reason, hx_setup,
						hx_teardown),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: test-host-cli PATH-TO-cxldcd-host\n");
		return 2;
	}
	cli = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
