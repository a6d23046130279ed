/* SPDX-License-Identifier: MIT */
/*
 * test-e2e-release.c - every way capacity leaves a host, Dead groups and
 * daemon restarts, with real processes: the cxldcd daemon, cxldcd-host
 * agents and applications (this process, and forked ones).  Each test ends
 * with the device (query-cxl-dynamic-capacity over QMP) and the host (the
 * agent's groups, the device's 4801h list it replays) agreeing.
 * What each test asserts: docs/e2e.md.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e.h"

static const char *const accept_all[] = { "--accept", "all", NULL };

static const char *ext1(uint64_t off, uint64_t len)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "[{\"offset\":%llu,\"len\":%llu}]", (unsigned long long)off,
		 (unsigned long long)len);
	return buf;
}

/* Three 2 MiB extents at region offsets off, off + 4 MiB, off + 8 MiB (seq 0..2). */
static const char *ext3(uint64_t off)
{
	static char buf[256];

	snprintf(buf, sizeof(buf),
		 "[{\"offset\":%llu,\"len\":2097152},{\"offset\":%llu,\"len\":2097152},"
		 "{\"offset\":%llu,\"len\":2097152}]",
		 (unsigned long long)off, (unsigned long long)(off + 4 * MiB),
		 (unsigned long long)(off + 8 * MiB));
	return buf;
}

static void add_accepted(struct e2e *e, unsigned i, const char *tag, const char *extents)
{
	struct agent *a = &e->ag[i];
	unsigned added = agent_count(a, "group-added");
	json_t *ev;

	dc_add(e, a->host, "prescriptive", tag, extents);
	ev = dc_event(e, "CXL_DC_CAPACITY_ACCEPTED", a->host, E2E_TMO);
	if (!ev)
		fail_msg("tag %.8s not accepted\n%s\n%s", tag, agent_log(a), dproc_log(&e->d));
	json_decref(ev);
	assert_true(agent_wait(a, "group-added", added, NULL, E2E_TMO));
}

/* The bytes the agent's groups hold (what the applications see), or -1 when it does not answer. */
static int64_t agent_bytes(struct agent *a, int *nr_groups)
{
	struct cxldcd_host_group_info g[16];
	struct cxldcd_app *app;
	int64_t bytes = 0;
	int n;

	if (cxldcd_app_connect(a->sock, &app))
		return -1;
	n = cxldcd_app_list(app, g, 16);
	cxldcd_app_free(app);
	if (n < 0)
		return -1;
	for (int i = 0; i < n && i < 16; i++)
		bytes += (int64_t)g[i].size;
	*nr_groups = n;
	return bytes;
}

/*
 * Device and host agree: nothing pending, the device's extents for the host
 * add up to @bytes, the agent lists @groups groups, and a fresh bring-up of
 * the agent (a restart replays 4801h) finds the same bytes.
 */
static void expect_agree(struct e2e *e, unsigned i, uint64_t bytes, int groups)
{
	struct agent *a = &e->ag[i];
	uint64_t until = e2e_now_ms() + E2E_TMO;
	struct host_state hs;
	int64_t got;
	int n = -1;

	for (;;) {
		hs = dc_host(e, a->host);
		got = agent_bytes(a, &n);
		if (hs.nr_pending == 0 && hs.bytes == bytes && got == (int64_t)bytes && n == groups)
			break;
		if (e2e_now_ms() > until)
			fail_msg("host %u: device pending=%zu bytes=0x%llx, agent bytes=0x%llx groups=%d; "
				 "want bytes=0x%llx groups=%d\n%s\n%s", a->host, hs.nr_pending,
				 (unsigned long long)hs.bytes, (unsigned long long)got, n,
				 (unsigned long long)bytes, groups, agent_log(a), dproc_log(&e->d));
		poll(NULL, 0, 10);
	}
	/* the device's 4801h list, as a new bring-up reads it */
	assert_int_equal(agent_kill(a, SIGTERM), 0);
	wait_connected(e, a->host, false);
	agent_restart(e, i, true);
	got = agent_bytes(a, &n);
	assert_int_equal(got, (int64_t)bytes);
	assert_int_equal(n, groups);
	assert_int_equal(dc_host(e, a->host).bytes, bytes);
}

