/* SPDX-License-Identifier: MIT */
/*
 * test-features.c - integration: the patrol scrub and ECS features against
 * the real daemon (Set Feature / Get Feature over cxl-cci-request, as a
 * host's mailbox).  The values, and a multi-part transfer left open, come
 * back after SIGKILL (journal replay) and after SIGTERM (snapshot) with
 * --state; so do Perform Maintenance repairs (0600h) and the repair
 * features' settings, refused requests included.
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
#include <unistd.h>
#include <cmocka.h>

#include "dev-util.h"

#define MEM "/machine/peripheral/cxl-mem0"

static const uint8_t SCRUB_UUID[16] = { 0x96, 0xda, 0xd7, 0xd6, 0xfd, 0xe8, 0x48, 0x2b,
					0xa7, 0x33, 0x75, 0x77, 0x4e, 0x06, 0xdb, 0x8a };
static const uint8_t ECS_UUID[16] = { 0xe5, 0xb1, 0x3f, 0x22, 0x23, 0x28, 0x4a, 0x14,
				      0xb8, 0xba, 0xb9, 0x69, 0x1e, 0x89, 0x33, 0x86 };

static struct qmp_client *start(struct dproc *p, const char **argv)
{
	struct qmp_client *c;
	int n = 0;

	argv[n++] = "-object";
	argv[n++] = "memory-backend-ram,id=mem0,size=1G,share=on";
	argv[n++] = "-device";
	argv[n++] = "cxl-type3,id=cxl-mem0,volatile-dc-memdev=mem0,num-dc-regions=1,num-hosts=2";
	argv[n++] = "--state";
	argv[n++] = p->state;
	argv[n] = NULL;
	c = connect_dev(p, argv);
	return c;
}

static int set_feat(struct qmp_client *c, int host, const uint8_t uuid[16], uint32_t flags,
		    uint16_t off, const uint8_t *data, size_t n)
{
	uint8_t in[0x20 + 16] = { 0 };

	memcpy(in, uuid, 16);
	put32(in + 0x10, flags);
	in[0x14] = (uint8_t)off;
	in[0x16] = 1;                           /* version */
	memcpy(in + 0x20, data, n);
	return qmp_cci(c, MEM, "mailbox", host, 0x0502, in, 0x20 + n, NULL, NULL);
}

/* Get Feature, all of the data, selection sel: its length. */
static size_t get_feat(struct qmp_client *c, const uint8_t uuid[16], uint8_t sel, uint8_t *out)
{
	uint8_t in[0x15] = { 0 };
	size_t n;

	memcpy(in, uuid, 16);
	in[0x12] = 0x40;                        /* count */
	in[0x14] = sel;
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 1, 0x0501, in, sizeof(in), out, &n), 0);
	return n;
}

/* Get Feature's return code for selection sel. */
static int feat_rc(struct qmp_client *c, const uint8_t uuid[16], uint8_t sel)
{
	uint8_t in[0x15] = { 0 };

	memcpy(in, uuid, 16);
	in[0x12] = 0x40;
	in[0x14] = sel;
	return qmp_cci(c, MEM, "mailbox", 1, 0x0501, in, sizeof(in), NULL, NULL);
}

static void check(struct qmp_client *c)
{
	uint8_t out[64];

	assert_int_equal(get_feat(c, SCRUB_UUID, 0, out), 4);
	assert_memory_equal(out, ((uint8_t[]){ 0x01, 36, 1, 1 }), 4);
	assert_int_equal(get_feat(c, SCRUB_UUID, 1, out), 4);   /* default */
	assert_memory_equal(out, ((uint8_t[]){ 0x01, 12, 1, 0 }), 4);
	assert_int_equal(feat_rc(c, SCRUB_UUID, 2), 0x1a);      /* no saved selection */
	assert_int_equal(get_feat(c, ECS_UUID, 0, out), 0x0d);
	assert_int_equal(out[0], 1);                            /* the open transfer not applied */
	assert_int_equal(out[2], 3);
}

