/* SPDX-License-Identifier: MIT */
/*
 * test-host-e2e.c - libcxldcd-host against the real device model, memory
 * and hostlink server, in one process: the test drives both loops.  Covers
 * bring-up, add/accept with a contiguous mapping checked through the
 * device's slow path, reject and partial accept by policy, chain timeout,
 * tag-based release (whole group), deferred release while open, forced
 * release (UNMAP before the record), replay after a host restart without
 * Add DC Response, the slow path, TCP, applications in another process, and
 * misbehaving-device records injected into the host's DC log.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostlink/proto.h"
#include "hx.h"

static void dev_read(struct hx *x, uint64_t dpa, void *buf, size_t len)
{
	char err[256];

	assert_int_equal(mem_read(x->md, 0, dpa, buf, len, err, sizeof(err)), 0);
}

/* Accept a 2-extent group with tag A: seq 0 at base+64M, seq 1 at base+32M. */
static void add_group_a(struct hx *x)
{
	struct cxldcd_extent e[2] = { hx_ext(x->base[0] + 32 * MiB, 2 * MiB, TAG_A, 1),
				      hx_ext(x->base[0] + 64 * MiB, 4 * MiB, TAG_A, 0) };

	hx_add_group(x, e, 2);
}

static void test_bringup_reads_regions_and_sets_dc_interrupt(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_dev_info di;
	uint8_t pol[CXLDCD_NR_LOGS];

	hx_host_start(x);
	assert_int_equal(cxldcd_host_get_dev_info(x->h, &di), 0);
	assert_int_equal(di.nr_regions, 2);
	assert_true(di.mapping);
	assert_int_equal(di.regions[1].base, x->base[1]);
	assert_int_equal(di.regions[0].len, 256 * MiB);
	assert_int_equal(di.regions[0].block_size, 2 * MiB);
	core_irq_policy_get(x->dev, 0, pol);
	assert_int_equal(pol[CXLDCD_LOG_DC] & 3, 1);
	assert_true(hostlink_host_connected(x->hl, 0));
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR), 0);
}

/*
 * Events are logged too, as cxldcd-host prints them ("NAME tag=TAG text",
 * "-" for no tag; before session 14 "NAME: text", the tag left out), unless
 * cxldcd_host_set_log_events() turns that off: then they reach the event
 * callback only and the log keeps the library's other lines.
 */
static void test_set_log_events_keeps_events_out_of_the_log(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e = hx_ext(x->base[1], 2 * MiB, NULL, 0);
	struct hx_log on = { .len = 0 }, off = { .len = 0 };
	char want[128];

	x->hcfg.log_fn = hx_log_to_buf;
	x->hcfg.log_level = LOG_DEBUG;
	x->hcfg.log_opaque = &on;
	hx_host_start(x);
	snprintf(want, sizeof(want), "<%d>ready tag=- host=0 regions=2\n", LOG_INFO);
	assert_non_null(strstr(on.text, want));
	assert_non_null(strstr(on.text, "host=0 connected"));
	add_group_a(x);
	snprintf(want, sizeof(want), "<%d>group-added tag=" TAG_A " id=1 extents=2 ", LOG_INFO);
	assert_non_null(strstr(on.text, want));
	hx_host_stop(x);

	x->hcfg.log_opaque = &off;
	assert_int_equal(cxldcd_host_new(&x->hcfg, &x->h), 0);
	cxldcd_host_set_log_events(x->h, false);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_READY, 1, 5000));
	hx_pump(x, 200);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	assert_non_null(strstr(off.text, "host=0 connected"));
	assert_null(strstr(off.text, "ready tag="));
	assert_null(strstr(off.text, "group-added tag="));
}

static void test_add_accepts_and_maps_group_contiguously_in_sequence_order(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_group_info g;
	uint8_t tag[16], buf[64];
	void *addr;
	uint64_t size;

	hx_host_start(x);
	add_group_a(x);
	assert_int_equal(core_extent_count(x->dev, 0), 2);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	g = hx_group_of(x, TAG_A);
	assert_int_equal(g.size, 6 * MiB);
	assert_int_equal(g.nr_extents, 2);
	assert_true(g.mapped);
	assert_int_equal(cxldcd_tag_parse(TAG_A, tag), 0);
	assert_int_equal(cxldcd_host_group_open(x->h, tag, 0, &addr, &size), 0);
	assert_int_equal(size, 6 * MiB);
	/* seq 0 (4 MiB at +64M) first, then seq 1 (2 MiB at +32M) */
	memset(addr, 0xa1, 64);
	memset((uint8_t *)addr + 4 * MiB, 0xb2, 64);
	memset((uint8_t *)addr + 6 * MiB - 64, 0xc3, 64);
	dev_read(x, x->base[0] + 64 * MiB, buf, 64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(buf[i], 0xa1);
	dev_read(x, x->base[0] + 32 * MiB, buf, 64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(buf[i], 0xb2);
	dev_read(x, x->base[0] + 34 * MiB - 64, buf, 64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(buf[i], 0xc3);
	assert_int_equal(cxldcd_host_group_close(x->h, g.id), 0);
}

static void test_accept_none_rejects_everything(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e = hx_ext(x->base[0], 2 * MiB, TAG_A, 0);

	x->hcfg.accept = CXLDCD_HOST_ACCEPT_NONE;
	hx_host_start(x);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_REJECTED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(x->answered, 1);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
}

static void test_capacity_limit_accepts_part_of_a_chain(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e[3] = { hx_ext(x->base[1], 2 * MiB, NULL, 0),
				      hx_ext(x->base[1] + 2 * MiB, 2 * MiB, NULL, 0),
				      hx_ext(x->base[1] + 8 * MiB, 2 * MiB, NULL, 0) };

	x->hcfg.accept = CXLDCD_HOST_ACCEPT_LIMIT;
	x->hcfg.accept_limit = 4 * MiB;
	hx_host_start(x);
	assert_int_equal(hx_add(x, 0, e, 3), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 1, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 2);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_REJECTED), 1);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 2);
}

