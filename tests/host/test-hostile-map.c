/* SPDX-License-Identifier: MIT */
/*
 * test-hostile-map.c - a hostile host on the host link tries to reach memory
 * it does not hold through the fds the device sends it (issue #14).
 *
 * Two raw clients (the device model, memory and server in process, hx.c)
 * speak the link themselves: HELLO asking for mapping, 4802h to accept, and
 * they keep every fd that arrives with a MAP.  Host 1 writes a pattern into
 * its own capacity through its mapping.  Host 0, hostile:
 *  - reads every fd it got, whole (fstat size), and must find no byte of
 *    host 1's data; writes all over it, and host 1's memory and the slow
 *    path must not change;
 *  - after a forced release of its range and a re-add of that DPA range to
 *    host 1, its old mapping must not show host 1's new data, and its writes
 *    through the old mapping must not reach host 1.
 * Sharers of a tagged extent map one shared grant, exactly its size, and
 * see each other's writes.
 * An application in another process that opened a tag group through the
 * agent socket (issue #14 item 2) keeps its mapping after a forced release;
 * it must see neither the released data nor what the next owner writes, and
 * its writes must not reach the next owner.
 * With trusted-hosts (hx_opts.trusted_hosts) the MAP fd is the backend
 * itself, as before.
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
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/host-int.h"
#include "hostlink/proto.h"
#include "rawhost.h"

/* PAT1 (rawhost.h): host 1's first data; PAT2: host 1's data in the range host 0 lost */
#define EVIL 0x66 /* host 0's writes */

/*
 * Pump the server until n sharers in all did not answer a move in time (a
 * phase that times out ends in the same tick), or fail after 10 s.
 */
static void wait_move_timeouts(struct hx *x, uint64_t n)
{
	struct hostlink_stats hs;

	for (int i = 0; i < 1000; i++) {
		hostlink_stats_get(x->hl, &hs);
		if (hs.move_timeouts >= n)
			return;
		hx_pump(x, 10);
	}
	fail_msg("%llu move timeouts after 10 s, expected %llu", (unsigned long long)hs.move_timeouts,
		 (unsigned long long)n);
}

static void add(struct hx *x, uint16_t host, uint64_t dpa, uint64_t len)
{
	struct cxldcd_extent e = hx_ext(dpa, len, NULL, 0);

	assert_int_equal(hx_add(x, host, &e, 1), CXLDCD_RC_SUCCESS);
}

/*
 * The orchestrator gives host [dpa, dpa+len) (add()), and raw host r accepts
 * it (its MAP in *m) and maps it: the mapping.
 */
static uint8_t *given(struct hx *x, struct raw *r, uint16_t host, uint64_t dpa, uint64_t len,
		      struct map_fd *m)
{
	add(x, host, dpa, len);
	raw_accept(x, r, dpa, len, m);
	return map_it(m);
}

/* Host 1's bytes at dpa, through the slow path, all v. */
static void expect_slow_path(struct hx *x, uint16_t host, uint64_t dpa, uint64_t len, uint8_t v)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	assert_int_equal(mem_read(x->md, host, dpa, buf, len, NULL, 0), 0);
	assert_true(all_are(buf, len, v));
	free(buf);
}

/* Raw hosts 0 and 1 say HELLO, both asking for mapping. */
static void hello_both(struct hx *x, struct raw *h0, struct raw *h1)
{
	raw_hello(x, h0, 0, HL_HELLO_F_MAP);
	raw_hello(x, h1, 1, HL_HELLO_F_MAP);
}

/* Raw host h lets go: its mapping p (len bytes, unless NULL) and its MAP's fd, then the link. */
static void let_go(struct raw *h, struct map_fd *m, uint8_t *p, uint64_t len)
{
	if (p)
		munmap(p, len);
	close(m->fd);
	raw_close(h);
}

/* ------------------------------------------------------------------------ */

static void test_fds_of_a_hostile_host_reach_only_its_own_capacity(void **state)
{
	struct hx *x = *state;
	const uint64_t d1 = x->base[1], d0 = x->base[1] + 4 * MiB, len = 2 * MiB;
	struct map_fd m1, m0;
	struct raw h0, h1;
	uint8_t *p1, *all, chunk[65536];
	struct stat st;

	/* mapping granted */
	assert_int_equal(raw_hello(x, &h1, 1, HL_HELLO_F_MAP) & HL_ACK_F_MAP, HL_ACK_F_MAP);
	raw_hello(x, &h0, 0, HL_HELLO_F_MAP);
	p1 = given(x, &h1, 1, d1, len, &m1);
	memset(p1, PAT1, len);
	add(x, 0, d0, len);
	raw_accept(x, &h0, d0, len, &m0);

	/* Every byte of every fd host 0 got: none of host 1's. */
	assert_int_equal(fstat(m0.fd, &st), 0);
	assert_true((uint64_t)st.st_size >= m0.m.offset + len);
	for (off_t off = 0; off < st.st_size; off += (off_t)sizeof(chunk)) {
		ssize_t n = pread(m0.fd, chunk, sizeof(chunk), off);

		assert_true(n > 0);
		assert_null(memchr(chunk, PAT1, (size_t)n));
	}
	/* ... and writing all of it, except its own range, reaches nobody. */
	all = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, m0.fd, 0);
	assert_true(all != MAP_FAILED);
	memset(all, EVIL, m0.m.offset);
	memset(all + m0.m.offset + len, EVIL, (size_t)st.st_size - m0.m.offset - len);
	munmap(all, (size_t)st.st_size);
	assert_true(all_are(p1, len, PAT1));
	expect_slow_path(x, 1, d1, len, PAT1);
	let_go(&h0, &m0, NULL, len);
	let_go(&h1, &m1, p1, len);
}

static void test_forced_release_leaves_the_old_owner_nothing_of_the_new(void **state)
{
	struct hx *x = *state;
	const uint64_t d1 = x->base[1], d0 = x->base[1] + 4 * MiB, len = 2 * MiB;
	struct map_fd m1, m0, m1b;
	struct raw h0, h1;
	uint8_t *p0, *p1, *p1b, chunk[65536];

	raw_hello(x, &h1, 1, HL_HELLO_F_MAP);
	raw_hello(x, &h0, 0, HL_HELLO_F_MAP);
	p1 = given(x, &h1, 1, d1, len, &m1);
	memset(p1, PAT1, len);
	p0 = given(x, &h0, 0, d0, len, &m0);

	/* Forced release of host 0's range; the range goes to host 1, which writes. */
	force_release(x, 0, d0, len, false);
	p1b = given(x, &h1, 1, d0, len, &m1b);

	assert_false(memchr(p1b, EVIL, len)); /* a forced release is not a sanitize... */
	memset(p1b, PAT2, len);
	/* ... but host 0's old mapping and fd never show the new owner's data */
	assert_null(memchr(p0, PAT2, len));
	assert_int_equal(pread(m0.fd, chunk, sizeof(chunk), (off_t)m0.m.offset), (ssize_t)sizeof(chunk));
	assert_null(memchr(chunk, PAT2, sizeof(chunk)));
	/* and its writes through them do not reach host 1 */
	memset(p0, EVIL, len);
	assert_int_equal(pwrite(m0.fd, p0, len, (off_t)m0.m.offset), (ssize_t)len);
	assert_true(all_are(p1b, len, PAT2));
	expect_slow_path(x, 1, d0, len, PAT2);
	expect_slow_path(x, 1, d1, len, PAT1);

	munmap(p1b, len);
	close(m1b.fd);
	let_go(&h0, &m0, p0, len);
	let_go(&h1, &m1, p1, len);
}

