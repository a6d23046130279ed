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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	if (l->nr_hosts < 1 || l->nr_hosts > CXLDCD_MAX_HOSTS || l->nr_regions < 1 ||
	    l->nr_regions > CXLDCD_MAX_REGIONS) {
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
	*base = l->regions[0].base;
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
	md->backing = b;
	b->users++;
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
	md->reg = reg;
	rc = layout_check(layout, &md->span_base, &md->span_size, &cap_end, err, cap);
	if (rc)
		goto err;
	md->trees = calloc(layout->nr_hosts, sizeof(*md->trees));
	md->wins = calloc(layout->nr_hosts, sizeof(*md->wins));
	md->spare = calloc(1, sizeof(*md->spare));
	if (!md->trees || !md->wins || !md->spare) {
		rc = -ENOMEM;
		goto err;
	}
	if (cfg->mode == MEM_DEV_SINGLE) {
		rc = backing_attach(md, cfg->memdev, cap_end, err, cap);
		if (rc)
			goto err;
	}
	*out = md;
	return 0;
err:
	mem_dev_free(md);
	return rc;
}

static void free_tree(struct mem_bind *n)
{
	if (!n)
		return;
	free_tree(n->left);
	free_tree(n->right);
	mem_backend_bind_unlink(n->be, n);
	free(n);
}

void mem_dev_free(struct mem_dev *md)
{
	if (!md)
		return;
	for (unsigned int h = 0; md->trees && h < md->layout.nr_hosts; h++)
		free_tree(md->trees[h].root);
	for (unsigned int h = 0; md->wins && h < md->layout.nr_hosts; h++)
		mem_window_release(&md->wins[h]);
	if (md->backing)
		md->backing->users--;
	free(md->spare);
	free(md->wins);
	free(md->trees);
	free(md);
}

/* ------------------------------------------------------------ resolution */

/*
 * Where x lives: backend and offset.  Return 0, -EINVAL (untagged extent on a
 * tag-backed device, or not mappable), -ENOENT (no backend has the tag),
 * -ERANGE (past the backend's end).
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
			mem_tag_format(x->ext.tag, ts);
			mem_errf(err, cap, X_FMT ": no memory backend has tag=%s", X_ARGS(x), ts);
			return -ENOENT;
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
		crc = rc == -ERANGE || rc == -ENOENT ? CXLDCD_RC_INVALID_PA : CXLDCD_RC_INVALID_INPUT;
		if (diag) {
			diag->rc = crc;
			diag->index = (int32_t)i;
			snprintf(diag->text, sizeof(diag->text), "%s", msg);
		}
		return crc;
	}
	return CXLDCD_RC_SUCCESS;
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

static int map_bind(struct mem_dev *md, struct mem_bind *nb, char *err, size_t cap)
{
	struct mem_window *w = window_get(md, nb->host, err, cap);
	int rc;

	rc = w ? mem_window_map(w, nb->dpa, nb->len, nb->be->fd, nb->off, nb->writable, err, cap)
	       : -ENOMEM;
	if (rc) {
		md->stats.map_errors++;
		return rc;
	}
	nb->mapped = true;
	md->stats.nr_mapped++;
	return 0;
}

int mem_dev_bind(struct mem_dev *md, const struct core_extent_info *x, char *err, size_t cap)
{
	char msg[256] = "";
	struct mem_backend *be;
	struct mem_bind *nb;
	uint64_t off;
	int rc;

	if (x->host >= md->layout.nr_hosts || x->region >= md->layout.nr_regions || !x->ext.len) {
		snprintf(msg, sizeof(msg), X_FMT " region=%u: no such host or region", X_ARGS(x), x->region);
		rc = -EINVAL;
		goto fail;
	}
	rc = resolve(md, x, &be, &off, msg, sizeof(msg));
	if (rc)
		goto fail;
	nb = calloc(1, sizeof(*nb));
	if (!md->spare)
		md->spare = calloc(1, sizeof(*md->spare));
	if (!nb || !md->spare) {
		free(nb);
		snprintf(msg, sizeof(msg), X_FMT ": out of memory", X_ARGS(x));
		rc = -ENOMEM;
		goto fail;
	}
	*nb = (struct mem_bind){ .dpa = x->ext.dpa, .len = x->ext.len, .off = off, .be = be,
				 .host = x->host, .region = x->region,
				 .writable = !md->layout.regions[x->region].read_only };
	rc = mem_bind_insert(&md->trees[x->host], nb);
	if (rc) {
		free(nb);
		snprintf(msg, sizeof(msg), X_FMT ": overlaps a range already bound to the host", X_ARGS(x));
		goto fail;
	}
	mem_backend_bind_link(be, nb);
	md->stats.nr_bound++;
	if (md->direct_map) {
		rc = map_bind(md, nb, msg, sizeof(msg));
		if (rc) {
			note(md, msg);
			mem_errf(err, cap, "%s", msg);
			return rc;
		}
	}
	return 0;
fail:
	md->stats.bind_errors++;
	note(md, msg);
	mem_errf(err, cap, "%s", msg);
	return rc;
}

static void drop_bind(struct mem_dev *md, struct bind_tree *t, struct mem_bind *b)
{
	mem_bind_remove(t, b);
	mem_backend_bind_unlink(b->be, b);
	md->stats.nr_bound--;
	if (b->mapped)
		md->stats.nr_mapped--;
	free(b);
}

/* Take [d, e) out of b, which overlaps it. */
static void cut_bind(struct mem_dev *md, struct bind_tree *t, struct mem_bind *b, uint64_t d, uint64_t e)
{
	uint64_t b_end = b->dpa + b->len;
	struct mem_bind *tail;

	if (d <= b->dpa && e >= b_end) {
		drop_bind(md, t, b);
	} else if (d <= b->dpa) {
		/* front cut: the key grows but stays below the next node */
		b->off += e - b->dpa;
		b->len = b_end - e;
		b->dpa = e;
	} else if (e >= b_end) {
		b->len = d - b->dpa;
	} else {
		tail = md->spare;
		md->spare = NULL;
		*tail = *b;
		tail->dpa = e;
		tail->len = b_end - e;
		tail->off = b->off + (e - b->dpa);
		b->len = d - b->dpa;
		mem_bind_insert(t, tail); /* cannot overlap: it was part of b */
		mem_backend_bind_link(tail->be, tail);
		md->stats.nr_bound++;
		if (tail->mapped)
			md->stats.nr_mapped++;
		md->spare = calloc(1, sizeof(*md->spare)); /* NULL is retried at the next bind */
	}
}

