/* SPDX-License-Identifier: MIT */
/*
 * main.c - the cxldcd daemon: parse the command line, build the memory
 * backends and devices, open the --state store (its lock before any
 * socket: a killed daemon's snapshot child may hold them), open the FM,
 * QMP and host-link listeners (they answer "starting" meanwhile), replay
 * the --state journal, attach memory
 * and start the host links (each --fm and --host-socket
 * serves the device its device=ID names, by default the first), run the
 * loop (with the pending-timeout tick), shut down cleanly on quit, SIGINT
 * or SIGTERM (SHUTDOWN event, the queued group committed, remove our Unix
 * sockets and the pid file); SIGHUP reopens the --log-file.  --daemonize detaches once
 * every socket listens.  Under systemd (notify.h): STATUS= per phase, READY=1
 * once every socket listens and the state is restored, WATCHDOG=1 from the
 * loop, STOPPING=1; default sockets in $RUNTIME_DIRECTORY.  The only file of
 * src/ that may exit().
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cci/cci.h"
#include "common/rundir.h"
#include "cci/msg.h"
#include "common/sockpolicy.h"
#include "hostlink/hostlink.h"
#include "qmp/qmp.h"
#include "store/store.h"
#include "cmdline.h"
#include "commands.h"
#include "daemon.h"
#include "loop.h"
#include "mctp-serial.h"
#include "notify.h"
#include "qmp-listen.h"

#define CXLDCD_VERSION "0.1.0"

struct daemon {
	struct cmdline_cfg cfg;
	struct loop *loop;
	struct qmp_server *qmp;
	struct qmp_listen **qmp_ls;
	size_t nr_qmp_ls;
	struct fm_listen **fm_ls;
	size_t nr_fm_ls;
	struct fm_listen **mctp_cci_ls;   /* --mctp-cci */
	size_t nr_mctp_cci_ls;
	struct mctp_pty **mctp;
	size_t nr_mctp;
	struct srv_log log;
	struct server_ctx ctx;
	struct srv_notify notify;       /* the service manager ($NOTIFY_SOCKET), notify.h */
	uint64_t progress_timer;        /* STATUS= while the journal replays */
	bool progress_timer_set;
	char ready[SRV_NOTIFY_MAX - 32]; /* "READY=1\nSTATUS=serving ..." (the parent's with --daemonize) */
	bool timestamps;
	bool pidfile_written;
	bool said_why;          /* a failure to start already printed its reason */
	char err[SRV_ERR_MAX + 256];
};

/*
 * A snapshot (restore point, written by a forked child) every this many
 * journal records; $CXLDCD_SNAPSHOT_EVERY overrides it (0: never).
 */
#define SNAPSHOT_EVERY 100000

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

/* --log-file: (re)open it onto stderr, so every line of the daemon lands there. */
static int open_log_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (fd != STDERR_FILENO && dup2(fd, STDERR_FILENO) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (fd != STDERR_FILENO)
		close(fd);
	return 0;
}

/*
 * SIGTERM, SIGINT: QEMU's SHUTDOWN event (reason "host-signal") to every
 * QMP client, then a clean stop.  SIGHUP: reopen the --log-file (after
 * logrotate moved it); without one, nothing to do.
 */
static void on_signal(struct loop *l, int signo, void *opaque)
{
	struct daemon *d = opaque;
	json_t *data;
	int rc;

	if (signo == SIGHUP) {
		if (!d->cfg.log_file)
			return;
		rc = open_log_file(d->cfg.log_file);
		if (rc)
			srv_log(&d->log, LOG_WARNING, "SIGHUP: cannot reopen %s: %s", d->cfg.log_file,
				strerror(-rc));
		else
			srv_log(&d->log, LOG_NOTICE, "SIGHUP: log file reopened");
		return;
	}
	srv_log(&d->log, LOG_NOTICE, "received %s, shutting down", strsignal(signo));
	data = json_pack("{s:b,s:s}", "guest", 0, "reason", "host-signal");
	qmp_server_emit_event(d->qmp, "SHUTDOWN", data);    /* borrows @data */
	json_decref(data);
	loop_stop(l);
}

/* --pidfile: our pid, written once every socket listens (after --daemonize's fork). */
static int write_pidfile(struct daemon *d)
{
	FILE *f;
	int rc = 0;

	if (!d->cfg.pidfile)
		return 0;
	f = fopen(d->cfg.pidfile, "we");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0)
		rc = errno ? -errno : -EIO;
	if (f && fclose(f) && !rc)
		rc = -errno;
	if (rc) {
		fprintf(stderr, "cxldcd: --pidfile %s: %s\n", d->cfg.pidfile, strerror(-rc));
		d->said_why = true;
		return rc;
	}
	d->pidfile_written = true;
	return 0;
}

/*
 * --daemonize: detach once every socket listens and the pid file is
 * written, so whoever started us may connect (or read the pid file) as soon
 * as we return: the parent waits for the child's word on a pipe and exits 0,
 * or 1 when the child failed.  No chdir: relative paths of the command line
 * stay valid.  Without --log-file the log goes to /dev/null.
 */