static void test_released_data_reaches_the_next_owner_unless_sanitized(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[1] + 8 * MiB, len = 2 * MiB;
	struct map_fd m0, m1;
	struct raw h0, h1;
	uint8_t *p;

	hello_both(x, &h0, &h1);
	p = given(x, &h0, 0, d, len, &m0);
	memset(p, PAT1, len);
	force_release(x, 0, d, len, false); /* region sanitize off, no sanitize asked */
	add(x, 1, d, len);
	raw_accept(x, &h1, d, len, &m1);
	munmap(p, len);
	p = map_it(&m1);
	/* QEMU semantics without sanitize: the bytes stay with the capacity */
	assert_true(all_are(p, len, PAT1));
	expect_slow_path(x, 1, d, len, PAT1);
	/* with sanitize, the next owner gets zeros */
	memset(p, PAT2, len);
	force_release(x, 1, d, len, true);
	add(x, 0, d, len);
	close(m0.fd);
	raw_accept(x, &h0, d, len, &m0);
	munmap(p, len);
	p = map_it(&m0);
	assert_true(all_are(p, len, 0));
	expect_slow_path(x, 0, d, len, 0);
	let_go(&h0, &m0, p, len);
	let_go(&h1, &m1, NULL, len);
}

static void test_sharers_map_one_grant_of_exactly_the_shared_capacity(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 16 * MiB, len = 2 * MiB;
	struct cxldcd_extent e = hx_ext(d, len, TAG_A, 0);
	struct map_fd m0, m1;
	struct raw h0, h1;
	struct stat a, b;
	uint8_t *p0, *p1;

	hello_both(x, &h0, &h1);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS); /* region 0 is sharable */
	raw_accept(x, &h0, d, len, &m0);
	join_shared(x, &h1, 1, d, len, &m1);
	/* one memfd, exactly the shared allocation: nothing else of the device behind it */
	assert_int_equal(fstat(m0.fd, &a), 0);
	assert_int_equal(fstat(m1.fd, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	assert_int_equal(a.st_size, len);
	assert_int_equal(m0.m.offset, 0);
	p0 = map_it(&m0);
	p1 = map_it(&m1);
	memset(p0, PAT1, MiB);
	memset(p1 + MiB, PAT2, MiB);
	assert_true(all_are(p1, MiB, PAT1));
	assert_true(all_are(p0 + MiB, MiB, PAT2));
	expect_slow_path(x, 0, d + MiB, MiB, PAT2);
	expect_slow_path(x, 1, d, MiB, PAT1);
	let_go(&h0, &m0, p0, len);
	let_go(&h1, &m1, p1, len);
}

/* 4802h of [dpa, dpa+len) that the device must refuse: its return code; no MAP comes with it. */
static uint16_t raw_accept_refused(struct hx *x, struct raw *r, uint64_t dpa, uint64_t len)
{
	struct hostlink_stats before, after;
	uint8_t rsp[64];

	hostlink_stats_get(x->hl, &before);
	raw_extent_cmd(r, CXLDCD_OP_ADD_DC_RESPONSE, dpa, len);
	raw_expect(x, r, HL_CCI_RSP, rsp, sizeof(rsp), NULL);
	hostlink_stats_get(x->hl, &after);
	assert_int_equal(after.maps, before.maps);
	return (uint16_t)(rsp[8] | rsp[9] << 8);
}

/*
 * Region 1 sanitizes on release (5602h): host 0 writes its capacity and
 * gives it back of its own accord (4803h).  Its kept mapping and fd show
 * none of it, and the next owner, host 1, reads zeros through its MAP and
 * the slow path.
 */
static void test_a_sanitizing_region_gives_released_capacity_back_as_zeros(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[1] + 6 * MiB, len = 4 * MiB;
	struct cxldcd_diag diag;
	struct map_fd m0, m1;
	struct raw h0, h1;
	uint8_t *p0, *p1;

	assert_int_equal(core_region_set_config(x->dev, 1, 2 * MiB, true, &diag), CXLDCD_RC_SUCCESS);
	hello_both(x, &h0, &h1);
	p0 = given(x, &h0, 0, d, len, &m0);
	memset(p0, PAT1, len);
	raw_release(x, &h0, d, len);
	assert_true(all_are(p0, len, 0));
	fd_has_none_of(m0.fd, PAT1);
	p1 = given(x, &h1, 1, d, len, &m1);
	assert_true(all_are(p1, len, 0));
	expect_slow_path(x, 1, d, len, 0);
	fd_has_none_of(m1.fd, PAT1);
	let_go(&h0, &m0, p0, len);
	let_go(&h1, &m1, p1, len);
}

/*
 * Host 0 gives back the middle 2 MiB of a 6 MiB extent (4803h, the extent
 * splits) and the orchestrator gives it to host 1, which writes there.
 * Host 0 keeps its head and tail bytes; through its mapping and fd the
 * middle shows none of host 1's, its writes there reach nobody, and its
 * slow path no longer reaches it.
 */
static void test_a_released_middle_leaves_its_old_owner_nothing_of_the_next(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[1] + 16 * MiB, mid = d + 2 * MiB, len = 6 * MiB, mlen = 2 * MiB;
	struct map_fd m0, m1;
	struct raw h0, h1;
	uint8_t buf[64], *p0, *p1;

	hello_both(x, &h0, &h1);
	p0 = given(x, &h0, 0, d, len, &m0);
	memset(p0, PAT1, len);
	raw_release(x, &h0, mid, mlen);
	p1 = given(x, &h1, 1, mid, mlen, &m1);
	assert_true(all_are(p1, mlen, PAT1)); /* no sanitize: the bytes go with the capacity */
	memset(p1, PAT2, mlen);

	assert_true(all_are(p0, 2 * MiB, PAT1));
	assert_true(all_are(p0 + 4 * MiB, 2 * MiB, PAT1));
	expect_slow_path(x, 0, d, 2 * MiB, PAT1);
	expect_slow_path(x, 0, d + 4 * MiB, 2 * MiB, PAT1);
	assert_true(all_are(p0 + 2 * MiB, mlen, 0));
	fd_has_none_of(m0.fd, PAT2);
	assert_int_equal(mem_read(x->md, 0, mid, buf, sizeof(buf), NULL, 0), -EFAULT);
	memset(p0 + 2 * MiB, EVIL, mlen);
	assert_true(all_are(p1, mlen, PAT2));
	expect_slow_path(x, 1, mid, mlen, PAT2);
	let_go(&h0, &m0, p0, len);
	let_go(&h1, &m1, p1, mlen);
}

/*
 * Host 0 holds a and b, hangs up keeping its fds and mappings; b is taken
 * from it meanwhile (forced release) and given to host 1, which writes.
 * When host 0 connects again the device maps it a alone (its bytes kept);
 * what it kept of b shows none of host 1's.
 */
static void test_a_reconnected_host_is_mapped_only_what_it_holds(void **state)
{
	struct hx *x = *state;
	const uint64_t a = x->base[1] + 32 * MiB, b = a + 4 * MiB, len = 2 * MiB;
	struct map_fd ma, mb, m1, again;
	struct raw h0, h1;
	uint8_t buf[64], *pa, *pb, *p1, *pn;

	hello_both(x, &h0, &h1);
	add(x, 0, a, len);
	raw_accept(x, &h0, a, len, &ma);
	add(x, 0, b, len);
	raw_accept(x, &h0, b, len, &mb);
	pa = map_it(&ma);
	pb = map_it(&mb);
	memset(pa, PAT1, len);
	memset(pb, PAT1, len);
	close(h0.sock);
	hx_pump(x, 50);

	force_release(x, 0, b, len, false);
	p1 = given(x, &h1, 1, b, len, &m1);
	memset(p1, PAT2, len);

	raw_hello(x, &h0, 0, HL_HELLO_F_MAP);
	expect_map(x, &h0, a, len, &again);
	assert_int_equal(raw_take(x, &h0, HL_MAP, buf, sizeof(buf), NULL, 200), -1);
	pn = map_it(&again);
	assert_true(all_are(pn, len, PAT1));
	assert_null(memchr(pb, PAT2, len));
	fd_has_none_of(mb.fd, PAT2);
	fd_has_none_of(again.fd, PAT2);
	memset(pb, EVIL, len);
	assert_true(all_are(p1, len, PAT2));
	munmap(pa, len);
	munmap(pb, len);
	close(ma.fd);
	close(mb.fd);
	let_go(&h0, &again, pn, len);
	let_go(&h1, &m1, p1, len);
}

/*
 * Host 0 accepted d, lost it (forced release), and d is now offered to
 * host 1.  Host 0 replays its Add DC Response and its Release DC for d:
 * both are refused, no MAP comes, its slow path stays closed, and host 1
 * then accepts d whole and alone.
 */
static void test_replayed_responses_take_nothing_offered_to_another_host(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[1] + 48 * MiB, len = 2 * MiB;
	struct map_fd m0, m1;
	struct raw h0, h1;
	uint8_t buf[64], *p1;

	hello_both(x, &h0, &h1);
	add(x, 0, d, len);
	raw_accept(x, &h0, d, len, &m0);
	force_release(x, 0, d, len, false);
	add(x, 1, d, len);

	assert_int_not_equal(raw_accept_refused(x, &h0, d, len), 0);
	raw_extent_cmd(&h0, CXLDCD_OP_RELEASE_DC, d, len);
	raw_expect(x, &h0, HL_CCI_RSP, buf, sizeof(buf), NULL);
	assert_int_not_equal(buf[8] | buf[9] << 8, 0);
	assert_int_equal(mem_read(x->md, 0, d, buf, sizeof(buf), NULL, 0), -EFAULT);
	assert_int_equal(mem_write(x->md, 0, d, buf, sizeof(buf), NULL, 0), -EFAULT);

	raw_accept(x, &h1, d, len, &m1);
	p1 = map_it(&m1);
	memset(p1, PAT2, len);
	fd_has_none_of(m0.fd, PAT2);
	expect_slow_path(x, 1, d, len, PAT2);
	let_go(&h0, &m0, NULL, len);
	let_go(&h1, &m1, p1, len);
}

/*
 * Wait for one byte from the application while pumping the server.  *st:
 * its wait status once it has exited (-1 before).
 */
static void wait_child(struct hx *x, int rd, pid_t pid, int *st)
{
	for (uint64_t end = hx_now_ms() + 5000; hx_now_ms() < end;) {
		struct pollfd pf = { .fd = rd, .events = POLLIN };
		char c;

		hx_pump_round(x, &pf, 1, 10);
		if (*st == -1 && waitpid(pid, st, WNOHANG) != pid)
			*st = -1;
		if (pf.revents && read(rd, &c, 1) == 1)
			return;
		if (*st != -1)
			fail_msg("the application exited with status %d (3: it saw the new owner's data, 4: the released data)",
				 WIFEXITED(*st) ? WEXITSTATUS(*st) : -1);
	}
	fail_msg("the application process did not answer");
}

/* The application: open tag A, fill it, then (after the forced release) look and write. */
static int application(const char *sock, int to_parent, int from_parent)
{
	struct cxldcd_host_group_info l[4];
	struct cxldcd_app *app;
	struct cxldcd_app_map m;
	uint8_t tag[16], *p;
	char c = 1;

	if (cxldcd_app_connect(sock, &app) || cxldcd_app_list(app, l, 4) != 1 ||
	    cxldcd_tag_parse(TAG_A, tag) || cxldcd_app_open(app, tag, 0, &m) || m.size != 2 * MiB)
		return 1;
	p = m.addr;
	memset(p, PAT1, m.size);
	if (write(to_parent, &c, 1) != 1 || read(from_parent, &c, 1) != 1)
		return 2;
	/* revoked, and the range now belongs to host 1, which wrote PAT2 */
	if (memchr(p, PAT2, m.size))
		return 3; /* the new owner's data */
	if (memchr(p, PAT1, m.size))
		return 4; /* the released data */
	memset(p, EVIL, m.size);
	return write(to_parent, &c, 1) == 1 ? 0 : 5;
}

static void test_application_keeps_nothing_after_a_forced_release(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 32 * MiB, len = 2 * MiB;
	struct cxldcd_extent e = hx_ext(d, len, TAG_A, 0);
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED,
				       .forced = true };
	struct cxldcd_diag diag;
	struct map_fd m1;
	struct raw h1;
	int up[2], down[2], st = -1;
	uint8_t *p1;
	pid_t pid;

	hx_host_start(x); /* host 0: the real agent, accepting everything */
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	hx_pump(x, 100);
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(application(x->app_sock, up[1], down[0]));
	wait_child(x, up[0], pid, &st);

	/* Forced release of host 0's group, with the application still holding it open. */
	assert_int_equal(cxldcd_tag_parse(TAG_A, rq.tag), 0);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	hx_pump(x, 100);
	/* The DPA range goes to host 1 (another tag), which writes its own data. */
	raw_hello(x, &h1, 1, HL_HELLO_F_MAP);
	e = hx_ext(d, len, TAG_B, 0);
	assert_int_equal(hx_add(x, 1, &e, 1), CXLDCD_RC_SUCCESS);
	raw_accept(x, &h1, d, len, &m1);
	p1 = map_it(&m1);
	assert_true(all_are(p1, len, PAT1)); /* no sanitize: the bytes moved with the capacity */
	memset(p1, PAT2, len);

	assert_int_equal(write(down[1], "g", 1), 1);
	wait_child(x, up[0], pid, &st);
	for (int i = 0; i < 200 && st == -1; i++) {
		hx_pump(x, 10);
		if (waitpid(pid, &st, WNOHANG) != pid)
			st = -1;
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* the application's writes reached nobody */
	assert_true(all_are(p1, len, PAT2));
	expect_slow_path(x, 1, d, len, PAT2);
	let_go(&h1, &m1, p1, len);
	for (int i = 0; i < 2; i++) {
		close(up[i]);
		close(down[i]);
	}
}

/*
 * A spilled group (the host has a file per group, but the daemon had no
 * fd left for this group's: MAP flag spilled) lives in the host's
 * per-backend view with the host's other spilled groups.  An application
 * that got that file (its user may open every group: docs/host.md) keeps
 * it and a mapping of group A's range while the FM force-releases A.  What
 * docs/memory.md promises for a view holds for this one, which lives on
 * (group K keeps it): the released range is punched, so the mapping and
 * the fd read zeros there, not A's bytes; the application is told
 * (REVOKE_RANGE, A's whole mapping); when the range goes to host 1, which
 * writes it, neither shows host 1's bytes, and what the application writes
 * there reaches neither host 1 nor K.  K, which the application may open,
 * is still there through the same fd.
 */
static void test_a_spilled_groups_view_keeps_nothing_after_a_forced_release(void **state)
{
	struct hx *x = *state;
	/* region 1: not sharable (region 0's capacity goes to shared grants) */
	const uint64_t a = x->base[1] + 32 * MiB, k = x->base[1] + 36 * MiB, len = 2 * MiB;
	struct cxldcd_extent ea = hx_ext(a, len, TAG_A, 0), ek = hx_ext(k, len, TAG_B, 0);
	struct cxldcd_extent cut = hx_ext(a, len, NULL, 0);
	struct mem_host_groups g;
	struct hl_app_revoke_range rr;
	struct stat sa, sk;
	uint64_t offa, offk, ida, idk;
	unsigned nsegs;
	uint8_t *qa, *qk, *p1, msg[64];
	uint32_t mlen;
	struct map_fd m1;
	struct raw h1;
	int app, fda, fdk, type;

	x->hcfg.group_files = true;
	hx_host_start(x);
	assert_true(cxldcd_host_group_files_granted(x->h));
	mem_dev_host_group_max(x->md, 0, 0);   /* no fd for a file of a new group: it spills */
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	hx_add_group(x, &ea, 1);
	hx_add_group(x, &ek, 1);
	assert_true(mem_dev_host_group_spilled(x->md, 0));
	assert_int_equal(mem_dev_host_groups(x->md, 0, false, &g), 0);
	assert_int_equal(g.files, 0);

	app = hx_raw_connect(x->app_sock);
	fda = hx_raw_app_open(x, app, TAG_A, &offa, &ida, &nsegs);
	assert_int_equal(nsegs, 1);
	fdk = hx_raw_app_open(x, app, TAG_B, &offk, &idk, &nsegs);
	assert_int_equal(nsegs, 1);
	/* one file for both: the host's per-backend view */
	assert_int_equal(fstat(fda, &sa), 0);
	assert_int_equal(fstat(fdk, &sk), 0);
	assert_true(sa.st_ino == sk.st_ino);
	close(fdk);
	qa = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fda, (off_t)offa);
	qk = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fda, (off_t)offk);
	assert_true(qa != MAP_FAILED && qk != MAP_FAILED);
	memset(qa, PAT1, len);
	memset(qk, 0x4b, len);
	expect_slow_path(x, 0, a, len, PAT1);

	hx_force_out(x, &cut, 1);
	/* punched: A's bytes are gone from the mapping and the fd */
	assert_true(all_are(qa, len, 0));
	{
		uint8_t b[4096];

		assert_int_equal(pread(fda, b, sizeof(b), (off_t)offa), (ssize_t)sizeof(b));
		assert_true(all_are(b, sizeof(b), 0));
	}
	/* told: REVOKE_RANGE of A, the whole of its 2 MiB */
	type = hx_raw_recv(x, app, msg, sizeof(msg), &mlen, NULL, 1000);
	assert_int_equal(type, HL_APP_REVOKE_RANGE);
	assert_int_equal(hl_dec_app_revoke_range(msg, mlen, &rr), 0);
	assert_int_equal(rr.id, ida);
	assert_int_equal(rr.offset, 0);
	assert_int_equal(rr.len, len);

	/* the range goes to host 1, which writes its own bytes */
	raw_hello(x, &h1, 1, HL_HELLO_F_MAP);
	p1 = given(x, &h1, 1, a, len, &m1);
	assert_true(all_are(p1, len, PAT1));   /* no sanitize: the bytes moved with the capacity */
	memset(p1, PAT2, len);
	assert_true(all_are(qa, len, 0));
	fd_has_none_of(fda, PAT2);
	/* the application's writes there reach nobody: not host 1, not K */
	memset(qa, EVIL, len);
	assert_true(all_are(p1, len, PAT2));
	expect_slow_path(x, 1, a, len, PAT2);
	assert_true(all_are(qk, len, 0x4b));
	expect_slow_path(x, 0, k, len, 0x4b);
	munmap(qa, len);
	munmap(qk, len);
	close(fda);
	close(app);
	let_go(&h1, &m1, p1, len);
}

