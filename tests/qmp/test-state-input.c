/* SPDX-License-Identifier: MIT */
/*
 * test-state-input.c - what a --state directory feeds the daemon at
 * restart, when it is not what the daemon wrote (found by fuzz-state):
 * - journal records, as replay meets them (server_replay_qmp()): refused
 *   with a message that quotes the record's own bytes and nothing past them
 *   (a record's data is the store's blob: no NUL after it);
 * - a snapshot file whose backend cannot be added again: srv_state_open()
 *   refuses it and says why;
 * - meta rows that do not match (found by fuzz-store): the snapshot's rows
 *   gone, naming another file, or a journal dropped up to another seq than
 *   the snapshot's; the start is refused (not a replay from the wrong
 *   record), and the snapshot file is left where it is;
 * - a refused start removes no snapshot file (found by fuzz-store).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "common/wire.h"
#include "qmp/qmp.h"
#include "server/cmdline.h"
#include "server/commands.h"
#include "server/daemon.h"
#include "store/store.h"

/*
 * Replay the record of text's first len bytes, kept as SQLite keeps a blob:
 * inside a bigger buffer (a page) that goes on with other bytes.
 */
static int replay(const char *text, size_t len, char *err, size_t cap)
{
	struct server_ctx s;
	size_t page = strlen(text) + 1;
	char *buf = malloc(page);
	int rc;

	assert_non_null(buf);
	memcpy(buf, text, page);
	memset(&s, 0, sizeof(s));
	err[0] = 0;
	rc = server_replay_qmp(&s, buf, len, err, cap);
	free(buf);
	return rc;
}

static void test_not_a_command_quotes_only_the_record(void **state)
{
	static const char bytes[] = "{\"execute\":1}NEXT-RECORD";
	char err[256];

	(void)state;
	/* the record is the JSON alone; what follows in memory is not its own */
	assert_int_equal(replay(bytes, 13, err, sizeof(err)), -EIO);
	assert_string_equal(err, "journaled QMP record is not a command: {\"execute\":1}");
}

static void test_long_record_is_quoted_to_80_bytes(void **state)
{
	char text[201], err[256];

	(void)state;
	memset(text, 'x', sizeof(text) - 1);
	text[200] = 0;
	assert_int_equal(replay(text, 200, err, sizeof(err)), -EIO);
	assert_int_equal(strlen(err), strlen("journaled QMP record is not a command: ") + 80);
}

static void test_unknown_command_is_refused(void **state)
{
	static const char text[] = "{\"execute\":\"nope\",\"arguments\":{}}";
	char err[256];

	(void)state;
	assert_int_equal(replay(text, sizeof(text) - 1, err, sizeof(err)), -EIO);
	assert_string_equal(err, "journaled command nope is unknown");
}

/* ---- snapshot files --------------------------------------------------- */

struct daemon {
	char dir[64];
	struct cmdline_cfg cfg;
	struct qmp_server *qmp;
	struct server_ctx s;
};

/* The devices of "-device cxl-type3,id=d0,..." (tag-backed), none of its memory attached. */
static void daemon_new(struct daemon *d)
{
	char *argv[] = { "cxldcd", "-device", "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G",
			 "-qmp", "unix:/nonexistent/q.sock,server=on,wait=off", NULL };
	char err[CMDLINE_ERR_MAX];

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/cxldcd-test-state-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	assert_int_equal(cmdline_parse(5, argv, "/nonexistent", &d->cfg, err, sizeof(err)), 0);
	assert_int_equal(qmp_server_new(&(struct qmp_server_cfg){ .package = "test" }, &d->qmp), 0);
	d->s.qmp = d->qmp;
	d->s.cfg = &d->cfg;
	d->s.objects = json_array();
	assert_int_equal(server_register_commands(d->qmp, &d->s), 0);
	assert_int_equal(mem_registry_new(&d->s.reg), 0);
	assert_int_equal(dcd_create_all(&d->s, err, sizeof(err)), 0);
}

