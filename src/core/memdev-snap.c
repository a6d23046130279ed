/* SPDX-License-Identifier: MIT */
/*
 * memdev-snap.c - the memory-device state (poison.c, memdev.c, bgop.c) as
 * bytes for core_snapshot(), and back.  Little-endian:
 *
 *   u8  present: bit 0 poison list, bit 1 memdev state, bit 2 background ops,
 *            bit 3 features, bit 4 a background op of the MCTP CCI (only with bit 2),
 *            bit 5 repairs
 *   poison:  u32 n, n x { u64 dpa, u64 len, u8 source }
 *   memdev:  u8 ts_set, u64 ts_value, u64 ts_at, u8 enabled, u8 life_used_crit,
 *            u8 life_used_warn, 6 x u16 (over/under crit, over/under warn,
 *            corrected volatile/persistent warn), u8 has_lsa, lsa_size bytes
 *   bg:      per host: u8 present; { u16 opcode, u64 start, u64 dur, u8 aborted,
 *            u64 abort_ns, u64 dpa, u64 len, u8 more, u32 n, n x poison record,
 *            then, for an opcode other than 4304h with len != 0 (the results
 *            of an earlier scan, kept; older files wrote len 0 there): u8
 *            stopped, u64 restart dpa, u64 restart len; then for opcode 0600h only (memory sparing; older files have
 *            none): u8 owed, and when owed what it does at its end: u8
 *            repair to count (6: none), u8 has a record, and with one: 16
 *            uuid, u8 length, u24 flags, u8 maint class, u8 subclass, u16
 *            ld_id, u8 head_id, 0x50 bytes of data }
 *   mctp bg: (bit 4) the MCTP CCI's { ... } as a host's, without the present byte
 *   features: u8 set, then (set) current and saved values, each
 *            { u8 scrub cycle, u8 scrub enabled, u8 ecs log entry type,
 *              CORE_ECS_FRUS x { u8 threshold, u8 count codewords } };
 *            then each LD's open transfer (none: one u8 0), by LD: u8 bits
 *            (0 open, 1 its Initiate's Saved Across Reset, 2 another
 *            follows), u16 owner (a host, or 0xffff the MCTP CCI), u8
 *            feature, u16 size, u16 got, got data bytes.  An older file has
 *            at most one (no bit 2), which loads into its owner's LD
 *   repairs: (bit 5) CORE_NR_REPAIRS x { u8 current mode, u8 saved mode,
 *            u32 repairs performed }; a mode is bit 0 device-initiated, bit 1
 *            sparing events, bit 2 at boot (an older file without it: all 0)
 *   lds:     (bit 6, with bit 1, only when the LDs' timestamps or alert
 *            configurations differ) u16 n = num-hosts + 1, n x the memdev
 *            section's timestamp and alert fields, each host's LD then the
 *            MCTP CCI's.  The memdev section holds host 0's, and without
 *            bit 6 every LD's (an older file: the device had one)
 */
#include <stdlib.h>

#include "core/model.h"

static void put_poison(struct snap_wr *o, const struct core_poison *p, uint32_t n)
{
	snap_put_u(o, n, 4);
	for (uint32_t i = 0; i < n; i++) {
		snap_put_u(o, p[i].dpa, 8);
		snap_put_u(o, p[i].len, 8);
		snap_put_u(o, p[i].source, 1);
	}
}

static void put_values(struct snap_wr *o, const struct core_features *v)
{
	snap_put_u(o, v->scrub.cycle_h, 1);
	snap_put_u(o, v->scrub.enabled, 1);
	snap_put_u(o, v->ecs.log_entry_type, 1);
	for (uint32_t i = 0; i < CORE_ECS_FRUS; i++) {
		snap_put_u(o, v->ecs.threshold[i], 1);
		snap_put_u(o, v->ecs.count_codewords[i], 1);
	}
}

/* The next LD from i on with a transfer open (MEMDEV_LDS(dev): none). */
static uint32_t next_xfer(const struct cxldcd_dev *dev, uint32_t i)
{
	while (i < MEMDEV_LDS(dev) && !dev->feat.xfer[i].open)
		i++;
	return i;
}

