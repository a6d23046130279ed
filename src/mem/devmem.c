/* SPDX-License-Identifier: MIT */
/*
 * devmem.c - the memory of one DC device: which backend bytes stand behind
 * each accepted extent, per host.
 *
 * Two modes (seed-system.md):
 *  - single backing (volatile-dc-memdev): DPA d lives at offset
 *    d - region0.base of the one backend, for every host;
 *  - tag-backed (dc-regions-total-size, no backing): an extent with tag T
 *    lives in the backend whose tag is T, at the extent's tag_offset (the
 *    model lays the extents of a tag back to back, so one tag may span many
 *    extents and regions, and the series' one-extent-per-backend case is the
 *    tag_offset = 0 special case).
 *
 * Nothing is bound before a host accepts (CXL r3.2 §9.13.3: an unaccepted
 * DPA is not accessible).  mem_dev_bind() runs at acceptance and maps into
 * the host window; mem_dev_unbind() runs at release and at forced release,
 * where the model calls it before logging the Forced Capacity Release record,
 * so access is gone by the time anyone reads the event.
 *
 * Trust model (docs/memory.md): unless the device trusts its hosts, the live
 * pages of a binding are not in the backend but in a store (store.h) - the
 * host's view of the backend for non-sharable capacity, a shared grant for
 * sharable capacity - so every fd a host is given reaches only capacity it
 * holds.  Bind copies the backend's bytes in; unbind copies them back
 * (unless the capacity is about to be sanitized) and punches the store, so
 * whatever the host kept of the fd now reads its own fresh pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tag.h"
#include "mem/devmem.h"

static const uint8_t null_tag[CXLDCD_TAG_SIZE];

#define X_FMT "host=%u dpa=0x%llx len=0x%llx"
#define X_ARGS(x) (x)->host, (unsigned long long)(x)->ext.dpa, (unsigned long long)(x)->ext.len

/* Keep the message of an error seen in an observer (which cannot return it). */
static void note(struct mem_dev *md, const char *msg)
{
	snprintf(md->last_err, sizeof(md->last_err), "%s", msg);
}

/* ---------------------------------------------------------------- layout */

static int layout_check(const struct mem_layout *l, uint64_t *base, uint64_t *span, uint64_t *cap_end,
			char *err, size_t cap)
{
	uint64_t end = 0;

	if (l->nr_hosts < 1 || l->nr_hosts > CXLDCD_MAX_HOSTS || l->nr_regions > CXLDCD_MAX_REGIONS) {
		mem_errf(err, cap, "bad layout: nr_hosts=%u nr_regions=%u", l->nr_hosts, l->nr_regions);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < l->nr_regions; i++) {
		const struct mem_region_layout *r = &l->regions[i];

		if (r->len > r->decode_len || r->base < end || r->base + r->decode_len < r->base) {
			mem_errf(err, cap, "bad layout: region=%u base=0x%llx decode_len=0x%llx len=0x%llx",
				 i, (unsigned long long)r->base, (unsigned long long)r->decode_len,
				 (unsigned long long)r->len);
			return -EINVAL;
		}
		end = r->base + r->decode_len;
		*cap_end = r->base + r->len;
	}
	/* no DC region (static capacity only): an empty span, nothing is ever bound in it */
	*base = l->nr_regions ? l->regions[0].base : 0;
	*span = end - *base;
	return 0;
}

static int backing_attach(struct mem_dev *md, const char *id, uint64_t cap_end, char *err, size_t cap)
{
	struct mem_backend *b = mem_registry_find(md->reg, id);
	uint64_t need = cap_end - md->span_base;

	if (!id || !b) {
		mem_errf(err, cap, "volatile-dc-memdev=%s: no such memory backend", id ? id : "(none)");
		return -EINVAL;
	}
	if (b->size < need) {
		mem_errf(err, cap, "volatile-dc-memdev=%s: size=0x%llx does not cover the DC capacity 0x%llx",
			 id, (unsigned long long)b->size, (unsigned long long)need);
		return -EINVAL;
	}
	if (mem_backend_claim(b, err, cap))
		return -EBUSY; /* another device's memory: its hosts' bytes */
	md->backing = b;
	return 0;
}

int mem_dev_new_layout(const struct mem_layout *layout, struct mem_registry *reg,
		       const struct mem_dev_cfg *cfg, struct mem_dev **out, char *err, size_t cap)
{
	struct mem_dev *md;
	uint64_t cap_end = 0;
	int rc;

	if (cfg->mode == MEM_DEV_TAGGED && cfg->memdev) {
		mem_errf(err, cap, "a tag-backed device takes no volatile-dc-memdev (memdev=%s)", cfg->memdev);
		return -EINVAL;
	}
	if (cfg->mode != MEM_DEV_TAGGED && cfg->mode != MEM_DEV_SINGLE)
		return -EINVAL;
	md = calloc(1, sizeof(*md));
	if (!md)
		return -ENOMEM;
	md->layout = *layout;
	md->mode = cfg->mode;
	md->direct_map = cfg->direct_map;
	md->trusted = cfg->trusted;
	md->reg = reg;
	rc = layout_check(layout, &md->span_base, &md->span_size, &cap_end, err, cap);
	if (rc)
		goto err;
	md->trees = calloc(layout->nr_hosts, sizeof(*md->trees));
	md->wins = calloc(layout->nr_hosts, sizeof(*md->wins));
	md->views = calloc(layout->nr_hosts, sizeof(*md->views));
	md->gviews = calloc(layout->nr_hosts, sizeof(*md->gviews));
	md->group_files = calloc(layout->nr_hosts, sizeof(*md->group_files));
	md->group_partial = calloc(layout->nr_hosts, sizeof(*md->group_partial));
	md->group_max = calloc(layout->nr_hosts, sizeof(*md->group_max));
	md->nr_gviews = calloc(layout->nr_hosts, sizeof(*md->nr_gviews));
	md->regroup = calloc(layout->nr_hosts, sizeof(*md->regroup));
	if (!md->trees || !md->wins || !md->views || !md->gviews || !md->group_files ||
	    !md->group_partial || !md->group_max || !md->nr_gviews || !md->regroup) {
		rc = -ENOMEM;
		goto err;
	}
	for (unsigned int h = 0; h < layout->nr_hosts; h++)
		md->group_max[h] = UINT32_MAX;
	if (cfg->mode == MEM_DEV_SINGLE) {
		rc = backing_attach(md, cfg->memdev, cap_end, err, cap);
		if (rc)
			goto err;
	}
	rc = mem_static_attach(md, cfg, err, cap);
	if (rc)
		goto err;
	*out = md;
	return 0;
err:
	mem_dev_free(md);
	return rc;
}

static bool is_file(const struct mem_backend *b)
{
	return b->mem_path != NULL;
}

/* Clean stop: the live bytes of a view binding go back into its file. */
static void flush_view(void *opaque, const struct mem_bind *n)
{
	struct mem_dev *md = opaque;

	if (n->st && !n->st->shared && n->writable && is_file(n->be) &&
	    mem_fd_copy(n->st->fd, mem_bind_off(n), n->be->fd, n->off, n->len, n->be->page_size, true))
		md->stats.copy_errors++;
}

/*
 * A shared grant that a host let go while others kept it, and whose sharers
 * have not moved off it (the move is wanted, under way or waiting for its
 * next attempt): that host may have kept its fd.
 */
static bool left_reachable(const struct mem_store *s)
{
	return s->shared && (s->move_wanted || (s->move_id && !s->move_new));
}

/*
 * Stores go at a clean stop (file-backed ones written back first).  Those
 * a host that let go may still reach are punched: it keeps nothing of the
 * sharers' data past the daemon's life (the next daemon makes new grants).
 */
