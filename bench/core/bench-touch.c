/* SPDX-License-Identifier: MIT */
/*
 * bench-touch.c - what a first touch of fresh anonymous memory costs on
 * this machine (docs/performance.md, "Session 10: restart after a clean
 * stop"): N MiB mapped, advised MADV_HUGEPAGE (or MADV_NOHUGEPAGE with
 * -s), one byte written per 4 KiB, then unmapped; R rounds in one process,
 * wall and thread CPU time each.  A restore's bulk memory is such a
 * mapping (core_zalloc_bulk()); the kernel zeroes every page at its first
 * touch, and in a VM the host may have to back it first: the first round
 * of a process shows what memory not used lately costs, the next ones what
 * memory just given back costs.
 *
 * Usage: bench-touch [-s] [MiB [rounds]]   (defaults 64 3)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	bool small = argc > 1 && !strcmp(argv[1], "-s");
	size_t mib, unit = 2u << 20;
	unsigned rounds;

	argc -= small;
	argv += small;
	mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 3;
	for (unsigned r = 0; mib && r < rounds; r++) {
		size_t len = mib << 20;
		char *p = mmap(NULL, len + unit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *q;
		double t0, c0;

		if (p == MAP_FAILED) {
			perror("bench-touch: mmap");
			return 1;
		}
		q = p + (unit - (size_t)((unsigned long)p % unit)) % unit;
		madvise(q, len, small ? MADV_NOHUGEPAGE : MADV_HUGEPAGE);
		t0 = ms(CLOCK_MONOTONIC);
		c0 = ms(CLOCK_THREAD_CPUTIME_ID);
		for (size_t i = 0; i < len; i += 4096)
			q[i] = 1;
		printf("round %u: %zu MiB (%s pages) touched in %.1f ms wall, %.1f ms CPU (%.2f ms CPU per MiB)\n",
		       r + 1, mib, small ? "4 KiB" : "2 MiB", ms(CLOCK_MONOTONIC) - t0,
		       ms(CLOCK_THREAD_CPUTIME_ID) - c0, (ms(CLOCK_THREAD_CPUTIME_ID) - c0) / (double)mib);
		munmap(p, len + unit);
	}
	return 0;
}
