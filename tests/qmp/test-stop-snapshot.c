/* SPDX-License-Identifier: MIT */
/*
 * test-stop-snapshot.c - integration: the snapshot a clean stop writes
 * (docs/persistence.md, "Shutdown"), against the real daemon with --state
 * and the default snapshot interval (100,000 records: no periodic snapshot
 * here, so without the stop's snapshot every start replays the journal):
 *  - after quit, SIGTERM or SIGINT the next start loads a snapshot and
 *    replays 0 records, with the device query, both hosts' DC logs, the FM
 *    5603h extent lists and the file backend's bytes as before the stop;
 *  - a stop whose snapshot cannot be written (its .tmp name taken), or is
 *    written but not recorded (the store's writes fail, tests/support/
 *    faultfs.c), or is killed while it is written (its fdatasync held), logs
 *    why and leaves the journal the truth: the next start replays it and
 *    gives the same state;
 *  - a stop with a More chain staged writes none (the next start replays
 *    and discards the chain, as after a crash);
 *  - the stop leaves the models to the exit unless $CXLDCD_STOP_FREE=1 (or
 *    a sanitizer build) frees them; a snapshot larger than the buffer it is
 *    written through (a 12 MiB label area) restores the same;
 *  - the journal rows the stop's snapshot made obsolete are deleted by the
 *    next start once its loop runs, not before its first answer; the start
 *    logs where its time went ("start: ready ...").
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "dev-util.h"
#include "state-util.h"

#define DEV "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2,sanitize-on-release=on,trusted-hosts=on"

enum how { BY_QUIT, BY_SIGTERM, BY_SIGINT };

static void add_to(struct qmp_client *c, int host, const char *tag, uint64_t off)
{
	ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":%d,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"%s\","
		"\"extents\":[{\"offset\":%llu,\"len\":2097152}]}}", host, tag, (unsigned long long)off));
}

static void file_write(struct dproc *p, uint64_t off, const char *s)
{
	char path[200];
	int fd;

	snprintf(path, sizeof(path), "%s/a.mem", p->dir);
	assert_true((fd = open(path, O_RDWR)) >= 0);
	assert_int_equal(pwrite(fd, s, strlen(s) + 1, (off_t)off), (ssize_t)strlen(s) + 1);
	close(fd);
}

static void file_expect(struct dproc *p, uint64_t off, const char *s)
{
	char path[200], buf[64] = { 0 };
	int fd;

	snprintf(path, sizeof(path), "%s/a.mem", p->dir);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(pread(fd, buf, strlen(s) + 1, (off_t)off), (ssize_t)strlen(s) + 1);
	close(fd);
	assert_string_equal(buf, s);
}

/*
 * Some of everything: host 0 accepts TAG_A's extents, one released with
 * sanitize in between (zeroed: the stop's snapshot syncs the file first),
 * data written to the file; host 1 has TAG_B offers left pending.  One
 * journal record per request, so the journal holds a few dozen.
 */
static void build_state(struct dproc *p, struct qmp_client *c)
{
	add_to(c, 0, TAG_A, 0);
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	file_write(p, 0, "first life");
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
			  "\"removal-policy\":\"tag-based\",\"tag\":\"" TAG_A "\",\"region\":0}}", TMO));
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	file_expect(p, 0, "");
	for (uint64_t i = 0; i < 6; i++) {
		add_to(c, 0, TAG_A, (8 + 2 * i) * MiB);
		assert_int_equal(host_answer_all(c, "d0", 0), 1);
	}
	for (uint64_t i = 0; i < 3; i++)
		add_to(c, 1, TAG_B, 256 * MiB + 2 * i * MiB);
	file_write(p, 0, "second life");
	file_write(p, 10 * MiB, "last extent");
}

