/* SPDX-License-Identifier: MIT */
/*
 * test-qemu-qmp.c - integration: the real cxldcd, started with a QEMU-style
 * command line, sent exactly what QEMU's Python QMP library (qemu.qmp:
 * QMPClient, the legacy QEMUMonitorProtocol and qmp-shell) writes, byte for
 * byte, and read the way it reads (one JSON object per line, replies routed
 * by "id", events between them).  Written from watching that library talk
 * to the daemon (docs/qmp.md, "Using QEMU's Python QMP library"); none of
 * its code is here or needed.
 *
 * What the library does on the wire:
 *  - reads the greeting, then sends qmp_capabilities with no id and an
 *    "arguments" object: {"enable": ["oob"]} when the greeting offers oob,
 *    {} when it does not; it requires "return" in the next line;
 *  - QMPClient.execute(): compact JSON, no newline, "id" last and a string
 *    "__qmp#NNNNN"; asyncio sends several before it reads any reply;
 *  - the legacy cmd(): no id unless given; qmp-shell: json.dumps() with its
 *    default separators (", ", ": "), "arguments" always present, no id;
 *  - an error reply must carry the id of its request, or the library drops
 *    the connection as a server parse failure.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev-util.h"

#define DCD "/machine/peripheral/cxl-dcd0"

/* QEMU's DCD example command line (docs/cmdline.md); -qmp in QEMU's old ",nowait" form. */
static struct qmp_client *start_qemu_style(struct dproc *p, char *peer, size_t cap, bool state)
{
	char qmp[200];
	const char *args[32] = {
		"-M", "q35,cxl=on",
		"-object", "memory-backend-ram,id=vmem0,share=on,size=4G",
		"-device", "pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1",
		"-device", "cxl-rp,port=13,bus=cxl.1,id=root_port13,chassis=0,slot=2",
		"-device", "cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=2",
		"--fm", "none", "--host-socket", "none", "--mctp-cci", "none",
	};
	size_t n = 16;
	struct qmp_client *c;

	assert_int_equal(dproc_init(p), 0);
	snprintf(peer, cap, "%s/peer.sock", p->dir);
	snprintf(qmp, sizeof(qmp), "unix:%s,server,nowait", peer);
	args[n++] = "-qmp";
	args[n++] = qmp;
	if (state) {
		args[n++] = "--state";
		args[n++] = p->state;
	}
	args[n] = NULL;
	assert_int_equal(dproc_start(p, args), 0);
	if (qmp_client_connect_unix(peer, TMO, &c))
		fail_msg("daemon did not start: %s", dproc_log(p));
	return c;
}

static void send_text(struct qmp_client *c, const char *text)
{
	assert_int_equal(qmp_client_send_raw(c, text, strlen(text)), 0);
}

/* The next line, which must be one JSON object (what the library's readline + json.loads take). */
static json_t *next(struct qmp_client *c)
{
	json_t *j = qmp_client_recv(c, TMO);

	if (!j || !json_is_object(j))
		fail_msg("no JSON object line from the daemon");
	return j;
}

/* The greeting as qemu.qmp's Greeting model checks it, then qmp_capabilities as it sends it. */
static void negotiate_as_qemu_qmp(struct qmp_client *c, bool with_oob)
{
	json_t *g = next(c), *qmp = json_object_get(g, "QMP"), *ver, *caps, *r;
	bool offers_oob = false;
	size_t i;
	json_t *v;

	assert_true(json_is_object(qmp));
	ver = json_object_get(qmp, "version");
	assert_true(json_is_object(ver));
	assert_true(json_is_integer(json_object_get(json_object_get(ver, "qemu"), "major")));
	assert_true(json_is_integer(json_object_get(json_object_get(ver, "qemu"), "minor")));
	assert_true(json_is_integer(json_object_get(json_object_get(ver, "qemu"), "micro")));
	assert_true(json_is_string(json_object_get(ver, "package")));
	caps = json_object_get(qmp, "capabilities");
	assert_true(json_is_array(caps));
	json_array_foreach(caps, i, v)
		offers_oob |= json_is_string(v) && !strcmp(json_string_value(v), "oob");
	assert_true(offers_oob);
	json_decref(g);
	send_text(c, with_oob ? "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}"
			      : "{\"execute\":\"qmp_capabilities\",\"arguments\":{}}");
	r = next(c);
	assert_true(json_is_object(json_object_get(r, "return")));
	assert_null(json_object_get(r, "error"));
	assert_null(json_object_get(r, "id"));
	json_decref(r);
}

