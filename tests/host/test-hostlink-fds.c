/* SPDX-License-Identifier: MIT */
/*
 * test-hostlink-fds.c - the files a host's output queue carries MAPs of
 * hold no fd and are bounded (docs/host-link.md "Sending", "Robustness"):
 * a host that reads nothing cannot make the daemon run out of fds for the
 * others.
 *
 *  - A raw host that reads nothing is offered many extents of one file (its
 *    view): their queued MAPs hold no fd (the fd sent is opened at the
 *    send; before, they shared one), the daemon's fd count stays flat; when
 *    the host reads at last, every MAP brings an fd of its file.
 *  - Offered more extents of different files (shared grants, a tag each)
 *    than hostlink_cfg.max_out_fds: the queue never carries more files
 *    than that, the host is dropped at the bound with one log line, and
 *    another host gets its MAP and reads its data through it.
 *  - The MAPs replayed at a HELLO may go past the bound (a host that comes
 *    back holding more grants): it is not dropped and gets them all.
 *  - Out of fds when a MAP is due, the host is dropped with a line saying
 *    so, and gets its MAPs when it comes back.
 *  - A queued MAP whose file closed before it left is dropped unsent, even
 *    when another host's new file took the device's fd number of it.
 *  - The default bound is RLIMIT_NOFILE (no host holds more files), whatever
 *    the number of hosts (before: its share of half of it).
 *
 * The fixture is hx_init_opts()'s, with the hostlink's fd bound and log
 * set here (hx_opts has neither).
 */
#include <dirent.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostlink/proto.h"
#include "hx.h"

/* The fixture: hx first (hx_teardown() frees it), then what this file adds. */
struct fx {
	struct hx x;
	char log[16384];
	size_t log_len;
};

#define FD_BOUND 32u
/* More MAPs than a Unix socket's send buffer holds (one skb each) and the bound together. */
#define NR_FILES 600u
#define NR_VIEW 1500u

static void on_log(void *opaque, int level, const char *msg)
{
	struct fx *f = opaque;
	int n;

	(void)level;
	if (getenv("HX_VERBOSE"))
		fprintf(stderr, "  [log %d] %s\n", level, msg);
	n = snprintf(f->log + f->log_len, sizeof(f->log) - f->log_len, "%s\n", msg);
	if (n > 0 && (size_t)n < sizeof(f->log) - f->log_len)
		f->log_len += (size_t)n;
}

/*
 * hx_init_opts() with room for NR_VIEW 2 MiB extents in each region and
 * an event log as deep, and hostlink_cfg.max_out_fds = max_out_fds (0: the
 * default) and a log kept in f->log.  @on_listener: the bound is the
 * listener's instead (hostlink_limits.max_out_fds, --host-socket max-fds=),
 * hostlink_cfg's the default.
 */
