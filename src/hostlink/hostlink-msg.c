/* SPDX-License-Identifier: MIT */
/*
 * hostlink-msg.c - what comes from a host (reading, parsing, HELLO, CCI,
 * I/O, RAS register access, MOVE_ACK handed to hostlink-moves.c) and the
 * RAS_IRQ sent to hosts that asked for it.
 * Not the output queue (hostlink-conn.c).
 */
#include "hostlink/hostlink-int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include "cci/msg.h"

/*
 * A HELLO's switch of the host's views and its replayed MAPs run in slices
 * (hostlink_cfg.hello_slice_us), one per loop round, so other clients are
 * served meanwhile (docs/host-link.md, "A file per group"); a slice does
 * steps of this many extents until its time is up.
 */
#define SWITCH_STEP 16u

/* ------------------------------------------------------------ RAS */

static int enc_ras_irq_cb(struct wwr *w, const void *arg)
{
	return hl_enc_ras_irq(w, arg);
}

/*
 * The host's RAS registers report an error: RAS_IRQ, the AER message
 * (uncorrectable or correctable internal error), to a host that asked.
 */
static void send_ras_irq(struct conn *c, bool uncorrectable)
{
	struct hl_ras_irq m = { 0 };

	if (!c || !c->ras)
		return;
	if (uncorrectable)
		m.uncor_status = HL_AER_UNC_INTERNAL;
	else
		m.cor_status = HL_AER_COR_INTERNAL;
	hostlink_conn_send(c, HL_RAS_IRQ, hostlink_conn_next_seq(c), HL_RAS_IRQ_SIZE,
			   enc_ras_irq_cb, &m, NULL);
	c->hl->st.irqs++;
}

void hostlink_obs_ras_error(void *opaque, uint16_t host, bool uncorrectable)
{
	send_ras_irq(hostlink_conn_of_host(opaque, host), uncorrectable);
}

/* Status still set when a host connects (sticky across the link reset): tell it again. */
static void replay_ras(struct conn *c)
{
	struct core_ras_regs r;

	core_ras_get(c->hl->cfg.dev, c->host, &r);
	if (r.unc_status)
		send_ras_irq(c, true);
	if (r.cor_status)
		send_ras_irq(c, false);
}

static int enc_ras_regs_cb(struct wwr *w, const void *arg)
{
	return hl_enc_ras_regs(w, arg);
}

static int enc_status_cb(struct wwr *w, const void *arg)
{
	return hl_enc_status_msg(w, *(const uint32_t *)arg);
}

static void on_ras_read(struct conn *c, const struct hl_hdr *h)
{
	struct core_ras_regs r;
	struct hl_ras_regs m;

	if (h->len) {
		hostlink_conn_violation(c, "ras-read-req payload length=%u, expected 0", h->len);
		return;
	}
	core_ras_get(c->hl->cfg.dev, c->host, &r);
	m.unc_status = r.unc_status;
	m.unc_mask = r.unc_mask;
	m.unc_severity = r.unc_severity;
	m.cor_status = r.cor_status;
	m.cor_mask = r.cor_mask;
	m.cap_ctrl = r.cap_ctrl;
	memcpy(m.header_log, r.header_log, sizeof(m.header_log));
	hostlink_conn_send(c, HL_RAS_READ_RSP, h->seq, HL_RAS_READ_RSP_SIZE, enc_ras_regs_cb, &m,
			   NULL);
}

/* Not journaled: the RAS registers are volatile across a daemon restart (core.h). */
static void on_ras_write(struct conn *c, const struct hl_hdr *h, const uint8_t *p)
{
	struct hl_ras_write m;
	uint32_t status = HL_S_OK;

	if (hl_dec_ras_write(p, h->len, &m)) {
		hostlink_conn_violation(c, "ras-write-req payload length=%u, expected %u", h->len,
					HL_RAS_WRITE_REQ_SIZE);
		return;
	}
	if (core_ras_write(c->hl->cfg.dev, c->host, m.offset, m.value, NULL) != CXLDCD_RC_SUCCESS)
		status = HL_S_INVAL;
	hostlink_conn_send(c, HL_RAS_WRITE_RSP, h->seq, HL_RAS_WRITE_RSP_SIZE, enc_status_cb,
			   &status, NULL);
}