static void test_tag_allow_list_accepts_only_listed_groups(void **state)
{
	struct hx *x = *state;
	uint8_t allow[1][16];
	/* region 1: not sharable, so a partial answer is allowed (sharable: all or nothing) */
	struct cxldcd_extent e[2] = { hx_ext(x->base[1], 2 * MiB, TAG_A, 0),
				      hx_ext(x->base[1] + 2 * MiB, 2 * MiB, TAG_B, 0) };

	assert_int_equal(cxldcd_tag_parse(TAG_B, allow[0]), 0);
	x->hcfg.accept = CXLDCD_HOST_ACCEPT_TAGS;
	x->hcfg.accept_tags = (const uint8_t (*)[16])allow;
	x->hcfg.nr_accept_tags = 1;
	hx_host_start(x);
	assert_int_equal(hx_add(x, 0, e, 2), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 1);
	assert_int_equal(hx_group_of(x, TAG_B).size, 2 * MiB);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_REJECTED), 1);
}

static void test_unclosed_chain_times_out_and_host_keeps_working(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent bogus = hx_ext(x->base[1], 2 * MiB, NULL, 0);

	x->hcfg.chain_timeout_ms = 150;
	hx_host_start(x);
	hx_inject(x, 0, CXLDCD_DC_EV_ADD_CAPACITY, &bogus, true);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_CHAIN_TIMEOUT, 0, 3000));
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	assert_int_equal(x->answered, 0); /* nothing was sent for the dropped chain */
	add_group_a(x);
	assert_int_equal(core_extent_count(x->dev, 0), 2);
}

static void test_tag_release_releases_the_whole_group(void **state)
{
	struct hx *x = *state;
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED };
	struct cxldcd_diag diag;

	hx_host_start(x);
	add_group_a(x);
	assert_int_equal(cxldcd_tag_parse(TAG_A, rq.tag), 0);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_RELEASED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	assert_int_equal(core_tag_status(x->dev, 0, -1, rq.tag), CORE_TAG_RELEASED);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 0);
}

static void test_release_is_deferred_while_open_and_completes_on_close(void **state)
{
	struct hx *x = *state;
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED };
	struct cxldcd_host_group_info g;
	struct cxldcd_diag diag;
	void *addr;
	uint64_t size;

	hx_host_start(x);
	add_group_a(x);
	g = hx_group_of(x, TAG_A);
	assert_int_equal(cxldcd_host_group_open(x->h, NULL, g.id, &addr, &size), 0);
	assert_int_equal(cxldcd_tag_parse(TAG_A, rq.tag), 0);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_RELEASE_DEFERRED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 2);
	assert_int_equal(core_tag_status(x->dev, 0, -1, rq.tag), CORE_TAG_RELEASE_PENDING);
	assert_true(hx_group_of(x, TAG_A).release_pending);
	memset(addr, 0x5a, 4096); /* still usable while deferred */
	assert_int_equal(cxldcd_host_group_open(x->h, NULL, g.id, &addr, &size), -EBUSY);
	assert_int_equal(cxldcd_host_group_release(x->h, NULL, g.id), -EBUSY);
	assert_int_equal(cxldcd_host_group_close(x->h, g.id), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_RELEASED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
}

static void test_unsolicited_release_gives_the_group_back(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_group_info g;

	hx_host_start(x);
	add_group_a(x);
	g = hx_group_of(x, TAG_A);
	assert_int_equal(cxldcd_host_group_release(x->h, NULL, g.id), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_RELEASED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	assert_int_equal(cxldcd_host_group_release(x->h, NULL, g.id), -ENOENT);
}

static int touch_in_child(volatile uint8_t *p)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL); /* not cmocka's handler */
		signal(SIGBUS, SIG_DFL);
		(void)p[0];
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static void test_forced_release_unmaps_before_the_record(void **state)
{
	struct hx *x = *state;
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED,
				       .forced = true };
	struct cxldcd_host_group_info g;
	struct cxldcd_diag diag;
	void *addr;
	uint64_t size;
	int revoked, forced;

	hx_host_start(x);
	add_group_a(x);
	g = hx_group_of(x, TAG_A);
	assert_int_equal(cxldcd_host_group_open(x->h, NULL, g.id, &addr, &size), 0);
	assert_int_equal(touch_in_child(addr), 0);
	assert_int_equal(cxldcd_tag_parse(TAG_A, rq.tag), 0);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FORCED_RELEASE, 1, 3000));
	revoked = hx_first(x, CXLDCD_HOST_EV_REVOKED);
	forced = hx_first(x, CXLDCD_HOST_EV_FORCED_RELEASE);
	assert_true(revoked >= 0 && forced >= 0);
	assert_true(revoked < forced);
	assert_int_equal(touch_in_child(addr), SIGSEGV);
	assert_int_equal(touch_in_child((uint8_t *)addr + 5 * MiB), SIGSEGV);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	assert_int_equal(cxldcd_host_group_close(x->h, g.id), 0);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
}

