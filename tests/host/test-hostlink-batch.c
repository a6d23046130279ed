/* SPDX-License-Identifier: MIT */
/*
 * test-hostlink-batch.c - the hostlink's output leaves in batches: what a
 * round queues to a host goes in one sendmmsg(), each MAP's fd still with
 * that MAP's own bytes (docs/host-link.md, MAP).
 *
 *  - A burst of offers accepted by libcxldcd-host: every extent mapped, in
 *    a small fraction of the system calls (hostlink_stats.send_calls).
 *  - With a loop that has round ends (the daemon's), nothing leaves before
 *    hostlink_flush(), then all of it in one call.
 *  - A raw host reads MAPs (each of another file) between RAS_IRQs and
 *    UNMAPs: every read that brings fds brings exactly those of the MAPs
 *    that start in it, and the memory read through each fd is its extent's.
 *  - A host that reads nothing is dropped at the output bound, after its
 *    socket was filled, as before batching.
 *  - A connection closed with MAPs (and their fds) still queued frees them.
 *
 * HX_BURST=N sets the burst's size (default 1000), HX_TEST=PATTERN runs
 * the tests it matches alone: `strace -c -f` of the burst counts the
 * system calls (docs/host-link.md "Sending").
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostlink/proto.h"
#include "hx.h"

/* More MAPs than a Unix socket's send buffer holds (each its own skb), fewer fds than 1024. */
#define NR_QUEUED 600u

static unsigned burst_n(void)
{
	const char *e = getenv("HX_BURST");
	unsigned n = e ? (unsigned)strtoul(e, NULL, 10) : 1000u;

	return n && n <= 16000 ? n : 1000u;
}

/*
 * Regions of room for the burst (2 MiB extents, as libcxldcd-host wants),
 * an event log too; the loop has round ends, as the daemon's.
 */
static int setup_big(void **state)
{
	struct hx *x = calloc(1, sizeof(*x));
	unsigned n = burst_n() > NR_QUEUED ? burst_n() : NR_QUEUED;
	struct hx_opts o = { .region_len = ((uint64_t)n * 2 * MiB + 255 * MiB) / (256 * MiB) * 256 * MiB,
			     .evlog_depth = n + 64, .round_ends = true };

	assert_non_null(x);
	hx_init_opts(x, &o);
	*state = x;
	return 0;
}

static int setup_round_ends(void **state)
{
	struct hx *x = calloc(1, sizeof(*x));
	struct hx_opts o = { .round_ends = true };

	assert_non_null(x);
	hx_init_opts(x, &o);
	*state = x;
	return 0;
}

static int setup_small_bound(void **state)
{
	struct hx *x = calloc(1, sizeof(*x));
	struct hx_opts o = { .max_out_bytes = 256 * 1024 };

	assert_non_null(x);
	hx_init_opts(x, &o);
	*state = x;
	return 0;
}

static struct hostlink_stats stats(const struct hx *x)
{
	struct hostlink_stats st;

	hostlink_stats_get(x->hl, &st);
	return st;
}

/* Correctable errors reach host 0 (all are masked at reset): each injection is a RAS_IRQ. */
static void unmask_cor(struct hx *x)
{
	assert_int_equal(core_ras_write(x->dev, 0, CXLDCD_RAS_COR_MASK, 0, NULL), CXLDCD_RC_SUCCESS);
}

static void inject_cor(struct hx *x)
{
	assert_int_equal(core_ras_inject_cor(x->dev, 0, CXLDCD_RAS_COR_PHYSICAL, NULL),
			 CXLDCD_RC_SUCCESS);
}

/*
 * N extents offered in one 5604h-like add (untagged, in region 1: the
 * host's view, one file for all, so the fds stay few in this one process),
 * the host accepting all with direct mapping: all are accepted and mapped,
 * and the device sent the N MAPs (and the CCI responses between) in a
 * small fraction of N system calls (one sendmsg() each before).
 */
