/* SPDX-License-Identifier: MIT */
/*
 * tag-host.c - the tags each host holds: per host, the creation-order slots
 * (struct tag slot) of the tags it holds pending or accepted (cnt[2h] or
 * cnt[2h+1] non-zero), so a page of one host's tags (the host-id filter of
 * query-cxl-dynamic-capacity) starts in O(log n) and costs O(page), however
 * many tags other hosts hold.  It is not a second tag table: the tags stay
 * in tag.c, this only orders the (host, tag) pairs.
 *
 * Each host has a counted B+tree of uint32_t slots: leaves of up to
 * TH_LEAF slots, internal nodes of up to TH_FAN children with, per child,
 * the number of slots below it (the n-th slot is a descent) and a lower
 * bound of its slots (above every slot of the child before; the first
 * child's bound equals its own first bound when it is internal).  Every node
 * is 128 bytes and, but for the root and the last node of each level, at
 * least half full, so a (host, tag) pair costs at most 128 / 15 bytes of
 * leaf plus about 2.5 of the levels above: under 16 bytes (and a few nodes
 * per host), and a host that holds nothing costs no node.  New tags come
 * last in creation order: the last leaf, when full, keeps its slots and the
 * new one starts a leaf of its own, so a host's tags taken in creation order
 * fill their leaves (about 4.5 bytes per pair).
 *
 * Inserting never allocates: a pair appears when a commit attaches a hold
 * (hx_attach()), so the add reserves the nodes first (tag_host_reserve());
 * removing only returns nodes to the device's pool of spare ones, which
 * tag_host_trim() gives back.  When tag.c compacts its slot array (slots
 * renumbered, order kept), tag_host_renumber() maps every stored slot, and
 * every bound, to its new number first.
 */
#include <assert.h>
#include <stdio.h>

#include "core/model.h"

#define TH_LEAF 30u                   /* slots per leaf */
#define TH_FAN 7u                     /* children per internal node */
#define TH_MIN_LEAF ((TH_LEAF + 1) / 2)
#define TH_MIN_FAN ((TH_FAN + 1) / 2)
#define TH_MAX_H 24u                  /* levels: TH_MIN_FAN^22 * TH_MIN_LEAF > 2^32 slots */

struct th_node {
	uint32_t n;                                 /* slots (leaf) or children */
	union {
		uint32_t key[TH_LEAF];              /* leaf: slots, ascending */
		struct {
			struct th_node *child[TH_FAN];
			uint32_t low[TH_FAN];       /* lower bound of the child's slots */
			uint32_t cnt[TH_FAN];       /* slots below the child */
		} in;
		struct th_node *next_free;          /* in the pool */
	};
};

_Static_assert(sizeof(struct th_node) == 128, "a tag-host node is two cache lines");

struct th_tree {
	struct th_node *root;
	uint32_t height;                            /* 0: empty, 1: the root is a leaf */
	uint32_t count;
};

struct th_stream;

struct tag_hosts {
	struct th_node *free;                       /* spare nodes */
	uint32_t nfree;
	uint32_t nodes;                             /* in the trees */
	struct th_stream *stream;                   /* a restore's build under way (tag_host_stream_*()) */
	struct th_tree t[];                         /* one per host */
};

struct th_path {
	uint32_t depth;
	struct {
		struct th_node *n;
		uint32_t i;
	} lv[TH_MAX_H];
};

/* ------------------------------------------------------------ nodes */

static struct th_node *node_get(struct tag_hosts *th)
{
	struct th_node *n = th->free;

	assert(n); /* tag_host_reserve() before the commit */
	th->free = n->next_free;
	th->nfree--;
	th->nodes++;
	memset(n, 0, sizeof(*n));
	return n;
}

static void node_put(struct tag_hosts *th, struct th_node *n)
{
	n->next_free = th->free;
	th->free = n;
	th->nfree++;
	th->nodes--;
}

static uint32_t node_count(const struct th_node *n, bool leaf)
{
	uint32_t c = 0;

	if (leaf)
		return n->n;
	for (uint32_t j = 0; j < n->n; j++)
		c += n->in.cnt[j];
	return c;
}

