/* SPDX-License-Identifier: MIT */
/*
 * tag.c - live tags: a hash from the 16-byte tag to its entry (allocations
 * carrying it, per-host pending/accepted counts, the FM reference), the tag
 * queries (5608h-style list, status), the FM reference commands 5606h/5607h
 * (CXL r3.2 §7.6.7.6.7-8), and a bounded memory of released (host, tag)
 * pairs for core_tag_status().
 *
 * Creation order (5608h paging, the QMP query, checkpoints) is an array of
 * slots filled in creation order, a departed tag leaving a hole, with a
 * Fenwick tree counting the live slots: the n-th live tag is a descent of
 * O(log n) and the one after a tag is usually the next slot.  The array
 * grows (or is compacted) in tag_reserve() before an add commits, and is
 * compacted in place when three quarters of it are holes.
 */
#include <stdio.h>

#include "core/model.h"

/*
 * The hash has a bucket per live tag or more (a power of two, from
 * MIN_BUCKETS): tag_reserve() doubles it before an add or a restore would
 * pass one tag per bucket, so a lookup walks about one entry at any count.
 * It was sized once from max_tags and capped at 65,536 buckets: 15 entries
 * a chain at a million tags, and 512 KiB zeroed up front for any device
 * configured for as many.
 *
 * The growth is incremental: the new table is allocated (calloc: pages of
 * zeros, not touched) and the old one's buckets move over HASH_STEP at a
 * time, in order, at each tag_link() and tag_unlink_free(), a tag staying
 * in the old table while its old bucket has not moved (model.h).  Moving
 * every tag at once cost the one add that passed 2^20 tags 1.4 s (a cache
 * miss per tag and, after a snapshot's fork, a copy of each page of tags:
 * the move rewrites t->hnext).  HASH_STEP buckets a link empty the old
 * table (as many buckets as tags) after a quarter as many links as it has
 * buckets, long before the new one (twice the buckets) is full; an add of
 * more tags than that at once finishes the move first, as does a restore,
 * and a table of up to HASH_AT_ONCE buckets is moved at once.
 */
#define MIN_BUCKETS 16u
#define MAX_BUCKETS (1u << 26)
#define HASH_STEP 4u
#define HASH_AT_ONCE 1024u

/*
 * The tag as two 64-bit words, each multiplied in and its high half folded
 * down, so every bit of the tag reaches the low bits a bucket takes.
 * Three dependent multiplies, where a byte-at-a-time FNV-1a took sixteen: a
 * restore and its check hash every tag.  Host byte order: the value is never
 * stored.
 */
static uint32_t hash(const uint8_t id[CXLDCD_TAG_SIZE])
{
	uint64_t lo, hi, h;

	memcpy(&lo, id, 8);
	memcpy(&hi, id + 8, 8);
	h = lo * 0x9e3779b97f4a7c15ull;
	h ^= h >> 32;
	h ^= hi;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 29;
	return (uint32_t)h;
}

/*
 * A table of 2 MiB or more (262,144 buckets) is bulk memory: huge pages,
 * where a restore of 110,000 tags filled its table in small pages (a
 * fault per 512 buckets).  A restore makes a table of 1 MiB 2 MiB, twice
 * the buckets (it grows again only at 262,144 tags); the adds do not (the
 * resident memory per tag: docs/performance.md, "Session 9: snapshot
 * load").  Freed by its size, the way it came.
 */
#define TABLE_BULK ((size_t)2 << 20)

static struct tag **table_new(struct cxldcd_dev *dev, uint32_t buckets)
{
	size_t bytes = sizeof(struct tag *) * buckets;

	return bytes >= TABLE_BULK ? core_zalloc_bulk(dev, bytes) : core_zalloc(dev, bytes);
}

static void table_free(struct cxldcd_dev *dev, struct tag **t, uint32_t buckets)
{
	size_t bytes = sizeof(struct tag *) * buckets;

	if (bytes >= TABLE_BULK)
		core_free_bulk(dev, t, bytes);
	else
		core_free(dev, t);
}

int tag_table_init(struct cxldcd_dev *dev)
{
	dev->tag_hash = table_new(dev, MIN_BUCKETS);
	if (!dev->tag_hash)
		return -ENOMEM;
	dev->tag_hash_mask = MIN_BUCKETS - 1;
	return tag_host_init(dev);
}

