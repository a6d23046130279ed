/* SPDX-License-Identifier: MIT */
/*
 * snapshot.c - the model's whole logical state as bytes, and back
 * (core_snapshot / core_restore, docs/persistence.md "Snapshots").
 *
 * What is written is what replay would rebuild, not how it is stored: the
 * regions' settings, live tags in creation order, every allocation (in its
 * tag's order, then the untagged ones by address) with its holders, each
 * host's pending groups (FIFO, ids, ages, Dead) and More-chain staging,
 * generation numbers, the next group id, the remembered releases, and
 * every event log with its records, handles, timestamps, next handle,
 * overflow state and interrupt policy, and last, only when the device has
 * any, the memory-device state (memdev-snap.c: poison, LSA, timestamp,
 * alerts, background operations).  Counts and indexes (trees, tallies,
 * tag hash, per-tag counters) are not written, so the bytes do not depend
 * on how the model indexes its state.  Restore rebuilds them with the
 * constructors the operations use (tag_new, evlog_append), except the
 * tags' own indexes, built once all are read (tag_index_build()), and
 * the indexes of holds: each allocation is linked to its tag and holders
 * as it is read (alloc_tag_link, hx_hold), then all are sorted by address
 * and each region tree built at once with its tallies (region_build), which
 * also refuses overlaps; each host's index of the tags it holds is built
 * as each tag's run of allocations ends, in creation order
 * (tag_host_stream_note(); else at once at the end, tag_host_build): O(n)
 * for what a snapshot lists in a few address-ordered runs, where an insert
 * each cost a descent and a tally update.  The tags, allocations and holds
 * are taken in one chunk per kind, sized by the counts once they are
 * checked against the bytes left (slab_reserve(): huge pages for a large
 * restore).  No scratch unless the allocations must be sorted (more than
 * a few ascending runs: two lists of their addresses, 16 bytes each): the
 * allocations read are the allocation slab's chunk in order, and each
 * tag's totals as written wait in the tag (see struct rctx).
 *
 * What is read is untrusted (a file).  Each record is checked as it is read
 * against everything core_check_invariants() asks of it (bounds, block
 * alignment, holders, sharing, a tag's totals, its one host when it is not
 * sharable), the indexes are built by the constructors the operations use,
 * and the whole is then checked only for what no one record shows: two tags
 * with one id (as the tag hash is built, tag_index_build()), the extent
 * limit, the feature state.  The
 * full check walked every structure again and was half of a restore; the
 * tests and the fuzz target (fuzz/core/fuzz-snapshot.c) run it after every
 * restore that succeeds, so a snapshot these checks miss is a finding.
 *
 * core_snapshot_write() hands the same bytes to a sink, a buffer at a time
 * (the daemon's snapshot file), and says how many there were at the end: no
 * copy of a large device's state is made in memory, and the model is walked
 * once (the file's length field, before the bytes, is patched in after
 * them: persist.c, snap_build_dev()).
 *
 * Layout: little-endian, "CXLDSNAP" + u32 version, the configuration it
 * belongs to (checked on restore), then the sections in the order above.
 * The same state always gives the same bytes, so two snapshots compare
 * states (the tests use that).
 */
#include <assert.h>
#include <stdlib.h>

#include "core/model.h"

#define SNAP_MAGIC "CXLDSNAP"
#define SNAP_VERSION 2u
#define NO_TAG UINT32_MAX

/*
 * Version 2 writes what version 1 did, with the values a tag, an
 * allocation, a holder and an event record usually have left out (a
 * snapshot of 110,000 items: 12.0 MB in version 1, 5.3 MB in version 2;
 * a restart reads every byte of it once, and on this VM the first touch
 * of each 4 KiB page of the mapped file costs more than parsing it:
 * docs/performance.md, "Session 11: restart footprint").  Both versions
 * load.
 *  - A tag: its flags byte also says whether it names one allocation
 *    (T_ONE: nr_allocs left out) and whether its next offset is its bytes
 *    (T_NEXT: left out).
 *  - An allocation: a shape byte, then its dpa, then only the fields the
 *    shape says differ from the usual: its region (else the one of the
 *    allocation before, region 0 for the first), its length (else the
 *    region's block size), its tag index (else the one before, or the one
 *    after it), its tag offset, shared sequence and flags (else 0), its
 *    holder count (else 1).  A holder: host and flags, and its pending
 *    group and slot only when it is pending.
 *  - An event record: its 80 bytes of event-specific data as a count of
 *    bytes up to the last non-zero one, then those bytes.
 */
#define T_ONE 0x04u         /* tag flags (v2): nr_allocs is 1 */
#define T_NEXT 0x08u        /* tag flags (v2): next_offset equals bytes */
#define A_REGION 0x01u      /* allocation shape (v2): region written */
#define A_LEN 0x02u         /* len written (else the region's block size) */
#define A_TI_NEXT 0x04u     /* tag index: the one before + 1 */
#define A_TI_SAME 0x08u     /* tag index: the one before (neither: written) */
#define A_TOFF 0x10u        /* tag offset written (else 0) */
#define A_SEQ 0x20u         /* shared sequence written (else 0) */
#define A_FL 0x40u          /* flags written (else 0) */
#define A_NH 0x80u          /* holder count written (else 1) */

/* ------------------------------------------------------------ writer */

/* With a sink: hand over what the buffer holds and start it again. */
static void snap_flush(struct snap_wr *w)
{
	int rc;

	if (!w->len || w->err)
		return;
	rc = w->sink(w->opaque, w->p, w->len);
	if (rc)
		w->err = rc;
	else
		w->done += w->len;
	w->len = 0;
}

/* Without a sink: room for @n more bytes.  False: out of memory (sticky). */
static bool snap_grow(struct snap_wr *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 4096;
	uint8_t *p;

	while (cap < w->len + n)
		cap *= 2;
	p = realloc(w->p, cap);
	if (!p) {
		w->oom = true;
		return false;
	}
	w->p = p;
	w->cap = cap;
	return true;
}