static void test_a_burst_of_offers_is_mapped_in_few_sends(void **state)
{
	struct hx *x = *state;
	unsigned n = burst_n();
	struct cxldcd_extent *e = calloc(n, sizeof(*e));
	struct hostlink_stats a, b;
	struct cxldcd_host_group_info *g = calloc(n, sizeof(*g));
	uint64_t sends, msgs;

	assert_non_null(e);
	assert_non_null(g);
	x->hcfg.chain_cap = n;
	x->hcfg.cmd_timeout_ms = 60000;     /* the last answer comes behind the N MAPs */
	hx_host_start(x);
	a = stats(x);
	for (unsigned i = 0; i < n; i++)
		e[i] = hx_ext(x->base[1] + (uint64_t)i * 2 * MiB, 2 * MiB, NULL, 0);
	assert_int_equal(hx_add(x, 0, e, n), CXLDCD_RC_SUCCESS);
	/* the groups come with the last Add DC Response's answer, behind the MAPs */
	for (uint64_t end = hx_now_ms() + 60000;
	     hx_now_ms() < end && cxldcd_host_list_groups(x->h, NULL, 0) < n;)
		hx_pump_round(x, NULL, 0, 10);
	hx_pump(x, 100);
	b = stats(x);
	assert_int_equal(b.maps - a.maps, n);
	assert_int_equal(core_extent_count(x->dev, 0), n);
	assert_int_equal(cxldcd_host_list_groups(x->h, g, n), n);
	for (unsigned i = 0; i < n; i++)
		assert_true(g[i].mapped);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR), 0);
	sends = b.send_calls - a.send_calls;
	msgs = b.msgs_out - a.msgs_out;
	fprintf(stderr, "  %u MAPs, %llu messages in all, in %llu sendmmsg() calls\n", n,
		(unsigned long long)msgs, (unsigned long long)sends);
	/*
	 * One call per CCI response at least (one request in flight: Get
	 * Event Records, Clear, Add DC Response chunks), the MAPs in batches:
	 * fewer than one call per 16 of them.
	 */
	assert_true(msgs > n);
	assert_true(sends <= msgs - n + n / 16);
	free(g);
	free(e);
}

static bool pollout_wanted(const struct hx *x)
{
	struct pollfd pf[8];
	size_t n = hostlink_pollfds(x->hl, pf, 8);

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++)
		if (pf[i].events & POLLOUT)
			return true;
	return false;
}

/*
 * With a loop that has round ends (hostlink_watch_ops.flush, as the
 * daemon's): messages queued outside any hostlink call (an FM add, an
 * injected error) ask for one flush, whatever their number, and are not
 * sent, nor watched for writability, until hostlink_flush(): then all of
 * them leave in one call.
 */
static void test_with_round_ends_output_waits_for_hostlink_flush(void **state)
{
	struct hx *x = *state;
	const size_t len = HL_HDR_SIZE + HL_RAS_IRQ_SIZE;
	int fd = hx_raw_connect(x->sock), unread = -1;
	struct hostlink_stats a, b;
	uint32_t flags;
	unsigned asks;

	assert_int_equal(hx_raw_hello(x, fd, 0, HL_HELLO_F_RAS, &flags), 0);
	unmask_cor(x);
	hx_pump(x, 20);
	asks = x->flush_asks;
	a = stats(x);
	for (int i = 0; i < 100; i++)
		inject_cor(x);
	assert_int_equal(x->flush_asks, asks + 1);
	assert_int_equal(ioctl(fd, FIONREAD, &unread), 0);
	assert_int_equal(unread, 0);
	assert_false(pollout_wanted(x));
	assert_int_equal(stats(x).send_calls, a.send_calls);
	hx_round_end(x);
	b = stats(x);
	assert_int_equal(b.send_calls - a.send_calls, 1);
	assert_int_equal(b.msgs_out - a.msgs_out, 100);
	assert_int_equal(ioctl(fd, FIONREAD, &unread), 0);
	assert_int_equal(unread, 100 * len);
	inject_cor(x);                                  /* the next round asks again */
	assert_int_equal(x->flush_asks, asks + 2);
	hx_round_end(x);
	assert_int_equal(ioctl(fd, FIONREAD, &unread), 0);
	assert_int_equal(unread, 101 * len);
	close(fd);
}

