/* SPDX-License-Identifier: MIT */
/*
 * window.c - host windows: direct, zero-copy access to accepted extents.
 *
 * A window is one anonymous MAP_PRIVATE | MAP_NORESERVE PROT_NONE mapping, so
 * touching anything not accepted faults (SIGSEGV).  Accepting an extent maps
 * its backend's fd over the right part with MAP_FIXED | MAP_SHARED, which
 * atomically replaces the reservation; releasing maps a fresh PROT_NONE
 * reservation over it, again atomically, so there is no instant at which the
 * address range is free for another mmap in the process to land in.
 *
 * Every mapping is a VMA and the kernel limits a process to
 * vm.max_map_count of them (65530 by default).  Extents that are adjacent
 * in DPA and continue the same fd at the next offset merge into one VMA (as
 * do neighbouring reservations), so a fully used backend costs one VMA
 * however many extents it holds; scattered extents cost up to two each.
 * When the kernel refuses, mmap fails with ENOMEM and we report it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mem/backend.h"
#include "mem/window.h"

static long max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int mem_window_reserve(struct mem_window *w, uint64_t dpa_base, uint64_t size, char *err, size_t cap)
{
	void *m = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (m == MAP_FAILED) {
		int e = errno;

		mem_errf(err, cap, "cannot reserve a host window of 0x%llx bytes: %s",
			 (unsigned long long)size, strerror(e));
		return -e;
	}
	w->base = m;
	w->dpa_base = dpa_base;
	w->size = size;
	return 0;
}

void mem_window_release(struct mem_window *w)
{
	if (w->base)
		munmap(w->base, w->size);
	w->base = NULL;
}

static bool in_window(const struct mem_window *w, uint64_t dpa, uint64_t len)
{
	return w->base && dpa >= w->dpa_base && dpa - w->dpa_base <= w->size &&
	       len <= w->size - (dpa - w->dpa_base);
}

static int map_failed(int e, uint64_t dpa, uint64_t len, const char *what, char *err, size_t cap)
{
	if (e == ENOMEM)
		mem_errf(err, cap, "%s dpa=0x%llx len=0x%llx: %s (vm.max_map_count=%ld may be reached)",
			 what, (unsigned long long)dpa, (unsigned long long)len, strerror(e),
			 max_map_count());
	else
		mem_errf(err, cap, "%s dpa=0x%llx len=0x%llx: %s", what, (unsigned long long)dpa,
			 (unsigned long long)len, strerror(e));
	return -e;
}

int mem_window_map(struct mem_window *w, uint64_t dpa, uint64_t len, int fd, uint64_t off,
		   bool writable, char *err, size_t cap)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *at, *m;

	if (!in_window(w, dpa, len)) {
		mem_errf(err, cap, "dpa=0x%llx len=0x%llx is outside the host window",
			 (unsigned long long)dpa, (unsigned long long)len);
		return -EINVAL;
	}
	at = w->base + (dpa - w->dpa_base);
	m = mmap(at, len, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off);
	if (m == MAP_FAILED)
		return map_failed(errno, dpa, len, "cannot map", err, cap);
	return 0;
}

int mem_window_unmap(struct mem_window *w, uint64_t dpa, uint64_t len, char *err, size_t cap)
{
	void *at, *m;

	if (!in_window(w, dpa, len))
		return -EINVAL;
	at = w->base + (dpa - w->dpa_base);
	m = mmap(at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (m != MAP_FAILED)
		return 0;
	/* Could not re-reserve (VMA limit): at least take the access away. */
	if (mprotect(at, len, PROT_NONE) == 0)
		return 0;
	return map_failed(errno, dpa, len, "cannot unmap", err, cap);
}
