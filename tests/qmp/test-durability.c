/* SPDX-License-Identifier: MIT */
/*
 * test-durability.c - integration: --state.  The daemon is killed with
 * SIGKILL while QMP and FM clients stream pipelined adds; restarted with the
 * same arguments it must hold every acknowledged request (and at most the
 * group commit in flight: one request per connection), the accepted extents
 * exactly as before, their memory bindings (object-del refused) and the
 * file-backed contents, including data written
 * after a sanitizing release that replay must not repeat.  A restart with
 * other arguments is refused.
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
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev-util.h"
#include "state-util.h"

/* query-memdev's bound-extents of backend id (-1: no such backend). */
static json_int_t memdev_bound(struct qmp_client *c, const char *id)
{
	json_t *r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-memdev\"}", TMO));
	json_int_t n = -1;
	size_t i;
	json_t *m;

	json_array_foreach(ret_of(r), i, m)
		if (!strcmp(json_string_value(json_object_get(m, "id")), id))
			n = json_integer_value(json_object_get(m, "bound-extents"));
	json_decref(r);
	return n;
}

static void make_args(struct state_args *a, struct dproc *p, const char *device)
{
	state_args(a, p, "512M", device, "--fm", p->fm_arg);
}

#define DEV "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2,sanitize-on-release=on"

static int fm_connect(const char *path)
{
	int fd = dproc_connect_unix(path, 5000);

	if (fd < 0)
		fail_msg("cannot connect to %s", path);
	return fd;
}

static size_t host1_pending(struct qmp_client *c)
{
	json_t *q = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}", TMO));
	size_t n = json_array_size(json_object_get(json_array_get(json_object_get(ret_of(q), "hosts"), 1), "pending"));

	json_decref(q);
	return n;
}

static void add_a(struct qmp_client *c, uint64_t off)
{
	ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
		"\"extents\":[{\"offset\":%llu,\"len\":2097152}]}}", (unsigned long long)off));
}

static void file_write(struct dproc *p, const char *name, uint64_t off, const char *s)
{
	char path[200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, s, strlen(s) + 1, (off_t)off), (ssize_t)strlen(s) + 1);
	close(fd);
}

static void file_expect(struct dproc *p, const char *name, uint64_t off, const char *s)
{
	char path[200], buf[64] = { 0 };
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, strlen(s) + 1, (off_t)off), (ssize_t)strlen(s) + 1);
	close(fd);
	assert_string_equal(buf, s);
}

/* Build the accepted state of host 0 (serial, every step acknowledged). */
static void phase_a(struct dproc *p, struct qmp_client *c)
{
	/* Offered, accepted, written, released with sanitize (zeroed now) ... */
	add_a(c, 0);
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	file_write(p, "a.mem", 0, "first life");
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
			  "\"removal-policy\":\"tag-based\",\"tag\":\"" TAG_A "\",\"region\":0}}", TMO));
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	file_expect(p, "a.mem", 0, "");
	/* ... then the tag lives again at tag offset 0 and gets new data replay must keep. */
	for (uint64_t i = 0; i < 4; i++) {
		add_a(c, (8 + 2 * i) * MiB);
		assert_int_equal(host_answer_all(c, "d0", 0), 1);
	}
	file_write(p, "a.mem", 0, "second life");
	file_write(p, "a.mem", 6 * MiB, "last extent");
}

/* @n pipelined QMP adds of tag B to host 1 (2 MiB at 256 MiB + 4 MiB * k, id k) into @batch; its length. */
static size_t qmp_add_batch(char *batch, int n)
{
	size_t off = 0;

	for (int k = 0; k < n; k++)
		off += (size_t)sprintf(batch + off,
			"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
			"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_B "\","
			"\"extents\":[{\"offset\":%llu,\"len\":2097152}]},\"id\":%d}",
			(unsigned long long)(256 * MiB + 4 * MiB * (uint64_t)k), k);
	return off;
}

/* The same adds as FM-API 5604h requests (the odd 2 MiB of each 4 MiB) into @fmbatch (zeroed); its length. */
static size_t fm_add_batch(uint8_t *fmbatch, int n)
{
	size_t fm_off = 0;

	for (int k = 0; k < n; k++) {
		uint8_t *m = fmbatch + fm_off;

		m[1] = (uint8_t)k;
		put16(m + 3, 0x5604);
		m[5] = 0x48;
		put16(m + 12, 1);           /* host 1 */
		m[12 + 2] = 2;              /* prescriptive */
		put32(m + 12 + 0x1c, 1);
		put64(m + 12 + 0x20, 256 * MiB + 4 * MiB * (uint64_t)k + 2 * MiB);
		put64(m + 12 + 0x28, 2 * MiB);
		memcpy(m + 12 + 0x30, "\x0e\x4a\x0b\x4c\x1f\x2a\x4d\x55\x9a\x8e\x31\xe0\xc8\xa1\xb2\xc3", 16);
		fm_off += 12 + 0x48;
	}
	return fm_off;
}

