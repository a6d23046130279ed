/* SPDX-License-Identifier: MIT */
/*
 * test-bind.c - the binding table (src/mem/bind.c) on its own, against a
 * page map: bindings added out of order, with gaps, with attributes that
 * differ from the run whose span they fall in, runs filled past
 * BIND_RUN_MAX, cuts that trim, drop and split, and after every step the
 * table's invariants: ranges in order and disjoint, touching ranges of the
 * same run merged, runs at most BIND_RUN_MAX, a shared grant's bindings one
 * per run, the AVL tree balanced, one store reference and one backend-list
 * entry per run.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem/backend.h"
#include "mem/bind.h"
#include "mem/store.h"

#define PG 4096ull
#define BASE 0x10000000ull

/* Attribute sets a binding may have; 0 in the page map means unbound. */
enum { A_PLAIN = 1, A_VIEW, A_OTHER_BE, A_SHARED, A_MAPPED, NR_ATTRS };

struct fx {
	struct mem_backend be[2];
	struct mem_store view, grant;
	struct bind_tree t;
	uint32_t puts;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->view.be = &f->be[0];
	f->grant.be = &f->be[0];
	f->grant.shared = true;
	*state = f;
	return 0;
}

static void nothing(void *opaque, const struct mem_bind *b)
{
	(void)opaque;
	(void)b;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mem_bind_clear(&f->t, nothing, NULL);
	assert_null(f->be[0].binds);
	assert_null(f->be[1].binds);
	free(f);
	return 0;
}

static struct mem_bind bind_of(struct fx *f, int attr, uint64_t page, uint64_t pages)
{
	struct mem_bind b = { .dpa = BASE + page * PG, .len = pages * PG, .be = &f->be[0],
			      .writable = true };

	b.off = b.dpa - BASE;
	if (attr == A_VIEW)
		b.st = &f->view;
	if (attr == A_OTHER_BE) {
		b.be = &f->be[1];
		b.off = b.dpa + 0x100000; /* another offset relation too */
	}
	if (attr == A_SHARED)
		b.st = &f->grant;
	if (attr == A_MAPPED)
		b.mapped = true;
	return b;
}

static int attr_of(struct fx *f, const struct mem_bind *b)
{
	if (b->be == &f->be[1])
		return b->off == b->dpa + 0x100000 ? A_OTHER_BE : -1;
	if (b->off != b->dpa - BASE)
		return -1;
	if (b->st == &f->view)
		return A_VIEW;
	if (b->st == &f->grant)
		return A_SHARED;
	return b->st ? -1 : b->mapped ? A_MAPPED : A_PLAIN;
}

/* Add as devmem.c does: the caller's store reference goes to the table. */
static int add(struct fx *f, int attr, uint64_t page, uint64_t pages)
{
	struct mem_bind b = bind_of(f, attr, page, pages);
	int rc;

	if (b.st)
		b.st->refs++;
	rc = mem_bind_add(&f->t, &b);
	if (rc && b.st)
		b.st->refs--;
	return rc;
}

static void put(void *opaque, const struct mem_bind *b)
{
	struct fx *f = opaque;

	if (b->st)
		b->st->refs--;
	f->puts++;
}

static void cut(struct fx *f, uint64_t page, uint64_t pages)
{
	uint64_t d = BASE + page * PG, e = d + pages * PG;

	assert_int_equal(mem_bind_reserve(&f->t, d, e), 0);
	mem_bind_cut(&f->t, d, e, put, f);
}

struct walk {
	uint32_t runs, runs_of_be[2], refs_view, refs_grant;
	uint64_t last_end;
	bool any;
};

