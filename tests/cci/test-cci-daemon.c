/* SPDX-License-Identifier: MIT */
/*
 * test-cci-daemon.c - integration: the firmware's device properties through
 * the real daemon's command line.  maint-at-once (COMPAT: Linux's EDAC
 * driver, docs/conformance.md "Perform Maintenance"): accepted on -device
 * cxl-type3 (on, yes, true, bare), Perform Maintenance memory sparing then
 * answers Success on a host's mailbox with its Memory Sparing Event Record
 * already logged; without it (or off) Background Command Started; a value
 * that is not a boolean refused at start with a clear error (status 2); and
 * part of the configuration a --state directory keeps (a restart with the
 * other value is refused).  The host's mailbox is driven over QMP
 * cxl-cci-request.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dev-util.h"

#define MEM "/machine/peripheral/cxl-mem0"
#define OBJ "memory-backend-ram,id=mem0,size=256M"
#define DEV "cxl-type3,id=cxl-mem0,volatile-memdev=mem0"

/* Memory sparing input (CXL r3.2 Tables 8-117, 8-120): rank sparing, hard, channel 1, rank 2. */
static const uint8_t SPARE_IN[16] = { 0x02, 0x03, 0x02, 0x01, 0x02 };
/* e71f3a40-2d29-4092-8a39-4d1c966c7c65, the Memory Sparing Event Record (Table 8-60) */
static const uint8_t MSER_UUID[16] = { 0xe7, 0x1f, 0x3a, 0x40, 0x2d, 0x29, 0x40, 0x92,
				       0x8a, 0x39, 0x4d, 0x1c, 0x96, 0x6c, 0x7c, 0x65 };

/* Start a daemon with -device DEV plus @extra (NULL: none), and --state when @state. */
static struct qmp_client *start(struct dproc *p, const char *extra, bool state)
{
	static char dev[256];
	const char *argv[] = { "-object", OBJ, "-device", dev, NULL, NULL, NULL };

	snprintf(dev, sizeof(dev), "%s%s%s", DEV, extra ? "," : "", extra ? extra : "");
	if (state) {
		argv[4] = "--state";
		argv[5] = p->state;
	}
	return connect_dev(p, argv);
}

static void stop(struct dproc *p, struct qmp_client *c)
{
	qmp_client_free(c);
	kill(p->pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(p, TMO), 0);
}

/* 0600h rank sparing on host 0's mailbox: its return code. */
static int spare(struct qmp_client *c)
{
	uint8_t out[64];
	size_t n = 0;
	int rc = qmp_cci(c, MEM, "mailbox", 0, 0x0600, SPARE_IN, sizeof(SPARE_IN), out, &n);

	assert_int_equal(n, 0);
	return rc;
}

/* Host 0's Informational log holds exactly one record, the Memory Sparing Event Record of SPARE_IN. */
static void expect_sparing_record(struct qmp_client *c)
{
	uint8_t out[4096], log = 0x00;  /* Informational */
	size_t n = 0;

	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x0100, &log, 1, out, &n), 0);
	assert_int_equal(n, 0x20 + 0x80);
	assert_int_equal(out[0x14] | out[0x15] << 8, 1);       /* Event Record Count */
	assert_memory_equal(out + 0x20, MSER_UUID, 16);
	assert_int_equal(out[0x20 + 0x10], 0x80);              /* record length */
	assert_int_equal(out[0x20 + 0x30], 0x02);              /* class: memory sparing */
	assert_int_equal(out[0x20 + 0x31], 0x03);              /* subclass: rank */
	assert_int_equal(out[0x20 + 0x32], 0x02);              /* flags: Hard Sparing */
	assert_int_equal(out[0x20 + 0x3e], 0x01);              /* channel */
	assert_int_equal(out[0x20 + 0x3f], 0x02);              /* rank */
}

/* 0002h on host 0's mailbox: no background operation has run. */
static void expect_no_background(struct qmp_client *c)
{
	uint8_t out[64];
	size_t n = 0;

	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x0002, NULL, 0, out, &n), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(out, ((uint8_t[8]){ 0 }), 8);
}

/*
 * maint-at-once=on (and its other spellings): Success with the record at
 * once, no background operation; the --state directory keeps the property
 * with the configuration, so a restart with it off is refused.
 */
static void test_maint_at_once_on_makes_sparing_complete_at_once(void **state)
{
	static const char *const on[] = { "maint-at-once=on", "maint-at-once=yes",
					  "maint-at-once=true", "maint-at-once" };
	struct qmp_client *c;
	struct dproc p;

	(void)state;
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		assert_int_equal(dproc_init(&p), 0);
		c = start(&p, on[i], i == 0);
		assert_int_equal(spare(c), 0x00);
		expect_sparing_record(c);
		expect_no_background(c);
		stop(&p, c);
		if (i)
			continue;
		c = start(&p, on[i], true);             /* same configuration: restarts */
		stop(&p, c);
		{
			const char *argv[] = { "-object", OBJ, "-device", DEV ",maint-at-once=off",
					       "--state", p.state, NULL };

			assert_int_equal(dproc_start(&p, argv), 0);
			assert_int_equal(dproc_wait_exit(&p, TMO), 1);
			assert_non_null(strstr(dproc_log(&p),
					       "holds the state of another configuration"));
		}
	}
}

/* Without the property, or off: the spec's background memory sparing. */
static void test_maint_at_once_off_keeps_the_background_operation(void **state)
{
	static const char *const off[] = { NULL, "maint-at-once=off", "maint-at-once=no" };
	struct qmp_client *c;
	struct dproc p;

	(void)state;
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		uint8_t out[64];
		size_t n = 0;

		assert_int_equal(dproc_init(&p), 0);
		c = start(&p, off[i], false);
		assert_int_equal(spare(c), 0x01);       /* Background Command Started */
		assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x0002, NULL, 0, out, &n), 0);
		assert_int_equal(n, 8);
		assert_int_equal(out[2] | out[3] << 8, 0x0600);
		stop(&p, c);
	}
}

/* A value that is not a boolean: the daemon does not start and says why (status 2). */
static void test_maint_at_once_bad_values_are_refused(void **state)
{
	static const char *const bad[] = { "maybe", "1", "0", "ON", "" };
	char dev[128], want[160];
	struct dproc p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[] = { "-object", OBJ, "-device", dev, NULL };

		snprintf(dev, sizeof(dev), DEV ",maint-at-once=%s", bad[i]);
		snprintf(want, sizeof(want),
			 "invalid value '%s' for 'maint-at-once' (on/off, yes/no, true/false)", bad[i]);
		assert_int_equal(dproc_init(&p), 0);
		assert_int_equal(dproc_start(&p, argv), 0);
		assert_int_equal(dproc_wait_exit(&p, TMO), 2);
		if (!strstr(dproc_log(&p), want))
			fail_msg("%s: no \"%s\" in: %s", dev, want, dproc_log(&p));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maint_at_once_on_makes_sparing_complete_at_once),
		cmocka_unit_test(test_maint_at_once_off_keeps_the_background_operation),
		cmocka_unit_test(test_maint_at_once_bad_values_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, dproc_reap_all);
}
