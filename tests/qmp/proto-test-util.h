/* SPDX-License-Identifier: MIT */
/*
 * proto-test-util.h - what the QMP protocol tests share (test-qmp-proto.c,
 * test-qmp-args.c): dummy commands with every schema type (x-all, x-fail,
 * x-extra, x-read, x-many, x-rec) registered on an in-memory session by
 * setup(), negotiated by setup_negotiated() (TN() names a test run so),
 * and reply_text() for a reply checked byte for byte.
 * Include after "qmp-test-util.h" and "qmp/qmp-int.h".
 */
#ifndef CXLDCD_TESTS_PROTO_TEST_UTIL_H
#define CXLDCD_TESTS_PROTO_TEST_UTIL_H

/* ---- a dummy command with every schema type ------------------------- */

static const char *const colours[] = { "red", "green", NULL };
static const struct qmp_arg ext_fields[] = {
	QMP_ARG("offset", QMP_T_UINT64),
	QMP_ARG("len", QMP_T_UINT64),
	QMP_OPT("port", QMP_T_UINT16),
	QMP_ARG_END
};
static const struct qmp_arg inner_fields[] = {
	QMP_ARG("flag", QMP_T_BOOL),
	QMP_ARG_END
};
static const struct qmp_arg all_args[] = {
	QMP_ARG("s", QMP_T_STR),
	QMP_ARG("u8", QMP_T_UINT8),
	QMP_OPT("u16", QMP_T_UINT16),
	QMP_OPT("u32", QMP_T_UINT32),
	QMP_OPT("u64", QMP_T_UINT64),
	QMP_OPT("i", QMP_T_INT),
	QMP_OPT("b", QMP_T_BOOL),
	QMP_OPT("n", QMP_T_NUMBER),
	QMP_OPT_ENUM("colour", colours),
	QMP_OPT_ARRAY_OF("extents", ext_fields),
	QMP_OPT_ARRAY("names", QMP_T_STR),
	QMP_OPT_ARRAY("bytes", QMP_T_UINT8),
	QMP_ARG_STRUCT("inner", inner_fields),
	QMP_OPT("obj", QMP_T_OBJECT),
	QMP_OPT("any", QMP_T_ANY),
	QMP_ARG_END
};

static inline int echo_handler(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	(void)opaque; (void)err;
	*ret = json_deep_copy(args);
	return 0;
}

static inline int fail_handler(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	(void)opaque; (void)ret;
	if (qmp_arg_bool(args, "silent", false))
		return -1;
	qmp_error_set(err, QMP_ERR_DEVICE_NOT_FOUND, "Device '%s' not found",
		      qmp_arg_str(args, "id", "?"));
	return -1;
}

static const struct qmp_arg fail_args[] = {
	QMP_OPT("id", QMP_T_STR), QMP_OPT("silent", QMP_T_BOOL), QMP_ARG_END
};

/*
 * Returns what a handler reads of the unsigned arguments, as decimal
 * strings: qmp_arg_uint() and the cast handlers make of nested members.
 */
static inline int read_handler(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	json_t *ext = json_array_get(json_object_get(args, "extents"), 0);
	char u64[24], off[24], len[24];

	(void)opaque; (void)err;
	snprintf(u64, sizeof(u64), "%llu", (unsigned long long)qmp_arg_uint(args, "u64", 7));
	snprintf(off, sizeof(off), "%llu",
		 (unsigned long long)(uint64_t)json_integer_value(json_object_get(ext, "offset")));
	snprintf(len, sizeof(len), "%llu",
		 (unsigned long long)(uint64_t)json_integer_value(json_object_get(ext, "len")));
	*ret = json_pack("{s:s,s:s,s:s}", "u64", u64, "offset", off, "len", len);
	return 0;
}

/* A reply of "n" strings of 1,000 bytes (a 64-byte "é" prefix each: written \\u00e9), to size replies. */
static inline int many_handler(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	char item[1001];
	json_t *a = json_array();

	(void)opaque; (void)err;
	memset(item, 'y', sizeof(item) - 1);
	item[sizeof(item) - 1] = 0;
	for (int i = 0; i < 32; i++)
		memcpy(item + 2 * i, "\xc3\xa9", 2);
	for (int64_t i = 0; i < qmp_arg_int(args, "n", 0); i++)
		json_array_append_new(a, json_string(item));
	*ret = a;
	return 0;
}

static const struct qmp_arg many_args[] = { QMP_ARG("n", QMP_T_INT), QMP_ARG_END };

/*
 * A journal record of the request, both ways: qmp_request_text() and
 * qmp_request_dumps() of the object it stands for.
 */
static inline int rec_handler(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct qmp_server *srv = opaque;
	json_t *o = json_pack("{s:s,s:O}", "execute", "x-rec", "arguments", args);
	char *want = qmp_request_dumps(srv, o, JSON_COMPACT);
	size_t len = 0;
	const char *got = qmp_request_text(srv, "x-rec", args, &len);

	(void)err;
	assert_non_null(want);
	assert_non_null(got);
	assert_int_equal(len, strlen(want));
	assert_string_equal(got, want);
	*ret = json_pack("{s:s}", "text", got);
	free(want);
	json_decref(o);
	got = qmp_request_text(srv, "x_odd-name", NULL, &len);
	assert_string_equal(got, "{\"execute\":\"x_odd-name\",\"arguments\":{}}");
	return 0;
}

static const struct qmp_cmd test_cmds[] = {
	{ .name = "x-all", .fn = echo_handler, .args = all_args },
	{ .name = "x-fail", .fn = fail_handler, .args = fail_args },
	{ .name = "x-extra", .fn = echo_handler, .args = fail_args, .flags = QMP_CMD_ALLOW_EXTRA },
	{ .name = "x-read", .fn = read_handler, .args = all_args },
	{ .name = "x-many", .fn = many_handler, .args = many_args },
};

static const struct qmp_cmd rec_cmd = { .name = "x-rec", .fn = rec_handler, .args = all_args };

static inline int setup(void **state)
{
	struct tsess *t = calloc(1, sizeof(*t));

	tsess_init(t, 4096);
	assert_int_equal(qmp_server_register_table(t->srv, test_cmds, 5, NULL), 0);
	assert_int_equal(qmp_server_register_table(t->srv, &rec_cmd, 1, t->srv), 0);
	*state = t;
	return 0;
}

static inline int setup_negotiated(void **state)
{
	setup(state);
	tsess_negotiate(*state);
	return 0;
}

static inline int teardown(void **state)
{
	tsess_fini(*state);
	free(*state);
	return 0;
}

/* Feed @req and check the reply's text is exactly @want. */
static inline void reply_text(struct tsess *t, const char *req, const char *want)
{
	char *line;

	tsess_feed(t, req);
	line = tsess_pop_text(t);
	assert_non_null(line);
	assert_string_equal(line, want);
	free(line);
	assert_null(tsess_pop_text(t));
}

#define TN(f) cmocka_unit_test_setup_teardown(f, setup_negotiated, teardown)

#endif
