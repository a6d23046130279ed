/* SPDX-License-Identifier: MIT */
/*
 * test-inject.c - integration: QEMU's cxl-inject-* commands against the
 * real daemon, each pasted from QEMU's documentation unchanged; a host
 * (played over cxl-cci-request) reads the records with Get Event Records
 * and the poison with Get Poison List; both survive a restart with --state.
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

static const uint8_t GM_UUID[16] = { 0xfb, 0xcd, 0x0a, 0x77, 0xc2, 0x60, 0x41, 0x7f,
				     0x85, 0xa9, 0x08, 0x8b, 0x16, 0x21, 0xeb, 0xa6 };
static const uint8_t DRAM_UUID[16] = { 0x60, 0x1d, 0xcb, 0xb3, 0x9c, 0x06, 0x4e, 0xab,
				       0xb8, 0xaf, 0x4e, 0x9b, 0xfb, 0x5c, 0x96, 0x24 };
static const uint8_t MM_UUID[16] = { 0xfe, 0x92, 0x74, 0x75, 0xdd, 0x59, 0x43, 0x39,
				     0xa5, 0x86, 0x79, 0xba, 0xb1, 0x13, 0xb7, 0x74 };

struct args {
	char state[200];
	const char *argv[12];
};

static struct qmp_client *start(struct dproc *p, struct args *a)
{
	struct qmp_client *c;
	int n = 0;

	a->argv[n++] = "-object";
	a->argv[n++] = "memory-backend-ram,id=mem0,size=1G,share=on";
	a->argv[n++] = "-device";
	a->argv[n++] = "cxl-type3,id=cxl-mem0,volatile-dc-memdev=mem0,num-dc-regions=1,num-hosts=2";
	a->argv[n++] = "--state";
	a->argv[n++] = p->state;
	a->argv[n] = NULL;
	c = connect_dev(p, a->argv);
	return c;
}

/* Get Event Records (0100h) of one log of host, without clearing. */
static uint16_t read_log(struct qmp_client *c, int host, uint8_t log, struct cxldcd_event *ev,
			 uint16_t cap)
{
	uint8_t out[4096];
	struct cci_get_events_out h;
	size_t n;

	assert_int_equal(qmp_cci(c, MEM, "mailbox", host, 0x0100, &log, 1, out, &n), 0);
	assert_int_equal(cci_dec_get_events_out(out, n, &h, ev, cap), 0);
	return h.nr_records;
}

