/* SPDX-License-Identifier: MIT */
/*
 * test-qmp-proto.c - the QMP protocol over an in-memory session: greeting,
 * negotiation, request checks, id echo, events, quit, deferred answers.
 * Argument validation and handler results are tested in test-qmp-args.c.
 */
#include <errno.h>

#include "qmp-test-util.h"
#include "qmp/qmp-int.h"
#include "proto-test-util.h"

/* ---- greeting and negotiation ---------------------------------------- */

static void test_greeting_has_qemu_shape(void **state)
{
	struct tsess *t = *state;
	json_t *g = tsess_pop(t);
	json_t *v = json_object_get(json_object_get(g, "QMP"), "version");

	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "qemu"), "major")), 9);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "qemu"), "minor")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "qemu"), "micro")), 0);
	assert_string_equal(json_string_value(json_object_get(v, "package")), "test");
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(json_object_get(g, "QMP"), "capabilities"), 0)), "oob");
	json_decref(g);
}

static void test_commands_before_negotiation_are_refused(void **state)
{
	struct tsess *t = *state;

	json_decref(tsess_pop(t));
	expect_error(tsess_cmd(t, "{\"execute\":\"query-version\"}"), "CommandNotFound",
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	expect_error(tsess_cmd(t, "{\"execute\":\"no-such\"}"), "CommandNotFound",
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	assert_false(qmp_session_is_negotiated(t->s));
}

static void test_second_capabilities_is_refused(void **state)
{
	struct tsess *t = *state;

	expect_error(tsess_cmd(t, "{\"execute\":\"qmp_capabilities\"}"), "CommandNotFound",
		     "Capabilities negotiation is already complete, command ignored");
}

static void test_capabilities_enable_unknown_is_refused(void **state)
{
	struct tsess *t = *state;

	json_decref(tsess_pop(t));
	expect_error(tsess_cmd(t, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"foo\"]}}"),
		     "GenericError", "Parameter 'enable[0]' does not accept value 'foo'");
	assert_false(qmp_session_is_negotiated(t->s));
}

static void test_exec_oob_needs_the_oob_capability(void **state)
{
	struct tsess *t = *state;
	json_t *r;

	json_decref(tsess_pop(t));
	r = tsess_cmd(t, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}");
	assert_non_null(json_object_get(r, "return"));
	json_decref(r);
	r = tsess_cmd(t, "{\"exec-oob\":\"query-version\",\"id\":1}");
	assert_non_null(json_object_get(r, "return"));
	json_decref(r);
	expect_error(tsess_cmd(t, "{\"exec-oob\":\"query-version\",\"execute\":\"quit\"}"),
		     "GenericError", "QMP input must not contain both 'execute' and 'exec-oob'");
}

static void test_exec_oob_without_capability_is_unexpected(void **state)
{
	struct tsess *t = *state;

	expect_error(tsess_cmd(t, "{\"exec-oob\":\"query-version\"}"), "GenericError",
		     "QMP input member 'exec-oob' is unexpected");
}

/* ---- request checks and id ------------------------------------------- */

static void test_id_of_any_type_is_echoed(void **state)
{
	struct tsess *t = *state;
	static const char *const ids[] = { "\"abc\"", "42", "-1.5", "true", "null",
					   "[1,{\"a\":[]}]", "{\"x\":{\"y\":\"}\"}}" };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char req[128];
		json_t *want = json_loads(ids[i], JSON_DECODE_ANY, NULL), *r;

		snprintf(req, sizeof(req), "{\"execute\":\"query-version\",\"id\":%s}", ids[i]);
		r = tsess_cmd(t, req);
		assert_non_null(json_object_get(r, "return"));
		assert_true(json_equal(json_object_get(r, "id"), want));
		json_decref(r);
		snprintf(req, sizeof(req), "{\"id\":%s,\"execute\":\"nope\"}", ids[i]);
		r = tsess_cmd(t, req);
		assert_true(json_equal(json_object_get(r, "id"), want));
		expect_error(r, "CommandNotFound", "The command nope has not been found");
		json_decref(want);
	}
}

static void test_malformed_requests_get_qemu_texts(void **state)
{
	struct tsess *t = *state;
	json_t *r;

	expect_error(tsess_cmd(t, "[1,2]"), "GenericError", "QMP input must be a JSON object");
	expect_error(tsess_cmd(t, "\"str\""), "GenericError", "QMP input must be a JSON object");
	expect_error(tsess_cmd(t, "42\n"), "GenericError", "QMP input must be a JSON object");
	expect_error(tsess_cmd(t, "{}"), "GenericError", "QMP input lacks member 'execute'");
	expect_error(tsess_cmd(t, "{\"execute\":1}"), "GenericError",
		     "QMP input member 'execute' must be a string");
	expect_error(tsess_cmd(t, "{\"execute\":\"quit\",\"arguments\":[]}"), "GenericError",
		     "QMP input member 'arguments' must be an object");
	r = tsess_cmd(t, "{\"execute\":\"quit\",\"bogus\":1,\"id\":7}");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	expect_error(r, "GenericError", "QMP input member 'bogus' is unexpected");
	assert_int_equal(t->quits, 0);
}

static void test_json_syntax_error_then_recovery(void **state)
{
	struct tsess *t = *state;
	json_t *r = tsess_cmd(t, "{\"execute\": nope}");
	const char *d = json_string_value(json_object_get(json_object_get(r, "error"), "desc"));

	assert_non_null(d);
	assert_memory_equal(d, "JSON parse error, ", 18);
	json_decref(r);
	r = tsess_cmd(t, "{]");
	assert_string_equal(qmp_err_class_str(QMP_ERR_GENERIC),
			    json_string_value(json_object_get(json_object_get(r, "error"), "class")));
	json_decref(r);
	expect_error(tsess_cmd(t, "{\"a\":1,\"a\":2}"), "GenericError",
		     "JSON parse error, duplicate object key near '\"a\"'");
	r = tsess_cmd(t, "{\"execute\":\"query-version\"}");
	assert_non_null(json_object_get(r, "return"));
	json_decref(r);
}

static void test_query_commands_lists_registered_commands(void **state)
{
	struct tsess *t = *state;
	json_t *r = tsess_cmd(t, "{\"execute\":\"query-commands\"}"), *e;
	const char *want[] = { "qmp_capabilities", "query-version", "query-commands", "quit",
			       "x-all", "x-fail", "x-extra", "x-read", "x-many", "x-rec" };
	size_t i;

	assert_int_equal(json_array_size(json_object_get(r, "return")), 10);
	json_array_foreach(json_object_get(r, "return"), i, e)
		assert_string_equal(json_string_value(json_object_get(e, "name")), want[i]);
	json_decref(r);
}

static void test_register_rejects_duplicates_and_bad_entries(void **state)
{
	struct tsess *t = *state;
	struct qmp_cmd noname = { .fn = echo_handler };

	assert_int_equal(qmp_server_register(t->srv, &test_cmds[0], NULL), -EEXIST);
	assert_int_equal(qmp_server_register(t->srv, &noname, NULL), -EINVAL);
}

/* ---- events, quit, sessions ------------------------------------------- */

/* The owner of the session of test_events_past_the_room_*: its unsent bytes, room and backlog. */
static size_t owner_queued, owner_room;
/*
 * Replies are written into one buffer the server keeps (no allocation per
 * reply, src/qmp/session.c), byte for byte as jansson writes {"return":
 * RET, "id": ID}; a reply larger than QMP_TEXT_KEEP leaves no buffer behind.
 */
static void test_replies_are_jansson_texts_in_a_kept_buffer(void **state)
{
	struct tsess *t = *state;
	int counts[] = { 1, 80, 2, 0 };

	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		char req[128], *got, *want;
		struct qmp_error err;
		json_t *args = json_pack("{s:i}", "n", counts[k]), *ret = NULL, *o;

		snprintf(req, sizeof(req), "{\"execute\":\"x-many\",\"arguments\":{\"n\":%d},\"id\":[%zu,\"\\u00e9\"]}",
			 counts[k], k);
		tsess_feed(t, req);
		got = tsess_pop_text(t);
		assert_non_null(got);
		assert_int_equal(many_handler(NULL, args, &ret, &err), 0);
		o = json_pack("{s:o,s:[i,s]}", "return", ret, "id", (int)k, "\xc3\xa9");
		want = json_dumps(o, JSON_ENSURE_ASCII);
		assert_string_equal(got, want);
		if (counts[k] == 80) {
			assert_true(strlen(got) > QMP_TEXT_KEEP);
			assert_null(t->srv->text.buf);          /* given back after the burst */
		} else {
			assert_non_null(t->srv->text.buf);      /* kept for the next reply */
			assert_true(t->srv->text.cap <= QMP_TEXT_KEEP);
		}
		free(got);
		free(want);
		json_decref(o);
		json_decref(args);
	}
	assert_null(tsess_pop_text(t));
}