/* ------------------------------------------------------------ messages */

static int enc_ack_cb(struct wwr *w, const void *arg)
{
	return hl_enc_hello_ack(w, arg);
}

static void fill_ack(const struct hostlink *hl, struct hl_hello_ack *a)
{
	const struct cxldcd_dev_cfg *cfg = core_dev_cfg(hl->cfg.dev);
	struct core_region_info first, last;

	memset(a, 0, sizeof(*a));
	a->version = HL_VERSION;
	a->mbox_payload_size = cfg->mbox_payload_size ? cfg->mbox_payload_size : 2048u;
	a->nr_regions = core_region_count(hl->cfg.dev);
	a->nr_hosts = hl->nr_hosts;
	if (a->nr_regions && !core_region_get(hl->cfg.dev, 0, &first) &&
	    !core_region_get(hl->cfg.dev, (uint8_t)(a->nr_regions - 1), &last)) {
		a->span_base = first.base;
		a->span_size = last.base + last.decode_len - first.base;
	}
}

/* The index in the host's list (DPA order) of its first accepted extent at or past @dpa. */
static uint32_t index_at(const struct conn *c, uint64_t dpa)
{
	uint32_t lo = 0, hi = core_extent_count(c->hl->cfg.dev, c->host);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, n = 0;
		struct core_extent_info x;

		if (core_extent_list_info(c->hl->cfg.dev, c->host, mid, 1, &x, &n) !=
			    CXLDCD_RC_SUCCESS || !n || x.ext.dpa >= dpa)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * One slice of the MAPs of what a (re)connecting host holds: its accepted
 * extents from where the last slice stopped (by DPA: a release meanwhile
 * shifts the list, so a new generation finds the place again), for about
 * hostlink_cfg.hello_slice_us.  Return true when every one is sent.
 */
static bool replay_slice(struct conn *c)
{
	struct cxldcd_dev *dev = c->hl->cfg.dev;
	uint64_t t0 = hostlink_mono_us();
	struct core_extent_info x[SWITCH_STEP];
	uint32_t n = 0;

	if (core_extent_generation(dev, c->host) != c->replay_gen)
		c->replay_next = index_at(c, c->replay_dpa);
	do {
		if (core_extent_list_info(dev, c->host, c->replay_next, SWITCH_STEP, x, &n) !=
		    CXLDCD_RC_SUCCESS)
			n = 0;
		for (uint32_t i = 0; i < n && !c->dead; i++) {
			hostlink_send_maps(c, &x[i]);
			c->replay_dpa = x[i].ext.dpa + x[i].ext.len;
		}
		c->replay_next += n;
	} while (n && !c->dead && hostlink_mono_us() - t0 < c->hl->cfg.hello_slice_us);
	c->replay_gen = core_extent_generation(dev, c->host);
	return !n || c->dead;
}

/*
 * The MAPs of static capacity (every host's, docs/memory.md), then the
 * first slice of those of already-accepted capacity of a (re)connecting
 * host (replay_slice()).  Return true when every one is sent.
 */
static bool replay_start(struct conn *c)
{
	uint64_t st = core_static_capacity_of(c->hl->cfg.dev, c->host);

	if (st) {
		struct core_extent_info x = { .host = c->host, .ext = { .dpa = 0, .len = st } };

		hostlink_send_maps(c, &x);
	}
	c->replay_next = 0;
	c->replay_dpa = 0;
	c->replay_gen = core_extent_generation(c->hl->cfg.dev, c->host);
	return replay_slice(c);
}

static int enc_starting_cb(struct wwr *w, const void *arg)
{
	return hl_enc_error(w, HL_S_STARTING, arg);
}

/*
 * While the device is restored (hostlink_started() not called yet): an
 * ERROR with status STARTING and the caller's text (which record the
 * replay is at), then the HELLO_ACK with that status, and close.  The
 * host tries again later (docs/host-link.md, HELLO_ACK).
 */
static void refuse_starting(struct conn *c, const struct hl_hdr *h)
{
	struct hostlink *hl = c->hl;
	struct hl_hello_ack a;
	char text[HL_ERROR_TEXT_MAX] = "device is starting: its state is being restored";

	if (hl->cfg.starting_text)
		hl->cfg.starting_text(hl->cfg.hook_opaque, text, sizeof(text));
	fill_ack(hl, &a);
	a.status = HL_S_STARTING;
	hostlink_logf(hl, LOG_INFO, "hello refused: %s", text);
	hostlink_conn_send(c, HL_ERROR, hostlink_conn_next_seq(c), HL_ERROR_HDR + HL_ERROR_TEXT_MAX,
			   enc_starting_cb, text, NULL);
	hostlink_conn_send(c, HL_HELLO_ACK, h->seq, HL_HELLO_ACK_SIZE, enc_ack_cb, &a, NULL);
	c->dead = true;
}

/*
 * Whether @c may claim @host: for an unbound host id yes, unless its
 * listener takes bound ids only; for a bound one only a Unix peer whose
 * credentials (SO_PEERCRED, as at connect()) match the binding, root
 * included.  A refusal is logged here.
 */
static bool peer_may_claim(const struct conn *c, uint16_t host)
{
	const struct hl_bind *b = &c->hl->binds[host];
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (!b->bound && !c->bound_only)
		return true;
	if (!b->bound && c->is_unix &&
	    !getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) && len == sizeof(cr)) {
		hostlink_logf(c->hl, LOG_WARNING,
			      "host=%u: HELLO from uid %u refused: host %u is not bound to a user "
			      "(bound-only)",
			      host, (unsigned)cr.uid, host);
		return false;
	}
	if (!b->bound) {
		hostlink_logf(c->hl, LOG_WARNING,
			      "host=%u: HELLO refused: host %u is not bound to a user (bound-only)",
			      host, host);
		return false;
	}
	if (!c->is_unix) {
		hostlink_logf(c->hl, LOG_WARNING,
			      "host=%u: HELLO over TCP refused: host %u is bound to uid %u", host,
			      host, (unsigned)b->uid);
		return false;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || len != sizeof(cr)) {
		hostlink_logf(c->hl, LOG_WARNING, "host=%u: HELLO refused: no peer credentials: %s",
			      host, strerror(errno));
		return false;
	}
	if (cr.uid != b->uid) {
		hostlink_logf(c->hl, LOG_WARNING,
			      "host=%u: HELLO from uid %u refused: host %u is bound to uid %u",
			      host, (unsigned)cr.uid, host, (unsigned)b->uid);
		return false;
	}
	if (b->check_gid && cr.gid != b->gid) {
		hostlink_logf(
		    c->hl, LOG_WARNING,
		    "host=%u: HELLO from uid %u gid %u refused: host %u is bound to uid %u gid %u",
		    host, (unsigned)cr.uid, (unsigned)cr.gid, host, (unsigned)b->uid,
		    (unsigned)b->gid);
		return false;
	}
	return true;
}

