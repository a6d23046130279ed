/* SPDX-License-Identifier: MIT */
/*
 * hostlink.h - the daemon side of the host link (docs/host-link.md): listens
 * on Unix and TCP sockets, admits one connection per host id (HELLO), runs
 * each host's mailbox CCI (one struct cci_ctx per connected host), forwards
 * the model's interrupts (log_nonempty, honouring the host's 0103h policy),
 * hands accepted capacity to the host as MAP messages with the backend fds
 * and takes it back with UNMAP, and serves the slow path (READ/WRITE by DPA
 * through mem_read()/mem_write()).
 *
 * Loop-agnostic (style B.5): the hostlink never waits.  The caller's event
 * loop watches the fds the hostlink asks for (struct hostlink_watch_ops, or
 * hostlink_pollfds() for poll()-based callers and tests) and calls
 * hostlink_process_fd() when one is ready.  Writes are non-blocking with a
 * bounded per-connection output queue; what one round of the caller's loop
 * queues leaves in one system call at its end (hostlink_flush()).  Not
 * thread-safe: call everything
 * from the loop that also drives the model.
 *
 * What it is not: it does not own the device, the memory, the loop or the
 * clock; it never calls core_tick().
 */
#ifndef CXLDCD_HOSTLINK_H
#define CXLDCD_HOSTLINK_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cxldcd_dev;
struct mem_dev;
struct hostlink;

/* Event bits; equal to LOOP_IN/LOOP_OUT/LOOP_ERR of src/server/loop.h. */
#define HOSTLINK_IN 0x1u
#define HOSTLINK_OUT 0x2u
#define HOSTLINK_ERR 0x4u

/*
 * How the hostlink asks the caller's loop to watch its fds.  add: start
 * watching fd for events; mod: change the events; del: stop watching (the
 * hostlink closes the fd right after).  Return 0 or -errno (add/mod).
 * wake (may be NULL): call hostlink_tick() once, @delay_ms from now; a new
 * request replaces the previous one (HELLO deadlines, accept retries, idle
 * receive buffers).
 * Without it the caller calls hostlink_tick() often (poll()-based callers:
 * every round).
 * flush (may be NULL): output was queued; call hostlink_flush() once at the
 * end of this round of the loop, after the callbacks that may queue more
 * (the daemon: a struct loop_defer), so a burst of messages to a host
 * leaves in one system call.  Asked again only after that call.  Without
 * it the hostlink sends at the end of each of its own calls
 * (hostlink_process_fd(), hostlink_tick(), hostlink_cci_resume(),
 * hostlink_disconnect()), and output queued outside them (an observer: an
 * FM add, a release) is sent when its connection polls writable (it is
 * watched for HOSTLINK_OUT until then).
 */
struct hostlink_watch_ops {
	int (*add)(void *opaque, int fd, unsigned events);
	int (*mod)(void *opaque, int fd, unsigned events);
	void (*del)(void *opaque, int fd);
	void (*wake)(void *opaque, uint64_t delay_ms);
	void (*flush)(void *opaque);
};

/* Defaults of struct hostlink_limits (docs/host-link.md "Robustness"). */
#define HOSTLINK_DEFAULT_MAX_CONNS 64u
#define HOSTLINK_DEFAULT_HELLO_TIMEOUT_MS 5000u
#define HOSTLINK_DEFAULT_HELLO_SLICE_US 5000u
/* Defaults of hostlink_cfg.move_timeout_ms and .rbuf_idle_ms. */
#define HOSTLINK_DEFAULT_MOVE_TIMEOUT_MS 2000u
#define HOSTLINK_DEFAULT_RBUF_IDLE_MS 1000u
/* hostlink_cfg.max_out_fds = 0: RLIMIT_NOFILE (soft), within these */
#define HOSTLINK_MIN_OUT_FDS 64u
#define HOSTLINK_MAX_OUT_FDS_CAP 65536u
/*
 * A move that cannot switch to a fresh grant is made again (docs/host-link.md
 * "Moves"): this long after its attempt ended, doubling after each failed
 * attempt, up to the max.
 */
