/* SPDX-License-Identifier: MIT */
/*
 * cmd-event.c - cxldcd-ctl inject-event: QEMU's cxl-inject-general-media-
 * event, cxl-inject-dram-event and cxl-inject-memory-module-event, each
 * argument an option of the same name (docs/ctl.md).  The daemon checks the
 * arguments against QEMU's schema and answers with QEMU's texts; this command
 * only turns the options into JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "parse.h"

enum arg_kind { A_UINT, A_INT, A_STR, A_BOOL, A_LIST };

/* One QMP argument: its option name, its QMP name (when they differ), kind. */
struct event_arg {
	const char *opt;
	const char *qmp;
	enum arg_kind kind;
};

/*
 * Every argument of the three commands (qapi/cxl.json with the CXL r3.2
 * additions).  A command given one it does not take refuses it ("Parameter
 * 'x' is unexpected").  The General Media `device` mask is --device-mask:
 * --device names the memory device, as in every cxldcd-ctl command.
 */
static const struct event_arg event_args[] = {
	{ "log", NULL, A_STR },
	{ "flags", NULL, A_UINT },
	{ "maint-op-class", NULL, A_UINT },
	{ "maint-op-subclass", NULL, A_UINT },
	{ "ld-id", NULL, A_UINT },
	{ "head-id", NULL, A_UINT },
	{ "dpa", NULL, A_UINT },
	{ "descriptor", NULL, A_UINT },
	{ "type", NULL, A_UINT },
	{ "transaction-type", NULL, A_UINT },
	{ "channel", NULL, A_UINT },
	{ "rank", NULL, A_UINT },
	{ "device-mask", "device", A_UINT },
	{ "nibble-mask", NULL, A_UINT },
	{ "bank-group", NULL, A_UINT },
	{ "bank", NULL, A_UINT },
	{ "row", NULL, A_UINT },
	{ "column", NULL, A_UINT },
	{ "correction-mask", NULL, A_LIST },
	{ "component-id", NULL, A_STR },
	{ "is-comp-id-pldm", NULL, A_BOOL },
	{ "sub-channel", NULL, A_UINT },
	{ "cme-ev-flags", NULL, A_UINT },
	{ "cme-count", NULL, A_UINT },
	{ "cvme-count", NULL, A_UINT },
	{ "sub-type", NULL, A_UINT },
	{ "health-status", NULL, A_UINT },
	{ "media-status", NULL, A_UINT },
	{ "additional-status", NULL, A_UINT },
	{ "life-used", NULL, A_UINT },
	{ "temperature", NULL, A_INT },
	{ "dirty-shutdown-count", NULL, A_UINT },
	{ "corrected-volatile-error-count", NULL, A_UINT },
	{ "corrected-persistent-error-count", NULL, A_UINT },
};

#define NR_EVENT_ARGS (sizeof(event_args) / sizeof(event_args[0]))
#define OPT_BASE 0x100          /* getopt value of event_args[0] */
_Static_assert(NR_EVENT_ARGS + 2 + CTL_OPTS_COMMON + 1 <= CTL_OPTS_MAX,
	       "inject-event's options (event_args, --device, --kind) fit ctl_getopt()");

static const char *const kinds[][2] = {
	{ "general-media", "cxl-inject-general-media-event" },
	{ "dram", "cxl-inject-dram-event" },
	{ "memory-module", "cxl-inject-memory-module-event" },
};

/* "1,2,0x3" -> a JSON array of integers (ctl_parse_uint()'s); NULL if malformed. */
static json_t *parse_list(const char *s)
{
	json_t *list = json_array();

	for (const char *p = s; list && *p;) {
		const char *end;
		uint64_t v;

		if (ctl_parse_uint_at(p, INT64_MAX, &v, &end) || (*end && *end != ',') ||
		    json_array_append_new(list, json_integer((json_int_t)v))) {
			json_decref(list);
			return NULL;
		}
		p = *end ? end + 1 : end;
	}
	return list;
}