/*
 * The chains name tags by their creation-order slots (tag_chain_next(),
 * model.h): the links to the tags that compact_into() moves to other slots
 * are rewritten there (table_renumber()).
 */
/* The chain a tag of hash value h is in: the old table's while its old bucket has not moved. */
static struct tag **chain(const struct cxldcd_dev *dev, uint32_t h)
{
	if (dev->tag_hash_old && (h & dev->tag_hash_old_mask) >= dev->tag_hash_moved)
		return &dev->tag_hash_old[h & dev->tag_hash_old_mask];
	return &dev->tag_hash[h & dev->tag_hash_mask];
}

/* Move up to nb buckets of the old table to the new one; the old table goes with its last. */
static void hash_move(struct cxldcd_dev *dev, uint32_t nb)
{
	for (; dev->tag_hash_old && nb; nb--) {
		struct tag **ob = &dev->tag_hash_old[dev->tag_hash_moved];

		for (struct tag *t = *ob, *next; t; t = next) {
			struct tag **b = &dev->tag_hash[hash(t->id) & dev->tag_hash_mask];

			next = tag_chain_next(dev, t);
			t->hnext = tag_link_to(*b);
			*b = t;
		}
		*ob = NULL;
		if (dev->tag_hash_moved++ == dev->tag_hash_old_mask) {
			table_free(dev, dev->tag_hash_old, dev->tag_hash_old_mask + 1);
			dev->tag_hash_old = NULL;
			dev->tag_hash_old_mask = dev->tag_hash_moved = 0;
		}
	}
}

void tag_hash_settle(struct cxldcd_dev *dev)
{
	if (dev->tag_hash_old)
		hash_move(dev, dev->tag_hash_old_mask + 1 - dev->tag_hash_moved);
}

/*
 * At least a bucket per tag for n live tags, k of them about to come: the
 * table doubled as often as needed, its tags moved over later (hash_move()).
 * A move still under way is finished first (an add of many tags at once);
 * the new table is allocated before anything changes.
 */
static int hash_reserve(struct cxldcd_dev *dev, uint64_t n, uint32_t k, bool whole)
{
	uint32_t have = dev->tag_hash_mask + 1, want = have;
	struct tag **h;

	while (want < n && want < MAX_BUCKETS)
		want <<= 1;
	if (whole && sizeof(*h) * want == TABLE_BULK / 2)
		want <<= 1;     /* a restore's: a whole huge page (table_new()) */
	if (want == have)
		return 0;
	h = table_new(dev, want);
	if (!h)
		return -ENOMEM;
	tag_hash_settle(dev);
	dev->tag_hash_old = dev->tag_hash;
	dev->tag_hash_old_mask = have - 1;
	dev->tag_hash_moved = 0;
	dev->tag_hash = h;
	dev->tag_hash_mask = want - 1;
	if (have <= HASH_AT_ONCE || have <= k)
		tag_hash_settle(dev);   /* no longer than the add's own work */
	return 0;
}

static void arrays_free(struct cxldcd_dev *dev);

void tag_table_fini(struct cxldcd_dev *dev)
{
	tag_host_fini(dev);     /* the tag entries go with their slab (core_dev_free()) */
	arrays_free(dev);
	if (dev->tag_hash)
		table_free(dev, dev->tag_hash, dev->tag_hash_mask + 1);
	if (dev->tag_hash_old)
		table_free(dev, dev->tag_hash_old, dev->tag_hash_old_mask + 1);
}

/* ------------------------------------------------------------ creation order */

static void fw_add(struct cxldcd_dev *dev, uint32_t s, bool inc)
{
	for (uint32_t i = s + 1; i <= dev->tag_cap; i += i & -i) {
		if (inc)
			dev->tag_fw[i]++;
		else
			dev->tag_fw[i]--;
	}
}

/* Live tags in slots [0, s). */
static uint32_t fw_prefix(const struct cxldcd_dev *dev, uint32_t s)
{
	uint32_t n = 0;

	for (uint32_t i = s; i; i &= i - 1)
		n += dev->tag_fw[i];
	return n;
}