/* A reply that must be the answer to @id_json (compared as JSON, any type; NULL: no id). */
static json_t *reply_to(struct qmp_client *c, const char *id_json)
{
	json_t *r = next(c), *want = id_json ? json_loads(id_json, JSON_DECODE_ANY, NULL) : NULL;

	assert_null(json_object_get(r, "event"));
	if (!id_json)
		assert_null(json_object_get(r, "id"));
	else if (!want || !json_equal(json_object_get(r, "id"), want))
		fail_msg("reply %s is not the answer to id %s", json_dumps(r, JSON_COMPACT), id_json);
	json_decref(want);
	return r;
}

static void reply_ok(struct qmp_client *c, const char *id_json)
{
	json_t *r = reply_to(c, id_json);

	if (!json_object_get(r, "return"))
		fail_msg("id %s: error %s", id_json, qmp_client_err_desc(r));
	json_decref(r);
}

/* An error reply as qemu.qmp's ErrorResponse model checks it: "class" and "desc" strings. */
static void reply_err(struct qmp_client *c, const char *id_json, const char *cls, const char *desc)
{
	json_t *r = reply_to(c, id_json);

	assert_string_equal(qmp_client_err_class(r), cls);
	assert_string_equal(qmp_client_err_desc(r), desc);
	json_decref(r);
}

/*
 * The greeting and both negotiations qemu.qmp can send: with oob (we offer
 * it), "exec-oob" is then accepted; with an empty "arguments" (a greeting
 * without oob, or QMPClient with negotiate off and a manual
 * qmp_capabilities), it is refused as QEMU refuses it.
 */
static void test_greeting_and_negotiation_as_qemu_qmp_sends_them(void **state)
{
	struct dproc p;
	struct qmp_client *c, *c2;
	char peer[200];

	(void)state;
	c = start_qemu_style(&p, peer, sizeof(peer), false);
	negotiate_as_qemu_qmp(c, true);
	send_text(c, "{\"exec-oob\":\"query-version\",\"id\":\"__qmp#00000\"}");
	reply_ok(c, "\"__qmp#00000\"");
	assert_int_equal(qmp_client_connect_unix(peer, TMO, &c2), 0);
	negotiate_as_qemu_qmp(c2, false);
	send_text(c2, "{\"exec-oob\":\"query-version\",\"id\":\"__qmp#00000\"}");
	reply_err(c2, "\"__qmp#00000\"", "GenericError", "QMP input member 'exec-oob' is unexpected");
	send_text(c2, "{\"execute\":\"query-version\",\"id\":\"__qmp#00001\"}");
	reply_ok(c2, "\"__qmp#00001\"");
	qmp_client_free(c2);
	qmp_client_free(c);
}

/*
 * QMPClient under asyncio: several executes written back to back before any
 * reply is read, ids of every JSON type (the library's own are strings, the
 * raw wire takes any), the host's accept making an event that arrives
 * between two replies, and replies in request order.  With --state the add
 * is answered after its journal commit and the accept waits behind it.
 */
