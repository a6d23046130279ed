/* SPDX-License-Identifier: MIT */
/*
 * server.c - the QMP server object: command registry, session list, events
 * and logging.  Sessions (session.c) look commands up here; events fan out
 * from here to every session that finished capability negotiation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp-int.h"

static const char *const class_names[] = {
	[QMP_ERR_GENERIC] = "GenericError",
	[QMP_ERR_COMMAND_NOT_FOUND] = "CommandNotFound",
	[QMP_ERR_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
	[QMP_ERR_DEVICE_NOT_FOUND] = "DeviceNotFound",
	[QMP_ERR_KVM_MISSING_CAP] = "KVMMissingCap",
};

const char *qmp_err_class_str(enum qmp_err_class cls)
{
	if ((size_t)cls < sizeof(class_names) / sizeof(class_names[0]) && class_names[cls])
		return class_names[cls];
	return "GenericError";
}

void qmp_error_set(struct qmp_error *err, enum qmp_err_class cls, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->cls = cls;
	va_start(ap, fmt);
	vsnprintf(err->desc, sizeof(err->desc), fmt, ap);
	va_end(ap);
}

void qmp_log(struct qmp_server *srv, int level, const char *fmt, ...)
{
	char line[1024];
	int saved = errno;
	va_list ap;

	if (!srv->log_fn || level > srv->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	srv->log_fn(srv->log_opaque, level, line);
	errno = saved;
}

int qmp_server_new(const struct qmp_server_cfg *cfg, struct qmp_server **out)
{
	struct qmp_server *srv;
	const char *pkg = cfg && cfg->package ? cfg->package : "cxldcd";

	*out = NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	/*
	 * COMPAT: we report QEMU 9.1.0 by default, the first QEMU whose QMP
	 * schema has the DCD commands, so version-gated scripts accept us.
	 */
	srv->ver_major = cfg && (cfg->ver_major | cfg->ver_minor | cfg->ver_micro) ? cfg->ver_major : 9;
	srv->ver_minor = cfg && (cfg->ver_major | cfg->ver_minor | cfg->ver_micro) ? cfg->ver_minor : 1;
	srv->ver_micro = cfg ? cfg->ver_micro : 0;
	srv->max_msg = cfg && cfg->max_msg ? cfg->max_msg : QMP_MAX_MSG_DEFAULT;
	if (cfg) {
		srv->quit = cfg->quit;
		srv->quit_opaque = cfg->quit_opaque;
		srv->clock = cfg->clock;
		srv->clock_opaque = cfg->clock_opaque;
	}
	srv->package = strdup(pkg);
	if (!srv->package)
		goto err;
	if (qmp_builtins_register(srv))
		goto err;
	*out = srv;
	return 0;
err:
	qmp_server_free(srv);
	return -ENOMEM;
}

void qmp_server_free(struct qmp_server *srv)
{
	if (!srv)
		return;
	while (srv->sessions)
		qmp_session_free(srv->sessions);
	qmp_out_release(&srv->out);
	qmp_text_fini(&srv->text);
	qmp_text_fini(&srv->rec);
	free(srv->cmds);
	free(srv->package);
	free(srv);
}

void qmp_server_set_log(struct qmp_server *srv, qmp_log_fn *fn, void *opaque, int max_level)
{
	srv->log_fn = fn;
	srv->log_opaque = opaque;
	srv->log_level = max_level;
}

void qmp_server_set_gate(struct qmp_server *srv, qmp_gate_fn *fn, void *opaque)
{
	srv->gate = fn;
	srv->gate_opaque = opaque;
}

const struct qmp_entry *qmp_server_lookup(const struct qmp_server *srv, const char *name)
{
	for (size_t i = 0; i < srv->nr_cmds; i++)
		if (strcmp(srv->cmds[i].cmd->name, name) == 0)
			return &srv->cmds[i];
	return NULL;
}

int qmp_server_register(struct qmp_server *srv, const struct qmp_cmd *cmd, void *opaque)
{
	if (!cmd || !cmd->name || !*cmd->name || !cmd->fn)
		return -EINVAL;
	if (qmp_server_lookup(srv, cmd->name))
		return -EEXIST;
	if (srv->nr_cmds == srv->cap_cmds) {
		size_t ncap = srv->cap_cmds ? srv->cap_cmds * 2 : 16;
		struct qmp_entry *n = realloc(srv->cmds, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		srv->cmds = n;
		srv->cap_cmds = ncap;
	}
	srv->cmds[srv->nr_cmds].cmd = cmd;
	srv->cmds[srv->nr_cmds].opaque = opaque;
	srv->nr_cmds++;
	return 0;
}

int qmp_server_register_table(struct qmp_server *srv, const struct qmp_cmd *cmds, size_t n,
			      void *opaque)
{
	for (size_t i = 0; i < n; i++) {
		int rc = qmp_server_register(srv, &cmds[i], opaque);

		if (rc)
			return rc;
	}
	return 0;
}

size_t qmp_server_nr_sessions(const struct qmp_server *srv)
{
	return srv->nr_sessions;
}

json_t *qmp_timestamp(struct qmp_server *srv)
{
	struct timespec now;

	if (srv->clock)
		srv->clock(srv->clock_opaque, &now);
	else
		clock_gettime(CLOCK_REALTIME, &now);
	return json_pack("{s:I,s:I}", "seconds", (json_int_t)now.tv_sec,
			 "microseconds", (json_int_t)(now.tv_nsec / 1000));
}

int qmp_server_emit_event(struct qmp_server *srv, const char *name, json_t *data)
{
	struct qmp_session *s, *next;
	json_t *ev, *ts = qmp_timestamp(srv);
	struct qmp_text t;
	int n = 0;

	/* QEMU writes the timestamp first; members are unordered in QMP anyway. */
	ev = ts ? json_pack("{s:O,s:s}", "timestamp", ts, "event", name) : NULL;
	if (ev && data && json_object_set(ev, "data", data)) {
		json_decref(ev);
		ev = NULL;
	}
	/* encoded once for every session: an event may be a megabyte */
	t = qmp_text_take(srv);
	if (ev)
		qmp_json_dump_to(&t, NULL, ev, JSON_ENSURE_ASCII);
	json_decref(ev);
	qmp_text_put(&t, "\r\n", 2);
	if (!ev || t.oom) {
		qmp_text_give(srv, &t);
		json_decref(ts);
		qmp_log(srv, LOG_ERR, "qmp: out of memory encoding event %s", name);
		return -ENOMEM;
	}
	qmp_log(srv, LOG_INFO, "qmp: event %s", name);
	for (s = srv->sessions; s; s = next) {
		next = s->next;
		if (!s->negotiated || s->closed)
			continue;
		if (qmp_session_event(s, name, t.buf, t.len, ts))
			n++;
	}
	qmp_text_give(srv, &t);
	json_decref(ts);
	return n;
}
