/* SPDX-License-Identifier: MIT */
/*
 * test-durability-group.c - integration: group commit (docs/persistence.md,
 * "Group commit").  The requests of one loop round, of every face and
 * pipelined on one connection or QMP session, share one commit (the
 * faultfs shim counts the WAL's syncs); read-only commands make no record;
 * no answer leaves before its commit is synced (the shim holds the fsync);
 * a kill during a group commit keeps the group whole or not at all.
 */
#include "faults-util.h"

/* Start with the WAL-sync counter of the shim; return the counter file's path in syncs. */
static void start_counting(struct dproc *p, struct state_args *a, char *syncs, size_t cap)
{
	snprintf(syncs, cap, "%s/syncs", p->dir);
	setenv("CXLDCD_FAULTFS_SYNCS", syncs, 1);
	start_faulty(p, a);
	unsetenv("CXLDCD_FAULTFS_SYNCS");
}

static size_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? 0 : (size_t)sb.st_size;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_requests_of_one_round_share_one_commit,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_every_face_shares_the_round_commit, dproc_reap_all),
		cmocka_unit_test_teardown(test_no_answer_leaves_before_its_commit_is_synced,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_kill_during_a_group_commit_keeps_the_group_whole_or_not_at_all,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_pipelined_fm_requests_of_one_connection_share_one_commit,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_pipelined_qmp_adds_of_one_session_share_one_commit,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_read_only_qmp_commands_make_no_journal_record,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