/* One option's value as the JSON its argument takes; NULL after a usage error. */
static json_t *arg_value(struct ctl *c, const struct event_arg *a, const char *val)
{
	json_t *v = NULL;
	uint64_t u;
	bool neg;

	switch (a->kind) {
	case A_UINT:
		if (!ctl_parse_uint(val, INT64_MAX, &u))
			v = json_integer((json_int_t)u);
		break;
	case A_INT:     /* a '-' and ctl_parse_uint()'s number */
		neg = val[0] == '-';
		if (!ctl_parse_uint(val + neg, INT64_MAX, &u))
			v = json_integer(neg ? -(json_int_t)u : (json_int_t)u);
		break;
	case A_STR:
		v = json_string(val);
		break;
	case A_BOOL:
		v = json_true();
		break;
	case A_LIST:
		v = parse_list(val);
		break;
	}
	if (!v)
		ctl_usage_error(c, "--%s '%s': expected %s", a->opt, val,
				a->kind == A_LIST ? "numbers separated by commas" : "a number");
	return v;
}

static int run_inject_event(struct ctl *c, int argc, char **argv)
{
	struct option o[NR_EVENT_ARGS + 3];
	struct ctl_devopt d = { 0 };
	AUTO_JSON *args = json_object(), *ret = NULL;
	AUTO_FREE char *path = NULL;
	const char *kind = NULL, *cmd = NULL;
	int opt, rc;

	if (!args)
		return ctl_fail(c, "out of memory");
	for (size_t i = 0; i < NR_EVENT_ARGS; i++)
		o[i] = (struct option){ event_args[i].opt,
					event_args[i].kind == A_BOOL ? no_argument : required_argument,
					NULL, (int)(OPT_BASE + i) };
	o[NR_EVENT_ARGS] = (struct option){ "device", required_argument, NULL, 'd' };
	o[NR_EVENT_ARGS + 1] = (struct option){ "kind", required_argument, NULL, 'k' };
	o[NR_EVENT_ARGS + 2] = (struct option){ NULL, 0, NULL, 0 };
	while ((opt = ctl_cmd_getopt(c, argc, argv, o, &ctl_cmd_inject_event, &d, &rc)) > 0) {
		if (opt == 'k') {
			kind = optarg;
		} else if (opt >= OPT_BASE && opt < OPT_BASE + (int)NR_EVENT_ARGS) {
			const struct event_arg *a = &event_args[opt - OPT_BASE];
			json_t *v = arg_value(c, a, optarg);

			if (!v)
				return CTL_EXIT_USAGE;
			if (json_object_set_new(args, a->qmp ? a->qmp : a->opt, v))
				return ctl_fail(c, "out of memory");
		}
	}
	if (opt == CTL_OPT_STOP)
		return rc;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i][0]))
			cmd = kinds[i][1];
	if (!d.device || !cmd)
		return ctl_usage_error(c, "--device and --kind general-media|dram|memory-module "
				       "are required");
	path = ctl_dev_path(d.device);
	if (!path || json_object_set_new(args, "path", json_string(path)))
		return ctl_fail(c, "out of memory");
	if ((rc = ctl_connect(c)) || (rc = ctl_call(c, cmd, args, &ret)))
		return rc;
	if (c->json)
		ctl_print_json(ret);
	else
		printf("injected %s event in log %s\n", kind,
		       ctl_str(args, "log", "?"));
	return 0;
}

const struct ctl_cmd ctl_cmd_inject_event = {
	.name = "inject-event",
	.run = run_inject_event,
	.synopsis = "inject-event --device ID --kind general-media|dram|memory-module "
		    "--log LOG --flags N [--ARG VALUE]...",
	.help =
"Log an event record (QEMU's cxl-inject-general-media-event, -dram-event,\n"
"-memory-module-event) in the informational, warning, failure or fatal log\n"
"of the hosts it concerns.  Each QEMU argument is an option of the same name\n"
"(--dpa, --descriptor, --type, --transaction-type, --channel, --rank,\n"
"--nibble-mask, --bank-group, --bank, --row, --column, --correction-mask\n"
"A,B,C,D, --component-id STR, --health-status, ..., --temperature), with the\n"
"CXL r3.2 ones: --maint-op-class, --maint-op-subclass, --ld-id, --head-id,\n"
"--is-comp-id-pldm, --sub-channel, --cme-ev-flags, --cme-count, --cvme-count,\n"
"--sub-type.  The General Media `device` mask is --device-mask.  The daemon\n"
"checks them (QEMU's texts, printed as they are).\n",
};
