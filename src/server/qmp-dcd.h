/* SPDX-License-Identifier: MIT */
/*
 * qmp-dcd.h - handlers and argument schemas of the QMP device and memory
 * backend commands, registered by commands.c.  Internal to src/server.
 */
#ifndef CXLDCD_SERVER_QMP_DCD_H
#define CXLDCD_SERVER_QMP_DCD_H

#include "qmp/qmp.h"

struct server_ctx;

/* qmp-dcd.c: add, release, release status */
qmp_handler_fn qmp_add_dc, qmp_release_dc, qmp_release_status;
extern const struct qmp_arg qmp_add_dc_args[], qmp_release_dc_args[], qmp_release_status_args[];

/* qmp-dcd-query.c */
qmp_handler_fn qmp_query_dc;
extern const struct qmp_arg qmp_query_dc_args[];

/* qmp-cci.c */
qmp_handler_fn qmp_cci_request;
extern const struct qmp_arg qmp_cci_request_args[];
/*
 * Whether a cxl-cci-request can change something: its opcode is not a pure
 * read, or a More chain is open on that QMP mailbox context (any message
 * then changes the staging).  Arguments that cannot be resolved make the
 * command fail before it changes anything.
 */
bool dcd_cci_mutates(struct server_ctx *s, json_t *args);

/*
 * What the device commands share (qmp-dcd.c).  Each sets err and returns
 * NULL / -EINVAL on a bad argument: the device "path" (QEMU's "Unable to
 * resolve CXL type 3 device"), "host-id", "region", an optional "tag"
 * (*has = false when absent).
 */
struct dcd;
struct core_region_info;
struct dcd *dcd_resolve(struct server_ctx *s, json_t *args, struct qmp_error *err);
int dcd_check_host(const struct dcd *dv, json_t *args, uint16_t *host, struct qmp_error *err);
int dcd_check_region(const struct dcd *dv, json_t *args, uint8_t *region,
		     struct core_region_info *ri, struct qmp_error *err);
int dcd_parse_tag(json_t *args, uint8_t tag[16], bool *has, struct qmp_error *err);

/*
 * Command-table flags (commands.c, the registrant's bits of qmp_cmd.flags):
 * the command changes durable state and is journaled before it runs;
 * or (cxl-cci-request) it is when its CCI message is (dcd_cci_mutates()).
 */
#define SRV_QMP_JOURNALED (1u << QMP_CMD_OWNER_SHIFT)
#define SRV_QMP_JOURNALED_CCI (2u << QMP_CMD_OWNER_SHIFT)
/*
 * Whether the command being run must be journaled, from its table flags
 * (qmp_current_flags()) and, for SRV_QMP_JOURNALED_CCI, its arguments.
 */
bool srv_qmp_journaled(struct server_ctx *s, json_t *args);

/* A device command's body: fills *ret (whether it is journaled is its table row's flag). */
typedef int dcd_cmd_fn(struct server_ctx *s, json_t *args, json_t **ret, struct qmp_error *err);
/*
 * The request bracket: time, journal (before the model runs it, when the
 * command table says so: srv_qmp_journaled()), run fn, events; with a
 * store a journaled command joins the loop round's group commit and is
 * answered after it (QMP_DEFER).
 */
int dcd_run(struct server_ctx *s, const char *name, json_t *args, json_t **ret,
	    struct qmp_error *err, dcd_cmd_fn *fn);
/*
 * The device "path" of a RAS injection (qmp-inject.c) with QEMU's texts:
 * "Unable to resolve path", or "Path does not point to a CXL type 3
 * device" for a container of the QOM tree qom-list shows ("/", "/machine",
 * "/machine/peripheral", qmp-discovery.c).  NULL with err set on either.
 */
struct dcd *dcd_resolve_inject(struct server_ctx *s, json_t *args, struct qmp_error *err);
/*
 * The same bracket for a command on the device its "path" names (RAS
 * injection): a path dcd_resolve_inject() refuses is refused first,
 * unjournaled; fn returns nothing.
 */
typedef int dcd_dev_fn(struct server_ctx *s, struct dcd *dv, json_t *args, struct qmp_error *err);
int dcd_run_dev(struct server_ctx *s, const char *name, json_t *args, struct qmp_error *err,
		dcd_dev_fn *fn);

/* qmp-object.c */
qmp_handler_fn qmp_object_add, qmp_object_del, qmp_query_memdev;
extern const struct qmp_arg qmp_object_add_args[], qmp_object_del_args[];

/* qmp-fault.c: cxl-inject-fault, query-cxl-faults (test configuration, never journaled) */
qmp_handler_fn qmp_inject_fault, qmp_query_faults;
extern const struct qmp_arg qmp_inject_fault_args[], qmp_query_faults_args[];

/* Journal a QMP command (name + arguments) as a STORE_REC_QMP record. */
int srv_journal_qmp(struct server_ctx *s, const char *name, json_t *args);
/*
 * The journal text of a QMP command: {"execute":name,"arguments":args},
 * integers above INT64_MAX as the client sent them (qmp_request_dumps());
 * free() it.
 */
char *srv_qmp_record(struct server_ctx *s, const char *name, json_t *args);

#endif