static void daemon_free(struct daemon *d)
{
	char cmd[128];

	srv_ctx_fini(&d->s);
	qmp_server_free(d->qmp);
	cmdline_fini(&d->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * A store of d's configuration with one record and snapshot-1.bin behind
 * it: magic, seq 1, the backend @backend (JSON text), device 0's state as
 * a new device has it, CRC32C.
 */
static void write_state(struct daemon *d, const char *backend)
{
	struct store_rec rec = { .time_ns = 1, .kind = STORE_REC_TICK };
	uint8_t *dev_snap, *f, *p;
	size_t dev_len, len;
	char err[256], path[128], *cfg = srv_config_text(&d->cfg);
	struct store *st;
	FILE *out;

	assert_int_equal(store_open(d->dir, &st, err, sizeof(err)), 0);
	assert_int_equal(store_config_set(st, cfg), 0);
	free(cfg);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_journal_append(st, &rec), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(core_snapshot(d->s.devs[0]->dev, &dev_snap, &dev_len), 0);
	len = 8 + 8 + 4 + 4 + strlen(backend) + 4 + 4 + 8 + dev_len + 4;
	p = f = malloc(len);
	assert_non_null(f);
	memcpy(p, "CXLDDSN1", 8);
	put_le64(p + 8, 1);
	put_le32(p + 16, 1);
	put_le32(p + 20, (uint32_t)strlen(backend));
	p += 24;
	memcpy(p, backend, strlen(backend));
	p += strlen(backend);
	put_le32(p, 1);
	put_le32(p + 4, d->s.devs[0]->index);
	put_le64(p + 8, dev_len);
	memcpy(p + 16, dev_snap, dev_len);
	p += 16 + dev_len;
	put_le32(p, store_crc32(0, f, len - 4));
	snprintf(path, sizeof(path), "%s/snapshot-1.bin", d->dir);
	assert_non_null(out = fopen(path, "wb"));
	assert_int_equal(fwrite(f, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(store_snapshot_commit(st, 1, "snapshot-1.bin"), 0);
	store_close(st);
	free(f);
	free(dev_snap);
}

/* A backend the daemon cannot add (an unknown type): refused, and the message says why. */
static void test_snapshot_backend_refused_says_why(void **state)
{
	struct daemon d;
	char err[512];

	(void)state;
	daemon_new(&d);
	write_state(&d, "{\"qom-type\":\"memory-backend-nope\",\"id\":\"m1\",\"size\":1048576}");
	err[0] = 0;
	assert_int_equal(srv_state_open(&d.s, d.dir, err, sizeof(err)), -EIO);
	print_message("%s\n", err);
	assert_non_null(strstr(err, "snapshot-1.bin: backend 0: "));
	assert_null(strstr(err, "not JSON"));
	assert_non_null(strstr(err, "memory-backend-nope"));
	daemon_free(&d);
}

static void test_snapshot_backend_not_json(void **state)
{
	struct daemon d;
	char err[512];

	(void)state;
	daemon_new(&d);
	write_state(&d, "[1, 2]");
	err[0] = 0;
	assert_int_equal(srv_state_open(&d.s, d.dir, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "snapshot-1.bin: backend 0: not JSON"));
	daemon_free(&d);
}

/* The same file with a backend that can come back loads. */
static void test_snapshot_backend_added_again(void **state)
{
	struct daemon d;
	char err[512];

	(void)state;
	daemon_new(&d);
	write_state(&d, "{\"qom-type\":\"memory-backend-memfd\",\"id\":\"m1\",\"size\":1048576}");
	err[0] = 0;
	assert_int_equal(srv_state_open(&d.s, d.dir, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(d.s.objects), 1);
	daemon_free(&d);
}

/* Run @sql on the store in d->dir (the daemon's store closed), as a hand or a bug could. */
static void store_sql(struct daemon *d, const char *sql)
{
	char path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s", d->dir, STORE_DB_NAME);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* srv_state_open() on d's store after @sql: refused, saying so, and snapshot-1.bin kept. */
static void check_meta_refused(const char *sql, const char *says)
{
	struct daemon d;
	char err[512], path[128];

	daemon_new(&d);
	write_state(&d, "{\"qom-type\":\"memory-backend-memfd\",\"id\":\"m1\",\"size\":1048576}");
	store_sql(&d, sql);
	err[0] = 0;
	assert_int_equal(srv_state_open(&d.s, d.dir, err, sizeof(err)), -EIO);
	print_message("%s\n", err);
	assert_non_null(strstr(err, says));
	snprintf(path, sizeof(path), "%s/snapshot-1.bin", d.dir);
	assert_int_equal(access(path, F_OK), 0);
	daemon_free(&d);
}

/* The snapshot's rows gone, the journal still dropped up to it: its state would be lost. */
static void test_snapshot_rows_gone(void **state)
{
	(void)state;
	check_meta_refused("DELETE FROM meta WHERE key IN ('snapshot_file', 'snapshot_seq')",
			   "dropped up to seq=1, but no snapshot is recorded");
}

/* The journal whole again under a snapshot: record 1 would run twice. */
static void test_journal_base_before_snapshot(void **state)
{
	(void)state;
	check_meta_refused("UPDATE meta SET value = 0 WHERE key = 'journal_base'",
			   "dropped up to seq=0, but the snapshot recorded is snapshot-1.bin (seq=1)");
}

/* Another file named: refused as missing, and the file there is not removed. */
static void test_snapshot_named_elsewhere_keeps_file(void **state)
{
	(void)state;
	check_meta_refused("UPDATE meta SET value = 'snapshot-2.bin' WHERE key = 'snapshot_file'",
			   "snapshot-2.bin: No such file or directory");
}

/* A path, not a file of the directory. */
static void test_snapshot_named_outside(void **state)
{
	(void)state;
	check_meta_refused("UPDATE meta SET value = '../snapshot-1.bin' WHERE key = 'snapshot_file'",
			   "the snapshot recorded is ../snapshot-1.bin");
}

/*
 * No snapshot recorded, a journal record that does not replay, and a
 * snapshot file nobody recorded (a killed child's): the start is refused
 * and leaves the directory as it is.
 */
static void test_refused_replay_removes_no_snapshot_file(void **state)
{
	struct store_rec rec = { .time_ns = 1, .kind = 99 };
	char err[512], path[128], *cfg;
	struct store *st;
	struct daemon d;
	FILE *f;

	(void)state;
	daemon_new(&d);
	cfg = srv_config_text(&d.cfg);
	assert_int_equal(store_open(d.dir, &st, err, sizeof(err)), 0);
	assert_int_equal(store_config_set(st, cfg), 0);
	free(cfg);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_journal_append(st, &rec), 0);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	snprintf(path, sizeof(path), "%s/snapshot-00000000000000000007.bin", d.dir);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fclose(f), 0);
	err[0] = 0;
	assert_int_equal(srv_state_open(&d.s, d.dir, err, sizeof(err)), -EIO);
	print_message("%s\n", err);
	assert_non_null(strstr(err, "the store is left as it is"));
	assert_int_equal(access(path, F_OK), 0);
	daemon_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_a_command_quotes_only_the_record),
		cmocka_unit_test(test_long_record_is_quoted_to_80_bytes),
		cmocka_unit_test(test_unknown_command_is_refused),
		cmocka_unit_test(test_snapshot_backend_refused_says_why),
		cmocka_unit_test(test_snapshot_backend_not_json),
		cmocka_unit_test(test_snapshot_backend_added_again),
		cmocka_unit_test(test_snapshot_rows_gone),
		cmocka_unit_test(test_journal_base_before_snapshot),
		cmocka_unit_test(test_snapshot_named_elsewhere_keeps_file),
		cmocka_unit_test(test_snapshot_named_outside),
		cmocka_unit_test(test_refused_replay_removes_no_snapshot_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
