/* SPDX-License-Identifier: MIT */
/*
 * fuzz-store.c - libFuzzer target for the --state directory as a whole, as
 * the daemon's start reads it (src/server/main-start.c: dcd_create_all(),
 * srv_state_open(), dcd_attach_memory()): the SQLite file itself
 * (store_open(): its header, schema check, WAL, meta rows, the journal's
 * shape), the snapshot file the meta rows name, and the journal replay.
 * fuzz-state writes the store with the store's own functions, so only the
 * record contents vary there; here the file does: hostile rows written with
 * SQL around the store's back (seq out of order, a wrong or missing
 * checksum, a blob that is text, meta values out of range or of the wrong
 * type, a configuration that is not JSON, a dropped table), bytes of the
 * database file overwritten (page-level damage), a WAL of garbage, or a
 * whole directory's files given as they are (the seeds: the stores of a
 * short real run, fuzz/server/gen-store-corpus.py).
 *
 * Checked: srv_state_open() returns 0, or a negative errno with a message
 * (a refused start is how the daemon says the store is damaged); on success
 * the replay began right after the snapshot loaded (at the journal's start
 * without one: meta journal_base is the snapshot's seq), every device's
 * invariants hold and dcd_attach_memory() attaches the memory or says why
 * not; a refused start removed no snapshot file;
 * no crash, no sanitizer report, no leak, no fd left open.
 *
 * Input: byte 0: the number of files given as they are (0 to 3), each
 * which (1: 0 cxldcd.db, 1 cxldcd.db-wal, 2 a snapshot file named by
 * the seq that follows, u32le, as the daemon names it), its length (u32le,
 * clamped) and bytes.  When no
 * cxldcd.db is given, the store is made new with the store's functions and
 * the fuzz daemon's configuration (store_open(), store_config_set()).  Then
 * operations, each an op byte (bits 3:0 the kind, bits 7:4 its flags f):
 *   0  a journal row: seq (f bit 0: u64le, else the next one), time (u32le),
 *      kind, dev, port, host (1 each), n (u16le), n bytes; f bits 2:1 the
 *      checksum: the right one, NULL, u32le from the input, a text;
 *      f bit 3: the bytes as TEXT, not BLOB
 *   1  a meta row: key (1: an index in meta_keys[]), value by f bits 2:0:
 *      u64le, text (n (1), n bytes), blob (likewise), NULL, a real (u64le
 *      bits), the row deleted, a small signed integer (1)
 *   2  the config row: f bits 1:0: a text (n (u16le), n bytes), deleted,
 *      the fuzz daemon's with byte i (1) set to v (1), the empty string
 *   3  PRAGMA (f bit 0: user_version, else application_id) = u32le
 *   4  one statement of damage[] (1: its index)
 *   5  a snapshot file snapshot-fz.bin: n (u16le), n bytes; f bit 0:
 *      wrapped in the magic and a right CRC32C; f bit 1: meta
 *      snapshot_file and snapshot_seq name it (the seq: the body's first 8
 *      bytes); f bit 2: meta journal_base is that seq too (as
 *      store_snapshot_commit() leaves it)
 *   6  overwrite cxldcd.db: offset (u32le, modulo the file's size), n (1),
 *      n bytes
 *   7  append to cxldcd.db-wal: n (u16le), n bytes
 * The database is opened with sqlite3 for the SQL operations, and closed
 * before any file is written and before the start.
 *
 * Safety: a backend of a snapshot or a journaled object-add may name a
 * mem-path, which the daemon opens, creates and truncates.  The bytes of a
 * damaged database are not where SQLite finds a record's (overflow pages),
 * so instead of looking for "mem-path" in the input, the target's open()
 * and unlink() (-Wl,--wrap, fuzz/server/meson.build) refuse any change
 * outside the scratch directory: the fuzzer writes no other file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/wire.h"
#include "store/store-int.h"
#include "fz-daemon.h"
#include "../fuzz-input.h"
#include "fuzz-scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SNAP_MAGIC "CXLDDSN1"
#define SNAP_NAME "snapshot-fz.bin"
#define MAX_OPS 256

static char dir[64];

static const char *const meta_keys[] = {
	"schema_version", "journal_base", "snapshot_seq", "snapshot_file", "unchecked_through",
	"owed_unavailable", "created_ns", "created_by", "x-unknown", "bg_results",
};

/* Statements that damage the layout or the rows as a hand, a tool or a bug could. */
static const char *const damage[] = {
	"DROP TABLE journal",
	"DROP TABLE meta",
	"DROP TABLE config",
	"DROP VIEW journal_view",
	"DELETE FROM journal",
	"DELETE FROM meta",
	"DELETE FROM journal WHERE seq = (SELECT min(seq) FROM journal)",
	"DELETE FROM journal WHERE seq = (SELECT max(seq) FROM journal)",
	"ALTER TABLE journal RENAME TO journal_old",
	"ALTER TABLE journal DROP COLUMN crc",
	"ALTER TABLE journal ADD COLUMN extra BLOB",
	"DROP TABLE journal; CREATE TABLE journal(seq, time_ns, kind, dev, port, host, data, crc)",
	"DROP TABLE journal; CREATE TABLE journal(seq INTEGER PRIMARY KEY, time_ns INTEGER)",
	"DROP TABLE meta; CREATE TABLE meta(key, value)",
	"DROP TABLE config; CREATE TABLE config(id, text, set_ns)",
	"CREATE TABLE journal_x AS SELECT * FROM journal; DROP TABLE journal;"
	" ALTER TABLE journal_x RENAME TO journal",
	"UPDATE journal SET data = CAST(data AS TEXT)",
	"UPDATE journal SET data = NULL",
	"UPDATE journal SET seq = seq + 1000000",
	"UPDATE journal SET seq = -seq",
	"UPDATE journal SET crc = crc + 1 WHERE seq = (SELECT max(seq) FROM journal)",
	"UPDATE journal SET kind = kind + 7, crc = NULL",
	"UPDATE journal SET time_ns = -1",
	"UPDATE meta SET value = CAST(value AS TEXT)",
	"UPDATE meta SET value = value || 'x'",
	"INSERT INTO journal SELECT seq + (SELECT max(seq) FROM journal), time_ns, kind, dev, port,"
	" host, data, crc FROM journal",
	"CREATE INDEX jx ON journal(kind)",
	"CREATE TRIGGER jt AFTER INSERT ON journal BEGIN DELETE FROM meta; END",
	"CREATE VIEW v AS SELECT nosuch FROM journal",
	"PRAGMA journal_mode = DELETE",
	"VACUUM",
	"PRAGMA page_size = 512; VACUUM",
	"PRAGMA auto_vacuum = FULL; VACUUM",
	"PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE TABLE journal(x)'"
	" WHERE name = 'journal'",
	"PRAGMA writable_schema = ON; DELETE FROM sqlite_schema WHERE name = 'meta'",
	"DELETE FROM snap_info",
	"INSERT INTO config(id, text, set_ns) VALUES (2, '{}', 0)",
};

