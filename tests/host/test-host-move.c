/* SPDX-License-Identifier: MIT */
/*
 * test-host-move.c - every move of a shared grant's sharers concludes for
 * each host it paused (docs/host-link.md "Moves"), whichever way it ends.
 *
 * A move PAUSEs each sharer with mapping, switches to a fresh grant, REMAPs
 * each sharer and ends.  A host that asked (HELLO flag bit 3) then gets one
 * MOVE_END per PAUSE it got: whatever of that range no REMAP replaced has
 * no grant to go to, and the library drops it, so nothing stays paused.
 * Here the device (model, memory and hostlink in process, hx.c) moves raw
 * hosts and the real agent (libcxldcd-host, with its application socket):
 *  - every PAUSE ends with a MOVE_END after its REMAPs (hosts that did not
 *    ask get none);
 *  - a sharer that reconnects while the move has the others paused is
 *    paused again on its new connection, and one that joins the grant
 *    then is paused too, so nothing they write misses the copy, and
 *    their PAUSEs end too;
 *  - when the device cannot read the sharers again after the switch it
 *    still REMAPs the ones it paused (hostlink_cfg.move_fault makes the
 *    step fail); when it cannot REMAP one, that host's MOVE_END ends the
 *    pause: the agent answers its waiting OPEN at once, never with the
 *    retired grant; so do the MOVE_ENDs alone when the grant is gone at
 *    the switch, and when no fresh grant can be made the sharers resume on
 *    the old one (REMAP, then MOVE_END);
 *  - a move that could not switch is made again, under a new id, at its
 *    retry time on the hostlink's clock (HOSTLINK_MOVE_RETRY_MIN_MS after
 *    the failed attempt, doubling), not before, until an attempt switches
 *    (then the old grant is punched: the host that let go reads zeros) or
 *    the grant is gone; a sharer that lets go meanwhile is covered by it,
 *    one that reconnects is paused by it; so is a move that could not even
 *    list its sharers;
 *  - the agent's wait for a move (cxldcd_host_cfg.move_wait_ms, on its
 *    cfg.clock) refuses a waiting OPEN BUSY at the deadline, not a
 *    millisecond before, and an OPEN after the REMAP reads the data;
 *  - cxldcd_host_group_open() in the agent's process never hands out a
 *    paused group: it drives the link until the REMAP (then writable),
 *    gives up -EBUSY at the same deadline, -EAGAIN at once from an event
 *    callback, -ENODEV after a MOVE_END without a REMAP; a holder gets
 *    group-paused, then group-resumed (or revoked).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostlink/proto.h"
#include "rawhost.h"

/*
 * PAT1 (rawhost.h): the sharers' data before the move; PAT2: what a
 * reconnected sharer writes before it pauses; PAT3: the sharers' data after
 * the move.
 */
#define LEN (2 * MiB)
/* HELLO flags: mapping, and a MOVE_END for every PAUSE. */
#define F_MOVE_END (HL_HELLO_F_MAP | HL_HELLO_F_MOVE_END)

/* The hostlink's move timeout in the clocked fixture (hostlink_cfg.move_timeout_ms). */
#define MOVE_MS 500u
/* The agent's wait for a move in test_a_waiting_open_*() (cxldcd_host_cfg.move_wait_ms). */
#define WAIT_MS 700u

/* hostlink_cfg.move_fault: one step fails (for one sharer, REMAP) while on. */
struct fault {
	bool on;
	enum hostlink_move_step step;
	uint16_t host;
	int err;
	unsigned hits;
};

/*
 * The fixture: hx first (hx_teardown() frees it), the fault and the agent's
 * clock.  With a script, the agent's clock reads script[0], script[1], ...
 * (agent_ms follows), then stays at the last (for a wait inside one call).
 */
struct mx {
	struct hx x;
	struct fault f;
	uint64_t agent_ms;
	const uint64_t *script;
	unsigned nr_script, at;
	/* open_in_pause(): hx's event callback, and what the open from GROUP_PAUSED returned */
	cxldcd_host_event_fn *hx_event;
	int cb_rc;
	unsigned cb_calls;
};

static int fault_cb(void *opaque, enum hostlink_move_step step, uint16_t host)
{
	struct fault *f = opaque;

	if (!f->on || step != f->step || (step == HOSTLINK_MOVE_REMAP && host != f->host))
		return 0;
	f->hits++;
	return f->err;
}

static uint64_t agent_clock(void *opaque)
{
	struct mx *m = opaque;

	if (m->script && m->at < m->nr_script)
		m->agent_ms = m->script[m->at++];
	return m->agent_ms;
}

/* The agent's clock reads the n times of script from its next reading on. */
static void clock_script(struct mx *m, const uint64_t *script, unsigned n)
{
	m->script = script;
	m->nr_script = n;
	m->at = 0;
}

/* Three hosts; clocked: the hostlink runs on x.clock_ms (a phase ends only when the test says). */
static int setup(void **state, bool clocked)
{
	struct mx *m = calloc(1, sizeof(*m));
	struct hx_opts o = { .nr_hosts = 3, .fake_clock = clocked,
			     .move_timeout_ms = clocked ? MOVE_MS : 0,
			     .move_fault = fault_cb };

	assert_non_null(m);
	o.move_fault_opaque = &m->f;
	hx_init_opts(&m->x, &o);
	*state = m;
	return 0;
}

static int setup_three(void **state)
{
	return setup(state, false);
}

static int setup_three_clocked(void **state)
{
	return setup(state, true);
}

/* ------------------------------------------------------------ raw hosts */

static struct hostlink_stats hl_stats(struct hx *x)
{
	struct hostlink_stats hs;

	hostlink_stats_get(x->hl, &hs);
	return hs;
}

/*
 * An attempt of a move that cannot switch, for the raw sharers r[first..2]
 * (each asked for MOVE_END and maps the grant at p[i]): each is PAUSEd and
 * answers, gets a REMAP of the old grant (old_fd's file) mapped in place,
 * answers, and gets its MOVE_END.  The hostlink's clock stands still.
 * Return the attempt's move id.
 */
static uint64_t failed_attempt(struct hx *x, struct raw r[3], int first, uint64_t d,
			       uint8_t *p[3], int old_fd, int nfd[3])
{
	uint64_t id = 0;

	for (int i = first; i < 3; i++) {
		uint64_t got = expect_pause(x, &r[i], d, LEN);

		assert_true(i == first || got == id);
		id = got;
		send_move_ack(&r[i], id, HL_MOVE_PAUSED);
	}
	for (int i = first; i < 3; i++) {
		if (nfd[i] >= 0)
			close(nfd[i]);
		nfd[i] = expect_remap_old(x, &r[i], d, LEN, id, p[i], old_fd);
		send_move_ack(&r[i], id, HL_MOVE_REMAPPED);
	}
	for (int i = first; i < 3; i++)
		expect_move_end(x, &r[i], d, LEN, id);
	return id;
}

