/* SPDX-License-Identifier: MIT */
/*
 * fz-daemon.h - the daemon's server context as src/server/main-start.c builds it,
 * without sockets, loop or store, for fuzz-qmp-device and fuzz-state: a
 * fixed command line, its backends and devices, the QMP commands.
 *
 * Devices: "cxl-vmem0", tag-backed (one 4 GiB region, memory comes by tag
 * through object-add), 2 hosts; "cxl-dcd0", volatile-dc-memdev=vmem0 (a
 * 512 MiB memfd, two 256 MiB regions), 2 hosts.
 */
#ifndef CXLDCD_FUZZ_FZ_DAEMON_H
#define CXLDCD_FUZZ_FZ_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/cmdline.h"
#include "server/daemon.h"
#include "../fuzz-input.h"

struct fz_daemon {
	struct cmdline_cfg cfg;
	struct qmp_server *qmp;
	struct server_ctx s;
	int fds_at_run;         /* open when fz_daemon_run() began: fz_daemon_stop() checks */
};

/*
 * Up to dcd_create_all(): the devices exist, no memory attached (as before
 * a --state replay).  static_dev: a third device, cxl-static0, with static
 * volatile and persistent capacity and an LSA, all host 1's (static-host=1).
 */
void fz_daemon_build(struct fz_daemon *d, bool static_dev);
/*
 * dcd_attach_memory(), then a hostlink without listeners on the first
 * device.  Return 0, or dcd_attach_memory()'s error (err says why).
 */
int fz_daemon_attach(struct fz_daemon *d, char *err, size_t cap);
/*
 * srv_state_open() of @dir as a start does (d->s.starting set around it):
 * its return, err[cap] saying why.  abort() unless it is 0 or a negative
 * errno with a message.
 */
int fz_daemon_state_open(struct fz_daemon *d, const char *dir, char *err, size_t cap);
/* abort() unless every device's invariants hold. */
void fz_daemon_check(struct fz_daemon *d);
/* As src/server/main.c stop(). */
void fz_daemon_free(struct fz_daemon *d);
/*
 * As the daemon runs (main-start.c): fz_daemon_build() and
 * fz_daemon_attach(), a loop in d->s.loop, and with @state_dir (emptied
 * first; NULL: none) a store whose group commit is flushed after each
 * dispatch.
 */
void fz_daemon_run(struct fz_daemon *d, const char *state_dir);
/*
 * The group commit flushed until nothing is queued, as the daemon's stop:
 * a deferred request's answer feeds the bytes held behind it, which may
 * queue another one.
 */
void fz_daemon_flush(struct fz_daemon *d);
/*
 * After fz_daemon_run(), its listeners freed: fz_daemon_flush(), the store
 * closed, the daemon and loop freed; abort() if more or fewer fds are open
 * than when fz_daemon_run() began (the run leaked one, or closed another's).
 */
void fz_daemon_stop(struct fz_daemon *d);
/* Could the input name a file backend's path ("mem-path", or any \u escape)? */
bool fz_touches_files(const uint8_t *data, size_t size);

#endif