/* The journal record a handler writes keeps integers above INT64_MAX as sent. */
static void test_request_record_is_the_compact_execute_text(void **state)
{
	struct tsess *t = *state;
	json_t *r;

	r = tsess_cmd(t, "{\"execute\":\"x-rec\",\"arguments\":{\"s\":\"\\u00e9\",\"u8\":1,"
		      "\"u64\":18446744073709551615,\"inner\":{\"flag\":true},\"any\":[1.5,null]}}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "return"), "text")),
			    "{\"execute\":\"x-rec\",\"arguments\":{\"s\":\"\xc3\xa9\",\"u8\":1,"
			    "\"u64\":18446744073709551615,\"inner\":{\"flag\":true},\"any\":[1.5,null]}}");
	json_decref(r);
	r = tsess_cmd(t, "{\"execute\":\"x-rec\",\"arguments\":{\"s\":\"a\",\"u8\":1,\"inner\":{\"flag\":false}}}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "return"), "text")),
			    "{\"execute\":\"x-rec\",\"arguments\":{\"s\":\"a\",\"u8\":1,\"inner\":{\"flag\":false}}}");
	json_decref(r);
}

static bool owner_busy;

static size_t owner_queued_fn(void *opaque)
{
	(void)opaque;
	return owner_queued;
}

