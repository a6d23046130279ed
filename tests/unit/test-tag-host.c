/* SPDX-License-Identifier: MIT */
/*
 * test-tag-host.c - the per-host index of held tags (src/core/tag-host.c)
 * behind core_tag_list_host(): random adds (several new tags at once,
 * more extents of a held tag, sharable tags offered to more hosts), accepts,
 * rejects, host and FM releases, through growth and shrinkage that compact
 * the tag slots, against a brute-force oracle (every live tag from
 * core_tag_list(), kept when its pending or accepted map has the host).
 * Also the index after a snapshot is restored, adds that grow it with an
 * allocation failing (nothing changes), the memory bound (at most
 * 16 bytes per (host, tag) pair, none for a host that holds nothing) and
 * the argument checks.
 */
#include <stdlib.h>

#include "common.h"
#include "core/model.h"

#define R1 (4 * GiB)        /* region 1: sharable */
#define NB 2048u            /* 2 MiB blocks per region */
#define NH 4u
#define MAXT 4096u

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((rng >> 33) % n);
}

static void cfg4(struct cxldcd_dev_cfg *c)
{
	c->nr_hosts = NH;
	c->regions[1].sharable = true;
	c->evlog_depth = 65535;
	c->max_tags = MAXT;
	c->max_extents = 2 * NB * NH;
}

static uint32_t next_tag;

static void new_tag(uint8_t tag[16])
{
	uint32_t v = ++next_tag;

	memset(tag, 0, 16);
	tag[0] = 0x7a;
	tag[13] = (uint8_t)(v >> 16);
	tag[14] = (uint8_t)(v >> 8);
	tag[15] = (uint8_t)v;
}

static bool holds(const struct core_tag_info *t, uint16_t h)
{
	return ((t->accepted_map[h / 8] | t->pending_map[h / 8]) >> (h % 8)) & 1;
}

