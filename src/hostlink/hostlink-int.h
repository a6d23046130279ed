/* SPDX-License-Identifier: MIT */
/*
 * hostlink-int.h - what the files of the daemon side of the host link share
 * (src/hostlink/hostlink*.c): their limits, the structs of a hostlink, its
 * listeners, connections and moves, and the functions one file calls in
 * another.  Private: nothing outside src/hostlink includes it.
 */
#ifndef CXLDCD_HOSTLINK_INT_H
#define CXLDCD_HOSTLINK_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "cci/cci.h"
#include "cci/fault.h"
#include "common/sockpolicy.h"
#include "common/wire.h"
#include "core/core.h"
#include "hostlink/hostlink.h"
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
 * A file the output queue of a connection carries MAPs/REMAPs of
 * (docs/host-link.md "Sending"): one per file and access, shared by every
 * queued message of that file.  It holds no fd of its own while queued:
 * src is the mem_dev's fd of the file (borrowed, never closed here), and
 * the fd sent (mem_segment_fd()) is opened when a message of it is sent
 * and closed right after the sendmmsg(), so a queue of 10,000 MAPs of
 * 10,000 group files costs the daemon no fd beyond the files themselves.
 * A src that no longer is that file (dev, ino) when its message is due was
 * closed meanwhile (the range was released or moved: an UNMAP or REMAP
 * follows), and the message is dropped unsent.  Counted against the
 * connection's max_out_fds (its listener's hostlink_limits.max_out_fds,
 * else hostlink_cfg.max_out_fds).
 */
struct qfd {
	struct qfd *next;           /* in its connection's bucket */
	dev_t dev;
	ino_t ino;
	unsigned mode;              /* QFD_SCOPED | QFD_WRITABLE */
	int src;                    /* the mem_dev's fd of the file (borrowed) */
	int fd;                     /* opened for a send in progress, else -1 (owned) */
	uint32_t refs;              /* queued messages carrying it */
};
#define QFD_SCOPED 1u
#define QFD_WRITABLE 2u
#define QFD_BUCKETS 64u             /* the first table; it grows 4x past 2 files per bucket */

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
	bool group_files;           /* its MAPs carry a file per group (asked, granted) */
	bool spill_said;            /* a MAP of a spilled group was sent (logged once) */
	bool no_fds;                /* an fd to send could not be opened: dying, fd messages dropped */
	/*
	 * HELLO accepted, its views being switched (docs/host-link.md, "A file
	 * per group"), then its ACK (ack, hello_seq) and MAPs queued: a slice
	 * per loop round (hostlink_switch_tick()); until the last, the
	 * connection is no host to others (hostlink_conn_of_host(); but the
	 * MAP or UNMAP of a range the replay is past is sent,
	 * hostlink_conn_replayed()) and is not read.
	 */
	bool switching;
	bool switch_on;             /* to a file per group (asked, and its groups fit) */
	bool switched;              /* the switch is done (hello_ack() next) */
	uint32_t switch_rounds;
	uint64_t switch_start_us;
	struct hl_hello_ack ack;
	uint32_t hello_seq;
	/* then (replaying) its MAPs, a slice per round: the next extent, by index and DPA */
	uint32_t replay_next;
	uint64_t replay_dpa;
	uint32_t replay_gen;        /* core_extent_generation() when replay_next was right */
	bool blocked;               /* the socket took no more: the queue waits for HOSTLINK_OUT */
	/*
	 * The kernel refused an fd (ETOOMANYREFS: this user's fds in flight
	 * passed its RLIMIT_NOFILE): blocked too, but the queue is tried again
	 * at refs_due_ms (hostlink_tick()), not at HOSTLINK_OUT (the socket
	 * may well be writable).  0: not waiting.
	 */
	uint64_t refs_due_ms;
	uint32_t refs_backoff_ms;   /* the last wait (10 ms doubling to 1 s); 0 after a send */
	bool yielded;               /* a flush used its time slice: the rest at HOSTLINK_OUT */
	bool replaying;             /* queuing the MAPs of what the host holds (HELLO): unbounded fds */
	uint16_t host;
	uint64_t serial;            /* this connection's number, from 1: moves tell connections apart */
	struct cci_ctx *cci;
	uint8_t *rsp;               /* a CCI response is built here (mailbox size), then queued at its length */
	size_t rsp_cap;
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint64_t rbuf_idle_due_ms;  /* rbuf (grown) shrinks then if still empty; 0: none */
	struct outmsg *oq_head, *oq_tail;
	size_t oq_bytes;            /* allocated for the queue: outmsg_cost() of each */
	struct qfd **qfds;          /* the files the queue holds open, by inode (NULL until one) */
	unsigned qfd_buckets;       /* a power of two */
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
	bool flush_due;	    /* a connection has output not tried yet (hostlink_flush_pending()) */
	struct sendvec *sv; /* hostlink_conn_flush()'s scratch */
	struct hostlink_stats st;
};

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
/* Files opened for one sendmmsg() at most (struct qfd): the daemon's transient fds. */
#define SEND_FDS 32u
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
	struct qfd *opened[SEND_FDS]; /* qfds whose fd this sendmmsg() opened */
	unsigned nr_opened;
};

