/* SPDX-License-Identifier: MIT */
/*
 * owed.c - the zeroing a kill may have left undone, found by the replay
 * (docs/persistence.md, "Crash semantics").
 *
 * A sanitizing release is journaled and committed before it runs; the
 * zeroing is part of its run (the capacity_freed observer of the memory).
 * A daemon killed between the two leaves the release in the journal and the
 * bytes in the backend.  The replay frees the capacity with no memory
 * attached, so after the restart the capacity is free and may go to another
 * host, which would read the first host's data.  A host's own Sanitize,
 * Secure Erase or Media Operations erase (4400h-4402h, media_sanitized) is
 * the same: committed, killed before it ran, and after the restart the host
 * holds its capacity with the bytes it had erased.
 *
 * Which records of the replayed tail ran before the kill is not known, so
 * every sanitizing free and every erase the replay makes is owed, unless
 *  - the capacity (its place in the backend) was accepted by a host (of any
 *    device, for a tag's backend) later in the journal: that acceptance ran,
 *    so what came before it ran too, and the host may have written there
 *    since; or
 *  - a proof record (srv_owed_prove()) follows it: the daemon journals one
 *    once an erase ran, before its answer (request.c cuts the group after
 *    it), after a group in which a Set LSA ran, and after a restart did
 *    what it owed, so everything before it ran and the backend holds
 *    zeros (or the label) or what was written since.
 * A Set LSA is owed too: it writes the lsa backend's file when it runs,
 * and that file is loaded over the model's LSA at the next start; the
 * Set LSA bytes still owed at the end of the replay are written there.
 *
 * What is still owed at the end of the replay was written by no one since
 * (a kill drops what hosts wrote into their views, docs/memory.md "File
 * backends"): zeroing it again is harmless when it had run.  This is not
 * the record of the run of each request (the journal holds inputs, not
 * outcomes), only what that record would have said about zeroing.
 *
 * The owed places of a device are disjoint ranges of its backends (a tag's
 * backend, or the one memdev), kept in a treap ordered by (backend, start):
 * a free, an erase and an acceptance each cost O(log n + pieces touched).
 * Two more treaps hold the static capacity an erase owes (by DPA) and the
 * LSA ranges a Set LSA owes (by offset).
 *
 * What is not here: zeroing what is still owed at the end of the replay,
 * and the places owed on backends that are unavailable then (owed-settle.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem.h"
#include "store/store.h"
#include "daemon.h"
#include "owed-int.h"

/* The proof record: a QMP-kind record of no command (a client's is refused, unjournaled). */
static const char proof_text[] = "{\"execute\":\"x-cxldcd-journal-ran\",\"arguments\":{}}";

struct owed_node {
	struct owed_node *l, *r;
	uint32_t prio;
	uint8_t tag[CXLDCD_TAG_SIZE];   /* the backend: the tag's, or all zeros for the memdev */
	uint64_t start, end;            /* the place in that backend */
};

static const uint8_t no_tag[CXLDCD_TAG_SIZE];

/* ---- the treap -------------------------------------------------------------- */

/* Whether @n's key is below (@tag, @k). */
static bool below(const struct owed_node *n, const uint8_t *tag, uint64_t k)
{
	int c = memcmp(n->tag, tag, CXLDCD_TAG_SIZE);

	return c < 0 || (!c && n->start < k);
}

/* @t into the keys below (@tag, @k) and the others. */
static void split(struct owed_node *t, const uint8_t *tag, uint64_t k, struct owed_node **lo,
		  struct owed_node **hi)
{
	if (!t) {
		*lo = *hi = NULL;
	} else if (below(t, tag, k)) {
		split(t->r, tag, k, &t->r, hi);
		*lo = t;
	} else {
		split(t->l, tag, k, lo, &t->l);
		*hi = t;
	}
}

/* Every key of @a is below every key of @b. */
static struct owed_node *join(struct owed_node *a, struct owed_node *b)
{
	if (!a || !b)
		return a ? a : b;
	if (a->prio > b->prio) {
		a->r = join(a->r, b);
		return a;
	}
	b->l = join(a, b->l);
	return b;
}

