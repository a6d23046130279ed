/* SPDX-License-Identifier: MIT */
/*
 * journal.c - the journal of acknowledged inputs: append inside a
 * transaction, replay in order, count.
 *
 * Sequence numbers are dense (1, 2, ...) and assigned here, not by SQLite, so
 * that a rolled-back transaction gives its numbers back and a gap found on
 * replay can only mean a damaged file.
 *
 * Each record carries a CRC32C over its seq, time, kind, dev, port, host
 * and bytes (little-endian, in that order): a flipped bit anywhere in a
 * record is found on replay and stops it, instead of replaying into a
 * different state.  Records of a version-1 store have none (NULL).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"

/* SQLite's default SQLITE_MAX_LENGTH is 1e9; stay clear of it. */
#define STORE_MAX_REC_LEN ((size_t)1 << 30)

static uint32_t crc_u64(uint32_t c, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return store_crc32c_update(c, b, sizeof(b));
}

uint32_t store_rec_crc(const struct store_rec *rec)
{
	uint32_t c = 0xffffffffu;

	c = crc_u64(c, rec->seq);
	c = crc_u64(c, rec->time_ns);
	c = crc_u64(c, (uint64_t)rec->kind | (uint64_t)rec->dev << 32);
	c = crc_u64(c, (uint64_t)rec->port | (uint64_t)rec->host << 32);
	c = crc_u64(c, rec->len);
	if (rec->len)
		c = store_crc32c_update(c, rec->data, rec->len);
	return ~c;
}

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
	sqlite3_int64 max = 0;
	int rc;

	rc = store_meta_get(st, "journal_base", &st->base);
	if (rc)
		return rc;
	/*
	 * The last seq only, one descent of the table's tree.  Rows up to the
	 * base may still be there (dropped a few at a time), and whether the
	 * rows after it are dense is what store_journal_replay() checks, row
	 * by row: a count(*) here read the whole journal once more before the
	 * replay read it (a sixth of a restart's journal reading).
	 */
	rc = sqlite3_prepare_v2(st->db, "SELECT max(seq) FROM journal WHERE seq > ?1", -1, &s, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_int64(s, 1, (sqlite3_int64)st->base);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		max = sqlite3_column_type(s, 0) == SQLITE_NULL ? (sqlite3_int64)st->base
							       : sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "journal load");
	if (max < 0 || (uint64_t)max < st->base)
		return store_fail(st, -EIO, "%s: journal damaged: last seq=%lld, first kept after seq=%llu",
				  st->path, (long long)max, (unsigned long long)st->base);
	rc = sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'unchecked_through'", -1,
				&s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		st->nr_unchecked = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "journal load");
	st->nr_committed = (uint64_t)max;
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
	rec->seq = seq;
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
	sqlite3_bind_int64(s, 8, store_rec_crc(rec));
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

/* 0, or -EIO when the record's checksum is missing (version 2) or wrong. */
static int check_crc(struct store *st, sqlite3_stmt *s, const struct store_rec *rec)
{
	sqlite3_int64 want = sqlite3_column_int64(s, 7);

	if (sqlite3_column_type(s, 7) == SQLITE_NULL) {
		if (rec->seq <= st->nr_unchecked)
			return 0;
		return store_fail(st, -EIO, "%s: journal record seq=%llu has no checksum (damaged file)",
				  st->path, (unsigned long long)rec->seq);
	}
	if (sqlite3_column_type(s, 7) != SQLITE_INTEGER || want < 0 || want > UINT32_MAX ||
	    (uint32_t)want != store_rec_crc(rec))
		return store_fail(st, -EIO,
				  "%s: journal record seq=%llu (%s, %zu bytes) fails its checksum: the file is damaged",
				  st->path, (unsigned long long)rec->seq, store_rec_kind_str(rec->kind),
				  rec->len);
	return 0;
}

int store_journal_replay(struct store *st, store_replay_fn *fn, void *opaque)
{
	sqlite3_stmt *s = NULL;
	struct store_rec rec;
	uint64_t expect = st->base + 1;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(st->db,
				"SELECT seq, time_ns, kind, dev, port, host, data, crc FROM journal"
				" WHERE seq > ?1 ORDER BY seq",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "journal replay");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)st->base);
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
		ret = check_crc(st, s, &rec);
		if (ret)
			goto out;
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

