/* SPDX-License-Identifier: MIT */
/*
 * test-durability-points.c - integration: --state at chosen points of the
 * snapshot cycle (docs/persistence.md, "Snapshots: restore points"), driven
 * against the real daemon with CXLDCD_SNAPSHOT_EVERY=5 and one QMP add per
 * journal record, so snapshot N is taken at seq 5N exactly:
 *  - a snapshot that fails (its .tmp name is taken) must not leave the
 *    older snapshot file behind once a later one is recorded;
 *  - what a kill between a snapshot's rename and its record leaves (a
 *    newer, unrecorded snapshot file and a .tmp) is ignored and removed at
 *    start, and the state is the acknowledged one;
 *  - a damaged recorded snapshot stops the start, naming the file and what
 *    to do;
 *  - a second daemon on the same --state directory is refused and the
 *    first keeps serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev-util.h"
#include "state-util.h"

#define DEV "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2"

/* One journaled add of a 2 MiB extent of fa (TAG_A) at slot @i to host 0: one record each. */
static void add_one(struct qmp_client *c, int i)
{
	json_decref(expect_ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
		"\"extents\":[{\"offset\":%llu,\"len\":2097152}]}}", (unsigned long long)i * 2 * MiB)));
}

static void snap_path(char *buf, size_t cap, const struct dproc *p, unsigned seq, const char *ext)
{
	snprintf(buf, cap, "%s/snapshot-%020u.bin%s", p->state, seq, ext);
}

static bool exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Wait until the daemon logged @text (a snapshot child's outcome comes a round later). */
static void wait_log(struct dproc *p, struct qmp_client *c, const char *text)
{
	for (int i = 0; i < TMO / 10; i++) {
		json_decref(expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-version\"}", TMO)));
		if (strstr(dproc_log(p), text))
			return;
		usleep(10 * 1000);
	}
	fail_msg("the daemon never logged '%s':\n%s", text, dproc_log(p));
}

/* The names in the state directory that start with "snapshot-", sorted, one per line. */
static char *snap_files(const struct dproc *p)
{
	char cmd[300], *out = calloc(1, 4096);
	size_t n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls %s | grep '^snapshot-' | sort", p->state);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, 4095, f);
	out[n] = 0;
	pclose(f);
	return out;
}

/* The log's last lines (cmocka's messages are short). */
static const char *log_tail(struct dproc *p)
{
	const char *l = dproc_log(p);
	size_t n = strlen(l);

	return n > 700 ? l + n - 700 : l;
}

/* before and after are the same; both are freed. */
static void assert_same_then_free(json_t *before, json_t *after)
{
	if (!json_equal(before, after)) {
		char *tb = json_dumps(before, JSON_SORT_KEYS), *ta = json_dumps(after, JSON_SORT_KEYS);

		fail_msg("state differs after restart:\nbefore %s\nafter  %s", tb, ta);
	}
	json_decref(before);
	json_decref(after);
}

static void start(struct dproc *p, struct state_args *a)
{
	state_args(a, p, NULL, DEV, "--fm", p->fm_arg);
	assert_int_equal(dproc_start(p, a->argv), 0);
}

/* Start again with @argv (after a kill); the QMP connection, or a failure with the log's tail. */
static struct qmp_client *restart(struct dproc *p, const char *const *argv)
{
	struct qmp_client *c;

	assert_int_equal(dproc_start(p, argv), 0);
	c = state_connect(p);
	if (!c)
		fail_msg("restart failed: %s", log_tail(p));
	return c;
}

/* Start with a snapshot every 5 records and add 5 extents: snapshot 5 is written. */
static struct qmp_client *start_to_snapshot_5(struct dproc *p, struct state_args *a)
{
	struct qmp_client *c;

	setenv("CXLDCD_SNAPSHOT_EVERY", "5", 1);
	start(p, a);
	assert_non_null(c = dproc_connect(p, TMO));
	for (int i = 0; i < 5; i++)
		add_one(c, i);
	wait_log(p, c, "snapshot-00000000000000000005.bin written");
	return c;
}

/*
 * Snapshot at seq 5 recorded; the one at seq 10 fails (a directory holds its
 * .tmp name); the one at seq 15 is recorded: only its file may remain.  The
 * daemon removed "the older one" by the seq of the attempt that failed, so
 * snapshot 5 stayed until the next start, one more whole copy of the state
 * on a disk that may be the reason the snapshot failed.
 */