/*
 * fds kept free of group files: connections, listeners, the store, QMP and
 * FM clients, and the SEND_FDS a send opens for a moment.
 */
#define GROUP_FD_HEADROOM 64u

/* The fds this process has open now (/proc/self/fd), or -1 when /proc does not say. */
static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = -1;   /* the directory's own */

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * The group files a host holding @files of them may have (docs/host-link.md,
 * "A file per group"): those, and what the fd limit (soft, now) leaves free
 * beyond GROUP_FD_HEADROOM: each new file costs its own fd.  Queued MAPs
 * hold none (struct qfd: the fd sent is opened at the send, SEND_FDS at a
 * time, within the headroom).  *limit: the limit read (0: none, no cap).
 */
static uint32_t group_budget(uint32_t files, uint64_t *limit)
{
	struct rlimit rl;
	long open = open_fds();
	uint64_t free_fds, more;

	*limit = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || open < 0)
		return UINT32_MAX;   /* cannot tell: EMFILE at a bind spills (mem.h) */
	*limit = rl.rlim_cur;
	free_fds = rl.rlim_cur > (uint64_t)open + GROUP_FD_HEADROOM
			   ? rl.rlim_cur - (uint64_t)open - GROUP_FD_HEADROOM : 0;
	more = free_fds;
	return files + more > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)(files + more);
}

