/* SPDX-License-Identifier: MIT */
/*
 * test-owed.c - unit: the sanitizes a replay owes (src/server/owed.c).  A
 * sanitizing free is owed until a host accepts the same place of the
 * backend (a tag's offsets on a tag-backed device, DPAs on a
 * volatile-dc-memdev device); a partial acceptance leaves the rest owed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/daemon.h"
#include "store/store.h"

#define MiB (1024ull * 1024)

static struct core_extent_info ext(uint64_t dpa, uint64_t len, uint8_t tag, uint64_t tag_offset,
				   bool sanitize)
{
	struct core_extent_info x = { .ext = { .dpa = dpa, .len = len }, .tag_offset = tag_offset,
				      .sanitize = sanitize };

	x.ext.tag[15] = tag;
	return x;
}

static void freed(struct dcd *dv, uint64_t dpa, uint64_t len, uint8_t tag, uint64_t tag_offset,
		  bool sanitize)
{
	struct core_extent_info x = ext(dpa, len, tag, tag_offset, sanitize);

	srv_owed_freed(dv, &x);
}

static void accepted(struct dcd *dv, uint64_t dpa, uint64_t len, uint8_t tag, uint64_t tag_offset,
		     bool sanitize)
{
	struct core_extent_info x = ext(dpa, len, tag, tag_offset, sanitize);

	srv_owed_accepted(dv, &x);
}

struct place {
	uint8_t tag;                /* the last byte of the backend's tag (0: the memdev) */
	uint64_t start, len;
};

struct list {
	struct place p[32];
	size_t n;
	uint64_t bytes;
};

static void note(void *opaque, const uint8_t *tag, uint64_t start, uint64_t len)
{
	struct list *l = opaque;

	assert_true(l->n < 32);
	l->p[l->n++] = (struct place){ .tag = tag[15], .start = start, .len = len };
	l->bytes += len;
}

static struct list owed_of(const struct dcd *dv)
{
	struct list l = { .n = 0 };

	srv_owed_each(dv, note, &l);
	assert_int_equal(l.n, dv->nr_owed);
	return l;
}

/* Sum of the owed lengths. */
static uint64_t owed_bytes(const struct dcd *dv)
{
	return owed_of(dv).bytes;
}

/* Whether @dv owes exactly [start, start+len) of the backend of tag ..@tag (one range). */
static bool owes_in(const struct dcd *dv, uint8_t tag, uint64_t start, uint64_t len)
{
	struct list l = owed_of(dv);

	for (size_t i = 0; i < l.n; i++)
		if (l.p[i].tag == tag && l.p[i].start == start && l.p[i].len == len)
			return true;
	return false;
}

/* The place of a memdev is the DPA; of a tag's backend, the tag offset (here tag 1). */
static bool owes(const struct dcd *dv, uint64_t dpa, uint64_t len, uint64_t tag_offset)
{
	return dv->mode == MEM_DEV_TAGGED ? owes_in(dv, 1, tag_offset, len) : owes_in(dv, 0, dpa, len);
}

static void owed_free(struct dcd *dv)
{
	struct server_ctx s = { .devs = &dv, .nr_devs = 1 };

	assert_int_equal(srv_owed_settle(&s, false), 0);
	assert_null(dv->owed);
	assert_int_equal(dv->nr_owed, 0);
}

static void test_only_sanitizing_frees_are_owed(void **state)
{
	struct dcd dv = { .mode = MEM_DEV_TAGGED };
	struct core_extent_info a = ext(0, 4 * MiB, 1, 0, false), b = ext(8 * MiB, 2 * MiB, 1, 4 * MiB, true);

	(void)state;
	srv_owed_freed(&dv, &a);
	srv_owed_freed(&dv, &b);
	assert_int_equal(dv.nr_owed, 1);
	assert_true(owes(&dv, 8 * MiB, 2 * MiB, 4 * MiB));
	owed_free(&dv);
}