void snap_put(struct snap_wr *w, const void *src, size_t n)
{
	if (w->oom || w->err)
		return;
	if (w->cap - w->len < n) {
		if (!w->sink) {
			if (!snap_grow(w, n))
				return;
		} else {
			snap_flush(w);
			if (!w->err && n > w->cap) {      /* larger than the buffer: as it is */
				int rc = w->sink(w->opaque, src, n);

				if (rc)
					w->err = rc;
				else
					w->done += n;
			}
			if (w->err || n > w->cap)
				return;
		}
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

void snap_put_u(struct snap_wr *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	snap_put(w, b, bytes);
}

/*
 * Inline, @bytes a constant: with 8 bytes free, one store of all 8 (the
 * bytes past @bytes are written over next), where snap_put_u() makes a
 * call, a byte loop and a memcpy() call per field (docs/performance.md,
 * "Session 11: the clean stop").
 */
static inline void put_u(struct snap_wr *w, uint64_t v, unsigned bytes)
{
	if (w->cap - w->len >= 8) {
		uint8_t *q = w->p + w->len;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(q, &v, 8);
#else
		for (unsigned i = 0; i < 8; i++)
			q[i] = (uint8_t)(v >> (8 * i));
#endif
		w->len += bytes;
		return;
	}
	snap_put_u(w, v, bytes);
}

/* Inline, @n a constant: a copy when it fits. */
static inline void put_b(struct snap_wr *w, const void *src, size_t n)
{
	if (w->cap - w->len >= n) {
		memcpy(w->p + w->len, src, n);
		w->len += n;
		return;
	}
	snap_put(w, src, n);
}

#define P8(w, v) put_u(w, (uint64_t)(v), 1)
#define P16(w, v) put_u(w, (uint64_t)(v), 2)
#define P32(w, v) put_u(w, (uint64_t)(v), 4)
#define P64(w, v) put_u(w, (uint64_t)(v), 8)

static void put_event(struct snap_wr *w, const struct cxldcd_event *e, uint32_t version)
{
	uint8_t nd = sizeof(e->data);

	put_b(w, e->uuid, sizeof(e->uuid));
	P8(w, e->length);
	P32(w, e->flags);
	P16(w, e->handle);
	P16(w, e->related_handle);
	P64(w, e->timestamp_ns);
	P8(w, e->maint_class);
	P8(w, e->maint_subclass);
	P16(w, e->ld_id);
	P8(w, e->head_id);
	P8(w, e->dc_type);
	P8(w, e->dc_validity);
	P16(w, e->dc_host_id);
	P8(w, e->dc_region_index);
	P8(w, e->dc_flags);
	P64(w, e->dc_extent.dpa);
	P64(w, e->dc_extent.len);
	put_b(w, e->dc_extent.tag, CXLDCD_TAG_SIZE);
	P16(w, e->dc_extent.shared_seq);
	P32(w, e->dc_avail_extents);
	P32(w, e->dc_avail_tags);
	if (version >= 2) {
		while (nd && !e->data[nd - 1])
			nd--;
		P8(w, nd);
	}
	snap_put(w, e->data, nd);
}

/*
 * Where a pending holder sits in its group (the snapshot names it by slot).
 * A group holds up to an event log's depth of extents (65,535): looked up
 * by a walk of the group, each of its holders cost O(group), O(group^2) for
 * the group, 0.9 s of a snapshot for one pending group of 30,000 (docs/
 * performance.md, "At a million").  Holders of groups larger than
 * SLOT_WALK are looked up in an array of (holder, slot) sorted by address
 * instead, built once per snapshot.
 */
#define SLOT_WALK 16u

struct slot_of {
	const struct hx *x;
	uint32_t slot;
};

struct slots {
	struct slot_of *v;
	size_t n;
};

static int slot_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct slot_of *)a)->x;
	uintptr_t y = (uintptr_t)((const struct slot_of *)b)->x;

	return x < y ? -1 : x > y;
}

/* The holders of every pending group larger than SLOT_WALK; -ENOMEM. */
static int slots_build(const struct cxldcd_dev *dev, struct slots *s)
{
	size_t n = 0;

	s->v = NULL;
	s->n = 0;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		for (uint32_t i = 0; i < dev->hosts[h].nr_groups; i++) {
			const struct group *g = pending_at(dev, h, i);

			n += g->nr > SLOT_WALK ? g->nr : 0;
		}
	if (!n)
		return 0;
	if (!(s->v = malloc(n * sizeof(*s->v))))
		return -ENOMEM;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		for (uint32_t i = 0; i < dev->hosts[h].nr_groups; i++) {
			const struct group *g = pending_at(dev, h, i);

			for (uint32_t j = 0; g->nr > SLOT_WALK && j < g->nr; j++)
				s->v[s->n++] = (struct slot_of){ .x = g->x[j], .slot = j };
		}
	qsort(s->v, s->n, sizeof(*s->v), slot_cmp);
	return 0;
}

static uint32_t slot_in_group(const struct slots *s, const struct hx *x)
{
	const struct slot_of key = { .x = x }, *f;
	uint32_t slot = 0;

	if (x->g->nr > SLOT_WALK) {
		f = bsearch(&key, s->v, s->n, sizeof(*s->v), slot_cmp);
		return f ? f->slot : x->g->nr;
	}
	while (slot < x->g->nr && x->g->x[slot] != x)
		slot++;
	return slot;
}

/* What the allocation before left for the next one's shape (v2). */
struct prev_alloc {
	uint8_t region;
	uint32_t ti;
};

