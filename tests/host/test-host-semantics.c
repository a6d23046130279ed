/* SPDX-License-Identifier: MIT */
/*
 * test-host-semantics.c - libcxldcd-host against the real device model in
 * one process (hx.h), on the points where a Linux DCD host and the CXL r3.2
 * text meet the device: a DC event log that overflowed (the host re-reads
 * the extent list, §8.2.10.9.9.2), an extent list that shrinks while the
 * host pages through it, and an offer of several sharable tags answered
 * per tag group.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cci/dcd.h"

#include "hx.h"

static int setup_depth2(void **state)
{
	const struct hx_opts o = { .evlog_depth = 2 };

	return hx_setup_opts(state, &o);
}

/* Host 0 accepts tag A in region 1 (not sharable): base+32M (2 MiB), base+64M (4 MiB). */
static void add_group_a(struct hx *x)
{
	struct cxldcd_extent e[2] = { hx_ext(x->base[1] + 32 * MiB, 2 * MiB, TAG_A, 0),
				      hx_ext(x->base[1] + 64 * MiB, 4 * MiB, TAG_A, 0) };

	hx_add_group(x, e, 2);
}

/*
 * Fill host 0's DC log (depth 2) with two harmless records the host has not
 * read yet, then force the host out of cut[n]: the Forced Capacity Release
 * records are lost to the overflow (a forced release never waits for
 * room, CXL r3.2 §7.6.7.6.6).
 */
static void forced_release_lost_to_overflow(struct hx *x, struct cxldcd_extent *cut, uint32_t n)
{
	struct cxldcd_extent none = { 0 };
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .forced = true, .nr_extents = n, .extents = cut };
	struct cxldcd_event ev;
	struct core_evlog_status st;
	struct cxldcd_diag diag;
	uint32_t got;

	hx_inject(x, 0, CXLDCD_DC_EV_REGION_CONFIG_UPDATED, &none, false);
	hx_inject(x, 0, CXLDCD_DC_EV_REGION_CONFIG_UPDATED, &none, false);
	if (core_release(x->dev, &rq, &diag) != CXLDCD_RC_SUCCESS)
		fail_msg("forced release: %s", diag.text);
	assert_int_equal(core_evlog_get(x->dev, 0, CXLDCD_LOG_DC, 1, &ev, &got, &st),
			 CXLDCD_RC_SUCCESS);
	assert_true(st.overflow);
	assert_int_equal(st.overflow_count, n);
	assert_int_equal(core_evlog_count(x->dev, 0, CXLDCD_LOG_DC), 2);
}

/*
 * CXL r3.2 §8.2.10.9.9.2: the host must re-read the extent list whenever the
 * DC event log overflows.  A Forced Capacity Release record lost to an
 * overflow must not leave the host believing it holds the extent: its next
 * release of the group would list that extent, the device would refuse the
 * whole list (Invalid Physical Address), and the rest of the group would
 * stay the host's on the device while the host has let it go.  The UNMAP
 * (reason revoked) that comes before the record has revoked it already; the
 * re-read agrees and changes nothing more.
 */
static void test_overflow_rereads_the_extent_list_and_revokes_what_is_gone(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_group_info g;
	uint64_t a1 = x->base[1] + 32 * MiB;
	struct cxldcd_extent cut = hx_ext(a1, 2 * MiB, NULL, 0);
	int revoked;

	hx_host_start(x);
	add_group_a(x);
	assert_int_equal(core_extent_count(x->dev, 0), 2);
	forced_release_lost_to_overflow(x, &cut, 1);
	assert_int_equal(core_extent_count(x->dev, 0), 1);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_REGION_UPDATED, 1, 3000));
	hx_pump(x, 300);
	assert_int_equal(core_evlog_count(x->dev, 0, CXLDCD_LOG_DC), 0);
	/* [a1, a1+2M) gone: revoked at the UNMAP; no record came, and the re-read found no more */
	revoked = hx_first(x, CXLDCD_HOST_EV_REVOKED);
	assert_true(revoked >= 0);
	assert_int_equal(x->ev[revoked].dpa, a1);
	assert_int_equal(x->ev[revoked].len, 2 * MiB);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_FORCED_RELEASE), 0);
	g = hx_group_of(x, TAG_A);
	assert_true(g.revoked);
	assert_int_equal(g.nr_extents, 1);
	assert_int_equal(g.size, 4 * MiB);
	/* the group's release now lists only what the host holds, and the device takes it */
	assert_int_equal(cxldcd_host_group_release(x->h, NULL, g.id), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_RELEASED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR), 0);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/*
 * The whole group forced out and its record lost to an overflow: the UNMAP
 * revoked every extent, and the group (not open) goes at the re-read, as it
 * would have at the record.
 */
