/* SPDX-License-Identifier: MIT */
/*
 * store.h - durable state of the cxldcd daemon in one SQLite file.
 *
 * The store is a journal of acknowledged inputs plus readable snapshots.  The
 * device model (src/core) is deterministic and every change to it enters
 * through a face (a CCI message, a QMP command, a timer tick, an object-add or
 * object-del of a memory backend).  For each mutating request the daemon calls
 * store_begin(), runs the request, appends a record with
 * store_journal_append() when it succeeded, and store_commit()s before it
 * sends the reply.  On restart it rebuilds the devices from the stored
 * configuration and feeds the journal back through the same faces with
 * store_journal_replay(): the result is the last acknowledged state.
 *
 * store_checkpoint() writes a snapshot of one device into the snap_* tables
 * for people and tools (sqlite3).  The journal stays the source of truth:
 * nothing here restores from a snapshot.  See docs/persistence.md.
 *
 * What this is not: it does not know what a record means (the daemon
 * interprets the bytes), it does not call the model's mutating functions,
 * and it never logs or exits.  One struct store is used by one thread.
 *
 * Errors: 0 or -errno.  SQLite failures are -EIO (-ENOMEM, -ENOSPC, -EBUSY
 * where SQLite says so); the message is kept in store_last_error().
 */
#ifndef CXLDCD_STORE_H
#define CXLDCD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cxldcd_dev;
struct store;

/* Version of the database layout written by this code (meta.schema_version). */
#define STORE_SCHEMA_VERSION 2
/* File name of the database inside the store directory. */
#define STORE_DB_NAME "cxldcd.db"
/* SQLite application_id of a cxldcd store ('CXLD'). */
#define STORE_APPLICATION_ID 0x43584c44

/*
 * Kinds of journal records.  The bytes each kind carries are the daemon's
 * business; the conventions below keep the file readable (journal_view shows
 * JSON kinds as text and the others as hex).
 */
enum store_rec_kind {
	STORE_REC_CCI = 1,        /* a CCI request message (12-byte header + payload) */
	STORE_REC_QMP = 2,        /* a QMP command, JSON text */
	STORE_REC_TICK = 3,       /* a timer tick that changed the model; no data */
	STORE_REC_OBJECT_ADD = 4, /* object-add of a memory backend, JSON text */
	STORE_REC_OBJECT_DEL = 5, /* object-del of a memory backend, JSON text */
	STORE_REC_HOSTLINK = 6,   /* a host-link message that changed state */
};

/* One acknowledged input. */
struct store_rec {
	uint64_t seq;          /* assigned by store_journal_append(): 1, 2, ... */
	uint64_t time_ns;      /* model time when the request ran */
	uint32_t kind;         /* enum store_rec_kind (any non-zero value is stored) */
	uint32_t dev;          /* device index in the daemon (0..) */
	uint32_t port;         /* e.g. CCI: 0 = host mailbox, 1 = FM */
	uint32_t host;         /* host id where relevant, else 0 */
	const uint8_t *data;   /* the request bytes; borrowed; may be NULL when len is 0 */
	size_t len;
};

/**
 * store_open() - open or create the store in a directory.
 * @dir: directory; created with mode 0700 if missing.  Borrowed.
 * @out: receives the store; caller frees with store_close().
 * @err: buffer for a message on failure (may be NULL).
 * @cap: size of @err.
 *
 * Creates @dir/cxldcd.db on first use (WAL, synchronous=FULL) and takes an
 * exclusive lock on @dir/cxldcd.lock so that only one daemon uses the store
 * (held by another process: tried again every 10 ms for up to
 * STORE_DEFAULT_LOCK_WAIT_MS, 2 s, then -EBUSY).  An existing file must be a cxldcd store of a known schema version.
 *
 * Return: 0; -EBUSY (another process holds the store), -EPROTO (not a cxldcd
 * store, or a schema version this code does not know), -EIO (SQLite failure,
 * including a corrupt or foreign file), -ENOMEM, or the errno of a failed
 * mkdir/open.  @err says why.
 */
int store_open(const char *dir, struct store **out, char *err, size_t cap);

/* Default of store_open_opts.lock_wait_ms (what store_open() waits). */
#define STORE_DEFAULT_LOCK_WAIT_MS 2000u

/*
 * Options of store_open_with().  lock_wait_ms: how long to wait for
 * @dir/cxldcd.lock when another process holds it (a daemon killed while its
 * snapshot child was starting leaves the child holding it for a moment)
 * before failing with -EBUSY; 0 = the default.  Tests set a short one.
 */
