/* SPDX-License-Identifier: MIT */
/*
 * journal.c - the journal of acknowledged inputs: append inside a
 * transaction, replay in order, count.
 *
 * Sequence numbers are dense (1, 2, ...) and assigned here, not by SQLite, so
 * that a rolled-back transaction gives its numbers back and a gap found on
 * replay can only mean a damaged file.
 */
#include <errno.h>
#include <stdint.h>

#include "store/store-int.h"

/* SQLite's default SQLITE_MAX_LENGTH is 1e9; stay clear of it. */
#define STORE_MAX_REC_LEN ((size_t)1 << 30)

const char *store_rec_kind_str(uint32_t kind)
{
	switch (kind) {
	case STORE_REC_CCI:
		return "cci";
	case STORE_REC_QMP:
		return "qmp";
	case STORE_REC_TICK:
		return "tick";
	case STORE_REC_OBJECT_ADD:
		return "object-add";
	case STORE_REC_OBJECT_DEL:
		return "object-del";
	case STORE_REC_HOSTLINK:
		return "hostlink";
	default:
		return "unknown";
	}
}

int store_journal_load(struct store *st)
{
	sqlite3_stmt *s = NULL;
	sqlite3_int64 max = 0, count = 0;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT coalesce(max(seq), 0), count(*) FROM journal", -1,
				&s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		max = sqlite3_column_int64(s, 0);
		count = sqlite3_column_int64(s, 1);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "journal load");
	if (max != count || max < 0)
		return store_fail(st, -EIO, "%s: journal damaged: %lld records, last seq=%lld",
				  st->path, (long long)count, (long long)max);
	st->nr_committed = (uint64_t)count;
	st->nr_journal = st->nr_committed;
	return 0;
}

int store_journal_append(struct store *st, struct store_rec *rec)
{
	sqlite3_stmt *s = st->st_append;
	uint64_t seq = st->nr_journal + 1;
	int rc;

	if (!st->in_txn)
		return store_fail(st, -EINVAL, "journal append: no transaction open");
	if (rec->kind == 0 || (!rec->data && rec->len))
		return store_fail(st, -EINVAL, "journal append: kind=%u len=%zu data=%s", rec->kind,
				  rec->len, rec->data ? "set" : "NULL");
	if (rec->len >= STORE_MAX_REC_LEN)
		return store_fail(st, -E2BIG, "journal append: len=%zu too large", rec->len);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)rec->time_ns);
	sqlite3_bind_int64(s, 3, rec->kind);
	sqlite3_bind_int64(s, 4, rec->dev);
	sqlite3_bind_int64(s, 5, rec->port);
	sqlite3_bind_int64(s, 6, rec->host);
	/* A NULL pointer would bind SQL NULL; an empty request is an empty blob. */
	if (rec->len)
		sqlite3_bind_blob(s, 7, rec->data, (int)rec->len, SQLITE_STATIC);
	else
		sqlite3_bind_zeroblob(s, 7, 0);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "journal append");
	st->nr_journal = seq;
	rec->seq = seq;
	return 0;
}

static void rec_from_row(sqlite3_stmt *s, struct store_rec *rec)
{
	rec->seq = (uint64_t)sqlite3_column_int64(s, 0);
	rec->time_ns = (uint64_t)sqlite3_column_int64(s, 1);
	rec->kind = (uint32_t)sqlite3_column_int64(s, 2);
	rec->dev = (uint32_t)sqlite3_column_int64(s, 3);
	rec->port = (uint32_t)sqlite3_column_int64(s, 4);
	rec->host = (uint32_t)sqlite3_column_int64(s, 5);
	/* blob first, then its size (SQLite's documented order). */
	rec->data = sqlite3_column_blob(s, 6);
	rec->len = (size_t)sqlite3_column_bytes(s, 6);
}

int store_journal_replay(struct store *st, store_replay_fn *fn, void *opaque)
{
	sqlite3_stmt *s = NULL;
	struct store_rec rec;
	uint64_t expect = 1;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(st->db,
				"SELECT seq, time_ns, kind, dev, port, host, data FROM journal"
				" ORDER BY seq",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "journal replay");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rec_from_row(s, &rec);
		if (rec.seq != expect) {
			ret = store_fail(st, -EIO, "journal replay: seq=%llu found where seq=%llu "
						   "was expected (damaged file)",
					 (unsigned long long)rec.seq, (unsigned long long)expect);
			goto out;
		}
		if (rec.len && !rec.data) {
			ret = store_fail(st, -ENOMEM, "journal replay: seq=%llu: out of memory",
					 (unsigned long long)rec.seq);
			goto out;
		}
		ret = fn(opaque, &rec);
		if (ret) {
			store_fail(st, ret, "journal replay: stopped at seq=%llu by the callback (%d)",
				   (unsigned long long)rec.seq, ret);
			goto out;
		}
		expect++;
	}
	if (rc != SQLITE_DONE)
		ret = store_fail_sql(st, rc, "journal replay");
out:
	sqlite3_finalize(s);
	return ret;
}

uint64_t store_journal_count(const struct store *st)
{
	return st->nr_journal;
}
