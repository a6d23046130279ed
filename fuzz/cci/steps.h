/* SPDX-License-Identifier: MIT */
/*
 * steps.h - the small device and the CCI step stream that fuzz-cci-dispatch
 * and fuzz-snapshot share (format in fuzz-cci-dispatch.c).
 */
#ifndef CXLDCD_FUZZ_STEPS_H
#define CXLDCD_FUZZ_STEPS_H

#include <stddef.h>
#include <stdint.h>

struct cxldcd_dev;
struct cxldcd_dev_cfg;

/*
 * The fuzz device's configuration: 256 MiB static and regions, region 1
 * sharable, small limits (64 extents, 8 tags, 8 events a log), a 2 KiB
 * mailbox, 1 s pending timeout.
 */
void fz_dev_cfg(struct cxldcd_dev_cfg *cfg);
/* A device of that configuration. */
struct cxldcd_dev *fz_dev_new(void);
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