/* AVL order, balance and per-run invariants; return the height. */
static int check_run(struct fx *f, const struct bind_run *n, struct walk *w)
{
	int l, r;

	if (!n)
		return 0;
	l = check_run(f, n->left, w);
	assert_true(n->nr >= 1 && n->nr <= n->cap && n->cap <= BIND_RUN_MAX);
	if (w->any)
		assert_true(n->r[0].dpa >= w->last_end); /* spans in order, disjoint */
	w->any = true;
	w->last_end = n->r[n->nr - 1].dpa + n->r[n->nr - 1].len;
	if (n->st == &f->grant)
		assert_int_equal(n->nr, 1);
	w->runs++;
	w->runs_of_be[n->be == &f->be[1]]++;
	w->refs_view += n->st == &f->view;
	w->refs_grant += n->st == &f->grant;
	r = check_run(f, n->right, w);
	assert_true(l - r <= 1 && r - l <= 1);
	assert_int_equal(n->height, (l > r ? l : r) + 1);
	return (l > r ? l : r) + 1;
}

static uint32_t list_len(const struct mem_backend *be)
{
	uint32_t n = 0;

	for (const struct bind_run *x = be->binds; x; x = x->be_next) {
		assert_true(x->be == be);
		assert_true(x->be_next == NULL || x->be_next->be_prev == x);
		n++;
	}
	return n;
}

/* The table holds exactly map[] (attribute per page), packed as bind.h says. */
static void check(struct fx *f, const int *map, uint64_t pages)
{
	struct walk w = { 0 };
	struct bind_pos p;
	struct mem_bind b, prev = { 0 };
	uint64_t seen = 0, want = 0;
	bool ok, first = true;

	check_run(f, f->t.root, &w);
	assert_int_equal(list_len(&f->be[0]), w.runs_of_be[0]);
	assert_int_equal(list_len(&f->be[1]), w.runs_of_be[1]);
	assert_int_equal(f->view.refs, w.refs_view);
	assert_int_equal(f->grant.refs, w.refs_grant);
	for (ok = mem_bind_seek(&f->t, 0, &p, &b); ok; ok = mem_bind_step(&f->t, &p, &b)) {
		uint64_t page = (b.dpa - BASE) / PG;
		int a = attr_of(f, &b);

		assert_true(b.len > 0 && b.len % PG == 0);
		if (!first) {
			assert_true(prev.dpa + prev.len <= b.dpa);
			/* touching bindings that could be one are one */
			if (prev.dpa + prev.len == b.dpa && a != A_SHARED)
				assert_int_not_equal(attr_of(f, &prev), a);
		}
		for (uint64_t i = page; i < page + b.len / PG; i++)
			assert_int_equal(map[i], a);
		seen += b.len / PG;
		prev = b;
		first = false;
	}
	for (uint64_t i = 0; i < pages; i++)
		want += map[i] != 0;
	assert_int_equal(seen, want);
	/*
	 * A seek anywhere (before the first binding, inside one, in a gap,
	 * after the last, mid-page): the binding holding it, else the next.
	 */
	for (uint64_t i = 0; i <= pages + 1; i++) {
		uint64_t dpa = BASE - PG + i * PG + (i % 3 ? (i % 3) * 1000 : 0);
		uint64_t pg = (dpa - (BASE - PG)) / PG, k;

		ok = mem_bind_seek(&f->t, dpa, &p, &b);
		if (pg >= 1 && pg <= pages && map[pg - 1]) {
			assert_true(ok);
			assert_true(b.dpa <= dpa && dpa < b.dpa + b.len);
			assert_int_equal(attr_of(f, &b), map[pg - 1]);
			continue;
		}
		for (k = pg < 1 ? 0 : pg; k < pages && !map[k]; k++)
			;
		if (k >= pages) {
			assert_false(ok);
			continue;
		}
		assert_true(ok);
		assert_int_equal(b.dpa, BASE + k * PG);
	}
}

