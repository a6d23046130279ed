/* SPDX-License-Identifier: MIT */
/*
 * test-backpressure.c - integration: a client that pipelines many requests
 * whose replies add up to more than the 8 MiB a connection may queue, and
 * reads only once it has sent them all, gets every reply, whole and in
 * order, and keeps its connection (the daemon holds its requests back while
 * the replies wait, src/server/sock.h "Backpressure").  QMP with pages of
 * query-cxl-dynamic-capacity, the FM socket with 5603h.  Afterwards the
 * daemon's memory is back near where it was before the burst.  A client
 * that stops reading while events flood keeps its session and its replies;
 * the events past its room are counted in one EVENTS_OMITTED.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cci-raw.h"
#include "dev-util.h"


/* A blocking send that fails the test instead of hanging (a deadlock). */
static void send_within(int fd, const void *buf, size_t len, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };
	const char *p = buf;

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail_msg("send blocked or failed with %zu bytes left: %s", len, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* The next reply (events skipped), or a failure naming what came instead. */
static json_t *next_reply(struct qmp_client *c)
{
	for (;;) {
		json_t *j = qmp_client_recv(c, 30000);

		if (!j)
			fail_msg("no reply: the daemon closed the session or went silent");
		if (!json_object_get(j, "event"))
			return j;
		json_decref(j);
	}
}

#define PAGE "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"," \
	     "\"start-index\":%u,\"max-count\":100},\"id\":%u}\n"

/*
 * 2,000 pages of 100 pending extents (about 7.7 KB each, 15 MB in all) sent
 * in one go, then read: every one is a full page, in order, no error; the
 * session stays open; RSS after the burst is within 3 MiB of before.
 * Before: the 8 MiB queue filled, later pages were answered "the reply ...
 * is N bytes, more than the M bytes this session can take", then the
 * session was closed.
 */
static void test_pipelined_query_pages_all_answered_in_order(void **state)
{
	static const char *const args[] = {
		"-object", "memory-backend-memfd,id=m0,size=1G",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2,"
			   "dc-block-size=4096,max-extents=4096,event-log-depth=65535",
		NULL
	};
	enum { N = 2000, ITEMS = 1000 };
	struct dproc p;
	struct qmp_client *c;
	size_t cap = (size_t)N * 160, len = 0, bytes = 0;
	char *b = malloc(cap);
	long base, after;
	json_t *r;

	(void)state;
	assert_non_null(b);
	c = start_dev(&p, args);
	add_4k_extents(c, 1, 0, ITEMS);
	/* Warm up: one page, so the base includes what any query allocates. */
	json_decref(expect_ok(qmp_client_cmdf(c, TMO, PAGE, 0u, 0u)));
	base = dproc_rss_kib(p.pid);
	assert_true(base > 0);
	for (unsigned i = 0; i < N; i++)
		len += (size_t)snprintf(b + len, cap - len, PAGE, (i * 100) % (ITEMS - 100), i);
	send_within(qmp_client_fd(c), b, len, 20);
	for (unsigned i = 0; i < N; i++) {
		json_t *ret;
		char *text;

		r = next_reply(c);
		if (!json_object_get(r, "return"))
			fail_msg("reply %u: %.300s", i, (text = json_dumps(r, JSON_COMPACT)));
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		ret = json_object_get(r, "return");
		assert_int_equal(json_integer_value(json_object_get(ret, "returned-items")), 100);
		assert_int_equal(json_integer_value(json_object_get(ret, "start-index")),
				 (i * 100) % (ITEMS - 100));
		text = json_dumps(r, JSON_COMPACT);
		bytes += strlen(text);
		free(text);
		json_decref(r);
	}
	assert_true(bytes > 8388608u + (4u << 20));   /* far more than the cap went through */
	/* Still the same session. */
	json_decref(expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-version\"}", TMO)));
	after = dproc_rss_kib(p.pid);
	/* Under a sanitizer RSS is not checked (dproc.h): no wait for it to fall. */
	for (int i = 0; i < 250 && !DPROC_SANITIZED && after - base >= 3 * 1024; i++) {
		usleep(20000);
		after = dproc_rss_kib(p.pid);
	}
	if (!DPROC_SANITIZED && after - base >= 3 * 1024)
		fail_msg("RSS %ld KiB before the burst, %ld KiB after", base, after);
	assert_null(strstr(dproc_log(&p), "bytes this session can take"));
	assert_null(strstr(dproc_log(&p), "dropping the connection"));
	free(b);
	qmp_client_free(c);
}

