/* SPDX-License-Identifier: MIT */
/*
 * commands.c - the daemon's QMP command list (see commands.h).
 *
 * To add a command: write a handler with the qmp_handler_fn signature, give
 * it a static schema (struct qmp_arg[]), and add one line to the table
 * below.  The server validates arguments against the schema before the
 * handler runs (docs/qmp.md, "Adding a command").
 *
 * DEVICE COMMANDS: cxl-add-dynamic-capacity, cxl-release-dynamic-capacity,
 * cxl-release-dynamic-capacity-status, object-add, object-del, ... are wired
 * here by the integration work once src/core and src/mem are in.
 */
#include "qmp/qmp.h"
#include "commands.h"

static const struct qmp_cmd server_cmds[] = {
	/* { .name = "cxl-add-dynamic-capacity", .fn = ..., .args = ... }, */
	{ .name = NULL },
};

int server_register_commands(struct qmp_server *qmp, struct server_ctx *ctx)
{
	size_t n = 0;

	while (server_cmds[n].name)
		n++;
	return qmp_server_register_table(qmp, server_cmds, n, ctx);
}
