/* SPDX-License-Identifier: MIT */
/*
 * golden.h - helpers for golden vectors: little-endian stores at explicit
 * offsets, written independently of src/common/wire.h so a codec bug cannot
 * hide in both the code and its test.
 */
#ifndef CXLDCD_TESTS_GOLDEN_H
#define CXLDCD_TESTS_GOLDEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline void g8(uint8_t *b, size_t off, uint8_t v)
{
	b[off] = v;
}

static inline void g16(uint8_t *b, size_t off, uint16_t v)
{
	b[off] = (uint8_t)(v & 0xff);
	b[off + 1] = (uint8_t)(v >> 8);
}

static inline void g24(uint8_t *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 3; i++)
		b[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static inline void g32(uint8_t *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static inline void g64(uint8_t *b, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t r16(const uint8_t *b, size_t off)
{
	return (uint16_t)(b[off] | (b[off + 1] << 8));
}

static inline uint32_t r32(const uint8_t *b, size_t off)
{
	return (uint32_t)b[off] | ((uint32_t)b[off + 1] << 8) | ((uint32_t)b[off + 2] << 16) |
	       ((uint32_t)b[off + 3] << 24);
}

static inline uint64_t r64(const uint8_t *b, size_t off)
{
	return (uint64_t)r32(b, off) | ((uint64_t)r32(b, off + 4) << 32);
}

/* Print the first differing byte, for a readable failure. */
static inline int bytes_differ(const uint8_t *got, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i]) {
			fprintf(stderr, "byte 0x%zx: got 0x%02x want 0x%02x\n", i, got[i], want[i]);
			return 1;
		}
	return 0;
}

#define assert_bytes_equal(got, want, n) assert_int_equal(bytes_differ((got), (want), (n)), 0)

/* Table 8-63 extent at b+off. */
static inline void g_extent(uint8_t *b, size_t off, uint64_t dpa, uint64_t len, const uint8_t tag[16],
			    uint16_t seq)
{
	g64(b, off + 0x00, dpa);
	g64(b, off + 0x08, len);
	if (tag)
		memcpy(b + off + 0x10, tag, 16);
	g16(b, off + 0x20, seq);
}

#endif /* CXLDCD_TESTS_GOLDEN_H */
