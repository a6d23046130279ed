/* SPDX-License-Identifier: MIT */
/*
 * htab.c - intrusive chained hash table (see htab.h).
 */
#include "host/htab.h"

#include <errno.h>
#include <stdlib.h>

#define HTAB_MIN_BITS 4u

/* Fibonacci hashing: the top bits of key * 2^64/phi spread sequential ids well. */
static size_t bucket(const struct htab *t, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> (64u - t->bits));
}

void htab_init(struct htab *t)
{
	t->b = NULL;
	t->bits = 0;
	t->count = 0;
}

void htab_fini(struct htab *t)
{
	free(t->b);
	htab_init(t);
}

static void grow(struct htab *t)
{
	unsigned bits = t->bits ? t->bits + 1 : HTAB_MIN_BITS;
	size_t old_n = t->bits ? (size_t)1 << t->bits : 0;
	struct hnode **nb = calloc((size_t)1 << bits, sizeof(*nb)), **ob = t->b;

	if (!nb)
		return;
	t->b = nb;
	t->bits = bits;
	for (size_t i = 0; i < old_n; i++) {
		for (struct hnode *n = ob[i], *next; n; n = next) {
			size_t k = bucket(t, n->key);

			next = n->next;
			n->next = nb[k];
			nb[k] = n;
		}
	}
	free(ob);
}

int htab_insert(struct htab *t, struct hnode *n, uint64_t key)
{
	size_t k;

	if (!t->bits || t->count >= (size_t)1 << t->bits)
		grow(t);
	if (!t->bits)
		return -ENOMEM;
	k = bucket(t, key);
	n->key = key;
	n->next = t->b[k];
	t->b[k] = n;
	t->count++;
	return 0;
}

void htab_remove(struct htab *t, struct hnode *n)
{
	struct hnode **pp = &t->b[bucket(t, n->key)];

	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = n->next;
		t->count--;
	}
	n->next = NULL;
}

static struct hnode *same_key(struct hnode *n, uint64_t key)
{
	while (n && n->key != key)
		n = n->next;
	return n;
}

struct hnode *htab_first(const struct htab *t, uint64_t key)
{
	return t->bits ? same_key(t->b[bucket(t, key)], key) : NULL;
}

struct hnode *htab_next(const struct hnode *n)
{
	return same_key(n->next, n->key);
}

uint64_t htab_hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}
