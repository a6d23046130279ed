/* SPDX-License-Identifier: MIT */
/*
 * bringup.c - what a Linux DCD host does before it handles events
 * (shared/docs/host-semantics.md "Bring-up"):
 *   1. Command Effects Log (0400h, 0401h in chunks): 4800h-4803h supported
 *      (none of them: a device without DC regions, ready at once);
 *   2. Get DC Configuration (4800h) until every region is read, with the
 *      driver's region checks;
 *   3. DC event interrupt policy (0102h, then the 5-byte form of 0103h);
 *   4. Get DC Extent List (4801h) in chunks, restarting (up to 10 times) when
 *      the generation or the total changes, or a chunk starts past a total
 *      that shrank (Invalid Input); the extents found are surfaced
 *      again WITHOUT an Add DC Response, and the DC log is drained only
 *      after this scan (new Add events wait).
 * Later, a Region Configuration Updated record reads 4800h again (step 2
 * alone), and a DC log overflow reads 4801h again (step 4, reconciled with
 * the groups held instead of replayed).
 * Every step is a queued command whose continuation starts the next one.
 * Calls link.c, segments.c, groups.c and events.c (host-int.h gives the
 * order).
 * Device answers are untrusted: counts are checked against what was asked
 * and what the payload holds before anything is allocated or copied.
 */
#include "host/host-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cci/dcd.h"
#include "cci/events.h"
#include "cci/generic.h"

static void cel_next(struct cxldcd_host *h);
static void config_send(struct cxldcd_host *h, uint8_t start, bool reread, uint8_t updated);
static void scan_next(struct cxldcd_host *h, uint32_t start);
static void reconcile(struct cxldcd_host *h);

static bool failed_rc(struct cxldcd_host *h, uint16_t opcode, int err, uint16_t rc)
{
	if (err)
		return true;
	if (rc) {
		host_emit_rc(h, opcode, rc, "bring-up");
		host_fail(h, -EIO, "bring-up command failed");
		return true;
	}
	return false;
}

static void bad_device(struct cxldcd_host *h, int err, const char *why)
{
	host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, 0, 0, "%s", why);
	host_fail(h, err, why);
}

static void ready(struct cxldcd_host *h)
{
	h->state = CXLDCD_HOST_READY;
	host_emit(h, CXLDCD_HOST_EV_READY, NULL, 0, 0, "host=%u regions=%u", h->cfg.host_id,
		  h->nr_regions);
	/* Drain once: records may predate this connection (no IRQ for them). */
	h->irq_pending = false;
	events_irq(h);
}

/* ------------------------------------------------------------ CEL */

static void done_logs(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
		      const uint8_t *out, size_t len)
{
	struct cci_log_entry e[32];
	uint16_t n;

	if (failed_rc(h, c->opcode, err, rc))
		return;
	if (cci_dec_supported_logs_out(out, len, e, 32, &n)) {
		bad_device(h, -EPROTO, "malformed get supported logs output");
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		if (memcmp(e[i].uuid, cci_cel_uuid, 16))
			continue;
		if (!e[i].size || e[i].size % CCI_CEL_ENTRY_SIZE || e[i].size > HOST_MAX_CEL) {
			bad_device(h, -EPROTO, "command effects log size is bogus");
			return;
		}
		h->cel = malloc(e[i].size);
		if (!h->cel) {
			host_fail(h, -ENOMEM, "out of memory");
			return;
		}
		h->cel_size = e[i].size;
		h->cel_got = 0;
		cel_next(h);
		return;
	}
	bad_device(h, -EOPNOTSUPP, "device has no command effects log");
}

static void start_config(struct cxldcd_host *h)
{
	bool have[4] = { false };
	struct wrd r;

	wrd_init(&r, h->cel, h->cel_size);
	while (wrd_left(&r) >= CCI_CEL_ENTRY_SIZE) {
		struct cci_cel_entry e;

		cci_dec_cel_entry(&r, &e);
		if (e.opcode >= CXLDCD_OP_GET_DC_CONFIG && e.opcode <= CXLDCD_OP_RELEASE_DC)
			have[e.opcode - CXLDCD_OP_GET_DC_CONFIG] = true;
	}
	free(h->cel);
	h->cel = NULL;
	h->nr_regions = 0;
	/*
	 * None of them: a memory device without DC regions (QEMU's cxl-type3
	 * with static capacity only), ready with its static capacity as Linux
	 * runs a memdev without DCD support.  Some only: a broken device.
	 */
	if (!have[0] && !have[1] && !have[2] && !have[3]) {
		ready(h);
		return;
	}
	for (int i = 0; i < 4; i++) {
		if (!have[i]) {
			bad_device(h, -EOPNOTSUPP, "device does not support 4800h-4803h");
			return;
		}
	}
	config_send(h, 0, false, 0);
}

