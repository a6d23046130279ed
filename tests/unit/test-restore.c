/* SPDX-License-Identifier: MIT */
/*
 * test-restore.c - how core_restore() (src/core/snapshot.c) rebuilds the
 * indexes: the allocations are read in snapshot order (tags in creation
 * order, each tag's in its order, then the untagged ones), linked to their
 * tags and holders, then sorted and the region trees built at once
 * (region_build(), bt_build()), and each host's index of the tags it holds
 * (tag_host_build()); each record is checked as it is read, and at the end
 * only what no one record shows (two tags with one id, found as the tag
 * hash is built: tag_index_build()).
 *
 * A device whose tags were created in no address order restores to the same
 * state, and keeps behaving the same; snapshots edited at the byte level
 * (overlapping allocations in either order, allocations out of address
 * order, bits flipped in allocation records or anywhere, two tags with one
 * id, counts beyond the bytes left, each record-level fault) are refused or
 * restored to a state the full invariant check (the oracle here) finds
 * sound; every allocation failure during a restore is an error without a
 * leak; and the O(n) checks still catch a tag hash or creation-order index
 * that is wrong.  The objects are taken in one chunk per kind, sized by the
 * counts once checked (slab_reserve()): a count beyond the bytes left sizes
 * nothing, one that overstates the records is refused without a leak, and
 * a restore with libc's allocator (chunks mapped in huge pages) is the same
 * device.
 */
#include <stdlib.h>

#include "common.h"
#include "core/model.h"

#define BLK (2 * MiB)
#define R1 (4 * GiB)     /* region 1: sharable */
#define MAXA 512u

static void cfg3(struct cxldcd_dev_cfg *c)
{
	c->nr_hosts = 3;
	c->regions[1].sharable = true;
	c->evlog_depth = 1024;
}

/* ------------------------------------------------------------ snapshot layout (docs/persistence.md) */

struct layout {
	size_t tag[MAXA];        /* offset of each tag record */
	size_t alloc_count;      /* offset of the allocation count */
	size_t alloc[MAXA];      /* offset of each allocation record */
	uint32_t nr_tags, nr_allocs;
};

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Where the tags and allocations of a snapshot of a cfg3() device are. */
static void parse(const uint8_t *s, size_t len, struct layout *l)
{
	size_t off = 27 + 2 * 25 + 20;   /* magic, version, configuration, regions, now/group id/tag gen */

	l->nr_tags = (uint32_t)get_le(s + off, 4);
	off += 4;
	assert_true(l->nr_tags <= MAXA);
	for (uint32_t i = 0; i < l->nr_tags; i++, off += 37)
		l->tag[i] = off;
	for (uint32_t h = 0; h < 3; h++) {
		uint32_t ng = (uint32_t)get_le(s + off + 4, 4), ns;

		off += 8 + (size_t)ng * 21;
		ns = (uint32_t)get_le(s + off + 1, 4);
		off += 5 + (size_t)ns * 16;
	}
	l->alloc_count = off;
	l->nr_allocs = (uint32_t)get_le(s + off, 4);
	off += 4;
	assert_true(l->nr_allocs <= MAXA);
	for (uint32_t i = 0; i < l->nr_allocs; i++) {
		l->alloc[i] = off;
		off += 36 + 15 * get_le(s + off + 32, 4);
	}
	assert_true(off <= len);
}

static uint64_t alloc_dpa(const uint8_t *s, const struct layout *l, uint32_t i)
{
	return get_le(s + l->alloc[i] + 1, 8);
}

static uint32_t alloc_tag(const uint8_t *s, const struct layout *l, uint32_t i)
{
	return (uint32_t)get_le(s + l->alloc[i] + 17, 4);
}

/* ------------------------------------------------------------ fixtures */

static struct tenv *device(void)
{
	return tenv_new(cfg3);
}

/*
 * A snapshot in format version 1, whose fixed-size records parse() finds
 * and the tests below edit (what each record is checked for is the same in
 * version 2, which leaves the usual values out: see snap2() and the tests
 * of the two versions at the end).
 */
static void snap(struct tenv *e, uint8_t **s, size_t *n)
{
	assert_int_equal(snapshot_write(e->dev, 1, s, n), 0);
}

/* The snapshot core_snapshot() writes now (version 2). */
static void snap2(struct tenv *e, uint8_t **s, size_t *n)
{
	assert_int_equal(core_snapshot(e->dev, s, n), 0);
	assert_int_equal(get_le(*s + 8, 4), 2);
}

static void tag_n(uint8_t t[16], uint32_t v)
{
	memset(t, 0, 16);
	t[0] = 0x5e;
	t[14] = (uint8_t)(v >> 8);
	t[15] = (uint8_t)v;
}

/*
 * Tags created in falling and scattered address order over both regions:
 * one-extent tags accepted on three hosts, a tag of three extents out of
 * address order, a sharable tag accepted by two hosts, one kept only by its
 * FM reference, untagged extents, then one-extent tags left pending on the
 * three hosts in the gaps between the first ones, and two untagged extents
 * pending in one group.
 */
