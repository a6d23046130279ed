/* SPDX-License-Identifier: MIT */
/*
 * slab.c - the model's small fixed-size objects (allocations, holds, tags)
 * packed in pages of SLAB_PER_PAGE, one cache per kind.  malloc() would add
 * an 8-byte header to each and round it up to 16 bytes: a 64-byte struct
 * alloc took 80 bytes, a 32-byte struct hx 48.  Here an object takes its own
 * size, plus its share of a page header.
 *
 * Each object keeps its number in a uint32_t the owning struct sets aside
 * (at idx_off, past the first word, which links free objects): its page's
 * index times SLAB_PER_PAGE plus its place in the page, so freeing is O(1)
 * without aligned pages, and the number names the object for as long as it
 * lives (slab_at(): the model links allocations by it, 4 bytes where a
 * pointer took 8).  A page whose objects are all free goes back to the
 * allocator, except one kept to absorb an alloc/free cycle at a page
 * boundary; its index is a hole in pages[] that the next page takes (no
 * page moves to another index).  At most SLAB_MAX_PAGES indexes, so that
 * a number + 1 fits 32 bits.
 *
 * A restore knows how many objects it will make: slab_reserve() takes
 * their pages in one chunk (core_zalloc_bulk(): huge pages when large), so
 * filling them takes a page fault per 2 MiB, not per page of objects.  A
 * chunk's pages serve like the others, but are not given back one by one:
 * an empty one stays in the slab for reuse, and the chunk goes back whole
 * when all its pages are empty.
 *
 * Pages and chunks come from the device's allocator hook (core_zalloc(),
 * core_zalloc_bulk()), so fault injection still reaches every allocation
 * that can fail.  A whole-struct
 * assignment to an object would clear its number: SLAB_SET() in model.h
 * assigns a compound literal and keeps it.
 */
#include <assert.h>

#include "core/model.h"

struct slab_chunk {
	struct slab_chunk *next;       /* the slab's chunks */
	size_t bytes;                  /* as allocated (core_free_bulk()) */
	uint32_t nr_pages;             /* the pages that follow */
	uint32_t nr_empty;             /* of them, those with no live object */
};

_Static_assert(sizeof(struct slab_page) % 8 == 0, "objects stay 8-byte aligned");
_Static_assert(sizeof(struct slab_chunk) % 8 == 0, "chunk pages stay 8-byte aligned");

void slab_init(struct slab *s, size_t size, size_t idx_off)
{
	assert(idx_off >= sizeof(void *) && idx_off + sizeof(uint32_t) <= size);
	memset(s, 0, sizeof(*s));
	s->size = (uint32_t)((size + 7u) & ~(size_t)7u);
	s->idx_off = (uint32_t)idx_off;
}

static char *obj_at(const struct slab *s, struct slab_page *pg, uint32_t i)
{
	return (char *)(pg + 1) + (size_t)i * s->size;
}

static size_t page_bytes(const struct slab *s)
{
	return sizeof(struct slab_page) + (size_t)SLAB_PER_PAGE * s->size;
}

/* (Through void *: page_bytes() is a multiple of 8, so the pages stay aligned.) */
static struct slab_page *chunk_page(const struct slab *s, struct slab_chunk *c, uint32_t i)
{
	void *pg = (char *)(c + 1) + (size_t)i * page_bytes(s);

	return pg;
}

static struct slab_chunk *page_chunk(const struct slab *s, struct slab_page *pg)
{
	void *first = (char *)pg - (size_t)(pg->in_chunk - 1) * page_bytes(s);

	return (struct slab_chunk *)first - 1;  /* the header before the chunk's first page */
}

static void set_num(const struct slab *s, void *obj, uint32_t num)
{
	memcpy((char *)obj + s->idx_off, &num, sizeof(num));
}

/* A hole in pages[] holds the next hole's index + 1 (0: the last), shifted, with bit 0 set. */
static bool is_hole(const struct slab_page *p)
{
	return (uintptr_t)p & 1u;
}

static struct slab_page *hole_of(uint32_t next)
{
	return (struct slab_page *)(((uintptr_t)next << 1) | 1u);
}

