/* SPDX-License-Identifier: MIT */
/*
 * hx.c - the in-process end-to-end fixture (see hx.h).
 */
#include "hx.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/hl-raw.h"

static void on_answered(void *opaque, uint16_t host, uint64_t group_id, uint32_t nr_offered,
			uint32_t nr_accepted)
{
	struct hx *x = opaque;

	(void)host;
	(void)group_id;
	(void)nr_offered;
	(void)nr_accepted;
	x->answered++;
}

static const struct core_observer test_obs = { .group_answered = on_answered };

static void on_event(void *opaque, const struct cxldcd_host_event *ev)
{
	struct hx *x = opaque;
	struct hx_ev *e;

	if (getenv("HX_VERBOSE"))
		fprintf(stderr, "  [host] %s: %s\n", cxldcd_host_event_name(ev->type), ev->text);
	if (x->nr_ev == HX_MAX_EVENTS)
		return;
	e = &x->ev[x->nr_ev++];
	e->type = ev->type;
	e->dpa = ev->dpa;
	e->len = ev->len;
	e->group_id = ev->group ? ev->group->id : 0;
	snprintf(e->text, sizeof(e->text), "%s", ev->text ? ev->text : "");
	snprintf(e->reason, sizeof(e->reason), "%s", ev->reason ? ev->reason : "");
}

static void on_log(void *opaque, int level, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "  [log %d] %s\n", level, msg);
}

static void on_flush(void *opaque)
{
	struct hx *x = opaque;

	x->flush_asks++;
	x->flush_asked = true;
}

static uint64_t fake_clock(void *opaque)
{
	const struct hx *x = opaque;

	return x->clock_ms;
}

void hx_init(struct hx *x, bool tcp)
{
	struct hx_opts o = { .tcp = tcp };

	hx_init_opts(x, &o);
}

void hx_init_opts(struct hx *x, const struct hx_opts *o)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_diag diag;
	struct mem_dev_cfg mc = { .mode = MEM_DEV_SINGLE, .memdev = "mem0", .direct_map = true };
	struct mem_backend_props p = { .type = MEM_TYPE_MEMFD, .id = "mem0", .size = 512 * MiB };
	struct hostlink_cfg hc = { 0 };
	char err[256];

	memset(x, 0, sizeof(*x));
	core_cfg_default(&cfg);
	for (int i = 0; i < 2; i++) {
		cfg.regions[i].len = o->region_len ? o->region_len : 256 * MiB;
		cfg.regions[i].decode_len = cfg.regions[i].len;
	}
	p.size = 2 * cfg.regions[0].len;
	if (o->evlog_depth)
		cfg.evlog_depth = o->evlog_depth;
	if (o->mbox_payload_size)
		cfg.mbox_payload_size = o->mbox_payload_size;
	cfg.regions[0].sharable = true; /* shared sequences: tagged groups live in region 0 */
	cfg.pending_timeout_ms = o->pending_timeout_ms;
	if (o->nr_hosts)
		cfg.nr_hosts = o->nr_hosts;
	mc.trusted = o->trusted_hosts;
	assert_int_equal(core_dev_new(&cfg, &x->dev, &diag), 0);
	for (uint8_t r = 0; r < 2; r++) {
		struct core_region_info ri;

		assert_int_equal(core_region_get(x->dev, r, &ri), 0);
		x->base[r] = ri.base;
	}
	assert_int_equal(core_observer_add(x->dev, &test_obs, x), 0);
	if (o->obs)
		assert_int_equal(core_observer_add(x->dev, o->obs, o->obs_opaque), 0);
	assert_int_equal(mem_registry_new(&x->reg), 0);
	assert_int_equal(mem_registry_add(x->reg, &p, NULL, err, sizeof(err)), 0);
	assert_int_equal(mem_dev_new(x->dev, x->reg, &mc, &x->md, err, sizeof(err)), 0);
	hc.dev = x->dev;
	hc.md = x->md;
	hc.move_timeout_ms = o->move_timeout_ms;
	hc.rbuf_idle_ms = o->rbuf_idle_ms;
	hc.hello_slice_us = o->hello_slice_us;
	hc.move_fault = o->move_fault;
	hc.move_fault_opaque = o->move_fault_opaque;
	hc.max_out_bytes = o->max_out_bytes;
	if (o->round_ends) {
		x->watch.flush = on_flush;
		hc.watch = &x->watch;
		hc.watch_opaque = x;
	}
	if (o->fake_clock) {
		x->clock_ms = HX_CLOCK_T0;
		hc.clock = fake_clock;
		hc.clock_opaque = x;
	}
	if (getenv("HX_VERBOSE")) {
		hc.log = on_log;
		hc.log_level = 7;
	}
	assert_int_equal(hostlink_new(&hc, &x->hl), 0);
	snprintf(x->dir, sizeof(x->dir), "/tmp/hx-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->sock, sizeof(x->sock), "%s/link.sock", x->dir);
	snprintf(x->app_sock, sizeof(x->app_sock), "%s/app.sock", x->dir);
	assert_int_equal(hostlink_listen_unix(x->hl, x->sock, NULL), 0);
	if (o->tcp) {
		uint16_t port;

		assert_int_equal(hostlink_listen_tcp(x->hl, "127.0.0.1", 0, &port, NULL), 0);
		x->hl_port = port;
	}
	hx_host_cfg(x, &x->hcfg);
}

