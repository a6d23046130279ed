/* SPDX-License-Identifier: MIT */
/*
 * qmp-dcd-query.c - query-cxl-dynamic-capacity (ours, docs/qmp.md): a
 * device's regions, counts, per-host accepted extents and pending groups, and
 * its live tags, built from the model's paged queries.
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

static json_t *accepted_json(const struct dcd *dv, uint16_t host)
{
	struct core_extent_info x[EXT_PAGE];
	uint32_t start = 0, n = 0;
	json_t *a = json_array();

	do {
		if (core_extent_list_info(dv->dev, host, start, EXT_PAGE, x, &n))
			break;
		for (uint32_t i = 0; a && i < n; i++) {
			json_t *e = dcd_extent_json(dv, &x[i].ext);

			json_object_set_new(e, "tag-offset", json_integer((json_int_t)x[i].tag_offset));
			json_object_set_new(e, "release-pending", json_boolean(x[i].release_pending));
			json_array_append_new(a, e);
		}
		start += n;
	} while (n);
	return a;
}

static json_t *pending_json(const struct dcd *dv, uint16_t host)
{
	json_t *a = json_array();

	for (uint32_t g = 0; a && g < core_pending_count(dv->dev, host); g++) {
		struct core_group_info gi;
		struct cxldcd_extent e[EXT_PAGE];
		uint32_t start = 0, n = 0;
		json_t *ext = json_array();

		core_pending_get(dv->dev, host, g, &gi);
		do {
			if (core_pending_extents(dv->dev, host, g, start, EXT_PAGE, e, &n))
				break;
			for (uint32_t i = 0; ext && i < n; i++)
				json_array_append_new(ext, dcd_extent_json(dv, &e[i]));
			start += n;
		} while (n == EXT_PAGE);
		json_array_append_new(a, json_pack("{s:I, s:b, s:I, s:o}", "group", (json_int_t)gi.id,
						   "dead", gi.dead, "offered-ns",
						   (json_int_t)gi.offered_ns, "extents", ext));
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

static json_t *tags_json(const struct dcd *dv)
{
	struct core_tag_info t[EXT_PAGE];
	uint16_t nr_hosts = core_dev_cfg(dv->dev)->nr_hosts;
	uint32_t start = 0, n = 0;
	json_t *a = json_array();

	do {
		if (core_tag_list(dv->dev, start, EXT_PAGE, t, &n))
			break;
		for (uint32_t i = 0; a && i < n; i++) {
			char tag[37];
			struct mem_backend *b = mem_registry_find_tag(dv->srv->reg, t[i].tag);

			common_tag_format(t[i].tag, tag);
			json_array_append_new(a, json_pack(
				"{s:s, s:s?, s:b, s:b, s:o, s:o, s:i, s:I}", "tag", tag, "memdev",
				b ? mem_backend_id(b) : NULL, "fm-reference", t[i].fm_ref, "sharable",
				t[i].sharable, "accepted-hosts", host_list(t[i].accepted_map, nr_hosts),
				"pending-hosts", host_list(t[i].pending_map, nr_hosts), "extents",
				t[i].nr_extents, "bytes", (json_int_t)t[i].bytes));
		}
		start += n;
	} while (n);
	return a;
}

static int query_dc(struct server_ctx *s, json_t *args, json_t **ret, struct qmp_error *err,
		    bool *changed)
{
	struct dcd *dv = dcd_resolve(s, args, err);
	const struct cxldcd_dev_cfg *cfg;
	struct core_counts c;
	json_t *hosts, *r;

	(void)changed;
	if (!dv)
		return -EINVAL;
	cfg = core_dev_cfg(dv->dev);
	core_counts_get(dv->dev, &c);
	hosts = json_array();
	for (uint16_t h = 0; hosts && h < cfg->nr_hosts; h++) {
		json_array_append_new(hosts, json_pack(
			"{s:i, s:I, s:i, s:o, s:o}", "host-id", h, "generation",
			(json_int_t)core_extent_generation(dv->dev, h), "connected",
			dv->hl ? hostlink_host_connected(dv->hl, h) : 0, "extents",
			accepted_json(dv, h), "pending", pending_json(dv, h)));
	}
	r = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:o, s:{s:I, s:I, s:I, s:I}, s:I, s:o, s:o}",
		      "id", dv->id, "path", dv->path, "mode",
		      dv->mode == MEM_DEV_SINGLE ? "volatile-dc-memdev" : "tagged", "memdev",
		      dv->memdev, "num-hosts", cfg->nr_hosts, "regions",
		      regions_json(dv), "counts", "total-extents", (json_int_t)c.total_extents,
		      "available-extents", (json_int_t)c.avail_extents, "total-tags",
		      (json_int_t)c.total_tags, "available-tags", (json_int_t)c.avail_tags,
		      "tag-generation", (json_int_t)core_tag_generation(dv->dev), "hosts", hosts,
		      "tags", tags_json(dv));
	*ret = r;
	if (!r) {
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int qmp_query_dc(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	return dcd_run(opaque, "query-cxl-dynamic-capacity", args, ret, err, query_dc, DCD_J_NEVER);
}

const struct qmp_arg qmp_query_dc_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG_END
};

