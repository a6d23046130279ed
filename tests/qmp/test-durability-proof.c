/* SPDX-License-Identifier: MIT */
/*
 * test-durability-proof.c - integration: what the daemon claims about an
 * erase or a zeroing holds on disk (docs/persistence.md, "Crash
 * semantics" and "When the store fails").  The daemon runs with the
 * faultfs shim preloaded ($FAULTFS, tests/support/faultfs.c):
 *  - the store fails right after an erase's own commit, so the proof
 *    record that says it ran cannot be stored: the erase is not answered
 *    as done (QMP error, CCI Internal Error on the Type 3 MCTP CCI socket),
 *    and a restart before the store recovers erases again what was
 *    written after it;
 *  - a backend deleted by object-del after a zeroing on it: the snapshot
 *    that drops the zeroing's record syncs its file first (the shim's
 *    trace of syncs);
 *  - a record that makes a replay forget a zeroing (an erase's proof, the
 *    proof of a start's settling, an acceptance after a sanitizing
 *    release, the store's list of places owed on a backend that is back)
 *    is committed only after the zeroed file was synced (the trace).
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/store.h"

#include "dev-util.h"
#include "state-util.h"

#define DEV "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2"

static const char *add_a =
	"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
	"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
	"\"extents\":[{\"offset\":0,\"len\":2097152}]}}";

/* The shim's files in the daemon's directory. */
struct shim {
	char ctl[200], syncs[200], trace[200], syncfail[200];
};

/*
 * Start @p with the shim preloaded: its fault control file, its WAL-sync
 * counter, its control of failing backend syncs and, when @trace, its
 * trace of every sync.  Skips without $FAULTFS.
 */
static void start_shim(struct dproc *p, const struct state_args *a, struct shim *sh, bool trace)
{
	const char *lib = getenv("FAULTFS");

	if (!lib)
		skip();
	snprintf(sh->ctl, sizeof(sh->ctl), "%s/fault", p->dir);
	snprintf(sh->syncs, sizeof(sh->syncs), "%s/syncs", p->dir);
	snprintf(sh->trace, sizeof(sh->trace), "%s/trace", p->dir);
	snprintf(sh->syncfail, sizeof(sh->syncfail), "%s/syncfail", p->dir);
	setenv("LD_PRELOAD", lib, 1);
	setenv("CXLDCD_FAULTFS", sh->ctl, 1);
	setenv("CXLDCD_FAULTFS_SYNCS", sh->syncs, 1);
	setenv("CXLDCD_FAULTFS_SYNCFAIL", sh->syncfail, 1);
	if (trace)
		setenv("CXLDCD_FAULTFS_TRACE", sh->trace, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	assert_int_equal(dproc_start(p, a->argv), 0);
	unsetenv("LD_PRELOAD");
	unsetenv("CXLDCD_FAULTFS");
	unsetenv("CXLDCD_FAULTFS_SYNCS");
	unsetenv("CXLDCD_FAULTFS_SYNCFAIL");
	unsetenv("CXLDCD_FAULTFS_TRACE");
}

/*
 * start_shim() with the daemon retrying an owed proof every @retry_ms
 * (NULL: its default); host 0 accepts tag A.  The QMP client.
 */
static struct qmp_client *start_tag_a(struct dproc *p, const struct state_args *a,
				      struct shim *sh, const char *retry_ms, bool trace)
{
	struct qmp_client *c;

	if (retry_ms)
		setenv("CXLDCD_PROOF_RETRY_MS", retry_ms, 1);
	start_shim(p, a, sh, trace);
	if (retry_ms)
		unsetenv("CXLDCD_PROOF_RETRY_MS");
	assert_non_null(c = dproc_connect(p, TMO));
	ok(qmp_client_cmd(c, add_a, TMO));
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	return c;
}

/* The QMP client of @p after a start (a failure with the log when it has none). */
static struct qmp_client *restarted(struct dproc *p)
{
	struct qmp_client *c = state_connect(p);

	if (!c)
		fail_msg("restart failed: %s", dproc_log(p));
	return c;
}

/* The WAL syncs the shim counted so far. */
static long syncs_of(const struct shim *sh)
{
	struct stat sb;

	return stat(sh->syncs, &sb) ? 0 : (long)sb.st_size;
}

/* From the commit after the next one on, the store fails with EIO (NULL: never). */
static void fail_after_next_commit(const struct shim *sh, bool on)
{
	FILE *f;

	if (!on) {
		unlink(sh->ctl);
		return;
	}
	assert_non_null(f = fopen(sh->ctl, "w"));
	fprintf(f, "EIO %ld\n", syncs_of(sh) + 1);
	fclose(f);
}

/* From the commit after the next one on, the store fails with @err ("ENOSPC": a full disk). */
static void fail_after_next_commit_with(const struct shim *sh, const char *err)
{
	FILE *f;

	assert_non_null(f = fopen(sh->ctl, "w"));
	fprintf(f, "%s %ld\n", err, syncs_of(sh) + 1);
	fclose(f);
}

/* From now on a.mem's syncs fail with EIO (false: they work). */
static void syncs_fail(const struct shim *sh, bool on)
{
	FILE *f;

	if (!on) {
		unlink(sh->syncfail);
		return;
	}
	assert_non_null(f = fopen(sh->syncfail, "w"));
	fputs("a.mem\n", f);
	fclose(f);
}

static bool file_zero(const struct dproc *p, const char *name, size_t n)
{
	char buf[64] = { 0 }, zero[64] = { 0 };

	state_file_read(p, name, 0, buf, n);
	return !memcmp(buf, zero, n);
}

/* The shim's sync trace (static buffer). */
static const char *trace_of(const struct shim *sh)
{
	static char buf[8192];
	FILE *f = fopen(sh->trace, "r");
	size_t len = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[len] = 0;
	return buf;
}

/* Whether the trace shows @file synced, and a commit (a WAL sync) after that. */
static bool synced_before_a_commit(const struct shim *sh, const char *file)
{
	char line[64];
	const char *t = trace_of(sh), *at;

	snprintf(line, sizeof(line), "%s\n", file);
	at = strstr(t, line);
	return at && strstr(at, "cxldcd.db-wal\n");
}

/* Whether @file is synced before the first commit (WAL sync) of the trace. */
static bool synced_first(const struct shim *sh, const char *file)
{
	char line[64];
	const char *t = trace_of(sh), *at, *wal;

	snprintf(line, sizeof(line), "%s\n", file);
	at = strstr(t, line);
	wal = strstr(t, "cxldcd.db-wal\n");
	return at && wal && at < wal;
}

/* ---- an erase whose proof record cannot be stored ----------------------- */

/* query-cxl-durability: the proof owed, and only @host's capacity of d0 in doubt, by one erase. */
static void expect_in_doubt(struct qmp_client *c, int host)
{
	json_t *r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-durability\"}", TMO));
	json_t *d = json_object_get(r, "return"), *e;

	assert_true(json_is_true(json_object_get(d, "proof-owed")));
	assert_true(json_is_false(json_object_get(d, "accepts-writes")));
	assert_int_equal(json_array_size(json_object_get(d, "erases-in-doubt")), 1);
	e = json_array_get(json_object_get(d, "erases-in-doubt"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "device")), "d0");
	assert_string_equal(json_string_value(json_object_get(e, "path")), "/machine/peripheral/d0");
	assert_int_equal(json_integer_value(json_object_get(e, "host-id")), host);
	assert_int_equal(json_integer_value(json_object_get(e, "erases")), 1);
	assert_non_null(json_object_get(e, "since"));
	json_decref(r);
}

/*
 * @op with no payload over the Type 3 MCTP CCI socket @fd: its return code,
 * its payload (@n bytes expected) in @out.
 */