uint32_t tag_live_before(const struct cxldcd_dev *dev, uint32_t s)
{
	return fw_prefix(dev, s);
}

/* The slot of the idx-th live tag (idx < nr_tags). */
static uint32_t fw_find(const struct cxldcd_dev *dev, uint32_t idx)
{
	uint32_t pos = 0;

	/* tag_cap need not be a power of two: start from the largest one below it */
	for (uint32_t step = 1u << (31 - __builtin_clz(dev->tag_cap)); step; step >>= 1)
		if (pos + step <= dev->tag_cap && dev->tag_fw[pos + step] <= idx) {
			pos += step;
			idx -= dev->tag_fw[pos];
		}
	return pos;
}

/* fw[] (cap + 1 entries) over slots [0, live) live, the others empty: O(cap). */
static void fw_build(uint32_t *fw, uint32_t cap, uint32_t live)
{
	memset(fw, 0, sizeof(*fw) * (cap + 1u));
	for (uint32_t i = 1; i <= cap; i++) {
		uint32_t j = i + (i & -i);

		fw[i] += i <= live;
		if (j <= cap)
			fw[j] += fw[i];
	}
}

/*
 * The hash chains name the tags by slot (tag_chain_next()): once the tags
 * compact_into() moves have their new slots in t->slot, and while the slot
 * array still resolves the links as they were, every chain is walked once
 * and each link to a tag that moved is rewritten.  O(buckets + tags) as the
 * compaction: it reads every live tag, but writes only the links that
 * change (pages of tags a snapshot's child shares are not copied for the
 * others; a move of every link cost an add 1.4 s at 2^20 tags: see
 * hash_move()).
 */
static void table_renumber(struct cxldcd_dev *dev, struct tag **tab, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i <= to; i++) {
		if (i + 8 <= to)
			__builtin_prefetch(tab[i + 8]);
		for (struct tag *u = tab[i], *v; u; u = v) {
			v = tag_chain_next(dev, u);
			if (v && u->hnext != v->slot + 1)
				u->hnext = v->slot + 1;
		}
	}
}

/*
 * Move the live tags to the front of slot[] (which may be dev->tag_slot
 * itself), in order, and rebuild fw[] (cap + 1 entries) over them.
 */
static void compact_into(struct cxldcd_dev *dev, struct tag **slot, uint32_t *fw, uint32_t cap)
{
	uint32_t w = 0;

	tag_host_renumber(dev);
	if (dev->nr_tags < dev->tag_used) {
		/* a hole below a live tag: those past it take their new slots, then the chains follow */
		for (uint32_t r = 0; r < dev->tag_used; r++) {
			struct tag *t = dev->tag_slot[r];

			if (t && r != w)
				t->slot = w;    /* (before the first hole: untouched, no cache miss) */
			w += t != NULL;
		}
		table_renumber(dev, dev->tag_hash, 0, dev->tag_hash_mask);
		if (dev->tag_hash_old)
			table_renumber(dev, dev->tag_hash_old, dev->tag_hash_moved, dev->tag_hash_old_mask);
		w = 0;
	}
	for (uint32_t r = 0; r < dev->tag_used; r++)
		if (dev->tag_slot[r])
			slot[w++] = dev->tag_slot[r];
	for (uint32_t r = w; r < dev->tag_used && slot == dev->tag_slot; r++)
		slot[r] = NULL;
	/* into new arrays (zeroed) with no tag: the counts are right (a restore's first reserve) */
	if (w || slot == dev->tag_slot)
		fw_build(fw, cap, w);
	dev->tag_used = w;
}

/*
 * The slots and their counts are one block: slot[cap], then fw[cap + 1].
 * Bulk memory from ARR_BULK (within a slot of 2 MiB), a heap block below;
 * which one follows from the size, so it goes back the way it came.  A
 * restore (whole) rounds a block of 1 MiB or more up to whole 2 MiB units,
 * as many slots as they hold: 110,000 tags filled 2 MB of them in small
 * pages, ~480 faults.  The adds keep 1.5 times the live tags (the resident
 * memory per tag).
 */
#define ARR_BULK (TABLE_BULK - 16)

