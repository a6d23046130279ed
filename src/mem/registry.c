/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the set of memory backends of a daemon, indexed by id and by
 * tag.  Two chained hash tables (FNV-1a over the id's or the tag's bytes,
 * mixed) give O(1) lookups; a list keeps creation order for query-memdev.
 * Rules: ids are unique, and a tag belongs to at most one backend.  A
 * backend cannot be deleted while accepted extents are bound to it or a
 * device uses it as its volatile-dc-memdev.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/tag.h"
#include "mem/backend.h"

struct mem_registry {
	struct mem_backend **by_id;
	struct mem_backend **by_tag;
	uint32_t nr_buckets;       /* power of two */
	uint32_t count;
	struct mem_backend *head, *tail;
};

/* Spread every input bit over the low bits the bucket mask keeps (murmur3's finalizer). */
static uint32_t mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t hash_id(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return mix(h);
}

/*
 * FNV-1a over every byte, then mixed: tags that differ in any byte, the
 * last ones included, land in different buckets.  (Folding 32-bit words
 * with a multiply kept a difference in a word's high byte out of the low
 * bits, so tags differing only there shared one chain.)
 */
static uint32_t hash_tag(const uint8_t *t)
{
	uint32_t h = 2166136261u;

	for (unsigned int i = 0; i < CXLDCD_TAG_SIZE; i++)
		h = (h ^ t[i]) * 16777619u;
	return mix(h);
}

int mem_registry_new(struct mem_registry **out)
{
	struct mem_registry *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return -ENOMEM;
	reg->nr_buckets = 16;
	reg->by_id = calloc(reg->nr_buckets, sizeof(*reg->by_id));
	reg->by_tag = calloc(reg->nr_buckets, sizeof(*reg->by_tag));
	if (!reg->by_id || !reg->by_tag) {
		mem_registry_free(reg);
		return -ENOMEM;
	}
	*out = reg;
	return 0;
}

void mem_registry_free(struct mem_registry *reg)
{
	struct mem_backend *b, *next;

	if (!reg)
		return;
	for (b = reg->head; b; b = next) {
		next = b->next;
		mem_backend_free(b);
	}
	free(reg->by_id);
	free(reg->by_tag);
	free(reg);
}

static void link_hashes(struct mem_backend **by_id, struct mem_backend **by_tag, uint32_t mask,
			struct mem_backend *b)
{
	uint32_t i = hash_id(b->id) & mask;

	b->id_next = by_id[i];
	by_id[i] = b;
	if (b->has_tag) {
		i = hash_tag(b->tag) & mask;
		b->tag_next = by_tag[i];
		by_tag[i] = b;
	}
}

/* Double the tables when the load passes 1; failure just keeps the old size. */
static void maybe_grow(struct mem_registry *reg)
{
	uint32_t n = reg->nr_buckets * 2;
	struct mem_backend **by_id, **by_tag;

	if (reg->count < reg->nr_buckets || n == 0)
		return;
	by_id = calloc(n, sizeof(*by_id));
	by_tag = calloc(n, sizeof(*by_tag));
	if (!by_id || !by_tag) {
		free(by_id);
		free(by_tag);
		return;
	}
	for (struct mem_backend *b = reg->head; b; b = b->next)
		link_hashes(by_id, by_tag, n - 1, b);
	free(reg->by_id);
	free(reg->by_tag);
	reg->by_id = by_id;
	reg->by_tag = by_tag;
	reg->nr_buckets = n;
}

struct mem_backend *mem_registry_find(const struct mem_registry *reg, const char *id)
{
	struct mem_backend *b;

	if (!id)
		return NULL;
	for (b = reg->by_id[hash_id(id) & (reg->nr_buckets - 1)]; b; b = b->id_next)
		if (!strcmp(b->id, id))
			return b;
	return NULL;
}

struct mem_backend *mem_registry_find_tag(const struct mem_registry *reg,
					  const uint8_t tag[CXLDCD_TAG_SIZE])
{
	struct mem_backend *b;

	for (b = reg->by_tag[hash_tag(tag) & (reg->nr_buckets - 1)]; b; b = b->tag_next)
		if (!memcmp(b->tag, tag, CXLDCD_TAG_SIZE))
			return b;
	return NULL;
}

