/* SPDX-License-Identifier: MIT */
/*
 * poison.c - the device's poison list: poisoned DPA ranges, device-wide,
 * 64-byte granular, sorted and disjoint (CXL r3.2 §8.2.10.9.4).
 *
 * Poison belongs to the media, not to a host.  A host sees (4300h) and may
 * inject or clear (4301h/4302h) only the DPA it can access: static capacity,
 * and the dynamic capacity it has accepted (release-pending included).  The
 * FM (and QMP, as CORE_OWNER_FM) reaches every DPA the device decodes.
 * Capacity freed with sanitize comes back clean (core_poison_forget(), called
 * where capacity returns to the free pool).
 */
#include "core/model.h"

#define GRAN 64u


void poison_fini(struct cxldcd_dev *dev)
{
	core_free(dev, dev->poison);
	dev->poison = NULL;
}

/* Device capacity (static or inside a region's usable length) holds [dpa, dpa+len). */
static bool decoded(const struct cxldcd_dev *dev, uint64_t dpa, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(dpa, len, &end))
		return false;
	if (end <= dev->cfg.static_capacity)
		return true;
	return core_region_of(dev, dpa, len) >= 0;
}

uint64_t core_static_capacity_of(const struct cxldcd_dev *dev, uint16_t owner)
{
	if (dev->cfg.static_host_only && owner != CORE_OWNER_FM && owner != dev->cfg.static_host)
		return 0;
	return dev->cfg.static_capacity;
}

/*
 * Call fn on each piece of [dpa, dpa+len) that owner can access, in DPA
 * order.  Returns false as soon as fn does.
 */
bool core_host_pieces(const struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa, uint64_t len,
		       piece_fn *fn, void *opaque)
{
	uint64_t end = dpa + len, st = core_static_capacity_of(dev, owner);

	if (owner == CORE_OWNER_FM)
		return fn(opaque, dpa, len);
	if (dpa < st && !fn(opaque, dpa, (end < st ? end : st) - dpa))
		return false;
	for (unsigned i = 0; i < dev->cfg.nr_regions; i++) {
		uint8_t r = dev->reg_order[i];

		for (struct alloc *a = region_lookup(dev, r, dpa); a && a->dpa < end;
		     a = alloc_next(dev, a)) {
			struct hx *x = alloc_holder(a, owner);
			uint64_t s = a->dpa > dpa ? a->dpa : dpa;
			uint64_t e = alloc_end(a) < end ? alloc_end(a) : end;

			if (x && !x->g && s < e && !fn(opaque, s, e - s))
				return false;
		}
	}
	return true;
}

struct cover {
	uint64_t next;       /* next byte that must be covered */
};

static bool cover_piece(void *opaque, uint64_t dpa, uint64_t len)
{
	struct cover *c = opaque;

	if (dpa != c->next)
		return false;
	c->next = dpa + len;
	return true;
}

/* owner can access every byte of [dpa, dpa+len). */
static bool accessible(const struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa, uint64_t len)
{
	struct cover c = { dpa };

	if (!decoded(dev, dpa, len))
		return false;
	return core_host_pieces(dev, owner, dpa, len, cover_piece, &c) && c.next == dpa + len;
}

bool core_host_can_access(const struct cxldcd_dev *dev, uint16_t host, uint64_t dpa, uint64_t len)
{
	return (host == CORE_OWNER_FM || core_host_ok(dev, host)) && len &&
	       accessible(dev, host, dpa, len);
}

static enum cxldcd_rc check_range(const struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa,
				  uint64_t len, struct cxldcd_diag *diag)
{
	if (owner != CORE_OWNER_FM && !core_host_ok(dev, owner))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "host=%u unknown", owner);
	if (!len || dpa % GRAN || len % GRAN)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
				 "dpa=0x%llx len=0x%llx not 64-byte aligned", (unsigned long long)dpa,
				 (unsigned long long)len);
	if (!accessible(dev, owner, dpa, len))
		return core_diag(diag, CXLDCD_RC_INVALID_PA, -1,
				 "dpa=0x%llx len=0x%llx not accessible to the caller",
				 (unsigned long long)dpa, (unsigned long long)len);
	return CXLDCD_RC_SUCCESS;
}

