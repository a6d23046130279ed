/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - what cxldcd-ctl's commands share: the global options, the
 * command table entry, and the helpers that give every command the same
 * exit statuses and messages:
 *
 *   0  success
 *   1  the daemon answered with an error ("error: <desc>" on stderr, as the
 *      daemon wrote it), the connection failed (the socket and the errno
 *      text are named), or the command's own check failed
 *   2  bad arguments: one line naming the argument, then a usage hint
 */
#ifndef CXLDCD_CTL_CTL_H
#define CXLDCD_CTL_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "parse.h"
#include "qmp-conn.h"

#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

/* Bounds of the connect + negotiation and of each reply. */
#define CTL_CONNECT_TIMEOUT_MS 5000
#define CTL_REPLY_TIMEOUT_MS 30000

/* QMP addresses a device as /machine/peripheral/ID (docs/cmdline.md). */
#define CTL_DEV_PREFIX "/machine/peripheral/"

struct ctl {
	const char *argv0;
	const char *cmd;         /* the command's name, for messages */
	const char *qmp_arg;     /* --qmp, or NULL */
	bool json;               /* --json: print the daemon's JSON */
	struct ctl_qmp *q;       /* after ctl_connect() */
};

struct ctl_cmd {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *synopsis;    /* one line, after "cxldcd-ctl [OPTIONS] " */
	const char *help;        /* the rest of the --help text */
};

extern const struct ctl_cmd ctl_cmd_add, ctl_cmd_release, ctl_cmd_status, ctl_cmd_list,
	ctl_cmd_backends, ctl_cmd_backend_add, ctl_cmd_backend_del, ctl_cmd_events, ctl_cmd_raw,
	ctl_cmd_cci, ctl_cmd_map, ctl_cmd_top, ctl_cmd_inject_poison, ctl_cmd_inject_uncor,
	ctl_cmd_inject_cor, ctl_cmd_inject_event, ctl_cmd_durability;

/* query-cxl-dynamic-capacity of @device into *@ret (connected); 0 or the exit status. */
int ctl_query_dev(struct ctl *c, const char *device, json_t **ret);
/* The ids of every cxl-type3 device (qom-list /machine/peripheral); 0 or the exit status. */
int ctl_all_devices(struct ctl *c, json_t **ids);

/* "cxldcd-ctl CMD: <message>" and a usage hint on stderr; returns CTL_EXIT_USAGE. */
int ctl_usage_error(struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "cxldcd-ctl: <message>" on stderr; returns CTL_EXIT_FAIL. */
int ctl_fail(struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The command's --help text on stdout; returns CTL_EXIT_OK. */
int ctl_cmd_help(const struct ctl_cmd *cmd);

/*
 * ctl_getopt() - getopt_long() over a command's arguments with the common
 * options folded in (--qmp ADDR, --json, --help) and cxldcd-ctl's own
 * messages.  Returns the option's value, -1 at the end, or, after printing
 * a message, -2 for a bad option (exit 2) and -3 for --help (exit 0).  A
 * table longer than CTL_OPTS_MAX allows is a bug: it aborts, never cut.
 */
struct option;
/* The options ctl_getopt() joins: a command's, the 3 common ones and a terminator. */
#define CTL_OPTS_MAX 48
#define CTL_OPTS_COMMON 3
int ctl_getopt(struct ctl *c, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/*
 * ctl_cmd_getopt() - the next of @cmd's own options (@o): ctl_getopt()
 * with --help and bad options answered, and, when @d is not NULL, the
 * device options ('d', 'H', 'r', 't') taken by ctl_devopt_set().  Returns
 * the option, -1 at the end of the options, or CTL_OPT_STOP with *@status
 * set: CTL_EXIT_OK after --help was printed, CTL_EXIT_USAGE after a message.
 */
#define CTL_OPT_STOP (-2)
struct ctl_devopt;
int ctl_cmd_getopt(struct ctl *c, int argc, char **argv, const struct option *o,
		   const struct ctl_cmd *cmd, struct ctl_devopt *d, int *status);

/*
 * ctl_connect() - the socket from --qmp, else $CXLDCD_QMP, else the
 * daemon's default ($XDG_RUNTIME_DIR/cxldcd/qmp.sock or
 * /tmp/cxldcd-$UID/qmp.sock).  Returns 0, CTL_EXIT_USAGE (a malformed
 * address) or CTL_EXIT_FAIL, with the message printed.
 */
int ctl_connect(struct ctl *c);

/* ctl_default_addr() - the daemon's default QMP socket path. */
void ctl_default_addr(char *buf, size_t cap);

/*
 * ctl_call() - run @cmd with @args (borrowed, may be NULL).  On success
 * *@ret is the "return" value (a new reference) and the result is 0.  A
 * daemon error prints "error: <desc>"; a lost connection names the socket.
 * Both return CTL_EXIT_FAIL.
 */
int ctl_call(struct ctl *c, const char *cmd, json_t *args, json_t **ret);

/* Print @v as one line of compact JSON on stdout. */
void ctl_print_json(const json_t *v);

/* Options shared by the device commands. */
struct ctl_devopt {
	const char *device;      /* --device: an id or a full QOM path */
	uint64_t host;
	bool has_host;
	uint64_t region;
	bool has_region;
	char tag[37];
	bool has_tag;
};

/*
 * ctl_devopt_set() - handle --device / --host / --region / --tag (options
 * 'd', 'H', 'r', 't'); returns 0, CTL_EXIT_USAGE (message printed), or
 * -1 if @opt is not one of them.
 */
int ctl_devopt_set(struct ctl *c, struct ctl_devopt *d, int opt, const char *val);

/* --device, and --host when @host, are given: 0, else CTL_EXIT_USAGE (message printed). */
int ctl_devopt_require(struct ctl *c, const struct ctl_devopt *d, bool host);

/*
 * ctl_devopt_parse() - parse a command that takes only the device options
 * (@o) and no operands; then require --device (unless @any_dev), and
 * --host when @host.  Return 0 to go on, -1 after --help was printed
 * (exit 0), else the exit status.
 */
int ctl_devopt_parse(struct ctl *c, int argc, char **argv, const struct option *o,
		     const struct ctl_cmd *cmd, struct ctl_devopt *d, bool host, bool any_dev);

/* The QOM path of --device (caller frees), or NULL after a usage error. */
char *ctl_dev_path(const char *device);

/* Cleanups for tools only (style B.5). */
/* Members of a query's JSON: an integer (0 when absent), a string or @dflt. */
static inline uint64_t ctl_u64(json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

static inline const char *ctl_str(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* ctl_fmt_size() into a caller's 24-byte buffer. */
static inline const char *ctl_sz(uint64_t v, char *buf)
{
	return ctl_fmt_size(v, buf, 24);
}

static inline void ctl_json_decrefp(json_t **j)
{
	json_decref(*j);
}

static inline void ctl_freep(void *p)
{
	free(*(void **)p);
}

#define AUTO_JSON __attribute__((cleanup(ctl_json_decrefp))) json_t
#define AUTO_FREE __attribute__((cleanup(ctl_freep)))

#endif
