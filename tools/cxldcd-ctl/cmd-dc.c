/* SPDX-License-Identifier: MIT */
/*
 * cmd-dc.c - the capacity commands of cxldcd-ctl that change or ask about
 * one host's capacity: add, release and status, over QEMU's
 * cxl-add-dynamic-capacity and cxl-release-dynamic-capacity and the
 * tagged-memory series' cxl-release-dynamic-capacity-status (docs/qmp.md,
 * "Device commands").  What is not here: list, which shows a whole device
 * (cmd-list.c).
 *
 * QMP extents are {offset, len} relative to the region base, so --extent
 * takes the same OFFSET:LEN and list shows each extent's region offset next
 * to its DPA: what list prints can be pasted into release --extent.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "table.h"

static const char *const add_policies[] = { "free", "contiguous", "prescriptive",
					    "enable-shared-access", NULL };

#define DEV_OPTS                                             \
	{ "device", required_argument, NULL, 'd' },          \
	{ "host", required_argument, NULL, 'H' },            \
	{ "region", required_argument, NULL, 'r' },          \
	{ "tag", required_argument, NULL, 't' }

/* --extent OFFSET:LEN appended to @list as {offset, len}. */
static int add_extent(struct ctl *c, json_t *list, const char *val, uint64_t *total)
{
	uint64_t off, len;

	if (ctl_parse_extent(val, &off, &len))
		return ctl_usage_error(c,
			"--extent '%s': expected OFFSET:LEN (sizes, LEN not 0), e.g. 0:1G", val);
	if (json_array_append_new(list, json_pack("{s:I, s:I}", "offset", (json_int_t)off, "len",
						  (json_int_t)len)))
		return ctl_fail(c, "out of memory");
	*total += len;
	return 0;
}

int ctl_query_dev(struct ctl *c, const char *device, json_t **ret)
{
	AUTO_FREE char *path = ctl_dev_path(device);
	AUTO_JSON *args = path ? json_pack("{s:s}", "path", path) : NULL;

	*ret = NULL;
	if (!args)
		return ctl_fail(c, "out of memory");
	return ctl_call(c, "query-cxl-dynamic-capacity", args, ret);
}

/* The host @host's entry of a query-cxl-dynamic-capacity reply, or NULL. */
static json_t *host_of(json_t *q, uint64_t host)
{
	size_t i;
	json_t *h;

	json_array_foreach(json_object_get(q, "hosts"), i, h)
		if ((uint64_t)json_integer_value(json_object_get(h, "host-id")) == host)
			return h;
	return NULL;
}

/*
 * Call @fn on every extent of @h (accepted, and in its pending groups),
 * stopping when it returns true.  Return whether one did.
 */
static bool each_extent(json_t *h, bool (*fn)(json_t *e, void *opaque), void *opaque)
{
	size_t i, j;
	json_t *e, *g;

	json_array_foreach(json_object_get(h, "extents"), i, e)
		if (fn(e, opaque))
			return true;
	json_array_foreach(json_object_get(h, "pending"), i, g)
		json_array_foreach(json_object_get(g, "extents"), j, e)
			if (fn(e, opaque))
				return true;
	return false;
}

struct extent_probe {
	json_t *before;          /* the host's entry before the add */
	json_t *e;
	uint64_t region;
	size_t count;
	uint64_t bytes;
};

static bool same_extent(json_t *e, void *opaque)
{
	struct extent_probe *p = opaque;

	return json_integer_value(json_object_get(e, "dpa")) ==
		       json_integer_value(json_object_get(p->e, "dpa")) &&
	       json_integer_value(json_object_get(e, "len")) ==
		       json_integer_value(json_object_get(p->e, "len"));
}

/* Count an extent of the region that was not there before the add. */
static bool count_new(json_t *e, void *opaque)
{
	struct extent_probe *p = opaque;

	p->e = e;
	if ((uint64_t)json_integer_value(json_object_get(e, "region")) == p->region &&
	    !(p->before && each_extent(p->before, same_extent, p))) {
		p->count++;
		p->bytes += (uint64_t)json_integer_value(json_object_get(e, "len"));
	}
	return false;
}

/* path and host-id (and region) as QEMU names them. */
static json_t *base_args(struct ctl *c, const struct ctl_devopt *d, bool region)
{
	AUTO_FREE char *path = ctl_dev_path(d->device);
	json_t *a = path ? json_pack("{s:s, s:I}", "path", path, "host-id", (json_int_t)d->host)
			 : NULL;

	if (a && region)
		json_object_set_new(a, "region", json_integer((json_int_t)d->region));
	if (a && d->has_tag)
		json_object_set_new(a, "tag", json_string(d->tag));
	if (!a)
		ctl_fail(c, "out of memory");
	return a;
}

