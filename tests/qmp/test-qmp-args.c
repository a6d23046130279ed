/* SPDX-License-Identifier: MIT */
/*
 * test-qmp-args.c - QMP arguments checked against a command's schema over
 * an in-memory session: every type reaching the handler, missing,
 * unexpected and mistyped arguments named in QEMU's texts, integer ranges
 * (uint64 above INT64_MAX as QEMU reads it), ids above INT64_MAX echoed as
 * sent, extra members where a command allows them, and a handler's error
 * class and text.  The rest of the protocol is tested in test-qmp-proto.c.
 */
#include <errno.h>

#include "qmp-test-util.h"
#include "qmp/qmp-int.h"
#include "proto-test-util.h"

/* ---- argument validation --------------------------------------------- */

#define BASE "\"s\":\"x\",\"u8\":1,\"inner\":{\"flag\":true}"

static void args_error(struct tsess *t, const char *args, const char *desc)
{
	char req[512];

	snprintf(req, sizeof(req), "{\"execute\":\"x-all\",\"arguments\":{%s}}", args);
	expect_error(tsess_cmd(t, req), "GenericError", desc);
}

static void test_valid_arguments_reach_the_handler(void **state)
{
	struct tsess *t = *state;
	json_t *r = tsess_cmd(t, "{\"execute\":\"x-all\",\"arguments\":{" BASE
			      ",\"u16\":65535,\"u32\":4294967295,\"u64\":9223372036854775807,"
			      "\"i\":-5,\"b\":false,\"n\":1.5,\"colour\":\"green\","
			      "\"extents\":[{\"offset\":0,\"len\":2097152}],\"names\":[\"a\"],"
			      "\"obj\":{\"z\":[]},\"any\":null}}");
	json_t *ret = json_object_get(r, "return");

	assert_non_null(ret);
	assert_int_equal(qmp_arg_uint(ret, "u32", 0), 4294967295u);
	assert_int_equal(qmp_arg_int(ret, "i", 0), -5);
	assert_int_equal(qmp_arg_enum(ret, "colour", colours, -1), 1);
	assert_int_equal(qmp_arg_enum(ret, "nothere", colours, -1), -1);
	assert_false(qmp_arg_bool(ret, "b", true));
	assert_string_equal(qmp_arg_str(ret, "s", NULL), "x");
	json_decref(r);
}

static void test_missing_arguments_are_named(void **state)
{
	struct tsess *t = *state;

	args_error(t, "\"u8\":1", "Parameter 's' is missing");
	args_error(t, "\"s\":\"x\",\"u8\":1", "Parameter 'inner' is missing");
	args_error(t, "\"s\":\"x\",\"u8\":1,\"inner\":{}", "Parameter 'inner.flag' is missing");
	args_error(t, BASE ",\"extents\":[{\"offset\":0}]", "Parameter 'extents[0].len' is missing");
}

static void test_unexpected_arguments_are_named(void **state)
{
	struct tsess *t = *state;

	args_error(t, BASE ",\"zzz\":1", "Parameter 'zzz' is unexpected");
	args_error(t, BASE ",\"extents\":[{\"offset\":0,\"len\":1},{\"offset\":0,\"len\":1,\"tag\":1}]",
		   "Parameter 'extents[1].tag' is unexpected");
	expect_error(tsess_cmd(t, "{\"execute\":\"query-version\",\"arguments\":{\"a\":1}}"),
		     "GenericError", "Parameter 'a' is unexpected");
}

static void test_wrong_types_get_qemu_texts(void **state)
{
	struct tsess *t = *state;

	args_error(t, "\"s\":1,\"u8\":1", "Invalid parameter type for 's', expected: string");
	args_error(t, "\"s\":\"x\",\"u8\":\"1\"", "Parameter 'u8' expects uint64");   /* QEMU's visitor */
	args_error(t, "\"s\":\"x\",\"u8\":1.0", "Parameter 'u8' expects uint64");
	args_error(t, BASE ",\"i\":true", "Invalid parameter type for 'i', expected: integer");
	args_error(t, BASE ",\"b\":0", "Invalid parameter type for 'b', expected: boolean");
	args_error(t, BASE ",\"n\":\"1\"", "Invalid parameter type for 'n', expected: number");
	args_error(t, BASE ",\"colour\":1", "Invalid parameter type for 'colour', expected: string");
	args_error(t, BASE ",\"extents\":{}", "Invalid parameter type for 'extents', expected: array");
	args_error(t, BASE ",\"extents\":[1]", "Invalid parameter type for 'extents[0]', expected: object");
	args_error(t, BASE ",\"names\":[\"a\",2]", "Invalid parameter type for 'names[1]', expected: string");
	args_error(t, "\"s\":\"x\",\"u8\":1,\"inner\":[]", "Invalid parameter type for 'inner', expected: object");
	args_error(t, BASE ",\"obj\":1", "Invalid parameter type for 'obj', expected: object");
}

