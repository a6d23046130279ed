/* SPDX-License-Identifier: MIT */
/*
 * test-qmp-frame.c - stream framing: messages split across feeds, several in
 * one feed, strings holding braces and escapes, oversize and too-deep
 * messages, resynchronisation after garbage and reset bytes, and the
 * request's "id" read on the way so that syntax errors can name it.
 */
#include <errno.h>
#include <stdio.h>

#include "qmp-test-util.h"
#include "qmp/frame.h"

struct collect {
	char msgs[16][256];
	char errs[16][128];
	size_t nr_msgs, nr_errs;
	char order[33];   /* 'm' or 'e' per delivery */
	struct qmp_framer *f;   /* set: record qmp_framer_id() of each delivery */
	char ids[32][QMP_FRAME_ID_MAX + 1];   /* "" when none */
};

static void collect_fn(void *opaque, const char *msg, size_t len, const char *error)
{
	struct collect *c = opaque;
	size_t n = c->nr_msgs + c->nr_errs;
	const char *id;
	size_t id_len;

	if (n < 32)
		c->order[n] = msg ? 'm' : 'e';
	if (n < 32 && c->f && qmp_framer_id(c->f, &id, &id_len))
		snprintf(c->ids[n], sizeof(c->ids[n]), "%.*s", (int)id_len, id);
	if (msg) {
		assert_true(c->nr_msgs < 16);
		snprintf(c->msgs[c->nr_msgs++], 256, "%.*s", (int)len, msg);
	} else {
		assert_true(c->nr_errs < 16);
		snprintf(c->errs[c->nr_errs++], 128, "%s", error);
	}
}

static void feed(struct qmp_framer *f, const char *s)
{
	assert_int_equal(qmp_framer_feed(f, s, strlen(s)), 0);
}

static void test_message_split_byte_by_byte(void **state)
{
	const char *m = "{\"execute\": \"x\", \"arguments\": {\"a\": [1, {\"b\": \"}\"}]}}";
	struct collect c = { 0 };
	struct qmp_framer f;

	(void)state;
	qmp_framer_init(&f, 1024, collect_fn, &c);
	for (size_t i = 0; i < strlen(m); i++) {
		assert_int_equal(c.nr_msgs, 0);
		assert_int_equal(qmp_framer_feed(&f, m + i, 1), 0);
	}
	assert_int_equal(c.nr_msgs, 1);
	assert_string_equal(c.msgs[0], m);
	qmp_framer_fini(&f);
}

/* @in fed at once (to a 1024-byte framer) gives exactly the @nr messages @want, and no error. */
static void expect_msgs(const char *in, const char *const *want, size_t nr)
{
	struct collect c = { 0 };
	struct qmp_framer f;

	qmp_framer_init(&f, 1024, collect_fn, &c);
	feed(&f, in);
	assert_int_equal(c.nr_msgs, nr);
	for (size_t i = 0; i < nr; i++)
		assert_string_equal(c.msgs[i], want[i]);
	assert_int_equal(c.nr_errs, 0);
	qmp_framer_fini(&f);
}

static void test_several_messages_in_one_feed(void **state)
{
	static const char *const want[] = { "{\"a\":1}", "{\"b\":2}", "{\"c\":[3]}", "[4]" };

	(void)state;
	expect_msgs("{\"a\":1}{\"b\":2}\r\n  \t{\"c\":[3]}\n[4]", want, 4);
}

static void test_braces_and_escapes_inside_strings(void **state)
{
	const char *m = "{\"k\":\"}}]]{{\\\"\\\\\",\"q\":\"\\\\\\\"}\"}";

	(void)state;
	expect_msgs(m, &m, 1);
}

static void test_top_level_scalars_and_strays_are_tokens(void **state)
{
	static const char *const want[] = { "42", "\"a b}\"", "true", "}", "{\"x\":1}" };

	(void)state;
	expect_msgs("42 \"a b}\" true}{\"x\":1}", want, 5);
}

static void test_oversize_is_reported_once_and_skipped(void **state)
{
	struct collect c = { 0 };
	struct qmp_framer f;
	char big[300];

	(void)state;
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = 0;
	qmp_framer_init(&f, 64, collect_fn, &c);
	feed(&f, "{\"k\":\"");
	feed(&f, big);
	feed(&f, "{}[]\"}");   /* still inside the string, then the end */
	feed(&f, "{\"ok\":1}");
	assert_int_equal(c.nr_errs, 1);
	assert_string_equal(c.errs[0], "JSON parse error, message exceeds 64 bytes");
	assert_int_equal(c.nr_msgs, 1);
	assert_string_equal(c.msgs[0], "{\"ok\":1}");
	assert_true(f.cap <= 64);
	qmp_framer_fini(&f);
}