/* A small fixed message: header + payload written by fn. */
typedef int enc_fn(struct wwr *w, const void *arg);

/* hostlink.c */
/* Log through cfg.log when level passes cfg.log_level; keeps errno. */
__attribute__((format(printf, 3, 4))) void hostlink_logf(const struct hostlink *hl, int level,
							 const char *fmt, ...);
/* The caller's clock (cfg.clock), else CLOCK_MONOTONIC. */
uint64_t hostlink_now_ms(const struct hostlink *hl);
/* Ask the caller's loop for a hostlink_tick() at due_ms, unless one comes earlier. */
void hostlink_wake_at(struct hostlink *hl, uint64_t due_ms);

/* hostlink-conn.c */
/* Whether c's queue is past half its bound (backpressure). */
bool hostlink_conn_full(const struct conn *c);
/* The events c should be watched for now. */
unsigned hostlink_conn_wanted(const struct conn *c);
bool hostlink_switch_tick(struct hostlink *hl);
struct conn *hostlink_conn_replayed(const struct hostlink *hl, uint16_t host, uint64_t dpa);
uint64_t hostlink_mono_us(void);
/* Tell the caller's loop the events c wants, if they changed. */
void hostlink_conn_rewatch(struct conn *c);
/* A queue message of cap bytes, NULL when out of memory. */
struct outmsg *hostlink_outmsg_new(size_t cap);
/* End c's burst once nothing is queued and no request is held back. */
void hostlink_conn_end_burst(struct conn *c);
/* Send what c has queued, as far as the socket takes it. */
void hostlink_conn_flush(struct conn *c);
/*
 * Flush the queues whose wait for the kernel's fds in flight is over
 * (ETOOMANYREFS, hostlink-conn.c); the next such time (0: none).
 */
uint64_t hostlink_conn_refs_tick(struct hostlink *hl, uint64_t now);
/* Flush every connection with output not tried yet. */
void hostlink_flush_pending(struct hostlink *hl);
/* The end of one of our calls: a caller without round ends has its output sent now. */
void hostlink_call_done(struct hostlink *hl);
/* Queue m on c (takes it); may drop c at its bounds. */
void hostlink_conn_queue(struct conn *c, struct outmsg *m);
/* The shared fd of segment s for c's queue (a reference), or -errno. */
int hostlink_qfd_get(struct conn *c, const struct mem_segment *s, struct qfd **out);
/* Queue a small fixed message on c (see enc_fn); qf: the fd it carries. */
int hostlink_conn_send(struct conn *c, uint8_t type, uint32_t seq, size_t cap, enc_fn *fn,
		       const void *arg, struct qfd *qf);
/* The next sequence number c sends with. */
uint32_t hostlink_conn_next_seq(struct conn *c);
/* enc_fn of an ERROR (HL_S_PROTO) with text arg. */
int hostlink_enc_error(struct wwr *w, const void *arg);
/* Protocol violation: ERROR to the peer, then drop it. */
__attribute__((format(printf, 2, 3))) void hostlink_conn_violation(struct conn *c, const char *fmt,
								   ...);
/* Close and free c (only at a safe point: reap()). */
void hostlink_conn_close(struct conn *c);
/* The live connection of host, or NULL. */
struct conn *hostlink_conn_of_host(const struct hostlink *hl, uint16_t host);
/* Send c the MAPs of extent x. */
void hostlink_send_maps(struct conn *c, const struct core_extent_info *x);
/* Send UNMAP of extent x (reason) to the host holding it. */
void hostlink_send_unmap(struct hostlink *hl, const struct core_extent_info *x, uint32_t reason);

/* hostlink-moves.c */
/* Free move m and what it holds. */
void hostlink_move_free(struct move *m);
/* Start moves for every grant a release or forced release left shared. */
void hostlink_moves_take(struct hostlink *hl);
/* c's host was sent the MAPs of [dpa, end): pause it too where a move has paused. */
void hostlink_moves_join(struct conn *c, uint64_t dpa, uint64_t end);
/* MOVE_ACK from c. */
void hostlink_move_ack(struct conn *c, const struct hl_hdr *h, const uint8_t *p);
/* End the phases and waits due at now; return the next due time (0: none). */
uint64_t hostlink_moves_tick(struct hostlink *hl, uint64_t now);

/* hostlink-msg.c */
/* Observer (core_observer.ras_error): a RAS error for host (RAS_IRQ). */
void hostlink_obs_ras_error(void *opaque, uint16_t host, bool uncorrectable);
/* Run the CCI request at c's rbuf[0] (refuse: the rc to answer with instead, 0: none). */
void hostlink_cci_run(struct conn *c, const struct hl_hdr *h, const uint8_t *p, uint16_t refuse);
/* Parse every complete message in c's rbuf. */
void hostlink_conn_parse(struct conn *c);
/* Read from c's socket and handle what came. */
void hostlink_conn_read(struct conn *c);

/* hostlink-listen.c */
/* Watch the listeners paused for want of fds again. */
void hostlink_resume_accept(struct hostlink *hl);
/* Accept what listener l has pending. */
void hostlink_on_accept(struct hostlink *hl, struct listener *l);

#endif