/* ---- the scratch directory and its guard ---------------------------------- */

/* Files of the directory named snapshot-* (what the daemon's tidying removes). */
static int nr_snapshot_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, "snapshot-", 9);
	if (d)
		closedir(d);
	return n;
}

/* Inside the scratch directory: its path, a '/', and no "..". */
static bool in_dir(const char *path)
{
	size_t n = strlen(dir);

	return dir[0] && !strncmp(path, dir, n) && path[n] == '/' && !strstr(path + n, "..");
}

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_unlink(const char *path);
int __wrap_unlink(const char *path);

/* Reads anywhere (a snapshot_file of "../x"), changes only in the scratch directory. */
int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | __O_TMPFILE))) &&
	    !in_dir(path)) {
		errno = EACCES;
		return -1;
	}
	return __real_open(path, flags, mode);
}

int __wrap_unlink(const char *path)
{
	if (!in_dir(path)) {
		errno = EACCES;
		return -1;
	}
	return __real_unlink(path);
}

/* ---- writing the directory --------------------------------------------------- */

static void path_of(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *mode, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, mode);
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
		fz_die("write", path);
}

static uint32_t in_le(struct in *in, unsigned bytes)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)in_u8(in) << (8 * i);
	return v;
}

static uint64_t in_u64(struct in *in)
{
	uint64_t lo = in_le(in, 4);

	return lo | (uint64_t)in_le(in, 4) << 32;
}