/* Tagged: the tag's offsets decide, not the DPA (the tag lives again elsewhere). */
static void test_an_acceptance_of_the_same_tag_offsets_pays_what_it_covers(void **state)
{
	struct dcd dv = { .mode = MEM_DEV_TAGGED };
	struct core_extent_info f = ext(0, 8 * MiB, 1, 0, true);
	struct core_extent_info mid = ext(100 * MiB, 2 * MiB, 1, 2 * MiB, false);
	struct core_extent_info other_tag = ext(0, 8 * MiB, 2, 0, false);

	(void)state;
	srv_owed_freed(&dv, &f);
	srv_owed_accepted(&dv, &other_tag);      /* another backend: nothing paid */
	assert_int_equal(owed_bytes(&dv), 8 * MiB);
	srv_owed_accepted(&dv, &mid);            /* tag offsets [2, 4) MiB, at another DPA */
	assert_int_equal(dv.nr_owed, 2);
	assert_true(owes(&dv, 0, 2 * MiB, 0));
	assert_true(owes(&dv, 4 * MiB, 4 * MiB, 4 * MiB));
	owed_free(&dv);
}

/* One memdev: the DPA decides, whatever the tag. */
static void test_on_one_memdev_the_dpa_decides(void **state)
{
	struct dcd dv = { .mode = MEM_DEV_SINGLE };
	struct core_extent_info f = ext(16 * MiB, 4 * MiB, 1, 0, true);
	struct core_extent_info same_offset = ext(0, 4 * MiB, 1, 0, false);
	struct core_extent_info head = ext(14 * MiB, 4 * MiB, 7, 0, false);

	(void)state;
	srv_owed_freed(&dv, &f);
	srv_owed_accepted(&dv, &same_offset);    /* same tag offset, another place */
	assert_int_equal(owed_bytes(&dv), 4 * MiB);
	srv_owed_accepted(&dv, &head);           /* covers [16, 18) MiB */
	assert_int_equal(dv.nr_owed, 1);
	assert_true(owes(&dv, 18 * MiB, 2 * MiB, 2 * MiB));
	srv_owed_freed(&dv, &f);                 /* freed with sanitize again: owed again */
	srv_owed_accepted(&dv, &(struct core_extent_info){ .ext = { .dpa = 0, .len = 64 * MiB } });
	assert_int_equal(dv.nr_owed, 0);
	owed_free(&dv);
}

/* A tag one device let go and another took after a restart: the second one's acceptance pays. */
static void test_another_devices_acceptance_of_the_tag_pays(void **state)
{
	struct server_ctx s = { .replaying = true };
	struct dcd d0 = { .srv = &s, .mode = MEM_DEV_TAGGED }, d1 = { .srv = &s, .mode = MEM_DEV_TAGGED };
	struct dcd d2 = { .srv = &s, .mode = MEM_DEV_SINGLE };
	struct dcd *devs[] = { &d0, &d1, &d2 };
	struct core_extent_info f = ext(0, 4 * MiB, 1, 0, true), g = ext(0, 4 * MiB, 1, 0, true);
	struct core_extent_info taken = ext(512 * MiB, 4 * MiB, 1, 0, false);

	(void)state;
	s.devs = devs;
	s.nr_devs = 3;
	srv_owed_freed(&d0, &f);
	srv_owed_freed(&d2, &g);
	srv_owed_accepted(&d1, &taken);
	assert_int_equal(d0.nr_owed, 0);
	assert_int_equal(d1.nr_owed, 0);
	assert_int_equal(d2.nr_owed, 1);        /* its memdev is its own */
	assert_int_equal(srv_owed_settle(&s, false), 0);
	assert_int_equal(d2.nr_owed, 0);
	assert_null(d2.owed);
	assert_null(d0.owed);
}

/*
 * Partial overlaps: acceptances that cover the head of one range, the
 * middle of another, the tail of a third and two ranges at once, on two
 * backends: exactly the rest stays owed, and the other backend is not
 * touched at the same offsets.
 */
