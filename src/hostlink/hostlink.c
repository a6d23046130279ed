/* SPDX-License-Identifier: MIT */
/*
 * hostlink.c - the daemon side of the host link: its public API
 * (hostlink.h), logging, timers and the core observer that turns model
 * events into MAP / UNMAP / IRQ.  The rest lives beside it:
 * hostlink-conn.c (a connection: watching, output queue, close, MAP/UNMAP),
 * hostlink-msg.c (messages from hosts, RAS),
 * hostlink-moves.c (moving sharers off a grant) and hostlink-listen.c
 * (listeners and accept); hostlink-int.h holds what they share.
 *
 * A connection reads into one buffer of at most one message (header +
 * HL_MAX_PAYLOAD) and writes from a queue of whole messages, each with an
 * optional fd that travels with its first byte.  What a round queues leaves
 * together at its end (at once past FLUSH_AT), in one sendmmsg() (see
 * "output" in hostlink-conn.c).  The queue is charged the
 * bytes really allocated for it; above half its bound the connection is
 * not parsed or read until the peer drains it (backpressure).  Queued
 * MAPs/REMAPs hold no fd (struct qfd: one per file, opened at the send),
 * at most max_out_fds files; a host that reads nothing is dropped at
 * either bound.  A
 * connection must send HELLO within its listener's hello timeout; each
 * listener admits max_conns connections and, when full, replaces its
 * oldest un-HELLOed one.  Out of fds, accept() is paused, not spun.
 * Anything unexpected from the peer is a protocol violation: ERROR, then
 * close.  Connections are never freed from inside an observer callback or a
 * nested call: they are marked dead and reaped at the end of
 * hostlink_process_fd() or hostlink_tick().
 */
#include "hostlink/hostlink-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include "common/clock.h"

/* ------------------------------------------------------------ logging */