static void pipelined(bool state)
{
	static const char burst[] =
		"{\"execute\":\"query-version\",\"id\":\"__qmp#00001\"}"
		"{\"execute\":\"query-commands\",\"id\":\"__qmp#00002\"}"
		"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"" DCD "\",\"host-id\":0,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[{\"offset\":0,\"len\":134217728},"
		"{\"offset\":134217728,\"len\":134217728}]},\"id\":\"__qmp#00003\"}"
		/* the host accepts both extents: Add DC Response (4802h) */
		"{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"" DCD "\",\"cci\":\"mailbox\","
		"\"host-id\":0,\"opcode\":18434,\"payload\":\"0200000000000000"
		"000000000000000000000008000000000000000000000000"
		"000000080000000000000008000000000000000000000000\"},\"id\":\"__qmp#00004\"}"
		"{\"execute\":\"nosuch\",\"id\":5}"
		"{\"execute\":\"query-version\",\"id\":-7.5}"
		"{\"execute\":\"query-version\",\"id\":{\"a\":[1,\"}\"]}}"
		"{\"execute\":\"query-version\",\"id\":[null,true]}"
		"{\"execute\":\"query-version\"}";
	static const char *const ids[] = {
		"\"__qmp#00001\"", "\"__qmp#00002\"", "\"__qmp#00003\"", "\"__qmp#00004\"",
		"5", "-7.5", "{\"a\":[1,\"}\"]}", "[null,true]",
	};
	struct dproc p;
	struct qmp_client *c;
	char peer[200];
	int replies = 0, event_after = -1;
	bool found = false;

	c = start_qemu_style(&p, peer, sizeof(peer), state);
	negotiate_as_qemu_qmp(c, true);
	send_text(c, burst);
	while (replies < 9) {
		json_t *r = next(c), *want;
		const char *ev = json_string_value(json_object_get(r, "event"));
		size_t i;
		json_t *v;

		if (ev) {
			assert_string_equal(ev, "CXL_DC_CAPACITY_ACCEPTED");
			assert_true(json_is_object(json_object_get(r, "timestamp")));
			assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "data"), "accepted")), 2);
			event_after = replies;
			json_decref(r);
			continue;
		}
		if (replies == 8) {
			/* the legacy cmd() without an id: the reply has none */
			assert_null(json_object_get(r, "id"));
			assert_non_null(json_object_get(r, "return"));
			json_decref(r);
			replies++;
			continue;
		}
		want = json_loads(ids[replies], JSON_DECODE_ANY, NULL);
		if (!json_equal(json_object_get(r, "id"), want))
			fail_msg("reply %d: %s, want id %s", replies, json_dumps(r, JSON_COMPACT), ids[replies]);
		json_decref(want);
		if (replies == 4) {
			assert_string_equal(qmp_client_err_class(r), "CommandNotFound");
			assert_string_equal(qmp_client_err_desc(r), "The command nosuch has not been found");
		} else if (!json_object_get(r, "return")) {
			fail_msg("reply %d: %s", replies, qmp_client_err_desc(r));
		}
		if (replies == 1)
			json_array_foreach(json_object_get(r, "return"), i, v)
				found |= !strcmp(json_string_value(json_object_get(v, "name")) ?: "", "qom-get");
		if (replies == 3)
			assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "return"),
									  "return-code")), 0);
		json_decref(r);
		replies++;
	}
	assert_true(found);
	/* caused by the accept (request 4): after the add's reply, before the end */
	assert_true(event_after >= 3);
	qmp_client_free(c);
}

static void test_pipelined_executes_with_any_id_and_events_between(void **state)
{
	(void)state;
	pipelined(false);
}

static void test_pipelined_executes_journaled(void **state)
{
	(void)state;
	pipelined(true);
}

/*
 * qmp-shell: "cxl-add-dynamic-capacity path=... extents=[{...},{...}]" is
 * sent as json.dumps() writes it, with spaces after ',' and ':', always an
 * "arguments" object and no id; at start it sends the legacy
 * {"execute": "query-commands"} to fill its completion.
 */