static void put_alloc(struct snap_wr *w, const struct cxldcd_dev *dev, const struct slots *s,
		      const struct alloc *a, uint32_t tag_idx, uint32_t version, struct prev_alloc *pv)
{
	uint8_t fl = (uint8_t)(a->sanitize | a->accessed << 1 | a->orphan << 2), shape = 0;
	uint32_t n = 0;

	for (const struct hx *x = a->holders; x; x = x->a_next)
		n++;
	if (version < 2) {
		P8(w, a->region);
		P64(w, a->dpa);
		P64(w, a->len);
		P32(w, tag_idx);
		P64(w, a->tag_offset);
		P16(w, a->seq);
		P8(w, fl);
		P32(w, n);
	} else {
		shape |= a->region != pv->region ? A_REGION : 0;
		shape |= a->len != dev->cfg.regions[a->region].block_size ? A_LEN : 0;
		shape |= tag_idx == pv->ti + 1u ? A_TI_NEXT : tag_idx == pv->ti ? A_TI_SAME : 0;
		shape |= a->tag_offset ? A_TOFF : 0;
		shape |= a->seq ? A_SEQ : 0;
		shape |= fl ? A_FL : 0;
		shape |= n != 1 ? A_NH : 0;
		P8(w, shape);
		P64(w, a->dpa);
		if (shape & A_REGION)
			P8(w, a->region);
		if (shape & A_LEN)
			P64(w, a->len);
		if (!(shape & (A_TI_NEXT | A_TI_SAME)))
			P32(w, tag_idx);
		if (shape & A_TOFF)
			P64(w, a->tag_offset);
		if (shape & A_SEQ)
			P16(w, a->seq);
		if (shape & A_FL)
			P8(w, fl);
		if (shape & A_NH)
			P32(w, n);
		pv->region = a->region;
		pv->ti = tag_idx;
	}
	for (const struct hx *x = a->holders; x; x = x->a_next) {
		P16(w, x->host);
		P8(w, x->release_pending | (x->g != NULL) << 1);
		if (version < 2 || x->g) {
			P64(w, x->g ? x->g->id : 0);
			P32(w, x->g ? slot_in_group(s, x) : 0);
		}
	}
}

int core_snapshot(const struct cxldcd_dev *dev, uint8_t **out, size_t *len)
{
	return snapshot_write(dev, SNAP_VERSION, out, len);
}

/* The allocations a snapshot lists: every region tree's. */
static uint32_t nr_allocs(const struct cxldcd_dev *dev)
{
	uint32_t n = 0;

	for (uint8_t r = 0; r < dev->cfg.nr_regions; r++)
		n += bt_count(&dev->reg[r].allocs);
	return n;
}

/* The whole device through @w (snapshot_write(), core_snapshot_write()).  -ENOMEM. */
static int snap_dev(const struct cxldcd_dev *dev, uint32_t version, struct snap_wr *w)
{
	const struct cxldcd_dev_cfg *c = &dev->cfg;
	struct slots slots;
	struct prev_alloc pv = { .region = 0, .ti = NO_TAG };
	uint32_t ti, nr;

	if (slots_build(dev, &slots))
		return -ENOMEM;
	put_b(w, SNAP_MAGIC, 8);
	P32(w, version);
	P8(w, c->nr_regions);
	P16(w, c->nr_hosts);
	P32(w, c->evlog_depth);
	P32(w, c->max_extents);
	P32(w, c->max_tags);
	for (uint8_t r = 0; r < c->nr_regions; r++) {
		P64(w, c->regions[r].base);
		P64(w, c->regions[r].len);
		P64(w, c->regions[r].block_size);
		P8(w, c->regions[r].sanitize_on_release);
	}
	P64(w, dev->now);
	P64(w, dev->next_group_id);
	P32(w, dev->tag_gen);
	/* tags, creation order */
	P32(w, dev->nr_tags);
	for (const struct tag *t = tag_nth(dev, 0); t; t = tag_after(dev, t)) {
		uint8_t fl = (uint8_t)(tag_sharable(t) | tag_fm_ref(t) << 1);

		put_b(w, t->id, CXLDCD_TAG_SIZE);
		if (version < 2) {
			P8(w, fl);
			P64(w, t->next_offset);
			P64(w, t->bytes);
			P32(w, t->nr_allocs);
			continue;
		}
		fl |= (t->nr_allocs == 1 ? T_ONE : 0) | (t->next_offset == t->bytes ? T_NEXT : 0);
		P8(w, fl);
		P64(w, t->bytes);
		if (!(fl & T_NEXT))
			P64(w, t->next_offset);
		if (!(fl & T_ONE))
			P32(w, t->nr_allocs);
	}
	/* groups per host (before the allocations that point into them) */
	for (uint16_t h = 0; h < c->nr_hosts; h++) {
		const struct host *hs = &dev->hosts[h];

		P32(w, hs->gen);
		P32(w, hs->nr_groups);
		for (uint32_t i = 0; i < hs->nr_groups; i++) {
			const struct group *g = pending_at(dev, h, i);

			P64(w, g->id);
			P64(w, g->offered_ns);
			P8(w, g->dead);
			P32(w, g->nr);
		}
		P8(w, hs->nr_staged ? hs->stage_kind : STAGE_NONE);
		P32(w, hs->nr_staged);
		for (uint32_t i = 0; i < hs->nr_staged; i++) {
			P64(w, hs->staged[i].dpa);
			P64(w, hs->staged[i].len);
		}
	}
	/* allocations: each tag's in its order, then the untagged by address */
	nr = nr_allocs(dev);
	P32(w, nr);
	ti = 0;
	for (const struct tag *t = tag_nth(dev, 0); t; t = tag_after(dev, t), ti++)
		for (const struct alloc *a = tag_first(t); a; a = alloc_tag_next(dev, a), nr--)
			put_alloc(w, dev, &slots, a, ti, version, &pv);
	for (uint8_t r = 0; r < c->nr_regions && nr; r++) {
		struct bt_cur cur;

		/*
		 * The untagged in address order, from the tree's leaves (no
		 * descent each), only while some are left to write (nr): none,
		 * and the trees are not walked (a miss per allocation).
		 */
		for (bool ok = bt_first(&dev->reg[r].allocs, &cur); ok && nr; ok = bt_next(&cur)) {
			const struct alloc *a = bt_val(&cur);

			if (!a->tag) {
				put_alloc(w, dev, &slots, a, NO_TAG, version, &pv);
				nr--;
			}
		}
	}
	/* event logs, owners 0..nr_hosts-1 then the FM */
	for (uint32_t o = 0; o <= c->nr_hosts; o++) {
		const struct owner *ow = &dev->owners[o];

		put_b(w, ow->irq, CXLDCD_NR_LOGS);
		for (unsigned k = 0; k < CXLDCD_NR_LOGS; k++) {
			const struct evlog *l = &ow->logs[k];

			P16(w, l->next_handle);
			P8(w, l->overflow);
			P16(w, l->ovf_count);
			P64(w, l->ovf_first);
			P64(w, l->ovf_last);
			P32(w, l->count);
			for (uint32_t i = 0; i < l->count; i++)
				put_event(w, &l->rec[(l->head + i) % l->cap], version);
		}
	}
	/* releases remembered for core_tag_status(), oldest first */
	P32(w, dev->rel_count);
	for (uint32_t i = 0; i < dev->rel_count; i++) {
		const struct released *r = &dev->rel[(dev->rel_head + i) % RELEASED_MEMORY];

		P16(w, r->host);
		put_b(w, r->tag, CXLDCD_TAG_SIZE);
	}
	/* memory-device state (poison, LSA, timestamp, alerts, background ops), only when any */
	{
		uint8_t *md = NULL;
		size_t md_len = 0;

		if (memdev_snap_put(dev, &md, &md_len))
			w->oom = true;
		if (md_len) {
			P32(w, md_len);
			snap_put(w, md, md_len);
		}
		free(md);
	}
	free(slots.v);
	return w->oom ? -ENOMEM : 0;
}