/* A raw host's read side: whole messages from the socket, fds in a FIFO. */
struct reader {
	int fd;
	uint8_t buf[1 << 16];
	size_t got;                 /* bytes in buf */
	size_t scan;                /* buf offset of the first header not counted yet */
	unsigned map_starts;        /* MAP headers seen whole in what was read, all reads */
	int fds[64];
	unsigned nr_fds, fds_in;    /* FIFO now; received in all */
};

/*
 * One read; then count the MAP headers that start in what was read so far.
 * The fds that came with the reads must be those of exactly these MAPs:
 * none early (a read that brings an fd ends within its MAP's run), none
 * late.  A header cut by the read may be a MAP whose fd came: allowed once.
 */
static bool reader_read(struct reader *r)
{
	unsigned nfd = 0;
	ssize_t n = hl_recv(r->fd, r->buf + r->got, sizeof(r->buf) - r->got, r->fds + r->nr_fds,
			    &nfd, 64 - r->nr_fds);
	size_t off = r->scan;
	bool cut = false;

	if (n == -EAGAIN)
		return false;
	assert_true(n > 0);
	r->got += (size_t)n;
	r->nr_fds += nfd;
	r->fds_in += nfd;
	assert_true(nfd <= 1);      /* one fd per read: one MAP's run */
	while (off < r->got) {
		struct hl_hdr h;

		if (r->got - off < HL_HDR_SIZE) {
			cut = true;
			break;
		}
		assert_int_equal(hl_dec_hdr(r->buf + off, r->got - off, &h), 0);
		r->map_starts += h.type == HL_MAP;
		off += HL_HDR_SIZE + h.len;
	}
	r->scan = off;
	assert_true(r->fds_in >= r->map_starts);
	assert_true(r->fds_in <= r->map_starts + (cut ? 1u : 0u));
	return true;
}

/* The next whole message (payload copied to p), or false when none is read yet. */
static bool reader_next(struct reader *r, struct hl_hdr *h, uint8_t *p, size_t cap)
{
	size_t len;

	if (r->got < HL_HDR_SIZE || hl_dec_hdr(r->buf, r->got, h) || r->got < HL_HDR_SIZE + h->len)
		return false;
	len = HL_HDR_SIZE + h->len;
	assert_true(h->len <= cap);
	memcpy(p, r->buf + HL_HDR_SIZE, h->len);
	memmove(r->buf, r->buf + len, r->got - len);
	r->got -= len;
	r->scan -= len;
	return true;
}

static int reader_pop_fd(struct reader *r)
{
	int fd;

	assert_true(r->nr_fds > 0);
	fd = r->fds[0];
	memmove(r->fds, r->fds + 1, --r->nr_fds * sizeof(int));
	return fd;
}

/* Read messages, pumping the device, until one is whole; its type (0: none in 3 s). */
static int reader_wait(struct hx *x, struct reader *r, struct hl_hdr *h, uint8_t *p, size_t cap)
{
	uint64_t end = hx_now_ms() + 3000;

	while (!reader_next(r, h, p, cap)) {
		struct pollfd pf = { .fd = r->fd, .events = POLLIN };

		if (hx_now_ms() >= end)
			return 0;
		hx_pump_round(x, &pf, 1, 5);
		if (pf.revents)
			reader_read(r);
	}
	return h->type;
}

#define NR_MIXED 24u

static uint64_t mixed_dpa(const struct hx *x, unsigned i)
{
	/* even: region 0, a tag of its own (a shared grant: a file each); odd: region 1's view */
	return x->base[i % 2] + (uint64_t)(i / 2) * 2 * MiB;
}

