/* SPDX-License-Identifier: MIT */
/*
 * test-restore-bulk.c - a restore's memory in bulk (docs/performance.md,
 * "Session 9: snapshot load"): the region tree's and the tag-host index's
 * nodes carved from one chunk (core_chunk_open()), the tags' slot and
 * count arrays one block, a 1 MiB tag hash made 2 MiB, a deep event-log
 * ring and the slab chunks mapped in whole 2 MiB units.
 *
 * At sizes around the trees' node boundaries (0, 1, 32, 33, 1,024, 1,025),
 * past the size from which nodes come in a chunk (3,000), and at 100,000
 * (every bulk path mapped: the chunk, the slot arrays, the 2 MiB hash, the
 * 10,000-record ring of host 1), a device built by operations is
 * snapshotted and restored twice, with libc's allocator (mappings) and
 * through the counting hook (heap blocks, leaks checked): each restored
 * device passes the full invariant check, gives the same snapshot bytes,
 * walks its region tree in the same order and finds the same extents and
 * tags, and then does what the original does under the same operations
 * (releases that free nodes of the chunk, adds that take new ones, host 1
 * answering offers, its log cleared and refilled past the ring's size).
 * A hostile snapshot of that size is still refused, nothing leaked.
 */
#include <stdlib.h>

#include "common.h"
#include "core/model.h"

#define BLK (2 * MiB)
#define BATCH 200u

static uint32_t cur_n;  /* the size cfg_n() configures for */

static void cfg_n(struct cxldcd_dev_cfg *c)
{
	c->nr_regions = 1;
	c->regions[0].len = c->regions[0].decode_len = 512 * GiB;
	c->nr_hosts = 2;
	c->max_extents = c->max_tags = cur_n + cur_n / 10 + 25000;
	c->evlog_depth = 65535;
}

static bool in_order;   /* populate(): in address order, tags made in it (see there) */

static void tag_of(uint8_t t[16], uint32_t v)
{
	uint64_t x = (uint64_t)v * 0x9e3779b97f4a7c15ull + 7;

	memcpy(t, &x, 8);
	memset(t + 8, 0x5a, 8);
	memcpy(t + 12, &v, 4);
	if (in_order) {         /* an add makes its new tags in id order: v's, big-endian, first */
		for (int i = 0; i < 4; i++)
			t[i] = (uint8_t)(v >> (24 - 8 * i));
	}
}

/*
 * n tagged extents at blocks 0, 2, 4, ... accepted by host 0 (its and the
 * FM's logs drained), then n / 10 one-extent offers at blocks 1, 3, ...
 * left pending on host 1 (a DC record each in its log): the snapshot lists
 * two address runs, merged on restore.  With in_order set, blocks 0..n-1
 * and n..n + n/10 - 1, each batch's tags made in address order: the
 * snapshot lists one run, in address order (bench-faces' layout).
 */
static void populate(struct tenv *e, uint32_t n)
{
	static struct cxldcd_extent x[BATCH];
	uint64_t stride = in_order ? 1 : 2, first1 = in_order ? n : 1;

	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < BATCH ? n - done : BATCH;

		for (uint32_t i = 0; i < k; i++) {
			x[i] = (struct cxldcd_extent){ .dpa = stride * (done + i) * BLK, .len = BLK };
			tag_of(x[i].tag, done + i + 1);
		}
		if (add_ext(e, 0, x, k))
			fail_msg("add at %u: %s", done, e->diag.text);
		assert_int_equal(accept_all(e, 0), 0);
		drain(e, 0);
		drain(e, CORE_OWNER_FM);
		done += k;
	}
	for (uint32_t i = 0; i < n / 10; i++) {
		x[0] = (struct cxldcd_extent){ .dpa = (stride * i + first1) * BLK, .len = BLK };
		tag_of(x[0].tag, n + i + 1);
		if (add_ext(e, 1, x, 1))
			fail_msg("pending add %u: %s", i, e->diag.text);
		if (i % 1000 == 999)
			drain(e, CORE_OWNER_FM);
	}
	drain(e, CORE_OWNER_FM);
	assert_invariants(e->dev);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A restore of s with libc's allocator (no hook: bulk memory is mapped). */