static int daemonize(struct daemon *d)
{
	int p[2], fd, rc = 0;
	char ok = 0;
	pid_t pid;

	fflush(stderr);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		while (read(p[0], &ok, 1) < 0 && errno == EINTR)
			;
		/* We are the service's main process: name the child that takes over. */
		if (ok)
			srv_notify(&d->notify, "MAINPID=%ld\n%s", (long)pid, d->ready);
		_exit(ok ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		return -errno;
	/* else SIGTERM, SIGINT and SIGHUP would wake the parent's epoll, not ours */
	if ((rc = loop_signals_after_fork(d->loop)))
		return rc;
	if ((rc = write_pidfile(d)))
		return rc;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (!d->cfg.log_file)
		dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	ok = 1;
	if (write(p[1], &ok, 1) < 0)
		rc = -errno;
	close(p[1]);
	return rc;
}

static void describe_devices(struct daemon *d)
{
	for (size_t i = 0; i < d->ctx.nr_devs; i++) {
		const struct dcd *dv = d->ctx.devs[i];
		const struct cxldcd_dev_cfg *c = core_dev_cfg(dv->dev);
		char st[96] = "";

		if (c->static_capacity)   /* docs/memory.md "Static capacity" */
			snprintf(st, sizeof(st), ", static capacity %llu MiB volatile + %llu MiB persistent",
				 (unsigned long long)((c->static_capacity - c->persistent_capacity) >> 20),
				 (unsigned long long)(c->persistent_capacity >> 20));
		if (!c->nr_regions) {   /* QEMU's cxl-type3 without num-dc-regions */
			srv_log(&d->log, LOG_NOTICE, "device %s (%s): no DC region, %u host(s)%s", dv->id,
				dv->path, c->nr_hosts, st);
			continue;
		}
		srv_log(&d->log, LOG_NOTICE,
			"device %s (%s): %u DC region(s) of %llu MiB, block %llu KiB, %u host(s), %s%s%s",
			dv->id, dv->path, c->nr_regions, (unsigned long long)(c->regions[0].len >> 20),
			(unsigned long long)(c->regions[0].block_size >> 10), c->nr_hosts,
			dv->memdev ? "volatile-dc-memdev=" : "memory by tag",
			dv->memdev ? dv->memdev : "", st);
	}
}

/* ---- host link: the hostlink asks our loop to watch its fds ------------ */

_Static_assert(HOSTLINK_IN == LOOP_IN && HOSTLINK_OUT == LOOP_OUT && HOSTLINK_ERR == LOOP_ERR,
	       "hl_fd() passes loop event bits to hostlink_process_fd() as they are");

static void hl_fd(struct loop *l, int fd, unsigned events, void *opaque)
{
	struct dcd *dv = opaque;

	(void)l;
	srv_request_begin(dv->srv);
	hostlink_process_fd(dv->hl, fd, events);
	srv_request_end(dv->srv);
}

static int hl_add(void *opaque, int fd, unsigned events)
{
	struct dcd *dv = opaque;

	return loop_add_fd(dv->srv->loop, fd, events, hl_fd, dv);
}

static int hl_mod(void *opaque, int fd, unsigned events)
{
	return loop_mod_fd(((struct dcd *)opaque)->srv->loop, fd, events);
}

static void hl_del(void *opaque, int fd)
{
	loop_del_fd(((struct dcd *)opaque)->srv->loop, fd);
}

static void hl_tick(struct loop *l, void *opaque)
{
	struct dcd *dv = opaque;

	(void)l;
	dv->hl_timer_set = false;
	srv_request_begin(dv->srv);     /* closing a connection may journal (chain_dropped) */
	hostlink_tick(dv->hl);
	srv_request_end(dv->srv);
}

/* One timer per host link: a new request replaces the standing one. */
static void hl_wake(void *opaque, uint64_t delay_ms)
{
	struct dcd *dv = opaque;

	if (dv->hl_timer_set)
		loop_del_timer(dv->srv->loop, dv->hl_timer);
	dv->hl_timer_set = loop_add_timer(dv->srv->loop, delay_ms, hl_tick, dv, &dv->hl_timer) == 0;
}

/* The end of a loop round: what the round queued to the hosts leaves together. */
static void hl_round_end(struct loop *l, void *opaque)
{
	struct dcd *dv = opaque;

	(void)l;
	srv_request_begin(dv->srv);     /* closing a connection may journal (chain_dropped) */
	hostlink_flush(dv->hl);
	srv_request_end(dv->srv);
}

static void hl_flush(void *opaque)
{
	struct dcd *dv = opaque;

	loop_defer(dv->srv->loop, &dv->hl_flush);
}

static const struct hostlink_watch_ops hl_watch = { .add = hl_add, .mod = hl_mod, .del = hl_del,
						    .wake = hl_wake, .flush = hl_flush };

static void hl_log(void *opaque, int level, const char *msg)
{
	struct dcd *dv = opaque;

	srv_log(dv->srv->log, level, "host link %s: %s", dv->id, msg);
}

/* A host's CCI request waiting for its group commit. */
struct hl_waiting {
	struct dcd *dv;
	uint16_t host;
};

/* Its commit returned (model time = its record's): run it, or refuse it unrun. */
static void hl_cci_done(void *opaque, int rc)
{
	struct hl_waiting *w = opaque;

	hostlink_cci_resume(w->dv->hl, w->host, rc ? CXLDCD_RC_INTERNAL_ERROR : CXLDCD_RC_SUCCESS);
	free(w);
}

/*
 * Host-link journaling: a host's CCI message that srv_cci_journaled() names
 * joins the loop round's group commit and runs when it returned
 * (HOSTLINK_CCI_DEFER: the connection holds the host's further requests
 * meanwhile).  When the store cannot commit, the request is answered
 * Internal Error without running (docs/persistence.md, "When the store fails").
 */
static uint16_t hl_cci_before(void *opaque, uint16_t host, const uint8_t *req, size_t req_len,
			      bool chain_open)
{
	struct dcd *dv = opaque;
	struct hl_waiting *w;

	srv_request_begin(dv->srv);
	if (!srv_grouping(dv->srv) || !srv_cci_journaled(req, req_len, chain_open))
		return CXLDCD_RC_SUCCESS;
	w = malloc(sizeof(*w));
	if (!w)
		return CXLDCD_RC_INTERNAL_ERROR;
	*w = (struct hl_waiting){ .dv = dv, .host = host };
	if (srv_group_add(dv->srv, STORE_REC_HOSTLINK, dv->index, SRV_PORT_HOSTLINK, host, req,
			  req_len, hl_cci_done, w)) {
		free(w);
		return CXLDCD_RC_INTERNAL_ERROR;
	}
	return HOSTLINK_CCI_DEFER;
}

static int hl_cci_after(void *opaque, uint16_t host, const uint8_t *req, size_t req_len,
			const uint8_t *rsp, size_t rsp_len, bool chain_was_open)
{
	struct dcd *dv = opaque;

	(void)host, (void)req, (void)req_len, (void)rsp, (void)rsp_len, (void)chain_was_open;
	srv_request_end(dv->srv);
	return 0;
}

static void hl_drop_done(void *opaque, int rc)
{
	struct hl_waiting *w = opaque;

	if (rc)
		w->dv->drop_owed[w->host] = true;
	free(w);
}

/*
 * The staging is gone already: its record joins the group; when it cannot
 * be stored it is owed and goes with the next commit (append_owed_drops()).
 */
static void hl_chain_dropped(void *opaque, uint16_t host)
{
	struct dcd *dv = opaque;
	struct hl_waiting *w;

	if (!srv_grouping(dv->srv))
		return;
	w = malloc(sizeof(*w));
	if (w)
		*w = (struct hl_waiting){ .dv = dv, .host = host };
	if (!w || srv_group_add(dv->srv, STORE_REC_HOSTLINK, dv->index, SRV_PORT_HOSTLINK, host,
				NULL, 0, hl_drop_done, w)) {
		free(w);
		dv->drop_owed[host] = true;
	}
}

/* What a client that connects while --state is restored is told (QMP, host link). */
static void starting_text(const struct server_ctx *s, char *buf, size_t cap)
{
	if (s->snap_loading && s->snap_restoring) {
		snprintf(buf, cap, "device is starting: loading the state snapshot (restoring device %s)",
			 s->snap_restoring);
		return;
	}
	if (s->snap_loading) {
		snprintf(buf, cap, "device is starting: loading the state snapshot");
		return;
	}
	snprintf(buf, cap, "device is starting: replaying the state journal (record %llu of %llu)",
		 (unsigned long long)s->replay_seq, (unsigned long long)s->replay_last);
}

static void hl_starting_text(void *opaque, char *buf, size_t cap)
{
	starting_text(((struct dcd *)opaque)->srv, buf, cap);
}

/* ---- the service manager: progress and watchdog (notify.h) -------------- */

/* How often the replay's progress goes out (the first one at its first pump). */
#define PROGRESS_MS 500
/* The time to start a running replay asks for, again at each progress message. */
#define PROGRESS_EXTEND_USEC 30000000ull

/* WATCHDOG=1 every half interval, from the loop (and from the replay's pumps). */
static void on_watchdog(struct loop *l, void *opaque)
{
	struct daemon *d = opaque;

	srv_notify(&d->notify, "WATCHDOG=1");
	loop_add_timer(l, srv_notify_watchdog_ms(&d->notify), on_watchdog, d, NULL);
}

/*
 * While the journal replays (srv_state_open() runs the loop's timers every
 * 10 ms): how far it is, the text a client is told, and more time to start
 * (a long replay that progresses is not a hung start, TimeoutStartSec=).
 */
static void on_progress(struct loop *l, void *opaque)
{
	struct daemon *d = opaque;
	char text[200];

	d->progress_timer_set = false;
	if (!d->ctx.starting)
		return;
	starting_text(&d->ctx, text, sizeof(text));
	srv_notify(&d->notify, "STATUS=%s\nEXTEND_TIMEOUT_USEC=%llu", text, PROGRESS_EXTEND_USEC);
	d->progress_timer_set = loop_add_timer(l, PROGRESS_MS, on_progress, d, &d->progress_timer) == 0;
}

/* A phase of the start begins (a device's restore): its progress now, not at the next timer. */
static void progress_now(void *opaque)
{
	struct daemon *d = opaque;

	if (d->progress_timer_set)
		loop_del_timer(d->loop, d->progress_timer);
	d->progress_timer_set = false;
	on_progress(d->loop, d);
}

/* READY=1 and what is served, for systemctl status (sent once the pid file is written). */
static void ready_text(struct daemon *d)
{
	char qmp[300] = "";

	if (d->nr_qmp_ls)
		qmp_listen_addr(d->qmp_ls[0], qmp, sizeof(qmp));
	snprintf(d->ready, sizeof(d->ready), "READY=1\nSTATUS=serving %zu device(s)%s%.300s",
		 d->ctx.nr_devs, qmp[0] ? ", QMP on " : "", qmp);
}

/*
 * The host link of @dv, made at its first --host-socket: one per device, all
 * its listeners.  It listens before the state is restored and refuses HELLO
 * as "starting" until hostlink_started() (after the replay, with the memory).
 */
static int dcd_hostlink(struct daemon *d, struct dcd *dv)
{
	struct hostlink_cfg hc = {
		.dev = dv->dev, .watch = &hl_watch, .watch_opaque = dv,
		.log = hl_log, .log_opaque = dv,
		.cci_before = hl_cci_before, .cci_after = hl_cci_after,
		.chain_dropped = hl_chain_dropped, .hook_opaque = dv,
		.log_level = d->cfg.trace & CMDLINE_TRACE_HOST ? LOG_DEBUG : d->log.max_level,
		.starting = true, .starting_text = hl_starting_text,
		/*
		 * A listener's default: room for every host of the device past
		 * HELLO, and 64 more for handshakes and idle connections.  It was
		 * 64 in all: a device of num-hosts=100 refused its 65th host.
		 */
		.max_conns = core_dev_cfg(dv->dev)->nr_hosts + HOSTLINK_DEFAULT_MAX_CONNS,
	};

	if (dv->hl)
		return 0;
	loop_defer_init(&dv->hl_flush, hl_round_end, dv);
	return hostlink_new(&hc, &dv->hl);
}

/* HOST of a --host-socket tcp:HOST:PORT as an IPv4 address (the host link binds IPv4). */
static int hostlink_ipv4(const struct cmdline_listener *l, char ip[INET_ADDRSTRLEN])
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int rc;

	snprintf(ip, INET_ADDRSTRLEN, "127.0.0.1");
	if (!l->addr.host[0])
		return 0;
	rc = getaddrinfo(l->addr.host, NULL, &hints, &ai);
	if (rc) {
		fprintf(stderr, "cxldcd: --host-socket %s: cannot resolve '%s' to an IPv4 address: %s\n",
			l->arg, l->addr.host, gai_strerror(rc));
		return -EADDRNOTAVAIL;
	}
	rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, INET_ADDRSTRLEN, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(ai);
	if (rc) {
		fprintf(stderr, "cxldcd: --host-socket %s: '%s': %s\n", l->arg, l->addr.host,
			gai_strerror(rc));
		return -EADDRNOTAVAIL;
	}
	return 0;
}

