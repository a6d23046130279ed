/* SPDX-License-Identifier: MIT */
/*
 * release.c - every way capacity leaves a host (shared/docs/host-semantics.md
 * "Release", docs/host-link.md "Extent states"):
 *
 *  - host-initiated: cxldcd_host_group_release() -> group_release();
 *  - device-requested (Release Capacity records, prescriptive or tag-based):
 *    the chain is matched to groups by DPA and tag and each group is released
 *    whole, deferred while it is open; a range no group owns is released at
 *    once so the device knows;
 *  - forced (UNMAP with reason revoked, then the Forced Capacity Release
 *    record): the extents, or the part named, become X_REVOKED at the UNMAP
 *    and leave the DPA index (the device may offer them again); the record
 *    finds their groups (groups_take_revoked()), reports it and lets an
 *    emptied group go.
 *
 * A Release DC lists only the group's X_ACCEPTED extents: a revoked extent
 * is the device's already, and listing it would make the device refuse the
 * whole list.  Listed extents are X_RELEASE_PENDING until the answer, then
 * X_RELEASED; a group goes when none of its extents is live and it is not
 * open.  Calls link.c and the group data (segments.c, groups.c, ranges.c)
 * only.
 */
#include "host/host-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cci/dcd.h"

/* ------------------------------------------------------------ extent lists */

void dc_list_send(struct cxldcd_host *h, uint16_t opcode, const struct cxldcd_range *r,
		  uint32_t n, cmd_done_fn *done, struct cont k, bool first)
{
	uint32_t per = (h->mbox - CCI_DC_RSP_HDR) / CXLDCD_UPDATED_EXTENT_SIZE;
	uint32_t parts = n ? (n + per - 1) / per : 1;
	size_t cap = CCI_DC_RSP_HDR + (size_t)per * CXLDCD_UPDATED_EXTENT_SIZE;
	uint8_t *buf = malloc(cap);

	if (!buf) {
		host_fail(h, -ENOMEM, "out of memory");
		return;
	}
	/* first: each part goes to the head of the queue, so they are queued last part first */
	for (uint32_t i = 0; i < parts; i++) {
		uint32_t p = first ? parts - 1 - i : i, at = p * per;
		uint32_t cnt = n - at < per ? n - at : per;
		bool more = p + 1 < parts;
		struct wwr w;
		int rc;

		wwr_init(&w, buf, cap);
		cci_enc_dc_rsp_in(&w, r ? r + at : NULL, cnt, more);
		if (k.kind == K_ADD_RSP)
			k.u.add_rsp.last = !more;
		else
			k.u.release.last = !more;
		rc = first ? host_cmd_first(h, opcode, buf, w.off, done, k)
			   : host_cmd(h, opcode, buf, w.off, done, k);
		if (rc)
			break;
	}
	free(buf);
}

/* ------------------------------------------------------------ Release DC */

static void group_done_if_empty(struct cxldcd_host *h, struct group *g)
{
	if (!g->info.open_count && !group_live(g))
		group_free(h, g);
}

static void done_release(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
			 const uint8_t *out, size_t len);

/* The bytes of g's extents in a Release DC not yet answered. */
static uint64_t pending_bytes(const struct group *g)
{
	uint64_t bytes = 0;

	for (uint32_t i = 0; i < g->nr; i++)
		if (g->xn[i].st == X_RELEASE_PENDING)
			bytes += g->ext[i].len;
	return bytes;
}

/* List g's X_RELEASE_PENDING extents in a Release DC.  Return how many. */
static uint32_t send_pending(struct cxldcd_host *h, struct group *g)
{
	struct cxldcd_range *r = calloc(g->nr, sizeof(*r));
	uint64_t bytes = 0;
	uint32_t n = 0;

	if (!r) {
		host_fail(h, -ENOMEM, "out of memory");
		return 0;
	}
	for (uint32_t i = 0; i < g->nr; i++) {
		if (g->xn[i].st != X_RELEASE_PENDING)
			continue;
		r[n++] = (struct cxldcd_range){ g->ext[i].dpa, g->ext[i].len };
		bytes += g->ext[i].len;
	}
	if (n)
		dc_list_send(h, CXLDCD_OP_RELEASE_DC, r, n, done_release,
			     (struct cont){ .kind = K_RELEASE,
					    .u.release = { .group_id = g->info.id, .bytes = bytes } },
			     false);
	free(r);
	return n;
}