static int mctp_request(int fd, uint16_t op, uint8_t *out, size_t n)
{
	uint8_t req[12] = { 0 }, rsp[12 + 64];

	assert_true(n <= 64);
	req[1] = 9;                     /* message tag */
	put16(req + 3, op);
	assert_int_equal(write(fd, req, sizeof(req)), (ssize_t)sizeof(req));
	assert_int_equal(read(fd, rsp, sizeof(rsp)), (ssize_t)(12 + n));
	assert_int_equal(rsp[1], 9);
	assert_int_equal(rsp[3] | rsp[4] << 8, op);
	if (n)
		memcpy(out, rsp + 12, n);
	return rsp[8] | rsp[9] << 8;
}

/* Secure Erase (4401h) over the Type 3 MCTP CCI socket @fd: its return code. */
static int mctp_secure_erase(int fd)
{
	return mctp_request(fd, 0x4401, NULL, 0);  /* header only, Success or not */
}

/* Secure Erase of host 0's capacity over QMP cxl-cci-request: the reply. */
static json_t *qmp_secure_erase(struct qmp_client *c)
{
	return qmp_client_cmd(c, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\","
				 "\"cci\":\"mailbox\",\"host-id\":0,\"opcode\":17409}}", TMO);
}

/*
 * Start with the shim and the Type 3 MCTP CCI socket (@sock, 200 bytes;
 * @msock, 220, its argument); host 0 accepts tag A (its bytes in a.mem:
 * "host 0 data"), and the store fails from the commit after the next one
 * on.  *@fd: that socket connected when @mctp, else -1.  The QMP client.
 */
static struct qmp_client *start_failing(struct dproc *p, struct state_args *a, struct shim *sh,
					char *sock, char *msock, bool mctp, int *fd)
{
	struct qmp_client *c;

	assert_int_equal(dproc_init(p), 0);
	snprintf(sock, 200, "%s/mctp.sock", p->dir);
	snprintf(msock, 220, "unix:%s", sock);
	state_args(a, p, NULL, DEV, "--mctp-cci", msock);
	c = start_tag_a(p, a, sh, NULL, false);
	state_file_write(p, "a.mem", 0, "host 0 data");
	*fd = mctp ? dproc_connect_unix(sock, TMO) : -1;
	assert_true(!mctp || *fd >= 0);
	fail_after_next_commit(sh, true);
	return c;
}

/*
 * Host 0 accepts tag A (its bytes in a.mem: "host 0 data"), the store
 * fails right after the erase's own commit: the erase ran (a.mem is
 * zeros) but its proof record is not stored.  Before, it was answered
 * Success all the same (QMP: return-code 0; the MCTP CCI: 0000h), and
 * what the host then writes is zeroed again by a restart, which owes
 * the erase with no proof after it.  Now the answer says the erase is
 * not durable (QMP error naming the store, CCI Internal Error 0004h);
 * the model keeps what ran (the extent, the zeros); a restart while
 * the store still failed indeed erases what was written since; once the
 * store accepts writes again the next commit carries the proof, and what
 * is written after it survives a kill.
 */
static void erase_unproven(bool mctp)
{
	char sock[200], msock[220], buf[16];
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	json_t *r, *x;
	int fd;

	c = start_failing(&p, &a, &sh, sock, msock, mctp, &fd);
	if (mctp) {
		int rc = mctp_secure_erase(fd);

		if (rc != CXLDCD_RC_INTERNAL_ERROR)
			fail_msg("the MCTP CCI's Secure Erase was answered %04xh with its proof not stored",
				 rc);
	} else {
		r = qmp_secure_erase(c);
		if (!json_object_get(r, "error"))
			fail_msg("Secure Erase answered %s with its proof not stored",
				 json_dumps(r, JSON_COMPACT));
		assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "desc")),
				       "the erase ran, but the state store cannot record that it ran"));
		json_decref(r);
	}
	assert_true(file_zero(&p, "a.mem", 11));        /* it ran */
	x = host0_extents(c);
	assert_int_equal(json_array_size(x), 1);        /* and changed only what it does */
	json_decref(x);
	assert_non_null(strstr(dproc_log(&p), "an erase ran but its proof record cannot be stored"));
	/* Host 0's capacity in doubt (the MCTP CCI's erase zeroes every host's: host 0 has some). */
	expect_in_doubt(c, 0);
	/* Written after the erase, then a kill while the store still fails. */
	state_file_write(&p, "a.mem", 0, "written after");
	qmp_client_free(c);
	if (fd >= 0)
		close(fd);
	dproc_kill9(&p);
	fail_after_next_commit(&sh, false);
	start_shim(&p, &a, &sh, true);
	c = restarted(&p);
	if (!file_zero(&p, "a.mem", 13))
		fail_msg("the erase without a proof was not done again at the restart");
	/* Its proof record, committed at the start, came after the zeroes were synced. */
	if (!synced_before_a_commit(&sh, "a.mem"))
		fail_msg("the start proved the erase done before a.mem was synced: %s", trace_of(&sh));
	/* The store works: the erase once more, answered Success, and what follows survives. */
	if (mctp) {
		assert_true((fd = dproc_connect_unix(sock, TMO)) >= 0);
		assert_int_equal(mctp_secure_erase(fd), 0);
		close(fd);
	} else {
		r = expect_ok(qmp_secure_erase(c));
		assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "return"),
								    "return-code")), 0);
		json_decref(r);
	}
	state_file_write(&p, "a.mem", 0, "kept");
	qmp_client_free(c);
	dproc_kill9(&p);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = restarted(&p);
	state_file_read(&p, "a.mem", 0, buf, 4);
	assert_memory_equal(buf, "kept", 4);
	state_quit(&p, c);
}

static void test_an_erase_whose_proof_cannot_be_stored_is_not_answered_success(void **state)
{
	(void)state;
	erase_unproven(false);
}

static void test_an_mctp_erase_whose_proof_cannot_be_stored_is_answered_internal_error(void **state)
{
	(void)state;
	erase_unproven(true);
}

/* ---- a proof owed: retried by the daemon, shown, settled ------------------ */

/* query-cxl-durability's answer (the caller decrefs). */
static json_t *durability(struct qmp_client *c)
{
	json_t *r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-durability\"}", TMO));
	json_t *ret = json_incref(json_object_get(r, "return"));

	json_decref(r);
	return ret;
}

static bool proof_owed(struct qmp_client *c)
{
	json_t *d = durability(c);
	bool owed = json_is_true(json_object_get(d, "proof-owed"));

	json_decref(d);
	return owed;
}

/* How often @needle occurs in @p's log. */
static int log_count(struct dproc *p, const char *needle)
{
	const char *at = dproc_log(p);
	int n = 0;

	while (at && (at = strstr(at, needle))) {
		n++;
		at += strlen(needle);
	}
	return n;
}

/* ---- a background erase in doubt: Background Operation Status ------------- */

/* What sanitize() got besides the return code. */
struct answer {
	uint8_t hdr[12];            /* the MCTP CCI's response header */
	bool in_doubt;              /* QMP: its message says the erase is in doubt */
	bool error;                 /* QMP: an error reply */
};

/*
 * Sanitize (4400h): over the MCTP CCI socket @fd when >= 0, else host 0's
 * mailbox over QMP cxl-cci-request.  Its return code (an error reply of
 * QMP: -1), and in @ans (may be NULL) the rest.
 */
