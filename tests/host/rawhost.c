/* SPDX-License-Identifier: MIT */
/*
 * rawhost.c - raw hosts against the in-process device (see rawhost.h).
 */
#include "rawhost.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cci/msg.h"
#include "../support/hl-raw.h"

/* ------------------------------------------------------------ a raw host */

void raw_open(struct hx *x, struct raw *r, uint16_t host, uint32_t flags)
{
	uint8_t p[HL_HELLO_SIZE] = { 1, 0, (uint8_t)host, (uint8_t)(host >> 8), (uint8_t)flags };

	memset(r, 0, sizeof(*r));
	r->sock = hx_raw_connect(x->sock);
	hl_raw_send(r->sock, HL_HELLO, ++r->seq, p, sizeof(p));
}

uint32_t raw_hello(struct hx *x, struct raw *r, uint16_t host, uint32_t flags)
{
	uint8_t buf[64];
	struct hl_hello_ack a;

	raw_open(x, r, host, flags);
	raw_expect(x, r, HL_HELLO_ACK, buf, sizeof(buf), NULL);
	assert_int_equal(hl_dec_hello_ack(buf, HL_HELLO_ACK_SIZE, &a), 0);
	return a.flags;
}

int raw_take(struct hx *x, struct raw *r, uint8_t want, uint8_t *payload, size_t cap, int *fd,
	     int ms)
{
	uint64_t end = hx_now_ms() + (uint64_t)ms;

	for (;;) {
		struct pollfd pf = { .fd = r->sock, .events = POLLIN };
		int type = raw_pop(r, want, payload, cap, fd);

		if (type)
			return type;
		if (hx_now_ms() >= end)
			return -1;
		hx_pump_round(x, &pf, 1, 5);
		if (!pf.revents)
			continue;
		if (raw_recv(r) <= 0)
			return -1;
	}
}

void raw_expect(struct hx *x, struct raw *r, uint8_t want, uint8_t *payload, size_t cap, int *fd)
{
	assert_int_equal(raw_take(x, r, want, payload, cap, fd, 3000), want);
}

void expect_nothing(struct hx *x, struct raw *r, int ms)
{
	uint8_t pl[64];

	assert_int_equal(raw_take(x, r, 0, pl, sizeof(pl), NULL, ms), -1);
}

void raw_extent_cmd(struct raw *r, uint16_t opcode, uint64_t dpa, uint64_t len)
{
	uint8_t p[8 + 0x18] = { 1 }, msg[64], frame[128];
	struct cci_hdr h = { .category = CCI_CAT_REQUEST, .tag = 1, .opcode = opcode,
			     .payload_len = sizeof(p) };
	struct wwr w;

	put_le64(p + 8, dpa);
	put_le64(p + 16, len);
	assert_int_equal(cci_enc_hdr(&h, msg, sizeof(msg)), 0);
	memcpy(msg + 12, p, sizeof(p));
	wwr_init(&w, frame, sizeof(frame));
	hl_msg_begin(&w, HL_CCI_REQ, ++r->seq);
	wwr_bytes(&w, msg, 12 + sizeof(p));
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(write(r->sock, frame, w.off), (ssize_t)w.off);
}

void raw_release(struct hx *x, struct raw *r, uint64_t dpa, uint64_t len)
{
	uint8_t rsp[64];

	raw_extent_cmd(r, CXLDCD_OP_RELEASE_DC, dpa, len);
	raw_expect(x, r, HL_CCI_RSP, rsp, sizeof(rsp), NULL);
	assert_int_equal(rsp[8] | rsp[9] << 8, 0); /* return code: Success */
}

void expect_map(struct hx *x, struct raw *r, uint64_t dpa, uint64_t len, struct map_fd *out)
{
	uint8_t pl[64];

	raw_expect(x, r, HL_MAP, pl, sizeof(pl), &out->fd);
	assert_int_equal(hl_dec_map(pl, HL_MAP_SIZE, &out->m), 0);
	assert_int_equal(out->m.dpa, dpa);
	assert_int_equal(out->m.len, len);
	assert_true(out->fd >= 0);
}

void raw_accept(struct hx *x, struct raw *r, uint64_t dpa, uint64_t len, struct map_fd *out)
{
	uint8_t rsp[64];

	raw_extent_cmd(r, CXLDCD_OP_ADD_DC_RESPONSE, dpa, len);
	/* MAPs caused by a command are queued before its response (host-link.md) */
	expect_map(x, r, dpa, len, out);
	raw_expect(x, r, HL_CCI_RSP, rsp, sizeof(rsp), NULL);
	assert_int_equal(rsp[8] | rsp[9] << 8, 0); /* return code: Success */
}

