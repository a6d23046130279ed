/* SPDX-License-Identifier: MIT */
/*
 * test-host-revoke.c - libcxldcd-host against the real device model in one
 * process (hx.h) when a forced release takes part of a tag group: the
 * capacity taken is the device's again and may be offered anew, the rest of
 * the group still opens (in the agent's process and in an application's),
 * and an application holding the group loses only the part taken.  Also
 * what an application reaches through the fds of the group it opened: that
 * group alone when the agent asked for a file per group (docs/host.md), the
 * host's other groups on that backend when it did not.
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

#include "hostlink/proto.h"

#include "hx.h"

/* ---------------------------------------------------------- helpers */

static void dev_read(struct hx *x, uint64_t dpa, void *buf, size_t len)
{
	char err[256];

	if (mem_read(x->md, 0, dpa, buf, len, err, sizeof(err)))
		fail_msg("mem_read dpa=0x%llx: %s", (unsigned long long)dpa, err);
}

static void dev_write(struct hx *x, uint64_t dpa, const void *buf, size_t len)
{
	char err[256];

	if (mem_write(x->md, 0, dpa, buf, len, err, sizeof(err)))
		fail_msg("mem_write dpa=0x%llx: %s", (unsigned long long)dpa, err);
}

static uint8_t dev_byte(struct hx *x, uint64_t dpa)
{
	uint8_t b;

	dev_read(x, dpa, &b, 1);
	return b;
}

static void *open_tag(struct hx *x, const char *tag, uint64_t *size)
{
	uint8_t t[16];
	void *addr = NULL;

	assert_int_equal(cxldcd_tag_parse(tag, t), 0);
	assert_int_equal(cxldcd_host_group_open(x->h, t, 0, &addr, size), 0);
	return addr;
}

static void release_group(struct hx *x, const char *tag)
{
	unsigned have = hx_count(x, CXLDCD_HOST_EV_GROUP_RELEASED);

	assert_int_equal(cxldcd_host_group_release(x->h, NULL, hx_group_of(x, tag).id), 0);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_RELEASED, have, 3000));
	hx_pump(x, 200);
}

/*
 * Group A (region 1): a0 = 2 MiB at base+32M, a1 = 6 MiB at base+64M, so
 * its mapping is 8 MiB: chunk i (2 MiB each) is a0 for i = 0, a1 after.
 * The first 64 bytes of chunk i are 0xa0 + i.
 */
#define CHUNK (2 * MiB)

static uint64_t a0_of(const struct hx *x)
{
	return x->base[1] + 32 * MiB;
}

static uint64_t a1_of(const struct hx *x)
{
	return x->base[1] + 64 * MiB;
}

static void add_group_a(struct hx *x)
{
	struct cxldcd_extent a[2] = { hx_ext(a0_of(x), 2 * MiB, TAG_A, 0),
				      hx_ext(a1_of(x), 6 * MiB, TAG_A, 0) };
	uint64_t size;
	uint8_t *p;

	hx_add_group(x, a, 2);
	p = open_tag(x, TAG_A, &size);
	assert_int_equal(size, 8 * MiB);
	for (uint64_t i = 0; i < 4; i++)
		memset(p + i * CHUNK, (int)(0xa0 + i), 64);
	assert_int_equal(cxldcd_host_group_close(x->h, hx_group_of(x, TAG_A).id), 0);
}

/* The forced release of a0 and of a1's middle 2 MiB (chunks 0 and 2 of A). */
static void cut_a(struct hx *x)
{
	struct cxldcd_extent cut[2] = { hx_ext(a0_of(x), 2 * MiB, NULL, 0),
					hx_ext(a1_of(x) + 2 * MiB, 2 * MiB, NULL, 0) };
	uint64_t bytes;

	hx_force_out(x, cut, 2);
	assert_int_equal(hx_device_holds(x, &bytes), 2);
	assert_int_equal(bytes, 4 * MiB);
	assert_true(hx_group_of(x, TAG_A).revoked);
}