__attribute__((format(printf, 3, 4))) void hostlink_logf(const struct hostlink *hl, int level,
							 const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int saved = errno;

	if (!hl->cfg.log || level > hl->cfg.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hl->cfg.log(hl->cfg.log_opaque, level, buf);
	errno = saved;
}

/* ------------------------------------------------------------ timers */

/* CLOCK_MONOTONIC in microseconds: how long a slice of work ran (never a deadline). */
uint64_t hostlink_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The caller's clock (cfg.clock), else CLOCK_MONOTONIC. */
uint64_t hostlink_now_ms(const struct hostlink *hl)
{
	return hl->cfg.clock ? hl->cfg.clock(hl->cfg.clock_opaque) : clock_now_ms();
}

/* Ask the caller's loop for a hostlink_tick() at @due_ms, unless one comes earlier. */
void hostlink_wake_at(struct hostlink *hl, uint64_t due_ms)
{
	const struct hostlink_watch_ops *w = hl->cfg.watch;
	uint64_t now = hostlink_now_ms(hl);

	if (hl->wake_due_ms && hl->wake_due_ms <= due_ms)
		return;
	hl->wake_due_ms = due_ms;
	if (w && w->wake)
		w->wake(hl->cfg.watch_opaque, due_ms > now ? due_ms - now : 0);
}

/* ------------------------------------------------------------ observer */

static void obs_accepted(void *opaque, const struct core_extent_info *x)
{
	struct hostlink *hl = opaque;
	struct conn *c = hostlink_conn_replayed(hl, x->host, x->ext.dpa);

	if (c && c->mapping) {
		hostlink_send_maps(c, x);
		/* a sharer that joins a grant being moved is paused too (a replaying one at its end) */
		if (hl->moves && !c->switching)
			hostlink_moves_join(c, x->ext.dpa, x->ext.dpa + x->ext.len);
	}
}

static void obs_released(void *opaque, const struct core_extent_info *x)
{
	hostlink_send_unmap(opaque, x, HL_UNMAP_RELEASED);
	hostlink_moves_take(opaque); /* the releasing host may keep its fd: move the others */
}

static void obs_revoked(void *opaque, const struct core_extent_info *x)
{
	hostlink_send_unmap(opaque, x, HL_UNMAP_REVOKED);
	hostlink_moves_take(
	    opaque); /* a shared grant left to others: move them (docs/host-link.md) */
}

static int enc_irq_cb(struct wwr *w, const void *arg)
{
	return hl_enc_irq(w, arg);
}

/* CXL r3.2 §8.2.10.2.5: interrupt on the empty -> non-empty transition, mode != none. */
static void obs_log_nonempty(void *opaque, uint16_t owner, uint8_t log)
{
	struct hostlink *hl = opaque;
	struct conn *c = hostlink_conn_of_host(hl, owner);
	uint8_t pol[CXLDCD_NR_LOGS];
	struct hl_irq m;

	if (!c || log >= CXLDCD_NR_LOGS)
		return;
	core_irq_policy_get(hl->cfg.dev, owner, pol);
	if ((pol[log] & 0x3u) == 0)
		return;
	m.status = core_evlog_status_bits(hl->cfg.dev, owner);
	m.log = log;
	m.msgnum = (uint8_t)(pol[log] >> 4);
	hostlink_conn_send(c, HL_IRQ, hostlink_conn_next_seq(c), HL_IRQ_SIZE, enc_irq_cb, &m, NULL);
	hl->st.irqs++;
}

/* ------------------------------------------------------------ public */

/*
 * A queue holds no fd for the files its MAPs carry (struct qfd: opened at
 * the send), so its bound on them is only a bound on a host that reads
 * nothing: as many as this process may open (RLIMIT_NOFILE, soft, now),
 * since no host can hold more files (group files, shared grants) than that.
 */
static uint32_t default_max_out_fds(uint16_t nr_hosts)
{
	struct rlimit rl;
	uint64_t n = HOSTLINK_MAX_OUT_FDS_CAP;

	(void)nr_hosts;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = (uint64_t)rl.rlim_cur;
	if (n < HOSTLINK_MIN_OUT_FDS)
		n = HOSTLINK_MIN_OUT_FDS;
	return n > HOSTLINK_MAX_OUT_FDS_CAP ? HOSTLINK_MAX_OUT_FDS_CAP : (uint32_t)n;
}

int hostlink_new(const struct hostlink_cfg *cfg, struct hostlink **out)
{
	struct hostlink *hl;
	int rc;

	if (!cfg || !cfg->dev || !out)
		return -EINVAL;
	hl = calloc(1, sizeof(*hl));
	if (!hl)
		return -ENOMEM;
	hl->cfg = *cfg;
	if (!hl->cfg.max_out_bytes)
		hl->cfg.max_out_bytes = DEFAULT_MAX_OUT;
	if (!hl->cfg.max_conns)
		hl->cfg.max_conns = HOSTLINK_DEFAULT_MAX_CONNS;
	if (!hl->cfg.hello_timeout_ms)
		hl->cfg.hello_timeout_ms = HOSTLINK_DEFAULT_HELLO_TIMEOUT_MS;
	if (!hl->cfg.move_timeout_ms)
		hl->cfg.move_timeout_ms = HOSTLINK_DEFAULT_MOVE_TIMEOUT_MS;
	if (!hl->cfg.rbuf_idle_ms)
		hl->cfg.rbuf_idle_ms = HOSTLINK_DEFAULT_RBUF_IDLE_MS;
	if (!hl->cfg.hello_slice_us)
		hl->cfg.hello_slice_us = HOSTLINK_DEFAULT_HELLO_SLICE_US;
	hl->nr_hosts = core_dev_cfg(cfg->dev)->nr_hosts;
	if (!hl->cfg.max_out_fds)
		hl->cfg.max_out_fds = default_max_out_fds(hl->nr_hosts);
	hl->by_host = calloc(hl->nr_hosts ? hl->nr_hosts : 1, sizeof(*hl->by_host));
	hl->faults = calloc(hl->nr_hosts ? hl->nr_hosts : 1, sizeof(*hl->faults));
	hl->binds = calloc(hl->nr_hosts ? hl->nr_hosts : 1, sizeof(*hl->binds));
	hl->sv = malloc(sizeof(*hl->sv));
	if (!hl->by_host || !hl->faults || !hl->binds || !hl->sv) {
		rc = -ENOMEM;
		goto err;
	}
	hl->obs.extent_accepted = obs_accepted;
	hl->obs.extent_released = obs_released;
	hl->obs.extent_revoked = obs_revoked;
	hl->obs.log_nonempty = obs_log_nonempty;
	hl->obs.ras_error = hostlink_obs_ras_error;
	hl->starting = cfg->starting;
	rc = hl->starting ? 0 : core_observer_add(cfg->dev, &hl->obs, hl);
	if (rc)
		goto err;
	*out = hl;
	return 0;
err:
	free(hl->by_host);
	free(hl->faults);
	free(hl->binds);
	free(hl->sv);
	free(hl);
	return rc;
}

int hostlink_started(struct hostlink *hl, struct mem_dev *md)
{
	int rc;

	if (!hl->starting)
		return 0;
	rc = core_observer_add(hl->cfg.dev, &hl->obs, hl);
	if (rc)
		return rc;
	hl->cfg.md = md;
	hl->starting = false;
	return 0;
}

static int enc_bye_cb(struct wwr *w, const void *arg)
{
	return hl_enc_error(w, HL_S_OK, arg);
}

/* Goodbye (ERROR with status OK, docs/host-link.md): the device closes cleanly, no crash. */
static void conn_goodbye(struct conn *c)
{
	if (c->hello && !c->dead)
		hostlink_conn_send(c, HL_ERROR, hostlink_conn_next_seq(c),
				   HL_ERROR_HDR + HL_ERROR_TEXT_MAX, enc_bye_cb,
				   "device closing the link", NULL);
}

void hostlink_free(struct hostlink *hl)
{
	if (!hl)
		return;
	while (hl->conns) {
		conn_goodbye(hl->conns);
		hl->conns->dead = false;    /* best effort, as reap(): what was queued, the goodbye last */
		hostlink_conn_flush(hl->conns);
		hostlink_conn_close(hl->conns);
	}
	while (hl->listeners) {
		struct listener *l = hl->listeners;

		hl->listeners = l->next;
		if (hl->cfg.watch && hl->cfg.watch->del)
			hl->cfg.watch->del(hl->cfg.watch_opaque, l->fd);
		close(l->fd);
		sockpolicy_release(l->path, &l->own);
		free(l->path);
		free(l);
	}
	while (hl->moves) {
		struct move *m = hl->moves;

		hl->moves = m->next;
		hostlink_move_free(m);
	}
	free(hl->by_host);
	free(hl->faults);
	free(hl->binds);
	free(hl->sv);
	free(hl);
}

/* Close connections that died (here or in an observer callback). */
static void reap(struct hostlink *hl)
{
	struct conn *c = hl->conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->dead && !c->waiting) {   /* a waiting request runs first (resume) */
			/* best effort: push out a queued ERROR or refused HELLO_ACK */
			c->dead = false;
			hostlink_conn_flush(c);
			hostlink_conn_close(c);
		}
	}
}