static void fill_pattern(uint8_t *b, size_t n, uint64_t dpa)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(dpa >> 21) ^ (uint8_t)(0x5a + i);
}

/* Offer extent i to host 0 and accept it (the observer queues its MAP), then write its pattern. */
static void accept_one(struct hx *x, unsigned i)
{
	struct cxldcd_extent e = hx_ext(mixed_dpa(x, i), 2 * MiB, i % 2 ? NULL : TAG_A, 0);
	struct cxldcd_range rg = { .dpa = e.dpa, .len = e.len };
	struct cxldcd_diag d;
	uint8_t pat[64];
	char err[128];

	if (i % 2 == 0)
		e.tag[15] = (uint8_t)i;
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_add_response(x->dev, 0, &rg, 1, false, &d), CXLDCD_RC_SUCCESS);
	fill_pattern(pat, sizeof(pat), e.dpa);
	assert_int_equal(mem_write(x->md, 0, e.dpa, pat, sizeof(pat), err, sizeof(err)), 0);
}

/*
 * MAPs of different files queued between plain messages (RAS_IRQ after
 * every accept, an UNMAP after every third) without the loop running: all
 * leave together, in order, and each MAP's fd reaches the host with that
 * MAP, never with another message; reading the memory through each fd at
 * the MAP's offset gives that extent's bytes.  The MAP of a released
 * extent whose file closed meanwhile (a shared grant) is not sent.
 */
static void test_maps_between_plain_messages_carry_their_own_fds(void **state)
{
	struct hx *x = *state;
	struct reader *r = calloc(1, sizeof(*r));
	uint32_t flags, seq0 = 0;
	unsigned maps = 0, irqs = 0, unmaps = 0, total;
	bool released[NR_MIXED] = { false };
	struct hostlink_stats a, b;

	assert_non_null(r);
	r->fd = hx_raw_connect(x->sock);
	assert_int_equal(hx_raw_hello(x, r->fd, 0, HL_HELLO_F_MAP | HL_HELLO_F_RAS, &flags), 0);
	assert_true(flags & HL_ACK_F_MAP);
	unmask_cor(x);
	hx_pump(x, 20);
	a = stats(x);
	for (unsigned i = 0; i < NR_MIXED; i++) {
		accept_one(x, i);
		inject_cor(x);
		if (i % 3 == 2) {       /* the host gives back the previous extent */
			struct cxldcd_range rg = { .dpa = mixed_dpa(x, i - 1), .len = 2 * MiB };

			assert_int_equal(core_release_dc(x->dev, 0, &rg, 1, false, NULL),
					 CXLDCD_RC_SUCCESS);
			released[i - 1] = true;
		}
	}
	/*
	 * What the host must read, in order: per extent its MAP and a RAS_IRQ,
	 * after every third the previous one's UNMAP.  A released extent of
	 * region 0 had a shared grant of its own, closed by the release while
	 * its MAP was queued: that MAP goes unsent (the queue holds no fd;
	 * maps_stale), its UNMAP still comes; so did extent 1, region 1's only
	 * extent when it was released (the view closed; extent 3 made a new
	 * one).  Another of region 1's view is sent (the view lives on), its
	 * range punched: fresh pages.
	 */
	struct { uint8_t type; unsigned ext; } want[NR_MIXED * 3];
	unsigned nw = 0, stale = 0;

	for (unsigned i = 0; i < NR_MIXED; i++) {
		if (!(released[i] && (i % 2 == 0 || i == 1)))
			want[nw++] = (typeof(want[0])){ HL_MAP, i };
		else
			stale++;
		want[nw++] = (typeof(want[0])){ HL_RAS_IRQ, i };
		if (i % 3 == 2)
			want[nw++] = (typeof(want[0])){ HL_UNMAP, i - 1 };
	}
	assert_int_equal(stale, 5);
	total = nw;
	for (unsigned k = 0; k < total; k++) {
		uint8_t p[256];
		struct hl_hdr h;

		assert_int_not_equal(reader_wait(x, r, &h, p, sizeof(p)), 0);
		assert_true(!seq0 || h.seq > seq0);      /* whole and in order */
		seq0 = h.seq;
		assert_int_equal(h.type, want[k].type);
		if (h.type == HL_MAP) {
			struct hl_map m;
			uint8_t pat[64];
			int fd = reader_pop_fd(r);
			void *mem;

			assert_int_equal(hl_dec_map(p, h.len, &m), 0);
			assert_int_equal(m.dpa, mixed_dpa(x, want[k].ext));
			mem = mmap(NULL, m.len, PROT_READ, MAP_SHARED, fd, (off_t)m.offset);
			assert_true(mem != MAP_FAILED);
			fill_pattern(pat, sizeof(pat), m.dpa);
			if (released[want[k].ext])     /* punched by the release: fresh pages */
				memset(pat, 0, sizeof(pat));
			assert_memory_equal(mem, pat, sizeof(pat));
			munmap(mem, m.len);
			close(fd);
			maps++;
		} else if (h.type == HL_RAS_IRQ) {
			irqs++;
		} else {
			struct hl_unmap u;

			assert_int_equal(hl_dec_unmap(p, h.len, &u), 0);
			assert_int_equal(u.dpa, mixed_dpa(x, want[k].ext));
			unmaps++;
		}
	}
	assert_int_equal(maps, NR_MIXED - stale);
	assert_int_equal(irqs, NR_MIXED);
	assert_int_equal(unmaps, NR_MIXED / 3);
	assert_int_equal(r->nr_fds, 0);
	b = stats(x);
	fprintf(stderr, "  %u messages (%u with an fd) in %llu sendmmsg() calls\n", total, maps,
		(unsigned long long)(b.send_calls - a.send_calls));
	assert_int_equal(b.msgs_out - a.msgs_out, total + stale);
	assert_int_equal(b.maps_stale - a.maps_stale, stale);
	assert_true(b.send_calls - a.send_calls <= 2);     /* one sendmsg() each before */
	close(r->fd);
	free(r);
}