/* ---------------------------------------------------------- the DPA index */

/*
 * CXL r3.2 §7.6.7.6.6: the capacity a forced release takes is no longer the
 * host's, and the device may offer it to the same host again.  The agent
 * must accept the offer (here under another tag: A still holds the rest),
 * map it, and the new group's bytes must be the device's at that DPA.
 * Before, the revoked piece stayed in the library's DPA index
 * and the offer was refused ("overlaps accepted capacity") for as long as
 * the rest of A lived.  Releasing A afterwards must not take the new
 * group's map segments with it (they sit where A's revoked piece was).
 */
static void test_capacity_a_partial_forced_release_took_is_accepted_again(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent b = hx_ext(a0_of(x), 2 * MiB, TAG_B, 0);
	struct cxldcd_host_group_info gb;
	uint8_t buf[64], want[64];
	uint64_t bytes, size;
	uint8_t *p;

	hx_host_start(x);
	add_group_a(x);
	cut_a(x);
	/* a0 offered again: accepted, mapped, and the device counts it as the host's */
	hx_add_group(x, &b, 1);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_REJECTED), 0);
	gb = hx_group_of(x, TAG_B);
	assert_int_equal(gb.size, 2 * MiB);
	assert_true(gb.mapped);
	assert_int_equal(core_pending_count(x->dev, 0), 0);
	assert_int_equal(hx_device_holds(x, &bytes), 3);
	assert_int_equal(bytes, 6 * MiB);
	/*
	 * The mapping is the device's memory at a0, both ways: what it holds
	 * there (A's bytes: the region does not sanitize on release), then
	 * what each side writes.
	 */
	p = open_tag(x, TAG_B, &size);
	assert_int_equal(size, 2 * MiB);
	assert_int_equal(dev_byte(x, a0_of(x)), 0xa0);
	assert_int_equal(p[0], 0xa0);
	memset(p, 0x5b, 64);
	dev_read(x, a0_of(x), buf, sizeof(buf));
	memset(want, 0x5b, sizeof(want));
	assert_memory_equal(buf, want, sizeof(buf));
	memset(want, 0xd5, sizeof(want));
	dev_write(x, a0_of(x) + MiB, want, sizeof(want));
	assert_memory_equal(p + MiB, want, sizeof(want));
	/* A's live part is untouched */
	assert_int_equal(dev_byte(x, a1_of(x)), 0xa1);
	assert_int_equal(dev_byte(x, a1_of(x) + 4 * MiB), 0xa3);
	assert_int_equal(cxldcd_host_group_close(x->h, gb.id), 0);

	/* A goes; B stays the host's, mapped, and opens again (its segments are intact) */
	release_group(x, TAG_A);
	assert_int_equal(hx_device_holds(x, &bytes), 1);
	assert_int_equal(bytes, 2 * MiB);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 1);
	p = open_tag(x, TAG_B, &size);
	assert_int_equal(p[0], 0x5b);
	p[1] = 0x6c;
	assert_int_equal(dev_byte(x, a0_of(x) + 1), 0x6c);
	assert_int_equal(cxldcd_host_group_close(x->h, gb.id), 0);
	release_group(x, TAG_B);
	assert_int_equal(hx_device_holds(x, &bytes), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR), 0);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/*
 * The device asks for a0 back (Release Capacity record), then forces it out
 * before the host has read the log: the host gets the UNMAP (reason
 * revoked) first, then the two records.  By the Release Capacity record,
 * a0 is the device's already and no group holds it; releasing it "as owned
 * by no group" sends a Release DC the device refuses.  The host must leave
 * it alone, as it did while revoked pieces stayed in its index.
 */
