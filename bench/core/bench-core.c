/* SPDX-License-Identifier: MIT */
/*
 * bench-core.c - cost of the device model's hot path at 1,000 and 1,000,000
 * resident accepted extents: prescriptive add of one extent + Add DC
 * Response + Release DC, the Free-policy add, and the memory held per
 * accepted extent (measured through a counting allocator hook).
 *
 * Usage: bench-core [cycles [reps [small [big]]]]   (defaults 100000 5 1000
 * 1000000; build with --buildtype=release to measure).  Each size builds its
 * own device; after an untimed warm-up every pattern is timed reps times,
 * interleaved, and the median is reported with the range.  Then the memory
 * per accepted extent at big resident extents is measured with 1, 2, 16 and
 * 256 configured hosts, the extents dealt round-robin over the hosts in runs
 * of 1000 / hosts blocks (3 with 256 hosts: every leaf and every node above
 * it spans many hosts), and with 256 hosts of which one holds them all.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "drain.h"
#include "model-dev.h"
#include "util.h"

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

static void die(const char *what, struct cxldcd_diag *d)
{
	fprintf(stderr, "bench-core: %s failed: %s\n", what, d->text);
	exit(1);
}

/*
 * Resident extents at even block indexes 0, 2, 4, ...: odd blocks stay free.
 * Added in DPA order (the worst fill: nodes split half full), in runs of
 * BATCH / hosts blocks dealt to the hosts round-robin.
 */
static void populate_hosts(struct cxldcd_dev *dev, uint32_t n, uint16_t hosts)
{
	static struct cxldcd_extent x[BATCH];
	static struct cxldcd_range r[BATCH];
	struct core_add_req req = { .policy = CXLDCD_ADD_PRESCRIPTIVE, .extents = x };
	uint32_t per = BATCH / hosts ? BATCH / hosts : 1;
	struct cxldcd_diag d;

	for (uint32_t done = 0, run = 0; done < n; done += req.nr_extents, run++) {
		req.host = (uint16_t)(run % hosts);
		req.nr_extents = n - done < per ? n - done : per;
		for (uint32_t i = 0; i < req.nr_extents; i++) {
			x[i] = (struct cxldcd_extent){ .dpa = 2ull * (done + i) * BLK, .len = BLK };
			r[i] = (struct cxldcd_range){ x[i].dpa, BLK };
		}
		if (core_add(dev, &req, NULL, &d))
			die("populate add", &d);
		if (core_add_response(dev, req.host, r, req.nr_extents, false, &d))
			die("populate accept", &d);
		bench_drain_dc_log(dev, req.host);
		if (req.host == hosts - 1 || done + req.nr_extents == n)
			bench_drain_dc_log(dev, CORE_OWNER_FM);
	}
}

static void populate(struct cxldcd_dev *dev, uint32_t n)
{
	populate_hosts(dev, n, 1);
}

#define MAX_REPS 15u

/* Per-cycle cost of each pattern, one value per repetition. */
struct result {
	double random_ns[MAX_REPS], sweep_ns[MAX_REPS], free_ns[MAX_REPS];
	double bytes_per_extent;
};

/* Empty both DC logs, so that every timed phase starts alike. */
static void drain_all(struct cxldcd_dev *dev)
{
	bench_drain_dc_log(dev, 0);
	bench_drain_dc_log(dev, CORE_OWNER_FM);
}

/*
 * add + accept + release_dc of one block at odd index 2*slot+1.  Random: slot
 * uniform over the resident set; sweeping: slots in order from *sweep on.
 * The logs are drained every 2048 cycles (inside the timing, the same at
 * every size).
 */
static double cycles_at(struct cxldcd_dev *dev, uint32_t resident, uint32_t cycles, bool random,
			uint64_t *sweep)
{
	struct cxldcd_diag d;
	double t0;

	drain_all(dev);
	t0 = now_ns();
	for (uint32_t c = 0; c < cycles; c++) {
		uint64_t slot = random ? rnd(resident) : (*sweep)++ % resident;
		struct cxldcd_extent x = { .dpa = (2 * slot + 1) * BLK, .len = BLK };
		struct cxldcd_range r = { x.dpa, BLK };
		struct core_add_req req = { .policy = CXLDCD_ADD_PRESCRIPTIVE, .nr_extents = 1, .extents = &x };

		if (core_add(dev, &req, NULL, &d) || core_add_response(dev, 0, &r, 1, false, &d) ||
		    core_release_dc(dev, 0, &r, 1, false, &d))
			die("cycle", &d);
		if (c % 2048 == 2047)
			drain_all(dev);
	}
	return (now_ns() - t0) / cycles;
}

