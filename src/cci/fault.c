/* SPDX-License-Identifier: MIT */
/*
 * fault.c - fault injection on one CCI (see fault.h): rewrites successful
 * Get Event Records (0100h) and Get DC Extent List (4801h) responses after
 * the handler encoded them.
 *
 * Chain faults act on Add Capacity chains of the DC log: the context follows
 * the chain across responses (the records it sent, by the device's own More
 * flags), latches the chain faults that are on at the chain's first record,
 * and counts one occurrence per chain at its closing record.  Count faults
 * act on one whole response and count one occurrence per response.
 *
 * A record read twice (the host did not clear it) is rewritten again as if it
 * were new.  The model is only read (region geometry, the host's accepted
 * tags), never changed.
 */
#include "cci/fault.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cci/cmd.h"
#include "cci/dcd.h"
#include "cci/events.h"

#define CHAIN_FAULTS                                                                  \
	(CCI_FAULT_BIT(CCI_FAULT_UNCLOSED_CHAIN) | CCI_FAULT_BIT(CCI_FAULT_DUPLICATE_TAG) | \
	 CCI_FAULT_BIT(CCI_FAULT_SEQUENCE_GAP) | CCI_FAULT_BIT(CCI_FAULT_BOGUS_EXTENT_LEN) | \
	 CCI_FAULT_BIT(CCI_FAULT_BOGUS_REGION))

/* duplicate-tag with no tag to copy: this one, for two consecutive chains. */
static const uint8_t fixed_tag[CXLDCD_TAG_SIZE] = { 0xfa, 0x17, 0x7a, 0x90, 0x00, 0x00, 0x40, 0x00,
						    0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };

static const char *const names[CCI_NR_FAULTS] = {
	[CCI_FAULT_UNCLOSED_CHAIN] = "unclosed-chain",
	[CCI_FAULT_DUPLICATE_TAG] = "duplicate-tag",
	[CCI_FAULT_SEQUENCE_GAP] = "sequence-gap",
	[CCI_FAULT_BOGUS_EXTENT_LEN] = "bogus-extent-len",
	[CCI_FAULT_BOGUS_REGION] = "bogus-region",
	[CCI_FAULT_BOGUS_EVENT_COUNT] = "bogus-event-count",
	[CCI_FAULT_BOGUS_EXTENT_COUNT] = "bogus-extent-count",
	[CCI_FAULT_BOGUS_EXTENT_TOTAL] = "bogus-extent-total",
};

struct cci_fault_state {
	struct cci_faults set;
	/* the Add Capacity chain being sent */
	bool in_chain;
	uint32_t chain_mask;        /* chain faults latched at its first record */
	uint32_t chain_pos;         /* records of the chain sent so far */
	uint16_t first_seq;         /* Shared Extent Sequence of its first record, as sent */
	bool dup_primed;            /* the chain carries fixed_tag: not an occurrence yet */
	uint8_t dup_tag[CXLDCD_TAG_SIZE];
	/* tag of the last tagged Add Capacity record sent (0 = none) */
	bool have_last;
	uint8_t last_tag[CXLDCD_TAG_SIZE];
};

/* ------------------------------------------------------------ names and sets */

const char *cci_fault_name(enum cci_fault f)
{
	return (unsigned)f < CCI_NR_FAULTS ? names[f] : NULL;
}

int cci_fault_parse(const char *name, enum cci_fault *out)
{
	if (!name || !out)
		return -EINVAL;
	for (unsigned i = 0; i < CCI_NR_FAULTS; i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum cci_fault)i;
			return 0;
		}
	}
	return -EINVAL;
}

int cci_faults_add(struct cci_faults *set, enum cci_fault f, uint32_t count)
{
	if (!set || (unsigned)f >= CCI_NR_FAULTS)
		return -EINVAL;
	set->mask |= CCI_FAULT_BIT(f);
	set->remaining[f] = count;
	return 0;
}

int cci_ctx_set_faults(struct cci_ctx *ctx, const struct cci_faults *f)
{
	struct cci_fault_state *st;

	if (!ctx || (f && (f->mask & ~CCI_FAULT_ALL)))
		return -EINVAL;
	if (!f || !f->mask) {
		if (ctx->faults)
			memset(&ctx->faults->set, 0, sizeof(ctx->faults->set));
		return 0;
	}
	if (!ctx->faults) {
		ctx->faults = calloc(1, sizeof(*ctx->faults));
		if (!ctx->faults)
			return -ENOMEM;
	}
	st = ctx->faults;
	st->set.mask = f->mask;
	for (unsigned i = 0; i < CCI_NR_FAULTS; i++)
		st->set.remaining[i] = (f->mask & CCI_FAULT_BIT(i)) ? f->remaining[i] : 0;
	return 0;
}