int snapshot_write(const struct cxldcd_dev *dev, uint32_t version, uint8_t **out, size_t *len)
{
	struct snap_wr w = { 0 };

	*out = NULL;
	*len = 0;
	if (snap_dev(dev, version, &w)) {
		free(w.p);
		return -ENOMEM;
	}
	*out = w.p;
	*len = w.len;
	return 0;
}

int core_snapshot_write(const struct cxldcd_dev *dev, uint8_t *buf, size_t cap,
			core_snapshot_sink *sink, void *opaque, uint64_t *len)
{
	struct snap_wr w = { .p = buf, .cap = cap, .sink = sink, .opaque = opaque };

	*len = 0;
	if (snap_dev(dev, SNAP_VERSION, &w))
		return -ENOMEM;
	snap_flush(&w);
	if (w.err)
		return w.err;
	*len = w.done;
	return 0;
}


/* ------------------------------------------------------------ reader */

/*
 * Start loading what the next records read and write, AHEAD bytes on in
 * the snapshot and a few objects on in the slab being filled (prefetches
 * never fault; the addresses are only computed).
 */
#define AHEAD 512u

static inline void ahead(const struct snap_rd *r, const void *obj, size_t size)
{
	if (r->len - r->off > AHEAD)
		__builtin_prefetch(r->p + r->off + AHEAD);
	__builtin_prefetch((const void *)((uintptr_t)obj + 4 * size), 1);
}

/*
 * snap_get(), inline: with @n a constant (a tag's 16 bytes, read per tag
 * and twice per event record) a copy of two loads, where the call of
 * snap_get() and its memcpy() of a size unknown were 5% of a restore.
 */
static inline void get_b(struct snap_rd *r, void *dst, size_t n)
{
	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p + r->off, n);
	r->off += n;
}

void snap_get(struct snap_rd *r, void *dst, size_t n)
{
	get_b(r, dst, n);
}

#define G8(r) ((uint8_t)snap_get_u(r, 1))
#define G16(r) ((uint16_t)snap_get_u(r, 2))
#define G32(r) ((uint32_t)snap_get_u(r, 4))
#define G64(r) snap_get_u(r, 8)

static void get_event(struct snap_rd *r, struct cxldcd_event *e, uint32_t version)
{
	uint8_t nd = sizeof(e->data);

	memset(e, 0, sizeof(*e));
	get_b(r, e->uuid, sizeof(e->uuid));
	e->length = G8(r);
	e->flags = G32(r);
	e->handle = G16(r);
	e->related_handle = G16(r);
	e->timestamp_ns = G64(r);
	e->maint_class = G8(r);
	e->maint_subclass = G8(r);
	e->ld_id = G16(r);
	e->head_id = G8(r);
	e->dc_type = G8(r);
	e->dc_validity = G8(r);
	e->dc_host_id = G16(r);
	e->dc_region_index = G8(r);
	e->dc_flags = G8(r);
	e->dc_extent.dpa = G64(r);
	e->dc_extent.len = G64(r);
	get_b(r, e->dc_extent.tag, CXLDCD_TAG_SIZE);
	e->dc_extent.shared_seq = G16(r);
	e->dc_avail_extents = G32(r);
	e->dc_avail_tags = G32(r);
	if (version >= 2 && (nd = G8(r)) > sizeof(e->data))
		r->bad = true;
	if (!r->bad)
		snap_get(r, e->data, nd);  /* the rest stays 0 */
}

/* Bytes a tag and an allocation take at least (so a count can be checked against what is left). */
#define TAG_BYTES(v) ((v) < 2 ? CXLDCD_TAG_SIZE + 1u + 8u + 8u + 4u : CXLDCD_TAG_SIZE + 1u + 8u)
#define ALLOC_BYTES(v) ((v) < 2 ? 1u + 8u + 8u + 4u + 8u + 2u + 1u + 4u : 1u + 8u)
#define GROUP_BYTES (8u + 8u + 1u + 4u)
/* pending_reserve_n() of ng groups on a new device as a node chunk carves it: two arrays. */
#define RING_NODE(ng) (2 * (((2 * (size_t)(ng) + 8) * 8 + CORE_NODE_ALIGN - 1) & \
			    ~(size_t)(CORE_NODE_ALIGN - 1)))
/* A group of nr extents as a node chunk carves it. */
#define GROUP_NODE(nr) ((sizeof(struct group) + sizeof(struct hx *) * (nr) + CORE_NODE_ALIGN - 1) & \
			~(size_t)(CORE_NODE_ALIGN - 1))

