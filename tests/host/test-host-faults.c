/* SPDX-License-Identifier: MIT */
/*
 * test-host-faults.c - libcxldcd-host against a device that lies
 * (src/cci/fault.h through hostlink_set_faults(), style B.7 "hostile-device
 * tests").  For each fault: turn it on for host 0, let the FM add capacity,
 * check that the host reports the problem (event and stats), does not take
 * the bad group (the device shows it rejected, or still pending until the
 * device times it out), keeps running, and accepts a normal add once the
 * fault is cleared.  Faults read at bring-up (4801h) make the host refuse the
 * device; a later connection without the fault comes up normally.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cci/fault.h"
#include "hx.h"

#define PENDING_TIMEOUT_MS 1000u

/* ---------------------------------------------------------- fixture */

struct fx {
	struct hx x;                /* first: the hx_* helpers take &f->x */
	uint32_t answered, rejected, timed_out;
};

static void on_answered(void *opaque, uint16_t host, uint64_t group_id, uint32_t nr_offered,
			uint32_t nr_accepted)
{
	struct fx *f = opaque;

	(void)host;
	(void)group_id;
	(void)nr_offered;
	f->answered++;
	f->rejected += nr_accepted == 0;
}

static void on_timeout(void *opaque, uint16_t host, uint64_t group_id)
{
	struct fx *f = opaque;

	(void)host;
	(void)group_id;
	f->timed_out++;
}

static const struct core_observer fx_obs = { .group_answered = on_answered,
					     .group_timeout = on_timeout };

/*
 * hx_init() with a device that times pending groups out (core_tick), which a
 * device must do for hosts that drop an unclosed chain silently (COMPAT: Linux
 * v11, shared/docs/host-semantics.md).
 */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct hx_opts o = { .pending_timeout_ms = PENDING_TIMEOUT_MS, .obs = &fx_obs };

	assert_non_null(f);
	o.obs_opaque = f;
	hx_init_opts(&f->x, &o);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	hx_fini(&f->x);
	free(f);
	return 0;
}

/* ---------------------------------------------------------- helpers */

static void fault_on(struct fx *f, enum cci_fault which, uint32_t count)
{
	struct cci_faults fs = { 0 };

	assert_int_equal(cci_faults_add(&fs, which, count), 0);
	assert_int_equal(hostlink_set_faults(f->x.hl, 0, &fs), 0);
}

static void faults_clear(struct fx *f)
{
	assert_int_equal(hostlink_set_faults(f->x.hl, 0, NULL), 0);
}

static uint32_t faults_mask(struct fx *f)
{
	struct cci_faults fs;

	assert_int_equal(hostlink_get_faults(f->x.hl, 0, &fs), 0);
	return fs.mask;
}

static struct cxldcd_host_stats stats(struct fx *f)
{
	struct cxldcd_host_stats st;

	cxldcd_host_get_stats(f->x.h, &st);
	return st;
}

/* Text of the last recorded event of type t (asserts there is one). */
static const char *last_text(const struct hx *x, enum cxldcd_host_event_type t)
{
	for (unsigned i = x->nr_ev; i-- > 0;)
		if (x->ev[i].type == t)
			return x->ev[i].text;
	fail_msg("no %s event", cxldcd_host_event_name(t));
	return "";
}

/* The FM adds a 2-extent group with tag in region 0 at +at (seq 0, 1). */
static void add_tagged(struct fx *f, uint64_t at, const char *tag)
{
	struct cxldcd_extent e[2] = { hx_ext(f->x.base[0] + at, 2 * MiB, tag, 0),
				      hx_ext(f->x.base[0] + at + 4 * MiB, 2 * MiB, tag, 1) };

	assert_int_equal(hx_add(&f->x, 0, e, 2), CXLDCD_RC_SUCCESS);
}

/* A normal add is accepted: the host keeps running after the fault. */
static void add_and_accept(struct fx *f, uint64_t at, const char *tag)
{
	unsigned have = hx_count(&f->x, CXLDCD_HOST_EV_GROUP_ADDED);
	uint32_t ext = core_extent_count(f->x.dev, 0);
	uint8_t t[16];

	add_tagged(f, at, tag);
	assert_true(hx_pump_for(&f->x, CXLDCD_HOST_EV_GROUP_ADDED, have, 3000));
	hx_pump(&f->x, 200);
	assert_int_equal(cxldcd_host_get_state(f->x.h), CXLDCD_HOST_READY);
	assert_int_equal(core_extent_count(f->x.dev, 0), ext + 2);
	assert_int_equal(core_pending_count(f->x.dev, 0), 0);
	assert_int_equal(cxldcd_tag_parse(tag, t), 0);
	assert_int_equal(core_tag_status(f->x.dev, 0, -1, t), CORE_TAG_COMMITTED);
}

/*
 * The host found the group invalid (DEVICE_ERROR whose text holds why), sent
 * an empty Add DC Response, and the device rejected the group.
 */
