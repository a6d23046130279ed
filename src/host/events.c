/* SPDX-License-Identifier: MIT */
/*
 * events.c - the Dynamic Capacity event handling of a Linux DCD host
 * (shared/docs/host-semantics.md "Add", "Release"):
 *
 *  - drain: Get Event Records (0100h, log 04h), Clear Event Records (0101h)
 *    for the handles read, repeat until a Get returns no record;
 *  - Add Capacity records are staged until More=0 (the chain), dropped when
 *    the chain does not close within chain_timeout_ms, refused whole (empty
 *    Add DC Response) when longer than chain_cap;
 *  - a closed chain is split into tag groups (same non-null tag; each
 *    untagged extent alone), each validated (inside one region, 2 MiB
 *    aligned, no overlap with accepted or other offered capacity, tag unique
 *    host-wide, dense shared sequence, one region), then put through the
 *    accept policy; one Add DC Response (4802h) lists the accepted extents,
 *    More-split when it does not fit the mailbox;
 *  - an Add DC Response refused with Invalid Physical Address means the
 *    device's group is Dead (a forced release of a pending add, CXL r3.2
 *    §8.2.10.9.9.3): the host answers it again with an empty list (reject
 *    all), which the device must accept, and carries on;
 *  - closed Release Capacity chains and Forced Capacity Release records go
 *    to release.c.
 * Calls link.c, groups.c and release.c (host-int.h gives the order).
 */
#include "host/host-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cci/dcd.h"
#include "cci/events.h"

static void start_drain(struct cxldcd_host *h);

/* ------------------------------------------------------------ chains */

void chain_fini(struct chain *c)
{
	free(c->ext);
	memset(c, 0, sizeof(*c));
}

static void chain_reset(struct chain *c)
{
	c->open = false;
	c->count = 0;
	c->nr = 0;
}

/* Stage one record's extent.  Return true when the chain closed. */
static bool chain_push(struct cxldcd_host *h, struct chain *c, const struct cxldcd_event *ev)
{
	if (!c->open) {
		c->open = true;
		c->type = ev->dc_type;
		c->count = 0;
		c->nr = 0;
		c->start_ms = host_now_ms(h);
	}
	if (!c->ext) {
		c->ext = calloc(h->cfg.chain_cap, sizeof(*c->ext));
		if (!c->ext) {
			host_fail(h, -ENOMEM, "out of memory");
			return false;
		}
		c->cap = h->cfg.chain_cap;
	}
	if (c->count < UINT32_MAX)
		c->count++;
	if (c->nr < c->cap)
		c->ext[c->nr++] = ev->dc_extent;
	return !(ev->dc_flags & CXLDCD_DC_EVF_MORE);
}

uint64_t events_deadline(const struct cxldcd_host *h)
{
	uint64_t dl = 0;

	if (h->add_chain.open)
		dl = h->add_chain.start_ms + h->cfg.chain_timeout_ms;
	if (h->drain_retry_ms && (!dl || h->drain_retry_ms < dl))
		dl = h->drain_retry_ms;
	if (h->rel_chain.open) {
		uint64_t d = h->rel_chain.start_ms + h->cfg.chain_timeout_ms;

		if (!dl || d < dl)
			dl = d;
	}
	return dl;
}

/*
 * COMPAT: Linux v11 drops an Add chain that does not close within 20 s and
 * sends nothing for it; a device whose pending group is still waiting must
 * time it out itself.
 */
void events_tick(struct cxldcd_host *h, uint64_t now_ms)
{
	struct chain *cs[2] = { &h->add_chain, &h->rel_chain };

	if (h->drain_retry_ms && now_ms >= h->drain_retry_ms) {
		h->drain_retry_ms = 0;
		events_irq(h);
	}

	for (int i = 0; i < 2; i++) {
		struct chain *c = cs[i];

		if (!c->open || now_ms < c->start_ms + h->cfg.chain_timeout_ms)
			continue;
		h->st.chain_timeouts++;
		host_emit(h, CXLDCD_HOST_EV_CHAIN_TIMEOUT, NULL, c->nr ? c->ext[0].dpa : 0, 0,
			  "%s chain of %u records not closed within %u ms: dropped",
			  c->type == CXLDCD_DC_EV_ADD_CAPACITY ? "add" : "release", c->count,
			  h->cfg.chain_timeout_ms);
		chain_reset(c);
	}
}