static void populate(struct tenv *e)
{
	struct cxldcd_extent x[3] = { 0 };
	struct core_add_req sh = { .host = 2, .policy = CXLDCD_ADD_ENABLE_SHARED };
	uint32_t v = 1;

	for (uint32_t i = 0; i < 120; i++, v++) {
		uint16_t h = (uint16_t)(i % 3);

		memset(x, 0, sizeof(x));
		x[0].dpa = (uint64_t)(300 - 2 * i) * BLK;          /* falling */
		x[0].len = BLK;
		tag_n(x[0].tag, v);
		assert_int_equal(add_ext(e, h, x, 1), 0);
		assert_int_equal(accept_all(e, h), 0);
	}
	/* one tag, three extents, its list not in address order */
	memset(x, 0, sizeof(x));
	x[0] = (struct cxldcd_extent){ .dpa = 401 * BLK, .len = BLK };
	x[1] = (struct cxldcd_extent){ .dpa = 5 * BLK, .len = 2 * BLK };
	x[2] = (struct cxldcd_extent){ .dpa = 503 * BLK, .len = BLK };
	for (int k = 0; k < 3; k++)
		tag_n(x[k].tag, v);
	v++;
	assert_int_equal(add_ext(e, 1, x, 3), 0);
	assert_int_equal(accept_all(e, 1), 0);
	/* sharable: accepted by hosts 0 and 2 */
	memset(x, 0, sizeof(x));
	x[0] = (struct cxldcd_extent){ .dpa = R1 + 40 * BLK, .len = BLK, .shared_seq = 1 };
	x[1] = (struct cxldcd_extent){ .dpa = R1 + 20 * BLK, .len = BLK, .shared_seq = 0 };
	tag_n(x[0].tag, v);
	tag_n(x[1].tag, v);
	tag_n(sh.tag, v);
	v++;
	assert_int_equal(add_ext(e, 0, x, 2), 0);
	assert_int_equal(accept_all(e, 0), 0);
	assert_int_equal(core_add(e->dev, &sh, NULL, &e->diag), 0);
	assert_int_equal(accept_all(e, 2), 0);
	/* sharable, held by nobody but its FM reference */
	memset(x, 0, sizeof(x));
	x[0] = (struct cxldcd_extent){ .dpa = R1 + 2 * BLK, .len = BLK };
	tag_n(x[0].tag, v);
	assert_int_equal(add_ext(e, 1, x, 1), 0);
	assert_int_equal(accept_all(e, 1), 0);
	assert_int_equal(core_tag_add_ref(e->dev, x[0].tag, &e->diag), 0);
	assert_int_equal(rel_dc(e, 1, R1 + 2 * BLK, BLK), 0);
	v++;
	/* untagged: accepted, and pending two to a group */
	assert_int_equal(add1(e, 2, 700 * BLK, BLK, 0), 0);
	assert_int_equal(accept_all(e, 2), 0);
	assert_int_equal(add1(e, 0, 3 * BLK, BLK, 0), 0);
	assert_int_equal(accept_all(e, 0), 0);
	/* left pending: tags in falling order between the accepted ones, then two untagged in a group */
	for (uint32_t i = 0; i < 40; i++, v++) {
		memset(x, 0, sizeof(x));
		x[0].dpa = (uint64_t)(301 - 2 * i) * BLK;
		x[0].len = BLK;
		tag_n(x[0].tag, v);
		assert_int_equal(add_ext(e, (uint16_t)(i % 3), x, 1), 0);
	}
	memset(x, 0, sizeof(x));
	x[0] = (struct cxldcd_extent){ .dpa = 650 * BLK, .len = BLK };
	x[1] = (struct cxldcd_extent){ .dpa = 1 * BLK, .len = BLK };
	assert_int_equal(add_ext(e, 1, x, 2), 0);
	assert_invariants(e->dev);
}

/* Restore s into a new device: 0 or the error (diag in e). */
static int restore_into(struct tenv **out, const uint8_t *s, size_t n)
{
	struct tenv *b = device();
	int rc = core_restore(b->dev, s, n, &b->diag);

	*out = b;
	return rc;
}

