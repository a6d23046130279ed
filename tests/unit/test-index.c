/* SPDX-License-Identifier: MIT */
/*
 * test-index.c - the model's indexes behind its paged queries: live tags in
 * creation order (core_tag_list), each host's pending groups
 * (core_pending_get/find/extents) and each host's accepted extents
 * (core_extent_list, through the region trees' per-host tallies).  Random sequences (fixed seeds) against a
 * plain reference list: every page at every start is the reference's slice,
 * a full paging returns each item exactly once, and growing an index with
 * its allocation failing changes nothing.
 */
#include <errno.h>
#include <stdlib.h>

#include "common.h"
#include "core/model.h"

#define NT 2048u /* 2 MiB blocks in region 0 */

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((rng >> 33) % n);
}

static void big(struct cxldcd_dev_cfg *c)
{
	c->evlog_depth = 65535;
	c->max_tags = NT;
	c->pending_timeout_ms = 1;
}

static void tag_of(uint8_t tag[16], uint32_t v)
{
	memset(tag, 0, 16);
	tag[0] = 0x5a;
	/* differ only in the last bytes: the worst case for a weak hash */
	tag[12] = (uint8_t)(v >> 24);
	tag[13] = (uint8_t)(v >> 16);
	tag[14] = (uint8_t)(v >> 8);
	tag[15] = (uint8_t)v;
}

/* ------------------------------------------------------------ tags */

struct rtag {
	uint32_t v;     /* tag value (tag_of) */
	uint16_t host;
	uint32_t block; /* DPA / 2 MiB in region 0 */
};

struct tref {
	struct rtag t[NT];
	uint32_t n;
	bool used[NT];
	uint32_t next_v;
};

