/* SPDX-License-Identifier: MIT */
/*
 * main.c - the cxldcd daemon: parse the command line, open the QMP
 * listeners, run the loop, shut down cleanly on quit, SIGINT or SIGTERM
 * (removing our Unix sockets).  The only file of src/ that may exit().
 *
 * Devices and backends from -device/-object are parsed and validated; they
 * are created here once src/core and src/mem are wired (see commands.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "qmp/qmp.h"
#include "cmdline.h"
#include "commands.h"
#include "loop.h"
#include "qmp-listen.h"

#define CXLDCD_VERSION "0.1.0"

struct daemon {
	struct cmdline_cfg cfg;
	struct loop *loop;
	struct qmp_server *qmp;
	struct qmp_listen **qmp_ls;
	size_t nr_qmp_ls;
	struct srv_log log;
	struct server_ctx ctx;
	bool timestamps;
};

/* One line per event on stderr; timestamped unless journald adds its own. */
static void log_stderr(void *opaque, int level, const char *msg)
{
	struct daemon *d = opaque;
	char ts[40] = "";

	(void)level;
	if (d->timestamps) {
		struct timeval tv;
		struct tm tm;

		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03ld ", (long)tv.tv_usec / 1000);
	}
	fprintf(stderr, "%scxldcd: %s\n", ts, msg);
}

static void on_quit(void *opaque)
{
	struct daemon *d = opaque;

	srv_log(&d->log, LOG_NOTICE, "quit requested over QMP, shutting down");
	loop_stop(d->loop);
}

static void on_signal(struct loop *l, int signo, void *opaque)
{
	struct daemon *d = opaque;

	srv_log(&d->log, LOG_NOTICE, "received %s, shutting down", strsignal(signo));
	loop_stop(l);
}

/* The runtime directory must be ours and private (it may sit in /tmp). */
static int ensure_runtime_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return -EPERM;
	return 0;
}

static void describe_config(struct daemon *d)
{
	const struct cmdline_cfg *cfg = &d->cfg;
	char addr[300];

	for (size_t i = 0; i < cfg->nr_objects; i++) {
		const struct cmdline_object *o = &cfg->objects[i];

		srv_log(&d->log, LOG_INFO, "object %s: size=%llu share=%s%s%s%s", o->id,
			(unsigned long long)o->size, o->share ? "on" : "off",
			o->has_tag ? " tag=" : "", o->has_tag ? o->tag : "",
			" (not created yet: memory layer pending)");
	}
	for (size_t i = 0; i < cfg->nr_devices; i++) {
		const struct cmdline_device *dv = &cfg->devices[i];

		srv_log(&d->log, LOG_INFO,
			"device %s: cxl-type3 num-dc-regions=%u %s%s num-hosts=%u (not created yet: model pending)",
			dv->id, dv->num_dc_regions,
			dv->volatile_dc_memdev ? "volatile-dc-memdev=" : "dc-regions-total-size=",
			dv->volatile_dc_memdev ? dv->volatile_dc_memdev : "(set)",
			dv->num_hosts ? dv->num_hosts : 1);
	}
	for (size_t i = 0; i < cfg->nr_fm; i++) {
		sock_addr_str(&cfg->fm[i], addr, sizeof(addr));
		srv_log(&d->log, LOG_INFO, "fm: %s (not served yet)", addr);
	}
	if (cfg->host_socket)
		srv_log(&d->log, LOG_INFO, "host link: unix:%s (not served yet)", cfg->host_socket);
}

static int start(struct daemon *d)
{
	const struct qmp_server_cfg qcfg = {
		.package = "cxldcd " CXLDCD_VERSION,
		.quit = on_quit,
		.quit_opaque = d,
	};
	static const int sigs[] = { SIGINT, SIGTERM };
	int rc;

	if ((rc = loop_new(&d->loop)) || (rc = qmp_server_new(&qcfg, &d->qmp)))
		return rc;
	qmp_server_set_log(d->qmp, log_stderr, d,
			   d->cfg.trace & CMDLINE_TRACE_QMP ? LOG_DEBUG : LOG_INFO);
	d->ctx.qmp = d->qmp;
	d->ctx.cfg = &d->cfg;
	if ((rc = server_register_commands(d->qmp, &d->ctx)))
		return rc;
	if ((rc = loop_watch_signals(d->loop, sigs, 2, on_signal, d)))
		return rc;
	d->qmp_ls = calloc(d->cfg.nr_qmp, sizeof(*d->qmp_ls));
	if (!d->qmp_ls)
		return -ENOMEM;
	for (size_t i = 0; i < d->cfg.nr_qmp; i++) {
		char addr[300];

		sock_addr_str(&d->cfg.qmp[i], addr, sizeof(addr));
		rc = qmp_listen_new(d->loop, d->qmp, &d->cfg.qmp[i], &d->log, &d->qmp_ls[i]);
		if (rc) {
			fprintf(stderr, "cxldcd: -qmp %s: cannot listen: %s\n", addr, strerror(-rc));
			return rc;
		}
		d->nr_qmp_ls++;
		qmp_listen_addr(d->qmp_ls[i], addr, sizeof(addr));
		srv_log(&d->log, LOG_NOTICE, "qmp: listening on %s", addr);
	}
	return 0;
}

static void stop(struct daemon *d)
{
	for (size_t i = 0; i < d->nr_qmp_ls; i++)
		qmp_listen_free(d->qmp_ls[i]);
	free(d->qmp_ls);
	qmp_server_free(d->qmp);
	loop_free(d->loop);
	cmdline_fini(&d->cfg);
}

int main(int argc, char **argv)
{
	struct daemon d = { 0 };
	char rundir[256], err[CMDLINE_ERR_MAX];
	int rc;

	signal(SIGPIPE, SIG_IGN);
	d.timestamps = getenv("JOURNAL_STREAM") == NULL;
	d.log = (struct srv_log){ .fn = log_stderr, .opaque = &d, .max_level = LOG_INFO };
	cmdline_runtime_dir(rundir, sizeof(rundir));
	if (cmdline_parse(argc, argv, rundir, &d.cfg, err, sizeof(err))) {
		fprintf(stderr, "cxldcd: %s\n", err);
		cmdline_fini(&d.cfg);
		return 2;
	}
	if (d.cfg.help || d.cfg.version) {
		fputs(d.cfg.help ? cmdline_usage() : "cxldcd " CXLDCD_VERSION "\n", stdout);
		cmdline_fini(&d.cfg);
		return 0;
	}
	if (d.cfg.trace)
		d.log.max_level = LOG_DEBUG;
	if (d.cfg.uses_runtime_dir && (rc = ensure_runtime_dir(d.cfg.runtime_dir))) {
		fprintf(stderr, "cxldcd: runtime directory %s: %s\n", d.cfg.runtime_dir,
			rc == -EPERM ? "not a private directory owned by this user" : strerror(-rc));
		cmdline_fini(&d.cfg);
		return 1;
	}
	srv_log(&d.log, LOG_NOTICE, "cxldcd %s starting%s", CXLDCD_VERSION,
		d.cfg.defaults ? " with the default device (no arguments given)" : "");
	describe_config(&d);
	rc = start(&d);
	if (rc == 0)
		rc = loop_run(d.loop);
	if (rc)
		srv_log(&d.log, LOG_ERR, "stopping after error: %s", strerror(-rc));
	stop(&d);
	return rc ? 1 : 0;
}
