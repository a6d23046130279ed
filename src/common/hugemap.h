/* SPDX-License-Identifier: MIT */
/*
 * hugemap.h - anonymous memory mapped on a 2 MiB boundary, its whole 2 MiB
 * units advised MADV_HUGEPAGE, for a block that is filled at once (the
 * model's bulk memory on restore; the snapshot file read for the load,
 * persist.c): filling a huge page costs one fault where
 * 512 small pages cost 512 (docs/performance.md,
 * "Session 6: restart first touch", "Session 9: snapshot load").  The
 * mapping is len rounded up to whole units, all of them advised: the last
 * unit too, though len may end inside it (once touched, its 2 MiB are
 * backed; the user of a slab chunk fills the rest with more objects,
 * slab_reserve()).  A part the kernel gives no huge page takes small pages.
 * Header-only: the model links libc alone.
 */
#ifndef CXLDCD_COMMON_HUGEMAP_H
#define CXLDCD_COMMON_HUGEMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#define HUGEMAP_UNIT ((size_t)2 << 20)

/* len rounded up to whole units (what hugemap_new() maps), 0 on overflow. */
static inline size_t hugemap_span(size_t len)
{
	size_t span = (len + HUGEMAP_UNIT - 1) & ~(HUGEMAP_UNIT - 1);

	return span < len || span + HUGEMAP_UNIT < span ? 0 : span;
}

/* A zeroed mapping of hugemap_span(len) bytes, or NULL. */
static inline void *hugemap_new(size_t len)
{
	size_t span = hugemap_span(len), lead;
	char *p;

	if (!span)
		return NULL;
	p = mmap(NULL, span + HUGEMAP_UNIT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* keep the aligned span: unmap what lies before and after it */
	lead = (HUGEMAP_UNIT - (uintptr_t)p % HUGEMAP_UNIT) % HUGEMAP_UNIT;
	if (lead)
		munmap(p, lead);
	munmap(p + lead + span, HUGEMAP_UNIT - lead);
	p += lead;
#ifdef MADV_HUGEPAGE
	madvise(p, span, MADV_HUGEPAGE); /* advice: without THP, small pages */
#endif
	return p;
}

static inline void hugemap_free(void *p, size_t len)
{
	if (p)
		munmap(p, hugemap_span(len));
}

#endif /* CXLDCD_COMMON_HUGEMAP_H */