static void put_features(struct snap_wr *o, const struct cxldcd_dev *dev)
{
	const struct feat_state *s = &dev->feat;
	uint32_t i = next_xfer(dev, 0);

	snap_put_u(o, s->set, 1);
	if (s->set) {
		put_values(o, &s->cur);
		put_values(o, &s->saved);
	}
	if (i == MEMDEV_LDS(dev))
		snap_put_u(o, 0, 1);
	for (; i < MEMDEV_LDS(dev); i = next_xfer(dev, i + 1)) {
		const struct feat_xfer *x = &s->xfer[i];
		bool more = next_xfer(dev, i + 1) < MEMDEV_LDS(dev);

		/* bit 0: open; bit 1: its Initiate asked to save; bit 2: another follows */
		snap_put_u(o, 1u | (uint64_t)x->save << 1 | (uint64_t)more << 2, 1);
		snap_put_u(o, i < dev->cfg.nr_hosts ? i : CORE_OWNER_FM, 2);
		snap_put_u(o, x->feature, 1);
		snap_put_u(o, x->size, 2);
		snap_put_u(o, x->got, 2);
		for (uint32_t k = 0; k < x->got; k++)
			snap_put_u(o, x->buf[k], 1);
	}
}

static void put_bgop(struct snap_wr *o, const struct bgop *b)
{
	snap_put_u(o, b->opcode, 2);
	snap_put_u(o, b->start_ns, 8);
	snap_put_u(o, b->dur_ns, 8);
	snap_put_u(o, b->aborted, 1);
	snap_put_u(o, b->abort_ns, 8);
	snap_put_u(o, b->dpa, 8);
	snap_put_u(o, b->len, 8);
	snap_put_u(o, b->more, 1);
	put_poison(o, b->rec, b->n);
	if (b->opcode != CXLDCD_OP_SCAN_MEDIA && b->scan_kept) {
		snap_put_u(o, b->scan_stopped, 1);
		snap_put_u(o, b->restart_dpa, 8);
		snap_put_u(o, b->restart_len, 8);
	}
	if (b->opcode != CXLDCD_OP_PERFORM_MAINTENANCE)
		return;
	snap_put_u(o, b->owed, 1);
	if (!b->owed)
		return;
	snap_put_u(o, b->repair, 1);
	snap_put_u(o, b->has_ev, 1);
	if (!b->has_ev)
		return;
	snap_put(o, b->ev.uuid, sizeof(b->ev.uuid));
	snap_put_u(o, b->ev.length, 1);
	snap_put_u(o, b->ev.flags, 3);
	snap_put_u(o, b->ev.maint_class, 1);
	snap_put_u(o, b->ev.maint_subclass, 1);
	snap_put_u(o, b->ev.ld_id, 2);
	snap_put_u(o, b->ev.head_id, 1);
	snap_put(o, b->ev.data, sizeof(b->ev.data));
}

static void put_ld(struct snap_wr *o, const struct memdev_ld *l)
{
	const struct core_alert_cfg *a = &l->alert;

	snap_put_u(o, l->ts_set, 1);
	snap_put_u(o, l->ts_value, 8);
	snap_put_u(o, l->ts_at, 8);
	snap_put_u(o, a->enabled, 1);
	snap_put_u(o, a->life_used_crit, 1);
	snap_put_u(o, a->life_used_warn, 1);
	snap_put_u(o, a->over_temp_crit, 2);
	snap_put_u(o, a->under_temp_crit, 2);
	snap_put_u(o, a->over_temp_warn, 2);
	snap_put_u(o, a->under_temp_warn, 2);
	snap_put_u(o, a->corr_volatile_warn, 2);
	snap_put_u(o, a->corr_persistent_warn, 2);
}

static bool ld_same(const struct memdev_ld *a, const struct memdev_ld *b)
{
	const struct core_alert_cfg *x = &a->alert, *y = &b->alert;

	return a->ts_set == b->ts_set && a->ts_value == b->ts_value && a->ts_at == b->ts_at &&
	       x->enabled == y->enabled && x->life_used_crit == y->life_used_crit &&
	       x->life_used_warn == y->life_used_warn && x->over_temp_crit == y->over_temp_crit &&
	       x->under_temp_crit == y->under_temp_crit && x->over_temp_warn == y->over_temp_warn &&
	       x->under_temp_warn == y->under_temp_warn &&
	       x->corr_volatile_warn == y->corr_volatile_warn &&
	       x->corr_persistent_warn == y->corr_persistent_warn;
}