static void test_a_failed_snapshot_leaves_no_older_snapshot_file_behind(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char tmp10[256], *files;
	json_t *before, *after;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start_to_snapshot_5(&p, &a);
	snap_path(tmp10, sizeof(tmp10), &p, 10, ".tmp");
	assert_int_equal(mkdir(tmp10, 0700), 0);
	for (int i = 5; i < 10; i++)
		add_one(c, i);
	wait_log(&p, c, "state: snapshot at seq=10 failed");
	assert_int_equal(rmdir(tmp10), 0);
	for (int i = 10; i < 15; i++)
		add_one(c, i);
	wait_log(&p, c, "snapshot-00000000000000000015.bin written");
	files = snap_files(&p);
	assert_string_equal(files, "snapshot-00000000000000000015.bin\n");
	free(files);
	before = state_dump(c);
	qmp_client_free(c);
	dproc_kill9(&p);
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	c = restart(&p, a.argv);
	assert_non_null(strstr(dproc_log(&p), "loaded (journal seq=15)"));
	after = state_dump(c);
	assert_same_then_free(before, after);
	qmp_client_free(c);
}

/*
 * A kill between a snapshot file's rename and store_snapshot_commit(), or
 * while a child writes: the directory then holds a newer snapshot file the
 * store never recorded and a .tmp.  Made here from the real files (the
 * recorded snapshot at seq 5 copied to the names of seq 10), with records
 * 6..12 in the journal.  The start loads the recorded one, replays 7
 * records, gives the state acknowledged before the kill and removes both.
 */
static void test_an_unrecorded_snapshot_file_is_ignored_and_removed_at_start(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char s5[256], s10[256], t10[256], cmd[1100], *files;
	json_t *before, *after;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start_to_snapshot_5(&p, &a);
	qmp_client_free(c);
	dproc_kill9(&p);
	unsetenv("CXLDCD_SNAPSHOT_EVERY");      /* no more snapshots: the journal keeps 6.. */
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	for (int i = 5; i < 12; i++)
		add_one(c, i);
	before = state_dump(c);
	qmp_client_free(c);
	dproc_kill9(&p);
	snap_path(s5, sizeof(s5), &p, 5, "");
	snap_path(s10, sizeof(s10), &p, 10, "");
	snap_path(t10, sizeof(t10), &p, 10, ".tmp");
	snprintf(cmd, sizeof(cmd), "cp %s %s && head -c 100 %s > %s", s5, s10, s5, t10);
	assert_int_equal(system(cmd), 0);
	c = restart(&p, a.argv);
	assert_non_null(strstr(dproc_log(&p), "loaded (journal seq=5)"));
	assert_non_null(strstr(dproc_log(&p), "7 journal record(s) replayed"));
	after = state_dump(c);
	assert_same_then_free(before, after);
	files = snap_files(&p);
	assert_string_equal(files, "snapshot-00000000000000000005.bin\n");
	free(files);
	qmp_client_free(c);
}

/*
 * The recorded snapshot damaged (one byte flipped, or cut short): the start
 * stops with exit 1, naming the file, saying that the journal before it is
 * gone and what the user can do; nothing is removed or rewritten.
 */
static void test_a_damaged_snapshot_stops_the_start_and_says_how_to_recover(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char s5[256], cmd[300];
	struct stat before, after;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start_to_snapshot_5(&p, &a);
	qmp_client_free(c);
	dproc_kill9(&p);
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	snap_path(s5, sizeof(s5), &p, 5, "");
	for (int cut = 0; cut < 2; cut++) {
		int fd = open(s5, O_RDWR);
		uint8_t b;

		assert_true(fd >= 0);
		if (cut) {
			assert_int_equal(ftruncate(fd, 40), 0);
		} else {
			assert_int_equal(pread(fd, &b, 1, 30), 1);
			b ^= 0x10;
			assert_int_equal(pwrite(fd, &b, 1, 30), 1);
		}
		close(fd);
		assert_int_equal(stat(s5, &before), 0);
		assert_int_equal(dproc_start(&p, a.argv), 0);
		assert_int_equal(dproc_wait_exit(&p, TMO), 1);
		snprintf(cmd, sizeof(cmd), "snapshot %s: damaged", s5);
		if (!strstr(dproc_log(&p), cmd) ||
		    !strstr(dproc_log(&p), "the journal before it is gone: restore the file from a backup, or start with a new --state directory"))
			fail_msg("no clear refusal:\n%s", log_tail(&p));
		assert_int_equal(stat(s5, &after), 0);
		assert_int_equal(after.st_size, before.st_size);
		assert_true(exists(s5));
	}
}

/* A second daemon on the same --state directory: refused with why; the first one keeps serving. */
static void test_a_second_daemon_on_the_same_state_is_refused(void **state)
{
	struct dproc p, q;
	struct state_args a, b;
	struct qmp_client *c;
	char want[300];

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	assert_int_equal(dproc_init(&q), 0);
	start(&p, &a);
	assert_non_null(c = dproc_connect(&p, TMO));
	add_one(c, 0);
	state_args(&b, &q, NULL, DEV, "--fm", q.fm_arg);
	b.argv[5] = p.state;        /* --state of the first daemon */
	assert_string_equal(b.argv[4], "--state");
	assert_int_equal(dproc_start(&q, b.argv), 0);
	assert_int_equal(dproc_wait_exit(&q, 10 * TMO), 1);
	snprintf(want, sizeof(want), "store dir=%s is in use by another process", p.state);
	if (!strstr(dproc_log(&q), want))
		fail_msg("no clear refusal:\n%s", log_tail(&q));
	add_one(c, 1);
	qmp_client_free(c);
}