/* QEMU's text for an object id in use (object_property_try_add() on /objects): -object and object-add. */
#define QEMU_DUP_ID "attempt to add duplicate property '%s' to object (type 'container')"

int mem_registry_insert(struct mem_registry *reg, struct mem_backend *b, char *err, size_t cap)
{
	struct mem_backend *other;

	if (mem_registry_find(reg, b->id)) {
		mem_errf(err, cap, QEMU_DUP_ID, b->id);
		return -EEXIST;
	}
	if (b->has_tag && (other = mem_registry_find_tag(reg, b->tag))) {
		mem_errf(err, cap, "tag=%s already belongs to backend %s", b->tag_str, other->id);
		return -EEXIST;
	}
	b->reg = reg;
	b->next = NULL;
	b->prev = reg->tail;
	if (reg->tail)
		reg->tail->next = b;
	else
		reg->head = b;
	reg->tail = b;
	reg->count++;
	link_hashes(reg->by_id, reg->by_tag, reg->nr_buckets - 1, b);
	maybe_grow(reg);
	return 0;
}

int mem_registry_add(struct mem_registry *reg, const struct mem_backend_props *p,
		     struct mem_backend **out, char *err, size_t cap)
{
	struct mem_backend *b;
	int rc;

	/* Check the id first, so a duplicate never creates (or truncates) a file. */
	if (p->id && mem_registry_find(reg, p->id)) {
		mem_errf(err, cap, QEMU_DUP_ID, p->id);
		return -EEXIST;
	}
	if (p->tag) {
		uint8_t tag[CXLDCD_TAG_SIZE];

		if (common_tag_parse(p->tag, tag, NULL, 0) == 0 && (b = mem_registry_find_tag(reg, tag))) {
			mem_errf(err, cap, "tag=%s already belongs to backend %s", b->tag_str, b->id);
			return -EEXIST;
		}
	}
	rc = mem_backend_new(p, &b, err, cap);
	if (rc)
		return rc;
	rc = mem_registry_insert(reg, b, err, cap);
	if (rc) {
		mem_backend_discard(b);
		return rc;
	}
	if (out)
		*out = b;
	return 0;
}

static void unlink_chain(struct mem_backend **head, struct mem_backend *b, bool tag)
{
	struct mem_backend **pp = head;

	while (*pp && *pp != b)
		pp = tag ? &(*pp)->tag_next : &(*pp)->id_next;
	if (*pp)
		*pp = tag ? b->tag_next : b->id_next;
}

int mem_registry_del(struct mem_registry *reg, const char *id, char *err, size_t cap)
{
	struct mem_backend *b = mem_registry_find(reg, id);
	uint32_t mask = reg->nr_buckets - 1;
	int rc;

	if (!b) {
		mem_errf(err, cap, "no memory backend with id=%s", id ? id : "(null)");
		return -ENOENT;
	}
	rc = mem_backend_busy_msg(b, err, cap);
	if (rc)
		return rc;
	unlink_chain(&reg->by_id[hash_id(b->id) & mask], b, false);
	if (b->has_tag)
		unlink_chain(&reg->by_tag[hash_tag(b->tag) & mask], b, true);
	if (b->prev)
		b->prev->next = b->next;
	else
		reg->head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	else
		reg->tail = b->prev;
	reg->count--;
	mem_backend_free(b);
	return 0;
}

uint32_t mem_registry_count(const struct mem_registry *reg)
{
	return reg->count;
}

uint32_t mem_registry_longest_chain(const struct mem_registry *reg, bool by_tag)
{
	uint32_t longest = 0;

	for (uint32_t i = 0; i < reg->nr_buckets; i++) {
		uint32_t n = 0;

		for (const struct mem_backend *b = by_tag ? reg->by_tag[i] : reg->by_id[i]; b;
		     b = by_tag ? b->tag_next : b->id_next)
			n++;
		if (n > longest)
			longest = n;
	}
	return longest;
}

struct mem_backend *mem_registry_first(const struct mem_registry *reg)
{
	return reg->head;
}

struct mem_backend *mem_registry_next(const struct mem_registry *reg, const struct mem_backend *b)
{
	(void)reg;
	return b ? b->next : NULL;
}
