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
 * there.  Also: files of a store made in a 0755 directory are owner-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "hostlink/proto.h"
#include "store/store.h"

#include "dev-util.h"
#include "start-util.h"
#include "state-util.h"

#define DEV "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2"

static void make_args(struct state_args *a, struct dproc *p)
{
	state_args(a, p, NULL, DEV, "--fm", p->fm_arg);
}

static char ctl_path[200];

/* Turn the injected fault on ("ENOSPC", "EIO", "EFBIG") or off (NULL). */
static void fault(const char *what)
{
	FILE *f;

	if (!what) {
		unlink(ctl_path);
		return;
	}
	f = fopen(ctl_path, "w");
	assert_non_null(f);
	fputs(what, f);
	fclose(f);
}

/* Start with the shim preloaded (the environment is the child's at fork). */
static void start_faulty(struct dproc *p, struct state_args *a)
{
	const char *shim = getenv("FAULTFS");

	if (!shim)
		skip();
	snprintf(ctl_path, sizeof(ctl_path), "%s/fault", p->dir);
	setenv("LD_PRELOAD", shim, 1);
	setenv("CXLDCD_FAULTFS", ctl_path, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	assert_int_equal(dproc_start(p, a->argv), 0);
	unsetenv("LD_PRELOAD");
	unsetenv("CXLDCD_FAULTFS");
}

/* Start with the WAL-sync counter of the shim; return the counter file's path in syncs. */
static void start_counting(struct dproc *p, struct state_args *a, char *syncs, size_t cap)
{
	snprintf(syncs, cap, "%s/syncs", p->dir);
	setenv("CXLDCD_FAULTFS_SYNCS", syncs, 1);
	start_faulty(p, a);
	unsetenv("CXLDCD_FAULTFS_SYNCS");
}

/* Start with the shim's fsync hold: while the file at hold exists, the WAL's fsync waits. */
static void start_holding(struct dproc *p, struct state_args *a, char *hold, size_t cap)
{
	snprintf(hold, cap, "%s/hold", p->dir);
	setenv("CXLDCD_FAULTFS_HOLD", hold, 1);
	start_faulty(p, a);
	unsetenv("CXLDCD_FAULTFS_HOLD");
}

static size_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? 0 : (size_t)sb.st_size;
}

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

static const char *add_a =
	"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
	"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
	"\"extents\":[{\"offset\":0,\"len\":2097152}]}}";
static const char *forced =
	"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
	"\"removal-policy\":\"tag-based\",\"forced-removal\":true,\"tag\":\"" TAG_A "\",\"region\":0}}";

/* An FM-API message of @opcode (5606h/5607h) naming tag A, message tag @mtag, into m[28]. */
static void fm_ref_msg(uint8_t *m, uint8_t mtag, uint16_t opcode)
{
	static const uint8_t tag[16] = { 0x5b, 0xe1, 0x3b, 0xce, 0xae, 0x34, 0x4a, 0x77,
					 0xb6, 0xc3, 0x16, 0xdf, 0x97, 0x5f, 0xcf, 0x1a };

	memset(m, 0, 12 + 16);
	m[1] = mtag;
	put16(m + 3, opcode);
	m[5] = 16;
	memcpy(m + 12, tag, 16);
}