static void done_cel(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
		     const uint8_t *out, size_t len)
{
	if (failed_rc(h, c->opcode, err, rc))
		return;
	if (len != c->k.u.cel.chunk) {
		bad_device(h, -EPROTO, "get log returned a length other than asked");
		return;
	}
	memcpy(h->cel + h->cel_got, out, len);
	h->cel_got += (uint32_t)len;
	if (h->cel_got < h->cel_size)
		cel_next(h);
	else
		start_config(h);
}

static void cel_next(struct cxldcd_host *h)
{
	uint32_t chunk = h->cel_size - h->cel_got;
	struct cci_get_log_in in;
	uint8_t buf[CCI_GET_LOG_IN_SIZE];
	struct wwr w;

	if (chunk > h->mbox)
		chunk = h->mbox;
	memcpy(in.uuid, cci_cel_uuid, 16);
	in.offset = h->cel_got;
	in.length = chunk;
	wwr_init(&w, buf, sizeof(buf));
	cci_enc_get_log_in(&w, &in);
	host_cmd(h, CXLDCD_OP_GET_LOG, buf, w.off, done_cel,
		 (struct cont){ .kind = K_CEL, .u.cel = { .chunk = chunk } });
}

void bringup_start(struct cxldcd_host *h)
{
	host_cmd(h, CXLDCD_OP_GET_SUPPORTED_LOGS, NULL, 0, done_logs,
		 (struct cont){ .kind = K_NONE });
}

/* ------------------------------------------------------------ regions */

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Linux cxl_dc_check(): the checks shared/docs/host-semantics.md lists. */
static int check_region(const struct cxldcd_host *h, uint8_t i, char *why, size_t cap)
{
	const struct host_region *r = &h->regions[i];
	uint64_t end;

	if (!pow2(r->block_size) || r->block_size % CXLDCD_MIN_BLOCK_SIZE)
		snprintf(why, cap, "region=%u block_size=0x%llx invalid", i,
			 (unsigned long long)r->block_size);
	else if (r->base % CXLDCD_REGION_ALIGN || r->base % r->block_size)
		snprintf(why, cap, "region=%u base=0x%llx not aligned", i,
			 (unsigned long long)r->base);
	else if (!r->decode_len || !r->len || r->decode_len < r->len)
		snprintf(why, cap, "region=%u decode_len=0x%llx len=0x%llx invalid", i,
			 (unsigned long long)r->decode_len, (unsigned long long)r->len);
	else if (r->len % r->block_size)
		snprintf(why, cap, "region=%u len=0x%llx not a block multiple", i,
			 (unsigned long long)r->len);
	else if (__builtin_add_overflow(r->base, r->decode_len, &end))
		snprintf(why, cap, "region=%u overflows", i);
	else if (i && h->regions[i - 1].base + h->regions[i - 1].decode_len > r->base)
		snprintf(why, cap, "region=%u base=0x%llx not after region=%u", i,
			 (unsigned long long)r->base, i - 1);
	else
		return 0;
	return -EINVAL;
}

static void start_policy(struct cxldcd_host *h);