/* The FM's 5603h extent list of @host (up to 64 extents), as hex, into @all. */
static void add_fm_lists(struct qmp_client *c, json_t *all)
{
	for (int h = 0; h < 2; h++) {
		uint8_t in[12] = { 0 }, out[0x18 + 0x28 * 64];
		char key[16], *hex;
		size_t n;

		put16(in, (uint16_t)h);
		put32(in + 4, 64);
		assert_int_equal(qmp_cci(c, "d0", "fm", -1, 0x5603, in, sizeof(in), out, &n), 0);
		hex = calloc(1, 2 * n + 1);
		for (size_t i = 0; i < n; i++)
			sprintf(hex + 2 * i, "%02x", out[i]);
		snprintf(key, sizeof(key), "fm5603h%d", h);
		json_object_set_new(all, key, json_string(hex));
		free(hex);
	}
}

/* state_dump() and the FM's extent lists. */
static json_t *dump(struct qmp_client *c)
{
	json_t *all = state_dump(c);

	add_fm_lists(c, all);
	return all;
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

/* The log's last lines (cmocka's messages are short). */
static const char *log_tail(struct dproc *p)
{
	const char *l = dproc_log(p);
	size_t n = strlen(l);

	return n > 1500 ? l + n - 1500 : l;
}

/* Stop the daemon cleanly @how; it exits 0. */
static void stop_by(struct dproc *p, struct qmp_client *c, enum how how)
{
	if (how == BY_QUIT)
		ok(qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO));
	else
		assert_int_equal(kill(p->pid, how == BY_SIGTERM ? SIGTERM : SIGINT), 0);
	if (dproc_wait_exit(p, TMO) != 0)
		fail_msg("the daemon did not stop cleanly: %s", log_tail(p));
	qmp_client_free(c);
}

/* Start again; the QMP connection once the start is over. */
static struct qmp_client *restart(struct dproc *p, const struct state_args *a)
{
	struct qmp_client *c;

	assert_int_equal(dproc_start(p, a->argv), 0);
	c = state_connect(p);
	if (!c)
		fail_msg("restart failed: %s", log_tail(p));
	return c;
}

/* Start @p as @a says and build_state(): the QMP connection. */
static struct qmp_client *start_built(struct dproc *p, const struct state_args *a)
{
	struct qmp_client *c;

	assert_int_equal(dproc_start(p, a->argv), 0);
	assert_non_null(c = state_connect(p));
	build_state(p, c);
	return c;
}

/* The records the last start replayed ("N journal record(s) replayed"), -1 when it says none. */
static long replayed(struct dproc *p)
{
	const char *l = dproc_log(p), *q, *last = NULL;

	for (q = l; (q = strstr(q, " journal record(s) replayed")); q++)
		last = q;
	if (!last)
		return -1;
	while (last > l && last[-1] >= '0' && last[-1] <= '9')
		last--;
	return strtol(last, NULL, 10);
}

/* The name of the one snapshot-*.bin in the state directory ("" when none; several: a failure). */
static void the_snapshot(struct dproc *p, char *buf, size_t cap)
{
	char cmd[300];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ls %s | grep '^snapshot-'", p->state);
	assert_non_null(f = popen(cmd, "r"));
	n = fread(buf, 1, cap - 1, f);
	pclose(f);
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	assert_null(strchr(buf, '\n'));
}

/*
 * Stopped cleanly @how: the stop writes a snapshot of the state and records
 * it; the next start loads it, replays nothing and gives the same device
 * query, DC logs, FM extent lists and file bytes.  Before the change the
 * start replayed every record (no snapshot: the interval is 100,000).
 */