/*
 * The agent removes its application socket at exit only if the file at the
 * path is still the one it bound: another agent that took over the path
 * (after this one's socket was removed and a new one made there) keeps its own.
 */
static void test_agent_exit_removes_only_its_own_app_socket(void **state)
{
	struct hx *x = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat a, b;
	int other;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	/* someone else's socket replaces ours at the path */
	assert_int_equal(unlink(x->app_sock), 0);
	other = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(other >= 0);
	strcpy(sa.sun_path, x->app_sock);
	assert_int_equal(bind(other, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(other, 1), 0);
	assert_int_equal(stat(x->app_sock, &a), 0);
	hx_host_stop(x);
	assert_int_equal(stat(x->app_sock, &b), 0); /* still there: not ours */
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(other);
	unlink(x->app_sock);

	/* our own socket is removed at exit */
	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	assert_int_equal(stat(x->app_sock, &a), 0);
	hx_host_stop(x);
	assert_int_equal(stat(x->app_sock, &b), -1);
	assert_int_equal(errno, ENOENT);
}

/* ------------------------------------- a forced release of one sharer moves the others */

/* PAT3 (rawhost.h): the remaining sharers' data after the move */

/* The move timeout in setup_three_clocked()'s hostlink (hostlink_cfg.move_timeout_ms). */
#define MOVE_MS 500u

static int setup_three(void **state)
{
	const struct hx_opts o = { .nr_hosts = 3 };

	return hx_setup_opts(state, &o);
}

/* Three hosts; the hostlink's clock is x->clock_ms and its move timeout MOVE_MS. */
static int setup_three_clocked(void **state)
{
	const struct hx_opts o = { .nr_hosts = 3, .fake_clock = true, .move_timeout_ms = MOVE_MS };

	return hx_setup_opts(state, &o);
}

static int setup_three_trusted(void **state)
{
	const struct hx_opts o = { .nr_hosts = 3, .trusted_hosts = true };

	return hx_setup_opts(state, &o);
}

static int setup_trusted(void **state)
{
	const struct hx_opts o = { .trusted_hosts = true };

	return hx_setup_opts(state, &o);
}

/* HELLO flags of three raw sharers that map and did not ask for MOVE_END. */
static const uint32_t map_only[3] = { HL_HELLO_F_MAP, HL_HELLO_F_MAP, HL_HELLO_F_MAP };

/*
 * Host 0 has let the allocation go: hosts 1 and 2 are paused, answer, get the
 * fresh grant (REMAP) in place, answer again; then the move is done.
 */
static void move_both(struct hx *x, uint64_t d, uint64_t len, struct raw r[3],
		      const struct map_fd m[3], uint8_t *p[3], int nfd[3])
{
	struct mem_dev_stats ms;

	move_sharers(x, d, len, r, p, m[0].fd, nfd);
	hx_pump(x, 50);
	mem_dev_stats_get(x->md, &ms);
	assert_int_equal(ms.moves, 1);
}

/*
 * Three sharers; host 0 is forced out and keeps its fd and mapping.  Hosts
 * 1 and 2 are paused, moved to a fresh grant in place, and keep sharing:
 * what they wrote before survives; host 0 sees nothing of theirs (before or
 * after), and its writes reach neither of them nor the slow path.
 */
static void test_a_forced_out_sharer_keeps_nothing_of_the_others(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 64 * MiB, len = 2 * MiB;
	struct map_fd m[3];
	struct raw r[3];
	uint8_t *p[3];
	int nfd[3] = { -1, -1, -1 };

	three_sharers(x, d, len, map_only, r, m, p);
	memset(p[1], PAT1, MiB);
	memset(p[2] + MiB, PAT2, MiB);
	assert_true(all_are(p[0], MiB, PAT1) && all_are(p[0] + MiB, MiB, PAT2));

	force_release(x, 0, d, len, false);
	move_both(x, d, len, r, m, p, nfd);

	/* what they wrote before the move is theirs still */
	for (int h = 1; h < 3; h++)
		assert_true(all_are(p[h], MiB, PAT1) && all_are(p[h] + MiB, MiB, PAT2));
	/* the forced-out host's fd and mapping hold none of it any more */
	assert_null(memchr(p[0], PAT1, len));
	assert_null(memchr(p[0], PAT2, len));
	fd_has_none_of(m[0].fd, PAT1);
	fd_has_none_of(m[0].fd, PAT2);
	/* they keep sharing; host 0 sees none of it and reaches none of them */
	memset(p[1], PAT3, len);
	assert_true(all_are(p[2], len, PAT3));
	assert_null(memchr(p[0], PAT3, len));
	fd_has_none_of(m[0].fd, PAT3);
	memset(p[0], EVIL, len);
	assert_int_equal(pwrite(m[0].fd, p[0], len, 0), (ssize_t)len);
	assert_true(all_are(p[1], len, PAT3));
	assert_true(all_are(p[2], len, PAT3));
	expect_slow_path(x, 1, d, len, PAT3);
	expect_slow_path(x, 2, d, len, PAT3);

	close_sharers(len, r, m, p, nfd);
}

/*
 * A sharer that releases its share of its own accord (4803h) while the others
 * keep it may still hold the grant's fd: the others are moved just as after a
 * forced release, so that fd reaches nothing they write afterwards.
 */
static void test_a_sharer_that_releases_keeps_nothing_of_the_others(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 128 * MiB, len = 2 * MiB;
	struct map_fd m[3];
	struct raw r[3];
	uint8_t *p[3];
	int nfd[3] = { -1, -1, -1 };

	three_sharers(x, d, len, map_only, r, m, p);
	memset(p[1], PAT1, len);
	raw_release(x, &r[0], d, len);
	move_both(x, d, len, r, m, p, nfd);
	assert_true(all_are(p[1], len, PAT1) && all_are(p[2], len, PAT1));
	assert_null(memchr(p[0], PAT1, len));
	fd_has_none_of(m[0].fd, PAT1);
	memset(p[2], PAT3, len);
	assert_true(all_are(p[1], len, PAT3));
	fd_has_none_of(m[0].fd, PAT3);
	memset(p[0], EVIL, len);
	assert_int_equal(pwrite(m[0].fd, p[0], len, 0), (ssize_t)len);
	assert_true(all_are(p[1], len, PAT3) && all_are(p[2], len, PAT3));
	expect_slow_path(x, 1, d, len, PAT3);

	close_sharers(len, r, m, p, nfd);
}

/*
 * A sharer that answers neither PAUSE nor REMAP does not hold the move up:
 * when each phase's time runs out (MOVE_MS on the hostlink's clock, and not
 * a millisecond before) the device moves on without it, the other sharer is
 * moved, and the old grant is punched.
 */
static void test_a_silent_sharer_does_not_hold_the_move(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 96 * MiB, len = 2 * MiB;
	struct hostlink_stats hs;
	struct mem_dev_stats ms;
	struct map_fd m[3];
	struct raw r[3];
	uint8_t *p[3], buf[64];
	uint64_t id, t;
	int nfd = -1;

	three_sharers(x, d, len, map_only, r, m, p);
	memset(p[1], PAT1, len);
	t = x->clock_ms; /* the clock stands still: the pause phase starts now */
	force_release(x, 0, d, len, false);
	id = expect_pause(x, &r[1], d, len);
	send_move_ack(&r[1], id, HL_MOVE_PAUSED);
	/* host 2 says nothing: the pause phase ends when its MOVE_MS run out */
	x->clock_ms = t + MOVE_MS - 1;
	assert_int_equal(raw_take(x, &r[1], HL_REMAP, buf, sizeof(buf), NULL, 100), -1);
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.move_timeouts, 0);
	x->clock_ms = t + MOVE_MS;
	wait_move_timeouts(x, 1);
	nfd = expect_remap(x, &r[1], d, len, id, p[1], m[0].fd);
	send_move_ack(&r[1], id, HL_MOVE_REMAPPED);
	/* and so does the remap phase, MOVE_MS after it began: the move ends */
	x->clock_ms = t + 2 * MOVE_MS - 1;
	hx_pump(x, 100);
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.move_timeouts, 1);
	assert_int_equal(hs.moves, 1);
	assert_true(all_are(p[0], len, PAT1)); /* the move is not over: the old grant is whole */
	x->clock_ms = t + 2 * MOVE_MS;
	wait_move_timeouts(x, 2);
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.moves, 1);
	assert_int_equal(hs.move_timeouts, 2); /* host 2: pause, then remap */
	mem_dev_stats_get(x->md, &ms);
	assert_int_equal(ms.moves, 1);
	assert_true(all_are(p[1], len, PAT1));
	assert_null(memchr(p[0], PAT1, len)); /* the old grant is punched */
	memset(p[1], PAT3, len);
	expect_slow_path(x, 2, d, len, PAT3); /* host 2's binding moved with the grant */
	close_sharers(len, r, m, p, (const int[3]){ -1, nfd, -1 });
}

