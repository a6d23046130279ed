/* SPDX-License-Identifier: MIT */
/*
 * model.h - private state of the device model, shared by the files of
 * src/core.  Nothing outside src/core includes this.
 *
 * Two views of capacity:
 *  - struct alloc: device capacity handed out (pending, accepted or held by an
 *    FM reference), one region B+tree per DC region, keyed by DPA.  Each
 *    entry's gap is the free space just below it, so first-fit search is
 *    O(log n).
 *  - struct hx: one host's hold on one allocation, pending (in a group) or
 *    accepted.  There is no separate per-host index: the region trees tally
 *    accepted holds per host in every internal node (one column per host),
 *    so a host's n-th accepted extent (4801h paging) is found by descending
 *    them, and accepting or releasing updates the path the allocation's own
 *    lookup just walked.
 * The trees hold pointers; their nodes come from one pool per device and are
 * reserved before a commit (tree_reserve()), like every other object.
 * An hx always covers its allocation exactly: accepting or releasing part of
 * an extent splits the allocation too (only single-holder, non-sharable
 * allocations are ever split).
 */
#ifndef CXLDCD_CORE_MODEL_H
#define CXLDCD_CORE_MODEL_H

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "core/btree.h"
#include "core/core.h"

#define MAX_OBSERVERS 8u
#define RELEASED_MEMORY 1024u /* (host, tag) pairs remembered for core_tag_status */
#define STAGE_NONE 0
#define STAGE_ADD_RSP 1
#define STAGE_RELEASE 2

struct tag;
struct group;
struct poison_list;
struct memdev_state;
struct bgop;
struct ras;
struct tag_hosts;

/*
 * Allocations, holds and tags live in slabs (slab.c): each keeps its slab
 * number in `slab` (slab_at()), which a whole-struct assignment must keep
 * (SLAB_SET()).  The flags are one-bit fields so that struct alloc stays at
 * 56 bytes with it.
 */
struct alloc {
	uint64_t dpa, len;          /* also the key and end of its entry in region->allocs */
	uint64_t tag_offset;
	struct tag *tag;            /* NULL: untagged */
	struct hx *holders;         /* linked through hx->a_next */
	/*
	 * Its tag's allocations before and after it, as alloc_ref()s (4 bytes
	 * where a pointer took 8: 56 bytes, not 64); the tag's first
	 * allocation: tag_prev is its last.  alloc_tag_prev(), alloc_tag_next().
	 */
	uint32_t tag_prev, tag_next;
	uint16_t seq;
	uint8_t region;
	bool sanitize : 1;          /* a release asked to sanitize */
	bool accessed : 1;          /* some host accepted it: sanitize applies when freed */
	bool orphan : 1;            /* no holder; kept by the FM reference of its tag */
	uint32_t slab;
};

struct hx {
	struct alloc *a;            /* accepted: tallied in its region tree under host */
	struct hx *a_next;
	struct group *g;            /* pending: its group; accepted: NULL */
	uint16_t host;
	bool release_pending;
	uint32_t slab;
};

_Static_assert(sizeof(struct alloc) <= 56 && sizeof(struct hx) <= 32, "one slab slot each");

/* *obj = (its type){ fields... }, keeping obj->slab. */
#define SLAB_SET(obj, ...)                                                  \
	do {                                                                \
		uint32_t slab_keep_ = (obj)->slab;                          \
		*(obj) = (__typeof__(*(obj))){ __VA_ARGS__ };               \
		(obj)->slab = slab_keep_;                                   \
	} while (0)

struct group {
	uint64_t id, offered_ns;
	uint32_t nr;
	bool dead;
	struct hx *x[];             /* offered extents, in offer order */
};

struct region {
	struct bt_tree allocs;      /* struct alloc, gaps from the region base, accepted holds per host */
	uint64_t allocated;
};

struct host {
	uint32_t nr_acc;            /* accepted holds */
	uint32_t gen;
	struct group **gq;          /* pending groups in offer order: a ring of gq_cap (power of two) */
	uint64_t *gq_before;        /* same slots: pending extents queued before the group, plus a
				     * per-host constant (position = gq_before[i] - gq_before[head]) */
	uint32_t gq_head, gq_cap, nr_groups;
	bool gq_unordered;          /* some group was offered earlier than the one before it */
	struct cxldcd_range *staged;
	uint32_t nr_staged, cap_staged;
	int stage_kind;
};

/*
 * 56 bytes and the counts (72 with two hosts, where it was 80: a restore
 * of 110,000 tags fills 8 MiB of slab, not 10): the hash chain's link is
 * the next tag's creation-order slot (tag.c), and the two flags are the
 * low bits of the first allocation's address (8-byte aligned).
 */
struct tag {
	uint8_t id[CXLDCD_TAG_SIZE];
	uintptr_t first_fl;         /* tag_first() | TAG_SHARABLE | TAG_FM_REF */
	uint64_t bytes, next_offset;
	uint32_t hnext;             /* hash chain: 1 + the slot of the next tag in it, 0: none */
	uint32_t slot;              /* position in dev->tag_slot (creation order) */
	uint32_t nr_allocs;
	uint32_t slab;
	uint32_t cnt[];             /* [2*host]: pending hx, [2*host+1]: accepted hx */
};

#define TAG_SHARABLE ((uintptr_t)1)
#define TAG_FM_REF ((uintptr_t)2)
#define TAG_FLAGS (TAG_SHARABLE | TAG_FM_REF)
_Static_assert(_Alignof(struct alloc) > TAG_FLAGS, "an allocation's address leaves the flags' bits free");

/* Its first allocation, whose tag_prev is the last (see alloc_link()); NULL: none. */
static inline struct alloc *tag_first(const struct tag *t)
{
	return (struct alloc *)(t->first_fl & ~TAG_FLAGS);
}