static void stop_and_restart(enum how how)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before;
	char snap[200];

	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, "512M", DEV, "--fm", p.fm_arg);
	c = start_built(&p, &a);
	before = dump(c);
	stop_by(&p, c, how);
	if (!strstr(dproc_log(&p), "written at stop"))
		fail_msg("no snapshot at stop: %s", log_tail(&p));
	the_snapshot(&p, snap, sizeof(snap));
	assert_non_null(strstr(snap, ".bin"));
	assert_null(strstr(snap, ".tmp"));
	c = restart(&p, &a);
	if (!strstr(dproc_log(&p), "loaded (journal seq="))
		fail_msg("the start loaded no snapshot: %s", log_tail(&p));
	assert_int_equal(replayed(&p), 0);
	assert_same_then_free(json_incref(before), dump(c));
	file_expect(&p, 0, "second life");
	file_expect(&p, 10 * MiB, "last extent");
	/* Once more, nothing new in between (the start may journal a marker): the same again. */
	stop_by(&p, c, how);
	c = restart(&p, &a);
	assert_int_equal(replayed(&p), 0);
	assert_same_then_free(before, dump(c));
	file_expect(&p, 0, "second life");
	qmp_client_free(c);
}

static void test_quit_writes_a_snapshot_and_the_next_start_replays_nothing(void **state)
{
	(void)state;
	stop_and_restart(BY_QUIT);
}

static void test_sigterm_writes_a_snapshot_and_the_next_start_replays_nothing(void **state)
{
	(void)state;
	stop_and_restart(BY_SIGTERM);
}

static void test_sigint_writes_a_snapshot_and_the_next_start_replays_nothing(void **state)
{
	(void)state;
	stop_and_restart(BY_SIGINT);
}

/* Write @what ("ENOSPC", ...) into the control file @path of the shim. */
static void set_fault(const char *path, const char *what)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(what, f);
	fclose(f);
}

/*
 * Start with tests/support/faultfs.c preloaded ($FAULTFS), its controls
 * DIR/fault (the store's writes, CXLDCD_FAULTFS) and DIR/snapfault (a
 * snapshot file's, CXLDCD_FAULTFS_SNAP), and @aux_env set to DIR/aux
 * unless NULL; build the state.
 */
static struct qmp_client *start_faulty(struct dproc *p, struct state_args *a, const char *aux_env)
{
	const char *shim = getenv("FAULTFS");
	char ctl[200], snap[200], aux[200];
	struct qmp_client *c;

