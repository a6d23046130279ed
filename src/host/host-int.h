/* SPDX-License-Identifier: MIT */
/*
 * host-int.h - internals of libcxldcd-host shared by its files.  Each file
 * calls only the files listed before it (dependency order, bottom first):
 *
 *   link.c     log, events to the user, failure, the command queue and the
 *              link's output (no protocol knowledge beyond framing)
 *   ras.c      CXL RAS errors (RAS_IRQ, the AER message): unmask at
 *              connect, read the registers, report, clear (as Linux's
 *              cxl_pci does)
 *   segments.c data: MAP segments and their backing files, the pieces a
 *              mapping is made of
 *   groups.c   data: tag groups, their extents (per-extent state),
 *              contiguous mappings
 *   ranges.c   data: a DPA range across groups (UNMAP, revocations to
 *              announce, a move's PAUSE/REMAP/MOVE_END)
 *   groups-api.c  public entry points on groups and static capacity
 *   release.c  every release path: Release DC (4803h) lists, device release
 *              requests, deferral while open, forced release
 *   events.c   DC log drain, More chains, Add validation/policy/response
 *              and the Dead-group fallback
 *   bringup.c  CEL, 4800h, interrupt policy, 4801h scan and replay
 *   access.c   who may open which group: rules (owner, group, mode per tag)
 *              and an application's credentials (data only, calls nothing)
 *   apps.c     the application socket (agent side) and the cxldcd_app_* client
 *   messages.c what the device sends: read the link, frame, handle each
 *              message
 *   host.c     the context: connect, timers, the processing round, public
 *              entry points (it calls all of the above)
 *   io.c       public entry points of the slow path (memory and RAS
 *              registers over the link); with host.c the top (host_kick())
 *   rindex.c, htab.c   indexes, used by all
 *
 * Continuations (struct cont) carry a typed payload per command kind; a
 * completion never reaches back into a file above the one that queued it.
 * Every per-operation path is O(log n) or O(k) in the extents it touches:
 * nothing walks all groups, extents or segments except listing and teardown.
 */
#ifndef CXLDCD_HOST_INT_H
#define CXLDCD_HOST_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <sys/types.h>

#include "common/sockpolicy.h"
#include "cxldcd/cxldcd-host.h"
#include "cxldcd/spec.h"
#include "cxldcd/types.h"
#include "host/access.h"
#include "host/htab.h"
#include "host/rindex.h"

#define HOST_DEF_CHAIN_TIMEOUT_MS 20000u
#define HOST_DEF_CHAIN_CAP 100u
#define HOST_DEF_CMD_TIMEOUT_MS 5000u
/*
 * cfg.move_wait_ms's default: how long an application's OPEN of a group that
 * a move has paused waits for the move's REMAP or MOVE_END.  The device sends
 * the REMAP after its pause phase (2 s at most) and a copy of the
 * allocation, in the device's time: on a loaded machine that can be seconds
 * more.  This only bounds a device that never ends the move.
 */
#define HOST_DEF_MOVE_WAIT_MS 30000u
/*
 * cxldcd_host_group_open()'s wait for a move polls the link at most this
 * long at a time, then looks at cfg.clock again (a caller's clock need not
 * follow poll()'s real time).
 */
#define HOST_MOVE_POLL_MS 50u
#define HOST_EXTENT_ALIGN (2ull << 20)   /* Linux CXL_DCD_EXTENT_ALIGN: 2 MiB */
#define HOST_SCAN_RETRIES 10
#define HOST_DRAIN_RETRY_MS 1000u        /* re-read the DC log after a failed Get Event Records */
/*
 * Floors of the replay and MAP segment bounds.  The bounds proper come from
 * the device's configuration (host_max_extents(), host_max_segments()): as
 * many extents as the DC regions have blocks, as many segments as the DC
 * span has pages.  The floors keep a device with a tiny span working as
 * before.
 */
#define HOST_MIN_EXTENTS_BOUND 65536u
#define HOST_MIN_SEGMENTS_BOUND 65536u
#define HOST_MAX_CEL 0x10000u
#define HOST_OUT_MAX (4u << 20)

struct cxldcd_host;
struct cmd;

typedef void cmd_done_fn(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
			 const uint8_t *out, size_t out_len);

enum cmd_kind { CMD_CCI, CMD_READ, CMD_WRITE, CMD_RAS_READ, CMD_RAS_WRITE };

