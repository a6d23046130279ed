/* SPDX-License-Identifier: MIT */
/*
 * test-durability-move.c - integration: the daemon is killed (SIGKILL) in
 * the middle of a host-link memory operation and restarted with --state
 * (docs/persistence.md, "Crash semantics"; docs/host-link.md, "Moves").
 * Raw hosts (rawmsg.h) play the host link byte by byte, so a test can stop
 * a host between two steps:
 *  - a move: three hosts share tag A's grant, host 0 releases its share
 *    (acknowledged), hosts 1 and 2 are PAUSEd and the daemon dies before
 *    they answer, or after they answered and got their REMAP, before
 *    they answered that;
 *  - an acceptance whose commit is durable (its WAL frames written, the
 *    sync held by the faultfs shim) but which never ran: no MAP, no answer;
 *  - a host's own erase (Sanitize, Secure Erase, Media Operations Zero of
 *    part of its extent; Secure Erase of the static capacity), committed
 *    but never run, or answered: after the restart the host's MAP shows
 *    zeros where it erased, and what it writes after that survives the
 *    next restarts (src/server/owed.c).
 * After the restart the state keeps what was acknowledged (host 0's
 * release), the sharers get MAPs of one grant again when they reconnect,
 * holding what the backend file held (what hosts write in their views is
 * lost at a kill, docs/memory.md "File backends"), they share it again,
 * host 0 gets no MAP of the range and its old fd sees nothing written
 * after the restart, and a clean stop writes the sharers' bytes back.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev-util.h"
#include "cci-raw.h"
#include "hl-raw.h"
#include "state-util.h"
#include "../host/rawmsg.h"

#define DEV "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=3,sharable=on"
#define DEV_OWN "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=3"
#define LEN (2 * MiB)
#define PATF 0x3c               /* what the backend file holds before the daemon starts */
#define PAT1 0xa5               /* written by the sharers before the kill */
#define PAT2 0xb6               /* written after the restart */

struct args {
	char obj[300], hsock[200];
	const char *argv[12];
};

static void make_args_dev(struct args *a, const struct dproc *p, const char *dev)
{
	snprintf(a->obj, sizeof(a->obj),
		 "memory-backend-file,id=fa,size=64M,share=on,mem-path=%s/a.mem,tag=" TAG_A, p->dir);
	snprintf(a->hsock, sizeof(a->hsock), "%s/h.sock", p->dir);
	a->argv[0] = "-object";
	a->argv[1] = a->obj;
	a->argv[2] = "-device";
	a->argv[3] = dev;
	a->argv[4] = "--host-socket";
	a->argv[5] = a->hsock;
	a->argv[6] = "--fm";
	a->argv[7] = "none";
	a->argv[8] = "--state";
	a->argv[9] = p->state;
	a->argv[10] = NULL;
}

/* The backend file, 64 MiB of PATF, made before the first start. */
static void make_file(const struct dproc *p)
{
	static uint8_t buf[MiB];
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/a.mem", p->dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0);
	memset(buf, PATF, sizeof(buf));
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
}

/* The faultfs shim's control files in the daemon's directory, and which a start names. */
enum { SHIM_HOLD = 1, SHIM_WHOLD = 2, SHIM_SYNCS = 4, SHIM_FAULT = 8 };

struct shim {
	unsigned use;
	char hold[200], whold[200], syncs[200], fault[200];
};

/*
 * A new daemon @p: its backend file and arguments @a for device @dev; the
 * shim's files named in @sh for the starts (@use: SHIM_*).  A test that
 * uses the shim skips without $FAULTFS.
 */
static void setup(struct dproc *p, struct args *a, const char *dev, struct shim *sh, unsigned use)
{
	if (use && !getenv("FAULTFS"))
		skip();
	assert_int_equal(dproc_init(p), 0);
	make_file(p);
	make_args_dev(a, p, dev);
	sh->use = use;
	snprintf(sh->hold, sizeof(sh->hold), "%s/hold", p->dir);
	snprintf(sh->whold, sizeof(sh->whold), "%s/whold", p->dir);
	snprintf(sh->syncs, sizeof(sh->syncs), "%s/syncs", p->dir);
	snprintf(sh->fault, sizeof(sh->fault), "%s/fault", p->dir);
}