/* Whether some LD's timestamp or alert configuration is not host 0's. */
static bool lds_differ(const struct cxldcd_dev *dev, const struct memdev_state *m)
{
	for (uint32_t i = 1; m && i < MEMDEV_LDS(dev); i++)
		if (!ld_same(&m->ld[0], &m->ld[i]))
			return true;
	return false;
}

static uint8_t mode_bits(const struct core_repair_mode *m)
{
	return (uint8_t)((m->dev_initiated ? 1u : 0u) | (m->sparing_events ? 2u : 0u) |
			 (m->at_boot ? 4u : 0u));
}

/* Repair counts, or repair feature settings other than the defaults (all 0). */
static bool has_repairs(const struct feat_state *s)
{
	for (uint32_t r = 0; r < CORE_NR_REPAIRS; r++)
		if (s->repairs[r] || mode_bits(&s->cur.repair[r]) || mode_bits(&s->saved.repair[r]))
			return true;
	return false;
}

static void put_repairs(struct snap_wr *o, const struct feat_state *s)
{
	for (uint32_t r = 0; r < CORE_NR_REPAIRS; r++) {
		snap_put_u(o, mode_bits(&s->cur.repair[r]), 1);
		snap_put_u(o, mode_bits(&s->saved.repair[r]), 1);
		snap_put_u(o, s->repairs[r], 4);
	}
}

int memdev_snap_put(const struct cxldcd_dev *dev, uint8_t **out, size_t *len)
{
	const struct memdev_state *m = dev->memdev;
	const struct bgop *mctp = dev->bg ? dev->bg[dev->cfg.nr_hosts] : NULL;
	struct snap_wr o = { 0 };
	bool feat = dev->feat.set || next_xfer(dev, 0) < MEMDEV_LDS(dev);
	bool repairs = has_repairs(&dev->feat);
	bool lds = lds_differ(dev, m);

	*out = NULL;
	*len = 0;
	if (!dev->poison && !m && !dev->bg && !feat && !repairs)
		return 0;
	snap_put_u(&o, (dev->poison ? 1u : 0u) | (m ? 2u : 0u) | (dev->bg ? 4u : 0u) | (feat ? 8u : 0u) |
		(mctp ? 16u : 0u) | (repairs ? 32u : 0u) | (lds ? 64u : 0u), 1);
	if (dev->poison)
		put_poison(&o, dev->poison->e, dev->poison->n);
	if (m) {
		put_ld(&o, &m->ld[0]);
		snap_put_u(&o, m->lsa != NULL, 1);
		if (m->lsa)
			snap_put(&o, m->lsa, dev->cfg.lsa_size);
	}
	for (uint16_t h = 0; dev->bg && h < dev->cfg.nr_hosts; h++) {
		const struct bgop *b = dev->bg[h];

		snap_put_u(&o, b != NULL, 1);
		if (b)
			put_bgop(&o, b);
	}
	if (mctp)
		put_bgop(&o, mctp);
	if (feat)
		put_features(&o, dev);
	if (repairs)
		put_repairs(&o, &dev->feat);
	if (lds) {
		snap_put_u(&o, MEMDEV_LDS(dev), 2);
		for (uint32_t i = 0; i < MEMDEV_LDS(dev); i++)
			put_ld(&o, &m->ld[i]);
	}
	if (o.oom) {
		free(o.p);
		return -ENOMEM;
	}
	*out = o.p;
	*len = o.len;
	return 0;
}

static uint32_t get_poison(struct snap_rd *r, struct core_poison *p)
{
	uint32_t n = (uint32_t)snap_get_u(r, 4);

	if (n > CORE_POISON_MAX) {
		r->bad = true;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		p[i].dpa = snap_get_u(r, 8);
		p[i].len = snap_get_u(r, 8);
		p[i].source = (uint8_t)snap_get_u(r, 1);
	}
	return n;
}

static void *zalloc_or_bad(struct cxldcd_dev *dev, struct snap_rd *r, size_t size)
{
	void *p = r->bad ? NULL : core_zalloc(dev, size);

	if (!p)
		r->bad = true;
	return p;
}

static uint8_t get_bool(struct snap_rd *r)
{
	uint64_t v = snap_get_u(r, 1);

	if (v > 1)
		r->bad = true;
	return (uint8_t)v;
}

