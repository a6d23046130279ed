/* SPDX-License-Identifier: MIT */
/*
 * cxldcd-ctl - the orchestrator's command-line tool over cxldcd's QMP
 * socket (docs/ctl.md).  This file holds the global options, the command
 * table and the helpers every command uses for options, connecting,
 * calling and reporting; the commands live in cmd-dc.c and cmd-list.c
 * (capacity), cmd-map.c (the capacity map), cmd-misc.c (backends, events,
 * raw QMP, CCI), cmd-ras.c and cmd-event.c (injections).
 *
 *   cxldcd-ctl [--qmp unix:PATH|tcp:HOST:PORT] [--json] COMMAND [ARGS...]
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/rundir.h"
#include "ctl.h"

#define CTL_VERSION "0.1.0"

static const struct ctl_cmd *const commands[] = {
	&ctl_cmd_add, &ctl_cmd_release, &ctl_cmd_status, &ctl_cmd_list, &ctl_cmd_backends,
	&ctl_cmd_backend_add, &ctl_cmd_backend_del, &ctl_cmd_durability, &ctl_cmd_events,
	&ctl_cmd_raw, &ctl_cmd_cci,
	&ctl_cmd_map, &ctl_cmd_top, &ctl_cmd_inject_poison, &ctl_cmd_inject_uncor,
	&ctl_cmd_inject_cor, &ctl_cmd_inject_event, NULL,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: cxldcd-ctl [--qmp unix:PATH|tcp:HOST:PORT] [--json] COMMAND [ARGS...]\n"
		   "\n"
		   "Drive a running cxldcd over QMP.\n"
		   "\n"
		   "Commands:\n");
	for (size_t i = 0; commands[i]; i++)
		fprintf(f, "  %s\n", commands[i]->synopsis);
	fprintf(f, "  help [COMMAND]\n"
		   "\n"
		   "Global options (also accepted after COMMAND):\n"
		   "  --qmp ADDR   the daemon's QMP socket: unix:PATH, tcp:HOST:PORT or a path;\n"
		   "               default $CXLDCD_QMP, else $XDG_RUNTIME_DIR/cxldcd/qmp.sock\n"
		   "               (/tmp/cxldcd-$UID/qmp.sock without XDG_RUNTIME_DIR)\n"
		   "  --json       print the daemon's JSON instead of text\n"
		   "  -h, --help     this text; 'cxldcd-ctl COMMAND --help' for one command\n"
		   "  -V, --version  print the version\n"
		   "\n"
		   "SIZE: bytes, 0x hex, or a K/M/G/T/P/E suffix (powers of 1024): 4G, 512M, 0x200000.\n"
		   "Exit status: 0 ok, 1 daemon error or connection failure, 2 bad arguments.\n");
}

int ctl_usage_error(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s%s: ", c->argv0, c->cmd ? " " : "", c->cmd ? c->cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (c->cmd)
		fprintf(stderr, "\nTry '%s %s --help'.\n", c->argv0, c->cmd);
	else
		fprintf(stderr, "\nTry '%s --help'.\n", c->argv0);
	return CTL_EXIT_USAGE;
}

int ctl_fail(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->argv0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_FAIL;
}

int ctl_cmd_help(const struct ctl_cmd *cmd)
{
	printf("usage: cxldcd-ctl [--qmp ADDR] [--json] %s\n\n%s", cmd->synopsis, cmd->help);
	return CTL_EXIT_OK;
}

static const struct ctl_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; commands[i]; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

/* ---- options ------------------------------------------------------------ */

#define OPT_QMP 0x1001
#define OPT_JSON 0x1002
#define OPT_VERSION 0x1003