/*
 * Whether the groups of @c's host fit in the fds free now: when they do, its
 * group files are capped at what fits (a group added later past the cap goes
 * into its per-backend file: hostlink_send_maps()); when not, it gets none,
 * with a WARNING naming the host, its groups and the limit.  A host that
 * cannot be counted gets the cap alone.
 */
static bool group_files_fit(struct conn *c)
{
	struct mem_dev *md = c->hl->cfg.md;
	struct mem_host_groups g;
	uint64_t limit;
	uint32_t max;

	if (mem_dev_host_groups(md, c->host, true, &g)) {
		mem_dev_host_group_max(md, c->host, group_budget(0, &limit));
		return true;
	}
	max = group_budget(g.files, &limit);
	mem_dev_host_group_max(md, c->host, max);
	if (g.groups <= max)
		return true;
	c->hl->st.group_files_refused++;
	hostlink_logf(c->hl, LOG_WARNING,
		      "host=%u: no file per group: it holds %u groups and the fd limit %llu leaves "
		      "room for %u group files (one fd each, %u kept free): its groups share one "
		      "file per backend, each reaching the others; raise the limit (LimitNOFILE=, "
		      "ulimit -Hn)",
		      c->host, g.groups, (unsigned long long)limit, max, GROUP_FD_HEADROOM);
	return false;
}

static bool hello_ack(struct conn *c);
static void hello_done(struct conn *c);

/*
 * One slice of the switch of c's views to what its HELLO asked for
 * (c->switch_on: a file per group, or one per backend, so a host that stops
 * asking costs one fd per backend again).  Return true when it is done, with
 * c->group_files set: a file per group is granted unless the device trusts
 * its hosts (the fds are the backends'), its groups did not fit in the fds
 * free (group_files_fit()), or some capacity could not move (logged; the
 * host works on without the grant, and its next HELLO tries again).
 */
static bool switch_slice(struct conn *c)
{
	struct mem_dev *md = c->hl->cfg.md;
	uint64_t t0 = hostlink_mono_us();
	char err[256] = "";
	int rc;

	c->switch_rounds++;
	do
		rc = mem_dev_host_group_files_step(md, c->host, c->switch_on, SWITCH_STEP, err,
						   sizeof(err));
	while (rc == -EINPROGRESS && hostlink_mono_us() - t0 < c->hl->cfg.hello_slice_us);
	if (rc == -EINPROGRESS)
		return false;
	if (rc && rc != -EOPNOTSUPP)
		hostlink_logf(c->hl, LOG_WARNING, "host=%u: cannot %s: %s: %s", c->host,
			      c->switch_on ? "give it a file per group"
					   : "go back to a file per backend",
			      err, strerror(-rc));
	if (c->switch_rounds > 1)
		hostlink_logf(c->hl, LOG_INFO,
			      "host=%u: its views switched in %u loop rounds, %llu ms", c->host,
			      c->switch_rounds,
			      (unsigned long long)(hostlink_mono_us() - c->switch_start_us) / 1000);
	c->group_files = c->switch_on && !rc && !mem_dev_host_group_spilled(md, c->host);
	return true;
}