static inline void tag_set_first(struct tag *t, struct alloc *a)
{
	t->first_fl = (uintptr_t)a | (t->first_fl & TAG_FLAGS);
}

static inline bool tag_sharable(const struct tag *t)
{
	return t->first_fl & TAG_SHARABLE;
}

static inline bool tag_fm_ref(const struct tag *t)
{
	return t->first_fl & TAG_FM_REF;
}

static inline void tag_set_fm_ref(struct tag *t, bool on)
{
	t->first_fl = (t->first_fl & ~TAG_FM_REF) | (on ? TAG_FM_REF : 0);
}

struct evlog {
	struct cxldcd_event *rec;   /* ring of cap records, grown on demand up to the depth; NULL until used */
	uint32_t cap, head, count;
	uint16_t next_handle;
	bool overflow;
	uint16_t ovf_count;
	uint64_t ovf_first, ovf_last;
};

struct owner {
	struct evlog logs[CXLDCD_NR_LOGS];
	uint8_t irq[CXLDCD_NR_LOGS];
};

struct released {
	uint16_t host;
	uint8_t tag[CXLDCD_TAG_SIZE];
};

struct obs {
	const struct core_observer *ops;
	void *opaque;
};

/*
 * features.c: one LD's Set Feature transfer in parts (CXL r3.2 §2.5: per-LD
 * isolation of state and context, so one host's open transfer never blocks
 * another's).
 */
struct feat_xfer {
	bool open;                      /* a Set Feature transfer is in progress */
	uint8_t feature;                /* enum core_feature */
	uint16_t size, got;             /* Set Feature Size, bytes received */
	bool save;                      /* the Initiate's Saved Across Reset flag */
	uint8_t buf[CORE_FEAT_DATA_MAX];
};

/* features.c: the values are embedded in the device; the transfers made with it. */
struct feat_state {
	bool set;                       /* cur/saved hold values (else both are the defaults) */
	struct core_features cur, saved;
	struct feat_xfer *xfer;         /* [MEMDEV_LDS(dev)], at memdev_ld_of(owner) */
	uint32_t repairs[CORE_NR_REPAIRS];      /* maint.c: performed, per kind */
};

/* ------------------------------------------------------------ slab.c */
#define SLAB_PER_PAGE 64u
/* Page indexes a slab may use: an object's number (slab.c) + 1 fits 32 bits. */
#define SLAB_MAX_PAGES ((1u << 26) - 1u)
struct slab_page;
struct slab_chunk;
struct slab {
	uint32_t size, idx_off;     /* object bytes (multiple of 8); where it keeps its number */
	struct slab_page **pages;   /* by index; a hole (slab.c) where a page went */
	uint32_t nr_pages;          /* pages in the slab */
	uint32_t nr_idx, cap_pages; /* indexes used in pages[] (pages and holes), its room */
	uint32_t hole;              /* 1 + the first hole's index, 0: none */
	struct slab_page *partial;  /* pages with a free object */
	struct slab_page *empty;    /* the one page with no live object kept, or NULL */
	struct slab_chunk *chunks;  /* pages taken together by slab_reserve() */
	uint32_t live;
};

struct cxldcd_dev {
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_allocator al;
	struct slab allocs, holds, tags; /* struct alloc, struct hx, struct tag + its counts */
	uint64_t now;
	struct region reg[CXLDCD_MAX_REGIONS];
	struct bt_pool pool;        /* nodes of every tree; one tally column per host */
	uint8_t reg_order[CXLDCD_MAX_REGIONS]; /* region indexes by increasing base */
	struct host *hosts;
	struct owner *owners;       /* nr_hosts + 1; the last is the FM */
	/*
	 * The tag hash (tag.c).  While it grows, tag_hash is the new table and
	 * tag_hash_old the one before it, whose buckets [tag_hash_moved,
	 * tag_hash_old_mask] are still to move: a tag is in the old table
	 * exactly when its old bucket is one of those.  NULL: not growing.
	 */
	struct tag **tag_hash, **tag_hash_old;
	uint32_t tag_hash_mask, tag_hash_old_mask, tag_hash_moved;
	/*
	 * Live tags in creation order: slots [0, tag_used) of tag_slot (NULL
	 * where a tag went), with a Fenwick tree of live slots (tag_fw, 1-based)
	 * so the n-th live tag is found in O(log n).
	 */
	struct tag **tag_slot;
	uint32_t *tag_fw;
	uint32_t tag_used, tag_cap;
	uint32_t nr_tags, tag_gen;
	struct tag_hosts *th;       /* tag-host.c: per host, the slots of the tags it holds */
	struct node_chunk *chunks;  /* dev.c: index nodes carved from bulk memory (restore) */
	struct node_chunk *chunk_open; /* the one core_node_zalloc() carves from, or NULL */
	uint32_t nr_pending, nr_accepted, nr_orphans;
	uint64_t next_group_id;
	struct obs obs[MAX_OBSERVERS];
	uint32_t nr_obs;
	struct released *rel;
	uint32_t rel_head, rel_count;
	struct poison_list *poison;  /* poison.c; NULL until the first injection */
	struct memdev_state *memdev; /* memdev.c; NULL until first set */
	struct bgop **bg;            /* bgop.c: [BG_SLOTS], NULL until the first operation */
	uint32_t bg_erase;           /* bgop.c: 1 + the slot the last erase started; 0: none */
	struct feat_state feat;      /* features.c */
	struct ras **ras;            /* ras.c: [nr_hosts], NULL until first written */
	size_t restore_scratch;      /* snapshot.c: the last restore's scratch (core_footprint()) */
};