static void partial_link(struct slab *s, struct slab_page *pg)
{
	pg->prev = NULL;
	pg->next = s->partial;
	if (s->partial)
		s->partial->prev = pg;
	s->partial = pg;
}

static void partial_unlink(struct slab *s, struct slab_page *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		s->partial = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	pg->prev = pg->next = NULL;
}

/* Room in s->pages for k more pages. */
static int pages_reserve(struct cxldcd_dev *dev, struct slab *s, uint32_t k)
{
	uint32_t cap = s->cap_pages ? s->cap_pages : 16;
	struct slab_page **pages;

	if (k <= s->cap_pages - s->nr_idx)
		return 0;
	if (k > SLAB_MAX_PAGES - s->nr_idx)
		return -ENOMEM;
	while (cap - s->nr_idx < k)
		cap = cap > SLAB_MAX_PAGES / 2 ? SLAB_MAX_PAGES : cap * 2;
	pages = core_zalloc(dev, sizeof(*pages) * cap);
	if (!pages)
		return -ENOMEM;
	if (s->nr_idx)
		memcpy(pages, s->pages, sizeof(*pages) * s->nr_idx);
	core_free(dev, s->pages);
	s->pages = pages;
	s->cap_pages = cap;
	return 0;
}

/* pg, all of its objects free, joins the slab (pages[] has room). */
static void page_add(struct slab *s, struct slab_page *pg)
{
	pg->nfree = SLAB_PER_PAGE;
	if (s->hole) {
		pg->idx = s->hole - 1;
		s->hole = (uint32_t)((uintptr_t)s->pages[pg->idx] >> 1);
	} else {
		pg->idx = s->nr_idx++;
	}
	s->nr_pages++;
	s->pages[pg->idx] = pg;
	partial_link(s, pg);
}

static struct slab_page *page_new(struct cxldcd_dev *dev, struct slab *s)
{
	struct slab_page *pg;

	if (pages_reserve(dev, s, 1))
		return NULL;
	pg = core_zalloc(dev, page_bytes(s));
	if (!pg)
		return NULL;
	page_add(s, pg);
	return pg;
}

int slab_reserve(struct cxldcd_dev *dev, struct slab *s, uint32_t n)
{
	uint64_t have = (uint64_t)s->nr_pages * SLAB_PER_PAGE - s->live, bytes;
	struct slab_chunk *c;
	uint32_t np;

	if (n <= have)
		return 0;
	np = (uint32_t)((n - have + SLAB_PER_PAGE - 1) / SLAB_PER_PAGE);
	bytes = sizeof(*c) + (uint64_t)np * page_bytes(s);
	if (bytes > SIZE_MAX / 2)
		return -ENOMEM;
	/*
	 * A mapped chunk is whole 2 MiB units, each a huge page once touched:
	 * pages of objects to the end of the last one, for the adds after the
	 * restore, rather than up to 2 MiB backed and unused (or, before, a
	 * small-page fault per 4 KiB of the tail).
	 */
	bytes = core_bulk_span(dev, (size_t)bytes);
	np = (uint32_t)((bytes - sizeof(*c)) / page_bytes(s));
	if (pages_reserve(dev, s, np))
		return -ENOMEM;
	c = core_zalloc_bulk(dev, (size_t)bytes);
	if (!c)
		return -ENOMEM;
	*c = (struct slab_chunk){ .next = s->chunks, .bytes = (size_t)bytes, .nr_pages = np,
				  .nr_empty = np };
	s->chunks = c;
	/* last first: the partial list then hands out the chunk in address order */
	for (uint32_t i = np; i-- > 0;) {
		struct slab_page *pg = chunk_page(s, c, i);

		pg->in_chunk = i + 1;
		page_add(s, pg);
	}
	return 0;
}