static void expect_group_refused(struct fx *f, const char *tag, const char *why)
{
	struct hx *x = &f->x;
	uint32_t rejected = f->rejected, groups = cxldcd_host_list_groups(x->h, NULL, 0);
	uint64_t host_rejected = stats(f).groups_rejected;
	unsigned errs = hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR);
	uint8_t t[16];

	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_DEVICE_ERROR, errs, 3000));
	hx_pump(x, 200);
	assert_non_null(strstr(last_text(x, CXLDCD_HOST_EV_DEVICE_ERROR), why));
	assert_int_equal(stats(f).groups_rejected, host_rejected + 1);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), groups);
	assert_int_equal(f->rejected, rejected + 1);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(cxldcd_tag_parse(tag, t), 0);
	assert_int_not_equal(core_tag_status(x->dev, 0, -1, t), CORE_TAG_COMMITTED);
}

/* Start a host that must refuse the device at bring-up; return its error. */
static int host_start_refused(struct fx *f, const char *why)
{
	struct hx *x = &f->x;
	unsigned have = hx_count(x, CXLDCD_HOST_EV_FAILED);
	int rc;

	assert_int_equal(cxldcd_host_new(&x->hcfg, &x->h), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FAILED, have, 5000));
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_FAILED);
	assert_non_null(strstr(last_text(x, CXLDCD_HOST_EV_FAILED), why));
	rc = cxldcd_host_process(x->h);
	hx_host_stop(x);
	assert_false(hostlink_host_connected(x->hl, 0));
	return rc;
}

/* ---------------------------------------------------------- chain faults */

static void test_unclosed_chain_is_dropped_at_the_host_timeout(void **state)
{
	struct fx *f = *state;
	struct hx *x = &f->x;

	x->hcfg.chain_timeout_ms = 150;
	hx_host_start(x);
	fault_on(f, CCI_FAULT_UNCLOSED_CHAIN, 0);
	add_tagged(f, 0, TAG_A);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_CHAIN_TIMEOUT, 0, 3000));
	hx_pump(x, 200);
	assert_non_null(strstr(last_text(x, CXLDCD_HOST_EV_CHAIN_TIMEOUT), "not closed"));
	assert_int_equal(stats(f).chain_timeouts, 1);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	/* COMPAT: Linux v11 sends nothing for a dropped chain: the group waits on the device */
	assert_int_equal(f->answered, 0);
	assert_int_equal(core_pending_count(x->dev, 0), 1);
	assert_int_equal(core_tick(x->dev, (PENDING_TIMEOUT_MS + 1) * 1000000ull), 1);
	assert_int_equal(f->timed_out, 1);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	faults_clear(f);
	add_and_accept(f, 0, TAG_A);
}

static void test_duplicate_tag_group_is_refused(void **state)
{
	struct fx *f = *state;

	hx_host_start(&f->x);
	add_and_accept(f, 0, TAG_A);
	fault_on(f, CCI_FAULT_DUPLICATE_TAG, 1);
	add_tagged(f, 32 * MiB, TAG_B);                 /* the host reads tag A */
	expect_group_refused(f, TAG_B, "tag already in use");
	assert_int_equal(faults_mask(f), 0);            /* one occurrence, used up */
	add_and_accept(f, 32 * MiB, TAG_B);
	assert_int_equal(cxldcd_host_list_groups(f->x.h, NULL, 0), 2);
}

static void test_sequence_gap_group_is_refused(void **state)
{
	struct fx *f = *state;

	hx_host_start(&f->x);
	fault_on(f, CCI_FAULT_SEQUENCE_GAP, 0);
	add_tagged(f, 0, TAG_B);                        /* the host reads 0, 2 */
	expect_group_refused(f, TAG_B, "shared sequence");
	faults_clear(f);
	add_and_accept(f, 0, TAG_B);
}

static void test_bogus_extent_len_group_is_refused(void **state)
{
	struct fx *f = *state;

	hx_host_start(&f->x);
	fault_on(f, CCI_FAULT_BOGUS_EXTENT_LEN, 0);
	add_tagged(f, 16 * MiB, TAG_A);                 /* the host reads 3 MiB extents */
	expect_group_refused(f, TAG_A, "not 2 MiB aligned");
	faults_clear(f);
	add_and_accept(f, 16 * MiB, TAG_A);
}

