/* SPDX-License-Identifier: MIT */
/*
 * test-snapshot.c - core_snapshot()/core_restore() (src/core/snapshot.c).
 *
 * Long random runs (fixed seeds) of every mutating operation: adds (free,
 * prescriptive, shared, tagged and not), answers with and without More
 * staging, host releases, FM releases (forced, sanitizing), references,
 * Clear Event Records, interrupt policy, region configuration, ticks,
 * injected records until logs overflow.  At random points device A is
 * snapshotted and restored into a new device B; from then on every
 * operation runs on both, with the same return code, and the snapshots of
 * A and B must stay byte-identical ("restore + the rest" gives exactly the
 * state "everything" gives).  A damaged snapshot is refused or restores a
 * consistent device, never crashes.  Each snapshot compared is also
 * streamed (core_snapshot_write(), pieces of 1 byte to 1 MiB) and must give
 * the same bytes, as many as core_snapshot_write() says it gave.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define BLK (2 * MiB)
#define NTAGS 6

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return n ? (uint32_t)((rng >> 33) % n) : 0;
}

static void cfg_of(struct cxldcd_dev_cfg *c)
{
	core_cfg_default(c);
	c->nr_regions = 2;
	c->regions[0].len = 64 * BLK;
	c->regions[1].len = 64 * BLK;
	c->regions[1].base = 0;          /* computed */
	c->regions[1].sanitize_on_release = true;
	c->regions[0].sor_configurable = true;
	c->regions[1].sharable = true;
	c->nr_hosts = 3;
	c->max_extents = 400;
	c->max_tags = 32;
	c->evlog_depth = 12;
	c->pending_timeout_ms = 50;
}

static struct cxldcd_dev *new_dev(void)
{
	struct cxldcd_dev_cfg c;
	struct cxldcd_dev *d = NULL;
	struct cxldcd_diag diag = { 0 };

	cfg_of(&c);
	if (core_dev_new(&c, &d, &diag))
		fail_msg("core_dev_new: %s", diag.text);
	return d;
}

static void tag_of(uint32_t i, uint8_t t[CXLDCD_TAG_SIZE])
{
	memset(t, 0, CXLDCD_TAG_SIZE);
	t[0] = 0xab;
	t[15] = (uint8_t)(i + 1);
}

/* One operation, chosen from A's state; its parameters are fixed before it runs. */
struct op {
	int kind;
	uint16_t host;
	struct core_add_req add;
	struct cxldcd_extent ext[4];
	struct core_release_req rel;
	struct cxldcd_range r[4];
	uint32_t n;
	bool more, flag;
	uint8_t tag[CXLDCD_TAG_SIZE];
	uint16_t handles[4];
	uint8_t log, irq[CXLDCD_NR_LOGS];
	uint64_t t, bs;
	struct cxldcd_event ev;
};

