/* SPDX-License-Identifier: MIT */
/*
 * test-store-checkpoint.c - snapshots of a real device model.
 *
 * Builds a model with core_cfg_default() (adds, accepts, pending groups,
 * an FM reference, a release in progress, a non-DC record), checkpoints it,
 * then reads the snap_* tables back with plain SQL through a second
 * connection (as a person with sqlite3 would, while the store is open) and
 * compares every row with the core's own queries.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "core/core.h"
#include "model.h"
#include "store/store.h"
#include "tmpdir.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define T0 1700000000000000000ull

struct fx {
	char *dir;
	struct store *st;
	struct cxldcd_dev *dev;
	sqlite3 *db;         /* reader connection */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	f->dir = tmpdir_new();
	assert_non_null(f->dir);
	assert_int_equal(store_open(f->dir, &f->st, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_open_v2(store_path(f->st), &f->db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sqlite3_close(f->db);
	store_close(f->st);
	core_dev_free(f->dev);
	tmpdir_free(f->dir);
	free(f);
	return 0;
}

static void new_dev(struct fx *f, uint32_t evlog_depth, uint32_t max_extents, uint64_t block)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_diag diag;

	core_cfg_default(&cfg);
	cfg.regions[1].sharable = true;
	if (evlog_depth)
		cfg.evlog_depth = evlog_depth;
	if (max_extents)
		cfg.max_extents = max_extents;
	for (unsigned i = 0; block && i < cfg.nr_regions; i++)
		cfg.regions[i].block_size = cfg.regions[i].supported_block_mask = block;
	assert_int_equal(core_dev_new(&cfg, &f->dev, &diag), 0);
	core_dev_set_time(f->dev, T0);
}

/* One integer from SQL built with printf. */
static int64_t q(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t q(struct fx *f, const char *fmt, ...)
{
	sqlite3_stmt *s;
	char sql[512];
	va_list ap;
	int64_t v;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static sqlite3_stmt *prep(struct fx *f, const char *sql)
{
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &s, NULL), SQLITE_OK);
	return s;
}

static void assert_tag_col(sqlite3_stmt *s, int col, const uint8_t tag[CXLDCD_TAG_SIZE])
{
	char want[37];

	model_tag_text(tag, want);
	if (!want[0]) {
		assert_int_equal(sqlite3_column_type(s, col), SQLITE_NULL);
		return;
	}
	assert_string_equal((const char *)sqlite3_column_text(s, col), want);
}

static void journal_some(struct fx *f, uint64_t n)
{
	struct store_rec r = { .kind = STORE_REC_QMP, .data = (const uint8_t *)"{}", .len = 2 };

	for (uint64_t i = 0; i < n; i++) {
		r.time_ns = T0 + i;
		assert_int_equal(store_begin(f->st), 0);
		assert_int_equal(store_journal_append(f->st, &r), 0);
		assert_int_equal(store_commit(f->st), 0);
	}
}

/* A model with a bit of everything. */
static void build_model(struct fx *f)
{
	struct core_release_req rel = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED };
	struct cxldcd_event ev = { .uuid = { 1, 2, 3 }, .length = 0x80, .data = { 0x5a, 0xa5 } };
	struct cxldcd_diag diag;
	uint8_t tag[CXLDCD_TAG_SIZE];

	/* host 0: 3 accepted (tag 1), then 2 pending (tag 3) */
	assert_int_equal(model_add(f->dev, 0, 0, 2 * MiB, 8 * MiB, 3, 1, 16, 1), 0);
	core_dev_set_time(f->dev, T0 + 1000);
	assert_int_equal(model_add(f->dev, 0, 64 * MiB, 4 * MiB, 8 * MiB, 2, 3, 16, 0), 0);
	/* host 1: 2 accepted (tag 2) in sharable region 1, 1 pending untagged */
	assert_int_equal(model_add(f->dev, 1, 4 * GiB, 2 * MiB, 4 * MiB, 2, 2, 16, 1), 0);
	core_dev_set_time(f->dev, T0 + 2000);
	assert_int_equal(model_add(f->dev, 1, 1 * GiB, 2 * MiB, 4 * MiB, 1, 0, 16, 0), 0);
	/* FM reference on (sharable) tag 2, release of tag 1 requested on host 0 */
	model_tag(tag, 2 << 16);
	assert_int_equal(core_tag_add_ref(f->dev, tag, &diag), 0);
	model_tag(rel.tag, 1 << 16);
	assert_int_equal(core_release(f->dev, &rel, &diag), 0);
	/* a non-DC record in host 0's informational log */
	assert_int_equal(core_evlog_inject(f->dev, 0, CXLDCD_LOG_INFO, &ev), 0);
	assert_int_equal(core_check_invariants(f->dev, diag.text, sizeof(diag.text)), 0);
}