_Static_assert(CMDLINE_HOST_MAX_FDS == HOSTLINK_MAX_OUT_FDS_CAP,
	       "--host-socket max-fds= goes up to the default bound's cap");

static int start_hostlinks(struct daemon *d)
{
	for (size_t i = 0; i < d->cfg.nr_host; i++) {
		const struct cmdline_listener *l = &d->cfg.host[i];
		struct dcd *dv = d->ctx.devs[l->dev];     /* cmdline_parse() checked device= */
		const struct hostlink_limits lim = { .max_conns = l->max_conns,
						     .hello_timeout_ms = l->hello_timeout_ms,
						     .max_out_fds = l->max_fds,
						     .set_group = l->set_group, .group = l->group,
						     .bound_only = l->bound_only };
		char addr[300], ip[INET_ADDRSTRLEN], msg[400];
		uint16_t port = 0;
		int rc;

		if (l->addr.kind == SOCK_TCP && (rc = hostlink_ipv4(l, ip))) {
			d->said_why = true;
			return rc;
		}
		rc = dcd_hostlink(d, dv);
		for (size_t k = 0; !rc && k < l->nr_binds; k++)
			rc = hostlink_bind_host(dv->hl, l->binds[k].host, l->binds[k].uid,
						l->binds[k].gid);   /* cmdline_parse() checked them */
		if (!rc && l->addr.kind == SOCK_UNIX) {
			rc = hostlink_listen_unix(dv->hl, l->addr.path, &lim);
			snprintf(addr, sizeof(addr), "unix:%s", l->addr.path);
		} else if (!rc) {
			rc = hostlink_listen_tcp(dv->hl, ip, (uint16_t)strtoul(l->addr.port, NULL, 10),
						 &port, &lim);
			snprintf(addr, sizeof(addr), "tcp:%s:%u", ip, port);
		}
		if (rc) {
			fprintf(stderr, "cxldcd: --host-socket %s: cannot listen: %s\n", l->arg,
				sockpolicy_strerror(rc, l->addr.kind == SOCK_UNIX ? l->addr.path : NULL,
						    msg, sizeof(msg)));
			d->said_why = true;
			return rc;
		}
		if (l->max_fds)
			srv_log(&d->log, LOG_NOTICE, "host link: listening on %s (device %s, max-fds %u)",
				addr, dv->id, l->max_fds);
		else
			srv_log(&d->log, LOG_NOTICE, "host link: listening on %s (device %s)", addr,
				dv->id);
	}
	return 0;
}