/*
 * A restore's state.  The allocations read are the allocation slab's one
 * chunk in order (x->ord; region_build() builds the trees from them, with
 * no list of them, and sorts them only when they come in more than a few
 * ascending runs): a tag read is found by its
 * index in the creation-order slots (dev->tag_slot, filled from 0 on a new
 * device), and the totals written for it wait in its own bytes and
 * nr_allocs until its allocations are read.  Those come one tag's after
 * another (core_snapshot()), so each run of them is checked as it ends
 * (run_end()) against the totals it found there when it started; a tag
 * whose allocations come in two runs is refused.
 */
struct rctx {
	struct cxldcd_dev *dev;
	struct snap_rd r;
	struct cxldcd_diag *diag;
	uint32_t version;           /* of the snapshot: 1 or 2 (see SNAP_VERSION) */
	struct prev_alloc pv;       /* v2: what the allocation before left for the next one's shape */
	uint32_t nr_tags;
	struct alloc_order ord;     /* the allocations read, for region_build() */
	size_t nodes_ahead;         /* read_hosts(): the index nodes' bytes for as many allocations as tags */
	struct tag *run;            /* the tag whose allocations are being read, or NULL */
	uint64_t run_bytes;         /* its totals as written */
	uint32_t run_nr, runs;      /* runs: tags whose allocations were read */
	uint32_t last_group[CXLDCD_MAX_HOSTS]; /* per host: the pending group a holder named last */
	core_progress_fn *progress;  /* core_restore_paced(): may be NULL */
	void *progress_opaque;
	uint32_t items;              /* read since the last progress call */
};

/* One more item read: every CORE_RESTORE_PACE, the caller's progress function. */
static inline void pace(struct rctx *x)
{
	if (x->progress && ++x->items == CORE_RESTORE_PACE) {
		x->items = 0;
		x->progress(x->progress_opaque);
	}
}

/* A phase done (an index built): the caller's progress function. */
static void paced(struct rctx *x)
{
	if (x->progress) {
		x->items = 0;
		x->progress(x->progress_opaque);
	}
}

static int bad(struct rctx *x, const char *what)
{
	core_diag(x->diag, CXLDCD_RC_INVALID_INPUT, -1, "snapshot: %s", what);
	return -EINVAL;
}

/*
 * The host's restored pending group with this id (the device is new: the
 * ring holds only them).  Holders usually name the group of the one before
 * or the next (tags are created as they are offered): those are tried
 * before the search.
 */
static struct group *group_by_id(struct rctx *x, uint16_t host, uint64_t id)
{
	uint32_t last = x->last_group[host];
	struct group *g;
	int32_t i;

	for (uint32_t k = last; k <= last + 1; k++) {
		g = pending_at(x->dev, host, k);
		if (g && g->id == id) {
			x->last_group[host] = k;
			return g;
		}
	}
	i = pending_find(x->dev, host, id);
	if (i < 0)
		return NULL;
	x->last_group[host] = (uint32_t)i;
	return pending_at(x->dev, host, (uint32_t)i);
}

static int read_config(struct rctx *x)
{
	struct cxldcd_dev *dev = x->dev;
	struct cxldcd_dev_cfg *c = &dev->cfg;
	char magic[8];

	snap_get(&x->r, magic, 8);
	if (x->r.bad || memcmp(magic, SNAP_MAGIC, 8))
		return bad(x, "not a cxldcd snapshot");
	x->version = G32(&x->r);
	if (x->version < 1 || x->version > SNAP_VERSION)
		return bad(x, "unknown version");
	if (G8(&x->r) != c->nr_regions || G16(&x->r) != c->nr_hosts ||
	    G32(&x->r) != c->evlog_depth || G32(&x->r) != c->max_extents ||
	    G32(&x->r) != c->max_tags)
		return bad(x, "made for another device configuration");
	for (uint8_t i = 0; i < c->nr_regions; i++) {
		uint64_t base = G64(&x->r), len = G64(&x->r), bs = G64(&x->r);
		uint8_t sor = G8(&x->r);

		if (base != c->regions[i].base || len != c->regions[i].len)
			return bad(x, "made for another region layout");
		if (!bs || (bs & (bs - 1)) || !(bs & c->regions[i].supported_block_mask) || sor > 1)
			return bad(x, "region block size");
		c->regions[i].block_size = bs;
		c->regions[i].sanitize_on_release = sor;
	}
	return x->r.bad ? bad(x, "truncated") : 0;
}

static int read_tags(struct rctx *x)
{
	struct cxldcd_dev *dev = x->dev;

	x->nr_tags = G32(&x->r);
	if (x->r.bad || x->nr_tags > dev->cfg.max_tags ||
	    x->nr_tags > (x->r.len - x->r.off) / TAG_BYTES(x->version))
		return bad(x, "tag count");
	/* The creation-order slots and the entries for all of them at once. */
	if (tag_reserve_restore(dev, x->nr_tags) || slab_reserve(dev, &dev->tags, x->nr_tags))
		return -ENOMEM;
	for (uint32_t i = 0; i < x->nr_tags; i++) {
		uint8_t id[CXLDCD_TAG_SIZE], fl;
		uint64_t w[2];
		struct tag *t;

		get_b(&x->r, id, sizeof(id));
		fl = G8(&x->r);
		/*
		 * Two tags with one id are refused once all are read, as the hash
		 * is built (tag_index_build()): a lookup per tag here would cost a
		 * walk of its hash chain, cache misses one after the other.
		 */
		memcpy(w, id, sizeof(w));   /* core_tag_null() as two words, inline */
		if (x->r.bad || !(w[0] | w[1]) || fl > (x->version < 2 ? 3 : 3 | T_ONE | T_NEXT))
			return bad(x, "tag");
		t = tag_new(dev, id, fl & 1);
		if (!t)
			return -ENOMEM;
		ahead(&x->r, t, sizeof(*t) + sizeof(t->cnt[0]) * 2u * dev->cfg.nr_hosts);
		tag_set_fm_ref(t, fl & 2);
		/* bytes and nr_allocs as written: checked by run_end() */
		if (x->version < 2) {
			t->next_offset = G64(&x->r);
			t->bytes = G64(&x->r);
			t->nr_allocs = G32(&x->r);
		} else {
			t->bytes = G64(&x->r);
			t->next_offset = fl & T_NEXT ? t->bytes : G64(&x->r);
			t->nr_allocs = fl & T_ONE ? 1 : G32(&x->r);
		}
		if (!x->r.bad && !t->nr_allocs) {   /* a live tag names capacity */
			tag_del(dev, t);
			return bad(x, "tag without allocations");
		}
		tag_place(dev, t);  /* at slot i (the device is new), reserved above */
		pace(x);
	}
	if (x->r.bad)
		return bad(x, "truncated");
	/* a duplicate is found as the hash is built: one walk of each chain, not a check after */
	if (tag_index_build(dev))
		return bad(x, "two live tags with one id");
	paced(x);
	return 0;
}

