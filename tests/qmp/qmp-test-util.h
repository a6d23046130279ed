/* SPDX-License-Identifier: MIT */
/*
 * qmp-test-util.h - an in-memory QMP session for unit tests: output is
 * captured and read back message by message; the clock is fixed.
 */
#ifndef CXLDCD_TESTS_QMP_TEST_UTIL_H
#define CXLDCD_TESTS_QMP_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "qmp/qmp.h"

struct tsess {
	struct qmp_server *srv;
	struct qmp_session *s;
	char *out;
	size_t len, cap;
	int fail_writes;   /* write callback fails when set */
	int quits;
};

static inline int tsess_write(void *opaque, const char *buf, size_t len)
{
	struct tsess *t = opaque;

	if (t->fail_writes)
		return -EPIPE;
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->out = realloc(t->out, t->cap);
		assert_non_null(t->out);
	}
	memcpy(t->out + t->len, buf, len);
	t->len += len;
	t->out[t->len] = 0;
	return 0;
}

static inline void tsess_clock(void *opaque, struct timespec *now)
{
	(void)opaque;
	now->tv_sec = 1700000000;
	now->tv_nsec = 123456000;
}

static inline void tsess_quit(void *opaque)
{
	((struct tsess *)opaque)->quits++;
}

static inline struct qmp_session *tsess_add(struct tsess *t)
{
	struct qmp_session *s;

	assert_int_equal(qmp_session_new(t->srv, "test", tsess_write, t, &s), 0);
	return s;
}

static inline void tsess_init(struct tsess *t, size_t max_msg)
{
	struct qmp_server_cfg cfg = {
		.package = "test", .max_msg = max_msg,
		.clock = tsess_clock, .quit = tsess_quit, .quit_opaque = t,
	};

	memset(t, 0, sizeof(*t));
	cfg.clock_opaque = t;
	assert_int_equal(qmp_server_new(&cfg, &t->srv), 0);
	t->s = tsess_add(t);
}

static inline void tsess_fini(struct tsess *t)
{
	qmp_server_free(t->srv);
	free(t->out);
}

/* Pop the next captured message (CRLF-terminated line); NULL if none. */
static inline json_t *tsess_pop(struct tsess *t)
{
	char *nl = t->len ? memchr(t->out, '\n', t->len) : NULL;
	size_t n;
	json_t *j;

	if (!nl)
		return NULL;
	n = (size_t)(nl - t->out) + 1;
	assert_true(n >= 2 && t->out[n - 2] == '\r');
	j = json_loadb(t->out, n, 0, NULL);
	assert_non_null(j);
	memmove(t->out, t->out + n, t->len - n);
	t->len -= n;
	return j;
}

/*
 * Pop the next captured line as text, CRLF cut off (free it); NULL if none.
 * For replies jansson cannot read back (an id above INT64_MAX).
 */
static inline char *tsess_pop_text(struct tsess *t)
{
	char *nl = t->len ? memchr(t->out, '\n', t->len) : NULL;
	size_t n;
	char *line;

	if (!nl)
		return NULL;
	n = (size_t)(nl - t->out) + 1;
	assert_true(n >= 2 && t->out[n - 2] == '\r');
	line = strndup(t->out, n - 2);
	assert_non_null(line);
	memmove(t->out, t->out + n, t->len - n);
	t->len -= n;
	return line;
}

static inline void tsess_feed(struct tsess *t, const char *text)
{
	assert_int_equal(qmp_session_feed(t->s, text, strlen(text)), 0);
}

/* Feed @text and return the single reply it produced. */
static inline json_t *tsess_cmd(struct tsess *t, const char *text)
{
	json_t *r;

	tsess_feed(t, text);
	r = tsess_pop(t);
	assert_non_null(r);
	assert_null(tsess_pop(t));
	return r;
}

static inline void tsess_negotiate(struct tsess *t)
{
	json_t *g = tsess_pop(t), *r;

	assert_non_null(json_object_get(g, "QMP"));
	json_decref(g);
	r = tsess_cmd(t, "{\"execute\":\"qmp_capabilities\"}");
	assert_non_null(json_object_get(r, "return"));
	json_decref(r);
}

/* Assert @r is an error of @cls with exactly @desc; decref @r. */
static inline void expect_error(json_t *r, const char *cls, const char *desc)
{
	json_t *e = json_object_get(r, "error");

	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "class")), cls);
	assert_string_equal(json_string_value(json_object_get(e, "desc")), desc);
	json_decref(r);
}

#endif