static void test_a_release_request_for_capacity_forced_out_since_is_left_alone(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent cut = hx_ext(a0_of(x), 2 * MiB, TAG_A, 0);
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
				       .nr_extents = 1, .extents = &cut };
	struct cxldcd_diag diag;
	uint64_t bytes;

	hx_host_start(x);
	add_group_a(x);
	if (core_release(x->dev, &rq, &diag) != CXLDCD_RC_SUCCESS)
		fail_msg("release request: %s", diag.text);
	rq.forced = true;
	if (core_release(x->dev, &rq, &diag) != CXLDCD_RC_SUCCESS)
		fail_msg("forced release: %s", diag.text);
	assert_true(hx_pump_for(x, CXLDCD_HOST_EV_FORCED_RELEASE, 0, 3000));
	hx_pump(x, 300);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_RANGE_RELEASED), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 0);
	assert_int_equal(hx_device_holds(x, &bytes), 1);
	assert_int_equal(bytes, 6 * MiB);
	assert_int_equal(hx_group_of(x, TAG_A).size, 6 * MiB);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/* ---------------------------------------------------------- opening what is left */

/*
 * What an application in another process saw of group A through the agent
 * (cxldcd_app_open()): the open's result, the mapping's size, whether each
 * chunk is readable, and the first byte of each readable one.
 */
struct app_view {
	int64_t rc;
	uint64_t size;
	uint8_t readable[4];
	uint8_t first[4];
	int64_t revocations;        /* cxldcd_app_process() after the parent's go (test 3) */
};

static void view_of(const uint8_t *p, uint64_t size, struct app_view *v)
{
	v->size = size;
	for (unsigned i = 0; i < 4; i++) {
		v->readable[i] = hx_readable(p + i * CHUNK, 64);
		v->first[i] = v->readable[i] ? p[i * CHUNK] : 0;
	}
}

static void send_view(int fd, const struct app_view *v)
{
	if (write(fd, v, sizeof(*v)) != (ssize_t)sizeof(*v))
		_exit(2);
}

/* Child: open tag A through the agent, report what it sees, close. */
static void app_open_child(const char *path, int fd)
{
	struct app_view v = { 0 };
	struct cxldcd_app *app;
	struct cxldcd_app_map m;
	uint8_t tag[16];

	if (cxldcd_app_connect(path, &app) || cxldcd_tag_parse(TAG_A, tag))
		_exit(1);
	v.rc = cxldcd_app_open(app, tag, 0, &m);
	if (!v.rc) {
		view_of(m.addr, m.size, &v);
		/* the live chunks are the group's memory: write one for the parent to read */
		if (v.readable[1])
			((uint8_t *)m.addr)[CHUNK + 64] = 0x9e;
		if (cxldcd_app_close(app, &m))
			_exit(3);
	}
	send_view(fd, &v);
	cxldcd_app_free(app);
	_exit(0);
}