static int read_hosts(struct rctx *x)
{
	struct cxldcd_dev *dev = x->dev;
	uint16_t nh = dev->cfg.nr_hosts;

	x->nodes_ahead = region_build_bytes(dev, x->nr_tags) + tag_host_stream_bytes(dev, x->nr_tags);

	for (uint16_t h = 0; h < nh; h++) {
		struct host *hs = &dev->hosts[h];
		uint32_t ng, kind, ns;

		hs->gen = G32(&x->r);
		ng = G32(&x->r);
		if (x->r.bad || ng > dev->cfg.max_extents || ng > (x->r.len - x->r.off) / GROUP_BYTES)
			return bad(x, "group count");
		/*
		 * The groups from one node chunk when they are many (one-extent
		 * groups fit; larger ones take the heap once it is full): a heap
		 * block each was 10,000 calloc()s at 110,000 items.  A group goes
		 * back by core_node_free() (pending.c).  Their ring too (two
		 * arrays of at most 2 * ng + 8 slots of 8 bytes), made next.  And
		 * room for the index nodes read_allocs() makes, if there are about
		 * as many allocations as tags: one chunk where two each began a
		 * 2 MiB unit of their own (only what is carved is ever touched).
		 */
		if ((size_t)ng * GROUP_NODE(1) >= CORE_CHUNK_MIN &&
		    core_chunk_open(dev, (size_t)ng * GROUP_NODE(1) + RING_NODE(ng) + x->nodes_ahead))
			return -ENOMEM;
		if (pending_reserve_n(dev, h, ng))   /* the ring for all of them at once */
			return -ENOMEM;
		for (uint32_t i = 0; i < ng; i++) {
			uint64_t id = G64(&x->r), at = G64(&x->r);
			uint8_t dead = G8(&x->r);
			uint32_t nr = G32(&x->r);
			struct group *g;

			if (x->r.bad || !nr || nr > dev->cfg.max_extents || dead > 1 ||
			    id >= dev->next_group_id || (i && id <= pending_at(dev, h, i - 1)->id))
				return bad(x, "pending group");
			g = core_node_zalloc(dev, sizeof(*g) + sizeof(g->x[0]) * nr);
			if (!g)
				return -ENOMEM;
			*g = (struct group){ .id = id, .offered_ns = at, .dead = dead, .nr = nr };
			/* queued as add.c's commit() queues it */
			if (pending_reserve(dev, h)) {
				core_node_free(dev, g);
				return -ENOMEM;
			}
			pending_push(dev, h, g);
			pace(x);
		}
		kind = G8(&x->r);
		ns = G32(&x->r);
		if (x->r.bad || kind > STAGE_RELEASE || ns > dev->cfg.max_extents ||
		    (ns && kind == STAGE_NONE))
			return bad(x, "staging");
		if (ns) {
			hs->staged = core_zalloc(dev, sizeof(*hs->staged) * ns);
			if (!hs->staged)
				return -ENOMEM;
			hs->cap_staged = ns;
			hs->nr_staged = ns;
			hs->stage_kind = (int)kind;
			for (uint32_t i = 0; i < ns; i++) {
				hs->staged[i].dpa = G64(&x->r);
				hs->staged[i].len = G64(&x->r);
			}
		}
	}
	return x->r.bad ? bad(x, "truncated") : 0;
}

struct hold {
	uint16_t host;
	uint8_t fl;
	uint64_t gid;
	uint32_t slot;
};

/*
 * The run of x->run's allocations ended: 0 when they add up to its totals
 * as written; its holds are all counted, so the tags its hosts hold are
 * indexed now (tag_host_stream_note()).
 */
static int run_end(struct rctx *x)
{
	struct tag *t = x->run;

	x->run = NULL;
	if (t && (t->bytes != x->run_bytes || t->nr_allocs != x->run_nr))
		return bad(x, "tag totals do not match its allocations");
	return t ? tag_host_stream_note(x->dev, t) : 0;
}

/* Allocation a of tag t: t's run goes on, or t's starts (it had none: its totals restart from 0). */
static int run_next(struct rctx *x, struct tag *t)
{
	int rc;

	if (t == x->run)
		return 0;
	rc = run_end(x);
	if (rc)
		return rc;
	if (tag_first(t))
		return bad(x, "a tag's allocations are not listed together");
	x->run = t;
	x->run_bytes = t->bytes;
	x->run_nr = t->nr_allocs;
	x->runs++;
	t->bytes = 0;               /* alloc_tag_link() counts them */
	t->nr_allocs = 0;
	return 0;
}