static void free_stores(struct mem_dev *md, struct mem_store *s)
{
	while (s) {
		struct mem_store *next = s->next;

		if (s->shared && s->writable && is_file(s->be) &&
		    mem_fd_copy(s->fd, 0, s->be->fd, s->base, s->len, s->be->page_size, true))
			md->stats.copy_errors++;
		if (left_reachable(s))
			mem_fd_punch(s->fd, 0, s->size, s->be->page_size);
		mem_store_free(s);
		s = next;
	}
}

void mem_dev_free(struct mem_dev *md)
{
	if (!md)
		return;
	for (unsigned int h = 0; md->trees && h < md->layout.nr_hosts; h++)
		mem_bind_clear(&md->trees[h], flush_view, md);
	mem_static_detach(md);
	for (unsigned int h = 0; md->wins && h < md->layout.nr_hosts; h++)
		mem_window_release(&md->wins[h]);
	for (unsigned int h = 0; md->views && h < md->layout.nr_hosts; h++)
		free_stores(md, md->views[h]);
	for (unsigned int h = 0; md->gviews && h < md->layout.nr_hosts; h++)
		free_stores(md, md->gviews[h]);
	free_stores(md, md->grants);
	while (md->retired) { /* their sharers' bytes are in the fresh grants */
		struct mem_store *r = md->retired;

		md->retired = r->next;
		mem_fd_punch(r->fd, 0, r->size, r->be->page_size);
		mem_store_free(r);
	}
	for (struct mem_backend *b = md->reg ? mem_registry_first(md->reg) : NULL; b;
	     b = mem_registry_next(md->reg, b))
	{
		if (b->tag_dev == md)
			b->tag_dev = NULL;
		if (b->tag_walked == md)
			b->tag_walked = NULL;
	}
	if (md->backing)
		md->backing->users--;
	if (md->lsa)
		md->lsa->users--;
	free(md->views);
	free(md->gviews);
	free(md->gtab);
	free(md->group_files);
	free(md->group_partial);
	free(md->group_max);
	free(md->nr_gviews);
	free(md->regroup);
	free(md->wins);
	free(md->trees);
	free(md);
}

/* ------------------------------------------------------------ resolution */

/*
 * Where x lives: backend and offset.  Return 0, -EINVAL (untagged extent on a
 * tag-backed device, or not mappable), -ENOENT (no backend has the tag),
 * -EBUSY (the tag's backend is a device's volatile-dc-memdev, static
 * capacity or lsa, or another device bound the tag first: its bytes are not
 * this device's tag's), -ERANGE (past the backend's end).
 */
static int resolve(const struct mem_dev *md, const struct core_extent_info *x,
		   struct mem_backend **be, uint64_t *off, char *err, size_t cap)
{
	struct mem_backend *b = md->backing;
	uint64_t o = x->ext.dpa - md->span_base;
	char ts[37];

	if (x->ext.dpa < md->span_base)
		o = UINT64_MAX;
	if (md->mode == MEM_DEV_TAGGED) {
		if (!memcmp(x->ext.tag, null_tag, CXLDCD_TAG_SIZE)) {
			mem_errf(err, cap, X_FMT " has no tag: the device has no volatile-dc-memdev, so every extent needs a tag naming a memory backend",
				 X_ARGS(x));
			return -EINVAL;
		}
		b = mem_registry_find_tag(md->reg, x->ext.tag);
		if (!b) {
			common_tag_format(x->ext.tag, ts);
			mem_errf(err, cap, X_FMT ": no memory backend has tag=%s", X_ARGS(x), ts);
			return -ENOENT;
		}
		if (b->users || (b->tag_dev && b->tag_dev != md)) {
			common_tag_format(x->ext.tag, ts);
			mem_errf(err, cap, X_FMT ": tag=%s names backend %s, which %s", X_ARGS(x), ts, b->id,
				 b->users ? "is a device's volatile-dc-memdev, static capacity or lsa"
					  : "holds another device's capacity of the tag");
			return -EBUSY;
		}
		o = x->tag_offset;
	}
	if (o > b->size || x->ext.len > b->size - o) {
		mem_errf(err, cap, X_FMT " at offset 0x%llx exceeds backend %s size=0x%llx", X_ARGS(x),
			 (unsigned long long)o, b->id, (unsigned long long)b->size);
		return -ERANGE;
	}
	if (md->direct_map && ((x->ext.dpa - md->span_base) % b->page_size ||
			       x->ext.len % b->page_size || o % b->page_size)) {
		mem_errf(err, cap, X_FMT " at offset 0x%llx is not aligned to backend %s page size 0x%llx, so it cannot be mapped directly",
			 X_ARGS(x), (unsigned long long)o, b->id, (unsigned long long)b->page_size);
		return -EINVAL;
	}
	*be = b;
	*off = o;
	return 0;
}

enum cxldcd_rc mem_dev_check_add(struct mem_dev *md, const struct core_extent_info *x, uint32_t n,
				 struct cxldcd_diag *diag)
{
	char msg[CORE_DIAG_TEXT];

	for (uint32_t i = 0; i < n; i++) {
		struct mem_backend *b;
		uint64_t off;
		int rc = resolve(md, &x[i], &b, &off, msg, sizeof(msg));
		enum cxldcd_rc crc;

		if (!rc)
			continue;
		crc = rc == -ERANGE || rc == -ENOENT || rc == -EBUSY ? CXLDCD_RC_INVALID_PA
								     : CXLDCD_RC_INVALID_INPUT;
		if (diag) {
			diag->rc = crc;
			diag->index = (int32_t)i;
			snprintf(diag->text, sizeof(diag->text), "%s", msg);
		}
		return crc;
	}
	return CXLDCD_RC_SUCCESS;
}

void mem_dev_checker_accepted(struct mem_dev *md, const struct core_extent_info *x)
{
	struct mem_backend *b;
	uint64_t off;

	/* what a bind of x would note (mem_dev_bind()): the tag's memory is this device's */
	if (md->mode == MEM_DEV_TAGGED && !resolve(md, x, &b, &off, NULL, 0))
		b->tag_dev = md;
}

/* --------------------------------------------------------------- binding */

static struct mem_window *window_get(struct mem_dev *md, uint16_t host, char *err, size_t cap)
{
	struct mem_window *w = &md->wins[host];

	if (!w->base && mem_window_reserve(w, md->span_base, md->span_size, err, cap))
		return NULL;
	return w;
}

int mem_dev_window(struct mem_dev *md, uint16_t host, void **base, uint64_t *size)
{
	struct mem_window *w;

	if (host >= md->layout.nr_hosts || !md->direct_map)
		return -EINVAL;
	w = window_get(md, host, NULL, 0);
	if (!w)
		return -ENOMEM;
	*base = w->base;
	*size = w->size;
	return 0;
}

/* Map nb, standing for nr extents, into its host's window. */
static int map_bind(struct mem_dev *md, struct mem_bind *nb, uint32_t nr, char *err, size_t cap)
{
	struct mem_window *w = window_get(md, nb->host, err, cap);
	int rc;

	rc = w ? mem_window_map(w, nb->dpa, nb->len, mem_bind_fd(nb), mem_bind_off(nb), nb->writable,
				err, cap)
	       : -ENOMEM;
	if (rc) {
		md->stats.map_errors++;
		return rc;
	}
	nb->mapped = true;
	md->stats.nr_mapped += nr;
	return 0;
}

/* ---------------------------------------------------------------- stores */