/* ---- group commit: once per loop round, after the fds (request.c) ------- */

static bool group_flush(struct loop *l, void *opaque)
{
	struct server_ctx *s = opaque;

	(void)l;
	srv_group_flush(s);
	srv_snapshot_maybe(s);           /* a quiet point: every journaled request has run */
	return s->group != NULL;         /* requests queued by the answers: poll, do not wait */
}

/* ---- pending-timeout tick ---------------------------------------------- */

static uint64_t tick_period_ms(const struct server_ctx *s)
{
	uint64_t p = 0;

	for (size_t i = 0; i < s->nr_devs; i++) {
		uint64_t t = core_dev_cfg(s->devs[i]->dev)->pending_timeout_ms / 4;

		if (core_dev_cfg(s->devs[i]->dev)->pending_timeout_ms && (!p || t < p))
			p = t;
	}
	if (!p)
		return 0;
	return p < 5 ? 5 : p > 1000 ? 1000 : p;
}

/*
 * Whether core_tick() at now would expire a pending group: the oldest group
 * of some host is older than the timeout.  The tick is journaled before it
 * runs, so only a tick that is due runs (a group behind a younger head, after
 * the clock went back, expires with the head).
 */
static bool tick_due(const struct cxldcd_dev *dev, uint64_t now_ns)
{
	const struct cxldcd_dev_cfg *c = core_dev_cfg(dev);
	uint64_t limit;

	if (__builtin_mul_overflow(c->pending_timeout_ms, 1000000ull, &limit))
		return false;
	for (uint16_t h = 0; h < c->nr_hosts; h++) {
		struct core_group_info g;

		if (core_pending_count(dev, h) && !core_pending_get(dev, h, 0, &g) &&
		    now_ns > g.offered_ns && now_ns - g.offered_ns > limit)
			return true;
	}
	return false;
}

