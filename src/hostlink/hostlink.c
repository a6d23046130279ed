/* SPDX-License-Identifier: MIT */
/*
 * hostlink.c - the daemon side of the host link: listeners, connections
 * (one per host), message handling, and the core observer that turns model
 * events into IRQ / MAP / UNMAP messages.
 *
 * A connection reads into one buffer of at most one message (header +
 * HL_MAX_PAYLOAD) and writes from a queue of whole messages, each with an
 * optional fd that travels with its first byte.  What a round queues leaves
 * together at its end (at once past FLUSH_AT), in one sendmmsg() (see
 * "output").  The queue is charged the
 * bytes really allocated for it; above half its bound the connection is
 * not parsed or read until the peer drains it (backpressure).  The fds of
 * queued MAPs/REMAPs are one per file, shared (struct qfd), at most
 * max_out_fds; a host that reads nothing is dropped at either bound.  A
 * connection must send HELLO within its listener's hello timeout; each
 * listener admits max_conns connections and, when full, replaces its
 * oldest un-HELLOed one.  Out of fds, accept() is paused, not spun.
 * Anything unexpected from the peer is a protocol violation: ERROR, then
 * close.  Connections are never freed from inside an observer callback or a
 * nested call: they are marked dead and reaped at the end of
 * hostlink_process_fd() or hostlink_tick().
 */
#include "hostlink/hostlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "cci/cci.h"
#include "cci/fault.h"
#include "cci/msg.h"
#include "core/core.h"
#include "common/sockpolicy.h"
#include "common/usock.h"
#include "hostlink/proto.h"
#include "mem/mem.h"

#define DEFAULT_MAX_OUT (16u << 20)
#define RBUF_INITIAL 4096u
/*
 * A receive buffer grown for a big message is kept while messages keep
 * coming (a stream of big WRITEs reuses it) and shrinks back to RBUF_INITIAL
 * once the connection has had nothing buffered for cfg.rbuf_idle_ms.
 */
/* Out of fds: try accepting again this often (and whenever a connection closes). */
#define ACCEPT_RETRY_MS 250u
#define RECV_ROUNDS 16

/*
 * A file the output queue of a connection holds open for the MAPs/REMAPs
 * it carries (docs/host-link.md "Sending"): one fd (mem_segment_fd()) per
 * file and access, shared by every queued message of that file, so a
 * queue holds as many fds as files, not one per message.  Counted against
 * the connection's max_out_fds (its listener's hostlink_limits.max_out_fds,
 * else hostlink_cfg.max_out_fds).
 */
struct qfd {
	struct qfd *next;           /* in its connection's bucket */
	dev_t dev;
	ino_t ino;
	unsigned mode;              /* QFD_SCOPED | QFD_WRITABLE */
	int fd;                     /* owned */
	uint32_t refs;              /* queued messages carrying it */
};
#define QFD_SCOPED 1u
#define QFD_WRITABLE 2u
#define QFD_BUCKETS 64u

struct outmsg {
	struct outmsg *next;
	size_t len, off;
	struct qfd *qf;             /* the fd it carries (a reference); NULL = none */
	uint8_t data[];
};

struct conn {
	struct conn *next;
	struct hostlink *hl;
	struct listener *l;         /* accepted on; NULL once the listener is gone */
	uint64_t hello_due_ms;      /* closed at this time without HELLO */
	int fd;
	bool is_unix;
	bool bound_only;            /* its listener's: only bound host ids may be claimed */
	bool hello;                 /* HELLO accepted */
	bool mapping;               /* direct mapping granted */
	bool diag;                  /* the host asked for DIAG before failed CCI responses */
	bool ras;                   /* the host asked for RAS_IRQ */
	bool dead;                  /* close at the next safe point */
	bool was_full;              /* the queue reached backpressure since it was last empty */
	bool waiting;               /* the CCI request at rbuf[0] waits for hostlink_cci_resume() */
	bool move_end;              /* the host asked for MOVE_END (it has mapping) */
	bool blocked;               /* the socket took no more: the queue waits for HOSTLINK_OUT */
	bool replaying;             /* queuing the MAPs of what the host holds (HELLO): unbounded fds */
	uint16_t host;
	uint64_t serial;            /* this connection's number, from 1: moves tell connections apart */
	struct cci_ctx *cci;
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint64_t rbuf_idle_due_ms;  /* rbuf (grown) shrinks then if still empty; 0: none */
	struct outmsg *oq_head, *oq_tail;
	size_t oq_bytes;            /* allocated for the queue: outmsg_cost() of each */
	struct qfd *qfds[QFD_BUCKETS]; /* the files the queue holds open, by inode */
	uint32_t nr_qfds;
	uint32_t max_out_fds;       /* nr_qfds bound: its listener's (hostlink_limits) */
	uint32_t seq_out;
	unsigned watched;
};

struct listener {
	struct listener *next;
	int fd;
	bool is_unix;
	bool paused;                /* out of fds: not watched until a retry */
	char *path;
	struct sockpolicy_owned own;
	uint32_t nr_conns;
	struct hostlink_limits lim;
};

/* One sharer binding of a move: what it was sent and whether it answered. */
struct move_peer {
	uint16_t host;
	uint64_t conn;              /* serial of the connection sent to (0: none; it may be gone) */
	uint64_t dpa, len;
	uint32_t waiting;           /* answers still due in this phase */
};

/* A PAUSE a move sent: the move ends it with a MOVE_END on that connection. */
struct move_pause {
	uint16_t host;
	uint64_t conn;              /* serial of the connection it went to */
	struct hl_pause pm;
};

/* struct move.phase of a move waiting for its next attempt (the wire's phases are 1 and 2) */
#define MOVE_WAITING 0u

/*
 * Moving the sharers of a shared grant off it after another sharer let it
 * go (mem_dev_move_*()): PAUSE each, switch, REMAP each, finish, and end
 * every PAUSE sent (MOVE_END), whichever way the attempt ends.  An attempt
 * that could not switch leaves the sharers on the old grant and waits
 * (MOVE_WAITING) for the next one, under a new id, until one switches or
 * the grant is gone.
 */
struct move {
	struct move *next;
	uint64_t id;                /* this attempt's */
	uint32_t phase;             /* HL_MOVE_PAUSED or HL_MOVE_REMAPPED: the answers awaited;
				     * MOVE_WAITING: none, the next attempt starts at due_ms */
	uint64_t due_ms;            /* the phase ends then, answered or not */
	uint32_t nr;
	struct move_peer *p;
	uint32_t nr_pz, cap_pz;
	struct move_pause *pz;      /* every PAUSE sent, in order */
	uint32_t attempt;           /* from 1 */
	uint64_t first_id;          /* the first attempt's id (logs) */
	uint32_t wait_ms;           /* the last wait before an attempt (0: none yet) */
	char failed[160];           /* why this attempt cannot switch ("": it can) */
};

/* A host id bound to a local identity: only such a peer may claim it. */
struct hl_bind {
	bool bound;
	bool check_gid;
	uid_t uid;
	gid_t gid;
};

struct hostlink {
	struct hostlink_cfg cfg;
	struct move *moves;
	struct core_observer obs;
	struct listener *listeners;
	struct conn *conns;
	struct conn **by_host;      /* [nr_hosts] */
	struct cci_faults *faults;  /* [nr_hosts]: fault injection for each host's connections */
	struct hl_bind *binds;      /* [nr_hosts]: who may claim each host id (hostlink_bind_host()) */
	uint16_t nr_hosts;
	uint32_t nr_conns;
	bool starting;              /* not started yet: HELLO is refused with STARTING */
	bool starved_logged;        /* the one line of this fd shortage is out */
	uint64_t retry_due_ms;      /* paused listeners are retried then; 0: none paused */
	uint64_t wake_due_ms;       /* the caller's wake request stands for then; 0: none */
	uint64_t conn_serial;       /* the last connection's serial */
	uint64_t take_due_ms;       /* marked grants are taken again then (no memory); 0: none */
	bool flush_due;             /* a connection has output not tried yet (flush_pending()) */
	struct sendvec *sv;         /* conn_flush()'s scratch */
	struct hostlink_stats st;
};

/* ------------------------------------------------------------ logging */

__attribute__((format(printf, 3, 4)))
static void hlog(const struct hostlink *hl, int level, const char *fmt, ...)
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