static int sanitize_ans(struct qmp_client *c, int fd, struct answer *ans)
{
	struct answer dummy;
	uint8_t req[12] = { 0 };
	const char *msg;
	json_t *r, *ret;
	int rc;

	ans = ans ? ans : &dummy;
	memset(ans, 0, sizeof(*ans));
	if (fd >= 0) {
		req[1] = 9;
		put16(req + 3, 0x4400);
		assert_int_equal(write(fd, req, sizeof(req)), (ssize_t)sizeof(req));
		assert_int_equal(read(fd, ans->hdr, sizeof(ans->hdr)), 12);    /* no payload */
		assert_int_equal(ans->hdr[0], 1);                               /* a response */
		assert_int_equal(ans->hdr[1], 9);
		assert_int_equal(ans->hdr[3] | ans->hdr[4] << 8, 0x4400);
		return ans->hdr[8] | ans->hdr[9] << 8;
	}
	r = qmp_client_cmd(c, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\","
			      "\"cci\":\"mailbox\",\"host-id\":0,\"opcode\":17408}}", TMO);
	ret = json_object_get(r, "return");
	ans->error = json_object_get(r, "error") != NULL;
	rc = ret ? (int)json_integer_value(json_object_get(ret, "return-code")) : -1;
	msg = json_string_value(json_object_get(ret, "message"));
	ans->in_doubt = msg && strstr(msg, "the erase ran, but the state store cannot record that it ran") &&
			strstr(msg, "ends with Internal Error");
	json_decref(r);
	return rc;
}

static int sanitize(struct qmp_client *c, int fd)
{
	return sanitize_ans(c, fd, NULL);
}

/*
 * Background Operation Status (0002h) of the same CCI as sanitize(), polled
 * until no operation is in progress: its 8 bytes in @st.
 */
static void bg_status_done(struct qmp_client *c, int fd, uint8_t st[8])
{
	for (int i = 0; i < 500; i++) {
		size_t n = 8;

		if (fd >= 0)
			assert_int_equal(mctp_request(fd, 0x0002, st, 8), 0);
		else
			assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x0002, NULL, 0, st, &n), 0);
		assert_int_equal(n, 8);
		if (!(st[0] & 1))
			return;
		usleep(10000);
	}
	fail_msg("the Sanitize still runs after 5 s");
}

/*
 * Host 0 holds 2 MiB; the store fails right after the commit of a
 * Sanitize (a background command), so its proof record is not stored.
 * It started and runs to its end all the same (its zeros), so it is
 * answered as a Sanitize that starts: Background Command Started (01h),
 * on the MCTP CCI with the Background Operation bit set, the very bytes
 * of the retry below (QMP: return-code 1, and a message that says the
 * erase is in doubt).  Before, it was answered Internal Error with the
 * bit clear while the operation ran on.  Its result, what Background
 * Operation Status reports once it ends, is Internal Error: 100 %, opcode
 * 4400h and return code 04h (before session 11: Success, and a host that
 * polls 0002h took the erase as done and durable).  Once the store works
 * again and the daemon committed the proof, the retry ends with Success.
 */
static void sanitize_unproven(bool mctp)
{
	char sock[200], msock[220];
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	struct answer in_doubt, proven;
	uint8_t st[8];
	int fd, rc;

	c = start_failing(&p, &a, &sh, sock, msock, mctp, &fd);
	rc = sanitize_ans(c, fd, &in_doubt);
	if (rc != CXLDCD_RC_BG_STARTED)
		fail_msg("Sanitize was answered %04xh with its proof not stored: it runs on", (unsigned)rc);
	if (mctp && !(in_doubt.hdr[7] & 0x80))
		fail_msg("the Sanitize in doubt runs on, but its answer has the Background Operation bit clear");
	if (!mctp && !in_doubt.in_doubt)
		fail_msg("QMP's answer to the Sanitize in doubt does not say so");
	assert_true(mctp || !in_doubt.error);
	assert_true(file_zero(&p, "a.mem", 11));        /* it ran */
	assert_true(strstr(dproc_log(&p), "its background operation ends with Internal Error") != NULL);
	bg_status_done(c, fd, st);
	assert_int_equal(st[0], 100 << 1);               /* complete, not in progress */
	assert_int_equal(st[2] | st[3] << 8, 0x4400);
	if ((st[4] | st[5] << 8) != CXLDCD_RC_INTERNAL_ERROR)
		fail_msg("Background Operation Status reports %04xh for a Sanitize answered Internal Error",
			 (unsigned)(st[4] | st[5] << 8));
	assert_int_equal(st[6] | st[7] << 8, 0);
	/* The store works again: the daemon commits the proof; the retry ends with Success. */
	fail_after_next_commit(&sh, false);
	for (int i = 0; i < 500 && proof_owed(c); i++)
		usleep(10000);
	assert_false(proof_owed(c));
	assert_int_equal(sanitize_ans(c, fd, &proven), CXLDCD_RC_BG_STARTED);
	/* The same bytes as the answer in doubt: a Sanitize that started. */
	assert_memory_equal(proven.hdr, in_doubt.hdr, 12);
	assert_false(proven.in_doubt);
	bg_status_done(c, fd, st);
	assert_int_equal(st[0], 100 << 1);
	assert_int_equal(st[2] | st[3] << 8, 0x4400);
	assert_int_equal(st[4] | st[5] << 8, 0);
	if (fd >= 0)
		close(fd);
	state_quit(&p, c);
}

static void test_a_sanitize_in_doubt_ends_with_internal_error_in_its_status(void **state)
{
	(void)state;
	sanitize_unproven(false);
}

static void test_an_mctp_sanitize_in_doubt_ends_with_internal_error_in_its_status(void **state)
{
	(void)state;
	sanitize_unproven(true);
}

/* 0002h of sanitize()'s CCI once the operation ended: its return code (100 %, opcode 4400h). */
static int bg_result(struct qmp_client *c, int fd)
{
	uint8_t st[8];

	bg_status_done(c, fd, st);
	assert_int_equal(st[0], 100 << 1);
	assert_int_equal(st[2] | st[3] << 8, 0x4400);
	return st[4] | st[5] << 8;
}

/* Restart @p (SIGKILL, or a clean stop when @clean): the new QMP client, *fd reconnected. */
static struct qmp_client *restart(struct dproc *p, struct state_args *a, struct shim *sh,
				  struct qmp_client *c, const char *sock, int *fd, bool clean)
{
	if (*fd >= 0)
		close(*fd);
	if (clean) {
		state_quit(p, c);
	} else {
		qmp_client_free(c);
		dproc_kill9(p);
	}
	unlink(sh->syncs);      /* the shim counts this process's syncs: "EIO N" is of them */
	start_shim(p, a, sh, false);
	c = restarted(p);
	if (*fd >= 0)
		assert_true((*fd = dproc_connect_unix(sock, TMO)) >= 0);
	return c;
}

/*
 * A Sanitize in doubt, whose proof the daemon then commits, ends with
 * Internal Error in Background Operation Status also after a restart:
 * after a kill (the journal replays it) and after a clean stop (the
 * snapshot holds it), the return code is stored with the proof.  Before,
 * it lived in memory only and a restart said Success.  A Sanitize that
 * ran since ends with Success, also after a restart.  A restart while
 * the proof is still owed does the erase again and proves it: Success.
 */
