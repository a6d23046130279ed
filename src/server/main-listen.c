/* SPDX-License-Identifier: MIT */
/*
 * main-listen.c - the daemon's listeners: each --host-socket (the host link
 * of its device, made at the first one, watched by our loop, its CCI
 * requests joining the group commit), --fm and --mctp-cci, --mctp-serial and
 * -qmp.  Each --fm and --host-socket serves the device its device=ID names,
 * by default the first.  They are opened before the state is restored and
 * answer "starting" meanwhile (main-start.c).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sockpolicy.h"
#include "store/store.h"
#include "main.h"
#include "mctp-serial.h"
#include "qmp-listen.h"

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
			uint8_t *rsp, size_t cap, size_t *rsp_len, bool chain_was_open)
{
	struct dcd *dv = opaque;

	(void)host, (void)chain_was_open;
	/* An erase whose proof the store refused: not answered as done (request.c). */
	if (srv_request_end(dv->srv))
		srv_cci_unproven(req, req_len, rsp, cap, rsp_len);
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

static void hl_starting_text(void *opaque, char *buf, size_t cap)
{
	daemon_start_describe(((struct dcd *)opaque)->srv, buf, cap);
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

int daemon_hostlinks_listen(struct daemon *d)
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

int daemon_fm_listen(struct daemon *d)
{
	int rc = start_cci_listeners(d, d->cfg.fm, d->cfg.nr_fm, CCI_FM, &d->fm_ls, &d->nr_fm_ls);

	if (!rc)
		rc = start_cci_listeners(d, d->cfg.mctp_cci, d->cfg.nr_mctp_cci, CCI_MCTP,
					 &d->mctp_cci_ls, &d->nr_mctp_cci_ls);
	return rc;
}

int daemon_mctp_serial_open(struct daemon *d)
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
int daemon_qmp_listen(struct daemon *d)
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
