/* SPDX-License-Identifier: MIT */
/*
 * builtin.c - the commands every QMP server has: qmp_capabilities,
 * query-version, query-commands, quit.  qmp_capabilities changes session
 * state, so session.c performs it; its entry here carries the schema and
 * makes it visible to query-commands.
 */
#include <errno.h>

#include "qmp-int.h"

static const char *const capability_values[] = { "oob", NULL };

static const struct qmp_arg capabilities_args[] = {
	{ .name = "enable", .type = QMP_T_ARRAY, .elem = QMP_T_ENUM,
	  .values = capability_values, .optional = true },
	QMP_ARG_END
};

static int cmd_capabilities(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	(void)opaque; (void)args; (void)ret; (void)err;
	return 0;   /* not reached: session.c handles it */
}

static int cmd_query_version(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct qmp_server *srv = opaque;

	(void)args;
	*ret = json_pack("{s:{s:I,s:I,s:I},s:s}", "qemu", "micro", (json_int_t)srv->ver_micro,
			 "minor", (json_int_t)srv->ver_minor, "major", (json_int_t)srv->ver_major,
			 "package", srv->package);
	if (!*ret) {
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int cmd_query_commands(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct qmp_server *srv = opaque;
	json_t *list = json_array();

	(void)args;
	for (size_t i = 0; list && i < srv->nr_cmds; i++) {
		if (json_array_append_new(list, json_pack("{s:s}", "name", srv->cmds[i].cmd->name))) {
			json_decref(list);
			list = NULL;
		}
	}
	if (!list) {
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		return -ENOMEM;
	}
	*ret = list;
	return 0;
}

/* The reply goes out first; session.c then emits SHUTDOWN and calls cfg.quit. */
static int cmd_quit(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct qmp_server *srv = opaque;

	(void)args; (void)ret; (void)err;
	srv->quit_requested = true;
	return 0;
}

static const struct qmp_cmd builtins[] = {
	{ .name = "qmp_capabilities", .fn = cmd_capabilities, .args = capabilities_args },
	{ .name = "query-version", .fn = cmd_query_version },
	{ .name = "query-commands", .fn = cmd_query_commands },
	{ .name = "quit", .fn = cmd_quit },
};

int qmp_builtins_register(struct qmp_server *srv)
{
	return qmp_server_register_table(srv, builtins, sizeof(builtins) / sizeof(builtins[0]), srv);
}