/* ------------------------------------------------------------ Dead groups */

/*
 * Tag T0 is offered to host 0 and force-released before the host answers
 * (the group is Dead), then T1 is offered.  The agent's answer for T0 is
 * refused with Invalid PA; it answers T0 again with an empty list, and T1
 * is accepted.  Before the fallback, every later answer went to the Dead
 * group and was refused.
 */
static void dead_group_then_next(struct e2e *e, const char *device_extra)
{
	struct agent *a;
	json_t *ev;

	e2e_start_default(e, device_extra);
	dc_add(e, 0, "prescriptive", TAG_A, ext1(0, 2 * MiB));      /* T0: nobody answers yet */
	dc_release_tag(e, 0, TAG_A, true);                          /* Dead */
	assert_int_equal(dc_host(e, 0).nr_pending, 1);
	dc_add(e, 0, "prescriptive", TAG_B, ext1(16 * MiB, 2 * MiB)); /* T1 */
	assert_int_equal(dc_host(e, 0).nr_pending, 2);

	a = agent_start(e, 0, 0, accept_all);
	ev = dc_event(e, "CXL_DC_CAPACITY_ACCEPTED", 0, E2E_TMO);
	if (!ev)
		fail_msg("T1 never accepted\n%s\n%s", agent_log(a), dproc_log(&e->d));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "data"), "accepted")), 1);
	json_decref(ev);
	assert_true(agent_wait(a, "group-added", 0, "size=0x200000", E2E_TMO));
	assert_true(agent_wait(a, "group-rejected", 0, "group dead, answered empty", 0));
	assert_string_equal(dc_status(e, 0, TAG_B), "committed");
	/* the Dead group's capacity is back in the pool: T0's range can be offered again */
	dc_add(e, 1, "prescriptive", TAG_A, ext1(0, 2 * MiB));
	assert_int_equal(dc_host(e, 1).nr_pending, 1);
	expect_agree(e, 0, 2 * MiB, 1);
	/* The next add goes through at once. */
	add_accepted(e, 0, TAG_C, ext1(32 * MiB, 2 * MiB));
	expect_agree(e, 0, 4 * MiB, 2);
}

static void test_dead_group_is_answered_empty_and_the_next_tag_accepted(void **state)
{
	dead_group_then_next(*state, NULL);
}

static void test_dead_group_with_a_pending_timeout(void **state)
{
	dead_group_then_next(*state, "pending-timeout-ms=60000");
}

/* The same with --state and daemon restarts (clean and kill -9): the wedge never comes back. */
static void dead_group_across_restarts(struct e2e *e, const char *device_extra)
{
	struct agent *a;

	e->with_state = true;
	e2e_start_default(e, device_extra);
	dc_add(e, 0, "prescriptive", TAG_A, ext1(0, 2 * MiB));
	dc_release_tag(e, 0, TAG_A, true);
	dc_add(e, 0, "prescriptive", TAG_B, ext1(16 * MiB, 2 * MiB));
	/* the Dead group survives a restart of the daemon */
	e2e_restart_daemon(e, false);
	assert_int_equal(dc_host(e, 0).nr_pending, 2);
	e2e_restart_daemon(e, true);
	assert_int_equal(dc_host(e, 0).nr_pending, 2);

	a = agent_start(e, 0, 0, accept_all);
	assert_true(agent_wait(a, "group-added", 0, "size=0x200000", E2E_TMO));
	dc_wait_status(e, 0, TAG_B, "committed");
	expect_agree(e, 0, 2 * MiB, 1);

	/* restarts with the agent connected: it reconnects, replays, and takes new tags */
	e2e_restart_daemon(e, false);
	assert_true(agent_wait(a, "link-closed", 0, "cleanly", E2E_TMO));
	assert_true(agent_wait(a, "group-added", 1, "replayed", E2E_TMO));
	add_accepted(e, 0, TAG_C, ext1(32 * MiB, 2 * MiB));
	e2e_restart_daemon(e, true);
	assert_true(agent_wait(a, "link-lost", 0, "link lost", E2E_TMO));
	assert_true(agent_wait(a, "ready", 2, NULL, E2E_TMO));
	expect_agree(e, 0, 4 * MiB, 2);
}