/* Get Poison List (4300h) of host over the first 4 MiB: records into out. */
static uint16_t poison_list(struct qmp_client *c, int host, uint8_t *out)
{
	uint8_t in[16] = { 0 };
	size_t n;

	put64(in + 8, 4 * MiB / 64);
	assert_int_equal(qmp_cci(c, MEM, "mailbox", host, 0x4300, in, 16, out, &n), 0);
	assert_true(n >= 0x20);
	return (uint16_t)(out[0x0a] | out[0x0b] << 8);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void check_records(struct qmp_client *c, int host)
{
	struct cxldcd_event ev[8];

	assert_int_equal(read_log(c, host, CXLDCD_LOG_INFO, ev, 8), 3);
	assert_memory_equal(ev[0].uuid, GM_UUID, 16);
	assert_int_equal(ev[0].length, 0x80);
	assert_int_equal(ev[0].flags, 1);
	assert_int_equal(le64(ev[0].data), 1000);               /* 0x30 DPA */
	assert_int_equal(ev[0].data[0x08], 3);                  /* descriptor */
	assert_int_equal(ev[0].data[0x09], 3);                  /* type */
	assert_int_equal(ev[0].data[0x0a], 192);                /* transaction type */
	assert_int_equal(ev[0].data[0x0b], 0x0d);               /* channel, device, component id */
	assert_int_equal(ev[0].data[0x0d], 3);
	assert_int_equal(ev[0].data[0x0f], 5);
	assert_memory_equal(ev[0].data + 0x12, "iras mem", 9);
	assert_memory_equal(ev[1].uuid, DRAM_UUID, 16);
	assert_int_equal(ev[1].data[0x0b], 0xff);               /* every optional field given */
	assert_int_equal(ev[1].data[0x0e], 17);                 /* rank */
	assert_int_equal(ev[1].data[0x12], 7);                  /* bank group */
	assert_int_equal(ev[1].data[0x13], 11);                 /* bank */
	assert_int_equal(ev[1].data[0x17], 77);                 /* column */
	assert_int_equal(le64(ev[1].data + 0x19 + 24), 66);     /* fourth correction mask */
	assert_memory_equal(ev[2].uuid, MM_UUID, 16);
	assert_int_equal(ev[2].data[0x00], 3);                  /* device event type */
	assert_int_equal(ev[2].data[0x01], 3);                  /* health status */
	assert_int_equal(ev[2].data[0x02], 7);                  /* media status */
	assert_int_equal(ev[2].data[0x04], 30);                 /* life used */
	assert_int_equal(ev[2].data[0x05] | ev[2].data[0x06] << 8, 0xfff1); /* -15 C */
	assert_int_equal(ev[2].data[0x0b] | ev[2].data[0x0c] << 8, 3233);
}

/* QEMU's documented injection commands, unchanged (docs/qmp.md). */
static void inject_documented(struct qmp_client *c)
{
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-general-media-event\", \"arguments\": {"
		"\"path\": \"/machine/peripheral/cxl-mem0\", \"log\": \"informational\", \"flags\": 1,"
		"\"dpa\": 1000, \"descriptor\": 3, \"type\": 3, \"transaction-type\": 192,"
		"\"channel\": 3, \"device\": 5, \"component-id\": \"iras mem\"}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-dram-event\", \"arguments\": {"
		"\"path\": \"/machine/peripheral/cxl-mem0\", \"log\": \"informational\", \"flags\": 1,"
		"\"dpa\": 1000, \"descriptor\": 3, \"type\": 3, \"transaction-type\": 192,"
		"\"channel\": 3, \"rank\": 17, \"nibble-mask\": 37421234, \"bank-group\": 7,"
		"\"bank\": 11, \"row\": 2, \"column\": 77, \"correction-mask\": [33, 44, 55, 66]}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-memory-module-event\", \"arguments\": {"
		"\"path\": \"/machine/peripheral/cxl-mem0\", \"log\": \"informational\", \"flags\": 1,"
		"\"type\": 3, \"health-status\": 3, \"media-status\": 7, \"additional-status\": 33,"
		"\"life-used\": 30, \"temperature\": -15, \"dirty-shutdown-count\": 4,"
		"\"corrected-volatile-error-count\": 3233,"
		"\"corrected-persistent-error-count\": 1300}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-poison\", \"arguments\": {"
		"\"path\": \"/machine/peripheral/cxl-mem0\", \"start\": 2048, \"length\": 256}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-uncorrectable-errors\","
		"\"arguments\": {\"path\": \"/machine/peripheral/cxl-mem0\", \"errors\": ["
		"{\"type\": \"cache-address-parity\", \"header\": [3, 4]},"
		"{\"type\": \"cache-data-parity\", \"header\": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,"
		"14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31]},"
		"{\"type\": \"internal\", \"header\": [1, 2, 4]}]}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-correctable-error\","
		"\"arguments\": {\"path\": \"/machine/peripheral/cxl-mem0\", \"type\": \"physical\"}}",
		TMO));
}

/*
 * No host unmasked anything: both were masked on both hosts and recorded
 * nowhere (QEMU before the guest's cxl_pci unmasks); query-cxl-ras shows
 * the reset values.
 */
static void check_ras_reset(struct qmp_client *c)
{
	json_t *r = expect_ok(qmp_client_cmd(c, "{\"execute\": \"query-cxl-ras\", \"arguments\": "
						 "{\"path\": \"cxl-mem0\"}}", TMO));
	json_t *l = ret_of(r), *h1 = json_array_get(l, 1);

	assert_int_equal(json_array_size(l), 2);
	assert_int_equal(json_integer_value(json_object_get(h1, "host-id")), 1);
	assert_int_equal(json_integer_value(json_object_get(h1, "uncorrectable-status")), 0);
	assert_int_equal(json_integer_value(json_object_get(h1, "uncorrectable-mask")), 0x1cfff);
	assert_int_equal(json_integer_value(json_object_get(h1, "uncorrectable-severity")), 0x1cfff);
	assert_int_equal(json_integer_value(json_object_get(h1, "correctable-status")), 0);
	assert_int_equal(json_integer_value(json_object_get(h1, "correctable-mask")), 0x7f);
	assert_int_equal(json_integer_value(json_object_get(h1, "capability-control")), 0x200);
	assert_int_equal(json_integer_value(json_object_get(h1, "first-error-pointer")), 0);
	assert_int_equal(json_array_size(json_object_get(h1, "header-log")), 16);
	json_decref(r);
	expect_err(qmp_client_cmd(c, "{\"execute\": \"query-cxl-ras\", \"arguments\": "
				  "{\"path\": \"cxl-mem0\", \"host-id\": 2}}", TMO),
		   "host-id=2 is out of range: the device has num-hosts=2");
}

