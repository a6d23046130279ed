/* SPDX-License-Identifier: MIT */
/*
 * checkpoint.c - readable snapshots of a device model in the snap_* tables.
 *
 * A checkpoint reads the model only through the queries of core.h and writes
 * every row of one device in one transaction with statements prepared once
 * per checkpoint, so a million extents take seconds.  It is for people and
 * tools (sqlite3, scripts): restart never reads these tables, it replays the
 * journal (docs/persistence.md says why).
 *
 * Tags are written as UUID text (NULL when all zero), host sets as text lists
 * ("0,3"), the FM's event log under owner 65535 (CORE_OWNER_FM).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "store/store-int.h"

#define PAGE 4096u /* extents or tags fetched from the model per query */

enum {
	INS_INFO,
	INS_REGION,
	INS_HOST,
	INS_EXTENT,
	INS_PENDING,
	INS_PENDING_EXT,
	INS_TAG,
	INS_EVLOG,
	INS_EVENT,
	NR_INS,
};

static const char *const ins_sql[NR_INS] = {
	[INS_INFO] = "INSERT INTO snap_info VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		     " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
	[INS_REGION] = "INSERT INTO snap_regions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		       " ?11, ?12, ?13, ?14)",
	[INS_HOST] = "INSERT INTO snap_hosts VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[INS_EXTENT] = "INSERT INTO snap_extents VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		       " ?11, ?12)",
	[INS_PENDING] = "INSERT INTO snap_pending VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[INS_PENDING_EXT] = "INSERT INTO snap_pending_extents VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
			    " ?8)",
	[INS_TAG] = "INSERT INTO snap_tags VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[INS_EVLOG] = "INSERT INTO snap_evlogs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[INS_EVENT] = "INSERT INTO snap_events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		      " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,"
		      " ?25, ?26)",
};

static const char *const snap_tables[] = {
	"snap_info",	"snap_regions",	   "snap_hosts",  "snap_extents", "snap_pending",
	"snap_pending_extents", "snap_tags", "snap_evlogs", "snap_events",
};

struct ckpt {
	struct store *st;
	const struct cxldcd_dev *dev;
	sqlite3_int64 di;                   /* dev_index */
	sqlite3_stmt *ins[NR_INS];
	struct core_extent_info *xi;        /* PAGE */
	struct cxldcd_extent *xe;           /* PAGE */
	struct core_tag_info *ti;           /* PAGE */
	struct cxldcd_event *ev;            /* evlog_depth */
	uint32_t nr_ev;
};

/* ----------------------------------------------------------------- helpers */

static void b_int(sqlite3_stmt *s, int col, sqlite3_int64 v)
{
	sqlite3_bind_int64(s, col, v);
}

/* Tag as UUID text, or NULL when all zero. */
static void b_tag(sqlite3_stmt *s, int col, const uint8_t t[CXLDCD_TAG_SIZE])
{
	static const uint8_t zero[CXLDCD_TAG_SIZE];
	char u[37];

	if (memcmp(t, zero, CXLDCD_TAG_SIZE) == 0) {
		sqlite3_bind_null(s, col);
		return;
	}
	snprintf(u, sizeof(u),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", t[0], t[1],
		 t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14],
		 t[15]);
	sqlite3_bind_text(s, col, u, 36, SQLITE_TRANSIENT);
}

/* Host bitmap (bit per LD) as "0,3,17", NULL when empty. */
static void b_hosts(sqlite3_stmt *s, int col, const uint8_t map[32], uint16_t nr_hosts)
{
	char buf[32 * 8 * 4 + 1];
	size_t off = 0;

	for (uint32_t h = 0; h < nr_hosts && h < 256; h++) {
		if (map[h / 8] & (1u << (h % 8)))
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, off ? ",%u" : "%u", h);
	}
	if (!off)
		sqlite3_bind_null(s, col);
	else
		sqlite3_bind_text(s, col, buf, (int)off, SQLITE_TRANSIENT);
}

