/* SPDX-License-Identifier: MIT */
/*
 * test-e2e-faults.c - a real cxldcd-host agent against a real daemon that
 * lies (cxl-inject-fault over QMP, src/cci/fault.h).  For every fault that
 * cci_fault_name() knows: inject it for the agent's host, let the
 * orchestrator add capacity, check what the agent reports and what the
 * device ends up with, clear the fault ("none") and check that a normal add
 * is accepted by the same agent.  The chain timeout runs with a short
 * --chain-timeout on the agent and pending-timeout-ms on the device.
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

#include <cmocka.h>

#include "cci/fault.h"
#include "e2e.h"

static const char *const accept_all[] = { "--accept", "all", NULL };

#define EXT2_0 "[{\"offset\":0,\"len\":2097152},{\"offset\":4194304,\"len\":2097152}]"
#define EXT2_32M "[{\"offset\":33554432,\"len\":2097152},{\"offset\":37748736,\"len\":2097152}]"
#define EXT1_64M "[{\"offset\":67108864,\"len\":2097152}]"
#define EXT1_96M "[{\"offset\":100663296,\"len\":2097152}]"

/* The agent accepts a normal offer of @tag: event, status, agent line. */
static void add_and_accept(struct e2e *e, const char *tag, const char *extents)
{
	struct agent *a = &e->ag[0];
	unsigned added = agent_count(a, "group-added");
	json_t *ev;

	dc_add(e, 0, "prescriptive", tag, extents);
	ev = dc_event(e, "CXL_DC_CAPACITY_ACCEPTED", 0, E2E_TMO);
	if (!ev)
		fail_msg("tag %.8s not accepted\n%s\n%s", tag, agent_log(a), dproc_log(&e->d));
	json_decref(ev);
	assert_true(agent_wait(a, "group-added", added, NULL, E2E_TMO));
	assert_string_equal(dc_status(e, 0, tag), "committed");
	assert_int_equal(dc_host(e, 0).nr_pending, 0);
	assert_true(agent_alive(a));
}

/*
 * The agent found the group invalid (device-error with @why), answered with
 * an empty Add DC Response, and the device shows the group rejected.
 */
static void expect_refused(struct e2e *e, const char *tag, const char *extents, const char *why)
{
	struct agent *a = &e->ag[0];
	unsigned errs = agent_count(a, "device-error");
	size_t ext = dc_host(e, 0).nr_extents;

	dc_add(e, 0, "prescriptive", tag, extents);
	assert_int_equal(dc_expect_event(e, "CXL_DC_CAPACITY_REJECTED", 0, "accepted"), 0);
	assert_true(agent_wait(a, "device-error", errs, why, E2E_TMO));
	assert_string_not_equal(dc_status(e, 0, tag), "committed");
	assert_int_equal(dc_host(e, 0).nr_extents, ext);
	assert_int_equal(dc_host(e, 0).nr_pending, 0);
	assert_true(agent_alive(a));
}

/* ------------------------------------------------------------ the command */

