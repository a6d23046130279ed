/* SPDX-License-Identifier: MIT */
/*
 * test-random.c - randomized operation sequences (fixed seeds) run against
 * the model and against a naive reference written here with plain arrays.
 * After every step: same return code, same accepted lists per host, the
 * generation moved exactly when the list changed, same pending groups and
 * extent counts, and core_check_invariants() holds.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define BLK (2 * MiB)
#define NBLK 64
#define MAXX 24

struct rx {
	uint64_t dpa, len;
};

struct rgroup {
	struct rx x[4];
	int n;
	bool dead;
};

struct rhost {
	struct rx acc[512];
	int nacc;
	struct rgroup g[64];
	int ng;
};

struct ref {
	struct rhost h[2];
};

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static int used(const struct ref *r)
{
	int u = 0;

	for (int h = 0; h < 2; h++) {
		u += r->h[h].nacc;
		for (int g = 0; g < r->h[h].ng; g++)
			u += r->h[h].g[g].n;
	}
	return u;
}

static bool ovl(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	return a < b + bl && b < a + al;
}

static bool taken(const struct ref *r, uint64_t dpa, uint64_t len)
{
	for (int h = 0; h < 2; h++) {
		for (int i = 0; i < r->h[h].nacc; i++)
			if (ovl(dpa, len, r->h[h].acc[i].dpa, r->h[h].acc[i].len))
				return true;
		for (int g = 0; g < r->h[h].ng; g++)
			for (int i = 0; i < r->h[h].g[g].n; i++)
				if (ovl(dpa, len, r->h[h].g[g].x[i].dpa, r->h[h].g[g].x[i].len))
					return true;
	}
	return false;
}

static int rx_cmp(const void *a, const void *b)
{
	const struct rx *x = a, *y = b;

	return x->dpa < y->dpa ? -1 : x->dpa > y->dpa;
}

/* Subtract [dpa, dpa+len) from the host's accepted list into out; return new count. */
static int subtract(const struct rhost *h, uint64_t dpa, uint64_t len, struct rx *out)
{
	int n = 0;

	for (int i = 0; i < h->nacc; i++) {
		struct rx x = h->acc[i];
		uint64_t e = x.dpa + x.len, re = dpa + len;

		if (!ovl(x.dpa, x.len, dpa, len)) {
			out[n++] = x;
			continue;
		}
		if (x.dpa < dpa)
			out[n++] = (struct rx){ x.dpa, dpa - x.dpa };
		if (e > re)
			out[n++] = (struct rx){ re, e - re };
	}
	return n;
}

/* Is [dpa, dpa+len) covered by the union of list? */
static bool covered(const struct rx *l, int n, uint64_t dpa, uint64_t len)
{
	uint64_t pos = dpa;
	bool progress = true;

	while (pos < dpa + len && progress) {
		progress = false;
		for (int i = 0; i < n; i++) {
			if (l[i].dpa <= pos && l[i].dpa + l[i].len > pos) {
				pos = l[i].dpa + l[i].len;
				progress = true;
			}
		}
	}
	return pos >= dpa + len;
}

static void compare(struct tenv *e, const struct ref *r, const uint32_t gen_before[2],
		    const bool changed[2])
{
	static struct cxldcd_extent xs[1024];
	struct core_counts c;
	uint32_t n;

	assert_invariants(e->dev);
	for (uint16_t h = 0; h < 2; h++) {
		struct rx sorted[512];

		memcpy(sorted, r->h[h].acc, sizeof(struct rx) * (size_t)r->h[h].nacc);
		qsort(sorted, (size_t)r->h[h].nacc, sizeof(struct rx), rx_cmp);
		assert_int_equal(core_extent_count(e->dev, h), r->h[h].nacc);
		core_extent_list(e->dev, h, 0, 1024, xs, &n);
		assert_int_equal(n, r->h[h].nacc);
		for (uint32_t i = 0; i < n; i++) {
			assert_true(xs[i].dpa == sorted[i].dpa);
			assert_true(xs[i].len == sorted[i].len);
		}
		assert_int_equal(core_pending_count(e->dev, h), r->h[h].ng);
		for (int g = 0; g < r->h[h].ng; g++) {
			struct core_group_info gi;

			core_pending_get(e->dev, h, (uint32_t)g, &gi);
			assert_int_equal(gi.nr_extents, r->h[h].g[g].n);
			assert_int_equal(gi.dead, r->h[h].g[g].dead);
		}
		if (changed[h])
			assert_int_not_equal(core_extent_generation(e->dev, h), gen_before[h]);
		else
			assert_int_equal(core_extent_generation(e->dev, h), gen_before[h]);
	}
	core_counts_get(e->dev, &c);
	assert_int_equal(c.avail_extents, MAXX - used(r));
}