static int run(struct ckpt *c, int which)
{
	sqlite3_stmt *s = c->ins[which];
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail_sql(c->st, rc, "checkpoint");
	return 0;
}

static int model_fail(struct ckpt *c, const char *what, unsigned int rc)
{
	return store_fail(c->st, -EIO, "checkpoint dev=%lld: %s failed (rc=0x%x)", (long long)c->di,
			  what, rc);
}

/* --------------------------------------------------------------- sections */

static int put_info(struct ckpt *c)
{
	const struct cxldcd_dev_cfg *cfg = core_dev_cfg(c->dev);
	sqlite3_stmt *s = c->ins[INS_INFO], *q = NULL;
	struct core_counts n;
	struct timespec ts;
	int rc;

	core_counts_get(c->dev, &n);
	clock_gettime(CLOCK_REALTIME, &ts);
	b_int(s, 1, c->di);
	b_int(s, 2, (sqlite3_int64)c->st->nr_committed);
	/* Model time: that of the last journal record (NULL when none). */
	rc = sqlite3_prepare_v2(c->st->db, "SELECT time_ns FROM journal WHERE seq = ?1", -1, &q,
				NULL);
	if (rc != SQLITE_OK)
		return store_fail_sql(c->st, rc, "checkpoint");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)c->st->nr_committed);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		b_int(s, 3, sqlite3_column_int64(q, 0));
	else
		sqlite3_bind_null(s, 3);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_sql(c->st, rc, "checkpoint");
	b_int(s, 4, (sqlite3_int64)ts.tv_sec * 1000000000 + ts.tv_nsec);
	b_int(s, 5, cfg->nr_regions);
	b_int(s, 6, cfg->nr_hosts);
	b_int(s, 7, (sqlite3_int64)cfg->static_capacity);
	b_int(s, 8, cfg->max_extents);
	b_int(s, 9, cfg->max_tags);
	b_int(s, 10, cfg->evlog_depth);
	b_int(s, 11, cfg->seq_one_based);
	b_int(s, 12, (sqlite3_int64)cfg->pending_timeout_ms);
	b_int(s, 13, n.total_extents);
	b_int(s, 14, n.avail_extents);
	b_int(s, 15, n.total_tags);
	b_int(s, 16, n.avail_tags);
	b_int(s, 17, core_tag_generation(c->dev));
	b_int(s, 18, core_tag_count(c->dev));
	return run(c, INS_INFO);
}

static int put_regions(struct ckpt *c)
{
	sqlite3_stmt *s = c->ins[INS_REGION];
	uint8_t nr = core_region_count(c->dev);
	struct core_region_info r;
	int ret;

	for (uint8_t i = 0; i < nr; i++) {
		if (core_region_get(c->dev, i, &r))
			return model_fail(c, "core_region_get", 0u);
		b_int(s, 1, c->di);
		b_int(s, 2, i);
		b_int(s, 3, (sqlite3_int64)r.base);
		b_int(s, 4, (sqlite3_int64)r.decode_len);
		b_int(s, 5, (sqlite3_int64)r.len);
		b_int(s, 6, (sqlite3_int64)r.block_size);
		b_int(s, 7, (sqlite3_int64)r.supported_block_mask);
		b_int(s, 8, r.dsmad_handle);
		b_int(s, 9, r.sanitize_on_release);
		b_int(s, 10, r.sor_configurable);
		b_int(s, 11, r.sharable);
		b_int(s, 12, r.read_only);
		b_int(s, 13, r.nonvolatile);
		b_int(s, 14, (sqlite3_int64)r.allocated_bytes);
		ret = run(c, INS_REGION);
		if (ret)
			return ret;
	}
	return 0;
}