/* The oracle: host h's tags, from the full list. */
static uint32_t oracle(struct tenv *e, uint16_t h, struct core_tag_info *out)
{
	static struct core_tag_info all[MAXT];
	uint32_t n, k = 0;

	assert_int_equal(core_tag_list(e->dev, 0, MAXT, all, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, core_tag_count(e->dev));
	for (uint32_t i = 0; i < n; i++)
		if (holds(&all[i], h))
			out[k++] = all[i];
	return k;
}

/* A random page of host h, and the whole list in pages of max, against the oracle. */
static void check_host(struct tenv *e, uint16_t h, bool full)
{
	static struct core_tag_info want[MAXT], got[MAXT];
	uint32_t nw = oracle(e, h, want), start = rnd(nw + 1), max = 1 + rnd(40), n;

	assert_int_equal(core_tag_count_host(e->dev, h), nw);
	assert_int_equal(core_tag_list_host(e->dev, h, start, max, got, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, start + max <= nw ? max : nw - start);
	for (uint32_t i = 0; i < n; i++)
		assert_memory_equal(&got[i], &want[start + i], sizeof(got[i]));
	if (!full)
		return;
	for (uint32_t at = 0; at < nw; at += n) {
		assert_int_equal(core_tag_list_host(e->dev, h, at, max, got, &n), CXLDCD_RC_SUCCESS);
		assert_true(n > 0);
		for (uint32_t i = 0; i < n; i++)
			assert_memory_equal(&got[i], &want[at + i], sizeof(got[i]));
	}
	assert_int_equal(core_tag_list_host(e->dev, h, nw + 1, 1, got, &n), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(n, 0);
}

/* ------------------------------------------------------------ random operations */

static bool used[2][NB];

static uint64_t free_block(uint32_t r)
{
	uint32_t b = rnd(NB);

	for (uint32_t k = 0; k < NB && used[r][b]; k++)
		b = (b + 1) % NB;
	return used[r][b] ? UINT64_MAX : (r ? R1 : 0) + (uint64_t)b * 2 * MiB;
}

/* Mark the blocks in use from the model itself (releases free them behind our back). */
static void resync(struct tenv *e)
{
	static struct cxldcd_extent x[2 * NB];

	memset(used, 0, sizeof(used));
	for (uint16_t h = 0; h < NH; h++) {
		uint32_t n = 0, ng = core_pending_count(e->dev, h);

		assert_int_equal(core_extent_list(e->dev, h, 0, 2 * NB, x, &n), CXLDCD_RC_SUCCESS);
		for (uint32_t g = 0; g <= ng; g++) {
			for (uint32_t i = 0; i < n; i++) {
				uint32_t r = x[i].dpa >= R1;

				for (uint64_t d = x[i].dpa; d < x[i].dpa + x[i].len; d += 2 * MiB)
					used[r][(d - (r ? R1 : 0)) / (2 * MiB)] = true;
			}
			n = 0;
			if (g < ng)
				assert_int_equal(core_pending_extents(e->dev, h, g, 0, 2 * NB, x, &n), 0);
		}
	}
}

/* 1..4 extents, each with a new tag, in one request (the index takes them at its tail). */
static void op_add_new(struct tenv *e)
{
	struct cxldcd_extent x[4] = { 0 };
	uint32_t n = 1 + rnd(4), r = rnd(3) == 0;
	uint16_t h = (uint16_t)rnd(NH);

	for (uint32_t i = 0; i < n; i++) {
		x[i].dpa = free_block(r);
		if (x[i].dpa == UINT64_MAX)
			return;
		used[r][(x[i].dpa - (r ? R1 : 0)) / (2 * MiB)] = true;
		x[i].len = 2 * MiB;
		x[i].shared_seq = r && e->cfg.seq_one_based;
		new_tag(x[i].tag);
	}
	if (add_ext(e, h, x, n))
		resync(e);
}

/* A live tag picked at random, or false. */
static bool some_tag(struct tenv *e, struct core_tag_info *t)
{
	uint32_t n, c = core_tag_count(e->dev);

	return c && !core_tag_list(e->dev, rnd(c), 1, t, &n) && n == 1;
}

static int16_t some_holder(const struct core_tag_info *t, bool want)
{
	uint16_t h0 = (uint16_t)rnd(NH);

	for (uint16_t k = 0; k < NH; k++) {
		uint16_t h = (uint16_t)((h0 + k) % NH);

		if (holds(t, h) == want)
			return (int16_t)h;
	}
	return -1;
}

/* Another extent of a held non-sharable tag, to its holder; a sharable one to one more host. */
static void op_add_more(struct tenv *e)
{
	struct core_tag_info t;
	struct cxldcd_extent x = { .len = 2 * MiB };
	int16_t h;

	if (!some_tag(e, &t))
		return;
	if (t.sharable) {
		struct core_add_req req = { .policy = CXLDCD_ADD_ENABLE_SHARED };

		h = some_holder(&t, false);
		if (h < 0)
			return;
		req.host = (uint16_t)h;
		memcpy(req.tag, t.tag, 16);
		assert_int_equal(core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_SUCCESS);
		return;
	}
	h = some_holder(&t, true);
	x.dpa = free_block(0);
	if (h < 0 || x.dpa == UINT64_MAX)
		return;
	used[0][x.dpa / (2 * MiB)] = true;
	memcpy(x.tag, t.tag, 16);
	assert_int_equal(add_ext(e, (uint16_t)h, &x, 1), CXLDCD_RC_SUCCESS);
}

/* Release every extent of a tag on one of its hosts: forced by the FM, or by the host. */
static void op_release(struct tenv *e)
{
	struct core_tag_info t;
	struct core_release_req req = { .policy = CXLDCD_RELEASE_TAG_BASED, .forced = true };
	int16_t h;

	if (!some_tag(e, &t) || (h = some_holder(&t, true)) < 0)
		return;
	req.host = (uint16_t)h;
	memcpy(req.tag, t.tag, 16);
	core_release(e->dev, &req, &e->diag); /* refused while pending: fine */
	resync(e);
}

static void op_host_release(struct tenv *e)
{
	uint16_t h = (uint16_t)rnd(NH);
	uint32_t c = core_extent_count(e->dev, h), n;
	struct cxldcd_extent x;

	if (!c || core_extent_list(e->dev, h, rnd(c), 1, &x, &n) || n != 1)
		return;
	assert_int_equal(rel_dc(e, h, x.dpa, x.len), CXLDCD_RC_SUCCESS);
	resync(e);
}

static void op_answer(struct tenv *e)
{
	uint16_t h = (uint16_t)rnd(NH);

	struct core_group_info gi;

	if (!core_pending_count(e->dev, h))
		return;
	core_pending_get(e->dev, h, 0, &gi);
	if (rnd(4) && !gi.dead) /* a dead group (forced release) can only be rejected */
		assert_int_equal(accept_all(e, h), CXLDCD_RC_SUCCESS);
	else
		assert_int_equal(reject(e, h), CXLDCD_RC_SUCCESS);
	resync(e);
}

static void test_host_pages_agree_with_oracle(void **state)
{
	struct tenv *e = tenv_new(cfg4);
	bool grow = true;

	(void)state;
	rng = 7;
	next_tag = 0;
	memset(used, 0, sizeof(used));
	/* grow to 1500 tags, shrink to 20 (the slots compact), twice */
	for (uint32_t step = 0, cycles = 0; cycles < 4 && step < 40000; step++) {
		uint32_t c = core_tag_count(e->dev), p = rnd(100);

		if ((grow && c >= 1500) || (!grow && c <= 20)) {
			grow = !grow;
			cycles++;
		}
		if (p < (grow ? 40u : 3u))
			op_add_new(e);
		else if (p < (grow ? 55u : 5u))
			op_add_more(e);
		else if (p < (grow ? 70u : 30u))
			op_answer(e);
		else if (p < (grow ? 75u : 80u))
			op_release(e);
		else
			op_host_release(e);
		if (step % 8 == 0)
			for (uint16_t h = 0; h < NH; h++)
				drain(e, h);
		check_host(e, (uint16_t)rnd(NH), step % 250 == 0);
		if (step % 100 == 0)
			assert_invariants(e->dev);
	}
	for (uint16_t h = 0; h < NH; h++)
		check_host(e, h, true);
	assert_invariants(e->dev);
	tenv_free(e);
}

/* A snapshot restored: the index is rebuilt through the same holds, every host's list equal. */
static void test_restore_rebuilds_the_index(void **state)
{
	static struct core_tag_info want[MAXT], got[MAXT];
	struct tenv *e = tenv_new(cfg4), *f = tenv_new(cfg4);
	uint8_t *snap;
	size_t len;
	uint32_t nw, ng;

	(void)state;
	rng = 11;
	next_tag = 0;
	memset(used, 0, sizeof(used));
	for (uint32_t step = 0; step < 3000; step++) {
		uint32_t p = rnd(100);

		if (p < 45)
			op_add_new(e);
		else if (p < 60)
			op_add_more(e);
		else if (p < 80)
			op_answer(e);
		else if (p < 85)
			op_release(e);
		else
			op_host_release(e);
		if (step % 8 == 0)
			for (uint16_t h = 0; h < NH; h++)
				drain(e, h);
	}
	assert_true(core_tag_count(e->dev) > 500);
	assert_int_equal(core_snapshot(e->dev, &snap, &len), 0);
	assert_int_equal(core_restore(f->dev, snap, len, &f->diag), 0);
	free(snap);
	assert_invariants(f->dev);
	for (uint16_t h = 0; h < NH; h++) {
		assert_int_equal(core_tag_list_host(e->dev, h, 0, MAXT, want, &nw), CXLDCD_RC_SUCCESS);
		assert_int_equal(core_tag_list_host(f->dev, h, 0, MAXT, got, &ng), CXLDCD_RC_SUCCESS);
		assert_int_equal(ng, nw);
		assert_true(nw > 50);
		assert_memory_equal(got, want, sizeof(got[0]) * nw);
	}
	tenv_free(e);
	tenv_free(f);
}

/*
 * Tags added in creation order keep the last leaf full and start a new one
 * (and so on up): 211 = 7 * 30 + 1 tags leave a last leaf of one slot under
 * a last internal node of one child.  Releasing from the end, then from
 * everywhere, mends those nodes.
 */
static void test_last_nodes_may_be_nearly_empty(void **state)
{
	struct tenv *e = tenv_new(cfg4);
	struct cxldcd_extent x;
	uint32_t left = 211;
	bool gone[211] = { 0 };

	(void)state;
	next_tag = 0;
	for (uint32_t i = 0; i < 211; i++) {
		x = (struct cxldcd_extent){ .dpa = (uint64_t)i * 2 * MiB, .len = 2 * MiB };
		new_tag(x.tag);
		assert_int_equal(add_ext(e, 0, &x, 1), CXLDCD_RC_SUCCESS);
		assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
	}
	assert_invariants(e->dev);
	assert_int_equal(tag_host_bytes(e->dev), (8 + 2 + 1) * 128); /* 8 leaves, 2 + 1 above */
	check_host(e, 0, true);
	rng = 5;
	for (uint32_t k = 0; k < 200; k++) {
		uint32_t i = k < 40 ? 210 - k : rnd(211);

		while (gone[i])
			i = (i + 1) % 211;
		assert_int_equal(rel_dc(e, 0, (uint64_t)i * 2 * MiB, 2 * MiB), CXLDCD_RC_SUCCESS);
		gone[i] = true;
		left--;
		assert_invariants(e->dev);
		assert_int_equal(core_tag_count_host(e->dev, 0), left);
		check_host(e, 0, k % 20 == 0);
	}
	tenv_free(e);
}

/* ------------------------------------------------------------ out of memory */

/*
 * Host 0 holds 600 tags (an index three levels deep), host 1 every other
 * one of 60 sharable tags held by host 2: room for the index to split.
 */
static struct tenv *populated(void)
{
	struct tenv *e = tenv_new(cfg4);
	struct cxldcd_extent x[60];

	next_tag = 0;
	for (uint32_t r = 0; r < 10; r++) {
		for (uint32_t i = 0; i < 60; i++) {
			x[i] = (struct cxldcd_extent){ .dpa = (uint64_t)(r * 60 + i) * 2 * MiB, .len = 2 * MiB };
			new_tag(x[i].tag);
		}
		assert_int_equal(add_ext(e, 0, x, 60), CXLDCD_RC_SUCCESS);
	}
	for (uint32_t i = 0; i < 60; i++) {
		x[i] = (struct cxldcd_extent){ .dpa = R1 + (uint64_t)i * 2 * MiB, .len = 2 * MiB,
					       .shared_seq = e->cfg.seq_one_based };
		new_tag(x[i].tag);
		assert_int_equal(add_ext(e, 2, &x[i], 1), CXLDCD_RC_SUCCESS);
		if (i % 2) {
			struct core_add_req req = { .host = 1, .policy = CXLDCD_ADD_ENABLE_SHARED };

			memcpy(req.tag, x[i].tag, 16);
			assert_int_equal(core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_SUCCESS);
		}
	}
	drain(e, 0);
	drain(e, 1);
	drain(e, 2);
	return e;
}

/* 40 new tags on host 0 in one request: the index grows at its tail. */
static enum cxldcd_rc op_add_40(struct tenv *e)
{
	struct cxldcd_extent x[40];
	uint32_t save = next_tag;

	next_tag = 10000;
	for (uint32_t i = 0; i < 40; i++) {
		x[i] = (struct cxldcd_extent){ .dpa = (uint64_t)(1000 + i) * 2 * MiB, .len = 2 * MiB };
		new_tag(x[i].tag);
	}
	next_tag = save;
	return add_ext(e, 0, x, 40);
}

/* Sharable tag 600 + 30 (created in the middle of host 1's) offered to host 1. */
static enum cxldcd_rc op_share_middle(struct tenv *e)
{
	struct core_add_req req = { .host = 1, .policy = CXLDCD_ADD_ENABLE_SHARED };
	uint32_t save = next_tag;

	next_tag = 600 + 30;
	new_tag(req.tag);
	next_tag = save;
	return core_add(e->dev, &req, NULL, &e->diag);
}

static void sweep(enum cxldcd_rc (*op)(struct tenv *e))
{
	for (uint64_t n = 1;; n++) {
		struct tenv *e = populated();
		uint64_t fp = fingerprint(e->dev);
		uint32_t before[NH];
		enum cxldcd_rc rc;

		for (uint16_t h = 0; h < NH; h++)
			before[h] = core_tag_count_host(e->dev, h);
		e->ta.fail_at = e->ta.nr_allocs + n;
		rc = op(e);
		e->ta.fail_at = 0;
		assert_invariants(e->dev);
		if (rc == CXLDCD_RC_SUCCESS) {
			assert_true(core_tag_count_host(e->dev, 0) + core_tag_count_host(e->dev, 1) ==
				    before[0] + before[1] + 1 || core_tag_count_host(e->dev, 0) == before[0] + 40);
			tenv_free(e);
			return;
		}
		assert_int_equal(rc, CXLDCD_RC_INTERNAL_ERROR);
		assert_true(fingerprint(e->dev) == fp);
		for (uint16_t h = 0; h < NH; h++)
			assert_int_equal(core_tag_count_host(e->dev, h), before[h]);
		assert_int_equal(op(e), CXLDCD_RC_SUCCESS);
		assert_invariants(e->dev);
		tenv_free(e);
	}
}

static void test_index_growth_out_of_memory_changes_nothing(void **state)
{
	(void)state;
	sweep(op_add_40);
	sweep(op_share_middle);
}

/* ------------------------------------------------------------ memory */

static size_t pairs(struct tenv *e)
{
	size_t n = 0;

	for (uint16_t h = 0; h < NH; h++)
		n += core_tag_count_host(e->dev, h);
	return n;
}

static void test_index_costs_at_most_16_bytes_per_pair(void **state)
{
	struct tenv *e = tenv_new(cfg4);
	struct cxldcd_extent x[64];
	uint32_t b = 0;

	(void)state;
	next_tag = 0;
	assert_int_equal(tag_host_bytes(e->dev), 0); /* nobody holds anything: no node */
	/* host 0: 1,920 non-sharable tags, 64 new ones per request; hosts 1-3 nothing */
	for (uint32_t r = 0; r < 30; r++) {
		for (uint32_t i = 0; i < 64; i++, b++) {
			x[i] = (struct cxldcd_extent){ .dpa = (uint64_t)b * 2 * MiB, .len = 2 * MiB };
			new_tag(x[i].tag);
		}
		assert_int_equal(add_ext(e, 0, x, 64), CXLDCD_RC_SUCCESS);
	}
	assert_int_equal(pairs(e), 1920);
	assert_true(tag_host_bytes(e->dev) <= 16 * pairs(e));
	/* sharable tags on hosts 0 and 2: two pairs each */
	for (uint32_t i = 0; i < 1000; i++) {
		struct core_add_req req = { .host = 2, .policy = CXLDCD_ADD_ENABLE_SHARED };
		struct cxldcd_extent s = { .dpa = R1 + (uint64_t)i * 2 * MiB, .len = 2 * MiB,
					   .shared_seq = e->cfg.seq_one_based };

		new_tag(s.tag);
		assert_int_equal(add_ext(e, 0, &s, 1), CXLDCD_RC_SUCCESS);
		memcpy(req.tag, s.tag, 16);
		assert_int_equal(core_add(e->dev, &req, NULL, &e->diag), CXLDCD_RC_SUCCESS);
		if (i % 100 == 0) {
			drain(e, 0);
			drain(e, 2);
		}
	}
	assert_int_equal(pairs(e), 3920);
	assert_int_equal(core_tag_count_host(e->dev, 1), 0);
	assert_true(tag_host_bytes(e->dev) <= 16 * pairs(e));
	/* host 0 accepts its tags, then releases three in four at random: merges keep nodes half full */
	for (uint32_t g = core_pending_count(e->dev, 0); g; g--)
		assert_int_equal(accept_all(e, 0), CXLDCD_RC_SUCCESS);
	rng = 3;
	for (uint32_t k = 0; k < 1440; k++) {
		uint32_t i = rnd(1920);

		while (!x[0].len || core_tag_status(e->dev, 0, 0, x[0].tag) != CORE_TAG_COMMITTED) {
			i = (i + 1) % 1920;
			x[0] = (struct cxldcd_extent){ .dpa = (uint64_t)i * 2 * MiB, .len = 2 * MiB };
			next_tag = i;
			new_tag(x[0].tag);
		}
		assert_int_equal(rel_dc(e, 0, x[0].dpa, x[0].len), CXLDCD_RC_SUCCESS);
		x[0].len = 0;
		if (k % 200 == 0)
			assert_invariants(e->dev);
	}
	assert_int_equal(pairs(e), 3920 - 1440);
	assert_true(tag_host_bytes(e->dev) <= 16 * pairs(e));
	print_message("tag index: %zu bytes for %zu (host, tag) pairs\n", tag_host_bytes(e->dev), pairs(e));
	assert_invariants(e->dev);
	tenv_free(e);
}

static void test_list_host_checks_its_arguments(void **state)
{
	struct tenv *e = tenv_new(cfg4);
	struct core_tag_info t[2];
	uint32_t n = 9;

	(void)state;
	assert_int_equal(add1(e, 1, 0, 2 * MiB, 5), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_tag_list_host(e->dev, NH, 0, 1, t, &n), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(n, 0);
	assert_int_equal(core_tag_count_host(e->dev, NH), 0);
	assert_int_equal(core_tag_list_host(e->dev, 0, 1, 1, t, &n), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(core_tag_list_host(e->dev, 0, 0, 1, t, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, 0);
	assert_int_equal(core_tag_list_host(e->dev, 1, 0, 0, t, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, 0);
	assert_int_equal(core_tag_list_host(e->dev, 1, 0, 2, t, &n), CXLDCD_RC_SUCCESS);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].tag[15], 5);
	assert_int_equal(t[0].pending_map[0], 2);
	/* accepted, then released: the host holds nothing again */
	assert_int_equal(accept_all(e, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_tag_count_host(e->dev, 1), 1);
	assert_int_equal(rel_dc(e, 1, 0, 2 * MiB), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_tag_count_host(e->dev, 1), 0);
	assert_int_equal(tag_host_bytes(e->dev), 0);
	tenv_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_pages_agree_with_oracle),
		cmocka_unit_test(test_restore_rebuilds_the_index),
		cmocka_unit_test(test_last_nodes_may_be_nearly_empty),
		cmocka_unit_test(test_index_growth_out_of_memory_changes_nothing),
		cmocka_unit_test(test_index_costs_at_most_16_bytes_per_pair),
		cmocka_unit_test(test_list_host_checks_its_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