static void fx_init_on(struct fx *f, uint32_t max_out_fds, uint16_t nr_hosts, bool on_listener)
{
	const struct hostlink_limits lim = { .max_out_fds = max_out_fds };
	struct hx *x = &f->x;
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_diag diag;
	struct mem_dev_cfg mc = { .mode = MEM_DEV_SINGLE, .memdev = "mem0", .direct_map = true };
	struct mem_backend_props p = { .type = MEM_TYPE_MEMFD, .id = "mem0" };
	struct hostlink_cfg hc = { 0 };
	char err[256];

	memset(f, 0, sizeof(*f));
	core_cfg_default(&cfg);
	for (int i = 0; i < 2; i++) {
		cfg.regions[i].len = 3072 * MiB;
		cfg.regions[i].decode_len = cfg.regions[i].len;
	}
	p.size = 2 * cfg.regions[0].len;
	cfg.evlog_depth = NR_VIEW + 64;
	cfg.regions[0].sharable = true;         /* a tag in region 0: a shared grant, a file */
	if (nr_hosts)
		cfg.nr_hosts = nr_hosts;
	assert_int_equal(core_dev_new(&cfg, &x->dev, &diag), 0);
	for (uint8_t r = 0; r < 2; r++) {
		struct core_region_info ri;

		assert_int_equal(core_region_get(x->dev, r, &ri), 0);
		x->base[r] = ri.base;
	}
	assert_int_equal(mem_registry_new(&x->reg), 0);
	assert_int_equal(mem_registry_add(x->reg, &p, NULL, err, sizeof(err)), 0);
	assert_int_equal(mem_dev_new(x->dev, x->reg, &mc, &x->md, err, sizeof(err)), 0);
	hc.dev = x->dev;
	hc.md = x->md;
	hc.max_out_fds = on_listener ? 0 : max_out_fds;
	hc.log = on_log;
	hc.log_opaque = f;
	hc.log_level = LOG_INFO;
	assert_int_equal(hostlink_new(&hc, &x->hl), 0);
	snprintf(x->dir, sizeof(x->dir), "/tmp/hxfd-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->sock, sizeof(x->sock), "%s/link.sock", x->dir);
	snprintf(x->app_sock, sizeof(x->app_sock), "%s/app.sock", x->dir);
	assert_int_equal(hostlink_listen_unix(x->hl, x->sock, on_listener ? &lim : NULL), 0);
	hx_host_cfg(x, &x->hcfg);
}

static void fx_init(struct fx *f, uint32_t max_out_fds, uint16_t nr_hosts)
{
	fx_init_on(f, max_out_fds, nr_hosts, false);
}

static int setup_bound(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_init(f, FD_BOUND, 0);
	*state = f;
	return 0;
}

/* The bound given to the listener alone: hostlink_cfg's default is far above it. */
static int setup_listener_bound(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_init_on(f, FD_BOUND, 0, true);
	*state = f;
	return 0;
}

static struct hostlink_stats stats(const struct hx *x)
{
	struct hostlink_stats st;

	hostlink_stats_get(x->hl, &st);
	return st;
}

static void fill_pattern(uint8_t *b, size_t n, uint64_t dpa)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(dpa >> 21) ^ (uint8_t)(0xa5 + i);
}

