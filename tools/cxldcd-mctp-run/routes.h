/* SPDX-License-Identifier: MIT */
/*
 * routes.h - what cxldcd-mctp-run (run.c) hands libcxldcd-mctp.so
 * (preload.c) in CXLDCD_MCTP_ROUTES: "EID=ADDR[|ADDR08][;EID=...]", one
 * route per endpoint.  An address therefore has no ';' or '|', and the
 * library keeps it in MCTP_RUN_ADDR_MAX bytes.  The grammar the library
 * reads (mctp_run_routes_parse()):
 *
 *   routes = route *(";" route)      at most MCTP_RUN_MAX_ROUTES; "" none
 *   route  = eid "=" addr ["|" addr] the FM socket, then the MCTP CCI one
 *   eid    = decimal 8..254 as "%d" writes it (no sign, space, leading 0)
 *   addr   = ("unix:" / "tcp:") then any bytes but ';' '|' NUL,
 *            shorter than MCTP_RUN_ADDR_MAX
 *
 * A route whose EID an earlier route has, or past the last one the library
 * holds, is not read either; empty routes (";;") are skipped.
 */
#ifndef CXLDCD_MCTP_RUN_ROUTES_H
#define CXLDCD_MCTP_RUN_ROUTES_H

#include <stddef.h>
#include <stdint.h>

#define MCTP_RUN_MAX_ROUTES 16
#define MCTP_RUN_ADDR_MAX 200   /* an address's bytes with its NUL */

/* One route as the library reads it. */
struct mctp_run_route {
	uint8_t eid;
	char addr[MCTP_RUN_ADDR_MAX]; /* the FM socket: type 07h (and 08h without addr08) */
	char addr08[MCTP_RUN_ADDR_MAX]; /* the MCTP CCI socket: type 08h; "" if none */
};

/*
 * Told of each route mctp_run_routes_parse() leaves out: its @len bytes at
 * @item, within the string parsed (borrowed; no NUL after them), and @why.
 */
typedef void mctp_run_refused_fn(void *arg, const char *item, size_t len, const char *why);

/*
 * Read @s (CXLDCD_MCTP_ROUTES' value, borrowed; NULL: none) into @out,
 * which has room for MCTP_RUN_MAX_ROUTES.  Return how many routes were read
 * (@out[0..n-1]); each route not of the grammar above is told to @refused
 * (may be NULL) with @arg, in order, and writes nothing.  (routes.c)
 */
unsigned mctp_run_routes_parse(const char *s, struct mctp_run_route *out,
			       mctp_run_refused_fn *refused, void *arg);

#endif
