/* SPDX-License-Identifier: MIT */
/* helpers.c - see helpers.h. */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

struct hdr {
	size_t size;
	size_t pad;
};

static void *t_alloc(void *opaque, size_t size)
{
	struct talloc *t = opaque;
	struct hdr *h;

	t->nr_allocs++;
	if (t->fail_at && t->nr_allocs == t->fail_at)
		return NULL;
	h = malloc(sizeof(*h) + size);
	if (!h)
		return NULL;
	h->size = size;
	t->live_bytes += (int64_t)size;
	return h + 1;
}

static void t_free(void *opaque, void *p)
{
	struct talloc *t = opaque;
	struct hdr *h;

	if (!p)
		return;
	h = (struct hdr *)p - 1;
	t->live_bytes -= (int64_t)h->size;
	free(h);
}

static void *t_realloc(void *opaque, void *p, size_t size)
{
	void *n = t_alloc(opaque, size);

	if (n && p) {
		struct hdr *h = (struct hdr *)p - 1;

		memcpy(n, p, h->size < size ? h->size : size);
		t_free(opaque, p);
	}
	return n;
}

void talloc_init(struct talloc *t)
{
	memset(t, 0, sizeof(*t));
	t->ops.alloc = t_alloc;
	t->ops.free = t_free;
	t->ops.realloc = t_realloc;
	t->ops.opaque = t;
}

struct tenv *tenv_new(void (*tweak)(struct cxldcd_dev_cfg *))
{
	struct tenv *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	talloc_init(&e->ta);
	core_cfg_default(&e->cfg);
	e->cfg.alloc = &e->ta.ops;
	if (tweak)
		tweak(&e->cfg);
	assert_int_equal(core_dev_new(&e->cfg, &e->dev, &e->diag), 0);
	return e;
}

