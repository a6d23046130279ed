/* SPDX-License-Identifier: MIT */
/*
 * main.h - the cxldcd executable's own state (struct daemon) and the
 * functions its files share: main.c (main(), log, signals, pid file,
 * --daemonize, stop), main-start.c (the start sequence: devices, state
 * restore, tick, watchdog), main-listen.c (the FM, MCTP, QMP and host-link
 * listeners and the host link's glue to the loop).  Private to those three
 * files; the daemon's libraries use daemon.h.
 */
#ifndef CXLDCD_SERVER_MAIN_H
#define CXLDCD_SERVER_MAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "notify.h"

struct qmp_server;
struct qmp_listen;
struct fm_listen;
struct mctp_pty;

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
	/* The start's clock (main-start.c): ns at main() and the CPU of each phase. */
	struct {
		uint64_t wall0, cpu0;               /* at main(): cpu0 is what exec and ld.so took */
		uint64_t store, sockets, state, memory;
	} clk;
	bool timestamps;
	bool pidfile_written;
	bool said_why;          /* a failure to start already printed its reason */
	char err[SRV_ERR_MAX + 256];
};

/* main.c: one line per event on stderr (the srv_log and QMP server log callback). */
void daemon_log_stderr(void *opaque, int level, const char *msg);
/* main.c: SIGTERM, SIGINT (SHUTDOWN event, stop) and SIGHUP (reopen --log-file). */
void daemon_signal_handle(struct loop *l, int signo, void *opaque);

/* main-start.c: what a client is told while --state is restored (QMP, host link). */
void daemon_start_describe(const struct server_ctx *s, char *buf, size_t cap);
/* main-start.c: the start's clock, first thing in main(). */
void daemon_clock_start(struct daemon *d);
/* main-start.c: loop, QMP server, signals, devices, state, sockets, tick; -errno. */
int daemon_start(struct daemon *d);

/* main-listen.c: each --host-socket's listener (host link made on first use); -errno. */
int daemon_hostlinks_listen(struct daemon *d);
/* main-listen.c: the --fm and --mctp-cci listeners; -errno. */
int daemon_fm_listen(struct daemon *d);
/* main-listen.c: the -qmp listeners; -errno. */
int daemon_qmp_listen(struct daemon *d);
/* main-listen.c: the --mctp-serial ptys; -errno. */
int daemon_mctp_serial_open(struct daemon *d);

#endif