static void test_acceptances_of_parts_leave_exactly_the_rest_owed(void **state)
{
	struct dcd dv = { .mode = MEM_DEV_TAGGED };
	struct list l;

	(void)state;
	/* tag 1: [0, 4) [8, 12) [16, 20) [24, 28) MiB; tag 2: [0, 32) MiB */
	for (uint64_t i = 0; i < 4; i++)
		freed(&dv, i * 8 * MiB, 4 * MiB, 1, i * 8 * MiB, true);
	freed(&dv, 64 * MiB, 32 * MiB, 2, 0, true);
	assert_int_equal(dv.nr_owed, 5);
	accepted(&dv, 0, 1 * MiB, 1, 0, false);        /* head */
	accepted(&dv, 0, 2 * MiB, 1, 9 * MiB, false);  /* middle */
	accepted(&dv, 0, 6 * MiB, 1, 19 * MiB, false); /* tail, a gap */
	accepted(&dv, 0, 0, 1, 2 * MiB, false);         /* nothing */
	l = owed_of(&dv);
	assert_int_equal(l.n, 6);
	assert_true(owes_in(&dv, 1, 1 * MiB, 3 * MiB));
	assert_true(owes_in(&dv, 1, 8 * MiB, 1 * MiB));
	assert_true(owes_in(&dv, 1, 11 * MiB, 1 * MiB));
	assert_true(owes_in(&dv, 1, 16 * MiB, 3 * MiB));
	assert_true(owes_in(&dv, 1, 25 * MiB, 3 * MiB));
	assert_true(owes_in(&dv, 2, 0, 32 * MiB));
	/* One acceptance over the end of a range, a whole one and the start of another. */
	accepted(&dv, 0, 16 * MiB, 1, 10 * MiB, false);
	l = owed_of(&dv);
	assert_int_equal(l.n, 4);
	assert_true(owes_in(&dv, 1, 1 * MiB, 3 * MiB));
	assert_true(owes_in(&dv, 1, 8 * MiB, 1 * MiB));
	assert_true(owes_in(&dv, 1, 26 * MiB, 2 * MiB));
	assert_true(owes_in(&dv, 2, 0, 32 * MiB));
	/* The other backend: a hole in the middle. */
	accepted(&dv, 0, 2 * MiB, 2, 4 * MiB, false);
	assert_true(owes_in(&dv, 2, 0, 4 * MiB));
	assert_true(owes_in(&dv, 2, 6 * MiB, 26 * MiB));
	assert_int_equal(owed_bytes(&dv), 3 * MiB + 1 * MiB + 2 * MiB + 30 * MiB);
	owed_free(&dv);
}

/* Frees over what is owed already: one range, the hull of both (zeroed once). */
static void test_frees_over_owed_ranges_merge(void **state)
{
	struct dcd dv = { .mode = MEM_DEV_SINGLE };

	(void)state;
	freed(&dv, 4 * MiB, 4 * MiB, 0, 0, true);
	freed(&dv, 12 * MiB, 2 * MiB, 0, 0, true);
	freed(&dv, 6 * MiB, 7 * MiB, 0, 0, true);
	assert_int_equal(dv.nr_owed, 1);
	assert_true(owes_in(&dv, 0, 4 * MiB, 10 * MiB));
	freed(&dv, 14 * MiB, 2 * MiB, 0, 0, true);   /* adjacent */
	assert_int_equal(owed_bytes(&dv), 12 * MiB);
	owed_free(&dv);
}

/* An untagged extent of a tag-backed device has no backend: nothing owed, nothing paid. */
static void test_untagged_capacity_of_a_tagged_device_owes_nothing(void **state)
{
	struct dcd dv = { .mode = MEM_DEV_TAGGED };

	(void)state;
	freed(&dv, 0, 4 * MiB, 0, 0, true);
	assert_int_equal(dv.nr_owed, 0);
	owed_free(&dv);
}

/* Live (not replaying), the run does the zeroing: nothing is noted. */
static void test_nothing_is_owed_outside_the_replay(void **state)
{
	struct server_ctx s = { .replaying = false };
	struct dcd dv = { .srv = &s, .mode = MEM_DEV_SINGLE };
	struct dcd *devs[] = { &dv };

	(void)state;
	s.devs = devs;
	s.nr_devs = 1;
	freed(&dv, 0, 4 * MiB, 0, 0, true);
	assert_int_equal(dv.nr_owed, 0);
	assert_null(dv.owed);
	srv_owed_erased(&dv, 0, 0, 4 * MiB);     /* an erase ran: a proof record is due */
	assert_true(s.ran_unproven);
	assert_int_equal(dv.nr_owed, 0);
	assert_int_equal(s.nr_erasing, 1);      /* host 0's capacity, should it be in doubt */
	srv_proof_fini(&s);
}