static void test_inject_fault_command(void **state)
{
	static const char *const second_dev[] = {
		"-object", "memory-backend-memfd,id=m1,size=256M,share=on",
		"-device", "cxl-type3,id=d1,num-dc-regions=1,volatile-dc-memdev=m1", NULL };
	struct e2e *e = *state;
	const char *desc;
	json_t *r, *f;

	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2",
			 second_dev);
	/* Errors: unknown name (lists the valid ones), bad host, no host link, bad device. */
	desc = qmp_err(e, "{\"execute\":\"cxl-inject-fault\",\"arguments\":{\"path\":\"" DEV_PATH
			  "\",\"host-id\":0,\"fault\":\"bogus\"}}");
	assert_non_null(strstr(desc, "unknown fault 'bogus'"));
	for (unsigned i = 0; i < CCI_NR_FAULTS; i++)
		assert_non_null(strstr(desc, cci_fault_name((enum cci_fault)i)));
	assert_non_null(strstr(desc, "none"));
	desc = qmp_err(e, "{\"execute\":\"cxl-inject-fault\",\"arguments\":{\"path\":\"" DEV_PATH
			  "\",\"host-id\":2,\"fault\":\"none\"}}");
	assert_string_equal(desc, "host-id=2 is out of range: the device has num-hosts=2");
	desc = qmp_err(e, "{\"execute\":\"cxl-inject-fault\",\"arguments\":{\"path\":\"d1\","
			  "\"host-id\":0,\"fault\":\"unclosed-chain\"}}");
	assert_non_null(strstr(desc, "device d1 has no host link"));
	desc = qmp_err(e, "{\"execute\":\"cxl-inject-fault\",\"arguments\":{\"path\":\"nope\","
			  "\"host-id\":0,\"fault\":\"none\"}}");
	assert_string_equal(desc, "Unable to resolve CXL type 3 device");
	desc = qmp_err(e, "{\"execute\":\"cxl-inject-fault\",\"arguments\":{\"path\":\"d0\","
			  "\"host-id\":0,\"fault\":\"none\",\"count\":-1}}");
	assert_string_equal(desc, "Parameter 'count' expects uint32_t");

	/* Faults add up per host; the reply and query-cxl-faults show them with their counts. */
	r = qmp_ok(e, "{\"execute\":\"cxl-inject-fault\",\"arguments\":{\"path\":\"" DEV_PATH
		      "\",\"host-id\":1,\"fault\":\"sequence-gap\",\"count\":2}}");
	assert_int_equal(json_integer_value(json_object_get(RET(r), "host-id")), 1);
	f = json_array_get(json_object_get(RET(r), "faults"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "fault")), "sequence-gap");
	assert_int_equal(json_integer_value(json_object_get(f, "remaining")), 2);
	json_decref(r);
	inject_fault(e, 1, "unclosed-chain", 0);
	assert_int_equal(faults_of(e, 1), CCI_FAULT_BIT(CCI_FAULT_UNCLOSED_CHAIN) |
					  CCI_FAULT_BIT(CCI_FAULT_SEQUENCE_GAP));
	assert_int_equal(faults_of(e, 0), 0);
	r = qmp_ok(e, "{\"execute\":\"query-cxl-faults\",\"arguments\":{\"path\":\"d1\"}}");
	assert_int_equal(json_array_size(RET(r)), 0);
	json_decref(r);

	/*
	 * The QMP mailbox of the host lies too: Get Event Records (0100h) on the
	 * empty DC log, with bogus-event-count, reports one record more (0x14).
	 */
	inject_fault(e, 1, "bogus-event-count", 1);
	r = qmp_ok(e, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"" DEV_PATH
		      "\",\"cci\":\"mailbox\",\"host-id\":1,\"opcode\":256,\"payload\":\"04\"}}");
	assert_memory_equal(json_string_value(json_object_get(RET(r), "payload")) + 2 * 0x14, "0100", 4);
	json_decref(r);
	inject_fault(e, 1, "none", 0);
	assert_int_equal(faults_of(e, 1), 0);
	r = qmp_ok(e, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"" DEV_PATH
		      "\",\"cci\":\"mailbox\",\"host-id\":1,\"opcode\":256,\"payload\":\"04\"}}");
	assert_memory_equal(json_string_value(json_object_get(RET(r), "payload")) + 2 * 0x14, "0000", 4);
	json_decref(r);
}

/* ------------------------------------------------------------ chain faults */

/*
 * unclosed-chain: the agent drops the chain after --chain-timeout and sends
 * nothing; the device times the offer out (pending-timeout-ms); the agent
 * goes on.
 */