static size_t arrays_bytes(uint32_t cap)
{
	return sizeof(struct tag *) * cap + sizeof(uint32_t) * ((size_t)cap + 1u);
}

static struct tag **arrays_new(struct cxldcd_dev *dev, uint32_t cap)
{
	size_t bytes = arrays_bytes(cap);

	return bytes >= ARR_BULK ? core_zalloc_bulk(dev, bytes) : core_zalloc(dev, bytes);
}

static void arrays_free(struct cxldcd_dev *dev)
{
	if (!dev->tag_slot)
		return;
	if (arrays_bytes(dev->tag_cap) >= ARR_BULK)
		core_free_bulk(dev, dev->tag_slot, arrays_bytes(dev->tag_cap));
	else
		core_free(dev, dev->tag_slot);
}

/*
 * Full: compact in place when at most two thirds of the slots would be live,
 * else rebuild into 1.5 times the live tags.  Either way a third of the
 * slots (half the live count) is free afterwards, so the O(n) rebuild is
 * paid once per n/2 new tags; 1.5 rather than 2 (or a power of two) keeps
 * the arrays (12 bytes a slot) near 12-18 bytes per tag.
 */
static int reserve(struct cxldcd_dev *dev, uint32_t k, bool whole)
{
	uint64_t live = (uint64_t)dev->nr_tags + k, want = live + live / 2;
	uint32_t cap;
	struct tag **slot;
	uint32_t *fw;

	if (hash_reserve(dev, live, k, whole))
		return -ENOMEM;
	if (k <= dev->tag_cap - dev->tag_used)
		return 0;
	if (3 * live <= 2 * (uint64_t)dev->tag_cap) {
		compact_into(dev, dev->tag_slot, dev->tag_fw, dev->tag_cap);
		return 0;
	}
	if (want > UINT32_MAX - 1)
		return -ENOMEM;
	cap = want < 16 ? 16 : (uint32_t)want;
	if ((arrays_bytes(cap) >= ARR_BULK || (whole && arrays_bytes(cap) >= TABLE_BULK / 2)) &&
	    core_bulk_mapped(dev, arrays_bytes(cap))) {
		/* as many slots as its 2 MiB units hold */
		uint64_t fit = (core_bulk_span(dev, TABLE_BULK > arrays_bytes(cap) ? TABLE_BULK :
					       arrays_bytes(cap)) - sizeof(*fw)) /
			       (sizeof(*slot) + sizeof(*fw));

		cap = fit < UINT32_MAX - 1 ? (uint32_t)fit : UINT32_MAX - 1;
	}
	slot = arrays_new(dev, cap);
	if (!slot)
		return -ENOMEM;
	fw = (uint32_t *)(slot + cap);
	compact_into(dev, slot, fw, cap);
	arrays_free(dev);
	dev->tag_slot = slot;
	dev->tag_fw = fw;
	dev->tag_cap = cap;
	return 0;
}

int tag_reserve(struct cxldcd_dev *dev, uint32_t k)
{
	return reserve(dev, k, false);
}

int tag_reserve_restore(struct cxldcd_dev *dev, uint32_t k)
{
	return reserve(dev, k, true);
}

struct tag *tag_nth(const struct cxldcd_dev *dev, uint32_t idx)
{
	return idx < dev->nr_tags ? dev->tag_slot[fw_find(dev, idx)] : NULL;
}

struct tag *tag_after(const struct cxldcd_dev *dev, const struct tag *t)
{
	/* Holes are few but may cluster: look a few slots ahead, then descend. */
	for (uint32_t s = t->slot + 1, k = 0; s < dev->tag_used && k < 8; s++, k++)
		if (dev->tag_slot[s])
			return dev->tag_slot[s];
	return tag_nth(dev, fw_prefix(dev, t->slot + 1));
}

struct tag *tag_find(const struct cxldcd_dev *dev, const uint8_t id[CXLDCD_TAG_SIZE])
{
	struct tag *t;

	for (t = *chain(dev, hash(id)); t; t = tag_chain_next(dev, t))
		if (!memcmp(t->id, id, CXLDCD_TAG_SIZE))
			return t;
	return NULL;
}

