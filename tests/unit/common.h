/* SPDX-License-Identifier: MIT */
/* common.h - per-file test boilerplate for the core unit tests. */
#ifndef CXLDCD_TEST_COMMON_H
#define CXLDCD_TEST_COMMON_H

#include <string.h>

#include "helpers.h"

/* A failing call returns want, reports it in diag, and changes nothing. */
#define EXPECT_FAIL(e, call, want)                                   \
	do {                                                         \
		uint64_t fp_ = fingerprint((e)->dev);                \
		assert_int_equal((call), (want));                    \
		assert_int_equal((e)->diag.rc, (want));              \
		assert_true(fingerprint((e)->dev) == fp_);           \
		assert_invariants((e)->dev);                         \
	} while (0)

static inline int setup(void **state)
{
	*state = tenv_new(NULL);
	return 0;
}

static inline int teardown(void **state)
{
	tenv_free(*state);
	return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

#endif