static void pick(struct cxldcd_dev *a, struct op *o, uint64_t now)
{
	const struct cxldcd_dev_cfg *c = core_dev_cfg(a);
	struct core_extent_info acc[64];
	uint32_t nacc = 0;

	memset(o, 0, sizeof(*o));
	o->kind = (int)rnd(12);
	o->host = (uint16_t)rnd(c->nr_hosts);
	o->t = now;
	switch (o->kind) {
	case 0:
	case 1: /* add */
		o->add.host = o->host;
		o->add.region = (uint8_t)rnd(2);
		tag_of(rnd(NTAGS), o->add.tag);
		if (rnd(4) == 0)
			memset(o->add.tag, 0, CXLDCD_TAG_SIZE);
		switch (rnd(3)) {
		case 0:
			o->add.policy = CXLDCD_ADD_FREE;
			o->add.length = (1 + rnd(3)) * BLK;
			break;
		case 1:
			o->add.policy = CXLDCD_ADD_PRESCRIPTIVE;
			o->n = 1 + rnd(3);
			for (uint32_t i = 0; i < o->n; i++) {
				struct core_region_info ri;

				core_region_get(a, (uint8_t)rnd(2), &ri);
				o->ext[i].dpa = ri.base + rnd(60) * BLK;
				o->ext[i].len = (1 + rnd(2)) * BLK;
				tag_of(rnd(NTAGS), o->ext[i].tag);
				o->ext[i].shared_seq = 0;
			}
			o->add.nr_extents = o->n;
			break;
		default:
			o->add.policy = CXLDCD_ADD_ENABLE_SHARED;
			o->add.region = 1;
			o->add.length = BLK;
			tag_of(NTAGS + rnd(2), o->add.tag);
			break;
		}
		break;
	case 2:
	case 3: { /* answer the oldest group: all, part, none; sometimes in a More chain */
		struct core_group_info gi;
		struct cxldcd_extent px[8];
		uint32_t np = 0;

		o->kind = 2;
		if (core_pending_count(a, o->host) && !core_pending_get(a, o->host, 0, &gi))
			core_pending_extents(a, o->host, 0, 0, 8, px, &np);
		for (uint32_t i = 0; i < np && o->n < 4; i++)
			if (rnd(3))
				o->r[o->n++] = (struct cxldcd_range){ px[i].dpa, px[i].len };
		o->more = o->n && rnd(4) == 0;
		if (!np && rnd(2))
			o->r[o->n++] = (struct cxldcd_range){ rnd(100) * BLK, BLK };   /* bogus */
		break;
	}
	case 4: /* host releases some accepted capacity */
		core_extent_list_info(a, o->host, 0, 64, acc, &nacc);
		for (uint32_t i = 0; i < nacc && o->n < 3; i++)
			if (rnd(2))
				o->r[o->n++] = (struct cxldcd_range){ acc[i].ext.dpa, acc[i].ext.len };
		if (!o->n)
			o->r[o->n++] = (struct cxldcd_range){ rnd(100) * BLK, BLK };
		o->more = rnd(5) == 0;
		break;
	case 5: /* FM release, tag-based or prescriptive */
		o->rel.host = o->host;
		o->rel.forced = rnd(2);
		o->rel.sanitize = rnd(2);
		core_extent_list_info(a, o->host, 0, 64, acc, &nacc);
		if (nacc && rnd(2)) {
			o->rel.policy = CXLDCD_RELEASE_PRESCRIPTIVE;
			o->ext[0] = acc[rnd(nacc)].ext;
			o->rel.nr_extents = 1;
		} else {
			o->rel.policy = CXLDCD_RELEASE_TAG_BASED;
			tag_of(rnd(NTAGS + 2), o->rel.tag);
		}
		break;
	case 6: /* references */
		tag_of(rnd(NTAGS + 2), o->tag);
		o->flag = rnd(2);
		break;
	case 7: { /* Clear Event Records: the oldest 1..2 of a log */
		struct cxldcd_event ev[2];
		struct core_evlog_status st;
		uint32_t n = 0;
		uint16_t owner = rnd(4) == 0 ? CORE_OWNER_FM : o->host;

		o->host = owner;
		o->log = rnd(3) ? CXLDCD_LOG_DC : (uint8_t)rnd(CXLDCD_NR_LOGS);
		core_evlog_get(a, owner, o->log, 1 + rnd(2), ev, &n, &st);
		for (uint32_t i = 0; i < n; i++)
			o->handles[i] = ev[i].handle;
		o->n = n;
		o->flag = st.overflow && rnd(3) == 0;   /* clear all */
		break;
	}
	case 8: /* interrupt policy */
		for (int i = 0; i < CXLDCD_NR_LOGS; i++)
			o->irq[i] = (uint8_t)rnd(2);
		o->host = rnd(4) == 0 ? CORE_OWNER_FM : o->host;
		break;
	case 9: /* region configuration (works only while the region is empty) */
		o->log = (uint8_t)rnd(2);
		o->bs = rnd(2) ? BLK : 4 * BLK;
		o->flag = rnd(2);
		break;
	case 10: /* time passes; the tick may expire groups */
		o->t = now + rnd(80) * 1000000ull;
		break;
	default: /* an injected record (fills non-DC logs until they overflow) */
		o->log = (uint8_t)rnd(3);
		o->ev.length = CXLDCD_EVENT_RECORD_SIZE;
		o->ev.flags = rnd(4);
		o->ev.uuid[0] = (uint8_t)rnd(256);
		o->ev.data[0] = (uint8_t)rnd(256);
		o->host = rnd(3) == 0 ? CORE_OWNER_FM : o->host;
		break;
	}
}