struct tag *tag_new(struct cxldcd_dev *dev, const uint8_t id[CXLDCD_TAG_SIZE], bool sharable)
{
	struct tag *t = slab_zalloc(dev, &dev->tags);

	if (!t)
		return NULL;
	memcpy(t->id, id, CXLDCD_TAG_SIZE);
	t->first_fl = sharable ? TAG_SHARABLE : 0;
	return t;
}

void tag_del(struct cxldcd_dev *dev, struct tag *t)
{
	slab_free(dev, &dev->tags, t);
}

void tag_link(struct cxldcd_dev *dev, struct tag *t)
{
	struct tag **b;

	hash_move(dev, HASH_STEP);
	t->slot = dev->tag_used++;
	dev->tag_slot[t->slot] = t;
	b = chain(dev, hash(t->id));
	t->hnext = tag_link_to(*b);
	*b = t;
	fw_add(dev, t->slot, true);
	dev->nr_tags++;
	dev->tag_gen++;
}

void tag_place(struct cxldcd_dev *dev, struct tag *t)
{
	t->slot = dev->tag_used++;
	dev->tag_slot[t->slot] = t;
	dev->nr_tags++;
	dev->tag_gen++;
}

/*
 * Tags placed in a row hash to buckets all over a table as large as they
 * are many, and each is compared with the tags already in its bucket: a
 * cache miss for the bucket, another for the tag it holds.  Both are
 * fetched ahead, the bucket HASH_AHEAD tags before the link, the tag in it
 * half way, so that many misses overlap instead of following one another.
 */
#define HASH_AHEAD 16u

int tag_index_build(struct cxldcd_dev *dev)
{
	uint32_t b[HASH_AHEAD];

	tag_hash_settle(dev);   /* a fresh device's: tag_reserve(nr_tags) moved it at once */
	for (uint32_t s = 0; s < dev->tag_used + HASH_AHEAD; s++) {
		uint32_t k = s % HASH_AHEAD, mid = s - HASH_AHEAD / 2;

		if (s >= HASH_AHEAD) {
			struct tag *t = dev->tag_slot[s - HASH_AHEAD];

			for (const struct tag *u = dev->tag_hash[b[k]]; u; u = tag_chain_next(dev, u))
				if (!memcmp(u->id, t->id, CXLDCD_TAG_SIZE))
					return -1;
			t->hnext = tag_link_to(dev->tag_hash[b[k]]);
			dev->tag_hash[b[k]] = t;
		}
		if (s >= HASH_AHEAD / 2 && mid < dev->tag_used && dev->tag_hash[b[mid % HASH_AHEAD]])
			__builtin_prefetch(dev->tag_hash[b[mid % HASH_AHEAD]]);
		if (s < dev->tag_used) {
			b[k] = hash(dev->tag_slot[s]->id) & dev->tag_hash_mask;
			__builtin_prefetch(&dev->tag_hash[b[k]]);
		}
	}
	if (dev->tag_cap)   /* no slots yet: no counts either */
		fw_build(dev->tag_fw, dev->tag_cap, dev->tag_used);
	return 0;
}

void tag_unlink_free(struct cxldcd_dev *dev, struct tag *t)
{
	struct tag **pp;

	hash_move(dev, HASH_STEP);
	pp = chain(dev, hash(t->id));
	if (*pp == t) {
		*pp = tag_chain_next(dev, t);
	} else {
		struct tag *p = *pp;

		while (tag_chain_next(dev, p) != t)
			p = tag_chain_next(dev, p);
		p->hnext = t->hnext;
	}
	dev->tag_slot[t->slot] = NULL;
	fw_add(dev, t->slot, false);
	while (dev->tag_used && !dev->tag_slot[dev->tag_used - 1])
		dev->tag_used--;
	dev->nr_tags--;
	dev->tag_gen++;
	tag_del(dev, t);
	if (dev->tag_used > 64 && dev->nr_tags < dev->tag_used / 4)
		compact_into(dev, dev->tag_slot, dev->tag_fw, dev->tag_cap);
}

