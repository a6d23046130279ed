/* SPDX-License-Identifier: MIT */
/*
 * cmd-ras.c - cxldcd-ctl inject-poison, inject-uncorrectable-errors and
 * inject-correctable-error: QEMU's cxl-inject-poison and AER injection
 * commands (the event record injections take many fields; send them with
 * `raw`).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
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

	while ((opt = ctl_cmd_getopt(c, argc, argv, o, &ctl_cmd_inject_poison, &d, &rc)) > 0) {
		if (opt == 's') {
			if (ctl_parse_size(optarg, &start))
				return ctl_usage_error(c, "--start '%s': expected a DPA (bytes, K/M/G)",
						       optarg);
			has_start = true;
		} else if (opt == 'l') {
			if (ctl_parse_size(optarg, &len))
				return ctl_usage_error(c, "--length '%s': expected a size", optarg);
			has_len = true;
		}
	}
	if (opt == CTL_OPT_STOP)
		return rc;
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

/* --error TYPE[:DWORD,DWORD...] -> {"type": TYPE, "header": [...]} appended to list. */
static int add_error(struct ctl *c, json_t *list, const char *val)
{
	const char *colon = strchr(val, ':');
	size_t tlen = colon ? (size_t)(colon - val) : strlen(val);
	json_t *hdr = json_array(), *rec;
	char type[64];

	if (!hdr)
		return ctl_fail(c, "out of memory");
	if (!tlen || tlen >= sizeof(type)) {
		json_decref(hdr);
		return ctl_usage_error(c, "--error '%s': expected TYPE[:DWORD,DWORD...]", val);
	}
	memcpy(type, val, tlen);
	type[tlen] = '\0';
	for (const char *p = colon ? colon + 1 : NULL; p && *p;) {
		const char *end;
		uint64_t v;

		if (ctl_parse_uint_at(p, UINT32_MAX, &v, &end) || (*end && *end != ',')) {
			json_decref(hdr);
			return ctl_usage_error(c, "--error '%s': header DWORDs are 32-bit numbers "
					       "separated by commas", val);
		}
		json_array_append_new(hdr, json_integer((json_int_t)v));
		p = *end ? end + 1 : end;
	}
	rec = json_pack("{s:s, s:o}", "type", type, "header", hdr);
	if (!rec || json_array_append_new(list, rec))
		return ctl_fail(c, "out of memory");
	return 0;
}

/* --device, optional --host, then the command's own arguments: the args object. */
static json_t *aer_args(struct ctl *c, const struct ctl_devopt *d)
{
	AUTO_FREE char *path = ctl_dev_path(d->device);
	json_t *args = path ? json_pack("{s:s}", "path", path) : NULL;

	if (args && d->has_host && json_object_set_new(args, "host-id",
						       json_integer((json_int_t)d->host))) {
		json_decref(args);
		args = NULL;
	}
	if (!args)
		ctl_fail(c, "out of memory");
	return args;
}

static int run_inject_uncor(struct ctl *c, int argc, char **argv)
{
	static const struct option o[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "host", required_argument, NULL, 'H' },
		{ "error", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_devopt d = { 0 };
	AUTO_JSON *errors = json_array(), *args = NULL, *ret = NULL;
	int opt, rc;

	if (!errors)
		return ctl_fail(c, "out of memory");
	while ((opt = ctl_cmd_getopt(c, argc, argv, o, &ctl_cmd_inject_uncor, &d, &rc)) > 0) {
		if (opt == 'e') {
			if ((rc = add_error(c, errors, optarg)))
				return rc;
		}
	}
	if (opt == CTL_OPT_STOP)
		return rc;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!d.device)
		return ctl_usage_error(c, "--device is required");
	if (!json_array_size(errors))
		return ctl_usage_error(c, "at least one --error TYPE[:DWORD,...] is required");
	args = aer_args(c, &d);
	if (!args || json_object_set(args, "errors", errors))
		return ctl_fail(c, "out of memory");
	if ((rc = ctl_connect(c)) ||
	    (rc = ctl_call(c, "cxl-inject-uncorrectable-errors", args, &ret)))
		return rc;
	if (c->json)
		ctl_print_json(ret);
	else
		printf("injected %zu uncorrectable error%s\n", json_array_size(errors),
		       json_array_size(errors) == 1 ? "" : "s");
	return 0;
}

static int run_inject_cor(struct ctl *c, int argc, char **argv)
{
	static const struct option o[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "host", required_argument, NULL, 'H' },
		{ "type", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_devopt d = { 0 };
	AUTO_JSON *args = NULL, *ret = NULL;
	const char *type = NULL;
	int opt, rc;

	while ((opt = ctl_cmd_getopt(c, argc, argv, o, &ctl_cmd_inject_cor, &d, &rc)) > 0) {
		if (opt == 'T')
			type = optarg;
	}
	if (opt == CTL_OPT_STOP)
		return rc;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!d.device || !type)
		return ctl_usage_error(c, "--device and --type are required");
	args = aer_args(c, &d);
	if (!args || json_object_set_new(args, "type", json_string(type)))
		return ctl_fail(c, "out of memory");
	if ((rc = ctl_connect(c)) || (rc = ctl_call(c, "cxl-inject-correctable-error", args, &ret)))
		return rc;
	if (c->json)
		ctl_print_json(ret);
	else
		printf("injected correctable error type=%s\n", type);
	return 0;
}

const struct ctl_cmd ctl_cmd_inject_uncor = {
	.name = "inject-uncorrectable-errors",
	.run = run_inject_uncor,
	.synopsis = "inject-uncorrectable-errors --device ID [--host N] --error TYPE[:DWORD,...]...",
	.help =
"Record uncorrectable CXL RAS errors (QEMU's cxl-inject-uncorrectable-errors),\n"
"in order, each with its header log (up to 32 DWORDs; the device keeps 16).\n"
"TYPE: cache-data-parity, cache-address-parity, cache-be-parity,\n"
"cache-data-ecc, mem-data-parity, mem-address-parity, mem-be-parity,\n"
"mem-data-ecc, reinit-threshold, rsvd-encoding, poison-received,\n"
"receiver-overflow, internal, cxl-ide-tx, cxl-ide-rx.  Every host's device\n"
"gets them (--host: one host's); a host whose mask has the error set records\n"
"nothing (hosts unmask at connect, as Linux does), the others get the AER\n"
"message (RAS_IRQ, docs/host-link.md).\n",
};

const struct ctl_cmd ctl_cmd_inject_cor = {
	.name = "inject-correctable-error",
	.run = run_inject_cor,
	.synopsis = "inject-correctable-error --device ID [--host N] --type TYPE",
	.help =
"Set a correctable CXL RAS error (QEMU's cxl-inject-correctable-error).\n"
"TYPE: cache-data-ecc, mem-data-ecc, crc-threshold, retry-threshold,\n"
"cache-poison-received, mem-poison-received, physical.  Every host's device\n"
"gets it (--host: one host's), unless masked there.\n",
};