#define FULL "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}\n"

static size_t pending_extents(json_t *ret)
{
	size_t i, j, n = 0;
	json_t *h, *g;

	json_array_foreach(json_object_get(ret, "hosts"), i, h)
		json_array_foreach(json_object_get(h, "pending"), j, g)
			n += json_array_size(json_object_get(g, "extents"));
	return n;
}

/*
 * A reply of several MiB left unread grows the daemon's RSS; once read, the
 * connection's buffer and what built the answer go back to the system (RSS
 * within 2 MiB of before), the second time as the first.  Before: RSS stayed
 * about 48 MiB above (glibc keeps freed heap memory unless it is trimmed).
 */
static void test_output_buffer_shrinks_back_after_a_big_reply(void **state)
{
	static const char *const args[] = {
		"-object", "memory-backend-memfd,id=m0,size=1G",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2,"
			   "dc-block-size=4096,max-extents=80000,event-log-depth=65535",
		NULL
	};
	struct dproc p;
	struct qmp_client *c;
	long base, peak, after;
	json_t *r;

	(void)state;
	c = start_dev(&p, args);
	for (unsigned k = 0; k < 8; k++)
		add_4k_extents(c, 1, k * 8000, 8000);   /* 64,000 pending: a ~5 MB answer */
	json_decref(expect_ok(qmp_client_cmdf(c, TMO, PAGE, 0u, 0u)));
	base = dproc_rss_kib(p.pid);
	assert_true(base > 0);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(qmp_client_send_raw(c, FULL, strlen(FULL)), 0);
		peak = 0;
		for (int i = 0; i < 100 && peak - base < 4 * 1024; i++) {
			usleep(20000);
			peak = dproc_rss_kib(p.pid);
		}
		if (!DPROC_SANITIZED && peak - base < 4 * 1024)
			fail_msg("round %d: RSS %ld -> %ld KiB: the unread answer is not queued", round,
				 base, peak);
		r = next_reply(c);
		assert_int_equal(pending_extents(ret_of(r)), 64000);
		json_decref(r);
		after = dproc_rss_kib(p.pid);
		for (int i = 0; i < 250 && !DPROC_SANITIZED && after - base >= 2 * 1024; i++) {
			usleep(20000);
			after = dproc_rss_kib(p.pid);
		}
		if (!DPROC_SANITIZED && after - base >= 2 * 1024)
			fail_msg("round %d: RSS %ld KiB before, %ld at the peak, %ld after", round, base,
				 peak, after);
	}
	qmp_client_free(c);
}

/* ---- FM ---------------------------------------------------------------- */

/*
 * 8,000 pipelined 5603h (60 extents each, 2,436-byte responses, 19.5 MB in
 * all) sent in one go, then read: each a full Success response with the
 * request's tag, in order; the connection stays.  Before: the 8 MiB queue
 * overflowed and the daemon closed the connection.
 */