static void test_too_deep_nesting_is_refused(void **state)
{
	struct collect c = { 0 };
	struct qmp_framer f;
	size_t n = QMP_MAX_DEPTH + 10;
	char *s = malloc(2 * n + 1);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		s[i] = '[';
		s[n + i] = ']';
	}
	s[2 * n] = 0;
	qmp_framer_init(&f, 1u << 20, collect_fn, &c);
	feed(&f, s);
	feed(&f, "{}");
	assert_int_equal(c.nr_errs, 1);
	assert_string_equal(c.errs[0], "JSON parse error, nesting depth limit exceeded");
	assert_int_equal(c.nr_msgs, 1);
	assert_string_equal(c.msgs[0], "{}");
	free(s);
	qmp_framer_fini(&f);
}

static void test_reset_byte_drops_partial_message(void **state)
{
	struct collect c = { 0 };
	struct qmp_framer f;

	(void)state;
	qmp_framer_init(&f, 1024, collect_fn, &c);
	feed(&f, "{\"unterminated\": \"abc");
	feed(&f, "\xff\xff\x01");
	feed(&f, "{\"a\":1}");
	assert_int_equal(c.nr_errs, 1);
	assert_string_equal(c.errs[0], "JSON parse error, invalid byte 0xff");
	assert_int_equal(c.nr_msgs, 1);
	assert_string_equal(c.msgs[0], "{\"a\":1}");
	assert_string_equal(c.order, "em");
	qmp_framer_fini(&f);
}

static void test_nul_byte_resets_too(void **state)
{
	struct collect c = { 0 };
	struct qmp_framer f;

	(void)state;
	qmp_framer_init(&f, 1024, collect_fn, &c);
	assert_int_equal(qmp_framer_feed(&f, "{\"a\0\"}{}", 7), 0);
	assert_int_equal(c.nr_errs, 1);
	assert_string_equal(c.errs[0], "JSON parse error, invalid byte 0x00");
	/* After the reset, '"}' is a string token start: it stays open. */
	feed(&f, "\"\n{\"b\":2}");
	assert_int_equal(c.nr_msgs, 2);
	assert_string_equal(c.msgs[1], "{\"b\":2}");
	qmp_framer_fini(&f);
}

/* ---- the request's "id", read while the message streams ---------------- */

static void framer_with_ids(struct qmp_framer *f, struct collect *c, size_t max)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	qmp_framer_init(f, max, collect_fn, c);
}

/*
 * QEMU's Python client puts "id" last, after the arguments: a message past
 * the size limit is reported at its end, with the id read after the limit.
 * An "id" inside the arguments is not the request's.
 */
