/* SPDX-License-Identifier: MIT */
/*
 * test-durability-replay.c - integration: what a restart replays
 * (docs/persistence.md, "Crash semantics").  A kill during the replay
 * changes nothing; a pending timeout's expiry is journaled; a sanitizing
 * release or a Set LSA killed before it ran (its record durable, the
 * faultfs shim holding the fsync) is done by the replay, and a Set LSA
 * that ran is not written again.
 */
#include "faults-util.h"

/* The device, both hosts' DC logs and interrupt policies (0102h): what a restart must give. */
static json_t *replay_dump(struct qmp_client *c)
{
	json_t *all = state_dump(c);

	for (int h = 0; h < 2; h++) {
		uint8_t out[16];
		size_t n = 0;
		char key[16];

		assert_int_equal(qmp_cci(c, "d0", "mailbox", h, 0x0102, NULL, 0, out, &n), 0);
		snprintf(key, sizeof(key), "policy%d", h);
		json_object_set_new(all, key, json_integer(n >= 4 ? out[0] | out[1] << 8 | out[2] << 16 | (json_int_t)out[3] << 24 : -1));
	}
	return all;
}

/*
 * A second crash while the journal is replayed at start (kill -9 while QMP
 * says "device is starting: replaying the state journal (record N of M)",
 * N < M): the replay writes nothing, so the next start gives exactly what a
 * start that was never interrupted gives (the same store copied before).
 */
static void test_a_kill_during_replay_changes_nothing(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char copy[200], cmd[600];
	const char *argv2[16];
	json_t *interrupted, *clean;
	unsigned long long at = 0, of = 0;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	setenv("CXLDCD_SNAPSHOT_EVERY", "0", 1);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));
	qmp_client_free(c);
	dproc_kill9(&p);
	journal_append_policies(p.state, 200000, 2);
	snprintf(copy, sizeof(copy), "%s/state-copy", p.dir);
	snprintf(cmd, sizeof(cmd), "cp -a %s %s", p.state, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	for (int i = 0; i < 1000 && !at; i++) {
		json_t *r = qmp_client_cmd(c, "{\"execute\":\"query-cxl-devices\"}", TMO);
		const char *d = r && !json_object_get(r, "return") ? qmp_client_err_desc(r) : NULL;

		if (d && strstr(d, "replaying the state journal"))
			sscanf(strstr(d, "(record "), "(record %llu of %llu)", &at, &of);
		json_decref(r);
		if (!d)
			fail_msg("the replay ended before the kill: raise the record count");
	}
	dproc_kill9(&p);
	qmp_client_free(c);
	print_message("killed while replaying record %llu of %llu\n", at, of);
	assert_true(at > 0 && at < of);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	interrupted = replay_dump(c);
	qmp_client_free(c);
	dproc_kill9(&p);
	/* the same arguments on the untouched copy */
	memcpy(argv2, a.argv, sizeof(argv2));
	for (int i = 0; argv2[i]; i++)
		if (!strcmp(argv2[i], "--state"))
			argv2[i + 1] = copy;
	assert_int_equal(dproc_start(&p, argv2), 0);
	c = state_connect(&p);
	clean = replay_dump(c);
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	if (!json_equal(interrupted, clean))
		fail_msg("a kill during replay changed the state:\ninterrupted %s\nclean %s",
			 json_dumps(interrupted, JSON_SORT_KEYS), json_dumps(clean, JSON_SORT_KEYS));
	json_decref(interrupted);
	json_decref(clean);
	qmp_client_free(c);
}

static int count_ticks(void *opaque, const struct store_rec *rec)
{
	*(unsigned *)opaque += rec->kind == STORE_REC_TICK;
	return 0;
}

/*
 * The pending-timeout tick joins the group commit like a request: an offer
 * nobody answers expires (its group leaves the pending list) once its
 * record is durable, and the expiry is there after SIGKILL and restart.
 */