static void test_qmp_shell_command_forms(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	char peer[200];
	json_t *r, *pend;

	(void)state;
	c = start_qemu_style(&p, peer, sizeof(peer), false);
	negotiate_as_qemu_qmp(c, true);
	send_text(c, "{\"execute\": \"query-commands\"}");
	reply_ok(c, NULL);
	send_text(c, "{\"execute\": \"query-version\", \"arguments\": {}}");
	reply_ok(c, NULL);
	send_text(c, "{\"execute\": \"cxl-add-dynamic-capacity\", \"arguments\": {\"path\": \"" DCD "\", "
		     "\"host-id\": 0, \"selection-policy\": \"prescriptive\", \"region\": 0, \"extents\": "
		     "[{\"offset\": 0, \"len\": 134217728}, {\"offset\": 134217728, \"len\": 134217728}]}}");
	reply_ok(c, NULL);
	/* qmp-shell: "cxl-add-dynamic-capacity path=cxl-dcd0 ... extents=[{'offset':0,'len':0}]" */
	send_text(c, "{\"execute\": \"cxl-add-dynamic-capacity\", \"arguments\": {\"path\": \"cxl-dcd0\", "
		     "\"host-id\": 0, \"selection-policy\": \"prescriptive\", \"region\": 1, \"extents\": "
		     "[{\"offset\": 0, \"len\": 0}]}}");
	reply_err(c, NULL, "GenericError", "extent with 0 length is not allowed");
	send_text(c, "{\"execute\": \"query-cxl-dynamic-capacity\", \"arguments\": {\"path\": \"cxl-dcd0\", "
		     "\"host-id\": 0}}");
	r = reply_to(c, NULL);
	pend = json_object_get(json_array_get(json_object_get(json_object_get(r, "return"), "hosts"), 0), "pending");
	assert_int_equal(json_array_size(pend), 1);
	assert_int_equal(json_array_size(json_object_get(json_array_get(pend, 0), "extents")), 2);
	json_decref(r);
	qmp_client_free(c);
}

/*
 * qom-get reads every property qom-list lists (QEMU's qom-get and
 * qom-tree tools walk the tree so).  Before: CommandNotFound.
 */
static void test_qom_get_reads_what_qom_list_lists(void **state)
{
	static const char *const want[][3] = {
		{ "/", "type", "\"container\"" },
		{ "/", "machine", "\"/machine\"" },
		{ "/machine", "peripheral", "\"/machine/peripheral\"" },
		{ "/machine/peripheral", "cxl-dcd0", "\"" DCD "\"" },
		{ DCD, "type", "\"cxl-type3\"" },
		{ DCD, "num-dc-regions", "2" },
		{ DCD, "num-hosts", "1" },
		{ DCD, "sn", "0" },
		{ DCD, "volatile-dc-memdev", "\"/objects/vmem0\"" },
	};
	struct dproc p;
	struct qmp_client *c;
	char peer[200];
	size_t listed = 0;

	(void)state;
	c = start_qemu_style(&p, peer, sizeof(peer), false);
	negotiate_as_qemu_qmp(c, true);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *r, *l, *v, *exp = json_loads(want[i][2], JSON_DECODE_ANY, NULL);
		size_t k;

		r = qmp_client_cmdf(c, TMO, "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"%s\",\"property\":\"%s\"},\"id\":\"g%zu\"}",
				    want[i][0], want[i][1], i);
		assert_non_null(r);
		if (!json_equal(json_object_get(r, "return"), exp))
			fail_msg("qom-get %s %s: %s", want[i][0], want[i][1], json_dumps(r, JSON_COMPACT));
		json_decref(exp);
		json_decref(r);
		/* and qom-list of that path lists the property */
		l = qmp_client_cmdf(c, TMO, "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"%s\"}}", want[i][0]);
		json_array_foreach(json_object_get(l, "return"), k, v)
			listed += !strcmp(json_string_value(json_object_get(v, "name")), want[i][1]);
		json_decref(l);
	}
	assert_int_equal(listed, sizeof(want) / sizeof(want[0]));
	send_text(c, "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"" DCD "\",\"property\":\"bogus\"},\"id\":\"__qmp#00001\"}");
	reply_err(c, "\"__qmp#00001\"", "GenericError", "Property 'cxl-type3.bogus' not found");
	send_text(c, "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine\",\"property\":\"cxl-dcd0\"},\"id\":\"__qmp#00002\"}");
	reply_err(c, "\"__qmp#00002\"", "GenericError", "Property 'container.cxl-dcd0' not found");
	send_text(c, "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/nosuch\",\"property\":\"type\"},\"id\":\"__qmp#00003\"}");
	reply_err(c, "\"__qmp#00003\"", "DeviceNotFound", "Device '/machine/nosuch' not found");
	qmp_client_free(c);
}