/*
 * Raw host r hangs up (its mapping p and its MAP's fd m->fd go) and connects
 * again with flags: the MAP of [d, d+LEN) replayed to it in *again.
 */
static void reconnect(struct hx *x, struct raw *r, uint16_t host, uint32_t flags,
		      struct map_fd *m, uint8_t *p, uint64_t d, struct map_fd *again)
{
	munmap(p, LEN);
	close(m->fd);
	raw_close(r);
	hx_pump(x, 50);
	raw_hello(x, r, host, flags);
	expect_map(x, r, d, LEN, again);
}

/*
 * Move id has raw host 1 (PAT1 written at p[1]) and host 2, which came in
 * during the pause with the MAP m[2], paused.  Host 2 maps it, reads PAT1,
 * and writes PAT2 over the first MiB before it answers.  Host first answers
 * (nothing moves before the other has), then the other; each gets its
 * fresh grant in place at p[i] (expect_remap(), not old[i]'s file; its fd
 * in nfd[i]), answers, and gets its MOVE_END: one move, no timeout.  Both
 * read host 2's PAT2, then PAT1, and host first reads what the other
 * writes next (PAT3).
 */
static void late_sharer_moves(struct hx *x, struct raw r[3], uint64_t d, uint64_t id, int first,
			      struct map_fd m[3], uint8_t *p[3], const int old[3], int nfd[3])
{
	struct hostlink_stats hs;

	p[2] = map_it(&m[2]);
	assert_true(all_are(p[2], LEN, PAT1));
	memset(p[2], PAT2, MiB); /* before it answers: the copy has it */
	send_move_ack(&r[first], id, HL_MOVE_PAUSED);
	hx_pump(x, 50);
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.moves, 0); /* the other has not answered yet */
	send_move_ack(&r[3 - first], id, HL_MOVE_PAUSED);
	for (int i = 1; i < 3; i++)
		nfd[i] = expect_remap(x, &r[i], d, LEN, id, p[i], old[i]);
	for (int i = 1; i < 3; i++)
		send_move_ack(&r[i], id, HL_MOVE_REMAPPED);
	for (int i = 1; i < 3; i++)
		expect_move_end(x, &r[i], d, LEN, id);
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.moves, 1);
	assert_int_equal(hs.move_timeouts, 0);
	assert_true(all_are(p[1], MiB, PAT2) && all_are(p[1] + MiB, MiB, PAT1));
	assert_true(all_are(p[2], MiB, PAT2));
	memset(p[3 - first], PAT3, LEN);
	assert_true(all_are(p[first], LEN, PAT3));
}

/* HELLO flags of three raw sharers that map and asked for MOVE_END. */
static const uint32_t all_move_end[3] = { F_MOVE_END, F_MOVE_END, F_MOVE_END };

/*
 * Raw hosts 0, 1, 2 (all_move_end) sharing tag A at d (three_sharers()):
 * their MAPs, mappings and REMAP fds (-1 for none).
 */
struct three {
	uint64_t d;
	struct map_fd m[3];
	struct raw r[3];
	uint8_t *p[3];
	int nfd[3];
};

static void start_three(struct hx *x, struct three *s)
{
	s->d = x->base[0] + 224 * MiB;
	for (int i = 0; i < 3; i++)
		s->nfd[i] = -1;
	three_sharers(x, s->d, LEN, all_move_end, s->r, s->m, s->p);
}

/* Hosts 1 and 2 are moved to a fresh grant (move_sharers()) and get their MOVE_ENDs: the move id. */
static uint64_t move_both(struct hx *x, struct three *s)
{
	uint64_t id = move_sharers(x, s->d, LEN, s->r, s->p, s->m[0].fd, s->nfd);

	expect_move_end(x, &s->r[1], s->d, LEN, id);
	expect_move_end(x, &s->r[2], s->d, LEN, id);
	return id;
}

static void close_three(struct three *s)
{
	close_sharers(LEN, s->r, s->m, s->p, s->nfd);
}

/* ------------------------------------------------------------ agent and applications */

/* Whether this process can read the byte at p (an inaccessible mapping: no). */
static bool readable(const void *p)
{
	uint8_t b;
	struct iovec local = { .iov_base = &b, .iov_len = 1 };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)p, .iov_len = 1 };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 1;
}

/* Whether this process can write the byte at p (a read-only mapping: no); it writes v. */
static bool writable(void *p, uint8_t v)
{
	struct iovec local = { .iov_base = &v, .iov_len = 1 };
	struct iovec remote = { .iov_base = p, .iov_len = 1 };

	return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == 1;
}

/*
 * How many mappings of fd's file, len bytes each, this process has with
 * exactly perms ("rw-s", "r--s") in /proc/self/maps.
 */
static unsigned maps_of(int fd, uint64_t len, const char *perms)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned n = 0;
	struct stat sb;

	assert_non_null(f);
	assert_int_equal(fstat(fd, &sb), 0);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		unsigned maj, mnr;
		char pr[5];

		if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu", &start, &end, pr, &off, &maj, &mnr,
			   &ino) != 7)
			continue;
		n += ino == sb.st_ino && maj == major(sb.st_dev) && mnr == minor(sb.st_dev) &&
		     end - start == len && !strcmp(pr, perms);
	}
	fclose(f);
	return n;
}

/* Pump until the agent has had n MOVE_ENDs, for 1 s at most (the caller asserts what it needs). */
static void pump_until_agent_move_ends(struct hx *x, uint64_t n)
{
	for (int i = 0; i < 100 && agent_stats(x).move_ends < n; i++)
		hx_pump(x, 10);
}

/*
 * Pump the device alone (the agent reads nothing) until fd has input, for
 * 3 s at most, then 50 ms more: what the device sends the agent meanwhile
 * waits in the agent's socket.
 */