static const struct option common_opts[] = {
	{ "qmp", required_argument, NULL, OPT_QMP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
};
_Static_assert(sizeof(common_opts) / sizeof(common_opts[0]) == CTL_OPTS_COMMON,
	       "CTL_OPTS_COMMON counts common_opts");

int ctl_getopt(struct ctl *c, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	struct option all[CTL_OPTS_MAX];
	char so[64];
	int opt;

	/* A command whose options do not all fit is a bug of this tool: stop, never drop some. */
	if (ctl_opts_join(all, CTL_OPTS_MAX, longopts, common_opts, CTL_OPTS_COMMON) < 0) {
		fprintf(stderr, "cxldcd-ctl: internal error: a command has more than %d options\n",
			CTL_OPTS_MAX - CTL_OPTS_COMMON - 1);
		abort();
	}
	snprintf(so, sizeof(so), ":h%s", shortopts ? shortopts : "");
	opterr = 0;
	for (;;) {
		opt = getopt_long(argc, argv, so, all, NULL);
		if (opt == OPT_QMP) {
			c->qmp_arg = optarg;
		} else if (opt == OPT_JSON) {
			c->json = true;
		} else if (opt == 'h') {
			return -3;
		} else if (opt == ':') {
			ctl_usage_error(c, "option '%s' needs a value", argv[optind - 1]);
			return -2;
		} else if (opt == '?') {
			if (optopt)
				ctl_usage_error(c, "unknown option '-%c'", optopt);
			else
				ctl_usage_error(c, "unknown option '%s'", argv[optind - 1]);
			return -2;
		} else {
			return opt;
		}
	}
}

int ctl_cmd_getopt(struct ctl *c, int argc, char **argv, const struct option *o,
		   const struct ctl_cmd *cmd, struct ctl_devopt *d, int *status)
{
	for (;;) {
		int opt = ctl_getopt(c, argc, argv, "", o), rc;

		if (opt == -2 || opt == -3) {
			*status = opt == -2 ? CTL_EXIT_USAGE : ctl_cmd_help(cmd);
			return CTL_OPT_STOP;
		}
		if (opt == -1 || !d)
			return opt;
		rc = ctl_devopt_set(c, d, opt, optarg);
		if (rc < 0)
			return opt;
		if (rc) {
			*status = rc;
			return CTL_OPT_STOP;
		}
	}
}

int ctl_devopt_set(struct ctl *c, struct ctl_devopt *d, int opt, const char *val)
{
	switch (opt) {
	case 'd':
		if (!val[0])
			return ctl_usage_error(c, "--device '': expected a device id or QOM path");
		d->device = val;
		return 0;
	case 'H':
		if (ctl_parse_uint(val, UINT16_MAX, &d->host))
			return ctl_usage_error(c, "--host '%s': expected a host id in 0..65535", val);
		d->has_host = true;
		return 0;
	case 'r':
		if (ctl_parse_uint(val, UINT8_MAX, &d->region))
			return ctl_usage_error(c, "--region '%s': expected a region in 0..255", val);
		d->has_region = true;
		return 0;
	case 't':
		if (ctl_parse_uuid(val, d->tag))
			return ctl_usage_error(c,
				"--tag '%s': not a UUID (expected 8-4-4-4-12 hex digits)", val);
		d->has_tag = true;
		return 0;
	default:
		return -1;
	}
}

/* --device and --host are required by every capacity command (see ctl.h). */
int ctl_devopt_require(struct ctl *c, const struct ctl_devopt *d, bool host)
{
	if (!d->device)
		return ctl_usage_error(c, "--device is required");
	if (host && !d->has_host)
		return ctl_usage_error(c, "--host is required");
	return 0;
}

/* A command with the device options only (see ctl.h). */
int ctl_devopt_parse(struct ctl *c, int argc, char **argv, const struct option *o,
		     const struct ctl_cmd *cmd, struct ctl_devopt *d, bool host, bool any_dev)
{
	int opt, rc;

	while ((opt = ctl_cmd_getopt(c, argc, argv, o, cmd, d, &rc)) > 0)
		;
	if (opt == CTL_OPT_STOP)
		return rc == CTL_EXIT_OK ? -1 : rc;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (any_dev && !d->device)
		return host && !d->has_host ? ctl_usage_error(c, "--host is required") : 0;
	return ctl_devopt_require(c, d, host);
}

char *ctl_dev_path(const char *device)
{
	char *p = NULL;

	if (device[0] == '/')
		return strdup(device);
	if (asprintf(&p, CTL_DEV_PREFIX "%s", device) < 0)
		return NULL;
	return p;
}

/* ---- connecting and calling --------------------------------------------- */

void ctl_default_addr(char *buf, size_t cap)
{
	char path[300];

	/* The daemon's rule (src/common/rundir.c, docs/cmdline.md). */
	rundir_path("qmp.sock", path, sizeof(path));
	snprintf(buf, cap, "unix:%s", path);
}

int ctl_connect(struct ctl *c)
{
	const char *env = getenv("CXLDCD_QMP"), *what = "--qmp";
	const char *text = c->qmp_arg;
	struct ctl_addr addr;
	char def[400], err[600];

	if (!text && env && env[0]) {
		text = env;
		what = "CXLDCD_QMP";
	}
	if (!text) {
		char dir[300];

		ctl_default_addr(def, sizeof(def));
		text = def;
		what = "default socket";
		/*
		 * Without XDG_RUNTIME_DIR the directory is /tmp/cxldcd-$UID, which
		 * another user can make first with a socket of their own: that
		 * user would get every command sent and give the answers.  When
		 * it exists it must be ours alone, as the daemon and cxldcd-host
		 * require (a missing one: the connect says so).
		 */
		if (!rundir_path(NULL, dir, sizeof(dir)) && rundir_private(dir) == -EPERM)
			return ctl_fail(c, "runtime directory %s: not a private directory owned by this user: "
					"not connecting to its qmp.sock (give --qmp)", dir);
	}
	if (ctl_parse_addr(text, &addr)) {
		if (text[0] && strncmp(text, "unix:", 5) && strncmp(text, "tcp:", 4))
			return ctl_usage_error(c, "%s '%s': not a path (it has a ':'); for TCP write tcp:%s, for a file ./%s or unix:%s",
					       what, text, text, text, text);
		return ctl_usage_error(c, "%s '%s': expected unix:PATH, tcp:HOST:PORT or a path",
				       what, text);
	}
	if (ctl_qmp_open(&addr, CTL_CONNECT_TIMEOUT_MS, &c->q, err, sizeof(err)))
		return ctl_fail(c, "%s", err);
	return 0;
}

int ctl_call(struct ctl *c, const char *cmd, json_t *args, json_t **ret)
{
	AUTO_JSON *reply = NULL;
	json_t *err;
	int rc;

	*ret = NULL;
	rc = ctl_qmp_execute(c->q, cmd, args, CTL_REPLY_TIMEOUT_MS, &reply);
	if (rc == -ECONNRESET)
		return ctl_fail(c, "%s: connection closed by the daemon", ctl_qmp_name(c->q));
	if (rc == -ETIMEDOUT)
		return ctl_fail(c, "%s: no reply to %s within %d s", ctl_qmp_name(c->q), cmd,
				CTL_REPLY_TIMEOUT_MS / 1000);
	if (rc)
		return ctl_fail(c, "%s: %s", ctl_qmp_name(c->q),
				rc == -EPROTO ? "the daemon sent invalid JSON" : strerror(-rc));
	err = json_object_get(reply, "error");
	if (err) {
		const char *desc = json_string_value(json_object_get(err, "desc"));

		fprintf(stderr, "error: %s\n", desc ? desc : "(no description)");
		return CTL_EXIT_FAIL;
	}
	*ret = json_incref(json_object_get(reply, "return"));
	if (!*ret)
		return ctl_fail(c, "%s: reply to %s has neither return nor error",
				ctl_qmp_name(c->q), cmd);
	return 0;
}

void ctl_print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s)
		printf("%s\n", s);
	free(s);
	fflush(stdout);   /* replies and stderr lines stay in order (raw -) */
}