/* Pump the agent until n bytes come on fd (a child's report), or 5 s pass. */
static void pump_read(struct hx *x, int fd, void *buf, size_t n)
{
	size_t got = 0;

	for (uint64_t due = hx_now_ms() + 5000; got < n && hx_now_ms() < due;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;

		hx_pump_round(x, &pf, 1, 10);
		if (!(pf.revents & (POLLIN | POLLHUP)))
			continue;
		r = read(fd, (uint8_t *)buf + got, n - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_int_equal(got, n);
}

static void reap(struct hx *x, pid_t pid)
{
	int st = -1;

	for (int i = 0; i < 500 && waitpid(pid, &st, WNOHANG) != pid; i++)
		hx_pump(x, 10);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void app_open_view(struct hx *x, struct app_view *v)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		app_open_child(x->app_sock, p[1]);
	}
	close(p[1]);
	pump_read(x, p[0], v, sizeof(*v));
	close(p[0]);
	reap(x, pid);
}

/*
 * A group a forced release took part of still holds the rest, which the
 * device lists for the host and a release gives back: it must open, in the
 * agent's process and in an application's, as the same layout an opener
 * from before the forced release keeps (docs/host-link.md, "Extent
 * states"): the size of the whole mapping, the live pieces at their
 * offsets with their data, the revoked ones inaccessible.  Before, both
 * opens were refused (-EBUSY) until the group went.
 */
static void test_a_group_a_forced_release_took_part_of_opens_with_what_is_left(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_group_info g;
	struct app_view v;
	uint64_t size, bytes;
	uint8_t *p;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	add_group_a(x);
	cut_a(x);
	g = hx_group_of(x, TAG_A);
	assert_int_equal(g.size, 4 * MiB);

	/* in the agent's process */
	p = open_tag(x, TAG_A, &size);
	assert_int_equal(size, 8 * MiB);
	assert_false(hx_readable(p, 64));
	assert_true(hx_readable(p + CHUNK, 64));
	assert_int_equal(p[CHUNK], 0xa1);
	assert_false(hx_readable(p + 2 * CHUNK, 64));
	assert_true(hx_readable(p + 3 * CHUNK, 64));
	assert_int_equal(p[3 * CHUNK + 63], 0xa3);
	p[3 * CHUNK + 64] = 0x3c;
	assert_int_equal(dev_byte(x, a1_of(x) + 4 * MiB + 64), 0x3c);
	assert_int_equal(hx_group_of(x, TAG_A).open_count, 1);

	/* in an application's, beside it */
	app_open_view(x, &v);
	assert_int_equal(v.rc, 0);
	assert_int_equal(v.size, 8 * MiB);
	assert_int_equal(v.readable[0], 0);
	assert_int_equal(v.readable[1], 1);
	assert_int_equal(v.first[1], 0xa1);
	assert_int_equal(v.readable[2], 0);
	assert_int_equal(v.readable[3], 1);
	assert_int_equal(v.first[3], 0xa3);
	assert_int_equal(dev_byte(x, a1_of(x) + 64), 0x9e);
	assert_int_equal(p[CHUNK + 64], 0x9e);

	/* every open closed, the release gives back exactly what is left */
	assert_int_equal(cxldcd_host_group_close(x->h, g.id), 0);
	hx_pump(x, 100);
	assert_int_equal(hx_group_of(x, TAG_A).open_count, 0);
	release_group(x, TAG_A);
	assert_int_equal(hx_device_holds(x, &bytes), 0);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_CMD_FAILED), 0);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/*
 * A group a forced release took all of stays listed while it is held open,
 * but nothing of it can be handed out: a second open is refused, in the
 * agent's process and in an application's.
 */
static void test_a_group_with_nothing_left_does_not_open(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent cut[2] = { hx_ext(a0_of(x), 2 * MiB, NULL, 0),
					hx_ext(a1_of(x), 6 * MiB, NULL, 0) };
	struct app_view v;
	uint8_t tag[16];
	uint64_t size, id;
	void *addr;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	add_group_a(x);
	open_tag(x, TAG_A, &size);
	id = hx_group_of(x, TAG_A).id;
	hx_force_out(x, cut, 2);
	assert_int_equal(hx_group_of(x, TAG_A).size, 0);
	assert_int_equal(cxldcd_tag_parse(TAG_A, tag), 0);
	assert_int_equal(cxldcd_host_group_open(x->h, tag, 0, &addr, &size), -EBUSY);
	app_open_view(x, &v);
	assert_int_equal(v.rc, -EBUSY);
	assert_int_equal(cxldcd_host_group_close(x->h, id), 0);
	hx_pump(x, 100);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
}

/* ---------------------------------------------------------- applications keep the rest */

/*
 * Child: open tag A through the agent, write chunk i's first byte as
 * 0xc0 + i, report "opened" on out, wait for the parent's go on in (the
 * forced release has happened), read the REVOKE the agent sent
 * (cxldcd_app_process()), and report what it sees; chunk 3 is then written
 * once more (0x33) for the parent to find in the device.
 */
