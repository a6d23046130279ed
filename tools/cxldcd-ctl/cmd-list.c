/* SPDX-License-Identifier: MIT */
/*
 * cmd-list.c - cxldcd-ctl list: a device's dynamic capacity as tables
 * (regions, hosts, extents, pending groups, tags) from cxldcd's
 * query-cxl-dynamic-capacity (docs/qmp.md, "Device commands"), of one
 * device or of every device of the daemon (qom-list /machine/peripheral).
 * What is not here: the commands that change capacity (cmd-dc.c), the
 * capacity map (cmd-map.c).
 *
 * Each extent's offset from its region base is shown next to its DPA:
 * what list prints can be pasted into release --extent.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "table.h"

/*
 * "host 0", "hosts 0,1" from an array of host ids, "-" when empty: the
 * word says these are ids, not a count.
 */
static const char *host_list(json_t *a, char *buf, size_t cap)
{
	size_t i, o = 0;
	json_t *h;

	buf[0] = 0;
	json_array_foreach(a, i, h) {
		int n = snprintf(buf + o, cap - o, "%s%lld",
				 i ? "," : json_array_size(a) > 1 ? "hosts " : "host ",
				 (long long)json_integer_value(h));

		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, cap, "-");
	return buf;
}

static int print_table(struct table *t)
{
	int rc = !t || table_print(t, stdout, 0);

	table_free(t);
	return rc ? -1 : 0;
}

static int list_regions(json_t *q)
{
	static const char *const h[] = { "REGION", "BASE", "LEN", "BLOCK", "ALLOCATED", "FLAGS" };
	struct table *t = table_new(h, 6);
	char b1[24], b2[24], b3[24];
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(q, "regions"), i, r) {
		char flags[64];

		snprintf(flags, sizeof(flags), "%s%s%s",
			 json_is_true(json_object_get(r, "sharable")) ? "sharable," : "",
			 json_is_true(json_object_get(r, "sanitize-on-release")) ? "sanitize," : "",
			 json_is_true(json_object_get(r, "read-only")) ? "read-only," : "");
		if (flags[0])
			flags[strlen(flags) - 1] = 0;
		if (!t)
			break;
		table_cell(t, "%" PRIu64, ctl_u64(r, "region"));
		table_cell(t, "0x%" PRIx64, ctl_u64(r, "base"));
		table_cell(t, "%s", ctl_sz(ctl_u64(r, "len"), b1));
		table_cell(t, "%s", ctl_sz(ctl_u64(r, "block-size"), b2));
		table_cell(t, "%s", ctl_sz(ctl_u64(r, "allocated"), b3));
		table_cell(t, "%s", flags[0] ? flags : "-");
	}
	return print_table(t);
}

static bool want_host(const struct ctl_devopt *d, json_t *h)
{
	return !d->has_host || ctl_u64(h, "host-id") == d->host;
}

static void extent_row(struct table *t, uint64_t host, json_t *e, const char *state)
{
	char b[24];

	table_cell(t, "%" PRIu64, host);
	table_cell(t, "0x%" PRIx64, ctl_u64(e, "dpa"));
	table_cell(t, "%s", ctl_sz(ctl_u64(e, "len"), b));
	table_cell(t, "%lld", (long long)json_integer_value(json_object_get(e, "region")));
	table_cell(t, "0x%" PRIx64, ctl_u64(e, "offset"));
	table_cell(t, "%s", ctl_str(e, "tag", "-"));
	table_cell(t, "%" PRIu64, ctl_u64(e, "shared-seq"));
	table_cell(t, "%s", state);
}

static int list_extents(json_t *q, const struct ctl_devopt *d)
{
	static const char *const h[] = { "HOST", "DPA", "LEN", "REGION", "OFFSET", "TAG", "SEQ",
					 "STATE" };
	struct table *t = table_new(h, 8);
	size_t i, j, k;
	json_t *host, *e, *g;

	json_array_foreach(json_object_get(q, "hosts"), i, host) {
		uint64_t id = ctl_u64(host, "host-id");

		if (!t || !want_host(d, host))
			continue;
		json_array_foreach(json_object_get(host, "extents"), j, e)
			extent_row(t, id, e, json_is_true(json_object_get(e, "release-pending"))
						     ? "release-pending" : "accepted");
		json_array_foreach(json_object_get(host, "pending"), j, g) {
			char state[48];

			snprintf(state, sizeof(state), "%s (group %" PRIu64 ")",
				 json_is_true(json_object_get(g, "dead")) ? "dead" : "pending",
				 ctl_u64(g, "group"));
			json_array_foreach(json_object_get(g, "extents"), k, e)
				extent_row(t, id, e, state);
		}
	}
	if (t && !table_rows(t)) {
		table_free(t);
		printf("(none)\n");
		return 0;
	}
	return print_table(t);
}

