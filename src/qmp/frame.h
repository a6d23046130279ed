/* SPDX-License-Identifier: MIT */
/*
 * frame.h - splits a QMP byte stream into JSON texts.
 *
 * QMP has no length prefix: requests are JSON values written back to back,
 * optionally separated by whitespace.  The framer tracks bracket depth
 * outside strings and hands out each complete top-level value; top-level
 * scalars and stray bytes come out as short tokens so the session can answer
 * them.  It never buffers more than the configured maximum: a longer message
 * is reported once and skipped to its end.  A lexically impossible byte
 * (an ASCII control character other than tab, CR, LF, or 0xC0, 0xC1,
 * 0xF5..0xFF) resets it to a clean state: the QMP way for a client to
 * resynchronise (qmp-spec "Forcing the JSON parser into known-good state").
 * It does not parse JSON: jansson does that on the delivered text.
 */
#ifndef CXLDCD_QMP_FRAME_H
#define CXLDCD_QMP_FRAME_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Delivery callback: either one complete text (@msg, @len; not
 * NUL-terminated, borrowed) or, with @msg NULL, a framing error whose
 * description is @error (borrowed).
 */
typedef void qmp_frame_fn(void *opaque, const char *msg, size_t len, const char *error);

struct qmp_framer {
	char *buf;
	size_t len, cap, max;
	size_t depth;
	bool in_str, esc;
	bool scalar;       /* collecting a top-level non-container token */
	bool discarding;   /* skipping the rest of an oversized/too deep message */
	bool after_reset;  /* previous byte was a reset byte (coalesce errors) */
	qmp_frame_fn *fn;
	void *opaque;
};

void qmp_framer_init(struct qmp_framer *f, size_t max, qmp_frame_fn *fn, void *opaque);
void qmp_framer_fini(struct qmp_framer *f);
/* Return: 0 or -ENOMEM (the partial message is then dropped). */
int qmp_framer_feed(struct qmp_framer *f, const char *buf, size_t len);

#endif