static int read_alloc(struct rctx *x, struct hold **hbuf, uint32_t *hcap)
{
	struct cxldcd_dev *dev = x->dev;
	uint8_t region, fl, shape = 0;
	uint64_t dpa, len, toff;
	uint32_t ti, nh;
	uint16_t seq;
	struct tag *t;
	struct alloc *a;
	bool sharable;

	if (x->version < 2) {
		region = G8(&x->r);
		dpa = G64(&x->r);
		len = G64(&x->r);
		ti = G32(&x->r);
		toff = G64(&x->r);
		seq = G16(&x->r);
		fl = G8(&x->r);
		nh = G32(&x->r);
	} else {
		shape = G8(&x->r);
		dpa = G64(&x->r);
		region = shape & A_REGION ? G8(&x->r) : x->pv.region;
		if (region >= dev->cfg.nr_regions)
			return bad(x, "allocation");
		len = shape & A_LEN ? G64(&x->r) : dev->cfg.regions[region].block_size;
		ti = shape & A_TI_NEXT ? x->pv.ti + 1u : shape & A_TI_SAME ? x->pv.ti : G32(&x->r);
		toff = shape & A_TOFF ? G64(&x->r) : 0;
		seq = shape & A_SEQ ? G16(&x->r) : 0;
		fl = shape & A_FL ? G8(&x->r) : 0;
		nh = shape & A_NH ? G32(&x->r) : 1;
		x->pv.region = region;
		x->pv.ti = ti;
	}
	/* overlaps are refused once all are read, sorted (region_build()) */
	if (x->r.bad || region >= dev->cfg.nr_regions || !len || fl > 7 ||
	    (shape & A_TI_NEXT && shape & A_TI_SAME) ||
	    (ti != NO_TAG && ti >= x->nr_tags) || nh > (uint32_t)dev->cfg.nr_hosts ||
	    dpa < dev->cfg.regions[region].base || dpa >= region_end(dev, region) ||
	    len > region_end(dev, region) - dpa || (dpa | len) % dev->cfg.regions[region].block_size)
		return bad(x, "allocation");
	t = ti == NO_TAG ? NULL : dev->tag_slot[ti];
	sharable = dev->cfg.regions[region].sharable;
	/* what core_check_invariants() would find wrong in it (check_alloc(), check_tag()) */
	if ((t && tag_sharable(t) != sharable) || (t && !sharable && seq) || (nh > 1 && !sharable))
		return bad(x, "allocation's sharing");
	if (nh > *hcap) {
		struct hold *p = realloc(*hbuf, sizeof(**hbuf) * nh);

		if (!p)
			return -ENOMEM;
		*hbuf = p;
		*hcap = nh;
	}
	for (uint32_t i = 0; i < nh; i++) {
		struct hold *h = &(*hbuf)[i];

		h->host = G16(&x->r);
		h->fl = G8(&x->r);
		h->gid = x->version < 2 || h->fl & 2 ? G64(&x->r) : 0;
		h->slot = x->version < 2 || h->fl & 2 ? G32(&x->r) : 0;
		if (x->r.bad || h->host >= dev->cfg.nr_hosts || h->fl > 3)
			return bad(x, "holder");
		/* a tag that is not sharable is one host's: nh <= 1 here, so one per allocation */
		if (t && !sharable && tag_holder(dev, t) >= 0 && tag_holder(dev, t) != h->host)
			return bad(x, "non-sharable tag held by two hosts");
	}
	if (t) {
		int rc = run_next(x, t);

		if (rc)
			return rc;
	}
	a = alloc_new(dev);
	if (!a)
		return -ENOMEM;
	ahead(&x->r, a, sizeof(*a));
	SLAB_SET(a, .dpa = dpa, .len = len, .tag = t, .seq = seq,
		 .region = region, .tag_offset = toff);
	/* its tag's list now, the region tree once all are read (region_build()) */
	alloc_tag_link(dev, a);
	assert(a == slab_seq_at(&x->ord.seq, x->ord.n));    /* (read_allocs()) */
	alloc_order_note(&x->ord, dpa, len);   /* inside its region (checked above) */
	/* hx_attach() puts a holder first: attach them last to first */
	for (uint32_t i = nh; i-- > 0;) {
		struct hold *h = &(*hbuf)[i];
		struct group *g = NULL;
		struct hx *hx;

		if (h->fl & 2) {
			g = group_by_id(x, h->host, h->gid);
			if (!g || h->slot >= g->nr || g->x[h->slot])
				return bad(x, "holder's pending group");
		}
		if (alloc_holder(a, h->host))
			return bad(x, "two holds of one host");
		hx = hx_new(dev);
		if (!hx)
			return -ENOMEM;
		__builtin_prefetch((const void *)((uintptr_t)hx + 4 * sizeof(*hx)), 1);
		hx_hold(dev, hx, a, h->host, g); /* indexed once all are read (read_allocs()) */
		hx->release_pending = h->fl & 1;
		if (g)
			g->x[h->slot] = hx;
	}
	a->sanitize = fl & 1;
	a->accessed = fl & 2;
	if (fl & 4) {
		if (nh || !a->tag || !tag_fm_ref(a->tag))
			return bad(x, "orphan allocation");
		a->orphan = true;
		dev->nr_orphans++;
	} else if (!nh) {
		return bad(x, "allocation without holder");
	}
	return 0;
}

static int read_allocs(struct rctx *x)
{
	struct cxldcd_dev *dev = x->dev;
	uint32_t n = G32(&x->r), hcap = 0;
	struct hold *hbuf = NULL;
	size_t nodes;
	int rc = 0;

	if (x->r.bad || n > dev->cfg.max_extents || n > (x->r.len - x->r.off) / ALLOC_BYTES(x->version))
		return bad(x, "allocation count");
	/*
	 * The device holds no allocation (it is new), but a failed add may
	 * have left its slab a page: given back, so that the allocations read
	 * are the objects of one chunk in order (slab_seq_of()).
	 */
	assert(!dev->allocs.live);
	if (dev->allocs.nr_pages)
		slab_fini(dev, &dev->allocs);
	/* an allocation each, a hold each at least (more in a sharable region) */
	/*
	 * The index nodes made as they are read (tag_host_stream_note()) and
	 * after (region_build()) from one node chunk when they are many (the
	 * one read_hosts() opened, when it has room): about a (host, tag) pair
	 * per tag.
	 */
	nodes = region_build_bytes(dev, n) + tag_host_stream_bytes(dev, x->nr_tags);
	if (slab_reserve(dev, &dev->allocs, n) || slab_reserve(dev, &dev->holds, n) ||
	    (nodes >= CORE_CHUNK_MIN && core_chunk_open(dev, nodes)) || tag_host_stream_begin(dev))
		return -ENOMEM;
	if (n)
		slab_seq_of(&dev->allocs, &x->ord.seq);
	for (uint32_t i = 0; !rc && i < n; i++) {
		rc = read_alloc(x, &hbuf, &hcap);
		pace(x);
	}
	free(hbuf);
	if (!rc)
		rc = run_end(x);
	if (!rc && x->runs != x->nr_tags)   /* a tag none of them named */
		rc = bad(x, "tag totals do not match its allocations");
	if (!rc) {
		rc = region_build(dev, &x->ord, &dev->restore_scratch);
		if (rc == -EINVAL)
			rc = bad(x, "allocation"); /* two overlap */
		paced(x);
	}
	if (!rc)
		rc = tag_host_stream_end(dev);
	tree_trim(dev);
	if (rc)
		return rc;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		for (uint32_t i = 0; i < dev->hosts[h].nr_groups; i++)
			for (uint32_t k = 0; k < pending_at(dev, h, i)->nr; k++)
				if (!pending_at(dev, h, i)->x[k])
					return bad(x, "pending group with a missing extent");
	return x->r.bad ? bad(x, "truncated") : 0;
}

