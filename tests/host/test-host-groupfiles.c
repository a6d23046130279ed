/* SPDX-License-Identifier: MIT */
/*
 * test-host-groupfiles.c - a file per group (docs/memory.md "Group files",
 * docs/host-link.md HELLO flag bit 4) against the real device model,
 * memory and hostlink server in one process (hx.h): a host that asks at
 * HELLO gets its capacity moved out of its one view per backend into a
 * view per group (each tag's, each untagged extent's), its bytes kept, the
 * device's window and slow path on the new files; a host that stops asking
 * goes back to one view; release, forced release and Sanitize punch the
 * group's own file.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostlink/proto.h"

#include "../support/hl-raw.h"
#include "hx.h"

/*
 * Host 0's groups in region 1 (not sharable): A = two extents with a gap
 * (a0 at +0, a1 at +8M), B right after a0 (+2M: back to back with a0 in the
 * DPA and the backend, so one view merges them), U1 and U2 untagged, back to
 * back (+16M, +18M).  The first 64 bytes of each extent are its pattern.
 */
struct layout {
	uint64_t dpa[5];
	uint8_t pat[5];
};

static void add_groups(struct hx *x, struct layout *l)
{
	uint64_t b = x->base[1];
	struct cxldcd_extent a[2] = { hx_ext(b, 2 * MiB, TAG_A, 0), hx_ext(b + 8 * MiB, 2 * MiB, TAG_A, 0) };
	struct cxldcd_extent eb = hx_ext(b + 2 * MiB, 2 * MiB, TAG_B, 0);
	struct cxldcd_extent u[2] = { hx_ext(b + 16 * MiB, 2 * MiB, NULL, 0),
				      hx_ext(b + 18 * MiB, 2 * MiB, NULL, 0) };
	char err[256];

	*l = (struct layout){ { b, b + 8 * MiB, b + 2 * MiB, b + 16 * MiB, b + 18 * MiB },
			      { 0xa0, 0xa1, 0xb0, 0xc1, 0xc2 } };
	hx_add_group(x, a, 2);
	hx_add_group(x, &eb, 1);
	assert_int_equal(hx_add(x, 0, u, 2), CXLDCD_RC_SUCCESS);
	for (int i = 0; i < 100 && hx_count(x, CXLDCD_HOST_EV_GROUP_ADDED) < 4; i++)
		hx_pump(x, 20);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_ADDED), 4);
	hx_pump(x, 100);
	for (int i = 0; i < 5; i++) {
		uint8_t buf[64];

		memset(buf, l->pat[i], sizeof(buf));
		assert_int_equal(mem_write(x->md, 0, l->dpa[i], buf, sizeof(buf), err, sizeof(err)), 0);
	}
}

/* The daemon's file (fd) and offset of host 0's DPA. */
static int file_of(struct hx *x, uint64_t dpa, uint64_t *off)
{
	struct mem_segment s;
	uint32_t n;
	char err[256];

	assert_int_equal(mem_dev_segments(x->md, 0, dpa, 4096, &s, 1, &n, err, sizeof(err)), 0);
	*off = s.offset;
	return s.fd;
}

static uint64_t ino_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

/* Each extent reads its pattern: the slow path, the device's window, the group's file. */
static void all_intact(struct hx *x, const struct layout *l)
{
	void *win;
	uint64_t wsize;

	assert_int_equal(mem_dev_window(x->md, 0, &win, &wsize), 0);
	for (int i = 0; i < 5; i++) {
		uint8_t buf[64], want[64];
		uint64_t off;
		int fd = file_of(x, l->dpa[i], &off);
		char err[256];

		memset(want, l->pat[i], sizeof(want));
		assert_int_equal(mem_read(x->md, 0, l->dpa[i], buf, sizeof(buf), err, sizeof(err)), 0);
		assert_memory_equal(buf, want, sizeof(buf));
		assert_memory_equal((uint8_t *)win + (l->dpa[i] - x->base[0]), want, sizeof(want));
		assert_int_equal(pread(fd, buf, sizeof(buf), (off_t)off), (ssize_t)sizeof(buf));
		assert_memory_equal(buf, want, sizeof(buf));
	}
}

static uint32_t nr_stores(struct hx *x)
{
	struct mem_dev_stats ms;

	mem_dev_stats_get(x->md, &ms);
	return ms.nr_stores;
}

/* Reconnect host 0 asking (or not) for a file per group. */
static void reconnect(struct hx *x, bool group_files)
{
	struct cxldcd_host_dev_info di;

	hx_host_stop(x);
	x->hcfg.group_files = group_files;
	hx_host_start(x);
	assert_int_equal(cxldcd_host_get_dev_info(x->h, &di), 0);
	assert_int_equal(cxldcd_host_group_files_granted(x->h), group_files);
}