static void test_group_emptied_by_a_forced_release_whose_record_was_lost_goes(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent cut[2] = { hx_ext(x->base[1] + 32 * MiB, 2 * MiB, NULL, 0),
					hx_ext(x->base[1] + 64 * MiB, 4 * MiB, NULL, 0) };

	hx_host_start(x);
	add_group_a(x);
	forced_release_lost_to_overflow(x, cut, 2);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_REGION_UPDATED, 1, 3000));
	hx_pump(x, 300);
	assert_int_equal(core_evlog_count(x->dev, 0, CXLDCD_LOG_DC), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_REVOKED), 2);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 0);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/* A log that overflowed with nothing lost for the host: the re-read changes nothing. */
static void test_overflow_with_nothing_lost_keeps_every_group(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent none = { 0 };
	struct cxldcd_host_group_info g;

	hx_host_start(x);
	add_group_a(x);
	hx_inject(x, 0, CXLDCD_DC_EV_REGION_CONFIG_UPDATED, &none, false);
	for (int i = 0; i < 2; i++) /* a non-DC record, then one lost: overflow */
		assert_int_equal(core_evlog_inject(x->dev, 0, CXLDCD_LOG_DC,
						   &(struct cxldcd_event){ .length = 0x80 }),
				 CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_REGION_UPDATED, 0, 3000));
	hx_pump(x, 300);
	assert_int_equal(core_evlog_count(x->dev, 0, CXLDCD_LOG_DC), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_FORCED_RELEASE), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR), 0);
	g = hx_group_of(x, TAG_A);
	assert_false(g.revoked);
	assert_int_equal(g.nr_extents, 2);
	assert_int_equal(g.size, 6 * MiB);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/* ---------------------------------------------------------- extent list paging */

static int setup_small_mbox(void **state)
{
	/* (256 - 16) / 0x28: six extents per Get DC Extent List */
	const struct hx_opts o = { .mbox_payload_size = 256 };

	return hx_setup_opts(state, &o);
}

/* Host 0 holds n 2 MiB extents of region 1, each accepted alone (no agent). */
static void accept_singles(struct hx *x, uint32_t n)
{
	struct cxldcd_diag diag;

	for (uint32_t i = 0; i < n; i++) {
		struct cxldcd_extent e = hx_ext(x->base[1] + 4 * i * MiB, 2 * MiB, NULL, 0);
		struct cxldcd_range r = { e.dpa, e.len };

		assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
		assert_int_equal(core_add_response(x->dev, 0, &r, 1, false, &diag), CXLDCD_RC_SUCCESS);
	}
	core_evlog_clear(x->dev, 0, CXLDCD_LOG_DC, true, NULL, 0, &diag); /* no overflow: no-op */
	while (core_evlog_count(x->dev, 0, CXLDCD_LOG_DC)) {
		struct cxldcd_event ev;
		uint32_t got;

		core_evlog_get(x->dev, 0, CXLDCD_LOG_DC, 1, &ev, &got, NULL);
		assert_int_equal(core_evlog_clear(x->dev, 0, CXLDCD_LOG_DC, false, &ev.handle, 1,
						  &diag), CXLDCD_RC_SUCCESS);
	}
	assert_int_equal(core_extent_count(x->dev, 0), n);
}