/* Start @p, with the shim preloaded and its files named when @sh uses any (NULL: plain). */
static void start_with(struct dproc *p, const struct args *a, const struct shim *sh)
{
	static const char *const env[] = { "CXLDCD_FAULTFS_HOLD", "CXLDCD_FAULTFS_WHOLD",
					   "CXLDCD_FAULTFS_SYNCS", "CXLDCD_FAULTFS" };
	const char *path[4];

	if (!sh || !sh->use) {
		assert_int_equal(dproc_start(p, a->argv), 0);
		return;
	}
	path[0] = sh->hold, path[1] = sh->whold, path[2] = sh->syncs, path[3] = sh->fault;
	setenv("LD_PRELOAD", getenv("FAULTFS"), 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	for (int i = 0; i < 4; i++)
		if (sh->use & 1u << i)
			setenv(env[i], path[i], 1);
	assert_int_equal(dproc_start(p, a->argv), 0);   /* the environment is the child's at fork */
	unsetenv("LD_PRELOAD");
	for (int i = 0; i < 4; i++)
		unsetenv(env[i]);
}

/* Make the file at @path (the shim's hold: while it exists), holding @text. */
static void touch(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Whether the first @n bytes of the backend file are all @v. */
static bool file_is(const struct dproc *p, size_t n, uint8_t v)
{
	static uint8_t buf[LEN];
	char path[300];
	int fd;
	bool all = true;

	snprintf(path, sizeof(path), "%s/a.mem", p->dir);
	assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(pread(fd, buf, n, 0), (ssize_t)n);
	close(fd);
	for (size_t i = 0; i < n && all; i++)
		all = buf[i] == v;
	return all;
}

static bool all_are(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* The next message of type @want (others skipped), within TMO; -1 when the daemon hung up. */
static int next_msg(struct raw *r, uint8_t want, uint8_t *pl, size_t cap, int *fd, int ms)
{
	for (int waited = 0; waited <= ms; waited += 10) {
		struct pollfd pf = { .fd = r->sock, .events = POLLIN };

		if (raw_pop(r, want, pl, cap, fd))
			return want;
		if (poll(&pf, 1, 10) == 1 && raw_recv(r) <= 0)
			return -1;
	}
	return 0;
}

static void expect_msg(struct raw *r, uint8_t want, uint8_t *pl, size_t cap, int *fd)
{
	if (next_msg(r, want, pl, cap, fd, TMO) != want)
		fail_msg("no message of type 0x%02x from the daemon", want);
}

/*
 * Connect raw host @h (mapping, MOVE_END), retrying while the daemon
 * starts (HELLO refused STARTING, or no socket yet): the DC region's base.
 */
static uint64_t hello(struct raw *r, const char *sock, uint16_t h)
{
	uint8_t req[8] = { 1, 0, (uint8_t)h, (uint8_t)(h >> 8), HL_HELLO_F_MAP | HL_HELLO_F_MOVE_END };
	uint8_t pl[64];

	for (int tries = 0; tries < 200; tries++) {
		struct hl_hello_ack ack;

		memset(r, 0, sizeof(*r));
		r->sock = dproc_connect_unix(sock, TMO);
		assert_true(r->sock >= 0);
		hl_raw_send(r->sock, HL_HELLO, 1, req, sizeof(req));
		if (next_msg(r, HL_HELLO_ACK, pl, sizeof(pl), NULL, TMO) == HL_HELLO_ACK) {
			assert_int_equal(hl_dec_hello_ack(pl, HL_HELLO_ACK_SIZE, &ack), 0);
			r->seq = 1;
			if (ack.status == HL_S_OK) {
				assert_true(ack.flags & HL_ACK_F_MAP);
				assert_true(ack.flags & HL_ACK_F_MOVE_END);
				return ack.span_base;
			}
			assert_int_equal(ack.status, HL_S_STARTING);
		}
		raw_close(r);
		usleep(25000);
	}
	fail_msg("host %u: no HELLO_ACK", h);
	return 0;
}

static void send_move_ack(struct raw *r, uint64_t id, uint32_t phase)
{
	const struct hl_move_ack m = { .id = id, .phase = phase };
	uint8_t msg[64];
	struct wwr w;

	wwr_init(&w, msg, sizeof(msg));
	hl_msg_begin(&w, HL_MOVE_ACK, ++r->seq);
	assert_int_equal(hl_enc_move_ack(&w, &m), 0);
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(write(r->sock, msg, w.off), (ssize_t)w.off);
}

/* Send 4802h (accept) or 4803h (release) of [dpa, dpa+LEN) with message tag @tag. */
static void extent_cmd(struct raw *r, uint16_t op, uint8_t tag, uint64_t dpa)
{
	uint8_t req[12 + 8 + 0x18] = { 0 };

	cci_raw_hdr(req, tag, op, 8 + 0x18);
	put32(req + 12, 1);
	put64(req + 20, dpa);
	put64(req + 28, LEN);
	hl_raw_send(r->sock, HL_CCI_REQ, ++r->seq, req, sizeof(req));
}

/* The return code of the next CCI response. */
static unsigned cci_rc(struct raw *r)
{
	uint8_t pl[64];

	expect_msg(r, HL_CCI_RSP, pl, sizeof(pl), NULL);
	return pl[8] | (unsigned)pl[9] << 8;
}

/* The next CCI response's 12-byte header, in @h. */
static void cci_hdr_of(struct raw *r, uint8_t h[12])
{
	uint8_t pl[64];

	expect_msg(r, HL_CCI_RSP, pl, sizeof(pl), NULL);
	memcpy(h, pl, 12);
}

/* The next MAP, for [dpa, dpa+LEN): mapped shared and writable. */
static uint8_t *expect_map(struct raw *r, uint64_t dpa, int *fd)
{
	uint8_t pl[64];
	struct hl_map m;
	void *p;

	expect_msg(r, HL_MAP, pl, sizeof(pl), fd);
	assert_int_equal(hl_dec_map(pl, HL_MAP_SIZE, &m), 0);
	assert_int_equal(m.dpa, dpa);
	assert_int_equal(m.len, LEN);
	assert_true(*fd >= 0);
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, (off_t)m.offset);
	assert_true(p != MAP_FAILED);
	return p;
}

static void add(struct qmp_client *c, int host, const char *policy)
{
	ok(qmp_client_cmdf(c, TMO, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			   "\"path\":\"d0\",\"host-id\":%d,\"selection-policy\":\"%s\",\"region\":0,"
			   "\"tag\":\"" TAG_A "\",\"extents\":[{\"offset\":0,\"len\":%d}]}}",
			   host, policy, (int)LEN));
}

/* Host @h's accepted extents and pending groups, as the device lists them. */
static void host_state(struct qmp_client *c, int h, size_t *extents, size_t *pending)
{
	json_t *r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}", TMO));
	json_t *hosts = json_object_get(ret_of(r), "hosts");

	*extents = *pending = 0;
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		json_t *o = json_array_get(hosts, i);

		if (json_integer_value(json_object_get(o, "host-id")) != h)
			continue;
		*extents = json_array_size(json_object_get(o, "extents"));
		*pending = json_array_size(json_object_get(o, "pending"));
	}
	json_decref(r);
}

