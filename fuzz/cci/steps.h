/* SPDX-License-Identifier: MIT */
/*
 * steps.h - the fuzz devices and the CCI step stream that fuzz-cci-dispatch
 * and fuzz-snapshot share (format in steps.c), and the extent lists that
 * list steps expand (there and in fuzz-hostlink-server).
 */
#ifndef CXLDCD_FUZZ_STEPS_H
#define CXLDCD_FUZZ_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cxldcd_dev;
struct cxldcd_dev_cfg;

/*
 * The fuzz device's configuration: 256 MiB static and regions, region 1
 * sharable, small limits (64 extents, 8 tags, 8 events a log), a 2 KiB
 * mailbox, 1 s pending timeout, no Label Storage Area.  kind is a set of
 * FZ_DEV_* bits (0: that device).  FZ_DEV_MANY_TAGS: 64 KiB blocks (4096 a
 * region), 4096 extents, 2048 tags, 4096 events a log, so that a host's
 * tag index (src/core/tag-host.c) splits and merges several levels deep.
 * FZ_DEV_STATIC_HOST: the static capacity is host 1's alone (static-host=1)
 * and with it a 1 KiB LSA, which host 0 then does not have
 * (core_lsa_size_of()).  FZ_DEV_STATIC_ONLY: no DC regions (nr_regions 0),
 * only the static capacity and a 1 KiB LSA, so that the DC commands (48xxh,
 * 56xxh) answer Unsupported; list steps on it still send their requests.
 */
#define FZ_DEV_MANY_TAGS 1u
#define FZ_DEV_STATIC_HOST 2u
#define FZ_DEV_STATIC_ONLY 4u
void fz_dev_cfg(struct cxldcd_dev_cfg *cfg, unsigned kind);
/* A device of that configuration. */
struct cxldcd_dev *fz_dev_new(unsigned kind);
/* Tag v of the fuzz tag space: v (u16le) in bytes 0-1, then a fixed pattern (never all zero). */
void fz_tag(uint8_t tag[16], uint16_t v);
/*
 * An extent-list description, FZ_LIST_DESC_SIZE bytes (missing ones are 0):
 *   0     Host ID (56xxh layout) / bit 0 More (48xxh)
 *   1     56xxh byte 2: selection policy or release flags
 *   2     region r (56xxh byte 3; the extents lie in region r % nr_regions,
 *         or with no regions in 2 MiB blocks from DPA 0, the static capacity)
 *   3     number of extents N (clamped to what fits in cap)
 *   4-5   first block b (u16le) within the region
 *   6     blocks per extent l (0 = 1)
 *   7     blocks of gap between extents g
 *   8     extents per tag k (0 = 1)
 *   9-10  first tag t (u16le)
 * Extent i covers blocks b + i(l + g) .. + l of the region, with tag
 * fz_tag(t + i / k) and shared sequence i % k.
 */
#define FZ_LIST_DESC_SIZE 11
/*
 * fz_list_payload() - the payload of op for the extents of desc, written to
 * out (cap bytes): for 48xxh (4802h/4803h) the Updated Extent list, else the
 * 5604h/5605h layout (Length = the extents' total, Tag = fz_tag(t), then the
 * extents; with N = 0 the fixed part alone, Length = l blocks: a Free,
 * Contiguous, Enable Shared Access or Tag-based request for tag t).
 * Return: its length.
 */
size_t fz_list_payload(const struct cxldcd_dev_cfg *cfg, uint16_t op, const uint8_t *desc,
		       size_t desc_len, uint8_t *out, size_t cap);
/*
 * A CCI request at req (room for 12 + n bytes): the 12-byte message header
 * (category request, tag, opcode op, payload length n) and the n bytes of pl.
 */
void fz_cci_frame(uint8_t *req, uint8_t tag, uint16_t op, const uint8_t *pl, size_t n);
/* abort() unless core_check_invariants() holds. */
void fz_check(const struct cxldcd_dev *dev);
/*
 * Run the step stream through the four CCIs of dev (two host mailboxes, the
 * FM and the MCTP CCI), clock starting at *now (advanced by tick steps);
 * invariants are checked after every step.
 */
void fz_run_steps(struct cxldcd_dev *dev, const uint8_t *data, size_t size, uint64_t *now);

#endif
