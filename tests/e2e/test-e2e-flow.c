/* SPDX-License-Identifier: MIT */
/*
 * test-e2e-flow.c - the DCD flows end to end with real processes: the
 * cxldcd daemon, cxldcd-host agents (fork/exec) and applications on the
 * agents' sockets (this process, cxldcd_app_*).  The orchestrator is QMP.
 * What each test asserts: docs/e2e.md.
 */
#include <errno.h>
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

/* Two 2 MiB extents at region offsets @off and @off + 4 MiB (shared seq 0, 1). */
static const char *ext2(uint64_t off)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "[{\"offset\":%llu,\"len\":2097152},{\"offset\":%llu,\"len\":2097152}]",
		 (unsigned long long)off, (unsigned long long)(off + 4 * MiB));
	return buf;
}

static const char *ext1(uint64_t off, uint64_t len)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "[{\"offset\":%llu,\"len\":%llu}]", (unsigned long long)off,
		 (unsigned long long)len);
	return buf;
}

/* The next CXL_DC_CAPACITY_ACCEPTED of host: checks offered/accepted and the tag of every extent. */
static void expect_accepted(struct e2e *e, uint16_t host, int offered, int accepted, const char *tag)
{
	json_t *ev = dc_event(e, "CXL_DC_CAPACITY_ACCEPTED", host, E2E_TMO), *d, *x;
	size_t i;

	if (!ev)
		fail_msg("no CXL_DC_CAPACITY_ACCEPTED for host %u\n%s\n%s", host,
			 agent_log(&e->ag[0]), dproc_log(&e->d));
	d = json_object_get(ev, "data");
	assert_int_equal(json_integer_value(json_object_get(d, "offered")), offered);
	assert_int_equal(json_integer_value(json_object_get(d, "accepted")), accepted);
	assert_int_equal(json_array_size(json_object_get(d, "extents")), accepted);
	json_array_foreach(json_object_get(d, "extents"), i, x) {
		if (tag)
			assert_string_equal(json_string_value(json_object_get(x, "tag")), tag);
	}
	json_decref(ev);
}

/*
 * Agent i is offered @tag and accepts it as one group: the device's event,
 * then the agent's line (the event comes first: the device emits it when it
 * takes the Add DC Response, before the agent has read the response).
 */
static void add_accepted(struct e2e *e, unsigned i, const char *policy, const char *tag,
			 const char *extents, int nr)
{
	struct agent *a = &e->ag[i];
	unsigned added = agent_count(a, "group-added");

	dc_add(e, a->host, policy, tag, extents);
	expect_accepted(e, a->host, nr, nr, tag);
	assert_true(agent_wait(a, "group-added", added, NULL, E2E_TMO));
}

static void fill(struct cxldcd_app_map *m, uint8_t seed)
{
	for (uint64_t i = 0; i < m->size; i += 4096)
		((volatile uint8_t *)m->addr)[i] = (uint8_t)(seed + i / 4096);
}

static bool check(struct cxldcd_app_map *m, uint8_t seed)
{
	for (uint64_t i = 0; i < m->size; i += 4096)
		if (((volatile uint8_t *)m->addr)[i] != (uint8_t)(seed + i / 4096))
			return false;
	return true;
}

/* ------------------------------------------------------------------ accept */