static void test_dead_group_does_not_come_back_after_restarts(void **state)
{
	dead_group_across_restarts(*state, NULL);
}

static void test_dead_group_after_restarts_with_a_pending_timeout(void **state)
{
	dead_group_across_restarts(*state, "pending-timeout-ms=60000");
}

/* ------------------------------------------------------------ release paths */

/*
 * Host-initiated (unsolicited) release: this process is host 1 through
 * libcxldcd-host against the real daemon, and gives a group back with
 * cxldcd_host_group_release().
 */
static void test_host_initiated_release(void **state)
{
	struct e2e *e = *state;
	struct cxldcd_host_cfg cfg = { .socket_path = e->d.host, .host_id = 1 };
	struct cxldcd_host_group_info g[4];
	struct cxldcd_host_stats st;
	struct cxldcd_host *h;
	uint8_t tag[16];

	e2e_start_default(e, NULL);
	assert_int_equal(cxldcd_host_new(&cfg, &h), 0);
	assert_int_equal(cxldcd_host_wait_ready(h, E2E_TMO), 0);
	dc_add(e, 1, "prescriptive", TAG_A, ext3(0));
	dc_add(e, 1, "prescriptive", TAG_B, ext1(32 * MiB, 2 * MiB));
	for (uint64_t until = e2e_now_ms() + E2E_TMO; cxldcd_host_list_groups(h, g, 4) < 2;)
		assert_true(cxldcd_host_run_once(h, 10) >= 0 && e2e_now_ms() < until);
	assert_int_equal(cxldcd_tag_parse(TAG_A, tag), 0);
	assert_int_equal(cxldcd_host_group_release(h, tag, 0), 0);
	for (uint64_t until = e2e_now_ms() + E2E_TMO; cxldcd_host_get_stats(h, &st),
	     !st.groups_released;)
		assert_true(cxldcd_host_run_once(h, 10) >= 0 && e2e_now_ms() < until);
	assert_int_equal(cxldcd_host_list_groups(h, g, 4), 1);
	assert_int_equal(st.groups_released, 1);
	assert_int_equal(st.cmd_failures, 0);
	/* device and host agree: TAG_A is gone on both sides, TAG_B stays */
	assert_int_equal(g[0].size, 2 * MiB);
	assert_memory_equal(g[0].tag, (cxldcd_tag_parse(TAG_B, tag), tag), 16);
	assert_int_equal(dc_host(e, 1).bytes, 2 * MiB);
	assert_int_equal(dc_host(e, 1).nr_pending, 0);
	dc_wait_status(e, 1, TAG_A, "released");
	cxldcd_host_free(h);
}

/*
 * The default daemon (with --state when @with_state) and host 0's agent,
 * accepting every offer, which holds tag A's three extents (ext3(0)).
 */
static struct agent *start_holding_tag_a(struct e2e *e, bool with_state)
{
	struct agent *a;

	if (with_state)
		e->with_state = true;
	e2e_start_default(e, NULL);
	a = agent_start(e, 0, 0, accept_all);
	add_accepted(e, 0, TAG_A, ext3(0));
	return a;
}