static size_t owner_room_fn(void *opaque)
{
	(void)opaque;
	return owner_room;
}

static bool owner_busy_fn(void *opaque)
{
	(void)opaque;
	return owner_busy;
}

static void expect_event(struct tsess *t, const char *name)
{
	json_t *e = tsess_pop(t);

	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "event")), name);
	json_decref(e);
}

/*
 * An event that does not fit beside what the owner holds unsent is left
 * out for that session and counted; once the owner is no longer busy the
 * session is sent one EVENTS_OMITTED that says how many of which, then
 * events again.  Before: every event was written whatever the backlog (the
 * daemon then dropped a client that did not read past 16 MiB of them).
 */
static void test_events_past_the_room_are_counted_then_told(void **state)
{
	struct tsess *t = *state;
	json_t *big = json_pack("{s:s}", "pad", "0123456789012345678901234567890123456789"), *e, *d;

	owner_queued = 0;
	owner_room = 1000;
	owner_busy = false;
	qmp_session_set_queued(t->s, owner_queued_fn);
	qmp_session_set_room(t->s, owner_room_fn);
	qmp_session_set_busy(t->s, owner_busy_fn);
	assert_int_equal(qmp_server_emit_event(t->srv, "A", big), 1);
	expect_event(t, "A");
	/* the client stops reading: 950 bytes unsent, an event of ~130 does not fit */
	owner_queued = 950;
	owner_busy = true;
	assert_int_equal(qmp_server_emit_event(t->srv, "A", big), 0);
	assert_int_equal(qmp_server_emit_event(t->srv, "B", NULL), 0);
	assert_int_equal(qmp_server_emit_event(t->srv, "A", NULL), 0);
	assert_null(tsess_pop(t));
	/* room again but still backlogged: still left out, until it is not */
	owner_queued = 0;
	assert_int_equal(qmp_server_emit_event(t->srv, "B", NULL), 0);
	assert_null(tsess_pop(t));
	owner_busy = false;
	qmp_session_resume(t->s);
	e = tsess_pop(t);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "event")), "EVENTS_OMITTED");
	d = json_object_get(e, "data");
	assert_int_equal(json_integer_value(json_object_get(d, "count")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "events"), "A")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "events"), "B")), 2);
	assert_true(json_integer_value(json_object_get(d, "bytes")) > 300);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "first"), "seconds")),
			 1700000000);
	assert_non_null(json_object_get(d, "last"));
	json_decref(e);
	/* told once; the next events go out */
	qmp_session_resume(t->s);
	assert_null(tsess_pop(t));
	assert_int_equal(qmp_server_emit_event(t->srv, "C", NULL), 1);
	expect_event(t, "C");
	/* replies still wait for the client, they are never left out */
	owner_busy = true;
	tsess_feed(t, "{\"execute\":\"query-version\",\"id\":1}");
	assert_null(tsess_pop(t));
	owner_busy = false;
	qmp_session_resume(t->s);
	e = tsess_pop(t);
	assert_non_null(json_object_get(e, "return"));
	json_decref(e);
	json_decref(big);
}