/* ------------------------------------------------------------ validation */

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int region_of(const struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	for (uint8_t i = 0; i < h->nr_regions; i++) {
		const struct host_region *r = &h->regions[i];

		if (dpa >= r->base && len <= r->len && dpa - r->base <= r->len - len)
			return i;
	}
	return -1;
}

/*
 * Dense: all zero (unshared, arrival order), or exactly base..base+n-1:
 * n values, each in range and none twice.  -ENOMEM: no scratch.
 */
static int seq_dense(const struct cxldcd_extent *e, uint32_t n, uint16_t base)
{
	bool all_zero = true, ok = true;
	uint8_t *seen;

	for (uint32_t i = 0; i < n; i++)
		all_zero &= e[i].shared_seq == 0;
	if (all_zero)
		return 1;
	seen = calloc(n, 1);
	if (!seen)
		return -ENOMEM;
	for (uint32_t i = 0; i < n && ok; i++) {
		uint32_t v = (uint32_t)e[i].shared_seq - base;

		ok = e[i].shared_seq >= base && v < n && !seen[v];
		if (ok)
			seen[v] = 1;
	}
	free(seen);
	return ok;
}

/* Does extent i meet one of e[0..i-1] (linked in ix as nodes[0..i-1])?  Links it. */
static bool meets_earlier(struct rindex *ix, struct rnode *nodes, const struct cxldcd_extent *e,
			  uint32_t i)
{
	nodes[i] = (struct rnode){ .start = e[i].dpa, .len = e[i].len };
	return rindex_insert(ix, &nodes[i]) != 0;
}

static int check_extent(struct cxldcd_host *h, const struct cxldcd_extent *x, int *r0, char *why,
			size_t cap)
{
	int r = region_of(h, x->dpa, x->len);

	if (!x->len || x->dpa % HOST_EXTENT_ALIGN || x->len % HOST_EXTENT_ALIGN) {
		snprintf(why, cap, "dpa=0x%llx len=0x%llx not 2 MiB aligned",
			 (unsigned long long)x->dpa, (unsigned long long)x->len);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(why, cap, "dpa=0x%llx len=0x%llx not inside one region",
			 (unsigned long long)x->dpa, (unsigned long long)x->len);
		return -EINVAL;
	}
	if (*r0 >= 0 && r != *r0) {
		snprintf(why, cap, "tag group spans regions %d and %d", *r0, r);
		return -EINVAL;
	}
	*r0 = r;
	if (group_overlaps_any(h, x->dpa, x->len)) {
		snprintf(why, cap, "dpa=0x%llx len=0x%llx overlaps accepted capacity",
			 (unsigned long long)x->dpa, (unsigned long long)x->len);
		return -EINVAL;
	}
	return 0;
}

static int check_extents(struct cxldcd_host *h, const struct cxldcd_extent *e, uint32_t n,
			 int *r0, char *why, size_t cap)
{
	struct rnode *nodes = calloc(n ? n : 1, sizeof(*nodes));
	struct rindex ix;
	int rc = 0;

	if (!nodes) {
		snprintf(why, cap, "out of memory");
		return -ENOMEM;
	}
	rindex_init(&ix);
	/* extents that passed are aligned and inside a region: no wrapping ends */
	for (uint32_t i = 0; i < n && !rc; i++) {
		rc = check_extent(h, &e[i], r0, why, cap);
		if (!rc && meets_earlier(&ix, nodes, e, i)) {
			snprintf(why, cap, "dpa=0x%llx overlaps another extent of the group",
				 (unsigned long long)e[i].dpa);
			rc = -EINVAL;
		}
	}
	free(nodes);
	return rc;
}