static struct tenv *restore_libc(const uint8_t *s, size_t len)
{
	struct tenv *b = calloc(1, sizeof(*b));

	core_cfg_default(&b->cfg);
	cfg_n(&b->cfg);
	b->cfg.alloc = NULL;
	assert_int_equal(core_dev_new(&b->cfg, &b->dev, &b->diag), 0);
	if (core_restore(b->dev, s, len, &b->diag))
		fail_msg("restore: %s", b->diag.text);
	return b;
}

static void free_libc(struct tenv *b)
{
	core_dev_free(b->dev);
	free(b);
}

/* The same snapshot bytes, the same walk of the tree, the same lookups. */
static void expect_same(struct tenv *a, struct tenv *b)
{
	const struct alloc *x, *y;
	uint8_t *sa, *sb;
	size_t na, nb;
	uint32_t k = 0;

	assert_invariants(b->dev);
	assert_int_equal(core_snapshot(a->dev, &sa, &na), 0);
	assert_int_equal(core_snapshot(b->dev, &sb, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(sa, sb, na);
	free(sa);
	free(sb);
	assert_true(fingerprint(a->dev) == fingerprint(b->dev));
	for (x = region_lookup(a->dev, 0, 0), y = region_lookup(b->dev, 0, 0); x && y;
	     x = alloc_next(a->dev, x), y = alloc_next(b->dev, y), k++) {
		assert_int_equal(x->dpa, y->dpa);
		assert_int_equal(x->len, y->len);
		assert_true(!x->tag == !y->tag);
		if (x->tag)
			assert_memory_equal(x->tag->id, y->tag->id, CXLDCD_TAG_SIZE);
		/* a lookup inside it, and of its tag, finds it on both */
		if (k % 7 == 0) {
			assert_ptr_equal(region_lookup(b->dev, 0, y->dpa + y->len - 1), y);
			if (y->tag)
				assert_ptr_equal(tag_find(b->dev, y->tag->id), y->tag);
		}
	}
	assert_null(x);
	assert_null(y);
	assert_int_equal(core_extent_count(a->dev, 0), core_extent_count(b->dev, 0));
	assert_int_equal(core_extent_count(a->dev, 1), core_extent_count(b->dev, 1));
	assert_int_equal(core_tag_count(a->dev), core_tag_count(b->dev));
}

/* The same operations on each: every third extent of host 0 released, new ones added, host 1 answering. */
static void operate(struct tenv *e, uint32_t n)
{
	struct cxldcd_extent x[8];

	for (uint32_t i = 0; i < n; i += 3)
		if (rel_dc(e, 0, (in_order ? 1ull : 2ull) * i * BLK, BLK))
			fail_msg("release %u: %s", i, e->diag.text);
	for (uint32_t i = 0; i < 8; i++) {
		x[i] = (struct cxldcd_extent){ .dpa = (in_order ? n + n / 10 + 64ull + i : 2ull * (n + i) + 64) * BLK,
					       .len = BLK };
		tag_of(x[i].tag, 3 * n + 100 + i);
	}
	assert_int_equal(add_ext(e, 0, x, 8), 0);
	assert_int_equal(accept_all(e, 0), 0);
	for (uint32_t i = 0; i < n / 10 && i < 5; i++)
		assert_int_equal(accept_all(e, 1), 0);
	assert_invariants(e->dev);
}

static void restore_at(uint32_t n)
{
	struct tenv *a, *b, *c;
	uint8_t *s;
	size_t len;

	cur_n = n;
	a = tenv_new(cfg_n);
	populate(a, n);
	assert_int_equal(core_snapshot(a->dev, &s, &len), 0);
	b = restore_libc(s, len);
	c = tenv_new(cfg_n);
	if (core_restore(c->dev, s, len, &c->diag))
		fail_msg("restore (hook): %s", c->diag.text);
	expect_same(a, b);
	expect_same(a, c);
	if (n >= 3000) {
		/* the nodes came from a chunk: no heap block each (the hook saw few allocations) */
		assert_non_null(b->dev->chunks);
		assert_non_null(c->dev->chunks);
	}
	if (n >= 25000) {
		struct core_footprint f;

		/*
		 * and the pending groups with their ring: in a node chunk of 2 MiB
		 * units (one huge page, not a small-page fault per 4 KiB of a heap
		 * block), none on the heap
		 */
		core_footprint(b->dev, &f);
		assert_int_equal(f.group_rings, 0);
		assert_true(f.node_chunks % (2 * MiB) == 0 && f.node_chunks >= f.groups + (n / 10) * 16u);
	}
	operate(a, n);
	operate(b, n);
	operate(c, n);
	expect_same(a, b);
	expect_same(a, c);
	free(s);
	free_libc(b);
	tenv_free(c);   /* every chunk back: tenv_free() checks nothing leaked */
	tenv_free(a);
}

static void test_restore_at_node_boundaries_is_the_device_adds_build(void **state)
{
	/* 25,000: 2,500 pending groups, which come from a node chunk (through the hook: leaks checked) */
	static const uint32_t sizes[] = { 0, 1, 32, 33, 1024, 1025, 3000, 25000 };

	(void)state;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		restore_at(sizes[i]);
}

/*
 * At 100,000 every bulk path is taken: the node chunk, the slot arrays and
 * the 2 MiB hash (mapped), host 1's ring of 10,000 records (1.8 MB) mapped
 * and holding what its 2 MiB units fit; the ring then grows past that,
 * from a mapping to a larger one, with its records in order.
 */
static void test_restore_at_100000_is_the_device_adds_build(void **state)
{
	struct tenv *a, *b;
	struct cxldcd_extent x[1];
	struct core_footprint f;
	uint32_t n = 100000, more;
	uint8_t *s;
	size_t len;

	(void)state;
	cur_n = n;
	a = tenv_new(cfg_n);
	populate(a, n);
	assert_int_equal(core_snapshot(a->dev, &s, &len), 0);
	b = restore_libc(s, len);
	expect_same(a, b);
	/*
	 * many runs: the allocations' keys listed (16 bytes each) and their
	 * merge, one 2 MiB mapping each
	 */
	core_footprint(b->dev, &f);
	assert_int_equal(f.restore_scratch, 2 * BLK);
	assert_non_null(b->dev->chunks);
	assert_int_equal(b->dev->tag_hash_mask + 1, 262144u);
	assert_true((uint64_t)b->dev->tag_cap * 12 >= 1 * MiB);
	assert_int_equal(dc_count(b, 1), n / 10);
	/* the 500 oldest records cleared on both: the ring's head moves, so its growth unwraps it */
	for (int k = 0; k < 2; k++) {
		static struct cxldcd_event ev[500];
		struct tenv *d = k ? b : a;
		uint16_t hd[500];
		uint32_t got;

		core_evlog_get(d->dev, 1, CXLDCD_LOG_DC, 500, ev, &got, NULL);
		assert_int_equal(got, 500);
		for (uint32_t i = 0; i < got; i++)
			hd[i] = ev[i].handle;
		assert_int_equal(core_evlog_clear(d->dev, 1, CXLDCD_LOG_DC, false, hd, got, NULL), 0);
	}
	more = b->dev->owners[1].logs[CXLDCD_LOG_DC].cap - (n / 10 - 500) + 100;
	assert_true(more < 20000);
	/* offers past the ring's capacity: it grows, mapping to mapping */
	for (uint32_t i = 0; i < more; i++) {
		struct tenv *d[2] = { a, b };

		x[0] = (struct cxldcd_extent){ .dpa = (2ull * (n + 100 + i) + 1) * BLK, .len = BLK };
		tag_of(x[0].tag, 2 * n + i + 1);
		for (int k = 0; k < 2; k++)
			if (add_ext(d[k], 1, x, 1))
				fail_msg("offer %u: %s", i, d[k]->diag.text);
		if (i % 1000 == 999) {
			drain(a, CORE_OWNER_FM);
			drain(b, CORE_OWNER_FM);
		}
	}
	assert_int_equal(dc_count(b, 1), n / 10 - 500 + more);
	assert_true(b->dev->owners[1].logs[CXLDCD_LOG_DC].cap >= n / 10 - 500 + more);
	expect_same(a, b);      /* every record, in order (the snapshot holds them all) */
	operate(a, n);
	operate(b, n);
	expect_same(a, b);
	free(s);
	free_libc(b);
	tenv_free(a);
}

/*
 * The same in address order (one run: bench-faces' restart): the trees are
 * built from the allocations themselves, read where the restore made them
 * (the allocation slab's one chunk, in order), with no sort and no list,
 * so the restore takes no scratch, where it took 12 MiB (the tags' totals,
 * and two arrays of 32-byte tree entries), then 2 MiB (the list of the
 * allocations read).  What the device holds is what core_footprint()
 * counts, to the byte where it can be counted: each slab and the tag hash
 * whole 2 MiB units, the groups their size, host 1's 10,000 event records
 * (1.8 MB) one 2 MiB unit (the ring sized for them, not for the 16,384 of
 * a doubling: two units).
 */
static void test_restore_in_address_order_takes_no_sort_scratch(void **state)
{
	struct tenv *a, *b;
	struct core_footprint f;
	uint32_t n = 100000;
	uint8_t *s;
	size_t len;

	(void)state;
	cur_n = n;
	in_order = true;
	a = tenv_new(cfg_n);
	populate(a, n);
	assert_int_equal(core_snapshot(a->dev, &s, &len), 0);
	b = restore_libc(s, len);
	expect_same(a, b);
	core_footprint(b->dev, &f);
	assert_int_equal(f.restore_scratch, 0);
	assert_true(f.allocs >= (n + n / 10) * sizeof(struct alloc) && f.allocs % BLK == 0);
	assert_true(f.holds >= (n + n / 10) * 32ull && f.holds % BLK == 0);
	assert_true(f.tags >= (n + n / 10) * sizeof(struct tag) && f.tags % BLK == 0);
	/* 110,000 allocations of 56 bytes in three 2 MiB units (four at 64), tags of 72 in four (five at 80) */
	assert_int_equal(f.allocs, 3 * BLK);
	assert_int_equal(f.tags, 4 * BLK);
	assert_int_equal(f.tag_hash, 2 * MiB);
	assert_int_equal(f.groups, (n / 10) * (sizeof(struct group) + sizeof(struct hx *)));
	assert_true((n / 10) * sizeof(struct cxldcd_event) > BLK / 2);
	assert_int_equal(f.event_rings, BLK);
	assert_true(f.tag_host_nodes > 0 && f.tag_host_nodes < f.node_chunks);
	operate(a, n);
	operate(b, n);
	in_order = false;
	expect_same(a, b);
	free(s);
	free_libc(b);
	tenv_free(a);
}

/*
 * Snapshot format version 2 (the usual values left out) against version 1,
 * at 100,000 items in both layouts: a version-1 snapshot (what a daemon of
 * session 10 left) still restores, to the device a version-2 one restores
 * to; each gives back the bytes it was made from in its own version; and
 * version 2 is under half the size (bench-faces' restart reads every byte
 * of it).
 */
static void test_version_1_and_2_restore_the_same_device(void **state)
{
	(void)state;
	cur_n = 100000;
	for (int order = 0; order < 2; order++) {
		struct tenv *a, *b1, *b2;
		uint8_t *s1, *s2, *r1, *r2;
		size_t n1, n2, m1, m2;

		in_order = order;
		a = tenv_new(cfg_n);
		populate(a, cur_n);
		assert_int_equal(snapshot_write(a->dev, 1, &s1, &n1), 0);
		assert_int_equal(core_snapshot(a->dev, &s2, &n2), 0);
		assert_int_equal(s1[8], 1);
		assert_int_equal(s2[8], 2);
		print_message("%s: version 1 %zu bytes, version 2 %zu bytes\n", order ? "address order" : "two runs",
			      n1, n2);
		assert_true(n2 < n1 / 2);
		b1 = restore_libc(s1, n1);
		b2 = restore_libc(s2, n2);
		expect_same(a, b1);
		expect_same(a, b2);
		assert_int_equal(snapshot_write(b1->dev, 1, &r1, &m1), 0);
		assert_int_equal(snapshot_write(b2->dev, 1, &r2, &m2), 0);
		assert_int_equal(m1, n1);
		assert_memory_equal(r1, s1, n1);
		assert_int_equal(m2, n1);
		assert_memory_equal(r2, s1, n1);
		free(r1);
		free(r2);
		operate(b1, cur_n);
		operate(b2, cur_n);
		expect_same(b1, b2);
		free(s1);
		free(s2);
		free_libc(b1);
		free_libc(b2);
		tenv_free(a);
	}
	in_order = false;
}

/*
 * A hostile snapshot of that size: an allocation moved onto the one before
 * it (found as the tree is built, after the objects are taken), a count
 * overstated, the bytes cut short; each refused with the snapshot's error,
 * nothing leaked (a device a restore failed is only freed).
 */
static void test_hostile_snapshot_at_scale_is_refused(void **state)
{
	struct tenv *a, *c;
	uint32_t n = 3000;
	uint8_t *s, *t, rec[17];
	size_t len, off;

	(void)state;
	cur_n = n;
	a = tenv_new(cfg_n);
	populate(a, n);
	assert_int_equal(snapshot_write(a->dev, 1, &s, &len), 0);     /* fixed-size records */
	t = malloc(len);
	/* the record of the last accepted allocation (region, dpa, len) moved onto block 0 */
	memcpy(t, s, len);
	put_le(rec, 0, 1);
	put_le(rec + 1, 2ull * (n - 1) * BLK, 8);
	put_le(rec + 9, BLK, 8);
	for (off = 0; off + sizeof(rec) <= len && memcmp(t + off, rec, sizeof(rec)); off++)
		;
	assert_true(off + sizeof(rec) <= len);
	put_le(t + off + 1, 0, 8);
	c = tenv_new(cfg_n);
	assert_int_equal(core_restore(c->dev, t, len, &c->diag), -EINVAL);
	assert_string_equal(c->diag.text, "snapshot: allocation");
	tenv_free(c);
	/* the same in version 2 (shape byte, dpa): that dpa found after a shape byte, moved too */
	free(t);
	free(s);
	assert_int_equal(core_snapshot(a->dev, &s, &len), 0);
	t = malloc(len);
	memcpy(t, s, len);
	put_le(rec, 2ull * (n - 1) * BLK, 8);
	for (off = 1; off + 8 <= len && memcmp(t + off, rec, 8); off++)
		;
	assert_true(off + 8 <= len);
	put_le(t + off, 0, 8);
	c = tenv_new(cfg_n);
	assert_int_equal(core_restore(c->dev, t, len, &c->diag), -EINVAL);
	assert_string_equal(c->diag.text, "snapshot: allocation");
	tenv_free(c);
	for (size_t cut = 1; cut < len; cut += len / 7) {
		c = tenv_new(cfg_n);
		assert_int_equal(core_restore(c->dev, s, len - cut, &c->diag), -EINVAL);
		assert_memory_equal(c->diag.text, "snapshot: ", 10);
		tenv_free(c);
	}
	/* every 4th byte of the allocations' part flipped in turn, a sample: refused or sound */
	for (size_t i = len / 3; i < len / 2; i += 4099) {
		memcpy(t, s, len);
		t[i] ^= 0x41;
		c = tenv_new(cfg_n);
		if (!core_restore(c->dev, t, len, &c->diag))
			assert_invariants(c->dev);
		else
			assert_memory_equal(c->diag.text, "snapshot: ", 10);
		tenv_free(c);
	}
	free(t);
	free(s);
	tenv_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_at_node_boundaries_is_the_device_adds_build),
		cmocka_unit_test(test_restore_at_100000_is_the_device_adds_build),
		cmocka_unit_test(test_restore_in_address_order_takes_no_sort_scratch),
		cmocka_unit_test(test_version_1_and_2_restore_the_same_device),
		cmocka_unit_test(test_hostile_snapshot_at_scale_is_refused),
	};

	return cmocka_run_group_tests_name("restore-bulk", tests, NULL, NULL);
}