static void expect_host(struct qmp_client *c, int h, size_t extents, size_t pending)
{
	size_t x, pd;

	host_state(c, h, &x, &pd);
	if (x != extents || pd != pending)
		fail_msg("host %d: %zu extent(s), %zu pending group(s); want %zu and %zu", h, x, pd,
			 extents, pending);
}

/*
 * After the restart: hosts 1 and 2 hold the extent, host 0 nothing; each
 * sharer's MAP shows the file's bytes (PATF), they share one grant again,
 * host 0's @old0 fd of the dead daemon's grant sees none of what they
 * write now, and a clean stop writes it back to the file.
 */
static void check_after_restart(struct dproc *p, const struct args *a, int old0)
{
	static uint8_t buf[LEN];
	struct qmp_client *c;
	struct raw r[3];
	uint8_t *m[3], pl[64];
	uint64_t base;
	int fd[3];

	assert_int_equal(dproc_start(p, a->argv), 0);
	c = state_connect(p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(p));
	expect_host(c, 0, 0, 0);        /* the release was acknowledged: kept */
	expect_host(c, 1, 1, 0);
	expect_host(c, 2, 1, 0);
	for (uint16_t h = 1; h <= 2; h++) {
		base = hello(&r[h], a->hsock, h);
		m[h] = expect_map(&r[h], base, &fd[h]);
		if (!all_are(m[h], LEN, PATF))
			fail_msg("host %u reads other bytes than the backend file's after the restart", h);
	}
	base = hello(&r[0], a->hsock, 0);
	/* Host 0 gets no MAP of the range it gave back. */
	assert_int_equal(next_msg(&r[0], HL_MAP, pl, sizeof(pl), NULL, 300), 0);
	memset(m[1], PAT2, LEN);
	assert_true(all_are(m[2], LEN, PAT2));  /* one grant again */
	assert_int_equal(pread(old0, buf, LEN, 0), (ssize_t)LEN);
	if (memchr(buf, PAT2, LEN))
		fail_msg("host 0's fd of the old grant shows what a sharer wrote after the restart");
	for (int h = 0; h < 3; h++) {
		if (h)
			munmap(m[h], LEN), close(fd[h]);
		raw_close(&r[h]);
	}
	state_quit(p, c);
	assert_true(file_is(p, LEN, PAT2));     /* written back at the clean stop */
	(void)base;
}

/*
 * Three sharers of tag A, host 0 releases its share (acknowledged) and the
 * move pauses hosts 1 and 2; killed in @phase: 1 before they answer the
 * PAUSE, 2 after they got their REMAP, before they answer it.
 */
static void kill_during_move(int phase)
{
	struct dproc p;
	struct args a;
	struct shim sh;
	struct qmp_client *c;
	struct raw r[3];
	uint8_t *m[3], pl[64];
	uint64_t base = 0, id[3] = { 0 };
	int fd[3], nfd;

	setup(&p, &a, DEV, &sh, 0);
	start_with(&p, &a, NULL);
	assert_non_null(c = state_connect(&p));
	for (uint16_t h = 0; h < 3; h++)
		base = hello(&r[h], a.hsock, h);
	add(c, 0, "prescriptive");
	for (uint16_t h = 0; h < 3; h++) {
		if (h)
			add(c, h, "enable-shared-access");
		extent_cmd(&r[h], 0x4802, 1, base);
		m[h] = expect_map(&r[h], base, &fd[h]);
		assert_int_equal(cci_rc(&r[h]), 0);
		assert_true(all_are(m[h], LEN, PATF));
	}
	memset(m[0], PAT1, LEN);
	assert_true(all_are(m[1], LEN, PAT1) && all_are(m[2], LEN, PAT1));
	/* Host 0 lets go: answered, then the move pauses the others. */
	extent_cmd(&r[0], 0x4803, 2, base);
	assert_int_equal(cci_rc(&r[0]), 0);
	for (int h = 1; h <= 2; h++) {
		struct hl_pause pm;

		expect_msg(&r[h], HL_PAUSE, pl, sizeof(pl), NULL);
		assert_int_equal(hl_dec_pause(pl, HL_PAUSE_SIZE, &pm), 0);
		assert_int_equal(pm.dpa, base);
		id[h] = pm.id;
		if (phase == 2)
			send_move_ack(&r[h], pm.id, HL_MOVE_PAUSED);
	}
	if (phase == 2) {
		for (int h = 1; h <= 2; h++) {
			struct hl_remap rm;

			expect_msg(&r[h], HL_REMAP, pl, sizeof(pl), &nfd);
			assert_int_equal(hl_dec_remap(pl, HL_REMAP_SIZE, &rm), 0);
			assert_int_equal(rm.id, id[h]);
			close(nfd);
		}
	}
	qmp_client_free(c);
	dproc_kill9(&p);
	for (int h = 0; h < 3; h++) {
		munmap(m[h], LEN);
		if (h)
			close(fd[h]);
		raw_close(&r[h]);
	}
	check_after_restart(&p, &a, fd[0]);
	close(fd[0]);
}

static void test_a_kill_while_a_move_pauses_the_sharers(void **state)
{
	(void)state;
	kill_during_move(1);
}

static void test_a_kill_while_the_sharers_remap(void **state)
{
	(void)state;
	kill_during_move(2);
}

/*
 * Host 1 accepts an offer; its 4802h is committed (the WAL frames written,
 * the sync held by the faultfs shim) when the daemon is killed: it never
 * ran, the host got no MAP and no answer.  After the restart the extent is
 * accepted (the request was durable, docs/persistence.md "The ones in
 * flight"), and the host gets its MAP when it connects, of the file's bytes.
 */