void cci_ctx_get_faults(const struct cci_ctx *ctx, struct cci_faults *out)
{
	memset(out, 0, sizeof(*out));
	if (ctx && ctx->faults)
		*out = ctx->faults->set;
}

void cci_fault_fini(struct cci_ctx *ctx)
{
	free(ctx->faults);
	ctx->faults = NULL;
}

/* One occurrence of f happened: count it down, off at zero (0 = until cleared). */
static void consume(struct cci_fault_state *st, enum cci_fault f)
{
	if (!(st->set.mask & CCI_FAULT_BIT(f)) || !st->set.remaining[f])
		return;
	if (--st->set.remaining[f] == 0)
		st->set.mask &= ~CCI_FAULT_BIT(f);
}

/* ------------------------------------------------------------ chain faults */

static bool tag_null(const uint8_t *tag)
{
	for (unsigned i = 0; i < CXLDCD_TAG_SIZE; i++)
		if (tag[i])
			return false;
	return true;
}

/* A tag the host has: one of its accepted extents', else the last one sent here. */
static bool pick_dup_tag(const struct cci_ctx *ctx, const struct cci_fault_state *st,
			 uint8_t tag[CXLDCD_TAG_SIZE])
{
	struct cxldcd_extent buf[32];
	uint32_t start = 0, n = 0;

	while (ctx->owner != CORE_OWNER_FM &&
	       core_extent_list(ctx->dev, ctx->owner, start, 32, buf, &n) == CXLDCD_RC_SUCCESS && n) {
		for (uint32_t i = 0; i < n; i++) {
			if (!tag_null(buf[i].tag)) {
				memcpy(tag, buf[i].tag, CXLDCD_TAG_SIZE);
				return true;
			}
		}
		start += n;
	}
	if (st->have_last)
		memcpy(tag, st->last_tag, CXLDCD_TAG_SIZE);
	return st->have_last;
}

static void chain_open(struct cci_ctx *ctx, struct cci_fault_state *st)
{
	st->in_chain = true;
	st->chain_pos = 0;
	st->chain_mask = st->set.mask & CHAIN_FAULTS;
	st->dup_primed = false;
	if ((st->chain_mask & CCI_FAULT_BIT(CCI_FAULT_DUPLICATE_TAG)) &&
	    !pick_dup_tag(ctx, st, st->dup_tag)) {
		memcpy(st->dup_tag, fixed_tag, CXLDCD_TAG_SIZE);
		st->dup_primed = true;
	}
}

/* Length that ends one block past the end of the region holding the extent. */
static void past_region_end(const struct cci_ctx *ctx, struct cxldcd_extent *e)
{
	struct core_region_info ri;
	int r = core_region_of(ctx->dev, e->dpa, e->len);
	uint64_t end, len;

	if (r < 0 || core_region_get(ctx->dev, (uint8_t)r, &ri) ||
	    __builtin_add_overflow(ri.base, ri.len, &end) ||
	    __builtin_add_overflow(end - e->dpa, ri.block_size, &len))
		return;
	e->len = len;
}

static uint64_t block_of(const struct cci_ctx *ctx, const struct cxldcd_extent *e)
{
	struct core_region_info ri;
	int r = core_region_of(ctx->dev, e->dpa, e->len);

	if (r < 0 || core_region_get(ctx->dev, (uint8_t)r, &ri) || !ri.block_size)
		return CXLDCD_MIN_BLOCK_SIZE;
	return ri.block_size;
}

/* Rewrite one Add Capacity record of the current chain; close the chain at More=0. */
static void chain_record(struct cci_ctx *ctx, struct cci_fault_state *st, struct cxldcd_event *ev)
{
	uint32_t on = st->chain_mask & st->set.mask;
	bool last = !(ev->dc_flags & CXLDCD_DC_EVF_MORE);
	struct cxldcd_extent *e = &ev->dc_extent;

	if (on & CCI_FAULT_BIT(CCI_FAULT_DUPLICATE_TAG))
		memcpy(e->tag, st->dup_tag, CXLDCD_TAG_SIZE);
	if (st->chain_pos == 0)
		st->first_seq = e->shared_seq;
	else if (on & CCI_FAULT_BIT(CCI_FAULT_SEQUENCE_GAP))
		e->shared_seq = (uint16_t)(st->first_seq + st->chain_pos + 1u);
	if ((on & CCI_FAULT_BIT(CCI_FAULT_BOGUS_EXTENT_LEN)) && e->len <= UINT64_MAX / 2)
		e->len += block_of(ctx, e) / 2;
	if (on & CCI_FAULT_BIT(CCI_FAULT_BOGUS_REGION))
		past_region_end(ctx, e);
	if (last && (on & CCI_FAULT_BIT(CCI_FAULT_UNCLOSED_CHAIN)))
		ev->dc_flags |= CXLDCD_DC_EVF_MORE;
	if (!tag_null(e->tag)) {
		memcpy(st->last_tag, e->tag, CXLDCD_TAG_SIZE);
		st->have_last = true;
	}
	st->chain_pos++;
	if (!last)
		return;
	st->in_chain = false;
	if (on & CCI_FAULT_BIT(CCI_FAULT_UNCLOSED_CHAIN))
		consume(st, CCI_FAULT_UNCLOSED_CHAIN);
	if ((on & CCI_FAULT_BIT(CCI_FAULT_DUPLICATE_TAG)) && !st->dup_primed)
		consume(st, CCI_FAULT_DUPLICATE_TAG);
	if ((on & CCI_FAULT_BIT(CCI_FAULT_SEQUENCE_GAP)) && st->chain_pos >= 2)
		consume(st, CCI_FAULT_SEQUENCE_GAP);
	if (on & CCI_FAULT_BIT(CCI_FAULT_BOGUS_EXTENT_LEN))
		consume(st, CCI_FAULT_BOGUS_EXTENT_LEN);
	if (on & CCI_FAULT_BIT(CCI_FAULT_BOGUS_REGION))
		consume(st, CCI_FAULT_BOGUS_REGION);
}