static void test_device_requested_prescriptive_release(void **state)
{
	struct e2e *e = *state;
	struct agent *a;

	a = start_holding_tag_a(e, false);
	add_accepted(e, 0, TAG_B, ext1(32 * MiB, 2 * MiB));
	json_decref(qmp_ok(e,
		"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV_PATH "\","
		"\"host-id\":0,\"removal-policy\":\"prescriptive\",\"region\":0,\"extents\":%s}}",
		ext3(0)));
	assert_true(agent_wait(a, "group-released", 0, "extents=3 size=0x600000", E2E_TMO));
	dc_wait_status(e, 0, TAG_A, "released");
	expect_agree(e, 0, 2 * MiB, 1);
}

static void test_device_requested_tag_based_release(void **state)
{
	struct e2e *e = *state;
	struct agent *a;

	a = start_holding_tag_a(e, false);
	dc_release_tag(e, 0, TAG_A, false);
	assert_true(agent_wait(a, "group-released", 0, "extents=3", E2E_TMO));
	dc_wait_status(e, 0, TAG_A, "released");
	expect_agree(e, 0, 0, 0);
}

static void test_forced_whole_release(void **state)
{
	struct e2e *e = *state;
	struct agent *a;

	a = start_holding_tag_a(e, false);
	dc_release_tag(e, 0, TAG_A, true);
	assert_true(agent_wait(a, "forced-release", 0, NULL, E2E_TMO));
	expect_agree(e, 0, 0, 0);
	assert_int_equal(agent_count(a, "group-released"), 0); /* nothing to give back */
}

/*
 * A forced release of one extent of a three-extent group, then a tag-based
 * release of the rest: the host releases only the two it still holds, the
 * device accepts the list, and nothing stays release-pending.  Before,
 * the host listed the revoked extent too, the device refused the list, and
 * the two extents stayed release-pending on the device for ever.
 */
static void test_forced_partial_then_tag_based_release(void **state)
{
	static const char *const mem[] = {
		"-object", "memory-backend-memfd,id=m0,size=256M,share=on", NULL };
	struct e2e *e = *state;
	struct agent *a;

	/* not sharable: a sharable tag's capacity leaves whole (CXL r3.2 §7.6.7.6.6) */
	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,num-hosts=2,"
			 "volatile-dc-memdev=m0", mem);
	a = agent_start(e, 0, 0, accept_all);
	add_accepted(e, 0, TAG_A, ext3(0));
	json_decref(qmp_ok(e,
		"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV_PATH "\","
		"\"host-id\":0,\"removal-policy\":\"prescriptive\",\"forced-removal\":true,"
		"\"region\":0,\"extents\":%s}}", ext1(4 * MiB, 2 * MiB)));
	assert_true(agent_wait(a, "forced-release", 0, "len=0x200000", E2E_TMO));
	assert_int_equal(dc_host(e, 0).bytes, 4 * MiB);

	dc_release_tag(e, 0, TAG_A, false);
	assert_true(agent_wait(a, "group-released", 0, "extents=2 size=0x400000", E2E_TMO));
	dc_wait_status(e, 0, TAG_A, "released");
	assert_int_equal(agent_count(a, "cmd-failed"), 0);
	expect_agree(e, 0, 0, 0);
}

/* The same cut inside an extent: the host splits its extent as the device does. */
static void test_forced_release_inside_an_extent_then_tag_based(void **state)
{
	static const char *const mem[] = {
		"-object", "memory-backend-memfd,id=m0,size=256M,share=on", NULL };
	struct e2e *e = *state;
	struct agent *a;

	/* not sharable: the device may cut an extent */
	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,num-hosts=2,"
			 "volatile-dc-memdev=m0", mem);
	a = agent_start(e, 0, 0, accept_all);
	add_accepted(e, 0, TAG_A, ext1(0, 8 * MiB));
	json_decref(qmp_ok(e,
		"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV_PATH "\","
		"\"host-id\":0,\"removal-policy\":\"prescriptive\",\"forced-removal\":true,"
		"\"region\":0,\"extents\":%s}}", ext1(2 * MiB, 2 * MiB)));
	assert_true(agent_wait(a, "forced-release", 0, NULL, E2E_TMO));
	dc_release_tag(e, 0, TAG_A, false);
	assert_true(agent_wait(a, "group-released", 0, "extents=2 size=0x600000", E2E_TMO));
	dc_wait_status(e, 0, TAG_A, "released");
	assert_int_equal(agent_count(a, "cmd-failed"), 0);
	expect_agree(e, 0, 0, 0);
}