/*
 * The real agent as a sharer (host 0), with raw host 1; host 2 is forced
 * out.  The agent pauses and remaps its group mapping in place by itself:
 * the same address keeps the data and shares host 1's later writes, and
 * host 2's kept mapping sees none of them.
 */
static void test_the_agent_moves_its_group_mapping_in_place(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 128 * MiB, len = 2 * MiB;
	struct cxldcd_host_stats st;
	struct map_fd m1, m2;
	struct raw r1, r2;
	uint8_t *g, *p1, *p2;
	uint64_t id;
	int nfd;

	p1 = agent_shares(x, d, len, HL_HELLO_F_MAP, &r1, &r2, &m1, &m2, &g);
	p2 = map_it(&m2);
	assert_true(all_are(p1, len, PAT1) && all_are(p2, len, PAT1));

	force_release(x, 2, d, len, false);
	id = expect_pause(x, &r1, d, len);
	nfd = answer_move(x, &r1, d, len, id, p1, m2.fd);
	hx_pump(x, 100);
	cxldcd_host_get_stats(x->h, &st);
	assert_int_equal(st.pauses, 1);
	assert_int_equal(st.remaps, 1);
	assert_true(all_are(g, len, PAT1)); /* same address, same data */
	memset(p1, PAT3, len);
	assert_true(all_are(g, len, PAT3)); /* still sharing with host 1 */
	memset(g, PAT2, MiB);               /* and writable again */
	assert_true(all_are(p1, MiB, PAT2));
	assert_null(memchr(p2, PAT3, len)); /* host 2 kept nothing */
	assert_null(memchr(p2, PAT2, len));
	memset(p2, EVIL, len);
	assert_true(all_are(g + MiB, MiB, PAT3));
	munmap(p1, len);
	munmap(p2, len);
	close(m1.fd);
	close(m2.fd);
	close(nfd);
	raw_close(&r1);
	raw_close(&r2);
}

