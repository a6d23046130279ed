/* SPDX-License-Identifier: MIT */
/*
 * test-durability-snapchild.c - integration: the snapshot child
 * (docs/persistence.md, "Snapshots: restore points").  A snapshot syncs what the records
 * it drops zeroed (the faultfs shim's trace); a restart waits for a
 * snapshot child that still holds the sockets; a child dies with its
 * daemon and its temporary file is swept.
 */
#include "faults-util.h"

/* Wait until the line @n (from 1) of the shim's sync trace @path names a snapshot; its text into @buf. */
static void wait_snapshot_lines(const char *path, int n, char *buf, size_t cap)
{
	for (int i = 0; i < TMO / 10; i++, usleep(10000)) {
		FILE *f = fopen(path, "r");
		size_t len = f ? fread(buf, 1, cap - 1, f) : 0;
		int seen = 0;

		if (f)
			fclose(f);
		buf[len] = 0;
		for (const char *q = buf; (q = strstr(q, "snapshot-")); q++)
			seen++;
		if (seen >= n)
			return;
	}
	fail_msg("no snapshot %d was written (syncs: %s)", n, buf);
}

/*
 * A sanitizing release zeroes its capacity in the memory-backend-file
 * without a sync, and a snapshot after it drops its record: no replay
 * owes that zeroing any more, so after a power loss the old bytes could
 * come back.  The snapshot child now syncs the file backends before it
 * writes the snapshot (which the store records only once the child is
 * done): the shim's trace of syncs shows a.mem synced before the
 * snapshot's .tmp, and a snapshot with nothing zeroed since the last
 * one does not sync it again.  What this cannot show: that the disk
 * keeps what fsync() returned for (no power is cut here).
 */
static void test_a_snapshot_syncs_what_the_records_it_drops_zeroed(void **state)
{
	char trace[200], buf[4096];
	const char *first, *a_mem, *second;
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV ",sanitize-on-release=on", "--fm", p.fm_arg);
	snprintf(trace, sizeof(trace), "%s/trace", p.dir);
	setenv("CXLDCD_FAULTFS_TRACE", trace, 1);
	setenv("CXLDCD_SNAPSHOT_EVERY", "4", 1);
	start_faulty(&p, &a);
	unsetenv("CXLDCD_FAULTFS_TRACE");
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));                      /* seq 1 */
	assert_int_equal(host_answer_all(c, "d0", 0), 1);       /* 2, 3: accept, clear the log */
	state_file_write(&p, "a.mem", 0, "host 0 data");
	unlink(trace);                                          /* from here on */
	ok(qmp_client_cmd(c, forced, TMO));                     /* seq 4: zeroes; snapshot 4 */
	wait_snapshot_lines(trace, 1, buf, sizeof(buf));
	first = strstr(buf, "snapshot-");
	assert_non_null(strstr(buf, "snapshot-00000000000000000004.bin.tmp"));
	a_mem = strstr(buf, "a.mem\n");
	if (!a_mem || a_mem > first)
		fail_msg("snapshot 4 was written before a.mem, zeroed by the release it drops, was synced: %s",
			 buf);
	for (int i = 1; i <= 4; i++)                            /* seq 5-8, nothing zeroed: snapshot 8 */
		json_decref(expect_ok(qmp_client_cmdf(c, TMO,
			"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			"\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,"
			"\"tag\":\"" TAG_A "\",\"extents\":[{\"offset\":%d,\"len\":2097152}]}}",
			i * 2 * (int)MiB)));
	wait_snapshot_lines(trace, 2, buf, sizeof(buf));
	first = strstr(buf, "snapshot-");
	second = strstr(strstr(first, "\n"), "snapshot-");
	assert_non_null(strstr(second, "snapshot-00000000000000000008.bin.tmp"));
	a_mem = strstr(first, "a.mem\n");
	if (a_mem && a_mem < second)
		fail_msg("snapshot 8 synced a.mem again with nothing zeroed since: %s", buf);
	state_quit(&p, c);
}

/* A free TCP port on 127.0.0.1 (bound and let go: nobody else takes it in these tests). */
static unsigned free_tcp_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &n), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* 0 when a stream connection to 127.0.0.1:@port is accepted into a listener's queue. */
static int tcp_connect(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	assert_true(fd >= 0);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc;
}

/* The last 300 bytes of @p's log in @buf. */
static const char *log_tail(struct dproc *p, char *buf, size_t cap)
{
	const char *l = dproc_log(p);
	size_t n = strlen(l);

	snprintf(buf, cap, "%s", n > 300 ? l + n - 300 : l);
	return buf;
}

/* The first child of @pid (/proc/PID/task/PID/children), or 0. */
static pid_t first_child(pid_t pid)
{
	char path[80];
	int c = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &c) != 1)
		c = 0;
	fclose(f);
	return (pid_t)c;
}

/*
 * The daemon is killed right after it forked a snapshot child that has
 * not run yet (the shim holds the child inside fork() while a file
 * exists; on a loaded machine that is the scheduler's delay): the child
 * holds the daemon's QMP, FM and TCP host-link listeners and the store's
 * lock.  A restart at once must wait for it, not fail: before, the new
 * daemon found the QMP socket "in use by another process" (its claim's
 * probe connected to the child's copy) and exited 1, and its TCP listener
 * would have met EADDRINUSE.  Now the store (its lock, which the child
 * closes last) is opened before the sockets.
 */
