/* SPDX-License-Identifier: MIT */
/*
 * cmdline-value.c - the values of command-line options: the error message
 * of the option being parsed, sizes, booleans, numbers, QEMU ids, the list
 * of ignored options, and KEY=VALUE,... lists (see cmdline-int.h).
 *
 * Option values in QEMU's KEY=VALUE,... form are split by cmdline_split_kv(): ",,"
 * is a literal comma, an element without '=' is a flag ("server" = on,
 * "nowait" = wait off) or, first in the list, the implied key (driver,
 * qom-type, address).  What is not here: what any key means to an option
 * (cmdline.c, cmdline-listen.c, cmdline-sock.c, cmdline-qemu.c, and
 * cmdline-objdev.c for -object and -device properties).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/number.h"
#include "cmdline.h"
#include "cmdline-int.h"

int cmdline_fail(struct cmdline_ctx *c, const char *fmt, ...)
{
	char msg[CMDLINE_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->opt)
		snprintf(c->err, c->errlen, "%s '%s': %s", c->opt, c->arg, msg);
	else
		snprintf(c->err, c->errlen, "%s", msg);
	return -EINVAL;
}

int cmdline_oom(struct cmdline_ctx *c)
{
	snprintf(c->err, c->errlen, "out of memory");
	return -ENOMEM;
}

/* ---- value parsers -------------------------------------------------- */

int cmdline_parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "bkmgtpe";
	unsigned long long v;
	const char *sfx;
	char *end;
	int shift;

	/*
	 * A digit first, and after 0x hex digits alone: strtoull() would take
	 * leading white space, a sign (wrapping a negative number) and, in
	 * base 16, a second 0x.
	 */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!s[2] || strspn(s + 2, "0123456789abcdefABCDEF") != strlen(s + 2))
			return -EINVAL;
		v = strtoull(s + 2, &end, 16);
		if (errno || *end)
			return -EINVAL;
		*out = v;
		return 0;
	}
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (!*end) {
		*out = v;
		return 0;
	}
	if (end[1] || !(sfx = strchr(suffixes, end[0] | 0x20)) || !end[0])
		return -EINVAL;
	shift = (int)(sfx - suffixes) * 10;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int cmdline_parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

int cmdline_parse_u64(const char *s, uint64_t *out)
{
	return cx_parse_u64(s, 0, out);
}

/* QEMU's rule for ids: a letter, then letters, digits, '-', '.', '_'. */
bool cmdline_id_ok(const char *id)
{
	if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
		return false;
	for (const char *p = id + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return false;
	return true;
}

/*
 * COMPAT: keep the option being parsed ("-device pxb-cxl,...") in
 * cfg->ignored, and @why (a static string) in cfg->ignored_why; the daemon
 * logs that it ignores it, and why.  A flag (c->arg NULL) is kept alone.
 */
int cmdline_ignore(struct cmdline_ctx *c, const char *why)
{
	struct cmdline_cfg *cfg = c->cfg;
	char **n = realloc(cfg->ignored, (cfg->nr_ignored + 1) * sizeof(*n));
	const char **w;

	if (!n)
		return cmdline_oom(c);
	cfg->ignored = n;
	w = realloc(cfg->ignored_why, (cfg->nr_ignored + 1) * sizeof(*w));
	if (!w)
		return cmdline_oom(c);
	cfg->ignored_why = w;
	if (asprintf(&n[cfg->nr_ignored], "%s%s%s", c->opt, c->arg ? " " : "",
		     c->arg ? c->arg : "") < 0)
		return cmdline_oom(c);
	w[cfg->nr_ignored++] = why;
	return 0;
}

/* ---- KEY=VALUE lists ------------------------------------------------ */

void cmdline_kv_free(struct cmdline_kv *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->p[i].key);
		free(kv->p[i].value);
	}
	free(kv->p);
	kv->p = NULL;
	kv->n = 0;
}

int cmdline_kv_add(struct cmdline_kv *kv, const char *key, size_t klen, const char *val,
		   size_t vlen)
{
	struct cmdline_prop *n = realloc(kv->p, (kv->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	kv->p = n;
	n[kv->n].key = strndup(key, klen);
	n[kv->n].value = strndup(val, vlen);
	if (!n[kv->n].key || !n[kv->n].value) {
		free(n[kv->n].key);
		free(n[kv->n].value);
		return -ENOMEM;
	}
	kv->n++;
	return 0;
}

const char *cmdline_kv_get(const struct cmdline_kv *kv, const char *key)
{
	for (size_t i = 0; i < kv->n; i++)
		if (strcmp(kv->p[i].key, key) == 0)
			return kv->p[i].value;
	return NULL;
}

/*
 * Split "a,b=c,,d,e" into elements; ",," is a literal comma.  A first
 * element without '=' becomes @implied=element; other elements without '='
 * become flags: "noX" -> X=off, "X" -> X=on.
 */
int cmdline_split_kv(struct cmdline_ctx *c, const char *s, const char *implied,
		     struct cmdline_kv *kv)
{
	size_t len = strlen(s);
	char *elem = malloc(len + 1);
	size_t i = 0;
	bool first = true;

	if (!elem)
		return cmdline_oom(c);
	while (i <= len) {
		size_t n = 0;
		char *eq;
		int rc;

		while (i < len && !(s[i] == ',' && s[i + 1] != ',')) {
			elem[n++] = s[i];
			i += (s[i] == ',') ? 2 : 1;
		}
		elem[n] = 0;
		i++;
		eq = strchr(elem, '=');
		if (first && implied && !eq)
			rc = cmdline_kv_add(kv, implied, strlen(implied), elem, n);
		else if (eq)
			rc = cmdline_kv_add(kv, elem, (size_t)(eq - elem), eq + 1, strlen(eq + 1));
		else if (!n && i > len && !first)
			rc = 0;         /* COMPAT: "a=b," ends the list, as in QEMU */
		else if (!n)
			rc = cmdline_fail(c, "empty element in the list");
		else if (!strncmp(elem, "no", 2) && n > 2)
			rc = cmdline_kv_add(kv, elem + 2, n - 2, "off", 3);
		else
			rc = cmdline_kv_add(kv, elem, n, "on", 2);
		first = false;
		if (rc) {
			free(elem);
			return rc == -ENOMEM ? cmdline_oom(c) : rc;
		}
	}
	free(elem);
	for (size_t a = 0; a < kv->n; a++)
		for (size_t b = a + 1; b < kv->n; b++)
			if (!strcmp(kv->p[a].key, kv->p[b].key))
				return cmdline_fail(c, "property '%s' given twice", kv->p[a].key);
	return 0;
}