static void tag_add(struct tenv *e, struct tref *r)
{
	uint32_t b = rnd(NT);
	struct rtag *t = &r->t[r->n];
	struct cxldcd_extent x = { .len = 2 * MiB };

	while (r->used[b])
		b = (b + 1) % NT;
	t->v = ++r->next_v;
	/* hosts own long runs of blocks: leaves held by one host, and leaves shared */
	t->host = (uint16_t)(b / 300 % 2 ? rnd(2) : b / 600 % 2);
	t->block = b;
	x.dpa = b * 2 * MiB;
	tag_of(x.tag, t->v);
	assert_int_equal(add_ext(e, t->host, &x, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(accept_all(e, t->host), CXLDCD_RC_SUCCESS);
	r->used[b] = true;
	r->n++;
}

static void tag_drop(struct tenv *e, struct tref *r)
{
	uint32_t i = rnd(r->n);
	struct rtag *t = &r->t[i];

	assert_int_equal(rel_dc(e, t->host, t->block * 2 * MiB, 2 * MiB), CXLDCD_RC_SUCCESS);
	r->used[t->block] = false;
	memmove(t, t + 1, sizeof(*t) * (r->n - i - 1));
	r->n--;
}

static void page_check(struct tenv *e, const struct tref *r, uint32_t start, uint32_t max)
{
	static struct core_tag_info ti[16];
	uint8_t want[16];
	uint32_t n;

	assert_true(max <= 16);
	assert_int_equal(core_tag_list(e->dev, start, max, ti, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, start + max <= r->n ? max : r->n - start);
	for (uint32_t i = 0; i < n; i++) {
		const struct rtag *t = &r->t[start + i];
		uint32_t at;

		tag_of(want, t->v);
		assert_memory_equal(ti[i].tag, want, 16);
		assert_int_equal(core_tag_index(e->dev, want, &at), 0);
		assert_int_equal(at, start + i);
		assert_int_equal(ti[i].accepted_map[0], 1u << t->host);
		assert_int_equal(ti[i].nr_extents, 1);
	}
}

/* Paging with pages of max: every tag exactly once, in creation order. */
static void full_scan(struct tenv *e, const struct tref *r, uint32_t max)
{
	uint32_t at = 0;

	while (at < r->n) {
		page_check(e, r, at, max);
		at += max;
	}
	page_check(e, r, r->n, max); /* start == count: an empty page */
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * A host's accepted extents in DPA order from a random start (the per-host
 * tallies of the region tree, several levels deep here), against the
 * reference; also the page at start == count and past it.
 */
static void extent_page_check(struct tenv *e, const struct tref *r, uint16_t h)
{
	static uint32_t blocks[NT];
	static struct cxldcd_extent x[64];
	static struct core_extent_info xi[64];
	uint32_t nb = 0, start, max, n;

	for (uint32_t i = 0; i < r->n; i++)
		if (r->t[i].host == h)
			blocks[nb++] = r->t[i].block;
	qsort(blocks, nb, sizeof(blocks[0]), cmp_u32);
	assert_int_equal(core_extent_count(e->dev, h), nb);
	start = rnd(nb + 1);
	max = 1 + rnd(64);
	assert_int_equal(core_extent_list(e->dev, h, start, max, x, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, start + max <= nb ? max : nb - start);
	for (uint32_t i = 0; i < n; i++)
		assert_true(x[i].dpa == blocks[start + i] * 2 * MiB && x[i].len == 2 * MiB);
	assert_int_equal(core_extent_list_info(e->dev, h, start, max, xi, &n), CXLDCD_RC_SUCCESS);
	for (uint32_t i = 0; i < n; i++)
		assert_true(xi[i].ext.dpa == blocks[start + i] * 2 * MiB && xi[i].host == h);
	assert_int_equal(core_extent_list(e->dev, h, nb + 1, 1, x, &n), CXLDCD_RC_INVALID_INPUT);
}

static void test_tag_pages_agree_with_reference(void **state)
{
	struct tenv *e = tenv_new(big);
	static struct tref r;
	struct core_tag_info ti;
	uint32_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	rng = 42;
	/* Grow to ~1000, shrink to ~10 (compacting the index), grow again. */
	for (uint32_t step = 0; step < 6000; step++) {
		uint32_t phase = step / 1500, p_add = phase % 2 ? 15 : 80;

		if (r.n < NT - 1 && (!r.n || rnd(100) < p_add))
			tag_add(e, &r);
		else
			tag_drop(e, &r);
		if (step % 4 == 0) {
			drain(e, 0);
			drain(e, 1);
			drain(e, CORE_OWNER_FM);
		}
		assert_int_equal(core_tag_count(e->dev), r.n);
		page_check(e, &r, rnd(r.n + 1), 1 + rnd(16));
		if (step % 3 == 0)
			extent_page_check(e, &r, (uint16_t)rnd(2));
		if (step % 500 == 0) {
			full_scan(e, &r, 1 + rnd(7));
			assert_invariants(e->dev);
		}
	}
	full_scan(e, &r, 16);
	assert_int_equal(core_tag_list(e->dev, r.n + 1, 1, &ti, &n), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(n, 0);
	{
		uint8_t gone[16];
		uint32_t at = 7;

		tag_of(gone, r.next_v + 1); /* never created */
		assert_int_equal(core_tag_index(e->dev, gone, &at), -ENOENT);
		assert_int_equal(at, 7);
	}
	assert_invariants(e->dev);
	tenv_free(e);
}

/* ------------------------------------------------------------ pending groups */

struct rgroup {
	uint64_t id, offered_ns;
	uint32_t nr;
	uint64_t dpa[2];
};

struct gref {
	struct rgroup g[512];
	uint32_t n;
	uint64_t next_block;
};

static bool monotonic; /* offer times only increase (core_tick() stops early) */
static uint64_t clock_ns;

static void group_add(struct tenv *e, struct gref *r)
{
	struct rgroup *g = &r->g[r->n];
	struct cxldcd_extent x[2] = { { .len = 2 * MiB }, { .len = 2 * MiB } };
	struct core_add_req req = { .host = 0, .policy = CXLDCD_ADD_PRESCRIPTIVE, .extents = x };

	g->nr = 1 + rnd(2);
	/* not monotonic: timeouts hit the middle of the queue too */
	g->offered_ns = monotonic ? (clock_ns += rnd(3) * 200000ull) : rnd(10) * 1000000ull;
	for (uint32_t i = 0; i < g->nr; i++) {
		x[i].dpa = g->dpa[i] = r->next_block++ % NT * 2 * MiB;
		assert_true(r->next_block < NT);
	}
	req.nr_extents = g->nr;
	core_dev_set_time(e->dev, g->offered_ns);
	assert_int_equal(core_add(e->dev, &req, &g->id, &e->diag), CXLDCD_RC_SUCCESS);
	assert_true(!r->n || g->id > r->g[r->n - 1].id);
	r->n++;
}

static void group_check(struct tenv *e, const struct gref *r)
{
	struct core_group_info gi;
	struct cxldcd_extent x[2];
	uint32_t idx, n;

	assert_int_equal(core_pending_count(e->dev, 0), r->n);
	for (uint32_t i = 0; i < r->n; i++) {
		assert_int_equal(core_pending_get(e->dev, 0, i, &gi), 0);
		assert_true(gi.id == r->g[i].id && gi.offered_ns == r->g[i].offered_ns);
		assert_int_equal(gi.nr_extents, r->g[i].nr);
		assert_int_equal(core_pending_find(e->dev, 0, r->g[i].id, &idx), 0);
		assert_int_equal(idx, i);
		assert_int_equal(core_pending_extents(e->dev, 0, i, 0, 2, x, &n), CXLDCD_RC_SUCCESS);
		assert_int_equal(n, r->g[i].nr);
		for (uint32_t k = 0; k < n; k++)
			assert_true(x[k].dpa == r->g[i].dpa[k]);
		assert_int_equal(core_pending_extents(e->dev, 0, i, 1, 2, x, &n), CXLDCD_RC_SUCCESS);
		assert_int_equal(n, r->g[i].nr - 1);
	}
	assert_int_equal(core_pending_get(e->dev, 0, r->n, &gi), -EINVAL);
	assert_int_equal(core_pending_extents(e->dev, 0, r->n, 0, 2, x, &n), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(core_pending_find(e->dev, 0, 0, &idx), -ENOENT);
	assert_int_equal(core_pending_find(e->dev, 0, UINT64_MAX, &idx), -ENOENT);
	assert_int_equal(core_pending_find(e->dev, 7, 1, &idx), -ENOENT);
}

static void pending_run(bool mono)
{
	struct tenv *e = tenv_new(big);
	static struct gref r;

	memset(&r, 0, sizeof(r));
	rng = 7;
	monotonic = mono;
	clock_ns = 0;
	for (uint32_t step = 0; step < 1200; step++) {
		uint32_t op = rnd(100);

		if (r.n < 64 && op < 60) {
			group_add(e, &r);
		} else if (r.n && op < 80) {
			/* the host answers its oldest group */
			assert_int_equal(rnd(2) ? accept_all(e, 0) : reject(e, 0), CXLDCD_RC_SUCCESS);
			memmove(r.g, r.g + 1, sizeof(r.g[0]) * --r.n);
		} else if (r.n) {
			uint64_t limit = 1000000ull;
			uint64_t now = monotonic ? clock_ns + rnd(4) * 200000ull : rnd(12) * 1000000ull;
			uint32_t w = 0, gone = 0;

			for (uint32_t i = 0; i < r.n; i++) {
				if (now > r.g[i].offered_ns && now - r.g[i].offered_ns > limit)
					gone++;
				else
					r.g[w++] = r.g[i];
			}
			assert_int_equal(core_tick(e->dev, now), gone);
			r.n = w;
		}
		/* offers used blocks round-robin: release the accepted ones now and then */
		if (r.next_block >= NT - 8) {
			struct cxldcd_extent x[64];
			uint32_t n;

			while (core_extent_list(e->dev, 0, 0, 64, x, &n) == CXLDCD_RC_SUCCESS && n)
				for (uint32_t i = 0; i < n; i++)
					assert_int_equal(rel_dc(e, 0, x[i].dpa, x[i].len), CXLDCD_RC_SUCCESS);
			while (r.n) {
				assert_int_equal(reject(e, 0), CXLDCD_RC_SUCCESS);
				memmove(r.g, r.g + 1, sizeof(r.g[0]) * --r.n);
			}
			r.next_block = 0;
		}
		drain(e, 0);
		drain(e, CORE_OWNER_FM);
		group_check(e, &r);
		if (step % 100 == 0)
			assert_invariants(e->dev);
	}
	assert_invariants(e->dev);
	tenv_free(e);
}

static void test_pending_groups_agree_with_reference(void **state)
{
	(void)state;
	pending_run(false);
}

static void test_pending_groups_in_time_order_agree_with_reference(void **state)
{
	(void)state;
	pending_run(true);
}

/* ------------------------------------------------------------ allocation failure */

/* An add that must grow an index (tag slots, the host's group ring), each allocation failing in turn. */
static void grow_sweep(uint32_t nr_before, bool new_tag)
{
	for (uint64_t k = 1;; k++) {
		struct tenv *e = tenv_new(big);
		struct cxldcd_extent x = { .dpa = 1000 * 2 * MiB, .len = 2 * MiB };
		struct core_tag_info before[NT / 64], after[NT / 64];
		uint32_t nb, na;
		uint64_t fp;
		enum cxldcd_rc rc;

		for (uint32_t i = 0; i < nr_before; i++) {
			struct cxldcd_extent y = { .dpa = i * 2 * MiB, .len = 2 * MiB };

			tag_of(y.tag, i + 1);
			assert_int_equal(add_ext(e, 0, &y, 1), CXLDCD_RC_SUCCESS);
		}
		if (new_tag)
			tag_of(x.tag, 9999);
		assert_int_equal(core_tag_list(e->dev, 0, NT / 64, before, &nb), CXLDCD_RC_SUCCESS);
		fp = fingerprint(e->dev);
		e->ta.fail_at = e->ta.nr_allocs + k;
		rc = add_ext(e, 0, &x, 1);
		e->ta.fail_at = 0;
		assert_invariants(e->dev);
		if (rc == CXLDCD_RC_SUCCESS) {
			assert_true(k > 1);
			assert_int_equal(core_pending_count(e->dev, 0), nr_before + 1);
			assert_int_equal(core_tag_count(e->dev), nr_before + new_tag);
			tenv_free(e);
			return;
		}
		assert_int_equal(rc, CXLDCD_RC_INTERNAL_ERROR);
		assert_true(fingerprint(e->dev) == fp);
		assert_int_equal(core_pending_count(e->dev, 0), nr_before);
		assert_int_equal(core_tag_list(e->dev, 0, NT / 64, after, &na), CXLDCD_RC_SUCCESS);
		assert_int_equal(na, nb);
		assert_memory_equal(after, before, sizeof(before[0]) * nb);
		assert_int_equal(add_ext(e, 0, &x, 1), CXLDCD_RC_SUCCESS);
		assert_invariants(e->dev);
		tenv_free(e);
	}
}

static void test_tag_index_growth_out_of_memory_changes_nothing(void **state)
{
	(void)state;
	for (uint32_t n = 14; n <= 18; n++)
		grow_sweep(n, true);
}

static void test_group_ring_growth_out_of_memory_changes_nothing(void **state)
{
	(void)state;
	for (uint32_t n = 7; n <= 9; n++)
		grow_sweep(n, false);
	grow_sweep(16, false);
}

/*
 * The creation-order slots (12 bytes each) grow to 1.5 times the live tags,
 * not to a power of two at least twice that: while tags only come, never
 * more than 1.5 slots a tag (plus the first 16), and the pages stay right.
 */
static void test_tag_slots_stay_within_one_and_a_half_a_tag(void **state)
{
	static struct tref r;
	struct tenv *e = tenv_new(big);

	(void)state;
	rng = 7;
	memset(&r, 0, sizeof(r));
	for (uint32_t i = 0; i < 1500; i++) {
		tag_add(e, &r);
		drain(e, r.t[r.n - 1].host);
		assert_true(e->dev->tag_cap <= 16 || 2 * (uint64_t)e->dev->tag_cap <= 3 * (uint64_t)r.n + 3);
	}
	for (uint32_t s = 0; s < r.n; s += 97)
		page_check(e, &r, s, 16);
	assert_invariants(e->dev);
	tenv_free(e);
}

/* ------------------------------------------------- accepted extents, whole */

static void three_hosts_shared(struct cxldcd_dev_cfg *c)
{
	c->evlog_depth = 65535;
	c->max_tags = NT;
	c->nr_hosts = 3;
	c->regions[1].sharable = true;
}

/*
 * The host's accepted extents as a plain walk reads them: every allocation
 * of each region tree (regions by base, DPA order), kept when the host holds
 * it accepted, described by core_info().
 */
static uint32_t plain_walk(const struct cxldcd_dev *dev, uint16_t h, struct core_extent_info *out)
{
	uint32_t n = 0;

	for (unsigned k = 0; k < dev->cfg.nr_regions; k++) {
		struct bt_cur c;

		for (bool ok = bt_first(&dev->reg[dev->reg_order[k]].allocs, &c); ok; ok = bt_next(&c)) {
			const struct hx *x = alloc_holder(bt_val(&c), h);

			if (x && !x->g)
				core_info(dev, x, &out[n++]);
		}
	}
	return n;
}

/* One random step: an add (2 MiB blocks, pairs at unit u), a shared tag, a split, a pending release. */
static void info_step(struct tenv *e, uint32_t *unit, uint32_t *shared, uint32_t *v)
{
	uint32_t op = rnd(10), n;
	uint16_t h = (uint16_t)rnd(3);
	struct cxldcd_extent x[2] = { { 0 } };

	if (op < 5 && *unit < 1024) {
		uint64_t at = (uint64_t)(*unit * 389u % 1024u) * 4 * MiB;

		(*unit)++;
		x[0] = (struct cxldcd_extent){ .dpa = at, .len = (1 + rnd(2)) * 2 * MiB };
		if (rnd(4))
			tag_of(x[0].tag, ++*v);
		assert_int_equal(add_ext(e, h, x, 1), CXLDCD_RC_SUCCESS);
		assert_int_equal(accept_all(e, h), CXLDCD_RC_SUCCESS);
	} else if (op < 7 && *shared < 1000) {
		/* host 0 accepts a sharable tag (one or two extents), then the others */
		uint64_t at = 4 * GiB + (uint64_t)(*shared * 389u % 1024u) * 4 * MiB;
		struct core_add_req req = { .policy = CXLDCD_ADD_ENABLE_SHARED };
		uint32_t nx = 1 + rnd(2);

		(*shared)++;
		for (uint32_t i = 0; i < nx; i++) {
			x[i] = (struct cxldcd_extent){ .dpa = at + i * 2 * MiB, .len = 2 * MiB,
						       .shared_seq = (uint16_t)(nx - 1 - i) };
			tag_of(x[i].tag, *v + 1);
		}
		++*v;
		assert_int_equal(add_ext(e, 0, x, nx), CXLDCD_RC_SUCCESS);
		assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
		memcpy(req.tag, x[0].tag, 16);
		for (req.host = 1; req.host < 3; req.host++) {
			if (rnd(3) == 0)
				continue;
			assert_int_equal(core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_SUCCESS);
			assert_int_equal(accept_all(e, req.host), CXLDCD_RC_SUCCESS);
		}
	} else if (core_extent_count(e->dev, h) &&
		   core_extent_list(e->dev, h, rnd(core_extent_count(e->dev, h)), 1, x, &n) == 0 &&
		   n == 1 && x[0].dpa < 4 * GiB) {
		if (op < 9 && x[0].len > 2 * MiB) {
			/* the host gives back the first block: the extent splits */
			assert_int_equal(rel_dc(e, h, x[0].dpa, 2 * MiB), CXLDCD_RC_SUCCESS);
		} else {
			/* the FM asks for it back: the hold's release is pending */
			struct core_release_req req = { .host = h, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
							.sanitize = rnd(2), .nr_extents = 1,
							.extents = x };

			(void)core_release(e->dev, &req, &e->diag);
		}
	}
	for (uint16_t o = 0; o < 3; o++)
		drain(e, o);
	drain(e, CORE_OWNER_FM);
}

/*
 * core_extent_list_info() pages (batched, prefetching) give, byte for
 * byte, the slices of a plain walk of the region trees: random starts and
 * page sizes from 1 to past two batches, a full paging by 64 (what the
 * memory's bind at a start asks), on three hosts with untagged, tagged,
 * split, shared (several holds per allocation) and release-pending extents.
 */
static void test_extent_info_pages_agree_with_plain_walk(void **state)
{
	enum { MAXP = 200 };
	struct tenv *e = tenv_new(three_hosts_shared);
	static struct core_extent_info ref[4 * NT], got[4 * NT];
	uint32_t unit = 0, shared = 0, v = 0, seen = 0, pend = 0, multi = 0;

	(void)state;
	rng = 7;
	for (uint32_t step = 0; step < 3000; step++) {
		info_step(e, &unit, &shared, &v);
		if (step % 300 != 299)
			continue;
		for (uint16_t h = 0; h < 3; h++) {
			uint32_t nr = plain_walk(e->dev, h, ref), n, at = 0;

			assert_int_equal(core_extent_count(e->dev, h), nr);
			for (int k = 0; k < 40; k++) {
				uint32_t start = rnd(nr + 1), max = 1 + rnd(MAXP);

				memset(got, 0xa5, sizeof(got[0]) * MAXP);
				assert_int_equal(core_extent_list_info(e->dev, h, start, max, got, &n),
						 CXLDCD_RC_SUCCESS);
				assert_int_equal(n, nr - start < max ? nr - start : max);
				assert_memory_equal(got, ref + start, sizeof(got[0]) * n);
			}
			memset(got, 0xa5, sizeof(got[0]) * (nr + 1));
			do {
				assert_int_equal(core_extent_list_info(e->dev, h, at, 64, got + at, &n),
						 CXLDCD_RC_SUCCESS);
				at += n;
			} while (n);
			assert_int_equal(at, nr);
			assert_memory_equal(got, ref, sizeof(got[0]) * nr);
			assert_int_equal(core_extent_list_info(e->dev, h, nr + 1, 1, got, &n),
					 CXLDCD_RC_INVALID_INPUT);
			seen += nr;
			for (uint32_t i = 0; i < nr; i++) {
				pend += ref[i].release_pending;
				multi += h && ref[i].ext.dpa >= 4 * GiB; /* a hold beside host 0's */
			}
		}
	}
	assert_true(seen > 10000 && pend > 100 && multi > 1000);
	assert_invariants(e->dev);
	tenv_free(e);
}

/*
 * The runs core_extent_runs() should give for a host's accepted extents x[0..n)
 * (a plain walk's): each extent joins the run before it when it starts at
 * the run's end in the same region, not sharable, and with by_tag has the
 * run's tag (not none) at the offset where the run's ends.
 */
static uint32_t ref_runs(const struct core_extent_info *x, uint32_t n, bool by_tag,
			 struct core_extent_run *out)
{
	static const uint8_t none[CXLDCD_TAG_SIZE];
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct core_extent_run *r = k ? &out[k - 1] : NULL;

		if (r && r->x.region == x[i].region && !x[i].sharable &&
		    r->x.ext.dpa + r->x.ext.len == x[i].ext.dpa &&
		    (!by_tag || (memcmp(x[i].ext.tag, none, sizeof(none)) &&
				 !memcmp(x[i].ext.tag, r->x.ext.tag, sizeof(none)) &&
				 r->x.tag_offset + r->x.ext.len == x[i].tag_offset))) {
			r->x.ext.len += x[i].ext.len;
			r->nr++;
		} else {
			memcpy(&out[k].x, &x[i], sizeof(x[i]));
			out[k++].nr = 1;
		}
	}
	return k;
}

static void assert_runs_equal(const struct core_extent_run *got, const struct core_extent_run *want,
			      uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		assert_memory_equal(&got[i].x, &want[i].x, sizeof(got[i].x));
		assert_int_equal(got[i].nr, want[i].nr);
	}
}

/*
 * core_extent_runs() (what a start's bind walks) against the plain walk's
 * extents joined by ref_runs(), with and without tags: from random starts
 * (a run's middle too) in pages of random sizes, and a whole paging by 64,
 * whose runs cover every extent once; on the same three hosts as above.
 */
static void test_extent_runs_agree_with_joined_plain_walk(void **state)
{
	enum { MAXP = 100 };
	struct tenv *e = tenv_new(three_hosts_shared);
	static struct core_extent_info ref[4 * NT];
	static struct core_extent_run want[4 * NT], got[4 * NT];
	uint32_t unit = 0, shared = 0, v = 0, joined[2] = { 0 };

	(void)state;
	rng = 11;
	for (uint32_t step = 0; step < 3000; step++) {
		info_step(e, &unit, &shared, &v);
		if (step % 300 != 299)
			continue;
		for (uint16_t h = 0; h < 3; h++) {
			uint32_t nr = plain_walk(e->dev, h, ref), n;

			for (int by_tag = 0; by_tag < 2; by_tag++) {
				uint32_t nw = ref_runs(ref, nr, by_tag, want), at = 0, covered = 0;

				for (int k = 0; k < 20; k++) {
					uint32_t start = rnd(nr + 1), max = 1 + rnd(MAXP);
					uint32_t nws = ref_runs(ref + start, nr - start, by_tag, want);

					assert_int_equal(core_extent_runs(e->dev, h, start, by_tag, max, got, &n),
							 CXLDCD_RC_SUCCESS);
					assert_int_equal(n, nws < max ? nws : max);
					assert_runs_equal(got, want, n);
				}
				nw = ref_runs(ref, nr, by_tag, want);
				do {
					assert_int_equal(core_extent_runs(e->dev, h, covered, by_tag, 64, got + at, &n),
							 CXLDCD_RC_SUCCESS);
					for (uint32_t i = 0; i < n; i++)
						covered += got[at + i].nr;
					at += n;
				} while (n);
				assert_int_equal(at, nw);
				assert_int_equal(covered, nr);
				assert_runs_equal(got, want, nw);
				for (uint32_t i = 0; i < nw; i++)
					joined[by_tag] += want[i].nr > 1;
				assert_int_equal(core_extent_runs(e->dev, h, nr + 1, by_tag, 1, got, &n),
						 CXLDCD_RC_INVALID_INPUT);
			}
		}
	}
	assert_true(joined[0] > 100);
	assert_invariants(e->dev);
	tenv_free(e);
}

/*
 * A tag's extents back to back in the DPA join with tags only where their
 * tag offsets follow on too; untagged extents join only without tags.
 */
static void test_extent_runs_join_a_tag_in_its_offset_order(void **state)
{
	struct tenv *e = tenv_new(NULL);
	struct cxldcd_extent a[3], b[2], u = { .len = 2 * MiB };
	struct core_extent_info ref[16];
	struct core_extent_run want[16], got[16];
	uint32_t nr, n;

	(void)state;
	for (int i = 0; i < 3; i++) {   /* tag 1: 0, 2, 4 MiB in offer order */
		a[i] = (struct cxldcd_extent){ .dpa = (uint64_t)i * 2 * MiB, .len = 2 * MiB };
		tag_of(a[i].tag, 1);
	}
	for (int i = 0; i < 2; i++) {   /* tag 2: 8 MiB offered before 6 MiB */
		b[i] = (struct cxldcd_extent){ .dpa = (uint64_t)(4 - i) * 2 * MiB, .len = 2 * MiB };
		tag_of(b[i].tag, 2);
	}
	assert_int_equal(add_ext(e, 0, a, 3), CXLDCD_RC_SUCCESS);
	assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
	assert_int_equal(add_ext(e, 0, b, 2), CXLDCD_RC_SUCCESS);
	assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
	for (u.dpa = 10 * MiB; u.dpa < 14 * MiB; u.dpa += 2 * MiB) {
		assert_int_equal(add_ext(e, 0, &u, 1), CXLDCD_RC_SUCCESS);
		assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
	}
	nr = plain_walk(e->dev, 0, ref);
	assert_int_equal(nr, 7);
	/* without tags: 0 to 14 MiB, one run */
	assert_int_equal(core_extent_runs(e->dev, 0, 0, false, 16, got, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].nr, 7);
	assert_int_equal(got[0].x.ext.dpa, 0);
	assert_int_equal(got[0].x.ext.len, 14 * MiB);
	assert_int_equal(ref_runs(ref, nr, false, want), 1);
	assert_runs_equal(got, want, 1);
	/* with tags: tag 1 whole, tag 2's two (8 MiB is at offset 0, 6 MiB after it), the untagged alone */
	assert_int_equal(core_extent_runs(e->dev, 0, 0, true, 16, got, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, 5);
	assert_int_equal(ref_runs(ref, nr, true, want), 5);
	assert_runs_equal(got, want, 5);
	assert_int_equal(got[0].nr, 3);
	assert_int_equal(got[0].x.ext.len, 6 * MiB);
	assert_int_equal(got[1].x.ext.dpa, 6 * MiB);
	assert_int_equal(got[2].x.ext.dpa, 8 * MiB);
	assert_int_equal(got[3].nr, 1);
	assert_int_equal(got[4].nr, 1);
	/* from the middle of tag 1's run */
	assert_int_equal(core_extent_runs(e->dev, 0, 1, true, 1, got, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].nr, 2);
	assert_int_equal(got[0].x.ext.dpa, 2 * MiB);
	assert_int_equal(got[0].x.tag_offset, 2 * MiB);
	tenv_free(e);
}

/*
 * Runs across whole leaves (32 entries each) that one host holds, where
 * the walk reads the leaves' arrays: host 0 holds blocks 0..299 but 100
 * (free) and 200 (host 1's), so three runs, from every start.
 */
static void test_extent_runs_go_on_across_whole_leaves(void **state)
{
	struct tenv *e = tenv_new(three_hosts_shared);
	static struct core_extent_info ref[300];
	static struct core_extent_run want[300], got[300];
	struct cxldcd_extent x[50];
	uint32_t nr, nw, n;

	(void)state;
	for (uint32_t b = 0; b < 300; b += 50) {
		uint32_t k = 0;

		for (uint32_t i = b; i < b + 50; i++)
			if (i != 100 && i != 200)
				x[k++] = (struct cxldcd_extent){ .dpa = (uint64_t)i * 2 * MiB, .len = 2 * MiB };
		assert_int_equal(add_ext(e, 0, x, k), CXLDCD_RC_SUCCESS);
		assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
	}
	x[0] = (struct cxldcd_extent){ .dpa = 200 * 2 * MiB, .len = 2 * MiB };
	assert_int_equal(add_ext(e, 1, x, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(accept_all(e, 1), CXLDCD_RC_SUCCESS);
	nr = plain_walk(e->dev, 0, ref);
	assert_int_equal(nr, 298);
	assert_int_equal(core_extent_runs(e->dev, 0, 0, false, 300, got, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, 3);
	assert_int_equal(got[0].nr, 100);
	assert_int_equal(got[1].nr, 99);
	assert_int_equal(got[1].x.ext.dpa, 101 * 2 * MiB);
	assert_int_equal(got[2].nr, 99);
	assert_int_equal(got[2].x.ext.len, 99 * 2 * MiB);
	for (uint32_t start = 0; start <= nr; start++) {
		nw = ref_runs(ref + start, nr - start, false, want);
		assert_int_equal(core_extent_runs(e->dev, 0, start, false, 300, got, &n), CXLDCD_RC_SUCCESS);
		assert_int_equal(n, nw);
		assert_runs_equal(got, want, n);
		assert_int_equal(core_extent_runs(e->dev, 0, start, false, 1, got, &n), CXLDCD_RC_SUCCESS);
		assert_int_equal(n, nw ? 1 : 0);
		assert_runs_equal(got, want, n);
	}
	assert_invariants(e->dev);
	tenv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_pages_agree_with_reference),
		cmocka_unit_test(test_pending_groups_agree_with_reference),
		cmocka_unit_test(test_pending_groups_in_time_order_agree_with_reference),
		cmocka_unit_test(test_tag_index_growth_out_of_memory_changes_nothing),
		cmocka_unit_test(test_group_ring_growth_out_of_memory_changes_nothing),
		cmocka_unit_test(test_tag_slots_stay_within_one_and_a_half_a_tag),
		cmocka_unit_test(test_extent_info_pages_agree_with_plain_walk),
		cmocka_unit_test(test_extent_runs_agree_with_joined_plain_walk),
		cmocka_unit_test(test_extent_runs_join_a_tag_in_its_offset_order),
		cmocka_unit_test(test_extent_runs_go_on_across_whole_leaves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