/*
 * Without a resume (the owner was never backlogged: one event larger than
 * the room), the count goes out before the next event that fits.
 */
static void test_events_past_the_room_are_told_before_the_next_one(void **state)
{
	struct tsess *t = *state;
	json_t *big = json_pack("{s:s}", "pad", "0123456789012345678901234567890123456789"), *e;

	owner_queued = 0;
	owner_room = 100;
	owner_busy = false;
	qmp_session_set_queued(t->s, owner_queued_fn);
	qmp_session_set_room(t->s, owner_room_fn);
	qmp_session_set_busy(t->s, owner_busy_fn);
	assert_int_equal(qmp_server_emit_event(t->srv, "HUGE", big), 0);
	assert_null(tsess_pop(t));
	owner_room = 4096;
	assert_int_equal(qmp_server_emit_event(t->srv, "SMALL", NULL), 1);
	e = tsess_pop(t);
	assert_string_equal(json_string_value(json_object_get(e, "event")), "EVENTS_OMITTED");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(e, "data"),
									    "events"), "HUGE")), 1);
	json_decref(e);
	expect_event(t, "SMALL");
	json_decref(big);
}

static void test_events_reach_only_negotiated_sessions(void **state)
{
	struct tsess *t = *state;
	struct tsess other = { 0 };
	struct qmp_session *s2;
	json_t *data = json_pack("{s:i}", "host", 1), *e;

	other.srv = t->srv;
	assert_int_equal(qmp_session_new(t->srv, "two", tsess_write, &other, &s2), 0);
	assert_int_equal(qmp_server_nr_sessions(t->srv), 2);
	json_decref(tsess_pop(&other));
	assert_int_equal(qmp_server_emit_event(t->srv, "X_EVENT", data), 1);
	json_decref(data);
	assert_null(tsess_pop(&other));
	e = tsess_pop(t);
	assert_string_equal(json_string_value(json_object_get(e, "event")), "X_EVENT");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "data"), "host")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "timestamp"), "seconds")),
			 1700000000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "timestamp"),
							    "microseconds")), 123456);
	json_decref(e);
	assert_int_equal(qmp_server_emit_event(t->srv, "NO_DATA", NULL), 1);
	e = tsess_pop(t);
	assert_null(json_object_get(e, "data"));
	json_decref(e);
	qmp_session_free(s2);
	free(other.out);
	assert_int_equal(qmp_server_nr_sessions(t->srv), 1);
}

static void test_quit_replies_then_emits_shutdown(void **state)
{
	struct tsess *t = *state;
	json_t *r, *e;

	tsess_feed(t, "{\"execute\":\"quit\",\"id\":1}");
	r = tsess_pop(t);
	assert_non_null(json_object_get(r, "return"));
	json_decref(r);
	e = tsess_pop(t);
	assert_string_equal(json_string_value(json_object_get(e, "event")), "SHUTDOWN");
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "data"), "reason")),
			    "host-qmp-quit");
	json_decref(e);
	assert_int_equal(t->quits, 1);
}