/* The AER commands' checks (the registers: tests/qmp/test-inject-host.c). */
static void aer_errors(struct qmp_client *c)
{
	expect_err(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-correctable-error\","
		"\"arguments\": {\"path\": \"/machine/peripheral/nope\", \"type\": \"physical\"}}",
		TMO), "Unable to resolve path");
	expect_err(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-uncorrectable-errors\","
		"\"arguments\": {\"path\": \"/machine/peripheral/nope\", \"errors\": []}}", TMO),
		"Unable to resolve path");
	expect_err(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-correctable-error\","
		"\"arguments\": {\"path\": \"" MEM "\", \"type\": \"loud\"}}", TMO), "Parameter 'type' does not accept value 'loud'");
	expect_err(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-uncorrectable-errors\","
		"\"arguments\": {\"path\": \"" MEM "\", \"errors\": [{\"type\": \"loud\","
		"\"header\": []}]}}", TMO), "Parameter 'errors[0].type' does not accept value 'loud'");
	expect_err(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-uncorrectable-errors\","
		"\"arguments\": {\"path\": \"" MEM "\", \"errors\": [{\"type\": \"internal\"}]}}",
		TMO), "Parameter 'errors[0].header' is missing");
	expect_err(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-uncorrectable-errors\","
		"\"arguments\": {\"path\": \"" MEM "\", \"errors\": [{\"type\": \"internal\","
		"\"header\": [4294967296]}]}}", TMO), "Parameter 'null' expects uint32_t");
	expect_err(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-uncorrectable-errors\","
		"\"arguments\": {\"path\": \"" MEM "\", \"errors\": [{\"type\": \"internal\","
		"\"header\": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,"
		"26,27,28,29,30,31,32]}]}}", TMO), "Header must be 32 DWORD or less");
	expect_err(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-correctable-error\","
		"\"arguments\": {\"path\": \"" MEM "\", \"type\": \"physical\", \"host-id\": 2}}",
		TMO), "host-id=2 is out of range: the device has num-hosts=2");
	{
		char cmd[4096];
		int n = snprintf(cmd, sizeof(cmd), "{\"execute\": \"cxl-inject-uncorrectable-errors\","
				 "\"arguments\": {\"path\": \"" MEM "\", \"errors\": [");

		for (int i = 0; i < 33; i++)
			n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, "%s{\"type\": \"internal\", "
				      "\"header\": []}", i ? "," : "");
		snprintf(cmd + n, sizeof(cmd) - (size_t)n, "]}}");
		expect_err(qmp_client_cmd(c, cmd, TMO), "at most 32 errors can be injected at once");
	}
}

/* QEMU's error texts and checks of poison and event injection. */
static void poison_and_event_errors(struct qmp_client *c)
{
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-poison\",\"arguments\":{\"path\":\"" MEM
				  "\",\"start\":2048,\"length\":100}}", TMO),
		   "Poison injection must be in multiples of 64 bytes");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-poison\",\"arguments\":{\"path\":\"" MEM
				  "\",\"start\":2049,\"length\":64}}", TMO),
		   "Poison start address must be 64 byte aligned");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-poison\",\"arguments\":{\"path\":"
				  "\"/machine/peripheral/nope\",\"start\":0,\"length\":64}}", TMO),
		   "Unable to resolve path");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-poison\",\"arguments\":{\"path\":\"" MEM
				  "\",\"start\":2240,\"length\":128}}", TMO),
		   "Overlap with existing poisoned region not supported");
	expect_err_part(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-general-media-event\",\"arguments\":{"
		"\"path\":\"" MEM "\",\"log\":\"loud\",\"flags\":1,\"dpa\":0,\"descriptor\":0,\"type\":0,"
		"\"transaction-type\":0}}", TMO), "log");
	expect_err_part(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-memory-module-event\",\"arguments\":{"
		"\"path\":\"" MEM "\",\"log\":\"fatal\",\"flags\":1,\"type\":3,\"health-status\":3,"
		"\"media-status\":7,\"additional-status\":33,\"life-used\":30,\"temperature\":40000,"
		"\"dirty-shutdown-count\":4,\"corrected-volatile-error-count\":1,"
		"\"corrected-persistent-error-count\":1}}", TMO), "int16");
}