/* ------------------------------------------------------------- comparisons */

static void check_info_regions_hosts(struct fx *f, uint32_t d)
{
	const struct cxldcd_dev_cfg *cfg = core_dev_cfg(f->dev);
	struct core_region_info r;
	struct core_counts n;

	core_counts_get(f->dev, &n);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_info WHERE dev=%u", d), 1);
	assert_int_equal(q(f, "SELECT journal_seq FROM snap_info WHERE dev=%u", d),
			 store_journal_count(f->st));
	if (store_journal_count(f->st))
		assert_int_equal(q(f, "SELECT model_ns FROM snap_info WHERE dev=%u", d),
				 T0 + store_journal_count(f->st) - 1);
	assert_int_equal(q(f, "SELECT avail_extents FROM snap_info WHERE dev=%u", d), n.avail_extents);
	assert_int_equal(q(f, "SELECT total_extents FROM snap_info WHERE dev=%u", d), n.total_extents);
	assert_int_equal(q(f, "SELECT avail_tags FROM snap_info WHERE dev=%u", d), n.avail_tags);
	assert_int_equal(q(f, "SELECT nr_tags FROM snap_info WHERE dev=%u", d), core_tag_count(f->dev));
	assert_int_equal(q(f, "SELECT tag_generation FROM snap_info WHERE dev=%u", d),
			 core_tag_generation(f->dev));
	assert_int_equal(q(f, "SELECT nr_hosts FROM snap_info WHERE dev=%u", d), cfg->nr_hosts);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_regions WHERE dev=%u", d),
			 core_region_count(f->dev));
	for (uint8_t i = 0; i < core_region_count(f->dev); i++) {
		assert_int_equal(core_region_get(f->dev, i, &r), 0);
		assert_int_equal(q(f, "SELECT base FROM snap_regions WHERE dev=%u AND region=%u", d, i),
				 r.base);
		assert_int_equal(q(f, "SELECT block_size FROM snap_regions WHERE dev=%u AND region=%u",
				   d, i), r.block_size);
		assert_int_equal(q(f, "SELECT len FROM snap_regions WHERE dev=%u AND region=%u", d, i),
				 r.len);
		assert_int_equal(q(f, "SELECT allocated_bytes FROM snap_regions"
				      " WHERE dev=%u AND region=%u", d, i), r.allocated_bytes);
	}
	assert_int_equal(q(f, "SELECT count(*) FROM snap_hosts WHERE dev=%u", d), cfg->nr_hosts);
	for (uint16_t h = 0; h < cfg->nr_hosts; h++) {
		assert_int_equal(q(f, "SELECT generation FROM snap_hosts WHERE dev=%u AND host=%u", d, h),
				 core_extent_generation(f->dev, h));
		assert_int_equal(q(f, "SELECT nr_extents FROM snap_hosts WHERE dev=%u AND host=%u", d, h),
				 core_extent_count(f->dev, h));
		assert_int_equal(q(f, "SELECT nr_pending_groups FROM snap_hosts"
				      " WHERE dev=%u AND host=%u", d, h), core_pending_count(f->dev, h));
	}
}