/* Spare objects reserved before a commit (validate-then-commit). */
struct spare {
	struct alloc **a;
	struct hx **x;
	uint32_t na, nx;
};

struct slab_page {
	struct slab_page *prev, *next; /* pages with a free object */
	void *free;                    /* freed objects, linked through their first word */
	uint32_t nfree;                /* free objects: freed + never carved */
	uint32_t carved;               /* objects [0, carved) were handed out once */
	uint32_t idx;                  /* in slab->pages */
	uint32_t in_chunk;             /* 1 + its index in its chunk; 0: allocated alone */
	/* SLAB_PER_PAGE objects follow */
};

void slab_init(struct slab *s, size_t size, size_t idx_off);
/* slab_zalloc() in every case (slab.c). */
void *slab_zalloc_slow(struct cxldcd_dev *dev, struct slab *s);

/*
 * A zeroed object (its number set), or NULL.  Inline, the usual case
 * of a restore (a page's next object never handed out, the page neither
 * new to its chunk nor about to fill): a restore takes an object each per
 * tag, allocation and hold, and the call was a tenth of its reading
 * (docs/performance.md, "Session 13: core_restore").
 */
static inline void *slab_zalloc(struct cxldcd_dev *dev, struct slab *s)
{
	struct slab_page *pg = s->partial;
	uint32_t num;
	char *obj;

	if (!pg || pg->free || pg->nfree < 2 || pg == s->empty ||
	    (pg->in_chunk && pg->nfree == SLAB_PER_PAGE))
		return slab_zalloc_slow(dev, s);
	/* never handed out: zero as its page came (slab.c) */
	num = pg->idx * SLAB_PER_PAGE + pg->carved;
	obj = (char *)(pg + 1) + (size_t)pg->carved++ * s->size;
	pg->nfree--;
	memcpy(obj + s->idx_off, &num, sizeof(num));
	s->live++;
	return obj;
}
void slab_free(struct cxldcd_dev *dev, struct slab *s, void *p);
/*
 * Free objects for n more allocations at least: the pages missing, taken in
 * one chunk (slab.c).  0 or -ENOMEM (the slab unchanged).
 */
int slab_reserve(struct cxldcd_dev *dev, struct slab *s, uint32_t n);
/* Give every page back (live objects included): the slab stays, empty. */
void slab_fini(struct cxldcd_dev *dev, struct slab *s);
/*
 * A slab's objects in the order it hands them out when its pages are one
 * chunk only and none was ever freed (a restore's: slab_reserve() on a slab
 * with no page): the i-th is slab_seq_at(q, i), with no array of them.
 */
struct slab_seq {
	char *first;                /* the chunk's first page */
	size_t page_bytes;
	uint32_t size;
};
/* q for s, whose pages are all those of its one chunk (asserted). */
void slab_seq_of(const struct slab *s, struct slab_seq *q);
static inline void *slab_seq_at(const struct slab_seq *q, uint32_t i)
{
	return q->first + (size_t)(i / SLAB_PER_PAGE) * q->page_bytes + sizeof(struct slab_page) +
	       (size_t)(i % SLAB_PER_PAGE) * q->size;
}
/* Bytes of its pages and chunks, as allocated. */
size_t slab_bytes(const struct slab *s);
/* The live object numbered num (its number: the uint32_t at idx_off; slab.c). */
static inline void *slab_at(const struct slab *s, uint32_t num)
{
	return (char *)(s->pages[num / SLAB_PER_PAGE] + 1) + (size_t)(num % SLAB_PER_PAGE) * s->size;
}

/* An allocation as its tag's list names it: 1 + its slab number (slab_at()), 0: none. */
static inline uint32_t alloc_ref(const struct alloc *a)
{
	return a ? a->slab + 1 : 0;
}

static inline struct alloc *alloc_at(const struct cxldcd_dev *dev, uint32_t ref)
{
	return ref ? slab_at(&dev->allocs, ref - 1) : NULL;
}

static inline struct alloc *alloc_tag_next(const struct cxldcd_dev *dev, const struct alloc *a)
{
	return alloc_at(dev, a->tag_next);
}

static inline struct alloc *alloc_tag_prev(const struct cxldcd_dev *dev, const struct alloc *a)
{
	return alloc_at(dev, a->tag_prev);
}

static inline struct alloc *alloc_new(struct cxldcd_dev *dev)
{
	return slab_zalloc(dev, &dev->allocs);
}

static inline void alloc_del(struct cxldcd_dev *dev, struct alloc *a)
{
	slab_free(dev, &dev->allocs, a);
}

static inline struct hx *hx_new(struct cxldcd_dev *dev)
{
	return slab_zalloc(dev, &dev->holds);
}

static inline void hx_del(struct cxldcd_dev *dev, struct hx *x)
{
	slab_free(dev, &dev->holds, x);
}

/* ------------------------------------------------------------ dev.c */
/*
 * A host's accepted extents in order (regions by base, DPA order within
 * each): host_seek() positions w on the idx-th, host_next() steps; both
 * descend the per-host tallies and return false past the last.  dev.c's
 * pages of extents and walk.c's runs read them so.
 */
struct host_walk {
	const struct cxldcd_dev *dev;
	uint16_t host;
	uint8_t k;          /* position in reg_order */
	struct bt_cur c;
};
bool host_seek(struct host_walk *w, uint32_t idx);
bool host_next(struct host_walk *w);
void *core_zalloc(struct cxldcd_dev *dev, size_t size);
void core_free(struct cxldcd_dev *dev, void *p);
/* p of old_size bytes resized to size (the rest not zeroed); NULL, p unchanged, on failure. */
void *core_realloc(struct cxldcd_dev *dev, void *p, size_t old_size, size_t size);
/*
 * Zeroed memory for a block its user fills whole (dev.c: huge pages when
 * large and no hook is set), and its release: size as allocated.
 */