static void test_features_survive_restart(void **state)
{
	struct dproc p;
	const char *argv[12];
	struct qmp_client *c;
	uint8_t out[64];

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start(&p, argv);
	assert_int_equal(set_feat(c, 0, SCRUB_UUID, 0x8, 0, (uint8_t[]){ 6, 0 }, 2), 0);
	assert_int_equal(set_feat(c, 0, SCRUB_UUID, 0, 0, (uint8_t[]){ 36, 1 }, 2), 0);
	assert_int_equal(set_feat(c, 1, ECS_UUID, 1, 0, (uint8_t[]){ 0, 5, 0 }, 3), 0);
	/* host 1's open transfer does not block host 0: its Full is checked (cycle 0: Invalid Input) */
	assert_int_equal(set_feat(c, 0, SCRUB_UUID, 0, 0, (uint8_t[]){ 0, 1 }, 2), 0x02);
	check(c);
	/* SIGKILL: the journal brings it all back */
	qmp_client_free(c);
	dproc_kill9(&p);
	c = start(&p, argv);
	check(c);
	/* SIGTERM: from the snapshot */
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	c = start(&p, argv);
	check(c);
	/* the transfer is still host 1's (host 0 has none to finish: Out of Order); it finishes it */
	assert_int_equal(set_feat(c, 0, ECS_UUID, 3, 3, (uint8_t[]){ 4, 0, 0x0b, 0 }, 4), 0x1c);
	assert_int_equal(set_feat(c, 1, ECS_UUID, 3, 3, (uint8_t[]){ 4, 0, 0x0b, 0 }, 4), 0);
	assert_int_equal(get_feat(c, ECS_UUID, 0, out), 0x0d);
	assert_memory_equal(out, ((uint8_t[]){ 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 0x0b, 0, 0 }), 0x0d);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

static const uint8_t SPPR_UUID[16] = { 0x89, 0x2b, 0xa4, 0x75, 0xfa, 0xd8, 0x47, 0x4e,
				       0x9d, 0x3e, 0x69, 0x2c, 0x91, 0x75, 0x68, 0xbb };
static const uint8_t ROW_UUID[16] = { 0x45, 0x0e, 0xbf, 0x67, 0xb1, 0x35, 0x4f, 0x97,
				      0xa4, 0x98, 0xc2, 0xd5, 0x7f, 0x27, 0x9b, 0xed };

/* Perform Maintenance: class 02h memory sparing (14-byte input), or class 01h PPR at dpa. */
static int maint(struct qmp_client *c, int host, uint8_t cls, uint8_t sub, uint8_t flags,
		 uint64_t dpa)
{
	uint8_t in[16] = { cls, sub, flags };

	if (cls == 1) {
		put64(in + 3, dpa);
		return qmp_cci(c, MEM, "mailbox", host, 0x0600, in, 14, NULL, NULL);
	}
	in[3] = 1;                              /* channel */
	in[4] = 2;                              /* rank */
	return qmp_cci(c, MEM, "mailbox", host, 0x0600, in, 16, NULL, NULL);
}

static void check_repair_features(struct qmp_client *c)
{
	uint8_t out[64], want[0x14] = { 5, 0, 0, 0, 0, 1, 0 };

	want[0x10] = 0x03;                      /* DPA and nibble mask supported */
	for (uint8_t sel = 0; sel < 3; sel++) {
		assert_int_equal(get_feat(c, SPPR_UUID, sel, out), 0x14);
		assert_memory_equal(out, want, 0x14);
	}
	assert_int_equal(get_feat(c, ROW_UUID, 2, out), 0x13);
	assert_int_equal(out[5], 2);            /* memory sparing */
	assert_int_equal(out[6], 1);            /* row */
	assert_int_equal(out[0x11], 0x06);      /* hard and soft sparing */
}

/* Wait until the host's background operation has completed (0002h: in-progress bit clear). */
static void wait_bg(struct qmp_client *c, int host)
{
	uint8_t none[1] = { 0 }, out[16];
	size_t n;

	for (int i = 0; i < 1000; i++) {
		assert_int_equal(qmp_cci(c, MEM, "mailbox", host, 0x0002, none, 0, out, &n), 0);
		assert_int_equal(n, 8);
		assert_int_equal(out[2] | out[3] << 8, 0x0600);
		if (!(out[0] & 1))
			return;
		usleep(10000);
	}
	fail_msg("host=%d: the memory sparing did not complete in 10 s", host);
}

/*
 * The host's Informational Event Log holds exactly n records, the Memory
 * Sparing Event Records (UUID e71f3a40-...) of the sparing subclasses sub[].
 */
static void expect_msers(struct qmp_client *c, int host, unsigned n, const uint8_t *sub)
{
	uint8_t in[1] = { 0 }, out[0x20 + 4 * 0x80];
	size_t len;

	assert_int_equal(qmp_cci(c, MEM, "mailbox", host, 0x0100, in, 1, out, &len), 0);
	assert_int_equal(len, 0x20 + n * 0x80);
	assert_int_equal(out[0x14], n);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *r = out + 0x20 + 0x80 * i;

		assert_int_equal(r[0], 0xe7);
		assert_int_equal(r[0x0f], 0x65);
		assert_int_equal(r[0x30], 2);           /* class: memory sparing */
		assert_int_equal(r[0x31], sub[i]);
	}
}