	if (!shim)
		skip();
	snprintf(ctl, sizeof(ctl), "%s/fault", p->dir);
	snprintf(snap, sizeof(snap), "%s/snapfault", p->dir);
	snprintf(aux, sizeof(aux), "%s/aux", p->dir);
	state_args(a, p, "512M", DEV, "--fm", p->fm_arg);
	setenv("LD_PRELOAD", shim, 1);
	setenv("CXLDCD_FAULTFS", ctl, 1);
	setenv("CXLDCD_FAULTFS_SNAP", snap, 1);
	if (aux_env)
		setenv(aux_env, aux, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	c = start_built(p, a);
	unsetenv("LD_PRELOAD");
	unsetenv("CXLDCD_FAULTFS");
	unsetenv("CXLDCD_FAULTFS_SNAP");
	if (aux_env)
		unsetenv(aux_env);
	return c;
}

/* After a stop that left no snapshot: the next start replays the journal and gives @before. */
static void restarts_from_the_journal(struct dproc *p, const struct state_args *a, json_t *before)
{
	struct qmp_client *c;
	char snap[200];

	c = restart(p, a);
	if (strstr(dproc_log(p), "loaded (journal seq="))
		fail_msg("a snapshot was loaded: %s", log_tail(p));
	the_snapshot(p, snap, sizeof(snap));     /* a .tmp or an unrecorded file: removed */
	assert_string_equal(snap, "");
	assert_true(replayed(p) > 10);
	assert_same_then_free(before, dump(c));
	file_expect(p, 0, "second life");
	file_expect(p, 10 * MiB, "last extent");
	qmp_client_free(c);
}

/*
 * The stop's snapshot file cannot be written (the disk is full for it,
 * the shim's ENOSPC on the .tmp): a WARNING, exit 0, no file left; the
 * next start replays the journal and gives the same state.
 */
static void test_a_stop_whose_snapshot_cannot_be_written_restarts_from_the_journal(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before;
	char ctl[200], snap[200];

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start_faulty(&p, &a, NULL);
	before = dump(c);
	snprintf(ctl, sizeof(ctl), "%s/snapfault", p.dir);
	set_fault(ctl, "ENOSPC");
	stop_by(&p, c, BY_SIGTERM);
	if (!strstr(dproc_log(&p), "cannot write the snapshot at stop") ||
	    !strstr(dproc_log(&p), "No space left on device"))
		fail_msg("no warning: %s", log_tail(&p));
	unlink(ctl);
	the_snapshot(&p, snap, sizeof(snap));
	assert_string_equal(snap, "");          /* its .tmp removed */
	restarts_from_the_journal(&p, &a, before);
}

/*
 * The file is written but the store cannot record it (its writes fail):
 * a WARNING, the file removed, exit 0; the next start replays the journal.
 */
static void test_a_stop_whose_snapshot_is_not_recorded_restarts_from_the_journal(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before;
	char ctl[200];

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start_faulty(&p, &a, NULL);
	before = dump(c);
	snprintf(ctl, sizeof(ctl), "%s/fault", p.dir);
	set_fault(ctl, "EIO");
	stop_by(&p, c, BY_SIGTERM);
	if (!strstr(dproc_log(&p), "cannot record snapshot"))
		fail_msg("no warning: %s", log_tail(&p));
	unlink(ctl);
	restarts_from_the_journal(&p, &a, before);
}

/*
 * Killed while the stop writes its snapshot (held in the .tmp's
 * fdatasync): the next start removes the .tmp, replays the journal and
 * gives the same state.
 */
static void test_a_kill_while_the_stop_snapshot_is_written_leaves_the_journal_whole(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before;
	char hold[200], cmd[300], buf[300] = "";
	FILE *f;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start_faulty(&p, &a, "CXLDCD_FAULTFS_SNAP_HOLD");
	before = dump(c);
	snprintf(hold, sizeof(hold), "%s/aux", p.dir);
	set_fault(hold, "");
	assert_int_equal(kill(p.pid, SIGTERM), 0);
	snprintf(cmd, sizeof(cmd), "ls %s | grep '^snapshot-.*\\.bin\\.tmp$'", p.state);
	for (int i = 0; !buf[0] && i < TMO / 10; i++) {
		usleep(10000);
		assert_non_null(f = popen(cmd, "r"));
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		pclose(f);
	}
	if (!buf[0])
		fail_msg("the stop wrote no snapshot: %s", log_tail(&p));
	dproc_kill9(&p);
	qmp_client_free(c);
	unlink(hold);
	restarts_from_the_journal(&p, &a, before);
}

/*
 * Something was zeroed since the recorded snapshot (build_state()'s
 * sanitizing release): the stop syncs the file backend before it writes
 * the snapshot that drops the release's record (as the periodic child
 * does), so a power loss cannot bring the old bytes back with no record
 * left to zero them again.
 */
static void test_the_stop_snapshot_syncs_what_it_drops_zeroed_first(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char trace[200], buf[4096] = "";
	const char *mem, *snap;
	FILE *f;
	size_t n;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	c = start_faulty(&p, &a, "CXLDCD_FAULTFS_TRACE");
	snprintf(trace, sizeof(trace), "%s/aux", p.dir);
	unlink(trace);          /* the syncs of the stop only */
	stop_by(&p, c, BY_SIGTERM);
	assert_non_null(f = fopen(trace, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	mem = strstr(buf, "a.mem\n");
	snap = strstr(buf, ".bin.tmp\n");
	if (!mem || !snap || mem > snap)
		fail_msg("syncs at the stop, in order:\n%s", buf);
}

/*
 * A stop while host 0 has a More chain staged writes no snapshot (as a
 * periodic one waits for a quiet round): the next start replays the
 * journal and discards the chain, as after a crash.
 */
static void test_a_stop_with_a_more_chain_staged_writes_no_snapshot(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before;
	uint8_t in[8 + 0x18];
	struct cxldcd_event ev[64];

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, "512M", DEV, "--fm", p.fm_arg);
	c = start_built(&p, &a);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			  "\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A
			  "\",\"extents\":[{\"offset\":41943040,\"len\":2097152},"
			  "{\"offset\":46137344,\"len\":2097152}]}}", TMO));
	assert_int_equal(host_read_dc_log(c, "d0", 0, ev, 64), 2);
	before = dump(c);       /* first: any other command on host 0's mailbox ends the chain */
	memset(in, 0, sizeof(in));
	put32(in, 1);
	in[4] = 1;              /* More: the rest of the answer follows */
	put64(in + 8, ev[0].dc_extent.dpa);
	put64(in + 16, ev[0].dc_extent.len);
	assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x4802, in, sizeof(in), NULL, NULL), 0);
	stop_by(&p, c, BY_SIGTERM);
	if (!strstr(dproc_log(&p), "no snapshot at stop: device d0 has a More chain staged"))
		fail_msg("no notice: %s", log_tail(&p));
	restarts_from_the_journal(&p, &a, before);
}

