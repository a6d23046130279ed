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
#include "host-util.h"

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

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	argv[5] = p.host;
	c = connect_dev(&p, argv);
	cfg.socket_path = p.host;
	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);
	give_host0_2m(c, MEM, h);
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

/* QEMU's examples (hw/mem/cxl_type3 RAS injection series), byte for byte. */
static const char QEMU_UNCOR[] =
	"{ \"execute\": \"cxl-inject-uncorrectable-errors\",\n"
	"  \"arguments\": {\n"
	"    \"path\": \"/machine/peripheral/cxl-pmem0\",\n"
	"    \"errors\": [\n"
	"        {\n"
	"            \"type\": \"cache-address-parity\",\n"
	"            \"header\": [ 3, 4]\n"
	"        },\n"
	"        {\n"
	"            \"type\": \"cache-data-parity\",\n"
	"            \"header\": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31]\n"
	"        },\n"
	"        {\n"
	"            \"type\": \"internal\",\n"
	"            \"header\": [ 1, 2, 4]\n"
	"        }\n"
	"        ]\n"
	"  }}";
static const char QEMU_COR[] =
	"{ \"execute\": \"cxl-inject-correctable-error\",\n"
	"    \"arguments\": {\n"
	"        \"path\": \"/machine/peripheral/cxl-pmem0\",\n"
	"        \"type\": \"physical\"\n"
	"    } }";

struct ras_log {
	unsigned unc, cor;
	struct cxldcd_host_ras_error last_unc, last_cor;
};

static void on_ras(void *opaque, const struct cxldcd_host_event *ev)
{
	struct ras_log *l = opaque;

	if (ev->type == CXLDCD_HOST_EV_RAS_UNCORRECTABLE) {
		l->unc++;
		l->last_unc = *ev->ras;
	} else if (ev->type == CXLDCD_HOST_EV_RAS_CORRECTABLE) {
		l->cor++;
		l->last_cor = *ev->ras;
	}
}

static void run_until(struct cxldcd_host *h, const unsigned *n, unsigned want)
{
	for (int i = 0; i < 250 && *n < want; i++)
		cxldcd_host_run_once(h, 20);
	assert_int_equal(*n, want);
}

/*
 * The real daemon and a real agent: QEMU's commands unchanged record the
 * errors (the agent unmasked them at connect, as cxl_pci does), the agent
 * gets RAS_IRQ, reads status, first error and header log, and clears them;
 * host 1, whose agent has no_ras, keeps its masks and so records nothing.
 */
static void test_qemu_aer_injection_reaches_the_host_agent(void **state)
{
	const char *argv[] = {
		"-object", "memory-backend-ram,id=mem0,size=256M,share=on",
		"-device", "cxl-type3,id=cxl-pmem0,volatile-dc-memdev=mem0,num-dc-regions=1,num-hosts=2,sn=0x1234",
		"--host-socket", NULL, NULL
	};
	struct ras_log log = { 0 };
	struct cxldcd_host_cfg cfg = { .host_id = 0, .event_fn = on_ras, .event_opaque = &log };
	struct cxldcd_host_cfg cfg1 = { .host_id = 1, .no_ras = true };
	struct cxldcd_host *h = NULL, *h1 = NULL;
	struct cxldcd_host_ras_regs r;
	struct dproc p;
	struct qmp_client *c;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	argv[5] = p.host;
	c = connect_dev(&p, argv);
	cfg.socket_path = cfg1.socket_path = p.host;
	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);
	assert_int_equal(cxldcd_host_new(&cfg1, &h1), 0);
	assert_int_equal(cxldcd_host_wait_ready(h1, TMO), 0);

	ok(qmp_client_cmd(c, QEMU_UNCOR, TMO));
	run_until(h, &log.unc, 1);
	assert_int_equal(log.last_unc.status, (1u << 1) | (1u << 0) | (1u << 14));
	assert_int_equal(log.last_unc.first_error, 1u << 1);   /* cache-address-parity, first */
	assert_int_equal(log.last_unc.header_log[0], 3);
	assert_int_equal(log.last_unc.header_log[1], 4);
	assert_int_equal(log.last_unc.header_log[2], 0);
	assert_int_equal(log.last_unc.serial, 0x1234);
	ok(qmp_client_cmd(c, QEMU_COR, TMO));
	run_until(h, &log.cor, 1);
	assert_int_equal(log.last_cor.status, 1u << 6);
	/* the agent cleared them: status 0, the First Error Pointer at no bit */
	assert_int_equal(cxldcd_host_ras_read(h, &r), 0);
	assert_int_equal(r.unc_status, 0);
	assert_int_equal(r.cor_status, 0);
	assert_int_equal(r.cap_ctrl, 0x200 | 63);
	assert_int_equal(r.unc_mask, 0);
	/* host 1 kept the reset masks: nothing recorded there */
	assert_int_equal(cxldcd_host_ras_read(h1, &r), 0);
	assert_int_equal(r.unc_mask, 0x1cfff);
	assert_int_equal(r.unc_status, 0);
	/* host-id (ours) aims at one host's device; the second error's header is kept */
	assert_int_equal(cxldcd_host_ras_write(h1, 0x04, 0), 0);
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-uncorrectable-errors\", \"arguments\": {"
			  "\"path\": \"cxl-pmem0\", \"host-id\": 1, \"errors\": ["
			  "{\"type\": \"mem-data-ecc\", \"header\": [7]},"
			  "{\"type\": \"cxl-ide-rx\", \"header\": [8, 9]}]}}", TMO));
	assert_int_equal(cxldcd_host_ras_read(h1, &r), 0);
	assert_int_equal(r.unc_status, (1u << 7) | (1u << 16));
	assert_int_equal(r.cap_ctrl & 0x3f, 7);
	assert_int_equal(r.header_log[0], 7);
	assert_int_equal(cxldcd_host_ras_write(h1, 0x00, 1u << 7), 0);
	assert_int_equal(cxldcd_host_ras_read(h1, &r), 0);
	assert_int_equal(r.unc_status, 1u << 16);
	assert_int_equal(r.header_log[0], 8);
	assert_int_equal(r.header_log[1], 9);
	assert_int_equal(log.unc, 1);       /* host 0 was not aimed at */
	{       /* query-cxl-ras shows what host 1 reads */
		json_t *q = expect_ok(qmp_client_cmd(c, "{\"execute\": \"query-cxl-ras\", \"arguments\": "
						     "{\"path\": \"cxl-pmem0\", \"host-id\": 1}}", TMO));
		json_t *q1 = json_array_get(ret_of(q), 0);

		assert_int_equal(json_array_size(ret_of(q)), 1);
		assert_int_equal(json_integer_value(json_object_get(q1, "uncorrectable-status")), 1u << 16);
		assert_int_equal(json_integer_value(json_object_get(q1, "first-error-pointer")), 16);
		assert_int_equal(json_integer_value(json_array_get(json_object_get(q1, "header-log"), 1)), 9);
		assert_int_equal(json_integer_value(json_object_get(q1, "uncorrectable-mask")), 0);
		json_decref(q);
	}
	cxldcd_host_free(h);
	cxldcd_host_free(h1);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