static void test_a_host_that_asks_at_hello_gets_its_groups_moved_into_files(void **state)
{
	struct hx *x = *state;
	struct layout l;
	uint64_t off[5], end;
	int fd[5];

	x->hcfg.group_files = false;
	hx_host_start(x);
	add_groups(x, &l);
	assert_int_equal(nr_stores(x), 1);     /* one view of the backend for all */
	all_intact(x, &l);

	reconnect(x, true);
	assert_int_equal(nr_stores(x), 4);     /* A, B, U1, U2 */
	all_intact(x, &l);
	for (int i = 0; i < 5; i++)
		fd[i] = file_of(x, l.dpa[i], &off[i]);
	assert_int_equal(off[0], l.dpa[0] - x->base[0]);       /* laid out as the backend */
	assert_int_equal(ino_of(fd[0]), ino_of(fd[1]));        /* a0 and a1: A's one file */
	assert_true(ino_of(fd[0]) != ino_of(fd[2]));           /* B's own */
	assert_true(ino_of(fd[3]) != ino_of(fd[4]));           /* each untagged extent its own */
	assert_true(ino_of(fd[3]) != ino_of(fd[0]) && ino_of(fd[3]) != ino_of(fd[2]));
	/* A's file: data in A's two ranges alone */
	assert_int_equal(lseek(fd[0], 0, SEEK_DATA), (off_t)off[0]);
	end = lseek(fd[0], (off_t)off[0], SEEK_HOLE);
	assert_true(end <= off[0] + 2 * MiB);
	assert_int_equal(lseek(fd[0], (off_t)(off[0] + 2 * MiB), SEEK_DATA), (off_t)off[1]);
	assert_int_equal(lseek(fd[0], (off_t)(off[1] + 2 * MiB), SEEK_DATA), -1);
	/* U1's file: U1 alone, nothing of its neighbour U2 */
	assert_int_equal(lseek(fd[3], 0, SEEK_DATA), (off_t)off[3]);
	assert_int_equal(lseek(fd[3], (off_t)(off[3] + 2 * MiB), SEEK_DATA), -1);

	/* the same HELLO again changes nothing */
	reconnect(x, true);
	assert_int_equal(nr_stores(x), 4);
	all_intact(x, &l);

	/* a host that stops asking goes back to one view, its bytes kept */
	reconnect(x, false);
	assert_int_equal(nr_stores(x), 1);
	all_intact(x, &l);
	for (int i = 1; i < 5; i++)
		assert_int_equal(ino_of(file_of(x, l.dpa[i], &off[i])),
				 ino_of(file_of(x, l.dpa[0], &off[0])));
}

/*
 * With a file per group, a release, a forced release and a Sanitize punch
 * the group's own file, and the host's other groups keep their bytes.
 */
static void test_release_force_and_sanitize_work_on_the_groups_file(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent cut = hx_ext(0, 2 * MiB, NULL, 0);
	struct layout l;
	uint64_t off;
	int fd, dup_b;
	uint8_t b;

	x->hcfg.group_files = true;
	hx_host_start(x);
	add_groups(x, &l);
	assert_int_equal(nr_stores(x), 4);
	all_intact(x, &l);
	/* B released: B's file (a copy the "application" kept) shows fresh pages, B's file goes */
	fd = file_of(x, l.dpa[2], &off);
	dup_b = dup(fd);
	assert_true(dup_b >= 0);
	{
		unsigned have = hx_count(x, CXLDCD_HOST_EV_GROUP_RELEASED);

		assert_int_equal(cxldcd_host_group_release(x->h, NULL, hx_group_of(x, TAG_B).id), 0);
		assert_true(hx_pump_for(x, CXLDCD_HOST_EV_GROUP_RELEASED, have, 3000));
		hx_pump(x, 100);
	}
	assert_int_equal(pread(dup_b, &b, 1, (off_t)off), 1);
	assert_int_equal(b, 0);
	close(dup_b);
	assert_int_equal(nr_stores(x), 3);
	/* a1 forced out: A keeps a0 */
	cut.dpa = l.dpa[1];
	hx_force_out(x, &cut, 1);
	assert_int_equal(nr_stores(x), 3);
	{
		uint8_t buf[64];
		char err[256];

		assert_int_equal(mem_read(x->md, 0, l.dpa[0], buf, sizeof(buf), err, sizeof(err)), 0);
		assert_int_equal(buf[0], 0xa0);
		assert_int_equal(mem_read(x->md, 0, l.dpa[1], buf, sizeof(buf), err, sizeof(err)),
				 -EFAULT);
		assert_int_equal(mem_read(x->md, 0, l.dpa[3], buf, sizeof(buf), err, sizeof(err)), 0);
		assert_int_equal(buf[0], 0xc1);
		/* Sanitize of the host's capacity: every group's file reads zeros */
		assert_int_equal(mem_zero(x->md, 0, x->base[1], 32 * MiB), 0);
		assert_int_equal(mem_read(x->md, 0, l.dpa[0], buf, sizeof(buf), err, sizeof(err)), 0);
		assert_int_equal(buf[0], 0);
		fd = file_of(x, l.dpa[4], &off);
		assert_int_equal(lseek(fd, 0, SEEK_DATA), -1);
	}
}