/*
 * Tag A offered to host 0 and force-released before the host is up (its
 * group is Dead), then tag B offered; the host starts and answers both.
 */
static void dead_a_then_b(struct hx *x, struct cxldcd_extent *a, struct cxldcd_extent *b)
{
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED,
				       .forced = true };
	struct cxldcd_diag diag;

	*a = hx_ext(x->base[0], 2 * MiB, TAG_A, 0);
	*b = hx_ext(x->base[0] + 8 * MiB, 2 * MiB, TAG_B, 0);
	assert_int_equal(hx_add(x, 0, a, 1), CXLDCD_RC_SUCCESS);
	memcpy(rq.tag, a->tag, 16);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_int_equal(hx_add(x, 0, b, 1), CXLDCD_RC_SUCCESS);
	hx_host_start(x);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	hx_pump(x, 200);
}

/*
 * Tag A is offered before the host is up and force-released (the device's
 * group is Dead), tag B is offered.  The host's answer for A is refused with
 * Invalid PA; the library answers A again with an empty list and B goes
 * through.  Before the fallback, B's answer went to the Dead group too.
 */
static void test_dead_group_is_answered_empty_then_the_next_group(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent a, b;
	struct cxldcd_host_stats st;
	int rej;

	dead_a_then_b(x, &a, &b);
	rej = hx_first(x, CXLDCD_HOST_EV_GROUP_REJECTED);
	assert_true(rej >= 0);
	assert_non_null(strstr(x->ev[rej].text, "group dead, answered empty"));
	assert_int_equal(x->ev[rej].dpa, a.dpa);
	assert_int_equal(hx_group_of(x, TAG_B).size, 2 * MiB);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 1);
	assert_int_equal(core_extent_count(x->dev, 0), 1);
	assert_int_equal(core_tag_status(x->dev, 0, -1, b.tag), CORE_TAG_COMMITTED);
	/* one refusal (A's list), then the empty answer and B's list succeeded */
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 1);
	cxldcd_host_get_stats(x->h, &st);
	assert_int_equal(st.dead_group_answers, 1);
}

/*
 * The device's reason for a refusal reaches the library's caller (DIAG,
 * docs/host-link.md): in the CMD_FAILED event, in the group-rejected text,
 * and from cxldcd_host_last_diag(), which keeps it past later successes.
 */
static void test_refusal_reason_reaches_the_caller(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent a, b;
	struct cxldcd_host_diag d;
	int i;

	dead_a_then_b(x, &a, &b);
	i = hx_first(x, CXLDCD_HOST_EV_CMD_FAILED);
	assert_true(i >= 0);
	assert_string_equal(x->ev[i].reason, "group-dead");
	assert_non_null(strstr(x->ev[i].text, "opcode=0x4802 rc=0x0f"));
	assert_non_null(strstr(x->ev[i].text, ": reason=group-dead ("));
	i = hx_first(x, CXLDCD_HOST_EV_GROUP_REJECTED);
	assert_true(i >= 0);
	assert_non_null(strstr(x->ev[i].text, "group dead, answered empty: reason=group-dead ("));
	/* the empty answer and B's list succeeded since: the reason is still the refusal's */
	assert_int_equal(cxldcd_host_last_diag(x->h, &d), 0);
	assert_int_equal(d.opcode, CXLDCD_OP_ADD_DC_RESPONSE);
	assert_int_equal(d.cxl_rc, CXLDCD_RC_INVALID_PA);
	assert_int_equal(d.reason_code, CORE_REASON_GROUP_DEAD);
	assert_string_equal(d.reason, "group-dead");
	assert_true(d.text[0] != '\0');
	assert_int_equal(core_tag_status(x->dev, 0, -1, b.tag), CORE_TAG_COMMITTED);
}

/*
 * A forced release of one extent of a group, then a tag-based release: the
 * host lists only the extent it still holds, the device takes the list, and
 * nothing is left release-pending.
 */
static void test_forced_partial_then_tag_release_lists_only_what_is_held(void **state)
{
	struct hx *x = *state;
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .forced = true, .nr_extents = 1 };
	/* Region 1, not sharable: a sharable tag's capacity leaves whole (CXL r3.2 §7.6.7.6.6). */
	struct cxldcd_extent e[2] = { hx_ext(x->base[1] + 32 * MiB, 2 * MiB, TAG_A, 0),
				      hx_ext(x->base[1] + 64 * MiB, 4 * MiB, TAG_A, 0) };
	struct cxldcd_extent cut = hx_ext(x->base[1] + 32 * MiB, 2 * MiB, NULL, 0);
	struct cxldcd_diag diag;
	int rel;

	hx_host_start(x);
	assert_int_equal(hx_add(x, 0, e, 2), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	hx_pump(x, 200);
	rq.extents = &cut;
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FORCED_RELEASE, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 1);
	assert_true(hx_group_of(x, TAG_A).revoked);

	rq = (struct core_release_req){ .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED };
	assert_int_equal(cxldcd_tag_parse(TAG_A, rq.tag), 0);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_RELEASED, 0, 3000));
	hx_pump(x, 200);
	rel = hx_first(x, CXLDCD_HOST_EV_GROUP_RELEASED);
	assert_non_null(strstr(x->ev[rel].text, "extents=1 size=0x400000"));
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 0);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	assert_int_equal(core_tag_status(x->dev, 0, -1, rq.tag), CORE_TAG_RELEASED);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
}