static void test_failed_write_closes_the_session(void **state)
{
	struct tsess *t = *state;
	const char *req = "{\"execute\":\"query-version\"}";

	t->fail_writes = 1;
	assert_int_equal(qmp_session_feed(t->s, req, strlen(req)), -EPIPE);
	assert_true(qmp_session_is_closed(t->s));
	assert_int_equal(qmp_session_feed(t->s, req, strlen(req)), -EPIPE);
	assert_int_equal(qmp_server_emit_event(t->srv, "X", NULL), 0);
}

static void test_error_helpers(void **state)
{
	struct qmp_error e;

	(void)state;
	qmp_error_set(&e, QMP_ERR_COMMAND_NOT_FOUND, "n=%d", 3);
	assert_string_equal(e.desc, "n=3");
	assert_string_equal(qmp_err_class_str(e.cls), "CommandNotFound");
	assert_string_equal(qmp_err_class_str(QMP_ERR_DEVICE_NOT_ACTIVE), "DeviceNotActive");
	assert_string_equal(qmp_err_class_str(QMP_ERR_KVM_MISSING_CAP), "KVMMissingCap");
	assert_string_equal(qmp_err_class_str((enum qmp_err_class)99), "GenericError");
	qmp_error_set(NULL, QMP_ERR_GENERIC, "ignored");
}

/* ---- deferred answers (the daemon's group commit) ------------------- */

struct defer_ctx {
	struct qmp_server *srv;
	struct qmp_deferred *d;
};

static int defer_handler(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct defer_ctx *x = opaque;

	(void)args, (void)ret, (void)err;
	x->d = qmp_defer(x->srv);
	assert_non_null(x->d);
	assert_null(qmp_defer(x->srv));   /* one per request */
	return QMP_DEFER;
}

static const struct qmp_cmd defer_cmd = { .name = "x-defer", .fn = defer_handler };

/* A deferred request is answered later with its id; requests after it wait, in order. */
static void test_deferred_answer_holds_later_requests_in_order(void **state)
{
	struct tsess *t = *state;
	struct defer_ctx x = { .srv = t->srv };
	struct qmp_error err = { .cls = QMP_ERR_GENERIC };
	json_t *r;

	assert_int_equal(qmp_server_register(t->srv, &defer_cmd, &x), 0);
	tsess_feed(t, "{\"execute\":\"x-defer\",\"id\":1}{\"execute\":\"query-version\",\"id\":2}"
		      "{\"execute\":\"x-defer\",\"id\":3}");
	assert_null(tsess_pop(t));              /* nothing answered yet */
	qmp_complete(x.d, 0, json_pack("{s:i}", "k", 7), NULL);
	r = tsess_pop(t);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "return"), "k")), 7);
	json_decref(r);
	r = tsess_pop(t);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	assert_non_null(json_object_get(json_object_get(r, "return"), "qemu"));
	json_decref(r);
	assert_null(tsess_pop(t));              /* id 3 deferred in turn */
	qmp_error_set(&err, QMP_ERR_GENERIC, "later failure");
	qmp_complete(x.d, -1, NULL, &err);
	expect_error(tsess_pop(t), "GenericError", "later failure");
	/* An error text of the longest kind, class kept: the answer carries all of it. */
	tsess_feed(t, "{\"execute\":\"x-defer\",\"id\":5}");
	memset(err.desc, 'e', sizeof(err.desc) - 1);
	err.desc[sizeof(err.desc) - 1] = 0;
	err.cls = QMP_ERR_DEVICE_NOT_FOUND;
	qmp_complete(x.d, -1, NULL, &err);
	expect_error(tsess_pop(t), "DeviceNotFound", err.desc);
	/* Deferred, then the session closes: the answer goes nowhere. */
	tsess_feed(t, "{\"execute\":\"x-defer\",\"id\":4}");
	qmp_session_free(t->s);
	t->s = NULL;
	qmp_complete(x.d, 0, NULL, NULL);
}