static void test_a_restart_waits_for_a_snapshot_child_that_holds_the_sockets(void **state)
{
	char hold[200], host_arg[80], log[400];
	struct qmp_client *c;
	struct dproc p;
	struct state_args a;
	pid_t child = 0;
	unsigned port = free_tcp_port();
	json_t *before, *after;
	FILE *f;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	snprintf(host_arg, sizeof(host_arg), "tcp:127.0.0.1:%u", port);
	a.argv[8] = "--host-socket";
	a.argv[9] = host_arg;
	a.argv[10] = NULL;
	snprintf(hold, sizeof(hold), "%s/forkhold", p.dir);
	assert_non_null(f = fopen(hold, "w"));
	fclose(f);
	setenv("CXLDCD_SNAPSHOT_EVERY", "5", 1);
	setenv("CXLDCD_FAULTFS_FORK_HOLD", hold, 1);
	start_faulty(&p, &a);
	unsetenv("CXLDCD_FAULTFS_FORK_HOLD");
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	assert_non_null(c = dproc_connect(&p, TMO));
	for (int i = 0; i < 5; i++)
		json_decref(expect_ok(qmp_client_cmdf(c, TMO,
			"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			"\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,"
			"\"tag\":\"" TAG_A "\",\"extents\":[{\"offset\":%d,\"len\":2097152}]}}",
			i * 2 * (int)MiB)));
	before = state_dump(c);
	for (int i = 0; i < TMO / 10 && !(child = first_child(p.pid)); i++)
		usleep(10000);
	assert_true(child > 0);        /* the snapshot child of seq 5, held in fork() */
	qmp_client_free(c);
	dproc_kill9(&p);
	/* The child holds the listeners: a connection is queued there (and reset later). */
	assert_int_equal(tcp_connect(port), 0);
	assert_true(kill(child, 0) == 0);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	/* The restart meets the held child: it waits (it exited 1 at once before). */
	if (dproc_wait_exit(&p, 300) != -1)
		fail_msg("the restart did not wait for the snapshot child: %s", log_tail(&p, log, sizeof(log)));
	unlink(hold);
	/* Gone (a zombie at most): a connection made before this may have been queued there and reset. */
	for (int i = 0; i < TMO / 10 && dproc_state(child) && dproc_state(child) != 'Z'; i++)
		usleep(10000);
	assert_true(!dproc_state(child) || dproc_state(child) == 'Z');
	c = state_connect(&p);
	if (!c)
		fail_msg("the restart failed: %s", log_tail(&p, log, sizeof(log)));
	after = state_dump(c);
	if (!json_equal(before, after))
		fail_msg("the state differs after the restart");
	json_decref(before);
	json_decref(after);
	assert_int_equal(tcp_connect(port), 0);     /* the new daemon's host link */
	qmp_client_free(c);
}

/*
 * The daemon is killed while its snapshot child writes (the shim holds the
 * child's fdatasync of snapshot-5.bin.tmp for up to 30 s): the child dies
 * with it (PR_SET_PDEATHSIG) instead of finishing, and the restart finds
 * and removes its .tmp, loads nothing it did not record (the journal has
 * all 5 adds) and serves the state of before.
 */
static void test_a_snapshot_child_dies_with_its_daemon_and_its_tmp_is_swept(void **state)
{
	char hold[200], tmp[300];
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	json_t *before, *after;
	pid_t child = 0;
	struct stat sb;
	FILE *f;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	snprintf(hold, sizeof(hold), "%s/snaphold", p.dir);
	snprintf(tmp, sizeof(tmp), "%s/snapshot-%020d.bin.tmp", p.state, 5);
	assert_non_null(f = fopen(hold, "w"));
	fclose(f);
	setenv("CXLDCD_SNAPSHOT_EVERY", "5", 1);
	setenv("CXLDCD_FAULTFS_SNAP_HOLD", hold, 1);
	start_faulty(&p, &a);
	unsetenv("CXLDCD_FAULTFS_SNAP_HOLD");
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	assert_non_null(c = dproc_connect(&p, TMO));
	for (int i = 0; i < 5; i++)
		json_decref(expect_ok(qmp_client_cmdf(c, TMO,
			"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			"\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,"
			"\"tag\":\"" TAG_A "\",\"extents\":[{\"offset\":%d,\"len\":2097152}]}}",
			i * 2 * (int)MiB)));
	before = state_dump(c);
	/* The child is writing: its .tmp is there, its sync held. */
	for (int i = 0; i < TMO / 10 && (!(child = first_child(p.pid)) || stat(tmp, &sb)); i++)
		usleep(10000);
	assert_true(child > 0);
	assert_int_equal(stat(tmp, &sb), 0);
	qmp_client_free(c);
	dproc_kill9(&p);
	/* Dead (a zombie at most) long before the hold would let it go. */
	for (int i = 0; i < 300 && dproc_state(child) && dproc_state(child) != 'Z'; i++)
		usleep(10000);
	if (dproc_state(child) && dproc_state(child) != 'Z')
		fail_msg("the snapshot child outlived its daemon");
	assert_int_equal(stat(tmp, &sb), 0);    /* left behind */
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(&p));
	assert_int_equal(stat(tmp, &sb), -1);   /* swept at the start */
	after = state_dump(c);
	if (!json_equal(before, after))
		fail_msg("the state differs after the restart");
	json_decref(before);
	json_decref(after);
	unlink(hold);
	qmp_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_a_restart_waits_for_a_snapshot_child_that_holds_the_sockets,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_snapshot_syncs_what_the_records_it_drops_zeroed,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_snapshot_child_dies_with_its_daemon_and_its_tmp_is_swept,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