/* A forced release inside one extent: the host splits it and later releases both pieces. */
static void test_forced_release_inside_an_extent_splits_it(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e = hx_ext(x->base[1], 8 * MiB, NULL, 0);
	struct cxldcd_extent cut = hx_ext(x->base[1] + 2 * MiB, 2 * MiB, NULL, 0);
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .forced = true, .nr_extents = 1, .extents = &cut };
	struct cxldcd_host_group_info g;
	struct cxldcd_diag diag;
	int rel;

	hx_host_start(x);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(cxldcd_host_list_groups(x->h, &g, 1), 1);
	if (core_release(x->dev, &rq, &diag) != CXLDCD_RC_SUCCESS)
		fail_msg("forced release inside an extent: %s", diag.text);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FORCED_RELEASE, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(cxldcd_host_list_groups(x->h, &g, 1), 1);
	/* head and tail: the revoked middle is no longer counted, as the device lists them */
	assert_int_equal(g.nr_extents, 2);
	assert_int_equal(g.size, 6 * MiB);
	assert_int_equal(core_extent_count(x->dev, 0), 2);
	assert_true(g.revoked);
	assert_int_equal(cxldcd_host_group_release(x->h, NULL, g.id), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_RELEASED, 0, 3000));
	hx_pump(x, 200);
	rel = hx_first(x, CXLDCD_HOST_EV_GROUP_RELEASED);
	assert_non_null(strstr(x->ev[rel].text, "extents=2 size=0x600000"));
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 0);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
}

/*
 * A forced release record across two groups (the end of one, the start of
 * the next): each group loses its part and keeps the rest, the record's
 * event names the older group, and the host stays up.
 */
static void test_forced_release_across_two_groups_revokes_each_part(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e[2] = { hx_ext(x->base[1], 4 * MiB, NULL, 0),
				      hx_ext(x->base[1] + 4 * MiB, 4 * MiB, NULL, 0) };
	struct cxldcd_extent cut = hx_ext(x->base[1] + 2 * MiB, 4 * MiB, NULL, 0);
	struct cxldcd_host_group_info g[3];
	int forced;

	hx_host_start(x);
	assert_int_equal(hx_add(x, 0, e, 2), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 1, 3000));
	hx_pump(x, 200);
	assert_int_equal(cxldcd_host_list_groups(x->h, g, 3), 2);
	assert_false(g[0].revoked || g[1].revoked);
	hx_inject(x, 0, CXLDCD_DC_EV_FORCED_RELEASE, &cut, false);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FORCED_RELEASE, 0, 3000));
	hx_pump(x, 200);
	forced = hx_first(x, CXLDCD_HOST_EV_FORCED_RELEASE);
	assert_int_equal(x->ev[forced].group_id, g[0].id);
	assert_int_equal(x->ev[forced].dpa, cut.dpa);
	assert_int_equal(x->ev[forced].len, cut.len);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_REVOKED), 2);
	assert_int_equal(cxldcd_host_list_groups(x->h, g, 3), 2);
	for (int i = 0; i < 2; i++) {
		assert_true(g[i].revoked);
		assert_int_equal(g[i].nr_extents, 1);   /* the live half (the revoked one not counted) */
		assert_int_equal(g[i].size, 2 * MiB);
	}
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

static void test_restart_replays_existing_extents_without_add_response(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_group_info g[4];
	uint8_t tag[16];
	void *addr;
	uint64_t size;
	uint32_t answered;

	hx_host_start(x);
	add_group_a(x);
	assert_int_equal(cxldcd_tag_parse(TAG_A, tag), 0);
	assert_int_equal(cxldcd_host_group_open(x->h, tag, 0, &addr, &size), 0);
	memset((uint8_t *)addr + 4 * MiB, 0x77, 128);
	hx_host_stop(x);
	assert_false(hostlink_host_connected(x->hl, 0));
	answered = x->answered;
	hx_host_start(x);
	assert_int_equal(x->answered, answered); /* no Add DC Response was sent */
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(core_extent_count(x->dev, 0), 2);
	assert_int_equal(cxldcd_host_list_groups(x->h, g, 4), 1);
	assert_true(g[0].replayed);
	assert_true(g[0].mapped);
	assert_int_equal(g[0].size, 6 * MiB);
	/* its group-added line reads as an added group's, "replayed" after (was: "replayed id=1 ...") */
	{
		unsigned i = x->nr_ev;

		while (i > 0 && x->ev[i - 1].type != CXLDCD_HOST_EV_GROUP_ADDED)
			i--;
		assert_true(i > 0);
		assert_string_equal(x->ev[i - 1].text, "id=1 extents=2 size=0x600000 mapped=yes replayed");
	}
	assert_int_equal(cxldcd_host_group_open(x->h, tag, 0, &addr, &size), 0);
	for (int i = 0; i < 128; i++)
		assert_int_equal(((uint8_t *)addr)[4 * MiB + (size_t)i], 0x77);
	assert_int_equal(cxldcd_host_group_close(x->h, g[0].id), 0);
}