/* ------------------------------------------------------------ watching */

/* The caller flushes at the end of its loop rounds (hostlink_watch_ops.flush). */
static bool round_end_flush(const struct hostlink *hl)
{
	return hl->cfg.watch && hl->cfg.watch->flush;
}

/* Backpressure: over half the bound, take no new requests from the peer. */
static bool conn_full(const struct conn *c)
{
	return c->oq_bytes >= c->hl->cfg.max_out_bytes / 2;
}

static unsigned conn_wanted(const struct conn *c)
{
	unsigned ev = 0;

	if (c->dead)
		return 0;
	if (!conn_full(c) && !c->waiting)    /* a waiting request holds the rest back */
		ev |= HOSTLINK_IN;
	/* Output not tried yet goes at the end of the round, when the caller has one. */
	if (c->oq_head && (c->blocked || !round_end_flush(c->hl)))
		ev |= HOSTLINK_OUT;
	return ev;
}

static void conn_rewatch(struct conn *c)
{
	const struct hostlink_watch_ops *w = c->hl->cfg.watch;
	unsigned ev = conn_wanted(c);

	if (ev == c->watched)
		return;
	c->watched = ev;
	if (w && w->mod)
		w->mod(c->hl->cfg.watch_opaque, c->fd, ev);
}

/* ------------------------------------------------------------ output */

static struct outmsg *outmsg_new(size_t cap)
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
	struct qfd **pp = &c->qfds[q->ino % QFD_BUCKETS];

	if (--q->refs)
		return;
	while (*pp != q)
		pp = &(*pp)->next;
	*pp = q->next;
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
static void end_burst_if_idle(struct conn *c)
{
	if (c->was_full && !c->oq_head && !c->rlen) {
		c->was_full = false;
		give_back_memory();
	}
}

/*
 * A round's output leaves in one sendmmsg(), one sendmsg() of it per run of
 * messages: a run starts at a message with an fd, which rides in SCM_RIGHTS
 * with that message's first byte (docs/host-link.md, MAP: the receiver's
 * read that takes the byte takes the fd, and no other fd), and goes on with
 * the plain messages behind it, up to the next message with an fd.  So a
 * burst of UNMAPs or replies costs one system call, a burst of MAPs one per
 * SEND_RUNS of them instead of one each.
 */
#define SEND_RUNS 128u
#define SEND_IOVS 512u
/* Queued this much (outmsg_cost()) in a round, send at once (at most half the bound). */
#define FLUSH_AT (64u << 10)

struct sendvec {
	struct mmsghdr mm[SEND_RUNS];
	struct iovec iov[SEND_IOVS];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl[SEND_RUNS];
	size_t run_len[SEND_RUNS];
};

/* Lay out the head of c's queue as runs in hl->sv; return how many. */
static unsigned runs_build(struct conn *c)
{
	struct sendvec *sv = c->hl->sv;
	unsigned nr = 0, ni = 0;

	for (struct outmsg *m = c->oq_head; m && ni < SEND_IOVS; m = m->next) {
		/* a message the socket took part of sent its fd with its first byte */
		bool with_fd = m->qf && m->off == 0;
		struct msghdr *h;

		if (with_fd || !nr) {
			if (nr == SEND_RUNS)
				break;
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
			hlog(c->hl, LOG_ERR, "host=%u sendmmsg() went on past a partial send", c->host);
			c->dead = true;
		}
		return true;
	}
	return false;
}