/* The files given as they are; whether cxldcd.db was one. */
static bool put_files(struct in *in)
{
	unsigned n = in_u8(in) & 3;
	bool db = false;

	for (unsigned i = 0; i < n; i++) {
		unsigned which = in_u8(in) % 3;
		char name[48];
		const uint8_t *p;
		size_t len;

		if (which == 2)
			snprintf(name, sizeof(name), "snapshot-%020u.bin", in_le(in, 4));
		else
			snprintf(name, sizeof(name), which ? STORE_DB_NAME "-wal" : STORE_DB_NAME);
		len = in_le(in, 4);
		len = in_bytes(in, len, &p);
		write_file(name, "wb", p, len);
		db |= which == 0;
	}
	return db;
}

/* A new store with the fuzz daemon's configuration, as the daemon's first start makes it. */
static void new_store(const char *cfg)
{
	char err[256];
	struct store *st;

	if (store_open(dir, &st, err, sizeof(err)) || store_config_set(st, cfg))
		fz_die("store", err);
	store_close(st);
}

struct sql {
	sqlite3 *db;
	bool broken;            /* it would not open: the SQL operations are skipped */
};

static sqlite3 *sql_db(struct sql *q)
{
	char path[512];

	if (q->db || q->broken)
		return q->db;
	path_of(path, sizeof(path), STORE_DB_NAME);
	/* no SQLITE_OPEN_CREATE: a database the input did not give stays absent */
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(q->db);
		q->db = NULL;
		q->broken = true;
		return NULL;
	}
	sqlite3_busy_timeout(q->db, 0);
	return q->db;
}

static void sql_close(struct sql *q)
{
	if (q->db && sqlite3_close(q->db) != SQLITE_OK)
		fz_die("sqlite3_close", sqlite3_errmsg(q->db));
	q->db = NULL;
	q->broken = false;
}

/* Run a prepared statement to its end; SQLite may refuse it (a damaged file): that is fine. */
static void sql_run(sqlite3_stmt *s)
{
	while (sqlite3_step(s) == SQLITE_ROW)
		;
	sqlite3_finalize(s);
}

static sqlite3_stmt *sql_prep(struct sql *q, const char *text)
{
	sqlite3 *db = sql_db(q);
	sqlite3_stmt *s = NULL;

	if (db && sqlite3_prepare_v2(db, text, -1, &s, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		s = NULL;
	}
	return s;
}

static void op_journal(struct sql *q, struct in *in, unsigned f)
{
	struct store_rec rec = { 0 };
	const uint8_t *p;
	sqlite3_stmt *s;
	uint64_t seq = 0;
	int64_t crc;

	if (f & 1)
		seq = in_u64(in);
	rec.time_ns = in_le(in, 4);
	rec.kind = in_u8(in);
	rec.dev = in_u8(in);
	rec.port = in_u8(in);
	rec.host = in_u8(in);
	rec.len = in_bytes(in, in_le(in, 2), &p);
	rec.data = p;
	crc = (f >> 1 & 3) == 2 ? (int64_t)in_le(in, 4) : 0;
	s = sql_prep(q, (f & 1) ? "INSERT OR REPLACE INTO journal(seq, time_ns, kind, dev, port, host,"
				  " data, crc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
				: "INSERT INTO journal(seq, time_ns, kind, dev, port, host, data, crc)"
				  " VALUES (coalesce((SELECT max(seq) FROM journal), 0) + 1, ?2, ?3, ?4,"
				  " ?5, ?6, ?7, ?8)");
	if (!s)
		return;
	if (!(f & 1)) {         /* the checksum covers the seq the row will get */
		sqlite3_stmt *m = sql_prep(q, "SELECT coalesce(max(seq), 0) + 1 FROM journal");

		if (m && sqlite3_step(m) == SQLITE_ROW)
			seq = (uint64_t)sqlite3_column_int64(m, 0);
		sqlite3_finalize(m);
	}
	rec.seq = seq;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)rec.time_ns);
	sqlite3_bind_int64(s, 3, rec.kind);
	sqlite3_bind_int64(s, 4, rec.dev);
	sqlite3_bind_int64(s, 5, rec.port);
	sqlite3_bind_int64(s, 6, rec.host);
	if (f & 8)
		sqlite3_bind_text(s, 7, (const char *)p, (int)rec.len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_blob(s, 7, rec.len ? p : (const void *)"", (int)rec.len, SQLITE_TRANSIENT);
	switch (f >> 1 & 3) {
	case 0:
		sqlite3_bind_int64(s, 8, store_rec_crc(&rec));
		break;
	case 1:
		sqlite3_bind_null(s, 8);
		break;
	case 2:
		sqlite3_bind_int64(s, 8, crc);
		break;
	default:
		sqlite3_bind_text(s, 8, "crc", -1, SQLITE_STATIC);
		break;
	}
	sql_run(s);
}