static void test_second_connection_for_a_host_is_refused(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host *h2;
	struct cxldcd_host_cfg c = x->hcfg;
	int rc = 0;

	hx_host_start(x);
	c.event_fn = NULL;
	assert_int_equal(cxldcd_host_new(&c, &h2), 0);
	for (int i = 0; i < 200 && rc >= 0; i++) {
		hx_pump(x, 5);
		rc = cxldcd_host_run_once(h2, 5);
	}
	assert_int_equal(rc, -EBUSY);
	assert_int_equal(cxldcd_host_get_state(h2), CXLDCD_HOST_FAILED);
	cxldcd_host_free(h2);
	c.host_id = 7; /* the device has 2 hosts */
	assert_int_equal(cxldcd_host_new(&c, &h2), 0);
	rc = 0;
	for (int i = 0; i < 200 && rc >= 0; i++) {
		hx_pump(x, 5);
		rc = cxldcd_host_run_once(h2, 5);
	}
	assert_int_equal(rc, -ENOENT);
	cxldcd_host_free(h2);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/* ---------------------------------------------------------- misbehaving device */

static void test_duplicate_tag_group_is_rejected(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent dup = hx_ext(x->base[1], 2 * MiB, TAG_A, 0);
	unsigned errs;

	hx_host_start(x);
	add_group_a(x);
	errs = hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR);
	hx_inject(x, 0, CXLDCD_DC_EV_ADD_CAPACITY, &dup, false);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_DEVICE_ERROR, errs, 3000));
	hx_pump(x, 200);
	assert_non_null(strstr(x->ev[hx_first(x, CXLDCD_HOST_EV_DEVICE_ERROR)].text, "tag"));
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 1);
	{ /* still working */
		struct cxldcd_extent b = hx_ext(x->base[0] + 128 * MiB, 2 * MiB, TAG_B, 0);

		assert_int_equal(hx_add(x, 0, &b, 1), CXLDCD_RC_SUCCESS);
		assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 1, 3000));
		hx_pump(x, 200);
	}
	assert_int_equal(core_extent_count(x->dev, 0), 3);
}

static void test_sequence_gap_rejects_the_group(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e[2] = { hx_ext(x->base[0], 2 * MiB, TAG_B, 0),
				      hx_ext(x->base[0] + 2 * MiB, 2 * MiB, TAG_B, 2) };

	hx_host_start(x);
	hx_inject(x, 0, CXLDCD_DC_EV_ADD_CAPACITY, &e[0], true);
	hx_inject(x, 0, CXLDCD_DC_EV_ADD_CAPACITY, &e[1], false);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_DEVICE_ERROR, 0, 3000));
	hx_pump(x, 200);
	assert_non_null(strstr(x->ev[hx_first(x, CXLDCD_HOST_EV_DEVICE_ERROR)].text, "sequence"));
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	add_group_a(x);
	assert_int_equal(core_extent_count(x->dev, 0), 2);
}

static void test_bogus_extents_are_rejected(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent bad[4] = {
		hx_ext(x->base[0] + 4096, 2 * MiB, NULL, 0),       /* misaligned */
		hx_ext(UINT64_MAX - MiB, 8 * MiB, NULL, 0),        /* wraps */
		hx_ext(x->base[1] + 255 * MiB, 4 * MiB, NULL, 0),  /* past region end */
		hx_ext(x->base[0], 0, NULL, 0),                    /* zero length */
	};

	hx_host_start(x);
	for (int i = 0; i < 4; i++)
		hx_inject(x, 0, CXLDCD_DC_EV_ADD_CAPACITY, &bad[i], i < 3);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_DEVICE_ERROR, 3, 3000));
	hx_pump(x, 200);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

static void test_overlong_chain_is_refused_whole(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e[5];

	x->hcfg.chain_cap = 4;
	hx_host_start(x);
	for (int i = 0; i < 5; i++)
		e[i] = hx_ext(x->base[1] + (uint64_t)i * 2 * MiB, 2 * MiB, NULL, 0);
	assert_int_equal(hx_add(x, 0, e, 5), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_REJECTED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
}

static void test_release_of_unknown_range_is_answered_at_once(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e = hx_ext(x->base[1] + 64 * MiB, 2 * MiB, NULL, 0);

	hx_host_start(x);
	hx_inject(x, 0, CXLDCD_DC_EV_RELEASE_CAPACITY, &e, false);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_RANGE_RELEASED, 0, 3000));
	hx_pump(x, 200);
	/* the device answers Invalid PA: the host logs it and goes on */
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 1);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/* ---------------------------------------------------------- slow path, TCP, apps */

static void test_slow_path_when_mapping_is_off(void **state)
{
	struct hx *x = *state;
	uint8_t out[4096], in[4096];
	struct cxldcd_host_group_info g;
	void *addr;
	uint64_t size;
	struct cxldcd_host_dev_info di;

	x->hcfg.no_mapping = true;
	hx_host_start(x);
	add_group_a(x);
	assert_int_equal(cxldcd_host_get_dev_info(x->h, &di), 0);
	assert_false(di.mapping);
	g = hx_group_of(x, TAG_A);
	assert_false(g.mapped);
	assert_int_equal(cxldcd_host_group_open(x->h, NULL, g.id, &addr, &size), -ENODEV);
	memset(out, 0x3c, sizeof(out));
	/* the library's blocking wrappers cannot be used here (one thread runs both) */
	{
		int err = 1;

		assert_int_equal(cxldcd_host_write_async(x->h, x->base[0] + 64 * MiB, out, 4096,
							 (cxldcd_host_io_fn *)NULL, NULL),
				 0);
		assert_int_equal(cxldcd_host_read_async(x->h, x->base[0] + 64 * MiB, in, 4096,
							NULL, NULL),
				 0);
		hx_pump(x, 300);
		assert_memory_equal(in, out, sizeof(out));
		(void)err;
	}
}