int events_check_group(struct cxldcd_host *h, const struct cxldcd_extent *e, uint32_t n,
		       uint8_t *region, char *why, size_t cap)
{
	int r0 = -1, rc = check_extents(h, e, n, &r0, why, cap), dense;

	if (rc)
		return rc;
	if (!tag_is_null(e[0].tag) && group_find(h, e[0].tag, 0)) {
		snprintf(why, cap, "tag already in use on this host");
		return -EINVAL;
	}
	dense = seq_dense(e, n, h->cfg.seq_one_based ? 1 : 0);
	if (dense < 0) {
		snprintf(why, cap, "out of memory");
		return dense;
	}
	if (!dense) {
		snprintf(why, cap, "shared sequence of %u extents is not %s", n,
			 h->cfg.seq_one_based ? "1..n" : "0..n-1");
		return -EINVAL;
	}
	*region = (uint8_t)r0;
	return 0;
}

/* ------------------------------------------------------------ tag groups */

struct tagref {
	const uint8_t *tag;
	uint32_t idx;
};

static int cmp_tagref(const void *a, const void *b)
{
	const struct tagref *x = a, *y = b;
	int c = memcmp(x->tag, y->tag, CXLDCD_TAG_SIZE);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* leader[i]: the first extent with i's tag (i itself when untagged).  Return 0 or -ENOMEM. */
static int tag_leaders(const struct cxldcd_extent *e, uint32_t n, uint32_t *leader)
{
	struct tagref *t = calloc(n ? n : 1, sizeof(*t));
	uint32_t nt = 0;

	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		leader[i] = i;
		if (!tag_is_null(e[i].tag))
			t[nt++] = (struct tagref){ e[i].tag, i };
	}
	qsort(t, nt, sizeof(*t), cmp_tagref);
	for (uint32_t i = 1; i < nt; i++)
		if (!memcmp(t[i].tag, t[i - 1].tag, CXLDCD_TAG_SIZE))
			leader[t[i].idx] = leader[t[i - 1].idx];
	free(t);
	return 0;
}

int events_tag_groups(const struct cxldcd_extent *e, uint32_t n, uint32_t *order,
		      uint32_t *start)
{
	uint32_t *leader = calloc(n ? n : 1, sizeof(*leader));
	uint32_t *pos = calloc(n ? n : 1, sizeof(*pos));
	uint32_t ng = 0, off = 0;

	if (!leader || !pos || tag_leaders(e, n, leader)) {
		free(leader);
		free(pos);
		return -ENOMEM;
	}
	/* pos[l]: group size, then where its next extent goes */
	for (uint32_t i = 0; i < n; i++)
		pos[leader[i]]++;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t size = pos[i];

		if (leader[i] != i)
			continue;
		start[ng++] = off;
		pos[i] = off;
		off += size;
	}
	start[ng] = n;
	for (uint32_t i = 0; i < n; i++)
		order[pos[leader[i]]++] = i;
	free(leader);
	free(pos);
	return (int)ng;
}

/* ------------------------------------------------------------ policy */

static uint64_t host_bytes(const struct cxldcd_host *h)
{
	return h->groups_bytes;
}

static bool policy_accepts(struct cxldcd_host *h, const struct group *g, uint64_t *bytes,
			   char *why, size_t cap)
{
	bool ok = false;

	switch (h->cfg.accept) {
	case CXLDCD_HOST_ACCEPT_ALL:
		ok = true;
		break;
	case CXLDCD_HOST_ACCEPT_NONE:
		snprintf(why, cap, "policy none");
		break;
	case CXLDCD_HOST_ACCEPT_TAGS:
		for (uint32_t i = 0; i < h->cfg.nr_accept_tags && g->info.tagged; i++)
			ok |= !memcmp(h->tags[i], g->info.tag, CXLDCD_TAG_SIZE);
		if (!ok)
			snprintf(why, cap, "tag not in the allow-list");
		break;
	case CXLDCD_HOST_ACCEPT_LIMIT:
		ok = *bytes + g->info.size <= h->cfg.accept_limit;
		if (!ok)
			snprintf(why, cap, "capacity limit 0x%llx reached",
				 (unsigned long long)h->cfg.accept_limit);
		break;
	}
	if (ok && h->cfg.accept_fn && !h->cfg.accept_fn(h->cfg.accept_opaque, &g->info)) {
		snprintf(why, cap, "refused by the accept callback");
		ok = false;
	}
	if (ok)
		*bytes += g->info.size;
	return ok;
}

/* ------------------------------------------------------------ Add DC Response */

