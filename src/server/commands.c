/* SPDX-License-Identifier: MIT */
/*
 * commands.c - the daemon's QMP command list (see commands.h).
 *
 * To add a command: write a handler with the qmp_handler_fn signature, give
 * it a static schema (struct qmp_arg[]), and add one line to the table
 * below.  The server validates arguments against the schema before the
 * handler runs (docs/qmp.md, "Adding a command").  Whether a command
 * changes durable state, and so is journaled before it runs, is its row's
 * flag here (SRV_QMP_JOURNALED, SRV_QMP_JOURNALED_CCI), read by the one
 * commit path (srv_qmp_journaled(), qmp-dcd.c); a handler never decides it.
 * Journaled commands whose handler only queues them (QMP_CMD_QUEUES) may be
 * pipelined: several of one client then share a group commit.
 * server_replay_qmp() feeds journaled commands back through the same
 * handlers (a command that failed when it ran fails again and changes
 * nothing).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qmp/qmp.h"
#include "commands.h"
#include "daemon.h"
#include "qmp-dcd.h"
#include "qmp-discovery.h"

#include "qmp-inject.h"

/* Journal marker: half-received QMP mailbox chains were dropped by a restart. */
#define DISCARD_CHAINS "x-cxldcd-discard-chains"

/* Journaled, and its handler only queues it for the group commit: it may be pipelined. */
#define JOURNALED_QUEUED (SRV_QMP_JOURNALED | QMP_CMD_QUEUES)

/*
 * Not journaled: reads, the fault-injection configuration (tests), and the
 * CXL RAS registers (cxl-inject-uncorrectable-errors, -correctable-error:
 * volatile, docs/persistence.md).
 */
static const struct qmp_cmd server_cmds[] = {
	/* a backend is made before its record (object-add): not QMP_CMD_QUEUES */
	{ .name = "object-add", .fn = qmp_object_add, .args = qmp_object_add_args,
	  .flags = QMP_CMD_ALLOW_EXTRA | SRV_QMP_JOURNALED },
	{ .name = "object-del", .fn = qmp_object_del, .args = qmp_object_del_args,
	  .flags = SRV_QMP_JOURNALED },
	{ .name = "query-memdev", .fn = qmp_query_memdev },
	{ .name = "cxl-add-dynamic-capacity", .fn = qmp_add_dc, .args = qmp_add_dc_args,
	  .flags = JOURNALED_QUEUED },
	{ .name = "cxl-release-dynamic-capacity", .fn = qmp_release_dc, .args = qmp_release_dc_args,
	  .flags = JOURNALED_QUEUED },
	{ .name = "cxl-release-dynamic-capacity-status", .fn = qmp_release_status,
	  .args = qmp_release_status_args },
	{ .name = "query-cxl-dynamic-capacity", .fn = qmp_query_dc, .args = qmp_query_dc_args },
	/* journaled or not by its CCI opcode: a read runs at once, so it is not QMP_CMD_QUEUES */
	{ .name = "cxl-cci-request", .fn = qmp_cci_request, .args = qmp_cci_request_args,
	  .flags = SRV_QMP_JOURNALED_CCI },
	{ .name = "cxl-inject-fault", .fn = qmp_inject_fault, .args = qmp_inject_fault_args },
	{ .name = "query-cxl-faults", .fn = qmp_query_faults, .args = qmp_query_faults_args },
	{ .name = "qom-list", .fn = qmp_qom_list, .args = qmp_qom_list_args },
	{ .name = "qom-get", .fn = qmp_qom_get, .args = qmp_qom_get_args },
	{ .name = "query-cxl-devices", .fn = qmp_query_cxl_devices },
	{ .name = "query-cxl-durability", .fn = qmp_query_durability },

	{ .name = "cxl-inject-poison", .fn = qmp_inject_poison, .args = qmp_inject_poison_args,
	  .flags = JOURNALED_QUEUED },
	{ .name = "cxl-inject-general-media-event", .fn = qmp_inject_gm_event,
	  .args = qmp_inject_gm_event_args, .flags = JOURNALED_QUEUED },
	{ .name = "cxl-inject-dram-event", .fn = qmp_inject_dram_event,
	  .args = qmp_inject_dram_event_args, .flags = JOURNALED_QUEUED },
	{ .name = "cxl-inject-memory-module-event", .fn = qmp_inject_mm_event,
	  .args = qmp_inject_mm_event_args, .flags = JOURNALED_QUEUED },
	{ .name = "cxl-inject-uncorrectable-errors", .fn = qmp_inject_uncor_errors,
	  .args = qmp_inject_uncor_errors_args },
	{ .name = "cxl-inject-correctable-error", .fn = qmp_inject_cor_error,
	  .args = qmp_inject_cor_error_args },
	{ .name = "query-cxl-ras", .fn = qmp_query_ras, .args = qmp_query_ras_args },
	{ .name = NULL },
};

int server_register_commands(struct qmp_server *qmp, struct server_ctx *ctx)
{
	size_t n = 0;

	while (server_cmds[n].name)
		n++;
	return qmp_server_register_table(qmp, server_cmds, n, ctx);
}

int server_journal_discard_chains(struct server_ctx *s)
{
	return srv_journal_qmp(s, DISCARD_CHAINS, NULL);
}

int server_replay_qmp(struct server_ctx *s, const char *text, size_t len, char *err, size_t cap)
{
	/* read as a session reads a request: integers up to UINT64_MAX (qmp.h) */
	struct qmp_json doc = { 0 };
	json_t *req = qmp_json_load(&doc, text, len, 0, NULL) ? NULL : doc.root, *args, *ret = NULL;
	const char *name = json_string_value(json_object_get(req, "execute"));
	struct qmp_error qerr = { 0 };
	int rc = -EIO;

	args = json_object_get(req, "arguments");
	if (!name || !json_is_object(args)) {
		/* the record's bytes are not NUL-terminated: quote at most len of them */
		snprintf(err, cap, "journaled QMP record is not a command: %.*s",
			 (int)(len < 80 ? len : 80), text);
		goto out;
	}
	if (!strcmp(name, DISCARD_CHAINS)) {
		dcd_discard_qmp_chains(s);
		rc = 0;
		goto out;
	}
	for (const struct qmp_cmd *c = server_cmds; c->name; c++) {
		if (strcmp(c->name, name))
			continue;
		if (qmp_schema_check_json(c->args, &doc, args, c->flags & QMP_CMD_ALLOW_EXTRA, &qerr)) {
			snprintf(err, cap, "journaled %s does not match its schema: %s", name, qerr.desc);
			goto out;
		}
		/*
		 * Commands are journaled before they run: one that failed then
		 * (and changed nothing) fails here again in the same way.
		 */
		c->fn(s, args, &ret, &qerr);
		rc = 0;
		goto out;
	}
	snprintf(err, cap, "journaled command %s is unknown", name);
out:
	json_decref(ret);
	qmp_json_fini(&doc);
	return rc;
}