struct io_res {
	int done, err;
};

static void io_cb(void *opaque, int err)
{
	struct io_res *r = opaque;

	r->done++;
	r->err = err;
}

static void test_tcp_host_uses_the_slow_path(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_dev_info di;
	struct io_res r = { 0 };
	uint8_t buf[512], back[512];

	x->hcfg.socket_path = NULL;
	x->hcfg.tcp_addr = "127.0.0.1";
	x->hcfg.tcp_port = (uint16_t)x->hl_port;
	hx_host_start(x);
	assert_int_equal(cxldcd_host_get_dev_info(x->h, &di), 0);
	assert_false(di.mapping);
	add_group_a(x);
	assert_false(hx_group_of(x, TAG_A).mapped);
	memset(buf, 0x99, sizeof(buf));
	assert_int_equal(cxldcd_host_write_async(x->h, x->base[0] + 32 * MiB, buf, 512, io_cb, &r), 0);
	hx_pump(x, 300);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.err, 0);
	dev_read(x, x->base[0] + 32 * MiB, back, 512);
	assert_memory_equal(buf, back, 512);
	/* not accepted: refused as a whole */
	assert_int_equal(cxldcd_host_read_async(x->h, x->base[1], back, 512, io_cb, &r), 0);
	hx_pump(x, 300);
	assert_int_equal(r.done, 2);
	assert_int_equal(r.err, -EFAULT);
}

static void test_application_in_another_process_maps_the_group(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_group_info g;
	uint8_t buf[64];
	pid_t pid;
	int st = -1;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	add_group_a(x);
	pid = fork();
	if (pid == 0) {
		struct cxldcd_app *app;
		struct cxldcd_app_map m;
		struct cxldcd_host_group_info l[4];
		uint8_t tag[16];

		if (cxldcd_app_connect(x->app_sock, &app) || cxldcd_app_list(app, l, 4) != 1 ||
		    cxldcd_tag_parse(TAG_A, tag) || cxldcd_app_open(app, tag, 0, &m) ||
		    m.size != 6 * MiB)
			_exit(1);
		memset(m.addr, 0xee, 64);                       /* seq 0 */
		memset((uint8_t *)m.addr + 4 * MiB, 0xdd, 64);  /* seq 1 */
		if (cxldcd_app_close(app, &m))
			_exit(2);
		cxldcd_app_free(app);
		_exit(0);
	}
	assert_true(pid > 0);
	for (int i = 0; i < 500; i++) {
		hx_pump(x, 10);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	dev_read(x, x->base[0] + 64 * MiB, buf, 64);
	assert_int_equal(buf[0], 0xee);
	dev_read(x, x->base[0] + 32 * MiB, buf, 64);
	assert_int_equal(buf[63], 0xdd);
	g = hx_group_of(x, TAG_A);
	assert_int_equal(g.open_count, 0);
}

/*
 * The link fails and the library's user keeps the failed context (it
 * neither frees it nor processes it again): the round that met the failure
 * told the application holding group A (REVOKE) and then closed every
 * application's connection (EOF, the idle one's too) and the socket, its
 * file removed: a new application is refused at once (ENOENT), a failed
 * context serves nothing (-ENOTCONN).  The user connects again with a new
 * context, the failed one still kept: it serves the same path (group A
 * replayed, opened), and freeing the failed one later leaves the new
 * socket alone.  Before, the connections stayed open and unanswered (a
 * LIST timed out after 5 s, an OPEN after 35), a new connect() was queued
 * on a socket nobody accepted, and the new context could not serve the
 * path (-EADDRINUSE) while the failed one was kept.
 */
/* A started host serving applications: group A, one holding it (*holder), one idle (*idle). */
static void serve_a_holder_and_an_idle(struct hx *x, int *holder, int *idle)
{
	uint64_t off;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	add_group_a(x);
	*holder = hx_raw_connect(x->app_sock);
	close(hx_raw_app_open(x, *holder, TAG_A, &off, NULL, NULL));
	*idle = hx_raw_connect(x->app_sock);
	hx_pump(x, 50);
	assert_int_equal(hx_group_of(x, TAG_A).open_count, 1);
}

/*
 * The failed context (x->h NULL: not processed) ended its applications:
 * REVOKE then EOF to the holder, EOF to the idle one, the socket gone.
 */
static void assert_apps_ended(struct hx *x, int holder, int idle)
{
	struct cxldcd_app *app = NULL;
	uint8_t p[256];
	uint32_t len;

	assert_null(x->h);
	assert_int_equal(hx_raw_recv(x, holder, p, sizeof(p), &len, NULL, 2000), HL_APP_REVOKE);
	assert_int_equal(hx_raw_recv(x, holder, p, sizeof(p), &len, NULL, 2000), -1);
	assert_int_equal(hx_raw_recv(x, idle, p, sizeof(p), &len, NULL, 2000), -1);
	assert_int_equal(cxldcd_app_connect(x->app_sock, &app), -ENOENT);
	assert_null(app);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_APP_REVOKED), 1);
}

/*
 * The device dropped host 0 and the user's own call (a slow-path read: it
 * writes on the link) meets the dead socket before any round read the
 * hang-up (EPIPE): h fails outside a round.
 */