static void done_config(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
			const uint8_t *out, size_t len)
{
	struct cci_dc_config_out o;
	uint8_t start = c->k.u.config.start;
	char why[160];

	if (failed_rc(h, c->opcode, err, rc))
		return;
	if (cci_dec_dc_config_out(out, len, &o)) {
		bad_device(h, -EPROTO, "malformed get dc configuration output");
		return;
	}
	if (!o.avail_regions || o.avail_regions > CXLDCD_MAX_REGIONS) {
		snprintf(why, sizeof(why), "device reports %u dc regions", o.avail_regions);
		bad_device(h, -EINVAL, why);
		return;
	}
	if (!o.returned || o.returned > c->k.u.config.count || start + o.returned > o.avail_regions ||
	    (start && o.avail_regions != h->nr_regions)) {
		bad_device(h, -EPROTO, "get dc configuration returned an inconsistent count");
		return;
	}
	h->nr_regions = o.avail_regions;
	for (uint8_t i = 0; i < o.returned; i++) {
		struct host_region *r = &h->regions[start + i];

		r->base = o.regions[i].base;
		r->decode_len = o.regions[i].decode_len;
		r->len = o.regions[i].len;
		r->block_size = o.regions[i].block_size;
		if (check_region(h, (uint8_t)(start + i), why, sizeof(why))) {
			bad_device(h, -EINVAL, why);
			return;
		}
	}
	if (start + o.returned < o.avail_regions)
		config_send(h, (uint8_t)(start + o.returned), c->k.u.config.reread,
			    c->k.u.config.updated);
	else if (c->k.u.config.reread)
		host_emit(h, CXLDCD_HOST_EV_REGION_UPDATED, NULL, 0, 0, "region=%u block_size=0x%llx",
			  c->k.u.config.updated, c->k.u.config.updated < h->nr_regions
			  ? (unsigned long long)h->regions[c->k.u.config.updated].block_size : 0ull);
	else
		start_policy(h);
}

void bringup_reread_config(struct cxldcd_host *h, uint8_t region)
{
	config_send(h, 0, true, region);
}

static void config_send(struct cxldcd_host *h, uint8_t start, bool reread, uint8_t updated)
{
	uint32_t fit = (h->mbox - CCI_DC_CONFIG_HDR - CCI_DC_TRAILER_SIZE) / CXLDCD_DC_REGION_CFG_SIZE;
	struct cci_dc_config_in in = { .start_region = start };
	uint8_t buf[CCI_DC_CONFIG_IN_SIZE];
	struct wwr w;

	in.region_count = (uint8_t)(fit < CXLDCD_MAX_REGIONS ? fit : CXLDCD_MAX_REGIONS);
	wwr_init(&w, buf, sizeof(buf));
	cci_enc_dc_config_in(&w, &in);
	host_cmd(h, CXLDCD_OP_GET_DC_CONFIG, buf, w.off, done_config,
		 (struct cont){ .kind = K_CONFIG,
				.u.config = { .start = start, .count = in.region_count,
					      .reread = reread, .updated = updated } });
}

/* ------------------------------------------------------------ interrupt policy */

static void done_set_policy(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
			    const uint8_t *out, size_t len)
{
	(void)out;
	(void)len;
	if (failed_rc(h, c->opcode, err, rc))
		return;
	h->scan_tries = 0;
	scan_next(h, 0);
}

static void done_get_policy(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
			    const uint8_t *out, size_t len)
{
	struct cci_irq_policy pol;
	uint8_t buf[CCI_IRQ_POLICY_SIZE];
	struct wwr w;

	if (failed_rc(h, c->opcode, err, rc))
		return;
	if (cci_dec_irq_policy(out, len, &pol) || pol.n != CCI_IRQ_POLICY_SIZE) {
		bad_device(h, -EPROTO, "malformed get event interrupt policy output");
		return;
	}
	/* DC log: MSI/MSI-X (01b), message number 0; the other logs unchanged. */
	pol.mode[CXLDCD_LOG_DC] = 0x01;
	wwr_init(&w, buf, sizeof(buf));
	cci_enc_irq_policy(&w, &pol);
	host_cmd(h, CXLDCD_OP_SET_EVENT_INTERRUPT_POLICY, buf, w.off, done_set_policy,
		 (struct cont){ .kind = K_NONE });
}

static void start_policy(struct cxldcd_host *h)
{
	host_cmd(h, CXLDCD_OP_GET_EVENT_INTERRUPT_POLICY, NULL, 0, done_get_policy,
		 (struct cont){ .kind = K_NONE });
}

/* ------------------------------------------------------------ extent scan */

/* Surface one tag group of the scan without Add DC Response.  Return false when the host failed. */
static bool replay_group(struct cxldcd_host *h, const struct cxldcd_extent *e, uint32_t k)
{
	uint8_t region;
	char why[160];
	struct group *g;

	if (events_check_group(h, e, k, &region, why, sizeof(why))) {
		host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, e[0].dpa, e[0].len,
			  "existing extent not surfaced: %s", why);
		return true;
	}
	g = group_new(h, e, k, region);
	if (!g)
		return false;
	g->info.replayed = true;
	group_activate(h, g);
	events_group_added(h, g);
	return true;
}

