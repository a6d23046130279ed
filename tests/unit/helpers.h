/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - shared fixtures for the core unit tests: a counting allocator
 * that can fail the Nth allocation, a state fingerprint (everything a failed
 * operation must leave unchanged), and short-hands for common operations.
 */
#ifndef CXLDCD_TEST_HELPERS_H
#define CXLDCD_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

struct talloc {
	struct cxldcd_allocator ops;
	int64_t live_bytes;
	uint64_t nr_allocs;
	uint64_t fail_at;      /* 0: never; else fail the allocation with this ordinal */
};

void talloc_init(struct talloc *t);

struct tenv {
	struct talloc ta;
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev;
	struct cxldcd_diag diag;
};

/* Default config (2 regions of 4 GiB at 0 and 4 GiB, 2 MiB blocks, 2 hosts), then dev_new. */
struct tenv *tenv_new(void (*tweak)(struct cxldcd_dev_cfg *));
void tenv_free(struct tenv *e);

uint64_t fingerprint(const struct cxldcd_dev *dev);
void assert_invariants(const struct cxldcd_dev *dev);

void tag_set(uint8_t tag[16], uint8_t v);
enum cxldcd_rc add1(struct tenv *e, uint16_t host, uint64_t dpa, uint64_t len, uint8_t tagv);
enum cxldcd_rc add_ext(struct tenv *e, uint16_t host, const struct cxldcd_extent *x, uint32_t n);
enum cxldcd_rc accept_all(struct tenv *e, uint16_t host);
enum cxldcd_rc reject(struct tenv *e, uint16_t host);
enum cxldcd_rc rel_dc(struct tenv *e, uint16_t host, uint64_t dpa, uint64_t len);
/* Clear every record of a log. */
void drain(struct tenv *e, uint16_t owner);
uint32_t dc_count(struct tenv *e, uint16_t owner);
/* The i-th oldest DC record of owner. */
struct cxldcd_event dc_rec(struct tenv *e, uint16_t owner, uint32_t i);

#endif
