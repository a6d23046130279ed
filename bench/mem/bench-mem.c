/* SPDX-License-Identifier: MIT */
/*
 * bench-mem.c - figures for docs/performance.md (## Memory):
 *   1. direct-window sequential read and write bandwidth over 1 GiB, as a
 *      ratio to plain memcpy over 1 GiB of ordinary anonymous memory, with
 *      the same loop for both, after a warm-up, best of N;
 *   2. slow-path (mem_read/mem_write) bandwidth over the same extent;
 *   3. map (bind) and unmap (unbind) cost per extent with 1, 1,000 and
 *      100,000 extents mapped.  Extents are 4 KiB, adjacent in DPA and in
 *      backend offset, so their VMAs merge and vm.max_map_count is never
 *      approached (the system limit is not raised);
 *   4. the trust model's copies (docs/memory.md): release (copy back from
 *      the host's view) and accept (copy in) of a 64 MiB extent full of
 *      data, against trusted hosts (no copy); fresh capacity costs no copy
 *      (3. binds holes).
 *
 * Usage: bench-mem [size_mib] [rounds]   (defaults 1024 and 5)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "mem/mem.h"

#define MiB (1024ull * 1024)
#define BASE 0x10000000ull
#define CHUNK (256 * 1024) /* copy unit: fits in L2, so the other side is DRAM-bound */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int die(const char *what, int rc, const char *err)
{
	fprintf(stderr, "bench-mem: %s: %s (%s)\n", what, strerror(-rc), err);
	return 1;
}

/* The one loop used for both the window and plain memory. */
static void copy_loop(uint8_t *mem, uint8_t *chunk, uint64_t size, int write)
{
	for (uint64_t off = 0; off < size; off += CHUNK) {
		if (write)
			memcpy(mem + off, chunk, CHUNK);
		else
			memcpy(chunk, mem + off, CHUNK);
	}
	__asm__ volatile("" : : "r"(mem), "r"(chunk) : "memory");
}

static double best_gbs(uint8_t *mem, uint8_t *chunk, uint64_t size, int write, int rounds)
{
	double best = 0;

	copy_loop(mem, chunk, size, write); /* warm-up */
	for (int r = 0; r < rounds; r++) {
		double t = now_s(), gbs;

		copy_loop(mem, chunk, size, write);
		gbs = (double)size / (now_s() - t) / 1e9;
		if (gbs > best)
			best = gbs;
	}
	return best;
}

static struct mem_dev *make_dev_trust(struct mem_registry *reg, const char *id, uint64_t size,
				      bool trusted, char *err, size_t cap)
{
	struct mem_backend_props p = { .type = MEM_TYPE_RAM, .id = id, .size = size };
	struct mem_layout l = { .nr_hosts = 2, .nr_regions = 1 };
	struct mem_dev_cfg cfg = { .mode = MEM_DEV_SINGLE, .memdev = id, .direct_map = true,
				   .trusted = trusted };
	struct mem_dev *md = NULL;
	uint64_t dec = (size + 256 * MiB - 1) & ~(256 * MiB - 1);

	l.regions[0] = (struct mem_region_layout){ .base = BASE, .decode_len = dec, .len = size };
	if (mem_registry_add(reg, &p, NULL, err, cap) ||
	    mem_dev_new_layout(&l, reg, &cfg, &md, err, cap))
		return NULL;
	return md;
}

static struct mem_dev *make_dev(struct mem_registry *reg, const char *id, uint64_t size, char *err,
				size_t cap)
{
	return make_dev_trust(reg, id, size, false, err, cap);
}

static struct core_extent_info ext(uint64_t dpa, uint64_t len)
{
	return (struct core_extent_info){ .ext = { .dpa = dpa, .len = len } };
}

static int bandwidth(struct mem_registry *reg, uint64_t size, int rounds)
{
	char err[256] = "";
	struct mem_dev *md = make_dev(reg, "bw", size, err, sizeof(err));
	struct core_extent_info x = ext(BASE, size);
	uint8_t *chunk = aligned_alloc(4096, CHUNK), *plain, *w;
	uint64_t wsize;
	void *base;
	double pr, pw, wr, ww, t, sr = 0, sw = 0;
	int rc;

	if (!md || !chunk)
		return die("setup", -ENOMEM, err);
	rc = mem_dev_bind(md, &x, err, sizeof(err));
	if (rc)
		return die("bind", rc, err);
	mem_dev_window(md, 0, &base, &wsize);
	w = base;
	plain = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (plain == MAP_FAILED)
		return die("mmap", -errno, "plain buffer");
	memset(chunk, 0x5a, CHUNK);
	memset(plain, 1, size); /* fault everything in */
	memset(w, 1, size);

	pw = best_gbs(plain, chunk, size, 1, rounds);
	ww = best_gbs(w, chunk, size, 1, rounds);
	pr = best_gbs(plain, chunk, size, 0, rounds);
	wr = best_gbs(w, chunk, size, 0, rounds);
	printf("window-vs-memcpy size=%llu MiB chunk=%d KiB best-of=%d\n",
	       (unsigned long long)(size / MiB), CHUNK / 1024, rounds);
	printf("  write: plain %.2f GB/s  window %.2f GB/s  ratio %.3f\n", pw, ww, ww / pw);
	printf("  read:  plain %.2f GB/s  window %.2f GB/s  ratio %.3f\n", pr, wr, wr / pr);

	for (int r = 0; r < rounds; r++) {
		t = now_s();
		for (uint64_t off = 0; off < size; off += CHUNK)
			mem_write(md, 0, BASE + off, chunk, CHUNK, NULL, 0);
		t = now_s() - t;
		if ((double)size / t / 1e9 > sw)
			sw = (double)size / t / 1e9;
		t = now_s();
		for (uint64_t off = 0; off < size; off += CHUNK)
			mem_read(md, 0, BASE + off, chunk, CHUNK, NULL, 0);
		t = now_s() - t;
		if ((double)size / t / 1e9 > sr)
			sr = (double)size / t / 1e9;
	}
	printf("slow-path (pread/pwrite, %d KiB per call): write %.2f GB/s  read %.2f GB/s\n",
	       CHUNK / 1024, sw, sr);
	munmap(plain, size);
	free(chunk);
	mem_dev_free(md);
	return mem_registry_del(reg, "bw", NULL, 0) ? 1 : 0;
}