/*
 * The journal replays 0600h (and a refused one) the same way; the snapshot
 * loads.  Memory sparing runs in the background and logs its Memory Sparing
 * Event Record when it completes: the records come back after SIGKILL and
 * SIGTERM too.
 */
static void test_repairs_survive_restart(void **state)
{
	struct dproc p;
	const char *argv[12];
	struct qmp_client *c;
	uint8_t in[0x23] = { 0 };

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start(&p, argv);
	memcpy(in, SPPR_UUID, 16);
	put32(in + 0x10, 0x8);                  /* Full, saved across reset */
	in[0x16] = 3;                           /* sPPR version */
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x0502, in, 0x23, NULL, NULL), 0);
	assert_int_equal(maint(c, 0, 2, 1, 0x02, 0), 0x01);     /* hard row sparing: started */
	assert_int_equal(maint(c, 1, 2, 3, 0x00, 0), 0x01);     /* soft rank sparing */
	assert_int_equal(maint(c, 0, 3, 0, 0x00, 0), 0x02);     /* built-in test: not supported */
	wait_bg(c, 0);
	wait_bg(c, 1);
	assert_int_equal(maint(c, 0, 1, 0, 0x00, 0), 0x0f);     /* no capacity at DPA 0 yet */
	check_repair_features(c);
	expect_msers(c, 0, 1, (const uint8_t[]){ 1 });
	expect_msers(c, 1, 1, (const uint8_t[]){ 3 });
	qmp_client_free(c);
	dproc_kill9(&p);
	c = start(&p, argv);
	check_repair_features(c);
	expect_msers(c, 0, 1, (const uint8_t[]){ 1 });
	expect_msers(c, 1, 1, (const uint8_t[]){ 3 });
	assert_int_equal(maint(c, 1, 2, 0, 0x01, 0), 0x01);     /* a query */
	wait_bg(c, 1);
	expect_msers(c, 1, 2, (const uint8_t[]){ 3, 0 });
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	c = start(&p, argv);
	check_repair_features(c);
	expect_msers(c, 1, 2, (const uint8_t[]){ 3, 0 });
	assert_int_equal(maint(c, 0, 2, 2, 0x00, 0), 0x01);
	wait_bg(c, 0);
	expect_msers(c, 0, 2, (const uint8_t[]){ 1, 2 });
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features_survive_restart),
		cmocka_unit_test(test_repairs_survive_restart),
	};

	return cmocka_run_group_tests(tests, NULL, dproc_reap_all);
}