int mem_dev_unbind(struct mem_dev *md, const struct core_extent_info *x)
{
	uint64_t d = x->ext.dpa, e = x->ext.dpa + x->ext.len;
	struct bind_tree *t;
	struct mem_bind *b, *next;
	char msg[256];
	bool any = false;

	if (x->host >= md->layout.nr_hosts || e < d)
		return -EINVAL;
	t = &md->trees[x->host];
	/* Access goes first: nothing may reach the range once we return. */
	if (md->wins[x->host].base && mem_window_unmap(&md->wins[x->host], d, x->ext.len, msg, sizeof(msg))) {
		md->stats.unmap_errors++;
		note(md, msg);
	}
	for (b = mem_bind_first_from(t, d); b && b->dpa < e; b = next) {
		next = mem_bind_next(t, b);
		if (!md->spare && d > b->dpa && e < b->dpa + b->len) {
			/* cannot split without memory: keep it safe, drop it whole */
			snprintf(md->last_err, sizeof(md->last_err), X_FMT ": out of memory, dropped the whole binding", X_ARGS(x));
			drop_bind(md, t, b);
		} else {
			cut_bind(md, t, b, d, e);
		}
		any = true;
	}
	return any ? 0 : -ENOENT;
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
	const struct mem_bind *b;
	uint32_t n = 0;

	*nr_out = 0;
	if (host >= md->layout.nr_hosts || !len || end < dpa)
		return -EINVAL;
	t = &md->trees[host];
	for (b = mem_bind_find(t, cur); cur < end; b = mem_bind_next(t, b)) {
		uint64_t take, off;

		if (!b || b->dpa > cur) {
			mem_errf(err, cap, "host=%u dpa=0x%llx is not accepted by the host", host,
				 (unsigned long long)cur);
			return -EFAULT;
		}
		take = b->dpa + b->len - cur;
		if (take > end - cur)
			take = end - cur;
		off = b->off + (cur - b->dpa);
		if (n && last.fd == b->be->fd && last.offset + last.len == off &&
		    last.writable == b->writable) {
			last.len += take;
		} else {
			last = (struct mem_segment){ .dpa = cur, .len = take, .fd = b->be->fd,
						     .offset = off, .writable = b->writable,
						     .backend_id = b->be->id };
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

void mem_dev_stats_get(const struct mem_dev *md, struct mem_dev_stats *out)
{
	*out = md->stats;
}

const char *mem_dev_last_error(const struct mem_dev *md)
{
	return md->last_err;
}