static void pump_device_until_input(struct hx *x, int fd)
{
	uint64_t end = hx_now_ms() + 3000, quiet = 0;

	while (hx_now_ms() < end && (!quiet || hx_now_ms() < quiet)) {
		struct pollfd fds[64], in = { .fd = fd, .events = POLLIN };
		size_t n = hostlink_pollfds(x->hl, fds, 64);

		if (!quiet && poll(&in, 1, 0) == 1)
			quiet = hx_now_ms() + 50;
		hostlink_tick(x->hl);
		if (poll(fds, (nfds_t)n, 10) <= 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (fds[i].revents)
				hostlink_process_fd(x->hl, fds[i].fd,
						    hostlink_poll_events(fds[i].revents));
		hx_round_end(x);
	}
	assert_true(quiet);
}

/* cxldcd_host_group_open() of tag A in the agent: its return; *addr the mapping. */
static int direct_open(struct hx *x, void **addr)
{
	uint8_t tag[CXLDCD_HOST_TAG_SIZE];
	uint64_t size = 0;
	int rc;

	assert_int_equal(cxldcd_tag_parse(TAG_A, tag), 0);
	*addr = NULL;
	rc = cxldcd_host_group_open(x->h, tag, 0, addr, &size);
	if (!rc)
		assert_int_equal(size, LEN);
	return rc;
}

/* An application's mapping of the segment fd of an OPEN_RSP: LEN bytes, shared, writable. */
static uint8_t *map_segment(int sfd)
{
	uint8_t *a = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);

	assert_true(a != MAP_FAILED);
	return a;
}

/* The agent runs on agent_clock() (from 5000 ms) and waits WAIT_MS for a move. */
static void agent_on_test_clock(struct mx *mx)
{
	mx->agent_ms = 5000;
	mx->x.hcfg.move_wait_ms = WAIT_MS;
	mx->x.hcfg.clock = agent_clock;
	mx->x.hcfg.clock_opaque = mx;
}

/* pause_agent() at base + 128 MiB: host 1 asked for MOVE_END; the agent's group open. */
static void pause_with_move_end(struct hx *x, struct paused *s)
{
	pause_agent(x, x->base[0] + 128 * MiB, LEN, F_MOVE_END, true, s);
}

/* Host 1 answers the move (its REMAP's fd in s->nfd) and gets its MOVE_END; so does the agent. */
static void host1_ends_move(struct hx *x, struct paused *s)
{
	s->nfd = answer_move(x, &s->r1, s->d, LEN, s->id, s->p1, s->m2.fd);
	expect_move_end(x, &s->r1, s->d, LEN, s->id);
	pump_until_agent_move_ends(x, 1);
}

/* ------------------------------------------------------------------------ */

/*
 * Host 0 is forced out; hosts 1 and 2 are moved.  Host 1 asked for MOVE_END:
 * right after its REMAP it gets the MOVE_END of its PAUSE (same range and
 * id).  Host 2 did not: it gets none (hosts that predate MOVE_END keep
 * working).  The data is read back through the remapped mappings.
 */
static void test_every_pause_ends_with_a_move_end_after_its_remaps(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 64 * MiB;
	const uint32_t flags[3] = { HL_HELLO_F_MAP, HL_HELLO_F_MAP | HL_HELLO_F_MOVE_END,
				    HL_HELLO_F_MAP };
	struct hostlink_stats hs;
	struct map_fd m[3];
	struct raw r[3];
	uint8_t *p[3];
	int nfd[3] = { -1, -1, -1 };
	uint64_t id;

	three_sharers(x, d, LEN, flags, r, m, p);
	memset(p[1], PAT1, LEN);
	force_release(x, 0, d, LEN, false);
	id = move_sharers(x, d, LEN, r, p, m[0].fd, nfd);
	expect_move_end(x, &r[1], d, LEN, id);
	expect_nothing(x, &r[2], 200);
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.moves, 1);
	assert_int_equal(hs.move_ends, 1);
	/* the move is done: both read the data through the fresh grant and share it */
	assert_true(all_are(p[1], LEN, PAT1) && all_are(p[2], LEN, PAT1));
	memset(p[2], PAT3, LEN);
	assert_true(all_are(p[1], LEN, PAT3));
	fd_has_none_of(m[0].fd, PAT1); /* the old grant is punched */
	close_sharers(LEN, r, m, p, nfd);
}

/*
 * Host 2 drops its connection while the move has the sharers paused and
 * connects again: its replayed MAP is of the grant being retired, so it is
 * paused again on the new connection (the old code left it unpaused: what
 * it wrote after the copy was lost).  What it writes before it answers is
 * in the copy; after the REMAP it reads it through the fresh grant, and
 * its new connection's PAUSE ends with a MOVE_END.
 */
static void test_a_sharer_that_reconnects_during_the_pause_is_paused_again(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 96 * MiB;
	const uint32_t flags[3] = { HL_HELLO_F_MAP, HL_HELLO_F_MAP | HL_HELLO_F_MOVE_END,
				    HL_HELLO_F_MAP | HL_HELLO_F_MOVE_END };
	struct map_fd m[3];
	struct raw r[3];
	uint8_t *p[3];
	int nfd[3] = { -1, -1, -1 };
	uint64_t id;

	three_sharers(x, d, LEN, flags, r, m, p);
	memset(p[1], PAT1, LEN);
	force_release(x, 0, d, LEN, false);
	id = expect_pause(x, &r[1], d, LEN);
	assert_int_equal(expect_pause(x, &r[2], d, LEN), id);

	/* host 2 goes and comes back; the pause phase goes on (the clock stands still) */
	reconnect(x, &r[2], 2, flags[2], &m[2], p[2], d, &m[2]); /* replay: the grant being retired */
	assert_int_equal(expect_pause(x, &r[2], d, LEN), id);
	late_sharer_moves(x, r, d, id, 2, m, p, (const int[3]){ -1, m[0].fd, m[2].fd }, nfd);
	assert_int_equal(hl_stats(x).move_ends, 2); /* the old connection's PAUSE went with it */
	fd_has_none_of(m[2].fd, PAT2); /* the retired grant is punched */
	fd_has_none_of(m[0].fd, PAT3);
	close_sharers(LEN, r, m, p, nfd);
}

/*
 * Host 2 accepts its share of tag A while the move of hosts 0 and 1 has
 * host 1 paused: its MAP is of the grant being retired, so a PAUSE follows
 * it (before the 4802h response); the move waits for its answer too, and
 * what it wrote before answering is in the copy (the old code left it
 * unpaused: what it wrote after the copy was lost).
 */