/* Run o on d; return its result code. */
static int apply(struct cxldcd_dev *d, const struct op *o)
{
	struct cxldcd_diag diag = { 0 };
	struct core_add_req add = o->add;
	struct core_release_req rel = o->rel;

	core_dev_set_time(d, o->t);
	switch (o->kind) {
	case 0:
	case 1:
		add.extents = o->ext;
		return core_add(d, &add, NULL, &diag);
	case 2:
		return core_add_response(d, o->host, o->r, o->n, o->more, &diag);
	case 4:
		return core_release_dc(d, o->host, o->r, o->n, o->more, &diag);
	case 5:
		rel.extents = o->ext;
		return core_release(d, &rel, &diag);
	case 6:
		return o->flag ? core_tag_add_ref(d, o->tag, &diag) : core_tag_remove_ref(d, o->tag, &diag);
	case 7:
		return core_evlog_clear(d, o->host, o->log, o->flag, o->handles, o->n, &diag);
	case 8:
		return core_irq_policy_set(d, o->host, o->irq, CXLDCD_NR_LOGS, &diag);
	case 9:
		return core_region_set_config(d, o->log, o->bs, o->flag, &diag);
	case 10:
		return (int)core_tick(d, o->t);
	default:
		return core_evlog_inject(d, o->host, o->log, &o->ev);
	}
}

/* core_snapshot_write()'s sink for the tests: the pieces appended; fails with -ENOSPC at call fail_at. */
struct sink {
	uint8_t *p;
	size_t len, cap;
	unsigned calls, fail_at;
};

static int sink_put(void *opaque, const uint8_t *p, size_t n)
{
	struct sink *k = opaque;

	if (++k->calls == k->fail_at)
		return -ENOSPC;
	assert_true(k->fail_at == 0 || k->calls < k->fail_at);
	assert_true(n > 0);
	if (k->len + n > k->cap) {
		k->cap = (k->len + n) * 2;
		k->p = realloc(k->p, k->cap);
		assert_non_null(k->p);
	}
	memcpy(k->p + k->len, p, n);
	k->len += n;
	return 0;
}

/*
 * The device streamed (core_snapshot_write()) through a buffer of @cap
 * bytes gives the bytes of core_snapshot(), and says it gave @len.
 */
static void expect_streamed(const struct cxldcd_dev *a, const uint8_t *s, size_t len, size_t cap,
			    int step)
{
	struct sink k = { 0 };
	uint8_t *buf = malloc(cap);
	uint64_t size;

	assert_non_null(buf);
	assert_int_equal(core_snapshot_write(a, buf, cap, sink_put, &k, &size), 0);
	if (size != len)
		fail_msg("step %d: core_snapshot_write() says %llu bytes, core_snapshot() %zu", step,
			 (unsigned long long)size, len);
	if (k.len != len || memcmp(k.p, s, len))
		fail_msg("step %d: streamed in pieces of %zu: %zu bytes, not those of core_snapshot() (%zu)",
			 step, cap, k.len, len);
	free(k.p);
	free(buf);
}

static void expect_same(struct cxldcd_dev *a, struct cxldcd_dev *b, int step)
{
	static const size_t caps[] = { 1, 7, 8, 61, 4096, 1u << 20 };
	uint8_t *sa, *sb;
	size_t la, lb;

	assert_int_equal(core_snapshot(a, &sa, &la), 0);
	assert_int_equal(core_snapshot(b, &sb, &lb), 0);
	if (la != lb || memcmp(sa, sb, la))
		fail_msg("step %d: snapshots differ (%zu vs %zu bytes)", step, la, lb);
	expect_streamed(a, sa, la, caps[(unsigned)step % 6], step);
	free(sa);
	free(sb);
}

static struct cxldcd_dev *restored(struct cxldcd_dev *a)
{
	struct cxldcd_dev *b = new_dev();
	struct cxldcd_diag diag = { 0 };
	uint8_t *s;
	size_t n;

	assert_int_equal(core_snapshot(a, &s, &n), 0);
	if (core_restore(b, s, n, &diag))
		fail_msg("restore: %s", diag.text);
	free(s);
	return b;
}