static void app_keep_child(const char *path, int in, int out)
{
	struct app_view v = { 0 };
	struct cxldcd_app *app;
	struct cxldcd_app_map m;
	uint8_t tag[16], *p;
	char go;

	if (cxldcd_app_connect(path, &app) || cxldcd_tag_parse(TAG_A, tag) ||
	    cxldcd_app_open(app, tag, 0, &m))
		_exit(1);
	p = m.addr;
	for (unsigned i = 0; i < 4; i++)
		p[i * CHUNK] = (uint8_t)(0xc0 + i);
	v.size = m.size;
	send_view(out, &v);
	if (read(in, &go, 1) != 1)
		_exit(4);
	for (int i = 0; i < 300 && v.revocations <= 0; i++) {
		struct pollfd pf = { .fd = cxldcd_app_get_fd(app), .events = POLLIN };

		if (poll(&pf, 1, 10) < 0)
			_exit(5);
		v.revocations = cxldcd_app_process(app);
	}
	view_of(p, m.size, &v);
	if (v.readable[3])
		p[3 * CHUNK + 1] = 0x33;
	send_view(out, &v);
	cxldcd_app_close(app, &m);
	cxldcd_app_free(app);
	_exit(0);
}

/*
 * An application holding group A open when a forced release takes part of
 * it loses that part only: the agent tells it which (REVOKE_RANGE), its
 * pages there turn inaccessible at once, and the rest stays mapped, its
 * data intact and still the device's memory.  Before, the agent sent
 * REVOKE for the whole group and the application lost all of it, the part
 * the host still holds too.
 */
static void test_an_application_keeps_what_a_partial_forced_release_left(void **state)
{
	struct hx *x = *state;
	int to_child[2], from_child[2];
	struct app_view v;
	char go = 'g';
	pid_t pid;

	hx_host_start(x);
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	add_group_a(x);
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		app_keep_child(x->app_sock, to_child[0], from_child[1]);
	}
	close(to_child[0]);
	close(from_child[1]);
	pump_read(x, from_child[0], &v, sizeof(v));
	assert_int_equal(v.size, 8 * MiB);
	assert_int_equal(hx_group_of(x, TAG_A).open_count, 1);
	assert_int_equal(dev_byte(x, a1_of(x) + 2 * MiB), 0xc2);

	cut_a(x);
	assert_int_equal(write(to_child[1], &go, 1), 1);
	pump_read(x, from_child[0], &v, sizeof(v));
	reap(x, pid);
	close(to_child[1]);
	close(from_child[0]);
	assert_true(v.revocations >= 1);
	assert_int_equal(v.readable[0], 0);
	assert_int_equal(v.readable[1], 1);
	assert_int_equal(v.first[1], 0xc1);
	assert_int_equal(v.readable[2], 0);
	assert_int_equal(v.readable[3], 1);
	assert_int_equal(v.first[3], 0xc3);
	assert_int_equal(dev_byte(x, a1_of(x) + 4 * MiB + 1), 0x33);
	/* the child's exit closed its open: the group is the host's, as the device lists it */
	hx_pump(x, 100);
	assert_int_equal(hx_group_of(x, TAG_A).open_count, 0);
	assert_int_equal(hx_group_of(x, TAG_A).size, 4 * MiB);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
}

/* ---------------------------------------------------------- the documented limit */

/*
 * Where the first byte of data of fd is at or after off (-1: none up to its end).
 */
static off_t data_at(int fd, off_t off)
{
	return lseek(fd, off, SEEK_DATA);
}

/*
 * docs/host.md, "Applications of one host and their groups": an agent that
 * asks for a file per group (cfg.group_files, as cxldcd-host does when it
 * serves applications) hands an application of group A a file that holds
 * A's capacity and nothing of B, another group of the host 2 MiB after A in
 * the same region and backend: at B's place A's file reads zeros, a write
 * there stays in A's file (B and the device read B's bytes still), and the file's
 * data is A's range alone.  Before (one view per host and backend), the same
 * mapping read B's 0xbb and the write reached B.
 */