void hx_fini(struct hx *x)
{
	hx_host_stop(x);
	core_dev_free(x->dev); /* first: observers point at md and hl */
	hostlink_free(x->hl);
	mem_dev_free(x->md);
	mem_registry_free(x->reg);
	unlink(x->app_sock);
	rmdir(x->dir);
}

int hx_setup_opts(void **state, const struct hx_opts *o)
{
	struct hx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	hx_init_opts(x, o);
	*state = x;
	return 0;
}

int hx_setup(void **state)
{
	const struct hx_opts o = { .tcp = false };

	return hx_setup_opts(state, &o);
}

int hx_setup_tcp(void **state)
{
	const struct hx_opts o = { .tcp = true };

	return hx_setup_opts(state, &o);
}

int hx_teardown(void **state)
{
	struct hx *x = *state;

	hx_fini(x);
	free(x);
	return 0;
}

void hx_host_cfg(struct hx *x, struct cxldcd_host_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->socket_path = x->sock;
	c->host_id = 0;
	c->accept = CXLDCD_HOST_ACCEPT_ALL;
	c->event_fn = on_event;
	c->event_opaque = x;
	c->cmd_timeout_ms = 3000;
	/* HX_GROUP_FILES=1: every host asks for a file per group (the suites run both ways) */
	c->group_files = getenv("HX_GROUP_FILES") && !strcmp(getenv("HX_GROUP_FILES"), "1");
	if (getenv("HX_VERBOSE")) {
		c->log_fn = on_log;
		c->log_level = 7;
	}
}

void hx_round_end(struct hx *x)
{
	if (!x->flush_asked)
		return;
	x->flush_asked = false;
	hostlink_flush(x->hl);
}

/*
 * One round: poll the hostlink's fds, the host's and the caller's @extra
 * (@n of them; their revents are left for the caller) for up to
 * @timeout_ms, and serve the first two.  *moved counts the hostlink and
 * host fds that were ready.
 */