static void op_meta(struct sql *q, struct in *in, unsigned f)
{
	const char *key = meta_keys[in_u8(in) % (sizeof(meta_keys) / sizeof(meta_keys[0]))];
	sqlite3_stmt *s;
	const uint8_t *p;
	size_t n;

	f &= 7;
	s = sql_prep(q, f == 5 ? "DELETE FROM meta WHERE key = ?1"
			       : "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)");
	if (!s)
		return;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	switch (f) {
	case 0:
		sqlite3_bind_int64(s, 2, (sqlite3_int64)in_u64(in));
		break;
	case 1:
		n = in_bytes(in, in_u8(in), &p);
		sqlite3_bind_text(s, 2, (const char *)p, (int)n, SQLITE_TRANSIENT);
		break;
	case 2:
		n = in_bytes(in, in_u8(in), &p);
		sqlite3_bind_blob(s, 2, n ? p : (const void *)"", (int)n, SQLITE_TRANSIENT);
		break;
	case 3:
		sqlite3_bind_null(s, 2);
		break;
	case 4: {
		uint64_t bits = in_u64(in);
		double d;

		memcpy(&d, &bits, sizeof(d));
		sqlite3_bind_double(s, 2, d);
		break;
	}
	case 5:
		break;
	default:
		sqlite3_bind_int64(s, 2, (int8_t)in_u8(in));
		break;
	}
	sql_run(s);
}

static void op_config(struct sql *q, struct in *in, unsigned f, const char *cfg)
{
	sqlite3_stmt *s = sql_prep(q, (f & 3) == 1 ? "DELETE FROM config"
						    : "INSERT OR REPLACE INTO config(id, text, set_ns)"
						      " VALUES (1, ?1, 0)");
	const uint8_t *p;
	size_t n;

	if (!s)
		return;
	switch (f & 3) {
	case 0:
		n = in_bytes(in, in_le(in, 2), &p);
		sqlite3_bind_text(s, 1, (const char *)p, (int)n, SQLITE_TRANSIENT);
		break;
	case 2: {
		char *t = strdup(cfg);
		size_t i = in_u8(in);

		if (!t)
			fz_die("out of memory", NULL);
		if (i < strlen(t))
			t[i] = (char)in_u8(in);
		sqlite3_bind_text(s, 1, t, -1, SQLITE_TRANSIENT);
		free(t);
		break;
	}
	case 3:
		sqlite3_bind_text(s, 1, "", 0, SQLITE_STATIC);
		break;
	default:
		break;
	}
	sql_run(s);
}

static void op_exec(struct sql *q, const char *text)
{
	sqlite3 *db = sql_db(q);

	if (db)
		sqlite3_exec(db, text, NULL, NULL, NULL);
}