static void test_an_application_reaches_only_its_group_through_its_fd(void **state)
{
	struct hx *x = *state;
	uint64_t a = x->base[1] + 32 * MiB, b = x->base[1] + 36 * MiB, off, offb, size;
	struct cxldcd_extent ea = hx_ext(a, 2 * MiB, TAG_A, 0), eb = hx_ext(b, 2 * MiB, TAG_B, 0);
	struct cxldcd_host_dev_info di;
	struct stat sa, sb;
	int app, appb, fd, fdb;
	uint8_t *pa, *pb, *q, zero[64] = { 0 };

	x->hcfg.group_files = true;
	hx_host_start(x);
	assert_int_equal(cxldcd_host_get_dev_info(x->h, &di), 0);
	assert_true(cxldcd_host_group_files_granted(x->h));
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	hx_add_group(x, &ea, 1);
	hx_add_group(x, &eb, 1);
	pa = open_tag(x, TAG_A, &size);
	memset(pa, 0xaa, 64);
	pb = open_tag(x, TAG_B, &size);
	memset(pb, 0xbb, 64);

	app = hx_raw_connect(x->app_sock);
	fd = hx_raw_app_open(x, app, TAG_A, &off, NULL, NULL);
	appb = hx_raw_connect(x->app_sock);
	fdb = hx_raw_app_open(x, appb, TAG_B, &offb, NULL, NULL);
	/* two files, laid out as the backend: each group at its own offset */
	assert_int_equal(fstat(fd, &sa), 0);
	assert_int_equal(fstat(fdb, &sb), 0);
	assert_true(sa.st_ino != sb.st_ino);
	assert_int_equal(offb - off, b - a);
	/* A's file holds data in A's range alone (the 0xaa page), none at B's place */
	assert_int_equal(data_at(fd, 0), (off_t)off);
	assert_int_equal(data_at(fd, (off_t)(off + 2 * MiB)), -1);
	assert_int_equal(data_at(fdb, 0), (off_t)offb);
	/* B's place in A's file: zeros, and what is written there reaches nothing of B */
	q = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(off + (b - a)));
	assert_true(q != MAP_FAILED);
	assert_memory_equal(q, zero, 64);
	q[0] = 0x66;
	q[64] = 0x66;
	assert_int_equal(pb[0], 0xbb);
	assert_int_equal(pb[64], 0);
	assert_int_equal(dev_byte(x, b), 0xbb);
	assert_int_equal(dev_byte(x, b + 64), 0);
	assert_int_equal(pa[0], 0xaa);
	munmap(q, 2 * MiB);
	/* A's own place in A's file is A */
	q = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	assert_true(q != MAP_FAILED);
	assert_int_equal(q[0], 0xaa);
	q[100] = 0x5a;
	assert_int_equal(dev_byte(x, a + 100), 0x5a);
	munmap(q, 2 * MiB);
	close(fd);
	close(fdb);
	close(app);
	close(appb);
	hx_pump(x, 100);
	assert_int_equal(cxldcd_host_group_close(x->h, hx_group_of(x, TAG_A).id), 0);
	assert_int_equal(cxldcd_host_group_close(x->h, hx_group_of(x, TAG_B).id), 0);
}

/*
 * What remains for a host that does not ask for a file per group (an
 * agent serving no applications, a library user that leaves
 * cfg.group_files off, a device that trusts its hosts): the fd of a group
 * of non-sharable capacity is the host's view of the backend, so through it
 * an application reaches every other group the host holds there (docs/host.md).
 */