/* Free-policy add of one block (first fit: block 1) + rejecting response. */
static double free_at(struct cxldcd_dev *dev, uint32_t cycles)
{
	struct core_add_req fr = { .policy = CXLDCD_ADD_FREE, .length = BLK };
	struct cxldcd_diag d;
	double t0;

	drain_all(dev);
	t0 = now_ns();
	for (uint32_t c = 0; c < cycles; c++) {
		if (core_add(dev, &fr, NULL, &d) || core_add_response(dev, 0, NULL, 0, false, &d))
			die("free add", &d);
		if (c % 2048 == 2047)
			drain_all(dev);
	}
	return (now_ns() - t0) / cycles;
}

/* One region of 256 GiB in 64 KiB blocks, nr_hosts hosts, memory counted. */
static struct cxldcd_dev *new_dev(uint16_t nr_hosts)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev;
	struct cxldcd_diag d;

	bench_model_cfg(&cfg, BLK, nr_hosts);
	cfg.max_extents = 2000000;
	cfg.evlog_depth = 8192;
	cfg.alloc = &counting;
	live = 0;
	if (core_dev_new(&cfg, &dev, &d))
		die("dev_new", &d);
	return dev;
}

/* Bytes per accepted extent: n extents dealt over holders of nr_hosts hosts. */
static double bytes_at(uint32_t n, uint16_t nr_hosts, uint16_t holders)
{
	struct cxldcd_dev *dev = new_dev(nr_hosts);
	long long base = live;
	double b;

	populate_hosts(dev, n, holders);
	b = (double)(live - base) / n;
	core_dev_free(dev);
	return b;
}

static void run(uint32_t resident, uint32_t cycles, uint32_t reps, struct result *res)
{
	struct cxldcd_dev *dev = new_dev(1);
	uint64_t sweep = 0;
	long long base = live;

	populate(dev, resident);
	res->bytes_per_extent = (double)(live - base) / resident;

	/* Warm-up (untimed): caches, allocator free lists, pooled nodes. */
	cycles_at(dev, resident, cycles / 10 + 1, true, &sweep);
	cycles_at(dev, resident, cycles / 10 + 1, false, &sweep);
	free_at(dev, cycles / 10 + 1);
	for (uint32_t i = 0; i < reps; i++) {
		res->random_ns[i] = cycles_at(dev, resident, cycles, true, &sweep);
		res->sweep_ns[i] = cycles_at(dev, resident, cycles, false, &sweep);
		res->free_ns[i] = free_at(dev, cycles);
	}
	core_dev_free(dev);
}

static void row(uint32_t resident, struct result *r, uint32_t reps, double med[3])
{
	med[0] = bench_median(r->random_ns, reps);
	med[1] = bench_median(r->sweep_ns, reps);
	med[2] = bench_median(r->free_ns, reps);
	printf("%-10u %6.0f (%5.0f-%5.0f) ns %6.0f (%5.0f-%5.0f) ns %6.0f (%5.0f-%5.0f) ns %8.1f\n",
	       resident, med[0], r->random_ns[0], r->random_ns[reps - 1], med[1], r->sweep_ns[0],
	       r->sweep_ns[reps - 1], med[2], r->free_ns[0], r->free_ns[reps - 1], r->bytes_per_extent);
}

/* (configured hosts, hosts holding the extents) */
static const uint16_t mem_cases[][2] = { { 1, 1 }, { 2, 2 }, { 16, 16 }, { 256, 256 }, { 256, 1 } };

int main(int argc, char **argv)
{
	uint32_t cycles = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000;
	uint32_t reps = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 5;
	uint32_t small_n = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 1000;
	uint32_t big_n = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 0) : 1000000;
	static struct result small, big;
	double ms[3], mb[3];

	if (!cycles || !reps || reps > MAX_REPS || !small_n || !big_n) {
		fprintf(stderr, "usage: bench-core [cycles [reps (1..%u) [small [big]]]]\n", MAX_REPS);
		return 2;
	}
	run(small_n, cycles, reps, &small);
	run(big_n, cycles, reps, &big);
	printf("%u cycles per figure; median (min-max) of %u repetitions\n", cycles, reps);
	printf("resident   cycle, random DPA        cycle, sweeping DPA      free add+reject          bytes/extent\n");
	row(small_n, &small, reps, ms);
	row(big_n, &big, reps, mb);
	printf("ratio %u/%u (medians): cycle random %.2f, cycle sweeping %.2f (target <= 2.0), free add %.2f\n",
	       big_n, small_n, mb[0] / ms[0], mb[1] / ms[1], mb[2] / ms[2]);
	printf("bytes per accepted extent at %u: %.1f (target < 256)\n", big_n, big.bytes_per_extent);
	printf("bytes per accepted extent at %u by configured hosts (extents dealt round-robin over the holders):\n",
	       big_n);
	for (uint32_t i = 0; i < sizeof(mem_cases) / sizeof(mem_cases[0]); i++)
		printf("  %3u hosts, %3u holding: %6.1f\n", mem_cases[i][0], mem_cases[i][1],
		       bytes_at(big_n, mem_cases[i][0], mem_cases[i][1]));
	return 0;
}