/* One step of one side: poll its fds for up to ms and serve what is ready. */
static void device_step(struct hx *x, int ms)
{
	struct pollfd fds[64];
	size_t n = hostlink_pollfds(x->hl, fds, 64);

	if (poll(fds, (nfds_t)n, ms) <= 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (fds[i].revents)
			hostlink_process_fd(x->hl, fds[i].fd, hostlink_poll_events(fds[i].revents));
}

static void host_step(struct hx *x, int ms)
{
	struct pollfd p = { .fd = cxldcd_host_get_fd(x->h), .events = POLLIN };

	if (poll(&p, 1, ms) > 0)
		cxldcd_host_process(x->h);
}

/*
 * CXL r3.2 §8.2.10.9.9.2: a Starting Extent Index past the Total Extent Count
 * is Invalid Input.  When the list shrinks between two chunks of the
 * bring-up scan (here the FM forces the host out of three extents after the
 * device answered the first chunk), the next chunk asks past the new total.
 * The Linux driver restarts the scan when the generation or the total
 * changes between chunks; the answer to a chunk past the end says the same
 * (the list changed), so the host restarts instead of failing its bring-up.
 */
static void test_scan_restarts_when_the_list_shrinks_past_the_next_chunk(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent cut[3] = { hx_ext(x->base[1] + 20 * MiB, 2 * MiB, NULL, 0),
					hx_ext(x->base[1] + 24 * MiB, 2 * MiB, NULL, 0),
					hx_ext(x->base[1] + 28 * MiB, 2 * MiB, NULL, 0) };
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .forced = true, .nr_extents = 3, .extents = cut };
	struct cxldcd_diag diag;
	uint8_t pol[CXLDCD_NR_LOGS] = { 0 };
	unsigned have = hx_count(x, CXLDCD_HOST_EV_READY);
	struct hx_log log = { .len = 0 };

	x->hcfg.log_fn = hx_log_to_buf;
	x->hcfg.log_opaque = &log;
	x->hcfg.log_level = LOG_DEBUG;
	accept_singles(x, 8);                   /* chunks of 6: [0, 6) then [6, 8) */
	assert_int_equal(cxldcd_host_new(&x->hcfg, &x->h), 0);
	for (int i = 0; i < 500 && !(pol[CXLDCD_LOG_DC] & 3); i++) {
		device_step(x, 5);
		host_step(x, 5);
		core_irq_policy_get(x->dev, 0, pol);
	}
	assert_int_equal(pol[CXLDCD_LOG_DC] & 3, 1); /* the device took the policy: the scan is next */
	host_step(x, 200);                      /* the Set's answer: Get DC Extent List [0, 6) */
	device_step(x, 200);                    /* answered: total 8 */
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_extent_count(x->dev, 0), 5); /* [6, 8) is now past the end */
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_READY, have, 3000));
	hx_pump(x, 300);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 5);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_FAILED), 0);
	assert_non_null(strstr(log.text, "extent scan restart 1: extent list shrank"));
	cxldcd_host_free(x->h);                 /* before log goes out of scope */
	x->h = NULL;
}

/* ---------------------------------------------------------- sharable tag groups */

/*
 * One offer of two sharable tags (region 0), the host's policy accepting
 * only tag B: the agent answers per tag group, as Linux v10+ does, and the
 * device takes all of tag B (before: refused whole, Invalid Extent List).
 */
static void test_one_sharable_tag_of_an_offer_is_accepted_alone(void **state)
{
	struct hx *x = *state;
	uint8_t allow[1][16];
	struct cxldcd_extent e[4] = { hx_ext(x->base[0], 2 * MiB, TAG_A, 0),
				      hx_ext(x->base[0] + 2 * MiB, 2 * MiB, TAG_A, 1),
				      hx_ext(x->base[0] + 8 * MiB, 2 * MiB, TAG_B, 0),
				      hx_ext(x->base[0] + 4 * MiB, 2 * MiB, TAG_B, 1) };
	struct cxldcd_host_group_info g;

	assert_int_equal(cxldcd_tag_parse(TAG_B, allow[0]), 0);
	x->hcfg.accept = CXLDCD_HOST_ACCEPT_TAGS;
	x->hcfg.accept_tags = (const uint8_t (*)[16])allow;
	x->hcfg.nr_accept_tags = 1;
	hx_host_start(x);
	assert_int_equal(hx_add(x, 0, e, 4), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(core_extent_count(x->dev, 0), 2);
	g = hx_group_of(x, TAG_B);
	assert_int_equal(g.size, 4 * MiB);
	assert_int_equal(g.nr_extents, 2);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_REJECTED), 1);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 0);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 1);
}