static void run(uint64_t seed, int steps)
{
	struct cxldcd_dev *a = new_dev(), *b = NULL;
	uint64_t now = 1000000000ull;
	char msg[200];
	struct op o;
	int restores = 0, ok[12] = { 0 };
	uint8_t *snap;
	size_t len;

	rng = seed;
	for (int i = 0; i < steps; i++) {
		int ra, rb;

		now += 1000000ull;
		pick(a, &o, now);
		if (o.kind == 10)
			now = o.t;
		ra = apply(a, &o);
		ok[o.kind] += o.kind == 10 ? ra > 0 : ra == 0;
		if (b) {
			rb = apply(b, &o);
			if (ra != rb)
				fail_msg("seed %llu step %d kind %d: rc %d vs %d after restore",
					 (unsigned long long)seed, i, o.kind, ra, rb);
		}
		if (core_check_invariants(a, msg, sizeof(msg)))
			fail_msg("step %d: %s", i, msg);
		if (b && i % 50 == 0)
			expect_same(a, b, i);
		if (rnd(150) == 0) {   /* restore again, from the current state */
			core_dev_free(b);
			b = restored(a);
			expect_same(a, b, i);
			restores++;
		}
	}
	if (!b)
		b = restored(a);
	expect_same(a, b, steps);
	assert_int_equal(core_snapshot(a, &snap, &len), 0);
	free(snap);
	print_message("seed %llu: %d steps, %d restores, last snapshot %zu bytes; succeeded: add %d, answer %d,"
		      " host release %d, FM release %d, ref %d, clear %d, irq %d, region %d, expiring ticks %d,"
		      " inject %d\n", (unsigned long long)seed, steps, restores, len, ok[0] + ok[1], ok[2],
		      ok[4], ok[5], ok[6], ok[7], ok[8], ok[9], ok[10], ok[11]);
	assert_true(restores > 3);
	/* every kind of change happened */
	for (int k = 0; k < 12; k++)
		if (k != 1 && k != 3)
			assert_true(ok[k] > 0);
	core_dev_free(a);
	core_dev_free(b);
}

static void test_restore_then_the_rest_equals_everything_seed1(void **state)
{
	(void)state;
	run(1, 4000);
}

static void test_restore_then_the_rest_equals_everything_seed2(void **state)
{
	(void)state;
	run(2, 4000);
}

static void test_restore_then_the_rest_equals_everything_seed3(void **state)
{
	(void)state;
	run(77, 4000);
}

/* Every truncation and many byte changes: refused or consistent, never a crash. */
static void test_damaged_snapshot_is_refused_or_consistent(void **state)
{
	struct cxldcd_dev *a = new_dev(), *b;
	struct cxldcd_diag diag = { 0 };
	uint64_t now = 1000000000ull;
	uint8_t *s, *bad;
	size_t n;
	char msg[200];
	struct op o;
	int refused = 0;

	(void)state;
	rng = 5;
	for (int i = 0; i < 600; i++) {
		now += 1000000ull;
		pick(a, &o, now);
		apply(a, &o);
	}
	assert_int_equal(core_snapshot(a, &s, &n), 0);
	bad = malloc(n);
	for (size_t cut = 0; cut < n; cut += 1 + cut / 8) {
		b = new_dev();
		if (core_restore(b, s, cut, &diag))
			refused++;
		else
			fail_msg("a snapshot cut at %zu of %zu bytes was accepted", cut, n);
		core_dev_free(b);
	}
	for (int k = 0; k < 400; k++) {
		memcpy(bad, s, n);
		bad[rnd((uint32_t)n)] ^= (uint8_t)(1u << rnd(8));
		b = new_dev();
		if (core_restore(b, bad, n, &diag) == 0 && core_check_invariants(b, msg, sizeof(msg)))
			fail_msg("accepted an inconsistent state: %s", msg);
		core_dev_free(b);
	}
	/* A device in use and another configuration are refused. */
	b = new_dev();
	assert_int_equal(core_restore(b, s, n, &diag), 0);
	assert_int_equal(core_restore(b, s, n, &diag), -EBUSY);
	core_dev_free(b);
	{
		struct cxldcd_dev_cfg c;

		cfg_of(&c);
		c.nr_hosts = 2;
		assert_int_equal(core_dev_new(&c, &b, &diag), 0);
		assert_int_equal(core_restore(b, s, n, &diag), -EINVAL);
		assert_non_null(strstr(diag.text, "another device configuration"));
		core_dev_free(b);
	}
	print_message("%d truncations refused\n", refused);
	free(bad);
	free(s);
	core_dev_free(a);
}