/* x-big: returns uint64 values made by qmp_reply_uint(); {"fail": true}: made, then an error. */
static int big_handler(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct qmp_server *srv = opaque;

	*ret = json_pack("{s:o,s:[o,o]}", "u", qmp_reply_uint(srv, UINT64_MAX), "l",
			 qmp_reply_uint(srv, 1ull << 63), qmp_reply_uint(srv, 5));
	if (json_is_true(json_object_get(args, "fail"))) {
		qmp_error_set(err, QMP_ERR_GENERIC, "no");
		return -1;
	}
	return 0;
}

static const struct qmp_cmd big_cmd = { .name = "x-big", .fn = big_handler,
					.flags = QMP_CMD_ALLOW_EXTRA | QMP_CMD_QUEUES };

/*
 * A reply value above 2^63-1 is written as that number, as QEMU writes a
 * uint64 (qom-get of an sn above it): answered at once, behind a deferred
 * request, and through qmp_complete().  Before: a jansson integer, written
 * as a negative number (so qom-get refused such an sn).
 */
static void test_reply_uint64_above_int64_max_is_written_as_the_number(void **state)
{
	struct tsess *t = *state;
	struct defer_ctx x = { .srv = t->srv };
	char *line;

	assert_int_equal(qmp_server_register(t->srv, &big_cmd, t->srv), 0);
	assert_int_equal(qmp_server_register(t->srv, &defer_cmd, &x), 0);
	reply_text(t, "{\"execute\":\"x-big\",\"id\":1}",
		   "{\"return\": {\"u\": 18446744073709551615, \"l\": [9223372036854775808, 5]}, \"id\": 1}");
	/* made, then refused: the error, and the next reply is jansson's own */
	reply_text(t, "{\"execute\":\"x-big\",\"arguments\":{\"fail\":true}}",
		   "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}");
	/* behind a deferred request (x-big queues): written when its turn comes */
	tsess_feed(t, "{\"execute\":\"x-defer\",\"id\":2}{\"execute\":\"x-big\",\"id\":3}");
	assert_null(tsess_pop_text(t));
	qmp_complete(x.d, 0, json_pack("{s:o}", "d", qmp_reply_uint(t->srv, UINT64_MAX - 1)), NULL);
	line = tsess_pop_text(t);
	assert_string_equal(line, "{\"return\": {\"d\": 18446744073709551614}, \"id\": 2}");
	free(line);
	line = tsess_pop_text(t);
	assert_string_equal(line, "{\"return\": {\"u\": 18446744073709551615, \"l\": [9223372036854775808, 5]}, \"id\": 3}");
	free(line);
	/* up to 2^63-1 a plain integer, nothing held */
	{
		json_t *v = qmp_reply_uint(t->srv, INT64_MAX);

		assert_int_equal(json_integer_value(v), INT64_MAX);
		json_decref(v);
	}
}

/* x-queue: QMP_CMD_QUEUES; defers each request, or refuses {"bad":true} on its arguments. */
struct queue_ctx {
	struct qmp_server *srv;
	struct qmp_deferred *d[8];
	unsigned n;
	unsigned flags_seen;
};

static int queue_handler(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct queue_ctx *x = opaque;

	(void)ret;
	x->flags_seen = qmp_current_flags(x->srv);
	if (json_is_true(json_object_get(args, "bad"))) {
		qmp_error_set(err, QMP_ERR_GENERIC, "bad argument");
		return -1;
	}
	x->d[x->n] = qmp_defer(x->srv);
	assert_non_null(x->d[x->n]);
	x->n++;
	return QMP_DEFER;
}

#define X_OWNER_BIT (1u << QMP_CMD_OWNER_SHIFT)
static const struct qmp_cmd queue_cmd = { .name = "x-queue", .fn = queue_handler,
					  .flags = QMP_CMD_QUEUES | QMP_CMD_ALLOW_EXTRA | X_OWNER_BIT };

/*
 * QMP_CMD_QUEUES commands start while earlier ones of the session wait
 * (all three are deferred at once, an argument refusal behind them waits
 * for their answers); a command without the flag waits until every earlier
 * one is answered; answers keep the requests' order whatever order the
 * deferred ones complete in.  The handler sees its row's flags.
 */