void *core_zalloc_bulk(struct cxldcd_dev *dev, size_t size);
void core_free_bulk(struct cxldcd_dev *dev, void *p, size_t size);
/*
 * The size to ask core_zalloc_bulk() for a scratch block of size bytes: a
 * block of 128 KiB or more is then a mapping (one huge page to zero rather
 * than a small-page fault per 4 KiB, which cost more on this VM).
 */
size_t core_scratch_size(const struct cxldcd_dev *dev, size_t size);
/* The bytes a core_zalloc_bulk() of size gives (a mapping: whole 2 MiB units), at least size. */
size_t core_bulk_span(const struct cxldcd_dev *dev, size_t size);
/* A core_zalloc_bulk() of size is a mapping of its own (not a heap block through core_zalloc()). */
bool core_bulk_mapped(const struct cxldcd_dev *dev, size_t size);
/*
 * Index nodes (the region trees', the tag-host index's) that a restore
 * makes at once come from a chunk of bulk memory (dev.c, "node chunks"):
 * core_chunk_open() makes sure of one with room for bytes (the one open if
 * it has the room, else a new one), core_node_zalloc() carves
 * from it while it has room (else core_zalloc()), core_node_free() gives a
 * node back either way.  0 or -ENOMEM (nothing changed).
 */
