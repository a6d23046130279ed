/* SPDX-License-Identifier: MIT */
/*
 * fz-daemon.c - the daemon's server context for the fuzz targets
 * (fz-daemon.h).
 *
 * Safety: memory-backend-file creates and truncates the file at mem-path, so
 * the targets skip inputs that could spell mem-path (the literal key, or any
 * \u escape): the fuzzer must never touch files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp/qmp.h"
#include "server/commands.h"
#include "server/loop.h"
#include "store/store.h"
#include "fz-daemon.h"
#include "fuzz-scratch.h"

static const char *const daemon_argv[] = {
	"cxldcd",
	"-object", "memory-backend-memfd,id=vmem0,size=512M",
	"-device", "cxl-type3,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=4G,num-hosts=2,"
		   "max-extents=64,max-tags=8,event-log-depth=8",
	"-device", "cxl-type3,id=cxl-dcd0,volatile-dc-memdev=vmem0,num-dc-regions=2,num-hosts=2,"
		   "max-extents=64,event-log-depth=8,sanitize-on-release=on",
	"-qmp", "unix:/nonexistent/cxldcd-fuzz.sock,server=on,wait=off",
	/* fz_daemon_build(d, true) only: static capacity and an LSA, host 1's alone */
	"-object", "memory-backend-memfd,id=smem0,size=256M",
	"-object", "memory-backend-memfd,id=spmem0,size=256M",
	"-object", "memory-backend-memfd,id=slsa0,size=1M",
	"-device", "cxl-type3,id=cxl-static0,volatile-memdev=smem0,persistent-memdev=spmem0,lsa=slsa0,"
		   "static-host=1,num-dc-regions=1,dc-regions-total-size=256M,num-hosts=2,"
		   "max-extents=64,event-log-depth=8",
};
/* The arguments without the static device: the first 9 (the state target's daemon). */
#define NR_ARGS_BASE 9

void fz_daemon_check(struct fz_daemon *d)
{
	char msg[256];

	for (size_t i = 0; i < d->s.nr_devs; i++) {
		if (core_check_invariants(d->s.devs[i]->dev, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "device %s: invariant broken: %s\n", d->s.devs[i]->id, msg);
			abort();
		}
	}
}

bool fz_touches_files(const uint8_t *data, size_t size)
{
	static const char *const bad[] = { "mem-path", "\\u" };

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		if (memmem(data, size, bad[k], strlen(bad[k])))
			return true;
	return false;
}

/* As src/server/main-start.c daemon_start() and build_devices(), without sockets, loop or store. */
void fz_daemon_build(struct fz_daemon *d, bool static_dev)
{
	int argc = static_dev ? (int)(sizeof(daemon_argv) / sizeof(daemon_argv[0])) : NR_ARGS_BASE;

	struct server_ctx *s = &d->s;
	char err[CMDLINE_ERR_MAX + SRV_ERR_MAX];

	memset(d, 0, sizeof(*d));
	if (cmdline_parse(argc, (char *const *)daemon_argv, "/nonexistent", &d->cfg, err, sizeof(err)))
		fz_die("cmdline_parse", err);
	if (qmp_server_new(&(struct qmp_server_cfg){ .package = "cxldcd-fuzz", .max_msg = 8192 },
			   &d->qmp))
		fz_die("qmp_server_new", NULL);
	s->qmp = d->qmp;
	s->cfg = &d->cfg;
	if (server_register_commands(d->qmp, s))
		fz_die("server_register_commands", NULL);
	if (mem_registry_new(&s->reg))
		fz_die("mem_registry_new", NULL);
	for (size_t i = 0; i < d->cfg.nr_objects; i++)
		if (srv_backend_add(s, &d->cfg.objects[i], err, sizeof(err)))
			fz_die("srv_backend_add", err);
	if (dcd_create_all(s, err, sizeof(err)))
		fz_die("devices", err);
}

int fz_daemon_attach(struct fz_daemon *d, char *err, size_t cap)
{
	struct server_ctx *s = &d->s;
	struct hostlink_cfg hc = { 0 };
	int rc = dcd_attach_memory(s, err, cap);

	if (rc)
		return rc;
	hc.dev = s->devs[0]->dev;
	hc.md = s->devs[0]->md;
	if (hostlink_new(&hc, &s->devs[0]->hl))
		fz_die("hostlink_new", NULL);
	return 0;
}

void fz_daemon_free(struct fz_daemon *d)
{
	srv_ctx_fini(&d->s);
	qmp_server_free(d->qmp);
	cmdline_fini(&d->cfg);
}

/* The daemon's after-dispatch hook (main-start.c): the round's group commit. */
static bool group_flush(struct loop *l, void *opaque)
{
	struct server_ctx *s = opaque;

	(void)l;
	srv_group_flush(s);
	return s->group != NULL;
}

int fz_daemon_state_open(struct fz_daemon *d, const char *dir, char *err, size_t cap)
{
	int rc;

	err[0] = 0;
	d->s.starting = true;
	rc = srv_state_open(&d->s, dir, err, cap);
	d->s.starting = false;
	if (getenv("CXLDCD_FUZZ_VERBOSE"))
		fprintf(stderr, "srv_state_open: %d %s\n", rc, err);
	if (rc && (rc > 0 || !err[0]))
		fz_die("a refused state without a negative errno and a message", err);
	return rc;
}

void fz_daemon_run(struct fz_daemon *d, const char *state_dir)
{
	char err[SRV_ERR_MAX];
	int fds = nr_open_fds();

	fz_daemon_build(d, false);
	d->fds_at_run = fds;
	if (fz_daemon_attach(d, err, sizeof(err)))
		fz_die("dcd_attach_memory", err);
	if (loop_new(&d->s.loop))
		fz_die("loop_new", NULL);
	if (state_dir) {
		fz_empty_dir(state_dir);
		if (store_open(state_dir, &d->s.st, err, sizeof(err)))
			fz_die("store_open", err);
		loop_set_after_dispatch(d->s.loop, group_flush, &d->s);
	}
}

void fz_daemon_flush(struct fz_daemon *d)
{
	while (d->s.group)
		srv_group_flush(&d->s);
}

void fz_daemon_stop(struct fz_daemon *d)
{
	struct loop *loop = d->s.loop;
	int fds = d->fds_at_run;

	fz_daemon_flush(d);
	store_close(d->s.st);
	d->s.st = NULL;
	d->s.loop = NULL;
	fz_daemon_free(d);
	loop_free(loop);
	if (nr_open_fds() != fds)
		fz_die("file descriptor leaked", NULL);
}