static void test_accept_all_maps_the_group_for_applications(void **state)
{
	struct e2e *e = *state;
	struct cxldcd_host_group_info g;
	struct cxldcd_app_map m;
	struct cxldcd_app *app;
	struct host_state hs;
	struct agent *a;

	e2e_start_default(e, NULL);
	a = agent_start(e, 0, 0, accept_all);
	add_accepted(e, 0, "prescriptive", TAG_A, ext2(0), 2);
	assert_true(agent_wait(a, "group-added", 0, "extents=2 size=0x400000 mapped=yes", E2E_TMO));
	assert_string_equal(dc_status(e, 0, TAG_A), "committed");
	hs = dc_host(e, 0);
	assert_int_equal(hs.nr_extents, 2);
	assert_int_equal(hs.nr_pending, 0);
	assert_int_equal(hs.bytes, 4 * MiB);
	assert_int_equal(hs.connected, 1);

	/* An application finds the tag group and maps it as one range. */
	app = app_connect(a);
	assert_int_equal(app_groups(app, TAG_A, &g), 1);
	assert_int_equal(g.size, 4 * MiB);
	assert_int_equal(g.nr_extents, 2);
	assert_true(g.mapped);
	assert_false(g.release_pending);
	assert_int_equal(app_open(app, TAG_A, &m), 0);
	assert_int_equal(m.size, 4 * MiB);
	fill(&m, 0x11);
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	assert_int_equal(app_open(app, TAG_A, &m), 0);
	assert_true(check(&m, 0x11));
	assert_int_equal(cxldcd_app_close(app, &m), 0);

	/* A second tag where the device chooses the place (contiguous policy): a second group. */
	add_accepted(e, 0, "contiguous", TAG_B, ext1(0, 8 * MiB), 1);
	assert_true(agent_wait(a, "group-added", 1, "size=0x800000", E2E_TMO));
	assert_int_equal(app_groups(app, TAG_B, &g), 2);
	assert_int_equal(g.size, 8 * MiB);
	assert_string_equal(dc_status(e, 0, TAG_B), "committed");
	cxldcd_app_free(app);
	assert_int_equal(agent_count(a, "group-rejected"), 0);
	assert_int_equal(agent_kill(a, SIGTERM), 0);  /* clean exit (and no leak under ASan) */
}

static void test_accept_none_rejects_the_group(void **state)
{
	static const char *const none[] = { "--accept", "none", NULL };
	struct e2e *e = *state;
	struct cxldcd_app *app;
	struct host_state hs;
	struct agent *a;
	json_t *ev, *d;

	e2e_start_default(e, NULL);
	a = agent_start(e, 0, 0, none);
	dc_add(e, 0, "prescriptive", TAG_A, ext2(0));
	ev = dc_event(e, "CXL_DC_CAPACITY_REJECTED", 0, E2E_TMO);
	assert_non_null(ev);
	d = json_object_get(ev, "data");
	assert_int_equal(json_integer_value(json_object_get(d, "offered")), 2);
	assert_int_equal(json_integer_value(json_object_get(d, "accepted")), 0);
	json_decref(ev);
	assert_true(agent_wait(a, "group-rejected", 0, NULL, E2E_TMO));
	hs = dc_host(e, 0);
	assert_int_equal(hs.nr_extents, 0);
	assert_int_equal(hs.nr_pending, 0);
	assert_string_not_equal(dc_status(e, 0, TAG_A), "committed");
	app = app_connect(a);
	assert_int_equal(app_groups(app, NULL, NULL), 0);
	cxldcd_app_free(app);

	/* Every later offer too; nothing was ever accepted. */
	dc_add(e, 0, "free", TAG_B, ext1(0, 2 * MiB));
	assert_int_equal(dc_expect_event(e, "CXL_DC_CAPACITY_REJECTED", 0, "accepted"), 0);
	assert_int_equal(dc_host(e, 0).nr_extents, 0);
	assert_int_equal(agent_count(a, "group-added"), 0);
	assert_null(qmp_client_event(e->c, "CXL_DC_CAPACITY_ACCEPTED", 0));
	assert_true(agent_alive(a));
}

/*
 * --accept limit=4M on a device with untagged capacity (volatile-dc-memdev,
 * not sharable: a partial answer is allowed): one offer of three 2 MiB
 * extents is three groups; the agent keeps the two that fit.
 */
