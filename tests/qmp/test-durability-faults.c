/* SPDX-License-Identifier: MIT */
/*
 * test-durability-faults.c - integration: the store fails under the daemon
 * (docs/persistence.md, "When the store fails").  The daemon runs with
 * tests/support/faultfs.c preloaded ($FAULTFS), which makes writes and syncs
 * of cxldcd.db and its WAL fail with ENOSPC, EIO or EFBIG while a control
 * file says so.  While the store fails, a mutating request is refused
 * unapplied: a forced release emits no CXL_DC_FORCED_RELEASE, logs no
 * record and keeps the extent, the FM socket answers Internal Error (0004h)
 * and the daemon keeps answering reads.  When writes work again the same
 * requests succeed, and after SIGKILL and a restart only what succeeded is
 * there.  Also: files of a store made in a 0755 directory are owner-only,
 * a damaged store or journal record stops the start and says how to
 * recover, and a backend whose path vanished fails that backend only.
 */
#include "faults-util.h"

static size_t nr_host0_extents(struct qmp_client *c)
{
	json_t *x = host0_extents(c);
	size_t n = json_array_size(x);

	json_decref(x);
	return n;
}

/* Records in host 0's DC log, read without clearing (a read: never journaled). */
static unsigned dc_log_records(struct qmp_client *c)
{
	uint8_t in[1] = { CXLDCD_LOG_DC }, out[4096];
	struct cxldcd_event ev[64];
	struct cci_get_events_out h;
	size_t n;

	assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x0100, in, 1, out, &n), 0);
	assert_int_equal(cci_dec_get_events_out(out, n, &h, ev, 64), 0);
	return h.nr_records;
}

static void test_full_disk_refuses_changes_unapplied_and_recovers(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *r, *ev;
	int fm;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	start_faulty(&p, &a);
	assert_non_null(c = dproc_connect(&p, TMO));
	fm = dproc_connect_unix(p.fm, TMO);
	assert_true(fm >= 0);
	ok(qmp_client_cmd(c, add_a, TMO));
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	assert_int_equal(nr_host0_extents(c), 1);
	assert_int_equal(dc_log_records(c), 0);

	/* Disk full: the forced release is refused before the model sees it. */
	fault("ENOSPC");
	r = qmp_client_cmd(c, forced, TMO);
	expect_err_part(json_incref(r), "the request was not applied");
	expect_err_part(r, "full");
	assert_null(qmp_client_event(c, "CXL_DC_FORCED_RELEASE", 300));
	assert_int_equal(nr_host0_extents(c), 1);       /* reads keep working */
	assert_int_equal(dc_log_records(c), 0);         /* no Forced Release record */
	assert_int_equal(fm_add_ref(fm), 0x04);         /* FM socket: Internal Error */
	/* A host's Clear Event Records is a change too: refused, QMP error text. */
	expect_err_part(qmp_client_cmd(c, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"mailbox\",\"host-id\":0,\"opcode\":257,\"payload\":\"040000000000\"}}", TMO),
			"the request was not applied");

	/* object-add: the backend made for it goes again; object-del keeps it. */
	r = qmp_client_cmdf(c, TMO, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"rx\",\"size\":268435456}}");
	expect_err_part(r, "the request was not applied");
	r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-memdev\"}", TMO));
	{
		char *t = json_dumps(ret_of(r), 0);

		assert_null(strstr(t, "\"rx\""));
		free(t);
	}
	json_decref(r);

	/* EIO and EFBIG the same. */
	fault("EIO");
	expect_err_part(qmp_client_cmd(c, forced, TMO), "the request was not applied");
	fault("EFBIG");
	expect_err_part(qmp_client_cmd(c, forced, TMO), "the request was not applied");
	assert_null(qmp_client_event(c, "CXL_DC_FORCED_RELEASE", 100));
	assert_int_equal(nr_host0_extents(c), 1);

	/* Space is back: the next request is stored and runs. */
	fault(NULL);
	assert_int_not_equal(fm_add_ref(fm), 0x04);    /* runs: the model's own answer */
	close(fm);
	ok(qmp_client_cmd(c, forced, TMO));
	ev = qmp_client_event(c, "CXL_DC_FORCED_RELEASE", TMO);
	assert_non_null(ev);
	json_decref(ev);
	assert_int_equal(nr_host0_extents(c), 0);
	ok(qmp_client_cmd(c, add_a, TMO));
	assert_int_equal(host_answer_all(c, "d0", 0), 2);   /* Forced Release + Add Capacity */
	assert_int_equal(nr_host0_extents(c), 1);
	fault("ENOSPC");
	expect_err_part(qmp_client_cmd(c, forced, TMO), "the request was not applied");
	fault(NULL);

	/* Killed now: the refused release is not in the journal, the extent is there. */
	qmp_client_free(c);
	dproc_kill9(&p);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	assert_int_equal(nr_host0_extents(c), 1);
	assert_int_equal(dc_log_records(c), 0);
	ok(qmp_client_cmd(c, forced, TMO));
	ev = qmp_client_event(c, "CXL_DC_FORCED_RELEASE", TMO);
	assert_non_null(ev);
	json_decref(ev);
	assert_int_equal(nr_host0_extents(c), 0);
	qmp_client_free(c);
	dproc_kill9(&p);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	assert_int_equal(nr_host0_extents(c), 0);
	qmp_client_free(c);
}