static void test_release_deferred_while_an_application_holds_it(void **state)
{
	struct e2e *e = *state;
	struct cxldcd_app_map m;
	struct cxldcd_app *app;
	struct agent *a;

	a = start_holding_tag_a(e, false);
	app = app_connect(a);
	assert_int_equal(app_open(app, TAG_A, &m), 0);
	dc_release_tag(e, 0, TAG_A, false);
	assert_true(agent_wait(a, "release-deferred", 0, NULL, E2E_TMO));
	assert_string_equal(dc_status(e, 0, TAG_A), "release-pending");
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	cxldcd_app_free(app);
	assert_true(agent_wait(a, "group-released", 0, "extents=3", E2E_TMO));
	dc_wait_status(e, 0, TAG_A, "released");
	expect_agree(e, 0, 0, 0);
}

/*
 * The daemon is killed while a release is under way (requested, deferred
 * while an application holds the group) and restarted with --state: the
 * agent reconnects, replays, and the release completes; both agree.
 */
static void test_daemon_killed_mid_release(void **state)
{
	struct e2e *e = *state;
	struct cxldcd_app_map m;
	struct cxldcd_app *app;
	struct agent *a;

	a = start_holding_tag_a(e, true);
	add_accepted(e, 0, TAG_B, ext1(32 * MiB, 2 * MiB));
	app = app_connect(a);
	assert_int_equal(app_open(app, TAG_A, &m), 0);
	dc_release_tag(e, 0, TAG_A, false);
	assert_true(agent_wait(a, "release-deferred", 0, NULL, E2E_TMO));

	e2e_restart_daemon(e, true);
	assert_true(agent_wait(a, "link-lost", 0, NULL, E2E_TMO));
	assert_true(agent_wait(a, "ready", 1, NULL, E2E_TMO));
	cxldcd_app_free(app); /* its agent connection went with the old link */
	/*
	 * Either the Release Capacity records were still in the device's log
	 * (the kill came before the agent's Clear): the new agent reads them and
	 * releases by itself; or they were cleared, and the device still shows
	 * TAG_A release-pending, which a host cannot see in 4801h: the
	 * orchestrator asks again.  Both end with TAG_A released.
	 */
	if (!agent_wait(a, "group-released", 0, "extents=3", 1000)) {
		json_decref(qmp_client_cmd(e->c,
			"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\""
			DEV_PATH "\",\"host-id\":0,\"removal-policy\":\"tag-based\","
			"\"region\":0,\"tag\":\"" TAG_A "\"}}", E2E_TMO));
		assert_true(agent_wait(a, "group-released", 0, "extents=3", E2E_TMO));
	}
	dc_wait_status(e, 0, TAG_A, "released");
	expect_agree(e, 0, 2 * MiB, 1);
}

/* ------------------------------------------------------------ revocation */

/*
 * An application process that opened the group through the agent gets
 * REVOKE after a forced release; its mapping becomes PROT_NONE, so a read
 * in a child it forks dies with SIGSEGV.
 */