/* trusted-hosts=on keeps the old behaviour: one backend fd, nothing moves. */
static void test_trusted_sharers_are_not_moved(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 64 * MiB, len = 2 * MiB;
	struct hostlink_stats hs;
	struct mem_dev_stats ms;
	struct map_fd m[3];
	struct raw r[3];
	uint8_t *p[3], pl[64];

	three_sharers(x, d, len, map_only, r, m, p);
	r[1].pauses = 0;
	force_release(x, 0, d, len, false);
	/* a move sends its PAUSEs from the release itself (moves_take()): a
	 * PAUSE would come before the answer to a request sent after it */
	raw_extent_cmd(&r[1], CXLDCD_OP_RELEASE_DC, x->base[1], len); /* not host 1's: refused */
	raw_expect(x, &r[1], HL_CCI_RSP, pl, sizeof(pl), NULL);
	assert_int_not_equal(pl[8] | pl[9] << 8, 0);
	assert_int_equal(r[1].pauses, 0);
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.moves, 0);
	mem_dev_stats_get(x->md, &ms);
	assert_int_equal(ms.moves, 0);
	close_sharers(len, r, m, p, (const int[3]){ -1, -1, -1 });
}

/* Host 0 accepts 2 MiB of mem0 (raw): is the fd it is sent mem0's own file? */
static bool accepted_fd_is_the_backend(struct hx *x, struct raw *h0, struct map_fd *m)
{
	struct mem_backend_info bi;
	struct stat a, b;

	raw_hello(x, h0, 0, HL_HELLO_F_MAP);
	add(x, 0, x->base[1], 2 * MiB);
	raw_accept(x, h0, x->base[1], 2 * MiB, m);
	mem_backend_get_info(mem_registry_find(x->reg, "mem0"), &bi);
	assert_int_equal(fstat(m->fd, &a), 0);
	assert_int_equal(fstat(bi.fd, &b), 0);
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static void test_trusted_hosts_get_the_backend_fd(void **state)
{
	struct hx *x = *state;
	struct map_fd m;
	struct raw h0;

	assert_true(accepted_fd_is_the_backend(x, &h0, &m));
	assert_int_equal(m.m.offset, x->base[1] - x->base[0]);
	close(m.fd);
	raw_close(&h0);
}

static void test_untrusted_hosts_never_get_the_backend_fd(void **state)
{
	struct hx *x = *state;
	struct map_fd m;
	struct raw h0;

	assert_false(accepted_fd_is_the_backend(x, &h0, &m));
	/* sealed: the host cannot shrink it under the daemon's own mappings */
	assert_int_equal(ftruncate(m.fd, 0), -1);
	assert_int_equal(errno, EPERM);
	close(m.fd);
	raw_close(&h0);
}

/* ------------------------- an application opens a group while a move is under way */

/*
 * The agent shares tag A's 2 MiB at base + 128 MiB with raw hosts 1 and 2,
 * all mapping only (agent_shares()), in a struct paused (rawhost.h).
 */
static void share_map_only(struct hx *x, struct paused *s)
{
	paused_init(s, x->base[0] + 128 * MiB, 2 * MiB);
	s->p1 = agent_shares(x, s->d, s->len, HL_HELLO_F_MAP, &s->r1, &s->r2, &s->m1, &s->m2, NULL);
}

/* The same, and a move holds the agent and host 1 paused (pause_agent()). */
static void pause_map_only(struct hx *x, struct paused *s)
{
	pause_agent(x, x->base[0] + 128 * MiB, 2 * MiB, HL_HELLO_F_MAP, false, s);
}

/*
 * Host 0 alone holds tag A's sharable allocation, writes it and gives it
 * back (4803h): as the last sharer it leaves the grant punched.  The
 * orchestrator offers tag A's range to host 1 (a fresh grant): its fd and
 * host 0's kept one are different files; host 0's shows nothing, neither
 * its old bytes nor host 1's, and what it writes there reaches nobody.
 */
static void test_the_last_sharer_keeps_nothing_of_the_next(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 24 * MiB, len = 2 * MiB;
	struct cxldcd_extent e = hx_ext(d, len, TAG_A, 0);
	struct map_fd m0, m1;
	struct raw h0, h1;
	struct stat a, b;
	uint8_t *p0, *p1;

	hello_both(x, &h0, &h1);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	raw_accept(x, &h0, d, len, &m0);
	p0 = map_it(&m0);
	memset(p0, PAT1, len);
	raw_release(x, &h0, d, len);
	assert_true(all_are(p0, len, 0));

	assert_int_equal(hx_add(x, 1, &e, 1), CXLDCD_RC_SUCCESS);
	raw_accept(x, &h1, d, len, &m1);
	assert_int_equal(fstat(m0.fd, &a), 0);
	assert_int_equal(fstat(m1.fd, &b), 0);
	assert_false(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	p1 = map_it(&m1);
	assert_true(all_are(p1, len, PAT1)); /* no sanitize: the bytes go with the capacity */
	memset(p1, PAT2, len);
	assert_true(all_are(p0, len, 0));
	fd_has_none_of(m0.fd, PAT2);
	memset(p0, EVIL, len);
	assert_true(all_are(p1, len, PAT2));
	expect_slow_path(x, 1, d, len, PAT2);
	let_go(&h0, &m0, p0, len);
	let_go(&h1, &m1, p1, len);
}

/* CLOSE_REQ for group id on the application socket fd; the CLOSE_RSP's status. */
static uint32_t app_close(struct hx *x, int fd, uint32_t seq, uint64_t id)
{
	uint8_t msg[HL_HDR_SIZE + HL_APP_CLOSE_REQ_SIZE], buf[64];
	struct hl_hdr h;
	struct wwr w;
	ssize_t n;

	wwr_init(&w, msg, sizeof(msg));
	hl_msg_begin(&w, HL_APP_CLOSE_REQ, seq);
	assert_int_equal(hl_enc_u64_msg(&w, id), 0);
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(write(fd, msg, w.off), (ssize_t)w.off);
	for (int i = 0; i < 200 && !app_has_input(fd); i++)
		hx_pump(x, 10);
	n = read(fd, buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)(HL_HDR_SIZE + HL_APP_CLOSE_RSP_SIZE));
	assert_int_equal(hl_dec_hdr(buf, (size_t)n, &h), 0);
	assert_int_equal(h.type, HL_APP_CLOSE_RSP);
	assert_int_equal(h.seq, seq);
	return (uint32_t)(buf[HL_HDR_SIZE] | buf[HL_HDR_SIZE + 1] << 8 | buf[HL_HDR_SIZE + 2] << 16 |
			  (uint32_t)buf[HL_HDR_SIZE + 3] << 24);
}

/*
 * Application X opened tag A's group through the agent and writes it;
 * application Y, which never opened it, closes it (CLOSE_REQ with its id).
 * The agent refuses (NOENT): X's open still holds the group, so the
 * orchestrator's release request waits and the device keeps the capacity
 * the host's (X's bytes in place); when X closes, the release goes through.
 */
static void test_an_application_cannot_close_another_applications_open(void **state)
{
	struct hx *x = *state;
	const uint64_t d = x->base[0] + 8 * MiB, len = 2 * MiB;
	struct cxldcd_extent e = hx_ext(d, len, TAG_A, 0);
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .nr_extents = 1, .extents = &e };
	struct cxldcd_host_group_info gi;
	struct cxldcd_diag diag;
	uint8_t buf[64], *p;
	int ax, ay, sfd;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	assert_int_equal(cxldcd_host_list_groups(x->h, &gi, 1), 1);
	ax = hx_raw_connect(x->app_sock);
	ay = hx_raw_connect(x->app_sock);
	app_send_open(ax, 1);
	assert_int_equal(app_open_rsp(x, ax, 1, len, 2000, &sfd), HL_S_OK);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	assert_true(p != MAP_FAILED);
	memset(p, PAT1, len);

	assert_int_equal(app_close(x, ay, 1, gi.id), HL_S_NOENT);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	hx_pump(x, 200);
	expect_slow_path(x, 0, d, len, PAT1);
	assert_true(all_are(p, len, PAT1));

	assert_int_equal(app_close(x, ax, 2, gi.id), HL_S_OK);
	for (int i = 0; i < 100 && !mem_read(x->md, 0, d, buf, sizeof(buf), NULL, 0); i++)
		hx_pump(x, 10);
	assert_int_equal(mem_read(x->md, 0, d, buf, sizeof(buf), NULL, 0), -EFAULT);
	munmap(p, len);
	close(sfd);
	close(ax);
	close(ay);
}