static void test_a_kill_before_an_acceptance_ran(void **state)
{
	char pl[64];
	struct dproc p;
	struct args a;
	struct shim sh;
	struct qmp_client *c;
	struct raw r;
	uint8_t *m;
	uint64_t base;
	int fd;

	(void)state;
	setup(&p, &a, DEV, &sh, SHIM_HOLD);
	start_with(&p, &a, &sh);
	assert_non_null(c = state_connect(&p));
	base = hello(&r, a.hsock, 1);
	add(c, 1, "prescriptive");
	expect_host(c, 1, 0, 1);
	touch(sh.hold, "");
	extent_cmd(&r, 0x4802, 1, base);
	/* Held in the commit's sync: nothing comes back. */
	assert_int_equal(next_msg(&r, 0, (uint8_t *)pl, sizeof(pl), NULL, 300), 0);
	qmp_client_free(c);
	dproc_kill9(&p);
	unlink(sh.hold);
	raw_close(&r);
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(&p));
	expect_host(c, 1, 1, 0);
	base = hello(&r, a.hsock, 1);
	m = expect_map(&r, base, &fd);
	assert_true(all_are(m, LEN, PATF));
	memset(m, PAT2, LEN);
	munmap(m, LEN);
	close(fd);
	raw_close(&r);
	state_quit(&p, c);
	assert_true(file_is(&p, LEN, PAT2));
}

/* ---- a host's own erase (4400h-4402h) and a kill ------------------------- */

/* Whether [@off, @off+@n) of @m is zeros and the rest of LEN is @v. */
static bool erased_in(const uint8_t *m, uint64_t off, uint64_t n, uint8_t v)
{
	return all_are(m, off, v) && all_are(m + off, n, 0) &&
	       all_are(m + off + n, LEN - off - n, v);
}

struct erase {
	const char *name;
	uint16_t op;
	uint8_t pl[8 + 0x10];       /* Media Operations: header and one range */
	size_t n;
	unsigned rc;                /* what the device answers when it runs */
	uint64_t off, len;          /* what it zeroes of the extent */
};

static const struct erase sanitize = { "Sanitize", 0x4400, { 0 }, 0, 0x0001, 0, LEN };
static const struct erase secure_erase = { "Secure Erase", 0x4401, { 0 }, 0, 0, 0, LEN };

/* Media Operations, Sanitize class, Zero: [base + 64 KiB, +128 KiB). */
static struct erase media_zero(uint64_t base)
{
	struct erase e = { "Media Operations Zero", 0x4402, { 1, 1, 0, 0, 1 }, 8 + 0x10, 0x0001,
			   64 * 1024, 128 * 1024 };

	put64(e.pl + 8, base + e.off);
	put64(e.pl + 16, e.len);
	return e;
}

static void erase_cmd(struct raw *r, const struct erase *e)
{
	uint8_t req[12 + sizeof(e->pl)];

	cci_raw_hdr(req, 3, e->op, (uint32_t)e->n);
	memcpy(req + 12, e->pl, e->n);
	hl_raw_send(r->sock, HL_CCI_REQ, ++r->seq, req, 12 + e->n);
}

/* Start (with the faultfs shim as @sh says, NULL: without), connect host 0, accept tag A. */
static struct qmp_client *start_own(struct dproc *p, struct args *a, const struct shim *sh,
				    struct raw *r, uint64_t *base, uint8_t **m, int *fd)
{
	struct qmp_client *c;

	start_with(p, a, sh);
	assert_non_null(c = state_connect(p));
	*base = hello(r, a->hsock, 0);
	add(c, 0, "prescriptive");
	extent_cmd(r, 0x4802, 1, *base);
	*m = expect_map(r, *base, fd);
	assert_int_equal(cci_rc(r), 0);
	assert_true(all_are(*m, LEN, PATF));    /* host 0's data, in the file since a clean stop */
	return c;
}

/* Restart; host 0 maps its extent again: @e's range zeros, the rest @v.  Then it writes PAT2. */
static void after_restart(struct dproc *p, const struct args *a, const struct erase *e, uint8_t v)
{
	struct qmp_client *c;
	struct raw r;
	uint64_t base;
	uint8_t *m;
	int fd;

	assert_int_equal(dproc_start(p, a->argv), 0);
	c = state_connect(p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(p));
	expect_host(c, 0, 1, 0);
	base = hello(&r, a->hsock, 0);
	m = expect_map(&r, base, &fd);
	if (!erased_in(m, e->off, e->len, v))
		fail_msg("%s: after the restart host 0 reads %02x at %#llx (%02x at 0): not erased",
			 e->name, m[e->off], (unsigned long long)e->off, m[0]);
	memset(m, PAT2, LEN);                   /* the host's data from now on */
	munmap(m, LEN);
	close(fd);
	raw_close(&r);
	state_quit(p, c);
	assert_true(file_is(p, LEN, PAT2));     /* written back at the clean stop */
}

/* A restart after the clean stop: what the host wrote is there, not zeroed again. */
static void written_since_is_kept(struct dproc *p, const struct args *a)
{
	struct qmp_client *c;
	struct raw r;
	uint64_t base;
	uint8_t *m;
	int fd;

	assert_int_equal(dproc_start(p, a->argv), 0);
	c = state_connect(p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(p));
	base = hello(&r, a->hsock, 0);
	m = expect_map(&r, base, &fd);
	if (!all_are(m, LEN, PAT2))
		fail_msg("what host 0 wrote after the erase was zeroed by a later restart");
	munmap(m, LEN);
	close(fd);
	raw_close(&r);
	state_quit(p, c);
}