/* The argv of @a with @x and @y appended (its 16 slots hold them). */
static void args_add(struct state_args *a, const char *x, const char *y)
{
	size_t n = 0;

	while (a->argv[n])
		n++;
	assert_true(n + 2 < sizeof(a->argv) / sizeof(a->argv[0]));
	a->argv[n++] = x;
	a->argv[n++] = y;
	a->argv[n] = NULL;
}

/*
 * Which teardown a stop runs (docs/persistence.md, "Shutdown"): by default
 * each device's model is left to the exit (freed item by item only in a
 * sanitizer build, whose leak check then covers it); $CXLDCD_STOP_FREE=1
 * frees it.  Either way the stop exits 0, its snapshot gives the same
 * state, and the file backend holds what the host wrote.
 */
static void test_a_stop_leaves_the_models_to_the_exit_unless_asked_to_free_them(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, "512M", DEV, "--fm", p.fm_arg);
	args_add(&a, "--log-level", "info");
	c = start_built(&p, &a);
	before = dump(c);
	stop_by(&p, c, BY_SIGTERM);
	if (!strstr(dproc_log(&p), DPROC_SANITIZED ? "stop: device models freed" :
			"stop: device models left to the exit"))
		fail_msg("not the default teardown: %s", log_tail(&p));
	setenv("CXLDCD_STOP_FREE", "1", 1);
	c = restart(&p, &a);
	unsetenv("CXLDCD_STOP_FREE");
	assert_int_equal(replayed(&p), 0);
	assert_same_then_free(json_incref(before), dump(c));
	add_to(c, 1, TAG_B, 256 * MiB + 16 * MiB);      /* one more record: the stop writes again */
	json_decref(before);
	before = dump(c);
	stop_by(&p, c, BY_SIGTERM);
	if (!strstr(dproc_log(&p), "stop: device models freed ($CXLDCD_STOP_FREE=1"))
		fail_msg("$CXLDCD_STOP_FREE=1 did not free the models: %s", log_tail(&p));
	c = restart(&p, &a);
	assert_int_equal(replayed(&p), 0);
	assert_same_then_free(before, dump(c));
	file_expect(&p, 0, "second life");
	file_expect(&p, 10 * MiB, "last extent");
	qmp_client_free(c);
}

/*
 * A snapshot many times larger than the buffer it is written through
 * (1 MiB), with one piece larger than it: a device whose label storage area (a 12 MiB memory-backend-ram, so its bytes are only in
 * the model and the snapshot) was written at both ends.  The file is
 * written in pieces, the CRC kept across them; the next start loads it and
 * gives the same labels and state.
 */
