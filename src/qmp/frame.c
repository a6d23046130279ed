/* SPDX-License-Identifier: MIT */
/*
 * frame.c - QMP stream framing: depth counting outside strings, a bounded
 * buffer, and resynchronisation.  See frame.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"
#include "frame.h"

/* Keep at most this much buffer capacity between messages. */
#define IDLE_CAP 4096

void qmp_framer_init(struct qmp_framer *f, size_t max, qmp_frame_fn *fn, void *opaque)
{
	memset(f, 0, sizeof(*f));
	f->max = max;
	f->fn = fn;
	f->opaque = opaque;
}

void qmp_framer_fini(struct qmp_framer *f)
{
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
}

/* Forget the id of the message that ended or was dropped. */
static void id_clear(struct qmp_framer *f)
{
	f->top_obj = f->want_key = f->in_key = f->key_bad = false;
	f->id_next = f->in_id = f->id_ok = f->id_long = f->id_space = false;
	f->key_pos = 0;
	f->id_len = 0;
}

static void reset(struct qmp_framer *f)
{
	f->len = 0;
	f->depth = 0;
	f->in_str = f->esc = f->scalar = f->discarding = false;
	f->error[0] = 0;
	id_clear(f);
	if (f->cap > IDLE_CAP) {
		free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
}

static void fail(struct qmp_framer *f, const char *error)
{
	f->fn(f->opaque, NULL, 0, error);
}

/* Append one byte; on overflow report once and switch to discarding. */
static int put(struct qmp_framer *f, char c)
{
	if (f->discarding)
		return 0;
	if (f->len >= f->max) {
		snprintf(f->error, sizeof(f->error), "JSON parse error, message exceeds %zu bytes",
			 f->max);
		f->len = 0;
		f->discarding = true;
		return 0;
	}
	if (f->len == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 256;
		char *nb;

		if (ncap > f->max)
			ncap = f->max;
		nb = realloc(f->buf, ncap);
		if (!nb)
			return -ENOMEM;
		f->buf = nb;
		f->cap = ncap;
	}
	f->buf[f->len++] = c;
	return 0;
}

/*
 * The end of a message: hand it out, or the error that made it skipped
 * (with its id, see qmp_framer_id()).
 */
static void deliver(struct qmp_framer *f)
{
	bool skipped = f->discarding;
	size_t len = f->len;

	f->len = 0;
	f->depth = 0;
	f->scalar = f->in_str = f->esc = f->discarding = false;
	if (skipped)
		fail(f, f->error);
	else if (len)
		f->fn(f->opaque, f->buf, len, NULL);
	f->error[0] = 0;
	id_clear(f);
	if (f->cap > IDLE_CAP)
		reset(f);
}

static bool is_reset_byte(unsigned char c)
{
	if (c < 0x20)
		return c != '\t' && c != '\n' && c != '\r';
	return c == 0xc0 || c == 0xc1 || c >= 0xf5;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_delim(char c)
{
	return is_space(c) || strchr("{}[]:,\"", c) != NULL;
}

/* A byte inside a string: track escapes and the closing quote. */
static bool string_byte(struct qmp_framer *f, char c)
{
	if (f->esc)
		f->esc = false;
	else if (c == '\\')
		f->esc = true;
	else if (c == '"') {
		f->in_str = false;
		return true;
	}
	return false;
}

/* Append a byte to the id (too long: not reported, see qmp_framer_id()). */
static void id_put(struct qmp_framer *f, char c)
{
	if (f->id_len < sizeof(f->id))
		f->id[f->id_len++] = c;
	else
		f->id_long = true;
}

/*
 * Copy a byte of the id's value; the value ends at ',' or '}' of the top
 * level.  A run of whitespace outside strings is kept as one space, and
 * only between tokens, so it does not count towards QMP_FRAME_ID_MAX.
 */
static void id_byte(struct qmp_framer *f, char c)
{
	if (f->depth == 1 && !f->in_str && (c == ',' || c == '}')) {
		f->in_id = false;
		f->id_ok = f->id_len && !f->id_long;
		return;
	}
	if (!f->in_str && is_space(c)) {
		f->id_space = f->id_len > 0;
		return;
	}
	if (f->id_space)
		id_put(f, ' ');
	f->id_space = false;
	id_put(f, c);
}

/* A byte of a top-level key: does the key read "id" (unescaped)? */
static void key_byte(struct qmp_framer *f, char c)
{
	if (f->esc || c == '\\') {
		f->key_bad = true;
	} else if (c == '"') {
		f->in_key = false;
		f->id_next = !f->key_bad && f->key_pos == 2;
	} else if (f->key_pos < 2 && c == "id"[f->key_pos]) {
		f->key_pos++;
	} else {
		f->key_bad = true;
	}
}

/*
 * Follow the top-level object's members to find "id" (called for each byte
 * of a container, before the byte changes depth or string state).
 */
static void track_id(struct qmp_framer *f, char c)
{
	if (f->in_id)
		id_byte(f, c);
	if (f->depth != 1 || !f->top_obj)
		return;
	if (f->in_key) {
		key_byte(f, c);
		return;
	}
	if (f->in_str)
		return;
	if (c == '"' && f->want_key) {
		f->in_key = true;
		f->key_bad = false;
		f->key_pos = 0;
		f->want_key = false;
	} else if (c == ':') {
		if (f->id_next) {
			f->in_id = true;
			f->id_ok = f->id_long = f->id_space = false;
			f->id_len = 0;
		}
		f->id_next = false;
	} else if (c == ',') {
		f->want_key = true;
	}
}

bool qmp_framer_id(const struct qmp_framer *f, const char **id, size_t *len)
{
	if (!f->id_ok)
		return false;
	*id = f->id;
	*len = f->id_len;
	return true;
}

/* A byte of a container (depth > 0). */
static int container_byte(struct qmp_framer *f, char c)
{
	int rc = put(f, c);

	if (rc)
		return rc;
	track_id(f, c);
	if (f->in_str) {
		string_byte(f, c);
		return 0;
	}
	if (c == '"') {
		f->in_str = true;
	} else if (c == '{' || c == '[') {
		if (++f->depth > QMP_MAX_DEPTH && !f->discarding) {
			snprintf(f->error, sizeof(f->error), "%s",
				 "JSON parse error, nesting depth limit exceeded");
			f->discarding = true;
			f->len = 0;
		}
	} else if (c == '}' || c == ']') {
		if (--f->depth == 0)
			deliver(f);
	}
	return 0;
}

/* Start of something at top level.  Return 1 if @c was consumed. */
static int top_byte(struct qmp_framer *f, char c)
{
	if (is_space(c))
		return 1;
	if (c == '{' || c == '[') {
		f->depth = 1;
		f->top_obj = f->want_key = c == '{';
		return put(f, c) ? -ENOMEM : 1;
	}
	f->scalar = true;
	if (c == '"')
		f->in_str = true;
	if (put(f, c))
		return -ENOMEM;
	/* A lone structural character is a token of its own. */
	if (strchr("}]:,", c))
		deliver(f);
	return 1;
}

/* A byte of a top-level scalar token.  Return 1 if consumed, 0 to re-scan. */
static int scalar_byte(struct qmp_framer *f, char c)
{
	if (f->in_str) {
		if (put(f, c))
			return -ENOMEM;
		if (string_byte(f, c))
			deliver(f);
		return 1;
	}
	if (is_delim(c)) {
		deliver(f);
		return 0;
	}
	return put(f, c) ? -ENOMEM : 1;
}

static int byte(struct qmp_framer *f, unsigned char uc)
{
	char c = (char)uc;
	int rc;

	if (is_reset_byte(uc)) {
		/* a skipped message cut short: its error first, with its id if seen */
		if (f->discarding)
			fail(f, f->error);
		id_clear(f);
		if (!f->after_reset) {
			char msg[64];

			snprintf(msg, sizeof(msg), "JSON parse error, invalid byte 0x%02x", uc);
			fail(f, msg);
		}
		f->after_reset = true;
		reset(f);
		return 0;
	}
	f->after_reset = false;
	if (f->depth > 0)
		return container_byte(f, c);
	do {
		rc = f->scalar ? scalar_byte(f, c) : top_byte(f, c);
	} while (rc == 0);
	return rc < 0 ? rc : 0;
}

int qmp_framer_feed(struct qmp_framer *f, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int rc = byte(f, (unsigned char)buf[i]);

		if (rc) {
			reset(f);
			return rc;
		}
	}
	return 0;
}