static json_t *ras_of(struct qmp_client *c, int host)
{
	json_t *q = expect_ok(qmp_client_cmdf(c, TMO, "{\"execute\": \"query-cxl-ras\", "
					      "\"arguments\": {\"path\": \"cxl-pmem0\", \"host-id\": %d}}",
					      host));
	json_t *h = json_incref(json_array_get(ret_of(q), 0));

	json_decref(q);
	return h;
}

static json_int_t reg(json_t *h, const char *name)
{
	return json_integer_value(json_object_get(h, name));
}

/*
 * --state: the RAS registers are volatile across a restart (the device's
 * power cycle), so a restarted daemon shows the reset values; across the
 * host's reconnect (a link reset) they stay, and the host is told again.
 */
static void test_ras_registers_start_over_after_a_restart(void **state)
{
	const char *argv[] = {
		"-object", "memory-backend-ram,id=mem0,size=256M,share=on",
		"-device", "cxl-type3,id=cxl-pmem0,volatile-dc-memdev=mem0,num-dc-regions=1,num-hosts=2",
		"--host-socket", NULL, "--state", NULL, NULL
	};
	struct ras_log log = { 0 };
	struct cxldcd_host_cfg cfg = { .host_id = 1, .no_ras = true };
	struct cxldcd_host *h = NULL;
	struct dproc p;
	struct qmp_client *c;
	json_t *r;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	argv[5] = p.host;
	argv[7] = p.state;
	c = connect_dev(&p, argv);
	cfg.socket_path = p.host;
	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);
	assert_int_equal(cxldcd_host_ras_write(h, 0x04, 0), 0);
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-uncorrectable-errors\", \"arguments\": {"
			  "\"path\": \"cxl-pmem0\", \"errors\": [{\"type\": \"internal\", \"header\": [5]}]}}",
			  TMO));
	cxldcd_host_free(h);
	/* the host reconnects (link reset): still there, and told again */
	cfg = (struct cxldcd_host_cfg){ .host_id = 1, .socket_path = p.host, .event_fn = on_ras,
					.event_opaque = &log };
	assert_int_equal(cxldcd_host_new(&cfg, &h), 0);
	assert_int_equal(cxldcd_host_wait_ready(h, TMO), 0);
	run_until(h, &log.unc, 1);
	assert_int_equal(log.last_unc.status, 1u << 14);
	assert_int_equal(log.last_unc.header_log[0], 5);
	cxldcd_host_free(h);
	/* host 1 cleared it; its mask stays 0 until the restart */
	r = ras_of(c, 1);
	assert_int_equal(reg(r, "uncorrectable-status"), 0);    /* the agent cleared it */
	assert_int_equal(reg(r, "uncorrectable-mask"), 0);
	json_decref(r);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	/* restart from --state: reset values */
	assert_int_equal(dproc_start(&p, argv), 0);
	c = dproc_connect(&p, TMO);
	if (!c)
		fail_msg("daemon did not restart: %s", dproc_log(&p));
	r = ras_of(c, 1);
	assert_int_equal(reg(r, "uncorrectable-mask"), 0x1cfff);
	assert_int_equal(reg(r, "correctable-mask"), 0x7f);
	assert_int_equal(reg(r, "capability-control"), 0x200);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(r, "header-log"), 0)), 0);
	json_decref(r);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_read_of_poisoned_line_fails),
		cmocka_unit_test(test_qemu_aer_injection_reaches_the_host_agent),
		cmocka_unit_test(test_ras_registers_start_over_after_a_restart),
	};

	return cmocka_run_group_tests(tests, NULL, dproc_reap_all);
}