struct store_open_opts {
	uint32_t lock_wait_ms;
};

/**
 * store_open_with() - store_open() with options.
 * @o: borrowed; NULL = the defaults (exactly store_open()).
 *
 * Return: as store_open().
 */
int store_open_with(const char *dir, const struct store_open_opts *o, struct store **out, char *err,
		    size_t cap);

/**
 * store_close() - roll back any open transaction and close.
 * @st: the store, or NULL (no-op).
 */
void store_close(struct store *st);

/**
 * store_last_error() - message of the last failed call on @st.
 * @st: the store.
 *
 * Return: a string owned by @st, valid until the next call on @st; "" if none.
 */
const char *store_last_error(const struct store *st);

/**
 * store_path() - path of the database file.
 * @st: the store.
 *
 * Return: a string owned by @st.
 */
const char *store_path(const struct store *st);

/**
 * store_is_new() - whether no configuration has been stored yet.
 * @st: the store.
 *
 * Return: true for a fresh store (the daemon starts from its command line and
 * calls store_config_set()), false when a configuration is stored.
 */
bool store_is_new(const struct store *st);

/**
 * store_config_get() - read the stored configuration.
 * @st: the store.
 * @text_out: receives a NUL-terminated copy; caller frees with free().
 *
 * Return: 0, -ENOENT if none is stored, -EIO or -ENOMEM.
 */
int store_config_get(struct store *st, char **text_out);

/**
 * store_config_set() - store the daemon's canonical configuration, once.
 * @st: the store.
 * @text: the configuration (for instance JSON of the command line); borrowed.
 *
 * Durable when it returns 0 (its own transaction, or part of the open one).
 * Storing the same text again is a no-op; a different text is refused, so a
 * daemon restarted with other arguments cannot replay a journal that does not
 * belong to them.
 *
 * Return: 0; -EEXIST if a different configuration is stored; -EINVAL; -EIO.
 */
int store_config_set(struct store *st, const char *text);

/**
 * store_begin() - open a write transaction.
 * @st: the store.
 *
 * Return: 0; -EALREADY if one is already open; -EBUSY or -EIO.
 */
int store_begin(struct store *st);

/**
 * store_commit() - commit the open transaction.
 * @st: the store.
 *
 * Return: 0 when the transaction is on stable storage (WAL fsync'd); only
 * then may the daemon send the replies of the requests it journals.  On
 * failure the transaction is rolled back (nothing of it is stored) and a
 * negative errno is returned; -EINVAL when no transaction is open.
 */
int store_commit(struct store *st);

/**
 * store_rollback() - drop the open transaction.
 * @st: the store.
 *
 * Return: 0; -EINVAL when no transaction is open; -EIO.
 */
int store_rollback(struct store *st);

/**
 * store_journal_append() - add a record to the open transaction.
 * @st: the store.
 * @rec: the record; rec->data is borrowed.  rec->seq is set on success.
 *
 * Return: 0; -EINVAL (no transaction open, kind 0, data NULL with len > 0);
 * -E2BIG (len above 1 GiB - 1); -EIO.
 */
int store_journal_append(struct store *st, struct store_rec *rec);

/*
 * Called for each record in order.  rec and rec->data are borrowed (valid
 * for the call only).  A non-zero return stops the replay and is returned by
 * store_journal_replay().  The callback must not write to the store.
 */
typedef int store_replay_fn(void *opaque, const struct store_rec *rec);

/**
 * store_journal_replay() - feed every journal record to @fn, oldest first.
 * @st: the store.
 * @fn: callback.
 * @opaque: passed to @fn.
 *
 * Records are checked while read: sequence numbers must run 1, 2, ... with no
 * gap (a gap means a damaged file and gives -EIO).
 *
 * Return: 0 after the last record; @fn's non-zero value; -EIO.
 */
int store_journal_replay(struct store *st, store_replay_fn *fn, void *opaque);

/**
 * store_journal_count() - number of journal records, the seq of the last one.
 * @st: the store.
 *
 * Return: the count seen by this store, including records appended in the
 * open transaction.
 */
uint64_t store_journal_count(const struct store *st);

/**
 * store_journal_base() - seq of the last record dropped behind a snapshot.
 * @st: the store.
 *
 * Return: 0 when the journal is whole; replay starts after it.
 */
uint64_t store_journal_base(const struct store *st);