/* Read one 12-byte FM response header into @rsp (each read within TMO). */
static void fm_read_rsp(int fd, uint8_t rsp[12])
{
	size_t got = 0;

	while (got < 12) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		assert_true(poll(&pfd, 1, TMO) > 0);
		n = read(fd, rsp + got, 12 - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
}

/* The FM responses still readable on @fd (each within 200 ms), all Success: how many. */
static size_t fm_acks_left(int fd)
{
	uint8_t rsp[12];
	size_t acked = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		size_t got = 0;

		while (got < 12 && poll(&pfd, 1, 200) > 0) {
			ssize_t k = read(fd, rsp + got, 12 - got);

			if (k <= 0)
				break;
			got += (size_t)k;
		}
		if (got < 12)
			break;
		assert_int_equal(rsp[8], 0);
		acked++;
	}
	return acked;
}

/*
 * Same arguments: everything acknowledged is there, and at most the
 * commit in flight more: pipelined requests of one connection share a
 * group commit, up to 64 per connection (QMP_MAX_QUEUED, FM_MAX_QUEUED;
 * here one QMP and one FM connection).
 */
static void restart_keeps_what_was_acknowledged(struct dproc *p, struct state_args *a,
					       json_t *before, size_t acked)
{
	struct qmp_client *c;
	json_t *after;
	size_t pend;

	assert_int_equal(dproc_start(p, a->argv), 0);
	c = state_connect(p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(p));
	pend = host1_pending(c);
	print_message("pending after the restart: %zu (acknowledged %zu)\n", pend, acked);
	assert_true(pend >= acked && pend <= acked + 2 * 64);
	after = host0_extents(c);
	assert_true(json_equal(before, after));
	/* Memory was bound again after replay, and replay did not sanitize later data. */
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"fa\"}}", TMO),
		   "object 'fa' is in use, can not be deleted");
	assert_true(memdev_bound(c, "fa") > 0);
	file_expect(p, "a.mem", 0, "second life");
	file_expect(p, "a.mem", 6 * MiB, "last extent");
	/* The restarted daemon goes on journaling: accept host 1's offers, restart cleanly. */
	while (host_answer_all(c, "d0", 1))
		;
	state_quit(p, c);
	assert_int_equal(dproc_start(p, a->argv), 0);
	assert_non_null(c = state_connect(p));
	assert_int_equal(host1_pending(c), 0);
	json_decref(after);
	after = host0_extents(c);
	assert_true(json_equal(before, after));
	qmp_client_free(c);
	json_decref(after);
}

static void test_kill9_during_a_stream_keeps_every_acknowledged_request(void **state)
{
	enum { N = 80 };
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before, *r;
	char *batch = malloc(N * 300);
	uint8_t fmbatch[N * (12 + 0x48)], rsp[12];
	size_t off, acked_qmp = 0, acked_fm = 0, fm_off;
	int fd;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p, DEV);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = state_connect(&p));
	phase_a(&p, c);
	before = host0_extents(c);
	assert_int_equal(json_array_size(before), 4);

	/* Pipelined adds of tag B to host 1, over QMP (even offsets) and the FM socket (odd). */
	off = qmp_add_batch(batch, N);
	memset(fmbatch, 0, sizeof(fmbatch));
	fm_off = fm_add_batch(fmbatch, N);
	fd = fm_connect(p.fm);
	assert_int_equal(send(fd, fmbatch, fm_off / 2, MSG_NOSIGNAL), (ssize_t)(fm_off / 2));
	for (int k = 0; k < 5; k++) {
		fm_read_rsp(fd, rsp);
		assert_int_equal(rsp[8], 0);
		acked_fm++;
	}
	assert_int_equal(qmp_client_send_raw(c, batch, off), 0);
	assert_int_equal(send(fd, fmbatch + fm_off / 2, fm_off - fm_off / 2, MSG_NOSIGNAL),
			 (ssize_t)(fm_off - fm_off / 2));
	/* Let some (not all) be acknowledged, then kill -9. */
	while ((r = qmp_client_recv(c, TMO)) != NULL) {
		if (json_object_get(r, "return"))
			acked_qmp++;
		json_decref(r);
		if (acked_qmp == 10)
			break;
	}
	dproc_kill9(&p);
	/* Replies already sent are acknowledged too: read them out. */
	while ((r = qmp_client_recv(c, 200)) != NULL) {
		if (json_object_get(r, "return"))
			acked_qmp++;
		json_decref(r);
	}
	acked_fm += fm_acks_left(fd);
	close(fd);
	qmp_client_free(c);
	print_message("acknowledged before the kill: %zu qmp + %zu fm of %d + %d\n", acked_qmp, acked_fm, N, N);
	assert_true(acked_qmp >= 10 && acked_qmp + acked_fm < 2 * N);

	restart_keeps_what_was_acknowledged(&p, &a, before, acked_qmp + acked_fm);
	json_decref(before);
	free(batch);
}