static void test_pipelined_fm_extent_lists_all_answered_in_order(void **state)
{
	static const char *const base_args[] = {
		"-object", "memory-backend-memfd,id=m0,size=1G",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2,"
			   "dc-block-size=4096,mbox-payload-size=4096",
		"--fm", NULL, NULL
	};
	enum { N = 8000, EXT = 60, RSP = 12 + 0x18 + EXT * 0x28 };
	const char *args[sizeof(base_args) / sizeof(base_args[0])];
	uint8_t *req = calloc(N, 24), rsp[RSP];
	struct dproc p;
	struct qmp_client *c;
	int fd;

	(void)state;
	assert_non_null(req);
	memcpy(args, base_args, sizeof(base_args));
	assert_int_equal(dproc_init(&p), 0);
	args[5] = p.fm_arg;
	c = connect_dev(&p, args);
	/* Two offers of EXT / 2: each one chain the host reads in one 0100h (31 records at most). */
	add_4k_extents(c, 1, 0, EXT / 2);
	assert_int_equal(host_answer_all(c, "d0", 1), EXT / 2);
	add_4k_extents(c, 1, EXT / 2, EXT / 2);
	assert_int_equal(host_answer_all(c, "d0", 1), EXT / 2);
	fd = dproc_connect_unix(p.fm, 5000);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < N; i++) {
		uint8_t *m = req + 24u * i;

		cci_raw_hdr(m, (uint8_t)i, 0x5603, 12);
		put16(m + 12, 1);          /* host 1 */
		put32(m + 16, EXT);        /* up to EXT extents from index 0 */
	}
	send_within(fd, req, 24u * N, 20);
	for (unsigned i = 0; i < N; i++) {
		if (cci_raw_recv(fd, rsp, RSP, 30000) != RSP)
			fail_msg("response %u missing: the daemon closed the connection", i);
		assert_int_equal(rsp[0], 0x01);                       /* response */
		assert_int_equal(rsp[1], (uint8_t)i);                 /* tag, in order */
		assert_int_equal(rsp[3] | rsp[4] << 8, 0x5603);
		assert_int_equal(rsp[5] | rsp[6] << 8 | (rsp[7] & 0x1f) << 16, RSP - 12);
		assert_int_equal(rsp[8] | rsp[9] << 8, 0);            /* Success */
		assert_int_equal(rsp[12 + 8], EXT);                   /* returned */
	}
	close(fd);
	assert_null(strstr(dproc_log(&p), "dropping the connection"));
	free(req);
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

/* The next event of @c called @name; fails the test if none comes. */
static void take_event(struct qmp_client *c, const char *name)
{
	json_t *e = qmp_client_event(c, name, 30000);

	if (!e)
		fail_msg("no %s", name);
	json_decref(e);
}

/*
 * Round @k of the silent-client test: @m (which does not read) is sent
 * query-version (id k + 1); on @w, @per 4 KiB extents are offered to host
 * k % 4, accepted by it (4802h), revoked (forced release) and its DC log
 * cleared, and @w reads both events.  @req (@cap bytes) is the scratch.
 */