static void check_extents(struct fx *f, uint32_t d, uint16_t host)
{
	uint32_t total = core_extent_count(f->dev, host), n;
	struct core_extent_info *xi = calloc(total + 1, sizeof(*xi));
	sqlite3_stmt *s = prep(f, "SELECT idx, region, dpa, len, tag, shared_seq, tag_offset,"
				  " release_pending, sanitize FROM snap_extents"
				  " WHERE dev=?1 AND host=?2 ORDER BY idx");

	assert_int_equal(core_extent_list_info(f->dev, host, 0, total, xi, &n), 0);
	assert_int_equal(n, total);
	sqlite3_bind_int(s, 1, (int)d);
	sqlite3_bind_int(s, 2, host);
	for (uint32_t i = 0; i < total; i++) {
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(s, 0), i);
		assert_int_equal(sqlite3_column_int64(s, 1), xi[i].region);
		assert_int_equal(sqlite3_column_int64(s, 2), xi[i].ext.dpa);
		assert_int_equal(sqlite3_column_int64(s, 3), xi[i].ext.len);
		assert_tag_col(s, 4, xi[i].ext.tag);
		assert_int_equal(sqlite3_column_int64(s, 5), xi[i].ext.shared_seq);
		assert_int_equal(sqlite3_column_int64(s, 6), xi[i].tag_offset);
		assert_int_equal(sqlite3_column_int64(s, 7), xi[i].release_pending);
		assert_int_equal(sqlite3_column_int64(s, 8), xi[i].sanitize);
	}
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	free(xi);
}

static void check_pending(struct fx *f, uint32_t d, uint16_t host)
{
	struct core_group_info g;
	struct cxldcd_extent x[64];
	uint32_t n;

	for (uint32_t i = 0; i < core_pending_count(f->dev, host); i++) {
		assert_int_equal(core_pending_get(f->dev, host, i, &g), 0);
		assert_int_equal(q(f, "SELECT group_id FROM snap_pending WHERE dev=%u AND host=%u"
				      " AND idx=%u", d, host, i), g.id);
		assert_int_equal(q(f, "SELECT dead FROM snap_pending WHERE dev=%u AND host=%u"
				      " AND idx=%u", d, host, i), g.dead);
		assert_int_equal(q(f, "SELECT offered_ns FROM snap_pending WHERE dev=%u AND host=%u"
				      " AND idx=%u", d, host, i), g.offered_ns);
		assert_int_equal(core_pending_extents(f->dev, host, i, 0, 64, x, &n), 0);
		assert_int_equal(n, g.nr_extents);
		assert_int_equal(q(f, "SELECT count(*) FROM snap_pending_extents WHERE dev=%u"
				      " AND host=%u AND group_idx=%u", d, host, i), n);
		for (uint32_t k = 0; k < n; k++)
			assert_int_equal(q(f, "SELECT dpa FROM snap_pending_extents WHERE dev=%u"
					      " AND host=%u AND group_idx=%u AND idx=%u", d, host, i, k),
					 x[k].dpa);
	}
	assert_int_equal(q(f, "SELECT count(*) FROM snap_pending WHERE dev=%u AND host=%u", d, host),
			 core_pending_count(f->dev, host));
}