struct node_chunk;
#define CORE_NODE_ALIGN 16u   /* a node's size in a chunk is rounded up to this */
#define CORE_CHUNK_MIN (64u << 10) /* fewer bytes of nodes than this: the heap */
int core_chunk_open(struct cxldcd_dev *dev, size_t bytes);
void *core_node_zalloc(struct cxldcd_dev *dev, size_t size);
void core_node_free(struct cxldcd_dev *dev, void *p);
/* p came from a node chunk (core_footprint() counts it there). */
bool core_node_chunked(const struct cxldcd_dev *dev, const void *p);
void core_chunks_fini(struct cxldcd_dev *dev);
enum cxldcd_rc core_diag(struct cxldcd_diag *d, enum cxldcd_rc rc, int32_t idx, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* core_diag() with the reason (core_diag() says CORE_REASON_OTHER, or NONE on success). */
enum cxldcd_rc core_reject(struct cxldcd_diag *d, enum cxldcd_rc rc, enum core_reason why, int32_t idx,
			   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
uint32_t core_used_extents(const struct cxldcd_dev *dev);
bool core_tag_null(const uint8_t tag[CXLDCD_TAG_SIZE]);
void core_info(const struct cxldcd_dev *dev, const struct hx *x, struct core_extent_info *out);
void core_alloc_info(const struct cxldcd_dev *dev, const struct alloc *a, uint64_t dpa,
		     uint64_t len, struct core_extent_info *out);
bool core_host_ok(const struct cxldcd_dev *dev, uint16_t host);
void core_bump_gen(struct cxldcd_dev *dev, uint16_t host);

/* Observer fan-out */
void obs_accepted(struct cxldcd_dev *dev, const struct core_extent_info *x);
void obs_released(struct cxldcd_dev *dev, const struct core_extent_info *x);
void obs_revoked(struct cxldcd_dev *dev, const struct core_extent_info *x);
void obs_freed(struct cxldcd_dev *dev, const struct core_extent_info *x);
void obs_answered(struct cxldcd_dev *dev, uint16_t host, uint64_t id, uint32_t off, uint32_t acc);

/* ------------------------------------------------------------ poison.c, memdev.c, bgop.c */
struct poison_list {
	struct core_poison e[CORE_POISON_MAX];
	uint32_t n;
};

/*
 * The state one LD's mailbox sets for itself alone (CXL r3.2 §2.4: each LD
 * operates as a Type 3 device; §2.5: per-LD isolation of state, context and
 * management): its timestamp and alert configuration.
 */
struct memdev_ld {
	bool ts_set;
	uint64_t ts_value, ts_at;       /* host's timestamp, and dev->now when it was set */
	struct core_alert_cfg alert;
};

struct memdev_state {
	struct memdev_ld *ld;           /* [MEMDEV_LDS(dev)]: each host's, then the MCTP CCI's */
	uint8_t *lsa;                   /* cfg.lsa_size bytes once written */
};

/*
 * memdev_state.ld and feat_state.xfer slots: one per host, then the Type 3
 * MCTP CCI's (CORE_OWNER_FM).
 */
#define MEMDEV_LDS(dev) ((uint32_t)(dev)->cfg.nr_hosts + 1u)
/* The slot of owner (a host, or CORE_OWNER_FM). */
static inline uint32_t memdev_ld_of(const struct cxldcd_dev *dev, uint16_t owner)
{
	return owner < dev->cfg.nr_hosts ? owner : dev->cfg.nr_hosts;
}
/* The alert configuration of an LD that never set one. */
extern const struct core_alert_cfg memdev_alert_default;
/* dev->memdev, made (every LD at its defaults) when there is none; NULL: out of memory. */
struct memdev_state *memdev_state_get(struct cxldcd_dev *dev);

/* 0 or Invalid Input (diag) when v's part for feature f is out of range. */
enum cxldcd_rc feat_validate(enum core_feature f, const struct core_features *v,
			     struct cxldcd_diag *diag);
/* The feature values are valid and the transfer state fits its buffer (check.c). */
bool feat_consistent(const struct cxldcd_dev *dev);
/* The transfer slots (dev creation): 0 or -ENOMEM; and back. */
int feat_init(struct cxldcd_dev *dev);
/* One transfer slot is in range (closed ones all zero). */
bool feat_xfer_ok(const struct feat_xfer *x);
void feat_fini(struct cxldcd_dev *dev);

/* Background-operation slots: one per host's mailbox, then the MCTP CCI's (CORE_OWNER_FM). */
#define BG_SLOTS(dev) ((uint32_t)(dev)->cfg.nr_hosts + 1u)

struct bgop {
	uint16_t opcode;            /* 0: none ever started */
	uint64_t start_ns, dur_ns;
	bool aborted;
	/*
	 * The return code it ends with: Success, or what the command that
	 * started it was answered instead (core_bg_erase_answered()).  Not in
	 * snapshots: a restart replays the erase, whose proof it then commits.
	 */
	uint16_t result;
	uint64_t abort_ns;
	uint64_t dpa, len;          /* scanned range (0 len: no results) */
	uint32_t n;
	bool more;
	struct core_poison rec[CORE_POISON_MAX];
	/*
	 * The results of the last Scan Media, kept while another operation has
	 * the slot (CXL r3.2 §8.2.10.9.4.5: only a new Scan Media discards
	 * them): n, more and rec as its 4305h reports them, and whether it
	 * stopped early, where to restart.
	 */
	bool scan_kept, scan_stopped;
	uint64_t restart_dpa, restart_len;
	/*
	 * 0600h (memory sparing) not yet ended nor aborted: at its end, repair
	 * (< CORE_NR_REPAIRS) is counted and ev (has_ev) logged to the owner's
	 * Informational log.
	 */
	bool owed;
	uint8_t repair;             /* enum core_repair; CORE_NR_REPAIRS: a query, none */
	bool has_ev;
	struct cxldcd_event ev;
};

/*
 * A memory sparing operation on owner's CCI (CXLDCD_OP_PERFORM_MAINTENANCE,
 * CORE_SPARING_MS, abortable): at its end repair (CORE_NR_REPAIRS: none)
 * is counted and ev (may be NULL) logged.  0 or -ENOMEM (nothing changed).
 * The caller checked core_bg_busy().
 */
int bgop_start_sparing(struct cxldcd_dev *dev, uint16_t owner, uint8_t repair,
		       const struct cxldcd_event *ev);
/*
 * Log what operations that ended by dev->now owe (bgop.c): called where
 * model time moves (core_dev_set_time(), core_tick()), so the records appear
 * in completion order whatever requests came between, on replay too.
 */
void bgop_settle(struct cxldcd_dev *dev);

/*
 * Call fn on each piece of [dpa, dpa+len) that owner can access (static
 * capacity, its accepted extents; CORE_OWNER_FM: all of it), in region
 * order.  Returns false as soon as fn does.
 */
typedef bool piece_fn(void *opaque, uint64_t dpa, uint64_t len);
bool core_host_pieces(const struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa, uint64_t len,
		      piece_fn *fn, void *opaque);

/*
 * Snapshot bytes (snapshot.c), little-endian, shared by snapshot.c and
 * memdev-snap.c.  The writer grows a malloc()ed buffer; a failed growth sets
 * the sticky oom and later writes do nothing.  With a sink
 * (core_snapshot_write()) it fills the caller's buffer of cap bytes instead
 * and hands it to the sink whenever it is full; a sink's error is sticky as
 * well (err).  The reader reads borrowed bytes; a read past the end sets the
 * sticky bad and yields zeros.
 */
struct snap_wr {
	uint8_t *p;
	size_t len, cap;
	bool oom;
	core_snapshot_sink *sink;   /* NULL: p grows */
	void *opaque;
	int err;                    /* the sink's first error */
	uint64_t done;              /* bytes handed to the sink */
};
void snap_put(struct snap_wr *w, const void *src, size_t n);
/* The low `bytes` bytes of v, least significant first. */
void snap_put_u(struct snap_wr *w, uint64_t v, unsigned bytes);
/* core_snapshot() in a given format version (1 or 2; tests write version 1 with it). */
int snapshot_write(const struct cxldcd_dev *dev, uint32_t version, uint8_t **out, size_t *len);

struct snap_rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};
void snap_get(struct snap_rd *r, void *dst, size_t n);

/*
 * Inline, @bytes a constant (restore reads ~10 per extent): on a
 * little-endian host one load (memcpy); gcc did not merge the byte loop
 * into one, and a restore spent a tenth of its time assembling bytes.
 */
static inline uint64_t snap_get_u(struct snap_rd *r, unsigned bytes)
{
	const uint8_t *q;
	uint64_t v = 0;

	if (r->bad || r->len - r->off < bytes) {
		r->bad = true;
		return 0;
	}
	q = r->p + r->off;
	r->off += bytes;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(&v, q, bytes);
#else
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)q[i] << (8 * i);
#endif
	return v;
}

/*
 * Their state as bytes for core_snapshot() (memdev-snap.c): *out malloc()ed,
 * *len 0 (and *out NULL) when the device has none of it.  0 or -ENOMEM.
 * memdev_snap_get() loads it into a new device: 0 or -EINVAL.
 */
int memdev_snap_put(const struct cxldcd_dev *dev, uint8_t **out, size_t *len);
int memdev_snap_get(struct cxldcd_dev *dev, const uint8_t *p, size_t len);
void poison_fini(struct cxldcd_dev *dev);
void memdev_fini(struct cxldcd_dev *dev);
void bgop_fini(struct cxldcd_dev *dev);
void ras_fini(struct cxldcd_dev *dev);