void tenv_free(struct tenv *e)
{
	if (!e)
		return;
	core_dev_free(e->dev);
	assert_int_equal(e->ta.live_bytes, 0);
	free(e);
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

#define MIX(h, v) ((h) = mix((h), &(v), sizeof(v)))

/* Field by field: struct padding is not part of the state. */
static uint64_t mix_ext(uint64_t h, const struct cxldcd_extent *x)
{
	MIX(h, x->dpa);
	MIX(h, x->len);
	MIX(h, x->tag);
	MIX(h, x->shared_seq);
	return h;
}

uint64_t fingerprint(const struct cxldcd_dev *dev)
{
	const struct cxldcd_dev_cfg *cfg = core_dev_cfg(dev);
	uint64_t h = 1469598103934665603ull;
	struct core_counts c;
	static struct core_extent_info xi[4096];
	static struct cxldcd_event ev[1024];
	uint32_t n, t;

	core_counts_get(dev, &c);
	MIX(h, c.avail_extents);
	MIX(h, c.avail_tags);
	for (uint8_t r = 0; r < core_region_count(dev); r++) {
		struct core_region_info ri;

		core_region_get(dev, r, &ri);
		MIX(h, ri.allocated_bytes);
		MIX(h, ri.block_size);
	}
	t = core_tag_count(dev);
	MIX(h, t);
	t = core_tag_generation(dev);
	MIX(h, t);
	for (uint16_t o = 0; o <= cfg->nr_hosts; o++) {
		uint16_t owner = o == cfg->nr_hosts ? CORE_OWNER_FM : o;

		for (uint8_t l = 0; l < CXLDCD_NR_LOGS; l++) {
			struct core_evlog_status st;

			core_evlog_get(dev, owner, l, 1024, ev, &n, &st);
			MIX(h, n);
			MIX(h, st.overflow);
			MIX(h, st.overflow_count);
			for (uint32_t i = 0; i < n; i++) {
				MIX(h, ev[i].handle);
				MIX(h, ev[i].dc_type);
				h = mix_ext(h, &ev[i].dc_extent);
				MIX(h, ev[i].dc_avail_extents);
			}
		}
		if (owner == CORE_OWNER_FM)
			break;
		t = core_extent_generation(dev, o);
		MIX(h, t);
		t = core_extent_count(dev, o);
		MIX(h, t);
		for (uint32_t s = 0; s < t; s += n) {
			core_extent_list_info(dev, o, s, 4096, xi, &n);
			for (uint32_t i = 0; i < n; i++) {
				h = mix_ext(h, &xi[i].ext);
				MIX(h, xi[i].tag_offset);
				MIX(h, xi[i].release_pending);
				MIX(h, xi[i].sanitize);
			}
		}
		for (uint32_t g = 0; g < core_pending_count(dev, o); g++) {
			struct core_group_info gi;
			struct cxldcd_extent pe[64];

			core_pending_get(dev, o, g, &gi);
			MIX(h, gi.id);
			MIX(h, gi.nr_extents);
			MIX(h, gi.dead);
			MIX(h, gi.offered_ns);
			core_pending_extents(dev, o, g, 0, 64, pe, &n);
			for (uint32_t i = 0; i < n; i++)
				h = mix_ext(h, &pe[i]);
		}
	}
	return h;
}

void assert_invariants(const struct cxldcd_dev *dev)
{
	char msg[256];

	if (core_check_invariants(dev, msg, sizeof(msg)))
		fail_msg("invariant: %s", msg);
}

void tag_set(uint8_t tag[16], uint8_t v)
{
	memset(tag, 0, 16);
	if (v) {
		tag[0] = 0xab;
		tag[15] = v;
	}
}

enum cxldcd_rc add_ext(struct tenv *e, uint16_t host, const struct cxldcd_extent *x, uint32_t n)
{
	struct core_add_req req = { .host = host, .policy = CXLDCD_ADD_PRESCRIPTIVE,
				    .nr_extents = n, .extents = x };

	return core_add(e->dev, &req, NULL, &e->diag);
}

enum cxldcd_rc add1(struct tenv *e, uint16_t host, uint64_t dpa, uint64_t len, uint8_t tagv)
{
	struct cxldcd_extent x = { .dpa = dpa, .len = len };

	tag_set(x.tag, tagv);
	return add_ext(e, host, &x, 1);
}

enum cxldcd_rc accept_all(struct tenv *e, uint16_t host)
{
	struct cxldcd_extent x[256];
	struct cxldcd_range r[256];
	uint32_t n;

	if (core_pending_extents(e->dev, host, 0, 0, 256, x, &n))
		return CXLDCD_RC_INVALID_INPUT;
	for (uint32_t i = 0; i < n; i++)
		r[i] = (struct cxldcd_range){ x[i].dpa, x[i].len };
	return core_add_response(e->dev, host, r, n, false, &e->diag);
}

enum cxldcd_rc reject(struct tenv *e, uint16_t host)
{
	return core_add_response(e->dev, host, NULL, 0, false, &e->diag);
}

enum cxldcd_rc rel_dc(struct tenv *e, uint16_t host, uint64_t dpa, uint64_t len)
{
	struct cxldcd_range r = { dpa, len };

	return core_release_dc(e->dev, host, &r, 1, false, &e->diag);
}

void drain(struct tenv *e, uint16_t owner)
{
	static struct cxldcd_event ev[4096];
	uint16_t hd[4096];
	uint32_t n;

	core_evlog_get(e->dev, owner, CXLDCD_LOG_DC, 4096, ev, &n, NULL);
	for (uint32_t i = 0; i < n; i++)
		hd[i] = ev[i].handle;
	assert_int_equal(core_evlog_clear(e->dev, owner, CXLDCD_LOG_DC, false, hd, n, NULL), 0);
}

uint32_t dc_count(struct tenv *e, uint16_t owner)
{
	return core_evlog_count(e->dev, owner, CXLDCD_LOG_DC);
}

struct cxldcd_event dc_rec(struct tenv *e, uint16_t owner, uint32_t i)
{
	static struct cxldcd_event ev[4096];
	uint32_t n;

	core_evlog_get(e->dev, owner, CXLDCD_LOG_DC, 4096, ev, &n, NULL);
	assert_true(i < n);
	return ev[i];
}
