/* SPDX-License-Identifier: MIT */
/*
 * crc32c.c - CRC32C (Castagnoli, reflected polynomial 0x82f63b78), the
 * checksum of journal records and snapshot files.
 *
 * A restart checks the whole snapshot file (tens of MB at a million
 * extents), so the CRC runs at memory speed where it can: the SSE4.2 crc32
 * instruction (8 bytes per step) when the CPU has it, else slicing by 8
 * with eight 256-entry tables.  Both give the same value as the bitwise
 * definition (tests/store/test-crc32c.c).
 *
 * One crc32 step waits for the one before (3 cycles), so a long input runs
 * as three streams side by side: blocks of 3 x CRC_LANE bytes, each lane's
 * register updated in turn, then joined.  The register update is linear
 * over GF(2) in the register and the bytes, and a zero register stays zero
 * over zero bytes, so update(c, A B) = update(c, A) advanced over |B| zero
 * bytes, XOR update(0, B).  "Advanced over CRC_LANE zero bytes" is a fixed
 * linear map of the 32 register bits, kept as four byte tables (crc_adv).
 *
 * store_crc32_combine() joins the CRCs of two pieces without their bytes:
 * a snapshot file states a device's length before the device's bytes,
 * and the daemon learns that length only once the bytes are written.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "store/store-int.h"

static uint32_t crc_tab[8][256];
static bool crc_hw;

/* Bytes per stream in a block of three (crc_sse42()). */
#define CRC_LANE 2048u
_Static_assert((CRC_LANE & (CRC_LANE - 1)) == 0 && CRC_LANE % 8 == 0, "whole 8-byte words per lane");

/* The register advanced over CRC_LANE zero bytes: the XOR of one entry per register byte. */
static uint32_t crc_adv[4][256];

/*
 * CRC arithmetic is over GF(2) polynomials modulo the CRC's polynomial P,
 * a 32-bit value holding x^0 in its top bit (reflected) down to x^31 in
 * bit 0.  mul_mod() is a * b mod P: for each term x^k of a, b * x^k is
 * added, b being multiplied by x (shifted towards bit 0, P added when x^32
 * falls out) after each term.
 */
static uint32_t mul_mod(uint32_t a, uint32_t b)
{
	uint32_t r = 0;

	for (uint32_t bit = 0x80000000u; bit; bit >>= 1) {
		if (a & bit)
			r ^= b;
		b = b & 1 ? (b >> 1) ^ 0x82f63b78u : b >> 1;
	}
	return r;
}

/*
 * x^(8n) mod P, by squaring (x^8, x^16, x^32, ... for the bits of n): a
 * register advanced over n zero bytes is the register times it
 * (crc_adv_init(), store_crc32_combine()).
 */
static uint32_t x8n(uint64_t n)
{
	uint32_t xn = 0x80000000u, sq = 0x80000000u >> 8;   /* x^0, x^8 */

	for (; n; n >>= 1) {
		if (n & 1)
			xn = mul_mod(xn, sq);
		sq = mul_mod(sq, sq);
	}
	return xn;
}

/*
 * crc_adv: each register byte, in its place, times x^(8 CRC_LANE).  The
 * map is linear: a byte's entry is the XOR of its bits' (its lowest bit's,
 * the rest's), so 32 products make the 1,024 entries.
 */
static void crc_adv_init(void)
{
	uint32_t f = x8n(CRC_LANE), bit[32];

	for (int i = 0; i < 32; i++)
		bit[i] = mul_mod(1u << i, f);
	for (int k = 0; k < 4; k++)
		for (uint32_t b = 1; b < 256; b++)
			crc_adv[k][b] = (b & (b - 1) ? crc_adv[k][b & (b - 1)] : 0) ^ bit[8 * k + __builtin_ctz(b)];
}

/* The register c advanced over CRC_LANE zero bytes. */
static inline uint32_t crc_advance(uint32_t c)
{
	return crc_adv[0][c & 0xff] ^ crc_adv[1][(c >> 8) & 0xff] ^ crc_adv[2][(c >> 16) & 0xff] ^
	       crc_adv[3][c >> 24];
}

/* Before main(): the tables are read-only from then on, whoever calls. */
__attribute__((constructor)) static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
	crc_adv_init();
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

uint32_t store_crc32c_soft(uint32_t c, const uint8_t *p, size_t n)
{
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		v = __builtin_bswap64(v);
#endif
		v ^= c;
		c = crc_tab[7][v & 0xff] ^ crc_tab[6][(v >> 8) & 0xff] ^
		    crc_tab[5][(v >> 16) & 0xff] ^ crc_tab[4][(v >> 24) & 0xff] ^
		    crc_tab[3][(v >> 32) & 0xff] ^ crc_tab[2][(v >> 40) & 0xff] ^
		    crc_tab[1][(v >> 48) & 0xff] ^ crc_tab[0][v >> 56];
	}
	while (n--)
		c = crc_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t c, const uint8_t *p, size_t n)
{
	uint64_t c64 = c;

	for (; n >= 3 * CRC_LANE; p += 3 * CRC_LANE, n -= 3 * CRC_LANE) {
		uint64_t b64 = 0, d64 = 0;

		for (size_t i = 0; i < CRC_LANE; i += 8) {
			uint64_t va, vb, vd;

			memcpy(&va, p + i, 8);
			memcpy(&vb, p + CRC_LANE + i, 8);
			memcpy(&vd, p + 2 * CRC_LANE + i, 8);
			c64 = __builtin_ia32_crc32di(c64, va);
			b64 = __builtin_ia32_crc32di(b64, vb);
			d64 = __builtin_ia32_crc32di(d64, vd);
		}
		c64 = crc_advance(crc_advance((uint32_t)c64) ^ (uint32_t)b64) ^ (uint32_t)d64;
	}
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c64 = __builtin_ia32_crc32di(c64, v);
	}
	c = (uint32_t)c64;
	while (n--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}
#endif

uint32_t store_crc32c_update(uint32_t c, const void *p, size_t n)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (crc_hw)
		return crc_sse42(c, p, n);
#endif
	return store_crc32c_soft(c, p, n);
}

uint32_t store_crc32c(uint32_t c, const void *p, size_t n)
{
	return ~store_crc32c_update(~c, p, n);
}

/*
 * Appending n bytes to a piece multiplies its CRC by x^(8n) and adds the
 * CRC the bytes would have from a register of zeros; with the CRC's
 * inversions at the start and the end, that is crc(A) * x^(8 len(B)) +
 * crc(B).
 */
uint32_t store_crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
	return mul_mod(crc_a, x8n(len_b)) ^ crc_b;
}