/*
 * An application that opens the group while a move has it paused (scripts/
 * demo.sh: host 1 verifies right after host 0's release) is not handed the
 * grant the move retires: that grant is punched when the move ends, and a
 * mapping of it would read zeros ("host 1 lost the data").  The agent
 * answers once the REMAP came, with the fresh grant, which keeps the data
 * and is shared with the other sharers; no REVOKE follows.
 */
static void test_an_open_during_a_move_waits_for_the_fresh_grant(void **state)
{
	struct hx *x = *state;
	struct hostlink_stats hs;
	struct paused s;

	pause_map_only(x, &s);
	s.app = app_open_waits(x);
	s.nfd = answer_move(x, &s.r1, s.d, s.len, s.id, s.p1, s.m2.fd);
	assert_int_equal(app_open_rsp(x, s.app, 1, s.len, 2000, &s.sfd), HL_S_OK);
	hx_pump(x, 100);
	hostlink_stats_get(x->hl, &hs);
	assert_int_equal(hs.moves, 1); /* the move is over: the old grant is punched */
	assert_true(same_file(s.sfd, s.nfd));
	assert_false(same_file(s.sfd, s.m2.fd));
	s.a = mmap(NULL, s.len, PROT_READ | PROT_WRITE, MAP_SHARED, s.sfd, 0);
	assert_true(s.a != MAP_FAILED);
	assert_true(all_are(s.a, s.len, PAT1)); /* the data, not the punched grant's zeros */
	memset(s.p1, PAT3, s.len);
	assert_true(all_are(s.a, s.len, PAT3)); /* shared with host 1 */
	hx_pump(x, 50);
	assert_false(app_has_input(s.app)); /* and not revoked */
	close_paused(&s);
}