/* ------------------------------------------------------------ region.c */
static inline uint64_t alloc_end(const struct alloc *a)
{
	return a->dpa + a->len;
}
uint64_t region_end(const struct cxldcd_dev *dev, uint8_t r);
/*
 * Where [dpa, dpa + len) lies, the one placement check of add, release and
 * response: its region in *reg, or why not.  named >= 0 (a valid region
 * index, QMP's region argument) requires that region and checks alignment
 * before bounds; named < 0 finds the region holding the whole range, then
 * checks alignment.  Zero length comes first either way.  *reg is set
 * whenever the region is known, even with CORE_REASON_UNALIGNED.
 */
enum core_reason region_place(const struct cxldcd_dev *dev, int named, uint64_t dpa, uint64_t len,
			      int *reg);
/* First allocation of region r ending above dpa (the first that can overlap [dpa, ...)). */
struct alloc *region_lookup(const struct cxldcd_dev *dev, uint8_t r, uint64_t dpa);
/* An allocation of region r overlapping [dpa, dpa + len), or NULL. */
struct alloc *region_overlap(const struct cxldcd_dev *dev, uint8_t r, uint64_t dpa, uint64_t len);
struct alloc *alloc_next(const struct cxldcd_dev *dev, const struct alloc *a);
void region_insert(struct cxldcd_dev *dev, struct alloc *a);
void region_remove(struct cxldcd_dev *dev, struct alloc *a);
void region_resize(struct cxldcd_dev *dev, struct alloc *a, uint64_t dpa, uint64_t len);
struct free_iter {
	struct bt_cur c;
	int state; /* 0: start, 1: walking gaps, 2: done */
};
/* Next free range of at least min bytes, lowest address first; false at the end. */
bool region_next_free(const struct cxldcd_dev *dev, uint8_t r, struct free_iter *it, uint64_t min,
		      uint64_t *dpa, uint64_t *len);
struct hx *alloc_holder(const struct alloc *a, uint16_t host);
/* Link a new allocation (region tree + tag list). */
void alloc_link(struct cxldcd_dev *dev, struct alloc *a);
/* Its tag list only: alloc_link() without the region tree (restore: region_build()). */
void alloc_tag_link(struct cxldcd_dev *dev, struct alloc *a);
/* Attach hx to a as pending in group g (or accepted when g == NULL). */
void hx_attach(struct cxldcd_dev *dev, struct hx *x, struct alloc *a, uint16_t host, struct group *g);
/*
 * hx_attach() but for the indexes: the region tree's tally and the
 * tag-host pair.  Restore holds every hold this way, then builds the
 * indexes at once (region_build(), tag_host_build()).
 */
void hx_hold(struct cxldcd_dev *dev, struct hx *x, struct alloc *a, uint16_t host, struct group *g);
/*
 * Put allocations linked by alloc_tag_link() only, their holders attached
 * by hx_hold(), in the empty region trees at once (restore).  o: the
 * allocations as read (the allocation slab's one chunk, in order: no list
 * of them), whether each started past the end of the one before (what a
 * snapshot of tags made in address order lists: no sort), else where each
 * ascending run of them starts (up to MERGE_RUNS: merged as the trees are
 * built; more: their addresses listed in scratch and sorted, *scratch bytes
 * as allocated, 0 otherwise, O(n) when they come in a few ascending runs,
 * O(n log n) at worst).  Then each tree is built bottom-up with its tallies
 * (bt_build_by()) from the allocations themselves, in address order, which
 * is where two that overlap are found.  -EINVAL when two overlap, -ENOMEM;
 * the trees stay empty then.
 */
#define MERGE_RUNS 8u
struct alloc_order {
	struct slab_seq seq;        /* allocation i: slab_seq_at(&seq, i) */
	uint32_t n;
	bool unsorted;              /* one started below the end of the one before */
	uint32_t runs;              /* ascending runs by address; MERGE_RUNS + 1: more */
	uint32_t run[MERGE_RUNS + 1]; /* where each starts */
	uint64_t last_dpa, last_end; /* of the one noted last */
};
/* One more allocation read, at dpa (inside its region, so dpa + len does not wrap). */
static inline void alloc_order_note(struct alloc_order *o, uint64_t dpa, uint64_t len)
{
	if (!o->n || dpa < o->last_dpa) {
		if (o->runs < MERGE_RUNS)
			o->run[o->runs] = o->n;
		o->runs += o->runs <= MERGE_RUNS;
	}
	o->unsorted |= dpa < o->last_end;
	o->last_dpa = dpa;
	o->last_end = dpa + len;
	o->n++;
}
struct alloc_key {
	uint64_t dpa;
	struct alloc *a;
};
int region_build(struct cxldcd_dev *dev, const struct alloc_order *o, size_t *scratch);
/* About the bytes of node chunk region_build() takes for n allocations (their regions unknown). */
size_t region_build_bytes(const struct cxldcd_dev *dev, uint32_t n);
void hx_accept(struct cxldcd_dev *dev, struct hx *x);
/*
 * Drop hx (its memory is freed); frees the allocation (capacity_freed) when
 * no holder and no FM reference remains.  Sanitize is reported when the
 * capacity was ever accepted and the region or a release asked for it.
 */
void hx_drop(struct cxldcd_dev *dev, struct hx *x);
/* Free an allocation without holders (capacity_freed). */
void alloc_free(struct cxldcd_dev *dev, struct alloc *a);
/*
 * Keep only keep[0..nk) (sorted, inside x's allocation) of a single-holder
 * extent: the rest is freed (capacity_freed).  Accepts a pending hx when
 * accept is true.  Uses nk - 1 spares from sp.
 */
void hx_split_keep(struct cxldcd_dev *dev, struct hx *x, const struct cxldcd_range *keep,
		   uint32_t nk, bool accept, struct spare *sp);
