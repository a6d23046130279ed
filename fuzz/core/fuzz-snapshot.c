/* SPDX-License-Identifier: MIT */
/*
 * fuzz-snapshot.c - libFuzzer target for core_restore() (src/core/
 * snapshot.c, memdev-snap.c): the bytes of a --state snapshot file's device
 * section, loaded into a new device (the fuzz device of ../cci/steps.c).
 *
 * Input: byte 0 bit 0 picks the mode, bit 1 the device (the many-tags one
 * of steps.h, else the small one; every device of the input is of it).
 *   0  restore: bytes 1-4 the snapshot length L (u32le, clamped to what is
 *      left), L snapshot bytes, then CCI steps (steps.c) run on the
 *      restored device.  An accepted snapshot must leave the invariants
 *      holding, snapshot again to bytes that restore into another new
 *      device and snapshot there to the same bytes, and survive the steps.
 *      A refused one must say why (diag.text).
 *   1  round trip: the rest is CCI steps run on a new device; its snapshot
 *      must restore into another new device and snapshot there to the same
 *      bytes.  With CXLDCD_FUZZ_SNAPSHOT_SEED=FILE set, the snapshot is
 *      also written to FILE as a restore-mode input (how the corpus's
 *      restore seeds are made, fuzz/core/gen-corpus.sh).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "../cci/steps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
	fprintf(stderr, "fuzz-snapshot: %s\n", what);
	abort();
}

static void take(const struct cxldcd_dev *dev, uint8_t **p, size_t *len)
{
	if (core_snapshot(dev, p, len))
		die("core_snapshot failed");
}

/* snap restores into a new device, whose own snapshot is byte for byte snap. */
static void round_trip(const uint8_t *snap, size_t len, bool many_tags)
{
	struct cxldcd_dev *dev = fz_dev_new(many_tags);
	struct cxldcd_diag diag = { 0 };
	uint8_t *again;
	size_t again_len;

	if (core_restore(dev, snap, len, &diag)) {
		fprintf(stderr, "fuzz-snapshot: %s\n", diag.text);
		die("a snapshot of a live device does not restore");
	}
	fz_check(dev);
	take(dev, &again, &again_len);
	if (again_len != len || memcmp(again, snap, len))
		die("the restored device snapshots to other bytes");
	free(again);
	core_dev_free(dev);
}

static void write_seed(const char *path, const uint8_t *snap, size_t len, bool many_tags)
{
	FILE *f = fopen(path, "wb");
	uint8_t hdr[5] = { many_tags ? 2 : 0, (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
			   (uint8_t)(len >> 24) };

	if (!f || fwrite(hdr, 1, 5, f) != 5 || fwrite(snap, 1, len, f) != len || fclose(f))
		die("cannot write the seed");
}

static void from_steps(const uint8_t *data, size_t size, bool many_tags)
{
	struct cxldcd_dev *dev = fz_dev_new(many_tags);
	const char *seed = getenv("CXLDCD_FUZZ_SNAPSHOT_SEED");
	uint64_t now = 1;
	uint8_t *snap;
	size_t len;

	fz_run_steps(dev, data, size, &now);
	take(dev, &snap, &len);
	round_trip(snap, len, many_tags);
	if (seed)
		write_seed(seed, snap, len, many_tags);
	free(snap);
	core_dev_free(dev);
}

static void restore(const uint8_t *data, size_t size, bool many_tags)
{
	struct cxldcd_dev *dev = fz_dev_new(many_tags);
	struct cxldcd_diag diag = { 0 };
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
		die("out of memory");
	memcpy(copy, data, len);
	if (core_restore(dev, copy, len, &diag) == 0) {
		fz_check(dev);
		take(dev, &snap, &snap_len);
		round_trip(snap, snap_len, many_tags);
		free(snap);
		fz_run_steps(dev, data + len, size - len, &now);
	} else if (!diag.text[0]) {
		die("a refused snapshot without a reason");
	}
	free(copy);
	core_dev_free(dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		from_steps(data + 1, size - 1, data[0] & 2);
	else
		restore(data + 1, size - 1, data[0] & 2);
	return 0;
}