/* 5606h DC Add Reference of tag A over the FM socket: the response's return code. */
static int fm_add_ref(int fd)
{
	uint8_t req[12 + 16], rsp[12 + 64];
	ssize_t n;

	fm_ref_msg(req, 7, 0x5606);  /* message tag 7 */
	assert_int_equal(write(fd, req, sizeof(req)), (ssize_t)sizeof(req));
	n = read(fd, rsp, sizeof(rsp));
	assert_true(n >= 12);
	assert_int_equal(rsp[1], 7);
	return rsp[8] | rsp[9] << 8;
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
 * Group commit: requests of four FM connections that are ready in the same
 * loop round share one commit (one WAL sync), and each is answered Success
 * after it.  The daemon is stopped (SIGSTOP) while the four are sent, so
 * they are all readable when it runs again.
 */
static void test_requests_of_one_round_share_one_commit(void **state)
{
	enum { NC = 4 };
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char syncs[200];
	int fd[NC];
	size_t before, after;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	start_counting(&p, &a, syncs, sizeof(syncs));
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));           /* the WAL exists */
	for (int i = 0; i < NC; i++)
		assert_true((fd[i] = dproc_connect_unix(p.fm, TMO)) >= 0);
	assert_int_not_equal(fm_add_ref(fd[0]), 0x04);   /* the connections are set up */
	before = file_size(syncs);
	assert_int_equal(dproc_sigstop(&p), 0);
	for (int i = 0; i < NC; i++) {
		uint8_t req[12 + 16];

		fm_ref_msg(req, (uint8_t)i, 0x5607);   /* DC Remove Reference: journaled, changes nothing here */
		assert_int_equal(write(fd[i], req, sizeof(req)), (ssize_t)sizeof(req));
	}
	assert_int_equal(kill(p.pid, SIGCONT), 0);
	for (int i = 0; i < NC; i++) {
		uint8_t rsp[64];
		ssize_t n = read(fd[i], rsp, sizeof(rsp));

		assert_true(n >= 12);
		assert_int_equal(rsp[1], i);
		assert_int_not_equal(rsp[8], 0x04);
		close(fd[i]);
	}
	after = file_size(syncs);
	print_message("WAL syncs for %d requests of one round: %zu\n", NC, after - before);
	assert_true(after - before >= 1 && after - before < NC);
	qmp_client_free(c);
}

/* n whole 5607h DC Remove Reference messages (journaled) back to back, tags 0..n-1. */
static size_t fm_remove_refs(uint8_t *buf, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fm_ref_msg(buf + i * 28u, (uint8_t)i, 0x5607);
	return n * 28u;
}

/*
 * One FM connection that pipelines 16 mutating requests: they share one
 * group commit (one WAL sync; before, each waited for the one ahead of it
 * and got a commit of its own), and are answered in order.  A read sent
 * behind them (5603h Get Host DC Region Configuration... here 5601h Get DC
 * Region Configuration? no: 4001h-free) waits until they ran.
 */
static void test_pipelined_fm_requests_of_one_connection_share_one_commit(void **state)
{
	enum { N = 16 };
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char syncs[200];
	uint8_t req[N * 28], rsp[64];
	size_t before, after, len;
	int fd;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	start_counting(&p, &a, syncs, sizeof(syncs));
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));           /* the WAL exists */
	assert_true((fd = dproc_connect_unix(p.fm, TMO)) >= 0);
	assert_int_not_equal(fm_add_ref(fd), 0x04);  /* the connection is set up */
	before = file_size(syncs);
	assert_int_equal(dproc_sigstop(&p), 0);
	len = fm_remove_refs(req, N);
	assert_int_equal(write(fd, req, len), (ssize_t)len);
	assert_int_equal(kill(p.pid, SIGCONT), 0);
	for (int i = 0; i < N; i++) {
		size_t got = 0;

		while (got < 12) {
			ssize_t n = read(fd, rsp + got, 12 - got);

			assert_true(n > 0);
			got += (size_t)n;
		}
		assert_int_equal(rsp[1], i);                 /* in order */
		assert_int_not_equal(rsp[8], 0x04);          /* not refused by the store */
	}
	after = file_size(syncs);
	print_message("WAL syncs for %d pipelined FM requests of one connection: %zu\n", N,
		      after - before);
	assert_true(after - before >= 1 && after - before <= 2);
	close(fd);
	qmp_client_free(c);
}

/* n QMP adds of tag B's 2 MiB at 64 MiB + 2 MiB * k (ids k = 0..n-1) to host 1, back to back, into buf: its length. */
static size_t tag_b_adds(char *buf, int n)
{
	size_t off = 0;

	for (int k = 0; k < n; k++)
		off += (size_t)sprintf(buf + off,
			"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
			"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_B "\","
			"\"extents\":[{\"offset\":%llu,\"len\":2097152}]},\"id\":%d}",
			(unsigned long long)(64 + 2 * k) << 20, k);
	return off;
}

/*
 * One QMP session that pipelines 16 adds (with ids), then a query: the adds
 * share one group commit, are answered in order, and the query, held until
 * they ran, sees all 16 offers.
 */