int spare_reserve(struct cxldcd_dev *dev, struct spare *sp, uint32_t na, uint32_t nx);
/*
 * Pool the tree nodes that region_k allocation inserts (in any region) can
 * need.  0 or -ENOMEM; call before the first change.  tree_trim() gives the
 * surplus back after the operation.
 */
int tree_reserve(struct cxldcd_dev *dev, uint32_t region_k);
extern const struct bt_tally_ops region_tally_ops;
void tree_trim(struct cxldcd_dev *dev);
void spare_release(struct cxldcd_dev *dev, struct spare *sp);

/* ------------------------------------------------------------ tag.c */
int tag_table_init(struct cxldcd_dev *dev);
void tag_table_fini(struct cxldcd_dev *dev);
struct tag *tag_find(const struct cxldcd_dev *dev, const uint8_t id[CXLDCD_TAG_SIZE]);
struct tag *tag_new(struct cxldcd_dev *dev, const uint8_t id[CXLDCD_TAG_SIZE], bool sharable);
/* Free a tag entry tag_link() never linked (NULL: no-op). */
void tag_del(struct cxldcd_dev *dev, struct tag *t);
/* Room for k more tag_link() calls.  0 or -ENOMEM (tags unchanged). */
int tag_reserve(struct cxldcd_dev *dev, uint32_t k);
/* tag_reserve() for a restore of k tags: the hash and slot arrays in whole huge pages from 1 MiB. */
int tag_reserve_restore(struct cxldcd_dev *dev, uint32_t k);
/* The idx-th live tag in creation order, or NULL.  O(log n). */
struct tag *tag_nth(const struct cxldcd_dev *dev, uint32_t idx);
/* The live tag after t in creation order, or NULL. */
struct tag *tag_after(const struct cxldcd_dev *dev, const struct tag *t);
void tag_link(struct cxldcd_dev *dev, struct tag *t);
/*
 * A restore's tag_link() in two steps: tag_place() gives t the next
 * creation-order slot (room reserved, the device's tags all placed this
 * way); tag_index_build() then links them all in the hash and counts the
 * slots, O(n) (tag_link() costs O(log n) for the counts, and a cache miss
 * for the bucket that n links in a row can overlap).  It returns -1, the
 * hash part-built (free the device), when two tags have one id.
 */
void tag_place(struct cxldcd_dev *dev, struct tag *t);
int tag_index_build(struct cxldcd_dev *dev);
/*
 * A hash chain links each tag to the next by the next one's creation-order
 * slot (t->hnext: 1 + the slot, 0 at its end), 4 bytes where a pointer took
 * 8; a bucket holds its first tag.  tag_chain_next(): the tag after t in
 * its chain, or NULL; tag_link_to(): t->hnext of a tag put before head
 * (NULL: none).
 */
static inline struct tag *tag_chain_next(const struct cxldcd_dev *dev, const struct tag *t)
{
	return t->hnext ? dev->tag_slot[t->hnext - 1] : NULL;
}

static inline uint32_t tag_link_to(const struct tag *head)
{
	return head ? head->slot + 1 : 0;
}
/* Finish a growth of the tag hash under way (tag.c; O(buckets left)). */
void tag_hash_settle(struct cxldcd_dev *dev);
void tag_unlink_free(struct cxldcd_dev *dev, struct tag *t);
void tag_remember_release(struct cxldcd_dev *dev, uint16_t host, const struct tag *t);
/* The host that holds (pending or accepted) a non-sharable tag, or -1. */
int tag_holder(const struct cxldcd_dev *dev, const struct tag *t);

/* Fill out for t (core_tag_list()'s record). */
void tag_info(const struct cxldcd_dev *dev, const struct tag *t, struct core_tag_info *out);
/* Live tags in slots [0, s): the number slot s gets when the slots are compacted. */
uint32_t tag_live_before(const struct cxldcd_dev *dev, uint32_t s);
/*
 * Invariant checks (check.c), taking (msg, cap) as CHECK_FAIL() below does.
 * tag_order_check(): the creation-order slots are where their tags say, the
 * Fenwick counts (tag_nth()) are exactly the live slots, nr_tags counts
 * them; O(slots).  tag_hash_check(): the hash holds exactly the live tags,
 * each once, in the bucket of its id, no two with one id, so tag_find()
 * finds each; O(buckets + tags + pairs in one chain).
 */
int tag_order_check(const struct cxldcd_dev *dev, char *msg, size_t cap);
int tag_hash_check(const struct cxldcd_dev *dev, char *msg, size_t cap);

/* ------------------------------------------------------------ tag-host.c */
int tag_host_init(struct cxldcd_dev *dev);
void tag_host_fini(struct cxldcd_dev *dev);
/*
 * Room for k more (host, tag) pairs on host (pools the index nodes their
 * insertion can take).  tail: every one of them is a tag created after all
 * the host holds now.  0 or -ENOMEM (nothing changed).
 */
int tag_host_reserve(struct cxldcd_dev *dev, uint16_t host, uint32_t k, bool tail);
/* Give pooled index nodes beyond keep back. */
void tag_host_trim(struct cxldcd_dev *dev, uint32_t keep);
/* Call after a hold of t on host was counted in t->cnt (indexes a new pair). */
void tag_host_held(struct cxldcd_dev *dev, const struct tag *t, uint16_t host);
/*
 * Index every (host, tag) pair the tags' counts hold, into empty indexes
 * (restore, after hx_hold() of every hold): one pass over the tags in
 * creation order, each host's nodes filled left to right, the shape
 * tag_host_held() in creation order gives.  0 or -ENOMEM (then nothing is
 * indexed).
 */
int tag_host_build(struct cxldcd_dev *dev);
/*
 * tag_host_build() as a restore reads (tag-host.c): begin before the first
 * allocation, note each tag once all its holds are counted (tags noted in
 * creation order are indexed as they come; out of it, end builds it all
 * again), end after the last.  0 or -ENOMEM; on an error in between, the
 * device is freed (tag_host_fini() ends the stream).
 */