uint32_t store_crc32(uint32_t c, const void *p, size_t n)
{
	return store_crc32c(c, p, n);
}

uint64_t store_journal_base(const struct store *st)
{
	return st->base;
}

int store_snapshot_commit(struct store *st, uint64_t seq, const char *name)
{
	sqlite3_stmt *s = NULL;
	int rc, ret;

	if (st->in_txn)
		return store_fail(st, -EBUSY, "snapshot: a transaction is open");
	if (seq < st->base || seq > st->nr_committed)
		return store_fail(st, -EINVAL, "snapshot: seq=%llu is not in the journal (%llu..%llu)",
				  (unsigned long long)seq, (unsigned long long)st->base,
				  (unsigned long long)st->nr_committed);
	ret = store_begin(st);
	if (ret)
		return ret;
	rc = sqlite3_prepare_v2(st->db,
				"INSERT OR REPLACE INTO meta(key, value) VALUES ('journal_base', ?1),"
				" ('snapshot_seq', ?1), ('snapshot_file', ?2)", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		ret = store_fail_sql(st, rc, "snapshot");
		store_rollback(st);
		return ret;
	}
	ret = store_commit(st);
	if (!ret)
		st->base = seq;
	return ret;
}

int store_journal_trim(struct store *st, uint32_t max_rows, bool *done)
{
	sqlite3_stmt *s = NULL;
	int rc, ret;

	*done = false;
	if (st->in_txn)
		return store_fail(st, -EBUSY, "journal trim: a transaction is open");
	ret = store_begin(st);
	if (ret)
		return ret;
	rc = sqlite3_prepare_v2(st->db,
				"DELETE FROM journal WHERE seq IN (SELECT seq FROM journal WHERE seq <= ?1"
				" ORDER BY seq LIMIT ?2)", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)st->base);
		sqlite3_bind_int64(s, 2, max_rows);
		rc = sqlite3_step(s);
	}
	if (rc == SQLITE_DONE)
		*done = (uint32_t)sqlite3_changes(st->db) < max_rows;
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		ret = store_fail_sql(st, rc, "journal trim");
		store_rollback(st);
		return ret;
	}
	return store_commit(st);
}

int store_snapshot_get(struct store *st, uint64_t *seq, char **name)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = 0;

	*seq = 0;
	*name = NULL;
	rc = sqlite3_prepare_v2(st->db,
				"SELECT (SELECT value FROM meta WHERE key = 'snapshot_seq'),"
				" (SELECT value FROM meta WHERE key = 'snapshot_file')", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 1) == SQLITE_TEXT) {
			*seq = (uint64_t)sqlite3_column_int64(s, 0);
			*name = strdup((const char *)sqlite3_column_text(s, 1));
			if (!*name)
				ret = store_fail(st, -ENOMEM, "snapshot: out of memory");
		}
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "snapshot");
	return ret;
}

/* The text of meta row @key into *text (NULL when none); @what names it in errors. */
static int meta_text_get(struct store *st, const char *key, const char *what, char **text)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = 0;

	*text = NULL;
	rc = sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) == SQLITE_TEXT) {
			*text = strdup((const char *)sqlite3_column_text(s, 0));
			if (!*text)
				ret = store_fail(st, -ENOMEM, "%s: out of memory", what);
		}
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, what);
	return ret;
}

/* Meta row @key := @text (NULL or "": no row), in the open transaction or as one of its own. */
static int meta_text_set(struct store *st, const char *key, const char *what, const char *text)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, text && *text ?
				"INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)" :
				"DELETE FROM meta WHERE key = ?1", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
		if (text && *text)
			sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : store_fail_sql(st, rc, what);
}

int store_owed_get(struct store *st, char **text)
{
	return meta_text_get(st, "owed_unavailable", "owed", text);
}

int store_owed_set(struct store *st, const char *text)
{
	if (st->in_txn)
		return store_fail(st, -EBUSY, "owed: a transaction is open");
	return meta_text_set(st, "owed_unavailable", "owed", text);
}

int store_bg_results_get(struct store *st, char **text)
{
	return meta_text_get(st, "bg_results", "bg results", text);
}

int store_bg_results_set(struct store *st, const char *text)
{
	return meta_text_set(st, "bg_results", "bg results", text);
}