static void check_tags(struct fx *f, uint32_t d)
{
	uint32_t total = core_tag_count(f->dev), n;
	struct core_tag_info t[64];
	sqlite3_stmt *s = prep(f, "SELECT tag, fm_ref, sharable, accepted_hosts, pending_hosts,"
				  " nr_extents, bytes FROM snap_tags WHERE dev=?1 ORDER BY idx");

	assert_true(total <= 64);
	assert_int_equal(core_tag_list(f->dev, 0, 64, t, &n), 0);
	assert_int_equal(n, total);
	sqlite3_bind_int(s, 1, (int)d);
	for (uint32_t i = 0; i < n; i++) {
		char acc[64] = "", pend[64] = "";

		for (unsigned h = 0; h < 2; h++) {
			if (t[i].accepted_map[0] & (1u << h))
				snprintf(acc + strlen(acc), 8, "%s%u", acc[0] ? "," : "", h);
			if (t[i].pending_map[0] & (1u << h))
				snprintf(pend + strlen(pend), 8, "%s%u", pend[0] ? "," : "", h);
		}
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_tag_col(s, 0, t[i].tag);
		assert_int_equal(sqlite3_column_int(s, 1), t[i].fm_ref);
		assert_int_equal(sqlite3_column_int(s, 2), t[i].sharable);
		assert_string_equal(sqlite3_column_text(s, 3) ? (const char *)sqlite3_column_text(s, 3)
							     : "", acc);
		assert_string_equal(sqlite3_column_text(s, 4) ? (const char *)sqlite3_column_text(s, 4)
							     : "", pend);
		assert_int_equal(sqlite3_column_int64(s, 5), t[i].nr_extents);
		assert_int_equal(sqlite3_column_int64(s, 6), t[i].bytes);
	}
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

static void check_log(struct fx *f, uint32_t d, uint16_t owner, uint8_t log)
{
	uint32_t depth = core_dev_cfg(f->dev)->evlog_depth, n;
	struct cxldcd_event *ev = calloc(depth, sizeof(*ev));
	static const uint8_t dc_uuid[16] = CXLDCD_DC_EVENT_UUID;
	sqlite3_stmt *s = prep(f, "SELECT handle, timestamp_ns, dc_type, dc_flags, dpa, len, tag,"
				  " shared_seq, data FROM snap_events"
				  " WHERE dev=?1 AND owner=?2 AND log=?3 ORDER BY idx");

	if (core_evlog_get(f->dev, owner, log, depth, ev, &n, NULL) != CXLDCD_RC_SUCCESS)
		n = 0;
	sqlite3_bind_int(s, 1, (int)d);
	sqlite3_bind_int(s, 2, owner);
	sqlite3_bind_int(s, 3, log);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(s, 0), ev[i].handle);
		assert_int_equal(sqlite3_column_int64(s, 1), ev[i].timestamp_ns);
		if (memcmp(ev[i].uuid, dc_uuid, 16) == 0) {
			assert_int_equal(sqlite3_column_int64(s, 2), ev[i].dc_type);
			assert_int_equal(sqlite3_column_int64(s, 3), ev[i].dc_flags);
			assert_int_equal(sqlite3_column_int64(s, 4), ev[i].dc_extent.dpa);
			assert_int_equal(sqlite3_column_int64(s, 5), ev[i].dc_extent.len);
			assert_tag_col(s, 6, ev[i].dc_extent.tag);
			assert_int_equal(sqlite3_column_int64(s, 7), ev[i].dc_extent.shared_seq);
		} else {
			assert_int_equal(sqlite3_column_type(s, 2), SQLITE_NULL);
			assert_int_equal(sqlite3_column_bytes(s, 8), sizeof(ev[i].data));
			assert_memory_equal(sqlite3_column_blob(s, 8), ev[i].data, sizeof(ev[i].data));
		}
	}
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	free(ev);
}

static void check_all(struct fx *f, uint32_t d)
{
	uint16_t nr_hosts = core_dev_cfg(f->dev)->nr_hosts;

	check_info_regions_hosts(f, d);
	for (uint16_t h = 0; h < nr_hosts; h++) {
		check_extents(f, d, h);
		check_pending(f, d, h);
		for (uint8_t log = 0; log < CXLDCD_NR_LOGS; log++)
			check_log(f, d, h, log);
	}
	check_log(f, d, CORE_OWNER_FM, CXLDCD_LOG_DC);
	check_tags(f, d);
}

/* ------------------------------------------------------------------- tests */