static void test_application_mapping_faults_after_forced_release(void **state)
{
	struct e2e *e = *state;
	int to_app[2], from_app[2], st;
	struct agent *a;
	pid_t pid;
	char c;

	a = start_holding_tag_a(e, false);
	assert_int_equal(pipe(to_app), 0);
	assert_int_equal(pipe(from_app), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct cxldcd_app_map m;
		struct cxldcd_app *app;
		struct pollfd p;
		pid_t kid;
		int code = 10, n = 0;

		if (cxldcd_app_connect(a->sock, &app) || app_open(app, TAG_A, &m))
			_exit(2);
		((volatile uint8_t *)m.addr)[0] = 0x5a;
		/* the mapping works: a child reads it */
		kid = fork();
		if (kid == 0)
			_exit(((volatile uint8_t *)m.addr)[0] == 0x5a ? 0 : 3);
		if (waitpid(kid, &st, 0) != kid || !WIFEXITED(st) || WEXITSTATUS(st))
			_exit(4);
		if (write(from_app[1], "o", 1) != 1)
			_exit(5);
		/* wait for the REVOKE, as an application's loop does */
		p = (struct pollfd){ .fd = cxldcd_app_get_fd(app), .events = POLLIN };
		for (int i = 0; i < 500 && n == 0; i++) {
			poll(&p, 1, 10);
			n = cxldcd_app_process(app);
		}
		if (n != 1)
			_exit(6);
		kid = fork();
		if (kid == 0) {
			signal(SIGSEGV, SIG_DFL); /* not the test framework's handler */
			_exit(((volatile uint8_t *)m.addr)[4096] == 0 ? 7 : 8); /* must fault */
		}
		if (waitpid(kid, &st, 0) == kid && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV)
			code = 0;
		cxldcd_app_close(app, &m);
		cxldcd_app_free(app);
		_exit(code);
	}
	assert_int_equal(read(from_app[0], &c, 1), 1);
	dc_release_tag(e, 0, TAG_A, true);
	assert_true(agent_wait(a, "forced-release", 0, NULL, E2E_TMO));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(to_app[0]);
	close(to_app[1]);
	close(from_app[0]);
	close(from_app[1]);
	expect_agree(e, 0, 0, 0);
}

/* ------------------------------------------------------------ restart */

static void test_agent_survives_clean_and_crash_restarts_of_the_daemon(void **state)
{
	struct e2e *e = *state;
	struct cxldcd_app_map m;
	struct cxldcd_app *app;
	struct agent *a;

	a = start_holding_tag_a(e, true);
	app = app_connect(a);
	assert_int_equal(app_open(app, TAG_A, &m), 0);
	((volatile uint8_t *)m.addr)[0] = 0x77;
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	cxldcd_app_free(app);

	e2e_restart_daemon(e, false);
	assert_true(agent_wait(a, "link-closed", 0, "device closed the link cleanly", E2E_TMO));
	assert_int_equal(agent_count(a, "link-lost"), 0);
	assert_true(agent_wait(a, "group-added", 1, "replayed", E2E_TMO));
	assert_true(agent_alive(a));

	e2e_restart_daemon(e, true);
	assert_true(agent_wait(a, "link-lost", 0, "link lost", E2E_TMO));
	assert_int_equal(agent_count(a, "link-closed"), 1);
	assert_true(agent_wait(a, "group-added", 2, "replayed", E2E_TMO));
	add_accepted(e, 0, TAG_B, ext1(32 * MiB, 2 * MiB));
	expect_agree(e, 0, 8 * MiB, 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, e2e_setup, e2e_teardown)
	const struct CMUnitTest tests[] = {
		T(test_dead_group_is_answered_empty_and_the_next_tag_accepted),
		T(test_dead_group_with_a_pending_timeout),
		T(test_dead_group_does_not_come_back_after_restarts),
		T(test_dead_group_after_restarts_with_a_pending_timeout),
		T(test_host_initiated_release),
		T(test_device_requested_prescriptive_release),
		T(test_device_requested_tag_based_release),
		T(test_forced_whole_release),
		T(test_forced_partial_then_tag_based_release),
		T(test_forced_release_inside_an_extent_then_tag_based),
		T(test_release_deferred_while_an_application_holds_it),
		T(test_daemon_killed_mid_release),
		T(test_application_mapping_faults_after_forced_release),
		T(test_agent_survives_clean_and_crash_restarts_of_the_daemon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