static void test_pipelined_qmp_adds_of_one_session_share_one_commit(void **state)
{
	enum { N = 16 };
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char syncs[200], *batch = malloc(N * 300 + 200);
	size_t before, after, off;
	json_t *r;

	(void)state;
	assert_non_null(batch);
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, "64M", DEV, "--fm", p.fm_arg);
	start_counting(&p, &a, syncs, sizeof(syncs));
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));           /* the WAL exists */
	off = tag_b_adds(batch, N);
	off += (size_t)sprintf(batch + off,
		"{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"},\"id\":\"q\"}");
	before = file_size(syncs);
	assert_int_equal(dproc_sigstop(&p), 0);
	assert_int_equal(qmp_client_send_raw(c, batch, off), 0);
	assert_int_equal(kill(p.pid, SIGCONT), 0);
	for (int k = 0; k < N; k++) {
		r = qmp_client_recv(c, TMO);                 /* replies only: no event is emitted here */
		assert_non_null(r);
		if (!json_object_get(r, "return"))
			fail_msg("add %d: %s", k, qmp_client_err_desc(r));
		assert_int_equal(json_integer_value(json_object_get(r, "id")), k);
		json_decref(r);
	}
	r = qmp_client_recv(c, TMO);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "q");
	assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(ret_of(r), "hosts"), 1),
							 "pending")), N);
	json_decref(r);
	after = file_size(syncs);
	print_message("WAL syncs for %d pipelined QMP adds of one session: %zu\n", N, after - before);
	assert_true(after - before >= 1 && after - before <= 2);
	qmp_client_free(c);
	free(batch);
}

static int count_records(void *opaque, const struct store_rec *rec)
{
	json_t **texts = opaque;

	json_array_append_new(*texts, json_stringn((const char *)rec->data, rec->len));
	return 0;
}

/*
 * The command table decides journaling: every read-only QMP command (and
 * the volatile RAS-register injection) leaves no journal record, a mutating
 * command exactly one, whatever the order.
 */
static void test_read_only_qmp_commands_make_no_journal_record(void **state)
{
	static const char *const reads[] = {
		"{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}",
		"{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":\"d0\","
		"\"host-id\":0,\"tag\":\"" TAG_A "\"}}",
		"{\"execute\":\"query-memdev\"}",
		"{\"execute\":\"query-cxl-devices\"}",
		"{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral\"}}",
		"{\"execute\":\"query-cxl-ras\",\"arguments\":{\"path\":\"d0\"}}",
		"{\"execute\":\"query-cxl-faults\",\"arguments\":{\"path\":\"d0\"}}",
		"{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"mailbox\","
		"\"host-id\":0,\"opcode\":18432,\"payload\":\"0100\"}}",   /* 4800h Get DC Config */
		"{\"execute\":\"cxl-inject-correctable-error\",\"arguments\":{\"path\":\"d0\","
		"\"type\":\"cache-data-ecc\"}}",
		"{\"execute\":\"query-version\"}",
	};
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	struct store *st;
	char err[256];
	json_t *texts = json_array();

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	assert_non_null(c = dproc_connect(&p, TMO));
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		ok(qmp_client_cmd(c, reads[i], TMO));
	ok(qmp_client_cmd(c, add_a, TMO));
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		ok(qmp_client_cmd(c, reads[i], TMO));
	qmp_client_free(c);
	dproc_kill9(&p);
	assert_int_equal(store_open(p.state, &st, err, sizeof(err)), 0);
	assert_int_equal(store_journal_replay(st, count_records, &texts), 0);
	store_close(st);
	assert_int_equal(json_array_size(texts), 1);
	assert_non_null(strstr(json_string_value(json_array_get(texts, 0)),
			       "\"execute\":\"cxl-add-dynamic-capacity\""));
	json_decref(texts);
}

/* A raw host-link connection of @host, past HELLO (mapping off). */
static int hl_open(const char *path, uint16_t host)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct hl_hello m = { .version = HL_VERSION, .host_id = host };
	uint8_t buf[256];
	struct hl_hdr h;
	struct wwr w;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_HELLO, 1);
	hl_enc_hello(&w, &m);
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(write(fd, buf, w.off), (ssize_t)w.off);
	n = read(fd, buf, sizeof(buf));
	assert_true(n >= (ssize_t)(HL_HDR_SIZE + HL_HELLO_ACK_SIZE));
	assert_int_equal(hl_dec_hdr(buf, (size_t)n, &h), 0);
	assert_int_equal(h.type, HL_HELLO_ACK);
	assert_int_equal(buf[HL_HDR_SIZE] | buf[HL_HDR_SIZE + 1] << 8, 0);   /* status OK */
	return fd;
}