/* What a command's completion needs to know, one struct per kind. */
enum cont_kind {
	K_NONE,
	K_CEL,                      /* Get Log (CEL) chunk */
	K_CONFIG,                   /* Get DC Configuration */
	K_SCAN,                     /* Get DC Extent List chunk */
	K_CLEAR,                    /* Clear Event Records batch */
	K_ADD_RSP,                  /* Add DC Response part */
	K_RELEASE,                  /* Release DC part */
	K_IO,                       /* slow-path READ / WRITE */
};

struct cont_cel { uint32_t chunk; };             /* bytes asked */
struct cont_config {
	uint8_t start, count;       /* regions asked */
	bool reread;                /* after a Region Configuration Updated record */
	uint8_t updated;            /* reread: the record's Updated Region Index */
};
struct cont_scan { uint32_t start, count; };     /* extents asked */
struct cont_clear { bool last; };                /* last batch of this Get */
struct cont_add_rsp {
	uint64_t token;             /* the groups riding in this response */
	bool last;                  /* last More part */
	bool empty;                 /* reject-all answer (the Dead-group fallback) */
};
struct cont_release {
	uint64_t group_id;          /* 0: a range no group owns */
	uint64_t bytes;             /* listed (all parts) */
	bool last;
};
struct cont_io { uint32_t len; };                /* bytes asked */

struct cont {
	enum cont_kind kind;
	union {
		struct cont_cel cel;
		struct cont_config config;
		struct cont_scan scan;
		struct cont_clear clear;
		struct cont_add_rsp add_rsp;
		struct cont_release release;
		struct cont_io io;
	} u;
};

struct cmd {
	struct cmd *next;
	enum cmd_kind kind;
	uint16_t opcode;
	uint32_t seq;
	struct cont k;
	cmd_done_fn *done;
	void *buf;                  /* READ: destination */
	cxldcd_host_io_fn *io_done;
	void *io_opaque;
	size_t in_len;
	uint8_t in[];
};

/*
 * A backend file the device handed over, once per file: every MAP brings a
 * new fd, but MAPs of the same file (same st_dev, st_ino and access mode)
 * share the first one, so 100,000 mapped extents of one memory backend hold
 * one fd.  Closed with its last segment.
 */
struct backing {
	struct hnode hn;            /* in cxldcd_host.files */
	uint64_t dev, ino;
	int accmode;
	int fd;
	uint64_t refs;              /* segments using it */
};

/*
 * What a MAP's file holds besides its range: the range's group alone (a
 * file per group, HELLO_ACK bit 4), or the host's per-backend file, shared
 * with the host's other groups there and those it is given later (spilled:
 * MAP flag bit 1; or the host has no file per group at all).  Sharable
 * capacity of a host without group files counts as the latter: the MAP
 * does not say whether its fd is the allocation's grant or, on a device
 * that trusts its hosts, the backend.
 */
enum seg_file {
	SEG_OWN_FILE = 0,
	SEG_SPILLED,                /* the host has group files; this group got none */
	SEG_HOST_FILE,              /* the host has no file per group */
};

/* A backend piece the device handed over with MAP: rn.start = DPA, rn.len. */
struct segment {
	struct rnode rn;            /* in cxldcd_host.segs */
	uint64_t offset;
	struct backing *file;
	bool writable;
	enum seg_file shared;
	uint64_t paused_by;         /* a move's PAUSE (its id; 0: none): its file is the grant being
				     * retired, until a REMAP replaces it or the move's MOVE_END drops it */
};

enum group_state {
	G_ADDING,                   /* in an Add DC Response not yet answered */
	G_ACTIVE,
	G_RELEASING,                /* Release DC sent */
};

struct group;

/* Per-extent state in a group (docs/host-link.md, "Extent states"). */
enum ext_state {
	X_ACCEPTED = 0,             /* offered/accepted, usable */
	X_RELEASE_PENDING,          /* in a Release DC not yet answered */
	X_REVOKED,                  /* taken by a forced release: never released by the host */
	X_RELEASED,                 /* Release DC answered */
};

/*
 * One extent of a group: rn.start = DPA, rn.len.  Linked in
 * cxldcd_host.extents unless revoked: a revoked piece is the device's again
 * at once (CXL r3.2 §7.6.7.6.6), which may offer it anew, even to this
 * host, so it must not meet an offer.  It waits in cxldcd_host.revoked
 * (awaiting) until its Forced Capacity Release record comes, which finds
 * its group there, and is then linked nowhere.
 */
