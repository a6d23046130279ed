/* SPDX-License-Identifier: MIT */
/*
 * fuzz-mctp-routes.c - libFuzzer target for libcxldcd-mctp.so's reading of
 * CXLDCD_MCTP_ROUTES (mctp_run_routes_parse(), tools/cxldcd-mctp-run/routes.c),
 * which the library does in whatever program it is preloaded into: the
 * variable is that program's environment, anyone's to set.
 *
 * Input: the variable's value (up to the first NUL, as an environment
 * holds it).
 *
 * Checked against the grammar of routes.h, read here on its own (no
 * strtok(), no strtoul()): the routes read are the input's routes of that
 * form, in order, each with its EID (decimal 8..254, without sign, space or
 * leading zero, none an earlier route has), its address and 08h address
 * byte for byte (unix: or tcp:, no ';' or '|', NUL-terminated within
 * MCTP_RUN_ADDR_MAX); at most MCTP_RUN_MAX_ROUTES; every other non-empty
 * route is told as refused, once, with its text, in order; a refusal
 * writes nothing (the slots past the routes read keep what they held); the
 * routes read, written out again, read back the same with nothing refused.
 * No crash, sanitizer report or leak.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/cxldcd-mctp-run/routes.h"
#include "../fuzz-input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define POISON 0xa5
#define ROUTES_MAX (MCTP_RUN_MAX_ROUTES * (2 * MCTP_RUN_ADDR_MAX + 8))

/* The routes refused, as the parser told them. */
struct told {
	const char *s;          /* the value parsed */
	unsigned n;
	const char *item[64];   /* where each starts in s (NULL: outside it) */
	size_t len[64];
	bool bad;               /* told with no reason */
};

static void refused(void *arg, const char *item, size_t len, const char *why)
{
	struct told *t = arg;

	if (!why || !*why)
		t->bad = true;
	if (t->n < 64) {
		t->item[t->n] = item;
		t->len[t->n] = len;
	}
	t->n++;
}

/* An EID of the grammar: the text "%d" writes for a number 8..254; its value, or -1. */
static int grammar_eid(const char *p, size_t len)
{
	char text[4], back[16];
	int v;

	if (len < 1 || len >= sizeof(text))
		return -1;
	memcpy(text, p, len);
	text[len] = '\0';
	v = atoi(text);
	snprintf(back, sizeof(back), "%d", v);
	return v >= 8 && v <= 254 && !strcmp(back, text) ? v : -1;
}

static bool grammar_addr(const char *p, size_t len)
{
	bool unix_ = len >= 5 && !memcmp(p, "unix:", 5), tcp = len >= 4 && !memcmp(p, "tcp:", 4);

	return (unix_ || tcp) && len < MCTP_RUN_ADDR_MAX && !memchr(p, '|', len) &&
	       !memchr(p, ';', len) && !memchr(p, '\0', len);
}

/* Route @p (@len bytes, no ';') by the grammar into @r; false if it is not one. */
static bool grammar_route(const char *p, size_t len, const struct mctp_run_route *got, unsigned n,
			  struct mctp_run_route *r)
{
	const char *eq = memchr(p, '=', len), *end = p + len, *a, *bar;
	size_t alen, blen = 0;
	int eid;

	if (!eq || (eid = grammar_eid(p, (size_t)(eq - p))) < 0)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (got[i].eid == eid)
			return false;
	a = eq + 1;
	bar = memchr(a, '|', (size_t)(end - a));
	alen = (size_t)((bar ? bar : end) - a);
	if (bar)
		blen = (size_t)(end - bar - 1);
	if (!grammar_addr(a, alen) || (bar && !grammar_addr(bar + 1, blen)))
		return false;
	memset(r, 0, sizeof(*r));
	r->eid = (uint8_t)eid;
	memcpy(r->addr, a, alen);
	if (bar)
		memcpy(r->addr08, bar + 1, blen);
	return true;
}

static void same_route(const struct mctp_run_route *want, const struct mctp_run_route *got,
		       const char *s)
{
	if (got->eid != want->eid)
		fz_die("a route's EID is not its text's", s);
	if (!memchr(got->addr, '\0', sizeof(got->addr)) || !memchr(got->addr08, '\0', sizeof(got->addr08)))
		fz_die("an address fills its buffer without its NUL", s);
	if (strcmp(got->addr, want->addr) || strcmp(got->addr08, want->addr08))
		fz_die("a route's address is not its text's", s);
}

/* Parse @s into @out (poisoned first); check it against the grammar; return how many were read. */
static unsigned check(const char *s, struct mctp_run_route *out)
{
	struct mctp_run_route want;
	struct told t = { .s = s };
	unsigned n, k = 0, refusals = 0;
	const unsigned char *tail;

	memset(out, POISON, MCTP_RUN_MAX_ROUTES * sizeof(*out));
	n = mctp_run_routes_parse(s, out, refused, &t);
	if (n > MCTP_RUN_MAX_ROUTES)
		fz_die("more routes than the array holds", s);
	if (t.bad)
		fz_die("a route refused without a reason", s);
	for (const char *p = s;;) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);

		if (len) {
			if (k < MCTP_RUN_MAX_ROUTES && grammar_route(p, len, out, k, &want)) {
				if (k == n)
					fz_die("a route of the grammar was refused", s);
				same_route(&want, &out[k++], s);
			} else {
				if (refusals < 64 && (t.item[refusals] != p || t.len[refusals] != len))
					fz_die("a refused route was not told, or told with other text", s);
				refusals++;
			}
		}
		if (!semi)
			break;
		p = semi + 1;
	}
	if (k != n)
		fz_die("a route not of the grammar was read", s);
	if (t.n != refusals)
		fz_die("refusals told are not the routes refused", s);
	tail = (const unsigned char *)&out[n];
	for (size_t i = 0; i < (MCTP_RUN_MAX_ROUTES - n) * sizeof(*out); i++)
		if (tail[i] != POISON)
			fz_die("a refusal wrote into the routes", s);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mctp_run_route out[MCTP_RUN_MAX_ROUTES], again[MCTP_RUN_MAX_ROUTES];
	static char text[ROUTES_MAX];
	char *s = malloc(size + 1);
	unsigned n;
	size_t off = 0;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (!size && mctp_run_routes_parse(NULL, out, refused, &(struct told){ 0 }))
		fz_die("an unset variable gave routes", NULL);
	n = check(s, out);
	/* What was read, written as cxldcd-mctp-run writes it, reads back the same. */
	text[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%u=%s%s%s", i ? ";" : "",
					out[i].eid, out[i].addr, out[i].addr08[0] ? "|" : "",
					out[i].addr08);
	if (off >= sizeof(text))
		fz_die("the routes read do not fit what cxldcd-mctp-run writes", s);
	if (check(text, again) != n)
		fz_die("the routes read, written out, read back otherwise", s);
	for (unsigned i = 0; i < n; i++)
		same_route(&out[i], &again[i], s);
	free(s);
	return 0;
}