static int list_hosts(json_t *q, const struct ctl_devopt *d)
{
	static const char *const h[] = { "HOST", "GENERATION", "CONNECTED", "EXTENTS", "BYTES",
					 "PENDING-GROUPS" };
	struct table *t = table_new(h, 6);
	size_t i, j;
	json_t *host, *e;

	json_array_foreach(json_object_get(q, "hosts"), i, host) {
		uint64_t bytes = 0;
		char b[24];

		if (!t || !want_host(d, host))
			continue;
		json_array_foreach(json_object_get(host, "extents"), j, e)
			bytes += ctl_u64(e, "len");
		table_cell(t, "%" PRIu64, ctl_u64(host, "host-id"));
		table_cell(t, "%" PRIu64, ctl_u64(host, "generation"));
		/* a boolean, or 0/1 from daemons before it was one */
		table_cell(t, "%s", json_is_true(json_object_get(host, "connected")) ||
					    ctl_u64(host, "connected") ? "yes" : "no");
		table_cell(t, "%zu", json_array_size(json_object_get(host, "extents")));
		table_cell(t, "%s", ctl_sz(bytes, b));
		table_cell(t, "%zu", json_array_size(json_object_get(host, "pending")));
	}
	return print_table(t);
}

static int list_groups(json_t *q, const struct ctl_devopt *d)
{
	static const char *const h[] = { "HOST", "GROUP", "EXTENTS", "BYTES", "AGE", "STATE" };
	struct table *t = table_new(h, 6);
	struct timespec now;
	size_t i, j, k;
	json_t *host, *g, *e;

	clock_gettime(CLOCK_REALTIME, &now);
	json_array_foreach(json_object_get(q, "hosts"), i, host) {
		if (!t || !want_host(d, host))
			continue;
		json_array_foreach(json_object_get(host, "pending"), j, g) {
			int64_t age = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec -
				      (int64_t)ctl_u64(g, "offered-ns");
			uint64_t bytes = 0;
			char b[24];

			json_array_foreach(json_object_get(g, "extents"), k, e)
				bytes += ctl_u64(e, "len");
			table_cell(t, "%" PRIu64, ctl_u64(host, "host-id"));
			table_cell(t, "%" PRIu64, ctl_u64(g, "group"));
			table_cell(t, "%zu", json_array_size(json_object_get(g, "extents")));
			table_cell(t, "%s", ctl_sz(bytes, b));
			table_cell(t, "%.1fs", age > 0 ? (double)age / 1e9 : 0.0);
			table_cell(t, "%s", json_is_true(json_object_get(g, "dead")) ? "dead" : "pending");
		}
	}
	if (t && !table_rows(t)) {
		table_free(t);
		printf("(none)\n");
		return 0;
	}
	return print_table(t);
}

static int list_tags(json_t *q)
{
	static const char *const h[] = { "TAG", "MEMDEV", "EXTENTS", "BYTES", "ACCEPTED-BY",
					 "PENDING-ON", "FLAGS" };
	struct table *t = table_new(h, 7);
	size_t i;
	json_t *g;

	json_array_foreach(json_object_get(q, "tags"), i, g) {
		char b[24], h1[128], h2[128], flags[32];

		if (!t)
			break;
		snprintf(flags, sizeof(flags), "%s%s",
			 json_is_true(json_object_get(g, "sharable")) ? "sharable," : "",
			 json_is_true(json_object_get(g, "fm-reference")) ? "fm-ref," : "");
		if (flags[0])
			flags[strlen(flags) - 1] = 0;
		table_cell(t, "%s", ctl_str(g, "tag", "?"));
		table_cell(t, "%s", ctl_str(g, "memdev", "-"));
		table_cell(t, "%" PRIu64, ctl_u64(g, "extents"));
		table_cell(t, "%s", ctl_sz(ctl_u64(g, "bytes"), b));
		table_cell(t, "%s", host_list(json_object_get(g, "accepted-hosts"), h1, sizeof(h1)));
		table_cell(t, "%s", host_list(json_object_get(g, "pending-hosts"), h2, sizeof(h2)));
		table_cell(t, "%s", flags[0] ? flags : "-");
	}
	if (t && !table_rows(t)) {
		table_free(t);
		printf("(none)\n");
		return 0;
	}
	return print_table(t);
}