/* ------------------------------------------------------------ responses */

/*
 * Get Event Records output (Table 8-65): Event Record Count at 0x14, records
 * of 0x80 bytes from 0x20.  Each DC-log Add Capacity record is decoded,
 * rewritten and encoded back in place (same size).
 */
static void get_events(struct cci_ctx *ctx, struct cci_fault_state *st, const uint8_t *in,
		       size_t in_len, uint8_t *out, size_t out_len)
{
	uint16_t n;

	if (out_len < CCI_GET_EVENTS_HDR)
		return;
	n = get_le16(out + 0x14);
	if ((size_t)n * CXLDCD_EVENT_RECORD_SIZE != out_len - CCI_GET_EVENTS_HDR)
		return;
	for (uint16_t i = 0; in_len == 1 && in[0] == CXLDCD_LOG_DC && i < n; i++) {
		uint8_t *rec = out + CCI_GET_EVENTS_HDR + (size_t)i * CXLDCD_EVENT_RECORD_SIZE;
		struct cxldcd_event ev;
		struct wrd r;
		struct wwr w;

		wrd_init(&r, rec, CXLDCD_EVENT_RECORD_SIZE);
		cci_dec_event(&r, &ev);
		if (!cci_event_is_dc(ev.uuid) || ev.dc_type != CXLDCD_DC_EV_ADD_CAPACITY) {
			st->in_chain = false;   /* a chain is contiguous (Table 8-62) */
			continue;
		}
		if (!st->in_chain)
			chain_open(ctx, st);
		chain_record(ctx, st, &ev);
		wwr_init(&w, rec, CXLDCD_EVENT_RECORD_SIZE);
		cci_enc_event(&w, &ev);
	}
	if ((st->set.mask & CCI_FAULT_BIT(CCI_FAULT_BOGUS_EVENT_COUNT)) && n < UINT16_MAX) {
		put_le16(out + 0x14, (uint16_t)(n + 1u));
		consume(st, CCI_FAULT_BOGUS_EVENT_COUNT);
	}
}

/* Get DC Extent List output (Table 8-182): Returned at 0x00, Total at 0x04. */
static void get_extents(struct cci_fault_state *st, uint8_t *out, size_t out_len)
{
	uint32_t v;

	if (out_len < CCI_EXTENT_LIST_HDR)
		return;
	if ((st->set.mask & CCI_FAULT_BIT(CCI_FAULT_BOGUS_EXTENT_COUNT)) &&
	    (v = get_le32(out)) < UINT32_MAX) {
		put_le32(out, v + 1u);
		consume(st, CCI_FAULT_BOGUS_EXTENT_COUNT);
	}
	if ((st->set.mask & CCI_FAULT_BIT(CCI_FAULT_BOGUS_EXTENT_TOTAL)) &&
	    (v = get_le32(out + 4)) < UINT32_MAX) {
		put_le32(out + 4, v + 1u);
		consume(st, CCI_FAULT_BOGUS_EXTENT_TOTAL);
	}
}

void cci_fault_apply(struct cci_ctx *ctx, uint16_t opcode, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t out_len)
{
	struct cci_fault_state *st = ctx->faults;

	if (!st || (!st->set.mask && !st->in_chain))
		return;
	if (opcode == CXLDCD_OP_GET_EVENT_RECORDS)
		get_events(ctx, st, in, in_len, out, out_len);
	else if (opcode == CXLDCD_OP_GET_DC_EXTENT_LIST)
		get_extents(st, out, out_len);
}
