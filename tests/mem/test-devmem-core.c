/* SPDX-License-Identifier: MIT */
/*
 * test-devmem-core.c - a mem_dev wired to the device model through its
 * observer: nothing is reachable before acceptance, accepted extents are
 * mapped at their tag offsets, release and forced release take access away
 * (forced: before the Forced Capacity Release record is logged), sanitize
 * zeroes freed capacity, enable-shared-access maps the same pages for two
 * hosts, and check_add refuses what cannot be backed.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tag.h"
#include "mem/mem.h"

#define TAG_A "5be13bce-ae34-4a77-b6c3-16df975fcf1a"
#define TAG_B "0f8c4d1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5"
#define MiB (1024ull * 1024)

struct fx {
	struct cxldcd_dev *dev;
	struct mem_registry *reg;
	struct mem_dev *md;
	uint64_t base[2];          /* region bases */
	struct cxldcd_diag diag;
	char err[512];
	/* forced-release probe */
	int forced_seen;
	int forced_access_rc;
	uint64_t forced_dpa;
	bool trusted;   /* trusted-hosts=on: the backend fd is the live memory */
};

static void make(struct fx *f, enum mem_dev_mode mode)
{
	struct cxldcd_dev_cfg cfg;
	struct core_region_info ri;
	struct mem_dev_cfg mc = { .mode = mode, .direct_map = true, .trusted = f->trusted };

	core_cfg_default(&cfg);
	cfg.regions[1].sharable = true;
	assert_int_equal(core_dev_new(&cfg, &f->dev, &f->diag), 0);
	for (uint8_t r = 0; r < 2; r++) {
		assert_int_equal(core_region_get(f->dev, r, &ri), 0);
		f->base[r] = ri.base;
	}
	if (mode == MEM_DEV_SINGLE) {
		struct mem_backend_props p = { .type = MEM_TYPE_MEMFD, .id = "mem0",
					       .size = ri.base + ri.len - f->base[0] };

		assert_int_equal(mem_registry_add(f->reg, &p, NULL, f->err, sizeof(f->err)), 0);
		mc.memdev = "mem0";
	}
	assert_int_equal(mem_dev_new(f->dev, f->reg, &mc, &f->md, f->err, sizeof(f->err)), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mem_registry_new(&f->reg), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	core_dev_free(f->dev); /* first: the observer points at md */
	mem_dev_free(f->md);
	mem_registry_free(f->reg);
	free(f);
	return 0;
}

static int backend(struct fx *f, const char *id, uint64_t size, const char *tag)
{
	struct mem_backend_props p = { .type = MEM_TYPE_RAM, .id = id, .size = size, .tag = tag };
	struct mem_backend *b;

	assert_int_equal(mem_registry_add(f->reg, &p, &b, f->err, sizeof(f->err)), 0);
	return mem_backend_fd(b);
}

static struct cxldcd_extent ext(uint64_t dpa, uint64_t len, const char *tag, uint16_t seq)
{
	struct cxldcd_extent e = { .dpa = dpa, .len = len, .shared_seq = seq };

	if (tag)
		assert_int_equal(common_tag_parse(tag, e.tag, NULL, 0), 0);
	return e;
}

static enum cxldcd_rc add(struct fx *f, uint16_t host, const struct cxldcd_extent *e, uint32_t n)
{
	struct core_add_req req = { .host = host, .policy = CXLDCD_ADD_PRESCRIPTIVE,
				    .nr_extents = n, .extents = e };

	memset(&f->diag, 0, sizeof(f->diag));
	return core_add(f->dev, &req, NULL, &f->diag);
}

/* Accept everything the host's oldest pending group offers. */
static void accept_all(struct fx *f, uint16_t host)
{
	struct cxldcd_extent e[16];
	struct cxldcd_range r[16];
	uint32_t n = 0;

	assert_int_equal(core_pending_extents(f->dev, host, 0, 0, 16, e, &n), CXLDCD_RC_SUCCESS);
	for (uint32_t i = 0; i < n; i++)
		r[i] = (struct cxldcd_range){ .dpa = e[i].dpa, .len = e[i].len };
	assert_int_equal(core_add_response(f->dev, host, r, n, false, &f->diag), CXLDCD_RC_SUCCESS);
}

static void release_dc(struct fx *f, uint16_t host, uint64_t dpa, uint64_t len)
{
	struct cxldcd_range r = { .dpa = dpa, .len = len };

	assert_int_equal(core_release_dc(f->dev, host, &r, 1, false, &f->diag), CXLDCD_RC_SUCCESS);
}

static enum cxldcd_rc release_tag(struct fx *f, uint16_t host, const char *tag, bool forced,
				  bool sanitize)
{
	struct core_release_req req = { .host = host, .policy = CXLDCD_RELEASE_TAG_BASED,
					.forced = forced, .sanitize = sanitize };

	assert_int_equal(common_tag_parse(tag, req.tag, NULL, 0), 0);
	return core_release(f->dev, &req, &f->diag);
}

static uint8_t *win(struct fx *f, uint16_t host, uint64_t dpa)
{
	void *b;
	uint64_t size;

	assert_int_equal(mem_dev_window(f->md, host, &b, &size), 0);
	assert_true(dpa - f->base[0] < size);
	return (uint8_t *)b + (dpa - f->base[0]);
}

static int touch_in_child(volatile uint8_t *p)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		(void)*p;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/*
 * Every lseek() of this program, src/mem's included (linked in statically),
 * goes through here: SEEK_DATA and SEEK_HOLE are counted.
 */
static unsigned long nr_seeks;

off_t lseek(int fd, off_t off, int whence)
{
	if (whence == SEEK_DATA || whence == SEEK_HOLE)
		nr_seeks++;
	return (off_t)syscall(SYS_lseek, fd, off, whence);
}

/* ------------------------------------------------------------------------ */

static void test_tagged_extents_map_only_after_acceptance_at_tag_offsets(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e[2];
	char buf[16];
	int fd;

	f->trusted = true; /* reads the backend fd while bound */
	make(f, MEM_DEV_TAGGED);
	fd = backend(f, "tm0", 8 * MiB, TAG_A);
	e[0] = ext(f->base[0] + 8 * MiB, 2 * MiB, TAG_A, 0);
	e[1] = ext(f->base[0] + 2 * MiB, 2 * MiB, TAG_A, 0);
	assert_int_equal(add(f, 0, e, 2), CXLDCD_RC_SUCCESS);
	/* offered, not accepted: nothing reachable */
	assert_int_equal(mem_read(f->md, 0, e[0].dpa, buf, 1, NULL, 0), -EFAULT);
	assert_int_equal(touch_in_child(win(f, 0, e[0].dpa)), SIGSEGV);
	accept_all(f, 0);
	strcpy((char *)win(f, 0, e[0].dpa), "first");
	strcpy((char *)win(f, 0, e[1].dpa), "second");
	/* the model lays the tag's extents back to back in offer order */
	assert_int_equal(pread(fd, buf, 6, 0), 6);
	assert_string_equal(buf, "first");
	assert_int_equal(pread(fd, buf, 7, 2 * MiB), 7);
	assert_string_equal(buf, "second");
	assert_int_equal(mem_registry_del(f->reg, "tm0", f->err, sizeof(f->err)), -EBUSY);
	/* release by tag: still accessible until the host answers */
	assert_int_equal(release_tag(f, 0, TAG_A, false, false), CXLDCD_RC_SUCCESS);
	assert_string_equal((char *)win(f, 0, e[1].dpa), "second");
	release_dc(f, 0, e[0].dpa, e[0].len);
	release_dc(f, 0, e[1].dpa, e[1].len);
	assert_int_equal(touch_in_child(win(f, 0, e[0].dpa)), SIGSEGV);
	assert_int_equal(mem_read(f->md, 0, e[1].dpa, buf, 1, NULL, 0), -EFAULT);
	assert_int_equal(mem_registry_del(f->reg, "tm0", f->err, sizeof(f->err)), 0);
}

static void test_tag_backed_device_refuses_untagged_unknown_and_oversized_adds(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e;

	make(f, MEM_DEV_TAGGED);
	backend(f, "tm0", 2 * MiB, TAG_A);
	e = ext(f->base[0], 2 * MiB, NULL, 0);
	assert_int_not_equal(add(f, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_non_null(strstr(f->diag.text, "has no tag"));
	e = ext(f->base[0], 2 * MiB, TAG_B, 0);
	assert_int_not_equal(add(f, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_non_null(strstr(f->diag.text, "no memory backend has tag"));
	e = ext(f->base[0], 4 * MiB, TAG_A, 0);
	assert_int_not_equal(add(f, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_non_null(strstr(f->diag.text, "exceeds backend tm0"));
	assert_int_equal(core_pending_count(f->dev, 0), 0);
	e = ext(f->base[0], 2 * MiB, TAG_A, 0);
	assert_int_equal(add(f, 0, &e, 1), CXLDCD_RC_SUCCESS);
}

static void on_event(void *opaque, uint16_t owner, uint8_t log, const struct cxldcd_event *ev)
{
	struct fx *f = opaque;
	uint8_t b;

	if (owner != 0 || log != CXLDCD_LOG_DC || ev->dc_type != CXLDCD_DC_EV_FORCED_RELEASE)
		return;
	f->forced_seen++;
	f->forced_access_rc = mem_read(f->md, 0, f->forced_dpa, &b, 1, NULL, 0);
}

static const struct core_observer probe = { .event_logged = on_event };

static void test_forced_release_unmaps_before_the_event_is_logged(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e;

	make(f, MEM_DEV_TAGGED);
	assert_int_equal(core_observer_add(f->dev, &probe, f), 0); /* after mem's observer */
	backend(f, "tm0", 4 * MiB, TAG_A);
	e = ext(f->base[0], 4 * MiB, TAG_A, 0);
	assert_int_equal(add(f, 0, &e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	f->forced_dpa = e.dpa;
	win(f, 0, e.dpa)[0] = 1;
	assert_int_equal(release_tag(f, 0, TAG_A, true, false), CXLDCD_RC_SUCCESS);
	assert_int_equal(f->forced_seen, 1);
	assert_int_equal(f->forced_access_rc, -EFAULT);
	assert_int_equal(touch_in_child(win(f, 0, e.dpa)), SIGSEGV);
	assert_int_equal(mem_registry_del(f->reg, "tm0", f->err, sizeof(f->err)), 0);
}

static void test_sanitize_on_release_zeroes_the_backend_range(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e;
	char buf[8];
	int fd;

	make(f, MEM_DEV_TAGGED);
	fd = backend(f, "tm0", 4 * MiB, TAG_A);
	e = ext(f->base[0], 2 * MiB, TAG_A, 0);
	assert_int_equal(add(f, 0, &e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	strcpy((char *)win(f, 0, e.dpa + 100), "secret");
	assert_int_equal(release_tag(f, 0, TAG_A, false, true), CXLDCD_RC_SUCCESS);
	release_dc(f, 0, e.dpa, e.len);
	assert_int_equal(pread(fd, buf, 7, 100), 7);
	assert_memory_equal(buf, "\0\0\0\0\0\0\0", 7);
}

static void test_enable_shared_access_maps_the_same_pages_for_two_hosts(void **state)
{
	struct fx *f = *state;
	struct core_add_req req = { .host = 0, .policy = CXLDCD_ADD_FREE, .region = 1,
				    .length = 4 * MiB };
	struct cxldcd_extent e[4];
	uint32_t n = 0;
	char buf[16];

	make(f, MEM_DEV_TAGGED);
	backend(f, "tm0", 4 * MiB, TAG_A);
	assert_int_equal(common_tag_parse(TAG_A, req.tag, NULL, 0), 0);
	assert_int_equal(core_add(f->dev, &req, NULL, &f->diag), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_pending_extents(f->dev, 0, 0, 0, 4, e, &n), CXLDCD_RC_SUCCESS);
	assert_true(n >= 1);
	accept_all(f, 0);
	req.host = 1;
	req.policy = CXLDCD_ADD_ENABLE_SHARED;
	assert_int_equal(core_add(f->dev, &req, NULL, &f->diag), CXLDCD_RC_SUCCESS);
	accept_all(f, 1);
	strcpy((char *)win(f, 0, e[0].dpa + 64), "hello host 1");
	assert_string_equal((char *)win(f, 1, e[0].dpa + 64), "hello host 1");
	assert_int_equal(mem_write(f->md, 1, e[0].dpa + 4096, "hi 0", 5, NULL, 0), 0);
	assert_string_equal((char *)win(f, 0, e[0].dpa + 4096), "hi 0");
	/* host 0 leaves; host 1 keeps its mapping and the data */
	release_dc(f, 0, e[0].dpa, e[0].len);
	assert_int_equal(touch_in_child(win(f, 0, e[0].dpa + 64)), SIGSEGV);
	assert_int_equal(mem_read(f->md, 1, e[0].dpa + 64, buf, 13, NULL, 0), 0);
	assert_string_equal(buf, "hello host 1");
}

static void test_single_backing_maps_dpa_minus_region0_base(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e;
	char buf[8];

	f->trusted = true; /* reads the backend fd while bound */
	make(f, MEM_DEV_SINGLE);
	/* region 1 is sharable, so the model wants a tag; single backing ignores it */
	e = ext(f->base[1] + 6 * MiB, 2 * MiB, TAG_B, 0);
	assert_int_equal(add(f, 1, &e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 1);
	strcpy((char *)win(f, 1, e.dpa + 8), "dpa");
	assert_int_equal(pread(mem_backend_fd(mem_registry_find(f->reg, "mem0")), buf, 4,
			       (off_t)(e.dpa + 8 - f->base[0])), 4);
	assert_string_equal(buf, "dpa");
	assert_int_equal(touch_in_child(win(f, 0, e.dpa + 8)), SIGSEGV);
}

static void test_rejected_offer_binds_nothing(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e;
	struct mem_dev_stats st;

	make(f, MEM_DEV_TAGGED);
	backend(f, "tm0", 2 * MiB, TAG_A);
	e = ext(f->base[0], 2 * MiB, TAG_A, 0);
	assert_int_equal(add(f, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_add_response(f->dev, 0, NULL, 0, false, &f->diag), CXLDCD_RC_SUCCESS);
	mem_dev_stats_get(f->md, &st);
	assert_int_equal(st.nr_bound, 0);
	assert_int_equal(mem_registry_del(f->reg, "tm0", f->err, sizeof(f->err)), 0);
}


/*
 * The daemon's restart path: the model reaches its state with no mem_dev
 * attached (journal replay), then mem_dev_sync() binds the final accepted
 * extents: contents written to the backend before are visible through the
 * window, released capacity stays unbound, and a second sync changes nothing.
 */
static void test_sync_binds_the_final_accepted_state_of_a_replayed_model(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg;
	struct core_region_info ri;
	struct mem_dev_cfg mc = { .mode = MEM_DEV_TAGGED, .direct_map = true };
	struct cxldcd_extent e[2];
	struct mem_dev_stats st;
	int fd_a;

	core_cfg_default(&cfg);
	assert_int_equal(core_dev_new(&cfg, &f->dev, &f->diag), 0);
	assert_int_equal(core_region_get(f->dev, 0, &ri), 0);
	f->base[0] = ri.base;
	fd_a = backend(f, "tm0", 4 * MiB, TAG_A);
	backend(f, "tm1", 2 * MiB, TAG_B);
	assert_int_equal(pwrite(fd_a, "kept", 5, (off_t)(2 * MiB)), 5);
	e[0] = ext(f->base[0], 2 * MiB, TAG_A, 0);
	e[1] = ext(f->base[0] + 4 * MiB, 2 * MiB, TAG_A, 0);
	assert_int_equal(add(f, 0, e, 2), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	e[0] = ext(f->base[0] + 8 * MiB, 2 * MiB, TAG_B, 0);
	assert_int_equal(add(f, 1, e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 1);
	release_dc(f, 1, f->base[0] + 8 * MiB, 2 * MiB);

	assert_int_equal(mem_dev_new(f->dev, f->reg, &mc, &f->md, f->err, sizeof(f->err)), 0);
	mem_dev_stats_get(f->md, &st);
	assert_int_equal(st.nr_bound, 0);
	assert_int_equal(mem_dev_sync(f->md, f->dev, f->err, sizeof(f->err)), 0);
	mem_dev_stats_get(f->md, &st);
	assert_int_equal(st.nr_bound, 2);
	assert_string_equal((char *)win(f, 0, f->base[0] + 4 * MiB), "kept");
	assert_int_equal(touch_in_child(win(f, 1, f->base[0] + 8 * MiB)), SIGSEGV);
	assert_int_equal(mem_registry_del(f->reg, "tm0", f->err, sizeof(f->err)), -EBUSY);
	assert_int_equal(mem_registry_del(f->reg, "tm1", f->err, sizeof(f->err)), 0);
	strcpy((char *)win(f, 0, f->base[0] + 4 * MiB + 64), "live");
	assert_int_equal(mem_dev_sync(f->md, f->dev, f->err, sizeof(f->err)), 0);
	mem_dev_stats_get(f->md, &st);
	assert_int_equal(st.nr_bound, 2);
	/* the second sync found the bindings and copied nothing over live bytes */
	assert_string_equal((char *)win(f, 0, f->base[0] + 4 * MiB + 64), "live");
	assert_string_equal((char *)win(f, 0, f->base[0] + 4 * MiB), "kept");
}

/*
 * A replayed model (no mem_dev attached) with GAPPED extents per host, each
 * 2 MiB block 2k (no two adjacent): host 1's at blocks [0, 2 GAPPED), host
 * 0's above them, on single backing "mem0".  Returns mem0's fd.
 */
#define GAPPED 100u

static int gapped_model(struct fx *f)
{
	struct cxldcd_dev_cfg cfg;
	struct core_region_info ri;
	struct mem_backend_props p = { .type = MEM_TYPE_MEMFD, .id = "mem0" };
	struct mem_backend *b;
	struct cxldcd_extent e[10];

	core_cfg_default(&cfg);
	assert_int_equal(core_dev_new(&cfg, &f->dev, &f->diag), 0);
	assert_int_equal(core_region_get(f->dev, 0, &ri), 0);
	f->base[0] = ri.base;
	assert_int_equal(core_region_get(f->dev, 1, &ri), 0);
	p.size = ri.base + ri.len - f->base[0];
	assert_int_equal(mem_registry_add(f->reg, &p, &b, f->err, sizeof(f->err)), 0);
	for (uint16_t h = 0; h < 2; h++) {
		uint64_t first = h ? 0 : 2 * GAPPED;

		for (uint64_t k = 0; k < GAPPED; k += 10) {
			for (uint64_t i = 0; i < 10; i++)
				e[i] = ext(f->base[0] + (first + 2 * (k + i)) * 2 * MiB, 2 * MiB, NULL, 0);
			assert_int_equal(add(f, h, e, 10), CXLDCD_RC_SUCCESS);
			accept_all(f, h);
		}
	}
	return mem_backend_fd(b);
}

/* DPA of host h's extent k in gapped_model(). */
static uint64_t gapped_dpa(struct fx *f, uint16_t h, uint64_t k)
{
	return f->base[0] + ((h ? 0 : 2 * GAPPED) + 2 * k) * 2 * MiB;
}

static void sync_gapped(struct fx *f)
{
	struct mem_dev_cfg mc = { .mode = MEM_DEV_SINGLE, .memdev = "mem0", .direct_map = true };
	struct mem_dev_stats st;

	assert_int_equal(mem_dev_new(f->dev, f->reg, &mc, &f->md, f->err, sizeof(f->err)), 0);
	nr_seeks = 0;
	assert_int_equal(mem_dev_sync(f->md, f->dev, f->err, sizeof(f->err)), 0);
	mem_dev_stats_get(f->md, &st);
	assert_int_equal(st.nr_bound, 2 * GAPPED);
	assert_int_equal(st.bind_errors, 0);
}

/*
 * Restart of gap-spaced extents over a backend with data at the first byte
 * of one extent, the last byte of another, across the gap between two, and
 * in the middle of host 1's (asked about after host 0's, which lie above):
 * each extent reads back the backend's bytes at its ends and where data was
 * written, zeros elsewhere; the gap stays unreachable.
 */
static void test_sync_of_gapped_extents_finds_data_wherever_it_is(void **state)
{
	struct fx *f = *state;
	const uint64_t x = 2 * MiB;
	char buf[8], *span = malloc(x + 8);
	int fd = gapped_model(f);
	uint64_t at[4];

	at[0] = gapped_dpa(f, 0, 40);                    /* first byte */
	at[1] = gapped_dpa(f, 0, 41) + x - 1;            /* last byte */
	at[2] = gapped_dpa(f, 1, 50) + x / 2;            /* host 1, middle */
	at[3] = gapped_dpa(f, 0, GAPPED - 1) + x - 1;    /* the last byte of all */
	for (int i = 0; i < 4; i++)
		assert_int_equal(pwrite(fd, "D", 1, (off_t)(at[i] - f->base[0])), 1);
	/* one stretch of data from 70's last 4 bytes, over the gap, to 71's first 4 */
	assert_non_null(span);
	memset(span, 'S', x + 8);
	assert_int_equal(pwrite(fd, span, x + 8, (off_t)(gapped_dpa(f, 0, 71) - x - 4 - f->base[0])),
			 (ssize_t)(x + 8));
	free(span);
	sync_gapped(f);
	for (int i = 0; i < 4; i++)
		assert_int_equal(win(f, i == 2, at[i])[0], 'D');
	assert_memory_equal(win(f, 0, gapped_dpa(f, 0, 70) + x - 4), "SSSS", 4);
	assert_memory_equal(win(f, 0, gapped_dpa(f, 0, 71)), "SSSS\0", 5);
	assert_int_equal(touch_in_child(win(f, 0, gapped_dpa(f, 0, 71) - 1)), SIGSEGV);
	for (uint16_t h = 0; h < 2; h++) {
		for (uint64_t k = 0; k < GAPPED; k++) {
			uint64_t d = gapped_dpa(f, h, k);

			assert_int_equal(mem_read(f->md, h, d + 1, buf, 1, NULL, 0), 0);
			assert_int_equal(buf[0], h == 0 && k == 71 ? 'S' : 0);
			assert_int_equal(mem_read(f->md, h, d + x - 2, buf, 1, NULL, 0), 0);
			assert_int_equal(buf[0], h == 0 && k == 70 ? 'S' : 0);
		}
	}
}

/*
 * Restart of 200 gap-spaced extents of fresh capacity (two hosts, the
 * extents read 64 at a time): one SEEK_DATA per file and host, not two per
 * extent; syncing again finds them bound before asking anything.
 */
static void test_sync_of_fresh_gapped_extents_seeks_per_file_not_per_extent(void **state)
{
	struct fx *f = *state;
	struct mem_dev_stats st;

	gapped_model(f);
	sync_gapped(f);
	assert_true(nr_seeks <= 4);
	nr_seeks = 0;
	assert_int_equal(mem_dev_sync(f->md, f->dev, f->err, sizeof(f->err)), 0);
	mem_dev_stats_get(f->md, &st);
	assert_int_equal(st.nr_bound, 2 * GAPPED);
	assert_int_equal(st.bind_errors, 2 * GAPPED); /* -EEXIST each */
	assert_int_equal(nr_seeks, 0);
	assert_int_equal(touch_in_child(win(f, 1, gapped_dpa(f, 1, 99) + 2 * MiB)), SIGSEGV);
}

/* A slow-path read that touches a poisoned line fails; its neighbours and writes do not. */
static void test_slow_path_read_of_poisoned_dpa_fails(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e;
	char buf[128];

	make(f, MEM_DEV_TAGGED);
	backend(f, "tm0", 2 * MiB, TAG_A);
	e = ext(f->base[0], 2 * MiB, TAG_A, 0);
	assert_int_equal(add(f, 0, &e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	assert_int_equal(mem_write(f->md, 0, e.dpa + 0x1000, "ok", 3, NULL, 0), 0);
	assert_int_equal(core_poison_inject(f->dev, 0, e.dpa + 0x1040, 64, CORE_POISON_SRC_INJECTED,
					    NULL), CXLDCD_RC_SUCCESS);
	assert_int_equal(mem_read(f->md, 0, e.dpa + 0x1000, buf, 3, NULL, 0), 0);
	assert_string_equal(buf, "ok");
	assert_int_equal(mem_read(f->md, 0, e.dpa + 0x1000, buf, 0x41, f->err, sizeof(f->err)),
			 -EFAULT);
	assert_non_null(strstr(f->err, "poison (media error)"));
	assert_int_equal(mem_read(f->md, 0, e.dpa + 0x107f, buf, 1, NULL, 0), -EFAULT);
	assert_int_equal(mem_write(f->md, 0, e.dpa + 0x1040, "w", 1, NULL, 0), 0);
	assert_int_equal(core_poison_clear(f->dev, 0, e.dpa + 0x1040, 64, NULL), CXLDCD_RC_SUCCESS);
	assert_int_equal(mem_read(f->md, 0, e.dpa + 0x1040, buf, 2, NULL, 0), 0);
	assert_string_equal(buf, "w");
}

static uint32_t bound_extents(struct fx *f, const char *id)
{
	struct mem_backend_info bi;
	struct mem_dev_stats st;

	mem_backend_get_info(mem_registry_find(f->reg, id), &bi);
	mem_dev_stats_get(f->md, &st);
	assert_int_equal(st.nr_bound, bi.nr_bound);
	assert_int_equal(st.nr_mapped, bi.nr_bound);
	return bi.nr_bound;
}

/*
 * Three extents accepted back to back are one binding (object-del names one
 * range), yet still count as three bound extents; cutting pieces out of them
 * counts as the model does (a piece out of the middle leaves two extents)
 * and takes access away from exactly the pieces.
 */
static void test_adjacent_extents_share_one_binding_and_still_count_each(void **state)
{
	const uint64_t u = 2 * MiB, x = 4 * u; /* block, extent */
	struct fx *f = *state;
	struct cxldcd_extent e[3];
	uint64_t b;
	char want[96];

	make(f, MEM_DEV_SINGLE);
	b = f->base[0];
	for (int i = 0; i < 3; i++)
		e[i] = ext(b + (uint64_t)i * x, x, NULL, 0);
	assert_int_equal(add(f, 0, e, 3), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	assert_int_equal(bound_extents(f, "mem0"), 3);
	assert_int_equal(mem_registry_del(f->reg, "mem0", f->err, sizeof(f->err)), -EBUSY);
	snprintf(want, sizeof(want), "is bound to host=0 dpa=0x%llx len=0x%llx",
		 (unsigned long long)b, (unsigned long long)(3 * x));
	assert_non_null(strstr(f->err, want));
	assert_null(strchr(f->err, ','));
	for (int i = 0; i < 3; i++)
		win(f, 0, b + (uint64_t)i * x + x - 1)[0] = (uint8_t)('a' + i);

	release_dc(f, 0, b + x + u, 2 * u); /* out of the middle one */
	assert_int_equal(bound_extents(f, "mem0"), 4);
	assert_int_equal(touch_in_child(win(f, 0, b + x + u)), SIGSEGV);
	assert_int_equal(touch_in_child(win(f, 0, b + x + 3 * u - 1)), SIGSEGV);
	assert_int_equal(win(f, 0, b + x - 1)[0], 'a');
	assert_int_equal(win(f, 0, b + 2 * x - 1)[0], 'b');
	assert_int_equal(win(f, 0, b + 3 * x - 1)[0], 'c');
	release_dc(f, 0, b + 2 * x, x); /* the third, whole */
	assert_int_equal(bound_extents(f, "mem0"), 3);
	assert_int_equal(touch_in_child(win(f, 0, b + 3 * x - 1)), SIGSEGV);
	release_dc(f, 0, b, u); /* off the front of the first */
	assert_int_equal(bound_extents(f, "mem0"), 3);
	assert_int_equal(touch_in_child(win(f, 0, b)), SIGSEGV);
	assert_int_equal(win(f, 0, b + x - 1)[0], 'a');
	release_dc(f, 0, b + x + 3 * u, u); /* the middle one's tail */
	assert_int_equal(bound_extents(f, "mem0"), 2);
	release_dc(f, 0, b + u, 3 * u);
	release_dc(f, 0, b + x, u);
	assert_int_equal(bound_extents(f, "mem0"), 0);
	assert_int_equal(mem_read(f->md, 0, b + x, want, 1, NULL, 0), -EFAULT);
	assert_int_equal(mem_registry_del(f->reg, "mem0", f->err, sizeof(f->err)), -EBUSY);
	assert_non_null(strstr(f->err, "in use as a device's volatile-dc-memdev"));
}

/*
 * Restart binds runs at once (mem_dev_bind_many()): back-to-back extents of
 * one tag are one store copy and still count each; a run stops at another
 * backend; an extent whose backend is gone fails alone (the first error is
 * its), and the ones after it are bound all the same; bytes written to the
 * backends before the restart are seen at every extent.
 */
static void test_sync_binds_runs_of_extents_at_once_and_fails_only_the_broken_ones(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg;
	struct core_region_info ri;
	struct mem_dev_cfg mc = { .mode = MEM_DEV_TAGGED, .direct_map = true };
	struct cxldcd_extent e[3];
	struct mem_dev_stats st;
	uint64_t b;
	int fd_a;

	core_cfg_default(&cfg);
	assert_int_equal(core_dev_new(&cfg, &f->dev, &f->diag), 0);
	assert_int_equal(core_region_get(f->dev, 0, &ri), 0);
	b = f->base[0] = ri.base;
	fd_a = backend(f, "tm0", 16 * MiB, TAG_A);
	backend(f, "tm1", 2 * MiB, TAG_B);
	for (int i = 0; i < 4; i++) {
		char c = (char)('a' + i);

		assert_int_equal(pwrite(fd_a, &c, 1, (off_t)((uint64_t)i * 2 * MiB + (uint64_t)i)), 1);
	}
	for (int i = 0; i < 3; i++)
		e[i] = ext(b + (uint64_t)i * 2 * MiB, 2 * MiB, TAG_A, 0);
	assert_int_equal(add(f, 0, e, 3), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	e[0] = ext(b + 6 * MiB, 2 * MiB, TAG_B, 0);
	assert_int_equal(add(f, 0, e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	e[0] = ext(b + 8 * MiB, 2 * MiB, TAG_A, 0); /* tag offset 6 MiB */
	assert_int_equal(add(f, 0, e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	assert_int_equal(mem_registry_del(f->reg, "tm1", f->err, sizeof(f->err)), 0);

	assert_int_equal(mem_dev_new(f->dev, f->reg, &mc, &f->md, f->err, sizeof(f->err)), 0);
	assert_int_equal(mem_dev_sync(f->md, f->dev, f->err, sizeof(f->err)), -ENOENT);
	assert_non_null(strstr(f->err, "no memory backend has tag=" TAG_B));
	mem_dev_stats_get(f->md, &st);
	assert_int_equal(st.nr_bound, 4);
	assert_int_equal(st.bind_errors, 1);
	assert_int_equal(bound_extents(f, "tm0"), 4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(win(f, 0, b + (uint64_t)i * 2 * MiB + (uint64_t)i)[0], 'a' + i);
	assert_int_equal(win(f, 0, b + 8 * MiB + 3)[0], 'd');
	assert_int_equal(touch_in_child(win(f, 0, b + 6 * MiB)), SIGSEGV);
	/* again: the run is bound already, so each of its extents is tried alone (-EEXIST each) */
	win(f, 0, b + 2 * MiB + 1)[0] = 'B';
	assert_int_equal(mem_dev_sync(f->md, f->dev, f->err, sizeof(f->err)), -ENOENT);
	assert_non_null(strstr(f->err, "no memory backend has tag=" TAG_B));
	mem_dev_stats_get(f->md, &st);
	assert_int_equal(st.nr_bound, 4);
	assert_int_equal(st.bind_errors, 6);
	assert_int_equal(win(f, 0, b + 2 * MiB + 1)[0], 'B');
	/* one node for the run: a release out of its middle still counts per extent */
	release_dc(f, 0, b + 2 * MiB, 2 * MiB);
	assert_int_equal(bound_extents(f, "tm0"), 3);
	assert_int_equal(touch_in_child(win(f, 0, b + 2 * MiB)), SIGSEGV);
	assert_int_equal(win(f, 0, b + 4 * MiB + 2)[0], 'c');
}

/*
 * A start binds extents back to back as one range (core_extent_runs()), but
 * only what each extent would bind on its own: with direct_map, extents of
 * 2 KiB (a region of 2 KiB blocks) are not page-aligned, though two of them
 * make an aligned 4 KiB: each is refused alone, with its message, as a bind
 * of each would; the aligned pair after them is bound.
 */
static void test_sync_binds_a_run_only_where_each_extent_would_bind(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg;
	struct core_region_info ri;
	struct mem_backend_props p = { .type = MEM_TYPE_MEMFD, .id = "mem0" };
	struct mem_dev_cfg mc = { .mode = MEM_DEV_SINGLE, .memdev = "mem0", .direct_map = true };
	struct mem_backend *be;
	struct cxldcd_extent e[2];
	struct mem_dev_stats st;
	uint64_t b;

	core_cfg_default(&cfg);
	cfg.regions[0].block_size = 2048;
	cfg.regions[0].supported_block_mask = 0;
	assert_int_equal(core_dev_new(&cfg, &f->dev, &f->diag), 0);
	assert_int_equal(core_region_get(f->dev, 0, &ri), 0);
	b = f->base[0] = ri.base;
	assert_int_equal(core_region_get(f->dev, core_region_count(f->dev) - 1, &ri), 0);
	p.size = ri.base + ri.len - b;
	assert_int_equal(mem_registry_add(f->reg, &p, &be, f->err, sizeof(f->err)), 0);
	for (int i = 0; i < 2; i++)
		e[i] = ext(b + (uint64_t)i * 2048, 2048, NULL, 0);
	assert_int_equal(add(f, 0, e, 2), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	for (int i = 0; i < 2; i++)
		e[i] = ext(b + 4096 + (uint64_t)i * 4096, 4096, NULL, 0);
	assert_int_equal(add(f, 0, e, 2), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	assert_int_equal(core_extent_count(f->dev, 0), 4);

	assert_int_equal(mem_dev_new(f->dev, f->reg, &mc, &f->md, f->err, sizeof(f->err)), 0);
	assert_int_equal(mem_dev_sync(f->md, f->dev, f->err, sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "len=0x800 at offset 0x0 is not aligned"));
	mem_dev_stats_get(f->md, &st);
	assert_int_equal(st.nr_bound, 2);
	assert_int_equal(st.bind_errors, 2);
	assert_int_equal(bound_extents(f, "mem0"), 2);
	assert_int_equal(touch_in_child(win(f, 0, b)), SIGSEGV);
	win(f, 0, b + 4096)[0] = 'x';
	win(f, 0, b + 3 * 4096 - 1)[0] = 'y';
}

/* ------------------------------------------------------------ group files */

/* The soft fd limit that leaves exactly n fd numbers free below it; the old limit in *old. */
static void leave_fds(unsigned n, struct rlimit *old)
{
	struct rlimit rl;
	unsigned free_below = 0;
	int lim = 0;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, old), 0);
	for (; free_below < n || fcntl(lim, F_GETFD) >= 0; lim++)
		if (fcntl(lim, F_GETFD) < 0)
			free_below++;
	rl = *old;
	rl.rlim_cur = (rlim_t)lim;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static uint32_t stores_of(struct fx *f)
{
	struct mem_dev_stats ms;

	mem_dev_stats_get(f->md, &ms);
	return ms.nr_stores;
}

/* The daemon's file of host 0's dpa. */
static int fd_of(struct fx *f, uint64_t dpa)
{
	struct mem_segment s;
	uint32_t n;

	assert_int_equal(mem_dev_segments(f->md, 0, dpa, 4096, &s, 1, &n, f->err, sizeof(f->err)), 0);
	return s.fd;
}

/*
 * A switch to a file per group that runs out of fds half way moves what it
 * can, leaves the rest in the host's one view (the bytes of every extent
 * where the window and the slow path read them), says -EMFILE, and the
 * next call moves the rest.  Four untagged extents back to back (one range
 * in one view): four groups, four files after.
 */
static void test_a_switch_out_of_fds_moves_the_rest_at_the_next_call(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e[4];
	struct rlimit old;
	int rc;

	make(f, MEM_DEV_SINGLE);
	for (int i = 0; i < 4; i++)
		e[i] = ext(f->base[0] + (uint64_t)i * 2 * MiB, 2 * MiB, NULL, 0);
	assert_int_equal(add(f, 0, e, 4), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	for (int i = 0; i < 4; i++)
		memset(win(f, 0, e[i].dpa), 0x40 + i, 64);
	assert_int_equal(stores_of(f), 1);

	leave_fds(2, &old);
	rc = mem_dev_host_group_files(f->md, 0, true, f->err, sizeof(f->err));
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(rc, -EMFILE);
	assert_non_null(strstr(f->err, "Too many open files"));
	assert_int_equal(stores_of(f), 3);      /* the old view, two moved */
	for (int i = 0; i < 4; i++) {
		uint8_t b = 0;

		assert_int_equal(*win(f, 0, e[i].dpa), 0x40 + i);
		assert_int_equal(mem_read(f->md, 0, e[i].dpa + 63, &b, 1, f->err, sizeof(f->err)), 0);
		assert_int_equal(b, 0x40 + i);
	}
	assert_int_equal(mem_dev_host_group_files(f->md, 0, true, f->err, sizeof(f->err)), 0);
	assert_int_equal(stores_of(f), 4);
	for (int i = 0; i < 4; i++) {
		uint8_t b = 0;

		assert_int_equal(*win(f, 0, e[i].dpa), 0x40 + i);
		assert_int_equal(pread(fd_of(f, e[i].dpa), &b, 1, (off_t)(e[i].dpa - f->base[0])), 1);
		assert_int_equal(b, 0x40 + i);
		for (int j = 0; j < i; j++)
			assert_true(fd_of(f, e[i].dpa) != fd_of(f, e[j].dpa));
	}
	/* a later bind of an untagged extent: a file of its own too */
	e[0] = ext(f->base[0] + 16 * MiB, 2 * MiB, NULL, 0);
	assert_int_equal(add(f, 0, e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	assert_int_equal(stores_of(f), 5);
	/* a host that holds nothing switches with nothing to move */
	assert_int_equal(mem_dev_host_group_files(f->md, 1, true, f->err, sizeof(f->err)), 0);
	assert_int_equal(stores_of(f), 5);
}

static bool spilled_at(struct fx *f, uint64_t dpa)
{
	struct mem_segment s;
	uint32_t n;

	assert_int_equal(mem_dev_segments(f->md, 0, dpa, 4096, &s, 1, &n, f->err, sizeof(f->err)), 0);
	return s.spilled;
}

/*
 * A host with group files at its cap (mem_dev_host_group_max(), what the host
 * link sets from the fds free at HELLO): groups past it go into the host's
 * per-backend view, marked spilled, every byte where the window and the slow
 * path read it; a tag that has a file keeps using it.  Raising the cap and
 * switching again moves the spilled groups into files of their own.
 * mem_dev_host_groups() counts the groups (a tag's extents are one).
 * On the old code there was no cap: five files.
 */
static void test_groups_past_the_cap_spill_into_the_per_backend_view(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e[5];
	struct mem_host_groups g;
	struct mem_dev_stats ms;

	make(f, MEM_DEV_SINGLE);
	assert_int_equal(mem_dev_host_group_files(f->md, 0, true, f->err, sizeof(f->err)), 0);
	mem_dev_host_group_max(f->md, 0, 2);
	/* tag A (two extents), then three untagged: four groups */
	e[0] = ext(f->base[0], 2 * MiB, TAG_A, 0);
	e[1] = ext(f->base[0] + 2 * MiB, 2 * MiB, TAG_A, 0);
	assert_int_equal(add(f, 0, e, 2), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	for (int i = 2; i < 5; i++) {
		e[i] = ext(f->base[0] + (uint64_t)(4 + 2 * i) * MiB, 2 * MiB, NULL, 0);
		assert_int_equal(add(f, 0, &e[i], 1), CXLDCD_RC_SUCCESS);
		accept_all(f, 0);
	}
	for (int i = 0; i < 5; i++)
		memset(win(f, 0, e[i].dpa), 0x60 + i, 64);
	assert_int_equal(stores_of(f), 3);       /* A's file, one untagged file, the view */
	assert_false(spilled_at(f, e[0].dpa));
	assert_false(spilled_at(f, e[1].dpa));
	assert_false(spilled_at(f, e[2].dpa));
	assert_true(spilled_at(f, e[3].dpa));
	assert_true(spilled_at(f, e[4].dpa));
	assert_int_equal(fd_of(f, e[3].dpa), fd_of(f, e[4].dpa));
	assert_true(fd_of(f, e[3].dpa) != fd_of(f, e[2].dpa));
	assert_true(mem_dev_host_group_spilled(f->md, 0));
	mem_dev_stats_get(f->md, &ms);
	assert_int_equal(ms.group_spills, 2);
	assert_int_equal(ms.bind_errors, 0);
	assert_int_equal(mem_dev_host_groups(f->md, 0, true, &g), 0);
	assert_int_equal(g.groups, 4);
	assert_int_equal(g.files, 2);
	assert_true(g.spilled);
	/* at the cap nothing moves; with room the spilled groups get files */
	assert_int_equal(mem_dev_host_group_files(f->md, 0, true, f->err, sizeof(f->err)), 0);
	assert_int_equal(stores_of(f), 3);
	mem_dev_host_group_max(f->md, 0, 4);
	assert_int_equal(mem_dev_host_group_files(f->md, 0, true, f->err, sizeof(f->err)), 0);
	assert_int_equal(stores_of(f), 4);
	assert_false(mem_dev_host_group_spilled(f->md, 0));
	for (int i = 0; i < 5; i++) {
		uint8_t b = 0;

		assert_false(spilled_at(f, e[i].dpa));
		assert_int_equal(*win(f, 0, e[i].dpa), 0x60 + i);
		assert_int_equal(mem_read(f->md, 0, e[i].dpa + 63, &b, 1, f->err, sizeof(f->err)), 0);
		assert_int_equal(b, 0x60 + i);
		assert_int_equal(pread(fd_of(f, e[i].dpa), &b, 1, (off_t)(e[i].dpa - f->base[0])), 1);
		assert_int_equal(b, 0x60 + i);
	}
	/* switched off: one view for all, nothing spilled (there are no group files) */
	assert_int_equal(mem_dev_host_group_files(f->md, 0, false, f->err, sizeof(f->err)), 0);
	assert_int_equal(stores_of(f), 1);
	assert_false(spilled_at(f, e[4].dpa));
	assert_int_equal(*win(f, 0, e[4].dpa), 0x64);
}

/*
 * A bind of a host with group files whose file cannot be made (EMFILE)
 * spills into the host's per-backend view, which exists already, and caps
 * the host's files at what it has: the extent is bound and reachable, not
 * lost.  On the old code the bind failed (bind_errors 1, the range not
 * accessible).
 */
static void test_a_bind_out_of_fds_spills_instead_of_failing(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e[3];
	struct mem_dev_stats ms;
	struct rlimit old;
	uint8_t b = 0;

	make(f, MEM_DEV_SINGLE);
	assert_int_equal(mem_dev_host_group_files(f->md, 0, true, f->err, sizeof(f->err)), 0);
	/* the per-backend view first: a spilled group of the cap */
	mem_dev_host_group_max(f->md, 0, 0);
	e[0] = ext(f->base[0], 2 * MiB, NULL, 0);
	assert_int_equal(add(f, 0, e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	mem_dev_host_group_max(f->md, 0, UINT32_MAX);
	e[1] = ext(f->base[0] + 4 * MiB, 2 * MiB, NULL, 0);
	assert_int_equal(add(f, 0, &e[1], 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	assert_int_equal(stores_of(f), 2);

	e[2] = ext(f->base[0] + 8 * MiB, 2 * MiB, NULL, 0);
	assert_int_equal(add(f, 0, &e[2], 1), CXLDCD_RC_SUCCESS);
	leave_fds(0, &old);
	accept_all(f, 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	mem_dev_stats_get(f->md, &ms);
	assert_int_equal(ms.bind_errors, 0);
	assert_int_equal(ms.nr_bound, 3);
	assert_int_equal(stores_of(f), 2);
	assert_true(spilled_at(f, e[2].dpa));
	assert_int_equal(fd_of(f, e[2].dpa), fd_of(f, e[0].dpa));
	memset(win(f, 0, e[2].dpa), 0x77, 16);
	assert_int_equal(mem_read(f->md, 0, e[2].dpa + 15, &b, 1, f->err, sizeof(f->err)), 0);
	assert_int_equal(b, 0x77);
	/* capped at the one file it has: the next group spills without trying */
	e[0] = ext(f->base[0] + 12 * MiB, 2 * MiB, NULL, 0);
	assert_int_equal(add(f, 0, e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);
	assert_true(spilled_at(f, e[0].dpa));
	assert_int_equal(stores_of(f), 2);
}

/*
 * The switch a slice at a time (mem_dev_host_group_files_step(), what the
 * host link runs one per loop round): two extents per call, eight untagged
 * extents in one view; after the first slice two have files of their own and
 * the rest still read right from the view.  A release between slices (the
 * model's list shifts under the walk) is caught: the walk goes over the list
 * again at its end, so no extent is left behind.  All bytes where the window,
 * the slow path and the files read them.
 */
static void test_a_switch_in_slices_survives_a_release_between_them(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent e[8];
	int rc, calls = 0;

	make(f, MEM_DEV_SINGLE);
	for (int i = 0; i < 8; i++) {
		e[i] = ext(f->base[0] + (uint64_t)i * 2 * MiB, 2 * MiB, NULL, 0);
		assert_int_equal(add(f, 0, &e[i], 1), CXLDCD_RC_SUCCESS);
		accept_all(f, 0);
	}
	for (int i = 0; i < 8; i++)
		memset(win(f, 0, e[i].dpa), 0x20 + i, 64);
	assert_int_equal(stores_of(f), 1);
	assert_int_equal(mem_dev_host_group_files_step(f->md, 0, true, 2, f->err, sizeof(f->err)),
			 -EINPROGRESS);
	assert_int_equal(stores_of(f), 3);        /* two files, the view */
	assert_int_equal(*win(f, 0, e[5].dpa), 0x25);
	release_dc(f, 0, e[0].dpa, e[0].len);   /* the list shifts by one */
	do {
		rc = mem_dev_host_group_files_step(f->md, 0, true, 2, f->err, sizeof(f->err));
		calls++;
	} while (rc == -EINPROGRESS && calls < 100);
	assert_int_equal(rc, 0);
	assert_int_equal(stores_of(f), 7);        /* a file each, no view left */
	assert_false(mem_dev_host_group_spilled(f->md, 0));
	for (int i = 1; i < 8; i++) {
		uint8_t b = 0;

		assert_false(spilled_at(f, e[i].dpa));
		assert_int_equal(*win(f, 0, e[i].dpa), 0x20 + i);
		assert_int_equal(mem_read(f->md, 0, e[i].dpa + 63, &b, 1, f->err, sizeof(f->err)), 0);
		assert_int_equal(b, 0x20 + i);
		assert_int_equal(pread(fd_of(f, e[i].dpa), &b, 1, (off_t)(e[i].dpa - f->base[0])), 1);
		assert_int_equal(b, 0x20 + i);
		for (int j = 1; j < i; j++)
			assert_true(fd_of(f, e[i].dpa) != fd_of(f, e[j].dpa));
	}
	/* the other way in slices too, and a call with the other setting starts over */
	assert_int_equal(mem_dev_host_group_files_step(f->md, 0, false, 2, f->err, sizeof(f->err)),
			 -EINPROGRESS);
	assert_int_equal(mem_dev_host_group_files(f->md, 0, true, f->err, sizeof(f->err)), 0);
	assert_int_equal(stores_of(f), 7);
	assert_int_equal(mem_dev_host_group_files(f->md, 0, false, f->err, sizeof(f->err)), 0);
	assert_int_equal(stores_of(f), 1);
	for (int i = 1; i < 8; i++)
		assert_int_equal(*win(f, 0, e[i].dpa), 0x20 + i);
}

/* A device that trusts its hosts has no views to key: refused, nothing changes. */
static void test_trusted_hosts_have_no_file_per_group(void **state)
{
	struct fx *f = *state;

	f->trusted = true;
	make(f, MEM_DEV_SINGLE);
	assert_int_equal(mem_dev_host_group_files(f->md, 0, true, f->err, sizeof(f->err)),
			 -EOPNOTSUPP);
	assert_int_equal(mem_dev_host_group_files(f->md, 9, true, f->err, sizeof(f->err)), -EINVAL);
}

/* The ids of the backends checker @c notes as its device's, "a,b," in registry order. */
static const char *noted(const struct mem_dev *c)
{
	static char ids[128];

	ids[0] = 0;
	for (struct mem_backend *b = mem_dev_tag_backend_next(c, NULL); b;
	     b = mem_dev_tag_backend_next(c, b))
		snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s,", mem_backend_id(b));
	return ids;
}

/*
 * A replay checker's restart with nothing replayed since it was made
 * (mem_dev_checker_restart_same(), no walk) forgets what
 * mem_dev_checker_restart() (a walk of the accepted extents) forgets: a
 * snapshot's claim on a backend no accepted extent is on, not the backend
 * host 0's accepted extent is on; a second restart forgets nothing.  What
 * an earlier checker's walk noted is not taken for a later one's (made
 * after the extent was let go, maybe at the same address).
 */
static void test_a_checker_restart_without_a_walk_forgets_what_a_walk_forgets(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg;
	struct core_region_info ri;
	struct mem_dev_cfg mc = { .mode = MEM_DEV_TAGGED };
	struct cxldcd_extent e;
	struct mem_dev *c;

	core_cfg_default(&cfg);
	assert_int_equal(core_dev_new(&cfg, &f->dev, &f->diag), 0);
	assert_int_equal(core_region_get(f->dev, 0, &ri), 0);
	f->base[0] = ri.base;
	backend(f, "ta", 4 * MiB, TAG_A);
	backend(f, "tb", 4 * MiB, TAG_B);
	e = ext(f->base[0], 2 * MiB, TAG_A, 0);
	assert_int_equal(add(f, 0, &e, 1), CXLDCD_RC_SUCCESS);
	accept_all(f, 0);

	for (int walk = 0; walk < 2; walk++) {
		assert_int_equal(mem_dev_new_checker(f->dev, f->reg, &mc, &c, f->err, sizeof(f->err)),
				 0);
		assert_string_equal(noted(c), "ta,");
		assert_int_equal(mem_dev_checker_note(c, mem_registry_find(f->reg, "tb")), 0);
		assert_string_equal(noted(c), "ta,tb,");
		assert_true(walk ? mem_dev_checker_restart(c, f->dev) : mem_dev_checker_restart_same(c));
		assert_string_equal(noted(c), "ta,");
		assert_false(mem_dev_checker_restart_same(c));
		assert_false(mem_dev_checker_restart(c, f->dev));
		assert_false(mem_dev_checker_restart_same(c));
		assert_string_equal(noted(c), "ta,");
		mem_dev_free(c);
	}

	/* host 0 lets go: a checker made now walks nothing, and a claim on ta is forgotten */
	release_dc(f, 0, f->base[0], 2 * MiB);
	assert_int_equal(mem_dev_new_checker(f->dev, f->reg, &mc, &c, f->err, sizeof(f->err)), 0);
	assert_string_equal(noted(c), "");
	assert_int_equal(mem_dev_checker_note(c, mem_registry_find(f->reg, "ta")), 0);
	assert_true(mem_dev_checker_restart_same(c));
	assert_string_equal(noted(c), "");
	mem_dev_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_tagged_extents_map_only_after_acceptance_at_tag_offsets),
		T(test_tag_backed_device_refuses_untagged_unknown_and_oversized_adds),
		T(test_forced_release_unmaps_before_the_event_is_logged),
		T(test_sanitize_on_release_zeroes_the_backend_range),
		T(test_enable_shared_access_maps_the_same_pages_for_two_hosts),
		T(test_single_backing_maps_dpa_minus_region0_base),
		T(test_rejected_offer_binds_nothing),
		T(test_sync_binds_the_final_accepted_state_of_a_replayed_model),
		T(test_sync_binds_runs_of_extents_at_once_and_fails_only_the_broken_ones),
		T(test_sync_binds_a_run_only_where_each_extent_would_bind),
		T(test_sync_of_gapped_extents_finds_data_wherever_it_is),
		T(test_sync_of_fresh_gapped_extents_seeks_per_file_not_per_extent),
		T(test_slow_path_read_of_poisoned_dpa_fails),
		T(test_adjacent_extents_share_one_binding_and_still_count_each),
		T(test_a_switch_out_of_fds_moves_the_rest_at_the_next_call),
		T(test_trusted_hosts_have_no_file_per_group),
		T(test_groups_past_the_cap_spill_into_the_per_backend_view),
		T(test_a_bind_out_of_fds_spills_instead_of_failing),
		T(test_a_switch_in_slices_survives_a_release_between_them),
		T(test_a_checker_restart_without_a_walk_forgets_what_a_walk_forgets),
#undef T
	};

	return cmocka_run_group_tests_name("mem-devmem-core", tests, NULL, NULL);
}