static void test_a_stop_snapshot_larger_than_its_write_buffer_restores_the_same(void **state)
{
	uint8_t set[8 + 8] = { 0 }, get[8] = { 0 }, out[64];
	static const uint32_t at[2] = { 0, 12 * MiB - 8 };
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before;
	const char *q;
	size_t n;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, "512M", DEV ",lsa=lsa0", "--fm", p.fm_arg);
	args_add(&a, "-object", "memory-backend-ram,id=lsa0,size=12M");
	c = start_built(&p, &a);
	for (int i = 0; i < 2; i++) {
		put32(set, at[i]);
		memcpy(set + 8, i ? "lastlabl" : "frstlabl", 8);
		assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x4103, set, sizeof(set), NULL, NULL), 0);
	}
	before = dump(c);
	stop_by(&p, c, BY_QUIT);
	if (!(q = strstr(dproc_log(&p), "written at stop (journal seq=")) || !(q = strstr(q, ", ")) ||
	    strtoull(q + 2, NULL, 10) < 12 * MiB)
		fail_msg("no snapshot of more than 12 MiB at stop: %s", log_tail(&p));
	c = restart(&p, &a);
	assert_int_equal(replayed(&p), 0);
	assert_same_then_free(before, dump(c));
	for (int i = 0; i < 2; i++) {
		put32(get, at[i]);
		put32(get + 4, 8);
		assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x4102, get, sizeof(get), out, &n), 0);
		assert_int_equal(n, 8);
		assert_memory_equal(out, i ? "lastlabl" : "frstlabl", 8);
	}
	file_expect(&p, 0, "second life");
	qmp_client_free(c);
}

/* CRC32C (Castagnoli, reflected) one bit at a time: the file's trailer, computed apart. */
static uint32_t crc32c_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return ~c;
}

static uint64_t le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/*
 * The stop writes each device's length before its bytes although it learns
 * the length only once the bytes are written (it patches the length in
 * and combines the CRC32C around it, persist.c snap_build_dev()): the file
 * is laid out as the format says.  Two devices, the first larger than the
 * write buffer (a 12 MiB label area), and a tag claim after them: read
 * here field by field, each device's length is that of a core snapshot
 * ("CXLDSNAP" then its bytes) ending where the next part starts, and the
 * trailer is the CRC32C of every byte before it (computed bit by bit
 * here); the next start loads it and gives the same state.
 */
static void test_a_stop_snapshot_of_two_devices_is_laid_out_as_the_format_says(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before;
	char snap[200], path[600];
	uint8_t *f;
	uint8_t set[8 + 8] = { 0 };
	size_t off = 16, len;
	uint64_t nr;
	struct stat sb;
	FILE *fp;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, "512M", DEV ",lsa=lsa0", "--fm", p.fm_arg);
	args_add(&a, "-object", "memory-backend-ram,id=lsa0,size=12M");
	args_add(&a, "-device", "cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=256M,num-hosts=1");
	c = start_built(&p, &a);
	put32(set, 12 * MiB - 8);                               /* a label at the end: 12 MiB kept */
	memcpy(set + 8, "lastlabl", 8);
	assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x4103, set, sizeof(set), NULL, NULL), 0);
	before = dump(c);
	stop_by(&p, c, BY_SIGTERM);
	the_snapshot(&p, snap, sizeof(snap));
	snprintf(path, sizeof(path), "%s/%s", p.state, snap);
	assert_int_equal(stat(path, &sb), 0);
	len = (size_t)sb.st_size;
	assert_true(len > 12 * MiB);
	assert_non_null(f = malloc(len));
	assert_non_null(fp = fopen(path, "rb"));
	assert_int_equal(fread(f, 1, len, fp), len);
	fclose(fp);
	assert_memory_equal(f, "CXLDDSN1", 8);
	nr = le(f + off, 4);                                    /* after the magic and seq */
	off += 4;
	for (uint64_t i = 0; i < nr; i++)
		off += 4 + le(f + off, 4);                      /* the backends' JSON */
	assert_int_equal(le(f + off, 4), 2);
	off += 4;
	for (uint32_t d = 0; d < 2; d++) {
		uint64_t n;

		assert_int_equal(le(f + off, 4), d);
		n = le(f + off + 4, 8);
		off += 12;
		assert_true(n > 12 && n <= len - 4 - off);
		assert_memory_equal(f + off, "CXLDSNAP", 8);
		if (d == 0)
			assert_true(n > 12 * MiB);
		off += n;
	}
	assert_int_equal(le(f + off, 4), 1);                    /* one tag claim: device 0's "fa" */
	assert_int_equal(le(f + off + 4, 4), 0);
	assert_int_equal(le(f + off + 8, 4), 2);
	assert_memory_equal(f + off + 12, "fa", 2);
	assert_int_equal(off + 14, len - 4);
	assert_int_equal(le(f + len - 4, 4), crc32c_bitwise(f, len - 4));
	free(f);
	c = restart(&p, &a);
	assert_int_equal(replayed(&p), 0);
	assert_same_then_free(before, dump(c));
	qmp_client_free(c);
}