/* A device without DC regions (static capacity only): its snapshot restores, labels and poison kept. */
static void test_static_only_snapshot_round_trip(void **state)
{
	struct cxldcd_dev_cfg c;
	struct cxldcd_dev *a, *b;
	struct cxldcd_diag diag = { 0 };
	uint8_t *s, *s2, lbl[4];
	size_t n, n2;

	(void)state;
	core_cfg_default(&c);
	c.nr_regions = 0;
	c.static_capacity = 512ull << 20;
	c.lsa_size = 256;
	assert_int_equal(core_dev_new(&c, &a, &diag), 0);
	assert_int_equal(core_poison_inject(a, 0, 0x1000, 64, 0, &diag), 0);
	assert_int_equal(core_lsa_write(a, 1, 8, 4, (const uint8_t *)"lbl!", &diag), 0);
	assert_int_equal(core_snapshot(a, &s, &n), 0);
	expect_streamed(a, s, n, 7, 0);         /* the memory-device section, longer than a piece */
	assert_int_equal(core_dev_new(&c, &b, &diag), 0);
	assert_int_equal(core_restore(b, s, n, &diag), 0);
	assert_int_equal(core_poison_count(b), 1);
	assert_int_equal(core_lsa_read(b, 0, 8, 4, lbl, &diag), 0);
	assert_memory_equal(lbl, "lbl!", 4);
	assert_int_equal(core_snapshot(b, &s2, &n2), 0);
	assert_int_equal(n2, n);
	assert_memory_equal(s2, s, n);
	core_dev_free(b);
	/* not into a device with DC regions */
	core_cfg_default(&c);
	c.static_capacity = 512ull << 20;
	c.lsa_size = 256;
	assert_int_equal(core_dev_new(&c, &b, &diag), 0);
	assert_int_equal(core_restore(b, s, n, &diag), -EINVAL);
	core_dev_free(b);
	free(s);
	free(s2);
	core_dev_free(a);
}

/*
 * core_snapshot_write(): the sink's first error is what it returns, and the
 * sink is not called after it, and the length it says is 0.
 */
static void test_streamed_snapshot_stops_at_the_sinks_error(void **state)
{
	struct cxldcd_dev *a = new_dev();
	struct sink k = { .fail_at = 3 };
	uint8_t buf[64];
	uint64_t size;

	(void)state;
	rng = 7;
	for (int i = 0; i < 300; i++) {
		struct op o;

		pick(a, &o, 1000000000ull + (uint64_t)i * 1000000ull);
		apply(a, &o);
	}
	size = 1;
	assert_int_equal(core_snapshot_write(a, buf, sizeof(buf), sink_put, &k, &size), -ENOSPC);
	assert_int_equal(k.calls, 3);           /* sink_put() asserts it is not called after */
	assert_true(k.len > 0 && k.len <= 2 * sizeof(buf));
	assert_int_equal(size, 0);
	free(k.p);
	k = (struct sink){ 0 };
	assert_int_equal(core_snapshot_write(a, buf, sizeof(buf), sink_put, &k, &size), 0);
	assert_true(size > 10 * sizeof(buf));
	assert_int_equal(k.len, size);
	free(k.p);
	core_dev_free(a);
}

/*
 * Pending groups larger than the snapshot's walk of a group (its holders are
 * then found by address, snapshot.c slots_build()): each extent's place in
 * its group survives a snapshot and restore, offered out of address order,
 * one group per host beside a small one, and the snapshot of the restored
 * device has the same bytes.
 */
static void test_large_pending_groups_keep_their_order(void **state)
{
	struct cxldcd_dev_cfg c;
	struct cxldcd_dev *a, *b;
	struct cxldcd_diag diag = { 0 };
	struct cxldcd_extent e[40], got[40];
	struct core_region_info ri;
	uint8_t *s, *s2;
	size_t n, n2;
	uint32_t nr;

	(void)state;
	core_cfg_default(&c);
	c.nr_regions = 1;
	c.regions[0].len = 256 * BLK;
	c.nr_hosts = 3;
	c.max_extents = 400;
	c.max_tags = 8;
	c.evlog_depth = 64;
	assert_int_equal(core_dev_new(&c, &a, &diag), 0);
	core_region_get(a, 0, &ri);
	for (uint16_t h = 1; h < 3; h++) {
		struct core_add_req req = { .host = h, .policy = CXLDCD_ADD_PRESCRIPTIVE,
					    .nr_extents = h == 1 ? 40 : 3, .extents = e };

		memset(e, 0, sizeof(e));
		for (uint32_t i = 0; i < req.nr_extents; i++) {
			/* offer order is not address order: block (7i + h) mod 41, host h's own half */
			e[i].dpa = ri.base + ((7 * i + h) % 41 + 50 * (h - 1) * 2) * BLK;
			e[i].len = BLK;
		}
		assert_int_equal(core_add(a, &req, NULL, &diag), CXLDCD_RC_SUCCESS);
		if (h == 2) {
			/* a second large group on host 2 */
			req.nr_extents = 33;
			for (uint32_t i = 0; i < req.nr_extents; i++) {
				e[i].dpa = ri.base + (200 + (5 * i) % 33) * BLK;
				e[i].len = BLK;
			}
			assert_int_equal(core_add(a, &req, NULL, &diag), CXLDCD_RC_SUCCESS);
		}
	}
	assert_int_equal(core_snapshot(a, &s, &n), 0);
	assert_int_equal(core_dev_new(&c, &b, &diag), 0);
	assert_int_equal(core_restore(b, s, n, &diag), 0);
	for (uint16_t h = 1; h < 3; h++) {
		assert_int_equal(core_pending_count(b, h), core_pending_count(a, h));
		for (uint32_t g = 0; g < core_pending_count(a, h); g++) {
			uint32_t nb = 0;

			assert_int_equal(core_pending_extents(a, h, g, 0, 40, e, &nr), CXLDCD_RC_SUCCESS);
			assert_int_equal(core_pending_extents(b, h, g, 0, 40, got, &nb), CXLDCD_RC_SUCCESS);
			assert_int_equal(nb, nr);
			assert_memory_equal(got, e, nr * sizeof(e[0]));
		}
	}
	assert_int_equal(core_pending_extents(b, 1, 0, 0, 40, got, &nr), CXLDCD_RC_SUCCESS);
	assert_int_equal(nr, 40);
	assert_int_equal(got[1].dpa, ri.base + 8 * BLK);   /* (7 * 1 + 1) % 41 */
	assert_int_equal(core_snapshot(b, &s2, &n2), 0);
	assert_int_equal(n2, n);
	assert_memory_equal(s2, s, n);
	free(s);
	free(s2);
	core_dev_free(a);
	core_dev_free(b);
}