int hostlink_process_fd(struct hostlink *hl, int fd, unsigned events)
{
	struct conn *c;

	for (struct listener *l = hl->listeners; l; l = l->next) {
		if (l->fd == fd) {
			hostlink_on_accept(hl, l);
			return 0;
		}
	}
	for (c = hl->conns; c && c->fd != fd; c = c->next)
		;
	if (!c) {
		hostlink_call_done(hl);
		reap(hl);
		return -ENOENT;
	}
	if (events & HOSTLINK_OUT)
		hostlink_conn_flush(c);
	if (c->rlen && !c->dead)
		hostlink_conn_parse(c); /* requests held back while the queue was full */
	if (events & (HOSTLINK_IN | HOSTLINK_ERR))
		hostlink_conn_read(c);
	if (!c->dead && (events & HOSTLINK_ERR) && !(events & HOSTLINK_IN))
		c->dead = true;
	if (!c->dead)
		hostlink_conn_rewatch(c);
	hostlink_call_done(hl);
	reap(hl);
	return 0;
}

/*
 * Give back a grown receive buffer once the connection has been idle for
 * cfg.rbuf_idle_ms; return when to look again (0: nothing to wait for).
 */
static uint64_t rbuf_tick(struct conn *c, uint64_t now)
{
	uint8_t *nb;

	if (!c->rbuf_idle_due_ms)
		return 0;
	if (c->rbuf_idle_due_ms > now)
		return c->rbuf_idle_due_ms;
	c->rbuf_idle_due_ms = 0;
	if (c->rlen || c->rcap <= RBUF_INITIAL)
		return 0;   /* a message is arriving: due again once it is parsed */
	nb = realloc(c->rbuf, RBUF_INITIAL);
	if (nb) {
		c->rbuf = nb;
		c->rcap = RBUF_INITIAL;
	}
	return 0;
}