static void print_summary_in(const char *what, const struct ctl_devopt *d, const char *region,
			     const char *policy, size_t nr_extents, uint64_t total)
{
	char sz[24];

	printf("%s host=%" PRIu64 " region=%s policy=%s", what, d->host, region, policy);
	if (d->has_tag)
		printf(" tag=%s", d->tag);
	if (nr_extents)
		printf(" extents=%zu len=%s", nr_extents, ctl_fmt_size(total, sz, sizeof(sz)));
	printf("\n");
}

static void print_summary(const char *what, const struct ctl_devopt *d, const char *policy,
			  size_t nr_extents, uint64_t total)
{
	char region[8];

	snprintf(region, sizeof(region), "%" PRIu64, d->region);
	print_summary_in(what, d, region, policy, nr_extents, total);
}

struct tag_regions {
	const char *tag;
	bool in[256];
};

static bool note_tag_region(json_t *e, void *opaque)
{
	struct tag_regions *t = opaque;
	const char *tag = json_string_value(json_object_get(e, "tag"));
	json_int_t r = json_integer_value(json_object_get(e, "region"));

	if (tag && !strcmp(tag, t->tag) && r >= 0 && r < 256)
		t->in[r] = true;
	return false;
}

/* "1" or "0,1": the regions where @host holds @tag, "" when none. */
static void tag_regions(json_t *q, uint64_t host, const char *tag, char *buf, size_t cap)
{
	struct tag_regions t = { .tag = tag };
	size_t n = 0;

	buf[0] = 0;
	each_extent(host_of(q, host), note_tag_region, &t);
	for (int r = 0; r < 256 && n < cap; r++)
		if (t.in[r])
			n += (size_t)snprintf(buf + n, cap - n, "%s%d", n ? "," : "", r);
}

/* ---- add and release: the options they share ------------------------------ */

struct cap_opt {
	struct ctl_devopt d;
	json_t *list;            /* --extent OFFSET:LEN ..., as QMP's {offset, len} (borrowed) */
	uint64_t size, total;    /* --size; the bytes of the extents, or --size */
	bool has_size;
	const char *policy;
	bool forced, sanitize;   /* release */
};

/* --size or --extent: 0, the exit status after a message, or -1 when @opt is neither. */
static int amount_opt(struct ctl *c, struct cap_opt *co, int opt, const char *val)
{
	if (opt == 's') {
		if (ctl_parse_size(val, &co->size) || !co->size)
			return ctl_usage_error(c, "--size '%s': expected a size above 0, e.g. 1G", val);
		co->has_size = true;
		return 0;
	}
	if (opt == 'e')
		return add_extent(c, co->list, val, &co->total);
	return -1;
}

/*
 * After the options (@opt, the last ctl_cmd_getopt(), @status its): -1
 * after --help, the exit status after a message, else 0 when there is no
 * operand and --device and --host are given.
 */
static int opts_end(struct ctl *c, int argc, char **argv, int opt, int status,
		    const struct ctl_devopt *d)
{
	if (opt == CTL_OPT_STOP)
		return status == CTL_EXIT_OK ? -1 : status;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	return ctl_devopt_require(c, d, true);
}

/* --size SIZE as the one extent QMP takes: {offset 0, len SIZE}. */
static void size_as_extent(struct cap_opt *co)
{
	json_array_append_new(co->list, json_pack("{s:i, s:I}", "offset", 0, "len",
						  (json_int_t)co->size));
	co->total = co->size;
}

/* ---- add ---------------------------------------------------------------- */

