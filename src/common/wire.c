/* SPDX-License-Identifier: MIT */
/*
 * wire.c - bounded little-endian reader/writer (see wire.h).  Sticky error:
 * after the first short read or write every later one is a no-op.
 */
#include "common/wire.h"

#include <stdio.h>
#include <string.h>

bool size_muladd_overflow(size_t a, size_t b, size_t c, size_t *r)
{
	size_t m;

	if (size_mul_overflow(b, c, &m))
		return true;
	return size_add_overflow(a, m, r);
}

/* ----------------------------------------------------------------- reader */

void wrd_init(struct wrd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p ? len : 0;
	r->off = 0;
	r->bad = false;
}

const uint8_t *wrd_ptr(struct wrd *r, size_t n)
{
	const uint8_t *q;

	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	q = r->p + r->off;
	r->off += n;
	return q;
}

uint8_t wrd_u8(struct wrd *r)
{
	const uint8_t *q = wrd_ptr(r, 1);

	return q ? q[0] : 0;
}

uint16_t wrd_u16le(struct wrd *r)
{
	const uint8_t *q = wrd_ptr(r, 2);

	return q ? get_le16(q) : 0;
}

uint32_t wrd_u24le(struct wrd *r)
{
	const uint8_t *q = wrd_ptr(r, 3);

	return q ? (uint32_t)q[0] | ((uint32_t)q[1] << 8) | ((uint32_t)q[2] << 16) : 0;
}

uint32_t wrd_u32le(struct wrd *r)
{
	const uint8_t *q = wrd_ptr(r, 4);

	return q ? get_le32(q) : 0;
}

uint64_t wrd_u64le(struct wrd *r)
{
	const uint8_t *q = wrd_ptr(r, 8);

	return q ? get_le64(q) : 0;
}

void wrd_bytes(struct wrd *r, void *dst, size_t n)
{
	const uint8_t *q = wrd_ptr(r, n);

	if (q)
		memcpy(dst, q, n);
	else if (n)
		memset(dst, 0, n);
}

void wrd_skip(struct wrd *r, size_t n)
{
	(void)wrd_ptr(r, n);
}

size_t wrd_left(const struct wrd *r)
{
	return r->bad ? 0 : r->len - r->off;
}

bool wrd_done(const struct wrd *r)
{
	return !r->bad && r->off == r->len;
}

/* ----------------------------------------------------------------- writer */

void wwr_init(struct wwr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p ? cap : 0;
	w->off = 0;
	w->bad = false;
}

static uint8_t *wwr_ptr(struct wwr *w, size_t n)
{
	uint8_t *q;

	if (w->bad || n > w->cap - w->off) {
		w->bad = true;
		return NULL;
	}
	q = w->p + w->off;
	w->off += n;
	return q;
}

void wwr_u8(struct wwr *w, uint8_t v)
{
	uint8_t *q = wwr_ptr(w, 1);

	if (q)
		q[0] = v;
}

void wwr_u16le(struct wwr *w, uint16_t v)
{
	uint8_t *q = wwr_ptr(w, 2);

	if (q)
		put_le16(q, v);
}

void wwr_u24le(struct wwr *w, uint32_t v)
{
	uint8_t *q = wwr_ptr(w, 3);

	if (q) {
		q[0] = (uint8_t)v;
		q[1] = (uint8_t)(v >> 8);
		q[2] = (uint8_t)(v >> 16);
	}
}

void wwr_u32le(struct wwr *w, uint32_t v)
{
	uint8_t *q = wwr_ptr(w, 4);

	if (q)
		put_le32(q, v);
}

void wwr_u64le(struct wwr *w, uint64_t v)
{
	uint8_t *q = wwr_ptr(w, 8);

	if (q)
		put_le64(q, v);
}

void wwr_bytes(struct wwr *w, const void *src, size_t n)
{
	uint8_t *q = wwr_ptr(w, n);

	if (q && n)
		memcpy(q, src, n);
}

void wwr_zero(struct wwr *w, size_t n)
{
	uint8_t *q = wwr_ptr(w, n);

	if (q && n)
		memset(q, 0, n);
}

size_t wwr_left(const struct wwr *w)
{
	return w->bad ? 0 : w->cap - w->off;
}

/* ---------------------------------------------------------------- tracing */

size_t wire_hexdump(const uint8_t *p, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t need = 0;

	for (size_t i = 0; i < n; i++) {
		char cell[16];
		size_t k = 0;

		if (i % 16 == 0) {
			if (i)
				cell[k++] = '\n';
			k += (size_t)snprintf(cell + k, sizeof(cell) - k, "%04zx:", i & 0xffff);
		}
		cell[k++] = ' ';
		cell[k++] = hex[p[i] >> 4];
		cell[k++] = hex[p[i] & 0xf];
		for (size_t j = 0; j < k; j++, need++)
			if (need + 1 < cap)
				out[need] = cell[j];
	}
	if (cap)
		out[need < cap ? need : cap - 1] = '\0';
	return need;
}