static void test_qemu_injection_session(void **state)
{
	struct dproc p;
	struct args a;
	struct qmp_client *c;
	uint8_t pl[4096], acc[8 + 0x18] = { 0 };

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start(&p, &a);
	/* host 0 gets the first 2 MiB of the region (DPA 0) */
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"" MEM
			  "\",\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,"
			  "\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	put32(acc, 1);
	put64(acc + 8 + 8, 2 * MiB);
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4802, acc, sizeof(acc), NULL, NULL), 0);

	inject_documented(c);
	check_ras_reset(c);
	aer_errors(c);
	poison_and_event_errors(c);
	/* the hosts read what was injected */
	check_records(c, 0);
	{
		struct cxldcd_event ev[8];  /* DPA 1000 is host 0's: host 1 gets the module record only */

		assert_int_equal(read_log(c, 1, CXLDCD_LOG_INFO, ev, 8), 1);
		assert_memory_equal(ev[0].uuid, MM_UUID, 16);
	}
	assert_int_equal(poison_list(c, 0, pl), 1);
	assert_int_equal(le64(pl + 0x20), 2048 | 2);            /* source: internal */
	assert_int_equal(pl[0x28], 4);                          /* 4 x 64 bytes */
	assert_int_equal(poison_list(c, 1, pl), 0);             /* not host 1's capacity */

	/* restart from --state: records and poison are back */
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	c = start(&p, &a);
	check_records(c, 0);
	assert_int_equal(poison_list(c, 0, pl), 1);
	assert_int_equal(le64(pl + 0x20), 2048 | 2);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

/*
 * A QEMU-style line: bus=, x-speed=, x-width=, hdm-db= and cdat= accepted and
 * ignored; lsa= sizes the Label Storage Area, which a host writes and reads.
 */
static void test_qemu_line_with_lsa_and_ignored_properties(void **state)
{
	static const char *const argv[] = {
		"-object", "memory-backend-ram,id=vmem0,share=on,size=512M",
		"-object", "memory-backend-ram,id=cxl-lsa0,share=on,size=256K",
		"-device", "cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-mem0,"
			   "num-dc-regions=2,lsa=cxl-lsa0,x-speed=32,x-width=16,hdm-db=on,cdat=none",
		NULL
	};
	struct dproc p;
	struct qmp_client *c;
	uint8_t out[4096], set[8 + 4] = { 0 }, get[8] = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = connect_dev(&p, argv);
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4000, NULL, 0, out, &n), 0);
	assert_int_equal(n, 0x45);
	assert_int_equal(out[0x38] | out[0x39] << 8 | out[0x3a] << 16, 256 * 1024);  /* LSA size */
	put32(set, 256 * 1024 - 4);
	memcpy(set + 8, "labl", 4);
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4103, set, sizeof(set), NULL, NULL), 0);
	put32(get, 256 * 1024 - 4);
	put32(get + 4, 4);
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4102, get, 8, out, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "labl", 4);
	put32(get + 4, 5);                      /* one past the end */
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4102, get, 8, out, &n), 0x02);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

/* QEMU's DCD documentation line with static capacity next to DC regions starts unchanged. */
static void test_qemu_line_with_volatile_memdev(void **state)
{
	static const char *const argv[] = {
		"-object", "memory-backend-ram,id=cxl-mem1,share=on,size=256M",
		"-object", "memory-backend-ram,id=vmem0,share=on,size=512M",
		"-object", "memory-backend-ram,id=cxl-lsa1,share=on,size=64K",
		"-device", "cxl-type3,bus=root_port13,volatile-memdev=cxl-mem1,id=cxl-mem0,"
			   "lsa=cxl-lsa1,volatile-dc-memdev=vmem0,num-dc-regions=2",
		NULL
	};
	struct dproc p;
	struct qmp_client *c;
	uint8_t out[4096], in[2] = { 2, 0 };
	size_t n;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = connect_dev(&p, argv);
	/* Identify Memory Device: total = volatile = 1 x 256 MB, LSA 64 KiB */
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4000, NULL, 0, out, &n), 0);
	assert_int_equal(le64(out + 0x10), 1);
	assert_int_equal(le64(out + 0x18), 1);
	assert_int_equal(le64(out + 0x20), 0);
	assert_int_equal(out[0x38] | out[0x39] << 8 | out[0x3a] << 16, 64 * 1024);
	/* Get Partition Info: active volatile 1 x 256 MB */
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4100, NULL, 0, out, &n), 0);
	assert_int_equal(n, 0x20);
	assert_int_equal(le64(out), 1);
	assert_int_equal(le64(out + 8), 0);
	/* Get DC Configuration: region 0 starts after the static capacity */
	assert_int_equal(qmp_cci(c, MEM, "mailbox", 0, 0x4800, in, 2, out, &n), 0);
	assert_int_equal(out[0], 2);
	assert_int_equal(le64(out + 8), 256 * MiB);
	assert_int_equal(le64(out + 8 + 0x28), 512 * MiB);
	/* static capacity is every host's: poison there is listed to it */
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-poison\",\"arguments\":{\"path\":\"" MEM
			  "\",\"start\":4096,\"length\":64}}", TMO));
	{
		uint8_t pl[4096];

		assert_int_equal(poison_list(c, 0, pl), 1);
		assert_int_equal(le64(pl + 0x20), 4096 | 2);
	}
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * The common header of a record injected with none of the r3.2 optional
 * arguments: flags as given, the maintenance/LD/head fields zero.
 */