/* Host 0's pending offers and the device's allocated bytes, for comparing. */
static json_t *offers(struct qmp_client *c)
{
	json_t *q = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}", TMO));
	json_t *r = json_pack("{s:O, s:O}", "pending",
			      json_object_get(json_array_get(json_object_get(ret_of(q), "hosts"), 0), "pending"),
			      "allocated",
			      json_object_get(json_array_get(json_object_get(ret_of(q), "regions"), 0), "allocated"));

	json_decref(q);
	return r;
}

/*
 * An add the memory layer refuses when it runs (its tag names no backend;
 * it runs past its backend's end) is journaled (before it ran) and was
 * replayed with no memory attached, so nothing refused it: after a restart
 * the offer the client was told failed was there, and the add acknowledged
 * after it, at the same DPA, was refused by the replay (overlap) and lost.
 */
static void test_an_add_the_memory_refused_stays_refused_after_a_restart(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *r, *before, *after;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	start(&p, &a);
	assert_non_null(c = dproc_connect(&p, TMO));
	r = qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
			   "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_B "\","
			   "\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "desc")),
			       "no memory backend has tag=" TAG_B));
	json_decref(r);
	r = qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
			   "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
			   "\"extents\":[{\"offset\":0,\"len\":134217728}]}}", TMO);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "desc")),
			       "exceeds backend fa size=0x4000000"));
	json_decref(r);
	add_one(c, 0);          /* acknowledged: TAG_A at DPA 0 */
	before = offers(c);
	assert_int_equal(json_integer_value(json_object_get(before, "allocated")), 2 * MiB);
	qmp_client_free(c);
	dproc_kill9(&p);
	c = restart(&p, a.argv);
	after = offers(c);
	assert_same_then_free(before, after);
	qmp_client_free(c);
}

/* Device @dev's host 0 pending offers, its extents and allocated bytes. */
static json_t *dev_state(struct qmp_client *c, const char *dev)
{
	json_t *q = expect_ok(qmp_client_cmdf(c, TMO, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"%s\"}}", dev));
	json_t *h0 = json_array_get(json_object_get(ret_of(q), "hosts"), 0);
	json_t *r = json_pack("{s:O, s:O, s:O}", "pending", json_object_get(h0, "pending"),
			      "extents", json_object_get(h0, "extents"), "allocated",
			      json_object_get(json_array_get(json_object_get(ret_of(q), "regions"), 0), "allocated"));

	json_decref(q);
	return r;
}

/* dev_state() of d0 and d1. */
static json_t *both_devs(struct qmp_client *c)
{
	return json_pack("{s:o, s:o}", "d0", dev_state(c, "d0"), "d1", dev_state(c, "d1"));
}

/* The arguments of devices d0 and d1 and one backend fa of TAG_A, with --state. */
struct two_devs {
	char obj[300], ds[2][120];
	const char *argv[12];
};

static void two_devs_args(struct two_devs *t, struct dproc *p)
{
	int n = 0;

	snprintf(t->obj, sizeof(t->obj), "memory-backend-file,id=fa,size=64M,share=on,mem-path=%s/a.mem,tag=" TAG_A,
		 p->dir);
	for (int d = 0; d < 2; d++)
		snprintf(t->ds[d], sizeof(t->ds[d]),
			 "cxl-type3,id=d%d,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2", d);
	t->argv[n++] = "-object";
	t->argv[n++] = t->obj;
	t->argv[n++] = "-device";
	t->argv[n++] = t->ds[0];
	t->argv[n++] = "-device";
	t->argv[n++] = t->ds[1];
	t->argv[n++] = "--state";
	t->argv[n++] = p->state;
	t->argv[n] = NULL;
}

/*
 * Two devices, one tagged backend: once d0's host bound capacity of the tag,
 * the backend is d0's ("holds another device's capacity of the tag"), and
 * d1's add naming that tag is refused when it runs.  Replay binds nothing,
 * so the checker must learn the same from the acceptances it replays.
 */