static int print_list(json_t *q, const struct ctl_devopt *d)
{
	json_t *cnt = json_object_get(q, "counts");
	int rc = 0;

	printf("device %s  path=%s  mode=%s%s%s  hosts=%" PRIu64 "\n", ctl_str(q, "id", "?"),
	       ctl_str(q, "path", "?"), ctl_str(q, "mode", "?"), json_is_string(json_object_get(q, "memdev")) ?
	       "  memdev=" : "", ctl_str(q, "memdev", ""), ctl_u64(q, "num-hosts"));
	printf("extents %" PRIu64 "/%" PRIu64 " in use  tags %" PRIu64 "/%" PRIu64
	       " in use  tag-generation=%" PRIu64 "\n\n",
	       ctl_u64(cnt, "total-extents") - ctl_u64(cnt, "available-extents"), ctl_u64(cnt, "total-extents"),
	       ctl_u64(cnt, "total-tags") - ctl_u64(cnt, "available-tags"), ctl_u64(cnt, "total-tags"),
	       ctl_u64(q, "tag-generation"));
	rc |= list_regions(q);
	printf("\n");
	rc |= list_hosts(q, d);
	printf("\nEXTENTS\n");
	rc |= list_extents(q, d);
	printf("\nPENDING GROUPS\n");
	rc |= list_groups(q, d);
	printf("\nTAGS\n");
	rc |= list_tags(q);
	return rc ? CTL_EXIT_FAIL : 0;
}

int ctl_all_devices(struct ctl *c, json_t **ids)
{
	AUTO_JSON *args = json_pack("{s:s}", "path", "/machine/peripheral"), *ret = NULL;
	size_t i;
	json_t *p;
	int rc;

	*ids = json_array();
	if (!args || !*ids)
		return ctl_fail(c, "out of memory");
	if ((rc = ctl_call(c, "qom-list", args, &ret)))
		return rc;
	json_array_foreach(ret, i, p)
		if (!strcmp(ctl_str(p, "type", ""), "child<cxl-type3>"))
			json_array_append(*ids, json_object_get(p, "name"));
	return 0;
}

static int list_one(struct ctl *c, const struct ctl_devopt *d, const char *device, json_t *all)
{
	AUTO_JSON *ret = NULL;
	int rc;

	if ((rc = ctl_query_dev(c, device, &ret)))
		return rc;
	if (d->has_host && d->host >= ctl_u64(ret, "num-hosts") && d->device)
		return ctl_fail(c, "host=%" PRIu64 " is out of range: the device has num-hosts=%" PRIu64,
				d->host, ctl_u64(ret, "num-hosts"));
	if (d->has_host && d->host >= ctl_u64(ret, "num-hosts"))
		return ctl_fail(c, "host=%" PRIu64 " is out of range: device %s has num-hosts=%" PRIu64,
				d->host, device, ctl_u64(ret, "num-hosts"));
	if (all)
		return json_array_append(all, ret) ? ctl_fail(c, "out of memory") : 0;
	if (c->json) {
		ctl_print_json(ret);
		return 0;
	}
	return print_list(ret, d);
}

static int run_list(struct ctl *c, int argc, char **argv)
{
	static const struct option o[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "host", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_devopt d = { 0 };
	AUTO_JSON *ids = NULL, *all = NULL;
	size_t i;
	json_t *id;
	int rc;

	if ((rc = ctl_devopt_parse(c, argc, argv, o, &ctl_cmd_list, &d, false, true)))
		return rc < 0 ? CTL_EXIT_OK : rc;
	if ((rc = ctl_connect(c)))
		return rc;
	if (d.device)
		return list_one(c, &d, d.device, NULL);
	/* every device: one after the other, or one JSON array */
	if ((rc = ctl_all_devices(c, &ids)))
		return rc;
	if (c->json && !(all = json_array()))
		return ctl_fail(c, "out of memory");
	if (!json_array_size(ids) && !c->json)
		printf("(no devices)\n");
	json_array_foreach(ids, i, id) {
		if (i && !c->json)
			printf("\n");
		if ((rc = list_one(c, &d, json_string_value(id), all)))
			return rc;
	}
	if (all)
		ctl_print_json(all);
	return 0;
}

const struct ctl_cmd ctl_cmd_list = {
	.name = "list",
	.run = run_list,
	.synopsis = "list [--device ID] [--host N]",
	.help =
"Show a device's dynamic capacity (query-cxl-dynamic-capacity): regions,\n"
"hosts, every extent (accepted, release-pending, or pending in a group),\n"
"pending groups, and tags with the hosts holding them.  OFFSET is relative\n"
"to the region base, as --extent takes it.  --host shows one host's\n"
"extents and groups (tags are always shown in full).  --json prints the\n"
"daemon's reply as it is.  Without --device, every device of the daemon\n"
"(qom-list /machine/peripheral), one after the other; with --json, an array\n"
"of their replies.\n",
};
