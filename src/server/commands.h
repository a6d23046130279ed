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
struct server_ctx;   /* daemon.h: what command handlers reach (devices, backends, store) */

/**
 * server_register_commands() - register the daemon's QMP commands.
 * @ctx: borrowed; outlives the qmp server (handed to handlers as opaque)
 * Return: 0 or -errno from qmp_server_register().
 */
int server_register_commands(struct qmp_server *qmp, struct server_ctx *ctx);

/* Journal the marker that drops half-received QMP mailbox chains (restart). */
int server_journal_discard_chains(struct server_ctx *s);

#endif
