/* SPDX-License-Identifier: MIT */
/*
 * test-inject-host.c - integration: a real host agent (libcxldcd-host over
 * --host-socket) accepts capacity; cxl-inject-poison on part of it makes
 * the agent's slow-path reads of that line fail as poison while the lines
 * around it read back; Clear Poison from the host's mailbox makes it
 * readable again; Sanitize (4400h) zeroes what the host holds; an injected
 * event record raises the agent's interrupt.
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cxldcd/cxldcd-host.h"
#include "dev-util.h"

#define MEM "/machine/peripheral/cxl-mem0"

static void test_host_read_of_poisoned_line_fails(void **state)
{
	const char *argv[] = {
		"-object", "memory-backend-ram,id=mem0,size=256M,share=on",
		"-device", "cxl-type3,id=cxl-mem0,volatile-dc-memdev=mem0,num-dc-regions=1,num-hosts=2",
		"--host-socket", NULL, NULL
	};
	struct cxldcd_host_cfg cfg = { .host_id = 0, .accept = CXLDCD_HOST_ACCEPT_ALL };
	struct cxldcd_host *h = NULL;
	struct dproc p;
	struct qmp_client *c;
	uint8_t buf[64], clr[0x48] = { 0 };
	json_t *q;
	int rc = -1;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	argv[5] = p.host;
	assert_int_equal(dproc_start(&p, argv), 0);
	c = dproc_connect(&p, TMO);
	if (!c)
		fail_msg("daemon did not start: %s", dproc_log(&p));
	cfg.socket_path = p.host;
	for (int i = 0; i < 200 && rc; i++) {
		rc = cxldcd_host_new(&cfg, &h);
		if (rc)
			poll(NULL, 0, 25);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(cxldcd_host_wait_ready(h, TMO), 0);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"" MEM
			  "\",\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,"
			  "\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	for (int i = 0; i < 500; i++) {      /* the agent accepts */
		size_t n;

		cxldcd_host_run_once(h, 20);
		q = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"" MEM "\"}}", TMO));
		n = json_array_size(json_object_get(json_array_get(json_object_get(ret_of(q), "hosts"), 0), "extents"));
		json_decref(q);
		if (n == 1)
			break;
	}
	assert_int_equal(cxldcd_host_write(h, 0x1000, "before", 7, TMO), 0);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-poison\",\"arguments\":{\"path\":\"" MEM
			  "\",\"start\":4096,\"length\":64}}", TMO));
	assert_int_equal(cxldcd_host_read(h, 0x1000, buf, 7, TMO), -EFAULT);
	assert_int_equal(cxldcd_host_read(h, 0x0fc0, buf, 0x41, TMO), -EFAULT);
	assert_int_equal(cxldcd_host_read(h, 0x1040, buf, 64, TMO), 0);
	assert_int_equal(cxldcd_host_read(h, 0x0fc0, buf, 64, TMO), 0);
	/* the host clears it (4302h); its data is readable again */
	put64(clr, 0x1000);
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4302, clr, sizeof(clr), NULL, NULL), 0);
	assert_int_equal(cxldcd_host_read(h, 0x1000, buf, 7, TMO), 0);
	assert_string_equal((char *)buf, "before");
	/* Sanitize (4400h) from the host's mailbox: its capacity reads back as zeros */
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4400, NULL, 0, NULL, NULL), 0x01);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(cxldcd_host_read(h, 0x1000, buf, 7, TMO), 0);
	assert_memory_equal(buf, (uint8_t[7]){ 0 }, 7);
	/*
	 * An injected record raises the host's interrupt: enable the Informational
	 * log's (MSI, 01b) on host 0, inject, and the agent counts an IRQ.
	 */
	{
		struct cxldcd_host_stats st0, st1;
		uint8_t pol[5] = { 0x01, 0, 0, 0, 0x01 };

		assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x0103, pol, 5, NULL, NULL), 0);
		cxldcd_host_get_stats(h, &st0);
		ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-memory-module-event\", \"arguments\": {"
			"\"path\": \"/machine/peripheral/cxl-mem0\", \"log\": \"informational\", \"flags\": 1,"
			"\"type\": 3, \"health-status\": 3, \"media-status\": 7, \"additional-status\": 33,"
			"\"life-used\": 30, \"temperature\": -15, \"dirty-shutdown-count\": 4,"
			"\"corrected-volatile-error-count\": 3233,"
			"\"corrected-persistent-error-count\": 1300}}", TMO));
		for (int i = 0; i < 100; i++) {
			cxldcd_host_run_once(h, 20);
			cxldcd_host_get_stats(h, &st1);
			if (st1.irqs > st0.irqs)
				break;
		}
		assert_int_equal(st1.irqs, st0.irqs + 1);
	}
	cxldcd_host_free(h);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_read_of_poisoned_line_fails),
	};

	return cmocka_run_group_tests(tests, NULL, dproc_reap_all);
}