/*
 * Host 0 holds tag A's extent over bytes of its own in the backend file
 * (PATF) and erases them (@e); the erase is committed (the sync held by the
 * faultfs shim: no answer) when the daemon is killed.  After the restart
 * the erase is in the state, so its zeroing must be too: before, host 0
 * mapped its extent and read the bytes it had erased.  What the host
 * writes after that restart survives the next restarts.
 */
static void erase_killed_before_it_ran(const struct erase *e0)
{
	uint8_t pl[64];
	struct dproc p;
	struct args a;
	struct shim sh;
	struct qmp_client *c;
	struct raw r;
	struct erase e = *e0;
	uint64_t base;
	uint8_t *m;
	int fd;

	setup(&p, &a, DEV_OWN, &sh, SHIM_HOLD);
	c = start_own(&p, &a, &sh, &r, &base, &m, &fd);
	if (e.op == 0x4402)
		e = media_zero(base);
	touch(sh.hold, "");
	erase_cmd(&r, &e);
	assert_int_equal(next_msg(&r, 0, pl, sizeof(pl), NULL, 300), 0);  /* held in the sync */
	assert_true(all_are(m, LEN, PATF));     /* it never ran */
	qmp_client_free(c);
	dproc_kill9(&p);
	unlink(sh.hold);
	munmap(m, LEN);
	close(fd);
	raw_close(&r);
	after_restart(&p, &a, &e, PATF);
	written_since_is_kept(&p, &a);
}

static void test_a_sanitize_killed_before_it_ran_is_done_at_restart(void **state)
{
	(void)state;
	erase_killed_before_it_ran(&sanitize);
}

static void test_a_secure_erase_killed_before_it_ran_is_done_at_restart(void **state)
{
	(void)state;
	erase_killed_before_it_ran(&secure_erase);
}

static void test_a_media_zero_killed_before_it_ran_is_done_at_restart(void **state)
{
	(void)state;
	erase_killed_before_it_ran(&(struct erase){ .op = 0x4402 });
}

/*
 * The same erase, answered (it ran: the host's view is zeros), then the
 * host writes PAT1 and the daemon is killed.  A kill loses what the host
 * wrote (docs/memory.md "File backends"), but not the erase: before, the
 * backend file still held the erased bytes (only the view was punched), so
 * after the restart host 0 read them again.  Then, as above, what it
 * writes after the restart is kept.
 */
static void test_an_answered_secure_erase_survives_a_kill(void **state)
{
	struct dproc p;
	struct args a;
	struct shim sh;
	struct qmp_client *c;
	struct raw r;
	uint64_t base;
	uint8_t *m;
	int fd;

	(void)state;
	setup(&p, &a, DEV_OWN, &sh, 0);
	c = start_own(&p, &a, NULL, &r, &base, &m, &fd);
	erase_cmd(&r, &secure_erase);
	assert_int_equal(cci_rc(&r), 0);
	assert_true(all_are(m, LEN, 0));
	memset(m, PAT1, LEN);
	qmp_client_free(c);
	dproc_kill9(&p);
	munmap(m, LEN);
	close(fd);
	raw_close(&r);
	after_restart(&p, &a, &secure_erase, PATF);
	written_since_is_kept(&p, &a);
}

/*
 * An answered erase, then the host writes and the daemon stops cleanly
 * (the view written back): the restart replays the erase, and must not
 * zero what the host wrote after it ran.
 */
static void test_what_a_host_wrote_after_its_erase_survives_a_restart(void **state)
{
	struct dproc p;
	struct args a;
	struct shim sh;
	struct qmp_client *c;
	struct raw r;
	uint64_t base;
	uint8_t *m;
	int fd;

	(void)state;
	setup(&p, &a, DEV_OWN, &sh, 0);
	c = start_own(&p, &a, NULL, &r, &base, &m, &fd);
	erase_cmd(&r, &secure_erase);
	assert_int_equal(cci_rc(&r), 0);
	memset(m, PAT2, LEN);
	munmap(m, LEN);
	close(fd);
	raw_close(&r);
	state_quit(&p, c);
	assert_true(file_is(&p, LEN, PAT2));
	written_since_is_kept(&p, &a);
}

/* The number of WAL syncs the faultfs shim counted in @path (one byte each). */
static long syncs_in(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? 0 : (long)sb.st_size;
}

/*
 * A trusted host (trusted-hosts=on: its writes land in the backend file
 * at once) erases its extent and writes PAT1 as soon as the answer comes;
 * then the daemon is killed.  The erase's proof record is held before its
 * frames reach the WAL (the faultfs shim holds the WAL writes after the
 * erase's own commit).  Before, the answer left before that proof was
 * written: the kill lost the proof, the restart owed the erase and zeroed
 * what the host had written after the answer.  Now no answer leaves while
 * the proof is held; once it is let go, the answer comes, the host
 * writes, and after the kill and restart the host reads its bytes.
 */