/*
 * What the library can send that we refuse as a syntax error (over 1 MiB)
 * is answered with the request's id, so it is an ExecuteError for that
 * execute and the connection goes on.  Before: no id, and the library
 * dropped the connection (ServerParseError).  An offset past 2^63-1 is no
 * syntax error: it is a uint64, as QEMU reads it, and gets QEMU's answer.
 */
static void test_refused_syntax_names_the_request(void **state)
{
	size_t n = 40000, len = 0, cap = 64 * n;
	char *big = malloc(cap);
	struct dproc p;
	struct qmp_client *c;
	char peer[200];

	(void)state;
	assert_non_null(big);
	c = start_qemu_style(&p, peer, sizeof(peer), false);
	negotiate_as_qemu_qmp(c, true);
	len += (size_t)snprintf(big, cap, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"" DCD "\","
				"\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(big + len, cap - len, "%s{\"offset\":%zu,\"len\":2097152}", i ? "," : "",
					i * 4194304);
	snprintf(big + len, cap - len, "]},\"id\":\"__qmp#00007\"}");
	assert_true(strlen(big) > (1u << 20));
	send_text(c, big);
	reply_err(c, "\"__qmp#00007\"", "GenericError", "JSON parse error, message exceeds 1048576 bytes");
	send_text(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"" DCD "\",\"host-id\":0,"
		     "\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[{\"offset\":18446744073709547520,"
		     "\"len\":4096}]},\"id\":\"__qmp#00008\"}");
	{
		json_t *r = reply_to(c, "\"__qmp#00008\"");

		/* read as QEMU reads it (uint64), checked as QEMU checks it; was a syntax error */
		assert_string_equal(qmp_client_err_desc(r), "dpa or len is not aligned to region block size");
		json_decref(r);
	}
	send_text(c, "{\"execute\":\"query-version\",\"id\":\"__qmp#00009\"}");
	reply_ok(c, "\"__qmp#00009\"");
	free(big);
	qmp_client_free(c);
}

/* The next line on @fd as it was sent, CRLF cut off (nothing buffered ahead of it). */
static void raw_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < 2 || buf[n - 2] != '\r' || buf[n - 1] != '\n') {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		assert_true(n + 1 < cap);
		assert_int_equal(poll(&pf, 1, TMO), 1);
		assert_int_equal(read(fd, buf + n, 1), 1);
		n++;
	}
	buf[n - 2] = 0;
}

/*
 * qom-get of an sn above 2^63-1 (a -device option QEMU takes up to 2^64-1)
 * answers the number, as QEMU writes a uint64, and an id of 2^63 comes back
 * as sent.  Before: "Property 'cxl-type3.sn' is 18446744073709551615, above
 * the 2^63-1 this daemon's JSON can carry", and the request a syntax error.
 */
static void test_qom_get_of_an_sn_above_int64_max(void **state)
{
	static const char *const args[] = {
		"-object", "memory-backend-ram,id=vmem0,size=256M",
		"-device", "cxl-type3,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=1,"
			   "sn=18446744073709551615",
		"--fm", "none", "--host-socket", "none", "--mctp-cci", "none",
		NULL
	};
	struct dproc p;
	struct qmp_client *c = start_dev(&p, args);
	char line[256];

	(void)state;
	send_text(c, "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"" DCD "\",\"property\":\"sn\"},"
		     "\"id\":9223372036854775808}");
	raw_line(qmp_client_fd(c), line, sizeof(line));
	assert_string_equal(line, "{\"return\": 18446744073709551615, \"id\": 9223372036854775808}");
	qmp_client_free(c);
}

