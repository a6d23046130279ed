/* SPDX-License-Identifier: MIT */
/*
 * qmp-inject.h - QEMU's cxl-inject-* commands (qmp-inject.c), registered by
 * commands.c.  Internal to src/server.
 */
#ifndef CXLDCD_SERVER_QMP_INJECT_H
#define CXLDCD_SERVER_QMP_INJECT_H

#include "qmp/qmp.h"

qmp_handler_fn qmp_inject_poison, qmp_inject_gm_event, qmp_inject_dram_event,
	qmp_inject_mm_event, qmp_inject_uncor_errors, qmp_inject_cor_error, qmp_query_ras;
extern const struct qmp_arg qmp_inject_poison_args[], qmp_inject_gm_event_args[],
	qmp_inject_dram_event_args[], qmp_inject_mm_event_args[], qmp_inject_uncor_errors_args[],
	qmp_inject_cor_error_args[], qmp_query_ras_args[];

#endif