static void test_restart_with_other_arguments_is_refused(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p, DEV);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = state_connect(&p));
	add_a(c, 0);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	make_args(&a, &p, "cxl-type3,id=d0,num-dc-regions=2,dc-regions-total-size=1G,num-hosts=2");
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_int_equal(dproc_wait_exit(&p, TMO), 1);
	assert_non_null(strstr(dproc_log(&p), "holds the state of another configuration"));
}

/*
 * The same configuration spelt otherwise (1G as 1073741824, on as yes,
 * properties in another order) restarts: the check compares the parsed
 * configuration, not its text.
 */
static void test_restart_with_the_same_configuration_spelt_otherwise(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before, *after;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p, DEV);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = state_connect(&p));
	add_a(c, 0);
	before = host0_extents(c);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	make_args(&a, &p, "cxl-type3,num-hosts=2,sanitize-on-release=yes,id=d0,"
			  "dc-regions-total-size=1073741824,num-dc-regions=1");
	snprintf(a.obj_a, sizeof(a.obj_a),
		 "memory-backend-file,id=fa,size=0x4000000,mem-path=%s/a.mem,share=true,tag=%s", p.dir,
		 "5BE13BCE-AE34-4A77-B6C3-16DF975FCF1A");
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart refused: %s", dproc_log(&p));
	after = host0_extents(c);
	assert_true(json_equal(before, after));
	qmp_client_free(c);
	json_decref(before);
	json_decref(after);
}

/* @n bytes of @buf hold @pat (@m bytes) somewhere. */
static bool holds_bytes(const uint8_t *buf, size_t n, const uint8_t *pat, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(buf + i, pat, m))
			return true;
	return false;
}

/*
 * A uint64 above 2^63-1 (correction masks of a DRAM event, QEMU takes them
 * up to 2^64-1) is journaled as sent and replayed: the record read back
 * after a restart holds the masks.  Before: refused as a syntax error; and
 * a journal record of -1 would not have matched the schema on replay.
 */
static void test_uint64_above_int64_max_is_journaled_as_sent(void **state)
{
	static const uint8_t masks[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					   0, 0, 0, 0, 0, 0, 0, 0x80 };
	uint8_t in[1] = { 0 }, out[4096];
	struct state_args a;
	struct qmp_client *c;
	struct dproc p;
	size_t n;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p, DEV);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = state_connect(&p));
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-inject-dram-event\",\"arguments\":{\"path\":\"d0\","
		"\"log\":\"informational\",\"flags\":1,\"dpa\":4096,\"descriptor\":0,\"type\":0,"
		"\"transaction-type\":0,\"correction-mask\":[18446744073709551615,9223372036854775808]}}", TMO));
	qmp_client_free(c);
	kill(p.pid, SIGKILL);
	dproc_wait_exit(&p, TMO);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart refused: %s", dproc_log(&p));
	assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x0100, in, 1, out, &n), 0);
	assert_true(holds_bytes(out, n, masks, sizeof(masks)));
	qmp_client_free(c);
}

/* Like host_answer_all(), but a refused answer is part of the run, not a failure. */
static void answer_any(struct qmp_client *c, int host)
{
	struct cxldcd_event ev[64], chain[64];
	uint16_t n = host_read_dc_log(c, "d0", host, ev, 64), k = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (ev[i].dc_type == CXLDCD_DC_EV_ADD_CAPACITY) {
			chain[k++] = ev[i];
			if (!(ev[i].dc_flags & CXLDCD_DC_EVF_MORE)) {
				host_send_ranges(c, "d0", host, 0x4802, chain, k);
				k = 0;
			}
		} else if (ev[i].dc_type == CXLDCD_DC_EV_RELEASE_CAPACITY) {
			host_send_ranges(c, "d0", host, 0x4803, &ev[i], 1);
		}
	}
}

static size_t count_files(const char *dir, const char *prefix)
{
	char cmd[400], buf[32] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls %s | grep -c '^%s'", dir, prefix);
	f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	pclose(f);
	return (size_t)strtoul(buf, NULL, 10);
}

/*
 * @n random steps (a fixed seed) on hosts 0 and 1 of d0: adds of tag A or
 * B, answers, tag-based releases (forced or not, sanitizing), DC log reads.
 */
