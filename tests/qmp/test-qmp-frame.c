/* SPDX-License-Identifier: MIT */
/*
 * test-qmp-frame.c - stream framing: messages split across feeds, several in
 * one feed, strings holding braces and escapes, oversize and too-deep
 * messages, resynchronisation after garbage and reset bytes.
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
};

static void collect_fn(void *opaque, const char *msg, size_t len, const char *error)
{
	struct collect *c = opaque;
	size_t n = c->nr_msgs + c->nr_errs;

	if (n < 32)
		c->order[n] = msg ? 'm' : 'e';
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

static void test_several_messages_in_one_feed(void **state)
{
	struct collect c = { 0 };
	struct qmp_framer f;

	(void)state;
	qmp_framer_init(&f, 1024, collect_fn, &c);
	feed(&f, "{\"a\":1}{\"b\":2}\r\n  \t{\"c\":[3]}\n[4]");
	assert_int_equal(c.nr_msgs, 4);
	assert_string_equal(c.msgs[0], "{\"a\":1}");
	assert_string_equal(c.msgs[1], "{\"b\":2}");
	assert_string_equal(c.msgs[2], "{\"c\":[3]}");
	assert_string_equal(c.msgs[3], "[4]");
	assert_int_equal(c.nr_errs, 0);
	qmp_framer_fini(&f);
}

static void test_braces_and_escapes_inside_strings(void **state)
{
	const char *m = "{\"k\":\"}}]]{{\\\"\\\\\",\"q\":\"\\\\\\\"}\"}";
	struct collect c = { 0 };
	struct qmp_framer f;

	(void)state;
	qmp_framer_init(&f, 1024, collect_fn, &c);
	feed(&f, m);
	assert_int_equal(c.nr_msgs, 1);
	assert_string_equal(c.msgs[0], m);
	qmp_framer_fini(&f);
}

static void test_top_level_scalars_and_strays_are_tokens(void **state)
{
	struct collect c = { 0 };
	struct qmp_framer f;

	(void)state;
	qmp_framer_init(&f, 1024, collect_fn, &c);
	feed(&f, "42 \"a b}\" true}{\"x\":1}");
	assert_int_equal(c.nr_msgs, 5);
	assert_string_equal(c.msgs[0], "42");
	assert_string_equal(c.msgs[1], "\"a b}\"");
	assert_string_equal(c.msgs[2], "true");
	assert_string_equal(c.msgs[3], "}");
	assert_string_equal(c.msgs[4], "{\"x\":1}");
	qmp_framer_fini(&f);
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
	};

	return cmocka_run_group_tests_name("qmp-frame", tests, NULL, NULL);
}