static void pump_once_with(struct hx *x, struct pollfd *extra, size_t n_extra, int timeout_ms,
			   int *moved)
{
	struct pollfd fds[64];
	size_t n, own;

	hx_round_end(x);        /* what the caller queued between rounds */
	n = hostlink_pollfds(x->hl, fds, 63);
	assert_true(n < 63);
	if (x->h)
		fds[n++] = (struct pollfd){ .fd = cxldcd_host_get_fd(x->h), .events = POLLIN };
	own = n;
	assert_true(own + n_extra <= 64);
	for (size_t i = 0; i < n_extra; i++)
		fds[n++] = (struct pollfd){ .fd = extra[i].fd, .events = extra[i].events };
	hostlink_tick(x->hl);   /* HELLO deadlines, accept retries */
	if (poll(fds, (nfds_t)n, timeout_ms) <= 0) {
		for (size_t i = 0; i < n_extra; i++)
			extra[i].revents = 0;
		return;
	}
	for (size_t i = 0; i < n_extra; i++)
		extra[i].revents = fds[own + i].revents;
	for (size_t i = 0; i < own; i++) {
		if (!fds[i].revents)
			continue;
		*moved += 1;
		if (x->h && fds[i].fd == cxldcd_host_get_fd(x->h))
			cxldcd_host_process(x->h);
		else
			hostlink_process_fd(x->hl, fds[i].fd, hostlink_poll_events(fds[i].revents));
	}
	hx_round_end(x);
}

static void pump_once(struct hx *x, int timeout_ms, int *moved)
{
	pump_once_with(x, NULL, 0, timeout_ms, moved);
}

bool hx_pump_round(struct hx *x, struct pollfd *extra, size_t n, int timeout_ms)
{
	int moved = 0;

	pump_once_with(x, extra, n, timeout_ms, &moved);
	if (x->h)
		cxldcd_host_process(x->h); /* timers and queued commands */
	return moved || (x->h && !cxldcd_host_idle(x->h));
}

uint64_t hx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Idle is three rounds in a row with nothing ready and the host idle.  In
 * one process over Unix sockets a write is readable at once, so after a
 * first quiet round of 10 ms two more of 1 ms make sure; loopback TCP may
 * deliver a little later (network softirq work deferred under load), so a
 * fixture with a TCP listener keeps 10 ms for all three.
 */
void hx_pump(struct hx *x, int ms)
{
	uint64_t end = hx_now_ms() + (uint64_t)ms;
	int quiet = 0;

	while (hx_now_ms() < end) {
		int moved = 0;

		pump_once(x, quiet && !x->hl_port ? 1 : 10, &moved);
		if (x->h)
			cxldcd_host_process(x->h); /* timers and queued commands */
		if (!moved && (!x->h || cxldcd_host_idle(x->h)))
			quiet++;
		else
			quiet = 0;
		if (quiet >= 3)
			return;
	}
}

unsigned hx_count(const struct hx *x, enum cxldcd_host_event_type t)
{
	unsigned n = 0;

	for (unsigned i = 0; i < x->nr_ev; i++)
		n += x->ev[i].type == t;
	return n;
}

int hx_first(const struct hx *x, enum cxldcd_host_event_type t)
{
	for (unsigned i = 0; i < x->nr_ev; i++)
		if (x->ev[i].type == t)
			return (int)i;
	return -1;
}

bool hx_pump_for(struct hx *x, enum cxldcd_host_event_type t, unsigned have, int ms)
{
	uint64_t end = hx_now_ms() + (uint64_t)ms;

	while (hx_now_ms() < end) {
		int moved = 0;

		if (hx_count(x, t) > have)
			return true;
		pump_once(x, 10, &moved);
		if (x->h)
			cxldcd_host_process(x->h);
	}
	return hx_count(x, t) > have;
}

void hx_host_start(struct hx *x)
{
	unsigned have = hx_count(x, CXLDCD_HOST_EV_READY);

	assert_int_equal(cxldcd_host_new(&x->hcfg, &x->h), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_READY, have, 5000));
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	hx_pump(x, 500);
}

void hx_host_stop(struct hx *x)
{
	cxldcd_host_free(x->h);
	x->h = NULL;
	hx_pump(x, 200); /* let the server see the hang-up */
}

struct cxldcd_extent hx_ext(uint64_t dpa, uint64_t len, const char *tag, uint16_t seq)
{
	struct cxldcd_extent e = { .dpa = dpa, .len = len, .shared_seq = seq };

	if (tag)
		assert_int_equal(cxldcd_tag_parse(tag, e.tag), 0);
	return e;
}

