/* SPDX-License-Identifier: MIT */
/*
 * qmp-dcd-query.c - query-cxl-dynamic-capacity (ours, docs/qmp.md): a
 * device's regions, counts, per-host accepted extents and pending groups, and
 * its live tags, built from the model's paged queries.
 *
 * The items of the answer are numbered in one order: host by host (host-id
 * order), its accepted extents (DPA order), then the extents of its pending
 * groups (oldest group first); then the live tags.  Optional filters
 * (host-id, region, tag) keep some of them; start-index and max-count return
 * a page of what is kept, each item exactly once across pages while the
 * device does not change (the per-host "generation" and "tag-generation"
 * say when it did).  Unfiltered or filtered by host-id, a page costs
 * O(page + log n): the accepted extents and the pending ones are found by
 * index (core_pending_locate() finds the group and place of the page's first
 * pending extent), and so are the tags (core_tag_list_host() pages the tags
 * one host holds); the region and tag filters visit every extent of the
 * lists they filter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tag.h"
#include "qmp/qmp.h"
#include "daemon.h"
#include "qmp-dcd.h"

#define EXT_PAGE 64

/* ---- query-cxl-dynamic-capacity ----------------------------------------- */

static json_t *regions_json(const struct dcd *dv)
{
	json_t *a = json_array();

	for (uint8_t r = 0; a && r < core_region_count(dv->dev); r++) {
		struct core_region_info ri;

		core_region_get(dv->dev, r, &ri);
		json_array_append_new(a, json_pack(
			"{s:i, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:b, s:I}", "region", r,
			"base", (json_int_t)ri.base, "decode-len", (json_int_t)ri.decode_len,
			"len", (json_int_t)ri.len, "block-size", (json_int_t)ri.block_size,
			"supported-block-sizes", (json_int_t)ri.supported_block_mask,
			"sanitize-on-release", ri.sanitize_on_release, "sharable", ri.sharable,
			"read-only", ri.read_only, "allocated", (json_int_t)ri.allocated_bytes));
	}
	return a;
}

struct page {
	const struct dcd *dv;
	int host;                       /* -1: every host */
	int region;                     /* -1: every region */
	bool has_tag;
	uint8_t tag[CXLDCD_TAG_SIZE];
	uint64_t start, max;            /* the page: items [start, start + max) */
	uint64_t idx;                   /* items numbered so far */
	uint64_t returned;
	bool fail;                      /* out of memory */
};

/* The next item, numbered: true when it is in the page. */
static bool take(struct page *pg)
{
	bool in = pg->idx >= pg->start && pg->idx - pg->start < pg->max;

	pg->idx++;
	pg->returned += in;
	return in;
}

/* Every item from here on lies after the page. */
static bool past_end(const struct page *pg)
{
	return pg->idx >= pg->start && pg->idx - pg->start >= pg->max;
}

/* How many of the next n items lie before, in the page; skip all n when none do. */
static bool skip_run(struct page *pg, uint64_t n, uint64_t *first)
{
	if (pg->idx + n <= pg->start || past_end(pg)) {
		pg->idx += n;
		return true;
	}
	*first = pg->idx < pg->start ? pg->start - pg->idx : 0;
	return false;
}

static bool ext_matches(const struct page *pg, const struct cxldcd_extent *e)
{
	if (pg->region >= 0 && core_region_of(pg->dv->dev, e->dpa, e->len) != pg->region)
		return false;
	return !pg->has_tag || !memcmp(e->tag, pg->tag, CXLDCD_TAG_SIZE);
}

static bool filtered(const struct page *pg)
{
	return pg->region >= 0 || pg->has_tag;
}

static void append(struct page *pg, json_t *a, json_t *o)
{
	if (!o || json_array_append_new(a, o))
		pg->fail = true;
}

static json_t *accepted_json(struct page *pg, uint16_t host)
{
	const struct dcd *dv = pg->dv;
	uint32_t count = core_extent_count(dv->dev, host), n = 0;
	struct core_extent_info x[EXT_PAGE];
	uint64_t first = 0, pos;
	json_t *a = json_array();

	if (!a)
		pg->fail = true;
	/* Unfiltered: the page's first extent is found by index, the rest is skipped. */
	if (!filtered(pg) && skip_run(pg, count, &first))
		return a;
	pos = filtered(pg) ? 0 : first;
	pg->idx += filtered(pg) ? 0 : first;
	while (a && !pg->fail && pos < count) {
		if (core_extent_list_info(dv->dev, host, (uint32_t)pos, EXT_PAGE, x, &n) || !n)
			break;
		for (uint32_t i = 0; i < n; i++) {
			json_t *e;

			if (filtered(pg) && !ext_matches(pg, &x[i].ext))
				continue;
			if (!filtered(pg) && past_end(pg)) {
				pg->idx += count - (pos + i);
				return a;
			}
			if (!take(pg))
				continue;
			e = dcd_extent_json(dv, &x[i].ext);
			if (e) {
				json_object_set_new(e, "tag-offset", json_integer((json_int_t)x[i].tag_offset));
				json_object_set_new(e, "release-pending", json_boolean(x[i].release_pending));
			}
			append(pg, a, e);
		}
		pos += n;
	}
	return a;
}

