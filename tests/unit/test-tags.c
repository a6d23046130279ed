/* SPDX-License-Identifier: MIT */
/* test-tags.c - sharable tags, enable shared access, FM references, tag status. */
#include <stdlib.h>

#include "common.h"
#include "core/model.h"

static void sharable(struct cxldcd_dev_cfg *c)
{
	c->regions[1].sharable = true;
	c->regions[1].sanitize_on_release = true;
}

static int setup_sh(void **state)
{
	*state = tenv_new(sharable);
	return 0;
}

struct rec {
	int freed, sanitized;
};

static void on_freed(void *o, const struct core_extent_info *x)
{
	((struct rec *)o)->freed++;
	((struct rec *)o)->sanitized += x->sanitize;
}

static const struct core_observer rec_ops = { .capacity_freed = on_freed };

#define R1 (4 * GiB)

/* host 0 accepts tag 7 as two sharable extents (seq 0, 1) in region 1. */
static void shared_tag(struct tenv *e)
{
	struct cxldcd_extent x[2] = { { .dpa = R1 + 8 * MiB, .len = 2 * MiB, .shared_seq = 1 },
				      { .dpa = R1, .len = 4 * MiB, .shared_seq = 0 } };

	tag_set(x[0].tag, 7);
	tag_set(x[1].tag, 7);
	assert_int_equal(add_ext(e, 0, x, 2), 0);
	assert_int_equal(accept_all(e, 0), 0);
}

static void test_sharable_add_requires_tag_and_dense_sequences(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent x[2] = { { .dpa = R1, .len = 2 * MiB }, { .dpa = R1 + 2 * MiB, .len = 2 * MiB } };

	EXPECT_FAIL(e, add_ext(e, 0, x, 1), CXLDCD_RC_INVALID_EXTENT_LIST);
	tag_set(x[0].tag, 7);
	tag_set(x[1].tag, 7);
	x[1].shared_seq = 2;
	EXPECT_FAIL(e, add_ext(e, 0, x, 2), CXLDCD_RC_INVALID_EXTENT_LIST);
	x[1].shared_seq = 0;
	EXPECT_FAIL(e, add_ext(e, 0, x, 2), CXLDCD_RC_INVALID_EXTENT_LIST);
	x[1].shared_seq = 1;
	assert_int_equal(add_ext(e, 0, x, 2), 0);
}

static void test_tag_offsets_follow_sequence_order(void **state)
{
	struct tenv *e = *state;
	struct core_extent_info xi[2];
	uint32_t n;

	shared_tag(e);
	core_extent_list_info(e->dev, 0, 0, 2, xi, &n);
	assert_int_equal(n, 2);
	assert_true(xi[0].ext.dpa == R1 && xi[0].tag_offset == 0 && xi[0].ext.shared_seq == 0);
	assert_true(xi[1].tag_offset == 4 * MiB && xi[1].ext.shared_seq == 1);
	assert_true(xi[0].sharable);
}

static void test_enable_shared_access_offers_same_extents_to_another_host(void **state)
{
	struct tenv *e = *state;
	struct core_add_req req = { .host = 1, .policy = CXLDCD_ADD_ENABLE_SHARED };
	struct core_extent_info a[2], b[2];
	struct core_tag_info ti;
	struct core_counts c;
	uint32_t n;

	shared_tag(e);
	tag_set(req.tag, 8);
	EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_INVALID_INPUT);
	tag_set(req.tag, 7);
	req.host = 0;
	EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_INVALID_INPUT);
	req.host = 1;
	assert_int_equal(core_add(e->dev, &req, NULL, &e->diag), 0);
	assert_int_equal(core_tag_status(e->dev, 1, -1, req.tag), CORE_TAG_PENDING);
	/* Partial acceptance of sharable capacity is refused. */
	{
		struct cxldcd_range r = { R1, 4 * MiB };

		EXPECT_FAIL(e, core_add_response(e->dev, 1, &r, 1, false, &e->diag),
			    CXLDCD_RC_INVALID_EXTENT_LIST);
	}
	assert_int_equal(accept_all(e, 1), 0);
	core_extent_list_info(e->dev, 0, 0, 2, a, &n);
	core_extent_list_info(e->dev, 1, 0, 2, b, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(&a[0].ext, &b[0].ext, sizeof(a[0].ext));
	assert_true(a[1].tag_offset == b[1].tag_offset);
	core_counts_get(e->dev, &c);
	assert_int_equal(c.avail_extents, 65536 - 4); /* shared extents count per host */
	assert_int_equal(c.avail_tags, 4096 - 1);
	assert_int_equal(core_tag_get(e->dev, req.tag, &ti), 0);
	assert_int_equal(ti.accepted_map[0], 3);
	assert_int_equal(ti.nr_extents, 2);
	assert_true(ti.bytes == 6 * MiB);
	assert_invariants(e->dev);
}