static void on_hello(struct conn *c, const struct hl_hdr *h, const uint8_t *p)
{
	struct hostlink *hl = c->hl;
	struct hl_hello m;
	struct hl_hello_ack a;

	if (c->hello) {
		hostlink_conn_violation(c, "second hello");
		return;
	}
	if (hl_dec_hello(p, h->len, &m)) {
		hostlink_conn_violation(c, "hello payload length=%u, expected %u", h->len,
					HL_HELLO_SIZE);
		return;
	}
	if (hl->starting) {
		refuse_starting(c, h);
		return;
	}
	fill_ack(hl, &a);
	if (m.version != HL_VERSION)
		a.status = HL_S_VERSION;
	else if (m.host_id >= hl->nr_hosts)
		a.status = HL_S_UNKNOWN_HOST;
	else if (!peer_may_claim(c, m.host_id))
		a.status = HL_S_ACCES;
	else if (hl->by_host[m.host_id])
		a.status = HL_S_HOST_CONNECTED;
	else if (cci_ctx_new(hl->cfg.dev, CCI_MAILBOX, m.host_id, &c->cci) ||
		 cci_ctx_set_faults(c->cci, &hl->faults[m.host_id]))
		a.status = HL_S_NOMEM;
	if (a.status) {
		hostlink_logf(hl, LOG_INFO, "hello host=%u refused: status=%u", m.host_id,
			      a.status);
		hostlink_conn_send(c, HL_HELLO_ACK, h->seq, HL_HELLO_ACK_SIZE, enc_ack_cb, &a,
				   NULL);
		c->dead = true;
		return;
	}
	c->host = m.host_id;
	c->hello = true;
	a.static_size = core_static_capacity_of(hl->cfg.dev, c->host);   /* 0: static-host= other */
	c->mapping = c->is_unix && (m.flags & HL_HELLO_F_MAP) && hl->cfg.md;
	c->diag = m.flags & HL_HELLO_F_DIAG;
	c->ras = m.flags & HL_HELLO_F_RAS;
	c->move_end = c->mapping && (m.flags & HL_HELLO_F_MOVE_END);
	hl->by_host[c->host] = c;
	c->ack = a;
	c->hello_seq = h->seq;
	/* not a host to others, nor read, until its ACK and MAPs are queued */
	c->switching = true;
	c->switch_on = c->mapping && (m.flags & HL_HELLO_F_GROUP_FILES) && group_files_fit(c);
	c->switch_rounds = 0;
	c->switch_start_us = hostlink_mono_us();
	if ((c->mapping && !switch_slice(c)) || !hello_ack(c)) {
		uint64_t now = hostlink_now_ms(hl);

		hostlink_wake_at(hl, now ? now : 1);   /* the next slice: the next loop round */
		return;
	}
	hello_done(c);
}

/*
 * The rest of c's HELLO, once its views are what it asked for: the ACK,
 * then the MAPs of what it holds (static capacity first) a slice per loop
 * round.  Return true when they are all queued (hello_done() follows).
 */
static bool hello_ack(struct conn *c)
{
	struct hostlink *hl = c->hl;
	struct hl_hello_ack a = c->ack;

	a.flags = (c->mapping ? HL_ACK_F_MAP : 0) | (c->diag ? HL_ACK_F_DIAG : 0) |
		  (c->ras ? HL_ACK_F_RAS : 0) | (c->move_end ? HL_ACK_F_MOVE_END : 0) |
		  (c->group_files ? HL_ACK_F_GROUP_FILES : 0);
	hostlink_logf(hl, LOG_INFO, "host=%u connected mapping=%s%s", c->host,
		      c->mapping ? "on" : "off", c->group_files ? " group-files=on" : "");
	hostlink_conn_send(c, HL_HELLO_ACK, c->hello_seq, HL_HELLO_ACK_SIZE, enc_ack_cb, &a, NULL);
	if (!c->mapping)
		return true;
	c->replaying = true;   /* the MAPs of a HELLO may go past the fd bound */
	return replay_start(c);
}

/* Every MAP of c's HELLO is queued: it joins the moves under way; its RAS status. */
static void hello_done(struct conn *c)
{
	if (c->mapping) {
		c->replaying = false;
		hostlink_moves_join(c, 0, UINT64_MAX);
	}
	c->switching = false;
	replay_ras(c);
}