enum cxldcd_rc hx_add(struct hx *x, uint16_t host, const struct cxldcd_extent *e, uint32_t n)
{
	struct core_add_req req = { .host = host, .policy = CXLDCD_ADD_PRESCRIPTIVE,
				    .nr_extents = n, .extents = e };
	struct cxldcd_diag diag = { 0 };
	enum cxldcd_rc rc = core_add(x->dev, &req, NULL, &diag);

	if (rc)
		fprintf(stderr, "core_add: %s\n", diag.text);
	return rc;
}

void hx_add_group(struct hx *x, const struct cxldcd_extent *e, uint32_t n)
{
	unsigned have = hx_count(x, CXLDCD_HOST_EV_GROUP_ADDED);

	assert_int_equal(hx_add(x, 0, e, n), CXLDCD_RC_SUCCESS);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, have, 3000));
	hx_pump(x, 200);
}

unsigned hx_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

struct cxldcd_host_group_info hx_group_of(struct hx *x, const char *tag)
{
	struct cxldcd_host_group_info g[16];
	uint8_t t[16];
	uint32_t n = cxldcd_host_list_groups(x->h, g, 16);

	assert_int_equal(cxldcd_tag_parse(tag, t), 0);
	for (uint32_t i = 0; i < n && i < 16; i++)
		if (g[i].tagged && !memcmp(g[i].tag, t, 16))
			return g[i];
	fail_msg("no group with tag %s", tag);
	return g[0];
}

void hx_inject(struct hx *x, uint16_t host, uint8_t type, const struct cxldcd_extent *e, bool more)
{
	static const uint8_t dc_uuid[16] = CXLDCD_DC_EVENT_UUID;
	struct cxldcd_event ev = { .length = CXLDCD_EVENT_RECORD_SIZE };

	memcpy(ev.uuid, dc_uuid, 16);
	ev.dc_type = type;
	ev.dc_validity = 1;
	ev.dc_flags = more ? CXLDCD_DC_EVF_MORE : 0;
	ev.dc_extent = *e;
	assert_int_equal(core_evlog_inject(x->dev, host, CXLDCD_LOG_DC, &ev), CXLDCD_RC_SUCCESS);
}

int hx_raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

int hx_raw_recv(struct hx *x, int fd, uint8_t *p, size_t cap, uint32_t *len, uint32_t *seq,
		int ms)
{
	uint64_t end = hx_now_ms() + (uint64_t)(ms > 0 ? ms : 0);
	uint8_t buf[4096];
	size_t got = 0;
	struct hl_hdr h;

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		size_t want;
		int rc;

		hx_pump_round(x, &pf, 1, 5);
		if (!pf.revents) {
			if (hx_now_ms() >= end)
				return 0;
			continue;
		}
		want = got < HL_HDR_SIZE || hl_dec_hdr(buf, got, &h) ? HL_HDR_SIZE : HL_HDR_SIZE + h.len;
		rc = hl_raw_read(fd, buf, want < sizeof(buf) ? want : sizeof(buf), &got, &h);
		if (rc < 0)
			return -1;
		if (!rc)
			continue;
		assert_true(h.len <= cap);
		memcpy(p, buf + HL_HDR_SIZE, h.len);
		*len = h.len;
		if (seq)
			*seq = h.seq;
		return h.type;
	}
}

uint16_t hx_raw_hello(struct hx *x, int fd, uint16_t host, uint8_t flags, uint32_t *ack_flags)
{
	uint8_t p[64] = { 1, 0, (uint8_t)host, (uint8_t)(host >> 8), flags, 0, 0, 0 };
	uint32_t len;

	hl_raw_send(fd, HL_HELLO, 1, p, 8);
	assert_int_equal(hx_raw_recv(x, fd, p, sizeof(p), &len, NULL, 1000), HL_HELLO_ACK);
	assert_int_equal(len, HL_HELLO_ACK_SIZE);
	*ack_flags = (uint32_t)(p[4] | p[5] << 8 | p[6] << 16 | (uint32_t)p[7] << 24);
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Host 0's extents on the device (4801h's list): their count, their bytes in *bytes. */
uint32_t hx_device_holds(struct hx *x, uint64_t *bytes)
{
	struct cxldcd_extent e[16];
	uint32_t n = 0;

	assert_int_equal(core_extent_list(x->dev, 0, 0, 16, e, &n), CXLDCD_RC_SUCCESS);
	*bytes = 0;
	for (uint32_t i = 0; i < n; i++)
		*bytes += e[i].len;
	return n;
}