/* Send what the socket takes now; the rest waits for HOSTLINK_OUT (c->blocked). */
static void conn_flush(struct conn *c)
{
	c->blocked = false;
	while (c->oq_head && !c->dead) {
		unsigned nr = runs_build(c);
		int sent;

		do
			sent = sendmmsg(c->fd, c->hl->sv->mm, nr, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (sent < 0 && errno == EINTR);
		c->hl->st.send_calls++;
		if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->blocked = true;
			break;
		}
		if (sent < 0) {
			hlog(c->hl, LOG_DEBUG, "host=%u send failed: %s", c->host, strerror(errno));
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
	}
	end_burst_if_idle(c);
	conn_rewatch(c);
}

/* Send what connections queued since the last time (the end of a round). */
static void flush_pending(struct hostlink *hl)
{
	if (!hl->flush_due)
		return;
	hl->flush_due = false;
	for (struct conn *c = hl->conns; c; c = c->next)
		if (c->oq_head && !c->blocked && !c->dead)
			conn_flush(c);
}

/* The end of one of our calls: a caller without round ends has its output sent now. */
static void call_done(struct hostlink *hl)
{
	if (!round_end_flush(hl))
		flush_pending(hl);
}

static size_t flush_at(const struct hostlink *hl)
{
	return hl->cfg.max_out_bytes / 2 < FLUSH_AT ? hl->cfg.max_out_bytes / 2 : FLUSH_AT;
}

/*
 * Queue a finished message (takes m).  It leaves with the rest of the round
 * (flush_pending()), at once when the round has queued FLUSH_AT, or behind
 * output that waits for the socket.
 */
static void conn_queue(struct conn *c, struct outmsg *m)
{
	struct hostlink *hl = c->hl;

	if (c->dead) {
		outmsg_free(c, m);
		return;
	}
	if (c->oq_bytes + outmsg_cost(m) > hl->cfg.max_out_bytes) {
		hlog(hl, LOG_INFO, "host=%u output queue above %zu bytes: dropping the connection",
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
	c->was_full |= conn_full(c);
	hl->st.msgs_out++;
	if (!c->blocked && c->oq_bytes >= flush_at(hl)) {
		conn_flush(c);
		return;
	}
	if (!c->blocked && !hl->flush_due) {
		hl->flush_due = true;
		if (round_end_flush(hl))
			hl->cfg.watch->flush(hl->cfg.watch_opaque);
	}
	conn_rewatch(c);    /* HOSTLINK_OUT without round ends; backpressure */
}

/*
 * A reference for c's queue to an fd of segment s (to send with a MAP or
 * REMAP): the one the queue already holds for its file (same inode, same
 * access), else a new one (mem_segment_fd()).  A queue at max_out_fds
 * files first sends what the socket takes; one still at it belongs to a
 * host that does not read, dropped as at the byte bound (but for the
 * replay of a HELLO, which may go past the bound).  Return 0,
 * -ETOOMANYREFS (dropped at the limit), or the -errno of the fd (logged,
 * dropped: the MAP cannot be sent).
 */
static int qfd_get(struct conn *c, const struct mem_segment *s, struct qfd **out)
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
	bucket = &c->qfds[st.st_ino % QFD_BUCKETS];
	for (q = *bucket; q; q = q->next) {
		if (q->ino == st.st_ino && q->dev == st.st_dev && q->mode == mode) {
			q->refs++;
			*out = q;
			return 0;
		}
	}
	if (c->nr_qfds >= c->max_out_fds && !c->blocked)
		conn_flush(c);
	if (c->dead)
		return -EPIPE;
	/*
	 * Not while the MAPs of a HELLO are queued: they come at once, before
	 * the host could read any, and hold at most an fd per file it holds.
	 */
	if (c->nr_qfds >= c->max_out_fds && !c->replaying) {
		hlog(hl, LOG_INFO, "host=%u output queue holds %u fds (max %u): dropping the connection",
		     c->host, c->nr_qfds, c->max_out_fds);
		hl->st.violations++;
		c->dead = true;
		return -ETOOMANYREFS;
	}
	q = malloc(sizeof(*q));
	rc = q ? mem_segment_fd(s) : -ENOMEM;
	if (rc < 0)
		goto err;
	*q = (struct qfd){ .next = *bucket, .dev = st.st_dev, .ino = st.st_ino, .mode = mode,
			   .fd = rc, .refs = 1 };
	*bucket = q;
	c->nr_qfds++;
	*out = q;
	return 0;
err:
	free(q);
	hl->st.map_errors++;
	hlog(hl, LOG_WARNING, "host=%u dpa=0x%llx len=0x%llx: no fd to send: %s: dropping the connection",
	     c->host, (unsigned long long)s->dpa, (unsigned long long)s->len, strerror(-rc));
	c->dead = true;
	return rc;
}

/* A small fixed message: header + payload written by fn. */
typedef int enc_fn(struct wwr *w, const void *arg);

/* qf: the fd it carries (takes the reference of qfd_get()), NULL = none */
static int conn_send(struct conn *c, uint8_t type, uint32_t seq, size_t cap, enc_fn *fn,
		     const void *arg, struct qfd *qf)
{
	struct outmsg *m = outmsg_new(HL_HDR_SIZE + cap);
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
	conn_queue(c, m);
	return 0;
}

static uint32_t next_seq(struct conn *c)
{
	return ++c->seq_out;
}

static int enc_error_cb(struct wwr *w, const void *arg)
{
	return hl_enc_error(w, HL_S_PROTO, arg);
}

/* Protocol violation: tell the peer (best effort), then drop it. */
__attribute__((format(printf, 2, 3)))
static void violation(struct conn *c, const char *fmt, ...)
{
	char text[HL_ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	hlog(c->hl, LOG_DEBUG, "host=%u fd=%d protocol violation: %s", c->host, c->fd, text);
	c->hl->st.violations++;
	conn_send(c, HL_ERROR, next_seq(c), HL_ERROR_HDR + HL_ERROR_TEXT_MAX, enc_error_cb, text,
		  NULL);
	c->dead = true;
}

/* ------------------------------------------------------------ connections */

static void resume_accept(struct hostlink *hl);

static void conn_close(struct conn *c)
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
		hlog(hl, LOG_INFO, "host=%u disconnected", c->host);
	}
	cci_ctx_free(c->cci);   /* discards an open chain's staging */
	if (dropped && hl->cfg.chain_dropped)
		hl->cfg.chain_dropped(hl->cfg.hook_opaque, c->host);
	while (c->oq_head) {
		struct outmsg *m = c->oq_head;

		c->oq_head = m->next;
		outmsg_free(c, m);
	}
	free(c->rbuf);
	if (c->was_full)
		give_back_memory();
	hl->nr_conns--;
	if (c->l)
		c->l->nr_conns--;
	free(c);
	resume_accept(hl);  /* an fd came free */
}

static struct conn *conn_of_host(const struct hostlink *hl, uint16_t host)
{
	struct conn *c;

	if (host >= hl->nr_hosts)
		return NULL;
	c = hl->by_host[host];
	return c && !c->dead ? c : NULL;
}

/* ------------------------------------------------------------ MAP / UNMAP */

static int enc_map_cb(struct wwr *w, const void *arg)
{
	const struct mem_segment *s = arg;
	struct hl_map m = { .dpa = s->dpa, .len = s->len, .offset = s->offset,
			    .flags = s->writable ? HL_MAP_F_WRITABLE : 0 };

	return hl_enc_map(w, &m);
}

static void send_maps(struct conn *c, const struct core_extent_info *x)
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
		hlog(hl, LOG_WARNING, "host=%u dpa=0x%llx len=0x%llx not mappable: %s", x->host,
		     (unsigned long long)x->ext.dpa, (unsigned long long)x->ext.len, err);
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		/* the host's view or shared grant, never the whole backend (unless trusted) */
		struct qfd *qf;

		if (qfd_get(c, &segs[i], &qf))
			break;
		conn_send(c, HL_MAP, next_seq(c), HL_MAP_SIZE, enc_map_cb, &segs[i], qf);
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

static void send_unmap(struct hostlink *hl, const struct core_extent_info *x, uint32_t reason)
{
	struct conn *c = conn_of_host(hl, x->host);
	struct hl_unmap m = { .dpa = x->ext.dpa, .len = x->ext.len, .reason = reason };

	if (!c)
		return;
	conn_send(c, HL_UNMAP, next_seq(c), HL_UNMAP_SIZE, enc_unmap_cb, &m, NULL);
	hl->st.unmaps++;
}

/* ------------------------------------------------------------ moves */

static uint64_t now_ms(const struct hostlink *hl);
static void wake_at(struct hostlink *hl, uint64_t due_ms);
static void move_advance(struct hostlink *hl, struct move *m);
static void move_end(struct hostlink *hl, struct move *m);

static int enc_pause_cb(struct wwr *w, const void *arg)
{
	return hl_enc_pause(w, arg);
}

static int enc_remap_cb(struct wwr *w, const void *arg)
{
	return hl_enc_remap(w, arg);
}

static int enc_move_end_cb(struct wwr *w, const void *arg)
{
	return hl_enc_move_end(w, arg);
}

/* The test seam: the -errno a step of a move is to fail with, or 0. */
static int move_fault(const struct hostlink *hl, enum hostlink_move_step step, uint16_t host)
{
	return hl->cfg.move_fault ? hl->cfg.move_fault(hl->cfg.move_fault_opaque, step, host) : 0;
}

/* The connection a move sent to, if it is still the host's: else NULL. */
static struct conn *conn_of_serial(const struct hostlink *hl, uint16_t host, uint64_t serial)
{
	struct conn *c = conn_of_host(hl, host);

	return c && serial && c->serial == serial ? c : NULL;
}

/*
 * The sharers of move m's grant now, into m->p (answers none yet).  Return 0
 * or -errno; m->p is as it was then.
 */
static int move_load(struct hostlink *hl, struct move *m)
{
	uint32_t n = 0, got;
	int rc = mem_dev_move_sharers(hl->cfg.md, m->id, NULL, 0, &n);
	struct mem_move_sharer *s;

	if (rc)
		return rc;
	s = calloc(n ? n : 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rc = mem_dev_move_sharers(hl->cfg.md, m->id, s, n, &got);
	if (!rc) {
		struct move_peer *p = calloc(n ? n : 1, sizeof(*p));

		if (!p) {
			rc = -ENOMEM;
		} else {
			free(m->p);
			m->p = p;
			m->nr = got < n ? got : n;
			for (uint32_t i = 0; i < m->nr; i++)
				p[i] = (struct move_peer){ .host = s[i].host, .dpa = s[i].dpa,
							   .len = s[i].len };
		}
	}
	free(s);
	return rc;
}

static bool move_answered(const struct hostlink *hl, const struct move *m)
{
	for (uint32_t i = 0; i < m->nr; i++)
		if (m->p[i].waiting && conn_of_serial(hl, m->p[i].host, m->p[i].conn))
			return false;
	return true;
}

static void move_free(struct move *m)
{
	free(m->p);
	free(m->pz);
	free(m);
}

/*
 * PAUSE peer i of m on c, and note it: move_end() ends every PAUSE noted,
 * whichever way the move ends.  One that cannot be noted is not sent (the
 * peer then moves unpaused, as one that does not answer).
 */
static void send_pause(struct hostlink *hl, struct move *m, uint32_t i, struct conn *c)
{
	struct move_pause *z;

	if (m->nr_pz == m->cap_pz) {
		uint32_t ncap = m->cap_pz ? m->cap_pz * 2 : 4;

		z = realloc(m->pz, ncap * sizeof(*z));
		if (!z) {
			hlog(hl, LOG_WARNING, "move %llu: out of memory: host=%u moves unpaused",
			     (unsigned long long)m->id, c->host);
			return;
		}
		m->pz = z;
		m->cap_pz = ncap;
	}
	z = &m->pz[m->nr_pz++];
	*z = (struct move_pause){ .host = c->host, .conn = c->serial,
				  .pm = { .dpa = m->p[i].dpa, .len = m->p[i].len, .id = m->id } };
	m->p[i].conn = c->serial;
	m->p[i].waiting = 1;
	conn_send(c, HL_PAUSE, next_seq(c), HL_PAUSE_SIZE, enc_pause_cb, &z->pm, NULL);
}

static void move_unlink(struct hostlink *hl, struct move *m)
{
	for (struct move **pp = &hl->moves; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
}

/*
 * The attempt of m failed before its sharers could move (m->failed says
 * why): they go on with the old grant, which the host that let go may
 * still reach through an fd it kept.  So the move is made again after a
 * wait that doubles with each failed attempt; m keeps the grant's id
 * meanwhile (a release by another sharer then is covered by the next
 * attempt).  No PAUSE of m is open any more.
 */
static void move_wait(struct hostlink *hl, struct move *m)
{
	m->phase = MOVE_WAITING;
	free(m->p);
	m->p = NULL;
	m->nr = 0;
	free(m->pz);
	m->pz = NULL;
	m->nr_pz = m->cap_pz = 0;
	m->wait_ms = m->wait_ms ? m->wait_ms * 2 : HOSTLINK_MOVE_RETRY_MIN_MS;
	if (m->wait_ms > HOSTLINK_MOVE_RETRY_MAX_MS)
		m->wait_ms = HOSTLINK_MOVE_RETRY_MAX_MS;
	m->due_ms = now_ms(hl) + m->wait_ms;
	hl->st.moves_waiting++;
	hlog(hl, LOG_WARNING, "move %llu: %s: the sharers stay on the old grant, which the host that let it go may still reach: moving them again in %u ms (attempt %u)",
	     (unsigned long long)m->id, m->failed, m->wait_ms, m->attempt + 1);
	m->failed[0] = '\0';
	wake_at(hl, m->due_ms);
}

/*
 * Attempt m->attempt of a move (m is on hl->moves): PAUSE every sharer of
 * its grant that has mapping.  The phase ends when all have answered or
 * its time runs out (move_advance()).
 */
static void move_start(struct hostlink *hl, struct move *m)
{
	int rc = move_fault(hl, HOSTLINK_MOVE_LIST, 0);

	if (!rc)
		rc = move_load(hl, m);

	if (rc == -ENOENT) {
		move_end(hl, m); /* the last sharer left: the grant was punched */
		return;
	}
	if (rc) {
		snprintf(m->failed, sizeof(m->failed), "cannot list the sharers: %s", strerror(-rc));
		move_wait(hl, m);
		return;
	}
	m->phase = HL_MOVE_PAUSED;
	m->due_ms = now_ms(hl) + hl->cfg.move_timeout_ms;
	for (uint32_t i = 0; i < m->nr; i++) {
		struct conn *c = conn_of_host(hl, m->p[i].host);

		if (c && c->mapping) /* else nothing mapped: the slow path switches with the grant */
			send_pause(hl, m, i, c);
	}
	if (m->attempt > 1)
		hlog(hl, LOG_INFO, "move %llu: attempt %u of move %llu: %u binding(s) share the grant: pausing them",
		     (unsigned long long)m->id, m->attempt, (unsigned long long)m->first_id, m->nr);
	else
		hlog(hl, LOG_INFO, "move %llu: a sharer let a shared grant go, %u binding(s) remain: pausing them",
		     (unsigned long long)m->id, m->nr);
	if (move_answered(hl, m))
		move_advance(hl, m);
	else
		wake_at(hl, m->due_ms);
}

/* Start moves for every grant a release or forced release left shared. */
static void moves_take(struct hostlink *hl)
{
	while (hl->cfg.md) {
		struct move *m = calloc(1, sizeof(*m));

		if (!m) {
			/* the grants stay marked: taken again later (moves_tick()) */
			hlog(hl, LOG_WARNING, "moves: out of memory: looking for shared grants to move again in %u ms",
			     HOSTLINK_MOVE_RETRY_MAX_MS);
			hl->take_due_ms = now_ms(hl) + HOSTLINK_MOVE_RETRY_MAX_MS;
			wake_at(hl, hl->take_due_ms);
			return;
		}
		m->id = mem_dev_move_take(hl->cfg.md);
		if (!m->id) {
			free(m);
			return;
		}
		m->attempt = 1;
		m->first_id = m->id;
		m->next = hl->moves;
		hl->moves = m;
		move_start(hl, m);
	}
}

/* The peer of m for sharer binding s (appended when new): its index, or -1 (no memory). */
static int move_peer_of(struct move *m, const struct mem_move_sharer *s)
{
	struct move_peer *p;

	for (uint32_t i = 0; i < m->nr; i++)
		if (m->p[i].host == s->host && m->p[i].dpa == s->dpa)
			return (int)i;
	p = realloc(m->p, (m->nr + 1) * sizeof(*p));
	if (!p)
		return -1;
	m->p = p;
	p[m->nr] = (struct move_peer){ .host = s->host, .dpa = s->dpa, .len = s->len };
	return (int)m->nr++;
}

/* Whether m has paused the binding at dpa on the connection of that serial. */
static bool paused_on(const struct move *m, uint64_t serial, uint64_t dpa)
{
	for (uint32_t i = 0; i < m->nr_pz; i++)
		if (m->pz[i].conn == serial && m->pz[i].pm.dpa == dpa)
			return true;
	return false;
}

/*
 * c's host was just sent the MAPs of [dpa, end) (it connected: its replay;
 * or it accepted an extent).  Those of a grant a move has paused are of the
 * grant being retired: the host is paused as well, on c, so that nothing it
 * writes misses the copy.  The phase keeps its deadline.
 */
static void moves_join(struct conn *c, uint64_t dpa, uint64_t end)
{
	struct hostlink *hl = c->hl;

	for (struct move *m = hl->moves; m; m = m->next) {
		struct mem_move_sharer *s;
		uint32_t n = 0, got = 0;

		if (m->phase != HL_MOVE_PAUSED || mem_dev_move_sharers(hl->cfg.md, m->id, NULL, 0, &n) ||
		    !n)
			continue;
		s = calloc(n, sizeof(*s));
		if (!s || mem_dev_move_sharers(hl->cfg.md, m->id, s, n, &got)) {
			free(s);
			continue;
		}
		for (uint32_t j = 0; j < n && j < got; j++) {
			int i;

			if (s[j].host != c->host || s[j].dpa >= end || s[j].dpa + s[j].len <= dpa ||
			    paused_on(m, c->serial, s[j].dpa))
				continue;
			i = move_peer_of(m, &s[j]);
			if (i >= 0)
				send_pause(hl, m, (uint32_t)i, c);
		}
		free(s);
	}
}

/*
 * Every PAUSE m sent ends: its host, if it asked and is still on the
 * connection paused, gets a MOVE_END of the same range after m's REMAPs.
 * Whatever of it no REMAP replaced has no grant to go to.
 */
static void end_pauses(struct hostlink *hl, const struct move *m)
{
	for (uint32_t i = 0; i < m->nr_pz; i++) {
		const struct move_pause *z = &m->pz[i];
		const struct hl_move_end e = { .dpa = z->pm.dpa, .len = z->pm.len, .id = z->pm.id };
		struct conn *c = conn_of_serial(hl, z->host, z->conn);

		if (!c || !c->move_end)
			continue;
		conn_send(c, HL_MOVE_END, next_seq(c), HL_MOVE_END_SIZE, enc_move_end_cb, &e, NULL);
		hl->st.move_ends++;
	}
}

/*
 * Every path of an attempt ends here (hostlink_free() aside: it closes every
 * connection): its PAUSEs end, and then the move does, or, when the attempt
 * could not switch, it waits for its next attempt.
 */
static void move_end(struct hostlink *hl, struct move *m)
{
	end_pauses(hl, m);
	if (m->failed[0]) {
		move_wait(hl, m);
	} else {
		move_unlink(hl, m);
		mem_dev_move_finish(hl->cfg.md, m->id);
		move_free(m);
	}
	moves_take(hl); /* a release during the move may have marked the fresh grant */
}

/* The wait of m is over: its next attempt, under a new id, unless the grant is gone. */
static void move_again(struct hostlink *hl, struct move *m)
{
	uint64_t id = mem_dev_move_again(hl->cfg.md, m->id);

	hl->st.moves_waiting--;
	if (!id) {
		hlog(hl, LOG_INFO, "move %llu: the grant is gone (its last sharer left): nothing to move",
		     (unsigned long long)m->id);
		move_unlink(hl, m);
		mem_dev_move_finish(hl->cfg.md, m->id);
		move_free(m);
		return;
	}
	hl->st.move_retries++;
	m->id = id;
	m->attempt++;
	move_start(hl, m);
}

/* The segments of peer p's range now, into *segs (one, or allocated); 0 or -errno (err). */
static int remap_segments(struct hostlink *hl, const struct move_peer *p, struct mem_segment *one,
			  struct mem_segment **segs, uint32_t *n, char *err, size_t cap)
{
	int rc = move_fault(hl, HOSTLINK_MOVE_REMAP, p->host);

	*segs = one;
	if (rc) {
		snprintf(err, cap, "%s", strerror(-rc));
		return rc;
	}
	rc = mem_dev_segments(hl->cfg.md, p->host, p->dpa, p->len, one, 8, n, err, cap);
	if (rc == -ENOSPC && *n > 8) {
		*segs = calloc(*n, sizeof(**segs));
		if (!*segs) {
			*segs = one;
			snprintf(err, cap, "out of memory");
			return -ENOMEM;
		}
		rc = mem_dev_segments(hl->cfg.md, p->host, p->dpa, p->len, *segs, *n, n, err, cap);
	}
	return rc;
}

/* Send REMAPs of peer p's range (its segments now) on c; return how many. */
static uint32_t send_remaps(struct hostlink *hl, struct conn *c, const struct move_peer *p,
			    uint64_t id)
{
	struct mem_segment one[8], *segs;
	uint32_t n = 0, sent = 0;
	char err[160];

	if (remap_segments(hl, p, one, &segs, &n, err, sizeof(err))) {
		hl->st.map_errors++;
		hlog(hl, LOG_WARNING, "move %llu: host=%u dpa=0x%llx not remappable: %s (its MOVE_END ends it)",
		     (unsigned long long)id, p->host, (unsigned long long)p->dpa, err);
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct hl_remap rm = { .map = { .dpa = segs[i].dpa, .len = segs[i].len,
						.offset = segs[i].offset,
						.flags = segs[i].writable ? HL_MAP_F_WRITABLE : 0 },
				       .id = id };
		struct qfd *qf;

		if (qfd_get(c, &segs[i], &qf))
			break;
		if (conn_send(c, HL_REMAP, next_seq(c), HL_REMAP_SIZE, enc_remap_cb, &rm, qf) == 0)
			sent++;
	}
out:
	if (segs != one)
		free(segs);
	return sent;
}

/* The phase of m is over (every sharer answered, or its time ran out). */
static void move_advance(struct hostlink *hl, struct move *m)
{
	bool seam;
	int rc;

	if (m->phase == HL_MOVE_REMAPPED) {
		move_end(hl, m);
		return;
	}
	rc = move_fault(hl, HOSTLINK_MOVE_SWITCH, 0);
	seam = rc != 0;
	if (!rc)
		rc = mem_dev_move_switch(hl->cfg.md, m->id);
	if (rc == -ENOENT) {
		move_end(hl, m); /* the last sharer left: the grant was punched */
		return;
	}
	if (rc) {
		/* the sharers resume on the old grant (their REMAP carries it); then m waits */
		snprintf(m->failed, sizeof(m->failed), "cannot make a fresh grant: %s",
			 rc == -EALREADY ? "switched before" :
			 seam ? strerror(-rc) : mem_dev_last_error(hl->cfg.md));
	} else {
		hl->st.moves++;
		if (m->attempt > 1)
			hlog(hl, LOG_INFO, "move %llu: attempt %u of move %llu made a fresh grant: the old one is punched when the sharers have remapped",
			     (unsigned long long)m->id, m->attempt, (unsigned long long)m->first_id);
	}
	rc = move_fault(hl, HOSTLINK_MOVE_LOAD, 0);
	if (!rc)
		rc = move_load(hl, m);
	if (rc) /* m->p still lists the sharers paused: remap those, onto what holds them now */
		hlog(hl, LOG_WARNING, "move %llu: cannot read the sharers again: %s: remapping the %u paused",
		     (unsigned long long)m->id, strerror(-rc), m->nr);
	m->phase = HL_MOVE_REMAPPED;
	m->due_ms = now_ms(hl) + hl->cfg.move_timeout_ms;
	for (uint32_t i = 0; i < m->nr; i++) {
		struct conn *c = conn_of_host(hl, m->p[i].host);

		m->p[i].conn = 0;
		m->p[i].waiting = 0;
		if (!c || !c->mapping)
			continue;
		m->p[i].conn = c->serial;
		m->p[i].waiting = send_remaps(hl, c, &m->p[i], m->id);
	}
	if (move_answered(hl, m))
		move_end(hl, m);
	else
		wake_at(hl, m->due_ms);
}

static void on_move_ack(struct conn *c, const struct hl_hdr *h, const uint8_t *p)
{
	struct hostlink *hl = c->hl;
	struct hl_move_ack a;
	struct move *m;

	if (hl_dec_move_ack(p, h->len, &a)) {
		violation(c, "malformed move-ack");
		return;
	}
	for (m = hl->moves; m && m->id != a.id; m = m->next)
		;
	if (!m || m->phase != a.phase)
		return; /* late: that phase ended without it */
	for (uint32_t i = 0; i < m->nr; i++) {
		if (m->p[i].conn == c->serial && m->p[i].waiting) {
			m->p[i].waiting--;
			break;
		}
	}
	if (move_answered(hl, m))
		move_advance(hl, m);
}

/*
 * Phases whose time ran out end now, and waits that are over start their
 * next attempt; return the next due time (0: none).
 */
static uint64_t moves_tick(struct hostlink *hl, uint64_t now)
{
	uint64_t next = 0;
	bool again = true;

	if (hl->take_due_ms && hl->take_due_ms <= now) {
		hl->take_due_ms = 0;
		moves_take(hl);
	}
	while (again) {
		again = false;
		next = hl->take_due_ms;
		for (struct move *m = hl->moves; m; m = m->next) {
			if (m->due_ms > now) {
				if (!next || m->due_ms < next)
					next = m->due_ms;
				continue;
			}
			if (m->phase == MOVE_WAITING) {
				move_again(hl, m); /* may free m and start others: look again */
				again = true;
				break;
			}
			for (uint32_t i = 0; i < m->nr; i++) {
				if (m->p[i].waiting && conn_of_serial(hl, m->p[i].host, m->p[i].conn)) {
					hl->st.move_timeouts++;
					hlog(hl, LOG_WARNING, "move %llu: host=%u did not answer %s in %u ms: going on without it",
					     (unsigned long long)m->id, m->p[i].host,
					     m->phase == HL_MOVE_PAUSED ? "pause" : "remap",
					     hl->cfg.move_timeout_ms);
				}
			}
			move_advance(hl, m); /* may free m and start others: look again */
			again = true;
			break;
		}
	}
	return next;
}

/* ------------------------------------------------------------ observer */

static void obs_accepted(void *opaque, const struct core_extent_info *x)
{
	struct hostlink *hl = opaque;
	struct conn *c = conn_of_host(hl, x->host);

	if (c && c->mapping) {
		send_maps(c, x);
		if (hl->moves) /* a sharer that joins a grant being moved is paused too */
			moves_join(c, x->ext.dpa, x->ext.dpa + x->ext.len);
	}
}

static void obs_released(void *opaque, const struct core_extent_info *x)
{
	send_unmap(opaque, x, HL_UNMAP_RELEASED);
	moves_take(opaque); /* the releasing host may keep its fd: move the others */
}

static void obs_revoked(void *opaque, const struct core_extent_info *x)
{
	send_unmap(opaque, x, HL_UNMAP_REVOKED);
	moves_take(opaque); /* a shared grant left to others: move them (docs/host-link.md) */
}

static int enc_irq_cb(struct wwr *w, const void *arg)
{
	return hl_enc_irq(w, arg);
}

/* CXL r3.2 §8.2.10.2.5: interrupt on the empty -> non-empty transition, mode != none. */
static void obs_log_nonempty(void *opaque, uint16_t owner, uint8_t log)
{
	struct hostlink *hl = opaque;
	struct conn *c = conn_of_host(hl, owner);
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
	conn_send(c, HL_IRQ, next_seq(c), HL_IRQ_SIZE, enc_irq_cb, &m, NULL);
	hl->st.irqs++;
}

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
	conn_send(c, HL_RAS_IRQ, next_seq(c), HL_RAS_IRQ_SIZE, enc_ras_irq_cb, &m, NULL);
	c->hl->st.irqs++;
}

static void obs_ras_error(void *opaque, uint16_t host, bool uncorrectable)
{
	send_ras_irq(conn_of_host(opaque, host), uncorrectable);
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
		violation(c, "ras-read-req payload length=%u, expected 0", h->len);
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
	conn_send(c, HL_RAS_READ_RSP, h->seq, HL_RAS_READ_RSP_SIZE, enc_ras_regs_cb, &m, NULL);
}

/* Not journaled: the RAS registers are volatile across a daemon restart (core.h). */
static void on_ras_write(struct conn *c, const struct hl_hdr *h, const uint8_t *p)
{
	struct hl_ras_write m;
	uint32_t status = HL_S_OK;

	if (hl_dec_ras_write(p, h->len, &m)) {
		violation(c, "ras-write-req payload length=%u, expected %u", h->len,
			  HL_RAS_WRITE_REQ_SIZE);
		return;
	}
	if (core_ras_write(c->hl->cfg.dev, c->host, m.offset, m.value, NULL) != CXLDCD_RC_SUCCESS)
		status = HL_S_INVAL;
	conn_send(c, HL_RAS_WRITE_RSP, h->seq, HL_RAS_WRITE_RSP_SIZE, enc_status_cb, &status, NULL);
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

/*
 * Static capacity (every host's, docs/memory.md) then already-accepted
 * capacity of a (re)connecting host, as MAPs.
 */
static void replay_maps(struct conn *c)
{
	struct core_extent_info x[16];
	uint32_t start = 0, n;
	uint64_t st = core_static_capacity_of(c->hl->cfg.dev, c->host);

	if (st) {
		x[0] = (struct core_extent_info){ .host = c->host, .ext = { .dpa = 0, .len = st } };
		send_maps(c, &x[0]);
	}
	for (;;) {
		if (core_extent_list_info(c->hl->cfg.dev, c->host, start, 16, x, &n) !=
			    CXLDCD_RC_SUCCESS ||
		    !n)
			return;
		for (uint32_t i = 0; i < n && !c->dead; i++)
			send_maps(c, &x[i]);
		start += n;
	}
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
	hlog(hl, LOG_INFO, "hello refused: %s", text);
	conn_send(c, HL_ERROR, next_seq(c), HL_ERROR_HDR + HL_ERROR_TEXT_MAX, enc_starting_cb,
		  text, NULL);
	conn_send(c, HL_HELLO_ACK, h->seq, HL_HELLO_ACK_SIZE, enc_ack_cb, &a, NULL);
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
		hlog(c->hl, LOG_WARNING, "host=%u: HELLO from uid %u refused: host %u is not bound to a user (bound-only)",
		     host, (unsigned)cr.uid, host);
		return false;
	}
	if (!b->bound) {
		hlog(c->hl, LOG_WARNING, "host=%u: HELLO refused: host %u is not bound to a user (bound-only)",
		     host, host);
		return false;
	}
	if (!c->is_unix) {
		hlog(c->hl, LOG_WARNING, "host=%u: HELLO over TCP refused: host %u is bound to uid %u",
		     host, host, (unsigned)b->uid);
		return false;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || len != sizeof(cr)) {
		hlog(c->hl, LOG_WARNING, "host=%u: HELLO refused: no peer credentials: %s", host,
		     strerror(errno));
		return false;
	}
	if (cr.uid != b->uid) {
		hlog(c->hl, LOG_WARNING, "host=%u: HELLO from uid %u refused: host %u is bound to uid %u",
		     host, (unsigned)cr.uid, host, (unsigned)b->uid);
		return false;
	}
	if (b->check_gid && cr.gid != b->gid) {
		hlog(c->hl, LOG_WARNING, "host=%u: HELLO from uid %u gid %u refused: host %u is bound to uid %u gid %u",
		     host, (unsigned)cr.uid, (unsigned)cr.gid, host, (unsigned)b->uid,
		     (unsigned)b->gid);
		return false;
	}
	return true;
}

static void on_hello(struct conn *c, const struct hl_hdr *h, const uint8_t *p)
{
	struct hostlink *hl = c->hl;
	struct hl_hello m;
	struct hl_hello_ack a;

	if (c->hello) {
		violation(c, "second hello");
		return;
	}
	if (hl_dec_hello(p, h->len, &m)) {
		violation(c, "hello payload length=%u, expected %u", h->len, HL_HELLO_SIZE);
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
		hlog(hl, LOG_INFO, "hello host=%u refused: status=%u", m.host_id, a.status);
		conn_send(c, HL_HELLO_ACK, h->seq, HL_HELLO_ACK_SIZE, enc_ack_cb, &a, NULL);
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
	a.flags = (c->mapping ? HL_ACK_F_MAP : 0) | (c->diag ? HL_ACK_F_DIAG : 0) |
		  (c->ras ? HL_ACK_F_RAS : 0) | (c->move_end ? HL_ACK_F_MOVE_END : 0);
	hl->by_host[c->host] = c;
	hlog(hl, LOG_INFO, "host=%u connected mapping=%s", c->host, c->mapping ? "on" : "off");
	conn_send(c, HL_HELLO_ACK, h->seq, HL_HELLO_ACK_SIZE, enc_ack_cb, &a, NULL);
	if (c->mapping) {
		c->replaying = true;
		replay_maps(c);
		c->replaying = false;
		moves_join(c, 0, UINT64_MAX);
	}
	replay_ras(c);
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
	conn_send(c, HL_DIAG, seq, HL_DIAG_HDR + HL_DIAG_TEXT_MAX, enc_diag_cb, &m, NULL);
}

/* Run one CCI request (or answer it with @refuse, unrun) and queue its response. */
static void cci_run(struct conn *c, const struct hl_hdr *h, const uint8_t *p, uint16_t refuse)
{
	size_t cap = CXLDCD_CCI_HDR_SIZE + cci_ctx_max_payload(c->cci);
	struct outmsg *m = outmsg_new(HL_HDR_SIZE + cap), *small;
	const struct hostlink_cfg *hc = &c->hl->cfg;
	bool was_open = cci_ctx_chain_open(c->cci);
	struct wwr w;
	size_t rsp_len = 0;
	int rc;

	if (!m) {
		c->dead = true;
		return;
	}
	if (refuse) {   /* not run: a header-only response with that return code */
		struct cci_hdr rq = { 0 };

		cci_dec_hdr(p, h->len, &rq);
		cci_enc_refusal(&rq, refuse, m->data + HL_HDR_SIZE, cap);
		rsp_len = CXLDCD_CCI_HDR_SIZE;
		goto send;
	}
	/* Observers may queue MAP/UNMAP/IRQ here: they go out before the response. */
	rc = cci_handle_msg(c->cci, p, h->len, m->data + HL_HDR_SIZE, cap, &rsp_len);
	if (rc) {
		free(m);
		violation(c, "cci message not answerable (len=%u): %s", h->len, strerror(-rc));
		return;
	}
	if (cci_ctx_diag(c->cci)->reason) {
		const struct cxldcd_diag *d = cci_ctx_diag(c->cci);

		hlog(c->hl, LOG_DEBUG, "host=%u cci %s (%s): %s", c->host, cxldcd_rc_str(d->rc),
		     core_reason_str(d->reason), d->text);
	}
	if (hc->cci_after && hc->cci_after(hc->hook_opaque, c->host, p, h->len,
					   m->data + HL_HDR_SIZE, rsp_len, was_open)) {
		free(m);
		hlog(c->hl, LOG_ERR, "host=%u: request not made durable: closing", c->host);
		c->dead = true;
		return;
	}
	send_diag(c, h->seq, p, h->len, m->data + HL_HDR_SIZE, rsp_len);
send:
	wwr_init(&w, m->data, HL_HDR_SIZE + rsp_len);
	hl_msg_begin(&w, HL_CCI_RSP, h->seq);
	w.off = HL_HDR_SIZE + rsp_len;
	hl_msg_end(&w);
	m->len = w.off;
	small = realloc(m, sizeof(*m) + m->len);
	conn_queue(c, small ? small : m);
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
	cci_run(c, h, p, refuse);
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
		violation(c, "%s payload length=%u does not match", write ? "write" : "read",
			  h->len);
		return;
	}
	/* Exactly what the response holds: a 1-byte read queues a 1-byte reply. */
	m = outmsg_new(HL_HDR_SIZE + HL_IO_RSP_SIZE +
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
		hlog(hl, LOG_DEBUG, "host=%u %s dpa=0x%llx len=0x%x: %s", c->host,
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
	conn_queue(c, m);
}

static void on_message(struct conn *c, const struct hl_hdr *h, const uint8_t *p)
{
	c->hl->st.msgs_in++;
	if (!c->hello && h->type != HL_HELLO) {
		violation(c, "%s (type=0x%02x) before hello", hl_type_name(h->type), h->type);
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
		on_move_ack(c, h, p);
		break;
	case HL_RAS_READ_REQ:
		on_ras_read(c, h);
		break;
	case HL_RAS_WRITE_REQ:
		on_ras_write(c, h, p);
		break;
	case HL_ERROR:
		hlog(c->hl, LOG_INFO, "host=%u sent error, closing", c->host);
		c->dead = true;
		break;
	default:
		violation(c, "unexpected message type=0x%02x (%s)", h->type, hl_type_name(h->type));
		break;
	}
}

/* Parse every complete message in rbuf. */
static void conn_parse(struct conn *c)
{
	size_t off = 0;

	while (!c->dead && !conn_full(c) && !c->waiting) {
		struct hl_hdr h;
		int rc = hl_dec_hdr(c->rbuf + off, c->rlen - off, &h);

		if (rc == -EAGAIN)
			break;
		if (rc) {
			violation(c, rc == -EPROTO ? "bad magic or version" : "payload too long");
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
		c->rbuf_idle_due_ms = now_ms(c->hl) + c->hl->cfg.rbuf_idle_ms;
		wake_at(c->hl, c->rbuf_idle_due_ms);
	}
	end_burst_if_idle(c);
}

static void conn_read(struct conn *c)
{
	for (int round = 0; round < RECV_ROUNDS && !c->dead; round++) {
		int fds[4];
		unsigned nfd = 0;
		ssize_t n;

		if (conn_wanted(c) & HOSTLINK_IN) {
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
				violation(c, "host sent file descriptors");
			else
				c->dead = true;
			return;
		}
		c->rlen += (size_t)n;
		conn_parse(c);
	}
}

/* ------------------------------------------------------------ timers */

/* The caller's clock (cfg.clock), else CLOCK_MONOTONIC. */
static uint64_t now_ms(const struct hostlink *hl)
{
	return hl->cfg.clock ? hl->cfg.clock(hl->cfg.clock_opaque) : clock_now_ms();
}

/* Ask the caller's loop for a hostlink_tick() at @due_ms, unless one comes earlier. */
static void wake_at(struct hostlink *hl, uint64_t due_ms)
{
	const struct hostlink_watch_ops *w = hl->cfg.watch;
	uint64_t now = now_ms(hl);

	if (hl->wake_due_ms && hl->wake_due_ms <= due_ms)
		return;
	hl->wake_due_ms = due_ms;
	if (w && w->wake)
		w->wake(hl->cfg.watch_opaque, due_ms > now ? due_ms - now : 0);
}

/* ------------------------------------------------------------ listeners */

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static void watch_listener(struct hostlink *hl, struct listener *l, unsigned events)
{
	if (hl->cfg.watch && hl->cfg.watch->mod)
		hl->cfg.watch->mod(hl->cfg.watch_opaque, l->fd, events);
}

/*
 * Out of file descriptors the pending connection stays in the backlog and
 * the listener stays readable: watching it would spin.  Stop watching, say
 * so once per shortage, retry when a connection closes or after
 * ACCEPT_RETRY_MS.
 */
static void pause_accept(struct hostlink *hl, struct listener *l, int err)
{
	if (!hl->starved_logged) {
		hlog(hl, LOG_WARNING, "accept paused: %s (retrying every %u ms)", strerror(err),
		     ACCEPT_RETRY_MS);
		hl->starved_logged = true;
	}
	hl->st.accept_pauses++;
	l->paused = true;
	watch_listener(hl, l, 0);
	if (!hl->retry_due_ms)
		hl->retry_due_ms = now_ms(hl) + ACCEPT_RETRY_MS;
	wake_at(hl, hl->retry_due_ms);
}

static void resume_accept(struct hostlink *hl)
{
	if (!hl->retry_due_ms)
		return;
	hl->retry_due_ms = 0;
	for (struct listener *l = hl->listeners; l; l = l->next) {
		if (l->paused) {
			l->paused = false;
			watch_listener(hl, l, HOSTLINK_IN);
		}
	}
}

/* The listener's oldest connection that has not sent HELLO (the list is newest first). */
static struct conn *oldest_unhelloed(struct hostlink *hl, const struct listener *l)
{
	struct conn *found = NULL;

	for (struct conn *c = hl->conns; c; c = c->next)
		if (c->l == l && !c->hello && !c->dead)
			found = c;
	return found;
}

/* Room for one more connection on @l: evict the oldest un-HELLOed one if full. */
static bool make_room(struct hostlink *hl, struct listener *l)
{
	struct conn *victim;

	if (l->nr_conns < l->lim.max_conns)
		return true;
	victim = oldest_unhelloed(hl, l);
	if (!victim) {
		/* peer-caused and repeatable at will: not worth more than a debug line */
		hlog(hl, LOG_DEBUG, "listener full (max-conns=%u, all past hello): refusing a connection",
		     l->lim.max_conns);
		return false;
	}
	hlog(hl, LOG_DEBUG, "listener full (max-conns=%u): dropping fd=%d, which sent no hello",
	     l->lim.max_conns, victim->fd);
	hl->st.evicted++;
	victim->dead = true;
	victim->l = NULL;   /* its slot goes to the new connection now */
	l->nr_conns--;
	return true;
}

static struct conn *conn_new(struct hostlink *hl, struct listener *l, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c)
		c->rbuf = malloc(RBUF_INITIAL);
	if (!c || !c->rbuf) {
		free(c);
		return NULL;
	}
	if (!l->is_unix) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	c->hl = hl;
	c->l = l;
	c->fd = fd;
	c->serial = ++hl->conn_serial;
	c->is_unix = l->is_unix;
	c->bound_only = l->lim.bound_only;
	c->rcap = RBUF_INITIAL;
	c->watched = HOSTLINK_IN;
	c->hello_due_ms = now_ms(hl) + l->lim.hello_timeout_ms;
	c->max_out_fds = l->lim.max_out_fds;
	if (hl->cfg.watch && hl->cfg.watch->add &&
	    hl->cfg.watch->add(hl->cfg.watch_opaque, fd, HOSTLINK_IN)) {
		free(c->rbuf);
		free(c);
		return NULL;
	}
	return c;
}

static void on_accept(struct hostlink *hl, struct listener *l)
{
	while (!l->paused) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				pause_accept(hl, l, errno);
			return;
		}
		if (hl->starved_logged) {
			hlog(hl, LOG_NOTICE, "accepting connections again");
			hl->starved_logged = false;
		}
		if (!make_room(hl, l)) {
			close(fd);
			continue;
		}
		c = conn_new(hl, l, fd);
		if (!c) {
			close(fd);
			return;
		}
		c->next = hl->conns;
		hl->conns = c;
		hl->nr_conns++;
		l->nr_conns++;
		wake_at(hl, c->hello_due_ms);
		hlog(hl, LOG_DEBUG, "connection fd=%d (%s)", fd, l->is_unix ? "unix" : "tcp");
	}
}

static int add_listener(struct hostlink *hl, int fd, bool is_unix, const char *path,
			const struct hostlink_limits *lim)
{
	struct listener *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	if (path && !(l->path = strdup(path))) {
		free(l);
		return -ENOMEM;
	}
	if (hl->cfg.watch && hl->cfg.watch->add) {
		rc = hl->cfg.watch->add(hl->cfg.watch_opaque, fd, HOSTLINK_IN);
		if (rc) {
			free(l->path);
			free(l);
			return rc;
		}
	}
	l->fd = fd;
	l->is_unix = is_unix;
	l->lim.max_conns = lim && lim->max_conns ? lim->max_conns : hl->cfg.max_conns;
	l->lim.hello_timeout_ms = lim && lim->hello_timeout_ms ? lim->hello_timeout_ms
							       : hl->cfg.hello_timeout_ms;
	l->lim.max_out_fds = lim && lim->max_out_fds ? lim->max_out_fds : hl->cfg.max_out_fds;
	l->lim.bound_only = lim && lim->bound_only;
	l->next = hl->listeners;
	hl->listeners = l;
	return 0;
}

int hostlink_listen_fd(struct hostlink *hl, int fd, int is_unix)
{
	int rc = set_nonblock_cloexec(fd);

	return rc ? rc : add_listener(hl, fd, is_unix != 0, NULL, NULL);
}

/*
 * The kernel's queue of connections not accepted yet, per listener: room
 * for every host of a device (up to 256) arriving at once, as a fleet
 * booting does.  It was 16: past that a TCP host's SYN was dropped and
 * retried a second later, and a non-blocking Unix connect failed (EAGAIN).
 * The kernel caps it at net.core.somaxconn (4096 by default).
 */
#define HL_BACKLOG 512

/*
 * The socket file we just made at @path (still the one @own recorded: the
 * path is not followed if it was replaced) gets group @gid and mode 0660;
 * @own is taken again (the change moved its ctime).  Return 0 or -errno.
 */
static int share_with_group(const char *path, gid_t gid, struct sockpolicy_owned *own)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode) || st.st_dev != own->dev || st.st_ino != own->ino)
		return -EEXIST;
	if (lchown(path, (uid_t)-1, gid) < 0 || chmod(path, 0660) < 0)
		return -errno;
	return sockpolicy_own(path, own);
}