static uint32_t node_low(const struct th_node *n, bool leaf)
{
	return leaf ? n->key[0] : n->in.low[0];
}

int tag_host_init(struct cxldcd_dev *dev)
{
	dev->th = core_zalloc(dev, sizeof(*dev->th) + sizeof(dev->th->t[0]) * dev->cfg.nr_hosts);
	return dev->th ? 0 : -ENOMEM;
}

static void free_tree(struct cxldcd_dev *dev, struct th_node *n, uint32_t height)
{
	for (uint32_t j = 0; height > 1 && j < n->n; j++)
		free_tree(dev, n->in.child[j], height - 1);
	core_node_free(dev, n);
}

static void stream_close(struct cxldcd_dev *dev);

void tag_host_fini(struct cxldcd_dev *dev)
{
	if (!dev->th)
		return;
	stream_close(dev);      /* a restore that failed: its open nodes become trees, freed below */
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		if (dev->th->t[h].root)
			free_tree(dev, dev->th->t[h].root, dev->th->t[h].height);
	tag_host_trim(dev, 0);
	core_free(dev, dev->th);
	dev->th = NULL;
}

/*
 * Nodes k inserts into a tree of this height can take: each may split a
 * leaf and every node above it and add a root.  When every key is above
 * the ones present (tail), they all land in the rightmost nodes, each new
 * node at least half full but the last of its level: about k / 15 + 2
 * leaves and a quarter as many (+ 2) nodes per level above.
 */
static uint64_t need(const struct th_tree *t, uint32_t k, bool tail)
{
	uint64_t total = 0, m = (k + TH_MIN_LEAF - 1) / TH_MIN_LEAF + 2;
	uint32_t levels = t->height + 2;

	for (uint32_t v = k; v; v >>= 1)
		levels++;
	if (!k)
		return 0;
	if (!tail)
		return (uint64_t)k * levels + 1;
	for (uint32_t l = 0; l < levels; l++) {
		total += m;
		m = (m + TH_MIN_FAN - 1) / TH_MIN_FAN + 2;
	}
	return total;
}

/* At least want spare nodes.  0 or -ENOMEM (those added stay spare). */
static int pool_to(struct cxldcd_dev *dev, uint64_t want)
{
	struct tag_hosts *th = dev->th;

	while (th->nfree < want) {
		struct th_node *n = core_node_zalloc(dev, sizeof(*n));

		if (!n)
			return -ENOMEM;
		n->next_free = th->free;
		th->free = n;
		th->nfree++;
	}
	return 0;
}

int tag_host_reserve(struct cxldcd_dev *dev, uint16_t host, uint32_t k, bool tail)
{
	return pool_to(dev, need(&dev->th->t[host], k, tail));
}

void tag_host_trim(struct cxldcd_dev *dev, uint32_t keep)
{
	struct tag_hosts *th = dev->th;

	while (th && th->nfree > keep) {
		struct th_node *n = th->free;

		th->free = n->next_free;
		th->nfree--;
		core_node_free(dev, n);
	}
}

/* ------------------------------------------------------------ insert */

/* Put (c, low, cnt) at child position at of internal node p, which has room. */
static void in_put(struct th_node *p, uint32_t at, struct th_node *c, uint32_t low, uint32_t cnt)
{
	uint32_t k = p->n - at;

	memmove(&p->in.child[at + 1], &p->in.child[at], k * sizeof(p->in.child[0]));
	memmove(&p->in.low[at + 1], &p->in.low[at], k * sizeof(p->in.low[0]));
	memmove(&p->in.cnt[at + 1], &p->in.cnt[at], k * sizeof(p->in.cnt[0]));
	p->in.child[at] = c;
	p->in.low[at] = low;
	p->in.cnt[at] = cnt;
	p->n++;
}

/* Leaf l is full: key goes at pos, all but the first keep move to a new leaf (returned). */
static struct th_node *leaf_split(struct tag_hosts *th, struct th_node *l, uint32_t pos,
				  uint32_t key, uint32_t keep)
{
	uint32_t all[TH_LEAF + 1];
	struct th_node *r = node_get(th);

	memcpy(all, l->key, pos * sizeof(all[0]));
	all[pos] = key;
	memcpy(&all[pos + 1], &l->key[pos], (TH_LEAF - pos) * sizeof(all[0]));
	l->n = keep;
	r->n = TH_LEAF + 1 - keep;
	memcpy(l->key, all, l->n * sizeof(all[0]));
	memcpy(r->key, &all[l->n], r->n * sizeof(all[0]));
	return r;
}

