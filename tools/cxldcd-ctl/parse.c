/* SPDX-License-Identifier: MIT */
/*
 * parse.c - argument parsers and formatters of cxldcd-ctl (see parse.h).
 * Digits are read by hand rather than with strtoull(), which accepts signs,
 * blanks and octal: "-1" or " 4G" must be refused, not wrapped.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "common/hex.h"
#include "cxldcd/spec.h"
#include "parse.h"

/* Leading digits of @s in @base (10 or 16); *end after them.  -EINVAL if none. */
static int digits(const char *s, unsigned base, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;
	int d;

	while ((d = cx_hex_digit(*p)) >= 0 && (unsigned)d < base) {
		if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, (unsigned)d, &v))
			return -ERANGE;
		p++;
	}
	if (p == s)
		return -EINVAL;
	*out = v;
	*end = p;
	return 0;
}

/* A number, decimal or "0x" hex; *end after it. */
static int number(const char *s, uint64_t *out, const char **end)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return digits(s + 2, 16, out, end);
	return digits(s, 10, out, end);
}

static unsigned suffix_shift(char c)
{
	static const char units[] = "KMGTPE";
	const char *u = c ? strchr(units, toupper((unsigned char)c)) : NULL;

	return u ? 10u * (unsigned)(u - units + 1) : 0;
}

