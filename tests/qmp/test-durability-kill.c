/* SPDX-License-Identifier: MIT */
/*
 * test-durability-kill.c - integration: SIGKILL at random moments under a
 * mixed stream, many times over one --state directory (docs/persistence.md,
 * "Crash semantics").  Each round starts the daemon with a snapshot every
 * few records (so kills also land while a snapshot child is writing),
 * streams pipelined adds over QMP and the FM socket (each to its own DPA)
 * plus host answers and Clear Event Records, reads acknowledgements for a
 * random time and kills the daemon.  After every restart:
 *  - every acknowledged add is there (pending or accepted on host 1), and
 *    nothing that was never sent;
 *  - at most one request per connection beyond the acknowledged ones;
 *  - a second restart without any request gives the identical state
 *    (device query and DC logs), i.e. snapshot + journal replay is
 *    deterministic.
 * Rounds: $CXLDCD_KILL_ROUNDS (default 6; `make check-long`-style runs use
 * more), seed $CXLDCD_KILL_SEED.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev-util.h"
#include "state-util.h"

#define DEV "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=8G,num-hosts=2,max-extents=8192,event-log-depth=4096"
#define SLOTS 4000           /* DPA slots of 2 MiB for adds: slot k at k * 2 MiB */
#define PER_ROUND 60

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((rng >> 33) % n);
}

static void make_args(struct state_args *a, struct dproc *p)
{
	state_args(a, p, "8G", DEV, "--fm", p->fm_arg);
}

/* Host 1's extents, pending or accepted, as a slot bitmap; the device query as JSON. */
static json_t *query(struct qmp_client *c, uint8_t *slots)
{
	json_t *q = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}", TMO));
	json_t *h1 = json_array_get(json_object_get(ret_of(q), "hosts"), 1), *x, *g;
	size_t i, j;

	memset(slots, 0, SLOTS);
	json_array_foreach(json_object_get(h1, "extents"), i, x)
		slots[json_integer_value(json_object_get(x, "dpa")) / (2 * MiB)] = 1;
	json_array_foreach(json_object_get(h1, "pending"), i, g)
		json_array_foreach(json_object_get(g, "extents"), j, x)
			slots[json_integer_value(json_object_get(x, "dpa")) / (2 * MiB)] = 1;
	return q;
}

static json_t *dump(struct qmp_client *c)
{
	uint8_t slots[SLOTS];
	json_t *q = query(c, slots), *all = json_pack("{s:O}", "query", ret_of(q));

	json_decref(q);
	add_dc_logs(c, all);
	return all;
}

/* One 5604h of slot k to host 1 (tag B), message into m; its length. */
static size_t fm_add_msg(uint8_t *m, uint32_t k)
{
	memset(m, 0, 12 + 0x48);
	m[1] = (uint8_t)k;
	put16(m + 3, 0x5604);
	m[5] = 0x48;
	put16(m + 12, 1);
	m[12 + 2] = 2;
	put32(m + 12 + 0x1c, 1);
	put64(m + 12 + 0x20, (uint64_t)k * 2 * MiB);
	put64(m + 12 + 0x28, 2 * MiB);
	memcpy(m + 12 + 0x30, "\x0e\x4a\x0b\x4c\x1f\x2a\x4d\x55\x9a\x8e\x31\xe0\xc8\xa1\xb2\xc3", 16);
	return 12 + 0x48;
}

/* The end of the daemon's log (the start of it is QMP chatter). */
static void fail_restart(struct dproc *p, int round)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "grep -v 'qmp\\[\\|fm\\[' %s | tail -8 >&2", p->log);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
	snprintf(cmd, sizeof(cmd), "ps -o pid,ppid,stat,wchan:24,cmd -p %d --ppid %d >&2; cat /proc/%d/stack >&2",
		 (int)p->pid, (int)p->pid, (int)p->pid);
	if (system(cmd) != 0)
		fprintf(stderr, "(no ps)\n");
	fail_msg("round %d: the daemon did not start", round);
}

