/* SPDX-License-Identifier: MIT */
/*
 * run.c - cxldcd-mctp-run: run an unmodified program whose Linux AF_MCTP
 * datagram sockets reach cxldcd FM sockets (docs/mctp.md).
 *
 *   cxldcd-mctp-run --fm unix:PATH [--mctp-cci ADDR] [--eid N] [--fm ...]... -- PROGRAM ARGS...
 *
 * Each --fm is one MCTP endpoint; the --eid after it names it (default 8,
 * then the next free number).  Message type 07h goes to the --fm socket,
 * 08h to the --mctp-cci socket after it (the Type 3 MCTP-based CCI); without
 * one, an --fm unix:DIR/fm.sock uses DIR/mctp.sock when that exists, and
 * otherwise 08h goes to the --fm socket too (the FM-API CCI answers it).  The routes go to libcxldcd-mctp.so in
 * CXLDCD_MCTP_ROUTES; the library is preloaded with LD_PRELOAD (any
 * LD_PRELOAD already set is kept after it).  The library is looked up as
 * $CXLDCD_MCTP_PRELOAD, then next to this executable, then in the
 * installed library directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/number.h"
#include "routes.h"

#define MAX_ROUTES MCTP_RUN_MAX_ROUTES
#define MCTP_RUN_VERSION "0.1.0"
#define LIB_NAME "libcxldcd-mctp.so"

#ifndef CXLDCD_MCTP_LIBDIR
#define CXLDCD_MCTP_LIBDIR "/usr/local/lib/cxldcd"
#endif

struct route {
	const char *addr;
	const char *addr08;     /* --mctp-cci, NULL if not given */
	char guess[MCTP_RUN_ADDR_MAX]; /* unix:DIR/mctp.sock next to an --fm unix:DIR/fm.sock */
	int eid;                /* -1 until given or assigned */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: cxldcd-mctp-run --fm unix:PATH|tcp:HOST:PORT [--mctp-cci ADDR] "
		   "[--eid N] [--fm ADDR [--mctp-cci ADDR] [--eid N]]... -- PROGRAM [ARGS...]\n"
		   "Runs PROGRAM with its AF_MCTP sockets connected to cxldcd, one MCTP endpoint\n"
		   "(EID 8..254, default the first free from 8) per --fm: type 07h to the --fm\n"
		   "socket, 08h to the --mctp-cci socket (default: mctp.sock next to an --fm\n"
		   "unix:DIR/fm.sock if it exists, else the --fm socket).\n"
		   "       cxldcd-mctp-run -h|--help | -V|--version\n");
}

static bool takes_value(const char *opt)
{
	return !strcmp(opt, "--fm") || !strcmp(opt, "--mctp-cci") || !strcmp(opt, "--eid");
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "cxldcd-mctp-run: %s '%s'\n", what, arg);
	return 2;
}

/* Why @a is not an address the routes can carry (routes.h), or NULL. */
static const char *bad_addr(const char *a)
{
	if (strncmp(a, "unix:", 5) && strncmp(a, "tcp:", 4))
		return "address is not unix:PATH or tcp:HOST:PORT";
	if (strpbrk(a, ";|"))
		return "address has a ';' or '|':";
	if (strlen(a) >= MCTP_RUN_ADDR_MAX)
		return "address too long:";
	return NULL;
}

static bool eid_used(const struct route *r, unsigned n, int eid)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].eid == eid)
			return true;
	return false;
}

static const char *find_lib(char *buf, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (getenv("CXLDCD_MCTP_PRELOAD"))
		return getenv("CXLDCD_MCTP_PRELOAD");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, cap, "%s/%s", self, LIB_NAME);
			if (!access(buf, R_OK))
				return buf;
		}
	}
	snprintf(buf, cap, "%s/%s", CXLDCD_MCTP_LIBDIR, LIB_NAME);
	return buf;
}

/*
 * The 08h address of @r: --mctp-cci, else DIR/mctp.sock next to DIR/fm.sock
 * if it exists (and its address fits a route).
 */
