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
 * Pages come from the device's allocator hook (core_zalloc()), so fault
 * injection still reaches every allocation that can fail.  A whole-struct
 * assignment to an object would clear its page index: SLAB_SET() in model.h
 * assigns a compound literal and keeps it.
 */
#include <assert.h>

#include "core/model.h"

struct slab_page {
	struct slab_page *prev, *next; /* pages with a free object */
	void *free;                    /* freed objects, linked through their first word */
	uint32_t nfree;                /* free objects: freed + never carved */
	uint32_t carved;               /* objects [0, carved) were handed out once */
	uint32_t idx;                  /* in slab->pages */
	uint32_t pad;
	/* SLAB_PER_PAGE objects follow */
};

_Static_assert(sizeof(struct slab_page) % 8 == 0, "objects stay 8-byte aligned");

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

static struct slab_page *page_new(struct cxldcd_dev *dev, struct slab *s)
{
	struct slab_page *pg;

	if (s->nr_pages == s->cap_pages) {
		uint32_t cap = s->cap_pages ? 2 * s->cap_pages : 16;
		struct slab_page **pages = core_zalloc(dev, sizeof(*pages) * cap);

		if (!pages)
			return NULL;
		if (s->nr_pages)
			memcpy(pages, s->pages, sizeof(*pages) * s->nr_pages);
		core_free(dev, s->pages);
		s->pages = pages;
		s->cap_pages = cap;
	}
	pg = core_zalloc(dev, sizeof(*pg) + (size_t)SLAB_PER_PAGE * s->size);
	if (!pg)
		return NULL;
	pg->nfree = SLAB_PER_PAGE;
	pg->idx = s->nr_pages++;
	s->pages[pg->idx] = pg;
	partial_link(s, pg);
	return pg;
}

void *slab_zalloc(struct cxldcd_dev *dev, struct slab *s)
{
	struct slab_page *pg = s->partial ? s->partial : page_new(dev, s);
	char *obj;

	if (!pg)
		return NULL;
	if (pg->free) {
		obj = pg->free;
		memcpy(&pg->free, obj, sizeof(pg->free));
	} else {
		obj = obj_at(s, pg, pg->carved++);
	}
	if (pg == s->empty)
		s->empty = NULL;
	if (!--pg->nfree)
		partial_unlink(s, pg);
	memset(obj, 0, s->size);
	set_idx(s, obj, pg->idx);
	s->live++;
	return obj;
}

/* pg has no live object: give it back, the last page taking its index. */
static void page_free(struct cxldcd_dev *dev, struct slab *s, struct slab_page *pg)
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
	core_free(dev, pg);
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
	if (!s->empty) {
		s->empty = pg; /* keep one */
		return;
	}
	page_free(dev, s, pg);
}

void slab_fini(struct cxldcd_dev *dev, struct slab *s)
{
	for (uint32_t i = 0; i < s->nr_pages; i++)
		core_free(dev, s->pages[i]);
	core_free(dev, s->pages);
	memset(s, 0, sizeof(*s));
}