static void done_release(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
			 const uint8_t *out, size_t len)
{
	const struct cont_release *k = &c->k.u.release;
	uint32_t n = 0;
	uint64_t size = 0;
	struct group *g;

	(void)out;
	(void)len;
	if (err)
		return;
	if (rc)
		host_emit_rc(h, c->opcode, rc, "release dc");
	if (!k->last || !k->group_id)
		return;
	g = group_find(h, NULL, k->group_id);
	if (!g)
		return;
	if (rc && pending_bytes(g) && pending_bytes(g) < k->bytes) {
		/*
		 * Refused, and part of the list was forced out meanwhile (the
		 * UNMAP came after the list was made): the device refused the
		 * whole list for that part (not-held) and still holds the rest
		 * for the host.  List the rest again; each retry lists less.
		 */
		host_log(h, LOG_INFO, "group id=%llu: release refused after a forced release of part "
			 "of it: releasing the rest", (unsigned long long)g->info.id);
		send_pending(h, g);
		return;
	}
	/*
	 * Answered: the listed extents are released.  Refused (the device kept
	 * them), the host has unmapped them already and does not take them
	 * back: it reports the refusal and drops them too; the device can still
	 * force-release them.  Listing only accepted extents keeps the device
	 * from refusing in the first place.
	 */
	for (uint32_t i = 0; i < g->nr; i++) {
		if (g->xn[i].st != X_RELEASE_PENDING)
			continue;
		g->xn[i].st = X_RELEASED;
		n++;
		size += g->ext[i].len;
	}
	h->st.groups_released++;
	host_emit(h, CXLDCD_HOST_EV_GROUP_RELEASED, g, g->ext[0].dpa, size,
		  "id=%llu extents=%u size=0x%llx%s", (unsigned long long)g->info.id, n,
		  (unsigned long long)size, rc ? " (device refused)" : "");
	group_done_if_empty(h, g);
}

void group_release(struct cxldcd_host *h, struct group *g)
{
	if (g->state != G_ACTIVE)
		return;
	if (g->info.open_count) {
		if (!g->info.release_pending)
			host_emit(h, CXLDCD_HOST_EV_RELEASE_DEFERRED, g, g->ext[0].dpa, g->info.size,
				  "id=%llu open=%u: release deferred (busy)",
				  (unsigned long long)g->info.id, g->info.open_count);
		g->info.release_pending = true;
		return;
	}
	g->info.release_pending = false;
	group_unmap(g);
	for (uint32_t i = 0; i < g->nr; i++) {
		/* a revoked piece's segments went with it; any there now are another group's */
		if (g->xn[i].st != X_REVOKED)
			segments_drop(h, g->ext[i].dpa, g->ext[i].len);
		if (g->xn[i].st == X_ACCEPTED)
			g->xn[i].st = X_RELEASE_PENDING;
	}
	g->state = G_RELEASING;
	if (!send_pending(h, g) && h->state != CXLDCD_HOST_FAILED)
		group_done_if_empty(h, g); /* everything was revoked: nothing to give back */
}

void group_put(struct cxldcd_host *h, struct group *g)
{
	if (g->info.open_count)
		g->info.open_count--;
	if (g->info.open_count)
		return;
	if (g->info.release_pending)
		group_release(h, g);
	else if (g->state == G_ACTIVE)
		group_done_if_empty(h, g);
}

/* ------------------------------------------------------------ device requests */

/* The oldest active group with a live extent in x that carries its tag (if x has one). */
static struct group *match_release(struct cxldcd_host *h, const struct cxldcd_extent *x)
{
	struct group *best = NULL;

	for (struct rnode *n = rindex_first_overlap(&h->extents, x->dpa, x->len); n;
	     n = rindex_next_overlap(n, x->dpa, x->len)) {
		struct ext_node *xn = rnode_entry(n, struct ext_node, rn);
		struct group *g = xn->g;

		if (g->state != G_ACTIVE || xn->st != X_ACCEPTED)
			continue;
		/* v10+: the record carries the tag; a null tag (older device) matches by DPA */
		if (!tag_is_null(x->tag) && (!g->info.tagged || memcmp(g->info.tag, x->tag, 16)))
			continue;
		if (!best || g->info.id < best->info.id)
			best = g;
	}
	return best;
}

static void release_unowned(struct cxldcd_host *h, const struct cxldcd_extent *x)
{
	struct cxldcd_range r = { x->dpa, x->len };

	host_emit(h, CXLDCD_HOST_EV_RANGE_RELEASED, NULL, x->dpa, x->len,
		  "dpa=0x%llx len=0x%llx owned by no group: released", (unsigned long long)x->dpa,
		  (unsigned long long)x->len);
	dc_list_send(h, CXLDCD_OP_RELEASE_DC, &r, 1, done_release,
		     (struct cont){ .kind = K_RELEASE }, false);
}