/* Detach the last node of @t into *last (NULL when @t is empty); the rest. */
static struct owed_node *pop_last(struct owed_node *t, struct owed_node **last)
{
	if (!t) {
		*last = NULL;
		return NULL;
	}
	if (t->r) {
		t->r = pop_last(t->r, last);
		return t;
	}
	*last = t;
	return t->l;
}

static struct owed_node *node_new(struct dcd *dv, const uint8_t *tag, uint64_t start, uint64_t end)
{
	struct owed_node *n = malloc(sizeof(*n));

	if (!n) {
		dv->owed_lost = true;
		return NULL;
	}
	/* xorshift32: balanced in expectation, and the same tree for the same replay */
	dv->owed_seed ^= dv->owed_seed << 13;
	dv->owed_seed ^= dv->owed_seed >> 17;
	dv->owed_seed ^= dv->owed_seed << 5;
	*n = (struct owed_node){ .prio = dv->owed_seed, .start = start, .end = end };
	memcpy(n->tag, tag, CXLDCD_TAG_SIZE);
	dv->nr_owed++;
	return n;
}

static void node_free(struct dcd *dv, struct owed_node *n)
{
	free(n);
	dv->nr_owed--;
}

/*
 * Take [c, d) of @tag's backend out of what @dv owes.  With @whole, the
 * ranges it overlaps go whole and *lo, *hi widen to cover them; else what
 * they hold outside [c, d) stays owed.
 */
static void cut(struct dcd *dv, struct owed_node **root, const uint8_t *tag, uint64_t c, uint64_t d,
		bool whole, uint64_t *lo, uint64_t *hi)
{
	struct owed_node *a, *m, *z, *p, *tail = NULL;

	split(*root, tag, c, &a, &m);
	split(m, tag, d, &m, &z);
	/* Of the ranges starting before c only the last can reach in (they are disjoint). */
	a = pop_last(a, &p);
	if (p && !memcmp(p->tag, tag, CXLDCD_TAG_SIZE) && p->end > c) {
		if (whole) {
			*lo = p->start < *lo ? p->start : *lo;
			*hi = p->end > *hi ? p->end : *hi;
			node_free(dv, p);
			p = NULL;
		} else {
			if (p->end > d)
				tail = node_new(dv, tag, d, p->end);
			p->end = c;
		}
	}
	if (p) {
		p->l = p->r = NULL;
		a = join(a, p);
	}
	/* Those starting in [c, d) go; the last may reach past d. */
	while (m) {
		struct owed_node *n;

		m = pop_last(m, &n);
		if (n->end > d && !whole && !tail) {
			n->l = n->r = NULL;
			n->start = d;
			tail = n;
			continue;
		}
		*hi = n->end > *hi ? n->end : *hi;
		node_free(dv, n);
	}
	*root = join(join(a, tail), z);
}

static void tree_free(struct dcd *dv, struct owed_node *t)
{
	if (!t)
		return;
	tree_free(dv, t->l);
	tree_free(dv, t->r);
	node_free(dv, t);
}

void srv_owed_tree_each(const struct owed_node *t, srv_owed_fn *fn, void *opaque)
{
	if (!t)
		return;
	srv_owed_tree_each(t->l, fn, opaque);
	fn(opaque, t->tag, t->start, t->end - t->start);
	srv_owed_tree_each(t->r, fn, opaque);
}

/* ---- places --------------------------------------------------------------- */

/* The backend of @x (NULL: none, an untagged extent of a tagged device) and its place in it. */
static const uint8_t *backend_of(const struct dcd *dv, const struct core_extent_info *x,
				 uint64_t *place)
{
	if (dv->mode != MEM_DEV_TAGGED) {
		*place = x->ext.dpa;
		return no_tag;
	}
	*place = x->tag_offset;
	return memcmp(x->ext.tag, no_tag, CXLDCD_TAG_SIZE) ? x->ext.tag : NULL;
}

/* Owe [c, d) of @tag's backend in @root (merged with what it overlaps). */
static void owe_in(struct dcd *dv, struct owed_node **root, const uint8_t *tag, uint64_t c,
		   uint64_t d)
{
	uint64_t lo = c, hi = d;
	struct owed_node *n, *a, *z;

	if (!dv->owed_seed)
		dv->owed_seed = 0x9e3779b9u ^ dv->index;
	cut(dv, root, tag, c, d, true, &lo, &hi);
	n = node_new(dv, tag, lo, hi);
	if (!n)
		return;
	split(*root, tag, lo, &a, &z);
	*root = join(join(a, n), z);
}