static void test_random_kills_keep_every_acknowledged_request(void **state)
{
	int rounds = getenv("CXLDCD_KILL_ROUNDS") ? atoi(getenv("CXLDCD_KILL_ROUNDS")) : 6;
	uint8_t acked[SLOTS] = { 0 }, sent[SLOTS] = { 0 }, have[SLOTS];
	uint32_t next = 0;
	struct dproc p;
	struct state_args a;

	(void)state;
	rng = getenv("CXLDCD_KILL_SEED") ? strtoull(getenv("CXLDCD_KILL_SEED"), NULL, 10) : 4242;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	for (int r = 0; r < rounds && next + 2 * PER_ROUND < SLOTS; r++) {
		char *batch = malloc(PER_ROUND * 400), every[16];
		uint8_t fmb[PER_ROUND * (12 + 0x48)], rsp[12];
		uint32_t qk[PER_ROUND], fk[PER_ROUND];
		size_t off = 0, fo = 0, extra;
		struct qmp_client *c;
		json_t *d1, *d2, *m;
		int fd, wait_ms = getenv("CXLDCD_KILL_WAIT_MS") ? atoi(getenv("CXLDCD_KILL_WAIT_MS")) : 1 + (int)rnd(300);

		snprintf(every, sizeof(every), "%u", 3 + rnd(10));
		setenv("CXLDCD_SNAPSHOT_EVERY", every, 1);
		assert_int_equal(dproc_start(&p, a.argv), 0);
		unsetenv("CXLDCD_SNAPSHOT_EVERY");
		c = state_connect(&p);
		if (!c)
			fail_restart(&p, r);
		/* What survived the last kill: everything acknowledged, nothing unsent. */
		json_decref(query(c, have));
		for (uint32_t k = 0; k < SLOTS; k++) {
			if (acked[k] && !have[k])
				fail_msg("round %d: acknowledged add of slot %u is lost", r, k);
			if (have[k] && !sent[k])
				fail_msg("round %d: slot %u is there but was never sent", r, k);
		}
		/* Replay is deterministic: restart again without requests, same state. */
		d1 = dump(c);
		qmp_client_free(c);
		dproc_kill9(&p);
		assert_int_equal(dproc_start(&p, a.argv), 0);
		c = state_connect(&p);
		if (!c)
			fail_restart(&p, r);
		d2 = dump(c);
		if (!json_equal(d1, d2))
			fail_msg("round %d: a second restart gave another state", r);
		json_decref(d1);
		json_decref(d2);
		/* Whatever was in doubt is now known: count it as acknowledged. */
		for (uint32_t k = 0; k < SLOTS; k++)
			if (have[k])
				acked[k] = 1;
		extra = 0;
		/* Host 0 answers and clears what it has, so the journal mixes kinds. */
		host_answer_all(c, "d0", 0);
		json_decref(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
				  "\"selection-policy\":\"free\",\"region\":0,\"tag\":\"" TAG_A "\","
				  "\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
		/* The stream: QMP adds (slots next..) and FM adds, pipelined. */
		for (int i = 0; i < PER_ROUND; i++) {
			qk[i] = next++;
			fk[i] = next++;
			sent[qk[i]] = sent[fk[i]] = 1;
			off += (size_t)sprintf(batch + off,
				"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
				"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_B "\","
				"\"extents\":[{\"offset\":%llu,\"len\":2097152}]},\"id\":%d}",
				(unsigned long long)qk[i] * 2 * MiB, i);
			fo += fm_add_msg(fmb + fo, fk[i]);
		}
		fd = dproc_connect_unix(p.fm, TMO);
		assert_true(fd >= 0);
		assert_int_equal(qmp_client_send_raw(c, batch, off), 0);
		assert_int_equal(send(fd, fmb, fo, MSG_NOSIGNAL), (ssize_t)fo);
		/* Acknowledgements for a random time, then SIGKILL. */
		{
			int qa = 0, fa = 0;
			size_t got = 0;
			struct pollfd pf[2] = { { .fd = qmp_client_fd(c), .events = POLLIN },
						{ .fd = fd, .events = POLLIN } };
			uint64_t t_end = 0;
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			t_end = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + (uint64_t)wait_ms;
			for (;;) {
				clock_gettime(CLOCK_MONOTONIC, &ts);
				uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;

				if (now >= t_end || poll(pf, 2, (int)(t_end - now)) <= 0)
					break;
				if (pf[0].revents & POLLIN) {
					m = qmp_client_recv(c, 0);
					if (m && json_object_get(m, "return"))
						acked[qk[json_integer_value(json_object_get(m, "id"))]] = 1, qa++;
					json_decref(m);
				}
				if (pf[1].revents & POLLIN) {
					ssize_t k = read(fd, rsp + got, 12 - got);

					if (k > 0 && (got += (size_t)k) == 12) {
						if (rsp[8] == 0)
							acked[fk[fa]] = 1;
						fa++;
						got = 0;
					}
				}
			}
			dproc_kill9(&p);
			/* Answers already written are acknowledged too. */
			while ((m = qmp_client_recv(c, 100)) != NULL) {
				if (json_object_get(m, "return"))
					acked[qk[json_integer_value(json_object_get(m, "id"))]] = 1, qa++;
				json_decref(m);
			}
			for (;;) {
				struct pollfd one = { .fd = fd, .events = POLLIN };
				ssize_t k;

				if (poll(&one, 1, 100) <= 0 || (k = read(fd, rsp + got, 12 - got)) <= 0)
					break;
				if ((got += (size_t)k) == 12) {
					if (rsp[8] == 0)
						acked[fk[fa]] = 1;
					fa++;
					got = 0;
				}
			}
			print_message("round %d: snapshot every %s, killed after %d ms: %d qmp + %d fm acknowledged of %d + %d\n",
				      r, every, wait_ms, qa, fa, PER_ROUND, PER_ROUND);
		}
		(void)extra;
		close(fd);
		qmp_client_free(c);
		free(batch);
	}
	/* The last kill is checked by a final start. */
	{
		struct qmp_client *c;

		assert_int_equal(dproc_start(&p, a.argv), 0);
		c = state_connect(&p);
		if (!c)
			fail_msg("final start failed: %s", dproc_log(&p));
		json_decref(query(c, have));
		for (uint32_t k = 0; k < SLOTS; k++) {
			if (acked[k] && !have[k])
				fail_msg("acknowledged add of slot %u is lost", k);
			if (have[k] && !sent[k])
				fail_msg("slot %u is there but was never sent", k);
		}
		qmp_client_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_random_kills_keep_every_acknowledged_request, dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("durability-kill", tests, NULL, NULL);
}