static void test_without_group_files_an_application_reaches_the_hosts_other_groups(void **state)
{
	struct hx *x = *state;
	uint64_t a = x->base[1] + 32 * MiB, b = x->base[1] + 36 * MiB, off, size;
	struct cxldcd_extent ea = hx_ext(a, 2 * MiB, TAG_A, 0), eb = hx_ext(b, 2 * MiB, TAG_B, 0);
	struct cxldcd_host_dev_info di;
	int app, fd;
	uint8_t *pb, *q;

	x->hcfg.group_files = false;
	hx_host_start(x);
	assert_int_equal(cxldcd_host_get_dev_info(x->h, &di), 0);
	assert_false(cxldcd_host_group_files_granted(x->h));
	assert_int_equal(cxldcd_host_serve_apps(x->h, x->app_sock), 0);
	hx_add_group(x, &ea, 1);
	hx_add_group(x, &eb, 1);
	pb = open_tag(x, TAG_B, &size);
	memset(pb, 0xbb, 64);

	app = hx_raw_connect(x->app_sock);
	fd = hx_raw_app_open(x, app, TAG_A, &off, NULL, NULL);
	/* B's bytes, at B's place in the same file: A's offset plus the DPA distance */
	q = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(off + (b - a)));
	assert_true(q != MAP_FAILED);
	assert_int_equal(q[0], 0xbb);
	assert_int_equal(q[63], 0xbb);
	q[64] = 0x66;
	assert_int_equal(pb[64], 0x66);
	assert_int_equal(dev_byte(x, b + 64), 0x66);
	munmap(q, 2 * MiB);
	close(fd);
	close(app);
	hx_pump(x, 100);
	assert_int_equal(cxldcd_host_group_close(x->h, hx_group_of(x, TAG_B).id), 0);
}

/* ---------------------------------------------------------- a REVOKE_RANGE from the agent */

/*
 * The application side takes a REVOKE_RANGE from its agent as untrusted
 * input: only what lies inside one of its mappings of that group is
 * touched, a range past the end is clipped, one outside does nothing, and
 * one not page aligned is a protocol error.  Here this process plays the
 * agent on a socket of its own; the application (the library's client) is
 * a child that reports, after each message, cxldcd_app_process()'s result
 * and which of its 4 pages it can still read.
 */
struct rr_report {
	int64_t rc;
	uint8_t readable[4];
};

static void rr_child(const char *path, int in, int out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct cxldcd_app *app;
	struct cxldcd_app_map m;
	struct rr_report r;
	char go;

	if (cxldcd_app_connect(path, &app) || cxldcd_app_open(app, NULL, 7, &m) ||
	    m.size != 4 * page)
		_exit(1);
	memset(m.addr, 0x11, m.size);
	while (read(in, &go, 1) == 1) {
		struct pollfd pf = { .fd = cxldcd_app_get_fd(app), .events = POLLIN };

		if (poll(&pf, 1, 2000) != 1)
			_exit(2);
		r.rc = cxldcd_app_process(app);
		for (unsigned i = 0; i < 4; i++)
			r.readable[i] = hx_readable((uint8_t *)m.addr + i * page, 1);
		if (write(out, &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(3);
	}
	cxldcd_app_free(app);
	_exit(0);
}

/* As the agent: answer the application's OPEN with one writable segment of fd. */
static void rr_answer_open(int c, int fd, uint64_t size)
{
	uint8_t buf[HL_HDR_SIZE + HL_APP_OPEN_RSP_HDR + HL_APP_SEG_SIZE];
	struct hl_app_open_rsp rs = { .status = HL_S_OK, .nr_segs = 1, .size = size, .id = 7 };
	struct hl_app_seg seg = { 0, size, 0, HL_MAP_F_WRITABLE };
	struct hl_hdr h;
	struct wwr w;
	ssize_t n;

	n = read(c, buf, HL_HDR_SIZE + HL_APP_OPEN_REQ_SIZE);
	assert_int_equal(n, HL_HDR_SIZE + HL_APP_OPEN_REQ_SIZE);
	assert_int_equal(hl_dec_hdr(buf, (size_t)n, &h), 0);
	assert_int_equal(h.type, HL_APP_OPEN_REQ);
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_APP_OPEN_RSP, h.seq);
	assert_int_equal(hl_enc_app_open_rsp(&w, &rs, &seg), 0);
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(hl_send(c, buf, w.off, &fd, 1), (ssize_t)w.off);
}

/* As the agent: send REVOKE_RANGE, let the child process it, read its report. */
static struct rr_report rr_step(int c, int to, int from, uint64_t id, uint64_t off, uint64_t len)
{
	uint8_t buf[HL_HDR_SIZE + HL_APP_REVOKE_RANGE_SIZE];
	const struct hl_app_revoke_range m = { id, off, len };
	struct rr_report r;
	struct wwr w;
	char go = 'g';

	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_APP_REVOKE_RANGE, 0);
	assert_int_equal(hl_enc_app_revoke_range(&w, &m), 0);
	assert_int_equal(hl_msg_end(&w), 0);
	assert_int_equal(write(c, buf, w.off), (ssize_t)w.off);
	assert_int_equal(write(to, &go, 1), 1);
	assert_int_equal(read(from, &r, sizeof(r)), (ssize_t)sizeof(r));
	return r;
}