int64_t hostlink_tick(struct hostlink *hl)
{
	uint64_t now = hostlink_now_ms(hl), next = 0;

	hl->wake_due_ms = 0;
	if (hl->retry_due_ms && hl->retry_due_ms <= now)
		hostlink_resume_accept(hl);
	for (struct conn *c = hl->conns; c; c = c->next) {
		uint64_t due = c->dead ? 0 : rbuf_tick(c, now);

		if (due && (!next || due < next))
			next = due;
		if (c->hello || c->dead)
			continue;
		if (c->hello_due_ms <= now) {
			hostlink_logf(hl, LOG_DEBUG, "fd=%d sent no hello in time: closing", c->fd);
			hl->st.hello_timeouts++;
			hostlink_conn_send(c, HL_ERROR, hostlink_conn_next_seq(c),
					   HL_ERROR_HDR + HL_ERROR_TEXT_MAX, hostlink_enc_error,
					   "no hello in time", NULL);
			c->dead = true;
		} else if (!next || c->hello_due_ms < next) {
			next = c->hello_due_ms;
		}
	}
	{
		uint64_t due = hostlink_conn_refs_tick(hl, now);

		if (due && (!next || due < next))
			next = due;
	}
	if (hostlink_switch_tick(hl))
		next = now ? now : 1;   /* the next slice: the next loop round */
	if (hl->moves || hl->take_due_ms) {
		uint64_t due = hostlink_moves_tick(hl, now);

		if (due && (!next || due < next))
			next = due;
	}
	hostlink_call_done(hl);
	reap(hl);
	if (hl->retry_due_ms && (!next || hl->retry_due_ms < next))
		next = hl->retry_due_ms;
	if (!next)
		return -1;
	hostlink_wake_at(hl, next);
	return next > now ? (int64_t)(next - now) : 0;
}

size_t hostlink_pollfds(const struct hostlink *hl, struct pollfd *out, size_t cap)
{
	size_t n = 0;

	for (const struct listener *l = hl->listeners; l; l = l->next, n++)
		if (n < cap)
			out[n] = (struct pollfd){ .fd = l->fd, .events = l->paused ? 0 : POLLIN };
	for (const struct conn *c = hl->conns; c; c = c->next, n++) {
		unsigned ev = hostlink_conn_wanted(c);

		if (n < cap)
			out[n] = (struct pollfd){ .fd = c->fd,
						  .events = (short)((ev & HOSTLINK_IN ? POLLIN : 0) |
								    (ev & HOSTLINK_OUT ? POLLOUT : 0)) };
	}
	return n;
}

unsigned hostlink_poll_events(short revents)
{
	unsigned ev = 0;

	if (revents & POLLIN)
		ev |= HOSTLINK_IN;
	if (revents & POLLOUT)
		ev |= HOSTLINK_OUT;
	if (revents & (POLLERR | POLLHUP | POLLNVAL))
		ev |= HOSTLINK_ERR;
	return ev;
}

