/* SPDX-License-Identifier: MIT */
/*
 * codec-util.h - what the codec tests (test-cci-codec, -codec-events,
 * -codec-dcd, -codec-fm) share: every strict prefix of a payload refused
 * (check_prefixes()), ENC() to encode into a buffer, extent comparison and
 * the tag they use.  No device model.
 */
#ifndef CXLDCD_TESTS_CCI_CODEC_UTIL_H
#define CXLDCD_TESTS_CCI_CODEC_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cci/dcd.h"
#include "cci/events.h"
#include "cci/fm-dcd.h"
#include "cci/generic.h"
#include "cci/msg.h"
#include "golden.h"

__attribute__((unused)) static const uint8_t TAG_A[16] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf
};

static inline void assert_extent_eq(const struct cxldcd_extent *a, const struct cxldcd_extent *b)
{
	assert_int_equal(a->dpa, b->dpa);
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->tag, b->tag, 16);
	assert_int_equal(a->shared_seq, b->shared_seq);
}

typedef int dec_fn(const uint8_t *p, size_t len, void *out);

/* Every strict prefix of a valid payload must be rejected (and not crash). */
static inline void check_prefixes(const uint8_t *buf, size_t len, dec_fn *dec, void *out,
				  size_t ok_prefix)
{
	for (size_t k = 0; k < len; k++) {
		uint8_t *copy = malloc(k ? k : 1);   /* exact-size copy: ASan sees overreads */

		memcpy(copy, buf, k);
		if (k != ok_prefix)
			assert_int_not_equal(dec(copy, k, out), 0);
		free(copy);
	}
}

#define ENC(buf, call)                                                                      \
	({                                                                                  \
		struct wwr w_;                                                              \
		wwr_init(&w_, (buf), sizeof(buf));                                          \
		struct wwr *w = &w_;                                                        \
		assert_int_equal((call), 0);                                                \
		w_.off;                                                                     \
	})

#endif /* CXLDCD_TESTS_CCI_CODEC_UTIL_H */