/* The journal rows at or below the store's journal_base (what a trim deletes), read beside the daemon. */
static long obsolete_rows(struct dproc *p)
{
	char path[300];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;

	snprintf(path, sizeof(path), "%s/cxldcd.db", p->state);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM journal WHERE seq <= (SELECT value FROM meta "
			       "WHERE key = 'journal_base')", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * After a clean stop the journal rows up to the stop's snapshot are
 * obsolete; the next start loads the snapshot and deletes them in slices
 * from its loop's rounds, after their answers.  Before, the first slice
 * (2,000 rows, ~2.5 ms on the benchmark's VM) ran before the loop, so
 * every restart's first answer waited for it: with no client the rows
 * were gone once the start said it was ready.  Now they stay until a
 * round runs (none does with no client, no timer), then go.  The start
 * also says where its time went.
 */
static void test_the_rows_a_stop_snapshot_dropped_go_after_the_start_is_ready(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	long rows;
	const char *l;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, "512M", DEV, "--fm", p.fm_arg);
	c = start_built(&p, &a);
	stop_by(&p, c, BY_SIGTERM);
	rows = obsolete_rows(&p);
	assert_true(rows > 10);         /* a row per request of build_state(), none deleted yet */
	assert_int_equal(dproc_start(&p, a.argv), 0);
	if (dproc_wait_count(&p, "stderr.log", "cxldcd: start: ready", 2, TMO) != 2)
		fail_msg("the start did not say it was ready: %s", log_tail(&p));
	usleep(200 * 1000);             /* what a slice before the loop would have taken, and more */
	assert_int_equal(obsolete_rows(&p), rows);
	assert_non_null(c = state_connect(&p));
	for (int i = 0; i < 500 && obsolete_rows(&p); i++)
		usleep(10 * 1000);
	assert_int_equal(obsolete_rows(&p), 0);
	assert_int_equal(replayed(&p), 0);
	l = strstr(strstr(dproc_log(&p), "written at stop"), "cxldcd: start: ready ");
	assert_non_null(l);
	assert_non_null(strstr(l, " ms of CPU since the exec: "));
	assert_non_null(strstr(l, " before main() (exec, dynamic linking), store opened "));
	assert_non_null(strstr(l, ", state restored "));
	assert_non_null(strstr(l, ", memory bound "));
	qmp_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_quit_writes_a_snapshot_and_the_next_start_replays_nothing,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_sigterm_writes_a_snapshot_and_the_next_start_replays_nothing,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_sigint_writes_a_snapshot_and_the_next_start_replays_nothing,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_stop_whose_snapshot_cannot_be_written_restarts_from_the_journal,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_stop_whose_snapshot_is_not_recorded_restarts_from_the_journal,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_kill_while_the_stop_snapshot_is_written_leaves_the_journal_whole,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_the_stop_snapshot_syncs_what_it_drops_zeroed_first,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_stop_with_a_more_chain_staged_writes_no_snapshot,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_stop_leaves_the_models_to_the_exit_unless_asked_to_free_them,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_stop_snapshot_larger_than_its_write_buffer_restores_the_same,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_the_rows_a_stop_snapshot_dropped_go_after_the_start_is_ready,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_stop_snapshot_of_two_devices_is_laid_out_as_the_format_says,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