static void random_steps(struct qmp_client *c, int n)
{
	uint64_t rng = 12345;

	for (int i = 0; i < n; i++) {
		int h, what;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		h = (int)((rng >> 40) & 1);
		what = (int)((rng >> 33) % 5);
		if (what <= 1) {
			json_decref(qmp_client_cmdf(c, TMO,
				"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":%d,"
				"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"%s\","
				"\"extents\":[{\"offset\":%llu,\"len\":2097152}]}}", h, h ? TAG_B : TAG_A,
				(unsigned long long)((rng >> 20) % (h ? 240 : 30)) * 2 * MiB + (h ? 256 * MiB : 0)));
		} else if (what == 2) {
			answer_any(c, h);
		} else if (what == 3) {
			json_decref(qmp_client_cmdf(c, TMO,
				"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":%d,"
				"\"removal-policy\":\"tag-based\",\"forced-removal\":%s,\"sanitize-on-release\":true,"
				"\"tag\":\"%s\",\"region\":0}}", h, (rng >> 50) & 1 ? "true" : "false",
				h ? TAG_B : TAG_A));
		} else {
			struct cxldcd_event ev[64];

			host_read_dc_log(c, "d0", h, ev, 64);   /* read and clear */
		}
	}
}

/*
 * Let the last snapshot child finish and no other be due: a round trip
 * lets the daemon finish the round that may fork one, then wait until it
 * has no child at two round trips in a row (the round that reaps a slow
 * child forks the next one after its answers are written, so one look
 * could fall between the two).  Without /proc/PID/task/PID/children,
 * 300 ms.
 */
static void wait_no_snapshot_child(struct dproc *p, struct qmp_client *c)
{
	int idle = 0;

	for (int i = 0;; i++) {
		int kids;

		json_decref(expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-version\"}", TMO)));
		kids = dproc_children(p->pid);
		if (kids < 0)
			usleep(300 * 1000);
		idle = kids <= 0 ? idle + 1 : 0;
		if (idle == 2)
			break;
		if (i == TMO / 2)
			fail_msg("the daemon still has %d child process(es) after %d s", kids, TMO / 1000);
		usleep(2000);
	}
}

/*
 * Snapshots every 15 journal records during a long mixed run (offers to two
 * hosts, answers, host releases, FM tag-based and forced releases with
 * sanitize, Clear Event Records): after SIGKILL, restart = newest snapshot
 * + the journal after it gives exactly the state before the kill, and the
 * journal before the snapshot is gone.
 */
static void test_snapshot_plus_journal_tail_restores_the_same_state(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before, *after;
	char *tb, *ta;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p, DEV);
	setenv("CXLDCD_SNAPSHOT_EVERY", "15", 1);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = state_connect(&p));
	random_steps(c, 160);
	wait_no_snapshot_child(&p, c);
	before = state_dump(c);
	qmp_client_free(c);
	dproc_kill9(&p);
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	assert_true(count_files(p.state, "snapshot-") >= 1);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(&p));
	assert_non_null(strstr(dproc_log(&p), "loaded (journal seq="));
	after = state_dump(c);
	tb = json_dumps(before, JSON_SORT_KEYS);
	{
		const char *l = strstr(dproc_log(&p), "loaded (journal seq=");
		unsigned long long seq = 0, tail = 99999;

		sscanf(l, "loaded (journal seq=%llu)", &seq);
		l = strstr(l, "cxldcd.db: ");
		assert_non_null(l);
		sscanf(l, "cxldcd.db: %llu journal record", &tail);
		print_message("state compared: %zu bytes of JSON; snapshot at seq=%llu, %llu record(s) replayed after it\n",
			      strlen(tb), seq, tail);
		assert_true(seq >= 100 && tail < 40);   /* the journal before the snapshot is gone */
	}
	ta = json_dumps(after, JSON_SORT_KEYS);
	if (!json_equal(before, after))
		fail_msg("state differs after restart:\nbefore %s\nafter  %s", tb, ta);
	free(tb);
	free(ta);
	json_decref(before);
	json_decref(after);
	qmp_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill9_during_a_stream_keeps_every_acknowledged_request, dproc_reap_all),
		cmocka_unit_test_teardown(test_restart_with_other_arguments_is_refused, dproc_reap_all),
		cmocka_unit_test_teardown(test_uint64_above_int64_max_is_journaled_as_sent, dproc_reap_all),
		cmocka_unit_test_teardown(test_restart_with_the_same_configuration_spelt_otherwise,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_snapshot_plus_journal_tail_restores_the_same_state,
					  dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("durability", tests, NULL, NULL);
}