/*
 * HELLO_ACK bit 4 is granted to a host with mapping that asks, and only
 * then: not without mapping, not when not asked, not on a device that
 * trusts its hosts (every fd is the backend's there).
 */
static void test_the_ack_grants_a_file_per_group_only_when_it_holds(void **state)
{
	struct hx *x = *state;
	uint32_t flags;
	int fd;

	fd = hx_raw_connect(x->sock);
	assert_int_equal(hx_raw_hello(x, fd, 0, HL_HELLO_F_MAP | HL_HELLO_F_GROUP_FILES, &flags), 0);
	assert_int_equal(flags, HL_ACK_F_MAP | HL_ACK_F_GROUP_FILES);
	close(fd);
	hx_pump(x, 50);
	fd = hx_raw_connect(x->sock);
	assert_int_equal(hx_raw_hello(x, fd, 1, HL_HELLO_F_GROUP_FILES, &flags), 0);
	assert_int_equal(flags, 0);                            /* no mapping: no fds at all */
	close(fd);
	fd = hx_raw_connect(x->sock);
	assert_int_equal(hx_raw_hello(x, fd, 0, HL_HELLO_F_MAP, &flags), 0);
	assert_int_equal(flags, HL_ACK_F_MAP);                 /* not asked */
	close(fd);
}

static int setup_trusted(void **state)
{
	const struct hx_opts o = { .trusted_hosts = true };

	return hx_setup_opts(state, &o);
}

static void test_a_device_that_trusts_its_hosts_grants_no_file_per_group(void **state)
{
	struct hx *x = *state;
	uint32_t flags;
	int fd = hx_raw_connect(x->sock);

	assert_int_equal(hx_raw_hello(x, fd, 0, HL_HELLO_F_MAP | HL_HELLO_F_GROUP_FILES, &flags), 0);
	assert_int_equal(flags, HL_ACK_F_MAP);
	close(fd);
}

/* ------------------------------------------------------------ a HELLO in slices */

#define NR_SLICED 128u

static int setup_sliced(void **state)
{
	/* one step (16 extents) per loop round: a HELLO of NR_SLICED groups takes ~17 rounds */
	struct hx_opts o = { .hello_slice_us = 1 };

	return hx_setup_opts(state, &o);
}

/* One message of a raw host (pumping the device): its type, payload in p, an fd it carried in *mfd. */
static int raw_msg(struct hx *x, int fd, uint8_t *p, size_t cap, int *mfd)
{
	uint8_t buf[HL_HDR_SIZE + 256];
	uint64_t end = hx_now_ms() + 3000;
	size_t got = 0;
	struct hl_hdr h;

	*mfd = -1;
	while (hx_now_ms() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		size_t want = got < HL_HDR_SIZE || hl_dec_hdr(buf, got, &h) ? HL_HDR_SIZE
									   : HL_HDR_SIZE + h.len;
		unsigned nfd = 0;
		ssize_t n;
		int rfd;

		hx_pump_round(x, &pf, 1, 5);
		if (!pf.revents)
			continue;
		assert_true(want <= sizeof(buf));
		n = hl_recv(fd, buf + got, want - got, &rfd, &nfd, 1);
		if (n == -EAGAIN)
			continue;
		assert_true(n > 0);
		if (nfd)
			*mfd = rfd;
		got += (size_t)n;
		if (got < HL_HDR_SIZE || hl_dec_hdr(buf, got, &h) || got < HL_HDR_SIZE + h.len)
			continue;
		assert_true(h.len <= cap);
		memcpy(p, buf + HL_HDR_SIZE, h.len);
		return h.type;
	}
	fail_msg("no whole message in 3 s");
	return -1;
}

/*
 * A host that comes back asking for a file per group while it holds
 * NR_SLICED groups in one view: its HELLO's switch and then its MAPs run a
 * slice per loop round, and meanwhile another host is served (its HELLO
 * answered) and this one is not a host to others yet.  Then the ACK grants
 * the files, and every group's MAP comes with a file of its own.  A forced
 * release, during the MAPs, of an extent already sent reaches the host as an
 * UNMAP, and the same range accepted again (not by the host, which is not
 * read meanwhile) gets its MAP at once: the replay is past it.  On the old code the whole switch and
 * every MAP ran inside the HELLO's round, blocking the loop (docs/performance.md,
 * "Session 10: group files at the limit").
 */
