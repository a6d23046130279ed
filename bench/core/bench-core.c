/* SPDX-License-Identifier: MIT */
/*
 * bench-core.c - cost of the device model's hot path at 1,000 and 1,000,000
 * resident accepted extents: prescriptive add of one extent + Add DC
 * Response + Release DC, the Free-policy add, and the memory held per
 * accepted extent (measured through a counting allocator hook).
 *
 * Usage: bench-core [cycles]   (build with -Dbuildtype=release to measure)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

#define BLK (64ull << 10)
#define BATCH 1000u

struct hdr {
	size_t size, pad;
};

static long long live;

static void *c_alloc(void *o, size_t n)
{
	struct hdr *h = malloc(sizeof(*h) + n);

	(void)o;
	if (!h)
		return NULL;
	h->size = n;
	live += (long long)n;
	return h + 1;
}

static void c_free(void *o, void *p)
{
	struct hdr *h;

	(void)o;
	if (!p)
		return;
	h = (struct hdr *)p - 1;
	live -= (long long)h->size;
	free(h);
}

static const struct cxldcd_allocator counting = { .alloc = c_alloc, .free = c_free };

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void drain(struct cxldcd_dev *dev, uint16_t owner)
{
	static struct cxldcd_event ev[4096];
	static uint16_t hd[4096];
	uint32_t n;

	do {
		core_evlog_get(dev, owner, 4, 4096, ev, &n, NULL);
		for (uint32_t i = 0; i < n; i++)
			hd[i] = ev[i].handle;
		core_evlog_clear(dev, owner, 4, false, hd, n, NULL);
	} while (n);
}

static void die(const char *what, struct cxldcd_diag *d)
{
	fprintf(stderr, "bench-core: %s failed: %s\n", what, d->text);
	exit(1);
}

/* Resident extents at even block indexes 0, 2, 4, ...: odd blocks stay free. */
static void populate(struct cxldcd_dev *dev, uint32_t n)
{
	static struct cxldcd_extent x[BATCH];
	static struct cxldcd_range r[BATCH];
	struct core_add_req req = { .policy = CXLDCD_ADD_PRESCRIPTIVE, .extents = x };
	struct cxldcd_diag d;

	for (uint32_t done = 0; done < n; done += req.nr_extents) {
		req.nr_extents = n - done < BATCH ? n - done : BATCH;
		for (uint32_t i = 0; i < req.nr_extents; i++) {
			x[i] = (struct cxldcd_extent){ .dpa = 2ull * (done + i) * BLK, .len = BLK };
			r[i] = (struct cxldcd_range){ x[i].dpa, BLK };
		}
		if (core_add(dev, &req, NULL, &d))
			die("populate add", &d);
		if (core_add_response(dev, 0, r, req.nr_extents, false, &d))
			die("populate accept", &d);
		drain(dev, 0);
		drain(dev, CORE_OWNER_FM);
	}
}

struct result {
	double cycle_ns, sweep_ns, free_ns, bytes_per_extent;
};

/* add + accept + release_dc of one block at odd index 2*slot+1; slot(c) picks the pattern. */
static double cycles_at(struct cxldcd_dev *dev, uint32_t resident, uint32_t cycles, bool random)
{
	struct cxldcd_diag d;
	double t0 = now_ns();

	for (uint32_t c = 0; c < cycles; c++) {
		uint64_t slot = random ? rnd(resident) : c % resident;
		struct cxldcd_extent x = { .dpa = (2 * slot + 1) * BLK, .len = BLK };
		struct cxldcd_range r = { x.dpa, BLK };
		struct core_add_req req = { .policy = CXLDCD_ADD_PRESCRIPTIVE, .nr_extents = 1, .extents = &x };

		if (core_add(dev, &req, NULL, &d) || core_add_response(dev, 0, &r, 1, false, &d) ||
		    core_release_dc(dev, 0, &r, 1, false, &d))
			die("cycle", &d);
		if (c % 2048 == 2047) {
			drain(dev, 0);
			drain(dev, CORE_OWNER_FM);
		}
	}
	return (now_ns() - t0) / cycles;
}

static struct result run(uint32_t resident, uint32_t cycles)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev;
	struct cxldcd_diag d;
	struct result res;
	struct core_add_req fr = { .policy = CXLDCD_ADD_FREE, .length = BLK };
	long long base;
	double t0;

	core_cfg_default(&cfg);
	cfg.nr_regions = 1;
	cfg.regions[0].len = cfg.regions[0].decode_len = 256ull << 30;
	cfg.regions[0].block_size = BLK;
	cfg.regions[0].supported_block_mask = BLK;
	cfg.nr_hosts = 1;
	cfg.max_extents = 2000000;
	cfg.evlog_depth = 8192;
	cfg.alloc = &counting;
	live = 0;
	if (core_dev_new(&cfg, &dev, &d))
		die("dev_new", &d);
	base = live;
	populate(dev, resident);
	res.bytes_per_extent = (double)(live - base) / resident;

	res.cycle_ns = cycles_at(dev, resident, cycles, true);
	res.sweep_ns = cycles_at(dev, resident, cycles, false);
	drain(dev, 0);
	drain(dev, CORE_OWNER_FM);

	t0 = now_ns();
	for (uint32_t c = 0; c < cycles; c++) {
		if (core_add(dev, &fr, NULL, &d) || core_add_response(dev, 0, NULL, 0, false, &d))
			die("free add", &d);
		if (c % 4096 == 4095)
			drain(dev, 0);
	}
	res.free_ns = (now_ns() - t0) / cycles;
	core_dev_free(dev);
	return res;
}

int main(int argc, char **argv)
{
	uint32_t cycles = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 200000;
	struct result small = run(1000, cycles), big = run(1000000, cycles);

	printf("resident   cycle(random DPA)  cycle(sweeping DPA)  free add+reject  bytes/extent\n");
	printf("%-10u %14.0f ns %17.0f ns %13.0f ns %12.1f\n", 1000u, small.cycle_ns, small.sweep_ns,
	       small.free_ns, small.bytes_per_extent);
	printf("%-10u %14.0f ns %17.0f ns %13.0f ns %12.1f\n", 1000000u, big.cycle_ns, big.sweep_ns,
	       big.free_ns, big.bytes_per_extent);
	printf("ratio 1M/1k: cycle random %.2f, cycle sweeping %.2f (target <= 2.0), free add %.2f\n",
	       big.cycle_ns / small.cycle_ns, big.sweep_ns / small.sweep_ns, big.free_ns / small.free_ns);
	printf("bytes per accepted extent at 1M: %.1f (target < 256)\n", big.bytes_per_extent);
	return 0;
}