/* add's options and their checks: 0 to go on, -1 after --help, else the exit status. */
static int parse_add(struct ctl *c, int argc, char **argv, struct cap_opt *co)
{
	static const struct option o[] = {
		DEV_OPTS,
		{ "policy", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "extent", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	while ((opt = ctl_cmd_getopt(c, argc, argv, o, &ctl_cmd_add, &co->d, &rc)) > 0) {
		if (opt == 'p') {
			size_t i = 0;

			while (add_policies[i] && strcmp(add_policies[i], optarg))
				i++;
			if (!add_policies[i])
				return ctl_usage_error(c,
					"--policy '%s': expected free, contiguous, prescriptive or enable-shared-access",
					optarg);
			co->policy = add_policies[i];
		} else if ((rc = amount_opt(c, co, opt, optarg)) > 0) {
			return rc;
		}
	}
	if ((rc = opts_end(c, argc, argv, opt, rc, &co->d)))
		return rc;
	if (co->has_size && json_array_size(co->list))
		return ctl_usage_error(c, "--size and --extent cannot be combined");
	if (!co->policy)
		co->policy = co->has_size ? "free" : "prescriptive";
	if (co->has_size && !strcmp(co->policy, "prescriptive"))
		return ctl_usage_error(c, "--size needs --policy free or contiguous "
					  "(prescriptive takes --extent OFFSET:LEN)");
	if (!co->has_size && !json_array_size(co->list) &&
	    strcmp(co->policy, "enable-shared-access"))
		return ctl_usage_error(c, "give --size SIZE or --extent OFFSET:LEN");
	/* free / contiguous allocate the sum of extents[].len (offsets ignored). */
	if (co->has_size)
		size_as_extent(co);
	return 0;
}

/*
 * free and contiguous choose the extents: the summary counts what the
 * device made, the host's extents of the region that were not there
 * @before (accepted since, or still pending).  Return whether it printed.
 */
static bool print_made(struct ctl *c, const struct cap_opt *co, json_t *before)
{
	AUTO_JSON *after = NULL;
	struct extent_probe p = { .before = host_of(before, co->d.host), .region = co->d.region };

	if (ctl_query_dev(c, co->d.device, &after))
		return false;
	each_extent(host_of(after, co->d.host), count_new, &p);
	if (!p.count)
		return false;
	print_summary("offered", &co->d, co->policy, p.count, p.bytes);
	return true;
}

static int run_add(struct ctl *c, int argc, char **argv)
{
	AUTO_JSON *list = json_array(), *args = NULL, *ret = NULL, *before = NULL;
	struct cap_opt co = { .list = list };
	int rc = parse_add(c, argc, argv, &co);

	if (rc)
		return rc < 0 ? CTL_EXIT_OK : rc;
	args = base_args(c, &co.d, true);
	if (!args)
		return CTL_EXIT_FAIL;
	json_object_set_new(args, "selection-policy", json_string(co.policy));
	if (json_array_size(list))
		json_object_set(args, "extents", list);
	if ((rc = ctl_connect(c)))
		return rc;
	/* what the device makes is counted against what the host had (print_made()) */
	if (co.has_size && !c->json && (rc = ctl_query_dev(c, co.d.device, &before)))
		return rc;
	if ((rc = ctl_call(c, "cxl-add-dynamic-capacity", args, &ret)))
		return rc;
	if (c->json) {
		ctl_print_json(ret);
		return 0;
	}
	if (!co.has_size || !print_made(c, &co, before))
		print_summary("offered", &co.d, co.policy, json_array_size(list), co.total);
	return 0;
}

const struct ctl_cmd ctl_cmd_add = {
	.name = "add",
	.run = run_add,
	.synopsis = "add --device ID --host N [--region R] [--policy P] [--tag UUID]\n"
		    "      (--size SIZE | --extent OFFSET:LEN ...)",
	.help =
"Offer dynamic capacity to a host (cxl-add-dynamic-capacity).  The host\n"
"gets Add Capacity event records; the capacity is pending until it answers.\n"
"\n"
"  --device ID        the device id (-device cxl-type3,id=ID) or its QOM path\n"
"  --host N           host id (LD-ID), 0..65535\n"
"  --region R         DC region, 0..255 (default 0)\n"
"  --policy P         free, contiguous, prescriptive or enable-shared-access;\n"
"                     default prescriptive with --extent, free with --size\n"
"  --tag UUID         the tag: capacity comes from the backend with this tag\n"
"  --size SIZE        how much to allocate (free, contiguous)\n"
"  --extent OFF:LEN   an extent at OFF from the region base (repeatable)\n"
"\n"
"enable-shared-access needs --tag and may leave out --size and --extent.\n",
};

/* ---- release ------------------------------------------------------------- */

/* release's options and their checks: 0 to go on, -1 after --help, else the exit status. */
static int parse_release(struct ctl *c, int argc, char **argv, struct cap_opt *co)
{
	static const struct option o[] = {
		DEV_OPTS,
		{ "extent", required_argument, NULL, 'e' },
		{ "size", required_argument, NULL, 's' },
		{ "forced", no_argument, NULL, 'f' },
		{ "sanitize", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	while ((opt = ctl_cmd_getopt(c, argc, argv, o, &ctl_cmd_release, &co->d, &rc)) > 0) {
		if (opt == 'f')
			co->forced = true;
		else if (opt == 'S')
			co->sanitize = true;
		else if ((rc = amount_opt(c, co, opt, optarg)) > 0)
			return rc;
	}
	if ((rc = opts_end(c, argc, argv, opt, rc, &co->d)))
		return rc;
	if (!co->d.has_tag && !json_array_size(co->list))
		return ctl_usage_error(c, "give --tag UUID (tag-based) or --extent OFFSET:LEN");
	if (co->has_size && (json_array_size(co->list) || !co->d.has_tag))
		return ctl_usage_error(c, "--size goes with --tag alone (release SIZE bytes of the tag)");
	/* QEMU's schema: tag-based with a tag, prescriptive with extents. */
	co->policy = json_array_size(co->list) ? "prescriptive" : "tag-based";
	if (co->has_size)
		size_as_extent(co);
	return 0;
}

static int run_release(struct ctl *c, int argc, char **argv)
{
	AUTO_JSON *list = json_array(), *args = NULL, *ret = NULL, *before = NULL;
	struct cap_opt co = { .list = list };
	const char *what;
	int rc = parse_release(c, argc, argv, &co);

	if (rc)
		return rc < 0 ? CTL_EXIT_OK : rc;
	what = co.forced ? "revoked" : "release requested";
	args = base_args(c, &co.d, true);
	if (!args)
		return CTL_EXIT_FAIL;
	json_object_set_new(args, "removal-policy", json_string(co.policy));
	if (co.forced)
		json_object_set_new(args, "forced-removal", json_true());
	if (co.sanitize)
		json_object_set_new(args, "sanitize-on-release", json_true());
	if (json_array_size(list))
		json_object_set(args, "extents", list);
	if ((rc = ctl_connect(c)))
		return rc;
	/* tag-based without --region: the summary names the regions that hold the tag */
	if (!co.d.has_region && !strcmp(co.policy, "tag-based") && !c->json &&
	    (rc = ctl_query_dev(c, co.d.device, &before)))
		return rc;
	if ((rc = ctl_call(c, "cxl-release-dynamic-capacity", args, &ret)))
		return rc;
	if (c->json) {
		ctl_print_json(ret);
	} else if (before) {
		char regions[1024];

		tag_regions(before, co.d.host, co.d.tag, regions, sizeof(regions));
		print_summary_in(what, &co.d, regions[0] ? regions : "-", co.policy,
				 json_array_size(list), co.total);
	} else {
		print_summary(what, &co.d, co.policy, json_array_size(list), co.total);
	}
	return 0;
}

const struct ctl_cmd ctl_cmd_release = {
	.name = "release",
	.run = run_release,
	.synopsis = "release --device ID --host N [--region R] (--tag UUID [--size SIZE] |\n"
		    "      --extent OFFSET:LEN ...) [--forced] [--sanitize]",
	.help =
"Ask a host to give capacity back (cxl-release-dynamic-capacity).\n"
"\n"
"  --tag UUID         tag-based removal: every extent with the tag on the host\n"
"                     (with --size, only SIZE bytes of them)\n"
"  --extent OFF:LEN   prescriptive removal of this range from the region base\n"
"                     (repeatable; --tag may be given along)\n"
"  --forced           forced removal: access is revoked at once, the host is\n"
"                     told afterwards\n"
"  --sanitize         zero the memory when it is released\n"
"  --device, --host, --region as for add (region default 0)\n",
};

/* ---- status --------------------------------------------------------------- */

static int run_status(struct ctl *c, int argc, char **argv)
{
	static const struct option o[] = { DEV_OPTS, { NULL, 0, NULL, 0 } };
	struct ctl_devopt d = { 0 };
	AUTO_JSON *args = NULL, *ret = NULL;
	int rc;

	if ((rc = ctl_devopt_parse(c, argc, argv, o, &ctl_cmd_status, &d, true, false)))
		return rc < 0 ? CTL_EXIT_OK : rc;
	if (!d.has_tag)
		return ctl_usage_error(c, "--tag is required");
	args = base_args(c, &d, d.has_region);
	if (!args)
		return CTL_EXIT_FAIL;
	if ((rc = ctl_connect(c)) ||
	    (rc = ctl_call(c, "cxl-release-dynamic-capacity-status", args, &ret)))
		return rc;
	if (c->json)
		ctl_print_json(ret);
	else
		printf("%s: %s\n", json_string_value(json_object_get(ret, "status")) ?: "?",
		       json_string_value(json_object_get(ret, "message")) ?: "");
	return 0;
}

const struct ctl_cmd ctl_cmd_status = {
	.name = "status",
	.run = run_status,
	.synopsis = "status --device ID --host N --tag UUID [--region R]",
	.help =
"Where a tag stands on a host (cxl-release-dynamic-capacity-status): prints\n"
"STATUS: MESSAGE, STATUS one of pending, committed, release-pending,\n"
"released or not-found.  Without --region, all regions count.\n",
};