/* ---------------------------------------------------------- responses the device refuses */

/*
 * An Add Capacity record the device has no pending group for (a chain the
 * host answered before it restarted, its records not yet cleared; here
 * injected), then a real offer B.  The host answers the stale chain; the
 * device matches that answer to its oldest pending group, B, and refuses it
 * with Invalid Physical Address (reason not-held).  The agent used to take
 * every Invalid PA for a Dead group and answer it empty, which rejected B
 * before the host had even read B's records.  With the device's reason at
 * hand (DIAG) it answers empty only a group the device says is dead.
 */
static void test_refused_stale_answer_does_not_reject_the_next_offer(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent stale = hx_ext(x->base[1] + 64 * MiB, 2 * MiB, NULL, 0);
	struct cxldcd_extent b = hx_ext(x->base[1], 2 * MiB, NULL, 0);

	hx_inject(x, 0, CXLDCD_DC_EV_ADD_CAPACITY, &stale, false);
	assert_int_equal(hx_add(x, 0, &b, 1), CXLDCD_RC_SUCCESS);
	hx_host_start(x);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(core_extent_count(x->dev, 0), 1);       /* B, accepted */
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 1);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_REJECTED), 1); /* the stale one */
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/* ---------------------------------------------------------- region reconfiguration */

static int setup_1g_regions(void **state)
{
	const struct hx_opts o = { .region_len = 1024 * MiB };

	return hx_setup_opts(state, &o);
}

/*
 * The FM changes region 1's block size (5602h, allowed while nothing is
 * allocated there); the device logs Region Configuration Updated to every
 * host, whose answer is to read the configuration again (4800h).  The agent
 * used to only pass the record on: its view of the region (dev_info, the
 * bound on the extent list it reads) kept the old block size.
 */
static void test_region_update_rereads_the_configuration(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_dev_info di;
	struct cxldcd_diag diag;
	int at;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_get_dev_info(x->h, &di), 0);
	assert_int_equal(di.regions[1].block_size, 2 * MiB);
	assert_int_equal(core_region_set_config(x->dev, 1, 1024 * MiB, false, &diag),
			 CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_REGION_UPDATED, 0, 3000));
	at = hx_first(x, CXLDCD_HOST_EV_REGION_UPDATED);
	assert_non_null(strstr(x->ev[at].text, "region=1 block_size=0x40000000"));
	assert_int_equal(cxldcd_host_get_dev_info(x->h, &di), 0);
	assert_int_equal(di.regions[1].block_size, 1024 * MiB);
	assert_int_equal(di.regions[0].block_size, 2 * MiB);
	hx_pump(x, 200);
	assert_int_equal(core_evlog_count(x->dev, 0, CXLDCD_LOG_DC), 0);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/* ---------------------------------------------------------- release chains */

/*
 * A Release Capacity chain longer than the agent's chain cap (here 2): the
 * FM asks host 0 to release three groups in one 5605h.  Linux handles each
 * Release record on its own; the agent stages a chain to release each group
 * once, and used to drop the records past the cap (the third group stayed
 * the host's, its release pending on the device for ever).  It now handles
 * the staged records each time the cap fills, and the rest at the end.
 */
static void test_release_chain_longer_than_the_cap_releases_every_group(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e[3];
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .nr_extents = 3, .extents = e };
	struct cxldcd_diag diag;

	x->hcfg.chain_cap = 2;
	hx_host_start(x);
	for (int i = 0; i < 3; i++) {
		unsigned have = hx_count(x, CXLDCD_HOST_EV_GROUP_ADDED);

		e[i] = hx_ext(x->base[1] + 4 * MiB * (uint64_t)i, 2 * MiB, NULL, 0);
		assert_int_equal(hx_add(x, 0, &e[i], 1), CXLDCD_RC_SUCCESS);
		assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, have, 3000));
	}
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 3);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	for (unsigned n = 0; n < 3; n++)
		assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_RELEASED, n, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR), 0);
}

