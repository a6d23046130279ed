/* SPDX-License-Identifier: MIT */
/*
 * bench-list.c - what the walk of a restart's memory binding costs per
 * extent: core_extent_list_info() (allocation, host's hold and tag of each
 * extent, what the replay checkers read) against core_extent_list()
 * (allocation and tag) and core_extent_runs() without tags (runs of extents
 * back to back, what mem_dev_sync() reads for a device with one backing),
 * all in pages of 64 as their callers ask, over every extent of a host, on
 * a device restored from a snapshot (core_restore(): the memory layout a
 * daemon restart walks), cold and warm.
 *
 * The device: one region of 64 KiB blocks, two hosts; N extents, each with
 * a tag of its own, accepted by host 0 at every other block (no two
 * adjacent: each extent a run), and for the big N also at every block (one
 * run, as bench-faces' extents are).  Cold: the
 * caches are emptied (64 MiB written) before the walk; warm: the walk
 * follows the same walk (a restart's bind comes after the load wrote the
 * state, in between).  The median per extent of the thread's CPU time is
 * printed (min in parentheses).
 *
 * Then a tag-backed start's memory work on the same restored device with
 * its extents spread over NTAGS tags, each a memory-backend-ram: the replay
 * checker (mem_dev_new_checker(), a walk), its restart after a replay
 * (mem_dev_checker_restart(), a walk) or after none
 * (mem_dev_checker_restart_same(), none), the memory's bind
 * (mem_dev_new() + mem_dev_sync(), a walk); CPU ms, median.
 *
 * Usage: bench-list [reps [small [big]]]   (defaults 9 1000 100000;
 * build with --buildtype=release to measure).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tag.h"
#include "core/core.h"
#include "mem/mem.h"
#include "../core/drain.h"
#include "../core/model-dev.h"
#include "util.h"

#define BLK (64ull << 10)
#define BATCH 1000u
#define PAGE 64u
#define MAX_REPS 31u
#define FLUSH (64u << 20)
#define NTAGS 64u

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, const struct cxldcd_diag *d)
{
	fprintf(stderr, "bench-list: %s failed: %s\n", what, d ? d->text : "");
	exit(1);
}

static struct cxldcd_dev *new_dev(uint32_t n)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev;
	struct cxldcd_diag d;

	bench_model_cfg(&cfg, BLK, 2);
	cfg.max_extents = n + 16;
	cfg.max_tags = n + 16;
	cfg.evlog_depth = 4096;
	if (core_dev_new(&cfg, &dev, &d))
		die("dev_new", &d);
	return dev;
}

static void populate(struct cxldcd_dev *dev, uint32_t n, uint64_t stride)
{
	static struct cxldcd_extent x[BATCH];
	static struct cxldcd_range r[BATCH];
	struct core_add_req req = { .policy = CXLDCD_ADD_PRESCRIPTIVE, .extents = x };
	struct cxldcd_diag d;

	for (uint32_t done = 0; done < n; done += req.nr_extents) {
		req.nr_extents = n - done < BATCH ? n - done : BATCH;
		for (uint32_t i = 0; i < req.nr_extents; i++) {
			x[i] = (struct cxldcd_extent){ .dpa = stride * (done + i) * BLK, .len = BLK };
			bench_tag_of(done + i, x[i].tag);
			r[i] = (struct cxldcd_range){ x[i].dpa, BLK };
		}
		if (core_add(dev, &req, NULL, &d))
			die("add", &d);
		if (core_add_response(dev, 0, r, req.nr_extents, false, &d))
			die("accept", &d);
		bench_drain_dc_log(dev, 0);
		bench_drain_dc_log(dev, CORE_OWNER_FM);
	}
}

static void flush(void)
{
	static volatile uint8_t *buf;

	if (!buf)
		buf = malloc(FLUSH);
	for (size_t i = 0; buf && i < FLUSH; i += 64)
		buf[i] = (uint8_t)i;
}

/*
 * One walk of every extent of host 0 (how: 0 core_extent_list_info(), 1
 * core_extent_list(), 2 core_extent_runs()); returns a checksum so the walk
 * is not dropped.
 */