static void done_add_rsp(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
			 const uint8_t *out, size_t len)
{
	const struct cont_add_rsp *k = &c->k.u.add_rsp;
	uint64_t token = k->token;
	struct group *g, *next;
	const char *reason;
	bool dead = false;
	char why[256];

	(void)out;
	(void)len;
	if (err)
		return;
	if (rc) {
		host_emit_rc(h, c->opcode, rc, k->empty ? "add dc response (empty)"
							 : "add dc response");
		h->failed_token = token;
	}
	if (!k->last) /* not the last part */
		return;
	/*
	 * Invalid PA also answers a response the device matched to another
	 * group (a chain answered before a restart whose records stayed in the
	 * log): an empty answer would then reject that group, unread.  The
	 * device's reason (DIAG), when it gives one, tells a Dead group apart;
	 * without one, Dead is the likely cause.
	 */
	reason = host_diag_reason(h, c->opcode, rc);
	if (rc == CXLDCD_RC_INVALID_PA && !k->empty && (!reason || !strcmp(reason, "group-dead"))) {
		/*
		 * The device's group for this response is Dead (forced release
		 * before the answer) and takes only the empty answer; without it
		 * every later response would go to the same Dead group.  Sent
		 * before anything queued meanwhile, so it answers that group.
		 */
		dead = true;
		h->st.dead_group_answers++;
		host_log(h, LOG_INFO, "add dc response refused with invalid physical address: "
			 "answering that group with an empty list");
		dc_list_send(h, CXLDCD_OP_ADD_DC_RESPONSE, NULL, 0, done_add_rsp,
			     (struct cont){ .kind = K_ADD_RSP,
					    .u.add_rsp = { .token = token, .empty = true } },
			     true);
	}
	/* the queue is in token order: this token's groups come before any later one's */
	for (g = group_first_adding(h); g && g->token <= token; g = next) {
		next = g->anext;
		if (g->token != token)
			continue;
		if (h->failed_token == token) {
			h->st.groups_rejected++;
			host_emit(h, CXLDCD_HOST_EV_GROUP_REJECTED, g, g->ext[0].dpa, g->info.size,
				  "device refused the add dc response (rc=0x%02x)%s%s", rc,
				  dead ? ": group dead, answered empty" : "",
				  host_diag_suffix(h, CXLDCD_OP_ADD_DC_RESPONSE, rc, why, sizeof(why)));
			group_free(h, g);
			continue;
		}
		group_activate(h, g);
		h->st.groups_added++;
		events_group_added(h, g);
	}
}

void events_group_added(struct cxldcd_host *h, const struct group *g)
{
	host_emit(h, CXLDCD_HOST_EV_GROUP_ADDED, g, g->ext[0].dpa, g->info.size,
		  "id=%llu extents=%u size=0x%llx mapped=%s%s", (unsigned long long)g->info.id,
		  g->nr, (unsigned long long)g->info.size, g->map ? "yes" : "no",
		  g->info.replayed ? " replayed" : "");
}

static void send_add_rsp(struct cxldcd_host *h, const struct cxldcd_range *r, uint32_t n,
			 uint64_t token)
{
	dc_list_send(h, CXLDCD_OP_ADD_DC_RESPONSE, r, n, done_add_rsp,
		     (struct cont){ .kind = K_ADD_RSP, .u.add_rsp = { .token = token, .empty = !n } },
		     false);
}

static void reject_chain(struct cxldcd_host *h, const struct chain *ch, const char *why)
{
	h->st.groups_rejected++;
	host_emit(h, CXLDCD_HOST_EV_GROUP_REJECTED, NULL, ch->nr ? ch->ext[0].dpa : 0, 0,
		  "add chain of %u extents refused: %s", ch->count, why);
	send_add_rsp(h, NULL, 0, h->token++);
}

struct span {
	uint64_t dpa, end;
	uint32_t idx;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return (x->dpa > y->dpa) - (x->dpa < y->dpa);
}

/* ov[i]: does extent i of the chain meet another one?  Pairwise, for hostile input. */
static void chain_overlaps_pairwise(const struct chain *ch, bool *ov)
{
	for (uint32_t i = 0; i < ch->nr; i++)
		for (uint32_t j = 0; j < ch->nr && !ov[i]; j++)
			ov[i] = j != i && overlap(ch->ext[i].dpa, ch->ext[i].len, ch->ext[j].dpa,
						  ch->ext[j].len);
}