static void check_plain_header(const struct cxldcd_event *ev, uint32_t flags)
{
	assert_int_equal(ev->flags, flags);
	assert_int_equal(ev->maint_class, 0);
	assert_int_equal(ev->maint_subclass, 0);
	assert_int_equal(ev->ld_id, 0);
	assert_int_equal(ev->head_id, 0);
}

/*
 * QEMU's r3.2 event arguments (CXLCommonEventBase's flags as uint32 and its
 * optional maint-op-class, maint-op-subclass, ld-id, head-id; the General
 * Media, DRAM and Memory Module records' new fields): a host reads each at
 * its CXL r3.2 offset (Tables 8-55, 8-57, 8-58, 8-59) with its valid bit;
 * calls without them give the r3.1 bytes; out-of-range values get QEMU's
 * errors and log nothing; all of it survives a restart with --state.
 */
/* General Media, DRAM and Memory Module events with their r3.2 arguments, into the Warning log. */
static void inject_r32_events(struct qmp_client *c)
{
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-general-media-event\", \"arguments\": {"
		"\"path\": \"" MEM "\", \"log\": \"warning\", \"flags\": 1,"
		"\"maint-op-class\": 2, \"maint-op-subclass\": 4, \"ld-id\": 4660, \"head-id\": 5,"
		"\"dpa\": 1000, \"descriptor\": 1, \"type\": 3, \"transaction-type\": 192,"
		"\"channel\": 3, \"device\": 5, \"component-id\": \"iras mem\","
		"\"is-comp-id-pldm\": true, \"cme-ev-flags\": 6, \"cme-count\": 1193046,"
		"\"sub-type\": 7}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-dram-event\", \"arguments\": {"
		"\"path\": \"" MEM "\", \"log\": \"warning\", \"flags\": 1, \"ld-id\": 3,"
		"\"dpa\": 1000, \"descriptor\": 1, \"type\": 3, \"transaction-type\": 192,"
		"\"channel\": 3, \"rank\": 17, \"nibble-mask\": 37421234, \"bank-group\": 7,"
		"\"bank\": 11, \"row\": 2, \"column\": 77, \"correction-mask\": [33, 44, 55, 66],"
		"\"component-id\": \"dimm7\", \"sub-channel\": 9, \"cme-ev-flags\": 1,"
		"\"cvme-count\": 258, \"sub-type\": 3}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-memory-module-event\", \"arguments\": {"
		"\"path\": \"" MEM "\", \"log\": \"warning\", \"flags\": 1, \"head-id\": 1,"
		"\"maint-op-class\": 1,"
		"\"type\": 3, \"health-status\": 3, \"media-status\": 7, \"additional-status\": 33,"
		"\"life-used\": 30, \"temperature\": -15, \"dirty-shutdown-count\": 4,"
		"\"corrected-volatile-error-count\": 3233,"
		"\"corrected-persistent-error-count\": 1300,"
		"\"component-id\": \"module0\", \"is-comp-id-pldm\": true, \"sub-type\": 2}}", TMO));
}

/* The same calls without the r3.2 arguments (QEMU's 8.1 examples), then flags above 24 bits. */
static void inject_r31_events(struct qmp_client *c)
{
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-general-media-event\", \"arguments\": {"
		"\"path\": \"" MEM "\", \"log\": \"warning\", \"flags\": 1,"
		"\"dpa\": 1000, \"descriptor\": 1, \"type\": 3, \"transaction-type\": 192,"
		"\"channel\": 3, \"device\": 5, \"component-id\": \"iras mem\"}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-dram-event\", \"arguments\": {"
		"\"path\": \"" MEM "\", \"log\": \"warning\", \"flags\": 1,"
		"\"dpa\": 1000, \"descriptor\": 1, \"type\": 3, \"transaction-type\": 192,"
		"\"channel\": 3, \"rank\": 17, \"nibble-mask\": 37421234, \"bank-group\": 7,"
		"\"bank\": 11, \"row\": 2, \"column\": 77, \"correction-mask\": [33, 44, 55, 66]}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-memory-module-event\", \"arguments\": {"
		"\"path\": \"" MEM "\", \"log\": \"warning\", \"flags\": 1,"
		"\"type\": 3, \"health-status\": 3, \"media-status\": 7, \"additional-status\": 33,"
		"\"life-used\": 30, \"temperature\": -15, \"dirty-shutdown-count\": 4,"
		"\"corrected-volatile-error-count\": 3233,"
		"\"corrected-persistent-error-count\": 1300}}", TMO));
	/* flags is uint32 now; the record keeps its 24 bits, as QEMU stores it */
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-memory-module-event\", \"arguments\": {"
		"\"path\": \"" MEM "\", \"log\": \"warning\", \"flags\": 4278190089,"
		"\"type\": 3, \"health-status\": 3, \"media-status\": 7, \"additional-status\": 33,"
		"\"life-used\": 30, \"temperature\": -15, \"dirty-shutdown-count\": 4,"
		"\"corrected-volatile-error-count\": 3233,"
		"\"corrected-persistent-error-count\": 1300}}", TMO));
}