/* Surface the scanned extents as tag groups, without Add DC Response. */
static void replay(struct cxldcd_host *h)
{
	uint32_t n = h->scan_nr, *order = calloc(n ? n : 1, sizeof(uint32_t));
	uint32_t *start = calloc(n + 1, sizeof(uint32_t));
	struct cxldcd_extent *e = calloc(n ? n : 1, sizeof(*e));
	int ng = -ENOMEM;

	if (order && start && e)
		ng = events_tag_groups(h->scan, n, order, start);
	if (ng < 0) {
		free(order);
		free(start);
		free(e);
		host_fail(h, -ENOMEM, "out of memory");
		return;
	}
	for (int gi = 0; gi < ng; gi++) {
		uint32_t k = 0;

		for (uint32_t j = start[gi]; j < start[gi + 1]; j++)
			e[k++] = h->scan[order[j]];
		if (!replay_group(h, e, k))
			break;
	}
	free(order);
	free(start);
	free(e);
	free(h->scan);
	h->scan = NULL;
	if (h->state == CXLDCD_HOST_FAILED)
		return;
	ready(h);
}

/* ------------------------------------------------------------ re-read after overflow */

static int cmp_dpa(const void *a, const void *b)
{
	uint64_t x = ((const struct cxldcd_extent *)a)->dpa, y = ((const struct cxldcd_extent *)b)->dpa;

	return x < y ? -1 : x > y;
}

