/* SPDX-License-Identifier: MIT */
/*
 * wire.h - bounded little-endian reader (struct wrd) and writer (struct wwr),
 * checked size arithmetic, and a hex dump for traces.
 *
 * This is the only way src/cci and src/host touch wire bytes (style B.4).  A
 * read past the end sets the sticky `bad` flag and returns 0; a write past
 * the capacity sets `bad` and writes nothing.  A codec therefore runs
 * straight through and checks `bad` once at the end.  Nothing here
 * allocates, logs or knows a CXL structure.
 */
#ifndef CXLDCD_WIRE_H
#define CXLDCD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ byte access */

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)(p[1] << 8));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | ((uint64_t)get_le32(p + 4) << 32);
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ------------------------------------------------------- checked arithmetic */

/* *r = a + b; return true when it overflowed (then *r is unspecified). */
static inline bool size_add_overflow(size_t a, size_t b, size_t *r)
{
	return __builtin_add_overflow(a, b, r);
}

/* *r = a * b; return true when it overflowed. */
static inline bool size_mul_overflow(size_t a, size_t b, size_t *r)
{
	return __builtin_mul_overflow(a, b, r);
}

/* *r = a + b * c; return true when any step overflowed. */
bool size_muladd_overflow(size_t a, size_t b, size_t c, size_t *r);

/* ----------------------------------------------------------------- reader */

/* A bounded cursor over borrowed bytes. */
struct wrd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

void wrd_init(struct wrd *r, const uint8_t *p, size_t len);
uint8_t wrd_u8(struct wrd *r);
uint16_t wrd_u16le(struct wrd *r);
uint32_t wrd_u24le(struct wrd *r);
uint32_t wrd_u32le(struct wrd *r);
uint64_t wrd_u64le(struct wrd *r);
/* Copy n bytes to dst (zero-filled when they are not all present). */
void wrd_bytes(struct wrd *r, void *dst, size_t n);
void wrd_skip(struct wrd *r, size_t n);
/* Pointer to the next n bytes and advance, or NULL (and bad) if absent. */
const uint8_t *wrd_ptr(struct wrd *r, size_t n);
size_t wrd_left(const struct wrd *r);
/* True when every byte was present and all were consumed. */
bool wrd_done(const struct wrd *r);

/* ----------------------------------------------------------------- writer */

/* A bounded cursor over a caller's buffer. */
struct wwr {
	uint8_t *p;
	size_t cap, off;
	bool bad;
};

void wwr_init(struct wwr *w, uint8_t *p, size_t cap);
void wwr_u8(struct wwr *w, uint8_t v);
void wwr_u16le(struct wwr *w, uint16_t v);
void wwr_u24le(struct wwr *w, uint32_t v);
void wwr_u32le(struct wwr *w, uint32_t v);
void wwr_u64le(struct wwr *w, uint64_t v);
void wwr_bytes(struct wwr *w, const void *src, size_t n);
/* n zero bytes (reserved fields). */
void wwr_zero(struct wwr *w, size_t n);
size_t wwr_left(const struct wwr *w);

/* ---------------------------------------------------------------- tracing */

/*
 * wire_hexdump() - "0000: 01 02 ..." lines of 16 bytes into out (always
 * NUL-terminated when cap > 0).  Return: characters needed (excluding the
 * NUL), like snprintf.
 */
size_t wire_hexdump(const uint8_t *p, size_t n, char *out, size_t cap);

#endif /* CXLDCD_WIRE_H */