/* Out of range: QEMU's texts, and nothing logged. */
static void r32_range_errors(struct qmp_client *c)
{
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-general-media-event\",\"arguments\":{"
		"\"path\":\"" MEM "\",\"log\":\"warning\",\"flags\":4294967296,\"dpa\":0,"
		"\"descriptor\":0,\"type\":0,\"transaction-type\":0}}", TMO),
		"Parameter 'flags' expects uint32_t");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-general-media-event\",\"arguments\":{"
		"\"path\":\"" MEM "\",\"log\":\"warning\",\"flags\":1,\"ld-id\":65536,\"dpa\":0,"
		"\"descriptor\":0,\"type\":0,\"transaction-type\":0}}", TMO),
		"Parameter 'ld-id' expects uint16_t");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-dram-event\",\"arguments\":{"
		"\"path\":\"" MEM "\",\"log\":\"warning\",\"flags\":1,\"head-id\":256,\"dpa\":0,"
		"\"descriptor\":0,\"type\":0,\"transaction-type\":0}}", TMO),
		"Parameter 'head-id' expects uint8_t");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-dram-event\",\"arguments\":{"
		"\"path\":\"" MEM "\",\"log\":\"warning\",\"flags\":1,\"cvme-count\":4294967296,"
		"\"dpa\":0,\"descriptor\":0,\"type\":0,\"transaction-type\":0}}", TMO),
		"Parameter 'cvme-count' expects uint32_t");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-memory-module-event\",\"arguments\":{"
		"\"path\":\"" MEM "\",\"log\":\"warning\",\"flags\":1,\"maint-op-class\":-1,"
		"\"type\":3,\"health-status\":3,\"media-status\":7,\"additional-status\":33,"
		"\"life-used\":30,\"temperature\":1,\"dirty-shutdown-count\":4,"
		"\"corrected-volatile-error-count\":1,\"corrected-persistent-error-count\":1}}", TMO),
		"Parameter 'maint-op-class' expects uint8_t");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-general-media-event\",\"arguments\":{"
		"\"path\":\"" MEM "\",\"log\":\"warning\",\"flags\":1,\"is-comp-id-pldm\":1,"
		"\"dpa\":0,\"descriptor\":0,\"type\":0,\"transaction-type\":0}}", TMO),
		"Invalid parameter type for 'is-comp-id-pldm', expected: boolean");
}

/* The records of inject_r32_events() (@ev[0..2]): each r3.2 field at its offset, with its valid bit. */
static void check_r32_records(const struct cxldcd_event *ev)
{
	const uint8_t *d;

	/* General Media with every r3.2 argument */
	d = ev[0].data;
	assert_memory_equal(ev[0].uuid, GM_UUID, 16);
	assert_int_equal(ev[0].flags, 1 | 1u << 6 | 1u << 7 | 1u << 8); /* + 3 valid bits */
	assert_int_equal(ev[0].maint_class, 2);                 /* 0x20 */
	assert_int_equal(ev[0].maint_subclass, 4);              /* 0x21 */
	assert_int_equal(ev[0].ld_id, 4660);                    /* 0x22 */
	assert_int_equal(ev[0].head_id, 5);                     /* 0x24 */
	assert_int_equal(d[0x08], 1 | 2);                       /* descriptor + threshold event */
	assert_int_equal(d[0x0b] | d[0x0c] << 8, 0x1d);         /* channel, device, id, PLDM */
	assert_memory_equal(d + 0x12, "iras mem", 9);           /* 0x42 */
	assert_int_equal(d[0x22], 6);                           /* 0x52 CME event flags */
	assert_int_equal(d[0x23] | d[0x24] << 8 | d[0x25] << 16, 1193046); /* 0x53 */
	assert_int_equal(d[0x26], 7);                           /* 0x56 sub-type */
	assert_true(all_zero(d + 0x27, 0x29));
	/* DRAM */
	d = ev[1].data;
	assert_memory_equal(ev[1].uuid, DRAM_UUID, 16);
	assert_int_equal(ev[1].flags, 1 | 1u << 7);
	assert_int_equal(ev[1].ld_id, 3);
	assert_int_equal(ev[1].maint_subclass, 0);
	assert_int_equal(ev[1].head_id, 0);
	assert_int_equal(d[0x08], 1 | 2);
	assert_int_equal(d[0x0b] | d[0x0c] << 8, 0x5ff);        /* + component id, sub-channel */
	assert_int_equal(le64(d + 0x19 + 24), 66);
	assert_memory_equal(d + 0x39, "dimm7", 6);              /* 0x69 component id */
	assert_int_equal(d[0x49], 9);                           /* 0x79 sub-channel */
	assert_int_equal(d[0x4a], 1);                           /* 0x7A CME event flags */
	assert_int_equal(d[0x4b] | d[0x4c] << 8 | d[0x4d] << 16, 258); /* 0x7B CVME count */
	assert_int_equal(d[0x4e], 3);                           /* 0x7E sub-type */
	assert_int_equal(d[0x4f], 0);
	/* Memory Module */
	d = ev[2].data;
	assert_memory_equal(ev[2].uuid, MM_UUID, 16);
	assert_int_equal(ev[2].flags, 1 | 1u << 8);
	assert_int_equal(ev[2].head_id, 1);
	assert_int_equal(ev[2].maint_class, 1);                 /* no valid bit of its own */
	assert_int_equal(d[0x0b] | d[0x0c] << 8, 3233);
	assert_int_equal(d[0x13] | d[0x14] << 8, 0x3);          /* 0x43: component id, PLDM */
	assert_memory_equal(d + 0x15, "module0", 8);            /* 0x45 */
	assert_int_equal(d[0x25], 2);                           /* 0x55 sub-type */
	assert_true(all_zero(d + 0x26, 0x2a));
}