static void test_a_trusted_hosts_write_after_its_erase_answer_survives_a_kill(void **state)
{
	char n[32];
	uint8_t pl[64];
	struct dproc p;
	struct args a;
	struct shim sh;
	struct qmp_client *c;
	struct raw r;
	uint64_t base;
	uint8_t *m;
	int fd, got;

	(void)state;
	setup(&p, &a, DEV_OWN ",trusted-hosts=on", &sh, SHIM_WHOLD | SHIM_SYNCS);
	c = start_own(&p, &a, &sh, &r, &base, &m, &fd);
	/* The erase's own commit is the next sync; every WAL write after it waits. */
	snprintf(n, sizeof(n), "%ld\n", syncs_in(sh.syncs) + 1);
	touch(sh.whold, n);
	erase_cmd(&r, &secure_erase);
	got = next_msg(&r, HL_CCI_RSP, pl, sizeof(pl), NULL, 500);
	if (got != HL_CCI_RSP) {        /* held with its proof: let the proof be written */
		assert_true(all_are(m, LEN, 0));        /* it ran */
		unlink(sh.whold);
		got = next_msg(&r, HL_CCI_RSP, pl, sizeof(pl), NULL, TMO);
	}
	assert_int_equal(got, HL_CCI_RSP);
	assert_int_equal(pl[8] | pl[9] << 8, 0);
	assert_true(all_are(m, LEN, 0));
	memset(m, PAT1, LEN);           /* into the backend file: trusted */
	qmp_client_free(c);
	dproc_kill9(&p);
	unlink(sh.whold);
	munmap(m, LEN);
	close(fd);
	raw_close(&r);
	assert_true(file_is(&p, LEN, PAT1));
	assert_int_equal(dproc_start(&p, a.argv), 0);
	c = state_connect(&p);
	if (!c)
		fail_msg("restart failed: %s", dproc_log(&p));
	base = hello(&r, a.hsock, 0);
	m = expect_map(&r, base, &fd);
	if (!all_are(m, LEN, PAT1))
		fail_msg("after the restart host 0 reads %02x: what it wrote after its erase was answered was zeroed by the replay",
			 m[0]);
	munmap(m, LEN);
	close(fd);
	raw_close(&r);
	state_quit(&p, c);
}

/*
 * Host 0 holds tag A; the store fails from the commit after the next
 * one, so @e's proof record is not stored: it is answered Internal Error
 * (a background erase: Background Command Started, the Background
 * Operation bit set, and Internal Error as its result) and ran (host 0's
 * mapping is zeros).  The QMP client.
 */
static struct qmp_client *erase_in_doubt(struct dproc *p, struct args *a, struct shim *sh,
					 struct raw *r, uint8_t **m, int *fd, const struct erase *e0)
{
	struct qmp_client *c;
	struct erase e1 = *e0, *e = &e1;
	uint64_t base;
	char n[32];
	uint8_t h[12];
	unsigned rc;

	setup(p, a, DEV_OWN, sh, SHIM_FAULT | SHIM_SYNCS);
	c = start_own(p, a, sh, r, &base, m, fd);
	if (e->op == 0x4402)
		*e = media_zero(base);
	snprintf(n, sizeof(n), "EIO %ld\n", syncs_in(sh->syncs) + 1);
	touch(sh->fault, n);
	erase_cmd(r, e);
	cci_hdr_of(r, h);
	rc = h[8] | (unsigned)h[9] << 8;
	/* A background erase runs on: it started (01h, BO set); its result is 0002h's. */
	if (rc != (e->rc == 0x0001 ? 0x0001u : 0x0004u))
		fail_msg("host 0's %s was answered %04xh with its proof not stored", e->name, rc);
	if (e->rc == 0x0001 && !(h[7] & 0x80))
		fail_msg("host 0's %s runs on, but its answer %04xh has the Background Operation bit clear",
			 e->name, rc);
	assert_true(erased_in(*m, e->off, e->len, PATF));     /* it ran */
	return c;
}

/*
 * Host 0's Secure Erase runs, but the store fails right after the erase's
 * own commit (the shim: EIO from the next WAL sync on), so the proof
 * record that it ran cannot be stored.  Before, the host was answered
 * Success all the same, and what it wrote next was zeroed again by a
 * restart (the replay owes an erase no proof follows).  Now the answer
 * is Internal Error (0004h), and query-cxl-durability shows host 0's
 * capacity in doubt; once the store accepts writes again, the daemon
 * commits the proof by itself (CXL_ERASE_DURABLE), the host's retry is
 * answered Success and what it writes after it survives a clean stop and
 * a restart.
 */
static void test_a_hosts_erase_whose_proof_cannot_be_stored_is_answered_internal_error(void **state)
{
	struct dproc p;
	struct args a;
	struct shim sh;
	struct qmp_client *c;
	struct raw r;
	uint8_t *m;
	json_t *d, *e, *ev;
	int fd;

	(void)state;
	c = erase_in_doubt(&p, &a, &sh, &r, &m, &fd, &secure_erase);
	/* The query shows host 0's capacity in doubt, as for the other faces. */
	d = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-durability\"}", TMO));
	e = json_array_get(json_object_get(json_object_get(d, "return"), "erases-in-doubt"), 0);
	assert_true(json_is_true(json_object_get(json_object_get(d, "return"), "proof-owed")));
	assert_int_equal(json_integer_value(json_object_get(e, "host-id")), 0);
	json_decref(d);
	unlink(sh.fault);
	/* The daemon commits the proof by itself (nothing else is sent). */
	ev = qmp_client_event(c, "CXL_ERASE_DURABLE", TMO);
	assert_non_null(ev);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "data"), "host-id")), 0);
	json_decref(ev);
	erase_cmd(&r, &secure_erase);           /* the retry */
	assert_int_equal(cci_rc(&r), 0);
	memset(m, PAT2, LEN);
	munmap(m, LEN);
	close(fd);
	raw_close(&r);
	state_quit(&p, c);
	assert_true(file_is(&p, LEN, PAT2));
	written_since_is_kept(&p, &a);
}

/* Background Operation Status (0002h) on @r's mailbox, polled until none is in progress. */
static void bg_status_done(struct raw *r, uint8_t st[8])
{
	for (int i = 0; i < 500; i++) {
		uint8_t req[12], pl[64];

		cci_raw_hdr(req, 4, 0x0002, 0);
		hl_raw_send(r->sock, HL_CCI_REQ, ++r->seq, req, sizeof(req));
		expect_msg(r, HL_CCI_RSP, pl, sizeof(pl), NULL);
		assert_int_equal(pl[8] | pl[9] << 8, 0);
		memcpy(st, pl + 12, 8);
		if (!(st[0] & 1))
			return;
		usleep(10000);
	}
	fail_msg("the Sanitize still runs after 5 s");
}