static void silent_client_round(struct qmp_client *w, struct qmp_client *m, char *req,
				size_t cap, int k, int per)
{
	size_t len;

	len = 0;
	cat(req, &len, cap, "{\"execute\":\"query-version\",\"id\":%u}", k + 1);
	send_within(qmp_client_fd(m), req, len, 20);
	len = 0;
	cat(req, &len, cap, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
	    "\"host-id\":%d,\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[", k % 4);
	for (int i = 0; i < per; i++)
		cat(req, &len, cap, "%s{\"offset\":%d,\"len\":4096}", i ? "," : "", i * 4096);
	cat(req, &len, cap, "]}}");
	ok(qmp_client_cmd(w, req, TMO));
	/* the host accepts all of it (4802h, one range per extent) */
	len = 0;
	cat(req, &len, cap, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"mailbox\","
	    "\"host-id\":%d,\"opcode\":18434,\"payload\":\"%02x%02x000000000000", k % 4, per & 0xff,
	    per >> 8);
	for (int i = 0; i < per; i++) {
		uint64_t dpa = (uint64_t)i * 4096;

		for (int b = 0; b < 8; b++)
			cat(req, &len, cap, "%02x", (unsigned)(dpa >> (8 * b)) & 0xff);
		cat(req, &len, cap, "0010000000000000" "0000000000000000");
	}
	cat(req, &len, cap, "\"}}");
	ok(qmp_client_cmd(w, req, TMO));
	ok(qmp_client_cmdf(w, TMO, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{"
			   "\"path\":\"d0\",\"host-id\":%d,\"removal-policy\":\"prescriptive\","
			   "\"forced-removal\":true,\"region\":0,\"extents\":[{\"offset\":0,\"len\":%d}]}}",
			   k % 4, per * 4096));
	/* the host clears its DC log (Clear Event Records, all): the next offer fits */
	ok(qmp_client_cmdf(w, TMO, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\","
			   "\"cci\":\"mailbox\",\"host-id\":%d,\"opcode\":257,\"payload\":\"040100000000\"}}",
			   k % 4));
	/* the client that reads gets every event */
	take_event(w, "CXL_DC_CAPACITY_ACCEPTED");
	take_event(w, "CXL_DC_FORCED_RELEASE");
}

/*
 * A client that stops reading while events flood: 16 rounds of an offer of
 * 8193 extents to one of 4 hosts in turn, its acceptance (4802h) and a
 * forced release of them all, each acceptance and release an event of 8192
 * extents (about 650 KB): 32 events, 21 MB.  The client that does not read
 * pipelines a request each round.  When it reads it is still connected,
 * gets a reply to every request, in order, the events up to its room
 * (8 MiB) and one EVENTS_OMITTED that counts the rest, by name: what it got
 * plus what it was told it missed is every event.  The client that reads
 * gets all 32.  Before: at 16 MiB unread the daemon dropped the client
 * ("dropping the connection: 17110776 bytes of output unread"), its replies
 * lost with it.
 */
static void test_events_past_a_silent_clients_room_are_counted_not_dropped(void **state)
{
	static const char *const args[] = {
		"-object", "memory-backend-memfd,id=m0,size=1G",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=4,"
			   "dc-block-size=4096,max-extents=20000,event-log-depth=65535,mbox-payload-size=1M",
		NULL
	};
	enum { PER = 8193, ROUNDS = 16 };
	size_t cap = 64 * PER + 4096;
	char *req = malloc(cap);
	int rcv = 4096, got_acc = 0, got_rel = 0;
	struct qmp_client *w, *m;
	json_int_t omitted = 0;
	struct dproc p;
	unsigned next_id = 1;
	json_t *j, *names = NULL;

	(void)state;
	assert_non_null(req);
	w = start_dev(&p, args);
	assert_int_equal(qmp_client_connect_unix(p.qmp, TMO, &m), 0);
	assert_int_equal(qmp_client_negotiate(m, TMO), 0);
	/* the kernel holds little for it: the daemon's queue is what fills */
	assert_int_equal(setsockopt(qmp_client_fd(m), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)), 0);
	for (int k = 0; k < ROUNDS; k++)
		silent_client_round(w, m, req, cap, k, PER);
	/* now it reads: its replies, in order, its events, and what it missed */
	while (next_id <= ROUNDS) {
		j = qmp_client_recv(m, 30000);
		if (!j)
			fail_msg("the client that did not read lost its session before reply %u", next_id);
		if (json_object_get(j, "return")) {
			assert_int_equal(json_integer_value(json_object_get(j, "id")), next_id);
			next_id++;
		} else if (json_object_get(j, "event")) {
			const char *name = json_string_value(json_object_get(j, "event"));
			json_t *d = json_object_get(j, "data");

			if (!strcmp(name, "CXL_DC_CAPACITY_ACCEPTED"))
				got_acc++;
			else if (!strcmp(name, "CXL_DC_FORCED_RELEASE"))
				got_rel++;
			else if (!strcmp(name, "EVENTS_OMITTED")) {
				assert_null(names);     /* told once, at the end of the backlog */
				omitted = json_integer_value(json_object_get(d, "count"));
				names = json_incref(json_object_get(d, "events"));
			}
		} else {
			fail_msg("an error reply");
		}
		json_decref(j);
	}
	assert_non_null(names);
	assert_true(omitted > 0);
	assert_int_equal(got_acc + got_rel + omitted, 2 * ROUNDS);
	assert_int_equal(got_acc + json_integer_value(json_object_get(names, "CXL_DC_CAPACITY_ACCEPTED")), ROUNDS);
	assert_int_equal(got_rel + json_integer_value(json_object_get(names, "CXL_DC_FORCED_RELEASE")), ROUNDS);
	/* at most its room of events went to it: 8 MiB of ~650 KB events, and the kernel's share */
	assert_true(got_acc + got_rel <= 14);
	/* still the same session, and events flow to it again */
	json_decref(expect_ok(qmp_client_cmd(m, "{\"execute\":\"query-version\"}", TMO)));
	assert_null(strstr(dproc_log(&p), "dropping the connection"));
	assert_non_null(strstr(dproc_log(&p), "the client is not reading: events are left out"));
	json_decref(names);
	free(req);
	qmp_client_free(m);
	qmp_client_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_pipelined_query_pages_all_answered_in_order,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_output_buffer_shrinks_back_after_a_big_reply,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_pipelined_fm_extent_lists_all_answered_in_order,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_events_past_a_silent_clients_room_are_counted_not_dropped,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests_name("backpressure", tests, NULL, NULL);
}