/* Unlink s from the list at *head and free it. */
static void store_drop(struct mem_dev *md, struct mem_store **head, struct mem_store *s)
{
	for (struct mem_store **p = head; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	md->stats.nr_stores--;
	mem_store_free(s);
}

uint64_t mem_pass_new(void)
{
	static uint64_t last;

	return ++last;
}

/*
 * The backend's bytes of [off, off+len) move into the store at soff (which
 * is all holes).  A memory-backend-file keeps its copy (it outlives a
 * crash); a memfd backend gives the range up, so held capacity is not in
 * memory twice.  A read-only binding never gives it up: it is never copied
 * back.  Copies back punch where the store has holes, so whatever the
 * backend kept is rewritten whole.
 */
static int copy_in(const struct mem_dev *md, struct mem_store *st, uint64_t soff,
		   struct mem_backend *be, uint64_t off, uint64_t len, bool writable)
{
	int rc;

	/* fresh or sanitized capacity: no copy, no punch (in a pass, often no lseek either) */
	if (!mem_fd_scan_has_data(&be->scan, md->pass, be->fd, off, len))
		return 0;
	rc = mem_fd_copy(be->fd, off, st->fd, soff, len, be->page_size, false);
	mem_fd_scan_wrote(&st->scan, soff, len);
	/* giving the range up only takes data away: what be->scan knows stays true */
	if (!rc && writable && !is_file(be))
		mem_backend_zero(be, off, len); /* only saves memory: the copy back rewrites it all */
	return rc;
}

/* ----------------------------------------------------------- group files */

/*
 * Whether host's views are per (host, backend, group).  Only a single
 * backing needs it: on a tag-backed device each tag has a backend of its
 * own, so a view per (host, backend) is one group's already.
 */
static bool by_group(const struct mem_dev *md, uint16_t host)
{
	return md->mode == MEM_DEV_SINGLE && md->group_files[host];
}

static bool untagged(const struct core_extent_info *x)
{
	return !memcmp(x->ext.tag, null_tag, CXLDCD_TAG_SIZE);
}

static uint32_t gtab_hash(uint16_t host, const struct mem_backend *be, const uint8_t *tag)
{
	uint64_t h = 14695981039346656037ull ^ host;
	uintptr_t p = (uintptr_t)be;

	for (unsigned int i = 0; i < sizeof(p); i++, p >>= 8)
		h = (h ^ (p & 0xff)) * 1099511628211ull;
	for (unsigned int i = 0; i < CXLDCD_TAG_SIZE; i++)
		h = (h ^ tag[i]) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

static void gtab_link(struct mem_dev *md, struct mem_store *st)
{
	uint32_t i = gtab_hash(st->host, st->be, st->tag) & (md->gtab_size - 1);

	st->hnext = md->gtab[i];
	md->gtab[i] = st;
	md->gtab_nr++;
}

/*
 * Hash grouped tagged view st (linked in its host's gviews already).  The
 * table doubles from the lists (so it holds every tagged view even after an
 * allocation failed); one that cannot grow just chains longer, and without
 * any table gtab_find() walks the host's list.
 */
static void gtab_insert(struct mem_dev *md, struct mem_store *st)
{
	if (md->gtab_nr >= md->gtab_size) {
		uint32_t size = md->gtab_size ? md->gtab_size * 2 : 64;
		struct mem_store **t = size > md->gtab_size ? calloc(size, sizeof(*t)) : NULL;

		if (t) {
			free(md->gtab);
			md->gtab = t;
			md->gtab_size = size;
			md->gtab_nr = 0;
			for (uint16_t h = 0; h < md->layout.nr_hosts; h++)
				for (struct mem_store *v = md->gviews[h]; v; v = v->next)
					if (v->tagged)
						gtab_link(md, v);
			return; /* st among them */
		}
	}
	if (md->gtab_size)
		gtab_link(md, st);
}

static void gtab_remove(struct mem_dev *md, struct mem_store *st)
{
	uint32_t i;

	if (!md->gtab_size)
		return;
	i = gtab_hash(st->host, st->be, st->tag) & (md->gtab_size - 1);
	for (struct mem_store **p = &md->gtab[i]; *p; p = &(*p)->hnext) {
		if (*p == st) {
			*p = st->hnext;
			md->gtab_nr--;
			return;
		}
	}
}

static bool gview_is(const struct mem_store *v, uint16_t host, const struct mem_backend *be,
		     const uint8_t *tag)
{
	return v->host == host && v->be == be && v->tagged && !memcmp(v->tag, tag, CXLDCD_TAG_SIZE);
}

static struct mem_store *gtab_find(const struct mem_dev *md, uint16_t host,
				   const struct mem_backend *be, const uint8_t *tag)
{
	if (!md->gtab_size) {
		for (struct mem_store *v = md->gviews[host]; v; v = v->next)
			if (gview_is(v, host, be, tag))
				return v;
		return NULL;
	}
	for (struct mem_store *v = md->gtab[gtab_hash(host, be, tag) & (md->gtab_size - 1)]; v;
	     v = v->hnext)
		if (gview_is(v, host, be, tag))
			return v;
	return NULL;
}

/* Whether host may have one more group view (mem_dev_host_group_max()). */
static bool group_room(const struct mem_dev *md, uint16_t host)
{
	return md->nr_gviews[host] < md->group_max[host];
}

/*
 * Whether view v is where host's capacity of extent x (non-sharable)
 * belongs.  For a host with group files that is its group's view; the
 * host's per-backend view only while its group has no view and there is no
 * room for one (spilled).
 */
static bool view_fits(const struct mem_dev *md, const struct mem_store *v, uint16_t host,
		      const struct core_extent_info *x)
{
	if (!by_group(md, host))
		return !v->grouped;
	if (!v->grouped)
		return !group_room(md, host) &&
		       (untagged(x) || !gtab_find(md, host, v->be, x->ext.tag));
	if (untagged(x))
		return !v->tagged;
	return v->tagged && !memcmp(v->tag, x->ext.tag, CXLDCD_TAG_SIZE);
}

/*
 * The view of backend be where host's capacity of extent x (non-sharable)
 * goes: per (host, backend), or per (host, backend, group) for a host with
 * group files, where an untagged extent is a group of its own (it never
 * finds one: each gets a new view).  A group of such a host that has no
 * view and no room for one (group_room()) goes into the per-backend view.
 * NULL: none yet.
 */
static struct mem_store *view_find(struct mem_dev *md, uint16_t host, const struct mem_backend *be,
				   const struct core_extent_info *x)
{
	if (by_group(md, host)) {
		struct mem_store *v = untagged(x) ? NULL : gtab_find(md, host, be, x->ext.tag);

		if (v || group_room(md, host))
			return v;
	}
	for (struct mem_store *v = md->views[host]; v; v = v->next)
		if (v->be == be)
			return v;
	return NULL;
}

/*
 * A new, empty view of be for host's capacity of x, linked: a group view
 * when view_find() would look for one.  0 or -errno (message in err).
 */
static int view_new(struct mem_dev *md, uint16_t host, struct mem_backend *be,
		    const struct core_extent_info *x, struct mem_store **out, char *err, size_t cap)
{
	struct mem_store *st;
	int rc = mem_store_new(be, 0, be->size, false, host, &st, err, cap);

	if (rc)
		return rc;
	st->writable = !md->layout.regions[x->region].read_only;
	if (by_group(md, host) && group_room(md, host)) {
		st->grouped = true;
		st->tagged = !untagged(x);
		memcpy(st->tag, x->ext.tag, CXLDCD_TAG_SIZE);
		st->next = md->gviews[host];
		if (st->next)
			st->next->prev = st;
		md->gviews[host] = st;
		md->nr_gviews[host]++;
		if (st->tagged)
			gtab_insert(md, st);
	} else {
		st->next = md->views[host];
		md->views[host] = st;
	}
	md->stats.nr_stores++;
	*out = st;
	return 0;
}

/*
 * Unlink view st (its last binding went) and free it.  A host's group views
 * may be many (one per group): they unlink in O(1).
 */
static void view_drop(struct mem_dev *md, struct mem_store *st)
{
	if (!st->grouped) {
		store_drop(md, &md->views[st->host], st);
		return;
	}
	if (st->tagged)
		gtab_remove(md, st);
	md->nr_gviews[st->host]--;
	if (st->prev)
		st->prev->next = st->next;
	else
		md->gviews[st->host] = st->next;
	if (st->next)
		st->next->prev = st->prev;
	md->stats.nr_stores--;
	mem_store_free(st);
}

/*
 * The store nb's live pages go to, with the backend's bytes copied in; refs
 * taken.  Return 0 or -errno (message in err); nothing changed on error.
 */
static int store_get(struct mem_dev *md, const struct core_extent_info *x, struct mem_bind *nb,
		     char *err, size_t cap)
{
	struct mem_backend *be = nb->be;
	struct mem_store *st = NULL;
	bool fresh = false;
	int rc;

	if (md->trusted)
		return 0;
	if (x->sharable) {
		for (st = md->grants; st; st = st->next)
			if (st->be == be && nb->off >= st->base && nb->len <= st->len &&
			    nb->off - st->base <= st->len - nb->len)
				break;
	} else {
		st = view_find(md, nb->host, be, x);
	}
	if (!st && x->sharable) {
		rc = mem_store_new(be, nb->off, nb->len, true, nb->host, &st, err, cap);
		if (rc)
			return rc;
		st->writable = nb->writable;
		st->next = md->grants;
		md->grants = st;
		md->stats.nr_stores++;
		fresh = true;
	} else if (!st) {
		rc = view_new(md, nb->host, be, x, &st, err, cap);
		if ((rc == -EMFILE || rc == -ENFILE) && by_group(md, nb->host) &&
		    group_room(md, nb->host)) {
			/* out of fds for a file of its group: the host's group files stop here */
			md->group_max[nb->host] = md->nr_gviews[nb->host];
			st = view_find(md, nb->host, be, x);
			rc = st ? 0 : view_new(md, nb->host, be, x, &st, err, cap);
		}
		if (rc)
			return rc;
		fresh = true;
	}
	if (!x->sharable && by_group(md, nb->host) && !st->grouped)
		md->stats.group_spills++;
	if (x->sharable && !fresh) {
		st->refs++;
		nb->st = st;
		return 0; /* the sharers' pages are live already */
	}
	/* A view range may hold what the host wrote there while it did not hold it. */
	rc = 0;
	if (!x->sharable && mem_fd_scan_has_data(&st->scan, md->pass, st->fd, nb->off, nb->len))
		rc = mem_fd_punch(st->fd, nb->off, nb->len, be->page_size);
	if (!rc)
		rc = copy_in(md, st, nb->off - st->base, be, nb->off, nb->len, nb->writable);
	if (rc) {
		md->stats.copy_errors++;
		mem_errf(err, cap, X_FMT ": cannot copy backend %s into the host's %s: %s", X_ARGS(x),
			 be->id, x->sharable ? "shared grant" : "view", strerror(-rc));
		if (!st->refs && x->sharable)
			store_drop(md, &md->grants, st);
		else if (!st->refs)
			view_drop(md, st);
		return rc;
	}
	st->refs++;
	nb->st = st;
	return 0;
}

/*
 * b lets go of its store.  The last binding of a shared grant copies it back
 * and punches it: processes that kept its fd see fresh pages, not the data.
 */
static void store_put(struct mem_dev *md, struct mem_bind *b)
{
	struct mem_store *st = b->st;
	int rc = 0;

	b->st = NULL;
	/* A host that lets go (released or revoked) may keep its fd: move the others. */
	if (st && st->refs > 1 && st->shared && !md->trusted && (!st->move_id || st->move_new))
		st->move_wanted = true;
	if (!st || --st->refs)
		return;
	if (st->shared) {
		if (st->writable) {
			rc = mem_fd_copy(st->fd, 0, st->be->fd, st->base, st->len, st->be->page_size,
					 true);
			mem_fd_scan_wrote(&st->be->scan, st->base, st->len);
		}
		if (!rc)
			rc = mem_fd_punch(st->fd, 0, st->size, st->be->page_size);
		if (rc) {
			md->stats.copy_errors++;
			snprintf(md->last_err, sizeof(md->last_err),
				 "release of a shared grant of backend %s offset=0x%llx: %s",
				 st->be->id, (unsigned long long)st->base, strerror(-rc));
		}
		store_drop(md, &md->grants, st);
	} else {
		view_drop(md, st);
	}
}

/*
 * [d, e), a part of view binding b, stops being the host's: its live bytes
 * go back to the backend (unless they are about to be sanitized, or the
 * region is read-only and the backend kept them), then the view range is
 * punched, so the host's fds and mappings see fresh pages there from now on.
 */
static void view_release(struct mem_dev *md, const struct mem_bind *b, uint64_t d, uint64_t e,
			 bool sanitize)
{
	uint64_t soff, boff;
	int rc = 0;

	if (!b->st || b->st->shared)
		return;
	d = d > b->dpa ? d : b->dpa;
	e = e < b->dpa + b->len ? e : b->dpa + b->len;
	soff = mem_bind_off(b) + (d - b->dpa);
	boff = b->off + (d - b->dpa);
	if (b->writable && !sanitize) {
		rc = mem_fd_copy(b->st->fd, soff, b->be->fd, boff, e - d, b->be->page_size, true);
		mem_fd_scan_wrote(&b->be->scan, boff, e - d);
	}
	if (!rc)
		rc = mem_fd_punch(b->st->fd, soff, e - d, b->be->page_size);
	if (rc) {
		md->stats.copy_errors++;
		snprintf(md->last_err, sizeof(md->last_err),
			 "release of host=%u dpa=0x%llx len=0x%llx from its view of backend %s: %s",
			 b->host, (unsigned long long)d, (unsigned long long)(e - d), b->be->id,
			 strerror(-rc));
	}
}

/* Bound (and mapped) extents: delta for the extents b stands for. */
static void count(struct mem_dev *md, const struct mem_bind *b, int32_t delta)
{
	md->stats.nr_bound += (uint32_t)delta;
	b->be->nr_bound += (uint32_t)delta;
	if (b->mapped)
		md->stats.nr_mapped += (uint32_t)delta;
}

/* Whether x can be bound at all; then its backend and offset.  0 or -errno (msg). */
static int bind_check(const struct mem_dev *md, const struct core_extent_info *x,
		      struct mem_backend **be, uint64_t *off, char *msg, size_t cap)
{
	if (x->host >= md->layout.nr_hosts || x->region >= md->layout.nr_regions || !x->ext.len) {
		snprintf(msg, cap, X_FMT " region=%u: no such host or region", X_ARGS(x), x->region);
		return -EINVAL;
	}
	return resolve(md, x, be, off, msg, cap);
}

/* A bind failed before binding anything: count it and keep its message. */
static int bind_fail(struct mem_dev *md, int rc, const char *msg)
{
	md->stats.bind_errors++;
	note(md, msg);
	return rc;
}

/*
 * Bind x, which bind_check() resolved to be at off, standing for nr extents
 * (a run of back-to-back extents bound at once: one store copy, one range).
 * 0, or -errno with the message in msg; *bound says whether x is bound
 * anyway (the mapping was refused, counted and noted), else nothing changed
 * and nothing was counted.
 */
static int bind_run(struct mem_dev *md, const struct core_extent_info *x, struct mem_backend *be,
		    uint64_t off, uint32_t nr, char *msg, size_t cap, bool *bound)
{
	struct bind_tree *t = &md->trees[x->host];
	struct mem_bind nb = { .dpa = x->ext.dpa, .len = x->ext.len, .off = off, .be = be,
			       .host = x->host, .region = x->region,
			       .writable = !md->layout.regions[x->region].read_only };
	int rc, map_rc;

	*bound = false;
	if (mem_bind_overlaps(t, x->ext.dpa, x->ext.len)) {
		snprintf(msg, cap, X_FMT ": overlaps a range already bound to the host", X_ARGS(x));
		return -EEXIST;
	}
	rc = store_get(md, x, &nb, msg, cap);
	if (rc)
		return rc;
	if (md->mode == MEM_DEV_TAGGED)
		be->tag_dev = md; /* the tag's memory is this device's from now on */
	count(md, &nb, (int32_t)nr);
	map_rc = md->direct_map ? map_bind(md, &nb, nr, msg, cap) : 0;
	/* the table packs it with bindings that differ only in their range (bind.h) */
	rc = mem_bind_add(t, &nb);
	if (rc) {
		/* undone: unmapped, uncounted, the store reference given back */
		if (nb.mapped && mem_window_unmap(&md->wins[x->host], nb.dpa, nb.len, msg, cap))
			md->stats.unmap_errors++;
		count(md, &nb, -(int32_t)nr);
		if (nb.st && nb.st->refs > 1)
			nb.st->refs--; /* others hold it: no release of theirs to note */
		else
			store_put(md, &nb);
		if (rc == -ENOMEM)
			snprintf(msg, cap, X_FMT ": out of memory", X_ARGS(x));
		else
			snprintf(msg, cap, X_FMT ": not a range of the device", X_ARGS(x));
		return rc;
	}
	*bound = true;
	if (map_rc)
		note(md, msg);
	return map_rc;
}

int mem_dev_bind(struct mem_dev *md, const struct core_extent_info *x, char *err, size_t cap)
{
	char msg[256] = "";
	struct mem_backend *be;
	uint64_t off;
	bool bound = false;
	int rc = bind_check(md, x, &be, &off, msg, sizeof(msg));

	if (!rc)
		rc = bind_run(md, x, be, off, 1, msg, sizeof(msg), &bound);
	if (rc && !bound)
		bind_fail(md, rc, msg);
	if (rc)
		mem_errf(err, cap, "%s", msg);
	return rc;
}

/*
 * Whether x (resolved to be at off) goes on the run r (resolved to rbe at
 * roff): back to back in the DPA and in one backend, same host and region,
 * neither sharable (a shared grant is one store per range), and for a host
 * with group files of one group (same tag: an untagged extent is a group
 * of its own, so it never extends a run).
 */
static bool run_extends(const struct mem_dev *md, const struct core_extent_info *r,
			const struct mem_backend *rbe, uint64_t roff,
			const struct core_extent_info *x, const struct mem_backend *be, uint64_t off)
{
	if (r->host == x->host && by_group(md, x->host) &&
	    (untagged(x) || memcmp(r->ext.tag, x->ext.tag, CXLDCD_TAG_SIZE)))
		return false;
	return r->host == x->host && r->region == x->region && !r->sharable && !x->sharable &&
	       rbe == be && r->ext.dpa + r->ext.len == x->ext.dpa && roff + r->ext.len == off;
}

/* The first error other than -EEXIST (else -EEXIST) is kept, with its message. */
static void keep_err(int rc, const char *msg, int *ret, char *err, size_t cap)
{
	if (rc && (!*ret || (*ret == -EEXIST && rc != -EEXIST))) {
		*ret = rc;
		mem_errf(err, cap, "%s", msg);
	}
}

/*
 * After a bind_run(): a failure that bound nothing is counted (bind_fail());
 * the first error other than -EEXIST (else -EEXIST) is kept, with its message.
 */
static void bind_done(struct mem_dev *md, int rc, bool bound, const char *msg, int *ret, char *err,
		      size_t cap)
{
	if (rc && !bound)
		bind_fail(md, rc, msg);
	keep_err(rc, msg, ret, err, cap);
}

#define BIND_BATCH 64u

int mem_dev_bind_many(struct mem_dev *md, const struct core_extent_info *x, uint32_t n, char *err,
		      size_t cap)
{
	struct mem_backend *be[BIND_BATCH];
	uint64_t off[BIND_BATCH];
	bool ok[BIND_BATCH], own_pass = !md->pass;
	char msg[256];
	int ret = 0;

	if (own_pass)
		md->pass = mem_pass_new(); /* unless mem_dev_sync() runs one */
	for (uint32_t base = 0; base < n; base += BIND_BATCH, x += BIND_BATCH) {
		uint32_t m = n - base < BIND_BATCH ? n - base : BIND_BATCH;

		/* Each extent resolved once; one that cannot be bound says why below. */
		for (uint32_t k = 0; k < m; k++)
			ok[k] = !bind_check(md, &x[k], &be[k], &off[k], msg, sizeof(msg));
		for (uint32_t i = 0, nr; i < m; i += nr) {
			struct core_extent_info run = x[i];
			bool bound = false;
			int rc;

			if (!ok[i]) {        /* again, for its message; counted there */
				nr = 1;
				rc = mem_dev_bind(md, &x[i], msg, sizeof(msg));
				bind_done(md, rc, true, msg, &ret, err, cap);
				continue;
			}
			for (nr = 1; i + nr < m && ok[i + nr] &&
				     run_extends(md, &run, be[i], off[i], &x[i + nr], be[i + nr],
						 off[i + nr]);
			     nr++)
				run.ext.len += x[i + nr].ext.len;
			rc = bind_run(md, &run, be[i], off[i], nr, msg, sizeof(msg), &bound);
			if (bound || nr == 1) {
				bind_done(md, rc, bound, msg, &ret, err, cap);
				continue;
			}
			/* A run that could not be bound: each extent on its own, for its own error. */
			for (uint32_t k = i; k < i + nr; k++) {
				rc = bind_run(md, &x[k], be[k], off[k], 1, msg, sizeof(msg), &bound);
				bind_done(md, rc, bound, msg, &ret, err, cap);
			}
		}
	}
	if (own_pass)
		md->pass = 0;
	return ret;
}

/*
 * Whether the extents of r, which bind_check() resolved as a whole to be
 * in be, may be bound as one range: each would resolve on its own to its
 * place in it (one backend, offsets back to back: core_extent_runs()),
 * but with direct_map each one's length must be a multiple of be's page,
 * not only the run's: so the region's block size must be (every extent's
 * length is a multiple of it).
 */
static bool run_lens_fit(const struct mem_dev *md, const struct cxldcd_dev *dev,
			 const struct core_extent_run *r, const struct mem_backend *be)
{
	return !md->direct_map ||
	       (be->page_size && core_dev_cfg(dev)->regions[r->x.region].block_size % be->page_size == 0);
}

/* Host h's accepted extents [start, start + nr) by mem_dev_bind_many(), BIND_BATCH at a time. */
static int bind_each(struct mem_dev *md, const struct cxldcd_dev *dev, uint16_t h, uint32_t start,
		     uint32_t nr, char *err, size_t cap)
{
	struct core_extent_info x[BIND_BATCH];
	char msg[256];
	int ret = 0;

	while (nr) {
		uint32_t n = 0;

		if (core_extent_list_info(dev, h, start, nr < BIND_BATCH ? nr : BIND_BATCH, x, &n) !=
		    CXLDCD_RC_SUCCESS || !n)
			break;
		keep_err(mem_dev_bind_many(md, x, n, msg, sizeof(msg)), msg, &ret, err, cap);
		start += n;
		nr -= n;
	}
	return ret;
}

int mem_dev_bind_host(struct mem_dev *md, const struct cxldcd_dev *dev, uint16_t h, char *err,
		      size_t cap)
{
	/* runs join extents of one backend at offsets back to back: with tags, of one tag */
	bool by_tag = md->mode == MEM_DEV_TAGGED || by_group(md, h);
	struct core_extent_run r[BIND_BATCH];
	struct core_extent_info one[BIND_BATCH];
	uint32_t start = 0, n = 0;
	char msg[256];
	int ret = 0;

	do {
		uint32_t nr_one = 0;

		if (core_extent_runs(dev, h, start, by_tag, BIND_BATCH, r, &n) != CXLDCD_RC_SUCCESS)
			break;
		for (uint32_t i = 0; i < n; start += r[i++].nr) {
			struct mem_backend *be;
			uint64_t off;
			bool bound = false;
			int rc;

			if (r[i].nr == 1) {     /* extents alone are bound together, as a page of them */
				one[nr_one++] = r[i].x;
				continue;
			}
			if (nr_one) {
				keep_err(mem_dev_bind_many(md, one, nr_one, msg, sizeof(msg)), msg, &ret,
					 err, cap);
				nr_one = 0;
			}
			if (!bind_check(md, &r[i].x, &be, &off, msg, sizeof(msg)) &&
			    run_lens_fit(md, dev, &r[i], be)) {
				rc = bind_run(md, &r[i].x, be, off, r[i].nr, msg, sizeof(msg), &bound);
				if (bound) {
					bind_done(md, rc, bound, msg, &ret, err, cap);
					continue;
				}
			}
			/* a run not bound whole (nothing changed): each extent for its own error */
			keep_err(bind_each(md, dev, h, start, r[i].nr, msg, sizeof(msg)), msg, &ret, err,
				 cap);
		}
		if (nr_one)
			keep_err(mem_dev_bind_many(md, one, nr_one, msg, sizeof(msg)), msg, &ret, err, cap);
	} while (n);
	return ret;
}

/* A run of bindings is gone (mem_bind_cut()): its store reference goes back. */
static void put_run(void *opaque, const struct mem_bind *b)
{
	struct mem_bind copy = *b;

	store_put(opaque, &copy);
}

/*
 * How many extents taking [d, e) out of b adds: an extent taken whole goes
 * (-1), a piece off its front or back leaves one (0), a piece out of its
 * middle leaves two (+1).  b may hold several extents, so where the extent
 * starts and ends comes from x (whole_dpa/len: the extent before this
 * request's cuts), or from b's own ends (an earlier cut made them extent
 * ends); without whole_len, [d, e) is taken as the whole extent.
 */
static int32_t cut_delta(const struct mem_bind *b, const struct core_extent_info *x, uint64_t d,
			 uint64_t e)
{
	uint64_t ws = x->whole_len ? x->whole_dpa : d, we = x->whole_len ? ws + x->whole_len : e;
	bool head = d <= b->dpa || d == ws, tail = e >= b->dpa + b->len || e == we;

	return head && tail ? -1 : head || tail ? 0 : 1;
}

int mem_dev_unbind(struct mem_dev *md, const struct core_extent_info *x)
{
	uint64_t d = x->ext.dpa, e = x->ext.dpa + x->ext.len, cut_d = d, cut_e = e;
	struct bind_tree *t;
	struct bind_pos p;
	struct mem_bind b;
	char msg[256];
	bool any = false, split_ok;

	if (x->host >= md->layout.nr_hosts || e < d)
		return -EINVAL;
	t = &md->trees[x->host];
	md->regroup[x->host].dirty = md->regroup[x->host].busy; /* its list shifts under a switch */
	/* Access goes first: nothing may reach the range once we return. */
	if (md->wins[x->host].base && mem_window_unmap(&md->wins[x->host], d, x->ext.len, msg, sizeof(msg))) {
		md->stats.unmap_errors++;
		note(md, msg);
	}
	split_ok = !mem_bind_reserve(t, d, e);
	for (bool ok = mem_bind_seek(t, d, &p, &b); ok && b.dpa < e; ok = mem_bind_step(t, &p, &b)) {
		count(md, &b, cut_delta(&b, x, d, e));
		if (!split_ok && d > b.dpa && e < b.dpa + b.len) {
			/* cannot split without memory: keep it safe, drop it whole */
			snprintf(md->last_err, sizeof(md->last_err), X_FMT ": out of memory, dropped the whole binding", X_ARGS(x));
			view_release(md, &b, b.dpa, b.dpa + b.len, x->sanitize);
			cut_d = b.dpa;
			cut_e = b.dpa + b.len;
		} else {
			view_release(md, &b, d, e, x->sanitize);
		}
		any = true;
	}
	mem_bind_cut(t, cut_d, cut_e, put_run, md);
	return any ? 0 : -ENOENT;
}

/* ------------------------------------------------------ group files switch */

/*
 * [d, e) of view binding b moves to view to (where it belongs now): its
 * bytes are copied over and punched out of b's view, the daemon's window
 * maps the new view, and the table holds the range in it.  0 or -errno
 * (message in err): nothing changed, except that the table had no memory
 * for the new binding after the old one was cut: then the range's bytes
 * go back into the backend and the range is dropped (access goes, as when
 * a split finds no memory; counts may be off).
 */
static int move_piece(struct mem_dev *md, const struct mem_bind *b, uint64_t d, uint64_t e,
		      struct mem_store *to, char *err, size_t cap)
{
	struct bind_tree *t = &md->trees[b->host];
	uint64_t len = e - d, soff = mem_bind_off(b) + (d - b->dpa), boff = b->off + (d - b->dpa);
	uint64_t page = b->be->page_size;
	struct mem_bind nb = *b;
	int rc = 0;

	nb.dpa = d;
	nb.len = len;
	nb.off = boff;
	nb.st = to;
	/* views are laid out as the backend: the range keeps its offset (to->base is 0) */
	if (mem_fd_has_data(to->fd, boff, len))
		rc = mem_fd_punch(to->fd, boff, len, page);
	if (!rc)
		rc = mem_fd_copy(b->st->fd, soff, to->fd, boff, len, page, false);
	if (rc) {
		md->stats.copy_errors++;
		mem_errf(err, cap, "host=%u dpa=0x%llx len=0x%llx: cannot copy into its group's view of backend %s: %s",
			 b->host, (unsigned long long)d, (unsigned long long)len, b->be->id,
			 strerror(-rc));
		mem_fd_punch(to->fd, boff, len, page);
		return rc;
	}
	if (mem_bind_reserve(t, d, e) ||
	    (b->mapped && mem_window_map(&md->wins[b->host], d, len, to->fd, boff, b->writable, err,
					 cap))) {
		if (b->mapped)
			md->stats.map_errors++;
		else
			mem_errf(err, cap, "host=%u dpa=0x%llx len=0x%llx: out of memory", b->host,
				 (unsigned long long)d, (unsigned long long)len);
		mem_fd_punch(to->fd, boff, len, page);
		return -ENOMEM;
	}
	/* the old view keeps nothing of it: fds of it kept anywhere show fresh pages */
	if (mem_fd_punch(b->st->fd, soff, len, page))
		md->stats.copy_errors++;
	to->refs++;
	mem_bind_cut(t, d, e, put_run, md);
	rc = mem_bind_add(t, &nb);
	if (!rc)
		return 0;
	to->refs--;
	mem_errf(err, cap, "host=%u dpa=0x%llx len=0x%llx: out of memory, dropped the binding",
		 b->host, (unsigned long long)d, (unsigned long long)len);
	if (b->mapped && mem_window_unmap(&md->wins[b->host], d, len, err, cap))
		md->stats.unmap_errors++;
	if (b->writable && mem_fd_copy(to->fd, boff, b->be->fd, boff, len, page, true))
		md->stats.copy_errors++;
	mem_fd_punch(to->fd, boff, len, page);
	count(md, &nb, -1);
	return rc;
}

/* Move host's bound pieces of extent x (non-sharable) to the view where they belong now. */
static int regroup_extent(struct mem_dev *md, uint16_t host, const struct core_extent_info *x,
			  char *err, size_t cap)
{
	uint64_t cur = x->ext.dpa, end = x->ext.dpa + x->ext.len;
	struct mem_store *to = NULL;
	bool made = false;
	struct bind_pos p;
	struct mem_bind b;
	int rc = 0;

	while (cur < end && mem_bind_seek(&md->trees[host], cur, &p, &b) && b.dpa < end) {
		uint64_t d = b.dpa > cur ? b.dpa : cur;
		uint64_t e = b.dpa + b.len < end ? b.dpa + b.len : end;

		cur = e;
		if (!b.st || b.st->shared || view_fits(md, b.st, host, x))
			continue;
		if (!to && !(to = view_find(md, host, b.be, x))) {
			rc = view_new(md, host, b.be, x, &to, err, cap);
			if (rc)
				break;
			made = true;
		}
		rc = move_piece(md, &b, d, e, to, err, cap);
		if (rc)
			break;
	}
	if (made && !to->refs)
		view_drop(md, to);
	return rc;
}

/*
 * Start a switch of host's views to the setting @on: 0 when nothing moves
 * (done), -EINPROGRESS when mem_dev_host_group_files_step() walks the host's
 * extents from the first, or -errno.
 */
static int regroup_start(struct mem_dev *md, uint16_t host, bool on, char *err, size_t cap)
{
	struct mem_regroup *g = &md->regroup[host];

	if (md->trusted) {
		mem_errf(err, cap, "host=%u: hosts are trusted: their fds are the backends'", host);
		return -EOPNOTSUPP;
	}
	if (!g->busy && md->group_files[host] == on && !md->group_partial[host] &&
	    !(by_group(md, host) && md->views[host] && group_room(md, host)))
		return 0; /* nothing to move (a spilled group moves once there is room) */
	md->group_files[host] = on;
	md->group_partial[host] = false;
	*g = (struct mem_regroup){ 0 };
	if (md->mode != MEM_DEV_SINGLE)
		return 0; /* a view per tag-backed backend is one group's already */
	if (!md->list) {
		/* no model to say which group a range is of: only a host holding nothing switches */
		struct bind_pos p;
		struct mem_bind b;

		if (!mem_bind_seek(&md->trees[host], md->span_base, &p, &b))
			return 0;
		md->group_files[host] = !on;
		mem_errf(err, cap, "host=%u: no device model to regroup its views by", host);
		return -EOPNOTSUPP;
	}
	g->busy = true;
	g->on = on;
	return -EINPROGRESS;
}

int mem_dev_host_group_files_step(struct mem_dev *md, uint16_t host, bool on, uint32_t max,
				  char *err, size_t cap)
{
	struct core_extent_info x[64];
	struct mem_regroup *g;
	uint32_t n = 0, done = 0;
	char msg[256];
	int rc;

	if (host >= md->layout.nr_hosts)
		return -EINVAL;
	g = &md->regroup[host];
	if (!g->busy || g->on != on) {
		rc = regroup_start(md, host, on, err, cap);
		if (rc != -EINPROGRESS)
			return rc;
	}
	while (done < max) {
		uint32_t want = max - done < 64 ? max - done : 64;

		if (md->list(md->model, host, g->next, want, x, &n)) {
			g->rc = g->rc ? g->rc : -EIO;
			snprintf(g->msg, sizeof(g->msg), "host=%u: the model's extent list failed",
				 host);
			n = 0;
		}
		for (uint32_t i = 0; i < n; i++) {
			rc = x[i].sharable ? 0 : regroup_extent(md, host, &x[i], msg, sizeof(msg));
			if (rc && !g->rc) {
				g->rc = rc;
				snprintf(g->msg, sizeof(g->msg), "%s", msg);
			}
		}
		g->next += n;
		done += n;
		if (n < want) {
			/* the end; a release meanwhile shifted the list: walk it again */
			if (g->dirty) {
				g->dirty = false;
				g->next = 0;
				return -EINPROGRESS;
			}
			break;
		}
	}
	if (done >= max)
		return -EINPROGRESS;
	g->busy = false;
	if (!g->rc)
		return 0;
	md->group_partial[host] = true;
	mem_errf(err, cap, "%s", g->msg);
	note(md, g->msg);
	return g->rc;
}

int mem_dev_host_group_files(struct mem_dev *md, uint16_t host, bool on, char *err, size_t cap)
{
	int rc;

	do
		rc = mem_dev_host_group_files_step(md, host, on, UINT32_MAX, err, cap);
	while (rc == -EINPROGRESS);
	return rc;
}

void mem_dev_host_group_max(struct mem_dev *md, uint16_t host, uint32_t max)
{
	if (host < md->layout.nr_hosts)
		md->group_max[host] = max;
}

bool mem_dev_host_group_spilled(const struct mem_dev *md, uint16_t host)
{
	return host < md->layout.nr_hosts && by_group(md, host) && md->views[host];
}

/* A set of tags (open addressing, grown at half full): the tags of a host's groups. */
struct tagset {
	uint8_t (*t)[CXLDCD_TAG_SIZE];
	uint32_t size, nr;
};

/* Add tag; 1 when new, 0 when there, -ENOMEM. */
static int tagset_add(struct tagset *s, const uint8_t *tag)
{
	if (s->nr * 2 >= s->size) {
		uint32_t size = s->size ? s->size * 2 : 64;
		struct tagset n = { .t = calloc(size, sizeof(*n.t)), .size = size };

		if (!n.t)
			return -ENOMEM;
		for (uint32_t i = 0; i < s->size; i++)
			if (memcmp(s->t[i], null_tag, CXLDCD_TAG_SIZE))
				tagset_add(&n, s->t[i]);
		free(s->t);
		*s = n;
	}
	for (uint32_t i = gtab_hash(0, NULL, tag) & (s->size - 1);; i = (i + 1) & (s->size - 1)) {
		if (!memcmp(s->t[i], tag, CXLDCD_TAG_SIZE))
			return 0;
		if (!memcmp(s->t[i], null_tag, CXLDCD_TAG_SIZE)) {
			memcpy(s->t[i], tag, CXLDCD_TAG_SIZE);
			s->nr++;
			return 1;
		}
	}
}

int mem_dev_host_groups(const struct mem_dev *md, uint16_t host, bool count,
			struct mem_host_groups *out)
{
	struct core_extent_info x[64];
	struct tagset tags = { 0 };
	uint32_t start = 0, n = 0;
	int rc = 0;

	if (host >= md->layout.nr_hosts)
		return -EINVAL;
	*out = (struct mem_host_groups){ .files = md->nr_gviews[host],
					 .spilled = by_group(md, host) && md->views[host] };
	if (!count || md->mode != MEM_DEV_SINGLE || md->trusted || !md->list)
		return 0; /* nothing to regroup: a view per backend is one group's, or no views */
	do {
		if (md->list(md->model, host, start, 64, x, &n)) {
			rc = -EIO;
			break;
		}
		for (uint32_t i = 0; i < n && !rc; i++) {
			if (x[i].sharable)
				continue;
			if (untagged(&x[i]))
				out->groups++;
			else if ((rc = tagset_add(&tags, x[i].ext.tag)) > 0)
				out->groups++;
			rc = rc < 0 ? rc : 0;
		}
		start += n;
	} while (n && !rc);
	free(tags.t);
	return rc;
}

/* ------------------------------------------------ moving a grant's sharers */

uint64_t mem_dev_move_take(struct mem_dev *md)
{
	for (struct mem_store *st = md->grants; st; st = st->next) {
		if (st->move_wanted && !st->move_id) {
			st->move_wanted = false;
			st->move_id = ++md->next_move_id;
			return st->move_id;
		}
	}
	return 0;
}

static struct mem_store *grant_of_move(const struct mem_dev *md, uint64_t id)
{
	for (struct mem_store *st = md->grants; st; st = st->next)
		if (st->move_id == id)
			return st;
	return NULL;
}

int mem_dev_move_sharers(const struct mem_dev *md, uint64_t id, struct mem_move_sharer *out,
			 uint32_t max, uint32_t *nr)
{
	const struct mem_store *st = id ? grant_of_move(md, id) : NULL;
	uint32_t n = 0;

	*nr = 0;
	if (!st)
		return -ENOENT;
	for (uint16_t h = 0; h < md->layout.nr_hosts; h++) {
		const struct bind_tree *t = &md->trees[h];
		struct bind_pos p;
		struct mem_bind b;

		for (bool ok = mem_bind_seek(t, 0, &p, &b); ok; ok = mem_bind_step(t, &p, &b)) {
			if (b.st != st)
				continue;
			if (n < max)
				out[n] = (struct mem_move_sharer){ .host = h, .dpa = b.dpa, .len = b.len };
			n++;
		}
	}
	*nr = n;
	return 0;
}

int mem_dev_move_switch(struct mem_dev *md, uint64_t id)
{
	struct mem_store *old = id ? grant_of_move(md, id) : NULL, *st;
	char msg[256] = "moving the sharers of a shared grant: out of memory";
	int rc;

	if (!old)
		return -ENOENT;
	if (old->move_new)
		return -EALREADY;
	rc = mem_store_new(old->be, old->base, old->len, true, 0, &st, msg, sizeof(msg));
	if (!rc) {
		rc = mem_fd_copy(old->fd, 0, st->fd, 0, old->len, old->be->page_size, false);
		if (rc) {
			md->stats.copy_errors++;
			snprintf(msg, sizeof(msg), "moving the sharers of a shared grant of backend %s offset=0x%llx: %s",
				 old->be->id, (unsigned long long)old->base, strerror(-rc));
			mem_store_free(st);
		}
	}
	if (rc) {
		md->stats.move_failures++;
		note(md, msg);
		return rc;
	}
	st->writable = old->writable;
	st->move_id = id;
	st->move_new = true;
	for (uint16_t h = 0; h < md->layout.nr_hosts; h++) {
		struct bind_tree *t = &md->trees[h];
		struct bind_pos p;
		struct mem_bind b;

		for (bool ok = mem_bind_seek(t, 0, &p, &b); ok; ok = mem_bind_step(t, &p, &b)) {
			if (b.st != old)
				continue;
			mem_bind_set_store(&p, st);
			b.st = st;
			st->refs++;
			old->refs--;
			if (b.mapped && mem_window_map(&md->wins[h], b.dpa, b.len, st->fd,
						       mem_bind_off(&b), b.writable, msg, sizeof(msg))) {
				md->stats.map_errors++;
				note(md, msg);
			}
		}
	}
	/* the fresh grant takes the old one's place; the old one waits, retired */
	for (struct mem_store **p = &md->grants; *p; p = &(*p)->next) {
		if (*p == old) {
			*p = old->next;
			break;
		}
	}
	st->next = md->grants;
	md->grants = st;
	old->next = md->retired;
	md->retired = old;
	md->stats.nr_stores++;
	md->stats.moves++;
	return 0;
}

uint64_t mem_dev_move_again(struct mem_dev *md, uint64_t id)
{
	struct mem_store *st = id ? grant_of_move(md, id) : NULL;

	if (!st || st->move_new)
		return 0;
	st->move_wanted = false;
	st->move_id = ++md->next_move_id;
	return st->move_id;
}

void mem_dev_move_finish(struct mem_dev *md, uint64_t id)
{
	struct mem_store *st = id ? grant_of_move(md, id) : NULL;

	if (st) {
		st->move_id = 0;
		st->move_new = false;
	}
	for (struct mem_store **p = &md->retired; id && *p; p = &(*p)->next) {
		struct mem_store *r = *p;

		if (r->move_id != id)
			continue;
		*p = r->next;
		if (mem_fd_punch(r->fd, 0, r->size, r->be->page_size)) {
			md->stats.copy_errors++;
			note(md, "punching a retired shared grant failed: its kept fds may still show the data");
		}
		md->stats.nr_stores--;
		mem_store_free(r);
		return;
	}
}

int mem_dev_sanitize(struct mem_dev *md, const struct core_extent_info *x)
{
	struct mem_backend *b = md->backing;
	uint64_t off = x->ext.dpa - md->span_base;
	int rc;

	if (!x->sanitize)
		return 0;
	if (md->mode == MEM_DEV_TAGGED) {
		if (!memcmp(x->ext.tag, null_tag, CXLDCD_TAG_SIZE))
			return 0;
		b = mem_registry_find_tag(md->reg, x->ext.tag);
		if (!b)
			return 0; /* the backend (and its bytes) are gone */
		off = x->tag_offset;
	}
	rc = mem_backend_zero(b, off, x->ext.len);
	if (rc) {
		md->stats.sanitize_errors++;
		snprintf(md->last_err, sizeof(md->last_err), "sanitize dpa=0x%llx len=0x%llx in backend %s: %s",
			 (unsigned long long)x->ext.dpa, (unsigned long long)x->ext.len, b->id,
			 strerror(-rc));
	}
	return rc;
}

/* -------------------------------------------------------------- queries */

int mem_dev_segments(const struct mem_dev *md, uint16_t host, uint64_t dpa, uint64_t len,
		     struct mem_segment *out, uint32_t max, uint32_t *nr_out, char *err, size_t cap)
{
	uint64_t cur = dpa, end = dpa + len;
	struct mem_segment last = { 0 };
	const struct bind_tree *t;
	struct bind_pos p;
	struct mem_bind b;
	uint32_t n = 0;
	bool ok;

	*nr_out = 0;
	if (host >= md->layout.nr_hosts || !len || end < dpa)
		return -EINVAL;
	t = &md->trees[host];
	for (ok = mem_bind_seek(t, cur, &p, &b); cur < end; ok = mem_bind_step(t, &p, &b)) {
		uint64_t take, off;

		if (!ok || b.dpa > cur) {
			mem_errf(err, cap, "host=%u dpa=0x%llx is not accepted by the host", host,
				 (unsigned long long)cur);
			return -EFAULT;
		}
		take = b.dpa + b.len - cur;
		if (take > end - cur)
			take = end - cur;
		off = mem_bind_off(&b) + (cur - b.dpa);
		if (n && last.fd == mem_bind_fd(&b) && last.offset + last.len == off &&
		    last.writable == b.writable) {
			last.len += take;
		} else {
			last = (struct mem_segment){ .dpa = cur, .len = take, .fd = mem_bind_fd(&b),
						     .offset = off, .writable = b.writable,
						     .scoped = b.st != NULL, .backend_id = b.be->id };
			last.spilled = b.st && !b.st->shared && !b.st->grouped &&
				       by_group(md, host);
			n++;
		}
		if (n <= max)
			out[n - 1] = last;
		cur += take;
	}
	*nr_out = n;
	if (n > max) {
		mem_errf(err, cap, "host=%u dpa=0x%llx len=0x%llx needs %u segments, room for %u", host,
			 (unsigned long long)dpa, (unsigned long long)len, n, max);
		return -ENOSPC;
	}
	return 0;
}

int mem_segment_fd(const struct mem_segment *s)
{
	char path[64];
	int fd;

	if (!s->scoped) {
		fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
	fd = open(path, (s->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void mem_dev_stats_get(const struct mem_dev *md, struct mem_dev_stats *out)
{
	*out = md->stats;
}

const char *mem_dev_last_error(const struct mem_dev *md)
{
	return md->last_err;
}