int hostlink_listen_unix(struct hostlink *hl, const char *path, const struct hostlink_limits *lim)
{
	struct sockpolicy_owned own;
	int fd, rc;

	if (!hl || !path)
		return -EINVAL;
	fd = usock_listen_own(path, HL_BACKLOG, &own);
	if (fd == -ENAMETOOLONG)
		return -EINVAL;
	if (fd < 0)
		return fd;
	rc = lim && lim->set_group ? share_with_group(path, lim->group, &own) : 0;
	if (!rc)
		rc = add_listener(hl, fd, true, path, lim);
	if (rc) {
		sockpolicy_release(path, &own);
		close(fd);
		return rc;
	}
	hl->listeners->own = own;
	return 0;
}

int hostlink_bind_host(struct hostlink *hl, uint16_t host, uid_t uid, gid_t gid)
{
	struct hl_bind *b;

	if (!hl || host >= hl->nr_hosts || uid == (uid_t)-1)
		return -EINVAL;
	b = &hl->binds[host];
	if (b->bound && (b->uid != uid || b->gid != gid))
		return -EEXIST;
	*b = (struct hl_bind){ .bound = true, .check_gid = gid != (gid_t)-1, .uid = uid, .gid = gid };
	if (gid != (gid_t)-1)
		hlog(hl, LOG_INFO, "host=%u bound to uid %u gid %u", host, (unsigned)uid, (unsigned)gid);
	else
		hlog(hl, LOG_INFO, "host=%u bound to uid %u", host, (unsigned)uid);
	return 0;
}