static uint64_t p_end(const struct core_poison *p)
{
	return p->dpa + p->len;
}

/* Entries [*lo, *hi) overlap or touch [dpa, end). */
static void touching(const struct poison_list *pl, uint64_t dpa, uint64_t end, uint32_t *lo,
		     uint32_t *hi)
{
	uint32_t i = 0;

	while (i < pl->n && p_end(&pl->e[i]) < dpa)
		i++;
	*lo = i;
	while (i < pl->n && pl->e[i].dpa <= end)
		i++;
	*hi = i;
}

/*
 * Room in the Informational Event Log of every host that can access [dpa,
 * dpa+len), for the record core_poison_inject_logged() appends there.
 * False: a log could not grow (out of memory); growing changes no state.
 */
static bool reserve_info(struct cxldcd_dev *dev, uint64_t dpa, uint64_t len)
{
	for (uint16_t h = 0; h < dev->cfg.nr_hosts; h++)
		if (core_host_can_access(dev, h, dpa, len) &&
		    evlog_reserve(dev, h, CXLDCD_LOG_INFO, 1))
			return false;
	return true;
}

enum cxldcd_rc core_poison_inject_logged(struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa,
					 uint64_t len, uint8_t source, const struct cxldcd_event *ev,
					 struct cxldcd_diag *diag)
{
	enum cxldcd_rc rc = check_range(dev, owner, dpa, len, diag);
	struct poison_list *pl;
	uint32_t lo = 0, hi = 0;
	uint64_t s = dpa, e = dpa + len;