static void test_out_of_range_integers_are_refused(void **state)
{
	struct tsess *t = *state;

	args_error(t, "\"s\":\"x\",\"u8\":256", "Parameter 'u8' expects uint8_t");
	args_error(t, "\"s\":\"x\",\"u8\":-1", "Parameter 'u8' expects uint8_t");
	args_error(t, BASE ",\"u16\":65536", "Parameter 'u16' expects uint16_t");
	args_error(t, BASE ",\"u32\":4294967296", "Parameter 'u32' expects uint32_t");
	/* as QEMU's visitor: no integer names the whole path; a narrower range, the member alone or null */
	args_error(t, BASE ",\"extents\":[{\"offset\":0,\"len\":1},{\"offset\":0,\"len\":\"1\"}]",
		   "Parameter 'extents[1].len' expects uint64");
	args_error(t, BASE ",\"extents\":[{\"offset\":0,\"len\":1,\"port\":65536}]",
		   "Parameter 'port' expects uint16_t");
	args_error(t, BASE ",\"bytes\":[1,256]", "Parameter 'null' expects uint8_t");
	args_error(t, BASE ",\"bytes\":[1,true]", "Parameter 'bytes[1]' expects uint64");
	args_error(t, BASE ",\"colour\":\"blue\"", "Parameter 'colour' does not accept value 'blue'");
}

/*
 * An integer above 2^63-1 (jansson's limit) is a uint64 as QEMU reads it:
 * the handler reads the value sent, at the top level and nested.  Before: a
 * syntax error ("JSON parse error, too big integer").
 */
static void test_uint64_above_int64_max_reaches_the_handler(void **state)
{
	struct tsess *t = *state;
	json_t *r = tsess_cmd(t, "{\"execute\":\"x-read\",\"arguments\":{" BASE
			      ",\"u64\":18446744073709551615,\"n\":18446744073709551615,"
			      "\"any\":[9223372036854775808],\"obj\":{\"k\":18446744073709551614},"
			      "\"extents\":[{\"offset\":18446744073709549568,\"len\":9223372036854775808}]}}");
	json_t *ret = json_object_get(r, "return");

	assert_non_null(ret);
	assert_string_equal(qmp_arg_str(ret, "u64", ""), "18446744073709551615");
	assert_string_equal(qmp_arg_str(ret, "offset", ""), "18446744073709549568");
	assert_string_equal(qmp_arg_str(ret, "len", ""), "9223372036854775808");
	json_decref(r);
	/* 2^63-1 and 0 still read as before */
	r = tsess_cmd(t, "{\"execute\":\"x-read\",\"arguments\":{" BASE
		      ",\"u64\":9223372036854775807,\"extents\":[{\"offset\":0,\"len\":1}]}}");
	assert_string_equal(qmp_arg_str(json_object_get(r, "return"), "u64", ""), "9223372036854775807");
	assert_string_equal(qmp_arg_str(json_object_get(r, "return"), "offset", ""), "0");
	json_decref(r);
}

/*
 * A negative integer is a uint64 wrapped, as QEMU's visitor takes it ("for
 * backward compatibility": -1 is 2^64-1), at the top level and nested; a
 * narrower unsigned type refuses it by its range.  Before: "Parameter 'u64'
 * expects uint64".
 */
static void test_negative_uint64_wraps_as_qemu_reads_it(void **state)
{
	struct tsess *t = *state;
	json_t *r = tsess_cmd(t, "{\"execute\":\"x-read\",\"arguments\":{" BASE
			      ",\"u64\":-1,\"extents\":[{\"offset\":-2,\"len\":-9223372036854775808}]}}");
	json_t *ret = json_object_get(r, "return");

	assert_non_null(ret);
	assert_string_equal(qmp_arg_str(ret, "u64", ""), "18446744073709551615");
	assert_string_equal(qmp_arg_str(ret, "offset", ""), "18446744073709551614");
	assert_string_equal(qmp_arg_str(ret, "len", ""), "9223372036854775808");
	json_decref(r);
	args_error(t, BASE ",\"u32\":-1", "Parameter 'u32' expects uint32_t");
	args_error(t, BASE ",\"extents\":[{\"offset\":0,\"len\":1,\"port\":-1}]",
		   "Parameter 'port' expects uint16_t");
}