static long vma_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Map n adjacent 4 KiB extents, then time one more map+unmap at the end, then unmap all. */
static int map_cost(struct mem_registry *reg, uint32_t n)
{
	const uint64_t pg = 4096;
	const int probes = 2000;
	char err[256] = "", id[32];
	struct mem_dev *md;
	struct core_extent_info x;
	double t_map, t_probe_map = 0, t_probe_unmap = 0, t_unmap, t;
	long vmas;
	int rc;

	snprintf(id, sizeof(id), "mc%u", n);
	md = make_dev(reg, id, (uint64_t)(n + 1) * pg, err, sizeof(err));
	if (!md)
		return die("setup", -ENOMEM, err);
	t = now_s();
	for (uint32_t i = 0; i < n; i++) {
		x = ext(BASE + i * pg, pg);
		rc = mem_dev_bind(md, &x, err, sizeof(err));
		if (rc)
			return die("bind", rc, err);
	}
	t_map = (now_s() - t) / n;
	vmas = vma_count();
	x = ext(BASE + (uint64_t)n * pg, pg);
	for (int i = 0; i < probes; i++) {
		t = now_s();
		mem_dev_bind(md, &x, NULL, 0);
		t_probe_map += now_s() - t;
		t = now_s();
		mem_dev_unbind(md, &x);
		t_probe_unmap += now_s() - t;
	}
	t = now_s();
	for (uint32_t i = 0; i < n; i++) {
		x = ext(BASE + i * pg, pg);
		mem_dev_unbind(md, &x);
	}
	t_unmap = (now_s() - t) / n;
	printf("extents=%-6u fill: map %.2f us/extent  unmap-all %.2f us/extent  | with %u mapped: map %.2f us  unmap %.2f us  | VMAs in process %ld\n",
	       n, t_map * 1e6, t_unmap * 1e6, n, t_probe_map / probes * 1e6,
	       t_probe_unmap / probes * 1e6, vmas);
	mem_dev_free(md);
	return mem_registry_del(reg, id, NULL, 0) ? 1 : 0;
}

/* Host 0 fills 64 MiB and releases it; host 1 accepts it: time both, best of rounds. */
static int copy_cost(struct mem_registry *reg, bool trusted, int rounds)
{
	const uint64_t len = 64 * MiB;
	char err[256] = "";
	struct mem_dev *md = make_dev_trust(reg, "cc", len, trusted, err, sizeof(err));
	struct core_extent_info x = ext(BASE, len);
	double rel = 1e9, acc = 1e9, t;
	uint64_t wsize;
	void *base;

	if (!md)
		return die("setup", -ENOMEM, err);
	for (int i = 0; i < rounds; i++) {
		x.host = 0;
		if (mem_dev_bind(md, &x, err, sizeof(err)))
			return die("bind", -EIO, err);
		mem_dev_window(md, 0, &base, &wsize);
		memset(base, i + 1, len);
		t = now_s();
		mem_dev_unbind(md, &x);
		t = now_s() - t;
		rel = t < rel ? t : rel;
		x.host = 1;
		t = now_s();
		mem_dev_bind(md, &x, NULL, 0);
		t = now_s() - t;
		acc = t < acc ? t : acc;
		mem_dev_unbind(md, &x);
	}
	printf("%-9s 64 MiB of data: release %.2f ms  accept by another host %.2f ms\n",
	       trusted ? "trusted" : "untrusted", rel * 1e3, acc * 1e3);
	mem_dev_free(md);
	return mem_registry_del(reg, "cc", NULL, 0) ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t size = (argc > 1 ? strtoull(argv[1], NULL, 0) : 1024) * MiB;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	struct mem_registry *reg;
	int rc = 0;

	if (mem_registry_new(&reg))
		return 1;
	rc |= bandwidth(reg, size, rounds > 0 ? rounds : 1);
	rc |= map_cost(reg, 1);
	rc |= map_cost(reg, 1000);
	rc |= map_cost(reg, 100000);
	rc |= copy_cost(reg, true, rounds > 0 ? rounds : 1);
	rc |= copy_cost(reg, false, rounds > 0 ? rounds : 1);
	mem_registry_free(reg);
	return rc;
}