static int read_logs(struct rctx *x)
{
	struct cxldcd_dev *dev = x->dev;

	for (uint32_t o = 0; o <= dev->cfg.nr_hosts; o++) {
		struct owner *ow = &dev->owners[o];
		uint16_t owner = o == dev->cfg.nr_hosts ? CORE_OWNER_FM : (uint16_t)o;

		snap_get(&x->r, ow->irq, CXLDCD_NR_LOGS);
		for (uint8_t k = 0; k < CXLDCD_NR_LOGS; k++) {
			struct evlog *l = &ow->logs[k];
			uint16_t next = G16(&x->r), ovf_count;
			uint8_t ovf = G8(&x->r);
			uint64_t first, last;
			uint32_t n;
			bool fresh;

			ovf_count = G16(&x->r);
			first = G64(&x->r);
			last = G64(&x->r);
			n = G32(&x->r);
			if (x->r.bad || !next || ovf > 1 || n > dev->cfg.evlog_depth)
				return bad(x, "event log");
			if (n && evlog_reserve(dev, owner, k, n))
				return -ENOMEM;
			/*
			 * An empty log (a new device's) takes each record in its
			 * slot as read (room for n reserved above; no observer
			 * during a restore): what evlog_append() would store, without
			 * a copy of 184 bytes and a call per record.
			 */
			fresh = !l->count;
			for (uint32_t i = 0; i < n; i++) {
				struct cxldcd_event ev, *e = fresh ? &l->rec[(l->head + i) % l->cap] : &ev;

				get_event(&x->r, e, x->version);
				if (x->r.bad || !e->handle)
					return bad(x, "event record");
				if (fresh) {
					l->count++;
				} else {
					/* evlog_append() gives the handle and time it finds */
					l->next_handle = ev.handle;
					dev->now = ev.timestamp_ns;
					evlog_append(dev, owner, k, &ev);
				}
				pace(x);
			}
			l->next_handle = next;
			l->overflow = ovf;
			l->ovf_count = ovf_count;
			l->ovf_first = first;
			l->ovf_last = last;
		}
	}
	return x->r.bad ? bad(x, "truncated") : 0;
}

static int read_released(struct rctx *x)
{
	struct cxldcd_dev *dev = x->dev;
	uint32_t n = G32(&x->r);

	if (x->r.bad || n > RELEASED_MEMORY)
		return bad(x, "released tags");
	for (uint32_t i = 0; i < n; i++) {
		dev->rel[i].host = G16(&x->r);
		get_b(&x->r, dev->rel[i].tag, CXLDCD_TAG_SIZE);
	}
	dev->rel_head = 0;
	dev->rel_count = n;
	return x->r.bad ? bad(x, "truncated") : 0;
}

int core_restore(struct cxldcd_dev *dev, const uint8_t *p, size_t len, struct cxldcd_diag *diag)
{
	return core_restore_paced(dev, p, len, NULL, NULL, diag);
}

int core_restore_paced(struct cxldcd_dev *dev, const uint8_t *p, size_t len,
		       core_progress_fn *progress, void *opaque, struct cxldcd_diag *diag)
{
	struct rctx x = { .dev = dev, .r = { .p = p, .len = len }, .diag = diag,
			  .pv = { .region = 0, .ti = NO_TAG },
			  .progress = progress, .progress_opaque = opaque };
	uint32_t nr_obs = dev->nr_obs, tag_gen;
	uint64_t now, next_gid;
	int rc;

	if (dev->nr_tags || dev->nr_pending || dev->nr_accepted || dev->nr_orphans ||
	    dev->next_group_id != 1) {
		core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "snapshot: the device is not new");
		return -EBUSY;
	}
	dev->nr_obs = 0;            /* a restore is not news to anyone */
	dev->restore_scratch = 0;
	rc = read_config(&x);
	if (!rc) {
		now = G64(&x.r);
		next_gid = G64(&x.r);
		tag_gen = G32(&x.r);
		if (x.r.bad || !next_gid)
			rc = bad(&x, "header");
		else
			dev->next_group_id = next_gid;
	}
	if (!rc)
		rc = read_tags(&x);
	if (!rc)
		rc = read_hosts(&x);
	if (!rc)
		rc = read_allocs(&x);
	if (!rc)
		rc = read_logs(&x);
	if (!rc)
		rc = read_released(&x);
	if (!rc && x.r.off != x.r.len) {   /* the memory-device section, when present */
		uint32_t md_len = G32(&x.r);

		if (x.r.bad || md_len != x.r.len - x.r.off ||
		    memdev_snap_get(dev, x.r.p + x.r.off, md_len))
			rc = bad(&x, "memory-device state");
		else
			x.r.off += md_len;
	}
	if (!rc) {
		dev->now = now;
		dev->tag_gen = tag_gen;
		/* what no one record shows (see the head of this file; two tags with one id: read_tags()) */
		if (core_used_extents(dev) > dev->cfg.max_extents)
			rc = bad(&x, "more extents than max_extents");
		else if (!feat_consistent(dev))
			rc = bad(&x, "feature state");
	}
	dev->nr_obs = nr_obs;
	return rc;
}

bool core_staging_idle(const struct cxldcd_dev *dev)
{
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		if (dev->hosts[h].nr_staged)
			return false;
	return true;
}