static void test_queued_commands_start_behind_deferred_ones_answers_in_order(void **state)
{
	struct tsess *t = *state;
	struct queue_ctx x = { .srv = t->srv };
	json_t *r;

	assert_int_equal(qmp_server_register(t->srv, &queue_cmd, &x), 0);
	tsess_feed(t, "{\"execute\":\"x-queue\",\"id\":1}{\"execute\":\"x-queue\",\"id\":2}"
		      "{\"execute\":\"x-queue\",\"arguments\":{\"bad\":true},\"id\":3}"
		      "{\"execute\":\"x-queue\",\"id\":4}"
		      "{\"execute\":\"query-version\",\"id\":5}{\"execute\":\"x-queue\",\"id\":6}");
	assert_int_equal(x.n, 3);                  /* 1, 2 and 4 deferred; 5 waits, so does 6 */
	assert_int_equal(x.flags_seen, QMP_CMD_QUEUES | QMP_CMD_ALLOW_EXTRA | X_OWNER_BIT);
	assert_int_equal(qmp_current_flags(t->srv), 0);
	assert_null(tsess_pop(t));                 /* 3's refusal waits for 1 and 2 */
	qmp_complete(x.d[1], 0, json_pack("{s:i}", "k", 2), NULL);
	assert_null(tsess_pop(t));                 /* 2 is done but 1 is not */
	qmp_complete(x.d[0], 0, json_pack("{s:i}", "k", 1), NULL);
	for (int id = 1; id <= 2; id++) {
		r = tsess_pop(t);
		assert_int_equal(json_integer_value(json_object_get(r, "id")), id);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "return"), "k")), id);
		json_decref(r);
	}
	r = tsess_pop(t);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 3);
	expect_error(r, "GenericError", "bad argument");
	assert_null(tsess_pop(t));                 /* 4 not answered: 5 not run yet */
	qmp_complete(x.d[2], 0, NULL, NULL);
	r = tsess_pop(t);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 4);
	json_decref(r);
	r = tsess_pop(t);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 5);
	json_decref(r);
	assert_int_equal(x.n, 4);                  /* 6 started after 5 */
	assert_null(tsess_pop(t));
	/* Deferred, then the session closes with it unanswered: nothing is sent. */
	qmp_session_free(t->s);
	t->s = NULL;
	qmp_complete(x.d[3], 0, NULL, NULL);
}

static size_t room_left = 300;

static size_t small_room(void *opaque)
{
	(void)opaque;
	return room_left;
}

/*
 * A reply larger than the session can take (here 664 bytes of JSON + CRLF)
 * becomes a GenericError naming its size and how to ask for less; the
 * session stays open and answers the next command.
 */
