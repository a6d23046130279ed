/* SPDX-License-Identifier: MIT */
/*
 * fuzz-host-cli.c - libFuzzer target for cxldcd-host's arguments
 * (tools/cxldcd-host/cxldcd-host.c, included here with main() renamed):
 * the agent's options (--accept tags=..., --tcp HOST:PORT, sizes, ids,
 * times), the one-shot commands (list, fill, verify, static-fill,
 * static-verify) and their GROUP, DPA, LEN and PATTERN.
 *
 * Nothing connects: cxldcd_host_new() and cxldcd_app_connect() are
 * replaced here by ones that fail with the error byte 0 picks (the agent
 * and the commands then report it and return, as when nothing listens; a
 * first connection that fails is never retried); getaddrinfo() takes
 * numeric hosts only (no name lookups); XDG_RUNTIME_DIR is a scratch
 * directory (the default host link's); stdout is /dev/null.
 *
 * Checked: the exit status is 0, 1 or 2 (docs/host.md); no crash, no
 * sanitizer report, no leak.
 *
 * Input: byte 0: bits 5:0 the number of arguments after argv[0] (each
 * NUL-terminated; fewer when the input ends), bits 7:6 the connection's
 * error: ENOENT, ECONNREFUSED, EBUSY, EPROTONOSUPPORT.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int host_cli_main(int argc, char **argv);
int fz_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		   struct addrinfo **res);

#define main host_cli_main
#define cxldcd_host_new fz_host_new
#define cxldcd_app_connect fz_app_connect
#define getaddrinfo fz_getaddrinfo
#include "../../tools/cxldcd-host/cxldcd-host.c"
#include "../fuzz-input.h"
#include "../fuzz-scratch.h"
#undef main
#undef cxldcd_host_new
#undef cxldcd_app_connect
#undef getaddrinfo

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static int fail_with;

int fz_host_new(const struct cxldcd_host_cfg *cfg, struct cxldcd_host **out)
{
	(void)cfg;
	*out = NULL;
	return fail_with;
}

int fz_app_connect(const char *path, struct cxldcd_app **out)
{
	(void)path;
	*out = NULL;
	return fail_with;
}

int fz_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		   struct addrinfo **res)
{
	struct addrinfo h = hints ? *hints : (struct addrinfo){ 0 };

	h.ai_flags |= AI_NUMERICHOST;
	return getaddrinfo(node, service, &h, res);
}

static char rundir[64];

/* The runtime directory (removed at exit with the default socket directory the tool made in it). */
static void init_once(void)
{
	if (!fz_scratch_at_exit(rundir, sizeof(rundir), "host"))
		return;
	setenv("XDG_RUNTIME_DIR", rundir, 1);
	fz_quiet_stdio();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int errs[] = { -ENOENT, -ECONNREFUSED, -EBUSY, -EPROTONOSUPPORT };
	char *argv[MAX_ARGS + 2], *buf;
	size_t off;
	int argc, rc;

	if (size < 1)
		return 0;
	init_once();
	buf = fz_argv(data, size, "cxldcd-host", argv, MAX_ARGS, &argc, &off);
	fail_with = errs[data[0] >> 6];
	memset(&agent, 0, sizeof(agent));
	stop = 0;
	optind = 0;
	rc = host_cli_main(argc, argv);
	if (rc < 0 || rc > 2) {
		fprintf(stderr, "fuzz-host-cli: exit status %d\n", rc);
		abort();
	}
	free(buf);
	return 0;
}