/*
 * The HELLOs under way (hostlink_tick()): a slice of each one's switch or
 * replay; a HELLO done goes on with the requests its host sent meanwhile.
 * Return whether some HELLO still has slices to run.
 */
bool hostlink_switch_tick(struct hostlink *hl)
{
	bool more = false;

	for (struct conn *c = hl->conns; c; c = c->next) {
		bool done;

		if (!c->switching || c->dead)
			continue;
		if (c->replaying) {
			done = replay_slice(c);
		} else if (c->switched) {
			done = hello_ack(c);   /* the switch took the last round: this one ACKs */
		} else {
			c->switched = switch_slice(c);
			done = false;
		}
		if (!done) {
			more = true;
			continue;
		}
		hello_done(c);
		if (c->rlen && !c->dead)
			hostlink_conn_parse(c);
		if (!c->dead)
			hostlink_conn_rewatch(c);
	}
	return more;
}

static int enc_diag_cb(struct wwr *w, const void *arg)
{
	return hl_enc_diag(w, arg);
}

/*
 * DIAG right before a failed CCI_RSP (same sequence number), for a host that
 * asked for it in HELLO: the model's reason for the refusal.
 */
static void send_diag(struct conn *c, uint32_t seq, const uint8_t *req, size_t req_len,
		      const uint8_t *rsp, size_t rsp_len)
{
	const struct cxldcd_diag *d = cci_ctx_diag(c->cci);
	struct cci_hdr rq, rs;
	struct hl_diag m;

	if (!c->diag || !d->reason || cci_dec_hdr(rsp, rsp_len, &rs) || !rs.rc ||
	    cci_dec_hdr(req, req_len, &rq))
		return;
	m = (struct hl_diag){ .opcode = rq.opcode, .rc = rs.rc, .reason = (uint16_t)d->reason,
			      .index = d->index, .text = (const uint8_t *)d->text,
			      .text_len = strnlen(d->text, sizeof(d->text)) };
	snprintf(m.name, sizeof(m.name), "%s", core_reason_str(d->reason));
	hostlink_conn_send(c, HL_DIAG, seq, HL_DIAG_HDR + HL_DIAG_TEXT_MAX, enc_diag_cb, &m, NULL);
}

/*
 * The connection's response buffer, grown to @cap once: a response is built
 * there and queued at its own length, so no request allocates (and frees) a
 * mailbox-sized block, which made glibc merge its free lists on every
 * request at a million items (docs/performance.md, "Session 9: QMP at 1e6").
 */
static uint8_t *rsp_buf(struct conn *c, size_t cap)
{
	if (c->rsp_cap < cap) {
		uint8_t *b = malloc(cap);

		if (!b)
			return NULL;
		free(c->rsp);
		c->rsp = b;
		c->rsp_cap = cap;
	}
	return c->rsp;
}