#define HOSTLINK_MOVE_RETRY_MIN_MS 100u
#define HOSTLINK_MOVE_RETRY_MAX_MS 5000u

/*
 * Limits of one listener.  max_conns: connections accepted on this listener
 * and still open, HELLO'd or not; when it is full a new connection replaces
 * the listener's oldest one that has not sent HELLO (none: the new one is
 * refused).  hello_timeout_ms: a connection that has not sent HELLO by then
 * is closed.  max_out_fds: the fds each connection's output queue may hold
 * (hostlink_cfg.max_out_fds, for this listener's connections).  0 = the
 * default (hostlink_cfg's).
 */
struct hostlink_limits {
	uint32_t max_conns;
	uint32_t hello_timeout_ms;
	uint32_t max_out_fds;
	/*
	 * hostlink_listen_unix() only: set_group: the socket file gets group
	 * @group and mode 0660 (not 0600), so hosts of other users in that
	 * group can connect (hostlink_bind_host(); docs/host-link.md, "What a
	 * host cannot do to another").
	 */
	bool set_group;
	gid_t group;
	/*
	 * bound_only: a HELLO on this listener claiming a host id that is
	 * not bound (hostlink_bind_host()) is refused with ACCES and logged,
	 * as one from the wrong user of a bound id is.  Off: an unbound id
	 * is anyone's who reaches the listener.
	 */
	bool bound_only;
};

typedef void hostlink_log_fn(void *opaque, int level, const char *msg);

/* The steps of a move that hostlink_cfg.move_fault can make fail (a test seam). */
enum hostlink_move_step {
	HOSTLINK_MOVE_SWITCH,       /* making the fresh grant (as mem_dev_move_switch() failing) */
	HOSTLINK_MOVE_LOAD,         /* reading the sharers after the switch (as out of memory) */
	HOSTLINK_MOVE_REMAP,        /* the segments of one sharer's range (as not remappable) */
	HOSTLINK_MOVE_LIST,         /* listing the sharers as an attempt starts (as out of memory) */
};
/* Milliseconds on a clock that never goes back (cfg.clock). */
typedef uint64_t hostlink_clock_fn(void *opaque);

