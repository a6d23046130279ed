/* SPDX-License-Identifier: MIT */
/*
 * routes.c - libcxldcd-mctp.so's reading of CXLDCD_MCTP_ROUTES (routes.h),
 * apart from the preloaded socket calls so that a test or a fuzz target
 * can call it.  The value is the environment of whatever program the
 * library is preloaded into: a route not of the grammar is left out, and
 * said so, never read as something else.
 */
#include <string.h>

#include "mctp/mctp.h"
#include "routes.h"

/* The EID of a route, @len bytes at @p: decimal as cxldcd-mctp-run writes it (%d), 8..254; or -1. */
static int eid_of(const char *p, size_t len)
{
	int v = 0;

	if (len < 1 || len > 3 || p[0] == '0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= (int)MCTP_EID_FIRST && v < (int)MCTP_EID_BROADCAST ? v : -1;
}

/* Why the address of @len bytes at @a cannot be a route's, or NULL (as run.c's bad_addr()). */
static const char *bad_addr(const char *a, size_t len)
{
	if ((len < 5 || memcmp(a, "unix:", 5)) && (len < 4 || memcmp(a, "tcp:", 4)))
		return "address is not unix:PATH or tcp:HOST:PORT";
	if (memchr(a, '|', len))
		return "address has a '|'";
	if (len >= MCTP_RUN_ADDR_MAX)
		return "address too long";
	return NULL;
}

/*
 * Read the route of @len bytes at @p (no ';') into @out[@n], after the
 * @n routes read before it.  Return why not, or NULL; nothing is written
 * then.
 */
static const char *parse_one(const char *p, size_t len, struct mctp_run_route *out, unsigned n)
{
	const char *eq = memchr(p, '=', len), *end = p + len, *a, *bar, *why;
	size_t alen, blen = 0;
	int eid;

	if (!eq)
		return "no '='";
	eid = eid_of(p, (size_t)(eq - p));
	if (eid < 0)
		return "EID is not 8..254";
	for (unsigned i = 0; i < n; i++)
		if (out[i].eid == eid)
			return "EID given twice";
	a = eq + 1;
	bar = memchr(a, '|', (size_t)(end - a));
	alen = (size_t)((bar ? bar : end) - a);
	if (bar)
		blen = (size_t)(end - bar - 1);
	if ((why = bad_addr(a, alen)) || (bar && (why = bad_addr(bar + 1, blen))))
		return why;
	out[n].eid = (uint8_t)eid;
	memcpy(out[n].addr, a, alen);
	out[n].addr[alen] = '\0';
	if (bar)
		memcpy(out[n].addr08, bar + 1, blen);
	out[n].addr08[blen] = '\0';
	return NULL;
}

unsigned mctp_run_routes_parse(const char *s, struct mctp_run_route *out,
			       mctp_run_refused_fn *refused, void *arg)
{
	unsigned n = 0;

	for (const char *p = s; p;) {
		const char *semi = strchr(p, ';'), *why;
		size_t len = semi ? (size_t)(semi - p) : strlen(p);

		if (len) {      /* an empty route (";;") is no route */
			why = n == MCTP_RUN_MAX_ROUTES ? "more routes than the library holds" :
							 parse_one(p, len, out, n);
			if (!why)
				n++;
			else if (refused)
				refused(arg, p, len, why);
		}
		p = semi ? semi + 1 : NULL;
	}
	return n;
}