/*
 * A host that reads nothing while the device sends (RAS_IRQs, queued by
 * the observer with no loop round to end them): the socket is filled
 * first, then the queue grows to the bound and the connection is dropped
 * there, not before; what the socket holds is whole messages in order.
 */
static void test_a_host_that_reads_nothing_is_dropped_at_the_bound(void **state)
{
	struct hx *x = *state;
	const size_t bound = 256 * 1024;
	const size_t cost = HL_HDR_SIZE + HL_RAS_IRQ_SIZE;
	struct hostlink_stats a, b;
	int fd = hx_raw_connect(x->sock), unread = 0;
	uint32_t flags, queued, in_queue, seq0 = 0, k = 0;
	uint8_t buf[4096];
	size_t got = 0;

	assert_int_equal(hx_raw_hello(x, fd, 0, HL_HELLO_F_RAS, &flags), 0);
	unmask_cor(x);
	hx_pump(x, 20);
	a = stats(x);
	for (unsigned i = 0; i < 1000000 && hostlink_host_connected(x->hl, 0); i++)
		inject_cor(x);
	assert_false(hostlink_host_connected(x->hl, 0));
	b = stats(x);
	assert_int_equal(b.violations - a.violations, 1);
	queued = (uint32_t)(b.msgs_out - a.msgs_out);
	assert_int_equal(ioctl(fd, FIONREAD, &unread), 0);
	fprintf(stderr, "  dropped after %u RAS_IRQs: %d bytes in the socket\n", queued, unread);
	assert_true(unread > 0);                        /* the socket was filled first */
	/*
	 * On top of it the queue reached the bound: a queued message is charged
	 * its bytes and less than 64 more (struct outmsg).
	 */
	in_queue = queued - (uint32_t)((size_t)unread / cost);
	assert_true((size_t)in_queue * (cost + 64) >= bound);
	assert_true((size_t)in_queue * cost <= bound);
	hx_pump(x, 50);                                 /* reaped */
	assert_int_equal(stats(x).nr_conns, 0);
	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		size_t off = 0;
		struct hl_hdr h;

		assert_true(n >= 0);
		if (n == 0)
			break;
		got += (size_t)n;
		while (!hl_dec_hdr(buf + off, got - off, &h) && got - off >= HL_HDR_SIZE + h.len) {
			assert_int_equal(h.type, HL_RAS_IRQ);
			if (!seq0)
				seq0 = h.seq;
			assert_int_equal(h.seq, seq0 + k++);
			off += HL_HDR_SIZE + h.len;
		}
		memmove(buf, buf + off, got - off);
		got -= off;
	}
	assert_int_equal(got, 0);                       /* no message cut */
	assert_true(k > 0 && k < queued);
	close(fd);
}

