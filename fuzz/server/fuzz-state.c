/* SPDX-License-Identifier: MIT */
/*
 * fuzz-state.c - libFuzzer target for what a --state directory feeds the
 * daemon at restart (src/server/persist.c srv_state_open()): the journal
 * records, replayed through the faces that wrote them (QMP handlers, the FM
 * and MCTP CCIs, the host-link mailboxes, object-add/del, ticks), and the
 * snapshot file (its backends' JSON, each device's core_restore()).
 *
 * Each input is written as a real store (src/store, SQLite) in a scratch
 * directory (under /dev/shm when there is one: fsync costs nothing there),
 * which the devices of fz-daemon.c then restore from, as main-start.c does:
 * dcd_create_all(), srv_state_open(), dcd_attach_memory().  The records
 * reach the store through store_journal_append() (so their checksums are
 * right) and the snapshot file gets the magic and CRC32C the daemon gives
 * it: the fuzzer's bytes are what replay and restore parse.
 *
 * Checked: srv_state_open() returns 0, or a negative errno with a message;
 * on success every device's invariants hold and dcd_attach_memory() either
 * attaches the memory or says why not; no crash, no leak.
 *
 * Input: byte 0 bit 0: a snapshot file is present; then, if so, its length
 * L (u32le, clamped) and L bytes: the file between the magic and the CRC
 * (journal seq u64, backends, devices; the seq is set to the one the store
 * records: the first min(max(seq, 1), records) records are behind it);
 * then records, each kind, dev, port, host (one byte each), n (u16le), n
 * data bytes.  Record i runs at model time (i + 1) ms.
 *
 * Safety: inputs that could spell mem-path are skipped (fz-daemon.c).
 *
 * With CXLDCD_FUZZ_STATE_SEED=FILE, an input whose restore succeeds is
 * written to FILE again as one snapshot of the restored state and no
 * records (how the corpus's snapshot seeds are made, gen-corpus.py).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/wire.h"
#include "store/store.h"
#include "fz-daemon.h"
#include "fuzz-scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SNAP_MAGIC "CXLDDSN1"
#define SNAP_NAME "snapshot-fuzz.bin"
#define MAX_RECORDS 256

static char dir[64];

static uint32_t get_le(const uint8_t *p, unsigned bytes)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void write_file(const char *name, const uint8_t *parts[], const size_t lens[], int n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	for (int i = 0; f && i < n; i++)
		if (lens[i] && fwrite(parts[i], 1, lens[i], f) != lens[i])
			fz_die("write", path);
	if (!f || fclose(f))
		fz_die("write", path);
}

/* The snapshot file: magic, body (its seq replaced by seq), CRC32C. */
static void write_snapshot(const uint8_t *body, size_t len, uint64_t seq)
{
	uint8_t *b = malloc(len + 8), crc[4];
	uint32_t c;

	if (!b)
		fz_die("out of memory", NULL);
	memcpy(b, body, len);
	for (unsigned i = 0; i < 8 && i < len; i++)
		b[i] = (uint8_t)(seq >> (8 * i));
	c = store_crc32(store_crc32(0, SNAP_MAGIC, 8), b, len);
	put_le32(crc, c);
	write_file(SNAP_NAME, (const uint8_t *[]){ (const uint8_t *)SNAP_MAGIC, b, crc },
		   (const size_t[]){ 8, len, 4 }, 3);
	free(b);
}