static void tag_bound_by_another_device(const char *snap_every)
{
	struct dproc p;
	struct qmp_client *c;
	struct two_devs t;
	json_t *r, *before, *after;

	assert_int_equal(dproc_init(&p), 0);
	two_devs_args(&t, &p);
	if (snap_every)
		setenv("CXLDCD_SNAPSHOT_EVERY", snap_every, 1);
	assert_int_equal(dproc_start(&p, t.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	add_one(c, 0);                                  /* d0, host 0, TAG_A: seq 1 */
	assert_int_equal(host_answer_all(c, "d0", 0), 1);      /* 0101h, 4802h: bound to fa */
	if (snap_every)         /* the acceptance is in the snapshot, not in the journal */
		wait_log(&p, c, "snapshot-00000000000000000003.bin written");
	r = qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d1\",\"host-id\":0,"
			   "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
			   "\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO);
	{
		char *text = json_dumps(r, 0);

		if (!strstr(text, "holds another device's capacity of the tag"))
			fail_msg("d1's add was not refused: %s", text);
		free(text);
	}
	json_decref(r);
	before = both_devs(c);
	qmp_client_free(c);
	dproc_kill9(&p);
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	c = restart(&p, t.argv);
	if (snap_every)
		assert_non_null(strstr(dproc_log(&p), "loaded (journal seq=3)"));
	after = both_devs(c);
	assert_same_then_free(before, after);
	qmp_client_free(c);
}

static void test_a_tag_another_device_bound_stays_refused_after_a_restart(void **state)
{
	(void)state;
	tag_bound_by_another_device(NULL);
}

/* The same, the acceptance restored from a snapshot (seq 3) and the refused add replayed after it. */
static void test_a_tag_another_device_bound_in_a_snapshot_stays_refused(void **state)
{
	(void)state;
	tag_bound_by_another_device("3");
}

/*
 * The rule behind the refusal lives as long as the daemon: a restart binds
 * only what is accepted then.  d0's host accepts and lets go of TAG_A's
 * capacity, the daemon restarts, and d1's add naming TAG_A is then
 * accepted (acknowledged).  Replaying the whole journal must not refuse it
 * for an acceptance of the daemon's earlier life.
 */
static void test_a_tag_let_go_before_a_restart_is_free_for_another_device(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct two_devs t;
	struct cxldcd_event ev[64];
	json_t *before, *after;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	two_devs_args(&t, &p);
	assert_int_equal(dproc_start(&p, t.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	add_one(c, 0);                                  /* d0, host 0, TAG_A */
	assert_int_equal(host_read_dc_log(c, "d0", 0, ev, 64), 1);
	assert_int_equal(host_send_ranges(c, "d0", 0, 0x4802, ev, 1), 0);      /* bound */
	assert_int_equal(host_send_ranges(c, "d0", 0, 0x4803, ev, 1), 0);      /* let go */
	qmp_client_free(c);
	dproc_kill9(&p);
	assert_int_equal(dproc_start(&p, t.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	json_decref(expect_ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d1\",\"host-id\":0,"
			   "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
			   "\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO)));
	before = both_devs(c);
	qmp_client_free(c);
	dproc_kill9(&p);
	c = restart(&p, t.argv);
	after = both_devs(c);
	assert_same_then_free(before, after);
	qmp_client_free(c);
}

/*
 * The same across a clean stop: its snapshot (seq 4) notes fa as d0's (a
 * tag claim), and the start after it replays no record, so the checkers'
 * restart reuses the walk they made of the accepted extents at the load
 * (mem_dev_checker_restart_same()) instead of walking them again.  It must
 * still forget fa and journal the restart: d1's add naming TAG_A is
 * acknowledged, and a kill and a start that replays the restart and the
 * add give the same devices (without the restart record the replay
 * refused the add and lost it).
 */
static void test_a_tag_let_go_before_a_clean_stop_is_free_for_another_device(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct two_devs t;
	struct cxldcd_event ev[64];
	json_t *before, *after;
	int none;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	two_devs_args(&t, &p);
	assert_int_equal(dproc_start(&p, t.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	add_one(c, 0);                                  /* d0, host 0, TAG_A */
	assert_int_equal(host_read_dc_log(c, "d0", 0, ev, 64), 1);
	assert_int_equal(host_send_ranges(c, "d0", 0, 0x4802, ev, 1), 0);      /* bound */
	assert_int_equal(host_send_ranges(c, "d0", 0, 0x4803, ev, 1), 0);      /* let go */
	none = dproc_count_in(&p, "stderr.log", ": 0 journal record(s) replayed");
	state_quit(&p, c);
	c = restart(&p, t.argv);
	assert_int_equal(dproc_count_in(&p, "stderr.log", "loaded (journal seq=4)"), 1);
	assert_int_equal(dproc_count_in(&p, "stderr.log", ": 0 journal record(s) replayed"), none + 1);
	json_decref(expect_ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d1\",\"host-id\":0,"
			   "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
			   "\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO)));
	before = both_devs(c);
	qmp_client_free(c);
	dproc_kill9(&p);
	c = restart(&p, t.argv);
	assert_int_equal(dproc_count_in(&p, "stderr.log", "loaded (journal seq=4)"), 2);
	assert_int_equal(dproc_count_in(&p, "stderr.log", ": 2 journal record(s) replayed"), 1);
	after = both_devs(c);
	assert_same_then_free(before, after);
	qmp_client_free(c);
}

/*
 * Two devices, one tagged backend fa: d0's host accepts and lets go of
 * TAG_A's capacity (seq 1 add, 2 0101h, 3 4802h: bound, 4 4803h: let go),
 * and snapshot 4 is written; the daemon still notes fa as d0's.
 */
static struct qmp_client *let_go_then_snapshot_4(struct dproc *p, struct two_devs *t)
{
	struct qmp_client *c;
	struct cxldcd_event ev[64];

	assert_int_equal(dproc_init(p), 0);
	two_devs_args(t, p);
	setenv("CXLDCD_SNAPSHOT_EVERY", "4", 1);
	assert_int_equal(dproc_start(p, t->argv), 0);
	assert_non_null(c = dproc_connect(p, TMO));
	add_one(c, 0);
	assert_int_equal(host_read_dc_log(c, "d0", 0, ev, 64), 1);
	assert_int_equal(host_send_ranges(c, "d0", 0, 0x4802, ev, 1), 0);
	assert_int_equal(host_send_ranges(c, "d0", 0, 0x4803, ev, 1), 0);
	wait_log(p, c, "snapshot-00000000000000000004.bin written");
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	return c;
}

/*
 * The same rule across a snapshot: after let_go_then_snapshot_4(), d1's add
 * naming TAG_A is refused when it runs.  The snapshot held only the model,
 * where nothing of TAG_A is accepted any more, so the replay after it
 * accepted that add: after the restart d1 had the offer its client was
 * told failed.
 */
static void test_a_tag_let_go_before_a_snapshot_stays_refused_after_it(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct two_devs t;
	json_t *r, *before, *after;
	char *text;

	(void)state;
	c = let_go_then_snapshot_4(&p, &t);
	r = qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d1\",\"host-id\":0,"
			   "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
			   "\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO);
	text = json_dumps(r, 0);
	if (!strstr(text, "holds another device's capacity of the tag"))
		fail_msg("d1's add was not refused: %s", text);
	free(text);
	json_decref(r);
	before = both_devs(c);
	qmp_client_free(c);
	dproc_kill9(&p);
	c = restart(&p, t.argv);
	assert_non_null(strstr(dproc_log(&p), "loaded (journal seq=4)"));
	after = both_devs(c);
	assert_same_then_free(before, json_incref(after));
	qmp_client_free(c);
	/* the restart forgot fa (x-cxldcd-memory-restart): a second one gives the same */
	dproc_kill9(&p);
	c = restart(&p, t.argv);
	assert_same_then_free(after, both_devs(c));
	qmp_client_free(c);
}

/* CRC32C (Castagnoli, reflected), as the snapshot file's trailer. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return ~c;
}

/*
 * The snapshot file is untrusted: a tag claim (its last bytes: device
 * position, id length, id, then the CRC) that names no device, or no
 * backend, with a correct checksum, stops the start with the damage named.
 */
static void test_a_snapshot_tag_claim_naming_nothing_stops_the_start(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct two_devs t;
	char s4[256];
	uint8_t buf[1 << 16];

	(void)state;
	c = let_go_then_snapshot_4(&p, &t);
	qmp_client_free(c);
	dproc_kill9(&p);
	snap_path(s4, sizeof(s4), &p, 4, "");
	for (int v = 0; v < 2; v++) {
		int fd = open(s4, O_RDWR);
		ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf), 0) : -1;
		uint8_t *claim;
		uint32_t crc;

		assert_true(n > 14 && n < (ssize_t)sizeof(buf));
		claim = buf + n - 4 - 2 - 4 - 4;        /* one claim: d0, "fa" */
		assert_memory_equal(claim, "\0\0\0\0\2\0\0\0fa", 10);
		if (v)
			claim[9] = 'b';         /* fb: no such backend */
		else
			claim[0] = 7;           /* device 7 of 2 */
		crc = crc32c(buf, (size_t)n - 4);
		for (int i = 0; i < 4; i++)
			buf[n - 4 + i] = (uint8_t)(crc >> (8 * i));
		assert_int_equal(pwrite(fd, buf, (size_t)n, 0), n);
		close(fd);
		assert_int_equal(dproc_start(&p, t.argv), 0);
		assert_int_equal(dproc_wait_exit(&p, TMO), 1);
		if (!strstr(dproc_log(&p), "damaged (tag claims): the journal before it is gone"))
			fail_msg("no clear refusal:\n%s", log_tail(&p));
		/* back to d0, fa for the next variant */
		fd = open(s4, O_RDWR);
		claim[0] = 0;
		claim[9] = 'a';
		crc = crc32c(buf, (size_t)n - 4);
		for (int i = 0; i < 4; i++)
			buf[n - 4 + i] = (uint8_t)(crc >> (8 * i));
		assert_int_equal(pwrite(fd, buf, (size_t)n, 0), n);
		close(fd);
	}
	/* the file as written starts */
	qmp_client_free(restart(&p, t.argv));
}

/* The informational event log's first records (read, not cleared) as hex: an oracle by CCI. */
static char *info_log(struct qmp_client *c)
{
	uint8_t in[1] = { CXLDCD_LOG_INFO }, out[4096];
	size_t n = 0;
	char *hex;

	assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x0100, in, 1, out, &n), 0);
	hex = calloc(1, 2 * n + 1);
	for (size_t i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", out[i]);
	return hex;
}

static json_t *inject(struct qmp_client *c, int i)
{
	return qmp_client_cmdf(c, TMO,
		"{\"execute\":\"cxl-inject-general-media-event\",\"arguments\":{\"path\":\"d0\","
		"\"log\":\"informational\",\"flags\":1,\"dpa\":%d,\"descriptor\":0,\"type\":0,"
		"\"transaction-type\":0}}", i * 64);
}

/*
 * A real full disk (root only: a 2 MiB tmpfs in a mount namespace of this
 * test, over DIR/state; a snapshot every 20 records): the request that does
 * not fit is refused with the store's text, the daemon keeps serving reads,
 * recovers by itself when space returns, and after SIGKILL and restart the
 * state is exactly the acknowledged requests' (journal position = their
 * count; the device and both logs, read by CCI, as before the kill).
 */
static void test_a_full_tmpfs_refuses_unapplied_and_recovers(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char filler[300], cmd[400], *lb, *la;
	json_t *r, *before, *after;
	int acked = 0, refused = 0;
	const char *l;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNS) ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		skip();
	assert_int_equal(dproc_init(&p), 0);
	assert_int_equal(mkdir(p.state, 0700), 0);
	if (mount("tmpfs", p.state, "tmpfs", 0, "size=2m,mode=0700"))
		skip();
	setenv("CXLDCD_SNAPSHOT_EVERY", "20", 1);
	start(&p, &a);
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	assert_non_null(c = dproc_connect(&p, TMO));
	/* leave about 250 KiB */
	snprintf(filler, sizeof(filler), "%s/filler", p.state);
	snprintf(cmd, sizeof(cmd), "dd if=/dev/zero of=%s bs=1k count=1700 2>/dev/null", filler);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 5000 && refused < 5; i++) {
		r = inject(c, i);
		/* a snapshot child's file comes and goes: a later one may fit again */
		if (json_object_get(r, "return")) {
			acked++;
		} else {
			if (!strstr(qmp_client_err_desc(r),
				    "the request was not applied: the state store cannot commit it (commit: database or disk is full"))
				fail_msg("unclear refusal: %s", json_dumps(r, 0));
			refused++;
		}
		json_decref(r);
	}
	assert_int_equal(refused, 5);
	assert_true(acked > 20);
	json_decref(expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-devices\"}", TMO)));
	lb = info_log(c);       /* reads work */
	free(lb);
	assert_int_equal(unlink(filler), 0);
	for (int i = 0; i < 3; i++, acked++)
		json_decref(expect_ok(inject(c, 9000 + i)));
	assert_non_null(strstr(dproc_log(&p), "state: the store accepts writes again"));
	before = state_dump(c);
	lb = info_log(c);
	/*
	 * No snapshot child may be alive at the kill: one forked a moment
	 * before still holds the old QMP listener until it runs, and a client
	 * connecting right after the restart can land there and be reset.
	 */
	for (int i = 0; dproc_children(p.pid) > 0; i++) {
		if (i == TMO / 10)
			fail_msg("the daemon still has a child after %d s", TMO / 1000);
		usleep(10 * 1000);
	}
	qmp_client_free(c);
	dproc_kill9(&p);
	c = restart(&p, a.argv);
	after = state_dump(c);
	la = info_log(c);
	assert_same_then_free(before, after);
	assert_string_equal(lb, la);
	/* the journal position after the restart is the number of acknowledged requests */
	{
		unsigned long long seq = 0, tail = 0;
		const char *last = dproc_log(&p), *n;

		while ((n = strstr(last + 1, "cxldcd 0.1.0 starting")))      /* the restart's lines */
			last = n;
		l = strstr(last, "loaded (journal seq=");
		if (l)
			sscanf(l, "loaded (journal seq=%llu)", &seq);
		l = strstr(last, "cxldcd.db: ");
		assert_non_null(l);
		sscanf(l, "cxldcd.db: %llu journal record", &tail);
		print_message("acknowledged %d, refused %d; restart: snapshot seq=%llu + %llu record(s)\n",
			      acked, refused, seq, tail);
		assert_int_equal(seq + tail, (unsigned long long)acked);
	}
	free(lb);
	free(la);
	qmp_client_free(c);
	dproc_kill9(&p);
	umount2(p.state, MNT_DETACH);
}

/*
 * A state directory of another configuration is refused with why, for
 * every part of it (num-hosts, the regions' size, a backend's size, a
 * backend left out), and nothing of it is migrated or rewritten: the start
 * with the first arguments afterwards finds the state as it was.
 */
static void test_a_state_of_another_configuration_is_refused_and_kept(void **state)
{
	struct dproc p;
	struct state_args a, b;
	struct qmp_client *c;
	char obj[300];
	json_t *before, *after;
	const char *other_dev[] = {
		"cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=3",
		"cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=2G,num-hosts=2",
	};

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	start(&p, &a);
	assert_non_null(c = dproc_connect(&p, TMO));
	add_one(c, 0);
	before = state_dump(c);
	qmp_client_free(c);
	dproc_kill9(&p);
	for (int k = 0; k < 4; k++) {
		state_args(&b, &p, NULL, k < 2 ? other_dev[k] : DEV, "--fm", p.fm_arg);
		if (k == 2) {           /* fa of another size */
			snprintf(obj, sizeof(obj), "memory-backend-file,id=fa,size=32M,share=on,mem-path=%s/a.mem,tag=" TAG_A,
				 p.dir);
			b.argv[1] = obj;
		} else if (k == 3) {    /* no -object */
			b.argv[0] = "--log-level=info";
			b.argv[1] = "--log-level=info";
		}
		assert_int_equal(dproc_start(&p, b.argv), 0);
		assert_int_equal(dproc_wait_exit(&p, TMO), 1);
		if (!strstr(dproc_log(&p), "holds the state of another configuration; start with the same -object/-device arguments, or use a new directory (stored: "))
			fail_msg("case %d: no clear refusal: %s", k, log_tail(&p));
	}
	c = restart(&p, a.argv);
	after = state_dump(c);
	assert_same_then_free(before, after);
	qmp_client_free(c);
}

/*
 * An object-add'ed backend whose file is gone at restart fails alone: the
 * model keeps what the journal says, including adds naming its tag that
 * were acknowledged (the replay's memory check must not refuse them for a
 * backend that was there when they ran).
 */
static void vanished_backend(bool from_snapshot)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char sub[200], cmd[600], tmp2[256];
	json_t *before, *after;

	assert_int_equal(dproc_init(&p), 0);
	snprintf(sub, sizeof(sub), "%s/gone", p.dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	if (from_snapshot)
		setenv("CXLDCD_SNAPSHOT_EVERY", "1", 1);
	start(&p, &a);
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	assert_non_null(c = dproc_connect(&p, TMO));
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-file\",\"id\":\"fg\","
		 "\"size\":4194304,\"share\":true,\"mem-path\":\"%s/g.mem\",\"tag\":\"" TAG_B "\"}}", sub);
	json_decref(expect_ok(qmp_client_cmd(c, cmd, TMO)));
	if (from_snapshot) {
		/* the backend is in snapshot 1; the snapshot after the add fails: the add replays */
		wait_log(&p, c, "snapshot-00000000000000000001.bin written");
		snap_path(tmp2, sizeof(tmp2), &p, 2, ".tmp");
		assert_int_equal(mkdir(tmp2, 0700), 0);
	}
	json_decref(expect_ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
			   "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_B "\","
			   "\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO)));
	if (from_snapshot) {
		wait_log(&p, c, "state: snapshot at seq=2 failed");
	} else {
		assert_int_equal(host_answer_all(c, "d0", 0), 1);
		add_one(c, 4);          /* a second offer, of fa, pending */
	}
	before = dev_state(c, "d0");
	qmp_client_free(c);
	dproc_kill9(&p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sub);
	assert_int_equal(system(cmd), 0);
	c = restart(&p, a.argv);
	assert_non_null(strstr(dproc_log(&p), "state: backend fg is unavailable"));
	if (from_snapshot)
		assert_non_null(strstr(dproc_log(&p), "loaded (journal seq=1)"));
	after = dev_state(c, "d0");
	assert_same_then_free(before, after);
	qmp_client_free(c);
}

static void test_adds_on_a_vanished_backend_stay_in_the_model(void **state)
{
	(void)state;
	vanished_backend(false);
}

/* The same with the backend restored from a snapshot and the add replayed after it. */
static void test_adds_on_a_vanished_backend_of_a_snapshot_stay_in_the_model(void **state)
{
	(void)state;
	vanished_backend(true);
}

/* Whether @text is at offset 0 of @path; write it there (@put). */
static bool at_zero(const char *path, const char *text, bool put)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDWR | O_CLOEXEC);
	bool same;

	assert_true(fd >= 0);
	if (put)
		assert_int_equal(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
	assert_int_equal(pread(fd, buf, strlen(text), 0), (ssize_t)strlen(text));
	same = !memcmp(buf, text, strlen(text));
	close(fd);
	return same;
}

/* Whether the first 16 bytes of @path are zeros. */
static bool zeroed(const char *path)
{
	static const char zeros[16];
	char buf[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	close(fd);
	return !memcmp(buf, zeros, sizeof(buf));
}

/*
 * Sanitizing releases of tag A (fa, on the command line) and tag B (fg,
 * object-add'ed under a directory), replayed as owed (the bytes are back
 * in the files, as when a kill came before they ran), and fg's directory
 * moved away at the restart: the memory checks are off for that replay.
 * Before, it owed nothing for DC capacity: fa's bytes stayed, and fg's
 * when its directory came back.  Now what is owed on fa is zeroed, and
 * what is owed on fg is kept in the store and zeroed when fg is back (at
 * the next start, or @live: at the object-add that makes it again), once:
 * what is written there after that stays.
 */
static void backend_back(bool live)
{
	const char *dev = DEV ",sanitize-on-release=on";
	char sub[200], away[200], a_mem[220], g_mem[220], cmd[600];
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;

	assert_int_equal(dproc_init(&p), 0);
	snprintf(sub, sizeof(sub), "%s/gone", p.dir);
	snprintf(away, sizeof(away), "%s/away", p.dir);
	snprintf(a_mem, sizeof(a_mem), "%s/a.mem", p.dir);
	snprintf(g_mem, sizeof(g_mem), "%s/g.mem", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	state_args(&a, &p, NULL, dev, "--fm", p.fm_arg);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-file\",\"id\":\"fg\","
		 "\"size\":4194304,\"share\":true,\"mem-path\":\"%s\",\"tag\":\"" TAG_B "\"}}", g_mem);
	json_decref(expect_ok(qmp_client_cmd(c, cmd, TMO)));
	for (int i = 0; i < 2; i++) {
		json_decref(expect_ok(qmp_client_cmdf(c, TMO,
			"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
			"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"%s\","
			"\"extents\":[{\"offset\":%d,\"len\":2097152}]}}", i ? TAG_B : TAG_A, i * 2 * (int)MiB)));
		assert_int_equal(host_answer_all(c, "d0", 0), 1);
	}
	for (int i = 0; i < 2; i++)
		json_decref(expect_ok(qmp_client_cmdf(c, TMO,
			"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			"\"host-id\":0,\"removal-policy\":\"tag-based\",\"forced-removal\":true,"
			"\"tag\":\"%s\",\"region\":0}}", i ? TAG_B : TAG_A)));
	qmp_client_free(c);
	dproc_kill9(&p);
	at_zero(a_mem, "host 0 data A", true);          /* as if killed before they ran */
	at_zero(g_mem, "host 0 data B", true);
	assert_int_equal(rename(sub, away), 0);
	c = restart(&p, a.argv);
	assert_non_null(strstr(dproc_log(&p), "state: backend fg is unavailable"));
	if (!zeroed(a_mem))
		fail_msg("a.mem still holds host 0's data: the replay zeroed nothing with fg unavailable");
	assert_non_null(strstr(dproc_log(&p), "on unavailable backends: kept in the store"));
	assert_int_equal(rename(away, sub), 0);
	assert_true(at_zero(g_mem, "host 0 data B", false));
	if (live) {             /* made again by an object-add: zeroed before it answers */
		json_decref(expect_ok(qmp_client_cmd(c, cmd, TMO)));
		assert_non_null(strstr(dproc_log(&p), "state: backend fg is back: 1 range(s)"));
	}
	state_quit(&p, c);
	if (!live) {
		c = restart(&p, a.argv);
		state_quit(&p, c);
	}
	if (!zeroed(g_mem))
		fail_msg("g.mem still holds host 0's data now that fg is back");
	at_zero(g_mem, "written since", true);
	c = restart(&p, a.argv);
	state_quit(&p, c);
	if (!at_zero(g_mem, "written since", false))
		fail_msg("what was written on fg after it was zeroed was zeroed again");
}

static void test_what_a_replay_owes_an_unavailable_backend_is_zeroed_when_it_is_back(void **state)
{
	(void)state;
	backend_back(false);
}

static void test_what_a_replay_owes_an_unavailable_backend_is_zeroed_at_its_object_add(void **state)
{
	(void)state;
	backend_back(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_a_failed_snapshot_leaves_no_older_snapshot_file_behind,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_unrecorded_snapshot_file_is_ignored_and_removed_at_start,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_damaged_snapshot_stops_the_start_and_says_how_to_recover,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_second_daemon_on_the_same_state_is_refused,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_state_of_another_configuration_is_refused_and_kept,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_add_the_memory_refused_stays_refused_after_a_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_tag_another_device_bound_stays_refused_after_a_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_tag_another_device_bound_in_a_snapshot_stays_refused,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_tag_let_go_before_a_restart_is_free_for_another_device,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_tag_let_go_before_a_clean_stop_is_free_for_another_device,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_tag_let_go_before_a_snapshot_stays_refused_after_it,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_snapshot_tag_claim_naming_nothing_stops_the_start,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_full_tmpfs_refuses_unapplied_and_recovers,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_adds_on_a_vanished_backend_stay_in_the_model,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_adds_on_a_vanished_backend_of_a_snapshot_stay_in_the_model,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_what_a_replay_owes_an_unavailable_backend_is_zeroed_when_it_is_back,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_what_a_replay_owes_an_unavailable_backend_is_zeroed_at_its_object_add,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