/*
 * ov[i]: does extent i of the chain meet another one?  Sorted by DPA, an
 * extent meets an earlier one exactly when it starts before the furthest end
 * seen so far, and then it meets the extent that reached that end.  Empty or
 * wrapping extents (malformed) take the pairwise way, whose overlap test the
 * sweep would not match.  Return 0 or -ENOMEM.
 */
static int chain_overlaps(const struct chain *ch, bool *ov)
{
	struct span *sp = calloc(ch->nr ? ch->nr : 1, sizeof(*sp));
	uint64_t far = 0;
	uint32_t holder = 0;

	if (!sp)
		return -ENOMEM;
	for (uint32_t i = 0; i < ch->nr; i++) {
		sp[i] = (struct span){ ch->ext[i].dpa, ch->ext[i].dpa + ch->ext[i].len, i };
		if (sp[i].end <= sp[i].dpa) {
			free(sp);
			chain_overlaps_pairwise(ch, ov);
			return 0;
		}
	}
	qsort(sp, ch->nr, sizeof(*sp), cmp_span);
	for (uint32_t k = 0; k < ch->nr; k++) {
		if (k && sp[k].dpa < far)
			ov[sp[k].idx] = ov[holder] = true;
		if (!k || sp[k].end > far) {
			far = sp[k].end;
			holder = sp[k].idx;
		}
	}
	free(sp);
	return 0;
}

/*
 * Does the host already hold exactly this extent (same DPA, length and tag)
 * with the device still counting it as the host's?  An extent taken by a
 * forced release (or released) stays listed while an application holds its
 * group open, but the device released it at once (CXL r3.2 §7.6.7.6.6) and
 * may offer it again: that offer has a pending group and needs an answer.
 */
static bool extent_held(const struct cxldcd_host *h, const struct cxldcd_extent *x)
{
	const struct ext_node *n = extent_at(h, x->dpa);
	enum ext_state st;

	if (!n || n->rn.len != x->len || memcmp(n->g->ext[n->idx].tag, x->tag, 16))
		return false;
	st = n->g->xn[n->idx].st;
	return st == X_ACCEPTED || st == X_RELEASE_PENDING;
}

/*
 * A chain whose every extent the host already holds was answered before this
 * connection (the device was restarted, or the host reconnected, before the
 * records were cleared).  The device never offers capacity the host already
 * has, so it has no pending group for it: answering would be matched to the
 * next pending group instead.  Such a chain is cleared without a response.
 */
static bool chain_already_answered(const struct cxldcd_host *h, const struct chain *ch)
{
	if (!ch->nr)
		return false;
	for (uint32_t i = 0; i < ch->nr; i++)
		if (!extent_held(h, &ch->ext[i]))
			return false;
	return true;
}

/* Validate one tag group of the chain, put it through the policy, list what is accepted. */
static void offer_group(struct cxldcd_host *h, const struct cxldcd_extent *e, uint32_t k,
			bool bad_overlap, uint64_t token, uint64_t *bytes,
			struct cxldcd_range *rsp, uint32_t *nr_rsp)
{
	uint8_t region;
	char why[160];
	struct group *g;

	if (bad_overlap)
		snprintf(why, sizeof(why), "overlaps another extent of the add chain");
	if (bad_overlap || events_check_group(h, e, k, &region, why, sizeof(why))) {
		h->st.groups_rejected++;
		host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, e[0].dpa, e[0].len,
			  "tag group of %u extents invalid: %s", k, why);
		return;
	}
	g = group_new(h, e, k, region);
	if (!g)
		return;
	if (!policy_accepts(h, g, bytes, why, sizeof(why))) {
		h->st.groups_rejected++;
		host_emit(h, CXLDCD_HOST_EV_GROUP_REJECTED, g, g->ext[0].dpa, g->info.size, "%s",
			  why);
		group_free(h, g);
		return;
	}
	group_set_adding(h, g, token);
	/* the response lists the accepted extents in offer order */
	for (uint32_t j = 0; j < k; j++)
		rsp[(*nr_rsp)++] = (struct cxldcd_range){ e[j].dpa, e[j].len };
}

