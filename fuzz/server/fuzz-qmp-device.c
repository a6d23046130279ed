/* SPDX-License-Identifier: MIT */
/*
 * fuzz-qmp-device.c - libFuzzer target for the daemon's QMP commands with
 * real devices behind them: a server context built the way the daemon
 * builds it (cmdline_parse() of a fixed command line, srv_backend_add() per
 * -object, dcd_create_all(), dcd_attach_memory(), a hostlink without
 * listeners on the first device as --host-socket would make, and
 * server_register_commands()), fed fuzzed bytes through a qmp_session that
 * negotiated capabilities first.  Every command server_register_commands()
 * serves runs on fuzzed JSON (fz-daemon.c builds the context).
 *
 * Devices: those of fz-daemon.c, cxl-static0 included (static capacity and
 * an LSA, host 1's alone); the first one has a hostlink.
 *
 * Checked: after every chunk fed, core_check_invariants() on every device;
 * every output is one JSON object + CRLF, and every error reply has a class
 * and a non-empty description; no crash, no leak.
 *
 * Input: byte 0 picks the feed chunk size (1..256); the rest is the stream.
 *
 * Safety: inputs that could spell mem-path are skipped (fz-daemon.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp/qmp.h"
#include "fz-daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int out_check(void *opaque, const char *buf, size_t len)
{
	struct qmp_json doc;
	json_t *j, *e;

	(void)opaque;
	if (getenv("CXLDCD_FUZZ_VERBOSE"))
		fprintf(stderr, "<- %.*s", (int)len, buf);
	if (len < 2 || buf[len - 2] != '\r' || buf[len - 1] != '\n')
		fz_die("output not terminated by CRLF", NULL);
	/* as a client reads it: an echoed id may hold an integer above INT64_MAX */
	if (qmp_json_load(&doc, buf, len - 2, 0, NULL))
		doc.root = NULL;
	j = doc.root;
	if (!json_is_object(j))
		fz_die("output is not a JSON object", buf);
	e = json_object_get(j, "error");
	if (e && (!json_string_length(json_object_get(e, "class")) ||
		  !json_string_length(json_object_get(e, "desc"))))
		fz_die("error reply without class or description", buf);
	qmp_json_fini(&doc);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char nego[] = "{\"execute\":\"qmp_capabilities\"}";
	struct fz_daemon d;
	struct qmp_session *sess;
	char err[SRV_ERR_MAX];
	size_t chunk, off = 1;

	if (size < 1 || fz_touches_files(data, size))
		return 0;
	chunk = (size_t)data[0] + 1;
	fz_daemon_build(&d, true);
	if (fz_daemon_attach(&d, err, sizeof(err)))
		fz_die("dcd_attach_memory", err);
	if (qmp_session_new(d.qmp, "fuzz", out_check, NULL, &sess))
		fz_die("qmp_session_new", NULL);
	qmp_session_feed(sess, nego, sizeof(nego) - 1);
	while (off < size && !qmp_session_is_closed(sess)) {
		size_t n = size - off < chunk ? size - off : chunk;

		qmp_session_feed(sess, data + off, n);
		off += n;
		fz_daemon_check(&d);
	}
	fz_daemon_check(&d);
	qmp_session_free(sess);
	fz_daemon_free(&d);
	return 0;
}