static void owe(struct dcd *dv, const uint8_t *tag, uint64_t c, uint64_t d)
{
	owe_in(dv, &dv->owed, tag, c, d);
}

/* Pay what @dv owes of @x's place. */
static void pay(struct dcd *dv, const struct core_extent_info *x)
{
	uint64_t c, lo = 0, hi = 0;
	const uint8_t *tag = backend_of(dv, x, &c);

	if (tag && dv->owed && x->ext.len)
		cut(dv, &dv->owed, tag, c, c + x->ext.len, false, &lo, &hi);
}

/* Only the replay owes: live, the run that follows each commit does the zeroing. */
static bool replaying(const struct dcd *dv)
{
	return !dv->srv || dv->srv->replaying;
}

void srv_owed_freed(struct dcd *dv, const struct core_extent_info *x)
{
	uint64_t c;
	const uint8_t *tag = backend_of(dv, x, &c);

	if (!x->sanitize || !x->ext.len)
		return;
	if (!replaying(dv))
		dv->srv->nr_zeroed++;       /* synced before a snapshot drops its record */
	else if (tag)
		owe(dv, tag, c, c + x->ext.len);
}

/*
 * A tag's backend is one place for every tag-backed device: after a
 * restart another device may take a tag one let go, and what it writes
 * there must not be zeroed for the first one's release.
 */
void srv_owed_accepted(struct dcd *dv, const struct core_extent_info *x)
{
	struct server_ctx *s = dv->srv;

	if (!replaying(dv))
		return;
	if (dv->mode != MEM_DEV_TAGGED || !s) {
		pay(dv, x);
		return;
	}
	for (size_t i = 0; i < s->nr_devs; i++)
		if (s->devs[i]->mode == MEM_DEV_TAGGED)
			pay(s->devs[i], x);
}

/* ---- erases ------------------------------------------------------------------ */

/* @host's accepted extents, read once per erase (its list generation). */
static const struct core_extent_info *host_extents(struct dcd *dv, uint16_t host, uint32_t *nr)
{
	uint32_t n = core_extent_count(dv->dev, host), gen = core_extent_generation(dv->dev, host);

	if (dv->erase_xs && dv->erase_host == host && dv->erase_gen == gen) {
		*nr = dv->nr_erase_xs;
		return dv->erase_xs;
	}
	free(dv->erase_xs);
	dv->erase_xs = n ? malloc(n * sizeof(*dv->erase_xs)) : NULL;
	dv->nr_erase_xs = 0;
	if (n && (!dv->erase_xs ||
		  core_extent_list_info(dv->dev, host, 0, n, dv->erase_xs, &dv->nr_erase_xs))) {
		dv->owed_lost = true;
		free(dv->erase_xs);
		dv->erase_xs = NULL;
		dv->nr_erase_xs = 0;
	}
	dv->erase_host = host;
	dv->erase_gen = gen;
	*nr = dv->nr_erase_xs;
	return dv->erase_xs;
}

void srv_owed_erased(struct dcd *dv, uint16_t host, uint64_t dpa, uint64_t len)
{
	const struct core_extent_info *xs;
	uint32_t nr, i = 0, hi;
	uint64_t st;

	if (!replaying(dv)) {
		if (dv->srv) {
			dv->srv->ran_unproven = true;   /* proven before its answer (request.c) */
			dv->srv->erased = true;
			srv_proof_erasing(dv->srv, dv->index, host);   /* should it be in doubt */
			dv->srv->nr_zeroed++;
		}
		return;
	}
	st = core_static_capacity_of(dv->dev, host);
	if (dpa < st && len)        /* static capacity: by DPA (settle_static()) */
		owe_in(dv, &dv->owed_static, no_tag, dpa, dpa + len < st ? dpa + len : st);
	xs = host_extents(dv, host, &nr);
	/* The first extent that ends after dpa (the list is in DPA order). */
	for (hi = nr; i < hi;) {
		uint32_t mid = i + (hi - i) / 2;

		if (xs[mid].ext.dpa + xs[mid].ext.len <= dpa)
			i = mid + 1;
		else
			hi = mid;
	}
	for (; i < nr && xs[i].ext.dpa < dpa + len; i++) {
		uint64_t s = xs[i].ext.dpa > dpa ? xs[i].ext.dpa : dpa;
		uint64_t e = xs[i].ext.dpa + xs[i].ext.len;
		uint64_t c;
		const uint8_t *tag = backend_of(dv, &xs[i], &c);

		e = e < dpa + len ? e : dpa + len;
		if (tag && s < e)
			owe(dv, tag, c + (s - xs[i].ext.dpa), c + (e - xs[i].ext.dpa));
	}
}