/* ---------------------------------------------------------- offers after a forced release */

/*
 * CXL r3.2 §7.6.7.6.6: after a Forced Capacity Release the device counts the
 * capacity as the host's no more, and may offer it again, even with the same
 * tag.  The host still lists the group, revoked, while an application holds
 * it open.  The re-offer has a pending group on the device and needs an
 * answer (here an empty one: its tag is still the listed group's; the
 * range alone would not refuse it, test-host-revoke.c).
 * Before: the agent took it for a chain answered before this connection and
 * cleared it unanswered, so the device's group stayed pending for ever and
 * every later Add DC Response was matched to it and refused (Invalid
 * Physical Address, not-held), found by bench-soak.
 */
static void test_reoffer_of_force_released_capacity_still_open_is_answered(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent a[2] = { hx_ext(x->base[1] + 32 * MiB, 2 * MiB, TAG_A, 0),
				      hx_ext(x->base[1] + 64 * MiB, 4 * MiB, TAG_A, 0) };
	struct cxldcd_extent untagged[2] = { hx_ext(x->base[1] + 32 * MiB, 2 * MiB, NULL, 0),
					     hx_ext(x->base[1] + 64 * MiB, 4 * MiB, NULL, 0) };
	struct cxldcd_extent b = hx_ext(x->base[1] + 128 * MiB, 2 * MiB, TAG_B, 0);
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .forced = true, .nr_extents = 2, .extents = untagged };
	struct cxldcd_host_group_info g;
	struct cxldcd_diag diag;
	uint8_t tag[16];
	uint64_t size;
	void *addr;

	hx_host_start(x);
	hx_add_group(x, a, 2);
	g = hx_group_of(x, TAG_A);
	assert_int_equal(cxldcd_tag_parse(TAG_A, tag), 0);
	assert_int_equal(cxldcd_host_group_open(x->h, tag, 0, &addr, &size), 0);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FORCED_RELEASE, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	assert_true(hx_group_of(x, TAG_A).revoked); /* held open: still listed */
	/* the same capacity offered again: answered (refused), nothing left pending */
	assert_int_equal(hx_add(x, 0, a, 2), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_pending_count(x->dev, 0), 1);
	hx_pump(x, 300);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	/* and the next offer is matched to its own group: accepted */
	hx_add_group(x, &b, 1);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(core_extent_count(x->dev, 0), 1);
	assert_int_equal(hx_group_of(x, TAG_B).size, 2 * MiB);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_REJECTED), 0);
	/* the close lets the revoked group go */
	assert_int_equal(cxldcd_host_group_close(x->h, g.id), 0);
	hx_pump(x, 200);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 1);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/* ---------------------------------------------------------- partial forced release */

/*
 * An application in another process lists the agent's groups (app socket
 * LIST): the one entry's size and extent count go back through fd.
 */
static void app_list_child(const char *path, int fd)
{
	struct cxldcd_host_group_info l[4];
	struct cxldcd_app *app;
	uint64_t out[3];

	if (cxldcd_app_connect(path, &app) || cxldcd_app_list(app, l, 4) != 1)
		_exit(1);
	out[0] = l[0].size;
	out[1] = l[0].nr_extents;
	out[2] = l[0].revoked;
	if (write(fd, out, sizeof(out)) != (ssize_t)sizeof(out))
		_exit(2);
	cxldcd_app_free(app);
	_exit(0);
}

static void app_list(struct hx *x, uint64_t out[3])
{
	int p[2], st = -1;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		app_list_child(x->app_sock, p[1]);
	}
	close(p[1]);
	for (int i = 0; i < 500; i++) {
		hx_pump(x, 10);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(read(p[0], out, 3 * sizeof(uint64_t)), 3 * sizeof(uint64_t));
	close(p[0]);
}