static void fail_outside_a_round(struct hx *x, struct cxldcd_host *h)
{
	uint8_t b[64];

	assert_int_equal(hostlink_disconnect(x->hl, 0), 0);
	for (int i = 0; i < 50 && cxldcd_host_get_state(h) != CXLDCD_HOST_FAILED; i++) {
		(void)cxldcd_host_read_async(h, x->base[0], b, sizeof(b), NULL, NULL);
		usleep(2000);
	}
	assert_int_equal(cxldcd_host_get_state(h), CXLDCD_HOST_FAILED);
}

static void test_a_failed_context_kept_ends_its_applications(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host *failed;
	uint64_t off;
	int holder, idle, again;

	serve_a_holder_and_an_idle(x, &holder, &idle);
	assert_int_equal(hostlink_disconnect(x->hl, 0), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FAILED, 0, 3000));
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_FAILED);
	failed = x->h;
	x->h = NULL;            /* kept, never processed again */
	assert_apps_ended(x, holder, idle);
	assert_int_equal(cxldcd_host_serve_apps(failed, x->app_sock), -ENOTCONN);

	/* a new context, the failed one still kept */
	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	again = hx_raw_connect(x->app_sock);
	close(hx_raw_app_open(x, again, TAG_A, &off, NULL, NULL));
	close(again);
	cxldcd_host_free(failed);
	again = hx_raw_connect(x->app_sock);
	close(hx_raw_app_open(x, again, TAG_A, &off, NULL, NULL));
	close(again);
	close(holder);
	close(idle);
}

/*
 * The link fails outside a round (fail_outside_a_round()): the context's
 * fd turns readable, so an owner polling it learns of the failure from
 * cxldcd_host_process(), and is quiet from then on; the application's
 * connection is closed (EOF).  Before, the fd stayed idle (an owner
 * polling it never woke) and the connection open.
 */
static void test_a_failure_outside_a_round_wakes_the_owner_to_end_its_applications(void **state)
{
	struct hx *x = *state;
	struct pollfd pf;
	uint8_t p[256];
	uint32_t len;
	int app;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	add_group_a(x);
	app = hx_raw_connect(x->app_sock);
	hx_pump(x, 50);
	fail_outside_a_round(x, x->h);
	pf = (struct pollfd){ .fd = cxldcd_host_get_fd(x->h), .events = POLLIN };
	assert_int_equal(poll(&pf, 1, 1000), 1);
	assert_true(cxldcd_host_process(x->h) < 0);
	pf = (struct pollfd){ .fd = cxldcd_host_get_fd(x->h), .events = POLLIN };
	assert_int_equal(poll(&pf, 1, 0), 0);   /* quiet from then on */
	{
		struct cxldcd_host *failed = x->h;

		x->h = NULL;
		assert_int_equal(hx_raw_recv(x, app, p, sizeof(p), &len, NULL, 1000), -1);
		x->h = failed;
	}
	close(app);
}

/*
 * The link fails outside a round and the user never calls
 * cxldcd_host_process() again: the user's own call that met the failure (a
 * slow-path read queued on the dropped link) tells the holder (REVOKE) and
 * closes every application's connection and the socket before it returns.
 * Before, only a later cxldcd_host_process() did (the fd woke the owner for
 * it): without one the holder got nothing and both connections stayed open.
 */
static void test_a_failure_outside_a_round_ends_the_applications_in_that_call(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host *failed;
	int holder, idle;

	serve_a_holder_and_an_idle(x, &holder, &idle);
	failed = x->h;
	x->h = NULL;            /* never processed again */
	fail_outside_a_round(x, failed);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_APP_REVOKED), 1);   /* in that call */
	assert_apps_ended(x, holder, idle);
	x->h = failed;
	close(holder);
	close(idle);
}

/*
 * An owner whose event callback, on each event of type nest_on, runs
 * nest(x): rounds inside the library's own (cxldcd_host_process() or a
 * blocking helper); nested counts them.
 */
static cxldcd_host_event_fn *hx_event_fn;    /* the fixture's recorder */
static enum cxldcd_host_event_type nest_on;
static void (*nest)(struct hx *x);
static unsigned nested;

static void nesting_owner(void *opaque, const struct cxldcd_host_event *ev)
{
	struct hx *x = opaque;

	hx_event_fn(opaque, ev);
	if (ev->type == nest_on && x->h) {
		nest(x);
		nested++;
	}
}

/* Start the host with nesting_owner() as its callback, nesting fn on events of type on. */
static void start_nesting(struct hx *x, enum cxldcd_host_event_type on, void (*fn)(struct hx *x))
{
	hx_event_fn = x->hcfg.event_fn;
	x->hcfg.event_fn = nesting_owner;
	nest_on = on;
	nest = fn;
	nested = 0;
	hx_host_start(x);
}

/* A failed context's round (the close's own callback drives it). */
static void nest_process(struct hx *x)
{
	assert_true(cxldcd_host_process(x->h) < 0);
}

static uint8_t slow_buf[64];           /* a timed-out read stays queued: its buffer too */

/* A blocking read; the device is not pumped meanwhile (this thread pumps it): it times out. */
static void nest_slow_read(struct hx *x)
{
	(void)cxldcd_host_read(x->h, x->base[0], slow_buf, sizeof(slow_buf), 200);
}

/*
 * The close at the link's failure walks the applications (REVOKE to each
 * holder, APP_REVOKED for each); a callback that runs a round meanwhile must
 * not close them under it: only the outermost call does, after the walk.
 * Before, the nested round closed (freed) every application while the
 * outer walk stood on one (ASan: heap-use-after-free in apps_revoke_all()).
 */