/* Write the input's store.  Return the records written. */
static uint64_t write_store(struct fz_daemon *d, const uint8_t *data, size_t size)
{
	char err[256], *cfg = srv_config_text(&d->cfg);
	const uint8_t *snap = NULL;
	size_t off = 1, snap_len = 0;
	uint64_t nrec = 0, want = 0;
	struct store *st;

	if (!cfg || store_open(dir, &st, err, sizeof(err)) || store_config_set(st, cfg))
		fz_die("store", err);
	free(cfg);
	if (data[0] & 1) {
		snap_len = size - off >= 4 ? get_le(data + off, 4) : 0;
		off += size - off >= 4 ? 4 : size - off;
		snap_len = snap_len > size - off ? size - off : snap_len;
		snap = data + off;
		off += snap_len;
		for (unsigned i = 0; i < 8 && i < snap_len; i++)
			want |= (uint64_t)snap[i] << (8 * i);
	}
	if (store_begin(st))
		fz_die("store_begin", store_last_error(st));
	while (size - off >= 6 && nrec < MAX_RECORDS) {
		struct store_rec rec = { .time_ns = (nrec + 1) * 1000000, .kind = data[off],
					 .dev = data[off + 1], .port = data[off + 2],
					 .host = data[off + 3] };

		rec.len = get_le(data + off + 4, 2);
		off += 6;
		rec.len = rec.len > size - off ? size - off : rec.len;
		rec.data = rec.len ? data + off : NULL;
		off += rec.len;
		if (!rec.kind)
			rec.kind = STORE_REC_TICK;      /* kind 0 is not stored */
		if (store_journal_append(st, &rec))
			fz_die("store_journal_append", store_last_error(st));
		nrec++;
	}
	if (snap && !nrec) {        /* a snapshot covers at least one record */
		struct store_rec rec = { .time_ns = 1, .kind = STORE_REC_TICK };

		if (store_journal_append(st, &rec))
			fz_die("store_journal_append", store_last_error(st));
		nrec++;
	}
	if (store_commit(st))
		fz_die("store_commit", store_last_error(st));
	if (snap) {
		want = want < 1 ? 1 : want > nrec ? nrec : want;
		write_snapshot(snap, snap_len, want);
		if (store_snapshot_commit(st, want, SNAP_NAME))
			fz_die("store_snapshot_commit", store_last_error(st));
	}
	store_close(st);
	return nrec;
}

/* The restored state as a seed: one snapshot of every backend and device, no records. */
static void write_seed(const char *path, struct fz_daemon *d)
{
	struct server_ctx *s = &d->s;
	FILE *f = fopen(path, "wb");
	size_t i, body = 8 + 4 + 4;
	uint8_t *snaps[8], b[8];
	size_t lens[8];
	json_t *a;

	if (!f || s->nr_devs > 8)
		fz_die("seed", path);
	json_array_foreach(s->objects, i, a) {
		char *t = json_dumps(a, JSON_COMPACT);

		body += 4 + strlen(t);
		free(t);
	}
	for (i = 0; i < s->nr_devs; i++) {
		if (core_snapshot(s->devs[i]->dev, &snaps[i], &lens[i]))
			fz_die("core_snapshot", NULL);
		body += 4 + 8 + lens[i];
	}
	fputc(1, f);
	put_le32(b, (uint32_t)body);
	fwrite(b, 1, 4, f);
	put_le64(b, 1);
	fwrite(b, 1, 8, f);
	put_le32(b, (uint32_t)json_array_size(s->objects));
	fwrite(b, 1, 4, f);
	json_array_foreach(s->objects, i, a) {
		char *t = json_dumps(a, JSON_COMPACT);

		put_le32(b, (uint32_t)strlen(t));
		fwrite(b, 1, 4, f);
		fwrite(t, 1, strlen(t), f);
		free(t);
	}
	put_le32(b, (uint32_t)s->nr_devs);
	fwrite(b, 1, 4, f);
	for (i = 0; i < s->nr_devs; i++) {
		put_le32(b, s->devs[i]->index);
		fwrite(b, 1, 4, f);
		put_le64(b, lens[i]);
		fwrite(b, 1, 8, f);
		fwrite(snaps[i], 1, lens[i], f);
		free(snaps[i]);
	}
	if (fclose(f))
		fz_die("seed", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *seed = getenv("CXLDCD_FUZZ_STATE_SEED");
	char err[CMDLINE_ERR_MAX + SRV_ERR_MAX];
	struct fz_daemon d;
	int rc;

	if (size < 1 || fz_touches_files(data, size))
		return 0;
	fz_scratch_at_exit(dir, sizeof(dir), "state");
	fz_daemon_build(&d, false);
	d.s.objects = json_array();
	write_store(&d, data, size);
	rc = fz_daemon_state_open(&d, dir, err, sizeof(err));
	if (!rc) {
		fz_daemon_check(&d);
		/* the daemon stops with a message when the restored state's memory is gone */
		err[0] = 0;
		rc = fz_daemon_attach(&d, err, sizeof(err));
		if (rc && (rc > 0 || !err[0]))
			fz_die("memory refused without a negative errno and a message", err);
		fz_daemon_check(&d);
		if (!rc && seed)
			write_seed(seed, &d);
	}
	store_close(d.s.st);
	d.s.st = NULL;
	fz_daemon_free(&d);
	fz_empty_dir(dir);
	return 0;
}