void *slab_zalloc_slow(struct cxldcd_dev *dev, struct slab *s)
{
	struct slab_page *pg = s->partial ? s->partial : page_new(dev, s);
	uint32_t num;
	char *obj;

	if (!pg)
		return NULL;
	if (pg->free) {
		obj = pg->free;
		memcpy(&pg->free, obj, sizeof(pg->free));
		memcpy(&num, obj + s->idx_off, sizeof(num));    /* kept while it was free */
		memset(obj, 0, s->size);
	} else {
		/* never handed out: zero as its page came (core_zalloc(), core_zalloc_bulk()) */
		num = pg->idx * SLAB_PER_PAGE + pg->carved;
		obj = obj_at(s, pg, pg->carved++);
	}
	if (pg == s->empty)
		s->empty = NULL;
	if (pg->in_chunk && pg->nfree == SLAB_PER_PAGE)
		page_chunk(s, pg)->nr_empty--;
	if (!--pg->nfree)
		partial_unlink(s, pg);
	set_num(s, obj, num);
	s->live++;
	return obj;
}

/* pg leaves pages[] (its index a hole for the next page) and the partial list. */
static void page_unlist(struct slab *s, struct slab_page *pg)
{
	partial_unlink(s, pg);
	s->pages[pg->idx] = hole_of(s->hole);
	s->hole = pg->idx + 1;
	s->nr_pages--;
}

/* The last page of chunk c emptied: its pages leave the slab, the chunk goes back. */
static void chunk_free(struct cxldcd_dev *dev, struct slab *s, struct slab_chunk *c)
{
	struct slab_chunk **pp = &s->chunks;

	for (uint32_t i = 0; i < c->nr_pages; i++)
		page_unlist(s, chunk_page(s, c, i));
	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	core_free_bulk(dev, c, c->bytes);
}

void slab_free(struct cxldcd_dev *dev, struct slab *s, void *p)
{
	struct slab_page *pg;
	uint32_t num;

	if (!p)
		return;
	memcpy(&num, (char *)p + s->idx_off, sizeof(num));
	assert(num / SLAB_PER_PAGE < s->nr_idx && !is_hole(s->pages[num / SLAB_PER_PAGE]));
	pg = s->pages[num / SLAB_PER_PAGE];
	assert((char *)p == obj_at(s, pg, num % SLAB_PER_PAGE));
	assert((char *)p >= obj_at(s, pg, 0) && (char *)p < obj_at(s, pg, pg->carved));
	memcpy(p, &pg->free, sizeof(pg->free));
	pg->free = p;
	if (!pg->nfree++)
		partial_link(s, pg);
	s->live--;
	if (pg->nfree < SLAB_PER_PAGE)
		return;
	if (pg->in_chunk) {
		struct slab_chunk *c = page_chunk(s, pg);

		if (++c->nr_empty == c->nr_pages)
			chunk_free(dev, s, c);
		return;
	}
	if (!s->empty) {
		s->empty = pg; /* keep one */
		return;
	}
	page_unlist(s, pg);
	core_free(dev, pg);
}

void slab_fini(struct cxldcd_dev *dev, struct slab *s)
{
	for (uint32_t i = 0; i < s->nr_idx; i++)
		if (!is_hole(s->pages[i]) && !s->pages[i]->in_chunk)
			core_free(dev, s->pages[i]);
	while (s->chunks) {
		struct slab_chunk *c = s->chunks;

		s->chunks = c->next;
		core_free_bulk(dev, c, c->bytes);
	}
	core_free(dev, s->pages);
	*s = (struct slab){ .size = s->size, .idx_off = s->idx_off };
}

void slab_seq_of(const struct slab *s, struct slab_seq *q)
{
	assert(s->chunks && !s->chunks->next && s->nr_pages == s->chunks->nr_pages && s->nr_idx == s->nr_pages);
	*q = (struct slab_seq){ .first = (char *)chunk_page(s, s->chunks, 0), .page_bytes = page_bytes(s),
				.size = s->size };
}

size_t slab_bytes(const struct slab *s)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->nr_idx; i++)
		n += is_hole(s->pages[i]) || s->pages[i]->in_chunk ? 0 : page_bytes(s);
	for (const struct slab_chunk *c = s->chunks; c; c = c->next)
		n += c->bytes;
	return n;
}