static void process_add_chain(struct cxldcd_host *h, struct chain *ch)
{
	uint32_t n = ch->nr, nr_rsp = 0, *order = calloc(n ? n : 1, sizeof(uint32_t));
	uint32_t *start = calloc(n + 1, sizeof(uint32_t));
	bool *ov = calloc(n ? n : 1, sizeof(bool));
	struct cxldcd_extent *e = calloc(n ? n : 1, sizeof(*e));
	struct cxldcd_range *rsp = calloc(n ? n : 1, sizeof(*rsp));
	uint64_t bytes = host_bytes(h), token = h->token++;
	int ng;

	if (!order || !start || !ov || !e || !rsp || chain_overlaps(ch, ov) ||
	    (ng = events_tag_groups(ch->ext, n, order, start)) < 0) {
		host_fail(h, -ENOMEM, "out of memory");
		goto out;
	}
	if (chain_already_answered(h, ch)) {
		host_log(h, LOG_INFO, "add chain of %u extents already accepted before this "
			 "connection: cleared, no response", n);
		goto out;
	}
	for (int gi = 0; gi < ng && h->state != CXLDCD_HOST_FAILED; gi++) {
		uint32_t k = 0;
		bool bad_overlap = false;

		for (uint32_t j = start[gi]; j < start[gi + 1]; j++) {
			bad_overlap |= ov[order[j]];
			e[k++] = ch->ext[order[j]];
		}
		offer_group(h, e, k, bad_overlap, token, &bytes, rsp, &nr_rsp);
	}
	if (h->state != CXLDCD_HOST_FAILED)
		send_add_rsp(h, rsp, nr_rsp, token);
out:
	free(order);
	free(start);
	free(ov);
	free(e);
	free(rsp);
}

/* ------------------------------------------------------------ drain */

static void handle_record(struct cxldcd_host *h, const struct cxldcd_event *ev)
{
	if (!cci_event_is_dc(ev->uuid)) {
		host_log(h, LOG_DEBUG, "non-dc record handle=%u ignored", ev->handle);
		return;
	}
	switch (ev->dc_type) {
	case CXLDCD_DC_EV_ADD_CAPACITY:
	case CXLDCD_DC_EV_RELEASE_CAPACITY: {
		bool add = ev->dc_type == CXLDCD_DC_EV_ADD_CAPACITY;
		struct chain *c = add ? &h->add_chain : &h->rel_chain;
		struct chain *other = add ? &h->rel_chain : &h->add_chain;

		if (other->open) {
			/* CXL r3.2 Table 8-62: a More chain is contiguous with one type */
			host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, ev->dc_extent.dpa, 0,
				  "%s chain interrupted by another record type: dropped",
				  add ? "release" : "add");
			chain_reset(other);
		}
		if (!chain_push(h, c, ev)) {
			/*
			 * A release chain has no length limit of its own (Linux
			 * handles each Release record alone): at the cap, handle
			 * what is staged and stage on.  A group met again later
			 * is releasing already and is not released twice.
			 */
			if (!add && c->nr == c->cap && h->state != CXLDCD_HOST_FAILED) {
				release_chain(h, c->ext, c->nr, c->nr);
				c->nr = c->count = 0;
			}
			return;
		}
		if (add && c->count > c->cap)
			reject_chain(h, c, "longer than the chain cap");
		else if (add)
			process_add_chain(h, c);
		else
			release_chain(h, c->ext, c->nr, c->count);
		chain_reset(c);
		break;
	}
	case CXLDCD_DC_EV_FORCED_RELEASE:
		release_forced(h, &ev->dc_extent);
		break;
	case CXLDCD_DC_EV_REGION_CONFIG_UPDATED:
		/* CXL r3.2 §8.2.10.2.1.6: the host reads the configuration again (4800h) */
		bringup_reread_config(h, ev->dc_region_index);
		break;
	default:
		host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, ev->dc_extent.dpa, ev->dc_extent.len,
			  "unexpected dc event type=0x%02x on a host log", ev->dc_type);
		break;
	}
}

/*
 * The log is empty.  After an overflow, records were lost: re-read the
 * extent list first (the drain stays "busy" meanwhile, so no chain is
 * processed against a half-reconciled state), then drain again if an IRQ
 * came.
 */