struct hostlink_cfg {
	struct cxldcd_dev *dev;     /* borrowed; must outlive the hostlink */
	struct mem_dev *md;         /* borrowed, may be NULL: no MAP, slow path answers NOMAP */
	const struct hostlink_watch_ops *watch; /* borrowed, may be NULL (use hostlink_pollfds()) */
	void *watch_opaque;
	hostlink_log_fn *log;       /* may be NULL: silent */
	void *log_opaque;
	int log_level;              /* syslog level cut, e.g. LOG_INFO */
	/*
	 * The clock of every deadline (HELLO, move phases, accept retries, idle
	 * receive buffers); may be NULL: CLOCK_MONOTONIC.  Set by callers that
	 * drive time themselves (tests, the fuzz target); wake() delays and
	 * hostlink_tick()'s return are on this clock.
	 */
	hostlink_clock_fn *clock;
	void *clock_opaque;
	/*
	 * Per-connection output bound, in bytes actually allocated for queued
	 * messages; 0 = 16 MiB.  Above half of it the connection is not read
	 * (backpressure) until the peer drains its replies; a queue that still
	 * reaches the bound (the peer reads nothing while the device sends
	 * MAP/UNMAP/IRQ) drops the connection.
	 */
	size_t max_out_bytes;
	/*
	 * Per-connection bound of the files its queued MAP/REMAPs carry (one
	 * struct qfd per file and access, shared by the queued messages of
	 * that file; no fd is held until the send opens one); 0 =
	 * RLIMIT_NOFILE's soft limit at hostlink_new(), at least
	 * HOSTLINK_MIN_OUT_FDS, at most HOSTLINK_MAX_OUT_FDS_CAP.  A queue at
	 * the bound sends what the socket takes; one still at it (the peer
	 * reads nothing) drops the connection, as the byte bound does.
	 */
	uint32_t max_out_fds;
	/* Each listener's limits where hostlink_listen_*() gets none; 0 = the defaults. */
	uint32_t max_conns;
	uint32_t hello_timeout_ms;
	/*
	 * move_timeout_ms: a sharer has this long to answer PAUSE, then as long
	 * to answer REMAP (docs/host-link.md "Moves").  rbuf_idle_ms: a receive
	 * buffer grown for a big message shrinks back once its connection has
	 * had nothing buffered for this long.  0 = the defaults above (2 s, 1 s);
	 * tests set short ones.
	 */
	uint32_t move_timeout_ms;
	uint32_t rbuf_idle_ms;
	/*
	 * A HELLO's switch of the host's views and its replayed MAPs run in
	 * slices of about this long, one per loop round (docs/host-link.md, "A
	 * file per group"); 0 = HOSTLINK_DEFAULT_HELLO_SLICE_US.  Tests set 1
	 * (one step of 16 extents per round).
	 */
	uint32_t hello_slice_us;
	/*
	 * Test seam (NULL in the daemon): move_fault() returns the -errno that
	 * a step of a move fails with instead of running, or 0 to run it;
	 * @host is the sharer (HOSTLINK_MOVE_REMAP), else 0.
	 */
	int (*move_fault)(void *opaque, enum hostlink_move_step step, uint16_t host);
	void *move_fault_opaque;
	/*
	 * Journaling hooks (all may be NULL).  cci_before() runs before a host's
	 * CCI request is handled (set the model time, journal it) with whether
	 * a More chain is open; a return code other than Success answers the
	 * request with that code and no payload, unhandled.  cci_after() gets the
	 * request and response messages (the response in a buffer of @cap
	 * bytes, which it may rewrite, *rsp_len with it: a header-only
	 * Internal Error for an erase not made durable) and whether a More
	 * chain was open before the request; a non-zero return drops the
	 * response and closes the connection (its effect could not be made
	 * durable).
	 * chain_dropped(): a host's connection closed while a More chain was
	 * open, so its staging was discarded.
	 * cci_before() may also return HOSTLINK_CCI_DEFER: the request waits
	 * (the connection reads nothing more, and stays open even when the peer
	 * goes) until the caller calls hostlink_cci_resume() for that host,
	 * which runs it then (group commit: acknowledged only once durable).
	 */
	uint16_t (*cci_before)(void *opaque, uint16_t host, const uint8_t *req, size_t req_len,
			       bool chain_open);
	int (*cci_after)(void *opaque, uint16_t host, const uint8_t *req, size_t req_len,
			 uint8_t *rsp, size_t cap, size_t *rsp_len, bool chain_was_open);
	void (*chain_dropped)(void *opaque, uint16_t host);
	void *hook_opaque;
	/*
	 * starting: the hostlink is made while the device is still being
	 * restored (--state replay): it listens at once, but registers no
	 * observer and refuses every HELLO with status STARTING (after an
	 * ERROR of that status whose text starting_text() writes, may be
	 * NULL) until hostlink_started().
	 */
	bool starting;
	void (*starting_text)(void *opaque, char *buf, size_t cap);
};

/**
 * hostlink_new() - create the host link of one device and register its
 * core observer.
 * @cfg: borrowed (the pointers inside as documented above).
 * @out: caller frees with hostlink_free(), after core_dev_free() of the
 *       device (core observers cannot be unregistered; the same rule as
 *       mem_dev_free()).  Create it after mem_dev_new(): the mem_dev's observer
 *       must bind an accepted extent before the hostlink sends its MAP.
 * Return: 0, -EINVAL (no dev), -ENOSPC (no observer slot), -ENOMEM.
 */