static void test_unclosed_chain_times_out(void **state)
{
	static const char *const opts[] = { "--accept", "all", "--chain-timeout", "200", NULL };
	struct e2e *e = *state;
	struct host_state hs;
	struct agent *a;

	e2e_start_default(e, "pending-timeout-ms=1000");
	a = agent_start(e, 0, 0, opts);
	inject_fault(e, 0, "unclosed-chain", 0);
	dc_add(e, 0, "prescriptive", TAG_A, EXT2_0);
	assert_true(agent_wait(a, "chain-timeout", 0, "not closed within 200 ms", E2E_TMO));
	/* COMPAT: Linux v11 answers nothing for a dropped chain: still pending on the device */
	hs = dc_host(e, 0);
	assert_int_equal(hs.nr_pending, 1);
	assert_int_equal(hs.nr_extents, 0);
	assert_int_equal(dc_expect_event(e, "CXL_DC_PENDING_TIMEOUT", 0, "host-id"), 0);
	hs = dc_host(e, 0);
	assert_int_equal(hs.nr_pending, 0);
	assert_int_equal(hs.nr_extents, 0);
	assert_string_not_equal(dc_status(e, 0, TAG_A), "committed");
	assert_string_not_equal(dc_status(e, 0, TAG_A), "pending");
	assert_int_equal(agent_count(a, "group-added"), 0);
	assert_null(qmp_client_event(e->c, "CXL_DC_CAPACITY_ACCEPTED", 0));
	assert_null(qmp_client_event(e->c, "CXL_DC_CAPACITY_REJECTED", 0));
	inject_fault(e, 0, "none", 0);
	assert_int_equal(faults_of(e, 0), 0);
	add_and_accept(e, TAG_B, EXT2_0);
	add_and_accept(e, TAG_A, EXT2_32M);
}

static void test_duplicate_tag_is_refused(void **state)
{
	struct e2e *e = *state;

	e2e_start_default(e, NULL);
	agent_start(e, 0, 0, accept_all);
	add_and_accept(e, TAG_A, EXT2_0);
	inject_fault(e, 0, "duplicate-tag", 1);              /* the agent reads tag A again */
	expect_refused(e, TAG_B, EXT2_32M, "tag already in use");
	assert_int_equal(faults_of(e, 0), 0);                /* one occurrence, used up */
	add_and_accept(e, TAG_B, EXT2_32M);
}

/*
 * While @fault is set, the agent refuses an offer of @extents with tag A
 * (its message holds @why); once it is cleared the same offer is accepted.
 */
static void refused_until_cleared(struct e2e *e, const char *fault, const char *extents,
				  const char *why)
{
	e2e_start_default(e, NULL);
	agent_start(e, 0, 0, accept_all);
	inject_fault(e, 0, fault, 0);
	expect_refused(e, TAG_A, extents, why);
	inject_fault(e, 0, "none", 0);
	add_and_accept(e, TAG_A, extents);
}

static void test_sequence_gap_is_refused(void **state)
{
	refused_until_cleared(*state, "sequence-gap", EXT2_0, "shared sequence");
}

static void test_bogus_extent_len_is_refused(void **state)
{
	refused_until_cleared(*state, "bogus-extent-len", EXT2_0, "not 2 MiB aligned");
}

static void test_bogus_region_is_refused(void **state)
{
	/* one extent: with two, both end past the region and overlap each other first */
	refused_until_cleared(*state, "bogus-region", EXT1_64M, "not inside one region");
}

/* ------------------------------------------------------------ count faults */

/*
 * bogus-event-count: the agent refuses the malformed Get Event Records
 * output and takes nothing (the offer waits on the device); once the fault
 * is cleared its retry drains the log and accepts the waiting offer.
 */
static void test_bogus_event_count_then_the_drain_recovers(void **state)
{
	struct e2e *e = *state;
	struct agent *a;

	e2e_start_default(e, NULL);
	a = agent_start(e, 0, 0, accept_all);
	inject_fault(e, 0, "bogus-event-count", 0);
	dc_add(e, 0, "prescriptive", TAG_A, EXT2_0);
	assert_true(agent_wait(a, "device-error", 0, "malformed get event records output", E2E_TMO));
	assert_int_equal(dc_host(e, 0).nr_pending, 1);
	assert_string_equal(dc_status(e, 0, TAG_A), "pending");
	assert_true(agent_alive(a));
	inject_fault(e, 0, "none", 0);
	/* The agent's retry (1 s) takes the waiting offer. */
	assert_int_equal(dc_expect_event(e, "CXL_DC_CAPACITY_ACCEPTED", 0, "accepted"), 2);
	assert_true(agent_wait(a, "group-added", 0, NULL, E2E_TMO));
	assert_string_equal(dc_status(e, 0, TAG_A), "committed");
	add_and_accept(e, TAG_B, EXT2_32M);
}

/*
 * bogus-extent-count (4801h): only bring-up reads the extent list, so a
 * running agent is not affected; a restarting one refuses the device
 * (exit 1) and the count is used up; the next start replays normally.
 */