void tag_remember_release(struct cxldcd_dev *dev, uint16_t host, const struct tag *t)
{
	struct released *r;

	for (uint32_t i = 0; i < dev->rel_count; i++) {
		r = &dev->rel[(dev->rel_head + i) % RELEASED_MEMORY];
		if (r->host == host && !memcmp(r->tag, t->id, CXLDCD_TAG_SIZE))
			return;
	}
	if (dev->rel_count == RELEASED_MEMORY) {
		dev->rel_head = (dev->rel_head + 1) % RELEASED_MEMORY;
		dev->rel_count--;
	}
	r = &dev->rel[(dev->rel_head + dev->rel_count) % RELEASED_MEMORY];
	r->host = host;
	memcpy(r->tag, t->id, CXLDCD_TAG_SIZE);
	dev->rel_count++;
}

int tag_holder(const struct cxldcd_dev *dev, const struct tag *t)
{
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		if (t->cnt[2 * h] || t->cnt[2 * h + 1])
			return h;
	return -1;
}

/* ------------------------------------------------------------ checks */

int tag_order_check(const struct cxldcd_dev *dev, char *msg, size_t cap)
{
	uint32_t live = 0;

	if (dev->tag_used > dev->tag_cap || (dev->tag_used && !dev->tag_slot[dev->tag_used - 1]))
		CHECK_FAIL("tag slots used=%u cap=%u", dev->tag_used, dev->tag_cap);
	/*
	 * fw[i] counts the live slots of (i - lowbit(i), i]: slot i - 1 and the
	 * ranges of fw[i - k], k = 1, 2, 4, ... below lowbit(i).  Checked from
	 * the bottom up, each is then right (about two reads a slot).
	 */
	for (uint32_t i = 1; i <= dev->tag_cap; i++) {
		const struct tag *t = dev->tag_slot[i - 1];
		uint32_t want = t != NULL;

		if (t && (i > dev->tag_used || t->slot != i - 1))
			CHECK_FAIL("tag slot %u holds a tag of slot %u (used %u)", i - 1, t->slot, dev->tag_used);
		for (uint32_t k = 1; k < (i & -i); k <<= 1)
			want += dev->tag_fw[i - k];
		if (dev->tag_fw[i] != want)
			CHECK_FAIL("tag order count %u at %u, live %u", dev->tag_fw[i], i, want);
		live += t != NULL;
	}
	if (live != dev->nr_tags)
		CHECK_FAIL("tag slots hold %u live tags, nr_tags=%u", live, dev->nr_tags);
	return 0;
}

/*
 * Chains walked at once.  A chain is a line of cache misses (its tags lie
 * anywhere); walking HASH_LANES of them in turn, each lane's next tag
 * fetched while the others are checked, keeps that many misses in flight.
 */
#define HASH_LANES 16u

struct hash_lane {
	struct tag *const *b;       /* its bucket */
	const struct tag *t;        /* its next tag (fetching), NULL: no more buckets */
};

/* Bucket v of the new table then (v past it) of the old one, or NULL past both. */
static struct tag *const *bucket_at(const struct cxldcd_dev *dev, uint64_t v)
{
	if (v <= dev->tag_hash_mask)
		return &dev->tag_hash[v];
	v -= dev->tag_hash_mask + 1ull;
	return dev->tag_hash_old && v <= dev->tag_hash_old_mask ? &dev->tag_hash_old[v] : NULL;
}

/* Give lane l the next non-empty bucket from *next on, and fetch its first tag. */
static void lane_next_bucket(const struct cxldcd_dev *dev, struct hash_lane *l, uint64_t *next)
{
	struct tag *const *b;

	while ((b = bucket_at(dev, *next)) && !*b)
		(*next)++;
	l->t = NULL;
	if (!b)
		return;
	(*next)++;
	l->b = b;
	l->t = *b;
	__builtin_prefetch(l->t);
}

/* One tag t of chain b (the tags before it in the chain are checked). */
static int hash_entry_check(const struct cxldcd_dev *dev, struct tag *const *b, const struct tag *t,
			    char *msg, size_t cap)
{
	if (chain(dev, hash(t->id)) != b)
		CHECK_FAIL("tag hash holds a tag in another bucket than its id's");
	if (t->slot >= dev->tag_used || dev->tag_slot[t->slot] != t)
		CHECK_FAIL("tag hash holds a tag that is not live");
	for (const struct tag *u = *b; u != t; u = tag_chain_next(dev, u))
		if (!memcmp(u->id, t->id, CXLDCD_TAG_SIZE))
			CHECK_FAIL("two live tags with one id");
	if (t->hnext && (t->hnext > dev->tag_used || !dev->tag_slot[t->hnext - 1]))
		CHECK_FAIL("tag hash links a tag to slot %u, which holds none", t->hnext - 1);
	return 0;
}

