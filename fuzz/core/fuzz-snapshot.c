/* SPDX-License-Identifier: MIT */
/*
 * fuzz-snapshot.c - libFuzzer target for core_restore() (src/core/
 * snapshot.c, memdev-snap.c): the bytes of a --state snapshot file's device
 * section, loaded into a new device (the fuzz device of ../cci/steps.c).
 *
 * Input: byte 0 bit 0 picks the mode, bit 1 and bit 2 the device (bit 1
 * the many-tags one of steps.h, else the small one; bit 2 with the static
 * capacity and the LSA host 1's alone; every device of the input is of
 * it), bit 3 gives the device under test (restored, or run through the
 * steps) an allocation hook (cxldcd_dev_cfg.alloc: its bulk memory and slab
 * chunks are then plain allocations), bits 7:4 = v make that hook fail
 * once, at allocation number alloc_fail_at(v) after the device is made
 * (v 0: never).
 *   0  restore: bytes 1-4 the snapshot length L (u32le, clamped to what is
 *      left), L snapshot bytes, then CCI steps (steps.c) run on the
 *      restored device.  An accepted snapshot must leave the invariants
 *      holding, snapshot again to bytes that restore into another new
 *      device and snapshot there to the same bytes, and survive the steps.
 *      A refused one must say why (diag.text), unless the hook failed an
 *      allocation (-ENOMEM).
 *   1  round trip: the rest is CCI steps run on a new device; its snapshot
 *      must restore into another new device and snapshot there to the same
 *      bytes.  With CXLDCD_FUZZ_SNAPSHOT_SEED=FILE set, the snapshot is
 *      also written to FILE as a restore-mode input (how the corpus's
 *      restore seeds are made, fuzz/core/gen-corpus.sh).
 *
 * Every bit of byte 0 is taken, so the static-only device (FZ_DEV_STATIC_ONLY:
 * no DC regions, QEMU's cxl-type3 without num-dc-regions) is a second
 * target, fuzz-snapshot-static (fuzz-snapshot-static.c): this file built
 * with FZ_SNAPSHOT_KIND = FZ_DEV_STATIC_ONLY, which every device of its
 * inputs then has, the same input format and its own corpus.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "../cci/steps.h"
#include "../fuzz-input.h"

/* Device bits every input of this build has (fuzz-snapshot-static.c sets it). */
#ifndef FZ_SNAPSHOT_KIND
#define FZ_SNAPSHOT_KIND 0u
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ------------------------------------------------------------ the allocation hook */

static struct {
	unsigned long count;   /* allocations asked for since the device was made */
	unsigned long fail_at; /* the one that fails; 0: none */
	bool failed;
} fa;

/* v 1-8: the first 8 allocations one by one; 9-15: further, sparser. */
static unsigned long alloc_fail_at(unsigned v)
{
	return v <= 8 ? v : 8 + 8ul * (v - 8) * (v - 8);
}

static bool fa_fails(void)
{
	if (++fa.count != fa.fail_at)
		return false;
	fa.failed = true;
	return true;
}

static void *fa_alloc(void *opaque, size_t size)
{
	(void)opaque;
	return fa_fails() ? NULL : malloc(size ? size : 1);
}

static void *fa_realloc(void *opaque, void *p, size_t size)
{
	(void)opaque;
	return fa_fails() ? NULL : realloc(p, size ? size : 1);
}

static void fa_free(void *opaque, void *p)
{
	(void)opaque;
	free(p);
}

static const struct cxldcd_allocator fa_ops = {
	.alloc = fa_alloc, .realloc = fa_realloc, .free = fa_free,
};

/* The device under test: kind (steps.h), with the hook when mode bit 3 is set. */
static struct cxldcd_dev *dut_new(unsigned kind, uint8_t mode)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev = NULL;

	if (!(mode & 8))
		return fz_dev_new(kind);
	fz_dev_cfg(&cfg, kind);
	cfg.alloc = &fa_ops;
	fa.fail_at = 0;
	if (core_dev_new(&cfg, &dev, NULL))
		fz_die("core_dev_new with the hook", NULL);
	fa.count = 0;
	fa.failed = false;
	fa.fail_at = alloc_fail_at(mode >> 4);
	return dev;
}