/* Every other page, in a scrambled order: no two touch, so runs fill and split. */
static void test_gapped_bindings_out_of_order_pack_into_runs(void **state)
{
	struct fx *f = *state;
	enum { N = 1000 };
	static int map[2 * N];
	struct bind_pos p;
	struct mem_bind b;

	for (uint64_t i = 0, k = 0; i < N; i++, k = (k + 389) % N) {
		assert_int_equal(add(f, A_VIEW, 2 * k, 1), 0);
		map[2 * k] = A_VIEW;
	}
	check(f, map, 2 * N);
	/* 1,000 bindings packed in a few runs (a reference each), not a node each */
	assert_true(f->view.refs < N / 8);
	/* seek finds the binding holding an address, else the next one */
	assert_true(mem_bind_seek(&f->t, BASE + 10 * PG + 5, &p, &b));
	assert_int_equal(b.dpa, BASE + 10 * PG);
	assert_int_equal(b.off, 10 * PG);
	assert_true(mem_bind_seek(&f->t, BASE + 11 * PG, &p, &b));
	assert_int_equal(b.dpa, BASE + 12 * PG);
	assert_false(mem_bind_seek(&f->t, BASE + 2 * N * PG, &p, &b));
	/* overlaps are refused, nothing changed */
	assert_int_equal(add(f, A_VIEW, 10, 1), -EEXIST);
	assert_int_equal(add(f, A_PLAIN, 9, 2), -EEXIST);
	assert_true(mem_bind_overlaps(&f->t, BASE + 9 * PG, 2 * PG));
	assert_false(mem_bind_overlaps(&f->t, BASE + 9 * PG, PG));
	check(f, map, 2 * N);
	/* filling the gaps merges everything into one binding */
	for (uint64_t i = 0, k = 0; i < N; i++, k = (k + 613) % N) {
		assert_int_equal(add(f, A_VIEW, 2 * k + 1, 1), 0);
		map[2 * k + 1] = A_VIEW;
		if (i % 97 == 0)
			check(f, map, 2 * N);
	}
	check(f, map, 2 * N);
	assert_true(mem_bind_seek(&f->t, 0, &p, &b));
	assert_int_equal(b.dpa, BASE);
	assert_int_equal(b.len, 2 * N * PG);
	assert_false(mem_bind_step(&f->t, &p, &b));
	assert_int_equal(f->view.refs, 1);
}

/* A binding in a run's hole with other attributes splits the run around it. */
static void test_other_attributes_in_a_hole_split_the_run(void **state)
{
	struct fx *f = *state;
	static int map[64];

	for (uint64_t k = 0; k < 64; k += 4) {
		assert_int_equal(add(f, A_PLAIN, k, 2), 0);
		map[k] = map[k + 1] = A_PLAIN;
	}
	check(f, map, 64);
	assert_int_equal(add(f, A_OTHER_BE, 18, 2), 0); /* touches plain on both sides */
	map[18] = map[19] = A_OTHER_BE;
	assert_int_equal(add(f, A_SHARED, 22, 1), 0);
	map[22] = A_SHARED;
	assert_int_equal(add(f, A_SHARED, 23, 1), 0); /* touches a shared one: its own run */
	map[23] = A_SHARED;
	assert_int_equal(add(f, A_MAPPED, 2, 1), 0);
	map[2] = A_MAPPED;
	check(f, map, 64);
	assert_int_equal(f->grant.refs, 2);
	/* the plain ones still pack: a plain page between plain pages joins both */
	assert_int_equal(add(f, A_PLAIN, 42, 2), 0);
	map[42] = map[43] = A_PLAIN;
	check(f, map, 64);
}

/* Cuts: inside one binding (split), across several (trim, drop), whole runs. */
static void test_cuts_trim_drop_and_split(void **state)
{
	struct fx *f = *state;
	static int map[4 * BIND_RUN_MAX + 8];
	const uint64_t n = 4 * BIND_RUN_MAX;

	for (uint64_t k = 0; k < n; k += 2) {
		assert_int_equal(add(f, A_VIEW, k, 1), 0);
		map[k] = A_VIEW;
	}
	assert_int_equal(add(f, A_VIEW, n, 8), 0);
	for (uint64_t k = n; k < n + 8; k++)
		map[k] = A_VIEW;
	check(f, map, n + 8);
	cut(f, n + 2, 3); /* the middle of the last binding */
	map[n + 2] = map[n + 3] = map[n + 4] = 0;
	check(f, map, n + 8);
	cut(f, 10, 21); /* drops 11 bindings, none trimmed */
	for (uint64_t k = 10; k < 31; k++)
		map[k] = 0;
	check(f, map, n + 8);
	assert_int_equal(add(f, A_SHARED, 11, 3), 0);
	map[11] = map[12] = map[13] = A_SHARED;
	cut(f, 12, 1); /* a shared grant's binding splits into two runs */
	map[12] = 0;
	check(f, map, n + 8);
	assert_int_equal(f->grant.refs, 2);
	f->puts = 0;
	cut(f, 0, n + 8); /* everything: every run put once */
	memset(map, 0, sizeof(map));
	check(f, map, n + 8);
	assert_null(f->t.root);
	assert_int_equal(f->view.refs, 0);
	assert_int_equal(f->grant.refs, 0);
	assert_true(f->puts >= 3);
}