static void test_pending_timeout_expiry_is_journaled(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	size_t nr_pending = 1;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV ",pending-timeout-ms=100", "--fm", p.fm_arg);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));            /* offered to host 0, never answered */
	for (int i = 0; i < 300 && nr_pending; i++) {
		usleep(10000);
		nr_pending = host_pending(c, 0);
	}
	assert_int_equal(nr_pending, 0);              /* expired */
	qmp_client_free(c);
	dproc_kill9(&p);
	{
		struct store *st;
		char err[256];
		unsigned ticks = 0;

		assert_int_equal(store_open(p.state, &st, err, sizeof(err)), 0);
		assert_int_equal(store_journal_replay(st, count_ticks, &ticks), 0);
		assert_int_equal(ticks, 1);           /* the expiry's record */
		store_close(st);
	}
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	assert_int_equal(host_pending(c, 0), 0);
	qmp_client_free(c);
}

/*
 * A sanitizing forced release is committed (its WAL frames written, the
 * sync held by the shim) and the daemon is killed before it runs: after
 * the restart the release is in the state (the capacity is free and may
 * go to another host), so its sanitize must have happened too.  The
 * capacity's bytes in the memory-backend-file are host 0's until then
 * (what a clean stop wrote back, or a trusted host wrote).
 */
static void test_a_sanitizing_release_killed_before_it_ran_is_sanitized_at_restart(void **state)
{
	const char *dev = DEV ",sanitize-on-release=on";
	static const char secret[] = "host 0 data";
	char hold[200], buf[sizeof(secret)], zero[sizeof(secret)] = { 0 };
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *x;
	int fd[1];
	FILE *f;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, dev, "--fm", p.fm_arg);
	start_holding(&p, &a, hold, sizeof(hold));
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	state_file_write(&p, "a.mem", 0, secret);
	assert_non_null(f = fopen(hold, "w"));
	fclose(f);
	assert_int_equal(qmp_client_send_raw(c, forced, strlen(forced)), 0);
	fd[0] = qmp_client_fd(c);
	assert_silent(fd, 1, 300);              /* committed, held in the fsync, not run */
	dproc_kill9(&p);
	unlink(hold);
	qmp_client_free(c);
	state_file_read(&p, "a.mem", 0, buf, sizeof(buf));
	assert_memory_equal(buf, secret, sizeof(buf));  /* it never ran */
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(&p));
	x = host0_extents(c);
	assert_int_equal(json_array_size(x), 0);        /* the release is in the state */
	json_decref(x);
	state_file_read(&p, "a.mem", 0, buf, sizeof(buf));
	if (memcmp(buf, zero, sizeof(buf)))
		fail_msg("released with sanitize, free, and still holds '%.*s'", (int)sizeof(buf), buf);
	/* Host 1 gets the capacity: it reads zeros. */
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			     "\"host-id\":1,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\""
			     TAG_A "\",\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	assert_int_equal(host_answer_all(c, "d0", 1), 1);
	state_quit(&p, c);
	state_file_read(&p, "a.mem", 0, buf, sizeof(buf));    /* written back at the clean stop */
	assert_memory_equal(buf, zero, sizeof(buf));
}

/* Get LSA (4102h) of 8 bytes at @off through host 0's QMP mailbox, into @out. */
/*
 * The device with --state and --fm, its LSA a 128 KiB memory-backend-file
 * lsa.mem (made empty) in p's directory; @obj (300 bytes) holds the -object.
 */
static void lsa_state_args(struct state_args *a, const struct dproc *p, char *obj)
{
	char path[300];
	size_t n = 0;
	FILE *f;

	state_args(a, p, NULL, DEV ",lsa=lsa0", "--fm", p->fm_arg);
	while (a->argv[n])
		n++;
	snprintf(obj, 300, "memory-backend-file,id=lsa0,size=128K,share=on,mem-path=%s/lsa.mem",
		 p->dir);
	a->argv[n++] = "-object";
	a->argv[n++] = obj;
	a->argv[n] = NULL;
	snprintf(path, sizeof(path), "%s/lsa.mem", p->dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(ftruncate(fileno(f), 128 * 1024), 0);
	fclose(f);
}

static void lsa_get(struct qmp_client *c, uint32_t off, uint8_t *out)
{
	uint8_t get[8] = { 0 }, buf[64];
	size_t n;

	put32(get, off);
	put32(get + 4, 8);
	assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x4102, get, 8, buf, &n), 0);
	assert_int_equal(n, 8);
	memcpy(out, buf, 8);
}