int hostlink_listen_tcp(struct hostlink *hl, const char *addr, uint16_t port, uint16_t *port_out,
			const struct hostlink_limits *lim)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t sl = sizeof(sa);
	int fd, rc, one = 1;

	if (!hl || inet_pton(AF_INET, addr ? addr : "127.0.0.1", &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, HL_BACKLOG) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (port_out)
		*port_out = ntohs(sa.sin_port);
	rc = add_listener(hl, fd, false, NULL, lim);
	if (rc) {
		close(fd);
		return rc;
	}
	if (!sockpolicy_is_loopback((const struct sockaddr *)&sa)) {
		char bound[64];

		snprintf(bound, sizeof(bound), "tcp:%s:%u", addr, ntohs(sa.sin_port));
		hlog(hl, LOG_WARNING, SOCKPOLICY_TCP_WARNING, bound);
	}
	return 0;
}

/* ------------------------------------------------------------ public */

/*
 * Each host's queue may hold its share of half the fds this process may
 * open (RLIMIT_NOFILE, soft, now): the other half stays for the views and
 * shared grants (docs/memory.md), connections, listeners and the store.
 */
static uint32_t default_max_out_fds(uint16_t nr_hosts)
{
	struct rlimit rl;
	uint64_t n = HOSTLINK_MAX_OUT_FDS_CAP;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = (uint64_t)rl.rlim_cur / 2 / (nr_hosts ? nr_hosts : 1u);
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
	hl->obs.ras_error = obs_ras_error;
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
		conn_send(c, HL_ERROR, next_seq(c), HL_ERROR_HDR + HL_ERROR_TEXT_MAX, enc_bye_cb,
			  "device closing the link", NULL);
}