static void sanitize_answered_survives(bool mctp)
{
	char sock[200], msock[220];
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	int fd, rc;

	c = start_failing(&p, &a, &sh, sock, msock, mctp, &fd);
	assert_int_equal(sanitize(c, fd), CXLDCD_RC_BG_STARTED);
	assert_int_equal(bg_result(c, fd), CXLDCD_RC_INTERNAL_ERROR);
	fail_after_next_commit(&sh, false);
	for (int i = 0; i < 500 && proof_owed(c); i++)
		usleep(10000);
	assert_false(proof_owed(c));
	c = restart(&p, &a, &sh, c, sock, &fd, false);
	rc = bg_result(c, fd);
	if (rc != CXLDCD_RC_INTERNAL_ERROR)
		fail_msg("after a kill, Background Operation Status reports %04xh for the Sanitize answered Internal Error",
			 (unsigned)rc);
	c = restart(&p, &a, &sh, c, sock, &fd, true);
	assert_non_null(strstr(dproc_log(&p), "0 journal record(s) replayed"));   /* the snapshot */
	rc = bg_result(c, fd);
	if (rc != CXLDCD_RC_INTERNAL_ERROR)
		fail_msg("after a clean stop, Background Operation Status reports %04xh for the Sanitize answered Internal Error",
			 (unsigned)rc);
	/* Another one, answered as it ran: Success, also after a restart. */
	assert_int_equal(sanitize(c, fd), CXLDCD_RC_BG_STARTED);
	assert_int_equal(bg_result(c, fd), 0);
	c = restart(&p, &a, &sh, c, sock, &fd, false);
	assert_int_equal(bg_result(c, fd), 0);
	/* In doubt at a kill: the start erases again and commits the proof; Success. */
	fail_after_next_commit(&sh, true);
	assert_int_equal(sanitize(c, fd), CXLDCD_RC_BG_STARTED);
	assert_int_equal(bg_result(c, fd), CXLDCD_RC_INTERNAL_ERROR);
	fail_after_next_commit(&sh, false);     /* before the restart: else it fails at once */
	c = restart(&p, &a, &sh, c, sock, &fd, false);
	assert_int_equal(bg_result(c, fd), 0);
	if (fd >= 0)
		close(fd);
	state_quit(&p, c);
}

/* Replace the stored return codes of background erases (meta 'bg_results') of @p's stopped store. */
static void results_rewrite(struct dproc *p, const char *text)
{
	struct store *st;
	char err[256];

	assert_int_equal(store_open(p->state, &st, err, sizeof(err)), 0);
	assert_int_equal(store_bg_results_set(st, text), 0);
	store_close(st);
}

/*
 * The stored return codes are read back at start (docs/persistence.md,
 * "Background Operation Status across a restart"); the file is outside
 * input.  A Sanitize in doubt whose proof was committed stores its entry;
 * with it, entries that are not [dev, owner, opcode, start_ns, rc] in range
 * (a string, an owner past 16 bits, a device that does not exist, a
 * negative device, too few fields) are each ignored with a warning, and
 * the real one still gives 0002h its Internal Error; a text that is not
 * JSON is ignored with a warning, and the daemon starts (0002h: Success,
 * the result lost, as when it was never stored).
 */
static void test_unreadable_stored_results_are_ignored_with_a_warning(void **state)
{
	char sock[200], msock[220], *real = NULL;
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	struct store *st;
	char err[256], text[512];
	int fd;

	(void)state;
	c = start_failing(&p, &a, &sh, sock, msock, false, &fd);
	assert_int_equal(sanitize(c, fd), CXLDCD_RC_BG_STARTED);
	assert_int_equal(bg_result(c, fd), CXLDCD_RC_INTERNAL_ERROR);
	fail_after_next_commit(&sh, false);
	for (int i = 0; i < 500 && proof_owed(c); i++)
		usleep(10000);
	assert_false(proof_owed(c));
	state_quit(&p, c);
	assert_int_equal(store_open(p.state, &st, err, sizeof(err)), 0);
	assert_int_equal(store_bg_results_get(st, &real), 0);
	store_close(st);
	assert_non_null(real);
	assert_true(real[0] == '[' && real[1] == '[' && strlen(real) < 200);
	real[strlen(real) - 1] = 0;     /* its entries, without the closing bracket */
	snprintf(text, sizeof(text), "[\"x\",[0,70000,17408,5,4],[9,0,17408,5,4],[-1,0,0,0,0],[0,0,4],%s]",
		 real + 1);
	results_rewrite(&p, text);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = restarted(&p);
	for (int i = 0; i < 5; i++) {
		char line[96];

		snprintf(line, sizeof(line), "stored return code %d of a background erase is not readable", i);
		if (!strstr(dproc_log(&p), line))
			fail_msg("no warning for stored entry %d", i);
	}
	assert_int_equal(bg_result(c, -1), CXLDCD_RC_INTERNAL_ERROR);
	state_quit(&p, c);
	results_rewrite(&p, "[[0,0,17408");
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = restarted(&p);
	assert_non_null(strstr(dproc_log(&p), "the stored return codes of background erases are not readable"));
	assert_int_equal(bg_result(c, -1), 0);
	state_quit(&p, c);
	free(real);
}

static void test_a_sanitize_in_doubt_ends_with_internal_error_after_a_restart(void **state)
{
	(void)state;
	sanitize_answered_survives(false);
}

static void test_an_mctp_sanitize_in_doubt_ends_with_internal_error_after_a_restart(void **state)
{
	(void)state;
	sanitize_answered_survives(true);
}

/* ---- a proof owed: committed by itself, by a request, a snapshot, a stop -- */

/*
 * Host 0's Secure Erase while the store fails from the commit after the
 * next one on (right after the erase's own): answered with an error, the
 * erase's proof not stored.
 */
static void erase_in_doubt(struct qmp_client *c, const struct shim *sh)
{
	json_t *r;

	fail_after_next_commit(sh, true);
	r = qmp_secure_erase(c);
	assert_non_null(json_object_get(r, "error"));
	json_decref(r);
}

/*
 * erase_in_doubt(): the proof owed; then the store recovers and the "host"
 * (this test, a trusted host's file) writes "written after" into a.mem.
 */
static void erase_in_doubt_then_recover(struct dproc *p, struct qmp_client *c,
					const struct shim *sh)
{
	erase_in_doubt(c, sh);
	assert_true(proof_owed(c));
	fail_after_next_commit(sh, false);
	state_file_write(p, "a.mem", 0, "written after");
}

/*
 * Stop @p by SIGKILL (or cleanly when @clean; @c freed either way) and start
 * it again without the shim: a.mem must still hold "written after" (else
 * the failure says @why); then quit.
 */
static void restart_keeps_written_after(struct dproc *p, const struct state_args *a,
					struct qmp_client *c, bool clean, const char *why)
{
	char buf[16];

	if (clean) {
		state_quit(p, c);
	} else {
		qmp_client_free(c);
		dproc_kill9(p);
	}
	assert_int_equal(dproc_start(p, a->argv), 0);
	c = restarted(p);
	state_file_read(p, "a.mem", 0, buf, 13);
	if (memcmp(buf, "written after", 13))
		fail_msg("%s", why);
	state_quit(p, c);
}

/*
 * The daemon's retries wait at most 1 s: with a first delay of 600 ms, the
 * wait after the first failed attempt is 1000 ms, not 1200 (the window in
 * which a kill after the store's recovery still erases again is at most
 * that wait).  Then the store recovers and the proof goes in.
 */
static void test_an_owed_proofs_retries_wait_at_most_a_second(void **state)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	json_t *d = NULL;
	json_int_t next = -1;
	int i;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV, "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, "600", false);
	erase_in_doubt(c, &sh);
	for (i = 0; i < TMO / 20; i++) {
		d = durability(c);
		if (json_integer_value(json_object_get(d, "attempts")) >= 1)
			break;
		json_decref(d);
		d = NULL;
		usleep(20000);
	}
	if (!d)
		fail_msg("no retry of the owed proof within %d ms: %s", TMO, dproc_log(&p));
	assert_true(json_is_true(json_object_get(d, "proof-owed")));
	next = json_integer_value(json_object_get(d, "next-attempt-ms"));
	json_decref(d);
	if (next > 1000)
		fail_msg("after a failed attempt the next one is %lld ms away (at most 1000)",
			 (long long)next);
	fail_after_next_commit(&sh, false);
	for (i = 0; i < TMO / 20 && proof_owed(c); i++)
		usleep(20000);
	assert_false(proof_owed(c));
	state_quit(&p, c);
}