struct ext_node {
	struct rnode rn;            /* in cxldcd_host.extents, .revoked or none (above) */
	struct group *g;
	uint64_t goff;              /* offset of the extent in the group's mapping */
	uint32_t idx;               /* in g->ext */
	enum ext_state st;
	bool awaiting;              /* X_REVOKED, in cxldcd_host.revoked: its record not read yet */
};

struct group {
	struct group *next, *prev;  /* all groups, oldest first (= id order) */
	struct group *anext, *aprev; /* cxldcd_host.adding, while queued there */
	bool queued;
	bool mark;                  /* scratch of one walk (set and cleared by it) */
	bool lost;                  /* scratch of a remap: a page of it had no segment */
	struct hnode by_id, by_tag; /* by_tag: tagged groups only */
	struct cxldcd_host_group_info info;
	enum group_state state;
	uint64_t token;             /* G_ADDING: the response it rides in */
	uint32_t nr;                /* extents, in sequence order */
	struct cxldcd_extent *ext;
	struct ext_node *xn;        /* xn[i] indexes ext[i] */
	uint8_t *map;               /* contiguous mapping (NULL: not mapped) */
	uint32_t open_local;        /* opens in this process */
};

struct host_region {
	uint64_t base, decode_len, len, block_size;
};

/* A staged More chain of DC records of one type. */
struct chain {
	bool open;
	uint8_t type;
	uint32_t count;             /* records seen (may exceed the stored ones) */
	uint32_t nr, cap;
	struct cxldcd_extent *ext;
	uint64_t start_ms;
};

struct app_conn;

/*
 * What applications holding group id lose (apps_announce()): len 0, the
 * whole mapping (a move's REMAP: theirs is of the old grant, open again);
 * else [off, off+len) of it (a forced release of that part; the rest
 * stays theirs).
 */
struct revocation {
	uint64_t id, off, len;
};

struct cxldcd_host {
	struct cxldcd_host_cfg cfg;
	uint8_t (*tags)[CXLDCD_TAG_SIZE];
	enum cxldcd_host_state state;
	int fail_err;
	int ep;                     /* epoll set returned by get_fd */
	int sock;
	int tfd;                    /* timerfd */
	bool is_unix;
	bool mapping;
	bool no_event_log;          /* events reach the event callback only (set_log_events) */
	bool diag_on;               /* the device sends DIAG (HELLO_ACK) */
	bool diag_in_valid;         /* diag_in is for the inflight command (its seq) */
	struct cxldcd_host_diag diag_in;  /* DIAG received, its CCI_RSP not yet */
	bool diag_valid;
	struct cxldcd_host_diag diag;     /* the last failed command's reason */
	bool ras_dev;               /* the device serves RAS messages and sends RAS_IRQ (HELLO_ACK) */
	bool ras_on;                /* ras_dev and not cfg.no_ras: the library handles RAS_IRQ */
	bool move_end_on;           /* the device ends every PAUSE with MOVE_END (HELLO_ACK) */
	bool group_files_on;        /* each MAP fd holds one group's capacity (HELLO_ACK; no spill) */
	bool group_files_acked;     /* HELLO_ACK granted a file per group (a spill leaves it) */
	uint8_t ras_buf[0x58];      /* RAS_READ_RSP of the library's own reads */
	uint64_t serial;            /* Identify (0001h), read at the first RAS error */
	bool serial_known;
	uint32_t mbox;              /* mailbox payload size */
	uint64_t span_base, span_size;
	uint64_t static_size;       /* static capacity, DPA 0 up to it (HELLO_ACK) */
	uint8_t *static_map;        /* its mapping, made by cxldcd_host_static_map() */
	uint8_t nr_regions;
	struct host_region regions[CXLDCD_MAX_REGIONS];
	uint32_t seq;
	/* input */
	uint8_t *rbuf;
	size_t rlen, rcap;
	int fds[64];
	unsigned nr_fds;
	/* output */
	uint8_t *obuf;
	size_t olen, ocap;
	bool want_out;
	/* commands */
	struct cmd *cq_head, *cq_tail;
	struct cmd *inflight;
	uint64_t deadline_ms;
	uint8_t cci_tag;
	/* bring-up scratch */
	uint8_t *cel;
	uint32_t cel_size, cel_got;
	struct cxldcd_extent *scan;
	uint32_t scan_nr, scan_total, scan_gen;
	int scan_tries;
	bool rescanning;            /* the scan is a re-read after an overflow (not bring-up) */
	/* events */
	bool draining, irq_pending;
	bool rescan_due;            /* the DC log overflowed: re-read the extent list when drained */
	uint64_t drain_retry_ms;    /* when to drain again after a failed Get; 0 = not needed */
	struct chain add_chain, rel_chain;
	uint64_t token;             /* next Add response token */
	uint64_t failed_token;
	/* groups and segments */
	struct group *groups, *groups_tail;
	struct group *adding, *adding_tail; /* in Add DC Responses, by token (FIFO) */
	struct htab group_ids, group_tags;
	struct rindex extents;      /* every group's extents but the revoked ones, by DPA */
	struct rindex revoked;      /* revoked pieces whose Forced Capacity Release record is due */
	uint64_t groups_bytes;      /* sum of every group's size */
	uint64_t next_group_id;
	struct rindex segs;         /* struct segment, by DPA */
	struct htab files;          /* struct backing, by file identity */
	/* apps */
	int app_listen;
	char *app_path;
	struct sockpolicy_owned app_own; /* the socket file we bound at app_path */
	uint32_t app_sock_gid0;     /* the group it got when made: its group when none is given */
	struct app_conn *apps;
	struct cxldcd_host_access *app_acc; /* who may open which group (access.c); owned */
	uint32_t nr_app_waiting;    /* applications whose OPEN waits for a move's REMAP */
	bool apps_revoked;          /* apps_revoke_all() ran: the link failed, or the agent stops */
	struct revocation *revq;    /* revocations to announce to applications */
	uint32_t nr_revq, cap_revq;
	struct cxldcd_host_stats st;
	int handled;
	bool in_process;            /* inside cxldcd_host_process(): its callbacks cannot drive it */
};