static void test_reply_over_the_room_is_an_error_not_a_disconnect(void **state)
{
	struct tsess *t = *state;
	char req[1024], big[601];
	json_t *r;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	qmp_session_set_room(t->s, small_room);
	snprintf(req, sizeof(req), "{\"execute\":\"x-all\",\"arguments\":{\"s\":\"%s\",\"u8\":1,\"inner\":{\"flag\":true}},\"id\":7}", big);
	r = tsess_cmd(t, req);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	expect_error(r, "GenericError",
		     "the reply to x-all is 666 bytes, more than the 300 bytes this session can take; ask for less: use the command's filters or paging (start-index, max-count)");
	assert_false(qmp_session_is_closed(t->s));
	r = tsess_cmd(t, "{\"execute\":\"x-all\",\"arguments\":{\"s\":\"ok\",\"u8\":1,\"inner\":{\"flag\":true}}}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "return"), "s")), "ok");
	json_decref(r);
}

static bool owner_busy;

static bool busy_hook(void *opaque)
{
	(void)opaque;
	return owner_busy;
}

/*
 * One-byte requests held while the owner is busy count what holding them
 * costs, not one byte each: 10,000 of them count 10,000 nodes.  Before,
 * held_bytes was 10,000 while ~480 KB were allocated, so the owner's 1 MiB
 * input limit let a client hold ~48 MiB.
 */
static void test_held_one_byte_requests_count_their_memory(void **state)
{
	struct tsess *t = *state;
	char *q = malloc(20001);

	assert_non_null(q);
	for (int i = 0; i < 10000; i++)
		memcpy(q + 2 * i, "1 ", 2);
	q[20000] = 0;
	qmp_session_set_busy(t->s, busy_hook);
	owner_busy = true;
	tsess_feed(t, q);
	assert_int_equal(qmp_session_held_bytes(t->s), 10000 * qmp_held_cost(1, 0));
	assert_true(qmp_session_held_bytes(t->s) >= 10000 * (sizeof(struct qmp_held) + 2));
	owner_busy = false;
	qmp_session_resume(t->s);
	assert_int_equal(qmp_session_held_bytes(t->s), 0);
	free(q);
}

/*
 * Backpressure: while the owner is busy, complete requests are held, in
 * order, unanswered (and counted); qmp_session_resume() runs them once it is
 * not.  Before: every request was answered at once, whatever the owner held.
 */
static void test_busy_owner_holds_requests_until_resumed(void **state)
{
	static const char q[] = "{\"execute\":\"query-version\",\"id\":1}"
				"{\"execute\":\"query-version\",\"id\":2}"
				"{\"execute\":\"query-version\",\"id\":3}";
	struct tsess *t = *state;
	json_t *r;

	qmp_session_set_busy(t->s, busy_hook);
	owner_busy = true;
	tsess_feed(t, q);
	assert_null(tsess_pop(t));
	/* each held frame counts its text, its id's text ("1"), its node and a header */
	assert_int_equal(qmp_session_held_bytes(t->s), 3 * qmp_held_cost(strlen(q) / 3, 1));
	/* Still busy: nothing runs. */
	qmp_session_resume(t->s);
	assert_null(tsess_pop(t));
	owner_busy = false;
	qmp_session_resume(t->s);
	for (int id = 1; id <= 3; id++) {
		r = tsess_pop(t);
		assert_non_null(json_object_get(r, "return"));
		assert_int_equal(json_integer_value(json_object_get(r, "id")), id);
		json_decref(r);
	}
	assert_null(tsess_pop(t));
	assert_int_equal(qmp_session_held_bytes(t->s), 0);
	assert_false(qmp_session_is_closed(t->s));
	/* Not busy: answered at once. */
	r = tsess_cmd(t, "{\"execute\":\"query-version\",\"id\":4}");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 4);
	json_decref(r);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_greeting_has_qemu_shape),
		T(test_commands_before_negotiation_are_refused),
		TN(test_second_capabilities_is_refused),
		T(test_capabilities_enable_unknown_is_refused),
		T(test_exec_oob_needs_the_oob_capability),
		TN(test_exec_oob_without_capability_is_unexpected),
		TN(test_busy_owner_holds_requests_until_resumed),
		TN(test_held_one_byte_requests_count_their_memory),
		TN(test_id_of_any_type_is_echoed),
		TN(test_malformed_requests_get_qemu_texts),
		TN(test_json_syntax_error_then_recovery),
		TN(test_query_commands_lists_registered_commands),
		TN(test_register_rejects_duplicates_and_bad_entries),
		TN(test_events_reach_only_negotiated_sessions),
		TN(test_events_past_the_room_are_counted_then_told),
		TN(test_events_past_the_room_are_told_before_the_next_one),
		TN(test_quit_replies_then_emits_shutdown),
		TN(test_failed_write_closes_the_session),
		TN(test_reply_over_the_room_is_an_error_not_a_disconnect),
		cmocka_unit_test(test_error_helpers),
		TN(test_replies_are_jansson_texts_in_a_kept_buffer),
		TN(test_request_record_is_the_compact_execute_text),
		TN(test_deferred_answer_holds_later_requests_in_order),
		TN(test_queued_commands_start_behind_deferred_ones_answers_in_order),
		TN(test_reply_uint64_above_int64_max_is_written_as_the_number),
	};

	return cmocka_run_group_tests_name("qmp-proto", tests, NULL, NULL);
}