/*
 * A cut that must split a binding, with no room reserved (what unbind does
 * when mem_bind_reserve() found no memory): the binding goes whole, never
 * half-cut, and a run left empty is put.
 */
static void test_cut_without_room_drops_the_binding_whole(void **state)
{
	struct fx *f = *state;
	static int map[16];

	assert_int_equal(add(f, A_VIEW, 0, 4), 0);
	assert_int_equal(add(f, A_VIEW, 6, 4), 0); /* the run is full: 2 ranges, room for 2 */
	assert_int_equal(add(f, A_SHARED, 12, 3), 0);
	for (int i = 0; i < 4; i++)
		map[i] = map[6 + i] = A_VIEW;
	map[12] = map[13] = map[14] = A_SHARED;
	check(f, map, 16);
	mem_bind_cut(&f->t, BASE + 7 * PG, BASE + 8 * PG, put, f);
	map[6] = map[7] = map[8] = map[9] = 0;
	check(f, map, 16);
	assert_int_equal(f->puts, 0);
	mem_bind_cut(&f->t, BASE + 13 * PG, BASE + 14 * PG, put, f);
	map[12] = map[13] = map[14] = 0;
	check(f, map, 16);
	assert_int_equal(f->puts, 1);
	assert_int_equal(f->grant.refs, 0);
	/* with room reserved, the same cut splits */
	cut(f, 1, 2);
	map[1] = map[2] = 0;
	check(f, map, 16);
}

/* Random adds and cuts of every attribute against the page map. */
static void test_random_adds_and_cuts_match_a_page_map(void **state)
{
	struct fx *f = *state;
	enum { PAGES = 1024, OPS = 6000 };
	static int map[PAGES];
	uint32_t seed = 777;

	check(f, map, PAGES); /* the empty table: every seek finds nothing */
	for (int op = 0; op < OPS; op++) {
		uint32_t a, n;
		bool free_run = true;
		int attr;

		seed = seed * 1103515245u + 12345u;
		a = (seed >> 8) % PAGES;
		n = 1 + (seed >> 18) % (seed & 4 ? 3 : 40);
		attr = 1 + (int)((seed >> 3) % (NR_ATTRS - 1));
		if (attr == A_SHARED && seed % 3)
			attr = A_PLAIN; /* fewer shared runs: the others pack */
		if (a + n > PAGES)
			n = PAGES - a;
		for (uint32_t i = a; i < a + n; i++)
			free_run &= !map[i];
		if (seed % 5 < 3) {
			assert_int_equal(add(f, attr, a, n), free_run ? 0 : -EEXIST);
			for (uint32_t i = a; free_run && i < a + n; i++)
				map[i] = attr;
		} else {
			cut(f, a, n);
			for (uint32_t i = a; i < a + n; i++)
				map[i] = 0;
		}
		if (op % 20 == 0)
			check(f, map, PAGES);
	}
	check(f, map, PAGES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_gapped_bindings_out_of_order_pack_into_runs),
		T(test_other_attributes_in_a_hole_split_the_run),
		T(test_cuts_trim_drop_and_split),
		T(test_cut_without_room_drops_the_binding_whole),
		T(test_random_adds_and_cuts_match_a_page_map),
#undef T
	};

	return cmocka_run_group_tests_name("mem-bind", tests, NULL, NULL);
}