uint8_t *map_it(const struct map_fd *f)
{
	void *p = mmap(NULL, f->m.len, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, (off_t)f->m.offset);

	assert_true(p != MAP_FAILED);
	return p;
}

/* ------------------------------------------------------------ the device's side */

void force_release(struct hx *x, uint16_t host, uint64_t dpa, uint64_t len, bool sanitize)
{
	struct cxldcd_extent e = hx_ext(dpa, len, NULL, 0);
	struct core_release_req rq = { .host = host, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .forced = true, .sanitize = sanitize, .nr_extents = 1,
				       .extents = &e };
	struct cxldcd_diag diag;

	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
}

void join_shared(struct hx *x, struct raw *r, uint16_t h, uint64_t d, uint64_t len,
		 struct map_fd *m)
{
	struct core_add_req req = { .host = h, .policy = CXLDCD_ADD_ENABLE_SHARED };
	struct cxldcd_diag diag;

	assert_int_equal(cxldcd_tag_parse(TAG_A, req.tag), 0);
	assert_int_equal(core_add(x->dev, &req, NULL, &diag), CXLDCD_RC_SUCCESS);
	raw_accept(x, r, d, len, m);
}

void three_sharers(struct hx *x, uint64_t d, uint64_t len, const uint32_t flags[3],
		   struct raw r[3], struct map_fd m[3], uint8_t *p[3])
{
	struct cxldcd_extent e = hx_ext(d, len, TAG_A, 0);

	for (uint16_t i = 0; i < 3; i++) {
		uint32_t granted = raw_hello(x, &r[i], i, flags[i]);

		/* MOVE_END granted exactly when asked for (with mapping) */
		assert_int_equal(!!(granted & HL_ACK_F_MOVE_END), !!(flags[i] & HL_HELLO_F_MOVE_END));
	}
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	raw_accept(x, &r[0], d, len, &m[0]);
	join_shared(x, &r[1], 1, d, len, &m[1]);
	join_shared(x, &r[2], 2, d, len, &m[2]);
	for (int i = 0; i < 3; i++)
		p[i] = map_it(&m[i]);
}

void close_sharers(uint64_t len, struct raw r[3], struct map_fd m[3], uint8_t *p[3],
		   const int nfd[3])
{
	for (int i = 0; i < 3; i++) {
		munmap(p[i], len);
		close(m[i].fd);
		if (nfd[i] >= 0)
			close(nfd[i]);
		raw_close(&r[i]);
	}
}

/* ------------------------------------------------------------ moves */

void send_move_ack(struct raw *r, uint64_t id, uint32_t phase)
{
	const struct hl_move_ack a = { .id = id, .phase = phase };
	uint8_t msg[64];
	struct wwr w;

	wwr_init(&w, msg, sizeof(msg));
	hl_msg_begin(&w, HL_MOVE_ACK, ++r->seq);
	assert_int_equal(hl_enc_move_ack(&w, &a), 0);
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(write(r->sock, msg, w.off), (ssize_t)w.off);
}

uint64_t expect_pause(struct hx *x, struct raw *r, uint64_t d, uint64_t len)
{
	uint8_t pl[64];
	struct hl_pause pm;

	raw_expect(x, r, HL_PAUSE, pl, sizeof(pl), NULL);
	assert_int_equal(hl_dec_pause(pl, HL_PAUSE_SIZE, &pm), 0);
	assert_int_equal(pm.dpa, d);
	assert_int_equal(pm.len, len);
	return pm.id;
}

/* The REMAP r gets for [d, d+len) of move id, mapped in place at p: its fd; *st: the fd's. */
static int remap_in_place(struct hx *x, struct raw *r, uint64_t d, uint64_t len, uint64_t id,
			  uint8_t *p, struct hl_remap *rm, struct stat *st)
{
	uint8_t pl[64];
	int fd = -1;

	raw_expect(x, r, HL_REMAP, pl, sizeof(pl), &fd);
	assert_int_equal(hl_dec_remap(pl, HL_REMAP_SIZE, rm), 0);
	assert_int_equal(rm->map.dpa, d);
	assert_int_equal(rm->map.len, len);
	assert_int_equal(rm->id, id);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, st), 0);
	assert_true(mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
			 (off_t)rm->map.offset) == p);
	return fd;
}