static uint64_t walk(const struct cxldcd_dev *dev, int how)
{
	static struct core_extent_info xi[PAGE];
	static struct core_extent_run xr[PAGE];
	static struct cxldcd_extent x[PAGE];
	uint32_t start = 0, n;
	uint64_t sum = 0;

	do {
		if (how == 2) {
			if (core_extent_runs(dev, 0, start, false, PAGE, xr, &n))
				die("runs", NULL);
			for (uint32_t i = 0; i < n; i++) {
				sum += xr[i].x.ext.dpa + xr[i].x.ext.len;
				start += xr[i].nr - 1;
			}
		} else if (how == 0) {
			if (core_extent_list_info(dev, 0, start, PAGE, xi, &n))
				die("list_info", NULL);
			for (uint32_t i = 0; i < n; i++)
				sum += xi[i].ext.dpa + xi[i].ext.tag[0] + xi[i].release_pending;
		} else {
			if (core_extent_list(dev, 0, start, PAGE, x, &n))
				die("list", NULL);
			for (uint32_t i = 0; i < n; i++)
				sum += x[i].dpa + x[i].tag[0];
		}
		start += n;
	} while (n);
	if (start != core_extent_count(dev, 0))
		die("walk", &(struct cxldcd_diag){ .text = "short walk" });
	return sum;
}

static void uuid_of(uint32_t t, char s[37])
{
	snprintf(s, 37, "%08x-0000-4000-8000-%012x", t + 1, t + 1);
}

/* n extents accepted by host 0, extent i on tag i % NTAGS (its tag's capacity in DPA order). */
static void populate_tagged(struct cxldcd_dev *dev, uint32_t n)
{
	static struct cxldcd_extent x[BATCH];
	static struct cxldcd_range r[BATCH];
	struct core_add_req req = { .policy = CXLDCD_ADD_PRESCRIPTIVE, .extents = x };
	struct cxldcd_diag d;
	char u[37];

	for (uint32_t done = 0; done < n; done += req.nr_extents) {
		req.nr_extents = n - done < BATCH ? n - done : BATCH;
		for (uint32_t i = 0; i < req.nr_extents; i++) {
			x[i] = (struct cxldcd_extent){ .dpa = 2ull * (done + i) * BLK, .len = BLK };
			uuid_of((done + i) % NTAGS, u);
			common_tag_parse(u, x[i].tag, NULL, 0);
			r[i] = (struct cxldcd_range){ x[i].dpa, BLK };
		}
		if (core_add(dev, &req, NULL, &d))
			die("add", &d);
		if (core_add_response(dev, 0, r, req.nr_extents, false, &d))
			die("accept", &d);
		bench_drain_dc_log(dev, 0);
		bench_drain_dc_log(dev, CORE_OWNER_FM);
	}
}

static double median_of(double *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_dbl);
	return v[n / 2];
}