static void test_accept_limit_keeps_only_the_groups_that_fit(void **state)
{
	static const char *const mem[] = {
		"-object", "memory-backend-memfd,id=m0,size=256M,share=on", NULL };
	static const char *const limit[] = { "--accept", "limit=4M", NULL };
	struct e2e *e = *state;
	struct cxldcd_app *app;
	struct host_state hs;
	struct agent *a;

	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=1",
			 mem);
	a = agent_start(e, 0, 0, limit);
	dc_add(e, 0, "prescriptive", NULL,
	       "[{\"offset\":0,\"len\":2097152},{\"offset\":4194304,\"len\":2097152},"
	       "{\"offset\":8388608,\"len\":2097152}]");
	expect_accepted(e, 0, 3, 2, NULL);
	assert_true(agent_wait(a, "group-added", 1, NULL, E2E_TMO));
	assert_true(agent_wait(a, "group-rejected", 0, NULL, E2E_TMO));
	hs = dc_host(e, 0);
	assert_int_equal(hs.nr_extents, 2);
	assert_int_equal(hs.nr_pending, 0);
	assert_int_equal(hs.bytes, 4 * MiB);
	app = app_connect(a);
	assert_int_equal(app_groups(app, NULL, NULL), 2);
	cxldcd_app_free(app);

	/* The host is full: the next offer does not fit at all. */
	dc_add(e, 0, "free", NULL, ext1(0, 2 * MiB));
	assert_int_equal(dc_expect_event(e, "CXL_DC_CAPACITY_REJECTED", 0, "accepted"), 0);
	assert_int_equal(dc_host(e, 0).nr_extents, 2);
	assert_int_equal(agent_count(a, "group-added"), 2);
}

/* ----------------------------------------------------------------- release */

static void test_tag_based_release_gives_the_whole_group_back(void **state)
{
	struct e2e *e = *state;
	struct cxldcd_app *app;
	struct agent *a;
	json_t *ev;

	e2e_start_default(e, NULL);
	a = agent_start(e, 0, 0, accept_all);
	add_accepted(e, 0, "prescriptive", TAG_A, ext2(0), 2);
	dc_release_tag(e, 0, TAG_A, false);
	ev = dc_event(e, "CXL_DC_CAPACITY_RELEASED", 0, E2E_TMO);
	assert_non_null(ev);
	assert_int_equal(json_array_size(json_object_get(json_object_get(ev, "data"), "extents")), 2);
	json_decref(ev);
	dc_wait_status(e, 0, TAG_A, "released");
	assert_true(agent_wait(a, "group-released", 0, "extents=2", E2E_TMO));
	assert_int_equal(dc_host(e, 0).nr_extents, 0);
	app = app_connect(a);
	assert_int_equal(app_groups(app, NULL, NULL), 0);
	cxldcd_app_free(app);
	/* The backend is free again: nothing binds it. */
	json_decref(qmp_ok(e, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"ma\"}}"));
}

static void test_release_is_deferred_while_an_application_holds_the_group(void **state)
{
	struct e2e *e = *state;
	struct cxldcd_host_group_info g;
	struct cxldcd_app_map m, m2;
	struct cxldcd_app *app;
	struct agent *a;

	e2e_start_default(e, NULL);
	a = agent_start(e, 0, 0, accept_all);
	add_accepted(e, 0, "prescriptive", TAG_A, ext2(0), 2);
	app = app_connect(a);
	assert_int_equal(app_open(app, TAG_A, &m), 0);
	fill(&m, 0x22);

	dc_release_tag(e, 0, TAG_A, false);
	assert_true(agent_wait(a, "release-deferred", 0, " id=1 open=1: ", E2E_TMO));
	/* The host answered nothing: the device waits, the data stays usable. */
	assert_string_equal(dc_status(e, 0, TAG_A), "release-pending");
	assert_int_equal(dc_host(e, 0).nr_extents, 2);
	assert_int_equal(app_groups(app, TAG_A, &g), 1);
	assert_true(g.release_pending);
	assert_int_equal(g.open_count, 1);
	assert_int_equal(app_open(app, TAG_A, &m2), -EBUSY);
	assert_true(check(&m, 0x22));
	assert_int_equal(agent_count(a, "group-released"), 0);

	/* The application lets go: the release completes. */
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	assert_true(agent_wait(a, "group-released", 0, NULL, E2E_TMO));
	dc_wait_status(e, 0, TAG_A, "released");
	assert_int_equal(dc_expect_event(e, "CXL_DC_CAPACITY_RELEASED", 0, "host-id"), 0);
	assert_int_equal(dc_host(e, 0).nr_extents, 0);
	assert_int_equal(app_groups(app, NULL, NULL), 0);
	cxldcd_app_free(app);
}