static void test_oversize_error_comes_at_the_end_with_the_id(void **state)
{
	struct collect c;
	struct qmp_framer f;
	char pad[201];

	(void)state;
	memset(pad, 'a', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = 0;
	framer_with_ids(&f, &c, 64);
	feed(&f, "{\"execute\":\"x\",\"arguments\":{\"id\":\"inner\",\"pad\":\"");
	feed(&f, pad);
	feed(&f, "\"},\"id\" : \"__qmp#00007\" ");
	assert_int_equal(c.nr_errs, 0);   /* not before the end */
	feed(&f, "}{\"id\":[1]}");
	assert_int_equal(c.nr_errs, 1);
	assert_string_equal(c.errs[0], "JSON parse error, message exceeds 64 bytes");
	assert_string_equal(c.ids[0], "\"__qmp#00007\"");
	assert_int_equal(c.nr_msgs, 1);
	assert_string_equal(c.ids[1], "[1]");
	qmp_framer_fini(&f);
}

/* Any JSON value is an id; only an unescaped top-level "id" key names it. */
static void test_id_of_every_json_type_is_read(void **state)
{
	static const char *const in[][2] = {
		{ "{\"id\":5}", "5" },
		{ "{\"execute\":\"q\", \"id\": -1.5e3 }", "-1.5e3" },
		{ "{\"id\":\"s,}\\\"]\",\"execute\":\"q\"}", "\"s,}\\\"]\"" },
		{ "{\"id\":{\"a\":[1,\"}\"],\"id\":2},\"x\":3}", "{\"a\":[1,\"}\"],\"id\":2}" },
		{ "{\"id\":null}", "null" },
		{ "{\"ids\":1,\"i\":2,\"\\u0069d\":3}", "" },
		{ "{\"a\":{\"id\":1}}", "" },
		{ "[{\"id\":1},\"id\",2]", "" },
		{ "{\"a\":\"id\",\"b\":\"x\"}", "" },
	};
	struct collect c;
	struct qmp_framer f;

	(void)state;
	framer_with_ids(&f, &c, 1024);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		feed(&f, in[i][0]);
	assert_int_equal(c.nr_msgs, sizeof(in) / sizeof(in[0]));
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_string_equal(c.ids[i], in[i][1]);
	qmp_framer_fini(&f);
}

/* An id longer than QMP_FRAME_ID_MAX is not reported (never a cut one). */
static void test_long_id_is_not_reported(void **state)
{
	char msg[QMP_FRAME_ID_MAX + 32];
	struct collect c;
	struct qmp_framer f;

	(void)state;
	framer_with_ids(&f, &c, 1024);
	/* a string id of QMP_FRAME_ID_MAX + 1 bytes, quotes included, then one that fits */
	snprintf(msg, sizeof(msg), "{\"id\":\"%0*d\"}", QMP_FRAME_ID_MAX - 1, 0);
	feed(&f, msg);
	snprintf(msg, sizeof(msg), "{\"id\":\"%0*d\"}", QMP_FRAME_ID_MAX - 2, 0);
	feed(&f, msg);
	assert_int_equal(c.nr_msgs, 2);
	assert_string_equal(c.ids[0], "");
	assert_int_equal(strlen(c.ids[1]), QMP_FRAME_ID_MAX);
	qmp_framer_fini(&f);
}

/*
 * Whitespace outside strings is not part of the id: a pretty-printed id, or
 * one followed by spaces before its ',' or '}', that fits once that is
 * left out is reported, with each run of whitespace as one space (tokens
 * stay apart).  Before: the whitespace counted towards QMP_FRAME_ID_MAX and
 * such an id was not reported.
 */
static void test_whitespace_around_an_id_does_not_make_it_long(void **state)
{
	char msg[4 * QMP_FRAME_ID_MAX], id[QMP_FRAME_ID_MAX + 1];
	struct collect c;
	struct qmp_framer f;

	(void)state;
	framer_with_ids(&f, &c, 4096);
	/* a string id of QMP_FRAME_ID_MAX bytes, quotes included, then 300 spaces */
	snprintf(id, sizeof(id), "\"%0*d\"", QMP_FRAME_ID_MAX - 2, 0);
	snprintf(msg, sizeof(msg), "{\"id\":%s%300s}", id, "");
	feed(&f, msg);
	/* pretty-printed: newlines and indentation inside an object id */
	feed(&f, "{\"execute\": \"x\",\n    \"id\": {\n\t\t\"n\":\r\n  [ 1,\n 2 ],\n\t\t\"s\": \" a  b \"\n    }\n}");
	feed(&f, "{\"id\":\n\n-1   ,\"execute\":\"x\"}");
	assert_int_equal(c.nr_msgs, 3);
	assert_string_equal(c.ids[0], id);
	assert_string_equal(c.ids[1], "{ \"n\": [ 1, 2 ], \"s\": \" a  b \" }");
	assert_string_equal(c.ids[2], "-1");
	qmp_framer_fini(&f);
}

/* Too deep: reported at the end, with the id; a reset byte cuts it short. */
static void test_too_deep_and_cut_messages_keep_their_id(void **state)
{
	size_t n = QMP_MAX_DEPTH + 10;
	char *s = malloc(2 * n + 64);
	struct collect c;
	struct qmp_framer f;

	(void)state;
	strcpy(s, "{\"id\":9,\"a\":");
	for (size_t i = 0; i < n; i++)
		strcat(s, "[");
	for (size_t i = 0; i < n; i++)
		strcat(s, "]");
	strcat(s, "}");
	framer_with_ids(&f, &c, 1u << 20);
	feed(&f, s);
	assert_int_equal(c.nr_errs, 1);
	assert_string_equal(c.errs[0], "JSON parse error, nesting depth limit exceeded");
	assert_string_equal(c.ids[0], "9");
	qmp_framer_fini(&f);
	/* cut by a reset byte: the pending error, then the reset's */
	framer_with_ids(&f, &c, 16);
	feed(&f, "{\"id\":\"k\",\"pad\":\"0123456789abcdef");
	assert_int_equal(c.nr_errs, 0);
	feed(&f, "\xff{}");
	assert_int_equal(c.nr_errs, 2);
	assert_string_equal(c.errs[0], "JSON parse error, message exceeds 16 bytes");
	assert_string_equal(c.ids[0], "\"k\"");
	assert_string_equal(c.errs[1], "JSON parse error, invalid byte 0xff");
	assert_string_equal(c.ids[1], "");
	assert_string_equal(c.order, "eem");
	assert_string_equal(c.ids[2], "");
	free(s);
	qmp_framer_fini(&f);
}

/* ---- the same through a session: replies and recovery ----------------- */

static void test_session_answers_every_message_of_a_feed(void **state)
{
	struct tsess t;
	json_t *r;

	(void)state;
	tsess_init(&t, 4096);
	tsess_negotiate(&t);
	tsess_feed(&t, "{\"execute\":\"query-version\",\"id\":1}{\"execute\":\"query-version\",\"id\":2}");
	for (int i = 1; i <= 2; i++) {
		r = tsess_pop(&t);
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		json_decref(r);
	}
	tsess_fini(&t);
}

static void test_session_survives_oversize_and_garbage(void **state)
{
	struct tsess t;
	char *big = malloc(10000);
	json_t *r;

	(void)state;
	tsess_init(&t, 4096);
	tsess_negotiate(&t);
	memset(big, ' ', 9999);
	{
		const char *head = "{\"execute\":\"query-version\",\"arguments\":{\"pad\":\"";

		memcpy(big, head, strlen(head));
	}
	memcpy(big + 9990, "\"}}", 4);
	tsess_feed(&t, big);
	expect_error(tsess_pop(&t), "GenericError", "JSON parse error, message exceeds 4096 bytes");
	assert_null(tsess_pop(&t));
	tsess_feed(&t, "garbage");
	assert_null(tsess_pop(&t));   /* token still open */
	tsess_feed(&t, "\n");
	r = tsess_pop(&t);
	assert_memory_equal(json_string_value(json_object_get(json_object_get(r, "error"), "desc")),
			    "JSON parse error, ", 18);
	json_decref(r);
	r = tsess_cmd(&t, "{\"execute\":\"query-version\"}");
	assert_non_null(json_object_get(r, "return"));
	json_decref(r);
	free(big);
	tsess_fini(&t);
}

/*
 * What QEMU's Python QMP library (qemu.qmp) sends that we refuse as a syntax
 * error: a request over the size limit, a number past a double's range.  Its reply
 * routing takes an error without an id for a server parse failure and
 * drops the connection (ServerParseError), so the error carries the id of
 * the request.  Before: {"error": ...} without "id".
 */
static void test_session_syntax_errors_answer_with_the_request_id(void **state)
{
	struct tsess t;
	char *big = malloc(10000);
	json_t *r;

	(void)state;
	tsess_init(&t, 4096);
	tsess_negotiate(&t);
	snprintf(big, 10000, "{\"execute\":\"query-version\",\"arguments\":{\"pad\":\"%05000d\"},\"id\":\"__qmp#00003\"}", 0);
	tsess_feed(&t, big);
	r = tsess_pop(&t);
	assert_non_null(json_object_get(r, "id"));
	assert_string_equal(json_string_value(json_object_get(r, "id")), "__qmp#00003");
	expect_error(r, "GenericError", "JSON parse error, message exceeds 4096 bytes");
	r = tsess_cmd(&t, "{\"execute\":\"query-version\",\"arguments\":{\"x\":1e400},\"id\":{\"n\":[7]}}");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(json_object_get(r, "id"), "n"), 0)), 7);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"), "desc")),
			       "JSON parse error, real number overflow"));
	json_decref(r);
	/* an id jansson cannot take either, and no id at all: no "id" member */
	r = tsess_cmd(&t, "{\"execute\":\"query-version\",\"id\":1e400}");
	assert_null(json_object_get(r, "id"));
	assert_non_null(json_object_get(r, "error"));
	json_decref(r);
	r = tsess_cmd(&t, "{\"execute\": }");
	assert_null(json_object_get(r, "id"));
	json_decref(r);
	/* the session goes on */
	r = tsess_cmd(&t, "{\"execute\":\"query-version\",\"id\":\"__qmp#00004\"}");
	assert_non_null(json_object_get(r, "return"));
	assert_string_equal(json_string_value(json_object_get(r, "id")), "__qmp#00004");
	json_decref(r);
	free(big);
	tsess_fini(&t);
}