static void expect_same(struct tenv *a, struct tenv *b)
{
	uint8_t *sa, *sb;
	size_t na, nb;

	snap(a, &sa, &na);
	snap(b, &sb, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(sa, sb, na);
	assert_true(fingerprint(a->dev) == fingerprint(b->dev));
	free(sa);
	free(sb);
}

/* ------------------------------------------------------------ tests */

/*
 * The snapshot lists the allocations in no address order; the restored
 * device is the same state, its trees pass the check, and the same
 * operations (first-fit adds that search the gaps, answers, releases of
 * extents of every kind) then do the same on both.
 */
static void test_restore_of_tags_in_no_address_order_is_the_same_device(void **state)
{
	struct tenv *a = device(), *b;
	struct core_add_req fr = { .policy = CXLDCD_ADD_FREE, .length = BLK };
	uint8_t *s;
	size_t n;
	struct layout l;
	bool unordered = false;

	(void)state;
	populate(a);
	snap(a, &s, &n);
	parse(s, n, &l);
	for (uint32_t i = 1; i < l.nr_allocs; i++)
		unordered |= alloc_dpa(s, &l, i) < alloc_dpa(s, &l, i - 1);
	assert_true(unordered);
	assert_int_equal(restore_into(&b, s, n), 0);
	assert_invariants(b->dev);
	expect_same(a, b);
	for (uint16_t h = 0; h < 3; h++) {
		struct tenv *d[2] = { a, b };

		for (int k = 0; k < 2; k++) {
			fr.host = h;
			assert_int_equal(core_add(d[k]->dev, &fr, NULL, &d[k]->diag), 0);
			assert_int_equal(accept_all(d[k], h), 0);
			assert_int_equal(rel_dc(d[k], h, (uint64_t)(300 - 2 * (h + 3)) * BLK, BLK), 0);
			assert_int_equal(rel_dc(d[k], 1, 5 * BLK, 2 * BLK), 0 == h ? 0 : CXLDCD_RC_INVALID_PA);
			assert_invariants(d[k]->dev);
		}
		expect_same(a, b);
	}
	free(s);
	tenv_free(a);
	tenv_free(b);
}

/*
 * An allocation moved onto another one is refused whether the one it
 * overlaps comes before or after it in the snapshot, and whether it starts
 * at the same address or inside it.
 */
static void test_restore_refuses_overlapping_allocations_in_either_order(void **state)
{
	struct tenv *a = device(), *b;
	uint8_t *s, *bad;
	size_t n;
	struct layout l;
	uint32_t pairs[][2] = { { 0, 5 }, { 5, 0 }, { 3, 90 }, { 90, 3 } };

	(void)state;
	populate(a);
	snap(a, &s, &n);
	parse(s, n, &l);
	bad = malloc(n);
	for (uint32_t k = 0; k < 4; k++) {
		for (uint64_t into = 0; into < BLK; into += BLK / 2) {
			uint32_t i = pairs[k][0], j = pairs[k][1];

			memcpy(bad, s, n);
			/* i (tagged, one block) now starts inside j */
			assert_true(alloc_tag(s, &l, i) != UINT32_MAX);
			put_le(bad + l.alloc[i] + 1, alloc_dpa(s, &l, j) + into, 8);
			assert_int_equal(restore_into(&b, bad, n), -EINVAL);
			assert_int_equal(b->diag.rc, CXLDCD_RC_INVALID_INPUT);
			assert_string_equal(b->diag.text, "snapshot: allocation");
			tenv_free(b);
		}
	}
	free(bad);
	free(s);
	tenv_free(a);
}

/*
 * The untagged allocations come by address; given out of order they are
 * still accepted (as before), and the restored device writes them in
 * order again: the original bytes.
 */
static void test_restore_accepts_untagged_allocations_out_of_address_order(void **state)
{
	struct tenv *a = device(), *b;
	uint8_t *s, *swapped, *again;
	size_t n, n2;
	struct layout l;
	uint32_t u;

	(void)state;
	populate(a);
	snap(a, &s, &n);
	parse(s, n, &l);
	/* the last two records are untagged, one holder each: swap them */
	u = l.nr_allocs - 2;
	assert_true(alloc_tag(s, &l, u) == UINT32_MAX && alloc_tag(s, &l, u + 1) == UINT32_MAX);
	assert_true(alloc_dpa(s, &l, u) < alloc_dpa(s, &l, u + 1));
	assert_int_equal(get_le(s + l.alloc[u] + 32, 4), 1);
	assert_int_equal(get_le(s + l.alloc[u + 1] + 32, 4), 1);
	swapped = malloc(n);
	memcpy(swapped, s, n);
	memcpy(swapped + l.alloc[u], s + l.alloc[u + 1], 36 + 15);
	memcpy(swapped + l.alloc[u] + 36 + 15, s + l.alloc[u], 36 + 15);
	assert_true(memcmp(swapped, s, n) != 0);
	assert_int_equal(restore_into(&b, swapped, n), 0);
	assert_invariants(b->dev);
	snap(b, &again, &n2);
	assert_int_equal(n2, n);
	assert_memory_equal(again, s, n);
	free(again);
	free(swapped);
	free(s);
	tenv_free(a);
	tenv_free(b);
}

/*
 * core_snapshot() lists the allocations tag after tag in creation order,
 * and the restore indexes the tags each host holds as each tag's run of
 * allocations ends (tag_host_stream_note()); a snapshot whose runs come in
 * another order is as sound, and the index is then built again at the end
 * (tag_host_build()).  The records of two tags one host holds swapped:
 * the restored device passes the check (the index's slots ascending, its
 * counts) and is the same device.
 */
static void test_restore_accepts_tags_listed_out_of_creation_order(void **state)
{
	struct tenv *a = device(), *b;
	uint8_t *s, *swapped, *again;
	size_t n, n2;
	struct layout l;
	static struct core_tag_info la[200], lb[200];
	uint32_t na, nb;

	(void)state;
	populate(a);
	snap(a, &s, &n);
	parse(s, n, &l);
	/* records 0 and 3 are tags 0 and 3, one holder each, both host 0's */
	assert_int_equal(alloc_tag(s, &l, 0), 0);
	assert_int_equal(alloc_tag(s, &l, 3), 3);
	assert_int_equal(get_le(s + l.alloc[0] + 32, 4), 1);
	assert_int_equal(get_le(s + l.alloc[3] + 32, 4), 1);
	assert_int_equal(get_le(s + l.alloc[0] + 36, 2), 0);
	assert_int_equal(get_le(s + l.alloc[3] + 36, 2), 0);
	swapped = malloc(n);
	memcpy(swapped, s, n);
	memcpy(swapped + l.alloc[0], s + l.alloc[3], 36 + 15);
	memcpy(swapped + l.alloc[3], s + l.alloc[0], 36 + 15);
	assert_int_equal(restore_into(&b, swapped, n), 0);
	assert_invariants(b->dev);
	for (uint16_t h = 0; h < 3; h++) {
		assert_int_equal(core_tag_list_host(a->dev, h, 0, 200, la, &na), 0);
		assert_int_equal(core_tag_list_host(b->dev, h, 0, 200, lb, &nb), 0);
		assert_int_equal(na, nb);
		assert_memory_equal(la, lb, sizeof(la[0]) * na);
	}
	snap(b, &again, &n2);
	assert_int_equal(n2, n);
	assert_memory_equal(again, s, n);
	expect_same(a, b);
	free(again);
	free(swapped);
	free(s);
	tenv_free(a);
	tenv_free(b);
}

/* Bit flips (xorshift positions) restored one by one: refused with a reason, or sound. */
struct flips {
	uint64_t rng;
	uint32_t refused, restored;
};

static uint64_t next_rng(struct flips *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return f->rng;
}

/* s with bit `bit` of byte `at` flipped: refused with a reason, or a device the full check passes. */
static void flip_one(struct flips *f, const uint8_t *s, size_t n, size_t at, unsigned bit)
{
	uint8_t *bad = malloc(n);
	struct tenv *b;
	char msg[200];

	assert_non_null(bad);
	memcpy(bad, s, n);
	bad[at] ^= (uint8_t)(1u << bit);
	if (restore_into(&b, bad, n)) {
		f->refused++;
		assert_true(b->diag.text[0] != 0);
	} else {
		f->restored++;
		if (core_check_invariants(b->dev, msg, sizeof(msg)))
			fail_msg("bit %u of byte %zu accepted an unsound state: %s", bit, at, msg);
	}
	tenv_free(b);
	free(bad);
}

/*
 * Bit flips in the addresses, lengths, tag indexes and holder counts of the
 * allocations (what the sort and the tree build take): each snapshot is
 * refused or restores a consistent device, never crashes.
 */
static void test_restore_of_flipped_allocation_fields_is_refused_or_consistent(void **state)
{
	struct tenv *a = device();
	static const uint8_t fields[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, 18, 32 };
	struct flips f = { .rng = 0x2545f4914f6cdd1dull };
	uint8_t *s;
	size_t n;
	struct layout l;

	(void)state;
	populate(a);
	snap(a, &s, &n);
	parse(s, n, &l);
	for (uint32_t k = 0; k < 600; k++) {
		uint64_t x = next_rng(&f);
		uint32_t i = (uint32_t)(x % l.nr_allocs);

		flip_one(&f, s, n, l.alloc[i] + fields[(x >> 20) % sizeof(fields)], (x >> 40) % 8);
	}
	print_message("%u refused, %u restored\n", f.refused, f.restored);
	assert_true(f.refused > 0 && f.restored > 0);
	free(s);
	tenv_free(a);
}

/*
 * The index of the tags a host holds, built at once by the restore, is the
 * one the adds built (tags held in creation order, nothing released):
 * as many nodes, the same pages; then adds and releases keep it sound.
 * 211 = 7 * 30 + 1 leaves a last leaf of one slot under a last node of one
 * child.
 */
static void test_restored_tag_host_index_is_the_one_adds_build(void **state)
{
	static const uint32_t sizes[] = { 1, 30, 31, 211, 1500 };
	static struct core_tag_info la[1600], lb[1600];

	(void)state;
	for (uint32_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		struct tenv *a = device(), *b;
		struct cxldcd_extent x = { .len = BLK };
		uint32_t na, nb;
		uint8_t *s;
		size_t n;

		for (uint32_t i = 0; i < sizes[z]; i++) {
			x.dpa = (uint64_t)(2 * i) * BLK;
			tag_n(x.tag, i + 1);
			assert_int_equal(add_ext(a, (uint16_t)(i % 7 == 3), &x, 1), 0);
			assert_int_equal(accept_all(a, (uint16_t)(i % 7 == 3)), 0);
			if (i % 64 == 63)
				for (uint16_t o = 0; o < 2; o++)
					drain(a, o);
			if (i % 64 == 63)
				drain(a, CORE_OWNER_FM);
		}
		snap(a, &s, &n);
		assert_int_equal(restore_into(&b, s, n), 0);
		assert_invariants(b->dev);
		assert_int_equal(tag_host_bytes(b->dev), tag_host_bytes(a->dev));
		for (uint16_t h = 0; h < 3; h++) {
			assert_int_equal(core_tag_list_host(a->dev, h, 0, 1600, la, &na), 0);
			assert_int_equal(core_tag_list_host(b->dev, h, 0, 1600, lb, &nb), 0);
			assert_int_equal(na, nb);
			assert_memory_equal(la, lb, sizeof(la[0]) * na);
		}
		/* a new tag on host 0, host 1 lets go of its first: the index follows */
		x.dpa = (uint64_t)(2 * sizes[z] + 1) * BLK;
		tag_n(x.tag, 5000);
		assert_int_equal(add_ext(b, 0, &x, 1), 0);
		if (sizes[z] > 3)
			assert_int_equal(rel_dc(b, 1, 6 * BLK, BLK), 0);
		assert_invariants(b->dev);
		free(s);
		tenv_free(a);
		tenv_free(b);
	}
}

/* Two tags with one id: refused as the tag hash is built once all are read (not looked up one by one). */
static void test_restore_refuses_two_tags_with_one_id(void **state)
{
	struct tenv *a = device(), *b;
	uint8_t *s;
	size_t n;
	struct layout l;

	(void)state;
	populate(a);
	snap(a, &s, &n);
	parse(s, n, &l);
	for (uint32_t k = 1; k < l.nr_tags; k += 37) {
		uint8_t keep[16];

		memcpy(keep, s + l.tag[k], 16);
		memcpy(s + l.tag[k], s + l.tag[k - 1], 16);
		assert_int_equal(restore_into(&b, s, n), -EINVAL);
		assert_int_equal(b->diag.rc, CXLDCD_RC_INVALID_INPUT);
		assert_non_null(strstr(b->diag.text, "two live tags with one id"));
		tenv_free(b);
		memcpy(s + l.tag[k], keep, 16);
	}
	/* the first and the last: the whole list apart */
	{
		uint8_t keep[16];
		uint32_t last = l.nr_tags - 1;

		memcpy(keep, s + l.tag[last], 16);
		memcpy(s + l.tag[last], s + l.tag[0], 16);
		assert_int_equal(restore_into(&b, s, n), -EINVAL);
		assert_non_null(strstr(b->diag.text, "two live tags with one id"));
		tenv_free(b);
		memcpy(s + l.tag[last], keep, 16);
	}
	assert_int_equal(restore_into(&b, s, n), 0);
	tenv_free(b);
	free(s);
	tenv_free(a);
}

/* Restore an edited copy of s: refused with this reason. */
static void expect_refused(const uint8_t *s, size_t n, const char *why)
{
	struct tenv *b;

	assert_int_equal(restore_into(&b, s, n), -EINVAL);
	assert_int_equal(b->diag.rc, CXLDCD_RC_INVALID_INPUT);
	assert_string_equal(b->diag.text, why);
	tenv_free(b);
}

/*
 * Allocations that come in a few ascending runs (tags made in address
 * order, then more below them: bench-faces' accepted extents, then its
 * pending ones) are not sorted: each tree is built from a merge of the
 * runs (region_build(), MERGE_RUNS).  Three runs restore to the same
 * device; an allocation of the third moved onto one of the first is
 * refused as an overlap.
 */
static void test_restore_merges_a_few_ascending_runs(void **state)
{
	struct tenv *a = device(), *b;
	struct cxldcd_extent x = { .len = BLK };
	uint8_t *s;
	size_t n;
	struct layout l;
	uint32_t v = 1;

	(void)state;
	for (uint32_t run = 0; run < 3; run++)
		for (uint32_t i = 0; i < 40; i++, v++) {
			x.dpa = (uint64_t)((2 - run) * 100 + i) * BLK;  /* 200.., 100.., 0.. */
			tag_n(x.tag, v);
			assert_int_equal(add_ext(a, (uint16_t)(i % 3), &x, 1), 0);
			assert_int_equal(accept_all(a, (uint16_t)(i % 3)), 0);
		}
	assert_int_equal(add1(a, 1, 150 * BLK, BLK, 0), 0);   /* untagged, pending: ends the third run */
	snap(a, &s, &n);
	assert_int_equal(restore_into(&b, s, n), 0);
	assert_invariants(b->dev);
	expect_same(a, b);
	tenv_free(b);
	parse(s, n, &l);
	assert_int_equal(l.nr_allocs, 121);
	assert_int_equal(alloc_dpa(s, &l, 80), 0);
	assert_int_equal(alloc_dpa(s, &l, 10), 210 * BLK);
	put_le(s + l.alloc[80] + 1, 210 * BLK, 8);
	expect_refused(s, n, "snapshot: allocation");
	free(s);
	tenv_free(a);
}

static enum cxldcd_rc veto(void *opaque, const struct core_extent_info *x, uint32_t n,
			   struct cxldcd_diag *diag)
{
	(void)opaque;
	(void)x;
	(void)n;
	(void)diag;
	return CXLDCD_RC_INVALID_PA;
}

/*
 * The allocations a restore reads are the objects of the allocation slab's
 * one chunk, in order (region_build() reads them there, with no list of
 * them).  An add that an observer vetoed left the new device's slab an empty
 * page (its next group id unchanged: the device is still new); the restore
 * gives it back first, and restores the same device, whether its allocations
 * come sorted, in a few runs or in many.
 */
static void test_restore_into_a_slab_a_vetoed_add_left_a_page(void **state)
{
	static const struct core_observer ops = { .check_add = veto };
	struct tenv *a = device(), *c = device(), *b;
	struct cxldcd_extent x = { .len = BLK };
	uint8_t *s;
	size_t n;

	(void)state;
	populate(a);                            /* many runs: listed and sorted */
	for (uint32_t i = 0; i < 100; i++) {    /* one run: no sort */
		x.dpa = (uint64_t)i * BLK;
		tag_n(x.tag, i + 1);
		assert_int_equal(add_ext(c, 0, &x, 1), 0);
	}
	for (int k = 0; k < 2; k++) {
		struct tenv *src = k ? c : a;

		b = device();
		assert_int_equal(core_observer_add(b->dev, &ops, NULL), 0);
		EXPECT_FAIL(b, add1(b, 0, 0, BLK, 0), CXLDCD_RC_INVALID_PA);
		assert_int_equal(b->dev->allocs.live, 0);
		assert_true(b->dev->allocs.nr_pages > 0);
		snap2(src, &s, &n);
		assert_int_equal(core_restore(b->dev, s, n, &b->diag), 0);
		assert_invariants(b->dev);
		expect_same(src, b);
		free(s);
		tenv_free(b);
	}
	tenv_free(c);
	tenv_free(a);
}

/*
 * A restore takes the records of an empty log in their slots as read, and
 * appends them after what a log holds already (a new device can have an
 * injected record): the one injected into the device first stays first,
 * the snapshot's follow with their own handles, times and data.
 */
static void test_restore_appends_event_records_after_those_a_log_holds(void **state)
{
	struct tenv *a = device(), *b = device();
	struct cxldcd_event ev = { .length = 0x80 }, out[4];
	uint32_t got;
	uint8_t *s;
	size_t n;

	(void)state;
	core_dev_set_time(a->dev, 1000);
	for (uint8_t i = 1; i <= 2; i++) {
		ev.data[0] = i;
		assert_int_equal(core_evlog_inject(a->dev, 1, CXLDCD_LOG_INFO, &ev), 0);
	}
	ev.data[0] = 0x77;
	core_dev_set_time(b->dev, 5);
	assert_int_equal(core_evlog_inject(b->dev, 1, CXLDCD_LOG_INFO, &ev), 0);
	snap2(a, &s, &n);
	assert_int_equal(core_restore(b->dev, s, n, &b->diag), 0);
	assert_int_equal(core_evlog_get(b->dev, 1, CXLDCD_LOG_INFO, 4, out, &got, NULL), 0);
	assert_int_equal(got, 3);
	assert_int_equal(out[0].data[0], 0x77);
	assert_true(out[0].handle == 1 && out[0].timestamp_ns == 5);
	for (uint32_t i = 1; i < 3; i++) {
		assert_int_equal(out[i].data[0], i);
		assert_true(out[i].handle == i && out[i].timestamp_ns == 1000);
	}
	/* into a new device the records are the snapshot's alone, the same bytes saved */
	tenv_free(b);
	assert_int_equal(restore_into(&b, s, n), 0);
	assert_int_equal(core_evlog_get(b->dev, 1, CXLDCD_LOG_INFO, 4, out, &got, NULL), 0);
	assert_int_equal(got, 2);
	expect_same(a, b);
	free(s);
	tenv_free(b);
	tenv_free(a);
}

/* The first allocation record with tag index ti (tags are in creation order: see populate()). */
static uint32_t alloc_of_tag(const uint8_t *s, const struct layout *l, uint32_t ti, uint32_t nth)
{
	for (uint32_t i = 0; i < l->nr_allocs; i++)
		if (alloc_tag(s, l, i) == ti && !nth--)
			return i;
	fail_msg("no allocation %u of tag %u", nth, ti);
	return 0;
}

/*
 * The restore checks each record as it reads it for everything the full
 * invariant check would find wrong in it, and no longer walks the whole
 * state again: a misaligned length, a shared-extent sequence number in a
 * region that is not sharable, a sharable tag in such a region, a tag that
 * names no allocation, a second holder in such a region, and a tag that
 * is not sharable held by a second host are each refused with their reason.
 * (Tags 0-119 are one extent each in region 0, tag 120 three extents of
 * host 1, tag 121 sharable in region 1.)
 */
static void test_restore_refuses_what_one_record_shows_wrong(void **state)
{
	struct tenv *a = device(), *b;
	uint8_t *s, *e, *grown;
	size_t n;
	struct layout l;
	uint32_t i, j;

	(void)state;
	populate(a);
	snap(a, &s, &n);
	parse(s, n, &l);
	e = malloc(n + 15);
	i = alloc_of_tag(s, &l, 0, 0);
	assert_int_equal(get_le(s + l.alloc[i] + 32, 4), 1);

	memcpy(e, s, n);
	put_le(e + l.alloc[i] + 9, BLK + 4096, 8);           /* length not a whole block */
	expect_refused(e, n, "snapshot: allocation");

	memcpy(e, s, n);
	put_le(e + l.alloc[i] + 29, 1, 2);                   /* shared_seq, region 0 */
	expect_refused(e, n, "snapshot: allocation's sharing");

	memcpy(e, s, n);
	put_le(e + l.alloc[i] + 17, 121, 4);                 /* the sharable tag, region 0 */
	expect_refused(e, n, "snapshot: allocation's sharing");

	memcpy(e, s, n);
	put_le(e + l.tag[5] + 33, 0, 4);                     /* tag 5 names no allocation */
	expect_refused(e, n, "snapshot: tag without allocations");

	memcpy(e, s, n);
	j = alloc_of_tag(s, &l, 120, 1);                     /* tag 120's second: host 1 -> 0 */
	assert_int_equal(get_le(s + l.alloc[j] + 36, 2), 1);
	put_le(e + l.alloc[j] + 36, 0, 2);
	expect_refused(e, n, "snapshot: non-sharable tag held by two hosts");

	/* tag 5's totals overstated: an allocation more, a byte more */
	memcpy(e, s, n);
	put_le(e + l.tag[5] + 33, 2, 4);
	expect_refused(e, n, "snapshot: tag totals do not match its allocations");
	memcpy(e, s, n);
	put_le(e + l.tag[5] + 25, get_le(s + l.tag[5] + 25, 8) + BLK, 8);
	expect_refused(e, n, "snapshot: tag totals do not match its allocations");

	/*
	 * A tag's allocations not listed together (core_snapshot() lists each
	 * tag's in a row, and a restore checks each tag's totals as its row
	 * ends, against those written for it).  Tag 120's first moved after
	 * tag 119's (120, 119, 120, 120): its first row ends short.  Tag 6's
	 * allocation named as tag 3's (3, 4, 5, 3): tag 3's first row matches
	 * its totals, and a second one follows.
	 */
	j = alloc_of_tag(s, &l, 120, 0);
	assert_int_equal(alloc_tag(s, &l, j - 1), 119);
	assert_int_equal(l.alloc[j] - l.alloc[j - 1], 51);      /* one holder each */
	assert_int_equal(l.alloc[j + 1] - l.alloc[j], 51);
	memcpy(e, s, n);
	memcpy(e + l.alloc[j - 1], s + l.alloc[j], 51);
	memcpy(e + l.alloc[j], s + l.alloc[j - 1], 51);
	expect_refused(e, n, "snapshot: tag totals do not match its allocations");
	j = alloc_of_tag(s, &l, 6, 0);       /* tags 3 and 6: host 0's */
	assert_int_equal(alloc_tag(s, &l, j - 3), 3);
	assert_int_equal(get_le(s + l.alloc[j] + 36, 2), get_le(s + l.alloc[j - 3] + 36, 2));
	memcpy(e, s, n);
	put_le(e + l.alloc[j] + 17, 3, 4);
	expect_refused(e, n, "snapshot: a tag's allocations are not listed together");

	/* a second (accepted) holder of allocation i, region 0 */
	grown = e;
	memcpy(grown, s, l.alloc[i] + 51);
	put_le(grown + l.alloc[i] + 32, 2, 4);
	memset(grown + l.alloc[i] + 51, 0, 15);
	put_le(grown + l.alloc[i] + 51, (get_le(s + l.alloc[i] + 36, 2) + 1) % 3, 2);
	memcpy(grown + l.alloc[i] + 66, s + l.alloc[i] + 51, n - l.alloc[i] - 51);
	expect_refused(grown, n + 15, "snapshot: allocation's sharing");

	/* the untouched snapshot still restores, whole */
	assert_int_equal(restore_into(&b, s, n), 0);
	assert_invariants(b->dev);
	expect_same(a, b);
	tenv_free(b);
	free(e);
	free(s);
	tenv_free(a);
}

/*
 * Any one bit of the snapshot flipped (header, tags, groups, allocations
 * and their holders, event logs): refused, or restored to a device the full
 * invariant check finds sound.  This is the check the restore no longer
 * runs, as an oracle; fuzz-snapshot does the same with any bytes.
 */
static void test_restore_of_any_flipped_bit_is_refused_or_sound(void **state)
{
	struct tenv *a = device();
	struct flips f = { .rng = 0x9e3779b97f4a7c15ull };
	uint8_t *s;
	size_t n;

	(void)state;
	populate(a);
	for (int v = 1; v <= 2; v++) {
		if (v == 1)
			snap(a, &s, &n);
		else
			snap2(a, &s, &n);
		f.refused = f.restored = 0;
		for (uint32_t k = 0; k < 4000; k++) {
			uint64_t x = next_rng(&f);

			flip_one(&f, s, n, (size_t)(x % n), (x >> 40) % 8);
		}
		print_message("version %d: %u refused, %u restored\n", v, f.refused, f.restored);
		assert_true(f.refused > 0 && f.restored > 0);
		free(s);
	}
	tenv_free(a);
}

/* A tag or allocation count the bytes left cannot hold is refused before anything is sized by it. */
static void test_restore_refuses_counts_beyond_the_bytes_left(void **state)
{
	struct tenv *a = device(), *b;
	uint8_t *s;
	size_t n;
	struct layout l;

	(void)state;
	populate(a);
	snap(a, &s, &n);
	parse(s, n, &l);
	put_le(s + l.alloc_count, l.nr_allocs + (n - l.alloc_count) / 36, 4);
	assert_int_equal(restore_into(&b, s, n), -EINVAL);
	assert_string_equal(b->diag.text, "snapshot: allocation count");
	assert_true(b->dev->allocs.nr_pages == 0 && !b->dev->allocs.chunks);  /* nothing reserved */
	assert_true(b->dev->holds.nr_pages == 0 && !b->dev->holds.chunks);
	tenv_free(b);
	put_le(s + l.alloc_count, l.nr_allocs, 4);
	put_le(s + l.tag[0] - 4, 4000, 4);    /* under max_tags (4096), over the bytes */
	assert_int_equal(restore_into(&b, s, 27 + 50 + 20 + 4 + 37 * 100), -EINVAL);
	assert_string_equal(b->diag.text, "snapshot: tag count");
	assert_true(b->dev->tags.nr_pages == 0 && !b->dev->tags.chunks);
	tenv_free(b);
	free(s);
	tenv_free(a);
}

/*
 * The allocations, holds and tags of a restore come in one chunk per kind
 * (slab_reserve() from the counts): all of the allocations and tags sit in
 * the chunk's pages, none in a page of its own.
 */
static void test_restore_takes_each_kind_of_object_in_one_chunk(void **state)
{
	struct tenv *a = device(), *b;
	uint8_t *s;
	size_t n;

	(void)state;
	populate(a);
	snap(a, &s, &n);
	assert_int_equal(restore_into(&b, s, n), 0);
	assert_invariants(b->dev);
	expect_same(a, b);
	assert_non_null(b->dev->allocs.chunks);
	assert_non_null(b->dev->holds.chunks);
	assert_non_null(b->dev->tags.chunks);
	assert_int_equal(b->dev->allocs.nr_pages, (b->dev->allocs.live + SLAB_PER_PAGE - 1) / SLAB_PER_PAGE);
	assert_int_equal(b->dev->tags.nr_pages, (b->dev->tags.live + SLAB_PER_PAGE - 1) / SLAB_PER_PAGE);
	/* and they serve as any others: a group rejected, an extent added */
	assert_int_equal(reject(b, 0), 0);
	assert_int_equal(add1(b, 0, 900 * BLK, BLK, 9), 0);
	assert_int_equal(accept_all(b, 0), 0);
	assert_invariants(b->dev);
	tenv_free(b);
	free(s);
	tenv_free(a);
}

/*
 * Counts within the bytes left but above the records they stand for (the
 * objects are reserved for them first): refused, nothing leaked
 * (tenv_free() checks).
 */
static void test_restore_of_overstated_counts_is_refused_without_leak(void **state)
{
	struct tenv *a = device(), *b;
	uint8_t *s;
	size_t n;
	struct layout l;

	(void)state;
	populate(a);
	snap(a, &s, &n);
	parse(s, n, &l);
	for (uint32_t more = 1; more <= 200; more += 66) {
		put_le(s + l.alloc_count, l.nr_allocs + more, 4);
		assert_int_equal(restore_into(&b, s, n), -EINVAL);
		assert_memory_equal(b->diag.text, "snapshot: ", 10);
		tenv_free(b);
	}
	put_le(s + l.alloc_count, l.nr_allocs, 4);
	put_le(s + l.tag[0] - 4, l.nr_tags + 1, 4);
	assert_int_equal(restore_into(&b, s, n), -EINVAL);
	assert_memory_equal(b->diag.text, "snapshot: ", 10);
	tenv_free(b);
	free(s);
	tenv_free(a);
}

static void cfg_big(struct cxldcd_dev_cfg *c)
{
	c->nr_regions = 1;
	c->regions[0].len = c->regions[0].decode_len = 128 * GiB;
	c->max_extents = c->max_tags = 40000;
}

#define BIG_N 36000u    /* 36,000 allocations: 2.3 MB of them, a chunk past 2 MiB */

/*
 * With libc's allocator (no hook) a restore's large chunks are mapped on a
 * 2 MiB boundary (huge pages where the kernel gives them): the device is the
 * same, and keeps working.
 */
static void test_restore_with_libc_allocator_maps_large_chunks(void **state)
{
	struct tenv *a = tenv_new(cfg_big);
	struct cxldcd_extent *x = calloc(200, sizeof(*x));
	struct cxldcd_dev_cfg cfg = a->cfg;
	struct tenv b = { 0 };
	uint8_t *s, *s2;
	size_t n, n2;

	(void)state;
	for (uint32_t i = 0; i < BIG_N; i++) {
		uint16_t h = (uint16_t)(i / 200 % 2);

		x[i % 200] = (struct cxldcd_extent){ .dpa = (uint64_t)i * BLK, .len = BLK };
		tag_n(x[i % 200].tag, i + 1);
		x[i % 200].tag[13] = (uint8_t)((i + 1) >> 16);
		if (i % 200 == 199) {
			if (add_ext(a, h, x, 200))
				fail_msg("%u: %s", i, a->diag.text);
			assert_int_equal(accept_all(a, h), 0);
			drain(a, h);
		}
	}
	snap2(a, &s, &n);
	cfg.alloc = NULL;
	assert_int_equal(core_dev_new(&cfg, &b.dev, &b.diag), 0);
	assert_int_equal(core_restore(b.dev, s, n, &b.diag), 0);
	assert_int_equal(core_extent_count(b.dev, 0) + core_extent_count(b.dev, 1), BIG_N);
	assert_non_null(b.dev->allocs.chunks);
	assert_int_equal((uintptr_t)b.dev->allocs.chunks % (2u << 20), 0);
	assert_invariants(b.dev);
	assert_int_equal(core_snapshot(b.dev, &s2, &n2), 0);
	assert_int_equal(n2, n);
	assert_memory_equal(s2, s, n);
	free(s2);
	/* it keeps working: an extent of the chunk released, another added in its place */
	assert_int_equal(rel_dc(&b, 0, 0, BLK), 0);
	assert_int_equal(add1(&b, 1, 0, BLK, 7), 0);
	assert_int_equal(accept_all(&b, 1), 0);
	assert_int_equal(core_extent_count(b.dev, 0) + core_extent_count(b.dev, 1), BIG_N);
	assert_invariants(b.dev);
	core_dev_free(b.dev);
	free(s);
	free(x);
	tenv_free(a);
}

/* Every allocation a restore makes fails in turn: an error, nothing leaked (tenv_free() checks). */
static void test_restore_with_each_allocation_failing_is_an_error_without_leak(void **state)
{
	struct tenv *a = device(), *b;
	uint64_t total;
	uint8_t *s;
	size_t n;

	(void)state;
	populate(a);
	snap(a, &s, &n);
	b = device();
	total = b->ta.nr_allocs;
	assert_int_equal(core_restore(b->dev, s, n, &b->diag), 0);
	total = b->ta.nr_allocs - total;
	tenv_free(b);
	assert_true(total > 10);
	for (uint64_t k = 1; k <= total; k++) {
		b = device();
		b->ta.fail_at = b->ta.nr_allocs + k;
		assert_int_not_equal(core_restore(b->dev, s, n, &b->diag), 0);
		tenv_free(b);
	}
	free(s);
	tenv_free(a);
}

/*
 * The O(n) checks still catch what a lookup per tag caught (a tag out of
 * its bucket, or counted wrong), and the region walk inside the tree check
 * what the separate walk caught.
 */
static void test_invariants_catch_a_broken_tag_hash_or_order_index(void **state)
{
	struct tenv *a = device();
	struct cxldcd_dev *d;
	struct tag *t, *p = NULL;
	char msg[200];
	uint32_t b, dup;

	(void)state;
	populate(a);
	d = a->dev;
	t = tag_nth(d, 7);
	assert_non_null(t);
	/* its bucket b, and the tag before it in the chain (p, NULL: it is first) */
	for (b = 0; b <= d->tag_hash_mask; b++) {
		struct tag *u = d->tag_hash[b];

		for (p = NULL; u && u != t; u = tag_chain_next(d, u))
			p = u;
		if (u)
			break;
	}
	assert_true(b <= d->tag_hash_mask);
	/* missing from its chain */
	if (p)
		p->hnext = t->hnext;
	else
		d->tag_hash[b] = tag_chain_next(d, t);
	assert_int_equal(core_check_invariants(d, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "tag hash holds"));
	/* in another bucket */
	t->hnext = tag_link_to(d->tag_hash[(b + 1) & d->tag_hash_mask]);
	d->tag_hash[(b + 1) & d->tag_hash_mask] = t;
	assert_int_equal(core_check_invariants(d, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "another bucket"));
	d->tag_hash[(b + 1) & d->tag_hash_mask] = tag_chain_next(d, t);
	/* twice in its own chain (a cycle through it) */
	t->hnext = tag_link_to(d->tag_hash[b]);
	d->tag_hash[b] = t;
	dup = t->hnext;
	t->hnext = t->slot + 1;
	assert_int_equal(core_check_invariants(d, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "more than nr_tags"));
	/* linked to a slot past the used ones, or to one with no tag */
	t->hnext = d->tag_used + 1;
	assert_int_equal(core_check_invariants(d, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "which holds none"));
	t->hnext = dup;
	assert_int_equal(core_check_invariants(d, msg, sizeof(msg)), 0);
	/* a creation-order count off by one */
	d->tag_fw[4]++;
	assert_int_equal(core_check_invariants(d, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "tag order count"));
	d->tag_fw[4]--;
	assert_invariants(d);
	/* an allocation that disagrees with its tree entry (the region walk visits it) */
	{
		struct alloc *x = region_lookup(d, 0, 100 * BLK);

		assert_non_null(x);
		x->len += BLK;
		assert_int_equal(core_check_invariants(d, msg, sizeof(msg)), -1);
		assert_non_null(strstr(msg, "overlaps or bad gap"));
		x->len -= BLK;
	}
	assert_invariants(d);
	tenv_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_of_tags_in_no_address_order_is_the_same_device),
		cmocka_unit_test(test_restore_refuses_overlapping_allocations_in_either_order),
		cmocka_unit_test(test_restore_accepts_untagged_allocations_out_of_address_order),
		cmocka_unit_test(test_restore_accepts_tags_listed_out_of_creation_order),
		cmocka_unit_test(test_restore_merges_a_few_ascending_runs),
		cmocka_unit_test(test_restore_into_a_slab_a_vetoed_add_left_a_page),
		cmocka_unit_test(test_restore_appends_event_records_after_those_a_log_holds),
		cmocka_unit_test(test_restore_of_flipped_allocation_fields_is_refused_or_consistent),
		cmocka_unit_test(test_restored_tag_host_index_is_the_one_adds_build),
		cmocka_unit_test(test_restore_refuses_two_tags_with_one_id),
		cmocka_unit_test(test_restore_refuses_what_one_record_shows_wrong),
		cmocka_unit_test(test_restore_of_any_flipped_bit_is_refused_or_sound),
		cmocka_unit_test(test_restore_refuses_counts_beyond_the_bytes_left),
		cmocka_unit_test(test_restore_with_each_allocation_failing_is_an_error_without_leak),
		cmocka_unit_test(test_restore_takes_each_kind_of_object_in_one_chunk),
		cmocka_unit_test(test_restore_of_overstated_counts_is_refused_without_leak),
		cmocka_unit_test(test_restore_with_libc_allocator_maps_large_chunks),
		cmocka_unit_test(test_invariants_catch_a_broken_tag_hash_or_order_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