/* Internal node p is full: (c, low, cnt) goes at at, all but the first keep move to a new node. */
static struct th_node *in_split(struct tag_hosts *th, struct th_node *p, uint32_t at,
				struct th_node *c, uint32_t low, uint32_t cnt, uint32_t keep)
{
	struct th_node *ch[TH_FAN + 1], *r = node_get(th);
	uint32_t lo[TH_FAN + 1], cn[TH_FAN + 1], w = 0;

	for (uint32_t j = 0; j <= TH_FAN; j++) {
		uint32_t s = j < at ? j : j - 1;

		if (j == at) {
			ch[j] = c;
			lo[j] = low;
			cn[j] = cnt;
			continue;
		}
		ch[j] = p->in.child[s];
		lo[j] = p->in.low[s];
		cn[j] = p->in.cnt[s];
	}
	p->n = keep;
	r->n = TH_FAN + 1 - keep;
	for (uint32_t j = 0; j <= TH_FAN; j++, w++) {
		struct th_node *d = j < keep ? p : r;

		if (j == keep)
			w = 0;
		d->in.child[w] = ch[j];
		d->in.low[w] = lo[j];
		d->in.cnt[w] = cn[j];
	}
	return r;
}

/* Index of the child of p whose range holds key (the first when key is below them all). */
static uint32_t in_pick(const struct th_node *p, uint32_t key)
{
	uint32_t j = p->n - 1;

	while (j && p->in.low[j] > key)
		j--;
	return j;
}