static void test_an_application_applies_a_revoke_range_only_inside_its_mapping(void **state)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char dir[] = "/tmp/hostrevokeXXXXXX", path[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, c, fd, to[2], from[2], st = -1;
	struct rr_report r;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/agent.sock", dir);
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	fd = memfd_create("rr", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(4 * page)), 0);
	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		rr_child(path, to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	c = accept(lfd, NULL, NULL);
	assert_true(c >= 0);
	rr_answer_open(c, fd, 4 * page);

	/* past the mapping, or another group's: nothing */
	r = rr_step(c, to[1], from[0], 7, 8 * page, page);
	assert_int_equal(r.rc, 0);
	assert_memory_equal(r.readable, ((uint8_t[4]){ 1, 1, 1, 1 }), 4);
	r = rr_step(c, to[1], from[0], 8, 0, 4 * page);
	assert_int_equal(r.rc, 0);
	assert_memory_equal(r.readable, ((uint8_t[4]){ 1, 1, 1, 1 }), 4);
	/* page 1 only */
	r = rr_step(c, to[1], from[0], 7, page, page);
	assert_int_equal(r.rc, 1);
	assert_memory_equal(r.readable, ((uint8_t[4]){ 1, 0, 1, 1 }), 4);
	/* from page 3 to far past the end: clipped to the mapping */
	r = rr_step(c, to[1], from[0], 7, 3 * page, UINT64_MAX - 4 * page + 1);
	assert_int_equal(r.rc, 1);
	assert_memory_equal(r.readable, ((uint8_t[4]){ 1, 0, 1, 0 }), 4);
	/* not page aligned: a protocol error, nothing touched */
	r = rr_step(c, to[1], from[0], 7, 100, page);
	assert_int_equal(r.rc, -EPROTO);
	assert_memory_equal(r.readable, ((uint8_t[4]){ 1, 0, 1, 0 }), 4);

	close(to[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(from[0]);
	close(c);
	close(lfd);
	close(fd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capacity_a_partial_forced_release_took_is_accepted_again,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_release_request_for_capacity_forced_out_since_is_left_alone,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_group_a_forced_release_took_part_of_opens_with_what_is_left,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_group_with_nothing_left_does_not_open,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_an_application_keeps_what_a_partial_forced_release_left,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_an_application_reaches_only_its_group_through_its_fd,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_without_group_files_an_application_reaches_the_hosts_other_groups,
						hx_setup, hx_teardown),
		cmocka_unit_test(test_an_application_applies_a_revoke_range_only_inside_its_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