static void test_a_sharer_that_joins_during_the_pause_is_paused_too(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 160 * MiB;
	const uint32_t f = HL_HELLO_F_MAP | HL_HELLO_F_MOVE_END;
	struct cxldcd_extent e = hx_ext(d, LEN, TAG_A, 0);
	struct core_add_req req = { .host = 2, .policy = CXLDCD_ADD_ENABLE_SHARED };
	struct cxldcd_diag diag;
	struct map_fd m[3];
	struct raw r[3];
	uint8_t buf[64], *p[3];
	int nfd[3] = { -1, -1, -1 };
	uint64_t id;

	for (uint16_t i = 0; i < 3; i++)
		raw_hello(x, &r[i], i, f);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	raw_accept(x, &r[0], d, LEN, &m[0]);
	join_shared(x, &r[1], 1, d, LEN, &m[1]);
	p[0] = map_it(&m[0]);
	p[1] = map_it(&m[1]);
	memset(p[1], PAT1, LEN);
	force_release(x, 0, d, LEN, false);
	id = expect_pause(x, &r[1], d, LEN);

	/* host 2 joins now (the hostlink's clock stands still: the pause phase goes on) */
	assert_int_equal(cxldcd_tag_parse(TAG_A, req.tag), 0);
	assert_int_equal(core_add(x->dev, &req, NULL, &diag), CXLDCD_RC_SUCCESS);
	raw_extent_cmd(&r[2], CXLDCD_OP_ADD_DC_RESPONSE, d, LEN);
	expect_map(x, &r[2], d, LEN, &m[2]);
	assert_true(same_file(m[2].fd, m[1].fd)); /* the grant being retired */
	assert_int_equal(raw_take(x, &r[2], 0, buf, sizeof(buf), NULL, 3000), HL_PAUSE);
	assert_int_equal(raw_take(x, &r[2], 0, buf, sizeof(buf), NULL, 3000), HL_CCI_RSP);
	assert_int_equal(buf[8] | buf[9] << 8, 0);
	late_sharer_moves(x, r, d, id, 1, m, p, (const int[3]){ -1, m[0].fd, m[0].fd }, nfd);
	fd_has_none_of(m[0].fd, PAT2); /* the retired grant is punched */
	fd_has_none_of(m[0].fd, PAT3);
	close_sharers(LEN, r, m, p, nfd);
}

/*
 * The agent (host 0) accepts its share of tag A while a move has the grant
 * paused (raw host 2 forced out, raw host 1 not answering yet): its PAUSE
 * follows its MAP, and the group it maps then is read-only until the REMAP
 * (the library used to map it writable: what it wrote there after the copy
 * was lost).  No open hands it out meanwhile: one waits for the REMAP and
 * gives up at the move wait (the agent's clock, scripted).  After the REMAP
 * the open maps it writable, shared with host 1.
 */
static void test_the_agent_joining_during_the_pause_maps_read_only_until_the_remap(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	struct paused s;
	struct core_add_req req = { .host = 0, .policy = CXLDCD_ADD_ENABLE_SHARED };
	struct cxldcd_extent e;
	struct cxldcd_diag diag;
	uint64_t script[2];
	void *addr;

	paused_init(&s, x->base[0] + 192 * MiB, LEN);
	e = hx_ext(s.d, LEN, TAG_A, 0);
	agent_on_test_clock(mx);
	hx_host_start(x);
	raw_hello(x, &s.r1, 1, HL_HELLO_F_MAP | HL_HELLO_F_MOVE_END);
	raw_hello(x, &s.r2, 2, HL_HELLO_F_MAP);
	assert_int_equal(hx_add(x, 1, &e, 1), CXLDCD_RC_SUCCESS);
	raw_accept(x, &s.r1, s.d, LEN, &s.m1);
	join_shared(x, &s.r2, 2, s.d, LEN, &s.m2);
	s.p1 = map_it(&s.m1);
	memset(s.p1, PAT1, LEN);
	force_release(x, 2, s.d, LEN, false);
	s.id = expect_pause(x, &s.r1, s.d, LEN);

	assert_int_equal(cxldcd_tag_parse(TAG_A, req.tag), 0);
	assert_int_equal(core_add(x->dev, &req, NULL, &diag), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	hx_pump(x, 100);
	assert_int_equal(agent_stats(x).pauses, 1);
	assert_true(hx_group_of(x, TAG_A).mapped);
	assert_int_equal(maps_of(s.m1.fd, LEN, "r--s"), 1); /* the agent's: paused, read-only */
	script[0] = mx->agent_ms;
	script[1] = mx->agent_ms + WAIT_MS;
	clock_script(mx, script, 2);
	assert_int_equal(direct_open(x, &addr), -EBUSY);
	clock_script(mx, NULL, 0);

	host1_ends_move(x, &s);
	assert_int_equal(agent_stats(x).remaps, 1);
	assert_int_equal(maps_of(s.nfd, LEN, "r--s"), 0);
	s.g = agent_open_group(x, LEN);
	assert_true(all_are(s.g, LEN, PAT1));
	assert_true(writable(s.g, PAT3));
	memset(s.g, PAT3, LEN);
	assert_true(all_are(s.p1, LEN, PAT3)); /* shared with host 1 on the fresh grant */
	fd_has_none_of(s.m2.fd, PAT3);
	close_paused(&s);
}

/*
 * After the switch the device cannot read the grant's sharers again (as
 * out of memory).  The old code ended the move there and sent no REMAP: the
 * agent's segments stayed paused and every OPEN of the group waited 30 s
 * and was refused.  Now the sharers it paused are remapped all the same:
 * the waiting OPEN gets the fresh grant with the data.
 */
static void test_a_move_that_cannot_read_its_sharers_again_still_remaps_them(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	struct paused s;

	pause_with_move_end(x, &s);
	s.app = app_open_waits(x);
	mx->f = (struct fault){ .on = true, .step = HOSTLINK_MOVE_LOAD, .err = -ENOMEM };
	send_move_ack(&s.r1, s.id, HL_MOVE_PAUSED);
	s.nfd = expect_remap(x, &s.r1, s.d, LEN, s.id, s.p1, s.m2.fd);
	assert_int_equal(mx->f.hits, 1);
	send_move_ack(&s.r1, s.id, HL_MOVE_REMAPPED);
	assert_int_equal(app_open_rsp(x, s.app, 1, LEN, 2000, &s.sfd), HL_S_OK);
	assert_true(same_file(s.sfd, s.nfd));
	expect_move_end(x, &s.r1, s.d, LEN, s.id);
	hx_pump(x, 50);
	assert_int_equal(agent_stats(x).remaps, 1);
	assert_int_equal(agent_stats(x).move_ends, 1);
	s.a = map_segment(s.sfd);
	assert_true(all_are(s.a, LEN, PAT1));
	assert_true(all_are(s.g, LEN, PAT1));
	memset(s.p1, PAT3, LEN);
	assert_true(all_are(s.a, LEN, PAT3) && all_are(s.g, LEN, PAT3));
	memset(s.g, PAT2, MiB); /* the agent writes again */
	assert_true(all_are(s.p1, MiB, PAT2));
	fd_has_none_of(s.m2.fd, PAT3);
	close_paused(&s);
}

/*
 * The device cannot REMAP the agent's range (as when its segments cannot be
 * read): the old code sent nothing, and the agent kept the segment paused
 * for good: each OPEN of the group waited 30 s, then BUSY.  Now the agent's
 * MOVE_END ends the pause: the waiting OPEN is answered at once, and not
 * with the retired grant (NOMAP: the range has no mapping), the agent's own
 * mapping is inaccessible rather than showing the punched grant, and host 1,
 * remapped, keeps the data.
 */
static void test_a_sharer_left_without_a_remap_is_told_the_move_ended(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	struct paused s;
	void *addr;
	uint64_t t;

	pause_with_move_end(x, &s);
	s.app = app_open_waits(x);
	mx->f = (struct fault){ .on = true, .step = HOSTLINK_MOVE_REMAP, .host = 0, .err = -EFAULT };
	t = hx_now_ms();
	s.nfd = answer_move(x, &s.r1, s.d, LEN, s.id, s.p1, s.m2.fd);
	expect_move_end(x, &s.r1, s.d, LEN, s.id);
	assert_int_equal(mx->f.hits, 1);
	assert_int_equal(app_open_rsp(x, s.app, 1, LEN, 2000, &s.sfd), HL_S_NOMAP);
	assert_true(hx_now_ms() - t < 5000); /* at once, not after the agent's 30 s */
	assert_int_equal(agent_stats(x).remaps, 0);
	assert_int_equal(agent_stats(x).move_ends, 1);
	assert_false(readable(s.g)); /* not the punched grant's zeros */
	assert_int_equal(direct_open(x, &addr), -ENODEV); /* the old code: 0, inaccessible pages */
	/* the holder in this process is told: revoked, not resumed */
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_RESUMED), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_REVOKED), 1);
	assert_non_null(strstr(x->ev[hx_first(x, CXLDCD_HOST_EV_REVOKED)].text, "without a remap"));
	assert_true(all_are(s.p1, LEN, PAT1));
	app_send_open(s.app, 2); /* and nothing waits any more */
	assert_int_equal(app_open_rsp(x, s.app, 2, LEN, 500, &s.sfd), HL_S_NOMAP);
	close_paused(&s);
}

