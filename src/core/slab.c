/* SPDX-License-Identifier: MIT */
/*
 * slab.c - the model's small fixed-size objects (allocations, holds, tags)
 * packed in pages of SLAB_PER_PAGE, one cache per kind.  malloc() would add
 * an 8-byte header to each and round it up to 16 bytes: a 64-byte struct
 * alloc took 80 bytes, a 32-byte struct hx 48.  Here an object takes its own
 * size, plus its share of a page header.
 *
 * Each object keeps the index of its page in a uint32_t the owning struct
 * sets aside (at idx_off, past the first word, which links free objects),
 * so freeing is O(1) without aligned pages.  A page whose objects are all
 * free goes back to the allocator, except one kept to absorb an
 * alloc/free cycle at a page boundary; the last page moves into the freed
 * index (its objects' indexes are rewritten: SLAB_PER_PAGE stores).
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
 * assignment to an object would clear its page index: SLAB_SET() in model.h
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

static void set_idx(const struct slab *s, void *obj, uint32_t idx)
{
	memcpy((char *)obj + s->idx_off, &idx, sizeof(idx));
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

	if (k <= s->cap_pages - s->nr_pages)
		return 0;
	if (k > UINT32_MAX / 2 - s->nr_pages)
		return -ENOMEM;
	while (cap - s->nr_pages < k)
		cap *= 2;
	pages = core_zalloc(dev, sizeof(*pages) * cap);
	if (!pages)
		return -ENOMEM;
	if (s->nr_pages)
		memcpy(pages, s->pages, sizeof(*pages) * s->nr_pages);
	core_free(dev, s->pages);
	s->pages = pages;
	s->cap_pages = cap;
	return 0;
}

/* pg, all of its objects free, joins the slab (pages[] has room). */
static void page_add(struct slab *s, struct slab_page *pg)
{
	pg->nfree = SLAB_PER_PAGE;
	pg->idx = s->nr_pages++;
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
	char *obj;

	if (!pg)
		return NULL;
	if (pg->free) {
		obj = pg->free;
		memcpy(&pg->free, obj, sizeof(pg->free));
		memset(obj, 0, s->size);
	} else {
		/* never handed out: zero as its page came (core_zalloc(), core_zalloc_bulk()) */
		obj = obj_at(s, pg, pg->carved++);
	}
	if (pg == s->empty)
		s->empty = NULL;
	if (pg->in_chunk && pg->nfree == SLAB_PER_PAGE)
		page_chunk(s, pg)->nr_empty--;
	if (!--pg->nfree)
		partial_unlink(s, pg);
	set_idx(s, obj, pg->idx);
	s->live++;
	return obj;
}

/* pg leaves pages[] and the partial list, the last page taking its index. */
static void page_unlist(struct slab *s, struct slab_page *pg)
{
	struct slab_page *last = s->pages[--s->nr_pages];

	partial_unlink(s, pg);
	if (last != pg) {
		last->idx = pg->idx;
		s->pages[last->idx] = last;
		for (uint32_t i = 0; i < last->carved; i++)
			set_idx(s, obj_at(s, last, i), last->idx); /* free ones too: harmless */
	}
	s->pages[s->nr_pages] = NULL;
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
	uint32_t idx;

	if (!p)
		return;
	memcpy(&idx, (char *)p + s->idx_off, sizeof(idx));
	assert(idx < s->nr_pages);
	pg = s->pages[idx];
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
	for (uint32_t i = 0; i < s->nr_pages; i++)
		if (!s->pages[i]->in_chunk)
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
	assert(s->chunks && !s->chunks->next && s->nr_pages == s->chunks->nr_pages);
	*q = (struct slab_seq){ .first = (char *)chunk_page(s, s->chunks, 0), .page_bytes = page_bytes(s),
				.size = s->size };
}

size_t slab_bytes(const struct slab *s)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->nr_pages; i++)
		n += s->pages[i]->in_chunk ? 0 : page_bytes(s);
	for (const struct slab_chunk *c = s->chunks; c; c = c->next)
		n += c->bytes;
	return n;
}