static json_t *pending_json(struct page *pg, uint16_t host)
{
	const struct dcd *dv = pg->dv;
	uint64_t total = core_pending_extent_total(dv->dev, host), first = 0, pos = 0;
	uint32_t g = 0, off = 0;
	bool done = false;
	json_t *a = json_array();

	if (!a)
		pg->fail = true;
	/* Unfiltered: the page's first extent is located by index (O(log n)), the rest is skipped. */
	if (!filtered(pg)) {
		if (skip_run(pg, total, &first))
			return a;
		if (core_pending_locate(dv->dev, host, first, &g, &off))
			return a;
		pg->idx += first;
		pos = first;
	}
	for (; a && !pg->fail && !done && g < core_pending_count(dv->dev, host); g++, off = 0) {
		struct core_group_info gi;
		struct cxldcd_extent e[EXT_PAGE];
		uint32_t start = off, n = 0;
		json_t *ext = json_array();

		core_pending_get(dv->dev, host, g, &gi);
		do {
			if (!ext || core_pending_extents(dv->dev, host, g, start, EXT_PAGE, e, &n))
				break;
			for (uint32_t i = 0; i < n && !done; i++) {
				if (filtered(pg)) {
					if (ext_matches(pg, &e[i]) && take(pg))
						append(pg, ext, dcd_extent_json(dv, &e[i]));
					continue;
				}
				if (past_end(pg)) {  /* count the rest without visiting it */
					pg->idx += total - pos;
					done = true;
					break;
				}
				if (take(pg))
					append(pg, ext, dcd_extent_json(dv, &e[i]));
				pos++;
			}
			start += n;
		} while (!done && n == EXT_PAGE);
		if (!json_array_size(ext)) {
			json_decref(ext);
			continue;
		}
		append(pg, a, json_pack("{s:I, s:b, s:I, s:o}", "group", (json_int_t)gi.id, "dead",
					gi.dead, "offered-ns", (json_int_t)gi.offered_ns, "extents", ext));
	}
	return a;
}

static json_t *host_list(const uint8_t map[32], uint16_t nr_hosts)
{
	json_t *a = json_array();

	for (uint16_t h = 0; a && h < nr_hosts && h < 256; h++)
		if (map[h / 8] & (1u << (h % 8)))
			json_array_append_new(a, json_integer(h));
	return a;
}

static json_t *tag_json(const struct dcd *dv, const struct core_tag_info *t)
{
	uint16_t nr_hosts = core_dev_cfg(dv->dev)->nr_hosts;
	struct mem_backend *b = mem_registry_find_tag(dv->srv->reg, t->tag);
	char tag[37];

	common_tag_format(t->tag, tag);
	return json_pack("{s:s, s:s?, s:b, s:b, s:o, s:o, s:i, s:I}", "tag", tag, "memdev",
			 b ? mem_backend_id(b) : NULL, "fm-reference", t->fm_ref, "sharable",
			 t->sharable, "accepted-hosts", host_list(t->accepted_map, nr_hosts),
			 "pending-hosts", host_list(t->pending_map, nr_hosts), "extents",
			 t->nr_extents, "bytes", (json_int_t)t->bytes);
}

static bool tag_on_host(const struct core_tag_info *t, int host)
{
	return host < 0 || ((t->accepted_map[host / 8] | t->pending_map[host / 8]) & (1u << (host % 8)));
}

/* A page of the tags core_tag_list_host(): host < 0 pages every tag (core_tag_list()). */
static enum cxldcd_rc tag_page(const struct dcd *dv, int host, uint32_t start, uint32_t max,
			       struct core_tag_info *out, uint32_t *nr_out)
{
	if (host < 0)
		return core_tag_list(dv->dev, start, max, out, nr_out);
	return core_tag_list_host(dv->dev, (uint16_t)host, start, max, out, nr_out);
}