static const char *addr08_of(struct route *r)
{
	const char *slash;

	if (r->addr08)
		return r->addr08;
	if (strncmp(r->addr, "unix:", 5))
		return NULL;
	slash = strrchr(r->addr, '/');
	if (strcmp(slash ? slash + 1 : r->addr + 5, "fm.sock"))
		return NULL;
	if ((size_t)snprintf(r->guess, sizeof(r->guess), "%.*smctp.sock",
			     (int)(slash ? slash + 1 - r->addr : 5), r->addr) >= sizeof(r->guess))
		return NULL;
	return access(r->guess + 5, F_OK) ? NULL : r->guess;
}

static int set_env(struct route *r, unsigned n)
{
	char routes[MAX_ROUTES * (2 * MCTP_RUN_ADDR_MAX + 8)] = "", lib[PATH_MAX + 32], *pre;
	const char *old = getenv("LD_PRELOAD"), *path;
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		const char *a08 = addr08_of(&r[i]);
		int k = snprintf(routes + off, sizeof(routes) - off, "%s%d=%s%s%s", i ? ";" : "",
				 r[i].eid, r[i].addr, a08 ? "|" : "", a08 ? a08 : "");

		if (k < 0 || (size_t)k >= sizeof(routes) - off)
			return bad("address too long", r[i].addr);
		off += (size_t)k;
	}
	path = find_lib(lib, sizeof(lib));
	if (access(path, R_OK))
		return bad("cannot find the preload library", path);
	if (old && *old) {
		pre = malloc(strlen(path) + strlen(old) + 2);
		if (!pre)
			return 1;
		sprintf(pre, "%s:%s", path, old);
	} else {
		pre = strdup(path);
	}
	if (!pre || setenv("CXLDCD_MCTP_ROUTES", routes, 1) || setenv("LD_PRELOAD", pre, 1)) {
		free(pre);
		return 1;
	}
	free(pre);
	return 0;
}

int main(int argc, char **argv)
{
	struct route r[MAX_ROUTES];
	unsigned n = 0;
	int i, rc, next = 8;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("cxldcd-mctp-run " MCTP_RUN_VERSION "\n");
			return 0;
		}
		if (!takes_value(argv[i])) {
			usage(stderr);
			return bad("unknown option", argv[i]);
		}
		if (i + 1 >= argc || !strcmp(argv[i + 1], "--"))
			return bad("missing value for", argv[i]);
		if (!strcmp(argv[i], "--fm")) {
			if (n == MAX_ROUTES)
				return bad("too many endpoints at", argv[i + 1]);
			if (bad_addr(argv[i + 1]))
				return bad(bad_addr(argv[i + 1]), argv[i + 1]);
			r[n].addr = argv[++i];
			r[n].addr08 = NULL;
			r[n++].eid = -1;
		} else if (!strcmp(argv[i], "--mctp-cci")) {
			if (!n || r[n - 1].addr08)
				return bad("--mctp-cci must follow its --fm:", argv[i + 1]);
			if (bad_addr(argv[i + 1]))
				return bad(bad_addr(argv[i + 1]), argv[i + 1]);
			r[n - 1].addr08 = argv[++i];
		} else if (!strcmp(argv[i], "--eid")) {
			uint64_t eid;
			int bad_eid = cx_parse_u64(argv[++i], 0, &eid);

			if (!n || r[n - 1].eid >= 0)
				return bad("--eid must follow its --fm:", argv[i]);
			if (bad_eid || eid < 8 || eid > 254)
				return bad("EID is not 8..254:", argv[i]);
			if (eid_used(r, n, (int)eid))
				return bad("EID given twice:", argv[i]);
			r[n - 1].eid = (int)eid;
		}
	}
	if (!n || i + 1 >= argc) {
		usage(stderr);
		return 2;
	}
	for (unsigned k = 0; k < n; k++) {
		while (r[k].eid < 0 && eid_used(r, n, next))
			next++;
		if (r[k].eid < 0)
			r[k].eid = next++;
	}
	rc = set_env(r, n);
	if (rc)
		return rc;
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "cxldcd-mctp-run: cannot run '%s': %s\n", argv[i + 1], strerror(errno));
	return 127;
}
