/* SPDX-License-Identifier: MIT */
/*
 * evlog.c - the event logs of each owner (every host and the FM): five
 * fixed-depth rings (CXL r3.2 §8.2.10.2), handles, overflow bookkeeping,
 * Get/Clear Event Records semantics, interrupt policy bytes, and the
 * construction of Dynamic Capacity Event Records (Table 8-62).
 *
 * A log never overwrites: a record arriving at a full log is dropped and
 * counted as overflow.  A ring is allocated on first use and doubles as it
 * fills, up to the configured depth: an idle log costs nothing, a deep one
 * only what it has held.  Operations that must not lose records (5604h, 5605h
 * not forced, 5602h) check free slots first and answer Retry Required.
 */
#include "core/model.h"

static const uint8_t dc_uuid[16] = CXLDCD_DC_EVENT_UUID;

static int owner_idx(const struct cxldcd_dev *dev, uint16_t owner)
{
	if (owner == CORE_OWNER_FM)
		return dev->cfg.nr_hosts;
	return owner < dev->cfg.nr_hosts ? owner : -1;
}

static struct evlog *get_log(const struct cxldcd_dev *dev, uint16_t owner, uint8_t log)
{
	int i = owner_idx(dev, owner);

	if (i < 0 || log >= CXLDCD_NR_LOGS)
		return NULL;
	return &dev->owners[i].logs[log];
}

int evlog_init(struct cxldcd_dev *dev)
{
	uint32_t n = dev->cfg.nr_hosts + 1u;

	dev->owners = core_zalloc(dev, sizeof(*dev->owners) * n);
	if (!dev->owners)
		return -ENOMEM;
	for (uint32_t o = 0; o < n; o++)
		for (unsigned k = 0; k < CXLDCD_NR_LOGS; k++)
			dev->owners[o].logs[k].next_handle = 1;
	return 0;
}

/*
 * A ring of 1 MiB or more is bulk memory (core_zalloc_bulk(): huge pages,
 * one fault per 2 MiB where a restore filling 10,000 records took 450
 * small-page faults, 65,535 records 2,800), a smaller one a heap block;
 * which one follows from its size, so each goes back the way it came.
 */
static void ring_free(struct cxldcd_dev *dev, struct evlog *l)
{
	core_free_bulk(dev, l->rec, sizeof(*l->rec) * l->cap);
}

void evlog_fini(struct cxldcd_dev *dev)
{
	if (!dev->owners)
		return;
	for (uint32_t o = 0; o <= dev->cfg.nr_hosts; o++)
		for (unsigned k = 0; k < CXLDCD_NR_LOGS; k++)
			ring_free(dev, &dev->owners[o].logs[k]);
	core_free(dev, dev->owners);
}

uint32_t evlog_free_slots(const struct cxldcd_dev *dev, uint16_t owner, uint8_t log)
{
	const struct evlog *l = get_log(dev, owner, log);

	return l ? dev->cfg.evlog_depth - l->count : 0;
}

int evlog_reserve(struct cxldcd_dev *dev, uint16_t owner, uint8_t log, uint32_t n)
{
	struct evlog *l = get_log(dev, owner, log);
	uint32_t depth = dev->cfg.evlog_depth, want, cap;
	struct cxldcd_event *nw;

	if (!l)
		return -EINVAL;
	want = n < depth - l->count ? l->count + n : depth;
	if (want <= l->cap)
		return 0;
	cap = l->cap ? l->cap : 16;
	while (cap < want)
		cap *= 2;
	if (cap > depth)
		cap = depth;
	if (core_bulk_mapped(dev, sizeof(*nw) * cap)) {
		/*
		 * bulk: its records copied in order, from slot 0; as many as its
		 * 2 MiB units hold.  The units are those of want or of 1.5 times
		 * the ring before, whichever is more, when that is bulk too, not
		 * those of the doubling: a restore of 10,000 records (1.8 MB)
		 * took 16,384 slots, two units, where one holds them (the growth
		 * stays geometric).
		 */
		uint64_t grow = (uint64_t)l->cap + l->cap / 2;
		size_t need = sizeof(*nw) * (grow > want ? grow : want);
		size_t span = core_bulk_span(dev, core_bulk_mapped(dev, need) ? need : sizeof(*nw) * cap);

		cap = span / sizeof(*nw) < depth ? (uint32_t)(span / sizeof(*nw)) : depth;
		nw = core_zalloc_bulk(dev, sizeof(*nw) * cap);
		if (!nw)
			return -ENOMEM;
		for (uint32_t i = 0; i < l->count; i++)
			nw[i] = l->rec[(l->head + i) % l->cap];
		ring_free(dev, l);
		l->rec = nw;
		l->cap = cap;
		l->head = 0;
		return 0;
	}
	/*
	 * Resized in place where it can be (a ring under 1 MiB is
	 * remapped, not copied: core_realloc()); the slots past count are
	 * never read.
	 */
	nw = core_realloc(dev, l->rec, sizeof(*nw) * l->cap, sizeof(*nw) * cap);
	if (!nw)
		return -ENOMEM;
	if (l->head + l->count > l->cap) {
		/* it wrapped: its older part, [head, old cap), moves to the end */
		uint32_t older = l->cap - l->head;

		memmove(nw + cap - older, nw + l->head, sizeof(*nw) * older);
		l->head = cap - older;
	}
	l->rec = nw;
	l->cap = cap;
	return 0;
}