void hostlink_free(struct hostlink *hl)
{
	if (!hl)
		return;
	while (hl->conns) {
		conn_goodbye(hl->conns);
		hl->conns->dead = false;    /* best effort, as reap(): what was queued, the goodbye last */
		conn_flush(hl->conns);
		conn_close(hl->conns);
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
		move_free(m);
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
			conn_flush(c);
			conn_close(c);
		}
	}
}

int hostlink_process_fd(struct hostlink *hl, int fd, unsigned events)
{
	struct conn *c;

	for (struct listener *l = hl->listeners; l; l = l->next) {
		if (l->fd == fd) {
			on_accept(hl, l);
			return 0;
		}
	}
	for (c = hl->conns; c && c->fd != fd; c = c->next)
		;
	if (!c) {
		call_done(hl);
		reap(hl);
		return -ENOENT;
	}
	if (events & HOSTLINK_OUT)
		conn_flush(c);
	if (c->rlen && !c->dead)
		conn_parse(c);      /* requests held back while the queue was full */
	if (events & (HOSTLINK_IN | HOSTLINK_ERR))
		conn_read(c);
	if (!c->dead && (events & HOSTLINK_ERR) && !(events & HOSTLINK_IN))
		c->dead = true;
	if (!c->dead)
		conn_rewatch(c);
	call_done(hl);
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
	uint64_t now = now_ms(hl), next = 0;

	hl->wake_due_ms = 0;
	if (hl->retry_due_ms && hl->retry_due_ms <= now)
		resume_accept(hl);
	for (struct conn *c = hl->conns; c; c = c->next) {
		uint64_t due = c->dead ? 0 : rbuf_tick(c, now);

		if (due && (!next || due < next))
			next = due;
		if (c->hello || c->dead)
			continue;
		if (c->hello_due_ms <= now) {
			hlog(hl, LOG_DEBUG, "fd=%d sent no hello in time: closing", c->fd);
			hl->st.hello_timeouts++;
			conn_send(c, HL_ERROR, next_seq(c), HL_ERROR_HDR + HL_ERROR_TEXT_MAX,
				  enc_error_cb, "no hello in time", NULL);
			c->dead = true;
		} else if (!next || c->hello_due_ms < next) {
			next = c->hello_due_ms;
		}
	}
	if (hl->moves || hl->take_due_ms) {
		uint64_t due = moves_tick(hl, now);

		if (due && (!next || due < next))
			next = due;
	}
	call_done(hl);
	reap(hl);
	if (hl->retry_due_ms && (!next || hl->retry_due_ms < next))
		next = hl->retry_due_ms;
	if (!next)
		return -1;
	wake_at(hl, next);
	return next > now ? (int64_t)(next - now) : 0;
}

