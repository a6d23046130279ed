/* SPDX-License-Identifier: MIT */
/*
 * test-media-ops-host.c - integration: Media Operations (4402h) from a host's
 * mailbox on the real daemon and memory backend.  A host agent (libcxldcd-host
 * over --host-socket) accepts capacity and writes to it; Zero of one 64-byte
 * range makes exactly that range read back as zeros (and clears its poison);
 * the operation reports progress through 0002h until done; Sanitize of a
 * range the host does not hold is Invalid Input and leaves its data alone.
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
#include "host-util.h"

#define MEM "/machine/peripheral/cxl-mem0"

/* Media Operation input (CXL r3.2 §8.2.10.9.5.3): class, subclass, one DPA range. */
static size_t media_op(uint8_t *in, uint8_t cls, uint8_t sub, uint64_t dpa, uint64_t len)
{
	memset(in, 0, 0x18);
	in[0] = cls;
	in[1] = sub;
	in[4] = 1;                              /* DPA Range Count */
	put64(in + 0x08, dpa);
	put64(in + 0x10, len);
	return 0x18;
}

static void test_zero_reads_back_zeros_through_the_backend(void **state)
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
	uint8_t buf[64], in[0x18], st[8];
	size_t n;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	argv[5] = p.host;
	c = connect_dev(&p, argv);
	cfg.socket_path = p.host;
	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);
	give_host0_2m(c, MEM, h);
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(cxldcd_host_write(h, 0x0fc0, buf, 64, TMO), 0);
	assert_int_equal(cxldcd_host_write(h, 0x1000, "before", 7, TMO), 0);
	assert_int_equal(cxldcd_host_write(h, 0x1040, "after", 6, TMO), 0);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-poison\",\"arguments\":{\"path\":\"" MEM
			  "\",\"start\":4096,\"length\":64}}", TMO));
	assert_int_equal(cxldcd_host_read(h, 0x1000, buf, 7, TMO), -EFAULT);

	/* Zero (01h/01h) of [1000h, 1040h): Background Command Started */
	n = media_op(in, 0x01, 0x01, 0x1000, 0x40);
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4402, in, n, NULL, NULL), 0x01);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(cxldcd_host_read(h, 0x1000, buf, 64, TMO), 0);      /* no poison left */
	assert_memory_equal(buf, (uint8_t[64]){ 0 }, 64);
	assert_int_equal(cxldcd_host_read(h, 0x1040, buf, 6, TMO), 0);
	assert_string_equal((char *)buf, "after");
	assert_int_equal(cxldcd_host_read(h, 0x0fc0, buf, 64, TMO), 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(buf[i], 0xa5);
	/* 0002h: opcode 4402h, done within a few milliseconds of model time */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x0002, NULL, 0, st, &n), 0);
		assert_int_equal(n, 8);
		if (!(st[0] & 1))
			break;
		poll(NULL, 0, 10);
	}
	assert_int_equal(st[0], 100 << 1);
	assert_int_equal(st[2] | st[3] << 8, 0x4402);
	/* Sanitize (01h/00h) past the host's 2 MiB: Invalid Input, its data stays */
	n = media_op(in, 0x01, 0x00, 0x1000, 0x200000);
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4402, in, n, NULL, NULL), 0x02);
	assert_int_equal(cxldcd_host_read(h, 0x1040, buf, 6, TMO), 0);
	assert_string_equal((char *)buf, "after");
	/* host 1 holds nothing: every range is refused */
	n = media_op(in, 0x01, 0x00, 0x1000, 0x40);
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 1, 0x4402, in, n, NULL, NULL), 0x02);

	cxldcd_host_free(h);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_reads_back_zeros_through_the_backend),
	};

	return cmocka_run_group_tests(tests, NULL, dproc_reap_all);
}