int tag_hash_check(const struct cxldcd_dev *dev, char *msg, size_t cap)
{
	struct hash_lane lane[HASH_LANES];
	uint32_t seen = 0, active = 0;
	uint64_t next = 0;

	if (dev->tag_hash_old && (dev->tag_hash_moved > dev->tag_hash_old_mask ||
				  dev->tag_hash_old_mask >= dev->tag_hash_mask))
		CHECK_FAIL("tag hash growing from %u buckets to %u, %u moved", dev->tag_hash_old_mask + 1,
			   dev->tag_hash_mask + 1, dev->tag_hash_moved);

	for (uint32_t i = 0; i < HASH_LANES; i++) {
		lane_next_bucket(dev, &lane[i], &next);
		active += lane[i].t != NULL;
	}
	while (active) {
		for (uint32_t i = 0; i < HASH_LANES; i++) {
			struct hash_lane *l = &lane[i];

			if (!l->t)
				continue;
			/* more entries than tags: a cycle, or a tag twice */
			if (++seen > dev->nr_tags)
				CHECK_FAIL("tag hash holds more than nr_tags=%u", dev->nr_tags);
			if (hash_entry_check(dev, l->b, l->t, msg, cap))
				return -1;
			l->t = tag_chain_next(dev, l->t);
			if (l->t)
				__builtin_prefetch(l->t);
			else
				lane_next_bucket(dev, l, &next);
			active -= l->t == NULL;
		}
	}
	if (seen != dev->nr_tags)
		CHECK_FAIL("tag hash holds %u tags, nr_tags=%u", seen, dev->nr_tags);
	return 0;
}

/* ------------------------------------------------------------ queries */

void tag_info(const struct cxldcd_dev *dev, const struct tag *t, struct core_tag_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->tag, t->id, CXLDCD_TAG_SIZE);
	out->fm_ref = tag_fm_ref(t);
	out->sharable = tag_sharable(t);
	out->nr_extents = t->nr_allocs;
	out->bytes = t->bytes;
	for (unsigned h = 0; h < dev->cfg.nr_hosts; h++) {
		if (t->cnt[2 * h + 1])
			out->accepted_map[h / 8] |= (uint8_t)(1u << (h % 8));
		if (t->cnt[2 * h])
			out->pending_map[h / 8] |= (uint8_t)(1u << (h % 8));
	}
}

uint32_t core_tag_count(const struct cxldcd_dev *dev)
{
	return dev->nr_tags;
}

uint32_t core_tag_generation(const struct cxldcd_dev *dev)
{
	return dev->tag_gen;
}

enum cxldcd_rc core_tag_list(const struct cxldcd_dev *dev, uint32_t start, uint32_t max,
			     struct core_tag_info *out, uint32_t *nr_out)
{
	const struct tag *t;
	uint32_t i;

	*nr_out = 0;
	if (start > dev->nr_tags)
		return CXLDCD_RC_INVALID_INPUT;
	t = max ? tag_nth(dev, start) : NULL;
	for (uint32_t s = t ? t->slot + 1 : dev->tag_used; s < dev->tag_used && s <= t->slot + 16; s++)
		__builtin_prefetch(dev->tag_slot[s]);
	for (i = 0; t && i < max; t = i < max ? tag_after(dev, t) : NULL) {
		if (t->slot + 16 < dev->tag_used)
			__builtin_prefetch(dev->tag_slot[t->slot + 16]); /* a page outgrows the cache */
		tag_info(dev, t, &out[i++]);
	}
	*nr_out = i;
	return CXLDCD_RC_SUCCESS;
}

int core_tag_get(const struct cxldcd_dev *dev, const uint8_t tag[CXLDCD_TAG_SIZE],
		 struct core_tag_info *out)
{
	const struct tag *t = tag_find(dev, tag);