/*
 * Host 0's Sanitize (a background command) whose proof record cannot be
 * stored: it started and runs on, so the link answers it as any Sanitize
 * that starts, Background Command Started (01h) with the Background
 * Operation bit set (erase_in_doubt(); before: Internal Error with the bit
 * clear, while 0002h said "in progress" and another background command got
 * Busy), and it runs to its end (its zeros); Background Operation Status
 * (0002h), what a host of the link polls in place of the mailbox's
 * Background Command Status register, then reports 100 %, 4400h and
 * Internal Error (04h): its result.  Before the session-11 fix: Success,
 * as if the erase were done and durable.  Once the daemon committed the
 * proof, the retry starts (01h) and ends with Success.
 */
static void bg_erase_in_doubt(const struct erase *e)
{
	struct dproc p;
	struct args a;
	struct shim sh;
	struct qmp_client *c;
	struct raw r;
	uint8_t *m, st[8];
	json_t *ev;
	int fd;

	c = erase_in_doubt(&p, &a, &sh, &r, &m, &fd, e);
	bg_status_done(&r, st);
	assert_int_equal(st[0], 100 << 1);
	assert_int_equal(st[2] | st[3] << 8, e->op);
	if ((st[4] | st[5] << 8) != 0x0004)
		fail_msg("0002h reports %04xh for a %s in doubt", (unsigned)(st[4] | st[5] << 8),
			 e->name);
	unlink(sh.fault);
	ev = qmp_client_event(c, "CXL_ERASE_DURABLE", TMO);   /* the daemon's own retry */
	assert_non_null(ev);
	json_decref(ev);
	erase_cmd(&r, &sanitize);               /* a retry */
	assert_int_equal(cci_rc(&r), 0x0001);
	bg_status_done(&r, st);
	assert_int_equal(st[2] | st[3] << 8, 0x4400);
	assert_int_equal(st[4] | st[5] << 8, 0);
	munmap(m, LEN);
	close(fd);
	raw_close(&r);
	state_quit(&p, c);
}

static void test_a_hosts_sanitize_in_doubt_ends_with_internal_error_in_its_status(void **state)
{
	(void)state;
	bg_erase_in_doubt(&sanitize);
}

/*
 * Host 0, connected again after a restart of @p (SIGKILL, or a clean stop
 * when @clean; @c freed), reads Background Operation Status (0002h): in
 * @st, once no operation is in progress.  *@r stays connected.
 */
static void bg_status_after_restart(struct dproc *p, const struct args *a, struct qmp_client **c,
				    struct raw *r, bool clean, uint8_t st[8])
{
	uint64_t base;
	uint8_t *m;
	int fd;

	raw_close(r);
	if (clean) {
		state_quit(p, *c);
	} else {
		qmp_client_free(*c);
		dproc_kill9(p);
	}
	assert_int_equal(dproc_start(p, a->argv), 0);
	if (!(*c = state_connect(p)))
		fail_msg("restart failed: %s", dproc_log(p));
	base = hello(r, a->hsock, 0);
	m = expect_map(r, base, &fd);
	munmap(m, LEN);
	close(fd);
	bg_status_done(r, st);
}

/*
 * What a host of the link reads in place of the mailbox's Background
 * Command Status register (0002h: opcode, Percentage Complete, Return
 * Code) for a Sanitize answered in doubt, whose proof the daemon then
 * committed, after a restart: 4400h, 100 % and no operation in progress
 * (what Linux polls: cxl_mbox_background_complete() reads only the
 * percentage, and security_state_show() the opcode with it), and Internal
 * Error (04h) as its result, after a kill (the journal replays it) and
 * after a clean stop (the snapshot): the return code is stored with the
 * proof (meta.bg_results).  The QMP and MCTP CCI faces had this test
 * (test-durability-proof); the link, host 0's own mailbox, had none.
 */
static void test_a_hosts_sanitize_in_doubt_keeps_its_result_across_a_restart(void **state)
{
	struct dproc p;
	struct args a;
	struct shim sh;
	struct qmp_client *c;
	struct raw r;
	uint8_t *m, st[8];
	json_t *ev;
	int fd;

	(void)state;
	c = erase_in_doubt(&p, &a, &sh, &r, &m, &fd, &sanitize);
	munmap(m, LEN);
	close(fd);
	bg_status_done(&r, st);
	assert_int_equal(st[4] | st[5] << 8, 0x0004);
	/* The operator is told that a Linux host does not see it. */
	assert_non_null(strstr(dproc_log(&p), "as Linux does for a Sanitize, never sees"));
	unlink(sh.fault);
	ev = qmp_client_event(c, "CXL_ERASE_DURABLE", TMO);   /* the proof, with the 04h */
	assert_non_null(ev);
	json_decref(ev);
	for (int clean = 0; clean < 2; clean++) {
		bg_status_after_restart(&p, &a, &c, &r, clean, st);
		if (st[0] != 100 << 1 || (st[2] | st[3] << 8) != 0x4400)
			fail_msg("after a %s, 0002h reports %02xh (BO and %%), opcode %04xh: not the Sanitize, done",
				 clean ? "clean stop" : "kill", st[0], (unsigned)(st[2] | st[3] << 8));
		if ((st[4] | st[5] << 8) != 0x0004)
			fail_msg("after a %s, 0002h reports %04xh for the Sanitize answered in doubt",
				 clean ? "clean stop" : "kill", (unsigned)(st[4] | st[5] << 8));
	}
	raw_close(&r);
	state_quit(&p, c);
}