static void test_checkpoint_matches_core_queries(void **state)
{
	struct fx *f = *state;

	new_dev(f, 0, 0, 0);
	build_model(f);
	journal_some(f, 3);
	assert_int_equal(store_checkpoint(f->st, 0, f->dev), 0);
	check_all(f, 0);
	/* The model has what the test meant to build. */
	assert_int_equal(q(f, "SELECT count(*) FROM snap_extents WHERE dev=0"), 5);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_extents WHERE release_pending=1"), 3);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_pending_extents WHERE dev=0"), 3);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_tags WHERE fm_ref=1"), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_events WHERE data IS NOT NULL"), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_events WHERE owner=65535"),
			 core_evlog_count(f->dev, CORE_OWNER_FM, CXLDCD_LOG_DC));
	assert_int_equal(q(f, "SELECT count(*) FROM snap_events WHERE dc_type=1"), 3);
}

static void test_checkpoint_replaces_previous_snapshot(void **state)
{
	struct fx *f = *state;
	struct cxldcd_extent x[8];
	struct cxldcd_range r[8];
	struct cxldcd_diag diag;
	uint32_t n;

	new_dev(f, 0, 0, 0);
	build_model(f);
	assert_int_equal(store_checkpoint(f->st, 0, f->dev), 0);
	assert_int_equal(q(f, "SELECT journal_seq FROM snap_info"), 0);
	/* Host 0 accepts its pending group and gives back its tag-1 extents. */
	assert_int_equal(core_pending_extents(f->dev, 0, 0, 0, 8, x, &n), 0);
	for (uint32_t i = 0; i < n; i++)
		r[i] = (struct cxldcd_range){ x[i].dpa, x[i].len };
	assert_int_equal(core_add_response(f->dev, 0, r, n, false, &diag), 0);
	for (uint64_t i = 0; i < 3; i++) {
		struct cxldcd_range g = { i * 8 * MiB, 2 * MiB };

		assert_int_equal(core_release_dc(f->dev, 0, &g, 1, false, &diag), 0);
	}
	journal_some(f, 2);
	assert_int_equal(store_checkpoint(f->st, 0, f->dev), 0);
	check_all(f, 0);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_extents WHERE host=0"), 2);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_extents WHERE host=1"), 2);
	/* A second device index gets its own rows, the first keeps its own. */
	assert_int_equal(store_checkpoint(f->st, 1, f->dev), 0);
	check_all(f, 1);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_info"), 2);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_extents"), 8);
}

static void test_checkpoint_refused_inside_transaction(void **state)
{
	struct fx *f = *state;

	new_dev(f, 0, 0, 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_checkpoint(f->st, 0, f->dev), -EBUSY);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(store_checkpoint(f->st, 0, f->dev), 0);
	check_all(f, 0);
}

static void test_checkpoint_of_many_extents(void **state)
{
	struct fx *f = *state;
	struct timespec a, b;
	const uint32_t nr = 20000;

	new_dev(f, 4096, nr + 16, 64 * 1024);
	/* 64 KiB extents 128 KiB apart: 10000 per host, one region each. */
	assert_int_equal(model_add(f->dev, 0, 0, 64 * 1024, 128 * 1024, nr / 2, 7, 4000, 1), 0);
	assert_int_equal(model_add(f->dev, 1, 4 * GiB, 64 * 1024, 128 * 1024, nr / 2, 9, 4000, 1),
			 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(store_checkpoint(f->st, 0, f->dev), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_message("checkpoint of %u extents: %.3f s\n", nr,
		      (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	assert_int_equal(q(f, "SELECT count(*) FROM snap_extents"), nr);
	check_extents(f, 0, 0);
	check_extents(f, 0, 1);
	check_info_regions_hosts(f, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_checkpoint_matches_core_queries),
		T(test_checkpoint_replaces_previous_snapshot),
		T(test_checkpoint_refused_inside_transaction),
		T(test_checkpoint_of_many_extents),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