/* Offer host one 2 MiB extent at dpa (with a tag of its own when tag_nr) and accept it. */
static void accept_one(struct hx *x, uint16_t host, uint64_t dpa, unsigned tag_nr)
{
	struct cxldcd_extent e = hx_ext(dpa, 2 * MiB, tag_nr ? TAG_A : NULL, 0);
	struct cxldcd_range rg = { .dpa = dpa, .len = 2 * MiB };
	struct cxldcd_diag d;

	if (tag_nr) {
		e.tag[14] = (uint8_t)(tag_nr >> 8);
		e.tag[15] = (uint8_t)tag_nr;
	}
	assert_int_equal(hx_add(x, host, &e, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_add_response(x->dev, host, &rg, 1, false, &d), CXLDCD_RC_SUCCESS);
}

/* HELLO with mapping on a raw connection; the connection's fd. */
static int raw_host(struct hx *x, uint16_t host)
{
	int fd = hx_raw_connect(x->sock);
	uint32_t flags;

	assert_int_equal(hx_raw_hello(x, fd, host, HL_HELLO_F_MAP, &flags), 0);
	assert_true(flags & HL_ACK_F_MAP);
	return fd;
}

/* Read one MAP (pumping the device); its fd, which came with its first byte. */
static int read_map(struct hx *x, int fd, struct hl_map *m)
{
	uint8_t buf[HL_HDR_SIZE + HL_MAP_SIZE];
	uint64_t end = hx_now_ms() + 3000;
	size_t got = 0;
	int mfd = -1;

	while (hx_now_ms() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		unsigned nfd = 0;
		struct hl_hdr h;
		ssize_t n;
		int rfd;

		hx_pump_round(x, &pf, 1, 5);
		if (!pf.revents)
			continue;
		n = hl_recv(fd, buf + got, sizeof(buf) - got, &rfd, &nfd, 1);
		if (n == -EAGAIN)
			continue;
		assert_true(n > 0);
		if (nfd) {
			assert_int_equal(got, 0);
			mfd = rfd;
		}
		got += (size_t)n;
		if (got < sizeof(buf))
			continue;
		assert_int_equal(hl_dec_hdr(buf, got, &h), 0);
		assert_int_equal(h.type, HL_MAP);
		assert_int_equal(h.len, HL_MAP_SIZE);
		assert_int_equal(hl_dec_map(buf + HL_HDR_SIZE, h.len, m), 0);
		assert_true(mfd >= 0);
		return mfd;
	}
	fail_msg("no whole MAP in 3 s");
	return -1;
}

/* The 64 bytes at the MAP's DPA through its fd are the pattern of dpa. */
static void assert_map_reads(int mfd, const struct hl_map *m)
{
	uint8_t want[64];
	void *mem = mmap(NULL, m->len, PROT_READ, MAP_SHARED, mfd, (off_t)m->offset);

	assert_true(mem != MAP_FAILED);
	fill_pattern(want, sizeof(want), m->dpa);
	assert_memory_equal(mem, want, sizeof(want));
	munmap(mem, m->len);
}

static void write_pattern(struct hx *x, uint16_t host, uint64_t dpa)
{
	uint8_t pat[64];
	char err[128];

	fill_pattern(pat, sizeof(pat), dpa);
	assert_int_equal(mem_write(x->md, host, dpa, pat, sizeof(pat), err, sizeof(err)), 0);
}

/*
 * A raw host that reads nothing is offered NR_VIEW untagged extents (its
 * view: one file) one by one: the queued MAPs (more than its socket holds)
 * hold no fd, so the daemon's fds stay flat (before: one shared fd; before
 * that, one dup each).  It
 * is not dropped; when it reads, every MAP comes whole with an fd of the
 * view through which its extent's bytes read back.
 */
static void test_queued_maps_of_one_file_share_one_fd(void **state)
{
	struct fx *f = *state;
	struct hx *x = &f->x;
	int fd = raw_host(x, 0);
	unsigned before, peak = 0;
	struct stat st0;

	hx_pump(x, 20);
	accept_one(x, 0, x->base[1], 0);        /* the view is made: one fd of the daemon's */
	write_pattern(x, 0, x->base[1]);
	before = hx_open_fds();
	for (unsigned i = 1; i < NR_VIEW; i++) {
		uint64_t dpa = x->base[1] + (uint64_t)i * 2 * MiB;
		unsigned now;

		accept_one(x, 0, dpa, 0);
		write_pattern(x, 0, dpa);
		now = hx_open_fds();
		peak = now > peak ? now : peak;
	}
	fprintf(stderr, "  %u MAPs queued: %u fds open before, at most %u after (%u in the queue)\n",
		NR_VIEW, before, peak, stats(x).out_fds);
	assert_true(hostlink_host_connected(x->hl, 0));
	assert_true(peak <= before);            /* the queue holds no fd (before: one of the view) */
	assert_int_equal(stats(x).out_fds, 1);
	for (unsigned i = 0; i < NR_VIEW; i++) {
		struct hl_map m;
		struct stat st;
		int mfd = read_map(x, fd, &m);

		assert_int_equal(m.dpa, x->base[1] + (uint64_t)i * 2 * MiB);
		assert_int_equal(fstat(mfd, &st), 0);
		if (!i)
			st0 = st;
		assert_int_equal(st.st_ino, st0.st_ino);        /* the view's */
		if (i % 100 == 0 || i == NR_VIEW - 1)
			assert_map_reads(mfd, &m);
		close(mfd);
	}
	hx_pump(x, 20);
	assert_int_equal(stats(x).out_fds, 0);
	assert_int_equal(stats(x).violations, 0);
	close(fd);
}

/*
 * A raw host that reads nothing is offered NR_FILES extents, each with a
 * tag of its own (a shared grant each: NR_FILES files), while a second
 * raw host is connected: host 0's queue never holds more than FD_BOUND
 * fds (the daemon's open fds grow by the grants, FD_BOUND and no more;
 * before: a dup per queued MAP), it is dropped at the bound with one log
 * line and its fds freed.  Host 1 then gets the MAP of the extent it is
 * offered and reads its bytes through it.
 */
static void test_a_host_that_reads_nothing_is_dropped_at_the_fd_bound(void **state)
{
	struct fx *f = *state;
	struct hx *x = &f->x;
	int fd0 = raw_host(x, 0), fd1 = raw_host(x, 1), mfd;
	unsigned before, i, grants = 0, over = 0;
	struct hostlink_stats a;
	struct hl_map m;

	hx_pump(x, 20);
	a = stats(x);
	before = hx_open_fds();
	for (i = 0; i < NR_FILES && hostlink_host_connected(x->hl, 0); i++) {
		unsigned now, queued;

		accept_one(x, 0, x->base[0] + (uint64_t)i * 2 * MiB, i + 1);
		grants++;
		queued = stats(x).out_fds;
		assert_true(queued <= FD_BOUND);
		now = hx_open_fds();
		/* the grants themselves (the mem_dev's), the queue's bound, nothing else */
		if (now > before + grants + FD_BOUND)
			over++;
	}
	fprintf(stderr, "  host 0 dropped after %u offers; queue fds %u, %u fds over the bound\n",
		i, stats(x).out_fds, over);
	assert_int_equal(over, 0);
	assert_false(hostlink_host_connected(x->hl, 0));
	assert_true(i < NR_FILES);
	assert_non_null(strstr(f->log, "host=0 output queue carries MAPs of 32 files (max 32): "
				       "dropping the connection"));
	assert_null(strstr(strstr(f->log, "dropping the connection") + 1, "dropping"));
	assert_int_equal(stats(x).violations - a.violations, 1);
	hx_pump(x, 50);                         /* reaped: its queue and fds freed */
	assert_int_equal(stats(x).out_fds, 0);
	assert_int_equal(stats(x).nr_hosts, 1);
	assert_true(hx_open_fds() <= before + grants);

	/* host 1 works on: its MAP comes, and its extent's bytes read through the fd */
	accept_one(x, 1, x->base[1], 0);
	write_pattern(x, 1, x->base[1]);
	mfd = read_map(x, fd1, &m);
	assert_int_equal(m.dpa, x->base[1]);
	assert_map_reads(mfd, &m);
	close(mfd);
	assert_true(hostlink_host_connected(x->hl, 1));
	close(fd0);
	close(fd1);
}

/* more MAPs queued at HELLO than the first table of files takes (2 x QFD_BUCKETS) */
#define NR_HELD 600u

/*
 * A host that comes back holding NR_HELD extents of a tag each (NR_HELD
 * shared grants, more than FD_BOUND plus what its socket takes): the MAPs
 * replayed at its HELLO are queued (a slice per loop round) while it reads
 * nothing, and go
 * past the bound (an fd per grant at most) without dropping it; it reads
 * them all, each with its grant's fd and bytes.  Offered a new grant while
 * it still has more than FD_BOUND queued and reads nothing, it is dropped.
 */
static void test_the_maps_of_a_hello_may_go_past_the_fd_bound(void **state)
{
	struct fx *f = *state;
	struct hx *x = &f->x;
	unsigned before, queued;
	int fd;

	for (unsigned i = 0; i < NR_HELD; i++) {       /* held while not connected */
		accept_one(x, 0, x->base[0] + (uint64_t)i * 2 * MiB, i + 1);
		write_pattern(x, 0, x->base[0] + (uint64_t)i * 2 * MiB);
	}
	before = hx_open_fds();
	fd = raw_host(x, 0);
	/* the MAPs of a HELLO are queued a slice per loop round, the host reading none */
	for (int i = 0; i < 400 && !hostlink_host_connected(x->hl, 0); i++)
		hx_pump(x, 5);
	queued = stats(x).out_fds;
	fprintf(stderr, "  %u grants held: %u fds queued at HELLO, %u fds open more\n", NR_HELD,
		queued, hx_open_fds() - before);
	assert_true(hostlink_host_connected(x->hl, 0));
	assert_true(queued > FD_BOUND);
	assert_true(queued > 128);          /* 2 x QFD_BUCKETS (hostlink-int.h): the table grew */
	assert_true(queued <= NR_HELD);
	/* the raw host's socket and the daemon's end: the queue holds no fd (before: one a grant) */
	assert_true(hx_open_fds() <= before + 2);
	for (unsigned i = 0; i < NR_HELD; i++) {
		struct hl_map m;
		int mfd = read_map(x, fd, &m);

		assert_int_equal(m.dpa, x->base[0] + (uint64_t)i * 2 * MiB);
		if (i % 50 == 0 || i == NR_HELD - 1)
			assert_map_reads(mfd, &m);
		close(mfd);
	}
	hx_pump(x, 20);
	assert_int_equal(stats(x).out_fds, 0);
	assert_null(strstr(f->log, "dropping the connection"));
	close(fd);
	hx_pump(x, 50);

	/* again, reading nothing, and then (its MAPs all queued) a new grant comes */
	fd = raw_host(x, 0);
	for (int i = 0; i < 400 && !hostlink_host_connected(x->hl, 0); i++)
		hx_pump(x, 5);
	assert_true(stats(x).out_fds > FD_BOUND);
	accept_one(x, 0, x->base[0] + (uint64_t)NR_HELD * 2 * MiB, NR_HELD + 1);
	assert_false(hostlink_host_connected(x->hl, 0));
	assert_non_null(strstr(f->log, "output queue carries"));
	hx_pump(x, 50);
	assert_int_equal(stats(x).out_fds, 0);
	close(fd);
}

/* Fill every fd number below a soft RLIMIT_NOFILE lowered to the highest open fd + 1. */
static unsigned exhaust_fds(struct rlimit *old, int *fill, unsigned cap)
{
	DIR *d = opendir("/proc/self/fd");
	struct rlimit rl;
	struct dirent *e;
	unsigned n = 0;
	int top = 0, fd;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (atoi(e->d_name) > top)
			top = atoi(e->d_name);
	closedir(d);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, old), 0);
	rl = (struct rlimit){ .rlim_cur = (rlim_t)top + 1, .rlim_max = old->rlim_max };
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (n < cap && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		fill[n++] = fd;
	assert_int_equal(errno, EMFILE);
	assert_true(n < cap);
	return n;
}