/* The same with Media Operations Zero of 128 KiB (4402h): 01h, BO set, then 04h in 0002h. */
static void test_a_hosts_media_zero_in_doubt_ends_with_internal_error_in_its_status(void **state)
{
	(void)state;
	bg_erase_in_doubt(&(struct erase){ .name = "Media Operations Zero", .op = 0x4402,
					   .rc = 0x0001 });
}

/* The MAP of the static capacity (DPA 0) that comes at connect: its first @n bytes mapped. */
static uint8_t *expect_static_map(struct raw *r, size_t n, int *fd)
{
	uint8_t pl[64];
	struct hl_map m;
	void *p;

	expect_msg(r, HL_MAP, pl, sizeof(pl), fd);
	assert_int_equal(hl_dec_map(pl, HL_MAP_SIZE, &m), 0);
	assert_int_equal(m.dpa, 0);
	assert_true(m.len >= n && *fd >= 0);
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, (off_t)m.offset);
	assert_true(p != MAP_FAILED);
	return p;
}

/* Start; host 0 connects and maps the first 64 KiB of the static capacity (DPA 0). */
static struct qmp_client *start_static(struct dproc *p, const char **argv, const char *hsock,
				       struct raw *r, uint8_t **m, int *fd)
{
	struct qmp_client *c;

	assert_int_equal(dproc_start(p, argv), 0);
	c = state_connect(p);
	if (!c)
		fail_msg("start failed: %s", dproc_log(p));
	(void)hello(r, hsock, 0);
	*m = expect_static_map(r, 64 * 1024, fd);
	return c;
}

static void stop_static(struct dproc *p, struct qmp_client *c, struct raw *r, uint8_t *m, int fd)
{
	munmap(m, 64 * 1024);
	close(fd);
	raw_close(r);
	state_quit(p, c);
}

/*
 * Static capacity (a volatile-memdev file, every host's): host 0's Secure
 * Erase zeroes it; committed and killed before it ran, after the restart
 * host 0's MAP of DPA 0 showed the file's bytes.  What it writes after
 * that restart survives the next one.
 */
static void test_an_erase_of_static_capacity_killed_before_it_ran_is_done_at_restart(void **state)
{
	char vobj[300], hsock[200], hold[200], path[300];
	const char *argv[] = { "-object", vobj, "-device",
			       "cxl-type3,id=d0,volatile-memdev=vm0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=3",
			       "--host-socket", hsock, "--fm", "none", "--state", NULL, NULL };
	static uint8_t buf[64 * 1024];
	uint8_t pl[64];
	struct dproc p;
	struct qmp_client *c;
	struct raw r;
	uint8_t *m;
	int fd, f;

	(void)state;
	if (!getenv("FAULTFS"))
		skip();
	assert_int_equal(dproc_init(&p), 0);
	snprintf(vobj, sizeof(vobj), "memory-backend-file,id=vm0,size=256M,share=on,mem-path=%s/v.mem",
		 p.dir);
	snprintf(hsock, sizeof(hsock), "%s/h.sock", p.dir);
	snprintf(hold, sizeof(hold), "%s/hold", p.dir);
	snprintf(path, sizeof(path), "%s/v.mem", p.dir);
	argv[9] = p.state;
	assert_true((f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0);
	assert_int_equal(ftruncate(f, 256 * MiB), 0);
	memset(buf, PATF, sizeof(buf));
	assert_int_equal(pwrite(f, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	close(f);
	setenv("LD_PRELOAD", getenv("FAULTFS"), 1);
	setenv("CXLDCD_FAULTFS_HOLD", hold, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	c = start_static(&p, argv, hsock, &r, &m, &fd);
	unsetenv("LD_PRELOAD");
	unsetenv("CXLDCD_FAULTFS_HOLD");
	assert_true(all_are(m, sizeof(buf), PATF));
	touch(hold, "");
	erase_cmd(&r, &secure_erase);
	assert_int_equal(next_msg(&r, 0, pl, sizeof(pl), NULL, 300), 0);  /* held in the sync */
	qmp_client_free(c);
	dproc_kill9(&p);
	unlink(hold);
	munmap(m, sizeof(buf));
	close(fd);
	raw_close(&r);
	c = start_static(&p, argv, hsock, &r, &m, &fd);
	if (!all_are(m, sizeof(buf), 0))
		fail_msg("after the restart host 0 reads %02x at DPA 0: the erase was not done", m[0]);
	memset(m, PAT2, sizeof(buf));
	stop_static(&p, c, &r, m, fd);
	c = start_static(&p, argv, hsock, &r, &m, &fd);
	if (!all_are(m, sizeof(buf), PAT2))
		fail_msg("what host 0 wrote after the erase was zeroed by a later restart (%02x)", m[0]);
	stop_static(&p, c, &r, m, fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_a_kill_while_a_move_pauses_the_sharers, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_kill_while_the_sharers_remap, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_kill_before_an_acceptance_ran, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_sanitize_killed_before_it_ran_is_done_at_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_secure_erase_killed_before_it_ran_is_done_at_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_media_zero_killed_before_it_ran_is_done_at_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_answered_secure_erase_survives_a_kill, dproc_reap_all),
		cmocka_unit_test_teardown(test_what_a_host_wrote_after_its_erase_survives_a_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_an_erase_of_static_capacity_killed_before_it_ran_is_done_at_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_trusted_hosts_write_after_its_erase_answer_survives_a_kill,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_hosts_erase_whose_proof_cannot_be_stored_is_answered_internal_error,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_hosts_media_zero_in_doubt_ends_with_internal_error_in_its_status,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_hosts_sanitize_in_doubt_ends_with_internal_error_in_its_status,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_hosts_sanitize_in_doubt_keeps_its_result_across_a_restart,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