/*
 * The query's "next-attempt-ms" once the first retry of an owed proof
 * failed, the daemon's first wait being @first_ms ($CXLDCD_PROOF_RETRY_MS);
 * -1 when no retry came within TMO.  The store keeps failing.
 */
static json_int_t wait_after_the_first_retry(const char *first_ms)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	json_int_t next = -1;
	json_t *d;

	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV, "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, first_ms, false);
	erase_in_doubt(c, &sh);
	for (int i = 0; i < TMO / 20 && next < 0; i++) {
		d = durability(c);
		if (json_integer_value(json_object_get(d, "attempts")) >= 1)
			next = json_integer_value(json_object_get(d, "next-attempt-ms"));
		json_decref(d);
		usleep(20000);
	}
	state_quit(&p, c);
	dproc_reap_all(NULL);
	return next;
}

/*
 * The retry's waits follow one rule (owed-proof.c, next_wait()): the
 * first, then twice as long each time up to 1 s, or up to the first when
 * that is longer ($CXLDCD_PROOF_RETRY_MS, a test's).  A first wait of
 * 1500 ms stays 1500 ms (not 3000, nor 1000); one of 2^64 - 1 ms, which
 * wrapped the timer's deadline into the past so that the daemon retried
 * at every round of its loop (hundreds of attempts in 300 ms), is 1 hour:
 * no attempt, the next one an hour away.
 */
static void test_an_owed_proofs_waits_follow_one_rule(void **state)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	json_int_t next = wait_after_the_first_retry("1500"), attempts;
	json_t *d;

	(void)state;
	if (next <= 1000 || next > 1500)
		fail_msg("with a first wait of 1500 ms the next attempt is %lld ms away (1000 to 1500)",
			 (long long)next);
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV, "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, "18446744073709551615", false);
	erase_in_doubt(c, &sh);
	usleep(300000);
	d = durability(c);
	assert_true(json_is_true(json_object_get(d, "proof-owed")));
	attempts = json_integer_value(json_object_get(d, "attempts"));
	next = json_integer_value(json_object_get(d, "next-attempt-ms"));
	json_decref(d);
	if (attempts != 0)
		fail_msg("with a first wait of 2^64 - 1 ms the daemon tried %lld times in 300 ms",
			 (long long)attempts);
	if (next < 3590000 || next > 3600000)
		fail_msg("with a first wait of 2^64 - 1 ms the next attempt is %lld ms away (1 h)",
			 (long long)next);
	state_quit(&p, c);
}

/*
 * A full disk: the store fails with ENOSPC right after host 0's Secure
 * Erase (the shim reports no free blocks meanwhile), the retry timer is
 * 10 minutes off.  While the disk stays full nothing is tried (the free
 * space does not grow).  Once space is freed, and nothing but queries is
 * sent, the daemon commits the proof within moments (printed; the test
 * allows TMO, the timer being 10 minutes off): it reads the free space of
 * the store's file system every 10 ms while the disk is full.
 * What is written after survives a kill.  Before, the proof stayed owed
 * until the timer (up to 1 s, here 10 minutes), and a kill in that window
 * erased again what was written after the recovery.
 */
static void test_freed_space_commits_an_owed_proof_at_once(void **state)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	json_t *d, *r;
	int i;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV ",trusted-hosts=on", "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, "600000", false);
	state_file_write(&p, "a.mem", 0, "host 0 data");
	fail_after_next_commit_with(&sh, "ENOSPC");
	r = qmp_secure_erase(c);
	assert_non_null(json_object_get(r, "error"));
	json_decref(r);
	usleep(300000);
	d = durability(c);
	assert_true(json_is_true(json_object_get(d, "proof-owed")));
	assert_non_null(strstr(json_string_value(json_object_get(d, "error")), "full"));
	assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 0);
	json_decref(d);
	fail_after_next_commit(&sh, false);     /* space freed */
	for (i = 0; i < TMO / 10 && proof_owed(c); i++)         /* the timer: 10 minutes */
		usleep(10000);
	if (proof_owed(c))
		fail_msg("the proof is still owed %d ms after space was freed on the store's disk: %s",
			 TMO, dproc_log(&p));
	print_message("committed %d ms after space was freed\n", i * 10);
	state_file_write(&p, "a.mem", 0, "written after");
	restart_keeps_written_after(&p, &a, c, false,
				    "the restart erased again what was written after space was freed");
}

/*
 * Host 0's Secure Erase is answered with an error (its proof record not
 * stored), and then nothing is sent to the daemon but queries.  The
 * query shows the proof owed and host 0's erase in doubt while the store
 * fails (several attempts, one WARNING); once the store works again the
 * daemon commits the proof by itself: the query shows it settled, the
 * client gets CXL_ERASE_DURABLE, and what is written afterwards survives
 * a kill.  Before, nothing retried: only another mutating request would
 * have carried the proof, so the restart erased "written after" again.
 */
static void test_an_owed_proof_is_committed_by_itself_once_the_store_recovers(void **state)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	json_t *d, *e, *ev;
	int i;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV, "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, "20", false);
	d = durability(c);
	assert_true(json_is_true(json_object_get(d, "state-store")));
	assert_true(json_is_true(json_object_get(d, "accepts-writes")));
	assert_true(json_is_false(json_object_get(d, "proof-owed")));
	json_decref(d);
	state_file_write(&p, "a.mem", 0, "host 0 data");
	erase_in_doubt(c, &sh);
	/* a few attempts fail (20, 40, 80, 160 ms): still owed, said once */
	usleep(400000);
	d = durability(c);
	assert_true(json_is_false(json_object_get(d, "accepts-writes")));
	assert_non_null(json_string_value(json_object_get(d, "error")));
	assert_true(json_is_true(json_object_get(d, "proof-owed")));
	assert_true(json_integer_value(json_object_get(d, "attempts")) >= 2);
	assert_non_null(json_object_get(d, "owed-since"));
	assert_int_equal(json_array_size(json_object_get(d, "erases-in-doubt")), 1);
	e = json_array_get(json_object_get(d, "erases-in-doubt"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "device")), "d0");
	assert_int_equal(json_integer_value(json_object_get(e, "host-id")), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "erases")), 1);
	json_decref(d);
	assert_int_equal(log_count(&p, "state: a proof record is owed"), 1);
	/* The store recovers; only queries follow. */
	fail_after_next_commit(&sh, false);
	for (i = 0; i < TMO / 20 && proof_owed(c); i++)
		usleep(20000);
	if (proof_owed(c))
		fail_msg("the proof is still owed %d ms after the store recovered: %s", TMO,
			 dproc_log(&p));
	d = durability(c);
	assert_true(json_is_true(json_object_get(d, "accepts-writes")));
	assert_null(json_object_get(d, "erases-in-doubt"));
	json_decref(d);
	ev = qmp_client_event(c, "CXL_ERASE_DURABLE", TMO);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "data"), "device")),
			    "d0");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "data"), "host-id")), 0);
	json_decref(ev);
	assert_non_null(strstr(dproc_log(&p), "state: the proof record owed for"));
	/* Written now, then a kill: the restart owes nothing of the erase. */
	state_file_write(&p, "a.mem", 0, "written after");
	restart_keeps_written_after(&p, &a, c, false,
				    "the restart erased again what was written after the proof was owed and the store recovered");
}