/* Force host 0 out of ranges r[n] (prescriptive) and let the agent read the records. */
void hx_force_out(struct hx *x, struct cxldcd_extent *r, uint32_t n)
{
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .forced = true, .nr_extents = n, .extents = r };
	unsigned have = hx_count(x, CXLDCD_HOST_EV_FORCED_RELEASE);
	struct cxldcd_diag diag;

	if (core_release(x->dev, &rq, &diag) != CXLDCD_RC_SUCCESS)
		fail_msg("forced release: %s", diag.text);
	for (uint32_t i = 0; i < n; i++)
		assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FORCED_RELEASE, have + i, 3000));
	hx_pump(x, 200);
}

/* Whether [p, p+len) of this process can be read (process_vm_readv: no fault taken). */
bool hx_readable(const void *p, size_t len)
{
	static uint8_t sink[4096];
	struct iovec l = { sink, len < sizeof(sink) ? len : sizeof(sink) };
	struct iovec r = { (void *)p, l.iov_len };

	return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)l.iov_len;
}

/*
 * An application's OPEN of tag on the agent's socket app, byte by byte, as
 * an application that keeps the fds (a hostile one does what it likes with
 * them): the first segment's fd (the others closed), its file offset in
 * *file_offset, the group's id in *id and its segments in *nr_segs unless
 * NULL.
 */
int hx_raw_app_open(struct hx *x, int app, const char *tag, uint64_t *file_offset, uint64_t *id,
		    unsigned *nr_segs)
{
	uint8_t buf[HL_HDR_SIZE + HL_APP_OPEN_RSP_HDR + 4 * HL_APP_SEG_SIZE];
	struct hl_app_open_req rq = { .id = 0 };
	struct hl_app_open_rsp rs;
	struct hl_app_seg seg[4];
	struct hl_hdr h;
	struct wwr w;
	int fds[4];
	unsigned nfd = 0;
	ssize_t n;

	assert_int_equal(cxldcd_tag_parse(tag, rq.tag), 0);
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_APP_OPEN_REQ, 1);
	assert_int_equal(hl_enc_app_open_req(&w, &rq), 0);
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(write(app, buf, w.off), (ssize_t)w.off);
	for (int i = 0; i < 200; i++) {
		struct pollfd pf = { .fd = app, .events = POLLIN };

		hx_pump_round(x, &pf, 1, 10);
		if (pf.revents & POLLIN)
			break;
	}
	n = hl_recv(app, buf, sizeof(buf), fds, &nfd, 4);
	assert_true(n >= (ssize_t)HL_HDR_SIZE);
	assert_int_equal(hl_dec_hdr(buf, (size_t)n, &h), 0);
	assert_int_equal(h.type, HL_APP_OPEN_RSP);
	assert_int_equal(hl_dec_app_open_rsp(buf + HL_HDR_SIZE, h.len, &rs, seg, 4), 0);
	assert_int_equal(rs.status, HL_S_OK);
	assert_int_equal(nfd, rs.nr_segs);
	for (unsigned i = 1; i < nfd; i++)
		close(fds[i]);
	*file_offset = seg[0].file_offset;
	if (id)
		*id = rs.id;
	if (nr_segs)
		*nr_segs = nfd;
	return fds[0];
}

void hx_log_to_buf(void *opaque, int level, const char *msg)
{
	struct hx_log *b = opaque;
	int n = snprintf(b->text + b->len, sizeof(b->text) - b->len, "<%d>%s\n", level, msg);

	if (n > 0 && (size_t)n < sizeof(b->text) - b->len)
		b->len += (size_t)n;
}
