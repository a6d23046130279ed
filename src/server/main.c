/* SPDX-License-Identifier: MIT */
/*
 * main.c - the cxldcd daemon: parse the command line, start (main-start.c:
 * build the memory backends and devices, open the --state store (its lock
 * before any socket: a killed daemon's snapshot child may hold them), open
 * the FM, QMP and host-link listeners of main-listen.c (they answer
 * "starting" meanwhile), replay the --state journal, attach memory and start
 * the host links), run the loop, shut down cleanly on quit, SIGINT or SIGTERM
 * (SHUTDOWN event, the queued group committed, a snapshot of --state so the
 * next start replays nothing, remove our Unix sockets and the pid file);
 * SIGHUP reopens the --log-file.  --daemonize detaches once every socket
 * listens.  Under systemd (notify.h): STATUS= per phase, READY=1
 * once every socket listens and the state is restored, WATCHDOG=1 from the
 * loop, STOPPING=1 (then EXTEND_TIMEOUT_USEC while the stop's snapshot is
 * written); default sockets in $RUNTIME_DIRECTORY.  The only file of
 * src/ that may exit().
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/rundir.h"
#include "qmp/qmp.h"
#include "main.h"
#include "mctp-serial.h"
#include "qmp-listen.h"

/* One line per event on stderr; timestamped unless journald adds its own. */
void daemon_log_stderr(void *opaque, int level, const char *msg)
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
void daemon_signal_handle(struct loop *l, int signo, void *opaque)
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

/* READY=1 and what is served, for systemctl status (sent once the pid file is written). */
static void ready_text(struct daemon *d)
{
	char qmp[300] = "";

	if (d->nr_qmp_ls)
		qmp_listen_addr(d->qmp_ls[0], qmp, sizeof(qmp));
	snprintf(d->ready, sizeof(d->ready), "READY=1\nSTATUS=serving %zu device(s)%s%.300s",
		 d->ctx.nr_devs, qmp[0] ? ", QMP on " : "", qmp);
}

/* Built with AddressSanitizer (and its leak check at the exit). */
#if defined(__SANITIZE_ADDRESS__)
#define STOP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STOP_SANITIZED 1
#endif
#endif
#ifndef STOP_SANITIZED
#define STOP_SANITIZED 0
#endif

/*
 * Whether the stop frees each device's model item by item (core_dev_free():
 * its trees, groups, logs and slabs), which the exit right after gives back
 * at once: only in a build with AddressSanitizer, whose leak check at the
 * exit would report the model and so checks the whole teardown, or when
 * $CXLDCD_STOP_FREE=1 asks (docs/persistence.md, "Shutdown").  Everything
 * else the stop does runs either way.
 */
static bool stop_frees_models(void)
{
	const char *e = getenv("CXLDCD_STOP_FREE");

	return STOP_SANITIZED || (e && !strcmp(e, "1"));
}

/* The time a stop's snapshot asks for (EXTEND_TIMEOUT_USEC), as a start's progress does. */
#define STOP_EXTEND_USEC 30000000ull

/*
 * @served: the daemon started and its loop ended without error; only then
 * is its state worth a snapshot (a start that failed may have replayed
 * half of the journal).
 */