/* The live tags, or those the host holds: paged by index, O(page + log n) either way. */
static json_t *tags_json(struct page *pg)
{
	const struct dcd *dv = pg->dv;
	struct core_tag_info t[EXT_PAGE];
	uint32_t count, n = 0;
	uint64_t first = 0, pos;
	json_t *a = json_array();

	if (!a)
		pg->fail = true;
	if (pg->has_tag) {
		/* One tag: looked up, not listed. */
		if (a && !core_tag_get(dv->dev, pg->tag, t) && tag_on_host(t, pg->host) && take(pg))
			append(pg, a, tag_json(dv, t));
		return a;
	}
	count = pg->host < 0 ? core_tag_count(dv->dev) : core_tag_count_host(dv->dev, (uint16_t)pg->host);
	if (skip_run(pg, count, &first))
		return a;
	pos = first;
	pg->idx += first;
	while (a && !pg->fail && pos < count && !past_end(pg)) {
		uint64_t want = pg->max - (pg->idx - pg->start); /* skip_run() brought idx to start */

		if (tag_page(dv, pg->host, (uint32_t)pos, want < EXT_PAGE ? (uint32_t)want : EXT_PAGE, t, &n) ||
		    !n)
			break;
		for (uint32_t i = 0; i < n; i++)
			if (take(pg))
				append(pg, a, tag_json(dv, &t[i]));
		pos += n;
	}
	pg->idx += count - pos;
	return a;
}

static int page_args(const struct dcd *dv, json_t *args, struct page *pg, struct qmp_error *err)
{
	bool has_region = json_object_get(args, "region") != NULL;
	struct core_region_info ri;
	uint16_t host;
	uint8_t region;

	*pg = (struct page){ .dv = dv, .host = -1, .region = -1, .max = UINT64_MAX };
	if (json_object_get(args, "host-id")) {
		if (dcd_check_host(dv, args, &host, err))
			return -EINVAL;
		pg->host = host;
	}
	if (has_region) {
		if (dcd_check_region(dv, args, &region, &ri, err))
			return -EINVAL;
		pg->region = region;
	}
	if (dcd_parse_tag(args, pg->tag, &pg->has_tag, err))
		return -EINVAL;
	pg->start = qmp_arg_uint(args, "start-index", 0);
	if (json_object_get(args, "max-count")) {
		pg->max = qmp_arg_uint(args, "max-count", 0);
		if (!pg->max) {
			qmp_error_set(err, QMP_ERR_GENERIC, "max-count must be at least 1");
			return -EINVAL;
		}
	}
	return 0;
}

static int query_dc(struct server_ctx *s, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct dcd *dv = dcd_resolve(s, args, err);
	const struct cxldcd_dev_cfg *cfg;
	struct core_counts c;
	struct page pg;
	json_t *hosts, *r;

	if (!dv || page_args(dv, args, &pg, err))
		return -EINVAL;
	cfg = core_dev_cfg(dv->dev);
	core_counts_get(dv->dev, &c);
	hosts = json_array();
	for (uint16_t h = 0; hosts && !pg.fail && h < cfg->nr_hosts; h++) {
		json_t *acc, *pend;

		if (pg.host >= 0 && h != pg.host)
			continue;
		acc = accepted_json(&pg, h);
		pend = pending_json(&pg, h);
		append(&pg, hosts, json_pack(
			"{s:i, s:I, s:b, s:o, s:o}", "host-id", h, "generation",
			(json_int_t)core_extent_generation(dv->dev, h), "connected",
			dv->hl ? hostlink_host_connected(dv->hl, h) != 0 : 0, "extents", acc, "pending", pend));
	}
	r = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:o, s:{s:I, s:I, s:I, s:I}, s:I, s:o, s:o}",
		      "id", dv->id, "path", dv->path, "mode", !cfg->nr_regions ? "static-only" :
		      dv->mode == MEM_DEV_SINGLE ? "volatile-dc-memdev" : "tagged", "memdev",
		      dv->memdev, "num-hosts", cfg->nr_hosts, "regions",
		      regions_json(dv), "counts", "total-extents", (json_int_t)c.total_extents,
		      "available-extents", (json_int_t)c.avail_extents, "total-tags",
		      (json_int_t)c.total_tags, "available-tags", (json_int_t)c.avail_tags,
		      "tag-generation", (json_int_t)core_tag_generation(dv->dev), "hosts", hosts,
		      "tags", tags_json(&pg));
	/* Paging: where this page starts and ends, and how many items there are. */
	if (r && (json_object_get(args, "start-index") || json_object_get(args, "max-count"))) {
		json_object_set_new(r, "start-index", json_integer((json_int_t)pg.start));
		json_object_set_new(r, "returned-items", json_integer((json_int_t)pg.returned));
		json_object_set_new(r, "total-items", json_integer((json_int_t)pg.idx));
		if (pg.start + pg.returned < pg.idx)
			json_object_set_new(r, "next-index",
					    json_integer((json_int_t)(pg.start + pg.returned)));
	}
	if (!r || pg.fail) {
		json_decref(r);
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

int qmp_query_dc(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	return dcd_run(opaque, "query-cxl-dynamic-capacity", args, ret, err, query_dc);
}

const struct qmp_arg qmp_query_dc_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_OPT("host-id", QMP_T_UINT16),
	QMP_OPT("region", QMP_T_UINT8),
	QMP_OPT("tag", QMP_T_STR),
	QMP_OPT("start-index", QMP_T_UINT64),
	QMP_OPT("max-count", QMP_T_UINT64),
	QMP_ARG_END
};