/*
 * Where no uint64 is expected, QEMU's texts: a narrower unsigned type's
 * range error, a signed one's or a string's type error; past UINT64_MAX
 * (a double to QEMU) no uint64 at all.
 */
static void test_integers_above_int64_max_get_qemu_texts(void **state)
{
	struct tsess *t = *state;

	args_error(t, "\"s\":\"x\",\"u8\":18446744073709551615", "Parameter 'u8' expects uint8_t");
	args_error(t, BASE ",\"u16\":9223372036854775808", "Parameter 'u16' expects uint16_t");
	args_error(t, BASE ",\"u32\":18446744073709551615", "Parameter 'u32' expects uint32_t");
	args_error(t, BASE ",\"extents\":[{\"offset\":0,\"len\":1,\"port\":18446744073709551615}]",
		   "Parameter 'port' expects uint16_t");
	args_error(t, BASE ",\"bytes\":[1,18446744073709551615]", "Parameter 'null' expects uint8_t");
	args_error(t, BASE ",\"i\":9223372036854775808", "Invalid parameter type for 'i', expected: integer");
	args_error(t, "\"s\":18446744073709551615,\"u8\":1", "Invalid parameter type for 's', expected: string");
	args_error(t, BASE ",\"b\":18446744073709551615", "Invalid parameter type for 'b', expected: boolean");
	args_error(t, BASE ",\"colour\":18446744073709551615", "Invalid parameter type for 'colour', expected: string");
	args_error(t, BASE ",\"names\":[18446744073709551615]", "Invalid parameter type for 'names[0]', expected: string");
	args_error(t, BASE ",\"u64\":18446744073709551616", "Parameter 'u64' expects uint64");
	args_error(t, BASE ",\"extents\":[{\"offset\":0,\"len\":99999999999999999999999}]",
		   "Parameter 'extents[0].len' expects uint64");
	args_error(t, BASE ",\"i\":18446744073709551616", "Invalid parameter type for 'i', expected: integer");
	args_error(t, BASE ",\"u64\":-9223372036854775809", "Parameter 'u64' expects uint64");
	args_error(t, BASE ",\"zzz\":18446744073709551615", "Parameter 'zzz' is unexpected");
}

/* QEMU echoes an id holding an integer above 2^63-1 as sent; so do we, replies and errors. */
static void test_id_above_int64_max_is_echoed_as_sent(void **state)
{
	struct tsess *t = *state;

	reply_text(t, "{\"execute\":\"x-extra\",\"id\":18446744073709551615}",
		   "{\"return\": {}, \"id\": 18446744073709551615}");
	reply_text(t, "{\"id\":[9223372036854775808, {\"k\" : 18446744073709551615}, -1, \"\u00e9\"],"
		      "\"execute\":\"x-fail\",\"arguments\":{\"silent\":true}}",
		   "{\"error\": {\"class\": \"GenericError\", \"desc\": \"command x-fail failed\"}, "
		   "\"id\": [9223372036854775808, {\"k\": 18446744073709551615}, -1, \"\\u00E9\"]}");
	/* refused on its arguments, on its members, and as a syntax error (the framer's id) */
	reply_text(t, "{\"execute\":\"x-all\",\"arguments\":{\"u8\":1},\"id\":18446744073709551615}",
		   "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 's' is missing\"}, "
		   "\"id\": 18446744073709551615}");
	reply_text(t, "{\"id\":{\"n\":9223372036854775809},\"zz\":1}",
		   "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'zz' is unexpected\"}, "
		   "\"id\": {\"n\": 9223372036854775809}}");
	tsess_feed(t, "{\"id\":18446744073709551615,\"execute\":\"x-all\",\"arguments\":{\"s\":}}");
	{
		char *line = tsess_pop_text(t);
		const char *tail = ", \"id\": 18446744073709551615}";

		assert_non_null(line);
		assert_non_null(strstr(line, "JSON parse error"));
		assert_true(strlen(line) > strlen(tail));
		assert_string_equal(line + strlen(line) - strlen(tail), tail);
		free(line);
	}
	/* past UINT64_MAX QEMU keeps a double, and echoes one */
	reply_text(t, "{\"execute\":\"x-extra\",\"id\":18446744073709551616}",
		   "{\"return\": {}, \"id\": 1.8446744073709552e19}");
}

