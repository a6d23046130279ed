/* SPDX-License-Identifier: MIT */
/*
 * hostlink-conn.c - one host's connection on the daemon side: which events
 * it is watched for, its output queue (whole messages, the fds they carry,
 * sendmmsg() at round ends, backpressure and bounds), closing it, and the
 * MAP/UNMAP messages it sends.  Not what it reads (hostlink-msg.c).
 */
#include "hostlink/hostlink-int.h"
#include "common/clock.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* ------------------------------------------------------------ watching */

/* The caller flushes at the end of its loop rounds (hostlink_watch_ops.flush). */
static bool round_end_flush(const struct hostlink *hl)
{
	return hl->cfg.watch && hl->cfg.watch->flush;
}

/* Backpressure: over half the bound, take no new requests from the peer. */
bool hostlink_conn_full(const struct conn *c)
{
	return c->oq_bytes >= c->hl->cfg.max_out_bytes / 2;
}

unsigned hostlink_conn_wanted(const struct conn *c)
{
	unsigned ev = 0;

	if (c->dead)
		return 0;
	/* a waiting request holds the rest back; so does a HELLO whose switch runs */
	if (!hostlink_conn_full(c) && !c->waiting && !c->switching)
		ev |= HOSTLINK_IN;
	/*
	 * Output not tried yet goes at the end of the round, when the caller
	 * has one; output that waits for the kernel's fds in flight, at its time.
	 */
	if (c->oq_head && !c->refs_due_ms && (c->blocked || c->yielded || !round_end_flush(c->hl)))
		ev |= HOSTLINK_OUT;
	return ev;
}

void hostlink_conn_rewatch(struct conn *c)
{
	const struct hostlink_watch_ops *w = c->hl->cfg.watch;
	unsigned ev = hostlink_conn_wanted(c);

	if (ev == c->watched)
		return;
	c->watched = ev;
	if (w && w->mod)
		w->mod(c->hl->cfg.watch_opaque, c->fd, ev);
}

/* ------------------------------------------------------------ output */

struct outmsg *hostlink_outmsg_new(size_t cap)
{
	struct outmsg *m = malloc(sizeof(*m) + cap);

	if (!m)
		return NULL;
	m->next = NULL;
	m->len = 0;
	m->off = 0;
	m->qf = NULL;
	return m;
}

/* What a queued message really holds in memory. */
static size_t outmsg_cost(const struct outmsg *m)
{
	return sizeof(*m) + m->len;
}

/* Drop a reference of c's queue to q; the last one closes the fd. */
static void qfd_put(struct conn *c, struct qfd *q)
{
	struct qfd **pp = &c->qfds[q->ino & (c->qfd_buckets - 1)];

	if (--q->refs)
		return;
	while (*pp != q)
		pp = &(*pp)->next;
	*pp = q->next;
	if (q->fd >= 0)
		close(q->fd);
	free(q);
	c->nr_qfds--;
}

static void outmsg_free(struct conn *c, struct outmsg *m)
{
	if (m->qf)
		qfd_put(c, m->qf);
	free(m);
}

/*
 * A burst of replies was freed in many small pieces, which glibc keeps in
 * its free lists (fastbins are not even merged) unless asked: hand the
 * pages back to the system once the burst is over.
 */
