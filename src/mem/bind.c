/* SPDX-License-Identifier: MIT */
/*
 * bind.c - the per-host binding table (bind.h): runs of bindings that share
 * everything but their range, in an AVL tree keyed by their first DPA.  The
 * spans of the runs ([first range's start, last range's end)) never overlap,
 * so the run holding an address, or the first above it, is found in
 * O(log n), and a range in it by binary search.
 *
 * A run grows by doubling (realloc) up to BIND_RUN_MAX ranges; a full run is
 * split in two.  A binding whose attributes differ from the run whose span
 * it falls in splits that run at it.  Changing the first range of a run
 * changes the run's key in place: it stays between its neighbours' spans,
 * so the tree's order holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/backend.h"
#include "mem/bind.h"
#include "mem/store.h"

/* ------------------------------------------------------------- the tree */

static uint64_t key(const struct bind_run *n)
{
	return n->r[0].dpa;
}

static uint64_t span_end(const struct bind_run *n)
{
	return n->r[n->nr - 1].dpa + n->r[n->nr - 1].len;
}

static int height(const struct bind_run *n)
{
	return n ? n->height : 0;
}

static void fix_height(struct bind_run *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = (uint8_t)((l > r ? l : r) + 1);
}

static struct bind_run *rotate_right(struct bind_run *n)
{
	struct bind_run *l = n->left;

	n->left = l->right;
	l->right = n;
	fix_height(n);
	fix_height(l);
	return l;
}

static struct bind_run *rotate_left(struct bind_run *n)
{
	struct bind_run *r = n->right;

	n->right = r->left;
	r->left = n;
	fix_height(n);
	fix_height(r);
	return r;
}

static struct bind_run *balance(struct bind_run *n)
{
	int bf;

	fix_height(n);
	bf = height(n->left) - height(n->right);
	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

static struct bind_run *insert(struct bind_run *n, struct bind_run *b)
{
	if (!n)
		return b;
	if (key(b) < key(n))
		n->left = insert(n->left, b);
	else
		n->right = insert(n->right, b);
	return balance(n);
}

static struct bind_run *remove_min(struct bind_run *n, struct bind_run **min)
{
	if (!n->left) {
		*min = n;
		return n->right;
	}
	n->left = remove_min(n->left, min);
	return balance(n);
}

/* Unlink run b, found by k, the key it was put in with (its ranges may be gone). */
static struct bind_run *remove_run(struct bind_run *n, const struct bind_run *b, uint64_t k)
{
	struct bind_run *min;

	if (!n)
		return NULL;
	if (n != b) {
		if (k < key(n))
			n->left = remove_run(n->left, b, k);
		else
			n->right = remove_run(n->right, b, k);
		return balance(n);
	}
	if (!n->right)
		return n->left;
	n->right = remove_min(n->right, &min);
	min->left = n->left;
	min->right = n->right;
	return balance(min);
}

/*
 * The greatest run with key <= k into *lo, the least with key > k into *hi
 * (NULL: none), in one walk: both lie on the search path of k.
 */
static void around(struct bind_run *n, uint64_t k, struct bind_run **lo, struct bind_run **hi)
{
	*lo = *hi = NULL;
	while (n) {
		if (key(n) <= k) {
			*lo = n;
			n = n->right;
		} else {
			*hi = n;
			n = n->left;
		}
	}
}

/* Least run with key > k. */
static struct bind_run *above_run(struct bind_run *n, uint64_t k)
{
	struct bind_run *best = NULL;

