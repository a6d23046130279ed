/* SPDX-License-Identifier: MIT */
/*
 * routes.h - what cxldcd-mctp-run (run.c) hands libcxldcd-mctp.so
 * (preload.c) in CXLDCD_MCTP_ROUTES: "EID=ADDR[|ADDR08][;EID=...]", one
 * route per endpoint.  An address therefore has no ';' or '|', and the
 * library keeps it in MCTP_RUN_ADDR_MAX bytes.
 */
#ifndef CXLDCD_MCTP_RUN_ROUTES_H
#define CXLDCD_MCTP_RUN_ROUTES_H

#define MCTP_RUN_MAX_ROUTES 16
#define MCTP_RUN_ADDR_MAX 200   /* an address's bytes with its NUL */

#endif