/* Read p in a child: 0, or the signal that killed it. */
static int touch_in_child(volatile uint8_t *p)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL); /* not cmocka's handler */
		(void)p[0];
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static void test_forced_release_revokes_access_at_once(void **state)
{
	struct e2e *e = *state;
	struct cxldcd_host_group_info g;
	struct cxldcd_app_map m, m2;
	struct cxldcd_app *app;
	struct agent *a;

	e2e_start_default(e, NULL);
	a = agent_start(e, 0, 0, accept_all);
	add_accepted(e, 0, "prescriptive", TAG_A, ext2(0), 2);
	app = app_connect(a);
	assert_int_equal(app_open(app, TAG_A, &m), 0);     /* held: forced does not wait */
	fill(&m, 0x33);

	dc_release_tag(e, 0, TAG_A, true);
	/* The device took it back right away, whatever the host does. */
	assert_string_equal(dc_status(e, 0, TAG_A), "released");
	assert_int_equal(dc_host(e, 0).nr_extents, 0);
	assert_int_equal(dc_expect_event(e, "CXL_DC_FORCED_RELEASE", 0, "host-id"), 0);
	/* The agent: UNMAP (revoked) first, then the Forced Capacity Release records. */
	assert_true(agent_wait(a, "revoked", 0, "access revoked", E2E_TMO));
	assert_true(agent_wait(a, "forced-release", 0, NULL, E2E_TMO));
	assert_int_equal(app_groups(app, TAG_A, &g), 1);
	assert_true(g.revoked);
	/* the REVOKE read on the way made this application's own mapping inaccessible */
	assert_int_equal(touch_in_child(m.addr), SIGSEGV);
	assert_int_equal(app_open(app, TAG_A, &m2), -EBUSY);
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	assert_int_equal(app_groups(app, NULL, NULL), 0);
	assert_int_equal(app_open(app, TAG_A, &m2), -ENOENT);

	/* The host keeps working: the same tag can be offered again. */
	add_accepted(e, 0, "prescriptive", TAG_A, ext2(0), 2);
	assert_int_equal(app_open(app, TAG_A, &m2), 0);
	assert_int_equal(cxldcd_app_close(app, &m2), 0);
	cxldcd_app_free(app);
	/* Nothing was left to give back: the host never sent a Release DC. */
	assert_null(qmp_client_event(e->c, "CXL_DC_CAPACITY_RELEASED", 0));
	assert_int_equal(agent_count(a, "group-released"), 0);
}

/* ------------------------------------------------------------------ shared */

static void test_shared_access_between_two_hosts(void **state)
{
	struct e2e *e = *state;
	struct cxldcd_app_map m0, m1;
	struct cxldcd_app *app0, *app1;
	struct agent *a0, *a1;
	json_t *r, *t;

	e2e_start_default(e, NULL);
	a0 = agent_start(e, 0, 0, accept_all);
	a1 = agent_start(e, 1, 1, accept_all);
	add_accepted(e, 0, "prescriptive", TAG_A, ext2(0), 2);
	app0 = app_connect(a0);
	assert_int_equal(app_open(app0, TAG_A, &m0), 0);
	fill(&m0, 0x44);

	add_accepted(e, 1, "enable-shared-access", TAG_A, NULL, 2);
	assert_true(agent_wait(a1, "group-added", 0, "size=0x400000", E2E_TMO));
	app1 = app_connect(a1);
	assert_int_equal(app_open(app1, TAG_A, &m1), 0);
	assert_int_equal(m1.size, m0.size);
	/* Host 1 reads what host 0 wrote, in the same (sequence) order ... */
	assert_true(check(&m1, 0x44));
	/* ... and it is the same memory, live, both ways. */
	fill(&m1, 0x55);
	assert_true(check(&m0, 0x55));

	r = qmp_ok(e, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV_PATH "\"}}");
	t = json_array_get(json_object_get(RET(r), "tags"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "tag")), TAG_A);
	assert_int_equal(json_array_size(json_object_get(t, "accepted-hosts")), 2);
	json_decref(r);
	assert_int_equal(cxldcd_app_close(app0, &m0), 0);
	assert_int_equal(cxldcd_app_close(app1, &m1), 0);

	/* Host 0 lets go; host 1 still has the data. */
	dc_release_tag(e, 0, TAG_A, false);
	dc_wait_status(e, 0, TAG_A, "released");
	assert_string_equal(dc_status(e, 1, TAG_A), "committed");
	assert_int_equal(app_open(app1, TAG_A, &m1), 0);
	assert_true(check(&m1, 0x55));
	assert_int_equal(cxldcd_app_close(app1, &m1), 0);
	cxldcd_app_free(app0);
	cxldcd_app_free(app1);
}