/* Send a 4802h Add DC Response with no extent (journaled; refused by the model: none pending). */
static void hl_send_add_rsp(int fd, uint8_t tag)
{
	uint8_t buf[64], cci[12 + 8] = { 0 };
	struct wwr w;

	cci[1] = tag;
	put16(cci + 3, 0x4802);
	cci[5] = 8;
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_CCI_REQ, 2);
	wwr_bytes(&w, cci, sizeof(cci));
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(write(fd, buf, w.off), (ssize_t)w.off);
}

/* The CCI return code of the next CCI_RSP on a host-link connection. */
static unsigned hl_read_rc(int fd, uint8_t tag)
{
	uint8_t buf[4096];
	size_t got = 0;
	struct hl_hdr h;

	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		assert_true(n > 0);
		got += (size_t)n;
		while (got >= HL_HDR_SIZE && !hl_dec_hdr(buf, got, &h) && got >= HL_HDR_SIZE + h.len) {
			if (h.type == HL_CCI_RSP) {
				assert_int_equal(buf[HL_HDR_SIZE + 1], tag);
				return buf[HL_HDR_SIZE + 8] | buf[HL_HDR_SIZE + 9] << 8;
			}
			memmove(buf, buf + HL_HDR_SIZE + h.len, got - HL_HDR_SIZE - h.len);
			got -= HL_HDR_SIZE + h.len;
		}
	}
}

/* One connection of each face: two QMP sessions, the FM socket, hosts 0 and 1 on the host link. */
struct faces {
	struct qmp_client *c, *c2;
	int fm, h0, h1;
};

/* Start arguments with a host-link socket at @hsock (in the daemon's directory). */
static void args_with_host_socket(struct state_args *a, struct dproc *p, char *hsock, size_t cap)
{
	make_args(a, p);
	snprintf(hsock, cap, "%s/host.sock", p->dir);
	a->argv[8] = "--host-socket";
	a->argv[9] = hsock;
	a->argv[10] = NULL;
}

/* Open every face; tag A is added (the WAL exists) and each connection is set up. */
static void faces_open(struct faces *f, struct dproc *p, const char *hsock)
{
	assert_non_null(f->c = dproc_connect(p, TMO));
	assert_non_null(f->c2 = dproc_connect(p, TMO));
	ok(qmp_client_cmd(f->c, add_a, TMO));           /* the WAL exists */
	assert_true((f->fm = dproc_connect_unix(p->fm, TMO)) >= 0);
	assert_int_not_equal(fm_add_ref(f->fm), 0x04);  /* the connection is set up */
	f->h0 = hl_open(hsock, 0);
	f->h1 = hl_open(hsock, 1);
	/* a round trip: the daemon is past h1's reads (it may read on after HELLO) */
	ok(qmp_client_cmd(f->c, "{\"execute\":\"query-cxl-devices\"}", TMO));
}

/* Send one request on every face: a QMP add, a RAS injection, an FM 5607h, two hosts' 4802h. */
static void faces_send(struct faces *f)
{
	static const char *poison =
		"{\"execute\":\"cxl-inject-poison\",\"arguments\":{\"path\":\"d0\",\"start\":4096,\"length\":64},\"id\":\"p\"}";
	static const char *add_b =
		"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
		"\"extents\":[{\"offset\":4194304,\"len\":2097152}]},\"id\":\"a\"}";
	uint8_t req[12 + 16];

	assert_int_equal(qmp_client_send_raw(f->c, add_b, strlen(add_b)), 0);
	assert_int_equal(qmp_client_send_raw(f->c2, poison, strlen(poison)), 0);
	fm_ref_msg(req, 9, 0x5607);
	assert_int_equal(write(f->fm, req, sizeof(req)), (ssize_t)sizeof(req));
	hl_send_add_rsp(f->h0, 3);
	hl_send_add_rsp(f->h1, 4);
}