static void test_store_files_are_owner_only_in_a_0755_directory(void **state)
{
	static const char *const names[] = { "cxldcd.db", "cxldcd.db-wal", "cxldcd.db-shm",
					     "cxldcd.lock" };
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char path[300];
	struct stat sb;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	assert_int_equal(mkdir(p.state, 0755), 0);
	assert_int_equal(chmod(p.state, 0755), 0);
	make_args(&a, &p);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));   /* a commit: the WAL and its index exist */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", p.state, names[i]);
		if (stat(path, &sb))
			fail_msg("%s: %s", path, strerror(errno));
		if ((sb.st_mode & 0777) != 0600)
			fail_msg("%s has mode %o, not 0600", path, sb.st_mode & 0777);
	}
	qmp_client_free(c);
}

/* The daemon refuses a damaged store, naming the file and what is wrong, and changes nothing. */
static void test_damaged_store_refuses_to_start(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char db[300];
	struct stat sb;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));
	qmp_client_free(c);
	dproc_kill9(&p);        /* a clean stop's snapshot would cover seq 1 */
	snprintf(db, sizeof(db), "%s/cxldcd.db", p.state);

	assert_int_equal(truncate(db, 1), 0);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_int_equal(dproc_wait_exit(&p, TMO), 1);
	assert_non_null(strstr(dproc_log(&p), db));
	assert_non_null(strstr(dproc_log(&p), "not a database (1 bytes"));
	assert_non_null(strstr(dproc_log(&p), "restore it, or move it away to start a new device"));

	assert_int_equal(truncate(db, 0), 0);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_int_equal(dproc_wait_exit(&p, TMO), 1);
	assert_non_null(strstr(dproc_log(&p), "is empty (0 bytes)"));
	assert_int_equal(stat(db, &sb), 0);
	assert_int_equal(sb.st_size, 0);      /* not made into a new store */
}

/*
 * A backend added by object-add whose mem-path directory vanished fails
 * alone: the daemon starts, says which backend, keeps the model's state and
 * the other backends.
 */
static void test_vanished_backend_path_fails_that_backend_only(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char sub[200], cmd[600];
	json_t *r;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	snprintf(sub, sizeof(sub), "%s/gone", p.dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-file\",\"id\":\"fg\","
		 "\"size\":2097152,\"share\":true,\"mem-path\":\"%s/g.mem\"}}", sub);
	ok(qmp_client_cmd(c, cmd, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	qmp_client_free(c);
	dproc_kill9(&p);
	snprintf(cmd, sizeof(cmd), "%s/g.mem", sub);
	assert_int_equal(unlink(cmd), 0);
	assert_int_equal(rmdir(sub), 0);

	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	assert_non_null(strstr(dproc_log(&p), "backend fg is unavailable"));
	assert_int_equal(nr_host0_extents(c), 1);
	r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-memdev\"}", TMO));
	assert_int_equal(json_array_size(json_object_get(r, "return")), 1);   /* fa only */
	json_decref(r);
	qmp_client_free(c);
}

/*
 * A journal record damaged on disk (its checksum changed by another
 * writer): the start stops, naming the record, saying the store is left as
 * it is and what to do; nothing in the store changes.
 */
static void test_a_damaged_journal_record_stops_the_start_and_says_how_to_recover(void **state)
{
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char db[300];
	sqlite3 *h;
	struct stat before, after;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));
	qmp_client_free(c);
	dproc_kill9(&p);        /* a clean stop's snapshot would cover seq 1 */
	snprintf(db, sizeof(db), "%s/cxldcd.db", p.state);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "UPDATE journal SET crc = (crc + 1) % 4294967296 WHERE seq = 1", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(stat(db, &before), 0);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_int_equal(dproc_wait_exit(&p, TMO), 1);
	if (!strstr(dproc_log(&p), "journal record seq=1 (qmp, ") ||
	    !strstr(dproc_log(&p), "fails its checksum: the file is damaged; the store is left as it is: restore it from a backup, or start with a new --state directory"))
		fail_msg("no clear refusal: %s", dproc_log(&p));
	assert_int_equal(stat(db, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_true(after.st_mtime == before.st_mtime);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_full_disk_refuses_changes_unapplied_and_recovers,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_store_files_are_owner_only_in_a_0755_directory,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_damaged_store_refuses_to_start, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_damaged_journal_record_stops_the_start_and_says_how_to_recover,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_vanished_backend_path_fails_that_backend_only,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