static void stop(struct daemon *d, bool served)
{
	while (d->ctx.group)              /* nothing queued is left unjournaled or unanswered */
		srv_group_flush(&d->ctx);
	srv_proof_stop(&d->ctx);          /* a proof owed: one last attempt (owed-proof.c) */
	if (d->ctx.nr_commits)            /* how well group commit grouped (bench-store reads it) */
		srv_log(&d->log, LOG_NOTICE, "state: %llu requests journaled in %llu commits (%.2f per commit)",
			(unsigned long long)d->ctx.nr_committed, (unsigned long long)d->ctx.nr_commits,
			(double)d->ctx.nr_committed / (double)d->ctx.nr_commits);
	/*
	 * Every commit is on disk already (synchronous=FULL).  A snapshot
	 * child still writing is waited for; then, when records came after the
	 * recorded snapshot, one of the state now is written here, so the next
	 * start loads it and replays nothing (docs/persistence.md, "Shutdown").
	 * The service manager hears it: more time to stop, and a watchdog
	 * ping before it (the writing itself is one call per device).
	 */
	srv_snapshot_stop(&d->ctx);
	if (served && srv_snapshot_final_due(&d->ctx)) {
		srv_notify(&d->notify, "STATUS=shutting down: writing the state snapshot\nEXTEND_TIMEOUT_USEC=%llu",
			   STOP_EXTEND_USEC);
		if (srv_notify_watchdog_ms(&d->notify))
			srv_notify(&d->notify, "WATCHDOG=1");
		srv_snapshot_final(&d->ctx);
	}
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
	/*
	 * The sockets' files are unlinked (above), each host is told goodbye,
	 * the hosts' views go back to the file backends, the store is closed
	 * and the pid file removed in every case; only the models' memory
	 * may be left to the exit.
	 */
	d->ctx.exit_keeps_models = !stop_frees_models();
	srv_log(&d->log, LOG_INFO, "stop: device models %s", d->ctx.exit_keeps_models ?
		"left to the exit" : "freed ($CXLDCD_STOP_FREE=1 or a sanitizer build)");
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
 * allocations, and a host's groups with a file per group: docs/memory.md):
 * take the whole hard limit, not the soft 1024, and say what it is (a host
 * whose groups do not fit is given no file per group, docs/host-link.md).
 */
static void raise_nofile(struct daemon *d)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			rl.rlim_cur = was;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		srv_log(&d->log, LOG_INFO, "fd limit: unlimited");
	else if (rl.rlim_cur != was)
		srv_log(&d->log, LOG_INFO, "fd limit %llu (RLIMIT_NOFILE soft limit raised from "
			"%llu to the hard limit)", (unsigned long long)rl.rlim_cur,
			(unsigned long long)was);
	else
		srv_log(&d->log, LOG_INFO, "fd limit %llu (RLIMIT_NOFILE, soft = hard)",
			(unsigned long long)rl.rlim_cur);
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

	daemon_clock_start(&d);
	/* First: $NOTIFY_SOCKET and the watchdog's variables leave the environment. */
	notify_rc = srv_notify_init(&d.notify, why, sizeof(why));
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit (ulimit -f) must fail the store's write with EFBIG, not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	d.timestamps = getenv("JOURNAL_STREAM") == NULL;
	d.log = (struct srv_log){ .fn = daemon_log_stderr, .opaque = &d, .max_level = LOG_NOTICE };
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
	not_dumpable(&d);
	srv_log(&d.log, LOG_NOTICE, "cxldcd %s starting%s", CXLDCD_VERSION,
		d.cfg.defaults ? " with the default device (no arguments given)" : "");
	raise_nofile(&d);
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
	if (!d.cfg.nr_devices)
		srv_log(&d.log, LOG_WARNING, "no device: the command line has no -device cxl-type3, so "
			"there is nothing to serve but QMP (the default device comes only with no "
			"arguments at all)");
	rc = daemon_start(&d);
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
		/*
		 * The replay is over and nothing runs yet: a quiet point for a due
		 * snapshot.  The journal rows the last snapshot made obsolete are
		 * deleted from the first loop round on, after its answers: a slice
		 * here delayed every restart's first answer (2,000 rows, ~2.5 ms).
		 */
		srv_snapshot_maybe(&d.ctx);
		rc = loop_run(d.loop);
		srv_notify(&d.notify, "STOPPING=1\nSTATUS=shutting down");
		if (rc)
			srv_log(&d.log, LOG_ERR, "stopping after error: %s", strerror(-rc));
	}
	stop(&d, rc == 0);
	srv_notify_fini(&d.notify);
	return rc ? 1 : 0;
}
