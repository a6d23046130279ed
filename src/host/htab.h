/* SPDX-License-Identifier: MIT */
/*
 * htab.h - an intrusive chained hash table keyed by a 64-bit value.
 *
 * The caller embeds a struct hnode, picks the key (a group id, a hash of a
 * tag, of a file's identity) and compares the full identity itself when
 * keys can collide: htab_first()/htab_next() yield every node with the key.
 * The table doubles when it holds as many nodes as buckets, so lookups stay
 * O(1) expected; when growing fails it keeps working with longer chains.
 */
#ifndef CXLDCD_HOST_HTAB_H
#define CXLDCD_HOST_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct hnode {
	struct hnode *next;
	uint64_t key;
};

#define hnode_entry(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct htab {
	struct hnode **b;
	unsigned bits;              /* 1 << bits buckets; 0: none allocated yet */
	size_t count;
};

void htab_init(struct htab *t);
/* Free the buckets (the nodes are the caller's). */
void htab_fini(struct htab *t);
/* Link n under key.  Return 0 or -ENOMEM (no bucket array at all). */
int htab_insert(struct htab *t, struct hnode *n, uint64_t key);
/* Unlink n (which must be linked in t). */
void htab_remove(struct htab *t, struct hnode *n);
struct hnode *htab_first(const struct htab *t, uint64_t key);
struct hnode *htab_next(const struct hnode *n);

/* A well-mixed 64-bit key for len bytes (FNV-1a, then a finaliser). */
uint64_t htab_hash_bytes(const void *p, size_t len);

#endif /* CXLDCD_HOST_HTAB_H */