/*
 * No fresh grant can be made (as memfd or the copy failing): the sharers
 * resume on the old grant, which that attempt does not punch.  The REMAP
 * carries it, each PAUSE still ends with a MOVE_END, and the waiting OPEN
 * gets the old grant with the data (it is live, not retired).  The next
 * attempt (the hostlink's clock moved to its time; the old code made
 * none) moves the agent and host 1 to a fresh grant: the agent keeps its
 * data and shares its writes with host 1, and host 2, which released,
 * reaches none of them through the fd it kept.
 */
static void test_a_move_that_cannot_switch_resumes_the_sharers_on_the_old_grant(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	struct paused s;
	struct hostlink_stats hs;
	uint8_t pl[64];
	uint64_t id2;

	pause_with_move_end(x, &s);
	s.app = app_open_waits(x);
	mx->f = (struct fault){ .on = true, .step = HOSTLINK_MOVE_SWITCH, .err = -ENOMEM };
	send_move_ack(&s.r1, s.id, HL_MOVE_PAUSED);
	raw_expect(x, &s.r1, HL_REMAP, pl, sizeof(pl), &s.nfd);
	assert_true(same_file(s.nfd, s.m1.fd)); /* the old grant */
	send_move_ack(&s.r1, s.id, HL_MOVE_REMAPPED);
	expect_move_end(x, &s.r1, s.d, LEN, s.id);
	assert_int_equal(app_open_rsp(x, s.app, 1, LEN, 2000, &s.sfd), HL_S_OK);
	assert_true(same_file(s.sfd, s.m1.fd));
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.moves, 0);
	assert_int_equal(hs.moves_waiting, 1);
	pump_until_agent_move_ends(x, 1);
	assert_int_equal(agent_stats(x).remaps, 1);
	assert_int_equal(agent_stats(x).move_ends, 1);
	s.a = map_segment(s.sfd);
	assert_true(all_are(s.a, LEN, PAT1) && all_are(s.g, LEN, PAT1)); /* not punched */
	memset(s.g, PAT3, LEN); /* the agent writes again */
	assert_true(all_are(s.a, LEN, PAT3) && all_are(s.p1, LEN, PAT3));

	/* the next attempt switches: the agent answers its PAUSE and REMAP by itself */
	mx->f.on = false;
	x->clock_ms += HOSTLINK_MOVE_RETRY_MIN_MS;
	id2 = expect_pause(x, &s.r1, s.d, LEN);
	assert_true(id2 > s.id);
	close(s.nfd);
	s.nfd = answer_move(x, &s.r1, s.d, LEN, id2, s.p1, s.m1.fd);
	expect_move_end(x, &s.r1, s.d, LEN, id2);
	pump_until_agent_move_ends(x, 2);
	assert_int_equal(agent_stats(x).pauses, 2);
	assert_int_equal(agent_stats(x).remaps, 2);
	assert_int_equal(agent_stats(x).move_ends, 2);
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.moves, 1);
	assert_int_equal(hs.move_retries, 1);
	assert_int_equal(hs.moves_waiting, 0);
	assert_true(all_are(s.g, LEN, PAT3) && all_are(s.p1, LEN, PAT3));
	memset(s.g, PAT2, MiB);
	assert_true(all_are(s.p1, MiB, PAT2));
	fd_has_none_of(s.m2.fd, PAT3); /* host 2 let go: the old grant is punched */
	fd_has_none_of(s.m2.fd, PAT2);
	assert_true(all_are(s.a, LEN, 0)); /* the application's stale mapping of it too */
	close_paused(&s);
}

/*
 * The grant is gone when the pause phase ends (as when its last sharer has
 * left; the seam makes the switch say so): the move ends with no REMAP at
 * all, and the MOVE_ENDs alone end the pauses.  The agent answers the
 * waiting OPEN at once (NOMAP), never with the grant being retired.
 */
static void test_a_move_whose_grant_is_gone_ends_with_move_ends_alone(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	struct paused s;
	struct hostlink_stats hs;

	pause_with_move_end(x, &s);
	s.app = app_open_waits(x);
	mx->f = (struct fault){ .on = true, .step = HOSTLINK_MOVE_SWITCH, .err = -ENOENT };
	send_move_ack(&s.r1, s.id, HL_MOVE_PAUSED);
	expect_move_end(x, &s.r1, s.d, LEN, s.id); /* the very next message: no REMAP */
	assert_int_equal(app_open_rsp(x, s.app, 1, LEN, 2000, &s.sfd), HL_S_NOMAP);
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.move_ends, 2); /* host 1 and the agent */
	assert_int_equal(agent_stats(x).remaps, 0);
	assert_int_equal(agent_stats(x).move_ends, 1);
	assert_false(readable(s.g));
	close_paused(&s);
}