/* link.c */
__attribute__((format(printf, 3, 4)))
void host_log(const struct cxldcd_host *h, int level, const char *fmt, ...);
/*
 * An event in the log, in the shape of cxldcd-host's lines: "NAME tag=TAG
 * text" (TAG as cxldcd_host_group_tag_format() spells g's: "-" for none).
 */
void host_log_event(const struct cxldcd_host *h, int level, enum cxldcd_host_event_type t,
		    const struct cxldcd_host_group_info *g, const char *text);
/* Now on the library's clock (cfg.clock, else CLOCK_MONOTONIC), in ms. */
uint64_t host_now_ms(const struct cxldcd_host *h);
void host_fail(struct cxldcd_host *h, int err, const char *why);
void host_emit(struct cxldcd_host *h, enum cxldcd_host_event_type t, const struct group *g,
	       uint64_t dpa, uint64_t len, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/*
 * The device's reason for the last failed command when it is this opcode and
 * rc (DIAG), else NULL; the suffix form is ": reason=NAME (text)" or "".
 */
const char *host_diag_reason(const struct cxldcd_host *h, uint16_t opcode, uint16_t rc);
const char *host_diag_suffix(const struct cxldcd_host *h, uint16_t opcode, uint16_t rc,
			     char *buf, size_t size);
void host_emit_rc(struct cxldcd_host *h, uint16_t opcode, uint16_t rc, const char *what);
/* Queue a CCI command (in borrowed, copied) with its continuation.  Return 0 or -errno (failed). */
int host_cmd(struct cxldcd_host *h, uint16_t opcode, const void *in, size_t in_len,
	     cmd_done_fn *done, struct cont k);
/* The same, at the head of the queue: sent right after the command in flight. */
int host_cmd_first(struct cxldcd_host *h, uint16_t opcode, const void *in, size_t in_len,
		   cmd_done_fn *done, struct cont k);
void link_enqueue(struct cxldcd_host *h, struct cmd *c);
/* Send the next queued command if none is in flight. */
void link_send_next(struct cxldcd_host *h);
/* The command in flight got its answer (err or rc, out). */
void link_complete(struct cxldcd_host *h, int err, uint16_t rc, const uint8_t *out, size_t len);
void link_drop_queue(struct cxldcd_host *h);
uint8_t *link_reserve(struct cxldcd_host *h, size_t cap);
void link_flush(struct cxldcd_host *h);
int host_epoll_add(struct cxldcd_host *h, int fd);
void host_epoll_del(struct cxldcd_host *h, int fd);

/* ras.c */
/*
 * Queue a RAS register read (kind CMD_RAS_READ: the 0x58 raw bytes into buf)
 * or write (CMD_RAS_WRITE: offset, value).  done(opaque, err) runs when it
 * is answered or dropped.  Return 0 or -errno.
 */
int ras_submit(struct cxldcd_host *h, enum cmd_kind kind, uint32_t offset, uint32_t value,
	       void *buf, cxldcd_host_io_fn *done, void *opaque);
/* Right after HELLO_ACK: unmask every error (Linux cxl_pci_ras_unmask()), unless cfg.no_ras. */
void ras_connect(struct cxldcd_host *h);
/* RAS_IRQ: read, report (EV_RAS_*), clear. */
void ras_irq(struct cxldcd_host *h, bool uncorrectable);

/* groups.c, segments.c, ranges.c */
bool tag_is_null(const uint8_t *tag);
/* Replace [at, at+len) with inaccessible pages (anonymous PROT_NONE).  Return 0 or -errno. */
int host_map_none(void *at, size_t len);
void groups_init(struct cxldcd_host *h);
struct group *group_new(struct cxldcd_host *h, const struct cxldcd_extent *e, uint32_t n,
			uint8_t region);
/* g rides in the Add DC Response of token (queued in token order). */
void group_set_adding(struct cxldcd_host *h, struct group *g, uint64_t token);
/* The oldest group still waiting for an Add DC Response (NULL: none). */
struct group *group_first_adding(const struct cxldcd_host *h);
void group_activate(struct cxldcd_host *h, struct group *g);
void group_free(struct cxldcd_host *h, struct group *g);
struct group *group_find(const struct cxldcd_host *h, const uint8_t *tag, uint64_t id);
/* The oldest group with an extent that meets [dpa, dpa+len), or NULL. */
struct group *group_by_dpa(const struct cxldcd_host *h, uint64_t dpa, uint64_t len);
bool group_overlaps_any(const struct cxldcd_host *h, uint64_t dpa, uint64_t len);
/* Whether a piece in [dpa, dpa+len) was revoked and its Forced Capacity Release record is due. */
bool groups_revoked_awaits(const struct cxldcd_host *h, uint64_t dpa, uint64_t len);
/* The extent that starts at dpa, or NULL. */
const struct ext_node *extent_at(const struct cxldcd_host *h, uint64_t dpa);
/* Whether an extent of g is X_ACCEPTED or X_RELEASE_PENDING. */
bool group_live(const struct group *g);
/*
 * Mark the parts of g's extents inside [dpa, dpa+len) revoked, splitting an
 * extent the range cuts (the device splits it the same way).  Return 0 or
 * -ENOMEM (nothing changed).
 */
int group_revoke_range(struct cxldcd_host *h, struct group *g, uint64_t dpa, uint64_t len);
/*
 * The length of g's mapping: every extent, live or not (info.size counts
 * only the live ones; a forced release's pieces keep their offsets).
 */
uint64_t group_span(const struct group *g);
void group_unmap(struct group *g);
/* Take over fd (kept, or closed when its file is held already); on error the caller closes it. */
int segments_add(struct cxldcd_host *h, uint64_t dpa, uint64_t len, uint64_t offset, int fd,
		 bool writable, enum seg_file shared);
/* Bounds from the device's configuration (see HOST_MIN_*_BOUND). */
uint64_t host_max_segments(const struct cxldcd_host *h);
uint64_t host_max_extents(const struct cxldcd_host *h);
void segments_drop(struct cxldcd_host *h, uint64_t dpa, uint64_t len);
/*
 * Inaccessible pages over [dpa, dpa+len) in every mapping; revoked: announce
 * it to the active groups hit.  hits (NULL: not wanted) receives every group
 * hit, in any state, oldest first (caller frees, even on error).  Return the
 * number of groups hit (0 when hits is NULL), or -ENOMEM when one could not
 * be remembered (the pages are inaccessible all the same).
 */
ssize_t groups_unmap_range(struct cxldcd_host *h, uint64_t dpa, uint64_t len, bool revoked,
			   struct group ***hits);
/*
 * A move's PAUSE: every mapping of [dpa, dpa+len) read-only, and its segments
 * paused until the REMAP replaces them (docs/host-link.md "Moves").  Each
 * mapped active group hit gets EV_GROUP_PAUSED first (its application stops
 * writing there).
 */
void groups_pause_range(struct cxldcd_host *h, uint64_t dpa, uint64_t len, uint64_t id);
/*
 * A move's MOVE_END: the segments of [dpa, dpa+len) that move id paused and
 * no REMAP replaced go (their grant is retired); their mappings become
 * inaccessible and applications holding a group hit are told REVOKE.
 * Return whether any went.
 */
bool groups_end_move(struct cxldcd_host *h, uint64_t dpa, uint64_t len, uint64_t id);
/*
 * A move's REMAP: map [dpa, dpa+len) again, in place, from the segments now
 * there (segments_add() first); applications holding a group hit are told
 * REVOKE (their mappings are of the old grant).  Each mapped active group hit
 * gets EV_GROUP_RESUMED, or EV_REVOKED when pages of it had no segment
 * (inaccessible now: a MOVE_END without a REMAP, or a REMAP that failed).
 */
void groups_remap_range(struct cxldcd_host *h, uint64_t dpa, uint64_t len);
/*
 * Remember, for the applications (apps_announce()), that group id lost
 * [off, off+len) of its mapping, or all of it (len 0: see struct revocation).
 */
void groups_note_revoked(struct cxldcd_host *h, uint64_t id, uint64_t off, uint64_t len);
/*
 * A Forced Capacity Release record for [dpa, dpa+len) came: the groups whose
 * pieces there its UNMAP revoked (in cxldcd_host.revoked), oldest first,
 * into *hits (caller frees, even on error); those pieces leave the index.
 * Return their number, or -ENOMEM when one could not be remembered.
 */
ssize_t groups_take_revoked(struct cxldcd_host *h, uint64_t dpa, uint64_t len,
			    struct group ***hits);
/*
 * Segments covering g's extents in group order but the revoked ones (gaps,
 * at their offsets).  Return count or -ENODEV (an extent lacks one), -E2BIG.
 * paused: the piece is of a segment a move paused (its grant is being retired).
 */
struct gseg {
	uint64_t group_offset, len, file_offset;
	int fd;
	bool writable;
	bool paused;
	enum seg_file shared;
};
int group_segments(const struct cxldcd_host *h, const struct group *g, struct gseg *out,
		   uint32_t cap);
/*
 * Merge the pieces s[n] (group order) that continue each other in the group
 * and in one file, with the same access and pause state: one mmap each.
 * Return the new count.
 */
int groups_coalesce(struct gseg *s, int n);
void groups_fini(struct cxldcd_host *h);

/* segments.c: the pieces of a mapping, used by groups.c, ranges.c and groups-api.c */
/* The segment n is linked in (struct segment), or NULL. */
struct segment *host_segment_of(struct rnode *n);
/* Unlink s from h->segs, drop its backing file and free it. */
void host_segment_free(struct cxldcd_host *h, struct segment *s);
/*
 * The piece of [cur, end) that the segment at cur covers (group_offset 0).
 * Return 0, or -ENODEV when no segment holds cur.
 */
int host_piece_find(const struct cxldcd_host *h, uint64_t cur, uint64_t end, struct gseg *p);
/* mmap p over at, shared, with its access (read-only when paused).  Return 0 or -errno. */
int host_piece_map(uint8_t *at, const struct gseg *p);

/* release.c */
/* Send a 4802h/4803h extent list, More-split to fit the mailbox; k.last set on the last part. */
void dc_list_send(struct cxldcd_host *h, uint16_t opcode, const struct cxldcd_range *r,
		  uint32_t n, cmd_done_fn *done, struct cont k, bool first);
/* Release the group's live extents now (not open) or defer. */
void group_release(struct cxldcd_host *h, struct group *g);
/* Drop one open; a deferred release then proceeds, a fully revoked group goes. */
void group_put(struct cxldcd_host *h, struct group *g);
/* A closed Release Capacity chain from the device. */
void release_chain(struct cxldcd_host *h, const struct cxldcd_extent *x, uint32_t nr,
		   uint32_t count);
/* A Forced Capacity Release record. */
void release_forced(struct cxldcd_host *h, const struct cxldcd_extent *x);
/*
 * UNMAP with reason revoked (a forced release; its record follows): the
 * pages go and the extents' pieces in [dpa, dpa+len) become X_REVOKED.
 */
void release_unmapped(struct cxldcd_host *h, uint64_t dpa, uint64_t len);
/*
 * After a re-read of the extent list (an overflow's: it walks every extent
 * anyway): active groups left with nothing live go, unless open.
 */
void release_sweep(struct cxldcd_host *h);

/* events.c */
void events_irq(struct cxldcd_host *h);
void events_tick(struct cxldcd_host *h, uint64_t now_ms);
uint64_t events_deadline(const struct cxldcd_host *h);
void chain_fini(struct chain *c);
/*
 * The group-added event of g, accepted or replayed: one text for both
 * ("id=N extents=N size=0x.. mapped=yes|no", " replayed" after it), so that
 * a script reads a replayed group's id where it reads an added one's.
 */
void events_group_added(struct cxldcd_host *h, const struct group *g);
/* Validate one group of extents (replay or add).  Return 0 or -EINVAL with why. */
int events_check_group(struct cxldcd_host *h, const struct cxldcd_extent *e, uint32_t n,
		       uint8_t *region, char *why, size_t cap);
/*
 * Split n extents into tag groups (same non-null tag; an untagged extent
 * alone): order[] receives the extent indexes group after group, groups in
 * the order of their first extent, extents in offer order; start[g] is where
 * group g begins (start has room for n + 1 entries, start[nr] = n).
 * Return the number of groups, or -ENOMEM.
 */
int events_tag_groups(const struct cxldcd_extent *e, uint32_t n, uint32_t *order,
		      uint32_t *start);

/* The re-read of the extent list after an overflow is done: drain again if due. */
void events_rescan_done(struct cxldcd_host *h);

/* bringup.c */
void bringup_start(struct cxldcd_host *h);
/*
 * Re-read the extent list (the DC log overflowed, CXL r3.2 §8.2.10.9.9.2)
 * and revoke what the host holds that the device no longer lists, as the
 * lost Forced Capacity Release records would have; events_rescan_done() at
 * the end.
 */
void bringup_rescan(struct cxldcd_host *h);
/*
 * A Region Configuration Updated record: read the DC configuration again
 * (4800h, the bring-up checks), then emit CXLDCD_HOST_EV_REGION_UPDATED.
 */
void bringup_reread_config(struct cxldcd_host *h, uint8_t region);

/* apps.c */
void apps_process_fd(struct cxldcd_host *h, int fd);
bool apps_owns_fd(const struct cxldcd_host *h, int fd);
/* Send REVOKE for every group in h->revq to the applications that opened it. */
void apps_announce(struct cxldcd_host *h);
/*
 * Answer the OPENs that wait for a move's REMAP (apps.c) once it has come,
 * or their time ran out; apps_deadline(): the earliest such time, 0: none.
 */
void apps_resume(struct cxldcd_host *h);
uint64_t apps_deadline(const struct cxldcd_host *h);
/*
 * Every application's opens end (why: the link failed, the agent stops):
 * CXLDCD_HOST_EV_APP_REVOKED and REVOKE for each group it holds.  Once per
 * context: later calls do nothing.
 */
void apps_revoke_all(struct cxldcd_host *h, const char *why);
/*
 * Close every application's connection (after apps_revoke_all(): REVOKE,
 * then EOF) and the socket, its file removed: at the link's failure,
 * nothing serves them in this context any more (a new one does).
 */
void apps_close(struct cxldcd_host *h);
/*
 * cxldcd_host_set_access() but the kick: the rules acc (copied) in force,
 * opens they no longer cover revoked.  Return how many, or -errno.
 */
int apps_set_access(struct cxldcd_host *h, const struct cxldcd_host_access *acc);
/* apps_revoke_all(), then the socket and every application closed. */
void apps_fini(struct cxldcd_host *h);

/* messages.c */
/* Read the link, 16 reads at most, and handle what came; return true when it may hold more. */
bool host_link_read(struct cxldcd_host *h);

/* host.c */
/*
 * Send the next queued command now and re-arm the timer (public entry points
 * that queue, at their end); when the link failed, end the applications'
 * connections now, outside a round (the user may never call again).
 */
void host_kick(struct cxldcd_host *h);

#endif /* CXLDCD_HOST_INT_H */