static void get_values(struct snap_rd *r, struct core_features *v)
{
	v->scrub.cycle_h = (uint8_t)snap_get_u(r, 1);
	v->scrub.enabled = get_bool(r);
	v->ecs.log_entry_type = (uint8_t)snap_get_u(r, 1);
	for (uint32_t i = 0; i < CORE_ECS_FRUS; i++) {
		v->ecs.threshold[i] = (uint8_t)snap_get_u(r, 1);
		v->ecs.count_codewords[i] = get_bool(r);
	}
	if (feat_validate(CORE_FEAT_PATROL_SCRUB, v, NULL) ||
	    feat_validate(CORE_FEAT_ECS, v, NULL))
		r->bad = true;
}

/*
 * One open transfer into its LD's slot: its owner a host or the MCTP CCI, its
 * LD's only one, fitting its buffer.  False: the last (or bad).
 */
static bool get_xfer(struct snap_rd *r, struct cxldcd_dev *dev)
{
	uint64_t v = snap_get_u(r, 1), owner;
	struct feat_xfer *x;

	/* bit 0 open, bit 1 saved (only when open), bit 2 another follows (only when open) */
	if (v > 7 || (v && !(v & 1)))
		r->bad = true;
	if (!(v & 1) || r->bad)
		return false;
	owner = snap_get_u(r, 2);
	if (owner >= dev->cfg.nr_hosts && owner != CORE_OWNER_FM) {
		r->bad = true;
		return false;
	}
	x = &dev->feat.xfer[memdev_ld_of(dev, (uint16_t)owner)];
	if (x->open)
		r->bad = true;
	x->open = true;
	x->save = (v & 2) != 0;
	x->feature = (uint8_t)snap_get_u(r, 1);
	x->size = (uint16_t)snap_get_u(r, 2);
	x->got = (uint16_t)snap_get_u(r, 2);
	if (r->bad || !feat_xfer_ok(x)) {
		r->bad = true;
		return false;
	}
	for (uint32_t i = 0; i < x->got; i++)
		x->buf[i] = (uint8_t)snap_get_u(r, 1);
	return (v & 4) != 0;
}

/* The values are checked as Set Feature checks them; a transfer must fit its buffer. */
static void get_features(struct snap_rd *r, struct cxldcd_dev *dev)
{
	struct feat_state *s = &dev->feat;

	s->set = get_bool(r);
	if (s->set) {
		get_values(r, &s->cur);
		get_values(r, &s->saved);
	}
	while (!r->bad && get_xfer(r, dev))
		;
}

/* One background operation into a new *slot (bad: r->bad set). */
static void get_bgop(struct cxldcd_dev *dev, struct snap_rd *r, struct bgop **slot)
{
	struct bgop *b = *slot = zalloc_or_bad(dev, r, sizeof(*b));

	if (!b)
		return;
	b->opcode = (uint16_t)snap_get_u(r, 2);
	b->start_ns = snap_get_u(r, 8);
	b->dur_ns = snap_get_u(r, 8);
	b->aborted = snap_get_u(r, 1);
	b->abort_ns = snap_get_u(r, 8);
	b->dpa = snap_get_u(r, 8);
	b->len = snap_get_u(r, 8);
	b->more = snap_get_u(r, 1);
	b->n = get_poison(r, b->rec);
	if (!b->dur_ns)
		r->bad = true;
	if (b->opcode != CXLDCD_OP_SCAN_MEDIA && b->len && !r->bad) {
		b->scan_kept = true;
		b->scan_stopped = get_bool(r);
		b->restart_dpa = snap_get_u(r, 8);
		b->restart_len = snap_get_u(r, 8);
	}
	if (b->opcode != CXLDCD_OP_PERFORM_MAINTENANCE || r->bad)
		return;
	b->owed = get_bool(r);
	if (!b->owed)
		return;
	b->repair = (uint8_t)snap_get_u(r, 1);
	b->has_ev = get_bool(r);
	if (b->repair > CORE_NR_REPAIRS || b->aborted)
		r->bad = true;
	if (!b->has_ev)
		return;
	snap_get(r, b->ev.uuid, sizeof(b->ev.uuid));
	b->ev.length = (uint8_t)snap_get_u(r, 1);
	b->ev.flags = (uint32_t)snap_get_u(r, 3);
	b->ev.maint_class = (uint8_t)snap_get_u(r, 1);
	b->ev.maint_subclass = (uint8_t)snap_get_u(r, 1);
	b->ev.ld_id = (uint16_t)snap_get_u(r, 2);
	b->ev.head_id = (uint8_t)snap_get_u(r, 1);
	snap_get(r, b->ev.data, sizeof(b->ev.data));
}