/* Append to @buf (at *len, @cap bytes): printf. */
static void cat(char *buf, size_t *len, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void cat(char *buf, size_t *len, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < cap - *len);
	*len += (size_t)n;
}

/* An event of @name whose extents list is capped; return its total (listed + omitted). */
static long long capped_event(struct qmp_client *c, const char *name, size_t listed, long long omitted)
{
	json_t *e = qmp_client_event(c, name, TMO), *d;
	char *text;
	long long total;

	if (!e)
		fail_msg("no %s", name);
	d = json_object_get(e, "data");
	assert_int_equal(json_array_size(json_object_get(d, "extents")), listed);
	assert_int_equal(json_integer_value(json_object_get(d, "extents-omitted")), omitted);
	/* the line as the daemon writes it (jansson, ", " and ": ") */
	text = json_dumps(e, JSON_ENSURE_ASCII);
	assert_true(strlen(text) < 1536 * 1024);
	free(text);
	total = (long long)json_array_size(json_object_get(d, "extents")) +
		json_integer_value(json_object_get(d, "extents-omitted"));
	json_decref(e);
	return total;
}

/*
 * An event is a line every client must read whole: qemu.qmp reads at most
 * 10 MiB, the daemon lets a connection leave at most 16 MiB unread.  A
 * forced tag-based release listed every extent of the tag: 160,000 made one
 * event of 20.8 MB, qemu.qmp failed on it (DeserializationError) and the
 * daemon dropped every client.  Events now list 8192 extents at most and
 * count the rest in "extents-omitted".  Before: 9000 and 27,000 listed.
 */
static void test_events_list_at_most_8192_extents(void **state)
{
	enum { PER = 9000, ROUNDS = 3 };
	static const char *const args[] = {
		"-object", "memory-backend-memfd,id=tm0,size=1G,tag=5be13bce-ae34-4a77-b6c3-16df975fcf1a",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,dc-block-size=4096,"
			   "max-extents=100000,event-log-depth=65535,mbox-payload-size=1M",
		"--fm", "none", "--host-socket", "none", "--mctp-cci", "none",
		NULL
	};
	size_t cap = 64 * PER + 4096, len;
	char *req = malloc(cap);
	struct dproc p;
	struct qmp_client *c;

	(void)state;
	assert_non_null(req);
	c = start_dev(&p, args);
	for (int k = 0; k < ROUNDS; k++) {
		len = 0;
		cat(req, &len, cap, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
		    "\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,"
		    "\"tag\":\"5be13bce-ae34-4a77-b6c3-16df975fcf1a\",\"extents\":[");
		for (int i = 0; i < PER; i++)
			cat(req, &len, cap, "%s{\"offset\":%d,\"len\":4096}", i ? "," : "", (k * PER + i) * 8192);
		cat(req, &len, cap, "]}}");
		ok(qmp_client_cmd(c, req, TMO));
		/* the host accepts all of it: 4802h, one range per extent */
		len = 0;
		cat(req, &len, cap, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"mailbox\","
		    "\"host-id\":0,\"opcode\":18434,\"payload\":\"%02x%02x000000000000", PER & 0xff, PER >> 8);
		for (int i = 0; i < PER; i++) {
			uint64_t dpa = (uint64_t)(k * PER + i) * 8192;

			for (int b = 0; b < 8; b++)
				cat(req, &len, cap, "%02x", (unsigned)(dpa >> (8 * b)) & 0xff);
			cat(req, &len, cap, "0010000000000000" "0000000000000000");
		}
		cat(req, &len, cap, "\"}}");
		ok(qmp_client_cmd(c, req, TMO));
		assert_int_equal(capped_event(c, "CXL_DC_CAPACITY_ACCEPTED", 8192, PER - 8192), PER);
	}
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			  "\"host-id\":0,\"removal-policy\":\"tag-based\",\"forced-removal\":true,\"region\":0,"
			  "\"tag\":\"5be13bce-ae34-4a77-b6c3-16df975fcf1a\"}}", TMO));
	assert_int_equal(capped_event(c, "CXL_DC_FORCED_RELEASE", 8192, ROUNDS * PER - 8192), ROUNDS * PER);
	free(req);
	qmp_client_free(c);
}

