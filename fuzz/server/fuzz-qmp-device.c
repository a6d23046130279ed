/* SPDX-License-Identifier: MIT */
/*
 * fuzz-qmp-device.c - libFuzzer target for the daemon's QMP commands with
 * real devices behind them: a server context built the way the daemon
 * builds it (cmdline_parse() of a fixed command line, srv_backend_add() per
 * -object, dcd_create_all(), dcd_attach_memory(), a hostlink without
 * listeners on the first device as --host-socket would make, and
 * server_register_commands()), fed fuzzed bytes through a qmp_session that
 * negotiated capabilities first.  object-add/del, query-memdev,
 * cxl-add/release-dynamic-capacity(-status), query-cxl-dynamic-capacity,
 * cxl-cci-request, cxl-inject-fault and query-cxl-faults all run on fuzzed
 * JSON.
 *
 * Devices: "cxl-vmem0", tag-backed (one 4 GiB region, memory comes by tag
 * through object-add), 2 hosts, hostlink; "cxl-dcd0", volatile-dc-memdev=
 * vmem0 (a 512 MiB memfd, two 256 MiB regions), 2 hosts, no hostlink.
 *
 * Checked: after every chunk fed, core_check_invariants() on every device;
 * every output is one JSON object + CRLF, and every error reply has a class
 * and a non-empty description; no crash, no leak.
 *
 * Input: byte 0 picks the feed chunk size (1..256); the rest is the stream.
 *
 * Safety: memory-backend-file creates and truncates the file at mem-path, so
 * inputs that could spell mem-path (the literal key, or any \u escape) are
 * skipped: the fuzzer must never touch files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp/qmp.h"
#include "server/cmdline.h"
#include "server/commands.h"
#include "server/daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const daemon_argv[] = {
	"cxldcd",
	"-object", "memory-backend-memfd,id=vmem0,size=512M",
	"-device", "cxl-type3,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=4G,num-hosts=2,"
		   "max-extents=64,max-tags=8,event-log-depth=8",
	"-device", "cxl-type3,id=cxl-dcd0,volatile-dc-memdev=vmem0,num-dc-regions=2,num-hosts=2,"
		   "max-extents=64,event-log-depth=8,sanitize-on-release=on",
	"-qmp", "unix:/nonexistent/cxldcd-fuzz.sock,server=on,wait=off",
};

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz-qmp-device: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static int out_check(void *opaque, const char *buf, size_t len)
{
	json_t *j, *e;

	(void)opaque;
	if (getenv("CXLDCD_FUZZ_VERBOSE"))
		fprintf(stderr, "<- %.*s", (int)len, buf);
	if (len < 2 || buf[len - 2] != '\r' || buf[len - 1] != '\n')
		die("output not terminated by CRLF", NULL);
	j = json_loadb(buf, len - 2, 0, NULL);
	if (!json_is_object(j))
		die("output is not a JSON object", buf);
	e = json_object_get(j, "error");
	if (e && (!json_string_length(json_object_get(e, "class")) ||
		  !json_string_length(json_object_get(e, "desc"))))
		die("error reply without class or description", buf);
	json_decref(j);
	return 0;
}

static void check_all(struct server_ctx *s)
{
	char msg[256];

	for (size_t i = 0; i < s->nr_devs; i++) {
		if (core_check_invariants(s->devs[i]->dev, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "device %s: invariant broken: %s\n", s->devs[i]->id, msg);
			abort();
		}
	}
}

/* Could the input name a file backend's path?  (see Safety above) */
static bool touches_files(const uint8_t *data, size_t size)
{
	static const char *const bad[] = { "mem-path", "\\u" };

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		if (memmem(data, size, bad[k], strlen(bad[k])))
			return true;
	return false;
}

struct daemon_ctx {
	struct cmdline_cfg cfg;
	struct qmp_server *qmp;
	struct server_ctx s;
	struct qmp_session *sess;
};

/* As src/server/main.c start() and build_devices(), without sockets, loop or store. */
static void build(struct daemon_ctx *d)
{
	struct server_ctx *s = &d->s;
	char err[CMDLINE_ERR_MAX + SRV_ERR_MAX];
	struct hostlink_cfg hc = { 0 };

	memset(d, 0, sizeof(*d));
	if (cmdline_parse((int)(sizeof(daemon_argv) / sizeof(daemon_argv[0])),
			  (char *const *)daemon_argv, "/nonexistent", &d->cfg, err, sizeof(err)))
		die("cmdline_parse", err);
	if (qmp_server_new(&(struct qmp_server_cfg){ .package = "cxldcd-fuzz", .max_msg = 8192 },
			   &d->qmp))
		die("qmp_server_new", NULL);
	s->qmp = d->qmp;
	s->cfg = &d->cfg;
	if (server_register_commands(d->qmp, s))
		die("server_register_commands", NULL);
	if (mem_registry_new(&s->reg))
		die("mem_registry_new", NULL);
	for (size_t i = 0; i < d->cfg.nr_objects; i++)
		if (srv_backend_add(s, &d->cfg.objects[i], err, sizeof(err)))
			die("srv_backend_add", err);
	if (dcd_create_all(s, err, sizeof(err)) || dcd_attach_memory(s, err, sizeof(err)))
		die("devices", err);
	hc.dev = s->devs[0]->dev;
	hc.md = s->devs[0]->md;
	if (hostlink_new(&hc, &s->devs[0]->hl))
		die("hostlink_new", NULL);
	if (qmp_session_new(d->qmp, "fuzz", out_check, NULL, &d->sess))
		die("qmp_session_new", NULL);
}

/* As src/server/main.c stop(). */
static void destroy(struct daemon_ctx *d)
{
	qmp_session_free(d->sess);
	dcd_free_all(&d->s);
	mem_registry_free(d->s.reg);
	json_decref(d->s.events);
	qmp_server_free(d->qmp);
	cmdline_fini(&d->cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char nego[] = "{\"execute\":\"qmp_capabilities\"}";
	struct daemon_ctx d;
	size_t chunk, off = 1;

	if (size < 1 || touches_files(data, size))
		return 0;
	chunk = (size_t)data[0] + 1;
	build(&d);
	qmp_session_feed(d.sess, nego, sizeof(nego) - 1);
	while (off < size && !qmp_session_is_closed(d.sess)) {
		size_t n = size - off < chunk ? size - off : chunk;

		qmp_session_feed(d.sess, data + off, n);
		off += n;
		check_all(&d.s);
	}
	check_all(&d.s);
	destroy(&d);
	return 0;
}