/*
 * The agent waits cfg.move_wait_ms (on its cfg.clock) for a move's end
 * before it refuses a waiting OPEN: not one millisecond less.  The move is
 * held in its pause phase (raw host 1 does not answer; the hostlink's
 * clock stands still).  Then the move goes on, and an OPEN after the REMAP
 * gets the fresh grant and reads the data.
 */
static void test_a_waiting_open_is_refused_at_the_move_wait_not_before(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	struct paused s;
	uint64_t t0;

	agent_on_test_clock(mx);
	pause_with_move_end(x, &s);
	s.app = hx_raw_connect(x->app_sock);
	t0 = mx->agent_ms;
	app_send_open(s.app, 1);
	hx_pump(x, 100);
	assert_false(app_has_input(s.app));
	mx->agent_ms = t0 + WAIT_MS - 1;
	hx_pump(x, 100);
	assert_false(app_has_input(s.app)); /* one millisecond before: still waiting */
	mx->agent_ms = t0 + WAIT_MS;
	assert_int_equal(app_open_rsp(x, s.app, 1, LEN, 1000, &s.sfd), HL_S_BUSY);

	/* the move goes on: host 1 answers, the agent is remapped */
	host1_ends_move(x, &s);
	assert_int_equal(agent_stats(x).remaps, 1);
	app_send_open(s.app, 2);
	assert_int_equal(app_open_rsp(x, s.app, 2, LEN, 2000, &s.sfd), HL_S_OK);
	assert_true(same_file(s.sfd, s.nfd));
	s.a = map_segment(s.sfd);
	assert_true(all_are(s.a, LEN, PAT1));
	memset(s.p1, PAT3, LEN);
	assert_true(all_are(s.a, LEN, PAT3) && all_are(s.g, LEN, PAT3));
	close_paused(&s);
}

/*
 * The soak's SEGV: an application in the agent's own process opened the
 * group (cxldcd_host_group_open()) while a move had it paused, got the
 * read-only pages at once and faulted on its first write.  Now the open
 * drives the link until the move's REMAP has come (here it waits in the
 * agent's socket): the pages it hands out are writable, of the fresh grant,
 * shared with host 1.  The open made before the move is read-only while
 * paused, then writable again at the same address.
 */
static void test_a_direct_open_during_a_pause_waits_for_the_remap(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	struct paused s;
	uint64_t gid;
	void *addr;
	int ev;

	pause_with_move_end(x, &s);
	gid = hx_group_of(x, TAG_A).id;
	assert_false(writable(s.g, PAT2)); /* paused: read-only */
	/* the holder was told (before the pages turned read-only) */
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_PAUSED), 1);
	ev = hx_first(x, CXLDCD_HOST_EV_GROUP_PAUSED);
	assert_int_equal(x->ev[ev].group_id, gid);
	assert_int_equal(x->ev[ev].dpa, s.d);
	assert_int_equal(x->ev[ev].len, LEN);
	send_move_ack(&s.r1, s.id, HL_MOVE_PAUSED);
	pump_device_until_input(x, s.r1.sock); /* the switch is made; both REMAPs are sent */
	assert_int_equal(agent_stats(x).remaps, 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_RESUMED), 0);

	assert_int_equal(direct_open(x, &addr), 0);
	assert_ptr_equal(addr, s.g);
	assert_true(all_are(addr, LEN, PAT1));
	assert_true(writable(addr, PAT3)); /* the old code: read-only (EFAULT here, SEGV in the soak) */
	assert_int_equal(agent_stats(x).remaps, 1);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_RESUMED), 1);
	ev = hx_first(x, CXLDCD_HOST_EV_GROUP_RESUMED);
	assert_int_equal(x->ev[ev].group_id, gid);
	assert_int_equal(x->ev[ev].dpa, s.d);
	assert_int_equal(hx_group_of(x, TAG_A).open_count, 2);
	memset(addr, PAT3, LEN);
	s.nfd = expect_remap(x, &s.r1, s.d, LEN, s.id, s.p1, s.m2.fd);
	send_move_ack(&s.r1, s.id, HL_MOVE_REMAPPED);
	expect_move_end(x, &s.r1, s.d, LEN, s.id);
	assert_true(all_are(s.p1, LEN, PAT3)); /* shared with host 1 on the fresh grant */
	fd_has_none_of(s.m2.fd, PAT3);
	assert_int_equal(cxldcd_host_group_close(x->h, hx_group_of(x, TAG_A).id), 0);
	close_paused(&s);
}

/*
 * No REMAP comes (host 1 does not answer; the hostlink's clock stands
 * still): the direct open gives up when cfg.move_wait_ms has passed on the
 * agent's cfg.clock, -EBUSY, not while the clock reads a millisecond less,
 * and holds nothing.  After the move it opens writable.
 */
static void test_a_direct_open_during_a_pause_is_refused_at_the_move_wait(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	struct paused s;
	uint64_t t0, script[6];
	void *addr;

	agent_on_test_clock(mx);
	pause_with_move_end(x, &s);
	t0 = mx->agent_ms;
	script[0] = t0;
	for (unsigned i = 1; i < 5; i++)
		script[i] = t0 + WAIT_MS - 1;
	script[5] = t0 + WAIT_MS;
	clock_script(mx, script, 6);
	assert_int_equal(direct_open(x, &addr), -EBUSY);
	assert_int_equal(mx->at, 6); /* it read WAIT_MS - 1 and waited on; gave up at WAIT_MS */
	assert_null(addr);
	assert_int_equal(hx_group_of(x, TAG_A).open_count, 1);
	clock_script(mx, NULL, 0);

	host1_ends_move(x, &s);
	assert_int_equal(direct_open(x, &addr), 0);
	assert_ptr_equal(addr, s.g);
	assert_true(all_are(addr, LEN, PAT1));
	assert_true(writable(addr, PAT3));
	close_paused(&s);
}

static void open_in_pause(void *opaque, const struct cxldcd_host_event *ev)
{
	struct mx *mx = opaque;
	void *addr;

	mx->hx_event(&mx->x, ev);
	if (ev->type != CXLDCD_HOST_EV_GROUP_PAUSED)
		return;
	mx->cb_calls++;
	mx->cb_rc = direct_open(&mx->x, &addr);
}

/*
 * An open from the event callback of cxldcd_host_process() (here at the
 * GROUP_PAUSED of the group) cannot drive the link to wait for the REMAP:
 * it is refused -EAGAIN at once, holding nothing, and the move goes on.
 */