/*
 * The REMAP and an application's OPEN reach the agent together: the agent
 * reads the device first, answers with the fresh grant, and tells REVOKE
 * only to applications that held the old one; this one's fresh mapping is
 * not revoked.
 */
static void test_an_open_beside_the_remap_gets_the_fresh_grant_unrevoked(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host *agent;
	struct cxldcd_host_stats st;
	struct paused s;

	pause_map_only(x, &s);
	s.app = hx_raw_connect(x->app_sock);
	hx_pump(x, 50); /* the agent accepts the application */
	/* the device alone runs (hx_pump() without x->h): REMAP waits in the agent's socket */
	agent = x->h;
	x->h = NULL;
	send_move_ack(&s.r1, s.id, HL_MOVE_PAUSED);
	s.nfd = expect_remap(x, &s.r1, s.d, s.len, s.id, s.p1, s.m2.fd);
	x->h = agent;
	app_send_open(s.app, 1);
	cxldcd_host_process(x->h); /* one round sees both */
	cxldcd_host_get_stats(x->h, &st);
	assert_int_equal(st.remaps, 1);
	assert_int_equal(app_open_rsp(x, s.app, 1, s.len, 2000, &s.sfd), HL_S_OK);
	assert_true(same_file(s.sfd, s.nfd));
	send_move_ack(&s.r1, s.id, HL_MOVE_REMAPPED);
	hx_pump(x, 100);
	assert_false(app_has_input(s.app));
	close_paused(&s);
}

/*
 * Two applications wait for the REMAP on one group, and one of them hangs
 * up meanwhile (its socket is out of the agent's watch while it waits).
 * The other gets the fresh grant; the one that left is dropped when its
 * answer cannot go out, and keeps no open of the group.
 */
static void test_two_opens_wait_and_one_that_hangs_up_is_dropped(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_group_info gi[4];
	struct paused s;
	int gone;

	pause_map_only(x, &s);
	gone = hx_raw_connect(x->app_sock);
	s.app = hx_raw_connect(x->app_sock);
	app_send_open(gone, 1);
	app_send_open(s.app, 7);
	hx_pump(x, 100);
	assert_false(app_has_input(gone));
	assert_false(app_has_input(s.app));
	close(gone);
	hx_pump(x, 50);

	s.nfd = answer_move(x, &s.r1, s.d, s.len, s.id, s.p1, s.m2.fd);
	assert_int_equal(app_open_rsp(x, s.app, 7, s.len, 2000, &s.sfd), HL_S_OK);
	assert_true(same_file(s.sfd, s.nfd));
	hx_pump(x, 100);
	assert_false(app_has_input(s.app)); /* answered once */
	assert_int_equal(cxldcd_host_list_groups(x->h, gi, 4), 1);
	assert_int_equal(gi[0].open_count, 2); /* the agent's own and app's: none of the one gone */
	close_paused(&s);
}