	if (rc != CXLDCD_RC_SUCCESS)
		return rc;
	if (dev->poison) {
		pl = dev->poison;
		touching(pl, s, e, &lo, &hi);
		if (lo == hi && pl->n >= CORE_POISON_MAX)
			return core_diag(diag, CXLDCD_RC_INJECT_POISON_LIMIT, -1,
					 "poison list full (%u ranges)", CORE_POISON_MAX);
		if (lo < hi) {  /* merge: one entry spans the union */
			s = pl->e[lo].dpa < s ? pl->e[lo].dpa : s;
			e = p_end(&pl->e[hi - 1]) > e ? p_end(&pl->e[hi - 1]) : e;
			if (hi - lo == 1 && pl->e[lo].dpa == s && p_end(&pl->e[lo]) == e)
				return CXLDCD_RC_SUCCESS;   /* already poisoned: no new poison */
		}
	}
	if (ev && !reserve_info(dev, dpa, len))
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	if (!dev->poison) {
		dev->poison = core_zalloc(dev, sizeof(*dev->poison));
		if (!dev->poison)
			return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	}
	pl = dev->poison;
	if (lo < hi) {
		memmove(&pl->e[lo + 1], &pl->e[hi], (pl->n - hi) * sizeof(pl->e[0]));
		pl->n -= hi - lo - 1;
	} else {
		memmove(&pl->e[lo + 1], &pl->e[lo], (pl->n - lo) * sizeof(pl->e[0]));
		pl->n++;
	}
	pl->e[lo] = (struct core_poison){ .dpa = s, .len = e - s, .source = source };
	for (uint16_t h = 0; ev && h < dev->cfg.nr_hosts; h++) {
		struct cxldcd_event copy = *ev;

		if (core_host_can_access(dev, h, dpa, len))
			evlog_append(dev, h, CXLDCD_LOG_INFO, &copy);
	}
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc core_poison_inject(struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa,
				  uint64_t len, uint8_t source, struct cxldcd_diag *diag)
{
	return core_poison_inject_logged(dev, owner, dpa, len, source, NULL, diag);
}

/* Remove [dpa, dpa+len) from the list; false when a split needs a slot that is not there. */
static bool forget(struct poison_list *pl, uint64_t dpa, uint64_t len, bool dry_run)
{
	uint64_t end = dpa + len;

	for (uint32_t i = 0; i < pl->n; i++) {
		struct core_poison *p = &pl->e[i];
		uint64_t pe = p_end(p);

		if (pe <= dpa || p->dpa >= end)
			continue;
		if (p->dpa < dpa && pe > end) {         /* split in two */
			if (pl->n >= CORE_POISON_MAX)
				return false;
			if (dry_run)
				continue;
			memmove(&pl->e[i + 1], &pl->e[i], (pl->n - i) * sizeof(pl->e[0]));
			pl->n++;
			p->len = dpa - p->dpa;
			pl->e[i + 1].dpa = end;
			pl->e[i + 1].len = pe - end;
			i++;
		} else if (dry_run) {
			continue;
		} else if (p->dpa < dpa) {
			p->len = dpa - p->dpa;
		} else if (pe > end) {
			p->len = pe - end;
			p->dpa = end;
		} else {
			memmove(p, p + 1, (pl->n - i - 1) * sizeof(pl->e[0]));
			pl->n--;
			i--;
		}
	}
	return true;
}

enum cxldcd_rc core_poison_clear(struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa,
				 uint64_t len, struct cxldcd_diag *diag)
{
	enum cxldcd_rc rc = check_range(dev, owner, dpa, len, diag);

	if (rc != CXLDCD_RC_SUCCESS || !dev->poison)
		return rc;
	if (!forget(dev->poison, dpa, len, true))
		return core_diag(diag, CXLDCD_RC_RESOURCES_EXHAUSTED, -1,
				 "poison list full (%u ranges): cannot split", CORE_POISON_MAX);
	forget(dev->poison, dpa, len, false);
	return CXLDCD_RC_SUCCESS;
}

void core_poison_forget(struct cxldcd_dev *dev, uint64_t dpa, uint64_t len)
{
	/* A range freed whole never needs a split of an entry it does not cover:
	 * only entry ends are trimmed, or a middle piece when the list has room. */
	if (dev->poison)
		forget(dev->poison, dpa, len, false);
}

struct lister {
	const struct core_poison *p;
	struct core_poison *out;
	uint32_t max, n;
	bool more;
};

static bool list_piece(void *opaque, uint64_t dpa, uint64_t len)
{
	struct lister *l = opaque;

	if (l->n == l->max) {
		l->more = true;
		return false;
	}
	l->out[l->n++] = (struct core_poison){ .dpa = dpa, .len = len, .source = l->p->source };
	return true;
}

uint32_t core_poison_list(const struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa, uint64_t len,
			  struct core_poison *out, uint32_t max, bool *more)
{
	struct lister l = { .out = out, .max = max };
	uint64_t end = UINT64_MAX - dpa < len ? UINT64_MAX : dpa + len;

	*more = false;
	if (!dev->poison || (owner != CORE_OWNER_FM && !core_host_ok(dev, owner)))
		return 0;
	for (uint32_t i = 0; i < dev->poison->n && !l.more; i++) {
		const struct core_poison *p = &dev->poison->e[i];
		uint64_t s = p->dpa > dpa ? p->dpa : dpa;
		uint64_t e = p_end(p) < end ? p_end(p) : end;

		l.p = p;
		if (s < e)
			core_host_pieces(dev, owner, s, e - s, list_piece, &l);
	}
	*more = l.more;
	return l.n;
}

bool core_poison_test(const struct cxldcd_dev *dev, uint64_t dpa, uint64_t len)
{
	if (!dev->poison || UINT64_MAX - dpa < len)
		return false;
	for (uint32_t i = 0; i < dev->poison->n; i++) {
		const struct core_poison *p = &dev->poison->e[i];

		if (p->dpa < dpa + len && p_end(p) > dpa)
			return true;
	}
	return false;
}

uint32_t core_poison_count(const struct cxldcd_dev *dev)
{
	return dev->poison ? dev->poison->n : 0;
}
