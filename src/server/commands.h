/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the one place where the daemon adds its QMP commands to the
 * registry.  Built-ins (qmp_capabilities, query-version, query-commands,
 * quit) come with the qmp_server; everything device-specific is registered
 * by server_register_commands(), one qmp_server_register() per command (or
 * one qmp_server_register_table() per table).
 */
#ifndef CXLDCD_SERVER_COMMANDS_H
#define CXLDCD_SERVER_COMMANDS_H

struct qmp_server;
struct cmdline_cfg;

/* What command handlers may reach.  The lead extends this (devices, backends). */
struct server_ctx {
	struct qmp_server *qmp;
	const struct cmdline_cfg *cfg;
};

/**
 * server_register_commands() - register the daemon's QMP commands.
 * @ctx: borrowed; outlives the qmp server (handed to handlers as opaque)
 * Return: 0 or -errno from qmp_server_register().
 */
int server_register_commands(struct qmp_server *qmp, struct server_ctx *ctx);

#endif