/* qmp_json_dumps() writes a tree holding the parsed nodes (a journal record) as sent. */
static void test_json_dumps_keeps_big_integers_in_wrapping_trees(void **state)
{
	static const char text[] = "{\"a\":[1,18446744073709551615],\"b\":{\"c\":-1,\"d\":\"18446744073709551615\"}}";
	struct qmp_json j;
	json_error_t err;
	json_t *wrap;
	char *out;

	(void)state;
	assert_int_equal(qmp_json_load(&j, text, strlen(text), 0, &err), 0);
	assert_int_equal(j.nr_big, 1);
	assert_true(qmp_json_is_big(&j, json_array_get(json_object_get(j.root, "a"), 1)));
	assert_false(qmp_json_is_big(&j, json_object_get(json_object_get(j.root, "b"), "c")));
	out = qmp_json_dumps(&j, j.root, JSON_COMPACT);
	assert_string_equal(out, text);
	free(out);
	wrap = json_pack("{s:s,s:O}", "execute", "x", "arguments", j.root);
	out = qmp_json_dumps(&j, wrap, JSON_COMPACT);
	assert_string_equal(out, "{\"execute\":\"x\",\"arguments\":{\"a\":[1,18446744073709551615],"
			    "\"b\":{\"c\":-1,\"d\":\"18446744073709551615\"}}}");
	free(out);
	json_decref(wrap);
	qmp_json_fini(&j);
	/* digits in strings (escaped quotes, backslashes) are no numbers; reals and -0 stay */
	{
		static const char t2[] = "{\"s\":\"x\\\"18446744073709551616\\\\\",\"n\":18446744073709551615,"
					 "\"r\":1E5,\"z\":-0,\"w\":-9223372036854775809}";

		assert_int_equal(qmp_json_load(&j, t2, strlen(t2), 0, &err), 0);
		assert_int_equal(j.nr_big, 1);
		assert_string_equal(json_string_value(json_object_get(j.root, "s")), "x\"18446744073709551616\\");
		assert_true(qmp_json_is_big(&j, json_object_get(j.root, "n")));
		assert_true(json_is_real(json_object_get(j.root, "r")));
		assert_true(json_is_real(json_object_get(j.root, "w")));     /* below INT64_MIN: a double */
		assert_int_equal(json_integer_value(json_object_get(j.root, "z")), 0);
		qmp_json_fini(&j);
	}
	/* a text with none: jansson's own reading; a malformed one: jansson's error */
	assert_int_equal(qmp_json_load(&j, "[1]", 3, 0, &err), 0);
	assert_int_equal(j.nr_big, 0);
	qmp_json_fini(&j);
	assert_int_equal(qmp_json_load(&j, "[18446744073709551615,]", 23, 0, &err), -EINVAL);
	assert_null(j.root);
}

static void test_allow_extra_passes_undeclared_members(void **state)
{
	struct tsess *t = *state;
	json_t *r = tsess_cmd(t, "{\"execute\":\"x-extra\",\"arguments\":{\"id\":\"a\",\"size\":5}}");

	assert_int_equal(qmp_arg_uint(json_object_get(r, "return"), "size", 0), 5);
	json_decref(r);
	expect_error(tsess_cmd(t, "{\"execute\":\"x-extra\",\"arguments\":{\"id\":5}}"),
		     "GenericError", "Invalid parameter type for 'id', expected: string");
}

static void test_handler_errors_keep_class_and_text(void **state)
{
	struct tsess *t = *state;
	json_t *r = tsess_cmd(t, "{\"execute\":\"x-fail\",\"arguments\":{\"id\":\"d0\"},\"id\":\"q\"}");

	assert_string_equal(json_string_value(json_object_get(r, "id")), "q");
	expect_error(r, "DeviceNotFound", "Device 'd0' not found");
	expect_error(tsess_cmd(t, "{\"execute\":\"x-fail\",\"arguments\":{\"silent\":true}}"),
		     "GenericError", "command x-fail failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TN(test_valid_arguments_reach_the_handler),
		TN(test_missing_arguments_are_named),
		TN(test_unexpected_arguments_are_named),
		TN(test_wrong_types_get_qemu_texts),
		TN(test_out_of_range_integers_are_refused),
		TN(test_negative_uint64_wraps_as_qemu_reads_it),
		TN(test_uint64_above_int64_max_reaches_the_handler),
		TN(test_integers_above_int64_max_get_qemu_texts),
		TN(test_id_above_int64_max_is_echoed_as_sent),
		cmocka_unit_test(test_json_dumps_keeps_big_integers_in_wrapping_trees),
		TN(test_allow_extra_passes_undeclared_members),
		TN(test_handler_errors_keep_class_and_text),
	};

	return cmocka_run_group_tests_name("qmp-args", tests, NULL, NULL);
}