/* A due tick's commit returned (model time = its record's): expire. */
static void tick_done(void *opaque, int rc)
{
	struct dcd *dv = opaque;

	dv->tick_queued = false;
	if (rc)
		return;         /* not stored: the expiry waits for the next tick */
	core_tick(dv->dev, dv->srv->now_ns);
	srv_request_end(dv->srv);
}

static void on_tick(struct loop *l, void *opaque)
{
	struct server_ctx *s = opaque;

	for (size_t i = 0; i < s->nr_devs; i++) {
		struct dcd *dv = s->devs[i];

		if (!core_dev_cfg(dv->dev)->pending_timeout_ms || dv->tick_queued)
			continue;
		srv_request_begin(s);
		if (!tick_due(dv->dev, s->now_ns))
			continue;
		if (!srv_grouping(s)) {
			core_tick(dv->dev, s->now_ns);
			srv_request_end(s);
		} else if (!srv_group_add(s, STORE_REC_TICK, dv->index, 0, 0, NULL, 0, tick_done, dv)) {
			dv->tick_queued = true;         /* joins this round's group commit */
		}
	}
	loop_add_timer(l, tick_period_ms(s), on_tick, s, &s->tick_timer);
}

/* ---- devices, state, sockets ------------------------------------------- */

static int fail(struct daemon *d, int rc, const char *what)
{
	fprintf(stderr, "cxldcd: %s%s%s\n", what, d->err[0] ? ": " : "", d->err);
	d->said_why = true;
	return rc;
}

static int start_fm(struct daemon *d);
static int start_qmp(struct daemon *d);

static int build_devices(struct daemon *d)
{
	struct server_ctx *s = &d->ctx;
	int rc;

	if ((rc = mem_registry_new(&s->reg)))
		return rc;
	for (size_t i = 0; i < d->cfg.nr_objects; i++) {
		d->err[0] = 0;
		rc = srv_backend_add(s, &d->cfg.objects[i], d->err, sizeof(d->err));
		if (rc) {
			char what[200];

			snprintf(what, sizeof(what), "-object %s", d->cfg.objects[i].id);
			return fail(d, rc, what);
		}
	}
	d->err[0] = 0;
	if ((rc = dcd_create_all(s, d->err, sizeof(d->err))))
		return fail(d, rc, "cannot create the devices");
	/* The store's lock before the sockets: a killed daemon's snapshot child may still hold them. */
	if (d->cfg.state_dir && (rc = srv_state_lock(s, d->cfg.state_dir, d->err, sizeof(d->err))))
		return fail(d, rc, "cannot restore the state");
	/* The sockets exist during the replay and answer that the device is starting. */
	if ((rc = start_fm(d)) || (rc = start_qmp(d)) || (rc = start_hostlinks(d)))
		return rc;
	if (d->cfg.state_dir) {
		d->err[0] = 0;
		s->starting = true;
		srv_notify(&d->notify, "STATUS=restoring the state from %s", d->cfg.state_dir);
		if (d->notify.fd >= 0) {
			d->progress_timer_set = !loop_add_timer(d->loop, 0, on_progress, d,
								&d->progress_timer);
			s->progress_now = progress_now;
			s->progress_opaque = d;
		}
		rc = srv_state_open(s, d->cfg.state_dir, d->err, sizeof(d->err));
		s->starting = false;
		s->progress_now = NULL;
		if (d->progress_timer_set)
			loop_del_timer(d->loop, d->progress_timer);
		d->progress_timer_set = false;
		if (rc)
			return fail(d, rc, "cannot restore the state");
	}
	d->err[0] = 0;
	if ((rc = dcd_attach_memory(s, d->err, sizeof(d->err))))
		return fail(d, rc, "cannot attach memory");
	/* After each device's memory: the host link's observer comes after the mem_dev's. */
	for (size_t i = 0; i < s->nr_devs; i++) {
		if (s->devs[i]->hl && (rc = hostlink_started(s->devs[i]->hl, s->devs[i]->md)))
			return fail(d, rc, "cannot start the host link");
	}
	describe_devices(d);
	return 0;
}