/*
 * Sanitize, Secure Erase and Media Operations' Sanitize/Zero delete every
 * event record (CXL r3.2 §8.2.10.9.5.1, "all event logs"): of the host that
 * asked, or of every owner when the device's MCTP CCI (CORE_OWNER_FM) erases
 * the whole device.  Handles go on from where they were; overflow is
 * forgotten with the records.
 */
void evlog_discard(struct cxldcd_dev *dev, uint16_t owner)
{
	uint32_t first = owner == CORE_OWNER_FM ? 0 : (uint32_t)owner_idx(dev, owner);
	uint32_t last = owner == CORE_OWNER_FM ? dev->cfg.nr_hosts : first;

	if (owner != CORE_OWNER_FM && owner_idx(dev, owner) < 0)
		return;
	for (uint32_t o = first; o <= last; o++)
		for (unsigned k = 0; k < CXLDCD_NR_LOGS; k++) {
			struct evlog *l = &dev->owners[o].logs[k];

			ring_free(dev, l);
			*l = (struct evlog){ .next_handle = l->next_handle };
		}
}

static void overflow(struct cxldcd_dev *dev, struct evlog *l)
{
	if (!l->overflow)
		l->ovf_first = dev->now;
	l->overflow = true;
	l->ovf_last = dev->now;
	if (l->ovf_count != UINT16_MAX)
		l->ovf_count++;
}

void evlog_append(struct cxldcd_dev *dev, uint16_t owner, uint8_t log, struct cxldcd_event *ev)
{
	struct evlog *l = get_log(dev, owner, log);

	if (!l) /* callers pass valid owners; without this gcc -O2 plants a trap on the NULL path */
		return;
	if (l->count == dev->cfg.evlog_depth ||
	    (l->count == l->cap && evlog_reserve(dev, owner, log, 1))) {
		overflow(dev, l);
		return;
	}
	ev->handle = l->next_handle;
	l->next_handle = (uint16_t)(l->next_handle + 1u);
	if (!l->next_handle)
		l->next_handle = 1;
	ev->timestamp_ns = dev->now;
	l->rec[(l->head + l->count) % l->cap] = *ev;
	l->count++;
	for (uint32_t i = 0; i < dev->nr_obs; i++)
		if (dev->obs[i].ops->event_logged)
			dev->obs[i].ops->event_logged(dev->obs[i].opaque, owner, log, ev);
	if (l->count != 1)
		return;
	for (uint32_t i = 0; i < dev->nr_obs; i++)
		if (dev->obs[i].ops->log_nonempty)
			dev->obs[i].ops->log_nonempty(dev->obs[i].opaque, owner, log);
}

void evlog_dc(struct cxldcd_dev *dev, uint16_t owner, uint8_t type, uint16_t host_id,
	      uint8_t region, const struct cxldcd_extent *x, bool more)
{
	struct cxldcd_event ev;
	struct core_counts c;

	core_counts_get(dev, &c);
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.uuid, dc_uuid, sizeof(ev.uuid));
	ev.length = CXLDCD_EVENT_RECORD_SIZE;
	ev.flags = CXLDCD_EVF_SEV_INFO;
	ev.dc_type = type;
	ev.dc_validity = 1;
	if (type == CXLDCD_DC_EV_ADD_CAPACITY_RESPONSE || type == CXLDCD_DC_EV_CAPACITY_RELEASED)
		ev.dc_host_id = host_id;
	if (type == CXLDCD_DC_EV_REGION_CONFIG_UPDATED)
		ev.dc_region_index = region;
	ev.dc_flags = more ? CXLDCD_DC_EVF_MORE : 0;
	if (x)
		ev.dc_extent = *x;
	ev.dc_avail_extents = c.avail_extents;
	ev.dc_avail_tags = c.avail_tags;
	evlog_append(dev, owner, CXLDCD_LOG_DC, &ev);
}

/* ------------------------------------------------------------ public */

enum cxldcd_rc core_evlog_get(const struct cxldcd_dev *dev, uint16_t owner, uint8_t log, uint32_t max,
			      struct cxldcd_event *out, uint32_t *nr_out, struct core_evlog_status *st)
{
	const struct evlog *l = get_log(dev, owner, log);
	uint32_t i;

