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
 * (cmdline_parse_size(), cmdline_parse_u64(), cmdline_parse_bool()) and to
 * cmdline_parse_object() (QMP object-add's path: KEY=VALUE or JSON).  A size
 * and a number are held to the grammar of docs/cmdline.md, read here on its
 * own: SIZE is decimal digits and at most one suffix B K M G T P E (either
 * case, powers of 1024), or 0x/0X and hex digits; a number (a -device
 * property's) is decimal, 0x/0X and hex digits, or 0 and octal digits (C's
 * base 0); nothing else (no sign, no space), no overflow.  Accepted exactly
 * when the text is of it, with its value.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cmdline.h"
#include "server/cmdline-int.h"
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

/* n (> 0) digits of base (8, 10 or 16) at s, no overflow: 0 and *v, or -1. */
static int digits(const char *s, size_t n, unsigned base, uint64_t *v)
{
	static const char hex[] = "0123456789abcdef";

	*v = 0;
	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i] >= 'A' && s[i] <= 'F' ? (char)(s[i] | 0x20) : s[i];
		const char *d = c ? memchr(hex, c, base) : NULL;

		if (!d || *v > (UINT64_MAX - (uint64_t)(d - hex)) / base)
			return -1;
		*v = *v * base + (uint64_t)(d - hex);
	}
	return 0;
}

/* SIZE of docs/cmdline.md: 0 and *v, or -1. */
static int size_of(const char *s, uint64_t *v)
{
	static const char sfx[] = "bkmgtpe";
	size_t n = strlen(s);
	const char *k;
	unsigned shift;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return digits(s + 2, n - 2, 16, v);
	if (n && s[n - 1] >= '0' && s[n - 1] <= '9')
		return digits(s, n, 10, v);
	k = n ? memchr(sfx, s[n - 1] | 0x20, sizeof(sfx) - 1) : NULL;
	if (!k || digits(s, n - 1, 10, v))
		return -1;
	shift = (unsigned)(k - sfx) * 10;
	if (shift && *v > UINT64_MAX >> shift)
		return -1;
	*v <<= shift;
	return 0;
}

/* A number of a -device property (C's base 0, unsigned, nothing else): 0 and *v, or -1. */
static int number_of(const char *s, uint64_t *v)
{
	size_t n = strlen(s);

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return digits(s + 2, n - 2, 16, v);
	if (s[0] == '0' && n > 1)
		return digits(s + 1, n - 1, 8, v);
	return digits(s, n, 10, v);
}

/* The library's reading (rc, v) against the grammar's (want, want_v). */
static void same_number(const char *what, int rc, uint64_t v, int want, uint64_t want_v)
{
	if ((rc == 0) != (want == 0))
		fz_die(rc ? "refused although of the grammar" : "accepted although not of the grammar",
		       what);
	if (!rc && v != want_v)
		fz_die("read as another value", what);
}

static void value_parsers(const char *s)
{
	struct cmdline_cfg tmp;
	char *err = malloc(CMDLINE_ERR_MAX);
	uint64_t v, want;
	bool b;
	int rc, ok;

	if (!err)
		return;
	ok = size_of(s, &want);
	rc = cmdline_parse_size(s, &v);
	same_number("size", rc, v, ok, want);
	ok = number_of(s, &want);
	rc = cmdline_parse_u64(s, &v);
	same_number("number", rc, v, ok, want);
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