int tag_host_stream_begin(struct cxldcd_dev *dev);
/* About the bytes of node chunk the stream takes for this many (host, tag) pairs. */
size_t tag_host_stream_bytes(const struct cxldcd_dev *dev, uint32_t pairs);
int tag_host_stream_note(struct cxldcd_dev *dev, const struct tag *t);
int tag_host_stream_end(struct cxldcd_dev *dev);
/* Call after a hold of t on host was uncounted (drops a pair that went to zero). */
void tag_host_dropped(struct cxldcd_dev *dev, const struct tag *t, uint16_t host);
/* Slots are about to be compacted (tag.c): renumber the stored ones. */
void tag_host_renumber(struct cxldcd_dev *dev);
/* The indexes hold exactly held[h] tags of host h, the tags it holds (check.c counts them). */
int tag_host_check(const struct cxldcd_dev *dev, const uint32_t *held, char *msg, size_t cap);
/*
 * In an invariant check taking (char *msg, size_t cap): say what is wrong in
 * msg and return -1 (check.c, tag-host.c).
 */
#define CHECK_FAIL(...)                                   \
	do {                                              \
		if (msg && cap)                           \
			snprintf(msg, cap, __VA_ARGS__);  \
		return -1;                                \
	} while (0)
/* Bytes of index nodes in use (tests). */
size_t tag_host_bytes(const struct cxldcd_dev *dev);
/* core_footprint()'s parts: tag.c (hash, arrays), dev.c (node chunks), pending.c, evlog.c. */
void tag_footprint(const struct cxldcd_dev *dev, size_t *hash, size_t *arrays);
size_t core_chunks_bytes(const struct cxldcd_dev *dev);
void pending_footprint(const struct cxldcd_dev *dev, size_t *groups, size_t *rings);
size_t evlog_bytes(const struct cxldcd_dev *dev);

/* ------------------------------------------------------------ evlog.c */
int evlog_init(struct cxldcd_dev *dev);
void evlog_fini(struct cxldcd_dev *dev);
uint32_t evlog_free_slots(const struct cxldcd_dev *dev, uint16_t owner, uint8_t log);
/*
 * Grow the ring so n more records (at most the free slots) append without
 * allocating.  0 or -ENOMEM (the log unchanged).  Call before a commit that
 * logs; an append that finds the ring full grows it itself and counts an
 * overflow only if that fails.
 */
int evlog_reserve(struct cxldcd_dev *dev, uint16_t owner, uint8_t log, uint32_t n);
void evlog_append(struct cxldcd_dev *dev, uint16_t owner, uint8_t log, struct cxldcd_event *ev);
void evlog_discard(struct cxldcd_dev *dev, uint16_t owner);
/* Log a DC record (counts taken now) to owner's DC log. */
void evlog_dc(struct cxldcd_dev *dev, uint16_t owner, uint8_t type, uint16_t host_id,
	      uint8_t region, const struct cxldcd_extent *x, bool more);

/* ------------------------------------------------------------ response.c */
/*
 * More-chain staging for 4802h/4803h.  more=true appends r and sets
 * *staged_only.  more=false yields the whole chain in *out (the staging
 * buffer or r itself); the caller ends with stage_clear() whatever the
 * outcome.
 */
enum cxldcd_rc stage_take(struct cxldcd_dev *dev, uint16_t host, int kind,
			  const struct cxldcd_range *r, uint32_t n, bool more,
			  const struct cxldcd_range **out, uint32_t *nout, bool *staged_only,
			  struct cxldcd_diag *diag);
void stage_clear(struct cxldcd_dev *dev, uint16_t host);
int range_cmp(const void *a, const void *b);
/*
 * list_first_overlap() - the smallest i such that entry i of a list overlaps
 * one of entries 0..i-1, or n: the overlap a check in list order meets
 * first.  list: n entries of stride bytes, each leading with uint64_t dpa,
 * len (struct cxldcd_range, struct cxldcd_extent); zero lengths are
 * ignored.  ord: n slots of scratch.  O(n log n): whether a prefix overlaps
 * is monotone in its length, and one pass over the sorted list answers it.
 */
uint32_t list_first_overlap(const void *list, size_t stride, uint32_t n, uint32_t *ord);

/* ------------------------------------------------------------ pending.c */
/* Room for one more pending group on host.  0 or -ENOMEM (nothing changed). */
int pending_reserve(struct cxldcd_dev *dev, uint16_t host);
/* Room for k more groups at once (a restore: one ring for all, not a doubling each time). */
int pending_reserve_n(struct cxldcd_dev *dev, uint16_t host, uint32_t k);
/* Queue g as the host's newest group (after pending_reserve()). */
void pending_push(struct cxldcd_dev *dev, uint16_t host, struct group *g);
/* The host's idx-th pending group, oldest first; NULL out of range. */
struct group *pending_at(const struct cxldcd_dev *dev, uint16_t host, uint32_t idx);
/* Index of the host's pending group with this id, or -1.  O(log n). */
int32_t pending_find(const struct cxldcd_dev *dev, uint16_t host, uint64_t id);
/* Unqueue and free the idx-th group (its extents are the caller's). */
void pending_remove(struct cxldcd_dev *dev, uint16_t host, uint32_t idx);
/* Drop every extent of the idx-th group (rejected or expired), then remove it. */
void pending_reject(struct cxldcd_dev *dev, uint16_t host, uint32_t idx);
void pending_fini(struct cxldcd_dev *dev, uint16_t host);

#endif /* CXLDCD_CORE_MODEL_H */