void release_chain(struct cxldcd_host *h, const struct cxldcd_extent *ext, uint32_t nr,
		   uint32_t count)
{
	struct group **set = calloc(nr ? nr : 1, sizeof(*set));
	uint32_t nset = 0;

	if (!set) {
		host_fail(h, -ENOMEM, "out of memory");
		return;
	}
	if (count > nr)
		host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, 0, 0,
			  "release chain of %u records exceeds cap=%u: the rest is ignored", count,
			  nr);
	for (uint32_t i = 0; i < nr; i++) {
		const struct cxldcd_extent *x = &ext[i];
		struct group *g;

		if (!x->len) {
			host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, NULL, x->dpa, 0,
				  "release record with length 0");
			continue;
		}
		g = match_release(h, x);
		if (g) {
			if (!g->mark)
				set[nset++] = g;
			g->mark = true;
			continue;
		}
		if (group_overlaps_any(h, x->dpa, x->len)) {
			/* a group we are releasing already, or a tag mismatch */
			struct group *o = group_by_dpa(h, x->dpa, x->len);

			if (o && o->state == G_ACTIVE && (!o->info.tagged ||
			    memcmp(o->info.tag, x->tag, 16)) && !tag_is_null(x->tag))
				host_emit(h, CXLDCD_HOST_EV_DEVICE_ERROR, o, x->dpa, x->len,
					  "release record tag does not match the group at the dpa");
			continue;
		}
		/*
		 * Revoked since the record was logged (its UNMAP came first, the
		 * Forced Capacity Release record is next in the log): the device
		 * has it already, and a Release DC of it would be refused.
		 */
		if (groups_revoked_awaits(h, x->dpa, x->len))
			continue;
		/* No group owns it (restart, race): release at once so the device knows. */
		release_unowned(h, x);
	}
	for (uint32_t j = 0; j < nset; j++)
		set[j]->mark = false;
	for (uint32_t j = 0; j < nset; j++)
		group_release(h, set[j]);
	free(set);
}

/* ------------------------------------------------------------ forced */

/*
 * The device's UNMAP with reason revoked comes first, its Forced Capacity
 * Release record later (with the next Get Event Records).  The pieces are
 * revoked at the UNMAP: a Release DC made in between must not list them (the
 * device would refuse the whole list, and the rest of the group would stay
 * the host's on the device while the host let it go), and one already sent
 * is listed again without them (done_release()).  The group goes at the
 * record (release_forced()), or at the re-read if the record was lost.
 */
void release_unmapped(struct cxldcd_host *h, uint64_t dpa, uint64_t len)
{
	struct group **hit;
	ssize_t k = groups_unmap_range(h, dpa, len, true, &hit);

	if (k < 0)
		host_fail(h, -ENOMEM, "out of memory");
	for (ssize_t i = 0; i < k && h->state != CXLDCD_HOST_FAILED; i++) {
		hit[i]->info.revoked = true;
		if (group_revoke_range(h, hit[i], dpa, len))
			host_fail(h, -ENOMEM, "out of memory");
	}
	free(hit);
}

void release_sweep(struct cxldcd_host *h)
{
	for (struct group *g = h->groups, *next; g; g = next) {
		next = g->next;
		if (g->state == G_ACTIVE)
			group_done_if_empty(h, g);
	}
}

void release_forced(struct cxldcd_host *h, const struct cxldcd_extent *x)
{
	struct group **hit;
	/*
	 * The device unmapped first (UNMAP precedes the record) and the pieces
	 * are revoked already, out of the DPA index; make sure anyway, then
	 * find every group that lost a piece here: a record may span several,
	 * each one loses its part.
	 */
	ssize_t k = groups_unmap_range(h, x->dpa, x->len, true, &hit);
	struct group *g;

	for (ssize_t i = 0; i < k && h->state != CXLDCD_HOST_FAILED; i++) {
		hit[i]->info.revoked = true;
		if (group_revoke_range(h, hit[i], x->dpa, x->len))
			host_fail(h, -ENOMEM, "out of memory");
	}
	if (k < 0)
		host_fail(h, -ENOMEM, "out of memory");
	free(hit);
	segments_drop(h, x->dpa, x->len);
	k = groups_take_revoked(h, x->dpa, x->len, &hit);
	g = k > 0 ? hit[0] : NULL; /* the oldest group hit */
	host_emit(h, CXLDCD_HOST_EV_FORCED_RELEASE, g, x->dpa, x->len, "dpa=0x%llx len=0x%llx%s",
		  (unsigned long long)x->dpa, (unsigned long long)x->len, g ? "" : " (no group)");
	if (k < 0)
		host_fail(h, -ENOMEM, "out of memory");
	for (ssize_t i = 0; i < k && h->state != CXLDCD_HOST_FAILED; i++) {
		hit[i]->info.revoked = true;
		if (hit[i]->state == G_ACTIVE)
			group_done_if_empty(h, hit[i]);
	}
	free(hit);
}
