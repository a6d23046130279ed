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
 *
 * While a top-level object streams by, the framer also copies the value of
 * its "id" member (qmp_framer_id()), so an error about a message that is
 * never delivered whole (too long, too deep) or that jansson cannot parse
 * can still name the request it answers: a client that routes replies by id
 * (QEMU's Python QMP library) then sees the error as that command's answer
 * instead of a reply it cannot place.  An oversized or too deep message is
 * therefore reported when its end arrives, not when the limit is passed.
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

/* Longest "id" value text the framer keeps; a longer id is not reported. */
#define QMP_FRAME_ID_MAX 256

struct qmp_framer {
	char *buf;
	size_t len, cap, max;
	size_t depth;
	bool in_str, esc;
	bool scalar;       /* collecting a top-level non-container token */
	bool discarding;   /* skipping the rest of an oversized/too deep message */
	bool after_reset;  /* previous byte was a reset byte (coalesce errors) */
	char error[96];    /* the error of the message being discarded, sent at its end */
	/* the top-level "id" member, followed as the message streams */
	bool top_obj;      /* the message is an object */
	bool want_key;     /* depth 1: a key comes next */
	bool in_key;       /* depth 1: inside a key */
	bool key_bad;      /* the key read so far is not "id" */
	unsigned key_pos;  /* bytes of "id" matched */
	bool id_next;      /* the key just read is "id": its value follows ':' */
	bool in_id;        /* copying the id's value */
	bool id_ok;        /* id[] holds a whole value */
	bool id_long;      /* the value did not fit */
	bool id_space;     /* whitespace outside strings since the last byte kept */
	size_t id_len;
	char id[QMP_FRAME_ID_MAX];
	qmp_frame_fn *fn;
	void *opaque;
};

void qmp_framer_init(struct qmp_framer *f, size_t max, qmp_frame_fn *fn, void *opaque);
void qmp_framer_fini(struct qmp_framer *f);
/* Return: 0 or -ENOMEM (the partial message is then dropped). */
int qmp_framer_feed(struct qmp_framer *f, const char *buf, size_t len);
/*
 * During a delivery callback: the JSON text of the message's top-level "id"
 * value (borrowed, not NUL-terminated).  Return: false when the message is
 * not an object, has no "id", or its id is longer than QMP_FRAME_ID_MAX.
 */
bool qmp_framer_id(const struct qmp_framer *f, const char **id, size_t *len);

#endif