/* Open @nr listeners of @kind (--fm or --mctp-cci) into @ls, counting in @nr_ls. */
static int start_cci_listeners(struct daemon *d, const struct cmdline_listener *cfg, size_t nr,
			       enum cci_kind kind, struct fm_listen ***ls, size_t *nr_ls)
{
	const char *opt = kind == CCI_MCTP ? "--mctp-cci" : "--fm";
	const char *name = kind == CCI_MCTP ? "mctp-cci" : "fm";
	char addr[300];
	int rc;

	*ls = calloc(nr ? nr : 1, sizeof(**ls));
	if (!*ls)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		const struct cmdline_listener *l = &cfg[i];
		struct dcd *dv = d->ctx.devs[l->dev];     /* cmdline_parse() checked device= */

		rc = fm_listen_new(&d->ctx, &l->addr, dv, kind, &(*ls)[i]);
		if (rc) {
			char msg[400];

			fprintf(stderr, "cxldcd: %s %s: cannot listen: %s\n", opt, l->arg,
				sockpolicy_strerror(rc, l->addr.kind == SOCK_UNIX ? l->addr.path : NULL,
						    msg, sizeof(msg)));
			d->said_why = true;
			return rc;
		}
		(*nr_ls)++;
		fm_listen_set_max_conns((*ls)[i], l->max_conns);
		fm_listen_addr((*ls)[i], addr, sizeof(addr));
		srv_log(&d->log, LOG_NOTICE, "%s: listening on %s (device %s)", name, addr, dv->id);
	}
	return 0;
}

static int start_fm(struct daemon *d)
{
	int rc = start_cci_listeners(d, d->cfg.fm, d->cfg.nr_fm, CCI_FM, &d->fm_ls, &d->nr_fm_ls);

	if (!rc)
		rc = start_cci_listeners(d, d->cfg.mctp_cci, d->cfg.nr_mctp_cci, CCI_MCTP,
					 &d->mctp_cci_ls, &d->nr_mctp_cci_ls);
	return rc;
}

static int start_mctp_serial(struct daemon *d)
{
	int rc;

	d->mctp = calloc(d->cfg.nr_mctp_serial ? d->cfg.nr_mctp_serial : 1, sizeof(*d->mctp));
	if (!d->mctp)
		return -ENOMEM;
	for (size_t i = 0; i < d->cfg.nr_mctp_serial; i++) {
		const struct cmdline_listener *l = &d->cfg.mctp_serial[i];
		struct dcd *dv = d->ctx.devs[l->dev];

		rc = mctp_pty_new(&d->ctx, dv, (uint8_t)l->eid, &d->mctp[i]);
		if (rc) {
			fprintf(stderr, "cxldcd: --mctp-serial %s: %s\n", l->arg, strerror(-rc));
			d->said_why = true;
			return rc;
		}
		d->nr_mctp++;
		srv_log(&d->log, LOG_NOTICE, "mctp-serial: %s (device %s, eid %u)",
			mctp_pty_name(d->mctp[i]), dv->id, l->eid);
	}
	return 0;
}

/* The -qmp listeners. */
static int start_qmp(struct daemon *d)
{
	int rc;

	d->qmp_ls = calloc(d->cfg.nr_qmp, sizeof(*d->qmp_ls));
	if (!d->qmp_ls)
		return -ENOMEM;
	for (size_t i = 0; i < d->cfg.nr_qmp; i++) {
		char addr[300];

		sock_addr_str(&d->cfg.qmp[i], addr, sizeof(addr));
		rc = qmp_listen_new(d->loop, d->qmp, &d->cfg.qmp[i], &d->log, &d->qmp_ls[i]);
		if (rc) {
			char msg[400];

			fprintf(stderr, "cxldcd: -qmp %s: cannot listen: %s\n", addr,
				sockpolicy_strerror(rc, d->cfg.qmp[i].kind == SOCK_UNIX ?
						    d->cfg.qmp[i].path : NULL, msg, sizeof(msg)));
			d->said_why = true;
			return rc;
		}
		d->nr_qmp_ls++;
		qmp_listen_set_max_conns(d->qmp_ls[i], d->cfg.qmp_max_conns[i]);
		qmp_listen_addr(d->qmp_ls[i], addr, sizeof(addr));
		srv_log(&d->log, LOG_NOTICE, "qmp: listening on %s", addr);
	}
	return 0;
}

/*
 * While --state is restored the sockets answer, but nothing runs: QMP
 * commands other than the built-ins are refused with this text, FM
 * requests with Busy (fm.c).  docs/persistence.md.
 */
static bool qmp_gate(void *opaque, const char *name, struct qmp_error *err)
{
	struct server_ctx *s = opaque;

	char text[200];

	(void)name;
	if (!s->starting)
		return true;
	starting_text(s, text, sizeof(text));
	qmp_error_set(err, QMP_ERR_GENERIC, "%s", text);
	return false;
}

