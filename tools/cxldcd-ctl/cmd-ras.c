/* SPDX-License-Identifier: MIT */
/*
 * cmd-ras.c - cxldcd-ctl inject-poison: QEMU's cxl-inject-poison (the
 * other cxl-inject-* commands take many fields; send them with `raw`).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "parse.h"

static int run_inject_poison(struct ctl *c, int argc, char **argv)
{
	static const struct option o[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "start", required_argument, NULL, 's' },
		{ "length", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_devopt d = { 0 };
	AUTO_JSON *args = NULL, *ret = NULL;
	AUTO_FREE char *path = NULL;
	uint64_t start = 0, len = 0;
	bool has_start = false, has_len = false;
	int opt, rc;

	while ((opt = ctl_getopt(c, argc, argv, "", o)) != -1) {
		if (opt == -2)
			return CTL_EXIT_USAGE;
		if (opt == -3)
			return ctl_cmd_help(&ctl_cmd_inject_poison);
		if (opt == 's') {
			if (ctl_parse_size(optarg, &start))
				return ctl_usage_error(c, "--start '%s': expected a DPA (bytes, K/M/G)",
						       optarg);
			has_start = true;
		} else if (opt == 'l') {
			if (ctl_parse_size(optarg, &len))
				return ctl_usage_error(c, "--length '%s': expected a size", optarg);
			has_len = true;
		} else if (ctl_devopt_set(c, &d, opt, optarg)) {
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!d.device)
		return ctl_usage_error(c, "--device is required");
	if (!has_start || !has_len)
		return ctl_usage_error(c, "--start and --length are required");
	path = ctl_dev_path(d.device);
	args = path ? json_pack("{s:s, s:I, s:I}", "path", path, "start", (json_int_t)start,
				"length", (json_int_t)len) : NULL;
	if (!args)
		return ctl_fail(c, "out of memory");
	if ((rc = ctl_connect(c)) || (rc = ctl_call(c, "cxl-inject-poison", args, &ret)))
		return rc;
	if (c->json)
		ctl_print_json(ret);
	else
		printf("poisoned dpa=0x%llx len=0x%llx\n", (unsigned long long)start,
		       (unsigned long long)len);
	return 0;
}

const struct ctl_cmd ctl_cmd_inject_poison = {
	.name = "inject-poison",
	.run = run_inject_poison,
	.synopsis = "inject-poison --device ID --start DPA --length SIZE",
	.help =
"Poison device memory (QEMU's cxl-inject-poison): START 64-byte aligned,\n"
"LENGTH a multiple of 64 bytes.  Hosts see it with Get Poison List\n"
"(`cci ... get-poison-list`) where they can access it, and their slow-path\n"
"reads of it fail.  The daemon's errors are printed as they are.\n",
};