static void test_bogus_region_group_is_refused(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e = hx_ext(f->x.base[0] + 64 * MiB, 2 * MiB, TAG_A, 0);

	hx_host_start(&f->x);
	fault_on(f, CCI_FAULT_BOGUS_REGION, 0);
	/* one extent: with two, both end past the region and overlap each other first */
	assert_int_equal(hx_add(&f->x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	expect_group_refused(f, TAG_A, "not inside one region");
	faults_clear(f);
	add_and_accept(f, 64 * MiB, TAG_A);
}

/* ---------------------------------------------------------- count faults */

static void test_bogus_event_count_is_refused_and_the_drain_recovers(void **state)
{
	struct fx *f = *state;
	struct hx *x = &f->x;

	hx_host_start(x);
	fault_on(f, CCI_FAULT_BOGUS_EVENT_COUNT, 0);
	add_tagged(f, 0, TAG_A);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_DEVICE_ERROR, 0, 3000));
	hx_pump(x, 200);
	assert_non_null(strstr(last_text(x, CXLDCD_HOST_EV_DEVICE_ERROR),
			       "malformed get event records output"));
	assert_true(stats(f).device_errors >= 1);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	/* nothing was taken from the bogus response: the offer still waits */
	assert_int_equal(f->answered, 0);
	assert_int_equal(core_pending_count(x->dev, 0), 1);
	assert_int_equal(core_evlog_count(x->dev, 0, CXLDCD_LOG_DC), 2);
	faults_clear(f);
	/*
	 * The log never went empty, so the device raises no new interrupt: the
	 * host must retry the drain itself.  It then reads the records, now well
	 * formed, and takes the waiting group and the new one.
	 */
	add_tagged(f, 32 * MiB, TAG_B);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 5000));
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 1, 3000));
	hx_pump(x, 200);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(core_extent_count(x->dev, 0), 4);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 2);
}

static void test_bogus_extent_count_makes_bring_up_refuse_the_device(void **state)
{
	struct fx *f = *state;
	struct hx *x = &f->x;
	struct cxldcd_host_group_info g[4];

	hx_host_start(x);
	add_and_accept(f, 0, TAG_A);
	hx_host_stop(x);
	fault_on(f, CCI_FAULT_BOGUS_EXTENT_COUNT, 1);   /* set while disconnected: next connection */
	assert_int_equal(host_start_refused(f, "extent list"), -EPROTO);
	assert_int_equal(faults_mask(f), 0);            /* the count was used on that connection */
	assert_int_equal(core_extent_count(x->dev, 0), 2); /* the device lost nothing */
	hx_host_start(x);
	assert_int_equal(cxldcd_host_list_groups(x->h, g, 4), 1);
	assert_true(g[0].replayed);
	assert_int_equal(g[0].size, 4 * MiB);
	add_and_accept(f, 32 * MiB, TAG_B);
}

static void test_bogus_extent_total_makes_bring_up_give_up(void **state)
{
	struct fx *f = *state;
	struct hx *x = &f->x;

	fault_on(f, CCI_FAULT_BOGUS_EXTENT_TOTAL, 0);
	assert_int_equal(host_start_refused(f, "count inconsistent"), -EIO);
	assert_true(faults_mask(f) & CCI_FAULT_BIT(CCI_FAULT_BOGUS_EXTENT_TOTAL)); /* until cleared */
	faults_clear(f);
	hx_host_start(x);
	add_and_accept(f, 0, TAG_A);
}

/* ---------------------------------------------------------- hostlink table */

static void test_faults_follow_the_host_across_connections(void **state)
{
	struct fx *f = *state;
	struct hx *x = &f->x;
	struct cci_faults fs = { 0 };

	assert_int_equal(hostlink_set_faults(x->hl, 2, &fs), -EINVAL); /* 2 hosts */
	fs.mask = 1u << 31;
	assert_int_equal(hostlink_set_faults(x->hl, 0, &fs), -EINVAL);
	x->hcfg.chain_timeout_ms = 150;
	hx_host_start(x);
	fault_on(f, CCI_FAULT_SEQUENCE_GAP, 3);
	hx_host_stop(x);
	assert_int_equal(faults_mask(f), CCI_FAULT_BIT(CCI_FAULT_SEQUENCE_GAP));
	hx_host_start(x);                               /* the new connection lies too */
	add_tagged(f, 0, TAG_B);
	expect_group_refused(f, TAG_B, "shared sequence");
	assert_int_equal(hostlink_get_faults(x->hl, 0, &fs), 0);
	assert_int_equal(fs.remaining[CCI_FAULT_SEQUENCE_GAP], 2);
	/* host 1 is not affected */
	assert_int_equal(hostlink_get_faults(x->hl, 1, &fs), 0);
	assert_int_equal(fs.mask, 0);
	faults_clear(f);
	hx_host_stop(x);
	assert_int_equal(faults_mask(f), 0);
	hx_host_start(x);
	add_and_accept(f, 0, TAG_B);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_unclosed_chain_is_dropped_at_the_host_timeout),
		T(test_duplicate_tag_group_is_refused),
		T(test_sequence_gap_group_is_refused),
		T(test_bogus_extent_len_group_is_refused),
		T(test_bogus_region_group_is_refused),
		T(test_bogus_event_count_is_refused_and_the_drain_recovers),
		T(test_bogus_extent_count_makes_bring_up_refuse_the_device),
		T(test_bogus_extent_total_makes_bring_up_give_up),
		T(test_faults_follow_the_host_across_connections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