static enum cxldcd_rc step_add(struct tenv *e, struct ref *r, uint16_t h)
{
	struct cxldcd_extent x[3];
	uint32_t n = 1 + rnd(3);
	enum cxldcd_rc want = CXLDCD_RC_SUCCESS;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = rnd(NBLK - 4), l = 1 + rnd(3);

		x[i] = (struct cxldcd_extent){ .dpa = b * BLK, .len = l * BLK };
		if (taken(r, x[i].dpa, x[i].len))
			want = CXLDCD_RC_INVALID_EXTENT_LIST;
		for (uint32_t j = 0; j < i; j++)
			if (ovl(x[i].dpa, x[i].len, x[j].dpa, x[j].len))
				want = CXLDCD_RC_INVALID_EXTENT_LIST;
	}
	if (!want && used(r) + (int)n > MAXX)
		want = CXLDCD_RC_RESOURCES_EXHAUSTED;
	if (!want && r->h[h].ng == 64)
		return want; /* reference capacity */
	assert_int_equal(add_ext(e, h, x, n), want);
	if (!want) {
		struct rgroup *g = &r->h[h].g[r->h[h].ng++];

		g->n = (int)n;
		g->dead = false;
		for (uint32_t i = 0; i < n; i++)
			g->x[i] = (struct rx){ x[i].dpa, x[i].len };
	}
	return want;
}

static bool step_respond(struct tenv *e, struct ref *r, uint16_t h)
{
	struct rhost *rh = &r->h[h];
	struct cxldcd_range rg[8];
	uint32_t n = 0;
	enum cxldcd_rc want = CXLDCD_RC_SUCCESS;
	struct rgroup *g = &rh->g[0];

	if (!rh->ng) {
		assert_int_equal(core_add_response(e->dev, h, NULL, 0, false, &e->diag),
				 CXLDCD_RC_INVALID_INPUT);
		return false;
	}
	for (int i = 0; i < g->n; i++) {
		struct rx x = g->x[i];
		uint32_t nb = (uint32_t)(x.len / BLK), mode = rnd(5);

		if (mode == 1 || (mode == 2 && nb == 1)) {
			rg[n++] = (struct cxldcd_range){ x.dpa, x.len };
		} else if (mode == 2) {
			uint32_t s = rnd(nb), l = 1 + rnd(nb - s);

			rg[n++] = (struct cxldcd_range){ x.dpa + s * BLK, l * BLK };
		} else if (mode == 3 && nb >= 3) {
			rg[n++] = (struct cxldcd_range){ x.dpa, BLK };
			rg[n++] = (struct cxldcd_range){ x.dpa + 2 * BLK, BLK };
		}
	}
	if (rnd(10) == 0) {
		/* Past the end of the first offered extent: never inside one extent. */
		n = 1;
		rg[0] = (struct cxldcd_range){ g->x[0].dpa, g->x[0].len + BLK };
		want = CXLDCD_RC_INVALID_PA;
	} else if (n && g->dead) {
		want = CXLDCD_RC_INVALID_PA;
	} else if (used(r) + (int)n - g->n > MAXX) {
		want = CXLDCD_RC_RESOURCES_EXHAUSTED;
	}
	assert_int_equal(core_add_response(e->dev, h, rg, n, false, &e->diag), want);
	if (want)
		return false;
	for (uint32_t i = 0; i < n; i++)
		rh->acc[rh->nacc++] = (struct rx){ rg[i].dpa, rg[i].len };
	memmove(&rh->g[0], &rh->g[1], sizeof(rh->g[0]) * (size_t)(rh->ng - 1));
	rh->ng--;
	return n > 0;
}

static void pick_range(struct ref *r, uint16_t h, uint64_t *dpa, uint64_t *len)
{
	struct rhost *rh = &r->h[h];

	if (rh->nacc && rnd(4)) {
		struct rx x = rh->acc[rnd((uint32_t)rh->nacc)];
		uint32_t nb = (uint32_t)(x.len / BLK), s = rnd(nb);

		*dpa = x.dpa + s * BLK;
		*len = (1 + rnd(nb - s + 2)) * BLK; /* may run into a neighbour or a gap */
		return;
	}
	*dpa = rnd(NBLK - 4) * BLK;
	*len = (1 + rnd(3)) * BLK;
}