/* The proof record: recognised by its exact bytes; at it nothing before is owed. */
static void test_a_proof_record_pays_everything_before_it(void **state)
{
	static const char text[] = "{\"execute\":\"x-cxldcd-journal-ran\",\"arguments\":{}}";
	struct server_ctx s = { .replaying = true };
	struct dcd d0 = { .srv = &s, .mode = MEM_DEV_TAGGED }, d1 = { .srv = &s, .mode = MEM_DEV_SINGLE };
	struct dcd *devs[] = { &d0, &d1 };
	struct store_rec rec = { .kind = STORE_REC_QMP, .data = (const uint8_t *)text,
				 .len = sizeof(text) - 1 };

	(void)state;
	s.devs = devs;
	s.nr_devs = 2;
	assert_true(srv_owed_is_proof(&rec));
	rec.len--;
	assert_false(srv_owed_is_proof(&rec));
	rec.len++;
	rec.kind = STORE_REC_CCI;
	assert_false(srv_owed_is_proof(&rec));
	freed(&d0, 0, 4 * MiB, 1, 0, true);
	freed(&d1, 0, 4 * MiB, 1, 0, true);
	srv_owed_proven(&s);
	assert_int_equal(d0.nr_owed + d1.nr_owed, 0);
	freed(&d1, 8 * MiB, 4 * MiB, 1, 0, true);  /* after it */
	assert_int_equal(srv_owed_settle(&s, false), 0);
	assert_int_equal(d1.nr_owed, 0);
}

struct cover {
	bool unit[3][64];           /* [tag][MiB]: owed */
	uint8_t last_tag;
	uint64_t last_end;
};

static void cover_note(void *opaque, const uint8_t *tag, uint64_t start, uint64_t len)
{
	struct cover *c = opaque;

	assert_true(tag[15] >= 1 && tag[15] <= 2 && len && start % MiB == 0 && len % MiB == 0);
	/* in order and disjoint */
	assert_true(tag[15] > c->last_tag || start >= c->last_end);
	c->last_tag = tag[15];
	c->last_end = start + len;
	for (uint64_t u = start / MiB; u < (start + len) / MiB; u++)
		c->unit[tag[15]][u] = true;
}

/* Random frees and acceptances on two backends against a map of MiB units. */
static void test_random_frees_and_acceptances_match_a_map(void **state)
{
	struct dcd dv = { .mode = MEM_DEV_TAGGED };
	bool model[3][64] = { { false } };
	uint32_t r = 12345;

	(void)state;
	for (int step = 0; step < 20000; step++) {
		struct cover c = { .last_tag = 0 };
		uint64_t a, n;
		uint8_t tag;

		r = r * 1103515245u + 12345u;
		tag = (uint8_t)(1 + (r >> 16) % 2);
		a = (r >> 8) % 60;
		n = 1 + (r >> 20) % (64 - a < 8 ? 64 - a : 8);
		if ((r >> 28) % 2) {
			freed(&dv, 0, n * MiB, tag, a * MiB, true);
			for (uint64_t u = a; u < a + n; u++)
				model[tag][u] = true;
		} else {
			accepted(&dv, 0, n * MiB, tag, a * MiB, false);
			for (uint64_t u = a; u < a + n; u++)
				model[tag][u] = false;
		}
		srv_owed_each(&dv, cover_note, &c);
		assert_memory_equal(c.unit, model, sizeof(model));
	}
	owed_free(&dv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_sanitizing_frees_are_owed),
		cmocka_unit_test(test_an_acceptance_of_the_same_tag_offsets_pays_what_it_covers),
		cmocka_unit_test(test_on_one_memdev_the_dpa_decides),
		cmocka_unit_test(test_another_devices_acceptance_of_the_tag_pays),
		cmocka_unit_test(test_acceptances_of_parts_leave_exactly_the_rest_owed),
		cmocka_unit_test(test_frees_over_owed_ranges_merge),
		cmocka_unit_test(test_untagged_capacity_of_a_tagged_device_owes_nothing),
		cmocka_unit_test(test_nothing_is_owed_outside_the_replay),
		cmocka_unit_test(test_a_proof_record_pays_everything_before_it),
		cmocka_unit_test(test_random_frees_and_acceptances_match_a_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