int ctl_parse_size(const char *s, uint64_t *out)
{
	const char *p;
	unsigned shift;
	uint64_t v;
	int rc = number(s, &v, &p);

	if (rc)
		return rc;
	shift = suffix_shift(*p);
	if (shift) {
		p++;
		if (*p == 'i')
			p++;
		if (*p == 'B' || *p == 'b')
			p++;
		else if (p[-1] == 'i')
			return -EINVAL;
	} else if (*p == 'B' || *p == 'b') {
		p++;
	}
	if (*p)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int ctl_parse_extent(const char *s, uint64_t *off, uint64_t *len)
{
	const char *colon = strchr(s, ':');
	char head[64];
	uint64_t o, l;
	int rc;

	if (!colon || (size_t)(colon - s) >= sizeof(head))
		return -EINVAL;
	memcpy(head, s, (size_t)(colon - s));
	head[colon - s] = 0;
	rc = ctl_parse_size(head, &o);
	if (!rc)
		rc = ctl_parse_size(colon + 1, &l);
	if (rc)
		return rc;
	if (!l)
		return -EINVAL;
	*off = o;
	*len = l;
	return 0;
}

int ctl_parse_uuid(const char *s, char out[37])
{
	uuid_t u;

	/* uuid_parse() takes exactly 36 characters, 8-4-4-4-12 hex digits, either case */
	if (uuid_parse(s, u))
		return -EINVAL;
	uuid_unparse_lower(u, out);
	return 0;
}

int ctl_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int rc = number(s, &v, &end);

	if (rc)
		return rc;
	if (*end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ctl_parse_uint_at(const char *s, uint64_t max, uint64_t *out, const char **end)
{
	uint64_t v;
	int rc = number(s, &v, end);

	if (rc)
		return rc;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ctl_parse_seconds(const char *s, int *ms)
{
	const char *p;
	uint64_t whole, frac = 0;
	int rc = digits(s, 10, &whole, &p), places = 0;

	if (rc)
		return rc;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, places++) {
			if (places == 3)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
		if (!places)
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	for (; places < 3; places++)
		frac *= 10;
	if (whole > 86400 || whole * 1000 + frac > 86400000)
		return -ERANGE;
	*ms = (int)(whole * 1000 + frac);
	return 0;
}

const struct ctl_opcode_name ctl_opcode_names[] = {
	{ "identify", CXLDCD_OP_IDENTIFY },
	{ "get-response-msg-limit", CXLDCD_OP_GET_RESPONSE_MSG_LIMIT },
	{ "set-response-msg-limit", CXLDCD_OP_SET_RESPONSE_MSG_LIMIT },
	{ "get-event-records", CXLDCD_OP_GET_EVENT_RECORDS },
	{ "clear-event-records", CXLDCD_OP_CLEAR_EVENT_RECORDS },
	{ "get-event-interrupt-policy", CXLDCD_OP_GET_EVENT_INTERRUPT_POLICY },
	{ "set-event-interrupt-policy", CXLDCD_OP_SET_EVENT_INTERRUPT_POLICY },
	{ "get-supported-logs", CXLDCD_OP_GET_SUPPORTED_LOGS },
	{ "get-log", CXLDCD_OP_GET_LOG },
	{ "get-supported-logs-sub-list", CXLDCD_OP_GET_SUPPORTED_LOGS_SUB_LIST },
	{ "background-operation-status", CXLDCD_OP_BG_OP_STATUS },
	{ "abort-background-operation", CXLDCD_OP_BG_OP_ABORT },
	{ "get-fw-info", CXLDCD_OP_GET_FW_INFO },
	{ "get-timestamp", CXLDCD_OP_GET_TIMESTAMP },
	{ "set-timestamp", CXLDCD_OP_SET_TIMESTAMP },
	{ "get-supported-features", CXLDCD_OP_GET_SUPPORTED_FEATURES },
	{ "get-feature", CXLDCD_OP_GET_FEATURE },
	{ "set-feature", CXLDCD_OP_SET_FEATURE },
	{ "perform-maintenance", CXLDCD_OP_PERFORM_MAINTENANCE },
	{ "get-partition-info", CXLDCD_OP_GET_PARTITION_INFO },
	{ "get-lsa", CXLDCD_OP_GET_LSA },
	{ "set-lsa", CXLDCD_OP_SET_LSA },
	{ "get-health-info", CXLDCD_OP_GET_HEALTH_INFO },
	{ "get-alert-config", CXLDCD_OP_GET_ALERT_CONFIG },
	{ "set-alert-config", CXLDCD_OP_SET_ALERT_CONFIG },
	{ "get-poison-list", CXLDCD_OP_GET_POISON_LIST },
	{ "inject-poison", CXLDCD_OP_INJECT_POISON },
	{ "clear-poison", CXLDCD_OP_CLEAR_POISON },
	{ "get-scan-media-caps", CXLDCD_OP_GET_SCAN_MEDIA_CAPS },
	{ "scan-media", CXLDCD_OP_SCAN_MEDIA },
	{ "get-scan-media-results", CXLDCD_OP_GET_SCAN_MEDIA_RESULTS },
	{ "sanitize", CXLDCD_OP_SANITIZE },
	{ "secure-erase", CXLDCD_OP_SECURE_ERASE },
	{ "media-operations", CXLDCD_OP_MEDIA_OPERATIONS },
	{ "identify-memory-device", CXLDCD_OP_IDENTIFY_MEMORY_DEVICE },
	{ "get-dc-config", CXLDCD_OP_GET_DC_CONFIG },
	{ "get-dc-extent-list", CXLDCD_OP_GET_DC_EXTENT_LIST },
	{ "add-dc-response", CXLDCD_OP_ADD_DC_RESPONSE },
	{ "release-dc", CXLDCD_OP_RELEASE_DC },
	{ "get-dcd-info", CXLDCD_OP_FM_GET_DCD_INFO },
	{ "get-host-dc-region-config", CXLDCD_OP_FM_GET_HOST_DC_REGION_CONFIG },
	{ "set-dc-region-config", CXLDCD_OP_FM_SET_DC_REGION_CONFIG },
	{ "get-dc-region-extent-lists", CXLDCD_OP_FM_GET_DC_REGION_EXTENT_LISTS },
	{ "initiate-dc-add", CXLDCD_OP_FM_INITIATE_DC_ADD },
	{ "initiate-dc-release", CXLDCD_OP_FM_INITIATE_DC_RELEASE },
	{ "dc-add-reference", CXLDCD_OP_FM_DC_ADD_REFERENCE },
	{ "dc-remove-reference", CXLDCD_OP_FM_DC_REMOVE_REFERENCE },
	{ "dc-list-tags", CXLDCD_OP_FM_DC_LIST_TAGS },
	{ NULL, 0 },
};

const char *ctl_opcode_name(uint16_t opcode)
{
	for (const struct ctl_opcode_name *n = ctl_opcode_names; n->name; n++)
		if (n->opcode == opcode)
			return n->name;
	return NULL;
}

int ctl_parse_opcode(const char *s, uint16_t *out)
{
	const char *p = s, *end;
	uint64_t v;
	int rc;

	for (const struct ctl_opcode_name *n = ctl_opcode_names; n->name; n++) {
		if (!strcmp(n->name, s)) {
			*out = n->opcode;
			return 0;
		}
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	rc = digits(p, 16, &v, &end);
	if (rc)
		return rc;
	if ((*end == 'h' || *end == 'H') && p == s)
		end++;
	if (*end)
		return -EINVAL;
	if (v > UINT16_MAX)
		return -ERANGE;
	*out = (uint16_t)v;
	return 0;
}

int ctl_parse_hex(const char *s, char **out)
{
	size_t n = 0;
	char *h = malloc(strlen(s) + 1);

	if (!h)
		return -ENOMEM;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == ':' || *s == '_') {
			if (n % 2)
				goto bad;   /* a separator inside a byte */
			continue;
		}
		if (cx_hex_digit(*s) < 0)
			goto bad;
		h[n++] = (char)tolower((unsigned char)*s);
	}
	if (n % 2)
		goto bad;
	h[n] = 0;
	*out = h;
	return 0;
bad:
	free(h);
	return -EINVAL;
}

static int copy(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, src, len);
	dst[len] = 0;
	return 0;
}

static int parse_tcp(const char *s, struct ctl_addr *a)
{
	const char *colon;
	uint64_t port;
	size_t hl;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		s++;
		hl = (size_t)(close - s);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (ctl_parse_uint(colon + 1, 65535, &port) || !port)
		return -EINVAL;
	if (!hl)
		snprintf(a->host, sizeof(a->host), "127.0.0.1");
	else if (copy(a->host, sizeof(a->host), s, hl))
		return -EINVAL;
	snprintf(a->port, sizeof(a->port), "%u", (unsigned)port);
	return 0;
}

int ctl_parse_addr(const char *s, struct ctl_addr *out)
{
	struct ctl_addr a = { 0 };
	size_t len = strcspn(s, ",");
	char buf[400];

	/* QEMU's ",server,wait=off" options may be pasted along: drop them. */
	if (copy(buf, sizeof(buf), s, len))
		return -EINVAL;
	if (!strncmp(buf, "unix:", 5)) {
		a.kind = CTL_ADDR_UNIX;
		if (!buf[5] || copy(a.path, sizeof(a.path), buf + 5, strlen(buf + 5)))
			return -EINVAL;
	} else if (!strncmp(buf, "tcp:", 4)) {
		a.kind = CTL_ADDR_TCP;
		if (parse_tcp(buf + 4, &a))
			return -EINVAL;
	} else if (strchr(buf, '/') || !strchr(buf, ':')) {
		/* a path; "HOST:PORT" without tcp: is refused, not taken for a file name */
		a.kind = CTL_ADDR_UNIX;
		if (!buf[0])
			return -EINVAL;
		if (copy(a.path, sizeof(a.path), buf, strlen(buf)))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	*out = a;
	return 0;
}

const char *ctl_fmt_size(uint64_t v, char *buf, size_t cap)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (v && u < 5 && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(buf, cap, "%llu", (unsigned long long)v);
	else
		snprintf(buf, cap, "%llu%c", (unsigned long long)v, units[u]);
	return buf;
}

int ctl_opts_join(struct option *all, size_t cap, const struct option *cmd,
		  const struct option *common, size_t nr_common)
{
	size_t n = 0;

	for (; cmd && cmd[n].name; n++) {
		if (n >= cap)
			return -E2BIG;
		all[n] = cmd[n];
	}
	if (cap - n < nr_common + 1)
		return -E2BIG;
	for (size_t i = 0; i < nr_common; i++)
		all[n++] = common[i];
	memset(&all[n], 0, sizeof(all[n]));
	return (int)n;
}