int expect_remap(struct hx *x, struct raw *r, uint64_t d, uint64_t len, uint64_t id, uint8_t *p,
		 int old_fd)
{
	struct hl_remap rm;
	struct stat a, b;
	int fd = remap_in_place(x, r, d, len, id, p, &rm, &a);

	assert_true(rm.map.flags & HL_MAP_F_WRITABLE);
	/* a fresh grant of exactly the allocation, not the one the revoked host kept */
	assert_int_equal(fstat(old_fd, &b), 0);
	assert_false(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	assert_int_equal(a.st_size, len);
	return fd;
}

int expect_remap_old(struct hx *x, struct raw *r, uint64_t d, uint64_t len, uint64_t id,
		     uint8_t *p, int old_fd)
{
	struct hl_remap rm;
	struct stat a, b;
	int fd = remap_in_place(x, r, d, len, id, p, &rm, &a);

	assert_int_equal(fstat(old_fd, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	return fd;
}

int answer_move(struct hx *x, struct raw *r, uint64_t d, uint64_t len, uint64_t id, uint8_t *p,
		int old_fd)
{
	int fd;

	send_move_ack(r, id, HL_MOVE_PAUSED);
	fd = expect_remap(x, r, d, len, id, p, old_fd);
	send_move_ack(r, id, HL_MOVE_REMAPPED);
	return fd;
}

uint64_t move_sharers(struct hx *x, uint64_t d, uint64_t len, struct raw r[3], uint8_t *p[3],
		      int old_fd, int nfd[3])
{
	struct mem_dev_stats before, ms;
	uint64_t id;

	mem_dev_stats_get(x->md, &before);
	id = expect_pause(x, &r[1], d, len);
	assert_int_equal(expect_pause(x, &r[2], d, len), id);
	mem_dev_stats_get(x->md, &ms);
	assert_int_equal(ms.moves, before.moves); /* nothing moves before both have paused */
	send_move_ack(&r[1], id, HL_MOVE_PAUSED);
	send_move_ack(&r[2], id, HL_MOVE_PAUSED);
	for (int h = 1; h < 3; h++) {
		if (nfd[h] >= 0)
			close(nfd[h]);
		nfd[h] = expect_remap(x, &r[h], d, len, id, p[h], old_fd);
		send_move_ack(&r[h], id, HL_MOVE_REMAPPED);
	}
	return id;
}

void expect_move_end(struct hx *x, struct raw *r, uint64_t d, uint64_t len, uint64_t id)
{
	uint8_t pl[64];
	struct hl_move_end e;

	assert_int_equal(raw_take(x, r, 0, pl, sizeof(pl), NULL, 3000), HL_MOVE_END);
	assert_int_equal(hl_dec_move_end(pl, HL_MOVE_END_SIZE, &e), 0);
	assert_int_equal(e.dpa, d);
	assert_int_equal(e.len, len);
	assert_int_equal(e.id, id);
}

/* ------------------------------------------------------------ bytes and files */

bool all_are(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

void fd_has_none_of(int fd, uint8_t v)
{
	uint8_t chunk[65536];
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	for (off_t off = 0; off < st.st_size; off += (off_t)sizeof(chunk)) {
		ssize_t n = pread(fd, chunk, sizeof(chunk), off);

		assert_true(n > 0);
		assert_null(memchr(chunk, v, (size_t)n));
	}
}

bool same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* ------------------------------------------------------------ the agent and its applications */

uint8_t *agent_open_group(struct hx *x, uint64_t len)
{
	uint8_t tag[16];
	uint64_t size;
	void *addr;

	assert_int_equal(cxldcd_tag_parse(TAG_A, tag), 0);
	assert_int_equal(cxldcd_host_group_open(x->h, tag, 0, &addr, &size), 0);
	assert_int_equal(size, len);
	return addr;
}

uint8_t *agent_shares(struct hx *x, uint64_t d, uint64_t len, uint32_t flags1, struct raw *r1,
		      struct raw *r2, struct map_fd *m1, struct map_fd *m2, uint8_t **g)
{
	struct cxldcd_extent e = hx_ext(d, len, TAG_A, 0);
	uint8_t *addr, *p1;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, 0, 3000));
	hx_pump(x, 100);
	addr = agent_open_group(x, len);
	if (g)
		*g = addr;
	memset(addr, PAT1, len);
	raw_hello(x, r1, 1, flags1);
	raw_hello(x, r2, 2, HL_HELLO_F_MAP);
	join_shared(x, r1, 1, d, len, m1);
	join_shared(x, r2, 2, d, len, m2);
	p1 = map_it(m1);
	assert_true(all_are(p1, len, PAT1));
	return p1;
}

uint64_t agent_paused(struct hx *x, uint64_t d, uint64_t len, uint32_t flags1, struct raw *r1,
		      struct raw *r2, struct map_fd *m1, struct map_fd *m2, uint8_t **p1,
		      uint8_t **g)
{
	uint64_t id;

	*p1 = agent_shares(x, d, len, flags1, r1, r2, m1, m2, g);
	raw_release(x, r2, d, len);
	id = expect_pause(x, r1, d, len);
	for (int i = 0; i < 100 && !agent_stats(x).pauses; i++)
		hx_pump(x, 10);
	assert_int_equal(agent_stats(x).pauses, 1);
	assert_int_equal(agent_stats(x).remaps, 0);
	return id;
}

void close_agent_move(uint64_t len, struct raw *r1, struct raw *r2, struct map_fd *m1,
		      struct map_fd *m2, uint8_t *p1, int nfd)
{
	munmap(p1, len);
	close(m1->fd);
	close(m2->fd);
	if (nfd >= 0)
		close(nfd);
	raw_close(r1);
	raw_close(r2);
}

void paused_init(struct paused *s, uint64_t d, uint64_t len)
{
	*s = (struct paused){ .d = d, .len = len, .nfd = -1, .app = -1, .sfd = -1 };
}

void pause_agent(struct hx *x, uint64_t d, uint64_t len, uint32_t flags1, bool agent_opens,
		 struct paused *s)
{
	paused_init(s, d, len);
	s->id = agent_paused(x, d, len, flags1, &s->r1, &s->r2, &s->m1, &s->m2, &s->p1,
			     agent_opens ? &s->g : NULL);
}

void close_paused(struct paused *s)
{
	if (s->a)
		munmap(s->a, s->len);
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->app >= 0)
		close(s->app);
	close_agent_move(s->len, &s->r1, &s->r2, &s->m1, &s->m2, s->p1, s->nfd);
}

struct cxldcd_host_stats agent_stats(struct hx *x)
{
	struct cxldcd_host_stats st;

	cxldcd_host_get_stats(x->h, &st);
	return st;
}

void app_send_open_part(int fd, uint32_t seq, size_t from, size_t to)
{
	struct hl_app_open_req rq = { .id = 0 };
	uint8_t msg[HL_HDR_SIZE + HL_APP_OPEN_REQ_SIZE];
	struct wwr w;

	assert_int_equal(cxldcd_tag_parse(TAG_A, rq.tag), 0);
	wwr_init(&w, msg, sizeof(msg));
	hl_msg_begin(&w, HL_APP_OPEN_REQ, seq);
	assert_int_equal(hl_enc_app_open_req(&w, &rq), 0);
	assert_int_equal(hl_msg_end(&w), 0);
	if (to > w.off)
		to = w.off;
	assert_int_equal(write(fd, msg + from, to - from), (ssize_t)(to - from));
}

void app_send_open(int fd, uint32_t seq)
{
	app_send_open_part(fd, seq, 0, SIZE_MAX);
}

int app_open_waits(struct hx *x)
{
	int app = hx_raw_connect(x->app_sock);

	app_send_open(app, 1);
	hx_pump(x, 100);
	assert_false(app_has_input(app)); /* paused: not the grant being retired */
	return app;
}

bool app_has_input(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return poll(&pf, 1, 0) == 1;
}

uint32_t app_open_rsp(struct hx *x, int fd, uint32_t seq, uint64_t len, int ms, int *seg_fd)
{
	uint8_t buf[HL_HDR_SIZE + HL_APP_OPEN_RSP_HDR + 4 * HL_APP_SEG_SIZE];
	struct hl_app_open_rsp rs;
	struct hl_app_seg seg[4];
	struct hl_hdr h;
	int fds[4];
	unsigned nfd = 0;
	ssize_t n;

	for (int i = 0; i < ms / 10 && !app_has_input(fd); i++)
		hx_pump(x, 10);
	assert_true(app_has_input(fd));
	n = hl_recv(fd, buf, sizeof(buf), fds, &nfd, 4);
	assert_true(n >= (ssize_t)HL_HDR_SIZE);
	assert_int_equal(hl_dec_hdr(buf, (size_t)n, &h), 0);
	assert_int_equal(h.type, HL_APP_OPEN_RSP);
	assert_int_equal(h.seq, seq);
	assert_int_equal((size_t)n, HL_HDR_SIZE + h.len);
	assert_int_equal(hl_dec_app_open_rsp(buf + HL_HDR_SIZE, h.len, &rs, seg, 4), 0);
	if (rs.status != HL_S_OK) {
		assert_int_equal(nfd, 0);
		return rs.status;
	}
	assert_int_equal(rs.nr_segs, 1);
	assert_int_equal(nfd, 1);
	assert_int_equal(rs.size, len);
	assert_int_equal(seg[0].len, len);
	*seg_fd = fds[0];
	return HL_S_OK;
}