int hostlink_new(const struct hostlink_cfg *cfg, struct hostlink **out);
/**
 * hostlink_started() - the device is restored: attach @md (may be NULL, as
 * cfg.md), register the core observer and admit HELLOs from now on.  For a
 * hostlink made with cfg.starting; a no-op otherwise.  Call it after
 * mem_dev_new() of the device (the same observer order as hostlink_new()).
 * Return: 0, -ENOSPC (no observer slot).
 */
int hostlink_started(struct hostlink *hl, struct mem_dev *md);
/* cci_before(): the request waits for hostlink_cci_resume() (not a CXL return code). */
#define HOSTLINK_CCI_DEFER 0xffffu
/**
 * hostlink_cci_resume() - run the CCI request of @host that cci_before()
 * deferred, or, when @refuse is not Success, answer it with that return
 * code unrun; then go on with what the connection sent behind it.  The
 * request runs even if its peer has gone meanwhile.
 * Return: 0, -ENOENT (no request of that host waits).
 */
int hostlink_cci_resume(struct hostlink *hl, uint16_t host, uint16_t refuse);
/* Close every connection and listener (NULL is a no-op). */
void hostlink_free(struct hostlink *hl);

/**
 * hostlink_bind_host() - from now on, only a peer of user @uid (and, unless
 * @gid is (gid_t)-1, whose group is @gid) may claim @host in HELLO; the
 * peer's credentials are SO_PEERCRED's (as at its connect()), root gets
 * no exception, and a TCP peer (no credentials) never may.  A refused
 * HELLO is answered with status ACCES and logged.  A host id not bound is
 * claimable by whoever reaches a listener, but for one listening with
 * hostlink_limits.bound_only.  Bind before listening.
 * Return: 0, -EINVAL (@host >= the device's hosts, @uid (uid_t)-1),
 * -EEXIST (@host already bound otherwise).
 */
int hostlink_bind_host(struct hostlink *hl, uint16_t host, uid_t uid, gid_t gid);

/**
 * hostlink_listen_unix() - listen on a new Unix socket at @path, created
 * 0600, by the rules of src/common/sockpolicy.h: a stale socket file there
 * is replaced, a live one is refused (-EADDRINUSE), so is a file that is
 * not a socket (-EEXIST); @lim->set_group makes it 0660 of that group
 * (-EPERM: the daemon may not give it that group); hostlink_free()
 * removes the socket file only if it is still the one created here.
 * @lim: borrowed, may be NULL (defaults).  Return: 0 or -errno.
 */
int hostlink_listen_unix(struct hostlink *hl, const char *path, const struct hostlink_limits *lim);
/**
 * hostlink_listen_tcp() - listen on @addr:@port (NULL addr = 127.0.0.1).
 * Every process that can connect is trusted (no authentication); a
 * non-loopback @addr is logged as a warning.
 * @port_out: may be NULL; receives the bound port (useful with port 0).
 * @lim: borrowed, may be NULL (defaults).
 * TCP hosts never get direct mapping.  Return: 0 or -errno.
 */
int hostlink_listen_tcp(struct hostlink *hl, const char *addr, uint16_t port, uint16_t *port_out,
			const struct hostlink_limits *lim);
/* Adopt an already listening socket (systemd/tests). is_unix: fd passing allowed. */
int hostlink_listen_fd(struct hostlink *hl, int fd, int is_unix);

/**
 * hostlink_tick() - close connections past their HELLO deadline, retry
 * listeners paused for want of file descriptors and shrink receive buffers
 * grown for big messages once idle.  Cheap when there is
 * nothing to do.  Return: milliseconds until it has work again, or -1.
 */
int64_t hostlink_tick(struct hostlink *hl);

/**
 * hostlink_flush() - send the output queued since the last call (the end of
 * a loop round, hostlink_watch_ops.flush), then close the connections that
 * died.  What a socket does not take waits for HOSTLINK_OUT.
 */