size_t hostlink_pollfds(const struct hostlink *hl, struct pollfd *out, size_t cap)
{
	size_t n = 0;

	for (const struct listener *l = hl->listeners; l; l = l->next, n++)
		if (n < cap)
			out[n] = (struct pollfd){ .fd = l->fd, .events = l->paused ? 0 : POLLIN };
	for (const struct conn *c = hl->conns; c; c = c->next, n++) {
		unsigned ev = conn_wanted(c);

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
	return conn_of_host(hl, host) != NULL;
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
		cci_run(c, &h, c->rbuf + HL_HDR_SIZE, refuse);
		n = HL_HDR_SIZE + (size_t)h.len;
		memmove(c->rbuf, c->rbuf + n, c->rlen - n);
		c->rlen -= n;
	}
	if (!c->dead)
		conn_parse(c);      /* what arrived behind it */
	if (!c->dead)
		conn_rewatch(c);
	call_done(hl);
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
	c = conn_of_host(hl, host);
	if (!c)
		return -ENOENT;
	conn_goodbye(c);
	c->dead = true;
	call_done(hl);
	reap(hl);
	return 0;
}

void hostlink_flush(struct hostlink *hl)
{
	flush_pending(hl);
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
	/* by_host, not conn_of_host(): a dead connection not yet reaped saves its set on close */
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
	hlog(hl, LOG_INFO, "host=%u faults mask=0x%x", host, hl->faults[host].mask);
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