/*
 * The kill window after the store's recovery: the daemon's retries are
 * far off (10 minutes), the store recovers, the "host" (this test, a
 * trusted host's file) writes after the erase, and a journaled request
 * (Set Timestamp over host 1's mailbox) succeeds; then SIGKILL, before
 * any retry.  The request's commit carries the owed proof, so the restart
 * owes no erase and keeps the bytes.
 */
static void test_a_journaled_request_after_the_recovery_carries_the_owed_proof(void **state)
{
	uint8_t ts[8] = { 1, 2, 3, 4, 5, 6, 7, 0 };
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV ",trusted-hosts=on", "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, "600000", false);
	erase_in_doubt_then_recover(&p, c, &sh);
	assert_int_equal(qmp_cci(c, "d0", "mailbox", 1, 0x0301, ts, 8, NULL, NULL), 0);
	if (proof_owed(c))
		fail_msg("a request committed after the store recovered left the proof owed");
	restart_keeps_written_after(&p, &a, c, false,
				    "the restart erased again what was written after the store recovered");
}

/*
 * The same window when the first transaction after the recovery is not a
 * request's: a snapshot child forked before the erase (seq 3; the shim
 * holds its fdatasync) ends once the store recovered, and the daemon
 * records its snapshot (a transaction that succeeds).  The proof owed is
 * committed right after it, not at the retry 10 minutes later: a kill
 * then keeps what the host wrote after the recovery.  Before, the proof
 * stayed owed (the snapshot, of seq 3, keeps the erase in the journal),
 * and the restart erased those bytes again.
 */
static void test_a_snapshot_recorded_after_the_recovery_commits_the_owed_proof(void **state)
{
	char hold[200], tmp[300];
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	FILE *f;
	int i;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV ",trusted-hosts=on", "--fm", p.fm_arg);
	snprintf(hold, sizeof(hold), "%s/snaphold", p.dir);
	snprintf(tmp, sizeof(tmp), "%s/snapshot-%020d.bin.tmp", p.state, 3);
	assert_non_null(f = fopen(hold, "w"));
	fclose(f);
	setenv("CXLDCD_SNAPSHOT_EVERY", "3", 1);
	setenv("CXLDCD_FAULTFS_SNAP_HOLD", hold, 1);
	c = start_tag_a(&p, &a, &sh, "600000", false);  /* seq 1, then 2, 3: the child of seq 3 */
	unsetenv("CXLDCD_FAULTFS_SNAP_HOLD");
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	for (i = 0; i < TMO / 10 && access(tmp, F_OK); i++)
		usleep(10000);
	assert_int_equal(access(tmp, F_OK), 0);
	erase_in_doubt_then_recover(&p, c, &sh);
	unlink(hold);                                           /* the child ends, the store records it */
	assert_int_equal(dproc_wait_count(&p, "stderr.log", "snapshot-00000000000000000003.bin written",
					  1, TMO), 1);
	if (proof_owed(c))
		fail_msg("the store recorded a snapshot after it recovered, and the proof stayed owed");
	restart_keeps_written_after(&p, &a, c, false,
				    "the restart erased again what was written after the store recovered");
}

/*
 * The same with the daemon's retries far off (10 minutes) and a trusted
 * host (its writes are in the file; a clean stop writes no view back
 * over them), the "host" being this test writing a.mem: the store
 * recovers, and the daemon is stopped cleanly before any retry.  The stop
 * commits the proof first, so its snapshot is written and the next start
 * keeps what was written after the erase.  Before, the stop wrote no
 * snapshot (the store counted as failing) and the next start erased it
 * again.
 */
static void test_a_clean_stop_commits_an_owed_proof(void **state)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV ",trusted-hosts=on", "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, "600000", false);
	erase_in_doubt_then_recover(&p, c, &sh);
	restart_keeps_written_after(&p, &a, c, true,
				    "the start after a clean stop erased again what was written after the erase");
	assert_non_null(strstr(dproc_log(&p), "0 journal record(s) replayed"));   /* the stop's snapshot */
}

/*
 * A clean stop while the store still fails (a trusted host, as above):
 * the stop's last attempt
 * fails, the log says what the next start does, no snapshot is written,
 * and the next start (the store works) erases again host 0's capacity,
 * what was written after the Internal Error included, then owes nothing.
 */
static void test_a_clean_stop_in_doubt_leaves_the_erase_to_the_next_start(void **state)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV ",trusted-hosts=on", "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, NULL, false);
	erase_in_doubt(c, &sh);
	state_file_write(&p, "a.mem", 0, "written after");
	state_quit(&p, c);
	assert_non_null(strstr(dproc_log(&p), "stopping with a proof record owed"));
	assert_null(strstr(dproc_log(&p), "written at stop"));
	fail_after_next_commit(&sh, false);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = restarted(&p);
	assert_true(file_zero(&p, "a.mem", 13));
	assert_non_null(strstr(dproc_log(&p), "erased by the replay and not proven done since: zeroed"));
	assert_false(proof_owed(c));
	state_quit(&p, c);
}

/* ---- a deleted backend's zeroing --------------------------------------- */

/* Wait until the shim's sync trace names a snapshot file; the trace into @buf. */
static void wait_snapshot(const char *path, char *buf, size_t cap)
{
	for (int i = 0; i < TMO / 10; i++, usleep(10000)) {
		FILE *f = fopen(path, "r");
		size_t len = f ? fread(buf, 1, cap - 1, f) : 0;

		if (f)
			fclose(f);
		buf[len] = 0;
		if (strstr(buf, "snapshot-"))
			return;
	}
	fail_msg("no snapshot was written (syncs: %s)", buf);
}

/*
 * A sanitizing forced release zeroes host 0's capacity in a.mem (backend
 * fa, unsynced), then fa is deleted (object-del) and a snapshot drops both
 * records: the journal no longer owes that zeroing, so a.mem must be
 * synced before the snapshot is written.  Before, the snapshot child
 * synced only the backends still there: a.mem was not in the trace, and
 * after a power loss an object-add of a.mem again could find host 0's
 * bytes in free capacity.
 */
static void test_a_backend_deleted_after_a_zeroing_is_synced_before_a_snapshot_drops_it(void **state)
{
	static const char *forced =
		"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
		"\"removal-policy\":\"tag-based\",\"forced-removal\":true,\"tag\":\"" TAG_A "\",\"region\":0}}";
	char buf[4096];
	const char *snap, *a_mem;
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV ",sanitize-on-release=on", "--fm", p.fm_arg);
	setenv("CXLDCD_SNAPSHOT_EVERY", "5", 1);
	c = start_tag_a(&p, &a, &sh, NULL, true);       /* seq 1; 2, 3: accept, clear the log */
	unsetenv("CXLDCD_SNAPSHOT_EVERY");
	state_file_write(&p, "a.mem", 0, "host 0 data");
	unlink(sh.trace);                                       /* from here on */
	ok(qmp_client_cmd(c, forced, TMO));                     /* seq 4: zeroes a.mem */
	assert_true(file_zero(&p, "a.mem", 11));
	ok(qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"fa\"}}",
			  TMO));                                /* seq 5: snapshot 5 */
	wait_snapshot(sh.trace, buf, sizeof(buf));
	snap = strstr(buf, "snapshot-");
	assert_non_null(strstr(buf, "snapshot-00000000000000000005.bin.tmp"));
	a_mem = strstr(buf, "a.mem\n");
	if (!a_mem || a_mem > snap)
		fail_msg("snapshot 5 was written before a.mem, zeroed by the release it drops and deleted since, was synced: %s",
			 buf);
	state_quit(&p, c);
}

/* ---- a record that forgets a zeroing waits for it to be on disk ---------- */