/* The records of inject_r31_events() (@ev[3..6]): r3.1 bytes, every new one zero. */
static void check_r31_records(const struct cxldcd_event *ev)
{
	const uint8_t *d;

	/* without the r3.2 arguments: the r3.1 records, all new bytes zero */
	for (int i = 3; i < 6; i++)
		check_plain_header(&ev[i], 1);
	d = ev[3].data;
	assert_int_equal(d[0x08], 1);
	assert_int_equal(d[0x0b] | d[0x0c] << 8, 0x0d);
	assert_memory_equal(d + 0x12, "iras mem", 9);
	assert_true(all_zero(d + 0x22, 0x2e));
	d = ev[4].data;
	assert_int_equal(d[0x08], 1);
	assert_int_equal(d[0x0b] | d[0x0c] << 8, 0xff);
	assert_int_equal(le64(d + 0x19 + 24), 66);
	assert_true(all_zero(d + 0x39, 0x17));
	d = ev[5].data;
	assert_int_equal(d[0x0b] | d[0x0c] << 8, 3233);
	assert_true(all_zero(d + 0x13, 0x3d));
	check_plain_header(&ev[6], 9);                          /* 0xff000009: 24 bits kept */
	assert_memory_equal(ev[6].data, ev[5].data, sizeof(ev[5].data));
}