int hostlink_host_connected(const struct hostlink *hl, uint16_t host)
{
	return hostlink_conn_of_host(hl, host) != NULL;
}

int hostlink_cci_resume(struct hostlink *hl, uint16_t host, uint16_t refuse)
{
	struct conn *c;
	struct hl_hdr h;
	size_t n;

	for (c = hl->conns; c && !(c->waiting && c->host == host); c = c->next)
		;
	if (!c)
		return -ENOENT;
	c->waiting = false;
	if (!hl_dec_hdr(c->rbuf, c->rlen, &h)) {   /* parsed whole before it waited */
		/* It runs even when the peer is gone: it is in the caller's journal. */
		hostlink_cci_run(c, &h, c->rbuf + HL_HDR_SIZE, refuse);
		n = HL_HDR_SIZE + (size_t)h.len;
		memmove(c->rbuf, c->rbuf + n, c->rlen - n);
		c->rlen -= n;
	}
	if (!c->dead)
		hostlink_conn_parse(c); /* what arrived behind it */
	if (!c->dead)
		hostlink_conn_rewatch(c);
	hostlink_call_done(hl);
	reap(hl);
	return 0;
}

int hostlink_disconnect(struct hostlink *hl, uint16_t host)
{
	struct conn *c;

	/*
	 * Close connections already marked dead (an observer's send failed
	 * outside hostlink_process_fd()) first: one may still hold a More chain
	 * on the device, and the caller may free the device next.
	 */
	reap(hl);
	c = hostlink_conn_of_host(hl, host);
	if (!c)
		return -ENOENT;
	conn_goodbye(c);
	c->dead = true;
	hostlink_call_done(hl);
	reap(hl);
	return 0;
}

void hostlink_flush(struct hostlink *hl)
{
	hostlink_flush_pending(hl);
	reap(hl);
}

void hostlink_stats_get(const struct hostlink *hl, struct hostlink_stats *out)
{
	*out = hl->st;
	out->nr_conns = hl->nr_conns;
	out->nr_hosts = 0;
	for (uint16_t i = 0; i < hl->nr_hosts; i++)
		out->nr_hosts += hl->by_host[i] != NULL;
	out->rbuf_bytes = 0;
	out->out_fds = 0;
	for (const struct conn *c = hl->conns; c; c = c->next) {
		out->rbuf_bytes += c->rcap;
		out->out_fds += c->nr_qfds;
	}
	out->max_out_fds = hl->cfg.max_out_fds;
}

int hostlink_set_faults(struct hostlink *hl, uint16_t host, const struct cci_faults *f)
{
	/* by_host, not hostlink_conn_of_host(): a dead connection not yet reaped saves its set on
	 * close */
	struct conn *c;
	int rc;

	if (!hl || host >= hl->nr_hosts || (f && (f->mask & ~CCI_FAULT_ALL)))
		return -EINVAL;
	c = hl->by_host[host];
	if (c) {
		rc = cci_ctx_set_faults(c->cci, f);
		if (rc)
			return rc;
	}
	memset(&hl->faults[host], 0, sizeof(hl->faults[host]));
	for (unsigned i = 0; f && i < CCI_NR_FAULTS; i++)
		if (f->mask & CCI_FAULT_BIT(i))
			cci_faults_add(&hl->faults[host], (enum cci_fault)i, f->remaining[i]);
	hostlink_logf(hl, LOG_INFO, "host=%u faults mask=0x%x", host, hl->faults[host].mask);
	return 0;
}

int hostlink_get_faults(const struct hostlink *hl, uint16_t host, struct cci_faults *out)
{
	if (!hl || !out || host >= hl->nr_hosts)
		return -EINVAL;
	if (hl->by_host[host])
		cci_ctx_get_faults(hl->by_host[host]->cci, out);
	else
		*out = hl->faults[host];
	return 0;
}