/*
 * Set LSA (4103h) writes the label bytes into the lsa backend's file when
 * it runs; the file is the LSA's truth at the next start (lsa_load()).
 * Committed (the sync held by the shim) and killed before it ran: after
 * the restart the request is in the state, so Get LSA must show its bytes
 * - before, the file's older label, loaded over the replayed one, came
 * back.  And the file holds them, for the start after, which shows what
 * the file holds then (not the replayed bytes again).
 */
static void test_a_set_lsa_killed_before_it_ran_is_in_the_lsa_after_restart(void **state)
{
	static const char set_lsa[] =
		"{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"mailbox\","
		"\"host-id\":0,\"opcode\":16643,\"payload\":\"00100000000000006e65776c6162656c\"}}";
	char hold[200], lsa_obj[300], buf[8];
	uint8_t got[8];
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	int fd[1];
	FILE *f;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	lsa_state_args(&a, &p, lsa_obj);
	state_file_write(&p, "lsa.mem", 0x1000, "OLDLABEL");
	start_holding(&p, &a, hold, sizeof(hold));
	assert_non_null(c = dproc_connect(&p, TMO));
	lsa_get(c, 0x1000, got);
	assert_memory_equal(got, "OLDLABEL", 8);
	assert_non_null(f = fopen(hold, "w"));
	fclose(f);
	assert_int_equal(qmp_client_send_raw(c, set_lsa, strlen(set_lsa)), 0);
	fd[0] = qmp_client_fd(c);
	assert_silent(fd, 1, 300);              /* committed, held in the fsync, not run */
	dproc_kill9(&p);
	unlink(hold);
	qmp_client_free(c);
	state_file_read(&p, "lsa.mem", 0x1000, buf, 8);
	assert_memory_equal(buf, "OLDLABEL", 8); /* it never ran */
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(&p));
	lsa_get(c, 0x1000, got);
	if (memcmp(got, "newlabel", 8))
		fail_msg("Set LSA committed before the kill; after the restart the LSA holds '%.8s'",
			 (const char *)got);
	state_quit(&p, c);
	state_file_read(&p, "lsa.mem", 0x1000, buf, 8);
	assert_memory_equal(buf, "newlabel", 8);
	/* The file stays the truth: a label written there while the daemon is down is what it shows. */
	state_file_write(&p, "lsa.mem", 0x1000, "EXTERNAL");
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(&p));
	lsa_get(c, 0x1000, got);
	if (memcmp(got, "EXTERNAL", 8))
		fail_msg("a later restart wrote the replayed Set LSA again: the LSA holds '%.8s'",
			 (const char *)got);
	state_quit(&p, c);
}

/*
 * A Set LSA that ran (answered), a clean stop, and a label written into the
 * file while the daemon is down: the restart replays the Set LSA, and the
 * LSA shows the file's label (the proof record after the Set LSA's group
 * says it ran, so the replay does not write its bytes again).
 */
static void test_a_set_lsa_that_ran_is_not_written_again_by_the_replay(void **state)
{
	uint8_t set[8 + 8] = { 0 }, out[64], got[8];
	char lsa_obj[300];
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	size_t n = 0;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	lsa_state_args(&a, &p, lsa_obj);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = state_connect(&p));
	put32(set, 0x1000);
	memcpy(set + 8, "newlabel", 8);
	assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x4103, set, sizeof(set), out, &n), 0);
	state_quit(&p, c);
	state_file_write(&p, "lsa.mem", 0x1000, "EXTERNAL");
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(&p));
	lsa_get(c, 0x1000, got);
	if (memcmp(got, "EXTERNAL", 8))
		fail_msg("the replay wrote a Set LSA that had run again: the LSA holds '%.8s'",
			 (const char *)got);
	state_quit(&p, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_a_kill_during_replay_changes_nothing, dproc_reap_all),
		cmocka_unit_test_teardown(test_pending_timeout_expiry_is_journaled, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_set_lsa_killed_before_it_ran_is_in_the_lsa_after_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_set_lsa_that_ran_is_not_written_again_by_the_replay,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_sanitizing_release_killed_before_it_ran_is_sanitized_at_restart,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
