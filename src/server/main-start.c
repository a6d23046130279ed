/* SPDX-License-Identifier: MIT */
/*
 * main-start.c - the daemon's start sequence: the loop, QMP server, signals
 * and watchdog; the memory backends and devices; the --state store's lock
 * before the sockets (main-listen.c), then the journal's replay with its
 * progress to the service manager and the "starting" gate on QMP; memory
 * attached, the host links started; then the pending-timeout tick and the
 * group commit once per loop round.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qmp/qmp.h"
#include "store/store.h"
#include "commands.h"
#include "main.h"

/*
 * A snapshot (restore point, written by a forked child) every this many
 * journal records; $CXLDCD_SNAPSHOT_EVERY overrides it (0: never).
 */
#define SNAPSHOT_EVERY 100000

static void on_quit(void *opaque)
{
	struct daemon *d = opaque;

	srv_log(&d->log, LOG_NOTICE, "quit requested over QMP, shutting down");
	loop_stop(d->loop);
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

/* What a client that connects while --state is restored is told (QMP, host link). */
void daemon_start_describe(const struct server_ctx *s, char *buf, size_t cap)
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
	daemon_start_describe(&d->ctx, text, sizeof(text));
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

/* ---- group commit: once per loop round, after the fds (request.c) ------- */

static bool group_flush(struct loop *l, void *opaque)
{
	struct server_ctx *s = opaque;

	(void)l;
	srv_group_flush(s);
	srv_journal_trim_some(s);        /* after this round's answers (run_deferred()) */
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

/* ---- the start's clock ------------------------------------------------- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void daemon_clock_start(struct daemon *d)
{
	d->clk.wall0 = clock_ns(CLOCK_MONOTONIC);
	d->clk.cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);    /* since the fork: exec, ld.so */
}

/* The CPU time since *mark, added to *phase; *mark moves to now. */
static void clock_phase(uint64_t *mark, uint64_t *phase)
{
	uint64_t now = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

	*phase += now - *mark;
	*mark = now;
}

#define MS(ns) ((double)(ns) / 1e6)

/*
 * Where the start's time went, once it is ready (docs/persistence.md,
 * "Restart"; bench-faces prints it): the wall time since main(), the CPU
 * time since the fork (exec and the dynamic linker's part before main()),
 * and the CPU of the phases that may cost (the store, the sockets, the
 * snapshot load with the replay, the memory bound).
 */
static void clock_report(struct daemon *d)
{
	uint64_t wall = clock_ns(CLOCK_MONOTONIC) - d->clk.wall0;
	uint64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t known = d->clk.cpu0 + d->clk.store + d->clk.sockets + d->clk.state + d->clk.memory;

	srv_log(&d->log, LOG_NOTICE, "start: ready %.1f ms after main() with %.1f ms of CPU since the exec: "
		"%.1f before main() (exec, dynamic linking), store opened %.1f, sockets %.1f, "
		"state restored %.1f, memory bound %.1f, the rest %.1f", MS(wall), MS(cpu),
		MS(d->clk.cpu0), MS(d->clk.store), MS(d->clk.sockets), MS(d->clk.state),
		MS(d->clk.memory), MS(cpu > known ? cpu - known : 0));
}

/* ---- devices, state, sockets ------------------------------------------- */

static int fail(struct daemon *d, int rc, const char *what)
{
	fprintf(stderr, "cxldcd: %s%s%s\n", what, d->err[0] ? ": " : "", d->err);
	d->said_why = true;
	return rc;
}

static int build_devices(struct daemon *d)
{
	struct server_ctx *s = &d->ctx;
	uint64_t mark;
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
	mark = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	if (d->cfg.state_dir && (rc = srv_state_lock(s, d->cfg.state_dir, d->err, sizeof(d->err))))
		return fail(d, rc, "cannot restore the state");
	clock_phase(&mark, &d->clk.store);
	/* The sockets exist during the replay and answer that the device is starting. */
	if ((rc = daemon_fm_listen(d)) || (rc = daemon_qmp_listen(d)) ||
	    (rc = daemon_hostlinks_listen(d)))
		return rc;
	clock_phase(&mark, &d->clk.sockets);
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
	clock_phase(&mark, &d->clk.state);
	d->err[0] = 0;
	if ((rc = dcd_attach_memory(s, d->err, sizeof(d->err))))
		return fail(d, rc, "cannot attach memory");
	/* After each device's memory: the host link's observer comes after the mem_dev's. */
	for (size_t i = 0; i < s->nr_devs; i++) {
		if (s->devs[i]->hl && (rc = hostlink_started(s->devs[i]->hl, s->devs[i]->md)))
			return fail(d, rc, "cannot start the host link");
	}
	clock_phase(&mark, &d->clk.memory);
	describe_devices(d);
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
	daemon_start_describe(s, text, sizeof(text));
	qmp_error_set(err, QMP_ERR_GENERIC, "%s", text);
	return false;
}

int daemon_start(struct daemon *d)
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
	qmp_server_set_log(d->qmp, daemon_log_stderr, d,
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
	if ((rc = loop_watch_signals(d->loop, sigs, 3, daemon_signal_handle, d)))
		return rc;
	if (srv_notify_watchdog_ms(&d->notify) &&
	    (rc = loop_add_timer(d->loop, srv_notify_watchdog_ms(&d->notify), on_watchdog, d, NULL)))
		return rc;
	if ((rc = build_devices(d)) || (rc = daemon_mctp_serial_open(d)))
		return rc;
	if (tick_period_ms(&d->ctx))
		loop_add_timer(d->loop, tick_period_ms(&d->ctx), on_tick, &d->ctx, &d->ctx.tick_timer);
	clock_report(d);
	return 0;
}