static void test_a_round_run_by_a_callback_during_the_close_frees_nothing_under_it(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host *failed;
	uint8_t p[256];
	uint64_t off;
	uint32_t len;
	int a, b;

	start_nesting(x, CXLDCD_HOST_EV_APP_REVOKED, nest_process);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	add_group_a(x);
	a = hx_raw_connect(x->app_sock);
	close(hx_raw_app_open(x, a, TAG_A, &off, NULL, NULL));
	b = hx_raw_connect(x->app_sock);
	close(hx_raw_app_open(x, b, TAG_A, &off, NULL, NULL));
	hx_pump(x, 50);
	assert_int_equal(hx_group_of(x, TAG_A).open_count, 2);
	assert_int_equal(hostlink_disconnect(x->hl, 0), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FAILED, 0, 3000));
	assert_int_equal(nested, 2);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_APP_REVOKED), 2);
	failed = x->h;
	x->h = NULL;
	for (int i = 0; i < 2; i++) {
		int fd = i ? b : a;

		assert_int_equal(hx_raw_recv(x, fd, p, sizeof(p), &len, NULL, 2000), HL_APP_REVOKE);
		assert_int_equal(hx_raw_recv(x, fd, p, sizeof(p), &len, NULL, 2000), -1);
	}
	x->h = failed;
	close(a);
	close(b);
}

/*
 * A refused OPEN emits access-denied while the round serves that
 * application; the callback runs a blocking helper, whose rounds nest in
 * it.  The application sent its OPEN and hung up: a nested round that
 * served applications read that EOF and freed the connection the outer one
 * was still answering (ASan: heap-use-after-free after may_open()).  Nested
 * rounds now drive the link and the timers alone; the outer round serves
 * the applications (the EOF) after.
 */
static void test_a_round_nested_in_an_application_request_leaves_the_applications_alone(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_access *acc;
	char err[160];
	pid_t pid;
	int st;

	if (geteuid() != 0)
		skip();                 /* an application of another user: setuid */
	start_nesting(x, CXLDCD_HOST_EV_ACCESS_DENIED, nest_slow_read);
	assert_int_equal(cxldcd_host_access_new(&acc), 0);
	assert_int_equal(cxldcd_host_access_add_rule(acc, "socket,mode=0666", err, sizeof(err)), 0);
	assert_int_equal(chmod(x->dir, 0711), 0);
	assert_int_equal(cxldcd_host_serve_apps_access(x->h, x->app_sock, acc), 0);
	cxldcd_host_access_free(acc);
	add_group_a(x);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* nobody: the default rule (root's, 0600) refuses; OPEN, then hang up */
		uint8_t buf[64];
		struct hl_app_open_req rq = { .id = 0 };
		struct wwr w;
		int fd;

		if (setgid(65534) || setuid(65534) || cxldcd_tag_parse(TAG_A, rq.tag))
			_exit(2);
		fd = hx_raw_connect(x->app_sock);
		wwr_init(&w, buf, sizeof(buf));
		hl_msg_begin(&w, HL_APP_OPEN_REQ, 1);
		if (hl_enc_app_open_req(&w, &rq) || hl_msg_end(&w) ||
		    write(fd, buf, w.off) != (ssize_t)w.off)
			_exit(3);
		_exit(0);
	}
	/* the connection and its OPEN are queued on the socket; then its EOF */
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_ACCESS_DENIED, 0, 3000));
	hx_pump(x, 300);
	assert_int_equal(nested, 1);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_ACCESS_DENIED), 1);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bringup_reads_regions_and_sets_dc_interrupt, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_set_log_events_keeps_events_out_of_the_log, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_add_accepts_and_maps_group_contiguously_in_sequence_order, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_accept_none_rejects_everything, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_capacity_limit_accepts_part_of_a_chain, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_tag_allow_list_accepts_only_listed_groups, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_unclosed_chain_times_out_and_host_keeps_working, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_tag_release_releases_the_whole_group, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_release_is_deferred_while_open_and_completes_on_close, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_release_gives_the_group_back, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_forced_release_unmaps_before_the_record, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_refusal_reason_reaches_the_caller, hx_setup,
						hx_teardown),
		cmocka_unit_test_setup_teardown(test_dead_group_is_answered_empty_then_the_next_group, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_forced_partial_then_tag_release_lists_only_what_is_held, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_forced_release_inside_an_extent_splits_it, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_forced_release_across_two_groups_revokes_each_part, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_restart_replays_existing_extents_without_add_response, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_second_connection_for_a_host_is_refused, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_tag_group_is_rejected, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_sequence_gap_rejects_the_group, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_bogus_extents_are_rejected, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_overlong_chain_is_refused_whole, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_release_of_unknown_range_is_answered_at_once, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_slow_path_when_mapping_is_off, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_host_uses_the_slow_path, hx_setup_tcp, hx_teardown),
		cmocka_unit_test_setup_teardown(test_application_in_another_process_maps_the_group, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_failed_context_kept_ends_its_applications, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_failure_outside_a_round_wakes_the_owner_to_end_its_applications, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_failure_outside_a_round_ends_the_applications_in_that_call, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_round_run_by_a_callback_during_the_close_frees_nothing_under_it, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_round_nested_in_an_application_request_leaves_the_applications_alone, hx_setup, hx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