static void test_a_direct_open_from_a_callback_during_a_pause_is_refused_at_once(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	struct paused s;

	mx->hx_event = x->hcfg.event_fn;
	x->hcfg.event_fn = open_in_pause;
	x->hcfg.event_opaque = mx;
	pause_with_move_end(x, &s);
	assert_int_equal(mx->cb_calls, 1);
	assert_int_equal(mx->cb_rc, -EAGAIN);
	assert_int_equal(hx_group_of(x, TAG_A).open_count, 1);
	host1_ends_move(x, &s);
	assert_true(writable(s.g, PAT3));
	close_paused(&s);
}

/* ------------------------------------------------------------ moves made again */

/*
 * Raw hosts 0, 1, 2 (MOVE_END asked) share tag A at [d, d+LEN), and host
 * writer fills it with PAT1.  Host 0 releases its share and the move's
 * switch fails (err; the seam stays on): that first attempt resumes hosts 1
 * and 2 on the old grant (failed_attempt()).  Return its move id.
 */
static uint64_t first_switch_fails(struct mx *mx, int writer, int err, struct three *s)
{
	struct hx *x = &mx->x;

	start_three(x, s);
	memset(s->p[writer], PAT1, LEN);
	mx->f = (struct fault){ .on = true, .step = HOSTLINK_MOVE_SWITCH, .err = err };
	raw_release(x, &s->r[0], s->d, LEN);
	return failed_attempt(x, s->r, 1, s->d, s->p, s->m[0].fd, s->nfd);
}

/*
 * Host 0 releases its share and no fresh grant can be made (the seam fails
 * the switch, twice): the sharers resume on the old grant, which host 0's
 * kept fd still reaches.  The old code left it so for good.  Now the move
 * is made again HOSTLINK_MOVE_RETRY_MIN_MS after the failed attempt ended,
 * not a millisecond before, under a new id; failing again, twice that long
 * after.  The attempt that switches PAUSEs, REMAPs and MOVE_ENDs as any
 * move and punches the old grant: host 0's mapping and fd read zeros and
 * none of what the sharers write later; they read their data through the
 * REMAPped mappings.
 */
static void test_a_move_that_cannot_switch_is_made_again_at_its_retry_time(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	const uint64_t t0 = x->clock_ms;
	struct three s;
	const uint32_t wait1 = HOSTLINK_MOVE_RETRY_MIN_MS, wait2 = 2 * HOSTLINK_MOVE_RETRY_MIN_MS;
	uint64_t id1, id2, id3;

	id1 = first_switch_fails(mx, 1, -ENOSPC, &s);
	assert_int_equal(hl_stats(x).moves_waiting, 1);
	assert_int_equal(hl_stats(x).move_retries, 0);
	memset(s.p[2], PAT2, MiB);
	assert_true(all_are(s.p[0], MiB, PAT2)); /* the window the next attempt closes */

	x->clock_ms = t0 + wait1 - 1;
	expect_nothing(x, &s.r[1], 100);
	expect_nothing(x, &s.r[2], 50);
	x->clock_ms = t0 + wait1;
	id2 = failed_attempt(x, s.r, 1, s.d, s.p, s.m[0].fd, s.nfd); /* fails again */
	assert_true(id2 > id1);
	assert_int_equal(hl_stats(x).move_retries, 1);
	assert_int_equal(hl_stats(x).moves_waiting, 1);

	x->clock_ms = t0 + wait1 + wait2 - 1;
	expect_nothing(x, &s.r[1], 100);
	expect_nothing(x, &s.r[2], 50);
	mx->f.on = false;
	x->clock_ms = t0 + wait1 + wait2;
	id3 = move_both(x, &s);
	assert_true(id3 > id2);
	assert_int_equal(mx->f.hits, 2);
	assert_int_equal(hl_stats(x).moves, 1);
	assert_int_equal(hl_stats(x).move_retries, 2);
	assert_int_equal(hl_stats(x).moves_waiting, 0);
	assert_int_equal(hl_stats(x).move_ends, 6); /* one per PAUSE, three attempts */

	/* the sharers keep their data, on the fresh grant; host 0 is cut off */
	for (int i = 1; i < 3; i++)
		assert_true(all_are(s.p[i], MiB, PAT2) && all_are(s.p[i] + MiB, MiB, PAT1));
	assert_true(all_are(s.p[0], LEN, 0));
	memset(s.p[2], PAT3, LEN);
	assert_true(all_are(s.p[1], LEN, PAT3));
	assert_true(all_are(s.p[0], LEN, 0));
	fd_has_none_of(s.m[0].fd, PAT1);
	fd_has_none_of(s.m[0].fd, PAT2);
	fd_has_none_of(s.m[0].fd, PAT3);
	memset(s.p[0], PAT2, LEN); /* and nothing it writes reaches them */
	assert_true(all_are(s.p[1], LEN, PAT3));
	close_three(&s);
}

/*
 * While the move waits for its next attempt (the switch failed when host 0
 * released), host 1 releases too: that starts no move of its own (the old
 * code, having given up, started one at once); the next attempt, at its
 * time, moves host 2 alone and cuts both hosts that let go off the data.
 */
static void test_a_sharer_that_lets_go_while_the_move_waits_is_covered_by_its_next_attempt(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	const uint64_t t0 = x->clock_ms;
	struct three s;
	uint64_t id1, id2;

	id1 = first_switch_fails(mx, 2, -EMFILE, &s);
	mx->f.on = false;
	raw_release(x, &s.r[1], s.d, LEN);
	expect_nothing(x, &s.r[2], 100); /* no move yet: the waiting one covers it */
	assert_int_equal(hl_stats(x).moves_waiting, 1);

	x->clock_ms = t0 + HOSTLINK_MOVE_RETRY_MIN_MS;
	id2 = expect_pause(x, &s.r[2], s.d, LEN);
	assert_true(id2 > id1);
	send_move_ack(&s.r[2], id2, HL_MOVE_PAUSED);
	close(s.nfd[2]);
	s.nfd[2] = expect_remap(x, &s.r[2], s.d, LEN, id2, s.p[2], s.m[0].fd);
	send_move_ack(&s.r[2], id2, HL_MOVE_REMAPPED);
	expect_move_end(x, &s.r[2], s.d, LEN, id2);
	expect_nothing(x, &s.r[1], 50); /* host 1 let go: not paused */
	assert_int_equal(hl_stats(x).moves, 1);
	assert_int_equal(hl_stats(x).move_retries, 1);
	assert_int_equal(hl_stats(x).moves_waiting, 0);

	assert_true(all_are(s.p[2], LEN, PAT1));
	memset(s.p[2], PAT3, LEN);
	for (int i = 0; i < 2; i++) { /* both hosts that let go: fresh pages */
		assert_true(all_are(s.p[i], LEN, 0));
		fd_has_none_of(s.m[i].fd, PAT1);
		fd_has_none_of(s.m[i].fd, PAT3);
	}
	close_three(&s);
}