	*nr_out = 0;
	if (!l)
		return CXLDCD_RC_INVALID_INPUT;
	for (i = 0; i < max && i < l->count; i++)
		out[i] = l->rec[(l->head + i) % l->cap];
	*nr_out = i;
	if (st) {
		st->overflow = l->overflow;
		st->overflow_count = l->ovf_count;
		st->first_overflow_ns = l->ovf_first;
		st->last_overflow_ns = l->ovf_last;
		st->more = l->count > i;
	}
	return CXLDCD_RC_SUCCESS;
}

static void reset_overflow(struct evlog *l)
{
	l->overflow = false;
	l->ovf_count = 0;
	l->ovf_first = l->ovf_last = 0;
}

enum cxldcd_rc core_evlog_clear(struct cxldcd_dev *dev, uint16_t owner, uint8_t log, bool clear_all,
				const uint16_t *handles, uint32_t n, struct cxldcd_diag *diag)
{
	struct evlog *l = get_log(dev, owner, log);

	if (!l)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "owner=%u log=%u invalid", owner, log);
	if (clear_all) {
		if (!l->overflow)
			return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1,
					 "clear all allowed only after overflow log=%u", log);
		l->head = l->count = 0;
		reset_overflow(l);
		return CXLDCD_RC_SUCCESS;
	}
	if (n > l->count)
		return core_diag(diag, CXLDCD_RC_INVALID_HANDLE, -1,
				 "%u handles but log=%u holds %u records", n, log, l->count);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t want = l->rec[(l->head + i) % l->cap].handle;

		if (!handles[i] || handles[i] != want)
			return core_diag(diag, CXLDCD_RC_INVALID_HANDLE, (int32_t)i,
					 "handle=%u not the next oldest record (handle=%u)",
					 handles[i], want);
	}
	if (!n)
		return CXLDCD_RC_SUCCESS;
	l->head = (l->head + n) % l->cap;
	l->count -= n;
	reset_overflow(l);
	return CXLDCD_RC_SUCCESS;
}

uint32_t core_evlog_count(const struct cxldcd_dev *dev, uint16_t owner, uint8_t log)
{
	const struct evlog *l = get_log(dev, owner, log);

	return l ? l->count : 0;
}

uint32_t core_evlog_status_bits(const struct cxldcd_dev *dev, uint16_t owner)
{
	uint32_t bits = 0;

	for (uint8_t k = 0; k < CXLDCD_NR_LOGS; k++) {
		const struct evlog *l = get_log(dev, owner, k);

		if (l && l->count)
			bits |= 1u << k;
	}
	return bits;
}

enum cxldcd_rc core_evlog_inject(struct cxldcd_dev *dev, uint16_t owner, uint8_t log,
				 const struct cxldcd_event *ev)
{
	struct evlog *l = get_log(dev, owner, log);
	struct cxldcd_event copy = *ev;

	if (!l)
		return CXLDCD_RC_INVALID_INPUT;
	if (evlog_reserve(dev, owner, log, 1))
		return CXLDCD_RC_INTERNAL_ERROR;
	evlog_append(dev, owner, log, &copy);
	return CXLDCD_RC_SUCCESS;
}

void core_irq_policy_get(const struct cxldcd_dev *dev, uint16_t owner, uint8_t out[CXLDCD_NR_LOGS])
{
	int i = owner_idx(dev, owner);

	memset(out, 0, CXLDCD_NR_LOGS);
	if (i >= 0)
		memcpy(out, dev->owners[i].irq, CXLDCD_NR_LOGS);
}

enum cxldcd_rc core_irq_policy_set(struct cxldcd_dev *dev, uint16_t owner, const uint8_t *in, size_t n,
				   struct cxldcd_diag *diag)
{
	int o = owner_idx(dev, owner);

	if (o < 0)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "owner=%u invalid", owner);
	if (n != 4 && n != 5)
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "policy length=%zu not 4 or 5", n);
	for (size_t k = 0; k < n; k++) {
		unsigned mode = in[k] & 3u;

		/* Mode 11b is reserved everywhere; 10b (FW interrupt) is reserved for the DC log. */
		if (mode == 3 || (k == CXLDCD_LOG_DC && mode == 2))
			return core_diag(diag, CXLDCD_RC_INVALID_INPUT, (int32_t)k,
					 "log=%zu interrupt mode=%u reserved", k, mode);
	}
	memcpy(dev->owners[o].irq, in, n);
	return CXLDCD_RC_SUCCESS;
}

size_t evlog_bytes(const struct cxldcd_dev *dev)
{
	size_t n = 0;

	for (uint32_t o = 0; dev->owners && o <= dev->cfg.nr_hosts; o++)
		for (unsigned k = 0; k < CXLDCD_NR_LOGS; k++)
			if (dev->owners[o].logs[k].rec)
				n += core_bulk_span(dev, sizeof(struct cxldcd_event) * dev->owners[o].logs[k].cap);
	return n;
}