/* ------------------------------------------------------------------ replay */

static void test_host_restart_replays_its_groups_without_add_response(void **state)
{
	struct e2e *e = *state;
	struct cxldcd_host_group_info g;
	struct cxldcd_app_map m;
	struct cxldcd_app *app;
	struct host_state before, after;
	struct agent *a;
	json_t *ev, *x;
	unsigned added;

	e2e_start_default(e, NULL);
	a = agent_start(e, 0, 0, accept_all);
	add_accepted(e, 0, "prescriptive", TAG_A, ext2(0), 2);
	app = app_connect(a);
	assert_int_equal(app_open(app, TAG_A, &m), 0);
	fill(&m, 0x66);
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	cxldcd_app_free(app);
	before = dc_host(e, 0);

	/* The host dies without a word; the device keeps its capacity. */
	assert_int_equal(agent_kill(a, SIGKILL), 128 + SIGKILL);
	wait_connected(e, 0, false);
	after = dc_host(e, 0);
	assert_int_equal(after.nr_extents, 2);
	assert_int_equal(after.generation, before.generation);

	added = agent_count(a, "group-added");
	agent_restart(e, 0, true);
	assert_true(agent_wait(a, "group-added", added, "replayed", E2E_TMO));
	after = dc_host(e, 0);
	assert_int_equal(after.connected, 1);
	assert_int_equal(after.nr_extents, before.nr_extents);
	assert_int_equal(after.nr_pending, 0);
	assert_int_equal(after.generation, before.generation);   /* no new Add DC Response */
	assert_string_equal(dc_status(e, 0, TAG_A), "committed");

	app = app_connect(a);
	assert_int_equal(app_groups(app, TAG_A, &g), 1);
	assert_int_equal(g.size, 4 * MiB);
	assert_int_equal(app_open(app, TAG_A, &m), 0);
	assert_true(check(&m, 0x66));                            /* same memory, same order */
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	cxldcd_app_free(app);

	/*
	 * Events are delivered in order: the first ACCEPTED after the restart
	 * must be the new tag's, so the replay sent no Add DC Response.
	 */
	dc_add(e, 0, "free", TAG_B, ext1(0, 2 * MiB));
	ev = dc_event(e, "CXL_DC_CAPACITY_ACCEPTED", 0, E2E_TMO);
	assert_non_null(ev);
	x = json_array_get(json_object_get(json_object_get(ev, "data"), "extents"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "tag")), TAG_B);
	json_decref(ev);
	assert_int_equal(dc_host(e, 0).generation, before.generation + 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, e2e_setup, e2e_teardown)
	const struct CMUnitTest tests[] = {
		T(test_accept_all_maps_the_group_for_applications),
		T(test_accept_none_rejects_the_group),
		T(test_accept_limit_keeps_only_the_groups_that_fit),
		T(test_tag_based_release_gives_the_whole_group_back),
		T(test_release_is_deferred_while_an_application_holds_the_group),
		T(test_forced_release_revokes_access_at_once),
		T(test_shared_access_between_two_hosts),
		T(test_host_restart_replays_its_groups_without_add_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