static void op_snapshot(struct sql *q, struct in *in, unsigned f)
{
	const uint8_t *body;
	size_t n = in_bytes(in, in_le(in, 2), &body);
	uint64_t seq = 0;

	for (unsigned i = 0; i < 8 && i < n; i++)
		seq |= (uint64_t)body[i] << (8 * i);
	sql_close(q);
	if (f & 1) {
		uint8_t crc[4];

		put_le32(crc, store_crc32(store_crc32(0, SNAP_MAGIC, 8), body, n));
		write_file(SNAP_NAME, "wb", SNAP_MAGIC, 8);
		write_file(SNAP_NAME, "ab", body, n);
		write_file(SNAP_NAME, "ab", crc, 4);
	} else {
		write_file(SNAP_NAME, "wb", body, n);
	}
	if (f & 2) {
		sqlite3_stmt *s = sql_prep(q, "INSERT OR REPLACE INTO meta(key, value) VALUES"
					      " ('snapshot_file', ?1), ('snapshot_seq', ?2)");

		if (s) {
			sqlite3_bind_text(s, 1, SNAP_NAME, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
			sql_run(s);
		}
	}
	if (f & 4) {
		sqlite3_stmt *s = sql_prep(q, "INSERT OR REPLACE INTO meta(key, value) VALUES"
					      " ('journal_base', ?1)");

		if (s) {
			sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
			sql_run(s);
		}
	}
}

static void op_patch(struct sql *q, struct in *in)
{
	uint32_t off = in_le(in, 4);
	const uint8_t *p;
	size_t n = in_bytes(in, in_u8(in), &p);
	char path[512];
	struct stat sb;
	FILE *f;

	sql_close(q);
	path_of(path, sizeof(path), STORE_DB_NAME);
	if (stat(path, &sb) || sb.st_size <= 0 || !n)
		return;
	off %= (uint64_t)sb.st_size;
	f = fopen(path, "r+b");
	if (!f || fseek(f, (long)off, SEEK_SET) || fwrite(p, 1, n, f) != n || fclose(f))
		fz_die("patch", path);
}

static void apply_ops(struct in *in, const char *cfg)
{
	struct sql q = { 0 };

	for (int i = 0; i < MAX_OPS && in->off < in->len; i++) {
		uint8_t op = in_u8(in);
		unsigned f = op >> 4;

		switch (op & 15) {
		case 0:
			op_journal(&q, in, f);
			break;
		case 1:
			op_meta(&q, in, f);
			break;
		case 2:
			op_config(&q, in, f, cfg);
			break;
		case 3: {
			char sql[64];

			snprintf(sql, sizeof(sql), "PRAGMA %s = %d",
				 f & 1 ? "user_version" : "application_id", (int32_t)in_le(in, 4));
			op_exec(&q, sql);
			break;
		}
		case 4:
			op_exec(&q, damage[in_u8(in) % (sizeof(damage) / sizeof(damage[0]))]);
			break;
		case 5:
			op_snapshot(&q, in, f);
			break;
		case 6:
			op_patch(&q, in);
			break;
		case 7: {
			const uint8_t *p;
			size_t n = in_bytes(in, in_le(in, 2), &p);

			sql_close(&q);
			write_file(STORE_DB_NAME "-wal", "ab", p, n);
			break;
		}
		default:
			break;
		}
	}
	sql_close(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CMDLINE_ERR_MAX + SRV_ERR_MAX], *cfg;
	struct in in = { data, size, 0 };
	struct fz_daemon d;
	int rc, fds_before, nr_snaps;

	if (size < 1)
		return 0;
	fz_scratch_at_exit(dir, sizeof(dir), "store");
	fds_before = nr_open_fds();
	fz_daemon_build(&d, false);
	d.s.objects = json_array();
	cfg = srv_config_text(&d.cfg);
	if (!cfg)
		fz_die("out of memory", NULL);
	if (!put_files(&in))
		new_store(cfg);
	apply_ops(&in, cfg);
	free(cfg);
	nr_snaps = nr_snapshot_files();
	rc = fz_daemon_state_open(&d, dir, err, sizeof(err));
	/* a refused start leaves the snapshot files (what a repair needs) */
	if (rc && nr_snapshot_files() < nr_snaps)
		fz_die("a refused start removed snapshot files", err);
	if (!rc) {
		/* the replay began where the snapshot ends (none: at the journal's start) */
		if (store_journal_base(d.s.st) != d.s.snap_seq)
			fz_die("a start that replayed from another record than the snapshot's", NULL);
		fz_daemon_check(&d);
		err[0] = 0;
		rc = fz_daemon_attach(&d, err, sizeof(err));
		if (rc && (rc > 0 || !err[0]))
			fz_die("memory refused without a negative errno and a message", err);
		fz_daemon_check(&d);
	}
	store_close(d.s.st);
	d.s.st = NULL;
	fz_daemon_free(&d);
	fz_empty_dir(dir);
	if (nr_open_fds() != fds_before)
		fz_die("file descriptor leaked", NULL);
	return 0;
}