	while (n) {
		if (key(n) > k) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

/* The link (a child pointer or the root) that points at the run with key k. */
static struct bind_run **link_of(struct bind_tree *t, uint64_t k)
{
	struct bind_run **p = &t->root;

	while (*p && key(*p) != k)
		p = k < key(*p) ? &(*p)->left : &(*p)->right;
	return p;
}

/* ------------------------------------------------------------- the runs */

static size_t run_size(uint32_t cap)
{
	return sizeof(struct bind_run) + (size_t)cap * sizeof(struct bind_range);
}

static bool shared(const struct bind_run *n)
{
	return n->st && n->st->shared;
}

/* Could b join run n (same everything but the range)? */
static bool joinable(const struct bind_run *n, const struct mem_bind *b)
{
	return n->be == b->be && n->st == b->st && !shared(n) && n->delta == b->off - b->dpa &&
	       n->host == b->host && n->region == b->region && n->writable == b->writable &&
	       n->mapped == b->mapped;
}

static void attrs_from(struct bind_run *n, const struct mem_bind *b)
{
	n->be = b->be;
	n->st = b->st;
	n->delta = b->off - b->dpa;
	n->host = b->host;
	n->region = b->region;
	n->writable = b->writable;
	n->mapped = b->mapped;
}

static void attrs_copy(struct bind_run *dst, const struct bind_run *src)
{
	dst->be = src->be;
	dst->st = src->st;
	dst->delta = src->delta;
	dst->host = src->host;
	dst->region = src->region;
	dst->writable = src->writable;
	dst->mapped = src->mapped;
}

/* Put a filled run in the tree and the backend's list. */
static void run_attach(struct bind_tree *t, struct bind_run *n)
{
	n->left = n->right = NULL;
	n->height = 1;
	t->root = insert(t->root, n);
	mem_backend_bind_link(n->be, n);
}

/* Take run n out (k: its key in the tree) and free it. */
static void run_free(struct bind_tree *t, struct bind_run *n, uint64_t k)
{
	t->root = remove_run(t->root, n, k);
	mem_backend_bind_unlink(n->be, n);
	free(n);
}

/*
 * Room for one more range in *np: a full run doubles, in place of the old
 * one (its tree link and the backend's list follow it).  Callers keep runs
 * at BIND_RUN_MAX ranges at most.  Return 0 or -ENOMEM (the run unchanged).
 */
static int grow(struct bind_tree *t, struct bind_run **np)
{
	struct bind_run *n = *np, **link, *m;
	uint32_t cap = n->cap * 2;

	if (n->nr < n->cap)
		return 0;
	link = link_of(t, key(n)); /* a walk from the root: only when it moves */
	m = realloc(n, run_size(cap));
	if (!m)
		return -ENOMEM;
	m->cap = cap;
	*link = m;
	mem_backend_bind_moved(m->be, m);
	*np = m;
	return 0;
}

static void range_insert(struct bind_run *n, uint32_t i, uint64_t dpa, uint64_t len)
{
	memmove(&n->r[i + 1], &n->r[i], (n->nr - i) * sizeof(n->r[0]));
	n->r[i] = (struct bind_range){ .dpa = dpa, .len = len };
	n->nr++;
}

static void range_delete(struct bind_run *n, uint32_t i)
{
	memmove(&n->r[i], &n->r[i + 1], (n->nr - i - 1) * sizeof(n->r[0]));
	n->nr--;
}

/* First range of n starting above dpa (n->nr if none). */
static uint32_t upper(const struct bind_run *n, uint64_t dpa)
{
	uint32_t lo = 0, hi = n->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (n->r[mid].dpa <= dpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * A new run with n's attributes and n's ranges from i on, taking them from
 * n (which keeps at least one).  The new run takes a store reference.
 * Return it, attached, or NULL (nothing changed).
 */
static struct bind_run *split_at(struct bind_tree *t, struct bind_run *n, uint32_t i)
{
	uint32_t moved = n->nr - i, cap = 1;
	struct bind_run *h;

	while (cap < moved)
		cap *= 2;
	h = malloc(run_size(cap));
	if (!h)
		return NULL;
	h->cap = cap;
	attrs_copy(h, n);
	memcpy(h->r, &n->r[i], moved * sizeof(n->r[0]));
	h->nr = moved;
	n->nr = i;
	if (h->st)
		h->st->refs++;
	run_attach(t, h);
	return h;
}

/* A one-range run for b (its store reference b's). */
static struct bind_run *run_new(const struct mem_bind *b)
{
	struct bind_run *n = malloc(run_size(1));

	if (!n)
		return NULL;
	attrs_from(n, b);
	n->cap = n->nr = 1;
	n->r[0] = (struct bind_range){ .dpa = b->dpa, .len = b->len };
	return n;
}

/* b joined a run that holds a reference already: give b's back. */
static void drop_ref(const struct mem_bind *b)
{
	if (b->st)
		b->st->refs--;
}

/* ------------------------------------------------------------ adding */

/* b falls in a hole of n, before n->r[i] (i >= 1). */
static int add_inside(struct bind_tree *t, struct bind_run *n, uint32_t i, const struct mem_bind *b)
{
	uint64_t end = b->dpa + b->len;
	struct bind_run *h, *nb;

	if (!joinable(n, b)) {
		/* n splits at b, which gets a run of its own */
		nb = run_new(b);
		if (!nb)
			return -ENOMEM;
		if (!split_at(t, n, i)) {
			free(nb);
			return -ENOMEM;
		}
		run_attach(t, nb);
		return 0;
	}
	if (n->r[i - 1].dpa + n->r[i - 1].len == b->dpa) {
		n->r[i - 1].len += b->len;
		if (n->r[i - 1].dpa + n->r[i - 1].len == n->r[i].dpa) {
			n->r[i - 1].len += n->r[i].len;
			range_delete(n, i);
		}
	} else if (end == n->r[i].dpa) {
		n->r[i].dpa = b->dpa;
		n->r[i].len += b->len;
	} else {
		if (n->nr >= BIND_RUN_MAX) {
			/* full: the upper half goes to a run of its own */
			uint32_t m = n->nr / 2;

			h = split_at(t, n, m);
			if (!h)
				return -ENOMEM;
			if (i > m) {
				n = h;
				i -= m;
			}
		}
		if (grow(t, &n))
			return -ENOMEM; /* a split above stays: it changed no binding */
		range_insert(n, i, b->dpa, b->len);
	}
	drop_ref(b);
	return 0;
}

/* b falls between run l's span and run r (either may be NULL). */
static int add_between(struct bind_tree *t, struct bind_run *l, struct bind_run *r,
		       const struct mem_bind *b)
{
	uint64_t end = b->dpa + b->len;
	bool jl = l && joinable(l, b), jr = r && joinable(r, b);
	struct bind_run *nb;

	if (jl && span_end(l) == b->dpa) {
		l->r[l->nr - 1].len += b->len;
		if (jr && key(r) == end) {
			/* b closes the gap: r's first range joins l's last */
			uint64_t k = key(r);

			l->r[l->nr - 1].len += r->r[0].len;
			range_delete(r, 0);
			if (!r->nr) {
				if (r->st)
					r->st->refs--; /* l holds one of the same store */
				run_free(t, r, k);
			}
		}
	} else if (jr && key(r) == end) {
		r->r[0].dpa = b->dpa;
		r->r[0].len += b->len;
	} else if (jl && l->nr < BIND_RUN_MAX && !grow(t, &l)) {
		range_insert(l, l->nr, b->dpa, b->len);
	} else if (jr && r->nr < BIND_RUN_MAX && !grow(t, &r)) {
		range_insert(r, 0, b->dpa, b->len);
	} else {
		nb = run_new(b);
		if (!nb)
			return -ENOMEM;
		run_attach(t, nb);
		return 0;
	}
	drop_ref(b);
	return 0;
}

int mem_bind_add(struct bind_tree *t, const struct mem_bind *b)
{
	uint64_t end = b->dpa + b->len;
	struct bind_run *l, *r;
	uint32_t i;

	if (!b->len || end < b->dpa)
		return -EINVAL;
	around(t->root, b->dpa, &l, &r);
	if (l) {
		i = upper(l, b->dpa);
		if (l->r[i - 1].dpa + l->r[i - 1].len > b->dpa)
			return -EEXIST;
		if (i < l->nr)
			return l->r[i].dpa < end ? -EEXIST : add_inside(t, l, i, b);
	}
	if (r && key(r) < end)
		return -EEXIST;
	return add_between(t, l, r, b);
}

bool mem_bind_overlaps(const struct bind_tree *t, uint64_t dpa, uint64_t len)
{
	struct bind_pos p;
	struct mem_bind b;

	return len && mem_bind_seek(t, dpa, &p, &b) && b.dpa < dpa + len;
}

/* ------------------------------------------------------------ cutting */

int mem_bind_reserve(struct bind_tree *t, uint64_t d, uint64_t e)
{
	struct bind_pos p;
	struct mem_bind b;

	if (!mem_bind_seek(t, d, &p, &b) || b.dpa >= d || b.dpa + b.len <= e)
		return 0;
	if (!shared(p.run) && p.run->nr < BIND_RUN_MAX)
		return grow(t, &p.run);
	if (!t->spare)
		t->spare = malloc(run_size(BIND_RUN_MAX));
	if (!t->spare)
		return -ENOMEM;
	t->spare->cap = BIND_RUN_MAX;
	return 0;
}

/* Split range i of n around [d, e), strictly inside it.  false: no room (nothing changed). */
static bool cut_middle(struct bind_tree *t, struct bind_run *n, uint32_t i, uint64_t d, uint64_t e)
{
	struct bind_range *x = &n->r[i];
	uint64_t tail = x->dpa + x->len - e;
	uint32_t moved = n->nr - i - 1;
	struct bind_run *h = t->spare;

	if (!shared(n) && n->nr < n->cap) {
		x->len = d - x->dpa;
		range_insert(n, i + 1, e, tail);
		return true;
	}
	if (!h)
		return false;
	/* the tail and the ranges after it become a run of their own (<= BIND_RUN_MAX) */
	t->spare = NULL;
	attrs_copy(h, n);
	h->r[0] = (struct bind_range){ .dpa = e, .len = tail };
	memcpy(&h->r[1], &n->r[i + 1], moved * sizeof(n->r[0]));
	h->nr = moved + 1;
	n->nr = i + 1;
	x->len = d - x->dpa;
	if (h->st)
		h->st->refs++;
	run_attach(t, h);
	return true;
}

void mem_bind_cut(struct bind_tree *t, uint64_t d, uint64_t e,
		  void (*put)(void *opaque, const struct mem_bind *b), void *opaque)
{
	struct bind_pos p;
	struct mem_bind b;

	for (uint64_t from = d; from < e && mem_bind_seek(t, from, &p, &b) && b.dpa < e;) {
		struct bind_run *n = p.run;
		struct bind_range *x = &n->r[p.i];
		uint64_t s = x->dpa, f = x->dpa + x->len, k = key(n);

		from = f;
		if (s < d && f > e && cut_middle(t, n, p.i, d, e))
			break;
		if (s < d && f <= e) {
			x->len = d - s;
		} else if (s >= d && f > e) {
			x->dpa = e;
			x->len = f - e;
		} else {
			/* inside [d, e), or around it with no room to split: it goes whole */
			range_delete(n, p.i);
			if (!n->nr) {
				put(opaque, &b);
				run_free(t, n, k);
			}
		}
	}
}

void mem_bind_clear(struct bind_tree *t, void (*each)(void *opaque, const struct mem_bind *b),
		    void *opaque)
{
	while (t->root) {
		struct bind_run *n = t->root;
		struct bind_pos p = { .run = n };
		struct mem_bind b;

		for (p.i = 0; p.i < n->nr; p.i++) {
			mem_bind_get(&p, &b);
			each(opaque, &b);
		}
		run_free(t, n, key(n));
	}
	free(t->spare);
	t->spare = NULL;
}

/* ------------------------------------------------------------ reading */

void mem_bind_get(const struct bind_pos *p, struct mem_bind *b)
{
	const struct bind_run *n = p->run;

	*b = (struct mem_bind){ .dpa = n->r[p->i].dpa, .len = n->r[p->i].len,
				.off = n->r[p->i].dpa + n->delta, .be = n->be, .st = n->st,
				.host = n->host, .region = n->region, .writable = n->writable,
				.mapped = n->mapped };
}

bool mem_bind_seek(const struct bind_tree *t, uint64_t dpa, struct bind_pos *p,
		   struct mem_bind *b)
{
	struct bind_run *n, *above;
	uint32_t i;

	around(t->root, dpa, &n, &above);
	if (n) {
		i = upper(n, dpa); /* >= 1: key(n) <= dpa */
		if (n->r[i - 1].dpa + n->r[i - 1].len > dpa)
			i--;
		if (i < n->nr) {
			*p = (struct bind_pos){ .run = n, .i = i };
			mem_bind_get(p, b);
			return true;
		}
	}
	if (!above)
		return false;
	*p = (struct bind_pos){ .run = above, .i = 0 };
	mem_bind_get(p, b);
	return true;
}

bool mem_bind_step(const struct bind_tree *t, struct bind_pos *p, struct mem_bind *b)
{
	if (p->i + 1 < p->run->nr) {
		p->i++;
	} else {
		struct bind_run *n = above_run(t->root, key(p->run));

		if (!n)
			return false;
		*p = (struct bind_pos){ .run = n, .i = 0 };
	}
	mem_bind_get(p, b);
	return true;
}

void mem_bind_set_store(const struct bind_pos *p, struct mem_store *st)
{
	p->run->st = st;
}