/*
 * The daemon out of fds when it must send a MAP (its view exists, the fd
 * for the host cannot be opened): the host's connection is dropped with
 * one line saying so (before: silently), nothing else breaks, and once
 * fds are free again the host reconnects and gets the MAPs of both its
 * extents (replay), the bytes readable through them.
 */
static void test_a_map_without_an_fd_drops_its_host_with_a_line(void **state)
{
	struct fx *f = *state;
	struct hx *x = &f->x;
	static int fill[4096];
	int fd = raw_host(x, 0), mfd;
	uint64_t dpa[2] = { x->base[1], x->base[1] + 2 * MiB };
	struct hostlink_stats a;
	struct rlimit old;
	struct hl_map m;
	unsigned n;

	hx_pump(x, 20);
	accept_one(x, 0, dpa[0], 0);            /* the view is made, its MAP sent */
	write_pattern(x, 0, dpa[0]);
	mfd = read_map(x, fd, &m);
	close(mfd);
	a = stats(x);
	n = exhaust_fds(&old, fill, 4096);
	accept_one(x, 0, dpa[1], 0);
	hx_pump(x, 20);                         /* the send: the fd is opened there */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	while (n)
		close(fill[--n]);
	assert_false(hostlink_host_connected(x->hl, 0));
	assert_int_equal(stats(x).map_errors - a.map_errors, 1);
	assert_non_null(strstr(f->log, "no fd to send: Too many open files: dropping the connection"));
	fprintf(stderr, "  %s", strstr(f->log, "host=0 dpa="));
	hx_pump(x, 50);
	assert_int_equal(stats(x).nr_conns, 0);
	close(fd);

	write_pattern(x, 0, dpa[1]);
	fd = raw_host(x, 0);                    /* again: both MAPs */
	for (unsigned i = 0; i < 2; i++) {
		mfd = read_map(x, fd, &m);
		assert_int_equal(m.dpa, dpa[i]);
		assert_map_reads(mfd, &m);
		close(mfd);
	}
	close(fd);
}