/*
 * The PAUSE waits in the agent's link while more application sockets are
 * ready than one round takes (16), and they are ahead of the link in the
 * kernel's ready list (they were served last round and are ready again).
 * The agent still reads the device before it answers any of them: no OPEN
 * is answered with the grant the move retires.
 */
static void test_a_crowd_of_opens_does_not_outrun_the_pause(void **state)
{
	enum { APPS = 20 };
	struct hx *x = *state;
	struct cxldcd_host *agent;
	struct cxldcd_host_stats st;
	struct paused s;
	int app[APPS], sfd;

	share_map_only(x, &s);
	for (int i = 0; i < APPS; i++) {
		app[i] = hx_raw_connect(x->app_sock);
		hx_pump(x, 5); /* accepted (the socket's backlog is short) */
	}
	hx_pump(x, 50);
	/* a first byte each: one round reads 16 of them, which go to the back of the ready list */
	for (int i = 0; i < APPS; i++)
		app_send_open_part(app[i], (uint32_t)i + 1, 0, 1);
	cxldcd_host_process(x->h);
	/* the device alone: the release, and the PAUSE into the agent's socket */
	agent = x->h;
	x->h = NULL;
	raw_release(x, &s.r2, s.d, s.len);
	s.id = expect_pause(x, &s.r1, s.d, s.len);
	hx_pump(x, 50);
	x->h = agent;
	for (int i = 0; i < APPS; i++)
		app_send_open_part(app[i], (uint32_t)i + 1, 1, SIZE_MAX);
	cxldcd_host_process(x->h);
	cxldcd_host_get_stats(x->h, &st);
	assert_int_equal(st.pauses, 1);
	for (int i = 0; i < APPS; i++)
		assert_false(app_has_input(app[i])); /* none answered with the old grant */

	s.nfd = answer_move(x, &s.r1, s.d, s.len, s.id, s.p1, s.m2.fd);
	for (int i = 0; i < APPS; i++) {
		assert_int_equal(app_open_rsp(x, app[i], (uint32_t)i + 1, s.len, 2000, &sfd),
				 HL_S_OK);
		assert_true(same_file(sfd, s.nfd));
		close(sfd);
		close(app[i]);
	}
	close_paused(&s);
}

/* The type of the next message waiting in the agent's device link, 0: none. */
static uint8_t link_next_type(const struct cxldcd_host *h)
{
	uint8_t b[HL_HDR_SIZE];
	struct hl_hdr hd;
	ssize_t n = recv(h->sock, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);

	if (n < (ssize_t)HL_HDR_SIZE || hl_dec_hdr(b, (size_t)n, &hd) == -EPROTO)
		return 0;
	return hd.type;
}

/*
 * The PAUSE waits in the agent's link behind more messages than one round
 * reads (MAPs, each with its fd, read one at a time): the agent's
 * applications wait for the next round rather than be served before it.
 */
static void test_an_open_waits_for_a_pause_behind_a_long_burst(void **state)
{
	enum { EXTS = 24 };
	struct hx *x = *state;
	struct cxldcd_extent more[EXTS];
	struct cxldcd_host *agent;
	struct cxldcd_host_stats st;
	struct paused s;
	int i;

	share_map_only(x, &s);
	s.app = hx_raw_connect(x->app_sock);
	hx_pump(x, 50);

	/* more capacity for the agent: it accepts, and its MAPs pile up unread */
	for (i = 0; i < EXTS; i++)
		more[i] = hx_ext(x->base[0] + 256 * MiB + (uint64_t)i * 4 * MiB, s.len, NULL, 0);
	assert_int_equal(hx_add(x, 0, more, EXTS), CXLDCD_RC_SUCCESS);
	agent = x->h;
	x->h = NULL;
	for (i = 0; i < 400 && link_next_type(agent) != HL_MAP; i++) {
		cxldcd_host_process(agent);
		hx_pump(x, 5);
	}
	assert_int_equal(link_next_type(agent), HL_MAP);
	raw_release(x, &s.r2, s.d, s.len);
	s.id = expect_pause(x, &s.r1, s.d, s.len);
	hx_pump(x, 50);
	x->h = agent;
	app_send_open(s.app, 1);
	cxldcd_host_process(x->h);
	cxldcd_host_get_stats(x->h, &st);
	assert_false(app_has_input(s.app)); /* not the old grant */
	for (i = 0; i < 20 && !st.pauses; i++) {
		cxldcd_host_process(x->h);
		cxldcd_host_get_stats(x->h, &st);
	}
	assert_int_equal(st.pauses, 1);
	assert_false(app_has_input(s.app));

	s.nfd = answer_move(x, &s.r1, s.d, s.len, s.id, s.p1, s.m2.fd);
	assert_int_equal(app_open_rsp(x, s.app, 1, s.len, 2000, &s.sfd), HL_S_OK);
	assert_true(same_file(s.sfd, s.nfd));
	close_paused(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fds_of_a_hostile_host_reach_only_its_own_capacity, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_forced_release_leaves_the_old_owner_nothing_of_the_new, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_sharers_map_one_grant_of_exactly_the_shared_capacity, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_sanitizing_region_gives_released_capacity_back_as_zeros, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_released_middle_leaves_its_old_owner_nothing_of_the_next, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_reconnected_host_is_mapped_only_what_it_holds, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_replayed_responses_take_nothing_offered_to_another_host, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_an_application_cannot_close_another_applications_open, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_the_last_sharer_keeps_nothing_of_the_next, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_application_keeps_nothing_after_a_forced_release, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_spilled_groups_view_keeps_nothing_after_a_forced_release, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_released_data_reaches_the_next_owner_unless_sanitized, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_hosts_never_get_the_backend_fd, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_agent_exit_removes_only_its_own_app_socket, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_forced_out_sharer_keeps_nothing_of_the_others, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_sharer_that_releases_keeps_nothing_of_the_others, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_silent_sharer_does_not_hold_the_move, setup_three_clocked, hx_teardown),
		cmocka_unit_test_setup_teardown(test_the_agent_moves_its_group_mapping_in_place, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_an_open_during_a_move_waits_for_the_fresh_grant, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_an_open_beside_the_remap_gets_the_fresh_grant_unrevoked, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_two_opens_wait_and_one_that_hangs_up_is_dropped, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_crowd_of_opens_does_not_outrun_the_pause, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_an_open_waits_for_a_pause_behind_a_long_burst, setup_three, hx_teardown),
		cmocka_unit_test_setup_teardown(test_trusted_sharers_are_not_moved, setup_three_trusted, hx_teardown),
		cmocka_unit_test_setup_teardown(test_trusted_hosts_get_the_backend_fd, setup_trusted, hx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