static void test_a_switch_at_hello_runs_a_slice_per_round_and_others_are_served(void **state)
{
	struct hx *x = *state;
	uint8_t hello[8] = { 1, 0, 0, 0, HL_HELLO_F_MAP | HL_HELLO_F_GROUP_FILES }, p[256];
	uint64_t b = x->base[1], ino0 = 0;
	unsigned maps = 0, unmaps = 0, again = 0;
	struct cxldcd_extent e;
	uint32_t flags = 0;
	int fd0, fd1, mfd;

	x->hcfg.group_files = false;
	hx_host_start(x);
	for (unsigned i = 0; i < NR_SLICED; i += 16) {
		struct cxldcd_extent u[16];

		for (unsigned k = 0; k < 16; k++)
			u[k] = hx_ext(b + (uint64_t)(i + k) * 2 * MiB, 2 * MiB, NULL, 0);
		assert_int_equal(hx_add(x, 0, u, 16), CXLDCD_RC_SUCCESS);
		for (int k = 0; k < 300 && core_extent_count(x->dev, 0) < i + 16; k++)
			hx_pump(x, 10);
		assert_int_equal(core_extent_count(x->dev, 0), i + 16);
	}
	hx_host_stop(x);
	assert_int_equal(nr_stores(x), 1);

	fd0 = hx_raw_connect(x->sock);
	hl_raw_send(fd0, HL_HELLO, 1, hello, sizeof(hello));
	fd1 = hx_raw_connect(x->sock);
	assert_int_equal(hx_raw_hello(x, fd1, 1, 0, &flags), 0);   /* served meanwhile */
	assert_false(hostlink_host_connected(x->hl, 0));
	assert_true(nr_stores(x) > 1 && nr_stores(x) < NR_SLICED + 1);   /* the switch half way */

	assert_int_equal(raw_msg(x, fd0, p, sizeof(p), &mfd), HL_HELLO_ACK);
	assert_int_equal(p[4] & HL_ACK_F_GROUP_FILES, HL_ACK_F_GROUP_FILES);
	assert_int_equal(nr_stores(x), NR_SLICED);
	for (;;) {
		struct hl_map m;
		int type = raw_msg(x, fd0, p, sizeof(p), &mfd);

		if (type == HL_UNMAP) {
			struct hl_unmap u;

			assert_int_equal(hl_dec_unmap(p, HL_UNMAP_SIZE, &u), 0);
			assert_int_equal(u.dpa, b);
			unmaps++;
			continue;
		}
		assert_int_equal(type, HL_MAP);
		assert_int_equal(hl_dec_map(p, HL_MAP_SIZE, &m), 0);
		assert_true(mfd >= 0);
		assert_false(m.flags & HL_MAP_F_SPILLED);
		if (maps == 0) {
			assert_int_equal(m.dpa, b);
			ino0 = ino_of(mfd);
			/* the MAPs go on a slice per round: the first extent is forced out meanwhile */
			assert_false(hostlink_host_connected(x->hl, 0));
			e = hx_ext(b, 2 * MiB, NULL, 0);
			struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
						       .forced = true, .nr_extents = 1, .extents = &e };
			struct cxldcd_diag diag;

			assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
			/* and accepted again (not by the host): the replay is past it, so its MAP comes now */
			struct cxldcd_range rg = { .dpa = b, .len = 2 * MiB };

			assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
			assert_int_equal(core_add_response(x->dev, 0, &rg, 1, false, &diag),
					 CXLDCD_RC_SUCCESS);
		} else if (m.dpa == b) {
			assert_int_equal(unmaps, 1);    /* after the UNMAP of the old one */
			again++;
			assert_true(ino_of(mfd) != ino0);
		} else {
			assert_int_equal(m.dpa, b + (uint64_t)(maps - again) * 2 * MiB);
			assert_true(ino_of(mfd) != ino0);
		}
		close(mfd);
		if (++maps == NR_SLICED + 1)
			break;
	}
	assert_int_equal(again, 1);
	assert_int_equal(unmaps, 1);
	for (int i = 0; i < 50 && !hostlink_host_connected(x->hl, 0); i++)
		hx_pump(x, 5);
	assert_true(hostlink_host_connected(x->hl, 0));
	close(fd0);
	close(fd1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_a_switch_at_hello_runs_a_slice_per_round_and_others_are_served,
			setup_sliced, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_host_that_asks_at_hello_gets_its_groups_moved_into_files,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_release_force_and_sanitize_work_on_the_groups_file,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_the_ack_grants_a_file_per_group_only_when_it_holds,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_device_that_trusts_its_hosts_grants_no_file_per_group,
						setup_trusted, hx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
