/* SPDX-License-Identifier: MIT */
/*
 * schema.c - the layout of cxldcd.db (version STORE_SCHEMA_VERSION) and the
 * check an existing file passes before the daemon writes to it.
 *
 * A store is recognised by PRAGMA application_id = 'CXLD' and
 * meta.schema_version.  A file that is not a database, a database of some
 * other program, or a store of another schema version is refused with a
 * message and left untouched: an older daemon must not write into a layout
 * it does not know.
 *
 * Integers are SQLite's 64-bit signed integers; uint64_t values (DPA,
 * lengths, times) are stored bit for bit, which is exact for every value
 * this daemon produces (all below 2^63).
 *
 * Version 2 added journal.crc (CRC32C of each record, journal.c).  A
 * version-1 store is upgraded in place when opened: the column is added,
 * its old records keep a NULL checksum and meta.unchecked_through holds the
 * last of them (they are replayed unchecked; any later NULL is damage).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store-int.h"

static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;\n"
	"CREATE TABLE config(id INTEGER PRIMARY KEY CHECK (id = 1), text TEXT NOT NULL,\n"
	"  set_ns INTEGER NOT NULL);\n"
	"CREATE TABLE journal(seq INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL,\n"
	"  kind INTEGER NOT NULL, dev INTEGER NOT NULL, port INTEGER NOT NULL,\n"
	"  host INTEGER NOT NULL, data BLOB NOT NULL, crc INTEGER);\n"
	/* Snapshot tables: rows of one device are replaced by each checkpoint. */
	"CREATE TABLE snap_info(dev INTEGER PRIMARY KEY, journal_seq INTEGER NOT NULL,\n"
	"  model_ns INTEGER, wall_ns INTEGER NOT NULL, nr_regions INTEGER, nr_hosts INTEGER,\n"
	"  static_capacity INTEGER, max_extents INTEGER, max_tags INTEGER, evlog_depth INTEGER,\n"
	"  seq_one_based INTEGER, pending_timeout_ms INTEGER, total_extents INTEGER,\n"
	"  avail_extents INTEGER, total_tags INTEGER, avail_tags INTEGER,\n"
	"  tag_generation INTEGER, nr_tags INTEGER);\n"
	"CREATE TABLE snap_regions(dev INTEGER, region INTEGER, base INTEGER,\n"
	"  decode_len INTEGER, len INTEGER, block_size INTEGER, supported_block_mask INTEGER,\n"
	"  dsmad_handle INTEGER, sanitize_on_release INTEGER, sor_configurable INTEGER,\n"
	"  sharable INTEGER, read_only INTEGER, nonvolatile INTEGER, allocated_bytes INTEGER,\n"
	"  PRIMARY KEY(dev, region)) WITHOUT ROWID;\n"
	"CREATE TABLE snap_hosts(dev INTEGER, host INTEGER, generation INTEGER,\n"
	"  nr_extents INTEGER, nr_pending_groups INTEGER, event_status INTEGER,\n"
	"  PRIMARY KEY(dev, host)) WITHOUT ROWID;\n"
	"CREATE TABLE snap_extents(dev INTEGER, host INTEGER, idx INTEGER, region INTEGER,\n"
	"  dpa INTEGER, len INTEGER, tag TEXT, shared_seq INTEGER, tag_offset INTEGER,\n"
	"  sharable INTEGER, release_pending INTEGER, sanitize INTEGER,\n"
	"  PRIMARY KEY(dev, host, idx)) WITHOUT ROWID;\n"
	"CREATE TABLE snap_pending(dev INTEGER, host INTEGER, idx INTEGER, group_id INTEGER,\n"
	"  nr_extents INTEGER, dead INTEGER, offered_ns INTEGER,\n"
	"  PRIMARY KEY(dev, host, idx)) WITHOUT ROWID;\n"
	"CREATE TABLE snap_pending_extents(dev INTEGER, host INTEGER, group_idx INTEGER,\n"
	"  idx INTEGER, dpa INTEGER, len INTEGER, tag TEXT, shared_seq INTEGER,\n"
	"  PRIMARY KEY(dev, host, group_idx, idx)) WITHOUT ROWID;\n"
	"CREATE TABLE snap_tags(dev INTEGER, idx INTEGER, tag TEXT, fm_ref INTEGER,\n"
	"  sharable INTEGER, accepted_hosts TEXT, pending_hosts TEXT, nr_extents INTEGER,\n"
	"  bytes INTEGER, PRIMARY KEY(dev, idx)) WITHOUT ROWID;\n"
	"CREATE TABLE snap_evlogs(dev INTEGER, owner INTEGER, log INTEGER, nr_records INTEGER,\n"
	"  overflow INTEGER, overflow_count INTEGER, first_overflow_ns INTEGER,\n"
	"  last_overflow_ns INTEGER, irq_policy INTEGER,\n"
	"  PRIMARY KEY(dev, owner, log)) WITHOUT ROWID;\n"
	"CREATE TABLE snap_events(dev INTEGER, owner INTEGER, log INTEGER, idx INTEGER,\n"
	"  handle INTEGER, related_handle INTEGER, timestamp_ns INTEGER, uuid TEXT,\n"
	"  length INTEGER, flags INTEGER, maint_class INTEGER, maint_subclass INTEGER,\n"
	"  ld_id INTEGER, head_id INTEGER, dc_type INTEGER, dc_validity INTEGER,\n"
	"  dc_host_id INTEGER, dc_region INTEGER, dc_flags INTEGER, dpa INTEGER, len INTEGER,\n"
	"  tag TEXT, shared_seq INTEGER, avail_extents INTEGER, avail_tags INTEGER, data BLOB,\n"
	"  PRIMARY KEY(dev, owner, log, idx)) WITHOUT ROWID;\n"
	/* For people: kinds by name, JSON kinds as text, others as hex. */
	"CREATE VIEW journal_view AS SELECT seq, time_ns,\n"
	"  CASE kind WHEN 1 THEN 'cci' WHEN 2 THEN 'qmp' WHEN 3 THEN 'tick'\n"
	"    WHEN 4 THEN 'object-add' WHEN 5 THEN 'object-del' WHEN 6 THEN 'hostlink'\n"
	"    ELSE 'kind-' || kind END AS kind,\n"
	"  dev, port, host, length(data) AS len,\n"
	"  CASE WHEN kind IN (2, 4, 5) THEN CAST(data AS TEXT) ELSE hex(data) END AS data\n"
	"  FROM journal;\n";