static void get_ld(struct snap_rd *r, struct memdev_ld *l)
{
	struct core_alert_cfg *a = &l->alert;

	l->ts_set = get_bool(r);
	l->ts_value = snap_get_u(r, 8);
	l->ts_at = snap_get_u(r, 8);
	a->enabled = (uint8_t)snap_get_u(r, 1);
	a->life_used_crit = (uint8_t)snap_get_u(r, 1);
	a->life_used_warn = (uint8_t)snap_get_u(r, 1);
	a->over_temp_crit = (uint16_t)snap_get_u(r, 2);
	a->under_temp_crit = (uint16_t)snap_get_u(r, 2);
	a->over_temp_warn = (uint16_t)snap_get_u(r, 2);
	a->under_temp_warn = (uint16_t)snap_get_u(r, 2);
	a->corr_volatile_warn = (uint16_t)snap_get_u(r, 2);
	a->corr_persistent_warn = (uint16_t)snap_get_u(r, 2);
}

static void get_mode(struct snap_rd *r, struct core_repair_mode *m)
{
	uint64_t v = snap_get_u(r, 1);

	if (v > 7)
		r->bad = true;
	*m = (struct core_repair_mode){ .dev_initiated = v & 1, .sparing_events = (v & 2) != 0,
					.at_boot = (v & 4) != 0 };
}

/* The settings are checked as Set Feature checks them (the feature values must be set first). */
static void get_repairs(struct snap_rd *r, struct feat_state *s)
{
	for (uint32_t i = 0; i < CORE_NR_REPAIRS; i++) {
		get_mode(r, &s->cur.repair[i]);
		get_mode(r, &s->saved.repair[i]);
		s->repairs[i] = (uint32_t)snap_get_u(r, 4);
		if ((mode_bits(&s->cur.repair[i]) || mode_bits(&s->saved.repair[i])) && !s->set)
			r->bad = true;
		if (feat_validate(CORE_FEAT_REPAIR(i), &s->cur, NULL) ||
		    feat_validate(CORE_FEAT_REPAIR(i), &s->saved, NULL))
			r->bad = true;
	}
}

int memdev_snap_get(struct cxldcd_dev *dev, const uint8_t *p, size_t len)
{
	struct snap_rd r = { .p = p, .len = len };
	uint8_t present = (uint8_t)snap_get_u(&r, 1);

	if (present & 1u) {
		dev->poison = zalloc_or_bad(dev, &r, sizeof(*dev->poison));
		if (dev->poison)
			dev->poison->n = get_poison(&r, dev->poison->e);
	}
	if (present & 2u) {
		struct memdev_state *m = r.bad ? NULL : memdev_state_get(dev);

		if (!m)
			r.bad = true;
		if (m) {
			get_ld(&r, &m->ld[0]);
			for (uint32_t i = 1; i < MEMDEV_LDS(dev); i++)  /* without bit 6: every LD's */
				m->ld[i] = m->ld[0];
			if (snap_get_u(&r, 1)) {
				m->lsa = zalloc_or_bad(dev, &r, dev->cfg.lsa_size ? dev->cfg.lsa_size : 1);
				if (m->lsa)
					snap_get(&r, m->lsa, dev->cfg.lsa_size);
			}
		}
	}
	if (present & 4u) {
		dev->bg = zalloc_or_bad(dev, &r, sizeof(*dev->bg) * BG_SLOTS(dev));
		for (uint16_t h = 0; dev->bg && h < dev->cfg.nr_hosts && !r.bad; h++)
			if (snap_get_u(&r, 1))
				get_bgop(dev, &r, &dev->bg[h]);
		if (dev->bg && (present & 16u))
			get_bgop(dev, &r, &dev->bg[dev->cfg.nr_hosts]);
	}
	if (present & 8u)
		get_features(&r, dev);
	if (present & 32u)
		get_repairs(&r, &dev->feat);
	if ((present & 64u) && dev->memdev && !r.bad) {
		if (snap_get_u(&r, 2) != MEMDEV_LDS(dev))
			r.bad = true;
		for (uint32_t i = 0; i < MEMDEV_LDS(dev) && !r.bad; i++)
			get_ld(&r, &dev->memdev->ld[i]);
	}
	if ((present & ~127u) || (present & 20u) == 16u || (present & 66u) == 64u)
		r.bad = true;
	return r.bad || r.off != r.len ? -EINVAL : 0;
}