static void test_r32_event_arguments(void **state)
{
	struct dproc p;
	struct args a;
	struct qmp_client *c;
	struct cxldcd_event ev[8];

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start(&p, &a);
	inject_r32_events(c);
	inject_r31_events(c);
	r32_range_errors(c);
	assert_int_equal(read_log(c, 0, CXLDCD_LOG_WARN, ev, 8), 7);
	check_r32_records(ev);
	check_r31_records(ev);
	/* restart from --state: the r3.2 header fields and record bytes are back */
	{
		struct cxldcd_event again[8];

		qmp_client_free(c);
		kill(p.pid, SIGTERM);
		assert_int_equal(dproc_wait_exit(&p, TMO), 0);
		c = start(&p, &a);
		assert_int_equal(read_log(c, 0, CXLDCD_LOG_WARN, again, 8), 7);
		for (int i = 0; i < 7; i++) {
			assert_int_equal(again[i].flags, ev[i].flags);
			assert_int_equal(again[i].maint_class, ev[i].maint_class);
			assert_int_equal(again[i].maint_subclass, ev[i].maint_subclass);
			assert_int_equal(again[i].ld_id, ev[i].ld_id);
			assert_int_equal(again[i].head_id, ev[i].head_id);
			assert_memory_equal(again[i].data, ev[i].data, sizeof(ev[i].data));
		}
	}
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

/*
 * QEMU's resolution texts (hw/mem/cxl_type3.c, qmp_cxl_inject_*): a path
 * to no object is "Unable to resolve path"; a path to an object that is
 * not a cxl-type3, here the containers qom-list shows, "Path does not
 * point to a CXL type 3 device".  An argument's type is checked before the
 * path, as QEMU's visitor does.  Nothing is logged, poisoned or recorded.
 */
#define CMD_AT "{\"execute\": \"%s\", \"arguments\": {\"path\": \"%s\", %s}}"

static void test_qemu_path_and_argument_texts(void **state)
{
	static const char *const containers[] = { "/", "/machine", "/machine/", "/machine/peripheral",
						  "//machine//peripheral/", "machine", "peripheral",
						  "machine/peripheral" };
	static const char *const nowhere[] = { "", "/nosuch", "/machine/nosuch", "nosuch",
					       "/peripheral", "/machine/peripheral/nosuch",
					       "peripheral/machine" };
	/* each command: its name, then its arguments after "path" */
	static const char *const cmds[][2] = {
		{ "cxl-inject-poison", "\"start\": 2048, \"length\": 256" },
		{ "cxl-inject-general-media-event", "\"log\": \"informational\", \"flags\": 1,"
		  " \"dpa\": 1000, \"descriptor\": 3, \"type\": 3, \"transaction-type\": 192" },
		{ "cxl-inject-dram-event", "\"log\": \"informational\", \"flags\": 1,"
		  " \"dpa\": 1000, \"descriptor\": 3, \"type\": 3, \"transaction-type\": 192" },
		{ "cxl-inject-memory-module-event", "\"log\": \"informational\", \"flags\": 1,"
		  " \"type\": 3, \"health-status\": 3, \"media-status\": 7, \"additional-status\": 33,"
		  " \"life-used\": 30, \"temperature\": -15, \"dirty-shutdown-count\": 1,"
		  " \"corrected-volatile-error-count\": 2, \"corrected-persistent-error-count\": 3" },
		{ "cxl-inject-uncorrectable-errors", "\"errors\": [{\"type\": \"internal\", \"header\": [1]}]" },
		{ "cxl-inject-correctable-error", "\"type\": \"physical\"" },
	};
	struct dproc p;
	struct args a;
	struct qmp_client *c;
	struct cxldcd_event ev[4];
	uint8_t out[4096];
	json_t *r;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start(&p, &a);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		for (size_t j = 0; j < sizeof(containers) / sizeof(containers[0]); j++)
			expect_err(qmp_client_cmdf(c, TMO, CMD_AT, cmds[i][0], containers[j], cmds[i][1]),
				   "Path does not point to a CXL type 3 device");
		for (size_t j = 0; j < sizeof(nowhere) / sizeof(nowhere[0]); j++)
			expect_err(qmp_client_cmdf(c, TMO, CMD_AT, cmds[i][0], nowhere[j], cmds[i][1]),
				   "Unable to resolve path");
	}
	/* QEMU's order: length and alignment before the path. */
	expect_err(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-poison\", \"arguments\": {"
		"\"path\": \"/machine\", \"start\": 2048, \"length\": 100}}", TMO),
		"Poison injection must be in multiples of 64 bytes");
	/* int16 is checked by the visitor, before the path. */
	expect_err(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-memory-module-event\", \"arguments\": {"
		"\"path\": \"nosuch\", \"log\": \"informational\", \"flags\": 1, \"type\": 3,"
		" \"health-status\": 3, \"media-status\": 7, \"additional-status\": 33, \"life-used\": 30,"
		" \"temperature\": 40000, \"dirty-shutdown-count\": 1, \"corrected-volatile-error-count\": 2,"
		" \"corrected-persistent-error-count\": 3}}", TMO),
		"Parameter 'temperature' expects int16_t");
	/* QEMU accepts a length of 0; it poisons nothing. */
	ok(qmp_client_cmd(c, "{\"execute\": \"cxl-inject-poison\", \"arguments\": {"
		"\"path\": \"" MEM "\", \"start\": 2048, \"length\": 0}}", TMO));
	/* Nothing happened: no record, no poison, no RAS status, on either host. */
	for (int h = 0; h < 2; h++) {
		assert_int_equal(read_log(c, h, CXLDCD_LOG_INFO, ev, 4), 0);
		assert_int_equal(poison_list(c, h, out), 0);
	}
	r = expect_ok(qmp_client_cmd(c, "{\"execute\": \"query-cxl-ras\", \"arguments\": {\"path\": \"" MEM "\"}}", TMO));
	for (size_t h = 0; h < 2; h++) {
		json_t *regs = json_array_get(ret_of(r), h);

		assert_int_equal(json_integer_value(json_object_get(regs, "uncorrectable-status")), 0);
		assert_int_equal(json_integer_value(json_object_get(regs, "correctable-status")), 0);
	}
	json_decref(r);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_injection_session),
		cmocka_unit_test(test_r32_event_arguments),
		cmocka_unit_test(test_qemu_path_and_argument_texts),
		cmocka_unit_test(test_qemu_line_with_lsa_and_ignored_properties),
		cmocka_unit_test(test_qemu_line_with_volatile_memdev),
	};

	return cmocka_run_group_tests(tests, NULL, dproc_reap_all);
}
