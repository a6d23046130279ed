/* SPDX-License-Identifier: MIT */
/*
 * qmp-dcd.h - handlers and argument schemas of the QMP device and memory
 * backend commands, registered by commands.c.  Internal to src/server.
 */
#ifndef CXLDCD_SERVER_QMP_DCD_H
#define CXLDCD_SERVER_QMP_DCD_H

#include "qmp/qmp.h"

struct server_ctx;

/* qmp-dcd.c */
qmp_handler_fn qmp_add_dc, qmp_release_dc, qmp_release_status, qmp_query_dc, qmp_cci_request;
extern const struct qmp_arg qmp_add_dc_args[], qmp_release_dc_args[], qmp_release_status_args[],
	qmp_query_dc_args[], qmp_cci_request_args[];

/* qmp-object.c */
qmp_handler_fn qmp_object_add, qmp_object_del, qmp_query_memdev;
extern const struct qmp_arg qmp_object_add_args[], qmp_object_del_args[];

/* qmp-fault.c: cxl-inject-fault, query-cxl-faults (test configuration, never journaled) */
qmp_handler_fn qmp_inject_fault, qmp_query_faults;
extern const struct qmp_arg qmp_inject_fault_args[], qmp_query_faults_args[];

/* Journal a QMP command (name + arguments) as a STORE_REC_QMP record. */
int srv_journal_qmp(struct server_ctx *s, const char *name, json_t *args);
/* The journal text of a QMP command: {"execute":name,"arguments":args}; free() it. */
char *srv_qmp_record(const char *name, json_t *args);

#endif