/* The first of the n listed extents (sorted by DPA) that ends after dpa. */
static uint32_t listed_from(const struct cxldcd_extent *l, uint32_t n, uint64_t dpa)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (l[mid].dpa + l[mid].len <= dpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Append to *gone the parts of x (an extent the host holds) that no listed
 * extent covers.  Return 0 or -ENOMEM.
 */
static int unlisted_parts(const struct cxldcd_extent *l, uint32_t n, const struct ext_node *x,
			  const uint8_t *tag, struct cxldcd_extent **gone, uint32_t *ng, uint32_t *cap)
{
	uint64_t pos = x->rn.start, end = x->rn.start + x->rn.len;

	for (uint32_t j = listed_from(l, n, pos); pos < end; j++) {
		uint64_t stop = j < n && l[j].dpa < end ? l[j].dpa : end;

		if (stop > pos) {
			if (*ng == *cap) {
				uint32_t nc = *cap ? 2 * *cap : 8;
				struct cxldcd_extent *nw = realloc(*gone, nc * sizeof(*nw));

				if (!nw)
					return -ENOMEM;
				*gone = nw;
				*cap = nc;
			}
			(*gone)[*ng] = (struct cxldcd_extent){ .dpa = pos, .len = stop - pos };
			memcpy((*gone)[(*ng)++].tag, tag, CXLDCD_TAG_SIZE);
		}
		if (j >= n || l[j].dpa >= end)
			break;
		pos = l[j].dpa + l[j].len > pos ? l[j].dpa + l[j].len : pos;
	}
	return 0;
}

/*
 * The re-read list is what the device holds for the host.  What an active
 * group holds as accepted and the list lacks was force-released with its
 * record lost (and its UNMAP, which revokes it otherwise): revoke it exactly
 * as the record would have (release_forced()).
 * Listed extents no group holds are left alone (the host gave them up,
 * or is giving them up).  Collected first: revoking splits extents.
 */
static void reconcile(struct cxldcd_host *h)
{
	struct cxldcd_extent *gone = NULL;
	uint32_t ng = 0, cap = 0;
	int err = 0;

	h->rescanning = false;
	qsort(h->scan, h->scan_nr, sizeof(*h->scan), cmp_dpa);
	for (struct rnode *n = rindex_first(&h->extents); n && !err; n = rindex_next(n)) {
		const struct ext_node *x = rnode_entry(n, struct ext_node, rn);

		if (x->st == X_ACCEPTED && x->g->state == G_ACTIVE)
			err = unlisted_parts(h->scan, h->scan_nr, x, x->g->ext[x->idx].tag, &gone,
					     &ng, &cap);
	}
	free(h->scan);
	h->scan = NULL;
	if (err) {
		free(gone);
		host_fail(h, -ENOMEM, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < ng && h->state != CXLDCD_HOST_FAILED; i++) {
		host_log(h, LOG_WARNING, "dpa=0x%llx len=0x%llx no longer listed by the device: "
			 "its forced release record was lost", (unsigned long long)gone[i].dpa,
			 (unsigned long long)gone[i].len);
		release_forced(h, &gone[i]);
	}
	free(gone);
	/* a group an UNMAP (reason revoked) emptied whose record was lost */
	if (h->state != CXLDCD_HOST_FAILED)
		release_sweep(h);
	if (h->state != CXLDCD_HOST_FAILED)
		events_rescan_done(h);
}

void bringup_rescan(struct cxldcd_host *h)
{
	h->rescanning = true;
	h->scan_tries = 0;
	scan_next(h, 0);
}

static void scan_restart(struct cxldcd_host *h, const char *why)
{
	if (++h->scan_tries > HOST_SCAN_RETRIES) {
		bad_device(h, -EIO, why);
		return;
	}
	host_log(h, LOG_DEBUG, "extent scan restart %d: %s", h->scan_tries, why);
	scan_next(h, 0);
}

static void done_scan(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
		      const uint8_t *out, size_t len)
{
	uint32_t start = c->k.u.scan.start, want = c->k.u.scan.count;
	struct cci_extent_list_out o;
	struct cxldcd_extent *tmp;
	int r;

	if (!err && rc == CXLDCD_RC_INVALID_INPUT && start) {
		/*
		 * CXL r3.2 §8.2.10.9.9.2: a start past the Total Extent Count is
		 * Invalid Input.  The list shrank since the last chunk: the change
		 * a generation number would show, so read it again.
		 */
		scan_restart(h, "extent list shrank past the next chunk");
		return;
	}
	if (failed_rc(h, c->opcode, err, rc))
		return;
	tmp = calloc(want ? want : 1, sizeof(*tmp));
	if (!tmp) {
		host_fail(h, -ENOMEM, "out of memory");
		return;
	}
	r = cci_dec_extent_list_out(out, len, &o, tmp, want);
	if (r) {
		free(tmp);
		bad_device(h, -EPROTO, r == -ENOBUFS ? "extent list returned more than asked"
						      : "malformed or oversized extent list");
		return;
	}
	if (o.total > host_max_extents(h)) {
		char why[160];

		free(tmp);
		snprintf(why, sizeof(why), "oversized extent list: total=%u exceeds %llu (the blocks "
			 "of the dc regions)", o.total, (unsigned long long)host_max_extents(h));
		bad_device(h, -EPROTO, why);
		return;
	}
	if (start == 0) {
		free(h->scan);
		h->scan = calloc(o.total ? o.total : 1, sizeof(*h->scan));
		if (!h->scan) {
			free(tmp);
			host_fail(h, -ENOMEM, "out of memory");
			return;
		}
		h->scan_total = o.total;
		h->scan_gen = o.generation;
		h->scan_nr = 0;
	} else if (o.total != h->scan_total || o.generation != h->scan_gen) {
		free(tmp);
		scan_restart(h, "extent list changed while reading it");
		return;
	}
	if (o.returned > h->scan_total - h->scan_nr || (!o.returned && h->scan_nr < h->scan_total)) {
		free(tmp);
		scan_restart(h, "extent list count inconsistent with its total");
		return;
	}
	memcpy(h->scan + h->scan_nr, tmp, o.returned * sizeof(*tmp));
	h->scan_nr += o.returned;
	free(tmp);
	if (h->scan_nr < h->scan_total)
		scan_next(h, h->scan_nr);
	else if (h->rescanning)
		reconcile(h);
	else
		replay(h);
}

static void scan_next(struct cxldcd_host *h, uint32_t start)
{
	struct cci_extent_list_in in = { .start = start };
	uint8_t buf[CCI_EXTENT_LIST_IN_SIZE];
	struct wwr w;

	in.count = (h->mbox - CCI_EXTENT_LIST_HDR) / CXLDCD_DC_EXTENT_SIZE;
	wwr_init(&w, buf, sizeof(buf));
	cci_enc_extent_list_in(&w, &in);
	host_cmd(h, CXLDCD_OP_GET_DC_EXTENT_LIST, buf, w.off, done_scan,
		 (struct cont){ .kind = K_SCAN, .u.scan = { .start = start, .count = in.count } });
}