/*
 * The move cannot even list the sharers as it starts (as out of memory;
 * the old code gave the move up there, with no PAUSE and no word): nobody
 * is paused, the move waits, and its next attempt, at its time, moves
 * hosts 1 and 2 and cuts host 0 off.
 */
static void test_a_move_that_cannot_list_its_sharers_is_made_again(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	const uint64_t t0 = x->clock_ms;
	struct three s;

	start_three(x, &s);
	memset(s.p[1], PAT1, LEN);
	mx->f = (struct fault){ .on = true, .step = HOSTLINK_MOVE_LIST, .err = -ENOMEM };
	raw_release(x, &s.r[0], s.d, LEN);
	expect_nothing(x, &s.r[1], 50);
	expect_nothing(x, &s.r[2], 50);
	assert_int_equal(mx->f.hits, 1);
	assert_int_equal(hl_stats(x).moves_waiting, 1);
	mx->f.on = false;
	x->clock_ms = t0 + HOSTLINK_MOVE_RETRY_MIN_MS - 1;
	expect_nothing(x, &s.r[1], 50);

	x->clock_ms = t0 + HOSTLINK_MOVE_RETRY_MIN_MS;
	move_both(x, &s);
	assert_int_equal(hl_stats(x).moves, 1);
	assert_int_equal(hl_stats(x).move_retries, 1);
	assert_true(all_are(s.p[2], LEN, PAT1));
	assert_true(all_are(s.p[0], LEN, 0));
	fd_has_none_of(s.m[0].fd, PAT1);
	close_three(&s);
}

/*
 * Host 2 drops its connection while the move waits for its next attempt
 * (the switch failed when host 0 released) and connects again: its replayed
 * MAP is of the old grant, still the live one, and it writes there.  The
 * next attempt pauses it on its new connection with host 1, and moves both
 * with what it wrote; host 0 is cut off.
 */
static void test_a_sharer_that_reconnects_while_the_move_waits_is_moved_by_its_next_attempt(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	const uint64_t t0 = x->clock_ms;
	struct three s;
	uint64_t id1, id2;

	id1 = first_switch_fails(mx, 1, -ENOMEM, &s);
	mx->f.on = false;

	close(s.nfd[2]);
	s.nfd[2] = -1;
	reconnect(x, &s.r[2], 2, all_move_end[2], &s.m[2], s.p[2], s.d, &s.m[2]);
	assert_true(same_file(s.m[2].fd, s.m[0].fd)); /* the old grant: the live one */
	s.p[2] = map_it(&s.m[2]);
	assert_true(all_are(s.p[2], LEN, PAT1));
	memset(s.p[2], PAT2, MiB);
	expect_nothing(x, &s.r[2], 50); /* not paused: the move waits */

	x->clock_ms = t0 + HOSTLINK_MOVE_RETRY_MIN_MS;
	id2 = move_both(x, &s);
	assert_true(id2 > id1);
	assert_int_equal(hl_stats(x).moves, 1);
	assert_int_equal(hl_stats(x).moves_waiting, 0);
	assert_true(all_are(s.p[1], MiB, PAT2) && all_are(s.p[1] + MiB, MiB, PAT1));
	memset(s.p[1], PAT3, LEN);
	assert_true(all_are(s.p[2], LEN, PAT3));
	assert_true(all_are(s.p[0], LEN, 0));
	fd_has_none_of(s.m[0].fd, PAT2);
	fd_has_none_of(s.m[0].fd, PAT3);
	close_three(&s);
}

/*
 * The move waits for its next attempt (the switch failed when host 0
 * released) and the grant goes before it: hosts 1 and 2 release too, the
 * last one punches it.  At the attempt's time nothing is sent to anyone,
 * the move is over (nothing waits), and host 0's fd reads zeros.
 */
static void test_a_move_waiting_for_its_next_attempt_ends_when_its_grant_goes(void **state)
{
	struct mx *mx = *state;
	struct hx *x = &mx->x;
	const uint64_t t0 = x->clock_ms;
	struct three s;
	struct mem_dev_stats ms;

	first_switch_fails(mx, 1, -ENOMEM, &s);
	assert_int_equal(hl_stats(x).moves_waiting, 1);
	raw_release(x, &s.r[1], s.d, LEN);
	expect_nothing(x, &s.r[2], 50);
	raw_release(x, &s.r[2], s.d, LEN); /* the last sharer: the grant is punched */
	fd_has_none_of(s.m[0].fd, PAT1);

	x->clock_ms = t0 + HOSTLINK_MOVE_RETRY_MIN_MS;
	for (int i = 0; i < 3; i++)
		expect_nothing(x, &s.r[i], 50);
	assert_int_equal(mx->f.hits, 1);
	assert_int_equal(hl_stats(x).moves_waiting, 0);
	assert_int_equal(hl_stats(x).move_retries, 0);
	assert_int_equal(hl_stats(x).moves, 0);
	mem_dev_stats_get(x->md, &ms);
	assert_int_equal(ms.nr_stores, 0);
	x->clock_ms += HOSTLINK_MOVE_RETRY_MAX_MS; /* and nothing is tried later */
	expect_nothing(x, &s.r[2], 50);
	assert_true(all_are(s.p[0], LEN, 0));
	close_three(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_pause_ends_with_a_move_end_after_its_remaps, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_sharer_that_reconnects_during_the_pause_is_paused_again, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_sharer_that_joins_during_the_pause_is_paused_too, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_the_agent_joining_during_the_pause_maps_read_only_until_the_remap, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_move_that_cannot_read_its_sharers_again_still_remaps_them, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_sharer_left_without_a_remap_is_told_the_move_ended, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_move_that_cannot_switch_resumes_the_sharers_on_the_old_grant, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_move_whose_grant_is_gone_ends_with_move_ends_alone, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_waiting_open_is_refused_at_the_move_wait_not_before, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_direct_open_during_a_pause_waits_for_the_remap, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_direct_open_during_a_pause_is_refused_at_the_move_wait, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_direct_open_from_a_callback_during_a_pause_is_refused_at_once, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_move_that_cannot_switch_is_made_again_at_its_retry_time, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_sharer_that_lets_go_while_the_move_waits_is_covered_by_its_next_attempt, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_move_waiting_for_its_next_attempt_ends_when_its_grant_goes, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_sharer_that_reconnects_while_the_move_waits_is_moved_by_its_next_attempt, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_move_that_cannot_list_its_sharers_is_made_again, setup_three_clocked, hx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