static void count_call(void *opaque)
{
	(*(unsigned *)opaque)++;
}

/*
 * core_restore_paced() calls its progress function after every
 * CORE_RESTORE_PACE items read and after each index built, and restores
 * exactly what core_restore() does.  40,000 extents offered in one group:
 * the group, then 40,000 allocations (calls at 16,384 and 32,768), the
 * region tree built (a call), then 40,000 event records (two calls), and
 * the tag index (no tags: a call): 6.
 */
static void test_paced_restore_calls_progress_every_pace_items(void **state)
{
	const uint32_t nr = 40000;
	struct cxldcd_dev_cfg c;
	struct cxldcd_dev *a, *b;
	struct cxldcd_diag diag = { 0 };
	struct cxldcd_extent *e = calloc(nr, sizeof(*e));
	struct core_add_req req = { .host = 0, .policy = CXLDCD_ADD_PRESCRIPTIVE, .nr_extents = nr,
				    .extents = e };
	struct core_region_info ri;
	unsigned calls = 0;
	uint8_t *s, *s2;
	size_t n, n2;

	(void)state;
	assert_non_null(e);
	core_cfg_default(&c);
	c.nr_regions = 1;
	c.regions[0].len = (uint64_t)nr * BLK;
	c.regions[0].decode_len = 0;    /* computed */
	c.nr_hosts = 1;
	c.max_extents = nr;
	c.evlog_depth = 65535;
	if (core_dev_new(&c, &a, &diag))
		fail_msg("core_dev_new: %s", diag.text);
	core_region_get(a, 0, &ri);
	for (uint32_t i = 0; i < nr; i++) {
		e[i].dpa = ri.base + (uint64_t)i * BLK;
		e[i].len = BLK;
	}
	assert_int_equal(core_add(a, &req, NULL, &diag), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_snapshot(a, &s, &n), 0);
	assert_int_equal(core_dev_new(&c, &b, &diag), 0);
	assert_int_equal(core_restore_paced(b, s, n, count_call, &calls, &diag), 0);
	assert_int_equal(calls, 6);
	assert_int_equal(core_snapshot(b, &s2, &n2), 0);
	assert_int_equal(n2, n);
	assert_memory_equal(s2, s, n);
	free(s);
	free(s2);
	free(e);
	core_dev_free(a);
	core_dev_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_then_the_rest_equals_everything_seed1),
		cmocka_unit_test(test_restore_then_the_rest_equals_everything_seed2),
		cmocka_unit_test(test_restore_then_the_rest_equals_everything_seed3),
		cmocka_unit_test(test_damaged_snapshot_is_refused_or_consistent),
		cmocka_unit_test(test_static_only_snapshot_round_trip),
		cmocka_unit_test(test_streamed_snapshot_stops_at_the_sinks_error),
		cmocka_unit_test(test_large_pending_groups_keep_their_order),
		cmocka_unit_test(test_paced_restore_calls_progress_every_pace_items),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