	if (!t)
		return -ENOENT;
	tag_info(dev, t, out);
	return 0;
}

int core_tag_index(const struct cxldcd_dev *dev, const uint8_t tag[CXLDCD_TAG_SIZE], uint32_t *idx)
{
	const struct tag *t = tag_find(dev, tag);

	if (!t)
		return -ENOENT;
	*idx = fw_prefix(dev, t->slot);
	return 0;
}

const char *core_tag_state_str(enum core_tag_state s)
{
	switch (s) {
	case CORE_TAG_PENDING: return "pending";
	case CORE_TAG_COMMITTED: return "committed";
	case CORE_TAG_RELEASE_PENDING: return "release-pending";
	case CORE_TAG_RELEASED: return "released";
	case CORE_TAG_NOT_FOUND: break;
	}
	return "not-found";
}

enum core_tag_state core_tag_status(const struct cxldcd_dev *dev, uint16_t host, int region,
				    const uint8_t tag[CXLDCD_TAG_SIZE])
{
	const struct tag *t;
	const struct alloc *a;
	uint32_t pend = 0, acc = 0, relp = 0;

	if (!core_host_ok(dev, host))
		return CORE_TAG_NOT_FOUND;
	t = tag_find(dev, tag);
	for (a = t ? tag_first(t) : NULL; a; a = alloc_tag_next(dev, a)) {
		const struct hx *x = alloc_holder(a, host);

		if (!x || (region >= 0 && a->region != region))
			continue;
		if (x->g)
			pend++;
		else if (x->release_pending)
			relp++;
		else
			acc++;
	}
	if (relp)
		return CORE_TAG_RELEASE_PENDING;
	if (pend)
		return CORE_TAG_PENDING;
	if (acc)
		return CORE_TAG_COMMITTED;
	for (uint32_t i = 0; i < dev->rel_count; i++) {
		const struct released *r = &dev->rel[(dev->rel_head + i) % RELEASED_MEMORY];

		if (r->host == host && !memcmp(r->tag, tag, CXLDCD_TAG_SIZE))
			return CORE_TAG_RELEASED;
	}
	return CORE_TAG_NOT_FOUND;
}

/* ------------------------------------------------------------ 5606h/5607h */

enum cxldcd_rc core_tag_add_ref(struct cxldcd_dev *dev, const uint8_t tag[CXLDCD_TAG_SIZE],
				struct cxldcd_diag *diag)
{
	struct tag *t = tag_find(dev, tag);

	if (!t || !tag_sharable(t))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 t ? "tag is not sharable" : "tag not found");
	if (!tag_fm_ref(t)) {
		tag_set_fm_ref(t, true);
		dev->tag_gen++;
	}
	return core_diag(diag, CXLDCD_RC_SUCCESS, -1, "ok");
}

enum cxldcd_rc core_tag_remove_ref(struct cxldcd_dev *dev, const uint8_t tag[CXLDCD_TAG_SIZE],
				   struct cxldcd_diag *diag)
{
	struct tag *t = tag_find(dev, tag);
	struct alloc *a, *nx;

	if (!t || !tag_fm_ref(t))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 t ? "tag has no fm reference" : "tag not found");
	tag_set_fm_ref(t, false);
	dev->tag_gen++;
	for (a = tag_first(t); a; a = nx) {
		uint32_t left = t->nr_allocs;

		nx = alloc_tag_next(dev, a);
		if (!a->orphan)
			continue;
		alloc_free(dev, a);
		if (left == 1)
			break; /* the tag entry went with its last allocation */
	}
	return core_diag(diag, CXLDCD_RC_SUCCESS, -1, "ok");
}

void tag_footprint(const struct cxldcd_dev *dev, size_t *hash, size_t *arrays)
{
	size_t t = sizeof(struct tag *) * ((size_t)dev->tag_hash_mask + 1u);

	*hash = dev->tag_hash ? core_bulk_span(dev, t) : 0;
	if (dev->tag_hash_old)
		*hash += core_bulk_span(dev, sizeof(struct tag *) * ((size_t)dev->tag_hash_old_mask + 1u));
	*arrays = dev->tag_slot ? core_bulk_span(dev, arrays_bytes(dev->tag_cap)) : 0;
}