/*
 * Host 0's Secure Erase zeroes its capacity in a.mem (no sync of its own);
 * the proof record committed before the answer makes a replay forget the
 * erase.  Before, nothing synced a.mem first: a power loss could keep the
 * proof and lose the zeroes, and the host would find its erased bytes
 * again.  Now the trace shows a.mem synced before the proof's commit.
 */
static void test_an_erase_is_proven_only_once_its_zeroes_are_synced(void **state)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	json_t *r;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV, "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, NULL, true);
	state_file_write(&p, "a.mem", 0, "host 0 data");
	unlink(sh.trace);
	r = expect_ok(qmp_secure_erase(c));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "return"), "return-code")),
			 0);
	json_decref(r);
	assert_true(file_zero(&p, "a.mem", 11));
	if (!synced_before_a_commit(&sh, "a.mem"))
		fail_msg("the erase's proof was committed with a.mem not synced: %s", trace_of(&sh));
	state_quit(&p, c);
}

/*
 * a.mem cannot be synced (the shim fails its fsync with EIO) when host 0's
 * Secure Erase zeroed it: its proof must not be committed, so the erase
 * is answered as not durable, naming the backend.  Before, the proof was
 * committed (a.mem never synced) and the erase answered Success.  Once
 * a.mem syncs again, the erase retried is answered Success.
 */
static void test_an_erase_whose_zeroes_cannot_be_synced_is_not_answered_success(void **state)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	const char *desc;
	json_t *r;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV, "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, NULL, false);
	state_file_write(&p, "a.mem", 0, "host 0 data");
	syncs_fail(&sh, true);
	r = qmp_secure_erase(c);
	desc = json_string_value(json_object_get(json_object_get(r, "error"), "desc"));
	if (!desc)
		fail_msg("Secure Erase answered %s with a.mem not synced", json_dumps(r, JSON_COMPACT));
	assert_non_null(strstr(desc, "cannot sync the file of backend fa"));
	json_decref(r);
	assert_true(file_zero(&p, "a.mem", 11));        /* it ran */
	syncs_fail(&sh, false);
	r = expect_ok(qmp_secure_erase(c));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "return"), "return-code")),
			 0);
	json_decref(r);
	state_quit(&p, c);
}

/*
 * a.mem cannot be synced after host 0's Secure Erase zeroed it: the
 * erase is answered with an error and its proof is owed.  Only what
 * makes a replay forget a zeroing waits for that sync (the proof, an
 * acceptance): an object-add and host 1's offer of tag B (b.mem) are
 * committed without the proof and succeed, host 1's acceptance is
 * refused, and the query shows the proof owed with the store accepting
 * writes.  Once a.mem syncs again the daemon commits the proof by
 * itself, and host 1's acceptance succeeds.  Before, every mutating
 * request of every device was refused while one backend file could not
 * be synced.
 */
static void test_a_backend_that_cannot_be_synced_holds_back_only_the_proof(void **state)
{
	struct cxldcd_event ev[8];
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	json_t *r, *d;
	uint16_t n;
	int i;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, "512M", DEV, "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, "20", false);
	syncs_fail(&sh, true);
	r = qmp_secure_erase(c);
	assert_non_null(strstr(qmp_client_err_desc(r) ?: "", "cannot sync the file of backend fa"));
	json_decref(r);
	/* Requests that make no replay forget a zeroing go on. */
	r = qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":"
			      "\"memory-backend-ram\",\"id\":\"r1\",\"size\":2097152}}", TMO);
	if (qmp_client_err_desc(r))
		fail_msg("object-add refused while a.mem cannot be synced: %s", qmp_client_err_desc(r));
	json_decref(r);
	r = qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			      "\"host-id\":1,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\""
			      TAG_B "\",\"extents\":[{\"offset\":4194304,\"len\":2097152}]}}", TMO);
	if (qmp_client_err_desc(r))
		fail_msg("host 1's offer refused while a.mem cannot be synced: %s", qmp_client_err_desc(r));
	json_decref(r);
	/*
	 * object-del too ("An erase in doubt", object-del): of a backend
	 * nobody uses, committed without the proof; of fa, which the erase
	 * zeroed and host 0 still holds, refused as in use.
	 */
	ok(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":"
			     "\"memory-backend-ram\",\"id\":\"r2\",\"size\":2097152}}", TMO));
	r = qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"r2\"}}", TMO);
	if (qmp_client_err_desc(r))
		fail_msg("object-del refused while a.mem cannot be synced: %s", qmp_client_err_desc(r));
	json_decref(r);
	r = qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"fa\"}}", TMO);
	assert_non_null(strstr(qmp_client_err_desc(r) ?: "", "object 'fa' is in use, can not be deleted"));
	json_decref(r);
	/* An acceptance does not: the replay forgets zeroings at it. */
	n = host_read_dc_log(c, "d0", 1, ev, 8);
	assert_int_equal(n, 1);
	r = qmp_client_cmdf(c, TMO, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\","
			    "\"cci\":\"mailbox\",\"host-id\":1,\"opcode\":18434,\"payload\":"
			    "\"0100000000000000%016llx%016llx0000000000000000\"}}",
			    (unsigned long long)__builtin_bswap64(ev[0].dc_extent.dpa),
			    (unsigned long long)__builtin_bswap64(ev[0].dc_extent.len));
	assert_non_null(strstr(qmp_client_err_desc(r) ?: "", "cannot sync the file of backend fa"));
	json_decref(r);
	d = durability(c);
	assert_true(json_is_true(json_object_get(d, "proof-owed")));
	assert_true(json_is_true(json_object_get(d, "accepts-writes")));
	assert_non_null(strstr(json_string_value(json_object_get(d, "error")) ?: "",
			       "cannot sync the file of backend fa"));
	json_decref(d);
	syncs_fail(&sh, false);
	for (i = 0; i < TMO / 20 && proof_owed(c); i++)
		usleep(20000);
	assert_false(proof_owed(c));
	assert_int_equal(host_send_ranges(c, "d0", 1, 0x4802, ev, 1), 0);
	assert_int_equal(qmp_host_extent_count(c, "d0", 1), 1);
	state_quit(&p, c);
}

/*
 * docs/persistence.md ("An erase in doubt", object-del): "a backend file
 * whose sync keeps failing keeps the proof owed ..., and a start then
 * stops, since it cannot commit the proof of its own zeroing".  Host 0's
 * Secure Erase in doubt because a.mem cannot be synced, what is written
 * after it, a kill; a start while a.mem still cannot be synced exits 1
 * and says why (backend fa's file cannot be synced); the
 * next start, with a.mem syncing, zeroes host 0's place again and commits
 * the proof: a third start owes nothing (zero records left to settle).
 */
static void test_a_start_that_cannot_sync_what_it_zeroed_stops(void **state)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	const char *log;
	json_t *r;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV, "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, NULL, false);
	state_file_write(&p, "a.mem", 0, "host 0 data");
	syncs_fail(&sh, true);
	r = qmp_secure_erase(c);
	assert_non_null(qmp_client_err_desc(r));
	json_decref(r);
	state_file_write(&p, "a.mem", 0, "written after");
	qmp_client_free(c);
	dproc_kill9(&p);
	/* a.mem still cannot be synced: the start cannot prove what it zeroes */
	start_shim(&p, &a, &sh, false);
	if (dproc_wait_exit(&p, TMO) != 1)
		fail_msg("a start that cannot sync the backend it zeroed did not exit 1: %s",
			 dproc_log(&p));
	log = dproc_log(&p);
	if (!strstr(log, "cannot restore the state") ||
	    !strstr(log, "cannot sync the file of backend fa"))
		fail_msg("the start that cannot sync a.mem does not say so: %s",
			 strlen(log) > 900 ? log + strlen(log) - 900 : log);
	syncs_fail(&sh, false);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = restarted(&p);
	if (!file_zero(&p, "a.mem", 13))
		fail_msg("the start after the failed one did not erase host 0's place again");
	assert_false(proof_owed(c));
	state_file_write(&p, "a.mem", 0, "written after");
	restart_keeps_written_after(&p, &a, c, false,
				    "the erase was done again by a third start: its proof was not committed");
}