/* Run one CCI request (or answer it with @refuse, unrun) and queue its response. */
void hostlink_cci_run(struct conn *c, const struct hl_hdr *h, const uint8_t *p, uint16_t refuse)
{
	size_t cap = CXLDCD_CCI_HDR_SIZE + cci_ctx_max_payload(c->cci);
	uint8_t *rsp = rsp_buf(c, cap);
	const struct hostlink_cfg *hc = &c->hl->cfg;
	bool was_open = cci_ctx_chain_open(c->cci);
	struct outmsg *m;
	struct wwr w;
	size_t rsp_len = 0;
	int rc;

	if (!rsp) {
		c->dead = true;
		return;
	}
	if (refuse) {   /* not run: a header-only response with that return code */
		struct cci_hdr rq = { 0 };

		cci_dec_hdr(p, h->len, &rq);
		cci_enc_refusal(&rq, refuse, rsp, cap);
		rsp_len = CXLDCD_CCI_HDR_SIZE;
		goto send;
	}
	/* Observers may queue MAP/UNMAP/IRQ here: they go out before the response. */
	rc = cci_handle_msg(c->cci, p, h->len, rsp, cap, &rsp_len);
	if (rc) {
		hostlink_conn_violation(c, "cci message not answerable (len=%u): %s", h->len,
					strerror(-rc));
		return;
	}
	if (cci_ctx_diag(c->cci)->reason) {
		const struct cxldcd_diag *d = cci_ctx_diag(c->cci);

		hostlink_logf(c->hl, LOG_DEBUG, "host=%u cci %s (%s): %s", c->host,
			      cxldcd_rc_str(d->rc), core_reason_str(d->reason), d->text);
	}
	if (hc->cci_after && hc->cci_after(hc->hook_opaque, c->host, p, h->len, rsp, cap, &rsp_len,
					   was_open)) {
		hostlink_logf(c->hl, LOG_ERR, "host=%u: request not made durable: closing",
			      c->host);
		c->dead = true;
		return;
	}
	send_diag(c, h->seq, p, h->len, rsp, rsp_len);
send:
	m = hostlink_outmsg_new(HL_HDR_SIZE + rsp_len);
	if (!m) {
		c->dead = true;
		return;
	}
	memcpy(m->data + HL_HDR_SIZE, rsp, rsp_len);
	wwr_init(&w, m->data, HL_HDR_SIZE + rsp_len);
	hl_msg_begin(&w, HL_CCI_RSP, h->seq);
	w.off = HL_HDR_SIZE + rsp_len;
	hl_msg_end(&w);
	m->len = w.off;
	hostlink_conn_queue(c, m);
}

static void on_cci(struct conn *c, const struct hl_hdr *h, const uint8_t *p)
{
	const struct hostlink_cfg *hc = &c->hl->cfg;
	uint16_t refuse = hc->cci_before ? hc->cci_before(hc->hook_opaque, c->host, p, h->len,
							  cci_ctx_chain_open(c->cci)) : 0;

	if (refuse == HOSTLINK_CCI_DEFER) {     /* stays at the head of rbuf until resumed */
		c->waiting = true;
		return;
	}
	hostlink_cci_run(c, h, p, refuse);
}

static void on_io(struct conn *c, const struct hl_hdr *h, const uint8_t *p, bool write)
{
	struct hostlink *hl = c->hl;
	struct hl_io_req rq;
	struct outmsg *m;
	struct hl_io_rsp rs = { 0 };
	struct wwr w;
	char err[160];
	int rc;

	if (hl_dec_io_req(p, h->len, write, &rq)) {
		hostlink_conn_violation(c, "%s payload length=%u does not match",
					write ? "write" : "read", h->len);
		return;
	}
	/* Exactly what the response holds: a 1-byte read queues a 1-byte reply. */
	m = hostlink_outmsg_new(HL_HDR_SIZE + HL_IO_RSP_SIZE +
				(write || !rq.len || rq.len > HL_MAX_IO ? 0 : rq.len));
	if (!m) {
		c->dead = true;
		return;
	}
	uint8_t *data = m->data + HL_HDR_SIZE + HL_IO_RSP_SIZE;

	if (!rq.len || rq.len > HL_MAX_IO)
		rc = -EINVAL;
	else if (!hl->cfg.md)
		rc = -ENODEV;
	else if (write)
		rc = mem_write(hl->cfg.md, c->host, rq.dpa, rq.data, rq.len, err, sizeof(err));
	else
		rc = mem_read(hl->cfg.md, c->host, rq.dpa, data, rq.len, err, sizeof(err));
	if (rc && rc != -EINVAL && rc != -ENODEV)
		hostlink_logf(hl, LOG_DEBUG, "host=%u %s dpa=0x%llx len=0x%x: %s", c->host,
			      write ? "write" : "read", (unsigned long long)rq.dpa, rq.len, err);
	rs.status = hl_errno_status(rc);
	if (!rc && !write) {
		rs.len = rq.len;
		rs.data = data;
	}
	wwr_init(&w, m->data, HL_HDR_SIZE + HL_IO_RSP_SIZE + rs.len);
	hl_msg_begin(&w, write ? HL_WRITE_RSP : HL_READ_RSP, h->seq);
	wwr_u32le(&w, rs.status);
	wwr_u32le(&w, rs.len);
	w.off += rs.len; /* the data is already in place */
	hl_msg_end(&w);
	m->len = w.off;
	hostlink_conn_queue(c, m);
}