/* Position of the first slot of leaf l not below key. */
static uint32_t leaf_pos(const struct th_node *l, uint32_t key)
{
	uint32_t lo = 0, hi = l->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (l->key[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void tree_insert(struct tag_hosts *th, struct th_tree *t, uint32_t key)
{
	struct th_path p; /* lv[] is written before it is read: not zeroed (384 bytes an insert) */
	struct th_node *n = t->root, *split;
	uint32_t pos, lvl;
	bool last = true; /* n is the last node of its level */

	p.depth = 0;
	t->count++;
	if (!n) {
		n = t->root = node_get(th);
		n->key[0] = key;
		n->n = 1;
		t->height = 1;
		return;
	}
	for (lvl = t->height; lvl > 1; lvl--) {
		uint32_t j = in_pick(n, key);

		if (key < n->in.low[j])
			n->in.low[j] = key; /* a new smallest slot (j == 0) */
		n->in.cnt[j]++;
		p.lv[p.depth].n = n;
		p.lv[p.depth++].i = j;
		last = last && j + 1 == n->n;
		n = n->in.child[j];
	}
	pos = leaf_pos(n, key);
	assert(pos == n->n || n->key[pos] != key);
	if (n->n < TH_LEAF) {
		memmove(&n->key[pos + 1], &n->key[pos], (n->n - pos) * sizeof(n->key[0]));
		n->key[pos] = key;
		n->n++;
		return;
	}
	/*
	 * A tag newer than every other the host holds goes after the last
	 * slot: keep the last leaf full and start a new one (and so on up),
	 * so leaves filled in creation order stay full, not half full.
	 */
	last = last && pos == TH_LEAF;
	split = leaf_split(th, n, pos, key, last ? TH_LEAF : TH_MIN_LEAF);
	/* Hand the new right node up until a parent has room. */
	for (bool leaf = true;; leaf = false) {
		uint32_t rc = node_count(split, leaf), rl = node_low(split, leaf);
		struct th_node *par, *nr;
		uint32_t j;

		if (!p.depth) {
			struct th_node *root = node_get(th);

			root->in.child[0] = n;
			root->in.low[0] = node_low(n, leaf);
			root->in.cnt[0] = node_count(n, leaf);
			root->in.child[1] = split;
			root->in.low[1] = rl;
			root->in.cnt[1] = rc;
			root->n = 2;
			t->root = root;
			t->height++;
			return;
		}
		par = p.lv[--p.depth].n;
		j = p.lv[p.depth].i;
		par->in.cnt[j] -= rc;
		if (par->n < TH_FAN) {
			in_put(par, j + 1, split, rl, rc);
			return;
		}
		nr = in_split(th, par, j + 1, split, rl, rc, last ? TH_FAN : TH_MIN_FAN);
		n = par;
		split = nr;
	}
}

/* ------------------------------------------------------------ bulk build */

/* A host's nodes being filled: the rightmost of each level (NULL: none yet). */
struct th_open {
	struct th_node *n[TH_MAX_H];
};

/* c, complete, goes last in the open node of level lvl (2: parents of leaves); a full one goes up. */
static void build_push(struct tag_hosts *th, struct th_open *o, uint32_t lvl, struct th_node *c)
{
	struct th_node *p = o->n[lvl - 1];
	bool leaf = lvl == 2;

	if (!p || p->n == TH_FAN) {
		if (p)
			build_push(th, o, lvl + 1, p);
		p = o->n[lvl - 1] = node_get(th);
	}
	p->in.child[p->n] = c;
	p->in.low[p->n] = node_low(c, leaf);
	p->in.cnt[p->n] = node_count(c, leaf);
	p->n++;
}

/* The next slot of the host (above all before it). */
static void build_add(struct tag_hosts *th, struct th_open *o, uint32_t slot)
{
	struct th_node *l = o->n[0];

	if (!l || l->n == TH_LEAF) {
		if (l)
			build_push(th, o, 2, l);
		l = o->n[0] = node_get(th);
	}
	l->key[l->n++] = slot;
}

/* The open nodes go up while a level above them exists; the top one is the root. */
static void build_end(struct tag_hosts *th, struct th_open *o, struct th_tree *t)
{
	uint32_t lvl = 1;

	if (!o->n[0])
		return;
	for (; o->n[lvl]; lvl++)
		build_push(th, o, lvl + 1, o->n[lvl - 1]);
	t->root = o->n[lvl - 1];
	t->height = lvl;
}

int tag_host_build(struct cxldcd_dev *dev)
{
	uint16_t nh = dev->cfg.nr_hosts;
	uint32_t k[CXLDCD_MAX_HOSTS] = { 0 };
	uint64_t want = 0;
	struct th_open *o;

	for (uint32_t s = 0; s < dev->tag_used; s++)
		for (uint16_t h = 0; dev->tag_slot[s] && h < nh; h++)
			k[h] += dev->tag_slot[s]->cnt[2 * h] || dev->tag_slot[s]->cnt[2 * h + 1];
	/* nodes: every level full but its last */
	for (uint16_t h = 0; h < nh; h++) {
		uint64_t n = (k[h] + TH_LEAF - 1) / TH_LEAF;

		assert(!dev->th->t[h].root);
		for (; n > 1; n = (n + TH_FAN - 1) / TH_FAN)
			want += n;
		want += n;
	}
	o = core_zalloc(dev, sizeof(*o) * nh);
	/* the nodes in one chunk (core_chunk_open()) when they are many */
	if (o && want > dev->th->nfree && (want - dev->th->nfree) * sizeof(struct th_node) >= CORE_CHUNK_MIN &&
	    core_chunk_open(dev, (want - dev->th->nfree) * ((sizeof(struct th_node) + CORE_NODE_ALIGN - 1) &
							    ~(size_t)(CORE_NODE_ALIGN - 1)))) {
		core_free(dev, o);
		return -ENOMEM;
	}
	if (!o || pool_to(dev, want)) {
		core_free(dev, o);
		return -ENOMEM;
	}
	for (uint32_t s = 0; s < dev->tag_used; s++)
		for (uint16_t h = 0; dev->tag_slot[s] && h < nh; h++)
			if (dev->tag_slot[s]->cnt[2 * h] || dev->tag_slot[s]->cnt[2 * h + 1])
				build_add(dev->th, &o[h], s);
	for (uint16_t h = 0; h < nh; h++) {
		build_end(dev->th, &o[h], &dev->th->t[h]);
		dev->th->t[h].count = k[h];
	}
	core_free(dev, o);
	return 0;
}

/*
 * A restore's tag_host_build() as it reads the allocations (snapshot.c):
 * core_snapshot() lists them tag after tag, in creation order, so each
 * tag's pairs are known, and in order, once its last allocation is read
 * (tag_host_stream_note()), its counts still in cache.  tag_host_build()
 * walked the tags twice more, after the region trees were built (0.7-0.9
 * ms of a restore of 110,000 tags: docs/performance.md, "Session 13:
 * core_restore").  The nodes are taken as the leaves fill, a few spare
 * ahead (pool_to(): from the node chunk the restore opened); a tag noted
 * out of creation order (a snapshot that lists them so is still sound)
 * puts the nodes back and leaves the index to tag_host_build() at the end.
 */
struct th_stream {
	bool off;                   /* a tag came out of creation order: tag_host_build() */
	bool any;                   /* a tag was noted: last is its slot */
	uint32_t last;
	struct th_open o[];         /* per host */
};

/* Spare nodes a pair's build_add() can take: a leaf and one per level above. */
#define STREAM_SPARE TH_MAX_H

size_t tag_host_stream_bytes(const struct cxldcd_dev *dev, uint32_t pairs)
{
	/* leaves full but each host's last; a sixth as many nodes above them, and their last ones */
	uint64_t leaves = pairs / TH_LEAF + dev->cfg.nr_hosts;
	uint64_t nodes = leaves + leaves / (TH_FAN - 1) + (uint64_t)dev->cfg.nr_hosts * 8u + STREAM_SPARE;

	return (size_t)nodes * ((sizeof(struct th_node) + CORE_NODE_ALIGN - 1) & ~(size_t)(CORE_NODE_ALIGN - 1));
}

int tag_host_stream_begin(struct cxldcd_dev *dev)
{
	struct tag_hosts *th = dev->th;

	assert(!th->stream);
	th->stream = core_zalloc(dev, sizeof(*th->stream) + sizeof(th->stream->o[0]) * dev->cfg.nr_hosts);
	return th->stream ? 0 : -ENOMEM;
}

int tag_host_stream_note(struct cxldcd_dev *dev, const struct tag *t)
{
	struct tag_hosts *th = dev->th;
	struct th_stream *st = th->stream;

	if (st->off)
		return 0;
	if (st->any && t->slot <= st->last) {
		st->off = true;
		return 0;
	}
	st->any = true;
	st->last = t->slot;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++) {
		if (!t->cnt[2 * h] && !t->cnt[2 * h + 1])
			continue;
		if (th->nfree < STREAM_SPARE && pool_to(dev, STREAM_SPARE))
			return -ENOMEM;
		assert(!th->t[h].root);
		build_add(th, &st->o[h], t->slot);
		th->t[h].count++;
	}
	return 0;
}

/* Every node of the tree below n back to the pool. */
static void tree_put(struct tag_hosts *th, struct th_node *n, uint32_t height)
{
	for (uint32_t j = 0; height > 1 && j < n->n; j++)
		tree_put(th, n->in.child[j], height - 1);
	node_put(th, n);
}

/* The open nodes become the trees (counted as noted); the stream ends. */
static void stream_close(struct cxldcd_dev *dev)
{
	struct tag_hosts *th = dev->th;

	if (!th->stream)
		return;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		build_end(th, &th->stream->o[h], &th->t[h]);
	core_free(dev, th->stream);
	th->stream = NULL;
}

int tag_host_stream_end(struct cxldcd_dev *dev)
{
	struct tag_hosts *th = dev->th;
	bool off = th->stream->off;

	stream_close(dev);
	if (!off)
		return 0;
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++) {
		if (th->t[h].root)
			tree_put(th, th->t[h].root, th->t[h].height);
		th->t[h] = (struct th_tree){ 0 };
	}
	return tag_host_build(dev);
}

/* ------------------------------------------------------------ remove */

static void in_cut(struct th_node *p, uint32_t at)
{
	uint32_t k = p->n - at - 1;

	memmove(&p->in.child[at], &p->in.child[at + 1], k * sizeof(p->in.child[0]));
	memmove(&p->in.low[at], &p->in.low[at + 1], k * sizeof(p->in.low[0]));
	memmove(&p->in.cnt[at], &p->in.cnt[at + 1], k * sizeof(p->in.cnt[0]));
	p->n--;
}

/* Leaf children j-1 (a) and j (b) of p: move one slot from the fuller into the other. */
static void leaf_borrow(struct th_node *p, uint32_t j, bool from_left)
{
	struct th_node *a = p->in.child[j - 1], *b = p->in.child[j];

	if (from_left) {
		memmove(&b->key[1], &b->key[0], b->n * sizeof(b->key[0]));
		b->key[0] = a->key[--a->n];
		b->n++;
		p->in.low[j] = b->key[0];
		p->in.cnt[j - 1]--;
		p->in.cnt[j]++;
		return;
	}
	a->key[a->n++] = b->key[0];
	memmove(&b->key[0], &b->key[1], --b->n * sizeof(b->key[0]));
	p->in.low[j] = b->key[0];
	p->in.cnt[j - 1]++;
	p->in.cnt[j]--;
}

/* Internal children j-1 (a) and j (b) of p: move one child across. */
static void in_borrow(struct th_node *p, uint32_t j, bool from_left)
{
	struct th_node *a = p->in.child[j - 1], *b = p->in.child[j];
	uint32_t c;

	if (from_left) {
		uint32_t k = a->n - 1;

		c = a->in.cnt[k];
		in_put(b, 0, a->in.child[k], a->in.low[k], c);
		a->n--;
		p->in.low[j] = b->in.low[0];
		p->in.cnt[j - 1] -= c;
		p->in.cnt[j] += c;
		return;
	}
	c = b->in.cnt[0];
	a->in.child[a->n] = b->in.child[0];
	a->in.low[a->n] = b->in.low[0];
	a->in.cnt[a->n++] = c;
	in_cut(b, 0);
	p->in.low[j] = b->in.low[0];
	p->in.cnt[j - 1] += c;
	p->in.cnt[j] -= c;
}

/* Children j-1 (a) and j (b) of p fit in one node: b joins a and goes. */
static void merge(struct tag_hosts *th, struct th_node *p, uint32_t j, bool leaf)
{
	struct th_node *a = p->in.child[j - 1], *b = p->in.child[j];

	if (leaf) {
		memcpy(&a->key[a->n], b->key, b->n * sizeof(b->key[0]));
	} else {
		memcpy(&a->in.child[a->n], b->in.child, b->n * sizeof(b->in.child[0]));
		memcpy(&a->in.low[a->n], b->in.low, b->n * sizeof(b->in.low[0]));
		memcpy(&a->in.cnt[a->n], b->in.cnt, b->n * sizeof(b->in.cnt[0]));
	}
	a->n += b->n;
	p->in.cnt[j - 1] += p->in.cnt[j];
	in_cut(p, j);
	node_put(th, b);
}

static void tree_remove(struct tag_hosts *th, struct th_tree *t, uint32_t key)
{
	struct th_path p; /* as in tree_insert() */
	struct th_node *n = t->root;
	uint32_t pos;
	bool leaf = true;

	p.depth = 0;
	for (uint32_t lvl = t->height; lvl > 1; lvl--) {
		uint32_t j = in_pick(n, key);

		n->in.cnt[j]--;
		p.lv[p.depth].n = n;
		p.lv[p.depth++].i = j;
		n = n->in.child[j];
	}
	pos = leaf_pos(n, key);
	assert(pos < n->n && n->key[pos] == key);
	memmove(&n->key[pos], &n->key[pos + 1], (n->n - pos - 1) * sizeof(n->key[0]));
	n->n--;
	t->count--;
	/* Refill or merge upwards while a node is under half full. */
	while (p.depth && n->n < (leaf ? TH_MIN_LEAF : TH_MIN_FAN)) {
		struct th_node *par = p.lv[--p.depth].n;
		uint32_t j = p.lv[p.depth].i, min = leaf ? TH_MIN_LEAF : TH_MIN_FAN;
		/* the sibling to the left when there is one, else to the right */
		uint32_t b = j ? j : 1;
		struct th_node *sib;

		if (!n->n) {
			/* an empty node goes (the last of a level can get there); par keeps its bound */
			uint32_t low = par->in.low[0];

			in_cut(par, j);
			par->in.low[0] = low;
			node_put(th, n);
			n = par;
			leaf = false;
			continue;
		}
		if (par->n == 1) {
			/* the last node of a level may have one child: n is last too, mend par */
			n = par;
			leaf = false;
			continue;
		}
		sib = par->in.child[j ? j - 1 : 1];
		if (sib->n > min) {
			if (leaf)
				leaf_borrow(par, b, j != 0);
			else
				in_borrow(par, b, j != 0);
			return;
		}
		merge(th, par, b, leaf);
		n = par;
		leaf = false;
	}
	while (t->height > 1 && t->root->n == 1) {
		struct th_node *old = t->root;

		t->root = old->in.child[0];
		t->height--;
		node_put(th, old);
	}
	if (!t->root->n) { /* the last slot went */
		node_put(th, t->root);
		t->root = NULL;
		t->height = 0;
	}
}

/* ------------------------------------------------------------ hooks */

void tag_host_held(struct cxldcd_dev *dev, const struct tag *t, uint16_t host)
{
	if (t->cnt[2 * host] + t->cnt[2 * host + 1] == 1)
		tree_insert(dev->th, &dev->th->t[host], t->slot);
}

void tag_host_dropped(struct cxldcd_dev *dev, const struct tag *t, uint16_t host)
{
	if (!t->cnt[2 * host] && !t->cnt[2 * host + 1])
		tree_remove(dev->th, &dev->th->t[host], t->slot);
}

static void renumber(const struct cxldcd_dev *dev, struct th_node *n, uint32_t height)
{
	if (height == 1) {
		for (uint32_t i = 0; i < n->n; i++)
			n->key[i] = tag_live_before(dev, n->key[i]);
		return;
	}
	for (uint32_t j = 0; j < n->n; j++) {
		n->in.low[j] = tag_live_before(dev, n->in.low[j]);
		renumber(dev, n->in.child[j], height - 1);
	}
}

void tag_host_renumber(struct cxldcd_dev *dev)
{
	if (dev->tag_used == dev->nr_tags)
		return; /* no hole: every slot keeps its number */
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		if (dev->th->t[h].root)
			renumber(dev, dev->th->t[h].root, dev->th->t[h].height);
}

/* ------------------------------------------------------------ paging */

/* Position p at the idx-th slot of t (idx < count). */
static void seek_nth(const struct th_tree *t, uint32_t idx, struct th_path *p)
{
	struct th_node *n = t->root;

	p->depth = 0;
	for (uint32_t lvl = t->height; lvl > 1; lvl--) {
		uint32_t j = 0;

		while (idx >= n->in.cnt[j])
			idx -= n->in.cnt[j++];
		p->lv[p->depth].n = n;
		p->lv[p->depth++].i = j;
		n = n->in.child[j];
	}
	p->lv[p->depth].n = n;
	p->lv[p->depth++].i = idx;
}

/* Step p to the next slot; false past the last. */
static bool step(struct th_path *p)
{
	uint32_t d = p->depth - 1;

	if (++p->lv[d].i < p->lv[d].n->n)
		return true;
	while (d && ++p->lv[d - 1].i >= p->lv[d - 1].n->n)
		d--;
	if (!d)
		return false;
	for (; d < p->depth; d++) {
		p->lv[d].n = p->lv[d - 1].n->in.child[p->lv[d - 1].i];
		p->lv[d].i = 0;
	}
	return true;
}

uint32_t core_tag_count_host(const struct cxldcd_dev *dev, uint16_t host)
{
	return core_host_ok(dev, host) ? dev->th->t[host].count : 0;
}

enum cxldcd_rc core_tag_list_host(const struct cxldcd_dev *dev, uint16_t host, uint32_t start,
				  uint32_t max, struct core_tag_info *out, uint32_t *nr_out)
{
	const struct th_tree *t;
	struct th_path p;
	uint32_t i = 0;

	*nr_out = 0;
	if (!core_host_ok(dev, host))
		return CXLDCD_RC_INVALID_INPUT;
	t = &dev->th->t[host];
	if (start > t->count)
		return CXLDCD_RC_INVALID_INPUT;
	if (!max || start == t->count)
		return CXLDCD_RC_SUCCESS;
	seek_nth(t, start, &p);
	do {
		const struct th_node *l = p.lv[p.depth - 1].n;

		tag_info(dev, dev->tag_slot[l->key[p.lv[p.depth - 1].i]], &out[i++]);
	} while (i < max && step(&p));
	*nr_out = i;
	return CXLDCD_RC_SUCCESS;
}

/* ------------------------------------------------------------ checks */

/*
 * Subtree n of this height (last: the last node of its level): every slot
 * in [lo, hi), ascending, held by host; fill, counts and bounds right.
 * Adds its slots to *count and its nodes to *nodes.
 */
static int check_node(const struct cxldcd_dev *dev, uint16_t host, const struct th_node *n,
		      uint32_t height, bool root, bool last, uint64_t lo, uint64_t hi, uint32_t *prev,
		      bool *any, uint32_t *count, uint32_t *nodes, char *msg, size_t cap)
{
	bool leaf = height == 1;
	uint32_t min = root ? (leaf ? 1 : 2) : last ? 1 : leaf ? TH_MIN_LEAF : TH_MIN_FAN;

	(*nodes)++;
	if (n->n < min || n->n > (leaf ? TH_LEAF : TH_FAN))
		CHECK_FAIL("host=%u tag index node of %u entries", host, n->n);
	for (uint32_t j = 0; j < n->n; j++) {
		uint64_t clo = leaf ? lo : n->in.low[j], chi = leaf || j + 1 == n->n ? hi : n->in.low[j + 1];
		uint32_t before = *count;
		const struct tag *t;

		if (!leaf) {
			if (clo < lo || chi > hi || clo >= chi)
				CHECK_FAIL("host=%u tag index bounds out of order", host);
			if (height > 2 && n->in.child[j]->in.low[0] != n->in.low[j])
				CHECK_FAIL("host=%u tag index bound differs from its child's", host);
			if (check_node(dev, host, n->in.child[j], height - 1, false, last && j + 1 == n->n,
				       clo, chi, prev, any, count, nodes, msg, cap))
				return -1;
			if (*count - before != n->in.cnt[j])
				CHECK_FAIL("host=%u tag index count %u, holds %u", host, n->in.cnt[j],
				     *count - before);
			continue;
		}
		if (n->key[j] < lo || n->key[j] >= hi || (*any && n->key[j] <= *prev))
			CHECK_FAIL("host=%u tag index slot %u out of order", host, n->key[j]);
		t = n->key[j] < dev->tag_used ? dev->tag_slot[n->key[j]] : NULL;
		if (!t || (!t->cnt[2 * host] && !t->cnt[2 * host + 1]))
			CHECK_FAIL("host=%u tag index has slot %u, a tag it does not hold", host, n->key[j]);
		*prev = n->key[j];
		*any = true;
		(*count)++;
	}
	return 0;
}

int tag_host_check(const struct cxldcd_dev *dev, const uint32_t *held, char *msg, size_t cap)
{
	uint32_t nodes = 0;

	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++) {
		const struct th_tree *t = &dev->th->t[h];
		uint32_t count = 0, prev = 0;
		bool any = false;

		if (!t->root != !t->height || (t->height > 1 && t->root->n < 2))
			CHECK_FAIL("host=%u tag index root", h);
		if (t->root && check_node(dev, h, t->root, t->height, true, true, 0, UINT64_MAX, &prev,
					  &any, &count, &nodes, msg, cap))
			return -1;
		if (count != t->count || count != held[h])
			CHECK_FAIL("host=%u tag index holds %u (count %u), the host holds %u tags", h, count,
			     t->count, held[h]);
	}
	if (nodes != dev->th->nodes)
		CHECK_FAIL("tag index nodes %u, counted %u", dev->th->nodes, nodes);
	return 0;
}

size_t tag_host_bytes(const struct cxldcd_dev *dev)
{
	return (size_t)dev->th->nodes * sizeof(struct th_node);
}