/*
 * Read one message of any type (pumping the device): its type, payload in
 * p (cap bytes at most), the fd that came with it in *mfd (-1: none).  0
 * when nothing whole came in ms.
 */
static int read_any(struct hx *x, int fd, uint8_t *p, size_t cap, int *mfd, int ms)
{
	uint8_t buf[HL_HDR_SIZE + 256];
	uint64_t end = hx_now_ms() + (uint64_t)ms;
	size_t got = 0, want = HL_HDR_SIZE;
	struct hl_hdr h;

	*mfd = -1;
	while (hx_now_ms() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		unsigned nfd = 0;
		ssize_t n;
		int rfd;

		hx_pump_round(x, &pf, 1, 5);
		if (!pf.revents)
			continue;
		n = hl_recv(fd, buf + got, want - got, &rfd, &nfd, 1);
		if (n == -EAGAIN)
			continue;
		assert_true(n > 0);
		if (nfd) {
			assert_int_equal(got, 0);
			*mfd = rfd;
		}
		got += (size_t)n;
		if (got == HL_HDR_SIZE) {
			assert_int_equal(hl_dec_hdr(buf, got, &h), 0);
			assert_true(h.len <= sizeof(buf) - HL_HDR_SIZE && h.len <= cap);
			want = HL_HDR_SIZE + h.len;
		}
		if (got < want || got < HL_HDR_SIZE)
			continue;
		memcpy(p, buf + HL_HDR_SIZE, h.len);
		return h.type;
	}
	return 0;
}

