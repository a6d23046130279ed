/* SPDX-License-Identifier: MIT */
/*
 * fuzz-cmdline.c - libFuzzer target for the daemon's command line
 * (src/server/cmdline.h): the input, split at NUL bytes, is argv[1..]
 * (argv[0] is "cxldcd"); cmdline_parse(), then cmdline_fini().
 *
 * Checked: no crash, no leak; the return is 0, -EINVAL or -ENOMEM; an error
 * comes with a non-empty message that fits the buffer; a success without
 * --help/--version is consistent (every --fm / --host-socket serves an
 * existing device, every device has an id, -object ids are set (a size
 * of 0 is the backend's to refuse), a QMP socket is configured); cmdline_fini()
 * leaves the config zeroed.  Each argument is also fed to the value parsers
 * (cmdline_parse_size(), cmdline_parse_bool()) and to cmdline_parse_object()
 * (QMP object-add's path: KEY=VALUE or JSON).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cmdline.h"
#include "../fuzz-input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 256

/* An error must say something, within the buffer. */
static void check_err(int rc, const char *err, size_t cap)
{
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
		fz_die("unexpected return code", NULL);
	if (!memchr(err, 0, cap))
		fz_die("message not terminated", NULL);
	if (rc && !err[0])
		fz_die("error without a message", NULL);
}

static void check_cfg(const struct cmdline_cfg *cfg)
{
	if (cfg->help || cfg->version)
		return;   /* parsing stops there: nothing is cross-checked (the daemon exits) */
	/* a size of 0 parses: the backend refuses it, after the id (QEMU's order) */
	for (size_t i = 0; i < cfg->nr_objects; i++)
		if (!cfg->objects[i].id || !cfg->objects[i].id[0])
			fz_die("object without id", cfg->objects[i].id);
	for (size_t i = 0; i < cfg->nr_devices; i++)
		if (!cfg->devices[i].id || !cfg->devices[i].id[0])
			fz_die("device without id", NULL);
	for (size_t i = 0; i < cfg->nr_fm; i++)
		if (cfg->fm[i].dev >= cfg->nr_devices)
			fz_die("--fm serves no device", cfg->fm[i].arg);
	for (size_t i = 0; i < cfg->nr_host; i++)
		if (cfg->host[i].dev >= cfg->nr_devices)
			fz_die("--host-socket serves no device", cfg->host[i].arg);
	if (!cfg->nr_qmp)
		fz_die("no QMP socket configured", NULL);
}

static void check_zero(const struct cmdline_cfg *cfg)
{
	static const struct cmdline_cfg zero;

	if (memcmp(cfg, &zero, sizeof(zero)))
		fz_die("cmdline_fini() left state behind", NULL);
}

static void value_parsers(const char *s)
{
	struct cmdline_cfg tmp;
	char *err = malloc(CMDLINE_ERR_MAX);
	uint64_t v;
	bool b;
	int rc;

	if (!err)
		return;
	if (cmdline_parse_size(s, &v) == 0 && !s[0])
		fz_die("empty size accepted", NULL);
	if (cmdline_parse_bool(s, &b) == 0 && !s[0])
		fz_die("empty bool accepted", NULL);
	memset(&tmp, 0, sizeof(tmp));
	err[0] = 0;
	rc = cmdline_parse_object(s, &tmp, err, CMDLINE_ERR_MAX);
	check_err(rc, err, CMDLINE_ERR_MAX);
	if (!rc && tmp.nr_objects != 1)
		fz_die("cmdline_parse_object() added no object", s);
	if (!rc)
		check_cfg(&(struct cmdline_cfg){ .objects = tmp.objects, .nr_objects = tmp.nr_objects,
						 .nr_qmp = 1 });
	cmdline_fini(&tmp);
	check_zero(&tmp);
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	char *err = malloc(CMDLINE_ERR_MAX);   /* heap, exact size: ASan sees overruns */
	struct cmdline_cfg cfg;
	int argc = 1, rc;
	size_t start = 0;

	if (!buf || !err)
		goto out;
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[0] = "cxldcd";
	/* NUL-separated arguments; a trailing NUL does not add an empty one */
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (buf[i] != 0)
			continue;
		if (i < size || i > start)
			argv[argc++] = buf + start;
		start = i + 1;
	}
	argv[argc] = NULL;
	memset(err, 0x55, CMDLINE_ERR_MAX);
	rc = cmdline_parse(argc, argv, "/nonexistent/cxldcd-fuzz", &cfg, err, CMDLINE_ERR_MAX);
	check_err(rc, err, CMDLINE_ERR_MAX);
	if (!rc)
		check_cfg(&cfg);
	cmdline_fini(&cfg);
	check_zero(&cfg);
	for (int i = 1; i < argc && i <= 8; i++)
		value_parsers(argv[i]);
out:
	free(buf);
	free(err);
	return 0;
}