static int start(struct daemon *d)
{
	const struct qmp_server_cfg qcfg = {
		.package = "cxldcd " CXLDCD_VERSION,
		.quit = on_quit,
		.quit_opaque = d,
	};
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	int rc;

	if ((rc = loop_new(&d->loop)) || (rc = qmp_server_new(&qcfg, &d->qmp)))
		return rc;
	qmp_server_set_log(d->qmp, log_stderr, d,
			   d->cfg.trace & CMDLINE_TRACE_QMP ? LOG_DEBUG : d->log.max_level);
	d->ctx.qmp = d->qmp;
	qmp_server_set_gate(d->qmp, qmp_gate, &d->ctx);
	d->ctx.cfg = &d->cfg;
	loop_set_after_dispatch(d->loop, group_flush, &d->ctx);
	d->ctx.log = &d->log;
	d->ctx.loop = d->loop;
	d->ctx.snap_every = SNAPSHOT_EVERY;
	if (getenv("CXLDCD_SNAPSHOT_EVERY"))    /* tests and benchmarks */
		d->ctx.snap_every = strtoull(getenv("CXLDCD_SNAPSHOT_EVERY"), NULL, 10);
	d->ctx.snap_fd = -1;
	/* Benchmarks only (bench-store): every request in its own commit, as before group commit. */
	d->ctx.group_one_by_one = getenv("CXLDCD_GROUP_COMMIT") &&
				  !strcmp(getenv("CXLDCD_GROUP_COMMIT"), "off");
	d->ctx.objects = json_array();
	if ((rc = server_register_commands(d->qmp, &d->ctx)))
		return rc;
	if ((rc = loop_watch_signals(d->loop, sigs, 3, on_signal, d)))
		return rc;
	if (srv_notify_watchdog_ms(&d->notify) &&
	    (rc = loop_add_timer(d->loop, srv_notify_watchdog_ms(&d->notify), on_watchdog, d, NULL)))
		return rc;
	if ((rc = build_devices(d)) || (rc = start_mctp_serial(d)))
		return rc;
	if (tick_period_ms(&d->ctx))
		loop_add_timer(d->loop, tick_period_ms(&d->ctx), on_tick, &d->ctx, &d->ctx.tick_timer);
	return 0;
}

static void stop(struct daemon *d)
{
	while (d->ctx.group)              /* nothing queued is left unjournaled or unanswered */
		srv_group_flush(&d->ctx);
	if (d->ctx.nr_commits)            /* how well group commit grouped (bench-store reads it) */
		srv_log(&d->log, LOG_NOTICE, "state: %llu requests journaled in %llu commits (%.2f per commit)",
			(unsigned long long)d->ctx.nr_committed, (unsigned long long)d->ctx.nr_commits,
			(double)d->ctx.nr_committed / (double)d->ctx.nr_commits);
	/*
	 * No checkpoint: every commit is on disk already (synchronous=FULL),
	 * and restart = the newest snapshot + the journal after it, bounded by
	 * the snapshot cadence (docs/persistence.md, "Shutdown").  A snapshot
	 * child still writing is waited for: its file makes the next start
	 * shorter.
	 */
	srv_snapshot_stop(&d->ctx);
	for (size_t i = 0; i < d->nr_qmp_ls; i++)
		qmp_listen_free(d->qmp_ls[i]);
	free(d->qmp_ls);
	for (size_t i = 0; i < d->nr_fm_ls; i++)
		fm_listen_free(d->fm_ls[i]);
	free(d->fm_ls);
	for (size_t i = 0; i < d->nr_mctp_cci_ls; i++)
		fm_listen_free(d->mctp_cci_ls[i]);
	free(d->mctp_cci_ls);
	for (size_t i = 0; i < d->nr_mctp; i++)
		mctp_pty_free(d->mctp[i]);
	free(d->mctp);
	srv_ctx_fini(&d->ctx);          /* after every CCI context user */
	qmp_server_free(d->qmp);
	loop_free(d->loop);
	if (d->pidfile_written)
		unlink(d->cfg.pidfile);
	cmdline_fini(&d->cfg);
}

/*
 * Where default sockets go: systemd's RuntimeDirectory= when it made one
 * ($RUNTIME_DIRECTORY, its first directory: /run/cxldcd for cxldcd.service),
 * else $XDG_RUNTIME_DIR/cxldcd or /tmp/cxldcd-$UID (cmdline_runtime_dir()).
 */
static void runtime_dir(char *buf, size_t len)
{
	const char *r = getenv("RUNTIME_DIRECTORY");
	size_t n = r ? strcspn(r, ":") : 0;

	if (r && r[0] == '/' && n < len) {
		memcpy(buf, r, n);
		buf[n] = 0;
		return;
	}
	cmdline_runtime_dir(buf, len);
}

/*
 * Views and shared grants cost one fd each (hosts x backends + live shared
 * allocations, docs/memory.md): take the whole hard limit, not the soft 1024.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Hosts of a Unix host link run as the daemon's user (its sockets are 0600).
 * A dumpable process lets any process of its user open its fds through
 * /proc/PID/fd (and read /proc/PID/mem, ptrace it): every host's view, the
 * backends themselves.  Non-dumpable, all of that is the superuser's alone
 * (docs/host-link.md, "What a host cannot do to another").  Children (the
 * snapshot writer, --daemonize) inherit it.
 */
