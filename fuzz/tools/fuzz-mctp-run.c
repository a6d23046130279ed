/* SPDX-License-Identifier: MIT */
/*
 * fuzz-mctp-run.c - libFuzzer target for cxldcd-mctp-run's command line
 * (tools/cxldcd-mctp-run/run.c, included here with main() renamed): --fm,
 * --mctp-cci and --eid, the EIDs given and assigned, the routes the tool
 * hands its preload library in CXLDCD_MCTP_ROUTES, LD_PRELOAD, and the
 * program after "--".
 *
 * Nothing runs: execvp() is replaced by one that checks what the program
 * would run with, then fails (ENOENT: the tool exits 127); setenv() by one
 * that records the value (the fuzzer's own environment keeps no route, and
 * a failure can be asked for); access() of a path named mctp.sock answers
 * as the input says (the mctp.sock beside an --fm unix:DIR/fm.sock).
 *
 * Checked, against docs/mctp.md: the exit status is 0, 1, 2 or 127, and
 * 127 only once the program was to run; the program and its arguments are
 * what follows the first "--"; CXLDCD_MCTP_ROUTES, read as the library
 * reads it (mctp_run_routes_parse(), which fuzz-mctp-routes holds to the
 * grammar of routes.h), has one route per --fm in their order and none
 * refused: its address, its --mctp-cci address (else DIR/mctp.sock when
 * that exists and fits, else none), its --eid (else the first EID from 8
 * up that no endpoint has), every EID in 8..254 and none twice (every
 * address therefore shorter than MCTP_RUN_ADDR_MAX and without ';' or
 * '|'); LD_PRELOAD is the library, then the LD_PRELOAD there was.  No
 * crash, sanitizer report or leak.
 *
 * Input: byte 0: bits 5:0 the number of arguments after argv[0] (each
 * NUL-terminated; fewer when the input ends), bits 7:6 the environment:
 * CXLDCD_MCTP_PRELOAD names a file that exists (/dev/null); unset (the
 * library is looked for beside the fuzzer, then in the installed
 * directory); a file that exists, with an LD_PRELOAD already set; a file
 * that does not exist.  The byte after the arguments: bit 0 mctp.sock
 * exists, bit 1 setenv() fails.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mctp_run_main(int argc, char **argv);
int fz_execvp(const char *file, char *const argv[]);
int fz_setenv(const char *name, const char *value, int overwrite);
int fz_access(const char *path, int mode);

#define main mctp_run_main
#define execvp fz_execvp
#define setenv fz_setenv
#define access fz_access
#include "../../tools/cxldcd-mctp-run/run.c"
#undef main
#undef execvp
#undef setenv
#undef access
#include "../fuzz-input.h"
#include "../fuzz-scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64
#define OLD_PRELOAD "libfz-old.so"

static struct {
	int argc;
	char **argv;
	bool mctp_sock;             /* access() finds a mctp.sock */
	bool setenv_fails;
	bool ran;                   /* fz_execvp() was called */
	char routes[MAX_ROUTES * (2 * MCTP_RUN_ADDR_MAX + 8)];
	char preload[PATH_MAX + 64];
	bool has_routes, has_preload;
} run;

int fz_access(const char *path, int mode)
{
	const char *slash = strrchr(path, '/');

	if (!strcmp(slash ? slash + 1 : path, "mctp.sock")) {
		if (run.mctp_sock)
			return 0;
		errno = ENOENT;
		return -1;
	}
	return access(path, mode);
}

int fz_setenv(const char *name, const char *value, int overwrite)
{
	(void)overwrite;
	if (run.setenv_fails) {
		errno = ENOMEM;
		return -1;
	}
	if (!strcmp(name, "CXLDCD_MCTP_ROUTES")) {
		snprintf(run.routes, sizeof(run.routes), "%s", value);
		run.has_routes = strlen(value) < sizeof(run.routes);
	} else if (!strcmp(name, "LD_PRELOAD")) {
		snprintf(run.preload, sizeof(run.preload), "%s", value);
		run.has_preload = strlen(value) < sizeof(run.preload);
	} else {
		fz_die("setenv() of another variable", NULL);
	}
	return 0;
}

/* One endpoint as the command line gives it. */
struct want {
	const char *addr, *addr08;
	long eid;                   /* -1: not given */
};

static bool eid_taken(const struct want *w, unsigned n, long eid)
{
	for (unsigned i = 0; i < n; i++)
		if (w[i].eid == eid)
			return true;
	return false;
}

/* The endpoints of the options before @dd (the first "--"), with the EIDs they get. */
static unsigned wanted(struct want *w, int dd)
{
	unsigned n = 0;

	for (int i = 1; i + 1 < dd; i += 2) {
		const char *v = run.argv[i + 1];

		if (!strcmp(run.argv[i], "--fm")) {
			if (n == MAX_ROUTES)
				fz_die("more endpoints than it takes", NULL);
			w[n++] = (struct want){ .addr = v, .eid = -1 };
		} else if (n && !strcmp(run.argv[i], "--mctp-cci")) {
			w[n - 1].addr08 = v;
		} else if (n && !strcmp(run.argv[i], "--eid")) {
			w[n - 1].eid = strtol(v, NULL, 0);
		} else {
			fz_die("ran with an option it does not take", NULL);
		}
	}
	for (unsigned k = 0, next = 8; k < n; k++) {
		while (w[k].eid < 0 && eid_taken(w, n, next))
			next++;
		if (w[k].eid < 0)
			w[k].eid = next++;
	}
	return n;
}

