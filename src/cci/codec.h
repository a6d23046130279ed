/* SPDX-License-Identifier: MIT */
/*
 * codec.h - conventions shared by every payload codec of src/cci.
 *
 * Decoders: cci_dec_<cmd>_{in,out}(const uint8_t *p, size_t len, ...) read
 * through a bounded cursor and return 0, -EMSGSIZE when the length does not
 * match the spec's size rule (the device answers Invalid Payload Length), or
 * -EINVAL when a field holds a value the spec does not allow (Invalid
 * Input).  They check the fixed part first, then counts against the bytes
 * present with checked arithmetic, then reserved/flag bits.  Reserved bits
 * of inputs are ignored (never rejected), as the receiver of a reserved field
 * must.  A list decoder never allocates: it either returns a borrowed view
 * of the validated bytes, or copies at most `cap` records into the caller's
 * array (-ENOBUFS when the wire holds more).
 *
 * Encoders: cci_enc_<cmd>_{in,out}(struct wwr *w, ...) append to a bounded
 * writer and return 0, or -ENOBUFS when the writer ran out of room.  Reserved
 * bytes are written as zero.
 */
#ifndef CXLDCD_CCI_CODEC_H
#define CXLDCD_CCI_CODEC_H

#include <errno.h>

#include "common/wire.h"
#include "cxldcd/spec.h"

/* Map a decoder result to the return code the device sends. */
static inline enum cxldcd_rc cci_dec_rc(int err)
{
	if (err == 0)
		return CXLDCD_RC_SUCCESS;
	if (err == -EMSGSIZE)
		return CXLDCD_RC_INVALID_PAYLOAD_LENGTH;
	return CXLDCD_RC_INVALID_INPUT;
}

static inline int wwr_result(const struct wwr *w)
{
	return w->bad ? -ENOBUFS : 0;
}

/* Result of a fixed-size decode: every byte present and consumed. */
static inline int wrd_result(const struct wrd *r)
{
	return wrd_done(r) ? 0 : -EMSGSIZE;
}

#define CCI_256MB_SHIFT 28

#endif /* CXLDCD_CCI_CODEC_H */