static void not_dumpable(struct daemon *d)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		srv_log(&d->log, LOG_WARNING, "cannot make the process non-dumpable: %s: any "
			"process of this user can open the daemon's memory through /proc", strerror(errno));
}

int main(int argc, char **argv)
{
	struct daemon d = { 0 };
	char rundir[256], err[CMDLINE_ERR_MAX], why[200];
	int rc, notify_rc;

	/* First: $NOTIFY_SOCKET and the watchdog's variables leave the environment. */
	notify_rc = srv_notify_init(&d.notify, why, sizeof(why));
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit (ulimit -f) must fail the store's write with EFBIG, not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	d.timestamps = getenv("JOURNAL_STREAM") == NULL;
	d.log = (struct srv_log){ .fn = log_stderr, .opaque = &d, .max_level = LOG_NOTICE };
	runtime_dir(rundir, sizeof(rundir));
	if (cmdline_parse(argc, argv, rundir, &d.cfg, err, sizeof(err))) {
		fprintf(stderr, "cxldcd: %s\n", err);
		cmdline_fini(&d.cfg);
		srv_notify_fini(&d.notify);
		return 2;
	}
	if (d.cfg.help || d.cfg.version) {
		fputs(d.cfg.help ? cmdline_usage() : "cxldcd " CXLDCD_VERSION "\n", stdout);
		cmdline_fini(&d.cfg);
		srv_notify_fini(&d.notify);
		return 0;
	}
	if (d.cfg.trace)
		d.log.max_level = LOG_DEBUG;
	if (d.cfg.has_log_level)
		d.log.max_level = d.cfg.log_level;
	if (d.cfg.log_file && (rc = open_log_file(d.cfg.log_file))) {
		fprintf(stderr, "cxldcd: --log-file %s: %s\n", d.cfg.log_file, strerror(-rc));
		cmdline_fini(&d.cfg);
		srv_notify_fini(&d.notify);
		return 1;
	}
	if (d.cfg.uses_runtime_dir && (rc = rundir_ensure(d.cfg.runtime_dir))) {
		fprintf(stderr, "cxldcd: runtime directory %s: %s\n", d.cfg.runtime_dir,
			rc == -EPERM ? "not a private directory owned by this user" : strerror(-rc));
		cmdline_fini(&d.cfg);
		srv_notify_fini(&d.notify);
		return 1;
	}
	raise_nofile();
	not_dumpable(&d);
	srv_log(&d.log, LOG_NOTICE, "cxldcd %s starting%s", CXLDCD_VERSION,
		d.cfg.defaults ? " with the default device (no arguments given)" : "");
	if (notify_rc)
		srv_log(&d.log, LOG_WARNING, "NOTIFY_SOCKET: cannot make a socket: %s", strerror(-notify_rc));
	else if (why[0])
		srv_log(&d.log, LOG_WARNING, "%s: ignored", why);
	if (d.notify.fd >= 0 && srv_notify_watchdog_ms(&d.notify))
		srv_log(&d.log, LOG_INFO, "notifying the service manager (watchdog every %llu ms)",
			(unsigned long long)srv_notify_watchdog_ms(&d.notify));
	else if (d.notify.fd >= 0)
		srv_log(&d.log, LOG_INFO, "notifying the service manager (no watchdog)");
	for (size_t i = 0; i < d.cfg.nr_ignored; i++)
		srv_log(&d.log, LOG_NOTICE, "ignoring %s: %s", d.cfg.ignored[i], d.cfg.ignored_why[i]);
	for (size_t i = 0; i < d.cfg.nr_objects; i++)
		if (!d.cfg.objects[i].has_tag && !cmdline_object_used(&d.cfg, &d.cfg.objects[i]))
			srv_log(&d.log, LOG_NOTICE, "backend %s: no -device uses it and it has no tag, "
				"so it serves nothing (QEMU's guest memory?)", d.cfg.objects[i].id);
	rc = start(&d);
	if (rc == 0) {
		ready_text(&d);
		rc = d.cfg.daemonize ? daemonize(&d) : write_pidfile(&d);
	}
	if (rc && !d.said_why)     /* most failures to start have said why (once is enough) */
		srv_log(&d.log, LOG_ERR, "cannot start: %s", strerror(-rc));
	if (rc)
		srv_notify(&d.notify, "STATUS=cannot start: %s\nERRNO=%d", strerror(-rc), -rc);
	if (rc == 0) {
		/* Every socket listens and the state is restored (--daemonize: the parent said it). */
		if (!d.cfg.daemonize)
			srv_notify(&d.notify, "%s", d.ready);
		/* The replay is over and nothing runs yet: a quiet point for a due snapshot. */
		srv_snapshot_maybe(&d.ctx);
		rc = loop_run(d.loop);
		srv_notify(&d.notify, "STOPPING=1\nSTATUS=shutting down");
		if (rc)
			srv_log(&d.log, LOG_ERR, "stopping after error: %s", strerror(-rc));
	}
	stop(&d);
	srv_notify_fini(&d.notify);
	return rc ? 1 : 0;
}