/* One integer from a single-row query; 0 or -errno. */
static int query_int(struct store *st, const char *sql, sqlite3_int64 *out, bool *found)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	*found = false;
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*found = sqlite3_column_type(s, 0) != SQLITE_NULL;
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, st->path);
	return 0;
}

static int create(struct store *st)
{
	struct timespec ts;
	char sql[512];
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO meta(key, value) VALUES ('schema_version', %d),"
		 " ('created_ns', %lld), ('created_by', 'cxldcd');"
		 " PRAGMA application_id = %d; PRAGMA user_version = %d;",
		 STORE_SCHEMA_VERSION, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec,
		 STORE_APPLICATION_ID, STORE_SCHEMA_VERSION);
	ret = store_exec(st, "BEGIN IMMEDIATE", "create schema");
	if (ret)
		return ret;
	if ((ret = store_exec(st, schema_sql, "create schema")) ||
	    (ret = store_exec(st, sql, "create schema"))) {
		store_exec(st, "ROLLBACK", "create schema");
		return ret;
	}
	return store_exec(st, "COMMIT", "create schema");
}

static int check_version(struct store *st, sqlite3_int64 app_id)
{
	sqlite3_int64 v = 0;
	bool found;
	int ret;

	if (app_id != STORE_APPLICATION_ID)
		return store_fail(st, -EPROTO, "%s: not a cxldcd store (application_id=0x%llx)",
				  st->path, (unsigned long long)app_id);
	ret = query_int(st, "SELECT value FROM meta WHERE key = 'schema_version'", &v, &found);
	if (ret)
		return ret;
	if (!found)
		return store_fail(st, -EPROTO, "%s: no schema_version in meta", st->path);
	if (v > STORE_SCHEMA_VERSION)
		return store_fail(st, -EPROTO,
				  "%s: schema_version=%lld is newer than this cxldcd supports (%d)",
				  st->path, (long long)v, STORE_SCHEMA_VERSION);
	if (v == 1)
		st->upgrade_from = 1;
	else if (v != STORE_SCHEMA_VERSION)
		return store_fail(st, -EPROTO, "%s: unknown schema_version=%lld (expected %d)",
				  st->path, (long long)v, STORE_SCHEMA_VERSION);
	return 0;
}

/* Version 1 -> 2: journal records get a checksum column (NULL for the old ones). */
static int upgrade(struct store *st)
{
	char sql[512];
	int ret;

	snprintf(sql, sizeof(sql),
		 "ALTER TABLE journal ADD COLUMN crc INTEGER;"
		 " INSERT OR REPLACE INTO meta(key, value) VALUES ('unchecked_through',"
		 "  (SELECT coalesce(max(seq), 0) FROM journal));"
		 " UPDATE meta SET value = %d WHERE key = 'schema_version'; PRAGMA user_version = %d;",
		 STORE_SCHEMA_VERSION, STORE_SCHEMA_VERSION);
	ret = store_exec(st, "BEGIN IMMEDIATE", "upgrade schema");
	if (ret)
		return ret;
	ret = store_exec(st, sql, "upgrade schema");
	if (ret) {
		store_exec(st, "ROLLBACK", "upgrade schema");
		return ret;
	}
	return store_exec(st, "COMMIT", "upgrade schema");
}

static int set_wal(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	bool wal = false;

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *m = sqlite3_column_text(s, 0);

		wal = m && strcmp((const char *)m, "wal") == 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "journal_mode=WAL");
	if (!wal)
		return store_fail(st, -EIO, "%s: cannot use WAL mode on this file system", st->path);
	return 0;
}

int store_schema_init(struct store *st)
{
	sqlite3_int64 app_id = 0, nr_objects = 0;
	bool found;
	int ret;

	/* Reading the header first: a foreign or damaged file fails here. */
	if ((ret = query_int(st, "PRAGMA application_id", &app_id, &found)) ||
	    (ret = query_int(st, "SELECT count(*) FROM sqlite_master", &nr_objects, &found)))
		return ret;
	if (app_id != 0 || nr_objects != 0) {
		ret = check_version(st, app_id);
		if (ret)
			return ret;
	}
	if ((ret = set_wal(st)) ||
	    (ret = store_exec(st, "PRAGMA synchronous = FULL; PRAGMA cell_size_check = ON;"
				  " PRAGMA trusted_schema = OFF; PRAGMA journal_size_limit = 67108864",
				  "pragmas")))
		return ret;
	if (app_id == 0 && nr_objects == 0)
		return create(st);
	if (st->upgrade_from)
		return upgrade(st);
	return 0;
}