static void take(const struct cxldcd_dev *dev, uint8_t **p, size_t *len)
{
	if (core_snapshot(dev, p, len))
		fz_die("core_snapshot failed", NULL);
}

/* snap restores into a new device, whose own snapshot is byte for byte snap. */
static void round_trip(const uint8_t *snap, size_t len, unsigned kind)
{
	struct cxldcd_dev *dev = fz_dev_new(kind);
	struct cxldcd_diag diag = { 0 };
	uint8_t *again;
	size_t again_len;

	if (core_restore(dev, snap, len, &diag)) {
		fprintf(stderr, "fuzz-snapshot: %s\n", diag.text);
		fz_die("a snapshot of a live device does not restore", NULL);
	}
	fz_check(dev);
	take(dev, &again, &again_len);
	if (again_len != len || memcmp(again, snap, len))
		fz_die("the restored device snapshots to other bytes", NULL);
	free(again);
	core_dev_free(dev);
}

static void write_seed(const char *path, const uint8_t *snap, size_t len, unsigned kind)
{
	FILE *f = fopen(path, "wb");
	uint8_t hdr[5] = { (uint8_t)((kind & FZ_DEV_MANY_TAGS ? 2 : 0) | (kind & FZ_DEV_STATIC_HOST ? 4 : 0)), (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
			   (uint8_t)(len >> 24) };

	if (!f || fwrite(hdr, 1, 5, f) != 5 || fwrite(snap, 1, len, f) != len || fclose(f))
		fz_die("cannot write the seed", NULL);
}

static void from_steps(const uint8_t *data, size_t size, unsigned kind, uint8_t mode)
{
	struct cxldcd_dev *dev = dut_new(kind, mode);
	const char *seed = getenv("CXLDCD_FUZZ_SNAPSHOT_SEED");
	uint64_t now = 1;
	uint8_t *snap;
	size_t len;

	fz_run_steps(dev, data, size, &now);
	fa.fail_at = 0;         /* the snapshot of what the steps left */
	take(dev, &snap, &len);
	round_trip(snap, len, kind);
	if (seed)
		write_seed(seed, snap, len, kind);
	free(snap);
	core_dev_free(dev);
}

static void restore(const uint8_t *data, size_t size, unsigned kind, uint8_t mode)
{
	struct cxldcd_dev *dev = dut_new(kind, mode);
	struct cxldcd_diag diag = { 0 };
	int rc;
	/* a restart happens later than any seed's snapshot was taken */
	uint64_t now = 1ull << 60;
	size_t len = 0, snap_len;
	uint8_t *copy, *snap;

	for (size_t i = 0; i < 4 && i < size; i++)
		len |= (size_t)data[i] << (8 * i);
	data += size < 4 ? size : 4;
	size -= size < 4 ? size : 4;
	if (len > size)
		len = size;
	/* an exact-size heap copy: ASan sees any read past the snapshot */
	copy = malloc(len ? len : 1);
	if (!copy)
		fz_die("out of memory", NULL);
	memcpy(copy, data, len);
	rc = core_restore(dev, copy, len, &diag);
	if (rc == 0) {
		bool failed = fa.failed;

		fz_check(dev);
		fa.fail_at = 0;
		take(dev, &snap, &snap_len);
		round_trip(snap, snap_len, kind);
		free(snap);
		fa.fail_at = failed ? 0 : alloc_fail_at(mode >> 4);
		fz_run_steps(dev, data + len, size - len, &now);
	} else if (rc == -ENOMEM ? !fa.failed : !diag.text[0]) {
		fz_die(rc == -ENOMEM ? "out of memory with every allocation given"
			: "a refused snapshot without a reason", NULL);
	}
	free(copy);
	core_dev_free(dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned kind;

	if (size < 1)
		return 0;
	kind = (data[0] & 2 ? FZ_DEV_MANY_TAGS : 0) | (data[0] & 4 ? FZ_DEV_STATIC_HOST : 0) |
	       FZ_SNAPSHOT_KIND;
	if (data[0] & 1)
		from_steps(data + 1, size - 1, kind, data[0]);
	else
		restore(data + 1, size - 1, kind, data[0]);
	return 0;
}
