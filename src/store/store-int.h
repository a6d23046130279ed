/* SPDX-License-Identifier: MIT */
/*
 * store-int.h - the store's private state and helpers shared by its files
 * (store.c: lifecycle, errors, transactions, configuration; schema.c: layout
 * and version check; journal.c; checkpoint.c).  Not included outside
 * src/store.
 */
#ifndef CXLDCD_STORE_INT_H
#define CXLDCD_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

#define STORE_ERR_SIZE 256

struct store {
	sqlite3 *db;
	int lock_fd;               /* flock'ed dir/cxldcd.lock; -1 when closed */
	char *dir;
	char *path;                /* dir/cxldcd.db */
	bool in_txn;
	bool has_config;           /* including the open transaction */
	bool has_config_disk;
	int upgrade_from;          /* schema version found, when older than ours */
	uint64_t nr_committed;     /* journal records on disk */
	uint64_t nr_journal;       /* including those of the open transaction */
	uint64_t nr_unchecked;     /* records up to this seq predate checksums (version 1) */
	uint64_t base;             /* records up to this seq were dropped behind a snapshot */
	sqlite3_stmt *st_begin, *st_commit, *st_rollback, *st_append;
	char err[STORE_ERR_SIZE];
};

/* Record a message in st->err and return code (a -errno), for "return store_fail(...)". */
int store_fail(struct store *st, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Record SQLite's message for rc (what: the operation, "journal append")
 * and return the errno it maps to: -ENOMEM, -ENOSPC, -EBUSY, else -EIO.
 */
int store_fail_sql(struct store *st, int rc, const char *what);
/* Map an SQLite result code to -errno. */
int store_sql_errno(int rc);

/* Run SQL without results (one or more statements).  0 or -errno. */
int store_exec(struct store *st, const char *sql, const char *what);
/* Prepare a statement kept for the store's life.  0 or -errno. */
int store_prepare(struct store *st, const char *sql, sqlite3_stmt **out);

/* schema.c: create the layout of a new file or check an existing one. */
int store_schema_init(struct store *st);

/* journal.c: load nr_committed and check the journal's shape. */
int store_journal_load(struct store *st);
/* crc32c.c: CRC32C (Castagnoli) of bytes, continuing c (start with 0). */
uint32_t store_crc32c(uint32_t c, const void *p, size_t n);
/* crc32c.c: the raw register update (no pre/post inversion), fastest path. */
uint32_t store_crc32c_update(uint32_t c, const void *p, size_t n);
/* crc32c.c: the same update in software (slicing by 8), whatever the CPU has. */
uint32_t store_crc32c_soft(uint32_t c, const uint8_t *p, size_t n);
/* store.c: one integer from meta (0 when absent); 0 or -errno. */
int store_meta_get(struct store *st, const char *key, uint64_t *out);
/* journal.c: CRC32C (Castagnoli) of the record's fields and bytes. */
uint32_t store_rec_crc(const struct store_rec *rec);

#endif /* CXLDCD_STORE_INT_H */