/*
 * A forced release of part of a tag group (5605h prescriptive, one extent
 * and the middle of another): the group stays, revoked, with what the host
 * still holds, and every count the agent gives (cxldcd_host_list_groups(),
 * the app socket's LIST) is the device's extent list (4801h): bytes and
 * extents.  Before, the group kept its full size and counted the revoked
 * pieces as extents: bench-soak found an agent listing 2-4 MiB more on d0
 * than the FM (5603h) lists for its host.  An application holding the group
 * open keeps the live part, at its offsets; the revoked part faults.
 */
static void test_partial_forced_release_leaves_the_group_what_the_device_lists(void **state)
{
	struct hx *x = *state;
	uint64_t a0 = x->base[1] + 32 * MiB, a1 = x->base[1] + 64 * MiB;
	struct cxldcd_extent a[2] = { hx_ext(a0, 2 * MiB, TAG_A, 0), hx_ext(a1, 6 * MiB, TAG_A, 0) };
	struct cxldcd_extent cut[2] = { hx_ext(a0, 2 * MiB, NULL, 0),
					hx_ext(a1 + 2 * MiB, 2 * MiB, NULL, 0) };
	struct cxldcd_host_group_info g, l[4];
	uint64_t bytes, size, app[3];
	uint8_t tag[16], *p;
	void *addr;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	hx_add_group(x, a, 2);
	assert_int_equal(cxldcd_tag_parse(TAG_A, tag), 0);
	assert_int_equal(cxldcd_host_group_open(x->h, tag, 0, &addr, &size), 0);
	assert_int_equal(size, 8 * MiB);
	p = addr;
	for (uint64_t off = 0; off < size; off += 2 * MiB)
		memset(p + off, (int)(0xa0 + off / (2 * MiB)), 64);

	hx_force_out(x, cut, 2);
	assert_int_equal(hx_device_holds(x, &bytes), 2);
	assert_int_equal(bytes, 4 * MiB);
	g = hx_group_of(x, TAG_A);
	assert_true(g.revoked);
	assert_int_equal(g.size, bytes);
	assert_int_equal(g.nr_extents, 2);
	assert_int_equal(cxldcd_host_list_groups(x->h, l, 4), 1);
	assert_int_equal(l[0].size, bytes);
	/* an application in another process is told the same */
	app_list(x, app);
	assert_int_equal(app[0], bytes);
	assert_int_equal(app[1], 2);
	assert_int_equal(app[2], 1);
	/* the opener keeps the live part at its offsets; the revoked part faults */
	assert_false(hx_readable(p, 64));                  /* a0 */
	assert_true(hx_readable(p + 2 * MiB, 64));         /* a1, first 2 MiB */
	assert_int_equal(p[2 * MiB], 0xa1);
	assert_false(hx_readable(p + 4 * MiB, 64));        /* the middle of a1 */
	assert_true(hx_readable(p + 6 * MiB, 64));         /* a1, last 2 MiB */
	assert_int_equal(p[6 * MiB + 63], 0xa3);
	assert_int_equal(cxldcd_host_group_close(x->h, g.id), 0);
	hx_pump(x, 200);
	/* closed, it is still listed as what it holds, and its release gives exactly that back */
	assert_int_equal(hx_group_of(x, TAG_A).size, 4 * MiB);
	assert_int_equal(cxldcd_host_group_release(x->h, NULL, g.id), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_RELEASED, 0, 3000));
	hx_pump(x, 200);
	assert_int_equal(hx_device_holds(x, &bytes), 0);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	/* and its whole mapping is gone, the revoked pieces' pages too */
	for (uint64_t off = 0; off < size; off += 2 * MiB) {
		errno = 0;
		assert_int_equal(msync(p + off, 4096, MS_ASYNC), -1);
		assert_int_equal(errno, ENOMEM);
	}
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR), 0);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/*
 * The accept limit counts what the host holds: the part of a group a forced
 * release took is room for the next offer.  Before, the revoked bytes still
 * counted and the offer was rejected (capacity limit reached).
 */