static void test_bogus_extent_count_at_bring_up(void **state)
{
	struct e2e *e = *state;
	struct agent *a;
	unsigned added;

	e2e_start_default(e, NULL);
	a = agent_start(e, 0, 0, accept_all);
	add_and_accept(e, TAG_A, EXT2_0);
	inject_fault(e, 0, "bogus-extent-count", 1);
	add_and_accept(e, TAG_B, EXT2_32M);                  /* the running agent is fine */
	assert_int_equal(faults_of(e, 0), CCI_FAULT_BIT(CCI_FAULT_BOGUS_EXTENT_COUNT));

	assert_int_equal(agent_kill(a, SIGTERM), 0);
	wait_connected(e, 0, false);
	agent_restart(e, 0, false);
	assert_int_equal(agent_wait_exit(a, E2E_TMO), 1);    /* refused the device */
	assert_true(agent_wait(a, "failed", 0, "extent list", 0));
	assert_int_equal(faults_of(e, 0), 0);
	assert_int_equal(dc_host(e, 0).nr_extents, 4);       /* the device lost nothing */

	wait_connected(e, 0, false);
	added = agent_count(a, "group-added");
	agent_restart(e, 0, true);
	assert_true(agent_wait(a, "group-added", added, "replayed", E2E_TMO));
	assert_true(agent_wait(a, "group-added", added + 1, "replayed", E2E_TMO));
	add_and_accept(e, TAG_C, EXT1_64M);
}

/* bogus-extent-total (until cleared): every bring-up gives up; clearing lets the agent in. */
static void test_bogus_extent_total_at_bring_up(void **state)
{
	struct e2e *e = *state;
	struct agent *a;
	unsigned added;

	e2e_start_default(e, NULL);
	a = agent_start(e, 0, 0, accept_all);
	add_and_accept(e, TAG_A, EXT2_0);
	inject_fault(e, 0, "bogus-extent-total", 0);
	add_and_accept(e, TAG_B, EXT2_32M);
	assert_int_equal(agent_kill(a, SIGTERM), 0);
	wait_connected(e, 0, false);
	agent_restart(e, 0, false);
	assert_int_equal(agent_wait_exit(a, E2E_TMO), 1);
	assert_true(agent_wait(a, "failed", 0, "count inconsistent", 0));
	assert_int_equal(faults_of(e, 0), CCI_FAULT_BIT(CCI_FAULT_BOGUS_EXTENT_TOTAL));

	inject_fault(e, 0, "none", 0);
	wait_connected(e, 0, false);
	added = agent_count(a, "group-added");
	agent_restart(e, 0, true);
	assert_true(agent_wait(a, "group-added", added + 1, "replayed", E2E_TMO));
	add_and_accept(e, TAG_C, EXT1_96M);
}

/* ------------------------------------------------------------ coverage */

/* Every fault the device knows has a test above: a new fault fails here until it has one. */
static const char *const covered[] = {
	"unclosed-chain", "duplicate-tag", "sequence-gap", "bogus-extent-len", "bogus-region",
	"bogus-event-count", "bogus-extent-count", "bogus-extent-total",
};

static void test_every_fault_is_covered(void **state)
{
	(void)state;
	assert_int_equal(CCI_NR_FAULTS, sizeof(covered) / sizeof(covered[0]));
	for (unsigned i = 0; i < CCI_NR_FAULTS; i++) {
		bool found = false;

		for (size_t j = 0; j < sizeof(covered) / sizeof(covered[0]); j++)
			found |= !strcmp(covered[j], cci_fault_name((enum cci_fault)i));
		if (!found)
			fail_msg("fault %s has no e2e test", cci_fault_name((enum cci_fault)i));
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, e2e_setup, e2e_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_fault_is_covered),
		T(test_inject_fault_command),
		T(test_unclosed_chain_times_out),
		T(test_duplicate_tag_is_refused),
		T(test_sequence_gap_is_refused),
		T(test_bogus_extent_len_is_refused),
		T(test_bogus_region_is_refused),
		T(test_bogus_event_count_then_the_drain_recovers),
		T(test_bogus_extent_count_at_bring_up),
		T(test_bogus_extent_total_at_bring_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
