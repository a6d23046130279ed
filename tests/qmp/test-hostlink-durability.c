/* SPDX-License-Identifier: MIT */
/*
 * test-hostlink-durability.c - integration: what a host does over
 * --host-socket is journaled like any other request.  A real host
 * (libcxldcd-host, in this process) accepts offers over the host link; the
 * daemon is killed with SIGKILL and restarted with the same arguments; the
 * accepted extents must still be there (not pending again), the host must
 * re-surface them on reconnect, and journaling must go on after the replay.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cxldcd/cxldcd-host.h"
#include "dev-util.h"
#include "dproc-host.h"
#include "state-util.h"

#define DEV "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2"

static void make_args(struct state_args *a, struct dproc *p)
{
	state_args(a, p, "64M", DEV, "--host-socket", p->host);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void host_log(void *opaque, int level, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "host[%d]: %s\n", level, msg);
}

static struct cxldcd_host *host_up(struct dproc *p)
{
	struct cxldcd_host_cfg cfg = { .socket_path = p->host, .host_id = 0,
				       .accept = CXLDCD_HOST_ACCEPT_ALL };

	if (getenv("TEST_VERBOSE")) {
		cfg.log_fn = host_log;
		cfg.log_level = 7;
	}
	struct cxldcd_host *h = NULL;

	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);   /* the daemon may still be starting */
	return h;
}

/* Host 0's accepted extents and pending groups, from the daemon. */
static void host0_state(struct qmp_client *c, size_t *nr_ext, size_t *nr_pending)
{
	json_t *q = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}", TMO));
	json_t *h0 = json_array_get(json_object_get(ret_of(q), "hosts"), 0);

	*nr_ext = json_array_size(json_object_get(h0, "extents"));
	*nr_pending = json_array_size(json_object_get(h0, "pending"));
	json_decref(q);
}

/* Offer @tag with @extents (JSON) to host 0 and let the host accept it. */
static void offer_and_accept(struct qmp_client *c, struct cxldcd_host *h, const char *tag,
			     const char *extents, size_t want_extents)
{
	size_t ext = 0, pend = 1;
	uint64_t until = now_ms() + TMO;

	ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"%s\","
		"\"extents\":%s}}", tag, extents));
	while ((ext != want_extents || pend) && now_ms() < until) {
		cxldcd_host_run_once(h, 20);
		host0_state(c, &ext, &pend);
	}
	assert_int_equal(ext, want_extents);
	assert_int_equal(pend, 0);
}

static void test_host_link_acceptance_survives_kill9(void **state)
{
	struct cxldcd_host_group_info groups[4];
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	struct cxldcd_host *h;
	size_t ext, pend;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	h = host_up(&p);

	/* A two-extent chain accepted over the host link (4802h on the socket, not QMP). */
	offer_and_accept(c, h, TAG_A, "[{\"offset\":0,\"len\":2097152},"
				      "{\"offset\":4194304,\"len\":2097152}]", 2);

	/* The daemon dies; the host is cut off. */
	dproc_kill9(&p);
	qmp_client_free(c);
	cxldcd_host_free(h);

	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	host0_state(c, &ext, &pend);
	assert_int_equal(ext, 2);       /* accepted, not pending again */
	assert_int_equal(pend, 0);

	/* The host comes back and re-surfaces its tag group from the device. */
	h = host_up(&p);
	assert_int_equal(cxldcd_host_list_groups(h, groups, 4), 1);
	assert_int_equal(groups[0].nr_extents, 2);

	/* Journaling goes on after the replay. */
	offer_and_accept(c, h, TAG_B, "[{\"offset\":8388608,\"len\":2097152}]", 3);
	dproc_kill9(&p);
	qmp_client_free(c);
	cxldcd_host_free(h);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	host0_state(c, &ext, &pend);
	assert_int_equal(ext, 3);
	assert_int_equal(pend, 0);
	qmp_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_host_link_acceptance_survives_kill9, dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