/*
 * A request's id may hold "\u0000" (requests are read with JSON_ALLOW_NUL,
 * and a request that parses echoes such an id): a syntax error echoes it
 * too.  Before: the framer's id was read back without JSON_ALLOW_NUL and
 * the error went without an id.
 */
/* Feed @text and return the "id" of its one reply (decoded with JSON_ALLOW_NUL). */
static json_t *reply_id_allow_nul(struct tsess *t, const char *text, bool error)
{
	json_t *r, *id;

	tsess_feed(t, text);
	assert_true(t->len > 2 && t->out[t->len - 1] == '\n');
	r = json_loadb(t->out, t->len, JSON_ALLOW_NUL, NULL);
	assert_non_null(r);
	t->len = 0;
	assert_int_equal(json_object_get(r, "error") != NULL, error);
	id = json_incref(json_object_get(r, "id"));
	json_decref(r);
	return id;
}

static void test_syntax_error_echoes_an_id_holding_nul(void **state)
{
	static const char *const in[] = {
		"{\"execute\":\"query-version\",\"id\":\"a\\u0000b\"}",
		"{\"execute\":\"query-version\",\"arguments\":{\"x\":18446744073709551615},\"id\":\"a\\u0000b\"}",
	};
	struct tsess t;

	(void)state;
	tsess_init(&t, 4096);
	tsess_negotiate(&t);
	for (size_t i = 0; i < 2; i++) {
		json_t *id = reply_id_allow_nul(&t, in[i], i == 1);

		assert_non_null(id);
		assert_int_equal(json_string_length(id), 3);
		assert_memory_equal(json_string_value(id), "a\0b", 3);
		json_decref(id);
	}
	tsess_fini(&t);
}