static void test_partial_forced_release_frees_its_part_of_the_accept_limit(void **state)
{
	struct hx *x = *state;
	uint64_t a0 = x->base[1] + 32 * MiB;
	struct cxldcd_extent a[2] = { hx_ext(a0, 2 * MiB, TAG_A, 0),
				      hx_ext(x->base[1] + 64 * MiB, 4 * MiB, TAG_A, 0) };
	struct cxldcd_extent cut = hx_ext(a0, 2 * MiB, NULL, 0);
	struct cxldcd_extent b = hx_ext(x->base[1] + 128 * MiB, 2 * MiB, TAG_B, 0);
	uint64_t bytes;

	x->hcfg.accept = CXLDCD_HOST_ACCEPT_LIMIT;
	x->hcfg.accept_limit = 6 * MiB;
	hx_host_start(x);
	hx_add_group(x, a, 2);
	hx_force_out(x, &cut, 1);
	assert_int_equal(hx_group_of(x, TAG_A).size, 4 * MiB);
	hx_add_group(x, &b, 1);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_REJECTED), 0);
	assert_int_equal(hx_group_of(x, TAG_B).size, 2 * MiB);
	assert_int_equal(hx_device_holds(x, &bytes), 2);
	assert_int_equal(bytes, 6 * MiB);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
}

/*
 * The host releases a group whose extent the device has just forced out:
 * its Release DC lists that extent (the UNMAP and the record had not
 * reached it), and the device refuses the whole list (not-held).  The rest
 * of the group is still the host's on the device: the host must give it
 * back, not drop it.  Before, it dropped the group and the device kept the
 * other extent for the host (bench-soak: `release dc ... reason=not-held`).
 */
static void test_release_refused_for_an_extent_forced_out_meanwhile_gives_back_the_rest(void **state)
{
	struct hx *x = *state;
	uint64_t a0 = x->base[1] + 32 * MiB;
	struct cxldcd_extent a[2] = { hx_ext(a0, 2 * MiB, TAG_A, 0),
				      hx_ext(x->base[1] + 64 * MiB, 4 * MiB, TAG_A, 0) };
	struct cxldcd_extent cut = hx_ext(a0, 2 * MiB, NULL, 0);
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .forced = true, .nr_extents = 1, .extents = &cut };
	struct cxldcd_diag diag;
	uint64_t bytes;

	hx_host_start(x);
	hx_add_group(x, a, 2);
	/* the device forces a0 out; the host, not told yet, releases the group */
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_int_equal(cxldcd_host_group_release(x->h, NULL, hx_group_of(x, TAG_A).id), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FORCED_RELEASE, 0, 3000));
	hx_pump(x, 300);
	assert_int_equal(hx_device_holds(x, &bytes), 0);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_overflow_rereads_the_extent_list_and_revokes_what_is_gone,
						setup_depth2, hx_teardown),
		cmocka_unit_test_setup_teardown(test_overflow_with_nothing_lost_keeps_every_group,
						setup_depth2, hx_teardown),
		cmocka_unit_test_setup_teardown(test_group_emptied_by_a_forced_release_whose_record_was_lost_goes,
						setup_depth2, hx_teardown),
		cmocka_unit_test_setup_teardown(test_scan_restarts_when_the_list_shrinks_past_the_next_chunk,
						setup_small_mbox, hx_teardown),
		cmocka_unit_test_setup_teardown(test_one_sharable_tag_of_an_offer_is_accepted_alone,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_refused_stale_answer_does_not_reject_the_next_offer,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_region_update_rereads_the_configuration,
						setup_1g_regions, hx_teardown),
		cmocka_unit_test_setup_teardown(test_release_chain_longer_than_the_cap_releases_every_group,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_reoffer_of_force_released_capacity_still_open_is_answered,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_partial_forced_release_leaves_the_group_what_the_device_lists,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_partial_forced_release_frees_its_part_of_the_accept_limit,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_release_refused_for_an_extent_forced_out_meanwhile_gives_back_the_rest,
						hx_setup, hx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