/* ---- the observer ---------------------------------------------------------- */

static void on_accepted(void *opaque, const struct core_extent_info *x)
{
	srv_owed_accepted(opaque, x);
}

static void on_freed(void *opaque, const struct core_extent_info *x)
{
	srv_owed_freed(opaque, x);
}

static void on_erased(void *opaque, uint16_t host, uint64_t dpa, uint64_t len)
{
	srv_owed_erased(opaque, host, dpa, len);
}

/*
 * Set LSA: its bytes go to the lsa backend's file when it runs, and that
 * file is the LSA's truth at the next start (lsa_load() in src/mem), so a
 * Set LSA killed before it ran is owed too: the bytes the replay wrote
 * into the model's LSA are written to the file at the end of the replay.
 */
static void on_lsa_written(void *opaque, uint32_t offset, uint32_t len, const uint8_t *data)
{
	struct dcd *dv = opaque;

	(void)data;
	if (!replaying(dv)) {
		if (dv->srv) {
			dv->srv->ran_unproven = true;
			dv->srv->nr_zeroed++;
		}
		return;
	}
	if (len)
		owe_in(dv, &dv->owed_lsa, no_tag, offset, (uint64_t)offset + len);
}

static const struct core_observer owed_observer = { .extent_accepted = on_accepted,
						    .capacity_freed = on_freed,
						    .media_sanitized = on_erased,
						    .lsa_written = on_lsa_written };

int srv_owed_watch(struct dcd *dv)
{
	return core_observer_add(dv->dev, &owed_observer, dv);
}

/* ---- the proof record ----------------------------------------------------- */

bool srv_owed_is_proof(const struct store_rec *rec)
{
	return rec->kind == STORE_REC_QMP && rec->len == sizeof(proof_text) - 1 &&
	       !memcmp(rec->data, proof_text, rec->len);
}

void srv_owed_forget(struct dcd *dv)
{
	tree_free(dv, dv->owed);
	tree_free(dv, dv->owed_lsa);
	tree_free(dv, dv->owed_static);
	dv->owed = dv->owed_lsa = dv->owed_static = NULL;
}

void srv_owed_proven(struct server_ctx *s)
{
	for (size_t i = 0; i < s->nr_devs; i++)
		srv_owed_forget(s->devs[i]);
}

int srv_owed_append_proof(struct server_ctx *s)
{
	struct store_rec rec = { .time_ns = s->now_ns, .kind = STORE_REC_QMP,
				 .data = (const uint8_t *)proof_text, .len = sizeof(proof_text) - 1 };
	int rc;

	if (!s->ran_unproven)
		return 0;
	rc = store_journal_append(s->st, &rec);
	/* with the proof: how the erases in doubt were answered (0002h after a restart) */
	return rc ? rc : srv_proof_results_append(s);
}

int srv_owed_prove(struct server_ctx *s)
{
	int rc;

	if (!s->st || !s->ran_unproven)
		return 0;
	s->store_err[0] = 0;
	rc = srv_zerosync_all(s);       /* what it proves done is on disk first (zerosync.c) */
	if (!rc)
		rc = store_begin(s->st);
	if (!rc) {
		rc = srv_owed_append_proof(s);
		rc = rc ? (store_rollback(s->st), rc) : store_commit(s->st);
	}
	if (!rc)
		s->ran_unproven = false;
	else if (!s->store_err[0])
		snprintf(s->store_err, sizeof(s->store_err), "%s", store_last_error(s->st));
	return rc;
}

/* ---- what is owed ---------------------------------------------------------- */

void srv_owed_each(const struct dcd *dv, srv_owed_fn *fn, void *opaque)
{
	srv_owed_tree_each(dv->owed, fn, opaque);
}