static void on_message(struct conn *c, const struct hl_hdr *h, const uint8_t *p)
{
	c->hl->st.msgs_in++;
	if (!c->hello && h->type != HL_HELLO) {
		hostlink_conn_violation(c, "%s (type=0x%02x) before hello", hl_type_name(h->type),
					h->type);
		return;
	}
	switch (h->type) {
	case HL_HELLO:
		on_hello(c, h, p);
		break;
	case HL_CCI_REQ:
		on_cci(c, h, p);
		break;
	case HL_READ_REQ:
		on_io(c, h, p, false);
		break;
	case HL_WRITE_REQ:
		on_io(c, h, p, true);
		break;
	case HL_MOVE_ACK:
		hostlink_move_ack(c, h, p);
		break;
	case HL_RAS_READ_REQ:
		on_ras_read(c, h);
		break;
	case HL_RAS_WRITE_REQ:
		on_ras_write(c, h, p);
		break;
	case HL_ERROR:
		hostlink_logf(c->hl, LOG_INFO, "host=%u sent error, closing", c->host);
		c->dead = true;
		break;
	default:
		hostlink_conn_violation(c, "unexpected message type=0x%02x (%s)", h->type,
					hl_type_name(h->type));
		break;
	}
}

/* Parse every complete message in rbuf. */
void hostlink_conn_parse(struct conn *c)
{
	size_t off = 0;

	while (!c->dead && !hostlink_conn_full(c) && !c->waiting && !c->switching) {
		struct hl_hdr h;
		int rc = hl_dec_hdr(c->rbuf + off, c->rlen - off, &h);

		if (rc == -EAGAIN)
			break;
		if (rc) {
			hostlink_conn_violation(c, rc == -EPROTO ? "bad magic or version"
								 : "payload too long");
			break;
		}
		if (c->rlen - off < HL_HDR_SIZE + (size_t)h.len) {
			size_t need = HL_HDR_SIZE + (size_t)h.len;

			if (need > c->rcap) {
				uint8_t *nb;

				memmove(c->rbuf, c->rbuf + off, c->rlen - off);
				c->rlen -= off;
				off = 0;
				nb = realloc(c->rbuf, need);
				if (!nb) {
					c->dead = true;
					return;
				}
				c->rbuf = nb;
				c->rcap = need;
			}
			break;
		}
		on_message(c, &h, c->rbuf + off + HL_HDR_SIZE);
		if (c->waiting)
			break;
		off += HL_HDR_SIZE + h.len;
	}
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	if (!c->rlen && c->rcap > RBUF_INITIAL) {
		/* Big messages went through: keep their buffer until the connection is idle. */
		c->rbuf_idle_due_ms = hostlink_now_ms(c->hl) + c->hl->cfg.rbuf_idle_ms;
		hostlink_wake_at(c->hl, c->rbuf_idle_due_ms);
	}
	hostlink_conn_end_burst(c);
}

void hostlink_conn_read(struct conn *c)
{
	for (int round = 0; round < RECV_ROUNDS && !c->dead; round++) {
		int fds[4];
		unsigned nfd = 0;
		ssize_t n;

		if (hostlink_conn_wanted(c) & HOSTLINK_IN) {
			if (c->rlen == c->rcap) { /* only when a message is still arriving */
				c->dead = true;
				return;
			}
		} else {
			return;
		}
		n = hl_recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, fds, &nfd, 4);
		for (unsigned i = 0; i < nfd; i++)
			close(fds[i]);
		if (n == -EAGAIN)
			return;
		if (n == 0) {
			c->dead = true;
			return;
		}
		if (n < 0 || nfd) {
			if (n > 0 || n == -EPROTO)
				hostlink_conn_violation(c, "host sent file descriptors");
			else
				c->dead = true;
			return;
		}
		c->rlen += (size_t)n;
		hostlink_conn_parse(c);
	}
}
