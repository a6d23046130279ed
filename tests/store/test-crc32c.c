/* SPDX-License-Identifier: MIT */
/*
 * test-crc32c.c - the CRC32C of journal records and snapshot files: known
 * values, and the fast paths (SSE4.2 where the CPU has it, slicing by 8)
 * equal to the bitwise definition at every length and alignment; the CRC
 * of two pieces combined equal to that of the whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store-int.h"
#include "store/store.h"

/* The definition: one bit at a time, reflected polynomial 0x82f63b78. */
static uint32_t crc_bitwise(uint32_t c, const uint8_t *p, size_t n)
{
	c = ~c;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return ~c;
}

static void test_known_values(void **state)
{
	static const uint8_t zeros[32], ones[32] = { [0 ... 31] = 0xff };
	uint8_t inc[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		inc[i] = (uint8_t)i;
	/* RFC 3720 B.4 (iSCSI) and the usual check value */
	assert_int_equal(store_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(store_crc32c(0, zeros, 32), 0x8a9136aau);
	assert_int_equal(store_crc32c(0, ones, 32), 0x62a8ab43u);
	assert_int_equal(store_crc32c(0, inc, 32), 0x46dd794eu);
	assert_int_equal(store_crc32c(0, "", 0), 0);
	assert_int_equal(store_crc32(0, "123456789", 9), 0xe3069283u);
}

static void test_fast_paths_equal_the_definition(void **state)
{
	enum { LEN = 4096 };
	uint8_t *buf = malloc(LEN + 16);
	uint32_t seed = 12345;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < LEN + 16; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (size_t align = 0; align < 8; align++) {
		for (size_t n = 0; n < 80; n++) {
			uint32_t want = crc_bitwise(0, buf + align, n);

			assert_int_equal(store_crc32c(0, buf + align, n), want);
			assert_int_equal(~store_crc32c_soft(~0u, buf + align, n), want);
		}
		assert_int_equal(store_crc32c(0, buf + align, LEN), crc_bitwise(0, buf + align, LEN));
		assert_int_equal(~store_crc32c_soft(~0u, buf + align, LEN),
				 crc_bitwise(0, buf + align, LEN));
	}
	/* continuing: the CRC of a whole equals that of its parts in turn */
	assert_int_equal(store_crc32c(store_crc32c(0, buf, 1000), buf + 1000, LEN - 1000),
			 store_crc32c(0, buf, LEN));
	free(buf);
}

/*
 * store_crc32_combine(): for every split of a buffer (lengths 0 to 300,
 * and a long second piece, over 1 MiB), the two pieces' CRCs combined are
 * the CRC of the whole; a piece of zero bytes leaves the other's.
 */
static void test_combine_equals_the_whole(void **state)
{
	enum { LEN = 300, BIG = (1 << 20) + 4099 };
	uint8_t *buf = malloc(BIG);
	uint32_t seed = 777, whole;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < BIG; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (size_t n = 0; n <= LEN; n++) {
		whole = store_crc32(0, buf, n);
		for (size_t a = 0; a <= n; a++)
			assert_int_equal(store_crc32_combine(store_crc32(0, buf, a),
							     store_crc32(0, buf + a, n - a), n - a),
					 whole);
	}
	whole = crc_bitwise(0, buf, BIG);
	for (size_t a = 0; a < 20; a++)
		assert_int_equal(store_crc32_combine(store_crc32(0, buf, a),
						     store_crc32(0, buf + a, BIG - a), BIG - a),
				 whole);
	assert_int_equal(store_crc32_combine(0x12345678u, 0, 0), 0x12345678u);
	assert_int_equal(store_crc32_combine(0, 0xcafef00du, 77), 0xcafef00du);
	free(buf);
}

/*
 * Long inputs: the SSE4.2 path runs blocks of three streams (2,048 bytes
 * each) joined by a table; every length around a block's edges, at every
 * alignment, and a start inside a block, against the bitwise definition.
 */
static void test_long_inputs_equal_the_definition(void **state)
{
	enum { BLOCK = 3 * 2048, LEN = 4 * BLOCK + 64 };
	static const size_t lens[] = { BLOCK - 8, BLOCK - 1, BLOCK, BLOCK + 1, BLOCK + 7, BLOCK + 8,
				       2 * BLOCK - 1, 2 * BLOCK, 2 * BLOCK + 3, 3 * BLOCK + 4095,
				       4 * BLOCK };
	uint8_t *buf = malloc(LEN + 8);
	uint32_t seed = 777;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < LEN + 8; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (size_t align = 0; align < 8; align++)
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
			assert_int_equal(store_crc32c(0, buf + align, lens[k]),
					 crc_bitwise(0, buf + align, lens[k]));
	/* all zero bytes, all ones: a register advanced over its lanes alone */
	memset(buf, 0, LEN);
	assert_int_equal(store_crc32c(0, buf, 2 * BLOCK), crc_bitwise(0, buf, 2 * BLOCK));
	memset(buf, 0xff, LEN);
	assert_int_equal(store_crc32c(0, buf, 2 * BLOCK + 5), crc_bitwise(0, buf, 2 * BLOCK + 5));
	/* continued from a value, and in parts that cut blocks anywhere */
	assert_int_equal(store_crc32c(store_crc32c(0, buf, 1001), buf + 1001, LEN - 1001),
			 crc_bitwise(0, buf, LEN));
	assert_int_equal(store_crc32c(0x12345678u, buf + 3, 3 * BLOCK),
			 crc_bitwise(0x12345678u, buf + 3, 3 * BLOCK));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_fast_paths_equal_the_definition),
		cmocka_unit_test(test_combine_equals_the_whole),
		cmocka_unit_test(test_long_inputs_equal_the_definition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