/* Every face's answer to faces_send(): each ran (the model may refuse it), none refused by the store. */
static void faces_expect_answers(struct faces *f)
{
	json_t *r;
	uint8_t rsp[64];

	for (int i = 0; i < 2; i++) {
		while ((r = qmp_client_recv(i ? f->c2 : f->c, TMO)) && json_object_get(r, "event"))
			json_decref(r);
		/* answered (the model may refuse it), not refused by the store */
		if (!r || (!json_object_get(r, "return") &&
			   strstr(qmp_client_err_desc(r), "state store")))
			fail_msg("%s", r ? json_dumps(r, 0) : "no answer");
		json_decref(r);
	}
	assert_true(read(f->fm, rsp, sizeof(rsp)) >= 12);
	assert_int_equal(rsp[1], 9);
	assert_int_not_equal(rsp[8], 0x04);
	assert_int_not_equal(hl_read_rc(f->h0, 3), 0x04);   /* not Internal Error: it ran */
	assert_int_not_equal(hl_read_rc(f->h1, 4), 0x04);
}

static void faces_close(struct faces *f)
{
	close(f->fm);
	close(f->h0);
	close(f->h1);
	qmp_client_free(f->c2);
	qmp_client_free(f->c);
}

/*
 * Group commit on every face: a QMP command, an FM request, a RAS injection
 * (QMP) and two hosts' CCI requests on the host link, all ready in the same
 * loop round (the daemon is stopped while they are sent), share one commit:
 * one WAL sync for five requests, each answered after it.
 */
static void test_every_face_shares_the_round_commit(void **state)
{
	struct dproc p;
	struct state_args a;
	struct faces f;
	char syncs[200], hsock[200];
	size_t before, after;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	args_with_host_socket(&a, &p, hsock, sizeof(hsock));
	start_counting(&p, &a, syncs, sizeof(syncs));
	faces_open(&f, &p, hsock);
	before = file_size(syncs);
	assert_int_equal(dproc_sigstop(&p), 0);
	faces_send(&f);
	/* all of it is in the socket buffers: a Unix-socket write has returned only then */
	assert_int_equal(kill(p.pid, SIGCONT), 0);
	faces_expect_answers(&f);
	after = file_size(syncs);
	print_message("WAL syncs for 5 requests of one round on every face: %zu\n", after - before);

	assert_int_equal(after - before, 1);
	faces_close(&f);
}

/* Nothing to read on any of fds[n] for ms milliseconds. */
static void assert_silent(const int *fds, int n, int ms)
{
	struct pollfd pf[8];

	for (int i = 0; i < n; i++)
		pf[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	if (poll(pf, (nfds_t)n, ms) != 0)
		for (int i = 0; i < n; i++)
			if (pf[i].revents)
				fail_msg("connection %d got an answer before its commit was synced", i);
}

/*
 * Acknowledged = durable, on every face: while the WAL's fsync of the round's
 * group commit is held (the shim waits), no answer, event or host message
 * leaves - not the QMP answers (batched per loop round), not the FM
 * response, not the host link's CCI responses (its batched sends) - and all
 * of them come once the sync returned.
 */
static void test_no_answer_leaves_before_its_commit_is_synced(void **state)
{
	struct dproc p;
	struct state_args a;
	struct faces f;
	char hold[200], hsock[200];
	int fds[5];
	FILE *fh;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	args_with_host_socket(&a, &p, hsock, sizeof(hsock));
	start_holding(&p, &a, hold, sizeof(hold));
	faces_open(&f, &p, hsock);
	ok(qmp_client_cmd(f.c2, "{\"execute\":\"query-cxl-devices\"}", TMO));
	fh = fopen(hold, "w");
	assert_non_null(fh);
	fclose(fh);
	faces_send(&f);
	fds[0] = qmp_client_fd(f.c);
	fds[1] = qmp_client_fd(f.c2);
	fds[2] = f.fm;
	fds[3] = f.h0;
	fds[4] = f.h1;
	assert_silent(fds, 5, 400);
	assert_int_equal(unlink(hold), 0);
	faces_expect_answers(&f);
	faces_close(&f);
}

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

/* Host @host's pending offers (the device query). */
static size_t host_pending(struct qmp_client *c, size_t host)
{
	json_t *r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}", TMO));
	size_t n = json_array_size(json_object_get(json_array_get(json_object_get(ret_of(r), "hosts"), host),
						   "pending"));

	json_decref(r);
	return n;
}