static bool owner_busy;

static bool busy_hook(void *opaque)
{
	(void)opaque;
	return owner_busy;
}

/* Held while the owner is busy, a syntax error keeps its request's id. */
static void test_held_syntax_errors_keep_the_id(void **state)
{
	struct tsess t;
	char *big = malloc(10000);
	json_t *r;

	(void)state;
	tsess_init(&t, 4096);
	tsess_negotiate(&t);
	qmp_session_set_busy(t.s, busy_hook);
	owner_busy = true;
	snprintf(big, 10000, "{\"execute\":\"query-version\",\"arguments\":{\"pad\":\"%05000d\"},\"id\":\"a\"}", 0);
	tsess_feed(&t, big);
	tsess_feed(&t, "{\"execute\":\"query-version\",\"arguments\":{\"x\":9223372036854775808},\"id\":\"b\"}");
	tsess_feed(&t, "{\"execute\":\"query-version\",\"id\":\"c\"}");
	assert_null(tsess_pop(&t));
	owner_busy = false;
	qmp_session_resume(t.s);
	r = tsess_pop(&t);
	assert_non_null(json_object_get(r, "id"));
	assert_string_equal(json_string_value(json_object_get(r, "id")), "a");
	expect_error(r, "GenericError", "JSON parse error, message exceeds 4096 bytes");
	r = tsess_pop(&t);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "b");
	assert_non_null(json_object_get(r, "error"));
	json_decref(r);
	r = tsess_pop(&t);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "c");
	assert_non_null(json_object_get(r, "return"));
	json_decref(r);
	assert_int_equal(qmp_session_held_bytes(t.s), 0);
	free(big);
	tsess_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_split_byte_by_byte),
		cmocka_unit_test(test_several_messages_in_one_feed),
		cmocka_unit_test(test_braces_and_escapes_inside_strings),
		cmocka_unit_test(test_top_level_scalars_and_strays_are_tokens),
		cmocka_unit_test(test_oversize_is_reported_once_and_skipped),
		cmocka_unit_test(test_too_deep_nesting_is_refused),
		cmocka_unit_test(test_reset_byte_drops_partial_message),
		cmocka_unit_test(test_nul_byte_resets_too),
		cmocka_unit_test(test_session_answers_every_message_of_a_feed),
		cmocka_unit_test(test_session_survives_oversize_and_garbage),
		cmocka_unit_test(test_oversize_error_comes_at_the_end_with_the_id),
		cmocka_unit_test(test_id_of_every_json_type_is_read),
		cmocka_unit_test(test_long_id_is_not_reported),
		cmocka_unit_test(test_whitespace_around_an_id_does_not_make_it_long),
		cmocka_unit_test(test_too_deep_and_cut_messages_keep_their_id),
		cmocka_unit_test(test_session_syntax_errors_answer_with_the_request_id),
		cmocka_unit_test(test_syntax_error_echoes_an_id_holding_nul),
		cmocka_unit_test(test_held_syntax_errors_keep_the_id),
	};

	return cmocka_run_group_tests_name("qmp-frame", tests, NULL, NULL);
}