void hostlink_flush(struct hostlink *hl);

/**
 * hostlink_process_fd() - handle readiness of one of the hostlink's fds.
 * Unknown fds are ignored.  Return: 0, or -ENOENT for an fd it does not own.
 */
int hostlink_process_fd(struct hostlink *hl, int fd, unsigned events);

/**
 * hostlink_pollfds() - the fds to watch right now, for poll()-based callers.
 * Return: number of entries needed (may exceed cap; only cap are written).
 * Call hostlink_process_fd(hl, fd, revents-as-HOSTLINK bits) for each ready one.
 */
size_t hostlink_pollfds(const struct hostlink *hl, struct pollfd *out, size_t cap);
/* Convert poll() revents to HOSTLINK_* bits. */
unsigned hostlink_poll_events(short revents);

/* True when host has a connection that completed HELLO. */
int hostlink_host_connected(const struct hostlink *hl, uint16_t host);
/* Drop host's connection (QMP/admin).  Return 0 or -ENOENT. */
int hostlink_disconnect(struct hostlink *hl, uint16_t host);

struct cci_faults;

/**
 * hostlink_set_faults() - fault injection on a host's mailbox CCI
 * (src/cci/fault.h, docs/conformance.md "Fault injection").
 * @f: borrowed; NULL or an empty mask clears.
 *
 * Applies to the host's current connection, if any, and to its future
 * connections: the hostlink keeps the set per host.  Counts run down across
 * connections (a connection's remaining counts are kept when it closes).
 * Return: 0, -EINVAL (host >= the device's hosts, unknown fault bit), -ENOMEM.
 */
int hostlink_set_faults(struct hostlink *hl, uint16_t host, const struct cci_faults *f);
/* The host's faults as they stand (live counts when connected).  Return 0 or -EINVAL. */
int hostlink_get_faults(const struct hostlink *hl, uint16_t host, struct cci_faults *out);

struct hostlink_stats {
	uint32_t nr_conns;          /* open connections */
	uint32_t nr_hosts;          /* of them past HELLO */
	uint64_t hello_timeouts;    /* connections closed for no HELLO in time */
	uint64_t evicted;           /* un-HELLOed connections replaced on a full listener */
	uint64_t accept_pauses;     /* times accept() ran out of fds */
	uint64_t msgs_in, msgs_out;
	uint64_t send_calls;        /* sendmmsg() calls (one batch of runs each, EAGAIN included) */
	uint64_t irqs, maps, unmaps;
	uint64_t violations;        /* connections dropped for protocol violations */
	uint64_t map_errors;        /* accepted capacity with no segment to send */
	uint64_t moves;             /* shared grants whose sharers were moved to a fresh one */
	uint64_t move_timeouts;     /* sharers that did not answer PAUSE or REMAP in time */
	uint64_t move_ends;         /* MOVE_ENDs sent: one per PAUSE, to hosts that asked */
	uint64_t move_retries;      /* moves started again after an attempt that could not switch */
	uint32_t moves_waiting;     /* moves waiting for their next attempt now */
	uint64_t rbuf_bytes;        /* receive buffers held now, all connections */
	uint32_t out_fds;           /* files the output queues carry MAPs of now (their fds are
				     * opened at the send), all connections */
	uint32_t max_out_fds;       /* hostlink_cfg.max_out_fds in force (the default resolved) */
	uint64_t group_files_refused; /* HELLOs asking a file per group whose groups did not fit */
	uint64_t group_spills;      /* connections that got a MAP of a spilled group (flag bit 1) */
	uint64_t maps_stale;        /* queued MAPs/REMAPs dropped unsent: their file went meanwhile */
	uint64_t fd_refs_waits;     /* sends the kernel refused for this user's fds in flight
				     * (ETOOMANYREFS): the queue waited and was sent again */
};
void hostlink_stats_get(const struct hostlink *hl, struct hostlink_stats *out);

#endif /* CXLDCD_HOSTLINK_H */