/*
 * Killed during a group commit's fsync (the shim holds it): 16 pipelined
 * adds of one session are in one transaction whose WAL frames are written
 * but not synced, and none was answered.  A kill of the process (not a
 * power loss) leaves the frames to the kernel, so after the restart the
 * group is there whole - the requests in flight, unanswered - or not at
 * all, never a part of it; the query before the kill saw none of them.
 */
static void test_a_kill_during_a_group_commit_keeps_the_group_whole_or_not_at_all(void **state)
{
	enum { N = 16 };
	struct dproc p;
	struct state_args a;
	struct qmp_client *c;
	char hold[200], *batch = malloc(N * 300 + 200);
	size_t off, n;
	int fd[1];
	FILE *f;

	(void)state;
	assert_non_null(batch);
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, "64M", DEV, "--fm", p.fm_arg);
	start_holding(&p, &a, hold, sizeof(hold));
	assert_non_null(c = dproc_connect(&p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));           /* the WAL exists */
	assert_int_equal(host_pending(c, 1), 0);
	off = tag_b_adds(batch, N);
	f = fopen(hold, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(qmp_client_send_raw(c, batch, off), 0);
	fd[0] = qmp_client_fd(c);
	assert_silent(fd, 1, 300);              /* held in the fsync: nothing answered */
	dproc_kill9(&p);
	unlink(hold);
	qmp_client_free(c);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = dproc_connect(&p, TMO);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(&p));
	n = host_pending(c, 1);
	print_message("after a kill during the group's fsync: %zu of %d adds in the state\n", n, N);
	assert_true(n == 0 || n == N);
	qmp_client_free(c);
	free(batch);
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
	ok(qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO));
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	qmp_client_free(c);
	state_file_read(&p, "a.mem", 0, buf, sizeof(buf));    /* written back at the clean stop */
	assert_memory_equal(buf, zero, sizeof(buf));
}

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
	ok(qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO));
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	qmp_client_free(c);
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
	ok(qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO));
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	qmp_client_free(c);
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
	ok(qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO));
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	qmp_client_free(c);
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
	ok(qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO));
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	qmp_client_free(c);
	state_file_write(&p, "lsa.mem", 0x1000, "EXTERNAL");
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(&p));
	lsa_get(c, 0x1000, got);
	if (memcmp(got, "EXTERNAL", 8))
		fail_msg("the replay wrote a Set LSA that had run again: the LSA holds '%.8s'",
			 (const char *)got);
	ok(qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO));
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	qmp_client_free(c);
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
		cmocka_unit_test_teardown(test_full_disk_refuses_changes_unapplied_and_recovers,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_store_files_are_owner_only_in_a_0755_directory,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_damaged_store_refuses_to_start, dproc_reap_all),
		cmocka_unit_test_teardown(test_requests_of_one_round_share_one_commit,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_every_face_shares_the_round_commit, dproc_reap_all),
		cmocka_unit_test_teardown(test_no_answer_leaves_before_its_commit_is_synced,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_kill_during_replay_changes_nothing, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_kill_during_a_group_commit_keeps_the_group_whole_or_not_at_all,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_damaged_journal_record_stops_the_start_and_says_how_to_recover,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_pipelined_fm_requests_of_one_connection_share_one_commit,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_pipelined_qmp_adds_of_one_session_share_one_commit,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_read_only_qmp_commands_make_no_journal_record,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_pending_timeout_expiry_is_journaled, dproc_reap_all),
		cmocka_unit_test_teardown(test_vanished_backend_path_fails_that_backend_only,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_restart_waits_for_a_snapshot_child_that_holds_the_sockets,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_set_lsa_killed_before_it_ran_is_in_the_lsa_after_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_set_lsa_that_ran_is_not_written_again_by_the_replay,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_snapshot_syncs_what_the_records_it_drops_zeroed,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_sanitizing_release_killed_before_it_ran_is_sanitized_at_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_snapshot_child_dies_with_its_daemon_and_its_tmp_is_swept,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