/* The mctp.sock beside @addr: unix:DIR/mctp.sock for unix:DIR/fm.sock if it exists and fits a route, else NULL. */
static const char *guess_of(const char *addr, char buf[MCTP_RUN_ADDR_MAX])
{
	const char *slash = strrchr(addr, '/');
	const char *dir_end = slash ? slash + 1 : addr + 5;

	if (strncmp(addr, "unix:", 5) || strcmp(dir_end, "fm.sock") || !run.mctp_sock ||
	    (size_t)snprintf(buf, MCTP_RUN_ADDR_MAX, "%.*smctp.sock", (int)(dir_end - addr), addr) >=
		    MCTP_RUN_ADDR_MAX)
		return NULL;
	return buf;
}

static void refused(void *arg, const char *item, size_t len, const char *why)
{
	(void)arg;
	(void)item;
	(void)len;
	fz_die("the library refuses a route the wrapper wrote", why);
}

/*
 * CXLDCD_MCTP_ROUTES read as the library reads it (mctp_run_routes_parse(),
 * routes.c), against what the command line asked for: every route read,
 * none refused.
 */
static void check_routes(const struct want *w, unsigned n)
{
	struct mctp_run_route got[MAX_ROUTES];
	unsigned k = mctp_run_routes_parse(run.routes, got, refused, NULL);
	char guess[MCTP_RUN_ADDR_MAX];

	if (k != n)
		fz_die("CXLDCD_MCTP_ROUTES has not one route per --fm", run.routes);
	for (unsigned i = 0; i < n; i++) {
		const char *a08 = w[i].addr08 ? w[i].addr08 : guess_of(w[i].addr, guess);

		if (got[i].eid != w[i].eid || w[i].eid < 8 || w[i].eid > 254)
			fz_die("a route's EID is not the one given or assigned", run.routes);
		if (strcmp(got[i].addr, w[i].addr))
			fz_die("a route's address is not its --fm", run.routes);
		if (strcmp(got[i].addr08, a08 ? a08 : ""))
			fz_die("a route's 08h address is not its --mctp-cci or mctp.sock", run.routes);
	}
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if (w[i].eid == w[j].eid)
				fz_die("an EID given twice", run.routes);
}

int fz_execvp(const char *file, char *const argv[])
{
	const char *lib = getenv("CXLDCD_MCTP_PRELOAD"), *old = getenv("LD_PRELOAD");
	struct want w[MAX_ROUTES] = { 0 };
	char want_preload[sizeof(run.preload)];
	int dd = 1;

	while (dd < run.argc && strcmp(run.argv[dd], "--"))
		dd++;
	if (dd + 1 >= run.argc || argv != run.argv + dd + 1 || file != argv[0])
		fz_die("the program is not what follows \"--\"", NULL);
	if (!run.has_routes || !run.has_preload)
		fz_die("the program runs without CXLDCD_MCTP_ROUTES or LD_PRELOAD", NULL);
	if (lib) {
		snprintf(want_preload, sizeof(want_preload), "%s%s%s", lib, old ? ":" : "", old ? old : "");
		if (strcmp(run.preload, want_preload))
			fz_die("LD_PRELOAD is not the library, then the LD_PRELOAD there was", NULL);
	}
	check_routes(w, wanted(w, dd));
	run.ran = true;
	errno = ENOENT;
	return -1;
}

static void init_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	unsetenv("CXLDCD_MCTP_PRELOAD");
	unsetenv("LD_PRELOAD");
	fz_quiet_stdio();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *buf;
	size_t off;
	int rc;

	if (size < 1)
		return 0;
	init_once();
	buf = fz_argv(data, size, "cxldcd-mctp-run", argv, MAX_ARGS, &run.argc, &off);
	run.argv = argv;
	run.mctp_sock = off < size && (data[off] & 1);
	run.setenv_fails = off < size && (data[off] & 2);
	run.ran = run.has_routes = run.has_preload = false;
	switch (data[0] >> 6) {
	case 0:
		setenv("CXLDCD_MCTP_PRELOAD", "/dev/null", 1);
		break;
	case 2:
		setenv("CXLDCD_MCTP_PRELOAD", "/dev/null", 1);
		setenv("LD_PRELOAD", OLD_PRELOAD, 1);
		break;
	case 3:
		setenv("CXLDCD_MCTP_PRELOAD", "/nonexistent/" LIB_NAME, 1);
		break;
	}
	rc = mctp_run_main(run.argc, argv);
	unsetenv("CXLDCD_MCTP_PRELOAD");
	unsetenv("LD_PRELOAD");
	if ((rc != 0 && rc != 1 && rc != 2 && rc != 127) || (rc == 127) != run.ran) {
		char status[48];

		snprintf(status, sizeof(status), "%d%s", rc, run.ran ? ", the program to run" : "");
		fz_die("exit status", status);
	}
	free(buf);
	return 0;
}