/*
 * The same, then a kill while a.mem still cannot be synced: the journal
 * holds the erase, then the object-add and host 1's offer committed
 * without the proof.  The restart replays them all and still owes the
 * erase at their end: host 0's place in a.mem is zeroed again (what was
 * written there after the error too), r1 exists and host 1's offer is
 * pending.
 */
static void test_a_restart_after_records_without_the_proof_still_does_the_erase(void **state)
{
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	char *text;
	json_t *r;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, "512M", DEV, "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, NULL, false);
	syncs_fail(&sh, true);
	r = qmp_secure_erase(c);
	assert_non_null(qmp_client_err_desc(r));
	json_decref(r);
	state_file_write(&p, "a.mem", 0, "written after");
	ok(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":"
			     "\"memory-backend-ram\",\"id\":\"r1\",\"size\":2097152}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			     "\"host-id\":1,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\""
			     TAG_B "\",\"extents\":[{\"offset\":4194304,\"len\":2097152}]}}", TMO));
	qmp_client_free(c);
	dproc_kill9(&p);
	syncs_fail(&sh, false);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = restarted(&p);
	if (!file_zero(&p, "a.mem", 13))
		fail_msg("the erase in doubt was not done again after the records committed without its proof");
	r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-memdev\"}", TMO));
	text = json_dumps(json_object_get(r, "return"), JSON_COMPACT);
	assert_non_null(strstr(text ? text : "", "\"r1\""));
	free(text);
	json_decref(r);
	r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":"
				     "{\"path\":\"d0\"}}", TMO));
	text = json_dumps(json_object_get(r, "return"), JSON_COMPACT);
	assert_non_null(strstr(text ? text : "", TAG_B));       /* host 1's offer */
	free(text);
	json_decref(r);
	assert_false(proof_owed(c));
	state_quit(&p, c);
}

/*
 * A sanitizing forced release zeroes host 0's capacity in a.mem, then host
 * 1 accepts the same capacity: the replay no longer owes the zeroing once
 * that acceptance is in the journal (it ran after the release).  Before,
 * its commit did not wait for a.mem's sync: after a power loss host 1
 * could read host 0's bytes.  Now a.mem is synced before that commit.
 */
static void test_an_acceptance_after_a_sanitizing_release_waits_for_its_zeroes(void **state)
{
	static const char *forced =
		"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
		"\"removal-policy\":\"tag-based\",\"forced-removal\":true,\"tag\":\"" TAG_A "\",\"region\":0}}";
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	state_args(&a, &p, NULL, DEV ",sanitize-on-release=on", "--fm", p.fm_arg);
	c = start_tag_a(&p, &a, &sh, NULL, true);
	state_file_write(&p, "a.mem", 0, "host 0 data");
	ok(qmp_client_cmd(c, forced, TMO));
	assert_true(file_zero(&p, "a.mem", 11));
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			     "\"host-id\":1,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\""
			     TAG_A "\",\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	unlink(sh.trace);
	assert_int_equal(host_answer_all(c, "d0", 1), 1);       /* clear the log, then 4802h */
	if (!synced_before_a_commit(&sh, "a.mem"))
		fail_msg("host 1's acceptance was committed before a.mem, zeroed by the release, was synced: %s",
			 trace_of(&sh));
	state_quit(&p, c);
}

/*
 * What a replay owed on an unavailable backend (fg: its directory moved
 * away at the restart) is kept in the store and zeroed at the object-add
 * that makes fg again, which then drops it from the store.  Before, that
 * drop was committed with the zeroes not synced: a power loss could keep
 * the store's word and lose the zeroes.  Now g.mem is synced first.  The
 * owed place comes from an erase whose proof the store refused (above).
 */
static void test_a_backend_back_is_synced_before_the_store_forgets_what_it_was_owed(void **state)
{
	char sub[200], away[200], g_path[220], cmd[600];
	struct dproc p;
	struct state_args a;
	struct shim sh;
	struct qmp_client *c;
	int fd;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(sub, sizeof(sub), "%s/gone", p.dir);
	snprintf(away, sizeof(away), "%s/away", p.dir);
	snprintf(g_path, sizeof(g_path), "%s/g.mem", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	state_args(&a, &p, NULL, DEV, "--fm", p.fm_arg);
	start_shim(&p, &a, &sh, false);
	assert_non_null(c = dproc_connect(&p, TMO));
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-file\",\"id\":\"fg\","
		 "\"size\":4194304,\"share\":true,\"mem-path\":\"%s\",\"tag\":\"" TAG_B "\"}}", g_path);
	ok(qmp_client_cmd(c, cmd, TMO));
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			     "\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\""
			     TAG_B "\",\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	erase_in_doubt(c, &sh);                                 /* owed by the next replay */
	qmp_client_free(c);
	dproc_kill9(&p);
	fail_after_next_commit(&sh, false);
	assert_int_equal(rename(sub, away), 0);
	start_shim(&p, &a, &sh, true);
	c = restarted(&p);
	assert_non_null(strstr(dproc_log(&p), "on unavailable backends: kept in the store"));
	assert_int_equal(rename(away, sub), 0);
	assert_true((fd = open(g_path, O_WRONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(pwrite(fd, "host 0 data B", 13, 0), 13);      /* as if never erased */
	close(fd);
	unlink(sh.trace);
	ok(qmp_client_cmd(c, cmd, TMO));
	assert_non_null(strstr(dproc_log(&p), "state: backend fg is back: 1 range(s)"));
	if (!synced_first(&sh, "g.mem"))
		fail_msg("the store forgot what fg was owed before g.mem was synced: %s", trace_of(&sh));
	state_quit(&p, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_an_erase_whose_proof_cannot_be_stored_is_not_answered_success,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_mctp_erase_whose_proof_cannot_be_stored_is_answered_internal_error,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_sanitize_in_doubt_ends_with_internal_error_in_its_status,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_mctp_sanitize_in_doubt_ends_with_internal_error_in_its_status,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_sanitize_in_doubt_ends_with_internal_error_after_a_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_mctp_sanitize_in_doubt_ends_with_internal_error_after_a_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_unreadable_stored_results_are_ignored_with_a_warning,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_owed_proof_is_committed_by_itself_once_the_store_recovers,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_owed_proofs_retries_wait_at_most_a_second,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_owed_proofs_waits_follow_one_rule, dproc_reap_all),
		cmocka_unit_test_teardown(test_freed_space_commits_an_owed_proof_at_once,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_journaled_request_after_the_recovery_carries_the_owed_proof,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_snapshot_recorded_after_the_recovery_commits_the_owed_proof,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_clean_stop_commits_an_owed_proof, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_clean_stop_in_doubt_leaves_the_erase_to_the_next_start,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_backend_deleted_after_a_zeroing_is_synced_before_a_snapshot_drops_it,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_erase_is_proven_only_once_its_zeroes_are_synced,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_erase_whose_zeroes_cannot_be_synced_is_not_answered_success,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_backend_that_cannot_be_synced_holds_back_only_the_proof,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_restart_after_records_without_the_proof_still_does_the_erase,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_start_that_cannot_sync_what_it_zeroed_stops,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_acceptance_after_a_sanitizing_release_waits_for_its_zeroes,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_backend_back_is_synced_before_the_store_forgets_what_it_was_owed,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