static void test_tag_release_per_host_and_fm_reference_keeps_capacity(void **state)
{
	struct tenv *e = *state;
	struct core_add_req add = { .host = 1, .policy = CXLDCD_ADD_ENABLE_SHARED };
	struct core_release_req rel = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED, .forced = true };
	struct core_counts c;
	struct rec r = { 0 };
	uint8_t other[16];

	shared_tag(e);
	tag_set(add.tag, 7);
	tag_set(rel.tag, 7);
	tag_set(other, 9);
	core_observer_add(e->dev, &rec_ops, &r);
	assert_int_equal(core_add(e->dev, &add, NULL, &e->diag), 0);
	assert_int_equal(accept_all(e, 1), 0);
	EXPECT_FAIL(e, core_tag_add_ref(e->dev, other, &e->diag), CXLDCD_RC_INVALID_INPUT);
	EXPECT_FAIL(e, core_tag_remove_ref(e->dev, rel.tag, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(core_tag_add_ref(e->dev, rel.tag, &e->diag), 0);
	assert_int_equal(core_tag_add_ref(e->dev, rel.tag, &e->diag), 0);
	/* Partial release of a sharable allocation is refused. */
	EXPECT_FAIL(e, rel_dc(e, 0, R1, 2 * MiB), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(core_release(e->dev, &rel, &e->diag), 0);
	assert_int_equal(core_tag_status(e->dev, 0, -1, rel.tag), CORE_TAG_RELEASED);
	assert_int_equal(core_tag_status(e->dev, 1, 1, rel.tag), CORE_TAG_COMMITTED);
	assert_int_equal(r.freed, 0);
	rel.host = 1;
	rel.forced = false;
	assert_int_equal(core_release(e->dev, &rel, &e->diag), 0);
	assert_int_equal(core_tag_status(e->dev, 1, -1, rel.tag), CORE_TAG_RELEASE_PENDING);
	{
		/* Sharable capacity leaves per tag: both extents in one Release DC. */
		struct cxldcd_range both[2] = { { R1 + 8 * MiB, 2 * MiB }, { R1, 4 * MiB } };

		assert_int_equal(core_release_dc(e->dev, 1, both, 2, false, &e->diag), 0);
	}
	assert_int_equal(r.freed, 0); /* the FM reference keeps the capacity */
	core_counts_get(e->dev, &c);
	assert_int_equal(c.avail_extents, 65536 - 2);
	assert_int_equal(core_tag_count(e->dev), 1);
	assert_invariants(e->dev);
	/* Pinned capacity cannot be offered again; ESA can re-share it. */
	EXPECT_FAIL(e, add1(e, 0, R1, 2 * MiB, 9), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(core_tag_remove_ref(e->dev, rel.tag, &e->diag), 0);
	assert_int_equal(r.freed, 2);
	assert_int_equal(r.sanitized, 2);
	assert_int_equal(core_tag_count(e->dev), 0);
	core_counts_get(e->dev, &c);
	assert_int_equal(c.avail_extents, 65536);
	assert_int_equal(core_tag_status(e->dev, 1, -1, rel.tag), CORE_TAG_RELEASED);
	assert_int_equal(core_tag_status(e->dev, 0, -1, other), CORE_TAG_NOT_FOUND);
	assert_string_equal(core_tag_state_str(CORE_TAG_NOT_FOUND), "not-found");
	assert_string_equal(core_tag_state_str(CORE_TAG_RELEASE_PENDING), "release-pending");
	assert_invariants(e->dev);
}

/*
 * CXL r3.2 §8.2.10.9.9.4: a Release DC (4803h) that covers only part of the
 * capacity of a sharable tag on the host is an Invalid Extent List, even when
 * each extent it names is whole; nothing changes.
 */
static void test_sharable_release_dc_takes_the_whole_tag(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_range both[2] = { { R1, 4 * MiB }, { R1 + 8 * MiB, 2 * MiB } };

	shared_tag(e);
	EXPECT_FAIL(e, rel_dc(e, 0, R1, 4 * MiB), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(e->diag.reason, CORE_REASON_SHARABLE_PARTIAL);
	EXPECT_FAIL(e, rel_dc(e, 0, R1 + 8 * MiB, 2 * MiB), CXLDCD_RC_INVALID_EXTENT_LIST);
	assert_int_equal(e->diag.reason, CORE_REASON_SHARABLE_PARTIAL);
	assert_int_equal(core_extent_count(e->dev, 0), 2);
	assert_int_equal(core_release_dc(e->dev, 0, both, 2, false, &e->diag), 0);
	assert_int_equal(core_extent_count(e->dev, 0), 0);
	assert_invariants(e->dev);
}

/* §7.6.7.6.6: the same rule for a prescriptive 5605h, as Invalid Input. */
static void test_sharable_prescriptive_release_takes_the_whole_tag(void **state)
{
	struct tenv *e = *state;
	struct cxldcd_extent one = { .dpa = R1 + 8 * MiB, .len = 2 * MiB };
	struct cxldcd_extent both[2] = { { .dpa = R1, .len = 4 * MiB }, { .dpa = R1 + 8 * MiB, .len = 2 * MiB } };
	struct core_release_req rel = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					.nr_extents = 1, .extents = &one };

	shared_tag(e);
	drain(e, 0);
	EXPECT_FAIL(e, core_release(e->dev, &rel, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(e->diag.reason, CORE_REASON_SHARABLE_PARTIAL);
	rel.forced = true;
	EXPECT_FAIL(e, core_release(e->dev, &rel, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(dc_count(e, 0), 0);
	rel.forced = false;
	rel.extents = both;
	rel.nr_extents = 2;
	assert_int_equal(core_release(e->dev, &rel, &e->diag), 0);
	assert_int_equal(dc_count(e, 0), 2);
	assert_invariants(e->dev);
}

static void test_free_policy_in_sharable_region_assigns_sequences(void **state)
{
	struct tenv *e = *state;
	struct core_add_req req = { .host = 0, .policy = CXLDCD_ADD_FREE, .region = 1, .length = 6 * MiB };
	struct cxldcd_extent pe[4];
	uint32_t n;

	EXPECT_FAIL(e, core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(add1(e, 1, R1 + 2 * MiB, 2 * MiB, 0) == 0, false); /* sharable needs a tag */
	tag_set(req.tag, 3);
	{
		struct cxldcd_extent x = { .dpa = R1 + 2 * MiB, .len = 2 * MiB };

		tag_set(x.tag, 4);
		assert_int_equal(add_ext(e, 1, &x, 1), 0);
	}
	assert_int_equal(core_add(e->dev, &req, NULL, &e->diag), 0);
	core_pending_extents(e->dev, 0, 0, 0, 4, pe, &n);
	assert_int_equal(n, 2);
	assert_int_equal(pe[0].shared_seq, 0);
	assert_int_equal(pe[1].shared_seq, 1);
	assert_true(pe[1].dpa == R1 + 4 * MiB && pe[1].len == 4 * MiB);
}

static void test_tag_list_pages_in_creation_order(void **state)
{
	struct tenv *e = *state;
	struct core_tag_info ti[4];
	uint32_t n, gen = core_tag_generation(e->dev);

	assert_int_equal(add1(e, 0, 0, 2 * MiB, 3), 0);
	assert_int_equal(add1(e, 0, 2 * MiB, 2 * MiB, 1), 0);
	assert_int_not_equal(core_tag_generation(e->dev), gen);
	assert_int_equal(core_tag_list(e->dev, 0, 4, ti, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ti[0].tag[15], 3);
	assert_int_equal(ti[0].pending_map[0], 1);
	assert_int_equal(core_tag_list(e->dev, 1, 4, ti, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(core_tag_list(e->dev, 3, 4, ti, &n), CXLDCD_RC_INVALID_INPUT);
}

static void many_tags(struct cxldcd_dev_cfg *c)
{
	c->nr_regions = 1;
	c->regions[0].len = c->regions[0].decode_len = 64 * GiB;   /* 32,768 blocks */
	c->max_tags = 16384;
	c->max_extents = 16384;
	c->evlog_depth = 4096;
}

/* The longest chain of the tag hash (both tables while it grows), and the number of tags in it. */
static uint32_t longest_chain(const struct cxldcd_dev *d, uint32_t *total)
{
	uint32_t most = 0, nb = d->tag_hash_mask + 1, no = d->tag_hash_old ? d->tag_hash_old_mask + 1 : 0;

	*total = 0;
	for (uint32_t b = 0; b < nb + no; b++) {
		const struct tag *t = b < nb ? d->tag_hash[b] : d->tag_hash_old[b - nb];
		uint32_t n = 0;

		for (; t; t = tag_chain_next(d, t))
			n++;
		most = n > most ? n : most;
		*total += n;
	}
	return most;
}

/*
 * The tag hash grows with the tags (it was sized once from max_tags, at
 * most 65,536 buckets): 16 buckets for a new device, at least one per tag
 * after 5,000 one-extent tags, short chains, every tag found; an add that
 * cannot get the bigger table fails and changes nothing.
 */
static void test_tag_hash_grows_with_the_tags(void **state)
{
	struct tenv *e = tenv_new(many_tags);
	struct cxldcd_extent x[100];
	uint32_t total, v = 0;

	(void)state;
	assert_int_equal(e->dev->tag_hash_mask + 1, 16);
	for (uint32_t k = 0; k < 50; k++) {
		for (uint32_t i = 0; i < 100; i++, v++) {
			memset(&x[i], 0, sizeof(x[i]));
			x[i].dpa = (uint64_t)v * 2 * MiB;
			x[i].len = 2 * MiB;
			x[i].tag[0] = 0x7a;
			x[i].tag[14] = (uint8_t)(v >> 8);
			x[i].tag[15] = (uint8_t)v;
		}
		assert_int_equal(add_ext(e, 0, x, 100), 0);
		assert_int_equal(accept_all(e, 0), 0);
		drain(e, 0);
		drain(e, CORE_OWNER_FM);
	}
	assert_int_equal(e->dev->nr_tags, 5000);
	assert_true(e->dev->tag_hash_mask + 1 >= 5000);
	assert_true(longest_chain(e->dev, &total) <= 8);
	assert_int_equal(total, 5000);
	for (uint32_t i = 0; i < 5000; i++) {
		uint8_t id[16] = { 0x7a };

		id[14] = (uint8_t)(i >> 8);
		id[15] = (uint8_t)i;
		assert_non_null(tag_find(e->dev, id));
	}
	assert_invariants(e->dev);

	/* the add that passes a tag per bucket: the new table is its first allocation, and fails */
	for (uint32_t i = 0; i < 100; i++, v++) {
		memset(&x[i], 0, sizeof(x[i]));
		x[i].dpa = (uint64_t)v * 2 * MiB;
		x[i].len = 2 * MiB;
		x[i].tag[0] = 0x7b;
		x[i].tag[15] = (uint8_t)i;
	}
	while (e->dev->nr_tags + 100 <= e->dev->tag_hash_mask + 1) {
		assert_int_equal(add_ext(e, 0, x, 100), 0);
		assert_int_equal(accept_all(e, 0), 0);
		drain(e, 0);
		drain(e, CORE_OWNER_FM);
		for (uint32_t i = 0; i < 100; i++, v++) {
			x[i].dpa = (uint64_t)v * 2 * MiB;
			x[i].tag[14]++;
		}
	}
	{
		uint32_t mask = e->dev->tag_hash_mask;

		e->ta.fail_at = e->ta.nr_allocs + 1;
		EXPECT_FAIL(e, add_ext(e, 0, x, 100), CXLDCD_RC_INTERNAL_ERROR);
		assert_int_equal(e->dev->tag_hash_mask, mask);
		e->ta.fail_at = 0;
		assert_int_equal(add_ext(e, 0, x, 100), 0);
		assert_int_equal(e->dev->tag_hash_mask, 2 * mask + 1);
	}
	assert_invariants(e->dev);
	tenv_free(e);
}

static void grow_id(uint8_t id[16], uint32_t v)
{
	memset(id, 0, 16);
	id[0] = 0x7c;
	id[13] = (uint8_t)(v >> 16);
	id[14] = (uint8_t)(v >> 8);
	id[15] = (uint8_t)v;
}

/* One extent at block `block` with tag v, accepted by host 0. */
static void grow_add(struct tenv *e, uint32_t block, uint32_t v)
{
	struct cxldcd_extent x = { .dpa = (uint64_t)block * 2 * MiB, .len = 2 * MiB };

	grow_id(x.tag, v);
	assert_int_equal(add_ext(e, 0, &x, 1), 0);
	assert_int_equal(accept_all(e, 0), 0);
	drain(e, 0);
	drain(e, CORE_OWNER_FM);
}

/* Is t in the old table (a bucket not moved yet)? */
static bool in_old_table(const struct cxldcd_dev *d, const struct tag *t)
{
	for (uint32_t b = d->tag_hash_moved; d->tag_hash_old && b <= d->tag_hash_old_mask; b++)
		for (const struct tag *u = d->tag_hash_old[b]; u; u = tag_chain_next(d, u))
			if (u == t)
				return true;
	return false;
}

/* Every tag of ref[0..n) (0: released) found, and the pages of 16 list them in creation order. */
static void grow_expect(const struct cxldcd_dev *d, const uint32_t *ref, uint32_t n)
{
	static struct core_tag_info ti[16];
	uint32_t at = 0, got;
	uint8_t id[16];

	for (uint32_t i = 0; i < n; i++) {
		grow_id(id, ref[i]);
		if (ref[i])
			assert_non_null(tag_find(d, id));
		else
			assert_null(tag_find(d, id));
	}
	for (uint32_t i = 0; i < n; i += 16) {
		assert_int_equal(core_tag_list(d, at, 16, ti, &got), CXLDCD_RC_SUCCESS);
		for (uint32_t j = 0; j < got; j++) {
			uint32_t idx;

			while (!ref[i])
				i++;
			grow_id(id, ref[i]);
			assert_memory_equal(ti[j].tag, id, 16);
			assert_int_equal(core_tag_index(d, id, &idx), 0);
			assert_int_equal(idx, at + j);
			i++;
		}
		at += got;
		i -= 16;
		if (got < 16)
			break;
	}
	assert_int_equal(at, core_tag_count(d));
	assert_invariants(d);
}

/*
 * The tag hash grows a few buckets at a time: the add that passes 2,048
 * tags allocates 4,096 buckets and moves 4 of the 2,048 old ones, each
 * later link or unlink 4 more; meanwhile every tag is found in whichever
 * table holds it, a release takes a tag out of either, pages list the tags
 * in creation order, and a snapshot taken mid-way restores the same tags
 * (into a table grown at once) and saves the same bytes.  The move ends
 * well before the new table holds a tag per bucket.
 */
static void test_tag_hash_grows_a_few_buckets_at_a_time(void **state)
{
	static uint32_t ref[4096];
	struct tenv *e = tenv_new(many_tags), *r;
	struct cxldcd_diag diag = { 0 };
	struct tag *in_old = NULL, *in_new = NULL;
	uint32_t n = 0, moved;
	uint8_t *s1, *s2;
	size_t l1, l2;

	(void)state;
	while (!e->dev->tag_hash_old) {
		assert_true(n < 4000);
		ref[n] = n + 1;
		grow_add(e, n, n + 1);
		n++;
	}
	assert_int_equal(n, 2049);
	assert_int_equal(e->dev->tag_hash_mask + 1, 4096);
	assert_int_equal(e->dev->tag_hash_old_mask + 1, 2048);
	assert_int_equal(e->dev->tag_hash_moved, 4);
	grow_expect(e->dev, ref, n);

	/* a tag of each table, released: each unlink moves 4 buckets */
	for (uint32_t i = 0; i < n && (!in_old || !in_new); i++) {
		uint8_t id[16];
		struct tag *t;

		grow_id(id, ref[i]);
		t = tag_find(e->dev, id);
		if (in_old_table(e->dev, t) ? !in_old : !in_new) {
			moved = e->dev->tag_hash_moved;
			*(in_old_table(e->dev, t) ? &in_old : &in_new) = t;
			assert_int_equal(rel_dc(e, 0, (uint64_t)i * 2 * MiB, 2 * MiB), 0);
			assert_int_equal(e->dev->tag_hash_moved, moved + 4);
			ref[i] = 0;
		}
	}
	assert_non_null(in_old);
	assert_non_null(in_new);
	grow_expect(e->dev, ref, n);

	/* a link adds 4 more */
	moved = e->dev->tag_hash_moved;
	ref[n] = n + 1;
	grow_add(e, n, n + 1);
	n++;
	assert_int_equal(e->dev->tag_hash_moved, moved + 4);
	grow_expect(e->dev, ref, n);

	/* the check sees a tag in a bucket of the old table that has moved */
	{
		struct cxldcd_dev *d = e->dev;
		struct tag **pp = NULL, *t;
		char msg[200];

		for (uint32_t b = 0; b <= d->tag_hash_mask && !pp; b++)
			if (d->tag_hash[b])
				pp = &d->tag_hash[b];
		t = *pp;
		*pp = tag_chain_next(d, t);
		t->hnext = tag_link_to(d->tag_hash_old[0]);
		d->tag_hash_old[0] = t;
		assert_int_not_equal(core_check_invariants(d, msg, sizeof(msg)), 0);
		assert_non_null(strstr(msg, "another bucket"));
		d->tag_hash_old[0] = tag_chain_next(d, t);
		t->hnext = tag_link_to(*pp);
		*pp = t;
		assert_int_equal(core_check_invariants(d, msg, sizeof(msg)), 0);
	}

	/* a snapshot mid-way: the same tags restored, in the same order, the same bytes saved */
	assert_non_null(e->dev->tag_hash_old);
	assert_int_equal(core_snapshot(e->dev, &s1, &l1), 0);
	r = tenv_new(many_tags);
	if (core_restore(r->dev, s1, l1, &diag))
		fail_msg("restore: %s", diag.text);
	assert_null(r->dev->tag_hash_old);
	grow_expect(r->dev, ref, n);
	assert_int_equal(core_snapshot(r->dev, &s2, &l2), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(s1, s2, l1);
	free(s1);
	free(s2);
	tenv_free(r);

	/* the move ends after 2,048 / 4 links and unlinks, the new table a third full */
	while (e->dev->tag_hash_old) {
		ref[n] = n + 1;
		grow_add(e, n, n + 1);
		n++;
	}
	assert_int_equal(n, 2049 + 2048 / 4 - 1 - 2); /* 512 changes: the add that grew it, 2 releases */
	assert_int_equal(e->dev->tag_hash_mask + 1, 4096);
	grow_expect(e->dev, ref, n);
	tenv_free(e);
}

/*
 * The hash chains link tags by creation-order slot (struct tag's hnext): a
 * compaction of the slots while the hash grows moves every tag past a hole
 * one slot down, and the links follow in both tables (table_renumber() in
 * tag.c): every tag is still found where it is, and the check finds the
 * hash sound.
 */
static void test_slots_compact_while_the_hash_grows(void **state)
{
	static uint32_t ref[4096];
	struct tenv *e = tenv_new(many_tags);
	uint32_t n = 0;

	(void)state;
	while (!e->dev->tag_hash_old) {
		ref[n] = n + 1;
		grow_add(e, n, n + 1);
		n++;
	}
	assert_int_equal(rel_dc(e, 0, 0, 2 * MiB), 0);     /* the tag of slot 0: a hole below all */
	ref[0] = 0;
	assert_non_null(e->dev->tag_hash_old);
	assert_true(e->dev->nr_tags < e->dev->tag_used);
	/* more than the slots left: new arrays, the tags compacted into them */
	assert_int_equal(tag_reserve(e->dev, e->dev->tag_cap - e->dev->tag_used + 1), 0);
	assert_int_equal(e->dev->tag_used, e->dev->nr_tags);
	assert_non_null(e->dev->tag_hash_old);
	assert_true(e->dev->tag_hash_moved < e->dev->tag_hash_old_mask / 2);
	grow_expect(e->dev, ref, n);
	tenv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_hash_grows_with_the_tags),
		cmocka_unit_test(test_tag_hash_grows_a_few_buckets_at_a_time),
		cmocka_unit_test(test_slots_compact_while_the_hash_grows),
		cmocka_unit_test_setup_teardown(test_sharable_add_requires_tag_and_dense_sequences, setup_sh, teardown),
		cmocka_unit_test_setup_teardown(test_tag_offsets_follow_sequence_order, setup_sh, teardown),
		cmocka_unit_test_setup_teardown(test_enable_shared_access_offers_same_extents_to_another_host, setup_sh, teardown),
		cmocka_unit_test_setup_teardown(test_tag_release_per_host_and_fm_reference_keeps_capacity, setup_sh, teardown),
		cmocka_unit_test_setup_teardown(test_sharable_release_dc_takes_the_whole_tag, setup_sh, teardown),
		cmocka_unit_test_setup_teardown(test_sharable_prescriptive_release_takes_the_whole_tag, setup_sh, teardown),
		cmocka_unit_test_setup_teardown(test_free_policy_in_sharable_region_assigns_sequences, setup_sh, teardown),
		T(test_tag_list_pages_in_creation_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