/*
 * A host that stops reading with MAPs queued behind its full socket (each
 * holding a dup of its fd: the MAPs of its accepted capacity, replayed at
 * its HELLO), then goes: its connection is closed and every queued message
 * and fd freed (the fd count is back where it was; ASan sees no leak).
 * Then the same when the device drops it (a goodbye queued behind).
 */
static void test_closing_with_queued_maps_frees_them(void **state)
{
	struct hx *x = *state;
	unsigned n = NR_QUEUED, before;
	struct cxldcd_extent *e = calloc(n, sizeof(*e));
	struct cxldcd_range *rg = calloc(n, sizeof(*rg));
	struct cxldcd_diag d;
	uint32_t flags;
	int fd;

	assert_non_null(e);
	assert_non_null(rg);
	for (unsigned i = 0; i < n; i++) {
		e[i] = hx_ext(x->base[1] + (uint64_t)i * 2 * MiB, 2 * MiB, NULL, 0);
		rg[i] = (struct cxldcd_range){ .dpa = e[i].dpa, .len = e[i].len };
	}
	assert_int_equal(hx_add(x, 0, e, n), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_add_response(x->dev, 0, rg, n, false, &d), CXLDCD_RC_SUCCESS);
	before = hx_open_fds();    /* the host's view of the backend is open from here on */
	fd = hx_raw_connect(x->sock);
	assert_int_equal(hx_raw_hello(x, fd, 0, HL_HELLO_F_MAP, &flags), 0);
	hx_pump(x, 50);
	assert_true(hostlink_host_connected(x->hl, 0));
	assert_true(hx_open_fds() > before + 1);           /* fds queued and in flight */
	close(fd);
	hx_pump(x, 100);
	assert_int_equal(stats(x).nr_conns, 0);
	assert_int_equal(hx_open_fds(), before);

	/* again, the device dropping it */
	fd = hx_raw_connect(x->sock);
	assert_int_equal(hx_raw_hello(x, fd, 0, HL_HELLO_F_MAP, &flags), 0);
	hx_pump(x, 50);
	assert_true(hx_open_fds() > before + 1);
	assert_int_equal(hostlink_disconnect(x->hl, 0), 0);
	assert_int_equal(stats(x).nr_conns, 0);
	close(fd);                                      /* with it, the fds in flight */
	hx_pump(x, 50);
	assert_int_equal(hx_open_fds(), before);
	free(e);
	free(rg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_burst_of_offers_is_mapped_in_few_sends,
						setup_big, hx_teardown),
		cmocka_unit_test_setup_teardown(test_with_round_ends_output_waits_for_hostlink_flush,
						setup_round_ends, hx_teardown),
		cmocka_unit_test_setup_teardown(test_maps_between_plain_messages_carry_their_own_fds,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_host_that_reads_nothing_is_dropped_at_the_bound,
						setup_small_bound, hx_teardown),
		cmocka_unit_test_setup_teardown(test_closing_with_queued_maps_frees_them,
						setup_big, hx_teardown),
	};

	if (getenv("HX_TEST"))  /* one test alone (a pattern), e.g. under strace */
		cmocka_set_test_filter(getenv("HX_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