static void run_tagged(uint32_t n, uint32_t reps)
{
	struct cxldcd_dev *a = new_dev(n), *b = new_dev(n);
	struct mem_dev_cfg mc = { .mode = MEM_DEV_TAGGED, .trusted = true };
	double t[4][MAX_REPS];
	struct mem_registry *reg;
	struct mem_dev *md;
	struct cxldcd_diag d;
	char err[256], u[37], id[16];
	uint8_t *snap;
	size_t len;

	populate_tagged(a, n);
	if (core_snapshot(a, &snap, &len))
		die("snapshot", NULL);
	core_dev_free(a);
	if (core_restore(b, snap, len, &d))
		die("restore", &d);
	free(snap);
	if (mem_registry_new(&reg))
		die("registry", NULL);
	for (uint32_t i = 0; i < NTAGS; i++) {
		struct mem_backend_props p = { .type = "memory-backend-ram", .id = id, .tag = u,
					       .size = ((uint64_t)n / NTAGS + 1) * BLK };

		uuid_of(i, u);
		snprintf(id, sizeof(id), "t%u", i);
		if (mem_registry_add(reg, &p, NULL, err, sizeof(err)))
			die(err, NULL);
	}
	for (uint32_t r = 0; r <= reps; r++) {
		struct mem_dev *c;
		double c0 = cpu_ns();

		if (mem_dev_new_checker(b, reg, &mc, &c, err, sizeof(err)))
			die(err, NULL);
		if (r)
			t[0][r - 1] = (cpu_ns() - c0) / 1e6;
		c0 = cpu_ns();
		if (mem_dev_checker_restart(c, b))
			die("restart", &(struct cxldcd_diag){ .text = "forgot some" });
		if (r)
			t[1][r - 1] = (cpu_ns() - c0) / 1e6;
		c0 = cpu_ns();
		if (mem_dev_checker_restart_same(c))
			die("restart_same", &(struct cxldcd_diag){ .text = "forgot some" });
		if (r)
			t[2][r - 1] = (cpu_ns() - c0) / 1e6;
		if (!mem_dev_tag_backend_next(c, NULL))
			die("checker", &(struct cxldcd_diag){ .text = "noted nothing" });
		mem_dev_free(c);
	}
	/* the memory's bind once (its observer stays on the device) */
	{
		struct mem_dev_stats st;
		double c0 = cpu_ns();

		if (mem_dev_new(b, reg, &mc, &md, err, sizeof(err)) || mem_dev_sync(md, b, err, sizeof(err)))
			die(err, NULL);
		t[3][0] = (cpu_ns() - c0) / 1e6;
		mem_dev_stats_get(md, &st);
		if (st.nr_bound != n)
			die("sync", &(struct cxldcd_diag){ .text = "not every extent bound" });
	}
	printf("%8u  checker made %7.2f   restart: walked %7.2f, not walked %7.3f   bind (once) %7.2f\n", n,
	       median_of(t[0], reps), median_of(t[1], reps), median_of(t[2], reps), t[3][0]);
	core_dev_free(b);
	mem_dev_free(md);
	mem_registry_free(reg);
}

static void run(uint32_t n, uint32_t reps, uint64_t stride)
{
	struct cxldcd_dev *a = new_dev(n), *b = new_dev(n);
	double t[6][MAX_REPS];
	struct cxldcd_diag d;
	uint64_t sum = 0;
	uint8_t *snap;
	size_t len;

	populate(a, n, stride);
	if (core_snapshot(a, &snap, &len))
		die("snapshot", NULL);
	core_dev_free(a);
	if (core_restore(b, snap, len, &d))
		die("restore", &d);
	free(snap);
	for (uint32_t r = 0; r <= reps; r++) {
		for (int k = 0; k < 6; k++) {
			double c0;

			if (k < 3)
				flush();
			c0 = cpu_ns();
			sum += walk(b, k % 3);
			if (r)
				t[k][r - 1] = (cpu_ns() - c0) / n;
		}
	}
	for (int k = 0; k < 6; k++)
		qsort(t[k], reps, sizeof(double), bench_cmp_dbl);
	printf("%8u %s  cold: %6.1f (%5.1f) %6.1f (%5.1f) %6.1f (%5.1f)   warm: %6.1f (%5.1f) %6.1f (%5.1f) "
	       "%6.1f (%5.1f)   [%llx]\n", n, stride == 1 ? "adjacent" : "gapped  ",
	       t[0][reps / 2], t[0][0], t[1][reps / 2], t[1][0], t[2][reps / 2], t[2][0],
	       t[3][reps / 2], t[3][0], t[4][reps / 2], t[4][0], t[5][reps / 2], t[5][0],
	       (unsigned long long)(sum & 0xfff));
	core_dev_free(b);
}

int main(int argc, char **argv)
{
	uint32_t reps = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 9;
	uint32_t small_n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1000;
	uint32_t big_n = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 100000;

	if (!reps || reps > MAX_REPS || !small_n || !big_n) {
		fprintf(stderr, "usage: bench-list [reps (1..%u) [small [big]]]\n", MAX_REPS);
		return 2;
	}
	printf("walk of every extent of a host in pages of %u, after a restore; CPU ns per extent, median (min)"
	       " of %u;\ncold: caches emptied first, warm: right after the same walk;"
	       " each: core_extent_list_info(), core_extent_list(), core_extent_runs()\n", PAGE, reps);
	run(small_n, reps, 2);
	run(big_n, reps, 2);
	run(big_n, reps, 1);
	printf("\na tag-backed start (%u tags, memory-backend-ram), CPU ms, median of %u:\n", NTAGS, reps);
	run_tagged(small_n, reps);
	run_tagged(big_n, reps);
	return 0;
}