/**
 * store_snapshot_commit() - a restore point covering the journal up to @seq
 * is on stable storage (a file in the store directory named @name, written
 * by the daemon): record it and drop the journal up to @seq.
 * @st: the store; no transaction may be open.
 * @seq: the last journal record the snapshot reflects.
 * @name: the file's name inside the store directory; borrowed.
 *
 * One transaction: meta.snapshot_seq/snapshot_file/journal_base.  From then
 * on replay starts after @seq; the records up to it are deleted a few at a
 * time by store_journal_trim().  Return: 0; -EBUSY; -EINVAL (@seq not in
 * the journal); -EIO, -ENOSPC.
 */
int store_snapshot_commit(struct store *st, uint64_t seq, const char *name);

/**
 * store_journal_trim() - delete up to @max_rows records behind the snapshot.
 * @st: the store; no transaction may be open.
 * @max_rows: bound on the work of one call (one transaction).
 * @done: set when nothing is left to delete.
 *
 * Return: 0, -EBUSY, -EIO, -ENOSPC.
 */
int store_journal_trim(struct store *st, uint32_t max_rows, bool *done);

/**
 * store_snapshot_get() - the restore point recorded by store_snapshot_commit().
 * @st: the store.
 * @seq: receives its journal seq (0: none).
 * @name: receives a malloc()ed copy of its file name, or NULL when none.
 *
 * Return: 0, -ENOMEM or -EIO.
 */
int store_snapshot_get(struct store *st, uint64_t *seq, char **name);

/**
 * store_owed_get() - the places a replay owed a zeroing on backends that
 * were unavailable (meta 'owed_unavailable'), as the daemon stored them
 * (store_owed_set()): a text the caller frees, or *text = NULL when none.
 * Unlike the journal, a snapshot does not drop it.
 * Return: 0, -ENOMEM or -EIO.
 */
int store_owed_get(struct store *st, char **text);
/**
 * store_owed_set() - store @text as those places (NULL or "": none), in a
 * commit of its own (fsync'd as any); -EBUSY inside a transaction.
 * Return: 0 or -errno.
 */
int store_owed_set(struct store *st, const char *text);

/**
 * store_bg_results_get() - the return codes the daemon answered background
 * operations with instead of how they ran (meta 'bg_results': an erase
 * whose proof record could not be stored, answered Internal Error), as it
 * stored them (store_bg_results_set()): a text the caller frees, or
 * *text = NULL when none.  A snapshot does not drop it.
 * Return: 0, -ENOMEM or -EIO.
 */
int store_bg_results_get(struct store *st, char **text);
/**
 * store_bg_results_set() - store @text as those return codes (NULL or "":
 * none): inside the open transaction (committed or rolled back with it),
 * else in a commit of its own.
 * Return: 0 or -errno.
 */
int store_bg_results_set(struct store *st, const char *text);

/**
 * store_forked() - in a child the daemon forked: close every file
 * descriptor above 2 except the @nr_keep in @keep (a negative one keeps
 * nothing; out of memory, none but the lock is kept) - sockets, the
 * database, epoll -, the store's lock last, without touching the
 * database.  So once the lock is free (a restart after a crash waits for
 * it), the child holds nothing of the daemon's but what it kept.  The
 * child must not call anything else on @st.
 */
void store_forked(struct store *st, const int *keep, size_t nr_keep);

/**
 * store_crc32() - CRC32C (Castagnoli) of @n bytes at @p, continuing @c
 * (0 to start).  The journal's and the snapshot files' checksum.
 */
uint32_t store_crc32(uint32_t c, const void *p, size_t n);

/**
 * store_crc32_combine() - the store_crc32() of bytes A then B, from
 * @crc_a = store_crc32(0, A), @crc_b = store_crc32(0, B) and B's length
 * @len_b; O(log len_b), the bytes are not needed.
 */
uint32_t store_crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

/**
 * store_checkpoint() - write a readable snapshot of one device.
 * @st: the store; no transaction may be open.
 * @dev_index: the device's index in the daemon (the dev of its records).
 * @dev: the device; borrowed, only read.
 *
 * In one transaction, replaces the snap_* rows of @dev_index with the model's
 * regions, accepted extents per host, pending groups and their extents,
 * tags, event-log records and status, generation numbers and counts, and
 * records in snap_info the journal seq the snapshot reflects.
 *
 * Return: 0; -EBUSY when a transaction is open; -ENOMEM; -EIO.
 */
int store_checkpoint(struct store *st, uint32_t dev_index, const struct cxldcd_dev *dev);

/**
 * store_rec_kind_str() - short name of a record kind ("cci", "qmp", ...).
 * @kind: a kind.
 *
 * Return: a static string; "unknown" for other values.
 */
const char *store_rec_kind_str(uint32_t kind);

#endif /* CXLDCD_STORE_H */