static int put_extents(struct ckpt *c, uint16_t host)
{
	sqlite3_stmt *s = c->ins[INS_EXTENT];
	uint32_t total = core_extent_count(c->dev, host), n;
	enum cxldcd_rc rc;
	int ret;

	for (uint32_t at = 0; at < total; at += n) {
		rc = core_extent_list_info(c->dev, host, at, PAGE, c->xi, &n);
		if (rc != CXLDCD_RC_SUCCESS || n == 0)
			return model_fail(c, "core_extent_list_info", rc);
		for (uint32_t i = 0; i < n; i++) {
			const struct core_extent_info *x = &c->xi[i];

			b_int(s, 1, c->di);
			b_int(s, 2, host);
			b_int(s, 3, at + i);
			b_int(s, 4, x->region);
			b_int(s, 5, (sqlite3_int64)x->ext.dpa);
			b_int(s, 6, (sqlite3_int64)x->ext.len);
			b_tag(s, 7, x->ext.tag);
			b_int(s, 8, x->ext.shared_seq);
			b_int(s, 9, (sqlite3_int64)x->tag_offset);
			b_int(s, 10, x->sharable);
			b_int(s, 11, x->release_pending);
			b_int(s, 12, x->sanitize);
			ret = run(c, INS_EXTENT);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int put_group_extents(struct ckpt *c, uint16_t host, uint32_t g, uint32_t total)
{
	sqlite3_stmt *s = c->ins[INS_PENDING_EXT];
	enum cxldcd_rc rc;
	uint32_t n;
	int ret;

	for (uint32_t at = 0; at < total; at += n) {
		rc = core_pending_extents(c->dev, host, g, at, PAGE, c->xe, &n);
		if (rc != CXLDCD_RC_SUCCESS || n == 0)
			return model_fail(c, "core_pending_extents", rc);
		for (uint32_t i = 0; i < n; i++) {
			b_int(s, 1, c->di);
			b_int(s, 2, host);
			b_int(s, 3, g);
			b_int(s, 4, at + i);
			b_int(s, 5, (sqlite3_int64)c->xe[i].dpa);
			b_int(s, 6, (sqlite3_int64)c->xe[i].len);
			b_tag(s, 7, c->xe[i].tag);
			b_int(s, 8, c->xe[i].shared_seq);
			ret = run(c, INS_PENDING_EXT);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int put_pending(struct ckpt *c, uint16_t host)
{
	sqlite3_stmt *s = c->ins[INS_PENDING];
	uint32_t nr = core_pending_count(c->dev, host);
	struct core_group_info g;
	int ret;

	for (uint32_t i = 0; i < nr; i++) {
		if (core_pending_get(c->dev, host, i, &g))
			return model_fail(c, "core_pending_get", 0u);
		b_int(s, 1, c->di);
		b_int(s, 2, host);
		b_int(s, 3, i);
		b_int(s, 4, (sqlite3_int64)g.id);
		b_int(s, 5, g.nr_extents);
		b_int(s, 6, g.dead);
		b_int(s, 7, (sqlite3_int64)g.offered_ns);
		if ((ret = run(c, INS_PENDING)) || (ret = put_group_extents(c, host, i, g.nr_extents)))
			return ret;
	}
	return 0;
}

static int put_hosts(struct ckpt *c)
{
	sqlite3_stmt *s = c->ins[INS_HOST];
	uint16_t nr = core_dev_cfg(c->dev)->nr_hosts;
	int ret;

	for (uint16_t h = 0; h < nr; h++) {
		b_int(s, 1, c->di);
		b_int(s, 2, h);
		b_int(s, 3, core_extent_generation(c->dev, h));
		b_int(s, 4, core_extent_count(c->dev, h));
		b_int(s, 5, core_pending_count(c->dev, h));
		b_int(s, 6, core_evlog_status_bits(c->dev, h));
		if ((ret = run(c, INS_HOST)) || (ret = put_extents(c, h)) ||
		    (ret = put_pending(c, h)))
			return ret;
	}
	return 0;
}

static int put_tags(struct ckpt *c)
{
	sqlite3_stmt *s = c->ins[INS_TAG];
	uint16_t nr_hosts = core_dev_cfg(c->dev)->nr_hosts;
	uint32_t total = core_tag_count(c->dev), n;
	enum cxldcd_rc rc;
	int ret;

	for (uint32_t at = 0; at < total; at += n) {
		rc = core_tag_list(c->dev, at, PAGE, c->ti, &n);
		if (rc != CXLDCD_RC_SUCCESS || n == 0)
			return model_fail(c, "core_tag_list", rc);
		for (uint32_t i = 0; i < n; i++) {
			const struct core_tag_info *t = &c->ti[i];

			b_int(s, 1, c->di);
			b_int(s, 2, at + i);
			b_tag(s, 3, t->tag);
			b_int(s, 4, t->fm_ref);
			b_int(s, 5, t->sharable);
			b_hosts(s, 6, t->accepted_map, nr_hosts);
			b_hosts(s, 7, t->pending_map, nr_hosts);
			b_int(s, 8, t->nr_extents);
			b_int(s, 9, (sqlite3_int64)t->bytes);
			ret = run(c, INS_TAG);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static bool is_dc(const struct cxldcd_event *e)
{
	static const uint8_t dc_uuid[16] = CXLDCD_DC_EVENT_UUID;

	return memcmp(e->uuid, dc_uuid, sizeof(dc_uuid)) == 0;
}

static void b_uuid(sqlite3_stmt *s, int col, const uint8_t u[16])
{
	static const uint8_t zero[CXLDCD_TAG_SIZE];

	/* Same text form as tags; an all-zero UUID is still shown. */
	if (memcmp(u, zero, sizeof(zero)) == 0)
		sqlite3_bind_text(s, col, "00000000-0000-0000-0000-000000000000", 36, SQLITE_STATIC);
	else
		b_tag(s, col, u);
}

static int put_event(struct ckpt *c, uint16_t owner, uint8_t log, uint32_t idx,
		     const struct cxldcd_event *e)
{
	sqlite3_stmt *s = c->ins[INS_EVENT];
	bool dc = is_dc(e);

	b_int(s, 1, c->di);
	b_int(s, 2, owner);
	b_int(s, 3, log);
	b_int(s, 4, idx);
	b_int(s, 5, e->handle);
	b_int(s, 6, e->related_handle);
	b_int(s, 7, (sqlite3_int64)e->timestamp_ns);
	b_uuid(s, 8, e->uuid);
	b_int(s, 9, e->length);
	b_int(s, 10, e->flags);
	b_int(s, 11, e->maint_class);
	b_int(s, 12, e->maint_subclass);
	b_int(s, 13, e->ld_id);
	b_int(s, 14, e->head_id);
	for (int col = 15; col <= 26; col++)
		sqlite3_bind_null(s, col);
	if (dc) {
		b_int(s, 15, e->dc_type);
		b_int(s, 16, e->dc_validity);
		b_int(s, 17, e->dc_host_id);
		b_int(s, 18, e->dc_region_index);
		b_int(s, 19, e->dc_flags);
		b_int(s, 20, (sqlite3_int64)e->dc_extent.dpa);
		b_int(s, 21, (sqlite3_int64)e->dc_extent.len);
		b_tag(s, 22, e->dc_extent.tag);
		b_int(s, 23, e->dc_extent.shared_seq);
		b_int(s, 24, e->dc_avail_extents);
		b_int(s, 25, e->dc_avail_tags);
	} else {
		sqlite3_bind_blob(s, 26, e->data, (int)sizeof(e->data), SQLITE_STATIC);
	}
	return run(c, INS_EVENT);
}

static int put_log(struct ckpt *c, uint16_t owner, uint8_t log, const uint8_t policy[])
{
	sqlite3_stmt *s = c->ins[INS_EVLOG];
	struct core_evlog_status es;
	enum cxldcd_rc rc;
	uint32_t n;
	int ret;

	memset(&es, 0, sizeof(es));
	rc = core_evlog_get(c->dev, owner, log, c->nr_ev, c->ev, &n, &es);
	if (rc == CXLDCD_RC_INVALID_INPUT || rc == CXLDCD_RC_INVALID_LOG)
		return 0; /* this owner has no such log */
	if (rc != CXLDCD_RC_SUCCESS)
		return model_fail(c, "core_evlog_get", rc);
	b_int(s, 1, c->di);
	b_int(s, 2, owner);
	b_int(s, 3, log);
	b_int(s, 4, n);
	b_int(s, 5, es.overflow);
	b_int(s, 6, es.overflow_count);
	b_int(s, 7, (sqlite3_int64)es.first_overflow_ns);
	b_int(s, 8, (sqlite3_int64)es.last_overflow_ns);
	b_int(s, 9, policy[log]);
	ret = run(c, INS_EVLOG);
	for (uint32_t i = 0; i < n && !ret; i++)
		ret = put_event(c, owner, log, i, &c->ev[i]);
	return ret;
}

static int put_owner(struct ckpt *c, uint16_t owner)
{
	uint8_t policy[CXLDCD_NR_LOGS];
	int ret;

	core_irq_policy_get(c->dev, owner, policy);
	for (uint8_t log = 0; log < CXLDCD_NR_LOGS; log++) {
		ret = put_log(c, owner, log, policy);
		if (ret)
			return ret;
	}
	return 0;
}

static int put_events(struct ckpt *c)
{
	uint16_t nr = core_dev_cfg(c->dev)->nr_hosts;
	int ret;

	for (uint16_t h = 0; h < nr; h++) {
		ret = put_owner(c, h);
		if (ret)
			return ret;
	}
	return put_owner(c, CORE_OWNER_FM);
}

/* ------------------------------------------------------------------ driver */

static int clear_dev(struct ckpt *c)
{
	char sql[96];
	sqlite3_stmt *s = NULL;
	int rc = SQLITE_OK;

	for (size_t i = 0; i < sizeof(snap_tables) / sizeof(snap_tables[0]); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE dev = ?1", snap_tables[i]);
		rc = sqlite3_prepare_v2(c->st->db, sql, -1, &s, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(s, 1, c->di);
			rc = sqlite3_step(s);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_OK)
			return store_fail_sql(c->st, rc, "checkpoint");
	}
	return 0;
}

static int ckpt_init(struct ckpt *c)
{
	uint32_t depth = core_dev_cfg(c->dev)->evlog_depth;
	int rc;

	c->nr_ev = depth ? depth : 1;
	c->xi = malloc(PAGE * sizeof(*c->xi));
	c->xe = malloc(PAGE * sizeof(*c->xe));
	c->ti = malloc(PAGE * sizeof(*c->ti));
	c->ev = malloc(c->nr_ev * sizeof(*c->ev));
	if (!c->xi || !c->xe || !c->ti || !c->ev)
		return store_fail(c->st, -ENOMEM, "checkpoint: out of memory");
	for (int i = 0; i < NR_INS; i++) {
		rc = sqlite3_prepare_v2(c->st->db, ins_sql[i], -1, &c->ins[i], NULL);
		if (rc != SQLITE_OK)
			return store_fail_sql(c->st, rc, "checkpoint: prepare");
	}
	return 0;
}

static void ckpt_fini(struct ckpt *c)
{
	for (int i = 0; i < NR_INS; i++)
		sqlite3_finalize(c->ins[i]);
	free(c->xi);
	free(c->xe);
	free(c->ti);
	free(c->ev);
}

int store_checkpoint(struct store *st, uint32_t dev_index, const struct cxldcd_dev *dev)
{
	struct ckpt c = { .st = st, .dev = dev, .di = dev_index };
	int ret;

	if (st->in_txn)
		return store_fail(st, -EBUSY, "checkpoint: a transaction is open");
	ret = ckpt_init(&c);
	if (ret)
		goto out;
	ret = store_begin(st);
	if (ret)
		goto out;
	if ((ret = clear_dev(&c)) || (ret = put_info(&c)) || (ret = put_regions(&c)) ||
	    (ret = put_hosts(&c)) || (ret = put_tags(&c)) || (ret = put_events(&c))) {
		store_rollback(st);
		goto out;
	}
	ret = store_commit(st);
out:
	ckpt_fini(&c);
	return ret;
}
