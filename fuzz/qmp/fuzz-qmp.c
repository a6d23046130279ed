/* SPDX-License-Identifier: MIT */
/*
 * fuzz-qmp.c - feeds arbitrary bytes into QMP sessions: framing, JSON
 * parsing, request checks, schema validation and dispatch, against a server
 * with the built-ins plus dummy commands that cover every schema type.
 *
 * Input layout: byte 0 picks the feed chunk size (1..256), byte 1 bit 0
 * says whether session A negotiates first, bit 1 whether A's owner reports
 * a backlog that comes and goes (events left out and EVENTS_OMITTED, held
 * requests resumed after each chunk); the rest is the stream.  Session B
 * never negotiates.  Invariant checked on every write: each output is one
 * JSON object followed by CRLF (read as a client reads it: integers up to
 * UINT64_MAX).  The stream is also read as one JSON text by qmp_json_load():
 * when it reads, writing it and reading it again gives the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmp/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int out_check(void *opaque, const char *buf, size_t len)
{
	struct qmp_json doc;
	json_t *j;

	(void)opaque;
	if (len < 2 || buf[len - 2] != '\r' || buf[len - 1] != '\n')
		abort();
	/* as a client reads it: an echoed id may hold an integer above INT64_MAX */
	if (qmp_json_load(&doc, buf, len - 2, 0, NULL))
		doc.root = NULL;
	j = doc.root;
	if (!json_is_object(j))
		abort();
	qmp_json_fini(&doc);
	return 0;
}

/* Session A's owner with a backlog (byte 1 bit 1): it changes with every question. */
static unsigned backlog_tick;

static size_t backlog_queued(void *opaque)
{
	(void)opaque;
	return (backlog_tick++ * 97u) % 700u;
}

static size_t backlog_room(void *opaque)
{
	(void)opaque;
	return 512;
}

static bool backlog_busy(void *opaque)
{
	(void)opaque;
	return (backlog_tick++ % 5u) < 2;
}

static const char *const policies[] = { "free", "contiguous", "prescriptive",
					"enable-shared-access", NULL };
static const struct qmp_arg extent_fields[] = {
	QMP_ARG("offset", QMP_T_UINT64), QMP_ARG("len", QMP_T_UINT64), QMP_ARG_END
};
static const struct qmp_arg add_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG("host-id", QMP_T_UINT16),
	QMP_ARG_ENUM("selection-policy", policies),
	QMP_ARG("region", QMP_T_UINT8),
	QMP_OPT("tag", QMP_T_STR),
	QMP_OPT("forced-removal", QMP_T_BOOL),
	QMP_OPT("n", QMP_T_NUMBER),
	QMP_OPT("i", QMP_T_INT),
	QMP_OPT("u32", QMP_T_UINT32),
	QMP_OPT("obj", QMP_T_OBJECT),
	QMP_OPT("any", QMP_T_ANY),
	QMP_OPT_ARRAY("names", QMP_T_STR),
	QMP_ARG_ARRAY_OF("extents", extent_fields),
	QMP_ARG_END
};

static int h_ok(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct qmp_server *srv = opaque;

	(void)err;
	/* Re-entrant event emission while a request is being answered. */
	qmp_server_emit_event(srv, "X_EVENT", args);
	/* a uint64 above INT64_MAX in the reply: written as the number */
	*ret = json_pack("{s:s,s:o}", "path", qmp_arg_str(args, "path", "?"), "u",
			 qmp_reply_uint(srv, UINT64_MAX - qmp_arg_uint(args, "u32", 0)));
	return 0;
}

static int h_fail(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	/* made, then dropped with the failure */
	*ret = qmp_reply_uint(opaque, UINT64_MAX);
	if (qmp_arg_bool(args, "forced-removal", false))
		qmp_error_set(err, QMP_ERR_DEVICE_NOT_FOUND, "no %s", qmp_arg_str(args, "path", ""));
	return -1;
}

static const struct qmp_cmd cmds[] = {
	{ .name = "cxl-add-dynamic-capacity", .fn = h_ok, .args = add_args },
	{ .name = "cxl-release-dynamic-capacity", .fn = h_fail, .args = add_args },
	{ .name = "object-add", .fn = h_ok, .args = extent_fields, .flags = QMP_CMD_ALLOW_EXTRA },
};

/*
 * qmp_json_load() of the stream as one text: when it reads, what
 * qmp_json_dumps() writes reads back to the same text (every integer
 * above INT64_MAX found again and written as sent).
 */
static void json_round_trip(const uint8_t *data, size_t size)
{
	struct qmp_json j, k;
	char *a, *b;

	if (qmp_json_load(&j, (const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL))
		return;
	a = qmp_json_dumps(&j, j.root, JSON_ENSURE_ASCII);
	if (a && qmp_json_load(&k, a, strlen(a), JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL))
		abort();
	if (a) {
		b = qmp_json_dumps(&k, k.root, JSON_ENSURE_ASCII);
		if (!b || strcmp(a, b) || k.nr_big != j.nr_big)
			abort();
		free(b);
		qmp_json_fini(&k);
	}
	free(a);
	qmp_json_fini(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp_server_cfg cfg = { .max_msg = 4096 };
	struct qmp_server *srv;
	struct qmp_session *a, *b;
	static const char nego[] = "{\"execute\":\"qmp_capabilities\"}";
	size_t chunk, off = 2;

	if (size < 2)
		return 0;
	json_round_trip(data + 2, size - 2);
	chunk = (size_t)data[0] + 1;
	if (qmp_server_new(&cfg, &srv))
		return 0;
	if (qmp_server_register_table(srv, cmds, 3, srv))
		abort();
	if (qmp_session_new(srv, "a", out_check, NULL, &a) ||
	    qmp_session_new(srv, "b", out_check, NULL, &b))
		abort();
	backlog_tick = 0;
	if (data[1] & 2) {
		qmp_session_set_queued(a, backlog_queued);
		qmp_session_set_room(a, backlog_room);
		qmp_session_set_busy(a, backlog_busy);
	}
	if (data[1] & 1)
		qmp_session_feed(a, nego, sizeof(nego) - 1);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;

		qmp_session_feed(a, data + off, n);
		qmp_session_feed(b, data + off, n);
		if (data[1] & 2)
			qmp_session_resume(a);
		off += n;
	}
	qmp_server_emit_event(srv, "END", NULL);
	qmp_session_free(b);
	qmp_server_free(srv);   /* frees a */
	return 0;
}