static void give_back_memory(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/*
 * The burst is over once nothing is queued and no request is held back.  The
 * last reply may leave while its request is still in rbuf, so both the flush
 * and the parser ask.
 */
void hostlink_conn_end_burst(struct conn *c)
{
	if (c->was_full && !c->oq_head && !c->rlen) {
		c->was_full = false;
		give_back_memory();
	}
}

/* Drop m, which follows prev (NULL: the head) and was not sent at all. */
static void queue_unlink(struct conn *c, struct outmsg *prev, struct outmsg *m)
{
	if (prev)
		prev->next = m->next;
	else
		c->oq_head = m->next;
	if (c->oq_tail == m)
		c->oq_tail = prev;
	c->oq_bytes -= outmsg_cost(m);
	outmsg_free(c, m);
}

/*
 * The fd to send with a message of q: opened now from q's file (struct
 * qfd), once per sendmmsg().  Return 0, -ESTALE when q's src is no longer
 * its file (the message goes unsent), or another -errno (logged, the
 * connection dropped: the MAP cannot be sent).
 */
static int qfd_open(struct conn *c, struct qfd *q, const struct outmsg *m)
{
	struct sendvec *sv = c->hl->sv;
	struct mem_segment s = { .fd = q->src, .scoped = q->mode & QFD_SCOPED,
				 .writable = q->mode & QFD_WRITABLE };
	struct stat st;
	int fd;

	if (q->fd >= 0)
		return 0;
	if (fstat(q->src, &st) < 0 || st.st_dev != q->dev || st.st_ino != q->ino)
		return -ESTALE;
	fd = mem_segment_fd(&s);
	if (fd < 0) {
		struct hl_hdr h = { 0 };
		struct hl_remap r = { 0 };

		/* the range, for the line: a MAP or REMAP we encoded */
		if (!hl_dec_hdr(m->data, m->len, &h) && h.type == HL_MAP)
			hl_dec_map(m->data + HL_HDR_SIZE, h.len, &r.map);
		else if (h.type == HL_REMAP)
			hl_dec_remap(m->data + HL_HDR_SIZE, h.len, &r);
		c->hl->st.map_errors++;
		c->no_fds = true;
		hostlink_logf(c->hl, LOG_WARNING,
			      "host=%u dpa=0x%llx len=0x%llx: no fd to send: %s: dropping the connection",
			      c->host, (unsigned long long)r.map.dpa, (unsigned long long)r.map.len,
			      strerror(-fd));
		c->dead = true;
		return fd;
	}
	q->fd = fd;
	sv->opened[sv->nr_opened++] = q;
	return 0;
}

/*
 * The connection dies for want of an fd to send (qfd_open()): its queued
 * messages with an fd go unsent, so the last flush before it closes (reap())
 * sends the rest and does not try them again.
 */
static void queue_drop_fd_msgs(struct conn *c)
{
	struct outmsg *prev = NULL, *next;

	for (struct outmsg *m = c->oq_head; m; m = next) {
		next = m->next;
		if (m->qf && m->off == 0)
			queue_unlink(c, prev, m);
		else
			prev = m;
	}
}

/* Close the fds the last sendmmsg() was given: the kernel holds its own now. */
static void qfds_close_opened(struct conn *c)
{
	struct sendvec *sv = c->hl->sv;

	for (unsigned i = 0; i < sv->nr_opened; i++) {
		close(sv->opened[i]->fd);
		sv->opened[i]->fd = -1;
	}
	sv->nr_opened = 0;
}

/*
 * Lay out the head of c's queue as runs in hl->sv; return how many.  The
 * fds of the messages with one are opened here (qfd_open()), SEND_FDS at
 * most; a message whose file is gone is dropped unsent.
 */
static unsigned runs_build(struct conn *c)
{
	struct sendvec *sv = c->hl->sv;
	unsigned nr = 0, ni = 0;
	struct outmsg *prev = NULL, *next;

	sv->nr_opened = 0;
	for (struct outmsg *m = c->oq_head; m && ni < SEND_IOVS; m = next) {
		/* a message the socket took part of sent its fd with its first byte */
		bool with_fd = m->qf && m->off == 0;
		struct msghdr *h;

		next = m->next;
		if (with_fd || !nr) {
			if (nr == SEND_RUNS)
				break;
		}
		if (with_fd) {
			int rc;

			if (m->qf->fd < 0 && sv->nr_opened == SEND_FDS)
				break;
			rc = qfd_open(c, m->qf, m);
			if (rc == -ESTALE) {
				c->hl->st.maps_stale++;
				queue_unlink(c, prev, m);   /* prev stays the one before next */
				continue;
			}
			if (rc)
				break;
		}
		if (with_fd || !nr) {
			h = &sv->mm[nr].msg_hdr;
			memset(h, 0, sizeof(*h));
			h->msg_iov = &sv->iov[ni];
			sv->run_len[nr++] = 0;
			if (with_fd) {
				struct cmsghdr *cm;

				memset(&sv->ctl[nr - 1], 0, sizeof(sv->ctl[0]));
				h->msg_control = sv->ctl[nr - 1].buf;
				h->msg_controllen = CMSG_SPACE(sizeof(int));
				cm = CMSG_FIRSTHDR(h);
				cm->cmsg_level = SOL_SOCKET;
				cm->cmsg_type = SCM_RIGHTS;
				cm->cmsg_len = CMSG_LEN(sizeof(int));
				memcpy(CMSG_DATA(cm), &m->qf->fd, sizeof(int));
			}
		}
		h = &sv->mm[nr - 1].msg_hdr;
		sv->iov[ni++] = (struct iovec){ .iov_base = m->data + m->off, .iov_len = m->len - m->off };
		h->msg_iovlen++;
		sv->run_len[nr - 1] += m->len - m->off;
		prev = m;
	}
	return nr;
}

/* Drop n sent bytes from the head of c's queue. */
static void queue_consume(struct conn *c, size_t n)
{
	while (n) {
		struct outmsg *m = c->oq_head;
		size_t left = m->len - m->off;

		if (n < left) {
			m->off += n;
			return;
		}
		n -= left;
		c->oq_head = m->next;
		if (!c->oq_head)
			c->oq_tail = NULL;
		c->oq_bytes -= outmsg_cost(m);
		outmsg_free(c, m);
	}
}

/*
 * The first @nr runs went out (sendmmsg()'s count): drop them from the
 * queue.  Return true when the socket took only part of the last one (it is
 * full).  sendmmsg() stops at a partial sendmsg(), so one before the last
 * would have left a hole in the stream: the connection is dropped.
 */
static bool runs_sent(struct conn *c, unsigned nr)
{
	const struct sendvec *sv = c->hl->sv;

	for (unsigned i = 0; i < nr; i++) {
		queue_consume(c, sv->mm[i].msg_len);
		if (sv->mm[i].msg_len == sv->run_len[i])
			continue;
		if (i + 1 < nr) {
			hostlink_logf(c->hl, LOG_ERR,
				      "host=%u sendmmsg() went on past a partial send", c->host);
			c->dead = true;
		}
		return true;
	}
	return false;
}

/* refs_wait()'s pauses */
#define REFS_FIRST_MS 10u
#define REFS_MAX_MS 1000u

/*
 * sendmmsg() failed ETOOMANYREFS: the kernel holds more of this user's fds
 * in flight (sent over Unix sockets, not yet received: by any of its
 * processes, to any peer) than its RLIMIT_NOFILE allows; root is not
 * limited.  A receiver that reads slowly, this host or another, holds
 * them; nothing is wrong with this connection.  Its queue waits and is
 * tried again after a pause, 10 ms doubling to 1 s (hostlink_tick()), not at
 * HOSTLINK_OUT: the socket is writable and would be tried again at once.
 * The host's MAPs arrive late, none is dropped; its queue stays bounded
 * by max_out_bytes.
 */
static void refs_wait(struct conn *c)
{
	struct hostlink *hl = c->hl;

	if (!c->refs_backoff_ms)
		hostlink_logf(hl, LOG_WARNING,
			      "host=%u: the kernel refuses more fds in flight for this user "
			      "(ETOOMANYREFS: more sent over Unix sockets and not yet received than "
			      "its RLIMIT_NOFILE allows; a host or application reads slowly): its "
			      "MAPs wait and are sent again, from %u ms on; raise the fd limit "
			      "(LimitNOFILE=)", c->host, REFS_FIRST_MS);
	c->refs_backoff_ms = clock_backoff_ms(c->refs_backoff_ms, REFS_FIRST_MS, REFS_MAX_MS);
	c->refs_due_ms = hostlink_now_ms(hl) + c->refs_backoff_ms;
	c->blocked = true;
	hl->st.fd_refs_waits++;
	hostlink_wake_at(hl, c->refs_due_ms);
}

/* hostlink_tick(): send the queues whose wait for fds in flight is over; the next such time. */
uint64_t hostlink_conn_refs_tick(struct hostlink *hl, uint64_t now)
{
	uint64_t next = 0;

	for (struct conn *c = hl->conns; c; c = c->next) {
		if (!c->refs_due_ms || c->dead)
			continue;
		if (c->refs_due_ms <= now) {
			c->refs_due_ms = 0;
			hostlink_conn_flush(c);
		}
		if (c->refs_due_ms && (!next || c->refs_due_ms < next))
			next = c->refs_due_ms;
	}
	return next;
}

/*
 * Send what the socket takes now; the rest waits for HOSTLINK_OUT
 * (c->blocked).  A flush stops after hello_slice_us (c->yielded), so a
 * backlog of thousands of MAPs, each opening the fd it sends, goes out over
 * several loop rounds and other clients are served between them.
 */
void hostlink_conn_flush(struct conn *c)
{
	uint64_t t0 = hostlink_mono_us();

	c->blocked = false;
	c->yielded = false;
	c->refs_due_ms = 0;
	while (c->oq_head && !c->dead) {
		unsigned nr = runs_build(c);
		int sent;

		if (!nr || c->dead) {   /* every message left was stale, or no fd could be opened */
			qfds_close_opened(c);
			if (c->no_fds)
				queue_drop_fd_msgs(c);
			break;
		}
		do
			sent = sendmmsg(c->fd, c->hl->sv->mm, nr, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (sent < 0 && errno == EINTR);
		/* before the queue lets go of the messages sent (and maybe their qfds) */
		qfds_close_opened(c);
		c->hl->st.send_calls++;
		if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->blocked = true;
			break;
		}
		if (sent < 0 && errno == ETOOMANYREFS) {
			refs_wait(c);
			break;
		}
		if (sent > 0)
			c->refs_backoff_ms = 0;
		if (sent < 0) {
			hostlink_logf(c->hl, LOG_DEBUG, "host=%u send failed: %s", c->host,
				      strerror(errno));
			c->dead = true;
			break;
		}
		/*
		 * The socket took part of a run, or stopped before a run (the
		 * socket is full, or an error that the next try, at
		 * HOSTLINK_OUT, reports).
		 */
		if (runs_sent(c, (unsigned)sent) || (unsigned)sent < nr) {
			c->blocked = true;
			break;
		}
		if (c->oq_head && hostlink_mono_us() - t0 >= c->hl->cfg.hello_slice_us) {
			c->yielded = true;   /* HOSTLINK_OUT: the socket is writable, the rest next round */
			break;
		}
	}
	hostlink_conn_end_burst(c);
	hostlink_conn_rewatch(c);
}

/* Send what connections queued since the last time (the end of a round). */
void hostlink_flush_pending(struct hostlink *hl)
{
	if (!hl->flush_due)
		return;
	hl->flush_due = false;
	for (struct conn *c = hl->conns; c; c = c->next)
		if (c->oq_head && !c->blocked && !c->dead)
			hostlink_conn_flush(c);
}

/* The end of one of our calls: a caller without round ends has its output sent now. */
void hostlink_call_done(struct hostlink *hl)
{
	if (!round_end_flush(hl))
		hostlink_flush_pending(hl);
}

static size_t flush_at(const struct hostlink *hl)
{
	return hl->cfg.max_out_bytes / 2 < FLUSH_AT ? hl->cfg.max_out_bytes / 2 : FLUSH_AT;
}

/*
 * Queue a finished message (takes m).  It leaves with the rest of the round
 * (hostlink_flush_pending()), at once when the round has queued FLUSH_AT, or behind
 * output that waits for the socket.
 */
void hostlink_conn_queue(struct conn *c, struct outmsg *m)
{
	struct hostlink *hl = c->hl;

	if (c->dead) {
		outmsg_free(c, m);
		return;
	}
	if (c->oq_bytes + outmsg_cost(m) > hl->cfg.max_out_bytes) {
		hostlink_logf(hl, LOG_INFO,
			      "host=%u output queue above %zu bytes: dropping the connection",
			      c->host, hl->cfg.max_out_bytes);
		hl->st.violations++;
		c->dead = true;
		outmsg_free(c, m);
		return;
	}
	if (c->oq_tail)
		c->oq_tail->next = m;
	else
		c->oq_head = m;
	c->oq_tail = m;
	c->oq_bytes += outmsg_cost(m);
	c->was_full |= hostlink_conn_full(c);
	hl->st.msgs_out++;
	if (!c->blocked && c->oq_bytes >= flush_at(hl)) {
		hostlink_conn_flush(c);
		return;
	}
	if (!c->blocked && !hl->flush_due) {
		hl->flush_due = true;
		if (round_end_flush(hl))
			hl->cfg.watch->flush(hl->cfg.watch_opaque);
	}
	hostlink_conn_rewatch(c); /* HOSTLINK_OUT without round ends; backpressure */
}

/*
 * Make c's table of queued files fit one more: its first QFD_BUCKETS, then
 * four times as many buckets once it holds two files per bucket (a host
 * with a file per group is sent a MAP per group in a burst, 10,000 files
 * and more, that a fixed table walked in chains of a hundred per lookup).
 * A table that cannot grow keeps working, with longer chains.
 */
static int qfd_table_fit(struct conn *c)
{
	unsigned n = c->qfds ? c->qfd_buckets * 4 : QFD_BUCKETS;
	struct qfd **t;

	if (c->qfds && (c->nr_qfds < 2 * c->qfd_buckets || c->qfd_buckets > (1u << 24)))
		return 0;
	t = calloc(n, sizeof(*t));
	if (!t)
		return c->qfds ? 0 : -ENOMEM;
	for (unsigned b = 0; c->qfds && b < c->qfd_buckets; b++) {
		while (c->qfds[b]) {
			struct qfd *q = c->qfds[b];

			c->qfds[b] = q->next;
			q->next = t[q->ino & (n - 1)];
			t[q->ino & (n - 1)] = q;
		}
	}
	free(c->qfds);
	c->qfds = t;
	c->qfd_buckets = n;
	return 0;
}

/*
 * A reference for c's queue to the file of segment s (to send with a MAP
 * or REMAP): the one the queue already carries (same inode, same access),
 * else a new one, which holds no fd (struct qfd).  A queue at max_out_fds
 * files first sends what the socket takes; one still at it belongs to a
 * host that does not read, dropped as at the byte bound (but for the
 * replay of a HELLO, which may go past the bound).  Return 0,
 * -ETOOMANYREFS (dropped at the limit), or the -errno of fstat() (logged,
 * dropped: the MAP cannot be sent).
 */
int hostlink_qfd_get(struct conn *c, const struct mem_segment *s, struct qfd **out)
{
	struct hostlink *hl = c->hl;
	unsigned mode = (s->scoped ? QFD_SCOPED : 0u) | (s->writable ? QFD_WRITABLE : 0u);
	struct qfd *q = NULL, **bucket;
	struct stat st;
	int rc;

	if (c->dead)
		return -EPIPE;
	if (fstat(s->fd, &st) < 0) {
		rc = -errno;
		goto err;
	}
	rc = qfd_table_fit(c);
	if (rc < 0)
		goto err;
	bucket = &c->qfds[st.st_ino & (c->qfd_buckets - 1)];
	for (q = *bucket; q; q = q->next) {
		if (q->ino == st.st_ino && q->dev == st.st_dev && q->mode == mode) {
			q->refs++;
			*out = q;
			return 0;
		}
	}
	if (c->nr_qfds >= c->max_out_fds && !c->blocked)
		hostlink_conn_flush(c);
	if (c->dead)
		return -EPIPE;
	/*
	 * Not while the MAPs of a HELLO are queued: they come at once, before
	 * the host could read any, one file each at most that it holds.
	 */
	if (c->nr_qfds >= c->max_out_fds && !c->replaying && !c->refs_due_ms) {
		hostlink_logf(hl, LOG_INFO,
			      "host=%u output queue carries MAPs of %u files (max %u): dropping the "
			      "connection",
			      c->host, c->nr_qfds, c->max_out_fds);
		hl->st.violations++;
		c->dead = true;
		return -ETOOMANYREFS;
	}
	q = malloc(sizeof(*q));
	if (!q) {
		rc = -ENOMEM;
		goto err;
	}
	*q = (struct qfd){ .next = *bucket, .dev = st.st_dev, .ino = st.st_ino, .mode = mode,
			   .src = s->fd, .fd = -1, .refs = 1 };
	*bucket = q;
	c->nr_qfds++;
	*out = q;
	return 0;
err:
	free(q);
	hl->st.map_errors++;
	hostlink_logf(hl, LOG_WARNING,
		      "host=%u dpa=0x%llx len=0x%llx: no fd to send: %s: dropping the connection",
		      c->host, (unsigned long long)s->dpa, (unsigned long long)s->len,
		      strerror(-rc));
	c->dead = true;
	return rc;
}

/* qf: the fd it carries (takes the reference of hostlink_qfd_get()), NULL = none */
int hostlink_conn_send(struct conn *c, uint8_t type, uint32_t seq, size_t cap, enc_fn *fn,
		       const void *arg, struct qfd *qf)
{
	struct outmsg *m = hostlink_outmsg_new(HL_HDR_SIZE + cap);
	struct wwr w;

	if (!m) {
		if (qf)
			qfd_put(c, qf);
		c->dead = true;
		return -ENOMEM;
	}
	m->qf = qf;
	wwr_init(&w, m->data, HL_HDR_SIZE + cap);
	hl_msg_begin(&w, type, seq);
	if (fn)
		fn(&w, arg);
	if (hl_msg_end(&w)) {
		outmsg_free(c, m);
		c->dead = true;
		return -ENOBUFS;
	}
	m->len = w.off;
	hostlink_conn_queue(c, m);
	return 0;
}

uint32_t hostlink_conn_next_seq(struct conn *c)
{
	return ++c->seq_out;
}

int hostlink_enc_error(struct wwr *w, const void *arg)
{
	return hl_enc_error(w, HL_S_PROTO, arg);
}

/* Protocol violation: tell the peer (best effort), then drop it. */
__attribute__((format(printf, 2, 3))) void hostlink_conn_violation(struct conn *c, const char *fmt,
								   ...)
{
	char text[HL_ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	hostlink_logf(c->hl, LOG_DEBUG, "host=%u fd=%d protocol violation: %s", c->host, c->fd,
		      text);
	c->hl->st.violations++;
	hostlink_conn_send(c, HL_ERROR, hostlink_conn_next_seq(c), HL_ERROR_HDR + HL_ERROR_TEXT_MAX,
			   hostlink_enc_error, text, NULL);
	c->dead = true;
}

/* ------------------------------------------------------------ connections */

void hostlink_conn_close(struct conn *c)
{
	struct hostlink *hl = c->hl;
	struct conn **pp;

	for (pp = &hl->conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	if (hl->cfg.watch && hl->cfg.watch->del)
		hl->cfg.watch->del(hl->cfg.watch_opaque, c->fd);
	close(c->fd);
	bool dropped = c->hello && cci_ctx_chain_open(c->cci);

	if (c->hello) {
		cci_ctx_get_faults(c->cci, &hl->faults[c->host]); /* keep the counts left */
		hl->by_host[c->host] = NULL;
		hostlink_logf(hl, LOG_INFO, "host=%u disconnected", c->host);
	}
	cci_ctx_free(c->cci);   /* discards an open chain's staging */
	if (dropped && hl->cfg.chain_dropped)
		hl->cfg.chain_dropped(hl->cfg.hook_opaque, c->host);
	while (c->oq_head) {
		struct outmsg *m = c->oq_head;

		c->oq_head = m->next;
		outmsg_free(c, m);
	}
	free(c->qfds);
	free(c->rbuf);
	free(c->rsp);
	if (c->was_full)
		give_back_memory();
	hl->nr_conns--;
	if (c->l)
		c->l->nr_conns--;
	free(c);
	hostlink_resume_accept(hl); /* an fd came free */
}

/*
 * The connection a message about @host's range at @dpa goes to now: its
 * connected one, or one whose HELLO's replay is past @dpa (the replay sent
 * that range's MAPs already, or will not: it was not there; a range it has
 * not reached yet is replayed as the model has it then).
 */
struct conn *hostlink_conn_replayed(const struct hostlink *hl, uint16_t host, uint64_t dpa)
{
	struct conn *c = hostlink_conn_of_host(hl, host);

	if (c || host >= hl->nr_hosts)
		return c;
	c = hl->by_host[host];
	return c && !c->dead && c->replaying && dpa < c->replay_dpa ? c : NULL;
}

struct conn *hostlink_conn_of_host(const struct hostlink *hl, uint16_t host)
{
	struct conn *c;

	if (host >= hl->nr_hosts)
		return NULL;
	c = hl->by_host[host];
	return c && !c->dead && !c->switching ? c : NULL;
}

/* ------------------------------------------------------------ MAP / UNMAP */

static int enc_map_cb(struct wwr *w, const void *arg)
{
	const struct mem_segment *s = arg;
	struct hl_map m = { .dpa = s->dpa, .len = s->len, .offset = s->offset,
			    .flags = (s->writable ? HL_MAP_F_WRITABLE : 0) |
				     (s->spilled ? HL_MAP_F_SPILLED : 0) };

	return hl_enc_map(w, &m);
}

/*
 * The first MAP of a spilled group on a connection granted a file per group
 * (mem.h, mem_dev_host_group_max()): the host is told by the MAP's flag bit
 * 1, the log by one line.  Its next HELLO decides the grant again.
 */
static void spill_said(struct conn *c, const struct mem_segment *s)
{
	struct mem_host_groups g = { 0 };

	c->spill_said = true;
	c->hl->st.group_spills++;
	mem_dev_host_groups(c->hl->cfg.md, c->host, false, &g);
	hostlink_logf(c->hl, LOG_WARNING,
		      "host=%u dpa=0x%llx len=0x%llx: no fd left for a file of its group (it has "
		      "%u group files): it and the groups added after it that find no room share "
		      "the host's per-backend file (MAP flag spilled); its next HELLO decides "
		      "again",
		      c->host, (unsigned long long)s->dpa, (unsigned long long)s->len, g.files);
}

void hostlink_send_maps(struct conn *c, const struct core_extent_info *x)
{
	struct hostlink *hl = c->hl;
	struct mem_segment one[8], *segs = one;
	uint32_t n = 0;
	char err[160];
	int rc;

	rc = mem_dev_segments(hl->cfg.md, x->host, x->ext.dpa, x->ext.len, one, 8, &n, err,
			      sizeof(err));
	if (rc == -ENOSPC && n > 8) {
		segs = calloc(n, sizeof(*segs));
		if (!segs) {
			c->dead = true;
			return;
		}
		rc = mem_dev_segments(hl->cfg.md, x->host, x->ext.dpa, x->ext.len, segs, n, &n,
				      err, sizeof(err));
	}
	if (rc) {
		hl->st.map_errors++;
		hostlink_logf(hl, LOG_WARNING, "host=%u dpa=0x%llx len=0x%llx not mappable: %s",
			      x->host, (unsigned long long)x->ext.dpa,
			      (unsigned long long)x->ext.len, err);
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		/* the host's view or shared grant, never the whole backend (unless trusted) */
		struct qfd *qf;

		if (hostlink_qfd_get(c, &segs[i], &qf))
			break;
		if (segs[i].spilled && !c->spill_said)
			spill_said(c, &segs[i]);
		hostlink_conn_send(c, HL_MAP, hostlink_conn_next_seq(c), HL_MAP_SIZE, enc_map_cb,
				   &segs[i], qf);
		hl->st.maps++;
	}
out:
	if (segs != one)
		free(segs);
}

static int enc_unmap_cb(struct wwr *w, const void *arg)
{
	return hl_enc_unmap(w, arg);
}

void hostlink_send_unmap(struct hostlink *hl, const struct core_extent_info *x, uint32_t reason)
{
	struct conn *c = hostlink_conn_replayed(hl, x->host, x->ext.dpa);
	struct hl_unmap m = { .dpa = x->ext.dpa, .len = x->ext.len, .reason = reason };

	if (!c)
		return;
	hostlink_conn_send(c, HL_UNMAP, hostlink_conn_next_seq(c), HL_UNMAP_SIZE, enc_unmap_cb, &m,
			   NULL);
	hl->st.unmaps++;
}