/* Whether the data of fd (size bytes; holes skipped) holds byte v. */
static bool file_has(int fd, uint64_t size, uint8_t v)
{
	static uint8_t buf[1 << 16];
	off_t at = 0;

	while ((at = lseek(fd, at, SEEK_DATA)) >= 0 && (uint64_t)at < size) {
		ssize_t k = pread(fd, buf, sizeof(buf), at);

		if (k <= 0)
			break;
		if (memchr(buf, v, (size_t)k))
			return true;
		at += k;
	}
	return false;
}

/*
 * A queued MAP carries no fd, only its file's identity and the device's
 * fd number of it: when the file closes before the MAP leaves (the host
 * released the range), that number may already be another host's file.
 * Host 0 reads nothing while it is offered its view's extents (its socket
 * full, the rest queued), then a shared grant of its own, which it
 * releases at once: the grant closes and host 1's new grant takes its fd
 * number.  When host 0 reads at last it must get no fd of host 1's grant
 * (nor its bytes): the grant's MAP is dropped unsent (maps_stale), its
 * UNMAP comes, and the view's MAPs all come with the view.
 */
static void test_a_queued_map_never_carries_a_file_that_took_its_files_fd_number(void **state)
{
	struct fx *f = *state;
	struct hx *x = &f->x;
	const uint64_t g0 = x->base[0], g1 = x->base[0] + 2 * MiB;
	struct cxldcd_range rg = { .dpa = g0, .len = 2 * MiB };
	int fd0 = raw_host(x, 0), fd1 = raw_host(x, 1), mfd;
	struct mem_segment s0, s1;
	struct stat st0, st1, st;
	struct hostlink_stats a;
	uint8_t secret[64], p[256];
	unsigned views = 0, unmaps = 0, n;
	ino_t last_ino = 0;
	struct hl_map m;
	int type;

	hx_pump(x, 20);
	for (unsigned i = 0; i < NR_VIEW; i++)      /* more than host 0's socket holds */
		accept_one(x, 0, x->base[1] + (uint64_t)i * 2 * MiB, 0);
	a = stats(x);
	accept_one(x, 0, g0, 1);
	assert_int_equal(mem_dev_segments(x->md, 0, g0, 2 * MiB, &s0, 1, &n, NULL, 0), 0);
	assert_int_equal(fstat(s0.fd, &st0), 0);
	assert_int_equal(core_release_dc(x->dev, 0, &rg, 1, false, NULL), CXLDCD_RC_SUCCESS);
	accept_one(x, 1, g1, 2);
	assert_int_equal(mem_dev_segments(x->md, 1, g1, 2 * MiB, &s1, 1, &n, NULL, 0), 0);
	assert_int_equal(fstat(s1.fd, &st1), 0);
	assert_int_equal(s1.fd, s0.fd);             /* host 1's grant took the number */
	assert_true(st1.st_ino != st0.st_ino);
	memset(secret, 0x5e, sizeof(secret));
	assert_int_equal(mem_write(x->md, 1, g1, secret, sizeof(secret), NULL, 0), 0);
	mfd = read_map(x, fd1, &m);
	assert_int_equal(m.dpa, g1);
	close(mfd);

	while ((type = read_any(x, fd0, p, sizeof(p), &mfd, 500))) {
		if (mfd >= 0) {
			assert_int_equal(fstat(mfd, &st), 0);
			assert_true(st.st_ino != st1.st_ino);   /* never host 1's grant */
			if (st.st_ino != last_ino)
				assert_false(file_has(mfd, (uint64_t)st.st_size, 0x5e));
			last_ino = st.st_ino;
		}
		if (type == HL_MAP) {
			assert_int_equal(hl_dec_map(p, HL_MAP_SIZE, &m), 0);
			assert_true(m.dpa != g0);
			views++;
		} else {
			assert_int_equal(type, HL_UNMAP);
			unmaps++;
		}
		if (mfd >= 0)
			close(mfd);
	}
	assert_int_equal(views, NR_VIEW);
	assert_int_equal(unmaps, 1);
	assert_int_equal(stats(x).maps_stale - a.maps_stale, 1);
	close(fd0);
	close(fd1);
}