/* Each line of the log that names connection @conn is a routine one. */
static void log_is_routine(struct dproc *p, const char *conn)
{
	static const char *const routine[] = { ": connected", ": session opened", " ok",
					       ": session closed", ": disconnected" };
	const char *log = dproc_log(p), *l = log;

	while ((l = strstr(l, conn))) {
		const char *eol = strchr(l, '\n');
		size_t n = eol ? (size_t)(eol - l) : strlen(l);
		bool ok_line = false;

		for (size_t i = 0; i < sizeof(routine) / sizeof(routine[0]); i++) {
			size_t k = strlen(routine[i]);

			ok_line |= n >= k && !strncmp(l + n - k, routine[i], k);
		}
		if (!ok_line)
			fail_msg("unexpected log line: %.*s\nlog:\n%s", (int)n, l, log);
		l += n;
	}
}

static bool log_has(struct dproc *p, const char *what, int timeout_ms)
{
	for (int i = 0; i < timeout_ms / 10; i++) {
		if (strstr(dproc_log(p), what))
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * disconnect(): the client closes with requests answered but unread, and
 * the log says only that the session closed.  quit: the reply with its id,
 * SHUTDOWN, then end of stream (qemu.qmp raises EOFError from disconnect()
 * there, as against QEMU), and the daemon exits 0.
 */
static void test_disconnect_and_quit(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	char peer[200];
	json_t *e;

	(void)state;
	c = start_qemu_style(&p, peer, sizeof(peer), false);
	negotiate_as_qemu_qmp(c, true);
	send_text(c, "{\"execute\":\"query-version\",\"id\":\"__qmp#00000\"}"
		     "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"cxl-dcd0\"},\"id\":\"__qmp#00001\"}");
	qmp_client_free(c);
	assert_true(log_has(&p, "unix#1: disconnected", TMO));
	log_is_routine(&p, "unix#1");
	assert_int_equal(qmp_client_connect_unix(peer, TMO, &c), 0);
	negotiate_as_qemu_qmp(c, true);
	send_text(c, "{\"execute\":\"quit\",\"id\":\"__qmp#00000\"}");
	reply_ok(c, "\"__qmp#00000\"");
	e = next(c);
	assert_string_equal(json_string_value(json_object_get(e, "event")), "SHUTDOWN");
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "data"), "reason")),
			    "host-qmp-quit");
	json_decref(e);
	assert_int_equal(qmp_client_wait_eof(c, TMO), 0);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	log_is_routine(&p, "unix#2");
	qmp_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_greeting_and_negotiation_as_qemu_qmp_sends_them, dproc_reap_all),
		cmocka_unit_test_teardown(test_pipelined_executes_with_any_id_and_events_between, dproc_reap_all),
		cmocka_unit_test_teardown(test_pipelined_executes_journaled, dproc_reap_all),
		cmocka_unit_test_teardown(test_qmp_shell_command_forms, dproc_reap_all),
		cmocka_unit_test_teardown(test_qom_get_reads_what_qom_list_lists, dproc_reap_all),
		cmocka_unit_test_teardown(test_qom_get_of_an_sn_above_int64_max, dproc_reap_all),
		cmocka_unit_test_teardown(test_refused_syntax_names_the_request, dproc_reap_all),
		cmocka_unit_test_teardown(test_events_list_at_most_8192_extents, dproc_reap_all),
		cmocka_unit_test_teardown(test_disconnect_and_quit, dproc_reap_all),
	};

	return cmocka_run_group_tests_name("qemu-qmp", tests, NULL, NULL);
}