static void drain_done(struct cxldcd_host *h)
{
	if (h->rescan_due && h->nr_regions) { /* no DC regions: no extent list (4801h unsupported) */
		h->rescan_due = false;
		bringup_rescan(h);
		return;
	}
	h->rescan_due = false;
	h->draining = false;
	if (h->irq_pending)
		start_drain(h);
}

void events_rescan_done(struct cxldcd_host *h)
{
	h->draining = false;
	if (h->irq_pending && h->state == CXLDCD_HOST_READY)
		start_drain(h);
}

/*
 * A Get Event Records failed or was malformed: nothing was read, and the
 * records stay in the log.  The device interrupts only when a log goes from
 * empty to non-empty, so without a retry the host would never read the DC
 * log again.  (A failed Clear is not retried: its records were handled.)
 */
static void drain_failed(struct cxldcd_host *h)
{
	h->draining = false;
	h->drain_retry_ms = host_now_ms(h) + HOST_DRAIN_RETRY_MS;
}

static void done_clear(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
		       const uint8_t *out, size_t len)
{
	(void)out;
	(void)len;
	if (err)
		return;
	if (rc) {
		/* Not clearing would return the same records forever: stop until the next IRQ. */
		host_emit_rc(h, c->opcode, rc, "clear event records");
		h->draining = false;
		return;
	}
	if (c->k.u.clear.last)
		start_drain(h);
}

static void done_get(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
		     const uint8_t *out, size_t len)
{
	uint16_t cap = (uint16_t)((h->mbox - CCI_GET_EVENTS_HDR) / CXLDCD_EVENT_RECORD_SIZE);
	struct cci_get_events_out o;
	struct cxldcd_event *ev;
	int r;

	if (err)
		return;
	if (rc) {
		host_emit_rc(h, c->opcode, rc, "get event records");
		drain_failed(h);
		return;
	}
	ev = calloc(cap ? cap : 1, sizeof(*ev));
	if (!ev) {
		host_fail(h, -ENOMEM, "out of memory");
		return;
	}
	r = cci_dec_get_events_out(out, len, &o, ev, cap);
	if (r) {
		host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, 0, 0,
			  "malformed get event records output (len=%zu): %s", len,
			  r == -ENOBUFS ? "more records than fit the mailbox" : "size mismatch");
		free(ev);
		drain_failed(h);
		return;
	}
	if (o.flags & CCI_EVF_OVERFLOW) {
		/* records were lost: the extent list tells what the host still holds */
		host_log(h, LOG_WARNING, "dc event log overflowed count=%u: extent list re-read "
			 "once drained", o.overflow_count);
		h->rescan_due = true;
	}
	if (!o.nr_records) {
		free(ev);
		drain_done(h);
		return;
	}
	for (uint16_t i = 0; i < o.nr_records && h->state != CXLDCD_HOST_FAILED; i++)
		handle_record(h, &ev[i]);
	for (uint16_t at = 0; at < o.nr_records && h->state != CXLDCD_HOST_FAILED;) {
		struct cci_clear_events_in in = { .log = CXLDCD_LOG_DC };
		uint8_t buf[CCI_CLEAR_EVENTS_HDR + 2 * 255];
		struct wwr w;

		while (at < o.nr_records && in.nr_handles < 255)
			in.handles[in.nr_handles++] = ev[at++].handle;
		wwr_init(&w, buf, sizeof(buf));
		cci_enc_clear_events_in(&w, &in);
		host_cmd(h, CXLDCD_OP_CLEAR_EVENT_RECORDS, buf, w.off, done_clear,
			 (struct cont){ .kind = K_CLEAR, .u.clear = { .last = at == o.nr_records } });
	}
	free(ev);
}

static void start_drain(struct cxldcd_host *h)
{
	uint8_t log = CXLDCD_LOG_DC;

	h->draining = true;
	h->irq_pending = false;
	h->drain_retry_ms = 0;
	host_cmd(h, CXLDCD_OP_GET_EVENT_RECORDS, &log, 1, done_get, (struct cont){ .kind = K_NONE });
}

void events_irq(struct cxldcd_host *h)
{
	if (h->state != CXLDCD_HOST_READY || h->draining) {
		h->irq_pending = true; /* Add events wait for the bring-up scan */
		return;
	}
	start_drain(h);
}