/* ---- main --------------------------------------------------------------- */

static int help_cmd(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd;

	if (argc < 2) {
		usage(stdout);
		return CTL_EXIT_OK;
	}
	cmd = find_cmd(argv[1]);
	if (!cmd)
		return ctl_usage_error(c, "unknown command '%s'", argv[1]);
	return ctl_cmd_help(cmd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "qmp", required_argument, NULL, OPT_QMP },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .argv0 = "cxldcd-ctl" };
	const struct ctl_cmd *cmd;
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		if (opt == OPT_QMP) {
			c.qmp_arg = optarg;
		} else if (opt == OPT_JSON) {
			c.json = true;
		} else if (opt == 'h') {
			usage(stdout);
			return CTL_EXIT_OK;
		} else if (opt == OPT_VERSION || opt == 'V') {
			printf("cxldcd-ctl " CTL_VERSION "\n");
			return CTL_EXIT_OK;
		} else if (opt == ':') {
			return ctl_usage_error(&c, "option '%s' needs a value", argv[optind - 1]);
		} else {
			return ctl_usage_error(&c, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(&c, "no command given");
	argc -= optind;
	argv += optind;
	optind = 0;   /* reinitialise getopt for the command's own options */
	if (!strcmp(argv[0], "help"))
		return help_cmd(&c, argc, argv);
	cmd = find_cmd(argv[0]);
	if (!cmd)
		return ctl_usage_error(&c, "unknown command '%s'", argv[0]);
	c.cmd = cmd->name;
	rc = cmd->run(&c, argc, argv);
	ctl_qmp_free(c.q);
	if (fflush(stdout) && !rc)
		rc = ctl_fail(&c, "writing output: %s", strerror(errno));
	return rc;
}