static bool step_release_dc(struct tenv *e, struct ref *r, uint16_t h)
{
	struct rhost *rh = &r->h[h];
	struct rx next[512];
	uint64_t dpa, len;
	enum cxldcd_rc want = CXLDCD_RC_SUCCESS;
	int nn;

	pick_range(r, h, &dpa, &len);
	nn = subtract(rh, dpa, len, next);
	if (!covered(rh->acc, rh->nacc, dpa, len))
		want = CXLDCD_RC_INVALID_PA;
	else if (used(r) + nn - rh->nacc > MAXX)
		want = CXLDCD_RC_RESOURCES_EXHAUSTED;
	assert_int_equal(rel_dc(e, h, dpa, len), want);
	if (want)
		return false;
	memcpy(rh->acc, next, sizeof(next[0]) * (size_t)nn);
	rh->nacc = nn;
	return true;
}

static bool step_forced(struct tenv *e, struct ref *r, uint16_t h)
{
	struct rhost *rh = &r->h[h];
	struct rx all[1024], next[512];
	struct cxldcd_extent x = { 0 };
	struct core_release_req req = { .host = h, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					.forced = true, .nr_extents = 1, .extents = &x };
	enum cxldcd_rc want = CXLDCD_RC_SUCCESS;
	int na = 0, nn;
	bool touched = false;

	pick_range(r, h, &x.dpa, &x.len);
	memcpy(all, rh->acc, sizeof(all[0]) * (size_t)rh->nacc);
	na = rh->nacc;
	for (int g = 0; g < rh->ng; g++)
		for (int i = 0; i < rh->g[g].n; i++)
			all[na++] = rh->g[g].x[i];
	nn = subtract(rh, x.dpa, x.len, next);
	if (!covered(all, na, x.dpa, x.len))
		want = CXLDCD_RC_INVALID_EXTENT_LIST;
	else if (used(r) + nn - rh->nacc > MAXX)
		want = CXLDCD_RC_RESOURCES_EXHAUSTED;
	assert_int_equal(core_release(e->dev, &req, &e->diag), want);
	if (want)
		return false;
	for (int g = 0; g < rh->ng; g++)
		for (int i = 0; i < rh->g[g].n; i++)
			if (ovl(x.dpa, x.len, rh->g[g].x[i].dpa, rh->g[g].x[i].len))
				rh->g[g].dead = true;
	for (int i = 0; i < rh->nacc; i++)
		touched |= ovl(x.dpa, x.len, rh->acc[i].dpa, rh->acc[i].len);
	memcpy(rh->acc, next, sizeof(next[0]) * (size_t)nn);
	rh->nacc = nn;
	return touched;
}

static void small(struct cxldcd_dev_cfg *c)
{
	c->max_extents = MAXX;
	c->evlog_depth = 64;
}

static void run(uint64_t seed, int steps)
{
	struct tenv *e = tenv_new(small);
	struct ref *r = calloc(1, sizeof(*r));
	int ok = 0, stat[10][2] = { { 0 } };

	rng = seed;
	for (int s = 0; s < steps; s++) {
		uint16_t h = (uint16_t)rnd(2);
		uint32_t gen[2] = { core_extent_generation(e->dev, 0), core_extent_generation(e->dev, 1) };
		bool changed[2] = { false, false };
		uint32_t op = rnd(10);

		if (op < 4)
			ok += step_add(e, r, h) == 0;
		else if (op < 7)
			changed[h] = step_respond(e, r, h);
		else if (op < 9)
			changed[h] = step_release_dc(e, r, h);
		else
			changed[h] = step_forced(e, r, h);
		stat[op][changed[h]]++;
		compare(e, r, gen, changed);
		drain(e, 0);
		drain(e, 1);
		drain(e, CORE_OWNER_FM);
	}
	assert_true(ok > steps / 20);
	if (getenv("RANDOM_STATS"))
		for (int i = 0; i < 10; i++)
			print_message("op %d: unchanged %d changed %d\n", i, stat[i][0], stat[i][1]);
	free(r);
	tenv_free(e);
}

static void test_random_sequences_agree_with_reference_seed1(void **state)
{
	(void)state;
	run(0x9e3779b97f4a7c15ull, 4000);
}

static void test_random_sequences_agree_with_reference_seed2(void **state)
{
	(void)state;
	run(0x1234567887654321ull, 4000);
}

static void test_random_sequences_agree_with_reference_seed3(void **state)
{
	(void)state;
	run(42, 4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sequences_agree_with_reference_seed1),
		cmocka_unit_test(test_random_sequences_agree_with_reference_seed2),
		cmocka_unit_test(test_random_sequences_agree_with_reference_seed3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