/*
 * Without hostlink_cfg.max_out_fds each host's queue may carry MAPs of as
 * many files as the process may open, RLIMIT_NOFILE's soft limit (at least
 * HOSTLINK_MIN_OUT_FDS), whatever the number of hosts: it holds no fd for
 * them, and a host with a file per group may have nearly that many.
 * Before: its share of half of it, which dropped a host whose agent read
 * slower than a burst of MAPs of more group files than that.
 */
static void test_the_default_fd_bound_comes_from_rlimit_nofile(void **state)
{
	static const struct {
		rlim_t soft;
		uint16_t hosts;
		uint32_t want;
	} t[] = { { 4000, 2, 4000 }, { 4000, 8, 4000 }, { 300, 2, 300 } };
	struct rlimit old, rl;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fx *f = calloc(1, sizeof(*f));

		assert_non_null(f);
		assert_true(t[i].soft <= old.rlim_max);
		assert_true((unsigned)hx_open_fds() + 8 < t[i].soft);
		rl = (struct rlimit){ .rlim_cur = t[i].soft, .rlim_max = old.rlim_max };
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
		fx_init(f, 0, t[i].hosts);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
		assert_int_equal(stats(&f->x).max_out_fds, t[i].want);
		hx_fini(&f->x);
		free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queued_maps_of_one_file_share_one_fd,
						setup_bound, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_host_that_reads_nothing_is_dropped_at_the_fd_bound,
						setup_bound, hx_teardown),
		/* the same with the bound on the listener (--host-socket max-fds=) */
		cmocka_unit_test_setup_teardown(test_a_host_that_reads_nothing_is_dropped_at_the_fd_bound,
						setup_listener_bound, hx_teardown),
		cmocka_unit_test_setup_teardown(test_the_maps_of_a_hello_may_go_past_the_fd_bound,
						setup_bound, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_map_without_an_fd_drops_its_host_with_a_line,
						setup_bound, hx_teardown),
		cmocka_unit_test_setup_teardown(
			test_a_queued_map_never_carries_a_file_that_took_its_files_fd_number,
			setup_bound, hx_teardown),
		cmocka_unit_test(test_the_default_fd_bound_comes_from_rlimit_nofile),
	};

	if (getenv("HX_TEST"))  /* one test alone (a pattern) */
		cmocka_set_test_filter(getenv("HX_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
