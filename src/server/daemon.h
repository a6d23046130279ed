/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - the state of the running cxldcd daemon and the helpers that its
 * faces (QMP commands, FM socket, host link, timer) share: one memory
 * registry, the devices, the store, the request bracket (time, journal,
 * events).  Internal to src/server.
 *
 * Every request that reaches a device runs as:
 *
 *	srv_request_begin(s);              model time = wall clock (or the record's time in replay)
 *	srv_group_add(s, ..., done, op);   when it can change something: its input joins the
 *	                                   loop round's group commit; the face holds the client
 *	done(op, rc):                      after the commit: rc 0 = durable, model time = the
 *	                                   record's: run it; else refuse it unapplied
 *	... run it through the model ...
 *	srv_request_end(s);                QMP events of what happened (dropped during replay)
 *
 * Without a store (or in replay) nothing is queued and the request runs at
 * once.  srv_journal() is the same group flushed at once, for a record
 * that cannot wait (the restart marker).
 *
 * Nothing here is thread-safe: everything runs on the one loop.
 */
#ifndef CXLDCD_SERVER_DAEMON_H
#define CXLDCD_SERVER_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cci/cci.h"
#include "core/core.h"
#include "mem/mem.h"
#include "hostlink/hostlink.h"
#include "log.h"
#include "loop.h"

struct qmp_server;
struct cmdline_cfg;
struct cmdline_object;
struct store;
struct cci_ctx;
struct fm_listen;
struct srv_doubt;

#define DCD_PATH_PREFIX "/machine/peripheral/"
#define SRV_ERR_MAX 512

/* Journal ports of STORE_REC_CCI records. */
#define SRV_PORT_FM 1         /* a message on an FM socket connection (or MCTP type 07h) */
#define SRV_PORT_MCTP 3       /* a message of MCTP type 08h: the Type 3 MCTP-based CCI */
/*
 * Journal port of STORE_REC_HOSTLINK records: a host's CCI message on the
 * host link (record host = the host id), or, with no data, the discard of
 * that host's open More chain when its connection closed.
 */
#define SRV_PORT_HOSTLINK 2

/* One -device cxl-type3. */
struct dcd {
	struct server_ctx *srv;
	uint32_t index;               /* position on the command line; the store's dev */
	char *id;
	char *path;                   /* "/machine/peripheral/ID" */
	enum mem_dev_mode mode;
	char *memdev;                 /* MEM_DEV_SINGLE: backend id */
	bool trusted_hosts;           /* -device ...,trusted-hosts=on */
	struct cxldcd_dev *dev;
	struct mem_dev *md;           /* attached after replay (dcd_attach_memory) */
	struct mem_dev *replay_check; /* during replay: refuses the adds md would (persist.c) */
	struct owed_node *owed;       /* during replay: zeroing not yet proven run (owed.c) */
	struct owed_node *owed_lsa;   /* during replay: Set LSA ranges not yet proven run */
	struct owed_node *owed_static; /* during replay: erased static capacity (by DPA) not yet proven */
	size_t nr_owed;               /* ranges in the three */
	uint32_t owed_seed;           /* owed's node priorities */
	bool owed_lost;               /* one could not be noted (out of memory) */
	struct core_extent_info *erase_xs; /* during replay: the erasing host's extents (owed.c) */
	uint32_t nr_erase_xs, erase_gen;
	uint16_t erase_host;
	struct cci_ctx *qmp_fm;       /* cxl-cci-request cci=fm */
	struct cci_ctx **qmp_mbox;    /* [nr_hosts]: cxl-cci-request cci=mailbox, made on first use */
	struct cci_ctx *replay_fm;    /* FM-socket records during replay */
	struct cci_ctx *replay_mctp;  /* MCTP CCI (08h) records during replay */
	struct cci_ctx **replay_mbox; /* [nr_hosts]: host-link records during replay, made on first use */
	struct hostlink *hl;          /* its --host-socket listeners (unix and tcp), NULL if none */
	uint64_t hl_timer;            /* the loop timer hl asked for (hostlink_tick()) */
	bool hl_timer_set;
	struct loop_defer hl_flush;   /* queued: hostlink_flush() at the end of the round */
	bool tick_queued;             /* a due tick waits for its group commit */
	bool *drop_owed;              /* [nr_hosts]: a chain drop not yet journaled (store failing) */
	/* what the observers saw during the current request (events.c) */
	json_t *acc;                  /* {"extents": [...]} accepted, until group_answered */
	json_t *rel, *rev;            /* {"host": {"extents": [...]}} released / revoked */
};

/* What command handlers and the other faces reach. */
struct server_ctx {
	struct qmp_server *qmp;
	const struct cmdline_cfg *cfg;
	const struct srv_log *log;
	struct loop *loop;
	struct mem_registry *reg;
	struct dcd **devs;
	size_t nr_devs;
	struct store *st;             /* NULL: volatile (no --state) */
	bool replaying;               /* journal replay: no journaling, no events */
	bool starting;                /* restoring --state: clients are answered "starting" */
	uint64_t replay_seq, replay_last; /* the journal record replayed last, the last one */
	uint64_t replay_pump_ms;      /* when replay last let the loop answer clients */
	bool snap_loading;            /* the snapshot loads (before the replay) */
	const char *snap_restoring;   /* the id of the device it restores now, or NULL */
	/* The start's progress to the service manager now (a phase begins): main-start.c; NULL: none */
	void (*progress_now)(void *opaque);
	void *progress_opaque;
	bool store_failing;           /* the last commit failed: mutating requests are refused */
	bool exit_keeps_models;       /* srv_ctx_fini() leaves each device's model to the exit (main.c) */
	char store_err[256];          /* the store's message of that failure */
	uint64_t now_ns;              /* model time of the current request */
	json_t *events;               /* [{"event", "data"}] queued until the request ends */
	uint64_t tick_timer;
	bool tick_armed;
	struct srv_group_item *group;       /* inputs waiting for the next group commit */
	struct srv_group_item **group_tail;
	bool group_one_by_one;              /* bench knob $CXLDCD_GROUP_COMMIT=off: a commit each */
	uint64_t nr_commits, nr_committed;  /* group commits that succeeded, the inputs they held */
	json_t *objects;                    /* arguments of the live object-add backends */
	uint64_t snap_every;                /* journal records between snapshots (0: never) */
	uint64_t snap_seq;                  /* journal seq of the newest snapshot attempt */
	uint64_t snap_kept_seq;             /* seq of the snapshot file the store records (0: none) */
	int snap_pid;                       /* the child writing one, or 0 */
	int snap_fd;                        /* its pipe: EOF when it is done */
	uint64_t snap_pending_seq;          /* what it covers */
	bool trimming;                      /* journal rows behind the snapshot left to delete */
	bool ran_unproven;                  /* an erase or Set LSA ran since the last proof record (owed.c) */
	bool erased;                        /* the request running now erased (owed.c; request.c) */
	bool bg_unproven;                   /* it started a background erase in doubt (request.c) */
	/*
	 * Backend writes the replay would owe (zeroing, Set LSA) done so far,
	 * how many of them a recorded snapshot's child synced, and how many
	 * the pending one syncs (persist.c): the journal of a zeroing is not
	 * dropped before the zeroing is on disk.
	 */
	uint64_t nr_zeroed, zeroed_synced, snap_zeroed;
	/* ... and how many of them the loop synced before a proof or an acceptance (zerosync.c) */
	uint64_t zeroed_durable;
	bool sync_failing;                  /* its last sync of them failed (s->store_err says which) */
	/*
	 * Duplicates of the files of backends object-del removed while a
	 * zeroing was not synced yet, and how many of them the pending
	 * snapshot's child got (zerosync.c).
	 */
	int *gone_fds;
	size_t nr_gone, nr_gone_forked;
	/*
	 * Places a replay owed a zeroing on backends that were unavailable,
	 * [tag, start, len] each, as the store keeps them (owed.c), and
	 * whether they changed since they were stored.
	 */
	json_t *owed_carry;
	bool owed_carry_dirty;
	/*
	 * The group being flushed runs in segments, each ending after a
	 * request that may erase (request.c): the rest of the group, the
	 * next segment once committed (next_done) and that commit's outcome,
	 * and how many of the running segment have not started yet.
	 */
	struct srv_group_item *flush_rest, *next_seg;
	bool flushing, next_done;
	int next_rc;
	uint32_t flush_unrun;
	/*
	 * A proof record owed since a commit that carried it failed
	 * (owed-proof.c): since when (wall clock), the timer that tries it
	 * again, its delay and when it fires (loop_now_ms()), the attempts
	 * so far; the hosts whose capacity erases answered Internal Error
	 * zeroed meanwhile, and those the request running now zeroed.
	 */
	bool proof_owed, proof_timer_set;
	uint64_t proof_owed_ns, proof_timer, proof_delay_ms, proof_next_ms;
	uint32_t proof_attempts;
	/*
	 * The -errno of the store's last failure (store_failing), and, while
	 * it is -ENOSPC with a proof owed, the timer that watches the free
	 * space of the store's file system and what it was at that failure
	 * (bytes; UINT64_MAX: unknown) (owed-proof.c).
	 */
	int store_rc;
	bool proof_space_set;
	uint64_t proof_space_timer, proof_space_free;
	struct srv_doubt *doubt, *erasing;
	size_t nr_doubt, nr_erasing;
	/*
	 * The background operations such erases started, with the return
	 * code they were answered (one per device and CCI, the last): stored
	 * with the proof (bg_answered_dirty until then), given back to the
	 * same operations by the next start (srv_proof_results_load()).
	 */
	struct srv_bg_answered *bg_answered;
	size_t nr_bg_answered;
	bool bg_answered_dirty;
};

/* ---- request.c: the request bracket ------------------------------------ */

/* Set the model time of every device (wall clock, or s->now_ns in replay). */
void srv_request_begin(struct server_ctx *s);
/*
 * Journal one input and commit it now, before the model runs it (a no-op
 * without a store or during replay): srv_group_add() + srv_group_flush(),
 * so it shares the commit with whatever this round queued before it (and
 * those run first).  For a record that cannot wait for the round (the
 * restart marker); requests queue and are answered from done().  On failure (-ENOSPC, -EIO, ...) the caller must not run the
 * request and answers with an error (srv_store_error_text(), or CCI
 * Internal Error); the daemon keeps running and the next call tries the
 * store again.  On return the model time is the record's.  Return 0 or -errno.
 */
int srv_journal(struct server_ctx *s, uint32_t kind, uint32_t dev, uint32_t port, uint32_t host,
		const void *data, size_t len);
/*
 * Whether a CCI message must be journaled before it runs, on every face
 * (FM socket, MCTP, host link; QMP cxl-cci-request through
 * srv_opcode_journaled()): a whole message whose opcode is not a pure read
 * (cci_opcode_is_read(): the command table's CEL effects), or any message
 * while a More chain is open on its context (it changes the staging
 * whatever its return code).
 */
bool srv_cci_journaled(const uint8_t *msg, size_t len, bool chain_open);
/* The same on an opcode alone (QMP cxl-cci-request, before it is encoded). */
bool srv_opcode_journaled(uint16_t opcode, bool chain_open);
/* The QMP error text of a request refused because the store failed (in buf). */
const char *srv_store_error_text(struct server_ctx *s, char *buf, size_t cap);
/*
 * Group commit.  srv_group_add() queues one input to be journaled with the
 * others of this loop round (a copy of data is kept); srv_group_flush(),
 * run after the round's fds were dispatched, journals them all in one
 * transaction and one commit, then calls each done(opaque, rc) in order:
 * rc 0 = durable, run it now (model time = the record's); else the commit
 * failed (refuse it, srv_store_error_text()).  Callbacks may queue more
 * inputs (a client's next request): they wait for the next call, which the
 * loop makes after its next round (which then does not block).
 * Return 0 or -ENOMEM (then nothing was queued: refuse the request).
 */
typedef void srv_group_done_fn(void *opaque, int rc);
int srv_group_add(struct server_ctx *s, uint32_t kind, uint32_t dev, uint32_t port, uint32_t host,
		  const void *data, size_t len, srv_group_done_fn *done, void *opaque);
void srv_group_flush(struct server_ctx *s);
/* Whether inputs go through the group (a store, not replaying). */
bool srv_grouping(const struct server_ctx *s);
/* srv_request_begin() at the given model time (a grouped input's record time). */
void srv_request_begin_at(struct server_ctx *s, uint64_t now_ns);

/*
 * After a request ran, before its answer is sent: when it was the last of
 * its segment of the group and an erase (or Set LSA) ran, commit the proof
 * record now (with the next segment), so nothing is answered before the
 * journal says the erase ran (docs/persistence.md, "Crash semantics").
 * Then emit the queued events (dropped in replay).
 * Return 0, or -EIO when the request erased and that proof could not be
 * committed (the store fails): the face must not answer it as it ran
 * (CCI: Internal Error, srv_cci_unproven(); QMP: srv_unproven_text()),
 * since a restart before the store accepts writes again erases again what
 * is written after it.  Other callers may ignore it.  An erase that
 * started a background operation (Sanitize, Media Operations) is the
 * exception: it is answered as it ran, Background Command Started (01h)
 * with the Background Operation bit set, since the operation runs on, and
 * reports Internal Error as its result when it ends (0002h); 0 then, with
 * srv_request_bg_unproven() true.
 */
int srv_request_end(struct server_ctx *s);
/* The request srv_request_end() ended started a background erase in doubt. */
bool srv_request_bg_unproven(const struct server_ctx *s);
/*
 * The return code of an erase srv_request_end() refused as not durable,
 * on a CCI, and of the background operation it started once that ends
 * (Background Operation Status, srv_proof_doubt()).
 */
#define SRV_RC_UNPROVEN CXLDCD_RC_INTERNAL_ERROR
/*
 * An erase srv_request_end() refused as not durable: turn its response
 * (@rsp, *@rsp_len bytes of @cap) into a header-only Internal Error of
 * the request @req (@req_len bytes).  Return 0 or -EINVAL.
 */
int srv_cci_unproven(const uint8_t *req, size_t req_len, uint8_t *rsp, size_t cap,
		     size_t *rsp_len);
/* The QMP error text of such an erase (in buf). */
const char *srv_unproven_text(struct server_ctx *s, char *buf, size_t cap);
/* Wall clock, ns. */
uint64_t srv_wall_ns(void);
/*
 * Commit the proof record owed, alone, now (between loop rounds: no group
 * is being flushed); the outcome as for any commit (store_failing,
 * srv_proof_note()).
 */
void srv_prove_now(struct server_ctx *s);

/* ---- owed-proof.c: a proof record the store could not take --------------- */

/*
 * After every commit attempt that may carry the proof record: when it
 * failed with a proof due, the proof is owed (a WARNING once, a timer
 * tries it again with backoff); when the proof is committed, the erases
 * answered Internal Error meanwhile are durable (a NOTICE, one
 * CXL_ERASE_DURABLE event per device and host).
 */
void srv_proof_note(struct server_ctx *s);
/* Live: the request running now zeroed some of @host's capacity on device @dev (owed.c). */
void srv_proof_erasing(struct server_ctx *s, uint32_t dev, uint16_t host);
/*
 * The erase that ran now is in doubt: note the hosts it zeroed, and make
 * the background operation it started (a Sanitize, Media Operations) end
 * with SRV_RC_UNPROVEN.  True when it started one (then it is answered as
 * it ran, 01h; else Internal Error).
 */
bool srv_proof_doubt(struct server_ctx *s);
/*
 * A transaction of the store that carries no requests (the record of a
 * snapshot) succeeded: when a proof is owed because the store failed, the
 * store works again, so commit it now (the very next transaction), not at
 * the retry timer, which may be seconds away.
 */
void srv_proof_store_worked(struct server_ctx *s);
/*
 * Inside the transaction that carries the proof record (owed.c): store the
 * return codes erases in doubt were answered with, when some are not
 * stored yet (store_bg_results_set()).  Return 0 or -errno.
 */
int srv_proof_results_append(struct server_ctx *s);
/*
 * At start, after the replay: the stored return codes given back to the
 * background operations they were answered for, where those are still
 * the last of their CCI (a warning when the text is not readable).
 */
void srv_proof_results_load(struct server_ctx *s);
/* At a clean stop: one last attempt; a WARNING of what the next start erases again. */
void srv_proof_stop(struct server_ctx *s);
/* query-cxl-durability's answer (caller frees; NULL: out of memory). */
json_t *srv_proof_query(const struct server_ctx *s);
void srv_proof_fini(struct server_ctx *s);

/* ---- device.c: backends and devices ------------------------------------ */

/* Create a backend from a parsed -object / object-add.  Return 0 or -errno, err says why. */
int srv_backend_add(struct server_ctx *s, const struct cmdline_object *o, char *err, size_t cap);
/* Build the models of every -device (no memory yet).  Return 0 or -errno. */
int dcd_create_all(struct server_ctx *s, char *err, size_t cap);
/* The memory configuration of @dv (its -device's backends), as dcd_attach_memory() uses it. */
void dcd_mem_cfg(const struct server_ctx *s, const struct dcd *dv, struct mem_dev_cfg *mc);
/* Attach memory to every device and bind its accepted extents (after replay). */
int dcd_attach_memory(struct server_ctx *s, char *err, size_t cap);
/* Disconnect hosts, free contexts, models, memory, host links (in that order). */
void dcd_free_all(struct server_ctx *s);
/*
 * Free what a server context owns: its devices (after every user of their
 * CCI contexts), then the backend registry, the store, and the QMP event
 * and object lists.  The loop, listeners and QMP server are the caller's.
 */
void srv_ctx_fini(struct server_ctx *s);
/* "/machine/peripheral/ID" or "ID"; NULL if none. */
struct dcd *dcd_find(struct server_ctx *s, const char *path);
/* The QMP mailbox context of host (created on first use); NULL on -ENOMEM. */
struct cci_ctx *dcd_qmp_mbox(struct dcd *dv, uint16_t host);
/* Discard half-received QMP mailbox chains (restart marker).  Return: how many. */
unsigned dcd_discard_qmp_chains(struct server_ctx *s);
/* The mailbox context that replays host's host-link records (NULL: bad host or no memory). */
struct cci_ctx *dcd_replay_mbox(struct dcd *dv, uint16_t host);
/* Drop the replay context of host (discarding its open chain, if any). */
void dcd_replay_mbox_drop(struct dcd *dv, uint16_t host);

/* object-add / object-del (qmp-object.c), also used by replay.  Return 0 or -errno, err says why. */
int srv_object_add(struct server_ctx *s, json_t *args, char *err, size_t cap);
int srv_object_del(struct server_ctx *s, const char *id, char *err, size_t cap);

/* ---- events.c: model observer → QMP events ----------------------------- */

int dcd_events_attach(struct dcd *dv);
/* JSON of one extent: region, offset (in the region), dpa, len, tag, shared-seq. */
json_t *dcd_extent_json(const struct dcd *dv, const struct cxldcd_extent *e);
/* Queue the per-request released/revoked summaries, then emit everything queued. */
void srv_events_flush(struct server_ctx *s);

/* ---- owed.c: the zeroing a kill may have left undone ---------------------- */

struct store_rec;

/* Observe @dv for the calls below (once, before the replay).  Return 0 or -ENOSPC. */
int srv_owed_watch(struct dcd *dv);
/* During replay: capacity freed; when @x->sanitize, its zeroing is owed. */
void srv_owed_freed(struct dcd *dv, const struct core_extent_info *x);
/* During replay: a host accepted @x, so what it overlaps of the owed zeroing (any tag-backed device's) ran. */
void srv_owed_accepted(struct dcd *dv, const struct core_extent_info *x);
/*
 * Sanitize, Secure Erase or a Media Operations erase zeroed [dpa, dpa+len)
 * of @host's capacity: during replay the zeroing of the extents' places is
 * owed; live, a proof record is due (srv_owed_prove()).
 */
void srv_owed_erased(struct dcd *dv, uint16_t host, uint64_t dpa, uint64_t len);
/* Whether @rec is a proof record: everything journaled before it ran. */
bool srv_owed_is_proof(const struct store_rec *rec);
/* During replay, at a proof record: nothing before it is owed any more. */
void srv_owed_proven(struct server_ctx *s);
/* Append a proof record to the open transaction when one is due; 0 or the store's -errno. */
int srv_owed_append_proof(struct server_ctx *s);
/* Commit a proof record now when one is due (after a group ran); 0 or the store's -errno. */
int srv_owed_prove(struct server_ctx *s);
typedef void srv_owed_fn(void *opaque, const uint8_t *tag, uint64_t start, uint64_t len);
/* What @dv owes, in (backend tag, start) order: all-zero tag for a memdev device. */
void srv_owed_each(const struct dcd *dv, srv_owed_fn *fn, void *opaque);
/*
 * owed-settle.c.  At the end of the replay: when @zero, zero what is still
 * owed in the backends (through each device's replay checker) and write the
 * Set LSA bytes still owed to the lsa backends; forget it all either way.  When it
 * did something, a proof record is due (s->ran_unproven).  Return how many
 * ranges were zeroed.
 */
size_t srv_owed_settle(struct server_ctx *s, bool zero);
/*
 * After srv_owed_settle(): store the places owed on backends that were
 * unavailable (store_owed_set()), when they changed; how many there are
 * in *nr.  Return 0 or -errno (the start must not go on: they would be
 * forgotten).
 */
int srv_owed_carry_save(struct server_ctx *s, size_t *nr);
/*
 * A backend made by a live object-add: zero the places owed on it while
 * it was unavailable (found by its tag) and store what is left, before
 * anything can bind it.  Return 0, or -errno with err set.
 */
int srv_owed_backend_back(struct server_ctx *s, const char *id, char *err, size_t cap);

/* ---- zerosync.c: a deleted backend's zeroing reaches the disk ------------ */

/*
 * Before object-del removes backend @id: a duplicate of its file's
 * descriptor when something was zeroed since the recorded snapshot and it
 * is a file a restart finds again; else -1.
 */
int srv_zerosync_dup(struct server_ctx *s, const char *id);
/* The backend is gone: keep @fd (from srv_zerosync_dup(), -1: none) for the next snapshot. */
void srv_zerosync_keep(struct server_ctx *s, int fd, const char *id);
/*
 * At a snapshot's fork: when @sync, the kept descriptors into @out (room
 * for s->nr_gone) for the child to sync; how many.  Either way the
 * snapshot covers them once recorded.
 */
size_t srv_zerosync_fork(struct server_ctx *s, int *out, bool sync);
/*
 * Before a commit that makes a replay forget a zeroing (a proof record,
 * an acceptance): when something was zeroed since the last call, fsync
 * every file backend (and those object-del removed meanwhile).  Return 0,
 * or -errno with s->store_err naming the backend (the commit must not
 * happen).
 */
int srv_zerosync_all(struct server_ctx *s);
/* That snapshot is recorded: close what it covered. */
void srv_zerosync_done(struct server_ctx *s);
void srv_zerosync_fini(struct server_ctx *s);

/* ---- persist.c: --state ------------------------------------------------ */

/*
 * Open the store (its lock: one daemon per store), before any socket is
 * made: a killed daemon's snapshot child closes every descriptor it
 * inherited, listeners included, and the lock last, so once the lock is
 * ours no such child holds a socket we are about to claim or bind.
 * Return 0, or -errno with err naming the problem.
 */
int srv_state_lock(struct server_ctx *s, const char *dir, char *err, size_t cap);
/*
 * Open the store (unless srv_state_lock() did), check or store the
 * configuration, load the newest snapshot, replay the journal after it.
 * Return 0, or -errno with err naming the problem.
 */
int srv_state_open(struct server_ctx *s, const char *dir, char *err, size_t cap);
/*
 * Between loop rounds: start a snapshot in a forked child when
 * s->snap_every records were journaled since the last one and no More
 * chain is open.  The child writes DIR/snapshot-SEQ.bin; when it exits,
 * the journal up to SEQ is dropped (srv_snapshot_done()).
 */
void srv_snapshot_maybe(struct server_ctx *s);
/*
 * Between loop rounds, after their answers: delete up to 2,000 journal
 * rows the recorded snapshot made obsolete (s->trimming), one transaction.
 */
void srv_journal_trim_some(struct server_ctx *s);
/* Wait for (or stop) a snapshot child at shutdown. */
void srv_snapshot_stop(struct server_ctx *s);
/*
 * At a clean stop, once the group is flushed and srv_snapshot_stop() ran:
 * whether a snapshot of the state is due (records after the recorded one,
 * the store healthy, no More chain staged), and writing it in this process
 * and recording it (0), or a WARNING and -errno with the journal as it was.
 */
bool srv_snapshot_final_due(struct server_ctx *s);
int srv_snapshot_final(struct server_ctx *s);
/* The snapshot child's pipe is readable (it is done). */
void srv_snapshot_done_fd(struct loop *l, int fd, unsigned events, void *opaque);
/* The canonical configuration text (caller frees). */
char *srv_config_text(const struct cmdline_cfg *cfg);

/* ---- commands.c -------------------------------------------------------- */

/* Run a journaled QMP command text again (replay).  Return 0 or -EIO with err. */
int server_replay_qmp(struct server_ctx *s, const char *text, size_t len, char *err, size_t cap);

/* ---- fm.c: FM-API and MCTP-CCI sockets ---------------------------------------------- */

struct sock_addr;
int fm_listen_new(struct server_ctx *s, const struct sock_addr *addr, struct dcd *dv,
		  enum cci_kind kind, struct fm_listen **out);
void fm_listen_free(struct fm_listen *fl);
void fm_listen_addr(const struct fm_listen *fl, char *buf, size_t len);
/* Connections kept (0: default, 64); at the limit newcomers are refused. */
void fm_listen_set_max_conns(struct fm_listen *fl, uint32_t max);

#endif
