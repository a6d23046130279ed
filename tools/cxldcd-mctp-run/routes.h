/* SPDX-License-Identifier: MIT */
/*
 * routes.h - what cxldcd-mctp-run (run.c) hands libcxldcd-mctp.so
 * (preload.c) in CXLDCD_MCTP_ROUTES: "EID=ADDR[|ADDR08][;EID=...]", one
 * route per endpoint.  An address therefore has no ';' or '|', and the
 * library keeps it in MCTP_RUN_ADDR_MAX bytes.
 */
#ifndef CXLDCD_MCTP_RUN_ROUTES_H
#define CXLDCD_MCTP_RUN_ROUTES_H

#include <stdint.h>

#define MCTP_RUN_MAX_ROUTES 16
#define MCTP_RUN_ADDR_MAX 200   /* an address's bytes with its NUL */

/* One route as the library reads it. */
struct mctp_run_route {
	uint8_t eid;
	char addr[MCTP_RUN_ADDR_MAX]; /* the FM socket: type 07h (and 08h without addr08) */
	char addr08[MCTP_RUN_ADDR_MAX]; /* the MCTP CCI socket: type 08h; "" if none */
};

/* Told of each route mctp_run_routes_parse() leaves out (@item: borrowed). */
typedef void mctp_run_refused_fn(void *arg, const char *item);

/*
 * Read @s (CXLDCD_MCTP_ROUTES' value; NULL: none) into @out, which has
 * room for MCTP_RUN_MAX_ROUTES.  Return how many routes were read; a route
 * left out is told to @refused (may be NULL) with @arg.  (routes.c)
 */
unsigned mctp_run_routes_parse(const char *s, struct mctp_run_route *out,
			       mctp_run_refused_fn *refused, void *arg);

#endif
